/* SPDX-License-Identifier: MIT */
/*
 * scsim demo: an ISCardVerify session against the default card, every step
 * printed with its status word and HRESULT, through the COM-style interface.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

static const char usage[] =
    "usage: scsim demo [--reader NAME] [--json]\n"
    "Run an ISCardVerify session against the default card (profile iso7816-chv, in\n"
    "its initial state): status, a wrong PIN, the right PIN, read the protected\n"
    "file, ResetSecurityState, the read refused, block the PIN, Unblock with the\n"
    "PUK, ChangeCode, Verify with the new code, and put the PIN back. The codes are\n"
    "the default card's published test values.\n"
    "  --reader NAME  reader to use (default $SCSIM_READER, else the first with a card)\n"
    "  --json         one JSON object on stdout\n"
    "Exit: 0 when every step gave the expected result, 1 when one did not, 3 no\n"
    "reader or PC/SC failure.\n";

#define ANY_SW 0xffffu

/* The default card's test codes (sim/profile_default.c), not anybody's secrets. */
static const uint8_t pin[] = "1234", wrong[] = "9999", puk[] = "12345678", new_pin[] = "2468";
#define LEN(a) (sizeof(a) - 1)

struct demo {
        scsim_iscardverify *cv;
        scsim_scv *v;
        int json;
        int n;
        int code; /* exit code so far */
};

/* Print a step; returns 0 when it gave what was expected. */
static int step(struct demo *d, const char *op, scsim_hresult hr, uint16_t want_sw,
                scsim_hresult want_hr, const char *extra)
{
        const uint16_t sw = scsim_scv_last_sw(d->v);
        const int tries = scsim_scv_tries_left(d->v);
        const int ok = hr == want_hr && (want_sw == ANY_SW || sw == want_sw);
        char swtxt[8];

        d->n++;
        if (sw != 0)
                snprintf(swtxt, sizeof(swtxt), "%04X", sw);
        else
                snprintf(swtxt, sizeof(swtxt), "-");
        if (d->json) {
                printf("%s{\"step\":%d,\"operation\":", d->n > 1 ? "," : "", d->n);
                cli_json_str(op);
                printf(",\"sw\":\"%s\",\"hresult\":\"%s\",\"hresult_value\":\"0x%08X\","
                       "\"expected_hresult\":\"%s\",\"tries_left\":",
                       swtxt, scsim_hresult_name(hr), hr, scsim_hresult_name(want_hr));
                if (tries >= 0)
                        printf("%d", tries);
                else
                        printf("null");
                printf(",\"ok\":%s}", ok ? "true" : "false");
        } else {
                printf("%2d  %-48s %-4s  %-30s 0x%08X  %s", d->n, op, swtxt, scsim_hresult_name(hr),
                       hr, ok ? "ok" : "UNEXPECTED");
                if (tries >= 0)
                        printf(" (%d tries left)", tries);
                if (extra != NULL && extra[0] != '\0')
                        printf("  %s", extra);
                printf("\n");
                if (!ok)
                        printf("    expected %s%s%04X\n", scsim_hresult_name(want_hr),
                               want_sw == ANY_SW ? "" : " with SW ",
                               want_sw == ANY_SW ? 0u : want_sw);
        }
        if (!ok)
                d->code = cli_exit_code(hr) == EXIT_RUNTIME ? EXIT_RUNTIME : EXIT_FAILED;
        return ok ? 0 : -1;
}

/*
 * SELECT EF 0102 by its path from the MF (another client may have left an
 * application selected), then READ BINARY; the data goes to text.
 */
static int read_secret(struct demo *d, scsim_hresult want, uint16_t want_sw, char *text, size_t cap)
{
        static const uint8_t sel[] = {0x00, 0xa4, 0x08, 0x0c, 0x02, 0x01, 0x02};
        static const uint8_t rb[] = {0x00, 0xb0, 0x00, 0x00, 0x00};
        uint8_t buf[256];
        size_t n = 0, k = 0;
        uint16_t sw;
        scsim_hresult hr;

        text[0] = '\0';
        hr = scsim_scv_transmit(d->v, sel, sizeof(sel), buf, sizeof(buf), &n, &sw);
        if (step(d, "SELECT EF 0102 by path (protected by ref 01)", hr, 0x9000, SCSIM_S_OK, "") !=
            0)
                return -1;
        hr = scsim_scv_transmit(d->v, rb, sizeof(rb), buf, sizeof(buf), &n, &sw);
        for (size_t i = 0; hr == SCSIM_S_OK && i < n && k + 1 < cap; i++)
                if (buf[i] >= 0x20 && buf[i] < 0x7f)
                        text[k++] = (char)buf[i];
        text[k] = '\0';
        return step(d, "READ BINARY EF 0102", hr, want_sw, want, text);
}

static const char *method_name(int m)
{
        /* the SW shown for ResetSecurityState is the checking query's answer */
        return m == 1   ? "by VERIFY P1=FF, checked by a query"
               : m == 2 ? "by warm reset, checked by a query"
                        : "";
}

static int session(struct demo *d)
{
        const struct scsim_iscardverify_vtbl *cv = d->cv->lpVtbl;
        const int32_t G = (int32_t)SCSIM_FL_GLOBAL;
        uint8_t data[LEN(puk) + LEN(pin)];
        char text[128];
        scsim_hresult hr;
        int r;

        hr = cv->Verify(d->cv, NULL, 0, G, 1);
        if (step(d, "Verify ref 01, no code (status)", hr, 0x63c3,
                 SCSIM_SCARD_W_CARD_NOT_AUTHENTICATED, "") != 0) {
                if (!d->json)
                        printf("    the demo expects the default card in its initial state\n");
                return -1;
        }
        hr = cv->Verify(d->cv, wrong, LEN(wrong), G, 1);
        if (step(d, "Verify ref 01, wrong PIN", hr, 0x63c2, SCSIM_SCARD_W_WRONG_CHV, "") != 0)
                return -1;
        hr = cv->Verify(d->cv, pin, LEN(pin), G, 1);
        if (step(d, "Verify ref 01, right PIN", hr, 0x9000, SCSIM_S_OK, "") != 0)
                return -1;
        if (read_secret(d, SCSIM_S_OK, 0x9000, text, sizeof(text)) != 0)
                return -1;
        hr = cv->ResetSecurityState(d->cv);
        if (step(d, "ResetSecurityState", hr, ANY_SW, SCSIM_S_OK,
                 method_name(scsim_scv_last_reset_method(d->v))) != 0)
                return -1;
        if (read_secret(d, SCSIM_SCARD_W_SECURITY_VIOLATION, 0x6982, text, sizeof(text)) != 0)
                return -1;
        for (unsigned left = 3; left-- > 0;) {
                hr = cv->Verify(d->cv, wrong, LEN(wrong), G, 1);
                r = step(d, "Verify ref 01, wrong PIN (blocking it)", hr, (uint16_t)(0x63c0 | left),
                         SCSIM_SCARD_W_WRONG_CHV, "");
                if (r != 0)
                        return -1;
        }
        hr = cv->Verify(d->cv, pin, LEN(pin), G, 1);
        if (step(d, "Verify ref 01, right PIN while blocked", hr, 0x6983, SCSIM_SCARD_W_CHV_BLOCKED,
                 "") != 0)
                return -1;
        memcpy(data, puk, LEN(puk));
        memcpy(data + LEN(puk), pin, LEN(pin));
        hr = cv->Unblock(d->cv, data, sizeof(data), G, 1);
        memset(data, 0, sizeof(data));
        if (step(d, "Unblock ref 01 with the PUK, setting the first PIN again", hr, 0x9000,
                 SCSIM_S_OK, "") != 0)
                return -1;
        hr = cv->Verify(d->cv, NULL, 0, G, 1);
        if (step(d, "Verify ref 01, no code (unblocked, not verified)", hr, 0x63c3,
                 SCSIM_SCARD_W_CARD_NOT_AUTHENTICATED, "") != 0)
                return -1;
        hr = cv->ChangeCode(d->cv, pin, LEN(pin), new_pin, LEN(new_pin), G, 1);
        if (step(d, "ChangeCode ref 01 to a second PIN", hr, 0x9000, SCSIM_S_OK, "") != 0)
                return -1;
        hr = cv->Verify(d->cv, new_pin, LEN(new_pin), G, 1);
        if (step(d, "Verify ref 01, the new code", hr, 0x9000, SCSIM_S_OK, "") != 0)
                return -1;
        /* leave the card as we found it, so the demo can run again */
        hr = cv->ChangeCode(d->cv, new_pin, LEN(new_pin), pin, LEN(pin), G, 1);
        if (step(d, "ChangeCode ref 01 back to the first PIN", hr, 0x9000, SCSIM_S_OK, "") != 0)
                return -1;
        hr = cv->ResetSecurityState(d->cv);
        return step(d, "ResetSecurityState", hr, ANY_SW, SCSIM_S_OK,
                    method_name(scsim_scv_last_reset_method(d->v)));
}

static int demo_run(int argc, char **argv)
{
        struct demo d;
        struct cli c;
        scsim_hresult hr;
        int code;

        if (cli_parse(&c, argc, argv, 0, usage, &code) != 0)
                return code;
        memset(&d, 0, sizeof(d));
        d.json = c.json;
        hr = scsim_create_chv_verification(c.reader, &d.cv);
        if (hr != SCSIM_S_OK) {
                fprintf(stderr, "scsim demo: cannot attach to a reader: %s (0x%08X)\n",
                        scsim_hresult_name(hr), hr);
                if (d.json)
                        printf("{\"operation\":\"demo\",\"hresult\":\"%s\",\"hresult_value\":"
                               "\"0x%08X\",\"ok\":false}\n",
                               scsim_hresult_name(hr), hr);
                return EXIT_RUNTIME;
        }
        d.v = scsim_scv_from_iscardverify(d.cv);
        if (d.json) {
                printf("{\"operation\":\"demo\",\"reader\":");
                cli_json_str(scsim_scv_reader(d.v));
                printf(",\"steps\":[");
        } else {
                printf("ISCardVerify session on reader '%s'\n", scsim_scv_reader(d.v));
                printf("%2s  %-48s %-4s  %-30s %-10s  %s\n", "#", "operation", "SW", "HRESULT",
                       "value", "result");
        }
        session(&d);
        if (d.json)
                printf("],\"ok\":%s}\n", d.code == EXIT_OK ? "true" : "false");
        else if (d.code == EXIT_OK)
                printf("demo: all %d steps gave the expected result\n", d.n);
        else
                printf("demo: stopped at step %d, which did not give the expected result\n", d.n);
        d.cv->lpVtbl->Release(d.cv);
        return d.code;
}

const struct verb verb_demo = {"demo", "an ISCardVerify session against the default card",
                               demo_run};
