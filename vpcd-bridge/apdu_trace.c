/* SPDX-License-Identifier: MIT */
/* Human-readable APDU traces: command names, status word meanings, secrets masked. */
#include "apdu_trace.h"

#include <stdio.h>
#include <string.h>

#include "apdu.h"

struct ins_row {
        uint8_t ins;
        const char *name;
        bool secret;
};

/* Interindustry instructions (ISO 7816-4, 7816-8, 7816-9) and the PIV/OpenPGP/GlobalPlatform ones
 * clients send. */
static const struct ins_row ins_table[] = {
    {0x0e, "ERASE BINARY", false},
    {0x20, "VERIFY", true},
    {0x21, "VERIFY", true},
    {0x22, "MANAGE SECURITY ENVIRONMENT", false},
    {0x24, "CHANGE REFERENCE DATA", true},
    {0x25, "CHANGE REFERENCE DATA", true},
    {0x26, "DISABLE VERIFICATION REQUIREMENT", true},
    {0x28, "ENABLE VERIFICATION REQUIREMENT", true},
    {0x2a, "PERFORM SECURITY OPERATION", false},
    {0x2c, "RESET RETRY COUNTER", true},
    {0x2d, "RESET RETRY COUNTER", true},
    {0x44, "ACTIVATE FILE", false},
    {0x46, "GENERATE ASYMMETRIC KEY PAIR", false},
    {0x47, "GENERATE ASYMMETRIC KEY PAIR", false},
    {0x70, "MANAGE CHANNEL", false},
    {0x82, "EXTERNAL AUTHENTICATE", true},
    {0x84, "GET CHALLENGE", false},
    {0x86, "GENERAL AUTHENTICATE", true},
    {0x87, "GENERAL AUTHENTICATE", true},
    {0x88, "INTERNAL AUTHENTICATE", false},
    {0xa4, "SELECT", false},
    {0xa5, "SELECT DATA", false},
    {0xb0, "READ BINARY", false},
    {0xb1, "READ BINARY", false},
    {0xb2, "READ RECORD", false},
    {0xb3, "READ RECORD", false},
    {0xc0, "GET RESPONSE", false},
    {0xc2, "ENVELOPE", false},
    {0xca, "GET DATA", false},
    {0xcb, "GET DATA", false},
    {0xcc, "GET NEXT DATA", false},
    {0xd6, "UPDATE BINARY", false},
    {0xd7, "UPDATE BINARY", false},
    {0xda, "PUT DATA", true}, /* OpenPGP: the resetting code (D3), KDF hashes (F9) */
    {0xdb, "PUT DATA", true}, /* OpenPGP: private keys (4D) */
    {0xdc, "UPDATE RECORD", false},
    {0xe0, "CREATE FILE", false},
    {0xe2, "APPEND RECORD", false},
    {0xe4, "DELETE FILE", false},
    {0xe6, "TERMINATE DF", false},
    {0xe8, "TERMINATE CARD USAGE", false},
    {0xf7, "GET METADATA", false},
    {0xf8, "GET SERIAL", false},
    {0xfa, "SET PIN RETRIES", false},
    {0xfb, "RESET", false},
    {0xfd, "GET VERSION", false},
    {0xfe, "IMPORT ASYMMETRIC KEY", true}, /* YubiKey: private key bytes */
    {0xff, "SET MANAGEMENT KEY", true},    /* YubiKey: the new management key */
};

static const struct ins_row *ins_lookup(uint8_t ins)
{
        for (size_t i = 0; i < sizeof(ins_table) / sizeof(ins_table[0]); i++)
                if (ins_table[i].ins == ins)
                        return &ins_table[i];
        return NULL;
}

const char *apdu_trace_ins_name(uint8_t cla, uint8_t ins)
{
        const struct ins_row *row = ins_lookup(ins);

        /* CLA FF is the PC/SC pseudo-APDU class (reader commands), not the card's. */
        if (cla == 0xff)
                return "PSEUDO-APDU";
        return row != NULL ? row->name : NULL;
}

bool apdu_trace_ins_is_secret(uint8_t ins)
{
        const struct ins_row *row = ins_lookup(ins);

        return row != NULL && row->secret;
}

/* GENERAL AUTHENTICATE and PERFORM SECURITY OPERATION answer decrypted data and ECDH secrets. */
bool apdu_trace_answer_is_secret(uint8_t ins)
{
        return ins == 0x87 || ins == 0x2a;
}

size_t apdu_trace_format_answer(uint8_t ins, const uint8_t *data, size_t len, bool show_secrets,
                                char *buf, size_t cap)
{
        int n;

        if (show_secrets || len == 0 || !apdu_trace_answer_is_secret(ins))
                return apdu_trace_hex(data, len, buf, cap);
        n = snprintf(buf, cap, "[%zu bytes masked]", len);
        return n < 0 ? 0 : (size_t)n;
}

struct sw_row {
        uint16_t sw;
        const char *meaning;
};

static const struct sw_row sw_table[] = {
    {0x9000, "ok"},
    {0x6282, "end of file reached before Le bytes"},
    {0x6300, "verification failed"},
    {0x6581, "memory failure"},
    {0x6700, "wrong length"},
    {0x6881, "logical channel not supported"},
    {0x6882, "secure messaging not supported"},
    {0x6883, "last command of the chain expected"},
    {0x6884, "command chaining not supported"},
    {0x6981, "command incompatible with file structure"},
    {0x6982, "security status not satisfied"},
    {0x6983, "authentication method blocked"},
    {0x6984, "reference data not usable"},
    {0x6985, "conditions of use not satisfied"},
    {0x6986, "command not allowed (no current EF)"},
    {0x6a80, "incorrect data"},
    {0x6a81, "function not supported"},
    {0x6a82, "file or application not found"},
    {0x6a84, "not enough memory"},
    {0x6a86, "incorrect P1-P2"},
    {0x6a88, "referenced data not found"},
    {0x6b00, "wrong P1-P2"},
    {0x6d00, "instruction not supported"},
    {0x6e00, "class not supported"},
    {0x6f00, "no precise diagnosis"},
};

const char *apdu_trace_sw_meaning(uint16_t sw, char *buf, size_t cap)
{
        unsigned sw1 = sw >> 8u, sw2 = sw & 0xffu;

        if (buf == NULL || cap == 0)
                return "";
        for (size_t i = 0; i < sizeof(sw_table) / sizeof(sw_table[0]); i++) {
                if (sw_table[i].sw == sw) {
                        snprintf(buf, cap, "%s", sw_table[i].meaning);
                        return buf;
                }
        }
        if (sw1 == 0x61)
                snprintf(buf, cap, "%u more bytes available", sw2 == 0 ? 256u : sw2);
        else if (sw1 == 0x6c)
                snprintf(buf, cap, "wrong Le, %u bytes available", sw2 == 0 ? 256u : sw2);
        else if (sw1 == 0x63 && (sw2 & 0xf0u) == 0xc0u)
                snprintf(buf, cap, "verification failed, %u tries left", sw2 & 0x0fu);
        else if (sw1 == 0x62 || sw1 == 0x63)
                snprintf(buf, cap, "warning");
        else if (sw1 >= 0x64 && sw1 <= 0x6f)
                snprintf(buf, cap, "error");
        else
                snprintf(buf, cap, "unknown status");
        return buf;
}

/* Appends formatted text; out tracks the would-be length like snprintf so truncation is visible. */
struct sink {
        char *buf;
        size_t cap;
        size_t len;
};

static void sink_put(struct sink *s, const char *text)
{
        size_t n = strlen(text);

        if (s->len < s->cap) {
                size_t room = s->cap - s->len - 1;
                size_t take = n < room ? n : room;
                memcpy(s->buf + s->len, text, take);
                s->buf[s->len + take] = '\0';
        }
        s->len += n;
}

static void sink_hex(struct sink *s, const uint8_t *p, size_t len)
{
        char byte[4];

        for (size_t i = 0; i < len; i++) {
                snprintf(byte, sizeof(byte), "%s%02X", (s->len == 0) ? "" : " ", p[i]);
                sink_put(s, byte);
        }
}

size_t apdu_trace_hex(const uint8_t *p, size_t len, char *buf, size_t cap)
{
        struct sink s = {buf, cap, 0};

        if (buf != NULL && cap > 0)
                buf[0] = '\0';
        if (p != NULL)
                sink_hex(&s, p, len);
        return s.len;
}

size_t apdu_trace_format_command(const uint8_t *capdu, size_t len, bool show_secrets, char *buf,
                                 size_t cap)
{
        struct sink s = {buf, cap, 0};
        struct apdu a;
        char note[48];
        size_t head, tail;

        if (buf != NULL && cap > 0)
                buf[0] = '\0';
        if (capdu == NULL || len == 0)
                return 0;
        if (show_secrets || len < 4 || !apdu_trace_ins_is_secret(capdu[1])) {
                sink_hex(&s, capdu, len);
                return s.len;
        }
        if (apdu_decode(capdu, len, &a) != 0) {
                /* Undecodable: the secret could be anywhere after the header. */
                head = 4;
                tail = 0;
        } else if (a.nc == 0) {
                sink_hex(&s, capdu, len); /* no data field, nothing secret */
                return s.len;
        } else {
                head = (size_t)(a.data - capdu);
                tail = len - head - a.nc;
        }
        if (head == len) {
                sink_hex(&s, capdu, len);
                return s.len;
        }
        sink_hex(&s, capdu, head);
        snprintf(note, sizeof(note), " [%zu bytes masked]", len - head - tail);
        sink_put(&s, note);
        if (tail > 0)
                sink_hex(&s, capdu + len - tail, tail);
        return s.len;
}
