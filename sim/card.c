/* SPDX-License-Identifier: MIT */
/* The card: lifecycle, power, the APDU pipeline (class, chaining, dispatch, GET RESPONSE). */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include <scsim/err.h>

#include "card_internal.h"

#define INS_GET_RESPONSE 0xc0

/* The application the channel's current DF belongs to, or NULL. */
static const struct prof_app *channel_app(const scsim_card *card, unsigned chno)
{
        return prof_app_of(card->prof, card->ch[chno].df);
}

static void *app_state_of(scsim_card *card, const struct prof_app *use)
{
        return use != NULL ? card->app_state[use - card->prof->apps] : NULL;
}

int app_save(const struct scsim_card *card, size_t i, uint8_t **buf, size_t *len)
{
        const struct app_def *app = card->prof->apps[i].def;
        void *state = card->app_state[i];

        *buf = NULL;
        *len = 0;
        if (app->save == NULL || state == NULL)
                return 0;
        if (app->prepare != NULL && app->prepare(state) != 0)
                return -1;
        return app->save(state, buf, len);
}

/* Create the state of every application of the profile. */
static int apps_init(scsim_card *card)
{
        const scsim_profile *p = card->prof;

        for (size_t i = 0; i < p->napps; i++) {
                const struct app_def *app = p->apps[i].def;
                if (app->init != NULL && app->init(card, &p->apps[i], &card->app_state[i]) != 0)
                        return -1;
        }
        return 0;
}

static int state_init(struct card_state *st, const scsim_profile *p)
{
        size_t total = 0;

        memset(st, 0, sizeof(*st));
        for (size_t i = 0; i < p->nfiles; i++) {
                st->ef_off[i] = total;
                if (p->files[i].type == PROF_FILE_EF)
                        total += p->files[i].size;
        }
        st->ef = calloc(1, total > 0 ? total : 1);
        if (st->ef == NULL)
                return -1;
        st->ef_len = total;
        for (size_t i = 0; i < p->nfiles; i++)
                if (p->files[i].type == PROF_FILE_EF && p->files[i].content_len > 0)
                        memcpy(st->ef + st->ef_off[i], p->blob + p->files[i].content_off,
                               p->files[i].content_len);
        for (size_t i = 0; i < p->nchvs; i++) {
                memcpy(st->chv[i].value, p->chvs[i].value, p->chvs[i].value_len);
                st->chv[i].value_len = p->chvs[i].value_len;
                st->chv[i].tries = p->chvs[i].retries;
                st->chv[i].limit = p->chvs[i].retries;
                st->chv[i].enabled = p->chvs[i].enabled;
        }
        for (size_t i = 0; i < p->nkeys; i++)
                st->key[i].tries = p->keys[i].retries;
        return 0;
}

scsim_card *scsim_card_new(const scsim_profile *profile)
{
        scsim_card *card = NULL;

        if (profile == NULL || profile->nfiles == 0)
                return NULL;
        if ((card = calloc(1, sizeof(*card))) == NULL)
                return NULL;
        card->prof = profile;
        card->resp = malloc(SCSIM_RAPDU_MAX);
        card->chain = malloc(CARD_CHAIN_MAX);
        if (card->resp == NULL || card->chain == NULL || state_init(&card->st, profile) != 0) {
                scsim_card_free(&card);
                return NULL;
        }
        memcpy(card->serial, profile->serial, profile->serial_len);
        card->serial_len = profile->serial_len;
        if (apps_init(card) != 0) {
                scsim_card_free(&card);
                return NULL;
        }
        return card;
}

void scsim_card_free(scsim_card **cardp)
{
        scsim_card *card;

        if (cardp == NULL || (card = *cardp) == NULL)
                return;
        if (card->store != NULL)
                card->store->release(card->store_ctx);
        for (size_t i = 0; i < card->prof->napps; i++) {
                const struct app_def *app = card->prof->apps[i].def;
                if (card->app_state[i] != NULL && app->free != NULL)
                        app->free(&card->app_state[i]);
        }
        rng_free(&card->rng);
        if (card->st.ef != NULL) {
                OPENSSL_cleanse(card->st.ef, card->st.ef_len);
                free(card->st.ef);
        }
        if (card->chain != NULL) {
                OPENSSL_cleanse(card->chain, CARD_CHAIN_MAX);
                free(card->chain);
        }
        free(card->resp);
        OPENSSL_cleanse(card, sizeof(*card));
        free(card);
        *cardp = NULL;
}

void scsim_card_set_log(scsim_card *card, scsim_log_fn *fn, void *ctx)
{
        if (card == NULL)
                return;
        card->log.fn = fn;
        card->log.ctx = ctx;
}

int scsim_card_set_random_seed(scsim_card *card, const uint8_t *seed, size_t len)
{
        if (card == NULL || (seed == NULL && len != 0))
                return SCSIM_ERR_INVALID_ARGUMENT;
        return rng_seed(&card->rng, seed, len) == 0 ? SCSIM_OK : SCSIM_ERR_CRYPTO;
}

/* Everything volatile goes: channels, security status, challenges, chains, pending data. */
static void clear_volatile(scsim_card *card)
{
        for (unsigned i = 0; i < CARD_CHANNELS; i++)
                channel_reset(card, i, i == 0, 0);
        card->resp_len = 0;
        card->resp_off = 0;
        if (card->chaining)
                OPENSSL_cleanse(card->chain, card->chain_len);
        card->chaining = false;
        card->chain_len = 0;
}

int scsim_card_atr(const scsim_card *card, const uint8_t **atr, size_t *atr_len)
{
        if (card == NULL || atr == NULL || atr_len == NULL)
                return SCSIM_ERR_INVALID_ARGUMENT;
        *atr = card->prof->atr;
        *atr_len = card->prof->atr_len;
        return SCSIM_OK;
}

int scsim_card_power_on(scsim_card *card, const uint8_t **atr, size_t *atr_len)
{
        if (card == NULL)
                return SCSIM_ERR_INVALID_ARGUMENT;
        clear_volatile(card);
        card->powered = true;
        if (atr != NULL && atr_len != NULL)
                return scsim_card_atr(card, atr, atr_len);
        return SCSIM_OK;
}

int scsim_card_reset(scsim_card *card, const uint8_t **atr, size_t *atr_len)
{
        if (card == NULL)
                return SCSIM_ERR_INVALID_ARGUMENT;
        if (!card->powered)
                return SCSIM_ERR_POWERED_OFF;
        return scsim_card_power_on(card, atr, atr_len);
}

int scsim_card_power_off(scsim_card *card)
{
        if (card == NULL)
                return SCSIM_ERR_INVALID_ARGUMENT;
        clear_volatile(card);
        card->powered = false;
        return SCSIM_OK;
}

int scsim_card_is_powered(const scsim_card *card)
{
        return card != NULL && card->powered;
}

int scsim_card_serial(const scsim_card *card, const uint8_t **serial, size_t *len)
{
        if (card == NULL || serial == NULL || len == NULL)
                return SCSIM_ERR_INVALID_ARGUMENT;
        *serial = card->serial;
        *len = card->serial_len;
        return SCSIM_OK;
}

int scsim_card_set_serial(scsim_card *card, const uint8_t *serial, size_t len)
{
        if (card == NULL || (serial == NULL && len != 0) || len > sizeof(card->serial))
                return SCSIM_ERR_INVALID_ARGUMENT;
        if (len > 0)
                memcpy(card->serial, serial, len);
        card->serial_len = len;
        return SCSIM_OK;
}

const scsim_profile *scsim_card_profile(const scsim_card *card)
{
        return card != NULL ? card->prof : NULL;
}

static void drop_pending(scsim_card *card)
{
        card->resp_len = card->resp_off = 0;
}

static void abort_chain(scsim_card *card)
{
        if (card->chaining)
                OPENSSL_cleanse(card->chain, card->chain_len);
        card->chaining = false;
        card->chain_len = 0;
}

/*
 * Send up to ne bytes of the pending response; 61xx when more is waiting.
 * The bytes go to rapdu when cap holds them and the status word; either way
 * the card's state is as if they were sent.
 */
static size_t send_pending(scsim_card *card, size_t ne, uint8_t *rapdu, size_t cap, uint16_t *sw)
{
        size_t left = card->resp_len - card->resp_off;
        size_t n = left < ne ? left : ne;

        if (n + 2 <= cap)
                memcpy(rapdu, card->resp + card->resp_off, n);
        card->resp_off += n;
        left -= n;
        if (left == 0) {
                card->resp_len = card->resp_off = 0;
                *sw = SW_OK;
        } else {
                *sw = SW_MORE_DATA(left > 255 ? 0 : left);
        }
        return n;
}

static uint16_t get_response(scsim_card *card, const struct apdu *a, unsigned chno, uint8_t *rapdu,
                             size_t cap, size_t *n)
{
        uint16_t sw;

        *n = 0;
        if (a->p1 != 0 || a->p2 != 0)
                return SW_WRONG_P1P2;
        if (a->nc != 0 || a->ne == 0)
                return SW_WRONG_LENGTH;
        if (card->resp_len == 0 || card->resp_channel != chno) {
                card->resp_len = card->resp_off = 0;
                return SW_CONDITIONS;
        }
        *n = send_pending(card, a->ne, rapdu, cap, &sw);
        return sw;
}

/*
 * Chaining: every part but the last has CLA b5 set and the same INS P1 P2;
 * parts are collected here and the handler sees one command. Returns 9000
 * with *run set when the command is complete (possibly with *a rewritten to
 * the whole data), 9000 with *run clear for an accepted intermediate part
 * (the answer to send), or an error status word.
 */
static uint16_t handle_chaining(scsim_card *card, struct apdu *a, const struct cla_info *cla,
                                const struct cmd_def *def, bool *run)
{
        bool same = card->chaining && card->chain_ins == a->ins && card->chain_p1 == a->p1 &&
                    card->chain_p2 == a->p2 && card->chain_channel == cla->channel;

        *run = false;
        if (card->chaining && !same) {
                OPENSSL_cleanse(card->chain, card->chain_len);
                card->chaining = false;
                card->chain_len = 0;
                return SW_LAST_CMD_EXPECTED;
        }
        if (!cla->chained && !card->chaining) {
                *run = true;
                return SW_OK;
        }
        if ((def->flags & CMD_CHAINABLE) == 0) {
                card->chaining = false;
                card->chain_len = 0;
                return SW_CHAINING_UNSUPPORTED;
        }
        if (a->nc > CARD_CHAIN_MAX - card->chain_len) {
                OPENSSL_cleanse(card->chain, card->chain_len);
                card->chaining = false;
                card->chain_len = 0;
                return SW_WRONG_LENGTH;
        }
        if (a->nc > 0)
                memcpy(card->chain + card->chain_len, a->data, a->nc);
        card->chain_len += a->nc;
        if (cla->chained) {
                card->chaining = true;
                card->chain_ins = a->ins;
                card->chain_p1 = a->p1;
                card->chain_p2 = a->p2;
                card->chain_channel = cla->channel;
                return SW_OK;
        }
        card->chaining = false;
        a->data = card->chain_len > 0 ? card->chain : NULL;
        a->nc = card->chain_len;
        *run = true;
        return SW_OK;
}

/*
 * Where a handler writes its answer: straight into the caller's buffer when
 * that holds any answer and is not the command itself (one copy fewer for
 * every byte), else the card's own.
 */
static uint8_t *answer_buffer(scsim_card *card, const uint8_t *capdu, size_t len, uint8_t *rapdu,
                              size_t cap)
{
        uintptr_t r = (uintptr_t)rapdu, c = (uintptr_t)capdu;

        if (cap >= SCSIM_RAPDU_MAX && (r + cap <= c || c + len <= r))
                return rapdu;
        return card->resp;
}

/* The answer is secret when the row says so, or the application does for what the command named. */
static bool answer_secret(const struct cmd_def *def, const struct prof_app *app,
                          const struct apdu *a)
{
        bool in = false, out = (def->flags & CMD_SECRET_OUT) != 0;

        if (!out && app != NULL && app->def->secrets != NULL)
                app->def->secrets(a->ins, a->data, a->nc, &in, &out);
        return out;
}

/*
 * The handler's data (out) for an APDU that asked for ne bytes: up to ne
 * now, the rest waiting in card->resp for GET RESPONSE (61xx). Returns the
 * bytes that go out now, in place at rapdu when the handler wrote there.
 */
static size_t deliver(scsim_card *card, const struct rbuf *out, size_t ne, unsigned chno,
                      bool secret, uint8_t *rapdu, size_t cap, uint16_t *sw)
{
        size_t n = out->len < ne ? out->len : ne;

        if (out->len == 0 || (*sw != SW_OK && out->len <= ne)) {
                if (out->p != rapdu && out->len + 2 <= cap)
                        memcpy(rapdu, out->p, out->len);
                return out->len;
        }
        card->resp_channel = chno;
        card->resp_secret = secret;
        if (out->p != rapdu) {
                card->resp_len = out->len;
                card->resp_off = 0;
                return send_pending(card, ne, rapdu, cap, sw);
        }
        /* in place: the first n bytes are where they go, the rest waits */
        card->resp_len = out->len - n;
        card->resp_off = 0;
        if (card->resp_len > 0)
                memcpy(card->resp, out->p + n, card->resp_len);
        *sw = card->resp_len == 0 ? SW_OK : SW_MORE_DATA(card->resp_len > 255 ? 0 : card->resp_len);
        return n;
}

/*
 * Run one command and put its answer (data, then SW) into rapdu, when cap
 * holds it (else *rlen is what it needed; the card's state is as if it was
 * sent). Data longer than Ne waits in card->resp for GET RESPONSE.
 */
/*
 * A row marked no-Le takes no Le: CLA INS P1 P2 00 is how T=0 carries a
 * case-1 command, and clients (yubico-piv-tool) send it so, read as case 1;
 * any other Le is a malformed command (6700).
 */
static uint16_t no_le(const struct cmd_def *def, struct apdu *a)
{
        if ((def->flags & CMD_NO_LE) == 0 || a->ne == 0)
                return SW_OK;
        if (a->kase != APDU_CASE_2S || a->ne != 256)
                return SW_WRONG_LENGTH;
        a->ne = 0;
        a->kase = APDU_CASE_1;
        return SW_OK;
}

/* Run the row's handler on channel chno and deliver its answer; the data's length in rapdu. */
static size_t run_handler(scsim_card *card, const struct cmd_def *def, const struct prof_app *app,
                          const struct apdu *a, unsigned chno, const uint8_t *capdu, size_t len,
                          uint8_t *rapdu, size_t cap, uint16_t *sw)
{
        const struct prof_app *app_after;
        struct rbuf out;
        struct cmd c;
        size_t ne;
        bool secret;

        out.p = answer_buffer(card, capdu, len, rapdu, cap);
        out.cap = SCSIM_RAPDU_MAX - 2;
        out.len = 0;
        out.overflow = false;
        c.card = card;
        c.apdu = a;
        c.ch = &card->ch[chno];
        c.chno = chno;
        c.out = &out;
        c.app = app_state_of(card, app);
        /* judged before the handler runs: a chain's data is wiped after it */
        secret = answer_secret(def, app, a);
        *sw = def->fn(&c);
        app_after = channel_app(card, chno);
        /* leaving an application (SELECT elsewhere) drops its security state on this channel */
        if (app != NULL && app_after != app && app->def->clear_channel != NULL)
                app->def->clear_channel(app_state_of(card, app), chno);
        if (a->data == card->chain) {
                OPENSSL_cleanse(card->chain, card->chain_len);
                card->chain_len = 0;
        }
        ne = a->ne;
        if (ne == 0 && ((app != NULL && app->def->implicit_le) ||
                        (app_after != NULL && app_after->def->implicit_le)))
                ne = a->extended ? 65536 : 256;
        return deliver(card, &out, ne, chno, secret, rapdu, cap, sw);
}

static size_t process(scsim_card *card, const uint8_t *capdu, size_t len, uint8_t *rapdu,
                      size_t cap)
{
        struct apdu a;
        struct cla_info cla;
        const struct cmd_def *def;
        const struct prof_app *app = NULL;
        bool run = false;
        uint16_t sw;
        size_t n = 0;

        if (apdu_decode(capdu, len, &a) != 0) {
                sw = SW_WRONG_LENGTH;
                goto refused;
        }
        if ((sw = apdu_decode_cla(a.cla, &cla)) != SW_OK)
                goto refused;
        if (cla.channel >= CARD_CHANNELS || !card->ch[cla.channel].open) {
                sw = SW_CHANNEL_UNSUPPORTED;
                goto refused;
        }
        if (cla.sm) {
                sw = SW_SM_UNSUPPORTED;
                goto refused;
        }
        if (a.ins == INS_GET_RESPONSE && !card->chaining) {
                /* only UPDATE BINARY chains on this card; a chained GET RESPONSE is malformed */
                sw = cla.chained ? SW_CHAINING_UNSUPPORTED
                                 : get_response(card, &a, cla.channel, rapdu, cap, &n);
                goto done;
        }
        drop_pending(card); /* any other command drops pending data */
        app = channel_app(card, cla.channel);
        if (app != NULL && app->def->prepare != NULL &&
            app->def->prepare(app_state_of(card, app)) != 0) {
                sw = SW_MEMORY_FAILURE;
                goto refused;
        }
        def = app_command(app != NULL ? app->def : NULL, a.ins);
        if (def == NULL || def->fn == NULL) {
                sw = card->chaining ? SW_LAST_CMD_EXPECTED : SW_INS_UNSUPPORTED;
                card->chaining = false;
                card->chain_len = 0;
                goto done;
        }
        if ((sw = handle_chaining(card, &a, &cla, def, &run)) != SW_OK || !run)
                goto done;
        if ((sw = no_le(def, &a)) != SW_OK)
                goto done;
        n = run_handler(card, def, app, &a, cla.channel, capdu, len, rapdu, cap, &sw);
        goto done;
refused:
        /* a command the card refuses outright is another command all the same */
        drop_pending(card);
        abort_chain(card);
done:
        if (n + 2 <= cap) {
                rapdu[n] = (uint8_t)(sw >> 8);
                rapdu[n + 1] = (uint8_t)sw;
        }
        return n + 2;
}

int scsim_card_transmit(scsim_card *card, const uint8_t *capdu, size_t len, uint8_t *rapdu,
                        size_t cap, size_t *rlen)
{
        size_t n;

        if (rlen != NULL)
                *rlen = 0;
        if (card == NULL || capdu == NULL || rapdu == NULL || rlen == NULL || len == 0 ||
            len > SCSIM_CAPDU_MAX)
                return SCSIM_ERR_INVALID_ARGUMENT;
        if (!card->powered)
                return SCSIM_ERR_POWERED_OFF;
        n = process(card, capdu, len, rapdu, cap);
        if (n > cap)
                return SCSIM_ERR_BUFFER_TOO_SMALL;
        *rlen = n;
        return SCSIM_OK;
}
