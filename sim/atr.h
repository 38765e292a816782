/* SPDX-License-Identifier: MIT */
/* ATR checks and construction (ISO 7816-3 section 8). */
#ifndef SCSIM_ATR_H
#define SCSIM_ATR_H

#include <stddef.h>
#include <stdint.h>

/*
 * Check that atr is a complete, well-formed ATR: TS 3B or 3F, interface bytes
 * as announced, K historical bytes, and TCK present and correct whenever a
 * protocol other than T=0 is indicated (absent otherwise). Returns 0 or -1
 * with a reason in why.
 */
int atr_check(const uint8_t *atr, size_t len, const char **why);

/*
 * Build a direct-convention T=1 ATR around the given historical bytes
 * (at most 15): 3B, T0, TD1=80, TD2=01, historical bytes, TCK. Returns the
 * ATR length or -1 when hist_len > 15 or cap is too small.
 */
int atr_build(const uint8_t *hist, size_t hist_len, uint8_t *atr, size_t cap);

#endif
