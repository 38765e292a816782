/* SPDX-License-Identifier: MIT */
/* Inside the bridge: a slot (one card and its vpcd connection) and the bridge that owns the slots.
 */
#ifndef SCSIM_BRIDGE_SLOT_H
#define SCSIM_BRIDGE_SLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <scsim/scsim.h>

#include "bridge.h"
#include "vpcd_io.h"

enum log_level { L_ERROR = 0, L_WARN = 1, L_INFO = 2, L_DEBUG = 3 };

struct slot {
        struct bridge *bridge;
        unsigned index;
        scsim_card *card;
        struct vpcd_addr addr; /* vpcd's port (connect) or ours (reverse) */
        int listen_fd;         /* reverse mode only */
        int fd;                /* the vpcd connection, -1 while there is none */
        unsigned backoff_ms;
        uint64_t next_try_ms;
        bool waiting_logged; /* "waiting for vpcd" said once per outage */
};

struct bridge {
        const struct bridge_config *cfg;
        struct slot slots[BRIDGE_SLOTS_MAX];
        int sig_fd;
        uint8_t *rx; /* one C-APDU or control byte */
        uint8_t *tx; /* one R-APDU */
        char *hex_c; /* trace text of a command */
        char *hex_r; /* trace text of a response */
};

void blog(const struct bridge *b, enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The connection side of a slot (slot_conn.c). */
uint64_t now_ms(void);
void slot_drop(struct slot *s, const char *why);
void slot_try_connect(struct slot *s);
int slot_listen(struct slot *s);
void slot_accept(struct slot *s);
int slot_send(struct slot *s, const uint8_t *p, size_t len);
void slot_readable(struct slot *s);

/* The card side (bridge.c): one whole frame from vpcd, a control byte or a C-APDU. */
void slot_frame(struct slot *s, const uint8_t *p, size_t len);

#endif
