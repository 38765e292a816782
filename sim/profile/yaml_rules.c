/* SPDX-License-Identifier: MIT */
/* Access rules of a profile: always, never, a CHV, a key, any-of and all-of, interned in a pool. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <libfyaml.h>

#include "profile/yaml_loader.h"

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
        if ((idx = prof_add_rule(ld->p, r)) < 0) {
                /* once: every later rule would say the same */
                if ((ld->full & FULL_RULES) == 0)
                        yaml_err(ld, at,
                                 "%s: too many distinct access rules (at most %d besides always "
                                 "and never)",
                                 key, PROF_RULES_MAX - 2);
                ld->full |= FULL_RULES;
                return -1;
        }
        *out = (uint16_t)idx;
        return 0;
}

static const char rule_forms[] =
    "always, never, {chv: NAME}, {key: NAME}, {any: [RULES]} or {all: [RULES]}";

static const char *const rule_words[] = {"chv", "key", "any", "all"};

/* always or never: the two fixed rules. */
static int rule_word(struct yaml_loader *ld, struct fy_node *n, struct yaml_pos at, const char *key,
                     uint16_t *out)
{
        const char *s;
        char buf[64];
        size_t len = 0;

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

/* {chv: NAME} (a verifiable CHV) or {key: NAME}. */
static int rule_named(struct yaml_loader *ld, bool chv, struct fy_node *v, struct yaml_pos at,
                      const char *key, uint16_t *out)
{
        struct prof_rule r;
        const char *s;
        char buf[64];
        size_t len = 0;
        int idx;

        memset(&r, 0, sizeof(r));
        if ((s = yaml_scalar(ld, v, at, key, chv ? "a CHV name" : "a key name", &len)) == NULL)
                return -1;
        if (chv) {
                idx = find_ent(ld->chvs, ld->nchvs, s, len);
                if (idx < 0)
                        return yaml_err(ld, yaml_node_pos(v, at), "%s: no chv named '%s'", key,
                                        yaml_shown(s, len, buf, sizeof(buf)));
                if (!ld->chvs[idx].verifiable)
                        return yaml_err(ld, yaml_node_pos(v, at),
                                        "%s: chv '%s' is not verifiable (it has no reference "
                                        "or verifiable: false)",
                                        key, ld->chvs[idx].name);
                r.kind = PROF_RULE_CHV;
        } else {
                idx = find_ent(ld->keys, ld->nkeys, s, len);
                if (idx < 0)
                        return yaml_err(ld, yaml_node_pos(v, at), "%s: no key named '%s'", key,
                                        yaml_shown(s, len, buf, sizeof(buf)));
                r.kind = PROF_RULE_KEY;
        }
        r.arg = (uint16_t)idx;
        return intern_rule(ld, &r, at, key, out);
}

/* {any: [RULES]} or {all: [RULES]}: 1..8 terms, each a rule. */
static int rule_list(struct yaml_loader *ld, size_t which, struct fy_node *v, struct yaml_pos at,
                     const char *key, uint16_t *out)
{
        struct prof_rule r;
        void *it = NULL;
        bool bad = false;

        memset(&r, 0, sizeof(r));
        r.kind = which == 2 ? PROF_RULE_ANY : PROF_RULE_ALL;
        if (yaml_is_empty(v) || fy_node_get_type(v) != FYNT_SEQUENCE)
                return yaml_err(ld, yaml_node_pos(v, at),
                                "%s: %s takes a list of 1..%d rules, got %s", key,
                                rule_words[which], PROF_RULE_TERMS_MAX, yaml_kind(v));
        if (fy_node_sequence_item_count(v) < 1 ||
            fy_node_sequence_item_count(v) > PROF_RULE_TERMS_MAX)
                return yaml_err(
                    ld, yaml_node_pos(v, at), "%s: %s takes a list of 1..%d rules, got %d", key,
                    rule_words[which], PROF_RULE_TERMS_MAX, fy_node_sequence_item_count(v));
        /* every term is checked, so each bad one is reported */
        for (struct fy_node *t; (t = fy_node_sequence_iterate(v, &it)) != NULL;) {
                uint16_t term = PROF_RULE_NEVER_IDX;
                if (get_rule(ld, t, yaml_node_pos(v, at), key, &term) != 0)
                        bad = true;
                r.terms[r.nterms++] = term;
        }
        return bad ? -1 : intern_rule(ld, &r, at, key, out);
}

int get_rule(struct yaml_loader *ld, struct fy_node *n, struct yaml_pos at, const char *key,
             uint16_t *out)
{
        struct fy_node_pair *pair;
        void *it = NULL;
        size_t which = 0;

        at = yaml_node_pos(n, at);
        if (!yaml_is_empty(n) && fy_node_get_type(n) == FYNT_SCALAR)
                return rule_word(ld, n, at, key, out);
        if (yaml_is_empty(n) || fy_node_get_type(n) != FYNT_MAPPING ||
            fy_node_mapping_item_count(n) != 1)
                return yaml_err(ld, at, "%s: expected %s, got %s", key, rule_forms,
                                yaml_is_empty(n) || fy_node_get_type(n) != FYNT_MAPPING
                                    ? yaml_kind(n)
                                    : "a mapping with more than one key");
        pair = fy_node_mapping_iterate(n, &it);
        if (yaml_enum(ld, fy_node_pair_key(pair), at, key, rule_words, 4, &which) != 0)
                return -1;
        if (which <= 1)
                return rule_named(ld, which == 0, fy_node_pair_value(pair), at, key, out);
        return rule_list(ld, which, fy_node_pair_value(pair), at, key, out);
}
