/* SPDX-License-Identifier: MIT */
/* What keeps the bridge's secrets private: its trace file's safe opening, and no core dumps. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "bridge.h"
#include "trace_file.h"

struct dir {
        char path[64];
        char trace[96];
        char other[96];
};

static int dir_setup(void **state)
{
        struct dir *d = calloc(1, sizeof(*d));

        assert_non_null(d);
        snprintf(d->path, sizeof(d->path), "/tmp/scsim-trace.XXXXXX");
        assert_non_null(mkdtemp(d->path));
        snprintf(d->trace, sizeof(d->trace), "%s/apdus.trace", d->path);
        snprintf(d->other, sizeof(d->other), "%s/other", d->path);
        *state = d;
        return 0;
}

static int dir_teardown(void **state)
{
        struct dir *d = *state;

        unlink(d->trace);
        unlink(d->other);
        rmdir(d->path);
        free(d);
        return 0;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
        FILE *f = fopen(path, "w");

        assert_non_null(f);
        fputs(text, f);
        fclose(f);
        assert_int_equal(chmod(path, mode), 0);
}

static void expect_content(const char *path, const char *want)
{
        char got[256] = "";
        FILE *f = fopen(path, "r");

        assert_non_null(f);
        size_t n = fread(got, 1, sizeof(got) - 1, f);
        got[n] = '\0';
        fclose(f);
        assert_string_equal(got, want);
}

static mode_t mode_of(const char *path)
{
        struct stat st;

        assert_int_equal(lstat(path, &st), 0);
        return st.st_mode & 07777;
}

/* Whatever the umask, a new trace is 0600; an old one of ours is started anew and made 0600. */
static void test_new_and_old(void **state)
{
        struct dir *d = *state;
        char err[256];
        mode_t old_mask = umask(0);
        FILE *f = bridge_trace_open(d->trace, false, err, sizeof(err));

        umask(old_mask);
        assert_non_null(f);
        fputs("one\n", f);
        fclose(f);
        assert_int_equal(mode_of(d->trace), 0600);
        assert_int_equal(chmod(d->trace, 0644), 0);
        f = bridge_trace_open(d->trace, false, err, sizeof(err));
        assert_non_null(f);
        fputs("two\n", f);
        fclose(f);
        expect_content(d->trace, "two\n");
        assert_int_equal(mode_of(d->trace), 0600);
        f = bridge_trace_open(d->trace, true, err, sizeof(err));
        assert_non_null(f);
        fputs("three\n", f);
        fclose(f);
        expect_content(d->trace, "two\nthree\n");
}

/* A symlink planted where the trace goes is not followed: its target keeps its bytes. */
static void test_symlink(void **state)
{
        struct dir *d = *state;
        char err[256] = "";

        write_file(d->other, "someone's file\n", 0644);
        assert_int_equal(symlink(d->other, d->trace), 0);
        assert_null(bridge_trace_open(d->trace, false, err, sizeof(err)));
        assert_non_null(strstr(err, "symbolic link"));
        expect_content(d->other, "someone's file\n");
        assert_int_equal(mode_of(d->other), 0644);
}

/* A FIFO is refused at once, with or without a reader: opening it never waits. */
static void test_fifo(void **state)
{
        struct dir *d = *state;
        char err[256] = "";
        int reader;

        assert_int_equal(mkfifo(d->trace, 0600), 0);
        assert_null(bridge_trace_open(d->trace, false, err, sizeof(err)));
        assert_non_null(strstr(err, "FIFO, not a regular file"));
        reader = open(d->trace, O_RDONLY | O_NONBLOCK);
        assert_true(reader >= 0);
        err[0] = '\0';
        assert_null(bridge_trace_open(d->trace, false, err, sizeof(err)));
        assert_non_null(strstr(err, "FIFO, not a regular file"));
        close(reader);
}

static void test_directory(void **state)
{
        struct dir *d = *state;
        char err[256] = "";

        assert_null(bridge_trace_open(d->path, false, err, sizeof(err)));
        assert_non_null(strstr(err, "directory, not a regular file"));
}

/* Another name for the same file could be one someone else reads. */
static void test_hard_link(void **state)
{
        struct dir *d = *state;
        char err[256] = "";

        write_file(d->other, "kept\n", 0600);
        assert_int_equal(link(d->other, d->trace), 0);
        assert_null(bridge_trace_open(d->trace, false, err, sizeof(err)));
        assert_non_null(strstr(err, "hard links"));
        expect_content(d->other, "kept\n");
}

/* A file someone else made is theirs: not written, not truncated. Needs root to stage. */
static void test_other_owner(void **state)
{
        struct dir *d = *state;
        char err[256] = "";

        if (geteuid() != 0)
                skip();
        write_file(d->trace, "theirs\n", 0666);
        assert_int_equal(chown(d->trace, 65534, 65534), 0);
        assert_null(bridge_trace_open(d->trace, false, err, sizeof(err)));
        assert_non_null(strstr(err, "belongs to uid 65534"));
        expect_content(d->trace, "theirs\n");
        assert_int_equal(mode_of(d->trace), 0666);
}

/* In a child, since it cannot be undone: raise the core limit, then turn dumps off. */
static void test_no_core_dumps(void **state)
{
        int status = 0;
        pid_t pid;

        (void)state;
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                struct rlimit lim;
                int bad = 0;
                (void)getrlimit(RLIMIT_CORE, &lim);
                lim.rlim_cur = lim.rlim_max;
                (void)setrlimit(RLIMIT_CORE, &lim);
                if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 1)
                        bad |= 1; /* the check below would prove nothing */
                if (bridge_no_core_dumps() != 0)
                        bad |= 2;
                if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
                        bad |= 4;
                if (getrlimit(RLIMIT_CORE, &lim) != 0 || lim.rlim_cur != 0 || lim.rlim_max != 0)
                        bad |= 8;
                _exit(bad);
        }
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_new_and_old, dir_setup, dir_teardown),
            cmocka_unit_test_setup_teardown(test_symlink, dir_setup, dir_teardown),
            cmocka_unit_test_setup_teardown(test_fifo, dir_setup, dir_teardown),
            cmocka_unit_test_setup_teardown(test_directory, dir_setup, dir_teardown),
            cmocka_unit_test_setup_teardown(test_hard_link, dir_setup, dir_teardown),
            cmocka_unit_test_setup_teardown(test_other_owner, dir_setup, dir_teardown),
            cmocka_unit_test(test_no_core_dumps),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
