/* SPDX-License-Identifier: MIT */
/*
 * YubiKey firmware 5.7's PIV additions, with raw APDUs (Debian 12's clients
 * do not send them yet), checked with libcrypto: RSA 3072/4096, Ed25519 and
 * X25519 keys generated and imported, MOVE KEY and DELETE KEY (INS F6); and
 * the same commands refused by a card of older firmware.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/rsa.h>

#include "card_steps.h"
#include "piv_helpers.h"

#define PROFILE_57                                                                                 \
        "name: yk57\natr: \"3B FD 13 00 00 81 31 FE 15 80 73 C0 21 C0 57 59 75 62 69 4B 65 79 "    \
        "40\"\nserial: \"00 6A CF C7\"\n"                                                          \
        "files:\n  piv:\n    type: df\n    fid: \"7F10\"\n"                                        \
        "    aid: \"A0 00 00 03 08 00 00 10 00 01 00\"\n    application: piv\n"                    \
        "    chvs:\n      pin: {reference: \"80\", value: \"123456\", length: 6..8, "              \
        "format: alnum, padding: FF, malformed: wrong, retries: 3, puk: puk}\n"                    \
        "      puk: {reference: \"81\", verifiable: false, value: \"12345678\", "                  \
        "length: 6..8, format: bytes, padding: FF, malformed: wrong, retries: 3}\n"                \
        "  mgmt:\n    type: df\n    fid: \"7F20\"\n    aid: \"A0 00 00 05 27 47 11 17\"\n"         \
        "    application: yubikey\n"                                                               \
        "yubikey:\n  firmware: 5.7.1\n"

#define ALG_RSA3072 0x05
#define ALG_RSA4096 0x16
#define ALG_ED25519 0xe0
#define ALG_X25519  0xe1

static struct piv_fx fx;

static int setup(void **state)
{
        memset(&fx, 0, sizeof(fx));
        fx.card = piv_card(&fx.p, PROFILE_57, NULL);
        piv_select(fx.card);
        piv_mgm_auth(fx.card);
        *state = &fx;
        return 0;
}

/* A BER length at p; returns its size. */
static size_t put_len(uint8_t *p, size_t n)
{
        if (n < 0x80) {
                p[0] = (uint8_t)n;
                return 1;
        }
        if (n < 0x100) {
                p[0] = 0x81;
                p[1] = (uint8_t)n;
                return 2;
        }
        p[0] = 0x82;
        p[1] = (uint8_t)(n >> 8);
        p[2] = (uint8_t)n;
        return 3;
}

/* A BER length at *p (advanced past it). */
static size_t get_len(const uint8_t **p)
{
        const uint8_t *b = *p;

        if (b[0] < 0x80) {
                *p += 1;
                return b[0];
        }
        if (b[0] == 0x81) {
                *p += 2;
                return b[1];
        }
        *p += 3;
        return (size_t)b[1] << 8 | b[2];
}

/* GENERAL AUTHENTICATE 7C { 82 00, tag data } with alg in slot: the 82 answer's value. */
static uint16_t use_key(scsim_card *card, uint8_t alg, uint8_t slot, uint8_t tag,
                        const uint8_t *data, size_t n, uint8_t *out, size_t *out_len)
{
        static uint8_t inner[1200], cmd[1200], resp[1200];
        const uint8_t *p = resp;
        size_t in = 0, len = 0, rn = 0;
        uint16_t sw;

        inner[in++] = 0x82;
        inner[in++] = 0x00;
        inner[in++] = tag;
        in += put_len(inner + in, n);
        memcpy(inner + in, data, n);
        in += n;
        cmd[len++] = 0x7c;
        len += put_len(cmd + len, in);
        memcpy(cmd + len, inner, in);
        len += in;
        if ((sw = piv_send(card, 0x87, alg, slot, cmd, len, resp, &rn)) != 0x9000)
                return sw;
        assert_int_equal(*p++, 0x7c);
        (void)get_len(&p);
        assert_int_equal(*p++, 0x82);
        *out_len = get_len(&p);
        memcpy(out, p, *out_len);
        return sw;
}

static void test_ed25519(void **state)
{
        struct piv_fx *f = *state;
        uint8_t msg[300], sig[128];
        size_t n = 0;
        EVP_PKEY *pub;
        EVP_MD_CTX *md = EVP_MD_CTX_new();

        for (size_t i = 0; i < sizeof(msg); i++)
                msg[i] = (uint8_t)i;
        pub = piv_gen_pub(f->card, 0x9a, ALG_ED25519);
        assert_int_equal(use_key(f->card, ALG_ED25519, 0x9a, 0x81, msg, sizeof(msg), sig, &n),
                         0x6982); /* 9A needs the PIN */
        piv_verify_pin(f->card);
        assert_int_equal(use_key(f->card, ALG_ED25519, 0x9a, 0x81, msg, sizeof(msg), sig, &n),
                         0x9000);
        assert_int_equal(n, 64);
        assert_int_equal(EVP_DigestVerifyInit_ex(md, NULL, NULL, NULL, NULL, pub, NULL), 1);
        assert_int_equal(EVP_DigestVerify(md, sig, n, msg, sizeof(msg)), 1);
        /* the key is Ed25519, not X25519: agreement is refused */
        assert_int_equal(use_key(f->card, ALG_ED25519, 0x9a, 0x85, msg, 32, sig, &n), 0x6a80);
        EVP_MD_CTX_free(md);
        EVP_PKEY_free(pub);
}

static void x25519_agree(scsim_card *card, uint8_t slot, EVP_PKEY *card_pub)
{
        EVP_PKEY *host = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(host, NULL);
        uint8_t host_pub[32], secret[64], expect[64];
        size_t hn = sizeof(host_pub), n = 0, en = sizeof(expect);

        assert_int_equal(EVP_PKEY_get_raw_public_key(host, host_pub, &hn), 1);
        assert_int_equal(use_key(card, ALG_X25519, slot, 0x85, host_pub, hn, secret, &n), 0x9000);
        assert_int_equal(EVP_PKEY_derive_init(ctx), 1);
        assert_int_equal(EVP_PKEY_derive_set_peer(ctx, card_pub), 1);
        assert_int_equal(EVP_PKEY_derive(ctx, expect, &en), 1);
        assert_int_equal(n, en);
        assert_memory_equal(secret, expect, n);
        /* X25519 does not sign */
        assert_int_equal(use_key(card, ALG_X25519, slot, 0x81, host_pub, hn, secret, &n), 0x6a80);
        EVP_PKEY_CTX_free(ctx);
        EVP_PKEY_free(host);
}

static void test_x25519(void **state)
{
        struct piv_fx *f = *state;
        EVP_PKEY *pub = piv_gen_pub(f->card, 0x9d, ALG_X25519);

        piv_verify_pin(f->card);
        x25519_agree(f->card, 0x9d, pub);
        EVP_PKEY_free(pub);
}

/* IMPORT with tag 07 (Ed25519) and 08 (X25519): the card uses the host's keys. */
static void test_import_25519(void **state)
{
        struct piv_fx *f = *state;
        EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
        EVP_PKEY *x = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
        uint8_t data[2 + 32], msg[32] = "an Ed25519 message, 32 bytes...", sig[64], meta[128];
        size_t n = 32, mn = 0;
        EVP_MD_CTX *md = EVP_MD_CTX_new();

        data[0] = 0x07;
        data[1] = 32;
        assert_int_equal(EVP_PKEY_get_raw_private_key(ed, data + 2, &n), 1);
        assert_int_equal(piv_send(f->card, 0xfe, ALG_ED25519, 0x82, data, sizeof(data), NULL, NULL),
                         0x9000);
        /* a 31-byte key, or the X25519 tag, is refused */
        data[0] = 0x08;
        assert_int_equal(piv_send(f->card, 0xfe, ALG_ED25519, 0x83, data, sizeof(data), NULL, NULL),
                         0x6a80);
        n = 32;
        assert_int_equal(EVP_PKEY_get_raw_private_key(x, data + 2, &n), 1);
        assert_int_equal(piv_send(f->card, 0xfe, ALG_X25519, 0x83, data, sizeof(data), NULL, NULL),
                         0x9000);
        data[1] = 31;
        assert_int_equal(piv_send(f->card, 0xfe, ALG_X25519, 0x84, data, 33, NULL, NULL), 0x6a80);
        /* metadata: algorithm E0, imported (03 02), the public key */
        assert_int_equal(xmit(f->card, "00F7008200", meta, &mn), 0x9000);
        assert_memory_equal(meta, "\x01\x01\xe0\x02\x02\x02\x01\x03\x01\x02\x04\x22\x86\x20", 14);
        piv_verify_pin(f->card);
        assert_int_equal(use_key(f->card, ALG_ED25519, 0x82, 0x81, msg, sizeof(msg), sig, &n),
                         0x9000);
        assert_int_equal(EVP_DigestVerifyInit_ex(md, NULL, NULL, NULL, NULL, ed, NULL), 1);
        assert_int_equal(EVP_DigestVerify(md, sig, n, msg, sizeof(msg)), 1);
        x25519_agree(f->card, 0x83, x);
        EVP_MD_CTX_free(md);
        EVP_PKEY_free(ed);
        EVP_PKEY_free(x);
}

/* The raw RSA operation on one block, checked by raising the answer to e. */
static void rsa_raw_check(scsim_card *card, uint8_t alg, uint8_t slot, EVP_PKEY *pub, size_t bytes)
{
        uint8_t block[512], out[512], back[512];
        size_t n = 0, bn = sizeof(back);
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pub, NULL);

        memset(block, 0x5a, bytes);
        block[0] = 0x00; /* below the modulus */
        assert_int_equal(use_key(card, alg, slot, 0x81, block, bytes, out, &n), 0x9000);
        assert_int_equal(n, bytes);
        assert_int_equal(EVP_PKEY_encrypt_init(ctx), 1);
        assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING), 1);
        assert_int_equal(EVP_PKEY_encrypt(ctx, back, &bn, out, n), 1);
        assert_int_equal(bn, bytes);
        assert_memory_equal(back, block, bytes);
        /* a block of another size is refused */
        assert_int_equal(use_key(card, alg, slot, 0x81, block, bytes - 1, out, &n), 0x6a80);
        EVP_PKEY_CTX_free(ctx);
}

static void test_rsa3072_generate(void **state)
{
        struct piv_fx *f = *state;
        EVP_PKEY *pub = piv_gen_pub(f->card, 0x9e, ALG_RSA3072);

        assert_int_equal(EVP_PKEY_get_bits(pub), 3072);
        rsa_raw_check(f->card, ALG_RSA3072, 0x9e, pub, 384);
        EVP_PKEY_free(pub);
}

static size_t put_bn(uint8_t *p, uint8_t tag, const EVP_PKEY *key, const char *name, size_t len)
{
        BIGNUM *bn = NULL;

        assert_int_equal(EVP_PKEY_get_bn_param(key, name, &bn), 1);
        p[0] = tag;
        p[1] = 0x82;
        p[2] = (uint8_t)(len >> 8);
        p[3] = (uint8_t)len;
        assert_int_equal(BN_bn2binpad(bn, p + 4, (int)len), (int)len);
        BN_clear_free(bn);
        return 4 + len;
}

/* RSA 4096 imported from its CRT parts (each 256 bytes), used in a retired slot. */
static void test_rsa4096_import(void **state)
{
        struct piv_fx *f = *state;
        EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)4096);
        static uint8_t data[5 * 260];
        size_t n = 0;

        assert_non_null(key);
        n += put_bn(data + n, 0x01, key, OSSL_PKEY_PARAM_RSA_FACTOR1, 256);
        n += put_bn(data + n, 0x02, key, OSSL_PKEY_PARAM_RSA_FACTOR2, 256);
        n += put_bn(data + n, 0x03, key, OSSL_PKEY_PARAM_RSA_EXPONENT1, 256);
        n += put_bn(data + n, 0x04, key, OSSL_PKEY_PARAM_RSA_EXPONENT2, 256);
        n += put_bn(data + n, 0x05, key, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, 256);
        assert_int_equal(piv_send(f->card, 0xfe, ALG_RSA4096, 0x85, data, n, NULL, NULL), 0x9000);
        /* the same parts under RSA 3072 do not make a key */
        assert_int_equal(piv_send(f->card, 0xfe, ALG_RSA3072, 0x86, data, n, NULL, NULL), 0x6a80);
        /* nor do they with a dp (03) that p and q do not make */
        data[2 * 260 + 4 + 255] ^= 0x01;
        assert_int_equal(piv_send(f->card, 0xfe, ALG_RSA4096, 0x87, data, n, NULL, NULL), 0x6a80);
        assert_int_equal(xmit(f->card, "00F7008700", NULL, NULL), 0x6a88);
        piv_verify_pin(f->card);
        rsa_raw_check(f->card, ALG_RSA4096, 0x85, key, 512);
        EVP_PKEY_free(key);
}

/* An Ed25519 key generated on the card is attested like any other. */
static void test_attest_ed25519(void **state)
{
        struct piv_fx *f = *state;
        EVP_PKEY *pub = piv_gen_pub(f->card, 0x9c, ALG_ED25519);
        static uint8_t resp[4096];
        const uint8_t *p = resp;
        size_t n = 0;
        X509 *att, *ca;

        assert_int_equal(piv_send(f->card, 0xf9, 0x9c, 0x00, NULL, 0, resp, &n), 0x9000);
        assert_non_null(att = d2i_X509(NULL, &p, (long)n));
        assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(att), pub), 1);
        assert_non_null(ca = piv_read_cert(f->card, 0x5fff01));
        assert_int_equal(X509_verify(att, X509_get0_pubkey(ca)), 1);
        X509_free(att);
        X509_free(ca);
        EVP_PKEY_free(pub);
}

/* MOVE KEY 00 F6 to from and DELETE KEY 00 F6 FF slot (Yubico's .NET SDK documents both). */
static void test_move_delete(void **state)
{
        static const char *const steps[] = {
            "00F6829A -> 9000",       /* 9A -> 82 */
            "00F7009A00 -> 6A88",     /* 9A is empty now */
            "00F6829A -> 6A88",       /* nothing left to move */
            "00F69A9A -> 6A86",       /* onto itself */
            "00F6F982 -> 6A86",       /* the attestation key never moves */
            "00F682F9 -> 6A86",       /* nor does anything move onto it */
            "00F69B82 -> 6A86",       /* not a key slot */
            "00F69A82 01 00 -> 6700", /* no data */
            "00F6FF9B -> 6A86",       /* DELETE of no slot */
            NULL};
        static const char *const after[] = {
            "00F6FF82 -> 9000",
            "00F7008200 -> 6A88",
            "00F6FF82 -> 6A88",
            "00F6FFF9 -> 9000", /* the attestation key may be deleted */
            "00F99E00 -> 6985", /* then nothing is attested */
            "00A4040C08A000000527471117 -> 9000",
            "00A4040009A00000030800001000 -> *9000",
            "00F69E9D -> 6982", /* the management key left with the application */
            NULL};
        struct piv_fx *f = *state;
        EVP_PKEY *moved = piv_gen_pub(f->card, 0x9a, ALG_ED25519), *other, *meta_pub;
        uint8_t meta[128], resp[2048];
        size_t n = 0;

        run_steps(f->card, steps);
        /* the key kept its algorithm, PIN policy (9A's "once") and origin in 82 */
        assert_int_equal(xmit(f->card, "00F7008200", meta, &n), 0x9000);
        assert_memory_equal(meta, "\x01\x01\xe0\x02\x02\x02\x01\x03\x01\x01", 10);
        meta_pub = piv_parse_public(meta + 12, n - 12, ALG_ED25519);
        assert_int_equal(EVP_PKEY_eq(meta_pub, moved), 1);
        /* a generated key stays attestable where it went */
        assert_int_equal(piv_send(f->card, 0xf9, 0x82, 0x00, NULL, 0, resp, &n), 0x9000);
        /* onto an occupied slot: refused */
        other = piv_gen_pub(f->card, 0x9a, 0x11);
        assert_int_equal(xmit(f->card, "00F6829A", NULL, NULL), 0x6985);
        EVP_PKEY_free(other);
        other = piv_gen_pub(f->card, 0x9e, 0x11);
        run_steps(f->card, after);
        EVP_PKEY_free(other);
        EVP_PKEY_free(meta_pub);
        EVP_PKEY_free(moved);
}

/* Curve25519 keys go through the state file and come back the same. */
static void test_state_keeps_25519(void **state)
{
        struct piv_fx *f = *state;
        char dir[] = "/tmp/scsim-57-XXXXXX", path[600];
        uint8_t before[2][128], after[2][128];
        size_t nb[2] = {0}, na[2] = {0};
        scsim_diag diag;
        EVP_PKEY *a, *b;

        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/state", dir);
        assert_int_equal(scsim_card_attach_state(f->card, path, &diag), SCSIM_OK);
        a = piv_gen_pub(f->card, 0x9a, ALG_ED25519);
        b = piv_gen_pub(f->card, 0x9d, ALG_X25519);
        assert_int_equal(xmit(f->card, "00F7009A00", before[0], &nb[0]), 0x9000);
        assert_int_equal(xmit(f->card, "00F7009D00", before[1], &nb[1]), 0x9000);
        scsim_card_free(&f->card);
        assert_non_null(f->card = scsim_card_new(f->p));
        assert_int_equal(scsim_card_attach_state(f->card, path, &diag), SCSIM_OK);
        assert_int_equal(scsim_card_power_on(f->card, NULL, NULL), SCSIM_OK);
        piv_select(f->card);
        assert_int_equal(xmit(f->card, "00F7009A00", after[0], &na[0]), 0x9000);
        assert_int_equal(xmit(f->card, "00F7009D00", after[1], &na[1]), 0x9000);
        for (int i = 0; i < 2; i++) {
                assert_int_equal(nb[i], na[i]);
                assert_memory_equal(before[i], after[i], nb[i]);
        }
        piv_verify_pin(f->card);
        x25519_agree(f->card, 0x9d, b);
        EVP_PKEY_free(a);
        EVP_PKEY_free(b);
        unlink(path);
        rmdir(dir);
}

/*
 * Mutated YubiKey commands (attestation, MOVE KEY, Curve25519 use, the
 * management application, the PIN rules) never crash the card and answer
 * only documented status words.
 */
static void test_mutated(void **state)
{
        static const char *const seeds[] = {
            "00F99A00",
            "00F6829A",
            "00F6FF9A",
            "0087E09A 08 7C06 8200 8102 CAFE",
            "0087E19D 26 7C24 8200 8520 0900000000000000000000000000000000000000000000000000000000"
            "000000",
            "00FEE082 22 0720 0102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F20",
            "00A4040008A000000527471117",
            "001D0000",
            "00200080 08 FFFFFFFFFFFFFFFF",
            "00240080 10 313233343536FFFF 3132FFFFFFFFFFFF",
            "002C0080 10 FFFFFFFFFFFFFFFF FFFFFFFFFFFFFFFF",
            "00A4040009A00000030800001000",
        };
        static const uint16_t ok_sw[] = {0x9000, 0x6700, 0x6881, 0x6882, 0x6883, 0x6884,
                                         0x6982, 0x6983, 0x6985, 0x6a80, 0x6a82, 0x6a86,
                                         0x6a88, 0x6d00, 0x6e00, 0x6986, 0x6a81, 0x6b00};
        struct piv_fx *f = *state;
        uint32_t rng = 0x57u;
        uint8_t apdu[128], out[SCSIM_RAPDU_MAX];
        EVP_PKEY *a = piv_gen_pub(f->card, 0x9a, ALG_ED25519),
                 *b = piv_gen_pub(f->card, 0x9d, ALG_X25519);

        for (unsigned iter = 0; iter < 5000; iter++) {
                const char *seed;
                size_t n, rn = 0, i;
                uint16_t sw;

                rng = rng * 1103515245u + 12345u;
                seed = seeds[(rng >> 8) % (sizeof(seeds) / sizeof(seeds[0]))];
                n = hex_parse(seed, apdu, sizeof(apdu));
                for (unsigned m = 0; m < 1 + (rng >> 28) % 3; m++) {
                        rng = rng * 1103515245u + 12345u;
                        if ((rng >> 12) % 3 == 2 && n > 4)
                                n -= 1 + (rng >> 16) % (n - 4);
                        else
                                apdu[(rng >> 16) % n] ^= (uint8_t)(1u << ((rng >> 4) % 8));
                }
                apdu[0] &= 0x13;     /* no secure messaging */
                if (apdu[1] == 0x47) /* no key generation storms */
                        apdu[1] = 0x87;
                sw = xmit_bytes(f->card, apdu, n, out, &rn);
                for (i = 0; i < sizeof(ok_sw) / sizeof(ok_sw[0]); i++)
                        if (sw == ok_sw[i] || (sw & 0xfff0) == 0x63c0 || (sw & 0xff00) == 0x6100)
                                break;
                if (i == sizeof(ok_sw) / sizeof(ok_sw[0]))
                        fail_msg("iteration %u: SW %04X to %s", iter, sw, seed);
                if ((rng >> 20) % 32 == 0) {
                        assert_int_equal(scsim_card_reset(f->card, NULL, NULL), SCSIM_OK);
                        piv_select(f->card);
                        piv_mgm_auth(f->card);
                }
        }
        EVP_PKEY_free(a);
        EVP_PKEY_free(b);
}

/* On firmware 5.4.3 none of it exists: the answers of an older YubiKey. */
static void test_older_firmware(void **state)
{
        static const char *const steps[] = {
            "00A4040009A00000030800001000 -> *9000",
            "0047009A 05 AC0380 01E0 -> 6A80", /* GENERATE Ed25519 */
            "0047009A 05 AC0380 0105 -> 6A80", /* GENERATE RSA 3072 */
            "00FEE09A 22 0720 0000000000000000000000000000000000000000000000000000000000000001 "
            "-> 6A86",          /* IMPORT Ed25519 */
            "00F6829A -> 6D00", /* MOVE KEY */
            NULL};
        struct piv_fx *f = *state;

        piv_fx_teardown(state);
        f->card = piv_card(&f->p, NULL, SCSIM_SOURCE_DIR "/profiles/yubikey5.yaml");
        piv_select(f->card);
        piv_mgm_auth(f->card);
        run_steps(f->card, steps);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_ed25519, setup, piv_fx_teardown),
            cmocka_unit_test_setup_teardown(test_x25519, setup, piv_fx_teardown),
            cmocka_unit_test_setup_teardown(test_import_25519, setup, piv_fx_teardown),
            cmocka_unit_test_setup_teardown(test_rsa3072_generate, setup, piv_fx_teardown),
            cmocka_unit_test_setup_teardown(test_rsa4096_import, setup, piv_fx_teardown),
            cmocka_unit_test_setup_teardown(test_attest_ed25519, setup, piv_fx_teardown),
            cmocka_unit_test_setup_teardown(test_move_delete, setup, piv_fx_teardown),
            cmocka_unit_test_setup_teardown(test_state_keeps_25519, setup, piv_fx_teardown),
            cmocka_unit_test_setup_teardown(test_mutated, setup, piv_fx_teardown),
            cmocka_unit_test_setup_teardown(test_older_firmware, setup, piv_fx_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
