/* SPDX-License-Identifier: MIT */
/* The command line's text rules: the hex reader, "did you mean", UTF-8 repair, JSON results. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "cli.h"

struct hex_row {
        const char *in;
        size_t cap;
        int ok;
        size_t len;
        uint8_t bytes[8];
};

static const struct hex_row hex_rows[] = {
    {"F05343", 8, 1, 3, {0xf0, 0x53, 0x43}},
    {"f0 53 43", 8, 1, 3, {0xf0, 0x53, 0x43}},
    {"F0:53:43", 8, 1, 3, {0xf0, 0x53, 0x43}},
    {"F0:53 43", 8, 1, 3, {0xf0, 0x53, 0x43}}, /* either separator, mixed */
    {"F0  53::43", 8, 1, 3, {0xf0, 0x53, 0x43}},
    {" 81 ", 1, 1, 1, {0x81}},
    {"81", 1, 1, 1, {0x81}},
    {"F 053", 8, 0, 0, {0}}, /* a separator inside a byte */
    {"F0:5 3", 8, 0, 0, {0}},
    {"F05", 8, 0, 0, {0}}, /* odd */
    {"1", 1, 0, 0, {0}},
    {"G0", 8, 0, 0, {0}},
    {"0x81", 8, 0, 0, {0}},
    {"F0-53", 8, 0, 0, {0}},
    {"", 8, 0, 0, {0}},
    {" : ", 8, 0, 0, {0}}, /* no bytes at all */
    {"   ", 8, 0, 0, {0}},
    {":F0", 8, 0, 0, {0}}, /* a colon stands between bytes: never first */
    {"F0:", 8, 0, 0, {0}}, /* nor last */
    {"F0: ", 8, 0, 0, {0}},
    {"F0 : 53", 8, 1, 2, {0xf0, 0x53}},
    {"010203", 2, 0, 0, {0}}, /* more than cap */
    {"F0\t53", 8, 0, 0, {0}}, /* only spaces and colons separate */
};

static void test_hex(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(hex_rows) / sizeof(hex_rows[0]); i++) {
                const struct hex_row *r = &hex_rows[i];
                uint8_t out[8];
                size_t len = 99;
                int rc = cli_hex(r->in, out, r->cap, &len);

                if ((rc == 0) != r->ok)
                        fail_msg("'%s': rc %d, want %s", r->in, rc, r->ok ? "ok" : "refused");
                if (!r->ok) {
                        assert_int_equal(len, 0);
                        continue;
                }
                assert_int_equal(len, r->len);
                assert_memory_equal(out, r->bytes, r->len);
        }
}

struct near_row {
        const char *word;
        const char *want; /* NULL: no suggestion */
};

static const char *const verbs[] = {"version", "demo",        "run",     "status",
                                    "verify",  "change-code", "unblock", "reset-security-state",
                                    "profile", "state"};
static const char *const profiles[] = {"iso7816-chv", "piv", "two-apps"};

static const struct near_row verb_rows[] = {
    {"verfy", "verify"},
    {"veriyf", "verify"},
    {"statsu", "status"},
    {"stat", "state"},
    {"Status", "status"},
    {"dmeo", "demo"},
    {"rnu", "run"},
    {"unblok", "unblock"},
    {"reset", "reset-security-state"},
    {"change", "change-code"},
    {"chnage-code", "change-code"},
    {"xyzzy", NULL},
    {"v", NULL},
    {"sign", NULL},
    {"verify", NULL}, /* a known word needs no suggestion */
};

static const struct near_row profile_rows[] = {
    {"PIV", "piv"},
    {"Piv", "piv"},
    {"pvi", "piv"},
    {"two-app", "two-apps"},
    {"iso7816", "iso7816-chv"},
    {"openpgp", NULL},
    {"xx", NULL},
};

static void check_near(const struct near_row *rows, size_t n, const char *const *cands,
                       size_t ncands)
{
        for (size_t i = 0; i < n; i++) {
                const char *got = cli_nearest(rows[i].word, cands, ncands);
                if ((got == NULL) != (rows[i].want == NULL) ||
                    (got != NULL && strcmp(got, rows[i].want) != 0))
                        fail_msg("'%s': got %s, want %s", rows[i].word, got ? got : "(none)",
                                 rows[i].want ? rows[i].want : "(none)");
        }
}

static void test_nearest(void **state)
{
        (void)state;
        check_near(verb_rows, sizeof(verb_rows) / sizeof(verb_rows[0]), verbs,
                   sizeof(verbs) / sizeof(verbs[0]));
        check_near(profile_rows, sizeof(profile_rows) / sizeof(profile_rows[0]), profiles,
                   sizeof(profiles) / sizeof(profiles[0]));
}

#define FFFD "\xef\xbf\xbd"

struct utf8_row {
        const char *in, *want;
};

static const struct utf8_row utf8_rows[] = {
    {"Virtual PCD 00 00", "Virtual PCD 00 00"},
    {"caf\xc3\xa9", "caf\xc3\xa9"},                     /* valid: kept */
    {"\xf0\x9f\x82\xa1 card", "\xf0\x9f\x82\xa1 card"}, /* 4 bytes, valid */
    {"caf\xe9", "caf" FFFD},                            /* Latin-1 */
    {"\xff\xfe", FFFD FFFD},
    {"\xc0\xaf", FFFD FFFD},                   /* overlong '/' */
    {"\xe0\x80\xaf", FFFD FFFD FFFD},          /* overlong, 3 bytes */
    {"\xed\xa0\x80", FFFD FFFD FFFD},          /* a surrogate */
    {"\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD}, /* above U+10FFFF */
    {"ab\xe2\x82", "ab" FFFD FFFD},            /* cut short */
    {"\x80x", FFFD "x"},                       /* a lone continuation */
    {"", ""},
};

static void test_utf8_repair(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(utf8_rows) / sizeof(utf8_rows[0]); i++) {
                char *got = cli_utf8_repair(utf8_rows[i].in);
                assert_non_null(got);
                if (strcmp(got, utf8_rows[i].want) != 0)
                        fail_msg("row %zu: not repaired as wanted", i);
                free(got);
        }
}

/* What fn printed on stdout, into buf. */
static void stdout_of(void (*fn)(void *), void *arg, char *buf, size_t cap)
{
        FILE *tmp = tmpfile();
        int saved;
        size_t n;

        assert_non_null(tmp);
        fflush(stdout);
        saved = dup(STDOUT_FILENO);
        assert_true(saved >= 0);
        assert_true(dup2(fileno(tmp), STDOUT_FILENO) >= 0);
        fn(arg);
        fflush(stdout);
        assert_true(dup2(saved, STDOUT_FILENO) >= 0);
        close(saved);
        rewind(tmp);
        n = fread(buf, 1, cap - 1, tmp);
        buf[n] = '\0';
        fclose(tmp);
}

static void print_failure(void *arg)
{
        struct json_object *o = cli_json_new("status");

        (void)arg;
        cli_json_text(o, "reader", "Lecteur \xe0 puce \"1\"\n");
        cli_json_ref(o, 0x81);
        cli_json_card(o, 0x6a88, SCSIM_SCARD_E_INVALID_CHV, -1);
        assert_int_equal(cli_json_print(&o, 0, "no ref 81 here"), 0);
        assert_null(o);
}

/* One line of valid JSON whatever the bytes; the shared names; "ok" last. */
static void test_json_result(void **state)
{
        static const char tail[] = "\"ok\":false}\n";
        char out[2048];
        struct json_object *j, *v;
        size_t n;

        (void)state;
        stdout_of(print_failure, NULL, out, sizeof(out));
        n = strlen(out);
        assert_true(n > 2 && out[n - 1] == '\n');
        assert_null(memchr(out, '\n', n - 1));
        assert_true(n > strlen(tail) && strcmp(out + n - strlen(tail), tail) == 0);
        for (size_t i = 0; i < n; i++)
                assert_true((unsigned char)out[i] != 0xe0); /* the raw Latin-1 byte is gone */
        j = json_tokener_parse(out);
        assert_non_null(j);
        assert_true(json_object_object_get_ex(j, "operation", &v));
        assert_string_equal(json_object_get_string(v), "status");
        assert_true(json_object_object_get_ex(j, "reader", &v));
        assert_string_equal(json_object_get_string(v), "Lecteur " FFFD " puce \"1\"\n");
        assert_true(json_object_object_get_ex(j, "ref", &v));
        assert_string_equal(json_object_get_string(v), "81");
        assert_true(json_object_object_get_ex(j, "scope", &v));
        assert_string_equal(json_object_get_string(v), "local");
        assert_true(json_object_object_get_ex(j, "sw", &v));
        assert_string_equal(json_object_get_string(v), "6A88");
        assert_true(json_object_object_get_ex(j, "hresult", &v));
        assert_string_equal(json_object_get_string(v), "SCARD_E_INVALID_CHV");
        assert_true(json_object_object_get_ex(j, "hresult_value", &v));
        assert_string_equal(json_object_get_string(v), "0x8010002A");
        assert_true(json_object_object_get_ex(j, "tries_left", &v));
        assert_null(v);
        assert_true(json_object_object_get_ex(j, "error", &v));
        assert_string_equal(json_object_get_string(v), "no ref 81 here");
        assert_true(json_object_object_get_ex(j, "ok", &v));
        assert_false(json_object_get_boolean(v));
        json_object_put(j);
}

static void print_profiles(void *arg)
{
        struct json_object *o = cli_json_new("profile list");
        struct json_object *a = cli_json_array(o, "profiles");

        (void)arg;
        cli_json_profile(a, "iso7816-chv", "scsim ISO 7816-4 CHV card", NULL, "embedded", NULL);
        cli_json_profile(a, "bad", NULL, "/p/bad.yaml", "installed", "bad.yaml:3:1: no name");
        assert_int_equal(cli_json_print(&o, 0, "a profile does not load"), 0);
}

/* The helper `scsim profile list --json` is built from. */
static void test_json_profiles(void **state)
{
        char out[2048];

        (void)state;
        stdout_of(print_profiles, NULL, out, sizeof(out));
        assert_string_equal(out, "{\"operation\":\"profile list\",\"profiles\":[{\"name\":"
                                 "\"iso7816-chv\",\"label\":\"scsim ISO 7816-4 CHV card\","
                                 "\"path\":null,\"source\":\"embedded\",\"valid\":true},"
                                 "{\"name\":\"bad\",\"label\":null,\"path\":\"/p/bad.yaml\","
                                 "\"source\":\"installed\",\"valid\":false,\"error\":"
                                 "\"bad.yaml:3:1: no name\"}],\"error\":\"a profile does not "
                                 "load\",\"ok\":false}\n");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_hex),           cmocka_unit_test(test_nearest),
            cmocka_unit_test(test_utf8_repair),   cmocka_unit_test(test_json_result),
            cmocka_unit_test(test_json_profiles),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
