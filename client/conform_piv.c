/* SPDX-License-Identifier: MIT */
/*
 * The PIV suite (NIST SP 800-73-4): its table, and the checks of selection,
 * the PIN's VERIFY rules, what keeps and ends its verification, and the
 * access rules of the data objects.
 */
#include <string.h>

#include "conform_piv.h"

#define P2         "NIST SP 800-73-4 Part 2 "
#define C_SELECT   P2 "3.1.1 (SELECT)"
#define C_VERIFY   P2 "3.2.1 (VERIFY)"
#define C_PIN      P2 "2.4.3 (PIN format), 3.2.1 (VERIFY)"
#define C_STATUS   P2 "3.1.1 (SELECT: security status on selection)"
#define C_RESET    P2 "3.2.1 (VERIFY); ISO/IEC 7816-4:2005 5.4 (security status, card reset)"
#define C_GETDATA  P2 "3.1.2 (GET DATA); Part 1 Table 1 (containers and their access rules)"
#define C_CHANGE   P2 "3.2.2 (CHANGE REFERENCE DATA)"
#define C_RRC      P2 "3.2.1 (VERIFY), 3.2.3 (RESET RETRY COUNTER)"
#define C_MGMT     P2 "3.2.4 (GENERAL AUTHENTICATE), Appendix A (card management key)"
#define C_KEYS     P2 "3.2.4 (GENERAL AUTHENTICATE); Part 1 Table 4b (key references, PIN policies)"
#define C_GENERATE P2 "3.3.2 (GENERATE ASYMMETRIC KEY PAIR), 3.2.4"

static const uint8_t piv_aid[] = {0xa0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00};

void piv_find(const struct cf_run *r, struct piv_app *p)
{
        const struct cf_card *c = r->card;

        memset(p, 0, sizeof(*p));
        p->df = cf_card_app_df(c, "piv");
        p->pin = p->puk = -1;
        memcpy(p->aid, piv_aid, sizeof(piv_aid));
        p->aid_len = sizeof(piv_aid);
        if (p->df < 0)
                return;
        if (c->files[p->df].aid_len > 0) {
                memcpy(p->aid, c->files[p->df].aid, c->files[p->df].aid_len);
                p->aid_len = c->files[p->df].aid_len;
        }
        for (size_t i = 0; i < c->nchvs; i++) {
                if (c->chvs[i].df != p->df)
                        continue;
                if (c->chvs[i].ref == 0x80 && c->chvs[i].verifiable)
                        p->pin = (int)i;
                else if (c->chvs[i].ref == 0x81)
                        p->puk = (int)i;
        }
}

int piv_select(struct cf_run *r, const struct piv_app *p)
{
        return cf_want(r, cf_cmd_all(r, 0x00, 0xa4, 0x04, 0x00, p->aid, p->aid_len, 256), 0x9000,
                       "SELECT of the PIV application")
                   ? 0
                   : -1;
}

enum cf_verdict piv_pin_ready(struct cf_run *r, const struct piv_app *p, unsigned spend)
{
        enum cf_verdict v;

        if (p->pin < 0)
                return cf_skip(r, "the card description has no PIV PIN (reference 80) with its "
                                  "value");
        if ((v = cf_chv_ready(r, p->pin, spend)) != CF_PASS)
                return v;
        return piv_select(r, p) == 0 ? CF_PASS : CF_FAIL;
}

/* The application property template: 61 { 4F AID/PIX ... 79 { 4F ... } ... }. */
static bool has_apt(const uint8_t *d, size_t n)
{
        size_t len, i = 2;
        bool has4f = false, has79 = false;

        if (n < 2 || d[0] != 0x61)
                return false;
        len = d[1];
        if (d[1] == 0x81 && n >= 3) {
                len = d[2];
                i = 3;
        }
        if (i + len > n)
                return false;
        for (size_t end = i + len; i + 2 <= end;) {
                size_t l = d[i + 1], tl = 2;
                if (d[i] == 0x5f || d[i] == 0x7f) { /* two-byte tags: 5F50, 7F66 */
                        if (i + 3 > end)
                                break;
                        l = d[i + 2];
                        tl = 3;
                }
                has4f |= d[i] == 0x4f;
                has79 |= d[i] == 0x79;
                i += tl + l;
        }
        return has4f && has79;
}

enum cf_verdict piv_check_select(struct cf_run *r, int obj)
{
        struct piv_app p;

        (void)obj;
        piv_find(r, &p);
        if (piv_select(r, &p) != 0)
                return CF_FAIL;
        if (!has_apt(r->resp, r->rlen))
                return cf_fail(r,
                               "SELECT answered %zu bytes: wanted the application property "
                               "template 61 with 4F and 79",
                               r->rlen);
        return CF_PASS;
}

enum cf_verdict piv_check_select_truncated(struct cf_run *r, int obj)
{
        (void)obj;
        /* the right-truncated AID: the PIX without its version, as clients send it */
        if (!cf_want(r, cf_cmd_all(r, 0x00, 0xa4, 0x04, 0x00, piv_aid, 9, 256), 0x9000,
                     "SELECT by the 9-byte AID A0 00 00 03 08 00 00 10 00"))
                return CF_FAIL;
        if (!has_apt(r->resp, r->rlen))
                return cf_fail(r, "the answer is not the application property template");
        return CF_PASS;
}

enum cf_verdict piv_check_verify(struct cf_run *r, int obj)
{
        struct piv_app p;
        enum cf_verdict v;

        (void)obj;
        piv_find(r, &p);
        if ((v = piv_pin_ready(r, &p, 1)) != CF_PASS)
                return v;
        if (!cf_want_tries(r, cf_query(r, 0, p.pin), r->card->chvs[p.pin].retries,
                           "VERIFY 80 without data after a reset") ||
            !cf_want(r, cf_verify(r, 0, p.pin, CF_CODE_RIGHT), 0x9000,
                     "VERIFY 80 with the PIN padded with FF") ||
            !cf_want(r, cf_query(r, 0, p.pin), 0x9000, "VERIFY 80 without data, verified"))
                return CF_FAIL;
        return CF_PASS;
}

enum cf_verdict piv_check_p1ff(struct cf_run *r, int obj)
{
        struct piv_app p;
        enum cf_verdict v;

        (void)obj;
        piv_find(r, &p);
        if ((v = piv_pin_ready(r, &p, 1)) != CF_PASS)
                return v;
        if (!cf_want(r, cf_verify(r, 0, p.pin, CF_CODE_RIGHT), 0x9000, "VERIFY 80 with the PIN") ||
            !cf_want(r, cf_verify_ff(r, 0, p.pin), 0x9000, "VERIFY FF 80 (reset the status)") ||
            !cf_want_tries(r, cf_query(r, 0, p.pin), r->card->chvs[p.pin].retries,
                           "VERIFY 80 without data after P1=FF"))
                return CF_FAIL;
        return CF_PASS;
}

/*
 * A malformed PIN on a card described with malformed: wrong (a YubiKey): one
 * try spent, like any wrong PIN; the right PIN gives it back.
 */
static bool counted_as_wrong(struct cf_run *r, int chv, uint16_t sw, const char *what)
{
        unsigned tries = r->card->chvs[chv].retries;
        char w[128];

        if (!cf_want_tries(r, sw, tries - 1, what))
                return false;
        snprintf(w, sizeof(w), "VERIFY 80 with the PIN after %s", what);
        if (!cf_want(r, cf_verify(r, 0, chv, CF_CODE_RIGHT), 0x9000, w) ||
            !cf_want(r, cf_verify_ff(r, 0, chv), 0x9000, "VERIFY 80 P1=FF"))
                return false;
        snprintf(w, sizeof(w), "VERIFY 80 without data after the PIN gave back the try");
        return cf_want_tries(r, cf_query(r, 0, chv), tries, w);
}

/*
 * A PIN not of 6..8 digits padded with FF is refused with 6A80, before any
 * try is counted; unless the description says the card counts it as wrong.
 */
enum cf_verdict piv_check_format(struct cf_run *r, int obj)
{
        static const struct {
                enum cf_code kind;
                const char *what;
        } bad[] = {
            {CF_CODE_SHORT, "a PIN one digit shorter than 6, padded"},
            {CF_CODE_NOT_DIGIT, "a PIN with a letter in it"},
            {CF_CODE_BAD_PAD, "a PIN with a digit after the FF padding"},
        };
        struct piv_app p;
        enum cf_verdict v;
        char what[96];

        (void)obj;
        piv_find(r, &p);
        if ((v = piv_pin_ready(r, &p, 1)) != CF_PASS)
                return v;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                uint16_t sw = cf_verify(r, 0, p.pin, bad[i].kind);
                if (sw == 0 && r->failure == SCSIM_S_OK)
                        continue; /* the description's PIN leaves no room for that mistake */
                if (r->card->chvs[p.pin].malformed_wrong) {
                        if (!counted_as_wrong(r, p.pin, sw, bad[i].what))
                                return CF_FAIL;
                        continue;
                }
                if (!cf_want(r, sw, 0x6a80, bad[i].what))
                        return CF_FAIL;
                snprintf(what, sizeof(what), "VERIFY 80 without data after %s", bad[i].what);
                if (!cf_want_tries(r, cf_query(r, 0, p.pin), r->card->chvs[p.pin].retries, what))
                        return CF_FAIL;
        }
        return CF_PASS;
}

enum cf_verdict piv_check_unknown_ref(struct cf_run *r, int obj)
{
        struct piv_app p;
        enum cf_verdict v;

        (void)obj;
        piv_find(r, &p);
        /* the PIN's code is in hand: a card that ignored P2 has its try given back at the end */
        if ((v = piv_pin_ready(r, &p, 1)) != CF_PASS)
                return v;
        if (!cf_want(r, cf_cmd(r, 0x00, 0x20, 0x00, 0x8f, NULL, 0, CF_NO_LE), 0x6a88,
                     "VERIFY 8F (no PIV key reference) without data"))
                return CF_FAIL;
        return CF_PASS;
}

/* Selecting PIV again, or an AID the card lacks, leaves PIV selected and its status as it was. */
enum cf_verdict piv_check_reselect(struct cf_run *r, int obj)
{
        static const uint8_t absent[] = {0xa0, 0x00, 0x00, 0x03, 0x08, 0xee, 0xee, 0xee};
        struct piv_app p;
        enum cf_verdict v;

        (void)obj;
        piv_find(r, &p);
        if ((v = piv_pin_ready(r, &p, 1)) != CF_PASS)
                return v;
        if (!cf_want(r, cf_verify(r, 0, p.pin, CF_CODE_RIGHT), 0x9000, "VERIFY 80 with the PIN"))
                return CF_FAIL;
        if (piv_select(r, &p) != 0 || !cf_want(r, cf_query(r, 0, p.pin), 0x9000,
                                               "VERIFY 80 without data after SELECT of "
                                               "PIV again"))
                return CF_FAIL;
        if (!cf_want(r, cf_cmd_all(r, 0x00, 0xa4, 0x04, 0x00, absent, sizeof(absent), 256), 0x6a82,
                     "SELECT of an AID the card does not have") ||
            !cf_want(r, cf_query(r, 0, p.pin), 0x9000,
                     "VERIFY 80 without data after the failed SELECT"))
                return CF_FAIL;
        return CF_PASS;
}

static int other_app(const struct cf_run *r, const struct piv_app *p)
{
        for (size_t i = 1; i < r->card->nfiles; i++)
                if (r->card->files[i].is_df && (int)i != p->df && r->card->files[i].aid_len > 0)
                        return (int)i;
        return -1;
}

enum cf_verdict piv_check_deselect(struct cf_run *r, int obj)
{
        struct piv_app p;
        enum cf_verdict v;
        int other;

        (void)obj;
        piv_find(r, &p);
        if ((other = other_app(r, &p)) < 0)
                return cf_skip(r, "the description has no other application to select");
        if ((v = piv_pin_ready(r, &p, 1)) != CF_PASS)
                return v;
        if (!cf_want(r, cf_verify(r, 0, p.pin, CF_CODE_RIGHT), 0x9000, "VERIFY 80 with the PIN"))
                return CF_FAIL;
        if (cf_select_df(r, 0, other) != 0 || piv_select(r, &p) != 0)
                return CF_FAIL;
        if (!cf_want_tries(r, cf_query(r, 0, p.pin), r->card->chvs[p.pin].retries,
                           "VERIFY 80 without data after another application was selected"))
                return CF_FAIL;
        return CF_PASS;
}

enum cf_verdict piv_check_reset(struct cf_run *r, int obj)
{
        struct piv_app p;
        enum cf_verdict v;

        (void)obj;
        piv_find(r, &p);
        if ((v = piv_pin_ready(r, &p, 1)) != CF_PASS)
                return v;
        if (!cf_want(r, cf_verify(r, 0, p.pin, CF_CODE_RIGHT), 0x9000, "VERIFY 80 with the PIN"))
                return CF_FAIL;
        if (cf_warm_reset(r) != 0 || piv_select(r, &p) != 0)
                return CF_FAIL;
        if (!cf_want_tries(r, cf_query(r, 0, p.pin), r->card->chvs[p.pin].retries,
                           "VERIFY 80 without data after a warm reset"))
                return CF_FAIL;
        return CF_PASS;
}

static uint16_t get_data(struct cf_run *r, const uint8_t *tag, size_t n)
{
        uint8_t data[8] = {0x5c, (uint8_t)n};

        memcpy(data + 2, tag, n);
        return cf_cmd_all(r, 0x00, 0xcb, 0x3f, 0xff, data, 2 + n, 256);
}

enum cf_verdict piv_check_chuid(struct cf_run *r, int obj)
{
        static const uint8_t chuid[] = {0x5f, 0xc1, 0x02};
        struct piv_app p;

        (void)obj;
        piv_find(r, &p);
        if (piv_select(r, &p) != 0)
                return CF_FAIL;
        if (!cf_want(r, get_data(r, chuid, 3), 0x9000, "GET DATA of the CHUID (5FC102), no PIN"))
                return CF_FAIL;
        if (r->rlen < 2 || r->resp[0] != 0x53)
                return cf_fail(r, "the CHUID is not a 53 data object (%zu bytes)", r->rlen);
        return CF_PASS;
}

/* Containers every reader may read, and those behind the PIN (Part 1 Table 1). */
static const struct {
        uint8_t tag[3];
        bool pin;
        const char *name;
} containers[] = {
    {{0x5f, 0xc1, 0x07}, false, "CCC (5FC107)"},
    {{0x5f, 0xc1, 0x05}, false, "PIV authentication certificate (5FC105)"},
    {{0x5f, 0xc1, 0x01}, false, "card authentication certificate (5FC101)"},
    {{0x5f, 0xc1, 0x06}, false, "security object (5FC106)"},
    {{0x5f, 0xc1, 0x03}, true, "fingerprints (5FC103)"},
    {{0x5f, 0xc1, 0x08}, true, "facial image (5FC108)"},
    {{0x5f, 0xc1, 0x09}, true, "printed information (5FC109)"},
};

static enum cf_verdict access_pass(struct cf_run *r, bool verified)
{
        static const uint16_t open_ok[] = {0x9000, 0x6a82};
        static const uint16_t closed[] = {0x6982, 0x6a82};
        char what[96];

        for (size_t i = 0; i < sizeof(containers) / sizeof(containers[0]); i++) {
                const bool need = containers[i].pin && !verified;
                if (containers[i].pin != verified && verified)
                        continue;
                snprintf(what, sizeof(what), "GET DATA of the %s%s", containers[i].name,
                         need       ? " without the PIN"
                         : verified ? " with the PIN"
                                    : "");
                if (!cf_want_one(r, get_data(r, containers[i].tag, 3), need ? closed : open_ok, 2,
                                 what))
                        return CF_FAIL;
                if (need && r->rlen > 0)
                        return cf_fail(r, "%s: %zu bytes of data came with the refusal", what,
                                       r->rlen);
        }
        return CF_PASS;
}

enum cf_verdict piv_check_access(struct cf_run *r, int obj)
{
        struct piv_app p;
        enum cf_verdict v;

        (void)obj;
        piv_find(r, &p);
        if (piv_select(r, &p) != 0)
                return CF_FAIL;
        if ((v = access_pass(r, false)) != CF_PASS)
                return v;
        if (p.pin < 0 || !r->card->chvs[p.pin].has_value)
                return CF_PASS;
        if ((v = piv_pin_ready(r, &p, 0)) != CF_PASS)
                return v;
        if (!cf_want(r, cf_verify(r, 0, p.pin, CF_CODE_RIGHT), 0x9000, "VERIFY 80 with the PIN"))
                return CF_FAIL;
        return access_pass(r, true);
}

static const struct cf_check checks[] = {
    {"piv.select", "SELECT by the PIV AID answers the application property template", C_SELECT, 0,
     CF_ONCE, piv_check_select},
    {"piv.select.truncated", "SELECT by the right-truncated AID selects PIV too", C_SELECT, 0,
     CF_ONCE, piv_check_select_truncated},
    {"piv.verify", "VERIFY 80: tries left, the PIN verifies, then 9000", C_VERIFY, 0, CF_ONCE,
     piv_check_verify},
    {"piv.verify.p1ff", "VERIFY P1=FF resets the PIN's security status", C_VERIFY, 0, CF_ONCE,
     piv_check_p1ff},
    {"piv.verify.format",
     "a PIN not 6-8 digits padded with FF: 6A80, no try spent (described malformed: wrong: 63CX)",
     C_PIN, 0, CF_ONCE, piv_check_format},
    {"piv.verify.unknown-ref", "VERIFY of a key reference PIV lacks gives 6A88", C_VERIFY, 0,
     CF_ONCE, piv_check_unknown_ref},
    {"piv.status.reselect", "SELECT of PIV again, or of a missing AID, keeps the PIN verified",
     C_STATUS, 0, CF_ONCE, piv_check_reselect},
    {"piv.status.deselect", "selecting another application ends the PIN's verification", C_STATUS,
     0, CF_ONCE, piv_check_deselect},
    {"piv.status.reset", "a warm reset ends the PIN's verification", C_RESET, 0, CF_ONCE,
     piv_check_reset},
    {"piv.data.chuid", "the CHUID (mandatory) is read without the PIN", C_GETDATA, 0, CF_ONCE,
     piv_check_chuid},
    {"piv.data.access", "containers behind the PIN give 6982 until it is verified", C_GETDATA, 0,
     CF_ONCE, piv_check_access},
    {"piv.mgmt.auth", "mutual authentication with the card management key (9B)", C_MGMT, 0, CF_ONCE,
     piv_check_mgmt},
    {"piv.key.policy", "the described key slots sign under their PIN policies", C_KEYS, 0, CF_ONCE,
     piv_check_key_policy},
    {"piv.key.generate", "keys generated in 9A 9C 9D 9E sign under the slots' PIN policies",
     C_GENERATE, CF_DESTRUCTIVE, CF_ONCE, piv_check_generate},
    {"piv.pin.change", "CHANGE REFERENCE DATA 80 replaces the PIN", C_CHANGE, CF_DESTRUCTIVE,
     CF_ONCE, piv_check_pin_change},
    {"piv.pin.block", "wrong PINs block it; RESET RETRY COUNTER unblocks without verifying", C_RRC,
     CF_DESTRUCTIVE, CF_ONCE, piv_check_pin_block},
    {"piv.puk.wrong", "a wrong PUK costs a PUK try; the right one gives it back", C_RRC,
     CF_DESTRUCTIVE, CF_ONCE, piv_check_puk_wrong},
    {"piv.puk.change", "CHANGE REFERENCE DATA 81 replaces the PUK", C_CHANGE, CF_DESTRUCTIVE,
     CF_ONCE, piv_check_puk_change},
};

const struct cf_suite cf_suite_piv = {
    "piv", "NIST SP 800-73-4 (PIV)", checks, sizeof(checks) / sizeof(checks[0]), NULL,
};
