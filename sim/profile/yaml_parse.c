/* SPDX-License-Identifier: MIT */
/*
 * Text to a libfyaml document, with bounds on the work: the bytes are
 * checked and counted first, then libfyaml's events are counted, and only
 * text within every bound is built into a document.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfyaml.h>

#include "profile/yaml_loader.h"

/*
 * Why each bound: libfyaml holds back every token of a flow collection (or
 * of a line with a pending key) until it can tell whether it is a key, so
 * its time and memory grow with the structure of the text before the first
 * event arrives; the indicators that make tokens are counted before libfyaml
 * runs. Its duplicate-key check compares every key of a mapping with every
 * other one, and each node costs time and memory to build: nodes, mapping
 * sizes and depth are counted on the events before a document is built.
 * The largest profile the model holds needs a few thousand of each. The
 * depth bound stays below libfyaml's own (64), so that ours speaks first.
 */
#define YAML_INDICATORS_MAX 16384
#define YAML_NODES_MAX      20000
#define YAML_MAPPING_MAX    128
#define YAML_DEPTH_MAX      48

/*
 * Where the scanner is: 1-based line and column, columns counted in
 * characters; whether only blanks and block indicators ("- ", "? ", ": ")
 * stand before it on its line.
 */
struct cursor {
        unsigned line, column;
        bool line_start, block_prefix;
};

static void advance(struct cursor *c, const char *text, size_t len, size_t i)
{
        unsigned char b = (unsigned char)text[i];

        /* YAML breaks lines at LF, CR and CR LF */
        if (b == '\n' || (b == '\r' && (i + 1 == len || text[i + 1] != '\n'))) {
                c->line++;
                c->column = 1;
                c->line_start = true;
                c->block_prefix = true;
                return;
        }
        if (b != '\r' && (b & 0xc0) != 0x80) /* UTF-8 continuation bytes are no column */
                c->column++;
        c->line_start = false;
}

/* The byte (or UTF-8 C1 control) at i, if it is a control character a profile refuses. */
static int control_at(const char *text, size_t len, size_t i)
{
        unsigned char b = (unsigned char)text[i], next;

        if ((b < 0x20 && b != '\t' && b != '\n' && b != '\r') || b == 0x7f)
                return b;
        /* U+0080..U+009F, except U+0085 (NEL), which YAML allows */
        if (b == 0xc2 && i + 1 < len) {
                next = (unsigned char)text[i + 1];
                if (next >= 0x80 && next <= 0x9f && next != 0x85)
                        return next;
        }
        return -1;
}

/*
 * Characters that begin a YAML token other than a scalar: brackets, braces,
 * commas, anchors, aliases, tags, block scalar headers, and ':', '-', '?'
 * when a blank or the end follows. Counted everywhere, quoted or not: an
 * overcount only refuses a text long before a real profile comes near.
 */
static bool blank_after(const char *text, size_t len, size_t i)
{
        char next = i + 1 < len ? text[i + 1] : ' ';

        return next == ' ' || next == '\t' || next == '\n' || next == '\r';
}

static bool is_indicator(const char *text, size_t len, size_t i)
{
        char c = text[i];
        bool blank_next = blank_after(text, len, i);

        switch (c) {
        case '[':
        case ']':
        case '{':
        case '}':
        case ',':
        case '&':
        case '*':
        case '!':
        case '|':
        case '>':
                return true;
        case ':':
        case '-':
        case '?':
                return blank_next;
        }
        return false;
}

/*
 * An explicit key: "? " where a block node may begin (after blanks and
 * block indicators on its line). Debian 12's libfyaml (0.7.12) frees its
 * indentation stack wrongly after an error in an explicit key's line
 * ("? a: <tab>: b" crashes fy_parser_destroy; found by fuzz_profile, and
 * libfyaml's issue 57 is another of the kind). Profiles need no complex
 * keys: "key: value" says everything they hold. Told apart by the text
 * alone, so a quoted scalar's continued line that starts so is refused
 * too: telling quoted text from a plain or block scalar's lines would take
 * a YAML scanner, and one that erred the other way would let the crash
 * through. The printer escapes such a "?" (print.c).
 */
static bool is_explicit_key(const struct cursor *c, const char *text, size_t len, size_t i)
{
        return text[i] == '?' && c->block_prefix && blank_after(text, len, i);
}

/* Whether the byte at i keeps its line a run of blanks and block indicators. */
static bool keeps_block_prefix(const struct cursor *c, const char *text, size_t len, size_t i)
{
        char b = text[i];

        if (!c->block_prefix)
                return false;
        return b == ' ' || b == '\t' ||
               ((b == '-' || b == '?' || b == ':') && blank_after(text, len, i));
}

/* The bytes alone: control characters, directives, explicit keys and the indicator count. */
static int scan_text(struct yaml_loader *ld, const char *text, size_t len)
{
        struct cursor c = {1, 1, true, true};
        size_t indicators = 0, i = 0;
        int ctl;

        if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
                i = 3; /* a BOM may open the text */
        for (; i < len; i++) {
                struct yaml_pos at = {c.line, c.column};
                if ((ctl = control_at(text, len, i)) >= 0)
                        return yaml_err(ld, at,
                                        "control character %02X is not allowed in a profile (only "
                                        "tab, line feed and carriage return are)",
                                        (unsigned)ctl);
                /*
                 * Debian 12's libfyaml (0.7.12) can loop forever scanning a
                 * malformed directive (found by fuzz_profile). Profiles have
                 * no use for %YAML or %TAG: refused before libfyaml sees them.
                 */
                if (text[i] == '%' && c.line_start)
                        return yaml_err(
                            ld, at,
                            "YAML directives (%%YAML, %%TAG) are not supported in profiles");
                if (is_explicit_key(&c, text, len, i))
                        return yaml_err(ld, at,
                                        "explicit keys (\"? \") are not supported in profiles: "
                                        "write \"key: value\" (in a quoted text broken over "
                                        "lines, write a \"?\" that starts a line as \\x3F)");
                if (is_indicator(text, len, i) && ++indicators > YAML_INDICATORS_MAX)
                        return yaml_err(ld, at,
                                        "more than %d YAML indicators ([ ] { } , : - ? & * ! | >); "
                                        "a profile has far fewer",
                                        YAML_INDICATORS_MAX);
                c.block_prefix = keeps_block_prefix(&c, text, len, i);
                advance(&c, text, len, i);
        }
        return 0;
}

/* The first error libfyaml collected (1-based already), or 0 when none. */
static int first_fy_error(struct yaml_loader *ld)
{
        struct fy_diag_error *e;
        void *it = NULL;

        if ((e = fy_diag_errors_iterate(ld->fdiag, &it)) == NULL)
                return 0;
        return yaml_err(ld,
                        (struct yaml_pos){e->line > 0 ? (unsigned)e->line : 0,
                                          e->column > 0 ? (unsigned)e->column : 0},
                        "YAML: %s", e->msg != NULL ? e->msg : "syntax error");
}

static struct fy_parser *new_parser(struct yaml_loader *ld, const char *text, size_t len)
{
        struct fy_parse_cfg pcfg;
        struct fy_parser *fyp;

        memset(&pcfg, 0, sizeof(pcfg));
        pcfg.flags = FYPCF_QUIET | FYPCF_COLLECT_DIAG | FYPCF_DEFAULT_VERSION_1_2;
        pcfg.diag = ld->fdiag;
        if ((fyp = fy_parser_create(&pcfg)) != NULL && fy_parser_set_string(fyp, text, len) != 0)
                fy_parser_destroy(fyp), fyp = NULL;
        return fyp;
}

/* What the event walk keeps: nesting, and entries of each open collection. */
struct walk {
        size_t nodes;
        unsigned depth;
        struct yaml_pos at; /* of the latest event that had a position */
        bool mapping[YAML_DEPTH_MAX + 1];
        size_t children[YAML_DEPTH_MAX + 1];
};

/* One node event (scalar, alias, collection start) counted against the bounds. */
static int count_node(struct yaml_loader *ld, struct walk *w, bool opens)
{
        if (++w->nodes > YAML_NODES_MAX)
                return yaml_err(ld, w->at, "more than %d YAML nodes; a profile has far fewer",
                                YAML_NODES_MAX);
        /* keys are a mapping's odd children */
        if (w->depth > 0 && w->mapping[w->depth] && w->children[w->depth]++ % 2 == 0 &&
            w->children[w->depth] / 2 + 1 > YAML_MAPPING_MAX)
                return yaml_err(ld, w->at,
                                "a mapping with more than %d entries; a profile has far fewer",
                                YAML_MAPPING_MAX);
        if (!opens)
                return 0;
        if (w->depth == YAML_DEPTH_MAX)
                return yaml_err(ld, w->at,
                                "nested more than %d levels deep; a profile needs far fewer",
                                YAML_DEPTH_MAX);
        w->depth++;
        w->children[w->depth] = 0;
        return 0;
}

static int walk_event(struct yaml_loader *ld, struct walk *w, struct fy_event *fye)
{
        const struct fy_mark *m = fy_event_start_mark(fye);

        if (m != NULL)
                w->at = (struct yaml_pos){(unsigned)m->line + 1, (unsigned)m->column + 1};
        switch (fye->type) {
        case FYET_SCALAR:
        case FYET_ALIAS:
                return count_node(ld, w, false);
        case FYET_MAPPING_START:
        case FYET_SEQUENCE_START:
                if (count_node(ld, w, true) != 0)
                        return -1;
                w->mapping[w->depth] = fye->type == FYET_MAPPING_START;
                return 0;
        case FYET_MAPPING_END:
        case FYET_SEQUENCE_END:
                if (w->depth > 0)
                        w->depth--;
                return 0;
        default:
                return 0;
        }
}

/* libfyaml's events, counted: the whole stream, every document in it. */
static int scan_events(struct yaml_loader *ld, const char *text, size_t len)
{
        struct fy_parser *fyp = new_parser(ld, text, len);
        struct fy_event *fye;
        struct walk *w = calloc(1, sizeof(*w));
        int rc = 0;

        if (fyp == NULL || w == NULL) {
                rc = yaml_err(ld, (struct yaml_pos){0, 0}, "out of memory");
                goto done;
        }
        w->at = (struct yaml_pos){1, 1};
        while (rc == 0 && (fye = fy_parser_parse(fyp)) != NULL) {
                rc = walk_event(ld, w, fye);
                fy_parser_event_free(fyp, fye);
        }
        if (rc == 0 && first_fy_error(ld) != 0)
                rc = -1;
done:
        free(w);
        if (fyp != NULL)
                fy_parser_destroy(fyp);
        return rc;
}

/*
 * The document, if the text is within every bound. The parser stays alive
 * as long as its document: ld owns both.
 */
int yaml_parse(struct yaml_loader *ld, const char *text, size_t len)
{
        struct fy_diag_cfg dcfg;
        struct fy_document *extra;

        if (scan_text(ld, text, len) != 0)
                return -1;
        fy_diag_cfg_default(&dcfg);
        dcfg.fp = NULL;
        dcfg.output_fn = NULL;
        dcfg.colorize = false;
        if ((ld->fdiag = fy_diag_create(&dcfg)) == NULL)
                return yaml_err(ld, (struct yaml_pos){0, 0}, "out of memory");
        fy_diag_set_collect_errors(ld->fdiag, true);
        if (scan_events(ld, text, len) != 0)
                return -1;
        if ((ld->fyp = new_parser(ld, text, len)) == NULL)
                return yaml_err(ld, (struct yaml_pos){0, 0}, "out of memory");
        ld->doc = fy_parse_load_document(ld->fyp);
        if (ld->doc != NULL && !fy_diag_got_error(ld->fdiag)) {
                extra = fy_parse_load_document(ld->fyp);
                if (extra != NULL) {
                        struct yaml_pos at =
                            yaml_node_pos(fy_document_root(extra), (struct yaml_pos){0, 0});
                        fy_parse_document_destroy(ld->fyp, extra);
                        return yaml_err(ld, at,
                                        "a profile is one YAML document; found a second one");
                }
        }
        if (first_fy_error(ld) != 0)
                return -1;
        if (ld->doc == NULL || yaml_is_empty(fy_document_root(ld->doc)))
                return yaml_err(ld, (struct yaml_pos){1, 1},
                                "empty: expected a mapping with name, atr, serial, files ...");
        return 0;
}
