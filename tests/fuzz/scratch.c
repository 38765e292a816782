/* SPDX-License-Identifier: MIT */
/* Scratch directories of fuzz targets, and the sweep of those a crash left behind. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scratch.h"

/* A directory's files, then the directory: what a target puts there is one level deep. */
static void remove_one(int base_fd, const char *name)
{
        int fd = openat(base_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *e;

        if (d == NULL) {
                if (fd >= 0)
                        close(fd);
                return;
        }
        while ((e = readdir(d)) != NULL)
                if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
                        (void)unlinkat(dirfd(d), e->d_name, 0);
        closedir(d);
        (void)unlinkat(base_fd, name, AT_REMOVEDIR);
}

/* scsim-fuzz-TAG-PID-XXXXXX of ours whose PID no longer runs. */
static void sweep(const char *base, const char *prefix)
{
        DIR *d = opendir(base);
        struct dirent *e;
        size_t plen = strlen(prefix);

        if (d == NULL)
                return;
        while ((e = readdir(d)) != NULL) {
                struct stat st;
                char *end;
                long pid;
                if (strncmp(e->d_name, prefix, plen) != 0)
                        continue;
                errno = 0;
                pid = strtol(e->d_name + plen, &end, 10);
                if (errno != 0 || pid <= 0 || *end != '-' ||
                    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
                    !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
                        continue;
                if (kill((pid_t)pid, 0) != 0 && errno == ESRCH)
                        remove_one(dirfd(d), e->d_name);
        }
        closedir(d);
}

int fuzz_scratch_dir(const char *tag, char *out, size_t cap)
{
        const char *base = getenv("TMPDIR");
        char prefix[64];
        struct stat st;

        if (base == NULL || base[0] == '\0')
                base = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm" : "/tmp";
        if ((size_t)snprintf(prefix, sizeof(prefix), "scsim-fuzz-%s-", tag) >= sizeof(prefix)) {
                errno = ENAMETOOLONG;
                return -1;
        }
        sweep(base, prefix);
        if ((size_t)snprintf(out, cap, "%s/%s%ld-XXXXXX", base, prefix, (long)getpid()) >= cap) {
                errno = ENAMETOOLONG;
                return -1;
        }
        return mkdtemp(out) != NULL ? 0 : -1;
}
