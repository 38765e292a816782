/* SPDX-License-Identifier: MIT */
/* Helpers of the YubiKey PIV unit tests, checked against libcrypto on the test's side. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>

#include "card_steps.h"
#include "piv_helpers.h"

static const uint8_t mgm_default[24] = {1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4,
                                        5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8};

scsim_card *piv_card(scsim_profile **p, const char *yaml, const char *file)
{
        scsim_diag diag;
        scsim_card *card;
        int rc;

        if (yaml != NULL)
                rc = scsim_profile_load_buffer("test.yaml", yaml, strlen(yaml), p, &diag);
        else
                rc = scsim_profile_load_file(file, p, &diag);
        if (rc != SCSIM_OK) {
                char msg[600];
                scsim_diag_format(&diag, msg, sizeof(msg));
                fail_msg("profile: %s", msg);
        }
        card = scsim_card_new(*p);
        assert_non_null(card);
        assert_int_equal(scsim_card_power_on(card, NULL, NULL), SCSIM_OK);
        return card;
}

int piv_fx_teardown(void **state)
{
        struct piv_fx *f = *state;

        scsim_card_free(&f->card);
        scsim_profile_free(&f->p);
        return 0;
}

uint16_t piv_send(scsim_card *card, uint8_t ins, uint8_t p1, uint8_t p2, const uint8_t *data,
                  size_t n, uint8_t *out, size_t *out_len)
{
        static uint8_t apdu[4 + 3 + 4096 + 2];
        size_t len = 0;

        assert_true(n <= 4096);
        apdu[len++] = 0x00;
        apdu[len++] = ins;
        apdu[len++] = p1;
        apdu[len++] = p2;
        apdu[len++] = 0x00;
        if (n > 0) {
                apdu[len++] = (uint8_t)(n >> 8);
                apdu[len++] = (uint8_t)n;
                memcpy(apdu + len, data, n);
                len += n;
        }
        apdu[len++] = 0x00;
        apdu[len++] = 0x00;
        return xmit_bytes(card, apdu, len, out, out_len);
}

void piv_select(scsim_card *card)
{
        assert_int_equal(xmit(card, "00A4040009A00000030800001000", NULL, NULL), 0x9000);
}

static void des3(const uint8_t *in, uint8_t *out, int enc)
{
        EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
        int len = 0;

        assert_non_null(ctx);
        assert_int_equal(EVP_CipherInit_ex(ctx, EVP_des_ede3_ecb(), NULL, mgm_default, NULL, enc),
                         1);
        EVP_CIPHER_CTX_set_padding(ctx, 0);
        assert_int_equal(EVP_CipherUpdate(ctx, out, &len, in, 8), 1);
        EVP_CIPHER_CTX_free(ctx);
}

void piv_mgm_auth(scsim_card *card)
{
        static const uint8_t ask[] = {0x7c, 0x02, 0x80, 0x00};
        static const uint8_t challenge[8] = "scsimchl";
        uint8_t resp[64], cmd[22] = {0x7c, 0x14, 0x80, 0x08}, expect[8];
        size_t n = 0;

        assert_int_equal(piv_send(card, 0x87, 0x03, 0x9b, ask, sizeof(ask), resp, &n), 0x9000);
        assert_int_equal(n, 12);
        des3(resp + 4, cmd + 4, 0);
        cmd[12] = 0x81;
        cmd[13] = 0x08;
        memcpy(cmd + 14, challenge, 8);
        assert_int_equal(piv_send(card, 0x87, 0x03, 0x9b, cmd, sizeof(cmd), resp, &n), 0x9000);
        des3(challenge, expect, 1);
        assert_int_equal(n, 12);
        assert_memory_equal(resp + 4, expect, 8);
}

void piv_verify_pin(scsim_card *card)
{
        assert_int_equal(xmit(card, "0020008008313233343536FFFF", NULL, NULL), 0x9000);
}

static EVP_PKEY *from_params(const char *type, OSSL_PARAM_BLD *bld)
{
        OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
        EVP_PKEY *key = NULL;

        assert_non_null(params);
        assert_non_null(ctx);
        assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
        assert_int_equal(EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params), 1);
        EVP_PKEY_CTX_free(ctx);
        OSSL_PARAM_free(params);
        return key;
}

/* Find tag among the TLVs of buf (1- or 2-byte tags, BER lengths up to 3 bytes). */
static const uint8_t *find_tlv(const uint8_t *p, size_t n, unsigned tag, size_t *len)
{
        while (n >= 2) {
                unsigned t = p[0];
                size_t hl = 1, l;
                if ((p[0] & 0x1f) == 0x1f) {
                        t = t << 8 | p[1];
                        hl = 2;
                }
                l = p[hl];
                if (l == 0x81) {
                        l = p[hl + 1];
                        hl += 2;
                } else if (l == 0x82) {
                        l = (size_t)p[hl + 1] << 8 | p[hl + 2];
                        hl += 3;
                } else {
                        hl += 1;
                }
                assert_true(hl + l <= n);
                if (t == tag) {
                        *len = l;
                        return p + hl;
                }
                p += hl + l;
                n -= hl + l;
        }
        return NULL;
}

EVP_PKEY *piv_parse_public(const uint8_t *tlv, size_t n, uint8_t alg)
{
        OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
        const uint8_t *v, *pt;
        size_t len = 0, plen = 0;
        EVP_PKEY *key;

        if ((v = find_tlv(tlv, n, 0x7f49, &len)) == NULL) {
                v = tlv;
                len = n;
        }
        if (alg == 0x05 || alg == 0x06 || alg == 0x07 || alg == 0x16) {
                size_t nl = 0, el = 0;
                const uint8_t *nv = find_tlv(v, len, 0x81, &nl), *ev = find_tlv(v, len, 0x82, &el);
                BIGNUM *bn_n, *bn_e;
                assert_non_null(nv);
                assert_non_null(ev);
                bn_n = BN_bin2bn(nv, (int)nl, NULL);
                bn_e = BN_bin2bn(ev, (int)el, NULL);
                OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n);
                OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e);
                key = from_params("RSA", bld);
                BN_free(bn_n);
                BN_free(bn_e);
        } else {
                assert_non_null(pt = find_tlv(v, len, 0x86, &plen));
                if (alg == 0xe0 || alg == 0xe1) {
                        assert_int_equal(plen, 32);
                        key = EVP_PKEY_new_raw_public_key_ex(
                            NULL, alg == 0xe0 ? "ED25519" : "X25519", NULL, pt, plen);
                } else {
                        OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                                        alg == 0x11 ? "P-256" : "P-384", 0);
                        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, plen);
                        key = from_params("EC", bld);
                }
        }
        OSSL_PARAM_BLD_free(bld);
        assert_non_null(key);
        return key;
}

EVP_PKEY *piv_gen_pub(scsim_card *card, uint8_t slot, uint8_t alg)
{
        const uint8_t data[5] = {0xac, 0x03, 0x80, 0x01, alg};
        static uint8_t resp[1200];
        size_t n = 0;

        assert_int_equal(piv_send(card, 0x47, 0x00, slot, data, sizeof(data), resp, &n), 0x9000);
        return piv_parse_public(resp, n, alg);
}

X509 *piv_read_cert(scsim_card *card, uint32_t tag)
{
        uint8_t q[5] = {0x5c, 0x03, (uint8_t)(tag >> 16), (uint8_t)(tag >> 8), (uint8_t)tag};
        static uint8_t resp[5000];
        const uint8_t *v, *der;
        size_t n = 0, len = 0, dlen = 0;

        if (piv_send(card, 0xcb, 0x3f, 0xff, q, sizeof(q), resp, &n) != 0x9000)
                return NULL;
        if ((v = find_tlv(resp, n, 0x53, &len)) == NULL ||
            (der = find_tlv(v, len, 0x70, &dlen)) == NULL)
                return NULL;
        return d2i_X509(NULL, &der, (long)dlen);
}

const uint8_t *piv_cert_ext(const X509 *cert, const char *oid, size_t *len)
{
        ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
        int at = X509_get_ext_by_OBJ(cert, obj, -1);
        const ASN1_OCTET_STRING *os;

        ASN1_OBJECT_free(obj);
        if (at < 0)
                fail_msg("no extension %s", oid);
        assert_int_equal(X509_EXTENSION_get_critical(X509_get_ext(cert, at)), 0);
        os = X509_EXTENSION_get_data(X509_get_ext(cert, at));
        *len = (size_t)ASN1_STRING_length(os);
        return ASN1_STRING_get0_data(os);
}
