/* SPDX-License-Identifier: MIT */
/* The PIV section and the device it runs on: the identity it adopts, the firmware's algorithms. */
#include <string.h>

#include "app.h"
#include "apps/piv/crypto.h"
#include "apps/piv/profile.h"
#include "profile/yaml_reader.h"

int piv_adopt_identity(struct yaml_loader *ld, struct prof_piv *pp, struct fy_node *version,
                       struct yaml_pos version_at, struct fy_node *serial,
                       struct yaml_pos serial_at)
{
        struct app_identity id;

        if (app_identity_of(yaml_profile(ld), &id) != 0)
                return 0;
        /* one place says what the device is: two that could disagree would be a trap */
        if (version != NULL && memcmp(pp->version, id.firmware, 3) != 0)
                return yaml_err(ld, yaml_node_pos(version, version_at),
                                "version %u.%u.%u is not the device's firmware %u.%u.%u (yubikey: "
                                "firmware); leave it out here",
                                pp->version[0], pp->version[1], pp->version[2], id.firmware[0],
                                id.firmware[1], id.firmware[2]);
        if (serial != NULL && pp->serial != id.serial)
                return yaml_err(
                    ld, yaml_node_pos(serial, serial_at),
                    "serial %u is not the device's (yubikey: serial); leave it out here",
                    (unsigned)pp->serial);
        memcpy(pp->version, id.firmware, 3);
        pp->serial = id.serial;
        pp->form_factor = id.form_factor;
        return 0;
}

int piv_check_alg_version(struct yaml_loader *ld, const struct prof_piv *pp, enum prof_piv_alg alg,
                          struct yaml_pos at)
{
        const uint8_t *v = pp->version;

        if (piv_alg_needs_57(alg) && (v[0] < 5 || (v[0] == 5 && v[1] < 7)))
                return yaml_err(ld, at, "algorithm %s needs version 5.7.0 or later, not %u.%u.%u",
                                piv_alg_name(alg), v[0], v[1], v[2]);
        return 0;
}
