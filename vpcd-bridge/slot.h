/* SPDX-License-Identifier: MIT */
/* Inside the bridge: a slot (one card and its vpcd connection) and the bridge that owns the slots.
 */
#ifndef SCSIM_BRIDGE_SLOT_H
#define SCSIM_BRIDGE_SLOT_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <scsim/scsim.h>

#include "bridge.h"
#include "control.h"
#include "vpcd_io.h"

enum log_level { L_ERROR = 0, L_WARN = 1, L_INFO = 2, L_DEBUG = 3 };

/*
 * A slot's link to vpcd. Every transition happens in the one poll loop, on
 * an event of the slot's own sockets or on one of its own timers, so a
 * slot never waits for another and none of its I/O blocks.
 */
enum slot_link {
        SLOT_DOWN,       /* no connection: retry due at next_try_us, or (reverse) vpcd awaited */
        SLOT_CONNECTING, /* a non-blocking connect under way since link_since_us */
        SLOT_UP,         /* connected since link_since_us: frames in, answers out */
};

struct slot {
        struct bridge *bridge;
        unsigned index;
        scsim_card *card;
        struct vpcd_addr addr; /* vpcd's port (connect) or ours (reverse) */
        int listen_fd;         /* reverse mode only */
        int fd;                /* the connection, -1 while there is none */
        enum slot_link link;
        struct vpcd_rx rx; /* the frame being assembled */
        struct vpcd_tx tx; /* the answer being sent */
        uint64_t link_since_us;
        uint64_t last_rx_us;     /* bytes last arrived */
        uint64_t frame_start_us; /* the first byte of the frame in rx arrived (rx not empty) */
        uint64_t tx_start_us;    /* the pending answer was queued */
        bool spoke;              /* a whole frame arrived on this connection */
        unsigned backoff_ms;
        uint64_t next_try_us;
        bool waiting_logged; /* "waiting for vpcd" said once per outage */

        /* Driven through the control socket (control_ops.c). */
        bool removed;           /* taken out: not offered to vpcd */
        bool unpowered;         /* power off: not offered to vpcd either */
        uint64_t hold_until_us; /* a delay fault: the queued answer goes out then (0: none) */
        uint64_t mute_until_us; /* a mute fault: the link drops then (0: none) */
        scsim_faults *faults;
        scsim_profile *own_profile; /* a profile loaded by insert or swap, the card's */
        char *state_path;           /* the card's state file, NULL: in memory */
        struct ctl_snap *snaps;     /* snapshots of this card, newest first */
        unsigned next_snap;
        struct ctl_op_run *op; /* the operation under way on this slot, NULL: none */
};

struct bridge {
        const struct bridge_config *cfg;
        struct slot slots[BRIDGE_SLOTS_MAX];
        int sig_fd;
        uint64_t frame_us;   /* time bounds in effect: a frame in, an answer out */
        uint64_t idle_us;    /* a reverse-mode connection before its first frame */
        uint8_t *rapdu;      /* the card's answer, before it is framed */
        char *hex_c;         /* trace text of a command */
        char *hex_r;         /* trace text of a response */
        struct control *ctl; /* the control socket, NULL: none */
};

void blog(const struct bridge *b, enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The connection side of a slot (slot_conn.c). */
uint64_t now_us(void);
int slot_io_init(struct slot *s);
void slot_io_free(struct slot *s);
int slot_listen(struct slot *s);
/* Reverse mode: serve vpcd on a socket already listening (made non-blocking). */
int slot_adopt_listener(struct slot *s, int fd);
/* Runs what is due at now: a connect retry, a time bound, a frame waiting in rx. */
void slot_tick(struct slot *s, uint64_t now);
/* Up to two pollfds for the slot's sockets; lowers *deadline to its next timer. */
nfds_t slot_poll_fds(struct slot *s, uint64_t now, struct pollfd *pfd, uint64_t *deadline);
/* Acts on what poll reported for one of the slot's pollfds. */
void slot_poll_event(struct slot *s, const struct pollfd *pfd, uint64_t now);
/* Queues one answer to vpcd and sends what the socket takes now. */
void slot_answer(struct slot *s, const uint8_t *p, size_t len);
/* Ends the connection: the card loses power, as one pulled from a reader. */
void slot_drop(struct slot *s, const char *why);

/* Queues an answer that goes out at at_us (a delay fault); nothing is read meanwhile. */
void slot_answer_at(struct slot *s, const uint8_t *p, size_t len, uint64_t at_us);
/* Whether the slot offers its card to vpcd (neither removed nor powered off). */
bool slot_offered(const struct slot *s);

/* The card side (bridge.c): one whole frame from vpcd, a control byte or a C-APDU. */
void slot_frame(struct slot *s, const uint8_t *p, size_t len);
/* A line in the trace, if there is one. */
void trace_event(const struct slot *s, const char *what);
/*
 * A card for slot s as every card of the bridge is made: its log, its
 * serial (the profile's plus the slot number), the state file with the
 * bridge's key, SCSIM_TEST_FAULT. NULL with a message in err.
 */
scsim_card *slot_make_card(struct slot *s, const scsim_profile *profile, const char *state_path,
                           char *err, size_t cap);

#endif
