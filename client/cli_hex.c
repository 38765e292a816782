/* SPDX-License-Identifier: MIT */
/* The command line's one hex reader: libcrypto's, with spaces and colons between bytes. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "cli.h"

int cli_hex(const char *s, uint8_t *out, size_t cap, size_t *len)
{
        size_t n = strlen(s), got = 0;
        char *norm;
        int ok = -1;

        *len = 0;
        /* libcrypto takes one separator; a colon and a space are the same to us */
        if ((norm = malloc(n + 1)) == NULL)
                return -1;
        for (size_t i = 0; i <= n; i++)
                norm[i] = s[i] == ':' ? ' ' : s[i];
        /* a first pass counts, so a long string is refused before anything is written */
        if (OPENSSL_hexstr2buf_ex(NULL, 0, &got, norm, ' ') != 1 || got == 0 || got > cap)
                goto out;
        if (OPENSSL_hexstr2buf_ex(out, cap, &got, norm, ' ') != 1)
                goto out;
        *len = got;
        ok = 0;
out:
        ERR_clear_error(); /* a refusal is ours to report, not libcrypto's queue */
        free(norm);
        return ok;
}
