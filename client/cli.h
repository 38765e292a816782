/* SPDX-License-Identifier: MIT */
/* What the ISCardVerify verbs share: options, reader attach, PIN input, result output. */
#ifndef SCSIM_CLIENT_CLI_H
#define SCSIM_CLIENT_CLI_H

#include <stddef.h>
#include <stdint.h>

#include <scsim/iscardverify.h>

/* Options a verb accepts besides --reader, --json and --help. */
#define CLI_REF    0x01u /* --ref, --local, --global */
#define CLI_REFS   0x02u /* --ref may repeat */
#define CLI_PIN    0x04u /* --pin-stdin */
#define CLI_TOGGLE 0x08u /* --enable, --disable */
#define CLI_KEEP   0x10u /* --keep-code */
#define CLI_AID    0x20u /* --aid */

#define CLI_MAX_REFS 32

struct cli {
        const char *verb;
        const char *reader;
        int json;
        int pin_stdin;
        uint32_t flags; /* SCSIM_FL_* from --local/--enable/--disable/--keep-code */
        size_t nrefs;   /* references named with --ref, as P2 values */
        uint8_t p2[CLI_MAX_REFS];
        uint8_t aid[16];
        size_t aid_len;
        scsim_scv *v;
};

/* A code read from the environment, stdin or the terminal; wiped by cli_secret_wipe. */
struct secret {
        uint8_t b[128];
        size_t len;
};

/*
 * Parse the command line. Returns -1 when the verb should exit with the code
 * in *code (usage error, or --help printed), 0 to go on.
 */
int cli_parse(struct cli *c, int argc, char **argv, unsigned allow, const char *usage, int *code);
/* Attach to the reader and select --aid; returns 0 or the exit code after printing why. */
int cli_attach(struct cli *c);
void cli_close(struct cli *c);

/* cli_secret.c: */

/*
 * Get a code: --pin-stdin reads the next line of stdin; otherwise the
 * environment variable env; otherwise a no-echo prompt when stdin is a
 * terminal. Returns 0 or the exit code after printing why.
 */
int cli_secret(struct cli *c, const char *env, const char *prompt, struct secret *s);
void cli_secret_wipe(struct secret *s);

/* Exit code for an HRESULT: 0 ok, 1 the card said no, 2 bad arguments, 3 PC/SC or reader. */
int cli_exit_code(scsim_hresult hr);

/* Print one operation's outcome (text or JSON) and return its exit code. */
int cli_report(struct cli *c, const char *op, uint8_t p2, scsim_hresult hr);

/* A JSON string literal, escaped. */
void cli_json_str(const char *s);
/* "global" or "local" for a P2 value. */
const char *cli_scope(uint8_t p2);

#endif
