/* SPDX-License-Identifier: MIT */
/* Files no one else can plant, share or hijack: checked opens, the lock, temporaries. */
#ifndef SCSIM_STATE_FILE_OPS_H
#define SCSIM_STATE_FILE_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <scsim/profile.h>

#if defined(__GNUC__)
#define STATE_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define STATE_PRINTF(a, b)
#endif

/* Fill diag (when not NULL) with the file and a message. */
void state_say(scsim_diag *diag, const char *path, const char *fmt, ...) STATE_PRINTF(3, 4);

/* A path taken apart: the directory, open and checked, and the name in it. */
struct state_dir {
        int fd;     /* the directory, opened without following a symbolic link */
        char *dir;  /* for messages */
        char *base; /* the file's name in it */
        const char *path;
};

/*
 * Open the directory path lives in, creating it (0700) if missing, and
 * refuse it, with a message naming it, when it is a symbolic link, belongs
 * to another user than us or root, or others may write to it. 0 or a
 * negative SCSIM_ERR_*.
 */
int state_dir_open(struct state_dir *d, const char *path, bool create, scsim_diag *diag);
void state_dir_close(struct state_dir *d);

/*
 * Open name in d without following a symbolic link or blocking (a FIFO),
 * and refuse anything but a regular file that we own and no one else may
 * read or write. *fd is -1 when the file does not exist (0 returned). 0 or
 * a negative SCSIM_ERR_*.
 */
int state_file_open(const struct state_dir *d, const char *name, int flags, int *fd,
                    scsim_diag *diag);

/* Read all of fd (at most max bytes) into a new buffer. 0 or a negative SCSIM_ERR_*. */
int state_file_read(int fd, size_t max, uint8_t **buf, size_t *len, const char *path,
                    scsim_diag *diag);

/*
 * Lock d's file for as long as *fd stays open: NAME.lock, holding the pid
 * of whoever has it, so a second user is told who. 0, SCSIM_ERR_BUSY or
 * another negative SCSIM_ERR_*.
 */
int state_lock(const struct state_dir *d, int *fd, scsim_diag *diag);

/*
 * Create a new temporary file in d, mode 0600, under a random name no one
 * can have planted (O_EXCL, O_NOFOLLOW). Returns its descriptor and name
 * (name holds STATE_TMP_NAME_MAX bytes), or -1 with errno set.
 */
#define STATE_TMP_NAME_MAX 300
int state_tmp_create(const struct state_dir *d, char *name);

/* Remove temporaries an interrupted write left behind; only ours, and only under the lock. */
void state_tmp_sweep(const struct state_dir *d);

/* Write all of buf at offset off (or at the file position when off < 0); 0 or -1 (errno). */
int state_write_all(int fd, const uint8_t *buf, size_t len, long long off);

#endif
