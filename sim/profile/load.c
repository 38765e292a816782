/* SPDX-License-Identifier: MIT */
/* Loading a profile from a file, a buffer or the embedded default. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include <scsim/err.h>
#include <scsim/profile.h>

#include "diag.h"
#include "profile/model.h"
#include "profile/load.h"
#include "profile/yaml.h"

#define PROFILE_FILE_MAX (1024 * 1024) /* a profile is a few KiB; refuse anything absurd */

void prof_sink_say(const struct prof_sink *s, const char *file, const char *fmt, ...)
{
        scsim_diag d;
        va_list ap;

        memset(&d, 0, sizeof(d));
        diag_set_file(&d, file);
        va_start(ap, fmt);
        vsnprintf(d.message, sizeof(d.message), fmt, ap);
        va_end(ap);
        if (s->diag != NULL)
                *s->diag = d;
        if (s->report != NULL)
                s->report(s->ctx, &d);
}

static int load_buffer(const char *name, const char *text, size_t len, scsim_profile **out,
                       const struct prof_sink *s)
{
        if (out == NULL)
                return SCSIM_ERR_INVALID_ARGUMENT;
        *out = NULL;
        if (text == NULL && len != 0)
                return SCSIM_ERR_INVALID_ARGUMENT;
        return prof_yaml_load(name != NULL ? name : "<buffer>", text, len, out, s->diag, s->report,
                              s->ctx);
}

int scsim_profile_load_buffer(const char *name, const char *text, size_t len, scsim_profile **out,
                              scsim_diag *diag)
{
        const struct prof_sink s = {diag, NULL, NULL};

        return load_buffer(name, text, len, out, &s);
}

int scsim_profile_load_buffer_report(const char *name, const char *text, size_t len,
                                     scsim_profile **out, scsim_diag_fn *report, void *ctx)
{
        const struct prof_sink s = {NULL, report, ctx};

        return load_buffer(name, text, len, out, &s);
}

static const char *file_kind(mode_t mode)
{
        if (S_ISDIR(mode))
                return "a directory";
        if (S_ISFIFO(mode))
                return "a FIFO";
        if (S_ISSOCK(mode))
                return "a socket";
        if (S_ISCHR(mode) || S_ISBLK(mode))
                return "a device";
        return "not a regular file";
}

/*
 * Open without blocking (a FIFO would wait for a writer forever) and take
 * only regular files; 0, or an SCSIM_ERR_* with diag filled.
 */
static int open_regular(const char *path, int *fd, const struct prof_sink *diag)
{
        struct stat st;

        if ((*fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)) < 0) {
                int err = errno;
                /* a socket cannot be opened at all: name what it is */
                if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
                        prof_sink_say(diag, path, "is %s, not a profile file",
                                      file_kind(st.st_mode));
                else
                        prof_sink_say(diag, path, "cannot open: %s", strerror(err));
                return SCSIM_ERR_IO;
        }
        if (fstat(*fd, &st) != 0) {
                prof_sink_say(diag, path, "cannot open: %s", strerror(errno));
                return SCSIM_ERR_IO;
        }
        if (!S_ISREG(st.st_mode)) {
                prof_sink_say(diag, path, "is %s, not a profile file", file_kind(st.st_mode));
                return SCSIM_ERR_IO;
        }
        return 0;
}

/* Up to cap bytes; *len is how many. */
static int read_all(int fd, char *buf, size_t cap, size_t *len)
{
        *len = 0;
        while (*len < cap) {
                ssize_t n = read(fd, buf + *len, cap - *len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -1;
                if (n == 0)
                        break;
                *len += (size_t)n;
        }
        return 0;
}

int prof_load_file(const char *path, scsim_profile **out, const struct prof_sink *diag)
{
        int fd = -1, rc;
        char *text = NULL;
        size_t len = 0;

        if (out == NULL || path == NULL)
                return SCSIM_ERR_INVALID_ARGUMENT;
        *out = NULL;
        if ((rc = open_regular(path, &fd, diag)) != 0)
                goto fail;
        if ((text = malloc(PROFILE_FILE_MAX + 1)) == NULL) {
                prof_sink_say(diag, path, "out of memory");
                rc = SCSIM_ERR_NO_MEMORY;
                goto fail;
        }
        if (read_all(fd, text, PROFILE_FILE_MAX + 1, &len) != 0) {
                prof_sink_say(diag, path, "cannot read: %s", strerror(errno));
                rc = SCSIM_ERR_IO;
                goto fail;
        }
        if (len > PROFILE_FILE_MAX) {
                prof_sink_say(diag, path, "larger than 1 MiB; not a profile");
                rc = SCSIM_ERR_PROFILE;
                goto fail;
        }
        rc = prof_yaml_load(path, text, len, out, diag->diag, diag->report, diag->ctx);
fail:
        if (fd >= 0)
                close(fd);
        if (text != NULL) {
                OPENSSL_cleanse(text, len); /* the file holds PINs and keys */
                free(text);
        }
        return rc;
}

int scsim_profile_load_file(const char *path, scsim_profile **out, scsim_diag *diag)
{
        const struct prof_sink s = {diag, NULL, NULL};

        return prof_load_file(path, out, &s);
}

int scsim_profile_default(scsim_profile **out)
{
        scsim_diag diag;
        int rc;

        if (out == NULL)
                return SCSIM_ERR_INVALID_ARGUMENT;
        rc = prof_yaml_load("profiles/" PROF_DEFAULT_NAME ".yaml (embedded)",
                            (const char *)prof_embedded_default, prof_embedded_default_len, out,
                            &diag, NULL, NULL);
        /* the build ran the same text through the tests: failing here is our bug */
        return rc == SCSIM_ERR_PROFILE ? SCSIM_ERR_INTERNAL : rc;
}
