/* SPDX-License-Identifier: MIT */
/* scsim verify: ISCardVerify::Verify, present a code (or ask whether one is verified). */
#include <stdio.h>

#include "cli.h"
#include "commands.h"

static const char usage[] =
    "usage: scsim verify [-r READER] [--ref HEX] [--local|--global] [--aid HEX]\n"
    "                    [--pin-stdin] [--json] [-v]\n"
    "Present the code of a reference (VERIFY 00 20 00 P2). The code comes from\n"
    "--pin-stdin (first line), else $SCSIM_PIN, else a no-echo prompt; never from\n"
    "the command line.\n"
    "  -r, --reader R  reader: an index (0), a name, or part of one ('PCD 00 01');\n"
    "                  default $SCSIM_READER, else the first reader with a card\n"
    "      --ref HEX   reference, 00..1F global or 80..9F local (default 01)\n"
    "      --local     the reference is application/DF-specific (P2 b8 set)\n"
    "      --aid HEX   select this application first (for local references)\n"
    "      --json      one JSON object on stdout (docs/json.md)\n"
    "  -v, --verbose   say which reader and what the card answered, on stderr\n"
    "  -h, --help      this text\n"
    "Hex: two digits a byte, spaces or colons between bytes allowed.\n"
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
                return cli_finish(&c, code);
        if ((code = cli_attach(&c)) == EXIT_OK) {
                hr = scsim_scv_verify(c.v, pin.b, pin.len,
                                      (c.p2[0] & 0x80) ? SCSIM_FL_LOCAL : SCSIM_FL_GLOBAL,
                                      c.p2[0] & 0x1f);
                code = cli_report(&c, "Verify", c.p2[0], hr, "PIN");
        }
        cli_secret_wipe(&pin);
        return cli_finish(&c, code);
}

const struct verb verb_verify = {"verify", "ISCardVerify::Verify: present a PIN", verify_run};
