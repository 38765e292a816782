/* SPDX-License-Identifier: MIT */
/* The outcome of one ISCardVerify call: a result line or JSON, and what a failure means. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

void cli_aid_arg(const struct cli *c, char *buf, size_t cap)
{
        size_t k;

        buf[0] = '\0';
        if (c->aid_len == 0 || cap < 8 + 2 * sizeof(c->aid))
                return;
        k = (size_t)snprintf(buf, cap, " --aid ");
        for (size_t i = 0; i < c->aid_len; i++)
                k += (size_t)snprintf(buf + k, cap - k, "%02X", c->aid[i]);
}

/* What a wrong code costs: the count left, and what comes next. */
static void explain_wrong(char *buf, size_t cap, uint8_t p2, int tries, const char *aid,
                          const char *what)
{
        char t[32];

        if (tries < 0)
                snprintf(buf, cap, "wrong %s", what);
        else if (tries == 0)
                snprintf(buf, cap,
                         "wrong %s, no try left: ref %02X is now blocked; `scsim unblock --ref "
                         "%02X%s` with its unblock code (PUK) sets a new PIN",
                         what, p2, p2, aid);
        else if (tries == 1)
                snprintf(buf, cap, "wrong %s, 1 try left: one more wrong one blocks ref %02X", what,
                         p2);
        else
                snprintf(buf, cap, "wrong %s, %s", what, cli_tries(tries, t, sizeof(t)));
}

/* A specific reference (b8 set) lives in its application or DF: 6A88 usually means "select it". */
static void explain_missing(char *buf, size_t cap, uint8_t p2, const char *aid)
{
        if ((p2 & 0x80) != 0 && aid[0] == '\0')
                snprintf(buf, cap,
                         "the card has no ref %02X where it is now: a local reference (b8 set) "
                         "lives in its application or DF, so select that first with --aid AID "
                         "(`scsim status --aid AID` lists its references)",
                         p2);
        else if ((p2 & 0x80) != 0)
                snprintf(buf, cap,
                         "the application selected with%s has no ref %02X: `scsim status%s` "
                         "lists the references it has",
                         aid, p2, aid);
        else
                snprintf(buf, cap,
                         "the card has no ref %02X: `scsim status` lists the references it has",
                         p2);
}

void cli_explain(char *buf, size_t cap, const char *verb, uint8_t p2, uint16_t sw, int tries,
                 const char *aid, const char *what)
{
        char t[40], n[32];

        if ((sw & 0xfff0) == 0x63c0 || sw == 0x6300) {
                explain_wrong(buf, cap, p2, sw == 0x6300 ? -1 : (int)(sw & 0x0f), aid, what);
        } else if (sw == 0x6983 && strcmp(verb, "unblock") == 0) {
                snprintf(buf, cap,
                         "the unblock code of ref %02X is blocked too (or ref %02X may not be "
                         "unblocked): nothing but resetting the card's state can help now",
                         p2, p2);
        } else if (sw == 0x6983) {
                snprintf(buf, cap,
                         "ref %02X is blocked: `scsim unblock --ref %02X%s` with its unblock code "
                         "(PUK) sets a new PIN",
                         p2, p2, aid);
        } else if (sw == 0x6a80) {
                if (tries >= 0)
                        snprintf(t, sizeof(t), " (%s)", cli_tries(tries, n, sizeof(n)));
                else if (tries == CLI_STILL_VERIFIED)
                        snprintf(t, sizeof(t), " (ref %02X stays verified)", p2);
                else
                        t[0] = '\0';
                snprintf(buf, cap,
                         "the card refused the %s's format, so nothing was compared and no try "
                         "was spent%s. The card's profile sets each code's rule: a length range "
                         "and its characters (digits, alnum or any bytes); `scsim profile show "
                         "PROFILE` prints them under chvs (length, format)",
                         what, t);
        } else if (sw == 0x6a88) {
                explain_missing(buf, cap, p2, aid);
        } else if (sw == 0x6982) {
                snprintf(buf, cap,
                         "security status not satisfied: the card wants a code or key verified "
                         "first (for change-code without the current code: verify ref %02X)",
                         p2);
        } else if (sw == 0x6984 || sw == 0x6985) {
                snprintf(buf, cap,
                         "the card's conditions of use forbid this for ref %02X (SW %04X), for "
                         "example disabling a code its profile does not let be disabled",
                         p2, sw);
        } else if (sw == 0x6a86 || sw == 0x6b00 || sw == 0x6d00) {
                snprintf(buf, cap, "the card does not support this command (SW %04X)", sw);
        } else {
                snprintf(buf, cap,
                         "the card answered SW %04X, which has no HRESULT of its own (ISO 7816-4 "
                         "says what it means)",
                         sw);
        }
}

/* Why a call failed that the card never answered. */
static void explain_pcsc(char *buf, size_t cap, scsim_hresult hr)
{
        if (hr == SCSIM_SCARD_W_REMOVED_CARD || hr == SCSIM_SCARD_E_NO_SMARTCARD)
                snprintf(buf, cap, "the card went away: insert it and try again");
        else if (hr == SCSIM_E_INVALIDARG)
                snprintf(buf, cap,
                         "the library refused the arguments: codes longer than one short APDU "
                         "holds (255 bytes together), or flags the method does not take");
        else
                snprintf(buf, cap,
                         "PC/SC failed during the command: check that pcscd still runs and the "
                         "card is in its reader");
}

/* Tries left of p2 by a VERIFY query (no try spent), CLI_STILL_VERIFIED, or -1. */
static int query_tries(struct cli *c, uint8_t p2)
{
        scsim_scv_verify(c->v, NULL, 0, (p2 & 0x80) ? SCSIM_FL_LOCAL : 0, p2 & 0x1f);
        if (scsim_scv_last_sw(c->v) == 0x9000)
                return CLI_STILL_VERIFIED;
        return scsim_scv_tries_left(c->v);
}

static void print_json(struct cli *c, uint8_t p2, uint16_t sw, scsim_hresult hr, int tries)
{
        struct json_object *o = cli_json_new(c->verb);

        cli_json_text(o, "reader", scsim_scv_reader(c->v));
        cli_json_ref(o, p2);
        if (c->allow & CLI_TOGGLE)
                cli_json_text(o, "mode",
                              (c->flags & SCSIM_FL_ENABLE)    ? "enable"
                              : (c->flags & SCSIM_FL_DISABLE) ? "disable"
                                                              : "change");
        if (c->allow & CLI_KEEP)
                cli_json_bool(o, "keep_code", (c->flags & SCSIM_FL_KEEP_CODE) != 0);
        cli_json_card(o, sw, hr, tries);
        cli_result(c, &o, hr == SCSIM_S_OK);
}

int cli_report(struct cli *c, const char *method, uint8_t p2, scsim_hresult hr, const char *what)
{
        const uint16_t sw = scsim_scv_last_sw(c->v);
        int tries = scsim_scv_tries_left(c->v);
        const int code = cli_exit_code(hr);
        char why[900], aid[48], t[32];

        /* a malformed code costs nothing: show what there still is */
        if (sw == 0x6a80)
                tries = query_tries(c, p2);
        if (code != EXIT_OK) {
                cli_aid_arg(c, aid, sizeof(aid));
                if (sw != 0)
                        cli_explain(why, sizeof(why), c->verb, p2, sw, tries, aid, what);
                else
                        explain_pcsc(why, sizeof(why), hr);
        }
        if (!c->json) {
                printf("%s ref %02X (%s): %s (0x%08X)", method, p2, cli_scope(p2),
                       scsim_hresult_name(hr), hr);
                if (sw != 0)
                        printf(", SW %04X", sw);
                if (tries >= 0)
                        printf(", %s", cli_tries(tries, t, sizeof(t)));
                printf("\n");
                fflush(stdout);
        }
        if (code != EXIT_OK)
                cli_fail(c, code, "%s", why);
        if (c->json)
                print_json(c, p2, sw, hr, tries);
        return code;
}
