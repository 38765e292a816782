/* The embedded YAML default card must be the card the C builder used to make, field by field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <scsim/err.h>
#include <scsim/profile.h>

#include "profile_model.h"

int prof_default_c(scsim_profile **out); /* sim/profile_default.c, about to go */

/* Rules are compared by meaning: their pool indices depend on the order they were made in. */
static void same_rule(const scsim_profile *a, uint16_t ra, const scsim_profile *b, uint16_t rb)
{
        const struct prof_rule *x = &a->rules[ra], *y = &b->rules[rb];

        assert_int_equal(x->kind, y->kind);
        switch (x->kind) {
        case PROF_RULE_CHV:
                assert_string_equal(a->chvs[x->arg].name, b->chvs[y->arg].name);
                break;
        case PROF_RULE_KEY:
                assert_string_equal(a->keys[x->arg].name, b->keys[y->arg].name);
                break;
        case PROF_RULE_ANY:
        case PROF_RULE_ALL:
                assert_int_equal(x->nterms, y->nterms);
                for (size_t i = 0; i < x->nterms; i++)
                        same_rule(a, x->terms[i], b, y->terms[i]);
                break;
        default:
                break;
        }
}

static void yaml_equals_c_builder(void **state)
{
        scsim_profile *y = NULL, *c = NULL;

        (void)state;
        assert_int_equal(scsim_profile_default(&y), SCSIM_OK);
        assert_int_equal(prof_default_c(&c), SCSIM_OK);
        assert_string_equal(y->name, c->name);
        assert_string_equal(y->label, c->label);
        assert_int_equal(y->atr_len, c->atr_len);
        assert_memory_equal(y->atr, c->atr, c->atr_len);
        assert_int_equal(y->serial_len, c->serial_len);
        assert_memory_equal(y->serial, c->serial, c->serial_len);

        assert_int_equal(y->nfiles, c->nfiles);
        for (size_t i = 0; i < c->nfiles; i++) {
                const struct prof_file *fy = &y->files[i], *fc = &c->files[i];
                assert_string_equal(fy->name, fc->name);
                assert_int_equal(fy->type, fc->type);
                assert_int_equal(fy->fid, fc->fid);
                assert_int_equal(fy->parent, fc->parent);
                assert_int_equal(fy->aid_len, fc->aid_len);
                assert_memory_equal(fy->aid, fc->aid, sizeof(fc->aid));
                assert_int_equal(fy->sfi, fc->sfi);
                assert_int_equal(fy->size, fc->size);
                assert_int_equal(fy->content_len, fc->content_len);
                if (fc->content_len > 0)
                        assert_memory_equal(y->blob + fy->content_off, c->blob + fc->content_off,
                                            fc->content_len);
                same_rule(y, fy->read_rule, c, fc->read_rule);
                same_rule(y, fy->update_rule, c, fc->update_rule);
        }

        assert_int_equal(y->nchvs, c->nchvs);
        for (size_t i = 0; i < c->nchvs; i++) {
                const struct prof_chv *cy = &y->chvs[i], *cc = &c->chvs[i];
                assert_string_equal(cy->name, cc->name);
                assert_int_equal(cy->has_ref, cc->has_ref);
                if (cc->has_ref)
                        assert_int_equal(cy->ref, cc->ref);
                assert_int_equal(cy->df, cc->df);
                assert_int_equal(cy->verifiable, cc->verifiable);
                assert_int_equal(cy->value_len, cc->value_len);
                assert_memory_equal(cy->value, cc->value, sizeof(cc->value));
                assert_int_equal(cy->min_len, cc->min_len);
                assert_int_equal(cy->max_len, cc->max_len);
                assert_int_equal(cy->format, cc->format);
                assert_int_equal(cy->padding, cc->padding);
                assert_int_equal(cy->retries, cc->retries);
                assert_int_equal(cy->puk, cc->puk);
                same_rule(y, cy->reset_rule, c, cc->reset_rule);
                assert_int_equal(cy->may_disable, cc->may_disable);
                assert_int_equal(cy->enabled, cc->enabled);
                assert_int_equal(cy->keep_on_deselect, cc->keep_on_deselect);
        }

        assert_int_equal(y->nkeys, c->nkeys);
        for (size_t i = 0; i < c->nkeys; i++) {
                const struct prof_key *ky = &y->keys[i], *kc = &c->keys[i];
                assert_string_equal(ky->name, kc->name);
                assert_int_equal(ky->ref, kc->ref);
                assert_int_equal(ky->df, kc->df);
                assert_int_equal(ky->alg, kc->alg);
                assert_int_equal(ky->value_len, kc->value_len);
                assert_memory_equal(ky->value, kc->value, sizeof(kc->value));
                assert_int_equal(ky->retries, kc->retries);
                assert_int_equal(ky->keep_on_deselect, kc->keep_on_deselect);
        }
        scsim_profile_free(&y);
        scsim_profile_free(&c);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(yaml_equals_c_builder),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
