/* SPDX-License-Identifier: MIT */
/* vpcd's wire format on a TCP socket: framed reads and writes, socket tuning, addresses. */
#ifndef SCSIM_VPCD_IO_H
#define SCSIM_VPCD_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Every message is a 2-byte big-endian length and that many payload bytes. */
#define VPCD_FRAME_MAX 65535u

/* A one-byte payload from vpcd is a control byte. */
#define VPCD_CTRL_OFF   0x00
#define VPCD_CTRL_ON    0x01
#define VPCD_CTRL_RESET 0x02
#define VPCD_CTRL_ATR   0x04

/* Default port of Debian's vpcd (reader.conf.d/vpcd: 0x8C7B). */
#define VPCD_DEFAULT_PORT 35963u

enum vpcd_io_result {
        VPCD_IO_OK = 0,
        VPCD_IO_AGAIN,  /* would block: try again when poll says so */
        VPCD_IO_CLOSED, /* the peer closed its side */
        VPCD_IO_ERROR,  /* errno is set */
};

/*
 * Latency options for a connected socket: TCP_NODELAY and TCP_QUICKACK
 * (reference/vpcd.md), and O_NONBLOCK so no read or write waits on the
 * peer. Returns 0 or -1 with errno.
 */
int vpcd_sock_tune(int fd);

/*
 * A frame being assembled from a byte stream that arrives in chunks of any
 * size, so that no read ever waits for the rest of a frame. buf holds the
 * 2-byte length, the payload and whatever bytes of later frames came with
 * it; a complete frame is taken with vpcd_rx_frame and dropped with
 * vpcd_rx_next.
 */
struct vpcd_rx {
        uint8_t *buf; /* 2 + cap bytes */
        size_t cap;   /* largest payload accepted, at most VPCD_FRAME_MAX */
        size_t fill;  /* bytes held */
};

enum vpcd_frame_state {
        VPCD_FRAME_PARTIAL = 0, /* more bytes needed (none held, or part of a frame) */
        VPCD_FRAME_READY,       /* a whole frame is held */
        VPCD_FRAME_BOGUS,       /* zero-length or oversize; see why */
};

/* Allocates the buffer. Returns 0 or -1 (out of memory, or cap out of range). */
int vpcd_rx_init(struct vpcd_rx *rx, size_t cap);
/* Wipes and frees the buffer; safe on a zeroed or freed rx. */
void vpcd_rx_free(struct vpcd_rx *rx);
/* Forgets (and wipes) everything held, for a new connection. */
void vpcd_rx_reset(struct vpcd_rx *rx);

/*
 * Copies up to n bytes in and returns how many it took: none once a whole or
 * bogus frame is held, since vpcd_rx_next must make room first.
 */
size_t vpcd_rx_feed(struct vpcd_rx *rx, const uint8_t *p, size_t n);

/*
 * One non-blocking recv into the free space, then TCP_QUICKACK re-armed
 * (the kernel drops it whenever it decides to delay an ACK). VPCD_IO_OK:
 * bytes arrived; VPCD_IO_AGAIN: none yet, or no room (a whole frame is
 * held); VPCD_IO_CLOSED: the peer closed; VPCD_IO_ERROR: errno is set.
 */
enum vpcd_io_result vpcd_rx_recv(int fd, struct vpcd_rx *rx);

/*
 * The state of the frame at the front. When READY, *payload and *len give
 * it (valid until the next call that changes rx). When BOGUS, or when the
 * peer closed while PARTIAL, *why names the fault (a static string; NULL
 * when nothing was held, which is an orderly close).
 */
enum vpcd_frame_state vpcd_rx_frame(const struct vpcd_rx *rx, const uint8_t **payload, size_t *len,
                                    const char **why);

/* Drops the frame at the front (wiping it: it may hold a PIN) and keeps the bytes after it. */
void vpcd_rx_next(struct vpcd_rx *rx);

/* Payload bytes of the frame at the front that have arrived, and how many it declares (0: unknown
 * yet). */
void vpcd_rx_progress(const struct vpcd_rx *rx, size_t *got, size_t *want);

/*
 * One framed answer waiting to leave. It goes out with as few sends as the
 * socket allows (one, unless the peer is slow to read); what does not fit
 * waits here, so a slow reader never blocks anyone else.
 */
struct vpcd_tx {
        uint8_t *buf; /* 2 + VPCD_FRAME_MAX bytes */
        size_t len;   /* framed bytes queued */
        size_t off;   /* of which sent */
};

int vpcd_tx_init(struct vpcd_tx *tx);
void vpcd_tx_free(struct vpcd_tx *tx);
/* Drops (and wipes) an unsent answer, for a new connection. */
void vpcd_tx_reset(struct vpcd_tx *tx);
bool vpcd_tx_pending(const struct vpcd_tx *tx);
/* Queues one frame. Returns -1 with errno EMSGSIZE (too long) or EBUSY (an answer is pending). */
int vpcd_tx_queue(struct vpcd_tx *tx, const uint8_t *payload, size_t len);
/*
 * Non-blocking send of what is pending. VPCD_IO_OK: all of it left (and the
 * buffer is wiped); VPCD_IO_AGAIN: the socket is full, the rest waits;
 * VPCD_IO_ERROR: errno is set.
 */
enum vpcd_io_result vpcd_tx_send(int fd, struct vpcd_tx *tx);

/* A resolved HOST:PORT. */
struct vpcd_addr {
        struct sockaddr_storage ss;
        socklen_t len;
};

/*
 * Parse "HOST:PORT", "[V6]:PORT" or "HOST" (default_port) and resolve it
 * numerically or by name. On error returns -1 and writes a message into err.
 */
int vpcd_addr_parse(const char *text, uint16_t default_port, struct vpcd_addr *out, char *err,
                    size_t errcap);
/* The same address with the port moved by delta (slot n uses port + n). */
int vpcd_addr_with_port_offset(const struct vpcd_addr *in, unsigned delta, struct vpcd_addr *out);
uint16_t vpcd_addr_port(const struct vpcd_addr *a);
bool vpcd_addr_is_loopback(const struct vpcd_addr *a);
/* "127.0.0.1:35963" / "[::1]:35963" into buf. */
const char *vpcd_addr_format(const struct vpcd_addr *a, char *buf, size_t cap);

#endif
