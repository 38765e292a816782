/* SPDX-License-Identifier: MIT */
/* The bridge: N simulated cards served to vpcd over TCP from one poll loop. */
#include "bridge.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <scsim/scsim.h>

#include "apdu_trace.h"
#include "test_fault.h"

/* Reconnect backoff: first retry soon (pcscd restarts quickly), never wait more than the cap. */
#define BACKOFF_FIRST_MS 50u
#define BACKOFF_MAX_MS   1000u
/* How long a peer may stall inside a frame or a write before the slot is dropped. */
#define IO_TIMEOUT_MS 5000u

enum log_level { L_ERROR = 0, L_WARN = 1, L_INFO = 2, L_DEBUG = 3 };

struct slot {
        struct bridge *bridge;
        unsigned index;
        scsim_card *card;
        struct vpcd_addr addr; /* vpcd's port (connect) or ours (reverse) */
        int listen_fd;         /* reverse mode only */
        int fd;                /* the vpcd connection, -1 while there is none */
        unsigned backoff_ms;
        uint64_t next_try_ms;
        bool waiting_logged; /* "waiting for vpcd" said once per outage */
};

struct bridge {
        const struct bridge_config *cfg;
        struct slot slots[BRIDGE_SLOTS_MAX];
        int sig_fd;
        uint8_t *rx; /* one C-APDU or control byte */
        uint8_t *tx; /* one R-APDU */
        char *hex_c; /* trace text of a command */
        char *hex_r; /* trace text of a response */
};

static void blog(const struct bridge *b, enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void blog(const struct bridge *b, enum log_level level, const char *fmt, ...)
{
        va_list ap;

        if ((int)level > b->cfg->verbosity + 1 || b->cfg->log == NULL)
                return;
        fprintf(b->cfg->log, "scsim-vpcd: ");
        va_start(ap, fmt);
        vfprintf(b->cfg->log, fmt, ap);
        va_end(ap);
        fputc('\n', b->cfg->log);
        fflush(b->cfg->log);
}

static void card_log(void *ctx, enum scsim_log_level level, const char *msg)
{
        const struct slot *s = ctx;

        blog(s->bridge,
             level == SCSIM_LOG_ERROR  ? L_ERROR
             : level == SCSIM_LOG_WARN ? L_WARN
             : level == SCSIM_LOG_INFO ? L_INFO
                                       : L_DEBUG,
             "slot %u: card: %s", s->index, msg);
}

static uint64_t now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void trace_time(char *buf, size_t cap)
{
        struct timespec ts;
        struct tm tm;
        char day[24];

        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf, cap, "%s.%06uZ", day, (unsigned)(ts.tv_nsec / 1000) % 1000000u);
}

static void trace_event(const struct slot *s, const char *what)
{
        FILE *t = s->bridge->cfg->trace;
        char when[64];

        if (t == NULL)
                return;
        trace_time(when, sizeof(when));
        fprintf(t, "%s slot %u %s\n", when, s->index, what);
        fflush(t);
}

static void trace_apdu(const struct slot *s, const uint8_t *c, size_t clen, const uint8_t *r,
                       size_t rlen)
{
        struct bridge *b = s->bridge;
        FILE *t = b->cfg->trace;
        char when[64], ins_buf[16], meaning[64];
        const char *name;
        uint16_t sw = 0;

        if (t == NULL)
                return;
        trace_time(when, sizeof(when));
        name = clen >= 2 ? apdu_trace_ins_name(c[0], c[1]) : NULL;
        if (name == NULL) {
                snprintf(ins_buf, sizeof(ins_buf), "INS %02X", clen >= 2 ? c[1] : 0u);
                name = ins_buf;
        }
        apdu_trace_format_command(c, clen, b->cfg->trace_secrets, b->hex_c,
                                  APDU_TRACE_HEX_CAP(VPCD_FRAME_MAX));
        if (rlen >= 2) {
                sw = (uint16_t)((r[rlen - 2] << 8) | r[rlen - 1]);
                apdu_trace_format_answer(clen >= 2 ? c[1] : 0, r, rlen - 2, b->cfg->trace_secrets,
                                         b->hex_r, APDU_TRACE_HEX_CAP(VPCD_FRAME_MAX));
        } else {
                b->hex_r[0] = '\0';
        }
        fprintf(t, "%s slot %u %s C: %s R: %s SW %04X %s\n", when, s->index, name, b->hex_c,
                b->hex_r[0] != '\0' ? b->hex_r : "-", (unsigned)sw,
                apdu_trace_sw_meaning(sw, meaning, sizeof(meaning)));
        fflush(t);
}

static void slot_schedule_retry(struct slot *s)
{
        s->backoff_ms = s->backoff_ms == 0 ? BACKOFF_FIRST_MS : s->backoff_ms * 2u;
        if (s->backoff_ms > BACKOFF_MAX_MS)
                s->backoff_ms = BACKOFF_MAX_MS;
        s->next_try_ms = now_ms() + s->backoff_ms;
}

/* A card whose reader connection is gone has lost power, as a real card pulled from a reader. */
static void slot_drop(struct slot *s, const char *why)
{
        if (s->fd < 0)
                return;
        close(s->fd);
        s->fd = -1;
        scsim_card_power_off(s->card);
        blog(s->bridge, L_INFO, "slot %u: disconnected (%s)", s->index, why);
        s->waiting_logged = false;
        s->backoff_ms = 0;
        slot_schedule_retry(s);
}

static void slot_connected(struct slot *s, int fd)
{
        char where[80];

        if (vpcd_sock_tune(fd, IO_TIMEOUT_MS) != 0)
                blog(s->bridge, L_WARN, "slot %u: socket options: %s", s->index, strerror(errno));
        s->fd = fd;
        s->backoff_ms = 0;
        blog(s->bridge, L_INFO, "slot %u: connected to vpcd at %s", s->index,
             vpcd_addr_format(&s->addr, where, sizeof(where)));
}

static void slot_try_connect(struct slot *s)
{
        char where[80];
        int fd = socket(s->addr.ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct timeval tv = {.tv_sec = IO_TIMEOUT_MS / 1000u, .tv_usec = 0};

        if (fd < 0)
                goto retry;
        /* connect() honours the send timeout: a black-holed remote host cannot stall the loop
         * forever. */
        (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        if (connect(fd, (const struct sockaddr *)&s->addr.ss, s->addr.len) == 0) {
                slot_connected(s, fd);
                return;
        }
retry:
        if (!s->waiting_logged) {
                blog(s->bridge, L_INFO, "slot %u: waiting for vpcd at %s (%s)", s->index,
                     vpcd_addr_format(&s->addr, where, sizeof(where)), strerror(errno));
                s->waiting_logged = true;
        }
        if (fd >= 0)
                close(fd);
        slot_schedule_retry(s);
}

static int slot_listen(struct slot *s)
{
        char where[80];
        int one = 1;
        int fd = socket(s->addr.ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

        if (fd < 0)
                goto fail;
        (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, (const struct sockaddr *)&s->addr.ss, s->addr.len) != 0 || listen(fd, 4) != 0)
                goto fail;
        s->listen_fd = fd;
        blog(s->bridge, L_INFO, "slot %u: listening on %s for vpcd", s->index,
             vpcd_addr_format(&s->addr, where, sizeof(where)));
        return 0;
fail:
        blog(s->bridge, L_ERROR, "slot %u: cannot listen on %s: %s", s->index,
             vpcd_addr_format(&s->addr, where, sizeof(where)), strerror(errno));
        if (fd >= 0)
                close(fd);
        return -1;
}

static void slot_accept(struct slot *s)
{
        int fd = accept(s->listen_fd, NULL, NULL);

        if (fd >= 0)
                (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
        if (fd < 0) {
                blog(s->bridge, L_WARN, "slot %u: accept: %s", s->index, strerror(errno));
                return;
        }
        /* vpcd only reconnects after it dropped the old socket itself. */
        slot_drop(s, "vpcd opened a new connection");
        slot_connected(s, fd);
}

static int slot_send(struct slot *s, const uint8_t *p, size_t len)
{
        if (vpcd_write_frame(s->fd, p, len) != 0) {
                char why[128];
                snprintf(why, sizeof(why), "write: %s", strerror(errno));
                slot_drop(s, why);
                return -1;
        }
        return 0;
}

static void slot_control(struct slot *s, uint8_t ctrl)
{
        const uint8_t *atr = NULL;
        size_t atr_len = 0;
        int rc;

        switch (ctrl) {
        case VPCD_CTRL_OFF:
                scsim_card_power_off(s->card);
                trace_event(s, "power off");
                break;
        case VPCD_CTRL_ON:
                rc = scsim_card_power_on(s->card, &atr, &atr_len);
                if (rc != SCSIM_OK)
                        blog(s->bridge, L_ERROR, "slot %u: power on: %s", s->index,
                             scsim_strerror(rc));
                trace_event(s, "power on");
                break;
        case VPCD_CTRL_RESET:
                /* A reset of an unpowered card is a cold start: the card must end up powered. */
                if (scsim_card_is_powered(s->card))
                        rc = scsim_card_reset(s->card, &atr, &atr_len);
                else
                        rc = scsim_card_power_on(s->card, &atr, &atr_len);
                if (rc != SCSIM_OK)
                        blog(s->bridge, L_ERROR, "slot %u: reset: %s", s->index,
                             scsim_strerror(rc));
                trace_event(s, "reset");
                break;
        case VPCD_CTRL_ATR:
                rc = scsim_card_atr(s->card, &atr, &atr_len);
                if (rc != SCSIM_OK || atr_len == 0) {
                        blog(s->bridge, L_ERROR, "slot %u: no ATR: %s", s->index,
                             scsim_strerror(rc));
                        slot_drop(s, "card has no ATR");
                        return;
                }
                (void)slot_send(s, atr, atr_len);
                break;
        default: {
                char why[64];
                snprintf(why, sizeof(why), "bogus frame: unknown control byte %02X",
                         (unsigned)ctrl);
                blog(s->bridge, L_WARN, "slot %u: %s", s->index, why);
                slot_drop(s, why);
                break;
        }
        }
}

static void slot_apdu(struct slot *s, const uint8_t *c, size_t clen)
{
        struct bridge *b = s->bridge;
        size_t rlen = 0;
        int rc;

        if (!scsim_card_is_powered(s->card)) {
                /*
                 * vpcd powers the card before any APDU, so it missed that this
                 * card was swapped (the bridge restarted behind its back).
                 * Answering would leave pcscd talking to a card it never
                 * powered; a removal makes it see a fresh insertion instead.
                 */
                blog(b, L_WARN,
                     "slot %u: APDU for an unpowered card: vpcd missed a restart, "
                     "reconnecting so that pcscd sees the card removed",
                     s->index);
                slot_drop(s, "APDU for an unpowered card");
                return;
        } else {
                rc = scsim_card_transmit(s->card, c, clen, b->tx, SCSIM_RAPDU_MAX, &rlen);
                if (rc != SCSIM_OK || rlen > VPCD_FRAME_MAX) {
                        blog(b, L_ERROR, "slot %u: transmit: %s", s->index,
                             rc != SCSIM_OK ? scsim_strerror(rc) : "answer longer than a frame");
                        b->tx[0] = 0x6f;
                        b->tx[1] = 0x00;
                        rlen = 2;
                }
        }
        trace_apdu(s, c, clen, b->tx, rlen);
        (void)slot_send(s, b->tx, rlen);
}

static void slot_readable(struct slot *s)
{
        struct bridge *b = s->bridge;
        const char *why = NULL;
        char msg[128];
        size_t len = 0;

        switch (vpcd_read_frame(s->fd, b->rx, VPCD_FRAME_MAX, &len, &why)) {
        case VPCD_READ_OK:
                break;
        case VPCD_READ_CLOSED:
                slot_drop(s, "vpcd closed the connection");
                return;
        case VPCD_READ_BOGUS:
                snprintf(msg, sizeof(msg), "bogus frame: %s", why);
                blog(b, L_WARN, "slot %u: %s, closing the connection", s->index, msg);
                slot_drop(s, msg);
                return;
        case VPCD_READ_ERROR:
        default:
                snprintf(msg, sizeof(msg), "read: %s", strerror(errno));
                slot_drop(s, msg);
                return;
        }
        if (len == 1)
                slot_control(s, b->rx[0]);
        else
                slot_apdu(s, b->rx, len);
        /* The command may have carried a PIN. */
        explicit_bzero(b->rx, len);
}

/* Slot n's serial is the profile's plus n, so clients can tell the cards apart. */
static int slot_set_serial(struct slot *s)
{
        const uint8_t *serial = NULL;
        uint8_t buf[64];
        size_t len = 0;
        unsigned carry = s->index;

        if (s->index == 0)
                return 0;
        if (scsim_card_serial(s->card, &serial, &len) != SCSIM_OK || len == 0 || len > sizeof(buf))
                return -1;
        memcpy(buf, serial, len);
        for (size_t i = len; i > 0 && carry != 0; i--) {
                unsigned v = buf[i - 1] + carry;
                buf[i - 1] = (uint8_t)v;
                carry = v >> 8;
        }
        return scsim_card_set_serial(s->card, buf, len) == SCSIM_OK ? 0 : -1;
}

static int bridge_setup(struct bridge *b)
{
        const struct bridge_config *cfg = b->cfg;
        sigset_t mask;

        b->rx = malloc(VPCD_FRAME_MAX);
        b->tx = malloc(SCSIM_RAPDU_MAX);
        b->hex_c = malloc(APDU_TRACE_HEX_CAP(VPCD_FRAME_MAX));
        b->hex_r = malloc(APDU_TRACE_HEX_CAP(VPCD_FRAME_MAX));
        if (b->rx == NULL || b->tx == NULL || b->hex_c == NULL || b->hex_r == NULL) {
                blog(b, L_ERROR, "out of memory");
                return -1;
        }
        for (unsigned i = 0; i < cfg->slots; i++) {
                struct slot *s = &b->slots[i];
                s->bridge = b;
                s->index = i;
                s->card = scsim_card_new(cfg->profile);
                if (s->card == NULL) {
                        blog(b, L_ERROR, "slot %u: cannot create the card", i);
                        return -1;
                }
                scsim_card_set_log(s->card, card_log, s);
                if (slot_set_serial(s) != 0) {
                        blog(b, L_ERROR, "slot %u: cannot give the card its serial number", i);
                        return -1;
                }
                if (cfg->state_path != NULL) {
                        char path[PATH_MAX], line[1024];
                        scsim_diag diag;
                        scsim_card_set_state_key(s->card, cfg->state_key,
                                                 cfg->state_key != NULL ? SCSIM_STATE_KEY_LEN : 0);
                        if (bridge_state_path(cfg->state_path, i, path, sizeof(path)) != 0 ||
                            scsim_card_attach_state(s->card, path, &diag) != SCSIM_OK) {
                                scsim_diag_format(&diag, line, sizeof(line));
                                blog(b, L_ERROR, "slot %u: state: %s", i, line);
                                return -1;
                        }
                }
                if (test_fault_arm(s->card) != 0)
                        return -1;
                if (vpcd_addr_with_port_offset(&cfg->addr, i, &s->addr) != 0) {
                        blog(b, L_ERROR, "slot %u: port beyond 65535", i);
                        return -1;
                }
                if (cfg->reverse && slot_listen(s) != 0)
                        return -1;
        }
        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) != 0) {
                blog(b, L_ERROR, "sigprocmask: %s", strerror(errno));
                return -1;
        }
        b->sig_fd = signalfd(-1, &mask, SFD_CLOEXEC);
        if (b->sig_fd < 0) {
                blog(b, L_ERROR, "signalfd: %s", strerror(errno));
                return -1;
        }
        return 0;
}

int bridge_state_path(const char *base, unsigned slot, char *buf, size_t cap)
{
        int n =
            slot == 0 ? snprintf(buf, cap, "%s", base) : snprintf(buf, cap, "%s.%u", base, slot);

        return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* Returns true when a stop signal arrived. */
static bool read_signals(struct bridge *b)
{
        struct signalfd_siginfo si;
        bool stop = false;

        /* The signalfd holds only SIGINT and SIGTERM: any read is a stop. */
        if (read(b->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                blog(b, L_INFO, "%s received, exiting",
                     si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
                stop = true;
        }
        return stop;
}

static int bridge_loop(struct bridge *b)
{
        const struct bridge_config *cfg = b->cfg;
        struct pollfd pfd[1 + BRIDGE_SLOTS_MAX];
        struct slot *owner[1 + BRIDGE_SLOTS_MAX];

        for (;;) {
                int timeout = -1;
                nfds_t n = 0;

                pfd[n].fd = b->sig_fd;
                pfd[n].events = POLLIN;
                owner[n++] = NULL;
                for (unsigned i = 0; i < cfg->slots; i++) {
                        struct slot *s = &b->slots[i];
                        uint64_t now = now_ms();
                        if (!cfg->reverse && s->fd < 0 && s->next_try_ms <= now)
                                slot_try_connect(s);
                        if (s->fd < 0 && !cfg->reverse) {
                                /* Sleep in poll only until the earliest retry is due. */
                                now = now_ms();
                                uint64_t wait = s->next_try_ms > now ? s->next_try_ms - now : 0;
                                if (timeout < 0 || wait < (uint64_t)timeout)
                                        timeout = (int)wait;
                                continue;
                        }
                        pfd[n].fd = s->fd >= 0 ? s->fd : s->listen_fd;
                        pfd[n].events = POLLIN;
                        owner[n++] = s;
                }
                if (poll(pfd, n, timeout) < 0) {
                        if (errno == EINTR)
                                continue;
                        blog(b, L_ERROR, "poll: %s", strerror(errno));
                        return 3;
                }
                for (nfds_t k = 0; k < n; k++) {
                        struct slot *s = owner[k];
                        if (pfd[k].revents == 0)
                                continue;
                        if (s == NULL) {
                                if (read_signals(b))
                                        return 0;
                        } else if (pfd[k].fd == s->fd) {
                                slot_readable(s);
                        } else {
                                slot_accept(s);
                        }
                }
        }
}

int bridge_run(const struct bridge_config *cfg)
{
        struct bridge *b = calloc(1, sizeof(*b));
        int rc = 3;

        if (b == NULL)
                return 3;
        b->cfg = cfg;
        b->sig_fd = -1;
        for (unsigned i = 0; i < BRIDGE_SLOTS_MAX; i++) {
                b->slots[i].fd = -1;
                b->slots[i].listen_fd = -1;
        }
        if (cfg->slots == 0 || cfg->slots > BRIDGE_SLOTS_MAX || cfg->profile == NULL) {
                blog(b, L_ERROR, "bad configuration");
                goto fail;
        }
        if (bridge_setup(b) != 0)
                goto fail;
        rc = bridge_loop(b);
fail:
        for (unsigned i = 0; i < BRIDGE_SLOTS_MAX; i++) {
                if (b->slots[i].fd >= 0)
                        close(b->slots[i].fd);
                if (b->slots[i].listen_fd >= 0)
                        close(b->slots[i].listen_fd);
                scsim_card_free(&b->slots[i].card);
        }
        if (b->sig_fd >= 0)
                close(b->sig_fd);
        free(b->rx);
        free(b->tx);
        free(b->hex_c);
        free(b->hex_r);
        free(b);
        return rc;
}
