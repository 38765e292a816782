/* SPDX-License-Identifier: MIT */
/*
 * The OpenPGP record on a state file encodes a private key only when the
 * key changes: i2d_PrivateKey, wrapped at link time
 * (-Wl,--wrap=i2d_PrivateKey), counts the encodings while passwords are
 * tried, changed and reset and signatures counted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "card_steps.h"
#include "openpgp_card.h"
#include "state_helpers.h"

int __real_i2d_PrivateKey(const EVP_PKEY *a, unsigned char **pp);
int __wrap_i2d_PrivateKey(const EVP_PKEY *a, unsigned char **pp);

static unsigned encodings;

int __wrap_i2d_PrivateKey(const EVP_PKEY *a, unsigned char **pp)
{
        encodings++;
        return __real_i2d_PrivateKey(a, pp);
}

#define V83     "00200083" PW3 " -> 9000"
#define HASH    "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F"
#define CDS     "002A9E9A 20 " HASH " 00 -> *9000"
#define P256SIG "00DA00C1 09 132A8648CE3D030107 -> 9000"

static void test_tries_encode_no_key(void **state)
{
        struct state_fx *fx = *state;
        static uint8_t pub[300], again[300];
        size_t n = 0, m = 0;
        struct opgp_fx f;
        scsim_card *card;

        assert_int_equal(opgp_open(&f, NULL), 0);
        card = state_card(f.p, fx->path, SCSIM_OK);
        run_steps(card, (const char *const[]){OPGP_SEL, V83, P256SIG, NULL});
        encodings = 0;
        assert_int_equal(xmit(card, "00478000 02 B600 00", pub, &n), 0x9000);
        assert_int_equal(encodings, 1); /* a new key is encoded once */
        encodings = 0;
        for (int i = 0; i < 5; i++)
                run_steps(card, (const char *const[]){"00200081" PW1_BAD " -> 63C2",
                                                      "00200081" PW1 " -> 9000", CDS,
                                                      "00200083" PW3_BAD " -> 63C2", V83, NULL});
        run_steps(card, (const char *const[]){"00240081 0C 313233343536 363534333231 -> 9000",
                                              "002C0281 06 313133333535 -> 9000",
                                              "00DA00D3 08 3837363534333231 -> 9000",
                                              "002C0081 0E 3837363534333231 313233343536 -> 9000",
                                              "00200082" PW1 " -> 9000", NULL});
        /* tries, password changes, a resetting code, signatures: no key encoded */
        assert_int_equal(encodings, 0);
        scsim_card_free(&card);

        card = state_card(f.p, fx->path, SCSIM_OK);
        run_steps(card, (const char *const[]){OPGP_SEL, "00CA007A00 -> 7A05 9303000005 9000",
                                              "00200081" PW1 " -> 9000", CDS, NULL});
        assert_int_equal(xmit(card, "00478100 02 B600 00", again, &m), 0x9000);
        assert_int_equal(m, n);
        assert_memory_equal(again, pub, n);
        scsim_card_free(&card);
        opgp_close(&f);
}

/* Attributes a key no longer fits delete it: the record written then must load. */
static void test_dropped_key_loads(void **state)
{
        struct state_fx *fx = *state;
        struct opgp_fx f;
        scsim_card *card;

        assert_int_equal(opgp_open(&f, NULL), 0);
        card = state_card(f.p, fx->path, SCSIM_OK);
        run_steps(card, (const char *const[]){
                            OPGP_SEL, V83, P256SIG, "00478000 02 B600 00 -> *9000",
                            "00CA00DE00 -> 010102000300 9000", "00DA00C1 06 010800002000 -> 9000",
                            "00CA00DE00 -> 010002000300 9000", NULL});
        scsim_card_free(&card);
        card = state_card(f.p, fx->path, SCSIM_OK);
        run_steps(card, (const char *const[]){OPGP_SEL, "00CA00DE00 -> 010002000300 9000",
                                              "00478100 02 B600 00 -> 6A88", NULL});
        scsim_card_free(&card);
        opgp_close(&f);
}

/* A card with PIV (a key in 9A) and OpenPGP, each behind its own DF. */
static const char two_apps[] =
    "name: both\n"
    "historical_bytes: \"00 31 F5 73 C0 01 E0 05 90 00\"\n"
    "serial: \"53 43 50 47 00 00 00 01\"\n"
    "files:\n"
    "  piv:\n"
    "    type: df\n"
    "    fid: \"7F10\"\n"
    "    aid: \"A0 00 00 03 08 00 00 10 00 01 00\"\n"
    "    application: piv\n"
    "    chvs:\n"
    "      pin: {reference: \"80\", value: \"123456\", length: 6..8, format: digits,\n"
    "            padding: FF, retries: 3, puk: puk}\n"
    "      puk: {reference: \"81\", verifiable: false, value: \"12345678\", length: 6..8,\n"
    "            format: bytes, padding: FF, retries: 3}\n"
    "  openpgp:\n"
    "    type: df\n"
    "    fid: \"7F20\"\n"
    "    aid: \"D2 76 00 01 24 01\"\n"
    "    application: openpgp\n"
    "piv:\n"
    "  keys:\n"
    "    9a: {algorithm: eccp256}\n"
    "openpgp: {}\n";

/* One application's commands encode no other application's record (its keys). */
static void test_other_record_untouched(void **state)
{
        struct state_fx *fx = *state;
        scsim_profile *p = NULL;
        scsim_card *card;
        scsim_diag diag;

        if (scsim_profile_load_buffer("both.yaml", two_apps, sizeof(two_apps) - 1, &p, &diag) !=
            SCSIM_OK)
                fail_msg("two applications: %s", diag.message);
        card = state_card(p, fx->path, SCSIM_OK);
        encodings = 0;
        run_steps(card, (const char *const[]){"00A4040006D27600012401 -> 9000", V83,
                                              "00DA005B 03 414243 -> 9000", P256SIG,
                                              "00200081" PW1 " -> 9000", NULL});
        /* OpenPGP's data objects, attributes and passwords: PIV's key stays as written */
        assert_int_equal(encodings, 0);
        scsim_card_free(&card);
        card = state_card(p, fx->path, SCSIM_OK);
        run_steps(card,
                  (const char *const[]){"00A4040006D27600012401 -> 9000",
                                        "00CA006500 -> 650B 5B03414243 5F2D00 5F3500 9000", NULL});
        scsim_card_free(&card);
        scsim_profile_free(&p);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_tries_encode_no_key, state_fx_setup,
                                            state_fx_teardown),
            cmocka_unit_test_setup_teardown(test_dropped_key_loads, state_fx_setup,
                                            state_fx_teardown),
            cmocka_unit_test_setup_teardown(test_other_record_untouched, state_fx_setup,
                                            state_fx_teardown),
        };
        return cmocka_run_group_tests_name("openpgp record", tests, NULL, NULL);
}
