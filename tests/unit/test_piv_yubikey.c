/* SPDX-License-Identifier: MIT */
/*
 * profiles/yubikey5.yaml as YubiKey tools see it: the management
 * application's answers (ykman's ManagementSession over CCID), the identity
 * PIV shares with it, and a YubiKey's PIN rules (a malformed PIN is a wrong
 * PIN) next to the ISO rules the default card keeps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "card_steps.h"
#include "piv_helpers.h"

#define SEL_PIV  "00A4040009A00000030800001000 -> *9000"
#define SEL_MGMT "00A4040008A000000527471117"
/* "Virtual mgr - FW version 5.4.3" */
#define MGMT_ANSWER "5669727475616C206D6772202D2046572076657273696F6E20352E342E33"
#define PIN         "08 313233343536FFFF"
#define PIN_EMPTY   "08 FFFFFFFFFFFFFFFF"

static struct piv_fx fx;

static int setup(void **state)
{
        memset(&fx, 0, sizeof(fx));
        fx.card = piv_card(&fx.p, NULL, SCSIM_SOURCE_DIR "/profiles/yubikey5.yaml");
        *state = &fx;
        return 0;
}

struct transcript {
        const char *name;
        const char *steps[24];
};

/*
 * READ CONFIG's device information: 01 USB supported (PIV), 02 serial
 * 7000007, 03 USB enabled, 04 form factor (USB-A keychain), 05 firmware,
 * 06 auto-eject, 07 challenge-response timeout, 08 flags, 0A not locked,
 * 0D/0E NFC supported and enabled.
 */
#define DEVICE_INFO                                                                                \
        "2B 01020010 0204006ACFC7 03020010 040101 0503050403 06020000 07010F 080100 0A0100 "       \
        "0D020010 0E020010"

static const struct transcript cases[] = {
    {"the management application names the firmware and tells ykman the device",
     {SEL_MGMT " -> " MGMT_ANSWER " 9000", "001D0000 -> " DEVICE_INFO " 9000",
      "001D0000 00 -> " DEVICE_INFO " 9000", NULL}},
    {"READ CONFIG: later pages are empty; P2 and data are refused; writes are not simulated",
     {SEL_MGMT " -> *9000", "001D0100 -> 00 9000", "001D0001 -> 6A86", "001D0000 01 00 -> 6700",
      "001C0000 03 02 0C 00 -> 6D00", "00160000 -> 6D00", NULL}},
    {"PIV reports the same firmware and serial as the management application",
     {SEL_PIV, "00FD0000 -> 050403 9000", "00F80000 -> 006ACFC7 9000", NULL}},
    {"VERIFY: an empty PIN, non-digits and control bytes are wrong PINs (63Cx), not 6A80",
     {SEL_PIV, "00200080" PIN_EMPTY " -> 63C2", "00200080 08 616263646566FFFF -> 63C1",
      "00200080 08 01020304050607FF -> 63C0", "00200080" PIN " -> 6983", NULL}},
    {"VERIFY: a PIN field of another size than 8 is still 6A80 and costs nothing",
     {SEL_PIV, "00200080 06 313233343536 -> 6A80", "00200080 09 313233343536FFFFFF -> 6A80",
      "00200080 -> 63C3", NULL}},
    {"VERIFY: any printable PIN of 6..8 bytes is a PIN",
     {SEL_PIV, "00200080" PIN " -> 9000", "00240080 10 313233343536FFFF 2161622D5F3F7E20 -> 9000",
      "00200080 08 2161622D5F3F7E20 -> 9000", NULL}},
    {"CHANGE REFERENCE DATA: the old PIN is compared first; a new PIN breaking the rules is "
     "6985, the PIN unchanged",
     {SEL_PIV, "00240080 10 FFFFFFFFFFFFFFFF 363534333231FFFF -> 63C2",
      "00240080 10 313233343536FFFF 3132333435FFFFFF -> 6985",
      "00240080 10 313233343536FFFF 01020304050607FF -> 6985",
      "00240080 10 313233343536FFFF FFFFFFFFFFFFFFFF -> 6985", "00200080 -> 63C3",
      "00200080" PIN " -> 9000", "00240080 0F 313233343536FFFF 3132333435FFFF -> 6A80",
      "00240080 08 313233343536FFFF -> 6700", NULL}},
    {"RESET RETRY COUNTER: an empty PUK is a wrong PUK; a bad new PIN after the right PUK is "
     "6985",
     {SEL_PIV, "002C0080 10 FFFFFFFFFFFFFFFF FFFFFFFFFFFFFFFF -> 63C2",
      "002C0080 10 3132333435363738 FFFFFFFFFFFFFFFF -> 6985",
      "002C0080 10 3132333435363738 363534333231FFFF -> 9000",
      "00200080 08 363534333231FFFF -> 9000", NULL}},
    {"ykman piv reset: PIN and PUK blocked with empty codes, then RESET",
     {SEL_PIV, "00200080" PIN_EMPTY " -> 63C2", "00200080" PIN_EMPTY " -> 63C1",
      "00200080" PIN_EMPTY " -> 63C0", "00200080" PIN_EMPTY " -> 6983",
      "002C0080 10 FFFFFFFFFFFFFFFF FFFFFFFFFFFFFFFF -> 63C2",
      "002C0080 10 FFFFFFFFFFFFFFFF FFFFFFFFFFFFFFFF -> 63C1",
      "002C0080 10 FFFFFFFFFFFFFFFF FFFFFFFFFFFFFFFF -> 63C0",
      "002C0080 10 FFFFFFFFFFFFFFFF FFFFFFFFFFFFFFFF -> 6983", "00FB0000 -> 9000",
      "00200080" PIN " -> 9000", NULL}},
};

static void test_transcripts(void **state)
{
        struct piv_fx *f = *state;

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                print_message("-- %s\n", cases[i].name);
                piv_fx_teardown(state);
                setup(state);
                run_steps(f->card, cases[i].steps);
        }
}

/* The ATR a YubiKey 5 sends over USB, which yubico-piv-tool and ykcs11 match byte for byte. */
static void test_atr(void **state)
{
        static const uint8_t yk5[] = {0x3b, 0xfd, 0x13, 0x00, 0x00, 0x81, 0x31, 0xfe,
                                      0x15, 0x80, 0x73, 0xc0, 0x21, 0xc0, 0x57, 0x59,
                                      0x75, 0x62, 0x69, 0x4b, 0x65, 0x79, 0x40};
        struct piv_fx *f = *state;
        const uint8_t *atr = NULL;
        size_t n = 0;

        assert_int_equal(scsim_card_power_off(f->card), SCSIM_OK);
        assert_int_equal(scsim_card_power_on(f->card, &atr, &n), SCSIM_OK);
        assert_int_equal(n, sizeof(yk5));
        assert_memory_equal(atr, yk5, sizeof(yk5));
}

/* Each slot of scsim run is a YubiKey of its own: the serial follows the card's. */
static void test_serial_follows_card(void **state)
{
        static const uint8_t slot3[4] = {0x00, 0x6a, 0xcf, 0xca};
        static const char *const steps[] = {SEL_MGMT " -> *9000",
                                            "001D0000 -> *0204006ACFCA 03020010 040101 0503050403 "
                                            "06020000 07010F 080100 0A0100 0D020010 0E020010 9000",
                                            SEL_PIV, "00F80000 -> 006ACFCA 9000", NULL};
        struct piv_fx *f = *state;
        uint8_t info[64];
        size_t n = 0;

        assert_int_equal(scsim_card_set_serial(f->card, slot3, sizeof(slot3)), SCSIM_OK);
        run_steps(f->card, steps);
        assert_int_equal(xmit(f->card, SEL_MGMT, NULL, NULL), 0x9000);
        assert_int_equal(xmit(f->card, "001D0000", info, &n), 0x9000);
        assert_int_equal(info[0], n - 1);
}

/* A profile's own identity: firmware, serial, form factor and no NFC; PIV follows it. */
static void test_identity_from_profile(void **state)
{
        static const char yaml[] =
            "name: yk\nhistorical_bytes: \"80\"\nserial: \"01\"\n"
            "files:\n  piv:\n    type: df\n    fid: \"7F10\"\n"
            "    aid: \"A0 00 00 03 08 00 00 10 00 01 00\"\n    application: piv\n"
            "    chvs:\n      pin: {reference: \"80\", value: \"123456\", length: 6..8, "
            "padding: FF, retries: 3, puk: puk}\n"
            "      puk: {reference: \"81\", verifiable: false, value: \"12345678\", "
            "length: 6..8, format: bytes, padding: FF, retries: 3}\n"
            "  pgp:\n    type: df\n    fid: \"7F30\"\n    aid: \"D2 76 00 01 24 01 03 04\"\n"
            "  mgmt:\n    type: df\n    fid: \"7F20\"\n    aid: \"A0 00 00 05 27 47 11 17\"\n"
            "    application: yubikey\n"
            "yubikey:\n  firmware: 5.7.1\n  serial: 12345678\n  form_factor: usb-c-nano\n"
            "  nfc: false\n";
        static const char *const steps[] = {
            SEL_MGMT " -> 5669727475616C206D6772202D2046572076657273696F6E20352E372E31 9000",
            "001D0000 -> 23 01020018 020400BC614E 03020018 040104 0503050701 06020000 07010F "
            "080100 0A0100 9000",
            SEL_PIV,
            "00FD0000 -> 050701 9000",
            "00F80000 -> 00BC614E 9000",
            NULL};
        struct piv_fx *f = *state;

        piv_fx_teardown(state);
        f->card = piv_card(&f->p, yaml, NULL);
        run_steps(f->card, steps);
}

static void expect_profile_error(const char *yaml, const char *want)
{
        scsim_profile *p = NULL;
        scsim_diag diag;
        char msg[600];

        assert_int_equal(scsim_profile_load_buffer("test.yaml", yaml, strlen(yaml), &p, &diag),
                         SCSIM_ERR_PROFILE);
        scsim_diag_format(&diag, msg, sizeof(msg));
        assert_string_equal(msg, want);
}

/* The device's identity is said once: a PIV version or serial that disagrees is an error. */
static void test_identity_errors(void **state)
{
#define HEAD                                                                                       \
        "name: yk\nhistorical_bytes: \"80\"\nserial: \"01\"\n"                                     \
        "files:\n  piv:\n    type: df\n    fid: \"7F10\"\n"                                        \
        "    aid: \"A0 00 00 03 08 00 00 10 00 01 00\"\n    application: piv\n"                    \
        "    chvs:\n      pin: {reference: \"80\", value: \"123456\", length: 6..8, "              \
        "padding: FF, retries: 3, puk: puk}\n"                                                     \
        "      puk: {reference: \"81\", verifiable: false, value: \"12345678\", "                  \
        "length: 6..8, format: bytes, padding: FF, retries: 3}\n"                                  \
        "  mgmt:\n    type: df\n    fid: \"7F20\"\n    aid: \"A0 00 00 05 27 47 11 17\"\n"         \
        "    application: yubikey\n"
        (void)state;
        expect_profile_error(HEAD "yubikey:\n  firmware: 5.7.1\npiv:\n  version: 5.4.3\n",
                             "test.yaml:21:12: piv: version 5.4.3 is not the device's firmware "
                             "5.7.1 (yubikey: firmware); leave it out here");
        expect_profile_error(HEAD "yubikey:\n  serial: 5\npiv:\n  serial: 6\n",
                             "test.yaml:21:11: piv: serial 6 is not the device's (yubikey: "
                             "serial); leave it out here");
        expect_profile_error(HEAD "yubikey:\n  firmware: 5.7\n",
                             "test.yaml:19:13: yubikey: firmware: expected three numbers 0..255 "
                             "like 5.4.3, got '5.7'");
        expect_profile_error(HEAD "yubikey:\n  form_factor: usb-b\n",
                             "test.yaml:19:16: yubikey: form_factor must be one of unknown, "
                             "usb-a-keychain, usb-a-nano, usb-c-keychain, usb-c-nano, "
                             "usb-c-lightning, usb-a-bio, usb-c-bio; got 'usb-b'");
        expect_profile_error(HEAD "yubikey:\n  serail: 5\n",
                             "test.yaml:19:3: yubikey: unknown key 'serail' (expected one of: "
                             "firmware, serial, form_factor, nfc); did you mean 'serial'?");
#undef HEAD
}

/*
 * The CHV option on a card of its own (no padding, digits 4..8): a code of
 * the wrong length or format costs a try where `malformed: wrong` says so,
 * and the ISO answer (6A80, nothing spent) stays the default.
 */
static void test_malformed_option(void **state)
{
        static const char yaml[] =
            "name: c\nhistorical_bytes: \"80\"\nserial: \"01\"\n"
            "chvs:\n"
            "  pin: {reference: \"01\", value: \"1234\", length: 4..8, retries: 3, puk: puk, "
            "malformed: wrong}\n"
            "  puk: {value: \"12345678\", length: 8, retries: 3}\n"
            "  iso: {reference: \"02\", value: \"1234\", length: 4..8, retries: 3}\n";
        static const char *const steps[] = {
            "00200001 02 3132 -> 63C2",     /* too short: a wrong PIN */
            "00200001 04 31323341 -> 63C1", /* not digits: a wrong PIN */
            "00200001 04 31323334 -> 9000", /* the PIN; the counter is back */
            "00200001 11 3132333435363738393031323334353637 -> 6A80", /* over 16 bytes */
            "00240001 06 31323334 3132 -> 6985", /* right PIN, new one too short */
            "00240001 06 31323335 3132 -> 63C2", /* wrong PIN first */
            "00200002 02 3132 -> 6A80",          /* the ISO default: refused unseen */
            "00200002 -> 63C3",
            NULL};
        scsim_profile *p = NULL;
        scsim_card *card;

        (void)state;
        card = piv_card(&p, yaml, NULL);
        run_steps(card, steps);
        scsim_card_free(&card);
        scsim_profile_free(&p);
}

/*
 * ykman keeps a management key protected by the PIN in 5FC109: traces mask
 * what PUT DATA writes there (a chained PUT DATA judged by its first APDU)
 * and what GET DATA answers, GET RESPONSE's remainder too; other objects
 * stay readable.
 */
static void test_stored_key_is_secret(void **state)
{
        static const char put[] = "00DB3FFF1B 5C035FC109 5314 8812 8910 000102030405060708090A0B0C"
                                  "0D0E0F";
        struct piv_fx *f = *state;
        scsim_apdu_info info;
        uint8_t apdu[64];
        size_t len;

        piv_select(f->card);
        piv_mgm_auth(f->card);
        len = hex_parse(put, apdu, sizeof(apdu));
        assert_int_equal(scsim_apdu_describe(f->card, apdu, len, &info), SCSIM_OK);
        assert_true(info.secret_in);
        assert_int_equal(xmit_bytes(f->card, apdu, len, NULL, NULL), 0x9000);
        len = hex_parse("00DB3FFF0A 5C035FC102 5303 300100", apdu, sizeof(apdu));
        assert_int_equal(scsim_apdu_describe(f->card, apdu, len, &info), SCSIM_OK);
        assert_false(info.secret_in);

        /* chained: the object is named in the first part only */
        assert_int_equal(xmit(f->card, "10DB3FFF07 5C035FC109 5314", NULL, NULL), 0x9000);
        len =
            hex_parse("00DB3FFF14 8812 8910 000102030405060708090A0B0C0D0E0F", apdu, sizeof(apdu));
        assert_int_equal(scsim_apdu_describe(f->card, apdu, len, &info), SCSIM_OK);
        assert_true(info.secret_in);
        assert_int_equal(xmit_bytes(f->card, apdu, len, NULL, NULL), 0x9000);

        piv_verify_pin(f->card);
        len = hex_parse("00CB3FFF05 5C035FC109 08", apdu, sizeof(apdu));
        assert_int_equal(scsim_apdu_describe(f->card, apdu, len, &info), SCSIM_OK);
        assert_true(info.secret_out);
        assert_int_equal(xmit_bytes(f->card, apdu, len, NULL, NULL), 0x610e);
        len = hex_parse("00C0000000", apdu, sizeof(apdu));
        assert_int_equal(scsim_apdu_describe(f->card, apdu, len, &info), SCSIM_OK);
        assert_true(info.secret_out);
        assert_int_equal(xmit_bytes(f->card, apdu, len, NULL, NULL), 0x9000);
        len = hex_parse("00CB3FFF05 5C035FC102 00", apdu, sizeof(apdu));
        assert_int_equal(scsim_apdu_describe(f->card, apdu, len, &info), SCSIM_OK);
        assert_false(info.secret_out);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_transcripts, setup, piv_fx_teardown),
            cmocka_unit_test_setup_teardown(test_atr, setup, piv_fx_teardown),
            cmocka_unit_test_setup_teardown(test_serial_follows_card, setup, piv_fx_teardown),
            cmocka_unit_test_setup_teardown(test_identity_from_profile, setup, piv_fx_teardown),
            cmocka_unit_test(test_identity_errors),
            cmocka_unit_test(test_malformed_option),
            cmocka_unit_test_setup_teardown(test_stored_key_is_secret, setup, piv_fx_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
