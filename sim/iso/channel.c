/* SPDX-License-Identifier: MIT */
/* MANAGE CHANNEL: opening and closing logical channels, each with its own security status. */
#include "iso/iso.h"

/*
 * Open (P1 00): P2 00 lets the card choose and answers the number; P2 1..3
 * asks for that one. Close (P1 80): P2 names the channel, or 00 for the one
 * the command came on. A new channel starts with no security status; its
 * current DF is the MF, or the originating channel's DF.
 */
uint16_t iso_manage_channel(struct cmd *c)
{
        struct scsim_card *card = c->card;
        const struct apdu *a = c->apdu;
        unsigned target;

        if (a->p1 == 0x00) {
                if (a->nc != 0)
                        return SW_WRONG_LENGTH;
                if (a->p2 == 0) {
                        if (a->ne == 0)
                                return SW_WRONG_LENGTH;
                        for (target = 1; target < CARD_CHANNELS && card->ch[target].open; target++)
                                ;
                        if (target == CARD_CHANNELS)
                                return SW_FUNC_UNSUPPORTED; /* no channel left */
                } else {
                        if (!apdu_no_le(a))
                                return SW_WRONG_LENGTH;
                        target = a->p2;
                        if (target >= CARD_CHANNELS)
                                return SW_WRONG_P1P2;
                        if (card->ch[target].open)
                                return SW_CONDITIONS;
                }
                channel_reset(card, target, true, c->chno == 0 ? 0 : c->ch->df);
                if (a->p2 == 0 && !rbuf_put_u8(c->out, (uint8_t)target))
                        return SW_MEMORY_FAILURE;
                return SW_OK;
        }
        if (a->p1 == 0x80) {
                if (a->nc != 0 || !apdu_no_le(a))
                        return SW_WRONG_LENGTH;
                target = a->p2 == 0 ? c->chno : a->p2;
                if (target == 0 || target >= CARD_CHANNELS)
                        return SW_WRONG_P1P2;
                if (!card->ch[target].open)
                        return SW_CHANNEL_UNSUPPORTED;
                channel_reset(card, target, false, 0);
                return SW_OK;
        }
        return SW_WRONG_P1P2;
}
