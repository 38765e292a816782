/* SPDX-License-Identifier: MIT */
/* scsim status: each reference's state and tries left, from VERIFY queries (no code sent). */
#include <stdio.h>

#include "cli.h"
#include "commands.h"

static const char usage[] =
    "usage: scsim status [-r READER] [--ref HEX]... [--local|--global] [--aid HEX]\n"
    "                    [--json] [-v]\n"
    "Ask the card about each reference with VERIFY 00 20 00 P2 and no data: this\n"
    "never costs a try. Without --ref, every global reference 00..1F is asked (and\n"
    "every local one 80..9F after --aid selects an application); references the\n"
    "card does not know (6A88) are left out.\n"
    "  -r, --reader R  reader: an index (0), a name, or part of one ('PCD 00 01');\n"
    "                  default $SCSIM_READER, else the first reader with a card\n"
    "      --ref HEX   a reference to ask about (repeatable)\n"
    "      --aid HEX   select this application first (for local references)\n"
    "      --json      one JSON object on stdout (docs/json.md)\n"
    "  -v, --verbose   say which reader and what was skipped, on stderr\n"
    "  -h, --help      this text\n"
    "Exit: 0 answered, 1 a named reference is missing, 2 usage, 3 no reader or PC/SC\n"
    "failure (with no pcscd running: use `scsim run -- scsim status`).\n";

/* The state a query's answer shows: in words, and as a JSON token. */
static void state_of(uint16_t sw, const char **text, const char **token)
{
        if (sw == 0x9000) {
                *text = *token = "verified";
        } else if ((sw & 0xfff0) == 0x63c0 || sw == 0x6300) {
                *text = "not verified";
                *token = "not-verified";
        } else if (sw == 0x6983) {
                *text = *token = "blocked";
        } else if (sw == 0x6a88) {
                *text = "no such reference";
                *token = "missing";
        } else {
                *text = "unexpected answer";
                *token = "unexpected";
        }
}

static void show(struct cli *c, struct json_object *refs, uint8_t p2, scsim_hresult hr)
{
        const uint16_t sw = scsim_scv_last_sw(c->v);
        const int tries = scsim_scv_tries_left(c->v);
        const char *text, *token;
        char t[32];

        state_of(sw, &text, &token);
        if (c->json) {
                struct json_object *r = cli_json_object();
                cli_json_ref(r, p2);
                cli_json_card(r, sw, hr, tries);
                cli_json_text(r, "state", token);
                cli_json_append(refs, r);
                return;
        }
        printf("ref %02X (%s): %s", p2, cli_scope(p2), text);
        if (tries >= 0)
                printf(", %s", cli_tries(tries, t, sizeof(t)));
        printf(" (SW %04X, %s 0x%08X)\n", sw, scsim_hresult_name(hr), hr);
}

/* The references to ask: those named, or every one there can be. */
static size_t plan(const struct cli *c, uint8_t *p2s)
{
        size_t n = 0;

        for (size_t i = 0; i < c->nrefs; i++)
                p2s[n++] = c->p2[i];
        for (unsigned r = 0; c->nrefs == 0 && r <= SCSIM_REF_MAX; r++) {
                p2s[n++] = (uint8_t)r;
                if (c->aid_len > 0)
                        p2s[n++] = (uint8_t)(0x80 | r);
        }
        return n;
}

/* Ask each reference; returns the exit code. */
static int ask_all(struct cli *c, struct json_object *refs, const uint8_t *p2s, size_t n)
{
        const int scan = c->nrefs == 0;
        size_t shown = 0, missing = 0, k = 0;
        uint8_t first_missing = 0;
        char why[600], aid[48], skipped[3 * 64 + 1] = "";

        for (size_t i = 0; i < n; i++) {
                scsim_hresult hr = scsim_scv_verify(
                    c->v, NULL, 0, (p2s[i] & 0x80) ? SCSIM_FL_LOCAL : 0, p2s[i] & 0x1f);
                int code = cli_exit_code(hr);

                if (code == EXIT_RUNTIME || code == EXIT_USAGE)
                        return cli_fail(c, code, "ref %02X: %s (0x%08X): the card or PC/SC failed",
                                        p2s[i], scsim_hresult_name(hr), hr);
                if (scsim_scv_last_sw(c->v) == 0x6a88 && scan) {
                        k += (size_t)snprintf(skipped + k, sizeof(skipped) - k, " %02X", p2s[i]);
                        continue;
                }
                if (scsim_scv_last_sw(c->v) == 0x6a88 && missing++ == 0)
                        first_missing = p2s[i];
                show(c, refs, p2s[i], hr);
                shown++;
        }
        if (k > 0)
                cli_say(c, "references the card does not know (6A88), left out:%s", skipped);
        if (!c->json && shown == 0)
                printf("no references found%s\n",
                       c->aid_len == 0 && scan ? " (local ones, 80..9F, are asked only after --aid "
                                                 "selects their application)"
                                               : "");
        fflush(stdout);
        if (missing == 0)
                return EXIT_OK;
        cli_aid_arg(c, aid, sizeof(aid));
        cli_explain(why, sizeof(why), c->verb, first_missing, 0x6a88, -1, aid, "code");
        return cli_fail(c, EXIT_FAILED, "%s", why);
}

static int status_run(int argc, char **argv)
{
        struct cli c;
        struct json_object *o = NULL, *refs = NULL;
        uint8_t p2s[2 * (SCSIM_REF_MAX + 1)];
        size_t n;
        int code;

        if (cli_parse(&c, argc, argv, CLI_REF | CLI_REFS | CLI_AID, usage, &code) != 0)
                return code;
        n = plan(&c, p2s);
        if ((code = cli_attach(&c)) != EXIT_OK)
                return cli_finish(&c, code);
        if (c.json) {
                o = cli_json_new(c.verb);
                cli_json_text(o, "reader", scsim_scv_reader(c.v));
                refs = cli_json_array(o, "references");
        } else {
                printf("reader: %s\n", scsim_scv_reader(c.v));
        }
        code = ask_all(&c, refs, p2s, n);
        if (c.json)
                cli_result(&c, &o, code == EXIT_OK);
        return cli_finish(&c, code);
}

const struct verb verb_status = {"status", "tries left for each reference (VERIFY queries)",
                                 status_run};
