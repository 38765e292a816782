/* SPDX-License-Identifier: MIT */
/* scsim verify: ISCardVerify::Verify, present a code (or ask whether one is verified). */
#include <stdio.h>

#include "cli.h"
#include "commands.h"

static const char usage[] =
    "usage: scsim verify [--reader NAME] [--ref HEX] [--local|--global] [--aid HEX]\n"
    "                    [--pin-stdin] [--json]\n"
    "Present the code of a reference (VERIFY 00 20 00 P2). The code comes from\n"
    "--pin-stdin (first line), else $SCSIM_PIN, else a no-echo prompt.\n"
    "  --reader NAME  reader to use (default $SCSIM_READER, else the first with a card)\n"
    "  --ref HEX      reference, 00..1F global or 80..9F local (default 01)\n"
    "  --local        the reference is application/DF-specific (P2 b8 set)\n"
    "  --aid HEX      select this application first (for local references)\n"
    "  --json         one JSON object on stdout\n"
    "Exit: 0 verified, 1 the card said no, 2 usage, 3 no reader or PC/SC failure.\n";

static int verify_run(int argc, char **argv)
{
        struct cli c;
        struct secret pin;
        scsim_hresult hr;
        int code;

        if (cli_parse(&c, argc, argv, CLI_REF | CLI_PIN | CLI_AID, usage, &code) != 0)
                return code;
        if ((code = cli_secret(&c, "SCSIM_PIN", "PIN", &pin)) != EXIT_OK)
                return code;
        if ((code = cli_attach(&c)) == EXIT_OK) {
                hr = scsim_scv_verify(c.v, pin.b, pin.len,
                                      (c.p2[0] & 0x80) ? SCSIM_FL_LOCAL : SCSIM_FL_GLOBAL,
                                      c.p2[0] & 0x1f);
                code = cli_report(&c, "Verify", c.p2[0], hr);
        }
        cli_secret_wipe(&pin);
        cli_close(&c);
        return code;
}

const struct verb verb_verify = {"verify", "ISCardVerify::Verify: present a PIN", verify_run};
