/* SPDX-License-Identifier: MIT */
/*
 * PIV attestation as a YubiKey does it, checked with libcrypto: the
 * certificate ATTEST answers chains to the F9 certificate, carries Yubico's
 * extensions, and F9's key and certificate come from the profile or are
 * made when first needed, survive RESET and the state file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "apps/piv/piv.h"
#include "card_internal.h"
#include "card_steps.h"
#include "piv_helpers.h"

#define TAG_F9_CERT 0x5fff01

static struct piv_fx fx;

static int setup(void **state)
{
        memset(&fx, 0, sizeof(fx));
        fx.card = piv_card(&fx.p, NULL, SCSIM_SOURCE_DIR "/profiles/yubikey5.yaml");
        piv_select(fx.card);
        *state = &fx;
        return 0;
}

/* ATTEST slot; the DER certificate parsed, or NULL with *sw the refusal. */
static X509 *attest(scsim_card *card, uint8_t slot, uint16_t *sw)
{
        static uint8_t resp[4096];
        const uint8_t *p = resp;
        size_t n = 0;

        *sw = piv_send(card, 0xf9, slot, 0x00, NULL, 0, resp, &n);
        if (*sw != 0x9000)
                return NULL;
        assert_int_equal(resp[0], 0x30);
        return d2i_X509(NULL, &p, (long)n);
}

/* Does cert verify up to the trusted CA alone (a chain of two)? */
static void assert_chains(X509 *cert, X509 *ca)
{
        X509_STORE *store = X509_STORE_new();
        X509_STORE_CTX *ctx = X509_STORE_CTX_new();

        assert_non_null(store);
        assert_non_null(ctx);
        assert_int_equal(X509_STORE_add_cert(store, ca), 1);
        assert_int_equal(X509_STORE_CTX_init(ctx, store, cert, NULL), 1);
        if (X509_verify_cert(ctx) != 1)
                fail_msg("attestation does not verify: %s",
                         X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
        X509_STORE_CTX_free(ctx);
        X509_STORE_free(store);
}

static void assert_ext(const X509 *cert, const char *oid, const uint8_t *want, size_t len)
{
        size_t n = 0;
        const uint8_t *v = piv_cert_ext(cert, oid, &n);

        assert_int_equal(n, len);
        assert_memory_equal(v, want, len);
}

/* Issuer, validity, subject, public key and Yubico's four extensions. */
static void check_attestation(X509 *att, X509 *ca, EVP_PKEY *pub, const char *cn,
                              const uint8_t policy[2])
{
        static const uint8_t fw[3] = {5, 4, 3}, serial[5] = {0x02, 0x03, 0x6a, 0xcf, 0xc7},
                             form[1] = {0x01};
        char subject[128];

        assert_chains(att, ca);
        assert_int_equal(X509_get_version(att), X509_VERSION_3);
        assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(att), X509_get_subject_name(ca)), 0);
        assert_int_equal(ASN1_TIME_compare(X509_get0_notBefore(att), X509_get0_notBefore(ca)), 0);
        assert_int_equal(ASN1_TIME_compare(X509_get0_notAfter(att), X509_get0_notAfter(ca)), 0);
        X509_NAME_oneline(X509_get_subject_name(att), subject, sizeof(subject));
        assert_string_equal(subject, cn);
        assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(att), pub), 1);
        assert_int_equal(ASN1_STRING_length(X509_get0_serialNumber(att)), 16);
        assert_ext(att, "1.3.6.1.4.1.41482.3.3", fw, sizeof(fw));
        assert_ext(att, "1.3.6.1.4.1.41482.3.7", serial, sizeof(serial));
        assert_ext(att, "1.3.6.1.4.1.41482.3.8", policy, 2);
        assert_ext(att, "1.3.6.1.4.1.41482.3.9", form, sizeof(form));
}

/* A generated key is attested, with its slot's PIN policy, RSA and EC alike. */
static void test_attest_generated(void **state)
{
        static const uint8_t once[2] = {0x02, 0x01}, always[2] = {0x03, 0x01};
        struct piv_fx *f = *state;
        EVP_PKEY *ec, *rsa;
        X509 *ca, *att;
        uint16_t sw = 0;

        piv_mgm_auth(f->card);
        ec = piv_gen_pub(f->card, 0x9a, 0x11);
        rsa = piv_gen_pub(f->card, 0x9c, 0x07);
        assert_non_null(ca = piv_read_cert(f->card, TAG_F9_CERT));
        /* a self-signed CA of the card's own */
        assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(ca), X509_get_subject_name(ca)), 0);
        assert_int_equal(X509_check_ca(ca), 1);
        assert_non_null(att = attest(f->card, 0x9a, &sw));
        check_attestation(att, ca, ec, "/CN=YubiKey PIV Attestation 9a", once);
        X509_free(att);
        assert_non_null(att = attest(f->card, 0x9c, &sw));
        check_attestation(att, ca, rsa, "/CN=YubiKey PIV Attestation 9c", always);
        X509_free(att);
        X509_free(ca);
        EVP_PKEY_free(ec);
        EVP_PKEY_free(rsa);
}

/* Empty slots, imported keys, F9 itself and bad parameters are refused; no PIN is needed. */
static void test_attest_refused(void **state)
{
        static const char *const steps[] = {
            "00F99A00 -> 6A88",       /* empty */
            "00F9F900 -> 6A86",       /* the attestation key is not attested */
            "00F99B00 -> 6A86",       /* not a key slot */
            "00F99A01 -> 6A86",       /* P2 */
            "00F99A00 01 00 -> 6700", /* no data */
            /* the attestation key signs nothing but attestations */
            "008711F9 26 7C24 8200 8120 00000000000000000000000000000000000000000000000000000000"
            "00000000 -> 6A86",
            NULL};
        /* an imported P-256 key: scalar 1 (its public key is the generator) */
        static const uint8_t import[] = {0x06, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                         0,    0,    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
        struct piv_fx *f = *state;
        uint16_t sw = 0;

        run_steps(f->card, steps);
        piv_mgm_auth(f->card);
        assert_int_equal(piv_send(f->card, 0xfe, 0x11, 0x9d, import, sizeof(import), NULL, NULL),
                         0x9000);
        assert_null(attest(f->card, 0x9d, &sw));
        assert_int_equal(sw, 0x6a80);
}

/* Before YubiKey 4.3 there was no attestation: INS F9 is unknown and F9 stays empty. */
static void test_attest_old_firmware(void **state)
{
        static const char yaml[] =
            "name: p\nhistorical_bytes: \"80\"\nserial: \"01\"\n"
            "files:\n  piv:\n    type: df\n    fid: \"7F10\"\n"
            "    aid: \"A0 00 00 03 08 00 00 10 00 01 00\"\n    application: piv\n"
            "    chvs:\n      pin: {reference: \"80\", value: \"123456\", length: 6..8, "
            "padding: FF, retries: 3, puk: puk}\n"
            "      puk: {reference: \"81\", verifiable: false, value: \"12345678\", "
            "length: 6..8, format: bytes, padding: FF, retries: 3}\n"
            "piv:\n  version: 4.2.7\n  keys:\n    9a: {algorithm: eccp256}\n";
        static const char *const steps[] = {"00A4040009A00000030800001000 -> *9000",
                                            "00F99A00 -> 6D00", "00F700F900 -> 6A88",
                                            "00CB3FFF 05 5C035FFF01 00 -> 6A82", NULL};
        struct piv_fx *f = *state;

        piv_fx_teardown(state);
        f->card = piv_card(&f->p, yaml, NULL);
        run_steps(f->card, steps);
}

/* PEM text of a BIO written by f, indented for a YAML block scalar at 6 spaces. */
static void indented_pem(char *out, size_t cap, BIO *bio)
{
        char *pem = NULL;
        long n = BIO_get_mem_data(bio, &pem);
        size_t o = 0;

        for (long i = 0; i < n && o + 8 < cap; i++) {
                if (i == 0 || pem[i - 1] == '\n') {
                        memcpy(out + o, "      ", 6);
                        o += 6;
                }
                out[o++] = pem[i];
        }
        out[o] = '\0';
}

/* A P-256 CA of the test's own: its key and self-signed certificate. */
static X509 *make_ca(EVP_PKEY **key)
{
        X509 *ca = X509_new();
        X509V3_CTX ctx;
        X509_EXTENSION *bc;

        assert_non_null(*key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"));
        assert_non_null(ca);
        assert_int_equal(X509_set_version(ca, X509_VERSION_3), 1);
        assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(ca), 7), 1);
        assert_int_equal(X509_NAME_add_entry_by_txt(X509_get_subject_name(ca), "CN", MBSTRING_ASC,
                                                    (const unsigned char *)"Test Attestation CA",
                                                    -1, -1, 0),
                         1);
        assert_int_equal(X509_set_issuer_name(ca, X509_get_subject_name(ca)), 1);
        assert_non_null(X509_gmtime_adj(X509_getm_notBefore(ca), -3600));
        assert_non_null(X509_gmtime_adj(X509_getm_notAfter(ca), 86400));
        assert_int_equal(X509_set_pubkey(ca, *key), 1);
        X509V3_set_ctx(&ctx, ca, ca, NULL, NULL, 0);
        assert_non_null(
            bc = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints, "critical,CA:TRUE"));
        assert_int_equal(X509_add_ext(ca, bc, -1), 1);
        X509_EXTENSION_free(bc);
        assert_true(X509_sign(ca, *key, EVP_sha256()) > 0);
        return ca;
}

/* A profile's own attestation key and certificate: attestations chain to them. */
static void test_attest_profile_key(void **state)
{
        struct piv_fx *f = *state;
        static char yaml[32768], kbuf[8192], cbuf[8192];
        EVP_PKEY *key = NULL, *pub;
        X509 *given = make_ca(&key), *ca, *att;
        BIO *kb = BIO_new(BIO_s_mem()), *cb = BIO_new(BIO_s_mem());
        uint8_t meta[256];
        size_t n = 0;
        uint16_t sw = 0;

        assert_int_equal(PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL), 1);
        assert_int_equal(PEM_write_bio_X509(cb, given), 1);
        indented_pem(kbuf, sizeof(kbuf), kb);
        indented_pem(cbuf, sizeof(cbuf), cb);
        snprintf(yaml, sizeof(yaml),
                 "name: p\nhistorical_bytes: \"80\"\nserial: \"00 6A CF C7\"\n"
                 "files:\n  piv:\n    type: df\n    fid: \"7F10\"\n"
                 "    aid: \"A0 00 00 03 08 00 00 10 00 01 00\"\n    application: piv\n"
                 "    chvs:\n      pin: {reference: \"80\", value: \"123456\", length: 6..8, "
                 "padding: FF, retries: 3, puk: puk}\n"
                 "      puk: {reference: \"81\", verifiable: false, value: \"12345678\", "
                 "length: 6..8, format: bytes, padding: FF, retries: 3}\n"
                 "piv:\n  keys:\n    f9:\n      algorithm: eccp256\n      private_key: |\n%s"
                 "    9e: {algorithm: eccp256}\n"
                 "  certificates:\n    f9: |\n%s",
                 kbuf, cbuf);
        piv_fx_teardown(state);
        f->card = piv_card(&f->p, yaml, NULL);
        piv_select(f->card);
        assert_non_null(ca = piv_read_cert(f->card, TAG_F9_CERT));
        assert_int_equal(X509_cmp(ca, given), 0);
        assert_non_null(att = attest(f->card, 0x9e, &sw));
        assert_chains(att, given);
        /* 9E's public key (metadata 04 { 86 point }) is the attested one */
        assert_int_equal(xmit(f->card, "00F7009E00", meta, &n), 0x9000);
        pub = piv_parse_public(meta + 12, n - 12, 0x11);
        assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(att), pub), 1);
        EVP_PKEY_free(pub);
        EVP_PKEY_free(key);
        X509_free(att);
        X509_free(ca);
        X509_free(given);
        BIO_free(kb);
        BIO_free(cb);
}

/* The certificate in 5FFF01 and F9's public key (metadata), as bytes. */
static void f9_identity(scsim_card *card, uint8_t *cert, size_t *cn, uint8_t *meta, size_t *mn)
{
        static const uint8_t tag[5] = {0x5c, 0x03, 0x5f, 0xff, 0x01};

        assert_int_equal(piv_send(card, 0xcb, 0x3f, 0xff, tag, sizeof(tag), cert, cn), 0x9000);
        assert_int_equal(xmit(card, "00F700F900", meta, mn), 0x9000);
}

/* RESET leaves the attestation key and certificate alone (Yubico: not cleared by a reset). */
static void test_reset_keeps_attestation(void **state)
{
        static const char *const block[] = {"00200080 08 FFFFFFFFFFFFFFFF -> 63C2",
                                            "00200080 08 FFFFFFFFFFFFFFFF -> 63C1",
                                            "00200080 08 FFFFFFFFFFFFFFFF -> 63C0",
                                            "002C0080 10 FFFFFFFFFFFFFFFF FFFFFFFFFFFFFFFF -> 63C2",
                                            "002C0080 10 FFFFFFFFFFFFFFFF FFFFFFFFFFFFFFFF -> 63C1",
                                            "002C0080 10 FFFFFFFFFFFFFFFF FFFFFFFFFFFFFFFF -> 63C0",
                                            "00FB0000 -> 9000",
                                            "00F7009A00 -> 6A88",
                                            NULL};
        struct piv_fx *f = *state;
        static uint8_t c1[2048], c2[2048], m1[256], m2[256];
        size_t cn1 = 0, cn2 = 0, mn1 = 0, mn2 = 0;
        EVP_PKEY *pub;

        piv_mgm_auth(f->card);
        pub = piv_gen_pub(f->card, 0x9a, 0x11);
        EVP_PKEY_free(pub);
        f9_identity(f->card, c1, &cn1, m1, &mn1);
        run_steps(f->card, block);
        f9_identity(f->card, c2, &cn2, m2, &mn2);
        assert_int_equal(cn1, cn2);
        assert_memory_equal(c1, c2, cn1);
        assert_int_equal(mn1, mn2);
        assert_memory_equal(m1, m2, mn1);
}

/* A state file keeps F9's key and certificate: a restarted card attests under the same CA. */
static void test_state_keeps_attestation(void **state)
{
        struct piv_fx *f = *state;
        char dir[] = "/tmp/scsim-attest-XXXXXX", path[600];
        static uint8_t c1[2048], c2[2048], m1[256], m2[256];
        size_t cn1 = 0, cn2 = 0, mn1 = 0, mn2 = 0;
        scsim_diag diag;
        EVP_PKEY *pub;
        X509 *ca, *att;
        uint16_t sw = 0;

        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/state", dir);
        assert_int_equal(scsim_card_attach_state(f->card, path, &diag), SCSIM_OK);
        piv_mgm_auth(f->card);
        pub = piv_gen_pub(f->card, 0x9a, 0x11);
        f9_identity(f->card, c1, &cn1, m1, &mn1);
        scsim_card_free(&f->card);

        f->card = scsim_card_new(f->p);
        assert_non_null(f->card);
        assert_int_equal(scsim_card_attach_state(f->card, path, &diag), SCSIM_OK);
        assert_int_equal(scsim_card_power_on(f->card, NULL, NULL), SCSIM_OK);
        piv_select(f->card);
        f9_identity(f->card, c2, &cn2, m2, &mn2);
        assert_int_equal(cn1, cn2);
        assert_memory_equal(c1, c2, cn1);
        assert_memory_equal(m1, m2, mn1);
        assert_non_null(ca = piv_read_cert(f->card, TAG_F9_CERT));
        assert_non_null(att = attest(f->card, 0x9a, &sw));
        assert_chains(att, ca);
        assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(att), pub), 1);
        X509_free(att);
        X509_free(ca);
        EVP_PKEY_free(pub);
        unlink(path);
        rmdir(dir);
}

/*
 * A state written before the card had attestation (here: by the same
 * profile at firmware 4.2.7) gets an attestation key and certificate when
 * loaded, durable from the card's next change of state.
 */
static void test_state_without_attestation(void **state)
{
        static const char old_yaml[] =
            "name: p\nhistorical_bytes: \"80\"\nserial: \"00 6A CF C7\"\n"
            "files:\n  piv:\n    type: df\n    fid: \"7F10\"\n"
            "    aid: \"A0 00 00 03 08 00 00 10 00 01 00\"\n    application: piv\n"
            "    chvs:\n      pin: {reference: \"80\", value: \"123456\", length: 6..8, "
            "padding: FF, retries: 3, puk: puk}\n"
            "      puk: {reference: \"81\", verifiable: false, value: \"12345678\", "
            "length: 6..8, format: bytes, padding: FF, retries: 3}\n"
            "piv:\n  version: 4.2.7\n";
        char new_yaml[sizeof(old_yaml)], dir[] = "/tmp/scsim-attest-XXXXXX", path[600];
        static uint8_t c0[2048], c1[2048], c2[2048], m0[256], m1[256], m2[256];
        size_t cn0 = 0, cn1 = 0, cn2 = 0, mn0 = 0, mn1 = 0, mn2 = 0;
        struct piv_fx *f = *state;
        scsim_diag diag;
        EVP_PKEY *pub;
        X509 *ca, *att;
        uint16_t sw = 0;

        memcpy(new_yaml, old_yaml, sizeof(old_yaml));
        memcpy(strstr(new_yaml, "4.2.7"), "5.4.3", 5);
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/state", dir);
        piv_fx_teardown(state);
        f->card = piv_card(&f->p, old_yaml, NULL);
        assert_int_equal(scsim_card_attach_state(f->card, path, &diag), SCSIM_OK);
        piv_select(f->card);
        piv_mgm_auth(f->card);
        pub = piv_gen_pub(f->card, 0x9a, 0x11);
        assert_int_equal(xmit(f->card, "00F700F900", NULL, NULL), 0x6a88);
        piv_fx_teardown(state);

        for (int round = 0; round < 2; round++) {
                f->card = piv_card(&f->p, new_yaml, NULL);
                if (round == 0) { /* the pair made with the card: the old record keeps it */
                        piv_select(f->card);
                        f9_identity(f->card, c0, &cn0, m0, &mn0);
                }
                assert_int_equal(scsim_card_attach_state(f->card, path, &diag), SCSIM_OK);
                piv_select(f->card);
                f9_identity(f->card, round == 0 ? c1 : c2, round == 0 ? &cn1 : &cn2,
                            round == 0 ? m1 : m2, round == 0 ? &mn1 : &mn2);
                assert_non_null(ca = piv_read_cert(f->card, TAG_F9_CERT));
                assert_non_null(att = attest(f->card, 0x9a, &sw));
                assert_chains(att, ca);
                assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(att), pub), 1);
                X509_free(att);
                X509_free(ca);
                /* a change of state makes the new key durable */
                assert_int_equal(xmit(f->card, "0020008008393939393939FFFF", NULL, NULL),
                                 0x63c2 - round);
                piv_fx_teardown(state);
        }
        assert_int_equal(cn0, cn1);
        assert_memory_equal(c0, c1, cn0);
        assert_int_equal(mn0, mn1);
        assert_memory_equal(m0, m1, mn0);
        assert_int_equal(cn1, cn2);
        assert_memory_equal(c1, c2, cn1);
        assert_int_equal(mn1, mn2);
        assert_memory_equal(m1, m2, mn1);
        f->card = piv_card(&f->p, new_yaml, NULL);
        EVP_PKEY_free(pub);
        unlink(path);
        rmdir(dir);
}

/* The card's PIV state; *at its application's index. */
static struct piv *piv_state(const scsim_card *card, size_t *at)
{
        for (size_t i = 0; i < card->prof->napps; i++)
                if (card->prof->apps[i].def == &app_piv) {
                        if (at != NULL)
                                *at = i;
                        return card->app_state[i];
                }
        fail_msg("no PIV application");
        return NULL;
}

static bool has_pair(struct piv *piv)
{
        bool key = piv->slots[PIV_SLOT_ATTEST].key != NULL;

        assert_true(key == (piv_find_obj(piv, TAG_F9_CERT) != NULL)); /* both or neither */
        return key;
}

/*
 * F9's key and certificate are made when first needed, not with the card
 * (an EC key and a signature most cards never use): before the first
 * command in the application, and before its record is written.
 */
static void test_pair_made_when_needed(void **state)
{
        struct piv_fx *f = *state;
        scsim_card *card = scsim_card_new(f->p);
        uint8_t *rec = NULL;
        size_t len = 0, at = 0;

        assert_non_null(card);
        assert_false(has_pair(piv_state(card, NULL)));
        assert_int_equal(scsim_card_power_on(card, NULL, NULL), SCSIM_OK);
        piv_select(card);
        assert_int_equal(xmit(card, "00FD000000", NULL, NULL), 0x9000); /* GET VERSION */
        assert_true(has_pair(piv_state(card, NULL)));
        scsim_card_free(&card);

        card = scsim_card_new(f->p);
        assert_non_null(card);
        assert_false(has_pair(piv_state(card, &at)));
        assert_int_equal(app_save(card, at, &rec, &len), 0);
        assert_true(has_pair(piv_state(card, NULL)));
        OPENSSL_clear_free(rec, len);
        scsim_card_free(&card);
}

/* Two cards have attestation CAs of their own. */
static void test_cas_differ(void **state)
{
        struct piv_fx *f = *state;
        scsim_card *other = scsim_card_new(f->p);
        X509 *a, *b;

        assert_non_null(other);
        assert_int_equal(scsim_card_power_on(other, NULL, NULL), SCSIM_OK);
        piv_select(other);
        assert_non_null(a = piv_read_cert(f->card, TAG_F9_CERT));
        assert_non_null(b = piv_read_cert(other, TAG_F9_CERT));
        assert_int_not_equal(X509_NAME_cmp(X509_get_subject_name(a), X509_get_subject_name(b)), 0);
        assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(a), X509_get0_pubkey(b)), 0);
        X509_free(a);
        X509_free(b);
        scsim_card_free(&other);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_attest_generated, setup, piv_fx_teardown),
            cmocka_unit_test_setup_teardown(test_attest_refused, setup, piv_fx_teardown),
            cmocka_unit_test_setup_teardown(test_attest_old_firmware, setup, piv_fx_teardown),
            cmocka_unit_test_setup_teardown(test_attest_profile_key, setup, piv_fx_teardown),
            cmocka_unit_test_setup_teardown(test_reset_keeps_attestation, setup, piv_fx_teardown),
            cmocka_unit_test_setup_teardown(test_state_keeps_attestation, setup, piv_fx_teardown),
            cmocka_unit_test_setup_teardown(test_state_without_attestation, setup, piv_fx_teardown),
            cmocka_unit_test_setup_teardown(test_cas_differ, setup, piv_fx_teardown),
            cmocka_unit_test_setup_teardown(test_pair_made_when_needed, setup, piv_fx_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
