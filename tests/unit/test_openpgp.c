/* SPDX-License-Identifier: MIT */
/*
 * The OpenPGP application on profiles/openpgp.yaml, as APDU transcripts:
 * SELECT, the data objects, the passwords (VERIFY, CHANGE REFERENCE DATA,
 * RESET RETRY COUNTER, the resetting code), what clears the security
 * status, PW1 for one signature or several, the life cycle, SELECT DATA,
 * GET CHALLENGE, MSE and the KDF-DO.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "card_steps.h"
#include "openpgp_card.h"

#define V81     "00200081" PW1 " -> 9000"
#define V82     "00200082" PW1 " -> 9000"
#define V83     "00200083" PW3 " -> 9000"
#define P256    "13 2A8648CE3D030107"
#define GEN_SIG "00478000 02 B600 00 -> *9000"
#define CDS     "002A9E9A 20 000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F 00"
#define RC      "3837363534333231" /* resetting code 87654321 */
#define HIST    "0031F573C001E0059000"
#define Z20     "0000000000000000000000000000000000000000" /* an empty fingerprint */

struct transcript {
        const char *name;
        const char *steps[40];
};

static const struct transcript cases[] = {
    {"SELECT: FCI with the full AID; no Le, no data (case 3); P2 0C; the full AID; a wrong one",
     {OPGP_SEL, "00A4040006D27600012401 -> 9000", "00A4040C06D27600012401 -> 9000",
      "00A4040010" OPGP_AID " 00 -> 6F12 8410" OPGP_AID " 9000",
      "00A4040010D276000124010304FFFF000000020000 00 -> 6A82", NULL}},
    {"GET DATA: AID, historical bytes, PW status, cardholder, counter, capabilities, lengths",
     {"00CA004F00 -> " OPGP_AID " 9000", "00CA5F5200 -> " HIST " 9000",
      "00CA00C400 -> 007F7F7F 030003 9000", "00CA006500 -> 6508 5B00 5F2D00 5F3500 9000",
      "00CA007A00 -> 7A05 9303000000 9000", "00CA00C000 -> 7D00 0800 0800 00FF 0001 9000",
      "00CA7F6600 -> 7F6608 02020800 02020800 9000", "00CA00C100 -> 010800001100 9000",
      "00CA00DE00 -> 010002000300 9000", "00CA00F900 -> 810100 9000",
      "00CA00C500 -> " Z20 Z20 Z20 " 9000", "00CA00CD00 -> 000000000000000000000000 9000",
      "00CA00FA000000 -> *9000", "00CA00FA00 -> *612E", NULL}},
    {"GET DATA 6E: AID, historical bytes, extended lengths, then the discretionary DOs",
     {"00CA006E00 -> 6E81EC 4F10" OPGP_AID " 5F520A" HIST " 7F6608 02020800 02020800 7381BF "
      "C00A 7D00 0800 0800 00FF 0001 C106010800001100 C206010800001100 C306010800001100 "
      "C407007F7F7F030003 C53C" Z20 Z20 Z20 " C63C" Z20 Z20 Z20 " CD0C000000000000000000000000 "
      "DE06010002000300 9000",
      NULL}},
    {"GET DATA: private DOs 3 and 4 need PW1 (82) and PW3; fingerprints only through C5",
     {"00CA010100 -> 9000", "00CA010300 -> 6982", "00CA010400 -> 6982", V81, "00CA010300 -> 6982",
      V82, "00CA010300 -> 9000", "00CA010400 -> 6982", V83, "00CA010400 -> 9000",
      "00CA00C700 -> 6A88", "00CA00D300 -> 6A88", "00CA000000 -> 6A88", "00CA004F 01 00 -> 6700",
      NULL}},
    {"PUT DATA: PW3 for cardholder data, PW1 (82) for private DOs 1 and 3",
     {"00DA005B 09 446F653C3C4A6F686E -> 6982", V82, "00DA005B 09 446F653C3C4A6F686E -> 6982",
      "00DA0101 02 4142 -> 9000", "00DA0102 02 4142 -> 6982", V83,
      "00DA005B 09 446F653C3C4A6F686E -> 9000", "00DA5F2D 02 656E -> 9000",
      "00DA5F35 01 32 -> 9000", "00DA0102 02 4344 -> 9000",
      "00CA006500 -> 6514 5B09446F653C3C4A6F686E 5F2D02656E 5F350132 9000",
      "00CA010100 -> 4142 9000", "00CA010200 -> 4344 9000", "00DA5B00 -> 6A88", NULL}},
    {"PUT DATA: lengths and formats",
     {V83,
      "00DA005B 28 41414141414141414141414141414141414141414141414141414141414141414141414141414141"
      " -> 6700",
      "00DA5F35 01 33 -> 6A80", "00DA00C7 13 00000000000000000000000000000000000000 -> 6A80",
      "00DA00C7 14 0102030405060708090A0B0C0D0E0F1011121314 -> 9000",
      "00DA00CE 04 65000000 -> 9000", "00CA00CD00 -> 650000000000000000000000 9000",
      "00DA00C4 01 02 -> 6A80", "00DA00C4 02 0000 -> 6700", "00DA00C4 01 01 -> 9000",
      "00CA00C400 -> 017F7F7F 030003 9000", "00DA004F 01 00 -> 6A88", "00DB3FFE 02 4D00 -> 6A86",
      "00DA00C1 02 0101 -> 6A80", "00DA00C2 0A 162B06010401DA470F01 -> 6A80", NULL}},
    {"VERIFY: queries, 81 and 82 apart, P1=FF, wrong references and lengths",
     {"00200081 -> 63C3", "00200082 -> 63C3", "00200083 -> 63C3", V81, "00200081 -> 9000",
      "00200082 -> 63C3", "0020FF81 -> 9000", "00200081 -> 63C3", "0020FF81 01 00 -> 6700",
      "00200084" PW1 " -> 6A88", "00200181" PW1 " -> 6A86", "00200081 05 3132333435 -> 6700",
      "00200083" PW1 " -> 6700", "00200081 -> 63C3", NULL}},
    {"VERIFY: three wrong PW1 block 81 and 82 alike; PW3 keeps its own counter",
     {"00200082" PW1_BAD " -> 63C2", "00200081" PW1_BAD " -> 63C1", "00200082" PW1_BAD " -> 63C0",
      "00200081" PW1 " -> 6983", "00200082" PW1 " -> 6983", "00200081 -> 6983", "0020FF81 -> 9000",
      "00CA00C400 -> 007F7F7F 000003 9000", "00200083" PW3_BAD " -> 63C2", V83,
      "00CA00C400 -> 007F7F7F 000003 9000", NULL}},
    {"CHANGE REFERENCE DATA: old || new; 82 is not a password of its own; short data still costs",
     {"00240081 0C 313233343536 363534333231 -> 9000", "00200081" PW1 " -> 63C2",
      "00200081 06 363534333231 -> 9000", "00240082 0C 363534333231 313233343536 -> 6A86",
      "00240081 0B 363534333231 3132333435 -> 6700", "00CA00C400 -> 007F7F7F 030003 9000",
      "00240081 03 363534 -> 63C2", "00240081 0C 393939393939 313233343536 -> 63C1",
      "00240081 0C 363534333231 313233343536 -> 9000", "00CA00C400 -> 007F7F7F 030003 9000",
      "00240083 10 3132333435363738 3837363534333231 -> 9000", "00200083" PW3 " -> 63C2",
      "00200083 08 3837363534333231 -> 9000", "00240184 -> 6A86", NULL}},
    {"RESET RETRY COUNTER: no resetting code; PW3; then a resetting code set by PUT DATA D3",
     {"002C0081 0E " RC " 313233343536 -> 6983",
      "002C0281 06 313233343536 -> 6982",
      "00DA00D3 08 " RC " -> 6982",
      V83,
      "002C0281 06 363534333231 -> 9000",
      "00200081 -> 63C3",
      "00200081 06 363534333231 -> 9000",
      "00DA00D3 07 38373635343332 -> 6700",
      "00DA00D3 08 " RC " -> 9000",
      "00CA00C400 -> 007F7F7F 030303 9000",
      "002C0081 0E 3131313131313131 313233343536 -> 63C2",
      "00CA00C400 -> 007F7F7F 030203 9000",
      "002C0081 0D " RC " 3132333435 -> 6700",
      "002C0081 0E " RC " 313233343536 -> 9000",
      "00CA00C400 -> 007F7F7F 030303 9000",
      "00200081 -> 63C3",
      V81,
      "002C0082 -> 6A86",
      "002C0181 -> 6A86",
      "00DA00D3 -> 9000",
      "00CA00C400 -> 007F7F7F 030003 9000",
      NULL}},
    {"the resetting code unblocks a blocked PW1, which stays unverified",
     {V83, "00DA00D3 08 " RC " -> 9000", "00200081" PW1_BAD " -> 63C2",
      "00200081" PW1_BAD " -> 63C1", "00200081" PW1_BAD " -> 63C0", "00200081" PW1 " -> 6983",
      "002C0081 0E " RC " 313233343536 -> 9000", "00200082 -> 63C3", V82, NULL}},
    {"security status: warm reset, power off, another application",
     {V81, V82, V83, "!reset", OPGP_SEL, "00200081 -> 63C3", "00200082 -> 63C3", "00200083 -> 63C3",
      V82, "!off", "!on", OPGP_SEL, "00200082 -> 63C3", V82, "00A4000C023F00 -> 9000", OPGP_SEL,
      "00200082 -> 63C3", NULL}},
    {"security status is per logical channel; closing the channel ends it",
     {"0070000001 -> 01 9000", "01A4040006D27600012401 00 -> *9000", "01200082" PW1 " -> 9000",
      "01200082 -> 9000", "00200082 -> 63C3", "0070800100 -> 9000", "0070000001 -> 01 9000",
      "01A4040006D27600012401 00 -> *9000", "01200082 -> 63C3", NULL}},
    {"PW1 (81) is valid for one signature while C4 byte 1 is 00, for several once it is 01",
     {V83, "00DA00C1 09 " P256 " -> 9000", GEN_SIG, CDS " -> 6982", V81, CDS " -> *9000",
      CDS " -> 6982", "00CA007A00 -> 7A05 9303000001 9000", V82, CDS " -> 6982",
      "00DA00C4 01 01 -> 9000", V81, CDS " -> *9000", CDS " -> *9000",
      "00CA007A00 -> 7A05 9303000003 9000", GEN_SIG, "00CA007A00 -> 7A05 9303000000 9000", NULL}},
    {"TERMINATE DF needs PW3 (or a blocked PW3); then only SELECT and ACTIVATE FILE work",
     {V83,
      "00DA005B 03 414243 -> 9000",
      "0020FF83 -> 9000",
      "00E60000 -> 6985",
      "00440000 -> 9000",
      "00CA006500 -> 650B 5B03414243 5F2D00 5F3500 9000",
      V83,
      "00E60001 -> 6A86",
      "00E60000 -> 9000",
      "00CA006500 -> 6985",
      "00200081" PW1 " -> 6985",
      "00A4040006D27600012401 00 -> 6285",
      "00A4040C06D27600012401 -> 6285",
      "00E60000 -> 9000",
      "00440000 -> 9000",
      OPGP_SEL,
      "00CA006500 -> 6508 5B00 5F2D00 5F3500 9000",
      "00200083 -> 63C3",
      V83,
      NULL}},
    {"a blocked PW3 allows TERMINATE DF: how GnuPG's factory-reset gets there",
     {"00200081" PW1_BAD " -> 63C2", "00200083" PW3_BAD " -> 63C2", "00200083" PW3_BAD " -> 63C1",
      "00E60000 -> 6985", "00200083" PW3_BAD " -> 63C0", "00E60000 -> 9000", "00440000 -> 9000",
      OPGP_SEL, "00CA00C400 -> 007F7F7F 030003 9000", NULL}},
    {"SELECT DATA and GET NEXT DATA choose among the three cardholder certificates",
     {V83, "00DA7F21 02 4141 -> 9000", "00A50104 06 60045C027F21 -> 9000",
      "00DA7F21 02 4242 -> 9000", "00A50204 04 5C027F21 -> 9000", "00DA7F21 02 4343 -> 9000",
      "00A50004 06 60045C027F21 -> 9000", "00CA7F2100 -> 4141 9000", "00CC7F2100 -> 4242 9000",
      "00CC7F2100 -> 4343 9000", "00CC7F2100 -> 6A88", "00A50304 06 60045C027F21 -> 6A88",
      "00A50005 06 60045C027F21 -> 6A86", "00A50004 06 60045C025F50 -> 6A80", "00CC5F5000 -> 6A88",
      "!reset", OPGP_SEL, "00CA7F2100 -> 4141 9000", NULL}},
    {"GET CHALLENGE: Le random bytes, up to 2048",
     {"0084000008 -> *9000", "00840000 -> 6700", "00840000 01 00 08 -> 6700", "00840100 08 -> 6A86",
      "00840000000801 -> 6700", NULL}},
    {"MANAGE SECURITY ENVIRONMENT: keys 2 and 3 only, for DECIPHER and INTERNAL AUTHENTICATE",
     {"002241B8 03 830103 -> 9000", "002241A4 03 830102 -> 9000", "002241B8 03 830101 -> 6A80",
      "002241B6 03 830102 -> 6A86", "002241B8 02 8301 -> 6700", NULL}},
    {"the KDF-DO: iterated and salted S2K resets PW1 and PW3 to the initial hashes it carries",
     {V83,
      "00DA00F9 5A 810103 820108 830400010000 84080102030405060708"
      " 8720 1111111111111111111111111111111111111111111111111111111111111111"
      " 8820 3333333333333333333333333333333333333333333333333333333333333333 -> 9000",
      "00200083 -> 63C3", "00200081" PW1 " -> 63C2",
      "00200081 20 1111111111111111111111111111111111111111111111111111111111111111 -> 9000",
      "00200083 20 3333333333333333333333333333333333333333333333333333333333333333 -> 9000",
      "00CA00F900 -> *9000", "00DA00F9 03 810100 -> 9000", "00200081" PW1 " -> 9000",
      "00200083 -> 63C3", V83, "00DA00F9 03 810105 -> 6A80", "00DA00F9 06 810103 820108 -> 6A80",
      NULL}},
};

static void test_transcripts(void **state)
{
        struct opgp_fx f;

        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                print_message("-- %s\n", cases[i].name);
                assert_int_equal(opgp_open(&f, NULL), 0);
                run_steps(f.card, cases[i].steps);
                opgp_close(&f);
        }
}

/* The AID follows the card's serial number: each slot of scsim-vpcd has its own. */
static void test_aid_per_slot(void **state)
{
        static const uint8_t serial[] = {0x53, 0x43, 0x50, 0x47, 0x00, 0x00, 0x01, 0x02};
        struct opgp_fx f;

        (void)state;
        assert_int_equal(opgp_open(&f, NULL), 0);
        assert_int_equal(scsim_card_set_serial(f.card, serial, sizeof(serial)), SCSIM_OK);
        run_steps(
            f.card,
            (const char *const[]){
                "00A4040006D27600012401 00 -> 6F12 8410 D276000124010304FFFF000001020000 9000",
                "00A4040010D276000124010304FFFF000001020000 00 -> *9000",
                "00A4040010" OPGP_AID " 00 -> 6A82",
                "00CA004F00 -> D276000124010304FFFF000001020000 9000",
                "00A4040406D27600012401 00 -> *8410D276000124010304FFFF00000102000"
                "08A0105 9000",
                NULL});
        opgp_close(&f);
}

/* A 127-byte password, the longest C4 announces, works; 128 bytes is refused without a try. */
static void test_long_password(void **state)
{
        uint8_t pw[128];
        struct opgp_fx f;

        (void)state;
        memset(pw, 'p', sizeof(pw));
        assert_int_equal(opgp_open(&f, NULL), 0);
        {
                uint8_t data[6 + 127];
                memcpy(data, "123456", 6);
                memcpy(data + 6, pw, 127);
                assert_int_equal(
                    opgp_send(f.card, "00240081", data, sizeof(data), false, NULL, NULL), 0x9000);
        }
        assert_int_equal(opgp_send(f.card, "00200081", pw, 127, false, NULL, NULL), 0x9000);
        assert_int_equal(opgp_send(f.card, "00200081", pw, 128, false, NULL, NULL), 0x6700);
        run_steps(f.card, (const char *const[]){"00CA00C400 -> 007F7F7F 030003 9000", NULL});
        opgp_close(&f);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_transcripts),
            cmocka_unit_test(test_aid_per_slot),
            cmocka_unit_test(test_long_password),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
