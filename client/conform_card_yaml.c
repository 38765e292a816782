/* SPDX-License-Identifier: MIT */
/*
 * Reads a card description: scsim's profile format, walked with libfyaml on
 * its own (the suites learn the card from this file, never from the
 * simulator's code), every mistake reported at file:line:column.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfyaml.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "conform_card.h"
#include "conform_card_yaml.h"

/* Descriptions are small; a bigger file is a mistake, not a card. */
#define CF_FILE_MAX (1024 * 1024)

/* yubikey: the device a YubiKey management application reports; no suite reads it. */
static const char *const top_keys[] = {
    "name", "label", "atr", "historical_bytes", "serial",  "chvs",
    "keys", "files", "piv", "openpgp",          "yubikey",
};
enum {
        TOP_NAME,
        TOP_LABEL,
        TOP_ATR,
        TOP_HIST,
        TOP_SERIAL,
        TOP_CHVS,
        TOP_KEYS,
        TOP_FILES,
        TOP_PIV,
        TOP_OPGP,
        TOP_YUBIKEY,
        TOP_N
};

static const char *const file_keys[] = {
    "type", "fid",    "aid",  "sfi",  "size",  "content",     "content_hex",
    "read", "update", "chvs", "keys", "files", "application",
};
enum {
        FL_TYPE,
        FL_FID,
        FL_AID,
        FL_SFI,
        FL_SIZE,
        FL_CONTENT,
        FL_HEX,
        FL_READ,
        FL_UPDATE,
        FL_CHVS,
        FL_KEYS,
        FL_FILES,
        FL_APP,
        FL_N
};

static const char *const chv_keys[] = {
    "reference",        "verifiable", "value", "value_hex",           "length",      "format",
    "padding",          "retries",    "puk",   "reset_retry_counter", "may_disable", "enabled",
    "keep_on_deselect", "malformed",
};
/*
 * malformed: how the card answers a malformed code (refused, the standard's
 * 6A80; or wrong, a try spent, as a YubiKey does): piv.verify.format holds
 * the card to what its description says.
 */
enum {
        CV_REF,
        CV_VERIFIABLE,
        CV_VALUE,
        CV_HEX,
        CV_LENGTH,
        CV_FORMAT,
        CV_PADDING,
        CV_RETRIES,
        CV_PUK,
        CV_RRC,
        CV_DISABLE,
        CV_ENABLED,
        CV_KEEP,
        CV_MALFORMED,
        CV_N
};

static const char *const key_keys[] = {"reference", "algorithm", "value", "retries",
                                       "keep_on_deselect"};
enum { KY_REF, KY_ALG, KY_VALUE, KY_RETRIES, KY_KEEP, KY_N };

/* A reference byte "81": b8 the scope, b5..b1 the number. */
static int get_ref(struct cfy *y, struct fy_node *n, const char *what, int *ref)
{
        uint8_t b;
        size_t len;

        if (cfy_hex(y, n, what, &b, 1, 1, &len) != 0)
                return -1;
        if ((b & 0x60) != 0)
                return cfy_err(y, n, "%s: %02X is no reference (b7 and b6 must be 0)", what, b);
        *ref = b;
        return 0;
}

static int name_ok(struct cfy *y, struct fy_node *k, char *out)
{
        const char *s = cfy_str(k, NULL);

        if (s == NULL || s[0] == '\0' || strlen(s) >= CF_NAME_MAX)
                return cfy_err(y, k, "expected a name of 1..%d characters", CF_NAME_MAX - 1);
        memcpy(out, s, strlen(s) + 1);
        return 0;
}

/* "6..8" or "4": CHV lengths without padding. */
static int get_length(struct cfy *y, struct fy_node *n, struct cf_chv *c)
{
        const char *s = cfy_str(n, NULL);
        unsigned long a, b;
        char *end;

        if (s == NULL)
                return cfy_err(y, n, "length: expected N or MIN..MAX");
        a = strtoul(s, &end, 10);
        b = a;
        if (end != s && strncmp(end, "..", 2) == 0) {
                const char *m = end + 2;
                b = strtoul(m, &end, 10);
                if (end == m)
                        b = 0;
        }
        if (end == s || *end != '\0' || a < 1 || b < a || b > CF_CODE_MAX)
                return cfy_err(y, n, "length: expected N or MIN..MAX within 1..%d, got '%s'",
                               CF_CODE_MAX, s);
        c->min = a;
        c->max = b;
        return 0;
}

static int chv_value(struct cfy *y, struct fy_node **v, struct cf_chv *c)
{
        size_t len = 0;
        const char *s;

        if (v[CV_VALUE] != NULL && v[CV_HEX] != NULL)
                return cfy_err(y, v[CV_HEX], "give value or value_hex, not both");
        if (v[CV_VALUE] != NULL) {
                if ((s = cfy_str(v[CV_VALUE], &len)) == NULL || len == 0 || len > CF_CODE_MAX)
                        return cfy_err(y, v[CV_VALUE], "value: expected 1..%d characters",
                                       CF_CODE_MAX);
                memcpy(c->value, s, len);
        } else if (v[CV_HEX] != NULL) {
                if (cfy_hex(y, v[CV_HEX], "value_hex", c->value, 1, CF_CODE_MAX, &len) != 0)
                        return -1;
        }
        c->has_value = len > 0;
        c->len = len;
        return 0;
}

static int chv_format(struct cfy *y, struct fy_node **v, struct cf_chv *c)
{
        const char *s;
        size_t len;
        uint8_t pad;

        c->fmt = CF_FMT_DIGITS;
        if ((s = cfy_str(v[CV_FORMAT], NULL)) != NULL) {
                if (strcmp(s, "alnum") == 0)
                        c->fmt = CF_FMT_ALNUM;
                else if (strcmp(s, "bytes") == 0)
                        c->fmt = CF_FMT_BYTES;
                else if (strcmp(s, "digits") != 0)
                        return cfy_err(y, v[CV_FORMAT], "format: expected digits, alnum or bytes");
        } else if (v[CV_FORMAT] != NULL) {
                return cfy_err(y, v[CV_FORMAT], "format: expected digits, alnum or bytes");
        }
        c->pad = -1;
        if ((s = cfy_str(v[CV_PADDING], NULL)) != NULL && strcmp(s, "none") != 0) {
                if (cfy_hex(y, v[CV_PADDING], "padding", &pad, 1, 1, &len) != 0 ||
                    (pad != 0x00 && pad != 0xff))
                        return cfy_err(y, v[CV_PADDING], "padding: expected none, FF or 00");
                c->pad = pad;
        }
        if (v[CV_LENGTH] != NULL) {
                if (get_length(y, v[CV_LENGTH], c) != 0)
                        return -1;
        } else {
                c->min = c->max = c->len > 0 ? c->len : 1;
        }
        if (c->has_value && (c->len < c->min || c->len > c->max))
                return cfy_err(y, v[CV_VALUE] != NULL ? v[CV_VALUE] : v[CV_HEX],
                               "the value has %zu bytes, outside length %zu..%zu", c->len, c->min,
                               c->max);
        return 0;
}

static int chv_flags(struct cfy *y, struct fy_node **v, struct cf_chv *c)
{
        unsigned long n;

        c->verifiable = c->ref >= 0;
        c->enabled = true;
        if (v[CV_VERIFIABLE] != NULL &&
            cfy_bool(y, v[CV_VERIFIABLE], "verifiable", &c->verifiable) != 0)
                return -1;
        if (c->ref < 0)
                c->verifiable = false;
        if (v[CV_RETRIES] != NULL) {
                if (cfy_uint(y, v[CV_RETRIES], "retries", 1, 15, &n) != 0)
                        return -1;
                c->retries = (unsigned)n;
        }
        if (v[CV_DISABLE] != NULL &&
            cfy_bool(y, v[CV_DISABLE], "may_disable", &c->may_disable) != 0)
                return -1;
        if (v[CV_ENABLED] != NULL && cfy_bool(y, v[CV_ENABLED], "enabled", &c->enabled) != 0)
                return -1;
        if (v[CV_KEEP] != NULL && cfy_bool(y, v[CV_KEEP], "keep_on_deselect", &c->keep) != 0)
                return -1;
        if (v[CV_MALFORMED] != NULL) {
                const char *m = cfy_str(v[CV_MALFORMED], NULL);
                if (m == NULL || (strcmp(m, "wrong") != 0 && strcmp(m, "refused") != 0))
                        return cfy_err(y, v[CV_MALFORMED], "malformed: expected refused or wrong");
                c->malformed_wrong = strcmp(m, "wrong") == 0;
        }
        return 0;
}

/* First pass: a DF's CHVs and keys get their index and plain fields; names resolve later. */
static int read_chvs(struct cfy *y, struct fy_node *map, int df)
{
        struct fy_node_pair *p;
        void *it = NULL;

        if (map == NULL)
                return 0;
        if (fy_node_get_type(map) != FYNT_MAPPING)
                return cfy_err(y, map, "chvs: expected a mapping NAME: {...}");
        while ((p = fy_node_mapping_iterate(map, &it)) != NULL) {
                struct fy_node *v[CV_N];
                struct cf_chv *c;

                if (y->card->nchvs == CF_CHVS_MAX)
                        return cfy_err(y, fy_node_pair_key(p), "more than %d CHVs", CF_CHVS_MAX);
                c = &y->card->chvs[y->card->nchvs];
                memset(c, 0, sizeof(*c));
                c->df = df;
                c->ref = -1;
                c->puk = -1;
                if (name_ok(y, fy_node_pair_key(p), c->name) != 0 ||
                    cfy_fields(y, fy_node_pair_value(p), c->name, chv_keys, CV_N, v) != 0)
                        return -1;
                if (v[CV_REF] != NULL && get_ref(y, v[CV_REF], "reference", &c->ref) != 0)
                        return -1;
                if (chv_value(y, v, c) != 0 || chv_format(y, v, c) != 0 || chv_flags(y, v, c) != 0)
                        return -1;
                y->chv_node[y->card->nchvs++] = fy_node_pair_value(p);
        }
        return 0;
}

static int read_keys(struct cfy *y, struct fy_node *map, int df)
{
        struct fy_node_pair *p;
        void *it = NULL;

        if (map == NULL)
                return 0;
        if (fy_node_get_type(map) != FYNT_MAPPING)
                return cfy_err(y, map, "keys: expected a mapping NAME: {...}");
        while ((p = fy_node_mapping_iterate(map, &it)) != NULL) {
                struct fy_node *v[KY_N];
                struct cf_key *k;
                const char *alg;
                unsigned long n;
                size_t len;

                if (y->card->nkeys == CF_KEYS_MAX)
                        return cfy_err(y, fy_node_pair_key(p), "more than %d keys", CF_KEYS_MAX);
                k = &y->card->keys[y->card->nkeys];
                memset(k, 0, sizeof(*k));
                k->df = df;
                k->ref = -1;
                if (name_ok(y, fy_node_pair_key(p), k->name) != 0 ||
                    cfy_fields(y, fy_node_pair_value(p), k->name, key_keys, KY_N, v) != 0)
                        return -1;
                if (v[KY_REF] == NULL)
                        return cfy_err(y, fy_node_pair_value(p), "key '%s': reference missing",
                                       k->name);
                if (get_ref(y, v[KY_REF], "reference", &k->ref) != 0)
                        return -1;
                alg = cfy_str(v[KY_ALG], NULL);
                if (v[KY_ALG] != NULL && (alg == NULL || strcmp(alg, "aes-128") != 0))
                        return cfy_err(y, v[KY_ALG], "algorithm: only aes-128 is known");
                if (v[KY_VALUE] != NULL) {
                        if (cfy_hex(y, v[KY_VALUE], "value", k->value, 16, 16, &len) != 0)
                                return -1;
                        k->has_value = true;
                }
                if (v[KY_RETRIES] != NULL) {
                        if (cfy_uint(y, v[KY_RETRIES], "retries", 1, 15, &n) != 0)
                                return -1;
                        k->retries = (unsigned)n;
                }
                y->card->nkeys++;
        }
        return 0;
}

static int file_content(struct cfy *y, struct fy_node **v, struct cf_file *f)
{
        uint8_t *buf = NULL;
        size_t len = 0;
        unsigned long size;
        const char *s;

        if (v[FL_CONTENT] != NULL && v[FL_HEX] != NULL)
                return cfy_err(y, v[FL_HEX], "give content or content_hex, not both");
        if ((buf = calloc(1, 32768)) == NULL)
                return cfy_err(y, NULL, "out of memory");
        if (v[FL_CONTENT] != NULL) {
                if ((s = cfy_str(v[FL_CONTENT], &len)) == NULL || len > 32767) {
                        free(buf);
                        return cfy_err(y, v[FL_CONTENT], "content: expected up to 32767 bytes");
                }
                memcpy(buf, s, len);
        } else if (v[FL_HEX] != NULL &&
                   cfy_hex(y, v[FL_HEX], "content_hex", buf, 0, 32767, &len) != 0) {
                free(buf);
                return -1;
        }
        f->size = len;
        if (v[FL_SIZE] != NULL) {
                if (cfy_uint(y, v[FL_SIZE], "size", len, 32767, &size) != 0) {
                        free(buf);
                        return -1;
                }
                f->size = size;
        }
        f->content = buf;
        return 0;
}

static int read_files(struct cfy *y, struct fy_node *map, int parent, int depth);

static int read_file(struct cfy *y, struct fy_node *k, struct fy_node *val, int parent, int depth)
{
        struct fy_node *v[FL_N];
        struct cf_file *f;
        const char *type;
        size_t len;
        int self;

        if (y->card->nfiles == CF_FILES_MAX)
                return cfy_err(y, k, "more than %d files", CF_FILES_MAX - 1);
        self = (int)y->card->nfiles++;
        f = &y->card->files[self];
        memset(f, 0, sizeof(*f));
        f->parent = parent;
        if (name_ok(y, k, f->name) != 0 || cfy_fields(y, val, f->name, file_keys, FL_N, v) != 0)
                return -1;
        y->file_node[self] = val;
        type = cfy_str(v[FL_TYPE], NULL);
        if (type == NULL || (strcmp(type, "ef") != 0 && strcmp(type, "df") != 0))
                return cfy_err(y, v[FL_TYPE] != NULL ? v[FL_TYPE] : val,
                               "file '%s': type: expected ef or df", f->name);
        f->is_df = type[0] == 'd';
        if (v[FL_FID] != NULL) {
                if (cfy_hex(y, v[FL_FID], "fid", f->fid, 2, 2, &len) != 0)
                        return -1;
                f->has_fid = true;
        }
        if (v[FL_AID] != NULL &&
            cfy_hex(y, v[FL_AID], "aid", f->aid, 5, sizeof(f->aid), &f->aid_len) != 0)
                return -1;
        if (v[FL_APP] != NULL && cfy_text(y, v[FL_APP], "application", f->app, sizeof(f->app)) != 0)
                return -1;
        if (!f->is_df)
                return file_content(y, v, f);
        if (!f->has_fid && f->aid_len == 0)
                return cfy_err(y, val, "DF '%s': give its fid or its aid", f->name);
        if (read_chvs(y, v[FL_CHVS], self) != 0 || read_keys(y, v[FL_KEYS], self) != 0)
                return -1;
        return read_files(y, v[FL_FILES], self, depth + 1);
}

static int read_files(struct cfy *y, struct fy_node *map, int parent, int depth)
{
        struct fy_node_pair *p;
        void *it = NULL;

        if (map == NULL)
                return 0;
        if (depth > 8)
                return cfy_err(y, map, "files nest more than 8 DFs deep");
        if (fy_node_get_type(map) != FYNT_MAPPING)
                return cfy_err(y, map, "files: expected a mapping NAME: {...}");
        while ((p = fy_node_mapping_iterate(map, &it)) != NULL)
                if (read_file(y, fy_node_pair_key(p), fy_node_pair_value(p), parent, depth) != 0)
                        return -1;
        return 0;
}

/* Second pass: what points at other things by name. */
static int resolve(struct cfy *y)
{
        struct cf_card *c = y->card;

        for (size_t i = 0; i < c->nchvs; i++) {
                struct fy_node *v[CV_N];
                const char *puk;

                cfy_fields(y, y->chv_node[i], c->chvs[i].name, chv_keys, CV_N, v);
                if (v[CV_PUK] != NULL) {
                        puk = cfy_str(v[CV_PUK], NULL);
                        if (puk == NULL || (c->chvs[i].puk = cfy_find_named(c, "chv", puk)) < 0)
                                return cfy_err(y, v[CV_PUK], "puk: no chv named '%s'",
                                               puk != NULL ? puk : "?");
                }
                if (v[CV_RRC] != NULL) {
                        if (cfy_rule(y, v[CV_RRC], "reset_retry_counter", &c->chvs[i].rrc, 0) != 0)
                                return -1;
                        c->chvs[i].has_rrc = c->chvs[i].rrc.kind != CF_R_NEVER;
                }
        }
        for (size_t i = 1; i < c->nfiles; i++) {
                struct fy_node *v[FL_N];
                char what[CF_NAME_MAX + 16];

                if (c->files[i].is_df)
                        continue;
                cfy_fields(y, y->file_node[i], c->files[i].name, file_keys, FL_N, v);
                snprintf(what, sizeof(what), "%s: read", c->files[i].name);
                if (v[FL_READ] != NULL && cfy_rule(y, v[FL_READ], what, &c->files[i].read, 0) != 0)
                        return -1;
                snprintf(what, sizeof(what), "%s: update", c->files[i].name);
                if (v[FL_UPDATE] != NULL &&
                    cfy_rule(y, v[FL_UPDATE], what, &c->files[i].update, 0) != 0)
                        return -1;
                c->files[i].has_rules = v[FL_READ] != NULL && v[FL_UPDATE] != NULL;
                if (!c->files[i].has_rules)
                        c->files[i].read.kind = c->files[i].update.kind = CF_R_NEVER;
        }
        return 0;
}

static int read_top(struct cfy *y, struct fy_node *root)
{
        struct fy_node *v[TOP_N];
        struct cf_card *c = y->card;

        if (cfy_fields(y, root, "card description", top_keys, TOP_N, v) != 0)
                return -1;
        if (v[TOP_NAME] != NULL && cfy_text(y, v[TOP_NAME], "name", c->name, sizeof(c->name)) != 0)
                return -1;
        if (v[TOP_ATR] != NULL) {
                if (cfy_hex(y, v[TOP_ATR], "atr", c->atr, 2, sizeof(c->atr), &c->atr_len) != 0)
                        return -1;
                c->has_atr = true;
        }
        if (v[TOP_HIST] != NULL) {
                if (cfy_hex(y, v[TOP_HIST], "historical_bytes", c->hist, 0, sizeof(c->hist),
                            &c->hist_len) != 0)
                        return -1;
                c->has_hist = true;
        }
        if (read_chvs(y, v[TOP_CHVS], 0) != 0 || read_keys(y, v[TOP_KEYS], 0) != 0 ||
            read_files(y, v[TOP_FILES], 0, 0) != 0 || resolve(y) != 0)
                return -1;
        if (v[TOP_PIV] != NULL && cfy_read_piv(y, v[TOP_PIV]) != 0)
                return -1;
        if (v[TOP_OPGP] != NULL && cfy_read_openpgp(y, v[TOP_OPGP]) != 0)
                return -1;
        return 0;
}

/*
 * Debian 12's libfyaml (0.7.12) can loop forever on a malformed directive;
 * a description has no use for %YAML or %TAG, so such a line is refused first.
 */
static int no_directives(struct cfy *y, const char *text, size_t len)
{
        unsigned line = 1;

        for (size_t i = 0; i < len; i++) {
                if (text[i] == '%' && (i == 0 || text[i - 1] == '\n' || text[i - 1] == '\r')) {
                        snprintf(y->err, y->errcap,
                                 "%s:%u:1: YAML directives (%%YAML, %%TAG) are not supported",
                                 y->src, line);
                        return -1;
                }
                if (text[i] == '\n')
                        line++;
        }
        return 0;
}

static int parse_doc(struct cfy *y, const char *text, size_t len)
{
        struct fy_diag_cfg dcfg;
        struct fy_parse_cfg pcfg;
        struct fy_diag_error *e;
        void *it = NULL;

        if (no_directives(y, text, len) != 0)
                return -1;
        fy_diag_cfg_default(&dcfg);
        dcfg.fp = NULL;
        dcfg.output_fn = NULL;
        dcfg.colorize = false;
        if ((y->diag = fy_diag_create(&dcfg)) == NULL)
                return cfy_err(y, NULL, "out of memory");
        fy_diag_set_collect_errors(y->diag, true);
        memset(&pcfg, 0, sizeof(pcfg));
        pcfg.flags = FYPCF_QUIET | FYPCF_COLLECT_DIAG | FYPCF_DEFAULT_VERSION_1_2;
        pcfg.diag = y->diag;
        if ((y->fyp = fy_parser_create(&pcfg)) == NULL ||
            fy_parser_set_string(y->fyp, text, len) != 0)
                return cfy_err(y, NULL, "out of memory");
        y->doc = fy_parse_load_document(y->fyp);
        if ((e = fy_diag_errors_iterate(y->diag, &it)) != NULL) {
                snprintf(y->err, y->errcap, "%s:%d:%d: YAML: %s", y->src, e->line > 0 ? e->line : 0,
                         e->column > 0 ? e->column : 0, e->msg != NULL ? e->msg : "syntax error");
                return -1;
        }
        if (y->doc == NULL || fy_document_root(y->doc) == NULL)
                return cfy_err(y, NULL, "empty: expected a mapping with name, chvs, files ...");
        return 0;
}

int cf_card_parse(const char *name, const char *text, size_t len, struct cf_card **out, char *err,
                  size_t errcap)
{
        struct cfy y;
        int rc = -1;

        *out = NULL;
        memset(&y, 0, sizeof(y));
        y.src = name;
        y.err = err;
        y.errcap = errcap;
        err[0] = '\0';
        if ((y.card = cf_card_new()) == NULL) {
                snprintf(err, errcap, "%s: out of memory", name);
                return -1;
        }
        snprintf(y.card->source, sizeof(y.card->source), "%s", name);
        if (parse_doc(&y, text, len) != 0 || read_top(&y, fy_document_root(y.doc)) != 0)
                goto out;
        *out = y.card;
        y.card = NULL;
        rc = 0;
out:
        cf_card_free(&y.card);
        if (y.doc != NULL)
                fy_parse_document_destroy(y.fyp, y.doc);
        if (y.fyp != NULL)
                fy_parser_destroy(y.fyp);
        if (y.diag != NULL)
                fy_diag_destroy(y.diag);
        return rc;
}

int cf_card_load(const char *path, struct cf_card **out, char *err, size_t errcap)
{
        FILE *f = fopen(path, "rb");
        char *buf = NULL;
        size_t n = 0;
        int rc = -1;

        *out = NULL;
        if (f == NULL) {
                snprintf(err, errcap, "%s: %s", path, strerror(errno));
                return -1;
        }
        if ((buf = malloc(CF_FILE_MAX + 1)) == NULL) {
                snprintf(err, errcap, "%s: out of memory", path);
                goto out;
        }
        n = fread(buf, 1, CF_FILE_MAX + 1, f);
        if (ferror(f) || n > CF_FILE_MAX) {
                snprintf(err, errcap, "%s: %s", path,
                         ferror(f) ? "cannot read it" : "larger than 1 MiB");
                goto out;
        }
        rc = cf_card_parse(path, buf, n, out, err, errcap);
out:
        if (buf != NULL)
                OPENSSL_cleanse(buf, n);
        free(buf);
        fclose(f);
        return rc;
}
