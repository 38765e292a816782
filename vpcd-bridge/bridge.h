/* SPDX-License-Identifier: MIT */
/* The bridge: N simulated cards served to vpcd over TCP from one poll loop. */
#ifndef SCSIM_BRIDGE_H
#define SCSIM_BRIDGE_H

#include <stdbool.h>
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

struct bridge_config {
        const scsim_profile *profile; /* borrowed; every slot's card is made from it */
        struct vpcd_addr addr;        /* slot 0's address: vpcd's (connect) or ours (reverse) */
        bool reverse;                 /* listen and let vpcd connect to us */
        unsigned slots;               /* 1 .. BRIDGE_SLOTS_MAX */
        FILE *trace;                  /* NULL: no trace */
        bool trace_secrets;           /* show PIN/PUK/key bytes in the trace */
        int verbosity;                /* 0: warnings and errors; 1: connections; 2: card debug */
        FILE *log;                    /* where diagnostics go (stderr) */
        const char *state_path; /* NULL: state in memory; else slot 0's file, PATH.n slot n's */
        /* 0: BRIDGE_FRAME_TIMEOUT_MS. From a frame's first byte to its last, and from an answer
         * queued to its last byte taken: longer drops the connection. */
        unsigned frame_timeout_ms;
        /* 0: BRIDGE_IDLE_TIMEOUT_MS. Reverse mode: a connection that sends no frame that long
         * after connecting is dropped; one silent that long gives way to a new connection. */
        unsigned idle_timeout_ms;
};

/* The state file of slot n: PATH for slot 0, PATH.n for the others. */
int bridge_state_path(const char *base, unsigned slot, char *buf, size_t cap);

/*
 * Opens (creating 0600) the trace file at path for writing, started anew
 * unless append. Refuses, with a message in err (the path not repeated), a
 * symbolic link as the last component, anything but a regular file (a FIFO
 * is refused without blocking), a file of another user and one with other
 * hard links; a file of ours with a looser mode is made 0600. NULL on error.
 */
FILE *bridge_trace_open(const char *path, bool append, char *err, size_t errcap);

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
