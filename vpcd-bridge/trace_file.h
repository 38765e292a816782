/* SPDX-License-Identifier: MIT */
/* The APDU trace file: opened so that nothing planted at its path is followed or reused. */
#ifndef SCSIM_TRACE_FILE_H
#define SCSIM_TRACE_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/*
 * Open PATH for the trace: a regular file, never a symlink, created 0600,
 * started anew unless append, refused when another user owns it. NULL with
 * the reason in err. (The same call as the bridge's own, whichever lands.)
 */
FILE *bridge_trace_open(const char *path, bool append, char *err, size_t errcap);

#endif
