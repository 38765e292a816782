/* SPDX-License-Identifier: MIT */
/*
 * In-process card throughput: VERIFY(correct) + VERIFY(P1=FF) pairs on the
 * default card, against a floor that only decodes the same APDUs, both
 * measured in this run. Prints APDUs per second and the ratio.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <scsim/scsim.h>

#include "apdu.h"

static const uint8_t verify_ok[] = {0x00, 0x20, 0x00, 0x01, 0x04, '1', '2', '3', '4'};
static const uint8_t verify_reset[] = {0x00, 0x20, 0xff, 0x01};

static double now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static volatile size_t sink;

static double floor_rate(size_t pairs)
{
        struct apdu a;
        double t0 = now();

        for (size_t i = 0; i < pairs; i++) {
                apdu_decode(verify_ok, sizeof(verify_ok), &a);
                sink += a.nc;
                apdu_decode(verify_reset, sizeof(verify_reset), &a);
                sink += a.p1;
        }
        return (double)(2 * pairs) / (now() - t0);
}

static double card_rate(scsim_card *card, size_t pairs)
{
        static uint8_t rsp[SCSIM_RAPDU_MAX];
        size_t rlen = 0;
        double t0 = now();

        for (size_t i = 0; i < pairs; i++) {
                if (scsim_card_transmit(card, verify_ok, sizeof(verify_ok), rsp, sizeof(rsp),
                                        &rlen) != SCSIM_OK ||
                    rsp[0] != 0x90)
                        return -1;
                if (scsim_card_transmit(card, verify_reset, sizeof(verify_reset), rsp, sizeof(rsp),
                                        &rlen) != SCSIM_OK ||
                    rsp[0] != 0x90)
                        return -1;
        }
        return (double)(2 * pairs) / (now() - t0);
}

int main(int argc, char **argv)
{
        size_t pairs = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
        scsim_profile *profile = NULL;
        scsim_card *card = NULL;
        double best_card = 0, best_floor = 0;
        int ok = 1;

        if (pairs == 0 || scsim_profile_default(&profile) != SCSIM_OK ||
            (card = scsim_card_new(profile)) == NULL ||
            scsim_card_power_on(card, NULL, NULL) != SCSIM_OK) {
                fprintf(stderr, "card-throughput: cannot set up the default card\n");
                goto fail;
        }
        /* best of five rounds: the machine is shared, the best round is the least disturbed */
        for (int round = 0; round < 5; round++) {
                double f = floor_rate(pairs), c = card_rate(card, pairs);
                if (c < 0) {
                        fprintf(stderr, "card-throughput: the card did not answer 9000\n");
                        goto fail;
                }
                if (f > best_floor)
                        best_floor = f;
                if (c > best_card)
                        best_card = c;
        }
        printf("card-throughput: %zu VERIFY + VERIFY(P1=FF) pairs per round, best of 5\n", pairs);
        printf("  card  (decode+execute) %12.0f APDU/s  %8.1f ns/APDU\n", best_card,
               1e9 / best_card);
        printf("  floor (decode only)    %12.0f APDU/s  %8.1f ns/APDU\n", best_floor,
               1e9 / best_floor);
        printf("  ratio floor/card       %12.2f\n", best_floor / best_card);
        printf("  goal: >= 2000000 APDU/s on one core: %s\n", best_card >= 2e6 ? "met" : "NOT met");
        ok = 0;
fail:
        scsim_card_free(&card);
        scsim_profile_free(&profile);
        return ok;
}
