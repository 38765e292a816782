/* SPDX-License-Identifier: MIT */
/* A slot's connection to vpcd: connecting or accepting, reading frames, writing answers. */
#include "slot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* Reconnect backoff: first retry soon (pcscd restarts quickly), never wait more than the cap. */
#define BACKOFF_FIRST_MS 50u
#define BACKOFF_MAX_MS   1000u
/* How long a peer may stall inside a frame or a write before the slot is dropped. */
#define IO_TIMEOUT_MS 5000u

uint64_t now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void slot_schedule_retry(struct slot *s)
{
        s->backoff_ms = s->backoff_ms == 0 ? BACKOFF_FIRST_MS : s->backoff_ms * 2u;
        if (s->backoff_ms > BACKOFF_MAX_MS)
                s->backoff_ms = BACKOFF_MAX_MS;
        s->next_try_ms = now_ms() + s->backoff_ms;
}

/* A card whose reader connection is gone has lost power, as a real card pulled from a reader. */
void slot_drop(struct slot *s, const char *why)
{
        if (s->fd < 0)
                return;
        close(s->fd);
        s->fd = -1;
        scsim_card_power_off(s->card);
        blog(s->bridge, L_INFO, "slot %u: disconnected (%s)", s->index, why);
        s->waiting_logged = false;
        s->backoff_ms = 0;
        slot_schedule_retry(s);
}

static void slot_connected(struct slot *s, int fd)
{
        char where[80];

        if (vpcd_sock_tune(fd, IO_TIMEOUT_MS) != 0)
                blog(s->bridge, L_WARN, "slot %u: socket options: %s", s->index, strerror(errno));
        s->fd = fd;
        s->backoff_ms = 0;
        blog(s->bridge, L_INFO, "slot %u: connected to vpcd at %s", s->index,
             vpcd_addr_format(&s->addr, where, sizeof(where)));
}

void slot_try_connect(struct slot *s)
{
        char where[80];
        int fd = socket(s->addr.ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct timeval tv = {.tv_sec = IO_TIMEOUT_MS / 1000u, .tv_usec = 0};

        if (fd < 0)
                goto retry;
        /* connect() honours the send timeout: a black-holed remote host cannot stall the loop
         * forever. */
        (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        if (connect(fd, (const struct sockaddr *)&s->addr.ss, s->addr.len) == 0) {
                slot_connected(s, fd);
                return;
        }
retry:
        if (!s->waiting_logged) {
                blog(s->bridge, L_INFO, "slot %u: waiting for vpcd at %s (%s)", s->index,
                     vpcd_addr_format(&s->addr, where, sizeof(where)), strerror(errno));
                s->waiting_logged = true;
        }
        if (fd >= 0)
                close(fd);
        slot_schedule_retry(s);
}

int slot_listen(struct slot *s)
{
        char where[80];
        int one = 1;
        int fd = socket(s->addr.ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

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

void slot_accept(struct slot *s)
{
        int fd = accept(s->listen_fd, NULL, NULL);

        if (fd >= 0)
                (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
        if (fd < 0) {
                blog(s->bridge, L_WARN, "slot %u: accept: %s", s->index, strerror(errno));
                return;
        }
        /* vpcd only reconnects after it dropped the old socket itself. */
        slot_drop(s, "vpcd opened a new connection");
        slot_connected(s, fd);
}

int slot_send(struct slot *s, const uint8_t *p, size_t len)
{
        if (vpcd_write_frame(s->fd, p, len) != 0) {
                char why[128];
                snprintf(why, sizeof(why), "write: %s", strerror(errno));
                slot_drop(s, why);
                return -1;
        }
        return 0;
}

void slot_readable(struct slot *s)
{
        struct bridge *b = s->bridge;
        const char *why = NULL;
        char msg[128];
        size_t len = 0;

        switch (vpcd_read_frame(s->fd, b->rx, VPCD_FRAME_MAX, &len, &why)) {
        case VPCD_READ_OK:
                break;
        case VPCD_READ_CLOSED:
                slot_drop(s, "vpcd closed the connection");
                return;
        case VPCD_READ_BOGUS:
                snprintf(msg, sizeof(msg), "bogus frame: %s", why);
                blog(b, L_WARN, "slot %u: %s, closing the connection", s->index, msg);
                slot_drop(s, msg);
                return;
        case VPCD_READ_ERROR:
        default:
                snprintf(msg, sizeof(msg), "read: %s", strerror(errno));
                slot_drop(s, msg);
                return;
        }
        slot_frame(s, b->rx, len);
        /* The command may have carried a PIN. */
        explicit_bzero(b->rx, len);
}
