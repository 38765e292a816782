/* SPDX-License-Identifier: MIT */
/*
 * OpenPGP passwords (4.3): PW1 behind references 81 (signing) and 82 (the
 * rest), PW3 behind 83, and the resetting code. VERIFY, CHANGE REFERENCE
 * DATA, RESET RETRY COUNTER, and PUT DATA of the resetting code and the
 * KDF-DO, which replace passwords. Every comparison is the guarded one of
 * sim/iso/chv.c: counter spent and committed first, restored on a match;
 * a command that replaces a password restores the checked counter in its
 * own commit, so a failed commit leaves it spent, as the file has it.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "apps/openpgp/openpgp.h"
#include "iso/iso.h"
#include "tlv.h"

/* The password a reference names and the channel flag it sets; -1 for no such reference. */
static int pw_of_ref(uint8_t ref, struct opgp_chan *ch, bool **flag)
{
        switch (ref) {
        case 0x81:
                *flag = &ch->pw1_cds;
                return OPGP_PW1;
        case 0x82:
                *flag = &ch->pw1_other;
                return OPGP_PW1;
        case 0x83:
                *flag = &ch->pw3;
                return OPGP_PW3;
        default:
                return -1;
        }
}

static size_t pw_min(int id)
{
        return id == OPGP_PW3 ? OPGP_PW3_MIN : id == OPGP_RC ? OPGP_RC_MIN : OPGP_PW1_MIN;
}

static uint16_t compare(struct cmd *c, int id, const uint8_t *v, size_t len)
{
        struct opgp *op = opgp_of(c);
        struct opgp_pw *pw = &op->d.pw[id];

        return chv_guarded_compare(c->card, op, &pw->tries, pw->limit, pw->value, pw->len, v, len);
}

static void set_pw(struct opgp_pw *pw, const uint8_t *v, size_t len)
{
        OPENSSL_cleanse(pw->value, sizeof(pw->value));
        if (len > 0)
                memcpy(pw->value, v, len);
        pw->len = (uint8_t)len;
        pw->tries = len > 0 ? pw->limit : 0;
}

/*
 * 7.2.2 VERIFY: P1 00 with a password verifies it; without data it asks
 * whether the reference is verified (9000, or 63Cx with the tries left);
 * P1 FF resets the reference's status. A value outside the password's
 * length bounds cannot be it and is refused without a try (6700).
 */
uint16_t opgp_verify(struct cmd *c)
{
        const struct apdu *a = c->apdu;
        struct opgp *op = opgp_of(c);
        const struct opgp_pw *pw;
        bool *flag = NULL;
        uint16_t sw;
        int id;

        if (opgp_terminated(c))
                return SW_CONDITIONS;
        if (a->p1 != 0x00 && a->p1 != 0xff)
                return SW_WRONG_P1P2;
        if ((id = pw_of_ref(a->p2, &op->ch[c->chno], &flag)) < 0)
                return SW_REF_NOT_FOUND;
        pw = &op->d.pw[id];
        if (a->p1 == 0xff) {
                if (a->nc != 0)
                        return SW_WRONG_LENGTH;
                *flag = false;
                return SW_OK;
        }
        if (pw->tries == 0)
                return SW_AUTH_BLOCKED;
        if (a->nc == 0)
                return *flag ? SW_OK : SW_COUNTER(pw->tries);
        if (a->nc < pw_min(id) || a->nc > OPGP_PW_MAX)
                return SW_WRONG_LENGTH;
        sw = compare(c, id, a->data, a->nc);
        *flag = sw == SW_OK;
        return sw;
}

/*
 * Check the code at the front of data (the first pw->len bytes; all of
 * them when fewer) and the new value behind it, min..127 bytes. A short
 * command still costs a try before it is refused, so that probing lengths
 * cannot tell how long the stored code is. 0 with *new_off set, or a SW.
 */
static uint16_t check_then_split(struct cmd *c, int id, size_t min_new, size_t *new_off)
{
        const struct apdu *a = c->apdu;
        struct opgp *op = opgp_of(c);
        struct opgp_pw *pw = &op->d.pw[id];
        size_t old_len = pw->len;
        bool was_full = pw->tries == pw->limit;
        uint8_t spent;
        uint16_t sw;

        if (pw->tries == 0)
                return SW_AUTH_BLOCKED;
        if (a->nc == 0)
                return SW_WRONG_LENGTH;
        /* on a match the counter stays spent: replace_pw restores it with its change */
        sw = chv_guarded_match(c->card, op, &pw->tries, pw->value, pw->len, a->data,
                               a->nc < old_len ? a->nc : old_len);
        if (sw != SW_OK)
                return sw;
        if (a->nc - old_len < min_new || a->nc - old_len > OPGP_PW_MAX) {
                /* refused after a right code: restored now, as a VERIFY would */
                spent = pw->tries;
                pw->tries = pw->limit;
                if (card_commit_restore(c->card, op, was_full) != 0) {
                        pw->tries = spent;
                        return SW_MEMORY_FAILURE;
                }
                return SW_WRONG_LENGTH;
        }
        *new_off = old_len;
        return 0;
}

/*
 * Replace password id (counter back to its limit) and restore password
 * checked (-1: none) that check_then_split left spent, in one commit, or
 * put everything back.
 */
static uint16_t replace_pw(struct cmd *c, int id, const uint8_t *v, size_t len, int checked)
{
        struct opgp *op = opgp_of(c);
        struct opgp_data before = op->d;
        uint16_t sw;

        if (checked >= 0)
                op->d.pw[checked].tries = op->d.pw[checked].limit;
        set_pw(&op->d.pw[id], v, len);
        sw = opgp_commit(c, &before);
        OPENSSL_cleanse(&before, sizeof(before));
        return sw;
}

/* 7.2.3 CHANGE REFERENCE DATA 00 24 00 81|83, old || new. 82 names no password of its own. */
uint16_t opgp_change_reference_data(struct cmd *c)
{
        const struct apdu *a = c->apdu;
        size_t off = 0;
        uint16_t sw;
        int id;

        if (opgp_terminated(c))
                return SW_CONDITIONS;
        if (a->p1 != 0x00 || a->p2 == 0x82)
                return SW_WRONG_P1P2;
        if (a->p2 != 0x81 && a->p2 != 0x83)
                return SW_REF_NOT_FOUND;
        id = a->p2 == 0x81 ? OPGP_PW1 : OPGP_PW3;
        if ((sw = check_then_split(c, id, pw_min(id), &off)) != 0)
                return sw;
        return replace_pw(c, id, a->data + off, a->nc - off, id);
}

/*
 * 7.2.4 RESET RETRY COUNTER 00 2C 00 81 with the resetting code and the
 * new PW1, or 00 2C 02 81 with the new PW1 after PW3. PW1 comes back
 * unblocked but verified nowhere.
 */
uint16_t opgp_reset_retry_counter(struct cmd *c)
{
        const struct apdu *a = c->apdu;
        struct opgp *op = opgp_of(c);
        size_t off = 0;
        uint16_t sw;

        if (opgp_terminated(c))
                return SW_CONDITIONS;
        if (a->p2 != 0x81 || (a->p1 != 0x00 && a->p1 != 0x02))
                return SW_WRONG_P1P2;
        if (a->p1 == 0x00) {
                /* no resetting code set: its counter is 0 (4.3.4) */
                if ((sw = check_then_split(c, OPGP_RC, OPGP_PW1_MIN, &off)) != 0)
                        return sw;
        } else {
                if (!op->ch[c->chno].pw3)
                        return SW_SECURITY_STATUS;
                if (a->nc < OPGP_PW1_MIN || a->nc > OPGP_PW_MAX)
                        return SW_WRONG_LENGTH;
        }
        if ((sw = replace_pw(c, OPGP_PW1, a->data + off, a->nc - off,
                             a->p1 == 0x00 ? OPGP_RC : -1)) == SW_OK)
                for (unsigned i = 0; i < CARD_CHANNELS; i++)
                        op->ch[i].pw1_cds = op->ch[i].pw1_other = false;
        return sw;
}

/* 4.3.4: PUT DATA D3 sets the resetting code (8..127 bytes) or, empty, removes it. */
uint16_t opgp_put_resetting_code(struct cmd *c, const uint8_t *v, size_t len)
{
        if (len != 0 && (len < OPGP_RC_MIN || len > OPGP_PW_MAX))
                return SW_WRONG_LENGTH;
        return replace_pw(c, OPGP_RC, v, len, -1);
}

/*
 * The parts of a KDF-DO (4.3.2) the card acts on: 81 the KDF (00 none,
 * 03 iterated and salted S2K), 82 the hash (08 SHA-256, 0A SHA-512), and
 * 87 / 88 the initial hashes of PW1 and PW3. Returns 0 or 6A80.
 */
struct kdf_do {
        uint8_t algo;
        const uint8_t *pw1, *pw3;
        size_t pw1_len, pw3_len;
};

static uint16_t parse_kdf(const uint8_t *v, size_t len, struct kdf_do *k)
{
        const uint8_t *p = v, *val;
        size_t left = len, vlen, hash_len = 0;
        uint32_t tag;
        bool have_algo = false;

        memset(k, 0, sizeof(*k));
        while (left > 0) {
                if (tlv_next(&p, &left, &tag, &val, &vlen) != 0)
                        return SW_WRONG_DATA;
                if (tag == 0x81 && vlen == 1) {
                        k->algo = val[0];
                        have_algo = true;
                } else if (tag == 0x82 && vlen == 1) {
                        hash_len = val[0] == 0x08 ? 32 : val[0] == 0x0a ? 64 : 0;
                } else if (tag == 0x87) {
                        k->pw1 = val;
                        k->pw1_len = vlen;
                } else if (tag == 0x88) {
                        k->pw3 = val;
                        k->pw3_len = vlen;
                } else if (tag < 0x83 || tag > 0x86) {
                        return SW_WRONG_DATA;
                }
        }
        if (!have_algo || (k->algo != 0x00 && k->algo != 0x03))
                return SW_WRONG_DATA;
        if (k->algo == 0x03 && (hash_len == 0 || k->pw1_len != hash_len || k->pw3_len != hash_len))
                return SW_WRONG_DATA;
        return 0;
}

/*
 * PUT DATA F9: with a KDF the client sends hashes instead of passwords, so
 * the card starts over with the initial hashes the DO carries (PW1 from
 * 87, PW3 from 88); without one, with the profile's passwords. Either way
 * the resetting code goes and no channel keeps a verified password.
 */
uint16_t opgp_put_kdf(struct cmd *c, const uint8_t *v, size_t len)
{
        struct opgp *op = opgp_of(c);
        const struct prof_openpgp *sec = op->sec;
        struct opgp_data before;
        struct kdf_do k;
        uint16_t sw;

        if (len > opgp_do_cap(DO_KDF))
                return SW_WRONG_LENGTH;
        if ((sw = parse_kdf(v, len, &k)) != 0)
                return sw;
        before = op->d;
        opgp_do_set(&op->d, DO_KDF, v, len);
        if (k.algo == 0x03) {
                set_pw(&op->d.pw[OPGP_PW1], k.pw1, k.pw1_len);
                set_pw(&op->d.pw[OPGP_PW3], k.pw3, k.pw3_len);
        } else {
                set_pw(&op->d.pw[OPGP_PW1], sec->pw[OPGP_PW1], sec->pw_len[OPGP_PW1]);
                set_pw(&op->d.pw[OPGP_PW3], sec->pw[OPGP_PW3], sec->pw_len[OPGP_PW3]);
        }
        set_pw(&op->d.pw[OPGP_RC], NULL, 0);
        if ((sw = opgp_commit(c, &before)) == SW_OK)
                opgp_forget_all(op);
        OPENSSL_cleanse(&before, sizeof(before));
        return sw;
}
