/* SPDX-License-Identifier: MIT */
/* scsim unblock: ISCardVerify::Unblock, reset a blocked code's counter with the unblock code. */
#include <stdio.h>

#include "cli.h"
#include "commands.h"

static const char usage[] =
    "usage: scsim unblock [-r READER] [--ref HEX] [--local|--global] [--aid HEX]\n"
    "                     [--keep-code] [--pin-stdin] [--json] [-v]\n"
    "Unblock a reference with its unblock code (RESET RETRY COUNTER 00 2C 00 P2\n"
    "PUK||new; with --keep-code 00 2C 01 P2 PUK, the code stays). Unblocking does not\n"
    "verify. Codes: --pin-stdin (line 1 the PUK, line 2 the new PIN), else $SCSIM_PUK\n"
    "and $SCSIM_NEW_PIN, else no-echo prompts.\n"
    "  -r, --reader R  reader: an index (0), a name, or part of one ('PCD 00 01');\n"
    "                  default $SCSIM_READER, else the first reader with a card\n"
    "      --ref HEX   reference, 00..1F global or 80..9F local (default 01)\n"
    "      --local     the reference is application/DF-specific (P2 b8 set)\n"
    "      --aid HEX   select this application first (for local references)\n"
    "      --keep-code keep the current code (send the unblock code alone)\n"
    "      --json      one JSON object on stdout (docs/json.md)\n"
    "  -v, --verbose   say which reader and what the card answered, on stderr\n"
    "  -h, --help      this text\n"
    "Exit: 0 done, 1 the card said no, 2 usage, 3 no reader or PC/SC failure.\n";

static int unblock_run(int argc, char **argv)
{
        struct cli c;
        struct secret puk, new_pin;
        scsim_hresult hr;
        int code;

        cli_secret_wipe(&new_pin);
        if (cli_parse(&c, argc, argv, CLI_REF | CLI_PIN | CLI_AID | CLI_KEEP, usage, &code) != 0)
                return code;
        if ((code = cli_secret(&c, "SCSIM_PUK", "PUK", &puk)) != EXIT_OK)
                return cli_finish(&c, code);
        if ((c.flags & SCSIM_FL_KEEP_CODE) == 0 &&
            (code = cli_secret(&c, "SCSIM_NEW_PIN", "new PIN", &new_pin)) != EXIT_OK)
                goto out;
        if ((code = cli_attach(&c)) != EXIT_OK)
                goto out;
        hr = scsim_scv_unblock(c.v, puk.b, puk.len, new_pin.b, new_pin.len,
                               c.flags | ((c.p2[0] & 0x80) ? SCSIM_FL_LOCAL : 0), c.p2[0] & 0x1f);
        code = cli_report(&c, "Unblock", c.p2[0], hr,
                          (c.flags & SCSIM_FL_KEEP_CODE) ? "PUK" : "PUK or new PIN");
out:
        cli_secret_wipe(&puk);
        cli_secret_wipe(&new_pin);
        return cli_finish(&c, code);
}

const struct verb verb_unblock = {"unblock", "ISCardVerify::Unblock: unblock a PIN with its PUK",
                                  unblock_run};
