/* SPDX-License-Identifier: MIT */
/* scsim run waits through PC/SC until every card is present. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <PCSC/winscard.h>
#include <PCSC/wintypes.h>

#include "run.h"

/* How a look through PC/SC ended. */
enum { LOOK_READY = 0, LOOK_TIMEOUT = 1, LOOK_NO_PCSCD = 2 };

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

        static bool said; /* once, whichever thread sees it first */

        if (path_join(path, sizeof(path), e->dir, FAILED_FILE) != 0 ||
            (f = fopen(path, "re")) == NULL)
                return false;
        if (said) {
                fclose(f);
                return true;
        }
        said = true;
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
 * Look through PC/SC until every card is present, pcscd goes, the deadline
 * passes or the watch gives up (it then ends what we may be blocked on).
 */
static int look_until_ready(const struct run_env *e, unsigned slots, uint64_t deadline,
                            atomic_int *verdict)
{
        SCARDCONTEXT ctx = 0;
        LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
        int result = LOOK_TIMEOUT;

        if (rv != SCARD_S_SUCCESS)
                return LOOK_NO_PCSCD;
        while (atomic_load(verdict) == 0) {
                uint64_t now = now_ms();
                if (now >= deadline)
                        break;
                rv = look(ctx, e, slots, (DWORD)(deadline - now < 1000 ? deadline - now : 1000));
                if (rv == SCARD_S_SUCCESS || rv != SCARD_E_TIMEOUT) {
                        result = rv == SCARD_S_SUCCESS ? LOOK_READY : LOOK_NO_PCSCD;
                        break;
                }
        }
        SCardReleaseContext(ctx);
        if (result == LOOK_TIMEOUT && atomic_load(verdict) == 0)
                fprintf(stderr,
                        "scsim run: timed out after %u s waiting for %u card(s) in pcscd (last "
                        "PC/SC result: %s)\n",
                        e->opts->timeout_s, slots, pcsc_stringify_error(rv));
        return result;
}

/* What woke the watch: 1 nothing to end the wait, -1 give up, -2 give up and skip the logs. */
static int on_event(struct run_env *e, struct pollfd *p)
{
        struct signalfd_siginfo si;
        char buf[4096];

        if (p[2].revents & POLLIN) {
                (void)!read(p[2].fd, buf, sizeof(buf));
                if (run_failed(e))
                        return -2;
        }
        while (p[1].fd >= 0 && read(p[1].fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
                if (si.ssi_signo != SIGCHLD && e->stop_sig == 0)
                        e->stop_sig = (int)si.ssi_signo;
        if (e->stop_sig != 0) {
                fprintf(stderr, "scsim run: interrupted while waiting for the cards\n");
                return -2;
        }
        /* The report of a pcscd just spawned: its isolation, or why it could not start. */
        if ((p[3].revents & (POLLIN | POLLHUP)) && p[3].fd >= 0) {
                p[3].fd = -1;
                if (run_pcscd_started(e) != 0)
                        return -2;
        }
        return daemon_died(e) ? -1 : 1;
}

/*
 * The watch over the wait, in a thread of its own: libpcsclite waits for
 * pcscd without a timeout, so when a daemon dies, a signal comes, the run
 * gave up or time is up, the watch ends pcscd and closes its socket, which
 * fails every PC/SC call waiting on them.
 */
struct watch {
        struct run_env *e;
        uint64_t deadline;
        int done[2];        /* the looking thread says it is done */
        atomic_int verdict; /* 0 waiting, 1 ready, -1 failed, -2 failed and said why */
};

static void *watch_run(void *arg)
{
        struct watch *w = arg;
        struct run_env *e = w->e;
        struct pollfd p[4] = {
            {.fd = w->done[0]}, {.fd = e->sig_fd}, {.fd = -1}, {.fd = e->pcscd_report}};
        int ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK), result = 1, expected = 0;

        if (ino >= 0 && inotify_add_watch(ino, e->dir, IN_CREATE | IN_MOVED_TO) >= 0)
                p[2].fd = ino;
        for (int i = 0; i < 4; i++)
                p[i].events = POLLIN;
        while (result == 1) {
                uint64_t now = now_ms();
                /* The looking thread keeps the deadline itself; a second more lets it say so. */
                if (now >= w->deadline + 1000u) {
                        fprintf(stderr, "scsim run: pcscd did not answer in %u s\n",
                                e->opts->timeout_s);
                        result = -1;
                        break;
                }
                if (poll(p, 4, (int)(w->deadline + 1000u - now)) <= 0)
                        continue;
                if (p[0].revents != 0)
                        break;
                result = on_event(e, p);
        }
        if (ino >= 0)
                close(ino);
        if (result == 1 || !atomic_compare_exchange_strong(&w->verdict, &expected, result))
                return NULL;
        if (e->pcscd <= 0 && e->pcsc_fd < 0) {
                /* --wait: nothing of ours to end; the process itself ends. */
                _exit(RUN_EXIT_FAILED);
        }
        if (e->pcscd > 0)
                kill(e->pcscd, SIGKILL);
        if (e->pcsc_fd >= 0)
                close(e->pcsc_fd);
        e->pcsc_fd = -1;
        return NULL;
}

/*
 * Wait through PC/SC itself until each served slot shows a card. Returns 0,
 * or -1 after a message. Bounded waits only, no sleeps: every wait ends on
 * an event (the cards, a signal, a daemon's end, a file in the run directory).
 */
int wait_ready(struct run_env *e, unsigned slots, uint64_t deadline)
{
        struct watch w = {.e = e, .deadline = deadline, .done = {-1, -1}};
        pid_t bridge = e->bridge;
        pthread_t th;
        int looked, expected = 0, verdict;

        if (run_failed(e))
                return -1;
        atomic_init(&w.verdict, 0);
        if (pipe2(w.done, O_CLOEXEC) != 0 || pthread_create(&th, NULL, watch_run, &w) != 0) {
                fprintf(stderr, "scsim run: cannot watch the wait: %s\n", strerror(errno));
                return -1;
        }
        looked = look_until_ready(e, slots, deadline, &w.verdict);
        (void)atomic_compare_exchange_strong(&w.verdict, &expected, looked == LOOK_READY ? 1 : -1);
        (void)!write(w.done[1], "", 1);
        pthread_join(th, NULL);
        close(w.done[0]);
        close(w.done[1]);
        verdict = atomic_load(&w.verdict);
        /* Cards present means pcscd runs; its report is there to read. */
        if (verdict == 1 && e->pcscd_report >= 0 && run_pcscd_started(e) != 0)
                verdict = -2;
        if (verdict == 1)
                return 0;
        if (verdict == -2)
                return -1;
        if (looked == LOOK_NO_PCSCD && !run_failed(e) && !(bridge > 0 && e->bridge == 0))
                fprintf(stderr, "scsim run: pcscd went away while we waited for the cards\n");
        /* With scsim-vpcd gone, pcscd's end is only its consequence (vpcd aborts it). */
        if (!(bridge > 0 && e->bridge == 0))
                print_tail(e->dir, "pcscd.log", 20);
        print_tail(e->dir, "bridge.log", 20);
        return -1;
}
