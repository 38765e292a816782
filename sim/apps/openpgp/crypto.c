/* SPDX-License-Identifier: MIT */
/* OpenPGP card cryptography, all through libcrypto's EVP interfaces (OpenSSL 3). */
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>

#include "apps/openpgp/crypto.h"
#include "pkey.h"
#include "tlv.h"

/* OIDs as the attributes carry them (DER contents, no tag or length). */
static const uint8_t oid_p256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static const uint8_t oid_p384[] = {0x2b, 0x81, 0x04, 0x00, 0x22};
static const uint8_t oid_p521[] = {0x2b, 0x81, 0x04, 0x00, 0x23};
static const uint8_t oid_bp256[] = {0x2b, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x07};
static const uint8_t oid_bp384[] = {0x2b, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0b};
static const uint8_t oid_bp512[] = {0x2b, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0d};
static const uint8_t oid_ed25519[] = {0x2b, 0x06, 0x01, 0x04, 0x01, 0xda, 0x47, 0x0f, 0x01};
static const uint8_t oid_cv25519[] = {0x2b, 0x06, 0x01, 0x04, 0x01, 0x97, 0x55, 0x01, 0x05, 0x01};

#define CURVE(n, g, oid, len, kind)                                                                \
        {                                                                                          \
                n, g, oid, sizeof(oid), len, kind                                                  \
        }
static const struct opgp_curve curves[] = {
    CURVE("nistp256", "prime256v1", oid_p256, 32, CURVE_WEIERSTRASS),
    CURVE("nistp384", "secp384r1", oid_p384, 48, CURVE_WEIERSTRASS),
    CURVE("nistp521", "secp521r1", oid_p521, 66, CURVE_WEIERSTRASS),
    CURVE("brainpoolp256r1", "brainpoolP256r1", oid_bp256, 32, CURVE_WEIERSTRASS),
    CURVE("brainpoolp384r1", "brainpoolP384r1", oid_bp384, 48, CURVE_WEIERSTRASS),
    CURVE("brainpoolp512r1", "brainpoolP512r1", oid_bp512, 64, CURVE_WEIERSTRASS),
    CURVE("ed25519", "ED25519", oid_ed25519, 32, CURVE_EDWARDS),
    CURVE("cv25519", "X25519", oid_cv25519, 32, CURVE_MONTGOMERY),
};
#define NCURVES (sizeof(curves) / sizeof(curves[0]))

static const unsigned rsa_sizes[] = {2048, 3072, 4096};

const struct opgp_curve *opgp_curve_at(size_t i)
{
        return i < NCURVES ? &curves[i] : NULL;
}

bool opgp_curve_available(const struct opgp_curve *curve)
{
        EC_GROUP *g;
        int nid;

        if (curve->kind != CURVE_WEIERSTRASS)
                return true; /* OpenSSL 3 always has the 25519 key types */
        if ((nid = OBJ_sn2nid(curve->group)) == NID_undef)
                return false;
        if ((g = EC_GROUP_new_by_curve_name(nid)) == NULL)
                return false;
        EC_GROUP_free(g);
        return true;
}

static bool curve_allowed(const struct opgp_curve *c, uint8_t algo, enum opgp_key k)
{
        /* 4.4.3.10: ECDH only for decryption; EdDSA only for signing and authentication */
        if (k == OPGP_DEC)
                return algo == OPGP_ALGO_ECDH && c->kind != CURVE_EDWARDS;
        if (algo == OPGP_ALGO_EDDSA)
                return c->kind == CURVE_EDWARDS;
        return algo == OPGP_ALGO_ECDSA && c->kind == CURVE_WEIERSTRASS;
}

static int parse_rsa(const uint8_t *attr, size_t len, struct opgp_alg *out)
{
        unsigned bits, ebits;
        bool size_ok = false;

        if (len != 5 && len != 6)
                return -1;
        bits = (unsigned)(attr[1] << 8 | attr[2]);
        ebits = (unsigned)(attr[3] << 8 | attr[4]);
        for (size_t i = 0; i < sizeof(rsa_sizes) / sizeof(rsa_sizes[0]); i++)
                size_ok = size_ok || rsa_sizes[i] == bits;
        /* e = 65537 needs 17 bits; GnuPG asks for 32 */
        if (!size_ok || ebits < 17 || ebits > 32 || (len == 6 && attr[5] > 0x03))
                return -1;
        out->algo = OPGP_ALGO_RSA;
        out->rsa_bits = bits;
        out->rsa_e_bits = ebits;
        out->rsa_format = len == 6 ? attr[5] : 0x00;
        out->curve = NULL;
        return 0;
}

int opgp_alg_parse(const uint8_t *attr, size_t len, enum opgp_key k, struct opgp_alg *out)
{
        memset(out, 0, sizeof(*out));
        if (len == 0)
                return -1;
        if (attr[0] == OPGP_ALGO_RSA)
                return parse_rsa(attr, len, out);
        if (attr[0] != OPGP_ALGO_ECDH && attr[0] != OPGP_ALGO_ECDSA && attr[0] != OPGP_ALGO_EDDSA)
                return -1;
        for (size_t i = 0; i < NCURVES; i++) {
                const struct opgp_curve *c = &curves[i];
                size_t oid_len = len - 1;
                /* an optional last byte says whether import takes the public key (00 / FF) */
                if (oid_len == c->oid_len + 1 && (attr[len - 1] == 0x00 || attr[len - 1] == 0xff))
                        oid_len--;
                if (oid_len != c->oid_len || memcmp(attr + 1, c->oid, oid_len) != 0)
                        continue;
                if (!curve_allowed(c, attr[0], k) || !opgp_curve_available(c))
                        return -1;
                out->algo = attr[0];
                out->curve = c;
                return 0;
        }
        return -1;
}

int opgp_alg_from_name(const char *name, size_t len, enum opgp_key k, uint8_t *attr,
                       size_t *attr_len)
{
        struct opgp_alg alg;

        memset(&alg, 0, sizeof(alg));
        for (size_t i = 0; i < sizeof(rsa_sizes) / sizeof(rsa_sizes[0]); i++) {
                char rsa[16];
                snprintf(rsa, sizeof(rsa), "rsa%u", rsa_sizes[i]);
                if (strlen(rsa) == len && memcmp(rsa, name, len) == 0) {
                        alg.algo = OPGP_ALGO_RSA;
                        alg.rsa_bits = rsa_sizes[i];
                        alg.rsa_e_bits = 17;
                        *attr_len = opgp_alg_encode(&alg, attr);
                        return 0;
                }
        }
        for (size_t i = 0; i < NCURVES; i++) {
                const struct opgp_curve *c = &curves[i];
                if (strlen(c->name) != len || memcmp(c->name, name, len) != 0)
                        continue;
                alg.curve = c;
                alg.algo = k == OPGP_DEC              ? OPGP_ALGO_ECDH
                           : c->kind == CURVE_EDWARDS ? OPGP_ALGO_EDDSA
                                                      : OPGP_ALGO_ECDSA;
                if (!curve_allowed(c, alg.algo, k) || !opgp_curve_available(c))
                        return -1;
                *attr_len = opgp_alg_encode(&alg, attr);
                return 0;
        }
        return -1;
}

size_t opgp_alg_encode(const struct opgp_alg *alg, uint8_t out[OPGP_ATTR_MAX])
{
        if (alg->algo == OPGP_ALGO_RSA) {
                out[0] = OPGP_ALGO_RSA;
                out[1] = (uint8_t)(alg->rsa_bits >> 8);
                out[2] = (uint8_t)alg->rsa_bits;
                out[3] = (uint8_t)(alg->rsa_e_bits >> 8);
                out[4] = (uint8_t)alg->rsa_e_bits;
                out[5] = alg->rsa_format;
                return 6;
        }
        out[0] = alg->algo;
        memcpy(out + 1, alg->curve->oid, alg->curve->oid_len);
        return 1 + alg->curve->oid_len;
}

const char *opgp_alg_name(const struct opgp_alg *alg)
{
        if (alg->algo != OPGP_ALGO_RSA)
                return alg->curve->name;
        return alg->rsa_bits == 2048 ? "rsa2048" : alg->rsa_bits == 3072 ? "rsa3072" : "rsa4096";
}

EVP_PKEY *opgp_generate(const struct opgp_alg *alg)
{
        return pkey_generate(opgp_key_type(alg), alg->curve != NULL ? alg->curve->group : NULL,
                             alg->rsa_bits);
}

const char *opgp_key_type(const struct opgp_alg *alg)
{
        if (alg->algo == OPGP_ALGO_RSA)
                return "RSA";
        return alg->curve->kind == CURVE_WEIERSTRASS ? "EC" : alg->curve->group;
}

bool opgp_key_fits(const EVP_PKEY *key, const struct opgp_alg *alg)
{
        char group[32];
        size_t glen = 0;

        if (alg->algo == OPGP_ALGO_RSA)
                return EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA &&
                       (unsigned)EVP_PKEY_get_bits(key) == alg->rsa_bits;
        if (alg->curve->kind != CURVE_WEIERSTRASS)
                return EVP_PKEY_is_a(key, alg->curve->group) == 1;
        if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC ||
            EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                           &glen) != 1)
                return false;
        return OBJ_sn2nid(group) == OBJ_sn2nid(alg->curve->group);
}

EVP_PKEY *opgp_import_rsa(const struct opgp_alg *alg, const struct pkey_rsa_parts *parts)
{
        /* OpenPGP's import always carries e */
        if (alg->algo != OPGP_ALGO_RSA || parts->e == NULL)
                return NULL;
        return pkey_rsa_from_parts(parts, alg->rsa_bits);
}

EVP_PKEY *opgp_import_ec(const struct opgp_alg *alg, const uint8_t *d, size_t d_len,
                         const uint8_t *pub, size_t pub_len)
{
        const struct opgp_curve *c = alg->curve;
        uint8_t raw[32], point[1 + 2 * 66];
        EVP_PKEY *key = NULL;
        size_t plen;

        if (c == NULL || d_len == 0 || d_len > c->field_len)
                return NULL;
        if (c->kind == CURVE_WEIERSTRASS) {
                key = pkey_ec_from_scalar(c->group, d, d_len);
        } else {
                /* left-pad to 32 bytes; X25519's native order is little-endian */
                memset(raw, 0, sizeof(raw));
                memcpy(raw + sizeof(raw) - d_len, d, d_len);
                if (c->kind == CURVE_MONTGOMERY)
                        for (size_t i = 0; i < sizeof(raw) / 2; i++) {
                                uint8_t t = raw[i];
                                raw[i] = raw[sizeof(raw) - 1 - i];
                                raw[sizeof(raw) - 1 - i] = t;
                        }
                key = EVP_PKEY_new_raw_private_key_ex(NULL, c->group, NULL, raw, sizeof(raw));
                OPENSSL_cleanse(raw, sizeof(raw));
        }
        if (key == NULL || pub == NULL)
                return key;
        /* a public key given with the private one must be the one it makes */
        plen = pkey_public_point(key, point, sizeof(point));
        if (plen == 0 || plen != pub_len || memcmp(point, pub, plen) != 0) {
                EVP_PKEY_free(key);
                key = NULL;
        }
        return key;
}

static int ecdsa_raw(const uint8_t *der, size_t der_len, size_t field_len, uint8_t *out,
                     size_t *out_len, size_t cap)
{
        const unsigned char *p = der;
        ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
        const BIGNUM *r, *s;
        int ok = -1;

        if (sig == NULL || cap < 2 * field_len)
                goto fail;
        ECDSA_SIG_get0(sig, &r, &s);
        if (BN_bn2binpad(r, out, (int)field_len) < 0 ||
            BN_bn2binpad(s, out + field_len, (int)field_len) < 0)
                goto fail;
        *out_len = 2 * field_len;
        ok = 0;
fail:
        ECDSA_SIG_free(sig);
        return ok;
}

int opgp_sign(const EVP_PKEY *key, const struct opgp_alg *alg, const uint8_t *in, size_t n,
              uint8_t *out, size_t *out_len, size_t cap)
{
        EVP_PKEY_CTX *ctx = NULL;
        uint8_t der[160];
        size_t len;
        int ok = -1;

        *out_len = 0;
        if (n == 0 || alg->algo == OPGP_ALGO_ECDH)
                return -1;
        if (alg->algo == OPGP_ALGO_EDDSA)
                return pkey_sign_message(key, in, n, out, out_len, cap);
        if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, (EVP_PKEY *)(uintptr_t)key, NULL)) == NULL ||
            EVP_PKEY_sign_init(ctx) != 1)
                goto fail;
        if (alg->algo == OPGP_ALGO_RSA) {
                /* no digest set: the input is the DigestInfo, padded as it is */
                len = cap;
                if (EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1 ||
                    EVP_PKEY_sign(ctx, out, &len, in, n) != 1)
                        goto fail;
                *out_len = len;
                ok = 0;
        } else {
                /* a hash longer than the order is truncated, as FIPS 186 has it */
                len = sizeof(der);
                if (EVP_PKEY_sign(ctx, der, &len, in, n) != 1)
                        goto fail;
                ok = ecdsa_raw(der, len, alg->curve->field_len, out, out_len, cap);
        }
fail:
        EVP_PKEY_CTX_free(ctx);
        return ok;
}

int opgp_rsa_decrypt(const EVP_PKEY *key, const uint8_t *in, size_t n, uint8_t *out,
                     size_t *out_len, size_t cap)
{
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, (EVP_PKEY *)(uintptr_t)key, NULL);
        size_t len = cap;
        int ok = -1;

        *out_len = 0;
        if (ctx == NULL || n != (size_t)EVP_PKEY_get_size(key) || EVP_PKEY_decrypt_init(ctx) != 1 ||
            EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1 ||
            EVP_PKEY_decrypt(ctx, out, &len, in, n) != 1)
                goto fail;
        *out_len = len;
        ok = 0;
fail:
        EVP_PKEY_CTX_free(ctx);
        return ok;
}

/* The peer's public key on the card key's curve. */
static EVP_PKEY *peer_key(const struct opgp_curve *c, const uint8_t *point, size_t n)
{
        if (c->kind == CURVE_MONTGOMERY)
                return n == c->field_len
                           ? EVP_PKEY_new_raw_public_key_ex(NULL, c->group, NULL, point, n)
                           : NULL;
        return n == 1 + 2 * c->field_len ? pkey_ec_public(c->group, point, n) : NULL;
}

int opgp_ecdh(const EVP_PKEY *key, const struct opgp_alg *alg, const uint8_t *point, size_t n,
              uint8_t *out, size_t *out_len, size_t cap)
{
        EVP_PKEY *peer = NULL;
        int ok = -1;

        *out_len = 0;
        /* a point off the curve fails in either: 6A80 */
        if (alg->algo == OPGP_ALGO_ECDH && (peer = peer_key(alg->curve, point, n)) != NULL)
                ok = pkey_derive(key, peer, out, out_len, cap);
        EVP_PKEY_free(peer);
        return ok;
}
