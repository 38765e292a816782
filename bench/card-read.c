/* SPDX-License-Identifier: MIT */
/*
 * In-process READ BINARY of 4 KB against memcpy of 4 KB into the same
 * caller's buffer, rounds alternating; prints the median of the per-round
 * ratios (a shared machine slows both sides of a round alike).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <scsim/scsim.h>

#define EF_SIZE 4096
#define ROUNDS  15

static const char profile_yaml[] = "name: bench-read\n"
                                   "historical_bytes: \"\"\n"
                                   "serial: \"01\"\n"
                                   "files:\n"
                                   "  big: {type: ef, fid: \"0101\", size: 4096, read: always, "
                                   "update: never}\n";
/* SELECT 0101 (no answer), then READ BINARY 4096 bytes (extended Le). */
static const uint8_t select_ef[] = {0x00, 0xa4, 0x02, 0x0c, 0x02, 0x01, 0x01};
static const uint8_t read_4k[] = {0x00, 0xb0, 0x00, 0x00, 0x00, 0x10, 0x00};

static double now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static volatile uint8_t sink;

/* ns per memcpy of 4 KB from a source the size of the EF into the caller's buffer. */
static double floor_ns(uint8_t *dst, const uint8_t *src, size_t n)
{
        double t0 = now();

        for (size_t i = 0; i < n; i++) {
                memcpy(dst, src, EF_SIZE);
                sink ^= dst[i % EF_SIZE];
        }
        return (now() - t0) * 1e9 / (double)n;
}

static double card_ns(scsim_card *card, uint8_t *rsp, size_t cap, size_t n)
{
        size_t rlen = 0;
        double t0 = now();

        for (size_t i = 0; i < n; i++) {
                if (scsim_card_transmit(card, read_4k, sizeof(read_4k), rsp, cap, &rlen) !=
                        SCSIM_OK ||
                    rlen != EF_SIZE + 2 || rsp[EF_SIZE] != 0x90)
                        return -1;
                sink ^= rsp[i % EF_SIZE];
        }
        return (now() - t0) * 1e9 / (double)n;
}

static int by_value(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
        size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 200000;
        scsim_profile *profile = NULL;
        scsim_card *card = NULL;
        scsim_diag diag;
        uint8_t *rsp = malloc(SCSIM_RAPDU_MAX), *src = calloc(1, EF_SIZE);
        double ratio[ROUNDS], card_best = 1e9, floor_best = 1e9;
        size_t rlen = 0;
        int ok = 1;

        if (n == 0 || rsp == NULL || src == NULL ||
            scsim_profile_load_buffer("bench-read", profile_yaml, sizeof(profile_yaml) - 1,
                                      &profile, &diag) != SCSIM_OK ||
            (card = scsim_card_new(profile)) == NULL ||
            scsim_card_power_on(card, NULL, NULL) != SCSIM_OK ||
            scsim_card_transmit(card, select_ef, sizeof(select_ef), rsp, SCSIM_RAPDU_MAX, &rlen) !=
                SCSIM_OK) {
                fprintf(stderr, "card-read: cannot set up the card\n");
                goto fail;
        }
        for (int r = 0; r < ROUNDS; r++) {
                double f = floor_ns(rsp, src, n), c = card_ns(card, rsp, SCSIM_RAPDU_MAX, n);
                if (c < 0) {
                        fprintf(stderr,
                                "card-read: READ BINARY did not answer 4096 bytes + 9000\n");
                        goto fail;
                }
                ratio[r] = c / f;
                card_best = c < card_best ? c : card_best;
                floor_best = f < floor_best ? f : floor_best;
        }
        qsort(ratio, ROUNDS, sizeof(ratio[0]), by_value);
        printf("card-read: READ BINARY of %d bytes in process, %zu per round, %d rounds\n", EF_SIZE,
               n, ROUNDS);
        printf("  card  (READ BINARY)   %8.1f ns best\n", card_best);
        printf("  floor (memcpy 4 KB)   %8.1f ns best\n", floor_best);
        printf("  ratio card/floor      %8.2f median (min %.2f, max %.2f)\n", ratio[ROUNDS / 2],
               ratio[0], ratio[ROUNDS - 1]);
        printf("  goal: <= 3x memcpy: %s\n", ratio[ROUNDS / 2] <= 3.0 ? "met" : "NOT met");
        ok = 0;
fail:
        scsim_card_free(&card);
        scsim_profile_free(&profile);
        free(rsp);
        free(src);
        return ok;
}
