/* SPDX-License-Identifier: MIT */
/*
 * APDU sequences against a card, with power off/on and warm resets
 * interleaved, checking the card's invariants after every step:
 * - every answer ends with a status word from the documented set;
 * - a retry counter never grows except through a command that succeeded
 *   (9000) and is allowed to restore it;
 * - a blocked reference never verifies;
 * - after a reset or power cycle no channel holds any security status.
 * Input: one byte choosing the shipped profile (iso7816-chv, two-apps, piv),
 * then records: an op byte (F0 power cycle, F1 warm reset, else the length
 * of the C-APDU that follows).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <scsim/scsim.h>

#include "card_internal.h"

static const uint16_t documented[] = {
    0x9000, 0x6282, 0x6300, 0x6581, 0x6700, 0x6881, 0x6882, 0x6883, 0x6884, 0x6981, 0x6982, 0x6983,
    0x6984, 0x6985, 0x6986, 0x6a80, 0x6a81, 0x6a82, 0x6a84, 0x6a86, 0x6a88, 0x6b00, 0x6d00, 0x6e00,
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

static void check_no_status(const scsim_card *card)
{
        for (unsigned i = 0; i < CARD_CHANNELS; i++)
                check(card->ch[i].chv_verified == 0 && card->ch[i].key_authenticated == 0 &&
                      !card->ch[i].challenge_valid);
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
                        size_t len = op, rlen = 0;
                        uint16_t sw;
                        uint8_t ins;
                        if (len > size)
                                len = size;
                        if (len == 0)
                                continue;
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
                        data += len;
                        size -= len;
                }
        }
        scsim_card_free(&card);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char *const names[] = {"iso7816-chv",
                                            SCSIM_SOURCE_DIR "/profiles/two-apps.yaml",
                                            SCSIM_SOURCE_DIR "/profiles/piv.yaml"};
        static scsim_profile *profiles[3];
        size_t which;

        if (profiles[0] == NULL)
                for (size_t i = 0; i < 3; i++)
                        if (scsim_profile_open(names[i], &profiles[i], NULL) != SCSIM_OK)
                                abort();
        if (size == 0)
                return 0;
        which = data[0] % 3u;
        run(profiles[which], data + 1, size - 1);
        return 0;
}
