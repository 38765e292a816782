/* SPDX-License-Identifier: MIT */
/*
 * The bridge's vpcd frame reader against arbitrary bytes on a socket,
 * checked against a model of the framing: every well-formed frame comes out
 * whole and in order; a zero-length, oversize or truncated frame is
 * reported as bogus; a close between frames is a close. The first input
 * byte sets the reader's buffer size, so oversize frames are reached.
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static uint8_t buf[VPCD_FRAME_MAX];
        size_t cap, pos = 1;
        int sv[2];

        if (size < 1 || size > 32768 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
                return 0;
        cap = 1 + (size_t)data[0] * 257u;
        if (write(sv[1], data + 1, size - 1) != (ssize_t)(size - 1))
                abort();
        shutdown(sv[1], SHUT_WR);
        for (;;) {
                const char *why = NULL;
                size_t len = 0, left = size - pos, want;
                enum vpcd_read_result r = vpcd_read_frame(sv[0], buf, cap, &len, &why);

                if (left == 0) {
                        check(r == VPCD_READ_CLOSED);
                        break;
                }
                if (left < 2) {
                        check(r == VPCD_READ_BOGUS && why != NULL);
                        break;
                }
                want = (size_t)data[pos] << 8 | data[pos + 1];
                if (want == 0 || want > cap || want > left - 2) {
                        check(r == VPCD_READ_BOGUS && why != NULL);
                        break;
                }
                check(r == VPCD_READ_OK && len == want);
                check(memcmp(buf, data + pos + 2, len) == 0);
                pos += 2 + want;
        }
        close(sv[0]);
        close(sv[1]);
        return 0;
}
