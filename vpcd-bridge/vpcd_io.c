/* SPDX-License-Identifier: MIT */
/* vpcd's wire format on a TCP socket: framed reads and writes, socket tuning, addresses. */
#include "vpcd_io.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void rearm_quickack(int fd)
{
        int one = 1;

        /* Best effort: on a non-TCP socket (tests use socketpairs) there is nothing to re-arm. */
        (void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
}

int vpcd_sock_tune(int fd)
{
        int one = 1;
        int flags = fcntl(fd, F_GETFL);

        if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0)
                return -1;
        if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0)
                return -1;
        if (setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one)) != 0)
                return -1;
        return 0;
}

int vpcd_rx_init(struct vpcd_rx *rx, size_t cap)
{
        memset(rx, 0, sizeof(*rx));
        if (cap == 0 || cap > VPCD_FRAME_MAX)
                return -1;
        rx->buf = calloc(1, 2 + cap);
        if (rx->buf == NULL)
                return -1;
        rx->cap = cap;
        return 0;
}

void vpcd_rx_reset(struct vpcd_rx *rx)
{
        if (rx->buf != NULL)
                explicit_bzero(rx->buf, rx->fill);
        rx->fill = 0;
}

void vpcd_rx_free(struct vpcd_rx *rx)
{
        vpcd_rx_reset(rx);
        free(rx->buf);
        memset(rx, 0, sizeof(*rx));
}

size_t vpcd_rx_feed(struct vpcd_rx *rx, const uint8_t *p, size_t n)
{
        size_t room = 2 + rx->cap - rx->fill;

        if (n > room)
                n = room;
        memcpy(rx->buf + rx->fill, p, n);
        rx->fill += n;
        return n;
}

enum vpcd_io_result vpcd_rx_recv(int fd, struct vpcd_rx *rx)
{
        size_t room = 2 + rx->cap - rx->fill;
        ssize_t r;

        if (room == 0)
                return VPCD_IO_AGAIN;
        do
                r = recv(fd, rx->buf + rx->fill, room, MSG_DONTWAIT);
        while (r < 0 && errno == EINTR);
        if (r < 0)
                return errno == EAGAIN || errno == EWOULDBLOCK ? VPCD_IO_AGAIN : VPCD_IO_ERROR;
        rearm_quickack(fd);
        if (r == 0)
                return VPCD_IO_CLOSED;
        rx->fill += (size_t)r;
        return VPCD_IO_OK;
}

/* The payload length the frame at the front declares; only when its 2 bytes are held. */
static size_t declared(const struct vpcd_rx *rx)
{
        return ((size_t)rx->buf[0] << 8) | rx->buf[1];
}

enum vpcd_frame_state vpcd_rx_frame(const struct vpcd_rx *rx, const uint8_t **payload, size_t *len,
                                    const char **why)
{
        size_t want;

        *payload = NULL;
        *len = 0;
        *why = NULL;
        if (rx->fill < 2) {
                if (rx->fill == 1)
                        *why = "truncated frame header";
                return VPCD_FRAME_PARTIAL;
        }
        want = declared(rx);
        if (want == 0) {
                *why = "zero-length frame";
                return VPCD_FRAME_BOGUS;
        }
        if (want > rx->cap) {
                *why = "oversize frame";
                return VPCD_FRAME_BOGUS;
        }
        if (rx->fill - 2 < want) {
                *why = "truncated frame";
                return VPCD_FRAME_PARTIAL;
        }
        *payload = rx->buf + 2;
        *len = want;
        return VPCD_FRAME_READY;
}

void vpcd_rx_next(struct vpcd_rx *rx)
{
        const uint8_t *payload;
        const char *why;
        size_t len, size, rest;

        if (vpcd_rx_frame(rx, &payload, &len, &why) != VPCD_FRAME_READY)
                return;
        size = 2 + len;
        rest = rx->fill - size;
        memmove(rx->buf, rx->buf + size, rest);
        /* What the move left behind is the old frame's bytes, or copies of the next one's. */
        explicit_bzero(rx->buf + rest, size);
        rx->fill = rest;
}

void vpcd_rx_progress(const struct vpcd_rx *rx, size_t *got, size_t *want)
{
        *want = rx->fill >= 2 ? declared(rx) : 0;
        *got = rx->fill >= 2 ? rx->fill - 2 : 0;
        if (*want != 0 && *got > *want)
                *got = *want;
}

int vpcd_tx_init(struct vpcd_tx *tx)
{
        memset(tx, 0, sizeof(*tx));
        tx->buf = calloc(1, 2 + VPCD_FRAME_MAX);
        return tx->buf != NULL ? 0 : -1;
}

void vpcd_tx_reset(struct vpcd_tx *tx)
{
        if (tx->buf != NULL)
                explicit_bzero(tx->buf, tx->len);
        tx->len = 0;
        tx->off = 0;
}

void vpcd_tx_free(struct vpcd_tx *tx)
{
        vpcd_tx_reset(tx);
        free(tx->buf);
        memset(tx, 0, sizeof(*tx));
}

bool vpcd_tx_pending(const struct vpcd_tx *tx)
{
        return tx->off < tx->len;
}

int vpcd_tx_queue(struct vpcd_tx *tx, const uint8_t *payload, size_t len)
{
        if (vpcd_tx_pending(tx)) {
                errno = EBUSY;
                return -1;
        }
        if (len > VPCD_FRAME_MAX) {
                errno = EMSGSIZE;
                return -1;
        }
        tx->buf[0] = (uint8_t)(len >> 8);
        tx->buf[1] = (uint8_t)len;
        memcpy(tx->buf + 2, payload, len);
        tx->len = 2 + len;
        tx->off = 0;
        return 0;
}

enum vpcd_io_result vpcd_tx_send(int fd, struct vpcd_tx *tx)
{
        while (tx->off < tx->len) {
                ssize_t r =
                    send(fd, tx->buf + tx->off, tx->len - tx->off, MSG_DONTWAIT | MSG_NOSIGNAL);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return errno == EAGAIN || errno == EWOULDBLOCK ? VPCD_IO_AGAIN
                                                                       : VPCD_IO_ERROR;
                tx->off += (size_t)r;
        }
        /* The answer may have carried key material. */
        vpcd_tx_reset(tx);
        return VPCD_IO_OK;
}

int vpcd_addr_parse(const char *text, uint16_t default_port, struct vpcd_addr *out, char *err,
                    size_t errcap)
{
        char host[256];
        char portbuf[16];
        const char *colon, *host_start = text;
        size_t host_len;
        struct addrinfo hints, *res = NULL;
        unsigned long port = default_port;
        char *end = NULL;
        int rc, ok = -1;

        memset(out, 0, sizeof(*out));
        if (text[0] == '[') {
                const char *close = strchr(text, ']');
                if (close == NULL) {
                        snprintf(err, errcap, "'%s': missing ']' after IPv6 address", text);
                        goto fail;
                }
                host_start = text + 1;
                host_len = (size_t)(close - host_start);
                colon = close[1] == ':' ? close + 1 : NULL;
                if (close[1] != '\0' && colon == NULL) {
                        snprintf(err, errcap, "'%s': expected ':PORT' after ']'", text);
                        goto fail;
                }
        } else {
                colon = strrchr(text, ':');
                if (colon != NULL && strchr(text, ':') != colon) {
                        snprintf(err, errcap, "'%s': write IPv6 addresses as [ADDR]:PORT", text);
                        goto fail;
                }
                host_len = colon != NULL ? (size_t)(colon - text) : strlen(text);
        }
        if (host_len == 0 || host_len >= sizeof(host)) {
                snprintf(err, errcap, "'%s': missing or too long host", text);
                goto fail;
        }
        memcpy(host, host_start, host_len);
        host[host_len] = '\0';
        if (colon != NULL) {
                errno = 0;
                port = strtoul(colon + 1, &end, 0);
                if (errno != 0 || end == colon + 1 || *end != '\0' || port == 0 || port > 65535) {
                        snprintf(err, errcap, "'%s': port must be a number from 1 to 65535", text);
                        goto fail;
                }
        }
        snprintf(portbuf, sizeof(portbuf), "%lu", port);
        memset(&hints, 0, sizeof(hints));
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = AI_NUMERICSERV;
        rc = getaddrinfo(host, portbuf, &hints, &res);
        if (rc != 0 || res == NULL) {
                snprintf(err, errcap, "'%s': cannot resolve '%s': %s", text, host,
                         rc != 0 ? gai_strerror(rc) : "no address");
                goto fail;
        }
        if (res->ai_addrlen > sizeof(out->ss)) {
                snprintf(err, errcap, "'%s': address too long", text);
                goto fail;
        }
        memcpy(&out->ss, res->ai_addr, res->ai_addrlen);
        out->len = res->ai_addrlen;
        ok = 0;
fail:
        if (res != NULL)
                freeaddrinfo(res);
        return ok;
}

uint16_t vpcd_addr_port(const struct vpcd_addr *a)
{
        if (a->ss.ss_family == AF_INET6)
                return ntohs(((const struct sockaddr_in6 *)(const void *)&a->ss)->sin6_port);
        return ntohs(((const struct sockaddr_in *)(const void *)&a->ss)->sin_port);
}

int vpcd_addr_with_port_offset(const struct vpcd_addr *in, unsigned delta, struct vpcd_addr *out)
{
        unsigned port = vpcd_addr_port(in) + delta;

        if (port > 65535)
                return -1;
        *out = *in;
        if (out->ss.ss_family == AF_INET6)
                ((struct sockaddr_in6 *)(void *)&out->ss)->sin6_port = htons((uint16_t)port);
        else
                ((struct sockaddr_in *)(void *)&out->ss)->sin_port = htons((uint16_t)port);
        return 0;
}

bool vpcd_addr_is_loopback(const struct vpcd_addr *a)
{
        if (a->ss.ss_family == AF_INET) {
                const struct sockaddr_in *v4 = (const struct sockaddr_in *)(const void *)&a->ss;
                return (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
        }
        if (a->ss.ss_family == AF_INET6) {
                const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)(const void *)&a->ss;
                if (IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr))
                        return true;
                /* ::ffff:127.x.y.z is loopback too */
                return IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr) && v6->sin6_addr.s6_addr[12] == 127;
        }
        return false;
}

const char *vpcd_addr_format(const struct vpcd_addr *a, char *buf, size_t cap)
{
        char host[INET6_ADDRSTRLEN] = "?";

        if (a->ss.ss_family == AF_INET6) {
                const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)(const void *)&a->ss;
                inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof(host));
                snprintf(buf, cap, "[%s]:%u", host, (unsigned)vpcd_addr_port(a));
        } else {
                const struct sockaddr_in *v4 = (const struct sockaddr_in *)(const void *)&a->ss;
                inet_ntop(AF_INET, &v4->sin_addr, host, sizeof(host));
                snprintf(buf, cap, "%s:%u", host, (unsigned)vpcd_addr_port(a));
        }
        return buf;
}
