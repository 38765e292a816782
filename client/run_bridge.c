/* SPDX-License-Identifier: MIT */
/* scsim run's scsim-vpcd: found next to scsim, started as a program, ready before pcscd starts. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run.h"

/* Where scsim-vpcd finds its listening sockets (LISTEN_FDS). */
#define LISTEN_FD0 3
#define ARGS_MAX   (24 + 3 * RUN_SLOTS_MAX)
#define ARGS_TEXT  (8 * PATH_MAX)
#define ENV_EXTRA  2 /* LISTEN_FDS and LISTEN_PID */

extern char **environ;

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

/*
 * scsim-vpcd's command line and environment, made before the fork: the
 * child only reads them, so it copies none of our pages but the one with
 * LISTEN_PID (each copy costs a page fault, which on a virtual machine is
 * tens of microseconds: the bridge's start is on the way to the card).
 */
struct args {
        char *argv[ARGS_MAX + 1];
        char text[ARGS_TEXT]; /* the arguments' texts, one after another */
        size_t used;
        unsigned n;
        bool overflow;
        char **envp; /* ours, less LISTEN_*, plus LISTEN_FDS and LISTEN_PID */
        char listen_fds[32], listen_pid[32];
};

static void arg(struct args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void arg(struct args *a, const char *fmt, ...)
{
        va_list ap;
        int n;

        if (a->n >= ARGS_MAX || a->overflow) {
                a->overflow = true;
                return;
        }
        va_start(ap, fmt);
        n = vsnprintf(a->text + a->used, sizeof(a->text) - a->used, fmt, ap);
        va_end(ap);
        if (n < 0 || (size_t)n >= sizeof(a->text) - a->used) {
                a->overflow = true;
                return;
        }
        a->argv[a->n] = a->text + a->used;
        a->used += (size_t)n + 1;
        a->argv[++a->n] = NULL;
}

/* The environment scsim-vpcd gets: ours, with the sockets we hand it (n of them). */
static int bridge_env(struct args *a, unsigned n)
{
        size_t count = 0, k = 0;

        while (environ != NULL && environ[count] != NULL)
                count++;
        if ((a->envp = calloc(count + ENV_EXTRA + 1, sizeof(char *))) == NULL)
                return -1;
        for (size_t i = 0; i < count; i++)
                if (strncmp(environ[i], "LISTEN_", 7) != 0)
                        a->envp[k++] = environ[i];
        if (n > 0) {
                snprintf(a->listen_fds, sizeof(a->listen_fds), "LISTEN_FDS=%u", n);
                a->envp[k++] = a->listen_fds;
                a->envp[k++] = a->listen_pid; /* the child writes its pid in */
        }
        return 0;
}

/* scsim-vpcd's command line for this run. */
static void bridge_args(const struct run_env *e, struct args *a)
{
        const struct run_opts *o = e->opts;

        a->n = 0;
        arg(a, "%s", e->vpcd_bin);
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
        if (o->state_key != NULL)
                arg(a, "--state-key=%s", o->state_key);
        for (unsigned i = 0; i < o->slots; i++)
                if (o->slot[i].profile != NULL)
                        arg(a, "--slot=%u:%s%s%s", i, o->slot[i].profile,
                            o->slot[i].state != NULL ? ":" : "",
                            o->slot[i].state != NULL ? o->slot[i].state : "");
        /* The control socket, and the reader names its operations watch through PC/SC. */
        arg(a, "--control=%s/%s", e->dir, CONTROL_FILE);
        for (unsigned i = 0; i < o->slots; i++)
                arg(a, "--reader=%u:%s", i, e->readers[i]);
        if (o->trace != NULL)
                arg(a, "--trace=%s", o->trace);
        if (o->trace_append)
                arg(a, "--trace-append");
        if (o->trace_secrets)
                arg(a, "--trace-secrets");
}

/* Our listening sockets at fds 3.., as systemd's socket activation hands them over. */
static int hand_over_sockets(const struct run_env *e, struct args *a)
{
        int moved[VPCD_SLOTS * RUN_SLOTS_MAX];
        unsigned n = e->vpcd_fd_count;

        /* Out of the way first, so that no dup2 below closes one still to be moved. */
        for (unsigned i = 0; i < n; i++)
                if ((moved[i] = fcntl(e->vpcd_fds[i], F_DUPFD_CLOEXEC, (int)(LISTEN_FD0 + n))) < 0)
                        return -1;
        for (unsigned i = 0; i < n; i++)
                if (dup2(moved[i], LISTEN_FD0 + (int)i) < 0)
                        return -1;
        if (n > 0)
                snprintf(a->listen_pid, sizeof(a->listen_pid), "LISTEN_PID=%ld", (long)getpid());
        return 0;
}

static void exec_bridge(const struct run_env *e, struct args *a)
{
        child_common(e, true);
        if (redirect(0, NULL, NULL) != 0 || redirect(2, e->dir, "bridge.log") != 0 ||
            hand_over_sockets(e, a) != 0)
                _exit(RUN_EXIT_FAILED);
        execve(a->argv[0], a->argv, a->envp);
        fprintf(stderr, "scsim run: cannot run %s: %s\n", a->argv[0], strerror(errno));
        _exit(RUN_EXIT_FAILED);
}

/*
 * scsim-vpcd gets its listening sockets from us, so pcscd may start at
 * once: vpcd's connections wait in their backlog until scsim-vpcd has made
 * its cards, and the cards are there at pcscd's first poll. A bad profile or
 * state file ends scsim-vpcd, which the wait for the cards reports.
 */
int start_bridge(struct run_env *e)
{
        static struct args a;
        pid_t pid;

        memset(&a, 0, sizeof(a));
        bridge_args(e, &a);
        if (a.overflow || bridge_env(&a, e->vpcd_fd_count) != 0) {
                fprintf(stderr, "scsim run: %s\n",
                        a.overflow ? "scsim-vpcd's command line would be too long (paths?)"
                                   : "out of memory");
                free(a.envp);
                return -1;
        }
        fflush(NULL);
        pid = fork();
        if (pid == 0)
                exec_bridge(e, &a);
        free(a.envp);
        a.envp = NULL;
        for (unsigned i = 0; i < e->vpcd_fd_count; i++)
                close(e->vpcd_fds[i]);
        e->vpcd_fd_count = 0;
        if (pid < 0)
                return -1;
        e->bridge = pid;
        run_say(e, "scsim-vpcd started (pid %ld), %u slot(s) on ports from %u", (long)pid,
                e->opts->slots, e->port);
        return 0;
}
