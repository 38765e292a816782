/* SPDX-License-Identifier: MIT */
/* scsim conform: hold a card in any PC/SC reader to ISO 7816-4, PIV or OpenPGP, and report. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <scsim/profile.h>

#include "commands.h"
#include "conform.h"
#include "conform_pcsc.h"

static const char usage[] =
    "usage: scsim conform --suite iso7816|piv|openpgp [--reader NAME] [--card FILE|NAME]\n"
    "                     [--destructive [--yes]] [--junit FILE] [--tap|--json]\n"
    "       scsim conform --suite NAME --list\n"
    "Hold the card in a reader to a standard: ISO/IEC 7816-4 (iso7816), NIST SP\n"
    "800-73-4 (piv) or the OpenPGP card 3.4 specification (openpgp). One line per\n"
    "check; a failure shows the status word wanted, the clause of the standard and\n"
    "the APDUs (codes masked). docs/conformance.md lists every check.\n"
    "  -r, --reader NAME  reader to use (default $SCSIM_READER, else the first with a card)\n"
    "  -s, --suite NAME   iso7816, piv or openpgp\n"
    "  -c, --card FILE    what the card should have: references, codes, files, keys\n"
    "                     (a YAML card description; a scsim profile is one; a NAME is\n"
    "                     looked up as NAME.yaml like scsim's profiles). Without it only\n"
    "                     the checks that need no knowledge of the card run.\n"
    "  --destructive      also run checks that may block codes (then unblock them with\n"
    "                     the description's unblock codes), change codes or data, or\n"
    "                     replace keys. On a reader that is not one of scsim's own\n"
    "                     (not in $SCSIM_READER, $SCSIM_READER_0..15) it asks first.\n"
    "  -y, --yes          do not ask (CI jobs that mean it)\n"
    "  --junit FILE       also write JUnit XML (Jenkins, GitLab, GitHub) to FILE\n"
    "  --tap              TAP version 13 on stdout instead of text lines\n"
    "  --json             one JSON object on stdout instead of text lines\n"
    "  --list             list the suite's checks and clauses, run nothing\n"
    "Exit: 0 every check that ran passed (skips do not fail), 1 a check failed,\n"
    "2 usage or a bad card description, 3 no reader, no card or PC/SC failure.\n";

struct opts {
        const char *reader, *suite, *card, *junit;
        bool destructive, yes, tap, json, list;
};

static int parse(int argc, char **argv, struct opts *o)
{
        enum { O_DESTRUCTIVE = 256, O_JUNIT, O_TAP, O_JSON, O_LIST, O_HELP };
        static const struct option longs[] = {
            {"reader", required_argument, NULL, 'r'},
            {"suite", required_argument, NULL, 's'},
            {"card", required_argument, NULL, 'c'},
            {"destructive", no_argument, NULL, O_DESTRUCTIVE},
            {"yes", no_argument, NULL, 'y'},
            {"junit", required_argument, NULL, O_JUNIT},
            {"tap", no_argument, NULL, O_TAP},
            {"json", no_argument, NULL, O_JSON},
            {"list", no_argument, NULL, O_LIST},
            {"help", no_argument, NULL, O_HELP},
            {NULL, 0, NULL, 0},
        };
        int opt;

        memset(o, 0, sizeof(*o));
        optind = 1;
        opterr = 0;
        while ((opt = getopt_long(argc, argv, "r:s:c:yh", longs, NULL)) != -1) {
                switch (opt) {
                case 'r':
                        o->reader = optarg;
                        break;
                case 's':
                        o->suite = optarg;
                        break;
                case 'c':
                        o->card = optarg;
                        break;
                case 'y':
                        o->yes = true;
                        break;
                case O_DESTRUCTIVE:
                        o->destructive = true;
                        break;
                case O_JUNIT:
                        o->junit = optarg;
                        break;
                case O_TAP:
                        o->tap = true;
                        break;
                case O_JSON:
                        o->json = true;
                        break;
                case O_LIST:
                        o->list = true;
                        break;
                case 'h':
                case O_HELP:
                        fputs(usage, stdout);
                        return EXIT_OK;
                default:
                        fprintf(stderr, "scsim conform: unknown option or missing value: %s\n%s",
                                argv[optind - 1], usage);
                        return EXIT_USAGE;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "scsim conform: unexpected argument '%s'\n", argv[optind]);
                return EXIT_USAGE;
        }
        if (o->suite == NULL || cf_suite_by_name(o->suite) == NULL) {
                fprintf(stderr, "scsim conform: %s%s%s: want --suite iso7816, piv or openpgp\n",
                        o->suite != NULL ? "unknown suite '" : "no suite given",
                        o->suite != NULL ? o->suite : "", o->suite != NULL ? "'" : "");
                return EXIT_USAGE;
        }
        if (o->tap && o->json) {
                fprintf(stderr, "scsim conform: --tap and --json exclude each other\n");
                return EXIT_USAGE;
        }
        return -1;
}

/* A NAME (no '/', no .yaml) is found as NAME.yaml where scsim's profiles are. */
static int find_card(const char *arg, char *path, size_t cap)
{
        const size_t n = strlen(arg);
        const char *dirs = getenv("SCSIM_PROFILE_PATH");
        char list[4096];

        if (strchr(arg, '/') != NULL || (n > 5 && strcmp(arg + n - 5, ".yaml") == 0) ||
            (n > 4 && strcmp(arg + n - 4, ".yml") == 0)) {
                snprintf(path, cap, "%s", arg);
                return 0;
        }
        snprintf(list, sizeof(list), "%s%s%s", dirs != NULL ? dirs : "",
                 dirs != NULL && dirs[0] != '\0' ? ":" : "", scsim_profile_install_dir());
        for (char *save = NULL, *d = strtok_r(list, ":", &save); d != NULL;
             d = strtok_r(NULL, ":", &save)) {
                snprintf(path, cap, "%s/%s.yaml", d, arg);
                if (access(path, R_OK) == 0)
                        return 0;
        }
        fprintf(stderr,
                "scsim conform: --card '%s': no %s.yaml in $SCSIM_PROFILE_PATH or %s; give the "
                "file's path\n",
                arg, arg, scsim_profile_install_dir());
        return -1;
}

static int load_card(const struct opts *o, struct cf_card **card)
{
        char path[4096], err[600];

        if (o->card == NULL) {
                if ((*card = cf_card_new()) == NULL) {
                        fprintf(stderr, "scsim conform: out of memory\n");
                        return EXIT_RUNTIME;
                }
                return EXIT_OK;
        }
        if (find_card(o->card, path, sizeof(path)) != 0)
                return EXIT_USAGE;
        if (cf_card_load(path, card, err, sizeof(err)) != 0) {
                fprintf(stderr, "scsim conform: card description: %s\n", err);
                return EXIT_USAGE;
        }
        return EXIT_OK;
}

static int list_checks(const struct cf_suite *s)
{
        static const char *const each[] = {"", " (per CHV)", " (per EF)", " (per key)"};

        printf("%s: %s\n", s->name, s->standard);
        for (size_t i = 0; i < s->nchecks; i++) {
                const struct cf_check *c = &s->checks[i];
                printf("%-34s %s%s%s\n%-34s %s\n", c->id, c->title, each[c->each],
                       (c->flags & CF_DESTRUCTIVE) ? " [destructive]" : "", "", c->clause);
        }
        return EXIT_OK;
}

/* Readers `scsim run` made: their names are in the environment it gives its command. */
static bool own_reader(const char *name)
{
        char var[32];
        const char *v = getenv("SCSIM_READER");

        if (v != NULL && strcmp(v, name) == 0)
                return true;
        for (unsigned i = 0; i < 16; i++) {
                snprintf(var, sizeof(var), "SCSIM_READER_%u", i);
                if ((v = getenv(var)) != NULL && strcmp(v, name) == 0)
                        return true;
        }
        return false;
}

static bool confirmed(const char *reader)
{
        FILE *tty = fopen("/dev/tty", "r+");
        char line[16] = "";
        bool yes;

        if (tty == NULL) {
                fprintf(stderr,
                        "scsim conform: --destructive on '%s', which is not one of scsim's "
                        "readers, needs a yes on a terminal, or --yes\n",
                        reader);
                return false;
        }
        fprintf(tty,
                "scsim conform: '%s' is not one of scsim's readers. --destructive runs checks\n"
                "that block codes (and unblock them with the description's unblock codes),\n"
                "change codes and data, and replace keys on the card in it. A card description\n"
                "that is wrong can leave a code blocked for good. Type yes to go on: ",
                reader);
        fflush(tty);
        yes = fgets(line, sizeof(line), tty) != NULL && strcmp(line, "yes\n") == 0;
        fclose(tty);
        if (!yes)
                fprintf(stderr, "scsim conform: not confirmed; nothing was run\n");
        return yes;
}

/* Reports are made anew, never through a planted link nor over another user's file. */
static FILE *open_report(const char *path)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        struct stat st;
        FILE *f;

        if (fd < 0) {
                fprintf(stderr, "scsim conform: --junit %s: %s\n", path, strerror(errno));
                return NULL;
        }
        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
            ftruncate(fd, 0) != 0) {
                fprintf(stderr, "scsim conform: --junit %s: not a regular file of ours\n", path);
                close(fd);
                return NULL;
        }
        if ((f = fdopen(fd, "w")) == NULL)
                close(fd);
        return f;
}

struct out {
        const struct opts *o;
};

static void on_planned(size_t total, void *ctx)
{
        const struct out *out = ctx;

        if (out->o->tap)
                cf_print_tap_plan(stdout, total);
}

static void on_result(const struct cf_result *res, size_t index, size_t total, void *ctx)
{
        const struct out *out = ctx;

        (void)total;
        if (out->o->tap)
                cf_print_tap(stdout, res, index);
        else if (!out->o->json)
                cf_print_text(stdout, res);
        fflush(stdout);
}

static int write_reports(const struct opts *o, const struct cf_report *rep)
{
        FILE *f;
        int bad = 0;

        if (o->json)
                bad |= cf_write_json(stdout, rep);
        else if (o->tap)
                printf("# %zu passed, %zu failed, %zu skipped, %zu errors\n", rep->passed,
                       rep->failed, rep->skipped, rep->errors);
        else
                cf_print_summary(stdout, rep);
        if (o->junit != NULL) {
                if ((f = open_report(o->junit)) == NULL)
                        return -1;
                bad |= cf_write_junit(f, rep);
                bad |= fclose(f);
                if (bad != 0)
                        fprintf(stderr, "scsim conform: --junit %s: write failed\n", o->junit);
        }
        return bad != 0 ? -1 : 0;
}

static int run(const struct opts *o, const struct cf_card *card)
{
        struct cf_pcsc *link = NULL;
        struct cf_target t;
        struct cf_report rep;
        struct out out = {o};
        struct cf_options opt = {
            cf_suite_by_name(o->suite), card, o->destructive, on_result, &out, on_planned};
        int rc, code;

        if (cf_pcsc_open(o->reader, &link, &t) != 0)
                return EXIT_RUNTIME;
        if (o->destructive && !o->yes && !own_reader(t.reader) && !confirmed(t.reader)) {
                cf_pcsc_close(&link);
                return EXIT_USAGE;
        }
        rc = cf_run_suite(&t, &opt, &rep);
        cf_pcsc_close(&link);
        if (write_reports(o, &rep) != 0)
                code = EXIT_RUNTIME;
        else if (rc != 0)
                code = EXIT_RUNTIME;
        else
                code = rep.failed > 0 || rep.errors > 0 ? EXIT_FAILED : EXIT_OK;
        if (rc != 0)
                fprintf(stderr, "scsim conform: %s\n", rep.environment);
        cf_report_free(&rep);
        return code;
}

static int conform_run(int argc, char **argv)
{
        struct opts o;
        struct cf_card *card = NULL;
        int code = parse(argc, argv, &o);

        if (code >= 0)
                return code;
        if (o.list)
                return list_checks(cf_suite_by_name(o.suite));
        /* the description holds codes: no core file may keep them */
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        if ((code = load_card(&o, &card)) != EXIT_OK)
                return code;
        code = run(&o, card);
        cf_card_free(&card);
        return code;
}

const struct verb verb_conform = {"conform", "hold a card to ISO 7816-4, PIV or OpenPGP (reports)",
                                  conform_run};
