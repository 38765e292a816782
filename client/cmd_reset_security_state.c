/* SPDX-License-Identifier: MIT */
/* scsim reset-security-state: ISCardVerify::ResetSecurityState on a card. */
#include <stdio.h>

#include "cli.h"
#include "commands.h"

static const char usage[] =
    "usage: scsim reset-security-state [--reader NAME] [--ref HEX]... [--local|--global]\n"
    "                                  [--aid HEX] [--json]\n"
    "Reset the card's security state: VERIFY 00 20 FF P2 for each reference, each\n"
    "checked with a VERIFY query; a warm reset when the card cannot do that\n"
    "(6A86/6B00/6D00) or a reference stays verified. Without --ref, every reference\n"
    "a query finds (globals 00..1F, and locals 80..9F after --aid) is reset.\n"
    "  --reader NAME  reader to use (default $SCSIM_READER, else the first with a card)\n"
    "  --ref HEX      a reference to reset (repeatable)\n"
    "  --json         one JSON object on stdout\n"
    "Exit: 0 reset, 1 the card said no, 3 no reader or PC/SC failure.\n";

static int reset_run(int argc, char **argv)
{
        struct cli c;
        scsim_hresult hr = SCSIM_S_OK;
        size_t found = 0;
        uint8_t found_p2[64];
        int code, method;

        if (cli_parse(&c, argc, argv, CLI_REF | CLI_REFS | CLI_AID, usage, &code) != 0)
                return code;
        if ((code = cli_attach(&c)) != EXIT_OK)
                goto out;
        for (size_t i = 0; i < c.nrefs; i++) {
                scsim_scv_register_ref(c.v, (c.p2[i] & 0x80) ? SCSIM_FL_LOCAL : 0, c.p2[i] & 0x1f);
                found_p2[found++] = c.p2[i];
        }
        /* a fresh process verified nothing itself: find what the card has */
        for (unsigned r = 0; c.nrefs == 0 && r < 64; r++) {
                uint8_t p2 = (uint8_t)(r < 32 ? r : 0x80 | (r - 32));
                if (r >= 32 && c.aid_len == 0)
                        break;
                hr = scsim_scv_verify(c.v, NULL, 0, (p2 & 0x80) ? SCSIM_FL_LOCAL : 0, p2 & 0x1f);
                if (cli_exit_code(hr) == EXIT_RUNTIME)
                        break;
                if (scsim_scv_last_sw(c.v) == 0x6a88)
                        continue;
                scsim_scv_register_ref(c.v, (p2 & 0x80) ? SCSIM_FL_LOCAL : 0, p2 & 0x1f);
                found_p2[found++] = p2;
        }
        if (cli_exit_code(hr) != EXIT_RUNTIME)
                hr = scsim_scv_reset_security_state(c.v);
        method = scsim_scv_last_reset_method(c.v);
        code = cli_exit_code(hr);
        if (c.json) {
                printf("{\"operation\":\"ResetSecurityState\",\"reader\":");
                cli_json_str(scsim_scv_reader(c.v));
                printf(",\"refs\":[");
                for (size_t i = 0; i < found; i++)
                        printf("%s\"%02X\"", i > 0 ? "," : "", found_p2[i]);
                printf("],\"method\":\"%s\",\"hresult\":\"%s\",\"hresult_value\":\"0x%08X\","
                       "\"ok\":%s}\n",
                       method == 1   ? "verify-ff"
                       : method == 2 ? "warm-reset"
                                     : "none",
                       scsim_hresult_name(hr), hr, hr == SCSIM_S_OK ? "true" : "false");
        } else {
                printf("ResetSecurityState:");
                for (size_t i = 0; i < found; i++)
                        printf(" %02X", found_p2[i]);
                printf("%s: %s (0x%08X), by %s\n", found == 0 ? " (no references)" : "",
                       scsim_hresult_name(hr), hr,
                       method == 1   ? "VERIFY P1=FF"
                       : method == 2 ? "warm reset"
                                     : "nothing (failed first)");
        }
        if (code != EXIT_OK)
                fprintf(stderr, "scsim reset-security-state: failed: %s (0x%08X)\n",
                        scsim_hresult_name(hr), hr);
out:
        cli_close(&c);
        return code;
}

const struct verb verb_reset_security_state = {
    "reset-security-state", "ISCardVerify::ResetSecurityState: forget every verified PIN",
    reset_run};
