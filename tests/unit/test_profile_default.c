/* SPDX-License-Identifier: MIT */
/*
 * The default card iso7816-chv, loaded from its embedded YAML: the fixed
 * identifiers others rely on, and its PINs, PUK and admin key at work.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include <scsim/card.h>
#include <scsim/err.h>
#include <scsim/profile.h>

#include "card_steps.h"
#include "profile/model.h"

struct fx {
        scsim_profile *p;
        scsim_card *card;
};

static int setup(void **state)
{
        static struct fx fx;
        const uint8_t *atr;
        size_t atr_len;

        memset(&fx, 0, sizeof(fx));
        if (scsim_profile_default(&fx.p) != SCSIM_OK)
                return -1;
        if ((fx.card = scsim_card_new(fx.p)) == NULL)
                return -1;
        if (scsim_card_power_on(fx.card, &atr, &atr_len) != SCSIM_OK)
                return -1;
        *state = &fx;
        return 0;
}

static int teardown(void **state)
{
        struct fx *fx = *state;

        scsim_card_free(&fx->card);
        scsim_profile_free(&fx->p);
        return 0;
}

static int find_chv(const scsim_profile *p, const char *name)
{
        for (size_t i = 0; i < p->nchvs; i++)
                if (strcmp(p->chvs[i].name, name) == 0)
                        return (int)i;
        return -1;
}

static int find_file(const scsim_profile *p, uint16_t parent, uint16_t fid)
{
        for (size_t i = 1; i < p->nfiles; i++)
                if (p->files[i].parent == parent && p->files[i].fid == fid)
                        return (int)i;
        return -1;
}

static void identifiers(void **state)
{
        static const uint8_t atr[] = {0x3b, 0x8b, 0x80, 0x01, 0x80, 0x73, 0xf4, 0x01,
                                      0xdb, 0x55, 0x53, 0x43, 0x53, 0x49, 0x4d, 0xc5};
        static const uint8_t serial[] = {0x53, 0x43, 0, 0, 0, 0, 0, 1};
        static const uint8_t aid[] = {0xf0, 0x53, 0x43, 0x53, 0x49, 0x4d, 0x01};
        static const uint8_t key[] = {0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
                                      0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f};
        const scsim_profile *p = ((struct fx *)*state)->p;
        const struct prof_chv *pin, *puk, *app;
        int i_pin, i_puk, i_app, df, ef;

        assert_string_equal(scsim_profile_name(p), "iso7816-chv");
        assert_int_equal(p->atr_len, sizeof(atr));
        assert_memory_equal(p->atr, atr, sizeof(atr));
        assert_int_equal(p->serial_len, sizeof(serial));
        assert_memory_equal(p->serial, serial, sizeof(serial));

        assert_int_equal(p->files[0].fid, 0x3f00);
        assert_true(find_file(p, 0, 0x0101) > 0);
        assert_true(find_file(p, 0, 0x0102) > 0);
        df = find_file(p, 0, 0x5000);
        assert_true(df > 0);
        assert_int_equal(p->files[df].type, PROF_FILE_DF);
        assert_int_equal(p->files[df].aid_len, sizeof(aid));
        assert_memory_equal(p->files[df].aid, aid, sizeof(aid));
        ef = find_file(p, (uint16_t)df, 0x5001);
        assert_true(ef > 0);
        assert_int_equal(p->files[ef].type, PROF_FILE_EF);

        i_pin = find_chv(p, "pin");
        i_puk = find_chv(p, "puk");
        i_app = find_chv(p, "app-pin");
        assert_true(i_pin >= 0 && i_puk >= 0 && i_app >= 0);
        pin = &p->chvs[i_pin];
        puk = &p->chvs[i_puk];
        app = &p->chvs[i_app];
        assert_true(pin->has_ref && pin->verifiable);
        assert_int_equal(pin->ref, 0x01);
        assert_int_equal(pin->df, 0);
        assert_int_equal(pin->value_len, 4);
        assert_memory_equal(pin->value, "1234", 4);
        assert_int_equal(pin->min_len, 4);
        assert_int_equal(pin->max_len, 8);
        assert_int_equal(pin->format, PROF_CHV_DIGITS);
        assert_int_equal(pin->padding, PROF_PAD_NONE);
        assert_int_equal(pin->retries, 3);
        assert_int_equal(pin->puk, i_puk);
        assert_true(pin->may_disable);
        assert_true(pin->enabled);
        assert_int_equal(p->rules[pin->reset_rule].kind, PROF_RULE_KEY);

        assert_false(puk->has_ref);
        assert_false(puk->verifiable);
        assert_int_equal(puk->value_len, 8);
        assert_memory_equal(puk->value, "12345678", 8);
        assert_int_equal(puk->min_len, 8);
        assert_int_equal(puk->max_len, 8);
        assert_int_equal(puk->retries, 10);

        assert_int_equal(app->ref, 0x81);
        assert_int_equal(app->df, df);
        assert_memory_equal(app->value, "000000", 6);
        assert_int_equal(app->value_len, 6);
        assert_int_equal(app->min_len, 6);
        assert_int_equal(app->max_len, 8);
        assert_int_equal(app->retries, 3);
        assert_int_equal(app->puk, PROF_NONE);
        assert_int_equal(app->padding, PROF_PAD_NONE);

        assert_int_equal(p->nkeys, 1);
        assert_int_equal(p->keys[0].ref, 0x01);
        assert_int_equal(p->keys[0].df, 0);
        assert_int_equal(p->keys[0].alg, PROF_KEY_AES128);
        assert_int_equal(p->keys[0].value_len, 16);
        assert_memory_equal(p->keys[0].value, key, 16);
        assert_int_equal(p->keys[0].retries, 5);
        assert_int_equal(p->rules[pin->reset_rule].arg, 0);
}

/* Each call makes a new profile: freeing one leaves the other intact. */
static void default_is_fresh_each_call(void **state)
{
        scsim_profile *a = NULL, *b = NULL;

        (void)state;
        assert_int_equal(scsim_profile_default(&a), SCSIM_OK);
        assert_int_equal(scsim_profile_default(&b), SCSIM_OK);
        assert_ptr_not_equal(a, b);
        scsim_profile_free(&a);
        assert_null(a);
        assert_string_equal(scsim_profile_name(b), "iso7816-chv");
        scsim_profile_free(&b);
}

static void global_pin_and_puk(void **state)
{
        scsim_card *c = ((struct fx *)*state)->card;

        assert_int_equal(xmit(c, "00 A4 00 0C 02 0101", NULL, NULL), 0x9000);
        assert_int_equal(xmit(c, "00 B0 00 00 00", NULL, NULL), 0x9000);
        assert_int_equal(xmit(c, "00 A4 00 0C 02 0102", NULL, NULL), 0x9000);
        assert_int_equal(xmit(c, "00 B0 00 00 00", NULL, NULL), 0x6982);
        assert_int_equal(xmit(c, "00 20 00 01 04 31313131", NULL, NULL), 0x63c2);
        assert_int_equal(xmit(c, "00 20 00 01 04 31323334", NULL, NULL), 0x9000);
        assert_int_equal(xmit(c, "00 B0 00 00 00", NULL, NULL), 0x9000);
        /* block it, then unblock with the PUK and a new value */
        assert_int_equal(xmit(c, "00 20 00 01 04 30303030", NULL, NULL), 0x63c2);
        assert_int_equal(xmit(c, "00 20 00 01 04 30303030", NULL, NULL), 0x63c1);
        assert_int_equal(xmit(c, "00 20 00 01 04 30303030", NULL, NULL), 0x63c0);
        assert_int_equal(xmit(c, "00 20 00 01 04 31323334", NULL, NULL), 0x6983);
        assert_int_equal(xmit(c, "00 2C 00 01 0C 3837363534333231 34333231", NULL, NULL), 0x63c9);
        assert_int_equal(xmit(c, "00 2C 00 01 0C 3132333435363738 34333231", NULL, NULL), 0x9000);
        assert_int_equal(xmit(c, "00 20 00 01 04 34333231", NULL, NULL), 0x9000);
        /* the app PIN has no unblock code and no reset condition */
        assert_int_equal(xmit(c, "00 A4 04 0C 07 F0534353494D01", NULL, NULL), 0x9000);
        assert_int_equal(xmit(c, "00 2C 01 81 08 3132333435363738", NULL, NULL), 0x6985);
        assert_int_equal(xmit(c, "00 2C 03 81", NULL, NULL), 0x6985);
        /* the global PIN may be disabled */
        assert_int_equal(xmit(c, "00 26 00 01 04 34333231", NULL, NULL), 0x9000);
}

static void app_pin_is_specific(void **state)
{
        scsim_card *c = ((struct fx *)*state)->card;

        assert_int_equal(xmit(c, "00 A4 04 0C 07 F0534353494D01", NULL, NULL), 0x9000);
        assert_int_equal(xmit(c, "00 A4 02 0C 02 5001", NULL, NULL), 0x9000);
        assert_int_equal(xmit(c, "00 B0 00 00 00", NULL, NULL), 0x6982);
        assert_int_equal(xmit(c, "00 20 00 81 06 303030303030", NULL, NULL), 0x9000);
        assert_int_equal(xmit(c, "00 B0 00 00 00", NULL, NULL), 0x9000);
        /* leaving the DF clears the specific PIN */
        assert_int_equal(xmit(c, "00 A4 00 0C 02 3F00", NULL, NULL), 0x9000);
        assert_int_equal(xmit(c, "00 A4 04 0C 07 F0534353494D01", NULL, NULL), 0x9000);
        assert_int_equal(xmit(c, "00 A4 02 0C 02 5001", NULL, NULL), 0x9000);
        assert_int_equal(xmit(c, "00 B0 00 00 00", NULL, NULL), 0x6982);
        /* reference 81 does not exist outside the DF */
        assert_int_equal(xmit(c, "00 A4 00 0C 02 3F00", NULL, NULL), 0x9000);
        assert_int_equal(xmit(c, "00 20 00 81 06 303030303030", NULL, NULL), 0x6a88);
}

static void admin_key_resets_pin(void **state)
{
        static const uint8_t key[] = {0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
                                      0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f};
        scsim_card *c = ((struct fx *)*state)->card;
        uint8_t chal[32], ext[5 + 16] = {0x00, 0x82, 0x00, 0x01, 0x10};
        size_t clen = 0;
        int outl = 0;
        EVP_CIPHER_CTX *ctx;

        assert_int_equal(xmit(c, "00 2C 03 01", NULL, NULL), 0x6982);
        assert_int_equal(xmit(c, "00 A4 00 0C 02 0101", NULL, NULL), 0x9000);
        assert_int_equal(xmit(c, "00 D6 00 00 01 41", NULL, NULL), 0x6982);
        {
                uint8_t gc[] = {0x00, 0x84, 0x00, 0x00, 0x10};
                assert_int_equal(xmit_bytes(c, gc, sizeof(gc), chal, &clen), 0x9000);
        }
        assert_int_equal(clen, 16);
        ctx = EVP_CIPHER_CTX_new();
        assert_non_null(ctx);
        assert_int_equal(EVP_EncryptInit_ex(ctx, EVP_aes_128_ecb(), NULL, key, NULL), 1);
        EVP_CIPHER_CTX_set_padding(ctx, 0);
        assert_int_equal(EVP_EncryptUpdate(ctx, ext + 5, &outl, chal, 16), 1);
        assert_int_equal(outl, 16);
        EVP_CIPHER_CTX_free(ctx);
        assert_int_equal(xmit_bytes(c, ext, sizeof(ext), NULL, NULL), 0x9000);
        assert_int_equal(xmit(c, "00 D6 00 00 01 41", NULL, NULL), 0x9000);
        assert_int_equal(xmit(c, "00 2C 03 01", NULL, NULL), 0x9000);
        assert_int_equal(xmit(c, "00 2C 02 01 05 3131313131", NULL, NULL), 0x9000);
        assert_int_equal(xmit(c, "00 20 00 01 05 3131313131", NULL, NULL), 0x9000);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(identifiers, setup, teardown),
            cmocka_unit_test(default_is_fresh_each_call),
            cmocka_unit_test_setup_teardown(global_pin_and_puk, setup, teardown),
            cmocka_unit_test_setup_teardown(app_pin_is_specific, setup, teardown),
            cmocka_unit_test_setup_teardown(admin_key_resets_pin, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
