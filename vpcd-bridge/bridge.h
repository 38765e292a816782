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

struct bridge_config {
        const scsim_profile *profile; /* borrowed; every slot's card is made from it */
        struct vpcd_addr addr;        /* slot 0's address: vpcd's (connect) or ours (reverse) */
        bool reverse;                 /* listen and let vpcd connect to us */
        unsigned slots;               /* 1 .. BRIDGE_SLOTS_MAX */
        FILE *trace;                  /* NULL: no trace */
        bool trace_secrets;           /* show PIN/PUK/key bytes in the trace */
        int verbosity;                /* 0: warnings and errors; 1: connections; 2: card debug */
        FILE *log;                    /* where diagnostics go (stderr) */
        const char *state_path;   /* NULL: state in memory; else slot 0's file, PATH.n slot n's */
        const uint8_t *state_key; /* NULL: plain state files; else SCSIM_STATE_KEY_LEN bytes */
};

/* The state file of slot n: PATH for slot 0, PATH.n for the others. */
int bridge_state_path(const char *base, unsigned slot, char *buf, size_t cap);

/*
 * Serve until SIGINT or SIGTERM. Blocks those signals and reads them through
 * a signalfd, so it must run in the main thread. Returns an exit code:
 * 0 after a signal, 3 when the bridge could not start.
 */
int bridge_run(const struct bridge_config *cfg);

#endif
