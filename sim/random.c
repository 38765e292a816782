/* SPDX-License-Identifier: MIT */
/*
 * Randomness for challenges. By default libcrypto's RAND_bytes. A test seed
 * switches to AES-128-CTR keyed by SHA-256(seed): same seed, same challenges.
 */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "random.h"

void rng_free(struct rng *rng)
{
        EVP_CIPHER_CTX_free(rng->stream);
        rng->stream = NULL;
}

int rng_seed(struct rng *rng, const uint8_t *seed, size_t len)
{
        uint8_t digest[SHA256_DIGEST_LENGTH];
        EVP_CIPHER_CTX *ctx = NULL;
        int ok = -1;

        rng_free(rng);
        if (seed == NULL || len == 0)
                return 0;
        if (SHA256(seed, len, digest) == NULL)
                goto fail;
        if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
                goto fail;
        /* key = first half of the digest, initial counter = second half */
        if (EVP_EncryptInit_ex(ctx, EVP_aes_128_ctr(), NULL, digest, digest + 16) != 1)
                goto fail;
        rng->stream = ctx;
        ctx = NULL;
        ok = 0;
fail:
        EVP_CIPHER_CTX_free(ctx);
        OPENSSL_cleanse(digest, sizeof(digest));
        return ok;
}

int rng_bytes(struct rng *rng, uint8_t *out, size_t n)
{
        int outl = 0;

        if (n > 1024)
                return -1;
        if (rng->stream == NULL)
                return RAND_bytes(out, (int)n) == 1 ? 0 : -1;
        memset(out, 0, n);
        if (EVP_EncryptUpdate(rng->stream, out, &outl, out, (int)n) != 1 || (size_t)outl != n)
                return -1;
        return 0;
}
