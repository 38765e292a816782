/* SPDX-License-Identifier: MIT */
/* PIV cryptography, all through libcrypto's EVP interfaces (OpenSSL 3). */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
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

/* libcrypto's name of the curve of an EC algorithm. */
static const char *curve_name(enum prof_piv_alg alg)
{
        return alg == PROF_PIV_ECCP256 ? "prime256v1" : "secp384r1";
}

EVP_PKEY *piv_generate(enum prof_piv_alg alg)
{
        if (!piv_asym_alg(alg))
                return NULL;
        return pkey_generate(piv_key_type(alg), curve_name(alg), piv_key_size(alg) * 8);
}

EVP_PKEY *piv_import(enum prof_piv_alg alg, const uint8_t *const comp[5], const size_t len[5])
{
        struct pkey_rsa_parts rsa = {0}; /* e: 65537, the one exponent YubiKeys import */

        if (piv_is_ec(alg))
                return comp[0] != NULL && len[0] == piv_key_size(alg)
                           ? pkey_ec_from_scalar(curve_name(alg), comp[0], len[0])
                           : NULL;
        if (piv_is_25519(alg))
                return comp[0] != NULL && len[0] == piv_key_size(alg)
                           ? EVP_PKEY_new_raw_private_key_ex(NULL, piv_key_type(alg), NULL, comp[0],
                                                             len[0])
                           : NULL;
        if (!piv_is_rsa(alg))
                return NULL;
        for (int i = 0; i < 5; i++)
                if (comp[i] == NULL || len[i] == 0 || len[i] > piv_key_size(alg))
                        return NULL;
        /* 01 p, 02 q, 03 dp, 04 dq, 05 qinv: the last three must be what p and q make */
        rsa.p = comp[0];
        rsa.p_len = len[0];
        rsa.q = comp[1];
        rsa.q_len = len[1];
        rsa.dp = comp[2];
        rsa.dp_len = len[2];
        rsa.dq = comp[3];
        rsa.dq_len = len[3];
        rsa.qinv = comp[4];
        rsa.qinv_len = len[4];
        return pkey_rsa_from_parts(&rsa, piv_key_size(alg) * 8);
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
        if (alg == PROF_PIV_X25519)
                return n == piv_key_size(alg)
                           ? EVP_PKEY_new_raw_public_key_ex(NULL, "X25519", NULL, point, n)
                           : NULL;
        return n == 1 + 2 * piv_key_size(alg) ? pkey_ec_public(curve_name(alg), point, n) : NULL;
}

int piv_ecdh(const EVP_PKEY *key, enum prof_piv_alg alg, const uint8_t *point, size_t n,
             uint8_t *out, size_t *out_len, size_t cap)
{
        EVP_PKEY *peer = NULL;
        int ok = -1;

        *out_len = 0;
        /* a point off the curve fails in either: 6A80 */
        if ((piv_is_ec(alg) || alg == PROF_PIV_X25519) && (peer = peer_key(alg, point, n)) != NULL)
                ok = pkey_derive(key, peer, out, out_len, cap);
        EVP_PKEY_free(peer);
        return ok;
}
