/* SPDX-License-Identifier: MIT */
/* Helpers for the state tests; the file layout is read as docs/state.md gives it. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "state_helpers.h"

#define PAGE      4096u
#define COPY_HEAD 12u

int state_fx_setup(void **state)
{
        struct state_fx *f = calloc(1, sizeof(*f));

        if (f == NULL)
                return -1;
        snprintf(f->dir, sizeof(f->dir), "/tmp/scsim-state-XXXXXX");
        if (mkdtemp(f->dir) == NULL)
                return -1;
        snprintf(f->path, sizeof(f->path), "%s/cards/card.state", f->dir);
        if (scsim_profile_default(&f->profile) != SCSIM_OK)
                return -1;
        *state = f;
        return 0;
}

int state_fx_teardown(void **state)
{
        struct state_fx *f = *state;
        char cmd[160];

        snprintf(cmd, sizeof(cmd), "chmod -R u+rwx '%s'; rm -rf '%s'", f->dir, f->dir);
        if (system(cmd) != 0)
                return -1;
        scsim_profile_free(&f->profile);
        free(f);
        return 0;
}

scsim_card *state_card(const scsim_profile *profile, const char *path, int expect)
{
        scsim_card *card = scsim_card_new(profile);
        scsim_diag diag;
        int rc;

        assert_non_null(card);
        memset(&diag, 0, sizeof(diag));
        rc = scsim_card_attach_state(card, path, &diag);
        if (rc != expect)
                fail_msg("attach %s: %d (%s: %s), expected %d", path, rc, diag.file, diag.message,
                         expect);
        assert_int_equal(scsim_card_power_on(card, NULL, NULL), SCSIM_OK);
        if (rc != SCSIM_OK)
                scsim_card_free(&card);
        return card;
}

size_t slurp(const char *path, uint8_t *buf, size_t cap)
{
        FILE *fp = fopen(path, "rb");
        size_t n;

        if (fp == NULL)
                fail_msg("cannot open %s", path);
        n = fread(buf, 1, cap, fp);
        assert_true(n < cap);
        fclose(fp);
        return n;
}

void spit(const char *path, const uint8_t *buf, size_t n)
{
        /* 0600, as a state file must be, however the file came to exist */
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

        if (fd < 0)
                fail_msg("cannot write %s", path);
        assert_int_equal(fchmod(fd, 0600), 0);
        assert_int_equal(write(fd, buf, n), (ssize_t)n);
        close(fd);
}

static unsigned long long be(const uint8_t *p, size_t n)
{
        unsigned long long v = 0;

        for (size_t i = 0; i < n; i++)
                v = v << 8 | p[i];
        return v;
}

long state_file_newest(const uint8_t *file, size_t len)
{
        unsigned long long best = 0;
        size_t copy;
        long at = -1;

        if (len < PAGE || memcmp(file, "SCSIMST\n", 8) != 0 || be(file + 8, 2) != 3 ||
            be(file + 10, 2) != 0)
                return -1;
        copy = (size_t)be(file + 12, 4);
        if (copy == 0 || len != PAGE + 2 * copy)
                return -1;
        for (size_t i = 0; i < 2; i++) {
                const uint8_t *c = file + PAGE + i * copy;
                size_t n = (size_t)be(c + 8, 4);
                uint8_t d[SHA256_DIGEST_LENGTH];
                if (n + COPY_HEAD + sizeof(d) > copy)
                        continue;
                SHA256(c, COPY_HEAD + n, d);
                if (CRYPTO_memcmp(d, c + COPY_HEAD + n, sizeof(d)) != 0)
                        continue;
                if (at < 0 || be(c, 8) > best) {
                        at = (long)(PAGE + i * copy);
                        best = be(c, 8);
                }
        }
        return at;
}

size_t state_file_image(const uint8_t *file, size_t len, uint8_t *out, size_t cap)
{
        long at = state_file_newest(file, len);
        size_t n;

        if (at < 0)
                return 0;
        n = (size_t)be(file + at + 8, 4);
        if (n > cap)
                return 0;
        memcpy(out, file + at + COPY_HEAD, n);
        return n;
}

void state_image_reseal(uint8_t *image, size_t len)
{
        SHA256(image, len - SHA256_DIGEST_LENGTH, image + len - SHA256_DIGEST_LENGTH);
}

int state_fail_every_write(void *ctx, enum scsim_state_stage stage)
{
        (void)ctx;
        (void)stage;
        return -1;
}
