/* SPDX-License-Identifier: MIT */
/* scsim run: a private pcscd with simulated cards inserted, for one command or a CI job. */
/* unshare(), pipe2() and nftw() are Linux/XSI interfaces. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <PCSC/winscard.h>
#include <PCSC/wintypes.h>

#include <openssl/crypto.h>
#include <scsim/scsim.h>

#include "bridge.h"
#include "commands.h"

/* FRIENDLYNAME in our reader.conf: pcscd names the slots "Virtual PCD 00 00", "... 00 01". */
#define READER_PREFIX "Virtual PCD"
/* Debian's libifdvpcd.so has two slots per reader and one set of them per pcscd. */
#define VPCD_SLOTS   2u
#define VPCD_LIBPATH "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"
#define PID_FILE     "scsim-run.pid"
#define SLOTS_FILE   "scsim-run.slots"
/* A restarted pcscd is a recovery; a pcscd that keeps dying is a failure to report. */
#define PCSCD_RESTARTS_MAX 10u
#define STOP_GRACE_MS      10000

enum run_mode { MODE_FOREGROUND, MODE_START, MODE_STOP, MODE_WAIT };

struct run_opts {
        enum run_mode mode;
        const char *profile;
        unsigned slots;
        const char *trace;
        bool trace_secrets;
        const char *state; /* --state PATH: durable card state (PATH.n for slot n) */
        /* --state-key FILE: the key that encrypts it */
        const char *state_key;
        unsigned timeout_s;
        int verbose;
        const char *dir; /* --stop / --wait */
        char **cmd;
};

struct run_env {
        const struct run_opts *opts;
        char dir[PATH_MAX];
        char run[PATH_MAX];  /* bind-mounted over /run/pcscd inside pcscd's namespace */
        char conf[PATH_MAX]; /* pcscd -c */
        char sock[PATH_MAX]; /* what clients put in PCSCLITE_CSOCK_NAME */
        bool dir_made;
        uint16_t port;
        int sig_fd;
        int notify_fd; /* --start: the pipe to the waiting parent; no daemon may keep it */
        sigset_t old_mask;
        scsim_profile *profile;
        uint8_t key[SCSIM_STATE_KEY_LEN]; /* --state-key's, read once */
        FILE *trace;
        pid_t pcscd, bridge, cmd;
        unsigned pcscd_restarts;
        bool stopping;
        int stop_sig; /* a signal that interrupted the start */
        char readers[VPCD_SLOTS][128];
};

static void usage(FILE *f)
{
        fprintf(
            f,
            "usage: scsim run [OPTIONS] -- COMMAND [ARGS...]\n"
            "       scsim run --start [OPTIONS]     (then: eval the printed lines)\n"
            "       scsim run --stop [DIR]          (DIR defaults to $SCSIM_RUN_DIR)\n"
            "       scsim run --wait [DIR]          (wait until every card is present again)\n"
            "\n"
            "Starts a private pcscd with Debian's vpcd and scsim-vpcd's cards inserted, runs\n"
            "COMMAND with PCSCLITE_CSOCK_NAME, SCSIM_READER (first slot's reader),\n"
            "SCSIM_READER_0.. and SCSIM_RUN_DIR set, and removes everything afterwards.\n"
            "The exit code is COMMAND's (128+N when a signal N ended it).\n"
            "\n"
            "  -p, --profile P      card profile, name or YAML file (default iso7816-chv)\n"
            "  -n, --slots N        cards in readers \"" READER_PREFIX
            " 00 00\"... (1 or 2, default 1)\n"
            "  -t, --trace FILE     APDU trace of every slot (see scsim-vpcd --trace)\n"
            "      --trace-secrets  do not mask PINs and keys in the trace\n"
            "  -s, --state PATH     keep card state in PATH (slot n: PATH.n), see docs/state.md\n"
            "      --state-key FILE encrypt it with the key in FILE (32 bytes or 64 hex digits)\n"
            "      --timeout SEC    how long to wait for the cards to appear (default 30)\n"
            "      --start          start in the background; print the environment to export\n"
            "      --stop           stop what --start started\n"
            "      --wait           wait for readiness again (after pcscd was restarted)\n"
            "  -v, --verbose        say what happens\n"
            "  -h, --help           this text\n"
            "\n"
            "Needs root (a private mount namespace hides the system pcscd's socket path).\n");
}

static void say(const struct run_env *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void say(const struct run_env *e, const char *fmt, ...)
{
        va_list ap;

        if (e->opts->verbose == 0)
                return;
        fprintf(stderr, "scsim run: ");
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

static uint64_t now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int path_join(char *out, size_t cap, const char *dir, const char *name)
{
        int n = snprintf(out, cap, "%s/%s", dir, name);

        return (n < 0 || (size_t)n >= cap) ? -1 : 0;
}

static void print_tail(const char *dir, const char *name, unsigned lines)
{
        char path[PATH_MAX];
        char *buf = NULL;
        FILE *f;
        long size;
        size_t got, i;
        unsigned seen = 0;

        if (path_join(path, sizeof(path), dir, name) != 0 || (f = fopen(path, "r")) == NULL)
                return;
        /* The tail of a log is in its last 16 KiB. */
        if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) > 16384)
                (void)fseek(f, size - 16384, SEEK_SET);
        else
                rewind(f);
        buf = calloc(1, 16385);
        if (buf != NULL) {
                got = fread(buf, 1, 16384, f);
                i = got;
                if (i > 0 && buf[i - 1] == '\n')
                        i--;
                while (i > 0 && !(buf[i - 1] == '\n' && ++seen == lines))
                        i--;
                fprintf(stderr, "--- last lines of %s ---\n%s%s--- end of %s ---\n", name, buf + i,
                        (got > 0 && buf[got - 1] != '\n') ? "\n" : "", name);
        }
        free(buf);
        fclose(f);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)flag;
        (void)ftw;
        if (remove(path) != 0 && errno != ENOENT)
                fprintf(stderr, "scsim run: cannot remove %s: %s\n", path, strerror(errno));
        return 0;
}

static void remove_tree(const char *dir)
{
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Two consecutive free ports (vpcd always opens both of its slots) on every interface, as vpcd
 * binds. */
static int pick_ports(uint16_t *port)
{
        for (int attempt = 0; attempt < 50; attempt++) {
                struct sockaddr_in sa;
                socklen_t len = sizeof(sa);
                int a = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                int b = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                bool ok = false;

                memset(&sa, 0, sizeof(sa));
                sa.sin_family = AF_INET;
                sa.sin_addr.s_addr = htonl(INADDR_ANY);
                if (a >= 0 && b >= 0 && bind(a, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
                    getsockname(a, (struct sockaddr *)&sa, &len) == 0) {
                        uint16_t p = ntohs(sa.sin_port);
                        if (p < 65535) {
                                sa.sin_port = htons((uint16_t)(p + 1));
                                if (bind(b, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
                                        *port = p;
                                        ok = true;
                                }
                        }
                }
                if (a >= 0)
                        close(a);
                if (b >= 0)
                        close(b);
                if (ok)
                        return 0;
        }
        return -1;
}

static int write_file(const char *dir, const char *name, const char *text)
{
        char path[PATH_MAX];
        FILE *f;
        int ok = -1;

        if (path_join(path, sizeof(path), dir, name) != 0)
                return -1;
        f = fopen(path, "w");
        if (f == NULL)
                return -1;
        if (fputs(text, f) >= 0)
                ok = 0;
        if (fclose(f) != 0)
                ok = -1;
        return ok;
}

static int make_dir(struct run_env *e)
{
        const char *tmp = getenv("TMPDIR");
        char text[512];

        if (tmp == NULL || tmp[0] == '\0')
                tmp = "/tmp";
        if (snprintf(e->dir, sizeof(e->dir), "%s/scsim-run.XXXXXX", tmp) >= (int)sizeof(e->dir) ||
            mkdtemp(e->dir) == NULL) {
                fprintf(stderr, "scsim run: cannot create a directory in %s: %s\n", tmp,
                        strerror(errno));
                return -1;
        }
        e->dir_made = true;
        /* Clients of any user must reach the socket inside. */
        if (chmod(e->dir, 0755) != 0 || path_join(e->run, sizeof(e->run), e->dir, "run") != 0 ||
            path_join(e->conf, sizeof(e->conf), e->dir, "reader.conf.d") != 0 ||
            path_join(e->sock, sizeof(e->sock), e->run, "pcscd.comm") != 0 ||
            mkdir(e->run, 0755) != 0 || mkdir(e->conf, 0755) != 0)
                goto fail;
        if (pick_ports(&e->port) != 0) {
                fprintf(stderr, "scsim run: no two consecutive free TCP ports found\n");
                return -1;
        }
        snprintf(text, sizeof(text),
                 "# written by scsim run: Debian's vpcd, listening on ports %u and %u\n"
                 "FRIENDLYNAME \"" READER_PREFIX "\"\n"
                 "DEVICENAME   /dev/null:%u\n"
                 "LIBPATH      " VPCD_LIBPATH "\n"
                 "CHANNELID    %u\n",
                 e->port, e->port + 1u, e->port, e->port);
        if (write_file(e->conf, "scsim", text) != 0)
                goto fail;
        snprintf(text, sizeof(text), "%u\n", e->opts->slots);
        if (write_file(e->dir, SLOTS_FILE, text) != 0)
                goto fail;
        return 0;
fail:
        fprintf(stderr, "scsim run: cannot prepare %s: %s\n", e->dir, strerror(errno));
        return -1;
}

/* Child side of a fork: back to default signal handling, and die with the parent. */
static void child_common(const struct run_env *e, bool own_group)
{
        struct sigaction sa;

        if (own_group)
                (void)setpgid(0, 0);
        (void)prctl(PR_SET_PDEATHSIG, SIGTERM);
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = SIG_DFL;
        for (int s = 1; s < NSIG; s++)
                (void)sigaction(s, &sa, NULL);
        (void)sigprocmask(SIG_SETMASK, &e->old_mask, NULL);
        if (e->sig_fd >= 0)
                close(e->sig_fd);
        if (e->notify_fd >= 0)
                close(e->notify_fd);
}

static int redirect(int fd, const char *dir, const char *name)
{
        char path[PATH_MAX];
        int f;

        if (name == NULL) {
                f = open("/dev/null", O_RDWR | O_CLOEXEC);
        } else {
                if (path_join(path, sizeof(path), dir, name) != 0)
                        return -1;
                f = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        }
        if (f < 0 || dup2(f, fd) < 0)
                return -1;
        close(f);
        return 0;
}

/*
 * pcscd in its own mount namespace, where e->run hides /run/pcscd: the
 * system's pcscd (if any) keeps its socket and pid file, ours gets its own.
 * Failures before exec come back through a close-on-exec pipe, so the parent
 * can say exactly what went wrong.
 */
static int start_pcscd(struct run_env *e)
{
        int pfd[2];
        char msg[512];
        ssize_t n;
        pid_t pid;

        if (pipe2(pfd, O_CLOEXEC) != 0)
                return -1;
        fflush(NULL);
        pid = fork();
        if (pid < 0) {
                close(pfd[0]);
                close(pfd[1]);
                return -1;
        }
        if (pid == 0) {
                const char *stage = "";
                char *argv[] = {"pcscd", "--foreground", "--config", e->conf, NULL};
                int err;

                close(pfd[0]);
                child_common(e, true);
                if (redirect(0, NULL, NULL) != 0 || redirect(1, e->dir, "pcscd.log") != 0 ||
                    redirect(2, e->dir, "pcscd.log") != 0) {
                        stage = "redirecting output to pcscd.log";
                        goto child_fail;
                }
                if (mkdir("/run/pcscd", 0755) != 0 && errno != EEXIST) {
                        stage = "creating /run/pcscd";
                        goto child_fail;
                }
                if (unshare(CLONE_NEWNS) != 0) {
                        stage = "creating a private mount namespace (unshare)";
                        goto child_fail;
                }
                /* Without this the bind mount below would propagate to the host. */
                if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
                        stage = "making mounts private";
                        goto child_fail;
                }
                if (mount(e->run, "/run/pcscd", NULL, MS_BIND, NULL) != 0) {
                        stage = "bind-mounting the private run directory on /run/pcscd";
                        goto child_fail;
                }
                /*
                 * Keep our pcscd's hands off real USB readers, which belong to the
                 * system's pcscd: an empty, read-only /dev/bus/usb in our namespace.
                 */
                if (access("/dev/bus/usb", F_OK) == 0)
                        (void)mount("scsim-nousb", "/dev/bus/usb", "tmpfs",
                                    MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k");
                execvp("pcscd", argv);
                stage = "starting pcscd";
        child_fail:
                err = errno;
                snprintf(msg, sizeof(msg), "%s: %s%s", stage, strerror(err),
                         (err == EPERM || err == EACCES) ? " (scsim run needs root or "
                                                           "CAP_SYS_ADMIN for a private pcscd)"
                                                         : "");
                (void)!write(pfd[1], msg, strlen(msg));
                _exit(126);
        }
        close(pfd[1]);
        do {
                n = read(pfd[0], msg, sizeof(msg) - 1);
        } while (n < 0 && errno == EINTR);
        close(pfd[0]);
        if (n > 0) {
                msg[n] = '\0';
                fprintf(stderr, "scsim run: cannot start pcscd: %s\n", msg);
                (void)waitpid(pid, NULL, 0);
                return -1;
        }
        e->pcscd = pid;
        say(e, "pcscd started (pid %ld), vpcd on ports %u-%u", (long)pid, e->port, e->port + 1u);
        return 0;
}

static int start_bridge(struct run_env *e)
{
        pid_t pid;

        fflush(NULL);
        pid = fork();
        if (pid < 0)
                return -1;
        if (pid == 0) {
                struct bridge_config cfg;
                char err[256];

                child_common(e, true);
                if (redirect(0, NULL, NULL) != 0 || redirect(2, e->dir, "bridge.log") != 0)
                        _exit(EXIT_RUNTIME);
                memset(&cfg, 0, sizeof(cfg));
                cfg.profile = e->profile;
                cfg.slots = e->opts->slots;
                cfg.trace = e->trace;
                cfg.trace_secrets = e->opts->trace_secrets;
                cfg.state_path = e->opts->state;
                cfg.state_key = e->opts->state_key != NULL ? e->key : NULL;
                cfg.verbosity = 1;
                cfg.log = stderr;
                snprintf(err, sizeof(err), "127.0.0.1:%u", e->port);
                if (vpcd_addr_parse(err, e->port, &cfg.addr, err, sizeof(err)) != 0)
                        _exit(EXIT_RUNTIME);
                _exit(bridge_run(&cfg));
        }
        e->bridge = pid;
        say(e, "scsim-vpcd started (pid %ld), %u slot(s)", (long)pid, e->opts->slots);
        return 0;
}

static const char *describe_status(int status, char *buf, size_t cap)
{
        if (WIFEXITED(status))
                snprintf(buf, cap, "exit code %d", WEXITSTATUS(status));
        else if (WIFSIGNALED(status))
                snprintf(buf, cap, "killed by signal %d", WTERMSIG(status));
        else
                snprintf(buf, cap, "status %d", status);
        return buf;
}

/* Has one of our daemons died? Reaps it and says so. */
static bool daemon_died(struct run_env *e)
{
        char how[64];
        int status;

        if (e->pcscd > 0 && waitpid(e->pcscd, &status, WNOHANG) == e->pcscd) {
                fprintf(stderr, "scsim run: pcscd ended (%s)\n",
                        describe_status(status, how, sizeof(how)));
                e->pcscd = 0;
                return true;
        }
        if (e->bridge > 0 && waitpid(e->bridge, &status, WNOHANG) == e->bridge) {
                fprintf(stderr, "scsim run: scsim-vpcd ended (%s)\n",
                        describe_status(status, how, sizeof(how)));
                e->bridge = 0;
                return true;
        }
        return false;
}

/* Wait for a change in dir (the socket appearing) or a signal, at most ms. Returns a stop signal or
 * 0. */
static int wait_dir_change(int ino_fd, int sig_fd, uint64_t ms)
{
        struct pollfd p[2] = {{.fd = ino_fd, .events = POLLIN}, {.fd = sig_fd, .events = POLLIN}};
        struct signalfd_siginfo si;
        char buf[4096];
        int stop = 0;

        if (poll(p, sig_fd >= 0 ? 2 : 1, (int)ms) <= 0)
                return 0;
        if (p[0].revents & POLLIN)
                (void)!read(ino_fd, buf, sizeof(buf));
        /* SIGCHLD needs nothing here: the caller reaps its daemons by pid. */
        while (sig_fd >= 0 && read(sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
                if (si.ssi_signo != SIGCHLD)
                        stop = (int)si.ssi_signo;
        return stop;
}

static int stop_requested(int sig_fd)
{
        return sig_fd >= 0 ? wait_dir_change(-1, sig_fd, 0) : 0;
}

/*
 * Wait through PC/SC itself until each served slot shows a card: first for
 * pcscd's socket (inotify), then SCardGetStatusChange. Returns 0, or -1 after
 * a message. Bounded waits only, no sleeps: every wait ends on an event.
 */
static int wait_ready(struct run_env *e, unsigned slots, uint64_t deadline)
{
        SCARDCONTEXT ctx = 0;
        SCARD_READERSTATE st[VPCD_SLOTS + 1];
        char *names = NULL;
        DWORD names_len;
        LONG rv = SCARD_S_SUCCESS;
        int ino = -1, ok = -1;
        unsigned found = 0, total = 0;

        ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
        if (ino < 0 || inotify_add_watch(ino, e->run, IN_CREATE | IN_MOVED_TO | IN_ATTRIB) < 0) {
                fprintf(stderr, "scsim run: inotify on %s: %s\n", e->run, strerror(errno));
                goto fail;
        }
        for (;;) {
                uint64_t now = now_ms();
                if (now >= deadline)
                        goto timeout;
                if (daemon_died(e))
                        goto died;
                e->stop_sig = stop_requested(e->sig_fd);
                if (e->stop_sig != 0)
                        goto interrupted;
                if (ctx == 0) {
                        rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
                        if (rv != SCARD_S_SUCCESS) {
                                ctx = 0;
                                e->stop_sig = wait_dir_change(
                                    ino, e->sig_fd, deadline - now < 500 ? deadline - now : 500);
                                if (e->stop_sig != 0)
                                        goto interrupted;
                                continue;
                        }
                }
                /* Readers appear as pcscd loads the driver; the PnP pseudo-reader tells us when. */
                free(names);
                names = NULL;
                names_len = SCARD_AUTOALLOCATE;
                found = 0;
                total = 0;
                rv = SCardListReaders(ctx, NULL, (LPSTR)&names, &names_len);
                if (rv == SCARD_S_SUCCESS) {
                        char *copy = malloc(names_len);
                        if (copy == NULL)
                                goto fail;
                        memcpy(copy, names, names_len);
                        SCardFreeMemory(ctx, names);
                        names = copy;
                        for (char *r = names; *r != '\0'; r += strlen(r) + 1) {
                                total++;
                                if (found < slots &&
                                    strncmp(r, READER_PREFIX " ", strlen(READER_PREFIX) + 1) == 0)
                                        snprintf(e->readers[found++], sizeof(e->readers[0]), "%s",
                                                 r);
                        }
                } else {
                        names = NULL;
                }
                memset(st, 0, sizeof(st));
                for (unsigned i = 0; i < found; i++) {
                        st[i].szReader = e->readers[i];
                        st[i].dwCurrentState = SCARD_STATE_UNAWARE;
                }
                st[found].szReader = "\\\\?PnP?\\Notification";
                /* pcsc-lite's convention: the reader count we know, in the high word. */
                st[found].dwCurrentState = (DWORD)total << 16;
                rv = SCardGetStatusChange(ctx, 0, st, (DWORD)found + 1u);
                if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT) {
                        /* pcscd went away under us (restart): start over with a new context. */
                        SCardReleaseContext(ctx);
                        ctx = 0;
                        continue;
                }
                unsigned present = 0;
                for (unsigned i = 0; i < found; i++)
                        if ((st[i].dwEventState & SCARD_STATE_PRESENT) &&
                            !(st[i].dwEventState & SCARD_STATE_MUTE))
                                present++;
                if (found == slots && present == slots)
                        break;
                /* Block until a reader or card changes, or at most a second to re-check the
                 * daemons. */
                for (unsigned i = 0; i < found; i++)
                        st[i].dwCurrentState = st[i].dwEventState & ~(DWORD)SCARD_STATE_CHANGED;
                st[found].dwCurrentState = (DWORD)total << 16;
                now = now_ms();
                if (now >= deadline)
                        goto timeout;
                rv = SCardGetStatusChange(ctx,
                                          (DWORD)(deadline - now < 1000 ? deadline - now : 1000),
                                          st, (DWORD)found + 1u);
                if (rv != SCARD_S_SUCCESS && rv != SCARD_E_TIMEOUT) {
                        SCardReleaseContext(ctx);
                        ctx = 0;
                }
        }
        ok = 0;
        goto fail;
timeout:
        fprintf(stderr,
                "scsim run: timed out after %u s waiting for %u card(s) to appear in pcscd "
                "(readers found: %u; last PC/SC result: %s)\n",
                e->opts->timeout_s, slots, found, pcsc_stringify_error(rv));
        print_tail(e->dir, "pcscd.log", 20);
        print_tail(e->dir, "bridge.log", 20);
        goto fail;
interrupted:
        fprintf(stderr, "scsim run: interrupted while waiting for the cards\n");
        goto fail;
died:
        print_tail(e->dir, "pcscd.log", 20);
        print_tail(e->dir, "bridge.log", 20);
fail:
        free(names);
        if (ctx != 0)
                SCardReleaseContext(ctx);
        if (ino >= 0)
                close(ino);
        return ok;
}

static void kill_and_reap(struct run_env *e)
{
        uint64_t deadline = now_ms() + STOP_GRACE_MS;
        bool killed = false;

        if (e->cmd > 0)
                kill(e->cmd, SIGTERM);
        if (e->bridge > 0)
                kill(e->bridge, SIGTERM);
        if (e->pcscd > 0)
                kill(e->pcscd, SIGTERM);
        while (e->cmd > 0 || e->bridge > 0 || e->pcscd > 0) {
                int status;
                pid_t pid = waitpid(-1, &status, WNOHANG);
                if (pid > 0) {
                        if (pid == e->cmd)
                                e->cmd = 0;
                        if (pid == e->bridge)
                                e->bridge = 0;
                        if (pid == e->pcscd)
                                e->pcscd = 0;
                        continue;
                }
                if (pid < 0 && errno == ECHILD)
                        break;
                uint64_t now = now_ms();
                if (now >= deadline) {
                        if (killed)
                                break;
                        /* A daemon that ignores SIGTERM for this long is stuck. */
                        if (e->cmd > 0)
                                kill(e->cmd, SIGKILL);
                        if (e->bridge > 0)
                                kill(e->bridge, SIGKILL);
                        if (e->pcscd > 0)
                                kill(e->pcscd, SIGKILL);
                        killed = true;
                        deadline = now + STOP_GRACE_MS;
                        continue;
                }
                struct pollfd p = {.fd = e->sig_fd, .events = POLLIN};
                struct signalfd_siginfo si;
                if (poll(&p, 1, (int)(deadline - now)) > 0)
                        (void)!read(e->sig_fd, &si, sizeof(si));
        }
}

static void teardown(struct run_env *e)
{
        e->stopping = true;
        kill_and_reap(e);
        if (e->trace != NULL && e->trace != stdout)
                fclose(e->trace);
        e->trace = NULL;
        if (e->dir_made) {
                remove_tree(e->dir);
                say(e, "removed %s", e->dir);
        }
        e->dir_made = false;
        scsim_profile_free(&e->profile);
        OPENSSL_cleanse(e->key, sizeof(e->key));
        if (e->sig_fd >= 0)
                close(e->sig_fd);
        e->sig_fd = -1;
        (void)sigprocmask(SIG_SETMASK, &e->old_mask, NULL);
}

/* A pcscd that died while we serve is restarted; the bridge reconnects on its own. */
static void restart_pcscd(struct run_env *e)
{
        char path[PATH_MAX];

        if (e->stopping)
                return;
        if (e->pcscd_restarts >= PCSCD_RESTARTS_MAX) {
                fprintf(stderr, "scsim run: pcscd died %u times, not restarting it again\n",
                        e->pcscd_restarts);
                return;
        }
        e->pcscd_restarts++;
        /* A killed pcscd leaves both behind; the next one must not trip over them. */
        if (path_join(path, sizeof(path), e->run, "pcscd.pid") == 0)
                (void)unlink(path);
        (void)unlink(e->sock);
        if (start_pcscd(e) == 0)
                fprintf(stderr, "scsim run: pcscd restarted (pid %ld)\n", (long)e->pcscd);
}

static int setup(struct run_env *e)
{
        sigset_t mask;
        scsim_diag diag;
        char msg[768];

        memset(&diag, 0, sizeof(diag));
        if (scsim_profile_open(e->opts->profile, &e->profile, &diag) != SCSIM_OK) {
                scsim_diag_format(&diag, msg, sizeof(msg));
                fprintf(stderr, "scsim run: profile '%s': %s\n", e->opts->profile, msg);
                return EXIT_USAGE;
        }
        if (e->opts->state_key != NULL &&
            scsim_state_key_read(e->opts->state_key, e->key, &diag) != SCSIM_OK) {
                scsim_diag_format(&diag, msg, sizeof(msg));
                fprintf(stderr, "scsim run: --state-key: %s\n", msg);
                return EXIT_RUNTIME;
        }
        /* a bad state file stops us here, with its message, before any daemon starts */
        for (unsigned i = 0; e->opts->state != NULL && i < e->opts->slots; i++) {
                char path[PATH_MAX];
                scsim_card *card = scsim_card_new(e->profile);
                int rc = card == NULL ? SCSIM_ERR_NO_MEMORY : SCSIM_ERR_INVALID_ARGUMENT;
                if (card != NULL && e->opts->state_key != NULL)
                        scsim_card_set_state_key(card, e->key, sizeof(e->key));
                if (card != NULL && bridge_state_path(e->opts->state, i, path, sizeof(path)) == 0)
                        rc = scsim_card_attach_state(card, path, &diag);
                scsim_card_free(&card);
                if (rc != SCSIM_OK) {
                        scsim_diag_format(&diag, msg, sizeof(msg));
                        fprintf(stderr, "scsim run: --state: %s\n", msg);
                        return EXIT_RUNTIME;
                }
        }
        if (e->opts->trace != NULL) {
                if (strcmp(e->opts->trace, "-") == 0) {
                        e->trace = stdout;
                } else if ((e->trace = fopen(e->opts->trace, "a")) == NULL) {
                        fprintf(stderr, "scsim run: --trace '%s': %s\n", e->opts->trace,
                                strerror(errno));
                        return EXIT_RUNTIME;
                }
        }
        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGCHLD);
        if (sigprocmask(SIG_BLOCK, &mask, &e->old_mask) != 0 ||
            (e->sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
                fprintf(stderr, "scsim run: signals: %s\n", strerror(errno));
                return EXIT_RUNTIME;
        }
        if (make_dir(e) != 0)
                return EXIT_RUNTIME;
        /* libpcsclite reads this once, on our first PC/SC call. */
        if (setenv("PCSCLITE_CSOCK_NAME", e->sock, 1) != 0)
                return EXIT_RUNTIME;
        if (start_pcscd(e) != 0 || start_bridge(e) != 0)
                return EXIT_RUNTIME;
        if (wait_ready(e, e->opts->slots, now_ms() + (uint64_t)e->opts->timeout_s * 1000u) != 0)
                return e->stop_sig != 0 ? 128 + e->stop_sig : EXIT_RUNTIME;
        say(e, "ready: %s", e->readers[0]);
        return EXIT_OK;
}

static void export_line(FILE *f, const char *name, const char *value)
{
        /* Single quotes survive any value except a quote, which we close, escape and reopen. */
        fprintf(f, "export %s='", name);
        for (const char *p = value; *p != '\0'; p++) {
                if (*p == '\'')
                        fputs("'\\''", f);
                else
                        fputc(*p, f);
        }
        fputs("'\n", f);
}

static void print_env(const struct run_env *e, FILE *f)
{
        char name[32];

        export_line(f, "PCSCLITE_CSOCK_NAME", e->sock);
        export_line(f, "SCSIM_READER", e->readers[0]);
        for (unsigned i = 0; i < e->opts->slots; i++) {
                snprintf(name, sizeof(name), "SCSIM_READER_%u", i);
                export_line(f, name, e->readers[i]);
        }
        export_line(f, "SCSIM_RUN_DIR", e->dir);
}

static int set_child_env(const struct run_env *e)
{
        char name[32];

        if (setenv("PCSCLITE_CSOCK_NAME", e->sock, 1) != 0 ||
            setenv("SCSIM_READER", e->readers[0], 1) != 0 ||
            setenv("SCSIM_RUN_DIR", e->dir, 1) != 0)
                return -1;
        for (unsigned i = 0; i < e->opts->slots; i++) {
                snprintf(name, sizeof(name), "SCSIM_READER_%u", i);
                if (setenv(name, e->readers[i], 1) != 0)
                        return -1;
        }
        return 0;
}

/*
 * Serve until the command ends (foreground) or a stop signal arrives
 * (detached). Returns the command's status, or -1 when there is none.
 */
static int supervise(struct run_env *e, int *signalled)
{
        int cmd_status = -1;
        unsigned interrupts = 0;

        for (;;) {
                struct pollfd p = {.fd = e->sig_fd, .events = POLLIN};
                struct signalfd_siginfo si;

                if (poll(&p, 1, -1) < 0 && errno != EINTR)
                        return -1;
                while (read(e->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                        int sig = (int)si.ssi_signo;
                        if (sig == SIGCHLD) {
                                int status;
                                pid_t pid;
                                char how[64];
                                while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
                                        if (pid == e->cmd) {
                                                e->cmd = 0;
                                                cmd_status = status;
                                        } else if (pid == e->pcscd) {
                                                e->pcscd = 0;
                                                fprintf(stderr, "scsim run: pcscd ended (%s)\n",
                                                        describe_status(status, how, sizeof(how)));
                                                restart_pcscd(e);
                                        } else if (pid == e->bridge) {
                                                e->bridge = 0;
                                                fprintf(stderr,
                                                        "scsim run: scsim-vpcd ended (%s); the "
                                                        "cards are gone\n",
                                                        describe_status(status, how, sizeof(how)));
                                                print_tail(e->dir, "bridge.log", 20);
                                        }
                                }
                                if (cmd_status != -1)
                                        return cmd_status;
                                continue;
                        }
                        /* SIGINT, SIGTERM, SIGHUP */
                        *signalled = sig;
                        if (e->cmd <= 0)
                                return -1;
                        interrupts++;
                        /*
                         * The command decides how to end; a second interrupt insists.
                         * A terminal's Ctrl-C already reached the command (same
                         * process group): only signals sent to us alone are passed on.
                         */
                        if (interrupts > 1)
                                kill(e->cmd, SIGKILL);
                        else if (si.ssi_code == SI_USER || si.ssi_code == SI_QUEUE)
                                kill(e->cmd, sig);
                }
        }
}

static int run_foreground(struct run_env *e)
{
        int rc, status, sig = 0;

        rc = setup(e);
        if (rc != EXIT_OK)
                goto done;
        fflush(NULL);
        e->cmd = fork();
        if (e->cmd < 0) {
                fprintf(stderr, "scsim run: fork: %s\n", strerror(errno));
                rc = EXIT_RUNTIME;
                goto done;
        }
        if (e->cmd == 0) {
                child_common(e, false);
                (void)prctl(PR_SET_PDEATHSIG, 0);
                if (set_child_env(e) != 0)
                        _exit(EXIT_RUNTIME);
                execvp(e->opts->cmd[0], e->opts->cmd);
                fprintf(stderr, "scsim run: cannot run '%s': %s\n", e->opts->cmd[0],
                        strerror(errno));
                _exit(errno == ENOENT ? 127 : 126);
        }
        status = supervise(e, &sig);
        if (status == -1)
                rc = sig != 0 ? 128 + sig : EXIT_RUNTIME;
        else if (WIFEXITED(status))
                rc = WEXITSTATUS(status);
        else if (WIFSIGNALED(status))
                rc = 128 + WTERMSIG(status);
        else
                rc = EXIT_RUNTIME;
done:
        teardown(e);
        return rc;
}

/*
 * --start: a supervisor process in its own session keeps pcscd and the
 * bridge, and tears them down on SIGTERM (--stop). The caller gets the
 * environment through a pipe once everything is ready, and returns.
 */
static int run_start(struct run_env *e)
{
        int pfd[2];
        char buf[4096];
        size_t got = 0;
        ssize_t n;
        pid_t pid;
        int status;

        if (pipe2(pfd, O_CLOEXEC) != 0)
                return EXIT_RUNTIME;
        fflush(NULL);
        pid = fork();
        if (pid < 0)
                return EXIT_RUNTIME;
        if (pid == 0) {
                FILE *out;
                int rc, sig = 0;
                char text[32];

                close(pfd[0]);
                e->notify_fd = pfd[1];
                (void)setsid();
                /* Our stdout may be $(...) in a shell: it must not stay open in the daemons. */
                if (redirect(0, NULL, NULL) != 0 || redirect(1, NULL, NULL) != 0)
                        _exit(EXIT_RUNTIME);
                rc = setup(e);
                if (rc != EXIT_OK) {
                        teardown(e);
                        _exit(rc);
                }
                snprintf(text, sizeof(text), "%ld\n", (long)getpid());
                out = fdopen(pfd[1], "w");
                if (write_file(e->dir, PID_FILE, text) != 0 || out == NULL) {
                        teardown(e);
                        _exit(EXIT_RUNTIME);
                }
                print_env(e, out);
                fclose(out);
                e->notify_fd = -1;
                if (redirect(2, e->dir, "supervisor.log") != 0)
                        (void)redirect(2, NULL, NULL);
                (void)supervise(e, &sig);
                fprintf(stderr, "scsim run: stopping (signal %d)\n", sig);
                teardown(e);
                _exit(EXIT_OK);
        }
        close(pfd[1]);
        while (got < sizeof(buf) - 1) {
                n = read(pfd[0], buf + got, sizeof(buf) - 1 - got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                got += (size_t)n;
        }
        close(pfd[0]);
        buf[got] = '\0';
        if (got == 0) {
                if (waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
                    WEXITSTATUS(status) != 0)
                        return WEXITSTATUS(status);
                return EXIT_RUNTIME;
        }
        fputs(buf, stdout);
        return EXIT_OK;
}

static int read_number_file(const char *dir, const char *name, long *out)
{
        char path[PATH_MAX];
        FILE *f;
        int ok = -1;

        if (path_join(path, sizeof(path), dir, name) != 0 || (f = fopen(path, "r")) == NULL)
                return -1;
        if (fscanf(f, "%ld", out) == 1 && *out > 0)
                ok = 0;
        fclose(f);
        return ok;
}

static const char *dir_argument(const struct run_opts *o)
{
        const char *dir = o->dir != NULL ? o->dir : getenv("SCSIM_RUN_DIR");

        if (dir == NULL || dir[0] == '\0')
                fprintf(stderr, "scsim run: no directory given and SCSIM_RUN_DIR is not set\n");
        return (dir != NULL && dir[0] != '\0') ? dir : NULL;
}

static int run_stop(const struct run_opts *o)
{
        const char *dir = dir_argument(o);
        long pid;
        int pfd;
        struct stat st;

        if (dir == NULL)
                return EXIT_USAGE;
        if (read_number_file(dir, PID_FILE, &pid) != 0 || pid > INT_MAX) {
                fprintf(stderr, "scsim run: %s/%s: not found or unreadable: nothing to stop\n", dir,
                        PID_FILE);
                return EXIT_RUNTIME;
        }
        pfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
        if (pfd < 0) {
                fprintf(stderr, "scsim run: supervisor %ld is gone: %s\n", pid, strerror(errno));
                return EXIT_RUNTIME;
        }
        if (kill((pid_t)pid, SIGTERM) != 0) {
                fprintf(stderr, "scsim run: cannot signal %ld: %s\n", pid, strerror(errno));
                close(pfd);
                return EXIT_RUNTIME;
        }
        /* The supervisor's exit is the event: its teardown has finished by then. */
        struct pollfd p = {.fd = pfd, .events = POLLIN};
        int r = poll(&p, 1, 3 * STOP_GRACE_MS);
        close(pfd);
        if (r <= 0) {
                fprintf(stderr, "scsim run: supervisor %ld did not stop in time\n", pid);
                return EXIT_RUNTIME;
        }
        if (stat(dir, &st) == 0) {
                fprintf(stderr, "scsim run: %s is still there after the stop\n", dir);
                return EXIT_RUNTIME;
        }
        return EXIT_OK;
}

static int run_wait(struct run_env *e)
{
        const char *dir = dir_argument(e->opts);
        long slots;
        int rc;

        if (dir == NULL)
                return EXIT_USAGE;
        if (read_number_file(dir, SLOTS_FILE, &slots) != 0 || slots > (long)VPCD_SLOTS) {
                fprintf(stderr, "scsim run: %s is not a scsim run directory\n", dir);
                return EXIT_RUNTIME;
        }
        if (path_join(e->run, sizeof(e->run), dir, "run") != 0 ||
            path_join(e->sock, sizeof(e->sock), e->run, "pcscd.comm") != 0)
                return EXIT_USAGE;
        snprintf(e->dir, sizeof(e->dir), "%s", dir);
        if (setenv("PCSCLITE_CSOCK_NAME", e->sock, 1) != 0)
                return EXIT_RUNTIME;
        rc = wait_ready(e, (unsigned)slots, now_ms() + (uint64_t)e->opts->timeout_s * 1000u);
        return rc == 0 ? EXIT_OK : EXIT_RUNTIME;
}

enum { OPT_TRACE_SECRETS = 256, OPT_TIMEOUT, OPT_START, OPT_STOP, OPT_WAIT, OPT_STATE_KEY };

static const struct option options[] = {
    {"profile", required_argument, NULL, 'p'},
    {"slots", required_argument, NULL, 'n'},
    {"trace", required_argument, NULL, 't'},
    {"state", required_argument, NULL, 's'},
    {"state-key", required_argument, NULL, OPT_STATE_KEY},
    {"trace-secrets", no_argument, NULL, OPT_TRACE_SECRETS},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"start", no_argument, NULL, OPT_START},
    {"stop", no_argument, NULL, OPT_STOP},
    {"wait", no_argument, NULL, OPT_WAIT},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int parse_unsigned(const char *opt, const char *text, unsigned lo, unsigned hi,
                          unsigned *out)
{
        char *end = NULL;
        unsigned long v;

        errno = 0;
        v = strtoul(text, &end, 10);
        if (errno != 0 || end == text || *end != '\0' || v < lo || v > hi) {
                fprintf(stderr, "scsim run: %s '%s': expected a number from %u to %u\n", opt, text,
                        lo, hi);
                return -1;
        }
        *out = (unsigned)v;
        return 0;
}

static int run_main(int argc, char **argv)
{
        struct run_opts o;
        struct run_env e;
        int opt;

        memset(&o, 0, sizeof(o));
        o.profile = "iso7816-chv";
        o.slots = 1;
        o.timeout_s = 30;
        o.mode = MODE_FOREGROUND;
        optind = 1;
        /* '+': stop at the first non-option, so COMMAND's own options stay its own. */
        while ((opt = getopt_long(argc, argv, "+p:n:t:s:vh", options, NULL)) != -1) {
                switch (opt) {
                case 'p':
                        o.profile = optarg;
                        break;
                case 'n':
                        if (parse_unsigned("--slots", optarg, 1, VPCD_SLOTS, &o.slots) != 0)
                                return EXIT_USAGE;
                        break;
                case 't':
                        o.trace = optarg;
                        break;
                case 's':
                        o.state = optarg;
                        break;
                case OPT_STATE_KEY:
                        o.state_key = optarg;
                        break;
                case OPT_TRACE_SECRETS:
                        o.trace_secrets = true;
                        break;
                case OPT_TIMEOUT:
                        if (parse_unsigned("--timeout", optarg, 1, 3600, &o.timeout_s) != 0)
                                return EXIT_USAGE;
                        break;
                case OPT_START:
                        o.mode = MODE_START;
                        break;
                case OPT_STOP:
                        o.mode = MODE_STOP;
                        break;
                case OPT_WAIT:
                        o.mode = MODE_WAIT;
                        break;
                case 'v':
                        o.verbose++;
                        break;
                case 'h':
                        usage(stdout);
                        return EXIT_OK;
                default:
                        usage(stderr);
                        return EXIT_USAGE;
                }
        }
        if (o.state_key != NULL && o.state == NULL) {
                fprintf(stderr, "scsim run: --state-key needs --state\n");
                return EXIT_USAGE;
        }
        memset(&e, 0, sizeof(e));
        e.opts = &o;
        e.sig_fd = -1;
        e.notify_fd = -1;
        switch (o.mode) {
        case MODE_FOREGROUND:
                if (optind >= argc) {
                        fprintf(stderr, "scsim run: no command given (scsim run [OPTIONS] -- "
                                        "COMMAND [ARGS...])\n");
                        return EXIT_USAGE;
                }
                o.cmd = argv + optind;
                return run_foreground(&e);
        case MODE_START:
                if (optind < argc) {
                        fprintf(stderr, "scsim run: --start takes no command\n");
                        return EXIT_USAGE;
                }
                if (o.trace != NULL && strcmp(o.trace, "-") == 0) {
                        fprintf(stderr, "scsim run: --start needs a trace file, not '-'\n");
                        return EXIT_USAGE;
                }
                return run_start(&e);
        case MODE_STOP:
        case MODE_WAIT:
                if (optind + 1 < argc) {
                        fprintf(stderr, "scsim run: too many arguments\n");
                        return EXIT_USAGE;
                }
                o.dir = optind < argc ? argv[optind] : NULL;
                return o.mode == MODE_STOP ? run_stop(&o) : run_wait(&e);
        }
        return EXIT_USAGE;
}

const struct verb verb_run = {"run", "run a command against a private pcscd with simulated cards",
                              run_main};
