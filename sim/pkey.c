/* SPDX-License-Identifier: MIT */
/*
 * Keys as every application handles them: made, read back from DER, built
 * from the parts a card receives, shown as a 7F49 template, used for
 * PureEdDSA signatures and key agreement. Applications name the type and
 * curve; what they add is their own encoding of algorithms.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>

#include "apdu.h"
#include "pkey.h"
#include "tlv.h"

/*
 * libcrypto 3.0 spends two thirds of a key's decoding in making the decoder
 * context, which then serves any number of decodings: each thread keeps one
 * per key type, writing into its own `out`. A context made while memory ran
 * short may lack a decoder, so a refusal is tried again with a new context
 * before it stands: a kept context can cost time, never a good key.
 */
#define DECODERS_KEPT 4 /* RSA, EC, ED25519, X25519 */

struct decoder {
        const char *type;
        OSSL_DECODER_CTX *ctx;
        EVP_PKEY *out;
};

static pthread_key_t decoders_key;
static pthread_once_t decoders_once = PTHREAD_ONCE_INIT;
static bool decoders_keyed;

static void decoders_free(void *arg)
{
        struct decoder *d = arg;

        for (size_t i = 0; i < DECODERS_KEPT; i++)
                OSSL_DECODER_CTX_free(d[i].ctx);
        free(d);
}

static void decoders_init(void)
{
        decoders_keyed = pthread_key_create(&decoders_key, decoders_free) == 0;
}

/* This thread's decoder for type, or NULL when none can be kept. */
static struct decoder *kept_decoder(const char *type)
{
        struct decoder *d;

        if (pthread_once(&decoders_once, decoders_init) != 0 || !decoders_keyed)
                return NULL;
        if ((d = pthread_getspecific(decoders_key)) == NULL) {
                if ((d = calloc(DECODERS_KEPT, sizeof(*d))) == NULL)
                        return NULL;
                if (pthread_setspecific(decoders_key, d) != 0) {
                        free(d);
                        return NULL;
                }
        }
        for (size_t i = 0; i < DECODERS_KEPT; i++)
                if (d[i].type == NULL || strcmp(d[i].type, type) == 0) {
                        d[i].type = type;
                        return &d[i];
                }
        return NULL;
}

/* What dctx makes of all of der's len bytes, into *out: the key, or NULL. */
static EVP_PKEY *decode(OSSL_DECODER_CTX *dctx, EVP_PKEY **out, const uint8_t *der, size_t len)
{
        const unsigned char *p = der;
        size_t left = len;
        EVP_PKEY *key;
        int ok;

        *out = NULL;
        ok = OSSL_DECODER_from_data(dctx, &p, &left);
        key = *out;
        *out = NULL;
        /* what the decoder leaves unread is not part of the key: refused */
        if (ok != 1 || left != 0) {
                EVP_PKEY_free(key);
                return NULL;
        }
        return key;
}

static OSSL_DECODER_CTX *new_decoder(const char *type, EVP_PKEY **out)
{
        return OSSL_DECODER_CTX_new_for_pkey(out, "DER", NULL, type, EVP_PKEY_KEYPAIR, NULL, NULL);
}

EVP_PKEY *pkey_from_der(const char *type, const uint8_t *der, size_t len)
{
        struct decoder *d;
        EVP_PKEY *key = NULL, *out = NULL;
        OSSL_DECODER_CTX *dctx;

        if (len == 0)
                return NULL;
        if ((d = kept_decoder(type)) == NULL) { /* nothing kept: a context for this key alone */
                if ((dctx = new_decoder(type, &out)) != NULL)
                        key = decode(dctx, &out, der, len);
                OSSL_DECODER_CTX_free(dctx);
                return key;
        }
        if (d->ctx != NULL && (key = decode(d->ctx, &d->out, der, len)) != NULL)
                return key;
        OSSL_DECODER_CTX_free(d->ctx);
        if ((d->ctx = new_decoder(type, &d->out)) == NULL)
                return NULL;
        return decode(d->ctx, &d->out, der, len);
}

int pkey_sign_message(const EVP_PKEY *key, const uint8_t *in, size_t n, uint8_t *out,
                      size_t *out_len, size_t cap)
{
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        size_t len = cap;
        int ok = -1;

        /* libcrypto's signing takes a key it does not change, but not as const */
        if (md != NULL &&
            EVP_DigestSignInit_ex(md, NULL, NULL, NULL, NULL, (EVP_PKEY *)(uintptr_t)key, NULL) ==
                1 &&
            EVP_DigestSign(md, out, &len, in, n) == 1) {
                *out_len = len;
                ok = 0;
        }
        EVP_MD_CTX_free(md);
        return ok;
}

EVP_PKEY *pkey_generate(const char *type, const char *group, size_t rsa_bits)
{
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
        EVP_PKEY *key = NULL;
        OSSL_PARAM params[2];

        if (ctx == NULL || EVP_PKEY_keygen_init(ctx) != 1)
                goto fail;
        params[0] = OSSL_PARAM_construct_end();
        if (strcmp(type, "RSA") == 0)
                params[0] = OSSL_PARAM_construct_size_t(OSSL_PKEY_PARAM_RSA_BITS, &rsa_bits);
        else if (strcmp(type, "EC") == 0)
                params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                                             (char *)(uintptr_t)group, 0);
        params[1] = OSSL_PARAM_construct_end();
        if (EVP_PKEY_CTX_set_params(ctx, params) != 1 || EVP_PKEY_generate(ctx, &key) != 1) {
                EVP_PKEY_free(key);
                key = NULL;
        }
fail:
        EVP_PKEY_CTX_free(ctx);
        return key;
}

/*
 * A key from parameters: a public key (selection EVP_PKEY_PUBLIC_KEY), or a
 * pair (EVP_PKEY_KEYPAIR) kept only when its parts belong together.
 */
static EVP_PKEY *from_params(const char *type, OSSL_PARAM_BLD *bld, int selection)
{
        OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL), *check = NULL;
        EVP_PKEY *key = NULL;

        if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
            EVP_PKEY_fromdata(ctx, &key, selection, params) != 1)
                goto fail;
        if (selection == EVP_PKEY_KEYPAIR &&
            ((check = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL)) == NULL ||
             EVP_PKEY_pairwise_check(check) != 1)) {
                EVP_PKEY_free(key);
                key = NULL;
        }
fail:
        EVP_PKEY_CTX_free(check);
        EVP_PKEY_CTX_free(ctx);
        OSSL_PARAM_free(params);
        return key;
}

/* A given optional part must equal the one computed. */
static bool part_matches(const uint8_t *given, size_t len, const BIGNUM *computed)
{
        BIGNUM *g;
        bool same;

        if (given == NULL)
                return true;
        if ((g = BN_bin2bn(given, (int)len, NULL)) == NULL)
                return false;
        same = BN_cmp(g, computed) == 0;
        BN_clear_free(g);
        return same;
}

/* bn: e p q n d dp dq qinv, the last five computed from the first three. */
static int rsa_complete(const struct pkey_rsa_parts *in, BIGNUM *const bn[8], BN_CTX *bctx)
{
        BIGNUM *p1 = BN_CTX_get(bctx), *q1 = BN_CTX_get(bctx), *phi = BN_CTX_get(bctx);

        if (phi == NULL ||
            (in->e != NULL ? BN_bin2bn(in->e, (int)in->e_len, bn[0]) == NULL
                           : BN_set_word(bn[0], 65537) != 1) ||
            BN_bin2bn(in->p, (int)in->p_len, bn[1]) == NULL ||
            BN_bin2bn(in->q, (int)in->q_len, bn[2]) == NULL)
                return -1;
        if (BN_mul(bn[3], bn[1], bn[2], bctx) != 1 || BN_sub(p1, bn[1], BN_value_one()) != 1 ||
            BN_sub(q1, bn[2], BN_value_one()) != 1 || BN_mul(phi, p1, q1, bctx) != 1 ||
            BN_mod_inverse(bn[4], bn[0], phi, bctx) == NULL ||
            BN_mod(bn[5], bn[4], p1, bctx) != 1 || BN_mod(bn[6], bn[4], q1, bctx) != 1 ||
            BN_mod_inverse(bn[7], bn[2], bn[1], bctx) == NULL)
                return -1;
        if (!part_matches(in->n, in->n_len, bn[3]) || !part_matches(in->dp, in->dp_len, bn[5]) ||
            !part_matches(in->dq, in->dq_len, bn[6]) ||
            !part_matches(in->qinv, in->qinv_len, bn[7]))
                return -1;
        return 0;
}

EVP_PKEY *pkey_rsa_from_parts(const struct pkey_rsa_parts *parts, size_t bits)
{
        static const char *const names[8] = {
            OSSL_PKEY_PARAM_RSA_E,         OSSL_PKEY_PARAM_RSA_FACTOR1,
            OSSL_PKEY_PARAM_RSA_FACTOR2,   OSSL_PKEY_PARAM_RSA_N,
            OSSL_PKEY_PARAM_RSA_D,         OSSL_PKEY_PARAM_RSA_EXPONENT1,
            OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
        };
        BIGNUM *bn[8] = {NULL};
        BN_CTX *bctx = BN_CTX_new();
        OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
        EVP_PKEY *key = NULL;

        if (bctx == NULL || bld == NULL || parts->p == NULL || parts->q == NULL ||
            parts->p_len == 0 || parts->q_len == 0 || parts->p_len > bits / 8 ||
            parts->q_len > bits / 8 ||
            (parts->e != NULL && (parts->e_len == 0 || parts->e_len > 4)))
                goto fail;
        BN_CTX_start(bctx);
        for (int i = 0; i < 8; i++)
                if ((bn[i] = BN_secure_new()) == NULL)
                        goto done;
        if (rsa_complete(parts, bn, bctx) != 0 || (size_t)BN_num_bits(bn[3]) != bits)
                goto done;
        for (int i = 0; i < 8; i++)
                if (OSSL_PARAM_BLD_push_BN(bld, names[i], bn[i]) != 1)
                        goto done;
        key = from_params("RSA", bld, EVP_PKEY_KEYPAIR);
done:
        BN_CTX_end(bctx);
fail:
        for (int i = 0; i < 8; i++)
                BN_clear_free(bn[i]);
        BN_CTX_free(bctx);
        OSSL_PARAM_BLD_free(bld);
        return key;
}

EVP_PKEY *pkey_ec_from_scalar(const char *group_name, const uint8_t *d, size_t len)
{
        EC_GROUP *group = EC_GROUP_new_by_curve_name(OBJ_sn2nid(group_name));
        EC_POINT *pub = NULL;
        BIGNUM *priv = BN_bin2bn(d, (int)len, NULL);
        OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
        uint8_t point[1 + 2 * 66];
        size_t plen;
        EVP_PKEY *key = NULL;

        if (group == NULL || priv == NULL || bld == NULL || BN_is_zero(priv) ||
            BN_cmp(priv, EC_GROUP_get0_order(group)) >= 0)
                goto fail;
        /* the public point is the scalar times the generator */
        if ((pub = EC_POINT_new(group)) == NULL ||
            EC_POINT_mul(group, pub, priv, NULL, NULL, NULL) != 1 ||
            (plen = EC_POINT_point2oct(group, pub, POINT_CONVERSION_UNCOMPRESSED, point,
                                       sizeof(point), NULL)) == 0)
                goto fail;
        if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group_name, 0) != 1 ||
            OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv) != 1 ||
            OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, plen) != 1)
                goto fail;
        key = from_params("EC", bld, EVP_PKEY_KEYPAIR);
fail:
        EC_POINT_free(pub);
        BN_clear_free(priv);
        EC_GROUP_free(group);
        OSSL_PARAM_BLD_free(bld);
        return key;
}

EVP_PKEY *pkey_ec_public(const char *group, const uint8_t *point, size_t len)
{
        OSSL_PARAM_BLD *bld = NULL;
        EVP_PKEY *peer = NULL;

        if (len == 0 || point[0] != 0x04 || (bld = OSSL_PARAM_BLD_new()) == NULL)
                return NULL;
        if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) == 1 &&
            OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, len) == 1)
                peer = from_params("EC", bld, EVP_PKEY_PUBLIC_KEY);
        OSSL_PARAM_BLD_free(bld);
        return peer;
}

int pkey_derive(const EVP_PKEY *key, const EVP_PKEY *peer, uint8_t *out, size_t *out_len,
                size_t cap)
{
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, (EVP_PKEY *)(uintptr_t)key, NULL);
        size_t len = cap;
        int ok = -1;

        /* a point off the curve fails here or when the peer's key is made */
        if (ctx != NULL && EVP_PKEY_derive_init(ctx) == 1 &&
            EVP_PKEY_derive_set_peer(ctx, (EVP_PKEY *)(uintptr_t)peer) == 1 &&
            EVP_PKEY_derive(ctx, out, &len) == 1) {
                *out_len = len;
                ok = 0;
        }
        EVP_PKEY_CTX_free(ctx);
        return ok;
}

size_t pkey_public_point(const EVP_PKEY *key, uint8_t *out, size_t cap)
{
        size_t len = cap;

        if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC)
                return EVP_PKEY_get_raw_public_key(key, out, &len) == 1 ? len : 0;
        if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, out, cap,
                                            &len) != 1)
                return 0;
        return len;
}

/* An RSA component, big-endian without leading zeros. */
static bool put_bn(struct rbuf *r, uint32_t tag, const EVP_PKEY *key, const char *name)
{
        BIGNUM *bn = NULL;
        uint8_t buf[512];
        int n;
        bool ok = false;

        if (EVP_PKEY_get_bn_param(key, name, &bn) != 1 || BN_num_bytes(bn) > (int)sizeof(buf))
                goto fail;
        n = BN_bn2bin(bn, buf);
        ok = n > 0 && tlv_put(r, tag, buf, (size_t)n);
fail:
        BN_free(bn);
        return ok;
}

bool pkey_put_public(struct rbuf *r, const EVP_PKEY *key)
{
        uint8_t point[1 + 2 * 66];
        size_t len;

        if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA)
                return put_bn(r, 0x81, key, OSSL_PKEY_PARAM_RSA_N) &&
                       put_bn(r, 0x82, key, OSSL_PKEY_PARAM_RSA_E);
        if ((len = pkey_public_point(key, point, sizeof(point))) == 0)
                return false;
        return tlv_put(r, 0x86, point, len);
}
