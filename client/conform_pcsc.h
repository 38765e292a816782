/* SPDX-License-Identifier: MIT */
/* The conformance runner's way to a card in a PC/SC reader: the client's own PC/SC transport. */
#ifndef SCSIM_CLIENT_CONFORM_PCSC_H
#define SCSIM_CLIENT_CONFORM_PCSC_H

#include "conform.h"

struct cf_pcsc;

/* Connect to reader (NULL: $SCSIM_READER, else the first with a card) and fill t; prints why not.
 */
int cf_pcsc_open(const char *reader, struct cf_pcsc **out, struct cf_target *t);
void cf_pcsc_close(struct cf_pcsc **p);

#endif
