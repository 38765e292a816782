/* SPDX-License-Identifier: MIT */
/* Optional diagnostics: the library is silent unless the embedder sets a callback. */
#ifndef SCSIM_LOG_H
#define SCSIM_LOG_H

#ifdef __cplusplus
extern "C" {
#endif

enum scsim_log_level {
        SCSIM_LOG_ERROR = 0,
        SCSIM_LOG_WARN = 1,
        SCSIM_LOG_INFO = 2,
        SCSIM_LOG_DEBUG = 3, /* APDU hex dumps, secrets masked */
};

/* msg is a complete line without a trailing newline, prefixed with the function name. */
typedef void scsim_log_fn(void *ctx, enum scsim_log_level level, const char *msg);

#ifdef __cplusplus
}
#endif

#endif
