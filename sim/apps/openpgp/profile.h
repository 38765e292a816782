/* SPDX-License-Identifier: MIT */
/* The OpenPGP application's section of the profile: passwords, identity, keys and data objects. */
#ifndef SCSIM_OPENPGP_PROFILE_H
#define SCSIM_OPENPGP_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "apps/openpgp/crypto.h"

#define OPGP_PW_MAX       127 /* the longest password, as DO C4 announces it */
#define OPGP_PW1_MIN      6
#define OPGP_PW3_MIN      8
#define OPGP_RC_MIN       8
#define PROF_OPGP_DOS_MAX 16

enum opgp_pw_id { OPGP_PW1, OPGP_RC, OPGP_PW3, OPGP_NPW };

/* A key the card has when it is created: generated then, or given (DER in the blob). */
struct prof_opgp_key {
        bool present;
        size_t der_off; /* private key, DER, in profile->blob; der_len 0: generate */
        size_t der_len;
        uint8_t fpr[20]; /* C7..C9, when given */
        bool has_fpr;
        uint32_t created; /* CE..D0, seconds since 1970; 0: not given */
};

/* A data object the card starts with (name, URL, private DOs ...): its value in the blob. */
struct prof_opgp_do {
        uint16_t tag;
        size_t off;
        size_t len;
};

struct prof_openpgp {
        uint16_t df;           /* the OpenPGP DF (file index) */
        uint16_t manufacturer; /* bytes 9-10 of the AID */
        uint8_t pw[OPGP_NPW][OPGP_PW_MAX];
        size_t pw_len[OPGP_NPW]; /* resetting code 0: none */
        uint8_t retries[OPGP_NPW];
        uint8_t pw1_status; /* DO C4 byte 1: 00 PW1 valid for one signature, 01 several */
        uint8_t attr[OPGP_NKEYS][OPGP_ATTR_MAX];
        size_t attr_len[OPGP_NKEYS];
        struct prof_opgp_key keys[OPGP_NKEYS];
        struct prof_opgp_do dos[PROF_OPGP_DOS_MAX];
        size_t ndos;
};

struct app_section;
/* The section's parse, print and free (the application's contract entry). */
extern const struct app_section openpgp_section;

#endif
