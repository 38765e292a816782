/* SPDX-License-Identifier: MIT */
/* Builds profiles and checks that one is consistent before any card uses it. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <scsim/err.h>

#include "app.h"
#include "atr.h"
#include "profile/model.h"

scsim_profile *prof_new(const char *name)
{
        scsim_profile *p = calloc(1, sizeof(*p));
        struct prof_file *mf;

        if (p == NULL)
                return NULL;
        snprintf(p->name, sizeof(p->name), "%s", name != NULL ? name : "");
        p->rules[PROF_RULE_ALWAYS_IDX].kind = PROF_RULE_ALWAYS;
        p->rules[PROF_RULE_NEVER_IDX].kind = PROF_RULE_NEVER;
        p->nrules = 2;
        mf = &p->files[0];
        snprintf(mf->name, sizeof(mf->name), "MF");
        mf->type = PROF_FILE_MF;
        mf->fid = 0x3f00;
        mf->parent = 0;
        mf->read_rule = PROF_RULE_NEVER_IDX;
        mf->update_rule = PROF_RULE_NEVER_IDX;
        p->nfiles = 1;
        return p;
}

int prof_add_rule(scsim_profile *p, const struct prof_rule *rule)
{
        if (p->nrules >= PROF_RULES_MAX)
                return -1;
        p->rules[p->nrules] = *rule;
        return (int)p->nrules++;
}

int prof_add_file(scsim_profile *p, const struct prof_file *file, const uint8_t *content,
                  size_t content_len)
{
        struct prof_file *f;

        if (p->nfiles >= PROF_FILES_MAX)
                return -1;
        f = &p->files[p->nfiles];
        *f = *file;
        f->content_off = p->blob_len;
        f->content_len = 0;
        if (content_len > 0) {
                uint8_t *blob;
                if (SIZE_MAX - p->blob_len < content_len)
                        return -1;
                blob = realloc(p->blob, p->blob_len + content_len);
                if (blob == NULL)
                        return -1;
                memcpy(blob + p->blob_len, content, content_len);
                p->blob = blob;
                p->blob_len += content_len;
                f->content_len = content_len;
        }
        return (int)p->nfiles++;
}

int prof_add_blob(scsim_profile *p, const uint8_t *data, size_t len, size_t *off)
{
        uint8_t *blob;

        *off = p->blob_len;
        if (len == 0)
                return 0;
        if (SIZE_MAX - p->blob_len < len || (blob = realloc(p->blob, p->blob_len + len)) == NULL)
                return -1;
        memcpy(blob + p->blob_len, data, len);
        p->blob = blob;
        p->blob_len += len;
        return 0;
}

int prof_add_app(scsim_profile *p, const struct app_def *def, uint16_t df)
{
        if (p->napps >= PROF_APPS_MAX || df >= p->nfiles)
                return -1;
        for (size_t i = 0; i < p->napps; i++)
                if (p->apps[i].def == def)
                        return -1;
        p->apps[p->napps].def = def;
        p->apps[p->napps].df = df;
        p->apps[p->napps].section = NULL;
        p->files[df].app = (uint8_t)(p->napps + 1);
        return (int)p->napps++;
}

int prof_add_chv(scsim_profile *p, const struct prof_chv *chv)
{
        if (p->nchvs >= PROF_CHVS_MAX)
                return -1;
        p->chvs[p->nchvs] = *chv;
        return (int)p->nchvs++;
}

int prof_add_key(scsim_profile *p, const struct prof_key *key)
{
        if (p->nkeys >= PROF_KEYS_MAX)
                return -1;
        p->keys[p->nkeys] = *key;
        return (int)p->nkeys++;
}

const struct prof_app *prof_app_of(const scsim_profile *p, uint16_t df)
{
        /* depth is bounded by the file count: prof_check refuses cycles */
        for (size_t depth = 0; depth <= p->nfiles && df < p->nfiles; depth++) {
                uint8_t app = p->files[df].app;
                if (app != PROF_APP_NONE && app <= p->napps)
                        return &p->apps[app - 1];
                if (df == 0)
                        break;
                df = p->files[df].parent;
        }
        return NULL;
}

int prof_find_child(const scsim_profile *p, uint16_t parent, uint16_t fid)
{
        for (size_t i = 1; i < p->nfiles; i++)
                if (p->files[i].parent == parent && p->files[i].fid == fid)
                        return (int)i;
        return -1;
}

bool prof_is_ancestor(const scsim_profile *p, uint16_t ancestor, uint16_t file)
{
        /* Depth is bounded by the file count: prof_check refuses cycles. */
        for (size_t depth = 0; depth <= p->nfiles && file < p->nfiles; depth++) {
                if (file == ancestor)
                        return true;
                if (file == 0)
                        return false;
                file = p->files[file].parent;
        }
        return false;
}

static bool chv_value_ok(const struct prof_chv *c, const uint8_t *v, size_t n)
{
        if (n < c->min_len || n > c->max_len)
                return false;
        for (size_t i = 0; i < n; i++) {
                if (c->format == PROF_CHV_DIGITS && (v[i] < '0' || v[i] > '9'))
                        return false;
                if (c->format == PROF_CHV_ALNUM && (v[i] < 0x20 || v[i] > 0x7e))
                        return false;
        }
        return true;
}

bool prof_chv_value_ok(const struct prof_chv *c, const uint8_t *v, size_t n)
{
        return chv_value_ok(c, v, n);
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int
fail(char *msg, size_t cap, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, cap, fmt, ap);
        va_end(ap);
        return -1;
}

static int check_rules(const scsim_profile *p, char *msg, size_t cap)
{
        for (size_t i = 0; i < p->nrules; i++) {
                const struct prof_rule *r = &p->rules[i];
                switch (r->kind) {
                case PROF_RULE_ALWAYS:
                case PROF_RULE_NEVER:
                        break;
                case PROF_RULE_CHV:
                        if (r->arg >= p->nchvs || !p->chvs[r->arg].verifiable)
                                return fail(msg, cap,
                                            "rule %zu names CHV %u, which is not a verifiable CHV",
                                            i, r->arg);
                        break;
                case PROF_RULE_KEY:
                        if (r->arg >= p->nkeys)
                                return fail(msg, cap, "rule %zu names key %u, which does not exist",
                                            i, r->arg);
                        break;
                case PROF_RULE_ANY:
                case PROF_RULE_ALL:
                        if (r->nterms == 0 || r->nterms > PROF_RULE_TERMS_MAX)
                                return fail(msg, cap, "rule %zu must combine 1..%d rules", i,
                                            PROF_RULE_TERMS_MAX);
                        for (size_t t = 0; t < r->nterms; t++)
                                if (r->terms[t] >= i)
                                        return fail(msg, cap, "rule %zu refers to a later rule", i);
                        break;
                default:
                        return fail(msg, cap, "rule %zu has an unknown kind", i);
                }
        }
        return 0;
}

static int check_files(const scsim_profile *p, char *msg, size_t cap)
{
        if (p->nfiles == 0 || p->files[0].type != PROF_FILE_MF || p->files[0].fid != 0x3f00)
                return fail(msg, cap, "the first file must be the MF 3F00");
        for (size_t i = 1; i < p->nfiles; i++) {
                const struct prof_file *f = &p->files[i];
                if (f->type == PROF_FILE_MF)
                        return fail(msg, cap, "file '%s': only one MF", f->name);
                if (f->parent >= i || p->files[f->parent].type == PROF_FILE_EF)
                        return fail(msg, cap, "file '%s': parent must be an earlier DF", f->name);
                if (f->fid == 0x3f00 || f->fid == 0x3fff || f->fid == 0xffff)
                        return fail(msg, cap, "file '%s': FID %04X is reserved", f->name, f->fid);
                if (prof_find_child(p, f->parent, f->fid) != (int)i)
                        return fail(msg, cap, "file '%s': FID %04X used twice in one DF", f->name,
                                    f->fid);
                if (f->read_rule >= p->nrules || f->update_rule >= p->nrules)
                        return fail(msg, cap, "file '%s': access rule out of range", f->name);
                if (f->aid_len > PROF_AID_MAX || (f->aid_len > 0 && f->aid_len < 5))
                        return fail(msg, cap, "file '%s': AID must be 5..16 bytes", f->name);
                if (f->type == PROF_FILE_EF) {
                        if (f->aid_len != 0)
                                return fail(msg, cap, "file '%s': an EF has no AID", f->name);
                        if (f->size > PROF_EF_MAX_SIZE || f->content_len > f->size)
                                return fail(msg, cap, "file '%s': content larger than the file",
                                            f->name);
                        if (f->content_off + f->content_len > p->blob_len)
                                return fail(msg, cap, "file '%s': content out of range", f->name);
                        if (f->sfi > 30)
                                return fail(msg, cap, "file '%s': SFI must be 1..30", f->name);
                        for (size_t j = 1; j < i; j++)
                                if (f->sfi != 0 && p->files[j].parent == f->parent &&
                                    p->files[j].sfi == f->sfi)
                                        return fail(msg, cap,
                                                    "file '%s': SFI %u used twice in one DF",
                                                    f->name, f->sfi);
                } else if (f->size != 0 || f->sfi != 0) {
                        return fail(msg, cap, "file '%s': a DF has no size or SFI", f->name);
                }
                for (size_t j = 1; j < i; j++)
                        if (f->aid_len != 0 && p->files[j].aid_len == f->aid_len &&
                            memcmp(p->files[j].aid, f->aid, f->aid_len) == 0)
                                return fail(msg, cap, "file '%s': AID used twice", f->name);
        }
        return 0;
}

static int check_chvs(const scsim_profile *p, char *msg, size_t cap)
{
        for (size_t i = 0; i < p->nchvs; i++) {
                const struct prof_chv *c = &p->chvs[i];
                size_t padded_cap = PROF_CHV_MAX_LEN;
                if (c->df >= p->nfiles || p->files[c->df].type == PROF_FILE_EF)
                        return fail(msg, cap, "chv '%s': must belong to the MF or a DF", c->name);
                if (c->has_ref && ((c->ref & 0x80) != 0) != (c->df != 0))
                        return fail(msg, cap,
                                    "chv '%s': reference %02X: b8 set means specific (in a DF), "
                                    "clear means global (in the MF)",
                                    c->name, c->ref);
                if (c->has_ref && (c->ref & 0x60) != 0)
                        return fail(msg, cap,
                                    "chv '%s': reference %02X has reserved bits b7/b6 set", c->name,
                                    c->ref);
                if (c->verifiable && !c->has_ref)
                        return fail(msg, cap, "chv '%s': a verifiable CHV needs a reference",
                                    c->name);
                if (c->min_len == 0 || c->min_len > c->max_len || c->max_len > padded_cap)
                        return fail(msg, cap,
                                    "chv '%s': lengths must satisfy 1 <= min <= max <= %zu",
                                    c->name, padded_cap);
                if (!chv_value_ok(c, c->value, c->value_len))
                        return fail(msg, cap,
                                    "chv '%s': initial value does not fit its length and format",
                                    c->name);
                if (c->retries < 1 || c->retries > 15)
                        return fail(msg, cap, "chv '%s': retries must be 1..15", c->name);
                if (c->puk != PROF_NONE &&
                    (c->puk >= p->nchvs || c->puk == i || p->chvs[c->puk].puk != PROF_NONE))
                        return fail(
                            msg, cap,
                            "chv '%s': unblock code must be another CHV without one of its own",
                            c->name);
                if (c->reset_rule >= p->nrules)
                        return fail(msg, cap, "chv '%s': reset rule out of range", c->name);
                for (size_t j = 0; j < i; j++)
                        if (c->has_ref && p->chvs[j].has_ref && p->chvs[j].ref == c->ref &&
                            p->chvs[j].df == c->df)
                                return fail(msg, cap,
                                            "chv '%s': reference %02X used twice in one scope",
                                            c->name, c->ref);
        }
        return 0;
}

static int check_keys(const scsim_profile *p, char *msg, size_t cap)
{
        for (size_t i = 0; i < p->nkeys; i++) {
                const struct prof_key *k = &p->keys[i];
                if (k->df >= p->nfiles || p->files[k->df].type == PROF_FILE_EF)
                        return fail(msg, cap, "key '%s': must belong to the MF or a DF", k->name);
                if (((k->ref & 0x80) != 0) != (k->df != 0))
                        return fail(msg, cap,
                                    "key '%s': reference %02X: b8 set means specific (in a DF)",
                                    k->name, k->ref);
                if (k->alg != PROF_KEY_AES128 || k->value_len != 16)
                        return fail(msg, cap, "key '%s': AES-128 keys are 16 bytes", k->name);
                if (k->retries < 1 || k->retries > 15)
                        return fail(msg, cap, "key '%s': retries must be 1..15", k->name);
                for (size_t j = 0; j < i; j++)
                        if (p->keys[j].ref == k->ref && p->keys[j].df == k->df)
                                return fail(msg, cap,
                                            "key '%s': reference %02X used twice in one scope",
                                            k->name, k->ref);
        }
        return 0;
}

static int check_apps(const scsim_profile *p, char *msg, size_t cap)
{
        for (size_t i = 0; i < p->napps; i++) {
                const struct prof_app *a = &p->apps[i];
                if (a->def == NULL || a->df == 0 || a->df >= p->nfiles ||
                    p->files[a->df].type != PROF_FILE_DF || p->files[a->df].app != i + 1)
                        return fail(msg, cap, "application %zu: not attached to a DF", i);
                if (p->files[a->df].aid_len == 0)
                        return fail(msg, cap, "application %s needs an 'aid'", a->def->name);
        }
        for (size_t i = 0; i < p->nfiles; i++)
                if (p->files[i].app != PROF_APP_NONE &&
                    (p->files[i].app > p->napps || p->apps[p->files[i].app - 1].df != i))
                        return fail(msg, cap, "file '%s': application out of range",
                                    p->files[i].name);
        return 0;
}

int prof_check(const scsim_profile *p, char *msg, size_t cap)
{
        const char *why = NULL;

        if (atr_check(p->atr, p->atr_len, &why) != 0)
                return fail(msg, cap, "atr: %s", why);
        if (p->serial_len > PROF_SERIAL_MAX)
                return fail(msg, cap, "serial: at most %d bytes", PROF_SERIAL_MAX);
        if (check_rules(p, msg, cap) != 0 || check_files(p, msg, cap) != 0 ||
            check_chvs(p, msg, cap) != 0 || check_keys(p, msg, cap) != 0 ||
            check_apps(p, msg, cap) != 0)
                return -1;
        return 0;
}

const char *scsim_profile_name(const scsim_profile *profile)
{
        return profile != NULL ? profile->name : "";
}

const char *scsim_profile_label(const scsim_profile *profile)
{
        return profile != NULL ? profile->label : "";
}

void scsim_profile_free(scsim_profile **profile)
{
        scsim_profile *p;

        if (profile == NULL || (p = *profile) == NULL)
                return;
        for (size_t i = 0; i < p->napps; i++) {
                const struct app_section *sec = p->apps[i].def->section;
                if (p->apps[i].section != NULL && sec != NULL && sec->free != NULL)
                        sec->free(p->apps[i].section);
        }
        if (p->blob != NULL) {
                OPENSSL_cleanse(p->blob, p->blob_len);
                free(p->blob);
        }
        OPENSSL_cleanse(p, sizeof(*p)); /* reference data and keys */
        free(p);
        *profile = NULL;
}
