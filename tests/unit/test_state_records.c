/* SPDX-License-Identifier: MIT */
/*
 * Application records are encoded when their application's state changes,
 * not on every try: piv_save, wrapped at link time (-Wl,--wrap=piv_save),
 * counts the encodings while a PIV card on a state file is used.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "card_steps.h"
#include "state_helpers.h"

int __real_piv_save(const void *state, uint8_t **buf, size_t *len);
int __wrap_piv_save(const void *state, uint8_t **buf, size_t *len);

static unsigned saves;

int __wrap_piv_save(const void *state, uint8_t **buf, size_t *len)
{
        saves++;
        return __real_piv_save(state, buf, len);
}

#define SEL_PIV "00A4040C09A00000030800001000 -> 9000"

static void test_encoded_when_changed(void **state)
{
        struct state_fx *f = *state;
        scsim_profile *piv = NULL;
        scsim_card *card;
        scsim_diag diag;

        assert_int_equal(
            scsim_profile_load_file(SCSIM_SOURCE_DIR "/profiles/piv.yaml", &piv, &diag), SCSIM_OK);
        card = state_card(piv, f->path, SCSIM_OK);
        assert_int_equal(saves, 1); /* attaching encodes the record once */
        run_steps(card, (const char *const[]){SEL_PIV, NULL});
        saves = 0;
        for (int i = 0; i < 10; i++)
                run_steps(card, (const char *const[]){"00200080 08 393939393939FFFF -> 63C2",
                                                      "00200080 08 313233343536FFFF -> 9000",
                                                      "0020FF80 -> 9000", NULL});
        run_steps(card, (const char *const[]){
                            "00240080 10 313233343536FFFF 363534333231FFFF -> 9000", NULL});
        /* thirty tries and a changed PIN: the core's state only */
        assert_int_equal(saves, 0);
        scsim_card_free(&card);
        scsim_profile_free(&piv);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(test_encoded_when_changed, state_fx_setup,
                                            state_fx_teardown),
        };
        return cmocka_run_group_tests_name("state records", tests, NULL, NULL);
}
