/* SPDX-License-Identifier: MIT */
/*
 * The bridge's incremental vpcd frame assembler against arbitrary bytes cut
 * into arbitrary chunks, checked against a model of the framing: every
 * well-formed frame comes out whole and in order however the stream is cut;
 * a zero-length or oversize frame is bogus as soon as its length is in; a
 * stream that ends inside a frame is truncated, one that ends between frames
 * is a clean close; a taken frame leaves no byte behind. The bytes go in
 * twice: copied in (vpcd_rx_feed) and through a non-blocking socket
 * (vpcd_rx_recv), each frame echoed back through the answer queue.
 *
 * Input: byte 0 sets the largest payload accepted (so oversize frames are
 * reached), byte 1 seeds the chunk sizes (and, when a multiple of 4, sends
 * the stream through the socket too), the rest is the stream.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vpcd_io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
        if (!cond)
                abort();
}

/* The model: where the stream's frames are, and how it ends. */
struct model {
        const uint8_t *s;
        size_t n;
        size_t pos; /* start of the next frame */
        size_t cap;
};

enum model_end { END_CLEAN, END_TRUNCATED, END_BOGUS };

/* The next frame's payload, or how the stream ends at pos. */
static int model_next(const struct model *m, size_t *off, size_t *len, enum model_end *end)
{
        size_t left = m->n - m->pos, want;

        if (left == 0) {
                *end = END_CLEAN;
                return 0;
        }
        if (left < 2) {
                *end = END_TRUNCATED;
                return 0;
        }
        want = (size_t)m->s[m->pos] << 8 | m->s[m->pos + 1];
        if (want == 0 || want > m->cap) {
                *end = END_BOGUS;
                return 0;
        }
        if (want > left - 2) {
                *end = END_TRUNCATED;
                return 0;
        }
        *off = m->pos + 2;
        *len = want;
        return 1;
}

static size_t chunk(uint32_t *rng, size_t left)
{
        size_t c;

        *rng ^= *rng << 13;
        *rng ^= *rng >> 17;
        *rng ^= *rng << 5;
        /* Mostly small pieces, sometimes everything at once. */
        c = (*rng & 7u) == 0 ? left : 1 + (*rng >> 8) % 64u;
        return c < left ? c : left;
}

/*
 * Takes every whole frame rx holds, checking each against the model. Returns
 * 1 when the stream turned bogus (and the model agrees), 0 otherwise.
 */
static int drain(struct vpcd_rx *rx, struct model *m, int echo_fd, int peer_fd, struct vpcd_tx *tx)
{
        for (;;) {
                const uint8_t *payload;
                const char *why;
                size_t len, off = 0, mlen = 0, fill;
                enum model_end end = END_CLEAN;
                enum vpcd_frame_state st = vpcd_rx_frame(rx, &payload, &len, &why);
                int has = model_next(m, &off, &mlen, &end);

                check(rx->fill <= 2 + rx->cap);
                if (st == VPCD_FRAME_BOGUS) {
                        check(!has && end == END_BOGUS && why != NULL);
                        return 1;
                }
                if (st == VPCD_FRAME_PARTIAL)
                        return 0;
                check(has && len == mlen && memcmp(payload, m->s + off, len) == 0);
                if (echo_fd >= 0) {
                        static uint8_t back[2 + VPCD_FRAME_MAX];
                        size_t got = 0;
                        enum vpcd_io_result r;
                        check(vpcd_tx_queue(tx, payload, len) == 0);
                        while ((r = vpcd_tx_send(echo_fd, tx)) != VPCD_IO_OK || got < 2 + len) {
                                check(r != VPCD_IO_ERROR);
                                ssize_t k = read(peer_fd, back + got, 2 + len - got);
                                check(k > 0);
                                got += (size_t)k;
                        }
                        check(!vpcd_tx_pending(tx));
                        check(back[0] == (uint8_t)(len >> 8) && back[1] == (uint8_t)len);
                        check(memcmp(back + 2, m->s + off, len) == 0);
                }
                fill = rx->fill;
                vpcd_rx_next(rx);
                check(rx->fill == fill - 2 - len);
                /* The taken frame's bytes are wiped: they may be a PIN. */
                for (size_t i = rx->fill; i < fill; i++)
                        check(rx->buf[i] == 0);
                m->pos = off + len;
        }
}

/* How a stream that ended with no bogus frame must look. */
static void check_end(const struct vpcd_rx *rx, const struct model *m)
{
        const uint8_t *payload;
        const char *why;
        size_t len, off, mlen;
        enum model_end end = END_CLEAN;

        check(!model_next(m, &off, &mlen, &end));
        check(vpcd_rx_frame(rx, &payload, &len, &why) == VPCD_FRAME_PARTIAL);
        check(end == END_CLEAN ? why == NULL && rx->fill == 0 : why != NULL);
}

static void run_fed(const uint8_t *s, size_t n, size_t cap, uint32_t rng)
{
        struct vpcd_rx rx;
        struct model m = {.s = s, .n = n, .cap = cap};
        size_t in = 0;

        check(vpcd_rx_init(&rx, cap) == 0);
        while (in < n) {
                size_t c = chunk(&rng, n - in);
                size_t took = vpcd_rx_feed(&rx, s + in, c);
                in += took;
                if (drain(&rx, &m, -1, -1, NULL))
                        goto done;
                /* Nothing taken means a whole or bogus frame is held, and drain took it. */
                check(took > 0 || rx.fill < 2 + cap);
        }
        check_end(&rx, &m);
done:
        vpcd_rx_free(&rx);
}

static void run_socket(const uint8_t *s, size_t n, size_t cap, uint32_t rng)
{
        struct vpcd_rx rx;
        struct vpcd_tx tx;
        struct model m = {.s = s, .n = n, .cap = cap};
        size_t in = 0;
        int sv[2];

        check(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
        check(vpcd_rx_init(&rx, cap) == 0 && vpcd_tx_init(&tx) == 0);
        for (;;) {
                enum vpcd_io_result r = vpcd_rx_recv(sv[0], &rx);
                if (drain(&rx, &m, sv[0], sv[1], &tx))
                        goto done;
                if (r == VPCD_IO_CLOSED)
                        break;
                check(r != VPCD_IO_ERROR);
                if (r == VPCD_IO_AGAIN && rx.fill < 2 + cap) {
                        /* Starved: the peer sends its next piece, or closes. */
                        if (in == n) {
                                shutdown(sv[1], SHUT_WR);
                                continue;
                        }
                        size_t c = chunk(&rng, n - in);
                        check(write(sv[1], s + in, c) == (ssize_t)c);
                        in += c;
                }
        }
        check(in == n);
        check_end(&rx, &m);
done:
        vpcd_rx_free(&rx);
        vpcd_tx_free(&tx);
        close(sv[0]);
        close(sv[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        size_t cap;
        uint32_t rng;

        if (size < 2 || size > 32768)
                return 0;
        cap = 1 + (size_t)data[0] * 257u;
        if (cap > VPCD_FRAME_MAX)
                cap = VPCD_FRAME_MAX;
        rng = 0x9E3779B9u ^ data[1];
        run_fed(data + 2, size - 2, cap, rng);
        /* The socket costs a dozen system calls a chunk: one input in four takes it. */
        if ((data[1] & 3u) == 0)
                run_socket(data + 2, size - 2, cap, rng);
        return 0;
}
