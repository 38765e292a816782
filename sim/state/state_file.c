/* SPDX-License-Identifier: MIT */
/*
 * Durable card state (docs/state.md). The file is self-describing so that
 * `scsim state show` needs no profile, and every record names what it belongs
 * to so that a profile that changed is caught with a precise message. Writes
 * go to PATH.tmp, are fsynced, renamed over PATH and the directory fsynced:
 * a crash leaves either the old or the new file, never a mix.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <scsim/err.h>
#include <scsim/state.h>

#include "diag.h"
#include "state/state_file.h"

static const uint8_t magic[8] = {'S', 'C', 'S', 'I', 'M', 'S', 'T', '\n'};
#define STATE_VERSION         2 /* the newest this scsim reads and writes */
#define STATE_VERSION_NO_APPS 1 /* still written when no application keeps state */
#define STATE_MAX_SIZE        (4u << 20)
#define NAME_LEN              PROF_NAME_MAX

/* Test-only fault injection (SCSIM_TEST_FAULT=STAGE:N): SIGKILL at a stage of the Nth commit. */
enum fault_stage { FAULT_NONE, FAULT_AFTER_TMP_WRITE, FAULT_AFTER_FSYNC, FAULT_AFTER_RENAME };

struct state_store {
        char *path;
        char *tmp;
        int dirfd;
        uint8_t *buf;
        size_t cap;
        enum fault_stage fault;
        unsigned long fault_countdown;
};

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void
say(scsim_diag *diag, const char *path, const char *fmt, ...)
{
        va_list ap;

        if (diag == NULL)
                return;
        memset(diag, 0, sizeof(*diag));
        diag_set_file(diag, path);
        va_start(ap, fmt);
        vsnprintf(diag->message, sizeof(diag->message), fmt, ap);
        va_end(ap);
}

/* ---- encoding ---- */

/* What the applications want kept, encoded by their save hooks. */
struct app_blobs {
        uint8_t *data[PROF_APPS_MAX];
        size_t len[PROF_APPS_MAX];
        size_t count;
};

static void free_blobs(struct app_blobs *b)
{
        for (size_t i = 0; i < PROF_APPS_MAX; i++) {
                if (b->data[i] != NULL) {
                        OPENSSL_cleanse(b->data[i], b->len[i]);
                        free(b->data[i]);
                }
        }
        memset(b, 0, sizeof(*b));
}

static int collect_blobs(const struct scsim_card *card, struct app_blobs *b)
{
        memset(b, 0, sizeof(*b));
        for (size_t i = 0; i < card->prof->napps; i++) {
                const struct app_def *app = card->prof->apps[i].def;
                if (app->save == NULL || card->app_state[i] == NULL)
                        continue;
                if (app->save(card->app_state[i], &b->data[i], &b->len[i]) != 0 ||
                    b->len[i] > STATE_MAX_SIZE) {
                        free_blobs(b);
                        return -1;
                }
                b->count++;
        }
        return 0;
}

static size_t encoded_size(const scsim_profile *p, const struct app_blobs *b)
{
        size_t n = sizeof(magic) + 2 + NAME_LEN + 1 + 1 + 1;

        if (b->count > 0) {
                n += 1;
                for (size_t i = 0; i < PROF_APPS_MAX; i++)
                        if (b->data[i] != NULL)
                                n += NAME_LEN + 4 + b->len[i];
        }

        n += p->nchvs * (NAME_LEN + 1 + 1 + 1 + 1 + 1 + 1 + PROF_CHV_MAX_LEN);
        n += p->nkeys * (NAME_LEN + 1 + 1 + 1);
        for (size_t i = 0; i < p->nfiles; i++)
                if (p->files[i].type == PROF_FILE_EF)
                        n += NAME_LEN + 2 + 2 + p->files[i].size;
        return n + SHA256_DIGEST_LENGTH;
}

static size_t count_efs(const scsim_profile *p)
{
        size_t n = 0;

        for (size_t i = 0; i < p->nfiles; i++)
                n += p->files[i].type == PROF_FILE_EF;
        return n;
}

static uint8_t *put(uint8_t *w, const void *src, size_t n)
{
        memcpy(w, src, n);
        return w + n;
}

static uint8_t *put_name(uint8_t *w, const char *name)
{
        memset(w, 0, NAME_LEN);
        memcpy(w, name, strnlen(name, NAME_LEN - 1));
        return w + NAME_LEN;
}

/* Encode into buf (encoded_size bytes); version 1 unless applications keep state. */
static void encode(const scsim_profile *p, const struct card_state *st, const struct app_blobs *b,
                   uint8_t *buf)
{
        uint8_t *w = buf;

        w = put(w, magic, sizeof(magic));
        *w++ = 0;
        *w++ = b->count > 0 ? STATE_VERSION : STATE_VERSION_NO_APPS;
        w = put_name(w, p->name);
        *w++ = (uint8_t)p->nchvs;
        for (size_t i = 0; i < p->nchvs; i++) {
                const struct prof_chv *c = &p->chvs[i];
                w = put_name(w, c->name);
                *w++ = c->has_ref ? 1 : 0;
                *w++ = c->ref;
                *w++ = st->chv[i].limit;
                *w++ = st->chv[i].tries;
                *w++ = st->chv[i].enabled ? 1 : 0;
                *w++ = (uint8_t)st->chv[i].value_len;
                w = put(w, st->chv[i].value, PROF_CHV_MAX_LEN);
        }
        *w++ = (uint8_t)p->nkeys;
        for (size_t i = 0; i < p->nkeys; i++) {
                w = put_name(w, p->keys[i].name);
                *w++ = p->keys[i].ref;
                *w++ = p->keys[i].retries;
                *w++ = st->key[i].tries;
        }
        *w++ = (uint8_t)count_efs(p);
        for (size_t i = 0; i < p->nfiles; i++) {
                const struct prof_file *f = &p->files[i];
                if (f->type != PROF_FILE_EF)
                        continue;
                w = put_name(w, f->name);
                *w++ = (uint8_t)(f->fid >> 8);
                *w++ = (uint8_t)f->fid;
                *w++ = (uint8_t)(f->size >> 8);
                *w++ = (uint8_t)f->size;
                w = put(w, st->ef + st->ef_off[i], f->size);
        }
        if (b->count > 0) {
                *w++ = (uint8_t)b->count;
                for (size_t i = 0; i < PROF_APPS_MAX; i++) {
                        size_t n = b->len[i];
                        if (b->data[i] == NULL)
                                continue;
                        w = put_name(w, p->apps[i].def->name);
                        *w++ = (uint8_t)(n >> 24);
                        *w++ = (uint8_t)(n >> 16);
                        *w++ = (uint8_t)(n >> 8);
                        *w++ = (uint8_t)n;
                        w = put(w, b->data[i], n);
                }
        }
        SHA256(buf, (size_t)(w - buf), w);
}

/* Encode the card into s->buf, growing it as the applications' state grows. */
static int encode_card(struct state_store *s, const struct scsim_card *card, size_t *len)
{
        struct app_blobs b;
        size_t n;

        if (collect_blobs(card, &b) != 0)
                return -1;
        n = encoded_size(card->prof, &b);
        if (n > s->cap) {
                uint8_t *nb = malloc(n);
                if (nb == NULL) {
                        free_blobs(&b);
                        return -1;
                }
                OPENSSL_cleanse(s->buf, s->cap);
                free(s->buf);
                s->buf = nb;
                s->cap = n;
        }
        encode(card->prof, &card->st, &b, s->buf);
        free_blobs(&b);
        *len = n;
        return 0;
}

/* ---- decoding: a cursor over the bytes, every read bounded ---- */

struct cursor {
        const uint8_t *p;
        size_t left;
};

static int take(struct cursor *c, void *dst, size_t n)
{
        if (c->left < n)
                return -1;
        if (dst != NULL)
                memcpy(dst, c->p, n);
        c->p += n;
        c->left -= n;
        return 0;
}

static int take_u8(struct cursor *c, uint8_t *v)
{
        return take(c, v, 1);
}

static int take_u32(struct cursor *c, uint32_t *v)
{
        uint8_t b[4];

        if (take(c, b, 4) != 0)
                return -1;
        *v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
        return 0;
}

static int take_u16(struct cursor *c, uint16_t *v)
{
        uint8_t b[2];

        if (take(c, b, 2) != 0)
                return -1;
        *v = (uint16_t)(b[0] << 8 | b[1]);
        return 0;
}

static int take_name(struct cursor *c, char name[NAME_LEN])
{
        if (take(c, name, NAME_LEN) != 0 || name[NAME_LEN - 1] != '\0')
                return -1;
        return 0;
}

/* Check magic, version and digest; on success the cursor is past the header. */
static int check_envelope(const uint8_t *buf, size_t len, const char *path, scsim_diag *diag,
                          struct cursor *c, char profile_name[NAME_LEN], uint16_t *versionp)
{
        uint8_t digest[SHA256_DIGEST_LENGTH];
        uint16_t version;

        if (len < sizeof(magic) || memcmp(buf, magic, sizeof(magic)) != 0) {
                say(diag, path, "not a scsim state file (bad magic)");
                return -1;
        }
        c->p = buf + sizeof(magic);
        c->left = len - sizeof(magic);
        if (take_u16(c, &version) != 0) {
                say(diag, path, "truncated state file (no version)");
                return -1;
        }
        if (version > STATE_VERSION) {
                say(diag, path,
                    "state file format %u was written by a newer scsim; this one reads format %u",
                    version, STATE_VERSION);
                return -1;
        }
        if (version != STATE_VERSION && version != STATE_VERSION_NO_APPS) {
                say(diag, path, "unknown state file format %u", version);
                return -1;
        }
        *versionp = version;
        if (len < sizeof(magic) + 2 + SHA256_DIGEST_LENGTH) {
                say(diag, path, "truncated state file");
                return -1;
        }
        SHA256(buf, len - SHA256_DIGEST_LENGTH, digest);
        if (CRYPTO_memcmp(digest, buf + len - SHA256_DIGEST_LENGTH, sizeof(digest)) != 0) {
                say(diag, path,
                    "integrity check failed (SHA-256 mismatch): the file is corrupt or truncated");
                return -1;
        }
        c->left -= SHA256_DIGEST_LENGTH;
        if (take_name(c, profile_name) != 0) {
                say(diag, path, "malformed state file (profile name)");
                return -1;
        }
        return 0;
}

static int find_chv(const scsim_profile *p, const char *name)
{
        for (size_t i = 0; i < p->nchvs; i++)
                if (strcmp(p->chvs[i].name, name) == 0)
                        return (int)i;
        return -1;
}

static int find_key(const scsim_profile *p, const char *name)
{
        for (size_t i = 0; i < p->nkeys; i++)
                if (strcmp(p->keys[i].name, name) == 0)
                        return (int)i;
        return -1;
}

static int find_ef(const scsim_profile *p, const char *name, uint16_t fid)
{
        for (size_t i = 0; i < p->nfiles; i++)
                if (p->files[i].type == PROF_FILE_EF && p->files[i].fid == fid &&
                    strcmp(p->files[i].name, name) == 0)
                        return (int)i;
        return -1;
}

/*
 * Decode buf into st (whose ef buffer is already sized for p), checking every
 * record against the profile. Returns 0 or -1 with a diagnostic.
 */
static int decode_apps(struct scsim_card *card, struct cursor *c, const char *path,
                       scsim_diag *diag, void *fresh[PROF_APPS_MAX]);

static int decode(struct scsim_card *card, const uint8_t *buf, size_t len, const char *path,
                  scsim_diag *diag, struct card_state *st, void *fresh[PROF_APPS_MAX])
{
        const scsim_profile *p = card->prof;
        struct cursor c;
        char name[NAME_LEN], pname[NAME_LEN];
        uint8_t n, seen_chv[PROF_CHVS_MAX] = {0}, seen_key[PROF_KEYS_MAX] = {0};
        uint8_t seen_ef[PROF_FILES_MAX] = {0};
        uint16_t version = 0;

        if (check_envelope(buf, len, path, diag, &c, pname, &version) != 0)
                return -1;
        if (strcmp(pname, p->name) != 0) {
                say(diag, path, "state belongs to profile '%s', not '%s'", pname, p->name);
                return -1;
        }
        if (take_u8(&c, &n) != 0)
                goto truncated;
        if (n != p->nchvs) {
                say(diag, path, "state has %u CHV references, profile '%s' has %zu", n, p->name,
                    p->nchvs);
                return -1;
        }
        for (unsigned i = 0; i < n; i++) {
                uint8_t has_ref, ref, retries, tries, enabled, vlen;
                uint8_t value[PROF_CHV_MAX_LEN];
                const struct prof_chv *pc;
                int idx;
                if (take_name(&c, name) != 0 || take_u8(&c, &has_ref) != 0 ||
                    take_u8(&c, &ref) != 0 || take_u8(&c, &retries) != 0 ||
                    take_u8(&c, &tries) != 0 || take_u8(&c, &enabled) != 0 ||
                    take_u8(&c, &vlen) != 0 || take(&c, value, sizeof(value)) != 0)
                        goto truncated;
                if ((idx = find_chv(p, name)) < 0 || seen_chv[idx]) {
                        say(diag, path, "CHV '%s' in the state is not in profile '%s'", name,
                            p->name);
                        return -1;
                }
                pc = &p->chvs[idx];
                seen_chv[idx] = 1;
                /* a limit a command may set (format 2 only) need not be the profile's */
                if ((has_ref != 0) != pc->has_ref || ref != pc->ref ||
                    (retries != pc->retries &&
                     !(version >= 2 && pc->limit_settable && retries >= 1 && retries <= 15))) {
                        say(diag, path,
                            "CHV '%s': reference %02X with %u tries in the state, %02X with %u "
                            "in the profile",
                            name, ref, retries, pc->ref, pc->retries);
                        return -1;
                }
                if (tries > retries || enabled > 1 || !prof_chv_value_ok(pc, value, vlen)) {
                        say(diag, path, "CHV '%s': impossible values in the state", name);
                        return -1;
                }
                st->chv[idx].tries = tries;
                st->chv[idx].limit = retries;
                st->chv[idx].enabled = enabled != 0;
                st->chv[idx].value_len = vlen;
                memcpy(st->chv[idx].value, value, sizeof(value));
                OPENSSL_cleanse(value, sizeof(value));
        }
        if (take_u8(&c, &n) != 0)
                goto truncated;
        if (n != p->nkeys) {
                say(diag, path, "state has %u keys, profile '%s' has %zu", n, p->name, p->nkeys);
                return -1;
        }
        for (unsigned i = 0; i < n; i++) {
                uint8_t ref, retries, tries;
                int idx;
                if (take_name(&c, name) != 0 || take_u8(&c, &ref) != 0 ||
                    take_u8(&c, &retries) != 0 || take_u8(&c, &tries) != 0)
                        goto truncated;
                if ((idx = find_key(p, name)) < 0 || seen_key[idx]) {
                        say(diag, path, "key '%s' in the state is not in profile '%s'", name,
                            p->name);
                        return -1;
                }
                seen_key[idx] = 1;
                if (ref != p->keys[idx].ref || retries != p->keys[idx].retries || tries > retries) {
                        say(diag, path, "key '%s': reference or counter does not match the profile",
                            name);
                        return -1;
                }
                st->key[idx].tries = tries;
        }
        if (take_u8(&c, &n) != 0)
                goto truncated;
        if (n != count_efs(p)) {
                say(diag, path, "state has %u files, profile '%s' has %zu", n, p->name,
                    count_efs(p));
                return -1;
        }
        for (unsigned i = 0; i < n; i++) {
                uint16_t fid, size;
                int idx;
                if (take_name(&c, name) != 0 || take_u16(&c, &fid) != 0 || take_u16(&c, &size) != 0)
                        goto truncated;
                if ((idx = find_ef(p, name, fid)) < 0 || seen_ef[idx]) {
                        say(diag, path, "file '%s' (%04X) in the state is not in profile '%s'",
                            name, fid, p->name);
                        return -1;
                }
                seen_ef[idx] = 1;
                if (size != p->files[idx].size) {
                        say(diag, path, "file '%s': %u bytes in the state, %zu in the profile",
                            name, size, p->files[idx].size);
                        return -1;
                }
                if (take(&c, st->ef + st->ef_off[idx], size) != 0)
                        goto truncated;
        }
        /* format 1 has no application records: those applications start from the profile */
        if (version >= 2 && decode_apps(card, &c, path, diag, fresh) != 0)
                return -1;
        if (c.left != 0) {
                say(diag, path, "%zu unexpected bytes at the end of the state", c.left);
                return -1;
        }
        return 0;
truncated:
        say(diag, path, "malformed state file (a record is cut short)");
        return -1;
}

static void free_fresh(const scsim_profile *p, void *fresh[PROF_APPS_MAX])
{
        for (size_t i = 0; i < PROF_APPS_MAX; i++) {
                if (i < p->napps && fresh[i] != NULL)
                        p->apps[i].def->free(&fresh[i]);
                fresh[i] = NULL;
        }
}

/* Application records: name, length, bytes for the application's load hook. */
static int decode_apps(struct scsim_card *card, struct cursor *c, const char *path,
                       scsim_diag *diag, void *fresh[PROF_APPS_MAX])
{
        char name[NAME_LEN];
        uint8_t n;

        if (take_u8(c, &n) != 0)
                goto truncated;
        for (unsigned i = 0; i < n; i++) {
                const struct app_def *app = NULL;
                uint32_t len;
                size_t id;
                if (take_name(c, name) != 0 || take_u32(c, &len) != 0 || c->left < len)
                        goto truncated;
                for (id = 0; id < card->prof->napps; id++) {
                        app = card->prof->apps[id].def;
                        if (strcmp(app->name, name) == 0)
                                break;
                }
                if (id == card->prof->napps || card->app_state[id] == NULL || app->load == NULL) {
                        say(diag, path, "application '%s' in the state is not in profile '%s'",
                            name, card->prof->name);
                        goto fail;
                }
                if (fresh[id] != NULL) {
                        say(diag, path, "application '%s' appears twice in the state", name);
                        goto fail;
                }
                if (app->load(card, &card->prof->apps[id], c->p, len, &fresh[id]) != 0) {
                        say(diag, path,
                            "application '%s': its state is malformed or does not fit "
                            "profile '%s'",
                            name, card->prof->name);
                        goto fail;
                }
                take(c, NULL, len);
        }
        return 0;
truncated:
        say(diag, path, "malformed state file (a record is cut short)");
fail:
        free_fresh(card->prof, fresh);
        return -1;
}

/* ---- files ---- */

static int read_all(const char *path, uint8_t **out, size_t *len, scsim_diag *diag)
{
        struct stat sb;
        uint8_t *buf = NULL;
        size_t got = 0;
        int fd, ok = -1;

        *out = NULL;
        *len = 0;
        if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
                say(diag, path, "cannot open: %s", strerror(errno));
                return -1;
        }
        if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
                say(diag, path, "not a regular file");
                goto fail;
        }
        if ((size_t)sb.st_size > STATE_MAX_SIZE) {
                say(diag, path, "too large for a state file (%lld bytes)", (long long)sb.st_size);
                goto fail;
        }
        if ((buf = malloc((size_t)sb.st_size + 1)) == NULL) {
                say(diag, path, "out of memory");
                goto fail;
        }
        while (got < (size_t)sb.st_size) {
                ssize_t r = read(fd, buf + got, (size_t)sb.st_size - got);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0) {
                        say(diag, path, "read failed: %s", r < 0 ? strerror(errno) : "short file");
                        goto fail;
                }
                got += (size_t)r;
        }
        *out = buf;
        *len = got;
        buf = NULL;
        ok = 0;
fail:
        free(buf);
        close(fd);
        return ok;
}

static int write_all(int fd, const uint8_t *buf, size_t len)
{
        while (len > 0) {
                ssize_t w = write(fd, buf, len);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return -1;
                buf += w;
                len -= (size_t)w;
        }
        return 0;
}

static void maybe_fault(struct state_store *s, enum fault_stage stage)
{
        if (s->fault == stage && s->fault_countdown == 0)
                kill(getpid(), SIGKILL);
}

/* Replace s->path with buf: tmp file, fsync, rename, fsync of the directory. */
static int replace_file(struct state_store *s, const uint8_t *buf, size_t len)
{
        int fd;

        if (s->fault != FAULT_NONE)
                s->fault_countdown--; /* fires on the Nth write only */
        fd = open(s->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
                return -1;
        if (write_all(fd, buf, len) != 0) {
                close(fd);
                unlink(s->tmp);
                return -1;
        }
        maybe_fault(s, FAULT_AFTER_TMP_WRITE);
        /* data and size only: the inode's times need not be durable */
        if (fdatasync(fd) != 0) {
                close(fd);
                unlink(s->tmp);
                return -1;
        }
        close(fd);
        maybe_fault(s, FAULT_AFTER_FSYNC);
        if (rename(s->tmp, s->path) != 0) {
                unlink(s->tmp);
                return -1;
        }
        maybe_fault(s, FAULT_AFTER_RENAME);
        return fsync(s->dirfd) == 0 ? 0 : -1;
}

void state_store_free(struct state_store **store)
{
        struct state_store *s;

        if (store == NULL || (s = *store) == NULL)
                return;
        if (s->dirfd >= 0)
                close(s->dirfd);
        if (s->buf != NULL) {
                OPENSSL_cleanse(s->buf, s->cap);
                free(s->buf);
        }
        free(s->path);
        free(s->tmp);
        free(s);
        *store = NULL;
}

static void parse_fault(struct state_store *s)
{
        const char *env = getenv("SCSIM_TEST_FAULT");
        const char *colon;

        if (env == NULL || (colon = strchr(env, ':')) == NULL)
                return;
        if (strncmp(env, "after-tmp-write:", 16) == 0)
                s->fault = FAULT_AFTER_TMP_WRITE;
        else if (strncmp(env, "after-fsync:", 12) == 0)
                s->fault = FAULT_AFTER_FSYNC;
        else if (strncmp(env, "after-rename:", 13) == 0)
                s->fault = FAULT_AFTER_RENAME;
        s->fault_countdown = strtoul(colon + 1, NULL, 10);
}

static struct state_store *store_new(const scsim_profile *p, const char *path, scsim_diag *diag)
{
        struct state_store *s = calloc(1, sizeof(*s));
        char *dir = NULL, *slash;

        if (s == NULL)
                goto nomem;
        s->dirfd = -1;
        s->cap = encoded_size(p, &(struct app_blobs){0}); /* grows with the applications' state */
        s->path = strdup(path);
        s->tmp = malloc(strlen(path) + 5);
        s->buf = malloc(s->cap);
        dir = strdup(path);
        if (s->path == NULL || s->tmp == NULL || s->buf == NULL || dir == NULL)
                goto nomem;
        snprintf(s->tmp, strlen(path) + 5, "%s.tmp", path);
        slash = strrchr(dir, '/');
        if (slash == NULL) {
                strcpy(dir, ".");
        } else if (slash == dir) {
                slash[1] = '\0';
        } else {
                *slash = '\0';
        }
        if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
                say(diag, path, "cannot create directory %s: %s", dir, strerror(errno));
                goto fail;
        }
        s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (s->dirfd < 0) {
                say(diag, path, "cannot open directory %s: %s", dir, strerror(errno));
                goto fail;
        }
        parse_fault(s);
        free(dir);
        return s;
nomem:
        say(diag, path, "out of memory");
fail:
        free(dir);
        state_store_free(&s);
        return NULL;
}

int state_store_commit(struct scsim_card *card)
{
        struct state_store *s = card->store;
        size_t len = 0;

        if (encode_card(s, card, &len) != 0) {
                LOG(&card->log, SCSIM_LOG_ERROR, "cannot encode the state for %s", s->path);
                return -1;
        }
        if (replace_file(s, s->buf, len) != 0) {
                LOG(&card->log, SCSIM_LOG_ERROR, "cannot write state file %s: %s", s->path,
                    strerror(errno));
                return -1;
        }
        return 0;
}

int scsim_card_attach_state(scsim_card *card, const char *path, scsim_diag *diag)
{
        struct state_store *s = NULL;
        struct card_state loaded;
        void *fresh[PROF_APPS_MAX] = {NULL};
        uint8_t *buf = NULL;
        size_t len = 0, n = 0;
        int ok = SCSIM_ERR_INVALID_ARGUMENT;

        memset(&loaded, 0, sizeof(loaded));
        if (card == NULL || path == NULL || path[0] == '\0' || card->store != NULL) {
                say(diag, path != NULL ? path : "", "invalid argument");
                return ok;
        }
        if ((s = store_new(card->prof, path, diag)) == NULL) {
                ok = SCSIM_ERR_IO;
                goto fail;
        }
        if (access(path, F_OK) == 0) {
                if (read_all(path, &buf, &len, diag) != 0) {
                        ok = SCSIM_ERR_IO;
                        goto fail;
                }
                loaded = card->st;
                loaded.ef = malloc(card->st.ef_len > 0 ? card->st.ef_len : 1);
                if (loaded.ef == NULL) {
                        ok = SCSIM_ERR_NO_MEMORY;
                        goto fail;
                }
                memcpy(loaded.ef, card->st.ef, card->st.ef_len);
                if (decode(card, buf, len, path, diag, &loaded, fresh) != 0) {
                        ok = SCSIM_ERR_STATE;
                        goto fail;
                }
                /* commit: the card takes the loaded state, its old EF buffer goes */
                OPENSSL_cleanse(card->st.ef, card->st.ef_len);
                free(card->st.ef);
                card->st = loaded;
                loaded.ef = NULL;
                for (size_t i = 0; i < card->prof->napps; i++) {
                        if (fresh[i] == NULL)
                                continue;
                        card->prof->apps[i].def->free(&card->app_state[i]);
                        card->app_state[i] = fresh[i];
                        fresh[i] = NULL;
                }
        } else if (errno != ENOENT) {
                say(diag, path, "cannot access: %s", strerror(errno));
                ok = SCSIM_ERR_IO;
                goto fail;
        } else {
                if (encode_card(s, card, &n) != 0) {
                        say(diag, path, "cannot encode the card's state");
                        ok = SCSIM_ERR_NO_MEMORY;
                        goto fail;
                }
                if (replace_file(s, s->buf, n) != 0) {
                        say(diag, path, "cannot write: %s", strerror(errno));
                        ok = SCSIM_ERR_IO;
                        goto fail;
                }
        }
        card->store = s;
        s = NULL;
        ok = SCSIM_OK;
fail:
        if (loaded.ef != NULL) {
                OPENSSL_cleanse(loaded.ef, card->st.ef_len);
                free(loaded.ef);
        }
        OPENSSL_cleanse(&loaded, sizeof(loaded));
        free_fresh(card->prof, fresh);
        if (buf != NULL) {
                OPENSSL_cleanse(buf, len);
                free(buf);
        }
        state_store_free(&s);
        return ok;
}

int scsim_state_reset(const scsim_profile *profile, const char *path, scsim_diag *diag)
{
        scsim_card *card;
        struct state_store *s;
        int ok = SCSIM_ERR_IO;

        if (profile == NULL || path == NULL)
                return SCSIM_ERR_INVALID_ARGUMENT;
        if ((card = scsim_card_new(profile)) == NULL)
                return SCSIM_ERR_NO_MEMORY;
        if ((s = store_new(profile, path, diag)) != NULL) {
                size_t n = 0;
                if (encode_card(s, card, &n) != 0)
                        say(diag, path, "cannot encode the card's state");
                else if (replace_file(s, s->buf, n) == 0)
                        ok = SCSIM_OK;
                else
                        say(diag, path, "cannot write: %s", strerror(errno));
        }
        state_store_free(&s);
        scsim_card_free(&card);
        return ok;
}

/* The records after the envelope, each handed to fn; 0, or -1 when one is cut short. */
static int walk_records(struct cursor *c, uint16_t version,
                        void (*fn)(void *, const scsim_state_record *), void *arg)
{
        scsim_state_record r;
        char name[NAME_LEN];
        uint8_t n;

        if (take_u8(c, &n) != 0)
                return -1;
        for (unsigned i = 0; i < n; i++) {
                uint8_t has_ref, ref, retries, tries, enabled, vlen, value[PROF_CHV_MAX_LEN];
                int bad = take_name(c, name) != 0 || take_u8(c, &has_ref) != 0 ||
                          take_u8(c, &ref) != 0 || take_u8(c, &retries) != 0 ||
                          take_u8(c, &tries) != 0 || take_u8(c, &enabled) != 0 ||
                          take_u8(c, &vlen) != 0 || take(c, value, sizeof(value)) != 0;
                /* the code and even its length (a hint) stay here */
                OPENSSL_cleanse(value, sizeof(value));
                (void)vlen;
                if (bad)
                        return -1;
                r = (scsim_state_record){.kind = SCSIM_STATE_CHV,
                                         .name = name,
                                         .ref = has_ref ? ref : -1,
                                         .tries = tries,
                                         .retries = retries,
                                         .enabled = enabled != 0};
                fn(arg, &r);
        }
        if (take_u8(c, &n) != 0)
                return -1;
        for (unsigned i = 0; i < n; i++) {
                uint8_t ref, retries, tries;
                if (take_name(c, name) != 0 || take_u8(c, &ref) != 0 || take_u8(c, &retries) != 0 ||
                    take_u8(c, &tries) != 0)
                        return -1;
                r = (scsim_state_record){.kind = SCSIM_STATE_KEY,
                                         .name = name,
                                         .ref = ref,
                                         .tries = tries,
                                         .retries = retries};
                fn(arg, &r);
        }
        if (take_u8(c, &n) != 0)
                return -1;
        for (unsigned i = 0; i < n; i++) {
                uint16_t fid, size;
                if (take_name(c, name) != 0 || take_u16(c, &fid) != 0 || take_u16(c, &size) != 0 ||
                    take(c, NULL, size) != 0)
                        return -1;
                r = (scsim_state_record){
                    .kind = SCSIM_STATE_FILE, .name = name, .fid = fid, .size = size};
                fn(arg, &r);
        }
        if (version < 2)
                return 0;
        if (take_u8(c, &n) != 0)
                return -1;
        for (unsigned i = 0; i < n; i++) {
                uint32_t alen;
                /* keys and objects inside are not shown */
                if (take_name(c, name) != 0 || take_u32(c, &alen) != 0 || take(c, NULL, alen) != 0)
                        return -1;
                r = (scsim_state_record){.kind = SCSIM_STATE_APP, .name = name, .size = alen};
                fn(arg, &r);
        }
        return 0;
}

int scsim_state_inspect(const char *path, void (*fn)(void *arg, const scsim_state_record *rec),
                        void *arg, scsim_diag *diag)
{
        scsim_state_record head;
        struct cursor c;
        char pname[NAME_LEN];
        uint8_t *buf = NULL;
        size_t len = 0;
        uint16_t version = 0;
        int ok = SCSIM_ERR_STATE;

        if (path == NULL || fn == NULL)
                return SCSIM_ERR_INVALID_ARGUMENT;
        if (read_all(path, &buf, &len, diag) != 0)
                return SCSIM_ERR_IO;
        if (check_envelope(buf, len, path, diag, &c, pname, &version) != 0)
                goto fail;
        head = (scsim_state_record){.kind = SCSIM_STATE_HEADER, .name = pname, .version = version};
        fn(arg, &head);
        if (walk_records(&c, version, fn, arg) != 0) {
                say(diag, path, "malformed state file (a record is cut short)");
                goto fail;
        }
        ok = SCSIM_OK;
fail:
        OPENSSL_cleanse(buf, len);
        free(buf);
        return ok;
}
