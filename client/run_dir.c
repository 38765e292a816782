/* SPDX-License-Identifier: MIT */
/* scsim run's directory: the private run dir, its files, free ports, logs shown on failure. */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run.h"

int path_join(char *out, size_t cap, const char *dir, const char *name)
{
        int n = snprintf(out, cap, "%s/%s", dir, name);

        return (n < 0 || (size_t)n >= cap) ? -1 : 0;
}

void print_tail(const char *dir, const char *name, unsigned lines)
{
        char path[PATH_MAX];
        char *buf = NULL;
        FILE *f;
        long size;
        size_t got, i;
        unsigned seen = 0;

        if (path_join(path, sizeof(path), dir, name) != 0 || (f = fopen(path, "r")) == NULL)
                return;
        /* The tail of a log is in its last 16 KiB. */
        if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) > 16384)
                (void)fseek(f, size - 16384, SEEK_SET);
        else
                rewind(f);
        buf = calloc(1, 16385);
        if (buf != NULL) {
                got = fread(buf, 1, 16384, f);
                i = got;
                if (i > 0 && buf[i - 1] == '\n')
                        i--;
                while (i > 0 && !(buf[i - 1] == '\n' && ++seen == lines))
                        i--;
                fprintf(stderr, "--- last lines of %s ---\n%s%s--- end of %s ---\n", name, buf + i,
                        (got > 0 && buf[got - 1] != '\n') ? "\n" : "", name);
        }
        free(buf);
        fclose(f);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)flag;
        (void)ftw;
        if (remove(path) != 0 && errno != ENOENT)
                fprintf(stderr, "scsim run: cannot remove %s: %s\n", path, strerror(errno));
        return 0;
}

void remove_tree(const char *dir)
{
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int write_file(const char *dir, const char *name, const char *text)
{
        char path[PATH_MAX];
        FILE *f;
        int ok = -1;

        if (path_join(path, sizeof(path), dir, name) != 0)
                return -1;
        f = fopen(path, "w");
        if (f == NULL)
                return -1;
        if (fputs(text, f) >= 0)
                ok = 0;
        if (fclose(f) != 0)
                ok = -1;
        return ok;
}

int make_dir(struct run_env *e)
{
        const char *tmp = getenv("TMPDIR");
        char control[PATH_MAX];

        if (tmp == NULL || tmp[0] == '\0')
                tmp = "/tmp";
        if (snprintf(e->dir, sizeof(e->dir), "%s/scsim-run.XXXXXX", tmp) >= (int)sizeof(e->dir) ||
            mkdtemp(e->dir) == NULL) {
                fprintf(stderr, "scsim run: cannot create a directory in %s: %s\n", tmp,
                        strerror(errno));
                return -1;
        }
        e->dir_made = true;
        /* Clients of any user must reach the socket inside. */
        if (chmod(e->dir, 0755) != 0 || path_join(e->run, sizeof(e->run), e->dir, "run") != 0 ||
            path_join(e->conf, sizeof(e->conf), e->dir, "reader.conf.d") != 0 ||
            path_join(e->sock, sizeof(e->sock), e->run, "pcscd.comm") != 0 ||
            path_join(control, sizeof(control), e->dir, CONTROL_DIR) != 0 ||
            mkdir(e->run, 0755) != 0 || mkdir(e->conf, 0755) != 0 || mkdir(control, 0700) != 0) {
                fprintf(stderr, "scsim run: cannot prepare %s: %s\n", e->dir, strerror(errno));
                return -1;
        }
        return 0;
}

int read_number_file(const char *dir, const char *name, long *out)
{
        char path[PATH_MAX];
        FILE *f;
        int ok = -1;

        if (path_join(path, sizeof(path), dir, name) != 0 || (f = fopen(path, "r")) == NULL)
                return -1;
        if (fscanf(f, "%ld", out) == 1 && *out > 0)
                ok = 0;
        fclose(f);
        return ok;
}

const char *dir_argument(const struct run_opts *o)
{
        const char *dir = o->dir != NULL ? o->dir : getenv("SCSIM_RUN_DIR");

        if (dir == NULL || dir[0] == '\0')
                fprintf(stderr, "scsim run: no directory given and SCSIM_RUN_DIR is not set\n");
        return (dir != NULL && dir[0] != '\0') ? dir : NULL;
}
