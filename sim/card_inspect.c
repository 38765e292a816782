/* SPDX-License-Identifier: MIT */
/* A live card's counters, reported as the records scsim_state_inspect gives for a state file. */
#include <scsim/err.h>
#include <scsim/state.h>

#include "card_internal.h"

int scsim_card_inspect(const scsim_card *card, void (*fn)(void *arg, const scsim_state_record *rec),
                       void *arg)
{
        const scsim_profile *p;
        scsim_state_record r;

        if (card == NULL || fn == NULL)
                return SCSIM_ERR_INVALID_ARGUMENT;
        p = card->prof;
        r = (scsim_state_record){.kind = SCSIM_STATE_HEADER, .name = p->name};
        fn(arg, &r);
        for (size_t i = 0; i < p->nchvs; i++) {
                const struct chv_state *s = &card->st.chv[i];
                r = (scsim_state_record){.kind = SCSIM_STATE_CHV,
                                         .name = p->chvs[i].name,
                                         .ref = p->chvs[i].has_ref ? p->chvs[i].ref : -1,
                                         .tries = s->tries,
                                         .retries = s->limit,
                                         .enabled = s->enabled};
                fn(arg, &r);
        }
        for (size_t i = 0; i < p->nkeys; i++) {
                r = (scsim_state_record){.kind = SCSIM_STATE_KEY,
                                         .name = p->keys[i].name,
                                         .ref = p->keys[i].ref,
                                         .tries = card->st.key[i].tries,
                                         .retries = p->keys[i].retries};
                fn(arg, &r);
        }
        return SCSIM_OK;
}
