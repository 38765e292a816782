/* SPDX-License-Identifier: MIT */
/* The verbs' shared command line: references, scopes, refused arguments, exit codes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli.h"
#include "commands.h"

#define MAXARGS 8
#define HELP    (-2)

struct parse_row {
        const char *args[MAXARGS]; /* after the verb */
        unsigned allow;
        int want_rc; /* 0 go on, else the exit code (HELP: stop with EXIT_OK) */
        size_t nrefs;
        uint8_t p2[3];
        uint32_t flags;
};

static const struct parse_row parse_rows[] = {
    {{NULL}, CLI_REF, 0, 1, {0x01}, 0},
    {{"--ref", "03"}, CLI_REF, 0, 1, {0x03}, 0},
    {{"--ref", "81"}, CLI_REF, 0, 1, {0x81}, 0},
    {{"--ref", "01", "--local"}, CLI_REF, 0, 1, {0x81}, 0},
    {{"--local"}, CLI_REF, 0, 1, {0x81}, 0},
    {{"--ref", "1f", "--global"}, CLI_REF, 0, 1, {0x1f}, 0},
    {{"--ref", "81", "--global"}, CLI_REF, EXIT_USAGE, 0, {0}, 0},
    {{"--ref", "20"}, CLI_REF, EXIT_USAGE, 0, {0}, 0},  /* b6 set */
    {{"--ref", "100"}, CLI_REF, EXIT_USAGE, 0, {0}, 0}, /* not a byte */
    {{"--ref", "x1"}, CLI_REF, EXIT_USAGE, 0, {0}, 0},
    {{"--ref", "01", "--ref", "02"}, CLI_REF, EXIT_USAGE, 0, {0}, 0},
    {{"--ref", "01", "--ref", "82"}, CLI_REF | CLI_REFS, 0, 2, {0x01, 0x82}, 0},
    {{NULL}, CLI_REF | CLI_REFS, 0, 0, {0}, 0}, /* no default when scanning */
    {{"1234"}, CLI_REF | CLI_PIN, EXIT_USAGE, 0, {0}, 0},
    {{"--pin", "1234"}, CLI_REF | CLI_PIN, EXIT_USAGE, 0, {0}, 0},
    {{"--pin-stdin"}, CLI_REF, EXIT_USAGE, 0, {0}, 0}, /* not this verb's */
    {{"--disable"}, CLI_REF | CLI_TOGGLE, 0, 1, {0x01}, SCSIM_FL_DISABLE},
    {{"--enable", "--disable"}, CLI_REF | CLI_TOGGLE, EXIT_USAGE, 0, {0}, 0},
    {{"--keep-code"}, CLI_REF | CLI_KEEP, 0, 1, {0x01}, SCSIM_FL_KEEP_CODE},
    {{"--aid", "F0534353494D01"}, CLI_AID, 0, 0, {0}, 0},
    {{"--aid", "F05"}, CLI_AID, EXIT_USAGE, 0, {0}, 0},
    {{"--aid", "F053"}, CLI_AID, EXIT_USAGE, 0, {0}, 0}, /* under 5 bytes */
    {{"--help"}, CLI_REF, HELP, 0, {0}, 0},
    {{"-h"}, CLI_REF, HELP, 0, {0}, 0},
    {{"--ref", "0x81"}, CLI_REF, EXIT_USAGE, 0, {0}, 0}, /* one hex rule: no 0x */
    {{"--ref", "8 1"}, CLI_REF, EXIT_USAGE, 0, {0}, 0},  /* no separator inside a byte */
    {{"--ref", " 81"}, CLI_REF, 0, 1, {0x81}, 0},
    {{"--aid", "F0 53 43 53 49 4D 01"}, CLI_AID, 0, 0, {0}, 0},
    {{"--aid", "F0:53:43:53:49:4D:01"}, CLI_AID, 0, 0, {0}, 0},
    {{"-r", "0", "-v", "--ref", "02"}, CLI_REF, 0, 1, {0x02}, 0},
};

static void test_parse(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(parse_rows) / sizeof(parse_rows[0]); i++) {
                const struct parse_row *row = &parse_rows[i];
                char *argv[MAXARGS + 2];
                int argc = 0, code = -1, rc;
                struct cli c;

                argv[argc++] = (char *)"verb";
                for (size_t k = 0; k < MAXARGS && row->args[k] != NULL; k++)
                        argv[argc++] = (char *)row->args[k];
                argv[argc] = NULL;
                rc = cli_parse(&c, argc, argv, row->allow, "usage\n", &code);
                if (row->want_rc == 0) {
                        if (rc != 0)
                                fail_msg("row %zu: refused", i);
                        assert_int_equal(c.nrefs, row->nrefs);
                        assert_memory_equal(c.p2, row->p2, row->nrefs);
                        assert_int_equal(c.flags, row->flags);
                } else if (rc != -1 || code != (row->want_rc == HELP ? EXIT_OK : row->want_rc)) {
                        fail_msg("row %zu: rc %d code %d, want code %d", i, rc, code, row->want_rc);
                }
        }
}

struct exit_row {
        scsim_hresult hr;
        int code;
};

static const struct exit_row exit_rows[] = {
    {SCSIM_S_OK, EXIT_OK},
    {SCSIM_SCARD_W_WRONG_CHV, EXIT_FAILED},
    {SCSIM_SCARD_W_CHV_BLOCKED, EXIT_FAILED},
    {SCSIM_SCARD_E_INVALID_CHV, EXIT_FAILED},
    {SCSIM_SCARD_W_SECURITY_VIOLATION, EXIT_FAILED},
    {SCSIM_SCARD_W_CARD_NOT_AUTHENTICATED, EXIT_FAILED},
    {SCSIM_E_INVALIDARG, EXIT_USAGE},
    {SCSIM_SCARD_E_NO_SMARTCARD, EXIT_RUNTIME},
    {SCSIM_SCARD_W_REMOVED_CARD, EXIT_RUNTIME},
    {0x8010001Du, EXIT_RUNTIME}, /* no service */
    {SCSIM_E_OUTOFMEMORY, EXIT_RUNTIME},
};

static void test_exit_codes(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(exit_rows) / sizeof(exit_rows[0]); i++)
                if (cli_exit_code(exit_rows[i].hr) != exit_rows[i].code)
                        fail_msg("%s: exit %d, want %d", scsim_hresult_name(exit_rows[i].hr),
                                 cli_exit_code(exit_rows[i].hr), exit_rows[i].code);
}

/* Short options as opensc-tool and yubico-piv-tool have them; long forms kept. */
static void test_short_options(void **state)
{
        char *argv[] = {(char *)"status",
                        (char *)"-r",
                        (char *)"PCD 00 01",
                        (char *)"-vv",
                        (char *)"--reader=1",
                        (char *)"--verbose",
                        NULL};
        struct cli c;
        int code;

        (void)state;
        assert_int_equal(cli_parse(&c, 3, argv, CLI_REF, "usage\n", &code), 0);
        assert_string_equal(c.reader, "PCD 00 01");
        assert_int_equal(c.verbose, 0);
        assert_int_equal(cli_parse(&c, 6, argv, CLI_REF, "usage\n", &code), 0);
        assert_string_equal(c.reader, "1");
        assert_int_equal(c.verbose, 3);
}

struct msg_row {
        const char *args[MAXARGS];
        unsigned allow;
        const char *want; /* in the message */
};

/* Each refusal says what was wrong and what to do instead. */
static const struct msg_row msg_rows[] = {
    {{"--jsno"}, CLI_REF, "unknown option '--jsno'; did you mean '--json'?"},
    {{"--pin-stdn"}, CLI_REF | CLI_PIN, "did you mean '--pin-stdin'?"},
    {{"--pin-stdn"}, CLI_REF, "scsim help verb"}, /* not this verb's: no suggestion of it */
    {{"--re", "01"}, CLI_REF, "'--re' is ambiguous: --reader, --ref"},
    {{"--json=yes"}, CLI_REF, "--json takes no value"},
    {{"--ref"}, CLI_REF, "--ref needs a value, e.g. --ref 01"},
    {{"-r"}, CLI_REF, "--reader needs a value, e.g. -r 0"},
    {{"-x"}, CLI_REF, "unknown option '-x'"},
    {{"--ref", "1"}, CLI_REF, "want one byte in hex, 00..1F (global) or 80..9F (local)"},
    {{"--aid", "F0 5"}, CLI_AID, "spaces or colons between bytes allowed"},
    {{"--keep-code"}, CLI_REF, "--keep-code does not apply to this verb"},
    {{"1234"}, CLI_REF | CLI_PIN, "codes are never taken from the command line"},
    {{"01"}, CLI_REF | CLI_REFS, "unexpected argument '01'; did you mean --ref 01?"},
    {{"extra"}, CLI_REF | CLI_REFS, "this verb takes options only"},
};

static void test_messages(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(msg_rows) / sizeof(msg_rows[0]); i++) {
                const struct msg_row *row = &msg_rows[i];
                char *argv[MAXARGS + 2];
                int argc = 0, code = -1;
                struct cli c;

                argv[argc++] = (char *)"verb";
                for (size_t k = 0; k < MAXARGS && row->args[k] != NULL; k++)
                        argv[argc++] = (char *)row->args[k];
                argv[argc] = NULL;
                if (cli_parse(&c, argc, argv, row->allow, "usage\n", &code) != -1 ||
                    code != EXIT_USAGE)
                        fail_msg("row %zu: accepted, or exit %d", i, code);
                if (strstr(c.error, row->want) == NULL)
                        fail_msg("row %zu: '%s' lacks '%s'", i, c.error, row->want);
        }
}

/* Codes come from the environment when nothing else is asked for, and are wiped. */
static void test_secret_from_env(void **state)
{
        struct cli c;
        struct secret s;
        char *argv[] = {(char *)"verify", NULL};
        int code;

        (void)state;
        assert_int_equal(cli_parse(&c, 1, argv, CLI_PIN, "usage\n", &code), 0);
        setenv("SCSIM_TEST_PIN", "246810", 1);
        assert_int_equal(cli_secret(&c, "SCSIM_TEST_PIN", "PIN", &s), EXIT_OK);
        assert_int_equal(s.len, 6);
        assert_memory_equal(s.b, "246810", 6);
        cli_secret_wipe(&s);
        assert_int_equal(s.len, 0);
        assert_int_equal(s.b[0], 0);
        unsetenv("SCSIM_TEST_PIN");
        if (!freopen("/dev/null", "r", stdin)) /* not a terminal: no prompt, a usage error */
                fail_msg("cannot reopen stdin");
        assert_int_equal(cli_secret(&c, "SCSIM_TEST_PIN", "PIN", &s), EXIT_USAGE);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_parse),           cmocka_unit_test(test_short_options),
            cmocka_unit_test(test_messages),        cmocka_unit_test(test_exit_codes),
            cmocka_unit_test(test_secret_from_env),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
