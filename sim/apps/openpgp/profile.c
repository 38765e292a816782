/* SPDX-License-Identifier: MIT */
/* The openpgp section of a profile: passwords, manufacturer, algorithms, keys, data objects. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "app.h"
#include "apps/openpgp/openpgp.h"
#include "apps/openpgp/profile.h"
#include "profile/print.h"
#include "profile/yaml_reader.h"

enum {
        O_MANUFACTURER,
        O_PW1,
        O_PW3,
        O_RC,
        O_PW1_RETRIES,
        O_RC_RETRIES,
        O_PW3_RETRIES,
        O_SIGNATURE_PIN,
        O_ALGORITHMS,
        O_KEYS,
        O_NAME,
        O_LANGUAGE,
        O_SALUTATION,
        O_URL,
        O_LOGIN,
        O_PRIV1,
        O_PRIV2,
        O_PRIV3,
        O_PRIV4,
        O_N
};
static const char *const fields[O_N] = {
    "manufacturer", "pw1",           "pw3",        "resetting_code", "pw1_retries",  "rc_retries",
    "pw3_retries",  "signature_pin", "algorithms", "keys",           "name",         "language",
    "salutation",   "url",           "login",      "private_do_1",   "private_do_2", "private_do_3",
    "private_do_4",
};
/* The data objects the text fields O_NAME .. O_PRIV4 set, in that order. */
static const uint16_t text_tags[] = {0x005b, 0x5f2d, 0x5f35, 0x5f50, 0x005e,
                                     0x0101, 0x0102, 0x0103, 0x0104};

static const char *const key_names[OPGP_NKEYS] = {"sig", "dec", "aut"};

enum { K_ALGORITHM, K_PRIVATE_KEY, K_FINGERPRINT, K_CREATED, K_N };
static const char *const key_fields[K_N] = {"algorithm", "private_key", "fingerprint", "created"};

static const uint8_t rid_pix[] = {0xd2, 0x76, 0x00, 0x01, 0x24, 0x01};

static void defaults(struct prof_openpgp *op)
{
        static const char *const pws[OPGP_NPW] = {"123456", "", "12345678"};

        op->manufacturer = 0xffff; /* "test card" in the specification's list */
        for (size_t i = 0; i < OPGP_NPW; i++) {
                op->pw_len[i] = strlen(pws[i]);
                memcpy(op->pw[i], pws[i], op->pw_len[i]);
                op->retries[i] = 3;
        }
        op->pw1_status = 0x00;
        for (size_t k = 0; k < OPGP_NKEYS; k++)
                opgp_alg_from_name("rsa2048", 7, (enum opgp_key)k, op->attr[k], &op->attr_len[k]);
}

/*
 * The DF: aid D2 76 00 01 24 01 (the card completes it with version,
 * manufacturer and serial), and no CHVs of its own at 81..83, where the
 * application's passwords are.
 */
static int check_df(struct yaml_loader *ld, uint16_t df)
{
        const scsim_profile *p = yaml_profile(ld);
        const struct prof_file *f = &p->files[df];

        if (f->aid_len != sizeof(rid_pix) || memcmp(f->aid, rid_pix, sizeof(rid_pix)) != 0)
                return yaml_err(ld, yaml_file_pos(ld, df),
                                "application openpgp: give the DF aid \"D2 76 00 01 24 01\"; the "
                                "card completes it with version, manufacturer and serial number");
        for (size_t i = 0; i < p->nchvs; i++)
                if (p->chvs[i].df == df && p->chvs[i].has_ref && p->chvs[i].ref >= 0x81 &&
                    p->chvs[i].ref <= 0x83)
                        return yaml_err(ld, yaml_chv_pos(ld, i),
                                        "chv '%s': the OpenPGP application keeps references 81..83 "
                                        "itself (openpgp: pw1, pw3, resetting_code)",
                                        p->chvs[i].name);
        return 0;
}

/*
 * Clients learn chaining, extended lengths and the life cycle from the
 * historical bytes (DO 5F52): category indicator 00, then compact TLV, then
 * the status indicator 05 90 00 (operational).
 */
static int check_hist(struct yaml_loader *ld, struct yaml_pos at)
{
        const uint8_t *h = NULL;
        size_t k = opgp_historical_bytes(yaml_profile(ld), &h);

        if (k < 4 || h[0] != 0x00 || h[k - 3] != 0x05)
                return yaml_err(ld, at,
                                "application openpgp: the ATR's historical bytes must start with "
                                "00 and end with the status 05 90 00, e.g. historical_bytes: "
                                "\"00 31 F5 73 C0 01 E0 05 90 00\"");
        return 0;
}

static int get_pw(struct yaml_loader *ld, struct fy_node *n, struct yaml_pos at, const char *key,
                  size_t min, uint8_t *out, size_t *out_len)
{
        const char *s;
        size_t len = 0;

        if (yaml_text(ld, n, at, key, &s, &len) != 0)
                return -1;
        if (len < min || len > OPGP_PW_MAX)
                return yaml_err(ld, yaml_node_pos(n, at), "%s: %zu..%d bytes, got %zu", key, min,
                                OPGP_PW_MAX, len);
        memcpy(out, s, len);
        *out_len = len;
        return 0;
}

static int passwords(struct yaml_loader *ld, struct prof_openpgp *op, struct fy_node **v,
                     const struct yaml_pos *kp)
{
        static const int pw_field[OPGP_NPW] = {O_PW1, O_RC, O_PW3};
        static const int retry_field[OPGP_NPW] = {O_PW1_RETRIES, O_RC_RETRIES, O_PW3_RETRIES};
        static const size_t min[OPGP_NPW] = {OPGP_PW1_MIN, OPGP_RC_MIN, OPGP_PW3_MIN};
        static const char *const pin_words[] = {"once", "several"};

        for (size_t i = 0; i < OPGP_NPW; i++) {
                unsigned long r = 0;
                if (v[pw_field[i]] != NULL &&
                    get_pw(ld, v[pw_field[i]], kp[pw_field[i]], fields[pw_field[i]], min[i],
                           op->pw[i], &op->pw_len[i]) != 0)
                        return -1;
                if (v[retry_field[i]] != NULL) {
                        if (yaml_uint(ld, v[retry_field[i]], kp[retry_field[i]],
                                      fields[retry_field[i]], 1, 15, &r) != 0)
                                return -1;
                        op->retries[i] = (uint8_t)r;
                }
        }
        if (v[O_SIGNATURE_PIN] != NULL) {
                size_t w = 0;
                if (yaml_enum(ld, v[O_SIGNATURE_PIN], kp[O_SIGNATURE_PIN], "signature_pin",
                              pin_words, 2, &w) != 0)
                        return -1;
                op->pw1_status = (uint8_t)w;
        }
        return 0;
}

/* name, language, salutation, url, login, private_do_1..4: the data objects' first values. */
static int text_dos(struct yaml_loader *ld, struct prof_openpgp *op, struct fy_node **v,
                    const struct yaml_pos *kp)
{
        for (int f = O_NAME; f <= O_PRIV4; f++) {
                uint16_t tag = text_tags[f - O_NAME];
                struct prof_opgp_do *d = &op->dos[op->ndos];
                const char *s = NULL;
                char digit;
                size_t len = 0;
                if (v[f] == NULL)
                        continue;
                if (f == O_SALUTATION) {
                        unsigned long n = 0;
                        if (yaml_uint(ld, v[f], kp[f], fields[f], 0, 9, &n) != 0)
                                return -1;
                        digit = (char)('0' + n);
                        s = &digit;
                        len = 1;
                } else if (yaml_text(ld, v[f], kp[f], fields[f], &s, &len) != 0) {
                        return -1;
                }
                if (!opgp_do_value_ok(tag, (const uint8_t *)s, len))
                        return yaml_err(ld, yaml_node_pos(v[f], kp[f]), "%s: %s", fields[f],
                                        f == O_SALUTATION ? "expected 0, 1, 2 or 9 (ISO 5218)"
                                                          : "too long for its data object");
                d->tag = tag;
                d->len = len;
                if (prof_add_blob(yaml_profile(ld), (const uint8_t *)s, len, &d->off) != 0)
                        return yaml_err(ld, kp[f], "out of memory");
                op->ndos++;
        }
        return 0;
}

static int algorithm(struct yaml_loader *ld, struct fy_node *n, struct yaml_pos at, enum opgp_key k,
                     struct prof_openpgp *op)
{
        const char *s;
        char buf[64];
        size_t len = 0;

        if ((s = yaml_scalar(ld, n, at, "algorithm", "an algorithm name", &len)) == NULL)
                return -1;
        if (opgp_alg_from_name(s, len, k, op->attr[k], &op->attr_len[k]) != 0)
                return yaml_err(ld, yaml_node_pos(n, at),
                                "%s: '%s' is not a %s algorithm here: rsa2048, rsa3072, rsa4096, "
                                "nistp256, nistp384, nistp521, brainpoolp256r1, brainpoolp384r1, "
                                "brainpoolp512r1, %s",
                                key_names[k], yaml_shown(s, len, buf, sizeof(buf)),
                                k == OPGP_DEC ? "decryption" : "signing/authentication",
                                k == OPGP_DEC ? "cv25519" : "ed25519");
        return 0;
}

/* algorithms: {sig: NAME, dec: NAME, aut: NAME}: the attributes of keys the profile does not give.
 */
static int algorithms(struct yaml_loader *ld, struct fy_node *map, struct yaml_pos at,
                      struct prof_openpgp *op)
{
        struct fy_node *v[OPGP_NKEYS];
        struct yaml_pos kp[OPGP_NKEYS];

        if (yaml_fields(ld, map, at, "keys (sig, dec, aut)", key_names, OPGP_NKEYS, v, kp) != 0)
                return -1;
        for (size_t k = 0; k < OPGP_NKEYS; k++)
                if (v[k] != NULL && algorithm(ld, v[k], kp[k], (enum opgp_key)k, op) != 0)
                        return -1;
        return 0;
}

/* Encrypted PEM is refused rather than prompting on a terminal. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
        (void)buf;
        (void)size;
        (void)rwflag;
        (void)u;
        return -1;
}

/* private_key: an unencrypted PEM key of the key's algorithm, kept as DER in the blob. */
static int private_key(struct yaml_loader *ld, struct fy_node *n, struct yaml_pos at,
                       enum opgp_key k, struct prof_openpgp *op)
{
        struct prof_opgp_key *key = &op->keys[k];
        struct opgp_alg alg;
        const char *s;
        size_t len = 0;
        BIO *bio = NULL;
        EVP_PKEY *pk = NULL;
        unsigned char *der = NULL;
        int dlen = 0, ok = -1;

        if (yaml_text(ld, n, at, "private_key", &s, &len) != 0)
                return -1;
        if (len > INT_MAX || (bio = BIO_new_mem_buf(s, (int)len)) == NULL)
                return yaml_err(ld, at, "private_key: out of memory");
        if ((pk = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL)) == NULL) {
                yaml_err(ld, yaml_node_pos(n, at),
                         "private_key: not an unencrypted PEM private key (BEGIN PRIVATE KEY, "
                         "BEGIN EC PRIVATE KEY or BEGIN RSA PRIVATE KEY)");
                goto fail;
        }
        if (opgp_alg_parse(op->attr[k], op->attr_len[k], k, &alg) != 0 ||
            !opgp_key_fits(pk, &alg)) {
                yaml_err(ld, yaml_node_pos(n, at), "private_key: not a %s key",
                         opgp_alg_parse(op->attr[k], op->attr_len[k], k, &alg) == 0
                             ? opgp_alg_name(&alg)
                             : "usable");
                goto fail;
        }
        if ((dlen = i2d_PrivateKey(pk, &der)) <= 0 ||
            prof_add_blob(yaml_profile(ld), der, (size_t)dlen, &key->der_off) != 0) {
                yaml_err(ld, yaml_node_pos(n, at), "private_key: out of memory");
                goto fail;
        }
        key->der_len = (size_t)dlen;
        ok = 0;
fail:
        if (der != NULL)
                OPENSSL_clear_free(der, (size_t)dlen);
        EVP_PKEY_free(pk);
        BIO_free(bio);
        return ok;
}

/* created: seconds since 1970, up to 2^32 - 1 (DO CE..D0 has four bytes). */
static int created(struct yaml_loader *ld, struct fy_node *n, struct yaml_pos at, uint32_t *out)
{
        const char *s;
        char buf[64];
        size_t len = 0;
        unsigned long long v = 0;

        if ((s = yaml_scalar(ld, n, at, "created", "an integer", &len)) == NULL)
                return -1;
        for (size_t i = 0; i < len && v <= UINT32_MAX; i++) {
                if (s[i] < '0' || s[i] > '9')
                        goto bad;
                v = v * 10 + (unsigned long long)(s[i] - '0');
        }
        if (len == 0 || v == 0 || v > UINT32_MAX)
                goto bad;
        *out = (uint32_t)v;
        return 0;
bad:
        return yaml_err(ld, yaml_node_pos(n, at),
                        "created: expected seconds since 1970, 1..4294967295, got '%s'",
                        yaml_shown(s, len, buf, sizeof(buf)));
}

static int one_key(struct yaml_loader *ld, struct fy_node *n, struct yaml_pos at, enum opgp_key k,
                   struct prof_openpgp *op)
{
        struct prof_opgp_key *key = &op->keys[k];
        struct fy_node *v[K_N];
        struct yaml_pos kp[K_N];
        size_t len = 0;

        if (yaml_fields(ld, n, at, "key", key_fields, K_N, v, kp) != 0)
                return -1;
        if (v[K_ALGORITHM] != NULL && algorithm(ld, v[K_ALGORITHM], kp[K_ALGORITHM], k, op) != 0)
                return -1;
        if (v[K_PRIVATE_KEY] != NULL &&
            private_key(ld, v[K_PRIVATE_KEY], kp[K_PRIVATE_KEY], k, op) != 0)
                return -1;
        if (v[K_FINGERPRINT] != NULL) {
                if (yaml_hex(ld, v[K_FINGERPRINT], kp[K_FINGERPRINT], "fingerprint", key->fpr, 20,
                             20, &len) != 0)
                        return -1;
                key->has_fpr = true;
        }
        if (v[K_CREATED] != NULL && created(ld, v[K_CREATED], kp[K_CREATED], &key->created) != 0)
                return -1;
        key->present = true;
        return 0;
}

/* keys: {sig|dec|aut: {algorithm, private_key, fingerprint, created}}: keys the card starts with.
 */
static int keys(struct yaml_loader *ld, struct fy_node *map, struct yaml_pos at,
                struct prof_openpgp *op)
{
        struct fy_node *v[OPGP_NKEYS];
        struct yaml_pos kp[OPGP_NKEYS];

        if (yaml_fields(ld, map, at, "keys (sig, dec, aut)", key_names, OPGP_NKEYS, v, kp) != 0)
                return -1;
        for (size_t k = 0; k < OPGP_NKEYS; k++)
                if (v[k] != NULL && one_key(ld, v[k], kp[k], (enum opgp_key)k, op) != 0)
                        return -1;
        return 0;
}

static int section_fields(struct yaml_loader *ld, struct fy_node *n, struct yaml_pos at,
                          struct prof_openpgp *op)
{
        struct fy_node *v[O_N];
        struct yaml_pos kp[O_N];
        uint8_t mf[2];
        size_t len = 0;

        if (yaml_fields(ld, n, at, "openpgp", fields, O_N, v, kp) != 0)
                return -1;
        if (v[O_MANUFACTURER] != NULL) {
                if (yaml_hex(ld, v[O_MANUFACTURER], kp[O_MANUFACTURER], "manufacturer", mf, 2, 2,
                             &len) != 0)
                        return -1;
                op->manufacturer = (uint16_t)(mf[0] << 8 | mf[1]);
        }
        if (passwords(ld, op, v, kp) != 0 || text_dos(ld, op, v, kp) != 0)
                return -1;
        if (v[O_ALGORITHMS] != NULL && algorithms(ld, v[O_ALGORITHMS], kp[O_ALGORITHMS], op) != 0)
                return -1;
        return v[O_KEYS] != NULL ? keys(ld, v[O_KEYS], kp[O_KEYS], op) : 0;
}

static int section_parse(struct yaml_loader *ld, struct fy_node *n, const struct yaml_pos *at,
                         uint16_t df, void **out)
{
        struct prof_openpgp *op = calloc(1, sizeof(*op));
        int ok = -1;

        if (op == NULL)
                return yaml_err(ld, *at, "openpgp: out of memory");
        op->df = df;
        defaults(op);
        if (check_df(ld, df) != 0 || check_hist(ld, yaml_file_pos(ld, df)) != 0)
                goto fail;
        yaml_context(ld, "openpgp");
        if (n != NULL && section_fields(ld, n, *at, op) != 0)
                goto fail;
        *out = op;
        op = NULL;
        ok = 0;
fail:
        if (op != NULL) {
                OPENSSL_cleanse(op, sizeof(*op));
                free(op);
        }
        return ok;
}

static void section_free(void *section)
{
        if (section != NULL) {
                OPENSSL_cleanse(section, sizeof(struct prof_openpgp));
                free(section);
        }
}

/* The section as YAML for a reader: passwords and private keys masked, data objects by size. */
static void print_masked(const struct prof_openpgp *op, FILE *out)
{
        static const char *const pw_keys[OPGP_NPW] = {"pw1", "resetting_code", "pw3"};
        static const char *const retry_keys[OPGP_NPW] = {"pw1_retries", "rc_retries",
                                                         "pw3_retries"};

        fprintf(out, "  manufacturer: \"%02X %02X\"\n", op->manufacturer >> 8,
                op->manufacturer & 0xff);
        for (size_t i = 0; i < OPGP_NPW; i++) {
                if (op->pw_len[i] > 0)
                        fprintf(out, "  %s: \"********\"   # masked, %zu bytes\n", pw_keys[i],
                                op->pw_len[i]);
                fprintf(out, "  %s: %u\n", retry_keys[i], op->retries[i]);
        }
        fprintf(out, "  signature_pin: %s\n", op->pw1_status == 0 ? "once" : "several");
        fprintf(out, "  algorithms:\n");
        for (size_t k = 0; k < OPGP_NKEYS; k++) {
                struct opgp_alg alg;
                fprintf(out, "    %s: %s\n", key_names[k],
                        opgp_alg_parse(op->attr[k], op->attr_len[k], (enum opgp_key)k, &alg) == 0
                            ? opgp_alg_name(&alg)
                            : "?");
        }
        for (size_t k = 0, n = 0; k < OPGP_NKEYS; k++) {
                const struct prof_opgp_key *key = &op->keys[k];
                if (!key->present)
                        continue;
                if (n++ == 0)
                        fprintf(out, "  keys:\n");
                fprintf(out, "    %s: {private_key: %s", key_names[k],
                        key->der_len > 0 ? "\"********\"" : "generated at start");
                if (key->created != 0)
                        fprintf(out, ", created: %u", (unsigned)key->created);
                fprintf(out, "}\n");
        }
        if (op->ndos > 0)
                fprintf(out, "  # data objects: tag, bytes\n");
        for (size_t i = 0; i < op->ndos; i++)
                fprintf(out, "  #   %04X  %zu\n", op->dos[i].tag, op->dos[i].len);
}

static int print_keys(const scsim_profile *p, const struct prof_openpgp *op, FILE *out)
{
        for (size_t k = 0, n = 0; k < OPGP_NKEYS; k++) {
                const struct prof_opgp_key *key = &op->keys[k];
                if (!key->present)
                        continue;
                if (n++ == 0)
                        fputs("  keys:\n", out);
                fprintf(out, "    %s:%s\n", key_names[k],
                        key->der_len == 0 && !key->has_fpr && key->created == 0 ? " {}" : "");
                if (key->der_len > 0 &&
                    prof_print_private_key(out, p->blob + key->der_off, key->der_len) != 0)
                        return -1;
                if (key->has_fpr) {
                        fputs("      fingerprint: ", out);
                        prof_print_hex(out, key->fpr, sizeof(key->fpr), 8);
                        fputc('\n', out);
                }
                if (key->created != 0)
                        fprintf(out, "      created: %u\n", (unsigned)key->created);
        }
        return 0;
}

/* The whole section, secrets in clear: text that loads back into the same section. */
static int print_loadable(const scsim_profile *p, const struct prof_openpgp *op, FILE *out)
{
        static const char *const pw_keys[OPGP_NPW] = {"pw1", "resetting_code", "pw3"};
        static const char *const retry_keys[OPGP_NPW] = {"pw1_retries", "rc_retries",
                                                         "pw3_retries"};

        fprintf(out, "  manufacturer: \"%02X %02X\"\n", op->manufacturer >> 8,
                op->manufacturer & 0xff);
        for (size_t i = 0; i < OPGP_NPW; i++) {
                if (op->pw_len[i] > 0) {
                        fprintf(out, "  %s: ", pw_keys[i]);
                        prof_print_text(out, op->pw[i], op->pw_len[i], 4);
                        fputc('\n', out);
                }
                fprintf(out, "  %s: %u\n", retry_keys[i], op->retries[i]);
        }
        fprintf(out, "  signature_pin: %s\n  algorithms:\n",
                op->pw1_status == 0 ? "once" : "several");
        for (size_t k = 0; k < OPGP_NKEYS; k++) {
                struct opgp_alg alg;
                if (opgp_alg_parse(op->attr[k], op->attr_len[k], (enum opgp_key)k, &alg) != 0)
                        return -1;
                fprintf(out, "    %s: %s\n", key_names[k], opgp_alg_name(&alg));
        }
        for (size_t i = 0; i < op->ndos; i++) {
                const struct prof_opgp_do *d = &op->dos[i];
                size_t f = 0;
                while (f < sizeof(text_tags) / sizeof(text_tags[0]) && text_tags[f] != d->tag)
                        f++;
                if (f == sizeof(text_tags) / sizeof(text_tags[0]))
                        return -1;
                fprintf(out, "  %s: ", fields[O_NAME + (int)f]);
                if (d->tag == 0x5f35 && d->len == 1) /* salutation: a digit, as an integer */
                        fprintf(out, "%c", p->blob[d->off]);
                else
                        prof_print_text(out, p->blob + d->off, d->len, 4);
                fputc('\n', out);
        }
        return print_keys(p, op, out);
}

static int section_print(const scsim_profile *p, const void *section, FILE *out, unsigned flags)
{
        const struct prof_openpgp *op = section;

        if ((flags & SCSIM_PRINT_SECRETS) == 0) {
                print_masked(op, out);
                return 0;
        }
        return print_loadable(p, op, out);
}

const struct app_section openpgp_section = {
    .parse = section_parse,
    .print = section_print,
    .free = section_free,
};
