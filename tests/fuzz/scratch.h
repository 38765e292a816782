/* SPDX-License-Identifier: MIT */
/* A fuzz target's scratch directory for state files. */
#ifndef SCSIM_FUZZ_SCRATCH_H
#define SCSIM_FUZZ_SCRATCH_H

#include <stddef.h>

/*
 * Make a new directory (mode 0700) named after tag and this process, in
 * $TMPDIR, else /dev/shm (tmpfs: the disk is not what is fuzzed), else
 * /tmp; its path goes to out. The caller removes it at exit; a crash skips
 * that, so first the directories of tag left by processes that no longer
 * run (and that belong to us) are removed. 0, or -1 with errno.
 */
int fuzz_scratch_dir(const char *tag, char *out, size_t cap);

#endif
