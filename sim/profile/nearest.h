/* SPDX-License-Identifier: MIT */
/* "Did you mean": the known word nearest to what was typed, when it is likely a typo of it. */
#ifndef SCSIM_PROFILE_NEAREST_H
#define SCSIM_PROFILE_NEAREST_H

#include <stdbool.h>
#include <stddef.h>

#define NEAREST_WORD_MAX 64 /* longer words are never suggested, nor matched */

struct nearest {
        const char *typed;
        size_t len;
        unsigned dist; /* of best */
        char best[NEAREST_WORD_MAX];
};

void nearest_init(struct nearest *n, const char *typed, size_t len);
/* Consider one known word; the first of equally near words is kept. */
void nearest_offer(struct nearest *n, const char *word);
/* The suggestion, or NULL when no word was near enough. */
const char *nearest_result(const struct nearest *n);
/* The nearest of a list (one of its pointers), or NULL. */
const char *nearest_of(const char *typed, size_t len, const char *const *words, size_t nwords);

#endif
