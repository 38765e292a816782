/* SPDX-License-Identifier: MIT */
/* scsim run in the foreground: set up, run COMMAND, serve until it ends, tear down. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bridge.h"
#include "run.h"

void run_teardown(struct run_env *e)
{
        e->stopping = true;
        kill_and_reap(e);
        if (e->trace != NULL && e->trace != stdout)
                fclose(e->trace);
        e->trace = NULL;
        if (e->dir_made) {
                remove_tree(e->dir);
                run_say(e, "removed %s", e->dir);
        }
        e->dir_made = false;
        scsim_profile_free(&e->profile);
        if (e->sig_fd >= 0)
                close(e->sig_fd);
        e->sig_fd = -1;
        (void)sigprocmask(SIG_SETMASK, &e->old_mask, NULL);
}

int run_setup(struct run_env *e)
{
        sigset_t mask;
        scsim_diag diag;
        char msg[768];

        memset(&diag, 0, sizeof(diag));
        if (scsim_profile_open(e->opts->profile, &e->profile, &diag) != SCSIM_OK) {
                scsim_diag_format(&diag, msg, sizeof(msg));
                fprintf(stderr, "scsim run: profile '%s': %s\n", e->opts->profile, msg);
                return EXIT_USAGE;
        }
        /* a bad state file stops us here, with its message, before any daemon starts */
        for (unsigned i = 0; e->opts->state != NULL && i < e->opts->slots; i++) {
                char path[PATH_MAX];
                scsim_card *card = scsim_card_new(e->profile);
                int rc = card == NULL ? SCSIM_ERR_NO_MEMORY : SCSIM_ERR_INVALID_ARGUMENT;
                if (card != NULL && bridge_state_path(e->opts->state, i, path, sizeof(path)) == 0)
                        rc = scsim_card_attach_state(card, path, &diag);
                scsim_card_free(&card);
                if (rc != SCSIM_OK) {
                        scsim_diag_format(&diag, msg, sizeof(msg));
                        fprintf(stderr, "scsim run: --state: %s\n", msg);
                        return EXIT_RUNTIME;
                }
        }
        if (e->opts->trace != NULL) {
                if (strcmp(e->opts->trace, "-") == 0) {
                        e->trace = stdout;
                } else if ((e->trace = fopen(e->opts->trace, "a")) == NULL) {
                        fprintf(stderr, "scsim run: --trace '%s': %s\n", e->opts->trace,
                                strerror(errno));
                        return EXIT_RUNTIME;
                }
        }
        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGCHLD);
        if (sigprocmask(SIG_BLOCK, &mask, &e->old_mask) != 0 ||
            (e->sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
                fprintf(stderr, "scsim run: signals: %s\n", strerror(errno));
                return EXIT_RUNTIME;
        }
        if (make_dir(e) != 0)
                return EXIT_RUNTIME;
        /* libpcsclite reads this once, on our first PC/SC call. */
        if (setenv("PCSCLITE_CSOCK_NAME", e->sock, 1) != 0)
                return EXIT_RUNTIME;
        if (start_pcscd(e) != 0 || start_bridge(e) != 0)
                return EXIT_RUNTIME;
        if (wait_ready(e, e->opts->slots, now_ms() + (uint64_t)e->opts->timeout_s * 1000u) != 0)
                return e->stop_sig != 0 ? 128 + e->stop_sig : EXIT_RUNTIME;
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
        char name[32];

        export_line(f, "PCSCLITE_CSOCK_NAME", e->sock);
        export_line(f, "SCSIM_READER", e->readers[0]);
        for (unsigned i = 0; i < e->opts->slots; i++) {
                snprintf(name, sizeof(name), "SCSIM_READER_%u", i);
                export_line(f, name, e->readers[i]);
        }
        export_line(f, "SCSIM_RUN_DIR", e->dir);
}

static int set_child_env(const struct run_env *e)
{
        char name[32];

        if (setenv("PCSCLITE_CSOCK_NAME", e->sock, 1) != 0 ||
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
int run_supervise(struct run_env *e, int *signalled)
{
        int cmd_status = -1;
        unsigned interrupts = 0;

        for (;;) {
                struct pollfd p = {.fd = e->sig_fd, .events = POLLIN};
                struct signalfd_siginfo si;

                if (poll(&p, 1, -1) < 0 && errno != EINTR)
                        return -1;
                while (read(e->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                        int sig = (int)si.ssi_signo;
                        if (sig == SIGCHLD) {
                                int status;
                                pid_t pid;
                                char how[64];
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
                                                fprintf(stderr,
                                                        "scsim run: scsim-vpcd ended (%s); the "
                                                        "cards are gone\n",
                                                        describe_status(status, how, sizeof(how)));
                                                print_tail(e->dir, "bridge.log", 20);
                                        }
                                }
                                if (cmd_status != -1)
                                        return cmd_status;
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

int run_foreground(struct run_env *e)
{
        int rc, status, sig = 0;

        rc = run_setup(e);
        if (rc != EXIT_OK)
                goto done;
        fflush(NULL);
        e->cmd = fork();
        if (e->cmd < 0) {
                fprintf(stderr, "scsim run: fork: %s\n", strerror(errno));
                rc = EXIT_RUNTIME;
                goto done;
        }
        if (e->cmd == 0) {
                child_common(e, false);
                (void)prctl(PR_SET_PDEATHSIG, 0);
                if (set_child_env(e) != 0)
                        _exit(EXIT_RUNTIME);
                execvp(e->opts->cmd[0], e->opts->cmd);
                fprintf(stderr, "scsim run: cannot run '%s': %s\n", e->opts->cmd[0],
                        strerror(errno));
                _exit(errno == ENOENT ? 127 : 126);
        }
        status = run_supervise(e, &sig);
        if (status == -1)
                rc = sig != 0 ? 128 + sig : EXIT_RUNTIME;
        else if (WIFEXITED(status))
                rc = WEXITSTATUS(status);
        else if (WIFSIGNALED(status))
                rc = 128 + WTERMSIG(status);
        else
                rc = EXIT_RUNTIME;
done:
        run_teardown(e);
        return rc;
}
