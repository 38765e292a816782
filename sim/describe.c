/* SPDX-License-Identifier: MIT */
/* Describes APDUs for traces from the rows the card dispatches on, so the two cannot drift. */
#include <string.h>

#include <scsim/apdu.h>
#include <scsim/err.h>

#include "card_internal.h"

#define INS_GET_RESPONSE 0xc0

static void take_row(scsim_apdu_info *info, const struct cmd_def *row, const struct app_def *app)
{
        if (row == NULL)
                return;
        if (info->name == NULL) {
                info->name = row->name;
                info->application =
                    app != NULL && row >= app->commands && row < app->commands + app->ncommands
                        ? app->name
                        : NULL;
        }
        info->secret_in = info->secret_in || (row->flags & CMD_SECRET_IN) != 0;
        info->secret_out = info->secret_out || (row->flags & CMD_SECRET_OUT) != 0;
}

/* What the application says of the secrets in the command's data and answer. */
static void take_secrets(scsim_apdu_info *info, const struct app_def *app, uint8_t ins,
                         const uint8_t *data, size_t len)
{
        bool in = false, out = false;

        if (app == NULL || app->secrets == NULL)
                return;
        app->secrets(ins, data, len, &in, &out);
        info->secret_in = info->secret_in || in;
        info->secret_out = info->secret_out || out;
}

/* Without a card: the interindustry row, then every application's. */
static void describe_any(const struct apdu *a, scsim_apdu_info *info)
{
        take_row(info, app_command(NULL, a->ins), NULL);
        for (size_t i = 0; i < app_count(); i++) {
                const struct app_def *app = app_at(i);
                for (size_t r = 0; r < app->ncommands; r++)
                        if (app->commands[r].ins == a->ins)
                                take_row(info, &app->commands[r], app);
                take_secrets(info, app, a->ins, a->data, a->nc);
        }
}

/* With a card: the row the dispatcher would pick on the APDU's channel. */
static void describe_on(const scsim_card *card, const struct apdu *a, scsim_apdu_info *info)
{
        const struct prof_app *use = NULL;
        struct cla_info cla;

        if (apdu_decode_cla(a->cla, &cla) == SW_OK && cla.channel < CARD_CHANNELS &&
            card->ch[cla.channel].open)
                use = prof_app_of(card->prof, card->ch[cla.channel].df);
        if (a->ins == INS_GET_RESPONSE && !card->chaining) {
                take_row(info, app_command(NULL, a->ins), NULL);
                info->secret_out = card->resp_len > 0 && card->resp_secret;
                return;
        }
        take_row(info, app_command(use != NULL ? use->def : NULL, a->ins),
                 use != NULL ? use->def : NULL);
        /* a chained command is judged by its start, where it names what it writes */
        if (card->chaining && card->chain_ins == a->ins && card->chain_len > 0)
                take_secrets(info, use != NULL ? use->def : NULL, a->ins, card->chain,
                             card->chain_len);
        else
                take_secrets(info, use != NULL ? use->def : NULL, a->ins, a->data, a->nc);
}

int scsim_apdu_describe(const scsim_card *card, const uint8_t *capdu, size_t len,
                        scsim_apdu_info *info)
{
        struct apdu a;

        if (info != NULL)
                memset(info, 0, sizeof(*info));
        if (capdu == NULL || info == NULL || len < 4)
                return SCSIM_ERR_INVALID_ARGUMENT;
        if (apdu_decode(capdu, len, &a) == 0) {
                info->decoded = true;
                info->data_offset = a.nc > 0 ? (size_t)(a.data - capdu) : 0;
                info->data_len = a.nc;
        } else {
                memset(&a, 0, sizeof(a));
                a.cla = capdu[0];
                a.ins = capdu[1];
        }
        if (card == NULL)
                describe_any(&a, info);
        else
                describe_on(card, &a, info);
        return SCSIM_OK;
}
