/* SPDX-License-Identifier: MIT */
/* The in-memory profile: what the card is made of, immutable once built. */
#ifndef SCSIM_PROFILE_MODEL_H
#define SCSIM_PROFILE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <scsim/profile.h>

/*
 * Fixed bounds keep the card's volatile state in fixed-size arrays and make
 * every index a small integer. The profile loader rejects anything larger.
 */
#define PROF_NAME_MAX       48 /* names of files, CHVs, keys, the profile; NUL included */
#define PROF_FILES_MAX      64
#define PROF_CHVS_MAX       16
#define PROF_KEYS_MAX       16
#define PROF_RULES_MAX      64
#define PROF_RULE_TERMS_MAX 8
#define PROF_AID_MAX        16
#define PROF_CHV_MAX_LEN    16 /* longest CHV value, padded or not */
#define PROF_KEY_MAX_LEN    32
#define PROF_SERIAL_MAX     16
#define PROF_EF_MAX_SIZE    32767  /* READ BINARY's 15-bit offset */
#define PROF_NONE           0xffff /* "no index" for uint16_t indices */

enum prof_file_type {
        PROF_FILE_MF,
        PROF_FILE_DF,
        PROF_FILE_EF, /* transparent */
};

/*
 * An access rule is a node in the profile's rule pool. Leaves test one CHV or
 * key; ANY/ALL combine other nodes by index. Rule 0 is always ALWAYS and rule
 * 1 always NEVER, so every file has a rule without special cases.
 */
enum prof_rule_kind {
        PROF_RULE_ALWAYS,
        PROF_RULE_NEVER,
        PROF_RULE_CHV, /* arg: CHV index; satisfied when verified on the channel or requirement
                          disabled */
        PROF_RULE_KEY, /* arg: key index; satisfied when authenticated on the channel */
        PROF_RULE_ANY,
        PROF_RULE_ALL,
};
#define PROF_RULE_ALWAYS_IDX 0
#define PROF_RULE_NEVER_IDX  1

struct prof_rule {
        enum prof_rule_kind kind;
        uint16_t arg;
        uint8_t nterms;
        uint16_t terms[PROF_RULE_TERMS_MAX]; /* rule indices, each smaller than this rule's */
};

/*
 * An application instance: the DF it implements (prof_file.app) and its
 * profile section, both described by the registry's definition (sim/app.h).
 */
#define PROF_APPS_MAX 4
#define PROF_APP_NONE 0 /* prof_file.app of a DF without an application */

struct app_def;

struct prof_app {
        const struct app_def *def;
        uint16_t df;   /* file index of its DF */
        void *section; /* its profile section (owned; freed by def->section->free), or NULL */
};

struct prof_file {
        char name[PROF_NAME_MAX];
        enum prof_file_type type;
        uint8_t app; /* DFs only: 1 + index into profile->apps, or PROF_APP_NONE */
        uint16_t fid;
        uint16_t parent; /* file index; the MF (index 0) is its own parent */
        uint8_t aid[PROF_AID_MAX];
        size_t aid_len;     /* DF name; 0: none */
        uint8_t sfi;        /* EF short identifier 1..30; 0: none */
        size_t size;        /* EF capacity in bytes */
        size_t content_off; /* EF initial content: profile->blob[content_off .. +content_len] */
        size_t content_len; /* <= size; the rest of the EF starts as zero bytes */
        uint16_t read_rule;
        uint16_t update_rule;
};

enum prof_chv_format {
        PROF_CHV_DIGITS, /* ASCII '0'..'9' */
        PROF_CHV_ALNUM,  /* printable ASCII 0x20..0x7e */
        PROF_CHV_BYTES,  /* any byte value */
};

enum prof_chv_padding {
        PROF_PAD_NONE, /* the code is sent as is, min_len..max_len bytes */
        PROF_PAD_FF,   /* sent as exactly max_len bytes, right-padded with FF (PIV) */
        PROF_PAD_00,   /* right-padded with 00 */
};

/*
 * A card-holder verification code. Unblock codes (PUKs) are CHVs too: they
 * have their own value and counter, are named by a PIN's `puk` field, and
 * are addressable by CHANGE REFERENCE DATA only when has_ref is set.
 */
struct prof_chv {
        char name[PROF_NAME_MAX];
        bool has_ref;
        uint8_t ref;     /* P2 value: b8 = 1 for specific scope, b5..b1 = number */
        uint16_t df;     /* file index of the DF a specific CHV belongs to; MF for global */
        bool verifiable; /* VERIFY accepts it (false for pure unblock codes) */
        uint8_t value[PROF_CHV_MAX_LEN];
        size_t value_len; /* initial value, unpadded */
        size_t min_len;
        size_t max_len;
        enum prof_chv_format format;
        enum prof_chv_padding padding;
        /*
         * A presented code of the wrong length or format (in the right padded
         * size) is compared and fails, spending a try, instead of 6A80 with
         * no try spent; a new value breaking the rules is refused with 6985.
         */
        bool malformed_is_wrong;
        uint8_t retries; /* 1..15 */
        uint16_t puk;    /* CHV index of its unblock code, or PROF_NONE */
        /* RESET RETRY COUNTER P1 02/03 (no unblock code): rule index that must hold, or NEVER */
        uint16_t reset_rule;
        bool may_disable;    /* DISABLE VERIFICATION REQUIREMENT allowed */
        bool limit_settable; /* a command may change the retry limit (PIV SET PIN RETRIES) */
        bool enabled;        /* initial: verification required */
        /* Specific CHVs only: keep status when the channel leaves the DF (default: clear). */
        bool keep_on_deselect;
};

enum prof_key_alg {
        PROF_KEY_AES128,
};

/* A symmetric key for GET CHALLENGE + EXTERNAL AUTHENTICATE. */
struct prof_key {
        char name[PROF_NAME_MAX];
        uint8_t ref; /* P2 value, b8 = specific scope */
        uint16_t df; /* owning DF (MF for global) */
        enum prof_key_alg alg;
        uint8_t value[PROF_KEY_MAX_LEN];
        size_t value_len;
        uint8_t retries; /* 1..15 */
        bool keep_on_deselect;
};

struct scsim_profile {
        char name[PROF_NAME_MAX];
        char label[64];
        uint8_t atr[33];
        size_t atr_len;
        uint8_t serial[PROF_SERIAL_MAX];
        size_t serial_len;

        struct prof_file files[PROF_FILES_MAX]; /* files[0] is the MF 3F00 */
        size_t nfiles;
        struct prof_chv chvs[PROF_CHVS_MAX];
        size_t nchvs;
        struct prof_key keys[PROF_KEYS_MAX];
        size_t nkeys;
        struct prof_rule rules[PROF_RULES_MAX];
        size_t nrules;

        struct prof_app apps[PROF_APPS_MAX];
        size_t napps;

        uint8_t *blob; /* EF initial contents, owned */
        size_t blob_len;
};

/*
 * Building a profile, shared by the embedded default and the YAML loader.
 * prof_new returns a profile with the MF (index 0) and rules 0 (ALWAYS) and
 * 1 (NEVER) already in place. The add functions return the new index or -1
 * when the table is full (callers report that with a position).
 */
scsim_profile *prof_new(const char *name);
int prof_add_rule(scsim_profile *p, const struct prof_rule *rule);
int prof_add_file(scsim_profile *p, const struct prof_file *file, const uint8_t *content,
                  size_t content_len);
int prof_add_chv(scsim_profile *p, const struct prof_chv *chv);
/* Append bytes to the profile's blob (applications' initial data); *off is where. 0 or -1. */
int prof_add_blob(scsim_profile *p, const uint8_t *data, size_t len, size_t *off);
int prof_add_key(scsim_profile *p, const struct prof_key *key);
/*
 * Make the DF at index df the application def's (one DF per application);
 * the section is set afterwards. Returns the instance index or -1.
 */
int prof_add_app(scsim_profile *p, const struct app_def *def, uint16_t df);
/* The application instance a DF or any of its ancestors belongs to, or NULL. */
const struct prof_app *prof_app_of(const scsim_profile *p, uint16_t df);

/*
 * Whole-profile consistency, after building: indices in range, a tree with
 * the MF at the root, unique FIDs among siblings, unique AIDs, unique CHV
 * and key references per scope, values within their bounds, a valid ATR.
 * Returns 0 or -1 with a message (no position) in msg.
 */
int prof_check(const scsim_profile *p, char *msg, size_t cap);

/* Does v (unpadded) fit the CHV's length bounds and format? */
bool prof_chv_value_ok(const struct prof_chv *chv, const uint8_t *v, size_t n);

/* Lookups used by the card. Return an index or -1. */
int prof_find_child(const scsim_profile *p, uint16_t parent, uint16_t fid);
bool prof_is_ancestor(const scsim_profile *p, uint16_t ancestor, uint16_t file);

#endif
