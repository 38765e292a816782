/* SPDX-License-Identifier: MIT */
/*
 * Each allocation of loading a shipped profile and of making its card fails
 * in turn (the first, then the second, ... until the call makes no more):
 * every one is refused cleanly, with a message that says "memory", and
 * leaks nothing (the sanitizer build checks that at exit).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <scsim/card.h>
#include <scsim/err.h>
#include <scsim/profile.h>

#include "fail_alloc.h"

#define SWEEP_MAX 100000 /* far more allocations than any of these calls makes */

static const char *const shipped[] = {
    SCSIM_SOURCE_DIR "/profiles/iso7816-chv.yaml",
    SCSIM_SOURCE_DIR "/profiles/two-apps.yaml",
    SCSIM_SOURCE_DIR "/profiles/piv.yaml",
    SCSIM_SOURCE_DIR "/profiles/openpgp.yaml",
};

static int warm_up(void **state)
{
        (void)state;
        fail_alloc_warm_up();
        return 0;
}

static void test_profile_load(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(shipped) / sizeof(shipped[0]); i++) {
                unsigned long n;
                for (n = 1; n < SWEEP_MAX; n++) {
                        scsim_profile *p = NULL;
                        scsim_diag diag;
                        int rc;
                        fail_alloc_nth(n);
                        rc = scsim_profile_load_file(shipped[i], &p, &diag);
                        fail_alloc_stop();
                        if (fail_alloc_failed() == 0) { /* the call made fewer than n */
                                assert_int_equal(rc, SCSIM_OK);
                                scsim_profile_free(&p);
                                break;
                        }
                        if (rc == SCSIM_OK) { /* a failure the loader could do without */
                                scsim_profile_free(&p);
                                continue;
                        }
                        assert_null(p);
                        if (strstr(diag.message, "memory") == NULL)
                                fail_msg("%s, allocation %lu failed: \"%s\"", shipped[i], n,
                                         diag.message);
                }
                assert_true(n > 1 && n < SWEEP_MAX);
        }
}

static void test_card_new(void **state)
{
        static const uint8_t select_mf[] = {0x00, 0xa4, 0x00, 0x0c};
        uint8_t rsp[SCSIM_RAPDU_MAX];

        (void)state;
        for (size_t i = 0; i < sizeof(shipped) / sizeof(shipped[0]); i++) {
                scsim_profile *p = NULL;
                unsigned long n;
                assert_int_equal(scsim_profile_load_file(shipped[i], &p, NULL), SCSIM_OK);
                for (n = 1; n < SWEEP_MAX; n++) {
                        scsim_card *card;
                        size_t rlen = 0;
                        fail_alloc_nth(n);
                        card = scsim_card_new(p);
                        fail_alloc_stop();
                        if (card == NULL) {
                                assert_int_equal(fail_alloc_failed(), 1);
                                continue;
                        }
                        assert_int_equal(scsim_card_power_on(card, NULL, NULL), SCSIM_OK);
                        assert_int_equal(scsim_card_transmit(card, select_mf, sizeof(select_mf),
                                                             rsp, sizeof(rsp), &rlen),
                                         SCSIM_OK);
                        assert_int_equal(rlen, 2);
                        assert_int_equal(rsp[0], 0x90);
                        scsim_card_free(&card);
                        if (fail_alloc_failed() == 0)
                                break;
                }
                assert_true(n > 1 && n < SWEEP_MAX);
                scsim_profile_free(&p);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_profile_load),
            cmocka_unit_test(test_card_new),
        };

        return cmocka_run_group_tests(tests, warm_up, NULL);
}
