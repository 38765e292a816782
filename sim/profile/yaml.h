/* SPDX-License-Identifier: MIT */
/* The YAML profile loader, behind scsim_profile_load_buffer and friends. */
#ifndef SCSIM_PROFILE_YAML_H
#define SCSIM_PROFILE_YAML_H

#include <stddef.h>

#include <scsim/profile.h>

/*
 * Parse text (len bytes, not necessarily NUL-terminated) into a checked
 * profile. source names the text in diagnostics. Returns SCSIM_OK,
 * SCSIM_ERR_PROFILE or SCSIM_ERR_NO_MEMORY. Every mistake found goes to
 * report (when not NULL), in the order of their places in the text; diag
 * (when not NULL) receives the first of them.
 */
int prof_yaml_load(const char *source, const char *text, size_t len, scsim_profile **out,
                   scsim_diag *diag, scsim_diag_fn *report, void *ctx);

/* The embedded default profile's YAML text, generated at build time from profiles/. */
extern const unsigned char prof_embedded_default[];
extern const size_t prof_embedded_default_len;

#endif
