/* SPDX-License-Identifier: MIT */
/*
 * PIV attestation as a YubiKey does it (Yubico's PIV attestation OID arc,
 * 1.3.6.1.4.1.41482.3): ATTEST 00 F9 slot 00 answers an X.509 certificate
 * for a key generated on the card, signed by the attestation key in slot F9
 * and issued in the name of F9's certificate (object 5FFF01), with its
 * validity copied. The card makes that key and a self-signed certificate
 * when it is created, unless the profile gives them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/objects.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "apps/piv/crypto.h"
#include "apps/piv/piv.h"
#include "iso/iso.h"
#include "tlv.h"

/* Yubico's extensions: firmware (3 bytes), serial (INTEGER), PIN and touch policy, form factor. */
#define OID_FIRMWARE    "1.3.6.1.4.1.41482.3.3"
#define OID_SERIAL      "1.3.6.1.4.1.41482.3.7"
#define OID_POLICY      "1.3.6.1.4.1.41482.3.8"
#define OID_FORM_FACTOR "1.3.6.1.4.1.41482.3.9"
#define TOUCH_NEVER     0x01 /* nobody touches a simulator */

/* A non-critical extension whose value is the given bytes. */
static bool add_raw_ext(X509 *cert, const char *oid, const uint8_t *v, size_t n)
{
        ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
        ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
        X509_EXTENSION *ext = NULL;
        bool ok = false;

        if (obj != NULL && os != NULL && ASN1_OCTET_STRING_set(os, v, (int)n) == 1 &&
            (ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os)) != NULL &&
            X509_add_ext(cert, ext, -1) == 1)
                ok = true;
        X509_EXTENSION_free(ext);
        ASN1_OCTET_STRING_free(os);
        ASN1_OBJECT_free(obj);
        return ok;
}

/* The serial number extension holds a DER INTEGER. */
static bool add_serial_ext(X509 *cert, uint32_t serial)
{
        ASN1_INTEGER *i = ASN1_INTEGER_new();
        unsigned char *der = NULL;
        int len = 0;
        bool ok;

        ok = i != NULL && ASN1_INTEGER_set_uint64(i, serial) == 1 &&
             (len = i2d_ASN1_INTEGER(i, &der)) > 0 &&
             add_raw_ext(cert, OID_SERIAL, der, (size_t)len);
        OPENSSL_free(der);
        ASN1_INTEGER_free(i);
        return ok;
}

/* SHA-256 with RSA and ECDSA keys; Ed25519 signs without a separate digest. */
static bool sign_cert(X509 *cert, EVP_PKEY *key)
{
        const EVP_MD *md = EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519 ? NULL : EVP_sha256();

        return X509_sign(cert, key, md) > 0;
}

/*
 * A serial number of 16 random bytes, as Yubico's attestations have: the
 * top bit cleared keeps it positive, the low bit of the first byte set keeps
 * it 16 bytes long.
 */
static bool set_serial(X509 *cert, uint8_t b[16])
{
        BIGNUM *bn;
        bool ok;

        b[0] = (uint8_t)((b[0] & 0x7f) | 0x01);
        ok = (bn = BN_bin2bn(b, 16, NULL)) != NULL &&
             BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != NULL;
        BN_free(bn);
        return ok;
}

static bool set_cn(X509_NAME *name, const char *cn)
{
        return X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1,
                                          -1, 0) == 1;
}

/*
 * The public key of the CA made at card creation. OpenSSL 3's X509_set_pubkey
 * runs the key through an encoder and a decoder, two thirds of the time a
 * card takes to be created; a P-256 key's SubjectPublicKeyInfo is its point
 * under two OIDs, set directly. Other keys (from the profile) go the long way.
 */
static bool set_ca_pubkey(X509 *cert, EVP_PKEY *key)
{
        uint8_t point[65];
        unsigned char *copy;
        size_t len = 0;

        if (!piv_key_matches(key, PROF_PIV_ECCP256))
                return X509_set_pubkey(cert, key) == 1;
        if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point,
                                            sizeof(point), &len) != 1 ||
            (copy = OPENSSL_memdup(point, len)) == NULL)
                return false;
        if (X509_PUBKEY_set0_param(X509_get_X509_PUBKEY(cert),
                                   OBJ_nid2obj(NID_X9_62_id_ecPublicKey), V_ASN1_OBJECT,
                                   OBJ_nid2obj(NID_X9_62_prime256v1), copy, (int)len) != 1) {
                OPENSSL_free(copy);
                return false;
        }
        return true;
}

static bool add_conf_ext(X509 *cert, int nid, const char *value)
{
        X509V3_CTX ctx;
        X509_EXTENSION *ext;
        bool ok;

        X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
        if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
                return false;
        ok = X509_add_ext(cert, ext, -1) == 1;
        X509_EXTENSION_free(ext);
        return ok;
}

/*
 * A self-signed attestation CA for key: a random name so that the CAs of
 * several cards differ, valid from now on with no expiry (RFC 5280's
 * 99991231235959Z), CA:TRUE so that openssl verify takes it as an issuer.
 */
static X509 *self_signed_ca(EVP_PKEY *key)
{
        X509 *cert = X509_new();
        ASN1_TIME *never = ASN1_TIME_new();
        uint8_t id[4], serial[16];
        char cn[64];
        bool ok;

        if (cert == NULL || never == NULL || RAND_bytes(id, sizeof(id)) != 1 ||
            RAND_bytes(serial, sizeof(serial)) != 1)
                goto fail;
        snprintf(cn, sizeof(cn), "scsim PIV Attestation %02X%02X%02X%02X", id[0], id[1], id[2],
                 id[3]);
        ok = X509_set_version(cert, X509_VERSION_3) == 1 && set_serial(cert, serial) &&
             set_cn(X509_get_subject_name(cert), cn) &&
             X509_set_issuer_name(cert, X509_get_subject_name(cert)) == 1 &&
             X509_gmtime_adj(X509_getm_notBefore(cert), 0) != NULL &&
             ASN1_TIME_set_string(never, "99991231235959Z") == 1 &&
             X509_set1_notAfter(cert, never) == 1 && set_ca_pubkey(cert, key) &&
             add_conf_ext(cert, NID_basic_constraints, "critical,CA:TRUE") &&
             add_conf_ext(cert, NID_key_usage, "critical,keyCertSign,cRLSign") &&
             add_conf_ext(cert, NID_subject_key_identifier, "hash") && sign_cert(cert, key);
        if (ok) {
                ASN1_TIME_free(never);
                return cert;
        }
fail:
        ASN1_TIME_free(never);
        X509_free(cert);
        return NULL;
}

/* Store cert in 5FFF01 as a certificate container: 53 { 70 DER, 71 00, FE }. */
static int store_cert(struct piv *piv, X509 *cert)
{
        static const uint8_t not_compressed = 0x00;
        unsigned char *der = NULL;
        int dlen = i2d_X509(cert, &der), ok = -1;
        struct rbuf r = {NULL, 0, 0, false};
        size_t mark;

        if (dlen <= 0 || (size_t)dlen + 16 > PIV_OBJ_MAX_LEN ||
            (r.p = malloc((size_t)dlen + 16)) == NULL)
                goto fail;
        r.cap = (size_t)dlen + 16;
        if (tlv_open(&r, 0x53, &mark) && tlv_put(&r, 0x70, der, (size_t)dlen) &&
            tlv_put(&r, 0x71, &not_compressed, 1) && tlv_put(&r, 0xfe, NULL, 0) &&
            tlv_close(&r, mark))
                ok = piv_set_obj(piv, PIV_TAG_ATTEST, r.p, r.len);
fail:
        free(r.p);
        OPENSSL_free(der);
        return ok;
}

/*
 * F9's key, made now if the profile gave none, and 5FFF01's certificate
 * self-signed by it if the profile gave none: both or neither.
 */
static int personalise(struct piv *piv)
{
        struct piv_slot made = {0}, *s = &piv->slots[PIV_SLOT_ATTEST];
        const struct piv_slot *use = s;
        X509 *cert = NULL;
        int ok = -1;

        if (!piv_version_at_least(piv, 4, 3, 0))
                return 0; /* attestation came with YubiKey 4.3 */
        if (s->key == NULL) {
                EVP_PKEY *key = piv_generate(PROF_PIV_ECCP256);
                if (key == NULL || piv_slot_set(&made, key) != 0) {
                        EVP_PKEY_free(key);
                        return -1;
                }
                made.alg = PROF_PIV_ECCP256;
                made.pin_policy = piv_default_policy(PROF_PIV_SLOT_ATTEST);
                made.origin = ORIGIN_GENERATED;
                use = &made;
        }
        if (piv_find_obj(piv, PIV_TAG_ATTEST) == NULL &&
            ((cert = self_signed_ca(use->key)) == NULL || store_cert(piv, cert) != 0))
                goto fail;
        if (use == &made) {
                *s = made;
                memset(&made, 0, sizeof(made));
        }
        ok = 0;
fail:
        X509_free(cert);
        piv_slot_clear(&made);
        return ok;
}

int piv_attest_ready(struct piv *piv)
{
        if (!piv->attest_due)
                return 0;
        if (personalise(piv) != 0)
                return -1;
        piv->attest_due = false;
        return 0;
}

int piv_attest_adopt(struct piv *piv, struct piv *own)
{
        struct piv_slot *mine = own != NULL ? &own->slots[PIV_SLOT_ATTEST] : NULL;
        const struct piv_obj *cert = NULL;

        if (piv->slots[PIV_SLOT_ATTEST].key != NULL || piv_find_obj(piv, PIV_TAG_ATTEST) != NULL)
                return 0; /* the record says what F9 holds */
        if (mine == NULL || mine->key == NULL ||
            (cert = piv_find_obj(own, PIV_TAG_ATTEST)) == NULL) {
                piv->attest_due = true; /* the card has made none yet either */
                return 0;
        }
        if (piv_slot_copy(&piv->slots[PIV_SLOT_ATTEST], mine) != 0)
                return -1;
        return piv_set_obj(piv, PIV_TAG_ATTEST, cert->data, cert->len);
}

/* The certificate in a container 53 { 70 DER ... }, or NULL. */
static X509 *container_cert(const struct piv_obj *o)
{
        const uint8_t *v, *der;
        size_t len, dlen;
        X509 *cert;

        if (o == NULL || tlv_find(o->data, o->len, 0x53, &v, &len) != 0 ||
            tlv_find(v, len, 0x70, &der, &dlen) != 0)
                return NULL;
        cert = d2i_X509(NULL, &der, (long)dlen);
        return cert;
}

static bool put_extensions(X509 *att, const struct cmd *c, const struct piv_slot *s)
{
        const struct piv *piv = piv_of(c);
        const uint8_t policy[2] = {s->pin_policy, TOUCH_NEVER};

        return add_raw_ext(att, OID_FIRMWARE, piv->sec->version, 3) &&
               add_serial_ext(att, piv_serial(c)) && add_raw_ext(att, OID_POLICY, policy, 2) &&
               add_raw_ext(att, OID_FORM_FACTOR, &piv->sec->form_factor, 1);
}

/* The attestation of the key in slot `slot`, signed with the F9 key, issued as ca's subject. */
static X509 *attestation(struct cmd *c, const struct piv_slot *s, uint8_t slot, X509 *ca,
                         EVP_PKEY *signer)
{
        X509 *att = X509_new();
        uint8_t serial[16];
        char cn[40];

        snprintf(cn, sizeof(cn), "YubiKey PIV Attestation %02x", slot);
        if (att != NULL && rng_bytes(&c->card->rng, serial, sizeof(serial)) == 0 &&
            X509_set_version(att, X509_VERSION_3) == 1 && set_serial(att, serial) &&
            X509_set_issuer_name(att, X509_get_subject_name(ca)) == 1 &&
            X509_set1_notBefore(att, X509_get0_notBefore(ca)) == 1 &&
            X509_set1_notAfter(att, X509_get0_notAfter(ca)) == 1 &&
            set_cn(X509_get_subject_name(att), cn) && X509_set_pubkey(att, s->key) == 1 &&
            put_extensions(att, c, s) && sign_cert(att, signer))
                return att;
        X509_free(att);
        return NULL;
}

/*
 * ATTEST 00 F9 slot 00. 6A88: the slot is empty; 6A80: its key was
 * imported (only keys generated on the card are attested); 6985: the
 * attestation key or its certificate is missing or unreadable.
 */
uint16_t piv_attest(struct cmd *c)
{
        struct piv *piv = piv_of(c);
        const struct apdu *a = c->apdu;
        const struct piv_slot *s, *f9 = &piv->slots[PIV_SLOT_ATTEST];
        int idx = piv_slot_index(a->p1);
        X509 *ca = NULL, *att = NULL;
        unsigned char *der = NULL;
        int dlen;
        uint16_t sw;

        if (!piv_version_at_least(piv, 4, 3, 0))
                return SW_INS_UNSUPPORTED;
        if (idx < 0 || idx == PIV_SLOT_ATTEST || a->p2 != 0x00)
                return SW_WRONG_P1P2;
        if (a->nc != 0)
                return SW_WRONG_LENGTH;
        s = &piv->slots[idx];
        if (s->key == NULL)
                return SW_REF_NOT_FOUND;
        if (s->origin != ORIGIN_GENERATED)
                return SW_WRONG_DATA;
        if (f9->key == NULL || (ca = container_cert(piv_find_obj(piv, PIV_TAG_ATTEST))) == NULL)
                return SW_CONDITIONS;
        if ((att = attestation(c, s, a->p1, ca, f9->key)) == NULL ||
            (dlen = i2d_X509(att, &der)) <= 0)
                sw = SW_MEMORY_FAILURE;
        else
                sw = rbuf_put(c->out, der, (size_t)dlen) ? SW_OK : SW_MEMORY_FAILURE;
        OPENSSL_free(der);
        X509_free(att);
        X509_free(ca);
        return sw;
}

/* Exchange the objects with tag between a and b (either may lack it). 0, or -1: no room. */
static int swap_obj(struct piv *a, struct piv *b, uint32_t tag)
{
        struct piv_obj *oa = piv_find_obj(a, tag), *ob = piv_find_obj(b, tag), t;

        if (oa == NULL && ob == NULL)
                return 0;
        if (oa == NULL && (oa = piv_find_obj(a, 0)) == NULL)
                return -1;
        if (ob == NULL && (ob = piv_find_obj(b, 0)) == NULL)
                return -1;
        t = *oa;
        *oa = *ob;
        *ob = t;
        return 0;
}

int piv_swap_attestation(struct piv *a, struct piv *b)
{
        struct piv_slot t;
        bool due = a->attest_due;

        if (swap_obj(a, b, PIV_TAG_ATTEST) != 0)
                return -1;
        t = a->slots[PIV_SLOT_ATTEST];
        a->slots[PIV_SLOT_ATTEST] = b->slots[PIV_SLOT_ATTEST];
        b->slots[PIV_SLOT_ATTEST] = t;
        a->attest_due = b->attest_due;
        b->attest_due = due;
        return 0;
}
