/* SPDX-License-Identifier: MIT */
/* Codes for the verbs: from --pin-stdin, the environment or a no-echo prompt; never argv. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_platform.h"
#include "commands.h"
#include "wipe.h"

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
                if (read_line(stdin, s) == 0 && s->len > 0)
                        return EXIT_OK;
                cli_secret_wipe(s);
                return cli_fail(c, EXIT_USAGE,
                                "--pin-stdin: no %s line on stdin (one code per line, at most "
                                "%zu bytes)",
                                prompt, sizeof(s->b));
        }
        if ((e = getenv(env)) != NULL && e[0] != '\0') {
                if (strlen(e) > sizeof(s->b))
                        return cli_fail(c, EXIT_USAGE, "%s is longer than %zu bytes", env,
                                        sizeof(s->b));
                s->len = strlen(e);
                memcpy(s->b, e, s->len);
                return EXIT_OK;
        }
        if (plat_stdin_is_terminal() && prompt_tty(prompt, s) == 0 && s->len > 0)
                return EXIT_OK;
        cli_secret_wipe(s);
        return cli_fail(c, EXIT_USAGE,
                        "no %s: set %s, use --pin-stdin, or run on a terminal to be asked "
                        "(codes are never taken from the command line)",
                        prompt, env);
}
