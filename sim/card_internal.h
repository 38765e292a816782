/* SPDX-License-Identifier: MIT */
/* The card's insides, shared by the command handlers: durable state, channels, dispatch. */
#ifndef SCSIM_CARD_INTERNAL_H
#define SCSIM_CARD_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <scsim/card.h>

#include "apdu.h"
#include "app.h"
#include "log_internal.h"
#include "profile/model.h"
#include "random.h"

#define CARD_CHANNELS      4     /* basic channel 0 and logical channels 1..3 */
#define CARD_CHAIN_MAX     65535 /* bytes a chained command may add up to */
#define CARD_CHALLENGE_LEN 16    /* one AES block */

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

/*
 * Volatile security status and selection, one per logical channel. Cleared
 * by reset, power off and closing the channel; bits are CHV and key indices.
 */
struct channel {
        bool open;
        uint16_t df; /* current DF */
        uint16_t ef; /* current EF or PROF_NONE */
        uint32_t chv_verified;
        uint32_t key_authenticated;
        bool challenge_valid;
        uint8_t challenge[CARD_CHALLENGE_LEN];
};

struct state_store;

struct scsim_card {
        const scsim_profile *prof;
        bool powered;
        struct card_state st;
        struct channel ch[CARD_CHANNELS];

        /* response data waiting for GET RESPONSE (61xx) */
        uint8_t *resp;
        size_t resp_len;
        size_t resp_off;
        unsigned resp_channel;
        bool resp_secret; /* it came from a command whose answer is secret */

        /* command chaining in progress */
        uint8_t *chain;
        size_t chain_len;
        bool chaining;
        uint8_t chain_ins, chain_p1, chain_p2;
        unsigned chain_channel;

        uint8_t serial[PROF_SERIAL_MAX];
        size_t serial_len;
        struct rng rng;
        struct log_sink log;
        struct state_store *store;      /* NULL: state lives in memory only */
        void *app_state[PROF_APPS_MAX]; /* per profile->apps entry; NULL when it has none */
};

/* What a command handler sees: the decoded APDU, its channel, and where to write data. */
struct cmd {
        struct scsim_card *card;
        const struct apdu *apdu;
        struct channel *ch;
        unsigned chno;
        struct rbuf *out;
        void *app; /* the state of the application the channel is in; NULL outside one */
};

/* Make durable state durable. Returns 0, or -1 (the caller answers 6581). */
int card_commit(struct scsim_card *card);

/* core.c: services the core offers handlers and the dispatcher. */
/* Forget channel chno's security status and every application's state for it. */
void channel_clear(struct scsim_card *card, unsigned chno);
/* Clear channel chno and set whether it is open; its current DF becomes df, no current EF. */
void channel_reset(struct scsim_card *card, unsigned chno, bool open, uint16_t df);

#endif
