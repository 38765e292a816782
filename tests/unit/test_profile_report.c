/* SPDX-License-Identifier: MIT */
/*
 * Every mistake, not only the first: the _report functions hand out each
 * one in file order, the single diagnostic is the first of them, and a
 * flood is cut at 100 with a count of the rest. (The bad-profile corpus
 * pins the lists of its files.)
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

struct got {
        scsim_diag d[128];
        size_t n;
};

static void keep(void *ctx, const scsim_diag *diag)
{
        struct got *g = ctx;

        if (g->n < sizeof(g->d) / sizeof(g->d[0]))
                g->d[g->n++] = *diag;
}

/* Mistakes found in the second pass (values) come out among those of the first (keys). */
static const char three[] = "name: r\n"
                            "historical_bytes: \"\"\n"
                            "serial: \"01\"\n"
                            "files:\n"
                            "  a: {type: ef, fid: \"0001\", size: 99999, read: always, update: "
                            "always}\n"
                            "  b: {type: ef, fid: \"0002\", size: 1, read: always, updat: always}\n"
                            "  c: {type: ef, fid: \"0003\", size: 1, read: sometimes, update: "
                            "always}\n";

static void in_file_order(void **state)
{
        static struct got g;
        scsim_profile *p = NULL;
        scsim_diag diag;

        (void)state;
        g.n = 0;
        assert_int_equal(
            scsim_profile_load_buffer_report("r.yaml", three, strlen(three), &p, keep, &g),
            SCSIM_ERR_PROFILE);
        assert_null(p);
        assert_int_equal(g.n, 3);
        assert_int_equal(g.d[0].line, 5);
        assert_non_null(strstr(g.d[0].message, "size must be 0..32767, got 99999"));
        assert_int_equal(g.d[1].line, 6);
        assert_non_null(strstr(g.d[1].message, "unknown key 'updat'"));
        assert_non_null(strstr(g.d[1].message, "did you mean 'update'?"));
        assert_int_equal(g.d[2].line, 7);
        assert_non_null(strstr(g.d[2].message, "read: expected always, never"));
        for (size_t i = 0; i < g.n; i++)
                assert_string_equal(g.d[i].file, "r.yaml");
        /* the one diagnostic is the first of them */
        assert_int_equal(scsim_profile_load_buffer("r.yaml", three, strlen(three), &p, &diag),
                         SCSIM_ERR_PROFILE);
        assert_int_equal(diag.line, g.d[0].line);
        assert_int_equal(diag.column, g.d[0].column);
        assert_string_equal(diag.message, g.d[0].message);
}

/* 150 bad files: the first 100 mistakes, then how many more there were. */
static void flood_is_cut(void **state)
{
        static struct got g;
        char *text = malloc(65536);
        size_t o = 0;
        scsim_profile *p = NULL;

        (void)state;
        assert_non_null(text);
        o += (size_t)snprintf(text, 65536,
                              "name: f\nhistorical_bytes: \"\"\nserial: \"01\"\n"
                              "files:\n");
        for (int i = 0; i < 50; i++)
                o += (size_t)snprintf(text + o, 65536 - o,
                                      "  f%d: {type: ef, fid: \"%04X\", size: -1, read: x, "
                                      "update: y}\n",
                                      i, i + 1);
        g.n = 0;
        assert_int_equal(scsim_profile_load_buffer_report("f.yaml", text, o, &p, keep, &g),
                         SCSIM_ERR_PROFILE);
        assert_int_equal(g.n, 101);
        for (size_t i = 1; i < 100; i++)
                assert_true(g.d[i].line > g.d[i - 1].line ||
                            (g.d[i].line == g.d[i - 1].line && g.d[i].column > g.d[i - 1].column));
        assert_int_equal(g.d[100].line, 0);
        assert_string_equal(g.d[100].message, "50 more mistakes not shown (the first 100 are)");
        free(text);
}

/* Mistakes outside the text (no such profile) are reported once, the same way. */
static void open_reports_too(void **state)
{
        static struct got g;
        scsim_profile *p = NULL;

        (void)state;
        g.n = 0;
        assert_int_equal(scsim_profile_open_report("/nonexistent/x.yaml", &p, keep, &g),
                         SCSIM_ERR_IO);
        assert_int_equal(g.n, 1);
        assert_string_equal(g.d[0].message, "cannot open: No such file or directory");
        g.n = 0;
        assert_int_equal(setenv("SCSIM_PROFILE_PATH", "/nonexistent", 1), 0);
        assert_int_equal(scsim_profile_open_report("nosuch", &p, keep, &g), SCSIM_ERR_IO);
        assert_int_equal(g.n, 1);
        assert_non_null(strstr(g.d[0].message, "no profile named 'nosuch'"));
        unsetenv("SCSIM_PROFILE_PATH");
        /* a good profile reports nothing; no callback is fine */
        g.n = 0;
        assert_int_equal(scsim_profile_open_report("iso7816-chv", &p, keep, &g), SCSIM_OK);
        assert_int_equal(g.n, 0);
        scsim_profile_free(&p);
        assert_int_equal(
            scsim_profile_load_buffer_report("r.yaml", three, strlen(three), &p, NULL, NULL),
            SCSIM_ERR_PROFILE);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(in_file_order),
            cmocka_unit_test(flood_is_cut),
            cmocka_unit_test(open_reports_too),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
