/* SPDX-License-Identifier: MIT */
/* The bridge: N simulated cards served to vpcd over TCP from one poll loop. */
#include "bridge.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include <scsim/scsim.h>

#include "apdu_trace.h"
#include "slot.h"
#include "test_fault.h"

void blog(const struct bridge *b, enum log_level level, const char *fmt, ...)
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

static void slot_card_log(void *ctx, enum scsim_log_level level, const char *msg)
{
        const struct slot *s = ctx;

        blog(s->bridge,
             level == SCSIM_LOG_ERROR  ? L_ERROR
             : level == SCSIM_LOG_WARN ? L_WARN
             : level == SCSIM_LOG_INFO ? L_INFO
                                       : L_DEBUG,
             "slot %u: card: %s", s->index, msg);
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

void trace_event(const struct slot *s, const char *what)
{
        FILE *t = s->bridge->cfg->trace;
        char when[64];

        if (t == NULL)
                return;
        trace_time(when, sizeof(when));
        fprintf(t, "%s slot %u %s\n", when, s->index, what);
        fflush(t);
}

/* info: what the card said of the command before it processed it (scsim_apdu_describe). */
static void trace_apdu(const struct slot *s, const scsim_apdu_info *info, const uint8_t *c,
                       size_t clen, const uint8_t *r, size_t rlen)
{
        struct bridge *b = s->bridge;
        FILE *t = b->cfg->trace;
        char when[64], ins_buf[16], meaning[64];
        const char *name;
        uint16_t sw = 0;

        if (t == NULL)
                return;
        trace_time(when, sizeof(when));
        name = clen >= 2 && c[0] == 0xff ? apdu_trace_ins_name(c[0], c[1]) : info->name;
        if (name == NULL) {
                snprintf(ins_buf, sizeof(ins_buf), "INS %02X", clen >= 2 ? c[1] : 0u);
                name = ins_buf;
        }
        apdu_trace_format_command_as(info, c, clen, b->cfg->trace_secrets, b->hex_c,
                                     APDU_TRACE_HEX_CAP(VPCD_FRAME_MAX));
        if (rlen >= 2) {
                sw = (uint16_t)((r[rlen - 2] << 8) | r[rlen - 1]);
                apdu_trace_format_answer_as(info, r, rlen - 2, b->cfg->trace_secrets, b->hex_r,
                                            APDU_TRACE_HEX_CAP(VPCD_FRAME_MAX));
        } else {
                b->hex_r[0] = '\0';
        }
        fprintf(t, "%s slot %u %s C: %s R: %s SW %04X %s\n", when, s->index, name, b->hex_c,
                b->hex_r[0] != '\0' ? b->hex_r : "-", (unsigned)sw,
                apdu_trace_sw_meaning(sw, meaning, sizeof(meaning)));
        fflush(t);
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
                slot_answer(s, atr, atr_len);
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

/* A fault applied to this APDU, as a trace line before the APDU's own. */
static void trace_fault(const struct slot *s, const scsim_fault_action *a)
{
        static const char *const names[] = {"?", "sw", "delay", "mute", "drop", "corrupt", "tear"};
        char what[96];

        if (a->id == 0)
                return;
        if (a->kind == SCSIM_FAULT_DELAY || a->kind == SCSIM_FAULT_MUTE)
                snprintf(what, sizeof(what), "fault %u %s %u ms", a->id, names[a->kind], a->ms);
        else
                snprintf(what, sizeof(what), "fault %u %s", a->id,
                         (size_t)a->kind < sizeof(names) / sizeof(names[0]) ? names[a->kind] : "?");
        trace_event(s, what);
}

/* What a fault leaves to the link: a mute, a drop, an answer held back. */
static void slot_send_answer(struct slot *s, const scsim_fault_action *a, size_t rlen)
{
        struct bridge *b = s->bridge;

        if ((a->kind == SCSIM_FAULT_DROP || a->kind == SCSIM_FAULT_TEAR) && a->id != 0) {
                slot_drop(s, a->kind == SCSIM_FAULT_DROP ? "drop fault" : "tear fault: power lost");
                ctl_ops_reseat(s);
        } else if (a->kind == SCSIM_FAULT_MUTE && a->id != 0) {
                s->mute_until_us = now_us() + (uint64_t)a->ms * 1000u;
        } else if (a->kind == SCSIM_FAULT_DELAY && a->id != 0) {
                slot_answer_at(s, b->rapdu, rlen, now_us() + (uint64_t)a->ms * 1000u);
        } else {
                slot_answer(s, b->rapdu, rlen);
        }
}

static void slot_apdu(struct slot *s, const uint8_t *c, size_t clen)
{
        struct bridge *b = s->bridge;
        scsim_fault_action action;
        scsim_apdu_info info;
        size_t rlen = 0;
        int rc;

        /* described before it runs: a SELECT may change which rows apply */
        if (scsim_apdu_describe(s->card, c, clen, &info) != SCSIM_OK)
                memset(&info, 0, sizeof(info));
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
        }
        rc = scsim_faults_transmit(s->faults, s->card, c, clen, b->rapdu, SCSIM_RAPDU_MAX, &rlen,
                                   &action);
        if (rc != SCSIM_OK || rlen > VPCD_FRAME_MAX) {
                blog(b, L_ERROR, "slot %u: transmit: %s", s->index,
                     rc != SCSIM_OK ? scsim_strerror(rc) : "answer longer than a frame");
                explicit_bzero(b->rapdu, rlen <= SCSIM_RAPDU_MAX ? rlen : 0);
                b->rapdu[0] = 0x6f;
                b->rapdu[1] = 0x00;
                rlen = 2;
        }
        trace_fault(s, &action);
        trace_apdu(s, &info, c, clen, b->rapdu, rlen);
        slot_send_answer(s, &action, rlen);
        /* The answer may have carried key material; its framed copy is wiped once sent. */
        explicit_bzero(b->rapdu, rlen);
}

void slot_frame(struct slot *s, const uint8_t *p, size_t len)
{
        if (len == 1)
                slot_control(s, p[0]);
        else
                slot_apdu(s, p, len);
}

/* Slot n's serial is the profile's plus n, so clients can tell the cards apart. */
static int set_slot_serial(scsim_card *card, unsigned index)
{
        const uint8_t *serial = NULL;
        uint8_t buf[64];
        size_t len = 0;
        unsigned carry = index;

        if (index == 0)
                return 0;
        if (scsim_card_serial(card, &serial, &len) != SCSIM_OK || len == 0 || len > sizeof(buf))
                return -1;
        memcpy(buf, serial, len);
        for (size_t i = len; i > 0 && carry != 0; i--) {
                unsigned v = buf[i - 1] + carry;
                buf[i - 1] = (uint8_t)v;
                carry = v >> 8;
        }
        return scsim_card_set_serial(card, buf, len) == SCSIM_OK ? 0 : -1;
}

scsim_card *slot_make_card(struct slot *s, const scsim_profile *profile, const char *state_path,
                           char *err, size_t cap)
{
        const struct bridge_config *cfg = s->bridge->cfg;
        scsim_card *card = scsim_card_new(profile);
        scsim_diag diag;

        memset(&diag, 0, sizeof(diag));
        if (card == NULL) {
                snprintf(err, cap, "cannot create the card");
                return NULL;
        }
        scsim_card_set_log(card, slot_card_log, s);
        if (set_slot_serial(card, s->index) != 0) {
                snprintf(err, cap, "cannot give the card its serial number");
                goto fail;
        }
        if (state_path != NULL) {
                scsim_card_set_state_key(card, cfg->state_key,
                                         cfg->state_key != NULL ? SCSIM_STATE_KEY_LEN : 0);
                if (scsim_card_attach_state(card, state_path, &diag) != SCSIM_OK) {
                        char line[1024];
                        scsim_diag_format(&diag, line, sizeof(line));
                        snprintf(err, cap, "state: %s", line);
                        goto fail;
                }
        }
        if (test_fault_arm(card) != 0) {
                snprintf(err, cap, "SCSIM_TEST_FAULT is malformed");
                goto fail;
        }
        return card;
fail:
        scsim_card_free(&card);
        return NULL;
}

static int slot_setup(struct bridge *b, unsigned i)
{
        const struct bridge_config *cfg = b->cfg;
        struct slot *s = &b->slots[i];
        const char *state = cfg->slot[i].state_path;
        char path[PATH_MAX], err[1200];

        s->bridge = b;
        s->index = i;
        if (slot_io_init(s) != 0 || (s->faults = scsim_faults_new()) == NULL) {
                blog(b, L_ERROR, "slot %u: out of memory", i);
                return -1;
        }
        if (state == NULL && cfg->state_path != NULL) {
                if (bridge_state_path(cfg->state_path, i, path, sizeof(path)) != 0) {
                        blog(b, L_ERROR, "slot %u: state path too long", i);
                        return -1;
                }
                state = path;
        }
        s->card =
            slot_make_card(s, cfg->slot[i].profile != NULL ? cfg->slot[i].profile : cfg->profile,
                           state, err, sizeof(err));
        if (s->card == NULL) {
                blog(b, L_ERROR, "slot %u: %s", i, err);
                return -1;
        }
        if (state != NULL && (s->state_path = strdup(state)) == NULL)
                return -1;
        if (vpcd_addr_with_port_offset(&cfg->addr, i, &s->addr) != 0) {
                blog(b, L_ERROR, "slot %u: port beyond 65535", i);
                return -1;
        }
        if (!cfg->reverse)
                return 0;
        if (cfg->slot[i].listen_fd > 2)
                return slot_adopt_listener(s, cfg->slot[i].listen_fd);
        return slot_listen(s);
}

/* A configured time bound in microseconds; 0 asks for the default. */
static uint64_t bound_us(unsigned ms, unsigned default_ms)
{
        return (uint64_t)(ms != 0 ? ms : default_ms) * 1000u;
}

static int bridge_setup(struct bridge *b)
{
        const struct bridge_config *cfg = b->cfg;
        sigset_t mask;

        b->frame_us = bound_us(cfg->frame_timeout_ms, BRIDGE_FRAME_TIMEOUT_MS);
        b->idle_us = bound_us(cfg->idle_timeout_ms, BRIDGE_IDLE_TIMEOUT_MS);
        blog(b, L_INFO,
             "time bounds: %u ms for a frame to arrive whole or an answer to be taken, "
             "%u ms for a new reverse-mode connection to send its first frame",
             (unsigned)(b->frame_us / 1000u), (unsigned)(b->idle_us / 1000u));
        b->rapdu = malloc(SCSIM_RAPDU_MAX);
        b->hex_c = malloc(APDU_TRACE_HEX_CAP(VPCD_FRAME_MAX));
        b->hex_r = malloc(APDU_TRACE_HEX_CAP(VPCD_FRAME_MAX));
        if (b->rapdu == NULL || b->hex_c == NULL || b->hex_r == NULL) {
                blog(b, L_ERROR, "out of memory");
                return -1;
        }
        for (unsigned i = 0; i < cfg->slots; i++)
                if (slot_setup(b, i) != 0)
                        return -1;
        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) != 0) {
                blog(b, L_ERROR, "sigprocmask: %s", strerror(errno));
                return -1;
        }
        b->sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
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

int bridge_no_core_dumps(void)
{
        const struct rlimit none = {.rlim_cur = 0, .rlim_max = 0};
        int ok = 0;

        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
                ok = -1;
        if (setrlimit(RLIMIT_CORE, &none) != 0)
                ok = -1;
        return ok;
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

/* Milliseconds for poll until deadline (rounded up, so no bound fires early); -1: none. */
static int poll_timeout(uint64_t now, uint64_t deadline)
{
        uint64_t wait;

        if (deadline == UINT64_MAX)
                return -1;
        if (deadline <= now)
                return 0;
        wait = (deadline - now + 999u) / 1000u;
        return wait > INT_MAX ? INT_MAX : (int)wait;
}

/*
 * One round: every slot runs what is due, says what it waits for, and poll
 * hands each event to the slot it belongs to. No call in here waits on a
 * peer, so a slot's trouble costs the others nothing.
 */
static int bridge_loop(struct bridge *b)
{
        const struct bridge_config *cfg = b->cfg;
        struct pollfd pfd[1 + 2 * BRIDGE_SLOTS_MAX + CONTROL_FDS_MAX];
        struct slot *owner[1 + 2 * BRIDGE_SLOTS_MAX + CONTROL_FDS_MAX];

        for (;;) {
                uint64_t now = now_us(), deadline = UINT64_MAX;
                nfds_t n = 0;

                if (b->ctl != NULL)
                        control_tick(b->ctl, now);
                for (unsigned i = 0; i < cfg->slots; i++)
                        slot_tick(&b->slots[i], now);
                now = now_us(); /* the ticks may have served frames */
                pfd[n] = (struct pollfd){.fd = b->sig_fd, .events = POLLIN};
                owner[n++] = NULL;
                if (b->ctl != NULL) {
                        nfds_t k = control_poll_fds(b->ctl, &pfd[n], &deadline);
                        for (nfds_t j = 0; j < k; j++)
                                owner[n++] = NULL;
                }
                for (unsigned i = 0; i < cfg->slots; i++) {
                        nfds_t k = slot_poll_fds(&b->slots[i], now, &pfd[n], &deadline);
                        for (nfds_t j = 0; j < k; j++)
                                owner[n++] = &b->slots[i];
                }
                if (poll(pfd, n, poll_timeout(now, deadline)) < 0) {
                        if (errno == EINTR)
                                continue;
                        blog(b, L_ERROR, "poll: %s", strerror(errno));
                        return 3;
                }
                now = now_us();
                for (nfds_t k = 0; k < n; k++) {
                        if (pfd[k].revents == 0)
                                continue;
                        if (pfd[k].fd == b->sig_fd) {
                                if (read_signals(b))
                                        return 0;
                        } else if (owner[k] == NULL) {
                                (void)control_poll_event(b->ctl, &pfd[k], now);
                        } else {
                                slot_poll_event(owner[k], &pfd[k], now);
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
        /* The cards' codes and keys live in this process until it ends. */
        if (bridge_no_core_dumps() != 0)
                blog(b, L_WARN, "cannot turn core dumps off: %s", strerror(errno));
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
        if (cfg->control_path != NULL && control_open(b, cfg->control_path, &b->ctl) != 0)
                goto fail;
        /* one line that says the bridge is serving, for whoever started it by hand */
        blog(b, L_INFO, "ready: %u slot(s), %s", cfg->slots,
             cfg->reverse ? "waiting for vpcd to connect" : "connecting to vpcd");
        if (cfg->on_ready != NULL)
                cfg->on_ready(cfg->on_ready_arg);
        rc = bridge_loop(b);
fail:
        control_free(&b->ctl);
        for (unsigned i = 0; i < BRIDGE_SLOTS_MAX; i++) {
                slot_io_free(&b->slots[i]);
                scsim_card_free(&b->slots[i].card);
                ctl_ops_free_slot(&b->slots[i]);
        }
        if (b->sig_fd >= 0)
                close(b->sig_fd);
        if (b->rapdu != NULL)
                explicit_bzero(b->rapdu, SCSIM_RAPDU_MAX);
        free(b->rapdu);
        free(b->hex_c);
        free(b->hex_r);
        free(b);
        return rc;
}
