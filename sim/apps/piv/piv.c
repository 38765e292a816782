/* SPDX-License-Identifier: MIT */
/*
 * The PIV application (NIST SP 800-73-4) with the YubiKey extensions that
 * yubico-piv-tool needs. PIN and PUK are the profile's CHVs 80 and 81 in the
 * PIV DF, so VERIFY, CHANGE REFERENCE DATA and RESET RETRY COUNTER are the
 * ISO handlers; this file adds the data objects, the management key, the
 * asymmetric slots and their PIN policies.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "iso/iso.h"
#include "apps/piv/crypto.h"
#include "apps/piv/piv.h"
#include "tlv.h"

static const uint8_t piv_aid[] = {0xa0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x01, 0x00};

static struct piv *piv_of(const struct cmd *c)
{
        return c->app;
}

/* 9A 9C 9D 9E, then the retired slots 82..95. */
int piv_slot_index(uint8_t slot)
{
        switch (slot) {
        case 0x9a:
                return 0;
        case 0x9c:
                return 1;
        case 0x9d:
                return 2;
        case 0x9e:
                return 3;
        default:
                return slot >= 0x82 && slot <= 0x95 ? 4 + (slot - 0x82) : -1;
        }
}

static uint8_t default_policy(uint8_t slot)
{
        return slot == 0x9c ? POLICY_ALWAYS : slot == 0x9e ? POLICY_NEVER : POLICY_ONCE;
}

static void clear_chan(struct piv_chan *pc)
{
        OPENSSL_cleanse(pc, sizeof(*pc));
}

static void piv_clear_channel(void *state, unsigned chno)
{
        struct piv *piv = state;

        if (piv != NULL && chno < CARD_CHANNELS)
                clear_chan(&piv->ch[chno]);
}

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
static int default_chuid(struct piv *piv, const uint8_t guid[16])
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
static int global_pin(const scsim_profile *p)
{
        for (size_t i = 0; i < p->nchvs; i++)
                if (p->chvs[i].has_ref && p->chvs[i].ref == PIV_REF_GLOBAL && p->chvs[i].df == 0 &&
                    p->chvs[i].verifiable)
                        return (int)i;
        return -1;
}

/*
 * Discovery object: the AID and the PIN usage policy: "PIV PIN only", or
 * with a global PIN "PIV PIN and global PIN both satisfy, PIV PIN primary".
 */
static int default_discovery(struct piv *piv, bool global)
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

/* Lifecycle ------------------------------------------------------------------------------ */

void piv_free_contents(struct piv *piv)
{
        for (size_t i = 0; i < PROF_PIV_KEYS_MAX; i++)
                EVP_PKEY_free(piv->slots[i].key);
        for (size_t i = 0; i < PIV_OBJS_MAX; i++)
                if (piv->objs[i].data != NULL) {
                        OPENSSL_cleanse(piv->objs[i].data, piv->objs[i].len);
                        free(piv->objs[i].data);
                }
        OPENSSL_cleanse(piv, sizeof(*piv));
}

/* Everything from the profile: management key, default objects, pre-generated keys. */
static int load_profile(struct piv *piv, const scsim_profile *p, const struct prof_piv *pp)
{
        memset(piv, 0, sizeof(*piv));
        piv->sec = pp;
        piv->mgm_alg = pp->mgm_alg;
        memcpy(piv->mgm_key, pp->mgm_key, pp->mgm_key_len);
        if (default_chuid(piv, pp->guid) != 0 || default_discovery(piv, global_pin(p) >= 0) != 0)
                return -1;
        for (size_t i = 0; i < pp->nkeys; i++) {
                int idx = piv_slot_index(pp->keys[i].slot);
                struct piv_slot *s;
                if (idx < 0)
                        return -1;
                s = &piv->slots[idx];
                EVP_PKEY_free(s->key);
                if (pp->keys[i].der_len > 0) {
                        const unsigned char *der = p->blob + pp->keys[i].der_off;
                        s->key = d2i_AutoPrivateKey(NULL, &der, (long)pp->keys[i].der_len);
                        s->origin = ORIGIN_IMPORTED;
                } else {
                        s->key = piv_generate(pp->keys[i].alg);
                        s->origin = ORIGIN_GENERATED;
                }
                if (s->key == NULL)
                        return -1;
                s->alg = pp->keys[i].alg;
                s->pin_policy = pp->keys[i].pin_policy != POLICY_DEFAULT
                                    ? pp->keys[i].pin_policy
                                    : default_policy(pp->keys[i].slot);
        }
        /* the profile's objects come last: a CHUID or discovery object there wins */
        for (size_t i = 0; i < pp->nobjs; i++)
                if (piv_set_obj(piv, pp->objs[i].tag, p->blob + pp->objs[i].off, pp->objs[i].len) !=
                    0)
                        return -1;
        return 0;
}

static int piv_init(struct scsim_card *card, const struct prof_app *use, void **state)
{
        struct piv *piv = calloc(1, sizeof(*piv));

        if (piv == NULL)
                return -1;
        if (load_profile(piv, card->prof, use->section) != 0) {
                piv_free_contents(piv);
                free(piv);
                return -1;
        }
        *state = piv;
        return 0;
}

static void piv_free(void **state)
{
        struct piv *piv;

        if (state == NULL || (piv = *state) == NULL)
                return;
        piv_free_contents(piv);
        free(piv);
        *state = NULL;
}

/* Security conditions ---------------------------------------------------------------------- */

static int chv_index(const struct cmd *c, uint8_t ref)
{
        return sec_find_chv(c->card, c->ch, ref);
}

/* The PIV PIN, or the global PIN the discovery object lets stand in for it. */
static bool pin_verified(const struct cmd *c)
{
        int idx = chv_index(c, PIV_REF_PIN), global = global_pin(c->card->prof);

        return (idx >= 0 && sec_chv_verified(c->ch, (size_t)idx)) ||
               (global >= 0 && sec_chv_verified(c->ch, (size_t)global));
}

static bool mgm_authenticated(const struct cmd *c)
{
        return piv_of(c)->ch[c->chno].mgm_auth;
}

/* SELECT ---------------------------------------------------------------------------------- */

/* The application property template: PIX, and the AID as the coexistent tag allocation authority.
 */
static uint16_t piv_select_answer(struct cmd *c)
{
        size_t outer, inner;
        bool ok;

        ok = tlv_open(c->out, 0x61, &outer) && tlv_put(c->out, 0x4f, piv_aid + 5, 6) &&
             tlv_open(c->out, 0x79, &inner) && tlv_put(c->out, 0x4f, piv_aid, sizeof(piv_aid)) &&
             tlv_close(c->out, inner) && tlv_close(c->out, outer);
        return ok ? SW_OK : SW_MEMORY_FAILURE;
}

/* VERIFY: the ISO rules; what PIV adds is the PIN-always flag. */
static uint16_t piv_verify(struct cmd *c)
{
        struct piv_chan *pc = &piv_of(c)->ch[c->chno];
        uint16_t sw = chv_verify(c);

        if (c->apdu->p2 != PIV_REF_PIN && c->apdu->p2 != PIV_REF_GLOBAL)
                return sw;
        if (c->apdu->p1 == 0xff || (c->apdu->nc > 0 && sw != SW_OK))
                pc->pin_always = false;
        else if (c->apdu->nc > 0)
                pc->pin_always = true;
        return sw;
}

/* GET DATA / PUT DATA ----------------------------------------------------------------------- */

/* The 5C tag list with one tag of 1..3 bytes. Returns 0 or a status word. */
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
        return 0;
}

static uint16_t piv_get_data(struct cmd *c)
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
        if ((sw = object_tag(&p, &left, &tag)) != 0)
                return sw;
        if (left != 0)
                return SW_WRONG_DATA;
        if (needs_pin(tag) && !pin_verified(c))
                return SW_SECURITY_STATUS;
        if ((o = piv_find_obj(piv_of(c), tag)) == NULL)
                return SW_NOT_FOUND;
        return rbuf_put(c->out, o->data, o->len) ? SW_OK : SW_MEMORY_FAILURE;
}

/* Store and commit; if the state cannot be made durable the old object comes back. */
static uint16_t store_obj(struct cmd *c, uint32_t tag, const uint8_t *tlv, size_t len)
{
        struct piv *piv = piv_of(c);
        const struct piv_obj *o = piv_find_obj(piv, tag);
        uint8_t *old = NULL;
        size_t old_len = o != NULL ? o->len : 0;
        uint16_t sw = SW_OK;

        if (o != NULL && (old = malloc(old_len)) == NULL)
                return SW_MEMORY_FAILURE;
        if (o != NULL)
                memcpy(old, o->data, old_len);
        if (piv_set_obj(piv, tag, tlv, len) != 0) {
                sw = SW_FILE_FULL;
        } else if (card_commit_app(c->card, piv) != 0) {
                /* the old object fits where the new one was: set_obj cannot fail here */
                piv_set_obj(piv, tag, old, old_len);
                sw = SW_MEMORY_FAILURE;
        }
        free(old);
        return sw;
}

static uint16_t piv_put_data(struct cmd *c)
{
        const struct apdu *a = c->apdu;
        const uint8_t *p = a->data, *obj, *v;
        size_t left = a->nc, vlen;
        uint32_t tag = 0, t;
        uint16_t sw;

        if (a->p1 != 0x3f || a->p2 != 0xff)
                return SW_WRONG_P1P2;
        if (!mgm_authenticated(c))
                return SW_SECURITY_STATUS;
        if (a->nc == 0)
                return SW_WRONG_LENGTH;
        if ((sw = object_tag(&p, &left, &tag)) != 0)
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

/* GENERAL AUTHENTICATE ---------------------------------------------------------------------- */

/* The dynamic authentication template's parts; present with an empty value means "ask". */
struct dyn_auth {
        bool has[4]; /* 80 witness, 81 challenge, 82 response, 85 exponentiation */
        const uint8_t *v[4];
        size_t len[4];
};

static uint16_t parse_dyn_auth(const struct apdu *a, struct dyn_auth *d)
{
        const uint8_t *p = a->data, *v;
        size_t left = a->nc, len;
        uint32_t tag;

        memset(d, 0, sizeof(*d));
        if (a->nc == 0)
                return SW_WRONG_LENGTH;
        if (tlv_next(&p, &left, &tag, &v, &len) != 0 || tag != 0x7c || left != 0)
                return SW_WRONG_DATA;
        p = v;
        left = len;
        while (left > 0) {
                const uint8_t *iv;
                size_t ilen;
                int slot;
                if (tlv_next(&p, &left, &tag, &iv, &ilen) != 0)
                        return SW_WRONG_DATA;
                switch (tag) {
                case 0x80:
                        slot = 0;
                        break;
                case 0x81:
                        slot = 1;
                        break;
                case 0x82:
                        slot = 2;
                        break;
                case 0x85:
                        slot = 3;
                        break;
                default:
                        return SW_WRONG_DATA;
                }
                if (d->has[slot])
                        return SW_WRONG_DATA;
                d->has[slot] = true;
                d->v[slot] = iv;
                d->len[slot] = ilen;
        }
        return 0;
}

/* 7C { tag value }: the card's half of a dynamic authentication. */
static uint16_t put_dyn_auth(struct cmd *c, uint32_t tag, const uint8_t *v, size_t len)
{
        size_t mark;

        return tlv_open(c->out, 0x7c, &mark) && tlv_put(c->out, tag, v, len) &&
                       tlv_close(c->out, mark)
                   ? SW_OK
                   : SW_MEMORY_FAILURE;
}

/*
 * Management key: 80 empty asks for a witness (the card sends it encrypted);
 * 80 decrypted-witness + 81 challenge completes mutual authentication (the
 * card answers 82 with the challenge encrypted); 81 empty asks for a
 * challenge and 82 then carries the client's encryption of it.
 */
static uint16_t mgm_auth(struct cmd *c, const struct dyn_auth *d)
{
        struct piv *piv = piv_of(c);
        struct piv_chan *pc = &piv->ch[c->chno];
        size_t bs = piv_sym_block(piv->mgm_alg);
        uint8_t buf[16], expect[16];
        bool was_witness = pc->witness_valid, was_challenge = pc->challenge_valid;
        uint16_t sw = SW_WRONG_DATA;

        /*
         * 00 is 3DES in SP 800-73-1; OpenSC also sends it when it only wants
         * a challenge as a random source, whatever the key's algorithm.
         */
        bool challenge_only = d->has[1] && d->len[1] == 0 && !d->has[0] && !d->has[2];
        if (c->apdu->p1 != piv->mgm_alg &&
            !(c->apdu->p1 == 0x00 && (piv->mgm_alg == PROF_PIV_3DES || challenge_only)))
                return SW_WRONG_P1P2;
        /* any attempt spends the outstanding witness/challenge and the old status */
        pc->witness_valid = pc->challenge_valid = false;
        pc->mgm_auth = false;
        if (d->has[0] && d->len[0] == 0 && !d->has[1] && !d->has[2]) {
                if (rng_bytes(&c->card->rng, pc->witness, bs) != 0 ||
                    piv_sym_encrypt(piv->mgm_alg, piv->mgm_key, pc->witness, bs, buf) != 0) {
                        sw = SW_MEMORY_FAILURE;
                        goto out;
                }
                pc->witness_valid = true;
                sw = put_dyn_auth(c, 0x80, buf, bs);
        } else if (d->has[0] && d->has[1] && d->len[1] == bs && (!d->has[2] || d->len[2] == 0)) {
                if (!was_witness) {
                        sw = SW_CONDITIONS;
                        goto out;
                }
                if (d->len[0] != bs || CRYPTO_memcmp(d->v[0], pc->witness, bs) != 0) {
                        sw = SW_SECURITY_STATUS;
                        goto out;
                }
                if (piv_sym_encrypt(piv->mgm_alg, piv->mgm_key, d->v[1], bs, buf) != 0) {
                        sw = SW_MEMORY_FAILURE;
                        goto out;
                }
                pc->mgm_auth = true;
                sw = put_dyn_auth(c, 0x82, buf, bs);
        } else if (d->has[1] && d->len[1] == 0 && !d->has[0] && !d->has[2]) {
                if (rng_bytes(&c->card->rng, pc->challenge, bs) != 0) {
                        sw = SW_MEMORY_FAILURE;
                        goto out;
                }
                pc->challenge_valid = true;
                sw = put_dyn_auth(c, 0x81, pc->challenge, bs);
        } else if (d->has[2] && !d->has[0] && !d->has[1]) {
                if (!was_challenge) {
                        sw = SW_CONDITIONS;
                        goto out;
                }
                if (piv_sym_encrypt(piv->mgm_alg, piv->mgm_key, pc->challenge, bs, expect) != 0) {
                        sw = SW_MEMORY_FAILURE;
                        goto out;
                }
                if (d->len[2] != bs || CRYPTO_memcmp(d->v[2], expect, bs) != 0) {
                        sw = SW_SECURITY_STATUS;
                        goto out;
                }
                pc->mgm_auth = true;
                sw = SW_OK;
        }
out:
        if (!pc->witness_valid)
                OPENSSL_cleanse(pc->witness, sizeof(pc->witness));
        if (!pc->challenge_valid)
                OPENSSL_cleanse(pc->challenge, sizeof(pc->challenge));
        OPENSSL_cleanse(buf, sizeof(buf));
        OPENSSL_cleanse(expect, sizeof(expect));
        return sw;
}

/* May this channel use the slot now? Spends a PIN-always VERIFY. */
static uint16_t slot_policy(struct cmd *c, const struct piv_slot *s)
{
        struct piv_chan *pc = &piv_of(c)->ch[c->chno];
        int idx = chv_index(c, PIV_REF_PIN);

        switch (s->pin_policy) {
        case POLICY_NEVER:
                return 0;
        case POLICY_ALWAYS:
                if (!pc->pin_always || !pin_verified(c))
                        return SW_SECURITY_STATUS;
                pc->pin_always = false;
                return 0;
        default:
                if (idx >= 0 && !c->card->st.chv[idx].enabled)
                        return 0;
                return pin_verified(c) ? 0 : SW_SECURITY_STATUS;
        }
}

static uint16_t key_auth(struct cmd *c, const struct dyn_auth *d)
{
        const struct piv_slot *s;
        uint8_t out[512];
        size_t n = 0;
        uint16_t sw;
        int idx = piv_slot_index(c->apdu->p2);
        int rc;

        if (idx < 0)
                return SW_WRONG_P1P2;
        s = &piv_of(c)->slots[idx];
        if (s->key == NULL)
                return SW_NOT_FOUND;
        if (c->apdu->p1 != s->alg)
                return SW_WRONG_P1P2;
        /* 82 empty asks for the result; 81 carries what to sign or decrypt, 85 a peer point */
        if (!d->has[2] || d->len[2] != 0 || d->has[0] || d->has[1] == d->has[3])
                return SW_WRONG_DATA;
        if ((sw = slot_policy(c, s)) != 0)
                return sw;
        if (d->has[1])
                rc = piv_private_op(s->key, s->alg, d->v[1], d->len[1], out, &n, sizeof(out));
        else
                rc = piv_ecdh(s->key, s->alg, d->v[3], d->len[3], out, &n, sizeof(out));
        sw = rc == 0 ? put_dyn_auth(c, 0x82, out, n) : SW_WRONG_DATA;
        OPENSSL_cleanse(out, sizeof(out));
        return sw;
}

static uint16_t piv_general_authenticate(struct cmd *c)
{
        struct dyn_auth d;
        uint16_t sw;

        if ((sw = parse_dyn_auth(c->apdu, &d)) != 0)
                return sw;
        if (c->apdu->p2 == PIV_REF_MGM)
                return mgm_auth(c, &d);
        return key_auth(c, &d);
}

/*
 * Put key (owned from here on) in slot idx and make it durable; if the state
 * cannot be written, the slot keeps its old key and the card answers 6581.
 */
static uint16_t install_key(struct cmd *c, int idx, EVP_PKEY *key, enum prof_piv_alg alg,
                            uint8_t policy, uint8_t origin)
{
        struct piv_slot *s = &piv_of(c)->slots[idx], old = *s;

        s->key = key;
        s->alg = alg;
        s->pin_policy = policy != POLICY_DEFAULT ? policy : default_policy(c->apdu->p2);
        s->origin = origin;
        if (card_commit_app(c->card, piv_of(c)) != 0) {
                *s = old;
                EVP_PKEY_free(key);
                return SW_MEMORY_FAILURE;
        }
        EVP_PKEY_free(old.key);
        return SW_OK;
}

/* GENERATE ASYMMETRIC KEY PAIR ------------------------------------------------------------ */

static uint16_t piv_generate_key(struct cmd *c)
{
        const struct apdu *a = c->apdu;
        const uint8_t *p = a->data, *v, *ip;
        size_t left = a->nc, len, ileft;
        uint32_t tag;
        enum prof_piv_alg alg = 0;
        uint8_t policy = POLICY_DEFAULT;
        EVP_PKEY *key = NULL;
        size_t mark;
        int idx;

        if (a->p1 != 0x00 || (idx = piv_slot_index(a->p2)) < 0)
                return SW_WRONG_P1P2;
        if (!mgm_authenticated(c))
                return SW_SECURITY_STATUS;
        if (a->nc == 0)
                return SW_WRONG_LENGTH;
        if (tlv_next(&p, &left, &tag, &v, &len) != 0 || tag != 0xac || left != 0)
                return SW_WRONG_DATA;
        ip = v;
        ileft = len;
        while (ileft > 0) {
                const uint8_t *iv;
                size_t ilen;
                if (tlv_next(&ip, &ileft, &tag, &iv, &ilen) != 0 || ilen != 1)
                        return SW_WRONG_DATA;
                if (tag == 0x80)
                        alg = iv[0];
                else if (tag == 0xaa && iv[0] <= POLICY_ALWAYS)
                        policy = iv[0];
                else if (tag == 0xab) /* touch policy: nobody touches a simulator */
                        continue;
                else
                        return SW_WRONG_DATA;
        }
        if (!piv_asym_alg(alg))
                return SW_WRONG_DATA;
        if ((key = piv_generate(alg)) == NULL)
                return SW_MEMORY_FAILURE;
        if (!tlv_open(c->out, 0x7f49, &mark) || !piv_put_public(c->out, key, alg) ||
            !tlv_close(c->out, mark)) {
                EVP_PKEY_free(key);
                return SW_MEMORY_FAILURE;
        }
        return install_key(c, idx, key, alg, policy, ORIGIN_GENERATED);
}

/* IMPORT KEY 00 FE alg slot: the key's private parts (01..05 RSA, 06 EC), AA/AB policies. */
static uint16_t piv_import_key(struct cmd *c)
{
        const struct apdu *a = c->apdu;
        const uint8_t *p = a->data, *comp[5] = {NULL};
        size_t left = a->nc, len[5] = {0};
        enum prof_piv_alg alg = a->p1;
        uint8_t policy = POLICY_DEFAULT;
        EVP_PKEY *key;
        int idx;

        if ((idx = piv_slot_index(a->p2)) < 0 || !piv_asym_alg(alg))
                return SW_WRONG_P1P2;
        if (!mgm_authenticated(c))
                return SW_SECURITY_STATUS;
        if (a->nc == 0)
                return SW_WRONG_LENGTH;
        while (left > 0) {
                const uint8_t *v;
                size_t vlen;
                uint32_t tag;
                if (tlv_next(&p, &left, &tag, &v, &vlen) != 0)
                        return SW_WRONG_DATA;
                if (tag >= 0x01 && tag <= 0x05 && !piv_is_ec(alg) && comp[tag - 1] == NULL) {
                        comp[tag - 1] = v;
                        len[tag - 1] = vlen;
                } else if (tag == 0x06 && piv_is_ec(alg) && comp[0] == NULL) {
                        comp[0] = v;
                        len[0] = vlen;
                } else if (tag == 0xaa && vlen == 1 && v[0] <= POLICY_ALWAYS) {
                        policy = v[0];
                } else if (tag != 0xab || vlen != 1) { /* touch policy: accepted, ignored */
                        return SW_WRONG_DATA;
                }
        }
        if ((key = piv_import(alg, comp, len)) == NULL)
                return SW_WRONG_DATA;
        return install_key(c, idx, key, alg, policy, ORIGIN_IMPORTED);
}

/* YubiKey extensions ----------------------------------------------------------------------- */

static uint16_t piv_get_version(struct cmd *c)
{
        if (c->apdu->nc != 0)
                return SW_WRONG_LENGTH;
        return rbuf_put(c->out, piv_of(c)->sec->version, 3) ? SW_OK : SW_MEMORY_FAILURE;
}

static uint16_t piv_get_serial(struct cmd *c)
{
        uint32_t s = piv_of(c)->sec->serial;
        uint8_t b[4] = {(uint8_t)(s >> 24), (uint8_t)(s >> 16), (uint8_t)(s >> 8), (uint8_t)s};

        if (c->apdu->nc != 0)
                return SW_WRONG_LENGTH;
        return rbuf_put(c->out, b, sizeof(b)) ? SW_OK : SW_MEMORY_FAILURE;
}

static bool put_u8(struct rbuf *r, uint32_t tag, uint8_t v)
{
        return tlv_put(r, tag, &v, 1);
}

/* Metadata of PIN/PUK: algorithm FF, default-value flag, tries (limit, left). */
static bool put_chv_metadata(struct cmd *c, int idx)
{
        const struct prof_chv *pc = &c->card->prof->chvs[idx];
        const struct chv_state *st = &c->card->st.chv[idx];
        uint8_t tries[2] = {st->limit, st->tries};
        bool is_default = st->value_len == pc->value_len &&
                          CRYPTO_memcmp(st->value, pc->value, pc->value_len) == 0;

        return put_u8(c->out, 0x01, 0xff) && put_u8(c->out, 0x05, is_default) &&
               tlv_put(c->out, 0x06, tries, sizeof(tries));
}

static uint16_t piv_get_metadata(struct cmd *c)
{
        const struct apdu *a = c->apdu;
        struct piv *piv = piv_of(c);
        bool ok;

        if (a->nc != 0)
                return SW_WRONG_LENGTH;
        if (a->p1 != 0x00)
                return SW_WRONG_P1P2;
        if (a->p2 == PIV_REF_PIN || a->p2 == PIV_REF_PUK) {
                int idx = chv_index(c, a->p2);
                if (idx < 0)
                        return SW_REF_NOT_FOUND;
                ok = put_chv_metadata(c, idx);
        } else if (a->p2 == PIV_REF_MGM) {
                uint8_t policy[2] = {0x00, 0x01}; /* PIN n/a, touch never */
                bool is_default =
                    piv->mgm_alg == piv->sec->mgm_alg &&
                    CRYPTO_memcmp(piv->mgm_key, piv->sec->mgm_key, piv->sec->mgm_key_len) == 0;
                ok = put_u8(c->out, 0x01, (uint8_t)piv->mgm_alg) &&
                     tlv_put(c->out, 0x02, policy, 2) && put_u8(c->out, 0x05, is_default);
        } else {
                int idx = piv_slot_index(a->p2);
                const struct piv_slot *s;
                uint8_t policy[2];
                size_t mark;
                if (idx < 0)
                        return SW_WRONG_P1P2;
                s = &piv->slots[idx];
                if (s->key == NULL)
                        return SW_REF_NOT_FOUND;
                policy[0] = s->pin_policy;
                policy[1] = 0x01;
                ok = put_u8(c->out, 0x01, (uint8_t)s->alg) && tlv_put(c->out, 0x02, policy, 2) &&
                     put_u8(c->out, 0x03, s->origin) && tlv_open(c->out, 0x04, &mark) &&
                     piv_put_public(c->out, s->key, s->alg) && tlv_close(c->out, mark);
        }
        return ok ? SW_OK : SW_MEMORY_FAILURE;
}

/* SET MANAGEMENT KEY 00 FF FF FF|FE: alg 9B len key; needs the current management key. */
static uint16_t piv_set_mgm_key(struct cmd *c)
{
        const struct apdu *a = c->apdu;
        struct piv *piv = piv_of(c);
        enum prof_piv_alg alg, old_alg;
        uint8_t old_key[sizeof(piv->mgm_key)];
        uint16_t sw = SW_OK;
        size_t klen;

        if (a->p1 != 0xff || (a->p2 != 0xff && a->p2 != 0xfe))
                return SW_WRONG_P1P2;
        if (!mgm_authenticated(c))
                return SW_SECURITY_STATUS;
        if (a->nc < 3)
                return SW_WRONG_LENGTH;
        alg = a->data[0];
        klen = piv_sym_key_len(alg);
        if (klen == 0 || a->data[1] != PIV_REF_MGM || a->data[2] != klen || a->nc != 3 + klen)
                return SW_WRONG_DATA;
        memcpy(old_key, piv->mgm_key, sizeof(old_key));
        old_alg = piv->mgm_alg;
        OPENSSL_cleanse(piv->mgm_key, sizeof(piv->mgm_key));
        memcpy(piv->mgm_key, a->data + 3, klen);
        piv->mgm_alg = alg;
        if (card_commit_app(c->card, piv) != 0) {
                memcpy(piv->mgm_key, old_key, sizeof(old_key));
                piv->mgm_alg = old_alg;
                sw = SW_MEMORY_FAILURE;
        }
        OPENSSL_cleanse(old_key, sizeof(old_key));
        return sw;
}

/*
 * SET PIN RETRIES 00 FA pin puk: new retry limits for PIN and PUK (1..15, what
 * a 63Cx can show); both go back to their profile values with full counters.
 * Needs the management key and the PIN, as on a YubiKey.
 */
static uint16_t piv_set_pin_retries(struct cmd *c)
{
        const struct apdu *a = c->apdu;
        struct scsim_card *card = c->card;
        int pin = chv_index(c, PIV_REF_PIN), puk = chv_index(c, PIV_REF_PUK);
        struct chv_state old_pin, old_puk;
        uint16_t sw = SW_OK;

        if (a->p1 < 1 || a->p1 > 15 || a->p2 < 1 || a->p2 > 15)
                return SW_WRONG_P1P2;
        if (a->nc != 0)
                return SW_WRONG_LENGTH;
        if (pin < 0 || puk < 0)
                return SW_REF_NOT_FOUND;
        if (!mgm_authenticated(c) || !sec_chv_verified(c->ch, (size_t)pin))
                return SW_SECURITY_STATUS;
        old_pin = card->st.chv[pin];
        old_puk = card->st.chv[puk];
        for (int i = 0; i < 2; i++) {
                int idx = i == 0 ? pin : puk;
                const struct prof_chv *pc = &card->prof->chvs[idx];
                struct chv_state *st = &card->st.chv[idx];
                OPENSSL_cleanse(st->value, sizeof(st->value));
                memcpy(st->value, pc->value, pc->value_len);
                st->value_len = pc->value_len;
                st->limit = i == 0 ? a->p1 : a->p2;
                st->tries = st->limit;
        }
        if (card_commit(card) != 0) {
                card->st.chv[pin] = old_pin;
                card->st.chv[puk] = old_puk;
                sw = SW_MEMORY_FAILURE;
        } else {
                /* the PIN the channel verified is gone */
                sec_forget_chv(card, (size_t)pin);
                piv_of(c)->ch[c->chno].pin_always = false;
        }
        OPENSSL_cleanse(&old_pin, sizeof(old_pin));
        OPENSSL_cleanse(&old_puk, sizeof(old_puk));
        return sw;
}

/* RESET 00 FB: back to the profile, allowed only when PIN and PUK are both blocked. */
static uint16_t piv_reset(struct cmd *c)
{
        struct scsim_card *card = c->card;
        int pin = chv_index(c, PIV_REF_PIN), puk = chv_index(c, PIV_REF_PUK);
        struct piv *piv = piv_of(c);
        struct piv fresh, old;
        struct chv_state old_pin, old_puk;
        uint16_t sw = SW_OK;

        if (c->apdu->p1 != 0 || c->apdu->p2 != 0)
                return SW_WRONG_P1P2;
        if (c->apdu->nc != 0)
                return SW_WRONG_LENGTH;
        if (pin < 0 || puk < 0 || card->st.chv[pin].tries != 0 || card->st.chv[puk].tries != 0)
                return SW_CONDITIONS;
        if (load_profile(&fresh, card->prof, piv->sec) != 0) {
                piv_free_contents(&fresh);
                return SW_MEMORY_FAILURE;
        }
        old = *piv;
        *piv = fresh;
        old_pin = card->st.chv[pin];
        old_puk = card->st.chv[puk];
        for (int i = 0; i < 2; i++) {
                int idx = i == 0 ? pin : puk;
                const struct prof_chv *pc = &card->prof->chvs[idx];
                struct chv_state *st = &card->st.chv[idx];
                OPENSSL_cleanse(st->value, sizeof(st->value));
                memcpy(st->value, pc->value, pc->value_len);
                st->value_len = pc->value_len;
                st->tries = pc->retries;
                st->limit = pc->retries;
                st->enabled = pc->enabled;
        }
        if (card_commit_app(card, piv) != 0) {
                piv_free_contents(piv);
                *piv = old;
                card->st.chv[pin] = old_pin;
                card->st.chv[puk] = old_puk;
                sw = SW_MEMORY_FAILURE;
        } else {
                piv_free_contents(&old);
                sec_forget_chv(card, (size_t)pin);
        }
        OPENSSL_cleanse(&fresh, sizeof(fresh));
        OPENSSL_cleanse(&old_pin, sizeof(old_pin));
        OPENSSL_cleanse(&old_puk, sizeof(old_puk));
        return sw;
}

static const struct cmd_def piv_commands[] = {
    {0x20, "VERIFY", CMD_SECRET_IN, piv_verify},
    {0x47, "GENERATE ASYMMETRIC KEY PAIR", 0, piv_generate_key},
    {0x87, "GENERAL AUTHENTICATE", CMD_CHAINABLE | CMD_SECRET_IN | CMD_SECRET_OUT,
     piv_general_authenticate},
    {0xcb, "GET DATA", 0, piv_get_data},
    {0xdb, "PUT DATA", CMD_CHAINABLE, piv_put_data},
    {0xf7, "GET METADATA", 0, piv_get_metadata},
    {0xf8, "GET SERIAL", 0, piv_get_serial},
    {0xfa, "SET PIN RETRIES", 0, piv_set_pin_retries},
    {0xfb, "RESET", 0, piv_reset},
    {0xfd, "GET VERSION", 0, piv_get_version},
    {0xfe, "IMPORT ASYMMETRIC KEY", CMD_CHAINABLE | CMD_SECRET_IN, piv_import_key},
    {0xff, "SET MANAGEMENT KEY", CMD_SECRET_IN, piv_set_mgm_key},
};

const struct app_def app_piv = {
    .name = "piv",
    .commands = piv_commands,
    .ncommands = sizeof(piv_commands) / sizeof(piv_commands[0]),
    .implicit_le = true,
    .section = &piv_section,
    .init = piv_init,
    .free = piv_free,
    .clear_channel = piv_clear_channel,
    .select_answer = piv_select_answer,
    .save = piv_save,
    .load = piv_load,
};
