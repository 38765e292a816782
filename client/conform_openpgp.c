/* SPDX-License-Identifier: MIT */
/*
 * The OpenPGP suite (OpenPGP smart card application 3.4): a table of checks
 * of the passwords' rules (PW1 for references 81 and 82, PW3 for 83, the
 * resetting code), read through the PW status bytes of DO C4. A new check is
 * a function and a row; the codes come from the description's openpgp: section.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "conform_run.h"

#define OP       "OpenPGP card 3.4 "
#define C_SELECT "7.2.1 (SELECT)"
#define C_AID    "4.2.1 (AID), 7.2.6 (GET DATA)"
#define C_C4     "4.4.3.8 (DO C4, PW status bytes), 7.2.6 (GET DATA)"
#define C_VERIFY "7.2.2 (VERIFY), 4.3 (PW1 and PW3)"
#define C_CHANGE "7.2.3 (CHANGE REFERENCE DATA)"
#define C_RRC    "7.2.4 (RESET RETRY COUNTER), 4.3 (resetting code)"

/* The passwords in the order DO C4 gives their retry counters (bytes 5, 6, 7). */
enum op_pw { OP_PW1, OP_RC, OP_PW3 };

static const uint8_t op_rid_pix[] = {0xd2, 0x76, 0x00, 0x01, 0x24, 0x01};

static const char *const op_name[] = {"PW1", "the resetting code", "PW3"};

static const uint8_t *op_value(const struct cf_run *r, enum op_pw w, size_t *len)
{
        const struct cf_opgp *o = &r->card->opgp;

        switch (w) {
        case OP_PW1:
                *len = o->pw1_len;
                return o->has_pw1 ? o->pw1 : NULL;
        case OP_RC:
                *len = o->rc_len;
                return o->has_rc ? o->rc : NULL;
        case OP_PW3:
                *len = o->pw3_len;
                return o->has_pw3 ? o->pw3 : NULL;
        }
        return NULL;
}

/* The password, or one of the same length and kind that is not it. */
static size_t op_code(const struct cf_run *r, enum op_pw w, enum cf_code kind, uint8_t *out)
{
        size_t len = 0;
        const uint8_t *v = op_value(r, w, &len);

        if (v == NULL || len == 0)
                return 0;
        memcpy(out, v, len);
        if (kind == CF_CODE_WRONG && out[len - 1] >= '0' && out[len - 1] <= '9')
                out[len - 1] = (uint8_t)('0' + (out[len - 1] - '0' + 1) % 10);
        else if (kind == CF_CODE_WRONG)
                out[len - 1] ^= 0x01;
        return len;
}

static uint16_t op_verify(struct cf_run *r, uint8_t ref, enum cf_code kind)
{
        uint8_t code[CF_CODE_MAX];
        const size_t n = op_code(r, ref == 0x83 ? OP_PW3 : OP_PW1, kind, code);

        r->app_touched[ref == 0x83 ? OP_PW3 : OP_PW1] = true;
        uint16_t sw = n > 0 ? cf_cmd(r, 0x00, 0x20, 0x00, ref, code, n, CF_NO_LE) : 0;

        OPENSSL_cleanse(code, sizeof(code));
        return sw;
}

static uint16_t op_query(struct cf_run *r, uint8_t ref)
{
        return cf_cmd(r, 0x00, 0x20, 0x00, ref, NULL, 0, CF_NO_LE);
}

static int op_select(struct cf_run *r)
{
        const int df = cf_card_app_df(r->card, "openpgp");
        const struct cf_file *f = df >= 0 ? &r->card->files[df] : NULL;
        const uint8_t *aid = f != NULL && f->aid_len > 0 ? f->aid : op_rid_pix;
        const size_t n = f != NULL && f->aid_len > 0 ? f->aid_len : sizeof(op_rid_pix);

        return cf_want(r, cf_cmd_all(r, 0x00, 0xa4, 0x04, 0x00, aid, n, 256), 0x9000,
                       "SELECT of the OpenPGP application")
                   ? 0
                   : -1;
}

/* DO C4 (7 bytes): PW1 valid for one signature or several, 3 lengths, 3 retry counters. */
static int op_c4(struct cf_run *r, uint8_t c4[7])
{
        if (!cf_want(r, cf_cmd_all(r, 0x00, 0xca, 0x00, 0xc4, NULL, 0, 256), 0x9000,
                     "GET DATA of DO C4"))
                return -1;
        if (r->rlen != 7) {
                cf_fail(r, "DO C4 has %zu bytes, wanted 7", r->rlen);
                return -1;
        }
        memcpy(c4, r->resp, 7);
        return 0;
}

static bool want_counter(struct cf_run *r, enum op_pw w, unsigned want, const char *when)
{
        uint8_t c4[7];

        if (op_c4(r, c4) != 0)
                return false;
        if (c4[4 + w] == want)
                return true;
        cf_fail(r, "DO C4 %s: the counter of %s is %u, wanted %u", when, op_name[w], c4[4 + w],
                want);
        return false;
}

/*
 * Like cf_chv_ready for a password the application keeps: the code is
 * presented (a counter a card spent wrongly is full again), the card reset,
 * the application selected. *max gets the counter DO C4 then shows.
 */
static enum cf_verdict op_ready(struct cf_run *r, enum op_pw w, unsigned spend, unsigned *max)
{
        size_t len;
        uint8_t c4[7];
        const uint8_t ref = w == OP_PW3 ? 0x83 : 0x82;

        if (op_value(r, w, &len) == NULL || w == OP_RC)
                return cf_skip(r, "the card description gives no %s (openpgp:)", op_name[w]);
        if (r->app_bad[w])
                return cf_skip(r, "the card refused the description's %s earlier", op_name[w]);
        if (op_select(r) != 0 || op_c4(r, c4) != 0)
                return CF_FAIL;
        if (c4[4 + w] < 2) {
                r->app_bad[w] = true;
                return cf_skip(r,
                               "%s has %u tries left: the description's code is not "
                               "presented (a wrong one would block it)",
                               op_name[w], c4[4 + w]);
        }
        if (spend > 0 && c4[4 + w] <= spend && !r->destructive)
                return cf_skip(r, "%s has %u tries left: the check could spend %u (--destructive)",
                               op_name[w], c4[4 + w], spend);
        if (!cf_want(r, op_verify(r, ref, CF_CODE_RIGHT), 0x9000,
                     "VERIFY with the description's "
                     "code")) {
                r->app_bad[w] = true;
                return CF_FAIL;
        }
        if (op_c4(r, c4) != 0 || cf_warm_reset(r) != 0 || op_select(r) != 0)
                return CF_FAIL;
        *max = c4[4 + w];
        return CF_PASS;
}

static bool not_verified(struct cf_run *r, uint16_t sw, const char *what)
{
        if ((sw & 0xfff0) == 0x63c0)
                return true;
        cf_fail(r, "%s: wanted 63CX (not verified), got %04X", what, sw);
        return false;
}

/* A wrong password: 63CX with the tries left, or 6982 as earlier cards say it; DO C4 counts. */
static bool want_wrong(struct cf_run *r, uint16_t sw, unsigned left, const char *what)
{
        const uint16_t ok[] = {(uint16_t)(0x63c0 | (left & 0xf)), 0x6982};

        return cf_want_one(r, sw, ok, 2, what);
}

static enum cf_verdict op_check_select(struct cf_run *r, int obj)
{
        (void)obj;
        if (!cf_want(r, cf_cmd_all(r, 0x00, 0xa4, 0x04, 0x00, op_rid_pix, sizeof(op_rid_pix), 256),
                     0x9000, "SELECT by RID and PIX, D2 76 00 01 24 01"))
                return CF_FAIL;
        return CF_PASS;
}

static enum cf_verdict op_check_aid(struct cf_run *r, int obj)
{
        (void)obj;
        if (op_select(r) != 0 || !cf_want(r, cf_cmd_all(r, 0x00, 0xca, 0x00, 0x4f, NULL, 0, 256),
                                          0x9000, "GET DATA of DO 4F"))
                return CF_FAIL;
        if (r->rlen != 16 || memcmp(r->resp, op_rid_pix, sizeof(op_rid_pix)) != 0)
                return cf_fail(r, "DO 4F: wanted 16 bytes starting D2 76 00 01 24 01, got %zu",
                               r->rlen);
        return CF_PASS;
}

static enum cf_verdict op_check_c4(struct cf_run *r, int obj)
{
        const struct cf_opgp *o = &r->card->opgp;
        uint8_t c4[7];

        (void)obj;
        if (op_select(r) != 0 || op_c4(r, c4) != 0)
                return CF_FAIL;
        if (c4[0] > 1)
                return cf_fail(r, "DO C4 byte 1 is %02X, wanted 00 or 01", c4[0]);
        if (o->signature_pin >= 0 && c4[0] != o->signature_pin)
                return cf_fail(r,
                               "DO C4 byte 1 is %02X; the description says PW1 is valid for "
                               "%s signature",
                               c4[0], o->signature_pin ? "more than one" : "one");
        if (!not_verified(r, op_query(r, 0x82), "VERIFY 82 without data after a reset"))
                return CF_FAIL;
        return CF_PASS;
}

/* 81 and 82 are separate statuses of the same password. */
static enum cf_verdict op_check_pw1(struct cf_run *r, uint8_t ref, uint8_t other)
{
        unsigned max = 0;
        enum cf_verdict v = op_ready(r, OP_PW1, 1, &max);
        char what[64];

        if (v != CF_PASS)
                return v;
        snprintf(what, sizeof(what), "VERIFY %02X with PW1", ref);
        if (!cf_want(r, op_verify(r, ref, CF_CODE_RIGHT), 0x9000, what))
                return CF_FAIL;
        snprintf(what, sizeof(what), "VERIFY %02X without data, verified", ref);
        if (!cf_want(r, op_query(r, ref), 0x9000, what))
                return CF_FAIL;
        snprintf(what, sizeof(what), "VERIFY %02X without data after VERIFY %02X", other, ref);
        return not_verified(r, op_query(r, other), what) ? CF_PASS : CF_FAIL;
}

static enum cf_verdict op_check_82(struct cf_run *r, int obj)
{
        (void)obj;
        return op_check_pw1(r, 0x82, 0x81);
}

static enum cf_verdict op_check_81(struct cf_run *r, int obj)
{
        (void)obj;
        return op_check_pw1(r, 0x81, 0x82);
}

static enum cf_verdict op_check_pw3(struct cf_run *r, int obj)
{
        unsigned max = 0;
        enum cf_verdict v = op_ready(r, OP_PW3, 1, &max);

        (void)obj;
        if (v != CF_PASS)
                return v;
        if (!cf_want(r, op_verify(r, 0x83, CF_CODE_RIGHT), 0x9000, "VERIFY 83 with PW3") ||
            !cf_want(r, op_query(r, 0x83), 0x9000, "VERIFY 83 without data, verified") ||
            !cf_want(r, cf_cmd(r, 0x00, 0x20, 0xff, 0x83, NULL, 0, CF_NO_LE), 0x9000,
                     "VERIFY FF 83") ||
            !not_verified(r, op_query(r, 0x83), "VERIFY 83 without data after P1=FF"))
                return CF_FAIL;
        return CF_PASS;
}

static enum cf_verdict op_check_p1ff(struct cf_run *r, int obj)
{
        unsigned max = 0;
        enum cf_verdict v = op_ready(r, OP_PW1, 1, &max);

        (void)obj;
        if (v != CF_PASS)
                return v;
        if (!cf_want(r, op_verify(r, 0x82, CF_CODE_RIGHT), 0x9000, "VERIFY 82 with PW1") ||
            !cf_want(r, cf_cmd(r, 0x00, 0x20, 0xff, 0x82, NULL, 0, CF_NO_LE), 0x9000,
                     "VERIFY FF 82") ||
            !not_verified(r, op_query(r, 0x82), "VERIFY 82 without data after P1=FF"))
                return CF_FAIL;
        return CF_PASS;
}

static enum cf_verdict op_check_reset(struct cf_run *r, int obj)
{
        unsigned max = 0;
        enum cf_verdict v = op_ready(r, OP_PW1, 1, &max);

        (void)obj;
        if (v != CF_PASS)
                return v;
        if (!cf_want(r, op_verify(r, 0x82, CF_CODE_RIGHT), 0x9000, "VERIFY 82 with PW1"))
                return CF_FAIL;
        if (cf_warm_reset(r) != 0 || op_select(r) != 0)
                return CF_FAIL;
        return not_verified(r, op_query(r, 0x82), "VERIFY 82 without data after a warm reset")
                   ? CF_PASS
                   : CF_FAIL;
}

/* A wrong password costs one try, as DO C4 shows; the right one gives it back. */
static enum cf_verdict op_counter(struct cf_run *r, enum op_pw w)
{
        const uint8_t ref = w == OP_PW3 ? 0x83 : 0x82;
        unsigned max = 0;
        enum cf_verdict v = op_ready(r, w, 1, &max);
        char what[64];

        if (v != CF_PASS)
                return v;
        if (max < 2)
                return cf_skip(r, "%s has %u tries: a wrong one could block it", op_name[w], max);
        snprintf(what, sizeof(what), "VERIFY %02X with a wrong %s", ref, op_name[w]);
        if (!want_wrong(r, op_verify(r, ref, CF_CODE_WRONG), max - 1, what) ||
            !want_counter(r, w, max - 1, "after the wrong try"))
                return CF_FAIL;
        if (!cf_want(r, op_verify(r, ref, CF_CODE_RIGHT), 0x9000, "VERIFY with the right code") ||
            !want_counter(r, w, max, "after the right code"))
                return CF_FAIL;
        return CF_PASS;
}

static enum cf_verdict op_check_pw1_counter(struct cf_run *r, int obj)
{
        (void)obj;
        return op_counter(r, OP_PW1);
}

static enum cf_verdict op_check_pw3_counter(struct cf_run *r, int obj)
{
        (void)obj;
        return op_counter(r, OP_PW3);
}

/* ---- --destructive: block, unblock, change ----------------------------------- */

static bool block_pw1(struct cf_run *r, unsigned max)
{
        char what[48];

        for (unsigned i = 1; i <= max; i++) {
                snprintf(what, sizeof(what), "wrong PW1 %u of %u", i, max);
                if (!want_wrong(r, op_verify(r, 0x82, CF_CODE_WRONG), max - i, what))
                        return false;
        }
        return want_counter(r, OP_PW1, 0, "with PW1 blocked") &&
               cf_want(r, op_verify(r, 0x82, CF_CODE_RIGHT), 0x6983, "PW1 once blocked");
}

/* RESET RETRY COUNTER P1 02 after PW3: a new PW1 (here the same), unblocked, not verified. */
static enum cf_verdict op_check_unblock_pw3(struct cf_run *r, int obj)
{
        uint8_t pw1[CF_CODE_MAX];
        unsigned max = 0;
        size_t n;
        enum cf_verdict v = op_ready(r, OP_PW1, 0, &max);
        uint16_t sw;

        (void)obj;
        if (v != CF_PASS)
                return v;
        if (op_value(r, OP_PW3, &n) == NULL)
                return cf_skip(r, "the card description gives no PW3 to unblock PW1 with");
        v = block_pw1(r, max) ? CF_PASS : CF_FAIL;
        if (!cf_want(r, op_verify(r, 0x83, CF_CODE_RIGHT), 0x9000, "VERIFY 83 with PW3"))
                return cf_fail(r, "PW1 may be left blocked: %s", r->cur->message);
        n = op_code(r, OP_PW1, CF_CODE_RIGHT, pw1);
        sw = cf_cmd(r, 0x00, 0x2c, 0x02, 0x81, pw1, n, CF_NO_LE);
        OPENSSL_cleanse(pw1, sizeof(pw1));
        if (!cf_want(r, sw, 0x9000, "RESET RETRY COUNTER 02 81 with the new PW1"))
                return cf_fail(r, "PW1 may be left blocked: %s", r->cur->message);
        if (v != CF_PASS || !want_counter(r, OP_PW1, max, "after the unblock") ||
            !not_verified(r, op_query(r, 0x82), "VERIFY 82 without data after the unblock") ||
            !cf_want(r, op_verify(r, 0x82, CF_CODE_RIGHT), 0x9000, "VERIFY 82 with PW1"))
                return CF_FAIL;
        return CF_PASS;
}

/* RESET RETRY COUNTER P1 00: resetting code || new PW1, counted on the code's own counter. */
static enum cf_verdict op_check_unblock_rc(struct cf_run *r, int obj)
{
        uint8_t data[2 * CF_CODE_MAX];
        unsigned max = 0;
        size_t a, b;
        enum cf_verdict v;
        uint16_t sw;

        (void)obj;
        if (!r->card->opgp.has_rc)
                return cf_skip(r, "the card description gives no resetting code");
        if ((v = op_ready(r, OP_PW1, 0, &max)) != CF_PASS)
                return v;
        v = block_pw1(r, max) ? CF_PASS : CF_FAIL;
        a = op_code(r, OP_RC, CF_CODE_RIGHT, data);
        b = op_code(r, OP_PW1, CF_CODE_RIGHT, data + a);
        sw = cf_cmd(r, 0x00, 0x2c, 0x00, 0x81, data, a + b, CF_NO_LE);
        OPENSSL_cleanse(data, sizeof(data));
        if (!cf_want(r, sw, 0x9000, "RESET RETRY COUNTER 00 81 with the resetting code"))
                return cf_fail(r, "PW1 may be left blocked: %s", r->cur->message);
        if (v != CF_PASS || !want_counter(r, OP_PW1, max, "after the unblock") ||
            !not_verified(r, op_query(r, 0x82), "VERIFY 82 without data after the unblock"))
                return CF_FAIL;
        return CF_PASS;
}

static uint16_t op_change(struct cf_run *r, enum op_pw w, enum cf_code from, enum cf_code to)
{
        uint8_t data[2 * CF_CODE_MAX];
        const size_t a = op_code(r, w, from, data);
        const size_t b = op_code(r, w, to, data + a);
        uint16_t sw = cf_cmd(r, 0x00, 0x24, 0x00, w == OP_PW3 ? 0x83 : 0x81, data, a + b, CF_NO_LE);

        OPENSSL_cleanse(data, sizeof(data));
        return sw;
}

static enum cf_verdict op_change_check(struct cf_run *r, enum op_pw w)
{
        const uint8_t ref = w == OP_PW3 ? 0x83 : 0x82;
        unsigned max = 0;
        enum cf_verdict v = op_ready(r, w, 1, &max);

        if (v != CF_PASS)
                return v;
        if (!cf_want(r, op_change(r, w, CF_CODE_RIGHT, CF_CODE_WRONG), 0x9000,
                     "CHANGE REFERENCE DATA old||new"))
                return CF_FAIL;
        v = cf_warm_reset(r) == 0 && op_select(r) == 0 &&
                    cf_want(r, op_verify(r, ref, CF_CODE_WRONG), 0x9000, "VERIFY with the new code")
                ? CF_PASS
                : CF_FAIL;
        if (!cf_want(r, op_change(r, w, CF_CODE_WRONG, CF_CODE_RIGHT), 0x9000,
                     "CHANGE REFERENCE DATA back to the description's code")) {
                r->app_bad[w] = true;
                return cf_fail(r, "%s may keep the test's value: %s", op_name[w], r->cur->message);
        }
        if (v == CF_PASS && !cf_want(r, op_verify(r, ref, CF_CODE_RIGHT), 0x9000,
                                     "VERIFY with the code changed "
                                     "back"))
                return CF_FAIL;
        return v;
}

static enum cf_verdict op_check_change_pw1(struct cf_run *r, int obj)
{
        (void)obj;
        return op_change_check(r, OP_PW1);
}

static enum cf_verdict op_check_change_pw3(struct cf_run *r, int obj)
{
        (void)obj;
        return op_change_check(r, OP_PW3);
}

/* After each check: PW1 and PW3 get their tries back if it touched them (cf_suite.restore). */
static void op_restore(struct cf_run *r)
{
        static const uint8_t refs[] = {0x82, 0, 0x83};
        uint8_t c4[7];

        for (enum op_pw w = OP_PW1; w <= OP_PW3; w++) {
                size_t len;
                if (refs[w] == 0 || !r->app_touched[w] || r->app_bad[w] ||
                    op_value(r, w, &len) == NULL)
                        continue;
                if (cf_warm_reset(r) != 0 || op_select(r) != 0 || op_c4(r, c4) != 0)
                        return;
                if (c4[4 + w] < 2)
                        r->app_bad[w] = true;
                else
                        op_verify(r, refs[w], CF_CODE_RIGHT);
        }
}

static const struct cf_check checks[] = {
    {"openpgp.select", "SELECT by RID and PIX (D2 76 00 01 24 01)", OP C_SELECT, 0, CF_ONCE,
     op_check_select},
    {"openpgp.aid", "DO 4F is the full 16-byte AID", OP C_AID, 0, CF_ONCE, op_check_aid},
    {"openpgp.pw-status", "DO C4 has 7 bytes, byte 1 as described; PW1 starts unverified", OP C_C4,
     0, CF_ONCE, op_check_c4},
    {"openpgp.verify.82", "VERIFY 82 with PW1; 81 stays unverified", OP C_VERIFY, 0, CF_ONCE,
     op_check_82},
    {"openpgp.verify.81", "VERIFY 81 with PW1; 82 stays unverified", OP C_VERIFY, 0, CF_ONCE,
     op_check_81},
    {"openpgp.verify.83", "VERIFY 83 with PW3; P1=FF resets it", OP C_VERIFY, 0, CF_ONCE,
     op_check_pw3},
    {"openpgp.verify.p1ff", "VERIFY P1=FF resets PW1's status", OP C_VERIFY, 0, CF_ONCE,
     op_check_p1ff},
    {"openpgp.verify.reset", "a warm reset ends PW1's verification", OP C_VERIFY, 0, CF_ONCE,
     op_check_reset},
    {"openpgp.pw1.counter", "a wrong PW1 costs a try (63CX and DO C4), the right one restores",
     OP C_VERIFY ", " C_C4, 0, CF_ONCE, op_check_pw1_counter},
    {"openpgp.pw3.counter", "a wrong PW3 costs a try (63CX and DO C4), the right one restores",
     OP C_VERIFY ", " C_C4, 0, CF_ONCE, op_check_pw3_counter},
    {"openpgp.pw1.unblock-pw3", "blocked PW1: RESET RETRY COUNTER 02 81 after PW3", OP C_RRC,
     CF_DESTRUCTIVE, CF_ONCE, op_check_unblock_pw3},
    {"openpgp.pw1.unblock-rc", "blocked PW1: RESET RETRY COUNTER 00 81 with the resetting code",
     OP C_RRC, CF_DESTRUCTIVE, CF_ONCE, op_check_unblock_rc},
    {"openpgp.pw1.change", "CHANGE REFERENCE DATA 81 replaces PW1", OP C_CHANGE, CF_DESTRUCTIVE,
     CF_ONCE, op_check_change_pw1},
    {"openpgp.pw3.change", "CHANGE REFERENCE DATA 83 replaces PW3", OP C_CHANGE, CF_DESTRUCTIVE,
     CF_ONCE, op_check_change_pw3},
};

const struct cf_suite cf_suite_openpgp = {
    "openpgp",  "OpenPGP smart card application 3.4", checks, sizeof(checks) / sizeof(checks[0]),
    op_restore,
};
