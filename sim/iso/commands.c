/* SPDX-License-Identifier: MIT */
/* The interindustry command table: names, secrecy and handlers of ISO 7816-4 (and -8, -9). */
#include "iso/iso.h"

/*
 * Rows without a handler name instructions this card does not implement, so
 * that traces name them and mask their secrets all the same.
 */
const struct cmd_def iso_commands[] = {
    {0x0e, "ERASE BINARY", 0, NULL},
    {0x20, "VERIFY", CMD_SECRET_IN | CMD_NO_LE, chv_verify},
    {0x21, "VERIFY", CMD_SECRET_IN, NULL},
    {0x22, "MANAGE SECURITY ENVIRONMENT", 0, NULL},
    {0x24, "CHANGE REFERENCE DATA", CMD_SECRET_IN | CMD_NO_LE, chv_change_reference_data},
    {0x25, "CHANGE REFERENCE DATA", CMD_SECRET_IN, NULL},
    {0x26, "DISABLE VERIFICATION REQUIREMENT", CMD_SECRET_IN | CMD_NO_LE, chv_disable_verification},
    {0x28, "ENABLE VERIFICATION REQUIREMENT", CMD_SECRET_IN | CMD_NO_LE, chv_enable_verification},
    {0x2a, "PERFORM SECURITY OPERATION", 0, NULL},
    {0x2c, "RESET RETRY COUNTER", CMD_SECRET_IN | CMD_NO_LE, chv_reset_retry_counter},
    {0x2d, "RESET RETRY COUNTER", CMD_SECRET_IN, NULL},
    {0x44, "ACTIVATE FILE", 0, NULL},
    {0x46, "GENERATE ASYMMETRIC KEY PAIR", 0, NULL},
    {0x47, "GENERATE ASYMMETRIC KEY PAIR", 0, NULL},
    {0x70, "MANAGE CHANNEL", 0, iso_manage_channel},
    {0x82, "EXTERNAL AUTHENTICATE", CMD_SECRET_IN | CMD_NO_LE, ka_external_authenticate},
    {0x84, "GET CHALLENGE", 0, ka_get_challenge},
    {0x86, "GENERAL AUTHENTICATE", CMD_SECRET_IN | CMD_SECRET_OUT, NULL},
    {0x87, "GENERAL AUTHENTICATE", CMD_SECRET_IN | CMD_SECRET_OUT, NULL},
    {0x88, "INTERNAL AUTHENTICATE", 0, NULL},
    {0xa4, "SELECT", 0, fs_select},
    {0xb0, "READ BINARY", 0, fs_read_binary},
    {0xb1, "READ BINARY", 0, NULL},
    {0xb2, "READ RECORD", 0, NULL},
    {0xb3, "READ RECORD", 0, NULL},
    {0xc0, "GET RESPONSE", 0, NULL}, /* the dispatcher answers it */
    {0xc2, "ENVELOPE", 0, NULL},
    {0xca, "GET DATA", 0, iso_get_data},
    {0xcb, "GET DATA", 0, NULL},
    {0xd6, "UPDATE BINARY", CMD_CHAINABLE | CMD_NO_LE, fs_update_binary},
    {0xd7, "UPDATE BINARY", 0, NULL},
    {0xda, "PUT DATA", 0, NULL},
    {0xdb, "PUT DATA", 0, NULL},
    {0xdc, "UPDATE RECORD", 0, NULL},
    {0xe0, "CREATE FILE", 0, NULL},
    {0xe2, "APPEND RECORD", 0, NULL},
    {0xe4, "DELETE FILE", 0, NULL},
    {0xe6, "TERMINATE DF", 0, NULL},
    {0xe8, "TERMINATE CARD USAGE", 0, NULL},
};

const size_t iso_ncommands = sizeof(iso_commands) / sizeof(iso_commands[0]);
