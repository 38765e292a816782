/* SPDX-License-Identifier: MIT */
/* Where profiles come from: files, buffers, the embedded default, and name resolution. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include <scsim/err.h>
#include <scsim/profile.h>

#include "profile/model.h"
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
        snprintf(diag->file, sizeof(diag->file), "%s", file != NULL ? file : "");
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

int scsim_profile_load_file(const char *path, scsim_profile **out, scsim_diag *diag)
{
        FILE *f = NULL;
        char *text = NULL;
        size_t len = 0;
        int rc = SCSIM_ERR_IO;

        if (out == NULL || path == NULL)
                return SCSIM_ERR_INVALID_ARGUMENT;
        *out = NULL;
        if ((f = fopen(path, "rb")) == NULL) {
                diag_set(diag, path, "cannot open: %s", strerror(errno));
                goto fail;
        }
        if ((text = malloc(PROFILE_FILE_MAX + 1)) == NULL) {
                rc = SCSIM_ERR_NO_MEMORY;
                goto fail;
        }
        len = fread(text, 1, PROFILE_FILE_MAX + 1, f);
        if (ferror(f)) {
                diag_set(diag, path, "cannot read: %s", strerror(errno));
                goto fail;
        }
        if (len > PROFILE_FILE_MAX) {
                diag_set(diag, path, "larger than 1 MiB; not a profile");
                rc = SCSIM_ERR_PROFILE;
                goto fail;
        }
        rc = prof_yaml_load(path, text, len, out, diag);
fail:
        if (f != NULL)
                fclose(f);
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

/* Try DIR/NAME.yaml, DIR being the first n bytes of dir; 1 when found. */
static int try_dir(const char *dir, size_t n, const char *name, char *path, size_t cap)
{
        int w;

        if (n == 0 || n > INT_MAX)
                return 0;
        w = snprintf(path, cap, "%.*s/%s.yaml", (int)n, dir, name);
        return w > 0 && (size_t)w < cap && is_file(path);
}

/* Try DIR/NAME.yaml for each directory of a colon-separated list; 1 when found. */
static int try_dirs(const char *dirs, const char *name, char *path, size_t cap)
{
        const char *d = dirs;

        while (d != NULL && *d != '\0') {
                const char *end = strchr(d, ':');
                size_t n = end != NULL ? (size_t)(end - d) : strlen(d);
                if (try_dir(d, n, name, path, cap))
                        return 1;
                d = end != NULL ? end + 1 : NULL;
        }
        return 0;
}

int scsim_profile_open(const char *name_or_path, scsim_profile **out, scsim_diag *diag)
{
        const char *shipped = scsim_profile_install_dir();
        char path[4096];

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
        /* the installed directory is one directory, whatever characters its path holds */
        if (try_dirs(getenv("SCSIM_PROFILE_PATH"), name_or_path, path, sizeof(path)) ||
            try_dir(shipped, strlen(shipped), name_or_path, path, sizeof(path)))
                return scsim_profile_load_file(path, out, diag);
        diag_set(diag, "",
                 "no profile named '%s' (looked in $SCSIM_PROFILE_PATH and %s; "
                 "give a path to load a file)",
                 name_or_path, shipped);
        return SCSIM_ERR_IO;
}
