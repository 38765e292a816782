/* SPDX-License-Identifier: MIT */
/*
 * Bounds on the work of loading: text too deep, too wide or too structured
 * for any profile is refused at the place it goes over, before libfyaml
 * spends time or memory on it; control characters are refused where they
 * are. (How fast the refusals are is measured by bench/profile-load, not
 * tested here.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <scsim/err.h>
#include <scsim/profile.h>

#include "profile/yaml.h"

#define BIG (1024 * 1024)

struct text {
        char *b;
        size_t n;
};

static void add(struct text *t, const char *s)
{
        size_t n = strlen(s);

        assert_true(t->n + n <= BIG);
        memcpy(t->b + t->n, s, n);
        t->n += n;
}

static void add_n(struct text *t, const char *s, size_t times)
{
        for (size_t i = 0; i < times; i++)
                add(t, s);
}

/* Loading t must fail with exactly "b.yaml:WANT". */
static void refused(const struct text *t, const char *want)
{
        scsim_profile *p = NULL;
        scsim_diag diag;
        char got[1024], full[1024];

        assert_int_equal(scsim_profile_load_buffer("b.yaml", t->b, t->n, &p, &diag),
                         SCSIM_ERR_PROFILE);
        assert_null(p);
        scsim_diag_format(&diag, got, sizeof(got));
        snprintf(full, sizeof(full), "b.yaml:%s", want);
        if (strcmp(got, full) != 0)
                fail_msg("want: %s\n got: %s", full, got);
}

static struct text *fresh(void **state)
{
        struct text *t = *state;

        t->n = 0;
        return t;
}

static int setup(void **state)
{
        struct text *t = calloc(1, sizeof(*t));

        if (t == NULL || (t->b = malloc(BIG)) == NULL)
                return -1;
        *state = t;
        return 0;
}

static int teardown(void **state)
{
        struct text *t = *state;

        free(t->b);
        free(t);
        return 0;
}

/* The reports: 20k keys (18.7 s in libfyaml's duplicate check), 1 MiB of '[' (348 MB). */
static void reported_cases(void **state)
{
        struct text *t = fresh(state);
        char line[64];

        for (int i = 0; i < 20000; i++) {
                snprintf(line, sizeof(line), "k%d: 1\n", i);
                add(t, line);
        }
        refused(t, "16385:7: more than 16384 YAML indicators ([ ] { } , : - ? & * ! | >); a "
                   "profile has far fewer");
        t->n = 0;
        memset(t->b, '[', BIG);
        t->n = BIG;
        refused(t, "1:16385: more than 16384 YAML indicators ([ ] { } , : - ? & * ! | >); a "
                   "profile has far fewer");
}

static void mapping_size(void **state)
{
        struct text *t = fresh(state);
        char line[64];

        add(t, "name: m\nfiles:\n");
        for (int i = 0; i < 300; i++) {
                snprintf(line, sizeof(line), "  f%d: x\n", i);
                add(t, line);
        }
        refused(t, "131:3: a mapping with more than 128 entries; a profile has far fewer");
        /* 128 are within the bound: the profile's own limit speaks */
        t->n = 0;
        add(t, "name: m\nhistorical_bytes: \"\"\nserial: \"01\"\nfiles:\n");
        for (int i = 0; i < 128; i++) {
                snprintf(line, sizeof(line), "  f%d: {type: df, fid: \"%04X\"}\n", i, i + 1);
                add(t, line);
        }
        refused(t, "68:3: file 'f63': too many files (at most 63 besides the MF)");
}

static void depth(void **state)
{
        struct text *t = fresh(state);

        add(t, "name: d\nhistorical_bytes: \"\"\nserial: \"01\"\nlabel: ");
        add_n(t, "[", 47);
        add_n(t, "]", 47);
        add(t, "\n");
        refused(t, "4:1: label: expected text, got a list"); /* 48 levels with the top: within */
        t->n = 0;
        add(t, "name: d\nlabel: ");
        add_n(t, "[", 48);
        refused(t, "2:55: nested more than 48 levels deep; a profile needs far fewer");
        /* block nesting counts the same */
        t->n = 0;
        for (int i = 0; i < 70; i++) {
                add_n(t, " ", (size_t)i);
                add(t, "a:\n");
        }
        refused(t, "49:49: nested more than 48 levels deep; a profile needs far fewer");
}

static void nodes(void **state)
{
        struct text *t = fresh(state);
        char line[64];

        /* 80 mappings of 125 pairs: 10,080 indicators, over 20,000 nodes */
        for (int m = 0; m < 80; m++) {
                snprintf(line, sizeof(line), "m%d:\n", m);
                add(t, line);
                for (int k = 0; k < 125; k++) {
                        snprintf(line, sizeof(line), "  k%d: v\n", k);
                        add(t, line);
                }
        }
        refused(t, "10000:8: more than 20000 YAML nodes; a profile has far fewer");
}

/* Control characters, at their line and column; tab, LF and CR are text. */
static void control_characters(void **state)
{
        static const struct {
                const char *text;
                size_t len;
                const char *want;
        } rows[] = {
            {"name: a\0b\n", 10, "1:8: control character 00"},
            {"name: x\nlabel: \"\x01\"\n", 18, "2:9: control character 01"},
            {"name: x\r\nlabel: a\x7f\n", 19, "2:9: control character 7F"},
            {"name: x\rlabel: \xc3\xa9\x1b\n", 19, "2:9: control character 1B"},
            {"name: x\nlabel: \"\xc2\x80\"\n", 19, "2:9: control character 80"},
            {"\xef\xbb\xbfname: \x0c\n", 11, "1:7: control character 0C"},
        };
        struct text *t = fresh(state);
        char want[256];

        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                t->n = 0;
                memcpy(t->b, rows[i].text, rows[i].len);
                t->n = rows[i].len;
                snprintf(want, sizeof(want),
                         "%s is not allowed in a profile (only tab, line feed and carriage return "
                         "are)",
                         rows[i].want);
                refused(t, want);
        }
        /* tab inside a value, CR LF line ends and NEL (U+0085) are fine */
        t->n = 0;
        add(t,
            "name: x\r\nlabel: \"a\tb\xc2\x85\"\r\nhistorical_bytes: \"\"\r\nserial: \"01\"\r\n");
        {
                scsim_profile *p = NULL;
                scsim_diag diag;
                assert_int_equal(scsim_profile_load_buffer("b.yaml", t->b, t->n, &p, &diag),
                                 SCSIM_OK);
                assert_string_equal(scsim_profile_label(p), "a\tb\xc2\x85");
                scsim_profile_free(&p);
        }
}

/* A NUL used to end the text early: the card then lacked what followed. */
static void nul_before_a_df(void **state)
{
        struct text *t = fresh(state);
        const char *text = (const char *)prof_embedded_default;
        const char *app = strstr(text, "  app:\n");
        size_t at = (size_t)(app - text), line = 1;

        assert_non_null(app);
        memcpy(t->b, text, at);
        t->b[at] = '\0';
        memcpy(t->b + at + 1, text + at, prof_embedded_default_len - at);
        t->n = prof_embedded_default_len + 1;
        for (size_t i = 0; i < at; i++)
                line += text[i] == '\n';
        {
                char want[200];
                snprintf(want, sizeof(want),
                         "%zu:1: control character 00 is not allowed in a profile (only tab, line "
                         "feed and carriage return are)",
                         line);
                refused(t, want);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(reported_cases),
            cmocka_unit_test(mapping_size),
            cmocka_unit_test(depth),
            cmocka_unit_test(nodes),
            cmocka_unit_test(control_characters),
            cmocka_unit_test(nul_before_a_df),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
