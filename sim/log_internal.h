/* SPDX-License-Identifier: MIT */
/* Logging inside the library: formats a line and hands it to the card's callback. */
#ifndef SCSIM_LOG_INTERNAL_H
#define SCSIM_LOG_INTERNAL_H

#include <scsim/log.h>

struct log_sink {
        scsim_log_fn *fn;
        void *ctx;
};

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
void log_line(const struct log_sink *sink, enum scsim_log_level level, const char *func,
              const char *fmt, ...);

#define LOG(sink, level, ...) log_line((sink), (level), __func__, __VA_ARGS__)

#endif
