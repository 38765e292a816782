/* SPDX-License-Identifier: MIT */
/*
 * The YubiKey management application (AID A0 00 00 05 27 47 11 17): its
 * SELECT answer names the firmware, READ CONFIG answers the device
 * information ykman's ManagementSession reads over CCID (serial, firmware,
 * form factor, the applications present on USB and NFC). Configuration
 * writes are not simulated: their rows only name them for traces (6D00).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apps/yubikey/yubikey.h"
#include "card_internal.h"
#include "iso/iso.h"
#include "tlv.h"

/* Device information tags (READ CONFIG). */
enum {
        TAG_USB_SUPPORTED = 0x01,
        TAG_SERIAL = 0x02,
        TAG_USB_ENABLED = 0x03,
        TAG_FORM_FACTOR = 0x04,
        TAG_VERSION = 0x05,
        TAG_AUTO_EJECT_TIMEOUT = 0x06,
        TAG_CHALRESP_TIMEOUT = 0x07,
        TAG_DEVICE_FLAGS = 0x08,
        TAG_CONFIG_LOCK = 0x0a,
        TAG_NFC_SUPPORTED = 0x0d,
        TAG_NFC_ENABLED = 0x0e,
};

struct yubikey {
        const struct prof_yubikey *sec;
        uint16_t caps; /* the YubiKey applications the card has, by their AIDs */
};

/* A YubiKey application by the AID (prefix) of its DF. */
struct yk_applet {
        uint8_t aid[8];
        size_t len;
        uint16_t cap;
};

static const struct yk_applet applets[] = {
    {{0xa0, 0x00, 0x00, 0x03, 0x08}, 5, YK_CAP_PIV},
    {{0xd2, 0x76, 0x00, 0x01, 0x24, 0x01}, 6, YK_CAP_OPENPGP},
    {{0xa0, 0x00, 0x00, 0x05, 0x27, 0x21, 0x01}, 7, YK_CAP_OATH},
    {{0xa0, 0x00, 0x00, 0x05, 0x27, 0x20, 0x01}, 7, YK_CAP_OTP},
    {{0xa0, 0x00, 0x00, 0x06, 0x47, 0x2f, 0x00, 0x01}, 8, YK_CAP_U2F},
    {{0xa0, 0x00, 0x00, 0x05, 0x27, 0x21, 0x07}, 7, YK_CAP_HSMAUTH},
};

/* Report only what the card answers: a capability ykman lists must select. */
static uint16_t capabilities(const scsim_profile *p)
{
        uint16_t caps = 0;

        for (size_t i = 0; i < p->nfiles; i++)
                for (size_t j = 0; j < sizeof(applets) / sizeof(applets[0]); j++)
                        if (p->files[i].aid_len >= applets[j].len &&
                            memcmp(p->files[i].aid, applets[j].aid, applets[j].len) == 0)
                                caps |= applets[j].cap;
        return caps;
}

static int yk_init(struct scsim_card *card, const struct prof_app *use, void **state)
{
        struct yubikey *yk = calloc(1, sizeof(*yk));

        if (yk == NULL)
                return -1;
        yk->sec = use->section;
        yk->caps = capabilities(card->prof);
        *state = yk;
        return 0;
}

static void yk_free(void **state)
{
        if (state != NULL) {
                free(*state);
                *state = NULL;
        }
}

/* SELECT: the firmware as text, which ykman reads its version from. */
static uint16_t yk_select_answer(struct cmd *c)
{
        const uint8_t *fw = ((const struct yubikey *)c->app)->sec->id.firmware;
        char text[48];
        int n =
            snprintf(text, sizeof(text), "Virtual mgr - FW version %u.%u.%u", fw[0], fw[1], fw[2]);

        if ((c->apdu->p2 & 0x0c) != 0x00) /* FCP, FMD or nothing: as ISO has them */
                return 0;
        if (n < 0 || (size_t)n >= sizeof(text))
                return SW_MEMORY_FAILURE;
        return rbuf_put(c->out, (const uint8_t *)text, (size_t)n) ? SW_OK : SW_MEMORY_FAILURE;
}

static bool put_u16(struct rbuf *r, uint32_t tag, uint16_t v)
{
        uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
        return tlv_put(r, tag, b, 2);
}

static bool put_u8(struct rbuf *r, uint32_t tag, uint8_t v)
{
        return tlv_put(r, tag, &v, 1);
}

/* The device information TLVs: everything present is enabled, nothing is locked. */
static bool put_device_info(struct cmd *c, const struct yubikey *yk)
{
        const struct app_identity *id = &yk->sec->id;
        uint32_t s = app_identity_serial(id, c->card);
        uint8_t serial[4] = {(uint8_t)(s >> 24), (uint8_t)(s >> 16), (uint8_t)(s >> 8), (uint8_t)s};
        bool ok;

        ok = put_u16(c->out, TAG_USB_SUPPORTED, yk->caps) &&
             tlv_put(c->out, TAG_SERIAL, serial, sizeof(serial)) &&
             put_u16(c->out, TAG_USB_ENABLED, yk->caps) &&
             put_u8(c->out, TAG_FORM_FACTOR, id->form_factor) &&
             tlv_put(c->out, TAG_VERSION, id->firmware, 3) &&
             put_u16(c->out, TAG_AUTO_EJECT_TIMEOUT, 0) &&
             put_u8(c->out, TAG_CHALRESP_TIMEOUT, 15) && put_u8(c->out, TAG_DEVICE_FLAGS, 0) &&
             put_u8(c->out, TAG_CONFIG_LOCK, 0);
        if (ok && yk->sec->nfc)
                ok = put_u16(c->out, TAG_NFC_SUPPORTED, yk->caps) &&
                     put_u16(c->out, TAG_NFC_ENABLED, yk->caps);
        return ok;
}

/*
 * READ CONFIG 00 1D page 00: one length byte, then the TLVs. Firmware 5.6
 * pages the information (P1); everything fits page 0, later pages are empty.
 */
static uint16_t yk_read_config(struct cmd *c)
{
        const struct yubikey *yk = c->app;
        size_t start = c->out->len;
        uint8_t zero = 0;

        if (c->apdu->p2 != 0x00)
                return SW_WRONG_P1P2;
        if (c->apdu->nc != 0)
                return SW_WRONG_LENGTH;
        if (!rbuf_put(c->out, &zero, 1))
                return SW_MEMORY_FAILURE;
        if (c->apdu->p1 == 0x00 && !put_device_info(c, yk))
                return SW_MEMORY_FAILURE;
        if (c->out->len - start - 1 > 0xff)
                return SW_MEMORY_FAILURE;
        c->out->p[start] = (uint8_t)(c->out->len - start - 1);
        return SW_OK;
}

static const struct cmd_def yk_commands[] = {
    {0x16, "SET MODE", 0, NULL},
    {0x1c, "WRITE CONFIG", CMD_SECRET_IN, NULL},
    {0x1d, "READ CONFIG", 0, yk_read_config},
    {0x1f, "DEVICE RESET", 0, NULL},
};

const struct app_def app_yubikey = {
    .name = "yubikey",
    .commands = yk_commands,
    .ncommands = sizeof(yk_commands) / sizeof(yk_commands[0]),
    .implicit_le = true,
    .section = &yubikey_section,
    .init = yk_init,
    .free = yk_free,
    .select_answer = yk_select_answer,
};
