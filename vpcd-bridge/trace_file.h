/* SPDX-License-Identifier: MIT */
/* The APDU trace file: opened so that nothing planted at its path is followed or reused. */
#ifndef SCSIM_TRACE_FILE_H
#define SCSIM_TRACE_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/*
 * Opens (creating 0600) the trace file at path for writing, started anew
 * unless append. Refuses, with a message in err (the path not repeated), a
 * symbolic link as the last component, anything but a regular file (a FIFO
 * is refused without blocking), a file of another user and one with other
 * hard links; a file of ours with a looser mode is made 0600. NULL on error.
 */
FILE *bridge_trace_open(const char *path, bool append, char *err, size_t errcap);

#endif
