/* SPDX-License-Identifier: MIT */
/* The application contract: all the card core and the profile loader know of an application. */
#ifndef SCSIM_APP_H
#define SCSIM_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <scsim/profile.h>

struct cmd;
struct scsim_card;
struct prof_app;
struct yaml_loader;
struct yaml_pos;
struct fy_node;

/* A command handler answers with an ISO status word and writes its data into c->out. */
typedef uint16_t cmd_handler(struct cmd *c);

/* What a command row says of its APDUs; the card and the trace read the same bits. */
enum cmd_flags {
        CMD_CHAINABLE = 1u << 0,  /* accepts command chaining (CLA b5) */
        CMD_SECRET_IN = 1u << 1,  /* the data field carries a PIN, key or cryptogram */
        CMD_SECRET_OUT = 1u << 2, /* the answer can carry a secret (decrypted data, ECDH) */
        CMD_NO_LE = 1u << 3,      /* no Le field (cases 1 and 3 only): an Le answers 6700 */
};

/*
 * One row per instruction. A row without a handler only names the INS (for
 * traces); the card answers it 6D00 like an INS no table has.
 */
struct cmd_def {
        uint8_t ins;
        const char *name;
        unsigned flags;
        cmd_handler *fn;
};

/*
 * The identity of the device a card plays, as several of its applications
 * report it (a YubiKey's firmware version and serial number appear in its
 * management, PIV and OpenPGP applications alike).
 */
struct app_identity {
        uint8_t firmware[3]; /* major, minor, patch */
        uint32_t serial;     /* 0: the card's serial number, its last 4 bytes big-endian */
        uint8_t form_factor; /* YubiKey's code: 01 USB-A keychain ...; 00 unspecified */
};

/*
 * An application's section of the profile: the YAML mapping under the
 * application's name. parse builds the section of the DF at file index df
 * (n NULL when the profile has no such key: defaults), reporting mistakes
 * through the loader and going on past each one to find the next
 * (profile/yaml_reader.h); it returns 0 with *section set, which belongs to
 * the profile from then on, or -1 when it reported anything.
 */
struct app_section {
        int (*parse)(struct yaml_loader *ld, struct fy_node *n, const struct yaml_pos *at,
                     uint16_t df, void **section);
        /*
         * The section's fields as YAML at two spaces of indent, as
         * scsim_profile_print asks: with SCSIM_PRINT_SECRETS in flags, the
         * whole section, loadable by parse into the same section; without
         * it, keys and codes masked. 0, or -1 when out of memory.
         */
        int (*print)(const scsim_profile *p, const void *section, FILE *out, unsigned flags);
        void (*free)(void *section);
        /*
         * The device identity the section gives, when the application owns
         * it; NULL otherwise. Sections are parsed in the registry's order, so
         * an application that reports the identity finds its owner's section
         * already parsed in the profile (app_identity_of) and adopts it.
         */
        void (*identity)(const void *section, struct app_identity *id);
};

/*
 * An application behind a DF (`application: NAME` in the profile). While a
 * channel's current DF is that DF or below it, the application's rows come
 * before the ISO ones; the ISO handlers serve what it leaves out.
 */
struct app_def {
        const char *name; /* the profile's `application:` value and the state record's name */
        const struct cmd_def *commands;
        size_t ncommands;
        /*
         * Answer data to commands without Le as if Le were 00, the way T=1
         * tokens such as YubiKeys do (yubico-piv-tool never sends Le).
         */
        bool implicit_le;
        const struct app_section *section; /* NULL: the application has no section */

        /* Durable state from the profile, at card creation. 0 or -1. */
        int (*init)(struct scsim_card *card, const struct prof_app *use, void **state);
        void (*free)(void **state);
        /* Forget channel chno's volatile state (reset, channel closed, DF left). */
        void (*clear_channel)(void *state, unsigned chno);
        /*
         * The answer to every SELECT of its DF (the DF is already current;
         * P2 says what is asked for): a status word with any data in c->out,
         * or 0 to let the ISO answer for that P2 stand. NULL: always the ISO answer.
         */
        uint16_t (*select_answer)(struct cmd *c);
        /*
         * The DF name SELECT by name matches and the FCP shows, when the
         * application makes it at run time (an OpenPGP AID holds the card's
         * serial number, which differs per slot): its length, at most
         * PROF_AID_MAX bytes into out. NULL: the profile's aid.
         */
        size_t (*df_name)(const struct scsim_card *card, const void *state, uint8_t *out);
        /*
         * The state file's record (docs/state.md): save encodes the durable
         * state into a new buffer (*len bytes; the caller cleanses and frees
         * it); load builds a new state from such bytes, or fails with -1 for
         * bytes it cannot use. NULL: nothing durable beyond the core's. The
         * record is encoded when the card is attached to a file and on each
         * card_commit_app() of its own state (card_internal.h), never on
         * another application's nor on card_commit_core(), which the core's
         * counters use: a record whose state did not change is not encoded.
         */
        int (*save)(const void *state, uint8_t **buf, size_t *len);
        /*
         * Make what the application leaves until it is first needed (PIV: its
         * attestation key and certificate, an EC key generation and a
         * signature that most cards never use): before any command on a
         * channel in the application, and before its record is encoded
         * (app_save). 0, or -1 (out of memory) with the state as it was.
         * NULL: nothing is left for later.
         */
        int (*prepare)(void *state);
        int (*load)(struct scsim_card *card, const struct prof_app *use, const uint8_t *buf,
                    size_t len, void **state);
        /*
         * The retry counters the application keeps itself (the core's CHVs
         * and keys are reported without it): fn once per code that is set,
         * with its name in the profile section. NULL: none of its own.
         */
        void (*tries)(const void *state, void (*fn)(void *arg, const char *name, unsigned tries),
                      void *arg);
        /*
         * For commands whose secrecy depends on what they name: sets *in when
         * the command's data (len bytes from its start, the first chained
         * APDU's on) carries a secret, *out when its answer does, beyond
         * what the row's flags say (a PIV object where YubiKey's tools keep
         * the management key). NULL: the rows say it all.
         */
        void (*secrets)(uint8_t ins, const uint8_t *data, size_t len, bool *in, bool *out);
};

/* The registry (sim/apps/registry.c): the one place that names every application. */
const struct app_def *app_find(const char *name, size_t len);
size_t app_count(void);
const struct app_def *app_at(size_t i);

/* The identity some application of profile p owns (0), or -1 when none does. */
int app_identity_of(const scsim_profile *p, struct app_identity *id);
/* The serial number an identity gives on this card (its own, or the card's last 4 bytes). */
uint32_t app_identity_serial(const struct app_identity *id, const struct scsim_card *card);

/* The row for ins in an application's table (app NULL: none), then in the ISO table. */
const struct cmd_def *app_command(const struct app_def *app, uint8_t ins);

#endif
