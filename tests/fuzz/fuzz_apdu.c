/* SPDX-License-Identifier: MIT */
/*
 * APDU sequences against a card, with power off/on and warm resets
 * interleaved and allocations failing, checking the card's invariants after
 * every step:
 * - every answer ends with a status word from the documented set;
 * - a retry counter never grows except through a command that succeeded
 *   (9000) and restores that very reference (or its unblock code);
 * - a blocked reference never verifies, on whichever channel;
 * - after a reset or power cycle no channel holds any security status;
 * - the OpenPGP card's own passwords (PW1, resetting code, PW3) obey the
 *   same rules, and its signature counter never goes back but to zero;
 * - when allocations fail, a command that answers an error (6581 or any
 *   other from 6400 on) leaves the card's durable state (codes, counters,
 *   keys, objects, files, every application's record) as it was, but for
 *   at most one retry counter one lower: the try a guarded comparison spent
 *   and made durable before the failure, which never comes back;
 * - the first command in which an allocation failed answers as the same
 *   session without failures does (replayed on a new card), or 6581.
 * Input: 4 bytes of allocation-failure seed (fail_alloc.h; 0: nothing
 * fails), one byte choosing the shipped profile (iso7816-chv, two-apps, piv,
 * openpgp), then records: an op byte (F0 power cycle, F1 warm reset; F2 c:
 * select PIV and authenticate its management key on channel c; F3 i c:
 * VERIFY CHV i with its current value on channel c; F4 r c: VERIFY OpenPGP
 * reference 81 + r % 3 with its current password on channel c; else the
 * length of the C-APDU that follows). F2..F4 reach what a fuzzer cannot
 * guess: keys and codes. The profile byte's bit 7 attaches a state file
 * (attached.h) and makes two more ops: F5 b arms a commit failure, F6
 * checks the file against the card; then a command whose commit failed
 * leaves the file holding the card's durable state, but for a restore of
 * a full counter not yet written (and so does the end of the input, and
 * exactly so once the card is freed). OpenPGP's GENERATE (47 80) and PIV's
 * GENERATE of an RSA key are skipped: an RSA key takes from tens of
 * milliseconds to a second to make, a thousand times an APDU, and unit and
 * integration tests cover both; the profiles' RSA keys are fuzzed.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <scsim/scsim.h>

#include "apps/openpgp/openpgp.h"
#include "apps/piv/crypto.h"
#include "apps/piv/piv.h"
#include "attached.h"
#include "card_internal.h"
#include "durable.h"
#include "fail_alloc.h"
#include "iso/iso.h"

#define NO_RECORD SIZE_MAX

static const uint16_t documented[] = {
    0x9000, 0x6282, 0x6285, 0x6300, 0x6581, 0x6700, 0x6881, 0x6882, 0x6883,
    0x6884, 0x6981, 0x6982, 0x6983, 0x6984, 0x6985, 0x6986, 0x6a80, 0x6a81,
    0x6a82, 0x6a84, 0x6a86, 0x6a88, 0x6b00, 0x6d00, 0x6e00,
};

/* One run of the input's records against one card. */
struct session {
        const scsim_profile *profile;
        scsim_card *card;
        const uint8_t *records; /* the records, from the first, for a replay */
        size_t records_size;
        size_t sent;         /* APDU records sent so far */
        size_t stop_at;      /* a replay: the record whose answer is wanted, or NO_RECORD */
        uint16_t answer;     /* that record's status word */
        bool stopped;        /* the replay got it */
        bool failing;        /* allocations fail in this run */
        bool settled;        /* an allocation or a commit failed before the record now sent */
        bool state_ops;      /* the input asked for a state file: ops F5 and F6 are its */
        struct attached *st; /* the state file attached (NULL: none, as in a replay) */
};

static int sw_documented(uint16_t sw)
{
        if ((sw & 0xfff0) == 0x63c0 || (sw & 0xff00) == 0x6100 || (sw & 0xff00) == 0x6c00)
                return 1;
        for (size_t i = 0; i < sizeof(documented) / sizeof(documented[0]); i++)
                if (documented[i] == sw)
                        return 1;
        return 0;
}

/*
 * What two runs of one session must agree on: 61xx is 9000 with more data
 * waiting, and how much waits (or what 6Cxx says to ask for) depends on
 * the length of a signature, which need not be the same twice.
 */
static uint16_t sw_kind(uint16_t sw)
{
        if ((sw & 0xff00) == 0x6100)
                return 0x9000;
        if ((sw & 0xff00) == 0x6c00)
                return 0x6c00;
        return sw;
}

static void check_at(int cond, int line, const char *what)
{
        if (!cond) {
                fprintf(stderr, "fuzz_apdu.c:%d: invariant broken: %s\n", line, what);
                abort();
        }
}

/* Like assert, but in every build, and saying which invariant broke. */
#define check(cond) check_at((cond), __LINE__, #cond)

/* The OpenPGP application's state when the profile has one (its first application). */
static struct opgp *openpgp_of(const scsim_card *card)
{
        const scsim_profile *p = card->prof;

        return p->napps > 0 && p->apps[0].def == &app_openpgp ? card->app_state[0] : NULL;
}

static void check_no_status(const scsim_card *card)
{
        const struct opgp *op = openpgp_of(card);

        for (unsigned i = 0; i < CARD_CHANNELS; i++) {
                check(card->ch[i].chv_verified == 0 && card->ch[i].key_authenticated == 0 &&
                      !card->ch[i].challenge_valid);
                if (op != NULL)
                        check(!op->ch[i].pw1_cds && !op->ch[i].pw1_other && !op->ch[i].pw3);
        }
}

/*
 * OpenPGP: tries come back only with a 9000 from a command that may restore
 * them (a right password, an unblock, a new resetting code or KDF-DO, a
 * factory reset); a blocked PW1 or PW3 never verifies; the signature
 * counter only grows, or starts again at zero with a new key or a reset.
 */
static void check_openpgp(const struct opgp *op, const uint8_t before[OPGP_NPW], uint32_t count,
                          const uint8_t *apdu, size_t len, uint16_t sw)
{
        uint8_t ins = len > 1 ? apdu[1] : 0, p2 = len > 3 ? apdu[3] : 0;
        bool verify = ins == 0x20 && sw == 0x9000 && len > 5 && apdu[2] == 0x00;

        for (int i = 0; i < OPGP_NPW; i++)
                if (op->d.pw[i].tries > before[i])
                        check(sw == 0x9000 && (ins == 0x20 || ins == 0x24 || ins == 0x2c ||
                                               ins == 0xda || ins == 0x44));
        if (verify && (p2 == 0x81 || p2 == 0x82))
                check(before[OPGP_PW1] != 0);
        if (verify && p2 == 0x83)
                check(before[OPGP_PW3] != 0);
        check(op->d.sig_count >= count || op->d.sig_count == 0);
}

/* Every retry counter of the card: the profile's CHVs and keys, then OpenPGP's passwords. */
#define NCOUNTERS (PROF_CHVS_MAX + PROF_KEYS_MAX + OPGP_NPW)

struct counters {
        uint8_t *at[NCOUNTERS];
        uint8_t value[NCOUNTERS];
        uint8_t limit[NCOUNTERS]; /* what a right code restores */
        size_t n;
};

static void counters_take(scsim_card *card, struct counters *c)
{
        struct opgp *op = openpgp_of(card);

        c->n = 0;
        for (size_t i = 0; i < card->prof->nchvs; i++) {
                c->limit[c->n] = card->st.chv[i].limit;
                c->at[c->n++] = &card->st.chv[i].tries;
        }
        for (size_t i = 0; i < card->prof->nkeys; i++) {
                c->limit[c->n] = card->prof->keys[i].retries;
                c->at[c->n++] = &card->st.key[i].tries;
        }
        for (size_t i = 0; op != NULL && i < OPGP_NPW; i++) {
                c->limit[c->n] = op->d.pw[i].limit;
                c->at[c->n++] = &op->d.pw[i].tries;
        }
        for (size_t i = 0; i < c->n; i++)
                c->value[i] = *c->at[i];
}

/*
 * After an error (a status word from 6400 on: 6581 and the refusals): at
 * most one counter is one lower than before the command, and with it put
 * back for a moment, the durable state is what it was.
 */
static void check_rolled_back(scsim_card *card, const struct durable *before,
                              const struct counters *was)
{
        struct durable after;
        uint8_t *spent = NULL;

        for (size_t i = 0; i < was->n; i++) {
                uint8_t now = *was->at[i];
                if (now == was->value[i])
                        continue;
                check(now + 1 == was->value[i] && spent == NULL);
                spent = was->at[i];
        }
        if (spent != NULL)
                (*spent)++;
        check(durable_take(card, &after) == 0);
        if (spent != NULL)
                (*spent)--;
        if (!durable_equal(before, &after, "after an error")) {
                fprintf(stderr,
                        "a command that answered an error changed the card's durable state\n");
                abort();
        }
        durable_drop(&after);
}

/*
 * The state file against the card in memory: a new card attached to (a copy
 * of) the file has the card's durable state, but (unless exact) for at most
 * one counter one lower that is at its limit in memory: a right code's
 * restore of a full counter, which the file gets with the card's next write
 * or when the card is freed (docs/state.md). Any other counter the file
 * holds lower is a try the card handed back; anything else that differs was
 * lost or made up.
 */
static void check_reload(struct session *s, bool exact)
{
        struct counters mem, file;
        struct durable m, f;
        uint8_t *lower = NULL;
        scsim_card *again;

        fail_alloc_hold(1);
        again = attached_reload(s->profile);
        counters_take(s->card, &mem);
        counters_take(again, &file);
        check(mem.n == file.n);
        for (size_t i = 0; i < mem.n; i++) {
                if (file.value[i] == mem.value[i])
                        continue;
                if (exact || lower != NULL || file.value[i] + 1 != mem.value[i] ||
                    mem.value[i] != mem.limit[i])
                        fprintf(stderr, "counter %zu: %u in the file, %u in memory (limit %u)\n", i,
                                file.value[i], mem.value[i], mem.limit[i]);
                check(!exact && lower == NULL && file.value[i] + 1 == mem.value[i] &&
                      mem.value[i] == mem.limit[i]);
                lower = file.at[i];
        }
        if (lower != NULL)
                (*lower)++;
        check(durable_take(s->card, &m) == 0 && durable_take(again, &f) == 0);
        if (!durable_equal(&m, &f, "the state file")) {
                fprintf(stderr, "a new card on the state file differs from the card in memory\n");
                abort();
        }
        durable_drop(&m);
        durable_drop(&f);
        scsim_card_free(&again);
        fail_alloc_hold(0);
}

/* After a command or op in which a commit failed: no try handed back, nothing lost. */
static void check_commit_failed(struct session *s, unsigned long fired)
{
        if (s->st == NULL || s->st->fired == fired)
                return;
        s->settled = true; /* a replay without the failure is another session from here */
        check_reload(s, false);
}

/* VERIFY an OpenPGP reference (81, 82, 83) with its current password. */
static void openpgp_verify_right(scsim_card *card, uint8_t r, unsigned chno)
{
        static uint8_t rsp[SCSIM_RAPDU_MAX];
        const struct opgp *op = openpgp_of(card);
        const struct opgp_pw *pw;
        uint8_t apdu[5 + OPGP_PW_MAX];
        size_t rlen = 0;

        if (op == NULL)
                return;
        pw = &op->d.pw[r == 2 ? OPGP_PW3 : OPGP_PW1];
        apdu[0] = (uint8_t)chno;
        apdu[1] = 0x20;
        apdu[2] = 0x00;
        apdu[3] = (uint8_t)(0x81 + r);
        apdu[4] = pw->len;
        memcpy(apdu + 5, pw->value, pw->len);
        (void)scsim_card_transmit(card, apdu, 5 + (size_t)pw->len, rsp, sizeof(rsp), &rlen);
}

/* The CHVs (bit i) and keys (bit 16 + i) a command may give tries back to on a 9000. */
static uint32_t may_restore(const scsim_card *card, const uint8_t *apdu, size_t len)
{
        const struct channel *ch;
        struct cla_info cla;
        uint32_t mask = 0;
        int idx;

        if (len < 4 || apdu_decode_cla(apdu[0], &cla) != SW_OK || cla.channel >= CARD_CHANNELS)
                return 0;
        ch = &card->ch[cla.channel];
        switch (apdu[1]) {
        case 0x20: /* a right code; CHANGE REFERENCE DATA and ENABLE/DISABLE check one too */
        case 0x24:
        case 0x26:
        case 0x28:
                if ((idx = sec_find_chv(card, ch, apdu[3])) >= 0)
                        mask |= 1u << idx;
                break;
        case 0x2c: /* an unblock: the reference, and its unblock code on a match */
                if ((idx = sec_find_chv(card, ch, apdu[3])) >= 0) {
                        mask |= 1u << idx;
                        if (card->prof->chvs[idx].puk != PROF_NONE)
                                mask |= 1u << card->prof->chvs[idx].puk;
                }
                break;
        case 0x82:
                if ((idx = sec_find_key(card, ch, apdu[3])) >= 0)
                        mask |= 1u << (16 + idx);
                break;
        case 0xfa: /* YubiKey SET PIN RETRIES and RESET: PIV's PIN and PUK */
        case 0xfb:
                if ((idx = sec_find_chv(card, ch, 0x80)) >= 0)
                        mask |= 1u << idx;
                if ((idx = sec_find_chv(card, ch, 0x81)) >= 0)
                        mask |= 1u << idx;
                break;
        default:
                break;
        }
        return mask;
}

static void send(scsim_card *card, const uint8_t *apdu, size_t len, uint8_t *rsp, size_t *rlen)
{
        *rlen = 0;
        (void)scsim_card_transmit(card, apdu, len, rsp, SCSIM_RAPDU_MAX, rlen);
}

/* SELECT PIV and authenticate its management key (external: challenge, then response). */
static void piv_mgm_auth(scsim_card *card, unsigned chno)
{
        static const uint8_t aid[] = {0xa0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00, 0x10, 0x00};
        static uint8_t rsp[SCSIM_RAPDU_MAX];
        uint8_t apdu[64];
        const struct prof_app *use;
        const struct piv *piv;
        size_t rlen = 0, bs;
        int rc;

        memcpy(apdu, "\x00\xa4\x04\x00\x09", 5);
        memcpy(apdu + 5, aid, sizeof(aid));
        apdu[0] = (uint8_t)chno;
        send(card, apdu, 5 + sizeof(aid), rsp, &rlen);
        use = prof_app_of(card->prof, card->ch[chno].df);
        if (use == NULL || use->def != &app_piv)
                return;
        piv = card->app_state[use - card->prof->apps];
        bs = piv_sym_block(piv->mgm_alg);
        memcpy(apdu, "\x00\x87\x00\x9b\x04\x7c\x02\x81\x00", 9);
        apdu[0] = (uint8_t)chno;
        apdu[2] = (uint8_t)piv->mgm_alg;
        send(card, apdu, 9, rsp, &rlen);
        if (rlen != 4 + bs + 2 || rsp[rlen - 2] != 0x90)
                return;
        memcpy(apdu, "\x00\x87\x00\x9b\x00\x7c\x00\x82\x00", 9);
        apdu[0] = (uint8_t)chno;
        apdu[2] = (uint8_t)piv->mgm_alg;
        apdu[4] = (uint8_t)(4 + bs);
        apdu[6] = (uint8_t)(2 + bs);
        apdu[8] = (uint8_t)bs;
        /* the client's half: no failure of the card's */
        fail_alloc_hold(1);
        rc = piv_sym_encrypt(piv->mgm_alg, piv->mgm_key, rsp + 4, bs, apdu + 9);
        fail_alloc_hold(0);
        if (rc == 0)
                send(card, apdu, 9 + bs, rsp, &rlen);
}

/* VERIFY a CHV with its current value, as its profile pads it. */
static void verify_right(scsim_card *card, size_t idx, unsigned chno)
{
        static uint8_t rsp[SCSIM_RAPDU_MAX];
        const struct prof_chv *pc = &card->prof->chvs[idx];
        const struct chv_state *st = &card->st.chv[idx];
        uint8_t apdu[5 + PROF_CHV_MAX_LEN];
        size_t n = st->value_len, rlen = 0;

        if (!pc->has_ref || !pc->verifiable)
                return;
        apdu[0] = (uint8_t)chno;
        apdu[1] = 0x20;
        apdu[2] = 0x00;
        apdu[3] = pc->ref;
        memcpy(apdu + 5, st->value, n);
        if (pc->padding != PROF_PAD_NONE) {
                memset(apdu + 5 + n, pc->padding == PROF_PAD_FF ? 0xff : 0x00, pc->max_len - n);
                n = pc->max_len;
        }
        apdu[4] = (uint8_t)n;
        send(card, apdu, 5 + n, rsp, &rlen);
}

/* What the card held before a command, to judge what the command did. */
struct before {
        uint8_t chv[PROF_CHVS_MAX], key[PROF_KEYS_MAX], pw[OPGP_NPW];
        uint32_t sig_count;
        uint32_t allowed; /* may_restore's mask */
        struct counters counters;
        struct durable durable;
        bool has_durable;
};

static void take_before(struct session *s, const uint8_t *apdu, size_t len, struct before *b)
{
        scsim_card *card = s->card;
        const struct opgp *pgp = openpgp_of(card);

        memset(b, 0, sizeof(*b));
        for (size_t i = 0; i < card->prof->nchvs; i++)
                b->chv[i] = card->st.chv[i].tries;
        for (size_t i = 0; i < card->prof->nkeys; i++)
                b->key[i] = card->st.key[i].tries;
        for (int i = 0; pgp != NULL && i < OPGP_NPW; i++)
                b->pw[i] = pgp->d.pw[i].tries;
        b->sig_count = pgp != NULL ? pgp->d.sig_count : 0;
        b->allowed = may_restore(card, apdu, len);
        counters_take(card, &b->counters);
        if (s->failing || s->st != NULL) { /* only then can a command answer 6581 */
                check(durable_take(card, &b->durable) == 0);
                b->has_durable = true;
        }
}

/* What every answer is checked for: its status word, the counters, blocked references. */
static void check_answer(const struct session *s, const struct before *b, const uint8_t *apdu,
                         size_t len, uint16_t sw)
{
        const scsim_card *card = s->card;
        const scsim_profile *p = card->prof;
        const struct opgp *pgp = openpgp_of(card);
        uint8_t ins = len > 1 ? apdu[1] : 0;
        struct cla_info cla;

        check(sw_documented(sw));
        for (size_t i = 0; i < p->nchvs; i++) {
                if (card->st.chv[i].tries > b->chv[i])
                        check(sw == 0x9000 && (b->allowed & (1u << i)) != 0);
                /* a blocked reference never verifies, on the command's channel */
                if (b->chv[i] == 0 && ins == 0x20 && sw == 0x9000 && len > 5 &&
                    apdu_decode_cla(apdu[0], &cla) == SW_OK && cla.channel < CARD_CHANNELS)
                        check(card->st.chv[i].tries == 0 &&
                              !sec_chv_verified(&card->ch[cla.channel], i));
        }
        for (size_t i = 0; i < p->nkeys; i++)
                if (card->st.key[i].tries > b->key[i])
                        check(sw == 0x9000 && (b->allowed & (1u << (16 + i))) != 0);
        if (pgp != NULL)
                check_openpgp(pgp, b->pw, b->sig_count, apdu, len, sw);
}

static void play(struct session *s);

/* The answer the session's record s->sent gets when nothing fails, from a new card. */
static uint16_t replay_answer(const struct session *s)
{
        struct session r;

        memset(&r, 0, sizeof(r));
        r.profile = s->profile;
        r.state_ops = s->state_ops;
        r.records = s->records;
        r.records_size = s->records_size;
        r.stop_at = s->sent;
        fail_alloc_hold(1);
        play(&r);
        fail_alloc_hold(0);
        check(r.stopped);
        return r.answer;
}

/*
 * The first command in which an allocation failed answers 6581, or as
 * without the failure: an error other than "memory failure" would tell the
 * client something false about its command. When libcrypto's allocation
 * failed, 6A80 too: libcrypto 3.0 does not say whether it refused the
 * client's data (a key's parts, a peer's point, a cryptogram) or ran out of
 * memory, and the card answers 6A80 for both. Later commands are not
 * compared: a rolled-back command leaves the two runs apart.
 */
static void compare_first_failure(struct session *s, uint16_t sw)
{
        uint16_t want;

        if (!s->failing || s->settled || fail_alloc_failed() == 0)
                return;
        s->settled = true;
        if (sw == 0x6581 || (sw == 0x6a80 && fail_alloc_failed_crypto() > 0))
                return;
        want = replay_answer(s);
        if (sw_kind(want) != sw_kind(sw)) {
                fprintf(stderr,
                        "APDU record %zu answered %04X after an allocation failed, %04X "
                        "when none fails\n",
                        s->sent, sw, want);
                abort();
        }
}

/* SCSIM_FUZZ_TRACE=1 in the environment: each APDU record and its answer on stderr. */
static void trace(const struct session *s, const uint8_t *apdu, size_t len, uint16_t sw)
{
        static int on = -1;

        if (on < 0)
                on = getenv("SCSIM_FUZZ_TRACE") != NULL;
        if (!on)
                return;
        fprintf(stderr, "%s#%zu ", s->stop_at != NO_RECORD ? "  replay " : "", s->sent);
        for (size_t i = 0; i < len && i < 64; i++)
                fprintf(stderr, "%02X", apdu[i]);
        fprintf(stderr, "%s -> %04X (%lu failed; tries", len > 64 ? "..." : "", sw,
                fail_alloc_failed());
        for (size_t i = 0; i < s->card->prof->nchvs; i++)
                fprintf(stderr, " %u", s->card->st.chv[i].tries);
        fprintf(stderr, ")\n");
}

/* With SCSIM_FUZZ_TRACE: an op (F0..F6), its argument bytes, the CHV counters after it. */
static void trace_op(const struct session *s, uint8_t op, const uint8_t *data, size_t size)
{
        if (getenv("SCSIM_FUZZ_TRACE") == NULL || s->card == NULL)
                return;
        fprintf(stderr, "%sop %02X %02X %02X (%lu failed; tries",
                s->stop_at != NO_RECORD ? "  replay " : "", op, size > 0 ? data[0] : 0,
                size > 1 ? data[1] : 0, fail_alloc_failed());
        for (size_t i = 0; i < s->card->prof->nchvs; i++)
                fprintf(stderr, " %u", s->card->st.chv[i].tries);
        fprintf(stderr, ")\n");
}

static void one_apdu(struct session *s, const uint8_t *apdu, size_t len)
{
        static uint8_t rsp[SCSIM_RAPDU_MAX];
        struct before b;
        size_t rlen = 0;
        unsigned long fired = s->st != NULL ? s->st->fired : 0;
        uint16_t sw;
        int rc;

        if (fail_alloc_failed() > 0)
                s->settled = true;
        fail_alloc_hold(1);
        take_before(s, apdu, len, &b);
        fail_alloc_hold(0);
        rc = scsim_card_transmit(s->card, apdu, len, rsp, sizeof(rsp), &rlen);
        fail_alloc_hold(1);
        check(rc == SCSIM_OK && rlen >= 2);
        sw = (uint16_t)(rsp[rlen - 2] << 8 | rsp[rlen - 1]);
        trace(s, apdu, len, sw);
        check_answer(s, &b, apdu, len, sw);
        /* 64xx..6Fxx: the command was not carried out */
        if (b.has_durable && sw >= 0x6400 && sw < 0x7000)
                check_rolled_back(s->card, &b.durable, &b.counters);
        if (b.has_durable)
                durable_drop(&b.durable);
        fail_alloc_hold(0);
        check_commit_failed(s, fired);
        fail_alloc_hold(1);
        if (s->sent == s->stop_at) {
                s->answer = sw;
                s->stopped = true;
        } else {
                compare_first_failure(s, sw);
        }
        fail_alloc_hold(0);
        s->sent++;
}

/* F5 b: arm a commit failure (attached_arm); F6: check the state file now. */
static size_t play_state_op(struct session *s, uint8_t op, const uint8_t *data, size_t size)
{
        if (op == 0xf5 && size >= 1) {
                if (s->st != NULL)
                        attached_arm(s->st, data[0]);
                return 1;
        }
        if (s->st != NULL)
                check_reload(s, false);
        return 0;
}

static size_t play_ops(struct session *s, uint8_t op, const uint8_t *data, size_t size);

/* Play one record (its op byte taken, data/size what follows); returns the bytes it used. */
static size_t play_record(struct session *s, uint8_t op, const uint8_t *data, size_t size)
{
        unsigned long fired = s->st != NULL ? s->st->fired : 0;
        size_t used;

        if (s->state_ops && (op == 0xf6 || (op == 0xf5 && size >= 1))) {
                trace_op(s, op, data, size);
                return play_state_op(s, op, data, size);
        }
        used = play_ops(s, op, data, size);
        if (op >= 0xf0 && op <= 0xf4) {
                trace_op(s, op, data, size);
                check_commit_failed(s, fired);
        }
        return used;
}

/* A GENERATE the fuzzer skips (see the top): OpenPGP's, or one naming an RSA algorithm. */
static bool slow_generate(const scsim_card *card, const uint8_t *apdu, size_t len)
{
        if (len < 3 || apdu[1] != 0x47)
                return false;
        if (openpgp_of(card) != NULL && apdu[2] == 0x80)
                return true;
        /* PIV: AC { 80 01 alg ... }; RSA 1024, 2048, 3072, 4096 are 06, 07, 05, 16 */
        for (size_t i = 5; i + 2 < len; i++)
                if (apdu[i] == 0x80 && apdu[i + 1] == 0x01 &&
                    (apdu[i + 2] == 0x05 || apdu[i + 2] == 0x06 || apdu[i + 2] == 0x07 ||
                     apdu[i + 2] == 0x16))
                        return true;
        return false;
}

/* The ops F0..F4 and APDU records. */
static size_t play_ops(struct session *s, uint8_t op, const uint8_t *data, size_t size)
{
        scsim_card *card = s->card;
        size_t len = op;

        if (op == 0xf0) {
                scsim_card_power_off(card);
                check_no_status(card);
                scsim_card_power_on(card, NULL, NULL);
                check_no_status(card);
                return 0;
        }
        if (op == 0xf1) {
                scsim_card_reset(card, NULL, NULL);
                check_no_status(card);
                return 0;
        }
        if (op == 0xf2 && size >= 1) {
                piv_mgm_auth(card, data[0] % CARD_CHANNELS);
                return 1;
        }
        if (op == 0xf4 && size >= 2) {
                openpgp_verify_right(card, data[0] % 3, data[1] % CARD_CHANNELS);
                return 2;
        }
        if (op == 0xf3 && size >= 2) {
                if (card->prof->nchvs > 0)
                        verify_right(card, data[0] % card->prof->nchvs, data[1] % CARD_CHANNELS);
                return 2;
        }
        if (len > size)
                len = size;
        if (len > 0 && !slow_generate(card, data, len))
                one_apdu(s, data, len);
        return len;
}

/*
 * The end of a session with a state file: the file holds the card's state
 * but for a restore not yet written; once the card is freed (which writes
 * it), exactly the card's state.
 */
static void finish_attached(struct session *s)
{
        struct durable m, f;
        scsim_card *again;

        check_reload(s, false);
        s->st->stage = 0;
        check(durable_take(s->card, &m) == 0);
        scsim_card_free(&s->card);
        again = attached_reload(s->profile);
        check(durable_take(again, &f) == 0);
        if (!durable_equal(&m, &f, "the state file after the card was freed")) {
                fprintf(stderr, "the freed card's state file differs from its last state\n");
                abort();
        }
        durable_drop(&m);
        durable_drop(&f);
        scsim_card_free(&again);
}

static void play(struct session *s)
{
        static const uint8_t seed[] = "fuzz";
        const uint8_t *data = s->records;
        size_t size = s->records_size;

        /* a card that cannot be made is a refusal like any other */
        if ((s->card = scsim_card_new(s->profile)) == NULL)
                return;
        if (s->st != NULL && attached_open(s->st, s->card) != 0)
                abort();
        fail_alloc_hold(1);
        check(scsim_card_set_random_seed(s->card, seed, sizeof(seed)) == SCSIM_OK);
        check(scsim_card_power_on(s->card, NULL, NULL) == SCSIM_OK);
        fail_alloc_hold(0);
        while (size > 0 && !s->stopped) {
                uint8_t op = data[0];
                size_t used = play_record(s, op, data + 1, size - 1);
                data += 1 + used;
                size -= 1 + used;
        }
        fail_alloc_hold(1);
        if (s->st != NULL && !s->stopped)
                finish_attached(s);
        scsim_card_free(&s->card);
        fail_alloc_hold(0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char *const names[] = {
            "iso7816-chv", SCSIM_SOURCE_DIR "/profiles/two-apps.yaml",
            SCSIM_SOURCE_DIR "/profiles/piv.yaml", SCSIM_SOURCE_DIR "/profiles/openpgp.yaml"};
        static scsim_profile *profiles[4];
        static struct attached st;
        struct session s;
        uint32_t seed;

        if (profiles[0] == NULL) {
                fail_alloc_warm_up();
                for (size_t i = 0; i < 4; i++)
                        if (scsim_profile_open(names[i], &profiles[i], NULL) != SCSIM_OK)
                                abort();
        }
        seed = fail_alloc_seed(&data, &size);
        if (size == 0)
                return 0;
        memset(&s, 0, sizeof(s));
        s.profile = profiles[data[0] % 4u];
        s.state_ops = (data[0] & 0x80) != 0;
        s.st = s.state_ops ? &st : NULL;
        s.records = data + 1;
        s.records_size = size - 1;
        s.stop_at = NO_RECORD;
        s.failing = seed != 0;
        fail_alloc_start(seed);
        play(&s);
        fail_alloc_stop();
        return 0;
}
