/* SPDX-License-Identifier: MIT */
/* C-APDU decoding (ISO 7816-3 cases, ISO 7816-4 class byte) and the response buffer. */
#ifndef SCSIM_APDU_H
#define SCSIM_APDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum apdu_case {
        APDU_CASE_1,  /* CLA INS P1 P2 */
        APDU_CASE_2S, /* ... Le */
        APDU_CASE_3S, /* ... Lc data */
        APDU_CASE_4S, /* ... Lc data Le */
        APDU_CASE_2E, /* ... 00 Le1 Le2 */
        APDU_CASE_3E, /* ... 00 Lc1 Lc2 data */
        APDU_CASE_4E, /* ... 00 Lc1 Lc2 data Le1 Le2 */
};

struct apdu {
        uint8_t cla;
        uint8_t ins;
        uint8_t p1;
        uint8_t p2;
        enum apdu_case kase;
        const uint8_t *data; /* points into the caller's buffer; NULL when nc == 0 */
        size_t nc;
        size_t ne; /* 0 when Le is absent; 256 / 65536 for Le = 00 / 0000 */
        bool extended;
};

/* Decode buf into *out. Returns 0, or -1 for a length that fits no case (6700). */
int apdu_decode(const uint8_t *buf, size_t len, struct apdu *out);

/*
 * For a command that has no Le field: is there none? CLA INS P1 P2 00 counts
 * as none, being how T=0 carries a case-1 command.
 */
static inline bool apdu_no_le(const struct apdu *a)
{
        return a->ne == 0 || (a->kase == APDU_CASE_2S && a->ne == 256);
}

/* The largest Ne this APDU's form can express: "give me all you have". */
static inline bool apdu_ne_is_max(const struct apdu *a)
{
        return a->ne == (a->extended ? 65536u : 256u);
}

struct cla_info {
        unsigned channel; /* 0..19 */
        bool chained;     /* more parts follow */
        bool sm;          /* secure messaging indicated */
};

/*
 * Decode an interindustry class byte. Returns 9000, or the status word for
 * a class byte the card does not accept (6E00).
 */
uint16_t apdu_decode_cla(uint8_t cla, struct cla_info *out);

/* A bounded output buffer for response data. Writes past cap fail and set overflow. */
struct rbuf {
        uint8_t *p;
        size_t cap;
        size_t len;
        bool overflow;
};

bool rbuf_put(struct rbuf *r, const void *data, size_t n);
bool rbuf_put_u8(struct rbuf *r, uint8_t b);

/* Status words the card uses (reference/card-security.md). */
#define SW_OK                   0x9000
#define SW_EOF_WARNING          0x6282
#define SW_VERIFY_FAILED        0x6300
#define SW_COUNTER(x)           ((uint16_t)(0x63C0 | ((x)&0x0f)))
#define SW_MEMORY_FAILURE       0x6581
#define SW_WRONG_LENGTH         0x6700
#define SW_CHANNEL_UNSUPPORTED  0x6881
#define SW_SM_UNSUPPORTED       0x6882
#define SW_LAST_CMD_EXPECTED    0x6883
#define SW_CHAINING_UNSUPPORTED 0x6884
#define SW_INCOMPATIBLE_FILE    0x6981
#define SW_SECURITY_STATUS      0x6982
#define SW_AUTH_BLOCKED         0x6983
#define SW_REF_DATA_UNUSABLE    0x6984
#define SW_CONDITIONS           0x6985
#define SW_NO_CURRENT_EF        0x6986
#define SW_WRONG_DATA           0x6A80
#define SW_FUNC_UNSUPPORTED     0x6A81
#define SW_NOT_FOUND            0x6A82
#define SW_FILE_FULL            0x6A84
#define SW_WRONG_P1P2           0x6A86
#define SW_REF_NOT_FOUND        0x6A88
#define SW_WRONG_P1P2_OFFSET    0x6B00
#define SW_WRONG_LE(x)          ((uint16_t)(0x6C00 | ((x)&0xff)))
#define SW_INS_UNSUPPORTED      0x6D00
#define SW_CLA_UNSUPPORTED      0x6E00
#define SW_MORE_DATA(x)         ((uint16_t)(0x6100 | ((x)&0xff)))

#endif
