/* SPDX-License-Identifier: MIT */
/* Which reader -r means (an index, a name or part of one) and which readers pcscd has. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <winscard.h>
#else
#include <PCSC/winscard.h>
#include <PCSC/pcsclite.h>
#endif

#include "cli.h"

static scsim_hresult hr_of(LONG rc)
{
        return scsim_hresult_from_pcsc((int64_t)rc);
}

/* Copy the multi-string list into r, then ask each reader whether it holds a card. */
static scsim_hresult fill(SCARDCONTEXT ctx, const char *list, struct cli_readers *r)
{
        SCARD_READERSTATE st[CLI_READERS_MAX];
        LONG rc;

        for (const char *p = list; *p != '\0'; p += strlen(p) + 1) {
                if (r->n == CLI_READERS_MAX) {
                        r->more = 1;
                        break;
                }
                if (strlen(p) >= sizeof(r->name[0]))
                        continue;
                memcpy(r->name[r->n], p, strlen(p) + 1);
                r->n++;
        }
        memset(st, 0, sizeof(st));
        for (size_t i = 0; i < r->n; i++) {
                st[i].szReader = r->name[i];
                st[i].dwCurrentState = SCARD_STATE_UNAWARE;
        }
        rc = SCardGetStatusChange(ctx, 0, st, (DWORD)r->n);
        if (rc != SCARD_S_SUCCESS && rc != SCARD_E_TIMEOUT)
                return hr_of(rc);
        for (size_t i = 0; i < r->n; i++)
                r->card[i] = (st[i].dwEventState & SCARD_STATE_PRESENT) != 0 &&
                             (st[i].dwEventState & SCARD_STATE_MUTE) == 0;
        return SCSIM_S_OK;
}

scsim_hresult cli_readers_list(struct cli_readers *r)
{
        SCARDCONTEXT ctx;
        DWORD len = 0;
        char *list = NULL;
        LONG rc;
        scsim_hresult res;

        memset(r, 0, sizeof(*r));
        rc = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
        if (rc != SCARD_S_SUCCESS)
                return hr_of(rc);
        rc = SCardListReaders(ctx, NULL, NULL, &len);
        if (rc == SCARD_S_SUCCESS && len <= 1)
                rc = SCARD_E_NO_READERS_AVAILABLE;
        if (rc != SCARD_S_SUCCESS) {
                res = hr_of(rc);
                goto out;
        }
        res = SCSIM_E_OUTOFMEMORY;
        if ((list = calloc(1, (size_t)len + 1)) == NULL)
                goto out;
        /* a reader may come or go between the two calls: then the list is shorter or refused */
        if ((rc = SCardListReaders(ctx, NULL, list, &len)) != SCARD_S_SUCCESS) {
                res = hr_of(rc);
                goto out;
        }
        res = fill(ctx, list, r);
out:
        free(list);
        SCardReleaseContext(ctx);
        return res;
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
