/* SPDX-License-Identifier: MIT */
/* Durable card state: counters, codes and file contents that survive restarts. */
#ifndef SCSIM_STATE_H
#define SCSIM_STATE_H

#include <scsim/card.h>
#include <scsim/profile.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Attach a state file to a card (docs/state.md). If path exists it is
 * loaded and must match the card's profile; otherwise it is created from the
 * card's current state (directory 0700 if created, file 0600). From then on
 * every change is written to path atomically before the card answers the
 * command that made it. A corrupt, truncated, foreign, newer or mismatched
 * file is refused with SCSIM_ERR_STATE and a diagnostic naming the file and
 * the fault; the file and the card are left untouched.
 */
int scsim_card_attach_state(scsim_card *card, const char *path, scsim_diag *diag);

/*
 * Write path afresh with the profile's initial values (the card state a new
 * card has), atomically. Used by `scsim state reset`.
 */
int scsim_state_reset(const scsim_profile *profile, const char *path, scsim_diag *diag);

/*
 * Print a state file's contents, secrets masked, to out (a FILE *). Checks
 * integrity and format but needs no profile. Used by `scsim state show`.
 */
int scsim_state_print(const char *path, void *out, scsim_diag *diag);

/* Kinds of scsim_state_record, in the order a file holds them. */
#define SCSIM_STATE_HEADER 0 /* name: the profile; version: the file format */
#define SCSIM_STATE_CHV    1 /* name, ref (-1: none), tries, retries, enabled */
#define SCSIM_STATE_KEY    2 /* name, ref, tries, retries */
#define SCSIM_STATE_FILE   3 /* name, fid, size */
#define SCSIM_STATE_APP    4 /* name, size: an application's record */

/* One record of a state file: counters and sizes, never a code, a key or a code's length. */
typedef struct scsim_state_record {
        int kind;
        const char *name; /* borrowed for the callback's duration */
        unsigned version;
        int ref;
        unsigned tries;
        unsigned retries;
        int enabled;
        unsigned fid;
        size_t size;
} scsim_state_record;

/*
 * What scsim_state_print prints, as data: read path (integrity and format
 * checked, no profile needed) and call fn once per record, the header first.
 * On a malformed file fn may have seen the records before the fault; the
 * return value (SCSIM_ERR_STATE, SCSIM_ERR_IO) and diag say what is wrong.
 */
int scsim_state_inspect(const char *path, void (*fn)(void *arg, const scsim_state_record *rec),
                        void *arg, scsim_diag *diag);

#ifdef __cplusplus
}
#endif

#endif
