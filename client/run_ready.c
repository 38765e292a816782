/* SPDX-License-Identifier: MIT */
/* scsim run waits through PC/SC until every card is present. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <PCSC/winscard.h>
#include <PCSC/wintypes.h>

#include "run.h"

/* The probe's exit codes. */
enum { PROBE_READY = 0, PROBE_TIMEOUT = 1, PROBE_NO_PCSCD = 2 };

/* Has one of our daemons died? Reaps it and says so. */
bool daemon_died(struct run_env *e)
{
        char how[64];
        int status;

        if (e->pcscd > 0 && waitpid(e->pcscd, &status, WNOHANG) == e->pcscd) {
                fprintf(stderr, "scsim run: pcscd ended (%s)\n",
                        describe_status(status, how, sizeof(how)));
                e->pcscd = 0;
                return true;
        }
        if (e->bridge > 0 && waitpid(e->bridge, &status, WNOHANG) == e->bridge) {
                fprintf(stderr, "scsim run: scsim-vpcd ended (%s)\n",
                        describe_status(status, how, sizeof(how)));
                e->bridge = 0;
                return true;
        }
        return false;
}

/* Did the supervisor give up? Says why. */
static bool run_failed(const struct run_env *e)
{
        char path[PATH_MAX], why[512];
        FILE *f;

        if (path_join(path, sizeof(path), e->dir, FAILED_FILE) != 0 ||
            (f = fopen(path, "re")) == NULL)
                return false;
        if (fgets(why, sizeof(why), f) == NULL)
                why[0] = '\0';
        fclose(f);
        why[strcspn(why, "\n")] = '\0';
        fprintf(stderr, "scsim run: the run in %s gave up: %s\n", e->dir, why);
        return true;
}

/* Which of our readers pcscd lists; the count of all it lists in *total. */
static unsigned known_readers(SCARDCONTEXT ctx, const struct run_env *e, unsigned slots,
                              SCARD_READERSTATE *st, DWORD *total)
{
        char *names = NULL;
        DWORD len = SCARD_AUTOALLOCATE;
        unsigned found = 0;

        *total = 0;
        if (SCardListReaders(ctx, NULL, (LPSTR)&names, &len) != SCARD_S_SUCCESS)
                return 0;
        for (const char *r = names; *r != '\0'; r += strlen(r) + 1)
                (*total)++;
        for (unsigned i = 0; i < slots; i++)
                for (const char *r = names; *r != '\0'; r += strlen(r) + 1)
                        if (strcmp(r, e->readers[i]) == 0) {
                                st[found].szReader = e->readers[i];
                                st[found++].dwCurrentState = SCARD_STATE_UNAWARE;
                                break;
                        }
        SCardFreeMemory(ctx, names);
        return found;
}

/*
 * One look and, when not all is there yet, one wait of at most ms for a
 * reader or a card to change. Returns SCARD_S_SUCCESS once every card is
 * present, SCARD_E_TIMEOUT to look again, or the PC/SC error.
 */
static LONG look(SCARDCONTEXT ctx, const struct run_env *e, unsigned slots, DWORD ms)
{
        SCARD_READERSTATE st[RUN_SLOTS_MAX + 1];
        unsigned found, present = 0;
        DWORD total, watched;
        LONG rv;

        memset(st, 0, sizeof(st));
        found = known_readers(ctx, e, slots, st, &total);
        /*
         * Until every reader is there, the PnP pseudo-reader wakes us when one
         * comes; pcsc-lite's convention: the reader count we know, in the high
         * word. Not with all 16: pcsc-lite takes at most 16 states a call.
         */
        watched = found < slots ? found + 1u : found;
        st[found].szReader = "\\\\?PnP?\\Notification";
        st[found].dwCurrentState = total << 16;
        rv = SCardGetStatusChange(ctx, 0, st, watched);
        if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT)
                return rv;
        for (unsigned i = 0; i < found; i++)
                if ((st[i].dwEventState & SCARD_STATE_PRESENT) &&
                    !(st[i].dwEventState & SCARD_STATE_MUTE))
                        present++;
        if (found == slots && present == slots)
                return SCARD_S_SUCCESS;
        for (unsigned i = 0; i < found; i++)
                st[i].dwCurrentState = st[i].dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
        st[found].dwCurrentState = total << 16;
        rv = SCardGetStatusChange(ctx, ms, st, watched);
        return rv == SCARD_S_SUCCESS ? SCARD_E_TIMEOUT : rv;
}

/*
 * The probe, in a child process: libpcsclite waits for pcscd without a
 * timeout, so the PC/SC calls run where the parent can end them when a
 * daemon dies, a signal comes or the time is up.
 */
static int probe(const struct run_env *e, unsigned slots, uint64_t deadline)
{
        SCARDCONTEXT ctx = 0;
        LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);

        if (rv != SCARD_S_SUCCESS)
                return PROBE_NO_PCSCD;
        for (;;) {
                uint64_t now = now_ms();
                if (now >= deadline)
                        break;
                rv = look(ctx, e, slots, (DWORD)(deadline - now < 1000 ? deadline - now : 1000));
                if (rv == SCARD_S_SUCCESS)
                        return PROBE_READY;
                if (rv != SCARD_E_TIMEOUT)
                        return PROBE_NO_PCSCD;
        }
        fprintf(stderr,
                "scsim run: timed out after %u s waiting for %u card(s) in pcscd (last PC/SC "
                "result: %s)\n",
                e->opts->timeout_s, slots, pcsc_stringify_error(rv));
        return PROBE_TIMEOUT;
}

/* What woke us: 0 the probe ended, 1 look again, -1 give up, -2 give up and skip the logs. */
static int on_event(struct run_env *e, struct pollfd *p)
{
        struct signalfd_siginfo si;
        char buf[4096];

        if (p[2].revents & POLLIN) {
                (void)!read(p[2].fd, buf, sizeof(buf));
                if (run_failed(e))
                        return -1;
        }
        while (p[1].fd >= 0 && read(p[1].fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
                if (si.ssi_signo != SIGCHLD && e->stop_sig == 0)
                        e->stop_sig = (int)si.ssi_signo;
        if (e->stop_sig != 0) {
                fprintf(stderr, "scsim run: interrupted while waiting for the cards\n");
                return -1;
        }
        /* The report of a pcscd just spawned: its isolation, or why it could not start. */
        if ((p[3].revents & (POLLIN | POLLHUP)) && p[3].fd >= 0) {
                p[3].fd = -1;
                if (run_pcscd_started(e) != 0)
                        return -2; /* said why; the logs have nothing to add */
        }
        if (daemon_died(e))
                return -1;
        return (p[0].revents & POLLIN) ? 0 : 1;
}

/*
 * Wait through PC/SC itself until each served slot shows a card. Returns 0,
 * or -1 after a message. Bounded waits only, no sleeps: every wait ends on
 * an event (the probe's end, a signal, a file in the run directory).
 */
int wait_ready(struct run_env *e, unsigned slots, uint64_t deadline)
{
        struct pollfd p[4];
        int status = -1, woke = 1, ino;
        pid_t pid, bridge = e->bridge;

        if (run_failed(e))
                return -1;
        fflush(NULL);
        pid = fork();
        if (pid == 0) {
                (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
                _exit(probe(e, slots, deadline));
        }
        p[0].fd = pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
        p[1].fd = e->sig_fd;
        ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (ino >= 0)
                (void)inotify_add_watch(ino, e->dir, IN_CREATE | IN_MOVED_TO);
        p[2].fd = ino;
        p[3].fd = e->pcscd_report;
        for (int i = 0; i < 4; i++) {
                p[i].events = POLLIN;
                p[i].revents = 0;
        }
        while (p[0].fd >= 0 && woke == 1) {
                uint64_t now = now_ms();
                /* The probe keeps the deadline itself; a second more lets it say so. */
                if (poll(p, 4, (int)(deadline + 1000u > now ? deadline + 1000u - now : 0)) == 0) {
                        fprintf(stderr, "scsim run: pcscd did not answer in %u s\n",
                                e->opts->timeout_s);
                        break;
                }
                woke = on_event(e, p);
        }
        if (pid > 0) {
                if (woke != 0)
                        kill(pid, SIGKILL);
                (void)waitpid(pid, &status, 0);
        }
        /* Cards present means pcscd runs; its report is there to read. */
        if (woke == 0 && e->pcscd_report >= 0 && run_pcscd_started(e) != 0)
                woke = -2;
        if (p[0].fd >= 0)
                close(p[0].fd);
        if (ino >= 0)
                close(ino);
        if (woke == 0 && WIFEXITED(status) && WEXITSTATUS(status) == PROBE_READY)
                return 0;
        if (woke == -2)
                return -1;
        if (woke == 0 && WIFEXITED(status) && WEXITSTATUS(status) == PROBE_NO_PCSCD &&
            !run_failed(e))
                fprintf(stderr, "scsim run: pcscd went away while we waited for the cards\n");
        /* With scsim-vpcd gone, pcscd's end is only its consequence (vpcd aborts it). */
        if (!(bridge > 0 && e->bridge == 0))
                print_tail(e->dir, "pcscd.log", 20);
        print_tail(e->dir, "bridge.log", 20);
        return -1;
}
