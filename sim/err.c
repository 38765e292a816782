/* SPDX-License-Identifier: MIT */
/* Text for the library's error codes. */
#include <scsim/err.h>

const char *scsim_strerror(int err)
{
        switch (err) {
        case SCSIM_OK:
                return "success";
        case SCSIM_ERR_INVALID_ARGUMENT:
                return "invalid argument";
        case SCSIM_ERR_NO_MEMORY:
                return "out of memory";
        case SCSIM_ERR_POWERED_OFF:
                return "card is powered off";
        case SCSIM_ERR_BUFFER_TOO_SMALL:
                return "response buffer too small";
        case SCSIM_ERR_PROFILE:
                return "invalid profile";
        case SCSIM_ERR_IO:
                return "input/output error";
        case SCSIM_ERR_STATE:
                return "invalid card state file";
        case SCSIM_ERR_CRYPTO:
                return "cryptographic library failure";
        case SCSIM_ERR_INTERNAL:
                return "internal error";
        case SCSIM_ERR_BUSY:
                return "state file in use";
        default:
                return "unknown error";
        }
}
