/* SPDX-License-Identifier: MIT */
/* vpcd's wire format on a TCP socket: framed reads and writes, socket tuning, addresses. */
#include "vpcd_io.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static void rearm_quickack(int fd)
{
        int one = 1;

        /* Best effort: on a non-TCP socket (tests use socketpairs) there is nothing to re-arm. */
        (void)setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
}

int vpcd_sock_tune(int fd, unsigned timeout_ms)
{
        int one = 1;
        struct timeval tv = {.tv_sec = (time_t)(timeout_ms / 1000u),
                             .tv_usec = (suseconds_t)((timeout_ms % 1000u) * 1000u)};

        if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0)
                return -1;
        if (setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one)) != 0)
                return -1;
        if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0)
                return -1;
        if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0)
                return -1;
        return 0;
}

/* Returns the number of bytes read before EOF (== n when complete), or -1 with errno. */
static ssize_t read_exact(int fd, uint8_t *buf, size_t n)
{
        size_t got = 0;

        while (got < n) {
                ssize_t r = recv(fd, buf + got, n - got, 0);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return -1;
                rearm_quickack(fd);
                if (r == 0)
                        break;
                got += (size_t)r;
        }
        return (ssize_t)got;
}

enum vpcd_read_result vpcd_read_frame(int fd, uint8_t *buf, size_t cap, size_t *len,
                                      const char **why)
{
        uint8_t hdr[2];
        size_t want;
        ssize_t r;

        *len = 0;
        *why = NULL;
        r = read_exact(fd, hdr, sizeof(hdr));
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                *why = "truncated frame header (peer stalled)";
                return VPCD_READ_BOGUS;
        }
        if (r < 0)
                return VPCD_READ_ERROR;
        if (r == 0)
                return VPCD_READ_CLOSED;
        if (r == 1) {
                *why = "truncated frame header";
                return VPCD_READ_BOGUS;
        }
        want = ((size_t)hdr[0] << 8) | hdr[1];
        if (want == 0) {
                *why = "zero-length frame";
                return VPCD_READ_BOGUS;
        }
        if (want > cap) {
                *why = "oversize frame";
                return VPCD_READ_BOGUS;
        }
        r = read_exact(fd, buf, want);
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                *why = "truncated frame (peer stalled)";
                return VPCD_READ_BOGUS;
        }
        if (r < 0)
                return VPCD_READ_ERROR;
        if ((size_t)r < want) {
                *why = "truncated frame";
                return VPCD_READ_BOGUS;
        }
        *len = want;
        return VPCD_READ_OK;
}

int vpcd_write_frame(int fd, const uint8_t *payload, size_t len)
{
        uint8_t hdr[2];
        struct iovec iov[2];
        struct msghdr msg;
        size_t total, sent = 0;

        if (len > VPCD_FRAME_MAX) {
                errno = EMSGSIZE;
                return -1;
        }
        hdr[0] = (uint8_t)(len >> 8);
        hdr[1] = (uint8_t)len;
        total = len + 2;
        while (sent < total) {
                size_t skip = sent;
                int n = 0;
                if (skip < 2) {
                        iov[n].iov_base = hdr + skip;
                        iov[n].iov_len = 2 - skip;
                        n++;
                        skip = 0;
                } else {
                        skip -= 2;
                }
                iov[n].iov_base = (void *)(uintptr_t)(payload + skip);
                iov[n].iov_len = len - skip;
                n++;
                memset(&msg, 0, sizeof(msg));
                msg.msg_iov = iov;
                msg.msg_iovlen = (size_t)n;
                ssize_t r = sendmsg(fd, &msg, MSG_NOSIGNAL);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return -1;
                sent += (size_t)r;
        }
        return 0;
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
