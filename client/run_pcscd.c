/* SPDX-License-Identifier: MIT */
/* scsim run's private pcscd: started, and restarted when it dies. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run.h"

/*
 * pcscd in its own mount namespace, where e->run hides /run/pcscd: the
 * system's pcscd (if any) keeps its socket and pid file, ours gets its own.
 * Failures before exec come back through a close-on-exec pipe, so the parent
 * can say exactly what went wrong.
 */
int start_pcscd(struct run_env *e)
{
        int pfd[2];
        char msg[512];
        ssize_t n;
        pid_t pid;

        if (pipe2(pfd, O_CLOEXEC) != 0)
                return -1;
        fflush(NULL);
        pid = fork();
        if (pid < 0) {
                close(pfd[0]);
                close(pfd[1]);
                return -1;
        }
        if (pid == 0) {
                const char *stage = "";
                char *argv[] = {"pcscd", "--foreground", "--config", e->conf, NULL};
                int err;

                close(pfd[0]);
                child_common(e, true);
                if (redirect(0, NULL, NULL) != 0 || redirect(1, e->dir, "pcscd.log") != 0 ||
                    redirect(2, e->dir, "pcscd.log") != 0) {
                        stage = "redirecting output to pcscd.log";
                        goto child_fail;
                }
                if (mkdir("/run/pcscd", 0755) != 0 && errno != EEXIST) {
                        stage = "creating /run/pcscd";
                        goto child_fail;
                }
                if (unshare(CLONE_NEWNS) != 0) {
                        stage = "creating a private mount namespace (unshare)";
                        goto child_fail;
                }
                /* Without this the bind mount below would propagate to the host. */
                if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
                        stage = "making mounts private";
                        goto child_fail;
                }
                if (mount(e->run, "/run/pcscd", NULL, MS_BIND, NULL) != 0) {
                        stage = "bind-mounting the private run directory on /run/pcscd";
                        goto child_fail;
                }
                /*
                 * Keep our pcscd's hands off real USB readers, which belong to the
                 * system's pcscd: an empty, read-only /dev/bus/usb in our namespace.
                 */
                if (access("/dev/bus/usb", F_OK) == 0)
                        (void)mount("scsim-nousb", "/dev/bus/usb", "tmpfs",
                                    MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k");
                execvp("pcscd", argv);
                stage = "starting pcscd";
        child_fail:
                err = errno;
                snprintf(msg, sizeof(msg), "%s: %s%s", stage, strerror(err),
                         (err == EPERM || err == EACCES) ? " (scsim run needs root or "
                                                           "CAP_SYS_ADMIN for a private pcscd)"
                                                         : "");
                (void)!write(pfd[1], msg, strlen(msg));
                _exit(126);
        }
        close(pfd[1]);
        do {
                n = read(pfd[0], msg, sizeof(msg) - 1);
        } while (n < 0 && errno == EINTR);
        close(pfd[0]);
        if (n > 0) {
                msg[n] = '\0';
                fprintf(stderr, "scsim run: cannot start pcscd: %s\n", msg);
                (void)waitpid(pid, NULL, 0);
                return -1;
        }
        e->pcscd = pid;
        run_say(e, "pcscd started (pid %ld), vpcd on ports %u-%u", (long)pid, e->port,
                e->port + 1u);
        return 0;
}

/* A pcscd that died while we serve is restarted; the bridge reconnects on its own. */
void restart_pcscd(struct run_env *e)
{
        char path[PATH_MAX];

        if (e->stopping)
                return;
        if (e->pcscd_restarts >= PCSCD_RESTARTS_MAX) {
                fprintf(stderr, "scsim run: pcscd died %u times, not restarting it again\n",
                        e->pcscd_restarts);
                return;
        }
        e->pcscd_restarts++;
        /* A killed pcscd leaves both behind; the next one must not trip over them. */
        if (path_join(path, sizeof(path), e->run, "pcscd.pid") == 0)
                (void)unlink(path);
        (void)unlink(e->sock);
        if (start_pcscd(e) == 0)
                fprintf(stderr, "scsim run: pcscd restarted (pid %ld)\n", (long)e->pcscd);
}
