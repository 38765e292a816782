/* SPDX-License-Identifier: MIT */
/* The APDU trace file: opened so that nothing planted at its path is followed or reused. */
#define _GNU_SOURCE
#include "trace_file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static FILE *refuse(const char *path, int fd, const char *why)
{
        fprintf(stderr, "scsim-vpcd: --trace '%s': %s\n", path, why);
        if (fd >= 0)
                close(fd);
        return NULL;
}

FILE *trace_file_open(const char *path, bool append)
{
        struct stat st;
        FILE *f;
        int fd;

        if (strcmp(path, "-") == 0)
                return stdout;
        /* No O_TRUNC here: a file someone else owns must be refused before it is touched. */
        fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY, 0600);
        if (fd < 0)
                return refuse(path, -1,
                              errno == ELOOP   ? "is a symbolic link; give the file itself"
                              : errno == ENXIO ? "not a regular file (a FIFO nobody reads?)"
                                               : strerror(errno));
        if (fstat(fd, &st) != 0)
                return refuse(path, fd, strerror(errno));
        if (!S_ISREG(st.st_mode))
                return refuse(path, fd, "not a regular file");
        if (st.st_uid != geteuid())
                return refuse(path, fd, "owned by another user; remove it or choose another path");
        if ((append ? lseek(fd, 0, SEEK_END) : ftruncate(fd, 0)) < 0)
                return refuse(path, fd, strerror(errno));
        /* The mode of a file we did not create is left alone; a new one is 0600 whatever umask. */
        if (st.st_size == 0 && fchmod(fd, 0600) != 0)
                return refuse(path, fd, strerror(errno));
        f = fdopen(fd, append ? "a" : "w");
        if (f == NULL)
                return refuse(path, fd, strerror(errno));
        return f;
}
