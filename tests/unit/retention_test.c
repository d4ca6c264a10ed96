/* retention_test.c — the retention sweep (daemon/retention.h): it erases
 * the bodies of posts past their group's retention and keeps their signed
 * headers, leaves recent posts and groups without a retention alone, stops
 * at its budget and resumes from its marker, and records the retention it
 * saw. Entries go through the real write path (support/store_fixture.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/entry.h"
#include "daemon/retention.h"
#include "store/keys.h"
#include "support/daemon_fixture.h"

#define DAY 86400000ULL

typedef struct {
    rsn_test_store_t *f;
    rsn_test_author_t *alice;
    uint8_t ops[RSN_ID_BYTES];  /* retention: 1 day */
    uint8_t keep[RSN_ID_BYTES]; /* no retention */
    uint8_t old1[RSN_ID_BYTES], old2[RSN_ID_BYTES], recent[RSN_ID_BYTES], kept[RSN_ID_BYTES];
} fixture_t;

static int setup(void **state)
{
    fixture_t *x = calloc(1, sizeof *x);
    if (x == NULL || rsn_crypto_init() != 0 || rsn_test_store_new(&x->f, "rsn-retention") != 0 ||
        rsn_test_author_new(&x->alice, 1) != 0) {
        return -1;
    }
    const uint8_t *owner[1] = {x->alice->pk};
    rsn_test_store_t *f = x->f;
    fx_put(f, x->alice, RAISON__KIND__KIND_CHARTER,
           fx_charter_keys(f, "ops", RAISON__ACCESS__ACCESS_OPEN, "m", owner, 1, 1), DAY / 2,
           x->ops);
    fx_put(f, x->alice, RAISON__KIND__KIND_CHARTER,
           fx_charter_keys(f, "keep", RAISON__ACCESS__ACCESS_OPEN, "m", owner, 1, 0), DAY / 2,
           x->keep);
    fx_put(f, x->alice, RAISON__KIND__KIND_POST, fx_post(f, x->ops, "m", "one", NULL), 1 * DAY,
           x->old1);
    fx_put(f, x->alice, RAISON__KIND__KIND_POST, fx_post(f, x->ops, "m", "two", NULL), 2 * DAY,
           x->old2);
    fx_put(f, x->alice, RAISON__KIND__KIND_POST, fx_post(f, x->keep, "m", "kept", NULL), 1 * DAY,
           x->kept);
    fx_put(f, x->alice, RAISON__KIND__KIND_POST, fx_post(f, x->ops, "m", "new", NULL),
           9 * DAY + DAY / 2, x->recent);
    *state = x;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *x = *state;
    rsn_test_author_destroy(&x->alice);
    rsn_test_store_destroy(&x->f);
    free(x);
    return 0;
}

/* True when entry ID's body is still held; asserts its header is. */
static bool body_held(fixture_t *x, const uint8_t id[RSN_ID_BYTES])
{
    rsn_loaded_t *l = NULL;
    assert_int_equal(rsn_entry_load(x->f->store, x->f->arena, id, &l), 0);
    assert_memory_equal(l->id, id, RSN_ID_BYTES);
    assert_int_equal(l->entry->kind, RAISON__KIND__KIND_POST);
    uint8_t k[RSN_KEY_MAX];
    return rsn_store_has(x->f->store, k, rsn_key_body(k, id)) == 0 && !l->erased;
}

static void test_sweep(void **state)
{
    fixture_t *x = *state;
    size_t erased = 99;
    const uint64_t now = 10 * DAY;
    assert_int_equal(rsn_retention_days(x->f->store, x->ops), 0); /* no marker yet */

    /* one at a time: the oldest first */
    assert_int_equal(rsn_retention_sweep(x->f->store, now, 1, &erased), 0);
    assert_int_equal(erased, 1);
    assert_false(body_held(x, x->old1));
    assert_true(body_held(x, x->old2));
    assert_int_equal(rsn_retention_days(x->f->store, x->ops), 1);
    assert_int_equal(rsn_retention_days(x->f->store, x->keep), 0);

    /* resumes where it stopped; the recent post and the other group stay */
    assert_int_equal(rsn_retention_sweep(x->f->store, now, 10, &erased), 0);
    assert_int_equal(erased, 1);
    assert_false(body_held(x, x->old2));
    assert_true(body_held(x, x->recent));
    assert_true(body_held(x, x->kept));

    assert_int_equal(rsn_retention_sweep(x->f->store, now, 10, &erased), 0);
    assert_int_equal(erased, 0);

    /* a day later the recent one is past it too */
    assert_int_equal(rsn_retention_sweep(x->f->store, now + DAY, 10, &erased), 0);
    assert_int_equal(erased, 1);
    assert_false(body_held(x, x->recent));
    assert_true(body_held(x, x->kept));
    /* the charters are no posts: their bodies stay */
    uint8_t k[RSN_KEY_MAX];
    assert_int_equal(rsn_store_has(x->f->store, k, rsn_key_body(k, x->ops)), 0);
}

static void test_nothing_due(void **state)
{
    fixture_t *x = *state;
    size_t erased = 99;
    /* before any post is a day old, nothing goes */
    assert_int_equal(rsn_retention_sweep(x->f->store, DAY + DAY / 2, 10, &erased), 0);
    assert_int_equal(erased, 0);
    assert_true(body_held(x, x->old1));
    /* a budget of 0 erases nothing, however late */
    assert_int_equal(rsn_retention_sweep(x->f->store, 100 * DAY, 0, &erased), 0);
    assert_int_equal(erased, 0);
    assert_true(body_held(x, x->old1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sweep, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nothing_due, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
