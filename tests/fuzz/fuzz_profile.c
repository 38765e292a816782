/* SPDX-License-Identifier: MIT */
/*
 * The YAML profile loader against arbitrary text: it must load or refuse
 * with a positioned message, never crash; a profile it accepts must pass the
 * model's own consistency check, make a card that powers on and answers,
 * and print (with secrets) to YAML that loads back to the same card: the
 * second print is the first, byte for byte.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <scsim/scsim.h>

#include "profile/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The profile printed with its secrets, in a new buffer (*len bytes). */
static char *printed(const scsim_profile *p, size_t *len)
{
        char *buf = NULL;
        FILE *f = open_memstream(&buf, len);

        if (f == NULL || scsim_profile_print(p, f, SCSIM_PRINT_SECRETS) != SCSIM_OK ||
            fclose(f) != 0)
                abort();
        return buf;
}

static void round_trip(const scsim_profile *p)
{
        scsim_profile *again = NULL;
        scsim_diag diag;
        size_t len = 0, len2 = 0;
        char *text = printed(p, &len), *text2;

        if (scsim_profile_load_buffer("printed.yaml", text, len, &again, &diag) != SCSIM_OK) {
                char msg[1024];
                scsim_diag_format(&diag, msg, sizeof(msg));
                fprintf(stderr, "printed profile does not load: %s\n%s", msg, text);
                abort();
        }
        text2 = printed(again, &len2);
        if (len != len2 || memcmp(text, text2, len) != 0) {
                fprintf(stderr, "printed twice differs:\n%s\n----\n%s", text, text2);
                abort();
        }
        free(text);
        free(text2);
        scsim_profile_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const uint8_t select_mf[] = {0x00, 0xa4, 0x00, 0x0c};
        uint8_t rsp[SCSIM_RAPDU_MAX];
        scsim_profile *p = NULL;
        scsim_card *card;
        scsim_diag diag;
        char msg[256];
        size_t rlen = 0;

        if (scsim_profile_load_buffer("fuzz.yaml", (const char *)data, size, &p, &diag) !=
            SCSIM_OK) {
                if (p != NULL || diag.message[0] == '\0')
                        abort();
                return 0;
        }
        if (prof_check(p, msg, sizeof(msg)) != 0)
                abort();
        card = scsim_card_new(p);
        if (card == NULL || scsim_card_power_on(card, NULL, NULL) != SCSIM_OK ||
            scsim_card_transmit(card, select_mf, sizeof(select_mf), rsp, sizeof(rsp), &rlen) !=
                SCSIM_OK ||
            rlen != 2 || rsp[0] != 0x90)
                abort();
        scsim_card_free(&card);
        round_trip(p);
        scsim_profile_free(&p);
        return 0;
}
