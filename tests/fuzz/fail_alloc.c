/* SPDX-License-Identifier: MIT */
/*
 * Allocation failures for the fuzz targets, so that every error path of the
 * card is reached. The targets and the static library they link are linked
 * with -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup: their
 * calls land here. libcrypto is a shared library that --wrap cannot reach;
 * its allocator is replaced through CRYPTO_set_mem_functions, which must
 * happen before libcrypto allocates anything, hence a constructor.
 */
#include <execinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "fail_alloc.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);

static struct {
        int armed;
        int held;
        unsigned shift;    /* an allocation fails with probability 2^-shift */
        uint64_t state;    /* splitmix64 */
        unsigned long nth; /* not 0: fail that allocation only, no PRNG */
        unsigned long seen, failed, failed_crypto;
} f;

uint32_t fail_alloc_seed(const uint8_t **data, size_t *size)
{
        const uint8_t *p = *data;
        uint32_t seed;

        if (*size < 4) {
                *data += *size;
                *size = 0;
                return 0;
        }
        seed = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
        *data += 4;
        *size -= 4;
        return seed;
}

void fail_alloc_start(uint32_t seed)
{
        f.armed = seed != 0;
        f.held = 0;
        f.shift = 2 + (seed & 7u);
        f.state = seed;
        f.nth = 0;
        f.seen = 0;
        f.failed = 0;
        f.failed_crypto = 0;
}

void fail_alloc_nth(unsigned long n)
{
        fail_alloc_start(n != 0);
        f.nth = n;
}

void fail_alloc_stop(void)
{
        f.armed = 0;
        f.held = 0;
}

void fail_alloc_hold(int on)
{
        if (on)
                f.held++;
        else if (f.held > 0)
                f.held--;
}

unsigned long fail_alloc_failed(void)
{
        return f.failed;
}

unsigned long fail_alloc_failed_crypto(void)
{
        return f.failed_crypto;
}

/* SCSIM_FUZZ_TRACE=1 in the environment: where each failed allocation was made, on stderr. */
static void trace(size_t n)
{
        static int on = -1;
        void *frames[16];
        int depth;

        if (on < 0)
                on = getenv("SCSIM_FUZZ_TRACE") != NULL;
        if (!on)
                return;
        fprintf(stderr, "fail_alloc: allocation of %zu bytes fails (%lu so far):\n", n, f.failed);
        f.held++; /* backtrace may allocate the first time */
        depth = backtrace(frames, 16);
        f.held--;
        backtrace_symbols_fd(frames + 2, depth > 2 ? depth - 2 : 0, 2);
}

static uint64_t next(void)
{
        uint64_t z = (f.state += 0x9e3779b97f4a7c15u);

        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
        return z ^ (z >> 31);
}

/* Should this allocation fail? Zero-size requests never do: their NULL is no failure. */
static int fail_now(size_t n)
{
        if (!f.armed || f.held > 0 || n == 0)
                return 0;
        f.seen++;
        if (f.nth != 0 ? f.seen != f.nth : next() >> (64 - f.shift) != 0)
                return 0;
        f.failed++;
        trace(n);
        return 1;
}

void *__wrap_malloc(size_t n)
{
        return fail_now(n) ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
        return fail_now(n * size) ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
        return fail_now(n) ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
        return fail_now(strlen(s) + 1) ? NULL : __real_strdup(s);
}

static int crypto_fail_now(size_t n)
{
        if (!fail_now(n))
                return 0;
        f.failed_crypto++;
        return 1;
}

/*
 * Allocations libcrypto itself cannot survive failing, whatever its caller
 * does, are never failed: that is OpenSSL's defect to fix, not ours to find
 * again. crypto/packet.c (a WPACKET's buffer): when it fails inside an ECDSA
 * signature, Debian 12's libcrypto 3.0 frees a wild pointer in
 * ECDSA_SIG_free (found by fuzz_apdu signing an attestation certificate).
 * Debian's libcrypto names the file of each allocation.
 */
static int crypto_spared(const char *file)
{
        static const char spared[] = "crypto/packet.c";
        size_t n = file != NULL ? strlen(file) : 0, k = sizeof(spared) - 1;

        /* by hand, not strstr: libFuzzer hooks strstr, which cost a tenth of fuzz_apdu's time */
        if (n < k)
                return 0;
        for (size_t i = 0; i < k; i++)
                if (file[n - k + i] != spared[i])
                        return 0;
        return 1;
}

static void *crypto_malloc(size_t n, const char *file, int line)
{
        (void)line;
        return !crypto_spared(file) && crypto_fail_now(n) ? NULL : __real_malloc(n);
}

static void *crypto_realloc(void *p, size_t n, const char *file, int line)
{
        (void)line;
        return !crypto_spared(file) && crypto_fail_now(n) ? NULL : __real_realloc(p, n);
}

static void crypto_free(void *p, const char *file, int line)
{
        (void)file;
        (void)line;
        free(p);
}

__attribute__((constructor)) static void take_libcrypto_allocator(void)
{
        if (CRYPTO_set_mem_functions(crypto_malloc, crypto_realloc, crypto_free) != 1) {
                fprintf(stderr, "fail_alloc: libcrypto allocated before the fuzz target could "
                                "take its allocator\n");
                abort();
        }
}

static void need(int ok, const char *what)
{
        if (!ok) {
                fprintf(stderr, "fail_alloc: warm-up: %s failed\n", what);
                abort();
        }
}

/* Sign, and for key agreement derive with itself; then through DER and PEM and back. */
static void use_key(EVP_PKEY *key, const char *md, int derive)
{
        static const uint8_t msg[32] = {1};
        uint8_t sig[512], *der = NULL;
        size_t siglen = sizeof(sig);
        const unsigned char *p;
        EVP_MD_CTX *mctx = EVP_MD_CTX_new();
        EVP_PKEY *back;
        BIO *bio = BIO_new(BIO_s_mem());
        int len;

        need(mctx != NULL && bio != NULL, "contexts");
        if (md != NULL || !derive) {
                need(EVP_DigestSignInit_ex(mctx, NULL, md, NULL, NULL, key, NULL) == 1 &&
                         EVP_DigestSign(mctx, sig, &siglen, msg, sizeof(msg)) == 1,
                     "signature");
        } else {
                EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
                size_t n = sizeof(sig);
                need(ctx != NULL && EVP_PKEY_derive_init(ctx) == 1 &&
                         EVP_PKEY_derive_set_peer(ctx, key) == 1 &&
                         EVP_PKEY_derive(ctx, sig, &n) == 1,
                     "key agreement");
                EVP_PKEY_CTX_free(ctx);
        }
        need((len = i2d_PrivateKey(key, &der)) > 0, "DER encoder");
        p = der;
        need((back = d2i_AutoPrivateKey(NULL, &p, len)) != NULL && EVP_PKEY_eq(key, back) == 1,
             "DER decoder");
        EVP_PKEY_free(back);
        need(PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) == 1 &&
                 (back = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)) != NULL,
             "PEM");
        EVP_PKEY_free(back);
        OPENSSL_free(der);
        BIO_free(bio);
        EVP_MD_CTX_free(mctx);
}

static void warm_rsa(void)
{
        EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
        EVP_PKEY_CTX *ctx;
        uint8_t in[128] = {0}, out[128];
        size_t n = sizeof(out);
        BIGNUM *bn = NULL;

        need(key != NULL, "RSA key generation");
        use_key(key, "SHA256", 0);
        ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
        need(ctx != NULL && EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &bn) == 1,
             "RSA parameters");
        in[127] = 1;
        need(EVP_PKEY_decrypt_init(ctx) == 1 &&
                 EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) == 1 &&
                 EVP_PKEY_decrypt(ctx, out, &n, in, sizeof(in)) == 1,
             "RSA decryption");
        need(EVP_PKEY_pairwise_check(ctx) == 1, "RSA check");
        BN_free(bn);
        EVP_PKEY_CTX_free(ctx);
        EVP_PKEY_free(key);
}

void fail_alloc_warm_up(void)
{
        static const char *const curves[] = {"P-256", "P-384", "P-521", "brainpoolP256r1"};
        static const char *const ciphers[] = {"AES-128-ECB",  "AES-192-ECB", "AES-256-ECB",
                                              "DES-EDE3-ECB", "AES-128-CTR", "AES-256-GCM"};
        uint8_t buf[64], key[32] = {0};
        int len = 0;

        need(OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG | OPENSSL_INIT_ADD_ALL_CIPHERS |
                                     OPENSSL_INIT_ADD_ALL_DIGESTS |
                                     OPENSSL_INIT_LOAD_CRYPTO_STRINGS,
                                 NULL) == 1,
             "initialisation");
        need(RAND_bytes(buf, sizeof(buf)) == 1 && RAND_priv_bytes(buf, sizeof(buf)) == 1,
             "random generator");
        need(EVP_Digest(buf, sizeof(buf), buf, NULL, EVP_sha256(), NULL) == 1, "digest");
        for (size_t i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++) {
                EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, ciphers[i], NULL);
                EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
                need(c != NULL && ctx != NULL && EVP_EncryptInit_ex(ctx, c, NULL, key, key) == 1 &&
                         EVP_EncryptUpdate(ctx, buf, &len, buf, 16) == 1,
                     ciphers[i]);
                EVP_CIPHER_CTX_free(ctx);
                EVP_CIPHER_free(c);
        }
        for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++) {
                EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curves[i]);
                need(k != NULL, curves[i]);
                use_key(k, "SHA256", 0);
                use_key(k, NULL, 1);
                EVP_PKEY_free(k);
        }
        {
                EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
                EVP_PKEY *x = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
                need(ed != NULL && x != NULL, "25519 keys");
                use_key(ed, NULL, 0);
                use_key(x, NULL, 1);
                EVP_PKEY_free(ed);
                EVP_PKEY_free(x);
        }
        warm_rsa();
}
