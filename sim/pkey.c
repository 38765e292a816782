/* SPDX-License-Identifier: MIT */
/* Private keys: from DER by their type's decoder alone, and PureEdDSA signatures. */
#include <stdint.h>

#include <openssl/decoder.h>
#include <openssl/evp.h>

#include "pkey.h"

EVP_PKEY *pkey_from_der(const char *type, const uint8_t *der, size_t len)
{
        EVP_PKEY *key = NULL;
        OSSL_DECODER_CTX *dctx =
            OSSL_DECODER_CTX_new_for_pkey(&key, "DER", NULL, type, EVP_PKEY_KEYPAIR, NULL, NULL);
        const unsigned char *p = der;
        size_t left = len;

        /* what the decoder leaves unread is not part of the key: refused */
        if (dctx == NULL || len == 0 || OSSL_DECODER_from_data(dctx, &p, &left) != 1 || left != 0) {
                EVP_PKEY_free(key);
                key = NULL;
        }
        OSSL_DECODER_CTX_free(dctx);
        return key;
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
