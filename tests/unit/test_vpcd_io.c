/* SPDX-License-Identifier: MIT */
/* vpcd framing: frames assembled from any chunks, answers queued and sent without blocking. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "card_steps.h"
#include "vpcd_io.h"

/* What the bridge makes of what a peer sent before closing: a frame, a clean close, or a fault. */
enum outcome { FRAME, CLOSED, BOGUS };

struct frame_case {
        const char *wire; /* bytes the peer sends before closing its side */
        size_t cap;
        enum outcome want;
        size_t want_len;
        const char *why; /* substring of the reason, for bogus frames */
};

static const struct frame_case frame_cases[] = {
    {"00 01 04", 16, FRAME, 1, NULL},
    {"00 05 00 CA 00 5A 00", 16, FRAME, 5, NULL},
    {"", 16, CLOSED, 0, NULL},
    {"00 00", 16, BOGUS, 0, "zero-length"},
    {"00", 16, BOGUS, 0, "truncated frame header"},
    {"00 0A 00 A4 04", 16, BOGUS, 0, "truncated frame"},
    {"00 20 00", 16, BOGUS, 0, "oversize"},
    {"00 10 00", 16, BOGUS, 0, "truncated frame"}, /* exactly cap: not oversize */
};

static enum outcome outcome(const struct vpcd_rx *rx, size_t *len, const char **why)
{
        const uint8_t *payload;

        switch (vpcd_rx_frame(rx, &payload, len, why)) {
        case VPCD_FRAME_READY:
                return FRAME;
        case VPCD_FRAME_BOGUS:
                return BOGUS;
        default:
                return *why == NULL ? CLOSED : BOGUS;
        }
}

static void check_outcome(const struct frame_case *c, const struct vpcd_rx *rx, const uint8_t *wire)
{
        const uint8_t *payload;
        const char *why = NULL;
        size_t len = 99;

        assert_int_equal(outcome(rx, &len, &why), c->want);
        assert_int_equal(len, c->want_len);
        if (c->want == FRAME) {
                assert_int_equal(vpcd_rx_frame(rx, &payload, &len, &why), VPCD_FRAME_READY);
                assert_memory_equal(payload, wire + 2, len);
        }
        if (c->why != NULL) {
                assert_non_null(why);
                assert_non_null(strstr(why, c->why));
        }
}

/* Each row fed whole, then one byte at a time: the chunking never changes the outcome. */
static void test_frames_fed(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(frame_cases) / sizeof(frame_cases[0]); i++) {
                const struct frame_case *c = &frame_cases[i];
                uint8_t wire[64];
                size_t n = hex_parse(c->wire, wire, sizeof(wire));
                struct vpcd_rx rx;

                print_message("row %zu: %s\n", i, c->wire);
                assert_int_equal(vpcd_rx_init(&rx, c->cap), 0);
                assert_int_equal(vpcd_rx_feed(&rx, wire, n), n);
                check_outcome(c, &rx, wire);
                vpcd_rx_reset(&rx);
                for (size_t k = 0; k < n; k++)
                        assert_int_equal(vpcd_rx_feed(&rx, wire + k, 1), 1);
                check_outcome(c, &rx, wire);
                vpcd_rx_free(&rx);
        }
}

/* The same rows over a socket the peer then closes: recv until it reports the close. */
static void test_frames_socket(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(frame_cases) / sizeof(frame_cases[0]); i++) {
                const struct frame_case *c = &frame_cases[i];
                uint8_t wire[64];
                size_t n = hex_parse(c->wire, wire, sizeof(wire));
                struct vpcd_rx rx;
                enum vpcd_io_result r;
                int sv[2];

                print_message("row %zu: %s\n", i, c->wire);
                assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
                assert_int_equal(write(sv[1], wire, n), (ssize_t)n);
                close(sv[1]);
                assert_int_equal(vpcd_rx_init(&rx, c->cap), 0);
                while ((r = vpcd_rx_recv(sv[0], &rx)) == VPCD_IO_OK)
                        ;
                assert_int_equal(r, VPCD_IO_CLOSED);
                check_outcome(c, &rx, wire);
                vpcd_rx_free(&rx);
                close(sv[0]);
        }
}

/* A peer that stops mid-frame costs a read nothing: recv answers AGAIN, never waits. */
static void test_stalled_peer_never_blocks(void **state)
{
        static const uint8_t wire[] = {0x00, 0x04, 0x00, 0x20, 0x00, 0x01};
        const uint8_t *payload;
        const char *why;
        struct vpcd_rx rx;
        size_t len;
        int sv[2];

        (void)state;
        /* A blocking socket on purpose: the read must not wait even so. */
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        assert_int_equal(vpcd_rx_init(&rx, VPCD_FRAME_MAX), 0);
        assert_int_equal(vpcd_rx_recv(sv[0], &rx), VPCD_IO_AGAIN);
        for (size_t i = 0; i < sizeof(wire); i++) {
                assert_int_equal(vpcd_rx_frame(&rx, &payload, &len, &why), VPCD_FRAME_PARTIAL);
                assert_int_equal(write(sv[1], &wire[i], 1), 1);
                assert_int_equal(vpcd_rx_recv(sv[0], &rx), VPCD_IO_OK);
                assert_int_equal(vpcd_rx_recv(sv[0], &rx), VPCD_IO_AGAIN);
        }
        assert_int_equal(vpcd_rx_frame(&rx, &payload, &len, &why), VPCD_FRAME_READY);
        assert_int_equal(len, 4);
        assert_memory_equal(payload, wire + 2, 4);
        vpcd_rx_free(&rx);
        close(sv[0]);
        close(sv[1]);
}

/* Frames that arrive together come out one by one, and a taken frame leaves no byte behind. */
static void test_frames_back_to_back(void **state)
{
        uint8_t wire[32];
        size_t n =
            hex_parse("00 09 00 20 00 01 04 31 32 33 34 00 01 04 00 03 00 B0", wire, sizeof(wire));
        const uint8_t *payload;
        const char *why;
        struct vpcd_rx rx;
        size_t len, got, want;

        (void)state;
        assert_int_equal(vpcd_rx_init(&rx, 64), 0);
        assert_int_equal(vpcd_rx_feed(&rx, wire, n), n);
        assert_int_equal(vpcd_rx_frame(&rx, &payload, &len, &why), VPCD_FRAME_READY);
        assert_int_equal(len, 9);
        vpcd_rx_next(&rx);
        assert_int_equal(vpcd_rx_frame(&rx, &payload, &len, &why), VPCD_FRAME_READY);
        assert_int_equal(len, 1);
        assert_int_equal(payload[0], VPCD_CTRL_ATR);
        vpcd_rx_next(&rx);
        assert_int_equal(vpcd_rx_frame(&rx, &payload, &len, &why), VPCD_FRAME_PARTIAL);
        vpcd_rx_progress(&rx, &got, &want);
        assert_int_equal(got, 2);
        assert_int_equal(want, 3);
        /* Only the partial frame's 4 bytes remain; the PIN's bytes are gone from the buffer. */
        assert_int_equal(rx.fill, 4);
        for (size_t i = rx.fill; i < 2 + rx.cap; i++)
                assert_int_equal(rx.buf[i], 0);
        vpcd_rx_free(&rx);
        /* A buffer takes no more than 2 + cap bytes; the rest waits in the socket. */
        assert_int_equal(vpcd_rx_init(&rx, 3), 0);
        assert_int_equal(vpcd_rx_feed(&rx, wire + 11, 7), 5);
        assert_int_equal(vpcd_rx_feed(&rx, wire + 16, 2), 0);
        assert_int_equal(vpcd_rx_frame(&rx, &payload, &len, &why), VPCD_FRAME_READY);
        vpcd_rx_next(&rx);
        assert_int_equal(vpcd_rx_feed(&rx, wire + 16, 2), 2);
        assert_int_equal(vpcd_rx_frame(&rx, &payload, &len, &why), VPCD_FRAME_PARTIAL);
        vpcd_rx_progress(&rx, &got, &want);
        assert_int_equal(got, 2);
        assert_int_equal(want, 3);
        vpcd_rx_free(&rx);
}

static void test_write_frame(void **state)
{
        static const uint8_t payload[] = {0x90, 0x00};
        struct vpcd_tx tx;
        uint8_t got[8];
        int sv[2];

        (void)state;
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        assert_int_equal(vpcd_tx_init(&tx), 0);
        assert_int_equal(vpcd_tx_queue(&tx, payload, sizeof(payload)), 0);
        assert_true(vpcd_tx_pending(&tx));
        assert_int_equal(vpcd_tx_send(sv[0], &tx), VPCD_IO_OK);
        assert_false(vpcd_tx_pending(&tx));
        assert_int_equal(read(sv[1], got, sizeof(got)), 4);
        assert_memory_equal(got, "\x00\x02\x90\x00", 4);
        /* A frame is at most 65535 bytes. */
        assert_int_equal(vpcd_tx_queue(&tx, payload, VPCD_FRAME_MAX + 1u), -1);
        assert_int_equal(errno, EMSGSIZE);
        vpcd_tx_free(&tx);
        close(sv[0]);
        close(sv[1]);
}

/* A reader that takes nothing: the answer waits in the queue, the send returns at once. */
static void test_slow_reader(void **state)
{
        static uint8_t big[VPCD_FRAME_MAX], got[2 + VPCD_FRAME_MAX];
        struct vpcd_tx tx;
        size_t have = 0;
        int sv[2], small = 4096;

        (void)state;
        for (size_t i = 0; i < sizeof(big); i++)
                big[i] = (uint8_t)(i * 7u);
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
        assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
        assert_int_equal(vpcd_tx_init(&tx), 0);
        assert_int_equal(vpcd_tx_queue(&tx, big, sizeof(big)), 0);
        assert_int_equal(vpcd_tx_send(sv[0], &tx), VPCD_IO_AGAIN);
        assert_true(vpcd_tx_pending(&tx));
        assert_true(tx.off < tx.len);
        /* One answer at a time: a second one is refused while the first waits. */
        assert_int_equal(vpcd_tx_queue(&tx, big, 2), -1);
        assert_int_equal(errno, EBUSY);
        while (vpcd_tx_pending(&tx)) {
                ssize_t r = read(sv[1], got + have, sizeof(got) - have);
                assert_true(r > 0);
                have += (size_t)r;
                assert_int_not_equal(vpcd_tx_send(sv[0], &tx), VPCD_IO_ERROR);
        }
        while (have < sizeof(got)) {
                ssize_t r = read(sv[1], got + have, sizeof(got) - have);
                assert_true(r > 0);
                have += (size_t)r;
        }
        assert_int_equal(got[0], 0xFF);
        assert_int_equal(got[1], 0xFF);
        assert_memory_equal(got + 2, big, sizeof(big));
        /* Sent answers are wiped: they may hold key material. */
        for (size_t i = 0; i < 2 + VPCD_FRAME_MAX; i++)
                assert_int_equal(tx.buf[i], 0);
        vpcd_tx_free(&tx);
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
            cmocka_unit_test(test_frames_fed),
            cmocka_unit_test(test_frames_socket),
            cmocka_unit_test(test_stalled_peer_never_blocks),
            cmocka_unit_test(test_frames_back_to_back),
            cmocka_unit_test(test_write_frame),
            cmocka_unit_test(test_slow_reader),
            cmocka_unit_test(test_addresses),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
