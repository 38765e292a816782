/* SPDX-License-Identifier: MIT */
/* The APDU trace file: opened so that nothing planted at its path is followed or reused. */
#ifndef SCSIM_TRACE_FILE_H
#define SCSIM_TRACE_FILE_H

#include <stdbool.h>
#include <stdio.h>

/*
 * Open PATH for the trace: "-" is standard output; otherwise a regular file,
 * never a symlink, created 0600, started anew unless append, refused when
 * another user owns it. NULL after a message on standard error.
 */
FILE *trace_file_open(const char *path, bool append);

#endif
