/* SPDX-License-Identifier: MIT */
/* The card description in memory: made empty, looked up, wiped and freed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "conform_card.h"

struct cf_card *cf_card_new(void)
{
        struct cf_card *c = calloc(1, sizeof(*c));

        if (c == NULL)
                return NULL;
        /* the MF: every description has one, even when it says nothing of it */
        snprintf(c->files[0].name, sizeof(c->files[0].name), "MF");
        c->files[0].parent = -1;
        c->files[0].is_df = true;
        c->files[0].has_fid = true;
        c->files[0].fid[0] = 0x3f;
        c->files[0].fid[1] = 0x00;
        c->nfiles = 1;
        c->opgp.signature_pin = -1;
        return c;
}

static void rule_free(struct cf_rule *r)
{
        for (size_t i = 0; i < r->n && r->sub != NULL; i++)
                rule_free(&r->sub[i]);
        free(r->sub);
        r->sub = NULL;
        r->n = 0;
}

void cf_card_free(struct cf_card **pc)
{
        struct cf_card *c = pc != NULL ? *pc : NULL;

        if (c == NULL)
                return;
        for (size_t i = 0; i < c->nfiles; i++) {
                free(c->files[i].content);
                rule_free(&c->files[i].read);
                rule_free(&c->files[i].update);
        }
        for (size_t i = 0; i < c->nchvs; i++)
                rule_free(&c->chvs[i].rrc);
        for (size_t i = 0; i < c->piv.nkeys; i++)
                EVP_PKEY_free(c->piv.keys[i].pub);
        /* codes and keys: nothing of them left behind in freed memory */
        OPENSSL_cleanse(c, sizeof(*c));
        free(c);
        *pc = NULL;
}

int cf_card_app_df(const struct cf_card *c, const char *app)
{
        for (size_t i = 1; i < c->nfiles; i++)
                if (c->files[i].is_df && strcmp(c->files[i].app, app) == 0)
                        return (int)i;
        return -1;
}

int cf_card_chv_by_ref(const struct cf_card *c, int df, int ref)
{
        for (size_t i = 0; i < c->nchvs; i++) {
                const struct cf_chv *v = &c->chvs[i];
                if (v->ref != ref || !v->verifiable)
                        continue;
                if ((ref & 0x80) == 0 || v->df == df)
                        return (int)i;
        }
        return -1;
}
