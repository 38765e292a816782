/* SPDX-License-Identifier: MIT */
/* What to tell a user whose vpcd is not there: nothing listens, or pcscd or vpcd is not installed.
 */
#ifndef SCSIM_VPCD_HINT_H
#define SCSIM_VPCD_HINT_H

#include <stdbool.h>
#include <stdio.h>

#include "vpcd_io.h"

/* Debian's vpcd driver and the daemon that loads it. */
#define VPCD_DRIVER_PATH "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"

/* Is anything on this machine listening on TCP port PORT? Reads /proc/net/tcp and tcp6. */
bool vpcd_port_listened(unsigned port);

/*
 * When ADDR is a loopback address nobody listens on, say once that we wait
 * for vpcd, and what is missing: the pcscd or vsmartcard-vpcd package, or a
 * running pcscd. Silent when something listens or the address is remote.
 */
void vpcd_hint_if_absent(const struct vpcd_addr *addr, FILE *out);

#endif
