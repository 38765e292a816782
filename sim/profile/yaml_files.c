/* SPDX-License-Identifier: MIT */
/* Files of a profile: the tree of DFs and EFs, their identifiers, contents and access rules. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfyaml.h>

#include "app.h"
#include "profile/yaml_loader.h"

static const char *const file_fields[F_N] = {
    "type", "fid",    "aid",  "sfi",  "size",  "content",     "content_hex",
    "read", "update", "chvs", "keys", "files", "application",
};

/* Fields that do not belong to the file's type, each reported. */
static void misplaced_fields(struct yaml_loader *ld, const struct ent *e)
{
        static const int not_df[] = {F_SFI, F_SIZE, F_CONTENT, F_CONTENT_HEX, F_READ, F_UPDATE};
        static const int not_ef[] = {F_AID, F_CHVS, F_KEYS, F_FILES, F_APPLICATION};
        const int *bad = e->is_df ? not_df : not_ef;
        size_t n =
            e->is_df ? sizeof(not_df) / sizeof(not_df[0]) : sizeof(not_ef) / sizeof(not_ef[0]);

        for (size_t i = 0; i < n; i++)
                if (e->v[bad[i]] != NULL)
                        yaml_err(ld, e->kp[bad[i]],
                                 e->is_df ? "'%s' is for EFs; a DF has none"
                                          : "'%s' is for DFs; an EF has none",
                                 file_fields[bad[i]]);
}

/*
 * type: ef or df. When it is missing or wrong the file is only a
 * placeholder, taken for a DF if it has a DF's fields, so that what it
 * holds is still collected and checked.
 */
static void file_type(struct yaml_loader *ld, struct ent *e)
{
        static const char *const types[] = {"ef", "df"};
        size_t type = 0;

        if (e->v[F_TYPE] == NULL)
                yaml_err(ld, e->pos, "missing 'type' (ef or df)");
        if (e->v[F_TYPE] != NULL &&
            yaml_enum(ld, e->v[F_TYPE], e->kp[F_TYPE], "type", types, 2, &type) == 0) {
                e->is_df = type == 1;
                misplaced_fields(ld, e);
                return;
        }
        e->bad = true;
        e->is_df = e->v[F_FILES] != NULL || e->v[F_CHVS] != NULL || e->v[F_KEYS] != NULL ||
                   e->v[F_AID] != NULL || e->v[F_APPLICATION] != NULL;
}

void collect_files(struct yaml_loader *ld, struct fy_node *map, struct yaml_pos at, uint16_t parent)
{
        struct fy_node_pair *pair;
        void *it = NULL;

        if (!collect_mapping(ld, map, at, ENT_FILE))
                return;
        while ((pair = fy_node_mapping_iterate(map, &it)) != NULL) {
                struct ent *e = collect_fields(ld, ENT_FILE, pair, at, parent, file_fields, F_N);
                uint16_t idx;
                if (e == NULL)
                        continue;
                idx = (uint16_t)(e - ld->files);
                if (!e->bad)
                        file_type(ld, e);
                yaml_context_clear(ld);
                if (e->is_df)
                        collect_df(ld, e->v[F_CHVS], e->kp[F_CHVS], e->v[F_KEYS], e->kp[F_KEYS],
                                   e->v[F_FILES], e->kp[F_FILES], idx);
        }
}

/*
 * application: NAME makes the DF that application's (one from the registry,
 * sim/apps/); "none" is the same as no application.
 */
static int df_application(struct yaml_loader *ld, const struct ent *e, const struct prof_file *f,
                          const struct app_def **app)
{
        char buf[64], list[200];
        const char *s;
        size_t len = 0, off = 0;
        struct yaml_pos at = e->kp[F_APPLICATION];

        *app = NULL;
        if (e->v[F_APPLICATION] == NULL)
                return 0;
        if ((s = yaml_scalar(ld, e->v[F_APPLICATION], at, "application", "a word", &len)) == NULL)
                return -1;
        if (len == 4 && memcmp(s, "none", 4) == 0)
                return 0;
        if ((*app = app_find(s, len)) == NULL) {
                off = (size_t)snprintf(list, sizeof(list), "none");
                for (size_t i = 0; i < app_count() && off < sizeof(list); i++)
                        off += (size_t)snprintf(list + off, sizeof(list) - off, ", %s",
                                                app_at(i)->name);
                return yaml_err(ld, yaml_node_pos(e->v[F_APPLICATION], at),
                                "application must be one of %s; got '%s'", list,
                                yaml_shown(s, len, buf, sizeof(buf)));
        }
        for (size_t i = 0; i < ld->p->napps; i++)
                if (ld->p->apps[i].def == *app)
                        return yaml_err(ld, yaml_node_pos(e->v[F_APPLICATION], at),
                                        "DF '%s' already is the %s application; a card has one",
                                        ld->p->files[ld->p->apps[i].df].name, (*app)->name);
        if (f->aid_len == 0 && e->v[F_AID] == NULL)
                return yaml_err(ld, at, "application %s needs an 'aid'", (*app)->name);
        return f->aid_len == 0 ? -1 : 0; /* a bad aid was reported where it is */
}

static void df_fields(struct yaml_loader *ld, const struct ent *e, size_t i, struct prof_file *f,
                      const struct app_def **app)
{
        if (e->v[F_AID] != NULL && yaml_hex(ld, e->v[F_AID], e->kp[F_AID], "aid", f->aid, 5,
                                            PROF_AID_MAX, &f->aid_len) == 0) {
                for (size_t j = 1; j < i; j++) {
                        const struct prof_file *o = &ld->p->files[j];
                        if (o->aid_len == f->aid_len && memcmp(o->aid, f->aid, f->aid_len) == 0) {
                                yaml_err(ld, yaml_node_pos(e->v[F_AID], e->kp[F_AID]),
                                         "aid is already used by DF '%s'", o->name);
                                break;
                        }
                }
        }
        if (df_application(ld, e, f, app) != 0)
                *app = NULL;
}

/* A plain scalar spelling word, such as `none`. */
static bool is_word(struct fy_node *n, const char *word)
{
        size_t len = 0;
        const char *s;

        if (yaml_is_empty(n) || fy_node_get_type(n) != FYNT_SCALAR ||
            fy_node_get_style(n) != FYNS_PLAIN)
                return false;
        s = fy_node_get_scalar(n, &len);
        return s != NULL && len == strlen(word) && memcmp(s, word, len) == 0;
}

/* sfi: 1..30, unique in the DF, or none. */
static void ef_sfi(struct yaml_loader *ld, const struct ent *e, size_t i, struct prof_file *f)
{
        unsigned long v = 0;

        if (e->v[F_SFI] == NULL || is_word(e->v[F_SFI], "none") ||
            yaml_uint(ld, e->v[F_SFI], e->kp[F_SFI], "sfi", 1, 30, &v) != 0)
                return;
        for (size_t j = 1; j < i; j++) {
                const struct prof_file *o = &ld->p->files[j];
                if (o->parent == f->parent && o->sfi == v) {
                        yaml_err(ld, yaml_node_pos(e->v[F_SFI], e->kp[F_SFI]),
                                 "sfi %lu is already used by file '%s' in %s", v, o->name,
                                 scope_name(ld, f->parent));
                        return;
                }
        }
        f->sfi = (uint8_t)v;
}

void implicit_sfis(struct yaml_loader *ld)
{
        scsim_profile *p = ld->p;

        for (size_t i = 1; i < p->nfiles; i++) {
                struct prof_file *f = &p->files[i];
                uint8_t sfi = (uint8_t)(f->fid & 0x1f);
                bool taken = false;
                if (f->type != PROF_FILE_EF || ld->files[i].v[F_SFI] != NULL || sfi == 0 ||
                    sfi == 31)
                        continue;
                for (size_t j = 1; j < p->nfiles && !taken; j++)
                        taken = j != i && p->files[j].type == PROF_FILE_EF &&
                                p->files[j].parent == f->parent && p->files[j].sfi == sfi;
                if (!taken)
                        f->sfi = sfi;
        }
}

/*
 * content (text) or content_hex. Hex is decoded into *hex, which the caller
 * frees; *content points at the bytes either way. 0 when there is no
 * content or it is good; *cp is where it is.
 */
static int ef_content(struct yaml_loader *ld, const struct ent *e, uint8_t **hex,
                      const uint8_t **content, size_t *content_len, struct yaml_pos *cp)
{
        const char *s;

        if (e->v[F_CONTENT] != NULL && e->v[F_CONTENT_HEX] != NULL)
                return yaml_err(ld, e->kp[F_CONTENT_HEX],
                                "give 'content' or 'content_hex', not both");
        if (e->v[F_CONTENT] != NULL) {
                *cp = yaml_node_pos(e->v[F_CONTENT], e->kp[F_CONTENT]);
                if (yaml_text(ld, e->v[F_CONTENT], e->kp[F_CONTENT], "content", &s, content_len) !=
                    0)
                        return -1;
                *content = (const uint8_t *)s;
        } else if (e->v[F_CONTENT_HEX] != NULL) {
                *cp = yaml_node_pos(e->v[F_CONTENT_HEX], e->kp[F_CONTENT_HEX]);
                if ((*hex = malloc(PROF_EF_MAX_SIZE)) == NULL)
                        return yaml_err(ld, *cp, "out of memory");
                if (yaml_hex(ld, e->v[F_CONTENT_HEX], e->kp[F_CONTENT_HEX], "content_hex", *hex, 0,
                             PROF_EF_MAX_SIZE, content_len) != 0)
                        return -1;
                *content = *hex;
        }
        return 0;
}

/* size, or the content's length; then the content must fit. */
static void ef_size(struct yaml_loader *ld, const struct ent *e, struct prof_file *f,
                    int content_ok, const uint8_t *content, size_t content_len, struct yaml_pos cp)
{
        unsigned long v = 0;

        if (e->v[F_SIZE] != NULL) {
                if (yaml_uint(ld, e->v[F_SIZE], e->kp[F_SIZE], "size", 0, PROF_EF_MAX_SIZE, &v) !=
                    0)
                        return;
                f->size = v;
        } else if (content_ok != 0) {
                return; /* what the size would be taken from was reported */
        } else if (content != NULL) {
                if (content_len > PROF_EF_MAX_SIZE) {
                        yaml_err(ld, cp, "content is %zu bytes; an EF holds at most %d",
                                 content_len, PROF_EF_MAX_SIZE);
                        return;
                }
                f->size = content_len;
        } else {
                yaml_err(ld, e->pos, "missing 'size' (or content to take it from)");
                return;
        }
        if (content_ok == 0 && content_len > f->size)
                yaml_err(ld, cp, "content is %zu bytes but the file's size is %zu", content_len,
                         f->size);
}

/* read and update: each an access rule. */
static void ef_rules(struct yaml_loader *ld, const struct ent *e, struct prof_file *f)
{
        for (int r = F_READ; r <= F_UPDATE; r++) {
                const char *key = r == F_READ ? "read" : "update";
                uint16_t *out = r == F_READ ? &f->read_rule : &f->update_rule;
                if (e->v[r] == NULL)
                        yaml_err(ld, e->pos,
                                 "missing '%s' access rule (always, never, {chv: NAME} ...)", key);
                else if (get_rule(ld, e->v[r], e->kp[r], key, out) != 0)
                        *out = PROF_RULE_NEVER_IDX;
        }
}

/* FIDs: not reserved, not the parent's own, unique among the parent's children. */
static void file_fid(struct yaml_loader *ld, const struct ent *e, size_t i, struct prof_file *f)
{
        uint8_t fid[2];
        size_t len = 0;
        struct yaml_pos at;
        uint16_t v;

        f->fid = 0x3fff; /* reserved: no valid fid equals it */
        if (e->v[F_FID] == NULL) {
                yaml_err(ld, e->pos, "missing 'fid'");
                return;
        }
        if (yaml_hex(ld, e->v[F_FID], e->kp[F_FID], "fid", fid, 2, 2, &len) != 0)
                return;
        at = yaml_node_pos(e->v[F_FID], e->kp[F_FID]);
        v = (uint16_t)(fid[0] << 8 | fid[1]);
        if (v == 0x3f00 || v == 0x3fff || v == 0xffff) {
                yaml_err(ld, at, "fid %04X is reserved (3F00 MF, 3FFF current DF, FFFF)", v);
                return;
        }
        if (f->parent != 0 && ld->p->files[f->parent].fid == v) {
                yaml_err(ld, at, "fid %04X is the fid of its own DF '%s'", v,
                         ld->p->files[f->parent].name);
                return;
        }
        for (size_t j = 1; j < i; j++) {
                const struct prof_file *o = &ld->p->files[j];
                if (o->parent == f->parent && o->fid == v) {
                        yaml_err(ld, at, "fid %04X is already used by file '%s' in %s", v, o->name,
                                 scope_name(ld, f->parent));
                        return;
                }
        }
        f->fid = v;
}

/* File i into the profile, placeholder or not; each field checked on its own. */
void build_file(struct yaml_loader *ld, size_t i)
{
        struct ent *e = &ld->files[i];
        const struct app_def *app = NULL;
        struct prof_file f;
        const uint8_t *content = NULL;
        uint8_t *hex = NULL;
        size_t content_len = 0, before = yaml_errors(ld);
        struct yaml_pos cp = e->pos;

        memset(&f, 0, sizeof(f));
        yaml_context(ld, "file '%s'", e->name);
        memcpy(f.name, e->name, sizeof(f.name));
        f.type = e->is_df ? PROF_FILE_DF : PROF_FILE_EF;
        f.parent = e->df;
        f.read_rule = PROF_RULE_NEVER_IDX; /* DFs are never read or written as files */
        f.update_rule = PROF_RULE_NEVER_IDX;
        if (!e->bad) {
                file_fid(ld, e, i, &f);
                if (e->is_df) {
                        df_fields(ld, e, i, &f, &app);
                } else {
                        int content_ok = ef_content(ld, e, &hex, &content, &content_len, &cp);
                        ef_sfi(ld, e, i, &f);
                        ef_size(ld, e, &f, content_ok, content, content_len, cp);
                        ef_rules(ld, e, &f);
                        if (content_ok != 0 || content_len > f.size)
                                content = NULL, content_len = 0;
                }
        } else {
                f.fid = 0x3fff;
        }
        if (prof_add_file(ld->p, &f, content, content_len) != (int)i)
                yaml_err(ld, e->pos, "too many files or out of memory");
        else if (app != NULL && prof_add_app(ld->p, app, (uint16_t)i) < 0)
                yaml_err(ld, e->kp[F_APPLICATION], "too many applications (at most %d)",
                         PROF_APPS_MAX);
        e->built = !e->bad && yaml_errors(ld) == before;
        free(hex);
}
