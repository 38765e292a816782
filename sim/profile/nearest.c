/* SPDX-License-Identifier: MIT */
/* Edit distance (Damerau's optimal string alignment, case ignored) to suggest a known word. */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "profile/nearest.h"

#define FAR 1000u

static unsigned lower(char c)
{
        return (unsigned)tolower((unsigned char)c);
}

static unsigned min3(unsigned a, unsigned b, unsigned c)
{
        unsigned m = a < b ? a : b;

        return m < c ? m : c;
}

/* Insertions, deletions, replacements and swaps of neighbours turning a into b. */
static unsigned distance(const char *a, size_t na, const char *b, size_t nb)
{
        unsigned d[NEAREST_WORD_MAX + 1][NEAREST_WORD_MAX + 1];

        if (na > NEAREST_WORD_MAX || nb > NEAREST_WORD_MAX)
                return FAR;
        for (size_t i = 0; i <= na; i++)
                d[i][0] = (unsigned)i;
        for (size_t j = 0; j <= nb; j++)
                d[0][j] = (unsigned)j;
        for (size_t i = 1; i <= na; i++) {
                for (size_t j = 1; j <= nb; j++) {
                        unsigned cost = lower(a[i - 1]) != lower(b[j - 1]);
                        d[i][j] = min3(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
                        if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
                            lower(a[i - 2]) == lower(b[j - 1]) && d[i - 2][j - 2] + 1 < d[i][j])
                                d[i][j] = d[i - 2][j - 2] + 1;
                }
        }
        return d[na][nb];
}

void nearest_init(struct nearest *n, const char *typed, size_t len)
{
        n->typed = typed;
        n->len = len;
        n->dist = FAR;
        n->best[0] = '\0';
}

/* Whether word, d edits from typed, is near enough to be what was meant. */
static bool near_enough(unsigned d, size_t typed_len, size_t word_len)
{
        size_t longer = word_len > typed_len ? word_len : typed_len;

        /* at most two edits, and fewer than a third of the word: a typo, not another word */
        return d <= 2 && 3 * d <= longer;
}

void nearest_offer(struct nearest *n, const char *word)
{
        size_t wlen = strlen(word);
        unsigned d;

        if (wlen == n->len && memcmp(word, n->typed, wlen) == 0)
                return; /* the word itself is no suggestion */
        d = distance(n->typed, n->len, word, wlen);
        if (!near_enough(d, n->len, wlen) || d >= n->dist)
                return;
        n->dist = d;
        snprintf(n->best, sizeof(n->best), "%s", word);
}

const char *nearest_result(const struct nearest *n)
{
        return n->best[0] != '\0' ? n->best : NULL;
}

const char *nearest_of(const char *typed, size_t len, const char *const *words, size_t nwords)
{
        const char *best = NULL;
        unsigned best_dist = FAR;

        for (size_t i = 0; i < nwords; i++) {
                size_t wlen = strlen(words[i]);
                unsigned d;
                if (wlen == len && memcmp(words[i], typed, len) == 0)
                        continue;
                d = distance(typed, len, words[i], wlen);
                if (near_enough(d, len, wlen) && d < best_dist) {
                        best = words[i];
                        best_dist = d;
                }
        }
        return best;
}
