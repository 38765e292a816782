/* SPDX-License-Identifier: MIT */
/* fuzz_apdu's state file: a private directory, commits failing where the input says, a reload. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attached.h"
#include "fail_alloc.h"
#include "scratch.h"

static char dir[PATH_MAX];

static void empty_dir(void)
{
        DIR *d = opendir(dir);
        struct dirent *e;

        if (d == NULL)
                return;
        while ((e = readdir(d)) != NULL)
                if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
                        (void)unlinkat(dirfd(d), e->d_name, 0);
        closedir(d);
}

static void remove_dir(void)
{
        empty_dir();
        (void)rmdir(dir);
}

/* The process's directory: made once (a new name, mode 0700), removed at exit. */
static int make_dir(void)
{
        if (dir[0] != '\0')
                return 0;
        if (fuzz_scratch_dir("apdu", dir, sizeof(dir)) != 0) {
                perror("fuzz_apdu: cannot make a directory for state files");
                abort();
        }
        atexit(remove_dir);
        return 0;
}

static int fault(void *ctx, enum scsim_state_stage stage)
{
        struct attached *a = ctx;

        if (a->stage == 0 || (unsigned)stage != a->stage)
                return 0;
        if (a->pass > 0) {
                a->pass--;
                return 0;
        }
        a->stage = 0;
        a->fired++;
        return 1;
}

static void path_of(char *out, size_t size, const char *name)
{
        if (snprintf(out, size, "%s/%s", dir, name) >= (int)size)
                abort();
}

int attached_open(struct attached *a, scsim_card *card)
{
        char path[PATH_MAX];
        scsim_diag diag;
        int rc;

        memset(a, 0, sizeof(*a));
        memset(&diag, 0, sizeof(diag));
        make_dir();
        empty_dir();
        path_of(path, sizeof(path), "card.state");
        fail_alloc_hold(1);
        rc = scsim_card_attach_state(card, path, &diag);
        if (rc == SCSIM_OK)
                rc = scsim_card_set_fault_hook(card, fault, a);
        fail_alloc_hold(0);
        if (rc != SCSIM_OK) {
                fprintf(stderr, "fuzz_apdu: cannot attach %s: %s\n", path, diag.message);
                return -1;
        }
        return 0;
}

void attached_arm(struct attached *a, uint8_t b)
{
        a->stage = 1u + (b & 3u);
        a->pass = (b >> 2) & 7u;
}

/* Copy the state file's bytes to a new file: a second card cannot share the first's lock. */
static int copy_file(const char *from, const char *to)
{
        static uint8_t buf[1 << 16];
        int in = open(from, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), out;
        ssize_t n = 0;

        (void)unlink(to);
        out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (in < 0 || out < 0)
                goto done;
        while ((n = read(in, buf, sizeof(buf))) > 0)
                if (write(out, buf, (size_t)n) != n) {
                        n = -1;
                        break;
                }
done:
        if (in >= 0)
                close(in);
        if (out >= 0)
                close(out);
        return in >= 0 && out >= 0 && n == 0 ? 0 : -1;
}

scsim_card *attached_reload(const scsim_profile *profile)
{
        char from[PATH_MAX], to[PATH_MAX];
        scsim_card *card;
        scsim_diag diag;

        memset(&diag, 0, sizeof(diag));
        path_of(from, sizeof(from), "card.state");
        path_of(to, sizeof(to), "reload.state");
        fail_alloc_hold(1);
        if (copy_file(from, to) != 0 || (card = scsim_card_new(profile)) == NULL) {
                perror("fuzz_apdu: cannot copy the state file");
                abort();
        }
        /* whatever the commits and their failures did, the file loads */
        if (scsim_card_attach_state(card, to, &diag) != SCSIM_OK) {
                fprintf(stderr, "fuzz_apdu: invariant broken: the state file does not load: %s\n",
                        diag.message);
                abort();
        }
        fail_alloc_hold(0);
        return card;
}
