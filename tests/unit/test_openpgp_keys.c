/* SPDX-License-Identifier: MIT */
/*
 * OpenPGP keys on the card, checked with libcrypto on the test's side:
 * GENERATE for every algorithm, signatures (PSO: CDS, INTERNAL AUTHENTICATE)
 * that verify, RSA and ECDH decryption that agree with the host, key import
 * with the extended header list, MSE, RSA 3072 generated and RSA 4096 from a
 * pre-made key, and the errors around them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include "card_steps.h"
#include "openpgp_card.h"

#define V81 "00200081" PW1 " -> 9000"
#define V82 "00200082" PW1 " -> 9000"
#define V83 "00200083" PW3 " -> 9000"

static const uint8_t sha256_prefix[19] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
                                          0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                                          0x01, 0x05, 0x00, 0x04, 0x20};

struct alg {
        const char *name;
        const char *attr_hex; /* DO C1..C3 value (for decryption the ID is 12 instead of 13) */
        const char *group;    /* libcrypto's group or key type; NULL for RSA */
};

static const struct alg signing[] = {
    {"rsa2048", "010800001100", NULL},
    {"nistp256", "132A8648CE3D030107", "prime256v1"},
    {"nistp384", "132B81040022", "secp384r1"},
    {"nistp521", "132B81040023", "secp521r1"},
    {"brainpoolp256r1", "132B2403030208010107", "brainpoolP256r1"},
    {"brainpoolp384r1", "132B240303020801010B", "brainpoolP384r1"},
    {"brainpoolp512r1", "132B240303020801010D", "brainpoolP512r1"},
    {"ed25519", "162B06010401DA470F01", "ED25519"},
};

static const struct alg deciphering[] = {
    {"rsa2048", "010800001100", NULL},
    {"nistp256", "122A8648CE3D030107", "prime256v1"},
    {"nistp521", "122B81040023", "secp521r1"},
    {"brainpoolp384r1", "122B240303020801010B", "brainpoolP384r1"},
    {"cv25519", "122B060104019755010501", "X25519"},
};

static void cmd(scsim_card *card, const char *hex, uint16_t sw)
{
        uint16_t got = xmit(card, hex, NULL, NULL);

        if (got != sw)
                fail_msg("%s -> %04X, expected %04X", hex, got, sw);
}

/* PUT DATA of key k's attributes (k 0 SIG, 1 DEC, 2 AUT), PW3 verified. */
static void put_attr(scsim_card *card, int k, const char *attr_hex)
{
        char apdu[128];
        uint8_t attr[32];
        size_t n = hex_parse(attr_hex, attr, sizeof(attr));

        snprintf(apdu, sizeof(apdu), "00DA00%02X %02zX %s", 0xc1 + k, n, attr_hex);
        cmd(card, apdu, 0x9000);
}

/* The public key of a 7F49 template, as a libcrypto key of the given group (NULL: RSA). */
static EVP_PKEY *public_key(const uint8_t *t, size_t n, const char *group)
{
        OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
        OSSL_PARAM *params = NULL;
        EVP_PKEY_CTX *ctx = NULL;
        EVP_PKEY *key = NULL;
        BIGNUM *bn[2] = {NULL, NULL};
        size_t off;

        assert_true(n > 4 && t[0] == 0x7f && t[1] == 0x49);
        off = t[2] == 0x82 ? 5 : t[2] == 0x81 ? 4 : 3;
        if (group != NULL && (strcmp(group, "ED25519") == 0 || strcmp(group, "X25519") == 0)) {
                assert_int_equal(t[off], 0x86);
                assert_int_equal(t[off + 1], 32);
                key = EVP_PKEY_new_raw_public_key_ex(NULL, group, NULL, t + off + 2, 32);
        } else if (group != NULL) {
                size_t plen = t[off + 1] == 0x81 ? t[off + 2] : t[off + 1];
                const uint8_t *pt = t + off + (t[off + 1] == 0x81 ? 3 : 2);
                assert_int_equal(t[off], 0x86);
                assert_int_equal(pt[0], 0x04);
                assert_int_equal(
                    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0), 1);
                assert_int_equal(
                    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, plen), 1);
                params = OSSL_PARAM_BLD_to_param(bld);
                ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
                assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
                assert_int_equal(EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params), 1);
        } else {
                /* 81 82 01 00 n, 82 03 e */
                const uint8_t *p = t + off;
                for (int i = 0; i < 2; i++) {
                        size_t len = p[1] == 0x82 ? (size_t)(p[2] << 8 | p[3]) : p[1];
                        size_t hdr = p[1] == 0x82 ? 4 : p[1] == 0x81 ? 3 : 2;
                        if (p[1] == 0x81)
                                len = p[2];
                        assert_int_equal(p[0], 0x81 + i);
                        bn[i] = BN_bin2bn(p + hdr, (int)len, NULL);
                        p += hdr + len;
                }
                OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn[0]);
                OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn[1]);
                params = OSSL_PARAM_BLD_to_param(bld);
                ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
                assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
                assert_int_equal(EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params), 1);
        }
        assert_non_null(key);
        BN_free(bn[0]);
        BN_free(bn[1]);
        EVP_PKEY_CTX_free(ctx);
        OSSL_PARAM_free(params);
        OSSL_PARAM_BLD_free(bld);
        return key;
}

/* GENERATE (P1 80) for the key whose CRT is crt (B6 B8 A4); the new public key. */
static EVP_PKEY *generate(scsim_card *card, uint8_t crt, const char *group)
{
        static uint8_t out[SCSIM_RAPDU_MAX];
        uint8_t data[2] = {crt, 0x00};
        size_t n = 0, n2 = 0;
        EVP_PKEY *key;
        static uint8_t again[SCSIM_RAPDU_MAX];

        assert_int_equal(opgp_send(card, "00478000", data, 2, true, out, &n), 0x9000);
        key = public_key(out, n, group);
        /* P1 81 reads the same public key back */
        assert_int_equal(opgp_send(card, "00478100", data, 2, true, again, &n2), 0x9000);
        assert_int_equal(n2, n);
        assert_memory_equal(again, out, n);
        return key;
}

/* Does a card signature verify: RSA over a DigestInfo, ECDSA r || s over a hash, EdDSA over data?
 */
static bool verifies(EVP_PKEY *pub, const char *group, const uint8_t *in, size_t n,
                     const uint8_t *sig, size_t slen)
{
        EVP_PKEY_CTX *ctx = NULL;
        EVP_MD_CTX *md = NULL;
        uint8_t der[256];
        unsigned char *p = der;
        bool ok;
        int dlen;

        if (group != NULL && strcmp(group, "ED25519") == 0) {
                md = EVP_MD_CTX_new();
                assert_int_equal(EVP_DigestVerifyInit_ex(md, NULL, NULL, NULL, NULL, pub, NULL), 1);
                ok = EVP_DigestVerify(md, sig, slen, in, n) == 1;
                EVP_MD_CTX_free(md);
                return ok;
        }
        ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pub, NULL);
        assert_int_equal(EVP_PKEY_verify_init(ctx), 1);
        if (group == NULL) {
                assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING), 1);
                ok = EVP_PKEY_verify(ctx, sig, slen, in, n) == 1;
        } else {
                ECDSA_SIG *es = ECDSA_SIG_new();
                assert_int_equal(slen % 2, 0);
                ECDSA_SIG_set0(es, BN_bin2bn(sig, (int)slen / 2, NULL),
                               BN_bin2bn(sig + slen / 2, (int)slen / 2, NULL));
                dlen = i2d_ECDSA_SIG(es, &p);
                assert_true(dlen > 0);
                ok = EVP_PKEY_verify(ctx, der, (size_t)dlen, in, n) == 1;
                ECDSA_SIG_free(es);
        }
        EVP_PKEY_CTX_free(ctx);
        return ok;
}

/* What the card signs for this algorithm: a SHA-256 DigestInfo for RSA, the hash otherwise. */
static size_t to_sign(const char *group, uint8_t out[64])
{
        uint8_t hash[32];

        SHA256((const uint8_t *)"OpenPGP card test", 17, hash);
        if (group != NULL) {
                memcpy(out, hash, 32);
                return 32;
        }
        memcpy(out, sha256_prefix, sizeof(sha256_prefix));
        memcpy(out + sizeof(sha256_prefix), hash, 32);
        return sizeof(sha256_prefix) + 32;
}

/* Sign with ins (PSO: CDS or INTERNAL AUTHENTICATE); it verifies with good, not with other. */
static void sign_and_verify(scsim_card *card, const char *ins, EVP_PKEY *good, EVP_PKEY *other,
                            const char *group)
{
        static uint8_t sig[SCSIM_RAPDU_MAX];
        uint8_t in[64];
        size_t n = to_sign(group, in), slen = 0;

        assert_int_equal(opgp_send(card, ins, in, n, true, sig, &slen), 0x9000);
        assert_true(verifies(good, group, in, n, sig, slen));
        if (other != NULL)
                assert_false(verifies(other, group, in, n, sig, slen));
}

/* Every signing algorithm as the signature key and as the authentication key. */
static void test_generate_sign(void **state)
{
        struct opgp_fx f;

        (void)state;
        for (size_t i = 0; i < sizeof(signing) / sizeof(signing[0]); i++) {
                const struct alg *a = &signing[i];
                EVP_PKEY *sig, *aut;
                print_message("-- %s\n", a->name);
                assert_int_equal(opgp_open(&f, NULL), 0);
                run_steps(f.card, (const char *const[]){V83, NULL});
                put_attr(f.card, 0, a->attr_hex);
                put_attr(f.card, 2, a->attr_hex);
                sig = generate(f.card, 0xb6, a->group);
                aut = generate(f.card, 0xa4, a->group);
                run_steps(f.card,
                          (const char *const[]){V81, V82, "00CA00DE00 -> 010102000301 9000", NULL});
                sign_and_verify(f.card, "002A9E9A", sig, aut, a->group);
                sign_and_verify(f.card, "00880000", aut, sig, a->group);
                EVP_PKEY_free(sig);
                EVP_PKEY_free(aut);
                opgp_close(&f);
        }
}

/* A BER length: one byte below 128, 81 xx up to 255. */
static size_t put_len(uint8_t *p, size_t len)
{
        assert_true(len < 256);
        if (len < 128) {
                p[0] = (uint8_t)len;
                return 1;
        }
        p[0] = 0x81;
        p[1] = (uint8_t)len;
        return 2;
}

/* The cipher DO of PSO: DECIPHER for ECDH: A6 { 7F49 { 86 point } }; its length. */
static size_t cipher_do(uint8_t *out, const uint8_t *point, size_t plen)
{
        uint8_t inner[160];
        size_t n = 0, m = 0;

        inner[n++] = 0x86;
        n += put_len(inner + n, plen);
        memcpy(inner + n, point, plen);
        n += plen;
        out[m++] = 0xa6;
        m += put_len(out + m, n + 2 + (n < 128 ? 1 : 2));
        out[m++] = 0x7f;
        out[m++] = 0x49;
        m += put_len(out + m, n);
        memcpy(out + m, inner, n);
        return m + n;
}

/* The host's half of an exchange: RSA encryption, or ECDH with a fresh key of the group. */
static void decipher_check(scsim_card *card, EVP_PKEY *pub, const char *group)
{
        static uint8_t out[SCSIM_RAPDU_MAX];
        uint8_t in[700], secret[128], ct[600];
        size_t n = 0, olen = 0, slen = sizeof(secret), clen = sizeof(ct);
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pub, NULL);

        if (group == NULL) {
                static const uint8_t msg[] = "a session key";
                assert_int_equal(EVP_PKEY_encrypt_init(ctx), 1);
                assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING), 1);
                assert_int_equal(EVP_PKEY_encrypt(ctx, ct, &clen, msg, sizeof(msg)), 1);
                in[0] = 0x00; /* padding indicator: RSA */
                memcpy(in + 1, ct, clen);
                assert_int_equal(opgp_send(card, "002A8086", in, clen + 1, true, out, &olen),
                                 0x9000);
                assert_int_equal(olen, sizeof(msg));
                assert_memory_equal(out, msg, olen);
        } else {
                EVP_PKEY *eph = NULL;
                EVP_PKEY_CTX *dctx;
                uint8_t point[140];
                size_t plen = sizeof(point);
                if (strcmp(group, "X25519") == 0)
                        eph = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
                else
                        eph = EVP_PKEY_Q_keygen(NULL, NULL, "EC", group);
                assert_non_null(eph);
                if (strcmp(group, "X25519") == 0)
                        assert_int_equal(EVP_PKEY_get_raw_public_key(eph, point, &plen), 1);
                else
                        assert_int_equal(
                            EVP_PKEY_get_octet_string_param(eph, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                                            point, sizeof(point), &plen),
                            1);
                dctx = EVP_PKEY_CTX_new_from_pkey(NULL, eph, NULL);
                assert_int_equal(EVP_PKEY_derive_init(dctx), 1);
                assert_int_equal(EVP_PKEY_derive_set_peer(dctx, pub), 1);
                assert_int_equal(EVP_PKEY_derive(dctx, secret, &slen), 1);
                /* A6 { 7F49 { 86 point } } */
                n = cipher_do(in, point, plen);
                assert_int_equal(opgp_send(card, "002A8086", in, n, false, out, &olen), 0x9000);
                assert_int_equal(olen, slen);
                assert_memory_equal(out, secret, slen);
                /* a point one byte short: 6A80 */
                n = cipher_do(in, point, plen - 1);
                assert_int_equal(opgp_send(card, "002A8086", in, n, false, out, &olen), 0x6A80);
                EVP_PKEY_CTX_free(dctx);
                EVP_PKEY_free(eph);
        }
        EVP_PKEY_CTX_free(ctx);
}

static void test_decipher(void **state)
{
        struct opgp_fx f;

        (void)state;
        for (size_t i = 0; i < sizeof(deciphering) / sizeof(deciphering[0]); i++) {
                const struct alg *a = &deciphering[i];
                EVP_PKEY *dec;
                print_message("-- %s\n", a->name);
                assert_int_equal(opgp_open(&f, NULL), 0);
                run_steps(f.card, (const char *const[]){V83, NULL});
                put_attr(f.card, 1, a->attr_hex);
                dec = generate(f.card, 0xb8, a->group);
                run_steps(f.card, (const char *const[]){"002A8086 02 0000 -> 6982", V81,
                                                        "002A8086 02 0000 -> 6982", V82, NULL});
                decipher_check(f.card, dec, a->group);
                if (a->group == NULL)
                        run_steps(f.card, (const char *const[]){"002A8086 02 0200 -> 6A80",
                                                                "002A8086 02 0001 -> 6A80", NULL});
                EVP_PKEY_free(dec);
                opgp_close(&f);
        }
}

/* One part of a private key template: tag 91..99 and its value. */
struct part {
        uint8_t tag;
        const uint8_t *v;
        size_t len;
};

static size_t put_len2(uint8_t *p, size_t len)
{
        if (len < 128) {
                p[0] = (uint8_t)len;
                return 1;
        }
        if (len < 256) {
                p[0] = 0x81;
                p[1] = (uint8_t)len;
                return 2;
        }
        p[0] = 0x82;
        p[1] = (uint8_t)(len >> 8);
        p[2] = (uint8_t)len;
        return 3;
}

/* 4D { CRT, 7F48 { tag length ... }, 5F48 { values } } as PUT DATA 3FFF sends it; its length. */
static size_t template_4d(uint8_t *out, uint8_t crt, const struct part *parts, size_t n)
{
        static uint8_t body[4096], hdr[64], data[4096];
        size_t b = 0, h = 0, d = 0, o = 0;

        for (size_t i = 0; i < n; i++) {
                hdr[h++] = parts[i].tag;
                h += put_len2(hdr + h, parts[i].len);
                memcpy(data + d, parts[i].v, parts[i].len);
                d += parts[i].len;
        }
        body[b++] = crt;
        body[b++] = 0x00;
        body[b++] = 0x7f;
        body[b++] = 0x48;
        b += put_len2(body + b, h);
        memcpy(body + b, hdr, h);
        b += h;
        body[b++] = 0x5f;
        body[b++] = 0x48;
        b += put_len2(body + b, d);
        memcpy(body + b, data, d);
        b += d;
        out[o++] = 0x4d;
        o += put_len2(out + o, b);
        memcpy(out + o, body, b);
        return o + b;
}

/* An RSA component of key as big-endian bytes into buf; its length. */
static size_t rsa_part(EVP_PKEY *key, const char *name, uint8_t *buf)
{
        BIGNUM *bn = NULL;
        int n;

        assert_int_equal(EVP_PKEY_get_bn_param(key, name, &bn), 1);
        n = BN_bn2bin(bn, buf);
        BN_free(bn);
        return (size_t)n;
}

/* The RSA template parts of key: e p q, and with crt also 1/q mod p, dp, dq, n. */
static size_t rsa_parts(EVP_PKEY *key, bool crt, uint8_t bufs[7][512], struct part *parts)
{
        static const char *const names[7] = {
            OSSL_PKEY_PARAM_RSA_E,         OSSL_PKEY_PARAM_RSA_FACTOR1,
            OSSL_PKEY_PARAM_RSA_FACTOR2,   OSSL_PKEY_PARAM_RSA_COEFFICIENT1,
            OSSL_PKEY_PARAM_RSA_EXPONENT1, OSSL_PKEY_PARAM_RSA_EXPONENT2,
            OSSL_PKEY_PARAM_RSA_N,
        };
        size_t n = crt ? 7 : 3;

        for (size_t i = 0; i < n; i++) {
                parts[i].tag = (uint8_t)(0x91 + i);
                parts[i].len = rsa_part(key, names[i], bufs[i]);
                parts[i].v = bufs[i];
        }
        return n;
}

static uint16_t import(scsim_card *card, uint8_t crt, const struct part *parts, size_t n)
{
        static uint8_t t[4200];
        size_t len = template_4d(t, crt, parts, n);

        return opgp_send(card, "00DB3FFF", t, len, false, NULL, NULL);
}

/* RSA keys from the host, standard and CRT formats; a CRT part that does not belong is refused. */
static void test_import_rsa(void **state)
{
        static uint8_t bufs[7][512];
        EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
        struct part parts[7];
        struct opgp_fx f;
        size_t n;

        (void)state;
        assert_non_null(key);
        assert_int_equal(opgp_open(&f, NULL), 0);
        n = rsa_parts(key, false, bufs, parts);
        assert_int_equal(import(f.card, 0xb6, parts, n), 0x6982);
        run_steps(f.card, (const char *const[]){V83, NULL});
        assert_int_equal(import(f.card, 0xb6, parts, n), 0x9000);
        run_steps(f.card, (const char *const[]){"00CA00DE00 -> 010202000300 9000", V81, NULL});
        sign_and_verify(f.card, "002A9E9A", key, NULL, NULL);
        /* CRT with n into the decryption key, then one byte of dp changed */
        n = rsa_parts(key, true, bufs, parts);
        assert_int_equal(import(f.card, 0xb8, parts, n), 0x9000);
        run_steps(f.card, (const char *const[]){V82, NULL});
        decipher_check(f.card, key, NULL);
        bufs[4][0] ^= 0x01;
        assert_int_equal(import(f.card, 0xa4, parts, n), 0x6A80);
        run_steps(f.card, (const char *const[]){"00478100 02 A400 00 -> 6A88", NULL});
        /* a template whose lengths run past its data; a CRT the card does not know */
        parts[2].len += 1;
        assert_int_equal(import(f.card, 0xa4, parts, 3), 0x6A80);
        parts[2].len -= 1;
        assert_int_equal(import(f.card, 0xb7, parts, 3), 0x6A80);
        run_steps(f.card, (const char *const[]){"00DB3FFF 02 4D00 -> 6A80", "00DB3FFF -> 6700",
                                                "00DB3FFF 04 4D02B600 -> 6A80", NULL});
        opgp_close(&f);
        EVP_PKEY_free(key);
}

/* The private scalar of an EC key, big-endian, padded to the field size. */
static size_t ec_scalar(EVP_PKEY *key, size_t field, uint8_t *out)
{
        BIGNUM *d = NULL;

        assert_int_equal(EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PRIV_KEY, &d), 1);
        assert_int_equal(BN_bn2binpad(d, out, (int)field), (int)field);
        BN_free(d);
        return field;
}

/* ECC keys from the host: P-256 with its public key, Ed25519, and X25519 sent big-endian. */
static void test_import_ecc(void **state)
{
        EVP_PKEY *p256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "prime256v1");
        EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
        EVP_PKEY *x = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
        uint8_t d[66], pub[133], raw[32], be[32];
        size_t dlen, plen = sizeof(pub), rlen = sizeof(raw);
        struct opgp_fx f;

        (void)state;
        assert_int_equal(opgp_open(&f, NULL), 0);
        run_steps(f.card, (const char *const[]){V83, NULL});
        /* an EC key while the attributes say RSA */
        dlen = ec_scalar(p256, 32, d);
        assert_int_equal(import(f.card, 0xa4, (struct part[]){{0x92, d, dlen}}, 1), 0x6A80);
        put_attr(f.card, 2, "132A8648CE3D030107FF");
        assert_int_equal(EVP_PKEY_get_octet_string_param(p256, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                                         pub, sizeof(pub), &plen),
                         1);
        pub[10] ^= 0x01; /* a public key that is not this scalar's */
        assert_int_equal(
            import(f.card, 0xa4, (struct part[]){{0x92, d, dlen}, {0x99, pub, plen}}, 2), 0x6A80);
        pub[10] ^= 0x01;
        assert_int_equal(
            import(f.card, 0xa4, (struct part[]){{0x92, d, dlen}, {0x99, pub, plen}}, 2), 0x9000);
        /* Ed25519: the 32-byte secret as it is */
        put_attr(f.card, 0, "162B06010401DA470F01");
        assert_int_equal(EVP_PKEY_get_raw_private_key(ed, raw, &rlen), 1);
        assert_int_equal(import(f.card, 0xb6, (struct part[]){{0x92, raw, rlen}}, 1), 0x9000);
        /* X25519: GnuPG sends the scalar big-endian, the reverse of the native order */
        put_attr(f.card, 1, "122B060104019755010501");
        rlen = sizeof(raw);
        assert_int_equal(EVP_PKEY_get_raw_private_key(x, raw, &rlen), 1);
        for (size_t i = 0; i < 32; i++)
                be[i] = raw[31 - i];
        assert_int_equal(import(f.card, 0xb8, (struct part[]){{0x92, be, 32}}, 1), 0x9000);
        run_steps(f.card, (const char *const[]){"00CA00DE00 -> 010202020302 9000", V81, V82, NULL});
        sign_and_verify(f.card, "00880000", p256, NULL, "prime256v1");
        sign_and_verify(f.card, "002A9E9A", ed, NULL, "ED25519");
        decipher_check(f.card, x, "X25519");
        opgp_close(&f);
        EVP_PKEY_free(p256);
        EVP_PKEY_free(ed);
        EVP_PKEY_free(x);
}

/* Command chaining: the import in two parts, as clients without extended length send it. */
static void test_import_chained(void **state)
{
        static uint8_t bufs[7][512], t[1200], apdu[300];
        EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
        struct part parts[7];
        struct opgp_fx f;
        size_t len, first = 254;

        (void)state;
        assert_int_equal(opgp_open(&f, NULL), 0);
        run_steps(f.card, (const char *const[]){V83, NULL});
        len = template_4d(t, 0xb6, parts, rsa_parts(key, false, bufs, parts));
        assert_true(len > first && len - first < 256);
        memcpy(apdu, "\x10\xdb\x3f\xff", 4);
        apdu[4] = (uint8_t)first;
        memcpy(apdu + 5, t, first);
        assert_int_equal(xmit_bytes(f.card, apdu, 5 + first, NULL, NULL), 0x9000);
        apdu[0] = 0x00;
        apdu[4] = (uint8_t)(len - first);
        memcpy(apdu + 5, t + first, len - first);
        assert_int_equal(xmit_bytes(f.card, apdu, 5 + len - first, NULL, NULL), 0x9000);
        run_steps(f.card, (const char *const[]){V81, NULL});
        sign_and_verify(f.card, "002A9E9A", key, NULL, NULL);
        opgp_close(&f);
        EVP_PKEY_free(key);
}

/* MSE swaps keys 2 and 3 between DECIPHER and INTERNAL AUTHENTICATE; a reset swaps them back. */
static void test_mse(void **state)
{
        EVP_PKEY *dec, *aut;
        struct opgp_fx f;

        (void)state;
        assert_int_equal(opgp_open(&f, NULL), 0);
        run_steps(f.card, (const char *const[]){V83, NULL});
        dec = generate(f.card, 0xb8, NULL);
        aut = generate(f.card, 0xa4, NULL);
        run_steps(f.card, (const char *const[]){V82, "002241B8 03 830103 -> 9000",
                                                "002241A4 03 830102 -> 9000", NULL});
        decipher_check(f.card, aut, NULL);
        sign_and_verify(f.card, "00880000", dec, aut, NULL);
        run_steps(f.card, (const char *const[]){"!reset", OPGP_SEL, V82, NULL});
        decipher_check(f.card, dec, NULL);
        sign_and_verify(f.card, "00880000", aut, dec, NULL);
        opgp_close(&f);
        EVP_PKEY_free(dec);
        EVP_PKEY_free(aut);
}

/* Errors around keys: absent keys, wrong P1-P2, no PW3, long input, attributes that delete. */
static void test_key_errors(void **state)
{
        struct opgp_fx f;
        EVP_PKEY *key;

        (void)state;
        assert_int_equal(opgp_open(&f, NULL), 0);
        run_steps(f.card, (const char *const[]){
                              "00478000 02 B600 00 -> 6982", "00478100 02 B600 00 -> 6A88", V81,
                              V82, "002A9E9A 02 0102 00 -> 6A88", "00880000 02 0102 00 -> 6A88",
                              "002A8086 02 0001 00 -> 6A88", V83, "00478200 02 B600 00 -> 6A86",
                              "00478001 02 B600 00 -> 6A86", "00478000 02 B700 00 -> 6A80",
                              "00478000 05 B603840102 00 -> 6A80", "00478000 -> 6700",
                              "002A9E9B 02 0102 00 -> 6A86", "00880100 02 0102 00 -> 6A86", NULL});
        key = generate(f.card, 0xb6, NULL);
        run_steps(f.card,
                  (const char *const[]){
                      V81,
                      /* 103 bytes: more than 40 % of a 2048-bit modulus */
                      "002A9E9A 67 "
                      "0000000000000000000000000000000000000000000000000000000000000000000000000000"
                      "0000000000000000000000000000000000000000000000000000000000000000000000000000"
                      "0000000000000000000000000000000000000000000000000000 00 -> 6700",
                      "002A9E9A -> 6982", V81, "002A9E9A -> 6700",
                      /* the same attributes with another import format keep the key */
                      "00DA00C1 06 010800001102 -> 9000", "0047810000 0002 B600 0000 -> *9000",
                      "00CA00DE00 -> 010102000300 9000",
                      /* other attributes delete it */
                      "00DA00C1 09 132A8648CE3D030107 -> 9000", "00478100 02 B600 00 -> 6A88",
                      "00CA00DE00 -> 010002000300 9000", "00DA00C1 06 010400001100 -> 6A80",
                      "00DA00C1 06 011000002100 -> 6A80", NULL});
        opgp_close(&f);
        EVP_PKEY_free(key);
}

/* RSA 3072: generated once (4096 is pre-made: generation takes seconds). */
static void test_rsa3072(void **state)
{
        struct opgp_fx f;
        EVP_PKEY *dec;

        (void)state;
        assert_int_equal(opgp_open(&f, NULL), 0);
        run_steps(f.card, (const char *const[]){V83, NULL});
        put_attr(f.card, 1, "010C00001100");
        dec = generate(f.card, 0xb8, NULL);
        assert_int_equal(EVP_PKEY_get_bits(dec), 3072);
        run_steps(f.card, (const char *const[]){V82, NULL});
        decipher_check(f.card, dec, NULL);
        EVP_PKEY_free(dec);
        opgp_close(&f);
}

static char *read_file(const char *path)
{
        FILE *fp = fopen(path, "r");
        char *buf = calloc(1, 8192);
        size_t n;

        assert_non_null(fp);
        assert_non_null(buf);
        n = fread(buf, 1, 8191, fp);
        fclose(fp);
        buf[n] = '\0';
        return buf;
}

/*
 * RSA 4096 from a pre-made key: given in the profile for the signature key,
 * imported into the authentication key; 512-byte answers and a 513-byte
 * cryptogram need extended length.
 */
static void test_rsa4096(void **state)
{
        static const char pem_path[] = SCSIM_SOURCE_DIR "/tests/unit/data/openpgp-rsa4096.pem";
        static uint8_t bufs[7][512];
        static char yaml[16384];
        char *pem = read_file(pem_path), *line;
        struct part parts[7];
        BIO *bio = BIO_new_mem_buf(pem, -1);
        EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
        struct opgp_fx f;
        size_t n = 0;

        (void)state;
        assert_non_null(key);
        n += (size_t)snprintf(yaml, sizeof(yaml),
                              "  keys:\n    sig:\n      algorithm: rsa4096\n"
                              "      private_key: |\n");
        for (line = strtok(pem, "\n"); line != NULL; line = strtok(NULL, "\n"))
                n += (size_t)snprintf(yaml + n, sizeof(yaml) - n, "        %s\n", line);
        assert_int_equal(opgp_open(&f, opgp_yaml(yaml)), 0);
        run_steps(f.card,
                  (const char *const[]){"00CA00C100 -> 011000001100 9000",
                                        "00CA00DE00 -> 010202000300 9000", V81, V82, V83, NULL});
        sign_and_verify(f.card, "002A9E9A", key, NULL, NULL);
        put_attr(f.card, 2, "011000001100");
        assert_int_equal(import(f.card, 0xa4, parts, rsa_parts(key, false, bufs, parts)), 0x9000);
        {
                static uint8_t sig[600];
                uint8_t in[64];
                size_t in_len = to_sign(NULL, in), slen = 0;
                /* a short Le cannot hold 512 bytes: 61xx, then extended Le */
                assert_int_equal(opgp_send(f.card, "00880000", in, in_len, false, sig, &slen),
                                 0x6100);
                assert_int_equal(opgp_send(f.card, "00880000", in, in_len, true, sig, &slen),
                                 0x9000);
                assert_int_equal(slen, 512);
                assert_true(verifies(key, NULL, in, in_len, sig, slen));
        }
        run_steps(f.card, (const char *const[]){"002241B8 03 830103 -> 9000", NULL});
        decipher_check(f.card, key, NULL);
        opgp_close(&f);
        EVP_PKEY_free(key);
        BIO_free(bio);
        free(pem);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_generate_sign),  cmocka_unit_test(test_decipher),
            cmocka_unit_test(test_import_rsa),     cmocka_unit_test(test_import_ecc),
            cmocka_unit_test(test_import_chained), cmocka_unit_test(test_mse),
            cmocka_unit_test(test_key_errors),     cmocka_unit_test(test_rsa3072),
            cmocka_unit_test(test_rsa4096),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
