/* SPDX-License-Identifier: MIT */
/*
 * An application's record of state (docs/state.md), written and read a field
 * at a time, integers big-endian. The writer grows its buffer, wiping each one
 * it leaves (records hold keys and codes); a failed allocation marks it failed
 * and makes later writes do nothing, so a record is checked once, at w_finish.
 * The reader refuses to read past the end: 0, or -1 with nothing taken.
 */
#ifndef SCSIM_RECORD_H
#define SCSIM_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wbuf {
        uint8_t *p;
        size_t len, cap;
        bool failed;
};

void w_put(struct wbuf *w, const void *data, size_t n);
void w_u8(struct wbuf *w, unsigned v); /* v <= 0xff */
void w_u16(struct wbuf *w, size_t v);  /* v <= 0xffff */
/* The record, handed over in *buf and *len: 0; after a failure -1, the buffer wiped and freed. */
int w_finish(struct wbuf *w, uint8_t **buf, size_t *len);

struct rcur {
        const uint8_t *p;
        size_t left;
};

int r_take(struct rcur *r, const uint8_t **out, size_t n);
int r_u8(struct rcur *r, uint8_t *v);
int r_u16(struct rcur *r, size_t *v);

#endif
