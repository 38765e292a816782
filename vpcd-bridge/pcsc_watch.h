/* SPDX-License-Identifier: MIT */
/* Waiting until PC/SC shows a reader empty or with a card, off the bridge's loop (a thread each).
 */
#ifndef SCSIM_BRIDGE_PCSC_WATCH_H
#define SCSIM_BRIDGE_PCSC_WATCH_H

#include <stdbool.h>

struct pcsc_watch;

int pcsc_watch_new(unsigned slots, struct pcsc_watch **out);
/* Stops every wait under way (within a quarter second) and frees. */
void pcsc_watch_free(struct pcsc_watch **w);
/* Readable when a wait ended: then pcsc_watch_read. */
int pcsc_watch_fd(const struct pcsc_watch *w);
/* Waits in a thread until reader shows a card (present) or none, at most timeout_ms. 0 or -1. */
int pcsc_watch_start(struct pcsc_watch *w, unsigned slot, const char *reader, bool present,
                     unsigned timeout_ms);
/* One ended wait: 1 with its slot and whether the condition was seen, 0 when none is waiting. */
int pcsc_watch_read(struct pcsc_watch *w, unsigned *slot, bool *seen);

#endif
