/* SPDX-License-Identifier: MIT */
/* scsim-vpcd: presents simulated cards to pcscd through vsmartcard's vpcd driver. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <scsim/scsim.h>

#include "apdu_trace.h"
#include "bridge.h"

#define EXIT_USAGE   2
#define EXIT_RUNTIME 3

static void usage(FILE *f)
{
        fprintf(
            f,
            "usage: scsim-vpcd [OPTIONS]\n"
            "Presents simulated smart cards to pcscd through vsmartcard's vpcd reader driver.\n"
            "\n"
            "  -p, --profile P       card profile: a name or a YAML file (default iso7816-chv)\n"
            "  -a, --vpcd HOST:PORT  where vpcd listens (default 127.0.0.1:%u); slot n uses "
            "PORT+n\n"
            "  -n, --slots N         serve N independent cards, distinct serials (default 1, max "
            "%u)\n"
            "  -r, --reverse         listen and let vpcd connect (reader.conf DEVICENAME "
            "HOST:PORT)\n"
            "  -l, --listen ADDR:PORT  where to listen with --reverse (default 127.0.0.1:%u)\n"
            "      --allow-remote    allow a non-loopback address\n"
            "  -t, --trace FILE      one line per APDU to FILE ('-' for standard output)\n"
            "      --trace-secrets   show PIN, PUK and key bytes in the trace (masked otherwise)\n"
            "  -s, --state PATH      keep card state (counters, codes, files) in PATH; slot n\n"
            "                        uses PATH.n. Refuses a bad file. See docs/state.md\n"
            "      --state-key FILE  encrypt the state files with the key in FILE (32 bytes\n"
            "                        or 64 hex digits, mode 0600)\n"
            "      --print-atr       print the card's ATR in hex and exit\n"
            "  -v, --verbose         more diagnostics on standard error (repeat for card debug)\n"
            "  -h, --help            this text\n"
            "      --version         print the version\n"
            "\n"
            "SIGINT and SIGTERM end it cleanly (exit 0). See scsim-vpcd(1).\n",
            VPCD_DEFAULT_PORT, BRIDGE_SLOTS_MAX, VPCD_DEFAULT_PORT);
}

enum { OPT_ALLOW_REMOTE = 256, OPT_TRACE_SECRETS, OPT_PRINT_ATR, OPT_VERSION, OPT_STATE_KEY };

static const struct option options[] = {
    {"profile", required_argument, NULL, 'p'},
    {"vpcd", required_argument, NULL, 'a'},
    {"slots", required_argument, NULL, 'n'},
    {"reverse", no_argument, NULL, 'r'},
    {"listen", required_argument, NULL, 'l'},
    {"allow-remote", no_argument, NULL, OPT_ALLOW_REMOTE},
    {"trace", required_argument, NULL, 't'},
    {"state", required_argument, NULL, 's'},
    {"state-key", required_argument, NULL, OPT_STATE_KEY},
    {"trace-secrets", no_argument, NULL, OPT_TRACE_SECRETS},
    {"print-atr", no_argument, NULL, OPT_PRINT_ATR},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

int main(int argc, char **argv)
{
        struct bridge_config cfg;
        const char *profile_arg = "iso7816-chv", *vpcd_arg = NULL, *listen_arg = NULL;
        const char *trace_arg = NULL, *key_arg = NULL;
        uint8_t key[SCSIM_STATE_KEY_LEN];
        bool allow_remote = false, print_atr = false;
        scsim_profile *profile = NULL;
        scsim_diag diag;
        char err[512], where[80];
        int opt, rc = EXIT_USAGE;

        memset(&cfg, 0, sizeof(cfg));
        memset(&diag, 0, sizeof(diag));
        cfg.slots = 1;
        cfg.log = stderr;
        while ((opt = getopt_long(argc, argv, "p:a:n:rl:t:s:vh", options, NULL)) != -1) {
                switch (opt) {
                case 'p':
                        profile_arg = optarg;
                        break;
                case 'a':
                        vpcd_arg = optarg;
                        break;
                case 'n': {
                        char *end = NULL;
                        unsigned long n;
                        errno = 0;
                        n = strtoul(optarg, &end, 10);
                        if (errno != 0 || end == optarg || *end != '\0' || n == 0 ||
                            n > BRIDGE_SLOTS_MAX) {
                                fprintf(stderr, "scsim-vpcd: --slots '%s': expected 1 to %u\n",
                                        optarg, BRIDGE_SLOTS_MAX);
                                goto fail;
                        }
                        cfg.slots = (unsigned)n;
                        break;
                }
                case 'r':
                        cfg.reverse = true;
                        break;
                case 'l':
                        listen_arg = optarg;
                        break;
                case OPT_ALLOW_REMOTE:
                        allow_remote = true;
                        break;
                case 't':
                        trace_arg = optarg;
                        break;
                case 's':
                        cfg.state_path = optarg;
                        break;
                case OPT_STATE_KEY:
                        key_arg = optarg;
                        break;
                case OPT_TRACE_SECRETS:
                        cfg.trace_secrets = true;
                        break;
                case OPT_PRINT_ATR:
                        print_atr = true;
                        break;
                case 'v':
                        cfg.verbosity++;
                        break;
                case 'h':
                        usage(stdout);
                        rc = 0;
                        goto fail;
                case OPT_VERSION:
                        printf("scsim-vpcd %s\n", SCSIM_VERSION);
                        rc = 0;
                        goto fail;
                default:
                        usage(stderr);
                        goto fail;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "scsim-vpcd: unexpected argument '%s'\n", argv[optind]);
                goto fail;
        }
        if (listen_arg != NULL && !cfg.reverse) {
                fprintf(stderr, "scsim-vpcd: --listen needs --reverse\n");
                goto fail;
        }
        if (vpcd_arg != NULL && cfg.reverse) {
                fprintf(stderr,
                        "scsim-vpcd: --vpcd and --reverse exclude each other (use --listen)\n");
                goto fail;
        }

        if (key_arg != NULL && cfg.state_path == NULL) {
                fprintf(stderr, "scsim-vpcd: --state-key needs --state\n");
                goto fail;
        }
        if (key_arg != NULL) {
                if (scsim_state_key_read(key_arg, key, &diag) != SCSIM_OK) {
                        scsim_diag_format(&diag, err, sizeof(err));
                        fprintf(stderr, "scsim-vpcd: --state-key: %s\n", err);
                        rc = EXIT_RUNTIME;
                        goto fail;
                }
                cfg.state_key = key;
        }
        if (scsim_profile_open(profile_arg, &profile, &diag) != SCSIM_OK) {
                scsim_diag_format(&diag, err, sizeof(err));
                fprintf(stderr, "scsim-vpcd: profile '%s': %s\n", profile_arg, err);
                goto fail;
        }
        if (print_atr) {
                scsim_card *card = scsim_card_new(profile);
                const uint8_t *atr = NULL;
                size_t atr_len = 0;
                if (card == NULL || scsim_card_atr(card, &atr, &atr_len) != SCSIM_OK) {
                        fprintf(stderr, "scsim-vpcd: cannot create the card\n");
                        scsim_card_free(&card);
                        rc = EXIT_RUNTIME;
                        goto fail;
                }
                for (size_t i = 0; i < atr_len; i++)
                        printf("%02X%s", atr[i], i + 1 < atr_len ? " " : "\n");
                scsim_card_free(&card);
                rc = 0;
                goto fail;
        }

        const char *addr_arg = cfg.reverse ? listen_arg : vpcd_arg;
        if (addr_arg == NULL)
                addr_arg = "127.0.0.1";
        if (vpcd_addr_parse(addr_arg, VPCD_DEFAULT_PORT, &cfg.addr, err, sizeof(err)) != 0) {
                fprintf(stderr, "scsim-vpcd: %s %s\n", cfg.reverse ? "--listen" : "--vpcd", err);
                goto fail;
        }
        if (!vpcd_addr_is_loopback(&cfg.addr) && !allow_remote) {
                fprintf(stderr,
                        "scsim-vpcd: %s is not a loopback address; anyone on the network could "
                        "use the cards. Add --allow-remote if that is what you want.\n",
                        vpcd_addr_format(&cfg.addr, where, sizeof(where)));
                goto fail;
        }
        if (trace_arg != NULL) {
                if (strcmp(trace_arg, "-") == 0) {
                        cfg.trace = stdout;
                } else {
                        cfg.trace = fopen(trace_arg, "a");
                        if (cfg.trace == NULL) {
                                fprintf(stderr, "scsim-vpcd: --trace '%s': %s\n", trace_arg,
                                        strerror(errno));
                                rc = EXIT_RUNTIME;
                                goto fail;
                        }
                }
        }
        cfg.profile = profile;
        rc = bridge_run(&cfg);
fail:
        OPENSSL_cleanse(key, sizeof(key));
        if (cfg.trace != NULL && cfg.trace != stdout)
                fclose(cfg.trace);
        scsim_profile_free(&profile);
        return rc;
}
