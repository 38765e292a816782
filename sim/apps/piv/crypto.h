/* SPDX-License-Identifier: MIT */
/* PIV cryptography on libcrypto: the management key cipher and the asymmetric slot keys. */
#ifndef SCSIM_PIV_CRYPTO_H
#define SCSIM_PIV_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "apdu.h"
#include "apps/piv/profile.h"

/* Symmetric (management key) algorithms: block and key sizes; 0 for others. */
size_t piv_sym_block(enum prof_piv_alg alg);
size_t piv_sym_key_len(enum prof_piv_alg alg);

/* Encrypt n bytes (a multiple of the block size, at most 16) in ECB mode. 0 or -1. */
int piv_sym_encrypt(enum prof_piv_alg alg, const uint8_t *key, const uint8_t *in, size_t n,
                    uint8_t *out);

/*
 * Asymmetric algorithms the card generates: RSA 1024/2048, ECC P-256/P-384;
 * with YubiKey firmware 5.7 also RSA 3072/4096, Ed25519 and X25519.
 */
bool piv_asym_alg(enum prof_piv_alg alg);
bool piv_is_rsa(enum prof_piv_alg alg);
bool piv_is_ec(enum prof_piv_alg alg); /* the NIST curves */
bool piv_is_25519(enum prof_piv_alg alg);
const char *piv_key_type(enum prof_piv_alg alg); /* libcrypto's name: "RSA", "EC", ... */
/* Does the algorithm exist only from YubiKey firmware 5.7.0 on? */
bool piv_alg_needs_57(enum prof_piv_alg alg);
/* The algorithm's name in profiles: "rsa2048", "eccp256", "ed25519", "aes128" ... */
const char *piv_alg_name(enum prof_piv_alg alg);
/* Is key of the type and size alg says? */
bool piv_key_matches(const EVP_PKEY *key, enum prof_piv_alg alg);
/* RSA modulus, EC field or Curve25519 key size in bytes. */
size_t piv_key_size(enum prof_piv_alg alg);

/* A new key pair; NULL on failure. */
EVP_PKEY *piv_generate(enum prof_piv_alg alg);

/*
 * A key from its private components, as IMPORT KEY sends them: RSA p, q,
 * dP, dQ, qInv (public exponent 65537); EC the private scalar; Ed25519 and
 * X25519 the 32-byte private key (in comp[0]). NULL when the components do
 * not make a consistent key of that algorithm.
 */
EVP_PKEY *piv_import(enum prof_piv_alg alg, const uint8_t *const comp[5], const size_t len[5]);

/*
 * The slot's private-key operation. RSA: the raw operation on exactly one
 * modulus-sized block (the client pads, as PIV has it). EC: ECDSA over the
 * given hash, answered DER-encoded. Ed25519: the signature of the message
 * itself. Returns 0, or -1 for input the key refuses (6A80).
 */
int piv_private_op(const EVP_PKEY *key, enum prof_piv_alg alg, const uint8_t *in, size_t n,
                   uint8_t *out, size_t *out_len, size_t cap);

/* ECDH with the peer's uncompressed point (X25519: raw key): the shared secret. 0 or -1. */
int piv_ecdh(const EVP_PKEY *key, enum prof_piv_alg alg, const uint8_t *point, size_t n,
             uint8_t *out, size_t *out_len, size_t cap);

#endif
