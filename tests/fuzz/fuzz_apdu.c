/* SPDX-License-Identifier: MIT */
/*
 * APDU sequences against a card, with power off/on and warm resets
 * interleaved, checking the card's invariants after every step:
 * - every answer ends with a status word from the documented set;
 * - a retry counter never grows except through a command that succeeded
 *   (9000) and is allowed to restore it;
 * - a blocked reference never verifies;
 * - after a reset or power cycle no channel holds any security status;
 * - on the OpenPGP card the same for its own passwords (PW1, resetting
 *   code, PW3) and the signature counter never goes back but to zero.
 * Input: one byte choosing the shipped profile (iso7816-chv, two-apps, piv,
 * openpgp), then records: an op byte (F0 power cycle, F1 warm reset, else
 * the length of the C-APDU that follows). OpenPGP's GENERATE (47 80) is
 * skipped: an RSA key takes a second to make, unit tests cover it.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <scsim/scsim.h>

#include "apps/openpgp/openpgp.h"
#include "card_internal.h"

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
static void check_openpgp(const struct opgp *op, const uint8_t before[4], uint32_t count,
                          const uint8_t *apdu, size_t len, uint16_t sw)
{
        uint8_t ins = len > 1 ? apdu[1] : 0, p2 = len > 3 ? apdu[3] : 0;
        bool verify = ins == 0x20 && sw == 0x9000 && len > 5 && apdu[2] == 0x00;

        for (int i = 0; i < OPGP_NPW; i++) {
                if (op->d.pw[i].tries > before[i])
                        check(sw == 0x9000 && (ins == 0x20 || ins == 0x24 || ins == 0x2c ||
                                               ins == 0xda || ins == 0x44));
        }
        if (verify && (p2 == 0x81 || p2 == 0x82))
                check(before[OPGP_PW1] != 0);
        if (verify && p2 == 0x83)
                check(before[OPGP_PW3] != 0);
        check(op->d.sig_count >= count || op->d.sig_count == 0);
}

/*
 * Which instructions may legitimately give tries back after a 9000: a right
 * code, an unblock, and YubiKey's SET PIN RETRIES (FA) and RESET (FB), both
 * of which need the management key.
 */
static int may_restore(uint8_t ins)
{
        return ins == 0x20 || ins == 0x24 || ins == 0x26 || ins == 0x28 || ins == 0x2c ||
               ins == 0x82 || ins == 0xfa || ins == 0xfb;
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
                {
                        const struct opgp *pgp = openpgp_of(card);
                        uint8_t pw_before[4] = {0};
                        uint32_t count = 0;
                        size_t len = op, rlen = 0;
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
                        check(scsim_card_transmit(card, data, len, rsp, sizeof(rsp), &rlen) ==
                              SCSIM_OK);
                        check(rlen >= 2);
                        sw = (uint16_t)(rsp[rlen - 2] << 8 | rsp[rlen - 1]);
                        check(sw_documented(sw));
                        ins = len > 1 ? data[1] : 0;
                        for (size_t i = 0; i < profile->nchvs; i++) {
                                uint8_t after = card->st.chv[i].tries;
                                if (after > before_chv[i])
                                        check(sw == 0x9000 && may_restore(ins));
                                /* a blocked reference never verifies */
                                if (before_chv[i] == 0 && ins == 0x20 && sw == 0x9000 && len > 5)
                                        check(card->st.chv[i].tries == 0 &&
                                              (card->ch[0].chv_verified & (1u << i)) == 0);
                        }
                        for (size_t i = 0; i < profile->nkeys; i++)
                                if (card->st.key[i].tries > before_key[i])
                                        check(sw == 0x9000 && ins == 0x82);
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
