/* SPDX-License-Identifier: MIT */
/* The application registry: the one place that names every card application. */
#include <string.h>

#include "app.h"
#include "card_internal.h"
#include "apps/openpgp/openpgp.h"
#include "apps/piv/piv.h"
#include "apps/yubikey/yubikey.h"
#include "iso/iso.h"
#include "profile/model.h"

/* Owners of a device identity come before the applications that adopt it. */
static const struct app_def *const registry[] = {
    &app_yubikey,
    &app_piv,
    &app_openpgp,
};

const struct app_def *app_find(const char *name, size_t len)
{
        for (size_t i = 0; i < sizeof(registry) / sizeof(registry[0]); i++)
                if (strlen(registry[i]->name) == len && memcmp(registry[i]->name, name, len) == 0)
                        return registry[i];
        return NULL;
}

size_t app_count(void)
{
        return sizeof(registry) / sizeof(registry[0]);
}

const struct app_def *app_at(size_t i)
{
        return i < app_count() ? registry[i] : NULL;
}

int app_identity_of(const scsim_profile *p, struct app_identity *id)
{
        for (size_t i = 0; i < p->napps; i++) {
                const struct app_def *def = p->apps[i].def;
                if (def->section != NULL && def->section->identity != NULL &&
                    p->apps[i].section != NULL) {
                        def->section->identity(p->apps[i].section, id);
                        return 0;
                }
        }
        return -1;
}

uint32_t app_identity_serial(const struct app_identity *id, const struct scsim_card *card)
{
        uint32_t s = 0;

        if (id->serial != 0)
                return id->serial;
        /* the card's, so that each of the bridge's slots (serial + n) is a device of its own */
        for (size_t i = card->serial_len > 4 ? card->serial_len - 4 : 0; i < card->serial_len; i++)
                s = s << 8 | card->serial[i];
        return s;
}

const struct cmd_def *app_command(const struct app_def *app, uint8_t ins)
{
        if (app != NULL)
                for (size_t i = 0; i < app->ncommands; i++)
                        if (app->commands[i].ins == ins)
                                return &app->commands[i];
        for (size_t i = 0; i < iso_ncommands; i++)
                if (iso_commands[i].ins == ins)
                        return &iso_commands[i];
        return NULL;
}
