/* SPDX-License-Identifier: MIT */
/* The card's source of randomness: libcrypto, or a seeded stream for reproducible tests. */
#ifndef SCSIM_RANDOM_H
#define SCSIM_RANDOM_H

#include <stddef.h>
#include <stdint.h>

struct evp_cipher_ctx_st;

struct rng {
        struct evp_cipher_ctx_st *stream; /* AES-128-CTR keystream when seeded; NULL: RAND_bytes */
};

int rng_seed(struct rng *rng, const uint8_t *seed, size_t len);
int rng_bytes(struct rng *rng, uint8_t *out, size_t n);
void rng_free(struct rng *rng);

#endif
