/* SPDX-License-Identifier: MIT */
/* A software smart card: power, reset and APDU exchange. */
#ifndef SCSIM_CARD_H
#define SCSIM_CARD_H

#include <stddef.h>
#include <stdint.h>

#include <scsim/log.h>
#include <scsim/profile.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct scsim_card scsim_card;

/* Largest C-APDU the card accepts: extended case 4E with 65535 data bytes and Le. */
#define SCSIM_CAPDU_MAX (4 + 3 + 65535 + 2)
/* Largest R-APDU: 65536 data bytes and SW1 SW2. A buffer this big always suffices. */
#define SCSIM_RAPDU_MAX (65536 + 2)
/* Longest ATR ISO 7816-3 allows. */
#define SCSIM_ATR_MAX 33

/*
 * A new card in the powered-off state. The profile is borrowed: it must
 * outlive the card. Returns NULL when out of memory or profile is NULL.
 * Cards share nothing: any number may exist in one process.
 */
scsim_card *scsim_card_new(const scsim_profile *profile);
void scsim_card_free(scsim_card **card);

/* Diagnostics for this card (NULL fn: silent, the default). */
void scsim_card_set_log(scsim_card *card, scsim_log_fn *fn, void *ctx);

/*
 * Make the card's randomness (GET CHALLENGE) a deterministic stream derived
 * from seed, for reproducible tests. NULL/0 goes back to libcrypto's RAND_bytes.
 * Never use a seed for anything but tests.
 */
int scsim_card_set_random_seed(scsim_card *card, const uint8_t *seed, size_t len);

/*
 * Cold reset. The ATR is borrowed from the card and stays valid until the
 * card is freed. Clears every security status; durable state is kept.
 */
int scsim_card_power_on(scsim_card *card, const uint8_t **atr, size_t *atr_len);
/* Warm reset: same effect on security status; SCSIM_ERR_POWERED_OFF when off. */
int scsim_card_reset(scsim_card *card, const uint8_t **atr, size_t *atr_len);
/* Deactivation; clears every security status. Powering off an off card is not an error. */
int scsim_card_power_off(scsim_card *card);
int scsim_card_is_powered(const scsim_card *card);

/* The card's ATR, whether powered or not. */
int scsim_card_atr(const scsim_card *card, const uint8_t **atr, size_t *atr_len);

/*
 * Exchange one APDU. rapdu receives data followed by SW1 SW2; *rlen is set on
 * success and zero on error. A card error is a status word, not a failure:
 * this returns SCSIM_OK for 6982 as much as for 9000. Returns
 * SCSIM_ERR_POWERED_OFF, SCSIM_ERR_INVALID_ARGUMENT (NULL, len 0, len >
 * SCSIM_CAPDU_MAX) or SCSIM_ERR_BUFFER_TOO_SMALL (cap < 2, or cap smaller
 * than the answer; the card's state is then as if the answer was sent).
 */
int scsim_card_transmit(scsim_card *card, const uint8_t *capdu, size_t len, uint8_t *rapdu,
                        size_t cap, size_t *rlen);

/*
 * The card's serial number (GET DATA 00 CA 00 5A answers it). A new card has
 * the profile's serial; the bridge gives each slot its own with set_serial.
 */
int scsim_card_serial(const scsim_card *card, const uint8_t **serial, size_t *len);
int scsim_card_set_serial(scsim_card *card, const uint8_t *serial, size_t len);

/* The profile the card was created from; borrowed. */
const scsim_profile *scsim_card_profile(const scsim_card *card);

#ifdef __cplusplus
}
#endif

#endif
