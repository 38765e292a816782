/* SPDX-License-Identifier: MIT */
/* AES-256-GCM for state images (libcrypto EVP), the key's identifier and the key file. */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <scsim/err.h>
#include <scsim/state.h>

#include "state/file.h"
#include "state/seal.h"

/* A random 96-bit nonce per write: far fewer writes than the 2^32 GCM allows under one key. */
int state_seal(const uint8_t key[STATE_KEY_LEN], const uint8_t *aad, size_t aad_len,
               const uint8_t *in, size_t len, uint8_t nonce[STATE_NONCE_LEN], uint8_t *out,
               uint8_t tag[STATE_TAG_LEN])
{
        EVP_CIPHER_CTX *ctx = NULL;
        int n = 0, ok = -1;

        if (len > INT_MAX || aad_len > INT_MAX || RAND_bytes(nonce, STATE_NONCE_LEN) != 1)
                return -1;
        if ((ctx = EVP_CIPHER_CTX_new()) == NULL ||
            EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, nonce) != 1 ||
            EVP_EncryptUpdate(ctx, NULL, &n, aad, (int)aad_len) != 1 ||
            (len > 0 && EVP_EncryptUpdate(ctx, out, &n, in, (int)len) != 1) ||
            EVP_EncryptFinal_ex(ctx, out + (len > 0 ? (size_t)n : 0), &n) != 1 ||
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, STATE_TAG_LEN, tag) != 1)
                goto fail;
        ok = 0;
fail:
        EVP_CIPHER_CTX_free(ctx);
        return ok;
}

int state_unseal(const uint8_t key[STATE_KEY_LEN], const uint8_t *aad, size_t aad_len,
                 const uint8_t nonce[STATE_NONCE_LEN], const uint8_t *in, size_t len,
                 const uint8_t tag[STATE_TAG_LEN], uint8_t *out)
{
        EVP_CIPHER_CTX *ctx = NULL;
        uint8_t t[STATE_TAG_LEN];
        int n = 0, ok = -2;

        if (len > INT_MAX || aad_len > INT_MAX)
                return -1;
        memcpy(t, tag, sizeof(t));
        if ((ctx = EVP_CIPHER_CTX_new()) == NULL ||
            EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, nonce) != 1 ||
            EVP_DecryptUpdate(ctx, NULL, &n, aad, (int)aad_len) != 1 ||
            (len > 0 && EVP_DecryptUpdate(ctx, out, &n, in, (int)len) != 1) ||
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, STATE_TAG_LEN, t) != 1 ||
            (ok = -1, EVP_DecryptFinal_ex(ctx, out + (len > 0 ? (size_t)n : 0), &n) != 1)) {
                /* nothing of a plaintext that failed authentication is kept */
                if (len > 0)
                        OPENSSL_cleanse(out, len);
                goto fail;
        }
        ok = 0;
fail:
        EVP_CIPHER_CTX_free(ctx);
        return ok;
}

int state_key_id(const uint8_t key[STATE_KEY_LEN], uint8_t id[STATE_KEY_ID_LEN])
{
        static const char label[] = "scsim state key id";
        uint8_t in[sizeof(label) + STATE_KEY_LEN], d[SHA256_DIGEST_LENGTH];
        int rc;

        memcpy(in, label, sizeof(label));
        memcpy(in + sizeof(label), key, STATE_KEY_LEN);
        rc = SHA256(in, sizeof(in), d) != NULL ? 0 : -1;
        memcpy(id, d, STATE_KEY_ID_LEN);
        OPENSSL_cleanse(in, sizeof(in));
        OPENSSL_cleanse(d, sizeof(d));
        return rc;
}

int state_key_parse(const uint8_t *buf, size_t len, uint8_t key[STATE_KEY_LEN])
{
        if (len == STATE_KEY_LEN) {
                memcpy(key, buf, STATE_KEY_LEN);
                return 0;
        }
        if (len == 2 * STATE_KEY_LEN + 1 && buf[len - 1] == '\n')
                len--;
        if (len != 2 * STATE_KEY_LEN)
                return -1;
        for (size_t i = 0; i < STATE_KEY_LEN; i++) {
                int hi = OPENSSL_hexchar2int(buf[2 * i]), lo = OPENSSL_hexchar2int(buf[2 * i + 1]);
                if (hi < 0 || lo < 0) {
                        OPENSSL_cleanse(key, STATE_KEY_LEN);
                        return -1;
                }
                key[i] = (uint8_t)(hi << 4 | lo);
        }
        return 0;
}

int scsim_state_key_read(const char *path, uint8_t key[SCSIM_STATE_KEY_LEN], scsim_diag *diag)
{
        struct state_dir d;
        uint8_t *buf = NULL;
        size_t len = 0;
        int fd = -1, rc;

        if (path == NULL || key == NULL) {
                state_say(diag, path, "invalid argument");
                return SCSIM_ERR_INVALID_ARGUMENT;
        }
        /* a key is kept as a state file is: its directory and itself ours alone */
        if ((rc = state_dir_open(&d, path, false, diag)) == SCSIM_OK &&
            (rc = state_file_open(&d, d.base, O_RDONLY, &fd, diag)) == SCSIM_OK) {
                if (fd < 0) {
                        state_say(diag, path, "no such key file");
                        rc = SCSIM_ERR_IO;
                } else if ((rc = state_file_read(fd, 4 * STATE_KEY_LEN, &buf, &len, path, diag)) ==
                               SCSIM_OK &&
                           state_key_parse(buf, len, key) != 0) {
                        state_say(diag, path,
                                  "not a state key: expected 32 bytes, or 64 hex digits "
                                  "(openssl rand -hex 32)");
                        rc = SCSIM_ERR_STATE;
                }
        }
        if (fd >= 0)
                close(fd);
        if (buf != NULL) {
                OPENSSL_cleanse(buf, len);
                free(buf);
        }
        state_dir_close(&d);
        return rc;
}
