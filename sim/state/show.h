/* SPDX-License-Identifier: MIT */
/* A state file's records as the decoder reads them, for `scsim state show` in either form. */
#ifndef SCSIM_STATE_SHOW_H
#define SCSIM_STATE_SHOW_H

#include <scsim/state.h>

#include "state/store.h"

/*
 * scsim_state_inspect_key, and what the file itself is (info, when not
 * NULL, filled before fn is first called).
 */
int state_inspect(const char *path, const uint8_t *key, size_t key_len,
                  void (*fn)(void *arg, const scsim_state_record *rec), void *arg,
                  struct store_info *info, scsim_diag *diag);

#endif
