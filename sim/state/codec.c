/* SPDX-License-Identifier: MIT */
/*
 * The state image (docs/state.md, formats 1 and 2): one table of records
 * says where each field lies, and the encoder, the parser and `scsim state
 * show` all walk it. The image names every record, so that a profile that
 * changed is caught with a precise message, and carries no card: the card
 * is filled from a checked document by the caller.
 */
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "app.h"
#include "state/codec.h"

static const uint8_t magic[8] = {'S', 'C', 'S', 'I', 'M', 'S', 'T', '\n'};

/* ---- the record table ---- */

enum field_type {
        F_NAME, /* STATE_NAME_LEN bytes, NUL-terminated */
        F_U8,   /* big-endian integers into uint8_t, uint16_t, uint32_t */
        F_U16,
        F_U32,
        F_FIXED,  /* arg bytes */
        F_DATA16, /* as many bytes as the uint16_t at offset arg says; a pointer at off */
        F_DATA32, /* the same with a uint32_t length */
};

struct field {
        enum field_type type;
        size_t off;
        size_t arg;
};

struct section {
        const char *what; /* for messages and `state show` */
        const struct field *fields;
        size_t nfields;
        size_t count_off; /* the uint8_t count in struct state_doc */
        size_t recs_off;  /* the first record in struct state_doc */
        size_t rec_size;
        size_t max;
        uint16_t since; /* the first format that has the section */
};

#define FIELD(type, rec, member, arg)                                                              \
        {                                                                                          \
                type, offsetof(struct rec, member), arg                                            \
        }

static const struct field chv_fields[] = {
    FIELD(F_NAME, state_chv_rec, name, 0),
    FIELD(F_U8, state_chv_rec, has_ref, 0),
    FIELD(F_U8, state_chv_rec, ref, 0),
    FIELD(F_U8, state_chv_rec, limit, 0),
    FIELD(F_U8, state_chv_rec, tries, 0),
    FIELD(F_U8, state_chv_rec, enabled, 0),
    FIELD(F_U8, state_chv_rec, value_len, 0),
    FIELD(F_FIXED, state_chv_rec, value, PROF_CHV_MAX_LEN),
};

static const struct field key_fields[] = {
    FIELD(F_NAME, state_key_rec, name, 0),
    FIELD(F_U8, state_key_rec, ref, 0),
    FIELD(F_U8, state_key_rec, limit, 0),
    FIELD(F_U8, state_key_rec, tries, 0),
};

static const struct field ef_fields[] = {
    FIELD(F_NAME, state_ef_rec, name, 0),
    FIELD(F_U16, state_ef_rec, fid, 0),
    FIELD(F_U16, state_ef_rec, size, 0),
    FIELD(F_DATA16, state_ef_rec, data, offsetof(struct state_ef_rec, size)),
};

static const struct field app_fields[] = {
    FIELD(F_NAME, state_app_rec, name, 0),
    FIELD(F_U32, state_app_rec, len, 0),
    FIELD(F_DATA32, state_app_rec, data, offsetof(struct state_app_rec, len)),
};

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define SECTION(what, fields, count, recs, type, max, since)                                       \
        {                                                                                          \
                what, fields, N(fields), offsetof(struct state_doc, count),                        \
                    offsetof(struct state_doc, recs), sizeof(struct type), max, since              \
        }

/* In file order, after the magic, the format and the profile's name; the digest ends the file. */
static const struct section sections[] = {
    SECTION("CHV references", chv_fields, nchv, chv, state_chv_rec, PROF_CHVS_MAX, 1),
    SECTION("keys", key_fields, nkey, key, state_key_rec, PROF_KEYS_MAX, 1),
    SECTION("files", ef_fields, nef, ef, state_ef_rec, PROF_FILES_MAX, 1),
    SECTION("applications", app_fields, napp, app, state_app_rec, PROF_APPS_MAX, 2),
};

#define HEAD_LEN (sizeof(magic) + 2 + STATE_NAME_LEN)

static uint8_t *count_of(const struct section *s, const struct state_doc *doc)
{
        return (uint8_t *)doc + s->count_off;
}

static void *rec_at(const struct section *s, const struct state_doc *doc, size_t i)
{
        return (uint8_t *)doc + s->recs_off + i * s->rec_size;
}

static size_t data_len(const struct field *f, const void *rec)
{
        const uint8_t *at = (const uint8_t *)rec + f->arg;
        uint16_t n16;
        uint32_t n32;

        if (f->type == F_DATA16) {
                memcpy(&n16, at, sizeof(n16));
                return n16;
        }
        memcpy(&n32, at, sizeof(n32));
        return n32;
}

static size_t field_size(const struct field *f, const void *rec)
{
        switch (f->type) {
        case F_NAME:
                return STATE_NAME_LEN;
        case F_U8:
                return 1;
        case F_U16:
                return 2;
        case F_U32:
                return 4;
        case F_FIXED:
                return f->arg;
        case F_DATA16:
        case F_DATA32:
                return data_len(f, rec);
        }
        return 0;
}

static uint8_t *put_field(const struct field *f, const void *rec, uint8_t *w)
{
        const uint8_t *src = (const uint8_t *)rec + f->off;
        const uint8_t *data;
        uint16_t v16;
        uint32_t v32;
        size_t n = field_size(f, rec);

        switch (f->type) {
        case F_NAME:
                memset(w, 0, STATE_NAME_LEN);
                memcpy(w, src, strnlen((const char *)src, STATE_NAME_LEN - 1));
                break;
        case F_U8:
        case F_FIXED:
                memcpy(w, src, n);
                break;
        case F_U16:
                memcpy(&v16, src, sizeof(v16));
                w[0] = (uint8_t)(v16 >> 8);
                w[1] = (uint8_t)v16;
                break;
        case F_U32:
                memcpy(&v32, src, sizeof(v32));
                w[0] = (uint8_t)(v32 >> 24);
                w[1] = (uint8_t)(v32 >> 16);
                w[2] = (uint8_t)(v32 >> 8);
                w[3] = (uint8_t)v32;
                break;
        case F_DATA16:
        case F_DATA32:
                memcpy(&data, src, sizeof(data));
                if (n > 0)
                        memcpy(w, data, n);
                break;
        }
        return w + n;
}

struct cursor {
        const uint8_t *p;
        size_t left;
};

static const uint8_t *take(struct cursor *c, size_t n)
{
        const uint8_t *at = c->p;

        if (c->left < n)
                return NULL;
        c->p += n;
        c->left -= n;
        return at;
}

/* Read one field into rec; -1 when the bytes run out or a name is not terminated. */
static int take_field(const struct field *f, struct cursor *c, void *rec)
{
        uint8_t *dst = (uint8_t *)rec + f->off;
        size_t n = field_size(f, rec);
        const uint8_t *at = take(c, n);
        uint16_t v16;
        uint32_t v32;

        if (at == NULL)
                return -1;
        switch (f->type) {
        case F_NAME:
                if (at[STATE_NAME_LEN - 1] != '\0')
                        return -1;
                memcpy(dst, at, n);
                break;
        case F_U8:
        case F_FIXED:
                memcpy(dst, at, n);
                break;
        case F_U16:
                v16 = (uint16_t)(at[0] << 8 | at[1]);
                memcpy(dst, &v16, sizeof(v16));
                break;
        case F_U32:
                v32 = (uint32_t)at[0] << 24 | (uint32_t)at[1] << 16 | (uint32_t)at[2] << 8 | at[3];
                memcpy(dst, &v32, sizeof(v32));
                break;
        case F_DATA16:
        case F_DATA32:
                memcpy(dst, &at, sizeof(at));
                break;
        }
        return 0;
}

static size_t rec_size(const struct section *s, const void *rec)
{
        size_t n = 0;

        for (size_t i = 0; i < s->nfields; i++)
                n += field_size(&s->fields[i], rec);
        return n;
}

static int has_section(const struct state_doc *doc, const struct section *s)
{
        return doc->format >= s->since;
}

/* ---- encoding ---- */

static void put_name(char dst[STATE_NAME_LEN], const char *src)
{
        memset(dst, 0, STATE_NAME_LEN);
        memcpy(dst, src, strnlen(src, STATE_NAME_LEN - 1));
}

static void make_chvs(struct state_doc *doc, const scsim_profile *p, const struct card_state *st)
{
        doc->nchv = (uint8_t)p->nchvs;
        for (size_t i = 0; i < p->nchvs; i++) {
                struct state_chv_rec *r = &doc->chv[i];
                put_name(r->name, p->chvs[i].name);
                r->has_ref = p->chvs[i].has_ref ? 1 : 0;
                r->ref = p->chvs[i].ref;
                r->limit = st->chv[i].limit;
                r->tries = st->chv[i].tries;
                r->enabled = st->chv[i].enabled ? 1 : 0;
                r->value_len = (uint8_t)st->chv[i].value_len;
                memcpy(r->value, st->chv[i].value, PROF_CHV_MAX_LEN);
        }
}

void state_doc_make(struct state_doc *doc, const scsim_profile *p, const struct card_state *st,
                    const struct state_blob apps[PROF_APPS_MAX])
{
        memset(doc, 0, sizeof(*doc));
        put_name(doc->profile, p->name);
        make_chvs(doc, p, st);
        doc->nkey = (uint8_t)p->nkeys;
        for (size_t i = 0; i < p->nkeys; i++) {
                put_name(doc->key[i].name, p->keys[i].name);
                doc->key[i].ref = p->keys[i].ref;
                doc->key[i].limit = p->keys[i].retries;
                doc->key[i].tries = st->key[i].tries;
        }
        for (size_t i = 0; i < p->nfiles; i++) {
                struct state_ef_rec *r = &doc->ef[doc->nef];
                if (p->files[i].type != PROF_FILE_EF)
                        continue;
                put_name(r->name, p->files[i].name);
                r->fid = p->files[i].fid;
                r->size = (uint16_t)p->files[i].size;
                r->data = st->ef + st->ef_off[i];
                doc->nef++;
        }
        for (size_t i = 0; i < p->napps && i < PROF_APPS_MAX; i++) {
                struct state_app_rec *r = &doc->app[doc->napp];
                if (apps[i].data == NULL)
                        continue;
                put_name(r->name, p->apps[i].def->name);
                r->len = (uint32_t)apps[i].len;
                r->data = apps[i].data;
                doc->napp++;
        }
        /* format 1 still when no application keeps state, so such files read as before */
        doc->format = doc->napp > 0 ? STATE_FORMAT_APPS : STATE_FORMAT_CORE;
}

size_t state_doc_size(const struct state_doc *doc)
{
        size_t n = HEAD_LEN + SHA256_DIGEST_LENGTH;

        for (size_t s = 0; s < N(sections); s++) {
                const struct section *sec = &sections[s];
                if (!has_section(doc, sec))
                        continue;
                n += 1;
                for (size_t i = 0; i < *count_of(sec, doc); i++)
                        n += rec_size(sec, rec_at(sec, doc, i));
        }
        return n;
}

int state_doc_encode(const struct state_doc *doc, uint8_t *buf)
{
        uint8_t *w = buf;

        memcpy(w, magic, sizeof(magic));
        w += sizeof(magic);
        *w++ = (uint8_t)(doc->format >> 8);
        *w++ = (uint8_t)doc->format;
        memset(w, 0, STATE_NAME_LEN);
        memcpy(w, doc->profile, strnlen(doc->profile, STATE_NAME_LEN - 1));
        w += STATE_NAME_LEN;
        for (size_t s = 0; s < N(sections); s++) {
                const struct section *sec = &sections[s];
                if (!has_section(doc, sec))
                        continue;
                *w++ = *count_of(sec, doc);
                for (size_t i = 0; i < *count_of(sec, doc); i++)
                        for (size_t f = 0; f < sec->nfields; f++)
                                w = put_field(&sec->fields[f], rec_at(sec, doc, i), w);
        }
        return SHA256(buf, (size_t)(w - buf), w) != NULL ? 0 : -1;
}

/* ---- parsing ---- */

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int
fail(char *err, size_t cap, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(err, cap, fmt, ap);
        va_end(ap);
        return -1;
}

/* Magic, format and digest; on success the cursor spans the records. */
static int parse_envelope(struct state_doc *doc, const uint8_t *buf, size_t len, struct cursor *c,
                          char *err, size_t cap)
{
        uint8_t digest[SHA256_DIGEST_LENGTH];
        uint16_t format;

        if (len < sizeof(magic) || memcmp(buf, magic, sizeof(magic)) != 0)
                return fail(err, cap, "not a scsim state file (bad magic)");
        if (len < sizeof(magic) + 2)
                return fail(err, cap, "truncated state file (no version)");
        format = (uint16_t)(buf[8] << 8 | buf[9]);
        if (format > STATE_FORMAT_APPS)
                return fail(err, cap,
                            "state file format %u was written by a newer scsim; this one reads "
                            "formats up to %u",
                            format, STATE_FORMAT_APPS);
        if (format != STATE_FORMAT_CORE && format != STATE_FORMAT_APPS)
                return fail(err, cap, "unknown state file format %u", format);
        if (len < HEAD_LEN + SHA256_DIGEST_LENGTH)
                return fail(err, cap, "truncated state file");
        if (SHA256(buf, len - SHA256_DIGEST_LENGTH, digest) == NULL)
                return fail(err, cap, "out of memory checking the state's digest");
        if (CRYPTO_memcmp(digest, buf + len - SHA256_DIGEST_LENGTH, sizeof(digest)) != 0)
                return fail(err, cap,
                            "integrity check failed (SHA-256 mismatch): the file is corrupt or "
                            "truncated");
        doc->format = format;
        if (buf[HEAD_LEN - 1] != '\0')
                return fail(err, cap, "malformed state file (profile name)");
        memcpy(doc->profile, buf + sizeof(magic) + 2, STATE_NAME_LEN);
        c->p = buf + HEAD_LEN;
        c->left = len - HEAD_LEN - SHA256_DIGEST_LENGTH;
        return 0;
}

int state_doc_parse(struct state_doc *doc, const uint8_t *buf, size_t len, char *err, size_t cap)
{
        struct cursor c = {NULL, 0};

        memset(doc, 0, sizeof(*doc));
        if (parse_envelope(doc, buf, len, &c, err, cap) != 0)
                goto fail;
        for (size_t s = 0; s < N(sections); s++) {
                const struct section *sec = &sections[s];
                const uint8_t *n;
                if (!has_section(doc, sec))
                        continue;
                if ((n = take(&c, 1)) == NULL)
                        goto truncated;
                if (*n > sec->max) {
                        fail(err, cap, "state has %u %s; no profile has more than %zu", *n,
                             sec->what, sec->max);
                        goto fail;
                }
                *count_of(sec, doc) = *n;
                for (size_t i = 0; i < *n; i++)
                        for (size_t f = 0; f < sec->nfields; f++)
                                if (take_field(&sec->fields[f], &c, rec_at(sec, doc, i)) != 0)
                                        goto truncated;
        }
        if (c.left != 0) {
                fail(err, cap, "%zu unexpected bytes at the end of the state", c.left);
                goto fail;
        }
        return 0;
truncated:
        fail(err, cap, "malformed state file (a record is cut short)");
fail:
        state_doc_cleanse(doc);
        return -1;
}

void state_doc_cleanse(struct state_doc *doc)
{
        OPENSSL_cleanse(doc, sizeof(*doc));
}

/* ---- binding to a profile ---- */

/* Where each record of the document goes in the profile. */
struct binding {
        uint8_t chv[PROF_CHVS_MAX];
        uint8_t key[PROF_KEYS_MAX];
        uint8_t ef[PROF_FILES_MAX];
        uint8_t app[PROF_APPS_MAX];
};

static int find_name(const char *name, const void *first, size_t stride, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (strcmp((const char *)first + i * stride, name) == 0)
                        return (int)i;
        return -1;
}

static int bind_chvs(const struct state_doc *doc, const scsim_profile *p, struct binding *b,
                     char *err, size_t cap)
{
        bool seen[PROF_CHVS_MAX] = {false};

        if (doc->nchv != p->nchvs)
                return fail(err, cap, "state has %u CHV references, profile '%s' has %zu",
                            doc->nchv, p->name, p->nchvs);
        for (size_t i = 0; i < doc->nchv; i++) {
                const struct state_chv_rec *r = &doc->chv[i];
                int idx = find_name(r->name, p->chvs[0].name, sizeof(p->chvs[0]), p->nchvs);
                const struct prof_chv *pc;
                if (idx < 0 || seen[idx])
                        return fail(err, cap, "CHV '%s' in the state is not in profile '%s'",
                                    r->name, p->name);
                pc = &p->chvs[idx];
                seen[idx] = true;
                /* a limit a command may set (format 2 only) need not be the profile's */
                if ((r->has_ref != 0) != pc->has_ref || r->ref != pc->ref ||
                    (r->limit != pc->retries &&
                     !(doc->format >= 2 && pc->limit_settable && r->limit >= 1 && r->limit <= 15)))
                        return fail(err, cap,
                                    "CHV '%s': reference %02X with %u tries in the state, %02X "
                                    "with %u in the profile",
                                    r->name, r->ref, r->limit, pc->ref, pc->retries);
                if (r->tries > r->limit || r->enabled > 1 ||
                    !prof_chv_value_ok(pc, r->value, r->value_len))
                        return fail(err, cap, "CHV '%s': impossible values in the state", r->name);
                b->chv[i] = (uint8_t)idx;
        }
        return 0;
}

static int bind_keys(const struct state_doc *doc, const scsim_profile *p, struct binding *b,
                     char *err, size_t cap)
{
        bool seen[PROF_KEYS_MAX] = {false};

        if (doc->nkey != p->nkeys)
                return fail(err, cap, "state has %u keys, profile '%s' has %zu", doc->nkey, p->name,
                            p->nkeys);
        for (size_t i = 0; i < doc->nkey; i++) {
                const struct state_key_rec *r = &doc->key[i];
                int idx = find_name(r->name, p->keys[0].name, sizeof(p->keys[0]), p->nkeys);
                if (idx < 0 || seen[idx])
                        return fail(err, cap, "key '%s' in the state is not in profile '%s'",
                                    r->name, p->name);
                seen[idx] = true;
                if (r->ref != p->keys[idx].ref || r->limit != p->keys[idx].retries ||
                    r->tries > r->limit)
                        return fail(err, cap,
                                    "key '%s': reference or counter does not match the profile",
                                    r->name);
                b->key[i] = (uint8_t)idx;
        }
        return 0;
}

static int find_ef(const scsim_profile *p, const struct state_ef_rec *r)
{
        for (size_t i = 0; i < p->nfiles; i++)
                if (p->files[i].type == PROF_FILE_EF && p->files[i].fid == r->fid &&
                    strcmp(p->files[i].name, r->name) == 0)
                        return (int)i;
        return -1;
}

static int bind_efs(const struct state_doc *doc, const scsim_profile *p, struct binding *b,
                    char *err, size_t cap)
{
        bool seen[PROF_FILES_MAX] = {false};
        size_t nef = 0;

        for (size_t i = 0; i < p->nfiles; i++)
                nef += p->files[i].type == PROF_FILE_EF;
        if (doc->nef != nef)
                return fail(err, cap, "state has %u files, profile '%s' has %zu", doc->nef, p->name,
                            nef);
        for (size_t i = 0; i < doc->nef; i++) {
                const struct state_ef_rec *r = &doc->ef[i];
                int idx = find_ef(p, r);
                if (idx < 0 || seen[idx])
                        return fail(err, cap,
                                    "file '%s' (%04X) in the state is not in profile '%s'", r->name,
                                    r->fid, p->name);
                seen[idx] = true;
                if (r->size != p->files[idx].size)
                        return fail(err, cap,
                                    "file '%s': %u bytes in the state, %zu in the profile", r->name,
                                    r->size, p->files[idx].size);
                b->ef[i] = (uint8_t)idx;
        }
        return 0;
}

static int bind_apps(const struct state_doc *doc, const scsim_profile *p, struct binding *b,
                     char *err, size_t cap)
{
        bool seen[PROF_APPS_MAX] = {false};

        for (size_t i = 0; i < doc->napp; i++) {
                const struct state_app_rec *r = &doc->app[i];
                size_t idx = 0;
                while (idx < p->napps && strcmp(p->apps[idx].def->name, r->name) != 0)
                        idx++;
                if (idx == p->napps)
                        return fail(err, cap,
                                    "application '%s' in the state is not in profile '%s'", r->name,
                                    p->name);
                if (seen[idx])
                        return fail(err, cap, "application '%s' appears twice in the state",
                                    r->name);
                seen[idx] = true;
                b->app[i] = (uint8_t)idx;
        }
        return 0;
}

int state_doc_bind(const struct state_doc *doc, const scsim_profile *p, struct card_state *st,
                   struct state_blob apps[PROF_APPS_MAX], char *err, size_t cap)
{
        struct binding b;

        if (strcmp(doc->profile, p->name) != 0)
                return fail(err, cap, "state belongs to profile '%s', not '%s'", doc->profile,
                            p->name);
        if (bind_chvs(doc, p, &b, err, cap) != 0 || bind_keys(doc, p, &b, err, cap) != 0 ||
            bind_efs(doc, p, &b, err, cap) != 0 || bind_apps(doc, p, &b, err, cap) != 0)
                return -1;
        /* all of it fits: now, and only now, the state changes */
        for (size_t i = 0; i < doc->nchv; i++) {
                const struct state_chv_rec *r = &doc->chv[i];
                struct chv_state *c = &st->chv[b.chv[i]];
                c->tries = r->tries;
                c->limit = r->limit;
                c->enabled = r->enabled != 0;
                c->value_len = r->value_len;
                memcpy(c->value, r->value, sizeof(c->value));
        }
        for (size_t i = 0; i < doc->nkey; i++)
                st->key[b.key[i]].tries = doc->key[i].tries;
        for (size_t i = 0; i < doc->nef; i++)
                if (doc->ef[i].size > 0)
                        memcpy(st->ef + st->ef_off[b.ef[i]], doc->ef[i].data, doc->ef[i].size);
        for (size_t i = 0; i < PROF_APPS_MAX; i++)
                apps[i] = (struct state_blob){NULL, 0};
        for (size_t i = 0; i < doc->napp; i++)
                apps[b.app[i]] = (struct state_blob){doc->app[i].data, doc->app[i].len};
        return 0;
}
