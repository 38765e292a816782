/* SPDX-License-Identifier: MIT */
/*
 * State files no one else can plant, share or hijack: temporaries, loose
 * modes, foreign owners, symbolic links, FIFOs, the lock, directories and
 * mounts that cannot take a write, and encryption with a key file.
 */
#define _GNU_SOURCE /* unshare */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "card_steps.h"
#include "state_helpers.h"

#define WRONG   "0020000104 31313131"
#define RIGHT   "0020000104 31323334"
#define QUERY   "00200001"
#define NOBODY  65534
#define FILE_C  65536
#define HEX_KEY "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static void expect_attach(struct state_fx *f, int rc, const char *want)
{
        scsim_card *card = scsim_card_new(f->profile);
        scsim_diag diag;
        int got;

        assert_non_null(card);
        memset(&diag, 0, sizeof(diag));
        got = scsim_card_attach_state(card, f->path, &diag);
        if (got != rc || strstr(diag.message, want) == NULL)
                fail_msg("attach %s: %d '%s'; expected %d '%s'", f->path, got, diag.message, rc,
                         want);
        scsim_card_free(&card);
}

static void cards_dir(struct state_fx *f, char *buf, size_t cap)
{
        snprintf(buf, cap, "%s/cards", f->dir);
}

/* A temporary planted where an older scsim wrote its own is never used. */
static void test_planted_temporaries(void **state)
{
        struct state_fx *f = *state;
        char tmp[300], victim[300];
        uint8_t before[64];
        scsim_card *card;
        struct stat sb;
        int fd;

        card = state_card(f->profile, f->path, SCSIM_OK);
        snprintf(victim, sizeof(victim), "%s/victim", f->dir);
        spit(victim, (const uint8_t *)"do not touch", 12);
        snprintf(tmp, sizeof(tmp), "%s.tmp", f->path);
        assert_int_equal(symlink(victim, tmp), 0);
        assert_int_equal(xmit(card, WRONG, NULL, NULL), 0x63C2);
        assert_int_equal(xmit(card, RIGHT, NULL, NULL), 0x9000);
        scsim_card_free(&card);
        /* a planted world-writable file of another user, too */
        unlink(tmp);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0666);
        assert_true(fd >= 0);
        assert_int_equal(fchmod(fd, 0666), 0);
        if (geteuid() == 0)
                assert_int_equal(fchown(fd, NOBODY, NOBODY), 0);
        close(fd);
        card = state_card(f->profile, f->path, SCSIM_OK);
        assert_int_equal(xmit(card, WRONG, NULL, NULL), 0x63C2);
        scsim_card_free(&card);

        assert_int_equal(slurp(victim, before, sizeof(before)), 12);
        assert_memory_equal(before, "do not touch", 12);
        assert_int_equal(lstat(f->path, &sb), 0);
        assert_true(S_ISREG(sb.st_mode));
        assert_int_equal(sb.st_uid, geteuid());
        assert_int_equal(sb.st_mode & 0777, 0600);
        assert_int_equal(lstat(tmp, &sb), 0);
        assert_int_equal(sb.st_size, 0); /* never written */
}

/* Files and directories someone else could change are refused, each with its reason. */
static void test_refuses_unsafe(void **state)
{
        struct state_fx *f = *state;
        char dir[128], real[300], link_dir[128];
        scsim_card *card = state_card(f->profile, f->path, SCSIM_OK);

        scsim_card_free(&card);
        cards_dir(f, dir, sizeof(dir));

        assert_int_equal(chmod(f->path, 0644), 0);
        expect_attach(f, SCSIM_ERR_STATE, "read or written by group or others (mode 0644)");
        assert_int_equal(chmod(f->path, 0620), 0);
        expect_attach(f, SCSIM_ERR_STATE, "read or written by group or others (mode 0620)");
        assert_int_equal(chmod(f->path, 0600), 0);

        assert_int_equal(chmod(dir, 0777), 0);
        expect_attach(f, SCSIM_ERR_STATE, "writable by group or others (mode 0777)");
        /* sticky, as /tmp: others may add files but not rename or remove ours */
        assert_int_equal(chmod(dir, 01777), 0);
        expect_attach(f, SCSIM_OK, "");
        assert_int_equal(chmod(dir, 0700), 0);

        if (geteuid() == 0) { /* only root can give a file away */
                assert_int_equal(chown(f->path, NOBODY, NOBODY), 0);
                expect_attach(f, SCSIM_ERR_STATE, "belongs to another user (uid 65534)");
                assert_int_equal(chown(f->path, geteuid(), getegid()), 0);
                assert_int_equal(chown(dir, NOBODY, NOBODY), 0);
                expect_attach(f, SCSIM_ERR_STATE, "belongs to another user (uid 65534)");
                assert_int_equal(chown(dir, geteuid(), getegid()), 0);
        }

        /* the state file a symbolic link */
        snprintf(real, sizeof(real), "%s/real.state", dir);
        assert_int_equal(rename(f->path, real), 0);
        assert_int_equal(symlink(real, f->path), 0);
        expect_attach(f, SCSIM_ERR_STATE, "is a symbolic link");
        assert_int_equal(unlink(f->path), 0);
        assert_int_equal(rename(real, f->path), 0);

        /* its directory a symbolic link */
        snprintf(link_dir, sizeof(link_dir), "%s/linked", f->dir);
        assert_int_equal(symlink(dir, link_dir), 0);
        snprintf(f->path, sizeof(f->path), "%s/card.state", link_dir);
        expect_attach(f, SCSIM_ERR_STATE, "is a symbolic link");
        snprintf(f->path, sizeof(f->path), "%s/card.state", dir);
        card = state_card(f->profile, f->path, SCSIM_OK);
        scsim_card_free(&card);
}

/* A FIFO is refused at once, never waited on: as state, as key, and by `state show`. */
static void test_fifo_refused(void **state)
{
        struct state_fx *f = *state;
        char dir[128];
        uint8_t key[SCSIM_STATE_KEY_LEN];
        scsim_diag diag;

        cards_dir(f, dir, sizeof(dir));
        assert_int_equal(mkdir(dir, 0700), 0);
        assert_int_equal(mkfifo(f->path, 0600), 0);
        alarm(20); /* a hang fails the test instead of stalling the suite */
        expect_attach(f, SCSIM_ERR_STATE, "a FIFO, not a regular file");
        assert_int_equal(scsim_state_print(f->path, stdout, &diag), SCSIM_ERR_STATE);
        assert_int_equal(scsim_state_key_read(f->path, key, &diag), SCSIM_ERR_STATE);
        assert_non_null(strstr(diag.message, "a FIFO"));
        alarm(0);
}

/* One state file, one card: a second user, in this process or another, is told who holds it. */
static void test_locked_for_the_card_life(void **state)
{
        struct state_fx *f = *state;
        char want[64], lock[300];
        int ready[2], go[2], status = 0;
        scsim_card *card = state_card(f->profile, f->path, SCSIM_OK);
        pid_t pid;

        snprintf(want, sizeof(want), "in use by process %ld", (long)getpid());
        expect_attach(f, SCSIM_ERR_BUSY, want);
        scsim_card_free(&card);
        card = state_card(f->profile, f->path, SCSIM_OK);
        scsim_card_free(&card);

        assert_int_equal(pipe(ready), 0);
        assert_int_equal(pipe(go), 0);
        if ((pid = fork()) == 0) {
                char c = 0;
                card = scsim_card_new(f->profile);
                if (card == NULL || scsim_card_attach_state(card, f->path, NULL) != SCSIM_OK)
                        _exit(2);
                if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
                        _exit(3);
                scsim_card_free(&card);
                _exit(0);
        }
        assert_true(pid > 0);
        {
                char c;
                assert_int_equal(read(ready[0], &c, 1), 1);
        }
        snprintf(want, sizeof(want), "in use by process %ld", (long)pid);
        expect_attach(f, SCSIM_ERR_BUSY, want);
        snprintf(lock, sizeof(lock), "%s.lock", f->path);
        expect_attach(f, SCSIM_ERR_BUSY, lock);
        assert_int_equal(scsim_state_reset(f->profile, f->path, NULL), SCSIM_ERR_BUSY);
        assert_int_equal(write(go[1], "g", 1), 1);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        card = state_card(f->profile, f->path, SCSIM_OK);
        scsim_card_free(&card);
        close(ready[0]);
        close(ready[1]);
        close(go[0]);
        close(go[1]);
}

/* Temporaries a kill left behind go at the next attach; others' files stay. */
static void test_sweeps_own_temporaries(void **state)
{
        struct state_fx *f = *state;
        char ours[300], theirs[300], other[300];
        scsim_card *card = state_card(f->profile, f->path, SCSIM_OK);
        struct stat sb;

        scsim_card_free(&card);
        snprintf(ours, sizeof(ours), "%s.tmp-0123456789ab", f->path);
        snprintf(theirs, sizeof(theirs), "%s.tmp-ba9876543210", f->path);
        snprintf(other, sizeof(other), "%s.tmp-keep", f->path);
        spit(ours, (const uint8_t *)"x", 1);
        spit(theirs, (const uint8_t *)"x", 1);
        if (geteuid() != 0)
                skip();
        assert_int_equal(chown(theirs, NOBODY, NOBODY), 0);
        spit(other, (const uint8_t *)"x", 1);
        card = state_card(f->profile, f->path, SCSIM_OK);
        scsim_card_free(&card);
        assert_int_equal(stat(ours, &sb), -1);
        assert_int_equal(stat(theirs, &sb), 0);
        assert_int_equal(stat(other, &sb), 0);
}

/*
 * In a private mount namespace (root only): a read-only mount and a full
 * file system are refused when the card is attached, not at its first
 * VERIFY; a card attached before the disk filled up keeps working, since a
 * commit writes in place.
 */
static int in_namespace(struct state_fx *f)
{
        char dir[128], fill[300];
        scsim_card *card;
        scsim_diag diag;
        int fd;

        cards_dir(f, dir, sizeof(dir));
        if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
                return 77;
        /* read-only: a bind mount of the directory over itself */
        if ((card = scsim_card_new(f->profile)) == NULL ||
            scsim_card_attach_state(card, f->path, NULL) != SCSIM_OK)
                return 10;
        scsim_card_free(&card);
        if (mount(dir, dir, NULL, MS_BIND, NULL) != 0 ||
            mount(NULL, dir, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) != 0)
                return 77;
        card = scsim_card_new(f->profile);
        if (scsim_card_attach_state(card, f->path, &diag) != SCSIM_ERR_IO ||
            strstr(diag.message, "Read-only file system") == NULL) {
                fprintf(stderr, "read-only: %s\n", diag.message);
                return 11;
        }
        scsim_card_free(&card);
        if (umount(dir) != 0 || mount("scsim", dir, "tmpfs", 0, "size=64k,mode=0700") != 0)
                return 77;
        /* a full tmpfs: a card attached before it filled keeps working */
        card = scsim_card_new(f->profile);
        if (scsim_card_attach_state(card, f->path, &diag) != SCSIM_OK ||
            scsim_card_power_on(card, NULL, NULL) != SCSIM_OK) {
                fprintf(stderr, "tmpfs: %s\n", diag.message);
                return 12;
        }
        snprintf(fill, sizeof(fill), "%s/fill", dir);
        if ((fd = open(fill, O_WRONLY | O_CREAT, 0600)) < 0)
                return 13;
        while (write(fd, fill, sizeof(fill)) > 0)
                continue;
        close(fd);
        if (xmit(card, WRONG, NULL, NULL) != 0x63C2 || xmit(card, RIGHT, NULL, NULL) != 0x9000)
                return 14;
        scsim_card_free(&card);
        card = scsim_card_new(f->profile);
        if (scsim_card_attach_state(card, f->path, &diag) != SCSIM_ERR_IO ||
            strstr(diag.message, "No space left on device") == NULL) {
                fprintf(stderr, "full: %s\n", diag.message);
                return 15;
        }
        scsim_card_free(&card);
        return 0;
}

static void test_unwritable_refused_at_attach(void **state)
{
        struct state_fx *f = *state;
        int status = 0;
        pid_t pid;

        if (geteuid() != 0)
                skip();
        if ((pid = fork()) == 0)
                _exit(in_namespace(f));
        assert_true(pid > 0);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) == 77)
                skip();
        assert_int_equal(WEXITSTATUS(status), 0);
}

static void write_key_file(const char *path, const char *text, mode_t mode)
{
        spit(path, (const uint8_t *)text, strlen(text));
        assert_int_equal(chmod(path, mode), 0);
}

/* A key file is read as 64 hex digits or 32 bytes, and checked as a state file is. */
static void test_key_files(void **state)
{
        struct state_fx *f = *state;
        uint8_t key[SCSIM_STATE_KEY_LEN], raw[SCSIM_STATE_KEY_LEN];
        char path[300], link[300];
        scsim_diag diag;

        snprintf(path, sizeof(path), "%s/key", f->dir);
        write_key_file(path, HEX_KEY "\n", 0600);
        assert_int_equal(scsim_state_key_read(path, key, &diag), SCSIM_OK);
        for (size_t i = 0; i < sizeof(raw); i++)
                raw[i] = (uint8_t)i;
        assert_memory_equal(key, raw, sizeof(raw));
        spit(path, raw, sizeof(raw));
        memset(key, 0, sizeof(key));
        assert_int_equal(scsim_state_key_read(path, key, &diag), SCSIM_OK);
        assert_memory_equal(key, raw, sizeof(raw));

        write_key_file(path, HEX_KEY "\n", 0640);
        assert_int_equal(scsim_state_key_read(path, key, &diag), SCSIM_ERR_STATE);
        assert_non_null(strstr(diag.message, "group or others"));
        write_key_file(path, "0123456789\n", 0600);
        assert_int_equal(scsim_state_key_read(path, key, &diag), SCSIM_ERR_STATE);
        assert_non_null(strstr(diag.message, "not a state key"));
        write_key_file(path, HEX_KEY "\n", 0600);
        snprintf(link, sizeof(link), "%s/key-link", f->dir);
        assert_int_equal(symlink(path, link), 0);
        assert_int_equal(scsim_state_key_read(link, key, &diag), SCSIM_ERR_STATE);
        assert_non_null(strstr(diag.message, "symbolic link"));
}

static bool contains(const uint8_t *hay, size_t n, const char *needle)
{
        size_t k = strlen(needle);

        for (size_t i = 0; i + k <= n; i++)
                if (memcmp(hay + i, needle, k) == 0)
                        return true;
        return false;
}

static scsim_card *keyed_card(struct state_fx *f, const uint8_t *key, int expect, char *msg)
{
        scsim_card *card = scsim_card_new(f->profile);
        scsim_diag diag;
        int rc;

        assert_non_null(card);
        if (key != NULL)
                assert_int_equal(scsim_card_set_state_key(card, key, SCSIM_STATE_KEY_LEN),
                                 SCSIM_OK);
        memset(&diag, 0, sizeof(diag));
        rc = scsim_card_attach_state(card, f->path, &diag);
        if (rc != expect)
                fail_msg("attach: %d (%s), expected %d", rc, diag.message, expect);
        if (msg != NULL)
                snprintf(msg, 512, "%s", diag.message);
        if (rc != SCSIM_OK) {
                scsim_card_free(&card);
                return NULL;
        }
        assert_int_equal(scsim_card_power_on(card, NULL, NULL), SCSIM_OK);
        return card;
}

/* With a key, no code is in the file; without it, or with another, the file is refused. */
struct pin_seen {
        int header;
        unsigned pin_tries;
};

static void see_pin(void *arg, const scsim_state_record *r)
{
        struct pin_seen *s = arg;

        s->header += r->kind == SCSIM_STATE_HEADER;
        if (r->kind == SCSIM_STATE_CHV && strcmp(r->name, "pin") == 0)
                s->pin_tries = r->tries;
}

static void test_encrypted(void **state)
{
        struct pin_seen seen;
        struct state_fx *f = *state;
        uint8_t key[SCSIM_STATE_KEY_LEN], other[SCSIM_STATE_KEY_LEN], *file = malloc(FILE_C);
        char msg[512], *text = NULL;
        size_t n, tlen = 0;
        scsim_card *card;
        scsim_diag diag;
        FILE *out;
        long at;

        assert_non_null(file);
        memset(key, 0x5a, sizeof(key));
        memset(other, 0xa5, sizeof(other));
        /* a plain file becomes encrypted when attached with a key */
        card = state_card(f->profile, f->path, SCSIM_OK);
        scsim_card_free(&card);
        card = keyed_card(f, key, SCSIM_OK, NULL);
        run_steps(card, (const char *const[]){"00A4040C07F0534353494D01 -> 9000",
                                              "002400810E 303030303030 3938373635343332 -> 9000",
                                              "00A4000C023F00 -> 9000", WRONG " -> 63C2", NULL});
        scsim_card_free(&card);
        n = slurp(f->path, file, FILE_C);
        assert_int_equal(file[11], 1); /* flags: encrypted */
        assert_false(contains(file, n, "98765432"));
        assert_false(contains(file, n, "1234"));
        assert_false(contains(file, n, "iso7816-chv"));

        keyed_card(f, NULL, SCSIM_ERR_STATE, msg);
        assert_non_null(strstr(msg, "is encrypted: give its key"));
        keyed_card(f, other, SCSIM_ERR_STATE, msg);
        assert_non_null(strstr(msg, "another key"));
        card = keyed_card(f, key, SCSIM_OK, NULL);
        run_steps(card, (const char *const[]){QUERY " -> 63C2", "00A4040C07F0534353494D01 -> 9000",
                                              "0020008108 3938373635343332 -> 9000", NULL});
        assert_int_equal(xmit(card, WRONG, NULL, NULL), 0x63C1);
        scsim_card_free(&card);

        out = open_memstream(&text, &tlen);
        assert_non_null(out);
        assert_int_equal(scsim_state_print_key(f->path, key, sizeof(key), out, &diag), SCSIM_OK);
        fclose(out);
        assert_non_null(strstr(text, "encrypted (AES-256-GCM)"));
        assert_non_null(strstr(text, "  pin              ref 01  tries  1/3   ok\n"));
        free(text);
        assert_int_equal(scsim_state_print(f->path, stdout, &diag), SCSIM_ERR_STATE);
        /* the records as data, with the key only */
        memset(&seen, 0, sizeof(seen));
        assert_int_equal(scsim_state_inspect_key(f->path, key, sizeof(key), see_pin, &seen, &diag),
                         SCSIM_OK);
        assert_int_equal(seen.header, 1);
        assert_int_equal(seen.pin_tries, 1);
        assert_int_equal(scsim_state_inspect(f->path, see_pin, &seen, &diag), SCSIM_ERR_STATE);
        assert_int_equal(seen.header, 1);

        /* a changed byte in the newest copy fails its tag: the copy before it is loaded */
        n = slurp(f->path, file, FILE_C);
        at = (long)(4096u +
                    (unsigned)((file[12] << 24 | file[13] << 16 | file[14] << 8 | file[15])));
        file[(file[4096 + 7] > file[at + 7] ? 4096 : at) + 40] ^= 1;
        spit(f->path, file, n);
        card = keyed_card(f, key, SCSIM_OK, NULL);
        assert_int_equal(xmit(card, QUERY, NULL, NULL), 0x63C2);
        scsim_card_free(&card);

        assert_int_equal(scsim_state_reset_key(f->profile, f->path, key, sizeof(key), &diag),
                         SCSIM_OK);
        card = keyed_card(f, key, SCSIM_OK, NULL);
        assert_int_equal(xmit(card, QUERY, NULL, NULL), 0x63C3);
        scsim_card_free(&card);
        free(file);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_planted_temporaries, state_fx_setup,
                                            state_fx_teardown),
            cmocka_unit_test_setup_teardown(test_refuses_unsafe, state_fx_setup, state_fx_teardown),
            cmocka_unit_test_setup_teardown(test_fifo_refused, state_fx_setup, state_fx_teardown),
            cmocka_unit_test_setup_teardown(test_locked_for_the_card_life, state_fx_setup,
                                            state_fx_teardown),
            cmocka_unit_test_setup_teardown(test_sweeps_own_temporaries, state_fx_setup,
                                            state_fx_teardown),
            cmocka_unit_test_setup_teardown(test_unwritable_refused_at_attach, state_fx_setup,
                                            state_fx_teardown),
            cmocka_unit_test_setup_teardown(test_key_files, state_fx_setup, state_fx_teardown),
            cmocka_unit_test_setup_teardown(test_encrypted, state_fx_setup, state_fx_teardown),
        };
        return cmocka_run_group_tests_name("state files", tests, NULL, NULL);
}
