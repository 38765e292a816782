/* SPDX-License-Identifier: MIT */
/* The YubiKey extensions to PIV: version, serial, metadata, management key, PIN retries, reset. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "apps/piv/crypto.h"
#include "apps/piv/piv.h"
#include "iso/iso.h"
#include "pkey.h"
#include "tlv.h"

/* YubiKey extensions ----------------------------------------------------------------------- */

uint16_t piv_get_version(struct cmd *c)
{
        if (c->apdu->nc != 0)
                return SW_WRONG_LENGTH;
        return rbuf_put(c->out, piv_of(c)->sec->version, 3) ? SW_OK : SW_MEMORY_FAILURE;
}

uint16_t piv_get_serial(struct cmd *c)
{
        uint32_t s = piv_serial(c);
        uint8_t b[4] = {(uint8_t)(s >> 24), (uint8_t)(s >> 16), (uint8_t)(s >> 8), (uint8_t)s};

        if (c->apdu->nc != 0)
                return SW_WRONG_LENGTH;
        return rbuf_put(c->out, b, sizeof(b)) ? SW_OK : SW_MEMORY_FAILURE;
}

static bool put_u8(struct rbuf *r, uint32_t tag, uint8_t v)
{
        return tlv_put(r, tag, &v, 1);
}

/* Metadata of PIN/PUK: algorithm FF, default-value flag, tries (limit, left). */
static bool put_chv_metadata(struct cmd *c, int idx)
{
        const struct prof_chv *pc = &c->card->prof->chvs[idx];
        const struct chv_state *st = &c->card->st.chv[idx];
        uint8_t tries[2] = {st->limit, st->tries};
        bool is_default = st->value_len == pc->value_len &&
                          CRYPTO_memcmp(st->value, pc->value, pc->value_len) == 0;

        return put_u8(c->out, 0x01, 0xff) && put_u8(c->out, 0x05, is_default) &&
               tlv_put(c->out, 0x06, tries, sizeof(tries));
}

uint16_t piv_get_metadata(struct cmd *c)
{
        const struct apdu *a = c->apdu;
        struct piv *piv = piv_of(c);
        bool ok;

        if (a->nc != 0)
                return SW_WRONG_LENGTH;
        if (a->p1 != 0x00)
                return SW_WRONG_P1P2;
        if (a->p2 == PIV_REF_PIN || a->p2 == PIV_REF_PUK) {
                int idx = piv_chv_index(c, a->p2);
                if (idx < 0)
                        return SW_REF_NOT_FOUND;
                ok = put_chv_metadata(c, idx);
        } else if (a->p2 == PIV_REF_MGM) {
                uint8_t policy[2] = {0x00, 0x01}; /* PIN n/a, touch never */
                bool is_default =
                    piv->mgm_alg == piv->sec->mgm_alg &&
                    CRYPTO_memcmp(piv->mgm_key, piv->sec->mgm_key, piv->sec->mgm_key_len) == 0;
                ok = put_u8(c->out, 0x01, (uint8_t)piv->mgm_alg) &&
                     tlv_put(c->out, 0x02, policy, 2) && put_u8(c->out, 0x05, is_default);
        } else {
                int idx = piv_slot_index(a->p2);
                const struct piv_slot *s;
                uint8_t policy[2];
                size_t mark;
                if (idx < 0)
                        return SW_WRONG_P1P2;
                s = &piv->slots[idx];
                if (s->key == NULL)
                        return SW_REF_NOT_FOUND;
                policy[0] = s->pin_policy;
                policy[1] = 0x01;
                ok = put_u8(c->out, 0x01, (uint8_t)s->alg) && tlv_put(c->out, 0x02, policy, 2) &&
                     put_u8(c->out, 0x03, s->origin) && tlv_open(c->out, 0x04, &mark) &&
                     pkey_put_public(c->out, s->key) && tlv_close(c->out, mark);
        }
        return ok ? SW_OK : SW_MEMORY_FAILURE;
}

/* SET MANAGEMENT KEY 00 FF FF FF|FE: alg 9B len key; needs the current management key. */
uint16_t piv_set_mgm_key(struct cmd *c)
{
        const struct apdu *a = c->apdu;
        struct piv *piv = piv_of(c);
        enum prof_piv_alg alg, old_alg;
        uint8_t old_key[sizeof(piv->mgm_key)];
        uint16_t sw = SW_OK;
        size_t klen;

        if (a->p1 != 0xff || (a->p2 != 0xff && a->p2 != 0xfe))
                return SW_WRONG_P1P2;
        if (!piv_mgm_authenticated(c))
                return SW_SECURITY_STATUS;
        if (a->nc < 3)
                return SW_WRONG_LENGTH;
        alg = a->data[0];
        klen = piv_sym_key_len(alg);
        if (klen == 0 || a->data[1] != PIV_REF_MGM || a->data[2] != klen || a->nc != 3 + klen)
                return SW_WRONG_DATA;
        memcpy(old_key, piv->mgm_key, sizeof(old_key));
        old_alg = piv->mgm_alg;
        OPENSSL_cleanse(piv->mgm_key, sizeof(piv->mgm_key));
        memcpy(piv->mgm_key, a->data + 3, klen);
        piv->mgm_alg = alg;
        if (card_commit_app(c->card, piv) != 0) {
                memcpy(piv->mgm_key, old_key, sizeof(old_key));
                piv->mgm_alg = old_alg;
                sw = SW_MEMORY_FAILURE;
        }
        OPENSSL_cleanse(old_key, sizeof(old_key));
        return sw;
}

/*
 * SET PIN RETRIES 00 FA pin puk: new retry limits for PIN and PUK (1..15, what
 * a 63Cx can show); both go back to their profile values with full counters.
 * Needs the management key and the PIN, as on a YubiKey.
 */
uint16_t piv_set_pin_retries(struct cmd *c)
{
        const struct apdu *a = c->apdu;
        struct scsim_card *card = c->card;
        int pin = piv_chv_index(c, PIV_REF_PIN), puk = piv_chv_index(c, PIV_REF_PUK);
        struct chv_state old_pin, old_puk;
        uint16_t sw = SW_OK;

        if (a->p1 < 1 || a->p1 > 15 || a->p2 < 1 || a->p2 > 15)
                return SW_WRONG_P1P2;
        if (a->nc != 0)
                return SW_WRONG_LENGTH;
        if (pin < 0 || puk < 0)
                return SW_REF_NOT_FOUND;
        if (!piv_mgm_authenticated(c) || !sec_chv_verified(c->ch, (size_t)pin))
                return SW_SECURITY_STATUS;
        old_pin = card->st.chv[pin];
        old_puk = card->st.chv[puk];
        for (int i = 0; i < 2; i++) {
                int idx = i == 0 ? pin : puk;
                const struct prof_chv *pc = &card->prof->chvs[idx];
                struct chv_state *st = &card->st.chv[idx];
                OPENSSL_cleanse(st->value, sizeof(st->value));
                memcpy(st->value, pc->value, pc->value_len);
                st->value_len = pc->value_len;
                st->limit = i == 0 ? a->p1 : a->p2;
                st->tries = st->limit;
        }
        if (card_commit_core(card) != 0) {
                card->st.chv[pin] = old_pin;
                card->st.chv[puk] = old_puk;
                sw = SW_MEMORY_FAILURE;
        } else {
                /* the PIN the channel verified is gone */
                sec_forget_chv(card, (size_t)pin);
                piv_of(c)->ch[c->chno].pin_always = false;
        }
        OPENSSL_cleanse(&old_pin, sizeof(old_pin));
        OPENSSL_cleanse(&old_puk, sizeof(old_puk));
        return sw;
}

/*
 * RESET 00 FB: back to the profile, allowed only when PIN and PUK are both
 * blocked. The attestation key and certificate stay (Yubico: "not cleared
 * out by a reset of the device").
 */
uint16_t piv_reset(struct cmd *c)
{
        struct scsim_card *card = c->card;
        int pin = piv_chv_index(c, PIV_REF_PIN), puk = piv_chv_index(c, PIV_REF_PUK);
        struct piv *piv = piv_of(c);
        struct piv fresh, old;
        struct chv_state old_pin, old_puk;
        uint16_t sw = SW_OK;

        if (c->apdu->p1 != 0 || c->apdu->p2 != 0)
                return SW_WRONG_P1P2;
        if (c->apdu->nc != 0)
                return SW_WRONG_LENGTH;
        if (pin < 0 || puk < 0 || card->st.chv[pin].tries != 0 || card->st.chv[puk].tries != 0)
                return SW_CONDITIONS;
        if (piv_load_profile(&fresh, card->prof, piv->sec) != 0 ||
            piv_swap_attestation(&fresh, piv) != 0) {
                piv_free_contents(&fresh);
                return SW_MEMORY_FAILURE;
        }
        old = *piv;
        *piv = fresh;
        old_pin = card->st.chv[pin];
        old_puk = card->st.chv[puk];
        for (int i = 0; i < 2; i++) {
                int idx = i == 0 ? pin : puk;
                const struct prof_chv *pc = &card->prof->chvs[idx];
                struct chv_state *st = &card->st.chv[idx];
                OPENSSL_cleanse(st->value, sizeof(st->value));
                memcpy(st->value, pc->value, pc->value_len);
                st->value_len = pc->value_len;
                st->tries = pc->retries;
                st->limit = pc->retries;
                st->enabled = pc->enabled;
        }
        if (card_commit_app(card, piv) != 0) {
                /* the objects were moved between the two: there is room to move them back */
                piv_swap_attestation(piv, &old);
                piv_free_contents(piv);
                *piv = old;
                card->st.chv[pin] = old_pin;
                card->st.chv[puk] = old_puk;
                sw = SW_MEMORY_FAILURE;
        } else {
                piv_free_contents(&old);
                sec_forget_chv(card, (size_t)pin);
        }
        OPENSSL_cleanse(&fresh, sizeof(fresh));
        OPENSSL_cleanse(&old_pin, sizeof(old_pin));
        OPENSSL_cleanse(&old_puk, sizeof(old_puk));
        return sw;
}
