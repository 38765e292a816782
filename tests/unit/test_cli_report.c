/* SPDX-License-Identifier: MIT */
/*
 * What the verbs tell a user: the explanation of each card answer, a result
 * said once over the real simulated card, and which reader -r names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <scsim/scsim.h>

#include "cli.h"
#include "commands.h"

struct explain_row {
        const char *verb;
        uint8_t p2;
        uint16_t sw;
        int tries;
        const char *aid;
        const char *what;
        const char *want[3]; /* every one must appear */
};

static const struct explain_row explain_rows[] = {
    {"verify", 0x01, 0x63c2, 2, "", "PIN", {"wrong PIN, 2 tries left"}},
    {"verify", 0x01, 0x63c1, 1, "", "PIN", {"wrong PIN, 1 try left", "blocks ref 01"}},
    {"verify", 0x01, 0x63c0, 0, "", "PIN", {"no try left", "blocked", "scsim unblock --ref 01`"}},
    {"verify",
     0x81,
     0x63c0,
     0,
     " --aid F0534353494D01",
     "PIN",
     {"scsim unblock --ref 81 --aid F0534353494D01`"}},
    {"unblock", 0x01, 0x63c9, 9, "", "PUK or new PIN", {"wrong PUK or new PIN, 9 tries left"}},
    {"verify", 0x01, 0x6300, -1, "", "PIN", {"wrong PIN"}},
    {"verify", 0x01, 0x6983, 0, "", "PIN", {"ref 01 is blocked", "scsim unblock --ref 01`"}},
    {"unblock", 0x01, 0x6983, 0, "", "PUK", {"unblock code of ref 01 is blocked"}},
    {"verify",
     0x01,
     0x6a80,
     3,
     "",
     "PIN",
     {"refused the PIN's format", "no try was spent (3 tries left)", "length"}},
    {"change-code",
     0x01,
     0x6a80,
     1,
     "",
     "current or new PIN",
     {"current or new PIN's format", "no try was spent (1 try left)"}},
    {"verify", 0x81, 0x6a88, -1, "", "PIN", {"no ref 81 where it is now", "--aid AID"}},
    {"verify",
     0x81,
     0x6a88,
     -1,
     " --aid F0534353494D02",
     "PIN",
     {"selected with --aid F0534353494D02 has no ref 81", "scsim status --aid F0534353494D02"}},
    {"verify", 0x05, 0x6a88, -1, "", "PIN", {"no ref 05", "`scsim status`"}},
    {"change-code", 0x01, 0x6982, -1, "", "PIN", {"security status not satisfied"}},
    {"change-code", 0x01, 0x6985, -1, "", "PIN", {"conditions of use", "SW 6985"}},
    {"verify", 0x01, 0x6d00, -1, "", "PIN", {"does not support", "6D00"}},
    {"verify", 0x01, 0x6400, -1, "", "PIN", {"SW 6400"}},
};

static void test_explain(void **state)
{
        char buf[900];

        (void)state;
        for (size_t i = 0; i < sizeof(explain_rows) / sizeof(explain_rows[0]); i++) {
                const struct explain_row *r = &explain_rows[i];
                cli_explain(buf, sizeof(buf), r->verb, r->p2, r->sw, r->tries, r->aid, r->what);
                for (size_t k = 0; k < 3 && r->want[k] != NULL; k++)
                        if (strstr(buf, r->want[k]) == NULL)
                                fail_msg("row %zu: '%s' lacks '%s'", i, buf, r->want[k]);
        }
}

/* ---- results over the real simulated card ---- */

struct sim {
        scsim_profile *prof;
        scsim_card *card;
};

static scsim_hresult sim_transmit(void *ctx, const uint8_t *capdu, size_t clen, uint8_t *rapdu,
                                  size_t cap, size_t *rlen)
{
        struct sim *s = ctx;

        return scsim_card_transmit(s->card, capdu, clen, rapdu, cap, rlen) == SCSIM_OK
                   ? SCSIM_S_OK
                   : SCSIM_SCARD_F_INTERNAL_ERROR;
}

static scsim_hresult sim_reconnect(void *ctx, int warm_reset)
{
        struct sim *s = ctx;
        const uint8_t *atr;
        size_t n;

        if (warm_reset && scsim_card_reset(s->card, &atr, &n) != SCSIM_OK)
                return SCSIM_SCARD_F_INTERNAL_ERROR;
        return SCSIM_S_OK;
}

static void sim_close(void *ctx)
{
        struct sim *s = ctx;

        scsim_card_free(&s->card);
        scsim_profile_free(&s->prof);
        free(s);
}

static const struct scsim_scv_transport sim_ops = {sim_transmit, sim_reconnect, sim_close};

/* A verb's state attached to a fresh default card, as cli_attach leaves it. */
static void attach(struct cli *c, const char *verb)
{
        struct sim *s = calloc(1, sizeof(*s));
        const uint8_t *atr;
        size_t n;

        assert_non_null(s);
        memset(c, 0, sizeof(*c));
        c->verb = verb;
        c->allow = CLI_REF | CLI_PIN | CLI_AID;
        assert_int_equal(scsim_profile_default(&s->prof), SCSIM_OK);
        s->card = scsim_card_new(s->prof);
        assert_non_null(s->card);
        assert_int_equal(scsim_card_power_on(s->card, &atr, &n), SCSIM_OK);
        assert_int_equal(scsim_scv_new(&sim_ops, s, &c->v), SCSIM_S_OK);
}

struct run {
        struct cli *c;
        const char *code;
        uint8_t p2;
        int exit;
};

static void verify_and_report(void *arg)
{
        struct run *r = arg;
        scsim_hresult hr = scsim_scv_verify(r->c->v, (const uint8_t *)r->code, strlen(r->code),
                                            (r->p2 & 0x80) ? SCSIM_FL_LOCAL : 0, r->p2 & 0x1f);

        r->exit = cli_report(r->c, "Verify", r->p2, hr, "PIN");
}

/* What fn wrote to stdout and to stderr. */
static void output_of(void (*fn)(void *), void *arg, char *out, char *err, size_t cap)
{
        FILE *f[2] = {tmpfile(), tmpfile()};
        int saved[2];
        char *dst[2] = {out, err};

        fflush(stdout);
        fflush(stderr);
        for (int i = 0; i < 2; i++) {
                assert_non_null(f[i]);
                saved[i] = dup(1 + i);
                assert_true(dup2(fileno(f[i]), 1 + i) >= 0);
        }
        fn(arg);
        fflush(stdout);
        fflush(stderr);
        for (int i = 0; i < 2; i++) {
                size_t n;
                assert_true(dup2(saved[i], 1 + i) >= 0);
                close(saved[i]);
                rewind(f[i]);
                n = fread(dst[i], 1, cap - 1, f[i]);
                dst[i][n] = '\0';
                fclose(f[i]);
        }
}

static size_t count(const char *hay, const char *needle)
{
        size_t n = 0;

        for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
                n++;
        return n;
}

/*
 * A malformed PIN: the result once on stdout, what it means once on stderr
 * (the rule, and that no try was spent, with the count a query found).
 */
static void test_malformed_pin_said_once(void **state)
{
        struct cli c;
        struct run r = {&c, "12", 0x01, -1};
        char out[2048], err[2048], both[4096];

        (void)state;
        attach(&c, "verify");
        output_of(verify_and_report, &r, out, err, sizeof(out));
        assert_int_equal(r.exit, EXIT_FAILED);
        assert_string_equal(out, "Verify ref 01 (global): SCARD_E_INVALID_VALUE (0x80100011), "
                                 "SW 6A80, 3 tries left\n");
        snprintf(both, sizeof(both), "%s%s", out, err);
        assert_int_equal(count(both, "SCARD_E_INVALID_VALUE"), 1);
        assert_int_equal(count(err, "no try was spent (3 tries left)"), 1);
        assert_int_equal(count(err, "\n"), 1);
        assert_non_null(strstr(err, "length"));
        assert_null(strstr(both, "12 ")); /* the code itself is never shown */
        scsim_scv_free(&c.v);
}

/* The same failure with --json: one object with the counter and the explanation. */
static void test_malformed_pin_json(void **state)
{
        struct cli c;
        struct run r = {&c, "12", 0x01, -1};
        char out[2048], err[2048];

        (void)state;
        attach(&c, "verify");
        c.json = 1;
        output_of(verify_and_report, &r, out, err, sizeof(out));
        assert_int_equal(r.exit, EXIT_FAILED);
        assert_non_null(strstr(out, "{\"operation\":\"verify\",\"reader\":\"\",\"ref\":\"01\","
                                    "\"scope\":\"global\",\"sw\":\"6A80\",\"hresult\":"
                                    "\"SCARD_E_INVALID_VALUE\",\"hresult_value\":\"0x80100011\","
                                    "\"tries_left\":3,\"error\":\"the card refused"));
        assert_non_null(strstr(out, "no try was spent (3 tries left)"));
        assert_int_equal(count(out, "\n"), 1);
        assert_int_equal(count(err, "no try was spent"), 1);
        scsim_scv_free(&c.v);
}

/* VERIFY 00 20 00 81 outside the application: the card says 6A88, the hint says --aid. */
static void test_local_ref_hints_aid(void **state)
{
        struct cli c;
        struct run r = {&c, "000000", 0x81, -1};
        char out[2048], err[2048];

        (void)state;
        attach(&c, "verify");
        output_of(verify_and_report, &r, out, err, sizeof(out));
        assert_int_equal(r.exit, EXIT_FAILED);
        assert_non_null(strstr(out, "SCARD_E_INVALID_CHV (0x8010002A), SW 6A88"));
        assert_non_null(strstr(err, "select that first with --aid AID"));
        scsim_scv_free(&c.v);
}

/* Three wrong PINs: the counts read "2 tries left", "1 try left", then blocked. */
static void test_counts_read_right(void **state)
{
        static const char *const want[] = {", 2 tries left\n", ", 1 try left\n", ", no try left\n"};
        struct cli c;
        struct run r = {&c, "9999", 0x01, -1};
        char out[2048], err[2048];

        (void)state;
        attach(&c, "verify");
        for (size_t i = 0; i < 3; i++) {
                output_of(verify_and_report, &r, out, err, sizeof(out));
                assert_int_equal(r.exit, EXIT_FAILED);
                if (strstr(out, want[i]) == NULL)
                        fail_msg("try %zu: '%s' lacks '%s'", i + 1, out, want[i]);
        }
        assert_non_null(strstr(err, "ref 01 is now blocked"));
        assert_null(strstr(out, "1 tries"));
        scsim_scv_free(&c.v);
}

/* ---- which reader -r names ---- */

struct match_row {
        const char *spec;
        size_t n;
        size_t idx[3];
};

static const struct match_row match_rows[] = {
    {"0", 1, {0}},
    {"2", 1, {2}},
    {"9", 0, {0}}, /* no such index */
    {"PCD", 2, {0, 1}},
    {"pcd 00 01", 1, {1}},
    {"Virtual PCD 00 00", 1, {0}},
    {"yubikey", 1, {2}},
    {"00 0", 3, {0, 1, 2}},
    {"Reader A", 1, {3}}, /* a whole name wins over a longer one holding it */
    {"reader a", 2, {3, 4}},
    {"nothing", 0, {0}},
    {"-1", 0, {0}},
    {"", 0, {0}},
};

static void test_reader_match(void **state)
{
        static const char *const names[] = {"Virtual PCD 00 00", "Virtual PCD 00 01",
                                            "Yubico YubiKey OTP+FIDO+CCID 00 00", "Reader A",
                                            "Reader A 2"};
        struct cli_readers r;

        (void)state;
        memset(&r, 0, sizeof(r));
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                snprintf(r.name[r.n++], sizeof(r.name[0]), "%s", names[i]);
        for (size_t i = 0; i < sizeof(match_rows) / sizeof(match_rows[0]); i++) {
                const struct match_row *m = &match_rows[i];
                size_t idx[CLI_READERS_MAX];
                size_t n = cli_readers_match(&r, m->spec, idx, CLI_READERS_MAX);
                if (n != m->n)
                        fail_msg("'%s': %zu matches, want %zu", m->spec, n, m->n);
                for (size_t k = 0; k < n && k < 3; k++)
                        if (idx[k] != m->idx[k])
                                fail_msg("'%s': match %zu is %zu, want %zu", m->spec, k, idx[k],
                                         m->idx[k]);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_explain),
            cmocka_unit_test(test_malformed_pin_said_once),
            cmocka_unit_test(test_malformed_pin_json),
            cmocka_unit_test(test_local_ref_hints_aid),
            cmocka_unit_test(test_counts_read_right),
            cmocka_unit_test(test_reader_match),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
