/* SPDX-License-Identifier: MIT */
/*
 * Durable state cost: wrong-PIN VERIFYs per second with a state file
 * attached, against floors measured in the same run on the same directory:
 * (a) bare write + fsync + rename of a file of the same size, (b) the same
 * plus an fsync of the directory, which scsim also does so that the rename
 * itself is durable.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <scsim/scsim.h>

static double now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int transmit(scsim_card *card, const uint8_t *apdu, size_t len, uint8_t *sw1)
{
        uint8_t rsp[64];
        size_t rlen = 0;

        if (scsim_card_transmit(card, apdu, len, rsp, sizeof(rsp), &rlen) != SCSIM_OK || rlen < 2)
                return -1;
        *sw1 = rsp[rlen - 2];
        return 0;
}

/* Wrong VERIFYs only are timed; the right code that restores the counter is not. */
static double card_rate(scsim_card *card, size_t n)
{
        static const uint8_t wrong[] = {0x00, 0x20, 0x00, 0x01, 0x04, '9', '9', '9', '9'};
        static const uint8_t right[] = {0x00, 0x20, 0x00, 0x01, 0x04, '1', '2', '3', '4'};
        double spent = 0;
        uint8_t sw1;

        for (size_t i = 0; i < n; i++) {
                double t0 = now();
                if (transmit(card, wrong, sizeof(wrong), &sw1) != 0 || sw1 != 0x63)
                        return -1;
                spent += now() - t0;
                if (transmit(card, right, sizeof(right), &sw1) != 0 || sw1 != 0x90)
                        return -1;
        }
        return (double)n / spent;
}

static double floor_rate(const char *dir, size_t size, size_t n, int dir_fsync)
{
        char path[512], tmp[520];
        uint8_t *buf = calloc(1, size);
        int dfd = open(dir, O_RDONLY | O_DIRECTORY);
        double t0;

        if (buf == NULL || dfd < 0)
                return -1;
        snprintf(path, sizeof(path), "%s/floor.bin", dir);
        snprintf(tmp, sizeof(tmp), "%s/floor.bin.tmp", dir);
        t0 = now();
        for (size_t i = 0; i < n; i++) {
                int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
                buf[0] = (uint8_t)i;
                if (fd < 0 || write(fd, buf, size) != (ssize_t)size || fsync(fd) != 0)
                        return -1;
                close(fd);
                if (rename(tmp, path) != 0 || (dir_fsync && fsync(dfd) != 0))
                        return -1;
        }
        t0 = now() - t0;
        close(dfd);
        free(buf);
        return (double)n / t0;
}

int main(int argc, char **argv)
{
        size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 2000;
        char dir[] = "/tmp/scsim-bench-XXXXXX", path[64];
        scsim_profile *profile = NULL;
        scsim_card *card = NULL;
        scsim_diag diag;
        struct stat sb;
        double c = 0, fa = 0, fb = 0;
        int ok = 1;

        if (n == 0 || mkdtemp(dir) == NULL)
                return 1;
        snprintf(path, sizeof(path), "%s/card.state", dir);
        if (scsim_profile_default(&profile) != SCSIM_OK ||
            (card = scsim_card_new(profile)) == NULL ||
            scsim_card_attach_state(card, path, &diag) != SCSIM_OK ||
            scsim_card_power_on(card, NULL, NULL) != SCSIM_OK || stat(path, &sb) != 0) {
                fprintf(stderr, "state-commit: setup failed\n");
                goto fail;
        }
        /* interleave rounds so that disk weather hits all three alike; keep the best */
        for (int round = 0; round < 3; round++) {
                double r = card_rate(card, n);
                double a = floor_rate(dir, (size_t)sb.st_size, n, 0);
                double b = floor_rate(dir, (size_t)sb.st_size, n, 1);
                if (r < 0 || a < 0 || b < 0) {
                        fprintf(stderr, "state-commit: a round failed\n");
                        goto fail;
                }
                c = r > c ? r : c;
                fa = a > fa ? a : fa;
                fb = b > fb ? b : fb;
        }
        printf("state-commit: state file %lld bytes, %zu operations per round, best of 3\n",
               (long long)sb.st_size, n);
        printf("  scsim wrong-PIN VERIFY           %10.0f /s  %8.1f us\n", c, 1e6 / c);
        printf("  floor write+fsync+rename         %10.0f /s  %8.1f us\n", fa, 1e6 / fa);
        printf("  floor  ... + fsync(directory)    %10.0f /s  %8.1f us\n", fb, 1e6 / fb);
        printf("  ratio vs write+fsync+rename      %10.2f  (goal <= 1.30)\n", fa / c);
        printf("  ratio vs the same syscalls       %10.2f\n", fb / c);
        ok = 0;
fail:
        scsim_card_free(&card);
        scsim_profile_free(&profile);
        snprintf(path, sizeof(path), "rm -rf '%s'", dir);
        if (system(path) != 0)
                ok = 1;
        return ok;
}
