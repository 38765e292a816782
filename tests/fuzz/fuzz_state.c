/* SPDX-License-Identifier: MIT */
/*
 * The state loader against arbitrary bytes, on every shipped profile
 * (every .yaml in profiles/, in name order). Input: a control byte, then the file.
 * Control bits 0-3 pick the profile (modulo their number); bit 4 reseals
 * the image's SHA-256 so the record parser is reached; bit 5 stores the
 * image in a two-copy file (format 3) through the library's own writer, so
 * both ways in are fuzzed. Checks: a refused file leaves the card as a new
 * card is, with a message; an accepted one holds counters within their
 * limits and codes that fit their CHVs, its application records reload to
 * the same bytes, and the file it wrote back loads to the same state.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <scsim/scsim.h>

#include "card_internal.h"
#include "state/store.h"

#define PROFILES_MAX 16

static scsim_profile *profiles[PROFILES_MAX];
static size_t nprofiles;
static char dir[64], path[96], lock[112];

static void check(int cond)
{
        if (!cond)
                abort();
}

static int by_name(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Each profile's card waiting for a file. A refused file must leave a card
 * as it was, so the same card serves the next input; one that took a file
 * is replaced.
 */
static scsim_card *waiting[PROFILES_MAX];

static void cleanup(void)
{
        for (size_t i = 0; i < PROFILES_MAX; i++)
                scsim_card_free(&waiting[i]);
        unlink(path);
        unlink(lock);
        rmdir(dir);
}

static void load_profiles(void)
{
        DIR *d = opendir(SCSIM_SOURCE_DIR "/profiles");
        char *names[PROFILES_MAX];
        struct dirent *e;
        size_t n = 0;

        check(d != NULL);
        while ((e = readdir(d)) != NULL) {
                size_t len = strlen(e->d_name);
                if (len > 5 && strcmp(e->d_name + len - 5, ".yaml") == 0 && n < PROFILES_MAX)
                        check((names[n++] = strdup(e->d_name)) != NULL);
        }
        closedir(d);
        check(n > 0);
        qsort(names, n, sizeof(names[0]), by_name);
        for (size_t i = 0; i < n; i++) {
                char file[512];
                snprintf(file, sizeof(file), "%s/profiles/%s", SCSIM_SOURCE_DIR, names[i]);
                check(scsim_profile_load_file(file, &profiles[i], NULL) == SCSIM_OK);
                free(names[i]);
        }
        nprofiles = n;
        /* tmpfs when there is one: the loader syncs, and the disk is not what is tested */
        snprintf(dir, sizeof(dir), "/dev/shm/scsim-fuzz-state-XXXXXX");
        if (mkdtemp(dir) == NULL) {
                snprintf(dir, sizeof(dir), "/tmp/scsim-fuzz-state-XXXXXX");
                check(mkdtemp(dir) != NULL);
        }
        snprintf(path, sizeof(path), "%s/card.state", dir);
        snprintf(lock, sizeof(lock), "%s.lock", path);
        atexit(cleanup);
}

/* The input's file: the bytes as given, or as the one image of a two-copy file. */
static int write_file(const uint8_t *data, size_t size, int wrap)
{
        struct state_store *s = NULL;
        int fd, ok = -1;

        if (wrap) {
                if (store_open(path, NULL, &s, NULL) == SCSIM_OK &&
                    store_rewrite(s, data, size, NULL) == 0)
                        ok = 0;
                store_close(&s);
                return ok;
        }
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        check(fd >= 0);
        check(write(fd, data, size) == (ssize_t)size);
        close(fd);
        return 0;
}

/* An application's record, as its save hook writes it now. */
static uint8_t *record(const scsim_card *card, size_t i, size_t *len)
{
        const struct app_def *app = card->prof->apps[i].def;
        uint8_t *buf = NULL;

        *len = 0;
        if (app->save == NULL || card->app_state[i] == NULL)
                return NULL;
        check(app->save(card->app_state[i], &buf, len) == 0);
        return buf;
}

/* A card's durable state, applications' records included, kept after the card is gone. */
struct snapshot {
        struct card_state st;
        uint8_t *rec[PROF_APPS_MAX];
        size_t rec_len[PROF_APPS_MAX];
};

/* Each profile's card as new, the state a refused file must leave. */
static struct snapshot as_new[PROFILES_MAX];

static void snap(const scsim_card *card, struct snapshot *s)
{
        memset(s, 0, sizeof(*s));
        s->st = card->st;
        s->st.ef = malloc(card->st.ef_len + 1);
        check(s->st.ef != NULL);
        memcpy(s->st.ef, card->st.ef, card->st.ef_len);
        for (size_t i = 0; i < card->prof->napps; i++)
                s->rec[i] = record(card, i, &s->rec_len[i]);
}

static void snap_free(struct snapshot *s)
{
        OPENSSL_clear_free(s->st.ef, s->st.ef_len);
        for (size_t i = 0; i < PROF_APPS_MAX; i++)
                OPENSSL_clear_free(s->rec[i], s->rec_len[i]);
        memset(s, 0, sizeof(*s));
}

/* Two snapshots of cards of profile p hold the same durable state. */
static void check_same(const scsim_profile *p, const struct snapshot *a, const struct snapshot *b)
{
        for (size_t i = 0; i < p->nchvs; i++) {
                const struct chv_state *x = &a->st.chv[i], *y = &b->st.chv[i];
                check(x->tries == y->tries && x->limit == y->limit && x->enabled == y->enabled &&
                      x->value_len == y->value_len &&
                      memcmp(x->value, y->value, sizeof(x->value)) == 0);
        }
        for (size_t i = 0; i < p->nkeys; i++)
                check(a->st.key[i].tries == b->st.key[i].tries);
        check(a->st.ef_len == b->st.ef_len && memcmp(a->st.ef, b->st.ef, a->st.ef_len) == 0);
        for (size_t i = 0; i < p->napps; i++)
                check(a->rec_len[i] == b->rec_len[i] &&
                      (a->rec_len[i] == 0 || memcmp(a->rec[i], b->rec[i], a->rec_len[i]) == 0));
}

/* Every record of an accepted state within what the profile allows; records reload. */
static void check_loaded(scsim_card *card)
{
        const scsim_profile *p = card->prof;

        for (size_t i = 0; i < p->nchvs; i++) {
                const struct prof_chv *pc = &p->chvs[i];
                const struct chv_state *st = &card->st.chv[i];
                check(st->limit == pc->retries ||
                      (pc->limit_settable && st->limit >= 1 && st->limit <= 15));
                check(st->tries <= st->limit);
                check(prof_chv_value_ok(pc, st->value, st->value_len));
        }
        for (size_t i = 0; i < p->nkeys; i++)
                check(card->st.key[i].tries <= p->keys[i].retries);
        for (size_t i = 0; i < p->napps; i++) {
                const struct app_def *app = p->apps[i].def;
                size_t len = 0, again_len = 0;
                uint8_t *rec = record(card, i, &len), *again;
                void *fresh = NULL;
                if (rec == NULL)
                        continue;
                check(app->load(card, &p->apps[i], rec, len, &fresh) == 0);
                void *saved = card->app_state[i];
                card->app_state[i] = fresh;
                again = record(card, i, &again_len);
                card->app_state[i] = saved;
                check(again_len == len && memcmp(again, rec, len) == 0);
                app->free(&fresh);
                OPENSSL_clear_free(rec, len);
                OPENSSL_clear_free(again, again_len);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The card of profile (index i) on the input's file, and what must hold of it. */
static void run(size_t i)
{
        const scsim_profile *profile = profiles[i];
        scsim_card *other = NULL;
        struct snapshot a, b;
        scsim_diag diag;

        if (waiting[i] == NULL)
                check((waiting[i] = scsim_card_new(profile)) != NULL);
        memset(&diag, 0, sizeof(diag));
        memset(&b, 0, sizeof(b));
        if (scsim_card_attach_state(waiting[i], path, &diag) != SCSIM_OK) {
                /* refused: the card is as new, and says why */
                check(diag.message[0] != '\0');
                snap(waiting[i], &a);
                check_same(profile, &a, &as_new[i]);
        } else {
                check_loaded(waiting[i]);
                /* what it wrote back, once it let go of the file, loads to the same state */
                snap(waiting[i], &a);
                scsim_card_free(&waiting[i]);
                other = scsim_card_new(profile);
                check(other != NULL && scsim_card_attach_state(other, path, &diag) == SCSIM_OK);
                snap(other, &b);
                check_same(profile, &a, &b);
        }
        snap_free(&a);
        snap_free(&b);
        scsim_card_free(&other);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        uint8_t *copy;
        uint8_t ctl;

        if (nprofiles == 0) {
                load_profiles();
                for (size_t i = 0; i < nprofiles; i++) {
                        scsim_card *card = scsim_card_new(profiles[i]);
                        check(card != NULL);
                        snap(card, &as_new[i]);
                        scsim_card_free(&card);
                }
        }
        if (size < 1)
                return 0;
        ctl = data[0];
        data++;
        size--;
        if ((copy = malloc(size + 1)) == NULL)
                return 0;
        memcpy(copy, data, size);
        if ((ctl & 0x10) != 0 && size > SHA256_DIGEST_LENGTH)
                SHA256(copy, size - SHA256_DIGEST_LENGTH, copy + size - SHA256_DIGEST_LENGTH);
        if (write_file(copy, size, (ctl & 0x20) != 0) == 0)
                run((ctl & 0x0f) % nprofiles);
        OPENSSL_clear_free(copy, size + 1);
        unlink(path);
        return 0;
}
