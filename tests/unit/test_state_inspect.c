/* SPDX-License-Identifier: MIT */
/* scsim_state_inspect: a state file's records as data, the same ones `scsim state show` prints. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <scsim/scsim.h>

#define MAX_RECS 16

struct seen {
        size_t n;
        scsim_state_record rec[MAX_RECS];
        char name[MAX_RECS][64];
};

static void collect(void *arg, const scsim_state_record *r)
{
        struct seen *s = arg;

        assert_true(s->n < MAX_RECS);
        s->rec[s->n] = *r;
        snprintf(s->name[s->n], sizeof(s->name[0]), "%s", r->name);
        s->rec[s->n].name = s->name[s->n];
        s->n++;
}

static void fresh_state(char *path, size_t cap, const char *profile_name)
{
        scsim_profile *p = NULL;
        scsim_diag diag;
        int fd;

        snprintf(path, cap, "/tmp/scsim-inspect-XXXXXX");
        fd = mkstemp(path);
        assert_true(fd >= 0);
        close(fd);
        assert_int_equal(scsim_profile_open(profile_name, &p, &diag), SCSIM_OK);
        assert_int_equal(scsim_state_reset(p, path, &diag), SCSIM_OK);
        scsim_profile_free(&p);
}

struct want {
        int kind;
        const char *name;
        int ref;
        unsigned tries, retries, fid;
        size_t size;
};

/* The default card's records, in file order, each with what a user may see of it. */
static const struct want default_card[] = {
    {SCSIM_STATE_HEADER, "iso7816-chv", 0, 0, 0, 0, 0},
    {SCSIM_STATE_CHV, "pin", 0x01, 3, 3, 0, 0},
    {SCSIM_STATE_CHV, "puk", -1, 10, 10, 0, 0},
    {SCSIM_STATE_CHV, "app-pin", 0x81, 3, 3, 0, 0},
    {SCSIM_STATE_KEY, "admin", 0x01, 5, 5, 0, 0},
    {SCSIM_STATE_FILE, "public", 0, 0, 0, 0x0101, 64},
    {SCSIM_STATE_FILE, "secret", 0, 0, 0, 0x0102, 64},
    {SCSIM_STATE_FILE, "app-secret", 0, 0, 0, 0x5001, 64},
};

static void test_default_card_records(void **state)
{
        const size_t n = sizeof(default_card) / sizeof(default_card[0]);
        struct seen s = {0};
        scsim_diag diag;
        char path[64];

        (void)state;
        fresh_state(path, sizeof(path), "iso7816-chv");
        assert_int_equal(scsim_state_inspect(path, collect, &s, &diag), SCSIM_OK);
        assert_int_equal(s.n, n);
        assert_int_equal(s.rec[0].version, 1);
        for (size_t i = 0; i < n; i++) {
                const struct want *w = &default_card[i];
                const scsim_state_record *r = &s.rec[i];
                assert_int_equal(r->kind, w->kind);
                assert_string_equal(r->name, w->name);
                if (w->kind == SCSIM_STATE_CHV || w->kind == SCSIM_STATE_KEY) {
                        assert_int_equal(r->ref, w->ref);
                        assert_int_equal(r->tries, w->tries);
                        assert_int_equal(r->retries, w->retries);
                }
                if (w->kind == SCSIM_STATE_CHV)
                        assert_true(r->enabled);
                if (w->kind == SCSIM_STATE_FILE) {
                        assert_int_equal(r->fid, w->fid);
                        assert_int_equal(r->size, w->size);
                }
        }
        unlink(path);
}

/* A file cut short: the records before the cut may be seen, the call fails and says so. */
static void test_truncated(void **state)
{
        struct seen s = {0};
        scsim_diag diag;
        char path[64];
        FILE *f;
        long len;

        (void)state;
        fresh_state(path, sizeof(path), "iso7816-chv");
        f = fopen(path, "r+");
        assert_non_null(f);
        assert_int_equal(fseek(f, 0, SEEK_END), 0);
        len = ftell(f);
        fclose(f);
        assert_int_equal(truncate(path, len - 20), 0);
        assert_int_not_equal(scsim_state_inspect(path, collect, &s, &diag), SCSIM_OK);
        assert_non_null(strstr(diag.message, "truncated"));
        assert_int_equal(scsim_state_inspect(NULL, collect, &s, &diag), SCSIM_ERR_INVALID_ARGUMENT);
        assert_int_equal(scsim_state_inspect(path, NULL, &s, &diag), SCSIM_ERR_INVALID_ARGUMENT);
        unlink(path);
}

/* scsim_state_print is the same records as text; codes never appear. */
static void test_print_is_the_records(void **state)
{
        char path[64], out[4096];
        scsim_diag diag;
        FILE *f = tmpfile();
        size_t n;

        (void)state;
        assert_non_null(f);
        fresh_state(path, sizeof(path), "iso7816-chv");
        assert_int_equal(scsim_state_print(path, f, &diag), SCSIM_OK);
        rewind(f);
        n = fread(out, 1, sizeof(out) - 1, f);
        out[n] = '\0';
        fclose(f);
        assert_non_null(strstr(out, "profile:    iso7816-chv\nCHV references:\n"
                                    "  pin              ref 01  tries  3/3   ok\n"
                                    "  puk                      tries 10/10  ok\n"));
        assert_non_null(strstr(out, "keys:\n  admin            ref 01  tries  5/5   ok\n"
                                    "files:\n  public           0101  64 bytes\n"));
        assert_null(strstr(out, "1234"));
        assert_null(strstr(out, "12345678"));
        unlink(path);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_default_card_records),
            cmocka_unit_test(test_truncated),
            cmocka_unit_test(test_print_is_the_records),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
