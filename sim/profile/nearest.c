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

/*
 * How near word is to what was typed, lower nearer; FAR when it is not a
 * likely typo of it. A likely typo is at most two edits and fewer than a
 * third of the word ("sizee", "serail"), or the start of the word cut or
 * ended differently ("retry" for "retries", "keep" for "keep_on_deselect").
 */
static unsigned score(const char *typed, size_t len, const char *word)
{
        size_t wlen = strlen(word), longer = wlen > len ? wlen : len, common = 0;
        unsigned d;

        if (wlen == len && memcmp(word, typed, len) == 0)
                return FAR; /* the word itself is no suggestion */
        d = distance(typed, len, word, wlen);
        if (d <= 2 && 3 * d <= longer)
                return d;
        while (common < len && common < wlen && lower(typed[common]) == lower(word[common]))
                common++;
        return common >= 4 && 3 * common >= 2 * len ? 3 : FAR;
}

void nearest_offer(struct nearest *n, const char *word)
{
        unsigned d = score(n->typed, n->len, word);

        if (d >= n->dist)
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
                unsigned d = score(typed, len, words[i]);
                if (d < best_dist) {
                        best = words[i];
                        best_dist = d;
                }
        }
        return best;
}
