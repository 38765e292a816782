/* SPDX-License-Identifier: MIT */
/* run-start: `scsim run` from start to card present, against pcscd finding a waiting card, in one
 * run. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <ftw.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <PCSC/winscard.h>
#include <PCSC/wintypes.h>

#define ROUNDS_DEFAULT 9
#define GOAL           2.0
#define FLOOR_READER   "Floor 00 00"

static uint64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* COMMAND of the measured scsim run: the card is present once it runs; say when. */
static int mark(void)
{
        printf("%llu\n", (unsigned long long)now_ns());
        return 0;
}

/* Run argv with stdout on a pipe; the number it prints, or 0. */
static uint64_t run_and_read(char *const argv[])
{
        char buf[64] = "";
        int pfd[2], status;
        ssize_t n;
        pid_t pid;

        if (pipe2(pfd, O_CLOEXEC) != 0)
                return 0;
        pid = fork();
        if (pid == 0) {
                dup2(pfd[1], 1);
                execv(argv[0], argv);
                _exit(127);
        }
        close(pfd[1]);
        n = read(pfd[0], buf, sizeof(buf) - 1);
        close(pfd[0]);
        if (pid > 0)
                (void)waitpid(pid, &status, 0);
        return n > 0 ? strtoull(buf, NULL, 10) : 0;
}

/* One `scsim run -- run-start-mark`: from our fork to COMMAND's start. */
static double scsim_round(const char *scsim, const char *marker)
{
        char *argv[] = {(char *)scsim, "run", "--", (char *)marker, NULL};
        uint64_t t0 = now_ns(), t1 = run_and_read(argv);

        return t1 > t0 ? (double)(t1 - t0) / 1e6 : -1.0;
}

struct floor {
        char dir[32], conf[48], run[48], sock[64];
        uint16_t port;
        pid_t bridge;
};

static int write_text(const char *path, const char *text)
{
        FILE *f = fopen(path, "w");
        int ok = f != NULL && fputs(text, f) >= 0 ? 0 : -1;

        if (f != NULL && fclose(f) != 0)
                ok = -1;
        return ok;
}

/* Two consecutive free loopback ports, as vpcd's reverse mode connects slot 0 and slot 1. */
static int two_ports(uint16_t *port)
{
        for (unsigned p = 42000; p < 60000; p += 2) {
                struct sockaddr_in sa = {.sin_family = AF_INET};
                int a = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                int b = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                bool ok;
                sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
                sa.sin_port = htons((uint16_t)p);
                ok = bind(a, (struct sockaddr *)&sa, sizeof(sa)) == 0;
                sa.sin_port = htons((uint16_t)(p + 1));
                ok = ok && bind(b, (struct sockaddr *)&sa, sizeof(sa)) == 0;
                close(a);
                close(b);
                if (ok) {
                        *port = (uint16_t)p;
                        return 0;
                }
        }
        return -1;
}

/* The floor's card: scsim-vpcd listening in reverse mode, both slots, before any pcscd starts. */
static int floor_setup(struct floor *f, const char *vpcd)
{
        char text[512], listen[32], ready[8];
        int pfd[2];

        snprintf(f->dir, sizeof(f->dir), "/tmp/run-start.XXXXXX");
        if (mkdtemp(f->dir) == NULL || two_ports(&f->port) != 0 || pipe(pfd) != 0)
                return -1;
        snprintf(f->conf, sizeof(f->conf), "%s/conf", f->dir);
        snprintf(f->run, sizeof(f->run), "%s/run", f->dir);
        snprintf(text, sizeof(text), "%s/conf/floor", f->dir);
        if (mkdir(f->conf, 0755) != 0 || mkdir(f->run, 0755) != 0)
                return -1;
        snprintf(listen, sizeof(listen), "127.0.0.1:%u", f->port);
        snprintf(text + 256, 256,
                 "FRIENDLYNAME \"Floor\"\nDEVICENAME 127.0.0.1:%u\n"
                 "LIBPATH /usr/lib/pcsc/drivers/serial/libifdvpcd.so\nCHANNELID %u\n",
                 f->port, f->port);
        if (write_text(text, text + 256) != 0)
                return -1;
        f->bridge = fork();
        if (f->bridge == 0) {
                (void)prctl(PR_SET_PDEATHSIG, SIGTERM);
                dup2(pfd[1], 3);
                execl(vpcd, vpcd, "--reverse", "--slots=2", "--listen", listen, "--ready-fd=3",
                      (char *)NULL);
                _exit(127);
        }
        close(pfd[1]);
        if (read(pfd[0], ready, sizeof(ready)) <= 0)
                return -1;
        close(pfd[0]);
        return 0;
}

/* pcscd as scsim run starts it with CAP_SYS_ADMIN: own mount namespace, socket handed over. */
static void exec_pcscd(const struct floor *f, int sock)
{
        char pid[16];
        int null = open("/dev/null", O_RDWR);

        (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
            mount(f->run, "/run/pcscd", NULL, MS_BIND, NULL) != 0)
                _exit(126);
        dup2(null, 1);
        dup2(null, 2);
        dup2(sock, 3);
        snprintf(pid, sizeof(pid), "%ld", (long)getpid());
        setenv("LISTEN_FDS", "1", 1);
        setenv("LISTEN_PID", pid, 1);
        execlp("pcscd", "pcscd", "--foreground", "--config", f->conf, (char *)NULL);
        _exit(127);
}

/* In a child of its own (libpcsclite reads the socket path once): wait for the card, say when. */
static void exec_waiter(const struct floor *f)
{
        SCARD_READERSTATE st = {.szReader = FLOOR_READER, .dwCurrentState = SCARD_STATE_UNAWARE};
        SCARDCONTEXT ctx;

        setenv("PCSCLITE_CSOCK_NAME", f->sock, 1);
        if (SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx) != SCARD_S_SUCCESS)
                _exit(1);
        for (;;) {
                if (SCardGetStatusChange(ctx, 1000, &st, 1) == SCARD_S_SUCCESS &&
                    (st.dwEventState & SCARD_STATE_PRESENT))
                        break;
                st.dwCurrentState = st.dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
        }
        exit(mark());
}

/* One floor round: from pcscd's fork to the card present through PC/SC. */
static double floor_round(struct floor *f, const char *self)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        char *argv[] = {(char *)self, "--floor-wait", f->sock, NULL};
        int sock = socket(AF_UNIX, SOCK_STREAM, 0);
        uint64_t t0, t1;
        pid_t pcscd;

        snprintf(f->sock, sizeof(f->sock), "%s/pcscd.comm", f->dir);
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->sock);
        (void)unlink(f->sock);
        if (sock < 0 || bind(sock, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
            listen(sock, 64) != 0)
                return -1.0;
        t0 = now_ns();
        pcscd = fork();
        if (pcscd == 0)
                exec_pcscd(f, sock);
        close(sock);
        t1 = run_and_read(argv);
        kill(pcscd, SIGTERM);
        (void)waitpid(pcscd, NULL, 0);
        return t1 > t0 ? (double)(t1 - t0) / 1e6 : -1.0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)flag;
        (void)ftw;
        (void)remove(path);
        return 0;
}

static int by_value(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
        struct floor f;
        double ratio[64], ms_scsim[64], ms_floor[64];
        unsigned rounds = ROUNDS_DEFAULT;
        char self[PATH_MAX], marker[PATH_MAX + 8];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

        if (argc == 2 && strcmp(argv[1], "--mark") == 0)
                return mark();
        if (argc == 3 && strcmp(argv[1], "--floor-wait") == 0) {
                memset(&f, 0, sizeof(f));
                snprintf(f.sock, sizeof(f.sock), "%s", argv[2]);
                exec_waiter(&f);
        }
        if (argc < 3 || argc > 4 || (argc == 4 && (rounds = (unsigned)atoi(argv[3])) == 0) ||
            rounds > 64) {
                fprintf(stderr, "usage: run-start SCSIM SCSIM_VPCD [ROUNDS]   (as root)\n");
                return 2;
        }
        if (n <= 0 || (size_t)n + sizeof("-mark") > sizeof(self))
                return 3;
        self[n] = '\0';
        /* The static marker beside us (see CMakeLists.txt). */
        snprintf(marker, sizeof(marker), "%s-mark", self);
        memset(&f, 0, sizeof(f));
        if (floor_setup(&f, argv[2]) != 0) {
                fprintf(stderr, "run-start: cannot start the floor's scsim-vpcd\n");
                return 3;
        }
        /* Alternate the two, so a busy machine slows both; the median of per-round ratios. */
        for (unsigned r = 0; r < rounds; r++) {
                ms_floor[r] = floor_round(&f, self);
                ms_scsim[r] = scsim_round(argv[1], marker);
                if (ms_floor[r] <= 0 || ms_scsim[r] <= 0) {
                        fprintf(stderr, "run-start: round %u failed\n", r);
                        return 3;
                }
                ratio[r] = ms_scsim[r] / ms_floor[r];
        }
        kill(f.bridge, SIGTERM);
        (void)waitpid(f.bridge, NULL, 0);
        nftw(f.dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
        qsort(ms_floor, rounds, sizeof(double), by_value);
        qsort(ms_scsim, rounds, sizeof(double), by_value);
        qsort(ratio, rounds, sizeof(double), by_value);
        printf("scsim run, start to card present: median %.1f ms (%u rounds)\n",
               ms_scsim[rounds / 2], rounds);
        printf(
            "floor, pcscd start to card present (scsim-vpcd already listening): median %.1f ms\n",
            ms_floor[rounds / 2]);
        printf("ratio (median of per-round ratios): %.2fx, goal <= %.1fx: %s\n", ratio[rounds / 2],
               GOAL, ratio[rounds / 2] <= GOAL ? "met" : "NOT met");
        return 0;
}
