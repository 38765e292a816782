/* SPDX-License-Identifier: MIT */
/*
 * The state file, format 3 (docs/state.md): a header page, then two copies
 * of the image, each page-aligned with its own write number and digest (or
 * GCM tag). A commit overwrites the copy the disk is not sure to hold and
 * waits for one fdatasync; the other copy is never touched meanwhile, so a
 * crash at any instant leaves at least one intact copy: the newest intact
 * one is the state. The size never changes in place, so a full disk cannot
 * fail a commit; a larger image, the first write and every attach write a
 * new file and rename it over the old one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <scsim/err.h>

#include "state/file.h"
#include "state/seal.h"
#include "state/store.h"

static const uint8_t magic[8] = {'S', 'C', 'S', 'I', 'M', 'S', 'T', '\n'};

#define PAGE        4096u
#define HDR_SIGNED  32u /* magic, format, flags, copy size, key id, reserved */
#define HDR_LEN     (HDR_SIGNED + SHA256_DIGEST_LENGTH)
#define FLAG_SEALED 0x0001u
#define COPY_HEAD   12u /* write number (8), image length (4) */
#define COPY_MAX    (((COPY_HEAD + 32u + STATE_IMAGE_MAX * 3u / 2u + 512u) / PAGE + 1u) * PAGE)
#define FILE_MAX    (PAGE + 2u * COPY_MAX)

struct state_store {
        struct state_dir dir;
        char *path;
        int fd;      /* the state file; -1 until it exists */
        int lock_fd; /* held for the store's life */
        bool sealed;
        uint8_t key[STATE_KEY_LEN];
        uint8_t header[HDR_LEN]; /* the current file's */
        size_t copy_size;
        unsigned durable;       /* the copy the disk surely holds: never written over */
        unsigned long long seq; /* the newest write's number */
        bool unsynced;          /* a write that was not waited for */
        bool stale;             /* a rewrite failed after its rename: rewrite at the next write */
        /*
         * Two copies' room: the copy being built, then the bytes of the last
         * write not waited for (kept_len of them), which a failed write over
         * it puts back.
         */
        uint8_t *wbuf;
        size_t kept_len;
        scsim_state_fault_fn *fault;
        void *fault_ctx;
};

static void put_be(uint8_t *w, unsigned long long v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                w[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static unsigned long long get_be(const uint8_t *r, size_t n)
{
        unsigned long long v = 0;

        for (size_t i = 0; i < n; i++)
                v = v << 8 | r[i];
        return v;
}

static size_t overhead(bool sealed)
{
        return COPY_HEAD + (sealed ? STATE_NONCE_LEN + STATE_TAG_LEN : SHA256_DIGEST_LENGTH);
}

/* 0, or -1 when libcrypto fails (memory). */
static int make_header(bool sealed, const uint8_t *key, size_t copy_size, uint8_t h[HDR_LEN])
{
        memset(h, 0, HDR_LEN);
        memcpy(h, magic, sizeof(magic));
        put_be(h + 8, STORE_FORMAT, 2);
        put_be(h + 10, sealed ? FLAG_SEALED : 0, 2);
        put_be(h + 12, copy_size, 4);
        if (sealed && state_key_id(key, h + 16) != 0)
                return -1;
        return SHA256(h, HDR_SIGNED, h + HDR_SIGNED) != NULL ? 0 : -1;
}

/* One copy: head, then the image and its digest, or nonce, ciphertext and tag. 0 on failure. */
static size_t build_copy(const uint8_t *key, const uint8_t *header, unsigned long long seq,
                         const uint8_t *image, size_t len, uint8_t *out)
{
        put_be(out, seq, 8);
        put_be(out + 8, len, 4);
        if (key != NULL) {
                uint8_t aad[HDR_SIGNED + COPY_HEAD];
                memcpy(aad, header, HDR_SIGNED);
                memcpy(aad + HDR_SIGNED, out, COPY_HEAD);
                if (state_seal(key, aad, sizeof(aad), image, len, out + COPY_HEAD,
                               out + COPY_HEAD + STATE_NONCE_LEN,
                               out + COPY_HEAD + STATE_NONCE_LEN + len) != 0)
                        return 0;
        } else {
                memcpy(out + COPY_HEAD, image, len);
                if (SHA256(out, COPY_HEAD + len, out + COPY_HEAD + len) == NULL)
                        return 0;
        }
        return overhead(key != NULL) + len;
}

static void free_buf(uint8_t *buf, size_t len)
{
        if (buf != NULL) {
                OPENSSL_cleanse(buf, len);
                free(buf);
        }
}

/* A new file: image as copy 0 numbered seq, and prev (NULL: none) as copy 1 numbered seq - 1. */
static int format_file(const uint8_t *image, size_t len, const uint8_t *prev, size_t prev_len,
                       const uint8_t *key, unsigned long long seq, uint8_t **file, size_t *flen)
{
        size_t big = prev != NULL && prev_len > len ? prev_len : len;
        /* room to grow: a state seldom outgrows half its size again */
        size_t copy = (overhead(key != NULL) + big + big / 2 + 512 + PAGE - 1) / PAGE * PAGE;
        size_t total = PAGE + 2 * copy;
        uint8_t *buf;

        *file = NULL;
        *flen = 0;
        if (big > STATE_IMAGE_MAX || (buf = calloc(1, total)) == NULL)
                return -1;
        if (make_header(key != NULL, key, copy, buf) != 0 ||
            build_copy(key, buf, seq, image, len, buf + PAGE) == 0 ||
            (prev != NULL &&
             build_copy(key, buf, seq - 1, prev, prev_len, buf + PAGE + copy) == 0)) {
                free_buf(buf, total);
                return -1;
        }
        *file = buf;
        *flen = total;
        return 0;
}

int store_format(const uint8_t *image, size_t len, const uint8_t *key, unsigned long long seq,
                 uint8_t **file, size_t *flen)
{
        return format_file(image, len, NULL, 0, key, seq, file, flen);
}

/*
 * The image of one copy into a new buffer, if the copy reads whole: 0; -1
 * when it does not; -2 when memory ran out before it could tell.
 */
static int open_copy(const uint8_t *header, const uint8_t *key, const uint8_t *c, size_t size,
                     unsigned long long *seq, uint8_t **image, size_t *len)
{
        bool sealed = key != NULL;
        size_t n = (size_t)get_be(c + 8, 4);
        uint8_t digest[SHA256_DIGEST_LENGTH], aad[HDR_SIGNED + COPY_HEAD];
        uint8_t *out;

        int rc;

        if (n > STATE_IMAGE_MAX || n > size - overhead(sealed))
                return -1;
        if ((out = malloc(n + 1)) == NULL)
                return -2;
        if (sealed) {
                memcpy(aad, header, HDR_SIGNED);
                memcpy(aad + HDR_SIGNED, c, COPY_HEAD);
                if ((rc = state_unseal(key, aad, sizeof(aad), c + COPY_HEAD,
                                       c + COPY_HEAD + STATE_NONCE_LEN, n,
                                       c + COPY_HEAD + STATE_NONCE_LEN + n, out)) != 0) {
                        free(out);
                        return rc;
                }
        } else {
                if (SHA256(c, COPY_HEAD + n, digest) == NULL) {
                        free(out);
                        return -2;
                }
                if (CRYPTO_memcmp(digest, c + COPY_HEAD + n, sizeof(digest)) != 0) {
                        free(out);
                        return -1;
                }
                memcpy(out, c + COPY_HEAD, n);
        }
        *seq = get_be(c, 8);
        *image = out;
        *len = n;
        return 0;
}

/* What a format 3 file says of itself, once its header is checked. */
struct layout {
        bool sealed;
        size_t copy_size;
        uint8_t header[HDR_LEN];
};

static int check_header(const uint8_t *buf, size_t len, const uint8_t *key, struct layout *l,
                        const char *path, scsim_diag *diag)
{
        uint8_t digest[SHA256_DIGEST_LENGTH], id[STATE_KEY_ID_LEN];
        unsigned flags;

        if (len < PAGE) {
                state_say(diag, path, "integrity check failed: the file is truncated");
                return SCSIM_ERR_STATE;
        }
        if (SHA256(buf, HDR_SIGNED, digest) == NULL) {
                state_say(diag, path, "out of memory");
                return SCSIM_ERR_NO_MEMORY;
        }
        if (CRYPTO_memcmp(digest, buf + HDR_SIGNED, sizeof(digest)) != 0) {
                state_say(diag, path, "integrity check failed (header): the file is corrupt");
                return SCSIM_ERR_STATE;
        }
        flags = (unsigned)get_be(buf + 10, 2);
        if ((flags & ~FLAG_SEALED) != 0) {
                state_say(diag, path, "uses features of a newer scsim (flags %04X)", flags);
                return SCSIM_ERR_STATE;
        }
        l->sealed = (flags & FLAG_SEALED) != 0;
        l->copy_size = (size_t)get_be(buf + 12, 4);
        if (l->copy_size < PAGE || l->copy_size % PAGE != 0 || l->copy_size > COPY_MAX ||
            len != PAGE + 2 * l->copy_size) {
                state_say(diag, path,
                          "integrity check failed: the file is truncated or has grown (%zu bytes)",
                          len);
                return SCSIM_ERR_STATE;
        }
        if (l->sealed && key == NULL) {
                state_say(diag, path, "is encrypted: give its key (--state-key)");
                return SCSIM_ERR_STATE;
        }
        if (l->sealed) {
                if (state_key_id(key, id) != 0) {
                        state_say(diag, path, "out of memory");
                        return SCSIM_ERR_NO_MEMORY;
                }
                if (CRYPTO_memcmp(id, buf + 16, sizeof(id)) != 0) {
                        state_say(diag, path, "is encrypted with another key than the one given");
                        return SCSIM_ERR_STATE;
                }
        }
        memcpy(l->header, buf, HDR_LEN);
        return SCSIM_OK;
}

/* The newest copy that reads whole; info says which. */
static int read_copies(const uint8_t *buf, const struct layout *l, const uint8_t *key,
                       uint8_t **image, size_t *len, unsigned long long *seq,
                       struct store_info *info, const char *path, scsim_diag *diag)
{
        uint8_t *img[2] = {NULL, NULL};
        size_t n[2] = {0, 0};
        unsigned long long q[2] = {0, 0};
        int ok[2], rc[2];
        unsigned pick;

        for (unsigned i = 0; i < 2; i++) {
                rc[i] = open_copy(l->header, l->sealed ? key : NULL, buf + PAGE + i * l->copy_size,
                                  l->copy_size, &q[i], &img[i], &n[i]);
                ok[i] = rc[i] == 0;
        }
        /* a copy memory failed to read may be the newest: the older one is no answer */
        if (rc[0] == -2 || rc[1] == -2) {
                for (unsigned i = 0; i < 2; i++)
                        if (img[i] != NULL) {
                                OPENSSL_cleanse(img[i], n[i]);
                                free(img[i]);
                        }
                state_say(diag, path, "out of memory");
                return SCSIM_ERR_NO_MEMORY;
        }
        if (!ok[0] && !ok[1]) {
                state_say(diag, path,
                          "integrity check failed: neither copy of the state reads (%s "
                          "mismatch): the file is corrupt",
                          l->sealed ? "GCM tag" : "SHA-256");
                return SCSIM_ERR_STATE;
        }
        pick = !ok[0] || (ok[1] && q[1] > q[0]) ? 1 : 0;
        *image = img[pick];
        *len = n[pick];
        *seq = q[pick];
        info->copy = pick + 1;
        info->sequence = q[pick];
        info->other_intact = ok[1 - pick] != 0;
        if (img[1 - pick] != NULL) {
                OPENSSL_cleanse(img[1 - pick], n[1 - pick]);
                free(img[1 - pick]);
        }
        return SCSIM_OK;
}

/*
 * The image a file holds: the newest intact copy of a format 3 file, or the
 * whole file when an older scsim wrote it (or when it is no state file at
 * all: the image's own checks then say what is wrong with it).
 */
static int read_image(const uint8_t *buf, size_t len, const uint8_t *key, struct layout *l,
                      uint8_t **image, size_t *ilen, unsigned long long *seq,
                      struct store_info *info, const char *path, scsim_diag *diag)
{
        *image = NULL;
        *ilen = 0;
        unsigned format =
            len >= 10 && memcmp(buf, magic, sizeof(magic)) == 0 ? (unsigned)get_be(buf + 8, 2) : 0;
        int rc;

        memset(info, 0, sizeof(*info));
        info->format = format;
        *seq = 0;
        if (format > STORE_FORMAT) {
                state_say(diag, path,
                          "state file format %u was written by a newer scsim; this one reads "
                          "formats up to %u",
                          format, STORE_FORMAT);
                return SCSIM_ERR_STATE;
        }
        if (format == STORE_FORMAT) {
                if ((rc = check_header(buf, len, key, l, path, diag)) != SCSIM_OK)
                        return rc;
                info->encrypted = l->sealed;
                return read_copies(buf, l, key, image, ilen, seq, info, path, diag);
        }
        if (len > STATE_IMAGE_MAX) {
                state_say(diag, path, "too large for a state file (%zu bytes)", len);
                return SCSIM_ERR_STATE;
        }
        if ((*image = malloc(len + 1)) == NULL) {
                state_say(diag, path, "out of memory");
                return SCSIM_ERR_NO_MEMORY;
        }
        memcpy(*image, buf, len);
        *ilen = len;
        return SCSIM_OK;
}

int store_open(const char *path, const uint8_t *key, struct state_store **out, scsim_diag *diag)
{
        struct state_store *s = calloc(1, sizeof(*s));
        int rc;

        *out = NULL;
        if (s == NULL || (s->path = strdup(path)) == NULL) {
                free(s);
                state_say(diag, path, "out of memory");
                return SCSIM_ERR_NO_MEMORY;
        }
        s->fd = s->lock_fd = -1;
        s->dir.fd = -1;
        if (key != NULL) {
                s->sealed = true;
                memcpy(s->key, key, STATE_KEY_LEN);
        }
        if ((rc = state_dir_open(&s->dir, s->path, true, diag)) != SCSIM_OK ||
            (rc = state_lock(&s->dir, &s->lock_fd, diag)) != SCSIM_OK) {
                store_close(&s);
                return rc;
        }
        state_tmp_sweep(&s->dir);
        if ((rc = state_file_open(&s->dir, s->dir.base, O_RDWR, &s->fd, diag)) != SCSIM_OK) {
                store_close(&s);
                return rc;
        }
        *out = s;
        return SCSIM_OK;
}

int store_load(struct state_store *s, uint8_t **image, size_t *len, struct store_info *info,
               scsim_diag *diag)
{
        struct layout l;
        uint8_t *buf = NULL;
        size_t blen = 0;
        int rc;

        *image = NULL;
        *len = 0;
        memset(info, 0, sizeof(*info));
        if (s->fd < 0)
                return SCSIM_OK;
        rc = state_file_read(s->fd, FILE_MAX, &buf, &blen, s->path, diag);
        if (rc == SCSIM_OK)
                rc = read_image(buf, blen, s->sealed ? s->key : NULL, &l, image, len, &s->seq, info,
                                s->path, diag);
        free_buf(buf, blen);
        return rc;
}

int store_parse(const uint8_t *buf, size_t len, const uint8_t *key, uint8_t **image, size_t *ilen,
                struct store_info *info, const char *path, scsim_diag *diag)
{
        struct layout l;
        unsigned long long seq;

        return read_image(buf, len, key, &l, image, ilen, &seq, info, path, diag);
}

int store_peek(const char *path, const uint8_t *key, uint8_t **image, size_t *len,
               struct store_info *info, scsim_diag *diag)
{
        struct layout l;
        struct stat sb;
        unsigned long long seq;
        uint8_t *buf = NULL;
        size_t blen = 0;
        int fd, rc;

        *image = NULL;
        *len = 0;
        /* only read: no lock, no checks of who could write it, but never wait on a FIFO */
        if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
                state_say(diag, path, "cannot open: %s", strerror(errno));
                return SCSIM_ERR_IO;
        }
        if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
                state_say(diag, path, "not a regular file: refused");
                close(fd);
                return SCSIM_ERR_STATE;
        }
        rc = state_file_read(fd, FILE_MAX, &buf, &blen, path, diag);
        close(fd);
        if (rc == SCSIM_OK)
                rc = read_image(buf, blen, key, &l, image, len, &seq, info, path, diag);
        free_buf(buf, blen);
        return rc;
}

void store_set_fault(struct state_store *s, scsim_state_fault_fn *fn, void *ctx)
{
        s->fault = fn;
        s->fault_ctx = ctx;
}

/* The embedder's fault hook at a stage: a refusal is an I/O error. */
static int stage(const struct state_store *s, enum scsim_state_stage st)
{
        if (s->fault != NULL && s->fault(s->fault_ctx, st) != 0) {
                errno = EIO;
                return -1;
        }
        return 0;
}

/* Put a new file in place: -1 before the rename (nothing changed), -2 after it. */
static int replace(struct state_store *s, const uint8_t *file, size_t total, int *fdp)
{
        char tmp[STATE_TMP_NAME_MAX];
        int fd, e;

        *fdp = -1;
        if (stage(s, SCSIM_STATE_BEFORE_WRITE) != 0 || (fd = state_tmp_create(&s->dir, tmp)) < 0)
                return -1;
        if (state_write_all(fd, file, total, 0) != 0 || stage(s, SCSIM_STATE_AFTER_WRITE) != 0 ||
            fsync(fd) != 0 || stage(s, SCSIM_STATE_AFTER_SYNC) != 0 ||
            renameat(s->dir.fd, tmp, s->dir.fd, s->dir.base) != 0) {
                e = errno;
                unlinkat(s->dir.fd, tmp, 0);
                close(fd);
                errno = e;
                return -1;
        }
        *fdp = fd;
        /* without the directory's sync a power cut could bring the old file back */
        if (stage(s, SCSIM_STATE_AFTER_RENAME) != 0 || fsync(s->dir.fd) != 0)
                return -2;
        return 0;
}

/* After a failed write: make the copy unreadable, so the file reads as before. */
static void invalidate(struct state_store *s, unsigned copy)
{
        static const uint8_t zero[COPY_HEAD] = {0};
        int e = errno;

        if (state_write_all(s->fd, zero, sizeof(zero), (long long)(PAGE + copy * s->copy_size)) ==
            0)
                (void)fdatasync(s->fd);
        errno = e;
}

int store_rewrite(struct state_store *s, const uint8_t *image, size_t len, const uint8_t *prev,
                  size_t prev_len, scsim_diag *diag)
{
        uint8_t *file = NULL, *wbuf = NULL;
        size_t total = 0, copy;
        int fd = -1, rc = -1, r;

        if (len > STATE_IMAGE_MAX) {
                state_say(diag, s->path, "the state is too large (%zu bytes)", len);
                errno = EFBIG;
                return -1;
        }
        if (s->seq == 0)
                prev = NULL; /* nothing numbered before it */
        if (format_file(image, len, prev, prev_len, s->sealed ? s->key : NULL, s->seq + 1, &file,
                        &total) != 0 ||
            (wbuf = malloc(total)) == NULL) {
                state_say(diag, s->path, "out of memory, or cannot encrypt the state");
                errno = ENOMEM;
                goto fail;
        }
        copy = (total - PAGE) / 2;
        r = replace(s, file, total, &fd);
        if (r == -1) {
                state_say(diag, s->path, "cannot write a new state file in %s: %s", s->dir.dir,
                          strerror(errno));
                goto fail;
        }
        /* the new file is in place, even when its rename may not be durable (r == -2) */
        if (s->fd >= 0)
                close(s->fd);
        s->fd = fd;
        memcpy(s->header, file, HDR_LEN);
        free_buf(s->wbuf, 2 * s->copy_size);
        s->wbuf = wbuf;
        s->copy_size = copy;
        s->durable = 0;
        s->seq++;
        s->unsynced = false;
        s->kept_len = 0;
        wbuf = NULL;
        s->stale = r != 0;
        if (r != 0)
                state_say(diag, s->path, "cannot sync directory %s: %s", s->dir.dir,
                          strerror(errno));
        /* the rename may not last, and the caller keeps the state as it was: so does the file */
        if (r != 0 && prev != NULL) {
                invalidate(s, 0);
                s->durable = 1;
                s->seq--;
        }
        rc = r == 0 ? 0 : -1;
fail:
        free_buf(file, total);
        free(wbuf);
        return rc;
}

/*
 * After a write over copy failed: when that copy held the newest state,
 * written but not synced (a restore), its bytes, kept, are written back in
 * place, again without a sync (nothing to compute, nothing to allocate), so
 * the failure loses nothing the file held; otherwise, or if that write
 * fails too, the copy is wiped and the other one, synced, is the state.
 */
static void recover(struct state_store *s, unsigned copy)
{
        int e = errno;

        if (s->unsynced && s->kept_len > 0 &&
            state_write_all(s->fd, s->wbuf + s->copy_size, s->kept_len,
                            (long long)(PAGE + copy * s->copy_size)) == 0) {
                errno = e;
                return;
        }
        s->unsynced = false;
        s->kept_len = 0;
        invalidate(s, copy);
        errno = e;
}

int store_write(struct state_store *s, const uint8_t *image, size_t len, bool durable,
                const uint8_t *prev, size_t prev_len)
{
        unsigned copy = 1 - s->durable;
        size_t n;

        if (s->stale || s->fd < 0 || overhead(s->sealed) + len > s->copy_size)
                return store_rewrite(s, image, len, prev, prev_len, NULL);
        if ((n = build_copy(s->sealed ? s->key : NULL, s->header, s->seq + 1, image, len,
                            s->wbuf)) == 0) {
                errno = EIO;
                return -1;
        }
        s->seq++;
        if (stage(s, SCSIM_STATE_BEFORE_WRITE) != 0 ||
            state_write_all(s->fd, s->wbuf, n, (long long)(PAGE + copy * s->copy_size)) != 0 ||
            stage(s, SCSIM_STATE_AFTER_WRITE) != 0 ||
            (durable && (fdatasync(s->fd) != 0 || stage(s, SCSIM_STATE_AFTER_SYNC) != 0))) {
                recover(s, copy);
                return -1;
        }
        if (durable)
                s->durable = copy;
        s->unsynced = !durable;
        s->kept_len = durable ? 0 : n;
        if (!durable)
                memcpy(s->wbuf + s->copy_size, s->wbuf, n);
        return 0;
}

void store_close(struct state_store **sp)
{
        struct state_store *s;

        if (sp == NULL || (s = *sp) == NULL)
                return;
        /* a clean end loses nothing, not even what need not have waited for the disk */
        if (s->fd >= 0 && s->unsynced)
                (void)fdatasync(s->fd);
        if (s->fd >= 0)
                close(s->fd);
        if (s->lock_fd >= 0)
                close(s->lock_fd);
        state_dir_close(&s->dir);
        if (s->wbuf != NULL)
                free_buf(s->wbuf, 2 * s->copy_size);
        OPENSSL_cleanse(s->key, sizeof(s->key));
        free(s->path);
        free(s);
        *sp = NULL;
}
