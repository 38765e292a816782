/* SPDX-License-Identifier: MIT */
/* CHVs and keys of a profile: collected by name, then built and checked field by field. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <libfyaml.h>
#include <openssl/crypto.h>

#include "profile/yaml_loader.h"

static const char *const chv_fields[C_N] = {
    "reference",        "verifiable", "value", "value_hex",           "length",      "format",
    "padding",          "retries",    "puk",   "reset_retry_counter", "may_disable", "enabled",
    "keep_on_deselect", "malformed",
};

static const char *const key_fields[K_N] = {
    "reference", "algorithm", "value", "retries", "keep_on_deselect",
};

/* First pass over one "chvs:" mapping: names, bounds and fields, nothing built yet. */
void collect_chvs(struct yaml_loader *ld, struct fy_node *map, struct yaml_pos at, uint16_t df)
{
        struct fy_node_pair *pair;
        void *it = NULL;

        if (!collect_mapping(ld, map, at, ENT_CHV))
                return;
        while ((pair = fy_node_mapping_iterate(map, &it)) != NULL) {
                struct ent *e = collect_fields(ld, ENT_CHV, pair, at, df, chv_fields, C_N);
                if (e == NULL)
                        continue;
                e->verifiable = e->v[C_REFERENCE] != NULL;
                if (e->v[C_VERIFIABLE] != NULL)
                        yaml_bool(ld, e->v[C_VERIFIABLE], e->kp[C_VERIFIABLE], "verifiable",
                                  &e->verifiable);
                if (e->verifiable && e->v[C_REFERENCE] == NULL)
                        yaml_err(ld, e->kp[C_VERIFIABLE],
                                 "verifiable: a CHV without a reference cannot be verified");
                yaml_context_clear(ld);
        }
}

void collect_keys(struct yaml_loader *ld, struct fy_node *map, struct yaml_pos at, uint16_t df)
{
        struct fy_node_pair *pair;
        void *it = NULL;

        if (!collect_mapping(ld, map, at, ENT_KEY))
                return;
        while ((pair = fy_node_mapping_iterate(map, &it)) != NULL)
                if (collect_fields(ld, ENT_KEY, pair, at, df, key_fields, K_N) != NULL)
                        yaml_context_clear(ld);
}

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

/* A reference unique in its scope among the entries before it; 0xFF when it is not usable. */
static uint8_t unique_ref(struct yaml_loader *ld, const struct ent *e, struct fy_node *n,
                          struct yaml_pos at, bool key, size_t i)
{
        uint8_t ref = 0;

        if (get_ref(ld, n, at, e->df, &ref) != 0)
                return 0xff; /* b7 set: no valid reference equals it */
        for (size_t j = 0; j < i; j++) {
                bool same = key ? ld->p->keys[j].ref == ref && ld->p->keys[j].df == e->df
                                : ld->p->chvs[j].has_ref && ld->p->chvs[j].ref == ref &&
                                      ld->p->chvs[j].df == e->df;
                if (same) {
                        yaml_err(ld, yaml_node_pos(n, at),
                                 "reference %02X is already used by %s '%s' in %s", ref,
                                 key ? "key" : "chv",
                                 key ? ld->p->keys[j].name : ld->p->chvs[j].name,
                                 scope_name(ld, e->df));
                        return 0xff;
                }
        }
        return ref;
}

/* Each required field of entry e that is absent (fields[idx[i]]), reported at its name. */
static void required(struct yaml_loader *ld, const struct ent *e, const char *const *fields,
                     const int *idx, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (e->v[idx[i]] == NULL)
                        yaml_err(ld, e->pos, "missing '%s'", fields[idx[i]]);
}

/*
 * Key i into the profile, placeholder or not: every field is checked on its
 * own, so one mistake does not hide the next.
 */
void build_key(struct yaml_loader *ld, size_t i)
{
        static const char *const algs[] = {"aes-128"};
        static const int needed[] = {K_REFERENCE, K_ALGORITHM, K_VALUE, K_RETRIES};
        struct ent *e = &ld->keys[i];
        size_t before = yaml_errors(ld), alg = 0;
        struct prof_key k;
        unsigned long retries = 0;

        memset(&k, 0, sizeof(k));
        yaml_context(ld, "key '%s'", e->name);
        memcpy(k.name, e->name, sizeof(k.name));
        k.df = e->df;
        k.ref = 0xff;
        k.alg = PROF_KEY_AES128;
        if (!e->bad) {
                required(ld, e, key_fields, needed, 4);
                if (e->v[K_REFERENCE] != NULL)
                        k.ref = unique_ref(ld, e, e->v[K_REFERENCE], e->kp[K_REFERENCE], true, i);
                if (e->v[K_ALGORITHM] != NULL)
                        yaml_enum(ld, e->v[K_ALGORITHM], e->kp[K_ALGORITHM], "algorithm", algs, 1,
                                  &alg);
                if (e->v[K_VALUE] != NULL)
                        yaml_hex(ld, e->v[K_VALUE], e->kp[K_VALUE], "value", k.value, 16, 16,
                                 &k.value_len);
                if (e->v[K_RETRIES] != NULL && yaml_uint(ld, e->v[K_RETRIES], e->kp[K_RETRIES],
                                                         "retries", 1, 15, &retries) == 0)
                        k.retries = (uint8_t)retries;
                if (e->v[K_KEEP] != NULL &&
                    yaml_bool(ld, e->v[K_KEEP], e->kp[K_KEEP], "keep_on_deselect",
                              &k.keep_on_deselect) == 0 &&
                    e->df == 0)
                        yaml_err(ld, e->kp[K_KEEP],
                                 "keep_on_deselect applies to keys inside a DF; a global key "
                                 "is never cleared by a select");
        }
        if (prof_add_key(ld->p, &k) != (int)i)
                yaml_err(ld, e->pos, "too many keys");
        e->built = !e->bad && yaml_errors(ld) == before;
        OPENSSL_cleanse(&k, sizeof(k));
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

static const char *const chv_formats[] = {"digits", "alnum", "bytes"};
static const char *const chv_paddings[] = {"none", "FF", "00"};
static const char *const chv_malformed[] = {"refused", "wrong"};

/* The fields a CHV cannot do without. */
static void chv_required(struct yaml_loader *ld, const struct ent *e)
{
        static const int needed[] = {C_LENGTH, C_RETRIES};

        if (e->v[C_VALUE] == NULL && e->v[C_VALUE_HEX] == NULL)
                yaml_err(ld, e->pos, "missing 'value' (text) or 'value_hex'");
        if (e->v[C_VALUE] != NULL && e->v[C_VALUE_HEX] != NULL)
                yaml_err(ld, e->kp[C_VALUE_HEX], "give 'value' or 'value_hex', not both");
        required(ld, e, chv_fields, needed, 2);
}

/*
 * length, format and padding: how the code is presented; malformed: what a
 * code that breaks them is. 0 when all are usable.
 */
static int chv_shape(struct yaml_loader *ld, const struct ent *e, struct prof_chv *c)
{
        size_t w = 0;
        int ok = 0;

        if (e->v[C_LENGTH] == NULL ||
            get_length(ld, e->v[C_LENGTH], e->kp[C_LENGTH], &c->min_len, &c->max_len) != 0)
                ok = -1;
        if (e->v[C_FORMAT] != NULL) {
                if (yaml_enum(ld, e->v[C_FORMAT], e->kp[C_FORMAT], "format", chv_formats, 3, &w) ==
                    0)
                        c->format = (enum prof_chv_format)w;
                else
                        ok = -1;
        }
        if (e->v[C_PADDING] != NULL) {
                if (yaml_enum(ld, e->v[C_PADDING], e->kp[C_PADDING], "padding", chv_paddings, 3,
                              &w) == 0)
                        c->padding = (enum prof_chv_padding)w;
                else
                        ok = -1;
        }
        if (e->v[C_MALFORMED] != NULL) {
                if (yaml_enum(ld, e->v[C_MALFORMED], e->kp[C_MALFORMED], "malformed", chv_malformed,
                              2, &w) == 0)
                        c->malformed_is_wrong = w == 1;
                else
                        ok = -1;
        }
        return ok;
}

/* value (text) or value_hex into c->value; *vp is where the value is. */
static int chv_value(struct yaml_loader *ld, const struct ent *e, struct prof_chv *c,
                     struct yaml_pos *vp)
{
        const char *s;
        size_t len = 0;

        if (e->v[C_VALUE] != NULL && e->v[C_VALUE_HEX] != NULL)
                return -1; /* reported as required */
        if (e->v[C_VALUE] == NULL) {
                if (e->v[C_VALUE_HEX] == NULL)
                        return -1;
                *vp = yaml_node_pos(e->v[C_VALUE_HEX], e->kp[C_VALUE_HEX]);
                return yaml_hex(ld, e->v[C_VALUE_HEX], e->kp[C_VALUE_HEX], "value_hex", c->value, 1,
                                PROF_CHV_MAX_LEN, &c->value_len);
        }
        *vp = yaml_node_pos(e->v[C_VALUE], e->kp[C_VALUE]);
        if (yaml_text(ld, e->v[C_VALUE], e->kp[C_VALUE], "value", &s, &len) != 0)
                return -1;
        if (len > PROF_CHV_MAX_LEN)
                return yaml_err(ld, *vp, "value is %zu bytes; a CHV holds at most %d", len,
                                PROF_CHV_MAX_LEN);
        memcpy(c->value, s, len);
        c->value_len = len;
        return 0;
}

/* The initial value must be one a card-holder could present. */
static int chv_value_fits(struct yaml_loader *ld, const struct prof_chv *c, struct yaml_pos vp)
{
        if (c->value_len < c->min_len || c->value_len > c->max_len)
                return yaml_err(ld, vp, "value is %zu bytes long; length allows %zu..%zu",
                                c->value_len, c->min_len, c->max_len);
        if (!prof_chv_value_ok(c, c->value, c->value_len))
                return yaml_err(
                    ld, vp, "value does not match format %s (%s)", chv_formats[c->format],
                    c->format == PROF_CHV_DIGITS ? "ASCII digits 0..9" : "printable ASCII, 20..7E");
        if (c->padding != PROF_PAD_NONE && c->value_len > 0 &&
            c->value[c->value_len - 1] == (c->padding == PROF_PAD_FF ? 0xff : 0x00))
                return yaml_err(ld, vp,
                                "value ends with the padding byte %s, so it could never be "
                                "presented",
                                chv_paddings[c->padding]);
        return 0;
}

/* puk: another CHV, which has no unblock code of its own. */
static void chv_puk(struct yaml_loader *ld, const struct ent *e, size_t i, struct prof_chv *c)
{
        const char *s;
        char buf[64];
        size_t len = 0;
        struct yaml_pos vp;
        int puk;

        if (e->v[C_PUK] == NULL ||
            (s = yaml_scalar(ld, e->v[C_PUK], e->kp[C_PUK], "puk", "a CHV name", &len)) == NULL)
                return;
        vp = yaml_node_pos(e->v[C_PUK], e->kp[C_PUK]);
        puk = find_ent(ld->chvs, ld->nchvs, s, len);
        if (puk < 0)
                yaml_err(ld, vp, "puk: no chv named '%s'", yaml_shown(s, len, buf, sizeof(buf)));
        else if ((size_t)puk == i)
                yaml_err(ld, vp, "puk: a CHV cannot be its own unblock code");
        else if (ld->chvs[puk].v[C_PUK] != NULL)
                yaml_err(ld, vp,
                         "puk: chv '%s' has an unblock code of its own; an unblock "
                         "code cannot have one",
                         ld->chvs[puk].name);
        else
                c->puk = (uint16_t)puk;
}

/* may_disable, enabled, keep_on_deselect: for verifiable CHVs only. */
static void chv_flags(struct yaml_loader *ld, const struct ent *e, struct prof_chv *c)
{
        static const int verify_only[] = {C_RESET, C_MAY_DISABLE, C_ENABLED, C_KEEP};

        if (e->v[C_MAY_DISABLE] != NULL)
                yaml_bool(ld, e->v[C_MAY_DISABLE], e->kp[C_MAY_DISABLE], "may_disable",
                          &c->may_disable);
        if (e->v[C_ENABLED] != NULL)
                yaml_bool(ld, e->v[C_ENABLED], e->kp[C_ENABLED], "enabled", &c->enabled);
        if (e->v[C_KEEP] != NULL &&
            yaml_bool(ld, e->v[C_KEEP], e->kp[C_KEEP], "keep_on_deselect", &c->keep_on_deselect) ==
                0 &&
            e->df == 0)
                yaml_err(ld, e->kp[C_KEEP],
                         "keep_on_deselect applies to CHVs inside a DF; a global "
                         "CHV is never cleared by a select");
        if (c->verifiable)
                return;
        for (size_t j = 0; j < sizeof(verify_only) / sizeof(verify_only[0]); j++)
                if (e->v[verify_only[j]] != NULL)
                        yaml_err(ld, e->kp[verify_only[j]],
                                 "%s applies only to a verifiable CHV (one with a reference)",
                                 chv_fields[verify_only[j]]);
}

/*
 * CHV i into the profile, placeholder or not. Each field is checked on its
 * own; whether the value fits is asked only of a value, length, format and
 * padding that were all good.
 */
void build_chv(struct yaml_loader *ld, size_t i)
{
        struct ent *e = &ld->chvs[i];
        size_t before = yaml_errors(ld);
        struct prof_chv c;
        struct yaml_pos vp = e->pos;
        unsigned long retries = 0;
        int shape, value;

        memset(&c, 0, sizeof(c));
        yaml_context(ld, "chv '%s'", e->name);
        memcpy(c.name, e->name, sizeof(c.name));
        c.df = e->df;
        c.verifiable = e->verifiable;
        c.puk = PROF_NONE;
        c.reset_rule = PROF_RULE_NEVER_IDX; /* compiled later: rules may name any CHV */
        c.enabled = true;
        if (!e->bad) {
                chv_required(ld, e);
                if (e->v[C_REFERENCE] != NULL) {
                        c.ref = unique_ref(ld, e, e->v[C_REFERENCE], e->kp[C_REFERENCE], false, i);
                        c.has_ref = c.ref != 0xff;
                }
                shape = chv_shape(ld, e, &c);
                value = chv_value(ld, e, &c, &vp);
                if (shape == 0 && value == 0)
                        chv_value_fits(ld, &c, vp);
                if (e->v[C_RETRIES] != NULL && yaml_uint(ld, e->v[C_RETRIES], e->kp[C_RETRIES],
                                                         "retries", 1, 15, &retries) == 0)
                        c.retries = (uint8_t)retries;
                chv_puk(ld, e, i, &c);
                chv_flags(ld, e, &c);
        }
        if (prof_add_chv(ld->p, &c) != (int)i)
                yaml_err(ld, e->pos, "too many CHVs");
        e->built = !e->bad && yaml_errors(ld) == before;
        OPENSSL_cleanse(&c, sizeof(c));
}
