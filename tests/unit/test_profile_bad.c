/* SPDX-License-Identifier: MIT */
/*
 * The malformed-profile corpus, tests/profiles/bad/: each file's first line
 * is "# expect: LINE:COLUMN: MESSAGE" and loading it must fail with exactly
 * "PATH:LINE:COLUMN: MESSAGE". One row per file; adding a case is adding a file.
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

static int is_yaml(const struct dirent *d)
{
        size_t n = strlen(d->d_name);

        return n > 5 && strcmp(d->d_name + n - 5, ".yaml") == 0;
}

/* Returns 0 when the file fails exactly as its first line says, else prints why. */
static int run_case(const char *path)
{
        char first[1024], want[4096 + 1024 + 8], got[sizeof(want)];
        scsim_profile *p = NULL;
        scsim_diag diag;
        FILE *f = fopen(path, "r");
        size_t n;
        int rc;

        if (f == NULL || fgets(first, sizeof(first), f) == NULL) {
                print_error("%s: cannot read\n", path);
                if (f != NULL)
                        fclose(f);
                return -1;
        }
        fclose(f);
        n = strlen(first);
        while (n > 0 && (first[n - 1] == '\n' || first[n - 1] == '\r'))
                first[--n] = '\0';
        if (strncmp(first, EXPECT_TAG, strlen(EXPECT_TAG)) != 0) {
                print_error("%s: first line must be '" EXPECT_TAG "LINE:COL: MESSAGE'\n", path);
                return -1;
        }
        snprintf(want, sizeof(want), "%s:%s", path, first + strlen(EXPECT_TAG));
        rc = scsim_profile_load_file(path, &p, &diag);
        if (rc != SCSIM_ERR_PROFILE || p != NULL) {
                print_error("%s: loaded with %d (%s), expected a profile error\n", path, rc,
                            scsim_strerror(rc));
                scsim_profile_free(&p);
                return -1;
        }
        scsim_diag_format(&diag, got, sizeof(got));
        if (strcmp(got, want) != 0) {
                print_error("%s:\n  want: %s\n  got:  %s\n", path, want, got);
                return -1;
        }
        return 0;
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
