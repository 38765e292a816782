/* SPDX-License-Identifier: MIT */
/* PIV data objects: the object store, the default CHUID and discovery object, GET and PUT DATA. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "apps/piv/piv.h"
#include "iso/iso.h"
#include "tlv.h"

/* Data objects ------------------------------------------------------------------------- */

bool piv_valid_tag(uint32_t tag)
{
        if ((tag & 0xffff00) == 0x5fc100)
                return (tag & 0xff) >= 0x01 && (tag & 0xff) <= 0x23;
        return (tag & 0xffff00) == 0x5fff00 || tag == PIV_TAG_DISCOVERY || tag == 0x7f61;
}

/* Fingerprints, facial image, printed information, iris: the PIN first. */
static bool needs_pin(uint32_t tag)
{
        return tag == 0x5fc103 || tag == 0x5fc108 || tag == 0x5fc109 || tag == 0x5fc121;
}

struct piv_obj *piv_find_obj(struct piv *piv, uint32_t tag)
{
        for (size_t i = 0; i < PIV_OBJS_MAX; i++)
                if (piv->objs[i].tag == tag)
                        return &piv->objs[i];
        return NULL;
}

/* Store a copy of the TLV; len 0 deletes. Returns 0 or -1 (no room). */
int piv_set_obj(struct piv *piv, uint32_t tag, const uint8_t *tlv, size_t len)
{
        struct piv_obj *o = piv_find_obj(piv, tag);
        uint8_t *copy = NULL;

        if (len > 0) {
                if (o == NULL && (o = piv_find_obj(piv, 0)) == NULL)
                        return -1;
                if ((copy = malloc(len)) == NULL)
                        return -1;
                memcpy(copy, tlv, len);
        }
        if (o == NULL)
                return 0;
        free(o->data);
        o->data = copy;
        o->len = len;
        o->tag = len > 0 ? tag : 0;
        return 0;
}

/* The default CHUID: the FASC-N of a non-federal issuer (all nines), the GUID, an expiry. */
int piv_default_chuid(struct piv *piv, const uint8_t guid[16])
{
        static const uint8_t fascn[25] = {0xd4, 0xe7, 0x39, 0xda, 0x73, 0x9c, 0xed, 0x39, 0xce,
                                          0x73, 0x9d, 0x83, 0x68, 0x58, 0x21, 0x08, 0x42, 0x10,
                                          0x84, 0x21, 0xc8, 0x42, 0x10, 0xc3, 0xeb};
        static const uint8_t expiry[8] = {'2', '0', '3', '0', '1', '2', '3', '1'};
        uint8_t buf[96];
        struct rbuf r = {buf, sizeof(buf), 0, false};
        size_t mark;

        if (!tlv_open(&r, 0x53, &mark) || !tlv_put(&r, 0x30, fascn, sizeof(fascn)) ||
            !tlv_put(&r, 0x34, guid, 16) || !tlv_put(&r, 0x35, expiry, sizeof(expiry)) ||
            !tlv_put(&r, 0x3e, NULL, 0) || !tlv_put(&r, 0xfe, NULL, 0) || !tlv_close(&r, mark))
                return -1;
        return piv_set_obj(piv, 0x5fc102, buf, r.len);
}

/* A global PIN (reference 00 in the MF) that VERIFY accepts, or -1. */
int piv_default_discovery(struct piv *piv, bool global)
{
        const uint8_t policy[2] = {global ? 0x60 : 0x40, global ? 0x10 : 0x00};
        uint8_t buf[32];
        struct rbuf r = {buf, sizeof(buf), 0, false};
        size_t mark;

        if (!tlv_open(&r, PIV_TAG_DISCOVERY, &mark) ||
            !tlv_put(&r, 0x4f, piv_aid, sizeof(piv_aid)) ||
            !tlv_put(&r, 0x5f2f, policy, sizeof(policy)) || !tlv_close(&r, mark))
                return -1;
        return piv_set_obj(piv, PIV_TAG_DISCOVERY, buf, r.len);
}

/* GET DATA / PUT DATA ----------------------------------------------------------------------- */

/* The 5C tag list with one tag of 1..3 bytes. Returns 9000 or the status word to answer. */
static uint16_t object_tag(const uint8_t **p, size_t *left, uint32_t *out)
{
        const uint8_t *v;
        size_t len;
        uint32_t tag, id = 0;

        if (tlv_next(p, left, &tag, &v, &len) != 0 || tag != 0x5c || len == 0 || len > 3)
                return SW_WRONG_DATA;
        for (size_t i = 0; i < len; i++)
                id = id << 8 | v[i];
        if (!piv_valid_tag(id))
                return SW_NOT_FOUND;
        *out = id;
        return SW_OK;
}

/*
 * YubiKey's tools keep a management key protected by the PIN in 5FC109 (the
 * printed information on other PIV cards, personal data read only with the
 * PIN): what GET DATA answers and PUT DATA writes there stays out of traces.
 */
void piv_secrets(uint8_t ins, const uint8_t *data, size_t len, bool *in, bool *out)
{
        const uint8_t *p = data;
        size_t left = len;
        uint32_t tag;

        if ((ins != 0xcb && ins != 0xdb) || data == NULL || object_tag(&p, &left, &tag) != SW_OK ||
            tag != PIV_TAG_PRINTED)
                return;
        if (ins == 0xdb)
                *in = true;
        else
                *out = true;
}

uint16_t piv_get_data(struct cmd *c)
{
        const struct apdu *a = c->apdu;
        const uint8_t *p = a->data;
        size_t left = a->nc;
        const struct piv_obj *o;
        uint32_t tag = 0;
        uint16_t sw;

        if (a->p1 != 0x3f || a->p2 != 0xff)
                return SW_WRONG_P1P2;
        if (a->nc == 0)
                return SW_WRONG_LENGTH;
        if ((sw = object_tag(&p, &left, &tag)) != SW_OK)
                return sw;
        if (left != 0)
                return SW_WRONG_DATA;
        if (needs_pin(tag) && !piv_pin_verified(c))
                return SW_SECURITY_STATUS;
        if ((o = piv_find_obj(piv_of(c), tag)) == NULL)
                return SW_NOT_FOUND;
        return rbuf_put(c->out, o->data, o->len) ? SW_OK : SW_MEMORY_FAILURE;
}

/*
 * Store (len 0: delete) and commit; if the state cannot be made durable the
 * old object comes back, the very bytes, so that nothing can fail on the way
 * back. No room for another object is 6A84; no memory for this one, 6581.
 */
static uint16_t store_obj(struct cmd *c, uint32_t tag, const uint8_t *tlv, size_t len)
{
        struct piv *piv = piv_of(c);
        struct piv_obj *o = piv_find_obj(piv, tag), old;

        if (o == NULL && len == 0)
                return SW_OK; /* nothing to delete: nothing changes, nothing to write */
        if (o == NULL && (o = piv_find_obj(piv, 0)) == NULL)
                return SW_FILE_FULL;
        old = *o;
        o->data = NULL;
        if (len > 0 && (o->data = malloc(len)) == NULL) {
                *o = old;
                return SW_MEMORY_FAILURE;
        }
        if (len > 0)
                memcpy(o->data, tlv, len);
        o->len = len;
        o->tag = len > 0 ? tag : 0;
        if (card_commit_app(c->card, piv) != 0) {
                free(o->data);
                *o = old;
                return SW_MEMORY_FAILURE;
        }
        free(old.data);
        return SW_OK;
}

uint16_t piv_put_data(struct cmd *c)
{
        const struct apdu *a = c->apdu;
        const uint8_t *p = a->data, *obj, *v;
        size_t left = a->nc, vlen;
        uint32_t tag = 0, t;
        uint16_t sw;

        if (a->p1 != 0x3f || a->p2 != 0xff)
                return SW_WRONG_P1P2;
        if (!piv_mgm_authenticated(c))
                return SW_SECURITY_STATUS;
        if (a->nc == 0)
                return SW_WRONG_LENGTH;
        if ((sw = object_tag(&p, &left, &tag)) != SW_OK)
                return sw == SW_NOT_FOUND ? SW_WRONG_DATA : sw;
        obj = p;
        /* exactly one TLV follows: 53 for containers, the object's own tag otherwise */
        if (tlv_next(&p, &left, &t, &v, &vlen) != 0 || left != 0)
                return SW_WRONG_DATA;
        if (t != (tag == PIV_TAG_DISCOVERY || tag == 0x7f61 ? tag : 0x53))
                return SW_WRONG_DATA;
        if ((size_t)(p - obj) > PIV_OBJ_MAX_LEN)
                return SW_FILE_FULL;
        return store_obj(c, tag, obj, vlen == 0 ? 0 : (size_t)(p - obj));
}
