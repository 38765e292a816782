/* SPDX-License-Identifier: MIT */
/* The control socket: a Unix socket taking JSON requests (docs/control.md) in the bridge's loop. */
#define _GNU_SOURCE
#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "pcsc_watch.h"
#include "slot.h"

/* A client's unread bytes: a whole line of CTL_LINE_MAX plus what follows it in one read. */
#define IN_CAP (CTL_LINE_MAX + 1024u)

struct ctl_client {
        int fd;
        char in[IN_CAP];
        size_t fill;
        bool skipping; /* inside a line that was too long: drop up to its newline */
        char *out;     /* replies not yet taken */
        size_t out_len, out_off;
        bool busy;          /* a request is under way or waits for its slot */
        bool waiting;       /* ... waits for its slot: req holds it */
        struct ctl_req req; /* the waiting request */
};

struct control {
        struct bridge *b;
        int listen_fd;
        char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
        struct ctl_client *cl[CONTROL_CLIENTS_MAX];
        struct pcsc_watch *watch;
};

struct bridge *control_bridge(struct control *c)
{
        return c->b;
}

struct pcsc_watch *control_watch(struct control *c)
{
        return c->watch;
}

int control_open(struct bridge *b, const char *path, struct control **out)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        struct control *c = calloc(1, sizeof(*c));
        mode_t old;
        int fd = -1;

        *out = NULL;
        if (c == NULL)
                return -1;
        c->b = b;
        c->listen_fd = -1;
        if (strlen(path) >= sizeof(sa.sun_path)) {
                blog(b, L_ERROR, "--control '%s': longer than a socket path may be (%zu bytes)",
                     path, sizeof(sa.sun_path) - 1);
                goto fail;
        }
        memcpy(sa.sun_path, path, strlen(path) + 1);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        /* bind makes the file: the mask makes it 0600 from the start, with no window. */
        old = umask(0177);
        if (fd < 0 || bind(fd, (const struct sockaddr *)&sa, sizeof(sa)) != 0) {
                umask(old);
                blog(b, L_ERROR, "--control '%s': %s%s", path, strerror(errno),
                     errno == EADDRINUSE ? " (remove it if no scsim-vpcd uses it)" : "");
                goto fail;
        }
        umask(old);
        memcpy(c->path, path, strlen(path) + 1);
        if (listen(fd, 8) != 0 || pcsc_watch_new(BRIDGE_SLOTS_MAX, &c->watch) != 0) {
                blog(b, L_ERROR, "--control '%s': %s", path, strerror(errno));
                goto fail;
        }
        c->listen_fd = fd;
        *out = c;
        blog(b, L_INFO, "control socket %s", path);
        return 0;
fail:
        if (fd >= 0)
                close(fd);
        if (c->path[0] != '\0')
                unlink(c->path);
        free(c);
        return -1;
}

static void client_close(struct control *c, unsigned i)
{
        struct ctl_client *cl = c->cl[i];

        for (unsigned k = 0; k < c->b->cfg->slots; k++)
                ctl_ops_forget_client(&c->b->slots[k], cl);
        close(cl->fd);
        free(cl->out);
        free(cl);
        c->cl[i] = NULL;
}

void control_free(struct control **cp)
{
        struct control *c = cp != NULL ? *cp : NULL;

        if (c == NULL)
                return;
        for (unsigned i = 0; i < CONTROL_CLIENTS_MAX; i++)
                if (c->cl[i] != NULL)
                        client_close(c, i);
        pcsc_watch_free(&c->watch);
        if (c->listen_fd >= 0) {
                close(c->listen_fd);
                unlink(c->path);
        }
        free(c);
        *cp = NULL;
}

static void client_flush(struct control *c, unsigned i)
{
        struct ctl_client *cl = c->cl[i];

        while (cl->out_off < cl->out_len) {
                ssize_t n = send(cl->fd, cl->out + cl->out_off, cl->out_len - cl->out_off,
                                 MSG_NOSIGNAL | MSG_DONTWAIT);
                if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
                        return;
                if (n <= 0) {
                        client_close(c, i);
                        return;
                }
                cl->out_off += (size_t)n;
        }
        cl->out_len = cl->out_off = 0;
}

static unsigned client_index(const struct control *c, const struct ctl_client *cl)
{
        for (unsigned i = 0; i < CONTROL_CLIENTS_MAX; i++)
                if (c->cl[i] == cl)
                        return i;
        return CONTROL_CLIENTS_MAX;
}

void control_reply(struct control *c, struct ctl_client *cl, struct json_object *reply)
{
        const char *text;
        size_t len;
        unsigned i = client_index(c, cl);

        if (cl == NULL || i == CONTROL_CLIENTS_MAX) {
                json_object_put(reply);
                return;
        }
        cl->busy = false;
        cl->waiting = false;
        text = json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN |
                                                         JSON_C_TO_STRING_NOSLASHESCAPE);
        len = strlen(text);
        if (cl->out_len - cl->out_off + len + 1 > CONTROL_OUT_MAX) {
                blog(c->b, L_WARN, "control: a client does not read its replies, closing it");
                json_object_put(reply);
                client_close(c, i);
                return;
        }
        char *grown = realloc(cl->out, cl->out_len + len + 1);
        if (grown == NULL) {
                json_object_put(reply);
                client_close(c, i);
                return;
        }
        cl->out = grown;
        memcpy(cl->out + cl->out_len, text, len);
        cl->out[cl->out_len + len] = '\n';
        cl->out_len += len + 1;
        json_object_put(reply);
        client_flush(c, i);
}

void control_reply_error(struct control *c, struct ctl_client *cl, const char *fmt, ...)
{
        struct json_object *r = json_object_new_object();
        char msg[1024];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        json_object_object_add(r, "ok", json_object_new_boolean(0));
        json_object_object_add(r, "error", json_object_new_string(msg));
        control_reply(c, cl, r);
}

static void accept_client(struct control *c)
{
        int fd = accept4(c->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        static const char full[] = "{\"ok\":false,\"error\":\"too many control clients; close "
                                   "one and retry\"}\n";

        if (fd < 0)
                return;
        for (unsigned i = 0; i < CONTROL_CLIENTS_MAX; i++) {
                if (c->cl[i] != NULL)
                        continue;
                c->cl[i] = calloc(1, sizeof(*c->cl[i]));
                if (c->cl[i] == NULL)
                        break;
                c->cl[i]->fd = fd;
                return;
        }
        (void)!send(fd, full, sizeof(full) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
        close(fd);
}

/* A whole request: started now, or kept until its slot is free. */
static void handle_line(struct control *c, struct ctl_client *cl, const char *line, size_t len)
{
        char err[512];

        cl->busy = true;
        if (ctl_req_parse(line, len, c->b->cfg->slots, &cl->req, err, sizeof(err)) != 0) {
                control_reply_error(c, cl, "%s", err);
                return;
        }
        /* A status is answered at once; anything else waits for the slot's operation to end. */
        if (cl->req.op != CTL_STATUS && c->b->slots[cl->req.slot].op != NULL) {
                cl->waiting = true;
                return;
        }
        ctl_ops_start(c, cl, &cl->req);
}

/* Serves the lines in cl's buffer, one request at a time. */
static void client_lines(struct control *c, unsigned i)
{
        struct ctl_client *cl = c->cl[i];

        while (cl != NULL && !cl->busy && cl->fill > 0) {
                char *nl = memchr(cl->in, '\n', cl->fill);
                size_t len = nl != NULL ? (size_t)(nl - cl->in) : cl->fill;
                if (nl == NULL && cl->fill <= CTL_LINE_MAX && !cl->skipping)
                        return; /* the rest of the line is still to come */
                bool skipped = cl->skipping;
                cl->skipping = nl == NULL;
                if (!skipped && len > CTL_LINE_MAX)
                        control_reply_error(c, cl,
                                            "request longer than %u bytes; skipped up "
                                            "to its newline",
                                            CTL_LINE_MAX);
                else if (!skipped)
                        handle_line(c, cl, cl->in,
                                    len > 0 && cl->in[len - 1] == '\r' ? len - 1 : len);
                if ((cl = c->cl[i]) == NULL)
                        return;
                size_t used = nl != NULL ? len + 1 : cl->fill;
                memmove(cl->in, cl->in + used, cl->fill - used);
                cl->fill -= used;
        }
}

static void client_read(struct control *c, unsigned i)
{
        struct ctl_client *cl = c->cl[i];
        ssize_t n = recv(cl->fd, cl->in + cl->fill, sizeof(cl->in) - cl->fill, MSG_DONTWAIT);

        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
                return;
        if (n <= 0) {
                client_close(c, i);
                return;
        }
        cl->fill += (size_t)n;
        client_lines(c, i);
}

void control_tick(struct control *c, uint64_t now)
{
        unsigned slot;
        bool seen;

        (void)now;
        while (pcsc_watch_read(c->watch, &slot, &seen) == 1)
                ctl_ops_watch_done(c, slot, seen);
        for (unsigned i = 0; i < CONTROL_CLIENTS_MAX; i++) {
                struct ctl_client *cl = c->cl[i];
                if (cl == NULL)
                        continue;
                if (cl->waiting && c->b->slots[cl->req.slot].op == NULL) {
                        cl->waiting = false;
                        ctl_ops_start(c, cl, &cl->req);
                }
                if (c->cl[i] != NULL)
                        client_lines(c, i);
        }
}

nfds_t control_poll_fds(struct control *c, struct pollfd *pfd, uint64_t *deadline)
{
        nfds_t n = 0;

        (void)deadline; /* every wait has its own thread and time bound */
        pfd[n++] = (struct pollfd){.fd = c->listen_fd, .events = POLLIN};
        pfd[n++] = (struct pollfd){.fd = pcsc_watch_fd(c->watch), .events = POLLIN};
        for (unsigned i = 0; i < CONTROL_CLIENTS_MAX; i++) {
                struct ctl_client *cl = c->cl[i];
                short ev = 0;
                if (cl == NULL)
                        continue;
                if (cl->fill < sizeof(cl->in))
                        ev |= POLLIN;
                if (cl->out_len > cl->out_off)
                        ev |= POLLOUT;
                pfd[n++] = (struct pollfd){.fd = cl->fd, .events = ev};
        }
        return n;
}

bool control_poll_event(struct control *c, const struct pollfd *pfd, uint64_t now)
{
        unsigned slot;
        bool seen;

        if (pfd->fd == c->listen_fd) {
                accept_client(c);
                return true;
        }
        if (pfd->fd == pcsc_watch_fd(c->watch)) {
                while (pcsc_watch_read(c->watch, &slot, &seen) == 1)
                        ctl_ops_watch_done(c, slot, seen);
                return true;
        }
        for (unsigned i = 0; i < CONTROL_CLIENTS_MAX; i++) {
                if (c->cl[i] == NULL || c->cl[i]->fd != pfd->fd)
                        continue;
                if (pfd->revents & POLLOUT)
                        client_flush(c, i);
                if (c->cl[i] != NULL && (pfd->revents & (POLLIN | POLLHUP | POLLERR)))
                        client_read(c, i);
                return true;
        }
        (void)now;
        return false;
}
