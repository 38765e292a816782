/* SPDX-License-Identifier: MIT */
/* The OpenPGP record of the state file (docs/state.md): passwords, counters, data objects, keys. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "apps/openpgp/openpgp.h"
#include "pkey.h"
#include "record.h"

/*
 * Format 1, integers big-endian: format; flags (01 terminated); for PW1,
 * the resetting code and PW3: limit, tries, length, value; the PW1 status
 * byte; the signature counter (3 bytes); the three key status bytes (DE);
 * the count of stored data objects, each as tag (2), occurrence (1),
 * length (2), value; the count of keys, each as key number (0 signature,
 * 1 decryption, 2 authentication), DER length (2), the private key DER.
 */
#define OPGP_STATE_FORMAT 1

static const uint16_t slot_tags[DO_NSTORED] = {
    0x005b, 0x005e, 0x5f2d, 0x5f35, 0x5f50, 0x0101, 0x0102, 0x0103, 0x0104,
    0x00c7, 0x00c8, 0x00c9, 0x00ca, 0x00cb, 0x00cc, 0x00ce, 0x00cf, 0x00d0,
    0x00c1, 0x00c2, 0x00c3, 0x7f21, 0x7f21, 0x7f21, 0x00f9,
};

int opgp_key_encode(const EVP_PKEY *key, uint8_t **der, size_t *len)
{
        uint8_t *p = NULL;
        int n = i2d_PrivateKey(key, &p);

        *der = NULL;
        *len = 0;
        if (n <= 0 || n > 0xffff) {
                OPENSSL_free(p);
                return -1;
        }
        *der = p;
        *len = (size_t)n;
        return 0;
}

void opgp_held_free(struct opgp_held *h)
{
        EVP_PKEY_free(h->key);
        if (h->der != NULL)
                OPENSSL_clear_free(h->der, h->der_len);
        *h = (struct opgp_held){NULL, NULL, 0};
}

int opgp_key_swap(struct opgp *op, enum opgp_key k, EVP_PKEY *key, struct opgp_held *old)
{
        uint8_t *der = NULL;
        size_t len = 0;

        if (key != NULL && opgp_key_encode(key, &der, &len) != 0)
                return -1;
        *old = (struct opgp_held){op->key[k], op->der[k], op->der_len[k]};
        op->key[k] = key;
        op->der[k] = der;
        op->der_len[k] = len;
        return 0;
}

void opgp_key_restore(struct opgp *op, enum opgp_key k, struct opgp_held *held)
{
        struct opgp_held now = {op->key[k], op->der[k], op->der_len[k]};

        op->key[k] = held->key;
        op->der[k] = held->der;
        op->der_len[k] = held->der_len;
        *held = (struct opgp_held){NULL, NULL, 0};
        opgp_held_free(&now);
}

/* The keys as their DER, made when each was set: a commit that changed no key encodes none. */
static void save_keys(struct wbuf *w, const struct opgp *op)
{
        size_t n = 0;

        for (size_t k = 0; k < OPGP_NKEYS; k++)
                n += op->key[k] != NULL;
        w_u8(w, (unsigned)n);
        for (size_t k = 0; k < OPGP_NKEYS; k++) {
                if (op->key[k] == NULL)
                        continue;
                if (op->der[k] == NULL) {
                        w->failed = true;
                        return;
                }
                w_u8(w, (unsigned)k);
                w_u16(w, op->der_len[k]);
                w_put(w, op->der[k], op->der_len[k]);
        }
}

int opgp_save(const void *state, uint8_t **buf, size_t *len)
{
        const struct opgp *op = state;
        const struct opgp_data *d = &op->d;
        struct wbuf w = {NULL, 0, 0, false};
        size_t n = 0;

        *buf = NULL;
        *len = 0;
        w_u8(&w, OPGP_STATE_FORMAT);
        w_u8(&w, d->terminated ? 0x01 : 0x00);
        for (size_t i = 0; i < OPGP_NPW; i++) {
                w_u8(&w, d->pw[i].limit);
                w_u8(&w, d->pw[i].tries);
                w_u8(&w, d->pw[i].len);
                w_put(&w, d->pw[i].value, d->pw[i].len);
        }
        w_u8(&w, d->pw1_status);
        w_u8(&w, (d->sig_count >> 16) & 0xff);
        w_u16(&w, d->sig_count & 0xffff);
        for (size_t k = 0; k < OPGP_NKEYS; k++)
                w_u8(&w, d->key_status[k]);
        for (size_t s = 0; s < DO_NSTORED; s++)
                n += d->len[s] > 0;
        w_u8(&w, (unsigned)n);
        for (size_t s = 0; s < DO_NSTORED; s++) {
                if (d->len[s] == 0)
                        continue;
                w_u16(&w, slot_tags[s]);
                w_u8(&w, s >= DO_CERT_AUT && s <= DO_CERT_SIG ? (unsigned)(s - DO_CERT_AUT) : 0);
                w_u16(&w, d->len[s]);
                w_put(&w, opgp_do_cbytes(d, (enum opgp_slot)s), d->len[s]);
        }
        save_keys(&w, op);
        return w_finish(&w, buf, len);
}

/* A password as the profile allows it: its retry limit, a sane counter, its length bounds. */
static int load_pw(struct rcur *r, struct opgp_pw *pw, const struct prof_openpgp *sec, size_t id)
{
        static const size_t min[OPGP_NPW] = {OPGP_PW1_MIN, OPGP_RC_MIN, OPGP_PW3_MIN};
        const uint8_t *v;

        if (r_u8(r, &pw->limit) != 0 || r_u8(r, &pw->tries) != 0 || r_u8(r, &pw->len) != 0 ||
            r_take(r, &v, pw->len) != 0)
                return -1;
        if (pw->limit != sec->retries[id] || pw->tries > pw->limit || pw->len > OPGP_PW_MAX)
                return -1;
        if (pw->len == 0 ? id != OPGP_RC || pw->tries != 0 : pw->len < min[id])
                return -1;
        memcpy(pw->value, v, pw->len);
        return 0;
}

static int load_dos(struct rcur *r, struct opgp_data *d)
{
        bool seen[DO_NSTORED] = {false};
        uint8_t n;

        if (r_u8(r, &n) != 0)
                return -1;
        for (unsigned i = 0; i < n; i++) {
                const uint8_t *v;
                size_t tag, len;
                uint8_t occ;
                int slot;
                if (r_u16(r, &tag) != 0 || r_u8(r, &occ) != 0 || r_u16(r, &len) != 0 ||
                    r_take(r, &v, len) != 0 || (slot = opgp_do_slot((uint16_t)tag)) < 0)
                        return -1;
                if (occ > (tag == 0x7f21 ? 2 : 0))
                        return -1;
                slot += occ;
                if (seen[slot] || len == 0 || !opgp_do_value_ok((uint16_t)tag, v, len))
                        return -1;
                seen[slot] = true;
                opgp_do_set(d, (enum opgp_slot)slot, v, len);
        }
        return 0;
}

static int load_keys(struct rcur *r, struct opgp *op)
{
        uint8_t n;

        if (r_u8(r, &n) != 0 || n > OPGP_NKEYS)
                return -1;
        for (unsigned i = 0; i < n; i++) {
                const uint8_t *v;
                struct opgp_alg alg;
                uint8_t k;
                size_t dlen;
                if (r_u8(r, &k) != 0 || r_u16(r, &dlen) != 0 || r_take(r, &v, dlen) != 0 ||
                    k >= OPGP_NKEYS || op->key[k] != NULL ||
                    opgp_key_alg(&op->d, (enum opgp_key)k, &alg) != 0)
                        return -1;
                op->key[k] = pkey_from_der(opgp_key_type(&alg), v, dlen);
                if (op->key[k] == NULL || !opgp_key_fits(op->key[k], &alg))
                        return -1;
                /* the bytes just decoded are the key's DER: kept, not made again */
                if ((op->der[k] = OPENSSL_malloc(dlen)) == NULL)
                        return -1;
                memcpy(op->der[k], v, dlen);
                op->der_len[k] = dlen;
        }
        return 0;
}

/* Everything must hang together: attributes every key fits, a status byte for each key. */
static int check_loaded(const struct opgp *op)
{
        for (size_t k = 0; k < OPGP_NKEYS; k++) {
                struct opgp_alg alg;
                uint8_t st = op->d.key_status[k];
                if (opgp_key_alg(&op->d, (enum opgp_key)k, &alg) != 0)
                        return -1;
                if (st > KEY_IMPORTED || (st == KEY_ABSENT) != (op->key[k] == NULL))
                        return -1;
        }
        return 0;
}

int opgp_load(struct scsim_card *card, const struct prof_app *use, const uint8_t *buf, size_t len,
              void **state)
{
        struct opgp *op = calloc(1, sizeof(*op));
        struct rcur r = {buf, len};
        uint8_t fmt, flags, b[3];
        int ok = -1;

        (void)card;
        if (op == NULL)
                return -1;
        op->sec = use->section;
        if (r_u8(&r, &fmt) != 0 || fmt != OPGP_STATE_FORMAT || r_u8(&r, &flags) != 0 ||
            (flags & ~0x01u) != 0)
                goto fail;
        op->d.terminated = (flags & 0x01) != 0;
        for (size_t i = 0; i < OPGP_NPW; i++)
                if (load_pw(&r, &op->d.pw[i], op->sec, i) != 0)
                        goto fail;
        if (r_u8(&r, &op->d.pw1_status) != 0 || op->d.pw1_status > 0x01 || r_u8(&r, &b[0]) != 0 ||
            r_u8(&r, &b[1]) != 0 || r_u8(&r, &b[2]) != 0)
                goto fail;
        op->d.sig_count = (uint32_t)b[0] << 16 | (uint32_t)b[1] << 8 | b[2];
        for (size_t k = 0; k < OPGP_NKEYS; k++)
                if (r_u8(&r, &op->d.key_status[k]) != 0)
                        goto fail;
        if (load_dos(&r, &op->d) != 0 || load_keys(&r, op) != 0 || r.left != 0 ||
            check_loaded(op) != 0)
                goto fail;
        *state = op;
        op = NULL;
        ok = 0;
fail:
        if (op != NULL) {
                opgp_free_contents(op);
                free(op);
        }
        return ok;
}
