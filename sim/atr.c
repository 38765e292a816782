/* SPDX-License-Identifier: MIT */
/* Checks profile ATRs and builds ATRs with a correct TCK. */
#include "atr.h"

int atr_check(const uint8_t *atr, size_t len, const char **why)
{
        size_t i = 2, k;
        uint8_t y, td;
        int tck_needed = 0;

        if (len < 2 || len > 33) {
                *why = "length must be 2..33 bytes";
                return -1;
        }
        if (atr[0] != 0x3b && atr[0] != 0x3f) {
                *why = "TS must be 3B (direct) or 3F (inverse convention)";
                return -1;
        }
        k = atr[1] & 0x0fu;
        y = atr[1] >> 4;
        for (;;) {
                size_t n = (size_t)__builtin_popcount(y);
                if (len - i < n) {
                        *why = "interface bytes announced by T0/TDi are missing";
                        return -1;
                }
                if ((y & 0x8) == 0) {
                        i += n;
                        break;
                }
                td = atr[i + n - 1];
                if ((td & 0x0f) != 0)
                        tck_needed = 1;
                i += n;
                y = td >> 4;
        }
        if (len - i < k) {
                *why = "historical bytes announced by T0 are missing";
                return -1;
        }
        i += k;
        if (tck_needed) {
                uint8_t x = 0;
                if (i == len) {
                        *why = "TCK missing (a protocol other than T=0 is indicated)";
                        return -1;
                }
                for (size_t j = 1; j <= i; j++)
                        x ^= atr[j];
                if (x != 0) {
                        *why = "TCK is wrong (XOR of T0..TCK must be 00)";
                        return -1;
                }
                i++;
        }
        if (i != len) {
                *why = "bytes after the end of the ATR";
                return -1;
        }
        return 0;
}

int atr_build(const uint8_t *hist, size_t hist_len, uint8_t *atr, size_t cap)
{
        size_t n = 0;
        uint8_t x = 0;

        if (hist_len > 15 || cap < hist_len + 5)
                return -1;
        atr[n++] = 0x3b;
        atr[n++] = (uint8_t)(0x80 | hist_len); /* TD1 follows */
        atr[n++] = 0x80;                       /* TD1: TD2 follows, T=0 */
        atr[n++] = 0x01;                       /* TD2: T=1 */
        for (size_t i = 0; i < hist_len; i++)
                atr[n++] = hist[i];
        for (size_t i = 1; i < n; i++)
                x ^= atr[i];
        atr[n++] = x;
        return (int)n;
}
