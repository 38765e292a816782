/* SPDX-License-Identifier: MIT */
/* scsim run --start, --stop and --wait: a run that outlives the shell command that started it. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run.h"

/* The supervisor: set up, hand the environment to the waiting caller, serve until --stop. */
static void supervisor(struct run_env *e, int notify)
{
        FILE *out;
        int rc, sig = 0;
        char text[32];

        e->notify_fd = notify;
        (void)setsid();
        /* Our stdout may be $(...) in a shell: it must not stay open in the daemons. */
        if (redirect(0, NULL, NULL) != 0 || redirect(1, NULL, NULL) != 0)
                _exit(RUN_EXIT_FAILED);
        rc = run_setup(e);
        if (rc != EXIT_OK) {
                run_teardown(e);
                _exit(rc);
        }
        snprintf(text, sizeof(text), "%ld\n", (long)getpid());
        out = fdopen(notify, "w");
        if (write_file(e->dir, PID_FILE, text) != 0 || out == NULL) {
                run_teardown(e);
                _exit(RUN_EXIT_FAILED);
        }
        print_env(e, out);
        fclose(out);
        e->notify_fd = -1;
        if (redirect(2, e->dir, "supervisor.log") != 0)
                (void)redirect(2, NULL, NULL);
        (void)run_supervise(e, &sig);
        fprintf(stderr, "scsim run: stopping (signal %d)\n", sig);
        run_teardown(e);
        _exit(EXIT_OK);
}

/*
 * --start: a supervisor process in its own session keeps pcscd and the
 * bridge, and tears them down on SIGTERM (--stop). The caller gets the
 * environment through a pipe once everything is ready, and returns.
 */
int run_start(struct run_env *e)
{
        int pfd[2], status;
        char buf[8192];
        size_t got = 0;
        ssize_t n;
        pid_t pid;

        if (pipe2(pfd, O_CLOEXEC) != 0)
                return RUN_EXIT_FAILED;
        fflush(NULL);
        pid = fork();
        if (pid < 0)
                return RUN_EXIT_FAILED;
        if (pid == 0) {
                close(pfd[0]);
                supervisor(e, pfd[1]);
        }
        close(pfd[1]);
        while (got < sizeof(buf) - 1) {
                n = read(pfd[0], buf + got, sizeof(buf) - 1 - got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                got += (size_t)n;
        }
        close(pfd[0]);
        buf[got] = '\0';
        if (got == 0) {
                if (waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
                    WEXITSTATUS(status) != 0)
                        return WEXITSTATUS(status);
                return RUN_EXIT_FAILED;
        }
        fputs(buf, stdout);
        return EXIT_OK;
}
int run_stop(const struct run_opts *o)
{
        const char *dir = dir_argument(o);
        long pid;
        int pfd;
        struct stat st;

        if (dir == NULL)
                return RUN_EXIT_FAILED;
        if (read_number_file(dir, PID_FILE, &pid) != 0 || pid > INT_MAX) {
                fprintf(stderr, "scsim run: %s/%s: not found or unreadable: nothing to stop\n", dir,
                        PID_FILE);
                return RUN_EXIT_FAILED;
        }
        pfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
        if (pfd < 0) {
                fprintf(stderr, "scsim run: supervisor %ld is gone: %s\n", pid, strerror(errno));
                return RUN_EXIT_FAILED;
        }
        if (kill((pid_t)pid, SIGTERM) != 0) {
                fprintf(stderr, "scsim run: cannot signal %ld: %s\n", pid, strerror(errno));
                close(pfd);
                return RUN_EXIT_FAILED;
        }
        /* The supervisor's exit is the event: its teardown has finished by then. */
        struct pollfd p = {.fd = pfd, .events = POLLIN};
        int r = poll(&p, 1, 3 * STOP_GRACE_MS);
        close(pfd);
        if (r <= 0) {
                fprintf(stderr, "scsim run: supervisor %ld did not stop in time\n", pid);
                return RUN_EXIT_FAILED;
        }
        if (stat(dir, &st) == 0) {
                fprintf(stderr, "scsim run: %s is still there after the stop\n", dir);
                return RUN_EXIT_FAILED;
        }
        return EXIT_OK;
}

/* The reader names a run waits for, one a line in its directory. */
static int read_readers(struct run_env *e, const char *dir, unsigned *slots)
{
        char path[PATH_MAX], line[128];
        FILE *f;

        *slots = 0;
        if (path_join(path, sizeof(path), dir, READERS_FILE) != 0 ||
            (f = fopen(path, "re")) == NULL)
                return -1;
        while (*slots < RUN_SLOTS_MAX && fgets(line, sizeof(line), f) != NULL) {
                line[strcspn(line, "\n")] = '\0';
                snprintf(e->readers[(*slots)++], sizeof(e->readers[0]), "%s", line);
        }
        fclose(f);
        return *slots > 0 ? 0 : -1;
}

int run_wait(struct run_env *e)
{
        const char *dir = dir_argument(e->opts);
        unsigned slots;

        if (dir == NULL)
                return RUN_EXIT_FAILED;
        if (read_readers(e, dir, &slots) != 0) {
                fprintf(stderr, "scsim run: %s is not a scsim run directory\n", dir);
                return RUN_EXIT_FAILED;
        }
        if (path_join(e->run, sizeof(e->run), dir, "run") != 0 ||
            path_join(e->sock, sizeof(e->sock), e->run, "pcscd.comm") != 0)
                return RUN_EXIT_FAILED;
        snprintf(e->dir, sizeof(e->dir), "%s", dir);
        if (setenv("PCSCLITE_CSOCK_NAME", e->sock, 1) != 0)
                return RUN_EXIT_FAILED;
        if (wait_ready(e, slots, now_ms() + (uint64_t)e->opts->timeout_s * 1000u) != 0)
                return RUN_EXIT_FAILED;
        return EXIT_OK;
}
