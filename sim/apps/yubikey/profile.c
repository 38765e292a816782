/* SPDX-License-Identifier: MIT */
/* The `yubikey:` section of a profile: the device a YubiKey tool sees (firmware, serial, form). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apps/yubikey/yubikey.h"
#include "profile/yaml_reader.h"

enum { Y_FIRMWARE, Y_SERIAL, Y_FORM_FACTOR, Y_NFC, Y_N };
static const char *const yk_fields[Y_N] = {"firmware", "serial", "form_factor", "nfc"};

/* ykman's FORM_FACTOR codes 1..7, by name; 0 is "unknown". */
static const char *const form_factors[] = {
    "unknown",    "usb-a-keychain",  "usb-a-nano", "usb-c-keychain",
    "usb-c-nano", "usb-c-lightning", "usb-a-bio",  "usb-c-bio",
};
#define N_FORM_FACTORS (sizeof(form_factors) / sizeof(form_factors[0]))

/* Each field on its own: every mistake is reported, the others still read. */
static void yk_fill(struct yaml_loader *ld, struct prof_yubikey *y, struct fy_node **v,
                    const struct yaml_pos *kp)
{
        unsigned long num = 0;
        size_t ff = 0;

        if (v[Y_FIRMWARE] != NULL)
                yaml_version(ld, v[Y_FIRMWARE], kp[Y_FIRMWARE], "firmware", y->id.firmware);
        if (v[Y_SERIAL] != NULL &&
            yaml_uint(ld, v[Y_SERIAL], kp[Y_SERIAL], "serial", 1, 4294967295UL, &num) == 0)
                y->id.serial = (uint32_t)num;
        if (v[Y_FORM_FACTOR] != NULL &&
            yaml_enum(ld, v[Y_FORM_FACTOR], kp[Y_FORM_FACTOR], "form_factor", form_factors,
                      N_FORM_FACTORS, &ff) == 0)
                y->id.form_factor = (uint8_t)ff;
        if (v[Y_NFC] != NULL)
                yaml_bool(ld, v[Y_NFC], kp[Y_NFC], "nfc", &y->nfc);
}

/* Defaults: a YubiKey 5 NFC on USB-A, firmware 5.4.3, the card's serial number. */
static int yk_parse(struct yaml_loader *ld, struct fy_node *n, const struct yaml_pos *at,
                    uint16_t df, void **out)
{
        struct prof_yubikey *y = calloc(1, sizeof(*y));
        struct fy_node *v[Y_N];
        struct yaml_pos kp[Y_N];
        size_t before = yaml_errors(ld);

        (void)df;
        if (y == NULL)
                return yaml_err(ld, *at, "yubikey: out of memory");
        y->id.firmware[0] = 5;
        y->id.firmware[1] = 4;
        y->id.firmware[2] = 3;
        y->id.form_factor = 1;
        y->nfc = true;
        yaml_context(ld, "yubikey");
        if (n != NULL && yaml_fields(ld, n, *at, "yubikey", yk_fields, Y_N, v, kp) == 0)
                yk_fill(ld, y, v, kp);
        if (yaml_errors(ld) != before) {
                free(y);
                return -1;
        }
        *out = y;
        return 0;
}

/* Nothing in the section is secret: printed whole whatever the flags. */
static int yk_print(const scsim_profile *p, const void *section, FILE *out, unsigned flags)
{
        const struct prof_yubikey *y = section;

        (void)p;
        (void)flags;
        fprintf(out, "  firmware: %u.%u.%u\n", y->id.firmware[0], y->id.firmware[1],
                y->id.firmware[2]);
        if (y->id.serial != 0)
                fprintf(out, "  serial: %u\n", (unsigned)y->id.serial);
        else
                fprintf(out, "  # serial: the card's serial number, its last 4 bytes\n");
        fprintf(out, "  form_factor: %s\n",
                y->id.form_factor < N_FORM_FACTORS ? form_factors[y->id.form_factor] : "unknown");
        fprintf(out, "  nfc: %s\n", y->nfc ? "true" : "false");
        return 0;
}

static void yk_free(void *section)
{
        free(section);
}

static void yk_identity(const void *section, struct app_identity *id)
{
        *id = ((const struct prof_yubikey *)section)->id;
}

const struct app_section yubikey_section = {
    .parse = yk_parse,
    .print = yk_print,
    .free = yk_free,
    .identity = yk_identity,
};
