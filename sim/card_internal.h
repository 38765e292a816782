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
#include "card_state.h"
#include "log_internal.h"
#include "profile/model.h"
#include "random.h"

#define CARD_CHANNELS      4     /* basic channel 0 and logical channels 1..3 */
#define CARD_CHAIN_MAX     65535 /* bytes a chained command may add up to */
#define CARD_CHALLENGE_LEN 16    /* one AES block */

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

/*
 * Where durable state goes. Whoever attaches a store (sim/state/attach.c)
 * sets these; the core calls them and knows nothing else of the store.
 */
enum card_write { CARD_WRITE_DURABLE, CARD_WRITE_LAZY, CARD_WRITE_DEFERRED };

#define CARD_COMMIT_CORE (-1)
#define CARD_COMMIT_ALL  (-2)

struct card_store_ops {
        /*
         * Write the card's durable state. app: the index of the application
         * whose state changed too (its record is encoded afresh),
         * CARD_COMMIT_CORE (none did) or CARD_COMMIT_ALL (any may have).
         * how: CARD_WRITE_DURABLE, on the disk before it returns;
         * CARD_WRITE_LAZY, handed to the kernel, not waited for;
         * CARD_WRITE_DEFERRED, kept to be written with the next write or
         * when the card goes. 0 or -1.
         */
        int (*commit)(void *ctx, struct scsim_card *card, int app, enum card_write how);
        /* The card goes: write what is pending and let go of ctx. */
        void (*release)(void *ctx);
};

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
        const struct card_store_ops *store; /* NULL: state lives in memory only */
        void *store_ctx;
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

/*
 * Make a change to the durable state durable before the command answers.
 * Returns 0, or -1: nothing of the change may be relied on, so the caller
 * puts memory back as it was and answers 6581. card_commit_app encodes
 * only the record of app_state's application (one application's command
 * changes no other's record; a state the card does not know has every
 * record encoded); card_commit_core none, for a change to the core's state
 * alone (counters, codes, limits, EF contents), which reuses each record as
 * last written; card_commit_all every record, for a change to the whole
 * state at once (a snapshot put back).
 */
int card_commit_app(struct scsim_card *card, const void *app_state);
int card_commit_core(struct scsim_card *card);
int card_commit_all(struct scsim_card *card);
/*
 * A counter restored after a match: a change whose loss in a crash can
 * only cost a try, never give one. app_state: the application whose state
 * holds the counter, or NULL for the core's. It is written but not waited
 * for; when the counter is back where it was before the try (it was full),
 * it is not written at all until the next write or until the card goes, so
 * that right codes on a full counter write nothing after the first (the
 * decrement each one makes is then what the disk holds already). 0 or -1,
 * as card_commit_app.
 */
int card_commit_restore(struct scsim_card *card, const void *app_state, bool was_full);
/*
 * Application i's record, as its save makes it, after its prepare: the
 * one way to a record (state file, snapshot). 0 with *buf NULL for an
 * application that keeps none; or -1.
 */
int app_save(const struct scsim_card *card, size_t i, uint8_t **buf, size_t *len);

/* core.c: services the core offers handlers and the dispatcher. */
/* Forget channel chno's security status and every application's state for it. */
void channel_clear(struct scsim_card *card, unsigned chno);
/* Clear channel chno and set whether it is open; its current DF becomes df, no current EF. */
void channel_reset(struct scsim_card *card, unsigned chno, bool open, uint16_t df);

#endif
