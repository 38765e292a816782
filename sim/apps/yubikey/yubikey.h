/* SPDX-License-Identifier: MIT */
/* The YubiKey management application: the device identity ykman reads over CCID. */
#ifndef SCSIM_YUBIKEY_H
#define SCSIM_YUBIKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app.h"

/* YubiKey capability bits (ykman's CAPABILITY), as READ CONFIG reports them. */
enum yk_capability {
        YK_CAP_OTP = 0x0001,
        YK_CAP_U2F = 0x0002,
        YK_CAP_OPENPGP = 0x0008,
        YK_CAP_PIV = 0x0010,
        YK_CAP_OATH = 0x0020,
        YK_CAP_HSMAUTH = 0x0100,
        YK_CAP_FIDO2 = 0x0200,
};

/* The `yubikey:` section of a profile. */
struct prof_yubikey {
        struct app_identity id; /* firmware, serial (0: the card's), form factor */
        bool nfc;               /* an NFC interface besides USB (YubiKey 5 NFC) */
};

extern const struct app_section yubikey_section;

/* The application's definition, for the registry. */
extern const struct app_def app_yubikey;

#endif
