/* SPDX-License-Identifier: MIT */
/* Filling a scsim_diag: what every part of the library that reports on a file shares. */
#ifndef SCSIM_DIAG_H
#define SCSIM_DIAG_H

#include <scsim/profile.h>

/*
 * Name the file a diagnostic is about. A path too long for diag->file keeps
 * its end, the part that tells files apart, behind "...".
 */
void diag_set_file(scsim_diag *diag, const char *path);

#endif
