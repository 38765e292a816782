/* SPDX-License-Identifier: MIT */
/* scsim run's child processes: how each starts, how they are stopped and reaped. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "run.h"

void run_say(const struct run_env *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void run_say(const struct run_env *e, const char *fmt, ...)
{
        va_list ap;

        if (e->opts->verbose == 0)
                return;
        fprintf(stderr, "scsim run: ");
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

uint64_t now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Child side of a fork: back to default signal handling, and die with the parent. */
void child_common(const struct run_env *e, bool own_group)
{
        struct sigaction sa;

        if (own_group)
                (void)setpgid(0, 0);
        (void)prctl(PR_SET_PDEATHSIG, SIGTERM);
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = SIG_DFL;
        for (int s = 1; s < NSIG; s++)
                (void)sigaction(s, &sa, NULL);
        (void)sigprocmask(SIG_SETMASK, &e->old_mask, NULL);
        if (e->sig_fd >= 0)
                close(e->sig_fd);
        if (e->notify_fd >= 0)
                close(e->notify_fd);
}

int redirect(int fd, const char *dir, const char *name)
{
        char path[PATH_MAX];
        int f;

        if (name == NULL) {
                f = open("/dev/null", O_RDWR | O_CLOEXEC);
        } else {
                if (path_join(path, sizeof(path), dir, name) != 0)
                        return -1;
                f = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        }
        if (f < 0 || dup2(f, fd) < 0)
                return -1;
        close(f);
        return 0;
}

const char *describe_status(int status, char *buf, size_t cap)
{
        if (WIFEXITED(status))
                snprintf(buf, cap, "exit code %d", WEXITSTATUS(status));
        else if (WIFSIGNALED(status))
                snprintf(buf, cap, "killed by signal %d", WTERMSIG(status));
        else
                snprintf(buf, cap, "status %d", status);
        return buf;
}

void kill_and_reap(struct run_env *e)
{
        uint64_t deadline = now_ms() + STOP_GRACE_MS;
        bool killed = false;

        if (e->cmd > 0)
                kill(e->cmd, SIGTERM);
        if (e->bridge > 0)
                kill(e->bridge, SIGTERM);
        if (e->pcscd > 0)
                kill(e->pcscd, SIGTERM);
        while (e->cmd > 0 || e->bridge > 0 || e->pcscd > 0) {
                int status;
                pid_t pid = waitpid(-1, &status, WNOHANG);
                if (pid > 0) {
                        if (pid == e->cmd)
                                e->cmd = 0;
                        if (pid == e->bridge)
                                e->bridge = 0;
                        if (pid == e->pcscd)
                                e->pcscd = 0;
                        continue;
                }
                if (pid < 0 && errno == ECHILD)
                        break;
                uint64_t now = now_ms();
                if (now >= deadline) {
                        if (killed)
                                break;
                        /* A daemon that ignores SIGTERM for this long is stuck. */
                        if (e->cmd > 0)
                                kill(e->cmd, SIGKILL);
                        if (e->bridge > 0)
                                kill(e->bridge, SIGKILL);
                        if (e->pcscd > 0)
                                kill(e->pcscd, SIGKILL);
                        killed = true;
                        deadline = now + STOP_GRACE_MS;
                        continue;
                }
                struct pollfd p = {.fd = e->sig_fd, .events = POLLIN};
                struct signalfd_siginfo si;
                if (poll(&p, 1, (int)(deadline - now)) > 0)
                        (void)!read(e->sig_fd, &si, sizeof(si));
        }
}
