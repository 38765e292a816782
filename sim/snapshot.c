/* SPDX-License-Identifier: MIT */
/* Snapshots of a card's durable state, put back whole or not at all; tries left per reference. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <scsim/control.h>
#include <scsim/err.h>

#include "card_internal.h"

struct scsim_snapshot {
        const scsim_profile *prof;
        struct card_state st; /* st.ef owned */
        uint8_t *app_blob[PROF_APPS_MAX];
        size_t app_len[PROF_APPS_MAX];
};

static void wipe_free(void *p, size_t len)
{
        if (p == NULL)
                return;
        OPENSSL_cleanse(p, len);
        free(p);
}

void scsim_snapshot_free(scsim_snapshot **snapp)
{
        scsim_snapshot *snap;

        if (snapp == NULL || (snap = *snapp) == NULL)
                return;
        wipe_free(snap->st.ef, snap->st.ef_len);
        for (size_t i = 0; i < PROF_APPS_MAX; i++)
                wipe_free(snap->app_blob[i], snap->app_len[i]);
        OPENSSL_cleanse(snap, sizeof(*snap));
        free(snap);
        *snapp = NULL;
}

/* A deep copy of st: its EF bytes in a new buffer. */
static int state_copy(struct card_state *dst, const struct card_state *src)
{
        *dst = *src;
        dst->ef = malloc(src->ef_len > 0 ? src->ef_len : 1);
        if (dst->ef == NULL)
                return -1;
        memcpy(dst->ef, src->ef, src->ef_len);
        return 0;
}

int scsim_card_snapshot(const scsim_card *card, scsim_snapshot **out)
{
        scsim_snapshot *snap = NULL;
        int ok = SCSIM_ERR_NO_MEMORY;

        if (out == NULL || card == NULL)
                return SCSIM_ERR_INVALID_ARGUMENT;
        *out = NULL;
        if ((snap = calloc(1, sizeof(*snap))) == NULL)
                goto fail;
        snap->prof = card->prof;
        if (state_copy(&snap->st, &card->st) != 0)
                goto fail;
        for (size_t i = 0; i < card->prof->napps; i++) {
                if (app_save(card, i, &snap->app_blob[i], &snap->app_len[i]) != 0) {
                        ok = SCSIM_ERR_INTERNAL;
                        goto fail;
                }
        }
        *out = snap;
        snap = NULL;
        ok = SCSIM_OK;
fail:
        scsim_snapshot_free(&snap);
        return ok;
}

/* The states the snapshot's records make, all of them or none (then -1). */
static int load_apps(scsim_card *card, const scsim_snapshot *snap, void *made[PROF_APPS_MAX])
{
        const scsim_profile *p = card->prof;

        for (size_t i = 0; i < p->napps; i++) {
                const struct app_def *app = p->apps[i].def;
                if (snap->app_blob[i] == NULL || app->load == NULL)
                        continue;
                if (app->load(card, &p->apps[i], snap->app_blob[i], snap->app_len[i], &made[i]) !=
                    0) {
                        for (size_t j = 0; j < i; j++)
                                if (made[j] != NULL && p->apps[j].def->free != NULL)
                                        p->apps[j].def->free(&made[j]);
                        return -1;
                }
        }
        return 0;
}

/* Exchanges the card's durable state with st and apps (those present in apps only). */
static void exchange(scsim_card *card, struct card_state *st, void *apps[PROF_APPS_MAX])
{
        struct card_state t = card->st;

        card->st = *st;
        *st = t;
        for (size_t i = 0; i < card->prof->napps; i++) {
                if (apps[i] == NULL)
                        continue;
                void *a = card->app_state[i];
                card->app_state[i] = apps[i];
                apps[i] = a;
        }
}

static void free_apps(scsim_card *card, void *apps[PROF_APPS_MAX])
{
        for (size_t i = 0; i < card->prof->napps; i++)
                if (apps[i] != NULL && card->prof->apps[i].def->free != NULL)
                        card->prof->apps[i].def->free(&apps[i]);
}

int scsim_card_restore(scsim_card *card, const scsim_snapshot *snap)
{
        void *apps[PROF_APPS_MAX] = {NULL};
        struct card_state st;

        if (card == NULL || snap == NULL || snap->prof != card->prof)
                return SCSIM_ERR_INVALID_ARGUMENT;
        if (state_copy(&st, &snap->st) != 0)
                return SCSIM_ERR_NO_MEMORY;
        if (load_apps(card, snap, apps) != 0) {
                wipe_free(st.ef, st.ef_len);
                OPENSSL_cleanse(&st, sizeof(st));
                return SCSIM_ERR_STATE;
        }
        /* Power goes first: a handler's volatile state must not outlive the state it was about. */
        scsim_card_power_off(card);
        exchange(card, &st, apps);
        if (card_commit_all(card) != 0) {
                exchange(card, &st, apps); /* back: the file still holds the old state */
                free_apps(card, apps);
                wipe_free(st.ef, st.ef_len);
                OPENSSL_cleanse(&st, sizeof(st));
                return SCSIM_ERR_IO;
        }
        free_apps(card, apps);
        wipe_free(st.ef, st.ef_len);
        OPENSSL_cleanse(&st, sizeof(st));
        return SCSIM_OK;
}

int scsim_card_reset_state(scsim_card *card)
{
        scsim_snapshot *snap = NULL;
        scsim_card *fresh;
        int rc;

        if (card == NULL)
                return SCSIM_ERR_INVALID_ARGUMENT;
        if ((fresh = scsim_card_new(card->prof)) == NULL)
                return SCSIM_ERR_NO_MEMORY;
        rc = scsim_card_snapshot(fresh, &snap);
        if (rc == SCSIM_OK)
                rc = scsim_card_restore(card, snap);
        scsim_snapshot_free(&snap);
        scsim_card_free(&fresh);
        return rc;
}

int scsim_card_tries(const scsim_card *card,
                     void (*fn)(void *arg, const char *name, unsigned tries), void *arg)
{
        if (card == NULL || fn == NULL)
                return SCSIM_ERR_INVALID_ARGUMENT;
        for (size_t i = 0; i < card->prof->nchvs; i++)
                fn(arg, card->prof->chvs[i].name, card->st.chv[i].tries);
        for (size_t i = 0; i < card->prof->nkeys; i++)
                fn(arg, card->prof->keys[i].name, card->st.key[i].tries);
        for (size_t i = 0; i < card->prof->napps; i++) {
                const struct app_def *def = card->prof->apps[i].def;
                if (def->tries != NULL && card->app_state[i] != NULL)
                        def->tries(card->app_state[i], fn, arg);
        }
        return SCSIM_OK;
}
