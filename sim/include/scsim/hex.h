/* SPDX-License-Identifier: MIT */
/* Hex text to bytes: the one reader that profiles, the command line and traces share. */
#ifndef SCSIM_HEX_H
#define SCSIM_HEX_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Decode len bytes of text (no NUL needed) written as hex: each byte is two
 * hex digits of either case; spaces and colons may stand between bytes
 * ("3F00", "3F 00", "3f:00", "3F: 00"), spaces also before the first byte
 * and after the last. Nothing else is allowed, not even a space inside a
 * byte. Empty text is zero bytes.
 *
 * Returns SCSIM_OK with the bytes in out and their count in *out_len;
 * SCSIM_ERR_INVALID_ARGUMENT when the text is not such hex, with *bad_at
 * (if bad_at is not NULL) the offset of the first character at fault (len
 * for a byte cut short at the end); SCSIM_ERR_BUFFER_TOO_SMALL when the text
 * holds more than cap bytes, with *out_len how many it holds. out may be
 * NULL when cap is 0, to count. out is written only on success.
 */
int scsim_hex_decode(const char *text, size_t len, uint8_t *out, size_t cap, size_t *out_len,
                     size_t *bad_at);

#ifdef __cplusplus
}
#endif

#endif
