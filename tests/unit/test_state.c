/* SPDX-License-Identifier: MIT */
/* Durable state: persistence across restarts, refusal of bad files, kills inside the write path. */
#include <setjmp.h>
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
#include <openssl/sha.h>

#include "card_steps.h"
#include "profile/model.h"

struct fixture {
        char dir[64];
        char path[128];
        scsim_profile *profile;
};

static int setup(void **state)
{
        struct fixture *f = calloc(1, sizeof(*f));

        if (f == NULL)
                return -1;
        snprintf(f->dir, sizeof(f->dir), "/tmp/scsim-state-XXXXXX");
        if (mkdtemp(f->dir) == NULL)
                return -1;
        snprintf(f->path, sizeof(f->path), "%s/cards/card.state", f->dir);
        if (scsim_profile_default(&f->profile) != SCSIM_OK)
                return -1;
        *state = f;
        return 0;
}

static int teardown(void **state)
{
        struct fixture *f = *state;
        char cmd[160];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
        if (system(cmd) != 0)
                return -1;
        scsim_profile_free(&f->profile);
        free(f);
        return 0;
}

static scsim_card *open_card(struct fixture *f)
{
        scsim_card *card = scsim_card_new(f->profile);
        scsim_diag diag;

        assert_non_null(card);
        if (scsim_card_attach_state(card, f->path, &diag) != SCSIM_OK)
                fail_msg("attach: %s: %s", diag.file, diag.message);
        assert_int_equal(scsim_card_power_on(card, NULL, NULL), SCSIM_OK);
        return card;
}

static size_t slurp(const char *path, uint8_t *buf, size_t cap)
{
        FILE *fp = fopen(path, "rb");
        size_t n;

        assert_non_null(fp);
        n = fread(buf, 1, cap, fp);
        fclose(fp);
        return n;
}

static void spit(const char *path, const uint8_t *buf, size_t n)
{
        FILE *fp = fopen(path, "wb");

        assert_non_null(fp);
        assert_int_equal(fwrite(buf, 1, n, fp), n);
        fclose(fp);
}

static void test_created_private(void **state)
{
        struct fixture *f = *state;
        scsim_card *card = open_card(f);
        struct stat sb;
        char dir[128];

        assert_int_equal(stat(f->path, &sb), 0);
        assert_int_equal(sb.st_mode & 0777, 0600);
        snprintf(dir, sizeof(dir), "%s/cards", f->dir);
        assert_int_equal(stat(dir, &sb), 0);
        assert_int_equal(sb.st_mode & 0777, 0700);
        scsim_card_free(&card);
}

static void test_survives_restart(void **state)
{
        struct fixture *f = *state;
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

static void expect_refused(struct fixture *f, const char *want)
{
        scsim_card *card = scsim_card_new(f->profile);
        scsim_diag diag;
        uint8_t before[8192], after[8192];
        size_t nb = slurp(f->path, before, sizeof(before)), na;

        assert_non_null(card);
        assert_int_equal(scsim_card_attach_state(card, f->path, &diag), SCSIM_ERR_STATE);
        if (strstr(diag.message, want) == NULL)
                fail_msg("expected '%s' in '%s'", want, diag.message);
        assert_string_equal(diag.file, f->path);
        na = slurp(f->path, after, sizeof(after));
        assert_int_equal(na, nb);
        assert_memory_equal(before, after, nb);
        scsim_card_free(&card);
}

static void reseal(uint8_t *buf, size_t n)
{
        SHA256(buf, n - 32, buf + n - 32);
}

static void test_refuses_bad_files(void **state)
{
        struct fixture *f = *state;
        scsim_card *card = open_card(f);
        uint8_t good[8192], bad[8192];
        size_t n;

        scsim_card_free(&card);
        n = slurp(f->path, good, sizeof(good));
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
        bad[9] = 9; /* a format this scsim does not know (2 adds application records) */
        reseal(bad, n);
        spit(f->path, bad, n);
        expect_refused(f, "written by a newer scsim");

        /* a record that claims more tries than the reference allows */
        memcpy(bad, good, n);
        bad[8 + 2 + 48 + 1 + 48 + 3] = 9;
        reseal(bad, n);
        spit(f->path, bad, n);
        expect_refused(f, "impossible values");

        spit(f->path, good, n);
        card = open_card(f);
        scsim_card_free(&card);
}

static void test_refuses_other_profile(void **state)
{
        struct fixture *f = *state;
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
        struct fixture *f = *state;
        scsim_card *card = open_card(f);
        char tmp[160];

        snprintf(tmp, sizeof(tmp), "%s.tmp", f->path);
        assert_int_equal(mkdir(tmp, 0700), 0); /* the temporary file cannot be created */
        assert_int_equal(xmit(card, "0020000104 31313131", NULL, NULL), 0x6581);
        assert_int_equal(xmit(card, "0020000104 31323334", NULL, NULL), 0x6581);
        assert_int_equal(rmdir(tmp), 0);
        /* the tries spent while the state could not be written stay spent */
        assert_int_equal(xmit(card, "00200001", NULL, NULL), 0x63C1);
        scsim_card_free(&card);
        card = open_card(f);
        assert_int_equal(xmit(card, "00200001", NULL, NULL), 0x63C3);
        scsim_card_free(&card);
}

/* Kill a child at a write stage during a wrong VERIFY; the file must load with 2 or 3 tries. */
static void kill_during_write(struct fixture *f, const char *fault, uint16_t expect_query)
{
        pid_t pid;
        int status = 0;
        scsim_card *card;

        card = open_card(f);
        scsim_card_free(&card);
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                setenv("SCSIM_TEST_FAULT", fault, 1);
                card = open_card(f);
                xmit(card, "0020000104 31313131", NULL, NULL);
                _exit(0); /* reached only if the fault did not fire */
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status));
        assert_int_equal(WTERMSIG(status), SIGKILL);
        card = open_card(f);
        assert_int_equal(xmit(card, "00200001", NULL, NULL), expect_query);
        scsim_card_free(&card);
        unlink(f->path);
}

static void test_kills_in_the_write_path(void **state)
{
        struct fixture *f = *state;

        /* the first commit of the child is the decrement before the comparison */
        kill_during_write(f, "after-tmp-write:1", 0x63C3);
        kill_during_write(f, "after-fsync:1", 0x63C3);
        kill_during_write(f, "after-rename:1", 0x63C2);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_created_private, setup, teardown),
            cmocka_unit_test_setup_teardown(test_survives_restart, setup, teardown),
            cmocka_unit_test_setup_teardown(test_refuses_bad_files, setup, teardown),
            cmocka_unit_test_setup_teardown(test_refuses_other_profile, setup, teardown),
            cmocka_unit_test_setup_teardown(test_failed_commit_answers_6581, setup, teardown),
            cmocka_unit_test_setup_teardown(test_kills_in_the_write_path, setup, teardown),
        };
        return cmocka_run_group_tests_name("state", tests, NULL, NULL);
}
