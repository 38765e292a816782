/* SPDX-License-Identifier: MIT */
/* scsim state show|reset: look at or reinitialise a durable state file. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <scsim/scsim.h>

#include "cli.h"
#include "cli_profile.h"
#include "commands.h"

static void usage(FILE *f)
{
        fprintf(f, "usage: scsim state show [--state-key FILE] [--json] PATH\n"
                   "       scsim state reset [--profile NAME|FILE] [--state-key FILE]\n"
                   "                         [--yes] PATH\n\n"
                   "show   print a state file (tries left, blocked references, file sizes);\n"
                   "       codes and keys are never printed\n"
                   "reset  rewrite PATH with the profile's initial values\n\n"
                   "  -p, --profile NAME|FILE  profile the state belongs to (default iso7816-chv)\n"
                   "      --state-key FILE     the key the file is (or is to be) encrypted with\n"
                   "  -y, --yes                do not ask for confirmation\n"
                   "      --json               show: one JSON object on stdout (docs/json.md)\n"
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

struct show_ctx {
        struct json_object *o, *chvs, *keys, *files, *apps;
};

static void show_record(void *arg, const scsim_state_record *r)
{
        struct show_ctx *s = arg;
        struct json_object *e;
        char hex[8];

        if (r->kind == SCSIM_STATE_HEADER) {
                cli_json_int(s->o, "format", r->version);
                cli_json_text(s->o, "profile", r->name);
                s->chvs = cli_json_array(s->o, "chvs");
                s->keys = cli_json_array(s->o, "keys");
                s->files = cli_json_array(s->o, "files");
                s->apps = r->version >= 2 ? cli_json_array(s->o, "applications") : NULL;
                return;
        }
        e = cli_json_object();
        cli_json_text(e, "name", r->name);
        if (r->kind == SCSIM_STATE_CHV && r->ref >= 0) {
                cli_json_ref(e, (uint8_t)r->ref);
        } else if (r->kind == SCSIM_STATE_CHV) {
                cli_json_text(e, "ref", NULL);
                cli_json_text(e, "scope", NULL);
        } else if (r->kind == SCSIM_STATE_KEY) {
                snprintf(hex, sizeof(hex), "%02X", (unsigned)r->ref & 0xffu);
                cli_json_text(e, "ref", hex);
        }
        if (r->kind == SCSIM_STATE_CHV || r->kind == SCSIM_STATE_KEY) {
                cli_json_int(e, "tries_left", r->tries);
                cli_json_int(e, "retries", r->retries);
                cli_json_bool(e, "blocked", r->tries == 0);
        }
        if (r->kind == SCSIM_STATE_CHV)
                cli_json_bool(e, "enabled", r->enabled);
        if (r->kind == SCSIM_STATE_FILE) {
                snprintf(hex, sizeof(hex), "%04X", r->fid & 0xffffu);
                cli_json_text(e, "fid", hex);
        }
        if (r->kind == SCSIM_STATE_FILE || r->kind == SCSIM_STATE_APP)
                cli_json_int(e, "size", (long long)r->size);
        cli_json_append(r->kind == SCSIM_STATE_CHV    ? s->chvs
                        : r->kind == SCSIM_STATE_KEY  ? s->keys
                        : r->kind == SCSIM_STATE_FILE ? s->files
                                                      : s->apps,
                        e);
}

static int show(const char *path, int json, const char *key_file)
{
        struct show_ctx s = {0};
        scsim_diag diag;
        uint8_t key[SCSIM_STATE_KEY_LEN];
        const uint8_t *k = key_file != NULL ? key : NULL;
        size_t klen = key_file != NULL ? sizeof(key) : 0;
        char line[1024];
        int rc;

        memset(&diag, 0, sizeof(diag));
        if (key_file != NULL && scsim_state_key_read(key_file, key, &diag) != SCSIM_OK)
                return report(&diag, EXIT_RUNTIME);
        if (!json) {
                rc = scsim_state_print_key(path, k, klen, stdout, &diag);
                OPENSSL_cleanse(key, sizeof(key));
                return rc == SCSIM_OK ? EXIT_OK : report(&diag, EXIT_RUNTIME);
        }
        s.o = cli_json_new("state show");
        cli_json_text(s.o, "path", path);
        rc = scsim_state_inspect_key(path, k, klen, show_record, &s, &diag);
        OPENSSL_cleanse(key, sizeof(key));
        if (rc != SCSIM_OK) {
                /* what a bad file held before its fault is not a result */
                cli_json_free(&s.o);
                s.o = cli_json_new("state show");
                cli_json_text(s.o, "path", path);
                scsim_diag_format(&diag, line, sizeof(line));
                cli_json_print(&s.o, 0, line);
                return report(&diag, EXIT_RUNTIME);
        }
        return cli_json_print(&s.o, 1, NULL) == 0 ? EXIT_OK : EXIT_RUNTIME;
}

static int reset(const char *path, const char *profile_name, int yes, const char *key_file)
{
        scsim_profile *profile = NULL;
        scsim_diag diag;
        uint8_t key[SCSIM_STATE_KEY_LEN];
        const uint8_t *k = key_file != NULL ? key : NULL;
        int rc;

        if ((rc = cli_profile_open("state", profile_name, &profile)) != EXIT_OK)
                return rc;
        if (!yes && !confirm(path)) {
                scsim_profile_free(&profile);
                return EXIT_FAILED;
        }
        if (key_file != NULL && scsim_state_key_read(key_file, key, &diag) != SCSIM_OK) {
                scsim_profile_free(&profile);
                return report(&diag, EXIT_RUNTIME);
        }
        rc = scsim_state_reset_key(profile, path, k, k != NULL ? sizeof(key) : 0, &diag);
        OPENSSL_cleanse(key, sizeof(key));
        scsim_profile_free(&profile);
        if (rc != SCSIM_OK)
                return report(&diag, EXIT_RUNTIME);
        printf("%s: reset to the initial values of profile '%s'\n", path, profile_name);
        return EXIT_OK;
}

static int state_run(int argc, char **argv)
{
        enum { O_JSON = 256, O_KEY };
        static const struct option opts[] = {
            {"profile", required_argument, NULL, 'p'},
            {"yes", no_argument, NULL, 'y'},
            {"json", no_argument, NULL, O_JSON},
            {"state-key", required_argument, NULL, O_KEY},
            {"help", no_argument, NULL, 'h'},
            {NULL, 0, NULL, 0},
        };
        const char *profile_name = "iso7816-chv", *sub, *key_file = NULL;
        int yes = 0, json = 0, c;

        if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
                usage(argc < 2 ? stderr : stdout);
                return argc < 2 ? EXIT_USAGE : EXIT_OK;
        }
        sub = argv[1];
        optind = 2;
        while ((c = getopt_long(argc, argv, "p:yh", opts, NULL)) != -1) {
                if (c == 'p')
                        profile_name = optarg;
                else if (c == 'y')
                        yes = 1;
                else if (c == O_JSON)
                        json = 1;
                else if (c == O_KEY)
                        key_file = optarg;
                else
                        break;
        }
        if (c == 'h') {
                usage(stdout);
                return EXIT_OK;
        }
        if (c != -1) {
                fprintf(stderr,
                        "scsim state: unknown option or missing value: %s ('scsim help "
                        "state' lists the options)\n",
                        argv[optind - 1]);
                return EXIT_USAGE;
        }
        if (optind != argc - 1) {
                fprintf(stderr, "scsim state %s: expected exactly one PATH\n", sub);
                return EXIT_USAGE;
        }
        if (strcmp(sub, "show") == 0)
                return show(argv[optind], json, key_file);
        if (strcmp(sub, "reset") != 0) {
                static const char *const actions[] = {"show", "reset"};
                const char *near = cli_nearest(sub, actions, 2);
                fprintf(stderr, "scsim state: unknown action '%s'%s%s%s (show or reset)\n", sub,
                        near != NULL ? "; did you mean '" : "", near != NULL ? near : "",
                        near != NULL ? "'?" : "");
                return EXIT_USAGE;
        }
        if (json) {
                fprintf(stderr, "scsim state reset: --json applies to show only\n");
                return EXIT_USAGE;
        }
        return reset(argv[optind], profile_name, yes, key_file);
}

const struct verb verb_state = {"state", "show or reset a durable state file", state_run};
