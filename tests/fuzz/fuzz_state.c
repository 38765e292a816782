/* SPDX-License-Identifier: MIT */
/*
 * The state loader against arbitrary bytes, on every shipped profile
 * (every .yaml in profiles/, in name order). Input: a control byte, then a
 * file. Control bits 0-3 pick the profile (modulo their number); bit 4
 * reseals the image's SHA-256 so the record parser is reached; bit 5 makes
 * the bytes the image of a two-copy file (format 3, through the library's
 * own writer), so both ways into the file are fuzzed.
 *
 * Every input is decoded in memory as attaching decodes it (store, codec,
 * the applications' load hooks); an accepted state must hold counters
 * within their limits and codes that fit their CHVs, and its application
 * records must reload to the same bytes. Inputs with control bits 2, 3, 6
 * and 7 all set (one in sixteen, of every profile: files and cards cost a
 * hundred times the decoding) then go the whole way: written to a file and
 * attached to a card, which must agree with the decoding: refused when it
 * refused (the card as new, with a message), or accepted with the same
 * state, and the file it wrote back must load to that state again.
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
#include "state/codec.h"
#include "state/store.h"
#include "scratch.h"

#define PROFILES_MAX 16

static scsim_profile *profiles[PROFILES_MAX];
static size_t nprofiles;
static char dir[64], path[96], lock[112];

/* A card's durable state, applications' records included, kept apart from any card. */
struct snapshot {
        struct card_state st;
        uint8_t *rec[PROF_APPS_MAX];
        size_t rec_len[PROF_APPS_MAX];
};

/*
 * Each profile's waiting card as it was made: what a refused file must leave,
 * what a decode starts from.
 */
static struct snapshot as_new[PROFILES_MAX];

/*
 * Each profile's card waiting for a file. A refused file must leave a card
 * as it was, so the same card serves the next input; one that took a file
 * is replaced. Its applications' hooks also serve the decoding in memory.
 */
static scsim_card *waiting[PROFILES_MAX];

static void check(int cond)
{
        if (!cond)
                abort();
}

/* An application's record of state, as its save hook writes it after its prepare (app_save). */
static uint8_t *record(const struct app_def *app, void *state, size_t *len)
{
        uint8_t *buf = NULL;

        *len = 0;
        if (app->save == NULL || state == NULL)
                return NULL;
        check(app->prepare == NULL || app->prepare(state) == 0);
        check(app->save(state, &buf, len) == 0);
        return buf;
}

static void snap_card(const scsim_card *card, struct snapshot *s)
{
        memset(s, 0, sizeof(*s));
        s->st = card->st;
        check((s->st.ef = malloc(card->st.ef_len + 1)) != NULL);
        memcpy(s->st.ef, card->st.ef, card->st.ef_len);
        for (size_t i = 0; i < card->prof->napps; i++)
                s->rec[i] = record(card->prof->apps[i].def, card->app_state[i], &s->rec_len[i]);
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

static int by_name(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static void cleanup(void)
{
        for (size_t i = 0; i < PROFILES_MAX; i++) {
                scsim_card_free(&waiting[i]);
                snap_free(&as_new[i]);
        }
        unlink(path);
        unlink(lock);
        rmdir(dir);
}

static void setup(void)
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
                check((waiting[i] = scsim_card_new(profiles[i])) != NULL);
                snap_card(waiting[i], &as_new[i]);
                free(names[i]);
        }
        nprofiles = n;
        /* tmpfs when there is one: the loader syncs, and the disk is not what is tested */
        check(fuzz_scratch_dir("state", dir, sizeof(dir)) == 0);
        snprintf(path, sizeof(path), "%s/card.state", dir);
        snprintf(lock, sizeof(lock), "%s.lock", path);
        atexit(cleanup);
}

/* Give each application record to its application's load hook, as attaching does. */
static int load_apps(size_t pi, const struct state_blob apps[PROF_APPS_MAX], struct snapshot *s)
{
        const scsim_profile *p = profiles[pi];
        scsim_card *card = waiting[pi];
        int ok = 0;

        for (size_t i = 0; i < p->napps; i++) {
                const struct app_def *app = p->apps[i].def;
                void *state = NULL;
                if (apps[i].data == NULL) {
                        s->rec[i] = record(app, card->app_state[i], &s->rec_len[i]);
                        continue;
                }
                if (ok != 0 || card->app_state[i] == NULL || app->load == NULL ||
                    app->load(card, &p->apps[i], apps[i].data, apps[i].len, &state) != 0) {
                        ok = -1;
                        continue;
                }
                s->rec[i] = record(app, state, &s->rec_len[i]);
                app->free(&state);
        }
        return ok;
}

/* The file decoded in memory into s, from profile pi's new card; 0 accepted, -1 refused. */
static int decode(size_t pi, const uint8_t *file, size_t len, struct snapshot *s)
{
        static struct state_doc doc;
        struct state_blob apps[PROF_APPS_MAX];
        struct store_info info;
        uint8_t *image = NULL;
        size_t ilen = 0;
        char err[512];
        int ok = -1;

        memset(s, 0, sizeof(*s));
        s->st = as_new[pi].st;
        check((s->st.ef = malloc(s->st.ef_len + 1)) != NULL);
        memcpy(s->st.ef, as_new[pi].st.ef, s->st.ef_len);
        if (store_parse(file, len, NULL, &image, &ilen, &info, "fuzz", NULL) == SCSIM_OK &&
            state_doc_parse(&doc, image, ilen, err, sizeof(err)) == 0 &&
            state_doc_bind(&doc, profiles[pi], &s->st, apps, err, sizeof(err)) == 0)
                ok = load_apps(pi, apps, s);
        state_doc_cleanse(&doc);
        OPENSSL_clear_free(image, ilen);
        return ok;
}

/* Every record of an accepted state within what profile pi allows; its records reload. */
static void check_loaded(size_t pi, const struct snapshot *s)
{
        const scsim_profile *p = profiles[pi];

        for (size_t i = 0; i < p->nchvs; i++) {
                const struct prof_chv *pc = &p->chvs[i];
                const struct chv_state *st = &s->st.chv[i];
                check(st->limit == pc->retries ||
                      (pc->limit_settable && st->limit >= 1 && st->limit <= 15));
                check(st->tries <= st->limit);
                check(prof_chv_value_ok(pc, st->value, st->value_len));
        }
        for (size_t i = 0; i < p->nkeys; i++)
                check(s->st.key[i].tries <= p->keys[i].retries);
        for (size_t i = 0; i < p->napps; i++) {
                const struct app_def *app = p->apps[i].def;
                size_t again_len = 0;
                uint8_t *again;
                void *state = NULL;
                if (s->rec[i] == NULL)
                        continue;
                check(app->load(waiting[pi], &p->apps[i], s->rec[i], s->rec_len[i], &state) == 0);
                again = record(app, state, &again_len);
                check(again_len == s->rec_len[i] && memcmp(again, s->rec[i], again_len) == 0);
                app->free(&state);
                OPENSSL_clear_free(again, again_len);
        }
}

/* The whole way: the file attached to profile pi's waiting card, which must agree with mem. */
static void attach(size_t pi, const uint8_t *file, size_t len, int accepted,
                   const struct snapshot *mem)
{
        scsim_card *other = NULL;
        struct snapshot a, b;
        scsim_diag diag;
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

        check(fd >= 0 && write(fd, file, len) == (ssize_t)len);
        close(fd);
        memset(&diag, 0, sizeof(diag));
        memset(&b, 0, sizeof(b));
        if (scsim_card_attach_state(waiting[pi], path, &diag) != SCSIM_OK) {
                /* refused: as the decoding was, with a message, the card as new */
                check(!accepted && diag.message[0] != '\0');
                snap_card(waiting[pi], &a);
                check_same(profiles[pi], &a, &as_new[pi]);
        } else {
                check(accepted);
                snap_card(waiting[pi], &a);
                check_same(profiles[pi], &a, mem);
                /* what it wrote back, once it let go of the file, loads to the same state */
                scsim_card_free(&waiting[pi]);
                check((waiting[pi] = scsim_card_new(profiles[pi])) != NULL);
                /* a new card is new in its own way: PIV's attestation key is made with it */
                snap_free(&as_new[pi]);
                snap_card(waiting[pi], &as_new[pi]);
                check((other = scsim_card_new(profiles[pi])) != NULL);
                check(scsim_card_attach_state(other, path, &diag) == SCSIM_OK);
                snap_card(other, &b);
                check_same(profiles[pi], &a, &b);
        }
        snap_free(&a);
        snap_free(&b);
        scsim_card_free(&other);
        unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        uint8_t *copy, *file = NULL;
        size_t flen = 0, pi;
        struct snapshot mem;
        uint8_t ctl;
        int accepted;

        if (nprofiles == 0)
                setup();
        if (size < 1)
                return 0;
        ctl = data[0];
        pi = (ctl & 0x0f) % nprofiles;
        data++;
        size--;
        if ((copy = malloc(size + 1)) == NULL)
                return 0;
        memcpy(copy, data, size);
        if ((ctl & 0x10) != 0 && size > SHA256_DIGEST_LENGTH)
                SHA256(copy, size - SHA256_DIGEST_LENGTH, copy + size - SHA256_DIGEST_LENGTH);
        if ((ctl & 0x20) != 0 && store_format(copy, size, NULL, 1, &file, &flen) != 0) {
                OPENSSL_clear_free(copy, size + 1);
                return 0;
        }
        if (file == NULL) {
                file = copy;
                flen = size;
                copy = NULL;
        }
        accepted = decode(pi, file, flen, &mem) == 0;
        if (accepted)
                check_loaded(pi, &mem);
        if ((ctl & 0xcc) == 0xcc)
                attach(pi, file, flen, accepted, &mem);
        snap_free(&mem);
        OPENSSL_clear_free(file, flen);
        OPENSSL_clear_free(copy, size + 1);
        return 0;
}
