/* SPDX-License-Identifier: MIT */
/* Human-readable APDU traces: command names, status word meanings, secrets masked. */
#include "apdu_trace.h"

#include <stdio.h>
#include <string.h>

#include <scsim/apdu.h>

/* Names and secrecy come from the library's command rows: the card and the trace share them. */
static scsim_apdu_info describe_ins(uint8_t cla, uint8_t ins)
{
        const uint8_t header[4] = {cla, ins, 0x00, 0x00};
        scsim_apdu_info info;

        (void)scsim_apdu_describe(NULL, header, sizeof(header), &info);
        return info;
}

const char *apdu_trace_ins_name(uint8_t cla, uint8_t ins)
{
        /* CLA FF is the PC/SC pseudo-APDU class (reader commands), not the card's. */
        if (cla == 0xff)
                return "PSEUDO-APDU";
        return describe_ins(cla, ins).name;
}

bool apdu_trace_ins_is_secret(uint8_t ins)
{
        return describe_ins(0x00, ins).secret_in;
}

bool apdu_trace_answer_is_secret(uint8_t ins)
{
        return describe_ins(0x00, ins).secret_out;
}

size_t apdu_trace_format_answer_as(const scsim_apdu_info *info, const uint8_t *data, size_t len,
                                   bool show_secrets, char *buf, size_t cap)
{
        int n;

        if (show_secrets || len == 0 || !info->secret_out)
                return apdu_trace_hex(data, len, buf, cap);
        n = snprintf(buf, cap, "[%zu bytes masked]", len);
        return n < 0 ? 0 : (size_t)n;
}

size_t apdu_trace_format_answer(uint8_t ins, const uint8_t *data, size_t len, bool show_secrets,
                                char *buf, size_t cap)
{
        scsim_apdu_info info = describe_ins(0x00, ins);

        return apdu_trace_format_answer_as(&info, data, len, show_secrets, buf, cap);
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

size_t apdu_trace_format_command_as(const scsim_apdu_info *info, const uint8_t *capdu, size_t len,
                                    bool show_secrets, char *buf, size_t cap)
{
        struct sink s = {buf, cap, 0};
        char note[48];
        size_t head, tail;

        if (buf != NULL && cap > 0)
                buf[0] = '\0';
        if (capdu == NULL || len == 0)
                return 0;
        if (show_secrets || len < 4 || !info->secret_in) {
                sink_hex(&s, capdu, len);
                return s.len;
        }
        if (!info->decoded) {
                /* Undecodable: the secret could be anywhere after the header. */
                head = 4;
                tail = 0;
        } else if (info->data_len == 0) {
                sink_hex(&s, capdu, len); /* no data field, nothing secret */
                return s.len;
        } else {
                head = info->data_offset;
                tail = len - head - info->data_len;
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

size_t apdu_trace_format_command(const uint8_t *capdu, size_t len, bool show_secrets, char *buf,
                                 size_t cap)
{
        scsim_apdu_info info;

        memset(&info, 0, sizeof(info));
        if (capdu != NULL && len >= 4)
                (void)scsim_apdu_describe(NULL, capdu, len, &info);
        return apdu_trace_format_command_as(&info, capdu, len, show_secrets, buf, cap);
}
