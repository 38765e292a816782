/* SPDX-License-Identifier: MIT */
/* Card profiles: the immutable description a card is created from. */
#ifndef SCSIM_PROFILE_H
#define SCSIM_PROFILE_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct scsim_profile scsim_profile;

/*
 * Where a profile went wrong: file, 1-based line and column (0 when
 * unknown), and why. A path longer than file keeps its end, behind "...".
 */
typedef struct scsim_diag {
        char file[256];
        unsigned line;
        unsigned column;
        char message[512];
} scsim_diag;

/* Receives one diagnostic; called by the _report functions for each mistake. */
typedef void scsim_diag_fn(void *ctx, const scsim_diag *diag);

/*
 * The embedded default card "iso7816-chv" (docs/card-model.md), compiled in
 * from profiles/iso7816-chv.yaml. Each call returns a new profile the caller
 * frees with scsim_profile_free().
 */
int scsim_profile_default(scsim_profile **out);

/*
 * Load a profile from a YAML file or buffer. On failure returns
 * SCSIM_ERR_PROFILE (or SCSIM_ERR_IO / SCSIM_ERR_NO_MEMORY), leaves *out NULL
 * and, when diag is not NULL, fills it with the first mistake in the file.
 * name is used in diagnostics. A file must be a regular file of at most
 * 1 MiB (a FIFO or device is refused, never waited on).
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
 * As scsim_profile_open and scsim_profile_load_buffer, but every mistake
 * found in the profile, not only the first, goes to report: loading goes
 * on past a mistake wherever what follows does not depend on it. They come
 * in the order of their places in the file; after 100, one more diagnostic
 * (without a position) says how many were not shown. The diag the other
 * functions fill is the first of these.
 */
int scsim_profile_open_report(const char *name_or_path, scsim_profile **out, scsim_diag_fn *report,
                              void *ctx);
int scsim_profile_load_buffer_report(const char *name, const char *text, size_t len,
                                     scsim_profile **out, scsim_diag_fn *report, void *ctx);

/*
 * Called by scsim_profile_list for each profile a NAME can refer to: its
 * NAME and its file (NULL for the embedded default). Return 0 to go on;
 * anything else stops the listing and is what scsim_profile_list returns.
 */
typedef int scsim_profile_list_fn(void *ctx, const char *name, const char *path);

/*
 * The profiles scsim_profile_open finds by name, in the order it looks: the
 * embedded default, then each directory of $SCSIM_PROFILE_PATH, then
 * scsim_profile_install_dir(); within a directory by name. A name found
 * again later is not listed again (scsim_profile_open would not reach it).
 * The files are not loaded. Returns SCSIM_OK, SCSIM_ERR_NO_MEMORY or what
 * fn returned to stop.
 */
int scsim_profile_list(scsim_profile_list_fn *fn, void *ctx);

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
/* The profile's label ("" when it has none); borrowed. */
const char *scsim_profile_label(const scsim_profile *profile);

/* scsim_profile_print flags. */
#define SCSIM_PRINT_SECRETS 0x1u /* CHV values, keys and private keys in clear */

/*
 * Write the whole profile to out as YAML in the profile format
 * (docs/profiles.md), each application's section through its application.
 * Without SCSIM_PRINT_SECRETS, CHV values and keys are masked: the text
 * describes the card to a reader but does not load. With it, the text loads
 * back into a profile that makes the same card; treat it as the secret it
 * is. Returns SCSIM_OK, SCSIM_ERR_IO when writing failed, or
 * SCSIM_ERR_NO_MEMORY.
 */
int scsim_profile_print(const scsim_profile *profile, FILE *out, unsigned flags);

void scsim_profile_free(scsim_profile **profile);

#ifdef __cplusplus
}
#endif

#endif
