/* SPDX-License-Identifier: MIT */
/* Wiping buffers that held a code: explicit_bzero on POSIX, SecureZeroMemory on Windows. */
#ifdef _WIN32
#include <windows.h>
#else
#include <string.h>
#endif

#include "wipe.h"

void scv_wipe(void *p, size_t n)
{
        if (p == NULL || n == 0)
                return;
#ifdef _WIN32
        SecureZeroMemory(p, n);
#else
        explicit_bzero(p, n);
#endif
}
