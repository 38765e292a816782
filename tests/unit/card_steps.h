/* SPDX-License-Identifier: MIT */
/* Table-driven card transcripts for CMocka: one string per step, command -> expected answer. */
#ifndef SCSIM_TEST_CARD_STEPS_H
#define SCSIM_TEST_CARD_STEPS_H

#include <stddef.h>
#include <stdint.h>

#include <scsim/scsim.h>

/*
 * A step is "C-APDU hex -> R-APDU hex" (spaces ignored). The expected side
 * may start with '*' to match only the end (data ignored, e.g. "*9000").
 * Special steps: "!reset" (warm reset), "!off" (power off), "!on" (power on).
 * Steps end at NULL.
 */
void run_steps(scsim_card *card, const char *const *steps);

/* Fresh default card, powered on. */
scsim_card *default_card(scsim_profile **profile);

/* Parse hex (spaces allowed) into buf; returns length, fails the test on bad hex. */
size_t hex_parse(const char *hex, uint8_t *buf, size_t cap);

/* Send one APDU, return the status word; data copied to out when not NULL. */
uint16_t xmit_bytes(scsim_card *card, const uint8_t *capdu, size_t len, uint8_t *out,
                    size_t *out_len);

/* Send one APDU given as hex, return the status word; data copied to out when not NULL. */
uint16_t xmit(scsim_card *card, const char *hex, uint8_t *out, size_t *out_len);

#endif
