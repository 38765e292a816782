/* SPDX-License-Identifier: MIT */
/*
 * scsim demo: an ISCardVerify session against the default card, every step
 * a row of a table with its status word and the HRESULT that maps to.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

static const char usage[] =
    "usage: scsim demo [-r READER] [--json] [-v]\n"
    "Run an ISCardVerify session against the default card (profile iso7816-chv, in\n"
    "its initial state): status, a wrong PIN, the right PIN, read the protected\n"
    "file, ResetSecurityState, the read refused, block the PIN, Unblock with the\n"
    "PUK, ChangeCode, Verify with the new code, and put the PIN back. The codes are\n"
    "the default card's published test values and are never printed.\n"
    "  -r, --reader R  reader: an index (0), a name, or part of one ('PCD 00 01');\n"
    "                  default $SCSIM_READER, else the first reader with a card\n"
    "      --json      one JSON object on stdout (docs/json.md)\n"
    "  -v, --verbose   say which reader, on stderr\n"
    "  -h, --help      this text\n"
    "Exit: 0 when every step gave the expected result, 1 when one did not, 2 usage,\n"
    "3 no reader or PC/SC failure.\n";

#define ANY_SW 0xffffu

/* The default card's test codes (profiles/iso7816-chv.yaml), not anybody's secrets. */
#define PIN     "1234"
#define WRONG   "9999"
#define PUK_PIN "12345678" PIN /* Unblock's data: the PUK, then the new PIN */
#define NEW_PIN "2468"
#define CODE(s) (const uint8_t *)(s), (uint32_t)(sizeof(s) - 1)
#define NONE    NULL, 0

enum kind { K_VERIFY, K_CHANGE, K_UNBLOCK, K_RESET, K_SELECT, K_READ };

/* One step of the session: what it does, the codes it sends, what the card must answer. */
struct row {
        enum kind kind;
        const char *what;
        const uint8_t *code;
        uint32_t len;
        const uint8_t *code2;
        uint32_t len2;
        uint16_t want_sw;
        scsim_hresult want_hr;
};

static const struct row session[] = {
    {K_VERIFY, "Verify 01, no code (a query)", NONE, NONE, 0x63c3,
     SCSIM_SCARD_W_CARD_NOT_AUTHENTICATED},
    {K_VERIFY, "Verify 01, wrong PIN", CODE(WRONG), NONE, 0x63c2, SCSIM_SCARD_W_WRONG_CHV},
    {K_VERIFY, "Verify 01, right PIN", CODE(PIN), NONE, 0x9000, SCSIM_S_OK},
    {K_SELECT, "SELECT EF 0102 (needs ref 01)", NONE, NONE, 0x9000, SCSIM_S_OK},
    {K_READ, "READ BINARY EF 0102", NONE, NONE, 0x9000, SCSIM_S_OK},
    {K_RESET, "ResetSecurityState", NONE, NONE, ANY_SW, SCSIM_S_OK},
    {K_SELECT, "SELECT EF 0102 (needs ref 01)", NONE, NONE, 0x9000, SCSIM_S_OK},
    {K_READ, "READ BINARY EF 0102, refused", NONE, NONE, 0x6982, SCSIM_SCARD_W_SECURITY_VIOLATION},
    {K_VERIFY, "Verify 01, wrong PIN", CODE(WRONG), NONE, 0x63c2, SCSIM_SCARD_W_WRONG_CHV},
    {K_VERIFY, "Verify 01, wrong PIN", CODE(WRONG), NONE, 0x63c1, SCSIM_SCARD_W_WRONG_CHV},
    {K_VERIFY, "Verify 01, wrong PIN, blocks it", CODE(WRONG), NONE, 0x63c0,
     SCSIM_SCARD_W_WRONG_CHV},
    {K_VERIFY, "Verify 01, right PIN, blocked", CODE(PIN), NONE, 0x6983, SCSIM_SCARD_W_CHV_BLOCKED},
    {K_UNBLOCK, "Unblock 01: PUK, first PIN again", CODE(PUK_PIN), NONE, 0x9000, SCSIM_S_OK},
    {K_VERIFY, "Verify 01, no code (not verified)", NONE, NONE, 0x63c3,
     SCSIM_SCARD_W_CARD_NOT_AUTHENTICATED},
    {K_CHANGE, "ChangeCode 01 to a second PIN", CODE(PIN), CODE(NEW_PIN), 0x9000, SCSIM_S_OK},
    {K_VERIFY, "Verify 01, the second PIN", CODE(NEW_PIN), NONE, 0x9000, SCSIM_S_OK},
    /* leave the card as we found it, so the demo can run again */
    {K_CHANGE, "ChangeCode 01 back to the first", CODE(NEW_PIN), CODE(PIN), 0x9000, SCSIM_S_OK},
    {K_RESET, "ResetSecurityState", NONE, NONE, ANY_SW, SCSIM_S_OK},
};
#define NSTEPS (sizeof(session) / sizeof(session[0]))

struct demo {
        struct cli *c;
        scsim_iscardverify *cv;
        scsim_scv *v;
        struct json_object *steps;
        char note[128]; /* what a step read or how it reset, shown under its row */
};

static const char *operation_of(enum kind k)
{
        static const char *const names[] = {
            "verify", "change-code", "unblock", "reset-security-state", "transmit", "transmit"};
        return names[k];
}

static scsim_hresult transmit(struct demo *d, const struct row *r)
{
        /* EF 0102 by its path from the MF: another client may have left an application selected */
        static const uint8_t sel[] = {0x00, 0xa4, 0x08, 0x0c, 0x02, 0x01, 0x02};
        static const uint8_t rb[] = {0x00, 0xb0, 0x00, 0x00, 0x00};
        uint8_t buf[256];
        size_t n = 0, k = 0;
        uint16_t sw;
        scsim_hresult hr;

        if (r->kind == K_SELECT)
                return scsim_scv_transmit(d->v, sel, sizeof(sel), buf, sizeof(buf), &n, &sw);
        hr = scsim_scv_transmit(d->v, rb, sizeof(rb), buf, sizeof(buf), &n, &sw);
        if (hr == SCSIM_S_OK) {
                k = (size_t)snprintf(d->note, sizeof(d->note), "read: \"");
                for (size_t i = 0; i < n && k + 2 < sizeof(d->note); i++)
                        if (buf[i] >= 0x20 && buf[i] < 0x7f)
                                d->note[k++] = (char)buf[i];
                snprintf(d->note + k, sizeof(d->note) - k, "\"");
        }
        return hr;
}

static scsim_hresult run_step(struct demo *d, const struct row *r)
{
        const struct scsim_iscardverify_vtbl *cv = d->cv->lpVtbl;
        const int32_t G = (int32_t)SCSIM_FL_GLOBAL;
        scsim_hresult hr;

        d->note[0] = '\0';
        switch (r->kind) {
        case K_VERIFY:
                return cv->Verify(d->cv, r->code, r->len, G, 1);
        case K_CHANGE:
                return cv->ChangeCode(d->cv, r->code, r->len, r->code2, r->len2, G, 1);
        case K_UNBLOCK:
                return cv->Unblock(d->cv, r->code, r->len, G, 1);
        case K_RESET:
                hr = cv->ResetSecurityState(d->cv);
                snprintf(d->note, sizeof(d->note), "by %s; then a VERIFY query answered %04X",
                         scsim_scv_last_reset_method(d->v) == 2 ? "warm reset" : "VERIFY P1=FF",
                         scsim_scv_last_sw(d->v));
                return hr;
        default:
                return transmit(d, r);
        }
}

/*
 * The status word the step's HRESULT maps from; none for ResetSecurityState,
 * which sends several commands and whose last answer is a check's (in its note).
 */
static uint16_t step_sw(const struct demo *d, const struct row *r)
{
        return r->kind == K_RESET ? 0 : scsim_scv_last_sw(d->v);
}

static void json_step(struct demo *d, size_t i, const struct row *r, scsim_hresult hr, int ok)
{
        struct json_object *s = cli_json_object();
        char buf[8];

        cli_json_int(s, "step", (long long)i + 1);
        cli_json_text(s, "operation", operation_of(r->kind));
        cli_json_text(s, "description", r->what);
        if (r->kind <= K_UNBLOCK)
                cli_json_ref(s, 0x01);
        cli_json_card(s, step_sw(d, r), hr, scsim_scv_tries_left(d->v));
        snprintf(buf, sizeof(buf), "%04X", r->want_sw);
        cli_json_text(s, "expected_sw", r->want_sw == ANY_SW ? NULL : buf);
        cli_json_text(s, "expected_hresult", scsim_hresult_name(r->want_hr));
        if (d->note[0] != '\0')
                cli_json_text(s, "note", d->note);
        cli_json_bool(s, "ok", ok);
        cli_json_append(d->steps, s);
}

#define ROW_FMT "%3s  %-33s  %-4s -> %-43s  %-12s  %s\n"

static void text_step(struct demo *d, size_t i, const struct row *r, scsim_hresult hr, int ok)
{
        const uint16_t sw = step_sw(d, r);
        char num[8], swt[8], hrt[64], tries[32];

        snprintf(num, sizeof(num), "%zu", i + 1);
        if (sw != 0)
                snprintf(swt, sizeof(swt), "%04X", sw);
        else
                snprintf(swt, sizeof(swt), "-");
        snprintf(hrt, sizeof(hrt), "%s (0x%08X)", scsim_hresult_name(hr), hr);
        if (scsim_scv_last_sw(d->v) == 0x6983)
                snprintf(tries, sizeof(tries), "blocked");
        else if (scsim_scv_tries_left(d->v) >= 0)
                cli_tries(scsim_scv_tries_left(d->v), tries, sizeof(tries));
        else
                snprintf(tries, sizeof(tries), "-");
        printf(ROW_FMT, num, r->what, swt, hrt, tries, ok ? "ok" : "UNEXPECTED");
        if (d->note[0] != '\0')
                printf("%5s%s\n", "", d->note);
        if (!ok && r->want_sw != ANY_SW)
                printf("%5sexpected SW %04X -> %s\n", "", r->want_sw,
                       scsim_hresult_name(r->want_hr));
        else if (!ok)
                printf("%5sexpected %s\n", "", scsim_hresult_name(r->want_hr));
}

/* Run every step; stops at the first that does not give what it should. Returns the exit code. */
static int play(struct demo *d)
{
        for (size_t i = 0; i < NSTEPS; i++) {
                const struct row *r = &session[i];
                scsim_hresult hr = run_step(d, r);
                uint16_t sw = scsim_scv_last_sw(d->v);
                int ok = hr == r->want_hr && (r->want_sw == ANY_SW || sw == r->want_sw);

                if (d->c->json)
                        json_step(d, i, r, hr, ok);
                else
                        text_step(d, i, r, hr, ok);
                if (ok)
                        continue;
                return cli_fail(d->c,
                                cli_exit_code(hr) == EXIT_RUNTIME ? EXIT_RUNTIME : EXIT_FAILED,
                                "step %zu (%s) did not give the expected result%s", i + 1, r->what,
                                i == 0 ? ": the demo wants the default card (iso7816-chv) in "
                                         "its initial state, e.g. `scsim run -- scsim demo`"
                                       : "");
        }
        return EXIT_OK;
}

static int demo_run(int argc, char **argv)
{
        struct demo d;
        struct cli c;
        struct json_object *o = NULL;
        int code;

        if (cli_parse(&c, argc, argv, 0, usage, &code) != 0)
                return code;
        if ((code = cli_attach(&c)) != EXIT_OK)
                return cli_finish(&c, code);
        memset(&d, 0, sizeof(d));
        d.c = &c;
        d.v = c.v;
        if (scsim_scv_query_iscardverify(c.v, &d.cv) != SCSIM_S_OK)
                return cli_finish(&c, cli_fail(&c, EXIT_RUNTIME, "out of memory"));
        if (c.json) {
                o = cli_json_new(c.verb);
                cli_json_text(o, "reader", scsim_scv_reader(c.v));
                d.steps = cli_json_array(o, "steps");
        } else {
                printf("ISCardVerify session on reader '%s'\n\n", scsim_scv_reader(c.v));
                printf(ROW_FMT, "#", "step", "SW", "HRESULT (value)", "tries", "result");
        }
        code = play(&d);
        if (c.json)
                cli_result(&c, &o, code == EXIT_OK);
        else if (code == EXIT_OK)
                printf("\ndemo: all %zu steps gave the expected result\n", NSTEPS);
        d.cv->lpVtbl->Release(d.cv);
        return cli_finish(&c, code);
}

const struct verb verb_demo = {"demo", "an ISCardVerify session against the default card",
                               demo_run};
