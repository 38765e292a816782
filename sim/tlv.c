/* SPDX-License-Identifier: MIT */
/* BER-TLV encoding and decoding shared by the file system and every application. */
#include <string.h>

#include "tlv.h"

static size_t tag_size(uint32_t tag)
{
        return tag > 0xffff ? 3 : tag > 0xff ? 2 : 1;
}

static bool put_tag(struct rbuf *r, uint32_t tag)
{
        size_t n = tag_size(tag);
        uint8_t b[3];

        for (size_t i = 0; i < n; i++)
                b[i] = (uint8_t)(tag >> (8 * (n - 1 - i)));
        return rbuf_put(r, b, n);
}

static size_t len_size(size_t len)
{
        return len < 0x80 ? 1 : len <= 0xff ? 2 : 3;
}

static bool put_len(struct rbuf *r, size_t len)
{
        uint8_t b[3];

        if (len > 0xffff) {
                r->overflow = true;
                return false;
        }
        if (len < 0x80) {
                b[0] = (uint8_t)len;
                return rbuf_put(r, b, 1);
        }
        if (len <= 0xff) {
                b[0] = 0x81;
                b[1] = (uint8_t)len;
                return rbuf_put(r, b, 2);
        }
        b[0] = 0x82;
        b[1] = (uint8_t)(len >> 8);
        b[2] = (uint8_t)len;
        return rbuf_put(r, b, 3);
}

bool tlv_put(struct rbuf *r, uint32_t tag, const uint8_t *value, size_t len)
{
        return put_tag(r, tag) && put_len(r, len) && rbuf_put(r, value, len);
}

bool tlv_open(struct rbuf *r, uint32_t tag, size_t *mark)
{
        if (!put_tag(r, tag) || !rbuf_put_u8(r, 0))
                return false;
        *mark = r->len;
        return true;
}

bool tlv_close(struct rbuf *r, size_t mark)
{
        size_t vlen, extra;

        if (r->overflow || mark > r->len || mark == 0)
                return false;
        vlen = r->len - mark;
        extra = len_size(vlen) - 1;
        if (extra > 0) {
                if (r->cap - r->len < extra) {
                        r->overflow = true;
                        return false;
                }
                memmove(r->p + mark + extra, r->p + mark, vlen);
                r->len += extra;
        }
        r->len = mark - 1;
        if (!put_len(r, vlen))
                return false;
        r->len += vlen;
        return true;
}

int tlv_next(const uint8_t **p, size_t *left, uint32_t *tag, const uint8_t **value, size_t *len)
{
        const uint8_t *c = *p;
        size_t n = *left, l;
        uint32_t t;

        if (n < 2)
                return -1;
        t = *c++;
        n--;
        if ((t & 0x1f) == 0x1f) { /* multi-byte tag */
                for (int i = 0;; i++) {
                        if (n == 0 || i == 2)
                                return -1;
                        t = (t << 8) | *c;
                        n--;
                        if ((*c++ & 0x80) == 0)
                                break;
                }
        }
        if (n == 0)
                return -1;
        l = *c++;
        n--;
        if (l == 0x81 || l == 0x82) {
                size_t k = l & 0x7f;
                if (n < k)
                        return -1;
                l = 0;
                for (size_t i = 0; i < k; i++)
                        l = (l << 8) | *c++;
                n -= k;
        } else if (l > 0x7f) {
                return -1;
        }
        if (n < l)
                return -1;
        *tag = t;
        *value = c;
        *len = l;
        *p = c + l;
        *left = n - l;
        return 0;
}

int tlv_find(const uint8_t *buf, size_t len, uint32_t tag, const uint8_t **value, size_t *vlen)
{
        const uint8_t *p = buf;
        size_t left = len;

        while (left > 0) {
                uint32_t t;
                const uint8_t *v;
                size_t l;
                if (tlv_next(&p, &left, &t, &v, &l) != 0)
                        return -1;
                if (t == tag) {
                        *value = v;
                        *vlen = l;
                        return 0;
                }
        }
        return -1;
}
