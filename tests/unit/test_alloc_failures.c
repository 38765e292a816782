/* SPDX-License-Identifier: MIT */
/*
 * Each allocation of loading a shipped profile and of making its card fails
 * in turn (the first, then the second, ... until the call makes no more):
 * every one is refused cleanly, with a message that says "memory", and
 * leaks nothing (the sanitizer build checks that at exit). And a state
 * file's commit that fails, with each allocation of its command failing in
 * turn, never loses the restore written just before it. And PIV's PUT DATA,
 * each of its allocations failing in turn, answers 9000 or 6581, never
 * another refusal, and a 6581 leaves the object as it was. A key decoder
 * made while an allocation failed never refuses a good key afterwards.
 */
#include <pthread.h>
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

#include <scsim/card.h>
#include <scsim/err.h>
#include <scsim/profile.h>
#include <scsim/state.h>

#include "card_steps.h"
#include "fail_alloc.h"
#include "piv_helpers.h"
#include "pkey.h"

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

static uint16_t send_hex(scsim_card *card, const char *hex)
{
        uint8_t apdu[64], rsp[SCSIM_RAPDU_MAX];
        size_t n = strlen(hex) / 2, rlen = 0;

        for (size_t i = 0; i < n; i++)
                sscanf(hex + 2 * i, "%2hhx", &apdu[i]);
        if (scsim_card_transmit(card, apdu, n, rsp, sizeof(rsp), &rlen) != SCSIM_OK || rlen < 2)
                return 0;
        return (uint16_t)(rsp[rlen - 2] << 8 | rsp[rlen - 1]);
}

/* Every write fails after its sync: the new copy is on the disk, and must not stay there. */
static int fail_after_sync(void *ctx, enum scsim_state_stage stage)
{
        (void)ctx;
        return stage == SCSIM_STATE_AFTER_SYNC;
}

static scsim_card *on_file(const scsim_profile *p, const char *path)
{
        scsim_card *card = scsim_card_new(p);

        assert_non_null(card);
        assert_int_equal(scsim_card_attach_state(card, path, NULL), SCSIM_OK);
        assert_int_equal(scsim_card_power_on(card, NULL, NULL), SCSIM_OK);
        return card;
}

/*
 * A right code's restore is written without a sync; the next command's
 * commit overwrites that copy and fails, and meanwhile the nth allocation
 * fails too: the file still holds the restore (found by fuzz_apdu, where
 * putting the restore back needed a SHA-256, whose allocation failed).
 */
static void test_failed_commit_keeps_restore(void **state)
{
        char dir[] = "/tmp/scsim-alloc-XXXXXX", path[64], lock[80];
        scsim_profile *p = NULL;
        unsigned long n;

        (void)state;
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/card.state", dir);
        snprintf(lock, sizeof(lock), "%s.lock", path);
        assert_int_equal(scsim_profile_default(&p), SCSIM_OK);
        for (n = 1; n < SWEEP_MAX; n++) {
                scsim_card *card = on_file(p, path);
                unsigned long failed;
                assert_int_equal(send_hex(card, "002000010431313131"), 0x63C2);
                assert_int_equal(send_hex(card, "002000010431323334"), 0x9000);
                assert_int_equal(scsim_card_set_fault_hook(card, fail_after_sync, NULL), SCSIM_OK);
                fail_alloc_nth(n);
                assert_int_equal(send_hex(card, "002000010431313131"), 0x6581);
                fail_alloc_stop();
                failed = fail_alloc_failed();
                assert_int_equal(scsim_card_set_fault_hook(card, NULL, NULL), SCSIM_OK);
                scsim_card_free(&card);
                card = on_file(p, path);
                assert_int_equal(send_hex(card, "00200001"), 0x63C3);
                scsim_card_free(&card);
                unlink(path);
                if (failed == 0)
                        break;
        }
        assert_true(n > 1 && n < SWEEP_MAX);
        scsim_profile_free(&p);
        unlink(lock);
        assert_int_equal(rmdir(dir), 0);
}

/* GET DATA of a PIV object: its container's bytes into out, or 0 when there is none. */
static size_t piv_object(scsim_card *card, uint8_t tag_lo, uint8_t *out, size_t cap)
{
        const uint8_t tag[5] = {0x5c, 0x03, 0x5f, 0xc1, tag_lo};
        uint8_t rsp[SCSIM_RAPDU_MAX];
        size_t n = 0;
        uint16_t sw = piv_send(card, 0xcb, 0x3f, 0xff, tag, sizeof(tag), rsp, &n);

        if (sw == 0x6a82)
                return 0;
        assert_int_equal(sw, 0x9000);
        assert_true(n <= cap);
        memcpy(out, rsp, n);
        return n;
}

/*
 * PUT DATA of a new object (the security object, 5FC106) and over an old
 * one (the CHUID, 5FC102) with each allocation failing in turn (found by
 * fuzz_apdu: a failed copy of the new object answered 6A84, no room).
 */
static void test_put_data(void **state)
{
        static const uint8_t objects[] = {0x06, 0x02};
        scsim_profile *p = NULL;

        (void)state;
        for (size_t i = 0; i < sizeof(objects) / sizeof(objects[0]); i++) {
                const uint8_t obj[] = {0x53, 0x03, 0x01, 0x01, 0x61};
                char put[64];
                unsigned long n;
                snprintf(put, sizeof(put), "00DB3FFF0A 5C035FC1%02X 5303010161", objects[i]);
                for (n = 1; n < SWEEP_MAX; n++) {
                        scsim_card *card = piv_card(&p, NULL, shipped[2]);
                        uint8_t before[SCSIM_RAPDU_MAX], after[SCSIM_RAPDU_MAX];
                        size_t before_len, after_len;
                        unsigned long failed;
                        uint16_t sw;
                        piv_select(card);
                        piv_mgm_auth(card);
                        before_len = piv_object(card, objects[i], before, sizeof(before));
                        fail_alloc_nth(n);
                        sw = xmit(card, put, NULL, NULL);
                        fail_alloc_stop();
                        failed = fail_alloc_failed();
                        after_len = piv_object(card, objects[i], after, sizeof(after));
                        if (sw == 0x6581) {
                                assert_int_equal(failed, 1);
                                assert_int_equal(after_len, before_len);
                                assert_memory_equal(after, before, before_len);
                        } else {
                                assert_int_equal(sw, 0x9000);
                                assert_int_equal(after_len, sizeof(obj));
                                assert_memory_equal(after, obj, after_len);
                        }
                        scsim_card_free(&card);
                        scsim_profile_free(&p);
                        if (failed == 0)
                                break;
                }
                assert_true(n > 1 && n < SWEEP_MAX);
        }
}

/*
 * pkey_from_der keeps each thread's decoder contexts: one made while the
 * nth allocation failed must not refuse the same key once memory is back.
 * Each round runs in a new thread, which has no decoder yet, so that the
 * failures fall on making one; the thread's end frees what it kept.
 */
struct decode_round {
        const unsigned char *der;
        size_t len;
        const EVP_PKEY *key;
        unsigned long n, failed;
        bool good_after;
};

static void *decode_round(void *arg)
{
        struct decode_round *r = arg;
        EVP_PKEY *back;

        fail_alloc_nth(r->n);
        back = pkey_from_der("EC", r->der, r->len);
        fail_alloc_stop();
        r->failed = fail_alloc_failed();
        EVP_PKEY_free(back);
        back = pkey_from_der("EC", r->der, r->len);
        r->good_after = back != NULL && EVP_PKEY_eq(back, r->key) == 1;
        EVP_PKEY_free(back);
        return NULL;
}

static void test_kept_decoder(void **state)
{
        EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        unsigned char *der = NULL;
        struct decode_round r;
        int len;

        (void)state;
        assert_non_null(key);
        assert_true((len = i2d_PrivateKey(key, &der)) > 0);
        memset(&r, 0, sizeof(r));
        r.der = der;
        r.len = (size_t)len;
        r.key = key;
        for (r.n = 1; r.n < SWEEP_MAX; r.n++) {
                pthread_t t;
                assert_int_equal(pthread_create(&t, NULL, decode_round, &r), 0);
                assert_int_equal(pthread_join(t, NULL), 0);
                if (!r.good_after)
                        fail_msg("allocation %lu failed: the key no longer decodes", r.n);
                if (r.failed == 0)
                        break;
        }
        assert_true(r.n > 1 && r.n < SWEEP_MAX);
        OPENSSL_free(der);
        EVP_PKEY_free(key);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_profile_load),
            cmocka_unit_test(test_card_new),
            cmocka_unit_test(test_failed_commit_keeps_restore),
            cmocka_unit_test(test_put_data),
            cmocka_unit_test(test_kept_decoder),
        };

        return cmocka_run_group_tests(tests, warm_up, NULL);
}
