/* SPDX-License-Identifier: MIT */
/* The run's results as people and CI systems read them: text lines, TAP 13, JUnit XML, JSON. */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "conform.h"

const char *cf_verdict_name(enum cf_verdict v)
{
        static const char *const names[] = {"PASS", "FAIL", "SKIP", "ERROR"};

        return (unsigned)v < 4 ? names[v] : "?";
}

/*
 * Reader and card names come from outside: bytes that are not UTF-8, and
 * control characters, become '?' so that no XML or JSON reader chokes.
 */
static void clean_utf8(const char *in, char *out, size_t cap)
{
        const unsigned char *s = (const unsigned char *)in;
        size_t o = 0;

        while (*s != '\0' && o + 5 < cap) {
                size_t n = *s < 0x80             ? 1
                           : (*s & 0xe0) == 0xc0 ? 2
                           : (*s & 0xf0) == 0xe0 ? 3
                           : (*s & 0xf8) == 0xf0 ? 4
                                                 : 0;
                size_t k = 1;

                while (n > 1 && k < n && (s[k] & 0xc0) == 0x80)
                        k++;
                if (n == 0 || k != n || (n == 2 && *s < 0xc2) ||
                    (n == 1 && *s < 0x20 && *s != '\t' && *s != '\n')) {
                        out[o++] = '?';
                        s++;
                        continue;
                }
                memcpy(out + o, s, n);
                o += n;
                s += n;
        }
        out[o] = '\0';
}

/* An APDU as hex, codes shown as a count of masked bytes, long ones cut. */
static void hex_command(const struct cf_exchange *x, char *out, size_t cap)
{
        size_t o = 0;
        const size_t shown = x->clen < CF_KEEP_MAX ? x->clen : CF_KEEP_MAX;

        out[0] = '\0';
        for (size_t i = 0; i < shown && o + 40 < cap; i++) {
                if (x->mask_len > 0 && i == x->mask_off) {
                        o += (size_t)snprintf(out + o, cap - o, "%s(%zu bytes of a code, masked)",
                                              o > 0 ? " " : "", x->mask_len);
                        i = x->mask_off + x->mask_len - 1;
                        continue;
                }
                o += (size_t)snprintf(out + o, cap - o, "%s%02X", o > 0 ? " " : "", x->c[i]);
        }
        if (x->clen > shown && o + 24 < cap)
                snprintf(out + o, cap - o, " ... (%zu bytes)", x->clen);
}

static void hex_response(const struct cf_exchange *x, char *out, size_t cap)
{
        const size_t data = x->rlen >= 2 ? x->rlen - 2 : 0;
        const size_t shown = data < CF_KEEP_MAX ? data : CF_KEEP_MAX;
        size_t o = 0;

        out[0] = '\0';
        for (size_t i = 0; i < shown && o + 40 < cap; i++)
                o += (size_t)snprintf(out + o, cap - o, "%02X ", x->r[i]);
        if (data > shown)
                o += (size_t)snprintf(out + o, cap - o, "... (%zu bytes) ", data);
        if (x->rlen >= 2)
                snprintf(out + o, cap - o, "%02X %02X", x->sw >> 8, x->sw & 0xff);
        else
                snprintf(out + o, cap - o, "(no status word: %zu bytes)", x->rlen);
}

/* One line per exchange: "> command", "< response", or "* event". */
static void exchange_lines(const struct cf_exchange *x, char *c, char *r, size_t cap)
{
        if (x->event != NULL) {
                snprintf(c, cap, "* %s", x->event);
                r[0] = '\0';
                return;
        }
        c[0] = '>';
        c[1] = ' ';
        hex_command(x, c + 2, cap - 2);
        r[0] = '<';
        r[1] = ' ';
        hex_response(x, r + 2, cap - 2);
}

void cf_print_text(FILE *f, const struct cf_result *res)
{
        char c[400], r[400];

        fprintf(f, "%-5s %s  %s", cf_verdict_name(res->verdict), res->id, res->check->title);
        if (res->verdict == CF_SKIP)
                fprintf(f, " (%s)", res->message);
        fputc('\n', f);
        if (res->verdict != CF_FAIL && res->verdict != CF_ERROR)
                return;
        fprintf(f, "      why: %s\n      clause: %s\n", res->message, res->check->clause);
        if (res->nlog > 0)
                fprintf(f, "      APDUs (%s%zu):\n", res->dropped > 0 ? "the last " : "",
                        res->nlog);
        for (size_t i = 0; i < res->nlog; i++) {
                exchange_lines(&res->log[i], c, r, sizeof(c));
                fprintf(f, "        %s\n", c);
                if (r[0] != '\0')
                        fprintf(f, "        %s\n", r);
        }
}

void cf_print_summary(FILE *f, const struct cf_report *rep)
{
        fprintf(f, "%s: %zu checks, %zu passed, %zu failed, %zu skipped", rep->suite, rep->n,
                rep->passed, rep->failed, rep->skipped);
        if (rep->errors > 0)
                fprintf(f, ", %zu errors", rep->errors);
        fprintf(f, " (%.2f s)\n", rep->seconds);
        if (rep->environment[0] != '\0')
                fprintf(f, "stopped: %s\n", rep->environment);
}

/* ---- TAP version 13 ----------------------------------------------------------- */

void cf_print_tap_plan(FILE *f, size_t total)
{
        fprintf(f, "TAP version 13\n1..%zu\n", total);
}

/* A TAP description may not hold '#' (it starts a directive) nor a line break. */
static void tap_text(FILE *f, const char *s)
{
        for (; *s != '\0'; s++)
                if (*s == '#')
                        fputs("\\#", f);
                else
                        fputc(*s == '\n' || *s == '\r' ? ' ' : *s, f);
}

static void yaml_quoted(FILE *f, const char *s)
{
        char clean[512];

        clean_utf8(s, clean, sizeof(clean));
        fputc('"', f);
        for (const char *p = clean; *p != '\0'; p++) {
                if (*p == '"' || *p == '\\')
                        fputc('\\', f);
                fputc(*p == '\n' || *p == '\t' ? ' ' : *p, f);
        }
        fputc('"', f);
}

void cf_print_tap(FILE *f, const struct cf_result *res, size_t number)
{
        char c[400], r[400];
        const bool bad = res->verdict == CF_FAIL || res->verdict == CF_ERROR;

        fprintf(f, "%s %zu - %s ", bad ? "not ok" : "ok", number, res->id);
        tap_text(f, res->check->title);
        if (res->verdict == CF_SKIP) {
                fputs(" # SKIP ", f);
                tap_text(f, res->message);
        }
        fputc('\n', f);
        if (!bad)
                return;
        fprintf(f, "  ---\n  message: ");
        yaml_quoted(f, res->message);
        fprintf(f, "\n  severity: %s\n  clause: ", res->verdict == CF_FAIL ? "fail" : "error");
        yaml_quoted(f, res->check->clause);
        fprintf(f, "\n");
        if (res->nlog > 0)
                fprintf(f, "  apdus:\n");
        for (size_t i = 0; i < res->nlog; i++) {
                exchange_lines(&res->log[i], c, r, sizeof(c));
                fprintf(f, "    - ");
                yaml_quoted(f, c);
                fputc('\n', f);
                if (r[0] != '\0') {
                        fprintf(f, "    - ");
                        yaml_quoted(f, r);
                        fputc('\n', f);
                }
        }
        fprintf(f, "  ...\n");
}

/* ---- JUnit XML ---------------------------------------------------------------- */

static void xml_text(FILE *f, const char *s)
{
        char clean[2048];

        clean_utf8(s, clean, sizeof(clean));
        for (const char *p = clean; *p != '\0'; p++) {
                switch (*p) {
                case '&':
                        fputs("&amp;", f);
                        break;
                case '<':
                        fputs("&lt;", f);
                        break;
                case '>':
                        fputs("&gt;", f);
                        break;
                case '"':
                        fputs("&quot;", f);
                        break;
                case '\'':
                        fputs("&apos;", f);
                        break;
                default:
                        fputc(*p, f);
                }
        }
}

static void junit_details(FILE *f, const struct cf_result *res)
{
        char c[400], r[400];

        xml_text(f, res->message);
        fputs("\nclause: ", f);
        xml_text(f, res->check->clause);
        fputc('\n', f);
        for (size_t i = 0; i < res->nlog; i++) {
                exchange_lines(&res->log[i], c, r, sizeof(c));
                xml_text(f, c);
                fputc('\n', f);
                if (r[0] != '\0') {
                        xml_text(f, r);
                        fputc('\n', f);
                }
        }
}

static void junit_case(FILE *f, const struct cf_report *rep, const struct cf_result *res)
{
        static const char *const tags[] = {NULL, "failure", "skipped", "error"};
        const char *tag = tags[res->verdict];

        fprintf(f, "    <testcase classname=\"conform.%s\" name=\"", rep->suite);
        xml_text(f, res->id);
        fprintf(f, "\" time=\"%.3f\"", res->seconds);
        if (tag == NULL) {
                fputs("/>\n", f);
                return;
        }
        fprintf(f, ">\n      <%s message=\"", tag);
        xml_text(f, res->message);
        if (res->verdict == CF_SKIP) {
                fputs("\"/>\n    </testcase>\n", f);
                return;
        }
        fprintf(f, "\" type=\"%s\">", res->verdict == CF_FAIL ? "nonconformance" : "environment");
        junit_details(f, res);
        fprintf(f, "</%s>\n      <system-out>", tag);
        xml_text(f, res->check->title);
        fputs("</system-out>\n    </testcase>\n", f);
}

static void junit_property(FILE *f, const char *name, const char *value)
{
        fprintf(f, "      <property name=\"%s\" value=\"", name);
        xml_text(f, value);
        fputs("\"/>\n", f);
}

int cf_write_junit(FILE *f, const struct cf_report *rep)
{
        fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        fprintf(f,
                "<testsuites name=\"scsim conform\" tests=\"%zu\" failures=\"%zu\" "
                "errors=\"%zu\" skipped=\"%zu\" time=\"%.3f\">\n",
                rep->n, rep->failed, rep->errors, rep->skipped, rep->seconds);
        fprintf(f,
                "  <testsuite name=\"conform.%s\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" "
                "skipped=\"%zu\" time=\"%.3f\" timestamp=\"%s\">\n",
                rep->suite, rep->n, rep->failed, rep->errors, rep->skipped, rep->seconds,
                rep->timestamp);
        fputs("    <properties>\n", f);
        junit_property(f, "standard", rep->standard);
        junit_property(f, "reader", rep->reader);
        junit_property(f, "card", rep->card);
        if (rep->environment[0] != '\0')
                junit_property(f, "stopped", rep->environment);
        fputs("    </properties>\n", f);
        for (size_t i = 0; i < rep->n; i++)
                junit_case(f, rep, &rep->results[i]);
        fputs("  </testsuite>\n</testsuites>\n", f);
        return ferror(f) ? -1 : 0;
}

/* ---- JSON --------------------------------------------------------------------- */

static json_object *jstr(const char *s)
{
        char clean[2048];

        clean_utf8(s, clean, sizeof(clean));
        return json_object_new_string(clean);
}

static json_object *json_apdus(const struct cf_result *res)
{
        json_object *a = json_object_new_array();
        char c[400], r[400], sw[8];

        for (size_t i = 0; a != NULL && i < res->nlog; i++) {
                const struct cf_exchange *x = &res->log[i];
                json_object *o = json_object_new_object();

                if (x->event != NULL) {
                        json_object_object_add(o, "event", jstr(x->event));
                } else {
                        exchange_lines(x, c, r, sizeof(c));
                        snprintf(sw, sizeof(sw), "%04X", x->sw);
                        json_object_object_add(o, "command", jstr(c + 2));
                        json_object_object_add(o, "response", jstr(r + 2));
                        json_object_object_add(o, "sw", json_object_new_string(sw));
                }
                json_object_array_add(a, o);
        }
        return a;
}

static json_object *json_result(const struct cf_result *res)
{
        json_object *o = json_object_new_object();
        char verdict[8];

        snprintf(verdict, sizeof(verdict), "%s", cf_verdict_name(res->verdict));
        for (char *p = verdict; *p != '\0'; p++)
                *p = (char)(*p - 'A' + 'a');
        json_object_object_add(o, "id", jstr(res->id));
        json_object_object_add(o, "check", jstr(res->check->id));
        json_object_object_add(o, "title", jstr(res->check->title));
        json_object_object_add(o, "clause", jstr(res->check->clause));
        json_object_object_add(o, "verdict", json_object_new_string(verdict));
        json_object_object_add(
            o, "ok", json_object_new_boolean(res->verdict == CF_PASS || res->verdict == CF_SKIP));
        json_object_object_add(o, "message", res->message[0] != '\0' ? jstr(res->message) : NULL);
        json_object_object_add(o, "destructive",
                               json_object_new_boolean((res->check->flags & CF_DESTRUCTIVE) != 0));
        json_object_object_add(o, "seconds", json_object_new_double(res->seconds));
        if (res->nlog > 0)
                json_object_object_add(o, "apdus", json_apdus(res));
        return o;
}

int cf_write_json(FILE *f, const struct cf_report *rep)
{
        json_object *o = json_object_new_object(), *list = json_object_new_array();
        int rc = -1;

        if (o == NULL || list == NULL)
                goto out;
        json_object_object_add(o, "operation", json_object_new_string("conform"));
        json_object_object_add(o, "suite", jstr(rep->suite));
        json_object_object_add(o, "standard", jstr(rep->standard));
        json_object_object_add(o, "reader", jstr(rep->reader));
        json_object_object_add(o, "card", jstr(rep->card));
        json_object_object_add(o, "timestamp", jstr(rep->timestamp));
        json_object_object_add(o, "seconds", json_object_new_double(rep->seconds));
        json_object_object_add(o, "ok",
                               json_object_new_boolean(rep->failed == 0 && rep->errors == 0 &&
                                                       rep->environment[0] == '\0'));
        json_object_object_add(o, "passed", json_object_new_int64((int64_t)rep->passed));
        json_object_object_add(o, "failed", json_object_new_int64((int64_t)rep->failed));
        json_object_object_add(o, "skipped", json_object_new_int64((int64_t)rep->skipped));
        json_object_object_add(o, "errors", json_object_new_int64((int64_t)rep->errors));
        json_object_object_add(o, "environment",
                               rep->environment[0] != '\0' ? jstr(rep->environment) : NULL);
        for (size_t i = 0; i < rep->n; i++)
                json_object_array_add(list, json_result(&rep->results[i]));
        json_object_object_add(o, "results", list);
        list = NULL;
        fprintf(f, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        rc = ferror(f) ? -1 : 0;
out:
        json_object_put(list);
        json_object_put(o);
        return rc;
}
