/* SPDX-License-Identifier: MIT */
/* The OpenPGP application's state, shared by its commands, its data objects and its state record.
 */
#ifndef SCSIM_OPENPGP_H
#define SCSIM_OPENPGP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "apps/openpgp/crypto.h"
#include "apps/openpgp/profile.h"
#include "card_internal.h"

/* What the card announces in DO C0 (extended capabilities) and DO 7F66, and enforces. */
#define OPGP_CHALLENGE_MAX 2048 /* GET CHALLENGE */
#define OPGP_CERT_MAX      2048 /* a cardholder certificate */
#define OPGP_SPECIAL_MAX   255  /* login data, URL, private DOs, KDF-DO */
#define OPGP_APDU_MAX      2048 /* extended length information: command and response data */

/*
 * Data objects the card keeps as PUT DATA gave them, in one byte pool so
 * that a command can copy the whole durable state to roll back a failed
 * commit. Capacities are those of the specification (or of DO C0).
 */
enum opgp_slot {
        DO_NAME,     /* 5B, 39 bytes */
        DO_LOGIN,    /* 5E */
        DO_LANG,     /* 5F2D, 2..8 */
        DO_SEX,      /* 5F35, one of '0' '1' '2' '9' */
        DO_URL,      /* 5F50 */
        DO_PRIV1,    /* 0101 .. 0104 */
        DO_PRIV2,    /**/
        DO_PRIV3,    /**/
        DO_PRIV4,    /**/
        DO_FPR_SIG,  /* C7 .. C9, 20 bytes each */
        DO_FPR_DEC,  /**/
        DO_FPR_AUT,  /**/
        DO_CAFPR_1,  /* CA .. CC */
        DO_CAFPR_2,  /**/
        DO_CAFPR_3,  /**/
        DO_TIME_SIG, /* CE .. D0, 4 bytes each */
        DO_TIME_DEC, /**/
        DO_TIME_AUT, /**/
        DO_ATTR_SIG, /* C1 .. C3 */
        DO_ATTR_DEC, /**/
        DO_ATTR_AUT, /**/
        DO_CERT_AUT, /* 7F21, occurrences 0 .. 2 (SELECT DATA) */
        DO_CERT_DEC, /**/
        DO_CERT_SIG, /**/
        DO_KDF,      /* F9 */
        DO_NSTORED,  /**/
};
#define OPGP_STORE_BYTES                                                                           \
        (39 + OPGP_SPECIAL_MAX + 8 + 1 + OPGP_SPECIAL_MAX + 4 * OPGP_SPECIAL_MAX + 6 * 20 +        \
         3 * 4 + 3 * OPGP_ATTR_MAX + 3 * OPGP_CERT_MAX + OPGP_SPECIAL_MAX)

/* A password: PW1 (references 81 and 82), the resetting code, PW3 (83). */
struct opgp_pw {
        uint8_t value[OPGP_PW_MAX];
        uint8_t len; /* resetting code: 0 when none is set */
        uint8_t tries;
        uint8_t limit;
};

enum { KEY_ABSENT = 0x00, KEY_GENERATED = 0x01, KEY_IMPORTED = 0x02 }; /* DO DE */

/* Durable state but the private keys: a flat struct, copied to roll back. */
struct opgp_data {
        bool terminated; /* TERMINATE DF done, ACTIVATE FILE not yet */
        struct opgp_pw pw[OPGP_NPW];
        uint8_t pw1_status; /* DO C4 byte 1 */
        uint32_t sig_count; /* DO 93, 3 bytes */
        uint8_t key_status[OPGP_NKEYS];
        uint16_t len[DO_NSTORED];
        uint8_t bytes[OPGP_STORE_BYTES];
};

/* Volatile, per logical channel (7.2.2: the access status of each reference). */
struct opgp_chan {
        bool pw1_cds;       /* 81: PSO: COMPUTE DIGITAL SIGNATURE */
        bool pw1_other;     /* 82: decipher, authenticate, private DOs 0101 0103 */
        bool pw3;           /* 83: administration */
        uint8_t occurrence; /* the cardholder certificate SELECT DATA chose (0 AUT .. 2 SIG) */
        /* 7.2.18: MSE may swap keys 2 and 3 between DECIPHER and INTERNAL AUTHENTICATE */
        bool dec_uses_aut;  /* PSO: DECIPHER with key 3 */
        bool auth_uses_dec; /* INTERNAL AUTHENTICATE with key 2 */
};

struct opgp {
        const struct prof_openpgp *sec; /* the profile's section (borrowed from the profile) */
        struct opgp_data d;
        EVP_PKEY *key[OPGP_NKEYS];
        struct opgp_chan ch[CARD_CHANNELS];
};

/* Access conditions of data objects and commands. */
enum opgp_access { ACC_ALWAYS, ACC_NEVER, ACC_PW1, ACC_PW3 };

static inline struct opgp *opgp_of(const struct cmd *c)
{
        return c->app;
}

/* 7.2.16: in termination state only SELECT, ACTIVATE FILE and TERMINATE DF work (6985). */
static inline bool opgp_terminated(const struct cmd *c)
{
        return opgp_of(c)->d.terminated;
}

/* openpgp.c: lifecycle shared with the state record */
/* Everything from the profile: passwords, attributes, data objects, keys. 0 or -1. */
int opgp_load_profile(struct opgp *op, const scsim_profile *p, const struct prof_openpgp *sec);
void opgp_free_contents(struct opgp *op);
/* Does the channel satisfy the access condition? */
bool opgp_access_ok(const struct cmd *c, enum opgp_access acc);
/* Commit; on failure put the durable data back as it was (before) and answer 6581. */
uint16_t opgp_commit(struct cmd *c, const struct opgp_data *before);
/* Forget every channel's verification of the passwords (a password was replaced). */
void opgp_forget_all(struct opgp *op);

/* data.c: the stored data objects */
uint8_t *opgp_do_bytes(struct opgp_data *d, enum opgp_slot s);
const uint8_t *opgp_do_cbytes(const struct opgp_data *d, enum opgp_slot s);
size_t opgp_do_cap(enum opgp_slot s);
/* Replace a stored DO (len <= cap); the old bytes are wiped. */
void opgp_do_set(struct opgp_data *d, enum opgp_slot s, const uint8_t *v, size_t len);
/* The historical bytes of the profile's ATR (DO 5F52); their count, 0 if none. */
size_t opgp_historical_bytes(const scsim_profile *p, const uint8_t **out);
/* The slot a PUT DATA tag writes as given, or -1. */
int opgp_do_slot(uint16_t tag);
/* Is v an acceptable value of the stored DO with this tag? (lengths, formats) */
bool opgp_do_value_ok(uint16_t tag, const uint8_t *v, size_t len);
/* The attributes of key k, decoded; the stored ones were checked when written. */
int opgp_key_alg(const struct opgp_data *d, enum opgp_key k, struct opgp_alg *alg);
cmd_handler opgp_get_data;
cmd_handler opgp_put_data;
cmd_handler opgp_select_data;
cmd_handler opgp_get_next_data;

/* pw.c: passwords */
cmd_handler opgp_verify;
cmd_handler opgp_change_reference_data;
cmd_handler opgp_reset_retry_counter;
/* PUT DATA D3 (resetting code) and F9 (KDF-DO), which replace passwords. */
uint16_t opgp_put_resetting_code(struct cmd *c, const uint8_t *v, size_t len);
uint16_t opgp_put_kdf(struct cmd *c, const uint8_t *v, size_t len);

/* keys.c: key pairs and the private-key operations */
cmd_handler opgp_generate_pair;
cmd_handler opgp_pso;
cmd_handler opgp_internal_authenticate;
cmd_handler opgp_get_challenge;
cmd_handler opgp_manage_security_environment;
/* PUT DATA 3FFF with the extended header list 4D: key import. */
uint16_t opgp_import_key(struct cmd *c, const uint8_t *v, size_t len);
/* PUT DATA C1..C3: new algorithm attributes; the key they no longer fit goes. */
uint16_t opgp_put_attributes(struct cmd *c, enum opgp_key k, const uint8_t *v, size_t len);

/* state.c: the OpenPGP record of the state file (the contract's save and load). */
int opgp_save(const void *state, uint8_t **buf, size_t *len);
int opgp_load(struct scsim_card *card, const struct prof_app *use, const uint8_t *buf, size_t len,
              void **state);

/* The application's definition, for the registry. */
extern const struct app_def app_openpgp;

#endif
