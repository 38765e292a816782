/* SPDX-License-Identifier: MIT */
/* The card's durable state, apart from the card: what commands change and the codec keeps. */
#ifndef SCSIM_CARD_STATE_H
#define SCSIM_CARD_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile/model.h"

/*
 * Durable card state: what a real card keeps in EEPROM. Initialised from the
 * profile; changed only by commands; never touched by resets.
 */
struct chv_state {
        uint8_t value[PROF_CHV_MAX_LEN];
        size_t value_len;
        uint8_t tries; /* 0: blocked */
        uint8_t limit; /* what a success restores: the profile's retries, or as a command set it */
        bool enabled;  /* verification required */
};

struct key_state {
        uint8_t tries;
};

struct card_state {
        struct chv_state chv[PROF_CHVS_MAX];
        struct key_state key[PROF_KEYS_MAX];
        uint8_t *ef;                   /* all EF contents, back to back */
        size_t ef_off[PROF_FILES_MAX]; /* where each EF's bytes start in ef */
        size_t ef_len;
};

#endif
