/* SPDX-License-Identifier: MIT */
/* OpenPGP card fixtures shared by the test_openpgp* unit tests: cards from profiles, APDU hex. */
#ifndef SCSIM_TEST_OPENPGP_CARD_H
#define SCSIM_TEST_OPENPGP_CARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <scsim/scsim.h>

/* The shipped profile's AID: version 3.4, manufacturer FFFF, serial 00000001. */
#define OPGP_AID "D276000124010304FFFF000000010000"
#define OPGP_SEL "00A4040006D27600012401 00 -> 6F12 8410" OPGP_AID " 9000"
#define PW1      "06 313233343536"     /* 123456 */
#define PW1_BAD  "06 393939393939"     /* 999999 */
#define PW3      "08 3132333435363738" /* 12345678 */
#define PW3_BAD  "08 3939393939393939" /* 99999999 */

struct opgp_fx {
        scsim_profile *p;
        scsim_card *card;
};

/*
 * A powered card from profiles/openpgp.yaml (yaml NULL) or from YAML text,
 * the OpenPGP application selected. 0, or -1 with the profile's message printed.
 */
int opgp_open(struct opgp_fx *f, const char *yaml);
void opgp_close(struct opgp_fx *f);

/* A profile like the shipped one (the section's defaults) with these lines under `openpgp:`. */
const char *opgp_yaml(const char *openpgp_lines);

/*
 * Send header (4 bytes hex) with n data bytes and Le asking for everything:
 * short (Le 00) unless extended or n > 255 (Le 0000).
 */
uint16_t opgp_send(scsim_card *card, const char *header, const uint8_t *data, size_t n,
                   bool extended, uint8_t *out, size_t *out_len);

#endif
