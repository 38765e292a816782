/* SPDX-License-Identifier: MIT */
/* scsim_hex_decode, the one hex reader: one table row per text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <scsim/err.h>
#include <scsim/hex.h>

struct row {
        const char *text;
        size_t len; /* 0: strlen(text) */
        int rc;
        const char *bytes; /* expected bytes (rc OK) */
        size_t nbytes;
        size_t bad_at; /* rc INVALID_ARGUMENT */
};

static const struct row rows[] = {
    {"", 0, SCSIM_OK, "", 0, 0},
    {"3F00", 0, SCSIM_OK, "\x3f\x00", 2, 0},
    {"3f00aB", 0, SCSIM_OK, "\x3f\x00\xab", 3, 0},
    {"3F 00", 0, SCSIM_OK, "\x3f\x00", 2, 0},
    {"3F:00", 0, SCSIM_OK, "\x3f\x00", 2, 0},
    {"3F: 00", 0, SCSIM_OK, "\x3f\x00", 2, 0},
    {"3F : 00", 0, SCSIM_OK, "\x3f\x00", 2, 0},
    {"  3F 00  ", 0, SCSIM_OK, "\x3f\x00", 2, 0},
    {"3F0001 02", 0, SCSIM_OK, "\x3f\x00\x01\x02", 4, 0},
    {"   ", 0, SCSIM_OK, "", 0, 0},
    {":3F", 0, SCSIM_ERR_INVALID_ARGUMENT, NULL, 0, 0},
    {"3F:", 0, SCSIM_ERR_INVALID_ARGUMENT, NULL, 0, 2},
    {"3F: ", 0, SCSIM_ERR_INVALID_ARGUMENT, NULL, 0, 2},
    {"3 F", 0, SCSIM_ERR_INVALID_ARGUMENT, NULL, 0, 1},
    {"3:F", 0, SCSIM_ERR_INVALID_ARGUMENT, NULL, 0, 1},
    {"3", 0, SCSIM_ERR_INVALID_ARGUMENT, NULL, 0, 1},
    {"3F0", 0, SCSIM_ERR_INVALID_ARGUMENT, NULL, 0, 3},
    {"3G", 0, SCSIM_ERR_INVALID_ARGUMENT, NULL, 0, 1},
    {"G3", 0, SCSIM_ERR_INVALID_ARGUMENT, NULL, 0, 0},
    {"0x3F", 0, SCSIM_ERR_INVALID_ARGUMENT, NULL, 0, 1},
    {"\t3F", 0, SCSIM_ERR_INVALID_ARGUMENT, NULL, 0, 0},
    {"3F-00", 0, SCSIM_ERR_INVALID_ARGUMENT, NULL, 0, 2},
    {"3F\0"
     "00",
     5, SCSIM_ERR_INVALID_ARGUMENT, NULL, 0, 2},
    {"3F00", 2, SCSIM_OK, "\x3f", 1, 0}, /* only len bytes are read */
};

static void table(void **state)
{
        (void)state;
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                const struct row *r = &rows[i];
                uint8_t out[8];
                size_t n = 99, bad = 99;
                size_t len = r->len != 0 ? r->len : strlen(r->text);
                int rc;

                memset(out, 0xee, sizeof(out));
                rc = scsim_hex_decode(r->text, len, out, sizeof(out), &n, &bad);
                if (rc != r->rc)
                        fail_msg("row %zu '%s': rc %d, want %d", i, r->text, rc, r->rc);
                if (rc == SCSIM_OK) {
                        assert_int_equal(n, r->nbytes);
                        assert_memory_equal(out, r->bytes, n);
                } else {
                        if (bad != r->bad_at)
                                fail_msg("row %zu '%s': bad at %zu, want %zu", i, r->text, bad,
                                         r->bad_at);
                        assert_int_equal(n, 0);
                        assert_int_equal(out[0], 0xee); /* untouched */
                }
        }
}

/* More bytes than fit: the count, and out left as it was. */
static void too_many(void **state)
{
        uint8_t out[2] = {0xee, 0xee};
        size_t n = 0;

        (void)state;
        assert_int_equal(scsim_hex_decode("01 02 03", 8, out, sizeof(out), &n, NULL),
                         SCSIM_ERR_BUFFER_TOO_SMALL);
        assert_int_equal(n, 3);
        assert_int_equal(out[0], 0xee);
        assert_int_equal(scsim_hex_decode("01:02:03", 8, NULL, 0, &n, NULL),
                         SCSIM_ERR_BUFFER_TOO_SMALL);
        assert_int_equal(n, 3);
        assert_int_equal(scsim_hex_decode("", 0, NULL, 0, &n, NULL), SCSIM_OK);
        assert_int_equal(n, 0);
}

static void bad_arguments(void **state)
{
        uint8_t out[2];
        size_t n = 0;

        (void)state;
        assert_int_equal(scsim_hex_decode("01", 2, out, sizeof(out), NULL, NULL),
                         SCSIM_ERR_INVALID_ARGUMENT);
        assert_int_equal(scsim_hex_decode(NULL, 2, out, sizeof(out), &n, NULL),
                         SCSIM_ERR_INVALID_ARGUMENT);
        assert_int_equal(scsim_hex_decode("01", 2, NULL, 1, &n, NULL), SCSIM_ERR_INVALID_ARGUMENT);
        assert_int_equal(scsim_hex_decode(NULL, 0, NULL, 0, &n, NULL), SCSIM_OK);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(table),
            cmocka_unit_test(too_many),
            cmocka_unit_test(bad_arguments),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
