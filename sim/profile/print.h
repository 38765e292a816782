/* SPDX-License-Identifier: MIT */
/* Writing profile YAML that loads back: what the printer offers application sections. */
#ifndef SCSIM_PROFILE_PRINT_H
#define SCSIM_PROFILE_PRINT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Each writes one scalar; indent is the column continuation lines start at
 * when a long scalar is broken over lines (the loader reads it back whole).
 */

/* Hex bytes "3B 8B 80", quoted. */
void prof_print_hex(FILE *out, const uint8_t *b, size_t n, unsigned indent);
/* Text as a double-quoted YAML string; any bytes that came from a YAML scalar round-trip. */
void prof_print_text(FILE *out, const uint8_t *s, size_t n, unsigned indent);
/* A name (of a file, CHV, key or profile): plain when YAML reads it back as is, else quoted. */
void prof_print_name(FILE *out, const char *name);
/*
 * "      private_key: |" and a private key (DER) as an indented PEM block
 * scalar; the PEM text lives in secure memory, wiped when freed. 0 or -1.
 */
int prof_print_private_key(FILE *out, const uint8_t *der, size_t der_len);

#endif
