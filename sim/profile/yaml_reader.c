/* SPDX-License-Identifier: MIT */
/* The typed field readers of yaml_reader.h: values with their positions, mistakes reported. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <libfyaml.h>

#include <scsim/err.h>
#include <scsim/hex.h>

#include "diag.h"
#include "profile/nearest.h"
#include "profile/yaml_loader.h"

int yaml_err(struct yaml_loader *ld, struct yaml_pos at, const char *fmt, ...)
{
        char msg[400]; /* leaves room for the context prefix */
        scsim_diag *d;
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (ld->nerrs == YAML_ERRORS_MAX) {
                ld->dropped++;
                return -1;
        }
        d = &ld->errs[ld->nerrs];
        memset(d, 0, sizeof(*d));
        diag_set_file(d, ld->source);
        d->line = at.line;
        d->column = at.line != 0 ? at.column : 0;
        if (ld->ctx[0] != '\0')
                snprintf(d->message, sizeof(d->message), "%s: %s", ld->ctx, msg);
        else
                snprintf(d->message, sizeof(d->message), "%s", msg);
        /* the same mistake found twice (a node read by two checks) is one mistake */
        for (size_t i = 0; i < ld->nerrs; i++)
                if (ld->errs[i].line == d->line && ld->errs[i].column == d->column &&
                    strcmp(ld->errs[i].message, d->message) == 0)
                        return -1;
        ld->nerrs++;
        return -1;
}

size_t yaml_errors(const struct yaml_loader *ld)
{
        return ld->nerrs + ld->dropped;
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
 * "unknown key 'x' (expected one of: ...)", and the nearest allowed key when
 * there is one; returns its index, or nallowed.
 */
static size_t unknown_key(struct yaml_loader *ld, struct yaml_pos at, const char *name, size_t len,
                          const char *const *allowed, size_t nallowed)
{
        const char *near = nearest_of(name, len, allowed, nallowed);
        char buf[64], list[400];
        size_t off = 0;

        list[0] = '\0';
        for (size_t j = 0; j < nallowed; j++) {
                int w = snprintf(list + off, sizeof(list) - off, "%s%s", j ? ", " : "", allowed[j]);
                if (w < 0 || (size_t)w >= sizeof(list) - off)
                        break;
                off += (size_t)w;
        }
        yaml_err(ld, at, "unknown key '%s' (expected one of: %s)%s%s%s",
                 yaml_shown(name, len, buf, sizeof(buf)), list,
                 near != NULL ? "; did you mean '" : "", near != NULL ? near : "",
                 near != NULL ? "'?" : "");
        for (size_t j = 0; near != NULL && j < nallowed; j++)
                if (allowed[j] == near)
                        return j;
        return nallowed;
}

/*
 * Check a mapping's keys against the allowed list and hand out the values by
 * index. Duplicate keys never get here: libfyaml refuses them while parsing.
 * Bad keys are reported and skipped: the values of the good ones still come
 * out, so their checks can run.
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
                size_t len = 0, i;

                if (yaml_is_empty(k) || fy_node_get_type(k) != FYNT_SCALAR || fy_node_is_alias(k)) {
                        yaml_err(ld, kpos, "keys must be plain names, got %s", yaml_kind(k));
                        continue;
                }
                name = fy_node_get_scalar(k, &len);
                for (i = 0; i < nallowed; i++)
                        if (strlen(allowed[i]) == len && memcmp(allowed[i], name, len) == 0)
                                break;
                if (i < nallowed) {
                        v[i] = fy_node_pair_value(pair);
                        kp[i] = kpos;
                        continue;
                }
                /*
                 * A typo, reported, stands in for the key it is nearest to
                 * (unless that key is there too): its value is still checked,
                 * and the key is not reported missing as well.
                 */
                i = unknown_key(ld, kpos, name, len, allowed, nallowed);
                if (i < nallowed && v[i] == NULL) {
                        v[i] = fy_node_pair_value(pair);
                        kp[i] = kpos;
                }
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
        static const char rule[] = "expected pairs of hex digits, optionally separated by spaces "
                                   "or colons";
        const char *s;
        char buf[8];
        size_t len = 0, nb = 0, bad = 0;
        int rc;

        if ((s = yaml_scalar(ld, n, at, key, "hex bytes", &len)) == NULL)
                return -1;
        at = yaml_node_pos(n, at);
        /* the text is not shown: hex fields hold keys and codes */
        rc = scsim_hex_decode(s, len, out, max, &nb, &bad);
        if (rc == SCSIM_ERR_INVALID_ARGUMENT && bad >= len)
                return yaml_err(ld, at, "%s: bad hex: the last byte has one digit; %s", key, rule);
        if (rc == SCSIM_ERR_INVALID_ARGUMENT)
                return yaml_err(ld, at, "%s: bad hex: '%s' at character %zu; %s", key,
                                yaml_shown(s + bad, 1, buf, sizeof(buf)), bad + 1, rule);
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

int yaml_version(struct yaml_loader *ld, struct fy_node *n, struct yaml_pos at, const char *key,
                 uint8_t out[3])
{
        const char *s;
        char buf[64];
        size_t len = 0, i = 0;

        if ((s = yaml_scalar(ld, n, at, key, "a version like 5.4.3", &len)) == NULL)
                return -1;
        for (int part = 0; part < 3; part++) {
                unsigned v = 0;
                size_t start = i;
                while (i < len && s[i] >= '0' && s[i] <= '9' && i - start < 3)
                        v = v * 10 + (unsigned)(s[i++] - '0');
                if (i == start || v > 255 || (part < 2 && (i >= len || s[i++] != '.')))
                        goto bad;
                out[part] = (uint8_t)v;
        }
        if (i == len)
                return 0;
bad:
        return yaml_err(ld, yaml_node_pos(n, at),
                        "%s: expected three numbers 0..255 like 5.4.3, got '%s'", key,
                        yaml_shown(s, len, buf, sizeof(buf)));
}
