/* SPDX-License-Identifier: MIT */
/* Private keys as every application keeps them: read back from DER, and one-pass signatures. */
#ifndef SCSIM_PKEY_H
#define SCSIM_PKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

struct rbuf;

/*
 * The private key of type ("RSA", "EC", "ED25519", "X25519": a string that
 * lives as long as the program) that der holds in all of its len bytes
 * (PKCS#8 or the type's own form); NULL for anything else. Naming the type
 * spares libcrypto 3.0 trying each of its decoders in turn (a quarter of the
 * time of d2i_AutoPrivateKey), and each thread keeps its decoders (a tenth).
 */
EVP_PKEY *pkey_from_der(const char *type, const uint8_t *der, size_t len);

/* A signature over the message itself, in one pass (Ed25519): 0, or -1 and *out_len unset. */
int pkey_sign_message(const EVP_PKEY *key, const uint8_t *in, size_t n, uint8_t *out,
                      size_t *out_len, size_t cap);

/*
 * A new key pair of type: "RSA" of rsa_bits, "EC" on group (libcrypto's
 * name: "prime256v1", "secp384r1", "brainpoolP256r1" ...), "ED25519",
 * "X25519". NULL on failure.
 */
EVP_PKEY *pkey_generate(const char *type, const char *group, size_t rsa_bits);

/*
 * The parts of an RSA private key as cards receive them (big-endian). e
 * NULL means 65537; n, dp, dq and qinv are optional, and when given must be
 * what p, q and e make. Both primes are needed.
 */
struct pkey_rsa_parts {
        const uint8_t *e, *p, *q, *n, *dp, *dq, *qinv;
        size_t e_len, p_len, q_len, n_len, dp_len, dq_len, qinv_len;
};
/* The key of exactly bits the parts make, pairwise checked; NULL when they make none. */
EVP_PKEY *pkey_rsa_from_parts(const struct pkey_rsa_parts *parts, size_t bits);
/* The EC key on group whose private scalar is d (big-endian, 0 < d < order); NULL otherwise. */
EVP_PKEY *pkey_ec_from_scalar(const char *group, const uint8_t *d, size_t len);
/* A peer's public key on group from its uncompressed point (04 X Y), for key agreement. */
EVP_PKEY *pkey_ec_public(const char *group, const uint8_t *point, size_t len);

/* Key agreement of key with peer's public key into out (cap bytes): 0, or -1. */
int pkey_derive(const EVP_PKEY *key, const EVP_PKEY *peer, uint8_t *out, size_t *out_len,
                size_t cap);

/*
 * The public key as a card's 7F49 template holds it: 81 modulus and 82
 * exponent for RSA; 86 the point, uncompressed (04 X Y) on an EC curve, the
 * raw 32 bytes for Ed25519 and X25519. false when r has no room or libcrypto fails.
 */
bool pkey_put_public(struct rbuf *r, const EVP_PKEY *key);
/* Its public point as 86 carries it into out (cap bytes): its length, or 0. */
size_t pkey_public_point(const EVP_PKEY *key, uint8_t *out, size_t cap);

#endif
