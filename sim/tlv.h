/* SPDX-License-Identifier: MIT */
/* BER-TLV: writing nested templates and walking a buffer of TLVs, for every application. */
#ifndef SCSIM_TLV_H
#define SCSIM_TLV_H

#include <stddef.h>
#include <stdint.h>

#include "apdu.h"

/* Append tag, length and value. Tags are 1..3 bytes given as an integer (0x5FC102). */
bool tlv_put(struct rbuf *r, uint32_t tag, const uint8_t *value, size_t len);

/*
 * Open a constructed TLV whose length is not known yet; tlv_close fills it
 * in, moving the value when the length needs more than one byte.
 */
bool tlv_open(struct rbuf *r, uint32_t tag, size_t *mark);
bool tlv_close(struct rbuf *r, size_t mark);

/*
 * Read one TLV at *p (left bytes remain); advances past it. Returns 0, or -1
 * for a truncated or malformed encoding (indefinite length, length > 3 bytes).
 */
int tlv_next(const uint8_t **p, size_t *left, uint32_t *tag, const uint8_t **value, size_t *len);

/* Find the first TLV with the given tag in a flat buffer. Returns 0 or -1. */
int tlv_find(const uint8_t *buf, size_t len, uint32_t tag, const uint8_t **value, size_t *vlen);

#endif
