/* SPDX-License-Identifier: MIT */
/* APDU trace text: names, status word meanings and secret masking, one table row per case. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <stdio.h>

#include "apdu_trace.h"
#include "card_steps.h"

struct mask_case {
        const char *capdu;
        bool secrets;
        const char *want;
};

static const struct mask_case mask_cases[] = {
    /* VERIFY, case 3S: the PIN goes, the header and Lc stay */
    {"00 20 00 01 04 31 32 33 34", false, "00 20 00 01 04 [4 bytes masked]"},
    {"00 20 00 01 04 31 32 33 34", true, "00 20 00 01 04 31 32 33 34"},
    /* VERIFY query (case 1) and reset have nothing to hide */
    {"00 20 00 01", false, "00 20 00 01"},
    {"00 20 FF 01", false, "00 20 FF 01"},
    /* CHANGE REFERENCE DATA old||new, RESET RETRY COUNTER, ENABLE/DISABLE */
    {"00 24 00 01 08 31 32 33 34 35 36 37 38", false, "00 24 00 01 08 [8 bytes masked]"},
    {"00 2C 00 81 02 11 22", false, "00 2C 00 81 02 [2 bytes masked]"},
    {"00 26 00 01 02 31 32", false, "00 26 00 01 02 [2 bytes masked]"},
    {"00 28 00 01 02 31 32", false, "00 28 00 01 02 [2 bytes masked]"},
    /* EXTERNAL / GENERAL AUTHENTICATE, case 4S: Le stays visible */
    {"00 82 00 01 02 AA BB 00", false, "00 82 00 01 02 [2 bytes masked] 00"},
    {"00 87 03 9B 04 7C 02 81 00 00", false, "00 87 03 9B 04 [4 bytes masked] 00"},
    /* extended case 3E */
    {"00 20 00 80 00 00 02 31 32", false, "00 20 00 80 00 00 02 [2 bytes masked]"},
    /* undecodable: everything after the header is masked */
    {"00 20 00 01 05 31 32", false, "00 20 00 01 [3 bytes masked]"},
    /* PIV's 5FC109, where YubiKey's tools keep a management key: what is written there */
    {"00 DB 3F FF 0A 5C 03 5F C1 09 53 03 88 01 AA", false, "00 DB 3F FF 0A [10 bytes masked]"},
    {"00 CB 3F FF 05 5C 03 5F C1 09 00", false, "00 CB 3F FF 05 5C 03 5F C1 09 00"},
    /* ordinary commands are shown whole */
    {"00 A4 04 00 02 3F 00", false, "00 A4 04 00 02 3F 00"},
    {"00 CA 00 5A 00", false, "00 CA 00 5A 00"},
};

static void test_mask_table(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(mask_cases) / sizeof(mask_cases[0]); i++) {
                uint8_t apdu[64];
                char out[256];
                size_t len = hex_parse(mask_cases[i].capdu, apdu, sizeof(apdu));
                size_t n =
                    apdu_trace_format_command(apdu, len, mask_cases[i].secrets, out, sizeof(out));
                print_message("row %zu: %s\n", i, mask_cases[i].capdu);
                assert_string_equal(out, mask_cases[i].want);
                assert_int_equal(n, strlen(mask_cases[i].want));
        }
}

struct sw_case {
        uint16_t sw;
        const char *want;
};

static const struct sw_case sw_cases[] = {
    {0x9000, "ok"},
    {0x63C2, "verification failed, 2 tries left"},
    {0x6983, "authentication method blocked"},
    {0x6110, "16 more bytes available"},
    {0x6C00, "wrong Le, 256 bytes available"},
    {0x6A88, "referenced data not found"},
    {0x6F12, "error"},
    {0x1234, "unknown status"},
};

static void test_sw_table(void **state)
{
        char buf[64];

        (void)state;
        for (size_t i = 0; i < sizeof(sw_cases) / sizeof(sw_cases[0]); i++)
                assert_string_equal(apdu_trace_sw_meaning(sw_cases[i].sw, buf, sizeof(buf)),
                                    sw_cases[i].want);
}

static void test_names(void **state)
{
        (void)state;
        assert_string_equal(apdu_trace_ins_name(0x00, 0x20), "VERIFY");
        assert_string_equal(apdu_trace_ins_name(0x00, 0x2C), "RESET RETRY COUNTER");
        assert_string_equal(apdu_trace_ins_name(0x00, 0x87), "GENERAL AUTHENTICATE");
        assert_string_equal(apdu_trace_ins_name(0xFF, 0xCA), "PSEUDO-APDU");
        assert_null(apdu_trace_ins_name(0x00, 0x02));
        assert_true(apdu_trace_ins_is_secret(0x82));
        assert_false(apdu_trace_ins_is_secret(0xA4));
        assert_true(apdu_trace_ins_is_secret(0xFE));
        assert_true(apdu_trace_ins_is_secret(0xFF));
        assert_true(apdu_trace_answer_is_secret(0x87));
        /* OpenPGP: PUT DATA carries the resetting code and private keys, PSO answers plaintext */
        assert_true(apdu_trace_ins_is_secret(0xDA));
        assert_true(apdu_trace_ins_is_secret(0xDB));
        assert_true(apdu_trace_answer_is_secret(0x2A));
        assert_string_equal(apdu_trace_ins_name(0x00, 0xA5), "SELECT DATA");
        assert_false(apdu_trace_answer_is_secret(0xB0));
}

/* GENERAL AUTHENTICATE's answer (decrypted data, ECDH secret) is masked; others are not. */
static void test_answer_masking(void **state)
{
        static const uint8_t secret[] = {0x7c, 0x04, 0x82, 0x02, 0xde, 0xad};
        char buf[128];

        (void)state;
        apdu_trace_format_answer(0x87, secret, sizeof(secret), false, buf, sizeof(buf));
        assert_string_equal(buf, "[6 bytes masked]");
        apdu_trace_format_answer(0x87, secret, sizeof(secret), true, buf, sizeof(buf));
        assert_non_null(strstr(buf, "DE AD"));
        apdu_trace_format_answer(0xB0, secret, sizeof(secret), false, buf, sizeof(buf));
        assert_non_null(strstr(buf, "DE AD"));
}

/* A small buffer truncates but reports the full length, as snprintf. */
static void test_truncation(void **state)
{
        uint8_t apdu[] = {0x00, 0xA4, 0x04, 0x00};
        char out[6];

        (void)state;
        assert_int_equal(apdu_trace_format_command(apdu, sizeof(apdu), false, out, sizeof(out)),
                         strlen("00 A4 04 00"));
        assert_string_equal(out, "00 A4");
}

/* profiles/piv.yaml with an RSA-2048 key in 9D that needs no PIN. */
static scsim_card *rsa_card(scsim_profile **p)
{
        static const char marker[] = "  # keys:";
        static const char keys[] = "  keys:\n    9d: {algorithm: rsa2048, pin_policy: never}\n";
        char text[16384], yaml[16384 + sizeof(keys)];
        FILE *f = fopen(SCSIM_SOURCE_DIR "/profiles/piv.yaml", "r");
        size_t len;
        const char *at;
        scsim_diag diag;
        scsim_card *card;

        assert_non_null(f);
        len = fread(text, 1, sizeof(text) - 1, f);
        fclose(f);
        text[len] = '\0';
        assert_non_null(at = strstr(text, marker));
        snprintf(yaml, sizeof(yaml), "%.*s%s%s", (int)(at - text), text, keys, at);
        assert_int_equal(scsim_profile_load_buffer("piv+9d", yaml, strlen(yaml), p, &diag),
                         SCSIM_OK);
        card = scsim_card_new(*p);
        if (card != NULL)
                scsim_card_power_on(card, NULL, NULL);
        return card;
}

static scsim_apdu_info described(const scsim_card *card, const char *hex)
{
        uint8_t apdu[64];
        size_t len = hex_parse(hex, apdu, sizeof(apdu));
        scsim_apdu_info info;

        assert_int_equal(scsim_apdu_describe(card, apdu, len, &info), SCSIM_OK);
        return info;
}

/*
 * With a card, the rows are those the card dispatches on: the application
 * the channel is in, and for GET RESPONSE the command whose answer waits.
 */
static void test_describe_on_card(void **state)
{
        static const char select_piv[] = "00 A4 04 00 09 A0 00 00 03 08 00 00 10 00";
        scsim_profile *p = NULL;
        scsim_diag diag;
        scsim_card *card;
        scsim_apdu_info info;
        uint8_t big[300];
        size_t n = 0;

        (void)state;
        assert_int_equal(scsim_profile_load_file(SCSIM_SOURCE_DIR "/profiles/piv.yaml", &p, &diag),
                         SCSIM_OK);
        assert_non_null(card = scsim_card_new(p));
        assert_int_equal(scsim_card_power_on(card, NULL, NULL), SCSIM_OK);

        /* outside the PIV DF, FE is no instruction of the card's; in it, PIV's IMPORT KEY */
        info = described(card, "00 FE 07 9A 02 01 00");
        assert_null(info.name);
        assert_false(info.secret_in);
        info = described(NULL, "00 FE 07 9A 02 01 00");
        assert_string_equal(info.name, "IMPORT ASYMMETRIC KEY");
        assert_true(info.secret_in);
        assert_int_equal(xmit(card, select_piv, NULL, NULL), 0x9000);
        info = described(card, "00 FE 07 9A 02 01 00");
        assert_string_equal(info.name, "IMPORT ASYMMETRIC KEY");
        assert_string_equal(info.application, "piv");
        assert_true(info.secret_in);
        assert_true(info.decoded);
        assert_int_equal(info.data_offset, 5);
        assert_int_equal(info.data_len, 2);
        info = described(card, "00 20 00 80 00");
        assert_string_equal(info.application, "piv");
        info = described(card, "00 A4 04 00 02 3F 00");
        assert_string_equal(info.name, "SELECT");
        assert_null(info.application);

        /* a GET RESPONSE carries on the answer of the command that left it pending */
        assert_int_equal(xmit(card, "00 CB 3F FF 05 5C 03 5F C1 02 10", NULL, NULL) >> 8, 0x61);
        info = described(card, "00 C0 00 00 00");
        assert_string_equal(info.name, "GET RESPONSE");
        assert_false(info.secret_out);
        scsim_card_free(&card);
        scsim_profile_free(&p);

        /*
         * A key slot's answer is secret, and so is its remainder: an RSA-2048
         * operation answers 264 bytes, 256 now and 8 through GET RESPONSE.
         */
        assert_non_null(card = rsa_card(&p));
        assert_int_equal(xmit(card, select_piv, NULL, NULL), 0x9000);
        memset(big, 0, sizeof(big));
        memcpy(big, "\x10\x87\x07\x9d\xff\x7c\x82\x01\x06\x82\x00\x81\x82\x01\x00", 15);
        big[16] = 0x01; /* a block below any 2048-bit modulus */
        assert_int_equal(xmit_bytes(card, big, 5 + 255, NULL, NULL), 0x9000);
        memcpy(big, "\x00\x87\x07\x9d\x0b", 5);
        memset(big + 5, 0x5a, 11);
        assert_int_equal(xmit_bytes(card, big, 5 + 11, NULL, &n), 0x6108);
        assert_int_equal(n, 256);
        info = described(card, "00 C0 00 00 08");
        assert_string_equal(info.name, "GET RESPONSE");
        assert_true(info.secret_out);
        assert_int_equal(xmit(card, "00 C0 00 00 08", NULL, NULL), 0x9000);
        info = described(card, "00 C0 00 00 08");
        assert_false(info.secret_out); /* nothing is pending any more */
        scsim_card_free(&card);
        scsim_profile_free(&p);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_mask_table),     cmocka_unit_test(test_sw_table),
            cmocka_unit_test(test_names),          cmocka_unit_test(test_truncation),
            cmocka_unit_test(test_answer_masking), cmocka_unit_test(test_describe_on_card),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
