/* SPDX-License-Identifier: MIT */
/* The PIV application's state, shared by its commands (piv.c) and its state record (state.c). */
#ifndef SCSIM_PIV_INTERNAL_H
#define SCSIM_PIV_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "apps/piv/profile.h"
#include "card_internal.h"

#define PIV_OBJS_MAX      48
#define PIV_OBJ_MAX_LEN   PROF_PIV_OBJ_MAX_LEN
#define PIV_REF_PIN       0x80
#define PIV_REF_GLOBAL    0x00 /* the card's global PIN, when the profile has one */
#define PIV_REF_PUK       0x81
#define PIV_REF_MGM       0x9b
#define PIV_TAG_DISCOVERY 0x7e
#define PIV_TAG_ATTEST    0x5fff01 /* the attestation key's certificate (YubiKey) */
#define PIV_TAG_PRINTED                                                                            \
        0x5fc109           /* printed information; YubiKey tools keep a management key there */
#define PIV_SLOT_ATTEST 24 /* index of slot F9 in piv->slots */

enum { POLICY_DEFAULT, POLICY_NEVER, POLICY_ONCE, POLICY_ALWAYS };
enum { ORIGIN_GENERATED = 1, ORIGIN_IMPORTED = 2 };

struct piv_slot {
        EVP_PKEY *key; /* NULL: empty slot */
        uint8_t *der;  /* the key DER-encoded, as the state record holds it: made once, with key */
        size_t der_len;
        enum prof_piv_alg alg;
        uint8_t pin_policy; /* never, once or always (default resolved at generation) */
        uint8_t origin;
};

struct piv_obj {
        uint32_t tag;  /* 0: free entry */
        uint8_t *data; /* the whole TLV GET DATA answers (53 ... or 7E ...) */
        size_t len;
};

/* Volatile, per logical channel. */
struct piv_chan {
        bool mgm_auth;
        bool pin_always; /* a VERIFY of the PIN not yet spent on a PIN-always slot */
        bool witness_valid;
        bool challenge_valid;
        uint8_t witness[16];
        uint8_t challenge[16];
};

struct piv {
        const struct prof_piv *sec; /* the profile's section (borrowed from the profile) */
        enum prof_piv_alg mgm_alg;
        uint8_t mgm_key[32];
        struct piv_slot slots[PROF_PIV_KEYS_MAX];
        struct piv_obj objs[PIV_OBJS_MAX];
        struct piv_chan ch[CARD_CHANNELS];
        bool attest_due; /* F9's key and certificate are still to be made (attest.c) */
};

#define PIV_AID_LEN 11
/* A0 00 00 03 08 00 00 10 00 01 00: the PIX with its version. */
extern const uint8_t piv_aid[PIV_AID_LEN];

static inline struct piv *piv_of(const struct cmd *c)
{
        return c->app;
}

/*
 * keys.c: a slot's key and its DER. piv_slot_set puts key (taken) and its
 * encoding into an empty slot: 0, or -1 with the slot still empty and key
 * not taken. piv_slot_set_der does so with DER the caller has (copied).
 * piv_slot_copy fills dst with src's key (another reference) and a copy of
 * its DER. piv_slot_clear frees a slot's key and wipes its DER.
 */
int piv_slot_set(struct piv_slot *s, EVP_PKEY *key);
int piv_slot_set_der(struct piv_slot *s, EVP_PKEY *key, const uint8_t *der, size_t der_len);
int piv_slot_copy(struct piv_slot *dst, const struct piv_slot *src);
void piv_slot_clear(struct piv_slot *s);

/* piv.c: the state from the profile (fresh, reset); 0 or -1. */
int piv_load_profile(struct piv *piv, const scsim_profile *p, const struct prof_piv *pp);
/* The global PIN (reference 00 in the MF) VERIFY accepts, as a CHV index, or -1. */
int piv_global_pin(const scsim_profile *p);
/* The CHV index of reference ref as seen from the command's channel, or -1. */
int piv_chv_index(const struct cmd *c, uint8_t ref);
/* The PIV PIN, or the global PIN the discovery object lets stand in for it, verified here. */
bool piv_pin_verified(const struct cmd *c);
bool piv_mgm_authenticated(const struct cmd *c);

/* objects.c: the objects a new card has. 0 or -1. */
int piv_default_chuid(struct piv *piv, const uint8_t guid[16]);
int piv_default_discovery(struct piv *piv, bool global);

/* keys.c: what a slot's key needs unless a policy says otherwise. */
uint8_t piv_default_policy(uint8_t slot);

/* Is the firmware version the card reports (GET VERSION) at least major.minor.patch? */
bool piv_version_at_least(const struct piv *piv, uint8_t major, uint8_t minor, uint8_t patch);
/* The YubiKey serial number GET SERIAL and attestations give (the profile's or the card's). */
uint32_t piv_serial(const struct cmd *c);

/*
 * attest.c: a card with attestation (firmware 4.3 on) has a key in F9
 * (P-256) and a self-signed attestation CA certificate in 5FFF01, made for
 * whichever of the two the profile did not give; made when first needed
 * (attest_due), since most cards never use them: piv_attest_ready makes
 * them if due, both or neither. It is the application's prepare hook,
 * run before each of its commands and before its record is encoded. 0 or -1.
 */
int piv_attest_ready(struct piv *piv);
/*
 * For a loaded record (piv) that holds neither F9's key nor its certificate
 * (written before the card had attestation): the pair of own, the state
 * the card has (made with it), or, when own has none yet, a pair due as
 * on a new card. 0 or -1.
 */
int piv_attest_adopt(struct piv *piv, struct piv *own);
/* Give the attestation key and certificate of b to a and a's to b (RESET keeps them). 0 or -1. */
int piv_swap_attestation(struct piv *a, struct piv *b);

/* Command handlers, one file per concept. */
cmd_handler piv_get_data;
cmd_handler piv_put_data;
void piv_secrets(uint8_t ins, const uint8_t *data, size_t len, bool *in, bool *out);
cmd_handler piv_general_authenticate;
cmd_handler piv_generate_key;
cmd_handler piv_import_key;
cmd_handler piv_get_version;
cmd_handler piv_get_serial;
cmd_handler piv_get_metadata;
cmd_handler piv_set_mgm_key;
cmd_handler piv_set_pin_retries;
cmd_handler piv_reset;
cmd_handler piv_attest;
cmd_handler piv_move_key;

/* Index into piv->slots of 9A 9C 9D 9E 82..95 F9, or -1; piv_slot_at is the inverse. */
int piv_slot_index(uint8_t slot);
uint8_t piv_slot_at(int idx);
/* Tags GET DATA and PUT DATA know: 5FC101..5FC123, 5FFFxx, 7E, 7F61. */
bool piv_valid_tag(uint32_t tag);
struct piv_obj *piv_find_obj(struct piv *piv, uint32_t tag);
/* Store a copy of the TLV; len 0 deletes. Returns 0 or -1 (no room). */
int piv_set_obj(struct piv *piv, uint32_t tag, const uint8_t *tlv, size_t len);
/* Free keys and objects and wipe the state (the struct itself stays). */
void piv_free_contents(struct piv *piv);

/* state.c: the PIV record of the state file (the contract's save and load). */
int piv_save(const void *state, uint8_t **buf, size_t *len);
int piv_load(struct scsim_card *card, const struct prof_app *use, const uint8_t *buf, size_t len,
             void **state);

/* The application's definition, for the registry. */
extern const struct app_def app_piv;

#endif
