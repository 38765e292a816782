/* SPDX-License-Identifier: MIT */
/*
 * Durable state cost: VERIFYs with a state file attached against a floor
 * measured in the same run on the same directory: write + fsync + rename of
 * a file as large as the state image, the least a replace-the-file commit
 * costs. Also timed, to show what the two-copy store saves: pwrite +
 * fdatasync in place (the least a two-copy commit costs) and the whole
 * replace the store used to do (temporary, fdatasync, rename, fsync of the
 * directory). Rounds alternate all of them, so disk weather hits each
 * alike; a round's figure is the median of its operations' times, the
 * result the median of the rounds' figures and ratios. Two cards: the
 * default one, and PIV with four RSA-2048 keys, whose record a VERIFY must
 * not encode again.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <scsim/scsim.h>

#define ROUNDS 7

static double now(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
        qsort(v, n, sizeof(v[0]), cmp);
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int sw_of(scsim_card *card, const uint8_t *apdu, size_t len)
{
        uint8_t rsp[64];
        size_t rlen = 0;

        if (scsim_card_transmit(card, apdu, len, rsp, sizeof(rsp), &rlen) != SCSIM_OK || rlen < 2)
                return -1;
        return rsp[rlen - 2] << 8 | rsp[rlen - 1];
}

struct card_case {
        const char *name;
        scsim_card *card;
        uint8_t wrong[16], right[16];
        size_t len;
        size_t image; /* bytes of one copy's image */
};

/*
 * Seconds per wrong VERIFY, per right one after it, per right one with the
 * counter full: the median of each operation's time, which the disk's rare
 * long stalls do not move as they move a mean.
 */
static int time_card(struct card_case *k, size_t n, double *t, double *wrong, double *right,
                     double *full)
{
        double t0;

        for (size_t i = 0; i < n; i++) {
                t0 = now();
                if ((sw_of(k->card, k->wrong, k->len) & 0xfff0) != 0x63c0)
                        return -1;
                t[i] = now() - t0;
                t0 = now();
                if (sw_of(k->card, k->right, k->len) != 0x9000)
                        return -1;
                t[n + i] = now() - t0;
        }
        *wrong = median(t, n);
        *right = median(t + n, n);
        for (size_t i = 0; i < n; i++) {
                t0 = now();
                if (sw_of(k->card, k->right, k->len) != 0x9000)
                        return -1;
                t[i] = now() - t0;
        }
        *full = median(t, n);
        return 0;
}

enum floor_kind { FLOOR_REPLACE, FLOOR_IN_PLACE, FLOOR_REPLACE_DIRSYNC };

/* One write of buf, the way kind says; 0 or -1. */
static int write_once(int dfd, int fd, const char *path, const char *tmp, const uint8_t *buf,
                      size_t size, off_t at, enum floor_kind kind)
{
        int t;

        if (kind == FLOOR_IN_PLACE)
                return pwrite(fd, buf, size, at) == (ssize_t)size && fdatasync(fd) == 0 ? 0 : -1;
        if ((t = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
                return -1;
        if (write(t, buf, size) != (ssize_t)size ||
            (kind == FLOOR_REPLACE ? fsync(t) : fdatasync(t)) != 0) {
                close(t);
                return -1;
        }
        close(t);
        if (rename(tmp, path) != 0 || (kind == FLOOR_REPLACE_DIRSYNC && fsync(dfd) != 0))
                return -1;
        return 0;
}

/* The median seconds per write of size bytes, the way kind says; -1 on failure. */
static double time_floor(const char *dir, size_t size, size_t n, double *t, enum floor_kind kind)
{
        char path[512], tmp[520];
        size_t copy = (size + 4095) / 4096 * 4096;
        uint8_t *buf = calloc(1, size);
        int dfd = open(dir, O_RDONLY | O_DIRECTORY), fd = -1;
        double spent = -1;

        snprintf(path, sizeof(path), "%s/floor.bin", dir);
        snprintf(tmp, sizeof(tmp), "%s/floor.bin.tmp", dir);
        if (buf == NULL || dfd < 0)
                goto out;
        if (kind == FLOOR_IN_PLACE) {
                /* a header page and two copies, page-aligned, as the store lays them out */
                fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
                if (fd < 0 || ftruncate(fd, (off_t)(4096 + 2 * copy)) != 0 ||
                    pwrite(fd, buf, size, 4096) != (ssize_t)size ||
                    pwrite(fd, buf, size, (off_t)(4096 + copy)) != (ssize_t)size || fsync(fd) != 0)
                        goto out;
        }
        for (size_t i = 0; i < n; i++) {
                double t0 = now();
                buf[0] = (uint8_t)i;
                if (write_once(dfd, fd, path, tmp, buf, size, (off_t)(4096 + (i & 1) * copy),
                               kind) != 0)
                        goto out;
                t[i] = now() - t0;
        }
        spent = median(t, n);
out:
        if (fd >= 0)
                close(fd);
        if (dfd >= 0)
                close(dfd);
        unlink(path);
        free(buf);
        return spent;
}

static unsigned long be32(const uint8_t *b)
{
        return (unsigned long)b[0] << 24 | (unsigned long)b[1] << 16 | (unsigned long)b[2] << 8 |
               b[3];
}

/* The length of the newest copy's image in a plain format 3 file (docs/state.md). */
static size_t image_size(const char *path)
{
        uint8_t h[16], a[12], b[12];
        FILE *fp = fopen(path, "rb");
        int ok;

        if (fp == NULL)
                return 0;
        ok = fread(h, 1, sizeof(h), fp) == sizeof(h) && fseek(fp, 4096, SEEK_SET) == 0 &&
             fread(a, 1, sizeof(a), fp) == sizeof(a) &&
             fseek(fp, (long)(4096 + be32(h + 12)), SEEK_SET) == 0 &&
             fread(b, 1, sizeof(b), fp) == sizeof(b);
        fclose(fp);
        if (!ok)
                return 0;
        /* the newer copy: the low half of the write numbers tells them apart here */
        return be32(b + 4) > be32(a + 4) ? be32(b + 8) : be32(a + 8);
}

/* profiles/piv.yaml with keys in its four standard slots. */
static scsim_profile *piv_with_keys(void)
{
        static const char commented[] = "  # keys:\n";
        static const char keys[] = "  keys:\n"
                                   "    9a: {algorithm: rsa2048}\n"
                                   "    9c: {algorithm: rsa2048}\n"
                                   "    9d: {algorithm: rsa2048}\n"
                                   "    9e: {algorithm: rsa2048}\n";
        scsim_profile *p = NULL;
        char *text = NULL, *at, *out = NULL;
        FILE *fp = fopen(SCSIM_SOURCE_DIR "/profiles/piv.yaml", "rb");
        long len;

        if (fp == NULL || fseek(fp, 0, SEEK_END) != 0 || (len = ftell(fp)) < 0 ||
            fseek(fp, 0, SEEK_SET) != 0 || (text = calloc(1, (size_t)len + 1)) == NULL ||
            fread(text, 1, (size_t)len, fp) != (size_t)len)
                goto out;
        if ((at = strstr(text, commented)) == NULL ||
            (out = calloc(1, (size_t)len + sizeof(keys))) == NULL)
                goto out;
        memcpy(out, text, (size_t)(at - text));
        strcat(out, keys);
        /* the commented example lines after it are comments still */
        strcat(out, at + strlen(commented));
        if (scsim_profile_load_buffer("piv-keys.yaml", out, strlen(out), &p, NULL) != SCSIM_OK)
                p = NULL;
out:
        if (fp != NULL)
                fclose(fp);
        free(text);
        free(out);
        return p;
}

static int setup_case(struct card_case *k, const scsim_profile *p, const char *path)
{
        static const uint8_t sel[] = {0x00, 0xa4, 0x04, 0x0c, 0x09, 0xa0, 0x00,
                                      0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00};
        scsim_diag diag;

        if ((k->card = scsim_card_new(p)) == NULL ||
            scsim_card_attach_state(k->card, path, &diag) != SCSIM_OK ||
            scsim_card_power_on(k->card, NULL, NULL) != SCSIM_OK) {
                fprintf(stderr, "state-commit: %s: %s\n", k->name, diag.message);
                return -1;
        }
        if (strcmp(k->name, "piv") == 0 && sw_of(k->card, sel, sizeof(sel)) != 0x9000)
                return -1;
        k->image = image_size(path);
        return k->image > 0 ? 0 : -1;
}

/* Per-round ratios a / b, their median. */
static double ratio(const double *a, const double *b)
{
        double q[ROUNDS];

        for (int i = 0; i < ROUNDS; i++)
                q[i] = a[i] / b[i];
        return median(q, ROUNDS);
}

static void report(const struct card_case *k, double *w, double *r, double *full, double *fl,
                   double *ip, double *rd, size_t n)
{
        double q = ratio(w, fl), q2 = ratio(r, w), qf = ratio(full, w), qi = ratio(ip, fl),
               qd = ratio(rd, fl);
        double mw = median(w, ROUNDS), mr = median(r, ROUNDS), mf = median(full, ROUNDS);

        printf("state-commit: %s card, image %zu bytes, %zu of each a round, median of %d rounds\n",
               k->name, k->image, n, ROUNDS);
        printf("  wrong VERIFY                          %9.1f us\n", mw * 1e6);
        printf("  right VERIFY after a wrong one        %9.1f us\n", mr * 1e6);
        printf("  right VERIFY, counter full            %9.1f us\n", mf * 1e6);
        printf("  floor: write+fsync+rename             %9.1f us\n", median(fl, ROUNDS) * 1e6);
        printf("  in place: pwrite+fdatasync            %9.1f us\n", median(ip, ROUNDS) * 1e6);
        printf("  replace: tmp+fdatasync+rename+fsync(dir) %6.1f us\n", median(rd, ROUNDS) * 1e6);
        printf("  wrong VERIFY / floor                  %9.2f  (goal <= 1.10: %s)\n", q,
               q <= 1.10 ? "met" : "NOT met");
        printf("  right VERIFY / wrong VERIFY           %9.2f  (goal <= 1.10: %s)\n", q2,
               q2 <= 1.10 ? "met" : "NOT met");
        printf("  right VERIFY, counter full / wrong    %9.3f  (nothing written)\n", qf);
        printf("  in place / floor                      %9.2f\n", qi);
        printf("  replace with fsync(dir) / floor       %9.2f\n", qd);
}

static int bench(struct card_case *k, const char *dir, size_t n)
{
        double w[ROUNDS], r[ROUNDS], full[ROUNDS], fl[ROUNDS], ip[ROUNDS], rd[ROUNDS];
        double *t = calloc(2 * n, sizeof(double));
        int ok = -1;

        for (int i = 0; t != NULL && i < ROUNDS; i++) {
                if (time_card(k, n, t, &w[i], &r[i], &full[i]) != 0) {
                        fprintf(stderr, "state-commit: %s: a VERIFY failed\n", k->name);
                        goto out;
                }
                fl[i] = time_floor(dir, k->image, n, t, FLOOR_REPLACE);
                ip[i] = time_floor(dir, k->image, n, t, FLOOR_IN_PLACE);
                rd[i] = time_floor(dir, k->image, n, t, FLOOR_REPLACE_DIRSYNC);
                if (fl[i] <= 0 || ip[i] <= 0 || rd[i] <= 0) {
                        fprintf(stderr, "state-commit: a floor failed\n");
                        goto out;
                }
        }
        if (t != NULL) {
                report(k, w, r, full, fl, ip, rd, n);
                ok = 0;
        }
out:
        free(t);
        return ok;
}

int main(int argc, char **argv)
{
        size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 100;
        char dir[] = "/tmp/scsim-bench-XXXXXX", path[64], cmd[96];
        struct card_case def = {"default",
                                NULL,
                                {0x00, 0x20, 0x00, 0x01, 0x04, '9', '9', '9', '9'},
                                {0x00, 0x20, 0x00, 0x01, 0x04, '1', '2', '3', '4'},
                                9,
                                0};
        struct card_case piv = {
            "piv",
            NULL,
            {0x00, 0x20, 0x00, 0x80, 0x08, '9', '9', '9', '9', '9', '9', 0xff, 0xff},
            {0x00, 0x20, 0x00, 0x80, 0x08, '1', '2', '3', '4', '5', '6', 0xff, 0xff},
            13,
            0};
        scsim_profile *p = NULL, *pk = NULL;
        int ok = 1;

        if (n == 0 || mkdtemp(dir) == NULL)
                return 1;
        snprintf(path, sizeof(path), "%s/card.state", dir);
        if (scsim_profile_default(&p) != SCSIM_OK || setup_case(&def, p, path) != 0 ||
            bench(&def, dir, n) != 0)
                goto fail;
        snprintf(path, sizeof(path), "%s/piv.state", dir);
        if ((pk = piv_with_keys()) == NULL || setup_case(&piv, pk, path) != 0 ||
            bench(&piv, dir, n) != 0)
                goto fail;
        ok = 0;
fail:
        scsim_card_free(&def.card);
        scsim_card_free(&piv.card);
        scsim_profile_free(&p);
        scsim_profile_free(&pk);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
                ok = 1;
        return ok;
}
