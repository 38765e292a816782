/* SPDX-License-Identifier: MIT */
/* Helpers for the state tests: a private directory, cards on a file, and the file read by its
 * layout. */
#ifndef SCSIM_TEST_STATE_HELPERS_H
#define SCSIM_TEST_STATE_HELPERS_H

#include <stddef.h>
#include <stdint.h>

#include <scsim/scsim.h>

/* A private directory (0700) and a state path two levels down in it. */
struct state_fx {
        char dir[64];
        char path[256];
        scsim_profile *profile; /* the default card's */
};

int state_fx_setup(void **state);
int state_fx_teardown(void **state);

/* A card of profile on path, attached and powered on; expect is what attaching must return. */
scsim_card *state_card(const scsim_profile *profile, const char *path, int expect);

/* Read or write a whole file; slurp returns its length (fails the test above cap). */
size_t slurp(const char *path, uint8_t *buf, size_t cap);
void spit(const char *path, const uint8_t *buf, size_t n);

/*
 * The layout docs/state.md gives, read here independently of the library:
 * the offset of the newest copy of a plain format 3 file whose digest
 * holds (-1: none), and its image copied into out (the image's length, 0:
 * none or larger than cap).
 */
long state_file_newest(const uint8_t *file, size_t len);
size_t state_file_image(const uint8_t *file, size_t len, uint8_t *out, size_t cap);

/* Recompute the SHA-256 that ends a format 1 or 2 image, after a deliberate change. */
void state_image_reseal(uint8_t *image, size_t len);

/* A fault hook (scsim_card_set_fault_hook) under which every write fails as an I/O error. */
int state_fail_every_write(void *ctx, enum scsim_state_stage stage);

#endif
