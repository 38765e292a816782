/* SPDX-License-Identifier: MIT */
/* A slot's connection to vpcd: connecting or accepting, reading frames, writing answers, bounds. */
#define _GNU_SOURCE /* accept4 */
#include "slot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Reconnect backoff: first retry soon (pcscd restarts quickly), never wait more than the cap. */
#define BACKOFF_FIRST_MS 50u
#define BACKOFF_MAX_MS   1000u
/* A connect to a remote vpcd that hears nothing back gives up after this. */
#define CONNECT_TIMEOUT_US 5000000u

uint64_t now_us(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Time from t to now; 0 when t is later (an answer queued after the round's clock was read). */
static uint64_t since(uint64_t now, uint64_t t)
{
        return now > t ? now - t : 0;
}

static unsigned ms(uint64_t us)
{
        return (unsigned)(us / 1000u);
}

int slot_io_init(struct slot *s)
{
        s->fd = -1;
        s->link = SLOT_DOWN;
        return vpcd_rx_init(&s->rx, VPCD_FRAME_MAX) == 0 && vpcd_tx_init(&s->tx) == 0 ? 0 : -1;
}

void slot_io_free(struct slot *s)
{
        if (s->fd >= 0)
                close(s->fd);
        s->fd = -1;
        if (s->listen_fd >= 0)
                close(s->listen_fd);
        s->listen_fd = -1;
        vpcd_rx_free(&s->rx);
        vpcd_tx_free(&s->tx);
}

static void slot_schedule_retry(struct slot *s)
{
        s->backoff_ms = s->backoff_ms == 0 ? BACKOFF_FIRST_MS : s->backoff_ms * 2u;
        if (s->backoff_ms > BACKOFF_MAX_MS)
                s->backoff_ms = BACKOFF_MAX_MS;
        s->next_try_us = now_us() + (uint64_t)s->backoff_ms * 1000u;
}

static void slot_close(struct slot *s, bool abort)
{
        /* A reset tells a peer at once, even one whose window is full of answers it never read. */
        if (abort) {
                struct linger now = {.l_onoff = 1, .l_linger = 0};
                (void)setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &now, sizeof(now));
        }
        close(s->fd);
        s->fd = -1;
        s->link = SLOT_DOWN;
        /* The next frame or answer must not see a byte of this connection's (PINs included). */
        vpcd_rx_reset(&s->rx);
        vpcd_tx_reset(&s->tx);
        scsim_card_power_off(s->card);
        s->waiting_logged = false;
        s->backoff_ms = 0;
        slot_schedule_retry(s);
}

void slot_drop(struct slot *s, const char *why)
{
        if (s->fd < 0)
                return;
        slot_close(s, false);
        blog(s->bridge, L_INFO, "slot %u: disconnected (%s)", s->index, why);
}

/* A peer that broke the protocol or a time bound: said as a warning, and the connection reset. */
static void slot_fail(struct slot *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void slot_fail(struct slot *s, const char *fmt, ...)
{
        char why[192];
        va_list ap;

        if (s->fd < 0)
                return;
        va_start(ap, fmt);
        vsnprintf(why, sizeof(why), fmt, ap);
        va_end(ap);
        blog(s->bridge, L_WARN, "slot %u: %s, closing the connection", s->index, why);
        slot_close(s, true);
        blog(s->bridge, L_INFO, "slot %u: disconnected (%s)", s->index, why);
}

static void slot_up(struct slot *s, int fd, uint64_t now)
{
        char where[80];

        if (vpcd_sock_tune(fd) != 0)
                blog(s->bridge, L_WARN, "slot %u: socket options: %s", s->index, strerror(errno));
        s->fd = fd;
        s->link = SLOT_UP;
        s->link_since_us = now;
        s->last_rx_us = now;
        s->spoke = false;
        s->backoff_ms = 0;
        blog(s->bridge, L_INFO,
             s->bridge->cfg->reverse ? "slot %u: accepted a connection on %s"
                                     : "slot %u: connected to vpcd at %s",
             s->index, vpcd_addr_format(&s->addr, where, sizeof(where)));
}

static void slot_connect_failed(struct slot *s, int err)
{
        char where[80];

        if (!s->waiting_logged) {
                blog(s->bridge, L_INFO, "slot %u: waiting for vpcd at %s (%s)", s->index,
                     vpcd_addr_format(&s->addr, where, sizeof(where)), strerror(err));
                s->waiting_logged = true;
        }
        if (s->fd >= 0)
                close(s->fd);
        s->fd = -1;
        s->link = SLOT_DOWN;
        slot_schedule_retry(s);
}

static void slot_try_connect(struct slot *s, uint64_t now)
{
        int fd = socket(s->addr.ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

        if (fd < 0) {
                slot_connect_failed(s, errno);
                return;
        }
        if (connect(fd, (const struct sockaddr *)&s->addr.ss, s->addr.len) == 0) {
                slot_up(s, fd, now);
                return;
        }
        s->fd = fd;
        if (errno != EINPROGRESS) {
                slot_connect_failed(s, errno);
                return;
        }
        s->link = SLOT_CONNECTING;
        s->link_since_us = now;
}

static void slot_connect_done(struct slot *s, uint64_t now)
{
        int err = 0;
        socklen_t len = sizeof(err);

        if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
                err = errno;
        if (err != 0) {
                slot_connect_failed(s, err);
                return;
        }
        int fd = s->fd;
        s->fd = -1;
        slot_up(s, fd, now);
}

int slot_listen(struct slot *s)
{
        char where[80];
        int one = 1;
        int fd = socket(s->addr.ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

        if (fd < 0)
                goto fail;
        (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, (const struct sockaddr *)&s->addr.ss, s->addr.len) != 0 || listen(fd, 4) != 0)
                goto fail;
        s->listen_fd = fd;
        blog(s->bridge, L_INFO, "slot %u: listening on %s for vpcd", s->index,
             vpcd_addr_format(&s->addr, where, sizeof(where)));
        return 0;
fail:
        blog(s->bridge, L_ERROR, "slot %u: cannot listen on %s: %s", s->index,
             vpcd_addr_format(&s->addr, where, sizeof(where)), strerror(errno));
        if (fd >= 0)
                close(fd);
        return -1;
}

int slot_adopt_listener(struct slot *s, int fd)
{
        int flags = fcntl(fd, F_GETFL);

        /* A connection that vanishes between poll and accept must not block the loop. */
        if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
                blog(s->bridge, L_ERROR, "slot %u: the listening socket given (fd %d): %s",
                     s->index, fd, strerror(errno));
                return -1;
        }
        s->listen_fd = fd;
        return 0;
}

static void slot_accept(struct slot *s, uint64_t now)
{
        int fd;

        /* The peer may have spoken earlier in this round: then the newcomer waits its turn. */
        if (s->link == SLOT_UP && since(now, s->last_rx_us) < s->bridge->idle_us)
                return;
        fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
                /* Gone before we took it, or a signal: nothing to do. */
                if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED &&
                    errno != EINTR)
                        blog(s->bridge, L_WARN, "slot %u: accept: %s", s->index, strerror(errno));
                return;
        }
        if (s->link == SLOT_UP) {
                char why[96];
                snprintf(why, sizeof(why), "silent for %u ms, gives the slot to a new connection",
                         ms(since(now, s->last_rx_us)));
                blog(s->bridge, L_WARN, "slot %u: %s", s->index, why);
                slot_drop(s, why);
        }
        slot_up(s, fd, now);
}

static void slot_flush(struct slot *s, uint64_t now)
{
        switch (vpcd_tx_send(s->fd, &s->tx)) {
        case VPCD_IO_OK:
                /* Bytes that came in behind the answer were not read meanwhile: their clock starts
                 * now. */
                if (s->rx.fill > 0)
                        s->frame_start_us = now;
                break;
        case VPCD_IO_AGAIN:
                break;
        default: {
                char why[128];
                snprintf(why, sizeof(why), "write: %s", strerror(errno));
                slot_drop(s, why);
                break;
        }
        }
}

void slot_answer(struct slot *s, const uint8_t *p, size_t len)
{
        if (vpcd_tx_queue(&s->tx, p, len) != 0) {
                slot_fail(s, "answer: %s", strerror(errno));
                return;
        }
        s->tx_start_us = now_us();
        slot_flush(s, s->tx_start_us);
}

/* Serves the frame at the front of rx, if whole and no answer is still going out. */
static void slot_take_frame(struct slot *s)
{
        const uint8_t *payload;
        const char *why;
        size_t len;

        if (s->link != SLOT_UP || vpcd_tx_pending(&s->tx))
                return;
        switch (vpcd_rx_frame(&s->rx, &payload, &len, &why)) {
        case VPCD_FRAME_PARTIAL:
                return;
        case VPCD_FRAME_BOGUS:
                slot_fail(s, "bogus frame: %s", why);
                return;
        case VPCD_FRAME_READY:
                break;
        }
        s->spoke = true;
        slot_frame(s, payload, len);
        if (s->link != SLOT_UP)
                return;
        vpcd_rx_next(&s->rx);
        if (s->rx.fill > 0)
                s->frame_start_us = s->last_rx_us;
}

static void slot_read(struct slot *s, uint64_t now)
{
        const uint8_t *payload;
        const char *why;
        size_t len, before = s->rx.fill;

        switch (vpcd_rx_recv(s->fd, &s->rx)) {
        case VPCD_IO_OK:
                break;
        case VPCD_IO_AGAIN:
                return;
        case VPCD_IO_CLOSED:
                (void)vpcd_rx_frame(&s->rx, &payload, &len, &why);
                if (why == NULL)
                        slot_drop(s, "vpcd closed the connection");
                else
                        slot_fail(s, "bogus frame: %s", why);
                return;
        default: {
                char msg[128];
                snprintf(msg, sizeof(msg), "read: %s", strerror(errno));
                slot_drop(s, msg);
                return;
        }
        }
        if (before == 0)
                s->frame_start_us = now;
        s->last_rx_us = now;
        slot_take_frame(s);
}

/* The time bounds of an open connection, the answer's first: while it waits, nothing is read. */
static void slot_check_bounds(struct slot *s, uint64_t now)
{
        const struct bridge *b = s->bridge;
        size_t got, want;

        if (vpcd_tx_pending(&s->tx)) {
                if (since(now, s->tx_start_us) >= b->frame_us)
                        slot_fail(s, "answer timeout: vpcd took %zu of %zu bytes in %u ms",
                                  s->tx.off, s->tx.len, ms(since(now, s->tx_start_us)));
                return;
        }
        if (s->rx.fill > 0 && since(now, s->frame_start_us) >= b->frame_us) {
                vpcd_rx_progress(&s->rx, &got, &want);
                if (want == 0)
                        slot_fail(s, "frame timeout: 1 of 2 length bytes in %u ms",
                                  ms(since(now, s->frame_start_us)));
                else
                        slot_fail(s, "frame timeout: %zu of %zu bytes in %u ms", got + 2, want + 2,
                                  ms(since(now, s->frame_start_us)));
                return;
        }
        if (b->cfg->reverse && !s->spoke && since(now, s->link_since_us) >= b->idle_us)
                slot_fail(s,
                          "idle timeout: no frame in %u ms (vpcd asks for the ATR as soon as "
                          "it connects: this peer is not vpcd)",
                          ms(since(now, s->link_since_us)));
}

void slot_tick(struct slot *s, uint64_t now)
{
        switch (s->link) {
        case SLOT_DOWN:
                if (!s->bridge->cfg->reverse && now >= s->next_try_us)
                        slot_try_connect(s, now);
                break;
        case SLOT_CONNECTING:
                if (since(now, s->link_since_us) >= CONNECT_TIMEOUT_US)
                        slot_connect_failed(s, ETIMEDOUT);
                break;
        case SLOT_UP:
                slot_take_frame(s);
                if (s->link == SLOT_UP)
                        slot_check_bounds(s, now);
                break;
        }
}

static void earlier(uint64_t *deadline, uint64_t t)
{
        if (t < *deadline)
                *deadline = t;
}

/* What an open connection waits for, and until when. */
static short slot_up_events(struct slot *s, uint64_t now, uint64_t *deadline)
{
        const struct bridge *b = s->bridge;
        const uint8_t *payload;
        const char *why;
        size_t len;
        short events = 0;

        if (vpcd_tx_pending(&s->tx)) {
                events = POLLOUT;
                earlier(deadline, s->tx_start_us + b->frame_us);
        } else if (vpcd_rx_frame(&s->rx, &payload, &len, &why) != VPCD_FRAME_PARTIAL) {
                earlier(deadline, now); /* a frame to serve (or refuse) at the next tick */
        } else {
                events = POLLIN;
                if (s->rx.fill > 0)
                        earlier(deadline, s->frame_start_us + b->frame_us);
        }
        if (b->cfg->reverse && !s->spoke)
                earlier(deadline, s->link_since_us + b->idle_us);
        return events;
}

nfds_t slot_poll_fds(struct slot *s, uint64_t now, struct pollfd *pfd, uint64_t *deadline)
{
        const struct bridge *b = s->bridge;
        nfds_t n = 0;

        switch (s->link) {
        case SLOT_DOWN:
                if (b->cfg->reverse)
                        pfd[n++] = (struct pollfd){.fd = s->listen_fd, .events = POLLIN};
                else
                        earlier(deadline, s->next_try_us);
                break;
        case SLOT_CONNECTING:
                pfd[n++] = (struct pollfd){.fd = s->fd, .events = POLLOUT};
                earlier(deadline, s->link_since_us + CONNECT_TIMEOUT_US);
                break;
        case SLOT_UP: {
                short events = slot_up_events(s, now, deadline);
                if (events != 0)
                        pfd[n++] = (struct pollfd){.fd = s->fd, .events = events};
                /* A peer that spoke keeps the slot until it is silent for the idle bound. */
                if (b->cfg->reverse && s->spoke) {
                        if (since(now, s->last_rx_us) >= b->idle_us)
                                pfd[n++] = (struct pollfd){.fd = s->listen_fd, .events = POLLIN};
                        else
                                earlier(deadline, s->last_rx_us + b->idle_us);
                }
                break;
        }
        }
        return n;
}

void slot_poll_event(struct slot *s, const struct pollfd *pfd, uint64_t now)
{
        if (pfd->fd == s->listen_fd) {
                slot_accept(s, now);
                return;
        }
        /* An earlier event of this round may have closed the socket this one was about. */
        if (pfd->fd != s->fd)
                return;
        if (s->link == SLOT_CONNECTING)
                slot_connect_done(s, now);
        else if (vpcd_tx_pending(&s->tx))
                slot_flush(s, now);
        else
                slot_read(s, now);
}
