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
};

struct bridge {
        const struct bridge_config *cfg;
        struct slot slots[BRIDGE_SLOTS_MAX];
        int sig_fd;
        uint64_t frame_us; /* time bounds in effect: a frame in, an answer out */
        uint64_t idle_us;  /* a reverse-mode connection before its first frame */
        uint8_t *rapdu;    /* the card's answer, before it is framed */
        char *hex_c;       /* trace text of a command */
        char *hex_r;       /* trace text of a response */
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

/* The card side (bridge.c): one whole frame from vpcd, a control byte or a C-APDU. */
void slot_frame(struct slot *s, const uint8_t *p, size_t len);

#endif
