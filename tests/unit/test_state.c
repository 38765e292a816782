/* SPDX-License-Identifier: MIT */
/* Durable state: persistence across restarts, refusal of bad files, faults and kills inside writes.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "card_steps.h"
#include "profile/model.h"
#include "state_helpers.h"

#define WRONG  "0020000104 31313131"
#define RIGHT  "0020000104 31323334"
#define QUERY  "00200001"
#define FILE_C 65536

static scsim_card *open_card(struct state_fx *f)
{
        return state_card(f->profile, f->path, SCSIM_OK);
}

static void test_created_private(void **state)
{
        struct state_fx *f = *state;
        scsim_card *card = open_card(f);
        struct stat sb;
        char dir[128], lock[300];

        assert_int_equal(stat(f->path, &sb), 0);
        assert_int_equal(sb.st_mode & 0777, 0600);
        snprintf(dir, sizeof(dir), "%s/cards", f->dir);
        assert_int_equal(stat(dir, &sb), 0);
        assert_int_equal(sb.st_mode & 0777, 0700);
        snprintf(lock, sizeof(lock), "%s.lock", f->path);
        assert_int_equal(stat(lock, &sb), 0);
        assert_int_equal(sb.st_mode & 0777, 0600);
        scsim_card_free(&card);
}

static void test_survives_restart(void **state)
{
        struct state_fx *f = *state;
        scsim_card *card = open_card(f);
        uint8_t ch[16];
        size_t n;

        /* block the global PIN, change the app PIN, write the secret file, spend a key try */
        run_steps(card, (const char *const[]){
                            "0020000104 31323334 -> 9000", "00A4000C020102 -> 9000",
                            "00D6000004 CAFEF00D -> 9000", "0020000104 31313131 -> 63C2",
                            "0020000104 31313131 -> 63C1", "0020000104 31313131 -> 63C0",
                            "00A4040C07F0534353494D01 -> 9000",
                            "002400810F 303030303030 393837363534333231 -> 6A80",
                            "002400810E 303030303030 3938373635343332 -> 9000", NULL});
        assert_int_equal(xmit(card, "0084000010", ch, &n), 0x9000);
        assert_int_equal(xmit(card, "0082000110 00000000000000000000000000000000", NULL, NULL),
                         0x63C4);
        scsim_card_free(&card);

        card = open_card(f);
        run_steps(card, (const char *const[]){
                            "00200001 -> 6983", "00A4040C07F0534353494D01 -> 9000",
                            "0020008108 3938373635343332 -> 9000", "00A4000C023F00 -> 9000",
                            "002C0101 08 3132333435363738 -> 9000", "0020000104 31323334 -> 9000",
                            "00A4000C020102 -> 9000", "00B0000004 -> CAFEF00D 9000", NULL});
        assert_int_equal(xmit(card, "0084000010", ch, &n), 0x9000);
        assert_int_equal(xmit(card, "0082000110 00000000000000000000000000000000", NULL, NULL),
                         0x63C3);
        scsim_card_free(&card);
}

static void expect_refused(struct state_fx *f, const char *want)
{
        scsim_card *card = scsim_card_new(f->profile);
        scsim_diag diag;
        uint8_t *before = malloc(FILE_C), *after = malloc(FILE_C);
        size_t nb, na;

        assert_non_null(card);
        assert_non_null(before);
        assert_non_null(after);
        nb = slurp(f->path, before, FILE_C);
        assert_int_equal(scsim_card_attach_state(card, f->path, &diag), SCSIM_ERR_STATE);
        if (strstr(diag.message, want) == NULL)
                fail_msg("expected '%s' in '%s'", want, diag.message);
        assert_string_equal(diag.file, f->path);
        na = slurp(f->path, after, FILE_C);
        assert_int_equal(na, nb);
        assert_memory_equal(before, after, nb);
        free(before);
        free(after);
        scsim_card_free(&card);
}

/* Files an older scsim wrote (one image, formats 1 and 2) are refused for the same faults. */
static void test_refuses_bad_images(void **state)
{
        struct state_fx *f = *state;
        scsim_card *card = open_card(f);
        uint8_t good[8192], bad[8192];
        size_t n;

        scsim_card_free(&card);
        n = slurp(SCSIM_SOURCE_DIR "/tests/unit/fixtures/format1.state", good, sizeof(good));
        assert_true(n > 100);

        memcpy(bad, good, n);
        bad[n / 2] ^= 0x01;
        spit(f->path, bad, n);
        expect_refused(f, "integrity check failed");

        spit(f->path, good, n - 7);
        expect_refused(f, "integrity check failed");

        spit(f->path, (const uint8_t *)"PIN=1234\n", 9);
        expect_refused(f, "not a scsim state file");

        memcpy(bad, good, n);
        bad[9] = 9; /* a format this scsim does not know (3 is the two-copy file) */
        state_image_reseal(bad, n);
        spit(f->path, bad, n);
        expect_refused(f, "written by a newer scsim");

        /* a record that claims more tries than the reference allows */
        memcpy(bad, good, n);
        bad[8 + 2 + 48 + 1 + 48 + 3] = 9;
        state_image_reseal(bad, n);
        spit(f->path, bad, n);
        expect_refused(f, "impossible values");

        spit(f->path, good, n);
        card = open_card(f);
        scsim_card_free(&card);
}

/* The two-copy file: damage to its header, its size or both copies is refused. */
static void test_refuses_bad_files(void **state)
{
        struct state_fx *f = *state;
        scsim_card *card = open_card(f);
        uint8_t *good = malloc(FILE_C), *bad = malloc(FILE_C);
        size_t n;
        long at;

        assert_non_null(good);
        assert_non_null(bad);
        assert_int_equal(xmit(card, WRONG, NULL, NULL), 0x63C2);
        scsim_card_free(&card);
        n = slurp(f->path, good, FILE_C);
        assert_int_equal(good[9], 3);

        memcpy(bad, good, n);
        bad[13] ^= 0x10; /* the copies' size, in the header */
        spit(f->path, bad, n);
        expect_refused(f, "integrity check failed (header)");

        spit(f->path, good, n - 7);
        expect_refused(f, "integrity check failed");

        memcpy(bad, good, n);
        bad[9] = 9;
        spit(f->path, bad, n);
        expect_refused(f, "written by a newer scsim");

        /* both copies damaged: nothing left to trust */
        memcpy(bad, good, n);
        at = state_file_newest(bad, n);
        assert_true(at > 0);
        bad[at + 20] ^= 0x01;
        at = state_file_newest(bad, n);
        if (at > 0)
                bad[at + 20] ^= 0x01;
        spit(f->path, bad, n);
        expect_refused(f, "neither copy of the state reads");

        spit(f->path, good, n);
        card = open_card(f);
        assert_int_equal(xmit(card, QUERY, NULL, NULL), 0x63C2);
        scsim_card_free(&card);
        free(good);
        free(bad);
}

/*
 * The newest copy torn, as a power cut in the middle of its write would
 * leave it: the other copy, the state before that write, is loaded. The
 * write was not synced, so its answer never left the card.
 */
static void test_torn_copy_falls_back(void **state)
{
        struct state_fx *f = *state;
        scsim_card *card = open_card(f);
        uint8_t *file = malloc(FILE_C);
        size_t n;
        long at;

        assert_non_null(file);
        assert_int_equal(xmit(card, WRONG, NULL, NULL), 0x63C2);
        scsim_card_free(&card);
        n = slurp(f->path, file, FILE_C);
        at = state_file_newest(file, n);
        assert_true(at > 0);
        memset(file + at + 100, 0, 64);
        spit(f->path, file, n);
        card = open_card(f);
        assert_int_equal(xmit(card, QUERY, NULL, NULL), 0x63C3);
        scsim_card_free(&card);
        free(file);
}

static void test_refuses_other_profile(void **state)
{
        struct state_fx *f = *state;
        scsim_card *card = open_card(f);
        scsim_profile *saved = f->profile;
        scsim_profile *other = NULL;

        scsim_card_free(&card);
        assert_int_equal(scsim_profile_default(&other), SCSIM_OK);
        /* the application PIN removed: its record in the state has nowhere to go */
        other->nchvs = 2;
        f->profile = other;
        expect_refused(f, "state has 3 CHV references, profile 'iso7816-chv' has 2");
        other->nchvs = 3;
        snprintf(other->chvs[2].name, sizeof(other->chvs[2].name), "renamed");
        expect_refused(f, "CHV 'app-pin' in the state is not in profile");
        snprintf(other->chvs[2].name, sizeof(other->chvs[2].name), "app-pin");
        other->chvs[0].retries = 5;
        expect_refused(f, "CHV 'pin': reference 01 with 3 tries in the state, 01 with 5");
        other->chvs[0].retries = 3;
        snprintf(other->name, sizeof(other->name), "another");
        expect_refused(f, "state belongs to profile 'iso7816-chv', not 'another'");
        f->profile = saved;
        scsim_profile_free(&other);
}

static void test_failed_commit_answers_6581(void **state)
{
        struct state_fx *f = *state;
        scsim_card *card = open_card(f);

        assert_int_equal(scsim_card_set_fault_hook(card, state_fail_every_write, NULL), SCSIM_OK);
        assert_int_equal(xmit(card, WRONG, NULL, NULL), 0x6581);
        assert_int_equal(xmit(card, RIGHT, NULL, NULL), 0x6581);
        assert_int_equal(scsim_card_set_fault_hook(card, NULL, NULL), SCSIM_OK);
        /* no try could be written, so none was compared: the counter is as it was */
        assert_int_equal(xmit(card, QUERY, NULL, NULL), 0x63C3);
        scsim_card_free(&card);
        card = open_card(f);
        assert_int_equal(xmit(card, QUERY, NULL, NULL), 0x63C3);
        scsim_card_free(&card);
}

/* A hook that fails write number nth (counted from its setting) at one stage. */
struct fail_at {
        enum scsim_state_stage stage;
        unsigned nth, writes;
        bool kill; /* SIGKILL instead of an error */
};

static int fail_at_hook(void *ctx, enum scsim_state_stage stage)
{
        struct fail_at *h = ctx;

        if (stage == SCSIM_STATE_BEFORE_WRITE)
                h->writes++;
        if (h->writes != h->nth || stage != h->stage)
                return 0;
        if (h->kill)
                kill(getpid(), SIGKILL);
        return -1;
}

/*
 * A write that fails at any stage, even after its sync, leaves memory and
 * file as they were: the decrement of a VERIFY or of an EXTERNAL
 * AUTHENTICATE that cannot be written is no try, and its comparison never
 * happens.
 */
static void test_failed_decrement_leaves_counter(void **state)
{
        static const enum scsim_state_stage stages[] = {
            SCSIM_STATE_BEFORE_WRITE, SCSIM_STATE_AFTER_WRITE, SCSIM_STATE_AFTER_SYNC};
        struct state_fx *f = *state;

        for (size_t i = 0; i < sizeof(stages) / sizeof(stages[0]); i++) {
                struct fail_at h = {stages[i], 1, 0, false};
                scsim_card *card = open_card(f);
                uint8_t ch[16];
                size_t n;

                assert_int_equal(scsim_card_set_fault_hook(card, fail_at_hook, &h), SCSIM_OK);
                assert_int_equal(xmit(card, WRONG, NULL, NULL), 0x6581);
                assert_int_equal(xmit(card, QUERY, NULL, NULL), 0x63C3);
                h.writes = 0;
                assert_int_equal(xmit(card, "0084000010", ch, &n), 0x9000);
                assert_int_equal(
                    xmit(card, "0082000110 00000000000000000000000000000000", NULL, NULL), 0x6581);
                assert_int_equal(scsim_card_set_fault_hook(card, NULL, NULL), SCSIM_OK);
                /* the key's counter too: the next wrong cryptogram is the first to count */
                assert_int_equal(xmit(card, "0084000010", ch, &n), 0x9000);
                assert_int_equal(
                    xmit(card, "0082000110 00000000000000000000000000000000", NULL, NULL), 0x63C4);
                scsim_card_free(&card);
                card = open_card(f);
                assert_int_equal(xmit(card, QUERY, NULL, NULL), 0x63C3);
                scsim_card_free(&card);
                unlink(f->path);
        }
}

/*
 * A restore that cannot be written (one that is written: the counter was
 * not full): 6581, not verified, the counter as the file has it.
 */
static void test_failed_restore(void **state)
{
        struct state_fx *f = *state;
        struct fail_at h = {SCSIM_STATE_BEFORE_WRITE, 3, 0, false};
        scsim_card *card = open_card(f);

        assert_int_equal(scsim_card_set_fault_hook(card, fail_at_hook, &h), SCSIM_OK);
        assert_int_equal(xmit(card, WRONG, NULL, NULL), 0x63C2);
        assert_int_equal(xmit(card, RIGHT, NULL, NULL), 0x6581);
        assert_int_equal(xmit(card, QUERY, NULL, NULL), 0x63C1);
        run_steps(card,
                  (const char *const[]){"00A4000C020102 -> 9000", "00B0000004 -> 6982", NULL});
        scsim_card_free(&card);
        card = open_card(f);
        assert_int_equal(xmit(card, QUERY, NULL, NULL), 0x63C1);
        scsim_card_free(&card);
}

/*
 * A restore is written without waiting for the disk, into the copy the
 * disk is not sure of; the next commit overwrites that same copy. When that
 * commit fails, at any stage, the restore is still what the file holds
 * (found by fuzz_apdu: the file had fallen back to the decrement before it,
 * two tries below the card in memory).
 */
static void test_failed_write_keeps_restore(void **state)
{
        static const enum scsim_state_stage stages[] = {
            SCSIM_STATE_BEFORE_WRITE, SCSIM_STATE_AFTER_WRITE, SCSIM_STATE_AFTER_SYNC};
        struct state_fx *f = *state;

        for (size_t i = 0; i < sizeof(stages) / sizeof(stages[0]); i++) {
                struct fail_at h = {stages[i], 4, 0, false};
                scsim_card *card = open_card(f);

                assert_int_equal(scsim_card_set_fault_hook(card, fail_at_hook, &h), SCSIM_OK);
                assert_int_equal(xmit(card, WRONG, NULL, NULL), 0x63C2); /* write 1 */
                assert_int_equal(xmit(card, RIGHT, NULL, NULL), 0x9000); /* 2: 1 left, 3: 3 */
                assert_int_equal(xmit(card, WRONG, NULL, NULL), 0x6581); /* 4 fails */
                assert_int_equal(h.writes, 4);
                assert_int_equal(scsim_card_set_fault_hook(card, NULL, NULL), SCSIM_OK);
                scsim_card_free(&card);
                card = open_card(f);
                assert_int_equal(xmit(card, QUERY, NULL, NULL), 0x63C3);
                scsim_card_free(&card);
                unlink(f->path);
        }
}

/* Stages seen per command: how many writes, how many waited for the disk. */
struct counter {
        unsigned writes, syncs;
};

static int count_hook(void *ctx, enum scsim_state_stage stage)
{
        struct counter *c = ctx;

        c->writes += stage == SCSIM_STATE_BEFORE_WRITE;
        c->syncs += stage == SCSIM_STATE_AFTER_SYNC;
        return 0;
}

static void expect_writes(scsim_card *card, struct counter *c, const char *apdu, uint16_t sw,
                          unsigned writes, unsigned syncs)
{
        memset(c, 0, sizeof(*c));
        assert_int_equal(xmit(card, apdu, NULL, NULL), sw);
        if (c->writes != writes || c->syncs != syncs)
                fail_msg("%s: %u writes, %u synced; expected %u, %u", apdu, c->writes, c->syncs,
                         writes, syncs);
}

/*
 * At most one wait for the disk per attempt, right or wrong: the decrement
 * is synced before the comparison. The restore after a match is written but
 * not waited for, or, when the counter was full, not written until the next
 * write or until the card goes: so a decrement the disk already holds (that
 * restore's) is not written again, and right codes on a full counter write
 * nothing. Queries, resets of the status and blocked references write nothing.
 */
static void test_one_sync_per_attempt(void **state)
{
        struct state_fx *f = *state;
        struct counter c;
        scsim_card *card = open_card(f);

        assert_int_equal(scsim_card_set_fault_hook(card, count_hook, &c), SCSIM_OK);
        expect_writes(card, &c, WRONG, 0x63C2, 1, 1);
        expect_writes(card, &c, RIGHT, 0x9000, 2, 1); /* 2 -> 3: the restore written */
        expect_writes(card, &c, RIGHT, 0x9000, 1, 1); /* full: the restore put off */
        expect_writes(card, &c, RIGHT, 0x9000, 0, 0); /* full, the decrement on the disk */
        expect_writes(card, &c, RIGHT, 0x9000, 0, 0);
        expect_writes(card, &c, QUERY, 0x9000, 0, 0);
        expect_writes(card, &c, "0020FF01", 0x9000, 0, 0);
        expect_writes(card, &c, WRONG, 0x63C2, 0, 0); /* the disk holds that try spent */
        expect_writes(card, &c, WRONG, 0x63C1, 1, 1);
        expect_writes(card, &c, WRONG, 0x63C0, 1, 1);
        expect_writes(card, &c, RIGHT, 0x6983, 0, 0);
        scsim_card_free(&card);
}

/*
 * A restore put off (a right code on a full counter) is written when the
 * card goes, or by the next write; a crash before costs that one try only,
 * however many right codes came.
 */
static void test_deferred_restore(void **state)
{
        struct state_fx *f = *state;
        scsim_card *card = open_card(f);
        int status = 0;
        pid_t pid;

        assert_int_equal(xmit(card, RIGHT, NULL, NULL), 0x9000);
        scsim_card_free(&card);
        card = open_card(f);
        assert_int_equal(xmit(card, QUERY, NULL, NULL), 0x63C3);
        scsim_card_free(&card);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                card = open_card(f);
                for (int i = 0; i < 5; i++)
                        if (xmit(card, RIGHT, NULL, NULL) != 0x9000)
                                _exit(2);
                kill(getpid(), SIGKILL);
                _exit(3);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status));
        card = open_card(f);
        assert_int_equal(xmit(card, QUERY, NULL, NULL), 0x63C2);
        scsim_card_free(&card);
        /* the next write carries a put-off restore with it */
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                card = open_card(f);
                if (xmit(card, RIGHT, NULL, NULL) != 0x9000 ||
                    xmit(card, RIGHT, NULL, NULL) != 0x9000 ||
                    xmit(card, "00A4000C020102", NULL, NULL) != 0x9000 ||
                    xmit(card, "00D6000002CAFE", NULL, NULL) != 0x9000)
                        _exit(2);
                kill(getpid(), SIGKILL);
                _exit(3);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status));
        card = open_card(f);
        assert_int_equal(xmit(card, QUERY, NULL, NULL), 0x63C3);
        scsim_card_free(&card);
}

/*
 * Kill a child at a write stage of its first (or second) write after
 * attaching, during apdu; the file must load with expect_query's counter.
 */
static void kill_during_write(struct state_fx *f, enum scsim_state_stage stage, unsigned nth,
                              const char *apdu, uint16_t expect_query)
{
        pid_t pid;
        int status = 0;
        scsim_card *card;

        card = open_card(f);
        assert_int_equal(xmit(card, WRONG, NULL, NULL), 0x63C2);
        scsim_card_free(&card);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                struct fail_at h = {stage, nth, 0, true};
                card = scsim_card_new(f->profile);
                if (card == NULL || scsim_card_attach_state(card, f->path, NULL) != SCSIM_OK ||
                    scsim_card_power_on(card, NULL, NULL) != SCSIM_OK ||
                    scsim_card_set_fault_hook(card, fail_at_hook, &h) != SCSIM_OK)
                        _exit(2);
                xmit(card, apdu, NULL, NULL);
                _exit(0); /* reached only if the fault did not fire */
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status));
        assert_int_equal(WTERMSIG(status), SIGKILL);
        card = open_card(f);
        assert_int_equal(xmit(card, QUERY, NULL, NULL), expect_query);
        scsim_card_free(&card);
        unlink(f->path);
}

static void test_kills_in_the_write_path(void **state)
{
        struct state_fx *f = *state;

        /* before the decrement is written the try is not spent; once the kernel has it, it is */
        kill_during_write(f, SCSIM_STATE_BEFORE_WRITE, 1, WRONG, 0x63C2);
        kill_during_write(f, SCSIM_STATE_AFTER_WRITE, 1, WRONG, 0x63C1);
        kill_during_write(f, SCSIM_STATE_AFTER_SYNC, 1, WRONG, 0x63C1);
        /* a right code: killed before its restore is written, the try stays spent */
        kill_during_write(f, SCSIM_STATE_AFTER_SYNC, 1, RIGHT, 0x63C1);
        kill_during_write(f, SCSIM_STATE_BEFORE_WRITE, 2, RIGHT, 0x63C1);
        /* the restore, not waited for, survives the end of the process */
        kill_during_write(f, SCSIM_STATE_AFTER_WRITE, 2, RIGHT, 0x63C3);
}

/* How many temporaries (NAME.tmp-XXXXXXXXXXXX) the state's directory holds. */
static void expect_temporaries(struct state_fx *f, int n)
{
        char cmd[300];

        snprintf(cmd, sizeof(cmd), "test \"$(ls -A '%s/cards' | grep -c '[.]tmp-')\" = %d", f->dir,
                 n);
        assert_int_equal(system(cmd), 0);
}

/* Attaching writes a new file; killed at any stage of it, the old file or the new one loads. */
static void test_kills_while_attaching(void **state)
{
        static const enum scsim_state_stage stages[] = {
            SCSIM_STATE_BEFORE_WRITE, SCSIM_STATE_AFTER_WRITE, SCSIM_STATE_AFTER_SYNC,
            SCSIM_STATE_AFTER_RENAME};
        struct state_fx *f = *state;

        for (size_t i = 0; i < sizeof(stages) / sizeof(stages[0]); i++) {
                scsim_card *card = open_card(f);
                int status = 0;
                pid_t pid;
                assert_int_equal(xmit(card, WRONG, NULL, NULL), 0x63C2);
                scsim_card_free(&card);
                if ((pid = fork()) == 0) {
                        struct fail_at h = {stages[i], 1, 0, true};
                        card = scsim_card_new(f->profile);
                        if (card == NULL ||
                            scsim_card_set_fault_hook(card, fail_at_hook, &h) != SCSIM_OK)
                                _exit(2);
                        scsim_card_attach_state(card, f->path, NULL);
                        _exit(0);
                }
                assert_true(pid > 0);
                assert_int_equal(waitpid(pid, &status, 0), pid);
                assert_true(WIFSIGNALED(status));
                /* killed between writing a new file and renaming it: the temporary is left */
                expect_temporaries(f, stages[i] == SCSIM_STATE_AFTER_WRITE ||
                                          stages[i] == SCSIM_STATE_AFTER_SYNC);
                card = open_card(f);
                assert_int_equal(xmit(card, QUERY, NULL, NULL), 0x63C2);
                scsim_card_free(&card);
                /* and gone once the file is attached again */
                expect_temporaries(f, 0);
                unlink(f->path);
        }
}

/* Files written by an older scsim (committed fixtures, formats 1 and 2) load and are kept. */
static void test_old_formats_load(void **state)
{
        struct state_fx *f = *state;
        scsim_profile *piv = NULL;
        scsim_card *card;
        uint8_t buf[8192], ch[16];
        size_t n;
        scsim_diag diag;

        assert_int_equal(mkdir(f->dir, 0700) == 0 || errno == EEXIST, 1);
        snprintf(f->path, sizeof(f->path), "%s/format1.state", f->dir);
        n = slurp(SCSIM_SOURCE_DIR "/tests/unit/fixtures/format1.state", buf, sizeof(buf));
        spit(f->path, buf, n);
        card = open_card(f);
        run_steps(card,
                  (const char *const[]){"00200001 -> 63C2", "0020000104 31323334 -> 9000",
                                        "00A4000C020102 -> 9000", "00B0000004 -> CAFEF00D 9000",
                                        "00A4040C07F0534353494D01 -> 9000",
                                        "0020008108 3938373635343332 -> 9000", NULL});
        assert_int_equal(xmit(card, "0084000010", ch, &n), 0x9000);
        assert_int_equal(xmit(card, "0082000110 00000000000000000000000000000000", NULL, NULL),
                         0x63C3);
        scsim_card_free(&card);
        {
                uint8_t *file = malloc(FILE_C);
                assert_non_null(file);
                slurp(f->path, file, FILE_C);
                assert_int_equal(file[9], 3); /* attached: now the two-copy file */
                free(file);
        }

        snprintf(f->path, sizeof(f->path), "%s/format2.state", f->dir);
        n = slurp(SCSIM_SOURCE_DIR "/tests/unit/fixtures/format2.state", buf, sizeof(buf));
        spit(f->path, buf, n);
        assert_int_equal(
            scsim_profile_load_file(SCSIM_SOURCE_DIR "/profiles/piv.yaml", &piv, &diag), SCSIM_OK);
        card = state_card(piv, f->path, SCSIM_OK);
        run_steps(card,
                  (const char *const[]){"00A4040C09A00000030800001000 -> 9000", "00200080 -> 63C2",
                                        "00200080 08 373737373737FFFF -> 9000",
                                        "00CB3FFF 05 5C035FC105 00 -> 53047002CAFE 9000", NULL});
        /* the key generated in slot 9A: P-256, PIN once, touch never, generated */
        assert_int_equal(xmit(card, "00F7009A00", buf, &n), 0x9000);
        assert_memory_equal(buf, "\x01\x01\x11\x02\x02\x02\x01\x03\x01\x01", 10);
        scsim_card_free(&card);
        card = state_card(piv, f->path, SCSIM_OK);
        run_steps(card, (const char *const[]){"00A4040C09A00000030800001000 -> 9000",
                                              "00CB3FFF 05 5C035FC105 00 -> 53047002CAFE 9000",
                                              "00F7009A00 -> *9000", NULL});
        scsim_card_free(&card);
        scsim_profile_free(&piv);
}

/* `scsim state show` reads every format through the decoder and shows no code. */
static void test_show(void **state)
{
        struct state_fx *f = *state;
        scsim_card *card = open_card(f);
        char *text = NULL, fixture[256];
        size_t len = 0;
        FILE *out;
        scsim_diag diag;

        assert_int_equal(xmit(card, WRONG, NULL, NULL), 0x63C2);
        scsim_card_free(&card);
        out = open_memstream(&text, &len);
        assert_non_null(out);
        assert_int_equal(scsim_state_print(f->path, out, &diag), SCSIM_OK);
        fclose(out);
        assert_non_null(strstr(text, "storage:    format 3, two copies"));
        assert_non_null(strstr(text, "not encrypted"));
        assert_non_null(strstr(text, "format:     1\nprofile:    iso7816-chv\n"));
        assert_non_null(strstr(text, "  pin              ref 01  tries  2/3   ok\n"));
        assert_non_null(strstr(text, "  admin            ref 01  tries  5/5   ok\n"));
        assert_non_null(strstr(text, "  secret           0102  64 bytes\n"));
        assert_null(strstr(text, "1234"));
        free(text);

        snprintf(fixture, sizeof(fixture), "%s/tests/unit/fixtures/format2.state",
                 SCSIM_SOURCE_DIR);
        out = open_memstream(&text, &len);
        assert_non_null(out);
        assert_int_equal(scsim_state_print(fixture, out, &diag), SCSIM_OK);
        fclose(out);
        assert_non_null(strstr(text, "storage:    format 2, one copy"));
        assert_non_null(strstr(text, "applications:\n  piv              258 bytes\n"));
        free(text);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_created_private, state_fx_setup,
                                            state_fx_teardown),
            cmocka_unit_test_setup_teardown(test_survives_restart, state_fx_setup,
                                            state_fx_teardown),
            cmocka_unit_test_setup_teardown(test_refuses_bad_images, state_fx_setup,
                                            state_fx_teardown),
            cmocka_unit_test_setup_teardown(test_refuses_bad_files, state_fx_setup,
                                            state_fx_teardown),
            cmocka_unit_test_setup_teardown(test_torn_copy_falls_back, state_fx_setup,
                                            state_fx_teardown),
            cmocka_unit_test_setup_teardown(test_refuses_other_profile, state_fx_setup,
                                            state_fx_teardown),
            cmocka_unit_test_setup_teardown(test_failed_commit_answers_6581, state_fx_setup,
                                            state_fx_teardown),
            cmocka_unit_test_setup_teardown(test_failed_decrement_leaves_counter, state_fx_setup,
                                            state_fx_teardown),
            cmocka_unit_test_setup_teardown(test_failed_restore, state_fx_setup, state_fx_teardown),
            cmocka_unit_test_setup_teardown(test_failed_write_keeps_restore, state_fx_setup,
                                            state_fx_teardown),
            cmocka_unit_test_setup_teardown(test_one_sync_per_attempt, state_fx_setup,
                                            state_fx_teardown),
            cmocka_unit_test_setup_teardown(test_deferred_restore, state_fx_setup,
                                            state_fx_teardown),
            cmocka_unit_test_setup_teardown(test_kills_in_the_write_path, state_fx_setup,
                                            state_fx_teardown),
            cmocka_unit_test_setup_teardown(test_kills_while_attaching, state_fx_setup,
                                            state_fx_teardown),
            cmocka_unit_test_setup_teardown(test_old_formats_load, state_fx_setup,
                                            state_fx_teardown),
            cmocka_unit_test_setup_teardown(test_show, state_fx_setup, state_fx_teardown),
        };
        return cmocka_run_group_tests_name("state", tests, NULL, NULL);
}
