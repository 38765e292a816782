/* SPDX-License-Identifier: MIT */
/* At-rest encryption of state images: AES-256-GCM through libcrypto, and the key. */
#ifndef SCSIM_STATE_SEAL_H
#define SCSIM_STATE_SEAL_H

#include <stddef.h>
#include <stdint.h>

#define STATE_KEY_LEN    32
#define STATE_NONCE_LEN  12
#define STATE_TAG_LEN    16
#define STATE_KEY_ID_LEN 8

/*
 * Encrypt len bytes of in into out under key, with a fresh random nonce
 * (written to nonce) and aad authenticated alongside. 0 or -1.
 */
int state_seal(const uint8_t key[STATE_KEY_LEN], const uint8_t *aad, size_t aad_len,
               const uint8_t *in, size_t len, uint8_t nonce[STATE_NONCE_LEN], uint8_t *out,
               uint8_t tag[STATE_TAG_LEN]);

/*
 * Decrypt and authenticate; 0, or -1 when the key, the bytes or aad are not
 * the sealed ones, -2 when libcrypto failed before it could tell (memory).
 */
int state_unseal(const uint8_t key[STATE_KEY_LEN], const uint8_t *aad, size_t aad_len,
                 const uint8_t nonce[STATE_NONCE_LEN], const uint8_t *in, size_t len,
                 const uint8_t tag[STATE_TAG_LEN], uint8_t *out);

/*
 * What a file records of its key: enough to tell a wrong key from damage,
 * nothing of the key. 0, or -1 when libcrypto fails (memory).
 */
int state_key_id(const uint8_t key[STATE_KEY_LEN], uint8_t id[STATE_KEY_ID_LEN]);

/* A key file's contents: 32 bytes, or 64 hex digits and an optional newline. 0 or -1. */
int state_key_parse(const uint8_t *buf, size_t len, uint8_t key[STATE_KEY_LEN]);

#endif
