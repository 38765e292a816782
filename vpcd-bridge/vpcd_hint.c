/* SPDX-License-Identifier: MIT */
/* What to tell a user whose vpcd is not there: nothing listens, or pcscd or vpcd is not installed.
 */
#include "vpcd_hint.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* TCP_LISTEN in the "st" column of /proc/net/tcp. */
#define PROC_TCP_LISTEN 0x0Au

static bool listed_as_listening(const char *table, unsigned port)
{
        FILE *f = fopen(table, "r");
        char line[512];
        bool found = false;

        if (f == NULL)
                return false;
        /* "  sl  local_address rem_address   st ...": local is HEXADDR:HEXPORT. */
        while (!found && fgets(line, sizeof(line), f) != NULL) {
                unsigned local_port, state;
                char local[64], remote[64];
                const char *colon;
                if (sscanf(line, " %*u: %63s %63s %x", local, remote, &state) != 3)
                        continue;
                colon = strrchr(local, ':');
                if (colon == NULL || sscanf(colon + 1, "%x", &local_port) != 1)
                        continue;
                found = state == PROC_TCP_LISTEN && local_port == port;
        }
        fclose(f);
        return found;
}

bool vpcd_port_listened(unsigned port)
{
        return listed_as_listening("/proc/net/tcp", port) ||
               listed_as_listening("/proc/net/tcp6", port);
}

static bool on_path(const char *name)
{
        const char *path = getenv("PATH");
        char buf[4096];

        if (path == NULL || path[0] == '\0')
                path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        while (*path != '\0') {
                size_t n = strcspn(path, ":");
                if (n > 0 &&
                    (size_t)snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, path, name) <
                        sizeof(buf) &&
                    access(buf, X_OK) == 0)
                        return true;
                path += n;
                if (*path == ':')
                        path++;
        }
        /* pcscd lives in /usr/sbin, which a user's PATH may leave out. */
        return access("/usr/sbin/pcscd", X_OK) == 0 && strcmp(name, "pcscd") == 0;
}

void vpcd_hint_if_absent(const struct vpcd_addr *addr, FILE *out)
{
        char where[80];
        bool pcscd = on_path("pcscd"), vpcd = access(VPCD_DRIVER_PATH, R_OK) == 0;

        if (!vpcd_addr_is_loopback(addr) || vpcd_port_listened(vpcd_addr_port(addr)))
                return;
        fprintf(out, "scsim-vpcd: waiting for vpcd at %s: nothing listens there yet. ",
                vpcd_addr_format(addr, where, sizeof(where)));
        if (!pcscd || !vpcd)
                fprintf(out,
                        "vpcd is vsmartcard's reader driver inside pcscd: install %s%s%s "
                        "(apt-get install pcscd vsmartcard-vpcd), then start pcscd",
                        !pcscd ? "pcscd" : "", !pcscd && !vpcd ? " and " : "",
                        !vpcd ? "vsmartcard-vpcd" : "");
        else
                fprintf(out, "Start pcscd (systemctl start pcscd, or pcscd -f), whose vpcd "
                             "driver listens on port 35963 and up");
        fprintf(out, "; or let `scsim run` start a private pcscd with the cards inserted.\n");
        fflush(out);
}
