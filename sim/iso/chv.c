/* SPDX-License-Identifier: MIT */
/*
 * Card-holder verification: VERIFY, CHANGE REFERENCE DATA, RESET RETRY
 * COUNTER, ENABLE/DISABLE VERIFICATION REQUIREMENT, as ISO 7816-4 has them.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "iso/iso.h"

/* What unpad says of a code that is not a well-formed value of its CHV. */
#define CODE_BAD_SIZE    (-1) /* not the size its padding makes it, or too long: always 6A80 */
#define CODE_BAD_CONTENT (-2) /* a length or format outside the CHV's rules */

/*
 * Strip the profile's padding from a presented code and check its length and
 * format. Returns the unpadded length, or CODE_BAD_SIZE or CODE_BAD_CONTENT.
 * A malformed code is refused with 6A80 and never costs a try (ISO: it is
 * not an attempt), unless the CHV says `malformed: wrong` (a YubiKey's PIN):
 * then a bad content is compared like any code and fails, spending a try.
 */
static int unpad(const struct prof_chv *pc, const uint8_t *in, size_t n)
{
        size_t len = n;

        if (pc->padding != PROF_PAD_NONE) {
                uint8_t pad = pc->padding == PROF_PAD_FF ? 0xff : 0x00;
                if (n != pc->max_len)
                        return CODE_BAD_SIZE;
                while (len > 0 && in[len - 1] == pad)
                        len--;
        } else if (n > PROF_CHV_MAX_LEN) {
                return CODE_BAD_SIZE;
        }
        return prof_chv_value_ok(pc, in, len) ? (int)len : CODE_BAD_CONTENT;
}

/* Is a code unpad judged so refused before any comparison (6A80)? */
static bool refused_unseen(const struct prof_chv *pc, int len)
{
        return len == CODE_BAD_SIZE || (len == CODE_BAD_CONTENT && !pc->malformed_is_wrong);
}

/*
 * The answer to a new value unpad refused. Where the CHV counts malformed
 * codes, the code presented with it was compared first, and a new value
 * that breaks the rules is then refused with 6985, as a YubiKey does.
 */
static uint16_t new_value_refused(const struct prof_chv *pc, int len)
{
        return refused_unseen(pc, len) ? SW_WRONG_DATA : SW_CONDITIONS;
}

/* Bytes a code occupies at the front of a concatenation (old||new, PUK||new). */
static size_t presented_len(const struct prof_chv *pc, const struct chv_state *st)
{
        return pc->padding != PROF_PAD_NONE ? pc->max_len : st->value_len;
}

uint16_t chv_guarded_match(struct scsim_card *card, const void *app, uint8_t *tries,
                           const uint8_t *stored, size_t stored_len, const uint8_t *code,
                           size_t len)
{
        uint8_t a[CHV_GUARDED_MAX] = {0}, b[CHV_GUARDED_MAX] = {0};
        int same;

        if (*tries == 0)
                return SW_AUTH_BLOCKED;
        if (len > sizeof(a) || stored_len > sizeof(b))
                return SW_WRONG_LENGTH;
        (*tries)--;
        if ((app != NULL ? card_commit_app(card, app) : card_commit_core(card)) != 0) {
                (*tries)++; /* no try was spent: nothing was compared */
                return SW_MEMORY_FAILURE;
        }
        /* fixed-size buffers: the time taken does not depend on where they differ */
        if (len > 0)
                memcpy(a, code, len);
        if (stored_len > 0)
                memcpy(b, stored, stored_len);
        same = CRYPTO_memcmp(a, b, sizeof(a)) == 0 && len == stored_len;
        OPENSSL_cleanse(a, sizeof(a));
        OPENSSL_cleanse(b, sizeof(b));
        return same ? SW_OK : SW_COUNTER(*tries);
}

uint16_t chv_guarded_compare(struct scsim_card *card, const void *app, uint8_t *tries,
                             uint8_t limit, const uint8_t *stored, size_t stored_len,
                             const uint8_t *code, size_t len)
{
        bool was_full = *tries == limit;
        uint16_t sw = chv_guarded_match(card, app, tries, stored, stored_len, code, len);
        uint8_t spent;

        if (sw != SW_OK)
                return sw;
        spent = *tries;
        *tries = limit;
        if (card_commit_restore(card, app, was_full) != 0) {
                *tries = spent; /* as the file has it */
                return SW_MEMORY_FAILURE;
        }
        return SW_OK;
}

/*
 * The guarded comparison against reference idx of the profile's CHVs. A
 * malformed code (len bytes as presented) is compared against no value: it
 * spends the try and cannot match.
 */
static uint16_t check_code(struct scsim_card *card, size_t idx, const uint8_t *code, size_t len,
                           bool malformed)
{
        struct chv_state *st = &card->st.chv[idx];

        return chv_guarded_compare(card, NULL, &st->tries, st->limit, st->value,
                                   malformed ? 0 : st->value_len, code, len);
}

static void set_verified(struct channel *ch, size_t idx, bool on)
{
        if (on)
                ch->chv_verified |= 1u << idx;
        else
                ch->chv_verified &= ~(1u << idx);
}

/* A right code whose restore rides on the command's commit (chv_guarded_match). */
struct held {
        uint8_t *tries; /* NULL: none */
        uint8_t spent;  /* what the file holds until that commit */
};

/*
 * Commit a change to reference idx (and a held restore); if the state cannot
 * be made durable, put the reference back as it was and the held counter to
 * its spent value, so memory never runs ahead of the file.
 */
static uint16_t commit_or_restore(struct scsim_card *card, size_t idx, struct chv_state *before,
                                  const struct held *h)
{
        uint16_t sw = SW_OK;

        if (card_commit_core(card) != 0) {
                card->st.chv[idx] = *before;
                if (h != NULL && h->tries != NULL)
                        *h->tries = h->spent;
                sw = SW_MEMORY_FAILURE;
        }
        OPENSSL_cleanse(before, sizeof(*before));
        return sw;
}

/* A held restore committed alone, when the command stops after the right code. */
static uint16_t commit_held(struct scsim_card *card, const struct held *h)
{
        if (h->tries == NULL || card_commit_core(card) == 0)
                return SW_OK;
        *h->tries = h->spent;
        return SW_MEMORY_FAILURE;
}

static void set_value(struct chv_state *st, const uint8_t *v, size_t len)
{
        OPENSSL_cleanse(st->value, sizeof(st->value));
        memcpy(st->value, v, len);
        st->value_len = len;
}

/*
 * Verify the code in data against CHV idx: 6A80 for a code refused unseen,
 * else a comparison. With h, a right code's restore is made in memory only
 * and left to the command's own commit (commit_or_restore or commit_held).
 */
static uint16_t verify_code(struct cmd *c, size_t idx, const uint8_t *data, size_t n,
                            struct held *h)
{
        const struct prof_chv *pc = &c->card->prof->chvs[idx];
        struct chv_state *st = &c->card->st.chv[idx];
        uint16_t sw;
        int len;

        if (st->tries == 0)
                return SW_AUTH_BLOCKED;
        if (refused_unseen(pc, len = unpad(pc, data, n)))
                return SW_WRONG_DATA;
        if (h == NULL || len < 0) { /* a malformed code counted as wrong never matches */
                sw = check_code(c->card, idx, data, len < 0 ? n : (size_t)len, len < 0);
        } else if ((sw = chv_guarded_match(c->card, NULL, &st->tries, st->value, st->value_len,
                                           data, (size_t)len)) == SW_OK) {
                h->tries = &st->tries;
                h->spent = st->tries;
                st->tries = st->limit;
        }
        if (pc->verifiable)
                set_verified(c->ch, idx, sw == SW_OK);
        return sw;
}

uint16_t chv_verify(struct cmd *c)
{
        const struct apdu *a = c->apdu;
        struct chv_state *st;
        int idx;

        if (a->p1 != 0x00 && a->p1 != 0xff)
                return SW_WRONG_P1P2;
        idx = sec_find_chv(c->card, c->ch, a->p2);
        if (idx < 0 || !c->card->prof->chvs[idx].verifiable)
                return SW_REF_NOT_FOUND;
        st = &c->card->st.chv[idx];
        if (a->p1 == 0xff) { /* reset this reference's status; the counter is not touched */
                if (a->nc != 0)
                        return SW_WRONG_LENGTH;
                set_verified(c->ch, (size_t)idx, false);
                return SW_OK;
        }
        if (a->nc == 0) { /* a query: never changes the counter */
                if (st->tries == 0)
                        return SW_AUTH_BLOCKED;
                if (!st->enabled || (c->ch->chv_verified & (1u << idx)) != 0)
                        return SW_OK;
                return SW_COUNTER(st->tries);
        }
        return verify_code(c, (size_t)idx, a->data, a->nc, NULL);
}

uint16_t chv_change_reference_data(struct cmd *c)
{
        const struct apdu *a = c->apdu;
        const struct prof_chv *pc;
        struct chv_state *st, before;
        struct held h = {NULL, 0};
        size_t old_len;
        uint16_t sw;
        bool was_verified;
        int idx, new_len;

        if (a->p1 != 0x00 && a->p1 != 0x01)
                return SW_WRONG_P1P2;
        if ((idx = sec_find_chv(c->card, c->ch, a->p2)) < 0)
                return SW_REF_NOT_FOUND;
        pc = &c->card->prof->chvs[idx];
        st = &c->card->st.chv[idx];
        if (st->tries == 0)
                return SW_AUTH_BLOCKED;
        if (a->p1 == 0x01) { /* new value only, the reference must already be verified */
                if ((c->ch->chv_verified & (1u << idx)) == 0)
                        return SW_SECURITY_STATUS;
                if ((new_len = unpad(pc, a->data, a->nc)) < 0)
                        return new_value_refused(pc, new_len);
                before = *st;
                set_value(st, a->data, (size_t)new_len);
                return commit_or_restore(c->card, (size_t)idx, &before, NULL);
        }
        old_len = presented_len(pc, st);
        if (a->nc <= old_len)
                return SW_WRONG_LENGTH;
        new_len = unpad(pc, a->data + old_len, a->nc - old_len);
        if (new_len < 0 && refused_unseen(pc, new_len))
                return SW_WRONG_DATA;
        was_verified = (c->ch->chv_verified & (1u << idx)) != 0;
        if ((sw = verify_code(c, (size_t)idx, a->data, old_len, &h)) != SW_OK)
                return sw;
        if (new_len < 0) { /* refused: the channel's status is what it was before */
                set_verified(c->ch, (size_t)idx, was_verified);
                return (sw = commit_held(c->card, &h)) != SW_OK ? sw
                                                                : new_value_refused(pc, new_len);
        }
        before = *st;
        set_value(st, a->data + old_len, (size_t)new_len);
        return commit_or_restore(c->card, (size_t)idx, &before, &h);
}

uint16_t chv_reset_retry_counter(struct cmd *c)
{
        const struct apdu *a = c->apdu;
        const struct prof_chv *pc;
        struct chv_state *st, before;
        struct held h = {NULL, 0};
        size_t new_off = 0;
        uint16_t sw;
        bool has_new = a->p1 == 0x00 || a->p1 == 0x02;
        int idx, new_len = 0;

        if (a->p1 > 0x03)
                return SW_WRONG_P1P2;
        idx = sec_find_chv(c->card, c->ch, a->p2);
        if (idx < 0 || !c->card->prof->chvs[idx].verifiable)
                return SW_REF_NOT_FOUND;
        pc = &c->card->prof->chvs[idx];
        st = &c->card->st.chv[idx];

        if (a->p1 == 0x00 || a->p1 == 0x01) { /* with the unblock code */
                const struct prof_chv *puk;
                size_t puk_len;
                if (pc->puk == PROF_NONE)
                        return SW_CONDITIONS;
                puk = &c->card->prof->chvs[pc->puk];
                if (c->card->st.chv[pc->puk].tries == 0)
                        return SW_AUTH_BLOCKED;
                puk_len = presented_len(puk, &c->card->st.chv[pc->puk]);
                if (a->p1 == 0x00) {
                        if (a->nc <= puk_len)
                                return SW_WRONG_LENGTH;
                        new_off = puk_len;
                        new_len = unpad(pc, a->data + puk_len, a->nc - puk_len);
                        if (new_len < 0 && refused_unseen(pc, new_len))
                                return SW_WRONG_DATA;
                } else if (a->nc == 0) {
                        return SW_WRONG_LENGTH;
                } else {
                        puk_len = a->nc;
                }
                if ((sw = verify_code(c, pc->puk, a->data, puk_len, &h)) != SW_OK)
                        return sw;
                if (new_len < 0)
                        return (sw = commit_held(c->card, &h)) != SW_OK
                                   ? sw
                                   : new_value_refused(pc, new_len);
        } else { /* 02: new value, 03: counter only; both need the profile's condition */
                if ((a->p1 == 0x02) != (a->nc != 0))
                        return SW_WRONG_LENGTH;
                if (pc->reset_rule == PROF_RULE_NEVER_IDX)
                        return SW_CONDITIONS;
                if (!sec_rule_holds(c->card, c->ch, pc->reset_rule))
                        return SW_SECURITY_STATUS;
                if (a->p1 == 0x02 && (new_len = unpad(pc, a->data, a->nc)) < 0)
                        return new_value_refused(pc, new_len);
        }
        /* unblocked, not verified: on any channel, whatever it was before */
        before = *st;
        if (has_new)
                set_value(st, a->data + new_off, (size_t)new_len);
        st->tries = st->limit;
        if ((sw = commit_or_restore(c->card, (size_t)idx, &before, &h)) == SW_OK)
                sec_forget_chv(c->card, (size_t)idx);
        return sw;
}

static uint16_t set_requirement(struct cmd *c, bool enabled)
{
        const struct apdu *a = c->apdu;
        struct chv_state *st, before;
        struct held h = {NULL, 0};
        uint16_t sw;
        int idx;

        if (a->p1 != 0x00 && a->p1 != 0x01)
                return SW_WRONG_P1P2;
        idx = sec_find_chv(c->card, c->ch, a->p2);
        if (idx < 0 || !c->card->prof->chvs[idx].verifiable)
                return SW_REF_NOT_FOUND;
        if (!c->card->prof->chvs[idx].may_disable)
                return SW_CONDITIONS;
        st = &c->card->st.chv[idx];
        if (a->p1 == 0x00) { /* the code in the data field */
                if (a->nc == 0)
                        return SW_WRONG_LENGTH;
                if ((sw = verify_code(c, (size_t)idx, a->data, a->nc, &h)) != SW_OK)
                        return sw;
        } else { /* no data: the reference must be verified on this channel */
                if (a->nc != 0)
                        return SW_WRONG_LENGTH;
                if (st->tries == 0)
                        return SW_AUTH_BLOCKED;
                if ((c->ch->chv_verified & (1u << idx)) == 0)
                        return SW_SECURITY_STATUS;
        }
        before = *st;
        st->enabled = enabled;
        return commit_or_restore(c->card, (size_t)idx, &before, &h);
}

uint16_t chv_disable_verification(struct cmd *c)
{
        return set_requirement(c, false);
}

uint16_t chv_enable_verification(struct cmd *c)
{
        return set_requirement(c, true);
}
