/* SPDX-License-Identifier: MIT */
/* The card description reader's parts, shared by the core format and the application sections. */
#ifndef SCSIM_CLIENT_CONFORM_CARD_YAML_H
#define SCSIM_CLIENT_CONFORM_CARD_YAML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libfyaml.h>

#include "conform_card.h"

struct cfy {
        const char *src;
        char *err;
        size_t errcap;
        struct fy_diag *diag;
        struct fy_parser *fyp;
        struct fy_document *doc;
        struct cf_card *card;
        struct fy_node *chv_node[CF_CHVS_MAX];
        struct fy_node *file_node[CF_FILES_MAX];
};

/* "file:line:column: message" into y->err; returns -1. */
int cfy_err(struct cfy *y, struct fy_node *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void cfy_pos(struct fy_node *n, unsigned *line, unsigned *col);
int cfy_fields(struct cfy *y, struct fy_node *map, const char *what, const char *const *names,
               size_t n, struct fy_node **v);
const char *cfy_str(struct fy_node *n, size_t *len);
int cfy_text(struct cfy *y, struct fy_node *n, const char *what, char *out, size_t cap);
int cfy_hex(struct cfy *y, struct fy_node *n, const char *what, uint8_t *out, size_t min,
            size_t cap, size_t *len);
int cfy_uint(struct cfy *y, struct fy_node *n, const char *what, unsigned long lo, unsigned long hi,
             unsigned long *out);
int cfy_bool(struct cfy *y, struct fy_node *n, const char *what, bool *out);
/* The index of the CHV (kind "chv") or key ("key") of that name, -1 when none. */
int cfy_find_named(const struct cf_card *c, const char *kind, const char *name);
int cfy_rule(struct cfy *y, struct fy_node *n, const char *what, struct cf_rule *out, int depth);
int cfy_rule_list(struct cfy *y, struct fy_node *seq, const char *what, struct cf_rule *out,
                  enum cf_rule_kind kind, int depth);

/* The application sections: what the suites need of them; keys they do not use are passed over. */
int cfy_read_piv(struct cfy *y, struct fy_node *map);
int cfy_read_openpgp(struct cfy *y, struct fy_node *map);

#endif
