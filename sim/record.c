/* SPDX-License-Identifier: MIT */
/* Writing and reading application records of state, a field at a time. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "record.h"

void w_put(struct wbuf *w, const void *data, size_t n)
{
        if (w->failed || n == 0)
                return;
        if (w->cap - w->len < n) {
                size_t cap = w->cap * 2 + n + 256;
                uint8_t *np = malloc(cap);
                if (np == NULL) {
                        w->failed = true;
                        return;
                }
                if (w->p != NULL) {
                        memcpy(np, w->p, w->len);
                        OPENSSL_cleanse(w->p, w->cap);
                        free(w->p);
                }
                w->p = np;
                w->cap = cap;
        }
        memcpy(w->p + w->len, data, n);
        w->len += n;
}

void w_u8(struct wbuf *w, unsigned v)
{
        uint8_t b = (uint8_t)v;

        w_put(w, &b, 1);
}

void w_u16(struct wbuf *w, size_t v)
{
        uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};

        w_put(w, b, 2);
}

int w_finish(struct wbuf *w, uint8_t **buf, size_t *len)
{
        if (w->failed) {
                if (w->p != NULL)
                        OPENSSL_cleanse(w->p, w->cap);
                free(w->p);
                memset(w, 0, sizeof(*w));
                return -1;
        }
        *buf = w->p;
        *len = w->len;
        memset(w, 0, sizeof(*w));
        return 0;
}

int r_take(struct rcur *r, const uint8_t **out, size_t n)
{
        if (r->left < n)
                return -1;
        *out = r->p;
        r->p += n;
        r->left -= n;
        return 0;
}

int r_u8(struct rcur *r, uint8_t *v)
{
        const uint8_t *b;

        if (r_take(r, &b, 1) != 0)
                return -1;
        *v = b[0];
        return 0;
}

int r_u16(struct rcur *r, size_t *v)
{
        const uint8_t *b;

        if (r_take(r, &b, 2) != 0)
                return -1;
        *v = (size_t)(b[0] << 8 | b[1]);
        return 0;
}
