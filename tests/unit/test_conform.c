/* SPDX-License-Identifier: MIT */
/*
 * scsim conform without PC/SC: the suites run against a simulated card in
 * this process, through a transport that can make the card misbehave the
 * way peers do, to show each check fails when it should and the run never
 * leaves a code with fewer tries. Also: the seven length cases as bytes,
 * card descriptions and their errors, the reports' escaping, masked codes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include <scsim/scsim.h>

#include "conform.h"
#include "conform_run.h"

#ifndef SCSIM_SOURCE_DIR
#error SCSIM_SOURCE_DIR must name the source tree
#endif

/* ---- a simulated card behind a transport, with faults on request --------------- */

struct sim {
        scsim_profile *profile;
        scsim_card *card;
        bool ignore_ff;      /* VERIFY P1=FF: 9000, and nothing done */
        bool counts_queries; /* VERIFY without data is taken as a wrong code */
        bool ignores_le;     /* a VERIFY with data and Le is run as if it had no Le */
        bool no_reset;       /* a warm reset leaves everything as it was */
        int mute_on_ins;     /* the first APDU with this INS gets no answer (the card is gone) */
        bool gone;
        unsigned reattaches;
};

static scsim_hresult sim_transmit(void *ctx, const uint8_t *c, size_t clen, uint8_t *r, size_t cap,
                                  size_t *rlen)
{
        struct sim *s = ctx;
        uint8_t cmd[300];

        if (s->gone)
                return SCSIM_SCARD_W_REMOVED_CARD;
        if (clen >= 4 && s->mute_on_ins >= 0 && c[1] == s->mute_on_ins) {
                s->mute_on_ins = -1;
                s->gone = true;
                return SCSIM_SCARD_W_REMOVED_CARD;
        }
        if (clen == 4 && c[1] == 0x20 && c[2] == 0xff && s->ignore_ff) {
                r[0] = 0x90;
                r[1] = 0x00;
                *rlen = 2;
                return SCSIM_S_OK;
        }
        if (clen == 4 && c[1] == 0x20 && c[2] == 0x00 && s->counts_queries) {
                static const uint8_t wrong[] = {0x00, 0x20, 0x00, 0x00, 0x04, '9', '9', '9', '9'};
                memcpy(cmd, wrong, sizeof(wrong));
                cmd[0] = c[0];
                cmd[3] = c[3];
                c = cmd;
                clen = sizeof(wrong);
        }
        if (clen > 5 && clen <= sizeof(cmd) && c[1] == 0x20 && c[4] != 0 && clen == 6u + c[4] &&
            s->ignores_le) {
                memcpy(cmd, c, clen - 1);
                c = cmd;
                clen--;
        }
        assert_int_equal(scsim_card_transmit(s->card, c, clen, r, cap, rlen), 0);
        return SCSIM_S_OK;
}

static scsim_hresult sim_reconnect(void *ctx, int warm)
{
        struct sim *s = ctx;

        if (s->gone)
                return SCSIM_SCARD_W_REMOVED_CARD;
        if (warm && !s->no_reset)
                assert_int_equal(scsim_card_reset(s->card, NULL, NULL), 0);
        return SCSIM_S_OK;
}

static void sim_close(void *ctx)
{
        (void)ctx;
}

static scsim_hresult sim_atr(void *ctx, uint8_t *atr, size_t cap, size_t *len)
{
        struct sim *s = ctx;
        const uint8_t *a;
        size_t n;

        assert_int_equal(scsim_card_atr(s->card, &a, &n), 0);
        assert_true(n <= cap);
        memcpy(atr, a, n);
        *len = n;
        return SCSIM_S_OK;
}

/* The card is back, powered again: its volatile state is gone, as after a reset. */
static scsim_hresult sim_reattach(void *ctx, unsigned timeout_ms)
{
        struct sim *s = ctx;

        (void)timeout_ms;
        s->gone = false;
        s->reattaches++;
        assert_int_equal(scsim_card_reset(s->card, NULL, NULL), 0);
        return SCSIM_S_OK;
}

static const struct scsim_scv_transport sim_ops = {sim_transmit, sim_reconnect, sim_close};

static void sim_open(struct sim *s, const char *profile_file)
{
        char path[512];
        scsim_diag diag;

        memset(s, 0, sizeof(*s));
        s->mute_on_ins = -1;
        snprintf(path, sizeof(path), "%s/profiles/%s", SCSIM_SOURCE_DIR, profile_file);
        assert_int_equal(scsim_profile_load_file(path, &s->profile, &diag), SCSIM_OK);
        assert_non_null(s->card = scsim_card_new(s->profile));
        assert_int_equal(scsim_card_power_on(s->card, NULL, NULL), 0);
}

static void sim_free(struct sim *s)
{
        scsim_card_free(&s->card);
        scsim_profile_free(&s->profile);
}

static struct cf_card *load_card(const char *profile_file)
{
        char path[512], err[600];
        struct cf_card *c = NULL;

        snprintf(path, sizeof(path), "%s/profiles/%s", SCSIM_SOURCE_DIR, profile_file);
        if (cf_card_load(path, &c, err, sizeof(err)) != 0)
                fail_msg("%s", err);
        return c;
}

/* Run a suite; rc is the runner's. */
static int run_suite(struct sim *s, const char *suite, const struct cf_card *card, bool destructive,
                     bool reattach, struct cf_report *rep)
{
        const struct cf_target t = {&sim_ops, s, sim_atr, reattach ? sim_reattach : NULL, "sim"};
        const struct cf_options o = {cf_suite_by_name(suite), card, destructive, NULL, NULL, NULL};

        return cf_run_suite(&t, &o, rep);
}

static const struct cf_result *result(const struct cf_report *rep, const char *id)
{
        for (size_t i = 0; i < rep->n; i++)
                if (strcmp(rep->results[i].id, id) == 0)
                        return &rep->results[i];
        fail_msg("no result %s", id);
        return NULL;
}

/* VERIFY without data straight to the card: the tries it has left. */
static uint16_t card_query(struct sim *s, const char *select_hex, uint8_t ref)
{
        uint8_t sel[32], q[4] = {0x00, 0x20, 0x00, ref}, r[300];
        size_t n = 0, rlen;

        assert_int_equal(scsim_card_reset(s->card, NULL, NULL), 0);
        for (size_t i = 0; select_hex != NULL && select_hex[2 * i] != '\0'; i++) {
                unsigned b;
                sscanf(select_hex + 2 * i, "%2x", &b);
                sel[n++] = (uint8_t)b;
        }
        if (n > 0)
                assert_int_equal(scsim_card_transmit(s->card, sel, n, r, sizeof(r), &rlen), 0);
        assert_int_equal(scsim_card_transmit(s->card, q, 4, r, sizeof(r), &rlen), 0);
        return (uint16_t)(r[rlen - 2] << 8 | r[rlen - 1]);
}

/* ---- the shipped profiles: every check that runs passes ------------------------ */

static void green(const char *suite, const char *profile, size_t min_pass)
{
        struct sim s;
        struct cf_card *card = load_card(profile);
        struct cf_report rep;

        sim_open(&s, profile);
        assert_int_equal(run_suite(&s, suite, card, true, false, &rep), 0);
        for (size_t i = 0; i < rep.n; i++)
                if (rep.results[i].verdict == CF_FAIL || rep.results[i].verdict == CF_ERROR)
                        fail_msg("%s on %s: %s: %s", suite, profile, rep.results[i].id,
                                 rep.results[i].message);
        assert_true(rep.passed >= min_pass);
        assert_true(rep.environment[0] == '\0');
        cf_report_free(&rep);
        cf_card_free(&card);
        sim_free(&s);
}

static void test_shipped_profiles_green(void **state)
{
        (void)state;
        green("iso7816", "iso7816-chv.yaml", 45);
        green("iso7816", "two-apps.yaml", 55);
        green("iso7816", "piv.yaml", 24);
        green("piv", "piv.yaml", 16);
        green("iso7816", "yubikey5.yaml", 20); /* no logical channels in its ATR */
        green("piv", "yubikey5.yaml", 16);
}

/* piv.verify.format holds the card to its description's malformed: 6A80, or a try spent. */
static void format_fails(const char *profile, bool malformed_wrong, const char *why)
{
        struct sim s;
        struct cf_card *card = load_card(profile);
        struct cf_report rep;
        const struct cf_result *res;

        assert_int_equal(card->chvs[0].ref, 0x80); /* the PIV PIN */
        card->chvs[0].malformed_wrong = malformed_wrong;
        sim_open(&s, profile);
        assert_int_equal(run_suite(&s, "piv", card, false, false, &rep), 0);
        res = result(&rep, "piv.verify.format");
        if (res->verdict != CF_FAIL || strstr(res->message, why) == NULL)
                fail_msg("%s: %s, '%s' (wanted a failure saying '%s')", profile,
                         cf_verdict_name(res->verdict), res->message, why);
        assert_int_equal(rep.failed, 1);
        cf_report_free(&rep);
        cf_card_free(&card);
        sim_free(&s);
}

static void test_malformed_as_described(void **state)
{
        (void)state;
        /* a YubiKey described as a standard card, and the other way round */
        format_fails("yubikey5.yaml", false, "wanted 6A80 (incorrect data), got 63C2");
        format_fails("piv.yaml", true, "wanted 63C2 (2 tries left), got 6A80");
}

/* ---- faults a peer has: the check that should see them fails ------------------- */

static void fails_with(struct sim *s, const char *profile, const char *id, const char *why)
{
        struct cf_card *card = load_card(profile);
        struct cf_report rep;
        const struct cf_result *res;

        assert_int_equal(run_suite(s, "iso7816", card, false, false, &rep), 0);
        res = result(&rep, id);
        if (res->verdict != CF_FAIL || strstr(res->message, why) == NULL)
                fail_msg("%s: %s, '%s' (wanted a failure saying '%s')", id,
                         cf_verdict_name(res->verdict), res->message, why);
        assert_non_null(res->log);
        assert_true(res->nlog > 0);
        cf_report_free(&rep);
        cf_card_free(&card);
}

static void test_card_ignoring_p1ff(void **state)
{
        struct sim s;

        (void)state;
        sim_open(&s, "iso7816-chv.yaml");
        s.ignore_ff = true;
        fails_with(&s, "iso7816-chv.yaml", "iso.chv.p1ff[pin]",
                   "VERIFY without data after P1=FF: wanted 63C3");
        sim_free(&s);
}

static void test_card_ignoring_le(void **state)
{
        struct sim s;

        (void)state;
        sim_open(&s, "iso7816-chv.yaml");
        s.ignores_le = true;
        fails_with(&s, "iso7816-chv.yaml", "iso.cases.verify", "case 4S");
        sim_free(&s);
}

static void test_card_not_reset(void **state)
{
        struct sim s;

        (void)state;
        sim_open(&s, "iso7816-chv.yaml");
        s.no_reset = true;
        fails_with(&s, "iso7816-chv.yaml", "iso.chv.reset[pin]",
                   "VERIFY without data after the reset: wanted 63C3");
        sim_free(&s);
}

/* A card that counts queries as wrong codes: the checks fail, and no code is left short. */
static void test_card_counting_queries(void **state)
{
        struct sim s;

        (void)state;
        sim_open(&s, "iso7816-chv.yaml");
        s.counts_queries = true;
        fails_with(&s, "iso7816-chv.yaml", "iso.chv.query[pin]",
                   "VERIFY without data after a reset: wanted 63C3 (3 tries left), got 63C2");
        s.counts_queries = false;
        assert_int_equal(card_query(&s, NULL, 0x01), 0x63c3);
        assert_int_equal(card_query(&s, "00A4040C07F0534353494D01", 0x81), 0x63c3);
        sim_free(&s);
}

/* The description's code is wrong: one try is spent, then the reference is left alone. */
static void test_wrong_description_spends_one_try(void **state)
{
        struct sim s;
        struct cf_card *card = load_card("iso7816-chv.yaml");
        struct cf_report rep;
        size_t fails = 0;

        (void)state;
        card->chvs[0].value[3] = '5'; /* "1235" */
        sim_open(&s, "iso7816-chv.yaml");
        assert_int_equal(run_suite(&s, "iso7816", card, true, false, &rep), 0);
        /* the first check to present it fails; every later one that needs it is skipped */
        for (size_t i = 0; i < rep.n; i++) {
                fails += rep.results[i].verdict == CF_FAIL;
                if (strstr(rep.results[i].id, "[pin]") != NULL)
                        assert_int_equal(rep.results[i].verdict, CF_SKIP);
        }
        assert_int_equal(fails, 1);
        assert_int_equal(card_query(&s, NULL, 0x01), 0x63c2);
        cf_report_free(&rep);
        cf_card_free(&card);
        sim_free(&s);
}

/* The card goes away in a check: that check fails; back again, the run goes to the end. */
static void test_card_gone_and_back(void **state)
{
        struct sim s;
        struct cf_card *card = load_card("iso7816-chv.yaml");
        struct cf_report rep;
        const struct cf_result *res;

        (void)state;
        sim_open(&s, "iso7816-chv.yaml");
        s.mute_on_ins = 0xc0;
        assert_int_equal(run_suite(&s, "iso7816", card, false, true, &rep), 0);
        res = result(&rep, "iso.getresponse.none");
        assert_int_equal(res->verdict, CF_FAIL);
        assert_non_null(strstr(res->message, "stopped answering"));
        assert_int_equal(s.reattaches, 1);
        assert_true(rep.environment[0] == '\0');
        assert_int_equal(rep.failed, 1);
        cf_report_free(&rep);

        s.mute_on_ins = 0xc0;
        assert_int_equal(run_suite(&s, "iso7816", card, false, false, &rep), -1);
        assert_non_null(strstr(rep.environment, "SCARD_W_REMOVED_CARD"));
        assert_int_equal(result(&rep, "iso.getresponse.none")->verdict, CF_ERROR);
        cf_report_free(&rep);
        cf_card_free(&card);
        sim_free(&s);
}

/* Without --destructive nothing that could block a code, change data or keys is sent. */
static void test_safe_by_default(void **state)
{
        struct sim s;
        struct cf_card *card = load_card("piv.yaml");
        struct cf_report rep;

        (void)state;
        sim_open(&s, "piv.yaml");
        assert_int_equal(run_suite(&s, "piv", card, false, false, &rep), 0);
        for (size_t i = 0; i < rep.n; i++)
                if ((rep.results[i].check->flags & CF_DESTRUCTIVE) != 0)
                        assert_int_equal(rep.results[i].verdict, CF_SKIP);
        assert_int_equal(rep.failed, 0);
        assert_int_equal(card_query(&s, "00A404000BA000000308000010000100", 0x80), 0x63c3);
        cf_report_free(&rep);
        cf_card_free(&card);
        sim_free(&s);
}

/* ---- the seven length cases as bytes --------------------------------------------- */

static void test_encode_cases(void **state)
{
        static const uint8_t d[2] = {0xaa, 0xbb};
        static const struct {
                struct cf_apdu a;
                const char *hex;
        } rows[] = {
            {{0x00, 0x20, 0x00, 0x01, NULL, 0, CF_NO_LE, false}, "00200001"},        /* 1 */
            {{0x00, 0x84, 0x00, 0x00, NULL, 0, 16, false}, "0084000010"},            /* 2S */
            {{0x00, 0x84, 0x00, 0x00, NULL, 0, 256, false}, "0084000000"},           /* 2S 256 */
            {{0x00, 0x84, 0x00, 0x00, NULL, 0, 16, true}, "00840000000010"},         /* 2E */
            {{0x00, 0x84, 0x00, 0x00, NULL, 0, 65536, false}, "00840000000000"},     /* 2E max */
            {{0x00, 0x20, 0x00, 0x01, d, 2, CF_NO_LE, false}, "0020000102AABB"},     /* 3S */
            {{0x00, 0x20, 0x00, 0x01, d, 2, CF_NO_LE, true}, "00200001000002AABB"},  /* 3E */
            {{0x00, 0x20, 0x00, 0x01, d, 2, 16, false}, "0020000102AABB10"},         /* 4S */
            {{0x00, 0x20, 0x00, 0x01, d, 2, 16, true}, "00200001000002AABB0010"},    /* 4E */
            {{0x00, 0x20, 0x00, 0x01, d, 2, 65536, true}, "00200001000002AABB0000"}, /* 4E max */
        };
        uint8_t out[32];
        char hex[80];

        (void)state;
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                size_t n = cf_encode(&rows[i].a, out, sizeof(out));
                for (size_t k = 0; k < n; k++)
                        snprintf(hex + 2 * k, 3, "%02X", out[k]);
                hex[2 * n] = '\0';
                assert_string_equal(hex, rows[i].hex);
        }
}

/* ---- card descriptions ----------------------------------------------------------- */

static void test_description_errors(void **state)
{
        static const struct {
                const char *yaml, *msg;
        } rows[] = {
            {"name: x\nserail: \"01\"\n", "t.yaml:2:1: card description: unknown key 'serail'"},
            {"chvs:\n  pin: {reference: \"01\", retries: 40}\n",
             "t.yaml:2:35: retries: expected a number 1..15"},
            {"chvs:\n  pin: {reference: \"41\"}\n", "t.yaml:2:21: reference: 41 is no reference"},
            {"chvs:\n  pin: {reference: \"01\", puk: nope}\n", "puk: no chv named 'nope'"},
            {"chvs:\n  pin: {value: \"123\", length: 4..8}\n",
             "the value has 3 bytes, outside length 4..8"},
            {"files:\n  f: {type: ef, read: {chv: pn}, update: never}\n",
             "t.yaml:2:29: f: read: no chv named 'pn'"},
            {"files:\n  d: {type: df}\n", "DF 'd': give its fid or its aid"},
            {"piv:\n  management_key_algorithm: aes128\n  management_key: \"01 02\"\n",
             "management_key: at least 16 bytes expected, got 2"},
            {"openpgp:\n  signature_pin: twice\n", "signature_pin: expected once or several"},
            {"chvs:\n  pin: {reference: \"01\", malformed: maybe}\n",
             "t.yaml:2:37: malformed: expected refused or wrong"},
            {"name: [unclosed\n", "t.yaml:2:1: YAML:"},
            {"%YAML 1.2\n---\nname: x\n", "t.yaml:1:1: YAML directives"},
        };
        struct cf_card *c = NULL;
        char err[600];

        (void)state;
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                assert_int_equal(cf_card_parse("t.yaml", rows[i].yaml, strlen(rows[i].yaml), &c,
                                               err, sizeof(err)),
                                 -1);
                assert_null(c);
                if (strstr(err, rows[i].msg) == NULL)
                        fail_msg("row %zu: '%s' lacks '%s'", i, err, rows[i].msg);
        }
}

static void test_description_of_profiles(void **state)
{
        struct cf_card *c = load_card("iso7816-chv.yaml");

        (void)state;
        assert_int_equal(c->nchvs, 3);
        assert_int_equal(c->chvs[0].ref, 0x01);
        assert_int_equal(c->chvs[0].retries, 3);
        assert_int_equal(c->chvs[0].puk, 1);
        assert_true(c->chvs[0].has_rrc && c->chvs[0].rrc.kind == CF_R_KEY);
        assert_int_equal(c->chvs[2].df, 3); /* app-pin in DF 5000 (files: MF, 0101, 0102, 5000) */
        assert_int_equal(c->files[2].read.kind, CF_R_CHV);
        assert_memory_equal(c->files[1].content, "scsim public file", 17);
        assert_int_equal(c->files[1].size, 64);
        cf_card_free(&c);
        c = load_card("piv.yaml");
        assert_true(c->piv.present && c->piv.has_mgmt_key && c->piv.mgmt_len == 24);
        assert_int_equal(c->chvs[0].pad, 0xff);
        assert_int_equal(cf_card_app_df(c, "piv"), 1);
        assert_false(c->chvs[0].malformed_wrong);
        cf_card_free(&c);
        c = load_card("yubikey5.yaml");
        assert_true(c->chvs[0].malformed_wrong && c->chvs[1].malformed_wrong);
        cf_card_free(&c);
}

/* ---- reports: escaping for XML, TAP and JSON; codes masked --------------------- */

static const struct cf_check odd_check = {
    "x.odd", "a title with # and <b>", "clause & co", 0, CF_ONCE, NULL};

static char *report_text(int (*write)(FILE *, const struct cf_report *), struct cf_report *rep)
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        assert_non_null(f);
        assert_int_equal(write(f, rep), 0);
        fclose(f);
        return buf;
}

static void odd_report(struct cf_report *rep, struct cf_result *res)
{
        memset(rep, 0, sizeof(*rep));
        memset(res, 0, sizeof(*res));
        rep->suite = "iso7816";
        rep->standard = "ISO";
        snprintf(rep->reader, sizeof(rep->reader), "Reader \xff \"1\"");
        res->check = &odd_check;
        snprintf(res->id, sizeof(res->id), "x.odd[<&>]");
        res->verdict = CF_FAIL;
        snprintf(res->message, sizeof(res->message), "wanted <9000> & got 'x' \x01\xc3");
        rep->results = res;
        rep->n = rep->failed = 1;
}

static void test_reports_escape(void **state)
{
        struct cf_report rep;
        struct cf_result res;
        char *xml, *js, *tap = NULL;
        size_t len = 0;
        json_object *o, *r0;
        FILE *f;

        (void)state;
        odd_report(&rep, &res);
        xml = report_text(cf_write_junit, &rep);
        assert_non_null(strstr(xml, "name=\"x.odd[&lt;&amp;&gt;]\""));
        assert_non_null(strstr(xml, "message=\"wanted &lt;9000&gt; &amp; got &apos;x&apos; ??\""));
        assert_non_null(strstr(xml, "value=\"Reader ? &quot;1&quot;\""));
        assert_null(strchr(xml, '\xff'));
        js = report_text(cf_write_json, &rep);
        assert_non_null(o = json_tokener_parse(js));
        r0 = json_object_array_get_idx(json_object_object_get(o, "results"), 0);
        assert_string_equal(json_object_get_string(json_object_object_get(r0, "message")),
                            "wanted <9000> & got 'x' ??");
        assert_string_equal(json_object_get_string(json_object_object_get(o, "reader")),
                            "Reader ? \"1\"");
        json_object_put(o);
        assert_non_null(f = open_memstream(&tap, &len));
        cf_print_tap(f, &res, 1);
        fclose(f);
        assert_non_null(strstr(tap, "not ok 1 - x.odd[<&>] a title with \\# and <b>\n"));
        assert_non_null(strstr(tap, "  message: \"wanted <9000> & got 'x' ??\"\n"));
        free(xml);
        free(js);
        free(tap);
}

/* A failed check's APDUs show how long a code was, never its bytes. */
static void test_codes_masked(void **state)
{
        struct sim s;
        struct cf_card *card = load_card("piv.yaml");
        struct cf_report rep;
        char *text = NULL;
        size_t len = 0;
        FILE *f;

        (void)state;
        card->chvs[0].value[5] = '7'; /* "123457": refused, so its VERIFY is in a report */
        sim_open(&s, "piv.yaml");
        assert_int_equal(run_suite(&s, "piv", card, false, false, &rep), 0);
        assert_non_null(f = open_memstream(&text, &len));
        for (size_t i = 0; i < rep.n; i++)
                cf_print_text(f, &rep.results[i]);
        fclose(f);
        assert_non_null(strstr(text, "00 20 00 80 08 (8 bytes of a code, masked)"));
        assert_null(strstr(text, "31 32 33 34 35"));
        free(text);
        cf_report_free(&rep);
        cf_card_free(&card);
        sim_free(&s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_shipped_profiles_green),
            cmocka_unit_test(test_malformed_as_described),
            cmocka_unit_test(test_card_ignoring_p1ff),
            cmocka_unit_test(test_card_ignoring_le),
            cmocka_unit_test(test_card_not_reset),
            cmocka_unit_test(test_card_counting_queries),
            cmocka_unit_test(test_wrong_description_spends_one_try),
            cmocka_unit_test(test_card_gone_and_back),
            cmocka_unit_test(test_safe_by_default),
            cmocka_unit_test(test_encode_cases),
            cmocka_unit_test(test_description_errors),
            cmocka_unit_test(test_description_of_profiles),
            cmocka_unit_test(test_reports_escape),
            cmocka_unit_test(test_codes_masked),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
