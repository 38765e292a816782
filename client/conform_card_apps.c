/* SPDX-License-Identifier: MIT */
/* The card description's application sections, piv: and openpgp:, as far as the suites use them. */
#include <stdio.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "conform_card_yaml.h"

/* Only what a suite acts on is read; an application section may hold much more. */
static struct fy_node *lookup(struct fy_node *map, const char *key)
{
        return fy_node_mapping_lookup_by_string(map, key, FY_NT);
}

static int piv_mgmt(struct cfy *y, struct fy_node *map, struct cf_piv *p)
{
        static const char *const algs[] = {"3des", "aes128", "aes192", "aes256"};
        static const size_t lens[] = {24, 16, 24, 32};
        struct fy_node *n = lookup(map, "management_key_algorithm");
        const char *s = cfy_str(n, NULL);

        p->mgmt_alg = CF_MGMT_3DES;
        if (n != NULL) {
                size_t i;
                for (i = 0; s != NULL && i < 4; i++)
                        if (strcmp(s, algs[i]) == 0)
                                break;
                if (s == NULL || i == 4)
                        return cfy_err(y, n,
                                       "management_key_algorithm: expected 3des, aes128, "
                                       "aes192 or aes256");
                p->mgmt_alg = (enum cf_mgmt_alg)i;
        }
        if ((n = lookup(map, "management_key")) == NULL)
                return 0;
        if (cfy_hex(y, n, "management_key", p->mgmt_key, 16, sizeof(p->mgmt_key), &p->mgmt_len) !=
            0)
                return -1;
        if (p->mgmt_len != lens[p->mgmt_alg])
                return cfy_err(y, n, "management_key: %s takes %zu bytes, got %zu",
                               algs[p->mgmt_alg], lens[p->mgmt_alg], p->mgmt_len);
        p->has_mgmt_key = true;
        return 0;
}

/* The public half of a PEM private key, for checking the card's signatures. */
static int piv_pub(struct cfy *y, struct fy_node *n, struct cf_piv_key *k)
{
        size_t len = 0;
        const char *pem = cfy_str(n, &len);
        EVP_PKEY *priv = NULL, *pub = NULL;
        unsigned char *der = NULL;
        const unsigned char *q;
        BIO *bio;
        int dlen;

        if (pem == NULL || (bio = BIO_new_mem_buf(pem, (int)len)) == NULL)
                return cfy_err(y, n, "private_key: expected a PEM private key");
        priv = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
        BIO_free(bio);
        if (priv == NULL)
                return cfy_err(y, n, "private_key: not a PEM private key libcrypto can read");
        if ((dlen = i2d_PUBKEY(priv, &der)) > 0) {
                q = der;
                pub = d2i_PUBKEY(NULL, &q, dlen);
        }
        OPENSSL_free(der);
        EVP_PKEY_free(priv);
        if (pub == NULL)
                return cfy_err(y, n, "private_key: its public key cannot be derived");
        k->pub = pub;
        return 0;
}

static int piv_key(struct cfy *y, struct fy_node *slot, struct fy_node *map, struct cf_piv *p)
{
        struct cf_piv_key *k;
        uint8_t b;
        size_t len;
        struct fy_node *n;

        if (p->nkeys == CF_PIV_KEYS_MAX)
                return cfy_err(y, slot, "piv: keys: more than %d", CF_PIV_KEYS_MAX);
        k = &p->keys[p->nkeys];
        memset(k, 0, sizeof(*k));
        if (cfy_hex(y, slot, "piv: keys: slot", &b, 1, 1, &len) != 0)
                return -1;
        k->slot = b;
        if (map == NULL || fy_node_get_type(map) != FYNT_MAPPING)
                return cfy_err(y, map, "piv: keys: %02x: expected {algorithm: ...}", b);
        if ((n = lookup(map, "algorithm")) == NULL ||
            cfy_text(y, n, "algorithm", k->algorithm, sizeof(k->algorithm)) != 0)
                return n == NULL ? cfy_err(y, map, "piv: keys: %02x: algorithm missing", b) : -1;
        if ((n = lookup(map, "pin_policy")) != NULL &&
            cfy_text(y, n, "pin_policy", k->pin_policy, sizeof(k->pin_policy)) != 0)
                return -1;
        if ((n = lookup(map, "private_key")) != NULL && piv_pub(y, n, k) != 0)
                return -1;
        p->nkeys++;
        return 0;
}

int cfy_read_piv(struct cfy *y, struct fy_node *map)
{
        struct cf_piv *p = &y->card->piv;
        struct fy_node *keys;
        struct fy_node_pair *pair;
        void *it = NULL;

        if (fy_node_get_type(map) != FYNT_MAPPING)
                return cfy_err(y, map, "piv: expected a mapping");
        p->present = true;
        if (piv_mgmt(y, map, p) != 0)
                return -1;
        if ((keys = lookup(map, "keys")) == NULL)
                return 0;
        if (fy_node_get_type(keys) != FYNT_MAPPING)
                return cfy_err(y, keys, "piv: keys: expected a mapping SLOT: {...}");
        while ((pair = fy_node_mapping_iterate(keys, &it)) != NULL)
                if (piv_key(y, fy_node_pair_key(pair), fy_node_pair_value(pair), p) != 0)
                        return -1;
        return 0;
}

static int opgp_code(struct cfy *y, struct fy_node *map, const char *key, uint8_t *out, size_t *len,
                     bool *has)
{
        struct fy_node *n = lookup(map, key);
        const char *s;

        if (n == NULL)
                return 0;
        if ((s = cfy_str(n, len)) == NULL || *len == 0 || *len > CF_CODE_MAX)
                return cfy_err(y, n, "openpgp: %s: expected 1..%d characters", key, CF_CODE_MAX);
        memcpy(out, s, *len);
        *has = true;
        return 0;
}

static int opgp_retries(struct cfy *y, struct fy_node *map, const char *key, unsigned *out)
{
        struct fy_node *n = lookup(map, key);
        unsigned long v;

        if (n == NULL)
                return 0;
        if (cfy_uint(y, n, key, 1, 15, &v) != 0)
                return -1;
        *out = (unsigned)v;
        return 0;
}

int cfy_read_openpgp(struct cfy *y, struct fy_node *map)
{
        struct cf_opgp *o = &y->card->opgp;
        struct fy_node *n;
        const char *s;

        if (fy_node_get_type(map) != FYNT_MAPPING)
                return cfy_err(y, map, "openpgp: expected a mapping");
        o->present = true;
        o->signature_pin = -1;
        if (opgp_code(y, map, "pw1", o->pw1, &o->pw1_len, &o->has_pw1) != 0 ||
            opgp_code(y, map, "pw3", o->pw3, &o->pw3_len, &o->has_pw3) != 0 ||
            opgp_code(y, map, "resetting_code", o->rc, &o->rc_len, &o->has_rc) != 0 ||
            opgp_retries(y, map, "pw1_retries", &o->pw1_retries) != 0 ||
            opgp_retries(y, map, "rc_retries", &o->rc_retries) != 0 ||
            opgp_retries(y, map, "pw3_retries", &o->pw3_retries) != 0)
                return -1;
        if ((n = lookup(map, "signature_pin")) != NULL) {
                s = cfy_str(n, NULL);
                if (s == NULL || (strcmp(s, "once") != 0 && strcmp(s, "several") != 0))
                        return cfy_err(y, n, "openpgp: signature_pin: expected once or several");
                o->signature_pin = s[0] == 's';
        }
        return 0;
}
