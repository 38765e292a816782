/* SPDX-License-Identifier: MIT */
/* Finding a profile by name: the embedded default, $SCSIM_PROFILE_PATH, the installed directory. */
#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <scsim/err.h>
#include <scsim/profile.h>

#include "profile/load.h"
#include "profile/nearest.h"

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
        const char *env = getenv("SCSIM_PROFILE_PATH"), *shipped = scsim_profile_install_dir();
        struct seen seen = {NULL, 0, 0};
        int rc;

        if (fn == NULL)
                return SCSIM_ERR_INVALID_ARGUMENT;
        if ((rc = seen_add(&seen, PROF_DEFAULT_NAME)) == 0)
                rc = fn(ctx, PROF_DEFAULT_NAME, NULL);
        for (const char *d = env; rc == SCSIM_OK && d != NULL && *d != '\0';) {
                const char *end = strchr(d, ':');
                rc = list_dir(d, end != NULL ? (size_t)(end - d) : strlen(d), &seen, fn, ctx);
                d = end != NULL ? end + 1 : NULL;
        }
        if (rc == SCSIM_OK)
                rc = list_dir(shipped, strlen(shipped), &seen, fn, ctx);
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

static int open_with(const char *name_or_path, scsim_profile **out, const struct prof_sink *s)
{
        const char *shipped = scsim_profile_install_dir();
        char path[4096];
        struct nearest near;

        if (out == NULL || name_or_path == NULL)
                return SCSIM_ERR_INVALID_ARGUMENT;
        *out = NULL;
        if (is_path(name_or_path))
                return prof_load_file(name_or_path, out, s);
        if (strcmp(name_or_path, PROF_DEFAULT_NAME) == 0) {
                if (s->diag != NULL)
                        memset(s->diag, 0, sizeof(*s->diag));
                return scsim_profile_default(out);
        }
        /* the installed directory is one directory, whatever characters its path holds */
        if (try_dirs(getenv("SCSIM_PROFILE_PATH"), name_or_path, path, sizeof(path)) ||
            try_dir(shipped, strlen(shipped), name_or_path, path, sizeof(path)))
                return prof_load_file(path, out, s);
        nearest_init(&near, name_or_path, strlen(name_or_path));
        scsim_profile_list(offer_name, &near);
        prof_sink_say(s, "",
                      "no profile named '%s' (looked in $SCSIM_PROFILE_PATH and %s; "
                      "give a path to load a file)%s%s%s",
                      name_or_path, shipped,
                      nearest_result(&near) != NULL ? "; did you mean '" : "",
                      nearest_result(&near) != NULL ? nearest_result(&near) : "",
                      nearest_result(&near) != NULL ? "'?" : "");
        return SCSIM_ERR_IO;
}

int scsim_profile_open(const char *name_or_path, scsim_profile **out, scsim_diag *diag)
{
        const struct prof_sink s = {diag, NULL, NULL};

        return open_with(name_or_path, out, &s);
}

int scsim_profile_open_report(const char *name_or_path, scsim_profile **out, scsim_diag_fn *report,
                              void *ctx)
{
        const struct prof_sink s = {NULL, report, ctx};

        return open_with(name_or_path, out, &s);
}
