/* SPDX-License-Identifier: MIT */
/*
 * OpenPGP data objects (4.4): the stored ones as PUT DATA writes them, the
 * constructed ones (6E, 65, 7A, FA ...) as GET DATA builds them from the
 * state, SELECT DATA and GET NEXT DATA for the cardholder certificates.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "apps/openpgp/openpgp.h"
#include "tlv.h"

/* Stored data objects: tag and capacity, in enum opgp_slot's order. */
static const struct {
        uint16_t tag;
        uint16_t cap;
} store[DO_NSTORED] = {
    {0x005b, 39},
    {0x005e, OPGP_SPECIAL_MAX},
    {0x5f2d, 8},
    {0x5f35, 1},
    {0x5f50, OPGP_SPECIAL_MAX},
    {0x0101, OPGP_SPECIAL_MAX},
    {0x0102, OPGP_SPECIAL_MAX},
    {0x0103, OPGP_SPECIAL_MAX},
    {0x0104, OPGP_SPECIAL_MAX},
    {0x00c7, 20},
    {0x00c8, 20},
    {0x00c9, 20},
    {0x00ca, 20},
    {0x00cb, 20},
    {0x00cc, 20},
    {0x00ce, 4},
    {0x00cf, 4},
    {0x00d0, 4},
    {0x00c1, OPGP_ATTR_MAX},
    {0x00c2, OPGP_ATTR_MAX},
    {0x00c3, OPGP_ATTR_MAX},
    {0x7f21, OPGP_CERT_MAX},
    {0x7f21, OPGP_CERT_MAX},
    {0x7f21, OPGP_CERT_MAX},
    {0x00f9, OPGP_SPECIAL_MAX},
};

static size_t store_off(enum opgp_slot s)
{
        size_t off = 0;

        for (size_t i = 0; i < (size_t)s; i++)
                off += store[i].cap;
        return off;
}

uint8_t *opgp_do_bytes(struct opgp_data *d, enum opgp_slot s)
{
        return d->bytes + store_off(s);
}

const uint8_t *opgp_do_cbytes(const struct opgp_data *d, enum opgp_slot s)
{
        return d->bytes + store_off(s);
}

size_t opgp_do_cap(enum opgp_slot s)
{
        return store[s].cap;
}

void opgp_do_set(struct opgp_data *d, enum opgp_slot s, const uint8_t *v, size_t len)
{
        uint8_t *at = opgp_do_bytes(d, s);

        OPENSSL_cleanse(at, store[s].cap);
        if (len > 0)
                memcpy(at, v, len);
        d->len[s] = (uint16_t)len;
}

int opgp_do_slot(uint16_t tag)
{
        for (size_t i = 0; i < DO_NSTORED; i++)
                if (store[i].tag == tag)
                        return (int)i;
        return -1;
}

bool opgp_do_value_ok(uint16_t tag, const uint8_t *v, size_t len)
{
        int slot = opgp_do_slot(tag);

        if (slot < 0 || len > store[slot].cap)
                return false;
        switch (tag) {
        case 0x5f35: /* 4.4.3.5: salutation per ISO 5218: unknown, male, female, not announced */
                return len == 0 ||
                       (len == 1 && (v[0] == '0' || v[0] == '1' || v[0] == '2' || v[0] == '9'));
        case 0x00c7:
        case 0x00c8:
        case 0x00c9:
        case 0x00ca:
        case 0x00cb:
        case 0x00cc:
                return len == 0 || len == 20;
        case 0x00ce:
        case 0x00cf:
        case 0x00d0:
                return len == 0 || len == 4;
        default:
                return true;
        }
}

int opgp_key_alg(const struct opgp_data *d, enum opgp_key k, struct opgp_alg *alg)
{
        enum opgp_slot s = (enum opgp_slot)(DO_ATTR_SIG + k);

        return opgp_alg_parse(opgp_do_cbytes(d, s), d->len[s], k, alg);
}

/* Constructed and computed data objects -------------------------------------------------- */

static bool put_slot(struct rbuf *r, const struct opgp_data *d, enum opgp_slot s)
{
        return tlv_put(r, store[s].tag, opgp_do_cbytes(d, s), d->len[s]);
}

/* Three stored DOs of fixed size back to back, zeros for the empty ones (C5, C6, CD). */
static bool put_triple(struct rbuf *r, const struct opgp_data *d, uint32_t tag,
                       enum opgp_slot first, size_t each)
{
        uint8_t v[3 * 20] = {0};

        for (size_t i = 0; i < 3; i++)
                if (d->len[first + i] == each)
                        memcpy(v + i * each, opgp_do_cbytes(d, first + (enum opgp_slot)i), each);
        return tlv_put(r, tag, v, 3 * each);
}

/* The ATR's historical bytes (the profile's ATR was checked when it was loaded). */
size_t opgp_historical_bytes(const scsim_profile *p, const uint8_t **out)
{
        size_t i = 2, k;
        uint8_t y;

        if (p->atr_len < 2)
                return 0;
        k = p->atr[1] & 0x0f;
        y = p->atr[1] >> 4;
        while (y != 0 && i <= p->atr_len) {
                bool td = (y & 0x8) != 0;
                i += (size_t)((y & 1) + ((y >> 1) & 1) + ((y >> 2) & 1));
                y = 0;
                if (td && i < p->atr_len)
                        y = p->atr[i++] >> 4;
        }
        if (i + k > p->atr_len)
                return 0;
        *out = p->atr + i;
        return k;
}

static bool put_aid(struct rbuf *r, const struct cmd *c)
{
        uint8_t aid[PROF_AID_MAX];
        size_t len = app_openpgp.df_name(c->card, c->app, aid);

        return tlv_put(r, 0x4f, aid, len);
}

static bool put_hist(struct rbuf *r, const struct cmd *c)
{
        const uint8_t *h = NULL;
        size_t n = opgp_historical_bytes(c->card->prof, &h);

        return tlv_put(r, 0x5f52, h, n);
}

/* 4.1.3.1: the largest command and response data this card takes and gives. */
static bool put_ext_len(struct rbuf *r)
{
        static const uint8_t v[] = {0x02, 0x02, OPGP_APDU_MAX >> 8, OPGP_APDU_MAX & 0xff,
                                    0x02, 0x02, OPGP_APDU_MAX >> 8, OPGP_APDU_MAX & 0xff};

        return tlv_put(r, 0x7f66, v, sizeof(v));
}

/*
 * 4.4.3.7: GET CHALLENGE, key import, PW status changeable, private DOs,
 * algorithm attributes changeable, KDF-DO, MANAGE SECURITY ENVIRONMENT;
 * no secure messaging, no AES, no PIN block 2.
 */
static bool put_ext_caps(struct rbuf *r)
{
        static const uint8_t v[] = {
            0x7d,
            0x00,
            OPGP_CHALLENGE_MAX >> 8,
            OPGP_CHALLENGE_MAX & 0xff,
            OPGP_CERT_MAX >> 8,
            OPGP_CERT_MAX & 0xff,
            OPGP_SPECIAL_MAX >> 8,
            OPGP_SPECIAL_MAX & 0xff,
            0x00,
            0x01,
        };

        return tlv_put(r, 0xc0, v, sizeof(v));
}

/* 4.4.3.8 (C4): PW1 status, maximum lengths (UTF-8 format), then the three retry counters. */
static bool put_pw_status(struct rbuf *r, const struct opgp_data *d)
{
        uint8_t v[7] = {d->pw1_status,        OPGP_PW_MAX,           OPGP_PW_MAX,
                        OPGP_PW_MAX,          d->pw[OPGP_PW1].tries, d->pw[OPGP_RC].tries,
                        d->pw[OPGP_PW3].tries};

        return tlv_put(r, 0xc4, v, sizeof(v));
}

static bool put_key_info(struct rbuf *r, const struct opgp_data *d)
{
        uint8_t v[6] = {0x01, d->key_status[0], 0x02, d->key_status[1], 0x03, d->key_status[2]};

        return tlv_put(r, 0xde, v, sizeof(v));
}

static bool put_discretionary(struct rbuf *r, const struct opgp_data *d)
{
        size_t mark;

        return tlv_open(r, 0x73, &mark) && put_ext_caps(r) && put_slot(r, d, DO_ATTR_SIG) &&
               put_slot(r, d, DO_ATTR_DEC) && put_slot(r, d, DO_ATTR_AUT) && put_pw_status(r, d) &&
               put_triple(r, d, 0xc5, DO_FPR_SIG, 20) && put_triple(r, d, 0xc6, DO_CAFPR_1, 20) &&
               put_triple(r, d, 0xcd, DO_TIME_SIG, 4) && put_key_info(r, d) && tlv_close(r, mark);
}

static bool put_app_related(struct rbuf *r, const struct cmd *c, const struct opgp_data *d)
{
        size_t mark;

        return tlv_open(r, 0x6e, &mark) && put_aid(r, c) && put_hist(r, c) && put_ext_len(r) &&
               put_discretionary(r, d) && tlv_close(r, mark);
}

static bool put_cardholder(struct rbuf *r, const struct opgp_data *d)
{
        size_t mark;

        return tlv_open(r, 0x65, &mark) && put_slot(r, d, DO_NAME) && put_slot(r, d, DO_LANG) &&
               put_slot(r, d, DO_SEX) && tlv_close(r, mark);
}

static bool put_sig_counter(struct rbuf *r, const struct opgp_data *d)
{
        uint8_t v[3] = {(uint8_t)(d->sig_count >> 16), (uint8_t)(d->sig_count >> 8),
                        (uint8_t)d->sig_count};

        return tlv_put(r, 0x93, v, sizeof(v));
}

/* 4.4.3.11: every algorithm attribute the card takes, per key. */
static bool put_algorithm_info(struct rbuf *r)
{
        static const char *const rsa[] = {"rsa2048", "rsa3072", "rsa4096"};
        size_t mark;

        if (!tlv_open(r, 0xfa, &mark))
                return false;
        for (size_t k = 0; k < OPGP_NKEYS; k++) {
                uint8_t attr[OPGP_ATTR_MAX];
                size_t len = 0;
                for (size_t i = 0; i < 3; i++)
                        if (opgp_alg_from_name(rsa[i], strlen(rsa[i]), (enum opgp_key)k, attr,
                                               &len) == 0 &&
                            !tlv_put(r, 0xc1 + (uint32_t)k, attr, len))
                                return false;
                for (size_t i = 0; opgp_curve_at(i) != NULL; i++) {
                        const char *name = opgp_curve_at(i)->name;
                        if (opgp_alg_from_name(name, strlen(name), (enum opgp_key)k, attr, &len) ==
                                0 &&
                            !tlv_put(r, 0xc1 + (uint32_t)k, attr, len))
                                return false;
                }
        }
        return tlv_close(r, mark);
}

/* The value of a simple DO built into a scratch buffer: the TLV without its header. */
static uint16_t answer_value(struct cmd *c, bool (*put)(struct rbuf *, const struct opgp_data *))
{
        uint8_t buf[128];
        struct rbuf r = {buf, sizeof(buf), 0, false};
        const uint8_t *v;
        size_t vlen;
        uint32_t tag;
        const uint8_t *p = buf;
        size_t left;

        if (!put(&r, &opgp_of(c)->d))
                return SW_MEMORY_FAILURE;
        left = r.len;
        if (tlv_next(&p, &left, &tag, &v, &vlen) != 0)
                return SW_MEMORY_FAILURE;
        return rbuf_put(c->out, v, vlen) ? SW_OK : SW_MEMORY_FAILURE;
}

static bool put_ext_caps_d(struct rbuf *r, const struct opgp_data *d)
{
        (void)d;
        return put_ext_caps(r);
}

static bool put_fprs(struct rbuf *r, const struct opgp_data *d)
{
        return put_triple(r, d, 0xc5, DO_FPR_SIG, 20);
}

static bool put_ca_fprs(struct rbuf *r, const struct opgp_data *d)
{
        return put_triple(r, d, 0xc6, DO_CAFPR_1, 20);
}

static bool put_times(struct rbuf *r, const struct opgp_data *d)
{
        return put_triple(r, d, 0xcd, DO_TIME_SIG, 4);
}

/* GET DATA of the DOs GET DATA does not read as stored (4.4.1). 0: no such DO. */
static uint16_t get_built(struct cmd *c, uint16_t tag)
{
        const struct opgp_data *d = &opgp_of(c)->d;
        bool ok;

        switch (tag) {
        case 0x004f: {
                uint8_t aid[PROF_AID_MAX];
                size_t len = app_openpgp.df_name(c->card, c->app, aid);
                return rbuf_put(c->out, aid, len) ? SW_OK : SW_MEMORY_FAILURE;
        }
        case 0x5f52: {
                const uint8_t *h = NULL;
                size_t n = opgp_historical_bytes(c->card->prof, &h);
                return rbuf_put(c->out, h, n) ? SW_OK : SW_MEMORY_FAILURE;
        }
        case 0x00c0:
                return answer_value(c, put_ext_caps_d);
        case 0x00c4:
                return answer_value(c, put_pw_status);
        case 0x00c5:
                return answer_value(c, put_fprs);
        case 0x00c6:
                return answer_value(c, put_ca_fprs);
        case 0x00cd:
                return answer_value(c, put_times);
        case 0x00de:
                return answer_value(c, put_key_info);
        case 0x0093:
                return answer_value(c, put_sig_counter);
        case 0x006e:
                ok = put_app_related(c->out, c, d);
                break;
        case 0x0073:
                ok = put_discretionary(c->out, d);
                break;
        case 0x0065:
                ok = put_cardholder(c->out, d);
                break;
        case 0x007a: {
                size_t mark;
                ok = tlv_open(c->out, 0x7a, &mark) && put_sig_counter(c->out, d) &&
                     tlv_close(c->out, mark);
                break;
        }
        case 0x7f66:
                ok = put_ext_len(c->out);
                break;
        case 0x00fa:
                ok = put_algorithm_info(c->out);
                break;
        default:
                return 0;
        }
        return ok ? SW_OK : SW_MEMORY_FAILURE;
}

/* Who may read a stored DO: private DO 3 needs PW1 (82), 4 needs PW3; fingerprints come in C5. */
static enum opgp_access get_access(uint16_t tag)
{
        switch (tag) {
        case 0x0103:
                return ACC_PW1;
        case 0x0104:
                return ACC_PW3;
        case 0x00c7:
        case 0x00c8:
        case 0x00c9:
        case 0x00ca:
        case 0x00cb:
        case 0x00cc:
        case 0x00ce:
        case 0x00cf:
        case 0x00d0:
                return ACC_NEVER;
        default:
                return ACC_ALWAYS;
        }
}

static enum opgp_slot cert_slot(const struct cmd *c)
{
        return (enum opgp_slot)(DO_CERT_AUT + opgp_of(c)->ch[c->chno].occurrence);
}

uint16_t opgp_get_data(struct cmd *c)
{
        const struct opgp_data *d = &opgp_of(c)->d;
        uint16_t tag = (uint16_t)(c->apdu->p1 << 8 | c->apdu->p2), sw;
        enum opgp_access acc;
        int slot;

        if (opgp_terminated(c))
                return SW_CONDITIONS;
        if (c->apdu->nc != 0)
                return SW_WRONG_LENGTH;
        if ((sw = get_built(c, tag)) != 0)
                return sw;
        if ((slot = opgp_do_slot(tag)) < 0 || (acc = get_access(tag)) == ACC_NEVER)
                return SW_REF_NOT_FOUND;
        if (!opgp_access_ok(c, acc))
                return SW_SECURITY_STATUS;
        if (tag == 0x7f21)
                slot = (int)cert_slot(c);
        return rbuf_put(c->out, opgp_do_cbytes(d, (enum opgp_slot)slot), d->len[slot])
                   ? SW_OK
                   : SW_MEMORY_FAILURE;
}

/* PUT DATA ------------------------------------------------------------------------------- */

/* 4.4.1: private DOs 1 and 3 take PW1 (82); everything else writable takes PW3. */
static enum opgp_access put_access(uint16_t tag)
{
        switch (tag) {
        case 0x0101:
        case 0x0103:
                return ACC_PW1;
        case 0x00c4:
        case 0x00d3:
                return ACC_PW3;
        default:
                return opgp_do_slot(tag) >= 0 ? ACC_PW3 : ACC_NEVER;
        }
}

static uint16_t store_value(struct cmd *c, enum opgp_slot s, const uint8_t *v, size_t len)
{
        struct opgp *op = opgp_of(c);
        struct opgp_data before = op->d;
        uint16_t sw;

        opgp_do_set(&op->d, s, v, len);
        sw = opgp_commit(c, &before);
        OPENSSL_cleanse(&before, sizeof(before));
        return sw;
}

/* C4: only the first byte, the PW1 status, can change (4.4.3.8). */
static uint16_t put_pw1_status(struct cmd *c, const uint8_t *v, size_t len)
{
        struct opgp *op = opgp_of(c);
        struct opgp_data before;
        uint16_t sw;

        if (len != 1)
                return SW_WRONG_LENGTH;
        if (v[0] > 0x01)
                return SW_WRONG_DATA;
        before = op->d;
        op->d.pw1_status = v[0];
        sw = opgp_commit(c, &before);
        OPENSSL_cleanse(&before, sizeof(before));
        return sw;
}

uint16_t opgp_put_data(struct cmd *c)
{
        const struct apdu *a = c->apdu;
        uint16_t tag = (uint16_t)(a->p1 << 8 | a->p2);
        enum opgp_access acc;
        int slot;

        if (opgp_terminated(c))
                return SW_CONDITIONS;
        if (a->ins == 0xdb) { /* odd: 3FFF and the extended header list (4.4.3.12) */
                if (tag != 0x3fff)
                        return SW_WRONG_P1P2;
                if (!opgp_access_ok(c, ACC_PW3))
                        return SW_SECURITY_STATUS;
                return opgp_import_key(c, a->data, a->nc);
        }
        if ((acc = put_access(tag)) == ACC_NEVER)
                return SW_REF_NOT_FOUND;
        if (!opgp_access_ok(c, acc))
                return SW_SECURITY_STATUS;
        switch (tag) {
        case 0x00c1:
        case 0x00c2:
        case 0x00c3:
                return opgp_put_attributes(c, (enum opgp_key)(tag - 0xc1), a->data, a->nc);
        case 0x00c4:
                return put_pw1_status(c, a->data, a->nc);
        case 0x00d3:
                return opgp_put_resetting_code(c, a->data, a->nc);
        case 0x00f9:
                return opgp_put_kdf(c, a->data, a->nc);
        default:
                break;
        }
        slot = tag == 0x7f21 ? (int)cert_slot(c) : opgp_do_slot(tag);
        if (a->nc > store[slot].cap)
                return SW_WRONG_LENGTH;
        if (!opgp_do_value_ok(tag, a->data, a->nc))
                return SW_WRONG_DATA;
        return store_value(c, (enum opgp_slot)slot, a->data, a->nc);
}

/* SELECT DATA, GET NEXT DATA ------------------------------------------------------------- */

/*
 * 7.2.5: SELECT DATA 00 A5 occurrence 04, data 60 04 5C 02 7F 21 (the tag
 * list; some clients send 5C 02 7F 21 without the 60 wrapper, as older
 * YubiKeys wanted it). Only the cardholder certificate has occurrences:
 * 00 AUT, 01 DEC, 02 SIG.
 */
uint16_t opgp_select_data(struct cmd *c)
{
        static const uint8_t wrapped[] = {0x60, 0x04, 0x5c, 0x02, 0x7f, 0x21};
        const struct apdu *a = c->apdu;

        if (opgp_terminated(c))
                return SW_CONDITIONS;
        if (a->p2 != 0x04)
                return SW_WRONG_P1P2;
        if (!((a->nc == sizeof(wrapped) && memcmp(a->data, wrapped, a->nc) == 0) ||
              (a->nc == sizeof(wrapped) - 2 && memcmp(a->data, wrapped + 2, a->nc) == 0)))
                return a->nc == 0 ? SW_WRONG_LENGTH : SW_WRONG_DATA;
        if (a->p1 > 0x02)
                return SW_REF_NOT_FOUND;
        opgp_of(c)->ch[c->chno].occurrence = a->p1;
        return SW_OK;
}

/* 7.2.6: the next occurrence of the cardholder certificate. */
uint16_t opgp_get_next_data(struct cmd *c)
{
        struct opgp *op = opgp_of(c);
        uint8_t *occ = &op->ch[c->chno].occurrence;
        enum opgp_slot s;

        if (opgp_terminated(c))
                return SW_CONDITIONS;
        if (c->apdu->p1 != 0x7f || c->apdu->p2 != 0x21)
                return SW_REF_NOT_FOUND;
        if (c->apdu->nc != 0)
                return SW_WRONG_LENGTH;
        if (*occ >= 0x02)
                return SW_REF_NOT_FOUND;
        (*occ)++;
        s = (enum opgp_slot)(DO_CERT_AUT + *occ);
        return rbuf_put(c->out, opgp_do_cbytes(&op->d, s), op->d.len[s]) ? SW_OK
                                                                         : SW_MEMORY_FAILURE;
}
