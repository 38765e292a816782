/* SPDX-License-Identifier: MIT */
/* The PC/SC transport over pcsc-lite; PC/SC's DWORD/LONG types stay in this file. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <PCSC/winscard.h>
#include <PCSC/pcsclite.h>

#include "transport_pcsc.h"

struct pcsc {
        SCARDCONTEXT ctx;
        SCARDHANDLE card;
        DWORD proto;
        int connected;
};

static scsim_hresult hr(LONG rc)
{
        return scsim_hresult_from_pcsc((int64_t)rc);
}

static scsim_hresult pcsc_transmit(void *vctx, const uint8_t *capdu, size_t clen, uint8_t *rapdu,
                                   size_t cap, size_t *rlen)
{
        struct pcsc *p = vctx;
        const SCARD_IO_REQUEST *pci = p->proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
        DWORD n = (DWORD)cap;
        LONG rc;

        *rlen = 0;
        rc = SCardTransmit(p->card, pci, capdu, (DWORD)clen, NULL, rapdu, &n);
        if (rc != SCARD_S_SUCCESS)
                return hr(rc);
        *rlen = (size_t)n;
        return SCSIM_S_OK;
}

static scsim_hresult pcsc_reconnect(void *vctx, int warm_reset)
{
        struct pcsc *p = vctx;

        return hr(SCardReconnect(p->card, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
                                 warm_reset ? SCARD_RESET_CARD : SCARD_LEAVE_CARD, &p->proto));
}

static void pcsc_close(void *vctx)
{
        struct pcsc *p = vctx;

        if (p == NULL)
                return;
        if (p->connected)
                SCardDisconnect(p->card, SCARD_LEAVE_CARD);
        SCardReleaseContext(p->ctx);
        free(p);
}

/* The first reader in the multi-string list that holds a card. */
static scsim_hresult first_with_card(SCARDCONTEXT ctx, const char *list, char *name,
                                     size_t name_cap)
{
        SCARD_READERSTATE st;
        const char *r;

        for (r = list; *r != '\0'; r += strlen(r) + 1) {
                memset(&st, 0, sizeof(st));
                st.szReader = r;
                st.dwCurrentState = SCARD_STATE_UNAWARE;
                if (SCardGetStatusChange(ctx, 0, &st, 1) != SCARD_S_SUCCESS)
                        continue;
                if ((st.dwEventState & SCARD_STATE_PRESENT) != 0 &&
                    (st.dwEventState & SCARD_STATE_MUTE) == 0 && strlen(r) < name_cap) {
                        memcpy(name, r, strlen(r) + 1);
                        return SCSIM_S_OK;
                }
        }
        return SCSIM_SCARD_E_NO_SMARTCARD;
}

scsim_hresult scv_pcsc_open(const char *reader, struct scsim_scv_transport *ops, void **out,
                            char *name, size_t name_cap)
{
        struct pcsc *p = NULL;
        char *list = NULL;
        DWORD len = 0;
        LONG rc;
        scsim_hresult res = SCSIM_E_OUTOFMEMORY;

        *out = NULL;
        if (name_cap == 0)
                return SCSIM_E_INVALIDARG;
        name[0] = '\0';
        if ((p = calloc(1, sizeof(*p))) == NULL)
                goto fail;
        if ((rc = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &p->ctx)) !=
            SCARD_S_SUCCESS) {
                free(p);
                return hr(rc);
        }
        if (reader == NULL || reader[0] == '\0')
                reader = getenv("SCSIM_READER");
        if (reader != NULL && reader[0] != '\0') {
                if (strlen(reader) >= name_cap) {
                        res = SCSIM_E_INVALIDARG;
                        goto fail;
                }
                memcpy(name, reader, strlen(reader) + 1);
        } else {
                rc = SCardListReaders(p->ctx, NULL, NULL, &len);
                if (rc == SCARD_E_NO_READERS_AVAILABLE || (rc == SCARD_S_SUCCESS && len <= 1)) {
                        res = SCSIM_SCARD_E_NO_READERS_AVAILABLE;
                        goto fail;
                }
                if (rc != SCARD_S_SUCCESS) {
                        res = hr(rc);
                        goto fail;
                }
                if ((list = calloc(1, (size_t)len + 1)) == NULL)
                        goto fail;
                if ((rc = SCardListReaders(p->ctx, NULL, list, &len)) != SCARD_S_SUCCESS) {
                        res = hr(rc);
                        goto fail;
                }
                if ((res = first_with_card(p->ctx, list, name, name_cap)) != SCSIM_S_OK)
                        goto fail;
        }
        rc = SCardConnect(p->ctx, name, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
                          &p->card, &p->proto);
        if (rc != SCARD_S_SUCCESS) {
                res = hr(rc);
                goto fail;
        }
        p->connected = 1;
        ops->transmit = pcsc_transmit;
        ops->reconnect = pcsc_reconnect;
        ops->close = pcsc_close;
        *out = p;
        p = NULL;
        res = SCSIM_S_OK;
fail:
        free(list);
        pcsc_close(p);
        return res;
}
