/* SPDX-License-Identifier: MIT */
/* scsim profile check|show|list: validate, inspect and find card profiles. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <scsim/err.h>
#include <scsim/profile.h>

#include "cli.h"
#include "cli_profile.h"
#include "commands.h"

static void usage(FILE *f)
{
        fprintf(f,
                "usage: scsim profile check NAME|FILE...\n"
                "       scsim profile show [--secrets] NAME|FILE\n"
                "       scsim profile list [--json]\n"
                "\n"
                "check  load each profile and report every mistake in it as\n"
                "       file:line:column; exit 0 when all are good, 2 when any is bad\n"
                "show   print the resolved profile as YAML, CHV values and keys masked;\n"
                "       --secrets prints them in clear: the output then loads as a profile\n"
                "list   the profiles a NAME can refer to: the embedded default, then\n"
                "       $SCSIM_PROFILE_PATH (colon-separated), then %s;\n"
                "       --json prints one JSON object (docs/json.md)\n",
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

struct listing {
        int worst;
        struct json_object *profiles; /* with --json, else NULL */
};

/* One line per profile: its name, label and file; a file that does not load says so. */
static int list_one(void *ctx, const char *name, const char *path, const char *source)
{
        struct listing *l = ctx;
        scsim_profile *p = NULL;
        scsim_diag diag;
        char line[1024];
        bool ok = path == NULL ? scsim_profile_default(&p) == SCSIM_OK
                               : scsim_profile_load_file(path, &p, &diag) == SCSIM_OK;

        if (!ok && path == NULL)
                snprintf(line, sizeof(line), "the embedded default does not load");
        else if (!ok)
                scsim_diag_format(&diag, line, sizeof(line));
        if (l->profiles != NULL)
                cli_json_profile(l->profiles, name, ok ? scsim_profile_label(p) : NULL, path,
                                 source, ok ? NULL : line);
        else if (ok)
                printf("%-20s %-40s %s\n", name, scsim_profile_label(p),
                       path != NULL ? path : "(embedded)");
        else if (path != NULL)
                printf("%-20s %-40s %s\n", name, "(invalid, see below)", path);
        if (!ok && l->profiles == NULL)
                fprintf(stderr, "%s%s\n", path == NULL ? "scsim profile: " : "", line);
        if (!ok && l->worst != EXIT_RUNTIME)
                l->worst = path == NULL ? EXIT_RUNTIME : EXIT_USAGE;
        scsim_profile_free(&p);
        return 0;
}

static int list(int argc, char **argv)
{
        struct listing l = {EXIT_OK, NULL};
        struct json_object *o = NULL;
        bool json = argc == 1 && strcmp(argv[0], "--json") == 0;

        if (argc != 0 && !json) {
                usage(stderr);
                return EXIT_USAGE;
        }
        if (json && !CLI_HAVE_JSON) {
                fprintf(stderr, "scsim profile list: --json: this build has no JSON library\n");
                return EXIT_USAGE;
        }
        if (json) {
                o = cli_json_new("profile list");
                l.profiles = cli_json_array(o, "profiles");
        }
        cli_profile_each(list_one, &l);
        if (json && cli_json_print(&o, l.worst == EXIT_OK,
                                   l.worst == EXIT_OK ? NULL : "a profile does not load") != 0)
                return EXIT_RUNTIME;
        return l.worst;
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
