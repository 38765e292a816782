/* SPDX-License-Identifier: MIT */
/* The PC/SC transport over pcsc-lite or winscard.dll; PC/SC's DWORD/LONG types stay in this file.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#include <winscard.h>
#else
#include <PCSC/pcsclite.h>
#include <PCSC/winscard.h>
#endif

#include "transport_pcsc.h"

/*
 * Reader names. Our API speaks UTF-8 on every platform. pcsc-lite's names are
 * UTF-8 already. On Windows the W functions are used on purpose: their UTF-16
 * names convert to UTF-8 and back without loss, where the A functions would
 * go through the ANSI code page, which differs from one machine to the next
 * and cannot hold every name a driver may give.
 */
#ifdef _WIN32
typedef WCHAR pchar;
typedef SCARD_READERSTATEW pcsc_readerstate;
#define pcsc_list_readers  SCardListReadersW
#define pcsc_status_change SCardGetStatusChangeW
#define pcsc_connect       SCardConnectW
#define pcsc_status        SCardStatusW

static size_t pchar_len(const pchar *s)
{
        return wcslen(s);
}

/* UTF-8 -> UTF-16; NULL when it is not UTF-8 or memory is short. */
static pchar *name_in(const char *utf8)
{
        int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8, -1, NULL, 0);
        pchar *w;

        if (n <= 0 || (w = calloc((size_t)n, sizeof(*w))) == NULL)
                return NULL;
        if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, utf8, -1, w, n) != n) {
                free(w);
                return NULL;
        }
        return w;
}

/* UTF-16 -> UTF-8 into out; -1 when it does not fit or is not valid UTF-16. */
static int name_out(const pchar *name, char *out, size_t cap)
{
        int n = WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, name, -1, out,
                                    cap > INT32_MAX ? INT32_MAX : (int)cap, NULL, NULL);

        return n > 0 ? 0 : -1;
}

/* $SCSIM_READER as UTF-16: _wgetenv, because getenv gives the ANSI code page. */
static pchar *reader_from_env(void)
{
        const wchar_t *e = _wgetenv(L"SCSIM_READER");
        pchar *copy;

        if (e == NULL || e[0] == L'\0')
                return NULL;
        if ((copy = calloc(wcslen(e) + 1, sizeof(*copy))) != NULL)
                memcpy(copy, e, (wcslen(e) + 1) * sizeof(*copy));
        return copy;
}
#else
typedef char pchar;
typedef SCARD_READERSTATE pcsc_readerstate;
#define pcsc_list_readers  SCardListReaders
#define pcsc_status_change SCardGetStatusChange
#define pcsc_connect       SCardConnect
#define pcsc_status        SCardStatus

static size_t pchar_len(const pchar *s)
{
        return strlen(s);
}

static pchar *name_in(const char *utf8)
{
        size_t n = strlen(utf8) + 1;
        pchar *copy = malloc(n);

        if (copy != NULL)
                memcpy(copy, utf8, n);
        return copy;
}

static int name_out(const pchar *name, char *out, size_t cap)
{
        size_t n = strlen(name) + 1;

        if (n > cap)
                return -1;
        memcpy(out, name, n);
        return 0;
}

static pchar *reader_from_env(void)
{
        const char *e = getenv("SCSIM_READER");

        return e != NULL && e[0] != '\0' ? name_in(e) : NULL;
}
#endif

/*
 * Our HRESULT constants are the platform's own values: pcsc-lite's (a positive
 * 64-bit LONG) and winerror.h's (a negative 32-bit one) agree on the low 32 bits.
 */
#define SAME_CODE(ours, theirs) _Static_assert((uint32_t)(theirs) == (ours), #theirs)
SAME_CODE(SCSIM_SCARD_F_INTERNAL_ERROR, SCARD_F_INTERNAL_ERROR);
SAME_CODE(SCSIM_SCARD_E_NO_SMARTCARD, SCARD_E_NO_SMARTCARD);
SAME_CODE(SCSIM_SCARD_E_INVALID_VALUE, SCARD_E_INVALID_VALUE);
SAME_CODE(SCSIM_SCARD_F_UNKNOWN_ERROR, SCARD_F_UNKNOWN_ERROR);
SAME_CODE(SCSIM_SCARD_E_UNEXPECTED, SCARD_E_UNEXPECTED);
SAME_CODE(SCSIM_SCARD_E_INVALID_CHV, SCARD_E_INVALID_CHV);
SAME_CODE(SCSIM_SCARD_E_NO_READERS_AVAILABLE, SCARD_E_NO_READERS_AVAILABLE);
SAME_CODE(SCSIM_SCARD_W_RESET_CARD, SCARD_W_RESET_CARD);
SAME_CODE(SCSIM_SCARD_W_REMOVED_CARD, SCARD_W_REMOVED_CARD);
SAME_CODE(SCSIM_SCARD_W_SECURITY_VIOLATION, SCARD_W_SECURITY_VIOLATION);
SAME_CODE(SCSIM_SCARD_W_WRONG_CHV, SCARD_W_WRONG_CHV);
SAME_CODE(SCSIM_SCARD_W_CHV_BLOCKED, SCARD_W_CHV_BLOCKED);
SAME_CODE(SCSIM_SCARD_W_CARD_NOT_AUTHENTICATED, SCARD_W_CARD_NOT_AUTHENTICATED);

/* longer than a reader driver's presence poll (pcsc-lite polls vpcd every 400 ms) */
#define SCV_PCSC_POLL_MS 1000u

struct pcsc {
        SCARDCONTEXT ctx;
        SCARDHANDLE card;
        DWORD proto;
        int connected;
        pchar *reader; /* the name connected to, for scv_pcsc_reattach */
};

/* LONG is 32 bits in winscard.dll and 64 in pcsc-lite: int64_t holds both, sign and all. */
static scsim_hresult hr(LONG rc)
{
        return scsim_hresult_from_pcsc((int64_t)rc);
}

static scsim_hresult pcsc_transmit(void *vctx, const uint8_t *capdu, size_t clen, uint8_t *rapdu,
                                   size_t cap, size_t *rlen)
{
        struct pcsc *p = vctx;
        const SCARD_IO_REQUEST *pci = p->proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
        DWORD n = cap > UINT32_MAX ? UINT32_MAX : (DWORD)cap;
        LONG rc;

        *rlen = 0;
        if (clen > UINT32_MAX)
                return SCSIM_E_INVALIDARG;
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

scsim_hresult scv_pcsc_atr(void *vctx, uint8_t *atr, size_t cap, size_t *len)
{
        struct pcsc *p = vctx;
        DWORD rlen = 0, state = 0, proto = 0, alen = cap > 64 ? 64 : (DWORD)cap;
        LONG rc;

        *len = 0;
        /* no reader name wanted, only its length */
        rc = pcsc_status(p->card, NULL, &rlen, &state, &proto, atr, &alen);
        if (rc != SCARD_S_SUCCESS)
                return hr(rc);
        *len = (size_t)alen;
        return SCSIM_S_OK;
}

scsim_hresult scv_pcsc_reattach(void *vctx, unsigned timeout_ms)
{
        struct pcsc *p = vctx;
        pcsc_readerstate st;
        LONG rc;

        /*
         * Leave the card as it is: a reset sent to a card that went away makes
         * pcsc-lite mark the reader empty for its clients, and if another card
         * is there by the next poll, the reader stays "empty" for good.
         */
        if (p->connected)
                SCardDisconnect(p->card, SCARD_LEAVE_CARD);
        p->connected = 0;
        memset(&st, 0, sizeof(st));
        st.szReader = p->reader;
        st.dwCurrentState = SCARD_STATE_UNAWARE;
        /*
         * A card that went away is still shown present until the reader's next
         * poll (vpcd's is 400 ms): give that poll a chance to see it gone first.
         * A card that stays (mute, or only slow) is taken again after it.
         */
        if (pcsc_status_change(p->ctx, 0, &st, 1) == SCARD_S_SUCCESS &&
            (st.dwEventState & SCARD_STATE_PRESENT) != 0) {
                st.dwCurrentState = st.dwEventState;
                (void)pcsc_status_change(p->ctx, SCV_PCSC_POLL_MS, &st, 1);
                st.dwCurrentState = SCARD_STATE_UNAWARE;
        }
        /* each change of the reader's state ends a wait; a few are enough for a card to return */
        for (unsigned i = 0;; i++) {
                if ((rc = pcsc_status_change(p->ctx, timeout_ms, &st, 1)) != SCARD_S_SUCCESS)
                        return hr(rc);
                if ((st.dwEventState & SCARD_STATE_PRESENT) != 0 &&
                    (st.dwEventState & SCARD_STATE_MUTE) == 0)
                        break;
                if (i == 16)
                        return SCSIM_SCARD_E_NO_SMARTCARD;
                st.dwCurrentState = st.dwEventState;
        }
        rc = pcsc_connect(p->ctx, p->reader, SCARD_SHARE_SHARED,
                          SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &p->card, &p->proto);
        if (rc != SCARD_S_SUCCESS)
                return hr(rc);
        p->connected = 1;
        return SCSIM_S_OK;
}

static void pcsc_close(void *vctx)
{
        struct pcsc *p = vctx;

        if (p == NULL)
                return;
        if (p->connected)
                SCardDisconnect(p->card, SCARD_LEAVE_CARD);
        SCardReleaseContext(p->ctx);
        free(p->reader);
        free(p);
}

/* The first reader in the multi-string list that holds a card, copied for the caller to free. */
static scsim_hresult first_with_card(SCARDCONTEXT ctx, const pchar *list, pchar **out)
{
        pcsc_readerstate st;

        for (const pchar *r = list; *r != 0; r += pchar_len(r) + 1) {
                memset(&st, 0, sizeof(st));
                st.szReader = r;
                st.dwCurrentState = SCARD_STATE_UNAWARE;
                if (pcsc_status_change(ctx, 0, &st, 1) != SCARD_S_SUCCESS)
                        continue;
                if ((st.dwEventState & SCARD_STATE_PRESENT) != 0 &&
                    (st.dwEventState & SCARD_STATE_MUTE) == 0) {
                        const size_t n = (pchar_len(r) + 1) * sizeof(*r);
                        if ((*out = malloc(n)) == NULL)
                                return SCSIM_E_OUTOFMEMORY;
                        memcpy(*out, r, n);
                        return SCSIM_S_OK;
                }
        }
        return SCSIM_SCARD_E_NO_SMARTCARD;
}

/* PC/SC's reader list as a multi-string the caller frees; an HRESULT. */
static scsim_hresult list_readers(SCARDCONTEXT ctx, pchar **out)
{
        pchar *list = NULL;
        DWORD len = 0;
        LONG rc;

        *out = NULL;
        rc = pcsc_list_readers(ctx, NULL, NULL, &len);
        if (rc == SCARD_E_NO_READERS_AVAILABLE || (rc == SCARD_S_SUCCESS && len <= 1))
                return SCSIM_SCARD_E_NO_READERS_AVAILABLE;
        if (rc != SCARD_S_SUCCESS)
                return hr(rc);
        /* len counts characters, the two final NULs included; one more guards the walk */
        if ((list = calloc((size_t)len + 1, sizeof(*list))) == NULL)
                return SCSIM_E_OUTOFMEMORY;
        /* a reader may come or go between the two calls: then the list is shorter or refused */
        if ((rc = pcsc_list_readers(ctx, NULL, list, &len)) != SCARD_S_SUCCESS) {
                free(list);
                return hr(rc);
        }
        *out = list;
        return SCSIM_S_OK;
}

/* Call fn for each reader of list with its UTF-8 name and whether a card answers in it. */
static void each_reader(SCARDCONTEXT ctx, const pchar *list, void (*fn)(void *, const char *, int),
                        void *arg)
{
        pcsc_readerstate st;
        char name[1024];

        for (const pchar *r = list; *r != 0; r += pchar_len(r) + 1) {
                memset(&st, 0, sizeof(st));
                st.szReader = r;
                st.dwCurrentState = SCARD_STATE_UNAWARE;
                if (name_out(r, name, sizeof(name)) != 0)
                        continue; /* no name we could give back */
                if (pcsc_status_change(ctx, 0, &st, 1) != SCARD_S_SUCCESS)
                        st.dwEventState = 0;
                fn(arg, name,
                   (st.dwEventState & SCARD_STATE_PRESENT) != 0 &&
                       (st.dwEventState & SCARD_STATE_MUTE) == 0);
        }
}

scsim_hresult scsim_scv_list_readers(void (*fn)(void *arg, const char *name, int card_present),
                                     void *arg)
{
        SCARDCONTEXT ctx;
        pchar *list = NULL;
        LONG rc;
        scsim_hresult res;

        if (fn == NULL)
                return SCSIM_E_POINTER;
        if ((rc = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx)) != SCARD_S_SUCCESS)
                return hr(rc);
        if ((res = list_readers(ctx, &list)) == SCSIM_S_OK)
                each_reader(ctx, list, fn, arg);
        free(list);
        SCardReleaseContext(ctx);
        return res;
}

/* The reader to use when none is named: the first holding a card. */
static scsim_hresult pick_reader(SCARDCONTEXT ctx, pchar **out)
{
        pchar *list = NULL;
        scsim_hresult res = list_readers(ctx, &list);

        if (res == SCSIM_S_OK)
                res = first_with_card(ctx, list, out);
        free(list);
        return res;
}

scsim_hresult scv_pcsc_open(const char *reader, struct scsim_scv_transport *ops, void **out,
                            char *name, size_t name_cap)
{
        struct pcsc *p = NULL;
        pchar *want = NULL;
        LONG rc;
        scsim_hresult res = SCSIM_E_OUTOFMEMORY;

        *out = NULL;
        if (name_cap == 0)
                return SCSIM_E_INVALIDARG;
        name[0] = '\0';
        if ((p = calloc(1, sizeof(*p))) == NULL)
                return SCSIM_E_OUTOFMEMORY;
        if ((rc = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &p->ctx)) !=
            SCARD_S_SUCCESS) {
                free(p);
                return hr(rc);
        }
        if (reader != NULL && reader[0] != '\0') {
                if ((want = name_in(reader)) == NULL) {
                        res = SCSIM_E_INVALIDARG; /* not UTF-8 */
                        goto fail;
                }
        } else if ((want = reader_from_env()) == NULL &&
                   (res = pick_reader(p->ctx, &want)) != SCSIM_S_OK) {
                goto fail;
        }
        if (name_out(want, name, name_cap) != 0) {
                name[0] = '\0';
                res = SCSIM_E_INVALIDARG; /* longer than any reader name PC/SC allows */
                goto fail;
        }
        rc = pcsc_connect(p->ctx, want, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
                          &p->card, &p->proto);
        if (rc != SCARD_S_SUCCESS) {
                res = hr(rc);
                goto fail;
        }
        p->connected = 1;
        p->reader = want;
        want = NULL;
        ops->transmit = pcsc_transmit;
        ops->reconnect = pcsc_reconnect;
        ops->close = pcsc_close;
        *out = p;
        p = NULL;
        res = SCSIM_S_OK;
fail:
        free(want);
        pcsc_close(p);
        return res;
}
