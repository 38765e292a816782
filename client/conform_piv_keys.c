/* SPDX-License-Identifier: MIT */
/*
 * PIV checks of keys: mutual authentication with the card management key
 * (9B), and signatures in the key slots under their PIN policies, checked
 * with libcrypto against the public key the description or the card gives.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "conform_piv.h"

struct mgmt {
        uint8_t alg; /* GENERAL AUTHENTICATE's P1 */
        size_t block;
        const EVP_CIPHER *cipher;
};

static void mgmt_of(const struct cf_piv *piv, struct mgmt *m)
{
        *m = (struct mgmt){0x03, 8, EVP_des_ede3_ecb()};
        switch (piv->mgmt_alg) {
        case CF_MGMT_3DES:
                break;
        case CF_MGMT_AES128:
                *m = (struct mgmt){0x08, 16, EVP_aes_128_ecb()};
                break;
        case CF_MGMT_AES192:
                *m = (struct mgmt){0x0a, 16, EVP_aes_192_ecb()};
                break;
        case CF_MGMT_AES256:
                *m = (struct mgmt){0x0c, 16, EVP_aes_256_ecb()};
                break;
        }
}

static int ecb(const struct mgmt *m, const uint8_t *key, int enc, const uint8_t *in, uint8_t *out)
{
        EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
        int n = 0, ok = -1;

        if (x != NULL && EVP_CipherInit_ex(x, m->cipher, NULL, key, NULL, enc) == 1 &&
            EVP_CIPHER_CTX_set_padding(x, 0) == 1 &&
            EVP_CipherUpdate(x, out, &n, in, (int)m->block) == 1 && (size_t)n == m->block)
                ok = 0;
        EVP_CIPHER_CTX_free(x);
        return ok;
}

/* The value of tag inside a 7C dynamic authentication template: its offset and length, or -1. */
static int in_7c(const uint8_t *d, size_t n, uint8_t tag, size_t *off, size_t *len)
{
        size_t i = 2, end;

        if (n < 2 || d[0] != 0x7c)
                return -1;
        end = 2 + (size_t)d[1];
        if (d[1] == 0x81 && n >= 3) {
                i = 3;
                end = 3 + (size_t)d[2];
        } else if (d[1] == 0x82 && n >= 4) {
                i = 4;
                end = 4 + ((size_t)d[2] << 8 | d[3]);
        }
        while (end <= n && i + 2 <= end) {
                size_t l = d[i + 1], h = 2;
                if (d[i + 1] == 0x81 && i + 3 <= end) {
                        l = d[i + 2];
                        h = 3;
                } else if (d[i + 1] == 0x82 && i + 4 <= end) {
                        l = (size_t)d[i + 2] << 8 | d[i + 3];
                        h = 4;
                }
                if (i + h + l > end)
                        return -1;
                if (d[i] == tag) {
                        *off = i + h;
                        *len = l;
                        return 0;
                }
                i += h + l;
        }
        return -1;
}

/* Witness, then witness back with a challenge of ours, whose encryption the card returns. */
static enum cf_verdict mgmt_auth(struct cf_run *r, bool wrong_witness)
{
        static const uint8_t ask[] = {0x7c, 0x02, 0x80, 0x00};
        const struct cf_piv *piv = &r->card->piv;
        uint8_t witness[16], challenge[16], expect[16], cmd[4 + 2 * 18];
        struct mgmt m;
        size_t off, len;

        mgmt_of(piv, &m);
        if (!cf_want(r, cf_cmd_all(r, 0x00, 0x87, m.alg, 0x9b, ask, sizeof(ask), 256), 0x9000,
                     "GENERAL AUTHENTICATE 9B asking for a witness (7C{80 00})"))
                return CF_FAIL;
        if (in_7c(r->resp, r->rlen, 0x80, &off, &len) != 0 || len != m.block ||
            ecb(&m, piv->mgmt_key, 0, r->resp + off, witness) != 0)
                return cf_fail(r, "the witness is not 7C{80 %zu bytes}", m.block);
        if (RAND_bytes(challenge, (int)m.block) != 1 ||
            ecb(&m, piv->mgmt_key, 1, challenge, expect))
                return cf_fail(r, "libcrypto could not make a challenge");
        if (wrong_witness)
                witness[0] ^= 0x01;
        cmd[0] = 0x7c;
        cmd[1] = (uint8_t)(4 + 2 * m.block);
        cmd[2] = 0x80;
        cmd[3] = (uint8_t)m.block;
        memcpy(cmd + 4, witness, m.block);
        cmd[4 + m.block] = 0x81;
        cmd[5 + m.block] = (uint8_t)m.block;
        memcpy(cmd + 6 + m.block, challenge, m.block);
        if (wrong_witness)
                return cf_want_error(
                           r, cf_cmd_all(r, 0x00, 0x87, m.alg, 0x9b, cmd, 6 + 2 * m.block, 256),
                           "GENERAL AUTHENTICATE 9B with a wrong witness")
                           ? CF_PASS
                           : CF_FAIL;
        if (!cf_want(r, cf_cmd_all(r, 0x00, 0x87, m.alg, 0x9b, cmd, 6 + 2 * m.block, 256), 0x9000,
                     "GENERAL AUTHENTICATE 9B with the witness and a challenge"))
                return CF_FAIL;
        if (in_7c(r->resp, r->rlen, 0x82, &off, &len) != 0 || len != m.block ||
            memcmp(r->resp + off, expect, m.block) != 0)
                return cf_fail(r, "the card's 7C{82} is not our challenge encrypted with the "
                                  "described management key");
        return CF_PASS;
}

static enum cf_verdict need_mgmt(struct cf_run *r)
{
        if (!r->card->piv.has_mgmt_key)
                return cf_skip(r, "the card description gives no management key (piv: "
                                  "management_key)");
        return CF_PASS;
}

enum cf_verdict piv_check_mgmt(struct cf_run *r, int obj)
{
        struct piv_app p;
        enum cf_verdict v;

        (void)obj;
        piv_find(r, &p);
        if ((v = need_mgmt(r)) != CF_PASS || piv_select(r, &p) != 0)
                return v != CF_PASS ? v : CF_FAIL;
        if ((v = mgmt_auth(r, false)) != CF_PASS)
                return v;
        return mgmt_auth(r, true);
}

/* ---- signatures under a slot's PIN policy ---------------------------------- */

enum policy { POL_NEVER, POL_ONCE, POL_ALWAYS };

struct slot {
        uint8_t ref, alg; /* key reference, algorithm identifier (SP 800-78-4) */
        enum policy policy;
        EVP_PKEY *pub; /* NULL: the signature's status word alone is checked */
};

/* Table 4b: 9C needs the PIN before each use, 9E never, the others once. */
static enum policy slot_default(uint8_t ref)
{
        return ref == 0x9c ? POL_ALWAYS : ref == 0x9e ? POL_NEVER : POL_ONCE;
}

/* The data a slot signs: a digest for ECC, a PKCS#1 v1.5 block for RSA (the card adds nothing). */
static size_t sign_input(uint8_t alg, const uint8_t hash[48], uint8_t *out)
{
        static const uint8_t info[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                       0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
        const size_t mod = alg == 0x06 ? 128 : alg == 0x07 ? 256 : 0;

        if (alg == 0x11 || alg == 0x14) {
                memcpy(out, hash, alg == 0x11 ? 32 : 48);
                return alg == 0x11 ? 32 : 48;
        }
        if (mod == 0)
                return 0;
        out[0] = 0x00;
        out[1] = 0x01;
        memset(out + 2, 0xff, mod - 3 - sizeof(info) - 32);
        out[mod - 1 - sizeof(info) - 32] = 0x00;
        memcpy(out + mod - sizeof(info) - 32, info, sizeof(info));
        memcpy(out + mod - 32, hash, 32);
        return mod;
}

static bool sig_ok(const struct slot *s, const uint8_t *hash, const uint8_t *sig, size_t n)
{
        EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(s->pub, NULL);
        const bool rsa = s->alg == 0x06 || s->alg == 0x07;
        bool ok = false;

        if (c != NULL && EVP_PKEY_verify_init(c) == 1 &&
            (!rsa || (EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) == 1 &&
                      EVP_PKEY_CTX_set_signature_md(c, EVP_sha256()) == 1)))
                ok = EVP_PKEY_verify(c, sig, n, hash, s->alg == 0x14 ? 48 : 32) == 1;
        EVP_PKEY_CTX_free(c);
        return ok;
}

/* A BER length in as few bytes as it takes: clients send no longer forms, so neither do we. */
static size_t put_len(uint8_t *out, size_t len)
{
        if (len < 0x80) {
                out[0] = (uint8_t)len;
                return 1;
        }
        if (len <= 0xff) {
                out[0] = 0x81;
                out[1] = (uint8_t)len;
                return 2;
        }
        out[0] = 0x82;
        out[1] = (uint8_t)(len >> 8);
        out[2] = (uint8_t)len;
        return 3;
}

/* GENERAL AUTHENTICATE 7C{82 00, 81 data}: the status word; a 9000 signature is checked. */
static uint16_t sign(struct cf_run *r, const struct slot *s, bool *bad_sig)
{
        uint8_t hash[48], in[256], cmd[16 + 256], l81[3];
        size_t n, k = 0, off, len, n81;
        uint16_t sw;

        *bad_sig = false;
        if (RAND_bytes(hash, sizeof(hash)) != 1 || (n = sign_input(s->alg, hash, in)) == 0)
                return 0x6f00;
        n81 = put_len(l81, n);
        cmd[k++] = 0x7c;
        k += put_len(cmd + k, 2 + 1 + n81 + n);
        cmd[k++] = 0x82;
        cmd[k++] = 0x00;
        cmd[k++] = 0x81;
        memcpy(cmd + k, l81, n81);
        k += n81;
        memcpy(cmd + k, in, n);
        sw = cf_cmd_chain(r, 0x00, 0x87, s->alg, s->ref, cmd, k + n, 256);
        if (sw == 0x9000 && s->pub != NULL)
                *bad_sig = in_7c(r->resp, r->rlen, 0x82, &off, &len) != 0 ||
                           !sig_ok(s, hash, r->resp + off, len);
        return sw;
}

static enum cf_verdict use_slot(struct cf_run *r, const struct piv_app *p, const struct slot *s)
{
        char what[96];
        bool bad = false;
        uint16_t sw;

        snprintf(what, sizeof(what), "GENERAL AUTHENTICATE with key %02X before VERIFY", s->ref);
        sw = sign(r, s, &bad);
        if (!cf_want(r, sw, s->policy == POL_NEVER ? 0x9000 : 0x6982, what) || bad)
                return bad ? cf_fail(r, "key %02X: the signature does not verify", s->ref)
                           : CF_FAIL;
        if (s->policy == POL_NEVER)
                return CF_PASS;
        if (!cf_want(r, cf_verify(r, 0, p->pin, CF_CODE_RIGHT), 0x9000, "VERIFY 80 with the PIN"))
                return CF_FAIL;
        snprintf(what, sizeof(what), "GENERAL AUTHENTICATE with key %02X after VERIFY", s->ref);
        if (!cf_want(r, sign(r, s, &bad), 0x9000, what) || bad)
                return bad ? cf_fail(r, "key %02X: the signature does not verify", s->ref)
                           : CF_FAIL;
        snprintf(what, sizeof(what), "a second GENERAL AUTHENTICATE with key %02X (%s)", s->ref,
                 s->policy == POL_ALWAYS ? "PIN always: refused" : "PIN once: allowed");
        if (!cf_want(r, sign(r, s, &bad), s->policy == POL_ALWAYS ? 0x6982 : 0x9000, what) || bad)
                return bad ? cf_fail(r, "key %02X: the signature does not verify", s->ref)
                           : CF_FAIL;
        return CF_PASS;
}

static uint8_t alg_of(const char *name)
{
        static const struct {
                const char *name;
                uint8_t alg;
        } t[] = {{"eccp256", 0x11}, {"eccp384", 0x14}, {"rsa1024", 0x06}, {"rsa2048", 0x07}};

        for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
                if (strcmp(name, t[i].name) == 0)
                        return t[i].alg;
        return 0;
}

static enum policy policy_of(const struct cf_piv_key *k)
{
        if (strcmp(k->pin_policy, "never") == 0)
                return POL_NEVER;
        if (strcmp(k->pin_policy, "once") == 0)
                return POL_ONCE;
        if (strcmp(k->pin_policy, "always") == 0)
                return POL_ALWAYS;
        return slot_default(k->slot);
}

enum cf_verdict piv_check_key_policy(struct cf_run *r, int obj)
{
        const struct cf_piv *piv = &r->card->piv;
        struct piv_app p;
        enum cf_verdict v;

        (void)obj;
        piv_find(r, &p);
        if (piv->nkeys == 0)
                return cf_skip(r, "the card description lists no keys (piv: keys)");
        for (size_t i = 0; i < piv->nkeys; i++) {
                const struct slot s = {piv->keys[i].slot, alg_of(piv->keys[i].algorithm),
                                       policy_of(&piv->keys[i]), piv->keys[i].pub};
                if (s.alg == 0)
                        return cf_skip(r,
                                       "key %02X: algorithm '%s' is not one this suite signs "
                                       "with",
                                       s.ref, piv->keys[i].algorithm);
                if ((v = piv_pin_ready(r, &p, 0)) != CF_PASS ||
                    (v = use_slot(r, &p, &s)) != CF_PASS)
                        return v;
                if (cf_warm_reset(r) != 0)
                        return CF_ERROR;
        }
        return CF_PASS;
}

/* An uncompressed P-256 point from 7F49{86 ...} as a libcrypto public key. */
static EVP_PKEY *p256_point(const uint8_t *pt, size_t n)
{
        OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
        OSSL_PARAM *params = NULL;
        EVP_PKEY_CTX *ctx = NULL;
        EVP_PKEY *pkey = NULL;

        if (b != NULL &&
            OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) == 1 &&
            OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, pt, n) == 1 &&
            (params = OSSL_PARAM_BLD_to_param(b)) != NULL &&
            (ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) != NULL &&
            EVP_PKEY_fromdata_init(ctx) == 1)
                EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params);
        EVP_PKEY_CTX_free(ctx);
        OSSL_PARAM_free(params);
        OSSL_PARAM_BLD_free(b);
        return pkey;
}

/* GENERATE ASYMMETRIC KEY PAIR of a P-256 key: the public key from 7F49{86 04 X Y}. */
static EVP_PKEY *generate(struct cf_run *r, uint8_t ref)
{
        static const uint8_t crt[] = {0xac, 0x03, 0x80, 0x01, 0x11};
        char what[64];

        snprintf(what, sizeof(what), "GENERATE ASYMMETRIC KEY PAIR in %02X (P-256)", ref);
        if (!cf_want(r, cf_cmd_all(r, 0x00, 0x47, 0x00, ref, crt, sizeof(crt), 256), 0x9000, what))
                return NULL;
        for (size_t i = 0; i + 2 < r->rlen; i++)
                if (r->resp[i] == 0x86 && r->resp[i + 1] == 0x41 && i + 2 + 0x41 <= r->rlen)
                        return p256_point(r->resp + i + 2, 0x41);
        cf_fail(r, "%s: no 7F49{86 41 04 X Y} in the %zu-byte answer", what, r->rlen);
        return NULL;
}

enum cf_verdict piv_check_generate(struct cf_run *r, int obj)
{
        static const uint8_t refs[] = {0x9a, 0x9c, 0x9d, 0x9e};
        struct piv_app p;
        enum cf_verdict v;

        (void)obj;
        piv_find(r, &p);
        if ((v = need_mgmt(r)) != CF_PASS || (v = piv_pin_ready(r, &p, 0)) != CF_PASS)
                return v;
        for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
                struct slot s = {refs[i], 0x11, slot_default(refs[i]), NULL};
                if (cf_warm_reset(r) != 0 || piv_select(r, &p) != 0 ||
                    (v = mgmt_auth(r, false)) != CF_PASS)
                        return v != CF_PASS ? v : CF_FAIL;
                if ((s.pub = generate(r, refs[i])) == NULL)
                        return CF_FAIL;
                v = cf_warm_reset(r) == 0 && piv_select(r, &p) == 0 ? use_slot(r, &p, &s) : CF_FAIL;
                EVP_PKEY_free(s.pub);
                if (v != CF_PASS)
                        return v;
        }
        return CF_PASS;
}
