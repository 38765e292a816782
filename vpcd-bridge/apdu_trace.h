/* SPDX-License-Identifier: MIT */
/* Human-readable APDU traces: command names, status word meanings, secrets masked. */
#ifndef SCSIM_APDU_TRACE_H
#define SCSIM_APDU_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <scsim/apdu.h>

/*
 * The name the library's command rows give an instruction, such as
 * "VERIFY"; NULL when no row names it; "PSEUDO-APDU" for CLA FF (reader
 * commands). Without a card: for a card, describe with scsim_apdu_describe.
 */
const char *apdu_trace_ins_name(uint8_t cla, uint8_t ins);

/*
 * True when the data field of this instruction carries a PIN, PUK, new
 * reference data or an authentication cryptogram, and must not be shown.
 */
bool apdu_trace_ins_is_secret(uint8_t ins);

/*
 * True when the card's answer to this instruction can carry a secret:
 * GENERAL AUTHENTICATE answers decrypted data and ECDH shared secrets.
 */
bool apdu_trace_answer_is_secret(uint8_t ins);

/*
 * Hex bytes of an R-APDU's data (SW excluded), or "[N bytes masked]" when
 * the answer to ins can carry a secret and !show_secrets.
 */
size_t apdu_trace_format_answer(uint8_t ins, const uint8_t *data, size_t len, bool show_secrets,
                                char *buf, size_t cap);

/*
 * The same, from a description the card gave before it processed the
 * command (scsim_apdu_describe with the card): the rows of the application
 * the command went to, and for GET RESPONSE the origin of the pending data.
 */
size_t apdu_trace_format_command_as(const scsim_apdu_info *info, const uint8_t *capdu, size_t len,
                                    bool show_secrets, char *buf, size_t cap);
size_t apdu_trace_format_answer_as(const scsim_apdu_info *info, const uint8_t *data, size_t len,
                                   bool show_secrets, char *buf, size_t cap);

/* What a status word means, e.g. "verification failed, 2 tries left". Writes into buf. */
const char *apdu_trace_sw_meaning(uint16_t sw, char *buf, size_t cap);

/*
 * Hex bytes of a C-APDU ("00 20 00 01 04 ..."), with the data field of
 * secret-carrying instructions replaced by "[N bytes masked]" unless
 * show_secrets. When the APDU cannot be decoded, everything after the
 * header of a secret-carrying instruction is masked. Returns the formatted
 * length (as snprintf: a value >= cap means truncation).
 */
size_t apdu_trace_format_command(const uint8_t *capdu, size_t len, bool show_secrets, char *buf,
                                 size_t cap);

/* Hex bytes of a buffer, space separated. Returns the length as snprintf would. */
size_t apdu_trace_hex(const uint8_t *p, size_t len, char *buf, size_t cap);

/* A buffer size that always suffices for apdu_trace_format_command/hex of len bytes. */
#define APDU_TRACE_HEX_CAP(len) ((len)*3u + 64u)

#endif
