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

int collect_df(struct yaml_loader *ld, struct fy_node *chvs, struct yaml_pos chvs_at,
               struct fy_node *keys, struct yaml_pos keys_at, struct fy_node *files,
               struct yaml_pos files_at, uint16_t df)
{
        if (collect_chvs(ld, chvs, chvs_at, df) != 0 || collect_keys(ld, keys, keys_at, df) != 0)
                return -1;
        return collect_files(ld, files, files_at, df);
}

const char *scope_name(const struct yaml_loader *ld, uint16_t df)
{
        return df == 0 ? "the MF" : ld->files[df].name;
}

static int build_top(struct yaml_loader *ld, struct fy_node **v, const struct yaml_pos *kp,
                     struct yaml_pos at)
{
        const char *s;
        size_t len = 0;
        char buf[64];
        const char *why = NULL;

        if (v[T_NAME] == NULL)
                return yaml_err(ld, at, "missing 'name' (the profile's name)");
        if ((s = yaml_scalar(ld, v[T_NAME], kp[T_NAME], "name", "a profile name", &len)) == NULL)
                return -1;
        if (!name_ok(s, len))
                return yaml_err(ld, yaml_node_pos(v[T_NAME], kp[T_NAME]),
                                "name '%s': use 1..%d letters, digits, '-', '_' or '.'",
                                yaml_shown(s, len, buf, sizeof(buf)), PROF_NAME_MAX - 1);
        memcpy(ld->p->name, s, len);
        ld->p->name[len] = '\0';
        if (v[T_LABEL] != NULL) {
                if (yaml_text(ld, v[T_LABEL], kp[T_LABEL], "label", &s, &len) != 0)
                        return -1;
                if (len >= sizeof(ld->p->label))
                        return yaml_err(ld, yaml_node_pos(v[T_LABEL], kp[T_LABEL]),
                                        "label is %zu bytes; at most %zu", len,
                                        sizeof(ld->p->label) - 1);
                memcpy(ld->p->label, s, len);
                ld->p->label[len] = '\0';
        }
        if (v[T_ATR] != NULL && v[T_HIST] != NULL)
                return yaml_err(ld, kp[T_HIST], "give 'atr' or 'historical_bytes', not both");
        if (v[T_ATR] != NULL) {
                if (yaml_hex(ld, v[T_ATR], kp[T_ATR], "atr", ld->p->atr, 2, sizeof(ld->p->atr),
                             &ld->p->atr_len) != 0)
                        return -1;
                if (atr_check(ld->p->atr, ld->p->atr_len, &why) != 0)
                        return yaml_err(ld, yaml_node_pos(v[T_ATR], kp[T_ATR]), "atr: %s", why);
        } else if (v[T_HIST] != NULL) {
                uint8_t hist[15];
                int n;
                if (yaml_hex(ld, v[T_HIST], kp[T_HIST], "historical_bytes", hist, 0, 15, &len) != 0)
                        return -1;
                n = atr_build(hist, len, ld->p->atr, sizeof(ld->p->atr));
                if (n < 0)
                        return yaml_err(ld, yaml_node_pos(v[T_HIST], kp[T_HIST]),
                                        "cannot build an ATR");
                ld->p->atr_len = (size_t)n;
        } else {
                return yaml_err(ld, at, "missing 'atr' or 'historical_bytes'");
        }
        if (v[T_SERIAL] == NULL)
                return yaml_err(ld, at, "missing 'serial'");
        return yaml_hex(ld, v[T_SERIAL], kp[T_SERIAL], "serial", ld->p->serial, 1, PROF_SERIAL_MAX,
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
 * defaults). A section for an application no DF has is a mistake.
 */
static int build_sections(struct yaml_loader *ld, const char *const *names, struct fy_node **v,
                          const struct yaml_pos *kp, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                const struct app_def *app = app_find(names[i], strlen(names[i]));
                struct prof_app *use = NULL;
                for (size_t j = 0; j < ld->p->napps; j++)
                        if (ld->p->apps[j].def == app)
                                use = &ld->p->apps[j];
                if (use == NULL) {
                        if (v[i] != NULL)
                                return yaml_err(ld, kp[i], "%s: no DF has 'application: %s'",
                                                names[i], names[i]);
                        continue;
                }
                if (app->section->parse(ld, v[i], &kp[i], use->df, &use->section) != 0)
                        return -1;
                yaml_context_clear(ld);
        }
        return 0;
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

/* The document's root, walked in two passes: collect every name, then build in order. */
static int build(struct yaml_loader *ld)
{
        struct fy_node *root, *v[TOP_FIELDS_MAX];
        struct yaml_pos kp[TOP_FIELDS_MAX], top = {1, 1};
        const char *fields[TOP_FIELDS_MAX];
        size_t nfields = top_fields_with_sections(fields);

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
        ld->nfiles = 1;
        if (collect_df(ld, v[T_CHVS], kp[T_CHVS], v[T_KEYS], kp[T_KEYS], v[T_FILES], kp[T_FILES],
                       0) != 0)
                return -1;
        if (build_top(ld, v, kp, top) != 0)
                return -1;
        for (size_t i = 0; i < ld->nkeys; i++)
                if (build_key(ld, i) != 0)
                        return -1;
        for (size_t i = 0; i < ld->nchvs; i++)
                if (build_chv(ld, i) != 0)
                        return -1;
        if (check_puk_chains(ld) != 0)
                return -1;
        for (size_t i = 0; i < ld->nchvs; i++) {
                const struct ent *e = &ld->chvs[i];
                if (e->v[C_RESET] == NULL)
                        continue;
                yaml_context(ld, "chv '%s'", e->name);
                if (get_rule(ld, e->v[C_RESET], e->kp[C_RESET], "reset_retry_counter",
                             &ld->p->chvs[i].reset_rule) != 0)
                        return -1;
        }
        for (size_t i = 1; i < ld->nfiles; i++)
                if (build_file(ld, i) != 0)
                        return -1;
        yaml_context_clear(ld);
        return build_sections(ld, fields + T_N, v + T_N, kp + T_N, nfields - T_N);
}

int prof_yaml_load(const char *source, const char *text, size_t len, scsim_profile **out,
                   scsim_diag *diag)
{
        struct yaml_loader *ld = NULL;
        char msg[256];
        int rc = SCSIM_ERR_PROFILE;

        *out = NULL;
        if (diag != NULL) {
                memset(diag, 0, sizeof(*diag));
                diag_set_file(diag, source);
        }
        if ((ld = calloc(1, sizeof(*ld))) == NULL)
                return SCSIM_ERR_NO_MEMORY;
        ld->diag = diag;
        if (text == NULL && len != 0) {
                yaml_err(ld, (struct yaml_pos){0, 0}, "no text");
                goto fail;
        }
        if (yaml_parse(ld, text != NULL ? text : "", len) != 0)
                goto fail;
        if ((ld->p = prof_new("")) == NULL) {
                rc = SCSIM_ERR_NO_MEMORY;
                goto fail;
        }
        if (build(ld) != 0)
                goto fail;
        if (prof_check(ld->p, msg, sizeof(msg)) != 0) {
                /* the loader should have caught it with a position: a loader bug */
                yaml_err(ld, (struct yaml_pos){0, 0}, "inconsistent profile: %s", msg);
                goto fail;
        }
        *out = ld->p;
        ld->p = NULL;
        rc = SCSIM_OK;
fail:
        if (ld->p != NULL)
                scsim_profile_free(&ld->p);
        if (ld->doc != NULL)
                fy_parse_document_destroy(ld->fyp, ld->doc);
        if (ld->fyp != NULL)
                fy_parser_destroy(ld->fyp);
        if (ld->fdiag != NULL)
                fy_diag_destroy(ld->fdiag);
        OPENSSL_cleanse(ld, sizeof(*ld));
        free(ld);
        return rc;
}
