/* SPDX-License-Identifier: MIT */
/* Decodes a C-APDU once, case by case, into a struct every handler reads. */
#include <string.h>

#include "apdu.h"

int apdu_decode(const uint8_t *buf, size_t len, struct apdu *out)
{
        size_t b1, body;

        memset(out, 0, sizeof(*out));
        if (buf == NULL || len < 4)
                return -1;
        out->cla = buf[0];
        out->ins = buf[1];
        out->p1 = buf[2];
        out->p2 = buf[3];
        body = len - 4;

        if (body == 0) { /* case 1 */
                out->kase = APDU_CASE_1;
                return 0;
        }
        b1 = buf[4];
        if (body == 1) { /* case 2S: Le = 00 means 256 */
                out->kase = APDU_CASE_2S;
                out->ne = b1 == 0 ? 256 : b1;
                return 0;
        }
        if (b1 != 0) {                /* short Lc */
                if (body == 1 + b1) { /* case 3S */
                        out->kase = APDU_CASE_3S;
                } else if (body == 2 + b1) { /* case 4S */
                        out->kase = APDU_CASE_4S;
                        out->ne = buf[len - 1] == 0 ? 256 : buf[len - 1];
                } else {
                        return -1;
                }
                out->data = buf + 5;
                out->nc = b1;
                return 0;
        }
        /* b1 == 00 with more bytes: extended length */
        out->extended = true;
        if (body == 3) { /* case 2E: Le = 0000 means 65536 */
                size_t le = ((size_t)buf[5] << 8) | buf[6];
                out->kase = APDU_CASE_2E;
                out->ne = le == 0 ? 65536 : le;
                return 0;
        }
        if (body < 3)
                return -1;
        {
                size_t lc = ((size_t)buf[5] << 8) | buf[6];
                if (lc == 0)
                        return -1;
                if (body == 3 + lc) { /* case 3E */
                        out->kase = APDU_CASE_3E;
                } else if (body == 5 + lc) { /* case 4E */
                        size_t le = ((size_t)buf[len - 2] << 8) | buf[len - 1];
                        out->kase = APDU_CASE_4E;
                        out->ne = le == 0 ? 65536 : le;
                } else {
                        return -1;
                }
                out->data = buf + 7;
                out->nc = lc;
        }
        return 0;
}

uint16_t apdu_decode_cla(uint8_t cla, struct cla_info *out)
{
        memset(out, 0, sizeof(*out));
        if ((cla & 0xe0) == 0x00) { /* first interindustry: channels 0..3 */
                out->chained = (cla & 0x10) != 0;
                out->sm = (cla & 0x0c) != 0;
                out->channel = cla & 0x03u;
                return SW_OK;
        }
        if ((cla & 0xc0) == 0x40) { /* further interindustry: channels 4..19 */
                out->chained = (cla & 0x10) != 0;
                out->sm = (cla & 0x20) != 0;
                out->channel = 4u + (cla & 0x0fu);
                return SW_OK;
        }
        /* 001x xxxx is reserved, 1xxx xxxx proprietary (FF invalid): not this card's */
        return SW_CLA_UNSUPPORTED;
}

bool rbuf_put(struct rbuf *r, const void *data, size_t n)
{
        if (r->overflow || r->cap - r->len < n) {
                r->overflow = true;
                return false;
        }
        if (n > 0)
                memcpy(r->p + r->len, data, n);
        r->len += n;
        return true;
}

bool rbuf_put_u8(struct rbuf *r, uint8_t b)
{
        return rbuf_put(r, &b, 1);
}
