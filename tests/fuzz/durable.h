/* SPDX-License-Identifier: MIT */
/* A card's durable state as a value the fuzz targets take, compare and drop. */
#ifndef SCSIM_FUZZ_DURABLE_H
#define SCSIM_FUZZ_DURABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "card_internal.h"

/*
 * What a state file holds: every CHV (code, counter, limit, requirement),
 * every key counter, the EF contents and each application's record as its
 * save hook encodes it (keys, objects, its own passwords and counters).
 */
struct durable {
        struct chv_state chv[PROF_CHVS_MAX];
        uint8_t key_tries[PROF_KEYS_MAX];
        uint8_t *ef;
        size_t ef_len;
        uint8_t *app[PROF_APPS_MAX];
        size_t app_len[PROF_APPS_MAX];
};

/* Take the card's durable state; 0, or -1 when out of memory (call it with failures held). */
int durable_take(const struct scsim_card *card, struct durable *d);
void durable_drop(struct durable *d);
/* Equal, field by field; what differs first goes to stderr under the name what. */
bool durable_equal(const struct durable *a, const struct durable *b, const char *what);

#endif
