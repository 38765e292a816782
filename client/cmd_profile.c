/* SPDX-License-Identifier: MIT */
/* scsim profile check|show|list: validate, inspect and find card profiles. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <scsim/err.h>
#include <scsim/profile.h>

#include "commands.h"

static void usage(FILE *f)
{
        fprintf(f,
                "usage: scsim profile check NAME|FILE...\n"
                "       scsim profile show [--secrets] NAME|FILE\n"
                "       scsim profile list\n"
                "\n"
                "check  load each profile and report every mistake in it as\n"
                "       file:line:column; exit 0 when all are good, 2 when any is bad\n"
                "show   print the resolved profile as YAML, CHV values and keys masked;\n"
                "       --secrets prints them in clear: the output then loads as a profile\n"
                "list   the profiles a NAME can refer to: the embedded default, then\n"
                "       $SCSIM_PROFILE_PATH (colon-separated), then %s\n",
                scsim_profile_install_dir());
}

/* One mistake, as file:line:column: message. */
static void print_diag(void *ctx, const scsim_diag *diag)
{
        char line[1024];

        (void)ctx;
        scsim_diag_format(diag, line, sizeof(line));
        fprintf(stderr, "%s\n", line);
}

/* Open a profile or print every mistake in it; returns the exit code to use on failure. */
static int open_or_report(const char *what, scsim_profile **p)
{
        int rc = scsim_profile_open_report(what, p, print_diag, NULL);

        if (rc == SCSIM_OK)
                return EXIT_OK;
        if (rc == SCSIM_ERR_PROFILE || rc == SCSIM_ERR_IO)
                return EXIT_USAGE;
        fprintf(stderr, "scsim profile: %s: %s\n", what, scsim_strerror(rc));
        return EXIT_RUNTIME;
}

static int check(int argc, char **argv)
{
        int worst = EXIT_OK;

        if (argc < 1) {
                usage(stderr);
                return EXIT_USAGE;
        }
        for (int i = 0; i < argc; i++) {
                scsim_profile *p = NULL;
                int rc = open_or_report(argv[i], &p);
                if (rc == EXIT_OK)
                        printf("%s: ok (%s)\n", argv[i], scsim_profile_name(p));
                else if (worst != EXIT_RUNTIME)
                        worst = rc;
                scsim_profile_free(&p);
        }
        return worst;
}

static int show(int argc, char **argv)
{
        scsim_profile *p = NULL;
        bool secrets = argc == 2 && strcmp(argv[0], "--secrets") == 0;
        const char *what;
        int rc;

        if (argc != 1 && !secrets) {
                usage(stderr);
                return EXIT_USAGE;
        }
        what = argv[argc - 1];
        if ((rc = open_or_report(what, &p)) != EXIT_OK)
                return rc;
        if (secrets)
                printf("# resolved from %s; holds its CHV values and keys in clear\n", what);
        else
                printf("# resolved from %s; CHV and key values are masked\n", what);
        rc = scsim_profile_print(p, stdout, secrets ? SCSIM_PRINT_SECRETS : 0);
        scsim_profile_free(&p);
        if (rc != SCSIM_OK) {
                fprintf(stderr, "scsim profile show: %s\n", scsim_strerror(rc));
                return EXIT_RUNTIME;
        }
        return EXIT_OK;
}

/* One line per profile: its name, label and file; a file that does not load says so. */
static int list_one(void *ctx, const char *name, const char *path)
{
        int *worst = ctx;
        scsim_profile *p = NULL;
        scsim_diag diag;
        char line[1024];

        if (path == NULL ? scsim_profile_default(&p) == SCSIM_OK
                         : scsim_profile_load_file(path, &p, &diag) == SCSIM_OK) {
                printf("%-20s %-40s %s\n", name, scsim_profile_label(p),
                       path != NULL ? path : "(embedded)");
        } else if (path == NULL) {
                fprintf(stderr, "scsim profile: the embedded default does not load\n");
                *worst = EXIT_RUNTIME;
        } else {
                scsim_diag_format(&diag, line, sizeof(line));
                printf("%-20s %-40s %s\n", name, "(invalid, see below)", path);
                fprintf(stderr, "%s\n", line);
                if (*worst == EXIT_OK)
                        *worst = EXIT_USAGE;
        }
        scsim_profile_free(&p);
        return 0;
}

static int list(int argc, char **argv)
{
        int worst = EXIT_OK, rc;

        (void)argv;
        if (argc != 0) {
                usage(stderr);
                return EXIT_USAGE;
        }
        if ((rc = scsim_profile_list(list_one, &worst)) != SCSIM_OK) {
                fprintf(stderr, "scsim profile list: %s\n", scsim_strerror(rc));
                return EXIT_RUNTIME;
        }
        return worst;
}

static int profile_run(int argc, char **argv)
{
        static const struct option opts[] = {
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        const char *sub;
        int c;

        optind = 1;
        while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
                if (c == 'h') {
                        usage(stdout);
                        return EXIT_OK;
                }
                usage(stderr);
                return EXIT_USAGE;
        }
        if (optind >= argc) {
                usage(stderr);
                return EXIT_USAGE;
        }
        sub = argv[optind++];
        argc -= optind;
        argv += optind;
        for (int i = 0; i < argc; i++) {
                if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
                        usage(stdout);
                        return EXIT_OK;
                }
        }
        if (strcmp(sub, "check") == 0)
                return check(argc, argv);
        if (strcmp(sub, "show") == 0)
                return show(argc, argv);
        if (strcmp(sub, "list") == 0)
                return list(argc, argv);
        fprintf(stderr, "scsim profile: unknown subcommand '%s'\n", sub);
        usage(stderr);
        return EXIT_USAGE;
}

const struct verb verb_profile = {"profile", "check, show or list card profiles", profile_run};
