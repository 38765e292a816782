/* SPDX-License-Identifier: MIT */
/* The card description a conformance run holds a card to: references, codes, files, keys. */
#ifndef SCSIM_CLIENT_CONFORM_CARD_H
#define SCSIM_CLIENT_CONFORM_CARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CF_NAME_MAX     48
#define CF_FILES_MAX    64 /* the MF included, at index 0 */
#define CF_CHVS_MAX     16
#define CF_KEYS_MAX     16
#define CF_CODE_MAX     64 /* OpenPGP passwords go past ISO's usual 16 bytes */
#define CF_RULE_TERMS   8
#define CF_PIV_KEYS_MAX 24

enum cf_fmt { CF_FMT_DIGITS, CF_FMT_ALNUM, CF_FMT_BYTES };

enum cf_rule_kind { CF_R_ALWAYS, CF_R_NEVER, CF_R_CHV, CF_R_KEY, CF_R_ANY, CF_R_ALL };

/* An access rule: always, never, a CHV or key (by index), or any/all of up to 8 rules. */
struct cf_rule {
        enum cf_rule_kind kind;
        int index;           /* CF_R_CHV, CF_R_KEY: into cf_card.chvs / keys */
        size_t n;            /* CF_R_ANY, CF_R_ALL */
        struct cf_rule *sub; /* n of them, owned */
};

/* A card-holder verification code: a PIN, a PUK. */
struct cf_chv {
        char name[CF_NAME_MAX];
        int df;  /* index of the DF it is specific to; 0 (the MF) for a global one */
        int ref; /* VERIFY's P2, -1 when it has none (an unblock code only) */
        bool verifiable;
        bool has_value; /* the description knows the code */
        uint8_t value[CF_CODE_MAX];
        size_t len;
        size_t min, max; /* lengths without padding */
        enum cf_fmt fmt;
        int pad;          /* -1 none, else the byte the code is padded with to max */
        unsigned retries; /* 0: not given */
        int puk;          /* index of the CHV that unblocks it, -1 none */
        bool has_rrc;     /* RESET RETRY COUNTER P1 02/03 allowed under rrc */
        struct cf_rule rrc;
        bool may_disable;
        bool enabled; /* the verification requirement is on at the start */
        bool keep;    /* keep_on_deselect */
        /* malformed: wrong: a code of the wrong length or format costs a try (63CX), no 6A80 */
        bool malformed_wrong;
};

/* A symmetric key for GET CHALLENGE + EXTERNAL AUTHENTICATE (AES-128-ECB of the challenge). */
struct cf_key {
        char name[CF_NAME_MAX];
        int df;
        int ref;
        bool has_value;
        uint8_t value[16];
        unsigned retries;
};

struct cf_file {
        char name[CF_NAME_MAX];
        int parent; /* -1 for the MF */
        bool is_df;
        bool has_fid;
        uint8_t fid[2];
        uint8_t aid[16];
        size_t aid_len;
        char app[16]; /* "piv", "openpgp" or "" */
        size_t size;
        uint8_t *content; /* size bytes: the content, then zeros (EFs) */
        bool has_rules;
        struct cf_rule read, update;
};

enum cf_mgmt_alg { CF_MGMT_3DES, CF_MGMT_AES128, CF_MGMT_AES192, CF_MGMT_AES256 };

struct cf_piv_key {
        uint8_t slot;
        char algorithm[16]; /* eccp256, eccp384, rsa1024, rsa2048 */
        char pin_policy[8]; /* default, never, once, always; "" = the slot's default */
        void *pub;          /* EVP_PKEY of a given private_key, NULL when generated on the card */
};

struct cf_piv {
        bool present;
        enum cf_mgmt_alg mgmt_alg;
        bool has_mgmt_key;
        uint8_t mgmt_key[32];
        size_t mgmt_len;
        struct cf_piv_key keys[CF_PIV_KEYS_MAX];
        size_t nkeys;
};

struct cf_opgp {
        bool present;
        bool has_pw1, has_pw3, has_rc;
        uint8_t pw1[CF_CODE_MAX], pw3[CF_CODE_MAX], rc[CF_CODE_MAX];
        size_t pw1_len, pw3_len, rc_len;
        int signature_pin; /* -1 not given, 0 once (C4 byte 1 = 00), 1 valid for several */
        unsigned pw1_retries, rc_retries, pw3_retries;
};

struct cf_card {
        char name[64];
        char source[256]; /* the file it came from, "" when none was given */
        bool has_atr, has_hist;
        uint8_t atr[33];
        size_t atr_len;
        uint8_t hist[15];
        size_t hist_len;
        struct cf_file files[CF_FILES_MAX];
        size_t nfiles;
        struct cf_chv chvs[CF_CHVS_MAX];
        size_t nchvs;
        struct cf_key keys[CF_KEYS_MAX];
        size_t nkeys;
        struct cf_piv piv;
        struct cf_opgp opgp;
};

/*
 * Load a description from a YAML file: scsim's profile format (docs/profiles.md),
 * of which a description needs only the parts it describes (no serial, no FIDs
 * when AIDs select the DFs). Returns 0, or -1 with "file:line:column: what" in err.
 */
int cf_card_load(const char *path, struct cf_card **out, char *err, size_t errcap);
/* The same from a buffer; name is used in messages. */
int cf_card_parse(const char *name, const char *text, size_t len, struct cf_card **out, char *err,
                  size_t errcap);
/* An empty description: an MF and nothing known. NULL when out of memory. */
struct cf_card *cf_card_new(void);
/* Wipes the codes and keys, frees, sets *c to NULL. */
void cf_card_free(struct cf_card **c);

/* The index of the DF that holds an application ("piv", "openpgp"), -1 when none. */
int cf_card_app_df(const struct cf_card *c, const char *app);
/* The verifiable CHV with reference ref in DF df (or global when ref b8 is clear), -1 if none. */
int cf_card_chv_by_ref(const struct cf_card *c, int df, int ref);

#endif
