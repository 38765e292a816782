/* SPDX-License-Identifier: MIT */
/* scsim: one command, many verbs (run, demo, verify, profile ...). */
#include <stdio.h>
#include <string.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <scsim/scsim.h>

#include "commands.h"

static int version_run(int argc, char **argv)
{
        (void)argc;
        (void)argv;
        printf("scsim %s\n", SCSIM_VERSION);
        return EXIT_OK;
}

const struct verb verb_version = {"version", "print the version", version_run};

/* A client-only build (Windows) has the verbs that talk to a reader, none that run a card. */
static const struct verb *const verbs[] = {
    &verb_version, &verb_demo,
#ifndef SCSIM_CLIENT_ONLY
    &verb_run,
#endif
    &verb_status,  &verb_verify, &verb_change_code, &verb_unblock, &verb_reset_security_state,
#ifndef SCSIM_CLIENT_ONLY
    &verb_profile, &verb_state,
#endif
};

static void usage(FILE *f)
{
        fprintf(f, "usage: scsim VERB [OPTIONS] [ARGS]\n\nverbs:\n");
        for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
                fprintf(f, "  %-22s %s\n", verbs[i]->name, verbs[i]->summary);
        fprintf(f, "\n'scsim VERB --help' describes one verb.\n");
}

int main(int argc, char **argv)
{
        /*
         * The verbs read PINs and keys: no core dump, no ptrace by the same
         * user. Programs that scsim run starts are dumpable again (execve).
         */
#ifdef __linux__
        (void)prctl(PR_SET_DUMPABLE, 0);
#endif
        if (argc < 2) {
                usage(stderr);
                return EXIT_USAGE;
        }
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
            strcmp(argv[1], "help") == 0) {
                usage(stdout);
                return EXIT_OK;
        }
        if (strcmp(argv[1], "--version") == 0)
                return version_run(argc - 1, argv + 1);
        for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
                if (strcmp(argv[1], verbs[i]->name) == 0)
                        return verbs[i]->run(argc - 1, argv + 1);
        fprintf(stderr, "scsim: unknown verb '%s'\n", argv[1]);
        usage(stderr);
        return EXIT_USAGE;
}
