/* SPDX-License-Identifier: MIT */
/* CHV commands on the default card: every P1/P2 form, every status word, the counter rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "card_steps.h"

/* Codes of the default card (docs/card-model.md). */
#define PIN_1234     "04 31323334"
#define PIN_1111     "04 31313131"
#define PIN_9999     "04 39393939"
#define PUK_OK       "3132333435363738"
#define SEL_MF       "00A4000C00 -> 9000"
#define SEL_SECRET   "00A4000C020102 -> 9000"
#define SEL_APP      "00A4040C07F0534353494D01 -> 9000"
#define READ_REFUSED "00B0000000 -> 6982"
#define READ_OK      "00B0000000 -> *9000"

struct transcript {
        const char *name;
        const char *steps[40];
};

static const struct transcript cases[] = {
    {"verify right, query, reset with P1=FF",
     {"00200001 -> 63C3", "00200001" PIN_1234 " -> 9000", "00200001 -> 9000", "0020FF01 -> 9000",
      "00200001 -> 63C3", NULL}},
    {"wrong codes count down to 63C0, then 6983 even for the right code",
     {"00200001" PIN_1111 " -> 63C2", "00200001" PIN_1111 " -> 63C1",
      "00200001" PIN_1111 " -> 63C0", "00200001" PIN_1234 " -> 6983", "00200001 -> 6983",
      "0020FF01 -> 9000", "00200001 -> 6983", NULL}},
    {"a right code restores the counter",
     {"00200001" PIN_1111 " -> 63C2", "00200001" PIN_1111 " -> 63C1",
      "00200001" PIN_1234 " -> 9000", "0020FF01 -> 9000", "00200001 -> 63C3", NULL}},
    {"a wrong code clears an earlier verification",
     {"00200001" PIN_1234 " -> 9000", "00200001" PIN_1111 " -> 63C2", "00200001 -> 63C2", NULL}},
    {"queries never change the counter",
     {"00200001" PIN_1111 " -> 63C2", "00200001 -> 63C2", "00200001 -> 63C2", "00200001 -> 63C2",
      NULL}},
    {"malformed codes are 6A80 and cost nothing",
     {"00200001 04 31326134 -> 6A80", "00200001 03 313233 -> 6A80",
      "00200001 09 313233343536373839 -> 6A80", "00200001 -> 63C3", NULL}},
    {"bad P1, unknown reference, P1=FF with data",
     {"00200100" PIN_1234 " -> 6A86", "00200002" PIN_1234 " -> 6A88", "00200081 -> 6A88",
      "0020FF01" PIN_1234 " -> 6700", "00200001 -> 63C3", NULL}},
    {"the specific PIN is only visible inside its DF and cleared on leaving it",
     {"00200081 06 303030303030 -> 6A88", SEL_APP, "00200081 -> 63C3",
      "00200081 06 303030303030 -> 9000", "00A4020C025001 -> 9000", READ_OK, SEL_MF,
      "00200081 -> 6A88", SEL_APP, "00200081 -> 63C3", "00A4020C025001 -> 9000", READ_REFUSED,
      NULL}},
    {"the global PIN survives selects",
     {"00200001" PIN_1234 " -> 9000", SEL_APP, "00200001 -> 9000", SEL_MF, SEL_SECRET, READ_OK,
      NULL}},
    {"the specific PIN: 6..8 digits",
     {SEL_APP, "00200081 05 3030303030 -> 6A80", "00200081 06 303030303031 -> 63C2", NULL}},
    {"CHANGE REFERENCE DATA P1=00 old||new, verified afterwards",
     {"00240001 08 31323334 35363738 -> 9000", "00200001 -> 9000", "0020FF01 -> 9000",
      "00200001" PIN_1234 " -> 63C2", "00200001 04 35363738 -> 9000", NULL}},
    {"CHANGE REFERENCE DATA with a wrong old code counts a try",
     {"00240001 08 31313131 35363738 -> 63C2", "00200001 -> 63C2", "00200001" PIN_1234 " -> 9000",
      NULL}},
    {"CHANGE REFERENCE DATA with a malformed new code costs nothing",
     {"00240001 06 31323334 3536 -> 6A80", "00240001 04 31323334 -> 6700", "00200001 -> 63C3",
      NULL}},
    {"CHANGE REFERENCE DATA P1=01 needs the reference verified",
     {"00240101 04 35363738 -> 6982", "00200001" PIN_1234 " -> 9000",
      "00240101 04 35363738 -> 9000", "0020FF01 -> 9000", "00200001 04 35363738 -> 9000", NULL}},
    {"CHANGE REFERENCE DATA on a blocked reference",
     {"00200001" PIN_1111 " -> 63C2", "00200001" PIN_1111 " -> 63C1",
      "00200001" PIN_1111 " -> 63C0", "00240001 08 31323334 35363738 -> 6983", NULL}},
    {"RESET RETRY COUNTER P1=00 unblocks and sets a new value, without verifying",
     {"00200001" PIN_1111 " -> 63C2", "00200001" PIN_1111 " -> 63C1",
      "00200001" PIN_1111 " -> 63C0", "002C0001 0C " PUK_OK "39393939 -> 9000", "00200001 -> 63C3",
      SEL_SECRET, READ_REFUSED, "00200001" PIN_1234 " -> 63C2", "00200001" PIN_9999 " -> 9000",
      READ_OK, NULL}},
    {"RESET RETRY COUNTER leaves the reference unverified, on every channel",
     {"00700000 01 -> 019000", "00200001" PIN_1234 " -> 9000", "01200001" PIN_1234 " -> 9000",
      "002C0101 08 " PUK_OK " -> 9000", "00200001 -> 63C3", "01200001 -> 63C3",
      "00200001" PIN_1234 " -> 9000", "002C0001 0C " PUK_OK "35353535 -> 9000", "00200001 -> 63C3",
      NULL}},
    {"RESET RETRY COUNTER P1=01 keeps the value",
     {"00200001" PIN_1111 " -> 63C2", "00200001" PIN_1111 " -> 63C1",
      "00200001" PIN_1111 " -> 63C0", "002C0101 08 " PUK_OK " -> 9000", "00200001 -> 63C3",
      "00200001" PIN_1234 " -> 9000", NULL}},
    {"a wrong unblock code counts down the unblock code's own counter",
     {"002C0101 08 3132333435363739 -> 63C9", "002C0101 08 3132333435363739 -> 63C8",
      "002C0101 08 " PUK_OK " -> 9000", "002C0101 08 3132333435363739 -> 63C9", NULL}},
    {"RESET RETRY COUNTER P1=00 with a malformed new value costs nothing",
     {"002C0001 0A " PUK_OK "3132 -> 6A80", "002C0001 08 " PUK_OK " -> 6700",
      "002C0101 08 3132333435363739 -> 63C9", NULL}},
    {"RESET RETRY COUNTER P1=02/03 need the administration key",
     {"002C0201 04 39393939 -> 6982", "002C0301 -> 6982", "002C0401 -> 6A86", NULL}},
    {"RESET RETRY COUNTER on a reference without unblock code or policy",
     {SEL_APP, "002C0081 0E " PUK_OK "303030303030 -> 6985", "002C0281 06 303030303030 -> 6985",
      "002C0381 -> 6985", NULL}},
    {"DISABLE/ENABLE VERIFICATION REQUIREMENT with the code",
     {"00260001" PIN_1111 " -> 63C2", "00260001" PIN_1234 " -> 9000", "00200001 -> 9000",
      SEL_SECRET, READ_OK, "!reset", "00200001 -> 9000", SEL_SECRET, READ_OK,
      "00280001" PIN_1234 " -> 9000", "0020FF01 -> 9000", "00200001 -> 63C3", SEL_SECRET,
      READ_REFUSED, NULL}},
    {"DISABLE/ENABLE P1=01 need the reference verified; the app PIN may not be disabled",
     {"00260101 -> 6982", "00200001" PIN_1234 " -> 9000", "00260101 -> 9000", "00280101 -> 9000",
      "00260201 -> 6A86", SEL_APP, "00260081 06 303030303030 -> 6985", NULL}},
    {"power cycles and resets clear status, never counters",
     {"00200001" PIN_1234 " -> 9000", "!reset", "00200001 -> 63C3", "00200001" PIN_1111 " -> 63C2",
      "!off", "!on", "00200001 -> 63C2", "00200001" PIN_1111 " -> 63C1", "!reset",
      "00200001 -> 63C1", "00200001" PIN_1111 " -> 63C0", "!off", "!on", "00200001 -> 6983",
      "!reset", "00200001" PIN_1234 " -> 6983", NULL}},
    {"another channel shares the counter, not the status",
     {"00700000 01 -> 019000", "01200001" PIN_1111 " -> 63C2", "00200001" PIN_1111 " -> 63C1",
      "01200001 -> 63C1", "01200001" PIN_1234 " -> 9000", "00200001 -> 63C3", "01708001 -> 9000",
      "00700000 01 -> 019000", "01200001 -> 63C3", NULL}},
    {"reselecting or closing a channel does not give tries back",
     {SEL_APP, "00200081 06 313131313131 -> 63C2", SEL_MF, SEL_APP, "00200081 -> 63C2",
      "00200081 06 313131313131 -> 63C1", "00700000 01 -> 019000",
      "01A4040C07F0534353494D01 -> 9000", "01200081 -> 63C1", "01708000 -> 9000",
      "00200081 06 313131313131 -> 63C0", "00200081 06 303030303030 -> 6983", NULL}},
};

static void run_case(void **state)
{
        const struct transcript *t = *state;
        scsim_profile *profile = NULL;
        scsim_card *card = default_card(&profile);

        run_steps(card, t->steps);
        scsim_card_free(&card);
        scsim_profile_free(&profile);
}

int main(void)
{
        struct CMUnitTest tests[sizeof(cases) / sizeof(cases[0])];

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                tests[i] =
                    (struct CMUnitTest){cases[i].name, run_case, NULL, NULL, (void *)&cases[i]};
        }
        return _cmocka_run_group_tests("card_chv", tests, sizeof(tests) / sizeof(tests[0]), NULL,
                                       NULL);
}
