/* SPDX-License-Identifier: MIT */
/* scsim-vpcd: presents simulated cards to pcscd through vsmartcard's vpcd driver. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <scsim/scsim.h>

#include "bridge.h"
#include "trace_file.h"
#include "vpcd_hint.h"

#define EXIT_USAGE   2
#define EXIT_RUNTIME 3

/* The command line, before anything is opened. */
struct opts {
        const char *profile, *state, *state_key, *trace;
        const char *host, *port, *vpcd, *listen; /* -H/-P, or --vpcd / --listen */
        const char *slot_profile[BRIDGE_SLOTS_MAX], *slot_state[BRIDGE_SLOTS_MAX];
        unsigned slots, slots_named; /* --slots; highest --slot index + 1 */
        bool reverse, allow_remote, print_atr, trace_append, trace_secrets;
        int verbosity, ready_fd;
};

static void usage(FILE *f)
{
        fprintf(
            f,
            "usage: scsim-vpcd [OPTIONS]\n"
            "Presents simulated smart cards to pcscd through vsmartcard's vpcd reader driver.\n"
            "\n"
            "  -p, --profile P         card profile: a name or a YAML file (default iso7816-chv)\n"
            "  -n, --slots N           serve N cards on ports PORT .. PORT+N-1 (1 to %u), "
            "distinct\n"
            "                          serials (the profile's plus the slot number)\n"
            "      --slot N:PROFILE[:STATE]  slot N's own profile (and state file); repeatable\n"
            "  -s, --state PATH        keep card state in PATH (slot n: PATH.n); see "
            "docs/state.md\n"
            "      --state-key FILE    encrypt the state files with the key in FILE (32 bytes or\n"
            "                          64 hex digits, mode 0600)\n"
            "  -H, --hostname HOST     vpcd's host, or with -R where to listen (default "
            "127.0.0.1)\n"
            "  -P, --port PORT         vpcd's port, or with -R ours; slot n uses PORT+n (default "
            "%u)\n"
            "      --vpcd HOST:PORT    both at once (vpcd listens, we connect)\n"
            "  -R, --reverse           listen and let vpcd connect (reader.conf DEVICENAME "
            "HOST:PORT)\n"
            "  -l, --listen HOST:PORT  both at once, with --reverse\n"
            "      --allow-remote      allow a non-loopback address for -H, --vpcd or --listen;\n"
            "                          vpcd has no authentication: prefer an SSH tunnel to "
            "loopback\n"
            "  -t, --trace FILE        one line per APDU; FILE is started anew, mode 0600 ('-':\n"
            "                          standard output)\n"
            "      --trace-append      add to FILE instead of starting it anew\n"
            "      --trace-secrets     show PIN, PUK and key bytes in the trace (masked "
            "otherwise)\n"
            "      --ready-fd FD       write \"ready\" to FD and close it once vpcd may connect\n"
            "      --print-atr         print the card's ATR in hex and exit\n"
            "  -v, --verbose           more diagnostics on standard error (repeat for card debug)\n"
            "  -V, --version           print the version\n"
            "  -h, --help              this text\n"
            "\n"
            "SIGINT and SIGTERM end it cleanly (exit 0). See scsim-vpcd(1).\n",
            BRIDGE_SLOTS_MAX, VPCD_DEFAULT_PORT);
}

enum {
        OPT_ALLOW_REMOTE = 256,
        OPT_TRACE_SECRETS,
        OPT_TRACE_APPEND,
        OPT_PRINT_ATR,
        OPT_VPCD,
        OPT_SLOT,
        OPT_READY_FD,
        OPT_STATE_KEY,
};

static const struct option options[] = {
    {"profile", required_argument, NULL, 'p'},
    {"slots", required_argument, NULL, 'n'},
    {"slot", required_argument, NULL, OPT_SLOT},
    {"state", required_argument, NULL, 's'},
    {"hostname", required_argument, NULL, 'H'},
    {"port", required_argument, NULL, 'P'},
    {"vpcd", required_argument, NULL, OPT_VPCD},
    {"reverse", no_argument, NULL, 'R'},
    {"reversed", no_argument, NULL, 'R'}, /* vicc's spelling */
    {"listen", required_argument, NULL, 'l'},
    {"allow-remote", no_argument, NULL, OPT_ALLOW_REMOTE},
    {"trace", required_argument, NULL, 't'},
    {"trace-append", no_argument, NULL, OPT_TRACE_APPEND},
    {"trace-secrets", no_argument, NULL, OPT_TRACE_SECRETS},
    {"ready-fd", required_argument, NULL, OPT_READY_FD},
    {"state-key", required_argument, NULL, OPT_STATE_KEY},
    {"print-atr", no_argument, NULL, OPT_PRINT_ATR},
    {"verbose", no_argument, NULL, 'v'},
    {"version", no_argument, NULL, 'V'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int parse_number(const char *opt, const char *text, unsigned long lo, unsigned long hi,
                        unsigned long *out)
{
        char *end = NULL;
        unsigned long v;

        errno = 0;
        v = strtoul(text, &end, 10);
        if (errno != 0 || end == text || *end != '\0' || v < lo || v > hi) {
                fprintf(stderr, "scsim-vpcd: %s '%s': expected a number from %lu to %lu\n", opt,
                        text, lo, hi);
                return -1;
        }
        *out = v;
        return 0;
}

/* --slot N:PROFILE[:STATE]; the text stays borrowed from argv, cut at the colons. */
static int parse_slot(struct opts *o, char *text)
{
        char *profile = strchr(text, ':'), *state;
        unsigned long n;

        if (profile == NULL || profile[1] == '\0') {
                fprintf(stderr, "scsim-vpcd: --slot '%s': expected N:PROFILE[:STATE]\n", text);
                return -1;
        }
        *profile++ = '\0';
        state = strchr(profile, ':');
        if (state != NULL)
                *state++ = '\0';
        if (parse_number("--slot", text, 0, BRIDGE_SLOTS_MAX - 1u, &n) != 0)
                return -1;
        if (o->slot_profile[n] != NULL) {
                fprintf(stderr, "scsim-vpcd: --slot %lu given twice\n", n);
                return -1;
        }
        o->slot_profile[n] = profile;
        o->slot_state[n] = state != NULL && state[0] != '\0' ? state : NULL;
        if (n + 1u > o->slots_named)
                o->slots_named = (unsigned)n + 1u;
        return 0;
}

/* An option that meant something else before, or means something else in the field's tools. */
static void hint_moved_option(int opt)
{
        if (opt == 'r')
                fprintf(stderr, "scsim-vpcd: reverse mode is -R/--reverse (as vicc's -R)\n");
        else if (opt == 'a')
                fprintf(stderr, "scsim-vpcd: vpcd's address is -H HOST -P PORT (as vicc's) or "
                                "--vpcd HOST:PORT\n");
}

/* Returns -1 to go on, or the exit code. */
static int parse_one(struct opts *o, int opt)
{
        unsigned long n;

        switch (opt) {
        case 'p':
                o->profile = optarg;
                break;
        case 'n':
                if (parse_number("--slots", optarg, 1, BRIDGE_SLOTS_MAX, &n) != 0)
                        return EXIT_USAGE;
                o->slots = (unsigned)n;
                break;
        case OPT_SLOT:
                return parse_slot(o, optarg) == 0 ? -1 : EXIT_USAGE;
        case 's':
                o->state = optarg;
                break;
        case 'H':
                o->host = optarg;
                break;
        case 'P':
                o->port = optarg;
                break;
        case OPT_VPCD:
                o->vpcd = optarg;
                break;
        case 'R':
                o->reverse = true;
                break;
        case 'l':
                o->listen = optarg;
                break;
        case OPT_ALLOW_REMOTE:
                o->allow_remote = true;
                break;
        case 't':
                o->trace = optarg;
                break;
        case OPT_TRACE_APPEND:
                o->trace_append = true;
                break;
        case OPT_TRACE_SECRETS:
                o->trace_secrets = true;
                break;
        case OPT_READY_FD:
                if (parse_number("--ready-fd", optarg, 3, 1024, &n) != 0)
                        return EXIT_USAGE;
                o->ready_fd = (int)n;
                break;
        case OPT_PRINT_ATR:
                o->print_atr = true;
                break;
        case OPT_STATE_KEY:
                o->state_key = optarg;
                break;
        case 'v':
                o->verbosity++;
                break;
        case 'V':
                printf("scsim-vpcd %s\n", SCSIM_VERSION);
                return 0;
        case 'h':
                usage(stdout);
                return 0;
        default:
                hint_moved_option(optopt);
                usage(stderr);
                return EXIT_USAGE;
        }
        return -1;
}

/* Whether any slot keeps its state in a file. */
static bool any_state(const struct opts *o)
{
        for (unsigned i = 0; i < BRIDGE_SLOTS_MAX; i++)
                if (o->slot_state[i] != NULL)
                        return true;
        return o->state != NULL;
}

static int check_combinations(const struct opts *o)
{
        if (o->state_key != NULL && !any_state(o)) {
                fprintf(stderr, "scsim-vpcd: --state-key needs --state or a --slot with a state\n");
                return -1;
        }
        if (o->listen != NULL && !o->reverse) {
                fprintf(stderr, "scsim-vpcd: --listen needs --reverse\n");
                return -1;
        }
        if (o->vpcd != NULL && o->reverse) {
                fprintf(stderr, "scsim-vpcd: --vpcd and --reverse exclude each other (use --listen "
                                "or -H/-P)\n");
                return -1;
        }
        if ((o->vpcd != NULL || o->listen != NULL) && (o->host != NULL || o->port != NULL)) {
                fprintf(stderr, "scsim-vpcd: give the address once: -H/-P, or --%s HOST:PORT\n",
                        o->reverse ? "listen" : "vpcd");
                return -1;
        }
        return 0;
}

static int parse_options(struct opts *o, int argc, char **argv)
{
        int opt, rc;

        memset(o, 0, sizeof(*o));
        o->profile = "iso7816-chv";
        o->slots = 1;
        o->ready_fd = -1;
        while ((opt = getopt_long(argc, argv, "p:n:s:H:P:Rl:t:vVh", options, NULL)) != -1)
                if ((rc = parse_one(o, opt)) >= 0)
                        return rc;
        if (optind < argc) {
                fprintf(stderr, "scsim-vpcd: unexpected argument '%s'\n", argv[optind]);
                return EXIT_USAGE;
        }
        if (o->slots_named > o->slots)
                o->slots = o->slots_named;
        return check_combinations(o) == 0 ? -1 : EXIT_USAGE;
}

/* HOST:PORT from --vpcd/--listen, or from -H and -P. */
static int resolve_address(const struct opts *o, struct vpcd_addr *addr)
{
        char text[300], err[512], where[80];
        const char *given = o->reverse ? o->listen : o->vpcd;
        int n;

        if (given == NULL) {
                const char *host = o->host != NULL ? o->host : "127.0.0.1";
                bool v6 = strchr(host, ':') != NULL && host[0] != '[';
                n = snprintf(text, sizeof(text), v6 ? "[%s]:%s" : "%s:%s", host,
                             o->port != NULL ? o->port : "35963");
                if (n < 0 || (size_t)n >= sizeof(text)) {
                        fprintf(stderr, "scsim-vpcd: -H '%s': too long\n", host);
                        return -1;
                }
                given = text;
        }
        if (vpcd_addr_parse(given, VPCD_DEFAULT_PORT, addr, err, sizeof(err)) != 0) {
                fprintf(stderr, "scsim-vpcd: %s %s\n", o->reverse ? "listen address" : "vpcd", err);
                return -1;
        }
        if (!vpcd_addr_is_loopback(addr) && !o->allow_remote) {
                fprintf(stderr,
                        "scsim-vpcd: %s is not a loopback address; anyone on the network could "
                        "use the cards. Add --allow-remote if that is what you want, or keep "
                        "loopback and reach it through an SSH tunnel (docs/windows.md).\n",
                        vpcd_addr_format(addr, where, sizeof(where)));
                return -1;
        }
        if (!vpcd_addr_is_loopback(addr))
                fprintf(stderr,
                        "scsim-vpcd: warning: %s %s: vpcd has no authentication and no "
                        "encryption; whoever reaches that address can use the cards and read "
                        "every code sent to them\n",
                        o->reverse ? "listening on" : "connecting to",
                        vpcd_addr_format(addr, where, sizeof(where)));
        return 0;
}

static int print_atr(const scsim_profile *profile)
{
        scsim_card *card = scsim_card_new(profile);
        const uint8_t *atr = NULL;
        size_t atr_len = 0;

        if (card == NULL || scsim_card_atr(card, &atr, &atr_len) != SCSIM_OK) {
                fprintf(stderr, "scsim-vpcd: cannot create the card\n");
                scsim_card_free(&card);
                return EXIT_RUNTIME;
        }
        for (size_t i = 0; i < atr_len; i++)
                printf("%02X%s", atr[i], i + 1 < atr_len ? " " : "\n");
        scsim_card_free(&card);
        return 0;
}

static int open_profile(const char *arg, scsim_profile **out)
{
        scsim_diag diag;
        char err[512];

        memset(&diag, 0, sizeof(diag));
        if (scsim_profile_open(arg, out, &diag) == SCSIM_OK)
                return 0;
        scsim_diag_format(&diag, err, sizeof(err));
        fprintf(stderr, "scsim-vpcd: profile '%s': %s\n", arg, err);
        return -1;
}

/*
 * Every slot's profile and state file. In reverse mode vpcd connects both
 * slots of its reader entry, and Debian 12's vpcd aborts pcscd when one of
 * them cannot connect: an odd last slot gets a spare card as its partner.
 */
static int load_slots(const struct opts *o, struct bridge_config *cfg,
                      scsim_profile *owned[BRIDGE_SLOTS_MAX + 1], char (*paths)[4096])
{
        if (open_profile(o->profile, &owned[BRIDGE_SLOTS_MAX]) != 0)
                return -1;
        cfg->profile = owned[BRIDGE_SLOTS_MAX];
        cfg->slots = o->slots;
        for (unsigned i = 0; i < o->slots; i++) {
                if (o->slot_profile[i] != NULL) {
                        if (open_profile(o->slot_profile[i], &owned[i]) != 0)
                                return -1;
                        cfg->slot[i].profile = owned[i];
                }
                cfg->slot[i].state_path = o->slot_state[i];
                if (cfg->slot[i].state_path == NULL && o->state != NULL) {
                        if (bridge_state_path(o->state, i, paths[i], sizeof(paths[i])) != 0) {
                                fprintf(stderr, "scsim-vpcd: --state '%s': too long\n", o->state);
                                return -1;
                        }
                        cfg->slot[i].state_path = paths[i];
                }
        }
        if (o->reverse && o->slots % 2u == 1u && o->slots < BRIDGE_SLOTS_MAX) {
                if (scsim_profile_default(&owned[o->slots]) != SCSIM_OK)
                        return -1;
                cfg->slot[o->slots].profile = owned[o->slots];
                cfg->slots = o->slots + 1u;
                fprintf(stderr,
                        "scsim-vpcd: --reverse: vpcd also connects slot %u (the second slot of its "
                        "reader); a spare card (iso7816-chv, state in memory) serves it\n",
                        o->slots);
        }
        return 0;
}

/*
 * Listening sockets handed over by a supervisor (scsim run), systemd's way:
 * LISTEN_PID is ours and LISTEN_FDS sockets start at fd 3, one per slot in
 * slot order. vpcd may connect before we are up: it waits in the backlog.
 */
static int take_listen_fds(struct bridge_config *cfg)
{
        const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
        unsigned long count;

        if (pid == NULL || fds == NULL || strtol(pid, NULL, 10) != (long)getpid())
                return 0;
        count = strtoul(fds, NULL, 10);
        (void)unsetenv("LISTEN_PID");
        (void)unsetenv("LISTEN_FDS");
        if (!cfg->reverse || count != cfg->slots) {
                fprintf(stderr,
                        "scsim-vpcd: LISTEN_FDS=%lu: expected one listening socket per slot (%u) "
                        "with --reverse\n",
                        count, cfg->slots);
                return -1;
        }
        for (unsigned i = 0; i < cfg->slots; i++) {
                int fd = 3 + (int)i, listening = 0;
                socklen_t len = sizeof(listening);
                if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 ||
                    !listening || fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
                        fprintf(stderr, "scsim-vpcd: LISTEN_FDS: fd %d is no listening socket\n",
                                fd);
                        return -1;
                }
                cfg->slot[i].listen_fd = fd;
        }
        return 0;
}

static int read_state_key(const char *file, uint8_t key[SCSIM_STATE_KEY_LEN])
{
        scsim_diag diag;
        char err[512];

        memset(&diag, 0, sizeof(diag));
        if (scsim_state_key_read(file, key, &diag) == SCSIM_OK)
                return 0;
        scsim_diag_format(&diag, err, sizeof(err));
        fprintf(stderr, "scsim-vpcd: --state-key: %s\n", err);
        return -1;
}

static void say_ready(void *arg)
{
        int fd = *(const int *)arg;

        if (fd < 0)
                return;
        (void)!write(fd, "ready\n", 6);
        close(fd);
}

int main(int argc, char **argv)
{
        static char paths[BRIDGE_SLOTS_MAX][4096];
        uint8_t key[SCSIM_STATE_KEY_LEN];
        scsim_profile *owned[BRIDGE_SLOTS_MAX + 1] = {NULL};
        struct bridge_config cfg;
        struct opts o;
        char err[512];
        int rc = parse_options(&o, argc, argv);

        memset(&cfg, 0, sizeof(cfg));
        if (rc >= 0)
                return rc;
        rc = EXIT_USAGE;
        cfg.log = stderr;
        cfg.verbosity = o.verbosity;
        cfg.reverse = o.reverse;
        cfg.trace_secrets = o.trace_secrets;
        cfg.on_ready = say_ready;
        cfg.on_ready_arg = &o.ready_fd;
        /* before the key and the first profile are read: secrets are in memory from then on */
        if (bridge_no_core_dumps() != 0)
                fprintf(stderr, "scsim-vpcd: cannot turn core dumps off: %s\n", strerror(errno));
        if (o.state_key != NULL && read_state_key(o.state_key, key) != 0) {
                rc = EXIT_RUNTIME;
                goto done;
        }
        cfg.state_key = o.state_key != NULL ? key : NULL;
        if (load_slots(&o, &cfg, owned, paths) != 0)
                goto done;
        if (o.print_atr) {
                rc = print_atr(cfg.profile);
                goto done;
        }
        if (resolve_address(&o, &cfg.addr) != 0 || take_listen_fds(&cfg) != 0)
                goto done;
        if (o.trace != NULL && strcmp(o.trace, "-") == 0) {
                cfg.trace = stdout;
        } else if (o.trace != NULL && (cfg.trace = bridge_trace_open(o.trace, o.trace_append, err,
                                                                     sizeof(err))) == NULL) {
                fprintf(stderr, "scsim-vpcd: --trace '%s': %s\n", o.trace, err);
                rc = EXIT_RUNTIME;
                goto done;
        }
        if (!cfg.reverse)
                vpcd_hint_if_absent(&cfg.addr, stderr);
        rc = bridge_run(&cfg);
done:
        OPENSSL_cleanse(key, sizeof(key));
        if (cfg.trace != NULL && cfg.trace != stdout)
                fclose(cfg.trace);
        for (unsigned i = 0; i <= BRIDGE_SLOTS_MAX; i++)
                scsim_profile_free(&owned[i]);
        return rc;
}
