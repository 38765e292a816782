/* SPDX-License-Identifier: MIT */
/* The PC/SC transport: the only part of the client that knows pcsc-lite. */
#ifndef SCSIM_CLIENT_TRANSPORT_PCSC_H
#define SCSIM_CLIENT_TRANSPORT_PCSC_H

#include <stddef.h>
#include <stdint.h>

#include <scsim/iscardverify.h>

/*
 * Connect to reader (NULL: $SCSIM_READER, else the first reader holding a
 * card) and fill ops/ctx. The chosen reader's name goes to name.
 */
scsim_hresult scv_pcsc_open(const char *reader, struct scsim_scv_transport *ops, void **ctx,
                            char *name, size_t name_cap);

/* The ATR of the card a transport from scv_pcsc_open is connected to (SCardStatus). */
scsim_hresult scv_pcsc_atr(void *ctx, uint8_t *atr, size_t cap, size_t *len);

/*
 * Wait up to timeout_ms (per change of the reader's state) for a card in the
 * same reader, then connect to it anew: for a card that went away, or went
 * mute and was powered again, and came back.
 */
scsim_hresult scv_pcsc_reattach(void *ctx, unsigned timeout_ms);

#endif
