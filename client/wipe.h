/* SPDX-License-Identifier: MIT */
/* Wiping buffers that held a code, on POSIX and on Windows. */
#ifndef SCSIM_CLIENT_WIPE_H
#define SCSIM_CLIENT_WIPE_H

#include <stddef.h>

/* Zero n bytes at p in a way the compiler may not drop as a dead store. */
void scv_wipe(void *p, size_t n);

#endif
