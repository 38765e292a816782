/* SPDX-License-Identifier: MIT */
/* Private keys as every application keeps them: read back from DER, and one-pass signatures. */
#ifndef SCSIM_PKEY_H
#define SCSIM_PKEY_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

/*
 * The private key of type ("RSA", "EC", "ED25519", "X25519") that der holds
 * in all of its len bytes (PKCS#8 or the type's own form); NULL for anything
 * else. Naming the type spares libcrypto 3.0 trying each of its decoders in
 * turn: a quarter of the time of d2i_AutoPrivateKey.
 */
EVP_PKEY *pkey_from_der(const char *type, const uint8_t *der, size_t len);

/* A signature over the message itself, in one pass (Ed25519): 0, or -1 and *out_len unset. */
int pkey_sign_message(const EVP_PKEY *key, const uint8_t *in, size_t n, uint8_t *out,
                      size_t *out_len, size_t cap);

#endif
