/* SPDX-License-Identifier: MIT */
/* ISCardVerify over PC/SC: card-holder verification as Microsoft's interface has it. */
#ifndef SCSIM_ISCARDVERIFY_H
#define SCSIM_ISCARDVERIFY_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * SCSIM_SCV_API marks the public functions and data: a Windows DLL exports
 * these and nothing else, and its users import them. Define
 * SCSIM_ISCARDVERIFY_STATIC to link the static library on Windows instead.
 */
#if defined(_WIN32) && !defined(SCSIM_ISCARDVERIFY_STATIC)
#if defined(SCSIM_ISCARDVERIFY_BUILD)
#define SCSIM_SCV_API __declspec(dllexport)
#else
#define SCSIM_SCV_API __declspec(dllimport)
#endif
#elif defined(__GNUC__) && !defined(_WIN32)
#define SCSIM_SCV_API __attribute__((visibility("default")))
#else
#define SCSIM_SCV_API
#endif

/*
 * Results are HRESULTs with the values Windows and pcsc-lite give them. They
 * are unsigned here so that the values print and compare the same on every
 * platform (pcsc-lite's LONG is 64 bits on 64-bit Linux); a failure has the
 * top bit set.
 */
typedef uint32_t scsim_hresult;

#define SCSIM_SUCCEEDED(hr) ((((scsim_hresult)(hr)) & 0x80000000u) == 0)
#define SCSIM_FAILED(hr)    ((((scsim_hresult)(hr)) & 0x80000000u) != 0)

#define SCSIM_S_OK                           0x00000000u
#define SCSIM_E_OUTOFMEMORY                  0x8007000Eu
#define SCSIM_E_INVALIDARG                   0x80070057u
#define SCSIM_E_POINTER                      0x80004003u
#define SCSIM_E_NOINTERFACE                  0x80004002u
#define SCSIM_SCARD_F_INTERNAL_ERROR         0x80100001u
#define SCSIM_SCARD_E_NO_SMARTCARD           0x8010000Cu
#define SCSIM_SCARD_E_INVALID_VALUE          0x80100011u
#define SCSIM_SCARD_F_UNKNOWN_ERROR          0x80100014u
#define SCSIM_SCARD_E_UNEXPECTED             0x8010001Fu
#define SCSIM_SCARD_E_INVALID_CHV            0x8010002Au
#define SCSIM_SCARD_E_NO_READERS_AVAILABLE   0x8010002Eu
#define SCSIM_SCARD_W_RESET_CARD             0x80100068u
#define SCSIM_SCARD_W_REMOVED_CARD           0x80100069u
#define SCSIM_SCARD_W_SECURITY_VIOLATION     0x8010006Au
#define SCSIM_SCARD_W_WRONG_CHV              0x8010006Bu
#define SCSIM_SCARD_W_CHV_BLOCKED            0x8010006Cu
#define SCSIM_SCARD_W_CARD_NOT_AUTHENTICATED 0x8010006Fu

/*
 * Flags. Microsoft never published the SC_FL_IHV_* values, so these are
 * scsim's own; docs/iscardverify.md lists them. GLOBAL and LOCAL choose the
 * scope bit (b8) of P2; ENABLE and DISABLE make ChangeCode switch the
 * verification requirement instead of replacing the code; KEEP_CODE makes
 * Unblock send the unblock code alone and keep the current code.
 */
#define SCSIM_FL_GLOBAL    0x0000u
#define SCSIM_FL_LOCAL     0x0001u
#define SCSIM_FL_ENABLE    0x0002u
#define SCSIM_FL_DISABLE   0x0004u
#define SCSIM_FL_KEEP_CODE 0x0008u

/* Highest reference number: P2 b5..b1. */
#define SCSIM_REF_MAX 0x1F

/* Static name of an HRESULT ("SCARD_W_WRONG_CHV"), "UNKNOWN_HRESULT" if unknown. */
SCSIM_SCV_API const char *scsim_hresult_name(scsim_hresult hr);

/*
 * The mapping the library applies, for callers with their own transport:
 * a status word (with the operation that produced it: a VERIFY without data
 * answering 63Cx means nothing was presented), and a PC/SC return value.
 */
SCSIM_SCV_API scsim_hresult scsim_hresult_from_sw(uint16_t sw, int was_query);
SCSIM_SCV_API scsim_hresult scsim_hresult_from_pcsc(int64_t rc);

/* ---- plain C binding ---------------------------------------------------- */

typedef struct scsim_scv scsim_scv;

/*
 * A transport carries APDUs to one card. The library owns nothing of it but
 * calls close when the object is freed. Every callback returns an HRESULT:
 * SCSIM_S_OK or the PC/SC failure (SCSIM_SCARD_W_RESET_CARD when another
 * handle reset the card, SCSIM_SCARD_W_REMOVED_CARD when it went away).
 * reconnect: warm_reset != 0 resets the card (SCardReconnect SCARD_RESET_CARD),
 * 0 only acknowledges a reset made by someone else (SCARD_LEAVE_CARD).
 */
struct scsim_scv_transport {
        scsim_hresult (*transmit)(void *ctx, const uint8_t *capdu, size_t clen, uint8_t *rapdu,
                                  size_t cap, size_t *rlen);
        scsim_hresult (*reconnect)(void *ctx, int warm_reset);
        void (*close)(void *ctx);
};

/*
 * Attach to a reader, as ISCardManage::CreateCHVerification would. reader
 * NULL: $SCSIM_READER if set, else the first reader holding a card.
 */
SCSIM_SCV_API scsim_hresult scsim_scv_attach(const char *reader, scsim_scv **out);
/*
 * The readers PC/SC has, in its order (the order an index into them, such as
 * opensc-tool's -r, counts): fn is called once per reader with its name
 * (UTF-8, borrowed for the call) and whether it holds a card that answers.
 * Returns S_OK, SCARD_E_NO_READERS_AVAILABLE, or the PC/SC failure
 * (SCARD_E_NO_SERVICE when no pcscd or smart card service runs).
 */
SCSIM_SCV_API scsim_hresult scsim_scv_list_readers(void (*fn)(void *arg, const char *name,
                                                              int card_present),
                                                   void *arg);
/* Attach to any transport (a test double, another stack); ctx is closed on free. */
SCSIM_SCV_API scsim_hresult scsim_scv_new(const struct scsim_scv_transport *t, void *ctx,
                                          scsim_scv **out);
/* Drop the caller's reference; the object goes when the last one does. */
SCSIM_SCV_API void scsim_scv_free(scsim_scv **v);

/* Name of the attached reader (borrowed), "" when the transport has none. */
SCSIM_SCV_API const char *scsim_scv_reader(const scsim_scv *v);

/*
 * The four methods. ref is 0..SCSIM_REF_MAX; flags are SCSIM_FL_*. Verify
 * with no code (len 0) asks the card whether the reference is verified.
 * ChangeCode with no old code sends the new one alone (the reference must be
 * verified already); with ENABLE or DISABLE it sends only the old code.
 * Unblock sends the unblock code followed by the new code (new may be NULL
 * with SCSIM_FL_KEEP_CODE).
 */
SCSIM_SCV_API scsim_hresult scsim_scv_verify(scsim_scv *v, const uint8_t *code, size_t len,
                                             uint32_t flags, int32_t ref);
SCSIM_SCV_API scsim_hresult scsim_scv_change_code(scsim_scv *v, const uint8_t *old_code,
                                                  size_t old_len, const uint8_t *new_code,
                                                  size_t new_len, uint32_t flags, int32_t ref);
SCSIM_SCV_API scsim_hresult scsim_scv_unblock(scsim_scv *v, const uint8_t *unblock_code,
                                              size_t unblock_len, const uint8_t *new_code,
                                              size_t new_len, uint32_t flags, int32_t ref);
SCSIM_SCV_API scsim_hresult scsim_scv_reset_security_state(scsim_scv *v);

/* Also reset this reference in ResetSecurityState, even if never verified here. */
SCSIM_SCV_API scsim_hresult scsim_scv_register_ref(scsim_scv *v, uint32_t flags, int32_t ref);

/*
 * Send one APDU through the same path (reconnect once after a reset by
 * another handle, 61xx and 6Cxx handled). *sw receives the status word; the
 * data without it goes to resp. Returns the PC/SC failure, or the status
 * word's mapping.
 */
SCSIM_SCV_API scsim_hresult scsim_scv_transmit(scsim_scv *v, const uint8_t *capdu, size_t clen,
                                               uint8_t *resp, size_t cap, size_t *rlen,
                                               uint16_t *sw);

/* What the card said to the last command: status word (0 if none) and tries left (-1 if unknown).
 */
SCSIM_SCV_API uint16_t scsim_scv_last_sw(const scsim_scv *v);
SCSIM_SCV_API int scsim_scv_tries_left(const scsim_scv *v);
/* How the last ResetSecurityState reset the card: 0 none yet, 1 VERIFY P1=FF, 2 warm reset. */
SCSIM_SCV_API int scsim_scv_last_reset_method(const scsim_scv *v);

/* ---- COM-style binding -------------------------------------------------- */

typedef struct {
        uint32_t data1;
        uint16_t data2, data3;
        uint8_t data4[8];
} scsim_iid;

/* scsim's own interface identifiers (documented in docs/iscardverify.md). */
extern SCSIM_SCV_API const scsim_iid SCSIM_IID_IUnknown;
extern SCSIM_SCV_API const scsim_iid SCSIM_IID_ISCardVerify;

typedef struct scsim_iscardverify scsim_iscardverify;

struct scsim_iscardverify_vtbl {
        scsim_hresult (*QueryInterface)(scsim_iscardverify *This, const scsim_iid *riid,
                                        void **ppv);
        uint32_t (*AddRef)(scsim_iscardverify *This);
        uint32_t (*Release)(scsim_iscardverify *This);
        scsim_hresult (*Verify)(scsim_iscardverify *This, const uint8_t *code, uint32_t len,
                                int32_t flags, int32_t ref);
        scsim_hresult (*ChangeCode)(scsim_iscardverify *This, const uint8_t *old_code,
                                    uint32_t old_len, const uint8_t *new_code, uint32_t new_len,
                                    int32_t flags, int32_t ref);
        scsim_hresult (*Unblock)(scsim_iscardverify *This, const uint8_t *data, uint32_t len,
                                 int32_t flags, int32_t ref);
        scsim_hresult (*ResetSecurityState)(scsim_iscardverify *This);
};

struct scsim_iscardverify {
        const struct scsim_iscardverify_vtbl *lpVtbl;
};

/* ISCardManage::CreateCHVerification: attach (as scsim_scv_attach) and hand out the interface. */
SCSIM_SCV_API scsim_hresult scsim_create_chv_verification(const char *reader,
                                                          scsim_iscardverify **out);
/* The interface of an existing object (AddRef'd: Release it when done). */
SCSIM_SCV_API scsim_hresult scsim_scv_query_iscardverify(scsim_scv *v, scsim_iscardverify **out);
/* The object behind an interface pointer (borrowed), for the plain functions. */
SCSIM_SCV_API scsim_scv *scsim_scv_from_iscardverify(scsim_iscardverify *iface);

#ifdef __cplusplus
}
#endif

#endif
