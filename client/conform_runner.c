/* SPDX-License-Identifier: MIT */
/* Runs a suite: a check per row and object of the description, each from a warm reset, results
 * kept. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "conform_run.h"

const struct cf_suite *cf_suite_by_name(const char *name)
{
        const struct cf_suite *const all[] = {&cf_suite_iso7816, &cf_suite_piv, &cf_suite_openpgp};

        for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
                if (strcmp(all[i]->name, name) == 0)
                        return all[i];
        return NULL;
}

/* The historical bytes of an ATR (ISO/IEC 7816-3:2006 8.2): after T0 and the interface bytes. */
static size_t atr_hist(const uint8_t *atr, size_t len, const uint8_t **hist)
{
        size_t i = 2, k;
        uint8_t y;

        if (len < 2)
                return 0;
        k = atr[1] & 0x0f;
        y = atr[1];
        while (i <= len) {
                i += (size_t)((y >> 4 & 1) + (y >> 5 & 1) + (y >> 6 & 1));
                if ((y & 0x80) == 0 || i >= len)
                        break;
                y = atr[i++];
        }
        if (i + k > len)
                return 0;
        *hist = atr + i;
        return k;
}

/* Card capabilities (ISO/IEC 7816-4:2013 12.1.1.9) from the compact-TLV historical bytes. */
static void caps_from_hist(const uint8_t *h, size_t len, struct cf_caps *caps)
{
        size_t i = 1, end = len;

        memset(caps, 0, sizeof(*caps));
        caps->channels = 1;
        if (len == 0 || (h[0] != 0x00 && h[0] != 0x80))
                return;
        if (h[0] == 0x00) /* the status indicator takes the last three bytes */
                end = len >= 3 ? len - 3 : 0;
        while (i < end) {
                const uint8_t tag = h[i] >> 4, n = h[i] & 0x0f;
                if (i + 1 + n > end)
                        break;
                if (tag == 0x7 && n >= 3) {
                        const uint8_t t3 = h[i + 3];
                        caps->known = true;
                        caps->chaining = (t3 & 0x80) != 0;
                        caps->extended = (t3 & 0x40) != 0;
                        /* b5 b4: who assigns channel numbers; none means no channels at all */
                        if ((t3 & 0x18) != 0)
                                caps->channels = (t3 & 0x07) + 1u;
                } else if (tag == 0x7) {
                        caps->known = true;
                }
                i += 1 + n;
        }
}

static void read_atr(struct cf_run *r)
{
        const uint8_t *hist = NULL;
        size_t k;

        r->atr_len = 0;
        if (r->t->atr == NULL ||
            r->t->atr(r->t->ctx, r->atr, sizeof(r->atr), &r->atr_len) != SCSIM_S_OK)
                r->atr_len = 0;
        k = atr_hist(r->atr, r->atr_len, &hist);
        caps_from_hist(hist, k, &r->caps);
}

static size_t objects_of(const struct cf_card *c, enum cf_each each, int *obj, size_t cap)
{
        size_t n = 0;

        switch (each) {
        case CF_ONCE:
                obj[n++] = -1;
                break;
        case CF_EACH_CHV:
                for (size_t i = 0; i < c->nchvs && n < cap; i++)
                        if (c->chvs[i].verifiable)
                                obj[n++] = (int)i;
                break;
        case CF_EACH_EF:
                for (size_t i = 1; i < c->nfiles && n < cap; i++)
                        if (!c->files[i].is_df)
                                obj[n++] = (int)i;
                break;
        case CF_EACH_KEY:
                for (size_t i = 0; i < c->nkeys && n < cap; i++)
                        obj[n++] = (int)i;
                break;
        }
        return n;
}

static const char *object_name(const struct cf_card *c, enum cf_each each, int obj)
{
        switch (each) {
        case CF_EACH_CHV:
                return c->chvs[obj].name;
        case CF_EACH_EF:
                return c->files[obj].name;
        case CF_EACH_KEY:
                return c->keys[obj].name;
        case CF_ONCE:
                break;
        }
        return NULL;
}

/* How long a card that stopped answering has to come back. */
#define CF_REATTACH_MS 20000u

struct inst {
        const struct cf_check *check;
        int obj;
};

static int plan(const struct cf_options *o, struct inst **out, size_t *count)
{
        const struct cf_suite *s = o->suite;
        size_t n = 0, cap = 0;
        struct inst *v = NULL;
        int obj[CF_FILES_MAX];

        for (size_t i = 0; i < s->nchecks; i++) {
                size_t k = objects_of(o->card, s->checks[i].each, obj, CF_FILES_MAX);
                for (size_t j = 0; j < k; j++) {
                        if (n == cap) {
                                struct inst *nv = realloc(v, (cap = cap * 2 + 32) * sizeof(*v));
                                if (nv == NULL) {
                                        free(v);
                                        return -1;
                                }
                                v = nv;
                        }
                        v[n].check = &s->checks[i];
                        v[n++].obj = obj[j];
                }
        }
        *out = v;
        *count = n;
        return 0;
}

static double now_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A failed check keeps its last exchanges, oldest first, for its report. */
static void keep_log(struct cf_run *r, struct cf_result *res)
{
        const size_t n = r->nx < CF_LOG_MAX ? r->nx : CF_LOG_MAX;

        if (n == 0 || (res->log = calloc(n, sizeof(*res->log))) == NULL)
                return;
        for (size_t i = 0; i < n; i++)
                res->log[i] = r->ring[(r->nx - n + i) % CF_LOG_MAX];
        res->nlog = n;
        res->dropped = r->nx - n;
}

/*
 * A card that stops answering in a check (it went mute, or away) fails that
 * check; when it is back, connected anew, the run goes on with the next one.
 */
static void come_back(struct cf_run *r, struct cf_result *res)
{
        bool back = false;

        /*
         * The reader may still show the card that went away until its next
         * poll: connected to that, the first reset fails; wait again.
         */
        for (unsigned i = 0; i < 4 && !back && r->t->reattach != NULL; i++)
                back = r->t->reattach(r->t->ctx, CF_REATTACH_MS) == SCSIM_S_OK &&
                       r->t->ops->reconnect(r->t->ctx, 1) == SCSIM_S_OK;
        if (!back)
                return;
        res->verdict = CF_FAIL;
        snprintf(res->message, sizeof(res->message),
                 "the card stopped answering (%s); connected anew, it answered again",
                 r->failure_what);
        r->failure = SCSIM_S_OK;
        r->failure_what[0] = '\0';
}

static void run_one(struct cf_run *r, const struct inst *in, struct cf_result *res)
{
        const double t0 = now_s();
        const char *obj = object_name(r->card, in->check->each, in->obj);

        memset(res, 0, sizeof(*res));
        res->check = in->check;
        if (obj != NULL)
                snprintf(res->id, sizeof(res->id), "%s[%s]", in->check->id, obj);
        else
                snprintf(res->id, sizeof(res->id), "%s", in->check->id);
        r->cur = res;
        r->nx = 0;
        if ((in->check->flags & CF_DESTRUCTIVE) != 0 && !r->destructive) {
                res->verdict = cf_skip(r, "may block a code or change the card: runs with "
                                          "--destructive");
                return;
        }
        /* every check starts where a card starts: after a reset, nothing verified */
        res->verdict = cf_warm_reset(r) == 0 ? in->check->run(r, in->obj) : CF_ERROR;
        if (r->failure != SCSIM_S_OK) {
                res->verdict = CF_ERROR;
                snprintf(res->message, sizeof(res->message), "%s", r->failure_what);
        }
        if (res->verdict == CF_FAIL || res->verdict == CF_ERROR)
                keep_log(r, res);
        if (r->failure != SCSIM_S_OK)
                come_back(r, res);
        if (res->verdict == CF_PASS)
                res->message[0] = '\0';
        res->seconds = now_s() - t0;
        r->cur = NULL;
}

/*
 * After each check, every reference it touched has the description's code
 * presented again: a card that counted what it should not (a query, a
 * malformed code) gets its tries back at once, never only at the end.
 */
static void restore_touched(struct cf_run *r)
{
        struct cf_result scratch;

        memset(&scratch, 0, sizeof(scratch));
        r->cur = &scratch;
        for (size_t i = 0; i < r->card->nchvs && r->failure == SCSIM_S_OK; i++) {
                const struct cf_chv *c = &r->card->chvs[i];
                /* only a code the card took in this run: presenting it again costs nothing */
                if (!r->chv_touched[i] || !r->chv_good[i] || !c->verifiable || r->chv_bad[i])
                        continue;
                if (cf_warm_reset(r) == 0 && cf_select_home(r, 0, (int)i) == 0)
                        cf_verify(r, 0, (int)i, CF_CODE_RIGHT);
        }
        if (r->suite->restore != NULL && r->failure == SCSIM_S_OK)
                r->suite->restore(r);
        memset(r->chv_touched, 0, sizeof(r->chv_touched));
        memset(r->app_touched, 0, sizeof(r->app_touched));
        r->cur = NULL;
}

static void tally(struct cf_report *rep)
{
        for (size_t i = 0; i < rep->n; i++) {
                switch (rep->results[i].verdict) {
                case CF_PASS:
                        rep->passed++;
                        break;
                case CF_FAIL:
                        rep->failed++;
                        break;
                case CF_SKIP:
                        rep->skipped++;
                        break;
                case CF_ERROR:
                        rep->errors++;
                        break;
                }
        }
}

static void start_report(const struct cf_target *t, const struct cf_options *o,
                         struct cf_report *rep)
{
        const time_t now = time(NULL);
        struct tm tm;

        memset(rep, 0, sizeof(*rep));
        rep->suite = o->suite->name;
        rep->standard = o->suite->standard;
        snprintf(rep->reader, sizeof(rep->reader), "%s", t->reader != NULL ? t->reader : "");
        snprintf(rep->card, sizeof(rep->card), "%s", o->card->name);
        if (gmtime_r(&now, &tm) != NULL)
                strftime(rep->timestamp, sizeof(rep->timestamp), "%Y-%m-%dT%H:%M:%S", &tm);
}

int cf_run_suite(const struct cf_target *t, const struct cf_options *o, struct cf_report *rep)
{
        struct cf_run *r = calloc(1, sizeof(*r));
        struct inst *in = NULL;
        size_t n = 0;
        const double t0 = now_s();
        int rc = -1;

        start_report(t, o, rep);
        if (r == NULL || plan(o, &in, &n) != 0 ||
            (n > 0 && (rep->results = calloc(n, sizeof(*rep->results))) == NULL)) {
                snprintf(rep->environment, sizeof(rep->environment), "out of memory");
                goto out;
        }
        r->t = t;
        r->card = o->card;
        r->destructive = o->destructive;
        r->suite = o->suite;
        read_atr(r);
        if (o->planned != NULL)
                o->planned(n, o->progress_ctx);
        for (size_t i = 0; i < n && r->failure == SCSIM_S_OK; i++) {
                run_one(r, &in[i], &rep->results[rep->n]);
                restore_touched(r);
                rep->n++;
                if (o->progress != NULL)
                        o->progress(&rep->results[rep->n - 1], rep->n, n, o->progress_ctx);
        }
        if (r->failure == SCSIM_S_OK)
                cf_warm_reset(r);
        if (r->failure != SCSIM_S_OK) {
                snprintf(rep->environment, sizeof(rep->environment),
                         "the link to the card failed (%s); %zu of %zu checks ran", r->failure_what,
                         rep->n, n);
                goto out;
        }
        rc = 0;
out:
        tally(rep);
        rep->seconds = now_s() - t0;
        free(in);
        /* the command and answer buffers held codes */
        if (r != NULL)
                OPENSSL_cleanse(r, sizeof(*r));
        free(r);
        return rc;
}

void cf_report_free(struct cf_report *rep)
{
        for (size_t i = 0; i < rep->n; i++)
                free(rep->results[i].log);
        free(rep->results);
        memset(rep, 0, sizeof(*rep));
}
