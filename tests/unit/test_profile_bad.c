/* SPDX-License-Identifier: MIT */
/*
 * The malformed-profile corpus, tests/profiles/bad/: each file starts with
 * one "# expect: LINE:COLUMN: MESSAGE" line per mistake it holds, in file
 * order. Loading it must report exactly those, as "PATH:LINE:COLUMN:
 * MESSAGE", and no other; the single diagnostic of scsim_profile_load_file
 * is the first. One row per file; adding a case is adding a file.
 */
#include <dirent.h>
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

#define EXPECT_TAG "# expect: "
#define MAX_LINES  16
#define LINE_MAX_  (4096 + 1024 + 8)

struct lines {
        char text[MAX_LINES][LINE_MAX_];
        size_t n;
        size_t overflow;
};

static int is_yaml(const struct dirent *d)
{
        size_t n = strlen(d->d_name);

        return n > 5 && strcmp(d->d_name + n - 5, ".yaml") == 0;
}

static void collect(void *ctx, const scsim_diag *diag)
{
        struct lines *l = ctx;

        if (l->n == MAX_LINES) {
                l->overflow++;
                return;
        }
        scsim_diag_format(diag, l->text[l->n++], LINE_MAX_);
}

/* The expected lines: every leading "# expect: " line, prefixed with the path. */
static int expected(const char *path, struct lines *want)
{
        char first[1024];
        FILE *f = fopen(path, "r");

        want->n = 0;
        if (f == NULL)
                return -1;
        while (fgets(first, sizeof(first), f) != NULL &&
               strncmp(first, EXPECT_TAG, strlen(EXPECT_TAG)) == 0 && want->n < MAX_LINES) {
                size_t n = strlen(first);
                while (n > 0 && (first[n - 1] == '\n' || first[n - 1] == '\r'))
                        first[--n] = '\0';
                snprintf(want->text[want->n++], LINE_MAX_, "%s:%s", path,
                         first + strlen(EXPECT_TAG));
        }
        fclose(f);
        return want->n > 0 ? 0 : -1;
}

/* Returns 0 when the file fails exactly as its first lines say, else prints why. */
static int run_case(const char *path)
{
        static struct lines want, got;
        char one[LINE_MAX_];
        scsim_profile *p = NULL;
        scsim_diag diag;
        int rc, bad = 0;

        if (expected(path, &want) != 0) {
                print_error("%s: must start with '" EXPECT_TAG "LINE:COL: MESSAGE' lines\n", path);
                return -1;
        }
        rc = scsim_profile_load_file(path, &p, &diag);
        if (rc != SCSIM_ERR_PROFILE || p != NULL) {
                print_error("%s: loaded with %d (%s), expected a profile error\n", path, rc,
                            scsim_strerror(rc));
                scsim_profile_free(&p);
                return -1;
        }
        scsim_diag_format(&diag, one, sizeof(one));
        if (strcmp(one, want.text[0]) != 0) {
                print_error("%s: first\n  want: %s\n  got:  %s\n", path, want.text[0], one);
                bad = -1;
        }
        got.n = got.overflow = 0;
        rc = scsim_profile_open_report(path, &p, collect, &got);
        if (rc != SCSIM_ERR_PROFILE || p != NULL || got.overflow != 0)
                bad = -1;
        for (size_t i = 0; i < want.n || i < got.n; i++) {
                if (i < want.n && i < got.n && strcmp(want.text[i], got.text[i]) == 0)
                        continue;
                print_error("%s: mistake %zu\n  want: %s\n  got:  %s\n", path, i + 1,
                            i < want.n ? want.text[i] : "(none)",
                            i < got.n ? got.text[i] : "(none)");
                bad = -1;
        }
        return bad;
}

static void corpus(void **state)
{
        struct dirent **ents = NULL;
        int n = scandir(SCSIM_BAD_PROFILES, &ents, is_yaml, alphasort), failed = 0;

        (void)state;
        assert_true(n >= 30);
        for (int i = 0; i < n; i++) {
                char path[4096];
                snprintf(path, sizeof(path), "%s/%s", SCSIM_BAD_PROFILES, ents[i]->d_name);
                if (run_case(path) != 0)
                        failed++;
                free(ents[i]);
        }
        free(ents);
        assert_int_equal(failed, 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(corpus),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
