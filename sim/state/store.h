/* SPDX-License-Identifier: MIT */
/* The state store: one file, two copies of an opaque image written in turn; bytes, not cards. */
#ifndef SCSIM_STATE_STORE_H
#define SCSIM_STATE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <scsim/profile.h>
#include <scsim/state.h>

#define STORE_FORMAT    3 /* two copies; formats 1 and 2 are a single image, as older scsims wrote */
#define STATE_IMAGE_MAX (4u << 20) /* the largest image a store keeps */

struct state_store;

/* What `scsim state show` tells of the file itself. */
struct store_info {
        unsigned format; /* STORE_FORMAT, or 1 or 2 for a single image */
        bool encrypted;
        unsigned copy;               /* the copy in use, 1 or 2 (format 3) */
        unsigned long long sequence; /* its write number */
        bool other_intact;           /* the other copy holds an older image that reads */
};

/*
 * Open path for a card: check its directory and the file if it exists (see
 * state_dir_open, state_file_open), lock it for the store's life, sweep
 * temporaries an interrupted write left. Creates the directory, not the
 * file. key: NULL for a plain file, else SCSIM_STATE_KEY_LEN bytes (copied)
 * that every write uses. 0 or a negative SCSIM_ERR_*.
 */
int store_open(const char *path, const uint8_t *key, struct state_store **out, scsim_diag *diag);

/*
 * The image the file holds: a new buffer with the newest copy that reads
 * whole (the caller cleanses and frees it), or NULL when there is no file
 * yet. 0 or a negative SCSIM_ERR_*.
 */
int store_load(struct state_store *s, uint8_t **image, size_t *len, struct store_info *info,
               scsim_diag *diag);

/*
 * The image the bytes of a state file hold (the newest intact copy of a
 * format 3 file, or the whole of an older one): what store_load reads. For
 * messages, path names the file.
 */
int store_parse(const uint8_t *buf, size_t len, const uint8_t *key, uint8_t **image, size_t *ilen,
                struct store_info *info, const char *path, scsim_diag *diag);

/*
 * The bytes of a new format 3 file holding image as its first copy, write
 * number seq, encrypted under key when not NULL: what store_rewrite writes.
 * A new buffer (*flen bytes); 0 or -1.
 */
int store_format(const uint8_t *image, size_t len, const uint8_t *key, unsigned long long seq,
                 uint8_t **file, size_t *flen);

/* The same image, read without a lock and without creating anything: for `scsim state show`. */
int store_peek(const char *path, const uint8_t *key, uint8_t **image, size_t *len,
               struct store_info *info, scsim_diag *diag);

void store_set_fault(struct state_store *s, scsim_state_fault_fn *fn, void *ctx);

/*
 * Replace the file with a new one holding image, durably (a new file,
 * synced, renamed over the old one, the directory synced): at creation, to
 * enlarge the copies, and at attach to prove that writing works. prev (NULL:
 * none) is the image the file held, which the new file keeps as its older
 * copy: if the directory's sync fails after the rename, the new image is
 * made unreadable, so the file reads as before, as after any failed write.
 */
int store_rewrite(struct state_store *s, const uint8_t *image, size_t len, const uint8_t *prev,
                  size_t prev_len, scsim_diag *diag);

/*
 * Write image over the older copy, in place. durable: return once it is on
 * the disk (one fdatasync); otherwise once the kernel has it, which a
 * killed process does not lose and a power cut may. 0 or -1 (errno set);
 * after a failure the file reads as before the write. prev: the image the
 * file holds now (store_rewrite), for when the write needs a new file.
 */
int store_write(struct state_store *s, const uint8_t *image, size_t len, bool durable,
                const uint8_t *prev, size_t prev_len);

/* Sync what is not yet on the disk, unlock and close. */
void store_close(struct state_store **s);

#endif
