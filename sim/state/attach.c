/* SPDX-License-Identifier: MIT */
/*
 * A state store attached to a card: the one part of sim/state/ that knows
 * the card. It loads the card from the store, and from then on turns each
 * commit of the card into one image written to the store. Application
 * records are encoded only when their application says its state changed;
 * every other commit reuses them as last written.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <scsim/err.h>
#include <scsim/state.h>

#include "card_internal.h"
#include "state/codec.h"
#include "state/file.h"
#include "state/seal.h"
#include "state/store.h"

struct link {
        struct state_store *store; /* NULL until attached */
        bool has_key;
        uint8_t key[STATE_KEY_LEN];
        scsim_state_fault_fn *fault;
        void *fault_ctx;
        /* each application's record as last written (NULL: it keeps none) */
        uint8_t *rec[PROF_APPS_MAX];
        size_t rec_len[PROF_APPS_MAX];
        uint8_t *img; /* the image being written */
        size_t img_cap;
        /* the image the store's newest copy holds, and whether it is surely on the disk */
        uint8_t *disk;
        size_t disk_cap, disk_len;
        bool disk_synced;
        /* the card's state when it differs from the disk's only by a deferred restore */
        uint8_t *pend;
        size_t pend_cap, pend_len;
        struct state_doc doc;
};

static void free_rec(uint8_t **rec, size_t *len)
{
        if (*rec != NULL) {
                OPENSSL_cleanse(*rec, *len);
                free(*rec);
        }
        *rec = NULL;
        *len = 0;
}

static void link_free(struct link *l)
{
        store_close(&l->store);
        for (size_t i = 0; i < PROF_APPS_MAX; i++)
                free_rec(&l->rec[i], &l->rec_len[i]);
        free_rec(&l->img, &l->img_cap);
        free_rec(&l->disk, &l->disk_cap);
        free_rec(&l->pend, &l->pend_cap);
        OPENSSL_cleanse(l, sizeof(*l));
        free(l);
}

/* Encode application i's durable state (no record when it keeps none). 0 or -1. */
static int encode_record(const struct scsim_card *card, size_t i, uint8_t **rec, size_t *len)
{
        if (app_save(card, i, rec, len) != 0)
                return -1;
        if (*len > STATE_IMAGE_MAX) {
                free_rec(rec, len);
                return -1;
        }
        return 0;
}

/* The image of st and the given records into l->img; its length, or 0 on failure. */
static size_t encode_image(struct link *l, const scsim_profile *p, const struct card_state *st,
                           uint8_t *const rec[PROF_APPS_MAX], const size_t rec_len[PROF_APPS_MAX])
{
        struct state_blob apps[PROF_APPS_MAX];
        size_t n;

        for (size_t i = 0; i < PROF_APPS_MAX; i++)
                apps[i] = (struct state_blob){rec[i], rec_len[i]};
        state_doc_make(&l->doc, p, st, apps);
        n = state_doc_size(&l->doc);
        if (n > STATE_IMAGE_MAX)
                return 0;
        if (n > l->img_cap) {
                uint8_t *img = malloc(n);
                if (img == NULL)
                        return 0;
                free_rec(&l->img, &l->img_cap);
                l->img = img;
                l->img_cap = n;
        }
        if (state_doc_encode(&l->doc, l->img) != 0)
                n = 0;
        state_doc_cleanse(&l->doc);
        return n;
}

/* The records a commit writes: those that changed encoded anew into fresh, the rest as last
 * written. */
static int pick_records(struct link *l, const struct scsim_card *card, int app,
                        uint8_t *rec[PROF_APPS_MAX], size_t len[PROF_APPS_MAX],
                        uint8_t *fresh[PROF_APPS_MAX], size_t flen[PROF_APPS_MAX])
{
        memcpy(rec, l->rec, sizeof(l->rec));
        memcpy(len, l->rec_len, sizeof(l->rec_len));
        for (size_t i = 0; i < card->prof->napps; i++) {
                if (app != CARD_COMMIT_ALL && app != (int)i)
                        continue;
                if (encode_record(card, i, &fresh[i], &flen[i]) != 0)
                        return -1;
                rec[i] = fresh[i];
                len[i] = flen[i];
        }
        return 0;
}

/* The image in l->img (n bytes) is now the newest copy's: it becomes l->disk. */
static void written(struct link *l, size_t n, bool synced)
{
        uint8_t *b = l->disk;
        size_t cap = l->disk_cap;

        l->disk = l->img;
        l->disk_cap = l->img_cap;
        l->disk_len = n;
        l->disk_synced = synced;
        l->img = b;
        l->img_cap = cap;
        l->pend_len = 0;
}

/* Keep the n bytes of l->img to be written later. 0 or -1. */
static int defer(struct link *l, size_t n)
{
        if (n > l->pend_cap) {
                uint8_t *b = malloc(n);
                if (b == NULL)
                        return -1;
                free_rec(&l->pend, &l->pend_cap);
                l->pend = b;
                l->pend_cap = n;
        }
        memcpy(l->pend, l->img, n);
        l->pend_len = n;
        return 0;
}

/* Write l->img (n bytes) as asked, or nothing when the disk holds it as surely as asked. */
static int put(struct link *l, const struct scsim_card *card, size_t n, enum card_write how)
{
        bool same = n == l->disk_len && memcmp(l->img, l->disk, n) == 0;

        if (same && (l->disk_synced || how != CARD_WRITE_DURABLE)) {
                l->pend_len = 0;
                return 0;
        }
        if (how == CARD_WRITE_DEFERRED)
                return defer(l, n);
        if (store_write(l->store, l->img, n, how == CARD_WRITE_DURABLE, l->disk, l->disk_len) !=
            0) {
                LOG(&card->log, SCSIM_LOG_ERROR, "cannot write the state: %s", strerror(errno));
                return -1;
        }
        written(l, n, how == CARD_WRITE_DURABLE);
        return 0;
}

static int link_commit(void *ctx, struct scsim_card *card, int app, enum card_write how)
{
        struct link *l = ctx;
        uint8_t *rec[PROF_APPS_MAX], *fresh[PROF_APPS_MAX] = {NULL};
        size_t len[PROF_APPS_MAX], flen[PROF_APPS_MAX] = {0}, n;
        int rc = -1;

        if (l->store == NULL)
                return 0;
        if (pick_records(l, card, app, rec, len, fresh, flen) != 0)
                goto out;
        if ((n = encode_image(l, card->prof, &card->st, rec, len)) == 0)
                goto out;
        if (put(l, card, n, how) != 0)
                goto out;
        /* the card has this state now: its records are the ones to reuse; on failure the caller
         * undoes the change */
        for (size_t i = 0; i < PROF_APPS_MAX; i++) {
                if (fresh[i] == NULL)
                        continue;
                free_rec(&l->rec[i], &l->rec_len[i]);
                l->rec[i] = fresh[i];
                l->rec_len[i] = flen[i];
                fresh[i] = NULL;
                flen[i] = 0;
        }
        rc = 0;
out:
        for (size_t i = 0; i < PROF_APPS_MAX; i++)
                free_rec(&fresh[i], &flen[i]);
        return rc;
}

/* The card goes: a deferred restore is written (if it cannot be, the file keeps the try spent). */
static void link_release(void *ctx)
{
        struct link *l = ctx;

        if (l->store != NULL && l->pend_len > 0)
                (void)store_write(l->store, l->pend, l->pend_len, true, l->disk, l->disk_len);
        link_free(l);
}

static const struct card_store_ops link_ops = {link_commit, link_release};

/* The card's link, made on first use; NULL when out of memory. */
static struct link *link_of(scsim_card *card)
{
        struct link *l;

        if (card->store == &link_ops)
                return card->store_ctx;
        if (card->store != NULL || (l = calloc(1, sizeof(*l))) == NULL)
                return NULL;
        card->store = &link_ops;
        card->store_ctx = l;
        return l;
}

int scsim_card_set_state_key(scsim_card *card, const uint8_t *key, size_t len)
{
        struct link *l;

        if (card == NULL || (key == NULL && len != 0) || (key != NULL && len != STATE_KEY_LEN))
                return SCSIM_ERR_INVALID_ARGUMENT;
        if ((l = link_of(card)) == NULL)
                return SCSIM_ERR_NO_MEMORY;
        if (l->store != NULL)
                return SCSIM_ERR_INVALID_ARGUMENT; /* a store's key is chosen when attached */
        l->has_key = key != NULL;
        if (key != NULL)
                memcpy(l->key, key, STATE_KEY_LEN);
        else
                OPENSSL_cleanse(l->key, sizeof(l->key));
        return SCSIM_OK;
}

int scsim_card_set_fault_hook(scsim_card *card, scsim_state_fault_fn *fn, void *ctx)
{
        struct link *l;

        if (card == NULL)
                return SCSIM_ERR_INVALID_ARGUMENT;
        if ((l = link_of(card)) == NULL)
                return SCSIM_ERR_NO_MEMORY;
        l->fault = fn;
        l->fault_ctx = ctx;
        if (l->store != NULL)
                store_set_fault(l->store, fn, ctx);
        return SCSIM_OK;
}

/* What attaching loads, held apart from the card until all of it is known good. */
struct loaded {
        struct card_state st;
        void *app_state[PROF_APPS_MAX]; /* applications loaded from the file */
        uint8_t *rec[PROF_APPS_MAX];    /* every application's record, as the card will have it */
        size_t rec_len[PROF_APPS_MAX];
};

static void loaded_free(const scsim_profile *p, struct loaded *ld)
{
        if (ld->st.ef != NULL) {
                OPENSSL_cleanse(ld->st.ef, ld->st.ef_len);
                free(ld->st.ef);
        }
        for (size_t i = 0; i < PROF_APPS_MAX; i++) {
                if (ld->app_state[i] != NULL)
                        p->apps[i].def->free(&ld->app_state[i]);
                free_rec(&ld->rec[i], &ld->rec_len[i]);
        }
        OPENSSL_cleanse(ld, sizeof(*ld));
}

/* Give each application record of the file to its application's load hook. */
static int load_apps(scsim_card *card, const struct state_blob apps[PROF_APPS_MAX],
                     struct loaded *ld, const char *path, scsim_diag *diag)
{
        const scsim_profile *p = card->prof;

        for (size_t i = 0; i < p->napps; i++) {
                const struct app_def *app = p->apps[i].def;
                if (apps[i].data == NULL)
                        continue;
                if (card->app_state[i] == NULL || app->load == NULL) {
                        state_say(diag, path,
                                  "application '%s' in the state is not in profile '%s'", app->name,
                                  p->name);
                        return -1;
                }
                if (app->load(card, &p->apps[i], apps[i].data, apps[i].len, &ld->app_state[i]) !=
                    0) {
                        state_say(diag, path,
                                  "application '%s': its state is malformed or does not fit "
                                  "profile '%s'",
                                  app->name, p->name);
                        return -1;
                }
        }
        return 0;
}

/* Decode an image into ld (a copy of the card's state, changed as the file says). */
static int decode(scsim_card *card, struct link *l, const uint8_t *image, size_t len,
                  struct loaded *ld, const char *path, scsim_diag *diag)
{
        struct state_blob apps[PROF_APPS_MAX];
        char err[sizeof(diag->message)];

        if (state_doc_parse(&l->doc, image, len, err, sizeof(err)) != 0 ||
            state_doc_bind(&l->doc, card->prof, &ld->st, apps, err, sizeof(err)) != 0) {
                state_doc_cleanse(&l->doc);
                state_say(diag, path, "%s", err);
                return SCSIM_ERR_STATE;
        }
        state_doc_cleanse(&l->doc);
        return load_apps(card, apps, ld, path, diag) == 0 ? SCSIM_OK : SCSIM_ERR_STATE;
}

/* ld starts as the card's state; the file, if any, changes it; then every record is encoded. */
static int prepare(scsim_card *card, struct link *l, const uint8_t *image, size_t len,
                   struct loaded *ld, const char *path, scsim_diag *diag)
{
        int rc;

        ld->st = card->st;
        if ((ld->st.ef = malloc(card->st.ef_len > 0 ? card->st.ef_len : 1)) == NULL) {
                state_say(diag, path, "out of memory");
                return SCSIM_ERR_NO_MEMORY;
        }
        memcpy(ld->st.ef, card->st.ef, card->st.ef_len);
        if (image != NULL && (rc = decode(card, l, image, len, ld, path, diag)) != SCSIM_OK)
                return rc;
        for (size_t i = 0; i < card->prof->napps; i++) {
                void *saved = card->app_state[i];
                /* records are encoded from the state the card is about to have */
                if (ld->app_state[i] != NULL)
                        card->app_state[i] = ld->app_state[i];
                rc = encode_record(card, i, &ld->rec[i], &ld->rec_len[i]);
                card->app_state[i] = saved;
                if (rc != 0) {
                        state_say(diag, path, "cannot encode application '%s'",
                                  card->prof->apps[i].def->name);
                        return SCSIM_ERR_NO_MEMORY;
                }
        }
        return SCSIM_OK;
}

/* The card takes what was loaded; ld keeps what the card had, to be freed. */
static void install(scsim_card *card, struct link *l, struct loaded *ld)
{
        uint8_t *ef = card->st.ef;

        card->st = ld->st;
        ld->st.ef = ef;
        ld->st.ef_len = card->st.ef_len;
        for (size_t i = 0; i < PROF_APPS_MAX; i++) {
                if (ld->app_state[i] != NULL) {
                        void *old = card->app_state[i];
                        card->app_state[i] = ld->app_state[i];
                        ld->app_state[i] = old;
                }
                l->rec[i] = ld->rec[i];
                l->rec_len[i] = ld->rec_len[i];
                ld->rec[i] = NULL;
                ld->rec_len[i] = 0;
        }
}

int scsim_card_attach_state(scsim_card *card, const char *path, scsim_diag *diag)
{
        struct link *l;
        struct state_store *s = NULL;
        struct store_info info;
        struct loaded ld;
        uint8_t *image = NULL;
        size_t len = 0, n;
        int rc;

        memset(&ld, 0, sizeof(ld));
        if (card == NULL || path == NULL || path[0] == '\0' ||
            (card->store != NULL && card->store != &link_ops)) {
                state_say(diag, path, "invalid argument");
                return SCSIM_ERR_INVALID_ARGUMENT;
        }
        if ((l = link_of(card)) == NULL) {
                state_say(diag, path, "out of memory");
                return SCSIM_ERR_NO_MEMORY;
        }
        if (l->store != NULL) {
                state_say(diag, path, "the card already has a state file");
                return SCSIM_ERR_INVALID_ARGUMENT;
        }
        if ((rc = store_open(path, l->has_key ? l->key : NULL, &s, diag)) != SCSIM_OK ||
            (rc = store_load(s, &image, &len, &info, diag)) != SCSIM_OK ||
            (rc = prepare(card, l, image, len, &ld, path, diag)) != SCSIM_OK)
                goto fail;
        store_set_fault(s, l->fault, l->fault_ctx);
        /* one write now, as every later one will be: what cannot be written is refused here */
        if ((n = encode_image(l, card->prof, &ld.st, ld.rec, ld.rec_len)) == 0) {
                state_say(diag, path, "the state is too large to encode");
                rc = SCSIM_ERR_STATE;
                goto fail;
        }
        if (store_rewrite(s, l->img, n, NULL, 0, diag) != 0) {
                rc = SCSIM_ERR_IO;
                goto fail;
        }
        install(card, l, &ld);
        written(l, n, true);
        l->store = s;
        s = NULL;
        rc = SCSIM_OK;
fail:
        loaded_free(card->prof, &ld);
        if (image != NULL) {
                OPENSSL_cleanse(image, len);
                free(image);
        }
        store_close(&s);
        return rc;
}

int scsim_state_reset_key(const scsim_profile *profile, const char *path, const uint8_t *key,
                          size_t key_len, scsim_diag *diag)
{
        scsim_card *card = NULL;
        struct state_store *s = NULL;
        struct link *l = NULL;
        size_t n;
        int rc = SCSIM_ERR_NO_MEMORY;

        if (profile == NULL || path == NULL || path[0] == '\0' || (key == NULL && key_len != 0) ||
            (key != NULL && key_len != STATE_KEY_LEN)) {
                state_say(diag, path, "invalid argument");
                return SCSIM_ERR_INVALID_ARGUMENT;
        }
        /* a new card has the profile's initial state, applications included */
        if ((card = scsim_card_new(profile)) == NULL || (l = calloc(1, sizeof(*l))) == NULL) {
                state_say(diag, path, "out of memory");
                goto fail;
        }
        if ((rc = store_open(path, key, &s, diag)) != SCSIM_OK)
                goto fail;
        rc = SCSIM_ERR_NO_MEMORY;
        for (size_t i = 0; i < profile->napps; i++) {
                if (encode_record(card, i, &l->rec[i], &l->rec_len[i]) != 0) {
                        state_say(diag, path, "cannot encode the card's state");
                        goto fail;
                }
        }
        if ((n = encode_image(l, profile, &card->st, l->rec, l->rec_len)) == 0) {
                state_say(diag, path, "cannot encode the card's state");
                goto fail;
        }
        rc = store_rewrite(s, l->img, n, NULL, 0, diag) == 0 ? SCSIM_OK : SCSIM_ERR_IO;
fail:
        store_close(&s);
        if (l != NULL)
                link_free(l);
        scsim_card_free(&card);
        return rc;
}

int scsim_state_reset(const scsim_profile *profile, const char *path, scsim_diag *diag)
{
        return scsim_state_reset_key(profile, path, NULL, 0, diag);
}
