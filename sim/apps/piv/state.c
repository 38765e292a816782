/* SPDX-License-Identifier: MIT */
/* The PIV record of the state file (docs/state.md): keys, objects, the management key. */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "apps/piv/crypto.h"
#include "apps/piv/piv.h"
#include "card_internal.h"
#include "pkey.h"
#include "record.h"

/*
 * The PIV record of the state file (docs/state.md): format 1, the management
 * key, the filled key slots (private keys DER-encoded) and the data objects.
 * Integers are big-endian.
 */
#define PIV_STATE_FORMAT 1

int piv_save(const void *state, uint8_t **buf, size_t *len)
{
        const struct piv *piv = state;
        struct wbuf w = {NULL, 0, 0, false};
        size_t n = 0, klen = piv_sym_key_len(piv->mgm_alg);

        *buf = NULL;
        *len = 0;
        w_u8(&w, PIV_STATE_FORMAT);
        w_u8(&w, (uint8_t)piv->mgm_alg);
        w_u8(&w, (uint8_t)klen);
        w_put(&w, piv->mgm_key, klen);
        for (size_t i = 0; i < PROF_PIV_KEYS_MAX; i++)
                n += piv->slots[i].key != NULL;
        w_u8(&w, (uint8_t)n);
        for (size_t i = 0; i < PROF_PIV_KEYS_MAX; i++) {
                const struct piv_slot *sl = &piv->slots[i];
                if (sl->key == NULL)
                        continue;
                w_u8(&w, piv_slot_at((int)i));
                w_u8(&w, (uint8_t)sl->alg);
                w_u8(&w, sl->pin_policy);
                w_u8(&w, sl->origin);
                w_u16(&w, sl->der_len);
                w_put(&w, sl->der, sl->der_len);
        }
        n = 0;
        for (size_t i = 0; i < PIV_OBJS_MAX; i++)
                n += piv->objs[i].tag != 0;
        w_u8(&w, (uint8_t)n);
        for (size_t i = 0; i < PIV_OBJS_MAX; i++) {
                const struct piv_obj *o = &piv->objs[i];
                uint8_t tag[3] = {(uint8_t)(o->tag >> 16), (uint8_t)(o->tag >> 8), (uint8_t)o->tag};
                if (o->tag == 0)
                        continue;
                w_put(&w, tag, 3);
                w_u16(&w, o->len);
                w_put(&w, o->data, o->len);
        }
        return w_finish(&w, buf, len);
}

int piv_load(struct scsim_card *card, const struct prof_app *use, const uint8_t *buf, size_t len,
             void **state)
{
        struct piv *piv = calloc(1, sizeof(*piv));
        struct rcur r = {buf, len};
        const uint8_t *v;
        uint8_t fmt, alg, klen, n;
        int ok = -1;

        if (piv == NULL)
                return -1;
        piv->sec = use->section;
        if (r_u8(&r, &fmt) != 0 || fmt != PIV_STATE_FORMAT || r_u8(&r, &alg) != 0 ||
            r_u8(&r, &klen) != 0 || piv_sym_key_len(alg) == 0 || klen != piv_sym_key_len(alg) ||
            r_take(&r, &v, klen) != 0)
                goto fail;
        piv->mgm_alg = alg;
        memcpy(piv->mgm_key, v, klen);
        if (r_u8(&r, &n) != 0)
                goto fail;
        for (unsigned i = 0; i < n; i++) {
                uint8_t slot, kalg, policy, origin;
                size_t dlen;
                struct piv_slot *sl;
                EVP_PKEY *key;
                int idx;
                if (r_u8(&r, &slot) != 0 || r_u8(&r, &kalg) != 0 || r_u8(&r, &policy) != 0 ||
                    r_u8(&r, &origin) != 0 || r_u16(&r, &dlen) != 0 || r_take(&r, &v, dlen) != 0)
                        goto fail;
                if ((idx = piv_slot_index(slot)) < 0 || !piv_asym_alg(kalg) ||
                    policy == POLICY_DEFAULT || policy > POLICY_ALWAYS ||
                    (origin != ORIGIN_GENERATED && origin != ORIGIN_IMPORTED))
                        goto fail;
                sl = &piv->slots[idx];
                if (sl->key != NULL)
                        goto fail;
                key = pkey_from_der(piv_key_type(kalg), v, dlen);
                if (key == NULL || !piv_key_matches(key, kalg) ||
                    piv_slot_set_der(sl, key, v, dlen) != 0) {
                        EVP_PKEY_free(key);
                        goto fail;
                }
                sl->alg = kalg;
                sl->pin_policy = policy;
                sl->origin = origin;
        }
        if (r_u8(&r, &n) != 0 || n > PIV_OBJS_MAX)
                goto fail;
        for (unsigned i = 0; i < n; i++) {
                const uint8_t *t;
                size_t olen;
                uint32_t tag;
                if (r_take(&r, &t, 3) != 0 || r_u16(&r, &olen) != 0 || r_take(&r, &v, olen) != 0)
                        goto fail;
                tag = (uint32_t)t[0] << 16 | (uint32_t)t[1] << 8 | t[2];
                if (!piv_valid_tag(tag) || olen == 0 || olen > PIV_OBJ_MAX_LEN ||
                    piv_find_obj(piv, tag) != NULL || piv_set_obj(piv, tag, v, olen) != 0)
                        goto fail;
        }
        /*
         * A record written before the card had attestation holds neither the
         * key nor its certificate: it keeps the card's own, made with the
         * card, so that a load is a function of the record and the card;
         * durable from the card's next change of state.
         */
        if (r.left != 0 || piv_attest_adopt(piv, card->app_state[use - card->prof->apps]) != 0)
                goto fail;
        *state = piv;
        piv = NULL;
        ok = 0;
fail:
        if (piv != NULL) {
                piv_free_contents(piv);
                free(piv);
        }
        return ok;
}
