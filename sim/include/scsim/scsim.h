/* SPDX-License-Identifier: MIT */
/* libscsim: everything a program needs to create software cards and talk to them. */
#ifndef SCSIM_SCSIM_H
#define SCSIM_SCSIM_H

#include <scsim/err.h>
#include <scsim/hex.h>
#include <scsim/log.h>
#include <scsim/profile.h>
#include <scsim/card.h>
#include <scsim/state.h>
#include <scsim/apdu.h>

#define SCSIM_VERSION "0.1.0"

#endif
