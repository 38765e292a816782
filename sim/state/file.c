/* SPDX-License-Identifier: MIT */
/*
 * The state file's neighbourhood made safe: its directory and the file are
 * refused when someone else could have planted or could swap them (the
 * checks OpenSSH makes of key files), temporaries get names no one can
 * predict, and a lock file keeps a second user off while a card lives.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

#include <scsim/err.h>

#include "diag.h"
#include "state/file.h"

#define TMP_TAG     ".tmp-"
#define TMP_RAND    6 /* bytes, 12 hex digits */
#define LOCK_SUFFIX ".lock"

void state_say(scsim_diag *diag, const char *path, const char *fmt, ...)
{
        va_list ap;

        if (diag == NULL)
                return;
        memset(diag, 0, sizeof(*diag));
        diag_set_file(diag, path != NULL ? path : "");
        va_start(ap, fmt);
        vsnprintf(diag->message, sizeof(diag->message), fmt, ap);
        va_end(ap);
}

static int split(struct state_dir *d, const char *path)
{
        char *slash;

        if ((d->dir = strdup(path)) == NULL)
                return -1;
        slash = strrchr(d->dir, '/');
        if (slash == NULL) {
                d->base = strdup(path);
                free(d->dir);
                d->dir = strdup(".");
        } else {
                d->base = strdup(slash + 1);
                slash[slash == d->dir ? 1 : 0] = '\0';
        }
        return d->dir != NULL && d->base != NULL ? 0 : -1;
}

int state_dir_open(struct state_dir *d, const char *path, bool create, scsim_diag *diag)
{
        struct stat sb;

        memset(d, 0, sizeof(*d));
        d->fd = -1;
        d->path = path;
        if (split(d, path) != 0) {
                state_say(diag, path, "out of memory");
                return SCSIM_ERR_NO_MEMORY;
        }
        if (d->base[0] == '\0' || strcmp(d->base, ".") == 0 || strcmp(d->base, "..") == 0) {
                state_say(diag, path, "not a file name (a directory?)");
                return SCSIM_ERR_INVALID_ARGUMENT;
        }
        if (create && mkdir(d->dir, 0700) != 0 && errno != EEXIST) {
                state_say(diag, path, "cannot create directory %s: %s", d->dir, strerror(errno));
                return SCSIM_ERR_IO;
        }
        d->fd = open(d->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (d->fd < 0) {
                if (errno == ELOOP || errno == ENOTDIR)
                        state_say(diag, path,
                                  "directory %s is a symbolic link or not a directory: give the "
                                  "real path of a directory",
                                  d->dir);
                else
                        state_say(diag, path, "cannot open directory %s: %s", d->dir,
                                  strerror(errno));
                return errno == ELOOP || errno == ENOTDIR ? SCSIM_ERR_STATE : SCSIM_ERR_IO;
        }
        if (fstat(d->fd, &sb) != 0) {
                state_say(diag, path, "cannot stat directory %s: %s", d->dir, strerror(errno));
                return SCSIM_ERR_IO;
        }
        if (sb.st_uid != geteuid() && sb.st_uid != 0) {
                state_say(diag, path,
                          "directory %s belongs to another user (uid %lu), who could replace the "
                          "state file: use a directory of your own",
                          d->dir, (unsigned long)sb.st_uid);
                return SCSIM_ERR_STATE;
        }
        /* in a sticky directory (/tmp) only a file's owner may rename or remove it */
        if ((sb.st_mode & 022) != 0 && (sb.st_mode & S_ISVTX) == 0) {
                state_say(diag, path,
                          "directory %s is writable by group or others (mode %04o), who could "
                          "replace the state file: use a directory only you can write (chmod "
                          "go-w)",
                          d->dir, (unsigned)(sb.st_mode & 07777));
                return SCSIM_ERR_STATE;
        }
        return SCSIM_OK;
}

void state_dir_close(struct state_dir *d)
{
        if (d->fd >= 0)
                close(d->fd);
        free(d->dir);
        free(d->base);
        memset(d, 0, sizeof(*d));
        d->fd = -1;
}

static const char *kind_of(mode_t m)
{
        if (S_ISDIR(m))
                return "a directory";
        if (S_ISFIFO(m))
                return "a FIFO";
        if (S_ISSOCK(m))
                return "a socket";
        if (S_ISCHR(m) || S_ISBLK(m))
                return "a device";
        return "not a regular file";
}

/* The name as the user would know it: the path given, or DIR/NAME for its neighbours. */
static void shown(const struct state_dir *d, const char *name, char *buf, size_t cap)
{
        if (strcmp(name, d->base) == 0)
                snprintf(buf, cap, "%s", d->path);
        else
                snprintf(buf, cap, "%s/%s", d->dir, name);
}

static int check_file(int fd, const char *path, scsim_diag *diag)
{
        struct stat sb;

        if (fstat(fd, &sb) != 0) {
                state_say(diag, path, "cannot stat: %s", strerror(errno));
                return SCSIM_ERR_IO;
        }
        if (!S_ISREG(sb.st_mode)) {
                state_say(diag, path, "%s, not a regular file: refused", kind_of(sb.st_mode));
                return SCSIM_ERR_STATE;
        }
        if (sb.st_uid != geteuid()) {
                state_say(diag, path,
                          "belongs to another user (uid %lu): refused, since whoever owns it can "
                          "change it; copy it to a file of your own",
                          (unsigned long)sb.st_uid);
                return SCSIM_ERR_STATE;
        }
        if ((sb.st_mode & 077) != 0) {
                state_say(diag, path,
                          "can be read or written by group or others (mode %04o), and it holds "
                          "PINs and keys: refused; chmod 600 it",
                          (unsigned)(sb.st_mode & 07777));
                return SCSIM_ERR_STATE;
        }
        return SCSIM_OK;
}

int state_file_open(const struct state_dir *d, const char *name, int flags, int *fdp,
                    scsim_diag *diag)
{
        char path[4096];
        int fd, rc;

        *fdp = -1;
        shown(d, name, path, sizeof(path));
        /* O_NONBLOCK: a FIFO must be refused, not waited on */
        fd = openat(d->fd, name, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
        if (fd < 0) {
                if (errno == ENOENT)
                        return SCSIM_OK;
                if (errno == ELOOP) {
                        state_say(diag, path,
                                  "is a symbolic link: refused (it could point anywhere); give "
                                  "the real path");
                        return SCSIM_ERR_STATE;
                }
                if (errno == EISDIR || errno == ENXIO) {
                        state_say(diag, path, "%s, not a regular file: refused",
                                  errno == EISDIR ? "a directory" : "a socket or device");
                        return SCSIM_ERR_STATE;
                }
                state_say(diag, path, "cannot open: %s", strerror(errno));
                return SCSIM_ERR_IO;
        }
        if ((rc = check_file(fd, path, diag)) != SCSIM_OK ||
            fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0) {
                if (rc == SCSIM_OK) {
                        state_say(diag, path, "fcntl: %s", strerror(errno));
                        rc = SCSIM_ERR_IO;
                }
                close(fd);
                return rc;
        }
        *fdp = fd;
        return SCSIM_OK;
}

int state_file_read(int fd, size_t max, uint8_t **out, size_t *len, const char *path,
                    scsim_diag *diag)
{
        struct stat sb;
        uint8_t *buf;
        size_t got = 0;

        *out = NULL;
        *len = 0;
        if (fstat(fd, &sb) != 0) {
                state_say(diag, path, "cannot stat: %s", strerror(errno));
                return SCSIM_ERR_IO;
        }
        if (sb.st_size < 0 || (unsigned long long)sb.st_size > max) {
                state_say(diag, path, "too large for a state file (%lld bytes)",
                          (long long)sb.st_size);
                return SCSIM_ERR_STATE;
        }
        if ((buf = malloc((size_t)sb.st_size + 1)) == NULL) {
                state_say(diag, path, "out of memory");
                return SCSIM_ERR_NO_MEMORY;
        }
        while (got < (size_t)sb.st_size) {
                ssize_t r = pread(fd, buf + got, (size_t)sb.st_size - got, (off_t)got);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0) {
                        state_say(diag, path, "read failed: %s",
                                  r < 0 ? strerror(errno) : "the file shrank");
                        free(buf);
                        return SCSIM_ERR_IO;
                }
                got += (size_t)r;
        }
        *out = buf;
        *len = got;
        return SCSIM_OK;
}

static long holder_of(int fd)
{
        char text[32];
        ssize_t n = pread(fd, text, sizeof(text) - 1, 0);

        if (n <= 0)
                return 0;
        text[n] = '\0';
        return strtol(text, NULL, 10);
}

int state_lock(const struct state_dir *d, int *fdp, scsim_diag *diag)
{
        char name[STATE_TMP_NAME_MAX], path[4096], pid[32];
        int fd, rc, n;
        long holder;

        *fdp = -1;
        if ((size_t)snprintf(name, sizeof(name), "%s%s", d->base, LOCK_SUFFIX) >= sizeof(name)) {
                state_say(diag, d->path, "name too long");
                return SCSIM_ERR_INVALID_ARGUMENT;
        }
        shown(d, name, path, sizeof(path));
        if ((rc = state_file_open(d, name, O_RDWR | O_CREAT, &fd, diag)) != SCSIM_OK)
                return rc;
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
                rc = errno == EWOULDBLOCK ? SCSIM_ERR_BUSY : SCSIM_ERR_IO;
                holder = holder_of(fd);
                if (rc == SCSIM_ERR_BUSY && holder > 0)
                        state_say(diag, d->path,
                                  "in use by process %ld (it holds %s): stop it, or give each "
                                  "card a state file of its own",
                                  holder, path);
                else if (rc == SCSIM_ERR_BUSY)
                        state_say(diag, d->path,
                                  "in use by another process (it holds %s): stop it, or give "
                                  "each card a state file of its own",
                                  path);
                else
                        state_say(diag, path, "cannot lock: %s", strerror(errno));
                close(fd);
                return rc;
        }
        /* the lock, not this text, keeps others off: the text only names the holder */
        n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
        if (ftruncate(fd, 0) != 0 || state_write_all(fd, (const uint8_t *)pid, (size_t)n, 0) != 0) {
                state_say(diag, path, "cannot write: %s", strerror(errno));
                close(fd);
                return SCSIM_ERR_IO;
        }
        *fdp = fd;
        return SCSIM_OK;
}

int state_tmp_create(const struct state_dir *d, char *name)
{
        static const char hex[] = "0123456789abcdef";

        for (int attempt = 0; attempt < 16; attempt++) {
                uint8_t r[TMP_RAND];
                char tag[2 * TMP_RAND + 1];
                int fd;
                if (RAND_bytes(r, sizeof(r)) != 1) {
                        errno = EIO;
                        return -1;
                }
                for (size_t i = 0; i < sizeof(r); i++) {
                        tag[2 * i] = hex[r[i] >> 4];
                        tag[2 * i + 1] = hex[r[i] & 15];
                }
                tag[2 * TMP_RAND] = '\0';
                if ((size_t)snprintf(name, STATE_TMP_NAME_MAX, "%s%s%s", d->base, TMP_TAG, tag) >=
                    STATE_TMP_NAME_MAX) {
                        errno = ENAMETOOLONG;
                        return -1;
                }
                fd = openat(d->fd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
                if (fd >= 0) {
                        /* whatever the umask: ours alone, and writable by us */
                        if (fchmod(fd, 0600) != 0) {
                                int e = errno;
                                unlinkat(d->fd, name, 0);
                                close(fd);
                                errno = e;
                                return -1;
                        }
                        return fd;
                }
                if (errno != EEXIST)
                        return -1;
        }
        errno = EEXIST;
        return -1;
}

static bool is_our_tmp(const struct state_dir *d, const char *name)
{
        size_t blen = strlen(d->base), tlen = strlen(TMP_TAG);

        if (strncmp(name, d->base, blen) != 0 || strncmp(name + blen, TMP_TAG, tlen) != 0)
                return false;
        name += blen + tlen;
        if (strlen(name) != 2 * TMP_RAND)
                return false;
        for (; *name != '\0'; name++)
                if (!((*name >= '0' && *name <= '9') || (*name >= 'a' && *name <= 'f')))
                        return false;
        return true;
}

void state_tmp_sweep(const struct state_dir *d)
{
        int fd = dup(d->fd);
        DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *e;

        if (dir == NULL) {
                if (fd >= 0)
                        close(fd);
                return;
        }
        while ((e = readdir(dir)) != NULL) {
                struct stat sb;
                if (!is_our_tmp(d, e->d_name) ||
                    fstatat(d->fd, e->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
                        continue;
                if (S_ISREG(sb.st_mode) && sb.st_uid == geteuid())
                        (void)unlinkat(d->fd, e->d_name, 0);
        }
        closedir(dir);
}

int state_write_all(int fd, const uint8_t *buf, size_t len, long long off)
{
        while (len > 0) {
                ssize_t w = off >= 0 ? pwrite(fd, buf, len, (off_t)off) : write(fd, buf, len);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0) {
                        if (w == 0)
                                errno = EIO;
                        return -1;
                }
                buf += w;
                len -= (size_t)w;
                if (off >= 0)
                        off += w;
        }
        return 0;
}
