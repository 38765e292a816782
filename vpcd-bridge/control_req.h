/* SPDX-License-Identifier: MIT */
/* One control request (docs/control.md), parsed and checked before anything acts on it. */
#ifndef SCSIM_BRIDGE_CONTROL_REQ_H
#define SCSIM_BRIDGE_CONTROL_REQ_H

#include <stdbool.h>
#include <stddef.h>

#include <scsim/control.h>

/* Longest request line; a longer one is refused and skipped up to its newline. */
#define CTL_LINE_MAX 4096u

enum ctl_op {
        CTL_STATUS,
        CTL_INSERT,
        CTL_REMOVE,
        CTL_SWAP,
        CTL_POWER,
        CTL_RESET,
        CTL_SNAPSHOT,
        CTL_RESTORE,
        CTL_FAULT,
        CTL_CLEAR,
};

enum ctl_power { CTL_POWER_OFF, CTL_POWER_ON, CTL_POWER_CYCLE };

struct ctl_req {
        enum ctl_op op;
        bool has_slot; /* status may go without */
        unsigned slot;
        char profile[1024]; /* "" when absent */
        char state[1024];   /* "" when absent */
        enum ctl_power power;
        bool in_place;     /* reset: the card stays in the reader, PC/SC sees nothing */
        unsigned id;       /* restore: the snapshot; clear: the fault (0: all) */
        bool tear;         /* fault kind tear, which this build cannot inject */
        scsim_fault fault; /* fault */
};

/*
 * Parses one line (without its newline) for a bridge of `slots` slots.
 * 0, or -1 with a message naming the field at fault in err.
 */
int ctl_req_parse(const char *line, size_t len, unsigned slots, struct ctl_req *req, char *err,
                  size_t cap);

const char *ctl_op_name(enum ctl_op op);

#endif
