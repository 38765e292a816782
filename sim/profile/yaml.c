/* SPDX-License-Identifier: MIT */
/*
 * The YAML profile loader: a libfyaml document tree, walked field by field
 * into the profile model, with every user mistake reported at file:line:column.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfyaml.h>
#include <openssl/crypto.h>

#include <scsim/err.h>

#include "app.h"
#include "diag.h"
#include "atr.h"
#include "profile/model.h"
#include "profile/yaml.h"
#include "profile/yaml_loader.h"

static const char *const top_fields[T_N] = {
    "name", "label", "atr", "historical_bytes", "serial", "chvs", "keys", "files",
};

bool name_ok(const char *s, size_t len)
{
        if (len == 0 || len >= PROF_NAME_MAX)
                return false;
        for (size_t i = 0; i < len; i++)
                if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
                        return false;
        return true;
}

/* The name of a file/CHV/key is its key in the enclosing mapping. */
int entry_name(struct yaml_loader *ld, struct fy_node *k, struct yaml_pos at, const char *kind,
               char *name, struct yaml_pos *where)
{
        const char *s;
        char buf[64];
        size_t len = 0;

        *where = yaml_node_pos(k, at);
        if (yaml_is_empty(k) || fy_node_get_type(k) != FYNT_SCALAR || fy_node_is_alias(k))
                return yaml_err(ld, *where, "%s names must be plain scalars", kind);
        s = fy_node_get_scalar(k, &len);
        if (!name_ok(s, len))
                return yaml_err(ld, *where,
                                "%s name '%s': use 1..%d letters, digits, '-', '_' or '.'", kind,
                                yaml_shown(s, len, buf, sizeof(buf)), PROF_NAME_MAX - 1);
        memcpy(name, s, len);
        name[len] = '\0';
        return 0;
}

int find_ent(const struct ent *tab, size_t n, const char *name, size_t len)
{
        for (size_t i = 0; i < n; i++)
                if (strlen(tab[i].name) == len && memcmp(tab[i].name, name, len) == 0)
                        return (int)i;
        return -1;
}

/*
 * Register the entry one pair of a "chvs:", "keys:" or "files:" mapping
 * names: its name is good, new among its kind and within the bound. NULL
 * (reported) when not; going over the bound is reported once.
 */
static const char *const words[] = {"chv", "key", "file"};

struct ent *collect_entry(struct yaml_loader *ld, enum ent_kind kind, struct fy_node_pair *pair,
                          struct yaml_pos at, uint16_t df)
{
        static const char *const plural[] = {"CHVs", "keys", "files"};
        struct ent *tab = kind == ENT_CHV ? ld->chvs : kind == ENT_KEY ? ld->keys : ld->files;
        size_t *n = kind == ENT_CHV ? &ld->nchvs : kind == ENT_KEY ? &ld->nkeys : &ld->nfiles;
        size_t max = kind == ENT_CHV   ? PROF_CHVS_MAX
                     : kind == ENT_KEY ? PROF_KEYS_MAX
                                       : PROF_FILES_MAX;
        struct yaml_pos where;
        char name[PROF_NAME_MAX];
        struct ent *e;
        int prev;

        if (entry_name(ld, fy_node_pair_key(pair), at, words[kind], name, &where) != 0)
                goto left_out;
        if ((prev = find_ent(tab, *n, name, strlen(name))) >= 0) {
                yaml_err(ld, where, "%s '%s' is defined twice (first at line %u)", words[kind],
                         name, tab[prev].pos.line);
                goto left_out;
        }
        if (*n >= max) {
                if ((ld->full & (1u << kind)) == 0)
                        yaml_err(ld, where, "%s '%s': too many %s (at most %zu%s)", words[kind],
                                 name, plural[kind], kind == ENT_FILE ? max - 1 : max,
                                 kind == ENT_FILE ? " besides the MF" : "");
                ld->full |= 1u << kind;
                goto left_out;
        }
        e = &tab[(*n)++];
        memset(e, 0, sizeof(*e));
        memcpy(e->name, name, sizeof(name));
        e->pos = where;
        e->df = df;
        return e;
left_out:
        /* checks over the whole table (PIV's PIN and PUK) cannot trust it now */
        ld->left_out |= 1u << kind;
        return NULL;
}

bool collect_mapping(struct yaml_loader *ld, struct fy_node *map, struct yaml_pos at,
                     enum ent_kind kind)
{
        static const char *const keys[] = {"chvs", "keys", "files"};
        static const char *const names[] = {"CHV", "key", "file"};

        if (map == NULL)
                return false;
        if (yaml_is_empty(map) || fy_node_get_type(map) != FYNT_MAPPING) {
                yaml_err(ld, yaml_node_pos(map, at), "%s: expected a mapping of %s names, got %s",
                         keys[kind], names[kind], yaml_kind(map));
                return false;
        }
        return true;
}

struct ent *collect_fields(struct yaml_loader *ld, enum ent_kind kind, struct fy_node_pair *pair,
                           struct yaml_pos at, uint16_t df, const char *const *fields, size_t n)
{
        struct ent *e = collect_entry(ld, kind, pair, at, df);

        if (e == NULL)
                return NULL;
        yaml_context(ld, "%s '%s'", words[kind], e->name);
        e->bad = yaml_fields(ld, fy_node_pair_value(pair), e->pos, "fields", fields, n, e->v,
                             e->kp) != 0;
        return e;
}

void collect_df(struct yaml_loader *ld, struct fy_node *chvs, struct yaml_pos chvs_at,
                struct fy_node *keys, struct yaml_pos keys_at, struct fy_node *files,
                struct yaml_pos files_at, uint16_t df)
{
        collect_chvs(ld, chvs, chvs_at, df);
        collect_keys(ld, keys, keys_at, df);
        collect_files(ld, files, files_at, df);
}

bool yaml_chvs_ok(const struct yaml_loader *ld)
{
        for (size_t i = 0; i < ld->nchvs; i++)
                if (!ld->chvs[i].built)
                        return false;
        return (ld->left_out & (1u << ENT_CHV)) == 0;
}

const char *scope_name(const struct yaml_loader *ld, uint16_t df)
{
        return df == 0 ? "the MF" : ld->files[df].name;
}

/* name and label. */
static void top_name(struct yaml_loader *ld, struct fy_node **v, const struct yaml_pos *kp,
                     struct yaml_pos at)
{
        const char *s;
        size_t len = 0;
        char buf[64];

        if (v[T_NAME] == NULL)
                yaml_err(ld, at, "missing 'name' (the profile's name)");
        else if ((s = yaml_scalar(ld, v[T_NAME], kp[T_NAME], "name", "a profile name", &len)) ==
                 NULL)
                ;
        else if (!name_ok(s, len))
                yaml_err(ld, yaml_node_pos(v[T_NAME], kp[T_NAME]),
                         "name '%s': use 1..%d letters, digits, '-', '_' or '.'",
                         yaml_shown(s, len, buf, sizeof(buf)), PROF_NAME_MAX - 1);
        else
                memcpy(ld->p->name, s, len); /* the scalar has no NUL; the name was zeroed */
        if (v[T_LABEL] == NULL || yaml_text(ld, v[T_LABEL], kp[T_LABEL], "label", &s, &len) != 0)
                return;
        if (len >= sizeof(ld->p->label))
                yaml_err(ld, yaml_node_pos(v[T_LABEL], kp[T_LABEL]),
                         "label is %zu bytes; at most %zu", len, sizeof(ld->p->label) - 1);
        else if (memchr(s, '\0', len) != NULL)
                yaml_err(ld, yaml_node_pos(v[T_LABEL], kp[T_LABEL]),
                         "label holds a NUL character (\\0); a label is text");
        else
                memcpy(ld->p->label, s, len);
}

/* atr, or historical_bytes to build one around. */
static void top_atr(struct yaml_loader *ld, struct fy_node **v, const struct yaml_pos *kp,
                    struct yaml_pos at)
{
        const char *why = NULL;
        uint8_t hist[15];
        size_t len = 0;
        int n;

        if (v[T_ATR] != NULL && v[T_HIST] != NULL) {
                yaml_err(ld, kp[T_HIST], "give 'atr' or 'historical_bytes', not both");
        } else if (v[T_ATR] != NULL) {
                if (yaml_hex(ld, v[T_ATR], kp[T_ATR], "atr", ld->p->atr, 2, sizeof(ld->p->atr),
                             &ld->p->atr_len) == 0 &&
                    atr_check(ld->p->atr, ld->p->atr_len, &why) != 0)
                        yaml_err(ld, yaml_node_pos(v[T_ATR], kp[T_ATR]), "atr: %s", why);
        } else if (v[T_HIST] != NULL) {
                if (yaml_hex(ld, v[T_HIST], kp[T_HIST], "historical_bytes", hist, 0, 15, &len) != 0)
                        return;
                if ((n = atr_build(hist, len, ld->p->atr, sizeof(ld->p->atr))) < 0)
                        yaml_err(ld, yaml_node_pos(v[T_HIST], kp[T_HIST]), "cannot build an ATR");
                else
                        ld->p->atr_len = (size_t)n;
        } else {
                yaml_err(ld, at, "missing 'atr' or 'historical_bytes'");
        }
}

static void build_top(struct yaml_loader *ld, struct fy_node **v, const struct yaml_pos *kp,
                      struct yaml_pos at)
{
        top_name(ld, v, kp, at);
        top_atr(ld, v, kp, at);
        if (v[T_SERIAL] == NULL)
                yaml_err(ld, at, "missing 'serial'");
        else
                yaml_hex(ld, v[T_SERIAL], kp[T_SERIAL], "serial", ld->p->serial, 1, PROF_SERIAL_MAX,
                         &ld->p->serial_len);
}

/* The fixed top-level fields, then one per application that has a section. */
static size_t top_fields_with_sections(const char *fields[TOP_FIELDS_MAX])
{
        size_t n = 0;

        for (size_t i = 0; i < T_N; i++)
                fields[n++] = top_fields[i];
        for (size_t i = 0; i < app_count() && n < TOP_FIELDS_MAX; i++)
                if (app_at(i)->section != NULL)
                        fields[n++] = app_at(i)->name;
        return n;
}

/*
 * Each application's section, parsed by the application (absent: its
 * defaults). A section for an application no DF has is a mistake, unless a
 * file went wrong: that DF may be the one.
 */
static void build_sections(struct yaml_loader *ld, const char *const *names, struct fy_node **v,
                           const struct yaml_pos *kp, size_t n, bool files_ok)
{
        for (size_t i = 0; i < n; i++) {
                const struct app_def *app = app_find(names[i], strlen(names[i]));
                struct prof_app *use = NULL;
                for (size_t j = 0; j < ld->p->napps; j++)
                        if (ld->p->apps[j].def == app)
                                use = &ld->p->apps[j];
                if (use == NULL) {
                        if (v[i] != NULL && files_ok)
                                yaml_err(ld, kp[i], "%s: no DF has 'application: %s'", names[i],
                                         names[i]);
                        continue;
                }
                app->section->parse(ld, v[i], &kp[i], use->df, &use->section);
                yaml_context_clear(ld);
        }
}

/*
 * Whether a mapping has at least one of the fields as a key. One that has
 * none is another kind of file (/etc/shadow reads as a mapping whose one
 * key is its first line): it is refused without quoting any of it.
 */
static bool has_a_field(struct fy_node *map, const char *const *fields, size_t n)
{
        struct fy_node_pair *pair;
        void *it = NULL;

        if (yaml_is_empty(map) || fy_node_get_type(map) != FYNT_MAPPING)
                return true; /* not a mapping: reported as such, quoting nothing */
        while ((pair = fy_node_mapping_iterate(map, &it)) != NULL) {
                struct fy_node *k = fy_node_pair_key(pair);
                const char *s;
                size_t len = 0;
                if (yaml_is_empty(k) || fy_node_get_type(k) != FYNT_SCALAR ||
                    (s = fy_node_get_scalar(k, &len)) == NULL)
                        continue;
                for (size_t i = 0; i < n; i++)
                        if (strlen(fields[i]) == len && memcmp(fields[i], s, len) == 0)
                                return true;
        }
        return false;
}

/* The CHVs' reset_retry_counter rules: compiled once every CHV is known. */
static void reset_rules(struct yaml_loader *ld)
{
        for (size_t i = 0; i < ld->nchvs; i++) {
                const struct ent *e = &ld->chvs[i];
                if (e->v[C_RESET] == NULL || !e->verifiable)
                        continue; /* on a CHV that cannot be verified it was reported */
                yaml_context(ld, "chv '%s'", e->name);
                get_rule(ld, e->v[C_RESET], e->kp[C_RESET], "reset_retry_counter",
                         &ld->p->chvs[i].reset_rule);
        }
}

/*
 * The document's root, walked in two passes: collect every name, then build
 * in order. A mistake is reported and the walk goes on wherever what comes
 * next does not depend on what was wrong; -1 only when nothing more can be
 * checked.
 */
static int build(struct yaml_loader *ld)
{
        struct fy_node *root, *v[TOP_FIELDS_MAX];
        struct yaml_pos kp[TOP_FIELDS_MAX], top = {1, 1};
        const char *fields[TOP_FIELDS_MAX];
        size_t nfields = top_fields_with_sections(fields);
        bool files_ok = true;

        root = fy_document_root(ld->doc);
        top = yaml_node_pos(root, top);
        if (!has_a_field(root, fields, nfields))
                return yaml_err(ld, top,
                                "not a profile: none of its top-level keys is a profile field "
                                "(name, atr, serial, files ...)");
        if (yaml_fields(ld, root, top, "profile fields", fields, nfields, v, kp) != 0)
                return -1;
        /* the MF: index 0, every top-level file and CHV/key lives there */
        snprintf(ld->files[0].name, sizeof(ld->files[0].name), "MF");
        ld->files[0].built = true;
        ld->nfiles = 1;
        collect_df(ld, v[T_CHVS], kp[T_CHVS], v[T_KEYS], kp[T_KEYS], v[T_FILES], kp[T_FILES], 0);
        build_top(ld, v, kp, top);
        for (size_t i = 0; i < ld->nkeys; i++)
                build_key(ld, i);
        for (size_t i = 0; i < ld->nchvs; i++)
                build_chv(ld, i);
        reset_rules(ld);
        for (size_t i = 1; i < ld->nfiles; i++) {
                build_file(ld, i);
                files_ok = files_ok && ld->files[i].built;
        }
        implicit_sfis(ld);
        yaml_context_clear(ld);
        build_sections(ld, fields + T_N, v + T_N, kp + T_N, nfields - T_N,
                       files_ok && (ld->left_out & (1u << ENT_FILE)) == 0);
        return 0;
}

/* Earlier in the file first; the order found among mistakes at one place. */
static void sort_by_position(scsim_diag *d, size_t n)
{
        for (size_t i = 1; i < n; i++) {
                scsim_diag x = d[i];
                size_t j = i;
                while (j > 0 && (d[j - 1].line > x.line ||
                                 (d[j - 1].line == x.line && d[j - 1].column > x.column))) {
                        d[j] = d[j - 1];
                        j--;
                }
                d[j] = x;
        }
}

/* Every mistake to report (in file order), the first to diag; then "N more" if some were not kept.
 */
static void deliver(struct yaml_loader *ld, scsim_diag *diag, scsim_diag_fn *report, void *ctx)
{
        scsim_diag more;

        sort_by_position(ld->errs, ld->nerrs);
        if (diag != NULL && ld->nerrs > 0)
                *diag = ld->errs[0];
        for (size_t i = 0; report != NULL && i < ld->nerrs; i++)
                report(ctx, &ld->errs[i]);
        if (report != NULL && ld->dropped > 0) {
                memset(&more, 0, sizeof(more));
                diag_set_file(&more, ld->source);
                snprintf(more.message, sizeof(more.message),
                         "%zu more mistakes not shown (the first %d are)", ld->dropped,
                         YAML_ERRORS_MAX);
                report(ctx, &more);
        }
}

/* Out of memory before any mistake was found: say so, not an empty message. */
static void say_no_memory(const char *source, scsim_diag *diag, scsim_diag_fn *report, void *ctx)
{
        scsim_diag d;

        memset(&d, 0, sizeof(d));
        diag_set_file(&d, source);
        snprintf(d.message, sizeof(d.message), "out of memory");
        if (diag != NULL)
                *diag = d;
        if (report != NULL)
                report(ctx, &d);
}

int prof_yaml_load(const char *source, const char *text, size_t len, scsim_profile **out,
                   scsim_diag *diag, scsim_diag_fn *report, void *ctx)
{
        struct yaml_loader *ld = NULL;
        char msg[256];
        int rc = SCSIM_ERR_PROFILE;

        *out = NULL;
        if (diag != NULL) {
                memset(diag, 0, sizeof(*diag));
                diag_set_file(diag, source);
        }
        if ((ld = calloc(1, sizeof(*ld))) == NULL ||
            (ld->errs = calloc(YAML_ERRORS_MAX, sizeof(*ld->errs))) == NULL) {
                free(ld);
                say_no_memory(source != NULL ? source : "", diag, report, ctx);
                return SCSIM_ERR_NO_MEMORY;
        }
        ld->source = source != NULL ? source : "";
        if (text == NULL && len != 0)
                yaml_err(ld, (struct yaml_pos){0, 0}, "no text");
        else if (yaml_parse(ld, text != NULL ? text : "", len) != 0)
                ;
        else if ((ld->p = prof_new("")) == NULL)
                rc = SCSIM_ERR_NO_MEMORY;
        else if (build(ld) == 0 && yaml_errors(ld) == 0 && prof_check(ld->p, msg, sizeof(msg)) != 0)
                /* the loader should have caught it with a position: a loader bug */
                yaml_err(ld, (struct yaml_pos){0, 0}, "inconsistent profile: %s", msg);
        if (rc != SCSIM_ERR_NO_MEMORY && yaml_errors(ld) == 0) {
                *out = ld->p;
                ld->p = NULL;
                rc = SCSIM_OK;
        }
        if (rc == SCSIM_ERR_NO_MEMORY && ld->nerrs == 0)
                say_no_memory(ld->source, diag, report, ctx);
        else
                deliver(ld, diag, report, ctx);
        if (ld->p != NULL)
                scsim_profile_free(&ld->p);
        if (ld->doc != NULL)
                fy_parse_document_destroy(ld->fyp, ld->doc);
        if (ld->fyp != NULL)
                fy_parser_destroy(ld->fyp);
        if (ld->fdiag != NULL)
                fy_diag_destroy(ld->fdiag);
        OPENSSL_cleanse(ld->errs, YAML_ERRORS_MAX * sizeof(*ld->errs));
        free(ld->errs);
        OPENSSL_cleanse(ld, sizeof(*ld));
        free(ld);
        return rc;
}
