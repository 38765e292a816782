/* SPDX-License-Identifier: MIT */
/* What the ISCardVerify verbs share: the command line, attaching to a reader, results. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

enum {
        O_REF = 256,
        O_LOCAL,
        O_GLOBAL,
        O_JSON,
        O_PIN_STDIN,
        O_ENABLE,
        O_DISABLE,
        O_KEEP,
        O_AID,
};

/* Every option of the verbs; need says which verbs take it (0: all). */
struct opt_row {
        struct option o;
        unsigned need;
        const char *example; /* for "needs a value" */
};

static const struct opt_row rows[] = {
    {{"reader", required_argument, NULL, 'r'}, 0, "-r 0, -r 'PCD 00 01'"},
    {{"verbose", no_argument, NULL, 'v'}, 0, NULL},
    {{"help", no_argument, NULL, 'h'}, 0, NULL},
    {{"json", no_argument, NULL, O_JSON}, 0, NULL},
    {{"ref", required_argument, NULL, O_REF}, CLI_REF, "--ref 01, --ref 81"},
    {{"local", no_argument, NULL, O_LOCAL}, CLI_REF, NULL},
    {{"global", no_argument, NULL, O_GLOBAL}, CLI_REF, NULL},
    {{"pin-stdin", no_argument, NULL, O_PIN_STDIN}, CLI_PIN, NULL},
    {{"enable", no_argument, NULL, O_ENABLE}, CLI_TOGGLE, NULL},
    {{"disable", no_argument, NULL, O_DISABLE}, CLI_TOGGLE, NULL},
    {{"keep-code", no_argument, NULL, O_KEEP}, CLI_KEEP, NULL},
    {{"aid", required_argument, NULL, O_AID}, CLI_AID, "--aid F0534353494D01"},
};
#define NROWS (sizeof(rows) / sizeof(rows[0]))

const char *cli_scope(uint8_t p2)
{
        return (p2 & 0x80) ? "local" : "global";
}

const char *cli_tries(int tries, char *buf, size_t cap)
{
        if (tries == 0)
                snprintf(buf, cap, "no try left");
        else
                snprintf(buf, cap, "%d tr%s left", tries, tries == 1 ? "y" : "ies");
        return buf;
}

int cli_fail(struct cli *c, int code, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(c->error, sizeof(c->error), fmt, ap);
        va_end(ap);
        fprintf(stderr, "scsim %s: %s\n", c->verb, c->error);
        return code;
}

void cli_say(const struct cli *c, const char *fmt, ...)
{
        va_list ap;

        if (!c->verbose)
                return;
        fprintf(stderr, "scsim %s: ", c->verb);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

/* A reference as one hex byte (01, 81): b8 says local, b5..b1 the number; b7 b6 clear. */
static int parse_ref(const char *s, uint8_t *p2)
{
        size_t n;

        return cli_hex(s, p2, 1, &n) == 0 && (*p2 & 0x60) == 0 ? 0 : -1;
}

static const struct opt_row *row_of(int val)
{
        for (size_t i = 0; i < NROWS; i++)
                if (rows[i].o.val == val)
                        return &rows[i];
        return NULL;
}

/* An option getopt did not take: unknown, ambiguous, or missing its value. */
static int bad_option(struct cli *c, int opt, const char *arg, unsigned allow)
{
        const char *names[NROWS], *match[NROWS], *near;
        char typed[64], list[256] = "";
        size_t n = 0, nmatch = 0, len;
        const struct opt_row *r = row_of(optopt);

        if (opt == ':' && r != NULL)
                return cli_fail(c, EXIT_USAGE, "--%s needs a value, e.g. %s", r->o.name,
                                r->example != NULL ? r->example : "");
        if (optopt != 0 && optopt < 256)
                return cli_fail(c, EXIT_USAGE, "unknown option '-%c' (`scsim help %s` lists them)",
                                optopt, c->verb);
        /* a long option: what was typed, without any =value */
        snprintf(typed, sizeof(typed), "%s", arg + (strncmp(arg, "--", 2) == 0 ? 2 : 0));
        typed[strcspn(typed, "=")] = '\0';
        len = strlen(typed);
        for (size_t i = 0; i < NROWS; i++) {
                if (rows[i].need != 0 && (allow & rows[i].need) == 0)
                        continue;
                names[n++] = rows[i].o.name;
                if (len > 0 && strncmp(rows[i].o.name, typed, len) == 0) {
                        match[nmatch++] = rows[i].o.name;
                        snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s--%s",
                                 nmatch > 1 ? ", " : "", rows[i].o.name);
                }
        }
        if (nmatch > 1)
                return cli_fail(c, EXIT_USAGE, "option '--%s' is ambiguous: %s", typed, list);
        if (nmatch == 1 && strcmp(match[0], typed) == 0)
                return cli_fail(c, EXIT_USAGE, "--%s takes no value", typed);
        if ((near = cli_nearest(typed, names, n)) != NULL)
                return cli_fail(c, EXIT_USAGE, "unknown option '%s'; did you mean '--%s'?", arg,
                                near);
        return cli_fail(c, EXIT_USAGE, "unknown option '%s' (`scsim help %s` lists them)", arg,
                        c->verb);
}

/* Apply one option; 0, or the exit code after saying why. */
static int take_option(struct cli *c, int opt, const char *arg, unsigned allow, int *local)
{
        const struct opt_row *r = row_of(opt);

        if (r != NULL && r->need != 0 && (allow & r->need) == 0)
                return cli_fail(c, EXIT_USAGE, "--%s does not apply to this verb (`scsim help %s`)",
                                r->o.name, c->verb);
        switch (opt) {
        case 'r':
                c->reader = arg;
                break;
        case 'v':
                c->verbose++;
                break;
        case O_JSON:
                if (!CLI_HAVE_JSON)
                        return cli_fail(c, EXIT_USAGE,
                                        "this build has no JSON output (built without json-c, "
                                        "which Debian has no mingw-w64 package of): use the text "
                                        "output");
                c->json = 1;
                break;
        case O_REF:
                if (c->nrefs == ((allow & CLI_REFS) ? CLI_MAX_REFS : 1))
                        return cli_fail(c, EXIT_USAGE, "too many --ref");
                if (parse_ref(arg, &c->p2[c->nrefs]) != 0)
                        return cli_fail(c, EXIT_USAGE,
                                        "--ref '%s': want one byte in hex, 00..1F (global) or "
                                        "80..9F (local), e.g. --ref 01",
                                        arg);
                c->nrefs++;
                break;
        case O_LOCAL:
        case O_GLOBAL:
                *local = opt == O_LOCAL;
                break;
        case O_PIN_STDIN:
                c->pin_stdin = 1;
                break;
        case O_ENABLE:
                c->flags |= SCSIM_FL_ENABLE;
                break;
        case O_DISABLE:
                c->flags |= SCSIM_FL_DISABLE;
                break;
        case O_KEEP:
                c->flags |= SCSIM_FL_KEEP_CODE;
                break;
        case O_AID:
                if (cli_hex(arg, c->aid, sizeof(c->aid), &c->aid_len) != 0 || c->aid_len < 5)
                        return cli_fail(c, EXIT_USAGE,
                                        "--aid '%s': want 5 to 16 bytes in hex (spaces or colons "
                                        "between bytes allowed), e.g. --aid F0534353494D01",
                                        arg);
                break;
        }
        return EXIT_OK;
}

/* What the options mean together; 0, or the exit code after saying why. */
static int settle(struct cli *c, unsigned allow, int local)
{
        if ((c->flags & SCSIM_FL_ENABLE) && (c->flags & SCSIM_FL_DISABLE))
                return cli_fail(c, EXIT_USAGE, "--enable and --disable exclude each other");
        /* --local/--global set the scope of the references named without b8 */
        for (size_t i = 0; i < c->nrefs && local >= 0; i++) {
                if (local == 0 && (c->p2[i] & 0x80))
                        return cli_fail(c, EXIT_USAGE, "--ref %02X is local, yet --global given",
                                        c->p2[i]);
                if (local)
                        c->p2[i] |= 0x80;
        }
        if (c->nrefs == 0 && (allow & CLI_REF) && !(allow & CLI_REFS))
                c->p2[c->nrefs++] = (uint8_t)(0x01 | (local == 1 ? 0x80 : 0));
        return EXIT_OK;
}

void cli_result(struct cli *c, struct json_object **o, int ok)
{
        cli_json_print(o, ok, c->error);
        c->printed = 1;
}

int cli_finish(struct cli *c, int code)
{
        struct json_object *o;

        if (c->json && !c->printed && code != EXIT_OK) {
                o = cli_json_new(c->verb);
                cli_result(c, &o, 0);
        }
        scsim_scv_free(&c->v);
        return code;
}

/* An argument that is not an option: a code (never taken), or a reference without --ref. */
static int stray(struct cli *c, const char *arg, unsigned allow)
{
        uint8_t p2;

        if (allow & CLI_PIN)
                return cli_fail(c, EXIT_USAGE,
                                "unexpected argument '%s' (codes are never taken from the command "
                                "line: use --pin-stdin or the environment)",
                                arg);
        if ((allow & CLI_REF) && parse_ref(arg, &p2) == 0)
                return cli_fail(c, EXIT_USAGE, "unexpected argument '%s'; did you mean --ref %s?",
                                arg, arg);
        return cli_fail(c, EXIT_USAGE, "unexpected argument '%s' (this verb takes options only)",
                        arg);
}

int cli_parse(struct cli *c, int argc, char **argv, unsigned allow, const char *usage, int *code)
{
        struct option opts[NROWS + 1];
        int opt, local = -1;

        memset(c, 0, sizeof(*c));
        memset(opts, 0, sizeof(opts));
        for (size_t i = 0; i < NROWS; i++)
                opts[i] = rows[i].o;
        c->verb = argv[0];
        c->allow = allow;
        for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
                c->json = c->json || (CLI_HAVE_JSON && strcmp(argv[i], "--json") == 0);
        *code = EXIT_USAGE;
        optind = 1;
        opterr = 0;
        while ((opt = getopt_long(argc, argv, ":r:vh", opts, NULL)) != -1) {
                if (opt == 'h') {
                        fputs(usage, stdout);
                        *code = EXIT_OK;
                        return -1;
                }
                if (opt == '?' || opt == ':')
                        *code = bad_option(c, opt, argv[optind - 1], allow);
                else
                        *code = take_option(c, opt, optarg, allow, &local);
                if (*code != EXIT_OK)
                        goto fail;
        }
        if (optind < argc) {
                *code = stray(c, argv[optind], allow);
                goto fail;
        }
        if ((*code = settle(c, allow, local)) != EXIT_OK)
                goto fail;
        return 0;
fail:
        cli_finish(c, *code);
        return -1;
}

int cli_exit_code(scsim_hresult hr)
{
        switch (hr) {
        case SCSIM_S_OK:
                return EXIT_OK;
        case SCSIM_E_INVALIDARG:
        case SCSIM_E_POINTER:
                return EXIT_USAGE;
        case SCSIM_SCARD_W_WRONG_CHV:
        case SCSIM_SCARD_W_CHV_BLOCKED:
        case SCSIM_SCARD_W_SECURITY_VIOLATION:
        case SCSIM_SCARD_E_INVALID_CHV:
        case SCSIM_SCARD_W_CARD_NOT_AUTHENTICATED:
        case SCSIM_SCARD_E_INVALID_VALUE:
        case SCSIM_SCARD_E_UNEXPECTED:
                return EXIT_FAILED;
        default:
                return EXIT_RUNTIME;
        }
}
