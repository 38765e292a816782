/* SPDX-License-Identifier: MIT */
/* scsim profile check|show|list: validate, inspect and find card profiles. */
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <scsim/err.h>
#include <scsim/profile.h>

#include "commands.h"
#include "app.h"
#include "profile/model.h" /* the tool links the static library; show needs the model */

static void usage(FILE *f)
{
        fprintf(f,
                "usage: scsim profile check NAME|FILE...\n"
                "       scsim profile show NAME|FILE\n"
                "       scsim profile list\n"
                "\n"
                "check  load each profile and report every bad one as file:line:column;\n"
                "       exit 0 when all are good, 2 when any is bad\n"
                "show   print the resolved profile, secrets masked\n"
                "list   the profiles a NAME can refer to: the embedded default, then\n"
                "       $SCSIM_PROFILE_PATH (colon-separated), then %s\n",
                scsim_profile_install_dir());
}

/* Open a profile or print why not; returns the exit code to use on failure. */
static int open_or_report(const char *what, scsim_profile **p)
{
        scsim_diag diag;
        char line[1024];
        int rc = scsim_profile_open(what, p, &diag);

        if (rc == SCSIM_OK)
                return EXIT_OK;
        if (rc == SCSIM_ERR_PROFILE || rc == SCSIM_ERR_IO) {
                scsim_diag_format(&diag, line, sizeof(line));
                fprintf(stderr, "%s\n", line);
                return EXIT_USAGE;
        }
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

static void indent(int depth)
{
        printf("%*s", depth * 2, "");
}

static void print_hex(const uint8_t *b, size_t n)
{
        putchar('"');
        for (size_t i = 0; i < n; i++)
                printf(i ? " %02X" : "%02X", b[i]);
        putchar('"');
}

/* Content that is text is shown as text (a YAML double-quoted string), the rest as hex. */
static void print_content(int depth, const uint8_t *b, size_t n)
{
        bool text = true;

        for (size_t i = 0; i < n; i++)
                text = text && ((b[i] >= 0x20 && b[i] < 0x7f) || b[i] == '\n');
        indent(depth);
        if (!text) {
                printf("content_hex: ");
                print_hex(b, n);
                printf("\n");
                return;
        }
        printf("content: \"");
        for (size_t i = 0; i < n; i++) {
                if (b[i] == '\n')
                        printf("\\n");
                else if (b[i] == '"' || b[i] == '\\')
                        printf("\\%c", b[i]);
                else
                        putchar(b[i]);
        }
        printf("\"\n");
}

static void print_rule(const scsim_profile *p, uint16_t idx)
{
        const struct prof_rule *r = &p->rules[idx];

        switch (r->kind) {
        case PROF_RULE_ALWAYS:
                printf("always");
                break;
        case PROF_RULE_NEVER:
                printf("never");
                break;
        case PROF_RULE_CHV:
                printf("{chv: %s}", p->chvs[r->arg].name);
                break;
        case PROF_RULE_KEY:
                printf("{key: %s}", p->keys[r->arg].name);
                break;
        case PROF_RULE_ANY:
        case PROF_RULE_ALL:
                printf("{%s: [", r->kind == PROF_RULE_ANY ? "any" : "all");
                for (size_t i = 0; i < r->nterms; i++) {
                        if (i)
                                printf(", ");
                        print_rule(p, r->terms[i]);
                }
                printf("]}");
                break;
        }
}

static void show_chvs(const scsim_profile *p, uint16_t df, int depth)
{
        static const char *const formats[] = {"digits", "alnum", "bytes"};
        static const char *const paddings[] = {"none", "FF", "00"};
        bool any = false;

        for (size_t i = 0; i < p->nchvs; i++) {
                const struct prof_chv *c = &p->chvs[i];
                if (c->df != df)
                        continue;
                if (!any) {
                        indent(depth);
                        printf("chvs:\n");
                        any = true;
                }
                indent(depth + 1);
                printf("%s:\n", c->name);
                if (c->has_ref) {
                        indent(depth + 2);
                        printf("reference: \"%02X\"   # %s\n", c->ref,
                               c->ref & 0x80 ? "specific" : "global");
                }
                if (c->has_ref && !c->verifiable) {
                        indent(depth + 2);
                        printf("verifiable: false\n");
                }
                indent(depth + 2);
                printf("value: \"********\"   # masked, %zu bytes\n", c->value_len);
                indent(depth + 2);
                if (c->min_len == c->max_len)
                        printf("length: %zu\n", c->min_len);
                else
                        printf("length: %zu..%zu\n", c->min_len, c->max_len);
                indent(depth + 2);
                printf("format: %s\n", formats[c->format]);
                indent(depth + 2);
                printf("padding: %s\n", paddings[c->padding]);
                indent(depth + 2);
                printf("malformed: %s\n", c->malformed_is_wrong ? "wrong" : "refused");
                indent(depth + 2);
                printf("retries: %u\n", c->retries);
                if (c->puk != PROF_NONE) {
                        indent(depth + 2);
                        printf("puk: %s\n", p->chvs[c->puk].name);
                }
                if (c->verifiable) {
                        indent(depth + 2);
                        printf("reset_retry_counter: ");
                        print_rule(p, c->reset_rule);
                        printf("\n");
                        indent(depth + 2);
                        printf("may_disable: %s\n", c->may_disable ? "true" : "false");
                        indent(depth + 2);
                        printf("enabled: %s\n", c->enabled ? "true" : "false");
                        if (df != 0) {
                                indent(depth + 2);
                                printf("keep_on_deselect: %s\n",
                                       c->keep_on_deselect ? "true" : "false");
                        }
                }
        }
}

static void show_keys(const scsim_profile *p, uint16_t df, int depth)
{
        bool any = false;

        for (size_t i = 0; i < p->nkeys; i++) {
                const struct prof_key *k = &p->keys[i];
                if (k->df != df)
                        continue;
                if (!any) {
                        indent(depth);
                        printf("keys:\n");
                        any = true;
                }
                indent(depth + 1);
                printf("%s:\n", k->name);
                indent(depth + 2);
                printf("reference: \"%02X\"\n", k->ref);
                indent(depth + 2);
                printf("algorithm: aes-128\n");
                indent(depth + 2);
                printf("value: \"********\"   # masked, %zu bytes\n", k->value_len);
                indent(depth + 2);
                printf("retries: %u\n", k->retries);
                if (df != 0) {
                        indent(depth + 2);
                        printf("keep_on_deselect: %s\n", k->keep_on_deselect ? "true" : "false");
                }
        }
}

static void show_files(const scsim_profile *p, uint16_t df, int depth);

static void show_df(const scsim_profile *p, uint16_t df, int depth)
{
        show_chvs(p, df, depth);
        show_keys(p, df, depth);
        show_files(p, df, depth);
}

static void show_files(const scsim_profile *p, uint16_t df, int depth)
{
        bool any = false;

        for (size_t i = 1; i < p->nfiles; i++) {
                const struct prof_file *f = &p->files[i];
                if (f->parent != df)
                        continue;
                if (!any) {
                        indent(depth);
                        printf("files:\n");
                        any = true;
                }
                indent(depth + 1);
                printf("%s:\n", f->name);
                indent(depth + 2);
                printf("type: %s\n", f->type == PROF_FILE_EF ? "ef" : "df");
                indent(depth + 2);
                printf("fid: \"%04X\"\n", f->fid);
                if (f->type != PROF_FILE_EF) {
                        if (f->aid_len > 0) {
                                indent(depth + 2);
                                printf("aid: ");
                                print_hex(f->aid, f->aid_len);
                                printf("\n");
                        }
                        if (f->app != PROF_APP_NONE) {
                                indent(depth + 2);
                                printf("application: %s\n", p->apps[f->app - 1].def->name);
                        }
                        show_df(p, (uint16_t)i, depth + 2);
                        continue;
                }
                if (f->sfi != 0) {
                        indent(depth + 2);
                        printf("sfi: %u\n", f->sfi);
                }
                indent(depth + 2);
                printf("size: %zu\n", f->size);
                if (f->content_len > 0)
                        print_content(depth + 2, p->blob + f->content_off, f->content_len);
                indent(depth + 2);
                printf("read: ");
                print_rule(p, f->read_rule);
                printf("\n");
                indent(depth + 2);
                printf("update: ");
                print_rule(p, f->update_rule);
                printf("\n");
        }
}

/* Each application's section, printed by its application, secrets masked. */
static void show_sections(const scsim_profile *p)
{
        for (size_t i = 0; i < p->napps; i++) {
                const struct app_section *sec = p->apps[i].def->section;
                if (sec == NULL || p->apps[i].section == NULL)
                        continue;
                printf("%s:\n", p->apps[i].def->name);
                fflush(stdout);
                sec->print(p, p->apps[i].section, stdout);
        }
}

static int show(int argc, char **argv)
{
        scsim_profile *p = NULL;
        int rc;

        if (argc != 1) {
                usage(stderr);
                return EXIT_USAGE;
        }
        if ((rc = open_or_report(argv[0], &p)) != EXIT_OK)
                return rc;
        printf("# resolved from %s; CHV and key values are masked\n", argv[0]);
        printf("name: %s\n", p->name);
        if (p->label[0] != '\0')
                printf("label: \"%s\"\n", p->label);
        printf("atr: ");
        print_hex(p->atr, p->atr_len);
        printf("\nserial: ");
        print_hex(p->serial, p->serial_len);
        printf("\n");
        show_df(p, 0, 0);
        show_sections(p);
        scsim_profile_free(&p);
        return EXIT_OK;
}

/* List NAME.yaml files of one directory not already listed (earlier directories win). */
static int list_dir(const char *dir, char seen[][PROF_NAME_MAX], size_t *nseen, size_t cap)
{
        struct dirent **ents = NULL;
        int n = scandir(dir, &ents, NULL, alphasort), worst = EXIT_OK;

        for (int i = 0; i < n; i++) {
                const char *fn = ents[i]->d_name;
                size_t len = strlen(fn);
                char path[4096], name[PROF_NAME_MAX];
                scsim_profile *p = NULL;
                scsim_diag diag;
                bool dup = false;

                if (len <= 5 || strcmp(fn + len - 5, ".yaml") != 0 || len - 5 >= PROF_NAME_MAX)
                        goto next;
                snprintf(name, sizeof(name), "%.*s", (int)(len - 5), fn);
                for (size_t j = 0; j < *nseen; j++)
                        dup = dup || strcmp(seen[j], name) == 0;
                if (dup || (size_t)snprintf(path, sizeof(path), "%s/%s", dir, fn) >= sizeof(path))
                        goto next;
                if (*nseen < cap)
                        snprintf(seen[(*nseen)++], PROF_NAME_MAX, "%s", name);
                if (scsim_profile_load_file(path, &p, &diag) == SCSIM_OK) {
                        printf("%-20s %-40s %s\n", name, p->label, path);
                } else {
                        char line[1024];
                        scsim_diag_format(&diag, line, sizeof(line));
                        printf("%-20s %-40s %s\n", name, "(invalid, see below)", path);
                        fprintf(stderr, "%s\n", line);
                        worst = EXIT_USAGE;
                }
                scsim_profile_free(&p);
        next:
                free(ents[i]);
        }
        free(ents);
        return worst;
}

static int list(int argc, char **argv)
{
        static char seen[256][PROF_NAME_MAX];
        const char *env = getenv("SCSIM_PROFILE_PATH");
        scsim_profile *p = NULL;
        size_t nseen = 0;
        int worst = EXIT_OK, rc;

        (void)argv;
        if (argc != 0) {
                usage(stderr);
                return EXIT_USAGE;
        }
        if (scsim_profile_default(&p) != SCSIM_OK) {
                fprintf(stderr, "scsim profile: the embedded default does not load\n");
                return EXIT_RUNTIME;
        }
        printf("%-20s %-40s %s\n", p->name, p->label, "(embedded)");
        snprintf(seen[nseen++], PROF_NAME_MAX, "%s", p->name);
        scsim_profile_free(&p);
        for (const char *d = env; d != NULL && *d != '\0';) {
                const char *end = strchr(d, ':');
                char dir[4096];
                size_t n = end != NULL ? (size_t)(end - d) : strlen(d);
                if (n > 0 && n < sizeof(dir)) {
                        snprintf(dir, sizeof(dir), "%.*s", (int)n, d);
                        if ((rc = list_dir(dir, seen, &nseen, 256)) != EXIT_OK)
                                worst = rc;
                }
                d = end != NULL ? end + 1 : NULL;
        }
        if ((rc = list_dir(scsim_profile_install_dir(), seen, &nseen, 256)) != EXIT_OK)
                worst = rc;
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
