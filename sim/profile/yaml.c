/* SPDX-License-Identifier: MIT */
/*
 * The YAML profile loader: a libfyaml document tree, walked field by field
 * into the profile model, with every user mistake reported at file:line:column.
 */
#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfyaml.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <scsim/err.h>

#include "app.h"
#include "atr.h"
#include "profile/model.h"
#include "profile/yaml.h"
#include "profile/yaml_reader.h"
#include "tlv.h"

/*
 * Fields of each kind of mapping, in the order the tables below index them.
 * The top level also has a section per application of the registry, named
 * like it, after these.
 */
enum { T_NAME, T_LABEL, T_ATR, T_HIST, T_SERIAL, T_CHVS, T_KEYS, T_FILES, T_N };
static const char *const top_fields[T_N] = {
    "name", "label", "atr", "historical_bytes", "serial", "chvs", "keys", "files",
};
#define TOP_FIELDS_MAX (T_N + 8)

enum {
        F_TYPE,
        F_FID,
        F_AID,
        F_SFI,
        F_SIZE,
        F_CONTENT,
        F_CONTENT_HEX,
        F_READ,
        F_UPDATE,
        F_CHVS,
        F_KEYS,
        F_FILES,
        F_APPLICATION,
        F_N
};
static const char *const file_fields[F_N] = {
    "type", "fid",    "aid",  "sfi",  "size",  "content",     "content_hex",
    "read", "update", "chvs", "keys", "files", "application",
};

enum {
        C_REFERENCE,
        C_VERIFIABLE,
        C_VALUE,
        C_VALUE_HEX,
        C_LENGTH,
        C_FORMAT,
        C_PADDING,
        C_RETRIES,
        C_PUK,
        C_RESET,
        C_MAY_DISABLE,
        C_ENABLED,
        C_KEEP,
        C_MALFORMED,
        C_N
};
static const char *const chv_fields[C_N] = {
    "reference",        "verifiable", "value", "value_hex",           "length",      "format",
    "padding",          "retries",    "puk",   "reset_retry_counter", "may_disable", "enabled",
    "keep_on_deselect", "malformed",
};

enum { K_REFERENCE, K_ALGORITHM, K_VALUE, K_RETRIES, K_KEEP, K_N };
static const char *const key_fields[K_N] = {
    "reference", "algorithm", "value", "retries", "keep_on_deselect",
};

#define FIELDS_MAX 16

/* One named thing found in the first pass: a file, a CHV or a key. */
struct ent {
        char name[PROF_NAME_MAX];
        struct yaml_pos pos; /* of its name */
        uint16_t df;         /* file index of the DF it lives in (files: their parent) */
        bool is_df;
        bool verifiable; /* CHVs */
        struct fy_node *v[FIELDS_MAX];
        struct yaml_pos kp[FIELDS_MAX]; /* where each present field's key is */
};

struct yaml_loader {
        scsim_diag *diag;
        scsim_profile *p;
        char ctx[96];                     /* "chv 'pin'": prefixes messages about one object */
        struct ent files[PROF_FILES_MAX]; /* [0] is the MF */
        size_t nfiles;
        struct ent chvs[PROF_CHVS_MAX];
        size_t nchvs;
        struct ent keys[PROF_KEYS_MAX];
        size_t nkeys;
        struct fy_diag *fdiag;
        struct fy_parser *fyp;
        struct fy_document *doc;
};

int yaml_err(struct yaml_loader *ld, struct yaml_pos at, const char *fmt, ...)
{
        char msg[400]; /* leaves room for the context prefix */
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (ld->diag != NULL) {
                ld->diag->line = at.line;
                ld->diag->column = at.line != 0 ? at.column : 0;
                if (ld->ctx[0] != '\0')
                        snprintf(ld->diag->message, sizeof(ld->diag->message), "%s: %s", ld->ctx,
                                 msg);
                else
                        snprintf(ld->diag->message, sizeof(ld->diag->message), "%s", msg);
        }
        return -1;
}

void yaml_context(struct yaml_loader *ld, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(ld->ctx, sizeof(ld->ctx), fmt, ap);
        va_end(ap);
}

void yaml_context_clear(struct yaml_loader *ld)
{
        ld->ctx[0] = '\0';
}

scsim_profile *yaml_profile(struct yaml_loader *ld)
{
        return ld->p;
}

struct yaml_pos yaml_chv_pos(const struct yaml_loader *ld, size_t i)
{
        return i < ld->nchvs ? ld->chvs[i].pos : (struct yaml_pos){0, 0};
}

struct yaml_pos yaml_file_pos(const struct yaml_loader *ld, size_t i)
{
        return i < ld->nfiles ? ld->files[i].pos : (struct yaml_pos){0, 0};
}

/*
 * libfyaml keeps marks on scalar tokens only, so a collection is placed at
 * its first scalar; an empty one at the key that introduced it (fallback).
 */
struct yaml_pos yaml_node_pos(struct fy_node *n, struct yaml_pos fallback)
{
        struct fy_token *t;
        const struct fy_mark *m;
        void *it = NULL;

        if (n == NULL)
                return fallback;
        switch (fy_node_get_type(n)) {
        case FYNT_SCALAR:
                t = fy_node_get_scalar_token(n);
                if (t == NULL || (m = fy_token_start_mark(t)) == NULL)
                        return fallback;
                return (struct yaml_pos){(unsigned)m->line + 1, (unsigned)m->column + 1};
        case FYNT_SEQUENCE:
                return yaml_node_pos(fy_node_sequence_iterate(n, &it), fallback);
        case FYNT_MAPPING: {
                struct fy_node_pair *pair = fy_node_mapping_iterate(n, &it);
                return pair != NULL ? yaml_node_pos(fy_node_pair_key(pair), fallback) : fallback;
        }
        }
        return fallback;
}

/* An empty value ("key:") is a scalar without a token: treat it as absent. */
bool yaml_is_empty(struct fy_node *n)
{
        return n == NULL ||
               (fy_node_get_type(n) == FYNT_SCALAR && fy_node_get_scalar_token(n) == NULL);
}

const char *yaml_kind(struct fy_node *n)
{
        if (yaml_is_empty(n))
                return "nothing";
        switch (fy_node_get_type(n)) {
        case FYNT_SCALAR:
                return "a scalar";
        case FYNT_SEQUENCE:
                return "a list";
        case FYNT_MAPPING:
                return "a mapping";
        }
        return "something else";
}

/* A scalar's text, or NULL (with an error) when n is not a non-empty scalar. */
const char *yaml_scalar(struct yaml_loader *ld, struct fy_node *n, struct yaml_pos at,
                        const char *key, const char *expected, size_t *len)
{
        const char *s;

        if (yaml_is_empty(n) || fy_node_get_type(n) != FYNT_SCALAR) {
                yaml_err(ld, yaml_node_pos(n, at), "%s: expected %s, got %s", key, expected,
                         yaml_kind(n));
                return NULL;
        }
        if (fy_node_is_alias(n)) {
                yaml_err(ld, yaml_node_pos(n, at),
                         "%s: aliases (*name) are not supported in profiles", key);
                return NULL;
        }
        s = fy_node_get_scalar(n, len);
        if (s == NULL) {
                yaml_err(ld, yaml_node_pos(n, at), "%s: expected %s", key, expected);
                return NULL;
        }
        return s;
}

/* Quote a scalar for a message, shortened and with control bytes as '?'. */
const char *yaml_shown(const char *s, size_t len, char *buf, size_t cap)
{
        size_t n = 0;

        for (size_t i = 0; i < len && n + 4 < cap; i++)
                buf[n++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
        if (n < len && n + 4 <= cap) {
                memcpy(buf + n, "...", 3);
                n += 3;
        }
        buf[n] = '\0';
        return buf;
}

/*
 * Check a mapping's keys against the allowed list and hand out the values by
 * index. Duplicate keys never get here: libfyaml refuses them while parsing.
 */
int yaml_fields(struct yaml_loader *ld, struct fy_node *map, struct yaml_pos at, const char *what,
                const char *const *allowed, size_t nallowed, struct fy_node **v,
                struct yaml_pos *kp)
{
        struct fy_node_pair *pair;
        void *it = NULL;

        for (size_t i = 0; i < nallowed; i++) {
                v[i] = NULL;
                kp[i] = at;
        }
        if (yaml_is_empty(map) || fy_node_get_type(map) != FYNT_MAPPING)
                return yaml_err(ld, yaml_node_pos(map, at), "expected a mapping of %s, got %s",
                                what, yaml_kind(map));
        while ((pair = fy_node_mapping_iterate(map, &it)) != NULL) {
                struct fy_node *k = fy_node_pair_key(pair);
                struct yaml_pos kpos = yaml_node_pos(k, at);
                const char *name;
                char buf[64], list[400];
                size_t len = 0, i, off = 0;

                if (yaml_is_empty(k) || fy_node_get_type(k) != FYNT_SCALAR || fy_node_is_alias(k))
                        return yaml_err(ld, kpos, "keys must be plain names, got %s", yaml_kind(k));
                name = fy_node_get_scalar(k, &len);
                for (i = 0; i < nallowed; i++)
                        if (strlen(allowed[i]) == len && memcmp(allowed[i], name, len) == 0)
                                break;
                if (i < nallowed) {
                        v[i] = fy_node_pair_value(pair);
                        kp[i] = kpos;
                        continue;
                }
                list[0] = '\0';
                for (size_t j = 0; j < nallowed; j++) {
                        int w = snprintf(list + off, sizeof(list) - off, "%s%s", j ? ", " : "",
                                         allowed[j]);
                        if (w < 0 || (size_t)w >= sizeof(list) - off)
                                break;
                        off += (size_t)w;
                }
                return yaml_err(ld, kpos, "unknown key '%s' (expected one of: %s)",
                                yaml_shown(name, len, buf, sizeof(buf)), list);
        }
        return 0;
}

int yaml_uint(struct yaml_loader *ld, struct fy_node *n, struct yaml_pos at, const char *key,
              unsigned long min, unsigned long max, unsigned long *out)
{
        const char *s;
        char buf[64];
        unsigned long v = 0;
        size_t len = 0;

        if ((s = yaml_scalar(ld, n, at, key, "an integer", &len)) == NULL)
                return -1;
        at = yaml_node_pos(n, at);
        if (fy_node_get_style(n) != FYNS_PLAIN)
                return yaml_err(
                    ld, at, "%s: expected an integer, got a quoted string (drop the quotes)", key);
        if (len == 0 || len > 9)
                goto bad;
        for (size_t i = 0; i < len; i++) {
                if (s[i] < '0' || s[i] > '9')
                        goto bad;
                v = v * 10 + (unsigned long)(s[i] - '0');
        }
        if (v < min || v > max)
                return yaml_err(ld, at, "%s must be %lu..%lu, got %lu", key, min, max, v);
        *out = v;
        return 0;
bad:
        return yaml_err(ld, at, "%s: expected an integer, got '%s'", key,
                        yaml_shown(s, len, buf, sizeof(buf)));
}

int yaml_bool(struct yaml_loader *ld, struct fy_node *n, struct yaml_pos at, const char *key,
              bool *out)
{
        const char *s;
        char buf[64];
        size_t len = 0;

        if ((s = yaml_scalar(ld, n, at, key, "true or false", &len)) == NULL)
                return -1;
        if (fy_node_get_style(n) != FYNS_PLAIN)
                return yaml_err(ld, yaml_node_pos(n, at),
                                "%s: expected true or false, got a quoted string (drop the quotes)",
                                key);
        if (fy_node_get_style(n) == FYNS_PLAIN && len == 4 && memcmp(s, "true", 4) == 0) {
                *out = true;
                return 0;
        }
        if (fy_node_get_style(n) == FYNS_PLAIN && len == 5 && memcmp(s, "false", 5) == 0) {
                *out = false;
                return 0;
        }
        return yaml_err(ld, yaml_node_pos(n, at), "%s: expected true or false, got '%s'", key,
                        yaml_shown(s, len, buf, sizeof(buf)));
}

/* One of a fixed list of words; *out is its index. */
int yaml_enum(struct yaml_loader *ld, struct fy_node *n, struct yaml_pos at, const char *key,
              const char *const *words, size_t nwords, size_t *out)
{
        const char *s;
        char buf[64], list[200];
        size_t len = 0, off = 0;

        if ((s = yaml_scalar(ld, n, at, key, "a word", &len)) == NULL)
                return -1;
        for (size_t i = 0; i < nwords; i++) {
                if (strlen(words[i]) == len && memcmp(words[i], s, len) == 0) {
                        *out = i;
                        return 0;
                }
        }
        list[0] = '\0';
        for (size_t i = 0; i < nwords; i++) {
                int w = snprintf(list + off, sizeof(list) - off, "%s%s", i ? ", " : "", words[i]);
                if (w < 0 || (size_t)w >= sizeof(list) - off)
                        break;
                off += (size_t)w;
        }
        return yaml_err(ld, yaml_node_pos(n, at), "%s must be one of %s; got '%s'", key, list,
                        yaml_shown(s, len, buf, sizeof(buf)));
}

/*
 * Hex bytes as two digits each, optionally separated by spaces ("F0 53 43",
 * "F05343"). min..max bounds the byte count.
 */
int yaml_hex(struct yaml_loader *ld, struct fy_node *n, struct yaml_pos at, const char *key,
             uint8_t *out, size_t min, size_t max, size_t *out_len)
{
        const char *s;
        char buf[64];
        size_t len = 0, nb = 0, i = 0;

        if ((s = yaml_scalar(ld, n, at, key, "hex bytes", &len)) == NULL)
                return -1;
        at = yaml_node_pos(n, at);
        while (i < len) {
                int hi, lo;
                if (s[i] == ' ') {
                        i++;
                        continue;
                }
                hi = OPENSSL_hexchar2int((unsigned char)s[i]);
                lo = i + 1 < len ? OPENSSL_hexchar2int((unsigned char)s[i + 1]) : -1;
                if (hi < 0 || lo < 0)
                        return yaml_err(
                            ld, at,
                            "%s: bad hex '%s': expected pairs of hex digits, optionally "
                            "separated by spaces",
                            key, yaml_shown(s, len, buf, sizeof(buf)));
                if (nb < max)
                        out[nb] = (uint8_t)(hi << 4 | lo);
                nb++;
                i += 2;
        }
        if (nb < min || nb > max) {
                if (min == max)
                        return yaml_err(ld, at, "%s must be %zu byte%s, got %zu", key, min,
                                        min == 1 ? "" : "s", nb);
                return yaml_err(ld, at, "%s must be %zu..%zu bytes, got %zu", key, min, max, nb);
        }
        *out_len = nb;
        return 0;
}

int yaml_text(struct yaml_loader *ld, struct fy_node *n, struct yaml_pos at, const char *key,
              const char **out, size_t *out_len)
{
        size_t len = 0;
        const char *s = yaml_scalar(ld, n, at, key, "text", &len);

        if (s == NULL)
                return -1;
        *out = s;
        *out_len = len;
        return 0;
}

static bool name_ok(const char *s, size_t len)
{
        if (len == 0 || len >= PROF_NAME_MAX)
                return false;
        for (size_t i = 0; i < len; i++)
                if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
                        return false;
        return true;
}

/* The name of a file/CHV/key is its key in the enclosing mapping. */
static int entry_name(struct yaml_loader *ld, struct fy_node *k, struct yaml_pos at,
                      const char *kind, char *name, struct yaml_pos *where)
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

static int find_ent(const struct ent *tab, size_t n, const char *name, size_t len)
{
        for (size_t i = 0; i < n; i++)
                if (strlen(tab[i].name) == len && memcmp(tab[i].name, name, len) == 0)
                        return (int)i;
        return -1;
}

static int collect_df(struct yaml_loader *ld, struct fy_node *chvs, struct yaml_pos chvs_at,
                      struct fy_node *keys, struct yaml_pos keys_at, struct fy_node *files,
                      struct yaml_pos files_at, uint16_t df);

/* First pass over one "chvs:" mapping: names, bounds and fields, nothing built yet. */
static int collect_chvs(struct yaml_loader *ld, struct fy_node *map, struct yaml_pos at,
                        uint16_t df)
{
        struct fy_node_pair *pair;
        void *it = NULL;

        if (map == NULL)
                return 0;
        if (yaml_is_empty(map) || fy_node_get_type(map) != FYNT_MAPPING)
                return yaml_err(ld, yaml_node_pos(map, at),
                                "chvs: expected a mapping of CHV names, got %s", yaml_kind(map));
        while ((pair = fy_node_mapping_iterate(map, &it)) != NULL) {
                struct ent *e = &ld->chvs[ld->nchvs];
                struct yaml_pos where;
                char name[PROF_NAME_MAX];
                int prev;

                if (entry_name(ld, fy_node_pair_key(pair), at, "chv", name, &where) != 0)
                        return -1;
                if ((prev = find_ent(ld->chvs, ld->nchvs, name, strlen(name))) >= 0)
                        return yaml_err(ld, where, "chv '%s' is defined twice (first at line %u)",
                                        name, ld->chvs[prev].pos.line);
                if (ld->nchvs >= PROF_CHVS_MAX)
                        return yaml_err(ld, where, "chv '%s': too many CHVs (at most %d)", name,
                                        PROF_CHVS_MAX);
                memset(e, 0, sizeof(*e));
                memcpy(e->name, name, sizeof(name));
                e->pos = where;
                e->df = df;
                yaml_context(ld, "chv '%s'", name);
                if (yaml_fields(ld, fy_node_pair_value(pair), where, "fields", chv_fields, C_N,
                                e->v, e->kp) != 0)
                        return -1;
                e->verifiable = e->v[C_REFERENCE] != NULL;
                if (e->v[C_VERIFIABLE] != NULL &&
                    yaml_bool(ld, e->v[C_VERIFIABLE], e->kp[C_VERIFIABLE], "verifiable",
                              &e->verifiable) != 0)
                        return -1;
                if (e->verifiable && e->v[C_REFERENCE] == NULL)
                        return yaml_err(ld, e->kp[C_VERIFIABLE],
                                        "verifiable: a CHV without a reference cannot be verified");
                ld->nchvs++;
                yaml_context_clear(ld);
        }
        return 0;
}

static int collect_keys(struct yaml_loader *ld, struct fy_node *map, struct yaml_pos at,
                        uint16_t df)
{
        struct fy_node_pair *pair;
        void *it = NULL;

        if (map == NULL)
                return 0;
        if (yaml_is_empty(map) || fy_node_get_type(map) != FYNT_MAPPING)
                return yaml_err(ld, yaml_node_pos(map, at),
                                "keys: expected a mapping of key names, got %s", yaml_kind(map));
        while ((pair = fy_node_mapping_iterate(map, &it)) != NULL) {
                struct ent *e = &ld->keys[ld->nkeys];
                struct yaml_pos where;
                char name[PROF_NAME_MAX];
                int prev;

                if (entry_name(ld, fy_node_pair_key(pair), at, "key", name, &where) != 0)
                        return -1;
                if ((prev = find_ent(ld->keys, ld->nkeys, name, strlen(name))) >= 0)
                        return yaml_err(ld, where, "key '%s' is defined twice (first at line %u)",
                                        name, ld->keys[prev].pos.line);
                if (ld->nkeys >= PROF_KEYS_MAX)
                        return yaml_err(ld, where, "key '%s': too many keys (at most %d)", name,
                                        PROF_KEYS_MAX);
                memset(e, 0, sizeof(*e));
                memcpy(e->name, name, sizeof(name));
                e->pos = where;
                e->df = df;
                yaml_context(ld, "key '%s'", name);
                if (yaml_fields(ld, fy_node_pair_value(pair), where, "fields", key_fields, K_N,
                                e->v, e->kp) != 0)
                        return -1;
                ld->nkeys++;
                yaml_context_clear(ld);
        }
        return 0;
}

static int collect_files(struct yaml_loader *ld, struct fy_node *map, struct yaml_pos at,
                         uint16_t parent)
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

static int collect_df(struct yaml_loader *ld, struct fy_node *chvs, struct yaml_pos chvs_at,
                      struct fy_node *keys, struct yaml_pos keys_at, struct fy_node *files,
                      struct yaml_pos files_at, uint16_t df)
{
        if (collect_chvs(ld, chvs, chvs_at, df) != 0 || collect_keys(ld, keys, keys_at, df) != 0)
                return -1;
        return collect_files(ld, files, files_at, df);
}

/* ---- access rules ---- */

static bool same_rule(const struct prof_rule *a, const struct prof_rule *b)
{
        if (a->kind != b->kind || a->arg != b->arg || a->nterms != b->nterms)
                return false;
        for (size_t i = 0; i < a->nterms; i++)
                if (a->terms[i] != b->terms[i])
                        return false;
        return true;
}

/* Equal rules share one pool slot, so the 64-slot pool holds what users write. */
static int intern_rule(struct yaml_loader *ld, const struct prof_rule *r, struct yaml_pos at,
                       const char *key, uint16_t *out)
{
        int idx;

        for (size_t i = 0; i < ld->p->nrules; i++) {
                if (same_rule(&ld->p->rules[i], r)) {
                        *out = (uint16_t)i;
                        return 0;
                }
        }
        if ((idx = prof_add_rule(ld->p, r)) < 0)
                return yaml_err(
                    ld, at,
                    "%s: too many distinct access rules (at most %d besides always and never)", key,
                    PROF_RULES_MAX - 2);
        *out = (uint16_t)idx;
        return 0;
}

static const char rule_forms[] =
    "always, never, {chv: NAME}, {key: NAME}, {any: [RULES]} or {all: [RULES]}";

static int get_rule(struct yaml_loader *ld, struct fy_node *n, struct yaml_pos at, const char *key,
                    uint16_t *out)
{
        static const char *const words[] = {"chv", "key", "any", "all"};
        struct prof_rule r;
        struct fy_node_pair *pair;
        struct fy_node *k, *v;
        void *it = NULL;
        const char *s;
        char buf[64];
        size_t len = 0, which = 0;

        memset(&r, 0, sizeof(r));
        at = yaml_node_pos(n, at);
        if (!yaml_is_empty(n) && fy_node_get_type(n) == FYNT_SCALAR) {
                if ((s = yaml_scalar(ld, n, at, key, rule_forms, &len)) == NULL)
                        return -1;
                if (len == 6 && memcmp(s, "always", 6) == 0) {
                        *out = PROF_RULE_ALWAYS_IDX;
                        return 0;
                }
                if (len == 5 && memcmp(s, "never", 5) == 0) {
                        *out = PROF_RULE_NEVER_IDX;
                        return 0;
                }
                return yaml_err(ld, at, "%s: expected %s, got '%s'", key, rule_forms,
                                yaml_shown(s, len, buf, sizeof(buf)));
        }
        if (yaml_is_empty(n) || fy_node_get_type(n) != FYNT_MAPPING ||
            fy_node_mapping_item_count(n) != 1)
                return yaml_err(ld, at, "%s: expected %s, got %s", key, rule_forms,
                                yaml_is_empty(n) || fy_node_get_type(n) != FYNT_MAPPING
                                    ? yaml_kind(n)
                                    : "a mapping with more than one key");
        pair = fy_node_mapping_iterate(n, &it);
        k = fy_node_pair_key(pair);
        v = fy_node_pair_value(pair);
        if (yaml_enum(ld, k, at, key, words, 4, &which) != 0)
                return -1;
        if (which <= 1) { /* chv or key, by name */
                int idx;
                if ((s = yaml_scalar(ld, v, at, key, which == 0 ? "a CHV name" : "a key name",
                                     &len)) == NULL)
                        return -1;
                if (which == 0) {
                        idx = find_ent(ld->chvs, ld->nchvs, s, len);
                        if (idx < 0)
                                return yaml_err(ld, yaml_node_pos(v, at), "%s: no chv named '%s'",
                                                key, yaml_shown(s, len, buf, sizeof(buf)));
                        if (!ld->chvs[idx].verifiable)
                                return yaml_err(
                                    ld, yaml_node_pos(v, at),
                                    "%s: chv '%s' is not verifiable (it has no reference "
                                    "or verifiable: false)",
                                    key, ld->chvs[idx].name);
                        r.kind = PROF_RULE_CHV;
                } else {
                        idx = find_ent(ld->keys, ld->nkeys, s, len);
                        if (idx < 0)
                                return yaml_err(ld, yaml_node_pos(v, at), "%s: no key named '%s'",
                                                key, yaml_shown(s, len, buf, sizeof(buf)));
                        r.kind = PROF_RULE_KEY;
                }
                r.arg = (uint16_t)idx;
                return intern_rule(ld, &r, at, key, out);
        }
        r.kind = which == 2 ? PROF_RULE_ANY : PROF_RULE_ALL;
        if (yaml_is_empty(v) || fy_node_get_type(v) != FYNT_SEQUENCE)
                return yaml_err(ld, yaml_node_pos(v, at),
                                "%s: %s takes a list of 1..%d rules, got %s", key, words[which],
                                PROF_RULE_TERMS_MAX, yaml_kind(v));
        if (fy_node_sequence_item_count(v) < 1 ||
            fy_node_sequence_item_count(v) > PROF_RULE_TERMS_MAX)
                return yaml_err(ld, yaml_node_pos(v, at),
                                "%s: %s takes a list of 1..%d rules, got %d", key, words[which],
                                PROF_RULE_TERMS_MAX, fy_node_sequence_item_count(v));
        it = NULL;
        for (struct fy_node *t; (t = fy_node_sequence_iterate(v, &it)) != NULL;) {
                uint16_t term;
                if (get_rule(ld, t, yaml_node_pos(v, at), key, &term) != 0)
                        return -1;
                r.terms[r.nterms++] = term;
        }
        return intern_rule(ld, &r, at, key, out);
}

/* ---- objects ---- */

/* A reference byte as in P2: b8 scope, b7..b6 reserved, b5..b1 number. */
static int get_ref(struct yaml_loader *ld, struct fy_node *n, struct yaml_pos at, uint16_t df,
                   uint8_t *out)
{
        size_t len = 0;
        uint8_t b = 0;

        if (yaml_hex(ld, n, at, "reference", &b, 1, 1, &len) != 0)
                return -1;
        at = yaml_node_pos(n, at);
        if ((b & 0x60) != 0)
                return yaml_err(ld, at, "reference %02X has reserved bits b7/b6 set", b);
        if (df == 0 && (b & 0x80) != 0)
                return yaml_err(ld, at,
                                "reference %02X is specific (b8 set) but defined at the top level; "
                                "global references are 00..1F",
                                b);
        if (df != 0 && (b & 0x80) == 0)
                return yaml_err(ld, at,
                                "reference %02X is global (b8 clear) but defined inside DF '%s'; "
                                "specific references are 80..9F",
                                b, ld->files[df].name);
        *out = b;
        return 0;
}

static const char *scope_name(const struct yaml_loader *ld, uint16_t df)
{
        return df == 0 ? "the MF" : ld->files[df].name;
}

static int build_key(struct yaml_loader *ld, size_t i)
{
        static const char *const algs[] = {"aes-128"};
        const struct ent *e = &ld->keys[i];
        struct prof_key k;
        unsigned long retries = 0;
        size_t alg = 0;
        int ok = -1;

        memset(&k, 0, sizeof(k));
        yaml_context(ld, "key '%s'", e->name);
        memcpy(k.name, e->name, sizeof(k.name));
        k.df = e->df;
        if (e->v[K_REFERENCE] == NULL || e->v[K_ALGORITHM] == NULL || e->v[K_VALUE] == NULL ||
            e->v[K_RETRIES] == NULL) {
                yaml_err(ld, e->pos, "missing '%s'",
                         e->v[K_REFERENCE] == NULL   ? "reference"
                         : e->v[K_ALGORITHM] == NULL ? "algorithm"
                         : e->v[K_VALUE] == NULL     ? "value"
                                                     : "retries");
                goto fail;
        }
        if (get_ref(ld, e->v[K_REFERENCE], e->kp[K_REFERENCE], e->df, &k.ref) != 0)
                goto fail;
        for (size_t j = 0; j < i; j++) {
                const struct prof_key *o = &ld->p->keys[j];
                if (o->ref == k.ref && o->df == k.df) {
                        yaml_err(ld, yaml_node_pos(e->v[K_REFERENCE], e->kp[K_REFERENCE]),
                                 "reference %02X is already used by key '%s' in %s", k.ref, o->name,
                                 scope_name(ld, k.df));
                        goto fail;
                }
        }
        if (yaml_enum(ld, e->v[K_ALGORITHM], e->kp[K_ALGORITHM], "algorithm", algs, 1, &alg) != 0)
                goto fail;
        k.alg = PROF_KEY_AES128;
        if (yaml_hex(ld, e->v[K_VALUE], e->kp[K_VALUE], "value", k.value, 16, 16, &k.value_len) !=
            0)
                goto fail;
        if (yaml_uint(ld, e->v[K_RETRIES], e->kp[K_RETRIES], "retries", 1, 15, &retries) != 0)
                goto fail;
        k.retries = (uint8_t)retries;
        if (e->v[K_KEEP] != NULL) {
                if (yaml_bool(ld, e->v[K_KEEP], e->kp[K_KEEP], "keep_on_deselect",
                              &k.keep_on_deselect) != 0)
                        goto fail;
                if (e->df == 0) {
                        yaml_err(ld, e->kp[K_KEEP],
                                 "keep_on_deselect applies to keys inside a DF; a global key "
                                 "is never cleared by a select");
                        goto fail;
                }
        }
        if (prof_add_key(ld->p, &k) != (int)i) {
                yaml_err(ld, e->pos, "too many keys");
                goto fail;
        }
        ok = 0;
fail:
        OPENSSL_cleanse(&k, sizeof(k));
        return ok;
}

/* Decimal digits at s[*i..], at most 4 of them. */
static bool digits(const char *s, size_t len, size_t *i, unsigned long *out)
{
        size_t start = *i;

        *out = 0;
        while (*i < len && s[*i] >= '0' && s[*i] <= '9' && *i - start < 4)
                *out = *out * 10 + (unsigned long)(s[(*i)++] - '0');
        return *i > start;
}

/* "8" or "4..8". */
static int get_length(struct yaml_loader *ld, struct fy_node *n, struct yaml_pos at, size_t *min,
                      size_t *max)
{
        const char *s;
        char buf[64];
        size_t len = 0, i = 0;
        unsigned long a = 0, b = 0;

        if ((s = yaml_scalar(ld, n, at, "length", "N or MIN..MAX", &len)) == NULL)
                return -1;
        at = yaml_node_pos(n, at);
        if (!digits(s, len, &i, &a))
                goto bad;
        b = a;
        if (i < len) {
                if (i + 2 > len || s[i] != '.' || s[i + 1] != '.')
                        goto bad;
                i += 2;
                if (!digits(s, len, &i, &b))
                        goto bad;
        }
        if (i != len)
                goto bad;
        if (a < 1 || a > b || b > PROF_CHV_MAX_LEN)
                return yaml_err(ld, at, "length must satisfy 1 <= min <= max <= %d, got %lu..%lu",
                                PROF_CHV_MAX_LEN, a, b);
        *min = a;
        *max = b;
        return 0;
bad:
        return yaml_err(ld, at, "length: expected N or MIN..MAX (like 4..8), got '%s'",
                        yaml_shown(s, len, buf, sizeof(buf)));
}

static int build_chv(struct yaml_loader *ld, size_t i)
{
        static const char *const formats[] = {"digits", "alnum", "bytes"};
        static const char *const paddings[] = {"none", "FF", "00"};
        static const char *const malformed[] = {"refused", "wrong"};
        const struct ent *e = &ld->chvs[i];
        struct prof_chv c;
        struct fy_node *vn;
        struct yaml_pos vp;
        unsigned long retries = 0;
        size_t w = 0;
        int ok = -1;

        memset(&c, 0, sizeof(c));
        yaml_context(ld, "chv '%s'", e->name);
        memcpy(c.name, e->name, sizeof(c.name));
        c.df = e->df;
        c.verifiable = e->verifiable;
        c.puk = PROF_NONE;
        c.reset_rule = PROF_RULE_NEVER_IDX; /* compiled later: rules may name any CHV */
        c.enabled = true;
        if (e->v[C_VALUE] == NULL && e->v[C_VALUE_HEX] == NULL) {
                yaml_err(ld, e->pos, "missing 'value' (text) or 'value_hex'");
                goto fail;
        }
        if (e->v[C_VALUE] != NULL && e->v[C_VALUE_HEX] != NULL) {
                yaml_err(ld, e->kp[C_VALUE_HEX], "give 'value' or 'value_hex', not both");
                goto fail;
        }
        if (e->v[C_LENGTH] == NULL || e->v[C_RETRIES] == NULL) {
                yaml_err(ld, e->pos, "missing '%s'", e->v[C_LENGTH] == NULL ? "length" : "retries");
                goto fail;
        }
        if (e->v[C_REFERENCE] != NULL) {
                c.has_ref = true;
                if (get_ref(ld, e->v[C_REFERENCE], e->kp[C_REFERENCE], e->df, &c.ref) != 0)
                        goto fail;
                for (size_t j = 0; j < i; j++) {
                        const struct prof_chv *o = &ld->p->chvs[j];
                        if (o->has_ref && o->ref == c.ref && o->df == c.df) {
                                yaml_err(ld, yaml_node_pos(e->v[C_REFERENCE], e->kp[C_REFERENCE]),
                                         "reference %02X is already used by chv '%s' in %s", c.ref,
                                         o->name, scope_name(ld, c.df));
                                goto fail;
                        }
                }
        }
        if (get_length(ld, e->v[C_LENGTH], e->kp[C_LENGTH], &c.min_len, &c.max_len) != 0)
                goto fail;
        if (e->v[C_FORMAT] != NULL) {
                if (yaml_enum(ld, e->v[C_FORMAT], e->kp[C_FORMAT], "format", formats, 3, &w) != 0)
                        goto fail;
                c.format = (enum prof_chv_format)w;
        }
        if (e->v[C_PADDING] != NULL) {
                if (yaml_enum(ld, e->v[C_PADDING], e->kp[C_PADDING], "padding", paddings, 3, &w) !=
                    0)
                        goto fail;
                c.padding = (enum prof_chv_padding)w;
        }
        if (e->v[C_MALFORMED] != NULL) {
                if (yaml_enum(ld, e->v[C_MALFORMED], e->kp[C_MALFORMED], "malformed", malformed, 2,
                              &w) != 0)
                        goto fail;
                c.malformed_is_wrong = w == 1;
        }
        if (e->v[C_VALUE] != NULL) {
                const char *s;
                size_t len = 0;
                vn = e->v[C_VALUE];
                vp = yaml_node_pos(vn, e->kp[C_VALUE]);
                if (yaml_text(ld, vn, e->kp[C_VALUE], "value", &s, &len) != 0)
                        goto fail;
                if (len > PROF_CHV_MAX_LEN) {
                        yaml_err(ld, vp, "value is %zu bytes; a CHV holds at most %d", len,
                                 PROF_CHV_MAX_LEN);
                        goto fail;
                }
                memcpy(c.value, s, len);
                c.value_len = len;
        } else {
                vn = e->v[C_VALUE_HEX];
                vp = yaml_node_pos(vn, e->kp[C_VALUE_HEX]);
                if (yaml_hex(ld, vn, e->kp[C_VALUE_HEX], "value_hex", c.value, 1, PROF_CHV_MAX_LEN,
                             &c.value_len) != 0)
                        goto fail;
        }
        if (c.value_len < c.min_len || c.value_len > c.max_len) {
                yaml_err(ld, vp, "value is %zu bytes long; length allows %zu..%zu", c.value_len,
                         c.min_len, c.max_len);
                goto fail;
        }
        if (!prof_chv_value_ok(&c, c.value, c.value_len)) {
                yaml_err(ld, vp, "value does not match format %s (%s)", formats[c.format],
                         c.format == PROF_CHV_DIGITS ? "ASCII digits 0..9"
                                                     : "printable ASCII, 20..7E");
                goto fail;
        }
        if (c.padding != PROF_PAD_NONE && c.value_len > 0 &&
            c.value[c.value_len - 1] == (c.padding == PROF_PAD_FF ? 0xff : 0x00)) {
                yaml_err(ld, vp,
                         "value ends with the padding byte %s, so it could never be presented",
                         paddings[c.padding]);
                goto fail;
        }
        if (yaml_uint(ld, e->v[C_RETRIES], e->kp[C_RETRIES], "retries", 1, 15, &retries) != 0)
                goto fail;
        c.retries = (uint8_t)retries;
        if (e->v[C_PUK] != NULL) {
                const char *s;
                char buf[64];
                size_t len = 0;
                int puk;
                if ((s = yaml_scalar(ld, e->v[C_PUK], e->kp[C_PUK], "puk", "a CHV name", &len)) ==
                    NULL)
                        goto fail;
                vp = yaml_node_pos(e->v[C_PUK], e->kp[C_PUK]);
                puk = find_ent(ld->chvs, ld->nchvs, s, len);
                if (puk < 0) {
                        yaml_err(ld, vp, "puk: no chv named '%s'",
                                 yaml_shown(s, len, buf, sizeof(buf)));
                        goto fail;
                }
                if ((size_t)puk == i) {
                        yaml_err(ld, vp, "puk: a CHV cannot be its own unblock code");
                        goto fail;
                }
                if (ld->chvs[puk].v[C_PUK] != NULL) {
                        yaml_err(ld, vp,
                                 "puk: chv '%s' has an unblock code of its own; an unblock "
                                 "code cannot have one",
                                 ld->chvs[puk].name);
                        goto fail;
                }
                c.puk = (uint16_t)puk;
        }
        if (e->v[C_MAY_DISABLE] != NULL && yaml_bool(ld, e->v[C_MAY_DISABLE], e->kp[C_MAY_DISABLE],
                                                     "may_disable", &c.may_disable) != 0)
                goto fail;
        if (e->v[C_ENABLED] != NULL &&
            yaml_bool(ld, e->v[C_ENABLED], e->kp[C_ENABLED], "enabled", &c.enabled) != 0)
                goto fail;
        if (e->v[C_KEEP] != NULL) {
                if (yaml_bool(ld, e->v[C_KEEP], e->kp[C_KEEP], "keep_on_deselect",
                              &c.keep_on_deselect) != 0)
                        goto fail;
                if (e->df == 0) {
                        yaml_err(ld, e->kp[C_KEEP],
                                 "keep_on_deselect applies to CHVs inside a DF; a global CHV "
                                 "is never cleared by a select");
                        goto fail;
                }
        }
        if (!c.verifiable) {
                static const int verify_only[] = {C_RESET, C_MAY_DISABLE, C_ENABLED, C_KEEP};
                for (size_t j = 0; j < sizeof(verify_only) / sizeof(verify_only[0]); j++) {
                        if (e->v[verify_only[j]] != NULL) {
                                yaml_err(
                                    ld, e->kp[verify_only[j]],
                                    "%s applies only to a verifiable CHV (one with a reference)",
                                    chv_fields[verify_only[j]]);
                                goto fail;
                        }
                }
        }
        if (prof_add_chv(ld->p, &c) != (int)i) {
                yaml_err(ld, e->pos, "too many CHVs");
                goto fail;
        }
        ok = 0;
fail:
        OPENSSL_cleanse(&c, sizeof(c));
        return ok;
}

/* A CHV that unblocks another must not itself be unblockable: checked both ways. */
static int check_puk_chains(struct yaml_loader *ld)
{
        for (size_t i = 0; i < ld->nchvs; i++) {
                const struct prof_chv *c = &ld->p->chvs[i];
                if (c->puk != PROF_NONE && ld->p->chvs[c->puk].puk != PROF_NONE) {
                        yaml_context(ld, "chv '%s'", c->name);
                        return yaml_err(ld,
                                        yaml_node_pos(ld->chvs[i].v[C_PUK], ld->chvs[i].kp[C_PUK]),
                                        "puk: chv '%s' has an unblock code of its own",
                                        ld->p->chvs[c->puk].name);
                }
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

/*
 * An EF without an `sfi` has the one ISO 7816-4 gives it, FID b5..b1, when
 * that is 1..30 and no sibling has it already; the FCP says so in tag 88.
 */
static void implicit_sfis(struct yaml_loader *ld)
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
 * An EF's fields: SFI, size, content and rules. Hex content is decoded into
 * *hex, which the caller frees; *content points at the bytes either way.
 */
static int ef_fields(struct yaml_loader *ld, const struct ent *e, size_t i, struct prof_file *f,
                     uint8_t **hex, const uint8_t **content, size_t *content_len)
{
        struct yaml_pos cp = e->pos;
        unsigned long v = 0;

        if (e->v[F_SFI] != NULL && is_word(e->v[F_SFI], "none")) {
                f->sfi = 0;
        } else if (e->v[F_SFI] != NULL) {
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

static int build_file(struct yaml_loader *ld, size_t i)
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
 * Parse errors come from libfyaml's collected diagnostics (1-based already);
 * the first one is the one the user needs. The parser stays alive as long
 * as its document: ld owns both.
 */
static int parse(struct yaml_loader *ld, const char *text, size_t len)
{
        struct fy_diag_cfg dcfg;
        struct fy_parse_cfg pcfg;
        struct fy_document *extra;
        struct fy_diag_error *e;
        void *it = NULL;

        /*
         * Debian 12's libfyaml (0.7.12) can loop forever scanning a malformed
         * directive (found by fuzz_profile). Profiles have no use for %YAML or
         * %TAG, so a line starting with '%' is refused before libfyaml sees it.
         */
        for (size_t i = 0, line = 1, start = 1; i < len; i++) {
                /* YAML breaks lines at LF, CR and CR LF; a BOM may open the text */
                if (i == 0 && len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
                        i = 2;
                        continue;
                }
                if (text[i] == '%' && start)
                        return yaml_err(
                            ld, (struct yaml_pos){(unsigned)line, 1},
                            "YAML directives (%%YAML, %%TAG) are not supported in profiles");
                start = text[i] == '\n' || text[i] == '\r';
                if (text[i] == '\n' || (text[i] == '\r' && (i + 1 == len || text[i + 1] != '\n')))
                        line++;
        }
        fy_diag_cfg_default(&dcfg);
        dcfg.fp = NULL;
        dcfg.output_fn = NULL;
        dcfg.colorize = false;
        if ((ld->fdiag = fy_diag_create(&dcfg)) == NULL)
                return yaml_err(ld, (struct yaml_pos){0, 0}, "out of memory");
        fy_diag_set_collect_errors(ld->fdiag, true);
        memset(&pcfg, 0, sizeof(pcfg));
        pcfg.flags = FYPCF_QUIET | FYPCF_COLLECT_DIAG | FYPCF_DEFAULT_VERSION_1_2;
        pcfg.diag = ld->fdiag;
        if ((ld->fyp = fy_parser_create(&pcfg)) == NULL ||
            fy_parser_set_string(ld->fyp, text, len) != 0)
                return yaml_err(ld, (struct yaml_pos){0, 0}, "out of memory");
        ld->doc = fy_parse_load_document(ld->fyp);
        if (ld->doc != NULL && !fy_diag_got_error(ld->fdiag)) {
                extra = fy_parse_load_document(ld->fyp);
                if (extra != NULL) {
                        struct yaml_pos at =
                            yaml_node_pos(fy_document_root(extra), (struct yaml_pos){0, 0});
                        fy_parse_document_destroy(ld->fyp, extra);
                        return yaml_err(ld, at,
                                        "a profile is one YAML document; found a second one");
                }
        }
        if ((e = fy_diag_errors_iterate(ld->fdiag, &it)) != NULL)
                return yaml_err(ld,
                                (struct yaml_pos){e->line > 0 ? (unsigned)e->line : 0,
                                                  e->column > 0 ? (unsigned)e->column : 0},
                                "YAML: %s", e->msg != NULL ? e->msg : "syntax error");
        if (ld->doc == NULL || yaml_is_empty(fy_document_root(ld->doc)))
                return yaml_err(ld, (struct yaml_pos){1, 1},
                                "empty: expected a mapping with name, atr, serial, files ...");
        return 0;
}

int prof_yaml_load(const char *source, const char *text, size_t len, scsim_profile **out,
                   scsim_diag *diag)
{
        struct yaml_loader *ld = NULL;
        struct fy_node *root, *v[TOP_FIELDS_MAX];
        struct yaml_pos kp[TOP_FIELDS_MAX], top = {1, 1};
        const char *fields[TOP_FIELDS_MAX];
        size_t nfields = top_fields_with_sections(fields);
        char msg[256];
        int rc = SCSIM_ERR_PROFILE;

        *out = NULL;
        if (diag != NULL) {
                memset(diag, 0, sizeof(*diag));
                snprintf(diag->file, sizeof(diag->file), "%s", source != NULL ? source : "");
        }
        if ((ld = calloc(1, sizeof(*ld))) == NULL)
                return SCSIM_ERR_NO_MEMORY;
        ld->diag = diag;
        if (text == NULL && len != 0) {
                yaml_err(ld, (struct yaml_pos){0, 0}, "no text");
                goto fail;
        }
        if (parse(ld, text != NULL ? text : "", len) != 0)
                goto fail;
        if ((ld->p = prof_new("")) == NULL) {
                rc = SCSIM_ERR_NO_MEMORY;
                goto fail;
        }
        root = fy_document_root(ld->doc);
        top = yaml_node_pos(root, top);
        if (yaml_fields(ld, root, top, "profile fields", fields, nfields, v, kp) != 0)
                goto fail;
        /* the MF: index 0, every top-level file and CHV/key lives there */
        snprintf(ld->files[0].name, sizeof(ld->files[0].name), "MF");
        ld->nfiles = 1;
        if (collect_df(ld, v[T_CHVS], kp[T_CHVS], v[T_KEYS], kp[T_KEYS], v[T_FILES], kp[T_FILES],
                       0) != 0)
                goto fail;
        if (build_top(ld, v, kp, top) != 0)
                goto fail;
        for (size_t i = 0; i < ld->nkeys; i++)
                if (build_key(ld, i) != 0)
                        goto fail;
        for (size_t i = 0; i < ld->nchvs; i++)
                if (build_chv(ld, i) != 0)
                        goto fail;
        if (check_puk_chains(ld) != 0)
                goto fail;
        for (size_t i = 0; i < ld->nchvs; i++) {
                const struct ent *e = &ld->chvs[i];
                if (e->v[C_RESET] == NULL)
                        continue;
                yaml_context(ld, "chv '%s'", e->name);
                if (get_rule(ld, e->v[C_RESET], e->kp[C_RESET], "reset_retry_counter",
                             &ld->p->chvs[i].reset_rule) != 0)
                        goto fail;
        }
        for (size_t i = 1; i < ld->nfiles; i++)
                if (build_file(ld, i) != 0)
                        goto fail;
        implicit_sfis(ld);
        yaml_context_clear(ld);
        if (build_sections(ld, fields + T_N, v + T_N, kp + T_N, nfields - T_N) != 0)
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
