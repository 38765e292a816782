/* SPDX-License-Identifier: MIT */
/* "Did you mean ...": the nearest known word to a mistyped verb, option or profile name. */
#include <ctype.h>
#include <string.h>

#include "cli.h"

#define WORD_MAX 64

static size_t lower(const char *s, char *out)
{
        size_t n = 0;

        for (; s[n] != '\0' && n < WORD_MAX; n++)
                out[n] = (char)tolower((unsigned char)s[n]);
        out[n] = '\0';
        return n;
}

/*
 * Edits between a and b, a swap of neighbours counting as one (optimal string
 * alignment): "verfy" and "statsu" are one slip each from what was meant.
 */
static size_t distance(const char *a, size_t na, const char *b, size_t nb)
{
        size_t d[WORD_MAX + 1][WORD_MAX + 1];

        for (size_t i = 0; i <= na; i++)
                d[i][0] = i;
        for (size_t j = 0; j <= nb; j++)
                d[0][j] = j;
        for (size_t i = 1; i <= na; i++) {
                for (size_t j = 1; j <= nb; j++) {
                        size_t cost = a[i - 1] != b[j - 1], best = d[i - 1][j - 1] + cost;
                        if (d[i - 1][j] + 1 < best)
                                best = d[i - 1][j] + 1;
                        if (d[i][j - 1] + 1 < best)
                                best = d[i][j - 1] + 1;
                        if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                            d[i - 2][j - 2] + 1 < best)
                                best = d[i - 2][j - 2] + 1;
                        d[i][j] = best;
                }
        }
        return d[na][nb];
}

const char *cli_nearest(const char *word, const char *const *cands, size_t n)
{
        char w[WORD_MAX + 1], c[WORD_MAX + 1];
        size_t nw = lower(word, w), best = SIZE_MAX, allowed, prefixed = 0;
        const char *pick = NULL, *prefix_pick = NULL;

        if (word[0] == '\0' || strlen(word) > WORD_MAX)
                return NULL;
        /* short words are too easy to match by accident */
        allowed = nw <= 2 ? 0 : nw <= 4 ? 1 : 2;
        for (size_t i = 0; i < n; i++) {
                size_t nc, d;
                if (strcmp(word, cands[i]) == 0 || strlen(cands[i]) > WORD_MAX)
                        continue;
                nc = lower(cands[i], c);
                d = distance(w, nw, c, nc);
                if (d <= allowed && d < best) {
                        best = d;
                        pick = cands[i];
                }
                if (nw >= 3 && nc > nw && strncmp(w, c, nw) == 0) {
                        prefixed++;
                        prefix_pick = cands[i];
                }
        }
        if (pick == NULL && prefixed == 1)
                pick = prefix_pick;
        return pick;
}
