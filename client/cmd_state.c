/* SPDX-License-Identifier: MIT */
/* scsim state show|reset: look at or reinitialise a durable state file. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <scsim/scsim.h>

#include "commands.h"

static void usage(FILE *f)
{
        fprintf(f, "usage: scsim state show [--state-key FILE] PATH\n"
                   "       scsim state reset [--profile NAME|FILE] [--state-key FILE]\n"
                   "                         [--yes] PATH\n\n"
                   "show   print a state file (tries left, blocked references, file sizes);\n"
                   "       codes and keys are never printed\n"
                   "reset  rewrite PATH with the profile's initial values\n\n"
                   "  -p, --profile NAME|FILE  profile the state belongs to (default iso7816-chv)\n"
                   "      --state-key FILE     the key the file is (or is to be) encrypted with\n"
                   "  -y, --yes                do not ask for confirmation\n"
                   "  -h, --help               this text\n\n"
                   "exit: 0 done, 1 not confirmed, 2 usage or bad profile, 3 bad/unreadable "
                   "state file\n");
}

static int report(const scsim_diag *diag, int rc)
{
        char line[1024];

        scsim_diag_format(diag, line, sizeof(line));
        fprintf(stderr, "scsim state: %s\n", line);
        return rc;
}

static int confirm(const char *path)
{
        char answer[16];

        if (!isatty(STDIN_FILENO)) {
                fprintf(stderr,
                        "scsim state: refusing to reset %s without --yes (standard input "
                        "is not a terminal)\n",
                        path);
                return 0;
        }
        fprintf(stderr, "Reset %s to the profile's initial values (PINs, counters, files)? [y/N] ",
                path);
        if (fgets(answer, sizeof(answer), stdin) == NULL)
                return 0;
        return answer[0] == 'y' || answer[0] == 'Y';
}

static int state_run(int argc, char **argv)
{
        static const struct option opts[] = {
            {"profile", required_argument, NULL, 'p'},
            {"yes", no_argument, NULL, 'y'},
            {"state-key", required_argument, NULL, 'k'},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        const char *profile_name = "iso7816-chv", *sub, *path, *key_file = NULL;
        uint8_t key[SCSIM_STATE_KEY_LEN];
        scsim_profile *profile = NULL;
        scsim_diag diag;
        int yes = 0, c, rc;

        if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
                usage(argc < 2 ? stderr : stdout);
                return argc < 2 ? EXIT_USAGE : EXIT_OK;
        }
        sub = argv[1];
        optind = 2;
        while ((c = getopt_long(argc, argv, "p:yh", opts, NULL)) != -1) {
                switch (c) {
                case 'p':
                        profile_name = optarg;
                        break;
                case 'y':
                        yes = 1;
                        break;
                case 'k':
                        key_file = optarg;
                        break;
                case 'h':
                        usage(stdout);
                        return EXIT_OK;
                default:
                        usage(stderr);
                        return EXIT_USAGE;
                }
        }
        if (optind != argc - 1) {
                fprintf(stderr, "scsim state %s: expected exactly one PATH\n", sub);
                return EXIT_USAGE;
        }
        path = argv[optind];
        if (strcmp(sub, "show") == 0) {
                if (key_file != NULL && scsim_state_key_read(key_file, key, &diag) != SCSIM_OK)
                        return report(&diag, EXIT_RUNTIME);
                rc = scsim_state_print_key(path, key_file != NULL ? key : NULL,
                                           key_file != NULL ? sizeof(key) : 0, stdout, &diag);
                OPENSSL_cleanse(key, sizeof(key));
                return rc == SCSIM_OK ? EXIT_OK : report(&diag, EXIT_RUNTIME);
        }
        if (strcmp(sub, "reset") != 0) {
                fprintf(stderr, "scsim state: unknown action '%s' (show or reset)\n", sub);
                return EXIT_USAGE;
        }
        if (scsim_profile_open(profile_name, &profile, &diag) != SCSIM_OK)
                return report(&diag, EXIT_USAGE);
        if (!yes && !confirm(path)) {
                scsim_profile_free(&profile);
                return EXIT_FAILED;
        }
        if (key_file != NULL && scsim_state_key_read(key_file, key, &diag) != SCSIM_OK) {
                scsim_profile_free(&profile);
                return report(&diag, EXIT_RUNTIME);
        }
        rc = scsim_state_reset_key(profile, path, key_file != NULL ? key : NULL,
                                   key_file != NULL ? sizeof(key) : 0, &diag);
        OPENSSL_cleanse(key, sizeof(key));
        scsim_profile_free(&profile);
        if (rc != SCSIM_OK)
                return report(&diag, EXIT_RUNTIME);
        printf("%s: reset to the initial values of profile '%s'\n", path, profile_name);
        return EXIT_OK;
}

const struct verb verb_state = {"state", "show or reset a durable state file", state_run};
