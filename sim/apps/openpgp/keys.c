/* SPDX-License-Identifier: MIT */
/*
 * OpenPGP key pairs and what they do: GENERATE ASYMMETRIC KEY PAIR, key
 * import (PUT DATA with the extended header list), algorithm attributes,
 * PSO: COMPUTE DIGITAL SIGNATURE, PSO: DECIPHER, INTERNAL AUTHENTICATE
 * and GET CHALLENGE.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "apps/openpgp/openpgp.h"
#include "tlv.h"

#define SIG_COUNT_MAX 0xffffff /* DO 93 has three bytes */

/* Data a command computed is not sent with an error status word. */
static uint16_t fail(struct cmd *c, uint16_t sw)
{
        OPENSSL_cleanse(c->out->p, c->out->len);
        c->out->len = 0;
        return sw;
}

/*
 * A control reference template: B6 (signature), B8 (decryption) or A4
 * (authentication), empty or with the key reference 84 01 01..03 (4.4.3.12).
 */
static int crt_key(const uint8_t **p, size_t *left)
{
        static const uint8_t crts[OPGP_NKEYS] = {0xb6, 0xb8, 0xa4};
        const uint8_t *v;
        size_t len;
        uint32_t tag;

        if (tlv_next(p, left, &tag, &v, &len) != 0)
                return -1;
        for (int k = 0; k < OPGP_NKEYS; k++) {
                if (tag != crts[k])
                        continue;
                if (len == 0 || (len == 3 && v[0] == 0x84 && v[1] == 0x01 && v[2] == k + 1))
                        return k;
        }
        return -1;
}

/*
 * Put a new key (owned from here on) in place of key k and make it
 * durable; if the state cannot be written the old key stays (6581).
 * before is the durable data as it was when the command started.
 */
static uint16_t install_key(struct cmd *c, enum opgp_key k, EVP_PKEY *key, uint8_t status,
                            const struct opgp_data *before)
{
        struct opgp *op = opgp_of(c);
        struct opgp_held old;

        if (opgp_key_swap(op, k, key, &old) != 0) {
                EVP_PKEY_free(key);
                return SW_MEMORY_FAILURE;
        }
        op->d.key_status[k] = status;
        /* 4.4.3.9: a new signature key starts counting from zero */
        if (k == OPGP_SIG)
                op->d.sig_count = 0;
        if (opgp_commit(c, before) != SW_OK) {
                opgp_key_restore(op, k, &old);
                return SW_MEMORY_FAILURE;
        }
        opgp_held_free(&old);
        return SW_OK;
}

/* 7.2.14: P1 80 generates (PW3), P1 81 reads the public key (always). */
uint16_t opgp_generate_pair(struct cmd *c)
{
        const struct apdu *a = c->apdu;
        struct opgp *op = opgp_of(c);
        const uint8_t *p = a->data;
        size_t left = a->nc, mark;
        struct opgp_alg alg;
        struct opgp_data before;
        EVP_PKEY *key;
        uint16_t sw;
        int k;

        if (opgp_terminated(c))
                return SW_CONDITIONS;
        if ((a->p1 != 0x80 && a->p1 != 0x81) || a->p2 != 0x00)
                return SW_WRONG_P1P2;
        if (a->nc == 0)
                return SW_WRONG_LENGTH;
        if ((k = crt_key(&p, &left)) < 0 || left != 0)
                return SW_WRONG_DATA;
        if (opgp_key_alg(&op->d, (enum opgp_key)k, &alg) != 0)
                return SW_REF_DATA_UNUSABLE;
        if (a->p1 == 0x81) {
                if (op->key[k] == NULL)
                        return SW_REF_NOT_FOUND;
                key = op->key[k];
        } else {
                if (!op->ch[c->chno].pw3)
                        return SW_SECURITY_STATUS;
                if ((key = opgp_generate(&alg)) == NULL)
                        return SW_MEMORY_FAILURE;
        }
        if (!tlv_open(c->out, 0x7f49, &mark) || !pkey_put_public(c->out, key) ||
            !tlv_close(c->out, mark)) {
                if (key != op->key[k])
                        EVP_PKEY_free(key);
                return fail(c, SW_MEMORY_FAILURE);
        }
        if (a->p1 == 0x81)
                return SW_OK;
        before = op->d;
        sw = install_key(c, (enum opgp_key)k, key, KEY_GENERATED, &before);
        OPENSSL_cleanse(&before, sizeof(before));
        return sw == SW_OK ? SW_OK : fail(c, sw);
}

/* One entry of the cardholder private key template 7F48: a tag and a length, no value. */
static int header_entry(const uint8_t **p, size_t *left, uint8_t *tag, size_t *len)
{
        const uint8_t *q = *p;
        size_t n = *left;

        if (n < 2)
                return -1;
        *tag = q[0];
        if (q[1] < 0x80) {
                *len = q[1];
                q += 2;
                n -= 2;
        } else if (q[1] == 0x81 && n >= 3) {
                *len = q[2];
                q += 3;
                n -= 3;
        } else if (q[1] == 0x82 && n >= 4) {
                *len = (size_t)(q[2] << 8 | q[3]);
                q += 4;
                n -= 4;
        } else {
                return -1;
        }
        *p = q;
        *left = n;
        return 0;
}

/* The parts 91..99 of a private key: where each lies in the 5F48 data. */
struct key_parts {
        const uint8_t *v[9];
        size_t len[9];
};

static int split_parts(const uint8_t *hdr, size_t hdr_len, const uint8_t *data, size_t data_len,
                       struct key_parts *kp)
{
        size_t off = 0;

        memset(kp, 0, sizeof(*kp));
        while (hdr_len > 0) {
                uint8_t tag;
                size_t len;
                if (header_entry(&hdr, &hdr_len, &tag, &len) != 0 || tag < 0x91 || tag > 0x99 ||
                    kp->v[tag - 0x91] != NULL || len > data_len - off)
                        return -1;
                kp->v[tag - 0x91] = data + off;
                kp->len[tag - 0x91] = len;
                off += len;
        }
        return off == data_len ? 0 : -1;
}

/* The key the template's parts make for algorithm alg: 91 e, 92 p, 93 q, 94 1/q mod p, 95 dp,
 * 96 dq, 97 n for RSA; 92 the private scalar and 99 the public key for ECC. */
static EVP_PKEY *key_from_parts(const struct opgp_alg *alg, const struct key_parts *kp)
{
        struct pkey_rsa_parts r;

        if (alg->algo != OPGP_ALGO_RSA)
                return kp->v[1] == NULL || kp->v[0] != NULL || kp->v[2] != NULL
                           ? NULL
                           : opgp_import_ec(alg, kp->v[1], kp->len[1], kp->v[8], kp->len[8]);
        if (kp->v[8] != NULL)
                return NULL;
        r.e = kp->v[0], r.e_len = kp->len[0];
        r.p = kp->v[1], r.p_len = kp->len[1];
        r.q = kp->v[2], r.q_len = kp->len[2];
        r.qinv = kp->v[3], r.qinv_len = kp->len[3];
        r.dp = kp->v[4], r.dp_len = kp->len[4];
        r.dq = kp->v[5], r.dq_len = kp->len[5];
        r.n = kp->v[6], r.n_len = kp->len[6];
        return opgp_import_rsa(alg, &r);
}

/*
 * 4.4.3.12: 4D { CRT, 7F48 { tag length ... }, 5F48 { the values, in that
 * order } }. The key must be the kind the algorithm attributes say and
 * its parts must belong together, or 6A80.
 */
uint16_t opgp_import_key(struct cmd *c, const uint8_t *v, size_t len)
{
        struct opgp *op = opgp_of(c);
        const uint8_t *p = v, *body, *hdr, *data;
        size_t left = len, body_len, hdr_len, data_len;
        uint32_t tag;
        struct key_parts kp;
        struct opgp_alg alg;
        struct opgp_data before;
        EVP_PKEY *key;
        uint16_t sw;
        int k;

        if (len == 0)
                return SW_WRONG_LENGTH;
        if (tlv_next(&p, &left, &tag, &body, &body_len) != 0 || tag != 0x4d || left != 0)
                return SW_WRONG_DATA;
        p = body;
        left = body_len;
        if ((k = crt_key(&p, &left)) < 0 || tlv_next(&p, &left, &tag, &hdr, &hdr_len) != 0 ||
            tag != 0x7f48 || tlv_next(&p, &left, &tag, &data, &data_len) != 0 || tag != 0x5f48 ||
            left != 0)
                return SW_WRONG_DATA;
        if (split_parts(hdr, hdr_len, data, data_len, &kp) != 0)
                return SW_WRONG_DATA;
        if (opgp_key_alg(&op->d, (enum opgp_key)k, &alg) != 0)
                return SW_REF_DATA_UNUSABLE;
        if ((key = key_from_parts(&alg, &kp)) == NULL)
                return SW_WRONG_DATA;
        before = op->d;
        sw = install_key(c, (enum opgp_key)k, key, KEY_IMPORTED, &before);
        OPENSSL_cleanse(&before, sizeof(before));
        return sw;
}

/*
 * PUT DATA C1..C3 (4.4.3.10): attributes the card supports for that key,
 * or 6A80. A key that no longer fits them is deleted.
 */
uint16_t opgp_put_attributes(struct cmd *c, enum opgp_key k, const uint8_t *v, size_t len)
{
        struct opgp *op = opgp_of(c);
        struct opgp_alg alg;
        struct opgp_data before;
        struct opgp_held old = {NULL, NULL, 0};
        bool drop;
        uint16_t sw;

        if (len == 0 || len > OPGP_ATTR_MAX)
                return SW_WRONG_LENGTH;
        if (opgp_alg_parse(v, len, k, &alg) != 0)
                return SW_WRONG_DATA;
        before = op->d;
        opgp_do_set(&op->d, (enum opgp_slot)(DO_ATTR_SIG + k), v, len);
        drop = op->key[k] != NULL && !opgp_key_fits(op->key[k], &alg);
        /* the key leaves before the commit: the record must not keep a key its status denies */
        if (drop) {
                (void)opgp_key_swap(op, k, NULL, &old); /* without a key nothing is encoded */
                op->d.key_status[k] = KEY_ABSENT;
        }
        sw = opgp_commit(c, &before);
        if (drop && sw == SW_OK)
                opgp_held_free(&old);
        else if (drop)
                opgp_key_restore(op, k, &old);
        OPENSSL_cleanse(&before, sizeof(before));
        return sw;
}

/* The key k and its algorithm for a private-key operation; 0 or a status word. */
static uint16_t usable_key(struct cmd *c, enum opgp_key k, struct opgp_alg *alg)
{
        struct opgp *op = opgp_of(c);

        if (op->key[k] == NULL)
                return SW_REF_NOT_FOUND;
        if (opgp_key_alg(&op->d, k, alg) != 0 || !opgp_key_fits(op->key[k], alg))
                return SW_REF_DATA_UNUSABLE;
        if (c->apdu->nc == 0)
                return SW_WRONG_LENGTH;
        return 0;
}

/* 7.2.10 and 7.2.13: an RSA DigestInfo may take at most 40 % of the modulus. */
static bool rsa_input_ok(const struct opgp_alg *alg, size_t n)
{
        return alg->algo != OPGP_ALGO_RSA || n <= alg->rsa_bits / 8 * 40 / 100;
}

/*
 * 7.2.10 PSO: COMPUTE DIGITAL SIGNATURE. PW1 (81) is spent by the command
 * when DO C4's first byte is 00 (valid for one signature). The counter
 * is durable before the signature leaves the card.
 */
static uint16_t compute_signature(struct cmd *c)
{
        struct opgp *op = opgp_of(c);
        struct opgp_chan *ch = &op->ch[c->chno];
        uint8_t sig[OPGP_OP_MAX];
        size_t n = 0;
        struct opgp_alg alg;
        struct opgp_data before;
        uint16_t sw;

        if (!ch->pw1_cds)
                return SW_SECURITY_STATUS;
        if ((sw = usable_key(c, OPGP_SIG, &alg)) != 0)
                return sw;
        if (op->d.pw1_status == 0x00)
                ch->pw1_cds = false;
        if (!rsa_input_ok(&alg, c->apdu->nc))
                return SW_WRONG_LENGTH;
        if (opgp_sign(op->key[OPGP_SIG], &alg, c->apdu->data, c->apdu->nc, sig, &n, sizeof(sig)) !=
            0)
                return SW_WRONG_DATA;
        before = op->d;
        if (op->d.sig_count < SIG_COUNT_MAX)
                op->d.sig_count++;
        sw = opgp_commit(c, &before);
        OPENSSL_cleanse(&before, sizeof(before));
        if (sw == SW_OK && !rbuf_put(c->out, sig, n))
                sw = SW_MEMORY_FAILURE;
        return sw;
}

/* ECDH's cipher DO: A6 { 7F49 { 86 the other party's public key } } (7.2.11). */
static int ecdh_point(const uint8_t *v, size_t len, const uint8_t **point, size_t *plen)
{
        const uint8_t *p = v, *in, *pk;
        size_t left = len, in_len, pk_len;
        uint32_t tag;

        if (tlv_next(&p, &left, &tag, &in, &in_len) != 0 || tag != 0xa6 || left != 0)
                return -1;
        p = in;
        left = in_len;
        if (tlv_next(&p, &left, &tag, &pk, &pk_len) != 0 || tag != 0x7f49 || left != 0)
                return -1;
        p = pk;
        left = pk_len;
        if (tlv_next(&p, &left, &tag, point, plen) != 0 || tag != 0x86 || left != 0)
                return -1;
        return 0;
}

/*
 * 7.2.11 PSO: DECIPHER with PW1 (82): RSA (padding indicator 00, then the
 * cryptogram) or ECDH, with the decryption key or the one MSE chose.
 */
static uint16_t decipher(struct cmd *c)
{
        struct opgp *op = opgp_of(c);
        const struct apdu *a = c->apdu;
        enum opgp_key k = op->ch[c->chno].dec_uses_aut ? OPGP_AUT : OPGP_DEC;
        uint8_t plain[OPGP_OP_MAX];
        const uint8_t *point;
        size_t n = 0, plen;
        struct opgp_alg alg;
        uint16_t sw;
        int rc;

        if (!op->ch[c->chno].pw1_other)
                return SW_SECURITY_STATUS;
        if ((sw = usable_key(c, k, &alg)) != 0)
                return sw;
        if (alg.algo == OPGP_ALGO_RSA)
                rc = a->data[0] != 0x00 ? -1
                                        : opgp_rsa_decrypt(op->key[k], a->data + 1, a->nc - 1,
                                                           plain, &n, sizeof(plain));
        else if (ecdh_point(a->data, a->nc, &point, &plen) != 0)
                rc = -1;
        else
                rc = opgp_ecdh(op->key[k], &alg, point, plen, plain, &n, sizeof(plain));
        sw = rc == 0 ? (rbuf_put(c->out, plain, n) ? SW_OK : SW_MEMORY_FAILURE) : SW_WRONG_DATA;
        OPENSSL_cleanse(plain, sizeof(plain));
        return sw;
}

uint16_t opgp_pso(struct cmd *c)
{
        uint16_t p1p2 = (uint16_t)(c->apdu->p1 << 8 | c->apdu->p2);

        if (opgp_terminated(c))
                return SW_CONDITIONS;
        if (p1p2 == 0x9e9a)
                return compute_signature(c);
        if (p1p2 == 0x8086)
                return decipher(c);
        return SW_WRONG_P1P2;
}

/* 7.2.13 INTERNAL AUTHENTICATE after PW1 (82), with the authentication key or the one MSE chose. */
uint16_t opgp_internal_authenticate(struct cmd *c)
{
        struct opgp *op = opgp_of(c);
        enum opgp_key k = op->ch[c->chno].auth_uses_dec ? OPGP_DEC : OPGP_AUT;
        uint8_t sig[OPGP_OP_MAX];
        size_t n = 0;
        struct opgp_alg alg;
        uint16_t sw;

        if (opgp_terminated(c))
                return SW_CONDITIONS;
        if (c->apdu->p1 != 0x00 || c->apdu->p2 != 0x00)
                return SW_WRONG_P1P2;
        if (!op->ch[c->chno].pw1_other)
                return SW_SECURITY_STATUS;
        if ((sw = usable_key(c, k, &alg)) != 0)
                return sw;
        if (!rsa_input_ok(&alg, c->apdu->nc))
                return SW_WRONG_LENGTH;
        if (opgp_sign(op->key[k], &alg, c->apdu->data, c->apdu->nc, sig, &n, sizeof(sig)) != 0)
                return SW_WRONG_DATA;
        return rbuf_put(c->out, sig, n) ? SW_OK : SW_MEMORY_FAILURE;
}

/* 7.2.15 GET CHALLENGE: Le random bytes, up to what DO C0 announces. */
uint16_t opgp_get_challenge(struct cmd *c)
{
        const struct apdu *a = c->apdu;
        uint8_t buf[OPGP_CHALLENGE_MAX];
        uint16_t sw;

        if (opgp_terminated(c))
                return SW_CONDITIONS;
        if (a->p1 != 0x00 || a->p2 != 0x00)
                return SW_WRONG_P1P2;
        if (a->nc != 0 || a->ne == 0 || a->ne > OPGP_CHALLENGE_MAX)
                return SW_WRONG_LENGTH;
        if (rng_bytes(&c->card->rng, buf, a->ne) != 0)
                return SW_MEMORY_FAILURE;
        sw = rbuf_put(c->out, buf, a->ne) ? SW_OK : SW_MEMORY_FAILURE;
        OPENSSL_cleanse(buf, sizeof(buf));
        return sw;
}

/*
 * 7.2.18 MANAGE SECURITY ENVIRONMENT 00 22 41 B8|A4, 83 01 02|03: which key
 * PSO: DECIPHER (B8) and INTERNAL AUTHENTICATE (A4) use, keys 2 and 3 only.
 * The choice lasts until the channel's security status is cleared.
 */
uint16_t opgp_manage_security_environment(struct cmd *c)
{
        const struct apdu *a = c->apdu;
        struct opgp_chan *ch = &opgp_of(c)->ch[c->chno];

        if (opgp_terminated(c))
                return SW_CONDITIONS;
        if (a->p1 != 0x41 || (a->p2 != 0xb8 && a->p2 != 0xa4))
                return SW_WRONG_P1P2;
        if (a->nc != 3)
                return SW_WRONG_LENGTH;
        if (a->data[0] != 0x83 || a->data[1] != 0x01 || (a->data[2] != 0x02 && a->data[2] != 0x03))
                return SW_WRONG_DATA;
        if (a->p2 == 0xb8)
                ch->dec_uses_aut = a->data[2] == 0x03;
        else
                ch->auth_uses_dec = a->data[2] == 0x02;
        return SW_OK;
}
