/* SPDX-License-Identifier: MIT */
/* The conformance runner's way to a card in a PC/SC reader: the client's own PC/SC transport. */
#include <stdio.h>
#include <stdlib.h>

#include "conform_pcsc.h"
#include "transport_pcsc.h"

struct cf_pcsc {
        struct scsim_scv_transport ops;
        void *ctx;
        char name[512];
};

int cf_pcsc_open(const char *reader, struct cf_pcsc **out, struct cf_target *t)
{
        struct cf_pcsc *p = calloc(1, sizeof(*p));
        scsim_hresult hr;

        *out = NULL;
        if (p == NULL) {
                fprintf(stderr, "scsim conform: out of memory\n");
                return -1;
        }
        hr = scv_pcsc_open(reader, &p->ops, &p->ctx, p->name, sizeof(p->name));
        if (hr != SCSIM_S_OK) {
                fprintf(stderr,
                        "scsim conform: cannot connect to %s%s%s: %s (0x%08X); is pcscd running "
                        "and the card in? (scsim run -- scsim conform ... for a simulated one)\n",
                        reader != NULL ? "reader '" : "a reader", reader != NULL ? reader : "",
                        reader != NULL ? "'" : "", scsim_hresult_name(hr), hr);
                free(p);
                return -1;
        }
        t->ops = &p->ops;
        t->ctx = p->ctx;
        t->atr = scv_pcsc_atr;
        t->reattach = scv_pcsc_reattach;
        t->reader = p->name;
        *out = p;
        return 0;
}

void cf_pcsc_close(struct cf_pcsc **pp)
{
        struct cf_pcsc *p = pp != NULL ? *pp : NULL;

        if (p == NULL)
                return;
        if (p->ops.close != NULL)
                p->ops.close(p->ctx);
        free(p);
        *pp = NULL;
}
