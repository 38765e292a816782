/* SPDX-License-Identifier: MIT */
/*
 * ISO/IEC 7816-4 checks that change a reference (--destructive only): block
 * and unblock, a wrong unblock code, CHANGE REFERENCE DATA, DISABLE/ENABLE.
 * Each puts the reference back as it found it, and says so when it cannot.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "conform_iso.h"

/* RESET RETRY COUNTER P1 00: unblock code || the reference's own code (kept as it was). */
static uint16_t rrc_puk(struct cf_run *r, int chv, enum cf_code puk_kind)
{
        const struct cf_chv *c = &r->card->chvs[chv];
        uint8_t data[2 * CF_CODE_MAX];
        size_t a = cf_code(&r->card->chvs[c->puk], puk_kind, data, CF_CODE_MAX), b;
        uint16_t sw = 0;

        b = cf_code(c, CF_CODE_RIGHT, data + a, CF_CODE_MAX);
        if (a > 0 && b > 0)
                sw = cf_cmd(r, 0x00, 0x2c, 0x00, (uint8_t)c->ref, data, a + b, CF_NO_LE);
        OPENSSL_cleanse(data, sizeof(data));
        return sw;
}

static bool has_puk(const struct cf_run *r, const struct cf_chv *c)
{
        return c->puk >= 0 && r->card->chvs[c->puk].has_value;
}

/* Lift a block the description says how to lift: with the unblock code, or P1 03 under its rule. */
static uint16_t unblock(struct cf_run *r, int chv)
{
        const struct cf_chv *c = &r->card->chvs[chv];

        if (has_puk(r, c))
                return rrc_puk(r, chv, CF_CODE_RIGHT);
        if (cf_satisfy(r, 0, &c->rrc) != 0)
                return 0;
        return cf_cmd(r, 0x00, 0x2c, 0x03, (uint8_t)c->ref, NULL, 0, CF_NO_LE);
}

static enum cf_verdict block_steps(struct cf_run *r, int chv)
{
        const struct cf_chv *c = &r->card->chvs[chv];
        char what[64];

        for (unsigned i = 1; i <= c->retries; i++) {
                snprintf(what, sizeof(what), "wrong code %u of %u", i, c->retries);
                if (!cf_want_tries(r, cf_verify(r, 0, chv, CF_CODE_WRONG), c->retries - i, what))
                        return CF_FAIL;
        }
        if (!cf_want(r, cf_verify(r, 0, chv, CF_CODE_RIGHT), 0x6983,
                     "the right code once blocked (nothing compared)") ||
            !cf_want(r, cf_query(r, 0, chv), 0x6983, "VERIFY without data once blocked"))
                return CF_FAIL;
        if (cf_warm_reset(r) != 0 || cf_select_home(r, 0, chv) != 0)
                return CF_FAIL;
        if (!cf_want(r, cf_query(r, 0, chv), 0x6983, "VERIFY without data after a warm reset"))
                return CF_FAIL;
        return CF_PASS;
}

enum cf_verdict iso_chv_block(struct cf_run *r, int chv)
{
        const struct cf_chv *c = &r->card->chvs[chv];
        enum cf_verdict v;
        char why[sizeof(r->cur->message)];

        if (!has_puk(r, c) && !(c->has_rrc && cf_can_satisfy(r, &c->rrc)))
                return cf_skip(r,
                               "the description gives no way to unblock '%s', so it is not "
                               "blocked",
                               c->name);
        if (c->retries == 0)
                return cf_skip(r, "the description does not give the retries of '%s'", c->name);
        if ((v = cf_chv_ready(r, chv, c->retries)) != CF_PASS || cf_select_home(r, 0, chv) != 0)
                return v != CF_PASS ? v : CF_FAIL;
        v = block_steps(r, chv);
        snprintf(why, sizeof(why), "%s", r->cur->message);
        if (cf_warm_reset(r) != 0 || cf_select_home(r, 0, chv) != 0)
                return CF_FAIL;
        if (!cf_want(r, unblock(r, chv), 0x9000,
                     has_puk(r, c) ? "RESET RETRY COUNTER P1 00 "
                                     "with the unblock code"
                                   : "RESET RETRY COUNTER P1 03"))
                return cf_fail(r, "%s%s'%s' may be left blocked: %s", why, why[0] ? "; " : "",
                               c->name, r->cur->message);
        if (v != CF_PASS)
                return cf_fail(r, "%s", why);
        if (!cf_want(r, cf_verify(r, 0, chv, CF_CODE_RIGHT), 0x9000,
                     "VERIFY with the right code after the unblock"))
                return CF_FAIL;
        if (cf_warm_reset(r) != 0 || cf_select_home(r, 0, chv) != 0)
                return CF_FAIL;
        if (!cf_want_tries(r, cf_query(r, 0, chv), c->retries,
                           "VERIFY without data: every try back"))
                return CF_FAIL;
        return CF_PASS;
}

enum cf_verdict iso_chv_unblock_wrong(struct cf_run *r, int chv)
{
        const struct cf_chv *c = &r->card->chvs[chv];
        const struct cf_chv *p = c->puk >= 0 ? &r->card->chvs[c->puk] : NULL;
        enum cf_verdict v;

        if (!has_puk(r, c))
                return cf_skip(r, "the description gives no unblock code for '%s'", c->name);
        if (p->retries < 2)
                return cf_skip(r,
                               "the unblock code of '%s' has fewer than 2 tries (or none "
                               "given)",
                               c->name);
        if ((v = cf_chv_ready(r, chv, 0)) != CF_PASS || cf_select_home(r, 0, chv) != 0)
                return v != CF_PASS ? v : CF_FAIL;
        if (!cf_want_tries(r, rrc_puk(r, chv, CF_CODE_WRONG), p->retries - 1,
                           "RESET RETRY COUNTER with a wrong unblock code") ||
            !cf_want(r, rrc_puk(r, chv, CF_CODE_RIGHT), 0x9000,
                     "RESET RETRY COUNTER with the right unblock code"))
                return CF_FAIL;
        if (p->retries >= 3 &&
            !cf_want_tries(r, rrc_puk(r, chv, CF_CODE_WRONG), p->retries - 1,
                           "a wrong unblock code again: the right one gave every try back"))
                return CF_FAIL;
        if (p->retries >= 3 && !cf_want(r, rrc_puk(r, chv, CF_CODE_RIGHT), 0x9000,
                                        "RESET RETRY COUNTER with the right unblock code"))
                return CF_FAIL;
        return CF_PASS;
}

/* CHANGE REFERENCE DATA P1 00: first || then, both as the reference sends its codes. */
static uint16_t change(struct cf_run *r, int chv, enum cf_code first, enum cf_code then)
{
        const struct cf_chv *c = &r->card->chvs[chv];
        uint8_t data[2 * CF_CODE_MAX];
        size_t a = cf_code(c, first, data, CF_CODE_MAX);
        size_t b = cf_code(c, then, data + a, CF_CODE_MAX);
        uint16_t sw = 0;

        if (a > 0 && b > 0)
                sw = cf_cmd(r, 0x00, 0x24, 0x00, (uint8_t)c->ref, data, a + b, CF_NO_LE);
        OPENSSL_cleanse(data, sizeof(data));
        return sw;
}

/* The new code is the description's with its last character changed: same length, same format. */
static enum cf_verdict change_steps(struct cf_run *r, int chv)
{
        const struct cf_chv *c = &r->card->chvs[chv];

        if (cf_warm_reset(r) != 0 || cf_select_home(r, 0, chv) != 0)
                return CF_FAIL;
        if (!cf_want(r, cf_verify(r, 0, chv, CF_CODE_WRONG), 0x9000, "VERIFY with the new code"))
                return CF_FAIL;
        if (cf_warm_reset(r) != 0 || cf_select_home(r, 0, chv) != 0)
                return CF_FAIL;
        if (c->retries > 0 && !cf_want_tries(r, cf_verify(r, 0, chv, CF_CODE_RIGHT), c->retries - 1,
                                             "VERIFY with the old code"))
                return CF_FAIL;
        if (!cf_want(r, cf_verify(r, 0, chv, CF_CODE_WRONG), 0x9000,
                     "VERIFY with the new code (every try back)"))
                return CF_FAIL;
        return CF_PASS;
}

enum cf_verdict iso_chv_change(struct cf_run *r, int chv)
{
        const struct cf_chv *c = &r->card->chvs[chv];
        enum cf_verdict v;
        char why[sizeof(r->cur->message)];

        if ((v = cf_chv_ready(r, chv, 1)) != CF_PASS || cf_select_home(r, 0, chv) != 0)
                return v != CF_PASS ? v : CF_FAIL;
        if (!cf_want(r, change(r, chv, CF_CODE_RIGHT, CF_CODE_WRONG), 0x9000,
                     "CHANGE REFERENCE DATA old||new"))
                return CF_FAIL;
        v = change_steps(r, chv);
        snprintf(why, sizeof(why), "%s", r->cur->message);
        if (cf_warm_reset(r) != 0 || cf_select_home(r, 0, chv) != 0)
                return CF_FAIL;
        if (!cf_want(r, change(r, chv, CF_CODE_WRONG, CF_CODE_RIGHT), 0x9000,
                     "CHANGE REFERENCE DATA back to the description's code")) {
                r->chv_bad[chv] = true;
                return cf_fail(r, "%s%s'%s' may keep the test's code: %s", why, why[0] ? "; " : "",
                               c->name, r->cur->message);
        }
        if (v != CF_PASS)
                return cf_fail(r, "%s", why);
        if (!cf_want(r, cf_verify(r, 0, chv, CF_CODE_RIGHT), 0x9000,
                     "VERIFY with the description's code, changed back"))
                return CF_FAIL;
        return CF_PASS;
}

enum cf_verdict iso_chv_disable(struct cf_run *r, int chv)
{
        const struct cf_chv *c = &r->card->chvs[chv];
        uint8_t code[CF_CODE_MAX];
        const size_t n = cf_code(c, CF_CODE_RIGHT, code, sizeof(code));
        enum cf_verdict v = CF_PASS;

        if (!c->may_disable || !c->enabled)
                return cf_skip(r, "the description does not let '%s' be disabled (or has it off)",
                               c->name);
        if ((v = cf_chv_ready(r, chv, 0)) != CF_PASS || cf_select_home(r, 0, chv) != 0)
                return v != CF_PASS ? v : CF_FAIL;
        if (!cf_want(r, cf_cmd(r, 0x00, 0x26, 0x00, (uint8_t)c->ref, code, n, CF_NO_LE), 0x9000,
                     "DISABLE VERIFICATION REQUIREMENT with the code"))
                v = CF_FAIL;
        if (v == CF_PASS && (cf_warm_reset(r) != 0 || cf_select_home(r, 0, chv) != 0 ||
                             !cf_want(r, cf_query(r, 0, chv), 0x9000,
                                      "VERIFY without data, requirement off, after a reset")))
                v = CF_FAIL;
        if (!cf_want(r, cf_cmd(r, 0x00, 0x28, 0x00, (uint8_t)c->ref, code, n, CF_NO_LE), 0x9000,
                     "ENABLE VERIFICATION REQUIREMENT with the code"))
                v = CF_FAIL;
        OPENSSL_cleanse(code, sizeof(code));
        if (v != CF_PASS)
                return CF_FAIL;
        if (cf_warm_reset(r) != 0 || cf_select_home(r, 0, chv) != 0)
                return CF_FAIL;
        if (!iso_want_unverified(r, cf_query(r, 0, chv), c, 0,
                                 "VERIFY without data, requirement on again, after a reset"))
                return CF_FAIL;
        return CF_PASS;
}
