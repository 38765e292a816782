/* SPDX-License-Identifier: MIT */
/* Runs card transcripts and reports the first step that differs, with both sides in hex. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/crypto.h>

#include "card_steps.h"

size_t hex_parse(const char *hex, uint8_t *buf, size_t cap)
{
        size_t n = 0;
        int hi = -1;

        for (const char *p = hex; *p != '\0'; p++) {
                int v;
                if (*p == ' ')
                        continue;
                v = OPENSSL_hexchar2int((unsigned char)*p);
                if (v < 0)
                        fail_msg("bad hex '%s'", hex);
                if (hi < 0) {
                        hi = v;
                        continue;
                }
                if (n >= cap)
                        fail_msg("hex too long: '%s'", hex);
                buf[n++] = (uint8_t)(hi << 4 | v);
                hi = -1;
        }
        if (hi >= 0)
                fail_msg("odd number of hex digits: '%s'", hex);
        return n;
}

static void to_hex(const uint8_t *b, size_t n, char *out, size_t cap)
{
        size_t o = 0;

        out[0] = '\0';
        for (size_t i = 0; i < n && o + 3 < cap; i++)
                o += (size_t)snprintf(out + o, cap - o, "%02X", b[i]);
}

scsim_card *default_card(scsim_profile **profile)
{
        scsim_card *card;

        assert_int_equal(scsim_profile_default(profile), SCSIM_OK);
        card = scsim_card_new(*profile);
        assert_non_null(card);
        assert_int_equal(scsim_card_power_on(card, NULL, NULL), SCSIM_OK);
        return card;
}

uint16_t xmit_bytes(scsim_card *card, const uint8_t *capdu, size_t len, uint8_t *out,
                    size_t *out_len)
{
        static uint8_t rsp[SCSIM_RAPDU_MAX];
        size_t rlen = 0;

        assert_int_equal(scsim_card_transmit(card, capdu, len, rsp, sizeof(rsp), &rlen), SCSIM_OK);
        assert_true(rlen >= 2);
        if (out != NULL)
                memcpy(out, rsp, rlen - 2);
        if (out_len != NULL)
                *out_len = rlen - 2;
        return (uint16_t)(rsp[rlen - 2] << 8 | rsp[rlen - 1]);
}

uint16_t xmit(scsim_card *card, const char *hex, uint8_t *out, size_t *out_len)
{
        static uint8_t cmd[SCSIM_CAPDU_MAX];

        return xmit_bytes(card, cmd, hex_parse(hex, cmd, sizeof(cmd)), out, out_len);
}

void run_steps(scsim_card *card, const char *const *steps)
{
        static uint8_t cmd[SCSIM_CAPDU_MAX];
        static uint8_t want[SCSIM_RAPDU_MAX];
        static uint8_t got[SCSIM_RAPDU_MAX];
        char left[2048], hex_got[1024], hex_want[1024];

        for (size_t i = 0; steps[i] != NULL; i++) {
                const char *s = steps[i], *arrow;
                size_t clen, wlen, rlen = 0;
                int suffix = 0;

                if (strcmp(s, "!reset") == 0) {
                        assert_int_equal(scsim_card_reset(card, NULL, NULL), SCSIM_OK);
                        continue;
                }
                if (strcmp(s, "!off") == 0) {
                        assert_int_equal(scsim_card_power_off(card), SCSIM_OK);
                        continue;
                }
                if (strcmp(s, "!on") == 0) {
                        assert_int_equal(scsim_card_power_on(card, NULL, NULL), SCSIM_OK);
                        continue;
                }
                arrow = strstr(s, "->");
                if (arrow == NULL || (size_t)(arrow - s) >= sizeof(left))
                        fail_msg("step %zu has no '->': %s", i, s);
                memcpy(left, s, (size_t)(arrow - s));
                left[arrow - s] = '\0';
                arrow += 2;
                while (*arrow == ' ')
                        arrow++;
                if (*arrow == '*') {
                        suffix = 1;
                        arrow++;
                }
                clen = hex_parse(left, cmd, sizeof(cmd));
                wlen = hex_parse(arrow, want, sizeof(want));
                assert_int_equal(scsim_card_transmit(card, cmd, clen, got, sizeof(got), &rlen),
                                 SCSIM_OK);
                to_hex(got, rlen, hex_got, sizeof(hex_got));
                to_hex(want, wlen, hex_want, sizeof(hex_want));
                if (suffix ? (rlen < wlen || memcmp(got + rlen - wlen, want, wlen) != 0)
                           : (rlen != wlen || memcmp(got, want, wlen) != 0))
                        fail_msg("step %zu: %s\n   expected %s%s\n   got      %s", i, s,
                                 suffix ? "..." : "", hex_want, hex_got);
        }
}
