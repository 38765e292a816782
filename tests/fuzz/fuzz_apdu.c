/* SPDX-License-Identifier: MIT */
/*
 * APDU sequences against a card, with power off/on and warm resets
 * interleaved, checking the card's invariants after every step:
 * - every answer ends with a status word from the documented set;
 * - a retry counter never grows except through a command that succeeded
 *   (9000) and restores that very reference (or its unblock code);
 * - a blocked reference never verifies, on whichever channel;
 * - after a reset or power cycle no channel holds any security status;
 * - the OpenPGP card's own passwords (PW1, resetting code, PW3) obey the
 *   same rules, and its signature counter never goes back but to zero.
 * Input: one byte choosing the shipped profile (iso7816-chv, two-apps, piv,
 * openpgp), then records: an op byte (F0 power cycle, F1 warm reset; F2 c:
 * select PIV and authenticate its management key on channel c; F3 i c:
 * VERIFY CHV i with its current value on channel c; F4 r c: VERIFY OpenPGP
 * reference 81 + r % 3 with its current password on channel c; else the
 * length of the C-APDU that follows). F2..F4 reach what a fuzzer cannot
 * guess: keys and codes. OpenPGP's GENERATE (47 80) is skipped: an RSA key
 * takes a second to make, and unit tests cover it.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <scsim/scsim.h>

#include "apps/openpgp/openpgp.h"
#include "apps/piv/crypto.h"
#include "apps/piv/piv.h"
#include "card_internal.h"
#include "iso/iso.h"

static const uint16_t documented[] = {
    0x9000, 0x6282, 0x6285, 0x6300, 0x6581, 0x6700, 0x6881, 0x6882, 0x6883,
    0x6884, 0x6981, 0x6982, 0x6983, 0x6984, 0x6985, 0x6986, 0x6a80, 0x6a81,
    0x6a82, 0x6a84, 0x6a86, 0x6a88, 0x6b00, 0x6d00, 0x6e00,
};

static int sw_documented(uint16_t sw)
{
        if ((sw & 0xfff0) == 0x63c0 || (sw & 0xff00) == 0x6100 || (sw & 0xff00) == 0x6c00)
                return 1;
        for (size_t i = 0; i < sizeof(documented) / sizeof(documented[0]); i++)
                if (documented[i] == sw)
                        return 1;
        return 0;
}

static void check(int cond)
{
        if (!cond)
                abort();
}

/* The OpenPGP application's state when the profile has one (its first application). */
static const struct opgp *openpgp_of(const scsim_card *card)
{
        const scsim_profile *p = card->prof;

        return p->napps > 0 && p->apps[0].def == &app_openpgp ? card->app_state[0] : NULL;
}

static void check_no_status(const scsim_card *card)
{
        const struct opgp *op = openpgp_of(card);

        for (unsigned i = 0; i < CARD_CHANNELS; i++) {
                check(card->ch[i].chv_verified == 0 && card->ch[i].key_authenticated == 0 &&
                      !card->ch[i].challenge_valid);
                if (op != NULL)
                        check(!op->ch[i].pw1_cds && !op->ch[i].pw1_other && !op->ch[i].pw3);
        }
}

/*
 * OpenPGP: tries come back only with a 9000 from a command that may restore
 * them (a right password, an unblock, a new resetting code or KDF-DO, a
 * factory reset); a blocked PW1 or PW3 never verifies; the signature
 * counter only grows, or starts again at zero with a new key or a reset.
 */
static void check_openpgp(const struct opgp *op, const uint8_t before[OPGP_NPW], uint32_t count,
                          const uint8_t *apdu, size_t len, uint16_t sw)
{
        uint8_t ins = len > 1 ? apdu[1] : 0, p2 = len > 3 ? apdu[3] : 0;
        bool verify = ins == 0x20 && sw == 0x9000 && len > 5 && apdu[2] == 0x00;

        for (int i = 0; i < OPGP_NPW; i++)
                if (op->d.pw[i].tries > before[i])
                        check(sw == 0x9000 && (ins == 0x20 || ins == 0x24 || ins == 0x2c ||
                                               ins == 0xda || ins == 0x44));
        if (verify && (p2 == 0x81 || p2 == 0x82))
                check(before[OPGP_PW1] != 0);
        if (verify && p2 == 0x83)
                check(before[OPGP_PW3] != 0);
        check(op->d.sig_count >= count || op->d.sig_count == 0);
}

/* VERIFY an OpenPGP reference (81, 82, 83) with its current password. */
static void openpgp_verify_right(scsim_card *card, uint8_t r, unsigned chno)
{
        static uint8_t rsp[SCSIM_RAPDU_MAX];
        const struct opgp *op = openpgp_of(card);
        const struct opgp_pw *pw;
        uint8_t apdu[5 + OPGP_PW_MAX];
        size_t rlen = 0;

        if (op == NULL)
                return;
        pw = &op->d.pw[r == 2 ? OPGP_PW3 : OPGP_PW1];
        apdu[0] = (uint8_t)chno;
        apdu[1] = 0x20;
        apdu[2] = 0x00;
        apdu[3] = (uint8_t)(0x81 + r);
        apdu[4] = pw->len;
        memcpy(apdu + 5, pw->value, pw->len);
        (void)scsim_card_transmit(card, apdu, 5 + (size_t)pw->len, rsp, sizeof(rsp), &rlen);
}

/* The CHVs (bit i) and keys (bit 16 + i) a command may give tries back to on a 9000. */
static uint32_t may_restore(const scsim_card *card, const uint8_t *apdu, size_t len)
{
        const struct channel *ch;
        struct cla_info cla;
        uint32_t mask = 0;
        int idx;

        if (len < 4 || apdu_decode_cla(apdu[0], &cla) != SW_OK || cla.channel >= CARD_CHANNELS)
                return 0;
        ch = &card->ch[cla.channel];
        switch (apdu[1]) {
        case 0x20: /* a right code; CHANGE REFERENCE DATA and ENABLE/DISABLE check one too */
        case 0x24:
        case 0x26:
        case 0x28:
                if ((idx = sec_find_chv(card, ch, apdu[3])) >= 0)
                        mask |= 1u << idx;
                break;
        case 0x2c: /* an unblock: the reference, and its unblock code on a match */
                if ((idx = sec_find_chv(card, ch, apdu[3])) >= 0) {
                        mask |= 1u << idx;
                        if (card->prof->chvs[idx].puk != PROF_NONE)
                                mask |= 1u << card->prof->chvs[idx].puk;
                }
                break;
        case 0x82:
                if ((idx = sec_find_key(card, ch, apdu[3])) >= 0)
                        mask |= 1u << (16 + idx);
                break;
        case 0xfa: /* YubiKey SET PIN RETRIES and RESET: PIV's PIN and PUK */
        case 0xfb:
                if ((idx = sec_find_chv(card, ch, 0x80)) >= 0)
                        mask |= 1u << idx;
                if ((idx = sec_find_chv(card, ch, 0x81)) >= 0)
                        mask |= 1u << idx;
                break;
        default:
                break;
        }
        return mask;
}

static void send(scsim_card *card, const uint8_t *apdu, size_t len, uint8_t *rsp, size_t *rlen)
{
        *rlen = 0;
        (void)scsim_card_transmit(card, apdu, len, rsp, SCSIM_RAPDU_MAX, rlen);
}

/* SELECT PIV and authenticate its management key (external: challenge, then response). */
static void piv_mgm_auth(scsim_card *card, unsigned chno)
{
        static const uint8_t aid[] = {0xa0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00};
        static uint8_t rsp[SCSIM_RAPDU_MAX];
        uint8_t apdu[64];
        const struct prof_app *use = prof_app_of(card->prof, card->ch[chno].df);
        const struct piv *piv;
        size_t rlen = 0, bs;

        memcpy(apdu, "\x00\xa4\x04\x00\x09", 5);
        memcpy(apdu + 5, aid, sizeof(aid));
        apdu[0] = (uint8_t)chno;
        send(card, apdu, 5 + sizeof(aid), rsp, &rlen);
        use = prof_app_of(card->prof, card->ch[chno].df);
        if (use == NULL || use->def != &app_piv)
                return;
        piv = card->app_state[use - card->prof->apps];
        bs = piv_sym_block(piv->mgm_alg);
        memcpy(apdu, "\x00\x87\x00\x9b\x04\x7c\x02\x81\x00", 9);
        apdu[0] = (uint8_t)chno;
        apdu[2] = (uint8_t)piv->mgm_alg;
        send(card, apdu, 9, rsp, &rlen);
        if (rlen != 4 + bs + 2 || rsp[rlen - 2] != 0x90)
                return;
        memcpy(apdu, "\x00\x87\x00\x9b\x00\x7c\x00\x82\x00", 9);
        apdu[0] = (uint8_t)chno;
        apdu[2] = (uint8_t)piv->mgm_alg;
        apdu[4] = (uint8_t)(4 + bs);
        apdu[6] = (uint8_t)(2 + bs);
        apdu[8] = (uint8_t)bs;
        if (piv_sym_encrypt(piv->mgm_alg, piv->mgm_key, rsp + 4, bs, apdu + 9) == 0)
                send(card, apdu, 9 + bs, rsp, &rlen);
}

/* VERIFY a CHV with its current value, as its profile pads it. */
static void verify_right(scsim_card *card, size_t idx, unsigned chno)
{
        static uint8_t rsp[SCSIM_RAPDU_MAX];
        const struct prof_chv *pc = &card->prof->chvs[idx];
        const struct chv_state *st = &card->st.chv[idx];
        uint8_t apdu[5 + PROF_CHV_MAX_LEN];
        size_t n = st->value_len, rlen = 0;

        if (!pc->has_ref || !pc->verifiable)
                return;
        apdu[0] = (uint8_t)chno;
        apdu[1] = 0x20;
        apdu[2] = 0x00;
        apdu[3] = pc->ref;
        memcpy(apdu + 5, st->value, n);
        if (pc->padding != PROF_PAD_NONE) {
                memset(apdu + 5 + n, pc->padding == PROF_PAD_FF ? 0xff : 0x00, pc->max_len - n);
                n = pc->max_len;
        }
        apdu[4] = (uint8_t)n;
        send(card, apdu, 5 + n, rsp, &rlen);
}

static void run(const scsim_profile *profile, const uint8_t *data, size_t size)
{
        static uint8_t rsp[SCSIM_RAPDU_MAX];
        scsim_card *card = scsim_card_new(profile);
        static const uint8_t seed[] = "fuzz";
        uint8_t before_chv[PROF_CHVS_MAX], before_key[PROF_KEYS_MAX];

        if (card == NULL)
                return;
        scsim_card_set_random_seed(card, seed, sizeof(seed));
        scsim_card_power_on(card, NULL, NULL);
        while (size > 0) {
                uint8_t op = data[0];
                data++;
                size--;
                if (op == 0xf0) {
                        scsim_card_power_off(card);
                        check_no_status(card);
                        scsim_card_power_on(card, NULL, NULL);
                        check_no_status(card);
                        continue;
                }
                if (op == 0xf1) {
                        scsim_card_reset(card, NULL, NULL);
                        check_no_status(card);
                        continue;
                }
                if (op == 0xf2 && size >= 1) {
                        piv_mgm_auth(card, data[0] % CARD_CHANNELS);
                        data++;
                        size--;
                        continue;
                }
                if (op == 0xf4 && size >= 2) {
                        openpgp_verify_right(card, data[0] % 3, data[1] % CARD_CHANNELS);
                        data += 2;
                        size -= 2;
                        continue;
                }
                if (op == 0xf3 && size >= 2) {
                        if (profile->nchvs > 0)
                                verify_right(card, data[0] % profile->nchvs,
                                             data[1] % CARD_CHANNELS);
                        data += 2;
                        size -= 2;
                        continue;
                }
                {
                        const struct opgp *pgp = openpgp_of(card);
                        uint8_t pw_before[OPGP_NPW] = {0};
                        uint32_t count = 0;
                        size_t len = op, rlen = 0;
                        uint32_t allowed;
                        struct cla_info cla;
                        uint16_t sw;
                        uint8_t ins;
                        if (len > size)
                                len = size;
                        if (len == 0)
                                continue;
                        if (pgp != NULL && len > 2 && data[1] == 0x47 && data[2] == 0x80) {
                                data += len;
                                size -= len;
                                continue;
                        }
                        if (pgp != NULL) {
                                for (int i = 0; i < OPGP_NPW; i++)
                                        pw_before[i] = pgp->d.pw[i].tries;
                                count = pgp->d.sig_count;
                        }
                        for (size_t i = 0; i < profile->nchvs; i++)
                                before_chv[i] = card->st.chv[i].tries;
                        for (size_t i = 0; i < profile->nkeys; i++)
                                before_key[i] = card->st.key[i].tries;
                        allowed = may_restore(card, data, len);
                        check(scsim_card_transmit(card, data, len, rsp, sizeof(rsp), &rlen) ==
                              SCSIM_OK);
                        check(rlen >= 2);
                        sw = (uint16_t)(rsp[rlen - 2] << 8 | rsp[rlen - 1]);
                        check(sw_documented(sw));
                        ins = len > 1 ? data[1] : 0;
                        for (size_t i = 0; i < profile->nchvs; i++) {
                                uint8_t after = card->st.chv[i].tries;
                                if (after > before_chv[i])
                                        check(sw == 0x9000 && (allowed & (1u << i)) != 0);
                                /* a blocked reference never verifies, on the command's channel */
                                if (before_chv[i] == 0 && ins == 0x20 && sw == 0x9000 && len > 5 &&
                                    apdu_decode_cla(data[0], &cla) == SW_OK &&
                                    cla.channel < CARD_CHANNELS)
                                        check(card->st.chv[i].tries == 0 &&
                                              !sec_chv_verified(&card->ch[cla.channel], i));
                        }
                        for (size_t i = 0; i < profile->nkeys; i++)
                                if (card->st.key[i].tries > before_key[i])
                                        check(sw == 0x9000 && (allowed & (1u << (16 + i))) != 0);
                        if (pgp != NULL)
                                check_openpgp(pgp, pw_before, count, data, len, sw);
                        data += len;
                        size -= len;
                }
        }
        scsim_card_free(&card);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char *const names[] = {
            "iso7816-chv", SCSIM_SOURCE_DIR "/profiles/two-apps.yaml",
            SCSIM_SOURCE_DIR "/profiles/piv.yaml", SCSIM_SOURCE_DIR "/profiles/openpgp.yaml"};
        static scsim_profile *profiles[4];
        size_t which;

        if (profiles[0] == NULL)
                for (size_t i = 0; i < 4; i++)
                        if (scsim_profile_open(names[i], &profiles[i], NULL) != SCSIM_OK)
                                abort();
        if (size == 0)
                return 0;
        which = data[0] % 4u;
        run(profiles[which], data + 1, size - 1);
        return 0;
}
