/* SPDX-License-Identifier: MIT */
/*
 * The YAML profile loader against arbitrary text, with allocations failing:
 * it must load or refuse with a positioned message, never crash; a profile
 * it accepts must pass the model's own consistency check, make a card that
 * powers on and answers, and print (with secrets) to YAML that loads back
 * to the same card: the second print is the first, byte for byte. When an
 * allocation failed, a refusal says "memory" unless it is the refusal the
 * text gets anyway, and an acceptance is the profile the text makes
 * anyway: a failure never passes for a mistake in the file, nor drops part
 * of a profile. Input: 4 bytes of allocation-failure seed (fail_alloc.h;
 * 0: nothing fails), then the YAML text.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <scsim/scsim.h>

#include "fail_alloc.h"
#include "profile/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_at(int cond, int line, const char *what)
{
        if (!cond) {
                fprintf(stderr, "fuzz_profile.c:%d: invariant broken: %s\n", line, what);
                abort();
        }
}

/* Like assert, but in every build, and saying which invariant broke. */
#define check(cond) check_at((cond), __LINE__, #cond)

/*
 * The profile printed with its secrets, in a new buffer (*len bytes), or
 * NULL when an allocation failed while printing.
 */
static char *printed(const scsim_profile *p, size_t *len)
{
        unsigned long failed = fail_alloc_failed();
        char *buf = NULL;
        FILE *f = open_memstream(&buf, len);
        int rc;

        check(f != NULL);
        rc = scsim_profile_print(p, f, SCSIM_PRINT_SECRETS);
        check(fclose(f) == 0);
        if (rc != SCSIM_OK) {
                check(rc == SCSIM_ERR_NO_MEMORY && fail_alloc_failed() > failed);
                free(buf);
                return NULL;
        }
        return buf;
}

static void round_trip(const scsim_profile *p)
{
        scsim_profile *again = NULL;
        scsim_diag diag;
        size_t len = 0, len2 = 0;
        char *text, *text2;

        fail_alloc_hold(1);
        text = printed(p, &len);
        if (scsim_profile_load_buffer("printed.yaml", text, len, &again, &diag) != SCSIM_OK) {
                char msg[1024];
                scsim_diag_format(&diag, msg, sizeof(msg));
                fprintf(stderr, "printed profile does not load: %s\n%s", msg, text);
                abort();
        }
        fail_alloc_hold(0);
        /* printing again, allocations may fail: that only costs the comparison */
        if ((text2 = printed(again, &len2)) != NULL && (len != len2 || memcmp(text, text2, len))) {
                fprintf(stderr, "printed twice differs:\n%s\n----\n%s", text, text2);
                abort();
        }
        free(text);
        free(text2);
        scsim_profile_free(&again);
}

/* What the text loads to when nothing fails: 0 and the printed profile, or the refusal. */
static int load_anyway(const uint8_t *data, size_t size, char **text, size_t *len, scsim_diag *diag)
{
        scsim_profile *p = NULL;
        int rc;

        fail_alloc_hold(1);
        rc = scsim_profile_load_buffer("fuzz.yaml", (const char *)data, size, &p, diag);
        *text = rc == SCSIM_OK ? printed(p, len) : NULL;
        scsim_profile_free(&p);
        fail_alloc_hold(0);
        return rc;
}

/* After a load in which an allocation failed: the same outcome as without, or "memory". */
static void compare_with_anyway(const uint8_t *data, size_t size, const scsim_profile *p,
                                const scsim_diag *diag)
{
        scsim_diag want;
        char *text = NULL, *mine;
        size_t len = 0, len2 = 0;
        int rc = load_anyway(data, size, &text, &len, &want);

        if (p == NULL) {
                if (strstr(diag->message, "memory") == NULL &&
                    (rc == SCSIM_OK || strcmp(diag->message, want.message) != 0)) {
                        fprintf(stderr, "refused after an allocation failed: %s\nwithout: %s\n",
                                diag->message, rc == SCSIM_OK ? "accepted" : want.message);
                        abort();
                }
        } else {
                check(rc == SCSIM_OK);
                fail_alloc_hold(1);
                mine = printed(p, &len2);
                fail_alloc_hold(0);
                if (len != len2 || memcmp(text, mine, len) != 0) {
                        fprintf(stderr,
                                "an allocation failed and the profile changed:\n%s\n"
                                "----\n%s",
                                mine, text);
                        abort();
                }
                free(mine);
        }
        free(text);
}

static void run(const uint8_t *data, size_t size)
{
        static const uint8_t select_mf[] = {0x00, 0xa4, 0x00, 0x0c};
        uint8_t rsp[SCSIM_RAPDU_MAX];
        scsim_profile *p = NULL;
        scsim_card *card;
        scsim_diag diag;
        char msg[256];
        size_t rlen = 0;
        int rc;

        rc = scsim_profile_load_buffer("fuzz.yaml", (const char *)data, size, &p, &diag);
        if (rc != SCSIM_OK)
                check(p == NULL && diag.message[0] != '\0');
        if (fail_alloc_failed() > 0)
                compare_with_anyway(data, size, p, &diag);
        if (rc != SCSIM_OK)
                return;
        check(prof_check(p, msg, sizeof(msg)) == 0);
        card = scsim_card_new(p);
        check(card != NULL || fail_alloc_failed() > 0);
        if (card != NULL) {
                check(scsim_card_power_on(card, NULL, NULL) == SCSIM_OK &&
                      scsim_card_transmit(card, select_mf, sizeof(select_mf), rsp, sizeof(rsp),
                                          &rlen) == SCSIM_OK &&
                      rlen == 2 && rsp[0] == 0x90);
                scsim_card_free(&card);
        }
        round_trip(p);
        scsim_profile_free(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static int warm;
        uint32_t seed;

        if (!warm) {
                fail_alloc_warm_up();
                warm = 1;
        }
        seed = fail_alloc_seed(&data, &size);
        fail_alloc_start(seed);
        run(data, size);
        fail_alloc_stop();
        return 0;
}
