/* SPDX-License-Identifier: MIT */
/* Waiting until PC/SC shows a reader empty or with a card, off the bridge's loop (a thread each).
 */
#define _GNU_SOURCE
#include "pcsc_watch.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <winscard.h>

#include "bridge.h"

/* Each wait looks at its stop flag this often. */
#define SLICE_MS 250u

struct watch_job {
        struct pcsc_watch *w;
        unsigned slot;
        char reader[256];
        bool present;
        unsigned timeout_ms;
        pthread_t thread;
        bool running; /* a thread was started and not yet joined */
};

struct pcsc_watch {
        int pipe[2];
        atomic_bool stop;
        struct watch_job job[BRIDGE_SLOTS_MAX];
};

/* What the thread tells the loop, one write each (below PIPE_BUF: never torn). */
struct watch_msg {
        uint32_t slot;
        uint32_t seen;
};

static uint64_t mono_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static bool holds(DWORD state, bool present)
{
        if (present)
                return (state & SCARD_STATE_PRESENT) != 0 && (state & SCARD_STATE_EMPTY) == 0;
        return (state & SCARD_STATE_EMPTY) != 0;
}

static bool wait_reader(struct watch_job *j)
{
        uint64_t end = mono_ms() + j->timeout_ms;
        SCARDCONTEXT ctx = 0;
        SCARD_READERSTATE st;
        bool seen = false;

        if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx) != SCARD_S_SUCCESS)
                return false;
        memset(&st, 0, sizeof(st));
        st.szReader = j->reader;
        st.dwCurrentState = SCARD_STATE_UNAWARE;
        while (!seen && !atomic_load(&j->w->stop) && mono_ms() < end) {
                LONG rv = SCardGetStatusChange(ctx, SLICE_MS, &st, 1);
                if (rv == SCARD_S_SUCCESS) {
                        seen = holds(st.dwEventState, j->present);
                        st.dwCurrentState = st.dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
                } else if (rv != (LONG)SCARD_E_TIMEOUT) {
                        /* pcscd restarting, or the reader not there yet: look again soon. */
                        struct timespec pause = {.tv_sec = 0, .tv_nsec = 50 * 1000000L};
                        nanosleep(&pause, NULL);
                        st.dwCurrentState = SCARD_STATE_UNAWARE;
                }
        }
        SCardReleaseContext(ctx);
        return seen;
}

static void *watch_thread(void *arg)
{
        struct watch_job *j = arg;
        struct watch_msg m = {.slot = j->slot, .seen = wait_reader(j) ? 1u : 0u};

        (void)!write(j->w->pipe[1], &m, sizeof(m));
        return NULL;
}

int pcsc_watch_new(unsigned slots, struct pcsc_watch **out)
{
        struct pcsc_watch *w = calloc(1, sizeof(*w));

        (void)slots;
        *out = NULL;
        if (w == NULL)
                return -1;
        if (pipe2(w->pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
                free(w);
                return -1;
        }
        atomic_init(&w->stop, false);
        *out = w;
        return 0;
}

void pcsc_watch_free(struct pcsc_watch **wp)
{
        struct pcsc_watch *w = wp != NULL ? *wp : NULL;

        if (w == NULL)
                return;
        atomic_store(&w->stop, true);
        for (unsigned i = 0; i < BRIDGE_SLOTS_MAX; i++)
                if (w->job[i].running)
                        pthread_join(w->job[i].thread, NULL);
        close(w->pipe[0]);
        close(w->pipe[1]);
        free(w);
        *wp = NULL;
}

int pcsc_watch_fd(const struct pcsc_watch *w)
{
        return w->pipe[0];
}

int pcsc_watch_start(struct pcsc_watch *w, unsigned slot, const char *reader, bool present,
                     unsigned timeout_ms)
{
        struct watch_job *j;

        if (slot >= BRIDGE_SLOTS_MAX || strlen(reader) >= sizeof(j->reader))
                return -1;
        j = &w->job[slot];
        /* The slot's previous wait already reported (one operation per slot): this returns at once.
         */
        if (j->running)
                pthread_join(j->thread, NULL);
        j->running = false;
        j->w = w;
        j->slot = slot;
        j->present = present;
        j->timeout_ms = timeout_ms;
        memcpy(j->reader, reader, strlen(reader) + 1);
        if (pthread_create(&j->thread, NULL, watch_thread, j) != 0)
                return -1;
        j->running = true;
        return 0;
}

int pcsc_watch_read(struct pcsc_watch *w, unsigned *slot, bool *seen)
{
        struct watch_msg m;

        if (read(w->pipe[0], &m, sizeof(m)) != (ssize_t)sizeof(m))
                return 0;
        *slot = m.slot;
        *seen = m.seen != 0;
        return 1;
}
