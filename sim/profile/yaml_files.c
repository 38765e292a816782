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

int collect_files(struct yaml_loader *ld, struct fy_node *map, struct yaml_pos at, uint16_t parent)
{
        static const char *const types[] = {"ef", "df"};
        struct fy_node_pair *pair;
        void *it = NULL;

        if (map == NULL)
                return 0;
        if (yaml_is_empty(map) || fy_node_get_type(map) != FYNT_MAPPING)
                return yaml_err(ld, yaml_node_pos(map, at),
                                "files: expected a mapping of file names, got %s", yaml_kind(map));
        while ((pair = fy_node_mapping_iterate(map, &it)) != NULL) {
                struct ent *e = &ld->files[ld->nfiles];
                struct yaml_pos where;
                char name[PROF_NAME_MAX];
                size_t type = 0;
                uint16_t idx;
                int prev;

                if (entry_name(ld, fy_node_pair_key(pair), at, "file", name, &where) != 0)
                        return -1;
                if ((prev = find_ent(ld->files, ld->nfiles, name, strlen(name))) >= 0)
                        return yaml_err(ld, where, "file '%s' is defined twice (first at line %u)",
                                        name, ld->files[prev].pos.line);
                if (ld->nfiles >= PROF_FILES_MAX)
                        return yaml_err(ld, where,
                                        "file '%s': too many files (at most %d besides the MF)",
                                        name, PROF_FILES_MAX - 1);
                memset(e, 0, sizeof(*e));
                memcpy(e->name, name, sizeof(name));
                e->pos = where;
                e->df = parent;
                idx = (uint16_t)ld->nfiles++;
                yaml_context(ld, "file '%s'", name);
                if (yaml_fields(ld, fy_node_pair_value(pair), where, "fields", file_fields, F_N,
                                e->v, e->kp) != 0)
                        return -1;
                if (e->v[F_TYPE] == NULL)
                        return yaml_err(ld, where, "missing 'type' (ef or df)");
                if (yaml_enum(ld, e->v[F_TYPE], e->kp[F_TYPE], "type", types, 2, &type) != 0)
                        return -1;
                e->is_df = type == 1;
                if (e->is_df) {
                        static const int not_df[] = {F_SFI,         F_SIZE, F_CONTENT,
                                                     F_CONTENT_HEX, F_READ, F_UPDATE};
                        for (size_t i = 0; i < sizeof(not_df) / sizeof(not_df[0]); i++)
                                if (e->v[not_df[i]] != NULL)
                                        return yaml_err(ld, e->kp[not_df[i]],
                                                        "'%s' is for EFs; a DF has none",
                                                        file_fields[not_df[i]]);
                        yaml_context_clear(ld);
                        if (collect_df(ld, e->v[F_CHVS], e->kp[F_CHVS], e->v[F_KEYS], e->kp[F_KEYS],
                                       e->v[F_FILES], e->kp[F_FILES], idx) != 0)
                                return -1;
                } else {
                        static const int not_ef[] = {F_AID, F_CHVS, F_KEYS, F_FILES, F_APPLICATION};
                        for (size_t i = 0; i < sizeof(not_ef) / sizeof(not_ef[0]); i++)
                                if (e->v[not_ef[i]] != NULL)
                                        return yaml_err(ld, e->kp[not_ef[i]],
                                                        "'%s' is for DFs; an EF has none",
                                                        file_fields[not_ef[i]]);
                }
                yaml_context_clear(ld);
        }
        return 0;
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
        if (f->aid_len == 0)
                return yaml_err(ld, at, "application %s needs an 'aid'", (*app)->name);
        return 0;
}

static int df_fields(struct yaml_loader *ld, const struct ent *e, size_t i, struct prof_file *f,
                     const struct app_def **app)
{
        if (e->v[F_AID] == NULL)
                return df_application(ld, e, f, app);
        if (yaml_hex(ld, e->v[F_AID], e->kp[F_AID], "aid", f->aid, 5, PROF_AID_MAX, &f->aid_len) !=
            0)
                return -1;
        for (size_t j = 1; j < i; j++) {
                const struct prof_file *o = &ld->p->files[j];
                if (o->aid_len == f->aid_len && memcmp(o->aid, f->aid, f->aid_len) == 0)
                        return yaml_err(ld, yaml_node_pos(e->v[F_AID], e->kp[F_AID]),
                                        "aid is already used by DF '%s'", o->name);
        }
        return df_application(ld, e, f, app);
}

/*
 * An EF's fields: SFI, size, content and rules. Hex content is decoded into
 * *hex, which the caller frees; *content points at the bytes either way.
 */
static int ef_fields(struct yaml_loader *ld, const struct ent *e, size_t i, struct prof_file *f,
                     uint8_t **hex, const uint8_t **content, size_t *content_len)
{
        struct yaml_pos cp = e->pos;
        unsigned long v = 0;

        if (e->v[F_SFI] != NULL) {
                if (yaml_uint(ld, e->v[F_SFI], e->kp[F_SFI], "sfi", 1, 30, &v) != 0)
                        return -1;
                f->sfi = (uint8_t)v;
                for (size_t j = 1; j < i; j++) {
                        const struct prof_file *o = &ld->p->files[j];
                        if (o->parent == f->parent && o->sfi == f->sfi)
                                return yaml_err(ld, yaml_node_pos(e->v[F_SFI], e->kp[F_SFI]),
                                                "sfi %u is already used by file '%s' in %s", f->sfi,
                                                o->name, scope_name(ld, f->parent));
                }
        }
        if (e->v[F_CONTENT] != NULL && e->v[F_CONTENT_HEX] != NULL)
                return yaml_err(ld, e->kp[F_CONTENT_HEX],
                                "give 'content' or 'content_hex', not both");
        if (e->v[F_CONTENT] != NULL) {
                const char *s;
                cp = yaml_node_pos(e->v[F_CONTENT], e->kp[F_CONTENT]);
                if (yaml_text(ld, e->v[F_CONTENT], e->kp[F_CONTENT], "content", &s, content_len) !=
                    0)
                        return -1;
                *content = (const uint8_t *)s;
        } else if (e->v[F_CONTENT_HEX] != NULL) {
                cp = yaml_node_pos(e->v[F_CONTENT_HEX], e->kp[F_CONTENT_HEX]);
                if ((*hex = malloc(PROF_EF_MAX_SIZE)) == NULL)
                        return yaml_err(ld, cp, "out of memory");
                if (yaml_hex(ld, e->v[F_CONTENT_HEX], e->kp[F_CONTENT_HEX], "content_hex", *hex, 0,
                             PROF_EF_MAX_SIZE, content_len) != 0)
                        return -1;
                *content = *hex;
        }
        if (e->v[F_SIZE] != NULL) {
                if (yaml_uint(ld, e->v[F_SIZE], e->kp[F_SIZE], "size", 0, PROF_EF_MAX_SIZE, &v) !=
                    0)
                        return -1;
                f->size = v;
        } else if (*content != NULL) {
                if (*content_len > PROF_EF_MAX_SIZE)
                        return yaml_err(ld, cp, "content is %zu bytes; an EF holds at most %d",
                                        *content_len, PROF_EF_MAX_SIZE);
                f->size = *content_len;
        } else {
                return yaml_err(ld, e->pos, "missing 'size' (or content to take it from)");
        }
        if (*content_len > f->size)
                return yaml_err(ld, cp, "content is %zu bytes but the file's size is %zu",
                                *content_len, f->size);
        if (e->v[F_READ] == NULL || e->v[F_UPDATE] == NULL)
                return yaml_err(ld, e->pos,
                                "missing '%s' access rule (always, never, {chv: NAME} ...)",
                                e->v[F_READ] == NULL ? "read" : "update");
        if (get_rule(ld, e->v[F_READ], e->kp[F_READ], "read", &f->read_rule) != 0)
                return -1;
        return get_rule(ld, e->v[F_UPDATE], e->kp[F_UPDATE], "update", &f->update_rule);
}

/* FIDs: not reserved, not the parent's own, unique among the parent's children. */
static int file_fid(struct yaml_loader *ld, const struct ent *e, size_t i, struct prof_file *f)
{
        uint8_t fid[2];
        size_t len = 0;
        struct yaml_pos at;

        if (e->v[F_FID] == NULL)
                return yaml_err(ld, e->pos, "missing 'fid'");
        if (yaml_hex(ld, e->v[F_FID], e->kp[F_FID], "fid", fid, 2, 2, &len) != 0)
                return -1;
        at = yaml_node_pos(e->v[F_FID], e->kp[F_FID]);
        f->fid = (uint16_t)(fid[0] << 8 | fid[1]);
        if (f->fid == 0x3f00 || f->fid == 0x3fff || f->fid == 0xffff)
                return yaml_err(ld, at, "fid %04X is reserved (3F00 MF, 3FFF current DF, FFFF)",
                                f->fid);
        if (f->parent != 0 && ld->p->files[f->parent].fid == f->fid)
                return yaml_err(ld, at, "fid %04X is the fid of its own DF '%s'", f->fid,
                                ld->p->files[f->parent].name);
        for (size_t j = 1; j < i; j++) {
                const struct prof_file *o = &ld->p->files[j];
                if (o->parent == f->parent && o->fid == f->fid)
                        return yaml_err(ld, at, "fid %04X is already used by file '%s' in %s",
                                        f->fid, o->name, scope_name(ld, f->parent));
        }
        return 0;
}

int build_file(struct yaml_loader *ld, size_t i)
{
        const struct ent *e = &ld->files[i];
        const struct app_def *app = NULL;
        struct prof_file f;
        const uint8_t *content = NULL;
        uint8_t *hex = NULL;
        size_t content_len = 0;
        int ok = -1;

        memset(&f, 0, sizeof(f));
        yaml_context(ld, "file '%s'", e->name);
        memcpy(f.name, e->name, sizeof(f.name));
        f.type = e->is_df ? PROF_FILE_DF : PROF_FILE_EF;
        f.parent = e->df;
        f.read_rule = PROF_RULE_NEVER_IDX; /* DFs are never read or written as files */
        f.update_rule = PROF_RULE_NEVER_IDX;
        if (file_fid(ld, e, i, &f) != 0)
                goto fail;
        if (e->is_df ? df_fields(ld, e, i, &f, &app) != 0
                     : ef_fields(ld, e, i, &f, &hex, &content, &content_len) != 0)
                goto fail;
        if (prof_add_file(ld->p, &f, content, content_len) != (int)i) {
                yaml_err(ld, e->pos, "too many files or out of memory");
                goto fail;
        }
        if (app != NULL && prof_add_app(ld->p, app, (uint16_t)i) < 0) {
                yaml_err(ld, e->kp[F_APPLICATION], "too many applications (at most %d)",
                         PROF_APPS_MAX);
                goto fail;
        }
        ok = 0;
fail:
        free(hex);
        return ok;
}
