/* SPDX-License-Identifier: MIT */
/* Card profiles: the immutable description a card is created from. */
#ifndef SCSIM_PROFILE_H
#define SCSIM_PROFILE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct scsim_profile scsim_profile;

/* Where a profile went wrong: file, 1-based line and column (0 when unknown), and why. */
typedef struct scsim_diag {
        char file[256];
        unsigned line;
        unsigned column;
        char message[512];
} scsim_diag;

/*
 * The embedded default card "iso7816-chv" (docs/card-model.md), compiled in
 * from profiles/iso7816-chv.yaml. Each call returns a new profile the caller
 * frees with scsim_profile_free().
 */
int scsim_profile_default(scsim_profile **out);

/*
 * Load a profile from a YAML file or buffer. On failure returns
 * SCSIM_ERR_PROFILE (or SCSIM_ERR_IO / SCSIM_ERR_NO_MEMORY), leaves *out NULL
 * and, when diag is not NULL, fills it. name is used in diagnostics.
 */
int scsim_profile_load_file(const char *path, scsim_profile **out, scsim_diag *diag);
int scsim_profile_load_buffer(const char *name, const char *text, size_t len, scsim_profile **out,
                              scsim_diag *diag);

/*
 * Resolve what a user typed after --profile: a path (contains '/' or ends
 * in .yaml/.yml) is loaded as a file; otherwise it is a profile name,
 * "iso7816-chv" being the embedded default and other names looked up as
 * NAME.yaml in $SCSIM_PROFILE_PATH (colon-separated) and then in the
 * installed profile directory. Errors as for scsim_profile_load_file.
 */
int scsim_profile_open(const char *name_or_path, scsim_profile **out, scsim_diag *diag);

/*
 * The directory of the shipped profiles, searched by scsim_profile_open after
 * $SCSIM_PROFILE_PATH: ${datadir}/scsim/profiles of the prefix this copy of
 * libscsim (or the program holding it) is installed under, wherever that
 * prefix is now; the source tree's profiles/ for code run from the build tree.
 */
const char *scsim_profile_install_dir(void);

/* "file:line:column: message" (or without position when unknown) into buf. */
void scsim_diag_format(const scsim_diag *diag, char *buf, size_t cap);

/* The profile's name ("iso7816-chv" for the default); borrowed. */
const char *scsim_profile_name(const scsim_profile *profile);

void scsim_profile_free(scsim_profile **profile);

#ifdef __cplusplus
}
#endif

#endif
