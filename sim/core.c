/* SPDX-License-Identifier: MIT */
/* Services the card core offers command handlers: channel state and durable commits. */
#include <string.h>

#include <openssl/crypto.h>

#include "card_internal.h"

static int commit(struct scsim_card *card, int app, enum card_write how)
{
        return card->store != NULL ? card->store->commit(card->store_ctx, card, app, how) : 0;
}

/* The index of the application whose state app_state is; CARD_COMMIT_CORE for NULL. */
static int app_index(const struct scsim_card *card, const void *app_state)
{
        for (size_t i = 0; app_state != NULL && i < card->prof->napps; i++)
                if (card->app_state[i] == app_state)
                        return (int)i;
        /* a state the card does not know: encode every record rather than miss one */
        return app_state != NULL ? CARD_COMMIT_ALL : CARD_COMMIT_CORE;
}

int card_commit(struct scsim_card *card)
{
        return commit(card, CARD_COMMIT_ALL, CARD_WRITE_DURABLE);
}

int card_commit_app(struct scsim_card *card, const void *app_state)
{
        return commit(card, app_index(card, app_state), CARD_WRITE_DURABLE);
}

int card_commit_core(struct scsim_card *card)
{
        return commit(card, CARD_COMMIT_CORE, CARD_WRITE_DURABLE);
}

int card_commit_restore(struct scsim_card *card, const void *app_state, bool was_full)
{
        return commit(card, app_index(card, app_state),
                      was_full ? CARD_WRITE_DEFERRED : CARD_WRITE_LAZY);
}

void channel_clear(struct scsim_card *card, unsigned chno)
{
        struct channel *ch = &card->ch[chno];
        const scsim_profile *p = card->prof;

        ch->chv_verified = 0;
        ch->key_authenticated = 0;
        ch->challenge_valid = false;
        OPENSSL_cleanse(ch->challenge, sizeof(ch->challenge));
        for (size_t i = 0; i < p->napps; i++) {
                const struct app_def *app = p->apps[i].def;
                if (card->app_state[i] != NULL && app->clear_channel != NULL)
                        app->clear_channel(card->app_state[i], chno);
        }
}

void channel_reset(struct scsim_card *card, unsigned chno, bool open, uint16_t df)
{
        channel_clear(card, chno);
        card->ch[chno].open = open;
        card->ch[chno].df = df;
        card->ch[chno].ef = PROF_NONE;
}
