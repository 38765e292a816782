/* SPDX-License-Identifier: MIT */
/* PIV cryptography, all through libcrypto's EVP interfaces (OpenSSL 3). */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include "apps/piv/crypto.h"
#include "pkey.h"
#include "tlv.h"

size_t piv_sym_block(enum prof_piv_alg alg)
{
        switch (alg) {
        case PROF_PIV_3DES:
                return 8;
        case PROF_PIV_AES128:
        case PROF_PIV_AES192:
        case PROF_PIV_AES256:
                return 16;
        default:
                return 0;
        }
}

size_t piv_sym_key_len(enum prof_piv_alg alg)
{
        switch (alg) {
        case PROF_PIV_3DES:
                return 24;
        case PROF_PIV_AES128:
                return 16;
        case PROF_PIV_AES192:
                return 24;
        case PROF_PIV_AES256:
                return 32;
        default:
                return 0;
        }
}

static const EVP_CIPHER *sym_cipher(enum prof_piv_alg alg)
{
        switch (alg) {
        case PROF_PIV_3DES:
                return EVP_des_ede3_ecb();
        case PROF_PIV_AES128:
                return EVP_aes_128_ecb();
        case PROF_PIV_AES192:
                return EVP_aes_192_ecb();
        case PROF_PIV_AES256:
                return EVP_aes_256_ecb();
        default:
                return NULL;
        }
}

int piv_sym_encrypt(enum prof_piv_alg alg, const uint8_t *key, const uint8_t *in, size_t n,
                    uint8_t *out)
{
        const EVP_CIPHER *cipher = sym_cipher(alg);
        EVP_CIPHER_CTX *ctx = NULL;
        size_t block = piv_sym_block(alg);
        int len = 0, ok = -1;

        if (cipher == NULL || n == 0 || n > 16 || n % block != 0)
                goto fail;
        if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
                goto fail;
        if (EVP_EncryptInit_ex(ctx, cipher, NULL, key, NULL) != 1 ||
            EVP_CIPHER_CTX_set_padding(ctx, 0) != 1 ||
            EVP_EncryptUpdate(ctx, out, &len, in, (int)n) != 1 || (size_t)len != n)
                goto fail;
        ok = 0;
fail:
        EVP_CIPHER_CTX_free(ctx);
        return ok;
}

bool piv_asym_alg(enum prof_piv_alg alg)
{
        return piv_is_rsa(alg) || piv_is_ec(alg) || piv_is_25519(alg);
}

bool piv_is_rsa(enum prof_piv_alg alg)
{
        return alg == PROF_PIV_RSA1024 || alg == PROF_PIV_RSA2048 || alg == PROF_PIV_RSA3072 ||
               alg == PROF_PIV_RSA4096;
}

bool piv_is_ec(enum prof_piv_alg alg)
{
        return alg == PROF_PIV_ECCP256 || alg == PROF_PIV_ECCP384;
}

bool piv_is_25519(enum prof_piv_alg alg)
{
        return alg == PROF_PIV_ED25519 || alg == PROF_PIV_X25519;
}

bool piv_alg_needs_57(enum prof_piv_alg alg)
{
        return alg == PROF_PIV_RSA3072 || alg == PROF_PIV_RSA4096 || piv_is_25519(alg);
}

const char *piv_alg_name(enum prof_piv_alg alg)
{
        switch (alg) {
        case PROF_PIV_3DES:
                return "3des";
        case PROF_PIV_AES128:
                return "aes128";
        case PROF_PIV_AES192:
                return "aes192";
        case PROF_PIV_AES256:
                return "aes256";
        case PROF_PIV_RSA1024:
                return "rsa1024";
        case PROF_PIV_RSA2048:
                return "rsa2048";
        case PROF_PIV_RSA3072:
                return "rsa3072";
        case PROF_PIV_RSA4096:
                return "rsa4096";
        case PROF_PIV_ECCP256:
                return "eccp256";
        case PROF_PIV_ECCP384:
                return "eccp384";
        case PROF_PIV_ED25519:
                return "ed25519";
        case PROF_PIV_X25519:
                return "x25519";
        }
        return "?";
}

bool piv_key_matches(const EVP_PKEY *key, enum prof_piv_alg alg)
{
        char group[32];
        size_t glen = 0;

        if (piv_is_rsa(alg))
                return EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA &&
                       (size_t)EVP_PKEY_get_bits(key) == piv_key_size(alg) * 8;
        if (piv_is_25519(alg))
                return EVP_PKEY_get_base_id(key) ==
                       (alg == PROF_PIV_ED25519 ? EVP_PKEY_ED25519 : EVP_PKEY_X25519);
        if (!piv_is_ec(alg) || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC ||
            EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                           &glen) != 1)
                return false;
        return strcmp(group, alg == PROF_PIV_ECCP256 ? "prime256v1" : "secp384r1") == 0;
}

const char *piv_key_type(enum prof_piv_alg alg)
{
        if (piv_is_rsa(alg))
                return "RSA";
        if (piv_is_25519(alg))
                return alg == PROF_PIV_ED25519 ? "ED25519" : "X25519";
        return "EC";
}

size_t piv_key_size(enum prof_piv_alg alg)
{
        switch (alg) {
        case PROF_PIV_RSA1024:
                return 128;
        case PROF_PIV_RSA2048:
                return 256;
        case PROF_PIV_RSA3072:
                return 384;
        case PROF_PIV_RSA4096:
                return 512;
        case PROF_PIV_ECCP256:
        case PROF_PIV_ED25519:
        case PROF_PIV_X25519:
                return 32;
        case PROF_PIV_ECCP384:
                return 48;
        default:
                return 0;
        }
}

static const char *curve_name(enum prof_piv_alg alg)
{
        return alg == PROF_PIV_ECCP256 ? "P-256" : "P-384";
}

/* libcrypto's name of the key type. */
static const char *type_name(enum prof_piv_alg alg)
{
        if (piv_is_ec(alg))
                return "EC";
        if (piv_is_25519(alg))
                return alg == PROF_PIV_ED25519 ? "ED25519" : "X25519";
        return "RSA";
}

EVP_PKEY *piv_generate(enum prof_piv_alg alg)
{
        EVP_PKEY_CTX *ctx = NULL;
        EVP_PKEY *key = NULL;
        OSSL_PARAM params[2];
        size_t bits = piv_key_size(alg) * 8;
        char *curve = (char *)(uintptr_t)curve_name(alg);

        if (!piv_asym_alg(alg))
                return NULL;
        ctx = EVP_PKEY_CTX_new_from_name(NULL, type_name(alg), NULL);
        if (ctx == NULL || EVP_PKEY_keygen_init(ctx) != 1)
                goto fail;
        if (piv_is_ec(alg))
                params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, curve, 0);
        else if (piv_is_rsa(alg))
                params[0] = OSSL_PARAM_construct_size_t(OSSL_PKEY_PARAM_RSA_BITS, &bits);
        else
                params[0] = OSSL_PARAM_construct_end();
        params[1] = OSSL_PARAM_construct_end();
        if (EVP_PKEY_CTX_set_params(ctx, params) != 1 || EVP_PKEY_generate(ctx, &key) != 1) {
                EVP_PKEY_free(key);
                key = NULL;
        }
fail:
        EVP_PKEY_CTX_free(ctx);
        return key;
}

static EVP_PKEY *from_params(const char *type, OSSL_PARAM_BLD *bld)
{
        OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL), *check = NULL;
        EVP_PKEY *key = NULL;

        if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
            EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_KEYPAIR, params) != 1)
                goto fail;
        /* the parts must belong together: a key that fails its pairwise check is refused */
        if ((check = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL)) == NULL ||
            EVP_PKEY_pairwise_check(check) != 1) {
                EVP_PKEY_free(key);
                key = NULL;
        }
fail:
        EVP_PKEY_CTX_free(check);
        EVP_PKEY_CTX_free(ctx);
        OSSL_PARAM_free(params);
        return key;
}

static EVP_PKEY *import_rsa(const uint8_t *const comp[5], const size_t len[5], size_t bits)
{
        BIGNUM *bn[5] = {NULL}, *n = BN_new(), *e = BN_new(), *d = BN_new(), *p1 = BN_new(),
               *q1 = BN_new(), *phi = BN_new();
        BN_CTX *bctx = BN_CTX_new();
        OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
        EVP_PKEY *key = NULL;

        if (n == NULL || e == NULL || d == NULL || p1 == NULL || q1 == NULL || phi == NULL ||
            bctx == NULL || bld == NULL)
                goto fail;
        for (int i = 0; i < 5; i++)
                if ((bn[i] = BN_bin2bn(comp[i], (int)len[i], NULL)) == NULL)
                        goto fail;
        /* n = pq, e = 65537, d = e^-1 mod (p-1)(q-1) */
        if (BN_mul(n, bn[0], bn[1], bctx) != 1 || (size_t)BN_num_bits(n) != bits ||
            BN_set_word(e, 65537) != 1 || BN_sub(p1, bn[0], BN_value_one()) != 1 ||
            BN_sub(q1, bn[1], BN_value_one()) != 1 || BN_mul(phi, p1, q1, bctx) != 1 ||
            BN_mod_inverse(d, e, phi, bctx) == NULL)
                goto fail;
        if (OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
            OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1 ||
            OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, d) != 1 ||
            OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR1, bn[0]) != 1 ||
            OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR2, bn[1]) != 1 ||
            OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT1, bn[2]) != 1 ||
            OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT2, bn[3]) != 1 ||
            OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, bn[4]) != 1)
                goto fail;
        key = from_params("RSA", bld);
fail:
        for (int i = 0; i < 5; i++)
                BN_clear_free(bn[i]);
        BN_free(n);
        BN_free(e);
        BN_clear_free(d);
        BN_clear_free(p1);
        BN_clear_free(q1);
        BN_clear_free(phi);
        BN_CTX_free(bctx);
        OSSL_PARAM_BLD_free(bld);
        return key;
}

static EVP_PKEY *import_ec(enum prof_piv_alg alg, const uint8_t *scalar, size_t len)
{
        EC_GROUP *group = EC_GROUP_new_by_curve_name(alg == PROF_PIV_ECCP256 ? NID_X9_62_prime256v1
                                                                             : NID_secp384r1);
        EC_POINT *pub = NULL;
        BIGNUM *priv = BN_bin2bn(scalar, (int)len, NULL);
        OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
        uint8_t point[1 + 2 * 48];
        size_t plen;
        EVP_PKEY *key = NULL;

        if (group == NULL || priv == NULL || bld == NULL || len != piv_key_size(alg) ||
            BN_is_zero(priv) || BN_cmp(priv, EC_GROUP_get0_order(group)) >= 0)
                goto fail;
        /* the public point is the scalar times the generator */
        if ((pub = EC_POINT_new(group)) == NULL ||
            EC_POINT_mul(group, pub, priv, NULL, NULL, NULL) != 1 ||
            (plen = EC_POINT_point2oct(group, pub, POINT_CONVERSION_UNCOMPRESSED, point,
                                       sizeof(point), NULL)) == 0)
                goto fail;
        if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, curve_name(alg), 0) !=
                1 ||
            OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv) != 1 ||
            OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, plen) != 1)
                goto fail;
        key = from_params("EC", bld);
fail:
        EC_POINT_free(pub);
        BN_clear_free(priv);
        EC_GROUP_free(group);
        OSSL_PARAM_BLD_free(bld);
        return key;
}

EVP_PKEY *piv_import(enum prof_piv_alg alg, const uint8_t *const comp[5], const size_t len[5])
{
        if (piv_is_ec(alg))
                return comp[0] != NULL ? import_ec(alg, comp[0], len[0]) : NULL;
        if (piv_is_25519(alg))
                return comp[0] != NULL && len[0] == piv_key_size(alg)
                           ? EVP_PKEY_new_raw_private_key_ex(NULL, type_name(alg), NULL, comp[0],
                                                             len[0])
                           : NULL;
        if (!piv_is_rsa(alg))
                return NULL;
        for (int i = 0; i < 5; i++)
                if (comp[i] == NULL || len[i] == 0 || len[i] > piv_key_size(alg))
                        return NULL;
        return import_rsa(comp, len, piv_key_size(alg) * 8);
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

bool piv_put_public(struct rbuf *r, const EVP_PKEY *key, enum prof_piv_alg alg)
{
        uint8_t point[1 + 2 * 66];
        size_t len = sizeof(point);

        if (piv_is_rsa(alg))
                return put_bn(r, 0x81, key, OSSL_PKEY_PARAM_RSA_N) &&
                       put_bn(r, 0x82, key, OSSL_PKEY_PARAM_RSA_E);
        if (piv_is_25519(alg))
                return EVP_PKEY_get_raw_public_key(key, point, &len) == 1 &&
                       tlv_put(r, 0x86, point, len);
        len = 0;
        if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point,
                                            sizeof(point), &len) != 1)
                return false;
        return tlv_put(r, 0x86, point, len);
}

int piv_private_op(const EVP_PKEY *key, enum prof_piv_alg alg, const uint8_t *in, size_t n,
                   uint8_t *out, size_t *out_len, size_t cap)
{
        EVP_PKEY_CTX *ctx = NULL;
        size_t len = cap;
        int ok = -1;

        *out_len = 0;
        if (alg == PROF_PIV_ED25519)
                return pkey_sign_message(key, in, n, out, out_len, cap); /* PureEdDSA, as 5.7 */
        if (alg == PROF_PIV_X25519) /* agreement only: 85, never 81 */
                return -1;
        if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, (EVP_PKEY *)(uintptr_t)key, NULL)) == NULL)
                goto fail;
        if (piv_is_ec(alg)) {
                /* the hash, truncated or left-padded by the client to the field size */
                if (n == 0 || n > piv_key_size(alg) || EVP_PKEY_sign_init(ctx) != 1 ||
                    EVP_PKEY_sign(ctx, out, &len, in, n) != 1)
                        goto fail;
        } else {
                /* m^d mod n on a block the client padded: both signing and decryption */
                if (n != piv_key_size(alg) || EVP_PKEY_decrypt_init(ctx) != 1 ||
                    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) != 1 ||
                    EVP_PKEY_decrypt(ctx, out, &len, in, n) != 1)
                        goto fail;
        }
        *out_len = len;
        ok = 0;
fail:
        EVP_PKEY_CTX_free(ctx);
        return ok;
}

/*
 * The peer's public key: its uncompressed point on the slot key's curve, or
 * for X25519 its 32 raw bytes.
 */
static EVP_PKEY *peer_key(enum prof_piv_alg alg, const uint8_t *point, size_t n)
{
        OSSL_PARAM_BLD *bld = NULL;
        OSSL_PARAM *params = NULL;
        EVP_PKEY_CTX *ctx = NULL;
        EVP_PKEY *peer = NULL;

        if (alg == PROF_PIV_X25519)
                return n == piv_key_size(alg)
                           ? EVP_PKEY_new_raw_public_key_ex(NULL, "X25519", NULL, point, n)
                           : NULL;
        if ((bld = OSSL_PARAM_BLD_new()) == NULL || n != 1 + 2 * piv_key_size(alg) ||
            point[0] != 0x04)
                goto fail;
        if (OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, curve_name(alg), 0) !=
                1 ||
            OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, n) != 1 ||
            (params = OSSL_PARAM_BLD_to_param(bld)) == NULL)
                goto fail;
        if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
            EVP_PKEY_fromdata_init(ctx) != 1 ||
            EVP_PKEY_fromdata(ctx, &peer, EVP_PKEY_PUBLIC_KEY, params) != 1)
                peer = NULL;
fail:
        EVP_PKEY_CTX_free(ctx);
        OSSL_PARAM_free(params);
        OSSL_PARAM_BLD_free(bld);
        return peer;
}

int piv_ecdh(const EVP_PKEY *key, enum prof_piv_alg alg, const uint8_t *point, size_t n,
             uint8_t *out, size_t *out_len, size_t cap)
{
        EVP_PKEY_CTX *ctx = NULL;
        EVP_PKEY *peer = NULL;
        size_t len = cap;
        int ok = -1;

        *out_len = 0;
        if ((!piv_is_ec(alg) && alg != PROF_PIV_X25519) || (peer = peer_key(alg, point, n)) == NULL)
                goto fail;
        /* a point off the curve fails here or in fromdata: either way 6A80 */
        if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, (EVP_PKEY *)(uintptr_t)key, NULL)) == NULL ||
            EVP_PKEY_derive_init(ctx) != 1 || EVP_PKEY_derive_set_peer(ctx, peer) != 1 ||
            EVP_PKEY_derive(ctx, out, &len) != 1)
                goto fail;
        *out_len = len;
        ok = 0;
fail:
        EVP_PKEY_CTX_free(ctx);
        EVP_PKEY_free(peer);
        return ok;
}
