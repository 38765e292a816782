/* SPDX-License-Identifier: MIT */
/* The conformance runner: suites as tables of checks, the link to the card, the results. */
#ifndef SCSIM_CLIENT_CONFORM_H
#define SCSIM_CLIENT_CONFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <scsim/iscardverify.h>

#include "conform_card.h"

enum cf_verdict { CF_PASS, CF_FAIL, CF_SKIP, CF_ERROR };

/* What a row of a suite runs on: once, or once per object of the card description. */
enum cf_each {
        CF_ONCE,
        CF_EACH_CHV, /* every verifiable CHV (it has a reference) */
        CF_EACH_EF,  /* every EF */
        CF_EACH_KEY, /* every key for EXTERNAL AUTHENTICATE */
};

/* A check that may block a code, change data or replace a key runs only with --destructive. */
#define CF_DESTRUCTIVE 0x01u

struct cf_run;

struct cf_check {
        const char *id;     /* "iso.verify.p1ff": suite, subject, what */
        const char *title;  /* what passing shows, one line */
        const char *clause; /* where the standard says so */
        unsigned flags;
        enum cf_each each;
        /* obj: index into the description's chvs, files or keys (-1 for CF_ONCE) */
        enum cf_verdict (*run)(struct cf_run *r, int obj);
};

struct cf_suite {
        const char *name;     /* as --suite names it */
        const char *standard; /* for the reports */
        const struct cf_check *checks;
        size_t nchecks;
        /* after each check: codes the application keeps itself get their tries back; may be NULL */
        void (*restore)(struct cf_run *r);
};

extern const struct cf_suite cf_suite_iso7816;
extern const struct cf_suite cf_suite_piv;
extern const struct cf_suite cf_suite_openpgp;

/* ---- what a run records --------------------------------------------------- */

#define CF_LOG_MAX  40 /* the last exchanges of a check are kept for its report */
#define CF_KEEP_MAX 48 /* bytes of each APDU kept */

/* One exchange, or an event ("warm reset") when event is not NULL. */
struct cf_exchange {
        const char *event;
        uint8_t c[CF_KEEP_MAX], r[CF_KEEP_MAX];
        size_t clen, rlen;         /* full lengths; r's last two bytes are the status word */
        size_t mask_off, mask_len; /* bytes of c that held a code: never kept */
        uint16_t sw;
};

struct cf_result {
        const struct cf_check *check;
        char id[96]; /* the check's id, with the object it ran on: iso.verify.p1ff[pin] */
        enum cf_verdict verdict;
        char message[400];       /* failures and skips: why */
        struct cf_exchange *log; /* failures and errors: the last exchanges, oldest first */
        size_t nlog, dropped;
        double seconds;
};

struct cf_report {
        const char *suite, *standard;
        char reader[256];
        char card[64];
        struct cf_result *results;
        size_t n;
        size_t passed, failed, skipped, errors;
        double seconds;
        char timestamp[32];    /* ISO 8601, UTC */
        char environment[320]; /* why the run stopped early, "" when it did not */
};

/* ---- running a suite ------------------------------------------------------ */

/* The card to run against: any transport (PC/SC, or a card in the same process for tests). */
struct cf_target {
        const struct scsim_scv_transport *ops;
        void *ctx;
        /* the card's ATR now; NULL when the transport cannot tell */
        scsim_hresult (*atr)(void *ctx, uint8_t *atr, size_t cap, size_t *len);
        /* wait for the card to be back and connect anew after it stopped answering; may be NULL */
        scsim_hresult (*reattach)(void *ctx, unsigned timeout_ms);
        const char *reader;
};

struct cf_options {
        const struct cf_suite *suite;
        const struct cf_card *card;
        bool destructive;
        /* called after each check, e.g. to print its line; may be NULL */
        void (*progress)(const struct cf_result *res, size_t index, size_t total, void *ctx);
        void *progress_ctx;
        /* called once the checks are known, before the first runs; may be NULL */
        void (*planned)(size_t total, void *ctx);
};

/*
 * Run every check of the suite the description allows and fill out. Returns 0
 * when the run went to the end (checks may have failed), -1 when the link to
 * the card failed (out->environment says why; the remaining checks are not run).
 */
int cf_run_suite(const struct cf_target *t, const struct cf_options *o, struct cf_report *out);
void cf_report_free(struct cf_report *rep);
const struct cf_suite *cf_suite_by_name(const char *name);

/* ---- the reports ---------------------------------------------------------- */

const char *cf_verdict_name(enum cf_verdict v);
/* The text line of one result (and, for a failure, its APDUs), as the run goes. */
void cf_print_text(FILE *f, const struct cf_result *res);
void cf_print_summary(FILE *f, const struct cf_report *rep);
/* TAP version 13: the plan first, a line per check, failures with a YAML block. */
void cf_print_tap_plan(FILE *f, size_t total);
void cf_print_tap(FILE *f, const struct cf_result *res, size_t number);
/* JUnit XML (testsuites/testsuite/testcase with failure, error, skipped); 0 or -1. */
int cf_write_junit(FILE *f, const struct cf_report *rep);
/* One JSON object with every result; 0 or -1. */
int cf_write_json(FILE *f, const struct cf_report *rep);

#endif
