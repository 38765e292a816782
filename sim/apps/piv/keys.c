/* SPDX-License-Identifier: MIT */
/* PIV key slots: which slots exist, their default PIN policies, GENERATE, IMPORT, MOVE KEY. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "apps/piv/crypto.h"
#include "apps/piv/piv.h"
#include "iso/iso.h"
#include "pkey.h"
#include "tlv.h"

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
        case PROF_PIV_SLOT_ATTEST:
                return 24;
        default:
                return slot >= 0x82 && slot <= 0x95 ? 4 + (slot - 0x82) : -1;
        }
}

uint8_t piv_slot_at(int idx)
{
        static const uint8_t first[4] = {0x9a, 0x9c, 0x9d, 0x9e};

        if (idx < 4)
                return first[idx];
        return idx == 24 ? PROF_PIV_SLOT_ATTEST : (uint8_t)(0x82 + idx - 4);
}

uint8_t piv_default_policy(uint8_t slot)
{
        /* the attestation key signs attestations, which need no PIN */
        if (slot == 0x9e || slot == PROF_PIV_SLOT_ATTEST)
                return POLICY_NEVER;
        return slot == 0x9c ? POLICY_ALWAYS : POLICY_ONCE;
}

/* Does the card's firmware have alg (RSA 3072/4096 and Curve25519 came with 5.7)? */
static bool alg_supported(const struct piv *piv, enum prof_piv_alg alg)
{
        return piv_asym_alg(alg) && (!piv_alg_needs_57(alg) || piv_version_at_least(piv, 5, 7, 0));
}

int piv_slot_set_der(struct piv_slot *s, EVP_PKEY *key, const uint8_t *der, size_t der_len)
{
        uint8_t *copy = OPENSSL_memdup(der, der_len);

        if (copy == NULL)
                return -1;
        s->key = key;
        s->der = copy;
        s->der_len = der_len;
        return 0;
}

int piv_slot_set(struct piv_slot *s, EVP_PKEY *key)
{
        unsigned char *der = NULL;
        int len = i2d_PrivateKey(key, &der);

        if (len <= 0 || len > 0xffff) { /* the record's length field has 16 bits */
                OPENSSL_free(der);
                return -1;
        }
        s->key = key;
        s->der = der;
        s->der_len = (size_t)len;
        return 0;
}

int piv_slot_copy(struct piv_slot *dst, const struct piv_slot *src)
{
        *dst = *src;
        if ((dst->der = OPENSSL_memdup(src->der, src->der_len)) == NULL ||
            EVP_PKEY_up_ref(src->key) != 1) {
                OPENSSL_free(dst->der);
                memset(dst, 0, sizeof(*dst));
                return -1;
        }
        return 0;
}

void piv_slot_clear(struct piv_slot *s)
{
        EVP_PKEY_free(s->key);
        OPENSSL_clear_free(s->der, s->der_len);
        memset(s, 0, sizeof(*s));
}

static uint16_t install_key(struct cmd *c, int idx, EVP_PKEY *key, enum prof_piv_alg alg,
                            uint8_t policy, uint8_t origin)
{
        struct piv_slot *s = &piv_of(c)->slots[idx], old = *s;

        memset(s, 0, sizeof(*s));
        if (piv_slot_set(s, key) != 0) {
                *s = old;
                EVP_PKEY_free(key);
                return SW_MEMORY_FAILURE;
        }
        s->alg = alg;
        s->pin_policy = policy != POLICY_DEFAULT ? policy : piv_default_policy(c->apdu->p2);
        s->origin = origin;
        if (card_commit_app(c->card, piv_of(c)) != 0) {
                piv_slot_clear(s);
                *s = old;
                return SW_MEMORY_FAILURE;
        }
        piv_slot_clear(&old);
        return SW_OK;
}

/* GENERATE ASYMMETRIC KEY PAIR ------------------------------------------------------------ */

uint16_t piv_generate_key(struct cmd *c)
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
        if (!piv_mgm_authenticated(c))
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
        if (!alg_supported(piv_of(c), alg))
                return SW_WRONG_DATA;
        if ((key = piv_generate(alg)) == NULL)
                return SW_MEMORY_FAILURE;
        if (!tlv_open(c->out, 0x7f49, &mark) || !pkey_put_public(c->out, key) ||
            !tlv_close(c->out, mark)) {
                EVP_PKEY_free(key);
                return SW_MEMORY_FAILURE;
        }
        return install_key(c, idx, key, alg, policy, ORIGIN_GENERATED);
}

/* The tag of a one-part private key: 06 EC scalar, 07 Ed25519, 08 X25519. */
static uint32_t private_tag(enum prof_piv_alg alg)
{
        return alg == PROF_PIV_ED25519 ? 0x07 : alg == PROF_PIV_X25519 ? 0x08 : 0x06;
}

/*
 * IMPORT KEY 00 FE alg slot: the key's private parts (01..05 RSA, 06 EC,
 * 07 Ed25519, 08 X25519), AA/AB policies.
 */
uint16_t piv_import_key(struct cmd *c)
{
        const struct apdu *a = c->apdu;
        const uint8_t *p = a->data, *comp[5] = {NULL};
        size_t left = a->nc, len[5] = {0};
        enum prof_piv_alg alg = a->p1;
        uint8_t policy = POLICY_DEFAULT;
        EVP_PKEY *key;
        int idx;

        if ((idx = piv_slot_index(a->p2)) < 0 || !alg_supported(piv_of(c), alg))
                return SW_WRONG_P1P2;
        if (!piv_mgm_authenticated(c))
                return SW_SECURITY_STATUS;
        if (a->nc == 0)
                return SW_WRONG_LENGTH;
        while (left > 0) {
                const uint8_t *v;
                size_t vlen;
                uint32_t tag;
                if (tlv_next(&p, &left, &tag, &v, &vlen) != 0)
                        return SW_WRONG_DATA;
                if (tag >= 0x01 && tag <= 0x05 && piv_is_rsa(alg) && comp[tag - 1] == NULL) {
                        comp[tag - 1] = v;
                        len[tag - 1] = vlen;
                } else if (tag == private_tag(alg) && !piv_is_rsa(alg) && comp[0] == NULL) {
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

/*
 * MOVE KEY 00 F6 to from (YubiKey firmware 5.7): the key with its policies
 * and origin goes to an empty slot; P1 FF deletes it instead (DELETE KEY).
 * Certificates stay where they are. The attestation key may be deleted,
 * never moved. Needs the management key.
 */
uint16_t piv_move_key(struct cmd *c)
{
        const struct apdu *a = c->apdu;
        struct piv *piv = piv_of(c);
        int from = piv_slot_index(a->p2), to = a->p1 == 0xff ? -1 : piv_slot_index(a->p1);
        struct piv_slot *src, *dst, old_src, old_dst;

        if (!piv_version_at_least(piv, 5, 7, 0))
                return SW_INS_UNSUPPORTED;
        if (from < 0 || (a->p1 != 0xff && (to < 0 || to == from)) ||
            (to >= 0 && (a->p1 == PROF_PIV_SLOT_ATTEST || a->p2 == PROF_PIV_SLOT_ATTEST)))
                return SW_WRONG_P1P2;
        if (a->nc != 0)
                return SW_WRONG_LENGTH;
        if (!piv_mgm_authenticated(c))
                return SW_SECURITY_STATUS;
        src = &piv->slots[from];
        if (src->key == NULL)
                return SW_REF_NOT_FOUND;
        if (to >= 0 && piv->slots[to].key != NULL)
                return SW_CONDITIONS;
        dst = to >= 0 ? &piv->slots[to] : NULL;
        old_src = *src;
        old_dst = dst != NULL ? *dst : old_src;
        if (dst != NULL)
                *dst = *src;
        memset(src, 0, sizeof(*src));
        if (card_commit_app(c->card, piv) != 0) {
                *src = old_src;
                if (dst != NULL)
                        *dst = old_dst;
                return SW_MEMORY_FAILURE;
        }
        if (dst == NULL)
                piv_slot_clear(&old_src);
        return SW_OK;
}
