/* SPDX-License-Identifier: MIT */
/* PIV key slots: which slots exist, their default PIN policies, GENERATE and IMPORT KEY. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "apps/piv/crypto.h"
#include "apps/piv/piv.h"
#include "iso/iso.h"
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
        default:
                return slot >= 0x82 && slot <= 0x95 ? 4 + (slot - 0x82) : -1;
        }
}

uint8_t piv_default_policy(uint8_t slot)
{
        return slot == 0x9c ? POLICY_ALWAYS : slot == 0x9e ? POLICY_NEVER : POLICY_ONCE;
}

static uint16_t install_key(struct cmd *c, int idx, EVP_PKEY *key, enum prof_piv_alg alg,
                            uint8_t policy, uint8_t origin)
{
        struct piv_slot *s = &piv_of(c)->slots[idx], old = *s;

        s->key = key;
        s->alg = alg;
        s->pin_policy = policy != POLICY_DEFAULT ? policy : piv_default_policy(c->apdu->p2);
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
uint16_t piv_import_key(struct cmd *c)
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
