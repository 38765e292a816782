/* SPDX-License-Identifier: MIT */
/* fuzz_apdu's state file: a private directory, commits failing where the input says, a reload. */
#ifndef SCSIM_FUZZ_ATTACHED_H
#define SCSIM_FUZZ_ATTACHED_H

#include <stdbool.h>
#include <stdint.h>

#include <scsim/scsim.h>

/* One input's state file and the commit failure it has armed. */
struct attached {
        unsigned stage;      /* the scsim_state_stage to fail at; 0: none armed */
        unsigned pass;       /* calls at that stage still let through before the failure */
        unsigned long fired; /* commits failed so far */
};

/*
 * Attach a new state file (in a directory of this process's own, mode 0700,
 * under $TMPDIR or /dev/shm, emptied first) to card, with a fault hook that
 * fails what attached_arm asks. Nothing fails while attaching. 0 or -1.
 */
int attached_open(struct attached *a, scsim_card *card);
/*
 * Arm one commit failure from byte b: at stage 1 + (b & 3) (before the
 * write, after it, after its sync, after a new file's rename), letting
 * (b >> 2) & 7 calls at that stage through first.
 */
void attached_arm(struct attached *a, uint8_t b);
/*
 * A new card of profile attached to a copy of the state file, as a restart
 * would find it (aborts when the file does not load). Free it with
 * scsim_card_free.
 */
scsim_card *attached_reload(const scsim_profile *profile);

#endif
