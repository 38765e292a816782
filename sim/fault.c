/* SPDX-License-Identifier: MIT */
/* Injected faults: which APDUs they match, how many they have left, and the ones a card can do. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <scsim/control.h>
#include <scsim/err.h>
#include <scsim/state.h>

/* Enough for every fault a test sets on one card; more is a runaway loop. */
#define FAULTS_MAX 64u

struct fault_entry {
        scsim_fault f;
        unsigned id;
};

struct scsim_faults {
        struct fault_entry e[FAULTS_MAX];
        size_t n;
        unsigned next_id;
};

scsim_faults *scsim_faults_new(void)
{
        scsim_faults *fs = calloc(1, sizeof(*fs));

        if (fs != NULL)
                fs->next_id = 1;
        return fs;
}

void scsim_faults_free(scsim_faults **faults)
{
        if (faults == NULL || *faults == NULL)
                return;
        free(*faults);
        *faults = NULL;
}

static bool fault_valid(const scsim_fault *f)
{
        if (f->prefix_len > sizeof(f->prefix))
                return false;
        switch (f->kind) {
        case SCSIM_FAULT_SW:
        case SCSIM_FAULT_DELAY:
        case SCSIM_FAULT_MUTE:
        case SCSIM_FAULT_DROP:
        case SCSIM_FAULT_CORRUPT:
        case SCSIM_FAULT_TEAR:
                return true;
        }
        return false;
}

int scsim_faults_add(scsim_faults *faults, const scsim_fault *f, unsigned *id)
{
        if (faults == NULL || f == NULL || !fault_valid(f))
                return SCSIM_ERR_INVALID_ARGUMENT;
        if (faults->n == FAULTS_MAX)
                return SCSIM_ERR_NO_MEMORY;
        faults->e[faults->n].f = *f;
        faults->e[faults->n].id = faults->next_id++;
        if (id != NULL)
                *id = faults->e[faults->n].id;
        faults->n++;
        return SCSIM_OK;
}

static void remove_at(scsim_faults *faults, size_t i)
{
        memmove(&faults->e[i], &faults->e[i + 1], (faults->n - i - 1) * sizeof(faults->e[0]));
        faults->n--;
}

int scsim_faults_clear(scsim_faults *faults, unsigned id)
{
        if (faults == NULL)
                return SCSIM_ERR_INVALID_ARGUMENT;
        if (id == 0) {
                faults->n = 0;
                return SCSIM_OK;
        }
        for (size_t i = 0; i < faults->n; i++) {
                if (faults->e[i].id == id) {
                        remove_at(faults, i);
                        return SCSIM_OK;
                }
        }
        return SCSIM_ERR_INVALID_ARGUMENT;
}

size_t scsim_faults_count(const scsim_faults *faults)
{
        return faults != NULL ? faults->n : 0;
}

const scsim_fault *scsim_faults_at(const scsim_faults *faults, size_t i, unsigned *id)
{
        if (faults == NULL || i >= faults->n)
                return NULL;
        if (id != NULL)
                *id = faults->e[i].id;
        return &faults->e[i].f;
}

static bool fault_matches(const scsim_fault *f, const uint8_t *c, size_t len)
{
        if (f->match_ins && (len < 2 || c[1] != f->ins))
                return false;
        if (f->prefix_len > 0 && (len < f->prefix_len || memcmp(c, f->prefix, f->prefix_len) != 0))
                return false;
        return true;
}

/* The first fault that matches, or -1. */
static long find_fault(const scsim_faults *faults, const uint8_t *c, size_t len)
{
        for (size_t i = 0; faults != NULL && i < faults->n; i++)
                if (fault_matches(&faults->e[i].f, c, len))
                        return (long)i;
        return -1;
}

/* One more APDU that fault i applied to: the last of its count removes it. */
static void spend(scsim_faults *faults, size_t i)
{
        if (faults->e[i].f.count == 1)
                remove_at(faults, i);
        else if (faults->e[i].f.count > 1)
                faults->e[i].f.count--;
}

struct tear {
        bool after;
        unsigned writes; /* durable writes the command began */
};

/* Power goes at the first write: before it starts, or once it is done (no later one starts). */
static int tear_hook(void *ctx, enum scsim_state_stage stage)
{
        struct tear *t = ctx;

        if (stage != SCSIM_STATE_BEFORE_WRITE)
                return 0;
        t->writes++;
        return t->after && t->writes == 1 ? 0 : -1;
}

/* The command under a tear fault; *torn when it wrote (then its answer is gone, the card off). */
static int transmit_torn(scsim_card *card, const scsim_fault *f, const uint8_t *capdu, size_t len,
                         uint8_t *rapdu, size_t cap, size_t *rlen, bool *torn)
{
        struct tear t = {.after = f->after};
        int rc;

        if (scsim_card_set_fault_hook(card, tear_hook, &t) != SCSIM_OK)
                return SCSIM_ERR_INTERNAL;
        rc = scsim_card_transmit(card, capdu, len, rapdu, cap, rlen);
        (void)scsim_card_set_fault_hook(card, NULL, NULL);
        *torn = t.writes > 0;
        if (*torn) {
                OPENSSL_cleanse(rapdu, *rlen);
                *rlen = 0;
                scsim_card_power_off(card);
        }
        return rc;
}

static int answer_sw(uint16_t sw, uint8_t *rapdu, size_t cap, size_t *rlen)
{
        if (cap < 2)
                return SCSIM_ERR_BUFFER_TOO_SMALL;
        rapdu[0] = (uint8_t)(sw >> 8);
        rapdu[1] = (uint8_t)sw;
        *rlen = 2;
        return SCSIM_OK;
}

static int transmit_with(scsim_card *card, const scsim_fault *f, const uint8_t *capdu, size_t len,
                         uint8_t *rapdu, size_t cap, size_t *rlen, scsim_fault_action *action)
{
        int rc;

        action->answer = f->kind != SCSIM_FAULT_MUTE && f->kind != SCSIM_FAULT_DROP;
        if (!action->answer) {
                action->ms = f->ms;
                return SCSIM_OK; /* the card never sees it, as a command lost on the way */
        }
        if (f->kind == SCSIM_FAULT_SW && !f->after)
                return answer_sw(f->sw, rapdu, cap, rlen);
        rc = scsim_card_transmit(card, capdu, len, rapdu, cap, rlen);
        if (rc != SCSIM_OK)
                return rc;
        if (f->kind == SCSIM_FAULT_SW) {
                /* The card's answer may hold secrets: it is wiped, not only replaced. */
                OPENSSL_cleanse(rapdu, *rlen);
                return answer_sw(f->sw, rapdu, cap, rlen);
        }
        if (f->kind == SCSIM_FAULT_CORRUPT && *rlen > 0)
                rapdu[f->offset < *rlen ? f->offset : *rlen - 1] ^= 0xff;
        if (f->kind == SCSIM_FAULT_DELAY)
                action->ms = f->ms;
        return SCSIM_OK;
}

int scsim_faults_transmit(scsim_faults *faults, scsim_card *card, const uint8_t *capdu, size_t len,
                          uint8_t *rapdu, size_t cap, size_t *rlen, scsim_fault_action *action)
{
        long i;
        bool torn = false;
        int rc;

        if (card == NULL || capdu == NULL || rapdu == NULL || rlen == NULL || action == NULL)
                return SCSIM_ERR_INVALID_ARGUMENT;
        memset(action, 0, sizeof(*action));
        *rlen = 0;
        i = find_fault(faults, capdu, len);
        if (i < 0) {
                action->answer = true;
                return scsim_card_transmit(card, capdu, len, rapdu, cap, rlen);
        }
        const scsim_fault f = faults->e[i].f;
        unsigned id = faults->e[i].id;
        if (f.kind != SCSIM_FAULT_TEAR) {
                spend(faults, (size_t)i);
                action->id = id;
                action->kind = f.kind;
                return transmit_with(card, &f, capdu, len, rapdu, cap, rlen, action);
        }
        rc = transmit_torn(card, &f, capdu, len, rapdu, cap, rlen, &torn);
        action->answer = !torn;
        if (torn) {
                spend(faults, (size_t)i);
                action->id = id;
                action->kind = f.kind;
        }
        return rc;
}
