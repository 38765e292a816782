/* SPDX-License-Identifier: MIT */
/* Inside profile loading: how a load reports, shared by files, buffers and names. */
#ifndef SCSIM_PROFILE_LOAD_H
#define SCSIM_PROFILE_LOAD_H

#include <scsim/profile.h>

#define PROF_DEFAULT_NAME "iso7816-chv"

/* Where a load's mistakes go: the first to diag, every one to report (either may be NULL). */
struct prof_sink {
        scsim_diag *diag;
        scsim_diag_fn *report;
        void *ctx;
};

/* One mistake about a whole file (no position), to both. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
void prof_sink_say(const struct prof_sink *s, const char *file, const char *fmt, ...);

/* scsim_profile_load_file, reporting to s. */
int prof_load_file(const char *path, scsim_profile **out, const struct prof_sink *s);

#endif
