/* SPDX-License-Identifier: MIT */
/*
 * profiles/two-apps.yaml as documented: which PIN status survives which
 * SELECT, with both applications using specific reference 81.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <scsim/card.h>
#include <scsim/err.h>
#include <scsim/profile.h>

#include "card_steps.h"

#define SEL_PAY        "00 A4 04 0C 07 F0534353494D10"
#define SEL_ID         "00 A4 04 0C 07 F0534353494D20"
#define SEL_MF         "00 A4 00 0C 02 3F00"
#define VERIFY_PIN     "00 20 00 01 04 31323334"
#define VERIFY_PAY_PIN "00 20 00 81 04 31313131"
#define VERIFY_ID_PIN  "00 20 00 81 08 323232323232FFFF"
#define READ_PAY       "00 B0 81 00 00" /* SFI 1 in pay */
#define READ_ID        "00 A4 02 0C 02 7001"

struct fx {
        scsim_profile *p;
        scsim_card *card;
};

static int setup(void **state)
{
        static struct fx fx;
        scsim_diag diag;
        const uint8_t *atr;
        size_t atr_len;

        memset(&fx, 0, sizeof(fx));
        /* by name, the way --profile two-apps finds it */
        if (setenv("SCSIM_PROFILE_PATH", "/nonexistent:" SCSIM_SOURCE_DIR "/profiles", 1) != 0)
                return -1;
        if (scsim_profile_open("two-apps", &fx.p, &diag) != SCSIM_OK)
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

static uint16_t read_id(scsim_card *c)
{
        uint16_t sw = xmit(c, READ_ID, NULL, NULL);

        return sw != 0x9000 ? sw : xmit(c, "00 B0 00 00 00", NULL, NULL);
}

static void loads_by_name(void **state)
{
        const scsim_profile *p = ((struct fx *)*state)->p;

        assert_string_equal(scsim_profile_name(p), "two-apps");
}

static void global_pin_survives_every_select(void **state)
{
        scsim_card *c = ((struct fx *)*state)->card;

        assert_int_equal(xmit(c, VERIFY_PIN, NULL, NULL), 0x9000);
        assert_int_equal(xmit(c, SEL_PAY, NULL, NULL), 0x9000);
        assert_int_equal(xmit(c, SEL_ID, NULL, NULL), 0x9000);
        assert_int_equal(xmit(c, SEL_MF, NULL, NULL), 0x9000);
        /* id-name is readable with the global PIN alone */
        assert_int_equal(xmit(c, SEL_ID, NULL, NULL), 0x9000);
        assert_int_equal(read_id(c), 0x9000);
        /* VERIFY with no data asks without spending a try */
        assert_int_equal(xmit(c, "00 20 00 01", NULL, NULL), 0x9000);
        /* but pay-balance needs both PINs */
        assert_int_equal(xmit(c, SEL_PAY, NULL, NULL), 0x9000);
        assert_int_equal(xmit(c, READ_PAY, NULL, NULL), 0x6982);
        assert_int_equal(xmit(c, VERIFY_PAY_PIN, NULL, NULL), 0x9000);
        assert_int_equal(xmit(c, READ_PAY, NULL, NULL), 0x9000);
        /* VERIFY P1=FF clears the global PIN */
        assert_int_equal(xmit(c, "00 20 FF 01", NULL, NULL), 0x9000);
        assert_int_equal(xmit(c, READ_PAY, NULL, NULL), 0x6982);
}

static void pay_pin_cleared_when_leaving_pay(void **state)
{
        scsim_card *c = ((struct fx *)*state)->card;

        assert_int_equal(xmit(c, VERIFY_PIN, NULL, NULL), 0x9000);
        assert_int_equal(xmit(c, SEL_PAY, NULL, NULL), 0x9000);
        assert_int_equal(xmit(c, VERIFY_PAY_PIN, NULL, NULL), 0x9000);
        assert_int_equal(xmit(c, "00 A4 02 0C 02 6001", NULL, NULL), 0x9000); /* an EF inside pay */
        assert_int_equal(xmit(c, "00 B0 00 00 00", NULL, NULL), 0x9000);
        assert_int_equal(xmit(c, SEL_ID, NULL, NULL), 0x9000);
        assert_int_equal(xmit(c, SEL_PAY, NULL, NULL), 0x9000);
        assert_int_equal(xmit(c, READ_PAY, NULL, NULL), 0x6982);
        assert_int_equal(xmit(c, "00 20 00 81", NULL, NULL),
                         0x63c3); /* pay-pin: not verified, 3 tries */
}

static void id_pin_kept_across_selects(void **state)
{
        scsim_card *c = ((struct fx *)*state)->card;

        assert_int_equal(xmit(c, SEL_ID, NULL, NULL), 0x9000);
        assert_int_equal(read_id(c), 0x6982);
        /* padded to 8 bytes with FF: the unpadded form is malformed, no try spent */
        assert_int_equal(xmit(c, "00 20 00 81 06 323232323232", NULL, NULL), 0x6a80);
        assert_int_equal(xmit(c, "00 20 00 81 08 313131313131FFFF", NULL, NULL), 0x63c4);
        assert_int_equal(xmit(c, VERIFY_ID_PIN, NULL, NULL), 0x9000);
        assert_int_equal(read_id(c), 0x9000);
        assert_int_equal(xmit(c, SEL_PAY, NULL, NULL), 0x9000);
        /* in pay, reference 81 is pay-pin: id-pin's status is not in the way */
        assert_int_equal(xmit(c, "00 20 00 81", NULL, NULL), 0x63c3);
        assert_int_equal(xmit(c, SEL_MF, NULL, NULL), 0x9000);
        assert_int_equal(xmit(c, SEL_ID, NULL, NULL), 0x9000);
        assert_int_equal(read_id(c), 0x9000);
        assert_int_equal(xmit(c, "00 20 00 81", NULL, NULL), 0x9000);
}

static void status_is_per_channel_and_reset_clears(void **state)
{
        scsim_card *c = ((struct fx *)*state)->card;
        const uint8_t *atr;
        size_t atr_len;

        assert_int_equal(xmit(c, SEL_ID, NULL, NULL), 0x9000);
        assert_int_equal(xmit(c, VERIFY_ID_PIN, NULL, NULL), 0x9000);
        assert_int_equal(xmit(c, "00 70 00 01", NULL, NULL), 0x9000); /* open channel 1 */
        assert_int_equal(xmit(c, "01 A4 04 0C 07 F0534353494D20", NULL, NULL), 0x9000);
        assert_int_equal(xmit(c, "01 A4 02 0C 02 7001", NULL, NULL), 0x9000);
        assert_int_equal(xmit(c, "01 B0 00 00 00", NULL, NULL), 0x6982);
        assert_int_equal(read_id(c), 0x9000);
        assert_int_equal(scsim_card_reset(c, &atr, &atr_len), SCSIM_OK);
        assert_int_equal(xmit(c, SEL_ID, NULL, NULL), 0x9000);
        assert_int_equal(read_id(c), 0x6982);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(loads_by_name, setup, teardown),
            cmocka_unit_test_setup_teardown(global_pin_survives_every_select, setup, teardown),
            cmocka_unit_test_setup_teardown(pay_pin_cleared_when_leaving_pay, setup, teardown),
            cmocka_unit_test_setup_teardown(id_pin_kept_across_selects, setup, teardown),
            cmocka_unit_test_setup_teardown(status_is_per_channel_and_reset_clears, setup,
                                            teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
