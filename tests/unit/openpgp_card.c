/* SPDX-License-Identifier: MIT */
/* OpenPGP card fixtures for the unit tests: cards from the shipped profile or YAML text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "card_steps.h"
#include "openpgp_card.h"

#define PROFILE SCSIM_SOURCE_DIR "/profiles/openpgp.yaml"

int opgp_open(struct opgp_fx *f, const char *yaml)
{
        scsim_diag diag;
        int rc;

        memset(f, 0, sizeof(*f));
        if (yaml != NULL)
                rc = scsim_profile_load_buffer("test.yaml", yaml, strlen(yaml), &f->p, &diag);
        else
                rc = scsim_profile_load_file(PROFILE, &f->p, &diag);
        if (rc != SCSIM_OK) {
                char msg[600];
                scsim_diag_format(&diag, msg, sizeof(msg));
                print_error("%s\n", msg);
                return -1;
        }
        if ((f->card = scsim_card_new(f->p)) == NULL ||
            scsim_card_power_on(f->card, NULL, NULL) != SCSIM_OK)
                return -1;
        run_steps(f->card, (const char *const[]){"00A4040006D27600012401 00 -> *9000", NULL});
        return 0;
}

void opgp_close(struct opgp_fx *f)
{
        scsim_card_free(&f->card);
        scsim_profile_free(&f->p);
}

const char *opgp_yaml(const char *openpgp_lines)
{
        static const char base[] = "name: test\n"
                                   "historical_bytes: \"00 31 F5 73 C0 01 E0 05 90 00\"\n"
                                   "serial: \"53 43 50 47 00 00 00 01\"\n"
                                   "files:\n"
                                   "  openpgp:\n"
                                   "    type: df\n"
                                   "    fid: \"7F20\"\n"
                                   "    aid: \"D2 76 00 01 24 01\"\n"
                                   "    application: openpgp\n"
                                   "openpgp:\n";
        static char buf[65536];

        assert_true(sizeof(base) + strlen(openpgp_lines) < sizeof(buf));
        snprintf(buf, sizeof(buf), "%s%s", base, openpgp_lines);
        return buf;
}

uint16_t opgp_send(scsim_card *card, const char *header, const uint8_t *data, size_t n,
                   bool extended, uint8_t *out, size_t *out_len)
{
        static uint8_t apdu[SCSIM_CAPDU_MAX];
        size_t len = hex_parse(header, apdu, 4);

        assert_int_equal(len, 4);
        extended = extended || n > 255;
        if (n > 0) {
                if (extended) {
                        apdu[len++] = 0x00;
                        apdu[len++] = (uint8_t)(n >> 8);
                }
                apdu[len++] = (uint8_t)n;
                memcpy(apdu + len, data, n);
                len += n;
        }
        if (extended) {
                if (n == 0)
                        apdu[len++] = 0x00;
                apdu[len++] = 0x00;
        }
        apdu[len++] = 0x00;
        return xmit_bytes(card, apdu, len, out, out_len);
}
