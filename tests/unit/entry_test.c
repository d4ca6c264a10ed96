/* entry_test.c — stored entries as the views read them (daemon/entry.h):
 * loading the exact signed bytes and the decoded entry, missing entries,
 * erased and undecodable bodies, an empty body that is held, the group an
 * entry names, feeds hidden by a fork, and entries retracted by their
 * author (and only by their author). Entries go through the real write path
 * (support/store_fixture.h); damage is done to the store directly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/entry.h"
#include "store/keys.h"
#include "support/daemon_fixture.h"

typedef struct {
    rsn_test_store_t *f;
    rsn_test_author_t *alice;
    rsn_test_author_t *bob;
    uint8_t group[RSN_ID_BYTES];
    uint8_t post[RSN_ID_BYTES];
} fixture_t;

static int setup(void **state)
{
    fixture_t *x = calloc(1, sizeof *x);
    if (x == NULL || fx_cast_new(&x->f, "rsn-entry", &x->alice, &x->bob) != 0) {
        return -1;
    }
    const uint8_t *owner[1] = {x->alice->pk};
    fx_put(x->f, x->alice, RAISON__KIND__KIND_CHARTER,
           fx_charter_keys(x->f, "ops", RAISON__ACCESS__ACCESS_OPEN, "triage", owner, 1, 0), 1000,
           x->group);
    fx_put(x->f, x->alice, RAISON__KIND__KIND_POST,
           fx_post(x->f, x->group, "triage", "disk full", NULL), 1100, x->post);
    *state = x;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *x = *state;
    fx_cast_destroy(&x->f, &x->alice, &x->bob);
    free(x);
    return 0;
}

static rsn_loaded_t *load(fixture_t *x, const uint8_t id[RSN_ID_BYTES])
{
    rsn_loaded_t *l = NULL;
    assert_int_equal(rsn_entry_load(x->f->store, x->f->arena, id, &l), 0);
    assert_non_null(l);
    return l;
}

static void test_load_exact(void **state)
{
    fixture_t *x = *state;
    rsn_test_signed_t s;
    Raison__Post *body = fx_post(x->f, x->group, "triage", "fixed", x->post);
    assert_int_equal(rsn_test_author_sign(x->f->arena, x->bob, 1, RAISON__KIND__KIND_POST,
                                          &body->base, 1200, &s),
                     0);
    rsn_ingest_result_t res;
    assert_int_equal(rsn_test_store_stage(x->f, &s, &res, NULL, 0), 0);
    assert_int_equal(rsn_ingest_commit(x->f->ingest), 0);

    Raison__SignedEntry *se = NULL;
    assert_int_equal(rsn_signed_load(x->f->store, x->f->arena, s.id, &se), 0);
    assert_int_equal(se->entry.len, s.entry_len);
    assert_memory_equal(se->entry.data, s.entry, s.entry_len);
    assert_int_equal(se->signature.len, RSN_SIG_BYTES);
    assert_memory_equal(se->signature.data, s.sig, RSN_SIG_BYTES);
    assert_int_equal(se->body.len, s.body_len);
    assert_memory_equal(se->body.data, s.body, s.body_len);

    rsn_loaded_t *l = load(x, s.id);
    assert_memory_equal(l->id, s.id, RSN_ID_BYTES);
    assert_int_equal(l->entry->seq, 1);
    assert_int_equal(l->entry->timestamp, 1200);
    assert_int_equal(l->entry->kind, RAISON__KIND__KIND_POST);
    assert_memory_equal(l->entry->author.data, x->bob->pk, RSN_KEY_BYTES);
    assert_false(l->erased);
    assert_non_null(l->body);
    const Raison__Post *p = l->body;
    assert_string_equal(p->text, "fixed");
    assert_memory_equal(p->reply_to.data, x->post, RSN_ID_BYTES);
}

static void test_missing(void **state)
{
    fixture_t *x = *state;
    uint8_t none[RSN_ID_BYTES];
    memset(none, 0x77, sizeof none);
    Raison__SignedEntry *se = (Raison__SignedEntry *)1;
    assert_int_equal(rsn_signed_load(x->f->store, x->f->arena, none, &se), RSN_ERR_NOT_FOUND);
    assert_null(se);
    rsn_loaded_t *l = (rsn_loaded_t *)1;
    assert_int_equal(rsn_entry_load(x->f->store, x->f->arena, none, &l), RSN_ERR_NOT_FOUND);
    assert_null(l);
    l = (rsn_loaded_t *)1;
    assert_int_equal(rsn_entry_try_load(x->f->store, x->f->arena, none, &l), 0);
    assert_null(l);
    assert_int_equal(rsn_entry_try_load(x->f->store, x->f->arena, x->post, &l), 0);
    assert_non_null(l);
    assert_memory_equal(l->id, x->post, RSN_ID_BYTES);
}

static void test_erased_and_undecodable(void **state)
{
    fixture_t *x = *state;
    uint8_t k[RSN_KEY_MAX];
    size_t kl = fx_key_body(x->f, k, x->post);

    /* the body gone: the header is still there, judged alone */
    fx_raw_put(x->f, k, kl, NULL, 0);
    rsn_loaded_t *l = load(x, x->post);
    assert_true(l->erased);
    assert_null(l->body);
    assert_null(l->signed_entry->body.data);
    assert_int_equal(l->entry->kind, RAISON__KIND__KIND_POST);
    uint8_t g[RSN_ID_BYTES];
    assert_int_equal(rsn_entry_group(l, g), RSN_ERR_NOT_FOUND);

    /* a body held that does not decode: not erased, but no body either */
    fx_raw_put(x->f, k, kl, "\xff\xff\xff", 3);
    l = load(x, x->post);
    assert_false(l->erased);
    assert_null(l->body);
    assert_int_equal(l->signed_entry->body.len, 3);

    /* an empty body is a held body: data is not NULL */
    uint8_t id[RSN_ID_BYTES];
    fx_put(x->f, x->bob, RAISON__KIND__KIND_PROFILE, fx_profile(x->f, "", NULL), 1300, id);
    l = load(x, id);
    assert_false(l->erased);
    assert_non_null(l->signed_entry->body.data);
    assert_int_equal(l->signed_entry->body.len, 0);
    assert_non_null(l->body);
}

static void test_group_named(void **state)
{
    fixture_t *x = *state;
    uint8_t g[RSN_ID_BYTES];
    memset(g, 0, sizeof g);
    assert_int_equal(rsn_entry_group(load(x, x->group), g), 0); /* a v1 names itself */
    assert_memory_equal(g, x->group, RSN_ID_BYTES);
    memset(g, 0, sizeof g);
    assert_int_equal(rsn_entry_group(load(x, x->post), g), 0);
    assert_memory_equal(g, x->group, RSN_ID_BYTES);

    uint8_t join[RSN_ID_BYTES], profile[RSN_ID_BYTES];
    fx_put(x->f, x->bob, RAISON__KIND__KIND_MEMBERSHIP,
           fx_membership(x->f, x->group, RAISON__ACTION__ACTION_JOIN, NULL, x->group), 1200, join);
    memset(g, 0, sizeof g);
    assert_int_equal(rsn_entry_group(load(x, join), g), 0);
    assert_memory_equal(g, x->group, RSN_ID_BYTES);
    fx_put(x->f, x->bob, RAISON__KIND__KIND_PROFILE, fx_profile(x->f, "Bob", NULL), 1300, profile);
    assert_int_equal(rsn_entry_group(load(x, profile), g), RSN_ERR_NOT_FOUND);
}

static void test_hidden_by_fork(void **state)
{
    fixture_t *x = *state;
    uint8_t p2[RSN_ID_BYTES], fork2[RSN_ID_BYTES];
    assert_int_equal(rsn_feed_frozen_from(x->f->store, x->bob->pk), 0);
    fx_put(x->f, x->bob, RAISON__KIND__KIND_PROFILE, fx_profile(x->f, "Bob", NULL), 1200, NULL);
    fx_put(x->f, x->bob, RAISON__KIND__KIND_POST, fx_post(x->f, x->group, "triage", "a", NULL),
           1300, p2);
    rsn_loaded_t *l = load(x, p2);
    assert_true(rsn_entry_shown(x->f->store, x->f->arena, l));

    fx_fork(x->f, x->bob, 2, RAISON__KIND__KIND_POST, fx_post(x->f, x->group, "triage", "b", NULL),
            1300, fork2);
    assert_int_equal(rsn_feed_frozen_from(x->f->store, x->bob->pk), 2);
    assert_false(rsn_feed_hidden(x->f->store, x->bob->pk, 1));
    assert_true(rsn_feed_hidden(x->f->store, x->bob->pk, 2));
    assert_true(rsn_feed_hidden(x->f->store, x->bob->pk, 9));
    assert_false(rsn_entry_shown(x->f->store, x->f->arena, load(x, p2)));
    assert_true(rsn_entry_shown(x->f->store, x->f->arena, load(x, x->bob->ids[1])));
    /* another author's feed is not touched */
    assert_int_equal(rsn_feed_frozen_from(x->f->store, x->alice->pk), 0);
    assert_true(rsn_entry_shown(x->f->store, x->f->arena, load(x, x->post)));
}

static void test_retracted(void **state)
{
    fixture_t *x = *state;
    /* bob cannot withdraw alice's post */
    fx_put(x->f, x->bob, RAISON__KIND__KIND_RETRACTION, fx_retraction(x->f, x->post, false), 1200,
           NULL);
    assert_false(rsn_entry_retracted(x->f->store, x->f->arena, x->post, x->alice->pk));
    assert_true(rsn_entry_shown(x->f->store, x->f->arena, load(x, x->post)));

    fx_put(x->f, x->alice, RAISON__KIND__KIND_RETRACTION, fx_retraction(x->f, x->post, false), 1300,
           NULL);
    assert_true(rsn_entry_retracted(x->f->store, x->f->arena, x->post, x->alice->pk));
    assert_false(rsn_entry_shown(x->f->store, x->f->arena, load(x, x->post)));
    /* the charter is not */
    assert_false(rsn_entry_retracted(x->f->store, x->f->arena, x->group, x->alice->pk));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_load_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_erased_and_undecodable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_named, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hidden_by_fork, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retracted, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
