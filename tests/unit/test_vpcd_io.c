/* SPDX-License-Identifier: MIT */
/* vpcd frame reading over a socketpair: good frames, and each kind of bogus frame, one row each. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "card_steps.h"
#include "vpcd_io.h"

struct frame_case {
        const char *wire; /* bytes the peer sends before closing its side */
        size_t cap;
        enum vpcd_read_result want;
        size_t want_len;
        const char *why; /* substring of the reason, for bogus frames */
};

static const struct frame_case frame_cases[] = {
    {"00 01 04", 16, VPCD_READ_OK, 1, NULL},
    {"00 05 00 CA 00 5A 00", 16, VPCD_READ_OK, 5, NULL},
    {"", 16, VPCD_READ_CLOSED, 0, NULL},
    {"00 00", 16, VPCD_READ_BOGUS, 0, "zero-length"},
    {"00", 16, VPCD_READ_BOGUS, 0, "truncated frame header"},
    {"00 0A 00 A4 04", 16, VPCD_READ_BOGUS, 0, "truncated frame"},
    {"00 20 00", 16, VPCD_READ_BOGUS, 0, "oversize"},
};

static void test_frames(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(frame_cases) / sizeof(frame_cases[0]); i++) {
                const struct frame_case *c = &frame_cases[i];
                uint8_t wire[64], buf[64];
                size_t n = hex_parse(c->wire, wire, sizeof(wire)), len = 99;
                const char *why = NULL;
                int sv[2];

                print_message("row %zu: %s\n", i, c->wire);
                assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
                assert_int_equal(write(sv[1], wire, n), (ssize_t)n);
                close(sv[1]);
                assert_int_equal(vpcd_read_frame(sv[0], buf, c->cap, &len, &why), c->want);
                assert_int_equal(len, c->want_len);
                if (c->why != NULL) {
                        assert_non_null(why);
                        assert_non_null(strstr(why, c->why));
                }
                close(sv[0]);
        }
}

/* A frame arriving one byte at a time is still read whole. */
static void test_short_reads(void **state)
{
        static const uint8_t wire[] = {0x00, 0x04, 0x00, 0x20, 0x00, 0x01};
        uint8_t buf[8];
        size_t len = 0;
        const char *why = NULL;
        int sv[2];

        (void)state;
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        for (size_t i = 0; i < sizeof(wire); i++)
                assert_int_equal(write(sv[1], &wire[i], 1), 1);
        assert_int_equal(vpcd_read_frame(sv[0], buf, sizeof(buf), &len, &why), VPCD_READ_OK);
        assert_int_equal(len, 4);
        assert_memory_equal(buf, wire + 2, 4);
        close(sv[0]);
        close(sv[1]);
}

static void test_write_frame(void **state)
{
        static const uint8_t payload[] = {0x90, 0x00};
        uint8_t got[8];
        int sv[2];

        (void)state;
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        assert_int_equal(vpcd_write_frame(sv[0], payload, sizeof(payload)), 0);
        assert_int_equal(read(sv[1], got, sizeof(got)), 4);
        assert_memory_equal(got, "\x00\x02\x90\x00", 4);
        close(sv[0]);
        close(sv[1]);
}

struct addr_case {
        const char *text;
        int ok;
        unsigned port;
        bool loopback;
};

static const struct addr_case addr_cases[] = {
    {"127.0.0.1", 0, VPCD_DEFAULT_PORT, true},
    {"127.0.0.1:4000", 0, 4000, true},
    {"[::1]:4000", 0, 4000, true},
    {"192.0.2.7:35963", 0, 35963, false},
    {"127.0.0.1:0", -1, 0, false},
    {"127.0.0.1:70000", -1, 0, false},
    {"127.0.0.1:x", -1, 0, false},
    {"::1:4000", -1, 0, false},
    {"[::1", -1, 0, false},
    {":4000", -1, 0, false},
};

static void test_addresses(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(addr_cases) / sizeof(addr_cases[0]); i++) {
                struct vpcd_addr a;
                char err[256];

                print_message("row %zu: %s\n", i, addr_cases[i].text);
                assert_int_equal(
                    vpcd_addr_parse(addr_cases[i].text, VPCD_DEFAULT_PORT, &a, err, sizeof(err)),
                    addr_cases[i].ok);
                if (addr_cases[i].ok != 0)
                        continue;
                assert_int_equal(vpcd_addr_port(&a), addr_cases[i].port);
                assert_int_equal(vpcd_addr_is_loopback(&a), addr_cases[i].loopback);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_frames),
            cmocka_unit_test(test_short_reads),
            cmocka_unit_test(test_write_frame),
            cmocka_unit_test(test_addresses),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
