/* SPDX-License-Identifier: MIT */
/*
 * ISCardVerify over any transport: Verify, ChangeCode, Unblock and
 * ResetSecurityState as ISO 7816-4 commands, with HRESULT results, as plain C
 * functions and as a COM-style interface sharing one object.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <scsim/iscardverify.h>

#include "transport_pcsc.h"
#include "wipe.h"

#define SHORT_MAX 255
#define RBUF      (256 + 2)
/* GET RESPONSE rounds for one command: 256 of them fill any buffer we take */
#define GET_RESPONSE_MAX 256

/* One bit per P2 value (reference number, b8 = local). */
struct refset {
        uint32_t w[8];
};

struct scsim_scv {
        scsim_iscardverify iface; /* the COM pointer handed out points here */
        uint32_t refs;
        struct scsim_scv_transport ops;
        void *ctx;
        char reader[256];
        struct refset verified;   /* references verified through this object */
        struct refset registered; /* references the caller asked us to reset too */
        uint16_t last_sw;
        int tries;
        int reset_method;
};

static void set_add(struct refset *s, uint8_t p2)
{
        s->w[p2 / 32] |= 1u << (p2 % 32);
}

static int set_has(const struct refset *s, unsigned p2)
{
        return (s->w[p2 / 32] & (1u << (p2 % 32))) != 0;
}

static void note_sw(scsim_scv *v, uint16_t sw)
{
        v->last_sw = sw;
        if ((sw & 0xfff0) == 0x63c0)
                v->tries = sw & 0x0f;
        else if (sw == 0x6983)
                v->tries = 0;
        else
                v->tries = -1;
}

/*
 * One exchange with the card. A reset made through another handle (or by
 * anyone else) is reported once by PC/SC: acknowledge it, forget what we
 * verified (the card forgot it too) and send again, once.
 */
static scsim_hresult xmit(scsim_scv *v, const uint8_t *capdu, size_t clen, uint8_t *r, size_t cap,
                          size_t *rlen)
{
        scsim_hresult res = v->ops.transmit(v->ctx, capdu, clen, r, cap, rlen);

        if (res != SCSIM_SCARD_W_RESET_CARD)
                return res;
        memset(&v->verified, 0, sizeof(v->verified));
        if ((res = v->ops.reconnect(v->ctx, 0)) != SCSIM_S_OK)
                return res;
        return v->ops.transmit(v->ctx, capdu, clen, r, cap, rlen);
}

/*
 * How many bytes of Le a C-APDU ends with (ISO 7816-3 12.1): 1 for cases 2S
 * and 4S, 2 for 2E and 4E, 0 for cases 1, 3S and 3E and for anything
 * malformed. Only a command that has an Le can be sent again with the Le a
 * 6Cxx asks for: in the others the last byte is data, often a code.
 */
static size_t le_width(const uint8_t *c, size_t n)
{
        size_t lc;

        if (n == 5)
                return 1; /* case 2S */
        if (n < 6)
                return 0; /* case 1, or no header */
        if (c[4] != 0x00)
                return n == 6 + (size_t)c[4] ? 1 : 0; /* case 4S; 5 + Lc is case 3S */
        if (n == 7)
                return 2; /* case 2E */
        if (n < 7)
                return 0;
        lc = (size_t)c[5] << 8 | c[6];
        if (lc == 0)
                return 0;           /* an extended Lc of 0 is no case at all */
        return n == 9 + lc ? 2 : 0; /* case 4E; 7 + Lc is case 3E */
}

/*
 * The class byte of a GET RESPONSE on the command's logical channel (ISO
 * 7816-4 5.4.1): channels 0-3 in the first interindustry class, 4-19 in the
 * further one (0x40 | (channel - 4)). Proprietary classes number their
 * channels the same way; chaining and secure messaging bits do not carry over.
 */
static uint8_t get_response_cla(uint8_t cla)
{
        if ((cla & 0x40) != 0)
                return (uint8_t)(0x40 | (cla & 0x0f));
        return (uint8_t)(cla & 0x03);
}

/* 6Cxx: the same command with Le = xx (00 meaning 256), when it has an Le to correct. */
static scsim_hresult resend_with_le(scsim_scv *v, const uint8_t *capdu, size_t clen, uint8_t sw2,
                                    uint8_t *r, size_t cap, size_t *n)
{
        uint8_t again[5 + SHORT_MAX + 1];
        const size_t width = le_width(capdu, clen);
        scsim_hresult res;

        if (width == 0 || clen > sizeof(again))
                return SCSIM_S_OK; /* the 6Cxx stands as the answer */
        memcpy(again, capdu, clen);
        if (width == 1) {
                again[clen - 1] = sw2;
        } else {
                const unsigned le = sw2 == 0 ? 256u : sw2;
                again[clen - 2] = (uint8_t)(le >> 8);
                again[clen - 1] = (uint8_t)le;
        }
        res = xmit(v, again, clen, r, cap, n);
        scv_wipe(again, sizeof(again));
        if (res == SCSIM_S_OK && *n < 2)
                res = SCSIM_SCARD_E_UNEXPECTED;
        return res;
}

/*
 * Send a C-APDU and collect the whole answer: 61xx asks for GET RESPONSE,
 * 6Cxx for the same command with Le = xx. *sw gets the final status word.
 */
static scsim_hresult exchange(scsim_scv *v, const uint8_t *capdu, size_t clen, uint8_t *resp,
                              size_t cap, size_t *rlen, uint16_t *sw)
{
        uint8_t r[RBUF];
        size_t n = 0, got = 0;
        scsim_hresult res;

        *sw = 0;
        *rlen = 0;
        if ((res = xmit(v, capdu, clen, r, sizeof(r), &n)) != SCSIM_S_OK)
                goto fail;
        if (n < 2) {
                res = SCSIM_SCARD_E_UNEXPECTED;
                goto fail;
        }
        if (r[n - 2] == 0x6c &&
            (res = resend_with_le(v, capdu, clen, r[n - 1], r, sizeof(r), &n)) != SCSIM_S_OK)
                goto fail;
        /* a card that keeps saying 61xx without end is not followed forever */
        for (unsigned round = 0;; round++) {
                const size_t body = n - 2;
                uint8_t gr[5];
                if (body > cap - got || round == GET_RESPONSE_MAX) {
                        res = SCSIM_SCARD_E_UNEXPECTED; /* more than the caller holds, or endless */
                        goto fail;
                }
                if (body > 0)
                        memcpy(resp + got, r, body);
                got += body;
                if (r[n - 2] != 0x61)
                        break;
                gr[0] = get_response_cla(capdu[0]);
                gr[1] = 0xc0;
                gr[2] = 0x00;
                gr[3] = 0x00;
                gr[4] = r[n - 1];
                if ((res = xmit(v, gr, sizeof(gr), r, sizeof(r), &n)) != SCSIM_S_OK)
                        goto fail;
                if (n < 2) {
                        res = SCSIM_SCARD_E_UNEXPECTED;
                        goto fail;
                }
        }
        *sw = (uint16_t)(r[n - 2] << 8 | r[n - 1]);
        *rlen = got;
        res = SCSIM_S_OK;
fail:
        scv_wipe(r, sizeof(r));
        return res;
}

/* A case 1 or case 3 command (what every CHV command is); the data may be a PIN. */
static scsim_hresult command(scsim_scv *v, uint8_t ins, uint8_t p1, uint8_t p2, const uint8_t *d1,
                             size_t n1, const uint8_t *d2, size_t n2, uint16_t *sw)
{
        uint8_t apdu[5 + SHORT_MAX], resp[RBUF];
        size_t len = 4, rlen = 0;
        scsim_hresult res;

        *sw = 0;
        if (n1 > SHORT_MAX || n2 > SHORT_MAX - n1)
                return SCSIM_E_INVALIDARG;
        apdu[0] = 0x00;
        apdu[1] = ins;
        apdu[2] = p1;
        apdu[3] = p2;
        if (n1 + n2 > 0) {
                apdu[4] = (uint8_t)(n1 + n2);
                if (n1 > 0)
                        memcpy(apdu + 5, d1, n1);
                if (n2 > 0)
                        memcpy(apdu + 5 + n1, d2, n2);
                len = 5 + n1 + n2;
        }
        res = exchange(v, apdu, len, resp, sizeof(resp), &rlen, sw);
        scv_wipe(apdu, sizeof(apdu));
        scv_wipe(resp, sizeof(resp));
        if (res == SCSIM_S_OK)
                note_sw(v, *sw);
        return res;
}

/* P2 from a reference number and the scope flag; only the allowed flags pass. */
static int make_p2(uint32_t flags, uint32_t allowed, int32_t ref, uint8_t *p2)
{
        if ((flags & ~allowed) != 0 || ref < 0 || ref > SCSIM_REF_MAX)
                return -1;
        *p2 = (uint8_t)((uint32_t)ref | ((flags & SCSIM_FL_LOCAL) ? 0x80u : 0u));
        return 0;
}

static scsim_hresult verify_p2(scsim_scv *v, uint8_t p1, uint8_t p2, const uint8_t *code,
                               size_t len)
{
        uint16_t sw;
        scsim_hresult res = command(v, 0x20, p1, p2, code, len, NULL, 0, &sw);

        if (res != SCSIM_S_OK)
                return res;
        return scsim_hresult_from_sw(sw, p1 == 0x00 && len == 0);
}

scsim_hresult scsim_scv_verify(scsim_scv *v, const uint8_t *code, size_t len, uint32_t flags,
                               int32_t ref)
{
        scsim_hresult res;
        uint8_t p2;

        if (v == NULL || (code == NULL && len > 0))
                return SCSIM_E_POINTER;
        if (make_p2(flags, SCSIM_FL_LOCAL, ref, &p2) != 0 || len > SHORT_MAX)
                return SCSIM_E_INVALIDARG;
        res = verify_p2(v, 0x00, p2, code, len);
        if (res == SCSIM_S_OK)
                set_add(&v->verified, p2);
        return res;
}

scsim_hresult scsim_scv_change_code(scsim_scv *v, const uint8_t *old_code, size_t old_len,
                                    const uint8_t *new_code, size_t new_len, uint32_t flags,
                                    int32_t ref)
{
        const uint32_t toggle = flags & (SCSIM_FL_ENABLE | SCSIM_FL_DISABLE);
        scsim_hresult res;
        uint16_t sw;
        uint8_t p2;

        if (v == NULL || (old_code == NULL && old_len > 0) || (new_code == NULL && new_len > 0))
                return SCSIM_E_POINTER;
        if (make_p2(flags, SCSIM_FL_LOCAL | SCSIM_FL_ENABLE | SCSIM_FL_DISABLE, ref, &p2) != 0 ||
            toggle == (SCSIM_FL_ENABLE | SCSIM_FL_DISABLE))
                return SCSIM_E_INVALIDARG;
        if (toggle != 0) {
                /* the requirement is switched with the current code (P1 00), or
                 * without any when the reference is verified already (P1 01) */
                if (new_len > 0)
                        return SCSIM_E_INVALIDARG;
                res = command(v, toggle == SCSIM_FL_ENABLE ? 0x28 : 0x26, old_len > 0 ? 0x00 : 0x01,
                              p2, old_code, old_len, NULL, 0, &sw);
        } else {
                if (new_len == 0)
                        return SCSIM_E_INVALIDARG;
                res = command(v, 0x24, old_len > 0 ? 0x00 : 0x01, p2, old_code, old_len, new_code,
                              new_len, &sw);
        }
        if (res != SCSIM_S_OK)
                return res;
        res = scsim_hresult_from_sw(sw, 0);
        if (res == SCSIM_S_OK && old_len > 0)
                set_add(&v->verified, p2); /* a code checked successfully verifies */
        return res;
}

static scsim_hresult unblock_data(scsim_scv *v, const uint8_t *a, size_t na, const uint8_t *b,
                                  size_t nb, uint32_t flags, int32_t ref)
{
        const int keep = (flags & SCSIM_FL_KEEP_CODE) != 0;
        scsim_hresult res;
        uint16_t sw;
        uint8_t p2;

        if (make_p2(flags, SCSIM_FL_LOCAL | SCSIM_FL_KEEP_CODE, ref, &p2) != 0 || na == 0 ||
            (keep && nb > 0))
                return SCSIM_E_INVALIDARG;
        /* unblocking does not verify: nothing joins the verified set */
        if ((res = command(v, 0x2c, keep ? 0x01 : 0x00, p2, a, na, b, nb, &sw)) != SCSIM_S_OK)
                return res;
        return scsim_hresult_from_sw(sw, 0);
}

scsim_hresult scsim_scv_unblock(scsim_scv *v, const uint8_t *unblock_code, size_t unblock_len,
                                const uint8_t *new_code, size_t new_len, uint32_t flags,
                                int32_t ref)
{
        if (v == NULL || unblock_code == NULL || (new_code == NULL && new_len > 0))
                return SCSIM_E_POINTER;
        if ((flags & SCSIM_FL_KEEP_CODE) == 0 && new_len == 0)
                return SCSIM_E_INVALIDARG;
        return unblock_data(v, unblock_code, unblock_len, new_code, new_len, flags, ref);
}

scsim_hresult scsim_scv_register_ref(scsim_scv *v, uint32_t flags, int32_t ref)
{
        uint8_t p2;

        if (v == NULL)
                return SCSIM_E_POINTER;
        if (make_p2(flags, SCSIM_FL_LOCAL, ref, &p2) != 0)
                return SCSIM_E_INVALIDARG;
        set_add(&v->registered, p2);
        return SCSIM_S_OK;
}

/* Ask whether p2 is verified. 1: it is (or needs no verification), 0: it is not or is unreachable.
 */
static scsim_hresult still_verified(scsim_scv *v, uint8_t p2, int *verified)
{
        uint16_t sw;
        scsim_hresult res = command(v, 0x20, 0x00, p2, NULL, 0, NULL, 0, &sw);

        *verified = 0;
        if (res != SCSIM_S_OK)
                return res;
        if (sw == 0x9000)
                *verified = 1;
        else if ((sw & 0xfff0) != 0x63c0 && sw != 0x6983 && sw != 0x6a88)
                return scsim_hresult_from_sw(sw, 1);
        return SCSIM_S_OK;
}

static scsim_hresult warm_reset(scsim_scv *v, const struct refset *all)
{
        scsim_hresult res;
        int verified;

        if ((res = v->ops.reconnect(v->ctx, 1)) != SCSIM_S_OK)
                return res;
        memset(&v->verified, 0, sizeof(v->verified));
        v->reset_method = 2;
        /*
         * After a warm reset a card keeps no security status; a query that
         * still answers 9000 means the reference does not need verifying
         * (its requirement is disabled), which is as reset as it gets.
         */
        for (unsigned p2 = 0; p2 < 256; p2++)
                if (set_has(all, p2) &&
                    (res = still_verified(v, (uint8_t)p2, &verified)) != SCSIM_S_OK)
                        return res;
        return SCSIM_S_OK;
}

/*
 * VERIFY P1=FF for every reference we know of, each checked with a query;
 * a warm reset when the card cannot do that (6A86/6B00/6D00), when a query
 * still finds the reference verified, or when we know of no reference at all.
 */
scsim_hresult scsim_scv_reset_security_state(scsim_scv *v)
{
        struct refset all;
        scsim_hresult res;
        int need_warm = 1, verified;
        uint16_t sw;

        if (v == NULL)
                return SCSIM_E_POINTER;
        for (size_t i = 0; i < 8; i++) {
                all.w[i] = v->verified.w[i] | v->registered.w[i];
                if (all.w[i] != 0)
                        need_warm = 0;
        }
        for (unsigned p2 = 0; p2 < 256 && !need_warm; p2++) {
                if (!set_has(&all, p2))
                        continue;
                if ((res = command(v, 0x20, 0xff, (uint8_t)p2, NULL, 0, NULL, 0, &sw)) !=
                    SCSIM_S_OK)
                        return res;
                if (sw == 0x6a86 || sw == 0x6b00 || sw == 0x6d00) {
                        need_warm = 1;
                } else if (sw == 0x9000) {
                        if ((res = still_verified(v, (uint8_t)p2, &verified)) != SCSIM_S_OK)
                                return res;
                        need_warm = verified;
                } else if (sw != 0x6a88 && sw != 0x6983) {
                        /* 6A88: not reachable from here; 6983: blocked, so not verified */
                        return scsim_hresult_from_sw(sw, 0);
                }
        }
        if (need_warm)
                return warm_reset(v, &all);
        memset(&v->verified, 0, sizeof(v->verified));
        v->reset_method = 1;
        return SCSIM_S_OK;
}

scsim_hresult scsim_scv_transmit(scsim_scv *v, const uint8_t *capdu, size_t clen, uint8_t *resp,
                                 size_t cap, size_t *rlen, uint16_t *sw)
{
        scsim_hresult res;

        if (v == NULL || capdu == NULL || rlen == NULL || sw == NULL || (resp == NULL && cap > 0))
                return SCSIM_E_POINTER;
        *rlen = 0;
        *sw = 0;
        if (clen < 4 || clen > 5 + SHORT_MAX + 1)
                return SCSIM_E_INVALIDARG;
        if ((res = exchange(v, capdu, clen, resp, cap, rlen, sw)) != SCSIM_S_OK)
                return res;
        note_sw(v, *sw);
        return scsim_hresult_from_sw(*sw, 0);
}

uint16_t scsim_scv_last_sw(const scsim_scv *v)
{
        return v != NULL ? v->last_sw : 0;
}

int scsim_scv_tries_left(const scsim_scv *v)
{
        return v != NULL ? v->tries : -1;
}

int scsim_scv_last_reset_method(const scsim_scv *v)
{
        return v != NULL ? v->reset_method : 0;
}

const char *scsim_scv_reader(const scsim_scv *v)
{
        return v != NULL ? v->reader : "";
}

static void set_reader_name(scsim_scv *v, const char *name)
{
        if (v == NULL || name == NULL)
                return;
        snprintf(v->reader, sizeof(v->reader), "%s", name);
}

/* ---- COM-style binding ---- */

const scsim_iid SCSIM_IID_IUnknown = {
    0x00000000, 0x0000, 0x0000, {0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46}};
const scsim_iid SCSIM_IID_ISCardVerify = {
    0x5c5a7e01, 0x5c51, 0x4d5f, {0x9a, 0x11, 0x53, 0x43, 0x53, 0x49, 0x4d, 0x01}};

scsim_scv *scsim_scv_from_iscardverify(scsim_iscardverify *iface)
{
        if (iface == NULL)
                return NULL;
        return (scsim_scv *)(void *)((char *)iface - offsetof(scsim_scv, iface));
}

static int same_iid(const scsim_iid *a, const scsim_iid *b)
{
        return a->data1 == b->data1 && a->data2 == b->data2 && a->data3 == b->data3 &&
               memcmp(a->data4, b->data4, sizeof(a->data4)) == 0;
}

static uint32_t com_add_ref(scsim_iscardverify *This)
{
        scsim_scv *v = scsim_scv_from_iscardverify(This);

        return v != NULL ? ++v->refs : 0;
}

static uint32_t com_release(scsim_iscardverify *This)
{
        scsim_scv *v = scsim_scv_from_iscardverify(This);

        if (v == NULL || v->refs == 0)
                return 0;
        if (--v->refs > 0)
                return v->refs;
        if (v->ops.close != NULL)
                v->ops.close(v->ctx);
        free(v); /* it holds no codes: those never outlive a call */
        return 0;
}

static scsim_hresult com_query_interface(scsim_iscardverify *This, const scsim_iid *riid,
                                         void **ppv)
{
        if (ppv == NULL)
                return SCSIM_E_POINTER;
        *ppv = NULL;
        if (This == NULL || riid == NULL)
                return SCSIM_E_POINTER;
        if (!same_iid(riid, &SCSIM_IID_IUnknown) && !same_iid(riid, &SCSIM_IID_ISCardVerify))
                return SCSIM_E_NOINTERFACE;
        com_add_ref(This);
        *ppv = This;
        return SCSIM_S_OK;
}

/* COM passes flags as a LONG: a negative one has bits no flag owns */
static int com_flags(int32_t flags, uint32_t *out)
{
        if (flags < 0)
                return -1;
        *out = (uint32_t)flags;
        return 0;
}

static scsim_hresult com_verify(scsim_iscardverify *This, const uint8_t *code, uint32_t len,
                                int32_t flags, int32_t ref)
{
        uint32_t f;

        if (This == NULL)
                return SCSIM_E_POINTER;
        if (com_flags(flags, &f) != 0)
                return SCSIM_E_INVALIDARG;
        return scsim_scv_verify(scsim_scv_from_iscardverify(This), code, len, f, ref);
}

static scsim_hresult com_change_code(scsim_iscardverify *This, const uint8_t *old_code,
                                     uint32_t old_len, const uint8_t *new_code, uint32_t new_len,
                                     int32_t flags, int32_t ref)
{
        uint32_t f;

        if (This == NULL)
                return SCSIM_E_POINTER;
        if (com_flags(flags, &f) != 0)
                return SCSIM_E_INVALIDARG;
        return scsim_scv_change_code(scsim_scv_from_iscardverify(This), old_code, old_len, new_code,
                                     new_len, f, ref);
}

/* The interface's Unblock takes the data field whole: unblock code || new code. */
static scsim_hresult com_unblock(scsim_iscardverify *This, const uint8_t *data, uint32_t len,
                                 int32_t flags, int32_t ref)
{
        uint32_t f;

        if (This == NULL || data == NULL)
                return SCSIM_E_POINTER;
        if (com_flags(flags, &f) != 0)
                return SCSIM_E_INVALIDARG;
        return unblock_data(scsim_scv_from_iscardverify(This), data, len, NULL, 0, f, ref);
}

static scsim_hresult com_reset_security_state(scsim_iscardverify *This)
{
        if (This == NULL)
                return SCSIM_E_POINTER;
        return scsim_scv_reset_security_state(scsim_scv_from_iscardverify(This));
}

static const struct scsim_iscardverify_vtbl vtbl = {
    com_query_interface,      com_add_ref, com_release, com_verify, com_change_code, com_unblock,
    com_reset_security_state,
};

/* ---- life cycle ---- */

scsim_hresult scsim_scv_new(const struct scsim_scv_transport *t, void *ctx, scsim_scv **out)
{
        scsim_scv *v;

        if (out == NULL)
                return SCSIM_E_POINTER;
        *out = NULL;
        if (t == NULL || t->transmit == NULL || t->reconnect == NULL)
                return SCSIM_E_POINTER;
        if ((v = calloc(1, sizeof(*v))) == NULL)
                return SCSIM_E_OUTOFMEMORY;
        v->iface.lpVtbl = &vtbl;
        v->refs = 1;
        v->ops = *t;
        v->ctx = ctx;
        v->tries = -1;
        *out = v;
        return SCSIM_S_OK;
}

void scsim_scv_free(scsim_scv **v)
{
        if (v == NULL || *v == NULL)
                return;
        com_release(&(*v)->iface);
        *v = NULL;
}

scsim_hresult scsim_scv_attach(const char *reader, scsim_scv **out)
{
        struct scsim_scv_transport ops;
        char name[256];
        void *ctx = NULL;
        scsim_hresult res;

        if (out == NULL)
                return SCSIM_E_POINTER;
        *out = NULL;
        memset(&ops, 0, sizeof(ops));
        if ((res = scv_pcsc_open(reader, &ops, &ctx, name, sizeof(name))) != SCSIM_S_OK)
                return res;
        if ((res = scsim_scv_new(&ops, ctx, out)) != SCSIM_S_OK) {
                ops.close(ctx);
                return res;
        }
        set_reader_name(*out, name);
        return SCSIM_S_OK;
}

scsim_hresult scsim_scv_query_iscardverify(scsim_scv *v, scsim_iscardverify **out)
{
        if (out == NULL)
                return SCSIM_E_POINTER;
        *out = NULL;
        if (v == NULL)
                return SCSIM_E_POINTER;
        com_add_ref(&v->iface);
        *out = &v->iface;
        return SCSIM_S_OK;
}

scsim_hresult scsim_create_chv_verification(const char *reader, scsim_iscardverify **out)
{
        scsim_scv *v = NULL;
        scsim_hresult res;

        if (out == NULL)
                return SCSIM_E_POINTER;
        *out = NULL;
        if ((res = scsim_scv_attach(reader, &v)) != SCSIM_S_OK)
                return res;
        *out = &v->iface; /* the creator's reference becomes the interface's */
        return SCSIM_S_OK;
}
