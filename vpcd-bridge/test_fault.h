/* SPDX-License-Identifier: MIT */
/* Test-only fault injection into the cards' state writes, from SCSIM_TEST_FAULT. */
#ifndef SCSIM_TEST_FAULT_H
#define SCSIM_TEST_FAULT_H

#include <scsim/scsim.h>

/*
 * When SCSIM_TEST_FAULT=STAGE:N[:fail] is set, give card the fault hook:
 * at STAGE of the Nth state write the bridge makes from now on (counting
 * every slot's), send the process SIGKILL, or with :fail make that write
 * fail as an I/O error would. STAGE: before-write, after-write, after-sync,
 * after-rename (after-tmp-write and after-fsync are older names). Returns
 * 0, or -1 with a message on standard error when the variable is malformed.
 */
int test_fault_arm(scsim_card *card);

#endif
