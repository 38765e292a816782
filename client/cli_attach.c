/* SPDX-License-Identifier: MIT */
/* Attaching a verb to its reader, and what to tell a user when there is none to attach to. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

/* "0 'Virtual PCD 00 00' (card), 1 '...' (no card)" for the readers in idx (all when NULL). */
static void list_text(const struct cli_readers *r, const size_t *idx, size_t n, char *buf,
                      size_t cap)
{
        size_t k = 0;

        buf[0] = '\0';
        for (size_t j = 0; j < n && k < cap; j++) {
                size_t i = idx != NULL ? idx[j] : j;
                int w = snprintf(buf + k, cap - k, "%s%zu '%s' (%s)", j > 0 ? ", " : "", i,
                                 r->name[i], r->card[i] ? "card" : "no card");
                if (w < 0)
                        break;
                k += (size_t)w;
        }
        if (r->more && k < cap)
                snprintf(buf + k, cap - k, ", ...");
}

/* The readers as a sentence's tail, or why they cannot be listed. */
static void readers_text(char *buf, size_t cap)
{
        struct cli_readers r;
        char list[700];

        if (cli_readers_list(&r) != SCSIM_S_OK || r.n == 0) {
                snprintf(buf, cap, "pcscd lists no reader");
                return;
        }
        list_text(&r, NULL, r.n, list, sizeof(list));
        snprintf(buf, cap, "readers: %s", list);
}

/* Why attaching failed, in words that say what to do; returns the exit code. */
static int attach_failed(struct cli *c, const char *reader, const char *from, scsim_hresult hr)
{
        const char *sock = getenv("PCSCLITE_CSOCK_NAME");
        char readers[800];

        switch (hr) {
        case CLI_SCARD_E_NO_SERVICE:
        case CLI_SCARD_E_SERVICE_STOPPED:
                return cli_fail(
                    c, EXIT_RUNTIME,
                    "no PC/SC service: pcscd is not running%s%s%s (%s 0x%08X). To use a "
                    "simulated card, run the verb under a private pcscd: `scsim run -- scsim %s "
                    "...`; for real readers, start pcscd (`systemctl start pcscd`)",
                    sock != NULL ? " at PCSCLITE_CSOCK_NAME=" : "", sock != NULL ? sock : "",
                    sock != NULL ? " (has the `scsim run --start` session ended?)" : "",
                    scsim_hresult_name(hr), hr, c->verb);
        case SCSIM_SCARD_E_NO_READERS_AVAILABLE:
                return cli_fail(c, EXIT_RUNTIME,
                                "pcscd runs but has no reader (%s 0x%08X): plug one in, or use a "
                                "simulated card: `scsim run -- scsim %s ...`",
                                scsim_hresult_name(hr), hr, c->verb);
        case SCSIM_SCARD_E_NO_SMARTCARD:
                readers_text(readers, sizeof(readers));
                if (reader == NULL)
                        return cli_fail(c, EXIT_RUNTIME,
                                        "no reader holds a card (%s 0x%08X): insert one, or name "
                                        "a reader with -r; %s",
                                        scsim_hresult_name(hr), hr, readers);
                return cli_fail(c, EXIT_RUNTIME, "reader '%s' holds no card (%s 0x%08X); %s",
                                reader, scsim_hresult_name(hr), hr, readers);
        case CLI_SCARD_E_UNKNOWN_READER:
                readers_text(readers, sizeof(readers));
                return cli_fail(c, EXIT_RUNTIME,
                                "pcscd has no reader named '%s'%s (%s 0x%08X): name one with -r "
                                "(an index, a name or part of one); %s",
                                reader != NULL ? reader : "", from, scsim_hresult_name(hr), hr,
                                readers);
        default:
                if (reader == NULL)
                        return cli_fail(
                            c, cli_exit_code(hr) == EXIT_USAGE ? EXIT_USAGE : EXIT_RUNTIME,
                            "cannot attach to a reader: %s (0x%08X)", scsim_hresult_name(hr), hr);
                return cli_fail(c, cli_exit_code(hr) == EXIT_USAGE ? EXIT_USAGE : EXIT_RUNTIME,
                                "cannot attach to reader '%s': %s (0x%08X)", reader,
                                scsim_hresult_name(hr), hr);
        }
}

/* The reader -r names, into name; 0 or the exit code after saying why. */
static int resolve(struct cli *c, char *name, size_t cap, scsim_hresult *hr)
{
        struct cli_readers r;
        size_t idx[CLI_READERS_MAX], n;
        char list[800];

        if ((*hr = cli_readers_list(&r)) != SCSIM_S_OK)
                return attach_failed(c, c->reader, "", *hr);
        *hr = CLI_SCARD_E_UNKNOWN_READER;
        n = cli_readers_match(&r, c->reader, idx, CLI_READERS_MAX);
        if (n == 0) {
                list_text(&r, NULL, r.n, list, sizeof(list));
                return cli_fail(c, EXIT_RUNTIME,
                                "no reader matches -r '%s' (SCARD_E_UNKNOWN_READER 0x%08X): -r "
                                "takes an index, a reader's name or part of one; readers: %s",
                                c->reader, CLI_SCARD_E_UNKNOWN_READER, list);
        }
        if (n > 1) {
                list_text(&r, idx, n < CLI_READERS_MAX ? n : CLI_READERS_MAX, list, sizeof(list));
                return cli_fail(c, EXIT_USAGE,
                                "-r '%s' matches %zu readers: %s; give more of the name, or an "
                                "index",
                                c->reader, n, list);
        }
        snprintf(name, cap, "%s", r.name[idx[0]]);
        *hr = SCSIM_S_OK;
        return EXIT_OK;
}

/* A failure before any card result, as the JSON result of the verb. */
static int json_failure(struct cli *c, int code, scsim_hresult hr)
{
        struct json_object *o;

        if (!c->json)
                return code;
        o = cli_json_new(c->verb);
        cli_json_text(o, "reader", c->v != NULL ? scsim_scv_reader(c->v) : NULL);
        cli_json_card(o, c->v != NULL ? scsim_scv_last_sw(c->v) : 0, hr, -1);
        cli_result(c, &o, 0);
        return code;
}

static int select_aid(struct cli *c)
{
        uint8_t apdu[5 + 16], resp[256];
        size_t rlen;
        uint16_t sw = 0;
        scsim_hresult hr;

        /* SELECT by DF name, no answer wanted: case 3 */
        apdu[0] = 0x00;
        apdu[1] = 0xa4;
        apdu[2] = 0x04;
        apdu[3] = 0x0c;
        apdu[4] = (uint8_t)c->aid_len;
        memcpy(apdu + 5, c->aid, c->aid_len);
        hr = scsim_scv_transmit(c->v, apdu, 5 + c->aid_len, resp, sizeof(resp), &rlen, &sw);
        cli_say(c, "SELECT the --aid application: SW %04X", sw);
        if (hr == SCSIM_S_OK)
                return EXIT_OK;
        if (sw == 0x6a82)
                return json_failure(c,
                                    cli_fail(c, EXIT_FAILED,
                                             "the card has no application with that --aid (SW "
                                             "6A82): check the AID against the card's profile"),
                                    hr);
        return json_failure(c,
                            cli_fail(c, cli_exit_code(hr),
                                     "SELECT of --aid failed: SW %04X, %s (0x%08X)", sw,
                                     scsim_hresult_name(hr), hr),
                            hr);
}

int cli_attach(struct cli *c)
{
        char name[128];
        const char *reader = NULL, *from = "";
        scsim_hresult hr;
        int code;

        if (c->reader != NULL) {
                if ((code = resolve(c, name, sizeof(name), &hr)) != EXIT_OK)
                        return json_failure(c, code, hr);
                reader = name;
                from = " (from -r)";
        } else if (getenv("SCSIM_READER") != NULL && getenv("SCSIM_READER")[0] != '\0') {
                reader = getenv("SCSIM_READER");
                from = " (from $SCSIM_READER)";
        }
        hr = scsim_scv_attach(reader, &c->v);
        if (hr != SCSIM_S_OK)
                return json_failure(c, attach_failed(c, reader, from, hr), hr);
        cli_say(c, "reader '%s'%s", scsim_scv_reader(c->v),
                reader != NULL ? from : " (the first that holds a card)");
        return c->aid_len > 0 ? select_aid(c) : EXIT_OK;
}
