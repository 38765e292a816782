/* SPDX-License-Identifier: MIT */
/* The state image codec: the card's durable state as bytes, checked against a profile. */
#ifndef SCSIM_STATE_CODEC_H
#define SCSIM_STATE_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "card_state.h"
#include "profile/model.h"

#define STATE_NAME_LEN    PROF_NAME_MAX
#define STATE_FORMAT_CORE 1 /* counters, codes, key counters, EF contents */
#define STATE_FORMAT_APPS 2 /* the same, then one record per application */

/*
 * One record of each kind, as the file has it (docs/state.md). A name is
 * NUL-padded and NUL-terminated; data points into the bytes the record was
 * read from, or into the state it was made from.
 */
struct state_chv_rec {
        char name[STATE_NAME_LEN];
        uint8_t has_ref, ref, limit, tries, enabled, value_len;
        uint8_t value[PROF_CHV_MAX_LEN];
};

struct state_key_rec {
        char name[STATE_NAME_LEN];
        uint8_t ref, limit, tries;
};

struct state_ef_rec {
        char name[STATE_NAME_LEN];
        uint16_t fid, size;
        const uint8_t *data;
};

struct state_app_rec {
        char name[STATE_NAME_LEN];
        uint32_t len;
        const uint8_t *data;
};

/*
 * A state image, record by record in file order. Counts are bounded by what
 * a profile can hold, so a document never needs more room than this.
 */
struct state_doc {
        uint16_t format;
        char profile[STATE_NAME_LEN];
        uint8_t nchv, nkey, nef, napp;
        struct state_chv_rec chv[PROF_CHVS_MAX];
        struct state_key_rec key[PROF_KEYS_MAX];
        struct state_ef_rec ef[PROF_FILES_MAX];
        struct state_app_rec app[PROF_APPS_MAX];
};

/* An application's record, by the profile's application index; data NULL: it has none. */
struct state_blob {
        const uint8_t *data;
        size_t len;
};

/*
 * The document of a durable state: format 1 when no application keeps a
 * record, 2 otherwise. EF and application bytes are borrowed, not copied.
 */
void state_doc_make(struct state_doc *doc, const scsim_profile *p, const struct card_state *st,
                    const struct state_blob apps[PROF_APPS_MAX]);

/* Bytes the encoded document takes, its digest included. */
size_t state_doc_size(const struct state_doc *doc);

/* Encode into buf, which holds state_doc_size(doc) bytes. 0, or -1 when the digest fails (memory).
 */
int state_doc_encode(const struct state_doc *doc, uint8_t *buf);

/*
 * Read an image: magic, format, digest, then every record, each read
 * bounded. Needs no profile. 0, or -1 with the reason in err.
 */
int state_doc_parse(struct state_doc *doc, const uint8_t *buf, size_t len, char *err,
                    size_t errcap);

/*
 * Check a document against profile p and, only when all of it fits, write
 * it into st (shaped for p: its EF buffer sized and laid out) and apps (the
 * application records by the profile's application index). 0, or -1 with
 * the reason in err and st and apps untouched.
 */
int state_doc_bind(const struct state_doc *doc, const scsim_profile *p, struct card_state *st,
                   struct state_blob apps[PROF_APPS_MAX], char *err, size_t errcap);

/* Wipe the codes a document holds. */
void state_doc_cleanse(struct state_doc *doc);

#endif
