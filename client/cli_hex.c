/* SPDX-License-Identifier: MIT */
/* The command line's one hex reader: libcrypto's digits, spaces and colons between bytes. */
#include <string.h>

#include "cli.h"
#include "cli_platform.h"

/*
 * Walk s by the rule (scsim_hex_decode's): spaces anywhere between or around
 * bytes, colons only between two bytes. Write the bytes to out when it is not
 * NULL. The count, or -1.
 */
static long walk(const char *s, uint8_t *out, size_t cap)
{
        size_t n = 0;
        int colon = 0;

        for (size_t i = 0; s[i] != '\0';) {
                int hi, lo;
                if (s[i] == ' ' || (s[i] == ':' && n > 0)) {
                        colon = colon || s[i] == ':';
                        i++;
                        continue;
                }
                /* a colon first, a separator or the end inside a byte: no digit, refused here */
                hi = plat_hexchar2int((unsigned char)s[i]);
                lo = hi < 0 ? -1 : plat_hexchar2int((unsigned char)s[i + 1]);
                if (hi < 0 || lo < 0 || n == cap)
                        return -1;
                if (out != NULL)
                        out[n] = (uint8_t)(hi << 4 | lo);
                n++;
                i += 2;
                colon = 0;
        }
        return colon ? -1 : (long)n; /* nor a colon last */
}

int cli_hex(const char *s, uint8_t *out, size_t cap, size_t *len)
{
        long n;

        *len = 0;
        /* the whole string is checked before a byte is written */
        if ((n = walk(s, NULL, cap)) <= 0)
                return -1;
        walk(s, out, cap);
        *len = (size_t)n;
        return 0;
}
