/* SPDX-License-Identifier: MIT */
/* The control socket: a Unix socket taking JSON requests (docs/control.md) in the bridge's loop. */
#ifndef SCSIM_BRIDGE_CONTROL_H
#define SCSIM_BRIDGE_CONTROL_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "control_req.h"

/* Clients at once (a few per slot); one more is told so and closed. */
#define CONTROL_CLIENTS_MAX 64u
/* pollfds the control socket may add to the loop's. */
#define CONTROL_FDS_MAX (2u + CONTROL_CLIENTS_MAX)
/* Replies a client leaves unread beyond this get it disconnected (a status of 16 slots
 * with 64 faults each is about 120 KiB). */
#define CONTROL_OUT_MAX (1024u * 1024u)
/* How long an operation waits for PC/SC to show its effect. */
#define CONTROL_WAIT_MS 10000u

struct bridge;
struct slot;
struct control;
struct ctl_client;

/* Listens on path (a new socket, mode 0600). 0, or -1 after a message. */
int control_open(struct bridge *b, const char *path, struct control **out);
void control_free(struct control **c);

/* Requests waiting for their slot start; ended PC/SC waits move their operations on. */
void control_tick(struct control *c, uint64_t now);
nfds_t control_poll_fds(struct control *c, struct pollfd *pfd, uint64_t *deadline);
/* true when pfd is one of the control socket's (and was handled). */
bool control_poll_event(struct control *c, const struct pollfd *pfd, uint64_t now);

/* Queues reply (consumed) as one line to cl; cl NULL (gone): dropped. Its request is done. */
void control_reply(struct control *c, struct ctl_client *cl, struct json_object *reply);
void control_reply_error(struct control *c, struct ctl_client *cl, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* control_ops.c: the operations. */
struct ctl_op_run;
/* Runs or starts req from cl on its slot (free: no operation under way there). */
void ctl_ops_start(struct control *c, struct ctl_client *cl, const struct ctl_req *req);
/* The client of the operation under way on s is gone: the operation goes on, unanswered. */
void ctl_ops_forget_client(struct slot *s, const struct ctl_client *cl);
/* A PC/SC watch said its condition holds (seen) or not in time. */
void ctl_ops_watch_done(struct control *c, unsigned slot, bool seen);
void ctl_ops_free_slot(struct slot *s);
/*
 * After a drop or mute fault: the card stays out until PC/SC shows the reader
 * empty, then comes back, so that clients see a removal and not a card that
 * vanished and returned between two of pcscd's polls.
 */
void ctl_ops_reseat(struct slot *s);

struct bridge *control_bridge(struct control *c);
struct pcsc_watch *control_watch(struct control *c);

#endif
