/* SPDX-License-Identifier: MIT */
/* scsim run: a private pcscd with simulated cards inserted, for one command or a CI job. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

static void usage(FILE *f)
{
        fprintf(
            f,
            "usage: scsim run [OPTIONS] -- COMMAND [ARGS...]\n"
            "       scsim run --start [OPTIONS]     (then: eval the printed lines)\n"
            "       scsim run --stop [DIR]          (DIR defaults to $SCSIM_RUN_DIR)\n"
            "       scsim run --wait [DIR]          (wait until every card is present again)\n"
            "\n"
            "Starts scsim-vpcd and a private pcscd with Debian's vpcd, the cards inserted,\n"
            "runs COMMAND with PCSCLITE_CSOCK_NAME, SCSIM_READER (slot 0's reader),\n"
            "SCSIM_READER_0.. and SCSIM_RUN_DIR set, and removes everything afterwards.\n"
            "No SCSIM_* variable holding a PIN, PUK, code or key reaches COMMAND or the daemons.\n"
            "\n"
            "  -p, --profile P         card profile, name or YAML file (default iso7816-chv)\n"
            "  -n, --slots N           cards in readers \"" READER_PREFIX
            " 00 00\", \"... 00 01\", \"" READER_PREFIX " 1 00 00\"...\n"
            "                          (1 to 16, default 1)\n"
            "      --slot N:PROFILE[:STATE]  slot N's own profile (and state file); repeatable\n"
            "  -s, --state PATH        keep card state in PATH (slot n: PATH.n), see "
            "docs/state.md\n"
            "      --state-key FILE    encrypt it with the key in FILE (32 bytes or 64 hex "
            "digits)\n"
            "      --reader-name [N:]NAME  readers named NAME 00 00, NAME 00 01 (slot N's only,\n"
            "                          with N:; slots 2k and 2k+1 share a name)\n"
            "  -t, --trace FILE        APDU trace of every slot, started anew (see scsim-vpcd)\n"
            "      --trace-append      add to the trace file instead\n"
            "      --trace-secrets     do not mask PINs and keys in the trace\n"
            "      --removable         let cards be removed and come back (scsim-vpcd restarted,\n"
            "                          tests of removal); pcscd sees the cards ~0.4 s later\n"
            "      --isolation MODE    auto (default), mount, user or none: how pcscd is kept\n"
            "                          apart from the system's (see docs/bridge.md)\n"
            "      --timeout SEC       how long to wait for the cards to appear (default 30)\n"
            "      --start             start in the background; print the environment to export\n"
            "      --stop              stop what --start started\n"
            "      --wait              wait for readiness again (after pcscd was restarted)\n"
            "  -v, --verbose           say what happens\n"
            "  -h, --help              this text\n"
            "\n"
            "Exit code: COMMAND's (128+N when signal N ended it); 125 when scsim run itself\n"
            "failed, 126 when COMMAND cannot run, 127 when it is not found.\n"
            "Runs as root, or as any user where user namespaces are allowed. scsim-vpcd is\n"
            "looked up beside scsim (or in $SCSIM_VPCD).\n");
}

enum {
        OPT_TRACE_SECRETS = 256,
        OPT_TRACE_APPEND,
        OPT_TIMEOUT,
        OPT_START,
        OPT_STOP,
        OPT_WAIT,
        OPT_SLOT,
        OPT_READER_NAME,
        OPT_REMOVABLE,
        OPT_ISOLATION,
        OPT_STATE_KEY,
};

static const struct option options[] = {
    {"profile", required_argument, NULL, 'p'},
    {"slots", required_argument, NULL, 'n'},
    {"slot", required_argument, NULL, OPT_SLOT},
    {"state-key", required_argument, NULL, OPT_STATE_KEY},
    {"state", required_argument, NULL, 's'},
    {"reader-name", required_argument, NULL, OPT_READER_NAME},
    {"trace", required_argument, NULL, 't'},
    {"trace-append", no_argument, NULL, OPT_TRACE_APPEND},
    {"trace-secrets", no_argument, NULL, OPT_TRACE_SECRETS},
    {"removable", no_argument, NULL, OPT_REMOVABLE},
    {"isolation", required_argument, NULL, OPT_ISOLATION},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"start", no_argument, NULL, OPT_START},
    {"stop", no_argument, NULL, OPT_STOP},
    {"wait", no_argument, NULL, OPT_WAIT},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int parse_unsigned(const char *opt, const char *text, unsigned lo, unsigned hi,
                          unsigned *out)
{
        char *end = NULL;
        unsigned long v;

        errno = 0;
        v = strtoul(text, &end, 10);
        if (errno != 0 || end == text || *end != '\0' || v < lo || v > hi) {
                fprintf(stderr, "scsim run: %s '%s': expected a number from %u to %u\n", opt, text,
                        lo, hi);
                return -1;
        }
        *out = (unsigned)v;
        return 0;
}

/* "N:REST": slot N and what follows its colon; -1 when text does not start that way. */
static int slot_prefix(const char *opt, char *text, unsigned *slot, char **rest)
{
        char *colon = strchr(text, ':');

        if (colon == NULL)
                return -1;
        *colon = '\0';
        if (parse_unsigned(opt, text, 0, RUN_SLOTS_MAX - 1u, slot) != 0) {
                *colon = ':';
                return -1;
        }
        *rest = colon + 1;
        return 0;
}

/* --slot N:PROFILE[:STATE], cut in place in argv. */
static int parse_slot(struct run_opts *o, char *text)
{
        unsigned n;
        char *profile, *state;

        if (slot_prefix("--slot", text, &n, &profile) != 0 || profile[0] == '\0') {
                fprintf(stderr, "scsim run: --slot: expected N:PROFILE[:STATE], N from 0 to %u\n",
                        RUN_SLOTS_MAX - 1u);
                return -1;
        }
        if ((state = strchr(profile, ':')) != NULL)
                *state++ = '\0';
        o->slot[n].profile = profile;
        o->slot[n].state = state != NULL && state[0] != '\0' ? state : NULL;
        return 0;
}

/* --reader-name [N:]NAME: a name pcscd can take and reader.conf can quote. */
static int parse_reader_name(struct run_opts *o, char *text)
{
        unsigned n;
        char *name = text;
        bool one = text[0] >= '0' && text[0] <= '9' && strchr(text, ':') != NULL;

        if (one && slot_prefix("--reader-name", text, &n, &name) != 0)
                return -1;
        if (name[0] == '\0' || strlen(name) > READER_NAME_MAX ||
            strpbrk(name, "\"\\\n\r") != NULL) {
                fprintf(stderr,
                        "scsim run: --reader-name '%s': 1 to %u characters, no quote, backslash "
                        "or line break\n",
                        name, READER_NAME_MAX);
                return -1;
        }
        if (one)
                o->slot[n].reader = name;
        else
                o->reader_name = name;
        return 0;
}

static int parse_isolation(struct run_opts *o, const char *text)
{
        for (int m = ISOLATION_AUTO; m <= ISOLATION_NONE; m++)
                if (strcmp(text, run_isolation_name((enum run_isolation)m)) == 0) {
                        o->isolation = (enum run_isolation)m;
                        return 0;
                }
        fprintf(stderr, "scsim run: --isolation '%s': expected auto, mount, user or none\n", text);
        return -1;
}

/* Returns -1 to go on, or the exit code. */
static int parse_one(struct run_opts *o, int opt)
{
        switch (opt) {
        case 'p':
                o->profile = optarg;
                break;
        case 'n':
                return parse_unsigned("--slots", optarg, 1, RUN_SLOTS_MAX, &o->slots) == 0
                           ? -1
                           : RUN_EXIT_FAILED;
        case OPT_SLOT:
                return parse_slot(o, optarg) == 0 ? -1 : RUN_EXIT_FAILED;
        case 's':
                o->state = optarg;
                break;
        case OPT_STATE_KEY:
                o->state_key = optarg;
                break;
        case OPT_READER_NAME:
                return parse_reader_name(o, optarg) == 0 ? -1 : RUN_EXIT_FAILED;
        case 't':
                o->trace = optarg;
                break;
        case OPT_TRACE_APPEND:
                o->trace_append = true;
                break;
        case OPT_TRACE_SECRETS:
                o->trace_secrets = true;
                break;
        case OPT_REMOVABLE:
                o->removable = true;
                break;
        case OPT_ISOLATION:
                return parse_isolation(o, optarg) == 0 ? -1 : RUN_EXIT_FAILED;
        case OPT_TIMEOUT:
                return parse_unsigned("--timeout", optarg, 1, 3600, &o->timeout_s) == 0
                           ? -1
                           : RUN_EXIT_FAILED;
        case OPT_START:
                o->mode = MODE_START;
                break;
        case OPT_STOP:
                o->mode = MODE_STOP;
                break;
        case OPT_WAIT:
                o->mode = MODE_WAIT;
                break;
        case 'v':
                o->verbose++;
                break;
        case 'h':
                usage(stdout);
                return EXIT_OK;
        default:
                usage(stderr);
                return RUN_EXIT_FAILED;
        }
        return -1;
}

static int dispatch(struct run_opts *o, struct run_env *e, int argc, char **argv)
{
        switch (o->mode) {
        case MODE_FOREGROUND:
                if (optind >= argc) {
                        fprintf(stderr, "scsim run: no command given (scsim run [OPTIONS] -- "
                                        "COMMAND [ARGS...])\n");
                        return RUN_EXIT_FAILED;
                }
                o->cmd = argv + optind;
                return run_foreground(e);
        case MODE_START:
                if (optind < argc) {
                        fprintf(stderr, "scsim run: --start takes no command\n");
                        return RUN_EXIT_FAILED;
                }
                if (o->trace != NULL && strcmp(o->trace, "-") == 0) {
                        fprintf(stderr, "scsim run: --start needs a trace file, not '-'\n");
                        return RUN_EXIT_FAILED;
                }
                return run_start(e);
        case MODE_STOP:
        case MODE_WAIT:
                if (optind + 1 < argc) {
                        fprintf(stderr, "scsim run: too many arguments\n");
                        return RUN_EXIT_FAILED;
                }
                o->dir = optind < argc ? argv[optind] : NULL;
                return o->mode == MODE_STOP ? run_stop(o) : run_wait(e);
        }
        return RUN_EXIT_FAILED;
}

/* The card of a slot no option names (embedded in libscsim). */
static const char default_profile[] = "iso7816-chv";

/*
 * Every profile named loads, before anything starts: a typo fails here with
 * the nearest name ("--profile PIV": did you mean 'piv'?), not later as the
 * bridge's exit. The default, built into libscsim, is not loaded here: that
 * would load libscsim and libcrypto into scsim run for nothing
 * (scsim_front.c).
 */
static int check_profiles(const struct run_opts *o)
{
        for (unsigned i = 0; i <= RUN_SLOTS_MAX; i++) {
                const char *name = i == RUN_SLOTS_MAX ? o->profile : o->slot[i].profile;
                if (i == RUN_SLOTS_MAX && name == default_profile)
                        continue;
                if (name != NULL && run_check_profile(name) != 0)
                        return RUN_EXIT_FAILED;
        }
        return 0;
}

/* Whether any slot keeps its state in a file. */
static bool any_state(const struct run_opts *o)
{
        for (unsigned i = 0; i < RUN_SLOTS_MAX; i++)
                if (o->slot[i].state != NULL)
                        return true;
        return o->state != NULL;
}

static int run_main(int argc, char **argv)
{
        struct run_opts o;
        struct run_env e;
        int opt, rc;

        memset(&o, 0, sizeof(o));
        o.profile = default_profile;
        o.slots = 1;
        o.timeout_s = 30;
        o.mode = MODE_FOREGROUND;
        optind = 1;
        /* '+': stop at the first non-option, so COMMAND's own options stay its own. */
        while ((opt = getopt_long(argc, argv, "+p:n:t:s:vh", options, NULL)) != -1)
                if ((rc = parse_one(&o, opt)) >= 0)
                        return rc;
        for (unsigned i = 0; i < RUN_SLOTS_MAX; i++) {
                if (o.slot[i].profile != NULL && i >= o.slots)
                        o.slots = i + 1u;
                if (o.slot[i].reader != NULL && i >= o.slots && o.slot[i].profile == NULL) {
                        fprintf(stderr,
                                "scsim run: --reader-name %u: there is no slot %u (--slots %u)\n",
                                i, i, o.slots);
                        return RUN_EXIT_FAILED;
                }
        }
        if (o.mode != MODE_STOP && o.mode != MODE_WAIT && (rc = check_profiles(&o)) != 0)
                return rc;
        if (o.state_key != NULL && !any_state(&o)) {
                fprintf(stderr, "scsim run: --state-key needs --state or a --slot with a state\n");
                return RUN_EXIT_FAILED;
        }
        memset(&e, 0, sizeof(e));
        e.opts = &o;
        e.sig_fd = -1;
        e.notify_fd = -1;
        e.pcsc_fd = -1;
        e.pcscd_report = -1;
        e.isolation = o.isolation;
        return dispatch(&o, &e, argc, argv);
}

const struct verb verb_run = {"run", "run a command against a private pcscd with simulated cards",
                              run_main};
