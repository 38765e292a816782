/* SPDX-License-Identifier: MIT */
/* Profiles by name for the verbs: where names come from, and the nearest one to a typo. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <scsim/err.h>
#include <scsim/profile.h>

#include "cli.h"
#include "cli_profile.h"
#include "commands.h"

#define NAMES_MAX 256
#define NAME_LEN  64

struct seen {
        size_t n;
        char name[NAMES_MAX][NAME_LEN];
};

static int seen_add(struct seen *s, const char *name)
{
        for (size_t i = 0; i < s->n; i++)
                if (strcmp(s->name[i], name) == 0)
                        return 0;
        if (s->n == NAMES_MAX)
                return 0;
        snprintf(s->name[s->n++], NAME_LEN, "%s", name);
        return 1;
}

/* NAME.yaml files of one directory, in name order, not hidden by an earlier directory. */
static int each_in_dir(const char *dir, const char *source, struct seen *s,
                       int (*fn)(void *, const char *, const char *, const char *), void *arg)
{
        struct dirent **ents = NULL;
        int n = scandir(dir, &ents, NULL, alphasort), rc = 0;

        for (int i = 0; i < n; i++) {
                const char *fn_name = ents[i]->d_name;
                size_t len = strlen(fn_name);
                char name[NAME_LEN], path[4096];

                if (rc == 0 && len > 5 && len - 5 < NAME_LEN &&
                    strcmp(fn_name + len - 5, ".yaml") == 0) {
                        snprintf(name, sizeof(name), "%.*s", (int)(len - 5), fn_name);
                        if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, fn_name) <
                                sizeof(path) &&
                            seen_add(s, name))
                                rc = fn(arg, name, path, source);
                }
                free(ents[i]);
        }
        free(ents);
        return rc;
}

int cli_profile_each(int (*fn)(void *arg, const char *name, const char *path, const char *source),
                     void *arg)
{
        struct seen s;
        const char *env = getenv("SCSIM_PROFILE_PATH");
        scsim_profile *p = NULL;
        int rc;

        s.n = 0;
        if (scsim_profile_default(&p) == SCSIM_OK) {
                seen_add(&s, scsim_profile_name(p));
                rc = fn(arg, scsim_profile_name(p), NULL, "embedded");
                scsim_profile_free(&p);
                if (rc != 0)
                        return rc;
        }
        for (const char *d = env; d != NULL && *d != '\0';) {
                const char *end = strchr(d, ':');
                size_t n = end != NULL ? (size_t)(end - d) : strlen(d);
                char dir[4096];
                if (n > 0 && n < sizeof(dir)) {
                        snprintf(dir, sizeof(dir), "%.*s", (int)n, d);
                        if ((rc = each_in_dir(dir, "SCSIM_PROFILE_PATH", &s, fn, arg)) != 0)
                                return rc;
                }
                d = end != NULL ? end + 1 : NULL;
        }
        return each_in_dir(scsim_profile_install_dir(), "installed", &s, fn, arg);
}

struct names {
        size_t n;
        char name[NAMES_MAX][NAME_LEN];
        const char *ptr[NAMES_MAX];
};

static int collect(void *arg, const char *name, const char *path, const char *source)
{
        struct names *ns = arg;

        (void)path;
        (void)source;
        if (ns->n < NAMES_MAX) {
                snprintf(ns->name[ns->n], NAME_LEN, "%s", name);
                ns->ptr[ns->n] = ns->name[ns->n];
                ns->n++;
        }
        return 0;
}

int cli_profile_open(const char *verb, const char *name, scsim_profile **out)
{
        struct names ns;
        scsim_diag diag;
        char line[1024];
        const char *near;
        int rc;

        memset(&diag, 0, sizeof(diag));
        rc = scsim_profile_open(name, out, &diag);
        if (rc == SCSIM_OK)
                return EXIT_OK;
        scsim_diag_format(&diag, line, sizeof(line));
        fprintf(stderr, "scsim %s: %s\n", verb, line);
        if (rc != SCSIM_ERR_PROFILE && rc != SCSIM_ERR_IO)
                return EXIT_RUNTIME;
        /* a name the search did not find (a file that failed has its path in diag.file) */
        if (rc == SCSIM_ERR_IO && diag.file[0] == '\0') {
                ns.n = 0;
                cli_profile_each(collect, &ns);
                near = cli_nearest(name, ns.ptr, ns.n);
                if (near != NULL)
                        fprintf(stderr,
                                "scsim %s: did you mean '%s'? (`scsim profile list` "
                                "shows every profile)\n",
                                verb, near);
                else
                        fprintf(stderr,
                                "scsim %s: `scsim profile list` shows the profiles "
                                "there are\n",
                                verb);
        }
        return EXIT_USAGE;
}
