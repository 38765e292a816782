/* SPDX-License-Identifier: MIT */
/*
 * The ISCardVerify client without pcscd: the HRESULT mapping, the APDUs each
 * method sends, and the ResetSecurityState strategy, over a transport that
 * feeds the real simulated card and can misbehave on request.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <scsim/scsim.h>
#include <scsim/iscardverify.h>

/* ---- the mapping ---- */

struct sw_row {
        uint16_t sw;
        int was_query;
        scsim_hresult hr;
};

static const struct sw_row sw_rows[] = {
    {0x9000, 0, SCSIM_S_OK},
    {0x9000, 1, SCSIM_S_OK},
    {0x63c0, 0, SCSIM_SCARD_W_WRONG_CHV},
    {0x63c2, 0, SCSIM_SCARD_W_WRONG_CHV},
    {0x63cf, 0, SCSIM_SCARD_W_WRONG_CHV},
    {0x6300, 0, SCSIM_SCARD_W_WRONG_CHV},
    {0x63c3, 1, SCSIM_SCARD_W_CARD_NOT_AUTHENTICATED},
    {0x6300, 1, SCSIM_SCARD_W_CARD_NOT_AUTHENTICATED},
    {0x6983, 0, SCSIM_SCARD_W_CHV_BLOCKED},
    {0x6983, 1, SCSIM_SCARD_W_CHV_BLOCKED},
    {0x6982, 0, SCSIM_SCARD_W_SECURITY_VIOLATION},
    {0x6984, 0, SCSIM_SCARD_W_SECURITY_VIOLATION},
    {0x6985, 0, SCSIM_SCARD_W_SECURITY_VIOLATION},
    {0x6a88, 0, SCSIM_SCARD_E_INVALID_CHV},
    {0x6a88, 1, SCSIM_SCARD_E_INVALID_CHV},
    {0x6a80, 0, SCSIM_SCARD_E_INVALID_VALUE},
    {0x6a86, 0, SCSIM_SCARD_E_UNEXPECTED},
    {0x6d00, 0, SCSIM_SCARD_E_UNEXPECTED},
    {0x6400, 0, SCSIM_SCARD_E_UNEXPECTED},
    {0x63d0, 0, SCSIM_SCARD_E_UNEXPECTED}, /* not a counter */
};

static void test_sw_table(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(sw_rows) / sizeof(sw_rows[0]); i++) {
                scsim_hresult got = scsim_hresult_from_sw(sw_rows[i].sw, sw_rows[i].was_query);
                if (got != sw_rows[i].hr)
                        fail_msg("SW %04X (query %d): got 0x%08X, want 0x%08X", sw_rows[i].sw,
                                 sw_rows[i].was_query, got, sw_rows[i].hr);
        }
}

struct pcsc_row {
        int64_t rc;
        scsim_hresult hr;
};

static const struct pcsc_row pcsc_rows[] = {
    {0, SCSIM_S_OK},
    {0x8010000CLL, SCSIM_SCARD_E_NO_SMARTCARD},
    {0x80100068LL, SCSIM_SCARD_W_RESET_CARD},
    {0x80100069LL, SCSIM_SCARD_W_REMOVED_CARD},
    {0x8010001DLL, 0x8010001Du},
    {(int64_t)(int32_t)0x80100069u, SCSIM_SCARD_W_REMOVED_CARD}, /* 32-bit LONG */
    {1, SCSIM_SCARD_F_UNKNOWN_ERROR},
    {0x80070057LL, SCSIM_SCARD_F_UNKNOWN_ERROR},
    {-1, SCSIM_SCARD_F_UNKNOWN_ERROR},
};

static void test_pcsc_table(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(pcsc_rows) / sizeof(pcsc_rows[0]); i++) {
                scsim_hresult got = scsim_hresult_from_pcsc(pcsc_rows[i].rc);
                if (got != pcsc_rows[i].hr)
                        fail_msg("row %zu: got 0x%08X, want 0x%08X", i, got, pcsc_rows[i].hr);
        }
}

static void test_names(void **state)
{
        (void)state;
        assert_string_equal(scsim_hresult_name(SCSIM_S_OK), "S_OK");
        assert_string_equal(scsim_hresult_name(0x8010006Bu), "SCARD_W_WRONG_CHV");
        assert_string_equal(scsim_hresult_name(0x8010006Fu), "SCARD_W_CARD_NOT_AUTHENTICATED");
        assert_string_equal(scsim_hresult_name(0x8010002Au), "SCARD_E_INVALID_CHV");
        assert_string_equal(scsim_hresult_name(0x80070057u), "E_INVALIDARG");
        assert_string_equal(scsim_hresult_name(0x12345678u), "UNKNOWN_HRESULT");
        assert_true(SCSIM_FAILED(SCSIM_SCARD_W_WRONG_CHV));
        assert_true(SCSIM_SUCCEEDED(SCSIM_S_OK));
}

/* ---- a transport to the simulated card that misbehaves on request ---- */

#define LOG_MAX 128

struct fake {
        scsim_profile *prof;
        scsim_card *card;
        uint16_t ff_sw;     /* answer VERIFY P1=FF with this instead of the card */
        int ff_noop;        /* answer VERIFY P1=FF with 9000 and do nothing */
        int reset_by_other; /* next transmit: someone else reset the card */
        int split_at;       /* answers longer than this come as 61xx pieces */
        int endless;        /* every answer is 6101 with one byte */
        scsim_hresult fail; /* every transmit fails with this */
        scsim_hresult reconnect_fail;
        int reconnect_leave, reconnect_reset, closes;
        /* the next APDU with INS stage_ins gets stage_sw without reaching the card, and a
         * GET RESPONSE after it gets stage_gr_sw */
        uint8_t stage_ins;
        uint16_t stage_sw, stage_gr_sw;
        size_t nsent; /* every APDU the client sent, the staged ones included */
        uint8_t sent[8][300];
        size_t sentlen[8];
        uint8_t pending[300];
        size_t npending;
        uint8_t log[LOG_MAX][4]; /* CLA INS P1 P2 of every APDU the card saw */
        uint8_t logdata[LOG_MAX][40];
        size_t loglen[LOG_MAX];
        size_t nlog;
};

static scsim_hresult fake_transmit(void *ctx, const uint8_t *c, size_t clen, uint8_t *r, size_t cap,
                                   size_t *rlen)
{
        struct fake *f = ctx;
        uint8_t full[300];
        size_t n = 0;

        *rlen = 0;
        if (f->fail != 0)
                return f->fail;
        if (f->nsent < 8 && clen <= sizeof(f->sent[0])) {
                memcpy(f->sent[f->nsent], c, clen);
                f->sentlen[f->nsent] = clen;
        }
        f->nsent++;
        if (clen >= 4 && (f->stage_sw != 0 && c[1] == f->stage_ins)) {
                r[0] = (uint8_t)(f->stage_sw >> 8);
                r[1] = (uint8_t)f->stage_sw;
                *rlen = 2;
                f->stage_sw = 0;
                return SCSIM_S_OK;
        }
        if (clen >= 4 && f->stage_gr_sw != 0 && c[1] == 0xc0) {
                r[0] = 0x5a;
                r[1] = (uint8_t)(f->stage_gr_sw >> 8);
                r[2] = (uint8_t)f->stage_gr_sw;
                *rlen = 3;
                f->stage_gr_sw = 0;
                return SCSIM_S_OK;
        }
        if (f->endless) {
                r[0] = 0x00;
                r[1] = 0x61;
                r[2] = 0x01;
                *rlen = 3;
                return SCSIM_S_OK;
        }
        if (f->reset_by_other) {
                f->reset_by_other = 0;
                assert_int_equal(scsim_card_reset(f->card, NULL, NULL), 0);
                return SCSIM_SCARD_W_RESET_CARD;
        }
        assert_true(clen >= 4 && f->nlog < LOG_MAX);
        memcpy(f->log[f->nlog], c, 4);
        f->loglen[f->nlog] = clen > 5 ? clen - 5 : 0;
        if (clen > 5 && clen - 5 <= sizeof(f->logdata[0]))
                memcpy(f->logdata[f->nlog], c + 5, clen - 5);
        f->nlog++;
        if (c[1] == 0xc0 && f->npending > 0) { /* GET RESPONSE from our own pieces */
                n = f->npending - 2 < (size_t)f->split_at ? f->npending - 2 : (size_t)f->split_at;
                memcpy(r, f->pending, n);
                memmove(f->pending, f->pending + n, f->npending - n);
                f->npending -= n;
                if (f->npending > 2) {
                        r[n] = 0x61;
                        r[n + 1] = (uint8_t)(f->npending - 2);
                        *rlen = n + 2;
                } else {
                        memcpy(r + n, f->pending, 2);
                        f->npending = 0;
                        *rlen = n + 2;
                }
                return SCSIM_S_OK;
        }
        if (c[1] == 0x20 && c[2] == 0xff && (f->ff_sw != 0 || f->ff_noop)) {
                uint16_t sw = f->ff_noop ? 0x9000 : f->ff_sw;
                r[0] = (uint8_t)(sw >> 8);
                r[1] = (uint8_t)sw;
                *rlen = 2;
                return SCSIM_S_OK;
        }
        assert_int_equal(scsim_card_transmit(f->card, c, clen, full, sizeof(full), &n), 0);
        if (f->split_at > 0 && n - 2 > (size_t)f->split_at) {
                memcpy(r, full, (size_t)f->split_at);
                memcpy(f->pending, full + f->split_at, n - (size_t)f->split_at);
                f->npending = n - (size_t)f->split_at;
                r[f->split_at] = 0x61;
                r[f->split_at + 1] = (uint8_t)(f->npending - 2);
                *rlen = (size_t)f->split_at + 2;
                return SCSIM_S_OK;
        }
        assert_true(n <= cap);
        memcpy(r, full, n);
        *rlen = n;
        return SCSIM_S_OK;
}

static scsim_hresult fake_reconnect(void *ctx, int warm)
{
        struct fake *f = ctx;

        if (f->reconnect_fail != 0)
                return f->reconnect_fail;
        if (warm) {
                f->reconnect_reset++;
                assert_int_equal(scsim_card_reset(f->card, NULL, NULL), 0);
        } else {
                f->reconnect_leave++;
        }
        return SCSIM_S_OK;
}

static void fake_close(void *ctx)
{
        ((struct fake *)ctx)->closes++;
}

static const struct scsim_scv_transport fake_ops = {fake_transmit, fake_reconnect, fake_close};

struct env {
        struct fake f;
        scsim_scv *v;
};

static int setup(void **state)
{
        static struct env e;

        memset(&e, 0, sizeof(e));
        assert_int_equal(scsim_profile_default(&e.f.prof), 0);
        assert_non_null(e.f.card = scsim_card_new(e.f.prof));
        assert_int_equal(scsim_card_power_on(e.f.card, NULL, NULL), 0);
        assert_int_equal(scsim_scv_new(&fake_ops, &e.f, &e.v), SCSIM_S_OK);
        *state = &e;
        return 0;
}

static int teardown(void **state)
{
        struct env *e = *state;

        scsim_scv_free(&e->v);
        assert_null(e->v);
        assert_int_equal(e->f.closes, 1);
        scsim_card_free(&e->f.card);
        scsim_profile_free(&e->f.prof);
        return 0;
}

static const uint8_t PIN[] = "1234", WRONG[] = "9999", PUK[] = "12345678";
#define LEN(a) (sizeof(a) - 1)

/* Has the card logged INS P1 P2 (from index from on)? Returns the index or -1. */
static int logged(const struct fake *f, size_t from, uint8_t ins, uint8_t p1, uint8_t p2)
{
        for (size_t i = from; i < f->nlog; i++)
                if (f->log[i][1] == ins && f->log[i][2] == p1 && f->log[i][3] == p2)
                        return (int)i;
        return -1;
}

static scsim_hresult query(scsim_scv *v, uint32_t flags, int32_t ref)
{
        return scsim_scv_verify(v, NULL, 0, flags, ref);
}

static void select_app(scsim_scv *v)
{
        static const uint8_t sel[] = {0x00, 0xa4, 0x04, 0x0c, 0x07, 0xf0,
                                      0x53, 0x43, 0x53, 0x49, 0x4d, 0x01};
        uint8_t r[16];
        size_t n;
        uint16_t sw;

        assert_int_equal(scsim_scv_transmit(v, sel, sizeof(sel), r, sizeof(r), &n, &sw),
                         SCSIM_S_OK);
}

/* ---- the methods ---- */

static void test_verify(void **state)
{
        struct env *e = *state;

        assert_int_equal(query(e->v, 0, 1), SCSIM_SCARD_W_CARD_NOT_AUTHENTICATED);
        assert_int_equal(scsim_scv_tries_left(e->v), 3);
        assert_int_equal(scsim_scv_verify(e->v, WRONG, LEN(WRONG), 0, 1), SCSIM_SCARD_W_WRONG_CHV);
        assert_int_equal(scsim_scv_last_sw(e->v), 0x63c2);
        assert_int_equal(scsim_scv_tries_left(e->v), 2);
        assert_int_equal(scsim_scv_verify(e->v, PIN, LEN(PIN), 0, 1), SCSIM_S_OK);
        assert_int_equal(query(e->v, 0, 1), SCSIM_S_OK);
        /* the APDU: 00 20 00 01 04 "1234" */
        assert_int_equal(logged(&e->f, 0, 0x20, 0x00, 0x01), 0);
        assert_int_equal(e->f.loglen[2], 4);
        assert_memory_equal(e->f.logdata[2], PIN, 4);
        /* a reference the card does not have */
        assert_int_equal(query(e->v, 0, 5), SCSIM_SCARD_E_INVALID_CHV);
        /* the app PIN is local: P2 81, only inside its application */
        assert_int_equal(query(e->v, SCSIM_FL_LOCAL, 1), SCSIM_SCARD_E_INVALID_CHV);
        select_app(e->v);
        assert_int_equal(query(e->v, SCSIM_FL_LOCAL, 1), SCSIM_SCARD_W_CARD_NOT_AUTHENTICATED);
        assert_true(logged(&e->f, 0, 0x20, 0x00, 0x81) >= 0);
}

static void test_block_unblock_change(void **state)
{
        struct env *e = *state;
        uint8_t data[12];

        for (uint16_t left = 3; left-- > 0;) {
                assert_int_equal(scsim_scv_verify(e->v, WRONG, LEN(WRONG), 0, 1),
                                 SCSIM_SCARD_W_WRONG_CHV);
                assert_int_equal(scsim_scv_last_sw(e->v), 0x63c0 | left);
        }
        assert_int_equal(scsim_scv_verify(e->v, PIN, LEN(PIN), 0, 1), SCSIM_SCARD_W_CHV_BLOCKED);
        assert_int_equal(scsim_scv_tries_left(e->v), 0);
        assert_int_equal(query(e->v, 0, 1), SCSIM_SCARD_W_CHV_BLOCKED);
        /* wrong PUK: the PUK's own counter speaks */
        assert_int_equal(
            scsim_scv_unblock(e->v, (const uint8_t *)"87654321", 8, PIN, LEN(PIN), 0, 1),
            SCSIM_SCARD_W_WRONG_CHV);
        assert_int_equal(scsim_scv_last_sw(e->v), 0x63c9);
        assert_int_equal(scsim_scv_unblock(e->v, PUK, LEN(PUK), (const uint8_t *)"5555", 4, 0, 1),
                         SCSIM_S_OK);
        /* 00 2C 00 01 PUK||new */
        memcpy(data, PUK, 8);
        memcpy(data + 8, "5555", 4);
        {
                int i = logged(&e->f, 0, 0x2c, 0x00, 0x01);
                assert_true(i >= 0);
                i = logged(&e->f, (size_t)i + 1, 0x2c, 0x00, 0x01);
                assert_true(i >= 0);
                assert_int_equal(e->f.loglen[i], 12);
                assert_memory_equal(e->f.logdata[i], data, 12);
        }
        /* unblocked, not verified */
        assert_int_equal(query(e->v, 0, 1), SCSIM_SCARD_W_CARD_NOT_AUTHENTICATED);
        assert_int_equal(
            scsim_scv_change_code(e->v, (const uint8_t *)"5555", 4, PIN, LEN(PIN), 0, 1),
            SCSIM_S_OK);
        assert_true(logged(&e->f, 0, 0x24, 0x00, 0x01) >= 0);
        assert_int_equal(query(e->v, 0, 1), SCSIM_S_OK); /* changing verifies */
        /* the requirement switched off and on with the current code */
        assert_int_equal(scsim_scv_change_code(e->v, PIN, LEN(PIN), NULL, 0, SCSIM_FL_DISABLE, 1),
                         SCSIM_S_OK);
        assert_true(logged(&e->f, 0, 0x26, 0x00, 0x01) >= 0);
        assert_int_equal(scsim_scv_change_code(e->v, PIN, LEN(PIN), NULL, 0, SCSIM_FL_ENABLE, 1),
                         SCSIM_S_OK);
        assert_true(logged(&e->f, 0, 0x28, 0x00, 0x01) >= 0);
        /* keep the code: 00 2C 01 01 PUK */
        assert_int_equal(scsim_scv_unblock(e->v, PUK, LEN(PUK), NULL, 0, SCSIM_FL_KEEP_CODE, 1),
                         SCSIM_S_OK);
        assert_true(logged(&e->f, 0, 0x2c, 0x01, 0x01) >= 0);
}

struct arg_row {
        const char *what;
        scsim_hresult (*call)(scsim_scv *v);
        scsim_hresult want;
};

static scsim_hresult a_ref_too_big(scsim_scv *v)
{
        return scsim_scv_verify(v, PIN, LEN(PIN), 0, 32);
}
static scsim_hresult a_ref_negative(scsim_scv *v)
{
        return scsim_scv_verify(v, PIN, LEN(PIN), 0, -1);
}
static scsim_hresult a_unknown_flag(scsim_scv *v)
{
        return scsim_scv_verify(v, PIN, LEN(PIN), 0x100, 1);
}
static scsim_hresult a_verify_toggle(scsim_scv *v)
{
        return scsim_scv_verify(v, PIN, LEN(PIN), SCSIM_FL_ENABLE, 1);
}
static scsim_hresult a_both_toggles(scsim_scv *v)
{
        return scsim_scv_change_code(v, PIN, LEN(PIN), NULL, 0, SCSIM_FL_ENABLE | SCSIM_FL_DISABLE,
                                     1);
}
static scsim_hresult a_change_no_new(scsim_scv *v)
{
        return scsim_scv_change_code(v, PIN, LEN(PIN), NULL, 0, 0, 1);
}
static scsim_hresult a_unblock_no_new(scsim_scv *v)
{
        return scsim_scv_unblock(v, PUK, LEN(PUK), NULL, 0, 0, 1);
}
static scsim_hresult a_code_too_long(scsim_scv *v)
{
        static const uint8_t big[256];
        return scsim_scv_verify(v, big, sizeof(big), 0, 1);
}
static scsim_hresult a_null_code(scsim_scv *v)
{
        return scsim_scv_verify(v, NULL, 4, 0, 1);
}
static scsim_hresult a_null_object(scsim_scv *v)
{
        (void)v;
        return scsim_scv_verify(NULL, PIN, LEN(PIN), 0, 1);
}
static scsim_hresult a_null_reset(scsim_scv *v)
{
        (void)v;
        return scsim_scv_reset_security_state(NULL);
}

static const struct arg_row arg_rows[] = {
    {"ref 32", a_ref_too_big, SCSIM_E_INVALIDARG},
    {"ref -1", a_ref_negative, SCSIM_E_INVALIDARG},
    {"unknown flag", a_unknown_flag, SCSIM_E_INVALIDARG},
    {"Verify with ENABLE", a_verify_toggle, SCSIM_E_INVALIDARG},
    {"ENABLE|DISABLE", a_both_toggles, SCSIM_E_INVALIDARG},
    {"ChangeCode without new code", a_change_no_new, SCSIM_E_INVALIDARG},
    {"Unblock without new code", a_unblock_no_new, SCSIM_E_INVALIDARG},
    {"code over 255 bytes", a_code_too_long, SCSIM_E_INVALIDARG},
    {"NULL code with a length", a_null_code, SCSIM_E_POINTER},
    {"NULL object", a_null_object, SCSIM_E_POINTER},
    {"NULL object reset", a_null_reset, SCSIM_E_POINTER},
};

static void test_bad_arguments(void **state)
{
        struct env *e = *state;

        for (size_t i = 0; i < sizeof(arg_rows) / sizeof(arg_rows[0]); i++) {
                scsim_hresult got = arg_rows[i].call(e->v);
                if (got != arg_rows[i].want)
                        fail_msg("%s: got 0x%08X, want 0x%08X", arg_rows[i].what, got,
                                 arg_rows[i].want);
        }
        assert_int_equal(e->f.nlog, 0); /* none of them reached the card */
}

/* ---- ResetSecurityState ---- */

enum misbehave { CARD_OK, FF_6A86, FF_6B00, FF_6D00, FF_NOOP, FF_6982 };

struct reset_row {
        const char *what;
        enum misbehave card;
        int register_only; /* verify nothing, register ref 01 */
        scsim_hresult want;
        int want_method; /* 1 VERIFY P1=FF, 2 warm reset */
        int want_warm;   /* warm resets the transport saw */
};

static const struct reset_row reset_rows[] = {
    {"card does P1=FF", CARD_OK, 0, SCSIM_S_OK, 1, 0},
    {"registered ref, never verified here", CARD_OK, 1, SCSIM_S_OK, 1, 0},
    {"6A86 to P1=FF", FF_6A86, 0, SCSIM_S_OK, 2, 1},
    {"6B00 to P1=FF", FF_6B00, 0, SCSIM_S_OK, 2, 1},
    {"6D00 to P1=FF", FF_6D00, 0, SCSIM_S_OK, 2, 1},
    {"9000 to P1=FF yet still verified", FF_NOOP, 0, SCSIM_S_OK, 2, 1},
    {"6982 to P1=FF", FF_6982, 0, SCSIM_SCARD_W_SECURITY_VIOLATION, 0, 0},
};

static void test_reset_strategy(void **state)
{
        static const uint16_t sws[] = {0, 0x6a86, 0x6b00, 0x6d00, 0, 0x6982};

        for (size_t i = 0; i < sizeof(reset_rows) / sizeof(reset_rows[0]); i++) {
                const struct reset_row *row = &reset_rows[i];
                struct env *e;
                scsim_hresult got;
                int ff;

                setup(state);
                e = *state;
                e->f.ff_sw = sws[row->card];
                e->f.ff_noop = row->card == FF_NOOP;
                if (row->register_only) {
                        /* verified by someone else, e.g. an earlier process */
                        uint8_t r[4];
                        size_t n;
                        assert_int_equal(scsim_card_transmit(e->f.card,
                                                             (const uint8_t *)"\x00\x20\x00\x01"
                                                                              "\x04"
                                                                              "1234",
                                                             9, r, sizeof(r), &n),
                                         0);
                        assert_int_equal(scsim_scv_register_ref(e->v, 0, 1), SCSIM_S_OK);
                } else {
                        assert_int_equal(scsim_scv_verify(e->v, PIN, LEN(PIN), 0, 1), SCSIM_S_OK);
                }
                got = scsim_scv_reset_security_state(e->v);
                if (got != row->want)
                        fail_msg("%s: got %s, want %s", row->what, scsim_hresult_name(got),
                                 scsim_hresult_name(row->want));
                assert_int_equal(scsim_scv_last_reset_method(e->v), row->want_method);
                assert_int_equal(e->f.reconnect_reset, row->want_warm);
                ff = logged(&e->f, 0, 0x20, 0xff, 0x01);
                assert_true(ff >= 0);
                if (row->want == SCSIM_S_OK) {
                        /* a query after the reset checked it, and the card agrees */
                        assert_true(logged(&e->f, (size_t)ff + 1, 0x20, 0x00, 0x01) > ff);
                        e->f.ff_noop = 0;
                        assert_int_equal(query(e->v, 0, 1), SCSIM_SCARD_W_CARD_NOT_AUTHENTICATED);
                }
                teardown(state);
        }
}

static void test_reset_local_and_global(void **state)
{
        struct env *e = *state;

        select_app(e->v);
        assert_int_equal(scsim_scv_verify(e->v, PIN, LEN(PIN), 0, 1), SCSIM_S_OK);
        assert_int_equal(scsim_scv_verify(e->v, (const uint8_t *)"000000", 6, SCSIM_FL_LOCAL, 1),
                         SCSIM_S_OK);
        assert_int_equal(scsim_scv_reset_security_state(e->v), SCSIM_S_OK);
        assert_int_equal(scsim_scv_last_reset_method(e->v), 1);
        assert_true(logged(&e->f, 0, 0x20, 0xff, 0x01) >= 0);
        assert_true(logged(&e->f, 0, 0x20, 0xff, 0x81) >= 0);
        assert_int_equal(query(e->v, 0, 1), SCSIM_SCARD_W_CARD_NOT_AUTHENTICATED);
        assert_int_equal(query(e->v, SCSIM_FL_LOCAL, 1), SCSIM_SCARD_W_CARD_NOT_AUTHENTICATED);
        assert_int_equal(e->f.reconnect_reset, 0);
}

static void test_reset_knows_nothing(void **state)
{
        struct env *e = *state;

        /* nothing verified or registered here: only a warm reset is sure */
        assert_int_equal(scsim_scv_reset_security_state(e->v), SCSIM_S_OK);
        assert_int_equal(scsim_scv_last_reset_method(e->v), 2);
        assert_int_equal(e->f.reconnect_reset, 1);
}

static void test_reset_pcsc_failures(void **state)
{
        struct env *e = *state;

        assert_int_equal(scsim_scv_verify(e->v, PIN, LEN(PIN), 0, 1), SCSIM_S_OK);
        e->f.ff_sw = 0x6d00;
        e->f.reconnect_fail = SCSIM_SCARD_W_REMOVED_CARD;
        assert_int_equal(scsim_scv_reset_security_state(e->v), SCSIM_SCARD_W_REMOVED_CARD);
        e->f.fail = SCSIM_SCARD_W_REMOVED_CARD;
        assert_int_equal(scsim_scv_reset_security_state(e->v), SCSIM_SCARD_W_REMOVED_CARD);
        assert_int_equal(query(e->v, 0, 1), SCSIM_SCARD_W_REMOVED_CARD);
        e->f.fail = SCSIM_SCARD_E_NO_SMARTCARD;
        assert_int_equal(query(e->v, 0, 1), SCSIM_SCARD_E_NO_SMARTCARD);
}

static void test_reset_by_other_handle(void **state)
{
        struct env *e = *state;

        assert_int_equal(scsim_scv_verify(e->v, PIN, LEN(PIN), 0, 1), SCSIM_S_OK);
        /* another handle resets the card: reconnect once (leave), send again */
        e->f.reset_by_other = 1;
        assert_int_equal(query(e->v, 0, 1), SCSIM_SCARD_W_CARD_NOT_AUTHENTICATED);
        assert_int_equal(e->f.reconnect_leave, 1);
        assert_int_equal(e->f.reconnect_reset, 0);
        /* and a Verify that meets the reset still goes through */
        e->f.reset_by_other = 1;
        assert_int_equal(scsim_scv_verify(e->v, PIN, LEN(PIN), 0, 1), SCSIM_S_OK);
        assert_int_equal(e->f.reconnect_leave, 2);
        assert_int_equal(query(e->v, 0, 1), SCSIM_S_OK);
}

static void test_get_response(void **state)
{
        struct env *e = *state;
        static const uint8_t sel[] = {0x00, 0xa4, 0x00, 0x0c, 0x02, 0x01, 0x01};
        static const uint8_t rb[] = {0x00, 0xb0, 0x00, 0x00, 0x00};
        static const char text[] = "scsim public file: anyone may read this.\n";
        uint8_t r[256];
        size_t n;
        uint16_t sw;

        e->f.split_at = 10;
        assert_int_equal(scsim_scv_transmit(e->v, sel, sizeof(sel), r, sizeof(r), &n, &sw),
                         SCSIM_S_OK);
        assert_int_equal(scsim_scv_transmit(e->v, rb, sizeof(rb), r, sizeof(r), &n, &sw),
                         SCSIM_S_OK);
        assert_int_equal(sw, 0x9000);
        assert_true(n >= sizeof(text) - 1);
        assert_memory_equal(r, text, sizeof(text) - 1);
        assert_true(logged(&e->f, 0, 0xc0, 0x00, 0x00) >= 0);
        /* a buffer too small for the answer is an error, not a truncation */
        assert_int_equal(scsim_scv_transmit(e->v, rb, sizeof(rb), r, 8, &n, &sw),
                         SCSIM_SCARD_E_UNEXPECTED);
        assert_int_equal(n, 0);
        /* a card that never stops saying 61xx is not followed forever */
        e->f.endless = 1;
        assert_int_equal(scsim_scv_transmit(e->v, rb, sizeof(rb), r, sizeof(r), &n, &sw),
                         SCSIM_SCARD_E_UNEXPECTED);
        e->f.endless = 0;
}

/* ---- 6Cxx and the class byte ---- */

/*
 * A wrong-Le answer to a command without Le (case 3: every CHV command with a
 * code) is final: sending it again with its last byte changed would present
 * another code and spend a try.
 */
static void test_wrong_le_to_verify(void **state)
{
        struct env *e = *state;

        e->f.stage_ins = 0x20;
        e->f.stage_sw = 0x6c35; /* "1235" would be a wrong code */
        assert_int_equal(scsim_scv_verify(e->v, PIN, LEN(PIN), 0, 1), SCSIM_SCARD_E_UNEXPECTED);
        assert_int_equal(scsim_scv_last_sw(e->v), 0x6c35);
        assert_int_equal(e->f.nsent, 1);
        assert_int_equal(e->f.nlog, 0); /* nothing reached the card */
        assert_int_equal(query(e->v, 0, 1), SCSIM_SCARD_W_CARD_NOT_AUTHENTICATED);
        assert_int_equal(scsim_scv_tries_left(e->v), 3);
        /* nor does a new code get its last byte replaced */
        e->f.stage_ins = 0x24;
        e->f.stage_sw = 0x6c39;
        assert_int_equal(
            scsim_scv_change_code(e->v, PIN, LEN(PIN), (const uint8_t *)"5678", 4, 0, 1),
            SCSIM_SCARD_E_UNEXPECTED);
        assert_int_equal(e->f.nsent, 3);
        assert_int_equal(scsim_scv_verify(e->v, PIN, LEN(PIN), 0, 1), SCSIM_S_OK);
}

struct le_row {
        const char *what;
        uint8_t capdu[12];
        size_t clen;
        uint16_t sw;     /* the card's first answer */
        size_t want_len; /* 0: must not be sent again */
        uint8_t want[12];
};

static const struct le_row le_rows[] = {
    {"case 1", {0x00, 0x20, 0x00, 0x01}, 4, 0x6c05, 0, {0}},
    {"case 2S", {0x00, 0xb0, 0x00, 0x00, 0x00}, 5, 0x6c05, 5, {0x00, 0xb0, 0x00, 0x00, 0x05}},
    {"case 2S, 6C00", {0x00, 0xb0, 0x00, 0x00, 0x10}, 5, 0x6c00, 5, {0x00, 0xb0, 0x00, 0x00, 0x00}},
    {"case 3S", {0x00, 0xa4, 0x00, 0x0c, 0x02, 0x01, 0x01}, 7, 0x6c05, 0, {0}},
    {"case 3S, last byte a code",
     {0x00, 0x20, 0x00, 0x01, 0x04, '1', '2', '3', '4'},
     9,
     0x6c34,
     0,
     {0}},
    {"case 4S",
     {0x00, 0xa4, 0x00, 0x00, 0x02, 0x01, 0x01, 0x00},
     8,
     0x6c05,
     8,
     {0x00, 0xa4, 0x00, 0x00, 0x02, 0x01, 0x01, 0x05}},
    {"case 2E",
     {0x00, 0xb0, 0x00, 0x00, 0x00, 0x00, 0x00},
     7,
     0x6c05,
     7,
     {0x00, 0xb0, 0x00, 0x00, 0x00, 0x00, 0x05}},
    {"case 2E, 6C00 is 256 bytes",
     {0x00, 0xb0, 0x00, 0x00, 0x00, 0x00, 0x00},
     7,
     0x6c00,
     7,
     {0x00, 0xb0, 0x00, 0x00, 0x00, 0x01, 0x00}},
    {"case 3E", {0x00, 0xa4, 0x00, 0x0c, 0x00, 0x00, 0x02, 0x01, 0x01}, 9, 0x6c05, 0, {0}},
    {"case 4E",
     {0x00, 0xa4, 0x00, 0x00, 0x00, 0x00, 0x02, 0x01, 0x01, 0x00, 0x00},
     11,
     0x6c05,
     11,
     {0x00, 0xa4, 0x00, 0x00, 0x00, 0x00, 0x02, 0x01, 0x01, 0x00, 0x05}},
    {"Lc beyond the data", {0x00, 0xa4, 0x00, 0x0c, 0x05, 0x01, 0x01}, 7, 0x6c05, 0, {0}},
    {"extended Lc 0", {0x00, 0xa4, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x01}, 8, 0x6c05, 0, {0}},
};

static void test_wrong_le_by_case(void **state)
{
        struct env *e = *state;

        for (size_t i = 0; i < sizeof(le_rows) / sizeof(le_rows[0]); i++) {
                const struct le_row *row = &le_rows[i];
                uint8_t r[300];
                size_t n;
                uint16_t sw;
                scsim_hresult got;

                e->f.nsent = 0;
                e->f.stage_ins = row->capdu[1];
                e->f.stage_sw = row->sw;
                got = scsim_scv_transmit(e->v, row->capdu, row->clen, r, sizeof(r), &n, &sw);
                if (row->want_len == 0) {
                        if (e->f.nsent != 1 || sw != row->sw || got != SCSIM_SCARD_E_UNEXPECTED)
                                fail_msg("%s: sent %zu times, SW %04X, %s; want once, SW %04X",
                                         row->what, e->f.nsent, sw, scsim_hresult_name(got),
                                         row->sw);
                        continue;
                }
                if (e->f.nsent < 2 || e->f.sentlen[1] != row->want_len ||
                    memcmp(e->f.sent[1], row->want, row->want_len) != 0)
                        fail_msg("%s: sent %zu times, not again as expected", row->what,
                                 e->f.nsent);
        }
}

struct cla_row {
        uint8_t cla, gr_cla;
};

/* The GET RESPONSE after 61xx goes to the command's logical channel, in the interindustry class. */
static const struct cla_row cla_rows[] = {
    {0x00, 0x00}, {0x01, 0x01}, {0x03, 0x03}, {0x0c, 0x00}, {0x13, 0x03},
    {0x40, 0x40}, {0x41, 0x41}, {0x4f, 0x4f}, {0x6f, 0x4f}, {0x53, 0x43},
    {0x80, 0x00}, {0x83, 0x03}, {0xc5, 0x45},
};

static void test_get_response_channel(void **state)
{
        struct env *e = *state;

        for (size_t i = 0; i < sizeof(cla_rows) / sizeof(cla_rows[0]); i++) {
                const uint8_t cmd[] = {cla_rows[i].cla, 0xca, 0x00, 0x5a, 0x00};
                uint8_t r[16];
                size_t n;
                uint16_t sw;

                e->f.nsent = 0;
                e->f.stage_ins = 0xca;
                e->f.stage_sw = 0x6101;
                e->f.stage_gr_sw = 0x9000;
                assert_int_equal(scsim_scv_transmit(e->v, cmd, sizeof(cmd), r, sizeof(r), &n, &sw),
                                 SCSIM_S_OK);
                assert_int_equal(sw, 0x9000);
                assert_int_equal(n, 1);
                assert_int_equal(r[0], 0x5a);
                assert_int_equal(e->f.nsent, 2);
                assert_int_equal(e->f.sent[1][1], 0xc0);
                assert_int_equal(e->f.sent[1][4], 0x01);
                if (e->f.sent[1][0] != cla_rows[i].gr_cla)
                        fail_msg("CLA %02X: GET RESPONSE with CLA %02X, want %02X", cla_rows[i].cla,
                                 e->f.sent[1][0], cla_rows[i].gr_cla);
        }
}

/* ---- the COM-style binding ---- */

static void test_com(void **state)
{
        struct env *e = *state;
        static const scsim_iid other = {1, 2, 3, {4, 5, 6, 7, 8, 9, 10, 11}};
        scsim_iscardverify *cv = NULL, *cv2 = NULL;
        void *p = (void *)1, *q = (void *)1;
        uint8_t data[12];

        assert_int_equal(scsim_scv_query_iscardverify(e->v, &cv), SCSIM_S_OK);
        assert_ptr_equal(scsim_scv_from_iscardverify(cv), e->v);
        assert_int_equal(cv->lpVtbl->QueryInterface(cv, &other, &p), SCSIM_E_NOINTERFACE);
        assert_null(p);
        assert_int_equal(cv->lpVtbl->QueryInterface(cv, &SCSIM_IID_ISCardVerify, &p), SCSIM_S_OK);
        assert_ptr_equal(p, cv);
        assert_int_equal(cv->lpVtbl->QueryInterface(cv, &SCSIM_IID_IUnknown, (void **)&cv2),
                         SCSIM_S_OK);
        assert_int_equal(cv->lpVtbl->QueryInterface(cv, NULL, &q), SCSIM_E_POINTER);
        assert_null(q);
        assert_int_equal(cv->lpVtbl->QueryInterface(cv, &SCSIM_IID_IUnknown, NULL),
                         SCSIM_E_POINTER);
        assert_int_equal(cv->lpVtbl->AddRef(cv), 5); /* the object, cv, p, cv2, this */
        assert_int_equal(cv->lpVtbl->Release(cv), 4);
        assert_int_equal(cv->lpVtbl->Release(cv2), 3);
        assert_int_equal(cv->lpVtbl->Release((scsim_iscardverify *)p), 2);

        assert_int_equal(cv->lpVtbl->Verify(cv, WRONG, LEN(WRONG), (int32_t)SCSIM_FL_GLOBAL, 1),
                         SCSIM_SCARD_W_WRONG_CHV);
        assert_int_equal(cv->lpVtbl->Verify(cv, PIN, LEN(PIN), -1, 1), SCSIM_E_INVALIDARG);
        assert_int_equal(cv->lpVtbl->Verify(NULL, PIN, LEN(PIN), 0, 1), SCSIM_E_POINTER);
        assert_int_equal(
            cv->lpVtbl->ChangeCode(cv, PIN, LEN(PIN), (const uint8_t *)"4321", 4, 0, 1),
            SCSIM_S_OK);
        assert_int_equal(cv->lpVtbl->ResetSecurityState(cv), SCSIM_S_OK);
        assert_int_equal(query(e->v, 0, 1), SCSIM_SCARD_W_CARD_NOT_AUTHENTICATED);
        /* Unblock takes the data field whole */
        memcpy(data, PUK, 8);
        memcpy(data + 8, PIN, 4);
        assert_int_equal(cv->lpVtbl->Unblock(cv, data, sizeof(data), 0, 1), SCSIM_S_OK);
        assert_int_equal(scsim_scv_verify(e->v, PIN, LEN(PIN), 0, 1), SCSIM_S_OK);
        assert_int_equal(cv->lpVtbl->Unblock(cv, NULL, 0, 0, 1), SCSIM_E_POINTER);
        /* the interface's last reference does not free the plain handle's object */
        assert_int_equal(cv->lpVtbl->Release(cv), 1);
        assert_int_equal(e->f.closes, 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_sw_table),
            cmocka_unit_test(test_pcsc_table),
            cmocka_unit_test(test_names),
            cmocka_unit_test_setup_teardown(test_verify, setup, teardown),
            cmocka_unit_test_setup_teardown(test_block_unblock_change, setup, teardown),
            cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
            cmocka_unit_test(test_reset_strategy),
            cmocka_unit_test_setup_teardown(test_reset_local_and_global, setup, teardown),
            cmocka_unit_test_setup_teardown(test_reset_knows_nothing, setup, teardown),
            cmocka_unit_test_setup_teardown(test_reset_pcsc_failures, setup, teardown),
            cmocka_unit_test_setup_teardown(test_reset_by_other_handle, setup, teardown),
            cmocka_unit_test_setup_teardown(test_get_response, setup, teardown),
            cmocka_unit_test_setup_teardown(test_wrong_le_to_verify, setup, teardown),
            cmocka_unit_test_setup_teardown(test_wrong_le_by_case, setup, teardown),
            cmocka_unit_test_setup_teardown(test_get_response_channel, setup, teardown),
            cmocka_unit_test_setup_teardown(test_com, setup, teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
