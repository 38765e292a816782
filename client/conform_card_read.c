/* SPDX-License-Identifier: MIT */
/* The card description reader's parts: positions, fields, scalars, hex, rules. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfyaml.h>
#include <openssl/crypto.h>

#include "conform_card_yaml.h"

int cfy_err(struct cfy *y, struct fy_node *at, const char *fmt, ...)
{
        char msg[300];
        unsigned line = 0, col = 0;
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        cfy_pos(at, &line, &col);
        if (line > 0)
                snprintf(y->err, y->errcap, "%s:%u:%u: %s", y->src, line, col, msg);
        else
                snprintf(y->err, y->errcap, "%s: %s", y->src, msg);
        return -1;
}

void cfy_pos(struct fy_node *n, unsigned *line, unsigned *col)
{
        struct fy_token *t;
        const struct fy_mark *m;
        void *it = NULL;

        if (n == NULL)
                return;
        switch (fy_node_get_type(n)) {
        case FYNT_SCALAR:
                if ((t = fy_node_get_scalar_token(n)) != NULL &&
                    (m = fy_token_start_mark(t)) != NULL) {
                        *line = (unsigned)m->line + 1;
                        *col = (unsigned)m->column + 1;
                }
                return;
        case FYNT_SEQUENCE:
                cfy_pos(fy_node_sequence_iterate(n, &it), line, col);
                return;
        case FYNT_MAPPING: {
                struct fy_node_pair *p = fy_node_mapping_iterate(n, &it);
                if (p != NULL)
                        cfy_pos(fy_node_pair_key(p), line, col);
                return;
        }
        }
}

/* The value of each known key of a mapping into v (NULL when absent); unknown keys are errors. */
int cfy_fields(struct cfy *y, struct fy_node *map, const char *what, const char *const *names,
               size_t n, struct fy_node **v)
{
        struct fy_node_pair *p;
        void *it = NULL;
        char list[400];
        size_t used = 0;

        for (size_t i = 0; i < n; i++)
                v[i] = NULL;
        if (map == NULL || fy_node_get_type(map) != FYNT_MAPPING)
                return cfy_err(y, map, "%s: expected a mapping", what);
        while ((p = fy_node_mapping_iterate(map, &it)) != NULL) {
                const char *k = cfy_str(fy_node_pair_key(p), NULL);
                size_t i;

                for (i = 0; k != NULL && i < n; i++)
                        if (strcmp(k, names[i]) == 0)
                                break;
                if (k != NULL && i < n) {
                        v[i] = fy_node_pair_value(p);
                        continue;
                }
                list[0] = '\0';
                for (size_t j = 0; j < n && used < sizeof(list); j++)
                        used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
                                                 j > 0 ? ", " : "", names[j]);
                return cfy_err(y, fy_node_pair_key(p), "%s: unknown key '%s' (expected one of: %s)",
                               what, k != NULL ? k : "?", list);
        }
        return 0;
}

/* A scalar's text, NUL-terminated (libfyaml's own copy), or NULL when n is no plain scalar. */
const char *cfy_str(struct fy_node *n, size_t *len)
{
        const char *s;

        if (n == NULL || fy_node_get_type(n) != FYNT_SCALAR || fy_node_is_alias(n))
                return NULL;
        /* the NUL-terminated copy, and the scalar's own length: content may hold a \0 */
        s = fy_node_get_scalar0(n);
        if (s != NULL && len != NULL)
                *len = fy_node_get_scalar_length(n);
        return s;
}

int cfy_text(struct cfy *y, struct fy_node *n, const char *what, char *out, size_t cap)
{
        const char *s = cfy_str(n, NULL);

        if (s == NULL)
                return cfy_err(y, n, "%s: expected text", what);
        if (strlen(s) >= cap)
                return cfy_err(y, n, "%s: longer than %zu bytes", what, cap - 1);
        memcpy(out, s, strlen(s) + 1);
        return 0;
}

/* Hex bytes, spaces or colons allowed between bytes. */
int cfy_hex(struct cfy *y, struct fy_node *n, const char *what, uint8_t *out, size_t min,
            size_t cap, size_t *len)
{
        const char *s = cfy_str(n, NULL);
        size_t k = 0;

        if (s == NULL)
                return cfy_err(y, n, "%s: expected hex bytes in quotes (\"3F 00\")", what);
        for (size_t i = 0; s[i] != '\0';) {
                int hi, lo;

                if (s[i] == ' ' || s[i] == ':') {
                        i++;
                        continue;
                }
                hi = OPENSSL_hexchar2int((unsigned char)s[i]);
                lo = s[i + 1] != '\0' ? OPENSSL_hexchar2int((unsigned char)s[i + 1]) : -1;
                if (hi < 0 || lo < 0)
                        return cfy_err(y, n, "%s: '%s' is not hex bytes (two digits a byte)", what,
                                       s);
                if (k == cap)
                        return cfy_err(y, n, "%s: more than %zu bytes", what, cap);
                out[k++] = (uint8_t)(hi << 4 | lo);
                i += 2;
        }
        if (k < min)
                return cfy_err(y, n, "%s: at least %zu bytes expected, got %zu", what, min, k);
        *len = k;
        return 0;
}

int cfy_uint(struct cfy *y, struct fy_node *n, const char *what, unsigned long lo, unsigned long hi,
             unsigned long *out)
{
        const char *s = cfy_str(n, NULL);
        char *end;

        errno = 0;
        if (s != NULL && s[0] >= '0' && s[0] <= '9') {
                *out = strtoul(s, &end, 10);
                if (errno == 0 && *end == '\0' && *out >= lo && *out <= hi)
                        return 0;
        }
        return cfy_err(y, n, "%s: expected a number %lu..%lu", what, lo, hi);
}

int cfy_bool(struct cfy *y, struct fy_node *n, const char *what, bool *out)
{
        const char *s = cfy_str(n, NULL);

        if (s != NULL && strcmp(s, "true") == 0)
                *out = true;
        else if (s != NULL && strcmp(s, "false") == 0)
                *out = false;
        else
                return cfy_err(y, n, "%s: expected true or false", what);
        return 0;
}

/* Names of things rules and unblock codes point at are resolved after every DF was walked. */
int cfy_find_named(const struct cf_card *c, const char *kind, const char *name)
{
        if (strcmp(kind, "chv") == 0) {
                for (size_t i = 0; i < c->nchvs; i++)
                        if (strcmp(c->chvs[i].name, name) == 0)
                                return (int)i;
        } else {
                for (size_t i = 0; i < c->nkeys; i++)
                        if (strcmp(c->keys[i].name, name) == 0)
                                return (int)i;
        }
        return -1;
}

int cfy_rule(struct cfy *y, struct fy_node *n, const char *what, struct cf_rule *out, int depth)
{
        static const char *const kinds[] = {"chv", "key", "any", "all"};
        struct fy_node *v[4];
        const char *s = cfy_str(n, NULL);
        size_t which = 4;

        memset(out, 0, sizeof(*out));
        if (s != NULL && (strcmp(s, "always") == 0 || strcmp(s, "never") == 0)) {
                out->kind = s[0] == 'a' ? CF_R_ALWAYS : CF_R_NEVER;
                return 0;
        }
        if (depth > 4)
                return cfy_err(y, n, "%s: rules nest at most 4 deep", what);
        if (n == NULL || fy_node_get_type(n) != FYNT_MAPPING || fy_node_mapping_item_count(n) != 1)
                return cfy_err(y, n,
                               "%s: expected always, never, {chv: NAME}, {key: NAME}, "
                               "{any: [...]} or {all: [...]}",
                               what);
        if (cfy_fields(y, n, what, kinds, 4, v) != 0)
                return -1;
        for (size_t i = 0; i < 4; i++)
                if (v[i] != NULL)
                        which = i;
        if (which < 2) {
                const char *name = cfy_str(v[which], NULL);
                out->kind = which == 0 ? CF_R_CHV : CF_R_KEY;
                if (name == NULL || (out->index = cfy_find_named(y->card, kinds[which], name)) < 0)
                        return cfy_err(y, v[which], "%s: no %s named '%s'", what, kinds[which],
                                       name != NULL ? name : "?");
                return 0;
        }
        return cfy_rule_list(y, v[which], what, out, which == 2 ? CF_R_ANY : CF_R_ALL, depth);
}

int cfy_rule_list(struct cfy *y, struct fy_node *seq, const char *what, struct cf_rule *out,
                  enum cf_rule_kind kind, int depth)
{
        struct fy_node *item;
        void *it = NULL;
        int count;

        out->kind = kind;
        if (seq == NULL || fy_node_get_type(seq) != FYNT_SEQUENCE ||
            (count = fy_node_sequence_item_count(seq)) < 1 || count > CF_RULE_TERMS)
                return cfy_err(y, seq, "%s: any/all take a list of 1..%d rules", what,
                               CF_RULE_TERMS);
        if ((out->sub = calloc((size_t)count, sizeof(*out->sub))) == NULL)
                return cfy_err(y, seq, "out of memory");
        while ((item = fy_node_sequence_iterate(seq, &it)) != NULL)
                if (cfy_rule(y, item, what, &out->sub[out->n++], depth + 1) != 0)
                        return -1;
        return 0;
}
