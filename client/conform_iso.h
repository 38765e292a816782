/* SPDX-License-Identifier: MIT */
/* The ISO/IEC 7816-4 suite's checks, in the files that hold them; conform_iso.c has the table. */
#ifndef SCSIM_CLIENT_CONFORM_ISO_H
#define SCSIM_CLIENT_CONFORM_ISO_H

#include "conform_run.h"

/* conform_iso.c: the card as a whole (ATR, classes, selection, length cases, GET RESPONSE,
 * channels) */
enum cf_verdict iso_atr(struct cf_run *r, int obj);
enum cf_verdict iso_cla_rfu(struct cf_run *r, int obj);
enum cf_verdict iso_ins_invalid(struct cf_run *r, int obj);
enum cf_verdict iso_select_mf(struct cf_run *r, int obj);
enum cf_verdict iso_select_absent(struct cf_run *r, int obj);
enum cf_verdict iso_cases_verify(struct cf_run *r, int obj);
enum cf_verdict iso_cases_challenge(struct cf_run *r, int obj);
enum cf_verdict iso_cases_read(struct cf_run *r, int obj);
enum cf_verdict iso_getresponse_none(struct cf_run *r, int obj);
enum cf_verdict iso_getresponse_chain(struct cf_run *r, int obj);
enum cf_verdict iso_channel_open_close(struct cf_run *r, int obj);
enum cf_verdict iso_channel_basic(struct cf_run *r, int obj);
enum cf_verdict iso_channel_reset(struct cf_run *r, int obj);

/* conform_iso_chv.c: one reference's security status, what clears it, its counter */
enum cf_verdict iso_chv_query(struct cf_run *r, int chv);
enum cf_verdict iso_chv_verify(struct cf_run *r, int chv);
enum cf_verdict iso_chv_p1ff(struct cf_run *r, int chv);
enum cf_verdict iso_chv_p1_other(struct cf_run *r, int chv);
enum cf_verdict iso_chv_reset(struct cf_run *r, int chv);
enum cf_verdict iso_chv_deselect(struct cf_run *r, int chv);
enum cf_verdict iso_chv_channel(struct cf_run *r, int chv);
enum cf_verdict iso_chv_channel_close(struct cf_run *r, int chv);
enum cf_verdict iso_chv_counter(struct cf_run *r, int chv);
enum cf_verdict iso_chv_counter_channels(struct cf_run *r, int chv);
enum cf_verdict iso_ref_unknown(struct cf_run *r, int obj);

/* conform_iso_block.c: the checks that block, unblock, change or disable a reference */
enum cf_verdict iso_chv_block(struct cf_run *r, int chv);
enum cf_verdict iso_chv_unblock_wrong(struct cf_run *r, int chv);
enum cf_verdict iso_chv_change(struct cf_run *r, int chv);
enum cf_verdict iso_chv_disable(struct cf_run *r, int chv);

/* conform_iso_files.c: access rules of EFs, reading past the end, keys */
enum cf_verdict iso_ef_read(struct cf_run *r, int ef);
enum cf_verdict iso_ef_read_end(struct cf_run *r, int ef);
enum cf_verdict iso_ef_update(struct cf_run *r, int ef);
enum cf_verdict iso_key_auth(struct cf_run *r, int key);

/* SELECT of an EF of the description: its DF, then its FID. 0, or -1 with the failure said. */
int iso_select_ef(struct cf_run *r, unsigned ch, int ef);
/* Not verified: 63CX with the description's retries less lost (any X when it gives none). */
bool iso_want_unverified(struct cf_run *r, uint16_t sw, const struct cf_chv *c, unsigned lost,
                         const char *what);
/* Channels the card announces, or a skip that says why none are tried. */
enum cf_verdict iso_need_channels(struct cf_run *r);

#endif
