/* SPDX-License-Identifier: MIT */
/* scsim_card_inspect: a live card's counters, the same records its state file would give. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <scsim/scsim.h>

#define MAX_RECS 16

struct seen {
        size_t n;
        scsim_state_record rec[MAX_RECS];
        char name[MAX_RECS][64];
};

static void collect(void *arg, const scsim_state_record *r)
{
        struct seen *s = arg;

        assert_true(s->n < MAX_RECS);
        s->rec[s->n] = *r;
        snprintf(s->name[s->n], sizeof(s->name[0]), "%s", r->name);
        s->rec[s->n].name = s->name[s->n];
        s->n++;
}

/* The record named name of kind, or fail. */
static const scsim_state_record *find(const struct seen *s, int kind, const char *name)
{
        for (size_t i = 0; i < s->n; i++)
                if (s->rec[i].kind == kind && strcmp(s->rec[i].name, name) == 0)
                        return &s->rec[i];
        fail_msg("no record %d '%s'", kind, name);
        return NULL;
}

static uint16_t transmit(scsim_card *card, const char *hex)
{
        uint8_t capdu[64], rapdu[SCSIM_RAPDU_MAX];
        size_t clen = 0, rlen = 0;

        assert_int_equal(scsim_hex_decode(hex, strlen(hex), capdu, sizeof(capdu), &clen, NULL),
                         SCSIM_OK);
        assert_int_equal(scsim_card_transmit(card, capdu, clen, rapdu, sizeof(rapdu), &rlen),
                         SCSIM_OK);
        return (uint16_t)(rapdu[rlen - 2] << 8 | rapdu[rlen - 1]);
}

static scsim_card *default_card(scsim_profile **p)
{
        scsim_card *card;

        assert_int_equal(scsim_profile_default(p), SCSIM_OK);
        card = scsim_card_new(*p);
        assert_non_null(card);
        assert_int_equal(scsim_card_power_on(card, NULL, NULL), SCSIM_OK);
        return card;
}

/* A wrong code takes a try, the right one gives them back: the records follow the card. */
static void test_tries_follow_verify(void **state)
{
        scsim_profile *p = NULL;
        scsim_card *card = default_card(&p);
        struct seen s = {0};

        (void)state;
        assert_int_equal(scsim_card_inspect(card, collect, &s), SCSIM_OK);
        assert_int_equal(s.rec[0].kind, SCSIM_STATE_HEADER);
        assert_string_equal(s.rec[0].name, "iso7816-chv");
        assert_int_equal(find(&s, SCSIM_STATE_CHV, "pin")->tries, 3);
        assert_int_equal(find(&s, SCSIM_STATE_CHV, "pin")->ref, 0x01);
        assert_int_equal(find(&s, SCSIM_STATE_CHV, "puk")->ref, -1);
        assert_int_equal(find(&s, SCSIM_STATE_KEY, "admin")->tries, 5);

        assert_int_equal(transmit(card, "0020000104 39393939"), 0x63C2);
        memset(&s, 0, sizeof(s));
        assert_int_equal(scsim_card_inspect(card, collect, &s), SCSIM_OK);
        assert_int_equal(find(&s, SCSIM_STATE_CHV, "pin")->tries, 2);
        assert_int_equal(find(&s, SCSIM_STATE_CHV, "pin")->retries, 3);
        assert_int_equal(find(&s, SCSIM_STATE_CHV, "app-pin")->tries, 3);

        assert_int_equal(transmit(card, "0020000104 31323334"), 0x9000);
        memset(&s, 0, sizeof(s));
        assert_int_equal(scsim_card_inspect(card, collect, &s), SCSIM_OK);
        assert_int_equal(find(&s, SCSIM_STATE_CHV, "pin")->tries, 3);
        scsim_card_free(&card);
        scsim_profile_free(&p);
}

/* What the card reports and what its state file holds agree, record for record. */
static void test_same_as_state_file(void **state)
{
        scsim_profile *p = NULL;
        scsim_card *card = default_card(&p);
        struct seen live = {0}, file = {0};
        scsim_diag diag;
        char path[] = "/tmp/scsim-card-inspect-XXXXXX";
        int fd = mkstemp(path);

        (void)state;
        assert_true(fd >= 0);
        close(fd);
        unlink(path);
        assert_int_equal(scsim_card_attach_state(card, path, &diag), SCSIM_OK);
        assert_int_equal(transmit(card, "0020000104 39393939"), 0x63C2);
        assert_int_equal(scsim_card_inspect(card, collect, &live), SCSIM_OK);
        assert_int_equal(scsim_state_inspect(path, collect, &file, &diag), SCSIM_OK);
        for (size_t i = 1, j = 1; i < live.n; i++, j++) {
                assert_true(j < file.n);
                assert_int_equal(live.rec[i].kind, file.rec[j].kind);
                assert_string_equal(live.rec[i].name, file.rec[j].name);
                assert_int_equal(live.rec[i].ref, file.rec[j].ref);
                assert_int_equal(live.rec[i].tries, file.rec[j].tries);
                assert_int_equal(live.rec[i].retries, file.rec[j].retries);
                assert_int_equal(live.rec[i].enabled, file.rec[j].enabled);
        }
        scsim_card_free(&card);
        scsim_profile_free(&p);
        unlink(path);
}

static void test_bad_arguments(void **state)
{
        scsim_profile *p = NULL;
        scsim_card *card = default_card(&p);
        struct seen s = {0};

        (void)state;
        assert_int_equal(scsim_card_inspect(NULL, collect, &s), SCSIM_ERR_INVALID_ARGUMENT);
        assert_int_equal(scsim_card_inspect(card, NULL, &s), SCSIM_ERR_INVALID_ARGUMENT);
        assert_int_equal(s.n, 0);
        scsim_card_free(&card);
        scsim_profile_free(&p);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_tries_follow_verify),
            cmocka_unit_test(test_same_as_state_file),
            cmocka_unit_test(test_bad_arguments),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
