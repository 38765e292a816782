/* SPDX-License-Identifier: MIT */
/* The YAML profile loader, behind scsim_profile_load_buffer and friends. */
#ifndef SCSIM_PROFILE_YAML_H
#define SCSIM_PROFILE_YAML_H

#include <stddef.h>

#include <scsim/profile.h>

/*
 * Parse text (len bytes, not necessarily NUL-terminated) into a checked
 * profile. source names the text in diagnostics. Returns SCSIM_OK,
 * SCSIM_ERR_PROFILE (diag filled with the first error and its position) or
 * SCSIM_ERR_NO_MEMORY.
 */
int prof_yaml_load(const char *source, const char *text, size_t len, scsim_profile **out,
                   scsim_diag *diag);

/* The embedded default profile's YAML text, generated at build time from profiles/. */
extern const unsigned char prof_embedded_default[];
extern const size_t prof_embedded_default_len;

#endif
