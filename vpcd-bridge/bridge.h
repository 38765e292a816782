/* SPDX-License-Identifier: MIT */
/* The bridge: N simulated cards served to vpcd over TCP from one poll loop. */
#ifndef SCSIM_BRIDGE_H
#define SCSIM_BRIDGE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <scsim/profile.h>

#include "vpcd_io.h"

/* Most slots one bridge serves (ports base .. base + N - 1). */
#define BRIDGE_SLOTS_MAX 16u

/*
 * Time bounds of one slot's connection, by default. On loopback a frame
 * takes microseconds; a peer that takes longer is stalled or hostile, and
 * only its own slot is dropped. vpcd asks for the ATR as soon as it
 * connects, so a reverse-mode connection that sends nothing is not vpcd.
 */
#define BRIDGE_FRAME_TIMEOUT_MS 5000u
#define BRIDGE_IDLE_TIMEOUT_MS  5000u

/* One slot's card where it differs from the defaults of struct bridge_config. */
struct bridge_slot_config {
        const scsim_profile *profile; /* borrowed; NULL: the config's profile */
        const char *state_path;       /* NULL: from the config's state_path (or in memory) */
        int listen_fd; /* reverse mode: a socket already listening (fd > 2), or 0 to open one */
};

struct bridge_config {
        const scsim_profile *profile; /* borrowed; the cards of slots without their own profile */
        struct vpcd_addr addr;        /* slot 0's address: vpcd's (connect) or ours (reverse) */
        bool reverse;                 /* listen and let vpcd connect to us */
        unsigned slots;               /* 1 .. BRIDGE_SLOTS_MAX */
        FILE *trace;                  /* NULL: no trace */
        bool trace_secrets;           /* show PIN/PUK/key bytes in the trace */
        int verbosity;                /* 0: warnings and errors; 1: connections; 2: card debug */
        FILE *log;                    /* where diagnostics go (stderr) */
        const char *state_path;   /* NULL: state in memory; else slot 0's file, PATH.n slot n's */
        const uint8_t *state_key; /* NULL: plain state files; else SCSIM_STATE_KEY_LEN bytes */
        /* 0: BRIDGE_FRAME_TIMEOUT_MS. From a frame's first byte to its last, and from an answer
         * queued to its last byte taken: longer drops the connection. */
        unsigned frame_timeout_ms;
        /* 0: BRIDGE_IDLE_TIMEOUT_MS. Reverse mode: a connection that sends no frame that long
         * after connecting is dropped; one silent that long gives way to a new connection. */
        unsigned idle_timeout_ms;
        struct bridge_slot_config slot[BRIDGE_SLOTS_MAX];
        /* Called once every card is made and every --reverse port listens: vpcd may come. */
        void (*on_ready)(void *arg);
        void *on_ready_arg;
};

/* The state file of slot n: PATH for slot 0, PATH.n for the others. */
int bridge_state_path(const char *base, unsigned slot, char *buf, size_t cap);

/*
 * Makes this process not dumpable and its core size limit 0, soft and hard:
 * a core file would hold every card's codes and keys. 0, or -1 with errno.
 */
int bridge_no_core_dumps(void);

/*
 * Serve until SIGINT or SIGTERM, with core dumps off (bridge_no_core_dumps).
 * Blocks those signals and reads them through a signalfd, so it must run
 * in the main thread. Returns an exit code: 0 after a signal, 3 when the
 * bridge could not start.
 */
int bridge_run(const struct bridge_config *cfg);

#endif
