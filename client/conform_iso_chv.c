/* SPDX-License-Identifier: MIT */
/* ISO/IEC 7816-4 checks of one reference: its security status, what ends it, its retry counter. */
#include "conform_iso.h"

/* Not verified: 63CX with the description's retries (any X when it gives none). */
bool iso_want_unverified(struct cf_run *r, uint16_t sw, const struct cf_chv *c, unsigned lost,
                         const char *what)
{
        if (c->retries > 0)
                return cf_want_tries(r, sw, c->retries - lost, what);
        if ((sw & 0xfff0) == 0x63c0)
                return true;
        cf_fail(r, "%s: wanted 63CX (not verified, X tries left), got %04X", what, sw);
        return false;
}

/* Checks that read the status through queries need the requirement on, as the card starts. */
static enum cf_verdict start(struct cf_run *r, int chv, unsigned spend)
{
        const struct cf_chv *c = &r->card->chvs[chv];
        enum cf_verdict v;

        if (!c->enabled)
                return cf_skip(r, "the description has the verification requirement of '%s' off",
                               c->name);
        if ((v = cf_chv_ready(r, chv, spend)) != CF_PASS)
                return v;
        return cf_select_home(r, 0, chv) == 0 ? CF_PASS : CF_FAIL;
}

enum cf_verdict iso_chv_query(struct cf_run *r, int chv)
{
        const struct cf_chv *c = &r->card->chvs[chv];
        enum cf_verdict v = start(r, chv, 2);
        uint16_t first;

        if (v != CF_PASS)
                return v;
        first = cf_query(r, 0, chv);
        if (!iso_want_unverified(r, first, c, 0, "VERIFY without data after a reset"))
                return CF_FAIL;
        if (!cf_want(r, cf_query(r, 0, chv), first, "a second VERIFY without data (no try spent)"))
                return CF_FAIL;
        return CF_PASS;
}

enum cf_verdict iso_chv_verify(struct cf_run *r, int chv)
{
        enum cf_verdict v = start(r, chv, 1);

        if (v != CF_PASS)
                return v;
        if (!cf_want(r, cf_verify(r, 0, chv, CF_CODE_RIGHT), 0x9000,
                     "VERIFY with the right code") ||
            !cf_want(r, cf_query(r, 0, chv), 0x9000, "VERIFY without data once verified"))
                return CF_FAIL;
        return CF_PASS;
}

enum cf_verdict iso_chv_p1ff(struct cf_run *r, int chv)
{
        const struct cf_chv *c = &r->card->chvs[chv];
        enum cf_verdict v = start(r, chv, 1);

        if (v != CF_PASS)
                return v;
        if (!cf_want(r, cf_verify(r, 0, chv, CF_CODE_RIGHT), 0x9000,
                     "VERIFY with the right code") ||
            !cf_want(r, cf_verify_ff(r, 0, chv), 0x9000, "VERIFY P1=FF, no data") ||
            !iso_want_unverified(r, cf_query(r, 0, chv), c, 0, "VERIFY without data after P1=FF"))
                return CF_FAIL;
        return CF_PASS;
}

enum cf_verdict iso_chv_p1_other(struct cf_run *r, int chv)
{
        static const uint16_t refused[] = {0x6a86, 0x6b00};
        const struct cf_chv *c = &r->card->chvs[chv];
        enum cf_verdict v = start(r, chv, 1);

        if (v != CF_PASS)
                return v;
        if (!cf_want_one(r, cf_cmd(r, 0x00, 0x20, 0x01, (uint8_t)c->ref, NULL, 0, CF_NO_LE),
                         refused, 2, "VERIFY P1=01 (neither 00 nor FF)"))
                return CF_FAIL;
        return CF_PASS;
}

enum cf_verdict iso_chv_reset(struct cf_run *r, int chv)
{
        const struct cf_chv *c = &r->card->chvs[chv];
        enum cf_verdict v = start(r, chv, 1);

        if (v != CF_PASS)
                return v;
        if (!cf_want(r, cf_verify(r, 0, chv, CF_CODE_RIGHT), 0x9000, "VERIFY with the right code"))
                return CF_FAIL;
        if (cf_warm_reset(r) != 0 || cf_select_home(r, 0, chv) != 0)
                return CF_FAIL;
        if (!iso_want_unverified(r, cf_query(r, 0, chv), c, 0,
                                 "VERIFY without data after the reset"))
                return CF_FAIL;
        return CF_PASS;
}

static int other_df(const struct cf_run *r, int not_this)
{
        for (size_t i = 1; i < r->card->nfiles; i++)
                if (r->card->files[i].is_df && (int)i != not_this)
                        return (int)i;
        return -1;
}

/* A global reference outlives every SELECT; a specific one ends when its DF is left, unless kept.
 */
enum cf_verdict iso_chv_deselect(struct cf_run *r, int chv)
{
        const struct cf_chv *c = &r->card->chvs[chv];
        const bool global = (c->ref & 0x80) == 0;
        const int df = global ? other_df(r, 0) : c->df;
        enum cf_verdict v;

        if (df < 0)
                return cf_skip(r, "the description has no DF to select");
        if ((v = start(r, chv, 1)) != CF_PASS)
                return v;
        if (!cf_want(r, cf_verify(r, 0, chv, CF_CODE_RIGHT), 0x9000, "VERIFY with the right code"))
                return CF_FAIL;
        if (global) {
                if (cf_select_df(r, 0, df) != 0)
                        return CF_FAIL;
                return cf_want(r, cf_query(r, 0, chv), 0x9000,
                               "a global reference after SELECT of another DF")
                           ? CF_PASS
                           : CF_FAIL;
        }
        if (cf_select_mf(r, 0) != 0 || cf_select_df(r, 0, df) != 0)
                return CF_FAIL;
        if (c->keep)
                return cf_want(r, cf_query(r, 0, chv), 0x9000,
                               "a reference kept on deselect, back in its DF")
                           ? CF_PASS
                           : CF_FAIL;
        return iso_want_unverified(r, cf_query(r, 0, chv), c, 0,
                                   "a specific reference after its DF was left and selected again")
                   ? CF_PASS
                   : CF_FAIL;
}

enum cf_verdict iso_chv_channel(struct cf_run *r, int chv)
{
        const struct cf_chv *c = &r->card->chvs[chv];
        enum cf_verdict v = iso_need_channels(r);
        int ch;

        if (v != CF_PASS || (v = start(r, chv, 2)) != CF_PASS)
                return v;
        if (!cf_want(r, cf_verify(r, 0, chv, CF_CODE_RIGHT), 0x9000,
                     "VERIFY with the right code on the basic channel"))
                return CF_FAIL;
        if ((ch = cf_open_channel(r)) < 0 || cf_select_home(r, (unsigned)ch, chv) != 0)
                return CF_FAIL;
        if (!iso_want_unverified(r, cf_query(r, (unsigned)ch, chv), c, 0,
                                 "VERIFY without data on the other channel") ||
            !cf_want(r, cf_query(r, 0, chv), 0x9000, "VERIFY without data on the basic channel") ||
            !cf_want(r, cf_close_channel(r, (unsigned)ch), 0x9000, "MANAGE CHANNEL close"))
                return CF_FAIL;
        return CF_PASS;
}

enum cf_verdict iso_chv_channel_close(struct cf_run *r, int chv)
{
        const struct cf_chv *c = &r->card->chvs[chv];
        enum cf_verdict v = iso_need_channels(r);
        int ch;

        if (v != CF_PASS || (v = start(r, chv, 1)) != CF_PASS)
                return v;
        if ((ch = cf_open_channel(r)) < 0 || cf_select_home(r, (unsigned)ch, chv) != 0)
                return CF_FAIL;
        if (!cf_want(r, cf_verify(r, (unsigned)ch, chv, CF_CODE_RIGHT), 0x9000,
                     "VERIFY with the right code on the opened channel") ||
            !cf_want(r, cf_close_channel(r, (unsigned)ch), 0x9000, "MANAGE CHANNEL close"))
                return CF_FAIL;
        if ((ch = cf_open_channel(r)) < 0 || cf_select_home(r, (unsigned)ch, chv) != 0)
                return CF_FAIL;
        if (!iso_want_unverified(r, cf_query(r, (unsigned)ch, chv), c, 0,
                                 "VERIFY without data on a channel opened again") ||
            !cf_want(r, cf_close_channel(r, (unsigned)ch), 0x9000, "MANAGE CHANNEL close"))
                return CF_FAIL;
        return CF_PASS;
}

enum cf_verdict iso_chv_counter(struct cf_run *r, int chv)
{
        const struct cf_chv *c = &r->card->chvs[chv];
        enum cf_verdict v = start(r, chv, 2);

        if (v != CF_PASS)
                return v;
        if (!iso_want_unverified(r, cf_verify(r, 0, chv, CF_CODE_WRONG), c, 1,
                                 "VERIFY with a wrong code") ||
            !iso_want_unverified(r, cf_query(r, 0, chv), c, 1, "VERIFY without data after it") ||
            !cf_want(r, cf_verify(r, 0, chv, CF_CODE_RIGHT), 0x9000, "VERIFY with the right code"))
                return CF_FAIL;
        if (cf_warm_reset(r) != 0 || cf_select_home(r, 0, chv) != 0)
                return CF_FAIL;
        if (!iso_want_unverified(r, cf_query(r, 0, chv), c, 0,
                                 "VERIFY without data: the right code gave every try back"))
                return CF_FAIL;
        return CF_PASS;
}

enum cf_verdict iso_chv_counter_channels(struct cf_run *r, int chv)
{
        const struct cf_chv *c = &r->card->chvs[chv];
        enum cf_verdict v = iso_need_channels(r);
        int ch;

        if (v != CF_PASS || (v = start(r, chv, 2)) != CF_PASS)
                return v;
        if ((ch = cf_open_channel(r)) < 0 || cf_select_home(r, (unsigned)ch, chv) != 0)
                return CF_FAIL;
        if (!iso_want_unverified(r, cf_verify(r, (unsigned)ch, chv, CF_CODE_WRONG), c, 1,
                                 "VERIFY with a wrong code on the opened channel") ||
            !iso_want_unverified(r, cf_query(r, 0, chv), c, 1,
                                 "VERIFY without data on the basic channel") ||
            !cf_want(r, cf_verify(r, 0, chv, CF_CODE_RIGHT), 0x9000,
                     "VERIFY with the right code on the basic channel") ||
            !cf_want(r, cf_close_channel(r, (unsigned)ch), 0x9000, "MANAGE CHANNEL close"))
                return CF_FAIL;
        return CF_PASS;
}

/*
 * A card that ignores P2 takes this query for a wrong code of its one PIN:
 * the run can give that try back only when it knows every code.
 */
enum cf_verdict iso_ref_unknown(struct cf_run *r, int obj)
{
        bool used[32] = {false};
        int ref = -1;
        size_t known = 0;

        (void)obj;
        for (size_t i = 0; i < r->card->nchvs; i++) {
                const struct cf_chv *c = &r->card->chvs[i];
                if (c->ref >= 0)
                        used[c->ref & 0x1f] |= (c->ref & 0x80) == 0;
                if (c->verifiable && (!c->has_value || c->retries < 2 || r->chv_bad[i]))
                        return cf_skip(r,
                                       "'%s' has no known code or fewer than 2 tries: a card "
                                       "that ignored P2 would spend one the run cannot give back",
                                       c->name);
                known += c->verifiable;
        }
        if (known == 0)
                return cf_skip(r, "the description names no reference: the card's codes are "
                                  "unknown, and a card that ignored P2 would spend a try of one");
        for (int i = 0x1e; i > 0 && ref < 0; i--)
                if (!used[i])
                        ref = i;
        if (ref < 0)
                return cf_skip(r, "the description uses every global reference");
        if (!cf_want(r, cf_cmd(r, 0x00, 0x20, 0x00, (uint8_t)ref, NULL, 0, CF_NO_LE), 0x6a88,
                     "VERIFY without data of a global reference the description does not have"))
                return CF_FAIL;
        return CF_PASS;
}
