/* SPDX-License-Identifier: MIT */
/* scsim ctl VERB: drives the cards of a running scsim-vpcd through its control socket. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "commands.h"

/* The longest an operation takes: two waits for PC/SC of 10 s each, and some. */
#define REPLY_TIMEOUT_S 60
/* More than any reply of 16 slots (the bridge closes a client beyond 1 MiB unread). */
#define REPLY_MAX (2u * 1024u * 1024u)

static void usage(FILE *f)
{
        fprintf(f,
                "usage: scsim ctl VERB [--slot N] [OPTIONS]\n"
                "Drives the cards of a running scsim run (or of scsim-vpcd's control socket) while "
                "tests "
                "run.\n\n"
                "  status                      each slot: card, power, profile, tries, faults\n"
                "  insert [--profile P] [--state FILE]   put a card in (the one taken out, or "
                "new)\n"
                "  remove                      take the card out\n"
                "  swap (--profile P | --state FILE)     another card in its place\n"
                "  power off|on|cycle          take power away, give it back, or both\n"
                "  reset                       the card back to its profile (a fresh card)\n"
                "  snapshot                    keep the card's state; prints its id\n"
                "  restore ID                  put a snapshot back\n"
                "  fault --kind K [...]        inject a fault; prints its id\n"
                "  clear [ID]                  remove one fault, or all\n\n"
                "  -s, --slot N          the slot (default 0; status: all slots)\n"
                "  -p, --profile P       insert, swap: a profile name or YAML file\n"
                "      --state FILE      insert, swap: a state file\n"
                "  -k, --kind K          fault: sw, delay, mute, drop, corrupt, tear\n"
                "      --sw XXXX         fault sw: the status word answered\n"
                "      --when W          fault sw, tear: before (default) or after (see "
                "docs/control.md)\n"
                "      --ms D            fault delay or mute: milliseconds\n"
                "      --offset I        fault corrupt: the answer byte XORed with FF\n"
                "      --ins XX          fault: only APDUs with this INS (hex)\n"
                "      --prefix HEX      fault: only APDUs that start with these bytes\n"
                "  -n, --count N         fault: the next N matching APDUs (default: until "
                "cleared)\n"
                "      --socket PATH     the control socket (default $SCSIM_CONTROL, else\n"
                "                        $SCSIM_RUN_DIR/control/control.sock)\n"
                "      --json            print the reply as it came (one JSON object)\n"
                "  -h, --help            this text\n\n"
                "Each verb returns once PC/SC shows its effect. Exit: 0 done, 1 refused (the "
                "reason on\nstandard error), 2 usage, 3 no control socket or no answer. See "
                "docs/control.md.\n");
}

enum {
        OPT_STATE = 256,
        OPT_SW,
        OPT_WHEN,
        OPT_MS,
        OPT_OFFSET,
        OPT_INS,
        OPT_PREFIX,
        OPT_SOCKET,
        OPT_JSON,
};

static const struct option options[] = {
    {"slot", required_argument, NULL, 's'},
    {"profile", required_argument, NULL, 'p'},
    {"state", required_argument, NULL, OPT_STATE},
    {"kind", required_argument, NULL, 'k'},
    {"sw", required_argument, NULL, OPT_SW},
    {"when", required_argument, NULL, OPT_WHEN},
    {"ms", required_argument, NULL, OPT_MS},
    {"offset", required_argument, NULL, OPT_OFFSET},
    {"ins", required_argument, NULL, OPT_INS},
    {"prefix", required_argument, NULL, OPT_PREFIX},
    {"count", required_argument, NULL, 'n'},
    {"socket", required_argument, NULL, OPT_SOCKET},
    {"json", no_argument, NULL, OPT_JSON},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

struct ctl_cli {
        struct json_object *req, *match;
        const char *socket;
        bool json, slot_given;
};

/* A number option into the request; -1 after a message. */
static int add_number(struct ctl_cli *c, const char *opt, const char *key, const char *text)
{
        char *end = NULL;
        long long v;

        errno = 0;
        v = strtoll(text, &end, 10);
        if (errno != 0 || end == text || *end != '\0' || v < 0) {
                fprintf(stderr, "scsim ctl: %s '%s': expected a number\n", opt, text);
                return -1;
        }
        json_object_object_add(c->req, key, json_object_new_int64(v));
        return 0;
}

static int parse_one(struct ctl_cli *c, int opt)
{
        static const char *const keys[] = {
            [OPT_STATE - 256] = "state", [OPT_SW - 256] = "sw", [OPT_WHEN - 256] = "when"};

        switch (opt) {
        case 's':
                c->slot_given = true;
                return add_number(c, "--slot", "slot", optarg);
        case 'p':
                json_object_object_add(c->req, "profile", json_object_new_string(optarg));
                return 0;
        case 'k':
                json_object_object_add(c->req, "kind", json_object_new_string(optarg));
                return 0;
        case OPT_STATE:
        case OPT_SW:
        case OPT_WHEN:
                json_object_object_add(c->req, keys[opt - 256], json_object_new_string(optarg));
                return 0;
        case OPT_MS:
                return add_number(c, "--ms", "ms", optarg);
        case OPT_OFFSET:
                return add_number(c, "--offset", "offset", optarg);
        case 'n':
                return add_number(c, "--count", "count", optarg);
        case OPT_INS:
        case OPT_PREFIX:
                if (c->match != NULL) {
                        fprintf(stderr, "scsim ctl: give --ins or --prefix, once\n");
                        return -1;
                }
                c->match = json_object_new_object();
                json_object_object_add(c->match, opt == OPT_INS ? "ins" : "prefix",
                                       json_object_new_string(optarg));
                json_object_object_add(c->req, "match", c->match);
                return 0;
        case OPT_SOCKET:
                c->socket = optarg;
                return 0;
        case OPT_JSON:
                c->json = true;
                return 0;
        default:
                return -1;
        }
}

/* The verb's own argument (power's action, restore's and clear's id). */
static int parse_positional(struct ctl_cli *c, const char *verb, int argc, char **argv)
{
        int left = argc - optind;
        const char *want = strcmp(verb, "power") == 0     ? "action"
                           : strcmp(verb, "restore") == 0 ? "snapshot"
                           : strcmp(verb, "clear") == 0   ? "fault"
                                                          : NULL;
        bool required = want != NULL && strcmp(verb, "clear") != 0;

        if (left > 1 || (left == 1 && want == NULL) || (left == 0 && required)) {
                fprintf(stderr, "scsim ctl %s: %s\n", verb,
                        left == 0 ? (strcmp(verb, "power") == 0 ? "say off, on or cycle"
                                                                : "give the snapshot's id")
                                  : "unexpected argument");
                return -1;
        }
        if (left == 0)
                return 0;
        if (strcmp(want, "action") == 0) {
                json_object_object_add(c->req, want, json_object_new_string(argv[optind]));
                return 0;
        }
        return add_number(c, verb, want, argv[optind]);
}

static int connect_socket(const char *given)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        struct timeval tv = {.tv_sec = REPLY_TIMEOUT_S};
        const char *env = getenv("SCSIM_CONTROL"), *dir = getenv("SCSIM_RUN_DIR");
        char path[sizeof(sa.sun_path)];
        int fd, n;

        if (given != NULL)
                n = snprintf(path, sizeof(path), "%s", given);
        else if (env != NULL && env[0] != '\0')
                n = snprintf(path, sizeof(path), "%s", env);
        else if (dir != NULL && dir[0] != '\0')
                n = snprintf(path, sizeof(path), "%s/control/control.sock", dir);
        else {
                fprintf(stderr, "scsim ctl: no control socket: run inside `scsim run -- ...` or "
                                "after `eval \"$(scsim run --start)\"`, or give --socket PATH\n");
                return -1;
        }
        if (n < 0 || (size_t)n >= sizeof(path)) {
                fprintf(stderr, "scsim ctl: socket path too long\n");
                return -1;
        }
        memcpy(sa.sun_path, path, (size_t)n + 1);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (const struct sockaddr *)&sa, sizeof(sa)) != 0) {
                fprintf(stderr, "scsim ctl: %s: %s (is scsim run still running?)\n", path,
                        strerror(errno));
                if (fd >= 0)
                        close(fd);
                return -1;
        }
        (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        return fd;
}

/* Sends the request and reads the one line of its reply into a new object; NULL after a message. */
static struct json_object *exchange(int fd, struct json_object *req)
{
        const char *text = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
        struct json_object *reply = NULL;
        size_t fill = 0, cap = 0;
        char *line = NULL;

        if (send(fd, text, strlen(text), MSG_NOSIGNAL) != (ssize_t)strlen(text) ||
            send(fd, "\n", 1, MSG_NOSIGNAL) != 1) {
                fprintf(stderr, "scsim ctl: sending the request: %s\n", strerror(errno));
                return NULL;
        }
        while (fill == 0 || memchr(line, '\n', fill) == NULL) {
                if (cap - fill < 4096) {
                        char *grown = cap < REPLY_MAX ? realloc(line, cap + 65536) : NULL;
                        if (grown == NULL) {
                                fprintf(stderr, "scsim ctl: the reply is too long\n");
                                goto done;
                        }
                        line = grown;
                        cap += 65536;
                }
                ssize_t n = recv(fd, line + fill, cap - fill - 1, 0);
                if (n <= 0) {
                        fprintf(stderr, "scsim ctl: no answer from the control socket (%s)\n",
                                n == 0 ? "closed" : strerror(errno));
                        goto done;
                }
                fill += (size_t)n;
        }
        line[fill] = '\0';
        if ((reply = json_tokener_parse(line)) == NULL ||
            !json_object_is_type(reply, json_type_object)) {
                fprintf(stderr, "scsim ctl: the control socket answered something that is not "
                                "a JSON object\n");
                json_object_put(reply);
                reply = NULL;
        }
done:
        free(line);
        return reply;
}

static const char *text_of(struct json_object *o, const char *key)
{
        struct json_object *v;

        return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
                   ? json_object_get_string(v)
                   : NULL;
}

static bool flag_of(struct json_object *o, const char *key)
{
        struct json_object *v;

        return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

/* One line per slot: reader, card, power, profile, tries, faults. */
static void print_status(struct json_object *reply)
{
        struct json_object *slots, *tries, *faults;

        if (!json_object_object_get_ex(reply, "slots", &slots))
                return;
        for (size_t i = 0; i < json_object_array_length(slots); i++) {
                struct json_object *s = json_object_array_get_idx(slots, i), *v;
                const char *reader = text_of(s, "reader"), *state = text_of(s, "state");
                json_object_object_get_ex(s, "slot", &v);
                printf("slot %d  %s  %s  %s  profile %s  state %s  tries", json_object_get_int(v),
                       reader != NULL ? reader : "(reader unknown)",
                       flag_of(s, "present") ? "card" : "no card",
                       flag_of(s, "powered") ? "powered" : "unpowered", text_of(s, "profile"),
                       state != NULL ? state : "in memory");
                if (json_object_object_get_ex(s, "tries", &tries)) {
                        json_object_object_foreach(tries, name, n)
                        {
                                printf(" %s=%d", name, json_object_get_int(n));
                        }
                }
                if (json_object_object_get_ex(s, "faults", &faults))
                        printf("  faults %zu", json_object_array_length(faults));
                putchar('\n');
        }
}

static int report(const char *verb, struct json_object *reply, bool json)
{
        struct json_object *v;

        if (json)
                printf("%s\n", json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN));
        if (!flag_of(reply, "ok")) {
                const char *error = text_of(reply, "error");
                fprintf(stderr, "scsim ctl %s: %s\n", verb,
                        error != NULL ? error : "refused, with no reason given");
                return EXIT_FAILED;
        }
        if (json)
                return EXIT_OK;
        if (strcmp(verb, "status") == 0)
                print_status(reply);
        else if (json_object_object_get_ex(reply, "snapshot", &v) ||
                 json_object_object_get_ex(reply, "fault", &v))
                printf("%d\n", json_object_get_int(v));
        return EXIT_OK;
}

static const char *const verb_names[] = {"status", "insert",   "remove",  "swap",  "power",
                                         "reset",  "snapshot", "restore", "fault", "clear"};

static int ctl_run(int argc, char **argv)
{
        struct ctl_cli c = {.req = json_object_new_object()};
        struct json_object *reply = NULL;
        const char *verb = argc > 1 ? argv[1] : NULL;
        int opt, rc = EXIT_USAGE, fd = -1;
        bool known = false;

        if (verb == NULL || strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0) {
                usage(verb != NULL ? stdout : stderr);
                rc = verb != NULL ? EXIT_OK : EXIT_USAGE;
                goto done;
        }
        for (size_t i = 0; i < sizeof(verb_names) / sizeof(verb_names[0]); i++)
                known = known || strcmp(verb, verb_names[i]) == 0;
        if (!known) {
                fprintf(stderr, "scsim ctl: unknown verb '%s'; see scsim ctl --help\n", verb);
                goto done;
        }
        json_object_object_add(c.req, "op", json_object_new_string(verb));
        optind = 2;
        while ((opt = getopt_long(argc, argv, "s:p:k:n:h", options, NULL)) != -1) {
                if (opt == 'h') {
                        usage(stdout);
                        rc = EXIT_OK;
                        goto done;
                }
                if (parse_one(&c, opt) != 0)
                        goto done;
        }
        if (parse_positional(&c, verb, argc, argv) != 0)
                goto done;
        if (!c.slot_given && strcmp(verb, "status") != 0)
                json_object_object_add(c.req, "slot", json_object_new_int(0));
        rc = EXIT_RUNTIME;
        if ((fd = connect_socket(c.socket)) < 0 || (reply = exchange(fd, c.req)) == NULL)
                goto done;
        rc = report(verb, reply, c.json);
done:
        if (fd >= 0)
                close(fd);
        json_object_put(reply);
        json_object_put(c.req);
        return rc;
}

const struct verb verb_ctl = {"ctl",
                              "drive the cards of a running scsim run (insert, remove, "
                              "faults ...)",
                              ctl_run};
