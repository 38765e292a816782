/* SPDX-License-Identifier: MIT */
/* Library error codes: negative values returned by scsim_* calls. */
#ifndef SCSIM_ERR_H
#define SCSIM_ERR_H

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Library calls return SCSIM_OK or one of these. The card's own answers to
 * APDUs are status words inside the response, never these codes.
 */
#define SCSIM_OK                   0
#define SCSIM_ERR_INVALID_ARGUMENT (-1) /* NULL pointer, length out of range */
#define SCSIM_ERR_NO_MEMORY        (-2)
#define SCSIM_ERR_POWERED_OFF      (-3) /* the card must be powered on first */
#define SCSIM_ERR_BUFFER_TOO_SMALL (-4) /* caller's response buffer cannot hold the answer */
#define SCSIM_ERR_PROFILE          (-5) /* profile is malformed; see the diagnostic */
#define SCSIM_ERR_IO               (-6) /* reading or writing a file failed */
#define SCSIM_ERR_STATE            (-7) /* durable state is corrupt, foreign or mismatched */
#define SCSIM_ERR_CRYPTO           (-8) /* libcrypto failed */
#define SCSIM_ERR_INTERNAL         (-9)
#define SCSIM_ERR_BUSY             (-10) /* the state file is in use by another card */

/* A short English description; never NULL, also for unknown codes. */
const char *scsim_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif
