/* SPDX-License-Identifier: MIT */
/* The control operations on a slot: each shown to PC/SC as a removal, a change, an insertion. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <scsim/scsim.h>

#include "control.h"
#include "pcsc_watch.h"
#include "slot.h"

struct ctl_snap {
        struct ctl_snap *next;
        unsigned id;
        scsim_snapshot *snap;
};

/*
 * An operation under way: the card taken out (until PC/SC shows the reader
 * empty), the change made, the card put back (until PC/SC shows it).
 */
enum op_phase { PH_OUT, PH_IN };

struct ctl_op_run {
        struct ctl_req req;
        struct ctl_client *client; /* NULL: gone, the operation finishes unanswered */
        enum op_phase phase;
        bool put_back;               /* after the change, the card is offered again */
        bool seen_pcsc;              /* a reader name was there to watch */
        scsim_card *card;            /* insert/swap: the new card (owned until installed) */
        scsim_profile *profile;      /* its profile, when loaded for it */
        char *state_path;            /* its state file */
        const struct ctl_snap *snap; /* restore */
};

static const char *reader_of(const struct slot *s)
{
        return s->bridge->cfg->reader[s->index];
}

static void free_snaps(struct slot *s)
{
        while (s->snaps != NULL) {
                struct ctl_snap *n = s->snaps->next;
                scsim_snapshot_free(&s->snaps->snap);
                free(s->snaps);
                s->snaps = n;
        }
}

static void op_free(struct ctl_op_run **opp)
{
        struct ctl_op_run *op = *opp;

        if (op == NULL)
                return;
        scsim_card_free(&op->card);
        scsim_profile_free(&op->profile);
        free(op->state_path);
        free(op);
        *opp = NULL;
}

void ctl_ops_free_slot(struct slot *s)
{
        op_free(&s->op);
        free_snaps(s);
        scsim_faults_free(&s->faults);
        scsim_profile_free(&s->own_profile);
        free(s->state_path);
        s->state_path = NULL;
}

void ctl_ops_forget_client(struct slot *s, const struct ctl_client *cl)
{
        if (s->op != NULL && s->op->client == cl)
                s->op->client = NULL;
}

static struct json_object *ok_reply(void)
{
        struct json_object *r = json_object_new_object();

        json_object_object_add(r, "ok", json_object_new_boolean(1));
        return r;
}

static void add_tries(void *arg, const char *name, unsigned tries)
{
        json_object_object_add(arg, name, json_object_new_int64(tries));
}

static struct json_object *fault_json(const scsim_fault *f, unsigned id)
{
        static const char *const names[] = {"?", "sw", "delay", "mute", "drop", "corrupt", "tear"};
        struct json_object *o = json_object_new_object();
        char hex[40];

        json_object_object_add(o, "fault", json_object_new_int64(id));
        json_object_object_add(o, "kind", json_object_new_string(names[f->kind]));
        if (f->kind == SCSIM_FAULT_SW) {
                snprintf(hex, sizeof(hex), "%04X", (unsigned)f->sw);
                json_object_object_add(o, "sw", json_object_new_string(hex));
        }
        if (f->kind == SCSIM_FAULT_SW || f->kind == SCSIM_FAULT_TEAR)
                json_object_object_add(o, "when",
                                       json_object_new_string(f->after ? "after" : "before"));
        if (f->kind == SCSIM_FAULT_DELAY || f->kind == SCSIM_FAULT_MUTE)
                json_object_object_add(o, "ms", json_object_new_int64(f->ms));
        if (f->kind == SCSIM_FAULT_CORRUPT)
                json_object_object_add(o, "offset", json_object_new_int64((int64_t)f->offset));
        if (f->match_ins || f->prefix_len > 0) {
                struct json_object *m = json_object_new_object();
                if (f->match_ins) {
                        snprintf(hex, sizeof(hex), "%02X", (unsigned)f->ins);
                        json_object_object_add(m, "ins", json_object_new_string(hex));
                } else {
                        for (size_t i = 0; i < f->prefix_len; i++)
                                snprintf(hex + 2 * i, 3, "%02X", (unsigned)f->prefix[i]);
                        json_object_object_add(m, "prefix", json_object_new_string(hex));
                }
                json_object_object_add(o, "match", m);
        }
        if (f->count > 0)
                json_object_object_add(o, "count", json_object_new_int64(f->count));
        return o;
}

static struct json_object *slot_json(const struct slot *s)
{
        struct json_object *o = json_object_new_object(), *tries = json_object_new_object();
        struct json_object *faults = json_object_new_array();
        const char *reader = reader_of(s);

        json_object_object_add(o, "slot", json_object_new_int64(s->index));
        json_object_object_add(o, "reader", reader != NULL ? json_object_new_string(reader) : NULL);
        json_object_object_add(o, "present", json_object_new_boolean(slot_offered(s)));
        json_object_object_add(o, "powered",
                               json_object_new_boolean(scsim_card_is_powered(s->card)));
        json_object_object_add(
            o, "profile", json_object_new_string(scsim_profile_name(scsim_card_profile(s->card))));
        json_object_object_add(
            o, "state", s->state_path != NULL ? json_object_new_string(s->state_path) : NULL);
        scsim_card_tries(s->card, add_tries, tries);
        json_object_object_add(o, "tries", tries);
        for (size_t i = 0; i < scsim_faults_count(s->faults); i++) {
                unsigned id;
                const scsim_fault *f = scsim_faults_at(s->faults, i, &id);
                json_object_array_add(faults, fault_json(f, id));
        }
        json_object_object_add(o, "faults", faults);
        json_object_object_add(o, "removable", json_object_new_boolean(!s->bridge->cfg->reverse));
        json_object_object_add(o, "busy", json_object_new_boolean(s->op != NULL));
        return o;
}

static void op_status(struct control *c, struct ctl_client *cl, const struct ctl_req *req)
{
        struct bridge *b = control_bridge(c);
        struct json_object *r = ok_reply(), *slots = json_object_new_array();

        for (unsigned i = 0; i < b->cfg->slots; i++)
                if (!req->has_slot || req->slot == i)
                        json_object_array_add(slots, slot_json(&b->slots[i]));
        json_object_object_add(r, "slots", slots);
        control_reply(c, cl, r);
}

static void op_fault(struct control *c, struct ctl_client *cl, struct slot *s,
                     const struct ctl_req *req)
{
        struct json_object *r;
        unsigned id;
        char what[256];

        if (req->fault.kind == SCSIM_FAULT_TEAR && s->state_path == NULL) {
                control_reply_error(c, cl,
                                    "\"kind\": slot %u's card keeps its state in memory, so it "
                                    "has no durable write to tear; give it a state file "
                                    "(scsim run --state, or insert/swap with \"state\")",
                                    s->index);
                return;
        }
        if (scsim_faults_add(s->faults, &req->fault, &id) != SCSIM_OK) {
                control_reply_error(c, cl, "slot %u: too many faults set; clear some first",
                                    s->index);
                return;
        }
        struct json_object *desc = fault_json(&req->fault, id);
        snprintf(what, sizeof(what), "fault %u set: %s", id,
                 json_object_to_json_string_ext(desc, JSON_C_TO_STRING_PLAIN));
        json_object_put(desc);
        trace_event(s, what);
        r = ok_reply();
        json_object_object_add(r, "fault", json_object_new_int64(id));
        control_reply(c, cl, r);
}

static void op_clear(struct control *c, struct ctl_client *cl, struct slot *s,
                     const struct ctl_req *req)
{
        if (scsim_faults_clear(s->faults, req->id) != SCSIM_OK) {
                control_reply_error(c, cl, "\"fault\": slot %u has no fault %u (see status)",
                                    s->index, req->id);
                return;
        }
        trace_event(s, req->id == 0 ? "faults cleared" : "fault cleared");
        control_reply(c, cl, ok_reply());
}

static void op_snapshot(struct control *c, struct ctl_client *cl, struct slot *s)
{
        struct ctl_snap *n = calloc(1, sizeof(*n));
        struct json_object *r;

        if (n == NULL || scsim_card_snapshot(s->card, &n->snap) != SCSIM_OK) {
                free(n);
                control_reply_error(c, cl, "slot %u: cannot take a snapshot (out of memory)",
                                    s->index);
                return;
        }
        n->id = ++s->next_snap;
        n->next = s->snaps;
        s->snaps = n;
        r = ok_reply();
        json_object_object_add(r, "snapshot", json_object_new_int64(n->id));
        control_reply(c, cl, r);
}

/*
 * reset with in_place: the state back to the profile and a cold reset inside the bridge, the
 * card left where it is. PC/SC is shown nothing, so nothing waits for pcscd's next poll: a
 * test fixture gets a fresh card between tests, when no client holds a status to lose.
 */
static void op_reset_in_place(struct control *c, struct ctl_client *cl, struct slot *s)
{
        bool powered = scsim_card_is_powered(s->card) == 1;
        struct json_object *r;

        if (scsim_card_reset_state(s->card) != SCSIM_OK ||
            (powered && scsim_card_power_on(s->card, NULL, NULL) != SCSIM_OK)) {
                control_reply_error(c, cl,
                                    "slot %u: the card's state could not be reset (its "
                                    "state file?)",
                                    s->index);
                return;
        }
        trace_event(s, "card state reset to its profile, in place");
        r = ok_reply();
        json_object_object_add(r, "seen", json_object_new_string("bridge"));
        control_reply(c, cl, r);
}

/* Loads the card insert or swap asks for: refused here, before anything changes. */
static int prepare_card(struct control *c, struct ctl_client *cl, struct slot *s,
                        struct ctl_op_run *op)
{
        const scsim_profile *prof = scsim_card_profile(s->card);
        const char *state = op->req.state[0] != '\0' ? op->req.state : NULL;
        scsim_diag diag;
        char text[1200];

        memset(&diag, 0, sizeof(diag));
        if (op->req.profile[0] != '\0') {
                if (scsim_profile_open(op->req.profile, &op->profile, &diag) != SCSIM_OK) {
                        scsim_diag_format(&diag, text, sizeof(text));
                        control_reply_error(c, cl, "\"profile\": '%s': %s", op->req.profile, text);
                        return -1;
                }
                prof = op->profile;
        }
        if ((op->card = slot_make_card(s, prof, state, text, sizeof(text))) == NULL) {
                control_reply_error(c, cl, "slot %u: %s%s", s->index,
                                    state != NULL ? "\"state\": " : "", text);
                return -1;
        }
        if (state != NULL && (op->state_path = strdup(state)) == NULL) {
                control_reply_error(c, cl, "out of memory");
                return -1;
        }
        return 0;
}

/* The new card takes the slot: the old one, its profile if ours and its snapshots go. */
static void install_card(struct slot *s, struct ctl_op_run *op)
{
        scsim_card_free(&s->card);
        free_snaps(s);
        s->card = op->card;
        op->card = NULL;
        if (op->profile != NULL) {
                scsim_profile_free(&s->own_profile);
                s->own_profile = op->profile;
                op->profile = NULL;
        }
        free(s->state_path);
        s->state_path = op->state_path;
        op->state_path = NULL;
}

static void op_finish(struct control *c, struct slot *s, const char *error)
{
        struct ctl_op_run *op = s->op;
        struct json_object *r;

        s->op = NULL;
        if (error != NULL) {
                control_reply_error(c, op->client, "slot %u: %s", s->index, error);
        } else {
                r = ok_reply();
                json_object_object_add(r, "seen",
                                       json_object_new_string(op->seen_pcsc ? "pcsc" : "bridge"));
                control_reply(c, op->client, r);
        }
        op_free(&op);
}

/* The change made while the card is out of the reader; false with *error when it failed. */
static bool op_change(struct slot *s, struct ctl_op_run *op, const char **error)
{
        const struct ctl_req *r = &op->req;

        switch (r->op) {
        case CTL_SWAP:
        case CTL_INSERT:
                if (op->card != NULL)
                        install_card(s, op);
                break;
        case CTL_POWER:
                scsim_card_power_off(s->card);
                if (r->power == CTL_POWER_OFF) {
                        s->removed = false; /* still in the reader, without power */
                        s->unpowered = true;
                } else if (r->power == CTL_POWER_ON)
                        s->unpowered = false;
                trace_event(s, r->power == CTL_POWER_OFF  ? "power taken away"
                               : r->power == CTL_POWER_ON ? "power given back"
                                                          : "power cycled");
                break;
        case CTL_RESET:
                if (scsim_card_reset_state(s->card) != SCSIM_OK) {
                        *error = "the card's state could not be reset (its state file?)";
                        return false;
                }
                trace_event(s, "card state reset to its profile");
                break;
        case CTL_RESTORE:
                if (scsim_card_restore(s->card, op->snap->snap) != SCSIM_OK) {
                        *error = "the snapshot could not be restored (its state file?)";
                        return false;
                }
                trace_event(s, "card state restored from a snapshot");
                break;
        default:
                break;
        }
        return true;
}

/* Waits for PC/SC to show the reader with or without a card; false: no reader name to watch. */
static bool op_watch(struct control *c, struct slot *s, bool present)
{
        const char *reader = reader_of(s);

        if (reader == NULL)
                return false;
        if (pcsc_watch_start(control_watch(c), s->index, reader, present, CONTROL_WAIT_MS) != 0) {
                blog(s->bridge, L_WARN, "slot %u: cannot watch reader '%s'", s->index, reader);
                return false;
        }
        s->op->seen_pcsc = true;
        return true;
}

/* The change, then the card back in (and the wait for it), or the end. */
static void op_change_and_put_back(struct control *c, struct slot *s)
{
        struct ctl_op_run *op = s->op;
        const char *error = NULL;

        if (op->put_back)
                s->removed = false;
        if (!op_change(s, op, &error)) {
                op_finish(c, s, error);
                return;
        }
        if (!slot_offered(s)) {
                op_finish(c, s, NULL);
                return;
        }
        s->next_try_us = 0; /* connect at once, without the back-off of the old link */
        op->phase = PH_IN;
        if (!op_watch(c, s, true))
                op_finish(c, s, NULL);
}

/* Out of the reader first, when the card is there and the operation shows a removal. */
static void op_run(struct control *c, struct slot *s)
{
        if (!slot_offered(s)) {
                op_change_and_put_back(c, s);
                return;
        }
        s->op->phase = PH_OUT;
        s->removed = true;
        slot_drop(s, "taken out through the control socket");
        trace_event(s, "card taken out");
        if (!op_watch(c, s, false))
                op_change_and_put_back(c, s);
}

void ctl_ops_watch_done(struct control *c, unsigned slot, bool seen)
{
        struct bridge *b = control_bridge(c);
        struct slot *s;

        if (slot >= b->cfg->slots || (s = &b->slots[slot])->op == NULL)
                return;
        if (!seen) {
                op_finish(c, s,
                          s->op->phase == PH_OUT
                              ? "PC/SC did not show the reader empty within 10 s (see pcscd's log)"
                              : "PC/SC did not show the card within 10 s (see pcscd's log); the "
                                "slot keeps offering it");
                return;
        }
        if (s->op->phase == PH_OUT)
                op_change_and_put_back(c, s);
        else
                op_finish(c, s, NULL);
}

void ctl_ops_reseat(struct slot *s)
{
        struct control *c = s->bridge->ctl;
        struct ctl_op_run *op;

        /* Reverse mode: vpcd reconnects on its own, and must find the slot listening. */
        if (c == NULL || s->op != NULL || s->bridge->cfg->reverse || reader_of(s) == NULL ||
            (op = calloc(1, sizeof(*op))) == NULL)
                return;
        op->req.op = CTL_INSERT;
        op->req.slot = s->index;
        op->put_back = true;
        op->phase = PH_OUT;
        s->op = op;
        s->removed = true;
        if (!op_watch(c, s, false)) {
                s->removed = false;
                s->op = NULL;
                op_free(&op);
        }
}

/* Why the request cannot run on this slot as it is; NULL when it can. */
static const char *refusal(const struct slot *s, const struct ctl_req *r)
{
        bool in = slot_offered(s);

        if (s->bridge->cfg->reverse)
                return "a card cannot be removed in reverse mode (vpcd connects to scsim-vpcd); "
                       "start scsim run with --removable";
        if (r->op == CTL_INSERT && in)
                return "the slot has a card; remove it first, or use swap";
        if (r->op == CTL_INSERT && s->unpowered)
                return "the card is powered off; use power on";
        if ((r->op == CTL_REMOVE || r->op == CTL_SWAP) && !in)
                return s->unpowered ? "the card is powered off; use power on first"
                                    : "the slot has no card; use insert";
        if (r->op == CTL_POWER && r->power == CTL_POWER_ON && (!s->unpowered || s->removed))
                return s->removed ? "the slot has no card; use insert"
                                  : "the card has power already";
        if (r->op == CTL_POWER && r->power != CTL_POWER_ON && !in)
                return s->unpowered ? "the card is powered off already"
                                    : "the slot has no card; use insert";
        return NULL;
}

static const struct ctl_snap *find_snap(const struct slot *s, unsigned id)
{
        for (const struct ctl_snap *n = s->snaps; n != NULL; n = n->next)
                if (n->id == id)
                        return n;
        return NULL;
}

/* Operations that show PC/SC a removal and an insertion, or one of them. */
static void op_start_visible(struct control *c, struct ctl_client *cl, struct slot *s,
                             const struct ctl_req *req)
{
        struct ctl_op_run *op;
        const char *why;

        if ((why = refusal(s, req)) != NULL) {
                control_reply_error(c, cl, "slot %u: %s", s->index, why);
                return;
        }
        if ((op = calloc(1, sizeof(*op))) == NULL) {
                control_reply_error(c, cl, "out of memory");
                return;
        }
        op->req = *req;
        op->client = cl;
        op->put_back =
            req->op != CTL_REMOVE && !(req->op == CTL_POWER && req->power == CTL_POWER_OFF);
        if (req->op == CTL_RESTORE && (op->snap = find_snap(s, req->id)) == NULL) {
                control_reply_error(c, cl, "\"snapshot\": slot %u has no snapshot %u", s->index,
                                    req->id);
                op_free(&op);
                return;
        }
        if ((req->op == CTL_INSERT || req->op == CTL_SWAP) &&
            (req->profile[0] != '\0' || req->state[0] != '\0') && prepare_card(c, cl, s, op) != 0) {
                op_free(&op);
                return;
        }
        /* A removed card whose state changes stays out; a reset card that was in comes back. */
        if ((req->op == CTL_RESET || req->op == CTL_RESTORE) && !slot_offered(s))
                op->put_back = false;
        s->op = op;
        op_run(c, s);
}

void ctl_ops_start(struct control *c, struct ctl_client *cl, const struct ctl_req *req)
{
        struct bridge *b = control_bridge(c);
        struct slot *s = &b->slots[req->slot];

        switch (req->op) {
        case CTL_STATUS:
                op_status(c, cl, req);
                return;
        case CTL_FAULT:
                op_fault(c, cl, s, req);
                return;
        case CTL_CLEAR:
                op_clear(c, cl, s, req);
                return;
        case CTL_SNAPSHOT:
                op_snapshot(c, cl, s);
                return;
        case CTL_RESET:
                if (req->in_place) {
                        op_reset_in_place(c, cl, s);
                        return;
                }
                op_start_visible(c, cl, s, req);
                return;
        default:
                op_start_visible(c, cl, s, req);
                return;
        }
}
