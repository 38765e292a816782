/* SPDX-License-Identifier: MIT */
/*
 * The OpenPGP Smart Card Application, version 3.4 of the functional
 * specification (section numbers in comments are that document's). This
 * file has the application's definition: its commands, its lifecycle
 * (creation from the profile, TERMINATE DF and ACTIVATE FILE), SELECT and
 * the security status every command consults. PW1, PW3 and the resetting
 * code are the application's own (pw.c): one PW1 value and counter serve
 * two references, 81 and 82, which no profile CHV can express.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "apps/openpgp/openpgp.h"
#include "pkey.h"
#include "tlv.h"

#define SW_TERMINATED 0x6285 /* 7.2.1: the selected application is in termination state */

static const uint8_t rid_pix[] = {0xd2, 0x76, 0x00, 0x01, 0x24, 0x01};
static const uint8_t version[] = {0x03, 0x04};

/* 4.2.1: RID, application, version, manufacturer, serial number (the card's last 4 bytes), RFU. */
static size_t opgp_df_name(const struct scsim_card *card, const void *state, uint8_t *out)
{
        const struct opgp *op = state;
        uint8_t serial[4] = {0};
        size_t n = card->serial_len < 4 ? card->serial_len : 4;

        memcpy(serial + 4 - n, card->serial + card->serial_len - n, n);
        memcpy(out, rid_pix, sizeof(rid_pix));
        memcpy(out + 6, version, sizeof(version));
        out[8] = (uint8_t)(op->sec->manufacturer >> 8);
        out[9] = (uint8_t)op->sec->manufacturer;
        memcpy(out + 10, serial, 4);
        out[14] = 0x00;
        out[15] = 0x00;
        return 16;
}

bool opgp_access_ok(const struct cmd *c, enum opgp_access acc)
{
        const struct opgp_chan *ch = &opgp_of(c)->ch[c->chno];

        switch (acc) {
        case ACC_ALWAYS:
                return true;
        case ACC_NEVER:
                return false;
        case ACC_PW1:
                return ch->pw1_other;
        case ACC_PW3:
                return ch->pw3;
        }
        return false;
}

uint16_t opgp_commit(struct cmd *c, const struct opgp_data *before)
{
        if (card_commit_app(c->card, opgp_of(c)) == 0)
                return SW_OK;
        /* memory never runs ahead of the file */
        opgp_of(c)->d = *before;
        return SW_MEMORY_FAILURE;
}

void opgp_forget_all(struct opgp *op)
{
        for (unsigned i = 0; i < CARD_CHANNELS; i++) {
                op->ch[i].pw1_cds = false;
                op->ch[i].pw1_other = false;
                op->ch[i].pw3 = false;
        }
}

static void opgp_clear_channel(void *state, unsigned chno)
{
        struct opgp *op = state;

        if (op != NULL && chno < CARD_CHANNELS)
                memset(&op->ch[chno], 0, sizeof(op->ch[chno]));
}

/* Lifecycle ------------------------------------------------------------------------------- */

void opgp_free_contents(struct opgp *op)
{
        for (size_t k = 0; k < OPGP_NKEYS; k++) {
                struct opgp_held h = {op->key[k], op->der[k], op->der_len[k]};
                opgp_held_free(&h);
        }
        OPENSSL_cleanse(op, sizeof(*op));
}

static void load_passwords(struct opgp_data *d, const struct prof_openpgp *sec)
{
        for (size_t i = 0; i < OPGP_NPW; i++) {
                struct opgp_pw *pw = &d->pw[i];
                memcpy(pw->value, sec->pw[i], sec->pw_len[i]);
                pw->len = (uint8_t)sec->pw_len[i];
                pw->limit = sec->retries[i];
                /* 4.3.4: no resetting code, no tries */
                pw->tries = pw->len > 0 ? pw->limit : 0;
        }
        d->pw1_status = sec->pw1_status;
}

/* The profile's key k: decoded from its DER, or generated now. */
static int load_key(struct opgp *op, const scsim_profile *p, const struct prof_openpgp *sec,
                    enum opgp_key k)
{
        const struct prof_opgp_key *pk = &sec->keys[k];
        static const enum opgp_slot fpr[] = {DO_FPR_SIG, DO_FPR_DEC, DO_FPR_AUT};
        static const enum opgp_slot time[] = {DO_TIME_SIG, DO_TIME_DEC, DO_TIME_AUT};
        struct opgp_alg alg;

        if (!pk->present)
                return 0;
        if (opgp_key_alg(&op->d, k, &alg) != 0)
                return -1;
        if (pk->der_len > 0) {
                /* the profile holds the key as the card keeps it: kept as it is */
                op->key[k] = pkey_from_der(opgp_key_type(&alg), p->blob + pk->der_off, pk->der_len);
                op->d.key_status[k] = KEY_IMPORTED;
                if (op->key[k] == NULL || !opgp_key_fits(op->key[k], &alg) ||
                    (op->der[k] = OPENSSL_memdup(p->blob + pk->der_off, pk->der_len)) == NULL)
                        return -1;
                op->der_len[k] = pk->der_len;
        } else {
                op->key[k] = opgp_generate(&alg);
                op->d.key_status[k] = KEY_GENERATED;
                if (op->key[k] == NULL || !opgp_key_fits(op->key[k], &alg) ||
                    opgp_key_encode(op->key[k], &op->der[k], &op->der_len[k]) != 0)
                        return -1;
        }
        if (pk->has_fpr)
                opgp_do_set(&op->d, fpr[k], pk->fpr, sizeof(pk->fpr));
        if (pk->created != 0) {
                uint8_t t[4] = {(uint8_t)(pk->created >> 24), (uint8_t)(pk->created >> 16),
                                (uint8_t)(pk->created >> 8), (uint8_t)pk->created};
                opgp_do_set(&op->d, time[k], t, sizeof(t));
        }
        return 0;
}

int opgp_load_profile(struct opgp *op, const scsim_profile *p, const struct prof_openpgp *sec)
{
        static const uint8_t kdf_none[] = {0x81, 0x01, 0x00}; /* 4.3.2: KDF not used */
        static const enum opgp_slot attr[] = {DO_ATTR_SIG, DO_ATTR_DEC, DO_ATTR_AUT};

        memset(op, 0, sizeof(*op));
        op->sec = sec;
        load_passwords(&op->d, sec);
        opgp_do_set(&op->d, DO_KDF, kdf_none, sizeof(kdf_none));
        for (size_t k = 0; k < OPGP_NKEYS; k++)
                opgp_do_set(&op->d, attr[k], sec->attr[k], sec->attr_len[k]);
        for (size_t i = 0; i < sec->ndos; i++) {
                int slot = opgp_do_slot(sec->dos[i].tag);
                if (slot < 0)
                        return -1;
                opgp_do_set(&op->d, (enum opgp_slot)slot, p->blob + sec->dos[i].off,
                            sec->dos[i].len);
        }
        for (size_t k = 0; k < OPGP_NKEYS; k++)
                if (load_key(op, p, sec, (enum opgp_key)k) != 0)
                        return -1;
        return 0;
}

static int opgp_init(struct scsim_card *card, const struct prof_app *use, void **state)
{
        struct opgp *op = calloc(1, sizeof(*op));

        if (op == NULL)
                return -1;
        if (opgp_load_profile(op, card->prof, use->section) != 0) {
                opgp_free_contents(op);
                free(op);
                return -1;
        }
        *state = op;
        return 0;
}

static void opgp_free(void **state)
{
        struct opgp *op;

        if (state == NULL || (op = *state) == NULL)
                return;
        opgp_free_contents(op);
        free(op);
        *state = NULL;
}

/* SELECT, TERMINATE DF, ACTIVATE FILE ----------------------------------------------------- */

/* 7.2.1: the FCI holds the full AID; a terminated application answers 6285 to any SELECT. */
static uint16_t opgp_select_answer(struct cmd *c)
{
        uint8_t aid[16];
        size_t mark;

        if (opgp_of(c)->d.terminated)
                return SW_TERMINATED;
        if ((c->apdu->p2 & 0x0c) != 0x00)
                return 0;
        /*
         * Without Le (case 3) no data is expected: a T=1 card answers 9000
         * alone, and GnuPG's factory-reset, which selects that way through
         * SCD APDU, accepts nothing else.
         */
        if (c->apdu->ne == 0)
                return SW_OK;
        opgp_df_name(c->card, c->app, aid);
        if (!tlv_open(c->out, 0x6f, &mark) || !tlv_put(c->out, 0x84, aid, sizeof(aid)) ||
            !tlv_close(c->out, mark))
                return SW_MEMORY_FAILURE;
        return SW_OK;
}

/*
 * 7.2.16: TERMINATE DF only after PW3 was presented on this channel, or
 * when PW3 is blocked (how GnuPG's factory-reset gets there).
 */
static uint16_t opgp_terminate(struct cmd *c)
{
        struct opgp *op = opgp_of(c);
        struct opgp_data before;
        uint16_t sw;

        if (c->apdu->p1 != 0x00 || c->apdu->p2 != 0x00)
                return SW_WRONG_P1P2;
        if (c->apdu->nc != 0)
                return SW_WRONG_LENGTH;
        if (op->d.terminated)
                return SW_OK;
        if (!op->ch[c->chno].pw3 && op->d.pw[OPGP_PW3].tries != 0)
                return SW_CONDITIONS;
        before = op->d;
        op->d.terminated = true;
        if ((sw = opgp_commit(c, &before)) == SW_OK)
                opgp_forget_all(op);
        OPENSSL_cleanse(&before, sizeof(before));
        return sw;
}

/*
 * 7.2.17: ACTIVATE FILE in termination state brings the application back
 * as the profile makes it (keys, passwords, data objects); in the
 * operational state it does nothing.
 */
static uint16_t opgp_activate(struct cmd *c)
{
        struct opgp *op = opgp_of(c), *fresh;
        struct opgp_chan ch[CARD_CHANNELS];
        uint16_t sw = SW_OK;

        if (c->apdu->p1 != 0x00 || c->apdu->p2 != 0x00)
                return SW_WRONG_P1P2;
        if (c->apdu->nc != 0)
                return SW_WRONG_LENGTH;
        if (!op->d.terminated)
                return SW_OK;
        if ((fresh = calloc(1, sizeof(*fresh))) == NULL)
                return SW_MEMORY_FAILURE;
        if (opgp_load_profile(fresh, c->card->prof, op->sec) != 0) {
                opgp_free_contents(fresh);
                free(fresh);
                return SW_MEMORY_FAILURE;
        }
        memcpy(ch, op->ch, sizeof(ch));
        /* swap in the factory state; swap back if it cannot be made durable */
        {
                struct opgp old = *op;
                *op = *fresh;
                if (card_commit_app(c->card, op) != 0) {
                        *fresh = *op;
                        *op = old;
                        memcpy(op->ch, ch, sizeof(ch));
                        sw = SW_MEMORY_FAILURE;
                } else {
                        *fresh = old;
                }
                OPENSSL_cleanse(&old, sizeof(old));
        }
        opgp_free_contents(fresh);
        free(fresh);
        return sw;
}

static const struct cmd_def opgp_commands[] = {
    {0x20, "VERIFY", CMD_SECRET_IN, opgp_verify},
    {0x22, "MANAGE SECURITY ENVIRONMENT", 0, opgp_manage_security_environment},
    {0x24, "CHANGE REFERENCE DATA", CMD_SECRET_IN, opgp_change_reference_data},
    {0x2a, "PERFORM SECURITY OPERATION", CMD_CHAINABLE | CMD_SECRET_OUT, opgp_pso},
    {0x2c, "RESET RETRY COUNTER", CMD_SECRET_IN, opgp_reset_retry_counter},
    {0x44, "ACTIVATE FILE", 0, opgp_activate},
    {0x47, "GENERATE ASYMMETRIC KEY PAIR", 0, opgp_generate_pair},
    {0x84, "GET CHALLENGE", 0, opgp_get_challenge},
    {0x88, "INTERNAL AUTHENTICATE", CMD_CHAINABLE, opgp_internal_authenticate},
    {0xa5, "SELECT DATA", 0, opgp_select_data},
    {0xca, "GET DATA", 0, opgp_get_data},
    {0xcc, "GET NEXT DATA", 0, opgp_get_next_data},
    /* PUT DATA carries the resetting code, KDF hashes and, odd, private keys */
    {0xda, "PUT DATA", CMD_CHAINABLE | CMD_SECRET_IN, opgp_put_data},
    {0xdb, "PUT DATA", CMD_CHAINABLE | CMD_SECRET_IN, opgp_put_data},
    {0xe6, "TERMINATE DF", 0, opgp_terminate},
};

/* PW1, the resetting code when one is set, PW3: named as the profile section names them. */
static void opgp_tries(const void *state, void (*fn)(void *arg, const char *name, unsigned tries),
                       void *arg)
{
        static const char *const names[OPGP_NPW] = {"pw1", "resetting_code", "pw3"};
        const struct opgp *st = state;

        for (unsigned i = 0; i < OPGP_NPW; i++)
                if (i != OPGP_RC || st->d.pw[i].len != 0)
                        fn(arg, names[i], st->d.pw[i].tries);
}

const struct app_def app_openpgp = {
    .name = "openpgp",
    .commands = opgp_commands,
    .ncommands = sizeof(opgp_commands) / sizeof(opgp_commands[0]),
    .implicit_le = false,
    .section = &openpgp_section,
    .init = opgp_init,
    .free = opgp_free,
    .clear_channel = opgp_clear_channel,
    .select_answer = opgp_select_answer,
    .df_name = opgp_df_name,
    .save = opgp_save,
    .load = opgp_load,
    .tries = opgp_tries,
};
