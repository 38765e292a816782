/* SPDX-License-Identifier: MIT */
/* scsim change-code: ISCardVerify::ChangeCode, replace a code or switch its requirement. */
#include <stdio.h>

#include "cli.h"
#include "commands.h"

static const char usage[] =
    "usage: scsim change-code [-r READER] [--ref HEX] [--local|--global] [--aid HEX]\n"
    "                         [--enable|--disable] [--pin-stdin] [--json] [-v]\n"
    "Replace a reference's code (CHANGE REFERENCE DATA 00 24 00 P2 old||new), or with\n"
    "--enable/--disable switch its verification requirement (00 28 / 00 26, old code).\n"
    "Codes: --pin-stdin (line 1 the current code, line 2 the new one), else\n"
    "$SCSIM_PIN and $SCSIM_NEW_PIN, else no-echo prompts.\n"
    "  -r, --reader R  reader: an index (0), a name, or part of one ('PCD 00 01');\n"
    "                  default $SCSIM_READER, else the first reader with a card\n"
    "      --ref HEX   reference, 00..1F global or 80..9F local (default 01)\n"
    "      --local     the reference is application/DF-specific (P2 b8 set)\n"
    "      --aid HEX   select this application first (for local references)\n"
    "      --enable    switch the verification requirement on (current code only)\n"
    "      --disable   switch it off (current code only)\n"
    "      --json      one JSON object on stdout (docs/json.md)\n"
    "  -v, --verbose   say which reader and what the card answered, on stderr\n"
    "  -h, --help      this text\n"
    "Exit: 0 done, 1 the card said no, 2 usage, 3 no reader or PC/SC failure.\n";

static int change_run(int argc, char **argv)
{
        struct cli c;
        struct secret old_pin, new_pin;
        const char *op;
        scsim_hresult hr;
        int code;

        cli_secret_wipe(&new_pin);
        if (cli_parse(&c, argc, argv, CLI_REF | CLI_PIN | CLI_AID | CLI_TOGGLE, usage, &code) != 0)
                return code;
        if ((code = cli_secret(&c, "SCSIM_PIN", "current PIN", &old_pin)) != EXIT_OK)
                return cli_finish(&c, code);
        if ((c.flags & (SCSIM_FL_ENABLE | SCSIM_FL_DISABLE)) == 0 &&
            (code = cli_secret(&c, "SCSIM_NEW_PIN", "new PIN", &new_pin)) != EXIT_OK)
                goto out;
        if ((code = cli_attach(&c)) != EXIT_OK)
                goto out;
        hr = scsim_scv_change_code(c.v, old_pin.b, old_pin.len, new_pin.b, new_pin.len,
                                   c.flags | ((c.p2[0] & 0x80) ? SCSIM_FL_LOCAL : 0),
                                   c.p2[0] & 0x1f);
        op = (c.flags & SCSIM_FL_ENABLE)    ? "ChangeCode(ENABLE)"
             : (c.flags & SCSIM_FL_DISABLE) ? "ChangeCode(DISABLE)"
                                            : "ChangeCode";
        code = cli_report(&c, op, c.p2[0], hr,
                          (c.flags & (SCSIM_FL_ENABLE | SCSIM_FL_DISABLE)) ? "current PIN"
                                                                           : "current or new PIN");
out:
        cli_secret_wipe(&old_pin);
        cli_secret_wipe(&new_pin);
        return cli_finish(&c, code);
}

const struct verb verb_change_code = {"change-code", "ISCardVerify::ChangeCode: replace a PIN",
                                      change_run};
