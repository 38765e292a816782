/* SPDX-License-Identifier: MIT */
/* The PIV application's section of the profile: what a profile may set for the PIV DF. */
#ifndef SCSIM_PIV_PROFILE_H
#define SCSIM_PIV_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <scsim/profile.h>

enum prof_piv_alg {
        PROF_PIV_3DES = 0x03,
        PROF_PIV_RSA3072 = 0x05, /* YubiKey firmware 5.7 */
        PROF_PIV_RSA1024 = 0x06,
        PROF_PIV_RSA2048 = 0x07,
        PROF_PIV_AES128 = 0x08,
        PROF_PIV_AES192 = 0x0a,
        PROF_PIV_AES256 = 0x0c,
        PROF_PIV_ECCP256 = 0x11,
        PROF_PIV_ECCP384 = 0x14,
        PROF_PIV_RSA4096 = 0x16, /* YubiKey firmware 5.7 */
        PROF_PIV_ED25519 = 0xe0, /* YubiKey firmware 5.7 */
        PROF_PIV_X25519 = 0xe1,  /* YubiKey firmware 5.7 */
};
#define PROF_PIV_KEYS_MAX    25 /* 9A 9C 9D 9E, the 20 retired slots, F9 (attestation) */
#define PROF_PIV_SLOT_ATTEST 0xf9

/* A key the card has when it is created: generated then, or given (DER in the blob). */
struct prof_piv_key {
        uint8_t slot; /* 9A 9C 9D 9E 82..95 F9 */
        enum prof_piv_alg alg;
        uint8_t pin_policy; /* 0 slot default, 1 never, 2 once, 3 always */
        size_t der_off;     /* private key, DER, in profile->blob; der_len 0: generate */
        size_t der_len;
};

/* A data object the card starts with: the TLV GET DATA answers, in the blob. */
struct prof_piv_obj {
        uint32_t tag; /* 5FC1xx, 5FFFxx, 7E, 7F61 */
        size_t off;
        size_t len;
};
#define PROF_PIV_OBJS_MAX    40
#define PROF_PIV_OBJ_MAX_LEN 4096 /* a certificate with room to spare; YubiKeys take ~3 KB */

struct prof_piv {
        uint16_t df; /* the PIV DF (file index); 0 when the profile has no PIV application */
        enum prof_piv_alg mgm_alg;
        uint8_t mgm_key[32];
        size_t mgm_key_len;
        uint8_t guid[16];    /* goes into the default CHUID */
        uint8_t version[3];  /* GET VERSION (YubiKey firmware the clients see) */
        uint32_t serial;     /* GET SERIAL; 0: the card's serial number, its last 4 bytes */
        uint8_t form_factor; /* attestations' form factor (YubiKey's code; 0 unspecified) */
        struct prof_piv_key keys[PROF_PIV_KEYS_MAX];
        size_t nkeys;
        struct prof_piv_obj objs[PROF_PIV_OBJS_MAX];
        size_t nobjs;
};

struct app_section;
/* The section's parse, print and free (the application's contract entry). */
extern const struct app_section piv_section;

struct yaml_loader;
struct yaml_pos;
struct fy_node;
/*
 * profile_device.c: the device identity (sim/app.h) a `yubikey:` section
 * gives becomes the PIV section's version, serial and form factor; a version
 * or serial the PIV section gives (nodes, NULL when absent, under keys at
 * those positions) must agree with it. 0, or -1 reported.
 */
int piv_adopt_identity(struct yaml_loader *ld, struct prof_piv *pp, struct fy_node *version,
                       struct yaml_pos version_at, struct fy_node *serial,
                       struct yaml_pos serial_at);
/* Does the section's version have algorithm alg (named at `at`)? 0, or -1 reported. */
int piv_check_alg_version(struct yaml_loader *ld, const struct prof_piv *pp, enum prof_piv_alg alg,
                          struct yaml_pos at);
/* profile_print.c: the section as YAML (the contract's print). */
int piv_section_print(const scsim_profile *p, const void *section, FILE *out, unsigned flags);

#endif
