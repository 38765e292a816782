/* SPDX-License-Identifier: MIT */
/* The card's insides, shared by the command handlers: durable state, channels, dispatch. */
#ifndef SCSIM_CARD_INTERNAL_H
#define SCSIM_CARD_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <scsim/card.h>

#include "apdu.h"
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
        uint8_t *answer; /* the R-APDU being built, before it is copied out */

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
        struct state_store *store; /* NULL: state lives in memory only */
        void *app[PROF_APPS];      /* each application's own state, NULL when unused */
};

/* What a command handler sees: the decoded APDU, its channel, and where to write data. */
struct cmd {
        struct scsim_card *card;
        const struct apdu *apdu;
        struct channel *ch;
        unsigned chno;
        struct rbuf *out;
};

typedef uint16_t cmd_handler(struct cmd *c);

struct cmd_def {
        uint8_t ins;
        bool chainable; /* accepts CLA b5 command chaining */
        cmd_handler *fn;
};

/*
 * An application behind a DF (prof_file.app). While a channel's current DF
 * is the application's DF or below it, its commands come before the ISO
 * ones; the ISO handlers (VERIFY, SELECT ...) still serve what it leaves out.
 */
struct card_app {
        const char *name;
        const struct cmd_def *commands;
        size_t ncommands;
        /* Durable state from the profile, at card creation; 0 or -1. */
        int (*init)(struct scsim_card *card, void **state);
        void (*free)(void **state);
        /* Forget channel chno's volatile state (reset, channel closed, DF left). */
        void (*clear_channel)(void *state, unsigned chno);
        /*
         * Answer data to commands without Le as if Le were 00, the way T=1
         * tokens such as YubiKeys do (yubico-piv-tool never sends Le).
         */
        bool implicit_le;
        /*
         * Durable state for the state file (docs/state.md): save encodes it
         * into a new buffer (*len bytes, freed by the caller after cleansing);
         * load builds a new state from such bytes, or fails with -1 for bytes
         * it cannot use, leaving *state untouched. NULL: nothing durable.
         */
        int (*save)(const void *state, uint8_t **buf, size_t *len);
        int (*load)(const struct scsim_card *card, const uint8_t *buf, size_t len, void **state);
        /* The answer to SELECT of its DF with P2 asking for the FCI; NULL: the ISO FCI. */
        uint16_t (*select_answer)(struct cmd *c);
};

/* app.c: which application (PROF_APP_NONE if none) a DF belongs to, and its definition. */
enum prof_app card_app_of(const scsim_profile *p, uint16_t df);
const struct card_app *card_app_get(enum prof_app app);
extern const struct card_app app_piv;

/* Make durable state durable. Returns 0, or -1 (the caller answers 6581). */
int card_commit(struct scsim_card *card);

/* security.c */
bool sec_rule_holds(const struct scsim_card *card, const struct channel *ch, uint16_t rule);
int sec_find_chv(const struct scsim_card *card, const struct channel *ch, uint8_t ref);
int sec_find_key(const struct scsim_card *card, const struct channel *ch, uint8_t ref);
void sec_select_df(struct scsim_card *card, struct channel *ch, uint16_t df);
void sec_clear_channel(struct channel *ch);

/* Command handlers, one file per concept. */
cmd_handler fs_select;
cmd_handler fs_read_binary;
cmd_handler fs_update_binary;
cmd_handler chv_verify;
cmd_handler chv_change_reference_data;
cmd_handler chv_reset_retry_counter;
cmd_handler chv_disable_verification;
cmd_handler chv_enable_verification;
cmd_handler ka_get_challenge;
cmd_handler ka_external_authenticate;

#endif
