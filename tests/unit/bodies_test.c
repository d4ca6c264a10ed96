/* bodies_test.c — unit tests of node/daemon/bodies.c: which reasons a peer
 * may give for relaying an entry without its body (DESIGN.md "Bodies: erased
 * is not missing"). A reason is believed only when this node holds it and it
 * is one: an erase-retraction of the entry by its author, or a group whose
 * every charter version's retention the post is past (a post keeps the
 * retention of the version it was written under, which a bare post does not
 * show, so no version may still keep it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/bodies.h"
#include "daemon/entry.h"
#include "support/daemon_fixture.h"

#define DAY_MS (24ull * 3600 * 1000)
#define T0 1700000000000ull

typedef struct {
    fx_t *f;
    fx_author_t *alice;
    fx_author_t *bob;
} fixture_t;

static int setup(void **state)
{
    void *fx = NULL;
    if (fx_setup(&fx) != 0) {
        return -1;
    }
    fixture_t *x = test_calloc(1, sizeof *x);
    x->f = fx;
    x->alice = fx_author_new(0xa1);
    x->bob = fx_author_new(0xb0);
    *state = x;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *x = *state;
    fx_author_free(x->alice);
    fx_author_free(x->bob);
    void *fx = x->f;
    fx_teardown(&fx);
    test_free(x);
    return 0;
}

/* Whether BY is a reason to drop the body of the held entry ID at NOW. */
static bool reason(fixture_t *x, const uint8_t id[RSN_ID_BYTES], const uint8_t by[RSN_ID_BYTES],
                   uint64_t now)
{
    rsn_loaded_t *e = NULL;
    assert_int_equal(rsn_entry_load(x->f->store, x->f->arena, id, &e), 0);
    return rsn_bodies_reason_valid(x->f->store, x->f->arena, e->entry, id, by, now);
}

/* A group founded with RETENTION days, amended to AMENDED days (v2). */
static void group(fixture_t *x, uint32_t retention, uint32_t amended, uint8_t v1[RSN_ID_BYTES],
                  uint8_t v2[RSN_ID_BYTES])
{
    const uint8_t *owner[1] = {x->alice->pk};
    fx_put(x->f, x->alice, RAISON__KIND__KIND_CHARTER,
           fx_charter_keys(x->f, "g", RAISON__ACCESS__ACCESS_OPEN, "m", owner, 1, retention), T0,
           v1);
    Raison__Charter *c = fx_amend(
        x->f, fx_charter_keys(x->f, "g", RAISON__ACCESS__ACCESS_OPEN, "m", owner, 1, amended), v1,
        v1, 2);
    fx_put(x->f, x->alice, RAISON__KIND__KIND_CHARTER, c, T0 + 1, v2);
}

static void test_retention_of_every_version(void **state)
{
    fixture_t *x = *state;
    uint8_t v1[RSN_ID_BYTES], v2[RSN_ID_BYTES], post[RSN_ID_BYTES];
    group(x, 30, 1, v1, v2);
    fx_put(x->f, x->bob, RAISON__KIND__KIND_POST, fx_post(x->f, v1, "m", "hello", NULL), T0 + 2,
           post);
    /* three days on: past v2's day, not v1's thirty: the post may have been
     * written under v1, so "erased by retention" is not believed */
    assert_false(reason(x, post, v1, T0 + 3 * DAY_MS));
    assert_false(reason(x, post, v2, T0 + 3 * DAY_MS));
    /* past every version's retention: believed, naming any of its charters */
    assert_true(reason(x, post, v2, T0 + 31 * DAY_MS));
    assert_true(reason(x, post, v1, T0 + 31 * DAY_MS));
}

static void test_a_version_that_keeps(void **state)
{
    fixture_t *x = *state;
    uint8_t v1[RSN_ID_BYTES], v2[RSN_ID_BYTES], post[RSN_ID_BYTES];
    group(x, 0, 1, v1, v2); /* v1 kept posts for ever */
    fx_put(x->f, x->bob, RAISON__KIND__KIND_POST, fx_post(x->f, v1, "m", "kept", NULL), T0 + 2,
           post);
    assert_false(reason(x, post, v2, T0 + 3650 * DAY_MS));
}

static void test_erase_retraction(void **state)
{
    fixture_t *x = *state;
    uint8_t v1[RSN_ID_BYTES], v2[RSN_ID_BYTES], post[RSN_ID_BYTES], r[RSN_ID_BYTES],
        other[RSN_ID_BYTES];
    group(x, 0, 0, v1, v2);
    fx_put(x->f, x->bob, RAISON__KIND__KIND_POST, fx_post(x->f, v1, "m", "oops", NULL), T0 + 2,
           post);
    fx_put(x->f, x->bob, RAISON__KIND__KIND_RETRACTION, fx_retraction(x->f, post, true), T0 + 3, r);
    assert_true(reason(x, post, r, T0 + 4));
    /* a retraction that does not erase, or by someone else, is no reason */
    fx_put(x->f, x->alice, RAISON__KIND__KIND_RETRACTION, fx_retraction(x->f, post, true), T0 + 5,
           other);
    assert_false(reason(x, post, other, T0 + 6));
    /* nor is a retraction's own body ever erased */
    assert_false(reason(x, r, r, T0 + 7));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_retention_of_every_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_version_that_keeps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_erase_retraction, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
