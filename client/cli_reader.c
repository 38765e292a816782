/* SPDX-License-Identifier: MIT */
/* Which reader -r means (an index, a name or part of one) and which readers pcscd has. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void add(void *arg, const char *name, int card_present)
{
        struct cli_readers *r = arg;

        if (r->n == CLI_READERS_MAX) {
                r->more = 1;
                return;
        }
        if (strlen(name) >= sizeof(r->name[0]))
                return;
        memcpy(r->name[r->n], name, strlen(name) + 1);
        r->card[r->n] = card_present;
        r->n++;
}

scsim_hresult cli_readers_list(struct cli_readers *r)
{
        memset(r, 0, sizeof(*r));
        return scsim_scv_list_readers(add, r);
}

static int contains_nocase(const char *hay, const char *needle)
{
        size_t n = strlen(needle);

        for (; strlen(hay) >= n; hay++) {
                size_t i = 0;
                while (i < n && tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
                        i++;
                if (i == n)
                        return 1;
        }
        return 0;
}

size_t cli_readers_match(const struct cli_readers *r, const char *spec, size_t *idx, size_t cap)
{
        size_t found = 0;
        unsigned long k;
        char *end;

        if (spec[0] == '\0' || cap == 0)
                return 0;
        /* a number is an index, as opensc-tool's -r takes it */
        if (isdigit((unsigned char)spec[0])) {
                errno = 0;
                k = strtoul(spec, &end, 10);
                if (errno == 0 && *end == '\0') {
                        if (k >= r->n)
                                return 0;
                        idx[0] = (size_t)k;
                        return 1;
                }
        }
        /* a whole name wins over the names it is part of ("... 00 0" vs "... 00 01") */
        for (size_t i = 0; i < r->n; i++) {
                if (strcmp(r->name[i], spec) == 0) {
                        idx[0] = i;
                        return 1;
                }
        }
        /* else any part of a name, ignoring case, as yubico-piv-tool's -r takes it */
        for (size_t i = 0; i < r->n; i++) {
                if (contains_nocase(r->name[i], spec)) {
                        if (found < cap)
                                idx[found] = i;
                        found++;
                }
        }
        return found;
}
