/* SPDX-License-Identifier: MIT */
/* Allocation failures for the fuzz targets: malloc and libcrypto's allocator fail when a seeded
 * PRNG says so. */
#ifndef SCSIM_FUZZ_FAIL_ALLOC_H
#define SCSIM_FUZZ_FAIL_ALLOC_H

#include <stddef.h>
#include <stdint.h>

/*
 * The seed at the front of an input: its first 4 bytes, big-endian (0 when
 * the input is shorter), which the call takes off the input. Seed 0: no
 * allocation fails, so an input written before failures existed keeps its
 * meaning behind four zero bytes.
 */
uint32_t fail_alloc_seed(const uint8_t **data, size_t *size);

/*
 * From now on malloc, calloc, realloc, strdup (in the library and the
 * target, which are linked with -Wl,--wrap) and libcrypto's allocator fail
 * pseudo-randomly: the seed's low 3 bits choose the rate, 1 in 4 to 1 in
 * 512; the whole seed starts the sequence. The same seed fails the same
 * allocations of the same sequence of calls.
 */
void fail_alloc_start(uint32_t seed);
/*
 * From now on only the nth allocation fails (1: the next one; 0: none), for
 * tests that fail each allocation of a call in turn.
 */
void fail_alloc_nth(unsigned long n);
/* Nothing fails any more. */
void fail_alloc_stop(void);
/*
 * Hold (on != 0) or let go of failures without losing the sequence, for the
 * target's own checks between the calls under test. Holds nest.
 */
void fail_alloc_hold(int on);
/* Allocations failed since fail_alloc_start; those of them libcrypto made. */
unsigned long fail_alloc_failed(void);
unsigned long fail_alloc_failed_crypto(void);

/*
 * Make libcrypto set up everything it sets up once per process (its
 * configuration, provider, method and name stores, encoders, decoders, the
 * random generator) for every kind of operation the card uses, while nothing
 * fails: a failure inside that one-time work would stay for the life of the
 * process and make every later input behave differently. Called once, first.
 */
void fail_alloc_warm_up(void);

#endif
