/* SPDX-License-Identifier: MIT */
/*
 * The YAML profile loader against arbitrary text: it must load or refuse
 * with a positioned message, never crash; a profile it accepts must pass the
 * model's own consistency check and make a card that powers on and answers.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <scsim/scsim.h>

#include "profile/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
        scsim_profile_free(&p);
        return 0;
}
