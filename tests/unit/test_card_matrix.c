/* SPDX-License-Identifier: MIT */
/*
 * Every instruction of the default card in each of the seven ISO 7816-3
 * length cases, on every logical channel: a case the standard does not give
 * the instruction answers 6700 before anything else; a case it gives gets
 * the instruction's own answer. The expectations come from ISO 7816-4's
 * command descriptions, not from the card's code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "card_steps.h"

enum kase { C1, C2S, C3S, C4S, C2E, C3E, C4E, NCASES };
static const char *const case_names[NCASES] = {"1", "2S", "3S", "4S", "2E", "3E", "4E"};

#define ANY_LE   (1u << C2S | 1u << C2E)
#define ANY_LC   (1u << C3S | 1u << C3E)
#define ANY_LCLE (1u << C4S | 1u << C4E)
#define NONE_    (1u << C1)

struct row {
        const char *what;
        uint8_t ins, p1, p2;
        const char *data; /* the data field for cases 3 and 4 */
        uint8_t le;       /* Le for cases 2 and 4 (0 means 256 / 65536) */
        unsigned allowed; /* the cases ISO 7816-4 gives the command as used here */
        uint16_t sw[NCASES];
};

/* sw 0 in an allowed case: any answer but 6700. */
static const struct row rows[] = {
    {"VERIFY",
     0x20,
     0x00,
     0x01,
     "31323334",
     0x04,
     NONE_ | ANY_LC,
     {0x63c3, 0, 0x9000, 0, 0, 0x9000}},
    {"VERIFY reset", 0x20, 0xff, 0x01, "", 0x04, NONE_, {0x9000}},
    {"CHANGE REFERENCE DATA",
     0x24,
     0x00,
     0x01,
     "3132333435363738",
     0x04,
     ANY_LC,
     {0, 0, 0x9000, 0, 0, 0x9000}},
    {"RESET RETRY COUNTER with the PUK",
     0x2c,
     0x01,
     0x01,
     "3132333435363738",
     0x04,
     ANY_LC,
     {0, 0, 0x9000, 0, 0, 0x9000}},
    {"RESET RETRY COUNTER, counter only", 0x2c, 0x03, 0x01, "", 0x04, NONE_, {0x6982}},
    {"DISABLE VERIFICATION REQUIREMENT",
     0x26,
     0x00,
     0x01,
     "31323334",
     0x04,
     ANY_LC,
     {0, 0, 0x9000, 0, 0, 0x9000}},
    {"ENABLE VERIFICATION REQUIREMENT",
     0x28,
     0x00,
     0x01,
     "31323334",
     0x04,
     ANY_LC,
     {0, 0, 0x9000, 0, 0, 0x9000}},
    {"ENABLE, reference verified", 0x28, 0x01, 0x01, "", 0x04, NONE_, {0x6982}},
    {"GET CHALLENGE", 0x84, 0x00, 0x00, "", 0x10, ANY_LE, {0, 0x9000, 0, 0, 0x9000}},
    {"EXTERNAL AUTHENTICATE",
     0x82,
     0x00,
     0x01,
     "00000000000000000000000000000000",
     0x04,
     ANY_LC,
     {0, 0, 0x6985, 0, 0, 0x6985}},
    {"MANAGE CHANNEL open, card's choice",
     0x70,
     0x00,
     0x00,
     "",
     0x01,
     ANY_LE,
     {0, 0x9000, 0, 0, 0x9000}},
    {"MANAGE CHANNEL open channel 3", 0x70, 0x00, 0x03, "", 0x01, NONE_, {0x9000}},
    {"MANAGE CHANNEL close channel 3", 0x70, 0x80, 0x03, "", 0x01, NONE_, {0x6881}},
    {"SELECT EF 0101, no answer",
     0xa4,
     0x02,
     0x0c,
     "0101",
     0x00,
     ANY_LC | ANY_LCLE,
     {0, 0, 0x9000, 0x9000, 0, 0x9000, 0x9000}},
    {"SELECT the MF", 0xa4, 0x00, 0x0c, "", 0x00, NONE_ | ANY_LE, {0x9000, 0x9000, 0, 0, 0x9000}},
    {"READ BINARY by SFI", 0xb0, 0x81, 0x00, "", 0x04, ANY_LE, {0, 0x9000, 0, 0, 0x9000}},
    {"UPDATE BINARY by SFI", 0xd6, 0x81, 0x00, "41", 0x04, ANY_LC, {0, 0, 0x6982, 0, 0, 0x6982}},
    {"GET DATA, serial", 0xca, 0x00, 0x5a, "", 0x00, ANY_LE, {0, 0x9000, 0, 0, 0x9000}},
    {"GET RESPONSE, nothing pending",
     0xc0,
     0x00,
     0x00,
     "",
     0x00,
     ANY_LE,
     {0, 0x6985, 0, 0, 0x6985}},
};

/* The APDU of a row in one length case, on one channel (class byte already chosen). */
static size_t build(const struct row *r, enum kase k, uint8_t cla, uint8_t *out)
{
        uint8_t data[64];
        size_t n = hex_parse(r->data, data, sizeof(data)), len = 4;
        bool has_data = k == C3S || k == C4S || k == C3E || k == C4E;
        bool has_le = k == C2S || k == C4S || k == C2E || k == C4E;
        bool ext = k == C2E || k == C3E || k == C4E;

        if (has_data && n == 0) /* a case 3 or 4 needs data: one byte stands in */
                data[n++] = 0x00;
        out[0] = cla;
        out[1] = r->ins;
        out[2] = r->p1;
        out[3] = r->p2;
        if (ext)
                out[len++] = 0x00;
        if (has_data) {
                if (ext)
                        out[len++] = (uint8_t)(n >> 8);
                out[len++] = (uint8_t)n;
                memcpy(out + len, data, n);
                len += n;
        }
        if (has_le) {
                if (ext)
                        out[len++] = 0x00;
                out[len++] = r->le;
        }
        return len;
}

/* A fresh default card with channel chno open, current DF the MF on it. */
static scsim_card *card_on(scsim_profile **p, unsigned chno)
{
        scsim_card *card = default_card(p);
        char open[16];

        if (chno != 0) {
                snprintf(open, sizeof(open), "00 70 00 %02X", chno);
                assert_int_equal(xmit(card, open, NULL, NULL), 0x9000);
        }
        return card;
}

/* Returns 0 when the card answered as the standard says, else reports and returns 1. */
static int one(const struct row *r, enum kase k, unsigned chno)
{
        scsim_profile *p = NULL;
        scsim_card *card = card_on(&p, chno);
        uint8_t apdu[96];
        size_t len = build(r, k, (uint8_t)chno, apdu);
        uint16_t sw = xmit_bytes(card, apdu, len, NULL, NULL);
        bool allowed = (r->allowed & (1u << k)) != 0;
        int bad = 1;

        if (!allowed && sw != 0x6700)
                print_error("%s, case %s, channel %u: %04X, expected 6700\n", r->what,
                            case_names[k], chno, sw);
        else if (allowed && sw == 0x6700)
                print_error("%s, case %s, channel %u: 6700 for a case the command has\n", r->what,
                            case_names[k], chno);
        else if (allowed && r->sw[k] != 0 && sw != r->sw[k])
                print_error("%s, case %s, channel %u: %04X, expected %04X\n", r->what,
                            case_names[k], chno, sw, r->sw[k]);
        else
                bad = 0;
        scsim_card_free(&card);
        scsim_profile_free(&p);
        return bad;
}

static void test_cases_on_every_channel(void **state)
{
        int bad = 0;

        (void)state;
        for (unsigned chno = 0; chno < 4; chno++) {
                if (chno == 3)
                        continue; /* the rows open and close channel 3 themselves */
                for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
                        for (int k = 0; k < NCASES; k++)
                                bad += one(&rows[i], (enum kase)k, chno);
        }
        assert_int_equal(bad, 0);
}

/*
 * A channel that is not open, or beyond the card's four, refuses every
 * command, whatever its length case: 6881.
 */
static void test_closed_channels(void **state)
{
        static const uint8_t classes[] = {0x01, 0x02, 0x03, 0x40, 0x4f};
        scsim_profile *p = NULL;
        scsim_card *card = default_card(&p);
        uint8_t apdu[96];

        (void)state;
        for (size_t c = 0; c < sizeof(classes); c++)
                for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
                        for (int k = 0; k < NCASES; k++) {
                                size_t len = build(&rows[i], (enum kase)k, classes[c], apdu);
                                uint16_t sw = xmit_bytes(card, apdu, len, NULL, NULL);
                                if (sw != 0x6881)
                                        fail_msg("%s, case %s, CLA %02X: %04X, expected 6881",
                                                 rows[i].what, case_names[k], classes[c], sw);
                        }
        scsim_card_free(&card);
        scsim_profile_free(&p);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_cases_on_every_channel),
            cmocka_unit_test(test_closed_channels),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
