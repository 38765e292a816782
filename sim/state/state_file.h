/* SPDX-License-Identifier: MIT */
/* The state file behind a card: encoding, validation and atomic replacement. */
#ifndef SCSIM_STATE_FILE_H
#define SCSIM_STATE_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "card_internal.h"

struct state_store;

/* Write the card's state to its store; 0 or -1. Called by card_commit. */
int state_store_commit(struct scsim_card *card);
void state_store_free(struct state_store **store);

#endif
