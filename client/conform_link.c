/* SPDX-License-Identifier: MIT */
/* The link to the card under test: APDUs in any length case, each exchange logged with codes
 * masked. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "conform_run.h"

size_t cf_encode(const struct cf_apdu *a, uint8_t *out, size_t cap)
{
        const bool ext = a->ext || a->nc > 255 || a->ne > 256;
        size_t n = 4;

        if (cap < 4 + 3 + a->nc + 3 || a->nc > 65535 || a->ne > 65536)
                return 0;
        out[0] = a->cla;
        out[1] = a->ins;
        out[2] = a->p1;
        out[3] = a->p2;
        if (a->nc > 0 && !ext) { /* case 3S or 4S: Lc is one byte */
                out[n++] = (uint8_t)a->nc;
        } else if (a->nc > 0) { /* case 3E or 4E: 00, then Lc on two bytes */
                out[n++] = 0x00;
                out[n++] = (uint8_t)(a->nc >> 8);
                out[n++] = (uint8_t)a->nc;
        }
        if (a->nc > 0)
                memcpy(out + n, a->data, a->nc);
        n += a->nc;
        if (a->ne < 0) /* case 1 or 3 */
                return n;
        if (!ext) { /* case 2S or 4S: Le 00 means 256 */
                out[n++] = (uint8_t)(a->ne == 256 ? 0 : a->ne);
        } else { /* case 2E (00 Le Le) or 4E (Le Le after the data); 0000 means 65536 */
                if (a->nc == 0)
                        out[n++] = 0x00;
                out[n++] = (uint8_t)(a->ne == 65536 ? 0 : a->ne >> 8);
                out[n++] = (uint8_t)(a->ne == 65536 ? 0 : a->ne);
        }
        return n;
}

uint8_t cf_cla(unsigned channel)
{
        return channel < 4 ? (uint8_t)channel : (uint8_t)(0x40 | ((channel - 4) & 0x0f));
}

/* Instructions whose data is a code (VERIFY, CHANGE REFERENCE DATA, ENABLE/DISABLE, RESET RETRY
 * COUNTER). */
static bool carries_code(uint8_t ins)
{
        return ins == 0x20 || ins == 0x21 || ins == 0x24 || ins == 0x26 || ins == 0x28 ||
               ins == 0x2c;
}

/* Where the data field of an encoded command starts, and how long it is. */
static void data_field(const uint8_t *c, size_t len, size_t *off, size_t *n)
{
        *off = 0;
        *n = 0;
        if (len <= 5)
                return;
        if (c[4] != 0) {
                *off = 5;
                *n = (size_t)c[4] <= len - 5 ? c[4] : len - 5;
        } else if (len > 7) {
                *off = 7;
                *n = ((size_t)c[5] << 8 | c[6]) <= len - 7 ? ((size_t)c[5] << 8 | c[6]) : len - 7;
        }
}

static void log_exchange(struct cf_run *r, const uint8_t *c, size_t clen, const uint8_t *resp,
                         size_t rlen, uint16_t sw)
{
        struct cf_exchange *x = &r->ring[r->nx++ % CF_LOG_MAX];

        memset(x, 0, sizeof(*x));
        x->clen = clen;
        memcpy(x->c, c, clen < CF_KEEP_MAX ? clen : CF_KEEP_MAX);
        if (clen >= 4 && (r->mask_next || carries_code(c[1]))) {
                data_field(c, clen, &x->mask_off, &x->mask_len);
                for (size_t i = x->mask_off; i < x->mask_off + x->mask_len && i < CF_KEEP_MAX; i++)
                        x->c[i] = 0;
        }
        x->rlen = rlen;
        memcpy(x->r, resp, rlen < CF_KEEP_MAX ? rlen : CF_KEEP_MAX);
        x->sw = sw;
}

static void log_event(struct cf_run *r, const char *what)
{
        struct cf_exchange *x = &r->ring[r->nx++ % CF_LOG_MAX];

        memset(x, 0, sizeof(*x));
        x->event = what;
}

static void link_failed(struct cf_run *r, scsim_hresult hr, const char *what)
{
        r->failure = hr != SCSIM_S_OK ? hr : SCSIM_SCARD_F_UNKNOWN_ERROR;
        snprintf(r->failure_what, sizeof(r->failure_what), "%s: %s (0x%08X)", what,
                 scsim_hresult_name(hr), hr);
}

uint16_t cf_raw(struct cf_run *r, const uint8_t *capdu, size_t len)
{
        uint8_t *rbuf = r->rbuf;
        size_t rlen = 0;
        scsim_hresult hr;
        uint16_t sw;

        r->rlen = 0;
        if (r->failure != SCSIM_S_OK) {
                r->mask_next = false;
                return 0;
        }
        hr = r->t->ops->transmit(r->t->ctx, capdu, len, rbuf, sizeof(r->rbuf), &rlen);
        if (hr == SCSIM_S_OK && rlen < 2) {
                r->failure = SCSIM_SCARD_F_UNKNOWN_ERROR;
                snprintf(r->failure_what, sizeof(r->failure_what),
                         "SCardTransmit passed on %zu bytes, no status word", rlen);
        } else if (hr != SCSIM_S_OK) {
                link_failed(r, hr, "SCardTransmit");
        }
        if (r->failure != SCSIM_S_OK) {
                log_exchange(r, capdu, len, rbuf, rlen, 0);
                r->mask_next = false;
                return 0;
        }
        sw = (uint16_t)(rbuf[rlen - 2] << 8 | rbuf[rlen - 1]);
        memcpy(r->resp, rbuf, rlen - 2);
        r->rlen = rlen - 2;
        log_exchange(r, capdu, len, rbuf, rlen, sw);
        r->mask_next = false;
        return sw;
}

uint16_t cf_send(struct cf_run *r, const struct cf_apdu *a)
{
        size_t n = cf_encode(a, r->cbuf, sizeof(r->cbuf));

        if (n == 0) {
                link_failed(r, SCSIM_E_INVALIDARG, "a command too long to encode");
                return 0;
        }
        return cf_raw(r, r->cbuf, n);
}

uint16_t cf_cmd(struct cf_run *r, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2,
                const uint8_t *data, size_t nc, long ne)
{
        const struct cf_apdu a = {cla, ins, p1, p2, data, nc, ne, false};

        return cf_send(r, &a);
}

uint16_t cf_cmd_all(struct cf_run *r, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2,
                    const uint8_t *data, size_t nc, long ne)
{
        uint8_t *whole = r->whole;
        const uint8_t gr_cla = (uint8_t)(cla & ((cla & 0x40) ? 0x4f : 0x03));
        size_t have = 0;
        uint16_t sw = cf_cmd(r, cla, ins, p1, p2, data, nc, ne);

        /* 6Cxx: the card names the Le it wants; the same command once more with it */
        if ((sw & 0xff00) == 0x6c00 && ne != CF_NO_LE)
                sw = cf_cmd(r, cla, ins, p1, p2, data, nc, (sw & 0xff) == 0 ? 256 : sw & 0xff);
        for (unsigned i = 0; i < 512; i++) {
                if (have + r->rlen > sizeof(r->whole))
                        break;
                memcpy(whole + have, r->resp, r->rlen);
                have += r->rlen;
                if ((sw & 0xff00) != 0x6100)
                        break;
                sw = cf_cmd(r, gr_cla, 0xc0, 0x00, 0x00, NULL, 0,
                            (sw & 0xff) == 0 ? 256 : sw & 0xff);
        }
        memcpy(r->resp, whole, have);
        r->rlen = have;
        return sw;
}

uint16_t cf_cmd_chain(struct cf_run *r, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2,
                      const uint8_t *data, size_t nc, long ne)
{
        size_t off = 0;
        uint16_t sw;

        /* command chaining (CLA b5): every part but the last, up to 255 bytes each */
        while (nc - off > 255) {
                sw = cf_cmd(r, (uint8_t)(cla | 0x10), ins, p1, p2, data + off, 255, CF_NO_LE);
                if (sw != 0x9000)
                        return sw;
                off += 255;
        }
        return cf_cmd_all(r, cla, ins, p1, p2, data + off, nc - off, ne);
}

int cf_warm_reset(struct cf_run *r)
{
        scsim_hresult hr;

        if (r->failure != SCSIM_S_OK)
                return -1;
        log_event(r, "warm reset (SCardReconnect, SCARD_RESET_CARD)");
        if ((hr = r->t->ops->reconnect(r->t->ctx, 1)) != SCSIM_S_OK) {
                link_failed(r, hr, "SCardReconnect");
                return -1;
        }
        return 0;
}

/* A few words on the status words a reader of the report meets most. */
static const char *sw_meaning(uint16_t sw)
{
        static const struct {
                uint16_t sw, mask;
                const char *what;
        } t[] = {
            {0x9000, 0xffff, "ok"},
            {0x6100, 0xff00, "more data"},
            {0x6282, 0xffff, "end of file before Ne bytes"},
            {0x63c0, 0xfff0, "tries left"},
            {0x6300, 0xffff, "verification failed"},
            {0x6700, 0xffff, "wrong length"},
            {0x6881, 0xffff, "logical channel not supported"},
            {0x6882, 0xffff, "secure messaging not supported"},
            {0x6982, 0xffff, "security status not satisfied"},
            {0x6983, 0xffff, "blocked"},
            {0x6984, 0xffff, "reference data not usable"},
            {0x6985, 0xffff, "conditions of use not satisfied"},
            {0x6986, 0xffff, "command not allowed"},
            {0x6a80, 0xffff, "incorrect data"},
            {0x6a81, 0xffff, "function not supported"},
            {0x6a82, 0xffff, "not found"},
            {0x6a86, 0xffff, "incorrect P1-P2"},
            {0x6a88, 0xffff, "referenced data not found"},
            {0x6b00, 0xffff, "wrong P1-P2"},
            {0x6c00, 0xff00, "wrong Le"},
            {0x6d00, 0xffff, "INS not supported"},
            {0x6e00, 0xffff, "CLA not supported"},
        };

        for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
                if ((sw & t[i].mask) == t[i].sw)
                        return t[i].what;
        return NULL;
}

static void describe_sw(uint16_t sw, char *out, size_t cap)
{
        const char *m = sw_meaning(sw);

        if (sw == 0)
                snprintf(out, cap, "no answer");
        else if (m != NULL)
                snprintf(out, cap, "%04X (%s)", sw, m);
        else
                snprintf(out, cap, "%04X", sw);
}

static void set_message(struct cf_run *r, const char *fmt, va_list ap)
{
        if (r->cur != NULL)
                vsnprintf(r->cur->message, sizeof(r->cur->message), fmt, ap);
}

enum cf_verdict cf_fail(struct cf_run *r, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        set_message(r, fmt, ap);
        va_end(ap);
        return CF_FAIL;
}

enum cf_verdict cf_skip(struct cf_run *r, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        set_message(r, fmt, ap);
        va_end(ap);
        return CF_SKIP;
}

bool cf_want(struct cf_run *r, uint16_t got, uint16_t want, const char *what)
{
        char g[64], w[64];

        if (got == want)
                return true;
        describe_sw(got, g, sizeof(g));
        describe_sw(want, w, sizeof(w));
        cf_fail(r, "%s: wanted %s, got %s", what, w, g);
        return false;
}

bool cf_want_tries(struct cf_run *r, uint16_t got, unsigned tries, const char *what)
{
        char g[64];

        if (tries <= 15 && got == (0x63c0 | tries))
                return true;
        describe_sw(got, g, sizeof(g));
        cf_fail(r, "%s: wanted 63C%X (%u %s left), got %s", what, tries & 0xf, tries,
                tries == 1 ? "try" : "tries", g);
        return false;
}

bool cf_want_one(struct cf_run *r, uint16_t got, const uint16_t *ok, size_t n, const char *what)
{
        char g[64], list[96];
        size_t used = 0;

        for (size_t i = 0; i < n; i++)
                if (got == ok[i])
                        return true;
        list[0] = '\0';
        for (size_t i = 0; i < n && used < sizeof(list); i++)
                used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%04X",
                                         i == 0       ? ""
                                         : i + 1 == n ? " or "
                                                      : ", ",
                                         ok[i]);
        describe_sw(got, g, sizeof(g));
        cf_fail(r, "%s: wanted %s, got %s", what, list, g);
        return false;
}

bool cf_want_error(struct cf_run *r, uint16_t got, const char *what)
{
        char g[64];
        const uint8_t sw1 = (uint8_t)(got >> 8);

        if (got != 0 && got != 0x9000 && sw1 != 0x61 && sw1 != 0x62 && sw1 != 0x63)
                return true;
        describe_sw(got, g, sizeof(g));
        cf_fail(r, "%s: wanted an error status (6400..6FFF), got %s", what, g);
        return false;
}
