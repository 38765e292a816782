/* SPDX-License-Identifier: MIT */
/* scsim_hex_decode: hex digits through libcrypto, with one rule for separators. */
#include <stdbool.h>

#include <openssl/crypto.h>

#include <scsim/err.h>
#include <scsim/hex.h>

/*
 * One pass validates and counts, a second writes: out stays untouched
 * unless the whole text is good and fits.
 */
static int hex_walk(const char *text, size_t len, uint8_t *out, size_t *count, size_t *bad_at)
{
        size_t n = 0, i = 0, colon_at = 0;
        bool colon = false;

        while (i < len) {
                int hi, lo;
                if (text[i] == ' ') {
                        i++;
                        continue;
                }
                if (text[i] == ':') {
                        /* a colon stands between two bytes: never first */
                        if (n == 0)
                                goto bad;
                        colon = true;
                        colon_at = i++;
                        continue;
                }
                hi = OPENSSL_hexchar2int((unsigned char)text[i]);
                if (hi < 0)
                        goto bad;
                if (i + 1 >= len) {
                        i = len;
                        goto bad;
                }
                if ((lo = OPENSSL_hexchar2int((unsigned char)text[i + 1])) < 0) {
                        i++;
                        goto bad;
                }
                if (out != NULL)
                        out[n] = (uint8_t)(hi << 4 | lo);
                n++;
                i += 2;
                colon = false;
        }
        if (colon) { /* nor last */
                i = colon_at;
                goto bad;
        }
        *count = n;
        return SCSIM_OK;
bad:
        if (bad_at != NULL)
                *bad_at = i;
        return SCSIM_ERR_INVALID_ARGUMENT;
}

int scsim_hex_decode(const char *text, size_t len, uint8_t *out, size_t cap, size_t *out_len,
                     size_t *bad_at)
{
        size_t n = 0;
        int rc;

        if (out_len == NULL || (text == NULL && len != 0) || (out == NULL && cap != 0))
                return SCSIM_ERR_INVALID_ARGUMENT;
        *out_len = 0;
        if ((rc = hex_walk(text, len, NULL, &n, bad_at)) != SCSIM_OK)
                return rc;
        *out_len = n;
        if (n > cap)
                return SCSIM_ERR_BUFFER_TOO_SMALL;
        return n == 0 ? SCSIM_OK : hex_walk(text, len, out, &n, bad_at);
}
