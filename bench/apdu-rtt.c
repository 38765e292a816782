/* SPDX-License-Identifier: MIT */
/* apdu-rtt: APDU round trips through pcscd for scsim-vpcd against a floor card, in the same run. */
#define _GNU_SOURCE /* sched_getcpu, CPU_SET, sched_setaffinity */
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
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <PCSC/winscard.h>
#include <PCSC/wintypes.h>

#include "vpcd_io.h"

#define ROUNDS_MAX      1001
#define ROUND_APDUS_MAX 1001

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
        double us[ROUNDS_MAX];
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

/* One round trip; its microseconds, or -1. */
static double transmit(struct target *t)
{
        SCARD_IO_REQUEST pci = {t->proto, sizeof(SCARD_IO_REQUEST)};
        uint8_t resp[258];
        DWORD rlen = sizeof(resp);
        double start = now_us();
        LONG rv = SCardTransmit(t->card, &pci, apdu, sizeof(apdu), NULL, resp, &rlen);

        if (rv != SCARD_S_SUCCESS || rlen < 2) {
                fprintf(stderr, "apdu-rtt: %s: SCardTransmit: %s\n", t->name,
                        pcsc_stringify_error(rv));
                return -1;
        }
        return now_us() - start;
}

/* Microseconds per APDU over n round trips. */
static double measure(struct target *t, unsigned n)
{
        double sum = 0;

        for (unsigned i = 0; i < n; i++) {
                double us = transmit(t);
                if (us < 0)
                        return -1;
                sum += us;
        }
        return sum / n;
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return (x > y) - (x < y);
}

/* The value below which a share of 1/part of v lies (part 2: the median). */
static double quantile(const double *v, size_t n, size_t part)
{
        static double s[ROUNDS_MAX > ROUND_APDUS_MAX ? ROUNDS_MAX : ROUND_APDUS_MAX];

        memcpy(s, v, n * sizeof(double));
        qsort(s, n, sizeof(double), cmp_double);
        return s[n / part];
}

static double median(const double *v, size_t n)
{
        return quantile(v, n, 2);
}

/*
 * vpcd's CHANNELID from the reader.conf scsim run wrote, and whether vpcd
 * connects to scsim-vpcd (reverse mode, DEVICENAME 127.0.0.1:PORT, the
 * default) or listens (DEVICENAME /dev/null:PORT, --removable).
 */
static int read_port(const char *dir, uint16_t *port, bool *reverse)
{
        char path[PATH_MAX], line[256];
        FILE *f;
        unsigned v = 0;
        int ok = -1;

        *reverse = true;
        snprintf(path, sizeof(path), "%s/reader.conf.d/scsim", dir);
        f = fopen(path, "r");
        if (f == NULL)
                return -1;
        while (fgets(line, sizeof(line), f) != NULL) {
                if (sscanf(line, "CHANNELID %u", &v) == 1 && v > 0 && v < 65535) {
                        *port = (uint16_t)v;
                        ok = 0;
                }
                if (strstr(line, "DEVICENAME") != NULL && strstr(line, "/dev/null:") != NULL)
                        *reverse = false;
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

/* Stop vicc and remove the directory start_vicc made for it. */
static void stop_vicc(pid_t pid, const char *dir)
{
        char link[PATH_MAX + 16];

        stop_child(pid);
        if (dir[0] == '\0')
                return;
        snprintf(link, sizeof(link), "%s/Crypto", dir);
        unlink(link);
        rmdir(dir);
}

/*
 * Reverse mode (scsim run's default): vpcd connects out to ports scsim run
 * gave scsim-vpcd, both slots of the entry, so no reader is left for a
 * floor card, and pcscd 1.9.9 built with libudev ignores a rescan (SIGUSR1)
 * that could add one. So the benchmark starts itself again under the same
 * scsim with --removable, where vpcd listens and the floor card can connect
 * to slot 1; scsim-vpcd's card and transport are the same, only which end
 * of the TCP connection dialled differs.
 */
static int rerun_removable(int argc, char **argv)
{
        char link[64], scsim[PATH_MAX], self[PATH_MAX];
        char **args = calloc((size_t)argc + 8, sizeof(char *));
        ssize_t n;
        int status, k = 0;
        pid_t pid;

        snprintf(link, sizeof(link), "/proc/%ld/exe", (long)getppid());
        n = readlink(link, scsim, sizeof(scsim) - 1);
        if (n <= 0 || args == NULL) {
                fprintf(stderr, "apdu-rtt: cannot find the scsim that runs me (%s)\n", link);
                return 3;
        }
        scsim[n] = '\0';
        n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n <= 0 ||
            strcmp(strrchr(scsim, '/') != NULL ? strrchr(scsim, '/') + 1 : scsim, "scsim") != 0) {
                fprintf(stderr, "apdu-rtt: run me straight from scsim run: scsim run -- %s\n",
                        argv[0]);
                return 2;
        }
        self[n] = '\0';
        args[k++] = scsim;
        args[k++] = "run";
        args[k++] = "--removable";
        args[k++] = "--slots";
        args[k++] = "1";
        args[k++] = "--";
        args[k++] = self;
        for (int i = 1; i < argc; i++)
                args[k++] = argv[i];
        printf("apdu-rtt: reverse mode leaves no reader for the floor card; "
               "again under scsim run --removable\n");
        fflush(NULL);
        setenv("APDU_RTT_AGAIN", "1", 1);
        pid = fork();
        if (pid == 0) {
                execv(scsim, args);
                _exit(127);
        }
        free(args);
        if (pid < 0 || waitpid(pid, &status, 0) != pid)
                return 3;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 3;
}

/*
 * Both cards on one core, the one the benchmark started on: a compile or
 * another user holding a core then slows both alike, where otherwise the
 * scheduler may keep one card beside the compiler for a whole run. Every
 * thread of scsim-vpcd (our sibling under scsim run) and the floor card.
 */
static void same_core(pid_t floor_pid)
{
        char path[96], comm[32], line[4096];
        cpu_set_t one;
        FILE *f;
        int cpu = sched_getcpu();

        if (cpu < 0)
                return;
        CPU_ZERO(&one);
        CPU_SET((unsigned)cpu, &one);
        (void)sched_setaffinity(floor_pid, sizeof(one), &one);
        snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children", (long)getppid(),
                 (long)getppid());
        if ((f = fopen(path, "r")) == NULL || fgets(line, sizeof(line), f) == NULL) {
                if (f != NULL)
                        fclose(f);
                return;
        }
        fclose(f);
        for (char *tok = strtok(line, " \n"); tok != NULL; tok = strtok(NULL, " \n")) {
                long pid = strtol(tok, NULL, 10);
                snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
                if ((f = fopen(path, "r")) == NULL)
                        continue;
                if (fgets(comm, sizeof(comm), f) != NULL && strcmp(comm, "scsim-vpcd\n") == 0)
                        (void)sched_setaffinity((pid_t)pid, sizeof(one), &one);
                fclose(f);
        }
}

/*
 * Rounds of n APDUs to each card, one to each in turn, which card goes
 * first alternating; ratio[r] is round r's scsim/floor, each side taken as
 * the round's lower quartile of round trips. A round is short (n = 50:
 * about 7 ms idle), and within it the two cards take turns APDU by APDU, so
 * a compile or another user slows both alike; a round trip that waited for
 * a core is an outlier the quartile ignores, and the median of the
 * per-round ratios ignores the rounds where the load hit one side.
 */
static int alternate(struct target *scsim, struct target *floor, unsigned n, unsigned rounds,
                     double *ratio)
{
        static double s[ROUND_APDUS_MAX], f[ROUND_APDUS_MAX];

        for (unsigned r = 0; r < rounds; r++) {
                for (unsigned i = 0; i < n; i++) {
                        bool scsim_first = (r + i) % 2 == 0;
                        double a = transmit(scsim_first ? scsim : floor);
                        double b = a < 0 ? -1 : transmit(scsim_first ? floor : scsim);
                        if (b < 0)
                                return -1;
                        s[i] = scsim_first ? a : b;
                        f[i] = scsim_first ? b : a;
                }
                scsim->us[r] = quantile(s, n, 4);
                floor->us[r] = quantile(f, n, 4);
                ratio[r] = scsim->us[r] / floor->us[r];
        }
        return 0;
}

static void report(const struct target *scsim, const struct target *floor, unsigned n,
                   unsigned rounds, const double *ratio, double *med)
{
        static double sorted[ROUNDS_MAX];

        memcpy(sorted, ratio, rounds * sizeof(double));
        qsort(sorted, rounds, sizeof(double), cmp_double);
        *med = sorted[rounds / 2];
        printf("apdu-rtt: %u rounds of %u APDUs to each card in turn, "
               "VERIFY query 00 20 00 01\n",
               rounds, n);
        printf("  %-16s %10.1f us/APDU (median of the rounds' lower quartiles)\n", floor->name,
               median(floor->us, rounds));
        printf("  %-16s %10.1f us/APDU (median of the rounds' lower quartiles)\n", scsim->name,
               median(scsim->us, rounds));
        printf("  ratio, median of the per-round ratios: %.2fx floor "
               "(quartiles %.2f-%.2f, extremes %.2f-%.2f)\n",
               *med, sorted[rounds / 4], sorted[rounds - 1 - rounds / 4], sorted[0],
               sorted[rounds - 1]);
}

static void run_vicc(SCARDCONTEXT ctx, uint16_t port, struct target *vicc, double f, double s,
                     char *vicc_dir, size_t cap, pid_t *vicc_pid)
{
        const unsigned n_vicc = 40;

        if (access("/usr/bin/vicc", X_OK) != 0) {
                printf("  %-16s not installed (apt-get install vsmartcard-vpicc)\n", vicc->name);
                return;
        }
        *vicc_pid = start_vicc(port, vicc_dir, cap);
        if (*vicc_pid < 0 || wait_state(ctx, vicc->reader, true, 60) != 0 ||
            connect_card(ctx, vicc) != 0) {
                printf("  %-16s did not start (see reference/vpcd.md)\n", vicc->name);
                return;
        }
        for (int r = 0; r < 3; r++)
                vicc->us[r] = measure(vicc, n_vicc);
        double v = median(vicc->us, 3);
        if (v > 0)
                printf("  %-16s %10.1f us/APDU   %.2fx floor, %.1fx scsim-vpcd (%u APDUs x 3)\n",
                       vicc->name, v, v / f, v / s, n_vicc);
        SCardDisconnect(vicc->card, SCARD_LEAVE_CARD);
}

static int usage(int opt)
{
        printf("usage: scsim run -- apdu-rtt [-n APDUS] [-r ROUNDS] [-V (skip vicc)]\n"
               "Round trips through pcscd: scsim-vpcd in slot 0 against a floor card in slot 1,\n"
               "in ROUNDS (default 201) short rounds of APDUS (default 50) to each card, one to\n"
               "each in turn, both cards on one core; the result is the median of the\n"
               "per-round ratios. Then Debian's vicc (when installed) in slot 1. In reverse\n"
               "mode (scsim run's default) it starts itself again under scsim run --removable.\n");
        return opt == 'h' ? 0 : 2;
}

/* Options into *n, *rounds, *want_vicc: -1 to go on, else the exit code. */
static int parse_opts(int argc, char **argv, unsigned *n, unsigned *rounds, bool *want_vicc)
{
        int opt;

        while ((opt = getopt(argc, argv, "n:r:Vh")) != -1) {
                if (opt == 'n')
                        *n = (unsigned)strtoul(optarg, NULL, 10);
                else if (opt == 'r')
                        *rounds = (unsigned)strtoul(optarg, NULL, 10);
                else if (opt == 'V')
                        *want_vicc = false;
                else
                        return usage(opt);
        }
        if (*n == 0 || *n > ROUND_APDUS_MAX || *rounds == 0 || *rounds > ROUNDS_MAX) {
                fprintf(stderr, "apdu-rtt: -n: 1 to %d APDUs a round; -r: 1 to %d rounds\n",
                        ROUND_APDUS_MAX, ROUNDS_MAX);
                return 2;
        }
        return -1;
}

int main(int argc, char **argv)
{
        const char *dir = getenv("SCSIM_RUN_DIR");
        const char *reader0 = getenv("SCSIM_READER_0");
        const char *reader1 = getenv("SCSIM_READER_1");
        unsigned n = 50, rounds = 201;
        bool want_vicc = true, reverse = true;
        struct target scsim = {.name = "scsim-vpcd"}, floor = {.name = "floor card"};
        struct target vicc = {.name = "vicc (Python)"};
        static double ratio[ROUNDS_MAX];
        double med = 0;
        SCARDCONTEXT ctx = 0;
        uint16_t port = 0;
        pid_t floor_pid = -1, vicc_pid = -1;
        char vicc_dir[PATH_MAX] = "";
        int rc;

        if ((rc = parse_opts(argc, argv, &n, &rounds, &want_vicc)) >= 0)
                return rc;
        rc = 3;
        if (dir == NULL || reader0 == NULL || reader1 != NULL) {
                fprintf(stderr, "apdu-rtt: run me as: scsim run -- %s\n", argv[0]);
                return 2;
        }
        if (read_port(dir, &port, &reverse) != 0) {
                fprintf(stderr, "apdu-rtt: no CHANNELID in %s/reader.conf.d/scsim\n", dir);
                return 3;
        }
        if (reverse) {
                if (getenv("APDU_RTT_AGAIN") != NULL) {
                        fprintf(stderr, "apdu-rtt: scsim run --removable still wrote a "
                                        "reverse-mode reader entry\n");
                        return 3;
                }
                return rerun_removable(argc, argv);
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
        same_core(floor_pid);
        /* Warm-up, then the rounds. */
        if (measure(&scsim, n) < 0 || measure(&floor, n) < 0 ||
            alternate(&scsim, &floor, n, rounds, ratio) != 0)
                goto fail;
        SCardDisconnect(floor.card, SCARD_LEAVE_CARD);
        stop_child(floor_pid);
        floor_pid = -1;
        /* pcscd must have seen the floor card go before the next card's presence means anything. */
        if (wait_state(ctx, floor.reader, false, 30) != 0)
                goto fail;
        report(&scsim, &floor, n, rounds, ratio, &med);
        if (want_vicc)
                run_vicc(ctx, (uint16_t)(port + 1u), &vicc, median(floor.us, rounds),
                         median(scsim.us, rounds), vicc_dir, sizeof(vicc_dir), &vicc_pid);
        fflush(stdout);
        printf("goal: scsim-vpcd within 1.2x of the floor: %s\n", med <= 1.2 ? "met" : "NOT met");
        rc = 0;
fail:
        if (scsim.card != 0)
                SCardDisconnect(scsim.card, SCARD_LEAVE_CARD);
        stop_child(floor_pid);
        stop_vicc(vicc_pid, vicc_dir);
        if (ctx != 0)
                SCardReleaseContext(ctx);
        return rc;
}
