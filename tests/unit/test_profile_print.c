/* SPDX-License-Identifier: MIT */
/*
 * scsim_profile_print: with secrets, what it prints loads back to the same
 * card (every field of the model, the PIV section by its own print); masked,
 * it shows no secret.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <scsim/err.h>
#include <scsim/profile.h>

#include "profile/model.h"

/* What no printer should make easy: names YAML reads as indicators, escapes, long values. */
static const char odd[] =
    "name: \"-odd.1\"\n"
    "label: \"tab\\there \\\"quoted\\\" back\\\\slash \\u00e9\\u20ac \\U0001F600 \\x85 \\x7F\"\n"
    "atr: \"3B 02 41 42\"\n"
    "serial: \"00\"\n"
    "keys:\n"
    "  .k:\n"
    "    reference: \"1F\"\n"
    "    algorithm: aes-128\n"
    "    value: \"00 11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF\"\n"
    "    retries: 15\n"
    "chvs:\n"
    "  -pin:\n"
    "    reference: \"00\"\n"
    "    value_hex: \"00 FF 01\"\n"
    "    length: 1..16\n"
    "    format: bytes\n"
    "    padding: \"00\"\n"
    "    retries: 1\n"
    "    puk: 9puk\n"
    "    reset_retry_counter: {all: [{key: .k}, {any: [{chv: -pin}, {key: .k}]}]}\n"
    "  9puk:\n"
    "    value: \" a \\\"b\\\" \"\n"
    "    length: 7\n"
    "    format: alnum\n"
    "    retries: 9\n"
    "files:\n"
    "  text:\n"
    "    type: ef\n"
    "    fid: \"0001\"\n"
    "    size: 1000\n"
    "    content: \"%s\"\n"
    "    read: always\n"
    "    update: {chv: -pin}\n"
    "  bin:\n"
    "    type: ef\n"
    "    fid: \"0002\"\n"
    "    sfi: 2\n"
    "    size: 300\n"
    "    content_hex: \"%s\"\n"
    "    read: {key: .k}\n"
    "    update: never\n"
    "  empty:\n"
    "    type: ef\n"
    "    fid: \"0003\"\n"
    "    size: 0\n"
    "    read: always\n"
    "    update: always\n"
    "  d:\n"
    "    type: df\n"
    "    fid: \"1000\"\n"
    "    files:\n"
    "      dd:\n"
    "        type: df\n"
    "        fid: \"1001\"\n"
    "        aid: \"A0 00 00 00 01 02\"\n"
    "        chvs:\n"
    "          p2: {reference: \"9F\", value: \"1\", length: 1, retries: 2, keep_on_deselect: "
    "true, may_disable: true, enabled: false}\n"
    "        keys:\n"
    "          k2: {reference: \"80\", algorithm: aes-128, value: \"%s\", retries: 1, "
    "keep_on_deselect: true}\n";

static char *print_text(const scsim_profile *p, unsigned flags)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        assert_non_null(f);
        assert_int_equal(scsim_profile_print(p, f, flags), SCSIM_OK);
        assert_int_equal(fclose(f), 0);
        return buf;
}

static scsim_profile *load(const char *what, const char *text)
{
        scsim_profile *p = NULL;
        scsim_diag diag;
        char msg[1024];

        if (scsim_profile_load_buffer(what, text, strlen(text), &p, &diag) != SCSIM_OK) {
                scsim_diag_format(&diag, msg, sizeof(msg));
                fail_msg("%s does not load: %s\n%s", what, msg, text);
        }
        return p;
}

static void same_core(const scsim_profile *a, const scsim_profile *b)
{
        assert_string_equal(a->name, b->name);
        assert_string_equal(a->label, b->label);
        assert_int_equal(a->atr_len, b->atr_len);
        assert_memory_equal(a->atr, b->atr, a->atr_len);
        assert_int_equal(a->serial_len, b->serial_len);
        assert_memory_equal(a->serial, b->serial, a->serial_len);
        assert_int_equal(a->nfiles, b->nfiles);
        assert_int_equal(a->nchvs, b->nchvs);
        assert_int_equal(a->nkeys, b->nkeys);
        assert_int_equal(a->nrules, b->nrules);
        assert_int_equal(a->napps, b->napps);
        assert_int_equal(a->blob_len, b->blob_len);
        if (a->blob_len > 0)
                assert_memory_equal(a->blob, b->blob, a->blob_len);
        for (size_t i = 0; i < a->nfiles; i++) {
                const struct prof_file *x = &a->files[i], *y = &b->files[i];
                assert_string_equal(x->name, y->name);
                assert_true(x->type == y->type && x->app == y->app && x->fid == y->fid &&
                            x->parent == y->parent && x->aid_len == y->aid_len &&
                            x->sfi == y->sfi && x->size == y->size &&
                            x->content_off == y->content_off && x->content_len == y->content_len &&
                            x->read_rule == y->read_rule && x->update_rule == y->update_rule);
                assert_memory_equal(x->aid, y->aid, x->aid_len);
        }
        for (size_t i = 0; i < a->nchvs; i++) {
                const struct prof_chv *x = &a->chvs[i], *y = &b->chvs[i];
                assert_string_equal(x->name, y->name);
                assert_true(x->has_ref == y->has_ref && x->ref == y->ref && x->df == y->df &&
                            x->verifiable == y->verifiable && x->value_len == y->value_len &&
                            x->min_len == y->min_len && x->max_len == y->max_len &&
                            x->format == y->format && x->padding == y->padding &&
                            x->retries == y->retries && x->puk == y->puk &&
                            x->reset_rule == y->reset_rule && x->may_disable == y->may_disable &&
                            x->limit_settable == y->limit_settable && x->enabled == y->enabled &&
                            x->keep_on_deselect == y->keep_on_deselect);
                assert_memory_equal(x->value, y->value, x->value_len);
        }
        for (size_t i = 0; i < a->nkeys; i++) {
                const struct prof_key *x = &a->keys[i], *y = &b->keys[i];
                assert_string_equal(x->name, y->name);
                assert_true(x->ref == y->ref && x->df == y->df && x->alg == y->alg &&
                            x->value_len == y->value_len && x->retries == y->retries &&
                            x->keep_on_deselect == y->keep_on_deselect);
                assert_memory_equal(x->value, y->value, x->value_len);
        }
        for (size_t i = 0; i < a->nrules; i++) {
                const struct prof_rule *x = &a->rules[i], *y = &b->rules[i];
                assert_true(x->kind == y->kind && x->arg == y->arg && x->nterms == y->nterms);
                assert_memory_equal(x->terms, y->terms, x->nterms * sizeof(x->terms[0]));
        }
        for (size_t i = 0; i < a->napps; i++)
                assert_true(a->apps[i].def == b->apps[i].def && a->apps[i].df == b->apps[i].df);
}

/* text -> profile -> printed -> profile: the same model, and printing is a fixed point. */
static void round_trip(const char *what, const char *text)
{
        scsim_profile *a = load(what, text), *b;
        char *once = print_text(a, SCSIM_PRINT_SECRETS), *twice;

        b = load("printed", once);
        same_core(a, b);
        twice = print_text(b, SCSIM_PRINT_SECRETS);
        assert_string_equal(once, twice);
        free(once);
        free(twice);
        scsim_profile_free(&a);
        scsim_profile_free(&b);
}

static char *read_all(const char *path)
{
        FILE *f = fopen(path, "rb");
        char *buf = calloc(1, 1 << 20);
        size_t n;

        assert_non_null(f);
        assert_non_null(buf);
        n = fread(buf, 1, (1 << 20) - 1, f);
        buf[n] = '\0';
        fclose(f);
        return buf;
}

static void shipped(void **state)
{
        static const char *const names[] = {"iso7816-chv", "two-apps", "piv"};

        (void)state;
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                char path[4096];
                char *text;
                snprintf(path, sizeof(path), "%s/profiles/%s.yaml", SCSIM_SOURCE_DIR, names[i]);
                text = read_all(path);
                round_trip(names[i], text);
                free(text);
        }
}

static void odd_values(void **state)
{
        char content[1024], hex[1000], yaml[8192];
        size_t o = 0;

        (void)state;
        /* text long enough to be broken over lines, with spaces where a line would start */
        for (int i = 0; i < 40; i++)
                o += (size_t)snprintf(content + o, sizeof(content) - o, "word%d \\\" \\\\n ", i);
        assert_true(o < sizeof(content) - 1);
        o = 0;
        for (int i = 0; i < 300; i++)
                o += (size_t)snprintf(hex + o, sizeof(hex) - o, "%02X", (i * 37) & 0xff);
        snprintf(yaml, sizeof(yaml), odd, content, hex,
                 "FF EE DD CC BB AA 99 88 77 66 55 44 33 22 11 00");
        round_trip("odd", yaml);
}

/* A PIV section with a private key, a certificate and an object: all come back. */
static void piv_keys_and_objects(void **state)
{
        static const char head[] =
            "name: p\nhistorical_bytes: \"80\"\nserial: \"01\"\n"
            "files:\n  piv:\n    type: df\n    fid: \"7F10\"\n"
            "    aid: \"A0 00 00 03 08 00 00 10 00 01 00\"\n    application: piv\n"
            "    chvs:\n      pin: {reference: \"80\", value: \"123456\", length: 6..8, "
            "padding: FF, retries: 3, puk: puk}\n"
            "      puk: {reference: \"81\", verifiable: false, value: \"12345678\", "
            "length: 6..8, format: bytes, padding: FF, retries: 3}\n"
            "piv:\n  management_key_algorithm: aes256\n"
            "  management_key: "
            "\"00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF\"\n"
            "  keys:\n    9a:\n      algorithm: eccp256\n      pin_policy: once\n"
            "      private_key: |\n";
        EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        X509 *x = X509_new();
        BIO *kb = BIO_new(BIO_s_mem()), *cb = BIO_new(BIO_s_mem());
        char *kp = NULL, *cp = NULL, *yaml = malloc(32768);
        long kn, cn;
        size_t o;

        (void)state;
        assert_non_null(key);
        assert_non_null(yaml);
        assert_int_equal(PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL), 1);
        X509_set_pubkey(x, key);
        X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                                   (const unsigned char *)"print", -1, -1, 0);
        X509_set_issuer_name(x, X509_get_subject_name(x));
        X509_gmtime_adj(X509_getm_notBefore(x), 0);
        X509_gmtime_adj(X509_getm_notAfter(x), 86400);
        assert_true(X509_sign(x, key, EVP_sha256()) > 0);
        assert_int_equal(PEM_write_bio_X509(cb, x), 1);
        kn = BIO_get_mem_data(kb, &kp);
        cn = BIO_get_mem_data(cb, &cp);
        o = (size_t)snprintf(yaml, 32768, "%s", head);
        for (long i = 0; i < kn; i++) {
                if (i == 0 || kp[i - 1] == '\n')
                        o += (size_t)snprintf(yaml + o, 32768 - o, "        ");
                yaml[o++] = kp[i];
        }
        o += (size_t)snprintf(yaml + o, 32768 - o,
                              "    9c: {algorithm: rsa2048}\n"
                              "  certificates:\n    9a: |\n");
        for (long i = 0; i < cn; i++) {
                if (i == 0 || cp[i - 1] == '\n')
                        o += (size_t)snprintf(yaml + o, 32768 - o, "      ");
                yaml[o++] = cp[i];
        }
        snprintf(yaml + o, 32768 - o,
                 "  objects:\n    5fc109: \"01 02 03\"\n    7e: \"4F 0B A0 00 00 03 08 00 00 "
                 "10 00 01 00\"\n    5FFF01: \"\"\n");
        round_trip("piv", yaml);
        free(yaml);
        BIO_free(kb);
        BIO_free(cb);
        X509_free(x);
        EVP_PKEY_free(key);
}

/* Masked, nothing secret shows; the output says what is masked. */
static void masked(void **state)
{
        char path[4096];
        char *text, *out;
        scsim_profile *p;

        (void)state;
        snprintf(path, sizeof(path), "%s/profiles/piv.yaml", SCSIM_SOURCE_DIR);
        text = read_all(path);
        p = load("piv", text);
        out = print_text(p, 0);
        assert_null(strstr(out, "123456"));
        assert_null(strstr(out, "31 32 33"));
        assert_null(strstr(out, "01 02 03 04 05 06 07 08"));
        assert_non_null(strstr(out, "management_key: \"********\"   # masked, 24 bytes"));
        free(out);
        free(text);
        scsim_profile_free(&p);
}

/* A stream that cannot be written is an I/O error, not silence. */
static void write_error(void **state)
{
        scsim_profile *p = NULL;
        FILE *f = fopen("/dev/full", "w");

        (void)state;
        assert_non_null(f);
        assert_int_equal(scsim_profile_default(&p), SCSIM_OK);
        assert_int_equal(scsim_profile_print(p, f, 0), SCSIM_ERR_IO);
        assert_int_equal(scsim_profile_print(NULL, f, 0), SCSIM_ERR_INVALID_ARGUMENT);
        fclose(f);
        scsim_profile_free(&p);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(shipped),
            cmocka_unit_test(odd_values),
            cmocka_unit_test(piv_keys_and_objects),
            cmocka_unit_test(masked),
            cmocka_unit_test(write_error),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
