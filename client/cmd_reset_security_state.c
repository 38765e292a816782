/* SPDX-License-Identifier: MIT */
/* scsim reset-security-state: ISCardVerify::ResetSecurityState on a card. */
#include <stdio.h>

#include "cli.h"
#include "commands.h"

static const char usage[] =
    "usage: scsim reset-security-state [-r READER] [--ref HEX]... [--local|--global]\n"
    "                                  [--aid HEX] [--json] [-v]\n"
    "Reset the card's security state: VERIFY 00 20 FF P2 for each reference, each\n"
    "checked with a VERIFY query; a warm reset when the card cannot do that\n"
    "(6A86/6B00/6D00) or a reference stays verified. Without --ref, every reference\n"
    "a query finds (globals 00..1F, and locals 80..9F after --aid) is reset.\n"
    "  -r, --reader R  reader: an index (0), a name, or part of one ('PCD 00 01');\n"
    "                  default $SCSIM_READER, else the first reader with a card\n"
    "      --ref HEX   a reference to reset (repeatable)\n"
    "      --aid HEX   select this application first (for local references)\n"
    "      --json      one JSON object on stdout (docs/json.md)\n"
    "  -v, --verbose   say which reader and which references were found, on stderr\n"
    "  -h, --help      this text\n"
    "Exit: 0 reset, 1 the card said no, 2 usage, 3 no reader or PC/SC failure.\n";

/* The references to reset: those named, or every one a query finds. */
static scsim_hresult gather(struct cli *c, uint8_t *found, size_t *n)
{
        scsim_hresult hr = SCSIM_S_OK;

        *n = 0;
        for (size_t i = 0; i < c->nrefs; i++) {
                scsim_scv_register_ref(c->v, (c->p2[i] & 0x80) ? SCSIM_FL_LOCAL : 0,
                                       c->p2[i] & 0x1f);
                found[(*n)++] = c->p2[i];
        }
        /* a fresh process verified nothing itself: find what the card has */
        for (unsigned r = 0; c->nrefs == 0 && r < 64; r++) {
                uint8_t p2 = (uint8_t)(r < 32 ? r : 0x80 | (r - 32));
                if (r >= 32 && c->aid_len == 0)
                        break;
                hr = scsim_scv_verify(c->v, NULL, 0, (p2 & 0x80) ? SCSIM_FL_LOCAL : 0, p2 & 0x1f);
                if (cli_exit_code(hr) == EXIT_RUNTIME)
                        return hr;
                if (scsim_scv_last_sw(c->v) == 0x6a88)
                        continue;
                cli_say(c, "ref %02X found (SW %04X)", p2, scsim_scv_last_sw(c->v));
                scsim_scv_register_ref(c->v, (p2 & 0x80) ? SCSIM_FL_LOCAL : 0, p2 & 0x1f);
                found[(*n)++] = p2;
        }
        return SCSIM_S_OK;
}

static void print_result(struct cli *c, const uint8_t *found, size_t n, scsim_hresult hr)
{
        const int method = scsim_scv_last_reset_method(c->v);
        struct json_object *o, *refs;

        if (c->json) {
                o = cli_json_new(c->verb);
                cli_json_text(o, "reader", scsim_scv_reader(c->v));
                refs = cli_json_array(o, "references");
                for (size_t i = 0; i < n; i++) {
                        struct json_object *r = cli_json_object();
                        cli_json_ref(r, found[i]);
                        cli_json_append(refs, r);
                }
                cli_json_text(o, "method",
                              method == 1   ? "verify-ff"
                              : method == 2 ? "warm-reset"
                                            : "none");
                cli_json_hresult(o, hr);
                cli_result(c, &o, hr == SCSIM_S_OK);
                return;
        }
        printf("ResetSecurityState:");
        for (size_t i = 0; i < n; i++)
                printf(" %02X", found[i]);
        printf("%s: %s (0x%08X), by %s\n", n == 0 ? " (no references)" : "", scsim_hresult_name(hr),
               hr,
               method == 1   ? "VERIFY P1=FF"
               : method == 2 ? "warm reset"
                             : "nothing (failed first)");
        fflush(stdout);
}

static int reset_run(int argc, char **argv)
{
        struct cli c;
        scsim_hresult hr;
        uint8_t found[64];
        size_t n = 0;
        int code;

        if (cli_parse(&c, argc, argv, CLI_REF | CLI_REFS | CLI_AID, usage, &code) != 0)
                return code;
        if ((code = cli_attach(&c)) != EXIT_OK)
                return cli_finish(&c, code);
        hr = gather(&c, found, &n);
        if (hr == SCSIM_S_OK)
                hr = scsim_scv_reset_security_state(c.v);
        code = cli_exit_code(hr);
        if (!c.json)
                print_result(&c, found, n, hr);
        if (code != EXIT_OK)
                cli_fail(&c, code,
                         "the security state may not be reset (the card answered SW %04X); "
                         "removing the card or power-cycling it resets it for sure",
                         scsim_scv_last_sw(c.v));
        if (c.json)
                print_result(&c, found, n, hr);
        return cli_finish(&c, code);
}

const struct verb verb_reset_security_state = {
    "reset-security-state", "ISCardVerify::ResetSecurityState: forget every verified PIN",
    reset_run};
