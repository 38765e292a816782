/* SPDX-License-Identifier: MIT */
/* Driving a card from outside: snapshots of its durable state, tries left, injected faults. */
#ifndef SCSIM_CONTROL_H
#define SCSIM_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <scsim/card.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A copy of a card's durable state (codes, tries, files, keys, application records). */
typedef struct scsim_snapshot scsim_snapshot;

/* Copies card's durable state into a new *out. SCSIM_OK or an error; *out NULL on error. */
int scsim_card_snapshot(const scsim_card *card, scsim_snapshot **out);
/*
 * Puts a snapshot of a card of the same profile back, commits it to the
 * card's state file if it has one, and powers the card off (a restored card
 * starts cold: no security status survives). On error the card is unchanged.
 */
int scsim_card_restore(scsim_card *card, const scsim_snapshot *snap);
/* Wipes and frees; sets *snap to NULL. */
void scsim_snapshot_free(scsim_snapshot **snap);

/* The card's durable state back to what its profile says (a fresh card), powered off. */
int scsim_card_reset_state(scsim_card *card);

/* Calls fn once per reference data (CHVs, then keys) with its profile name and tries left. */
int scsim_card_tries(const scsim_card *card,
                     void (*fn)(void *arg, const char *name, unsigned tries), void *arg);

enum scsim_fault_kind {
        SCSIM_FAULT_SW = 1,  /* answer a status word */
        SCSIM_FAULT_DELAY,   /* the caller holds the answer for ms */
        SCSIM_FAULT_MUTE,    /* the caller sends no answer, and drops the link after ms */
        SCSIM_FAULT_DROP,    /* the caller drops the link before answering */
        SCSIM_FAULT_CORRUPT, /* one byte of the answer XORed with FF */
        /*
         * Power lost at the command's first durable write of the card's state
         * file: before it (the write fails, the state stays as it was) or after
         * it (that write is durable, any later one in the command fails). The
         * answer is lost: the caller drops the link as for DROP. A matching
         * APDU that writes nothing goes through, and the fault waits for the
         * next. Needs a state file (scsim_card_attach_state); while the
         * command runs it replaces the card's fault hook (scsim_card_set_fault_hook).
         */
        SCSIM_FAULT_TEAR
};

/* One fault and the APDUs it applies to. */
typedef struct scsim_fault {
        enum scsim_fault_kind kind;
        uint16_t sw;        /* SW: the status word */
        bool after;         /* SW: the card runs the command first (its effect stays) */
        unsigned ms;        /* DELAY, MUTE */
        size_t offset;      /* CORRUPT: the byte (past the end: the last) */
        bool match_ins;     /* only APDUs whose INS is ins */
        uint8_t ins;        /* with match_ins */
        uint8_t prefix[16]; /* only APDUs that start with these bytes (prefix_len > 0) */
        size_t prefix_len;  /* 0: no prefix condition */
        unsigned count;     /* applies to the next count matching APDUs; 0: until cleared */
} scsim_fault;

/* A card's faults, oldest first. */
typedef struct scsim_faults scsim_faults;

scsim_faults *scsim_faults_new(void);
void scsim_faults_free(scsim_faults **faults);
/* Adds a copy of f; *id (from 1, never reused by this list) names it. */
int scsim_faults_add(scsim_faults *faults, const scsim_fault *f, unsigned *id);
/* Removes fault id; 0 removes every one. SCSIM_ERR_INVALID_ARGUMENT when no fault has that id. */
int scsim_faults_clear(scsim_faults *faults, unsigned id);
/* How many faults are set, and the i-th (oldest first) with its id and the count left. */
size_t scsim_faults_count(const scsim_faults *faults);
const scsim_fault *scsim_faults_at(const scsim_faults *faults, size_t i, unsigned *id);

/* What scsim_faults_transmit did, and what the caller still has to do. */
typedef struct scsim_fault_action {
        unsigned id;                /* the fault applied; 0: none */
        enum scsim_fault_kind kind; /* with id */
        bool answer;                /* rapdu holds an answer to send (after ms, for DELAY);
                                       false for MUTE, DROP and a TEAR that happened */
        unsigned ms;                /* DELAY: hold the answer; MUTE: drop the link after */
} scsim_fault_action;

/*
 * scsim_card_transmit with the first matching fault applied (its count
 * spent): SW, CORRUPT and TEAR's power loss are done here (a torn card is
 * powered off); DELAY, MUTE, DROP and a TEAR's lost answer are the caller's
 * to enact on its link, as *action says.
 */
int scsim_faults_transmit(scsim_faults *faults, scsim_card *card, const uint8_t *capdu, size_t len,
                          uint8_t *rapdu, size_t cap, size_t *rlen, scsim_fault_action *action);

#ifdef __cplusplus
}
#endif

#endif
