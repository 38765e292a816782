/* SPDX-License-Identifier: MIT */
/*
 * Damaged profiles never crash the loader and always get a positioned
 * message: every truncation of the default profile and a fixed series of
 * byte mutations. A message without a position would mean the loader let
 * a mistake through to prof_check.
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

static int check_one(const char *text, size_t len, const char *what, size_t arg)
{
        scsim_profile *p = NULL;
        scsim_diag diag;
        char msg[1024];
        int rc = scsim_profile_load_buffer("m.yaml", text, len, &p, &diag);

        if (rc == SCSIM_OK) {
                scsim_profile_free(&p);
                return 0;
        }
        scsim_diag_format(&diag, msg, sizeof(msg));
        if (rc != SCSIM_ERR_PROFILE || p != NULL || diag.line == 0 || diag.message[0] == '\0') {
                print_error("%s %zu: rc %d: %s\n", what, arg, rc, msg);
                return -1;
        }
        return 0;
}

static void truncations(void **state)
{
        const char *text = (const char *)prof_embedded_default;
        size_t len = prof_embedded_default_len;
        int failed = 0;

        (void)state;
        for (size_t n = 0; n <= len; n++)
                if (check_one(text, n, "truncated at", n) != 0)
                        failed++;
        assert_int_equal(failed, 0);
}

static void mutations(void **state)
{
        static const char alphabet[] = " \n\t:-{}[],#&*!|>'\"%@`0123456789abcdefxyzABF.";
        size_t len = prof_embedded_default_len;
        char *buf = malloc(len);
        uint32_t x = 12345; /* a fixed xorshift stream: the same cases every run */
        int failed = 0;

        (void)state;
        assert_non_null(buf);
        for (size_t i = 0; i < 20000; i++) {
                memcpy(buf, prof_embedded_default, len);
                for (int k = 0; k < 1 + (int)(i % 3); k++) {
                        x ^= x << 13;
                        x ^= x >> 17;
                        x ^= x << 5;
                        buf[x % len] = alphabet[(x >> 16) % (sizeof(alphabet) - 1)];
                }
                if (check_one(buf, len, "mutation", i) != 0)
                        failed++;
        }
        free(buf);
        assert_int_equal(failed, 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(truncations),
            cmocka_unit_test(mutations),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
