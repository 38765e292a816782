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

enum vpcd_read_result {
        VPCD_READ_OK = 0,
        VPCD_READ_CLOSED, /* orderly close between frames: the peer went away */
        VPCD_READ_BOGUS,  /* zero-length, oversize or truncated frame; see why */
        VPCD_READ_ERROR,  /* socket error; errno is set */
};

/*
 * Latency options for a connected socket: TCP_NODELAY, TCP_QUICKACK, and
 * send/receive timeouts so a peer stalling inside a frame cannot hold the
 * poll loop for long. Returns 0 or -1 with errno.
 */
int vpcd_sock_tune(int fd, unsigned timeout_ms);

/*
 * Read one frame into buf (cap bytes). Exact-length reads that go on after
 * short reads and EINTR; TCP_QUICKACK is re-armed after every read because
 * the kernel drops it whenever it decides to delay an ACK. On
 * VPCD_READ_BOGUS, *why names what was wrong (a static string).
 */
enum vpcd_read_result vpcd_read_frame(int fd, uint8_t *buf, size_t cap, size_t *len,
                                      const char **why);

/* Write one frame in a single send, so the peer never waits on Nagle. Returns 0 or -1. */
int vpcd_write_frame(int fd, const uint8_t *payload, size_t len);

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
