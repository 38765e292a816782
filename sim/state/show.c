/* SPDX-License-Identifier: MIT */
/* A state file's records, read through the store and the codec, secrets left out. */
#include <stdlib.h>

#include <openssl/crypto.h>

#include <scsim/err.h>
#include <scsim/state.h>

#include "state/codec.h"
#include "state/file.h"
#include "state/seal.h"
#include "state/show.h"

typedef void record_fn(void *arg, const scsim_state_record *rec);

/* Each record of a decoded document, in file order: counters and sizes, no code, key or length. */
static void walk(const struct state_doc *doc, record_fn *fn, void *arg)
{
        scsim_state_record r = {.kind = SCSIM_STATE_HEADER, .name = doc->profile};

        r.version = doc->format;
        fn(arg, &r);
        for (size_t i = 0; i < doc->nchv; i++) {
                const struct state_chv_rec *c = &doc->chv[i];
                r = (scsim_state_record){.kind = SCSIM_STATE_CHV,
                                         .name = c->name,
                                         .ref = c->has_ref ? c->ref : -1,
                                         .tries = c->tries,
                                         .retries = c->limit,
                                         .enabled = c->enabled != 0};
                fn(arg, &r);
        }
        for (size_t i = 0; i < doc->nkey; i++) {
                const struct state_key_rec *k = &doc->key[i];
                r = (scsim_state_record){.kind = SCSIM_STATE_KEY,
                                         .name = k->name,
                                         .ref = k->ref,
                                         .tries = k->tries,
                                         .retries = k->limit};
                fn(arg, &r);
        }
        for (size_t i = 0; i < doc->nef; i++) {
                const struct state_ef_rec *e = &doc->ef[i];
                r = (scsim_state_record){
                    .kind = SCSIM_STATE_FILE, .name = e->name, .fid = e->fid, .size = e->size};
                fn(arg, &r);
        }
        /* an application's keys and objects are not shown, only its record's size */
        for (size_t i = 0; doc->format >= STATE_FORMAT_APPS && i < doc->napp; i++) {
                r = (scsim_state_record){
                    .kind = SCSIM_STATE_APP, .name = doc->app[i].name, .size = doc->app[i].len};
                fn(arg, &r);
        }
}

int state_inspect(const char *path, const uint8_t *key, size_t key_len, record_fn *fn, void *arg,
                  struct store_info *info, scsim_diag *diag)
{
        struct state_doc *doc = NULL;
        struct store_info seen;
        uint8_t *image = NULL;
        size_t len = 0;
        char err[sizeof(diag->message)];
        int rc;

        if (path == NULL || fn == NULL || (key == NULL && key_len != 0) ||
            (key != NULL && key_len != STATE_KEY_LEN))
                return SCSIM_ERR_INVALID_ARGUMENT;
        if ((rc = store_peek(path, key, &image, &len, info != NULL ? info : &seen, diag)) !=
            SCSIM_OK)
                return rc;
        if ((doc = malloc(sizeof(*doc))) == NULL) {
                state_say(diag, path, "out of memory");
                rc = SCSIM_ERR_NO_MEMORY;
        } else if (state_doc_parse(doc, image, len, err, sizeof(err)) != 0) {
                state_say(diag, path, "%s", err);
                rc = SCSIM_ERR_STATE;
        } else {
                walk(doc, fn, arg);
        }
        if (doc != NULL) {
                state_doc_cleanse(doc);
                free(doc);
        }
        OPENSSL_cleanse(image, len);
        free(image);
        return rc;
}

int scsim_state_inspect_key(const char *path, const uint8_t *key, size_t key_len, record_fn *fn,
                            void *arg, scsim_diag *diag)
{
        return state_inspect(path, key, key_len, fn, arg, NULL, diag);
}

int scsim_state_inspect(const char *path, record_fn *fn, void *arg, scsim_diag *diag)
{
        return state_inspect(path, NULL, 0, fn, arg, NULL, diag);
}
