/* SPDX-License-Identifier: MIT */
/* OpenPGP card cryptography on libcrypto: algorithm attributes, key pairs, the private-key
 * operations. */
#ifndef SCSIM_OPENPGP_CRYPTO_H
#define SCSIM_OPENPGP_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "apdu.h"
#include "pkey.h"

/* Algorithm IDs of the attributes' first byte (RFC 4880 public-key algorithm numbers). */
#define OPGP_ALGO_RSA   0x01
#define OPGP_ALGO_ECDH  0x12
#define OPGP_ALGO_ECDSA 0x13
#define OPGP_ALGO_EDDSA 0x16

#define OPGP_ATTR_MAX 16  /* algorithm attributes: ID, OID of up to 10 bytes, format byte */
#define OPGP_OP_MAX   512 /* the largest answer of a private-key operation (RSA 4096) */

/* The three keys, by their position in C1..C3, C5, CD, DE. */
enum opgp_key { OPGP_SIG, OPGP_DEC, OPGP_AUT, OPGP_NKEYS };

enum opgp_curve_kind { CURVE_WEIERSTRASS, CURVE_EDWARDS, CURVE_MONTGOMERY };

struct opgp_curve {
        const char *name;  /* as profiles write it: nistp256, ed25519, cv25519 ... */
        const char *group; /* libcrypto's name of the group or key type */
        const uint8_t *oid;
        size_t oid_len;
        size_t field_len; /* bytes of a coordinate, a scalar, r or s */
        enum opgp_curve_kind kind;
};

/* Algorithm attributes (DO C1..C3), decoded. */
struct opgp_alg {
        uint8_t algo;                   /* OPGP_ALGO_* */
        unsigned rsa_bits;              /* RSA: modulus size */
        unsigned rsa_e_bits;            /* RSA: public exponent size the client uses on import */
        uint8_t rsa_format;             /* RSA: import format, 00 standard .. 03 CRT with n */
        const struct opgp_curve *curve; /* ECC; NULL for RSA */
};

/* Curves in the order the algorithm information DO lists them; NULL past the end. */
const struct opgp_curve *opgp_curve_at(size_t i);
/* Does this libcrypto know the curve (brainpool is optional in builds)? */
bool opgp_curve_available(const struct opgp_curve *curve);

/*
 * Decode algorithm attributes for key k: RSA 2048/3072/4096, ECDSA or EdDSA
 * for signing and authentication, ECDH for decryption, on a curve this
 * libcrypto has. Returns 0, or -1 for attributes the card does not support.
 */
int opgp_alg_parse(const uint8_t *attr, size_t len, enum opgp_key k, struct opgp_alg *out);
/* The attributes for a profile's algorithm name (rsa2048 ... cv25519) on key k; 0 or -1. */
int opgp_alg_from_name(const char *name, size_t len, enum opgp_key k, uint8_t *attr,
                       size_t *attr_len);
/* The canonical attributes of an algorithm, as the algorithm information DO lists them. */
size_t opgp_alg_encode(const struct opgp_alg *alg, uint8_t out[OPGP_ATTR_MAX]);
/* "rsa2048", "nistp256" ...: for messages and the profile printer. */
const char *opgp_alg_name(const struct opgp_alg *alg);

/* A new key pair of the algorithm; NULL on failure. */
EVP_PKEY *opgp_generate(const struct opgp_alg *alg);
/* Does key have the algorithm's type and size? */
bool opgp_key_fits(const EVP_PKEY *key, const struct opgp_alg *alg);
/* libcrypto's name of the key type alg uses: "RSA", "EC", "ED25519" or "X25519" */
const char *opgp_key_type(const struct opgp_alg *alg);

/* RSA key parts from an import template; any of dp, dq, qinv, n may be absent (NULL). */
/* The key the parts make, or NULL when they do not make a consistent key of that size. */
EVP_PKEY *opgp_import_rsa(const struct opgp_alg *alg, const struct pkey_rsa_parts *parts);
/*
 * An ECC key from its private scalar (big-endian, as GnuPG sends it; for
 * Curve25519 the card reverses it into X25519's native little-endian) and,
 * when given, the public key it must match. NULL when inconsistent.
 */
EVP_PKEY *opgp_import_ec(const struct opgp_alg *alg, const uint8_t *d, size_t d_len,
                         const uint8_t *pub, size_t pub_len);

/*
 * A signature: RSA pads the given DigestInfo with PKCS #1 v1.5 type 1;
 * ECDSA signs the given hash and answers r || s; EdDSA signs the given
 * bytes. Returns 0, or -1 for input the key refuses (6A80 or 6700).
 */
int opgp_sign(const EVP_PKEY *key, const struct opgp_alg *alg, const uint8_t *in, size_t n,
              uint8_t *out, size_t *out_len, size_t cap);
/* RSA decryption of exactly one modulus-sized cryptogram, PKCS #1 v1.5 padding removed. */
int opgp_rsa_decrypt(const EVP_PKEY *key, const uint8_t *in, size_t n, uint8_t *out,
                     size_t *out_len, size_t cap);
/* ECDH with the peer's public key (04 X Y, or 32 raw bytes): the shared secret's X. */
int opgp_ecdh(const EVP_PKEY *key, const struct opgp_alg *alg, const uint8_t *point, size_t n,
              uint8_t *out, size_t *out_len, size_t cap);

#endif
