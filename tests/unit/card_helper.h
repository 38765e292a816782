/* Send hex APDUs to a card in unit tests and look at the status word. */
#ifndef SCSIM_TEST_CARD_HELPER_H
#define SCSIM_TEST_CARD_HELPER_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <scsim/card.h>
#include <scsim/err.h>

/* "00 20 00 01 04 31323334" -> bytes; spaces are ignored. */
static inline size_t hex_to_bytes(const char *hex, uint8_t *out, size_t cap)
{
        size_t n = 0;
        unsigned v;

        while (*hex != '\0' && n < cap) {
                if (*hex == ' ') {
                        hex++;
                        continue;
                }
                if (sscanf(hex, "%2x", &v) != 1)
                        break;
                out[n++] = (uint8_t)v;
                hex += 2;
        }
        return n;
}

/* Transmit and return SW1SW2; the data part goes to data/dlen when given. */
static inline uint16_t tx_bytes(scsim_card *card, const uint8_t *capdu, size_t len, uint8_t *data,
                                size_t *dlen)
{
        static uint8_t r[SCSIM_RAPDU_MAX];
        size_t rlen = 0;

        if (scsim_card_transmit(card, capdu, len, r, sizeof(r), &rlen) != SCSIM_OK || rlen < 2)
                return 0;
        if (data != NULL)
                memcpy(data, r, rlen - 2);
        if (dlen != NULL)
                *dlen = rlen - 2;
        return (uint16_t)(r[rlen - 2] << 8 | r[rlen - 1]);
}

static inline uint16_t tx(scsim_card *card, const char *hex)
{
        uint8_t c[512];
        size_t n = hex_to_bytes(hex, c, sizeof(c));

        return tx_bytes(card, c, n, NULL, NULL);
}

#endif
