/* SPDX-License-Identifier: MIT */
/* A card's durable state as a value the fuzz targets take, compare and drop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "durable.h"

int durable_take(const struct scsim_card *card, struct durable *d)
{
        const scsim_profile *p = card->prof;

        memset(d, 0, sizeof(*d));
        for (size_t i = 0; i < p->nchvs; i++)
                d->chv[i] = card->st.chv[i];
        for (size_t i = 0; i < p->nkeys; i++)
                d->key_tries[i] = card->st.key[i].tries;
        if ((d->ef = malloc(card->st.ef_len + 1)) == NULL)
                goto fail;
        memcpy(d->ef, card->st.ef, card->st.ef_len);
        d->ef_len = card->st.ef_len;
        for (size_t i = 0; i < p->napps; i++)
                if (app_save(card, i, &d->app[i], &d->app_len[i]) != 0)
                        goto fail;
        return 0;
fail:
        durable_drop(d);
        return -1;
}

void durable_drop(struct durable *d)
{
        if (d->ef != NULL)
                OPENSSL_cleanse(d->ef, d->ef_len);
        free(d->ef);
        for (size_t i = 0; i < PROF_APPS_MAX; i++) {
                if (d->app[i] != NULL)
                        OPENSSL_cleanse(d->app[i], d->app_len[i]);
                free(d->app[i]);
        }
        OPENSSL_cleanse(d, sizeof(*d));
}

static bool chv_equal(const struct chv_state *a, const struct chv_state *b)
{
        return a->value_len == b->value_len && memcmp(a->value, b->value, a->value_len) == 0 &&
               a->tries == b->tries && a->limit == b->limit && a->enabled == b->enabled;
}

bool durable_equal(const struct durable *a, const struct durable *b, const char *what)
{
        for (size_t i = 0; i < PROF_CHVS_MAX; i++) {
                if (!chv_equal(&a->chv[i], &b->chv[i])) {
                        fprintf(stderr, "%s: CHV %zu differs (tries %u/%u, limit %u/%u)\n", what, i,
                                a->chv[i].tries, b->chv[i].tries, a->chv[i].limit, b->chv[i].limit);
                        return false;
                }
        }
        if (memcmp(a->key_tries, b->key_tries, sizeof(a->key_tries)) != 0) {
                fprintf(stderr, "%s: a key's counter differs\n", what);
                return false;
        }
        if (a->ef_len != b->ef_len || memcmp(a->ef, b->ef, a->ef_len) != 0) {
                fprintf(stderr, "%s: EF contents differ\n", what);
                return false;
        }
        for (size_t i = 0; i < PROF_APPS_MAX; i++) {
                if (a->app_len[i] != b->app_len[i] ||
                    (a->app_len[i] > 0 && memcmp(a->app[i], b->app[i], a->app_len[i]) != 0)) {
                        fprintf(stderr, "%s: application %zu's record differs\n", what, i);
                        return false;
                }
        }
        return true;
}
