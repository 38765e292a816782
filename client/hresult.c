/* SPDX-License-Identifier: MIT */
/* Status words and PC/SC return values -> HRESULTs (reference/card-security.md section 1). */
#include <stddef.h>

#include <scsim/iscardverify.h>

struct hr_name {
        scsim_hresult hr;
        const char *name;
};

/* Every code the library can return; pcsc-lite's other failures keep pcsc-lite's names. */
static const struct hr_name names[] = {
    {SCSIM_S_OK, "S_OK"},
    {SCSIM_E_OUTOFMEMORY, "E_OUTOFMEMORY"},
    {SCSIM_E_INVALIDARG, "E_INVALIDARG"},
    {SCSIM_E_POINTER, "E_POINTER"},
    {SCSIM_E_NOINTERFACE, "E_NOINTERFACE"},
    {SCSIM_SCARD_F_INTERNAL_ERROR, "SCARD_F_INTERNAL_ERROR"},
    {0x80100002u, "SCARD_E_CANCELLED"},
    {0x80100003u, "SCARD_E_INVALID_HANDLE"},
    {0x80100004u, "SCARD_E_INVALID_PARAMETER"},
    {0x80100006u, "SCARD_E_NO_MEMORY"},
    {0x80100008u, "SCARD_E_INSUFFICIENT_BUFFER"},
    {0x80100009u, "SCARD_E_UNKNOWN_READER"},
    {0x8010000Au, "SCARD_E_TIMEOUT"},
    {0x8010000Bu, "SCARD_E_SHARING_VIOLATION"},
    {SCSIM_SCARD_E_NO_SMARTCARD, "SCARD_E_NO_SMARTCARD"},
    {0x8010000Du, "SCARD_E_UNKNOWN_CARD"},
    {0x8010000Fu, "SCARD_E_PROTO_MISMATCH"},
    {0x80100010u, "SCARD_E_NOT_READY"},
    {SCSIM_SCARD_E_INVALID_VALUE, "SCARD_E_INVALID_VALUE"},
    {0x80100013u, "SCARD_F_COMM_ERROR"},
    {SCSIM_SCARD_F_UNKNOWN_ERROR, "SCARD_F_UNKNOWN_ERROR"},
    {0x80100017u, "SCARD_E_READER_UNAVAILABLE"},
    {0x8010001Du, "SCARD_E_NO_SERVICE"},
    {0x8010001Eu, "SCARD_E_SERVICE_STOPPED"},
    {SCSIM_SCARD_E_UNEXPECTED, "SCARD_E_UNEXPECTED"},
    {SCSIM_SCARD_E_INVALID_CHV, "SCARD_E_INVALID_CHV"},
    {SCSIM_SCARD_E_NO_READERS_AVAILABLE, "SCARD_E_NO_READERS_AVAILABLE"},
    {0x8010002Fu, "SCARD_E_COMM_DATA_LOST"},
    {0x80100065u, "SCARD_W_UNSUPPORTED_CARD"},
    {0x80100066u, "SCARD_W_UNRESPONSIVE_CARD"},
    {0x80100067u, "SCARD_W_UNPOWERED_CARD"},
    {SCSIM_SCARD_W_RESET_CARD, "SCARD_W_RESET_CARD"},
    {SCSIM_SCARD_W_REMOVED_CARD, "SCARD_W_REMOVED_CARD"},
    {SCSIM_SCARD_W_SECURITY_VIOLATION, "SCARD_W_SECURITY_VIOLATION"},
    {SCSIM_SCARD_W_WRONG_CHV, "SCARD_W_WRONG_CHV"},
    {SCSIM_SCARD_W_CHV_BLOCKED, "SCARD_W_CHV_BLOCKED"},
    {SCSIM_SCARD_W_CARD_NOT_AUTHENTICATED, "SCARD_W_CARD_NOT_AUTHENTICATED"},
};

const char *scsim_hresult_name(scsim_hresult hr)
{
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (names[i].hr == hr)
                        return names[i].name;
        return "UNKNOWN_HRESULT";
}

scsim_hresult scsim_hresult_from_sw(uint16_t sw, int was_query)
{
        if (sw == 0x9000)
                return SCSIM_S_OK;
        if ((sw & 0xfff0) == 0x63c0 || sw == 0x6300)
                return was_query ? SCSIM_SCARD_W_CARD_NOT_AUTHENTICATED : SCSIM_SCARD_W_WRONG_CHV;
        switch (sw) {
        case 0x6983:
                return SCSIM_SCARD_W_CHV_BLOCKED;
        case 0x6982:
        case 0x6984:
        case 0x6985:
                return SCSIM_SCARD_W_SECURITY_VIOLATION;
        case 0x6a88:
                return SCSIM_SCARD_E_INVALID_CHV;
        case 0x6a80:
                /* beyond the table: a code the card rejects as malformed was never compared */
                return SCSIM_SCARD_E_INVALID_VALUE;
        default:
                /* beyond the table: the caller still sees the status word itself */
                return SCSIM_SCARD_E_UNEXPECTED;
        }
}

scsim_hresult scsim_hresult_from_pcsc(int64_t rc)
{
        /* pcsc-lite's codes are already HRESULTs (facility 0x10); only the width differs */
        if (rc == 0)
                return SCSIM_S_OK;
        if (rc >= 0x80100000LL && rc <= 0x8010FFFFLL)
                return (scsim_hresult)rc;
        if (rc < 0 && rc >= INT32_MIN) { /* a build where LONG is 32 bits */
                uint32_t u = (uint32_t)(int32_t)rc;
                if ((u & 0xffff0000u) == 0x80100000u)
                        return u;
        }
        return SCSIM_SCARD_F_UNKNOWN_ERROR;
}
