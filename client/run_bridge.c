/* SPDX-License-Identifier: MIT */
/* scsim run's scsim-vpcd: found next to scsim, started as a program, ready before pcscd starts. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run.h"

/* The fd scsim-vpcd says "ready" on (--ready-fd). */
#define READY_FD 3
#define ARGS_MAX (24 + 2 * RUN_SLOTS_MAX)

static bool executable(const char *path)
{
        return access(path, X_OK) == 0;
}

/*
 * $SCSIM_VPCD, else next to the running scsim: the same directory when
 * installed (bindir), ../vpcd-bridge/ in the build tree.
 */
int run_find_vpcd(char *out, size_t cap)
{
        const char *env = getenv("SCSIM_VPCD");
        char self[PATH_MAX], *dir;
        ssize_t n;

        if (env != NULL && env[0] != '\0') {
                if ((size_t)snprintf(out, cap, "%s", env) < cap && executable(out))
                        return 0;
                fprintf(stderr, "scsim run: SCSIM_VPCD='%s' is not an executable file\n", env);
                return -1;
        }
        n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n <= 0) {
                fprintf(stderr, "scsim run: /proc/self/exe: %s\n", strerror(errno));
                return -1;
        }
        self[n] = '\0';
        dir = dirname(self);
        if ((size_t)snprintf(out, cap, "%s/scsim-vpcd", dir) < cap && executable(out))
                return 0;
        if ((size_t)snprintf(out, cap, "%s/../vpcd-bridge/scsim-vpcd", dir) < cap &&
            executable(out))
                return 0;
        fprintf(stderr,
                "scsim run: scsim-vpcd is neither in %s nor in %s/../vpcd-bridge; install it "
                "beside scsim or set SCSIM_VPCD to its path\n",
                dir, dir);
        return -1;
}

/* Argument texts live in bufs: one line each, ARGS_MAX of them. */
struct args {
        char *argv[ARGS_MAX + 1];
        char bufs[ARGS_MAX][PATH_MAX + 64];
        unsigned n;
};

static void arg(struct args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void arg(struct args *a, const char *fmt, ...)
{
        va_list ap;

        if (a->n >= ARGS_MAX)
                return;
        va_start(ap, fmt);
        vsnprintf(a->bufs[a->n], sizeof(a->bufs[0]), fmt, ap);
        va_end(ap);
        a->argv[a->n] = a->bufs[a->n];
        a->argv[++a->n] = NULL;
}

/* scsim-vpcd's command line for this run. */
static void bridge_args(const struct run_env *e, struct args *a)
{
        const struct run_opts *o = e->opts;

        a->n = 0;
        arg(a, "%s", e->vpcd_bin);
        arg(a, "--ready-fd=%d", READY_FD);
        arg(a, "--verbose");
        arg(a, "--slots=%u", o->slots);
        arg(a, "--profile=%s", o->profile);
        if (o->removable) {
                arg(a, "--vpcd=127.0.0.1:%u", e->port);
        } else {
                arg(a, "--reverse");
                arg(a, "--listen=127.0.0.1:%u", e->port);
        }
        if (o->state != NULL)
                arg(a, "--state=%s", o->state);
        for (unsigned i = 0; i < o->slots; i++)
                if (o->slot[i].profile != NULL)
                        arg(a, "--slot=%u:%s%s%s", i, o->slot[i].profile,
                            o->slot[i].state != NULL ? ":" : "",
                            o->slot[i].state != NULL ? o->slot[i].state : "");
        if (o->trace != NULL)
                arg(a, "--trace=%s", o->trace);
        if (o->trace_append)
                arg(a, "--trace-append");
        if (o->trace_secrets)
                arg(a, "--trace-secrets");
}

/* Wait for "ready" on fd: 0, or -1 when the bridge ended first or time ran out. */
static int wait_bridge_ready(struct run_env *e, int fd, uint64_t deadline)
{
        char buf[16];
        size_t got = 0;

        while (got < 6) {
                struct pollfd p = {.fd = fd, .events = POLLIN};
                uint64_t now = now_ms();
                ssize_t n;
                if (now >= deadline) {
                        fprintf(stderr, "scsim run: scsim-vpcd not ready after %u s\n",
                                e->opts->timeout_s);
                        return -1;
                }
                if (poll(&p, 1, (int)(deadline - now)) <= 0)
                        continue;
                n = read(fd, buf + got, sizeof(buf) - got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return -1;
                got += (size_t)n;
        }
        return memcmp(buf, "ready\n", 6) == 0 ? 0 : -1;
}

static void exec_bridge(const struct run_env *e, int ready_w)
{
        static struct args a;

        child_common(e, true);
        /* dup2 onto itself keeps close-on-exec: clear it by hand. */
        if (redirect(0, NULL, NULL) != 0 || redirect(2, e->dir, "bridge.log") != 0 ||
            (ready_w != READY_FD && dup2(ready_w, READY_FD) < 0) ||
            fcntl(READY_FD, F_SETFD, 0) != 0)
                _exit(RUN_EXIT_FAILED);
        bridge_args(e, &a);
        execv(a.argv[0], a.argv);
        fprintf(stderr, "scsim run: cannot run %s: %s\n", a.argv[0], strerror(errno));
        _exit(RUN_EXIT_FAILED);
}

/*
 * scsim-vpcd starts first: it loads every profile and state file (a bad one
 * stops the run before pcscd starts) and, in reverse mode, listens before
 * pcscd's vpcd connects, so the cards are there at pcscd's first poll.
 */
int start_bridge(struct run_env *e)
{
        int pfd[2], status, rc;
        char how[64];
        pid_t pid;

        if (pipe2(pfd, O_CLOEXEC) != 0)
                return -1;
        fflush(NULL);
        pid = fork();
        if (pid == 0)
                exec_bridge(e, pfd[1]);
        close(pfd[1]);
        if (pid < 0) {
                close(pfd[0]);
                return -1;
        }
        e->bridge = pid;
        rc = wait_bridge_ready(e, pfd[0], now_ms() + (uint64_t)e->opts->timeout_s * 1000u);
        close(pfd[0]);
        if (rc == 0) {
                run_say(e, "scsim-vpcd ready (pid %ld), %u slot(s) on ports from %u", (long)pid,
                        e->opts->slots, e->port);
                return 0;
        }
        kill(pid, SIGTERM);
        if (waitpid(pid, &status, 0) == pid)
                fprintf(stderr, "scsim run: scsim-vpcd did not start (%s):\n",
                        describe_status(status, how, sizeof(how)));
        e->bridge = 0;
        print_tail(e->dir, "bridge.log", 20);
        return -1;
}
