/* SPDX-License-Identifier: MIT */
/* What the YubiKey PIV unit tests share: cards from YAML, the management key, keys read back. */
#ifndef SCSIM_TEST_PIV_HELPERS_H
#define SCSIM_TEST_PIV_HELPERS_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <scsim/scsim.h>

/* A card from YAML text (file NULL) or a profile file (yaml NULL), powered on. */
scsim_card *piv_card(scsim_profile **p, const char *yaml, const char *file);

/* The fixture of a test: its profile and card; the teardown frees both (cmocka's signature). */
struct piv_fx {
        scsim_profile *p;
        scsim_card *card;
};
int piv_fx_teardown(void **state);

/* A case 4 extended APDU (case 2 when n is 0) with Le 0000: the whole answer at once. */
uint16_t piv_send(scsim_card *card, uint8_t ins, uint8_t p1, uint8_t p2, const uint8_t *data,
                  size_t n, uint8_t *out, size_t *out_len);

/* SELECT the PIV application; authenticate with the default 3DES management key; VERIFY 123456. */
void piv_select(scsim_card *card);
void piv_mgm_auth(scsim_card *card);
void piv_verify_pin(scsim_card *card);

/* The public key in a GENERATE answer (7F49 ...) or in metadata tag 04's value, for alg. */
EVP_PKEY *piv_parse_public(const uint8_t *tlv, size_t n, uint8_t alg);
/* GENERATE alg in slot (must answer 9000) and return the public key. */
EVP_PKEY *piv_gen_pub(scsim_card *card, uint8_t slot, uint8_t alg);
/* The certificate in a certificate container (GET DATA tag 5FC105, 5FFF01 ...), or NULL. */
X509 *piv_read_cert(scsim_card *card, uint32_t tag);
/* The value of extension oid in cert (its raw bytes), or fail the test. */
const uint8_t *piv_cert_ext(const X509 *cert, const char *oid, size_t *len);

#endif
