/* SPDX-License-Identifier: MIT */
/* A program outside the project, built against an installed scsim: both libraries, a shipped
 * profile. */
#include <stdio.h>
#include <string.h>

#include <scsim/iscardverify.h>
#include <scsim/scsim.h>

/* SELECT the PIV application (NIST SP 800-73-4 AID, truncated as clients send it). */
static const unsigned char select_piv[] = {0x00, 0xA4, 0x04, 0x00, 0x09, 0xA0, 0x00, 0x00,
                                           0x03, 0x08, 0x00, 0x00, 0x10, 0x00, 0x00};

/* usage: consumer VERSION PROFILE_DIR; exit 0 when the installed scsim behaves as documented. */
int main(int argc, char **argv)
{
        scsim_profile *profile = NULL;
        scsim_card *card = NULL;
        scsim_diag diag;
        char msg[1024];
        const unsigned char *atr;
        size_t atr_len, rlen = 0;
        unsigned char rapdu[SCSIM_RAPDU_MAX];
        int ok = 1;

        if (argc != 3) {
                fprintf(stderr, "usage: consumer VERSION PROFILE_DIR\n");
                return 2;
        }
        if (strcmp(SCSIM_VERSION, argv[1]) != 0) {
                fprintf(stderr, "consumer: <scsim/scsim.h> says %s, want %s\n", SCSIM_VERSION,
                        argv[1]);
                goto fail;
        }
        if (strcmp(scsim_profile_install_dir(), argv[2]) != 0) {
                fprintf(stderr, "consumer: libscsim looks for profiles in %s, want %s\n",
                        scsim_profile_install_dir(), argv[2]);
                goto fail;
        }
        if (scsim_profile_open("piv", &profile, &diag) != SCSIM_OK) {
                scsim_diag_format(&diag, msg, sizeof(msg));
                fprintf(stderr, "consumer: profile piv: %s\n", msg);
                goto fail;
        }
        if ((card = scsim_card_new(profile)) == NULL ||
            scsim_card_power_on(card, &atr, &atr_len) != SCSIM_OK ||
            scsim_card_transmit(card, select_piv, sizeof(select_piv), rapdu, sizeof(rapdu),
                                &rlen) != SCSIM_OK) {
                fprintf(stderr, "consumer: the card did not answer SELECT\n");
                goto fail;
        }
        if (rlen < 2 || rapdu[rlen - 2] != 0x90 || rapdu[rlen - 1] != 0x00) {
                fprintf(stderr, "consumer: SELECT PIV did not answer 9000\n");
                goto fail;
        }
        if (strcmp(scsim_hresult_name(scsim_hresult_from_sw(0x63C2, 0)), "SCARD_W_WRONG_CHV") !=
            0) {
                fprintf(stderr, "consumer: 63C2 does not map to SCARD_W_WRONG_CHV\n");
                goto fail;
        }
        printf("consumer: scsim %s, profile piv from %s, SELECT 9000, 63C2 is %s\n", SCSIM_VERSION,
               scsim_profile_install_dir(), scsim_hresult_name(scsim_hresult_from_sw(0x63C2, 0)));
        ok = 0;
fail:
        scsim_card_free(&card);
        scsim_profile_free(&profile);
        return ok;
}
