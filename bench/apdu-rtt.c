/* SPDX-License-Identifier: MIT */
/* apdu-rtt: APDU round trips through pcscd for scsim-vpcd against a floor card, in the same run. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <PCSC/winscard.h>
#include <PCSC/wintypes.h>

#include "vpcd_io.h"

#define ROUNDS 7

/* The APDU every card gets: VERIFY query, two-byte answer from all of them. */
static const uint8_t apdu[] = {0x00, 0x20, 0x00, 0x01};

static double now_us(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* Waits for fd to be ready for events; the floor card has nothing else to do meanwhile. */
static void await(int fd, short events)
{
        struct pollfd p = {.fd = fd, .events = events};

        while (poll(&p, 1, -1) < 0 && errno == EINTR)
                ;
}

/*
 * The floor: the least a vpcd card can do. It answers every APDU with 9000,
 * the ATR request with a fixed ATR, and uses the bridge's own socket code
 * (vpcd_io: the same non-blocking frame assembly and answer queue, waiting
 * in poll), so the difference to scsim-vpcd is the card and the bridge's
 * bookkeeping, not the I/O.
 */
static void floor_card(uint16_t port)
{
        static const uint8_t atr[] = {0x3B, 0x80, 0x80, 0x01, 0x01};
        static const uint8_t ok[] = {0x90, 0x00};
        struct vpcd_addr addr;
        struct vpcd_rx rx;
        struct vpcd_tx tx;
        char err[128], text[32];
        int fd;

        snprintf(text, sizeof(text), "127.0.0.1:%u", port);
        if (vpcd_rx_init(&rx, VPCD_FRAME_MAX) != 0 || vpcd_tx_init(&tx) != 0 ||
            vpcd_addr_parse(text, port, &addr, err, sizeof(err)) != 0)
                _exit(3);
        fd = socket(AF_INET, SOCK_STREAM, 0);
        /* vpcd listens before pcscd answers clients: the caller waited for it. */
        if (fd < 0 || connect(fd, (struct sockaddr *)&addr.ss, addr.len) != 0 ||
            vpcd_sock_tune(fd) != 0)
                _exit(3);
        for (;;) {
                const uint8_t *payload;
                const char *why;
                size_t len;
                enum vpcd_frame_state st = vpcd_rx_frame(&rx, &payload, &len, &why);

                if (st == VPCD_FRAME_BOGUS)
                        _exit(3);
                if (st == VPCD_FRAME_PARTIAL) {
                        enum vpcd_io_result r = vpcd_rx_recv(fd, &rx);
                        if (r == VPCD_IO_AGAIN)
                                await(fd, POLLIN);
                        else if (r != VPCD_IO_OK)
                                _exit(0);
                        continue;
                }
                if (len == 1 && payload[0] == VPCD_CTRL_ATR)
                        (void)vpcd_tx_queue(&tx, atr, sizeof(atr));
                else if (len > 1)
                        (void)vpcd_tx_queue(&tx, ok, sizeof(ok));
                vpcd_rx_next(&rx);
                while (vpcd_tx_pending(&tx)) {
                        enum vpcd_io_result r = vpcd_tx_send(fd, &tx);
                        if (r == VPCD_IO_AGAIN)
                                await(fd, POLLOUT);
                        else if (r != VPCD_IO_OK)
                                _exit(0);
                }
        }
}

/* Wait until reader shows a usable card (present) or none (!present). */
static int wait_state(SCARDCONTEXT ctx, const char *reader, bool present, unsigned timeout_s)
{
        SCARD_READERSTATE st;
        double deadline = now_us() + timeout_s * 1e6;

        memset(&st, 0, sizeof(st));
        st.szReader = reader;
        st.dwCurrentState = SCARD_STATE_UNAWARE;
        while (now_us() < deadline) {
                LONG rv = SCardGetStatusChange(ctx, 1000, &st, 1);
                if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT)
                        return -1;
                bool usable = (st.dwEventState & SCARD_STATE_PRESENT) &&
                              !(st.dwEventState & SCARD_STATE_MUTE);
                if (usable == present)
                        return 0;
                st.dwCurrentState = st.dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
        }
        return -1;
}

struct target {
        const char *name;
        char reader[128];
        SCARDHANDLE card;
        DWORD proto;
        double us[ROUNDS];
};

static int connect_card(SCARDCONTEXT ctx, struct target *t)
{
        LONG rv = SCardConnect(ctx, t->reader, SCARD_SHARE_SHARED,
                               SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &t->card, &t->proto);

        if (rv != SCARD_S_SUCCESS) {
                fprintf(stderr, "apdu-rtt: %s: SCardConnect(%s): %s\n", t->name, t->reader,
                        pcsc_stringify_error(rv));
                return -1;
        }
        return 0;
}

/* Microseconds per APDU over n round trips. */
static double measure(struct target *t, unsigned n)
{
        SCARD_IO_REQUEST pci = {t->proto, sizeof(SCARD_IO_REQUEST)};
        uint8_t resp[258];
        double start = now_us();

        for (unsigned i = 0; i < n; i++) {
                DWORD rlen = sizeof(resp);
                LONG rv = SCardTransmit(t->card, &pci, apdu, sizeof(apdu), NULL, resp, &rlen);
                if (rv != SCARD_S_SUCCESS || rlen < 2) {
                        fprintf(stderr, "apdu-rtt: %s: SCardTransmit: %s\n", t->name,
                                pcsc_stringify_error(rv));
                        return -1;
                }
        }
        return (now_us() - start) / n;
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return (x > y) - (x < y);
}

static double median(const double *v, size_t n)
{
        double s[ROUNDS];

        memcpy(s, v, n * sizeof(double));
        qsort(s, n, sizeof(double), cmp_double);
        return s[n / 2];
}

/* vpcd's CHANNELID from the reader.conf scsim run wrote. */
static int read_port(const char *dir, uint16_t *port)
{
        char path[PATH_MAX], line[256];
        FILE *f;
        unsigned v = 0;
        int ok = -1;

        snprintf(path, sizeof(path), "%s/reader.conf.d/scsim", dir);
        f = fopen(path, "r");
        if (f == NULL)
                return -1;
        while (fgets(line, sizeof(line), f) != NULL)
                if (sscanf(line, "CHANNELID %u", &v) == 1 && v > 0 && v < 65535) {
                        *port = (uint16_t)v;
                        ok = 0;
                }
        fclose(f);
        return ok;
}

static pid_t start_vicc(uint16_t port, char *tmpdir, size_t cap)
{
        char link[PATH_MAX + 16], pp[2 * PATH_MAX], portbuf[16];
        pid_t pid;

        /* Debian 12's vicc needs its module path and a Crypto module name (reference/vpcd.md). */
        snprintf(tmpdir, cap, "/tmp/apdu-rtt.XXXXXX");
        if (mkdtemp(tmpdir) == NULL)
                return -1;
        snprintf(link, sizeof(link), "%s/Crypto", tmpdir);
        if (symlink("/usr/lib/python3/dist-packages/Cryptodome", link) != 0)
                return -1;
        snprintf(pp, sizeof(pp), "/usr/lib/python3/site-packages/virtualsmartcard:%s", tmpdir);
        snprintf(portbuf, sizeof(portbuf), "%u", port);
        pid = fork();
        if (pid == 0) {
                (void)prctl(PR_SET_PDEATHSIG, SIGTERM);
                setenv("PYTHONPATH", pp, 1);
                execl("/usr/bin/python3", "python3", "/usr/bin/vicc", "-t", "iso7816", "-H",
                      "127.0.0.1", "-P", portbuf, (char *)NULL);
                _exit(127);
        }
        return pid;
}

static void stop_child(pid_t pid)
{
        if (pid > 0) {
                kill(pid, SIGTERM);
                (void)waitpid(pid, NULL, 0);
        }
}

int main(int argc, char **argv)
{
        const char *dir = getenv("SCSIM_RUN_DIR");
        const char *reader0 = getenv("SCSIM_READER_0");
        const char *reader1 = getenv("SCSIM_READER_1");
        unsigned n = 2000, n_vicc = 40;
        bool want_vicc = true;
        struct target scsim = {.name = "scsim-vpcd"}, floor = {.name = "floor card"};
        struct target vicc = {.name = "vicc (Python)"};
        SCARDCONTEXT ctx = 0;
        uint16_t port = 0;
        pid_t floor_pid = -1, vicc_pid = -1;
        char vicc_dir[PATH_MAX] = "";
        int opt, rc = 3;

        while ((opt = getopt(argc, argv, "n:Vh")) != -1) {
                if (opt == 'n')
                        n = (unsigned)strtoul(optarg, NULL, 10);
                else if (opt == 'V')
                        want_vicc = false;
                else {
                        printf(
                            "usage: scsim run --slots 1 -- apdu-rtt [-n APDUS] [-V (skip vicc)]\n"
                            "Round trips through pcscd: scsim-vpcd in slot 0, then a floor card\n"
                            "and Debian's vicc (when installed) in slot 1, interleaved in %d "
                            "rounds; medians and ratios.\n",
                            ROUNDS);
                        return opt == 'h' ? 0 : 2;
                }
        }
        if (n == 0)
                n = 1;
        if (dir == NULL || reader0 == NULL || reader1 != NULL) {
                fprintf(stderr, "apdu-rtt: run me as: scsim run --slots 1 -- %s\n", argv[0]);
                return 2;
        }
        if (read_port(dir, &port) != 0) {
                fprintf(stderr, "apdu-rtt: no CHANNELID in %s/reader.conf.d/scsim\n", dir);
                return 3;
        }
        snprintf(scsim.reader, sizeof(scsim.reader), "%s", reader0);
        /* scsim run names slot 0 "... 00 00"; slot 1 is the same reader with 01. */
        snprintf(floor.reader, sizeof(floor.reader), "%s", reader0);
        floor.reader[strlen(floor.reader) - 1] = '1';
        snprintf(vicc.reader, sizeof(vicc.reader), "%s", floor.reader);
        if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx) != SCARD_S_SUCCESS)
                goto fail;

        fflush(NULL);
        floor_pid = fork();
        if (floor_pid == 0) {
                (void)prctl(PR_SET_PDEATHSIG, SIGTERM);
                floor_card((uint16_t)(port + 1u));
        }
        if (wait_state(ctx, floor.reader, true, 30) != 0 || connect_card(ctx, &scsim) != 0 ||
            connect_card(ctx, &floor) != 0) {
                fprintf(stderr, "apdu-rtt: the floor card did not appear in %s\n", floor.reader);
                goto fail;
        }
        /* Warm-up, then interleaved rounds so noise hits both alike. */
        if (measure(&scsim, n / 10 + 1) < 0 || measure(&floor, n / 10 + 1) < 0)
                goto fail;
        for (int r = 0; r < ROUNDS; r++) {
                scsim.us[r] = measure(&scsim, n);
                floor.us[r] = measure(&floor, n);
                if (scsim.us[r] < 0 || floor.us[r] < 0)
                        goto fail;
        }
        SCardDisconnect(floor.card, SCARD_LEAVE_CARD);
        stop_child(floor_pid);
        floor_pid = -1;
        /* pcscd must have seen the floor card go before the next card's presence means anything. */
        if (wait_state(ctx, floor.reader, false, 30) != 0)
                goto fail;

        double s = median(scsim.us, ROUNDS), f = median(floor.us, ROUNDS);
        printf("apdu-rtt: %u APDUs x %d rounds, VERIFY query 00 20 00 01, medians\n", n, ROUNDS);
        printf("  %-16s %10.1f us/APDU\n", floor.name, f);
        printf("  %-16s %10.1f us/APDU   %.2fx floor\n", scsim.name, s, s / f);

        if (want_vicc && access("/usr/bin/vicc", X_OK) == 0) {
                vicc_pid = start_vicc((uint16_t)(port + 1u), vicc_dir, sizeof(vicc_dir));
                if (vicc_pid < 0 || wait_state(ctx, vicc.reader, true, 60) != 0 ||
                    connect_card(ctx, &vicc) != 0) {
                        printf("  %-16s did not start (see reference/vpcd.md)\n", vicc.name);
                } else {
                        for (int r = 0; r < 3; r++)
                                vicc.us[r] = measure(&vicc, n_vicc);
                        double v = median(vicc.us, 3);
                        if (v > 0)
                                printf("  %-16s %10.1f us/APDU   %.2fx floor, %.1fx scsim-vpcd "
                                       "(%u APDUs x 3)\n",
                                       vicc.name, v, v / f, v / s, n_vicc);
                        SCardDisconnect(vicc.card, SCARD_LEAVE_CARD);
                }
        } else if (want_vicc) {
                printf("  %-16s not installed (apt-get install vsmartcard-vpicc)\n", vicc.name);
        }
        fflush(stdout);
        printf("goal: scsim-vpcd within 1.2x of the floor: %s\n", s / f <= 1.2 ? "met" : "NOT met");
        rc = 0;
fail:
        if (scsim.card != 0)
                SCardDisconnect(scsim.card, SCARD_LEAVE_CARD);
        stop_child(floor_pid);
        stop_child(vicc_pid);
        if (vicc_dir[0] != '\0') {
                char link[PATH_MAX + 16];
                snprintf(link, sizeof(link), "%s/Crypto", vicc_dir);
                unlink(link);
                rmdir(vicc_dir);
        }
        if (ctx != 0)
                SCardReleaseContext(ctx);
        return rc;
}
