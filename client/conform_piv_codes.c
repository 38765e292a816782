/* SPDX-License-Identifier: MIT */
/*
 * PIV checks that change the PIN or the PUK (--destructive only): CHANGE
 * REFERENCE DATA, blocking, RESET RETRY COUNTER. Each ends with the
 * description's codes back in place, or says that it could not.
 */
#include <openssl/crypto.h>

#include "conform_piv.h"

/* INS with two codes: first the one of reference a (kind ka), then the one of b (kind kb). */
static uint16_t two_codes(struct cf_run *r, uint8_t ins, uint8_t p2, int a, enum cf_code ka, int b,
                          enum cf_code kb)
{
        uint8_t data[2 * CF_CODE_MAX];
        const size_t na = cf_code(&r->card->chvs[a], ka, data, CF_CODE_MAX);
        const size_t nb = cf_code(&r->card->chvs[b], kb, data + na, CF_CODE_MAX);
        uint16_t sw = 0;

        if (na > 0 && nb > 0)
                sw = cf_cmd(r, 0x00, ins, 0x00, p2, data, na + nb, CF_NO_LE);
        OPENSSL_cleanse(data, sizeof(data));
        return sw;
}

static enum cf_verdict need_puk(struct cf_run *r, const struct piv_app *p, unsigned tries)
{
        if (p->puk < 0 || !r->card->chvs[p->puk].has_value)
                return cf_skip(r, "the card description has no PUK (reference 81) with its value");
        if (r->card->chvs[p->puk].retries < tries)
                return cf_skip(r, "the PUK's retries are not given or fewer than %u", tries);
        return CF_PASS;
}

static bool reselect(struct cf_run *r, const struct piv_app *p)
{
        return cf_warm_reset(r) == 0 && piv_select(r, p) == 0;
}

enum cf_verdict piv_check_pin_change(struct cf_run *r, int obj)
{
        struct piv_app p;
        enum cf_verdict v;
        const struct cf_chv *pin;

        (void)obj;
        piv_find(r, &p);
        if ((v = piv_pin_ready(r, &p, 1)) != CF_PASS)
                return v;
        pin = &r->card->chvs[p.pin];
        if (!cf_want(r, two_codes(r, 0x24, 0x80, p.pin, CF_CODE_RIGHT, p.pin, CF_CODE_WRONG),
                     0x9000, "CHANGE REFERENCE DATA 80 old||new"))
                return CF_FAIL;
        v = CF_PASS;
        if (!reselect(r, &p) ||
            !cf_want(r, cf_verify(r, 0, p.pin, CF_CODE_WRONG), 0x9000, "VERIFY with the new PIN") ||
            !reselect(r, &p) ||
            !cf_want_tries(r, cf_verify(r, 0, p.pin, CF_CODE_RIGHT), pin->retries - 1,
                           "VERIFY with the old PIN") ||
            !cf_want(r, cf_verify(r, 0, p.pin, CF_CODE_WRONG), 0x9000, "VERIFY with the new PIN"))
                v = CF_FAIL;
        if (!cf_want(r, two_codes(r, 0x24, 0x80, p.pin, CF_CODE_WRONG, p.pin, CF_CODE_RIGHT),
                     0x9000, "CHANGE REFERENCE DATA 80 back to the description's PIN")) {
                r->chv_bad[p.pin] = true;
                return cf_fail(r, "the PIN may keep the test's value: %s", r->cur->message);
        }
        return v;
}

enum cf_verdict piv_check_pin_block(struct cf_run *r, int obj)
{
        struct piv_app p;
        enum cf_verdict v;
        const struct cf_chv *pin;
        char what[48];

        (void)obj;
        piv_find(r, &p);
        if ((v = need_puk(r, &p, 1)) != CF_PASS)
                return v;
        if ((v = piv_pin_ready(r, &p, p.pin >= 0 ? r->card->chvs[p.pin].retries : 0)) != CF_PASS)
                return v;
        pin = &r->card->chvs[p.pin];
        for (unsigned i = 1; i <= pin->retries; i++) {
                snprintf(what, sizeof(what), "wrong PIN %u of %u", i, pin->retries);
                if (!cf_want_tries(r, cf_verify(r, 0, p.pin, CF_CODE_WRONG), pin->retries - i,
                                   what))
                        v = CF_FAIL;
        }
        if (v == CF_PASS && (!cf_want(r, cf_verify(r, 0, p.pin, CF_CODE_RIGHT), 0x6983,
                                      "the right PIN once blocked") ||
                             !cf_want(r, cf_query(r, 0, p.pin), 0x6983,
                                      "VERIFY 80 without data, "
                                      "blocked")))
                v = CF_FAIL;
        if (!cf_want(r, two_codes(r, 0x2c, 0x80, p.puk, CF_CODE_RIGHT, p.pin, CF_CODE_RIGHT),
                     0x9000, "RESET RETRY COUNTER 80 with PUK||PIN"))
                return cf_fail(r, "the PIN may be left blocked: %s", r->cur->message);
        if (v != CF_PASS)
                return v;
        if (!cf_want_tries(r, cf_query(r, 0, p.pin), pin->retries,
                           "VERIFY 80 without data after the unblock (not verified, every try)") ||
            !cf_want(r, cf_verify(r, 0, p.pin, CF_CODE_RIGHT), 0x9000, "VERIFY with the PIN"))
                return CF_FAIL;
        return CF_PASS;
}

enum cf_verdict piv_check_puk_wrong(struct cf_run *r, int obj)
{
        struct piv_app p;
        enum cf_verdict v;

        (void)obj;
        piv_find(r, &p);
        if ((v = need_puk(r, &p, 2)) != CF_PASS || (v = piv_pin_ready(r, &p, 0)) != CF_PASS)
                return v;
        if (!cf_want_tries(r, two_codes(r, 0x2c, 0x80, p.puk, CF_CODE_WRONG, p.pin, CF_CODE_RIGHT),
                           r->card->chvs[p.puk].retries - 1,
                           "RESET RETRY COUNTER 80 with a wrong PUK") ||
            !cf_want(r, two_codes(r, 0x2c, 0x80, p.puk, CF_CODE_RIGHT, p.pin, CF_CODE_RIGHT),
                     0x9000, "RESET RETRY COUNTER 80 with the right PUK"))
                return CF_FAIL;
        return CF_PASS;
}

enum cf_verdict piv_check_puk_change(struct cf_run *r, int obj)
{
        struct piv_app p;
        enum cf_verdict v;

        (void)obj;
        piv_find(r, &p);
        if ((v = need_puk(r, &p, 2)) != CF_PASS || (v = piv_pin_ready(r, &p, 0)) != CF_PASS)
                return v;
        if (!cf_want(r, two_codes(r, 0x24, 0x81, p.puk, CF_CODE_RIGHT, p.puk, CF_CODE_WRONG),
                     0x9000, "CHANGE REFERENCE DATA 81 old||new"))
                return CF_FAIL;
        v = CF_PASS;
        if (!cf_want(r, two_codes(r, 0x2c, 0x80, p.puk, CF_CODE_WRONG, p.pin, CF_CODE_RIGHT),
                     0x9000, "RESET RETRY COUNTER 80 with the new PUK") ||
            !cf_want_tries(r, two_codes(r, 0x2c, 0x80, p.puk, CF_CODE_RIGHT, p.pin, CF_CODE_RIGHT),
                           r->card->chvs[p.puk].retries - 1,
                           "RESET RETRY COUNTER 80 with the old PUK"))
                v = CF_FAIL;
        if (!cf_want(r, two_codes(r, 0x24, 0x81, p.puk, CF_CODE_WRONG, p.puk, CF_CODE_RIGHT),
                     0x9000, "CHANGE REFERENCE DATA 81 back to the description's PUK"))
                return cf_fail(r, "the PUK may keep the test's value: %s", r->cur->message);
        if (v == CF_PASS &&
            !cf_want(r, two_codes(r, 0x2c, 0x80, p.puk, CF_CODE_RIGHT, p.pin, CF_CODE_RIGHT),
                     0x9000, "RESET RETRY COUNTER 80 with the PUK changed back"))
                return CF_FAIL;
        return v;
}
