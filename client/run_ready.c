/* SPDX-License-Identifier: MIT */
/* scsim run waits through PC/SC until every card is present. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <PCSC/winscard.h>
#include <PCSC/wintypes.h>

#include "run.h"

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

/* Wait for a change in dir (the socket appearing) or a signal, at most ms. Returns a stop signal or
 * 0. */
static int wait_dir_change(int ino_fd, int sig_fd, uint64_t ms)
{
        struct pollfd p[2] = {{.fd = ino_fd, .events = POLLIN}, {.fd = sig_fd, .events = POLLIN}};
        struct signalfd_siginfo si;
        char buf[4096];
        int stop = 0;

        if (poll(p, sig_fd >= 0 ? 2 : 1, (int)ms) <= 0)
                return 0;
        if (p[0].revents & POLLIN)
                (void)!read(ino_fd, buf, sizeof(buf));
        /* SIGCHLD needs nothing here: the caller reaps its daemons by pid. */
        while (sig_fd >= 0 && read(sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
                if (si.ssi_signo != SIGCHLD)
                        stop = (int)si.ssi_signo;
        return stop;
}

static int stop_requested(int sig_fd)
{
        return sig_fd >= 0 ? wait_dir_change(-1, sig_fd, 0) : 0;
}

/*
 * Wait through PC/SC itself until each served slot shows a card: first for
 * pcscd's socket (inotify), then SCardGetStatusChange. Returns 0, or -1 after
 * a message. Bounded waits only, no sleeps: every wait ends on an event.
 */
int wait_ready(struct run_env *e, unsigned slots, uint64_t deadline)
{
        SCARDCONTEXT ctx = 0;
        SCARD_READERSTATE st[VPCD_SLOTS + 1];
        char *names = NULL;
        DWORD names_len;
        LONG rv = SCARD_S_SUCCESS;
        int ino = -1, ok = -1;
        unsigned found = 0, total = 0;

        ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (ino < 0 || inotify_add_watch(ino, e->run, IN_CREATE | IN_MOVED_TO | IN_ATTRIB) < 0) {
                fprintf(stderr, "scsim run: inotify on %s: %s\n", e->run, strerror(errno));
                goto fail;
        }
        for (;;) {
                uint64_t now = now_ms();
                if (now >= deadline)
                        goto timeout;
                if (daemon_died(e))
                        goto died;
                e->stop_sig = stop_requested(e->sig_fd);
                if (e->stop_sig != 0)
                        goto interrupted;
                if (ctx == 0) {
                        rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
                        if (rv != SCARD_S_SUCCESS) {
                                ctx = 0;
                                e->stop_sig = wait_dir_change(
                                    ino, e->sig_fd, deadline - now < 500 ? deadline - now : 500);
                                if (e->stop_sig != 0)
                                        goto interrupted;
                                continue;
                        }
                }
                /* Readers appear as pcscd loads the driver; the PnP pseudo-reader tells us when. */
                free(names);
                names = NULL;
                names_len = SCARD_AUTOALLOCATE;
                found = 0;
                total = 0;
                rv = SCardListReaders(ctx, NULL, (LPSTR)&names, &names_len);
                if (rv == SCARD_S_SUCCESS) {
                        char *copy = malloc(names_len);
                        if (copy == NULL)
                                goto fail;
                        memcpy(copy, names, names_len);
                        SCardFreeMemory(ctx, names);
                        names = copy;
                        for (char *r = names; *r != '\0'; r += strlen(r) + 1) {
                                total++;
                                if (found < slots &&
                                    strncmp(r, READER_PREFIX " ", strlen(READER_PREFIX) + 1) == 0)
                                        snprintf(e->readers[found++], sizeof(e->readers[0]), "%s",
                                                 r);
                        }
                } else {
                        names = NULL;
                }
                memset(st, 0, sizeof(st));
                for (unsigned i = 0; i < found; i++) {
                        st[i].szReader = e->readers[i];
                        st[i].dwCurrentState = SCARD_STATE_UNAWARE;
                }
                st[found].szReader = "\\\\?PnP?\\Notification";
                /* pcsc-lite's convention: the reader count we know, in the high word. */
                st[found].dwCurrentState = (DWORD)total << 16;
                rv = SCardGetStatusChange(ctx, 0, st, (DWORD)found + 1u);
                if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT) {
                        /* pcscd went away under us (restart): start over with a new context. */
                        SCardReleaseContext(ctx);
                        ctx = 0;
                        continue;
                }
                unsigned present = 0;
                for (unsigned i = 0; i < found; i++)
                        if ((st[i].dwEventState & SCARD_STATE_PRESENT) &&
                            !(st[i].dwEventState & SCARD_STATE_MUTE))
                                present++;
                if (found == slots && present == slots)
                        break;
                /* Block until a reader or card changes, or at most a second to re-check the
                 * daemons. */
                for (unsigned i = 0; i < found; i++)
                        st[i].dwCurrentState = st[i].dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
                st[found].dwCurrentState = (DWORD)total << 16;
                now = now_ms();
                if (now >= deadline)
                        goto timeout;
                rv = SCardGetStatusChange(ctx,
                                          (DWORD)(deadline - now < 1000 ? deadline - now : 1000),
                                          st, (DWORD)found + 1u);
                if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT) {
                        SCardReleaseContext(ctx);
                        ctx = 0;
                }
        }
        ok = 0;
        goto fail;
timeout:
        fprintf(stderr,
                "scsim run: timed out after %u s waiting for %u card(s) to appear in pcscd "
                "(readers found: %u; last PC/SC result: %s)\n",
                e->opts->timeout_s, slots, found, pcsc_stringify_error(rv));
        print_tail(e->dir, "pcscd.log", 20);
        print_tail(e->dir, "bridge.log", 20);
        goto fail;
interrupted:
        fprintf(stderr, "scsim run: interrupted while waiting for the cards\n");
        goto fail;
died:
        print_tail(e->dir, "pcscd.log", 20);
        print_tail(e->dir, "bridge.log", 20);
fail:
        free(names);
        if (ctx != 0)
                SCardReleaseContext(ctx);
        if (ino >= 0)
                close(ino);
        return ok;
}
