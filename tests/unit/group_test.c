/* group_test.c — group state (daemon/group.h) over a real store: the
 * charter chain and its disputes, retired missions, membership events over
 * time, the members list, the content rules of a charter, and entries
 * hidden by their author's retraction (daemon/entry.h). Entries go through
 * the real write path (tests/support/daemon_fixture.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/entry.h"
#include "daemon/group.h"
#include "support/daemon_fixture.h"

#define OPEN RAISON__ACCESS__ACCESS_OPEN
#define CLOSED RAISON__ACCESS__ACCESS_MEMBERS_ONLY

static rsn_group_t *load(fx_t *f, const uint8_t gid[RSN_ID_BYTES])
{
    rsn_group_t *g = NULL;
    assert_int_equal(rsn_group_load(f->store, f->arena, gid, &g), 0);
    assert_non_null(g);
    return g;
}

static void test_chain_and_dispute(void **state)
{
    fx_t *f = *state;
    fx_author_t *alice = fx_author_new(1), *bob = fx_author_new(2);
    uint8_t gid[RSN_ID_BYTES], v2[RSN_ID_BYTES], a3[RSN_ID_BYTES], b3[RSN_ID_BYTES];
    uint8_t cur[RSN_ID_BYTES], ignored[RSN_ID_BYTES];
    fx_put(f, alice, RAISON__KIND__KIND_CHARTER,
           fx_charter(f, "ops", OPEN, "triage,docs", &alice, 1), 1000, gid);

    rsn_group_t *g = load(f, gid);
    assert_memory_equal(rsn_group_id(g), gid, RSN_ID_BYTES);
    assert_int_equal(rsn_group_versions(g), 1);
    assert_int_equal(rsn_group_disputes(g), 0);
    assert_string_equal(rsn_group_charter(g, cur)->name, "ops");
    assert_memory_equal(cur, gid, RSN_ID_BYTES);
    assert_true(rsn_group_is_owner(g, alice->pk));
    assert_false(rsn_group_is_owner(g, bob->pk));

    /* bob is no owner of v1: his amendment is not on the chain */
    fx_put(f, bob, RAISON__KIND__KIND_CHARTER,
           fx_amend(f, fx_charter(f, "bob's", OPEN, "x", &bob, 1), gid, gid, 2), 1100, ignored);
    g = load(f, gid);
    assert_int_equal(rsn_group_versions(g), 1);
    assert_false(rsn_group_has_version(g, ignored));

    /* alice's v2 drops "docs" and adds bob as owner */
    fx_author_t *both[2] = {alice, bob};
    fx_put(f, alice, RAISON__KIND__KIND_CHARTER,
           fx_amend(f, fx_charter(f, "ops2", OPEN, "triage", both, 2), gid, gid, 2), 1200, v2);
    g = load(f, gid);
    assert_int_equal(rsn_group_versions(g), 2);
    assert_memory_equal(rsn_group_version(g, 1)->id, v2, RSN_ID_BYTES);
    assert_int_equal(rsn_group_charter(g, cur)->version, 2);
    assert_memory_equal(cur, v2, RSN_ID_BYTES);
    assert_true(rsn_group_is_owner(g, bob->pk));
    assert_true(rsn_group_has_mission(g, "triage"));
    assert_false(rsn_group_has_mission(g, "docs"));
    assert_true(rsn_group_had_mission(g, "docs"));
    assert_false(rsn_group_had_mission(g, "nothing"));

    /* two owners amend v2 at once: the smaller id wins, both are the dispute */
    fx_put(f, alice, RAISON__KIND__KIND_CHARTER,
           fx_amend(f, fx_charter(f, "ops-a", OPEN, "triage", both, 2), gid, v2, 3), 1300, a3);
    fx_put(f, bob, RAISON__KIND__KIND_CHARTER,
           fx_amend(f, fx_charter(f, "ops-b", OPEN, "triage", both, 2), gid, v2, 3), 1300, b3);
    g = load(f, gid);
    const uint8_t *winner = memcmp(a3, b3, RSN_ID_BYTES) < 0 ? a3 : b3;
    assert_int_equal(rsn_group_versions(g), 3);
    assert_memory_equal(rsn_group_version(g, 2)->id, winner, RSN_ID_BYTES);
    assert_string_equal(rsn_group_charter(g, NULL)->name, winner == a3 ? "ops-a" : "ops-b");
    assert_int_equal(rsn_group_disputes(g), 2);
    bool saw_a = false, saw_b = false;
    for (size_t i = 0; i < rsn_group_disputes(g); i++) {
        saw_a |= memcmp(rsn_group_dispute(g, i), a3, RSN_ID_BYTES) == 0;
        saw_b |= memcmp(rsn_group_dispute(g, i), b3, RSN_ID_BYTES) == 0;
    }
    assert_true(saw_a && saw_b);
    fx_author_free(alice);
    fx_author_free(bob);
}

static void test_members_over_time(void **state)
{
    fx_t *f = *state;
    fx_author_t *alice = fx_author_new(1), *bob = fx_author_new(2), *carol = fx_author_new(3);
    fx_author_t *dave = fx_author_new(4);
    uint8_t gid[RSN_ID_BYTES], add_bob[RSN_ID_BYTES], add_carol[RSN_ID_BYTES];
    fx_put(f, alice, RAISON__KIND__KIND_CHARTER, fx_charter(f, "sec", CLOSED, "audit", &alice, 1),
           1000, gid);
    /* issue 9: bob's own join (his seq 1) answers no add and grants nothing */
    fx_put(f, bob, RAISON__KIND__KIND_MEMBERSHIP,
           fx_membership(f, gid, RAISON__ACTION__ACTION_JOIN, NULL, gid), 2000, NULL);
    fx_put(f, alice, RAISON__KIND__KIND_MEMBERSHIP,
           fx_membership(f, gid, RAISON__ACTION__ACTION_ADD, bob->pk, gid), 2100, add_bob);
    Raison__Membership *j = fx_membership(f, gid, RAISON__ACTION__ACTION_JOIN, NULL, gid);
    j->answers.data = add_bob;
    j->answers.len = RSN_ID_BYTES;
    fx_put(f, bob, RAISON__KIND__KIND_MEMBERSHIP, j, 2200, NULL); /* bob's seq 2 */
    fx_put(f, alice, RAISON__KIND__KIND_MEMBERSHIP,
           fx_membership(f, gid, RAISON__ACTION__ACTION_ADD, carol->pk, gid), 2500, add_carol);
    fx_put(f, bob, RAISON__KIND__KIND_PROFILE, fx_profile(f, "Bob", "lyon"), 2900, NULL); /* 3 */
    fx_put(f, bob, RAISON__KIND__KIND_MEMBERSHIP,
           fx_membership(f, gid, RAISON__ACTION__ACTION_LEAVE, NULL, NULL), 3000, NULL); /* 4 */
    /* not valid events: dave adds himself (no owner), carol joins naming no version */
    fx_put(f, dave, RAISON__KIND__KIND_MEMBERSHIP,
           fx_membership(f, gid, RAISON__ACTION__ACTION_ADD, dave->pk, gid), 2600, NULL);
    fx_put(f, carol, RAISON__KIND__KIND_MEMBERSHIP,
           fx_membership(f, gid, RAISON__ACTION__ACTION_JOIN, NULL, carol->pk), 2700, NULL);
    j = fx_membership(f, gid, RAISON__ACTION__ACTION_JOIN, NULL, gid);
    j->answers.data = add_carol;
    j->answers.len = RSN_ID_BYTES;
    fx_put(f, carol, RAISON__KIND__KIND_MEMBERSHIP, j, 100, NULL); /* carol's seq 2, any clock */

    rsn_group_t *g = load(f, gid);
    assert_true(rsn_group_may_post(g, alice->pk, 0));
    assert_false(rsn_group_may_post(g, bob->pk, 2));
    assert_true(rsn_group_may_post(g, bob->pk, 3));
    assert_false(rsn_group_may_post(g, bob->pk, 4));
    assert_false(rsn_group_may_post(g, bob->pk, 5));
    assert_false(rsn_group_may_post(g, carol->pk, 2));
    assert_true(rsn_group_may_post(g, carol->pk, 3));
    assert_true(rsn_group_may_post(g, carol->pk, UINT64_MAX));
    assert_false(rsn_group_may_post(g, dave->pk, UINT64_MAX));
    assert_memory_equal(rsn_group_standing_add(g, bob->pk, 5), add_bob, RSN_ID_BYTES);
    assert_null(rsn_group_standing_add(g, dave->pk, 4));
    assert_null(rsn_group_removed_by(g, bob->pk));

    rsn_member_t *m = NULL;
    size_t n = 0;
    assert_int_equal(rsn_group_members(g, f->arena, &m, &n), 0);
    assert_int_equal(n, 2);
    assert_memory_equal(m[0].key, alice->pk, RSN_KEY_BYTES);
    assert_true(m[0].owner);
    assert_memory_equal(m[1].key, carol->pk, RSN_KEY_BYTES);
    assert_false(m[1].owner);
    assert_memory_equal(m[1].charter, gid, RSN_ID_BYTES);

    /* a remove by alice (naming no member_seq: 0) undoes her add */
    fx_put(f, alice, RAISON__KIND__KIND_MEMBERSHIP,
           fx_membership(f, gid, RAISON__ACTION__ACTION_REMOVE, bob->pk, gid), 3100, NULL);
    g = load(f, gid);
    assert_memory_equal(rsn_group_removed_by(g, bob->pk), alice->pk, RSN_KEY_BYTES);
    assert_null(rsn_group_standing_add(g, bob->pk, 5));

    Raison__Membership *bad = fx_membership(f, gid, RAISON__ACTION__ACTION_JOIN, NULL, bob->pk);
    assert_string_equal(rsn_group_membership_problem(g, bob->pk, bad),
                        "a join must name a charter version of the group");
    Raison__Membership *join = fx_membership(f, gid, RAISON__ACTION__ACTION_JOIN, NULL, gid);
    assert_null(rsn_group_membership_problem(g, bob->pk, join));
    Raison__Membership *add = fx_membership(f, gid, RAISON__ACTION__ACTION_ADD, dave->pk, NULL);
    assert_string_equal(rsn_group_membership_problem(g, bob->pk, add),
                        "only an owner of the current charter may add or remove members");
    fx_author_free(alice);
    fx_author_free(bob);
    fx_author_free(carol);
    fx_author_free(dave);
}

static void test_unknown_and_invalid(void **state)
{
    fx_t *f = *state;
    fx_author_t *alice = fx_author_new(1), *bob = fx_author_new(2);
    uint8_t none[RSN_ID_BYTES], bad[RSN_ID_BYTES];
    memset(none, 0x5a, sizeof none);
    rsn_group_t *g = NULL;
    assert_int_equal(rsn_group_load(f->store, f->arena, none, &g), RSN_ERR_UNKNOWN_GROUP);
    assert_int_equal(rsn_group_try_load(f->store, f->arena, none, &g), 0);
    assert_null(g);
    rsn_loaded_t *l = NULL;
    assert_int_equal(rsn_entry_try_load(f->store, f->arena, none, &l), 0);
    assert_null(l);
    assert_int_equal(rsn_entry_load(f->store, f->arena, none, &l), RSN_ERR_NOT_FOUND);

    /* a charter whose author is not among its owners founds nothing */
    Raison__Charter *c = fx_charter(f, "ops", OPEN, "triage", &bob, 1);
    char why[128] = "";
    assert_int_equal(rsn_charter_problem(c, alice->pk, why, sizeof why), RSN_ERR_INVALID_CHARTER);
    assert_string_equal(why, "the author must be among the owners");
    assert_int_equal(rsn_charter_problem(c, bob->pk, why, sizeof why), 0);
    fx_put(f, alice, RAISON__KIND__KIND_CHARTER, c, 1000, bad);
    assert_int_equal(rsn_group_load(f->store, f->arena, bad, &g), RSN_ERR_UNKNOWN_GROUP);
    assert_int_equal(rsn_entry_load(f->store, f->arena, bad, &l), 0);
    assert_int_equal(l->entry->kind, RAISON__KIND__KIND_CHARTER);
    uint8_t named[RSN_ID_BYTES];
    assert_int_equal(rsn_entry_group(l, named), 0);
    assert_memory_equal(named, bad, RSN_ID_BYTES);

    /* a group whose charter v1 its author retracts is gone */
    uint8_t gid[RSN_ID_BYTES];
    fx_put(f, bob, RAISON__KIND__KIND_CHARTER, fx_charter(f, "gone", OPEN, "m", &bob, 1), 2000,
           gid);
    assert_int_equal(rsn_group_load(f->store, f->arena, gid, &g), 0);
    fx_put(f, alice, RAISON__KIND__KIND_RETRACTION, fx_retraction(f, gid, false), 2100, NULL);
    assert_false(rsn_entry_retracted(f->store, f->arena, gid, bob->pk)); /* not his own */
    assert_int_equal(rsn_group_load(f->store, f->arena, gid, &g), 0);
    fx_put(f, bob, RAISON__KIND__KIND_RETRACTION, fx_retraction(f, gid, false), 2200, NULL);
    assert_true(rsn_entry_retracted(f->store, f->arena, gid, bob->pk));
    assert_int_equal(rsn_group_load(f->store, f->arena, gid, &g), RSN_ERR_UNKNOWN_GROUP);
    fx_author_free(alice);
    fx_author_free(bob);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_chain_and_dispute, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_members_over_time, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_unknown_and_invalid, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
