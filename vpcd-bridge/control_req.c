/* SPDX-License-Identifier: MIT */
/* One control request (docs/control.md), parsed and checked before anything acts on it. */
#include "control_req.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include <scsim/hex.h>

#define CTL_MS_MAX     60000
#define CTL_OFFSET_MAX 65537
#define CTL_MUTE_MS    5000u

static const char *const op_names[] = {
    [CTL_STATUS] = "status",     [CTL_INSERT] = "insert",   [CTL_REMOVE] = "remove",
    [CTL_SWAP] = "swap",         [CTL_POWER] = "power",     [CTL_RESET] = "reset",
    [CTL_SNAPSHOT] = "snapshot", [CTL_RESTORE] = "restore", [CTL_FAULT] = "fault",
    [CTL_CLEAR] = "clear",
};

/* The fields each operation takes, besides op and slot. */
static const char *const op_fields[] = {
    [CTL_STATUS] = "",
    [CTL_INSERT] = " profile state ",
    [CTL_REMOVE] = "",
    [CTL_SWAP] = " profile state ",
    [CTL_POWER] = " action ",
    [CTL_RESET] = " in_place ",
    [CTL_SNAPSHOT] = "",
    [CTL_RESTORE] = " snapshot ",
    [CTL_FAULT] = " kind sw ms when offset match count ",
    [CTL_CLEAR] = " fault ",
};

const char *ctl_op_name(enum ctl_op op)
{
        return (size_t)op < sizeof(op_names) / sizeof(op_names[0]) ? op_names[op] : "?";
}

struct parse {
        struct json_object *obj;
        char *err;
        size_t cap;
};

static int fail(struct parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct parse *p, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(p->err, p->cap, fmt, ap);
        va_end(ap);
        return -1;
}

/* An integer field lo..hi; *present false (and 0) when absent. */
static int get_int(struct parse *p, const char *name, int64_t lo, int64_t hi, bool *present,
                   int64_t *out)
{
        struct json_object *v;

        *present = false;
        *out = 0;
        if (!json_object_object_get_ex(p->obj, name, &v))
                return 0;
        if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < lo ||
            json_object_get_int64(v) > hi)
                return fail(p, "\"%s\": expected a number from %lld to %lld", name, (long long)lo,
                            (long long)hi);
        *present = true;
        *out = json_object_get_int64(v);
        return 0;
}

/* A string field of at most cap - 1 bytes; "" when absent. */
static int get_string(struct parse *p, const char *name, char *out, size_t cap)
{
        struct json_object *v;
        const char *s;

        out[0] = '\0';
        if (!json_object_object_get_ex(p->obj, name, &v))
                return 0;
        if (!json_object_is_type(v, json_type_string))
                return fail(p, "\"%s\": expected a string", name);
        s = json_object_get_string(v);
        if ((size_t)json_object_get_string_len(v) >= cap || s[0] == '\0' ||
            strlen(s) != (size_t)json_object_get_string_len(v))
                return fail(p, "\"%s\": expected a non-empty string of at most %zu bytes", name,
                            cap - 1);
        memcpy(out, s, strlen(s) + 1);
        return 0;
}

/* One of the words in choices (space-separated); its index in *out. */
static int get_word(struct parse *p, const char *name, const char *const *choices, size_t n,
                    bool required, int *out)
{
        char word[32];

        if (get_string(p, name, word, sizeof(word)) != 0)
                return fail(p, "\"%s\": expected a string", name);
        *out = -1;
        for (size_t i = 0; i < n && word[0] != '\0'; i++)
                if (strcmp(word, choices[i]) == 0)
                        *out = (int)i;
        if (*out >= 0 || (word[0] == '\0' && !required))
                return 0;
        char list[128] = "";
        for (size_t i = 0; i < n; i++)
                snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
                         choices[i]);
        return fail(p, "\"%s\": %s%s%s; one of %s", name, word[0] ? "unknown value '" : "missing",
                    word, word[0] ? "'" : "", list);
}

/* Hex text of 1 to max bytes into out. */
static int get_hex(struct parse *p, struct json_object *from, const char *name, uint8_t *out,
                   size_t max, size_t *len)
{
        struct json_object *v;
        const char *s;
        size_t n;

        if (!json_object_object_get_ex(from, name, &v) || !json_object_is_type(v, json_type_string))
                return fail(p, "\"%s\": expected a string of hex digits", name);
        s = json_object_get_string(v);
        n = strlen(s);
        if (n == 0 || n % 2 != 0 || n / 2 > max)
                return fail(p, "\"%s\": '%.40s': expected 1 to %zu bytes in hex", name, s, max);
        for (size_t i = 0; i < n / 2; i++) {
                unsigned b;
                if (sscanf(s + 2 * i, "%2x", &b) != 1 ||
                    !strchr("0123456789abcdefABCDEF", s[2 * i]) ||
                    !strchr("0123456789abcdefABCDEF", s[2 * i + 1]))
                        return fail(p, "\"%s\": '%.40s': not hex", name, s);
                out[i] = (uint8_t)b;
        }
        *len = n / 2;
        return 0;
}

static int parse_match(struct parse *p, scsim_fault *f)
{
        struct json_object *m;
        uint8_t ins;
        size_t n;

        if (!json_object_object_get_ex(p->obj, "match", &m))
                return 0;
        if (!json_object_is_type(m, json_type_object) || json_object_object_length(m) != 1)
                return fail(p, "\"match\": expected {\"ins\":\"XX\"} or {\"prefix\":\"HEX\"}");
        if (json_object_object_get_ex(m, "ins", NULL)) {
                if (get_hex(p, m, "ins", &ins, 1, &n) != 0)
                        return fail(p, "\"match\": \"ins\": expected one byte in hex (\"20\")");
                f->match_ins = true;
                f->ins = ins;
                return 0;
        }
        if (json_object_object_get_ex(m, "prefix", NULL))
                return get_hex(p, m, "prefix", f->prefix, sizeof(f->prefix), &f->prefix_len);
        return fail(p, "\"match\": expected {\"ins\":\"XX\"} or {\"prefix\":\"HEX\"}");
}

static const char *const kind_names[] = {"sw", "delay", "mute", "drop", "corrupt", "tear"};
/* In kind_names' order: one table could not drift from the other unnoticed. */
static const enum scsim_fault_kind kinds[] = {SCSIM_FAULT_SW,      SCSIM_FAULT_DELAY,
                                              SCSIM_FAULT_MUTE,    SCSIM_FAULT_DROP,
                                              SCSIM_FAULT_CORRUPT, SCSIM_FAULT_TEAR};
_Static_assert(sizeof(kinds) / sizeof(kinds[0]) == sizeof(kind_names) / sizeof(kind_names[0]),
               "a kind for each kind name");
static const char *const when_names[] = {"before", "after"};

/* What a kind needs and what it cannot take. */
static int check_kind_fields(struct parse *p, const char *kind, bool sw, bool ms, bool offset,
                             bool when)
{
        bool need_sw = strcmp(kind, "sw") == 0, need_ms = strcmp(kind, "delay") == 0;
        bool may_ms = need_ms || strcmp(kind, "mute") == 0;
        bool may_when = need_sw || strcmp(kind, "tear") == 0;

        if (need_sw != sw)
                return fail(p, "\"sw\": %s",
                            sw ? "only for kind sw" : "missing; give 4 hex digits");
        if (need_ms && !ms)
                return fail(p, "\"ms\": missing; kind delay needs it");
        if (ms && !may_ms)
                return fail(p, "\"ms\": only for kinds delay and mute");
        if (offset && strcmp(kind, "corrupt") != 0)
                return fail(p, "\"offset\": only for kind corrupt");
        if (when && !may_when)
                return fail(p, "\"when\": only for kinds sw and tear");
        return 0;
}

static int parse_fault(struct parse *p, struct ctl_req *r)
{
        scsim_fault *f = &r->fault;
        bool sw_given, ms_given, off_given, count_given;
        int64_t ms, off, count;
        int kind, when;
        size_t n;
        uint8_t sw[2];

        if (get_word(p, "kind", kind_names, 6, true, &kind) != 0 ||
            get_word(p, "when", when_names, 2, false, &when) != 0 ||
            get_int(p, "ms", 0, CTL_MS_MAX, &ms_given, &ms) != 0 ||
            get_int(p, "offset", 0, CTL_OFFSET_MAX, &off_given, &off) != 0 ||
            get_int(p, "count", 1, UINT32_MAX, &count_given, &count) != 0 || parse_match(p, f) != 0)
                return -1;
        sw_given = json_object_object_get_ex(p->obj, "sw", NULL);
        if (check_kind_fields(p, kind_names[kind], sw_given, ms_given, off_given, when >= 0) != 0)
                return -1;
        if (sw_given && get_hex(p, p->obj, "sw", sw, 2, &n) != 0)
                return -1;
        if (sw_given && n != 2)
                return fail(p, "\"sw\": expected 4 hex digits (\"6F00\")");
        f->kind = kinds[kind];
        f->sw = (uint16_t)(sw_given ? (sw[0] << 8) | sw[1] : 0);
        f->after = when == 1;
        f->ms = ms_given ? (unsigned)ms : f->kind == SCSIM_FAULT_MUTE ? CTL_MUTE_MS : 0;
        if (f->kind == SCSIM_FAULT_MUTE && f->ms == 0)
                return fail(p, "\"ms\": a mute lasts 1 to %d ms", CTL_MS_MAX);
        f->offset = (size_t)off;
        f->count = (unsigned)count;
        return 0;
}

static int check_fields(struct parse *p, enum ctl_op op)
{
        json_object_object_foreach(p->obj, key, val)
        {
                char word[64];
                (void)val;
                snprintf(word, sizeof(word), " %s ", key);
                if (strcmp(key, "op") != 0 && strcmp(key, "slot") != 0 &&
                    strstr(op_fields[op], word) == NULL)
                        return fail(p, "\"%.40s\": not a field of %s (it takes:%s)", key,
                                    op_names[op], op_fields[op][0] ? op_fields[op] : " slot only");
        }
        return 0;
}

static int parse_op_fields(struct parse *p, struct ctl_req *r, unsigned slots)
{
        bool given;
        int64_t v;
        int action;

        if (get_int(p, "slot", 0, (int64_t)slots - 1, &given, &v) != 0)
                return -1;
        if (!given && r->op != CTL_STATUS)
                return fail(p, "\"slot\": missing; give a number from 0 to %u", slots - 1u);
        r->has_slot = given;
        r->slot = (unsigned)v;
        if (check_fields(p, r->op) != 0 ||
            get_string(p, "profile", r->profile, sizeof(r->profile)) != 0 ||
            get_string(p, "state", r->state, sizeof(r->state)) != 0)
                return -1;
        switch (r->op) {
        case CTL_SWAP:
                if (r->profile[0] == '\0' && r->state[0] == '\0')
                        return fail(p, "\"profile\": swap needs a profile or a state file");
                return 0;
        case CTL_POWER: {
                static const char *const actions[] = {"off", "on", "cycle"};
                if (get_word(p, "action", actions, 3, true, &action) != 0)
                        return -1;
                r->power = (enum ctl_power)action;
                return 0;
        }
        case CTL_RESTORE:
                if (get_int(p, "snapshot", 1, UINT32_MAX, &given, &v) != 0)
                        return -1;
                if (!given)
                        return fail(p, "\"snapshot\": missing; give the id snapshot answered");
                r->id = (unsigned)v;
                return 0;
        case CTL_CLEAR:
                if (get_int(p, "fault", 1, UINT32_MAX, &given, &v) != 0)
                        return -1;
                r->id = (unsigned)v;
                return 0;
        case CTL_FAULT:
                return parse_fault(p, r);
        case CTL_RESET: {
                struct json_object *in_place;
                if (!json_object_object_get_ex(p->obj, "in_place", &in_place))
                        return 0;
                if (!json_object_is_type(in_place, json_type_boolean))
                        return fail(p, "\"in_place\": expected true or false");
                r->in_place = json_object_get_boolean(in_place);
                return 0;
        }
        default:
                return 0;
        }
}

static bool only_blanks(const char *p, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
                        return false;
        return true;
}

int ctl_req_parse(const char *line, size_t len, unsigned slots, struct ctl_req *req, char *err,
                  size_t cap)
{
        struct parse p = {.err = err, .cap = cap};
        struct json_tokener *tok = NULL;
        struct json_object *op;
        const char *name;
        int ok = -1;

        memset(req, 0, sizeof(*req));
        err[0] = '\0';
        if (len > CTL_LINE_MAX)
                return fail(&p, "request longer than %u bytes", CTL_LINE_MAX);
        if ((tok = json_tokener_new()) == NULL)
                return fail(&p, "out of memory");
        p.obj = json_tokener_parse_ex(tok, line, (int)len);
        if (p.obj == NULL || json_tokener_get_error(tok) != json_tokener_success ||
            !only_blanks(line + json_tokener_get_parse_end(tok),
                         len - json_tokener_get_parse_end(tok)) ||
            !json_object_is_type(p.obj, json_type_object)) {
                fail(&p, "not a JSON object on one line: %s",
                     p.obj == NULL ? json_tokener_error_desc(json_tokener_get_error(tok))
                                   : "expected {\"op\": ..., \"slot\": N}");
                goto done;
        }
        if (!json_object_object_get_ex(p.obj, "op", &op) ||
            !json_object_is_type(op, json_type_string)) {
                fail(&p, "\"op\": missing or not a string; one of status, insert, remove, swap, "
                         "power, reset, snapshot, restore, fault, clear");
                goto done;
        }
        name = json_object_get_string(op);
        for (size_t i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
                if (strcmp(name, op_names[i]) == 0) {
                        req->op = (enum ctl_op)i;
                        ok = parse_op_fields(&p, req, slots);
                        goto done;
                }
        fail(&p,
             "\"op\": unknown operation '%.40s'; one of status, insert, remove, swap, power, "
             "reset, snapshot, restore, fault, clear",
             name);
done:
        json_object_put(p.obj);
        json_tokener_free(tok);
        return ok;
}
