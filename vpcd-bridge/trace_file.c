/* SPDX-License-Identifier: MIT */
/* The APDU trace file: opened so that nothing planted at its path is followed or reused. */
#include "trace_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *file_kind(mode_t mode)
{
        return S_ISDIR(mode)    ? "a directory"
               : S_ISFIFO(mode) ? "a FIFO"
               : S_ISSOCK(mode) ? "a socket"
               : S_ISCHR(mode)  ? "a character device"
               : S_ISBLK(mode)  ? "a block device"
               : S_ISLNK(mode)  ? "a symbolic link"
                                : "something else";
}

/* Why open failed, in words for the user: open's errno alone says "No such device" for a FIFO. */
static void explain_open(const char *path, int err, char *buf, size_t cap)
{
        struct stat st;

        if ((err == ELOOP || err == ENXIO || err == EISDIR) && lstat(path, &st) == 0) {
                if (S_ISLNK(st.st_mode))
                        snprintf(buf, cap,
                                 "is a symbolic link; not followed (name the file itself)");
                else
                        snprintf(buf, cap, "is %s, not a regular file", file_kind(st.st_mode));
                return;
        }
        snprintf(buf, cap, "%s", strerror(err));
}

/* Refuses what a trace must not be written to, before a byte of it changes. */
static int trace_file_ok(int fd, char *err, size_t errcap)
{
        struct stat st;

        if (fstat(fd, &st) != 0) {
                snprintf(err, errcap, "%s", strerror(errno));
                return -1;
        }
        if (!S_ISREG(st.st_mode)) {
                snprintf(err, errcap, "is %s, not a regular file", file_kind(st.st_mode));
                return -1;
        }
        if (st.st_uid != geteuid()) {
                snprintf(err, errcap,
                         "belongs to uid %u, not to this user (uid %u); remove it or choose "
                         "another path",
                         (unsigned)st.st_uid, (unsigned)geteuid());
                return -1;
        }
        if (st.st_nlink > 1) {
                snprintf(err, errcap,
                         "has %ju other names (hard links) through which others may read it; "
                         "remove it or choose another path",
                         (uintmax_t)(st.st_nlink - 1));
                return -1;
        }
        if ((st.st_mode & 077) != 0 && fchmod(fd, 0600) != 0) {
                snprintf(err, errcap, "cannot make it private (mode 0600): %s", strerror(errno));
                return -1;
        }
        return 0;
}

FILE *bridge_trace_open(const char *path, bool append, char *err, size_t errcap)
{
        /* O_NONBLOCK: opening a FIFO must not wait for a reader; the checks refuse it after. */
        int flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
        int fd = open(path, flags | (append ? O_APPEND : 0), 0600);
        FILE *f = NULL;

        if (fd < 0) {
                explain_open(path, errno, err, errcap);
                return NULL;
        }
        if (trace_file_ok(fd, err, errcap) != 0)
                goto fail;
        if ((!append && ftruncate(fd, 0) != 0) || fcntl(fd, F_SETFL, append ? O_APPEND : 0) != 0) {
                snprintf(err, errcap, "%s", strerror(errno));
                goto fail;
        }
        f = fdopen(fd, append ? "a" : "w");
        if (f == NULL) {
                snprintf(err, errcap, "%s", strerror(errno));
                goto fail;
        }
        return f;
fail:
        close(fd);
        return NULL;
}
