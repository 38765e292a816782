/* SPDX-License-Identifier: MIT */
/* Key authentication: GET CHALLENGE and EXTERNAL AUTHENTICATE with AES-128 (libcrypto). */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "iso/iso.h"

uint16_t ka_get_challenge(struct cmd *c)
{
        const struct apdu *a = c->apdu;

        if (a->p1 != 0 || a->p2 != 0)
                return SW_WRONG_P1P2;
        if (a->nc != 0 || a->ne == 0)
                return SW_WRONG_LENGTH;
        if (a->ne != CARD_CHALLENGE_LEN)
                return SW_WRONG_LE(CARD_CHALLENGE_LEN);
        c->ch->challenge_valid = false;
        if (rng_bytes(&c->card->rng, c->ch->challenge, CARD_CHALLENGE_LEN) != 0)
                return SW_MEMORY_FAILURE;
        c->ch->challenge_valid = true;
        return rbuf_put(c->out, c->ch->challenge, CARD_CHALLENGE_LEN) ? SW_OK : SW_MEMORY_FAILURE;
}

/* The cryptogram the card expects: the challenge encrypted with AES-128-ECB under the key. */
static int expected_cryptogram(const uint8_t key[16], const uint8_t challenge[16], uint8_t out[16])
{
        EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
        int len = 0, ok = -1;

        if (ctx == NULL)
                goto fail;
        if (EVP_EncryptInit_ex(ctx, EVP_aes_128_ecb(), NULL, key, NULL) != 1 ||
            EVP_CIPHER_CTX_set_padding(ctx, 0) != 1 ||
            EVP_EncryptUpdate(ctx, out, &len, challenge, 16) != 1 || len != 16)
                goto fail;
        ok = 0;
fail:
        EVP_CIPHER_CTX_free(ctx);
        return ok;
}

uint16_t ka_external_authenticate(struct cmd *c)
{
        const struct apdu *a = c->apdu;
        struct scsim_card *card = c->card;
        struct key_state *st;
        uint8_t challenge[CARD_CHALLENGE_LEN], expected[16];
        bool had_challenge, was_full;
        uint8_t spent;
        uint16_t sw;
        int idx, same;

        if (a->p1 != 0x00)
                return SW_WRONG_P1P2;
        if ((idx = sec_find_key(card, c->ch, a->p2)) < 0)
                return SW_REF_NOT_FOUND;
        /* a challenge is good for one attempt, whatever the attempt's fate */
        had_challenge = c->ch->challenge_valid;
        memcpy(challenge, c->ch->challenge, sizeof(challenge));
        c->ch->challenge_valid = false;
        OPENSSL_cleanse(c->ch->challenge, sizeof(c->ch->challenge));
        if (a->nc != sizeof(expected)) { /* a malformed command, whatever else is wrong */
                sw = SW_WRONG_LENGTH;
                goto out;
        }
        st = &card->st.key[idx];
        if (st->tries == 0) {
                sw = SW_AUTH_BLOCKED;
                goto out;
        }
        if (!had_challenge) {
                sw = SW_CONDITIONS;
                goto out;
        }
        /* as for CHVs: spent and written before the comparison, or no comparison at all */
        was_full = st->tries == card->prof->keys[idx].retries;
        st->tries--;
        if (card_commit_core(card) != 0) {
                st->tries++;
                sw = SW_MEMORY_FAILURE;
                goto out;
        }
        if (expected_cryptogram(card->prof->keys[idx].value, challenge, expected) != 0) {
                sw = SW_MEMORY_FAILURE; /* the try stays spent: tries never come back */
                goto out;
        }
        same = CRYPTO_memcmp(expected, a->data, sizeof(expected)) == 0;
        if (!same) {
                c->ch->key_authenticated &= ~(1u << idx);
                sw = SW_COUNTER(st->tries);
                goto out;
        }
        spent = st->tries;
        st->tries = card->prof->keys[idx].retries;
        if (card_commit_restore(card, NULL, was_full) != 0) {
                st->tries = spent; /* as the file has it; not authenticated */
                sw = SW_MEMORY_FAILURE;
                goto out;
        }
        c->ch->key_authenticated |= 1u << idx;
        sw = SW_OK;
out:
        OPENSSL_cleanse(challenge, sizeof(challenge));
        OPENSSL_cleanse(expected, sizeof(expected));
        return sw;
}
