/* SPDX-License-Identifier: MIT */
/* Formats log lines only when an embedder asked for them. */
#include <stdarg.h>
#include <stdio.h>

#include "log_internal.h"

void log_line(const struct log_sink *sink, enum scsim_log_level level, const char *func,
              const char *fmt, ...)
{
        char line[512];
        int n;
        va_list ap;

        if (sink == NULL || sink->fn == NULL)
                return;
        n = snprintf(line, sizeof(line), "%s: ", func);
        if (n < 0 || (size_t)n >= sizeof(line))
                return;
        va_start(ap, fmt);
        (void)vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
        va_end(ap);
        sink->fn(sink->ctx, level, line);
}
