/* SPDX-License-Identifier: MIT */
/* The interindustry commands (ISO 7816-4) and the security status they build. */
#ifndef SCSIM_ISO_H
#define SCSIM_ISO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "card_internal.h"

/*
 * The interindustry command table, one row per INS this card implements
 * and rows without a handler that only name the others (for traces).
 */
extern const struct cmd_def iso_commands[];
extern const size_t iso_ncommands;

/* security.c */
bool sec_rule_holds(const struct scsim_card *card, const struct channel *ch, uint16_t rule);
int sec_find_chv(const struct scsim_card *card, const struct channel *ch, uint8_t ref);
int sec_find_key(const struct scsim_card *card, const struct channel *ch, uint8_t ref);
void sec_select_df(struct scsim_card *card, struct channel *ch, uint16_t df);
/* Is CHV idx verified on this channel? */
bool sec_chv_verified(const struct channel *ch, size_t idx);
/* Forget reference idx's verification on every channel (its value or counter was replaced). */
void sec_forget_chv(struct scsim_card *card, size_t idx);

/* chv.c */
#define CHV_GUARDED_MAX 128 /* longest code the guarded comparison takes (OpenPGP: 127) */
/*
 * The guarded comparison of a presented code with stored reference data,
 * for the profile's CHVs (app NULL) and for codes an application keeps in
 * its state (app: that state, whose record the commits encode anew). The
 * retry counter (*tries) is decremented and committed before the
 * comparison, so a card torn at any instant has spent the try; if that
 * commit fails nothing is compared and *tries stays as it was. A match
 * restores it to limit through card_commit_restore: a write not waited
 * for, or none yet when the counter was full (lost in a crash, it costs
 * that try, never gives one). Compared in constant time
 * over fixed-size buffers, which are wiped. Returns 9000, 63Cx, 6983
 * (blocked, nothing compared), 6700 (longer than CHV_GUARDED_MAX) or 6581
 * (commit failed; memory as the file has it).
 */
uint16_t chv_guarded_compare(struct scsim_card *card, const void *app, uint8_t *tries,
                             uint8_t limit, const uint8_t *stored, size_t stored_len,
                             const uint8_t *code, size_t len);
/*
 * The same up to the match: on 9000 *tries is still one lower, as the file
 * has it, and nothing is restored. For a command that changes more than
 * the counter: it restores the counter with its own change, in one commit,
 * and on that commit's failure puts the counter back to the spent value.
 */
uint16_t chv_guarded_match(struct scsim_card *card, const void *app, uint8_t *tries,
                           const uint8_t *stored, size_t stored_len, const uint8_t *code,
                           size_t len);

/* Command handlers, one file per concept. */
cmd_handler fs_select;
cmd_handler fs_read_binary;
cmd_handler fs_update_binary;
cmd_handler chv_verify;
cmd_handler chv_change_reference_data;
cmd_handler chv_reset_retry_counter;
cmd_handler chv_disable_verification;
cmd_handler chv_enable_verification;
cmd_handler ka_get_challenge;
cmd_handler ka_external_authenticate;
cmd_handler iso_manage_channel;
cmd_handler iso_get_data;

#endif
