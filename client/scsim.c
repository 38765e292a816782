/* SPDX-License-Identifier: MIT */
/* scsim: one command, many verbs (run, demo, verify, profile ...). */
#include <stdio.h>
#include <string.h>

#include <scsim/scsim.h>

#include "cli.h"
#include "cli_platform.h"
#include "commands.h"
#ifdef SCSIM_MODULE
#include "run.h"
#endif

static const char version_usage[] = "usage: scsim version [--json]   (also: scsim --version, -V)\n"
                                    "Print scsim's version; with --json, also the libraries' "
                                    "(docs/json.md).\n";

static int version_run(int argc, char **argv)
{
        struct json_object *o;
        int json = 0;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--json") == 0) {
                        json = 1;
                } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
                        fputs(version_usage, stdout);
                        return EXIT_OK;
                } else {
                        fprintf(stderr, "scsim version: unexpected argument '%s'\n%s", argv[i],
                                version_usage);
                        return EXIT_USAGE;
                }
        }
        if (!json) {
                printf("scsim %s\n", SCSIM_VERSION);
                return EXIT_OK;
        }
        if (!CLI_HAVE_JSON) {
                fprintf(stderr, "scsim version: this build has no JSON output\n");
                return EXIT_USAGE;
        }
        o = cli_json_new("version");
        cli_json_text(o, "name", "scsim");
        cli_json_text(o, "version", SCSIM_VERSION);
        cli_json_libraries(o);
        return cli_json_print(&o, 1, NULL) == 0 ? EXIT_OK : EXIT_RUNTIME;
}

const struct verb verb_version = {"version", "print the version (also --version, -V)", version_run};

/* A client-only build (Windows) has the verbs that talk to a reader, none that run a card. */
static const struct verb *const verbs[] = {
    &verb_version, &verb_demo,
#ifndef SCSIM_CLIENT_ONLY
    &verb_run,     &verb_ctl,
#endif
    &verb_status,  &verb_verify, &verb_change_code, &verb_unblock, &verb_reset_security_state,
#ifndef SCSIM_CLIENT_ONLY
    &verb_profile, &verb_state,  &verb_conform,
#endif
};
#define NVERBS (sizeof(verbs) / sizeof(verbs[0]))

static void usage(FILE *f)
{
        fprintf(f, "usage: scsim VERB [OPTIONS] [ARGS]\n"
                   "       scsim help VERB | scsim --version\n\nverbs:\n");
        for (size_t i = 0; i < NVERBS; i++)
                fprintf(f, "  %-22s %s\n", verbs[i]->name, verbs[i]->summary);
        fprintf(f, "\n'scsim help VERB' (or 'scsim VERB --help') describes one verb.\n"
                   "Exit codes: 0 ok, 1 the card said no, 2 usage, 3 environment (no pcscd,\n"
                   "reader or card); `scsim run` passes on its command's.\n");
}

static const struct verb *find(const char *name)
{
        for (size_t i = 0; i < NVERBS; i++)
                if (strcmp(name, verbs[i]->name) == 0)
                        return verbs[i];
        return NULL;
}

/* An unknown verb or option before the verb: say so, with the nearest known word. */
static int unknown(const char *word)
{
        static const char *const options[] = {"--help", "--version", "-h", "-V"};
        const char *names[NVERBS], *near;

        for (size_t i = 0; i < NVERBS; i++)
                names[i] = verbs[i]->name;
        if (word[0] == '-') {
                near = cli_nearest(word, options, sizeof(options) / sizeof(options[0]));
                fprintf(stderr, "scsim: unknown option '%s'", word);
        } else {
                near = cli_nearest(word, names, NVERBS);
                fprintf(stderr, "scsim: unknown verb '%s'", word);
        }
        if (near != NULL)
                fprintf(stderr, "; did you mean '%s'?", near);
        fprintf(stderr, " ('scsim help' lists the verbs)\n");
        return EXIT_USAGE;
}

/* scsim help [VERB]: the same text as scsim VERB --help. */
static int help(int argc, char **argv)
{
        const struct verb *v;
        char *args[3];

        if (argc < 3) {
                usage(stdout);
                return EXIT_OK;
        }
        if ((v = find(argv[2])) == NULL)
                return unknown(argv[2]);
        args[0] = argv[2];
        args[1] = (char *)"--help";
        args[2] = NULL;
        return v->run(2, args);
}

#ifdef SCSIM_MODULE
/*
 * The scsim module (libscsim-cli.so): the program (scsim_front.c) runs
 * `scsim run` itself and hands everything else here.
 */
#define SCSIM_MODULE_API __attribute__((visibility("default")))
SCSIM_MODULE_API int scsim_module_main(int argc, char **argv);
SCSIM_MODULE_API int scsim_module_check_profile(const char *name);

int scsim_module_check_profile(const char *name)
{
        return run_check_profile(name);
}

int scsim_module_main(int argc, char **argv)
#else
int main(int argc, char **argv)
#endif
{
        const struct verb *v;

        /*
         * The verbs read PINs and keys: no core dump, no ptrace by the same
         * user. Programs that scsim run starts are dumpable again (execve).
         */
        plat_no_core_dumps();
        if (argc < 2) {
                usage(stderr);
                return EXIT_USAGE;
        }
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
                return help(1, argv);
        if (strcmp(argv[1], "help") == 0)
                return help(argc, argv);
        if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)
                return version_run(argc - 1, argv + 1);
        if ((v = find(argv[1])) != NULL)
                return v->run(argc - 1, argv + 1);
        return unknown(argv[1]);
}
