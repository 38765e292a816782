/* SPDX-License-Identifier: MIT */
/* The PIV section printed back as YAML: masked for people, whole for a round trip. */
#include <stdio.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <scsim/profile.h>

#include "apps/piv/crypto.h"
#include "apps/piv/profile.h"
#include "profile/model.h"
#include "profile/print.h"
#include "tlv.h"

static int print_keys(FILE *out, const scsim_profile *p, const struct prof_piv *pp, unsigned flags)
{
        static const char *const policies[] = {"default", "never", "once", "always"};

        if (pp->nkeys > 0)
                fputs("  keys:\n", out);
        for (size_t i = 0; i < pp->nkeys; i++) {
                const struct prof_piv_key *k = &pp->keys[i];
                if (k->der_len == 0 || (flags & SCSIM_PRINT_SECRETS) == 0) {
                        fprintf(out, "    %02x: {algorithm: %s, pin_policy: %s%s}\n", k->slot,
                                piv_alg_name(k->alg), policies[k->pin_policy & 3],
                                k->der_len > 0 ? ", private_key: \"********\"" : "");
                        continue;
                }
                fprintf(out, "    %02x:\n      algorithm: %s\n      pin_policy: %s\n", k->slot,
                        piv_alg_name(k->alg), policies[k->pin_policy & 3]);
                if (prof_print_private_key(out, p->blob + k->der_off, k->der_len) != 0)
                        return -1;
        }
        return 0;
}

/*
 * Objects as the profile gives them: tag -> content, without the 53 (or
 * 7E, 7F61) wrapper the loader puts around it. Certificates are objects
 * too, so they print here.
 */
static void print_objects(FILE *out, const scsim_profile *p, const struct prof_piv *pp)
{
        if (pp->nobjs > 0)
                fputs("  objects:\n", out);
        for (size_t i = 0; i < pp->nobjs; i++) {
                const uint8_t *tlv = p->blob + pp->objs[i].off, *value = NULL;
                size_t left = pp->objs[i].len, vlen = 0;
                uint32_t tag = 0;
                if (tlv_next(&tlv, &left, &tag, &value, &vlen) != 0)
                        continue; /* the loader wrote it: cannot happen */
                fprintf(out, "    \"%X\": ", (unsigned)pp->objs[i].tag);
                prof_print_hex(out, value, vlen, 6);
                fputc('\n', out);
        }
}

int piv_section_print(const scsim_profile *p, const void *section, FILE *out, unsigned flags)
{
        const struct prof_piv *pp = section;

        fprintf(out, "  management_key_algorithm: %s\n", piv_alg_name(pp->mgm_alg));
        if (flags & SCSIM_PRINT_SECRETS) {
                fputs("  management_key: ", out);
                prof_print_hex(out, pp->mgm_key, pp->mgm_key_len, 4);
                fputc('\n', out);
        } else {
                fprintf(out, "  management_key: \"********\"   # masked, %zu bytes\n",
                        pp->mgm_key_len);
        }
        fputs("  guid: ", out);
        prof_print_hex(out, pp->guid, sizeof(pp->guid), 4);
        fprintf(out, "\n  version: %u.%u.%u\n", pp->version[0], pp->version[1], pp->version[2]);
        if (pp->serial != 0)
                fprintf(out, "  serial: %u\n", (unsigned)pp->serial);
        else
                fputs("  # serial: the card's serial number, its last 4 bytes\n", out);
        if (print_keys(out, p, pp, flags) != 0)
                return -1;
        if (flags & SCSIM_PRINT_SECRETS) {
                print_objects(out, p, pp);
                return 0;
        }
        if (pp->nobjs > 0)
                fputs("  # objects (certificates included): tag, bytes as GET DATA answers\n", out);
        for (size_t i = 0; i < pp->nobjs; i++)
                fprintf(out, "  #   %06X  %zu\n", (unsigned)pp->objs[i].tag, pp->objs[i].len);
        return 0;
}
