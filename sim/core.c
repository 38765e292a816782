/* SPDX-License-Identifier: MIT */
/* Services the card core offers command handlers: channel state and durable commits. */
#include <string.h>

#include <openssl/crypto.h>

#include "card_internal.h"

int card_commit(struct scsim_card *card)
{
        return card->store != NULL ? card->store->commit(card->store_ctx, card, -1, false) : 0;
}

int card_commit_app(struct scsim_card *card, const void *app_state)
{
        int app = -1;

        for (size_t i = 0; i < card->prof->napps; i++)
                if (app_state != NULL && card->app_state[i] == app_state)
                        app = (int)i;
        return card->store != NULL ? card->store->commit(card->store_ctx, card, app, false) : 0;
}

int card_commit_lazy(struct scsim_card *card)
{
        return card->store != NULL ? card->store->commit(card->store_ctx, card, -1, true) : 0;
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
