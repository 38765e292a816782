/* SPDX-License-Identifier: MIT */
/* Access rules on a card: any-of and all-of, nested, over CHVs and keys, per channel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "card_steps.h"

/* EF 0001: read needs pin OR pin2; update needs pin AND (pin2 OR key k). */
static const char profile_yaml[] =
    "name: rules\n"
    "historical_bytes: \"80\"\n"
    "serial: \"01\"\n"
    "keys:\n"
    "  k: {reference: \"02\", algorithm: aes-128, value: \"000102030405060708090A0B0C0D0E0F\","
    " retries: 3}\n"
    "chvs:\n"
    "  pin: {reference: \"01\", value: \"1111\", length: 4..8, retries: 3}\n"
    "  pin2: {reference: \"03\", value: \"2222\", length: 4..8, retries: 3}\n"
    "files:\n"
    "  f:\n"
    "    type: ef\n"
    "    fid: \"0001\"\n"
    "    size: 4\n"
    "    content: \"abcd\"\n"
    "    read: {any: [{chv: pin}, {chv: pin2}]}\n"
    "    update: {all: [{chv: pin}, {any: [{chv: pin2}, {key: k}]}]}\n";

#define SEL       "00A4000C020001 -> 9000"
#define PIN_OK    "0020000104 31313131 -> 9000"
#define PIN2_OK   "0020000304 32323232 -> 9000"
#define READ_OK   "00B0000004 -> 61626364 9000"
#define READ_NO   "00B0000004 -> 6982"
#define UPDATE_OK "00D6000001 41 -> 9000"
#define UPDATE_NO "00D6000001 41 -> 6982"

struct transcript {
        const char *name;
        const char *steps[16];
};

static const struct transcript cases[] = {
    {"nothing verified: neither read nor update", {SEL, READ_NO, UPDATE_NO, NULL}},
    {"any-of: either PIN opens the read",
     {SEL, PIN2_OK, READ_OK, "0020FF03 -> 9000", READ_NO, PIN_OK, READ_OK, NULL}},
    {"all-of: one PIN is not enough to update",
     {SEL, PIN_OK, UPDATE_NO, "0020FF01 -> 9000", PIN2_OK, UPDATE_NO, NULL}},
    {"all-of with a nested any-of: both PINs update",
     {SEL, PIN_OK, PIN2_OK, UPDATE_OK, "00B0000001 -> 41 9000", NULL}},
    {"all-of counts only what is verified on the command's own channel",
     {SEL, "00700000 01 -> 01 9000", "01A4000C020001 -> 9000", "0120000104 31313131 -> 9000",
      PIN2_OK, "01D6000001 41 -> 6982", UPDATE_NO, NULL}},
};

static void run_case(void **state)
{
        const struct transcript *t = *state;
        scsim_profile *p = NULL;
        scsim_card *card;
        scsim_diag diag;

        if (scsim_profile_load_buffer("rules.yaml", profile_yaml, strlen(profile_yaml), &p,
                                      &diag) != SCSIM_OK)
                fail_msg("rules.yaml:%u:%u: %s", diag.line, diag.column, diag.message);
        card = scsim_card_new(p);
        assert_non_null(card);
        assert_int_equal(scsim_card_power_on(card, NULL, NULL), SCSIM_OK);
        run_steps(card, t->steps);
        scsim_card_free(&card);
        scsim_profile_free(&p);
}

int main(void)
{
        struct CMUnitTest tests[sizeof(cases) / sizeof(cases[0])];

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                tests[i] =
                    (struct CMUnitTest){cases[i].name, run_case, NULL, NULL, (void *)&cases[i]};
        return _cmocka_run_group_tests("card_rules", tests, sizeof(tests) / sizeof(tests[0]), NULL,
                                       NULL);
}
