/* SPDX-License-Identifier: MIT */
/* The card-side control API: snapshots put back whole, state reset, tries, faults and their scopes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include <cmocka.h>

#include "card_steps.h"

#define VERIFY_OK    "00 20 00 01 04 31 32 33 34"
#define VERIFY_BAD   "00 20 00 01 04 39 39 39 39"
#define VERIFY_QUERY "00 20 00 01"

struct tries_seen {
        char names[8][32];
        unsigned tries[8];
        size_t n;
};

static void note_tries(void *arg, const char *name, unsigned tries)
{
        struct tries_seen *t = arg;

        if (t->n < 8) {
                strncpy(t->names[t->n], name, sizeof(t->names[0]) - 1);
                t->tries[t->n++] = tries;
        }
}

static unsigned pin_tries(const scsim_card *card)
{
        struct tries_seen t;

        memset(&t, 0, sizeof(t));
        assert_int_equal(scsim_card_tries(card, note_tries, &t), SCSIM_OK);
        for (size_t i = 0; i < t.n; i++)
                if (strcmp(t.names[i], "pin") == 0)
                        return t.tries[i];
        fail_msg("no reference named pin");
        return 0;
}

static void power(scsim_card *card)
{
        assert_int_equal(scsim_card_power_on(card, NULL, NULL), SCSIM_OK);
}

static void test_snapshot_restore(void **state)
{
        scsim_profile *p = NULL;
        scsim_card *card = default_card(&p);
        scsim_snapshot *snap = NULL;

        (void)state;
        assert_int_equal(xmit(card, VERIFY_BAD, NULL, NULL), 0x63C2);
        assert_int_equal(scsim_card_snapshot(card, &snap), SCSIM_OK);
        assert_int_equal(xmit(card, VERIFY_BAD, NULL, NULL), 0x63C1);
        assert_int_equal(xmit(card, VERIFY_BAD, NULL, NULL), 0x63C0);
        assert_int_equal(pin_tries(card), 0);
        assert_int_equal(scsim_card_restore(card, snap), SCSIM_OK);
        assert_false(scsim_card_is_powered(card)); /* restored cards start cold */
        assert_int_equal(pin_tries(card), 2);
        power(card);
        assert_int_equal(xmit(card, VERIFY_QUERY, NULL, NULL), 0x63C2);
        assert_int_equal(xmit(card, VERIFY_OK, NULL, NULL), 0x9000);
        /* The snapshot is a copy: what the card did since does not change it. */
        assert_int_equal(scsim_card_restore(card, snap), SCSIM_OK);
        assert_int_equal(pin_tries(card), 2);
        scsim_snapshot_free(&snap);
        assert_null(snap);
        scsim_snapshot_free(&snap);
        scsim_card_free(&card);
        scsim_profile_free(&p);
}

static void test_reset_state(void **state)
{
        scsim_profile *p = NULL;
        scsim_card *card = default_card(&p);

        (void)state;
        assert_int_equal(xmit(card, VERIFY_BAD, NULL, NULL), 0x63C2);
        assert_int_equal(scsim_card_reset_state(card), SCSIM_OK);
        assert_int_equal(pin_tries(card), 3);
        power(card);
        assert_int_equal(xmit(card, VERIFY_QUERY, NULL, NULL), 0x63C3);
        scsim_card_free(&card);
        scsim_profile_free(&p);
}

/* Codes an application keeps itself are reported with the core's: OpenPGP's passwords. */
static void test_application_tries(void **state)
{
        scsim_profile *p = NULL;
        scsim_card *card;
        scsim_diag diag;
        struct tries_seen t;

        (void)state;
        assert_int_equal(
            scsim_profile_load_file(SCSIM_SOURCE_DIR "/profiles/openpgp.yaml", &p, &diag),
            SCSIM_OK);
        card = scsim_card_new(p);
        assert_non_null(card);
        power(card);
        /* SELECT the OpenPGP application, then a wrong PW1 (mode 82) */
        assert_int_equal(xmit(card, "00 A4 04 00 06 D2 76 00 01 24 01", NULL, NULL), 0x9000);
        assert_int_equal(xmit(card, "00 20 00 82 06 39 39 39 39 39 39", NULL, NULL), 0x63C2);
        memset(&t, 0, sizeof(t));
        assert_int_equal(scsim_card_tries(card, note_tries, &t), SCSIM_OK);
        /* no resetting code is set on the shipped card: it is not reported */
        assert_int_equal(t.n, 2);
        assert_string_equal(t.names[0], "pw1");
        assert_int_equal(t.tries[0], 2);
        assert_string_equal(t.names[1], "pw3");
        assert_int_equal(t.tries[1], 3);
        scsim_card_free(&card);
        scsim_profile_free(&p);
}

static void test_bad_arguments(void **state)
{
        scsim_profile *p = NULL, *q = NULL;
        scsim_card *card = default_card(&p), *other;
        scsim_snapshot *snap = NULL;

        (void)state;
        assert_int_equal(scsim_card_snapshot(NULL, &snap), SCSIM_ERR_INVALID_ARGUMENT);
        assert_int_equal(scsim_card_snapshot(card, NULL), SCSIM_ERR_INVALID_ARGUMENT);
        assert_int_equal(scsim_card_restore(card, NULL), SCSIM_ERR_INVALID_ARGUMENT);
        assert_int_equal(scsim_card_reset_state(NULL), SCSIM_ERR_INVALID_ARGUMENT);
        assert_int_equal(scsim_card_tries(card, NULL, NULL), SCSIM_ERR_INVALID_ARGUMENT);
        /* A snapshot of another profile's card is refused, and the card left as it was. */
        assert_int_equal(scsim_profile_default(&q), SCSIM_OK);
        other = scsim_card_new(q);
        assert_non_null(other);
        assert_int_equal(scsim_card_snapshot(other, &snap), SCSIM_OK);
        assert_int_equal(xmit(card, VERIFY_BAD, NULL, NULL), 0x63C2);
        assert_int_equal(scsim_card_restore(card, snap), SCSIM_ERR_INVALID_ARGUMENT);
        assert_int_equal(pin_tries(card), 2);
        assert_true(scsim_card_is_powered(card));
        scsim_snapshot_free(&snap);
        scsim_card_free(&other);
        scsim_card_free(&card);
        scsim_profile_free(&q);
        scsim_profile_free(&p);
}

/* One APDU through the faults: its status word, and the action left to the caller. */
static uint16_t fx(scsim_faults *fs, scsim_card *card, const char *hex, scsim_fault_action *a,
                   uint8_t *r, size_t *rlen)
{
        uint8_t c[64];
        size_t len = hex_parse(hex, c, sizeof(c));

        assert_int_equal(scsim_faults_transmit(fs, card, c, len, r, SCSIM_RAPDU_MAX, rlen, a),
                         SCSIM_OK);
        return (uint16_t)(*rlen >= 2 ? (r[*rlen - 2] << 8) | r[*rlen - 1] : 0);
}

static void test_faults(void **state)
{
        scsim_profile *p = NULL;
        scsim_card *card = default_card(&p);
        scsim_faults *fs = scsim_faults_new();
        scsim_fault f;
        scsim_fault_action a;
        uint8_t *r = malloc(SCSIM_RAPDU_MAX), good[64];
        size_t rlen, glen;
        unsigned id1, id2, id3;

        (void)state;
        assert_non_null(fs);
        /* SW before, on INS 20, once: the card never sees the wrong PIN. */
        memset(&f, 0, sizeof(f));
        f.kind = SCSIM_FAULT_SW;
        f.sw = 0x6F00;
        f.match_ins = true;
        f.ins = 0x20;
        f.count = 1;
        assert_int_equal(scsim_faults_add(fs, &f, &id1), SCSIM_OK);
        assert_int_equal(fx(fs, card, "00 CA 00 5A 00", &a, r, &rlen), 0x9000);
        assert_int_equal(a.id, 0);
        memcpy(good, r, rlen);
        glen = rlen;
        assert_int_equal(fx(fs, card, VERIFY_BAD, &a, r, &rlen), 0x6F00);
        assert_int_equal(a.id, id1);
        assert_int_equal(rlen, 2);
        assert_int_equal(pin_tries(card), 3);
        assert_int_equal(scsim_faults_count(fs), 0); /* its count is spent */
        assert_int_equal(fx(fs, card, VERIFY_BAD, &a, r, &rlen), 0x63C2);
        /* SW after, by prefix, until cleared: the card runs the command. */
        f.after = true;
        f.sw = 0x6581;
        f.match_ins = false;
        memcpy(f.prefix, "\x00\x20\x00", 3);
        f.prefix_len = 3;
        f.count = 0;
        assert_int_equal(scsim_faults_add(fs, &f, &id2), SCSIM_OK);
        assert_true(id2 > id1);
        assert_int_equal(fx(fs, card, VERIFY_BAD, &a, r, &rlen), 0x6581);
        assert_int_equal(pin_tries(card), 1);
        assert_int_equal(fx(fs, card, VERIFY_OK, &a, r, &rlen), 0x6581);
        assert_int_equal(pin_tries(card), 3);
        /* Corrupt: byte 0, oldest first (the SW fault does not match GET DATA). */
        memset(&f, 0, sizeof(f));
        f.kind = SCSIM_FAULT_CORRUPT;
        f.count = 2;
        assert_int_equal(scsim_faults_add(fs, &f, &id3), SCSIM_OK);
        assert_int_equal(fx(fs, card, "00 CA 00 5A 00", &a, r, &rlen), 0x9000);
        assert_int_equal(a.id, id3);
        assert_int_equal(r[0], good[0] ^ 0xFF);
        assert_memory_equal(r + 1, good + 1, glen - 1);
        /* The transport kinds are the caller's: no answer for drop, the card untouched. */
        assert_int_equal(scsim_faults_clear(fs, id2), SCSIM_OK);
        assert_int_equal(scsim_faults_clear(fs, id2), SCSIM_ERR_INVALID_ARGUMENT);
        assert_int_equal(scsim_faults_clear(fs, 0), SCSIM_OK);
        memset(&f, 0, sizeof(f));
        f.kind = SCSIM_FAULT_DROP;
        assert_int_equal(scsim_faults_add(fs, &f, NULL), SCSIM_OK);
        fx(fs, card, VERIFY_BAD, &a, r, &rlen);
        assert_false(a.answer);
        assert_int_equal(a.kind, SCSIM_FAULT_DROP);
        assert_int_equal(rlen, 0);
        assert_int_equal(pin_tries(card), 3);
        f.kind = SCSIM_FAULT_DELAY;
        f.ms = 250;
        assert_int_equal(scsim_faults_clear(fs, 0), SCSIM_OK);
        assert_int_equal(scsim_faults_add(fs, &f, NULL), SCSIM_OK);
        assert_int_equal(fx(fs, card, VERIFY_QUERY, &a, r, &rlen), 0x9000); /* verified above */
        assert_true(a.answer);
        assert_int_equal(a.ms, 250);
        f.kind = (enum scsim_fault_kind)42;
        assert_int_equal(scsim_faults_add(fs, &f, NULL), SCSIM_ERR_INVALID_ARGUMENT);
        free(r);
        scsim_faults_free(&fs);
        assert_null(fs);
        scsim_card_free(&card);
        scsim_profile_free(&p);
}

/* A default card whose state lives in dir/card.state (made from the profile when absent). */
static scsim_card *file_card(const scsim_profile *p, const char *dir)
{
        char path[512];
        scsim_diag diag;
        scsim_card *card = scsim_card_new(p);

        memset(&diag, 0, sizeof(diag));
        snprintf(path, sizeof(path), "%s/card.state", dir);
        assert_non_null(card);
        assert_int_equal(scsim_card_attach_state(card, path, &diag), SCSIM_OK);
        power(card);
        return card;
}

/* A torn command loses its answer and the card's power; what was durable is what stays. */
static void test_tear(void **state)
{
        char dir[] = "/tmp/scsim-tear.XXXXXX", path[600];
        scsim_profile *p = NULL;
        scsim_card *card;
        scsim_faults *fs = scsim_faults_new();
        scsim_fault f;
        scsim_fault_action a;
        uint8_t *r = malloc(SCSIM_RAPDU_MAX);
        size_t rlen;

        (void)state;
        assert_non_null(mkdtemp(dir));
        assert_int_equal(scsim_profile_default(&p), SCSIM_OK);
        card = file_card(p, dir);
        memset(&f, 0, sizeof(f));
        f.kind = SCSIM_FAULT_TEAR;
        f.count = 1;
        assert_int_equal(scsim_faults_add(fs, &f, NULL), SCSIM_OK);
        /* A command that writes nothing goes through; the tear waits for a write. */
        assert_int_equal(fx(fs, card, VERIFY_QUERY, &a, r, &rlen), 0x63C3);
        assert_true(a.answer);
        assert_int_equal(scsim_faults_count(fs), 1);
        /* Before: the decrement never reaches the file, no try is spent, no answer. */
        fx(fs, card, VERIFY_BAD, &a, r, &rlen);
        assert_false(a.answer);
        assert_int_equal(a.kind, SCSIM_FAULT_TEAR);
        assert_int_equal(rlen, 0);
        assert_false(scsim_card_is_powered(card));
        assert_int_equal(scsim_faults_count(fs), 0);
        scsim_card_free(&card);
        card = file_card(p, dir);
        assert_int_equal(pin_tries(card), 3);
        /* After: the decrement is durable, the command's answer lost. */
        f.after = true;
        assert_int_equal(scsim_faults_add(fs, &f, NULL), SCSIM_OK);
        fx(fs, card, VERIFY_BAD, &a, r, &rlen);
        assert_false(a.answer);
        scsim_card_free(&card);
        card = file_card(p, dir);
        assert_int_equal(pin_tries(card), 2);
        /* A change torn after its first write: the old code or the new one works, no try back. */
        assert_int_equal(scsim_faults_add(fs, &f, NULL), SCSIM_OK);
        fx(fs, card, "00 24 00 01 08 31 32 33 34 35 36 37 38", &a, r, &rlen);
        assert_false(a.answer);
        scsim_card_free(&card);
        card = file_card(p, dir);
        assert_true(pin_tries(card) <= 2);
        uint16_t old_sw = xmit(card, VERIFY_OK, NULL, NULL);
        uint16_t new_sw = xmit(card, "00 20 00 01 04 35 36 37 38", NULL, NULL);
        assert_true(old_sw == 0x9000 || new_sw == 0x9000);
        scsim_card_free(&card);
        snprintf(path, sizeof(path), "%s/card.state", dir);
        unlink(path);
        snprintf(path, sizeof(path), "%s/card.state.lock", dir);
        unlink(path);
        assert_int_equal(rmdir(dir), 0);
        free(r);
        scsim_faults_free(&fs);
        scsim_profile_free(&p);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_snapshot_restore),
            cmocka_unit_test(test_reset_state),
            cmocka_unit_test(test_application_tries),
            cmocka_unit_test(test_bad_arguments),
            cmocka_unit_test(test_faults),
            cmocka_unit_test(test_tear),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
