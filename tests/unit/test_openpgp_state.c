/* SPDX-License-Identifier: MIT */
/*
 * The OpenPGP application's durable state and its profile section: what a
 * state file keeps across restarts, what a failed write leaves, which
 * records are refused; keys, fingerprints and data objects given in the
 * profile.
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
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "card_steps.h"
#include "openpgp_card.h"
#include "state_helpers.h"

#define V81  "00200081" PW1 " -> 9000"
#define V82  "00200082" PW1 " -> 9000"
#define V83  "00200083" PW3 " -> 9000"
#define HASH "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F"
#define CDS  "002A9E9A 20 " HASH " 00"

struct dir {
        char path[64];
        char state[96];
        char lock[104];
};

static void make_dir(struct dir *d)
{
        snprintf(d->path, sizeof(d->path), "/tmp/scsim-openpgp-XXXXXX");
        assert_non_null(mkdtemp(d->path));
        snprintf(d->state, sizeof(d->state), "%s/card.state", d->path);
        snprintf(d->lock, sizeof(d->lock), "%s.lock", d->state);
}

static void remove_dir(struct dir *d)
{
        unlink(d->state);
        unlink(d->lock);
        assert_int_equal(rmdir(d->path), 0);
}

/* A card of profile p with the state file attached (expect: the attach's result). */
static scsim_card *durable(const scsim_profile *p, const char *path, int expect)
{
        scsim_card *card = scsim_card_new(p);
        scsim_diag diag;
        int rc;

        assert_non_null(card);
        rc = scsim_card_attach_state(card, path, &diag);
        if (rc != expect)
                fail_msg("attach %s: %d (%s), expected %d", path, rc, diag.message, expect);
        if (rc != SCSIM_OK) {
                scsim_card_free(&card);
                return NULL;
        }
        assert_int_equal(scsim_card_power_on(card, NULL, NULL), SCSIM_OK);
        return card;
}

/* Passwords, counters, data objects, keys and the life cycle survive a restart. */
static void test_durable(void **state)
{
        static uint8_t pub[300], again[300];
        size_t n = 0, m = 0;
        struct opgp_fx f;
        scsim_card *card;
        struct dir d;

        (void)state;
        make_dir(&d);
        assert_int_equal(opgp_open(&f, NULL), 0);
        card = durable(f.p, d.state, SCSIM_OK);
        run_steps(card, (const char *const[]){OPGP_SEL, V83, "00DA005B 03 414243 -> 9000",
                                              "00DA00D3 08 3837363534333231 -> 9000",
                                              "00DA00C1 09 132A8648CE3D030107 -> 9000",
                                              "00240081 0C 313233343536 363534333231 -> 9000",
                                              "00DA7F21 02 CAFE -> 9000", NULL});
        assert_int_equal(xmit(card, "00478000 02 B600 00", pub, &n), 0x9000);
        run_steps(card,
                  (const char *const[]){"00200083 08 3939393939393939 -> 63C2",
                                        "00200081 06 363534333231 -> 9000", CDS " -> *9000",
                                        "00200081 06 363534333231 -> 9000", CDS " -> *9000", NULL});
        scsim_card_free(&card);

        card = durable(f.p, d.state, SCSIM_OK);
        run_steps(card,
                  (const char *const[]){
                      OPGP_SEL, "00CA006500 -> 650B 5B03414243 5F2D00 5F3500 9000",
                      "00CA00C400 -> 007F7F7F 030302 9000", "00CA007A00 -> 7A05 9303000002 9000",
                      "00CA7F2100 -> CAFE 9000", "00CA00C100 -> 132A8648CE3D030107 9000",
                      "00CA00DE00 -> 010102000300 9000", "00200081" PW1 " -> 63C2",
                      "00200081 06 363534333231 -> 9000", CDS " -> *9000",
                      "00CA007A00 -> 7A05 9303000003 9000", NULL});
        assert_int_equal(xmit(card, "00478100 02 B600 00", again, &m), 0x9000);
        assert_int_equal(m, n);
        assert_memory_equal(again, pub, n);
        /* a terminated application stays terminated */
        run_steps(card, (const char *const[]){V83, "00E60000 -> 9000", NULL});
        scsim_card_free(&card);
        card = durable(f.p, d.state, SCSIM_OK);
        run_steps(card,
                  (const char *const[]){"00A4040006D27600012401 00 -> 6285", "00440000 -> 9000",
                                        OPGP_SEL, "00CA00C400 -> 007F7F7F 030003 9000", NULL});
        scsim_card_free(&card);
        card = durable(f.p, d.state, SCSIM_OK);
        run_steps(card,
                  (const char *const[]){OPGP_SEL, "00CA006500 -> 6508 5B00 5F2D00 5F3500 9000",
                                        "00CA00DE00 -> 010002000300 9000", V81, NULL});
        scsim_card_free(&card);
        opgp_close(&f);
        remove_dir(&d);
}

/*
 * A state file that cannot be written: commands that change durable state
 * answer 6581 and leave the card as it was; a code is not even compared
 * when spending its try cannot be written, so no try is spent.
 */
static void test_rollback(void **state)
{
        struct opgp_fx f;
        scsim_card *card;
        struct dir d;

        (void)state;
        make_dir(&d);
        assert_int_equal(opgp_open(&f, NULL), 0);
        card = durable(f.p, d.state, SCSIM_OK);
        run_steps(card, (const char *const[]){OPGP_SEL, V83, "00DA005B 03 414243 -> 9000",
                                              "00DA00C1 09 132A8648CE3D030107 -> 9000",
                                              "00478000 02 B600 00 -> *9000", V81,
                                              /* written whole: no restore of V81's put off */
                                              "00DA005B 03 414243 -> 9000", NULL});
        /* every write fails as an I/O error would */
        assert_int_equal(scsim_card_set_fault_hook(card, state_fail_every_write, NULL), SCSIM_OK);
        run_steps(card,
                  (const char *const[]){"00DA005B 03 58595A -> 6581", "00478000 02 B600 00 -> 6581",
                                        "00DA00C1 06 010800001100 -> 6581", CDS " -> 6581",
                                        "00DA00D3 08 3837363534333231 -> 6581",
                                        "00240081 0C 313233343536 363534333231 -> 6581",
                                        "00200082 06 393939393939 -> 6581", "00E60000 -> 6581",
                                        "00CA006500 -> 650B 5B03414243 5F2D00 5F3500 9000",
                                        "00CA00C100 -> 132A8648CE3D030107 9000",
                                        "00CA007A00 -> 7A05 9303000000 9000",
                                        /* a try whose spending cannot be written is not made */
                                        "00CA00C400 -> 007F7F7F 030003 9000", NULL});
        assert_int_equal(scsim_card_set_fault_hook(card, NULL, NULL), SCSIM_OK);
        scsim_card_free(&card);
        card = durable(f.p, d.state, SCSIM_OK);
        run_steps(card, (const char *const[]){OPGP_SEL,
                                              "00CA006500 -> 650B 5B03414243 5F2D00 5F3500 9000",
                                              "00CA00C400 -> 007F7F7F 030003 9000",
                                              "00CA00DE00 -> 010102000300 9000", V81, NULL});
        scsim_card_free(&card);
        opgp_close(&f);
        remove_dir(&d);
}

/*
 * Rewrite the state file as one image (as older scsims wrote it: the image
 * of a two-copy file's newest copy, or the file itself) with one byte of
 * the OpenPGP record changed, resealed. The byte is found from PW1's length
 * and value (06 "123456"): back < 0 bytes before them, -4 the format, -2
 * PW1's limit, -1 its tries.
 */
static void damage(const char *path, int back, uint8_t value)
{
        static const uint8_t pw1[] = {0x06, '1', '2', '3', '4', '5', '6'};
        static uint8_t raw[65536], file[65536];
        FILE *fp = fopen(path, "rb");
        size_t n, i;

        assert_non_null(fp);
        n = fread(raw, 1, sizeof(raw), fp);
        fclose(fp);
        if (state_file_newest(raw, n) >= 0) {
                n = state_file_image(raw, n, file, sizeof(file));
        } else {
                memcpy(file, raw, n);
        }
        assert_true(n > 0);
        for (i = 5; i + sizeof(pw1) < n && memcmp(file + i, pw1, sizeof(pw1)) != 0; i++)
                ;
        assert_true(i + sizeof(pw1) < n);
        file[(size_t)((long)i + back)] = value;
        state_image_reseal(file, n);
        fp = fopen(path, "wb");
        assert_non_null(fp);
        assert_int_equal(fwrite(file, 1, n, fp), n);
        fclose(fp);
}

/* Records the application cannot use, and a profile whose retry limit changed, are refused. */
static void test_refused(void **state)
{
        const char *yaml = opgp_yaml("  pw1_retries: 5\n");
        scsim_profile *five = NULL;
        struct opgp_fx f;
        scsim_card *card;
        scsim_diag diag;
        struct dir d;

        (void)state;
        make_dir(&d);
        assert_int_equal(opgp_open(&f, NULL), 0);
        card = durable(f.p, d.state, SCSIM_OK);
        scsim_card_free(&card);
        damage(d.state, -1, 0x04); /* more tries than the limit */
        assert_null(durable(f.p, d.state, SCSIM_ERR_STATE));
        damage(d.state, -1, 0x02);
        card = durable(f.p, d.state, SCSIM_OK);
        run_steps(card, (const char *const[]){OPGP_SEL, "00200081 -> 63C2", NULL});
        scsim_card_free(&card);
        damage(d.state, -4, 0x02); /* a format this scsim does not know */
        assert_null(durable(f.p, d.state, SCSIM_ERR_STATE));
        damage(d.state, -2, 0x04); /* a limit the profile does not have */
        assert_null(durable(f.p, d.state, SCSIM_ERR_STATE));
        damage(d.state, -4, 0x01);
        damage(d.state, -2, 0x03);
        card = durable(f.p, d.state, SCSIM_OK);
        scsim_card_free(&card);
        assert_int_equal(scsim_profile_load_buffer("five.yaml", yaml, strlen(yaml), &five, &diag),
                         SCSIM_OK);
        assert_null(durable(five, d.state, SCSIM_ERR_STATE));
        scsim_profile_free(&five);
        opgp_close(&f);
        remove_dir(&d);
}

/* Keys, fingerprints, dates and data objects given in the profile. */
static void test_profile_keys(void **state)
{
        static char yaml[4096], pem[1024];
        EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "prime256v1");
        BIO *bio = BIO_new(BIO_s_mem());
        uint8_t sig[80];
        size_t n = 0, len;
        struct opgp_fx f;
        char *line;

        (void)state;
        assert_int_equal(PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL), 1);
        len = (size_t)BIO_read(bio, pem, sizeof(pem) - 1);
        pem[len] = '\0';
        n += (size_t)snprintf(
            yaml, sizeof(yaml),
            "  pw1: \"secret-pin\"\n  resetting_code: \"87654321\"\n"
            "  rc_retries: 5\n  signature_pin: several\n  name: \"Doe<<Jane\"\n"
            "  language: \"deen\"\n  salutation: 2\n  url: \"https://x.example\"\n"
            "  login: \"jane\"\n  private_do_2: \"note\"\n  manufacturer: \"00 06\"\n"
            "  keys:\n    dec: {algorithm: cv25519}\n    aut:\n"
            "      algorithm: nistp256\n      created: 4000000000\n"
            "      fingerprint: \"00112233445566778899AABBCCDDEEFF00112233\"\n"
            "      private_key: |\n");
        for (line = strtok(pem, "\n"); line != NULL; line = strtok(NULL, "\n"))
                n += (size_t)snprintf(yaml + n, sizeof(yaml) - n, "        %s\n", line);
        assert_int_equal(opgp_open(&f, opgp_yaml(yaml)), 0);
        run_steps(f.card,
                  (const char *const[]){
                      "00CA004F00 -> D27600012401030400060000000 10000 9000",
                      "00CA00C400 -> 017F7F7F 030503 9000",
                      "00CA00C200 -> 122B060104019755010501 9000",
                      "00CA00C300 -> 132A8648CE3D030107 9000", "00CA00DE00 -> 010002010302 9000",
                      "00CA00CD00 -> 0000000000000000EE6B2800 9000",
                      "00CA00C500 -> 0000000000000000000000000000000000000000"
                      "0000000000000000000000000000000000000000"
                      "00112233445566778899AABBCCDDEEFF00112233 9000",
                      "00CA006500 -> 6516 5B09446F653C3C4A616E65 5F2D046465656E 5F350132 9000",
                      "00CA5F5000 -> 68747470733A2F2F782E6578616D706C65 9000",
                      "00CA005E00 -> 6A616E65 9000", "00CA010200 -> 6E6F7465 9000",
                      "00200082 0A 7365637265742D70696E -> 9000", NULL});
        assert_int_equal(xmit(f.card, "00880000 20 " HASH " 00", sig, &n), 0x9000);
        {
                EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
                ECDSA_SIG *es = ECDSA_SIG_new();
                uint8_t der[80], hash[32];
                unsigned char *p = der;
                int dlen;
                assert_int_equal(n, 64);
                ECDSA_SIG_set0(es, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32, NULL));
                dlen = i2d_ECDSA_SIG(es, &p);
                hex_parse(HASH, hash, sizeof(hash));
                assert_int_equal(EVP_PKEY_verify_init(ctx), 1);
                assert_int_equal(EVP_PKEY_verify(ctx, der, (size_t)dlen, hash, 32), 1);
                ECDSA_SIG_free(es);
                EVP_PKEY_CTX_free(ctx);
        }
        opgp_close(&f);
        EVP_PKEY_free(key);
        BIO_free(bio);
}

/* Mistakes in the section, each at its file:line:column. */
static void test_profile_errors(void **state)
{
        static const struct {
                const char *lines, *want;
        } bad[] = {
            {"  pw1: \"12345\"\n", "openpgp: pw1: 6..127 bytes, got 5"},
            {"  pw3: \"1234567\"\n", "openpgp: pw3: 8..127 bytes, got 7"},
            {"  pw1_retries: 0\n", "openpgp: pw1_retries must be 1..15, got 0"},
            {"  signature_pin: twice\n", "signature_pin"},
            {"  salutation: 3\n", "openpgp: salutation: expected 0, 1, 2 or 9 (ISO 5218)"},
            {"  name: \"0123456789012345678901234567890123456789\"\n",
             "openpgp: name: too long for its data object"},
            {"  algorithms: {dec: ed25519}\n", "openpgp: dec: 'ed25519' is not a decryption"},
            {"  algorithms: {sig: cv25519}\n", "openpgp: sig: 'cv25519' is not a signing"},
            {"  algorithms: {sig: rsa1024}\n", "openpgp: sig: 'rsa1024' is not a signing"},
            {"  keys: {aut: {algorithm: rsa2048, private_key: \"x\"}}\n",
             "openpgp: private_key: not an unencrypted PEM private key"},
            {"  keys: {aut: {created: 0}}\n", "openpgp: created: expected seconds since 1970"},
            {"  keys: {aut: {fingerprint: \"00\"}}\n", "fingerprint"},
            {"  keys: {auth: {}}\n", "unknown key 'auth'"},
            {"  pin: \"123456\"\n", "unknown key 'pin'"},
        };
        scsim_profile *p = NULL;
        scsim_diag diag;

        (void)state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                const char *yaml = opgp_yaml(bad[i].lines);
                assert_int_equal(scsim_profile_load_buffer("t.yaml", yaml, strlen(yaml), &p, &diag),
                                 SCSIM_ERR_PROFILE);
                if (strstr(diag.message, bad[i].want) == NULL || diag.line != 11)
                        fail_msg("%s: got %u:%u: %s", bad[i].lines, diag.line, diag.column,
                                 diag.message);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_durable),        cmocka_unit_test(test_rollback),
            cmocka_unit_test(test_refused),        cmocka_unit_test(test_profile_keys),
            cmocka_unit_test(test_profile_errors),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
