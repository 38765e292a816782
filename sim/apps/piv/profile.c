/* SPDX-License-Identifier: MIT */
/* The PIV section of a profile: management key, identity, keys, certificates and objects. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "app.h"
#include "apps/piv/crypto.h"
#include "apps/piv/profile.h"
#include "pkey.h"
#include "profile/yaml_reader.h"
#include "tlv.h"

enum { P_MGM_KEY, P_MGM_ALG, P_GUID, P_VERSION, P_SERIAL, P_KEYS, P_CERTS, P_OBJECTS, P_N };
static const char *const piv_fields[P_N] = {
    "management_key", "management_key_algorithm",
    "guid",           "version",
    "serial",         "keys",
    "certificates",   "objects",
};

enum { PK_ALGORITHM, PK_PIN_POLICY, PK_PRIVATE_KEY, PK_N };
static const char *const piv_key_fields[PK_N] = {"algorithm", "pin_policy", "private_key"};

/*
 * PIN 80 and PUK 81 must be in the PIV DF, shaped as PIV clients send them.
 * Each misshapen CHV is reported; a missing one only when none was.
 */
static void check_piv_chvs(struct yaml_loader *ld, uint16_t df, struct yaml_pos at)
{
        scsim_profile *p = yaml_profile(ld);
        bool pin = false, puk = false, misshapen = false;

        for (size_t i = 0; i < p->nchvs; i++) {
                struct prof_chv *c = &p->chvs[i];
                /* a global PIN 00 is PIV's global PIN: sent the same way */
                if (c->has_ref && c->ref == 0x00 && c->df == 0 &&
                    (c->padding != PROF_PAD_FF || c->max_len != 8))
                        yaml_err(ld, yaml_chv_pos(ld, i),
                                 "chv '%s': PIV clients send the global PIN padded with FF to "
                                 "8 bytes: give it length ..8 and padding: FF",
                                 c->name);
                if (c->df != df || !c->has_ref || (c->ref != 0x80 && c->ref != 0x81))
                        continue;
                /* SET PIN RETRIES may change these two limits */
                c->limit_settable = true;
                if (c->padding != PROF_PAD_FF || c->max_len != 8) {
                        yaml_err(ld, yaml_chv_pos(ld, i),
                                 "chv '%s': PIV clients send %s padded with FF to 8 bytes: "
                                 "give it length ..8 and padding: FF",
                                 c->name, c->ref == 0x80 ? "the PIN" : "the PUK");
                        misshapen = true;
                }
                if (c->ref == 0x80)
                        pin = c->verifiable && c->puk != PROF_NONE && p->chvs[c->puk].has_ref &&
                              p->chvs[c->puk].ref == 0x81;
                else
                        puk = true;
        }
        if ((!pin || !puk) && !misshapen)
                yaml_err(ld, at,
                         "application piv needs, in its DF, CHV 80 (the PIN, with puk: naming "
                         "CHV 81) and CHV 81 (the PUK)");
}

/* PEM text from a scalar into a memory BIO (the scalar stays owned by the document). */
static BIO *pem_bio(struct yaml_loader *ld, struct fy_node *n, struct yaml_pos at, const char *key)
{
        const char *s;
        size_t len = 0;
        BIO *bio;

        if (yaml_text(ld, n, at, key, &s, &len) != 0)
                return NULL;
        if (len > INT_MAX || (bio = BIO_new_mem_buf(s, (int)len)) == NULL) {
                yaml_err(ld, yaml_node_pos(n, at), "%s: out of memory", key);
                return NULL;
        }
        return bio;
}

/* Encrypted PEM is refused rather than prompting on a terminal. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
        (void)buf;
        (void)size;
        (void)rwflag;
        (void)u;
        return -1;
}

/* private_key: an unencrypted PEM key of the slot's algorithm, kept as DER in the blob. */
static int piv_private_key(struct yaml_loader *ld, struct fy_node *n, struct yaml_pos at,
                           struct prof_piv_key *key)
{
        BIO *bio = pem_bio(ld, n, at, "private_key");
        EVP_PKEY *k = NULL;
        unsigned char *der = NULL;
        int dlen = 0, ok = -1;

        if (bio == NULL)
                return -1;
        if ((k = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL)) == NULL) {
                yaml_err(ld, yaml_node_pos(n, at),
                         "private_key: not an unencrypted PEM private key (BEGIN PRIVATE KEY, "
                         "BEGIN EC PRIVATE KEY or BEGIN RSA PRIVATE KEY)");
                goto fail;
        }
        if (!piv_key_matches(k, key->alg)) {
                yaml_err(ld, yaml_node_pos(n, at), "private_key: slot %02X is %s; this key is not",
                         key->slot, piv_alg_name(key->alg));
                goto fail;
        }
        if ((dlen = i2d_PrivateKey(k, &der)) <= 0 ||
            prof_add_blob(yaml_profile(ld), der, (size_t)dlen, &key->der_off) != 0) {
                yaml_err(ld, yaml_node_pos(n, at), "private_key: out of memory");
                goto fail;
        }
        key->der_len = (size_t)dlen;
        ok = 0;
fail:
        if (der != NULL)
                OPENSSL_clear_free(der, (size_t)dlen);
        EVP_PKEY_free(k);
        BIO_free(bio);
        return ok;
}

/* Add the object TLV (tag 53, or the object's own tag for 7E and 7F61) around content. */
static int piv_add_object(struct yaml_loader *ld, struct prof_piv *pp, struct yaml_pos at,
                          uint32_t tag, const uint8_t *content, size_t len)
{
        uint8_t *buf = malloc(PROF_PIV_OBJ_MAX_LEN);
        struct rbuf r = {buf, PROF_PIV_OBJ_MAX_LEN, 0, false};
        struct prof_piv_obj *o;
        int ok = -1;

        if (buf == NULL)
                return yaml_err(ld, at, "out of memory");
        for (size_t i = 0; i < pp->nobjs; i++)
                if (pp->objs[i].tag == tag) {
                        yaml_err(ld, at,
                                 "object %06X is given twice (certificates and objects share them)",
                                 tag);
                        goto fail;
                }
        if (pp->nobjs >= PROF_PIV_OBJS_MAX) {
                yaml_err(ld, at, "too many objects (at most %d)", PROF_PIV_OBJS_MAX);
                goto fail;
        }
        if (!tlv_put(&r, tag == 0x7e || tag == 0x7f61 ? tag : 0x53, content, len)) {
                yaml_err(ld, at, "object %06X: %zu bytes; at most %d with its tag and length", tag,
                         len, PROF_PIV_OBJ_MAX_LEN);
                goto fail;
        }
        o = &pp->objs[pp->nobjs];
        o->tag = tag;
        o->len = r.len;
        if (prof_add_blob(yaml_profile(ld), buf, r.len, &o->off) != 0) {
                yaml_err(ld, at, "out of memory");
                goto fail;
        }
        pp->nobjs++;
        ok = 0;
fail:
        free(buf);
        return ok;
}

static uint32_t cert_container(uint8_t slot)
{
        switch (slot) {
        case 0x9a:
                return 0x5fc105;
        case 0x9c:
                return 0x5fc10a;
        case 0x9d:
                return 0x5fc10b;
        case 0x9e:
                return 0x5fc101;
        case PROF_PIV_SLOT_ATTEST:
                return 0x5fff01;
        default:
                return 0x5fc10d + (uint32_t)(slot - 0x82);
        }
}

/* certificates: slot -> PEM certificate; the slot's private_key must be given and match. */
static int piv_certificates(struct yaml_loader *ld, struct prof_piv *pp, struct fy_node *map,
                            struct yaml_pos at, const uint8_t *bad_slots, size_t nbad)
{
        struct fy_node_pair *pair;
        void *it = NULL;

        if (yaml_is_empty(map) || fy_node_get_type(map) != FYNT_MAPPING)
                return yaml_err(
                    ld, yaml_node_pos(map, at),
                    "certificates: expected a mapping of slots to PEM certificates, got %s",
                    yaml_kind(map));
        while ((pair = fy_node_mapping_iterate(map, &it)) != NULL) {
                struct fy_node *k = fy_node_pair_key(pair), *v = fy_node_pair_value(pair);
                struct yaml_pos kpos = yaml_node_pos(k, at);
                const struct prof_piv_key *key = NULL;
                uint8_t slot = 0;
                static const uint8_t cert_info = 0x00;
                size_t len = 0;
                X509 *cert = NULL;
                EVP_PKEY *priv = NULL;
                unsigned char *der = NULL;
                uint8_t *content = NULL;
                int dlen = 0, ok = -1;
                BIO *bio;

                if (yaml_hex(ld, k, at, "slot", &slot, 1, 1, &len) != 0)
                        continue;
                for (size_t i = 0; i < pp->nkeys; i++)
                        if (pp->keys[i].slot == slot)
                                key = &pp->keys[i];
                if (key == NULL && memchr(bad_slots, slot, nbad) != NULL)
                        continue; /* the slot's key was wrong, and said so */
                if (key == NULL || key->der_len == 0) {
                        yaml_err(ld, kpos,
                                 "certificate for slot %02X: give the slot's private_key under "
                                 "keys (a key generated at start would not match it)",
                                 slot);
                        continue;
                }
                if ((bio = pem_bio(ld, v, kpos, "certificate")) == NULL)
                        continue;
                cert = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL);
                priv = pkey_from_der(piv_key_type(key->alg), yaml_profile(ld)->blob + key->der_off,
                                     key->der_len);
                if (cert == NULL) {
                        yaml_err(ld, yaml_node_pos(v, kpos),
                                 "certificate: not a PEM certificate (BEGIN "
                                 "CERTIFICATE)");
                } else if (priv == NULL || EVP_PKEY_eq(X509_get0_pubkey(cert), priv) != 1) {
                        yaml_err(ld, yaml_node_pos(v, kpos),
                                 "certificate for slot %02X: its public key is not the slot's key",
                                 slot);
                } else if ((dlen = i2d_X509(cert, &der)) <= 0 ||
                           (content = malloc((size_t)dlen + 16)) == NULL) {
                        yaml_err(ld, yaml_node_pos(v, kpos), "certificate: out of memory");
                } else {
                        /* 70 certificate, 71 CertInfo 00 (not compressed), FE error detection */
                        struct rbuf r = {content, (size_t)dlen + 16, 0, false};
                        if (tlv_put(&r, 0x70, der, (size_t)dlen) &&
                            tlv_put(&r, 0x71, &cert_info, 1) && tlv_put(&r, 0xfe, NULL, 0))
                                ok = piv_add_object(ld, pp, yaml_node_pos(v, kpos),
                                                    cert_container(slot), content, r.len);
                        else
                                yaml_err(ld, yaml_node_pos(v, kpos), "certificate: too large");
                }
                (void)ok; /* a mistake was reported; the next certificate is checked all the same */
                free(content);
                OPENSSL_free(der);
                EVP_PKEY_free(priv);
                X509_free(cert);
                BIO_free(bio);
        }
        return 0;
}

/* objects: tag (5FC1xx, 5FFFxx, 7E, 7F61) -> content hex, wrapped as GET DATA answers it. */
static int piv_objects(struct yaml_loader *ld, struct prof_piv *pp, struct fy_node *map,
                       struct yaml_pos at)
{
        struct fy_node_pair *pair;
        void *it = NULL;
        uint8_t *content = malloc(PROF_PIV_OBJ_MAX_LEN);
        int ok = -1;

        if (content == NULL)
                return yaml_err(ld, at, "out of memory");
        if (yaml_is_empty(map) || fy_node_get_type(map) != FYNT_MAPPING) {
                yaml_err(ld, yaml_node_pos(map, at),
                         "objects: expected a mapping of tags to hex, got %s", yaml_kind(map));
                goto fail;
        }
        while ((pair = fy_node_mapping_iterate(map, &it)) != NULL) {
                struct fy_node *k = fy_node_pair_key(pair);
                struct yaml_pos kpos = yaml_node_pos(k, at);
                uint8_t t[3];
                size_t tlen = 0, len = 0;
                uint32_t tag = 0;
                if (yaml_hex(ld, k, at, "tag", t, 1, 3, &tlen) != 0)
                        continue;
                for (size_t i = 0; i < tlen; i++)
                        tag = tag << 8 | t[i];
                if (!((tag & 0xffff00) == 0x5fc100 && (tag & 0xff) >= 1 && (tag & 0xff) <= 0x23) &&
                    (tag & 0xffff00) != 0x5fff00 && tag != 0x7e && tag != 0x7f61) {
                        yaml_err(ld, kpos, "object %X: expected 5FC101..5FC123, 5FFFxx, 7E or 7F61",
                                 tag);
                        continue;
                }
                if (yaml_hex(ld, fy_node_pair_value(pair), kpos, "content", content, 0,
                             PROF_PIV_OBJ_MAX_LEN - 4, &len) == 0)
                        piv_add_object(ld, pp, kpos, tag, content, len);
        }
        ok = 0;
fail:
        free(content);
        return ok;
}

/* What a PIV DF has when the profile says nothing: YubiKey defaults, identity from the serial. */
static void piv_defaults(struct prof_piv *pp, const scsim_profile *p)
{
        static const uint8_t default_mgm[24] = {1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4,
                                                5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8};

        pp->mgm_alg = PROF_PIV_3DES;
        memcpy(pp->mgm_key, default_mgm, sizeof(default_mgm));
        pp->mgm_key_len = sizeof(default_mgm);
        pp->version[0] = 5;
        pp->version[1] = 4;
        pp->version[2] = 3;
        /*
         * the GUID defaults to the card's serial, so two profiles differ; the
         * YubiKey serial (0 here) is the card's at run time, so two slots differ
         */
        for (size_t i = 0; i < p->serial_len && i < 16; i++)
                pp->guid[16 - p->serial_len + i] = p->serial[i];
}

/* management_key_algorithm, management_key, guid, version, serial: each on its own. */
static void piv_identity(struct yaml_loader *ld, struct prof_piv *pp, struct fy_node **v,
                         const struct yaml_pos *kp)
{
        static const char *const mgm_algs[] = {"3des", "aes128", "aes192", "aes256"};
        static const enum prof_piv_alg mgm_ids[] = {PROF_PIV_3DES, PROF_PIV_AES128, PROF_PIV_AES192,
                                                    PROF_PIV_AES256};
        static const size_t mgm_lens[] = {24, 16, 24, 32};
        size_t alg = 0, len = 0;
        unsigned long num = 0;
        bool alg_ok = true;

        if (v[P_MGM_ALG] != NULL) {
                alg_ok = yaml_enum(ld, v[P_MGM_ALG], kp[P_MGM_ALG], "management_key_algorithm",
                                   mgm_algs, 4, &alg) == 0;
                if (alg_ok)
                        pp->mgm_alg = mgm_ids[alg];
        }
        /* the key's length is the algorithm's: unknown when the algorithm is wrong */
        if (v[P_MGM_KEY] != NULL && alg_ok)
                yaml_hex(ld, v[P_MGM_KEY], kp[P_MGM_KEY], "management_key", pp->mgm_key,
                         mgm_lens[alg], mgm_lens[alg], &pp->mgm_key_len);
        else if (v[P_MGM_KEY] == NULL && v[P_MGM_ALG] != NULL && alg_ok &&
                 mgm_ids[alg] != PROF_PIV_3DES)
                yaml_err(ld, kp[P_MGM_ALG], "an %s management key needs 'management_key'",
                         mgm_algs[alg]);
        if (v[P_GUID] != NULL)
                yaml_hex(ld, v[P_GUID], kp[P_GUID], "guid", pp->guid, 16, 16, &len);
        if (v[P_VERSION] != NULL)
                yaml_version(ld, v[P_VERSION], kp[P_VERSION], "version", pp->version);
        if (v[P_SERIAL] != NULL &&
            yaml_uint(ld, v[P_SERIAL], kp[P_SERIAL], "serial", 1, 999999999, &num) == 0)
                pp->serial = (uint32_t)num;
}

/* Slots whose key had a mistake: a certificate for one is not reported again. */
struct bad_slots {
        uint8_t slot[PROF_PIV_KEYS_MAX + 8];
        size_t n;
};

static void bad_slot(struct bad_slots *b, uint8_t slot)
{
        if (b->n < sizeof(b->slot))
                b->slot[b->n++] = slot;
}

/* The fields of one key after its slot: algorithm (one pp's version has), pin_policy, private_key.
 */
static int piv_key_fields_of(struct yaml_loader *ld, const struct prof_piv *pp, struct fy_node *map,
                             struct yaml_pos kpos, struct prof_piv_key *key)
{
        static const char *const key_algs[] = {"rsa1024", "rsa2048", "eccp256", "eccp384",
                                               "rsa3072", "rsa4096", "ed25519", "x25519"};
        static const enum prof_piv_alg key_ids[] = {
            PROF_PIV_RSA1024, PROF_PIV_RSA2048, PROF_PIV_ECCP256, PROF_PIV_ECCP384,
            PROF_PIV_RSA3072, PROF_PIV_RSA4096, PROF_PIV_ED25519, PROF_PIV_X25519};
        static const char *const policies[] = {"default", "never", "once", "always"};
        struct fy_node *kv[PK_N];
        struct yaml_pos kkp[PK_N];
        size_t alg = 0, pol = 0, before = yaml_errors(ld);

        if (yaml_fields(ld, map, kpos, "key", piv_key_fields, PK_N, kv, kkp) != 0)
                return -1;
        if (kv[PK_ALGORITHM] == NULL)
                yaml_err(ld, kpos, "slot %02X: missing 'algorithm' (%s)", key->slot,
                         "rsa1024, rsa2048, eccp256, eccp384; from version 5.7 also rsa3072, "
                         "rsa4096, ed25519, x25519");
        else if (yaml_enum(ld, kv[PK_ALGORITHM], kkp[PK_ALGORITHM], "algorithm", key_algs, 8,
                           &alg) == 0 &&
                 piv_check_alg_version(ld, pp, key_ids[alg],
                                       yaml_node_pos(kv[PK_ALGORITHM], kkp[PK_ALGORITHM])) == 0)
                key->alg = key_ids[alg];
        if (kv[PK_PIN_POLICY] != NULL && yaml_enum(ld, kv[PK_PIN_POLICY], kkp[PK_PIN_POLICY],
                                                   "pin_policy", policies, 4, &pol) == 0)
                key->pin_policy = (uint8_t)pol;
        /* whether the key fits needs the algorithm */
        if (kv[PK_PRIVATE_KEY] != NULL && yaml_errors(ld) == before)
                piv_private_key(ld, kv[PK_PRIVATE_KEY], kkp[PK_PRIVATE_KEY], key);
        return yaml_errors(ld) == before ? 0 : -1;
}

/* One entry of keys: SLOT: {algorithm, pin_policy, private_key}. */
static void piv_key(struct yaml_loader *ld, struct prof_piv *pp, struct fy_node_pair *pair,
                    struct yaml_pos at, struct bad_slots *bad)
{
        struct fy_node *k = fy_node_pair_key(pair);
        struct yaml_pos kpos = yaml_node_pos(k, at);
        struct prof_piv_key *key = &pp->keys[pp->nkeys];
        uint8_t slot = 0;
        size_t len = 0;

        if (yaml_hex(ld, k, at, "slot", &slot, 1, 1, &len) != 0)
                return;
        if (!(slot == 0x9a || slot == 0x9c || slot == 0x9d || slot == 0x9e ||
              (slot >= 0x82 && slot <= 0x95) || slot == PROF_PIV_SLOT_ATTEST)) {
                yaml_err(ld, kpos, "slot %02X: expected 9a, 9c, 9d, 9e, 82..95 or f9", slot);
                bad_slot(bad, slot);
                return;
        }
        for (size_t i = 0; i < pp->nkeys; i++)
                if (pp->keys[i].slot == slot) {
                        yaml_err(ld, kpos, "slot %02X is given twice", slot);
                        return;
                }
        if (pp->nkeys >= PROF_PIV_KEYS_MAX) {
                yaml_err(ld, kpos, "too many keys");
                return;
        }
        memset(key, 0, sizeof(*key));
        key->slot = slot;
        if (piv_key_fields_of(ld, pp, fy_node_pair_value(pair), kpos, key) == 0)
                pp->nkeys++;
        else
                bad_slot(bad, slot);
}

static void piv_keys(struct yaml_loader *ld, struct prof_piv *pp, struct fy_node *map,
                     struct yaml_pos at, struct bad_slots *bad)
{
        struct fy_node_pair *pair;
        void *it = NULL;

        if (yaml_is_empty(map) || fy_node_get_type(map) != FYNT_MAPPING) {
                yaml_err(ld, yaml_node_pos(map, at),
                         "keys: expected a mapping of slots (9a, 9c, 9d, 9e, 82..95), got %s",
                         yaml_kind(map));
                return;
        }
        while ((pair = fy_node_mapping_iterate(map, &it)) != NULL)
                piv_key(ld, pp, pair, at, bad);
}

/*
 * The piv section: management key, CHUID GUID, YubiKey version/serial, keys
 * made at start. The CHVs are checked for PIV only when they were all good
 * (a CHV with a mistake is a placeholder). Fails when anything was reported.
 */
static int piv_section_parse(struct yaml_loader *ld, struct fy_node *n, const struct yaml_pos *at,
                             uint16_t df, void **out)
{
        struct prof_piv *pp = calloc(1, sizeof(*pp));
        struct fy_node *v[P_N];
        struct yaml_pos kp[P_N];
        struct bad_slots bad = {{0}, 0};
        size_t before = yaml_errors(ld);

        if (pp == NULL)
                return yaml_err(ld, *at, "piv: out of memory");
        pp->df = df;
        yaml_context(ld, "piv");
        piv_defaults(pp, yaml_profile(ld));
        if (yaml_chvs_ok(ld))
                check_piv_chvs(ld, df, yaml_file_pos(ld, df));
        /* the device's identity, when a yubikey: section gives it (reported if it disagrees) */
        if (n == NULL)
                (void)piv_adopt_identity(ld, pp, NULL, *at, NULL, *at);
        if (n != NULL && yaml_fields(ld, n, *at, "piv", piv_fields, P_N, v, kp) == 0) {
                piv_identity(ld, pp, v, kp);
                (void)piv_adopt_identity(ld, pp, v[P_VERSION], kp[P_VERSION], v[P_SERIAL],
                                         kp[P_SERIAL]);
                if (v[P_KEYS] != NULL)
                        piv_keys(ld, pp, v[P_KEYS], kp[P_KEYS], &bad);
                if (v[P_CERTS] != NULL)
                        piv_certificates(ld, pp, v[P_CERTS], kp[P_CERTS], bad.slot, bad.n);
                if (v[P_OBJECTS] != NULL)
                        piv_objects(ld, pp, v[P_OBJECTS], kp[P_OBJECTS]);
        }
        if (yaml_errors(ld) != before) {
                OPENSSL_cleanse(pp, sizeof(*pp));
                free(pp);
                return -1;
        }
        *out = pp;
        return 0;
}

static void piv_section_free(void *section)
{
        if (section != NULL) {
                OPENSSL_cleanse(section, sizeof(struct prof_piv));
                free(section);
        }
}

const struct app_section piv_section = {
    .parse = piv_section_parse,
    .print = piv_section_print,
    .free = piv_section_free,
};
