/* SPDX-License-Identifier: MIT */
/* PIV GENERAL AUTHENTICATE: the management key's mutual authentication and the key slots'
 * operations. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "apps/piv/crypto.h"
#include "apps/piv/piv.h"
#include "iso/iso.h"
#include "tlv.h"

/* GENERAL AUTHENTICATE ---------------------------------------------------------------------- */

/* The dynamic authentication template's parts; present with an empty value means "ask". */
struct dyn_auth {
        bool has[4]; /* 80 witness, 81 challenge, 82 response, 85 exponentiation */
        const uint8_t *v[4];
        size_t len[4];
};

static uint16_t parse_dyn_auth(const struct apdu *a, struct dyn_auth *d)
{
        const uint8_t *p = a->data, *v;
        size_t left = a->nc, len;
        uint32_t tag;

        memset(d, 0, sizeof(*d));
        if (a->nc == 0)
                return SW_WRONG_LENGTH;
        if (tlv_next(&p, &left, &tag, &v, &len) != 0 || tag != 0x7c || left != 0)
                return SW_WRONG_DATA;
        p = v;
        left = len;
        while (left > 0) {
                const uint8_t *iv;
                size_t ilen;
                int slot;
                if (tlv_next(&p, &left, &tag, &iv, &ilen) != 0)
                        return SW_WRONG_DATA;
                switch (tag) {
                case 0x80:
                        slot = 0;
                        break;
                case 0x81:
                        slot = 1;
                        break;
                case 0x82:
                        slot = 2;
                        break;
                case 0x85:
                        slot = 3;
                        break;
                default:
                        return SW_WRONG_DATA;
                }
                if (d->has[slot])
                        return SW_WRONG_DATA;
                d->has[slot] = true;
                d->v[slot] = iv;
                d->len[slot] = ilen;
        }
        return SW_OK;
}

/* 7C { tag value }: the card's half of a dynamic authentication. */
static uint16_t put_dyn_auth(struct cmd *c, uint32_t tag, const uint8_t *v, size_t len)
{
        size_t mark;

        return tlv_open(c->out, 0x7c, &mark) && tlv_put(c->out, tag, v, len) &&
                       tlv_close(c->out, mark)
                   ? SW_OK
                   : SW_MEMORY_FAILURE;
}

/*
 * Management key: 80 empty asks for a witness (the card sends it encrypted);
 * 80 decrypted-witness + 81 challenge completes mutual authentication (the
 * card answers 82 with the challenge encrypted); 81 empty asks for a
 * challenge and 82 then carries the client's encryption of it.
 */
static uint16_t mgm_auth(struct cmd *c, const struct dyn_auth *d)
{
        struct piv *piv = piv_of(c);
        struct piv_chan *pc = &piv->ch[c->chno];
        size_t bs = piv_sym_block(piv->mgm_alg);
        uint8_t buf[16], expect[16];
        bool was_witness = pc->witness_valid, was_challenge = pc->challenge_valid;
        uint16_t sw = SW_WRONG_DATA;

        /*
         * 00 is 3DES in SP 800-73-1; OpenSC also sends it when it only wants
         * a challenge as a random source, whatever the key's algorithm.
         */
        bool challenge_only = d->has[1] && d->len[1] == 0 && !d->has[0] && !d->has[2];
        if (c->apdu->p1 != piv->mgm_alg &&
            !(c->apdu->p1 == 0x00 && (piv->mgm_alg == PROF_PIV_3DES || challenge_only)))
                return SW_WRONG_P1P2;
        /* any attempt spends the outstanding witness/challenge and the old status */
        pc->witness_valid = pc->challenge_valid = false;
        pc->mgm_auth = false;
        if (d->has[0] && d->len[0] == 0 && !d->has[1] && !d->has[2]) {
                if (rng_bytes(&c->card->rng, pc->witness, bs) != 0 ||
                    piv_sym_encrypt(piv->mgm_alg, piv->mgm_key, pc->witness, bs, buf) != 0) {
                        sw = SW_MEMORY_FAILURE;
                        goto out;
                }
                pc->witness_valid = true;
                sw = put_dyn_auth(c, 0x80, buf, bs);
        } else if (d->has[0] && d->has[1] && d->len[1] == bs && (!d->has[2] || d->len[2] == 0)) {
                if (!was_witness) {
                        sw = SW_CONDITIONS;
                        goto out;
                }
                if (d->len[0] != bs || CRYPTO_memcmp(d->v[0], pc->witness, bs) != 0) {
                        sw = SW_SECURITY_STATUS;
                        goto out;
                }
                if (piv_sym_encrypt(piv->mgm_alg, piv->mgm_key, d->v[1], bs, buf) != 0) {
                        sw = SW_MEMORY_FAILURE;
                        goto out;
                }
                pc->mgm_auth = true;
                sw = put_dyn_auth(c, 0x82, buf, bs);
        } else if (d->has[1] && d->len[1] == 0 && !d->has[0] && !d->has[2]) {
                if (rng_bytes(&c->card->rng, pc->challenge, bs) != 0) {
                        sw = SW_MEMORY_FAILURE;
                        goto out;
                }
                pc->challenge_valid = true;
                sw = put_dyn_auth(c, 0x81, pc->challenge, bs);
        } else if (d->has[2] && !d->has[0] && !d->has[1]) {
                if (!was_challenge) {
                        sw = SW_CONDITIONS;
                        goto out;
                }
                if (piv_sym_encrypt(piv->mgm_alg, piv->mgm_key, pc->challenge, bs, expect) != 0) {
                        sw = SW_MEMORY_FAILURE;
                        goto out;
                }
                if (d->len[2] != bs || CRYPTO_memcmp(d->v[2], expect, bs) != 0) {
                        sw = SW_SECURITY_STATUS;
                        goto out;
                }
                pc->mgm_auth = true;
                sw = SW_OK;
        }
out:
        if (!pc->witness_valid)
                OPENSSL_cleanse(pc->witness, sizeof(pc->witness));
        if (!pc->challenge_valid)
                OPENSSL_cleanse(pc->challenge, sizeof(pc->challenge));
        OPENSSL_cleanse(buf, sizeof(buf));
        OPENSSL_cleanse(expect, sizeof(expect));
        return sw;
}

/* May this channel use the slot now? Spends a PIN-always VERIFY. */
static uint16_t slot_policy(struct cmd *c, const struct piv_slot *s)
{
        struct piv_chan *pc = &piv_of(c)->ch[c->chno];
        int idx = piv_chv_index(c, PIV_REF_PIN);

        switch (s->pin_policy) {
        case POLICY_NEVER:
                return SW_OK;
        case POLICY_ALWAYS:
                if (!pc->pin_always || !piv_pin_verified(c))
                        return SW_SECURITY_STATUS;
                pc->pin_always = false;
                return SW_OK;
        default:
                if (idx >= 0 && !c->card->st.chv[idx].enabled)
                        return SW_OK;
                return piv_pin_verified(c) ? SW_OK : SW_SECURITY_STATUS;
        }
}

static uint16_t key_auth(struct cmd *c, const struct dyn_auth *d)
{
        const struct piv_slot *s;
        uint8_t out[512];
        size_t n = 0;
        uint16_t sw;
        int idx = piv_slot_index(c->apdu->p2);
        int rc;

        /* the attestation key signs attestations only: anything else would forge them */
        if (idx < 0 || idx == PIV_SLOT_ATTEST)
                return SW_WRONG_P1P2;
        s = &piv_of(c)->slots[idx];
        if (s->key == NULL)
                return SW_NOT_FOUND;
        if (c->apdu->p1 != s->alg)
                return SW_WRONG_P1P2;
        /* 82 empty asks for the result; 81 carries what to sign or decrypt, 85 a peer point */
        if (!d->has[2] || d->len[2] != 0 || d->has[0] || d->has[1] == d->has[3])
                return SW_WRONG_DATA;
        if ((sw = slot_policy(c, s)) != SW_OK)
                return sw;
        if (d->has[1])
                rc = piv_private_op(s->key, s->alg, d->v[1], d->len[1], out, &n, sizeof(out));
        else
                rc = piv_ecdh(s->key, s->alg, d->v[3], d->len[3], out, &n, sizeof(out));
        sw = rc == 0 ? put_dyn_auth(c, 0x82, out, n) : SW_WRONG_DATA;
        OPENSSL_cleanse(out, sizeof(out));
        return sw;
}

uint16_t piv_general_authenticate(struct cmd *c)
{
        struct dyn_auth d;
        uint16_t sw;

        if ((sw = parse_dyn_auth(c->apdu, &d)) != SW_OK)
                return sw;
        if (c->apdu->p2 == PIV_REF_MGM)
                return mgm_auth(c, &d);
        return key_auth(c, &d);
}

/*
 * Put key (owned from here on) in slot idx and make it durable; if the state
 * cannot be written, the slot keeps its old key and the card answers 6581.
 */
