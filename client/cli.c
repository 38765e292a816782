/* SPDX-License-Identifier: MIT */
/* What the ISCardVerify verbs share: options, reader attach, PIN input, result output. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_platform.h"
#include "commands.h"
#include "wipe.h"

const char *cli_scope(uint8_t p2)
{
        return (p2 & 0x80) ? "local" : "global";
}

static int parse_hex(const char *s, uint8_t *out, size_t cap, size_t *len)
{
        size_t n = strlen(s);

        if (n == 0 || n % 2 != 0 || n / 2 > cap)
                return -1;
        for (size_t i = 0; i < n / 2; i++) {
                int hi = plat_hexchar2int((unsigned char)s[2 * i]),
                    lo = plat_hexchar2int((unsigned char)s[2 * i + 1]);
                if (hi < 0 || lo < 0)
                        return -1;
                out[i] = (uint8_t)(hi << 4 | lo);
        }
        *len = n / 2;
        return 0;
}

/* A reference as hex (01, 81): b8 says local, b5..b1 the number; b7 b6 must be clear. */
static int parse_ref(const char *s, uint8_t *p2)
{
        char *end;
        unsigned long r;

        errno = 0;
        r = strtoul(s, &end, 16);
        if (errno != 0 || end == s || *end != '\0' || r > 0xff || (r & 0x60) != 0)
                return -1;
        *p2 = (uint8_t)r;
        return 0;
}

int cli_parse(struct cli *c, int argc, char **argv, unsigned allow, const char *usage, int *code)
{
        enum {
                O_READER = 256,
                O_REF,
                O_LOCAL,
                O_GLOBAL,
                O_JSON,
                O_PIN_STDIN,
                O_ENABLE,
                O_DISABLE,
                O_KEEP,
                O_AID,
                O_HELP
        };
        static const struct option opts[] = {
            {"reader", required_argument, NULL, O_READER},
            {"ref", required_argument, NULL, O_REF},
            {"local", no_argument, NULL, O_LOCAL},
            {"global", no_argument, NULL, O_GLOBAL},
            {"json", no_argument, NULL, O_JSON},
            {"pin-stdin", no_argument, NULL, O_PIN_STDIN},
            {"enable", no_argument, NULL, O_ENABLE},
            {"disable", no_argument, NULL, O_DISABLE},
            {"keep-code", no_argument, NULL, O_KEEP},
            {"aid", required_argument, NULL, O_AID},
            {"help", no_argument, NULL, O_HELP},
            {NULL, 0, NULL, 0},
        };
        int opt, local = -1;
        unsigned need;

        memset(c, 0, sizeof(*c));
        c->verb = argv[0];
        *code = EXIT_USAGE;
        optind = 1;
        opterr = 0;
        while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                switch (opt) {
                case O_READER:
                        c->reader = optarg;
                        continue;
                case O_JSON:
                        c->json = 1;
                        continue;
                case O_HELP:
                        fputs(usage, stdout);
                        *code = EXIT_OK;
                        return -1;
                case O_REF:
                case O_LOCAL:
                case O_GLOBAL:
                        need = CLI_REF;
                        break;
                case O_PIN_STDIN:
                        need = CLI_PIN;
                        break;
                case O_ENABLE:
                case O_DISABLE:
                        need = CLI_TOGGLE;
                        break;
                case O_KEEP:
                        need = CLI_KEEP;
                        break;
                case O_AID:
                        need = CLI_AID;
                        break;
                default:
                        fprintf(stderr, "scsim %s: unknown option or missing value: %s\n", c->verb,
                                argv[optind - 1]);
                        fputs(usage, stderr);
                        return -1;
                }
                if ((allow & need) == 0) {
                        fprintf(stderr, "scsim %s: %s does not apply to this verb\n", c->verb,
                                argv[optind - 1]);
                        return -1;
                }
                switch (opt) {
                case O_REF:
                        if (c->nrefs == ((allow & CLI_REFS) ? CLI_MAX_REFS : 1)) {
                                fprintf(stderr, "scsim %s: too many --ref\n", c->verb);
                                return -1;
                        }
                        if (parse_ref(optarg, &c->p2[c->nrefs]) != 0) {
                                fprintf(stderr,
                                        "scsim %s: --ref '%s': want a hex reference 00..1F "
                                        "(global) or 80..9F (local)\n",
                                        c->verb, optarg);
                                return -1;
                        }
                        c->nrefs++;
                        break;
                case O_LOCAL:
                case O_GLOBAL:
                        local = opt == O_LOCAL;
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
                        if (parse_hex(optarg, c->aid, sizeof(c->aid), &c->aid_len) != 0 ||
                            c->aid_len < 5) {
                                fprintf(stderr, "scsim %s: --aid '%s': want 5 to 16 bytes in hex\n",
                                        c->verb, optarg);
                                return -1;
                        }
                        break;
                }
        }
        if (optind < argc) {
                fprintf(stderr,
                        "scsim %s: unexpected argument '%s' (codes are never taken "
                        "from the command line)\n",
                        c->verb, argv[optind]);
                return -1;
        }
        if ((c->flags & SCSIM_FL_ENABLE) && (c->flags & SCSIM_FL_DISABLE)) {
                fprintf(stderr, "scsim %s: --enable and --disable exclude each other\n", c->verb);
                return -1;
        }
        /* --local/--global set the scope of the references named without b8 */
        for (size_t i = 0; i < c->nrefs && local >= 0; i++) {
                if (local == 0 && (c->p2[i] & 0x80)) {
                        fprintf(stderr, "scsim %s: --ref %02X is local, yet --global given\n",
                                c->verb, c->p2[i]);
                        return -1;
                }
                if (local)
                        c->p2[i] |= 0x80;
        }
        if (c->nrefs == 0 && (allow & CLI_REF) && !(allow & CLI_REFS))
                c->p2[c->nrefs++] = (uint8_t)(0x01 | (local == 1 ? 0x80 : 0));
        *code = EXIT_OK;
        return 0;
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

void cli_json_str(const char *s)
{
        putchar('"');
        for (; *s != '\0'; s++) {
                unsigned char ch = (unsigned char)*s;
                if (ch == '"' || ch == '\\')
                        printf("\\%c", ch);
                else if (ch < 0x20)
                        printf("\\u%04x", ch);
                else
                        putchar(ch);
        }
        putchar('"');
}

int cli_report(struct cli *c, const char *op, uint8_t p2, scsim_hresult hr)
{
        const uint16_t sw = scsim_scv_last_sw(c->v);
        const int tries = scsim_scv_tries_left(c->v);
        const int code = cli_exit_code(hr);

        if (c->json) {
                printf("{\"operation\":");
                cli_json_str(op);
                printf(",\"reader\":");
                cli_json_str(scsim_scv_reader(c->v));
                printf(",\"ref\":\"%02X\",\"scope\":\"%s\",\"sw\":", p2, cli_scope(p2));
                if (sw != 0)
                        printf("\"%04X\"", sw);
                else
                        printf("null");
                printf(",\"hresult\":\"%s\",\"hresult_value\":\"0x%08X\",\"tries_left\":",
                       scsim_hresult_name(hr), hr);
                if (tries >= 0)
                        printf("%d", tries);
                else
                        printf("null");
                printf(",\"ok\":%s}\n", hr == SCSIM_S_OK ? "true" : "false");
                return code;
        }
        printf("%s ref %02X (%s): %s (0x%08X)", op, p2, cli_scope(p2), scsim_hresult_name(hr), hr);
        if (sw != 0)
                printf(", SW %04X", sw);
        if (tries >= 0)
                printf(", %d tries left", tries);
        printf("\n");
        if (code != EXIT_OK)
                fprintf(stderr, "scsim %s: failed: %s (0x%08X)\n", c->verb, scsim_hresult_name(hr),
                        hr);
        return code;
}

int cli_attach(struct cli *c)
{
        scsim_hresult hr = scsim_scv_attach(c->reader, &c->v);
        uint8_t apdu[5 + 16], resp[256];
        size_t rlen;
        uint16_t sw;

        if (hr != SCSIM_S_OK) {
                fprintf(stderr, "scsim %s: cannot attach to %s%s%s: %s (0x%08X)\n", c->verb,
                        c->reader != NULL ? "reader '" : "a reader",
                        c->reader != NULL ? c->reader : "", c->reader != NULL ? "'" : "",
                        scsim_hresult_name(hr), hr);
                if (c->json)
                        printf("{\"operation\":\"attach\",\"hresult\":\"%s\","
                               "\"hresult_value\":\"0x%08X\",\"ok\":false}\n",
                               scsim_hresult_name(hr), hr);
                return cli_exit_code(hr) == EXIT_FAILED ? EXIT_FAILED : EXIT_RUNTIME;
        }
        if (c->aid_len == 0)
                return EXIT_OK;
        /* SELECT by DF name, no answer wanted: case 3 */
        apdu[0] = 0x00;
        apdu[1] = 0xa4;
        apdu[2] = 0x04;
        apdu[3] = 0x0c;
        apdu[4] = (uint8_t)c->aid_len;
        memcpy(apdu + 5, c->aid, c->aid_len);
        hr = scsim_scv_transmit(c->v, apdu, 5 + c->aid_len, resp, sizeof(resp), &rlen, &sw);
        if (hr != SCSIM_S_OK) {
                fprintf(stderr, "scsim %s: SELECT of --aid failed: SW %04X, %s (0x%08X)\n", c->verb,
                        sw, scsim_hresult_name(hr), hr);
                return cli_exit_code(hr);
        }
        return EXIT_OK;
}

void cli_close(struct cli *c)
{
        scsim_scv_free(&c->v);
}

void cli_secret_wipe(struct secret *s)
{
        scv_wipe(s, sizeof(*s));
}

/* One line from f without its newline; the line must fit. */
static int read_line(FILE *f, struct secret *s)
{
        int ch;

        s->len = 0;
        while ((ch = fgetc(f)) != EOF && ch != '\n') {
                if (s->len == sizeof(s->b))
                        return -1;
                s->b[s->len++] = (uint8_t)ch;
        }
        if (s->len > 0 && s->b[s->len - 1] == '\r')
                s->len--;
        if (ch == EOF && s->len == 0)
                return -1;
        return 0;
}

static int prompt_tty(const char *prompt, struct secret *s)
{
        struct plat_quiet q;
        int ok;

        if (plat_quiet_open(&q, prompt) != 0)
                return -1;
        ok = read_line(q.in, s);
        plat_quiet_close(&q);
        return ok;
}

int cli_secret(struct cli *c, const char *env, const char *prompt, struct secret *s)
{
        const char *e;

        memset(s, 0, sizeof(*s));
        if (c->pin_stdin) {
                if (read_line(stdin, s) != 0 || s->len == 0) {
                        fprintf(stderr, "scsim %s: --pin-stdin: no %s line on stdin\n", c->verb,
                                prompt);
                        cli_secret_wipe(s);
                        return EXIT_USAGE;
                }
                return EXIT_OK;
        }
        if ((e = getenv(env)) != NULL && e[0] != '\0') {
                if (strlen(e) > sizeof(s->b)) {
                        fprintf(stderr, "scsim %s: %s is too long\n", c->verb, env);
                        return EXIT_USAGE;
                }
                s->len = strlen(e);
                memcpy(s->b, e, s->len);
                return EXIT_OK;
        }
        if (plat_stdin_is_terminal() && prompt_tty(prompt, s) == 0 && s->len > 0)
                return EXIT_OK;
        cli_secret_wipe(s);
        fprintf(stderr,
                "scsim %s: no %s: set %s, use --pin-stdin, or run on a terminal to be asked\n",
                c->verb, prompt, env);
        return EXIT_USAGE;
}
