/* SPDX-License-Identifier: MIT */
/* Security status: access rule evaluation, reference lookup by scope, and what clears what. */
#include <string.h>

#include "iso/iso.h"

bool sec_rule_holds(const struct scsim_card *card, const struct channel *ch, uint16_t rule)
{
        const scsim_profile *p = card->prof;
        const struct prof_rule *r;

        if (rule >= p->nrules)
                return false;
        r = &p->rules[rule];
        switch (r->kind) {
        case PROF_RULE_ALWAYS:
                return true;
        case PROF_RULE_NEVER:
                return false;
        case PROF_RULE_CHV:
                /* a disabled verification requirement no longer gates anything */
                return !card->st.chv[r->arg].enabled || (ch->chv_verified & (1u << r->arg)) != 0;
        case PROF_RULE_KEY:
                return (ch->key_authenticated & (1u << r->arg)) != 0;
        case PROF_RULE_ANY:
                /* terms point at earlier rules only (prof_check), so recursion ends */
                for (size_t i = 0; i < r->nterms; i++)
                        if (sec_rule_holds(card, ch, r->terms[i]))
                                return true;
                return false;
        case PROF_RULE_ALL:
                for (size_t i = 0; i < r->nterms; i++)
                        if (!sec_rule_holds(card, ch, r->terms[i]))
                                return false;
                return true;
        }
        return false;
}

/*
 * A global reference (b8 = 0) is visible everywhere. A specific one (b8 = 1)
 * is found in the current DF or, failing that, its nearest ancestor that has it.
 */
static bool in_scope(const struct scsim_card *card, const struct channel *ch, uint8_t ref,
                     uint16_t df)
{
        if ((ref & 0x80) == 0)
                return df == 0;
        return prof_is_ancestor(card->prof, df, ch->df);
}

int sec_find_chv(const struct scsim_card *card, const struct channel *ch, uint8_t ref)
{
        const scsim_profile *p = card->prof;
        int best = -1;

        for (size_t i = 0; i < p->nchvs; i++) {
                const struct prof_chv *c = &p->chvs[i];
                if (!c->has_ref || c->ref != ref || !in_scope(card, ch, ref, c->df))
                        continue;
                /* the deepest DF wins when an ancestor defines the same reference */
                if (best < 0 || prof_is_ancestor(p, p->chvs[best].df, c->df))
                        best = (int)i;
        }
        return best;
}

int sec_find_key(const struct scsim_card *card, const struct channel *ch, uint8_t ref)
{
        const scsim_profile *p = card->prof;
        int best = -1;

        for (size_t i = 0; i < p->nkeys; i++) {
                const struct prof_key *k = &p->keys[i];
                if (k->ref != ref || !in_scope(card, ch, ref, k->df))
                        continue;
                if (best < 0 || prof_is_ancestor(p, p->keys[best].df, k->df))
                        best = (int)i;
        }
        return best;
}

/*
 * Make df the channel's current DF. Specific references of a DF the channel
 * leaves lose their status there (unless the profile keeps it); global ones
 * and those of DFs still on the path are untouched.
 */
void sec_select_df(struct scsim_card *card, struct channel *ch, uint16_t df)
{
        const scsim_profile *p = card->prof;

        if (df == ch->df)
                return;
        for (size_t i = 0; i < p->nchvs; i++) {
                const struct prof_chv *c = &p->chvs[i];
                if (c->df != 0 && !c->keep_on_deselect && !prof_is_ancestor(p, c->df, df))
                        ch->chv_verified &= ~(1u << i);
        }
        for (size_t i = 0; i < p->nkeys; i++) {
                const struct prof_key *k = &p->keys[i];
                if (k->df != 0 && !k->keep_on_deselect && !prof_is_ancestor(p, k->df, df))
                        ch->key_authenticated &= ~(1u << i);
        }
        ch->df = df;
}

bool sec_chv_verified(const struct channel *ch, size_t idx)
{
        return (ch->chv_verified & (1u << idx)) != 0;
}

void sec_forget_chv(struct scsim_card *card, size_t idx)
{
        for (unsigned i = 0; i < CARD_CHANNELS; i++)
                card->ch[i].chv_verified &= ~(1u << idx);
}
