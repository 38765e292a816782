/* SPDX-License-Identifier: MIT */
/* scsim run's private pcscd: its socket, its start in each isolation mode, its restarts. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run.h"

/* systemd's socket activation, which pcscd 1.9.9 understands: our socket arrives as fd 3. */
#define LISTEN_FD 3

/*
 * pcscd 1.9.9 has no option for its socket path, but takes a listening
 * socket from its parent (socket activation). So the socket is ours, at a
 * path of ours, and outlives each pcscd: clients that connect while a
 * restarted pcscd starts wait in its backlog instead of failing.
 */
int run_pcscd_socket(struct run_env *e)
{
        struct sockaddr_un sa;

        memset(&sa, 0, sizeof(sa));
        sa.sun_family = AF_UNIX;
        if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", e->sock) >=
            sizeof(sa.sun_path)) {
                fprintf(stderr, "scsim run: %s: too long for a socket path; set TMPDIR shorter\n",
                        e->sock);
                return -1;
        }
        e->pcsc_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        /* Any user's client may connect, as to the system's pcscd (which makes its socket 0666). */
        if (e->pcsc_fd < 0 || bind(e->pcsc_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
            chmod(e->sock, 0666) != 0 || listen(e->pcsc_fd, SOMAXCONN) != 0) {
                fprintf(stderr, "scsim run: pcscd's socket %s: %s\n", e->sock, strerror(errno));
                return -1;
        }
        return 0;
}

static void exec_pcscd(const struct run_env *e, int report)
{
        char *argv[] = {"pcscd", "--foreground", "--config", (char *)e->conf, NULL};
        char msg[1024], pid[32];
        int mode;

        child_common(e, true);
        if (redirect(0, NULL, NULL) != 0 || redirect(1, e->dir, "pcscd.log") != 0 ||
            redirect(2, e->dir, "pcscd.log") != 0) {
                snprintf(msg, sizeof(msg), "redirecting output to pcscd.log: %s", strerror(errno));
                goto fail;
        }
        mode = run_isolate(e, e->isolation, msg, sizeof(msg));
        if (mode < 0)
                goto fail;
        snprintf(pid, sizeof(pid), "%ld", (long)getpid());
        if ((e->pcsc_fd != LISTEN_FD && dup2(e->pcsc_fd, LISTEN_FD) < 0) ||
            fcntl(LISTEN_FD, F_SETFD, 0) != 0 || setenv("LISTEN_FDS", "1", 1) != 0 ||
            setenv("LISTEN_PID", pid, 1) != 0) {
                snprintf(msg, sizeof(msg), "handing pcscd its socket: %s", strerror(errno));
                goto fail;
        }
        (void)unsetenv("LISTEN_FDNAMES");
        snprintf(msg, sizeof(msg), "mode %d", mode);
        (void)!write(report, msg, strlen(msg));
        execvp("pcscd", argv);
        snprintf(msg, sizeof(msg), "%s%s", strerror(errno),
                 errno == ENOENT ? ": pcscd is not installed (apt-get install pcscd)" : "");
fail:
        (void)!write(report, "error ", 6);
        (void)!write(report, msg, strlen(msg));
        _exit(RUN_EXIT_FAILED);
}

/*
 * pcscd in the isolation chosen the first time (or the first that works).
 * The child reports the mode, or what went wrong, through a close-on-exec
 * pipe that run_pcscd_started reads, so the parent can say exactly that and
 * need not wait for it before starting scsim-vpcd.
 */
int run_spawn_pcscd(struct run_env *e)
{
        int pfd[2];
        pid_t pid;

        if (pipe2(pfd, O_CLOEXEC) != 0)
                return -1;
        fflush(NULL);
        pid = fork();
        if (pid == 0)
                exec_pcscd(e, pfd[1]);
        close(pfd[1]);
        if (pid < 0) {
                close(pfd[0]);
                return -1;
        }
        e->pcscd = pid;
        e->pcscd_report = pfd[0];
        return 0;
}

/* The spawned pcscd's report: 0 once it runs pcscd, -1 after a message. */
int run_pcscd_started(struct run_env *e)
{
        char msg[1100];
        int mode = -1;
        size_t got = 0;
        ssize_t n;

        while (e->pcscd_report >= 0 && got < sizeof(msg) - 1) {
                n = read(e->pcscd_report, msg + got, sizeof(msg) - 1 - got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                got += (size_t)n;
        }
        if (e->pcscd_report >= 0)
                close(e->pcscd_report);
        e->pcscd_report = -1;
        msg[got] = '\0';
        if (strncmp(msg, "mode ", 5) == 0 && strstr(msg, "error ") == NULL)
                mode = atoi(msg + 5);
        if (mode <= 0) {
                const char *err = strstr(msg, "error ");
                fprintf(stderr, "scsim run: cannot start pcscd: %s\n",
                        err != NULL ? err + 6 : "it ended before it started");
                (void)waitpid(e->pcscd, NULL, 0);
                e->pcscd = 0;
                return -1;
        }
        if (e->isolation == ISOLATION_AUTO)
                e->isolation = (enum run_isolation)mode;
        run_say(e, "pcscd started (pid %ld, isolation %s), vpcd on ports %u-%u", (long)e->pcscd,
                run_isolation_name((enum run_isolation)mode), e->port,
                e->port + VPCD_SLOTS * e->entries - 1u);
        return 0;
}

int start_pcscd(struct run_env *e)
{
        return run_spawn_pcscd(e) == 0 ? run_pcscd_started(e) : -1;
}

/* A pcscd that died while we serve is restarted; the bridge takes vpcd back on its own. */
void restart_pcscd(struct run_env *e)
{
        char why[96];

        if (e->stopping)
                return;
        if (e->bridge <= 0) {
                run_give_up(e, "scsim-vpcd is gone, so a new pcscd would find no cards");
                return;
        }
        if (e->pcscd_restarts >= PCSCD_RESTARTS_MAX) {
                snprintf(why, sizeof(why), "pcscd died %u times, not restarting it again",
                         e->pcscd_restarts + 1u);
                run_give_up(e, why);
                return;
        }
        e->pcscd_restarts++;
        if (start_pcscd(e) == 0)
                fprintf(stderr, "scsim run: pcscd restarted (pid %ld)\n", (long)e->pcscd);
}
