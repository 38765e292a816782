/* SPDX-License-Identifier: MIT */
/* The APDU trace file: opened so that nothing planted at its path is followed or reused. */
#define _GNU_SOURCE
#include "trace_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static FILE *refuse(char *err, size_t errcap, int fd, const char *why)
{
        snprintf(err, errcap, "%s", why);
        if (fd >= 0)
                close(fd);
        return NULL;
}

FILE *bridge_trace_open(const char *path, bool append, char *err, size_t errcap)
{
        struct stat st;
        FILE *f;
        int fd;
        /* No O_TRUNC here: a file someone else owns must be refused before it is touched. */
        fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0600);
        if (fd < 0)
                return refuse(err, errcap, -1,
                              errno == ELOOP   ? "is a symbolic link; give the file itself"
                              : errno == ENXIO ? "not a regular file (a FIFO nobody reads?)"
                                               : strerror(errno));
        if (fstat(fd, &st) != 0)
                return refuse(err, errcap, fd, strerror(errno));
        if (!S_ISREG(st.st_mode))
                return refuse(err, errcap, fd, "not a regular file");
        if (st.st_uid != geteuid())
                return refuse(err, errcap, fd,
                              "owned by another user; remove it or choose another path");
        if ((append ? lseek(fd, 0, SEEK_END) : ftruncate(fd, 0)) < 0)
                return refuse(err, errcap, fd, strerror(errno));
        /* The mode of a file we did not create is left alone; a new one is 0600 whatever umask. */
        if (st.st_size == 0 && fchmod(fd, 0600) != 0)
                return refuse(err, errcap, fd, strerror(errno));
        f = fdopen(fd, append ? "a" : "w");
        if (f == NULL)
                return refuse(err, errcap, fd, strerror(errno));
        return f;
}
