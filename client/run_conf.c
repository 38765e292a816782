/* SPDX-License-Identifier: MIT */
/* scsim run's readers: their names, their vpcd ports, and the reader.conf.d that tells pcscd. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run.h"

/* The name a slot's reader entry gets, before pcscd adds " 00 0n". */
static const char *slot_name(const struct run_opts *o, unsigned slot)
{
        if (o->slot[slot].reader != NULL)
                return o->slot[slot].reader;
        return o->reader_name != NULL ? o->reader_name : READER_PREFIX;
}

/*
 * One vpcd entry serves slots 2k and 2k+1, so they share a name. Entries
 * must differ in name (pcscd would list two "NAME 00 00"), so a name used
 * before gets the entry's number: "Virtual PCD 1 00 00" for slot 2.
 */
static int name_entry(struct run_env *e, unsigned k, char *out, size_t cap)
{
        const struct run_opts *o = e->opts;
        const char *name = slot_name(o, 2u * k);
        int n;

        if (2u * k + 1u < o->slots && strcmp(name, slot_name(o, 2u * k + 1u)) != 0) {
                fprintf(stderr,
                        "scsim run: slots %u and %u share one vpcd reader (pcscd names its slots "
                        "NAME 00 00 and NAME 00 01): give them one --reader-name\n",
                        2u * k, 2u * k + 1u);
                return -1;
        }
        n = snprintf(out, cap, "%s", name);
        for (unsigned j = 0; j < k; j++)
                if (strcmp(name, slot_name(o, 2u * j)) == 0) {
                        n = snprintf(out, cap, "%s %u", name, k);
                        break;
                }
        return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/*
 * COUNT consecutive free ports, the first in *port. With fds, they stay open
 * and listening on loopback for scsim-vpcd (reverse mode: no one can take
 * them before it has them); without, they are only checked on every
 * interface, as vpcd binds them itself.
 */
static int pick_ports(unsigned count, uint16_t *port, int *fds)
{
        for (int attempt = 0; attempt < 50; attempt++) {
                struct sockaddr_in sa;
                socklen_t len = sizeof(sa);
                int open_fds[VPCD_SLOTS * RUN_SLOTS_MAX];
                unsigned n = 0, first = 0;
                bool ok = true;

                memset(&sa, 0, sizeof(sa));
                sa.sin_family = AF_INET;
                sa.sin_addr.s_addr = htonl(fds != NULL ? INADDR_LOOPBACK : INADDR_ANY);
                while (ok && n < count) {
                        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                        if (fd < 0)
                                break;
                        open_fds[n] = fd;
                        sa.sin_port = htons((uint16_t)(n == 0 ? 0 : first + n));
                        ok = (n == 0 || first + n <= 65535u) &&
                             bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
                             (fds == NULL || listen(fd, 4) == 0);
                        if (ok && n == 0 && getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
                                first = ntohs(sa.sin_port);
                        n++;
                }
                ok = ok && n == count;
                for (unsigned i = 0; i < n; i++) {
                        if (ok && fds != NULL)
                                fds[i] = open_fds[i];
                        else
                                close(open_fds[i]);
                }
                if (ok) {
                        *port = (uint16_t)first;
                        return 0;
                }
        }
        return -1;
}

int run_layout(struct run_env *e)
{
        char name[READER_NAME_MAX + 16];

        e->entries = (e->opts->slots + 1u) / 2u;
        for (unsigned k = 0; k < e->entries; k++) {
                if (name_entry(e, k, name, sizeof(name)) != 0)
                        return -1;
                for (unsigned j = 0; j < VPCD_SLOTS && 2u * k + j < e->opts->slots; j++)
                        snprintf(e->readers[2u * k + j], sizeof(e->readers[0]), "%s 00 %02X", name,
                                 j);
        }
        if (pick_ports(VPCD_SLOTS * e->entries, &e->port,
                       e->opts->removable ? NULL : e->vpcd_fds) != 0) {
                fprintf(stderr, "scsim run: no %u consecutive free TCP ports found\n",
                        VPCD_SLOTS * e->entries);
                return -1;
        }
        e->vpcd_fd_count = e->opts->removable ? 0 : VPCD_SLOTS * e->entries;
        return 0;
}

/*
 * Debian's vpcd keeps its slots in globals indexed by Lun & 0xffff, so two
 * entries that load the same file share them. pcscd dlopens each path once:
 * entry k > 0 gets its own copy, hence its own globals.
 */
static int copy_driver(const struct run_env *e, unsigned k, char *path, size_t cap)
{
        char name[32];
        struct stat st;
        int in, out, ok = -1;
        off_t off = 0;

        snprintf(name, sizeof(name), "libifdvpcd-%u.so", k);
        if (path_join(path, cap, e->dir, name) != 0)
                return -1;
        in = open(VPCD_LIBPATH, O_RDONLY | O_CLOEXEC);
        out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (in >= 0 && out >= 0 && fstat(in, &st) == 0) {
                while (off < st.st_size && sendfile(out, in, &off, (size_t)(st.st_size - off)) > 0)
                        ;
                ok = off == st.st_size ? 0 : -1;
        }
        if (in >= 0)
                close(in);
        if (out >= 0 && close(out) != 0)
                ok = -1;
        return ok;
}

/* Entry k of reader.conf, appended to text (cap bytes, used so far in *used). */
static int write_entry(const struct run_env *e, unsigned k, char *text, size_t cap, size_t *used)
{
        char name[READER_NAME_MAX + 16], lib[PATH_MAX];
        unsigned port = e->port + VPCD_SLOTS * k;
        int n;

        if (name_entry((struct run_env *)e, k, name, sizeof(name)) != 0)
                return -1;
        if (k == 0)
                snprintf(lib, sizeof(lib), "%s", VPCD_LIBPATH);
        else if (copy_driver(e, k, lib, sizeof(lib)) != 0)
                return -1;
        /* Reverse: vpcd connects to scsim-vpcd. Otherwise vpcd listens (/dev/null:PORT). */
        n = snprintf(text + *used, cap - *used,
                     "# vpcd slots %u and %u on ports %u and %u\n"
                     "FRIENDLYNAME \"%s\"\n"
                     "DEVICENAME   %s:%u\n"
                     "LIBPATH      %s\n"
                     "CHANNELID    %u\n\n",
                     2u * k, 2u * k + 1u, port, port + 1u, name,
                     e->opts->removable ? "/dev/null" : "127.0.0.1", port, lib, port);
        if (n < 0 || (size_t)n >= cap - *used)
                return -1;
        *used += (size_t)n;
        return 0;
}

int run_write_conf(struct run_env *e)
{
        static char text[RUN_SLOTS_MAX * (PATH_MAX + 256)];
        size_t used;

        if (access(VPCD_LIBPATH, R_OK) != 0) {
                fprintf(stderr, "scsim run: vpcd, the reader driver scsim-vpcd needs, is not "
                                "installed (" VPCD_LIBPATH "): apt-get install vsmartcard-vpcd\n");
                return -1;
        }
        /* One file, so that pcscd lists the readers in slot order. */
        used = (size_t)snprintf(text, sizeof(text), "# written by scsim run\n\n");
        for (unsigned k = 0; k < e->entries; k++)
                if (write_entry(e, k, text, sizeof(text), &used) != 0) {
                        fprintf(stderr, "scsim run: cannot write reader.conf.d in %s: %s\n", e->dir,
                                strerror(errno));
                        return -1;
                }
        if (write_file(e->conf, "scsim", text) != 0)
                return -1;
        /* --wait finds the readers to wait for here. */
        used = 0;
        for (unsigned i = 0; i < e->opts->slots; i++)
                used += (size_t)snprintf(text + used, sizeof(text) - used, "%s\n", e->readers[i]);
        return write_file(e->dir, READERS_FILE, text);
}
