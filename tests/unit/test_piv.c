/* SPDX-License-Identifier: MIT */
/*
 * The PIV application on profiles/piv.yaml: transcripts for the fixed
 * answers, and the cryptographic flows (management key, GENERATE, signatures,
 * ECDH) checked against libcrypto on the test's side.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include "card_steps.h"
#include "piv_helpers.h"
#include "state_helpers.h"

/* piv_save, wrapped at link time (-Wl,--wrap=piv_save): how often the PIV record is encoded. */
int __real_piv_save(const void *state, uint8_t **buf, size_t *len);
int __wrap_piv_save(const void *state, uint8_t **buf, size_t *len);

static unsigned piv_saves;

int __wrap_piv_save(const void *state, uint8_t **buf, size_t *len)
{
        piv_saves++;
        return __real_piv_save(state, buf, len);
}

#define SEL                                                                                        \
        "00A4040009A0000003080000100000 -> 6117 4F06000010000100 790D 4F0BA0000003080000100001 "   \
        "00 9000"
#define SEL_FULL  "00A404000BA000000308000010000100 00"
#define PIN       "08 313233343536FFFF"
#define PIN_BAD   "08 393939393939FFFF"
#define PUK       "3132333435363738"
#define GEN_9A_EC "0047009A 05 AC03 8001 11"

static const uint8_t mgm_default[24] = {1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4,
                                        5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8};

/* f's card from YAML text, or from the shipped piv profile when yaml is NULL. */
static void open_piv(struct piv_fx *f, const char *yaml)
{
        f->card =
            piv_card(&f->p, yaml, yaml == NULL ? SCSIM_SOURCE_DIR "/profiles/piv.yaml" : NULL);
}

static int setup(void **state)
{
        static struct piv_fx f;

        memset(&f, 0, sizeof(f));
        open_piv(&f, NULL);
        *state = &f;
        return 0;
}

struct transcript {
        const char *name;
        const char *steps[24];
};

static const struct transcript cases[] = {
    {"SELECT by the 9-byte prefix and by the full AID answers the property template",
     {SEL, SEL_FULL "-> 6117 4F06000010000100 790D 4F0BA0000003080000100001 00 9000", NULL}},
    {"SELECT with P2=0C answers nothing", {"00A4040C09A00000030800001000 -> 9000", NULL}},
    {"YubiKey GET VERSION and GET SERIAL (7000007 = 006ACFC7)",
     {SEL, "00FD000000 -> 050403 9000", "00F8000000 -> 006ACFC7 9000", NULL}},
    {"PIV commands are unknown outside the PIV DF",
     {"00FD000000 -> 6D00", SEL, "00A4000C023F00 -> 9000", "00FD000000 -> 6D00", NULL}},
    {"VERIFY: query, right PIN, query, reset with P1=FF",
     {SEL, "00200080 -> 63C3", "00200080" PIN " -> 9000", "00200080 -> 9000", "0020FF80 -> 9000",
      "00200080 -> 63C3", NULL}},
    {"VERIFY: a malformed PIN is 6A80 and costs no try",
     {SEL, "00200080 06 313233343536 -> 6A80", "00200080 08 3132333435FFFFFF -> 6A80",
      "00200080 08 31323334353641FF -> 6A80", "00200080 -> 63C3", NULL}},
    {"VERIFY: three wrong PINs block; the PUK unblocks with a new PIN, unverified",
     {SEL, "00200080" PIN_BAD " -> 63C2", "00200080" PIN_BAD " -> 63C1",
      "00200080" PIN_BAD " -> 63C0", "00200080" PIN " -> 6983",
      "002C0080 10 " PUK "3837363534333231 -> 9000", "00200080 -> 63C3",
      "00200080 08 3837363534333231 -> 9000", NULL}},
    {"VERIFY: global PIN 00 does not exist on this card", {SEL, "00200000" PIN " -> 6A88", NULL}},
    {"CHANGE REFERENCE DATA for PIN and PUK",
     {SEL, "00240080 10 313233343536FFFF 3635343332317777 -> 6A80",
      "00240080 10 313233343536FFFF 363534333231FFFF -> 9000",
      "00200080 08 363534333231FFFF -> 9000", "00240081 10 " PUK " 3131313131313131 -> 9000",
      "002C0080 10 " PUK " 313233343536FFFF -> 63C2",
      "002C0080 10 3131313131313131 313233343536FFFF -> 9000", NULL}},
    {"GET METADATA of PIN, PUK and management key; an empty slot is 6A88",
     {SEL, "00F7008000 -> 0101FF 050101 06020303 9000", "00200080" PIN_BAD " -> 63C2",
      "00F7008000 -> 0101FF 050101 06020302 9000", "00F7008100 -> 0101FF 050101 06020303 9000",
      "00F7009B00 -> 010103 02020001 050101 9000", "00F7009A00 -> 6A88", "00F7000100 -> 6A86",
      NULL}},
    {"GET DATA: CHUID with FASC-N and GUID, the discovery object, missing objects",
     {SEL,
      "00CB3FFF 05 5C035FC102 00 -> 533B 3019D4E739DA739CED39CE739D836858210842108421C84210C3EB"
      " 3410 5343534"
      "94D5049560000000000000007 3508 3230333031323331 3E00 FE00 9000",
      "00CB3FFF 03 5C017E 00 -> 7E12 4F0BA0000003080000100001 00 5F2F024000 9000",
      "00CB3FFF 05 5C035FC105 00 -> 6A82", "00CB3FFF 05 5C035FC000 00 -> 6A82",
      "00CB3FFE 05 5C035FC105 00 -> 6A86", "00CB3FFF 05 5D035FC105 00 -> 6A80",
      "00CB3FFF 06 5C045FC10500 00 -> 6A80", NULL}},
    {"GET DATA: printed information needs the PIN",
     {SEL, "00CB3FFF 05 5C035FC109 00 -> 6982", "00200080" PIN " -> 9000",
      "00CB3FFF 05 5C035FC109 00 -> 6A82", NULL}},
    {"PUT DATA, GENERATE and SET MANAGEMENT KEY need the management key",
     {SEL, "00DB3FFF 09 5C035FC105 5302 7000 -> 6982", GEN_9A_EC " -> 6982",
      "00FFFFFF 1B 039B18"
      "010203040506070801020304050607080102030405060708 -> 6982",
      NULL}},
    {"GENERAL AUTHENTICATE: mutual authentication needs a witness first",
     {SEL, "0087039B 16 7C14 8008 0001020304050607 8108 0001020304050607 -> 6985",
      "0087089B 04 7C028000 -> 6A86", "0087039B 04 7C029900 -> 6A80", "0087039B 02 7C00 -> 6A80",
      NULL}},
    {"malformed templates are 6A80, never a crash",
     {SEL, "0087039B 03 7C0280 -> 6A80", "0087039B 04 7C038000 -> 6A80",
      "0087039B 06 7C028000 8000 -> 6A80", "0087039B 06 7C04 80008000 -> 6A80",
      "0087039B 04 7C848000 -> 6A80", "0087039B -> 6700", "0087119A 04 7C028200 -> 6A82",
      "00CB3FFF 02 5C00 00 -> 6A80", "00CB3FFF 01 5C 00 -> 6A80", "00CB3FFF 00 -> 6700",
      "00CB3FFF -> 6700", "00F7019A00 -> 6A86", "0047009A 03 AC0180 -> 6982", NULL}},
    {"GENERAL AUTHENTICATE with an empty slot is 6A82",
     {SEL, "00200080" PIN " -> 9000",
      "0087119A 26 7C24 8200 8120 0000000000000000000000000000000000000000000000000000000000000000 "
      "-> 6A82",
      NULL}},
    {"RESET refused until PIN and PUK are blocked, then back to defaults",
     {SEL, "00FB0000 -> 6985", "00200080" PIN_BAD " -> 63C2", "00200080" PIN_BAD " -> 63C1",
      "00200080" PIN_BAD " -> 63C0", "00FB0000 -> 6985",
      "002C0080 10 3131313131313131 313233343536FFFF -> 63C2",
      "002C0080 10 3131313131313131 313233343536FFFF -> 63C1",
      "002C0080 10 3131313131313131 313233343536FFFF -> 63C0", "00FB0000 -> 9000",
      "00200080 -> 63C3", "00200080" PIN " -> 9000", "00F7008100 -> *06020303 9000", NULL}},
    {"security status is per logical channel; closing the channel ends it",
     {SEL, "0070000001 -> 01 9000", "01A4040009A0000003080000100000 -> *9000",
      "01200080" PIN " -> 9000", "01200080 -> 9000", "00200080 -> 63C3",
      "01FD000000 -> 050403 9000", "0070800100 -> 9000", "01200080 -> 6881", NULL}},
    {"security state ends with a reset of the card",
     {SEL, "00200080" PIN " -> 9000", "!reset", SEL, "00200080 -> 63C3", NULL}},
};

static void test_transcripts(void **state)
{
        struct piv_fx *f = *state;

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                print_message("-- %s\n", cases[i].name);
                piv_fx_teardown(state);
                open_piv(f, NULL);
                run_steps(f->card, cases[i].steps);
        }
}

/* Case 4 extended APDU with data; the answer in full (Le 0000). */
static uint16_t send_ext(scsim_card *card, uint8_t ins, uint8_t p1, uint8_t p2, const uint8_t *data,
                         size_t n, uint8_t *out, size_t *out_len)
{
        uint8_t apdu[4 + 3 + 1024 + 2];

        assert_true(n <= 1024);
        apdu[0] = 0x00;
        apdu[1] = ins;
        apdu[2] = p1;
        apdu[3] = p2;
        apdu[4] = 0x00;
        apdu[5] = (uint8_t)(n >> 8);
        apdu[6] = (uint8_t)n;
        memcpy(apdu + 7, data, n);
        apdu[7 + n] = 0x00;
        apdu[8 + n] = 0x00;
        return xmit_bytes(card, apdu, 9 + n, out, out_len);
}

static void des3(const uint8_t *key, const uint8_t *in, uint8_t *out, int decrypt)
{
        EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
        int len = 0;

        assert_non_null(ctx);
        assert_int_equal(EVP_CipherInit_ex(ctx, EVP_des_ede3_ecb(), NULL, key, NULL, !decrypt), 1);
        EVP_CIPHER_CTX_set_padding(ctx, 0);
        assert_int_equal(EVP_CipherUpdate(ctx, out, &len, in, 8), 1);
        assert_int_equal(len, 8);
        EVP_CIPHER_CTX_free(ctx);
}

static void aes128(const uint8_t *key, const uint8_t *in, uint8_t *out, int decrypt)
{
        EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
        int len = 0;

        assert_non_null(ctx);
        assert_int_equal(EVP_CipherInit_ex(ctx, EVP_aes_128_ecb(), NULL, key, NULL, !decrypt), 1);
        EVP_CIPHER_CTX_set_padding(ctx, 0);
        assert_int_equal(EVP_CipherUpdate(ctx, out, &len, in, 16), 1);
        assert_int_equal(len, 16);
        EVP_CIPHER_CTX_free(ctx);
}

typedef void cipher_fn(const uint8_t *key, const uint8_t *in, uint8_t *out, int decrypt);

/* The yubico-piv-tool flow: witness, then decrypted witness + our challenge. Returns the final SW.
 */
static uint16_t mutual_auth(scsim_card *card, uint8_t alg, const uint8_t *key, size_t bs,
                            cipher_fn *fn, bool corrupt)
{
        uint8_t cmd[64], resp[64], witness[16], challenge[16] = "scsim challenge";
        uint8_t expect[16];
        size_t n = 0;
        uint16_t sw;
        uint8_t req[] = {0x00, 0x87, alg, 0x9b, 0x04, 0x7c, 0x02, 0x80, 0x00, 0x00};

        if ((sw = xmit_bytes(card, req, sizeof(req), resp, &n)) != 0x9000)
                return sw;
        assert_int_equal(n, 4 + bs);
        assert_int_equal(resp[0], 0x7c);
        assert_int_equal(resp[2], 0x80);
        fn(key, resp + 4, witness, 1);
        if (corrupt)
                witness[0] ^= 1;
        cmd[0] = 0x00;
        cmd[1] = 0x87;
        cmd[2] = alg;
        cmd[3] = 0x9b;
        cmd[4] = (uint8_t)(2 + 4 + 2 * bs);
        cmd[5] = 0x7c;
        cmd[6] = (uint8_t)(4 + 2 * bs);
        cmd[7] = 0x80;
        cmd[8] = (uint8_t)bs;
        memcpy(cmd + 9, witness, bs);
        cmd[9 + bs] = 0x81;
        cmd[10 + bs] = (uint8_t)bs;
        memcpy(cmd + 11 + bs, challenge, bs);
        cmd[11 + 2 * bs] = 0x00; /* Le */
        sw = xmit_bytes(card, cmd, 12 + 2 * bs, resp, &n);
        if (sw != 0x9000)
                return sw;
        fn(key, challenge, expect, 0);
        assert_int_equal(n, 4 + bs);
        assert_int_equal(resp[2], 0x82);
        assert_memory_equal(resp + 4, expect, bs);
        return sw;
}

static void select_piv(scsim_card *card)
{
        static const char *const steps[] = {SEL, NULL};
        run_steps(card, steps);
}

static void test_mgm_auth_3des(void **state)
{
        struct piv_fx *f = *state;
        static const char *const after[] = {
            "00DB3FFF 09 5C035FC105 5302 7000 -> 9000",
            "00CB3FFF 05 5C035FC105 00 -> 53027000 9000",
            "00DB3FFF 07 5C035FC105 5300 -> 9000", /* empty: deleted */
            "00CB3FFF 05 5C035FC105 00 -> 6A82",
            "00A4000C023F00 -> 9000", /* leaving the application drops the status */
            SEL,
            "00DB3FFF 09 5C035FC105 5302 7000 -> 6982",
            NULL};

        select_piv(f->card);
        assert_int_equal(mutual_auth(f->card, 0x03, mgm_default, 8, des3, true), 0x6982);
        assert_int_equal(mutual_auth(f->card, 0x03, mgm_default, 8, des3, false), 0x9000);
        run_steps(f->card, after);
}

/* External authentication: ask for a challenge (81 empty), answer it encrypted in 82. */
static void test_mgm_external_auth(void **state)
{
        struct piv_fx *f = *state;
        uint8_t req[] = {0x00, 0x87, 0x03, 0x9b, 0x04, 0x7c, 0x02, 0x81, 0x00, 0x00};
        uint8_t cmd[4 + 1 + 12], resp[32];
        size_t n = 0;

        select_piv(f->card);
        assert_int_equal(xmit_bytes(f->card, req, sizeof(req), resp, &n), 0x9000);
        assert_int_equal(n, 12);
        memcpy(cmd, (const uint8_t[]){0x00, 0x87, 0x03, 0x9b, 0x0c, 0x7c, 0x0a, 0x82, 0x08}, 9);
        des3(mgm_default, resp + 4, cmd + 9, 0);
        assert_int_equal(xmit_bytes(f->card, cmd, sizeof(cmd), NULL, NULL), 0x9000);
        /* the challenge was spent: the same answer again is refused */
        assert_int_equal(xmit_bytes(f->card, cmd, sizeof(cmd), NULL, NULL), 0x6985);
}

static void test_set_mgm_key_aes(void **state)
{
        struct piv_fx *f = *state;
        static const uint8_t aes_key[16] = {0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
                                            0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f};
        uint8_t cmd[5 + 3 + 16] = {0x00, 0xff, 0xff, 0xff, 19, 0x08, 0x9b, 16};
        static const char *const meta[] = {"00F7009B00 -> 010108 02020001 050100 9000", NULL};

        select_piv(f->card);
        assert_int_equal(mutual_auth(f->card, 0x03, mgm_default, 8, des3, false), 0x9000);
        memcpy(cmd + 8, aes_key, 16);
        assert_int_equal(xmit_bytes(f->card, cmd, sizeof(cmd), NULL, NULL), 0x9000);
        run_steps(f->card, meta);
        assert_int_equal(mutual_auth(f->card, 0x08, aes_key, 16, aes128, false), 0x9000);
}

/* An AES-256 management key from the profile. */
static void test_profile_aes_key(void **state)
{
        struct piv_fx *f = *state;
        static const char yaml[] =
            "name: p\nhistorical_bytes: \"80\"\nserial: \"01\"\n"
            "files:\n  piv:\n    type: df\n    fid: \"7F10\"\n"
            "    aid: \"A0 00 00 03 08 00 00 10 00 01 00\"\n    application: piv\n"
            "    chvs:\n      pin: {reference: \"80\", value: \"123456\", length: 6..8, "
            "padding: FF, retries: 3, puk: puk}\n"
            "      puk: {reference: \"81\", verifiable: false, value: \"12345678\", "
            "length: 6..8, format: bytes, padding: FF, retries: 3}\n"
            "piv:\n  management_key_algorithm: aes128\n"
            "  management_key: \"000102030405060708090A0B0C0D0E0F\"\n"
            "  keys:\n    9e: {algorithm: eccp256}\n";
        static const uint8_t key[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
        static const char *const steps[] = {SEL, "00F7009B00 -> 010108 02020001 050101 9000",
                                            "00F7009E00 -> *9000", "00F8000000 -> 00000001 9000",
                                            NULL};

        piv_fx_teardown(state);
        open_piv(f, yaml);
        uint8_t meta[128];
        size_t n = 0;

        run_steps(f->card, steps);
        assert_int_equal(xmit(f->card, "00F7009E00", meta, &n), 0x9000);
        /* P-256, PIN never (9E's default), touch never, generated, then 04 { 86 41 04 X Y } */
        assert_int_equal(n, 3 + 4 + 3 + 2 + 2 + 65);
        assert_memory_equal(meta, "\x01\x01\x11\x02\x02\x01\x01\x03\x01\x01\x04\x43\x86\x41\x04",
                            15);
        assert_int_equal(mutual_auth(f->card, 0x03, mgm_default, 8, des3, false), 0x6A86);
        assert_int_equal(mutual_auth(f->card, 0x08, key, 16, aes128, false), 0x9000);
}

/* GENERATE in slot, answer parsed into an EVP_PKEY for verification. */
static EVP_PKEY *generate(scsim_card *card, uint8_t slot, uint8_t alg, int policy)
{
        uint8_t data[8] = {0xac, 0x03, 0x80, 0x01, alg, 0xaa, 0x01, (uint8_t)policy};
        uint8_t resp[1024];
        size_t n = 0;
        EVP_PKEY *pkey = NULL;
        EVP_PKEY_CTX *ctx;
        OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
        OSSL_PARAM *params;
        BIGNUM *bn_n = NULL, *bn_e = NULL; /* the builder keeps pointers until to_param */

        if (policy >= 0)
                data[1] = 0x06;
        assert_int_equal(send_ext(card, 0x47, 0x00, slot, data, policy >= 0 ? 8 : 5, resp, &n),
                         0x9000);
        assert_int_equal(resp[0], 0x7f);
        assert_int_equal(resp[1], 0x49);
        if (alg == 0x11 || alg == 0x14) {
                /* 7F49 L 86 L 04 X Y */
                size_t plen = alg == 0x11 ? 65 : 97;
                assert_int_equal(n, 2 + 1 + 2 + plen);
                assert_int_equal(resp[2], plen + 2);
                assert_int_equal(resp[3], 0x86);
                assert_int_equal(resp[4], plen);
                OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                                alg == 0x11 ? "P-256" : "P-384", 0);
                OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, resp + 5, plen);
                ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
        } else if (alg == 0x07) {
                /* 7F49 82 0109 81 82 0100 n(256) 82 03 010001 */
                assert_int_equal(n, 2 + 3 + 4 + 256 + 5);
                assert_memory_equal(resp + 2, "\x82\x01\x09\x81\x82\x01\x00", 7);
                assert_memory_equal(resp + 9 + 256, "\x82\x03\x01\x00\x01", 5);
                bn_n = BN_bin2bn(resp + 9, 256, NULL);
                bn_e = BN_bin2bn(resp + 9 + 256 + 2, 3, NULL);
                OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n);
                OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e);
                ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
        } else {
                /* 7F49 81 88 81 81 80 n(128) 82 03 010001 */
                assert_int_equal(alg, 0x06);
                assert_int_equal(n, 2 + 2 + 3 + 128 + 5);
                assert_memory_equal(resp + 2, "\x81\x88\x81\x81\x80", 5);
                assert_memory_equal(resp + 7 + 128, "\x82\x03\x01\x00\x01", 5);
                bn_n = BN_bin2bn(resp + 7, 128, NULL);
                bn_e = BN_bin2bn(resp + 7 + 128 + 2, 3, NULL);
                OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n);
                OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e);
                ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
        }
        params = OSSL_PARAM_BLD_to_param(bld);
        BN_free(bn_n);
        BN_free(bn_e);
        assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
        assert_int_equal(EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params), 1);
        OSSL_PARAM_free(params);
        OSSL_PARAM_BLD_free(bld);
        EVP_PKEY_CTX_free(ctx);
        return pkey;
}

/* GENERAL AUTHENTICATE 7C{82 00, 81 input}; the 82 value into sig. */
static uint16_t sign(scsim_card *card, uint8_t alg, uint8_t slot, const uint8_t *in, size_t n,
                     uint8_t *sig, size_t *sig_len)
{
        uint8_t data[300], resp[600];
        size_t rn = 0, off = 0;
        uint16_t sw;

        data[off++] = 0x7c;
        if (n + 6 > 0x7f) {
                data[off++] = 0x82;
                data[off++] = (uint8_t)((n + 6) >> 8);
                data[off++] = (uint8_t)(n + 6);
        } else {
                data[off++] = (uint8_t)(n + 4);
        }
        data[off++] = 0x82;
        data[off++] = 0x00;
        data[off++] = 0x81;
        if (n > 0x7f) {
                data[off++] = 0x82;
                data[off++] = (uint8_t)(n >> 8);
        }
        data[off++] = (uint8_t)n;
        memcpy(data + off, in, n);
        sw = send_ext(card, 0x87, alg, slot, data, off + n, resp, &rn);
        if (sw != 0x9000)
                return sw;
        /* 7C L 82 L sig, with one- or three-byte lengths */
        {
                const uint8_t *p = resp + 1;
                size_t l;
                p += (*p == 0x82) ? 3 : (*p == 0x81) ? 2 : 1;
                assert_int_equal(*p++, 0x82);
                if (*p == 0x82) {
                        l = (size_t)(p[1] << 8 | p[2]);
                        p += 3;
                } else if (*p == 0x81) {
                        l = p[1];
                        p += 2;
                } else {
                        l = *p++;
                }
                memcpy(sig, p, l);
                *sig_len = l;
        }
        return sw;
}

static void test_generate_and_sign_ec(void **state)
{
        struct piv_fx *f = *state;
        static const uint8_t hash[32] = "0123456789abcdef0123456789abcde";
        static const char *const verify[] = {"00200080" PIN " -> 9000", NULL};
        static const char *const logout[] = {"0020FF80 -> 9000", NULL};
        uint8_t sig[128];
        size_t n = 0;
        EVP_PKEY *pub;
        EVP_PKEY_CTX *ctx;

        select_piv(f->card);
        assert_int_equal(mutual_auth(f->card, 0x03, mgm_default, 8, des3, false), 0x9000);
        pub = generate(f->card, 0x9a, 0x11, -1);
        assert_int_equal(sign(f->card, 0x11, 0x9a, hash, 32, sig, &n), 0x6982);
        run_steps(f->card, verify);
        assert_int_equal(sign(f->card, 0x07, 0x9a, hash, 32, sig, &n), 0x6A86);
        assert_int_equal(sign(f->card, 0x11, 0x9a, hash, 32, sig, &n), 0x9000);
        ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pub, NULL);
        assert_int_equal(EVP_PKEY_verify_init(ctx), 1);
        assert_int_equal(EVP_PKEY_verify(ctx, sig, n, hash, 32), 1);
        /* PIN "once": a second signature without VERIFY */
        assert_int_equal(sign(f->card, 0x11, 0x9a, hash, 32, sig, &n), 0x9000);
        assert_int_equal(EVP_PKEY_verify(ctx, sig, n, hash, 32), 1);
        /* a logout (VERIFY P1=FF, as pkcs11-tool's C_Logout) needs the PIN again */
        run_steps(f->card, logout);
        assert_int_equal(sign(f->card, 0x11, 0x9a, hash, 32, sig, &n), 0x6982);
        EVP_PKEY_CTX_free(ctx);
        EVP_PKEY_free(pub);
}

/* 9C: PIN always. Each signature needs its own VERIFY just before. */
static void test_pin_always_9c_rsa(void **state)
{
        struct piv_fx *f = *state;
        static const char *const verify[] = {"00200080" PIN " -> 9000", NULL};
        static const uint8_t digest[32] = "scsim PIV RSA signature test...";
        uint8_t block[256], sig[512], rec[256];
        size_t n = 0, rn = sizeof(rec);
        EVP_PKEY *pub;
        EVP_PKEY_CTX *ctx;

        select_piv(f->card);
        assert_int_equal(mutual_auth(f->card, 0x03, mgm_default, 8, des3, false), 0x9000);
        pub = generate(f->card, 0x9c, 0x07, -1);
        /* PKCS#1 v1.5 type 1 block around the digest, as the client pads it */
        memset(block, 0xff, sizeof(block));
        block[0] = 0x00;
        block[1] = 0x01;
        block[256 - 33] = 0x00;
        memcpy(block + 256 - 32, digest, 32);
        run_steps(f->card, verify);
        assert_int_equal(sign(f->card, 0x07, 0x9c, block, 256, sig, &n), 0x9000);
        assert_int_equal(n, 256);
        ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pub, NULL);
        assert_int_equal(EVP_PKEY_verify_recover_init(ctx), 1);
        assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING), 1);
        assert_int_equal(EVP_PKEY_verify_recover(ctx, rec, &rn, sig, n), 1);
        assert_int_equal(rn, 32);
        assert_memory_equal(rec, digest, 32);
        /* the VERIFY was spent; the PIN is still verified, but 9C wants a fresh one */
        assert_int_equal(sign(f->card, 0x07, 0x9c, block, 256, sig, &n), 0x6982);
        run_steps(f->card, verify);
        assert_int_equal(sign(f->card, 0x07, 0x9c, block, 256, sig, &n), 0x9000);
        /* a block of the wrong size is refused */
        run_steps(f->card, verify);
        assert_int_equal(sign(f->card, 0x07, 0x9c, block, 255, sig, &n), 0x6A80);
        EVP_PKEY_CTX_free(ctx);
        EVP_PKEY_free(pub);
}

/* 9E with PIN policy never; ECDH on 9D matches the host's derivation. */
static void test_ecdh_and_never_policy(void **state)
{
        struct piv_fx *f = *state;
        EVP_PKEY *card_pub, *host = NULL;
        EVP_PKEY_CTX *ctx;
        uint8_t point[65], data[80], resp[80], secret[32], hash[32] = {1};
        size_t plen = 0, rn = 0, slen = sizeof(secret), n = 0;
        static const char *const verify[] = {"00200080" PIN " -> 9000", NULL};

        select_piv(f->card);
        assert_int_equal(mutual_auth(f->card, 0x03, mgm_default, 8, des3, false), 0x9000);
        card_pub = generate(f->card, 0x9e, 0x11, -1);
        EVP_PKEY_free(card_pub);
        assert_int_equal(sign(f->card, 0x11, 0x9e, hash, 32, resp, &n), 0x9000);

        card_pub = generate(f->card, 0x9d, 0x11, -1);
        host = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        assert_non_null(host);
        assert_int_equal(EVP_PKEY_get_octet_string_param(host, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                                         point, sizeof(point), &plen),
                         1);
        assert_int_equal(plen, 65);
        memcpy(data, "\x7c\x45\x82\x00\x85\x41", 6);
        memcpy(data + 6, point, 65);
        assert_int_equal(send_ext(f->card, 0x87, 0x11, 0x9d, data, 71, resp, &rn), 0x6982);
        run_steps(f->card, verify);
        assert_int_equal(send_ext(f->card, 0x87, 0x11, 0x9d, data, 71, resp, &rn), 0x9000);
        assert_int_equal(rn, 36);
        ctx = EVP_PKEY_CTX_new_from_pkey(NULL, host, NULL);
        assert_int_equal(EVP_PKEY_derive_init(ctx), 1);
        assert_int_equal(EVP_PKEY_derive_set_peer(ctx, card_pub), 1);
        assert_int_equal(EVP_PKEY_derive(ctx, secret, &slen), 1);
        assert_memory_equal(resp + 4, secret, 32);
        /* a point that is not on the curve */
        data[6 + 64] ^= 1;
        assert_int_equal(send_ext(f->card, 0x87, 0x11, 0x9d, data, 71, resp, &rn), 0x6A80);
        EVP_PKEY_CTX_free(ctx);
        EVP_PKEY_free(host);
        EVP_PKEY_free(card_pub);
}

/* A certificate-sized PUT DATA through command chaining, read back through GET RESPONSE. */
static void test_put_data_chained(void **state)
{
        struct piv_fx *f = *state;
        uint8_t obj[1200], part[5 + 255], resp[300], back[1300];
        size_t total = 0, off = 0, n = 0, got = 0;
        uint16_t sw;

        select_piv(f->card);
        assert_int_equal(mutual_auth(f->card, 0x03, mgm_default, 8, des3, false), 0x9000);
        /* 5C 03 5FC10A 53 82 0480 70 82 047C <cert bytes> (1148 + 8 bytes) */
        memcpy(obj, "\x5c\x03\x5f\xc1\x0a\x53\x82\x04\x80\x70\x82\x04\x7c", 13);
        for (size_t i = 0; i < 0x47c; i++)
                obj[13 + i] = (uint8_t)i;
        total = 13 + 0x47c;
        while (off < total) {
                size_t k = total - off > 255 ? 255 : total - off;
                part[0] = off + k < total ? 0x10 : 0x00;
                memcpy(part + 1, "\xdb\x3f\xff", 3);
                part[4] = (uint8_t)k;
                memcpy(part + 5, obj + off, k);
                assert_int_equal(xmit_bytes(f->card, part, 5 + k, NULL, NULL), 0x9000);
                off += k;
        }
        sw = xmit_bytes(f->card, (const uint8_t *)"\x00\xcb\x3f\xff\x05\x5c\x03\x5f\xc1\x0a\x00",
                        11, resp, &n);
        memcpy(back, resp, n);
        got = n;
        while ((sw & 0xff00) == 0x6100) {
                sw = xmit_bytes(f->card, (const uint8_t *)"\x00\xc0\x00\x00\x00", 5, resp, &n);
                memcpy(back + got, resp, n);
                got += n;
        }
        assert_int_equal(sw, 0x9000);
        assert_int_equal(got, total - 5);
        assert_memory_equal(back, obj + 5, got);
}

/* Card with a state file at path, powered on and with PIV selected. */
static scsim_card *durable_card(const scsim_profile *p, const char *path, int expect)
{
        scsim_card *card = scsim_card_new(p);
        scsim_diag diag;
        int rc;

        assert_non_null(card);
        rc = scsim_card_attach_state(card, path, &diag);
        if (rc != expect)
                fail_msg("attach %s: %d (%s), expected %d", path, rc, diag.message, expect);
        assert_int_equal(scsim_card_power_on(card, NULL, NULL), SCSIM_OK);
        if (rc != SCSIM_OK) {
                scsim_card_free(&card);
                return NULL;
        }
        select_piv(card);
        return card;
}

/* Generated keys, objects, the management key and PIN changes survive a restart. */
static void test_durable_state(void **state)
{
        struct piv_fx *f = *state;
        static const uint8_t aes_key[16] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
                                            0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf};
        static const uint8_t hash[32] = "durable PIV key, after restart";
        char dir[] = "/tmp/scsim-piv-XXXXXX", path[64], cmd[128];
        uint8_t set_key[5 + 3 + 16] = {0x00, 0xff, 0xff, 0xff, 19, 0x08, 0x9b, 16};
        uint8_t sig[128], *file = NULL;
        size_t n = 0, flen = 0;
        EVP_PKEY *pub;
        EVP_PKEY_CTX *ctx;
        scsim_card *card;
        FILE *fp;

        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/piv.state", dir);
        card = durable_card(f->p, path, SCSIM_OK);
        assert_int_equal(mutual_auth(card, 0x03, mgm_default, 8, des3, false), 0x9000);
        pub = generate(card, 0x9a, 0x11, -1);
        run_steps(card, (const char *const[]){
                            "00DB3FFF 0B 5C035FC105 5304 7002 CAFE -> 9000",
                            "00240080 10 313233343536FFFF 373737373737FFFF -> 9000", NULL});
        memcpy(set_key + 8, aes_key, 16);
        assert_int_equal(xmit_bytes(card, set_key, sizeof(set_key), NULL, NULL), 0x9000);
        scsim_card_free(&card);

        card = durable_card(f->p, path, SCSIM_OK);
        run_steps(card, (const char *const[]){"00CB3FFF 05 5C035FC105 00 -> 53047002CAFE 9000",
                                              "00CB3FFF 05 5C035FC102 00 -> *9000",
                                              "00F7009B00 -> 010108 02020001 050100 9000",
                                              "00200080 08 373737373737FFFF -> 9000", NULL});
        /* P-256, PIN once, touch never, generated */
        assert_int_equal(xmit(card, "00F7009A00", sig, &n), 0x9000);
        assert_memory_equal(sig, "\x01\x01\x11\x02\x02\x02\x01\x03\x01\x01", 10);
        assert_int_equal(sign(card, 0x11, 0x9a, hash, 32, sig, &n), 0x9000);
        ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pub, NULL);
        assert_int_equal(EVP_PKEY_verify_init(ctx), 1);
        assert_int_equal(EVP_PKEY_verify(ctx, sig, n, hash, 32), 1);
        assert_int_equal(mutual_auth(card, 0x03, mgm_default, 8, des3, false), 0x6A86);
        assert_int_equal(mutual_auth(card, 0x08, aes_key, 16, aes128, false), 0x9000);
        scsim_card_free(&card);

        /* a state whose PIV record is damaged (resealed, so only the record is wrong) is refused */
        fp = fopen(path, "rb");
        assert_non_null(fp);
        file = malloc(65536);
        flen = fread(file, 1, 65536, fp);
        fclose(fp);
        assert_true(flen > 100);
        /* the image inside the two-copy file, written back as a single image (as older scsims) */
        {
                uint8_t *image = malloc(65536);
                assert_non_null(image);
                flen = state_file_image(file, flen, image, 65536);
                assert_true(flen > 100);
                free(file);
                file = image;
        }
        assert_int_equal(file[9], 2); /* format 2: with application records */
        {
                /* the PIV record starts with its format byte 01 then alg 08 and key length 10 */
                uint8_t *at = NULL;
                for (size_t i = 0; i + 3 < flen && at == NULL; i++)
                        if (memcmp(file + i, "\x01\x08\x10\xa0\xa1", 5) == 0)
                                at = file + i;
                assert_non_null(at);
                at[2] = 0x11; /* a key length that does not fit AES-128 */
                state_image_reseal(file, flen);
        }
        fp = fopen(path, "wb");
        assert_non_null(fp);
        assert_int_equal(fwrite(file, 1, flen, fp), flen);
        fclose(fp);
        assert_null(durable_card(f->p, path, SCSIM_ERR_STATE));
        free(file);
        EVP_PKEY_CTX_free(ctx);
        EVP_PKEY_free(pub);
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        assert_int_equal(system(cmd), 0);
}

/* A state that cannot be written: PUT DATA, GENERATE, SET MANAGEMENT KEY answer 6581 and undo. */
static void test_durable_rollback(void **state)
{
        struct piv_fx *f = *state;
        char dir[] = "/tmp/scsim-piv-XXXXXX", path[64], cmd[128];
        uint8_t set_key[5 + 3 + 24] = {0x00, 0xff, 0xff, 0xff, 27, 0x03, 0x9b, 24};
        uint8_t gen[] = {0x00, 0x47, 0x00, 0x9e, 0x05, 0xac, 0x03, 0x80, 0x01, 0x11, 0x00};
        scsim_card *card;

        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/piv.state", dir);
        card = durable_card(f->p, path, SCSIM_OK);
        assert_int_equal(mutual_auth(card, 0x03, mgm_default, 8, des3, false), 0x9000);
        run_steps(card, (const char *const[]){"00DB3FFF 09 5C035FC105 5302 7000 -> 9000", NULL});
        /* every write fails as an I/O error would */
        assert_int_equal(scsim_card_set_fault_hook(card, state_fail_every_write, NULL), SCSIM_OK);
        run_steps(card, (const char *const[]){"00DB3FFF 09 5C035FC105 5302 7001 -> 6581",
                                              "00DB3FFF 09 5C035FC10A 5302 7001 -> 6581", NULL});
        assert_int_equal(xmit_bytes(card, gen, sizeof(gen), NULL, NULL), 0x6581);
        memset(set_key + 8, 0x42, 24);
        assert_int_equal(xmit_bytes(card, set_key, sizeof(set_key), NULL, NULL), 0x6581);
        assert_int_equal(scsim_card_set_fault_hook(card, NULL, NULL), SCSIM_OK);
        run_steps(card,
                  (const char *const[]){"00CB3FFF 05 5C035FC105 00 -> 53027000 9000",
                                        "00CB3FFF 05 5C035FC10A 00 -> 6A82", "00F7009E00 -> 6A88",
                                        "00F7009B00 -> 010103 02020001 050101 9000", NULL});
        scsim_card_free(&card);
        card = durable_card(f->p, path, SCSIM_OK);
        run_steps(card, (const char *const[]){"00CB3FFF 05 5C035FC105 00 -> 53027000 9000",
                                              "00F7009E00 -> 6A88", NULL});
        assert_int_equal(mutual_auth(card, 0x03, mgm_default, 8, des3, false), 0x9000);
        scsim_card_free(&card);
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        assert_int_equal(system(cmd), 0);
}

/* Every algorithm in retired slots: GENERATE, then a signature that libcrypto verifies. */
static void test_all_algorithms(void **state)
{
        static const struct {
                uint8_t slot, alg;
                size_t in_len;
        } rows[] = {{0x82, 0x06, 128}, {0x83, 0x07, 256}, {0x84, 0x11, 32}, {0x85, 0x14, 48}};
        struct piv_fx *f = *state;

        select_piv(f->card);
        assert_int_equal(mutual_auth(f->card, 0x03, mgm_default, 8, des3, false), 0x9000);
        run_steps(f->card, (const char *const[]){"00200080" PIN " -> 9000", NULL});
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                uint8_t in[257] = {0}, sig[512], rec[256];
                size_t n = 0, rn = sizeof(rec);
                EVP_PKEY *pub = generate(f->card, rows[i].slot, rows[i].alg, -1);
                EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pub, NULL);

                for (size_t k = 0; k < rows[i].in_len; k++)
                        in[k] = (uint8_t)(k * 7 + i);
                in[0] = 0x00; /* an RSA block below the modulus */
                assert_int_equal(
                    sign(f->card, rows[i].alg, rows[i].slot, in, rows[i].in_len, sig, &n), 0x9000);
                if (rows[i].alg == 0x11 || rows[i].alg == 0x14) {
                        assert_int_equal(EVP_PKEY_verify_init(ctx), 1);
                        assert_int_equal(EVP_PKEY_verify(ctx, sig, n, in, rows[i].in_len), 1);
                } else {
                        /* raw RSA: the public operation gives the block back */
                        assert_int_equal(n, rows[i].in_len);
                        assert_int_equal(EVP_PKEY_verify_recover_init(ctx), 1);
                        assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING), 1);
                        assert_int_equal(EVP_PKEY_verify_recover(ctx, rec, &rn, sig, n), 1);
                        assert_int_equal(rn, rows[i].in_len);
                        assert_memory_equal(rec, in, rn);
                }
                /* an ECDSA hash longer than the field, or an RSA block of the wrong size */
                assert_int_equal(
                    sign(f->card, rows[i].alg, rows[i].slot, in, rows[i].in_len + 1, sig, &n),
                    0x6A80);
                EVP_PKEY_CTX_free(ctx);
                EVP_PKEY_free(pub);
        }
}

/* PEM of a fresh P-256 key and of a self-signed certificate for it (or for other_key). */
static void make_pem(EVP_PKEY **key, char *key_pem, size_t kcap, char *cert_pem, size_t ccap,
                     EVP_PKEY *other_key)
{
        X509 *x = X509_new();
        BIO *b = BIO_new(BIO_s_mem());
        EVP_PKEY *cert_key;
        char *data = NULL;
        long n;

        *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        assert_non_null(*key);
        cert_key = other_key != NULL ? other_key : *key;
        assert_int_equal(PEM_write_bio_PrivateKey(b, *key, NULL, NULL, 0, NULL, NULL), 1);
        n = BIO_get_mem_data(b, &data);
        assert_true(n > 0 && (size_t)n < kcap);
        memcpy(key_pem, data, (size_t)n);
        key_pem[n] = '\0';
        BIO_reset(b);
        ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
        X509_gmtime_adj(X509_getm_notBefore(x), 0);
        X509_gmtime_adj(X509_getm_notAfter(x), 86400);
        X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                                   (const unsigned char *)"scsim profile cert", -1, -1, 0);
        X509_set_issuer_name(x, X509_get_subject_name(x));
        X509_set_pubkey(x, cert_key);
        assert_true(X509_sign(x, cert_key, EVP_sha256()) > 0);
        assert_int_equal(PEM_write_bio_X509(b, x), 1);
        n = BIO_get_mem_data(b, &data);
        assert_true(n > 0 && (size_t)n < ccap);
        memcpy(cert_pem, data, (size_t)n);
        cert_pem[n] = '\0';
        BIO_free(b);
        X509_free(x);
}

/* YAML block scalar: every line indented by ind spaces. */
static void indent(char *out, size_t cap, const char *text, int ind)
{
        size_t o = 0;

        for (const char *p = text; *p != '\0' && o + (size_t)ind + 2 < cap; p++) {
                if (p == text || p[-1] == '\n') {
                        memset(out + o, ' ', (size_t)ind);
                        o += (size_t)ind;
                }
                out[o++] = *p;
        }
        out[o] = '\0';
}

#define PIV_TAIL                                                                                   \
        "files:\n  piv:\n    type: df\n    fid: \"7F10\"\n"                                        \
        "    aid: \"A0 00 00 03 08 00 00 10 00 01 00\"\n    application: piv\n"                    \
        "    chvs:\n      pin: {reference: \"80\", value: \"123456\", length: 6..8, "              \
        "padding: FF, retries: 3, puk: puk}\n"                                                     \
        "      puk: {reference: \"81\", verifiable: false, value: \"12345678\", "                  \
        "length: 6..8, format: bytes, padding: FF, retries: 3}\n"

#define PIV_HEAD                                                                                   \
        "name: p\nhistorical_bytes: \"80\"\nserial: \"01\"\n"                                      \
        "files:\n  piv:\n    type: df\n    fid: \"7F10\"\n"                                        \
        "    aid: \"A0 00 00 03 08 00 00 10 00 01 00\"\n    application: piv\n"                    \
        "    chvs:\n      pin: {reference: \"80\", value: \"123456\", length: 6..8, "              \
        "padding: FF, retries: 3, puk: puk}\n"                                                     \
        "      puk: {reference: \"81\", verifiable: false, value: \"12345678\", "                  \
        "length: 6..8, format: bytes, padding: FF, retries: 3}\n"

/* Keys and certificates given in the profile: the card has them from the start. */
static void test_profile_keys_and_certs(void **state)
{
        struct piv_fx *f = *state;
        static char key_pem[2048], cert_pem[4096], ki[2600], ci[5000], yaml[16384];
        static const uint8_t hash[32] = "a key the profile gave the card";
        uint8_t resp[2048], sig[128];
        size_t n = 0;
        EVP_PKEY *key = NULL, *other = NULL;
        EVP_PKEY_CTX *ctx;
        scsim_profile *p = NULL;
        scsim_diag diag;
        char msg[600];

        make_pem(&key, key_pem, sizeof(key_pem), cert_pem, sizeof(cert_pem), NULL);
        indent(ki, sizeof(ki), key_pem, 8);
        indent(ci, sizeof(ci), cert_pem, 6);
        snprintf(yaml, sizeof(yaml),
                 PIV_HEAD
                 "piv:\n  keys:\n    9a:\n      algorithm: eccp256\n      private_key: |\n%s"
                 "  certificates:\n    9a: |\n%s  objects:\n    5fc109: \"01 02 03\"\n",
                 ki, ci);
        piv_fx_teardown(state);
        open_piv(f, yaml);
        select_piv(f->card);
        /* metadata: P-256, imported */
        assert_int_equal(xmit(f->card, "00F7009A00", resp, &n), 0x9000);
        assert_memory_equal(resp, "\x01\x01\x11\x02\x02\x02\x01\x03\x01\x02", 10);
        /* the certificate container: 53 { 70 DER, 71 00, FE } */
        assert_int_equal(xmit(f->card, "00CB3FFF 000005 5C035FC105 0000", resp, &n), 0x9000);
        assert_int_equal(resp[0], 0x53);
        assert_memory_equal(resp + n - 5, "\x71\x01\x00\xfe\x00", 5);
        run_steps(f->card,
                  (const char *const[]){"00200080" PIN " -> 9000",
                                        "00CB3FFF 05 5C035FC109 00 -> 5303010203 9000", NULL});
        assert_int_equal(sign(f->card, 0x11, 0x9a, hash, 32, sig, &n), 0x9000);
        ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
        assert_int_equal(EVP_PKEY_verify_init(ctx), 1);
        assert_int_equal(EVP_PKEY_verify(ctx, sig, n, hash, 32), 1);
        EVP_PKEY_CTX_free(ctx);

        /* a certificate for another key is refused where it is written */
        make_pem(&other, key_pem, sizeof(key_pem), cert_pem, sizeof(cert_pem), key);
        indent(ki, sizeof(ki), key_pem, 8);
        indent(ci, sizeof(ci), cert_pem, 6);
        snprintf(yaml, sizeof(yaml),
                 PIV_HEAD
                 "piv:\n  keys:\n    9c:\n      algorithm: eccp256\n      private_key: |\n%s"
                 "  certificates:\n    9c: |\n%s",
                 ki, ci);
        assert_int_equal(scsim_profile_load_buffer("t.yaml", yaml, strlen(yaml), &p, &diag),
                         SCSIM_ERR_PROFILE);
        scsim_diag_format(&diag, msg, sizeof(msg));
        assert_non_null(
            strstr(msg, "certificate for slot 9C: its public key is not the slot's key"));
        assert_non_null(strstr(msg, "t.yaml:"));
        /* a certificate without the slot's private key */
        snprintf(yaml, sizeof(yaml), PIV_HEAD "piv:\n  certificates:\n    9d: |\n%s", ci);
        assert_int_equal(scsim_profile_load_buffer("t.yaml", yaml, strlen(yaml), &p, &diag),
                         SCSIM_ERR_PROFILE);
        scsim_diag_format(&diag, msg, sizeof(msg));
        if (strstr(msg, "t.yaml:15:5: piv: certificate for slot 9D: give the slot's private_key") ==
            NULL)
                fail_msg("got: %s", msg);
        /* a key of the wrong algorithm, and something that is not a key */
        snprintf(yaml, sizeof(yaml),
                 PIV_HEAD
                 "piv:\n  keys:\n    9c:\n      algorithm: rsa2048\n      private_key: |\n%s",
                 ki);
        assert_int_equal(scsim_profile_load_buffer("t.yaml", yaml, strlen(yaml), &p, &diag),
                         SCSIM_ERR_PROFILE);
        scsim_diag_format(&diag, msg, sizeof(msg));
        assert_non_null(strstr(msg, "private_key: slot 9C is rsa2048; this key is not"));
        snprintf(yaml, sizeof(yaml),
                 PIV_HEAD
                 "piv:\n  keys:\n    9c:\n      algorithm: eccp256\n      private_key: |\n%s",
                 ci);
        assert_int_equal(scsim_profile_load_buffer("t.yaml", yaml, strlen(yaml), &p, &diag),
                         SCSIM_ERR_PROFILE);
        scsim_diag_format(&diag, msg, sizeof(msg));
        assert_non_null(strstr(msg, "private_key: not an unencrypted PEM private key"));
        EVP_PKEY_free(other);
        EVP_PKEY_free(key);
}

/*
 * Mutated PIV commands, deterministic: every answer is a status word the card
 * documents, and the card keeps working (sanitizer builds catch the rest).
 */
static void test_mutated_commands(void **state)
{
        static const char *const seeds[] = {
            "00A4040009A0000003080000100000",
            "00200080 08 313233343536FFFF",
            "0087039B 04 7C028000 00",
            "0087039B 16 7C14 8008 0001020304050607 8108 0001020304050607 00",
            "0087119A 26 7C24 8200 8120 00000000000000000000000000000000000000000000000000000000"
            "00000000 00",
            "0087119D 47 7C45 8200 8541 04000000000000000000000000000000000000000000000000000000"
            "000000000000000000000000000000000000000000000000000000000000000000000000 00",
            "00CB3FFF 05 5C035FC102 00",
            "00DB3FFF 0B 5C035FC105 5304 7002 CAFE",
            "0047009A 05 AC03 800111 00",
            "00F7009B 00",
            "00FFFFFF 1B 039B18 010203040506070801020304050607080102030405060708",
            "00240080 10 313233343536FFFF 363534333231FFFF",
            "002C0080 10 3132333435363738 313233343536FFFF",
            "00FB0000",
        };
        static const uint16_t ok_sw[] = {0x9000, 0x6581, 0x6700, 0x6881, 0x6882, 0x6883, 0x6884,
                                         0x6982, 0x6983, 0x6985, 0x6a80, 0x6a82, 0x6a84, 0x6a86,
                                         0x6a88, 0x6b00, 0x6d00, 0x6e00, 0x6986, 0x6a81, 0x6282};
        struct piv_fx *f = *state;
        uint32_t rng = 0x5c51u;
        uint8_t apdu[300], out[SCSIM_RAPDU_MAX];

        for (unsigned iter = 0; iter < 20000; iter++) {
                const char *seed;
                size_t n, rn = 0;
                uint16_t sw;
                bool known = false;

                rng = rng * 1103515245u + 12345u;
                seed = seeds[(rng >> 8) % (sizeof(seeds) / sizeof(seeds[0]))];
                n = hex_parse(seed, apdu, sizeof(apdu));
                for (unsigned m = 0; m < 1 + (rng >> 28) % 4; m++) {
                        rng = rng * 1103515245u + 12345u;
                        switch ((rng >> 12) % 4) {
                        case 0: /* flip a byte */
                                apdu[(rng >> 16) % n] ^= (uint8_t)(1u << ((rng >> 4) % 8));
                                break;
                        case 1: /* a random byte */
                                apdu[(rng >> 16) % n] = (uint8_t)(rng >> 24);
                                break;
                        case 2: /* truncate */
                                if (n > 4)
                                        n -= 1 + (rng >> 16) % (n - 4);
                                break;
                        default: /* never touch INS: keep the command a PIV one */
                                break;
                        }
                }
                if (apdu[1] == 0x47 || (apdu[0] & 0x0c) != 0)
                        apdu[0] &= 0x13; /* no key generation storms, no SM */
                if (apdu[1] == 0x47)
                        apdu[1] = 0x87;
                if ((rng >> 20) % 64 == 0)
                        assert_int_equal(scsim_card_reset(f->card, NULL, NULL), SCSIM_OK);
                sw = xmit_bytes(f->card, apdu, n, out, &rn);
                for (size_t i = 0; i < sizeof(ok_sw) / sizeof(ok_sw[0]); i++)
                        known = known || ok_sw[i] == sw;
                known = known || (sw & 0xfff0) == 0x63c0 || (sw & 0xff00) == 0x6100 ||
                        (sw & 0xff00) == 0x6c00;
                if (!known)
                        fail_msg("iteration %u: SW %04X", iter, sw);
        }
        /* still a working PIV card */
        run_steps(f->card, (const char *const[]){"!reset", SEL, "00FD000000 -> 050403 9000", NULL});
}

/* IMPORT KEY: an EC scalar and RSA CRT parts; inconsistent parts are 6A80. */
static void test_import_key(void **state)
{
        static const char *const rsa_parts[5] = {
            OSSL_PKEY_PARAM_RSA_FACTOR1, OSSL_PKEY_PARAM_RSA_FACTOR2, OSSL_PKEY_PARAM_RSA_EXPONENT1,
            OSSL_PKEY_PARAM_RSA_EXPONENT2, OSSL_PKEY_PARAM_RSA_COEFFICIENT1};
        struct piv_fx *f = *state;
        EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
        uint8_t data[400], resp[300], point[65];
        size_t n = 0, plen = 0, off = 0;
        BIGNUM *bn = NULL;

        assert_non_null(ec);
        assert_non_null(rsa);
        select_piv(f->card);
        data[0] = 0x06;
        data[1] = 0x20;
        assert_int_equal(EVP_PKEY_get_bn_param(ec, OSSL_PKEY_PARAM_PRIV_KEY, &bn), 1);
        assert_int_equal(BN_bn2binpad(bn, data + 2, 32), 32);
        BN_clear_free(bn);
        bn = NULL;
        assert_int_equal(send_ext(f->card, 0xfe, 0x11, 0x9a, data, 34, resp, &n), 0x6982);
        assert_int_equal(mutual_auth(f->card, 0x03, mgm_default, 8, des3, false), 0x9000);
        assert_int_equal(send_ext(f->card, 0xfe, 0x11, 0x9a, data, 34, resp, &n), 0x9000);
        assert_int_equal(send_ext(f->card, 0xfe, 0x14, 0x9a, data, 34, resp, &n), 0x6A80);
        /* metadata: P-256, imported, and the public point the scalar makes */
        assert_int_equal(xmit(f->card, "00F7009A00", resp, &n), 0x9000);
        assert_memory_equal(resp, "\x01\x01\x11\x02\x02\x02\x01\x03\x01\x02\x04\x43\x86\x41", 14);
        assert_int_equal(EVP_PKEY_get_octet_string_param(ec, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
                                                         point, sizeof(point), &plen),
                         1);
        assert_memory_equal(resp + 14, point, 65);

        /* RSA 1024: 01 p 02 q 03 dP 04 dQ 05 qInv, 64 bytes each */
        for (int i = 0; i < 5; i++) {
                data[off++] = (uint8_t)(i + 1);
                data[off++] = 0x40;
                assert_int_equal(EVP_PKEY_get_bn_param(rsa, rsa_parts[i], &bn), 1);
                assert_int_equal(BN_bn2binpad(bn, data + off, 64), 64);
                BN_clear_free(bn);
                bn = NULL;
                off += 64;
        }
        data[off++] = 0xaa;
        data[off++] = 0x01;
        data[off++] = 0x01; /* PIN never */
        assert_int_equal(send_ext(f->card, 0xfe, 0x06, 0x9d, data, off, resp, &n), 0x9000);
        assert_int_equal(xmit(f->card, "00F7009D00", resp, &n), 0x9000);
        assert_memory_equal(resp, "\x01\x01\x06\x02\x02\x01\x01\x03\x01\x02", 10);
        data[off - 4] ^= 1; /* qInv no longer fits p and q */
        assert_int_equal(send_ext(f->card, 0xfe, 0x06, 0x9d, data, off, resp, &n), 0x6A80);
        EVP_PKEY_free(ec);
        EVP_PKEY_free(rsa);
}

/* A global PIN 00: the discovery object says it also satisfies; VERIFY 00 opens 9A and 9C. */
static void test_global_pin(void **state)
{
        static const char yaml[] = "name: p\nhistorical_bytes: \"80\"\nserial: \"01\"\n"
                                   "chvs:\n  global: {reference: \"00\", value: \"111111\", "
                                   "length: 6..8, padding: FF, retries: 5}\n" PIV_TAIL;
        static const uint8_t hash[32] = "global PIN signs too";
        struct piv_fx *f = *state;
        uint8_t sig[128];
        size_t n = 0;

        piv_fx_teardown(state);
        open_piv(f, yaml);
        select_piv(f->card);
        run_steps(
            f->card,
            (const char *const[]){
                "00CB3FFF 03 5C017E 00 -> 7E12 4F0BA0000003080000100001 00 5F2F026010 9000", NULL});
        assert_int_equal(mutual_auth(f->card, 0x03, mgm_default, 8, des3, false), 0x9000);
        EVP_PKEY_free(generate(f->card, 0x9a, 0x11, -1));
        EVP_PKEY_free(generate(f->card, 0x9c, 0x11, -1));
        assert_int_equal(sign(f->card, 0x11, 0x9a, hash, 32, sig, &n), 0x6982);
        run_steps(f->card, (const char *const[]){"00200000 08 313131313131FFFF -> 9000", NULL});
        assert_int_equal(sign(f->card, 0x11, 0x9a, hash, 32, sig, &n), 0x9000);
        assert_int_equal(sign(f->card, 0x11, 0x9c, hash, 32, sig, &n), 0x9000);
        assert_int_equal(sign(f->card, 0x11, 0x9c, hash, 32, sig, &n), 0x6982);
        run_steps(f->card, (const char *const[]){"0020FF00 -> 9000", "00200000 -> 63C5", NULL});
        assert_int_equal(sign(f->card, 0x11, 0x9a, hash, 32, sig, &n), 0x6982);
}

/* SET PIN RETRIES: management key and PIN first; new limits, PIN and PUK back to defaults. */
static void test_set_pin_retries(void **state)
{
        struct piv_fx *f = *state;
        char dir[] = "/tmp/scsim-piv-XXXXXX", path[64], cmd[128];
        scsim_card *card;

        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/piv.state", dir);
        card = durable_card(f->p, path, SCSIM_OK);
        run_steps(card, (const char *const[]){
                            "00FA0506 -> 6982", "00200080" PIN " -> 9000", "00FA0506 -> 6982",
                            "00240080 10 313233343536FFFF 373737373737FFFF -> 9000", NULL});
        assert_int_equal(mutual_auth(card, 0x03, mgm_default, 8, des3, false), 0x9000);
        run_steps(card, (const char *const[]){
                            "00FA0006 -> 6A86", "00FA0510 -> 6A86", "00FA0506 -> 9000",
                            /* the PIN is the profile's again, and no longer verified */
                            "00200080 -> 63C5", "00F7008000 -> 0101FF 050101 06020505 9000",
                            "00F7008100 -> 0101FF 050101 06020606 9000",
                            "00200080 08 373737373737FFFF -> 63C4", NULL});
        scsim_card_free(&card);
        /* the limits are durable; a success restores the new limit */
        card = durable_card(f->p, path, SCSIM_OK);
        run_steps(card, (const char *const[]){"00F7008000 -> 0101FF 050101 06020504 9000",
                                              "00200080" PIN " -> 9000",
                                              "00F7008000 -> 0101FF 050101 06020505 9000", NULL});
        scsim_card_free(&card);
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        assert_int_equal(system(cmd), 0);
}

/* SET PIN RETRIES changes the core's counters alone: the PIV record (keys) is not encoded again. */
static void test_set_pin_retries_core_only(void **state)
{
        struct piv_fx *f = *state;
        char dir[] = "/tmp/scsim-piv-XXXXXX", path[64], cmd[128];
        scsim_card *card;

        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/piv.state", dir);
        card = durable_card(f->p, path, SCSIM_OK);
        run_steps(card, (const char *const[]){"00200080" PIN " -> 9000", NULL});
        assert_int_equal(mutual_auth(card, 0x03, mgm_default, 8, des3, false), 0x9000);
        piv_saves = 0;
        run_steps(card, (const char *const[]){"00FA0506 -> 9000", NULL});
        assert_int_equal(piv_saves, 0);
        scsim_card_free(&card);
        card = durable_card(f->p, path, SCSIM_OK);
        run_steps(card, (const char *const[]){"00F7008000 -> 0101FF 050101 06020505 9000",
                                              "00F7008100 -> 0101FF 050101 06020606 9000", NULL});
        scsim_card_free(&card);
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        assert_int_equal(system(cmd), 0);
}

static void test_profile_errors(void **state)
{
        static const struct {
                const char *yaml;
                const char *msg;
        } bad[] = {
            {"name: p\nhistorical_bytes: \"80\"\nserial: \"01\"\npiv:\n  version: 5.4.3\n",
             "test.yaml:4:1: piv: no DF has 'application: piv'"},
            {"name: p\nhistorical_bytes: \"80\"\nserial: \"01\"\nfiles:\n  piv:\n    type: df\n"
             "    fid: \"7F10\"\n    aid: \"A000000308\"\n    application: piv\n",
             "test.yaml:5:3: piv: application piv needs, in its DF, CHV 80 (the PIN, with puk: "
             "naming CHV 81) and CHV 81 (the PUK)"},
            {"name: p\nhistorical_bytes: \"80\"\nserial: \"01\"\nfiles:\n  piv:\n    type: df\n"
             "    fid: \"7F10\"\n    application: pib\n",
             "test.yaml:8:18: file 'piv': application must be one of none, yubikey, piv, openpgp; "
             "got "
             "'pib'"},
        };
        (void)state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                scsim_profile *p = NULL;
                scsim_diag diag;
                char msg[600];
                assert_int_equal(scsim_profile_load_buffer("test.yaml", bad[i].yaml,
                                                           strlen(bad[i].yaml), &p, &diag),
                                 SCSIM_ERR_PROFILE);
                scsim_diag_format(&diag, msg, sizeof(msg));
                assert_string_equal(msg, bad[i].msg);
        }
}

static void test_profile_key_errors(void **state)
{
        static const char head[] =
            "name: p\nhistorical_bytes: \"80\"\nserial: \"01\"\n"
            "files:\n  piv:\n    type: df\n    fid: \"7F10\"\n"
            "    aid: \"A0 00 00 03 08 00 00 10 00 01 00\"\n    application: piv\n"
            "    chvs:\n      pin: {reference: \"80\", value: \"123456\", length: 6..8, "
            "padding: FF, retries: 3, puk: puk}\n"
            "      puk: {reference: \"81\", verifiable: false, value: \"12345678\", "
            "length: 6..8, format: bytes, padding: FF, retries: 3}\n"
            "piv:\n";
        static const struct {
                const char *tail;
                const char *msg;
        } bad[] = {
            {"  management_key_algorithm: aes128\n  management_key: \"0102\"\n",
             "test.yaml:15:20: piv: management_key must be 16 bytes, got 2"},
            {"  keys:\n    9b: {algorithm: eccp256}\n",
             "test.yaml:15:5: piv: slot 9B: expected 9a, 9c, 9d, 9e, 82..95 or f9"},
            {"  keys:\n    9a: {algorithm: ed448}\n",
             "test.yaml:15:21: piv: algorithm must be one of rsa1024, rsa2048, eccp256, "
             "eccp384, rsa3072, rsa4096, ed25519, x25519; got 'ed448'"},
            {"  keys:\n    9a: {algorithm: ed25519}\n",
             "test.yaml:15:21: piv: algorithm ed25519 needs version 5.7.0 or later, not 5.4.3"},
            {"  version: 5.4\n",
             "test.yaml:14:12: piv: version: expected three numbers 0..255 like 5.4.3, got "
             "'5.4'"},
            {"  pin: \"123456\"\n",
             "test.yaml:14:3: piv: unknown key 'pin' (expected one of: management_key, "
             "management_key_algorithm, guid, version, serial, keys, certificates, objects)"},
        };
        (void)state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                char yaml[2048];
                scsim_profile *p = NULL;
                scsim_diag diag;
                char msg[600];
                snprintf(yaml, sizeof(yaml), "%s%s", head, bad[i].tail);
                assert_int_equal(
                    scsim_profile_load_buffer("test.yaml", yaml, strlen(yaml), &p, &diag),
                    SCSIM_ERR_PROFILE);
                scsim_diag_format(&diag, msg, sizeof(msg));
                assert_string_equal(msg, bad[i].msg);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_transcripts, setup, piv_fx_teardown),
            cmocka_unit_test_setup_teardown(test_mgm_auth_3des, setup, piv_fx_teardown),
            cmocka_unit_test_setup_teardown(test_mgm_external_auth, setup, piv_fx_teardown),
            cmocka_unit_test_setup_teardown(test_set_mgm_key_aes, setup, piv_fx_teardown),
            cmocka_unit_test_setup_teardown(test_profile_aes_key, setup, piv_fx_teardown),
            cmocka_unit_test_setup_teardown(test_generate_and_sign_ec, setup, piv_fx_teardown),
            cmocka_unit_test_setup_teardown(test_pin_always_9c_rsa, setup, piv_fx_teardown),
            cmocka_unit_test_setup_teardown(test_ecdh_and_never_policy, setup, piv_fx_teardown),
            cmocka_unit_test_setup_teardown(test_put_data_chained, setup, piv_fx_teardown),
            cmocka_unit_test_setup_teardown(test_all_algorithms, setup, piv_fx_teardown),
            cmocka_unit_test_setup_teardown(test_durable_state, setup, piv_fx_teardown),
            cmocka_unit_test_setup_teardown(test_durable_rollback, setup, piv_fx_teardown),
            cmocka_unit_test_setup_teardown(test_profile_keys_and_certs, setup, piv_fx_teardown),
            cmocka_unit_test_setup_teardown(test_mutated_commands, setup, piv_fx_teardown),
            cmocka_unit_test_setup_teardown(test_import_key, setup, piv_fx_teardown),
            cmocka_unit_test_setup_teardown(test_global_pin, setup, piv_fx_teardown),
            cmocka_unit_test_setup_teardown(test_set_pin_retries, setup, piv_fx_teardown),
            cmocka_unit_test_setup_teardown(test_set_pin_retries_core_only, setup, piv_fx_teardown),
            cmocka_unit_test(test_profile_errors),
            cmocka_unit_test(test_profile_key_errors),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
