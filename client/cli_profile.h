/* SPDX-License-Identifier: MIT */
/* Profiles by name for the verbs that load one: where names come from, the nearest to a typo. */
#ifndef SCSIM_CLIENT_CLI_PROFILE_H
#define SCSIM_CLIENT_CLI_PROFILE_H

#include <scsim/profile.h>

/*
 * Open a profile for a verb; on failure print the library's diagnostic, and
 * for a name that is not a profile the nearest installed one ("did you mean
 * 'piv'?"). Returns 0 or the exit code (2 bad or unknown profile, 3 other).
 */
int cli_profile_open(const char *verb, const char *name, scsim_profile **out);

/*
 * The names a profile NAME can be: the embedded default, then NAME.yaml in
 * $SCSIM_PROFILE_PATH's directories, then in the installed directory; earlier
 * ones hide later ones. fn is called once per name with its path (NULL for
 * the embedded one) and its source ("embedded", "SCSIM_PROFILE_PATH",
 * "installed"); it returns 0 to go on.
 */
int cli_profile_each(int (*fn)(void *arg, const char *name, const char *path, const char *source),
                     void *arg);

#endif
