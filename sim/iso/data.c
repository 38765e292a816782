/* SPDX-License-Identifier: MIT */
/* GET DATA for the card's own data objects: the serial number. */
#include "iso/iso.h"
#include "tlv.h"

/* GET DATA 00 CA 00 5A: the card's serial number (tag 5A). */
uint16_t iso_get_data(struct cmd *c)
{
        const struct apdu *a = c->apdu;

        if (a->nc != 0 || a->ne == 0)
                return SW_WRONG_LENGTH;
        if (a->p1 != 0x00 || a->p2 != 0x5a || c->card->serial_len == 0)
                return SW_REF_NOT_FOUND;
        return tlv_put(c->out, 0x5a, c->card->serial, c->card->serial_len) ? SW_OK
                                                                           : SW_MEMORY_FAILURE;
}
