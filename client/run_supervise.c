/* SPDX-License-Identifier: MIT */
/* scsim run in the foreground: set up, run COMMAND, serve until it ends, tear down. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run.h"

void run_teardown(struct run_env *e)
{
        e->stopping = true;
        kill_and_reap(e);
        if (e->pcsc_fd >= 0)
                close(e->pcsc_fd);
        e->pcsc_fd = -1;
        if (e->pcscd_report >= 0)
                close(e->pcscd_report);
        e->pcscd_report = -1;
        if (e->dir_made) {
                remove_tree(e->dir);
                run_say(e, "removed %s", e->dir);
        }
        e->dir_made = false;
        if (e->sig_fd >= 0)
                close(e->sig_fd);
        e->sig_fd = -1;
        (void)sigprocmask(SIG_SETMASK, &e->old_mask, NULL);
}

/* Said once, and left in the run directory so that --wait reports it at once. */
int run_give_up(struct run_env *e, const char *why)
{
        char text[512];

        fprintf(stderr, "scsim run: %s\n", why);
        snprintf(text, sizeof(text), "%s\n", why);
        /* Clients waiting in the socket's backlog for a pcscd that will not come fail now. */
        if (e->pcsc_fd >= 0)
                close(e->pcsc_fd);
        e->pcsc_fd = -1;
        (void)unlink(e->sock);
        return write_file(e->dir, FAILED_FILE, text);
}

static int block_signals(struct run_env *e)
{
        sigset_t mask;

        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGCHLD);
        if (sigprocmask(SIG_BLOCK, &mask, &e->old_mask) != 0 ||
            (e->sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
                fprintf(stderr, "scsim run: signals: %s\n", strerror(errno));
                return -1;
        }
        return 0;
}

/*
 * scsim-vpcd first (it checks every profile and state file, and listens for
 * vpcd), then pcscd, whose first poll finds the cards, then the wait for
 * them through PC/SC. Returns 0, 128+N after signal N, or RUN_EXIT_FAILED.
 */
int run_setup(struct run_env *e)
{
        run_scrub_secrets();
        if (run_find_vpcd(e->vpcd_bin, sizeof(e->vpcd_bin)) != 0 || block_signals(e) != 0 ||
            make_dir(e) != 0 || run_layout(e) != 0 || run_write_conf(e) != 0 ||
            run_pcscd_socket(e) != 0)
                return RUN_EXIT_FAILED;
        /* libpcsclite reads this once, on our first PC/SC call. */
        if (setenv("PCSCLITE_CSOCK_NAME", e->sock, 1) != 0)
                return RUN_EXIT_FAILED;
        /*
         * The bridge first: pcscd connects to it about 10 ms after its exec,
         * and the bridge takes longer than that to make its cards (libcrypto,
         * the profile), so pcscd waits less for it (measured: 1.83-1.96x the
         * floor against 1.93-2.10x the other way round, bench/run-start).
         * The sockets of both are already ours. pcscd's report (isolation,
         * exec) is read while waiting for the cards.
         */
        if (start_bridge(e) != 0 || run_spawn_pcscd(e) != 0)
                return RUN_EXIT_FAILED;
        if (wait_ready(e, e->opts->slots, now_ms() + (uint64_t)e->opts->timeout_s * 1000u) != 0)
                return e->stop_sig != 0 ? 128 + e->stop_sig : RUN_EXIT_FAILED;
        run_say(e, "ready: %s", e->readers[0]);
        return EXIT_OK;
}

static void export_line(FILE *f, const char *name, const char *value)
{
        /* Single quotes survive any value except a quote, which we close, escape and reopen. */
        fprintf(f, "export %s='", name);
        for (const char *p = value; *p != '\0'; p++) {
                if (*p == '\'')
                        fputs("'\\''", f);
                else
                        fputc(*p, f);
        }
        fputs("'\n", f);
}

void print_env(const struct run_env *e, FILE *f)
{
        char name[32], control[PATH_MAX];

        export_line(f, "PCSCLITE_CSOCK_NAME", e->sock);
        export_line(f, "SCSIM_READER", e->readers[0]);
        for (unsigned i = 0; i < e->opts->slots; i++) {
                snprintf(name, sizeof(name), "SCSIM_READER_%u", i);
                export_line(f, name, e->readers[i]);
        }
        export_line(f, "SCSIM_RUN_DIR", e->dir);
        if (path_join(control, sizeof(control), e->dir, CONTROL_FILE) == 0)
                export_line(f, "SCSIM_CONTROL", control);
}

static int set_child_env(const struct run_env *e)
{
        char name[32], control[PATH_MAX];

        if (path_join(control, sizeof(control), e->dir, CONTROL_FILE) != 0 ||
            setenv("SCSIM_CONTROL", control, 1) != 0 ||
            setenv("PCSCLITE_CSOCK_NAME", e->sock, 1) != 0 ||
            setenv("SCSIM_READER", e->readers[0], 1) != 0 ||
            setenv("SCSIM_RUN_DIR", e->dir, 1) != 0)
                return -1;
        for (unsigned i = 0; i < e->opts->slots; i++) {
                snprintf(name, sizeof(name), "SCSIM_READER_%u", i);
                if (setenv(name, e->readers[i], 1) != 0)
                        return -1;
        }
        return 0;
}

/*
 * Serve until the command ends (foreground) or a stop signal arrives
 * (detached). Returns the command's status, or -1 when there is none.
 */
/* Reaps what ended. Returns COMMAND's status once it ended, else -1. */
static int reap_children(struct run_env *e)
{
        int status, cmd_status = -1;
        char how[64];
        pid_t pid;

        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
                if (pid == e->cmd) {
                        e->cmd = 0;
                        cmd_status = status;
                } else if (pid == e->pcscd) {
                        e->pcscd = 0;
                        fprintf(stderr, "scsim run: pcscd ended (%s)\n",
                                describe_status(status, how, sizeof(how)));
                        restart_pcscd(e);
                } else if (pid == e->bridge) {
                        e->bridge = 0;
                        fprintf(stderr, "scsim run: scsim-vpcd ended (%s); the cards are gone\n",
                                describe_status(status, how, sizeof(how)));
                        print_tail(e->dir, "bridge.log", 20);
                }
        }
        return cmd_status;
}

/*
 * Serve until the command ends (foreground) or a stop signal arrives
 * (detached). Returns the command's status, or -1 when there is none.
 */
int run_supervise(struct run_env *e, int *signalled)
{
        unsigned interrupts = 0;

        for (;;) {
                struct pollfd p = {.fd = e->sig_fd, .events = POLLIN};
                struct signalfd_siginfo si;

                if (poll(&p, 1, -1) < 0 && errno != EINTR)
                        return -1;
                while (read(e->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                        int sig = (int)si.ssi_signo, status;
                        if (sig == SIGCHLD) {
                                if ((status = reap_children(e)) != -1)
                                        return status;
                                continue;
                        }
                        /* SIGINT, SIGTERM, SIGHUP */
                        *signalled = sig;
                        if (e->cmd <= 0)
                                return -1;
                        interrupts++;
                        /*
                         * The command decides how to end; a second interrupt insists.
                         * A terminal's Ctrl-C already reached the command (same
                         * process group): only signals sent to us alone are passed on.
                         */
                        if (interrupts > 1)
                                kill(e->cmd, SIGKILL);
                        else if (si.ssi_code == SI_USER || si.ssi_code == SI_QUEUE)
                                kill(e->cmd, sig);
                }
        }
}

/*
 * COMMAND through posix_spawnp (a vfork: no copy of our address space, so it
 * starts sooner), with default signal dispositions and our original mask.
 * Every fd of ours is close-on-exec. Returns 0, or COMMAND's would-be exit
 * code (126 cannot run, 127 not found) after a message.
 */
static int spawn_command(struct run_env *e)
{
        extern char **environ;
        posix_spawnattr_t attr;
        sigset_t all;
        int rc;

        if (set_child_env(e) != 0 || posix_spawnattr_init(&attr) != 0)
                return RUN_EXIT_FAILED;
        sigfillset(&all);
        rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        if (rc == 0)
                rc = posix_spawnattr_setsigmask(&attr, &e->old_mask);
        if (rc == 0)
                rc = posix_spawnattr_setsigdefault(&attr, &all);
        fflush(NULL);
        if (rc == 0)
                rc = posix_spawnp(&e->cmd, e->opts->cmd[0], NULL, &attr, e->opts->cmd, environ);
        posix_spawnattr_destroy(&attr);
        if (rc == 0)
                return 0;
        e->cmd = 0;
        fprintf(stderr, "scsim run: cannot run '%s': %s\n", e->opts->cmd[0], strerror(rc));
        return rc == ENOENT ? RUN_EXIT_NOT_FOUND : RUN_EXIT_NOT_EXEC;
}

int run_foreground(struct run_env *e)
{
        int rc, status, sig = 0;

        rc = run_setup(e);
        if (rc != EXIT_OK)
                goto done;
        rc = spawn_command(e);
        if (rc != 0)
                goto done;
        status = run_supervise(e, &sig);
        if (status == -1)
                rc = sig != 0 ? 128 + sig : RUN_EXIT_FAILED;
        else if (WIFEXITED(status))
                rc = WEXITSTATUS(status);
        else if (WIFSIGNALED(status))
                rc = 128 + WTERMSIG(status);
        else
                rc = RUN_EXIT_FAILED;
done:
        run_teardown(e);
        return rc;
}
