/* SPDX-License-Identifier: MIT */
/* What checks are written with: the run's state, APDUs in any length case, expectations, codes. */
#ifndef SCSIM_CLIENT_CONFORM_RUN_H
#define SCSIM_CLIENT_CONFORM_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conform.h"

/* What the card's ATR announces (ISO/IEC 7816-4:2013 12.1.1.9, card capabilities). */
struct cf_caps {
        bool known;        /* the historical bytes hold card capabilities */
        bool chaining;     /* command chaining */
        bool extended;     /* extended Lc and Le fields */
        unsigned channels; /* logical channels, the basic one included (1: none besides it) */
};

#define CF_RESP_MAX 65538

struct cf_run {
        const struct cf_target *t;
        const struct cf_card *card;
        bool destructive;
        struct cf_caps caps;
        uint8_t atr[33];
        size_t atr_len;
        scsim_hresult failure; /* the link failed: nothing more is sent */
        char failure_what[200];
        struct cf_result *cur;
        struct cf_exchange ring[CF_LOG_MAX];
        size_t nx;      /* exchanges of the current check, dropped ones included */
        bool mask_next; /* the next command's data is a secret: never kept */
        uint8_t resp[CF_RESP_MAX];
        size_t rlen;                /* the last answer's data, without the status word */
        uint8_t cbuf[65544];        /* the command being sent */
        uint8_t rbuf[CF_RESP_MAX];  /* its answer, status word included */
        uint8_t whole[CF_RESP_MAX]; /* an answer gathered over GET RESPONSEs */
        bool chv_bad[CF_CHVS_MAX];  /* the description's code was refused: no more tries */
        bool chv_good[CF_CHVS_MAX]; /* the card took the description's code in this run */
        bool key_bad[CF_KEYS_MAX];
        bool app_bad[4]; /* the same for codes an application keeps itself (OpenPGP PW1, RC, PW3) */
        /* references the current check sent codes or queries to: given back after it */
        bool chv_touched[CF_CHVS_MAX];
        bool app_touched[4];
        const struct cf_suite *suite;
};

/* A command APDU before encoding; ne CF_NO_LE for none, 1..65536 otherwise. */
struct cf_apdu {
        uint8_t cla, ins, p1, p2;
        const uint8_t *data;
        size_t nc;
        long ne;
        bool ext; /* extended Lc/Le fields even when short ones would do */
};
#define CF_NO_LE (-1L)

/* The bytes of a command in the length case its fields make (ISO/IEC 7816-3); 0: too long. */
size_t cf_encode(const struct cf_apdu *a, uint8_t *out, size_t cap);

/* One exchange: the status word (0 when the link failed), the data in r->resp / r->rlen. */
uint16_t cf_send(struct cf_run *r, const struct cf_apdu *a);
uint16_t cf_cmd(struct cf_run *r, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2,
                const uint8_t *data, size_t nc, long ne);
/* Any bytes at all, e.g. a length no case allows. */
uint16_t cf_raw(struct cf_run *r, const uint8_t *capdu, size_t len);
/* As cf_cmd, then GET RESPONSE while the card says 61xx: the whole answer in r->resp. */
uint16_t cf_cmd_all(struct cf_run *r, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2,
                    const uint8_t *data, size_t nc, long ne);
/* As cf_cmd_all, data of any length sent in parts with command chaining. */
uint16_t cf_cmd_chain(struct cf_run *r, uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2,
                      const uint8_t *data, size_t nc, long ne);
/* SCardReconnect with SCARD_RESET_CARD: 0, or -1 when the link failed. */
int cf_warm_reset(struct cf_run *r);

/* CLA of the first interindustry class for channels 0..3, of the further one for 4..19. */
uint8_t cf_cla(unsigned channel);

/* Outcomes; both print like "what: wanted 9000, got 6982" into the result. */
enum cf_verdict cf_fail(struct cf_run *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
enum cf_verdict cf_skip(struct cf_run *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
bool cf_want(struct cf_run *r, uint16_t got, uint16_t want, const char *what);
/* 63Cx with x = tries. */
bool cf_want_tries(struct cf_run *r, uint16_t got, unsigned tries, const char *what);
/* One of n status words. */
bool cf_want_one(struct cf_run *r, uint16_t got, const uint16_t *ok, size_t n, const char *what);
/* An error: anything but 9000, 61xx, 62xx, 63xx (a warning or success would mean it ran). */
bool cf_want_error(struct cf_run *r, uint16_t got, const char *what);

/* ---- the card's codes, from the description --------------------------------- */

enum cf_code {
        CF_CODE_RIGHT,
        CF_CODE_WRONG,     /* well formed, not the code */
        CF_CODE_SHORT,     /* one character shorter than the shortest the format allows */
        CF_CODE_NOT_DIGIT, /* a digits-only code with a letter in it */
        CF_CODE_BAD_PAD,   /* a padded code with a digit after the padding */
};

/* The code as sent (padded when the description says so); 0 when that kind cannot be made. */
size_t cf_code(const struct cf_chv *c, enum cf_code kind, uint8_t *out, size_t cap);
/* VERIFY 00 20 00 P2 with that code on a channel. */
uint16_t cf_verify(struct cf_run *r, unsigned ch, int chv, enum cf_code kind);
/* VERIFY without data: asks whether the reference is verified. */
uint16_t cf_query(struct cf_run *r, unsigned ch, int chv);
/* VERIFY 00 20 FF P2: ends the verification. */
uint16_t cf_verify_ff(struct cf_run *r, unsigned ch, int chv);

/* SELECT the MF, or a DF of the description (by AID when it has one, else by FIDs from the MF). */
int cf_select_mf(struct cf_run *r, unsigned ch);
int cf_select_df(struct cf_run *r, unsigned ch, int df);
/* SELECT of a CHV's own DF (nothing for a global one). */
int cf_select_home(struct cf_run *r, unsigned ch, int chv);

/*
 * Before a check touches a reference: the description's code is presented
 * (so a card that counted anything earlier has its counter full again), then
 * a warm reset clears the verification. CF_PASS when ready; a skip when the
 * description lacks the code, the retries leave no room for spend wrong
 * tries, or the card has one try left (a wrong description would block it);
 * a failure when the card refuses the code (never presented again).
 */
enum cf_verdict cf_chv_ready(struct cf_run *r, int chv, unsigned spend);

/* MANAGE CHANNEL open from the basic channel: the number the card gives, or -1. */
int cf_open_channel(struct cf_run *r);
uint16_t cf_close_channel(struct cf_run *r, unsigned ch);

/* Satisfy a file's rule with the description's codes and keys on a channel: 0, -1 (failed). */
int cf_satisfy(struct cf_run *r, unsigned ch, const struct cf_rule *rule);
/* Whether the description knows enough to satisfy the rule (codes, keys, not refused before). */
bool cf_can_satisfy(const struct cf_run *r, const struct cf_rule *rule);
/* GET CHALLENGE + EXTERNAL AUTHENTICATE with a described key: the status word of the latter. */
uint16_t cf_key_auth(struct cf_run *r, unsigned ch, int key);
/* The cryptogram of such a key: AES-128-ECB of one 16-byte block. 0 or -1. */
int cf_aes128_ecb(const uint8_t key[16], const uint8_t in[16], uint8_t out[16]);

#endif
