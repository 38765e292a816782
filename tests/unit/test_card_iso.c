/* SPDX-License-Identifier: MIT */
/* The default card's file system, APDU pipeline, channels, key authentication and power API. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "atr.h"
#include "card_steps.h"

/* a shareable transparent EF (82 41), its SFI 1 from the FID (88 08) */
#define FCP_0101 "62 11 80020040 820141 83020101 880108 8A0105"

struct transcript {
        const char *name;
        const char *steps[40];
};

static const struct transcript cases[] = {
    {"SELECT by FID with FCP, FCI, FMD and no data",
     {"00A4000402010100 -> " FCP_0101 " 9000",
      "00A40000020101 00 -> 6F11 80020040 820141 "
      "83020101 880108 8A0105 9000",
      "00A4000C020101 -> 9000", "00A4000C023F00 -> 9000",
      "00A4000402500000 -> 6213 820178 83025000 8407F0534353494D01 8A0105 9000",
      "00A4080C00 -> 6700", "00A4000C0209 -> 6700", "00A4000C020999 -> 6A82",
      "00A410000201 01 -> 6A86", "00A4050C00 -> 6A86", NULL}},
    {"SELECT by P1 01 (child DF), 02 (EF), 03 (parent)",
     {"00A4010C025000 -> 9000", "00A4020C025001 -> 9000", "00A4030C -> 9000", "00A4030C -> 6A82",
      "00A4010C020101 -> 6A82", "00A4020C025000 -> 6A82", NULL}},
    {"SELECT by path from the MF and from the current DF",
     {"00A4080C0450005001 -> 9000", "00B0000000 -> 6982", "00A4080C020101 -> 9000",
      "00B0000005 -> 7363 73696D 9000", "00A4090C025000 -> 9000", "00A4090C025001 -> 9000",
      "00A4080C0401015001 -> 6A82", "00A4080C03500050 -> 6700", NULL}},
    {"SELECT by DF name: whole, partial, next occurrence",
     {"00A4040C07F0534353494D01 -> 9000", "00A4040C05F053435349 -> 9000",
      "00A4040E05F053435349 -> 6A82", "00A4040C07F0534353494D02 -> 6A82", "00A4040C00 -> 9000",
      "00A4040C11F0534353494D01F0534353494D01F0534353494D -> 6700", "00A4040104F0534353 -> 6A86",
      NULL}},
    {"READ BINARY: Le rules, offsets, SFI form, no current EF",
     {"00B0000010 -> 6986", "00A4000C020101 -> 9000", "00B0000005 -> 7363 73696D 9000",
      "00B0003C00 -> *00000000 9000", "00B0003C08 -> 00000000 6282", "00B0004000 -> 6B00",
      "00B0004100 -> 6B00", "00B00000 -> 6700", "00B0000001 AA 01 -> 6700",
      "00B0 8100 05 -> 7363 73696D 9000", "00B0 A100 05 -> 6A86", "00B00000000040 -> *9000", NULL}},
    {"UPDATE BINARY: access rules and bounds",
     {"00A4000C020102 -> 9000", "00D6000003 414243 -> 6982", "0020000104 31323334 -> 9000",
      "00D6000003 414243 -> 9000", "00B0000003 -> 414243 9000", "00D6003E03 414243 -> 6A84",
      "00D6004101 41 -> 6B00", "00D60000 -> 6700", "00A4000C020101 -> 9000",
      "00D6000001 41 -> 6982", NULL}},
    {"class byte: proprietary, SM, channels beyond 3, unopened channel",
     {"80A4000C023F00 -> 6E00", "FFA4000C023F00 -> 6E00", "20A4000C023F00 -> 6E00",
      "0CA4000C023F00 -> 6882", "40A4000C023F00 -> 6881", "02A4000C023F00 -> 6881",
      "00A4000C023F00 -> 9000", NULL}},
    {"malformed lengths and unknown instructions",
     {"00A400 -> 6700", "00A4000C0401 -> 6700", "00A4000C02010100 00 -> 6700",
      "00A4000C00000201 -> 6700", "00A4000C000000 0101 -> 6700", "00A4000C0000 -> 6700",
      "00A4000C000000 -> 9000", "00EE0000 -> 6D00", "00000000 -> 6D00", NULL}},
    {"extended length APDUs: cases 2E, 3E and 4E",
     {"00A4000C000002 0101 -> 9000", "00B00000 000005 -> 7363 73696D 9000",
      "00A40004 000002 0101 0000 -> " FCP_0101 " 9000", NULL}},
    {"GET RESPONSE after 61xx; other commands drop the pending data",
     {"00A40004020101 -> 6113", "00C0000005 -> 6211800200 610E",
      "00C0000000 -> 40820141 83020101 880108 8A0105 9000", "00C0000000 -> 6985",
      "00A40004020101 -> 6113", "00200001 -> 63C3", "00C0000000 -> 6985", "00A40004020101 -> 6113",
      "00C0010000 -> 6A86", "00C0000000 -> *9000", NULL}},
    {"a command the card refuses for its class, channel, SM or length drops pending data too",
     {"00A40004020101 -> 6113", "80CA005A00 -> 6E00", "00C0000000 -> 6985",
      "00A40004020101 -> 6113", "01C0000000 -> 6881", "00C0000000 -> 6985",
      "00A40004020101 -> 6113", "0CCA005A00 -> 6882", "00C0000000 -> 6985",
      "00A40004020101 -> 6113", "00CA00 -> 6700", "00C0000000 -> 6985", NULL}},
    {"GET RESPONSE does not chain: 6884, and the pending data stays",
     {"00A40004020101 -> 6113", "10C0000000 -> 6884", "00C0000000 -> *9000", NULL}},
    {"the offset must name a byte of the EF: READ and UPDATE BINARY at the size answer 6B00",
     {"0020000104 31323334 -> 9000", "00A4000C020102 -> 9000", "00B0004001 -> 6B00",
      "00B0003F01 -> 00 9000", "00D6004001 41 -> 6B00", "00D6003F01 41 -> 9000",
      "00B0 8240 01 -> 6B00", "00B0 823F 01 -> 41 9000", NULL}},
    {"short EF identifiers: FID b5..b1, the FCP's 88, READ BINARY by SFI in each DF",
     {"00A4000402010200 -> 6211 80020040 820141 83020102 880110 8A0105 9000",
      "00B0 8200 01 -> 6982", "00B0 8100 03 -> 736373 9000", "00B0 8300 01 -> 6A82",
      "00A4040C07F0534353494D01 -> 9000", "00B0 8100 01 -> 6982",
      "00200081 06 303030303030 -> 9000", "00B0 8100 01 -> *9000", NULL}},
    {"commands without an Le field refuse one; CLA INS P1 P2 00 is the T=0 case-1 form",
     {"00200001 04 -> 6700", "0020000100 -> 63C3", "0020000104 31323334 00 -> 6700",
      "0024000108 31323334 35363738 00 -> 6700",
      "002C000110 3132333435363738 3132333435363738 00 -> 6700", "0026000104 31323334 00 -> 6700",
      "0028000104 31323334 00 -> 6700", "0082000110 00000000000000000000000000000000 00 -> 6700",
      "0020000104 31323334 -> 9000", "00A4000C020102 -> 9000", "00D6000001 41 01 -> 6700",
      "00B0000001 -> 47 9000", "0020000100 -> 9000", NULL}},
    {"command chaining: UPDATE BINARY in parts; mismatches and unchainable commands",
     {"0020000104 31323334 -> 9000", "00A4000C020102 -> 9000", "10D6000002 4142 -> 9000",
      "10D6000002 4344 -> 9000", "00D6000001 45 -> 9000", "00B0000005 -> 4142434445 9000",
      "10D6000001 41 -> 9000", "00D6000101 42 -> 6883", "00B0000002 -> 4142 9000",
      "10D6000001 5A -> 9000", "00B0000002 -> 6883", "1020000104 31323334 -> 6884",
      "00B0000001 -> 41 9000", NULL}},
    {"MANAGE CHANNEL: open by the card and by number, close, limits",
     {"00700000 01 -> 01 9000", "00700002 -> 9000", "00700002 -> 6985", "00700000 01 -> 03 9000",
      "00700000 01 -> 6A81", "00708000 -> 6A86", "03708000 -> 9000", "03A4000C023F00 -> 6881",
      "00708003 -> 6881", "00700000 -> 6700", "00700100 -> 6A86", "00708004 -> 6A86", NULL}},
    {"a new channel opened from channel 1 starts in that channel's DF, with no status",
     {"00700000 01 -> 01 9000", "01A4040C07F0534353494D01 -> 9000",
      "01200081 06 303030303030 -> 9000", "01700000 01 -> 02 9000", "02200081 -> 63C3",
      "02A4020C025001 -> 9000", "02B0000000 -> 6982", "01A4020C025001 -> 9000",
      "01B0000000 -> *9000", NULL}},
    {"a warm reset closes channels and returns to the MF",
     {"00700000 01 -> 01 9000", "00A4040C07F0534353494D01 -> 9000", "!reset",
      "01A4000C023F00 -> 6881", "00A4020C025001 -> 6A82", "00A4020C020101 -> 9000", NULL}},
    {"GET DATA: the serial number",
     {"00CA005A00 -> 5A08 5343000000000001 9000", "00CA005B00 -> 6A88", "00CA005A 01 00 -> 6700",
      NULL}},
    {"GET CHALLENGE: Le must be the challenge length",
     {"0084000010 -> *9000", "0084000008 -> 6C10", "0084000000 -> 6C10", "00840000 -> 6700",
      "0084010010 -> 6A86", NULL}},
    {"EXTERNAL AUTHENTICATE: no challenge, unknown key, bad P1",
     {"0082000110 00000000000000000000000000000000 -> 6985",
      "0082000210 00000000000000000000000000000000 -> 6A88",
      "0082010110 00000000000000000000000000000000 -> 6A86", NULL}},
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

/* The cryptogram the admin key (404142...4F) makes of a challenge. */
static void encrypt_challenge(const uint8_t ch[16], uint8_t out[16])
{
        static const uint8_t key[16] = {0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
                                        0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f};
        EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
        int len = 0;

        assert_non_null(ctx);
        assert_int_equal(EVP_EncryptInit_ex(ctx, EVP_aes_128_ecb(), NULL, key, NULL), 1);
        EVP_CIPHER_CTX_set_padding(ctx, 0);
        assert_int_equal(EVP_EncryptUpdate(ctx, out, &len, ch, 16), 1);
        assert_int_equal(len, 16);
        EVP_CIPHER_CTX_free(ctx);
}

static uint16_t external_auth(scsim_card *card, const uint8_t crypt[16])
{
        char hex[128] = "0082000110";
        for (int i = 0; i < 16; i++)
                snprintf(hex + 10 + 2 * i, 3, "%02X", crypt[i]);
        return xmit(card, hex, NULL, NULL);
}

static void test_external_authenticate(void **state)
{
        scsim_profile *profile = NULL;
        scsim_card *card = default_card(&profile);
        uint8_t ch[32], crypt[16], bad[16] = {0};
        size_t n = 0;

        (void)state;
        /* RESET RETRY COUNTER P1=03 is refused until the key is authenticated */
        assert_int_equal(xmit(card, "002C0301", NULL, NULL), 0x6982);
        assert_int_equal(xmit(card, "0084000010", ch, &n), 0x9000);
        assert_int_equal(n, 16);
        encrypt_challenge(ch, crypt);
        assert_int_equal(external_auth(card, crypt), 0x9000);
        /* a challenge is good for one attempt */
        assert_int_equal(external_auth(card, crypt), 0x6985);
        assert_int_equal(xmit(card, "00200001 04 31313131", NULL, NULL), 0x63C2);
        assert_int_equal(xmit(card, "002C0301", NULL, NULL), 0x9000);
        assert_int_equal(xmit(card, "00200001", NULL, NULL), 0x63C3);
        assert_int_equal(xmit(card, "002C0201 04 35353535", NULL, NULL), 0x9000);
        assert_int_equal(xmit(card, "00200001 04 35353535", NULL, NULL), 0x9000);
        /* an unblock by the key leaves the reference unverified, whatever it was */
        assert_int_equal(xmit(card, "002C0301", NULL, NULL), 0x9000);
        assert_int_equal(xmit(card, "00200001", NULL, NULL), 0x63C3);
        assert_int_equal(xmit(card, "00200001 04 35353535", NULL, NULL), 0x9000);
        assert_int_equal(xmit(card, "002C0201 04 36363636", NULL, NULL), 0x9000);
        assert_int_equal(xmit(card, "00200001", NULL, NULL), 0x63C3);
        assert_int_equal(xmit(card, "00200001 04 36363636", NULL, NULL), 0x9000);
        /* the key's status belongs to the channel and goes with a reset */
        assert_int_equal(scsim_card_reset(card, NULL, NULL), SCSIM_OK);
        assert_int_equal(xmit(card, "002C0301", NULL, NULL), 0x6982);

        /* wrong cryptograms count down the key's own counter; a right one restores it */
        for (int left = 4; left >= 3; left--) {
                assert_int_equal(xmit(card, "0084000010", ch, &n), 0x9000);
                assert_int_equal(external_auth(card, bad), 0x63C0 | left);
        }
        assert_int_equal(xmit(card, "0084000010", ch, &n), 0x9000);
        encrypt_challenge(ch, crypt);
        assert_int_equal(external_auth(card, crypt), 0x9000);
        for (int left = 4; left >= 0; left--) {
                assert_int_equal(xmit(card, "0084000010", ch, &n), 0x9000);
                assert_int_equal(external_auth(card, bad), 0x63C0 | left);
        }
        assert_int_equal(xmit(card, "0084000010", ch, &n), 0x9000);
        encrypt_challenge(ch, crypt);
        assert_int_equal(external_auth(card, crypt), 0x6983);
        scsim_card_free(&card);
        scsim_profile_free(&profile);
}

static void test_wrong_length_cryptogram(void **state)
{
        scsim_profile *profile = NULL;
        scsim_card *card = default_card(&profile);
        uint8_t ch[32], crypt[16];
        size_t n = 0;

        (void)state;
        assert_int_equal(xmit(card, "0084000010", ch, &n), 0x9000);
        assert_int_equal(xmit(card, "008200010400000000", NULL, NULL), 0x6700);
        encrypt_challenge(ch, crypt);
        assert_int_equal(external_auth(card, crypt), 0x6985);
        assert_int_equal(xmit(card, "0084000010", ch, &n), 0x9000);
        assert_int_equal(xmit(card, "0082000110 00000000000000000000000000000000", NULL, NULL),
                         0x63C4);
        scsim_card_free(&card);
        scsim_profile_free(&profile);
}

static void test_seeded_challenges_repeat(void **state)
{
        scsim_profile *profile = NULL;
        scsim_card *a = default_card(&profile);
        scsim_card *b = scsim_card_new(profile);
        static const uint8_t seed[] = "reproducible";
        uint8_t ca[16], cb[16], cc[16];
        size_t n = 0;

        (void)state;
        assert_non_null(b);
        assert_int_equal(scsim_card_power_on(b, NULL, NULL), SCSIM_OK);
        assert_int_equal(scsim_card_set_random_seed(a, seed, sizeof(seed)), SCSIM_OK);
        assert_int_equal(scsim_card_set_random_seed(b, seed, sizeof(seed)), SCSIM_OK);
        assert_int_equal(xmit(a, "0084000010", ca, &n), 0x9000);
        assert_int_equal(xmit(b, "0084000010", cb, &n), 0x9000);
        assert_memory_equal(ca, cb, 16);
        assert_int_equal(xmit(a, "0084000010", cc, &n), 0x9000);
        assert_memory_not_equal(ca, cc, 16);
        /* back to libcrypto's RAND_bytes */
        assert_int_equal(scsim_card_set_random_seed(b, NULL, 0), SCSIM_OK);
        assert_int_equal(xmit(b, "0084000010", cb, &n), 0x9000);
        assert_memory_not_equal(cb, cc, 16);
        scsim_card_free(&a);
        scsim_card_free(&b);
        scsim_profile_free(&profile);
}

static void test_power_api(void **state)
{
        scsim_profile *profile = NULL;
        scsim_card *card;
        const uint8_t *atr = NULL;
        const char *why = NULL;
        uint8_t cmd[] = {0x00, 0xa4, 0x00, 0x0c}, rsp[SCSIM_RAPDU_MAX], small[1];
        size_t atr_len = 0, rlen = 99;

        (void)state;
        assert_int_equal(scsim_profile_default(&profile), SCSIM_OK);
        assert_string_equal(scsim_profile_name(profile), "iso7816-chv");
        card = scsim_card_new(profile);
        assert_non_null(card);
        assert_false(scsim_card_is_powered(card));
        assert_int_equal(scsim_card_transmit(card, cmd, sizeof(cmd), rsp, sizeof(rsp), &rlen),
                         SCSIM_ERR_POWERED_OFF);
        assert_int_equal(rlen, 0);
        assert_int_equal(scsim_card_reset(card, &atr, &atr_len), SCSIM_ERR_POWERED_OFF);
        assert_int_equal(scsim_card_power_on(card, &atr, &atr_len), SCSIM_OK);
        assert_int_equal(atr_check(atr, atr_len, &why), 0);
        assert_int_equal(atr_len, 16);
        assert_int_equal(atr[0], 0x3b);
        assert_int_equal(scsim_card_transmit(card, cmd, sizeof(cmd), small, sizeof(small), &rlen),
                         SCSIM_ERR_BUFFER_TOO_SMALL);
        assert_int_equal(scsim_card_transmit(card, cmd, 0, rsp, sizeof(rsp), &rlen),
                         SCSIM_ERR_INVALID_ARGUMENT);
        assert_int_equal(scsim_card_transmit(card, NULL, 4, rsp, sizeof(rsp), &rlen),
                         SCSIM_ERR_INVALID_ARGUMENT);
        assert_int_equal(
            scsim_card_transmit(card, cmd, SCSIM_CAPDU_MAX + 1, rsp, sizeof(rsp), &rlen),
            SCSIM_ERR_INVALID_ARGUMENT);
        assert_int_equal(scsim_card_transmit(card, cmd, sizeof(cmd), rsp, sizeof(rsp), &rlen),
                         SCSIM_OK);
        assert_int_equal(rlen, 2);
        assert_int_equal(scsim_card_power_off(card), SCSIM_OK);
        assert_int_equal(scsim_card_power_off(card), SCSIM_OK);
        assert_null(scsim_card_new(NULL));
        scsim_card_free(&card);
        assert_null(card);
        scsim_card_free(&card);
        scsim_card_free(NULL);
        scsim_profile_free(&profile);
        assert_null(profile);
}

static void test_cards_are_independent(void **state)
{
        scsim_profile *profile = NULL;
        scsim_card *a = default_card(&profile);
        scsim_card *b = scsim_card_new(profile);

        (void)state;
        assert_non_null(b);
        assert_int_equal(scsim_card_power_on(b, NULL, NULL), SCSIM_OK);
        for (int i = 0; i < 3; i++)
                xmit(a, "00200001 04 31313131", NULL, NULL);
        assert_int_equal(xmit(a, "00200001", NULL, NULL), 0x6983);
        assert_int_equal(xmit(b, "00200001", NULL, NULL), 0x63C3);
        assert_int_equal(xmit(b, "00200001 04 31323334", NULL, NULL), 0x9000);
        assert_int_equal(xmit(a, "00200001", NULL, NULL), 0x6983);
        scsim_card_free(&a);
        scsim_card_free(&b);
        scsim_profile_free(&profile);
}

/*
 * The same session answered alike whatever the caller's buffer: one that holds
 * any answer (the card writes into it directly), one exactly as long as each
 * answer, and the command's own buffer used for the answer too.
 */
static const char *const buffer_session[] = {
    "00A40004020101", "00C0000005", "00C0000000",          "00A4000C020101", "00B0000040",
    "00B000001000",   "00B0000005", "0020000104 31323334", "00A4000C020102", "00D6000003 414243",
    "00B0000003",     "00CA005A00", "00A40004020101 05",   "00C0000020",
};

static void test_answer_buffers(void **state)
{
        enum { FULL, EXACT, SAME, NWAYS };
        scsim_profile *p[NWAYS] = {NULL};
        scsim_card *card[NWAYS];
        uint8_t *full = malloc(SCSIM_RAPDU_MAX), *same = malloc(SCSIM_RAPDU_MAX), cmd[64];

        (void)state;
        assert_non_null(full);
        assert_non_null(same);
        for (int w = 0; w < NWAYS; w++)
                card[w] = default_card(&p[w]);
        for (size_t i = 0; i < sizeof(buffer_session) / sizeof(buffer_session[0]); i++) {
                size_t len = hex_parse(buffer_session[i], cmd, sizeof(cmd)), n = 0, m = 0, k = 0;
                uint8_t *exact;
                assert_int_equal(
                    scsim_card_transmit(card[FULL], cmd, len, full, SCSIM_RAPDU_MAX, &n), SCSIM_OK);
                assert_non_null(exact = malloc(n));
                assert_int_equal(scsim_card_transmit(card[EXACT], cmd, len, exact, n, &m),
                                 SCSIM_OK);
                memcpy(same, cmd, len);
                assert_int_equal(
                    scsim_card_transmit(card[SAME], same, len, same, SCSIM_RAPDU_MAX, &k),
                    SCSIM_OK);
                print_message("step %zu: %s\n", i, buffer_session[i]);
                assert_int_equal(m, n);
                assert_int_equal(k, n);
                assert_memory_equal(exact, full, n);
                assert_memory_equal(same, full, n);
                free(exact);
        }
        for (int w = 0; w < NWAYS; w++) {
                scsim_card_free(&card[w]);
                scsim_profile_free(&p[w]);
        }
        free(full);
        free(same);
}

int main(void)
{
        struct CMUnitTest tests[sizeof(cases) / sizeof(cases[0]) + 6];
        size_t n = 0;

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                tests[n++] =
                    (struct CMUnitTest){cases[i].name, run_case, NULL, NULL, (void *)&cases[i]};
        tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_external_authenticate);
        tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_wrong_length_cryptogram);
        tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_seeded_challenges_repeat);
        tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_power_api);
        tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_answer_buffers);
        tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_cards_are_independent);
        return _cmocka_run_group_tests("card_iso", tests, n, NULL, NULL);
}
