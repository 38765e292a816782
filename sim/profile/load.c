/* SPDX-License-Identifier: MIT */
/* Where profiles come from: files, buffers, the embedded default, and name resolution. */
#include <dirent.h>
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
#include "profile/nearest.h"
#include "profile/yaml.h"

#define PROFILE_FILE_MAX (1024 * 1024) /* a profile is a few KiB; refuse anything absurd */
#define DEFAULT_NAME     "iso7816-chv"

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void
diag_set(scsim_diag *diag, const char *file, const char *fmt, ...)
{
        va_list ap;

        if (diag == NULL)
                return;
        memset(diag, 0, sizeof(*diag));
        diag_set_file(diag, file);
        va_start(ap, fmt);
        vsnprintf(diag->message, sizeof(diag->message), fmt, ap);
        va_end(ap);
}

int scsim_profile_load_buffer(const char *name, const char *text, size_t len, scsim_profile **out,
                              scsim_diag *diag)
{
        if (out == NULL)
                return SCSIM_ERR_INVALID_ARGUMENT;
        *out = NULL;
        if (text == NULL && len != 0)
                return SCSIM_ERR_INVALID_ARGUMENT;
        return prof_yaml_load(name != NULL ? name : "<buffer>", text, len, out, diag);
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
static int open_regular(const char *path, int *fd, scsim_diag *diag)
{
        struct stat st;

        if ((*fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)) < 0) {
                int err = errno;
                /* a socket cannot be opened at all: name what it is */
                if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
                        diag_set(diag, path, "is %s, not a profile file", file_kind(st.st_mode));
                else
                        diag_set(diag, path, "cannot open: %s", strerror(err));
                return SCSIM_ERR_IO;
        }
        if (fstat(*fd, &st) != 0) {
                diag_set(diag, path, "cannot open: %s", strerror(errno));
                return SCSIM_ERR_IO;
        }
        if (!S_ISREG(st.st_mode)) {
                diag_set(diag, path, "is %s, not a profile file", file_kind(st.st_mode));
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

int scsim_profile_load_file(const char *path, scsim_profile **out, scsim_diag *diag)
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
                rc = SCSIM_ERR_NO_MEMORY;
                goto fail;
        }
        if (read_all(fd, text, PROFILE_FILE_MAX + 1, &len) != 0) {
                diag_set(diag, path, "cannot read: %s", strerror(errno));
                rc = SCSIM_ERR_IO;
                goto fail;
        }
        if (len > PROFILE_FILE_MAX) {
                diag_set(diag, path, "larger than 1 MiB; not a profile");
                rc = SCSIM_ERR_PROFILE;
                goto fail;
        }
        rc = prof_yaml_load(path, text, len, out, diag);
fail:
        if (fd >= 0)
                close(fd);
        if (text != NULL) {
                OPENSSL_cleanse(text, len); /* the file holds PINs and keys */
                free(text);
        }
        return rc;
}

int scsim_profile_default(scsim_profile **out)
{
        scsim_diag diag;
        int rc;

        if (out == NULL)
                return SCSIM_ERR_INVALID_ARGUMENT;
        rc = prof_yaml_load("profiles/" DEFAULT_NAME ".yaml (embedded)",
                            (const char *)prof_embedded_default, prof_embedded_default_len, out,
                            &diag);
        /* the build ran the same text through the tests: failing here is our bug */
        return rc == SCSIM_ERR_PROFILE ? SCSIM_ERR_INTERNAL : rc;
}

static bool is_path(const char *s)
{
        size_t n = strlen(s);

        return strchr(s, '/') != NULL || (n > 5 && strcmp(s + n - 5, ".yaml") == 0) ||
               (n > 4 && strcmp(s + n - 4, ".yml") == 0);
}

static bool is_file(const char *path)
{
        struct stat st;

        return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Try DIR/NAME.yaml for each directory of a colon-separated list; 1 when found. */
static int try_dirs(const char *dirs, const char *name, char *path, size_t cap)
{
        const char *d = dirs;

        while (d != NULL && *d != '\0') {
                const char *end = strchr(d, ':');
                size_t n = end != NULL ? (size_t)(end - d) : strlen(d);
                if (n > 0) {
                        int w = snprintf(path, cap, "%.*s/%s.yaml", (int)n, d, name);
                        if (w > 0 && (size_t)w < cap && is_file(path))
                                return 1;
                }
                d = end != NULL ? end + 1 : NULL;
        }
        return 0;
}

const char *scsim_profile_install_dir(void)
{
        return SCSIM_PROFILE_DIR;
}

/* Names already listed: a name found in two directories is the first one's. */
struct seen {
        char **names;
        size_t n, cap;
};

static int seen_add(struct seen *s, const char *name)
{
        for (size_t i = 0; i < s->n; i++)
                if (strcmp(s->names[i], name) == 0)
                        return 1;
        if (s->n == s->cap) {
                size_t cap = s->cap != 0 ? s->cap * 2 : 16;
                char **names = realloc(s->names, cap * sizeof(*names));
                if (names == NULL)
                        return -1;
                s->names = names;
                s->cap = cap;
        }
        if ((s->names[s->n] = strdup(name)) == NULL)
                return -1;
        s->n++;
        return 0;
}

/* The NAME.yaml files of one directory that scsim_profile_open would find by NAME. */
static int list_dir(const char *dir, size_t dlen, struct seen *seen, scsim_profile_list_fn *fn,
                    void *ctx)
{
        struct dirent **ents = NULL;
        char d[4096], path[4096 + 256], name[256];
        int n, rc = SCSIM_OK;

        if (dlen == 0 || dlen >= sizeof(d))
                return SCSIM_OK;
        snprintf(d, sizeof(d), "%.*s", (int)dlen, dir);
        if ((n = scandir(d, &ents, NULL, alphasort)) < 0)
                return SCSIM_OK; /* a directory that is not there holds no profile */
        for (int i = 0; i < n; i++) {
                const char *file = ents[i]->d_name;
                size_t len = strlen(file);
                int w;
                if (rc == SCSIM_OK && len > 5 && strcmp(file + len - 5, ".yaml") == 0) {
                        snprintf(name, sizeof(name), "%.*s", (int)(len - 5), file);
                        w = snprintf(path, sizeof(path), "%s/%s", d, file);
                        if (!is_path(name) && w > 0 && (size_t)w < sizeof(path) && is_file(path)) {
                                int added = seen_add(seen, name);
                                if (added < 0)
                                        rc = SCSIM_ERR_NO_MEMORY;
                                else if (added == 0)
                                        rc = fn(ctx, name, path);
                        }
                }
                free(ents[i]);
        }
        free(ents);
        return rc;
}

int scsim_profile_list(scsim_profile_list_fn *fn, void *ctx)
{
        const char *env = getenv("SCSIM_PROFILE_PATH");
        struct seen seen = {NULL, 0, 0};
        int rc;

        if (fn == NULL)
                return SCSIM_ERR_INVALID_ARGUMENT;
        if ((rc = seen_add(&seen, DEFAULT_NAME)) == 0)
                rc = fn(ctx, DEFAULT_NAME, NULL);
        for (const char *d = env; rc == SCSIM_OK && d != NULL && *d != '\0';) {
                const char *end = strchr(d, ':');
                rc = list_dir(d, end != NULL ? (size_t)(end - d) : strlen(d), &seen, fn, ctx);
                d = end != NULL ? end + 1 : NULL;
        }
        if (rc == SCSIM_OK)
                rc = list_dir(SCSIM_PROFILE_DIR, strlen(SCSIM_PROFILE_DIR), &seen, fn, ctx);
        for (size_t i = 0; i < seen.n; i++)
                free(seen.names[i]);
        free(seen.names);
        return rc;
}

static int offer_name(void *ctx, const char *name, const char *path)
{
        (void)path;
        nearest_offer(ctx, name);
        return 0;
}

int scsim_profile_open(const char *name_or_path, scsim_profile **out, scsim_diag *diag)
{
        char path[4096];
        struct nearest near;

        if (out == NULL || name_or_path == NULL)
                return SCSIM_ERR_INVALID_ARGUMENT;
        *out = NULL;
        if (is_path(name_or_path))
                return scsim_profile_load_file(name_or_path, out, diag);
        if (strcmp(name_or_path, DEFAULT_NAME) == 0) {
                if (diag != NULL)
                        memset(diag, 0, sizeof(*diag));
                return scsim_profile_default(out);
        }
        if (try_dirs(getenv("SCSIM_PROFILE_PATH"), name_or_path, path, sizeof(path)) ||
            try_dirs(SCSIM_PROFILE_DIR, name_or_path, path, sizeof(path)))
                return scsim_profile_load_file(path, out, diag);
        nearest_init(&near, name_or_path, strlen(name_or_path));
        scsim_profile_list(offer_name, &near);
        diag_set(diag, "",
                 "no profile named '%s' (looked in $SCSIM_PROFILE_PATH and %s; "
                 "give a path to load a file)%s%s%s",
                 name_or_path, SCSIM_PROFILE_DIR,
                 nearest_result(&near) != NULL ? "; did you mean '" : "",
                 nearest_result(&near) != NULL ? nearest_result(&near) : "",
                 nearest_result(&near) != NULL ? "'?" : "");
        return SCSIM_ERR_IO;
}
