/* SPDX-License-Identifier: MIT */
/* scsim status: each reference's state and tries left, from VERIFY queries (no code sent). */
#include <stdio.h>

#include "cli.h"
#include "commands.h"

static const char usage[] =
    "usage: scsim status [--reader NAME] [--ref HEX]... [--local|--global] [--aid HEX]\n"
    "                    [--json]\n"
    "Ask the card about each reference with VERIFY 00 20 00 P2 and no data: this\n"
    "never costs a try. Without --ref, every global reference 00..1F is asked (and\n"
    "every local one 80..9F after --aid selects an application); references the\n"
    "card does not know (6A88) are left out.\n"
    "  --reader NAME  reader to use (default $SCSIM_READER, else the first with a card)\n"
    "  --ref HEX      a reference to ask about (repeatable)\n"
    "  --json         one JSON object on stdout\n"
    "Exit: 0 answered, 1 a named reference is missing, 3 no reader or PC/SC failure.\n";

static const char *state_of(uint16_t sw)
{
        if (sw == 0x9000)
                return "verified";
        if ((sw & 0xfff0) == 0x63c0 || sw == 0x6300)
                return "not verified";
        if (sw == 0x6983)
                return "blocked";
        if (sw == 0x6a88)
                return "no such reference";
        return "unexpected answer";
}

static int status_run(int argc, char **argv)
{
        struct cli c;
        uint8_t p2s[64];
        size_t n = 0, shown = 0;
        int code, scan;

        if (cli_parse(&c, argc, argv, CLI_REF | CLI_REFS | CLI_AID, usage, &code) != 0)
                return code;
        scan = c.nrefs == 0;
        for (size_t i = 0; i < c.nrefs; i++)
                p2s[n++] = c.p2[i];
        for (unsigned r = 0; scan && r <= SCSIM_REF_MAX; r++) {
                p2s[n++] = (uint8_t)r;
                if (c.aid_len > 0)
                        p2s[n++] = (uint8_t)(0x80 | r);
        }
        if ((code = cli_attach(&c)) != EXIT_OK)
                goto out;
        if (c.json) {
                printf("{\"operation\":\"status\",\"reader\":");
                cli_json_str(scsim_scv_reader(c.v));
                printf(",\"references\":[");
        } else {
                printf("reader: %s\n", scsim_scv_reader(c.v));
        }
        for (size_t i = 0; i < n; i++) {
                scsim_hresult hr = scsim_scv_verify(
                    c.v, NULL, 0, (p2s[i] & 0x80) ? SCSIM_FL_LOCAL : 0, p2s[i] & 0x1f);
                uint16_t sw = scsim_scv_last_sw(c.v);
                int tries = scsim_scv_tries_left(c.v);

                if (cli_exit_code(hr) == EXIT_RUNTIME || cli_exit_code(hr) == EXIT_USAGE) {
                        if (c.json)
                                printf("]}\n");
                        fprintf(stderr, "scsim status: ref %02X: %s (0x%08X)\n", p2s[i],
                                scsim_hresult_name(hr), hr);
                        code = cli_exit_code(hr);
                        goto out;
                }
                if (sw == 0x6a88 && scan)
                        continue;
                if (sw == 0x6a88)
                        code = EXIT_FAILED;
                if (c.json) {
                        printf("%s{\"ref\":\"%02X\",\"scope\":\"%s\",\"sw\":\"%04X\",\"state\":"
                               "\"%s\",\"hresult\":\"%s\",\"hresult_value\":\"0x%08X\","
                               "\"tries_left\":",
                               shown > 0 ? "," : "", p2s[i], cli_scope(p2s[i]), sw, state_of(sw),
                               scsim_hresult_name(hr), hr);
                        if (tries >= 0)
                                printf("%d}", tries);
                        else
                                printf("null}");
                } else {
                        printf("ref %02X (%s): %s", p2s[i], cli_scope(p2s[i]), state_of(sw));
                        if (tries >= 0)
                                printf(", %d tries left", tries);
                        printf(" (SW %04X, %s 0x%08X)\n", sw, scsim_hresult_name(hr), hr);
                }
                shown++;
        }
        if (c.json)
                printf("]}\n");
        else if (shown == 0)
                printf("no references found\n");
        if (code != EXIT_OK)
                fprintf(stderr,
                        "scsim status: a named reference is missing: "
                        "SCARD_E_INVALID_CHV (0x%08X)\n",
                        SCSIM_SCARD_E_INVALID_CHV);
out:
        cli_close(&c);
        return code;
}

const struct verb verb_status = {"status", "tries left for each reference (VERIFY queries)",
                                 status_run};
