/* SPDX-License-Identifier: MIT */
/* Durable card state: counters, codes and file contents that survive restarts. */
#ifndef SCSIM_STATE_H
#define SCSIM_STATE_H

#include <stddef.h>
#include <stdint.h>

#include <scsim/card.h>
#include <scsim/profile.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Attach a state file to a card (docs/state.md). If path exists it is
 * loaded and must match the card's profile; otherwise it is created from the
 * card's current state (directory 0700 if created, file 0600). The file is
 * locked for the life of the card, and written once before this returns, so
 * a directory, disk or mount that cannot take a write is refused now rather
 * than at the first VERIFY. From then on every change is written before the
 * card answers the command that made it. Refused with SCSIM_ERR_STATE and a
 * diagnostic naming the file and the fault, file and card left untouched: a
 * corrupt, truncated, foreign, newer or mismatched file; a file or directory
 * that is a symbolic link, not a regular file, owned by another user, or
 * open to others; an encrypted file without its key. SCSIM_ERR_BUSY: another
 * card (in this or another process) holds the file; the diagnostic names
 * the process. SCSIM_ERR_IO: the file cannot be read or written.
 */
int scsim_card_attach_state(scsim_card *card, const char *path, scsim_diag *diag);

#define SCSIM_STATE_KEY_LEN 32 /* AES-256 */

/*
 * Keep the card's state file encrypted (AES-256-GCM) under key, which is
 * copied. Call before scsim_card_attach_state: a plain file is encrypted
 * when attached, an encrypted one needs the key it was written with.
 */
int scsim_card_set_state_key(scsim_card *card, const uint8_t *key, size_t len);

/*
 * Read a key file: 32 bytes, or 64 hex digits and an optional newline
 * (`openssl rand -hex 32`). Refused like a state file when it is a symbolic
 * link, not a regular file, owned by another user or open to others.
 */
int scsim_state_key_read(const char *path, uint8_t key[SCSIM_STATE_KEY_LEN], scsim_diag *diag);

/* The stages of a durable write, in order, at which a fault hook is called. */
enum scsim_state_stage {
        SCSIM_STATE_BEFORE_WRITE = 1, /* nothing written yet */
        SCSIM_STATE_AFTER_WRITE,      /* the new bytes written, in place or to a new file */
        SCSIM_STATE_AFTER_SYNC,       /* the new bytes synced to the disk */
        SCSIM_STATE_AFTER_RENAME,     /* a new file took the old one's name (creation, growth) */
};

/*
 * Called at each stage of each write of the card's state, for tests: return
 * 0 to go on, anything else to make the write fail as an I/O error would
 * (the card answers 6581 and keeps its state as it was); or end the process
 * to see what a crash at that instant leaves. A write that need not wait for
 * the disk (a counter restored after a match) has no AFTER_SYNC stage.
 */
typedef int scsim_state_fault_fn(void *ctx, enum scsim_state_stage stage);

/* Set (fn NULL: remove) the card's fault hook, before or after attaching a state file. */
int scsim_card_set_fault_hook(scsim_card *card, scsim_state_fault_fn *fn, void *ctx);

/*
 * Write path afresh with the profile's initial values (the card state a new
 * card has), atomically. Used by `scsim state reset`. Refused, as by attach,
 * while a card holds the file. scsim_state_reset_key encrypts it under key
 * (SCSIM_STATE_KEY_LEN bytes; NULL: plain).
 */
int scsim_state_reset(const scsim_profile *profile, const char *path, scsim_diag *diag);
int scsim_state_reset_key(const scsim_profile *profile, const char *path, const uint8_t *key,
                          size_t key_len, scsim_diag *diag);

/*
 * Print a state file's contents, secrets masked, to out (a FILE *). Checks
 * integrity and format but needs no profile. Used by `scsim state show`.
 * scsim_state_print_key reads an encrypted file with its key (NULL: none).
 */
int scsim_state_print(const char *path, void *out, scsim_diag *diag);
int scsim_state_print_key(const char *path, const uint8_t *key, size_t key_len, void *out,
                          scsim_diag *diag);

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
/* The same for a file encrypted under key (SCSIM_STATE_KEY_LEN bytes; NULL: plain). */
int scsim_state_inspect_key(const char *path, const uint8_t *key, size_t key_len,
                            void (*fn)(void *arg, const scsim_state_record *rec), void *arg,
                            scsim_diag *diag);

#ifdef __cplusplus
}
#endif

#endif
