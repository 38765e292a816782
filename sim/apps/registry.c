/* SPDX-License-Identifier: MIT */
/* The application registry: the one place that names every card application. */
#include <string.h>

#include "app.h"
#include "apps/openpgp/openpgp.h"
#include "apps/piv/piv.h"
#include "iso/iso.h"

static const struct app_def *const registry[] = {
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
