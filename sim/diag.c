/* SPDX-License-Identifier: MIT */
/* Diagnostics: naming the file, and the "file:line:column: message" form. */
#include <stdio.h>
#include <string.h>

#include <scsim/profile.h>

#include "diag.h"

void diag_set_file(scsim_diag *diag, const char *path)
{
        size_t n, cap = sizeof(diag->file);

        if (path == NULL)
                path = "";
        n = strlen(path);
        if (n < cap)
                memcpy(diag->file, path, n + 1);
        else
                snprintf(diag->file, cap, "...%s", path + n - (cap - 4));
}

void scsim_diag_format(const scsim_diag *diag, char *buf, size_t cap)
{
        if (buf == NULL || cap == 0)
                return;
        if (diag == NULL) {
                buf[0] = '\0';
                return;
        }
        if (diag->line > 0)
                snprintf(buf, cap, "%s:%u:%u: %s", diag->file, diag->line, diag->column,
                         diag->message);
        else if (diag->file[0] != '\0')
                snprintf(buf, cap, "%s: %s", diag->file, diag->message);
        else
                snprintf(buf, cap, "%s", diag->message);
}
