/* SPDX-License-Identifier: MIT */
/* scsim_profile_print: a profile as YAML in its own format, sections through their applications. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <scsim/err.h>
#include <scsim/profile.h>

#include "app.h"
#include "profile/model.h"
#include "profile/print.h"

#define WRAP_COLUMNS 72 /* of a scalar's text before it continues on the next line */
#define HEX_PER_LINE 24 /* bytes of hex per line */

void prof_print_hex(FILE *out, const uint8_t *b, size_t n, unsigned indent)
{
        fputc('"', out);
        for (size_t i = 0; i < n; i++) {
                /* a line break inside a quoted scalar folds to a space: a separator */
                if (i > 0 && i % HEX_PER_LINE == 0)
                        fprintf(out, "\n%*s", (int)indent, "");
                else if (i > 0)
                        fputc(' ', out);
                fprintf(out, "%02X", b[i]);
        }
        fputc('"', out);
}

/* Length of the UTF-8 sequence at s (n bytes left) and its code point; 0 if invalid. */
static size_t utf8_next(const uint8_t *s, size_t n, uint32_t *cp)
{
        size_t len = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc0 ? 2 : 0;
        uint32_t v;

        if (len == 0 || len > n || s[0] >= 0xf8)
                return 0;
        v = s[0] & (0x7fu >> len);
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                v = v << 6 | (s[i] & 0x3fu);
        }
        /* overlong forms, surrogates and beyond U+10FFFF are not characters */
        if ((len == 2 && v < 0x80) || (len == 3 && v < 0x800) || (len == 4 && v < 0x10000) ||
            (v >= 0xd800 && v <= 0xdfff) || v > 0x10ffff)
                return 0;
        *cp = v;
        return len;
}

/*
 * One character of a double-quoted scalar into buf: printable ASCII as is,
 * the rest as YAML escapes; characters YAML may not hold raw (C1 controls,
 * the BOM, non-characters) are escaped too. Returns the bytes consumed.
 */
static size_t quote_one(const uint8_t *s, size_t n, char *buf, size_t cap)
{
        uint32_t cp = 0;
        size_t len;

        if (s[0] == '"' || s[0] == '\\')
                snprintf(buf, cap, "\\%c", s[0]);
        else if (s[0] == '\n')
                snprintf(buf, cap, "\\n");
        else if (s[0] == '\t')
                snprintf(buf, cap, "\\t");
        else if (s[0] >= 0x20 && s[0] < 0x7f)
                snprintf(buf, cap, "%c", s[0]);
        else if (s[0] < 0x80)
                snprintf(buf, cap, "\\x%02X", s[0]);
        else if ((len = utf8_next(s, n, &cp)) == 0)
                /* never from a YAML scalar; \x would read back as U+0080..U+00FF */
                snprintf(buf, cap, "\\x%02X", s[0]);
        else if (cp < 0xa0 || cp == 0xfeff || cp == 0xfffe || cp == 0xffff) {
                snprintf(buf, cap, "\\u%04X", (unsigned)cp);
                return len;
        } else {
                memcpy(buf, s, len);
                buf[len] = '\0';
                return len;
        }
        return 1;
}

/* Whether s[i..n) is only spaces. */
static bool only_spaces(const uint8_t *s, size_t i, size_t n)
{
        while (i < n && s[i] == ' ')
                i++;
        return i == n;
}

void prof_print_text(FILE *out, const uint8_t *s, size_t n, unsigned indent)
{
        size_t col = 0;
        bool after_backslash = false, wrapped = false;
        char buf[16];

        fputc('"', out);
        for (size_t i = 0; i < n;) {
                size_t used = quote_one(s + i, n - i, buf, sizeof(buf));
                /*
                 * An escaped line break joins the lines without a space. Not
                 * right after an escaped backslash: Debian 12's libfyaml then
                 * folds the break into a space.
                 */
                if (col >= WRAP_COLUMNS && !after_backslash) {
                        fprintf(out, "\\\n%*s", (int)indent, "");
                        col = 0;
                        wrapped = true;
                }
                /*
                 * A line that starts with "? " reads to the loader as an
                 * explicit key, which it refuses before libfyaml sees the text
                 * (yaml_parse.c), quoted or not; "- " and ": " may lead up to
                 * one, and "%" is a directive: escaped at a continued line's start.
                 */
                if (wrapped && col == 0 && buf[0] != '\0' && buf[1] == '\0' &&
                    strchr("-?:%", buf[0]) != NULL)
                        snprintf(buf, sizeof(buf), "\\x%02X", (unsigned)buf[0]);
                /*
                 * Blanks at the start or end of a line of a quoted scalar are
                 * not content, and libfyaml drops trailing ones of the last
                 * line: such a space is escaped.
                 */
                if (buf[0] == ' ' && (col == 0 || col + 1 >= WRAP_COLUMNS || only_spaces(s, i, n)))
                        snprintf(buf, sizeof(buf), "\\x20");
                fputs(buf, out);
                col += strlen(buf);
                after_backslash = strcmp(buf, "\\\\") == 0;
                i += used;
        }
        fputc('"', out);
}

void prof_print_name(FILE *out, const char *name)
{
        unsigned char c = (unsigned char)name[0];

        /* names are letters, digits, '-', '_' and '.'; YAML reads some starts as indicators */
        if ((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_')
                fputs(name, out);
        else
                prof_print_text(out, (const uint8_t *)name, strlen(name), 0);
}

static void indent(FILE *out, unsigned depth)
{
        fprintf(out, "%*s", (int)(depth * 2), "");
}

static void print_rule(FILE *out, const scsim_profile *p, uint16_t idx)
{
        const struct prof_rule *r = &p->rules[idx];

        switch (r->kind) {
        case PROF_RULE_ALWAYS:
                fputs("always", out);
                break;
        case PROF_RULE_NEVER:
                fputs("never", out);
                break;
        case PROF_RULE_CHV:
        case PROF_RULE_KEY:
                fputs(r->kind == PROF_RULE_CHV ? "{chv: " : "{key: ", out);
                prof_print_name(out, r->kind == PROF_RULE_CHV ? p->chvs[r->arg].name
                                                              : p->keys[r->arg].name);
                fputc('}', out);
                break;
        case PROF_RULE_ANY:
        case PROF_RULE_ALL:
                fprintf(out, "{%s: [", r->kind == PROF_RULE_ANY ? "any" : "all");
                for (size_t i = 0; i < r->nterms; i++) {
                        if (i)
                                fputs(", ", out);
                        print_rule(out, p, r->terms[i]);
                }
                fputs("]}", out);
                break;
        }
}

/* A field whose value is a rule: "read: {chv: pin}". */
static void rule_field(FILE *out, const scsim_profile *p, unsigned depth, const char *key,
                       uint16_t rule)
{
        indent(out, depth);
        fprintf(out, "%s: ", key);
        print_rule(out, p, rule);
        fputc('\n', out);
}

static void bool_field(FILE *out, unsigned depth, const char *key, bool v)
{
        indent(out, depth);
        fprintf(out, "%s: %s\n", key, v ? "true" : "false");
}

static void chv_value(FILE *out, const struct prof_chv *c, unsigned depth, unsigned flags)
{
        indent(out, depth);
        if ((flags & SCSIM_PRINT_SECRETS) == 0) {
                fprintf(out, "value: \"********\"   # masked, %zu bytes\n", c->value_len);
                return;
        }
        /* digits and alnum values are printable ASCII: readable as text */
        if (c->format == PROF_CHV_BYTES) {
                fputs("value_hex: ", out);
                prof_print_hex(out, c->value, c->value_len, depth * 2 + 2);
        } else {
                fputs("value: ", out);
                prof_print_text(out, c->value, c->value_len, depth * 2 + 2);
        }
        fputc('\n', out);
}

static void print_chv(FILE *out, const scsim_profile *p, const struct prof_chv *c, unsigned depth,
                      unsigned flags)
{
        static const char *const formats[] = {"digits", "alnum", "bytes"};
        static const char *const paddings[] = {"none", "FF", "\"00\""};

        if (c->has_ref) {
                indent(out, depth);
                fprintf(out, "reference: \"%02X\"   # %s\n", c->ref,
                        c->ref & 0x80 ? "specific" : "global");
        }
        if (c->has_ref && !c->verifiable)
                bool_field(out, depth, "verifiable", false);
        chv_value(out, c, depth, flags);
        indent(out, depth);
        if (c->min_len == c->max_len)
                fprintf(out, "length: %zu\n", c->min_len);
        else
                fprintf(out, "length: %zu..%zu\n", c->min_len, c->max_len);
        indent(out, depth);
        fprintf(out, "format: %s\n", formats[c->format]);
        indent(out, depth);
        fprintf(out, "padding: %s\n", paddings[c->padding]);
        indent(out, depth);
        fprintf(out, "malformed: %s\n", c->malformed_is_wrong ? "wrong" : "refused");
        indent(out, depth);
        fprintf(out, "retries: %u\n", c->retries);
        if (c->puk != PROF_NONE) {
                indent(out, depth);
                fputs("puk: ", out);
                prof_print_name(out, p->chvs[c->puk].name);
                fputc('\n', out);
        }
        if (!c->verifiable)
                return;
        rule_field(out, p, depth, "reset_retry_counter", c->reset_rule);
        bool_field(out, depth, "may_disable", c->may_disable);
        bool_field(out, depth, "enabled", c->enabled);
        if (c->df != 0)
                bool_field(out, depth, "keep_on_deselect", c->keep_on_deselect);
}

/* A "chvs:" or "keys:" heading before the first entry of a DF, then the entry's name. */
static void entry_head(FILE *out, const char *kind, bool *any, const char *name, unsigned depth)
{
        if (!*any) {
                indent(out, depth);
                fprintf(out, "%s:\n", kind);
                *any = true;
        }
        indent(out, depth + 1);
        prof_print_name(out, name);
        fputs(":\n", out);
}

static void print_chvs(FILE *out, const scsim_profile *p, uint16_t df, unsigned depth,
                       unsigned flags)
{
        bool any = false;

        for (size_t i = 0; i < p->nchvs; i++) {
                if (p->chvs[i].df != df)
                        continue;
                entry_head(out, "chvs", &any, p->chvs[i].name, depth);
                print_chv(out, p, &p->chvs[i], depth + 2, flags);
        }
}

static void print_keys(FILE *out, const scsim_profile *p, uint16_t df, unsigned depth,
                       unsigned flags)
{
        bool any = false;

        for (size_t i = 0; i < p->nkeys; i++) {
                const struct prof_key *k = &p->keys[i];
                if (k->df != df)
                        continue;
                entry_head(out, "keys", &any, k->name, depth);
                indent(out, depth + 2);
                fprintf(out, "reference: \"%02X\"\n", k->ref);
                indent(out, depth + 2);
                fputs("algorithm: aes-128\n", out);
                indent(out, depth + 2);
                if (flags & SCSIM_PRINT_SECRETS) {
                        fputs("value: ", out);
                        prof_print_hex(out, k->value, k->value_len, depth * 2 + 6);
                        fputc('\n', out);
                } else {
                        fprintf(out, "value: \"********\"   # masked, %zu bytes\n", k->value_len);
                }
                indent(out, depth + 2);
                fprintf(out, "retries: %u\n", k->retries);
                if (df != 0)
                        bool_field(out, depth + 2, "keep_on_deselect", k->keep_on_deselect);
        }
}

/* Content that is text is shown as text, the rest as hex. */
static void print_content(FILE *out, const uint8_t *b, size_t n, unsigned depth)
{
        bool text = true;

        for (size_t i = 0; i < n; i++)
                text = text && ((b[i] >= 0x20 && b[i] < 0x7f) || b[i] == '\n' || b[i] == '\t');
        indent(out, depth);
        fputs(text ? "content: " : "content_hex: ", out);
        if (text)
                prof_print_text(out, b, n, depth * 2 + 2);
        else
                prof_print_hex(out, b, n, depth * 2 + 2);
        fputc('\n', out);
}

static void print_df(FILE *out, const scsim_profile *p, uint16_t df, unsigned depth,
                     unsigned flags);

static void print_file(FILE *out, const scsim_profile *p, uint16_t i, unsigned depth,
                       unsigned flags)
{
        const struct prof_file *f = &p->files[i];

        indent(out, depth);
        fprintf(out, "type: %s\n", f->type == PROF_FILE_EF ? "ef" : "df");
        indent(out, depth);
        fprintf(out, "fid: \"%04X\"\n", f->fid);
        if (f->type != PROF_FILE_EF) {
                if (f->aid_len > 0) {
                        indent(out, depth);
                        fputs("aid: ", out);
                        prof_print_hex(out, f->aid, f->aid_len, depth * 2 + 2);
                        fputc('\n', out);
                }
                if (f->app != PROF_APP_NONE) {
                        indent(out, depth);
                        fprintf(out, "application: %s\n", p->apps[f->app - 1].def->name);
                }
                print_df(out, p, i, depth, flags);
                return;
        }
        if (f->sfi != 0) {
                indent(out, depth);
                fprintf(out, "sfi: %u\n", f->sfi);
        }
        indent(out, depth);
        fprintf(out, "size: %zu\n", f->size);
        if (f->content_len > 0)
                print_content(out, p->blob + f->content_off, f->content_len, depth);
        rule_field(out, p, depth, "read", f->read_rule);
        rule_field(out, p, depth, "update", f->update_rule);
}

/* A DF's CHVs, keys and files, in the order the loader numbers them. */
static void print_df(FILE *out, const scsim_profile *p, uint16_t df, unsigned depth, unsigned flags)
{
        bool any = false;

        print_chvs(out, p, df, depth, flags);
        print_keys(out, p, df, depth, flags);
        for (size_t i = 1; i < p->nfiles; i++) {
                if (p->files[i].parent != df)
                        continue;
                entry_head(out, "files", &any, p->files[i].name, depth);
                print_file(out, p, (uint16_t)i, depth + 2, flags);
        }
}

int scsim_profile_print(const scsim_profile *p, FILE *out, unsigned flags)
{
        if (p == NULL || out == NULL)
                return SCSIM_ERR_INVALID_ARGUMENT;
        fputs("name: ", out);
        prof_print_name(out, p->name);
        fputc('\n', out);
        if (p->label[0] != '\0') {
                fputs("label: ", out);
                prof_print_text(out, (const uint8_t *)p->label, strlen(p->label), 2);
                fputc('\n', out);
        }
        fputs("atr: ", out);
        prof_print_hex(out, p->atr, p->atr_len, 2);
        fputs("\nserial: ", out);
        prof_print_hex(out, p->serial, p->serial_len, 2);
        fputc('\n', out);
        print_df(out, p, 0, 0, flags);
        for (size_t i = 0; i < p->napps; i++) {
                const struct app_section *sec = p->apps[i].def->section;
                if (sec == NULL || p->apps[i].section == NULL)
                        continue;
                fprintf(out, "%s:\n", p->apps[i].def->name);
                if (sec->print(p, p->apps[i].section, out, flags) != 0)
                        return SCSIM_ERR_NO_MEMORY;
        }
        return fflush(out) != 0 || ferror(out) ? SCSIM_ERR_IO : SCSIM_OK;
}

int prof_print_private_key(FILE *out, const uint8_t *der, size_t der_len)
{
        const unsigned char *dp = der;
        EVP_PKEY *key = d2i_AutoPrivateKey(NULL, &dp, (long)der_len);
        BIO *bio = BIO_new(BIO_s_secmem());
        char *pem = NULL;
        long len = 0;
        int ok = -1;

        if (key == NULL || bio == NULL ||
            PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) != 1 ||
            (len = BIO_get_mem_data(bio, &pem)) <= 0)
                goto fail;
        fputs("      private_key: |\n", out);
        for (long i = 0; i < len; i++) {
                if (i == 0 || pem[i - 1] == '\n')
                        fputs("        ", out);
                fputc(pem[i], out);
        }
        ok = 0;
fail:
        BIO_free(bio);
        EVP_PKEY_free(key);
        return ok;
}
