/* judge_test.c — the semantic rules read back over stored entries
 * (daemon/judge.h): the problem rsn_view_entry_problem names for each kind
 * of broken entry (and none for a sound one), whether rsn_judge_post shows
 * a post, and rsn_judge_count_posts over a group's post index. Entries go
 * through the real write path as relayed (support/store_fixture.h), so
 * entries that break the rules are stored and judged only when read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/judge.h"
#include "daemon/view_ctx.h"
#include "store/keys.h"
#include "support/daemon_fixture.h"

#define OPEN RAISON__ACCESS__ACCESS_OPEN
#define CLOSED RAISON__ACCESS__ACCESS_MEMBERS_ONLY

typedef struct {
    rsn_test_store_t *f;
    rsn_test_author_t *alice; /* owner of ops (open) and sec (members-only) */
    rsn_test_author_t *bob;
    uint8_t ops[RSN_ID_BYTES];
    uint8_t sec[RSN_ID_BYTES];
    uint8_t post[RSN_ID_BYTES]; /* alice's sound post in ops */
} fixture_t;

static int setup(void **state)
{
    fixture_t *x = calloc(1, sizeof *x);
    if (x == NULL || fx_cast_new(&x->f, "rsn-judge", &x->alice, &x->bob) != 0) {
        return -1;
    }
    fx_ops_and_sec(x->f, x->alice, "disk full", x->ops, x->sec, x->post);
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

/* The problem of stored entry ID, judged in a fresh context (NULL: none). */
static const char *problem(fixture_t *x, const uint8_t id[RSN_ID_BYTES])
{
    rsn_view_ctx_t *c = rsn_view_ctx_new(x->f->store, x->f->arena);
    assert_non_null(c);
    rsn_loaded_t *l = NULL;
    assert_int_equal(rsn_entry_load(x->f->store, x->f->arena, id, &l), 0);
    const char *p = "not set";
    assert_int_equal(rsn_view_entry_problem(c, l, &p), 0);
    return p;
}

/* Stores BODY of KIND by A at TS and returns its problem. */
static const char *put_problem(fixture_t *x, rsn_test_author_t *a, Raison__Kind kind,
                               const void *body, uint64_t ts, uint8_t id[RSN_ID_BYTES])
{
    fx_put(x->f, a, kind, body, ts, id);
    return problem(x, id);
}

static void test_sound_entries(void **state)
{
    fixture_t *x = *state;
    uint8_t id[RSN_ID_BYTES];
    assert_null(problem(x, x->ops));
    assert_null(problem(x, x->post));
    assert_null(put_problem(x, x->bob, RAISON__KIND__KIND_POST,
                            fx_post(x->f, x->ops, "docs", "ack", x->post), 1300, id));
    /* issue 9: in members-only sec, bob's join answers alice's add */
    uint8_t add[RSN_ID_BYTES];
    assert_null(put_problem(
        x, x->alice, RAISON__KIND__KIND_MEMBERSHIP,
        fx_membership(x->f, x->sec, RAISON__ACTION__ACTION_ADD, x->bob->pk, x->sec), 1350, add));
    Raison__Membership *join =
        fx_membership(x->f, x->sec, RAISON__ACTION__ACTION_JOIN, NULL, x->sec);
    join->answers.data = add;
    join->answers.len = RSN_ID_BYTES;
    assert_null(put_problem(x, x->bob, RAISON__KIND__KIND_MEMBERSHIP, join, 1400, id));
    assert_null(put_problem(x, x->bob, RAISON__KIND__KIND_POST,
                            fx_post(x->f, x->sec, "audit", "in", NULL), 1500, id));
    assert_null(put_problem(x, x->bob, RAISON__KIND__KIND_PROFILE, fx_profile(x->f, "Bob", NULL),
                            1600, id));
}

static void test_post_problems(void **state)
{
    fixture_t *x = *state;
    uint8_t id[RSN_ID_BYTES], none[RSN_ID_BYTES];
    const Raison__Kind post = RAISON__KIND__KIND_POST;
    memset(none, 0x44, sizeof none);
    assert_string_equal(
        put_problem(x, x->bob, post, fx_post(x->f, x->ops, "deploy", "x", NULL), 1300, id),
        "no version of the group's charter has this mission");
    assert_string_equal(
        put_problem(x, x->bob, post, fx_post(x->f, x->sec, "audit", "x", NULL), 1310, id),
        "the author was not a member of this members-only group at the time");
    assert_string_equal(
        put_problem(x, x->bob, post, fx_post(x->f, x->ops, "triage", "x", none), 1320, id),
        "it replies to an entry this node does not hold");
    assert_string_equal(
        put_problem(x, x->bob, post, fx_post(x->f, x->ops, "triage", "x", x->sec), 1330, id),
        "it replies to an entry that is not a post");
    assert_string_equal(
        put_problem(x, x->alice, post, fx_post(x->f, x->sec, "audit", "x", x->post), 1340, id),
        "it replies to a post of another group");
    assert_string_equal(
        put_problem(x, x->bob, post, fx_post(x->f, none, "triage", "x", NULL), 1350, id),
        "its group is unknown (no valid charter version 1 is held)");
    Raison__Post *p = fx_post(x->f, x->ops, "triage", "x", x->post);
    p->reply_to.len = 3;
    assert_string_equal(put_problem(x, x->bob, post, p, 1360, id), "reply_to is not an entry id");
}

static void test_charter_and_membership_problems(void **state)
{
    fixture_t *x = *state;
    uint8_t id[RSN_ID_BYTES], a2[RSN_ID_BYTES], b2[RSN_ID_BYTES];
    const Raison__Kind charter = RAISON__KIND__KIND_CHARTER;
    const uint8_t *alice_only[1] = {x->alice->pk};
    const uint8_t *both[2] = {x->alice->pk, x->bob->pk};

    assert_string_equal(put_problem(x, x->bob, charter,
                                    fx_charter_keys(x->f, "mine", OPEN, "m", alice_only, 1, 0),
                                    1300, id),
                        "the author must be among the owners");
    Raison__Charter *c = fx_charter_keys(x->f, "v2", OPEN, "m", alice_only, 1, 0);
    c->version = 2;
    assert_string_equal(put_problem(x, x->alice, charter, c, 1310, id),
                        "a charter that founds a group has version 1 and supersedes nothing");
    /* bob is no owner of ops */
    const uint8_t *bob_only[1] = {x->bob->pk};
    assert_string_equal(
        put_problem(x, x->bob, charter,
                    fx_amend(x->f, fx_charter_keys(x->f, "b", OPEN, "m", bob_only, 1, 0), x->ops,
                             x->ops, 2),
                    1320, id),
        "it does not amend a version of the group's charter, by an owner of that version, "
        "with the next version number");

    /* two amendments of sec's v1 by its owner: the larger id lost the dispute */
    fx_put(x->f, x->alice, charter,
           fx_amend(x->f, fx_charter_keys(x->f, "sec-a", CLOSED, "audit", both, 2, 0), x->sec,
                    x->sec, 2),
           1330, a2);
    fx_put(x->f, x->alice, charter,
           fx_amend(x->f, fx_charter_keys(x->f, "sec-b", CLOSED, "audit", both, 2, 0), x->sec,
                    x->sec, 2),
           1340, b2);
    const uint8_t *winner = memcmp(a2, b2, RSN_ID_BYTES) < 0 ? a2 : b2;
    const uint8_t *loser = winner == a2 ? b2 : a2;
    assert_null(problem(x, winner));
    assert_string_equal(problem(x, loser),
                        "it lost a dispute: another amendment of the same version has a smaller "
                        "id");

    /* a membership that breaks its action's rule: the group's sentence */
    assert_string_equal(
        put_problem(x, x->bob, RAISON__KIND__KIND_MEMBERSHIP,
                    fx_membership(x->f, x->ops, RAISON__ACTION__ACTION_ADD, x->bob->pk, NULL), 1350,
                    id),
        "only an owner of the current charter may add or remove members");
}

static void test_forked_feed(void **state)
{
    fixture_t *x = *state;
    uint8_t id[RSN_ID_BYTES];
    fx_put(x->f, x->bob, RAISON__KIND__KIND_POST, fx_post(x->f, x->ops, "triage", "a", NULL), 1300,
           id);
    assert_null(problem(x, id));
    fx_fork(x->f, x->bob, 1, RAISON__KIND__KIND_POST, fx_post(x->f, x->ops, "triage", "b", NULL),
            1300, NULL);
    assert_string_equal(problem(x, id),
                        "its feed forked at or before this entry: it is kept as evidence only");
}

static void test_judge_post_and_count(void **state)
{
    fixture_t *x = *state;
    rsn_view_ctx_t *c = rsn_view_ctx_new(x->f->store, x->f->arena);
    assert_non_null(c);
    rsn_group_t *ops = NULL, *sec = NULL;
    assert_int_equal(rsn_view_ctx_group(c, x->ops, &ops), 0);
    assert_int_equal(rsn_view_ctx_group(c, x->sec, &sec), 0);

    uint8_t bad[RSN_ID_BYTES], gone[RSN_ID_BYTES], none[RSN_ID_BYTES];
    fx_put(x->f, x->bob, RAISON__KIND__KIND_POST, fx_post(x->f, x->ops, "deploy", "x", NULL), 1300,
           bad);
    fx_put(x->f, x->bob, RAISON__KIND__KIND_POST, fx_post(x->f, x->ops, "docs", "y", NULL), 1310,
           gone);
    fx_put(x->f, x->bob, RAISON__KIND__KIND_RETRACTION, fx_retraction(x->f, gone, false), 1320,
           NULL);
    memset(none, 0x55, sizeof none);

    rsn_loaded_t *l = NULL;
    assert_int_equal(rsn_judge_post(c, ops, x->post, &l), 0);
    assert_non_null(l);
    assert_memory_equal(l->id, x->post, RSN_ID_BYTES);
    assert_int_equal(rsn_judge_post(c, sec, x->post, &l), 0); /* not in that group */
    assert_null(l);
    assert_int_equal(rsn_judge_post(c, ops, bad, &l), 0);
    assert_null(l);
    assert_int_equal(rsn_judge_post(c, ops, gone, &l), 0);
    assert_null(l);
    assert_int_equal(rsn_judge_post(c, ops, none, &l), 0);
    assert_null(l);
    assert_int_equal(rsn_judge_post(c, ops, x->ops, &l), 0); /* a charter */
    assert_null(l);

    /* an erased post is judged on its header and the group's index: shown */
    uint8_t k[RSN_KEY_MAX];
    fx_raw_put(x->f, k, fx_key_body(x->f, k, x->post), NULL, 0);
    assert_int_equal(rsn_judge_post(c, ops, x->post, &l), 0);
    assert_non_null(l);
    assert_true(l->erased);

    uint8_t prefix[RSN_KEY_MAX];
    size_t pl = rsn_key_prefix(prefix, RSN_TAG_POST, x->ops);
    uint64_t n = 99;
    assert_int_equal(rsn_judge_count_posts(c, ops, prefix, pl, RSN_KEYLEN_ID_N_N, &n), 0);
    assert_int_equal(n, 1); /* of x->post, bad and gone */
    fx_put(x->f, x->bob, RAISON__KIND__KIND_POST, fx_post(x->f, x->ops, "triage", "z", NULL), 1400,
           NULL);
    assert_int_equal(rsn_judge_count_posts(c, ops, prefix, pl, RSN_KEYLEN_ID_N_N, &n), 0);
    assert_int_equal(n, 2);
    pl = rsn_key_prefix(prefix, RSN_TAG_POST, x->sec);
    assert_int_equal(rsn_judge_count_posts(c, sec, prefix, pl, RSN_KEYLEN_ID_N_N, &n), 0);
    assert_int_equal(n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sound_entries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_post_problems, setup, teardown),
        cmocka_unit_test_setup_teardown(test_charter_and_membership_problems, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forked_feed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_judge_post_and_count, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
