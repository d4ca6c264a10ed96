/* retention_test.c — the retention sweep (daemon/retention.h): it erases
 * the bodies of posts past their group's retention and keeps their signed
 * headers, leaves recent posts and groups without a retention alone, stops
 * at its budget and resumes from its marker, and records the retention it
 * saw; a post dated in the future is erased once its received time is old
 * enough; a post keeps the retention of the charter version it names (or,
 * naming none, of the version current when it was received), so amending
 * the retention down leaves older posts alone. Entries go through the real
 * write path (support/store_fixture.h), its clock set by the test. Finding
 * on a snapshot and erasing apart (the node's worker and loop) do what the
 * one-call sweep does, and skip a body erased meanwhile. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/bodies.h"
#include "daemon/clock.h"
#include "daemon/entry.h"
#include "daemon/ingest.h"
#include "daemon/retention.h"
#include "daemon/timeline.h"
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

/* An empty store and alice, for tests that write their own entries. */
static int setup_empty(void **state)
{
    fixture_t *x = calloc(1, sizeof *x);
    if (x == NULL || rsn_crypto_init() != 0 || rsn_test_store_new(&x->f, "rsn-retention") != 0 ||
        rsn_test_author_new(&x->alice, 1) != 0) {
        return -1;
    }
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
    return rsn_store_has(x->f->store, k, fx_key_body(x->f, k, id)) == 0 && !l->erased;
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
    assert_int_equal(rsn_store_has(x->f->store, k, fx_key_body(x->f, k, x->ops)), 0);
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

#define T0 1700000000000ULL /* the ingest's clock: ms since the epoch */
#define HOUR 3600000ULL
#define TEN_YEARS (3653 * DAY)

/* Signs and stores A's next entry claimed at CLAIMED, received at RECEIVED. */
static void put_received(rsn_test_store_t *f, rsn_test_author_t *a, Raison__Kind kind,
                         const void *body, uint64_t claimed, uint64_t received,
                         uint8_t id[RSN_ID_BYTES])
{
    rsn_ingest_set_clock(f->ingest, received);
    fx_put(f, a, kind, body, claimed, id);
    rsn_ingest_set_clock(f->ingest, 0);
}

/* A post of GROUP's mission "m" that names charter version CHARTER (NULL:
 * none). */
static Raison__Post *post_under(rsn_test_store_t *f, const uint8_t group[RSN_ID_BYTES],
                                const char *text, const uint8_t *charter)
{
    Raison__Post *p = fx_post(f, group, "m", text, NULL);
    if (charter != NULL) {
        p->charter.data = rsn_arena_memdup(f->arena, charter, RSN_ID_BYTES);
        p->charter.len = RSN_ID_BYTES;
    }
    return p;
}

static void test_future_claim(void **state)
{
    fixture_t *x = *state;
    rsn_test_store_t *f = x->f;
    const uint8_t *owner[1] = {x->alice->pk};
    uint8_t day[RSN_ID_BYTES], future[RSN_ID_BYTES], now[RSN_ID_BYTES];
    put_received(f, x->alice, RAISON__KIND__KIND_CHARTER,
                 fx_charter_keys(f, "day", RAISON__ACCESS__ACCESS_OPEN, "m", owner, 1, 1), T0, T0,
                 day);
    /* claims ten years ahead, received at T0 + 1 h */
    put_received(f, x->alice, RAISON__KIND__KIND_POST, post_under(f, day, "from 2033", day),
                 T0 + TEN_YEARS, T0 + HOUR, future);
    put_received(f, x->alice, RAISON__KIND__KIND_POST, post_under(f, day, "today", day),
                 T0 + 2 * HOUR, T0 + 2 * HOUR, now);
    /* received again (a peer relays it) a day later: still received at T0 + 1 h */
    rsn_test_signed_t again;
    rsn_ingest_result_t res;
    char why[128] = "";
    assert_int_equal(
        rsn_test_author_sign(f->arena, x->alice, 2, RAISON__KIND__KIND_POST,
                             (const ProtobufCMessage *)post_under(f, day, "from 2033", day),
                             T0 + TEN_YEARS, &again),
        0);
    rsn_ingest_set_clock(f->ingest, T0 + DAY);
    assert_int_equal(rsn_test_store_stage(f, &again, &res, why, sizeof why), 0);
    assert_int_equal(rsn_ingest_commit(f->ingest), 0);
    rsn_ingest_set_clock(f->ingest, 0);
    assert_true(res.duplicate);
    assert_memory_equal(res.id, future, RSN_ID_BYTES);
    uint64_t received = 0;
    assert_int_equal(rsn_clock_received(f->store, future, &received), 0);
    assert_int_equal(received, T0 + HOUR);

    size_t erased = 99;
    assert_int_equal(rsn_retention_sweep(f->store, T0 + DAY, 100, &erased), 0);
    assert_int_equal(erased, 0);
    assert_true(body_held(x, future)); /* not a day old yet */
    /* a day after it was received, the future post goes like any other */
    assert_int_equal(rsn_retention_sweep(f->store, T0 + DAY + HOUR + 1, 100, &erased), 0);
    assert_int_equal(erased, 1);
    assert_false(body_held(x, future));
    assert_true(body_held(x, now));
    /* erased, it is still listed in its group, where its effective time puts it */
    Raison__TimelineReply *t = NULL;
    assert_int_equal(rsn_view_timeline(f->store, f->arena, day, NULL, &t, why, sizeof why), 0);
    assert_int_equal(t->n_posts, 2);
    assert_memory_equal(t->posts[0]->id.data, now, RSN_ID_BYTES);
    assert_memory_equal(t->posts[1]->id.data, future, RSN_ID_BYTES);
    assert_true(t->posts[1]->erased);
    assert_int_equal(rsn_retention_sweep(f->store, T0 + DAY + 2 * HOUR + 1, 100, &erased), 0);
    assert_int_equal(erased, 1);
    assert_false(body_held(x, now));
}

static void test_amendment(void **state)
{
    fixture_t *x = *state;
    rsn_test_store_t *f = x->f;
    const uint8_t *owner[1] = {x->alice->pk};
    uint8_t v1[RSN_ID_BYTES], v2[RSN_ID_BYTES];
    uint8_t a[RSN_ID_BYTES], b[RSN_ID_BYTES], c[RSN_ID_BYTES], d[RSN_ID_BYTES], e[RSN_ID_BYTES];
    put_received(f, x->alice, RAISON__KIND__KIND_CHARTER,
                 fx_charter_keys(f, "month", RAISON__ACCESS__ACCESS_OPEN, "m", owner, 1, 30), T0,
                 T0, v1);
    /* a names v1; b names none, received while v1 was current */
    put_received(f, x->alice, RAISON__KIND__KIND_POST, post_under(f, v1, "a", v1), T0 + HOUR,
                 T0 + HOUR, a);
    put_received(f, x->alice, RAISON__KIND__KIND_POST, post_under(f, v1, "b", NULL), T0 + 2 * HOUR,
                 T0 + 2 * HOUR, b);
    /* the owner amends the retention from 30 days down to 1 */
    Raison__Charter *amended = fx_amend(
        f, fx_charter_keys(f, "month", RAISON__ACCESS__ACCESS_OPEN, "m", owner, 1, 1), v1, v1, 2);
    put_received(f, x->alice, RAISON__KIND__KIND_CHARTER, amended, T0 + 3 * HOUR, T0 + 3 * HOUR,
                 v2);
    /* c names v2; d names none, received once v2 was held; e was written
     * under v1 and arrives after the amendment */
    put_received(f, x->alice, RAISON__KIND__KIND_POST, post_under(f, v1, "c", v2), T0 + 4 * HOUR,
                 T0 + 4 * HOUR, c);
    put_received(f, x->alice, RAISON__KIND__KIND_POST, post_under(f, v1, "d", NULL), T0 + 5 * HOUR,
                 T0 + 5 * HOUR, d);
    put_received(f, x->alice, RAISON__KIND__KIND_POST, post_under(f, v1, "e", v1), T0 + 5 * HOUR,
                 T0 + 6 * HOUR, e);

    size_t erased = 99;
    assert_int_equal(rsn_retention_sweep(f->store, T0 + 2 * DAY, 100, &erased), 0);
    assert_int_equal(erased, 2);
    assert_false(body_held(x, c));
    assert_false(body_held(x, d));
    assert_true(body_held(x, a));
    assert_true(body_held(x, b));
    assert_true(body_held(x, e));
    assert_int_equal(rsn_retention_days(f->store, v1), 1); /* the current charter's */

    /* arriving on day 3: written under v1 two and a half days before, it is
     * kept; under v2, it is already past its retention: no body kept */
    uint8_t late1[RSN_ID_BYTES], late2[RSN_ID_BYTES];
    put_received(f, x->alice, RAISON__KIND__KIND_POST, post_under(f, v1, "late under v1", v1),
                 T0 + DAY / 2, T0 + 3 * DAY, late1);
    assert_true(body_held(x, late1));
    put_received(f, x->alice, RAISON__KIND__KIND_POST, post_under(f, v1, "late under v2", v2),
                 T0 + DAY / 2, T0 + 3 * DAY, late2);
    uint8_t k[RSN_KEY_MAX];
    assert_int_equal(rsn_store_has(f->store, k, fx_key_body(f, k, late2)), RSN_ERR_NOT_FOUND);

    /* thirty days on, the posts written under v1 go too, each at its age */
    assert_int_equal(rsn_retention_sweep(f->store, T0 + 30 * DAY + 6 * HOUR, 100, &erased), 0);
    assert_int_equal(erased, 3);
    assert_false(body_held(x, a));
    assert_false(body_held(x, b));
    assert_false(body_held(x, e));
    assert_true(body_held(x, late1)); /* claimed on day 0.5: due at 30.5 */
    assert_int_equal(rsn_retention_sweep(f->store, T0 + 30 * DAY + 13 * HOUR, 100, &erased), 0);
    assert_int_equal(erased, 1);
    assert_false(body_held(x, late1));
}

/* The steps a snapshot's walk found, kept for rsn_retention_apply. */
typedef struct {
    rsn_retention_step_t steps[16];
    size_t n;
} steps_t;

static int keep_step(void *ctx, const rsn_retention_step_t *step)
{
    steps_t *s = ctx;
    assert_true(s->n < 16);
    s->steps[s->n++] = *step;
    return 0;
}

/* Finding on a snapshot and erasing apart, as the node does on its worker
 * thread and in its loop: the finding writes nothing; a body erased
 * meanwhile (here by hand, as a retraction would) is neither erased again
 * nor counted twice; the markers move as the one-call sweep moves them. */
static void test_find_on_snapshot_then_apply(void **state)
{
    fixture_t *x = *state;
    rsn_store_t *snap = NULL;
    assert_int_equal(rsn_store_snapshot_new(x->f->store, &snap), 0);
    steps_t s = {0};
    rsn_retention_sink_t sink = {.emit = keep_step, .ctx = &s};
    size_t found = 0, erased = 99;
    assert_int_equal(rsn_retention_find(snap, 10 * DAY, 10, &sink, &found), 0);
    assert_int_equal(found, 2); /* old1, old2 */
    assert_true(body_held(x, x->old1));
    assert_int_equal(rsn_retention_days(x->f->store, x->ops), 0); /* nothing written */

    /* old1's body goes meanwhile */
    uint8_t k[RSN_KEY_MAX];
    rsn_batch_t *b = rsn_batch_new();
    assert_non_null(b);
    rsn_batch_delete(b, k, fx_key_body(x->f, k, x->old1));
    rsn_bodies_mark_erased(b, x->old1, x->ops);
    rsn_bodies_count_erased(x->f->store, b, 1);
    assert_int_equal(rsn_store_write(x->f->store, b, true), 0);
    rsn_batch_destroy(&b);

    assert_int_equal(rsn_retention_apply(x->f->store, s.steps, s.n, &erased), 0);
    assert_int_equal(erased, 1);
    assert_false(body_held(x, x->old2));
    assert_true(body_held(x, x->recent));
    assert_int_equal(rsn_bodies_erased(x->f->store), 2);
    assert_int_equal(rsn_retention_days(x->f->store, x->ops), 1);
    /* the marker moved: a sweep now finds nothing more */
    assert_int_equal(rsn_retention_sweep(x->f->store, 10 * DAY, 10, &erased), 0);
    assert_int_equal(erased, 0);
    rsn_store_destroy(&snap);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sweep, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nothing_due, setup, teardown),
        cmocka_unit_test_setup_teardown(test_future_claim, setup_empty, teardown),
        cmocka_unit_test_setup_teardown(test_amendment, setup_empty, teardown),
        cmocka_unit_test_setup_teardown(test_find_on_snapshot_then_apply, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
