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
            "Starts a private pcscd with Debian's vpcd and scsim-vpcd's cards inserted, runs\n"
            "COMMAND with PCSCLITE_CSOCK_NAME, SCSIM_READER (first slot's reader),\n"
            "SCSIM_READER_0.. and SCSIM_RUN_DIR set, and removes everything afterwards.\n"
            "The exit code is COMMAND's (128+N when a signal N ended it).\n"
            "\n"
            "  -p, --profile P      card profile, name or YAML file (default iso7816-chv)\n"
            "  -n, --slots N        cards in readers \"" READER_PREFIX
            " 00 00\"... (1 or 2, default 1)\n"
            "  -t, --trace FILE     APDU trace of every slot (see scsim-vpcd --trace)\n"
            "      --trace-secrets  do not mask PINs and keys in the trace\n"
            "  -s, --state PATH     keep card state in PATH (slot n: PATH.n), see docs/state.md\n"
            "      --timeout SEC    how long to wait for the cards to appear (default 30)\n"
            "      --start          start in the background; print the environment to export\n"
            "      --stop           stop what --start started\n"
            "      --wait           wait for readiness again (after pcscd was restarted)\n"
            "  -v, --verbose        say what happens\n"
            "  -h, --help           this text\n"
            "\n"
            "Needs root (a private mount namespace hides the system pcscd's socket path).\n");
}

enum { OPT_TRACE_SECRETS = 256, OPT_TIMEOUT, OPT_START, OPT_STOP, OPT_WAIT };

static const struct option options[] = {
    {"profile", required_argument, NULL, 'p'},
    {"slots", required_argument, NULL, 'n'},
    {"trace", required_argument, NULL, 't'},
    {"state", required_argument, NULL, 's'},
    {"trace-secrets", no_argument, NULL, OPT_TRACE_SECRETS},
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

static int run_main(int argc, char **argv)
{
        struct run_opts o;
        struct run_env e;
        int opt;

        memset(&o, 0, sizeof(o));
        o.profile = "iso7816-chv";
        o.slots = 1;
        o.timeout_s = 30;
        o.mode = MODE_FOREGROUND;
        optind = 1;
        /* '+': stop at the first non-option, so COMMAND's own options stay its own. */
        while ((opt = getopt_long(argc, argv, "+p:n:t:s:vh", options, NULL)) != -1) {
                switch (opt) {
                case 'p':
                        o.profile = optarg;
                        break;
                case 'n':
                        if (parse_unsigned("--slots", optarg, 1, VPCD_SLOTS, &o.slots) != 0)
                                return EXIT_USAGE;
                        break;
                case 't':
                        o.trace = optarg;
                        break;
                case 's':
                        o.state = optarg;
                        break;
                case OPT_TRACE_SECRETS:
                        o.trace_secrets = true;
                        break;
                case OPT_TIMEOUT:
                        if (parse_unsigned("--timeout", optarg, 1, 3600, &o.timeout_s) != 0)
                                return EXIT_USAGE;
                        break;
                case OPT_START:
                        o.mode = MODE_START;
                        break;
                case OPT_STOP:
                        o.mode = MODE_STOP;
                        break;
                case OPT_WAIT:
                        o.mode = MODE_WAIT;
                        break;
                case 'v':
                        o.verbose++;
                        break;
                case 'h':
                        usage(stdout);
                        return EXIT_OK;
                default:
                        usage(stderr);
                        return EXIT_USAGE;
                }
        }
        memset(&e, 0, sizeof(e));
        e.opts = &o;
        e.sig_fd = -1;
        e.notify_fd = -1;
        switch (o.mode) {
        case MODE_FOREGROUND:
                if (optind >= argc) {
                        fprintf(stderr, "scsim run: no command given (scsim run [OPTIONS] -- "
                                        "COMMAND [ARGS...])\n");
                        return EXIT_USAGE;
                }
                o.cmd = argv + optind;
                return run_foreground(&e);
        case MODE_START:
                if (optind < argc) {
                        fprintf(stderr, "scsim run: --start takes no command\n");
                        return EXIT_USAGE;
                }
                if (o.trace != NULL && strcmp(o.trace, "-") == 0) {
                        fprintf(stderr, "scsim run: --start needs a trace file, not '-'\n");
                        return EXIT_USAGE;
                }
                return run_start(&e);
        case MODE_STOP:
        case MODE_WAIT:
                if (optind + 1 < argc) {
                        fprintf(stderr, "scsim run: too many arguments\n");
                        return EXIT_USAGE;
                }
                o.dir = optind < argc ? argv[optind] : NULL;
                return o.mode == MODE_STOP ? run_stop(&o) : run_wait(&e);
        }
        return EXIT_USAGE;
}

const struct verb verb_run = {"run", "run a command against a private pcscd with simulated cards",
                              run_main};
