/* SPDX-License-Identifier: MIT */
/* The APDU decoder's seven cases, the class byte, BER-TLV and ATR checks, one table row each. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "apdu.h"
#include "atr.h"
#include "card_steps.h"
#include "tlv.h"

struct decode_case {
        const char *hex;
        int ok;
        enum apdu_case kase;
        size_t nc;
        size_t ne;
};

static const struct decode_case decode_cases[] = {
    {"00A40000", 0, APDU_CASE_1, 0, 0},
    {"00B0000010", 0, APDU_CASE_2S, 0, 16},
    {"00B0000000", 0, APDU_CASE_2S, 0, 256},
    {"00A4000C023F00", 0, APDU_CASE_3S, 2, 0},
    {"00A40004023F0000", 0, APDU_CASE_4S, 2, 256},
    {"00A40004023F0012", 0, APDU_CASE_4S, 2, 0x12},
    {"00B00000000100", 0, APDU_CASE_2E, 0, 256},
    {"00B00000000000", 0, APDU_CASE_2E, 0, 65536},
    {"00A4000C0000023F00", 0, APDU_CASE_3E, 2, 0},
    {"00A400040000023F000000", 0, APDU_CASE_4E, 2, 65536},
    {"00A400040000023F000102", 0, APDU_CASE_4E, 2, 0x102},
    {"00A400", -1, APDU_CASE_1, 0, 0},
    {"00A4000C023F", -1, APDU_CASE_1, 0, 0},         /* Lc says 2, 1 byte follows */
    {"00A4000C023F000000", -1, APDU_CASE_1, 0, 0},   /* 2 bytes too many */
    {"00A4000C0000", -1, APDU_CASE_1, 0, 0},         /* extended marker, no length */
    {"00A4000C0000003F00", -1, APDU_CASE_1, 0, 0},   /* extended Lc 0 */
    {"00A4000C0000033F00", -1, APDU_CASE_1, 0, 0},   /* extended Lc 3, 2 bytes */
    {"00A4000C0000023F0000", -1, APDU_CASE_1, 0, 0}, /* one byte of extended Le */
};

static void test_decode(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(decode_cases) / sizeof(decode_cases[0]); i++) {
                const struct decode_case *c = &decode_cases[i];
                uint8_t buf[64];
                struct apdu a;
                size_t n = hex_parse(c->hex, buf, sizeof(buf));
                int rc = apdu_decode(buf, n, &a);
                if (rc != c->ok)
                        fail_msg("%s: decode returned %d, expected %d", c->hex, rc, c->ok);
                if (rc != 0)
                        continue;
                if (a.kase != c->kase || a.nc != c->nc || a.ne != c->ne)
                        fail_msg("%s: case %d nc %zu ne %zu, expected case %d nc %zu ne %zu",
                                 c->hex, a.kase, a.nc, a.ne, c->kase, c->nc, c->ne);
                assert_true(a.nc == 0 ? a.data == NULL : a.data != NULL);
        }
        assert_int_equal(apdu_decode(NULL, 4, &(struct apdu){0}), -1);
}

struct cla_case {
        uint8_t cla;
        uint16_t sw;
        unsigned channel;
        bool chained;
        bool sm;
};

static const struct cla_case cla_cases[] = {
    {0x00, 0x9000, 0, false, false}, {0x03, 0x9000, 3, false, false},
    {0x10, 0x9000, 0, true, false},  {0x0c, 0x9000, 0, false, true},
    {0x40, 0x9000, 4, false, false}, {0x4f, 0x9000, 19, false, false},
    {0x70, 0x9000, 4, true, true},   {0x20, 0x6e00, 0, false, false},
    {0x80, 0x6e00, 0, false, false}, {0xff, 0x6e00, 0, false, false},
};

static void test_cla(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(cla_cases) / sizeof(cla_cases[0]); i++) {
                const struct cla_case *c = &cla_cases[i];
                struct cla_info info;
                uint16_t sw = apdu_decode_cla(c->cla, &info);
                if (sw != c->sw)
                        fail_msg("CLA %02X: sw %04X, expected %04X", c->cla, sw, c->sw);
                if (sw == 0x9000 &&
                    (info.channel != c->channel || info.chained != c->chained || info.sm != c->sm))
                        fail_msg("CLA %02X: channel %u chained %d sm %d", c->cla, info.channel,
                                 info.chained, info.sm);
        }
}

static void test_tlv_roundtrip(void **state)
{
        uint8_t buf[600], big[300];
        struct rbuf r = {buf, sizeof(buf), 0, false};
        const uint8_t *p, *v;
        size_t left, len, mark;
        uint32_t tag;

        (void)state;
        memset(big, 0xab, sizeof(big));
        assert_true(tlv_open(&r, 0x7c, &mark));
        assert_true(tlv_put(&r, 0x5fc102, (const uint8_t *)"xy", 2));
        assert_true(tlv_put(&r, 0x53, big, sizeof(big)));
        assert_true(tlv_close(&r, mark));
        /* 7C 82 01 33 | 5F C1 02 02 'x' 'y' | 53 82 01 2C ... */
        assert_int_equal(buf[0], 0x7c);
        assert_int_equal(buf[1], 0x82);
        assert_int_equal(r.len, 4 + 6 + 4 + sizeof(big));
        p = buf;
        left = r.len;
        assert_int_equal(tlv_next(&p, &left, &tag, &v, &len), 0);
        assert_int_equal(tag, 0x7c);
        assert_int_equal(left, 0);
        assert_int_equal(tlv_find(v, len, 0x5fc102, &v, &len), 0);
        assert_int_equal(len, 2);
        assert_memory_equal(v, "xy", 2);

        /* truncated and malformed encodings are refused */
        p = (const uint8_t *)"\x53\x05\x01";
        left = 3;
        assert_int_equal(tlv_next(&p, &left, &tag, &v, &len), -1);
        p = (const uint8_t *)"\x53\x80";
        left = 2;
        assert_int_equal(tlv_next(&p, &left, &tag, &v, &len), -1);
        p = (const uint8_t *)"\x5f\xc1\xc2\xc3\x00";
        left = 5;
        assert_int_equal(tlv_next(&p, &left, &tag, &v, &len), -1);

        /* a full buffer overflows cleanly */
        r = (struct rbuf){buf, 3, 0, false};
        assert_false(tlv_put(&r, 0x53, big, 2));
        assert_true(r.overflow);
}

struct atr_case {
        const char *hex;
        int ok;
};

static const struct atr_case atr_cases[] = {
    {"3B 8B 80 01 80 73 F4 01 DB 55 53 43 53 49 4D C5", 0},  /* the default card's */
    {"3B 00", 0},                                            /* T=0 only, no TCK */
    {"3B 8B 80 01 80 73 F4 01 DB 55 53 43 53 49 4D C6", -1}, /* wrong TCK */
    {"3B 8B 80 01 80 73 F4 01 DB 55 53 43 53 49 4D", -1},    /* TCK missing */
    {"3B 8B 80 01 80 73 F4 01", -1},                         /* historical bytes short */
    {"3C 00", -1},                                           /* bad TS */
    {"3B 00 00", -1},                                        /* trailing byte */
    {"3B F0 11", -1},                                        /* interface bytes missing */
};

static void test_atr(void **state)
{
        uint8_t hist[] = {0x80, 0x73, 0xf4, 0x01, 0xdb, 0x55, 'S', 'C', 'S', 'I', 'M'};
        uint8_t atr[40];
        const char *why = NULL;
        int n;

        (void)state;
        for (size_t i = 0; i < sizeof(atr_cases) / sizeof(atr_cases[0]); i++) {
                uint8_t buf[40];
                size_t len = hex_parse(atr_cases[i].hex, buf, sizeof(buf));
                int rc = atr_check(buf, len, &why);
                if (rc != atr_cases[i].ok)
                        fail_msg("%s: %d (%s)", atr_cases[i].hex, rc, rc ? why : "ok");
        }
        n = atr_build(hist, sizeof(hist), atr, sizeof(atr));
        assert_int_equal(n, 16);
        assert_int_equal(atr[15], 0xc5);
        assert_int_equal(atr_check(atr, (size_t)n, &why), 0);
        assert_int_equal(atr_build(hist, 16, atr, sizeof(atr)), -1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_decode),
            cmocka_unit_test(test_cla),
            cmocka_unit_test(test_tlv_roundtrip),
            cmocka_unit_test(test_atr),
        };
        return cmocka_run_group_tests_name("apdu", tests, NULL, NULL);
}
