/* SPDX-License-Identifier: MIT */
/* The application registry: which DFs are implemented by an application, and its definition. */
#include "card_internal.h"

static const struct card_app *const apps[PROF_APPS] = {
    [PROF_APP_NONE] = NULL,
    [PROF_APP_PIV] = &app_piv,
};

enum prof_app card_app_of(const scsim_profile *p, uint16_t df)
{
        /* depth is bounded by the file count: prof_check refuses cycles */
        for (size_t depth = 0; depth <= p->nfiles && df < p->nfiles; depth++) {
                if (p->files[df].app != PROF_APP_NONE)
                        return p->files[df].app;
                if (df == 0)
                        break;
                df = p->files[df].parent;
        }
        return PROF_APP_NONE;
}

const struct card_app *card_app_get(enum prof_app app)
{
        return (unsigned)app < PROF_APPS ? apps[app] : NULL;
}
