/* SPDX-License-Identifier: MIT */
/* What the card's own command tables say of an APDU: its name and which parts are secret. */
#ifndef SCSIM_SCSIM_APDU_H
#define SCSIM_SCSIM_APDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <scsim/card.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct scsim_apdu_info {
        const char *name;        /* "VERIFY"; NULL when no table names the instruction */
        const char *application; /* "piv" when an application's row applies; NULL otherwise */
        bool secret_in;          /* the data field carries a PIN, key or cryptogram */
        bool secret_out;         /* the answer can carry a secret (decrypted data, ECDH) */
        bool decoded;            /* the length fits an ISO 7816-3 case */
        size_t data_offset;      /* where the data field starts (decoded only) */
        size_t data_len;         /* Nc: 0 when there is none */
} scsim_apdu_info;

/*
 * Describe capdu from the same rows the card dispatches on. With a card,
 * the rows are those the card would use for it now (the application its
 * channel is in; for GET RESPONSE, the command whose answer is pending):
 * call it before scsim_card_transmit. With card NULL, every table the
 * library has (the interindustry one first), and a part is secret when any
 * table says so. Returns SCSIM_OK or SCSIM_ERR_INVALID_ARGUMENT (NULL
 * capdu or info, len < 4).
 */
int scsim_apdu_describe(const scsim_card *card, const uint8_t *capdu, size_t len,
                        scsim_apdu_info *info);

#ifdef __cplusplus
}
#endif

#endif
