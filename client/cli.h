/* SPDX-License-Identifier: MIT */
/* What the verbs share: options, reader choice, PIN input, messages, JSON, hex, suggestions. */
#ifndef SCSIM_CLIENT_CLI_H
#define SCSIM_CLIENT_CLI_H

#include <stddef.h>
#include <stdint.h>

#include <scsim/iscardverify.h>

struct json_object;

/* The messages' formats are C99's everywhere: mingw-w64 builds with its own C99 stdio. */
#ifdef __MINGW32__
#define CLI_PRINTF(f, a) __attribute__((format(gnu_printf, f, a)))
#else
#define CLI_PRINTF(f, a) __attribute__((format(printf, f, a)))
#endif

/* Options a verb accepts besides -r/--reader, -v/--verbose, --json and -h/--help. */
#define CLI_REF    0x01u /* --ref, --local, --global */
#define CLI_REFS   0x02u /* --ref may repeat */
#define CLI_PIN    0x04u /* --pin-stdin */
#define CLI_TOGGLE 0x08u /* --enable, --disable */
#define CLI_KEEP   0x10u /* --keep-code */
#define CLI_AID    0x20u /* --aid */

#define CLI_MAX_REFS 32

/* PC/SC results the public header has no constant for; values as pcsc-lite and Windows give them.
 */
#define CLI_SCARD_E_UNKNOWN_READER  0x80100009u
#define CLI_SCARD_E_NO_SERVICE      0x8010001Du
#define CLI_SCARD_E_SERVICE_STOPPED 0x8010001Eu

struct cli {
        const char *verb;
        unsigned allow;     /* the CLI_* options this verb takes */
        const char *reader; /* -r as typed: an index, a name or part of one */
        int json;
        int verbose;
        int pin_stdin;
        uint32_t flags; /* SCSIM_FL_* from --local/--enable/--disable/--keep-code */
        size_t nrefs;   /* references named with --ref, as P2 values */
        uint8_t p2[CLI_MAX_REFS];
        uint8_t aid[16];
        size_t aid_len;
        scsim_scv *v;
        char error[1024]; /* the failure's message, also the "error" of a JSON result */
        int printed;      /* a JSON result went out */
};

/* A code read from the environment, stdin or the terminal; wiped by cli_secret_wipe. */
struct secret {
        uint8_t b[128];
        size_t len;
};

/* ---- cli.c: the command line, attaching, results ------------------------ */

/*
 * Parse the command line. Returns -1 when the verb should exit with the code
 * in *code (usage error, or --help printed), 0 to go on.
 */
int cli_parse(struct cli *c, int argc, char **argv, unsigned allow, const char *usage, int *code);
/* Attach to the reader and select --aid; returns 0 or the exit code after printing why. */
int cli_attach(struct cli *c);
/*
 * End a verb: detach, and with --json give a failure that printed no result
 * yet its result ({"operation", "error", "ok": false}). Returns code.
 */
int cli_finish(struct cli *c, int code);
/* Print a verb's JSON result (cli_json_print with c->error) and free it. */
void cli_result(struct cli *c, struct json_object **o, int ok);

/* Exit code for an HRESULT: 0 ok, 1 the card said no, 2 bad arguments, 3 PC/SC or reader. */
int cli_exit_code(scsim_hresult hr);

/*
 * Record a failure: the message goes to stderr once, as "scsim VERB: ...",
 * and stays in c->error for a JSON result. Returns code.
 */
int cli_fail(struct cli *c, int code, const char *fmt, ...) CLI_PRINTF(3, 4);
/* A progress line for -v, on stderr. */
void cli_say(const struct cli *c, const char *fmt, ...) CLI_PRINTF(2, 3);

/*
 * Print one ISCardVerify call's outcome and return its exit code: a result
 * line on stdout naming method ("Verify"), or with --json the verb's JSON
 * result; on failure, once on stderr, what it means and what to do. what
 * names the code the card checked ("PIN", "PUK or new PIN").
 */
int cli_report(struct cli *c, const char *method, uint8_t p2, scsim_hresult hr, const char *what);

/*
 * What a failed card answer means and what to do: sw to a command of verb on
 * reference p2, tries left after it (-1 unknown, CLI_STILL_VERIFIED when a
 * query found the reference verified), aid the " --aid HEX" to repeat in a
 * suggested command ("" without), what the code checked.
 */
#define CLI_STILL_VERIFIED (-2)
void cli_explain(char *buf, size_t cap, const char *verb, uint8_t p2, uint16_t sw, int tries,
                 const char *aid, const char *what);

/* " --aid F0534353494D01" to repeat in a suggested command, or "" without --aid. */
void cli_aid_arg(const struct cli *c, char *buf, size_t cap);
/* "global" or "local" for a P2 value. */
const char *cli_scope(uint8_t p2);
/* "1 try left", "3 tries left". */
const char *cli_tries(int tries, char *buf, size_t cap);

/* ---- cli_secret.c: codes from --pin-stdin, the environment or a prompt ----- */

/*
 * Get a code: --pin-stdin reads the next line of stdin; otherwise the
 * environment variable env; otherwise a no-echo prompt when stdin is a
 * terminal. Returns 0 or the exit code after printing why.
 */
int cli_secret(struct cli *c, const char *env, const char *prompt, struct secret *s);
void cli_secret_wipe(struct secret *s);

/* ---- cli_reader.c: readers ----------------------------------------------- */

#define CLI_READERS_MAX 32

struct cli_readers {
        size_t n;
        int more;                        /* pcscd has more readers than fit */
        char name[CLI_READERS_MAX][256]; /* a longer name is left out */
        int card[CLI_READERS_MAX];       /* a card is present and answers */
};

/* pcscd's readers and whether each holds a card (scsim_scv_list_readers); an HRESULT. */
scsim_hresult cli_readers_list(struct cli_readers *r);
/*
 * The readers spec names: a number is an index (as opensc-tool's -r), an exact
 * name wins, otherwise every name containing spec, ignoring case (as
 * yubico-piv-tool's -r). Returns how many match; the first cap go to idx.
 */
size_t cli_readers_match(const struct cli_readers *r, const char *spec, size_t *idx, size_t cap);

/* ---- cli_hex.c: the one hex rule ------------------------------------------ */

/*
 * Hex bytes as the command line and profiles write them (the rule of
 * libscsim's scsim_hex_decode): two digits per byte, either case; spaces and
 * colons between bytes, spaces also around them, nothing inside a byte
 * ("F0 53:43", "F05343"). Returns 0 with *len bytes in out, or -1 when s
 * breaks the rule, is empty or holds more than cap bytes; out is written
 * only on success.
 */
int cli_hex(const char *s, uint8_t *out, size_t cap, size_t *len);

/* ---- cli_suggest.c: did you mean ------------------------------------------ */

/*
 * The candidate nearest to word: equal but for case, one or two slips away
 * (fewer for short words), or else the only one word begins. NULL if none.
 */
const char *cli_nearest(const char *word, const char *const *cands, size_t n);

/* ---- cli_json.c: JSON results (docs/json.md) ------------------------------- */

/* A copy of s with each byte that is not part of valid UTF-8 replaced by U+FFFD; free() it. */
char *cli_utf8_repair(const char *s);

/*
 * Built without json-c (the Windows cross build: Debian has no json-c for
 * mingw-w64), --json is refused on the command line and these write nothing.
 */
#ifdef SCSIM_HAVE_JSON
#define CLI_HAVE_JSON 1
#else
#define CLI_HAVE_JSON 0
#endif

/* A result object starting with "operation". */
struct json_object *cli_json_new(const char *operation);
/* An empty object, for the entries of an array. */
struct json_object *cli_json_object(void);
/* Members; text is made valid UTF-8, NULL text is null. A NULL object is ignored. */
void cli_json_text(struct json_object *o, const char *key, const char *s);
void cli_json_int(struct json_object *o, const char *key, long long v);
void cli_json_bool(struct json_object *o, const char *key, int v);
void cli_json_add(struct json_object *o, const char *key, struct json_object *v);
/* A new array member of o (borrowed), or NULL. */
struct json_object *cli_json_array(struct json_object *o, const char *key);
void cli_json_append(struct json_object *array, struct json_object *v);
/* "ref" and "scope" of a P2 value. */
void cli_json_ref(struct json_object *o, uint8_t p2);
/* "hresult" (its name) and "hresult_value" ("0x8010006B"). */
void cli_json_hresult(struct json_object *o, scsim_hresult hr);
/* "sw" (null when none), "hresult", "hresult_value", "tries_left" (null when unknown). */
void cli_json_card(struct json_object *o, uint16_t sw, scsim_hresult hr, int tries);
/*
 * Finish a result: "error" (when !ok and error is not empty), then "ok"; print
 * it on one line to stdout and free it. Returns 0, or -1 when it could not be
 * written.
 */
int cli_json_print(struct json_object **o, int ok, const char *error);
/* "libraries": the versions of the libraries this build uses. */
void cli_json_libraries(struct json_object *o);
/* Drop an object that will not be printed. */
void cli_json_free(struct json_object **o);
/*
 * One entry of `scsim profile list --json`'s "profiles" array: path NULL for
 * the embedded profile, error NULL when the profile loads.
 */
void cli_json_profile(struct json_object *profiles, const char *name, const char *label,
                      const char *path, const char *source, const char *error);

#endif
