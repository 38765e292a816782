/* SPDX-License-Identifier: MIT */
/* pkey_from_der and pkey_sign_message: each key type the applications keep, and what is not one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "pkey.h"

struct kind {
        const char *type;  /* pkey_from_der's name */
        const char *other; /* a type it is not */
        EVP_PKEY *(*make)(void);
};

static EVP_PKEY *make_rsa(void)
{
        return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
}

static EVP_PKEY *make_ec(void)
{
        return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

static EVP_PKEY *make_ed25519(void)
{
        return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
}

static EVP_PKEY *make_x25519(void)
{
        return EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
}

static const struct kind kinds[] = {
    {"RSA", "EC", make_rsa},
    {"EC", "RSA", make_ec},
    {"ED25519", "X25519", make_ed25519},
    {"X25519", "ED25519", make_x25519},
};

static void expect_key(const char *type, const uint8_t *der, size_t len, const EVP_PKEY *want)
{
        EVP_PKEY *back = pkey_from_der(type, der, len);

        assert_non_null(back);
        assert_int_equal(EVP_PKEY_eq(back, want), 1);
        EVP_PKEY_free(back);
}

static void test_each_type_and_form(void **unused)
{
        (void)unused;
        for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
                EVP_PKEY *key = kinds[i].make();
                unsigned char *own = NULL, *p8 = NULL;
                PKCS8_PRIV_KEY_INFO *info;
                int own_len, p8_len;
                assert_non_null(key);
                own_len = i2d_PrivateKey(key, &own);
                assert_true(own_len > 0);
                info = EVP_PKEY2PKCS8(key);
                assert_non_null(info);
                p8_len = i2d_PKCS8_PRIV_KEY_INFO(info, &p8);
                assert_true(p8_len > 0);

                expect_key(kinds[i].type, own, (size_t)own_len, key);
                expect_key(kinds[i].type, p8, (size_t)p8_len, key);
                /* the other type's decoder finds no key of its own there */
                assert_null(pkey_from_der(kinds[i].other, own, (size_t)own_len));
                assert_null(pkey_from_der(kinds[i].other, p8, (size_t)p8_len));

                PKCS8_PRIV_KEY_INFO_free(info);
                OPENSSL_free(p8);
                OPENSSL_free(own);
                EVP_PKEY_free(key);
        }
}

/* One byte short, one byte over, nothing at all, a public key only: no key. */
static void test_not_exactly_a_key(void **unused)
{
        (void)unused;
        for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
                EVP_PKEY *key = kinds[i].make();
                unsigned char *der = NULL, *pub = NULL, *longer;
                int len, pub_len;
                assert_non_null(key);
                len = i2d_PrivateKey(key, &der);
                assert_true(len > 0);
                longer = OPENSSL_zalloc((size_t)len + 1);
                assert_non_null(longer);
                memcpy(longer, der, (size_t)len);

                assert_null(pkey_from_der(kinds[i].type, der, (size_t)len - 1));
                assert_null(pkey_from_der(kinds[i].type, longer, (size_t)len + 1));
                assert_null(pkey_from_der(kinds[i].type, der, 0));
                pub_len = i2d_PUBKEY(key, &pub);
                assert_true(pub_len > 0);
                assert_null(pkey_from_der(kinds[i].type, pub, (size_t)pub_len));

                OPENSSL_free(pub);
                OPENSSL_free(longer);
                OPENSSL_free(der);
                EVP_PKEY_free(key);
        }
}

static void test_sign_message(void **unused)
{
        static const uint8_t msg[] = "the message itself, not its hash";
        EVP_PKEY *key = make_ed25519();
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        uint8_t sig[64];
        size_t len = 1;

        (void)unused;
        assert_non_null(key);
        assert_non_null(md);
        assert_int_equal(pkey_sign_message(key, msg, sizeof(msg), sig, &len, sizeof(sig)), 0);
        assert_int_equal(len, 64);
        assert_int_equal(EVP_DigestVerifyInit_ex(md, NULL, NULL, NULL, NULL, key, NULL), 1);
        assert_int_equal(EVP_DigestVerify(md, sig, len, msg, sizeof(msg)), 1);
        /* no room for the signature: refused, the length left as it was */
        len = 1;
        assert_int_equal(pkey_sign_message(key, msg, sizeof(msg), sig, &len, 63), -1);
        assert_int_equal(len, 1);
        EVP_MD_CTX_free(md);
        EVP_PKEY_free(key);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_each_type_and_form),
            cmocka_unit_test(test_not_exactly_a_key),
            cmocka_unit_test(test_sign_message),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
