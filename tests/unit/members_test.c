/* members_test.c — members-only membership (daemon/membership.h through
 * daemon/group.h) as a function of the entries held, not of the order they
 * arrived in.
 *
 * One story is written once, in feed order, into a first store: two owners,
 * an add, a post before the join, a join answering the add, posts, a remove
 * naming the member's seq, a post past it dated before it, a rejoin without
 * a new add, a second add, a leave, a second join answering that add, two
 * owners acting at once (an add and a remove naming the same member_seq),
 * a self-join answering nothing, a join answering someone else's add. The
 * same signed entries are then delivered to fresh stores in many random
 * orders (each feed in its own order, as the feed rule wants; the feeds
 * interleaved at random, entries that cannot be taken yet retried later as
 * gossip does): every store shows the same members and the same posts, and
 * they are the ones the rules say. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/group.h"
#include "daemon/judge.h"
#include "daemon/view_ctx.h"
#include "support/daemon_fixture.h"

#define CLOSED RAISON__ACCESS__ACCESS_MEMBERS_ONLY
#define JOIN RAISON__ACTION__ACTION_JOIN
#define LEAVE RAISON__ACTION__ACTION_LEAVE
#define ADD RAISON__ACTION__ACTION_ADD
#define REMOVE RAISON__ACTION__ACTION_REMOVE
#define MAX_ENTRIES 48
#define MAX_POSTS 16
#define ORDERS 60

typedef struct {
    rsn_test_signed_t signed_entries[MAX_ENTRIES];
    uint64_t seqs[MAX_ENTRIES];
    size_t n;
    uint8_t posts[MAX_POSTS][RSN_ID_BYTES];
    bool shown[MAX_POSTS]; /* what the rules say of each post */
    size_t n_posts;
    uint8_t gid[RSN_ID_BYTES];
} story_t;

/* Signs A's next entry, stores it in the first store, keeps it in S. */
static void put(fx_t *f, story_t *s, fx_author_t *a, Raison__Kind kind, const void *body,
                uint64_t ts, uint8_t id[RSN_ID_BYTES])
{
    rsn_test_signed_t *se = &s->signed_entries[s->n];
    rsn_ingest_result_t res;
    char why[256] = "";
    assert_true(s->n < MAX_ENTRIES);
    assert_int_equal(rsn_test_author_sign(f->arena, a, a->seq + 1, kind, body, ts, se), 0);
    assert_int_equal(rsn_test_store_stage(f, se, &res, why, sizeof why), 0);
    assert_int_equal(rsn_ingest_commit(f->ingest), 0);
    assert_int_equal(rsn_test_author_advance(a, se->id), 0);
    s->seqs[s->n++] = a->seq;
    if (id) {
        memcpy(id, se->id, RSN_ID_BYTES);
    }
}

static void post(fx_t *f, story_t *s, fx_author_t *a, const char *text, uint64_t ts, bool shown)
{
    assert_true(s->n_posts < MAX_POSTS);
    s->shown[s->n_posts] = shown;
    put(f, s, a, RAISON__KIND__KIND_POST, fx_post(f, s->gid, "audit", text, NULL), ts,
        s->posts[s->n_posts++]);
}

static Raison__Membership *member_op(fx_t *f, story_t *s, Raison__Action action,
                                     const fx_author_t *member, uint64_t member_seq)
{
    Raison__Membership *m = fx_membership(f, s->gid, action, member->pk, s->gid);
    m->member_seq = member_seq;
    return m;
}

static Raison__Membership *join(fx_t *f, story_t *s, const uint8_t *answers)
{
    Raison__Membership *m = fx_membership(f, s->gid, JOIN, NULL, s->gid);
    if (answers) {
        m->answers.data = rsn_arena_memdup(f->arena, answers, RSN_ID_BYTES);
        m->answers.len = RSN_ID_BYTES;
    }
    return m;
}

/* The whole story, in feed order, into F. */
static void write_story(fx_t *f, story_t *s, fx_author_t **who)
{
    fx_author_t *alice = who[0], *carol = who[1], *bob = who[2], *dave = who[3], *erin = who[4],
                *frank = who[5];
    const Raison__Kind mk = RAISON__KIND__KIND_MEMBERSHIP;
    uint8_t a1[RSN_ID_BYTES], a2[RSN_ID_BYTES], a3[RSN_ID_BYTES], a4[RSN_ID_BYTES];
    fx_author_t *owners[2] = {alice, carol};
    put(f, s, alice, RAISON__KIND__KIND_CHARTER, fx_charter(f, "sec", CLOSED, "audit", owners, 2),
        1000, s->gid);
    post(f, s, alice, "owners always post", 1010, true);
    put(f, s, bob, RAISON__KIND__KIND_PROFILE, fx_profile(f, "Bob", "lyon"), 1020, NULL);

    /* bob: added at his seq 1, posts before joining, joins, posts */
    put(f, s, alice, mk, member_op(f, s, ADD, bob, 1), 1100, a1);
    post(f, s, bob, "added, not joined yet", 1110, false);
    put(f, s, bob, mk, join(f, s, a1), 1120, NULL);
    post(f, s, bob, "in (seq 4)", 1130, true);
    post(f, s, bob, "in (seq 5)", 1140, true);
    /* removed as alice's node held him at seq 5: a post past it, dated
     * before the remove, is out; so is a rejoin answering the old add */
    put(f, s, alice, mk, member_op(f, s, REMOVE, bob, 5), 1200, NULL);
    post(f, s, bob, "backdated past the remove", 1150, false);
    put(f, s, bob, mk, join(f, s, a1), 1210, NULL);
    post(f, s, bob, "rejoined without a new add", 1220, false);
    /* a new add lets him in again; a leave closes the span; a second join
     * answering the same add opens another */
    put(f, s, alice, mk, member_op(f, s, ADD, bob, 8), 1300, a2);
    put(f, s, bob, mk, join(f, s, a2), 1310, NULL);
    post(f, s, bob, "in again", 1320, true);
    put(f, s, bob, mk, fx_membership(f, s->gid, LEAVE, NULL, NULL), 1330, NULL);
    post(f, s, bob, "after his leave", 1340, false);
    put(f, s, bob, mk, join(f, s, a2), 1350, NULL);
    post(f, s, bob, "back after the leave", 1360, true);

    /* two owners at once on dave, both at his seq 0: the remove wins */
    put(f, s, alice, mk, member_op(f, s, ADD, dave, 0), 1400, a3);
    put(f, s, carol, mk, member_op(f, s, REMOVE, dave, 0), 1400, NULL);
    put(f, s, dave, mk, join(f, s, a3), 1410, NULL);
    post(f, s, dave, "answering an add another owner undid", 1420, false);
    /* carol's own later add undoes her remove (her feed order) */
    put(f, s, carol, mk, member_op(f, s, ADD, dave, 2), 1500, a4);
    put(f, s, dave, mk, join(f, s, a4), 1510, NULL);
    post(f, s, dave, "added by carol", 1520, true);

    /* erin joins answering nothing; frank answers bob's add */
    put(f, s, erin, mk, join(f, s, NULL), 1600, NULL);
    post(f, s, erin, "self-joined", 1610, false);
    put(f, s, frank, mk, join(f, s, a2), 1620, NULL);
    post(f, s, frank, "answering someone else's add", 1630, false);
}

/* The members of the story's group in STORE (sorted keys into KEYS) and
 * which of its posts are shown (into SHOWN). */
static size_t observe(rsn_store_t *store, rsn_arena_t *arena, const story_t *s,
                      uint8_t keys[][RSN_KEY_BYTES], size_t max, bool *shown)
{
    rsn_view_ctx_t *x = rsn_view_ctx_new(store, arena);
    assert_non_null(x);
    rsn_group_t *g = NULL;
    assert_int_equal(rsn_view_ctx_group(x, s->gid, &g), 0);
    rsn_member_t *m = NULL;
    size_t n = 0;
    assert_int_equal(rsn_group_members(g, arena, &m, &n), 0);
    assert_true(n <= max);
    for (size_t i = 0; i < n; i++) {
        size_t j = i;
        while (j > 0 && memcmp(keys[j - 1], m[i].key, RSN_KEY_BYTES) > 0) {
            memcpy(keys[j], keys[j - 1], RSN_KEY_BYTES);
            j--;
        }
        memcpy(keys[j], m[i].key, RSN_KEY_BYTES);
    }
    for (size_t i = 0; i < s->n_posts; i++) {
        rsn_loaded_t *l = NULL;
        assert_int_equal(rsn_judge_post(x, g, s->posts[i], &l), 0);
        shown[i] = l != NULL;
    }
    return n;
}

/* Delivers the story's entries to a fresh store in a random order drawn
 * from SEED: each pass over a shuffled list takes what the feed rule lets
 * in and leaves the rest for a later pass. */
static rsn_test_store_t *deliver(const story_t *s, unsigned seed)
{
    rsn_test_store_t *t = NULL;
    size_t order[MAX_ENTRIES];
    bool taken[MAX_ENTRIES] = {false};
    size_t left = s->n;
    assert_int_equal(rsn_test_store_new(&t, "rsn-members"), 0);
    srand(seed);
    for (size_t i = 0; i < s->n; i++) {
        order[i] = i;
    }
    for (size_t passes = 0; left > 0; passes++) {
        assert_true(passes <= s->n);
        for (size_t i = s->n; i > 1; i--) {
            size_t j = (size_t)rand() % i, tmp = order[i - 1];
            order[i - 1] = order[j];
            order[j] = tmp;
        }
        for (size_t k = 0; k < s->n; k++) {
            size_t i = order[k];
            rsn_ingest_result_t res;
            char why[256] = "";
            if (taken[i] || rand() % 3 == 0) { /* some arrive only in a later pass */
                continue;
            }
            if (rsn_test_store_stage(t, &s->signed_entries[i], &res, why, sizeof why) == 0) {
                taken[i] = true;
                left--;
            }
            assert_int_equal(rsn_ingest_commit(t->ingest), 0);
        }
    }
    return t;
}

static void test_same_members_in_any_order(void **state)
{
    fx_t *f = *state;
    story_t *s = rsn_arena_alloc(f->arena, sizeof *s);
    assert_non_null(s);
    memset(s, 0, sizeof *s);
    fx_author_t *who[6];
    for (uint8_t i = 0; i < 6; i++) {
        who[i] = fx_author_new((uint8_t)(i + 1));
    }
    write_story(f, s, who);

    /* in feed order: the members and the posts the rules say */
    uint8_t want[8][RSN_KEY_BYTES], got[8][RSN_KEY_BYTES];
    bool shown[MAX_POSTS];
    size_t n_want = observe(f->store, f->arena, s, want, 8, shown);
    assert_int_equal(n_want, 4); /* alice, carol (owners), bob, dave */
    const uint8_t *expected[4] = {who[0]->pk, who[1]->pk, who[2]->pk, who[3]->pk};
    for (size_t i = 0; i < 4; i++) {
        bool found = false;
        for (size_t j = 0; j < n_want; j++) {
            found |= memcmp(want[j], expected[i], RSN_KEY_BYTES) == 0;
        }
        assert_true(found);
    }
    for (size_t i = 0; i < s->n_posts; i++) {
        assert_int_equal(shown[i], s->shown[i]);
    }

    /* every order of arrival gives the same */
    for (unsigned seed = 1; seed <= ORDERS; seed++) {
        rsn_test_store_t *t = deliver(s, seed);
        bool again[MAX_POSTS];
        size_t n = observe(t->store, t->arena, s, got, 8, again);
        assert_int_equal(n, n_want);
        assert_memory_equal(got, want, n * RSN_KEY_BYTES);
        assert_memory_equal(again, s->shown, s->n_posts * sizeof *again);
        rsn_test_store_destroy(&t);
    }
    for (size_t i = 0; i < 6; i++) {
        fx_author_free(who[i]);
    }
}

/* An add or a remove counts when its author owns the charter version it
 * names; a post is judged against the version it names. */
static void test_versions_named(void **state)
{
    fx_t *f = *state;
    fx_author_t *alice = fx_author_new(1), *bob = fx_author_new(2), *carol = fx_author_new(3);
    uint8_t gid[RSN_ID_BYTES], v2[RSN_ID_BYTES], add[RSN_ID_BYTES], p[RSN_ID_BYTES];
    fx_author_t *both[2] = {alice, carol};
    fx_put(f, alice, RAISON__KIND__KIND_CHARTER, fx_charter(f, "sec", CLOSED, "audit", both, 2),
           1000, gid);
    /* v2, by carol, leaves her the only owner and renames the mission */
    fx_put(f, carol, RAISON__KIND__KIND_CHARTER,
           fx_amend(f, fx_charter(f, "sec", CLOSED, "review", &carol, 1), gid, gid, 2), 1100, v2);
    rsn_group_t *g = NULL;
    assert_int_equal(rsn_group_load(f->store, f->arena, gid, &g), 0);
    assert_int_equal(rsn_group_versions(g), 2);

    /* alice names v2, which she does not own: no add; naming v1 she did */
    Raison__Membership *m = fx_membership(f, gid, ADD, bob->pk, v2);
    assert_string_equal(rsn_group_membership_problem(g, alice->pk, m),
                        "only an owner of the charter version it names may add or remove members");
    m = fx_membership(f, gid, ADD, bob->pk, gid);
    assert_null(rsn_group_membership_problem(g, alice->pk, m));
    m = fx_membership(f, gid, ADD, bob->pk, v2);
    assert_null(rsn_group_membership_problem(g, carol->pk, m));
    uint8_t none[RSN_ID_BYTES];
    memset(none, 0x77, sizeof none);
    m = fx_membership(f, gid, ADD, bob->pk, none);
    assert_string_equal(rsn_group_membership_problem(g, carol->pk, m),
                        "an add or a remove names a charter version that is not on the group's "
                        "chain");
    fx_put(f, carol, RAISON__KIND__KIND_MEMBERSHIP, fx_membership(f, gid, ADD, bob->pk, v2), 1200,
           add);
    Raison__Membership *j = fx_membership(f, gid, JOIN, NULL, v2);
    j->answers.data = add;
    j->answers.len = RSN_ID_BYTES;
    fx_put(f, bob, RAISON__KIND__KIND_MEMBERSHIP, j, 1300, NULL);
    assert_int_equal(rsn_group_load(f->store, f->arena, gid, &g), 0);
    assert_true(rsn_group_may_post(g, bob->pk, 2));
    assert_false(rsn_group_may_post(g, bob->pk, 1));

    /* a post naming v1 keeps v1's mission "audit" after v2 retired it */
    Raison__Post *old = fx_post(f, gid, "audit", "under v1", NULL);
    old->charter.data = gid;
    old->charter.len = RSN_ID_BYTES;
    fx_put(f, alice, RAISON__KIND__KIND_POST, old, 1400, p);
    assert_int_equal(rsn_group_load(f->store, f->arena, gid, &g), 0);
    rsn_loaded_t *l = NULL;
    assert_int_equal(rsn_entry_load(f->store, f->arena, p, &l), 0);
    assert_null(rsn_group_post_problem(g, alice->pk, l->entry->seq, l->body));
    /* the same post naming v2 has no such mission there, and alice owns v2 no more */
    old->charter.data = v2;
    assert_string_equal(rsn_group_post_problem(g, alice->pk, 2, old),
                        "the charter version it names has no such mission");
    Raison__Post *now = fx_post(f, gid, "review", "under v2", NULL);
    now->charter.data = v2;
    now->charter.len = RSN_ID_BYTES;
    assert_string_equal(rsn_group_post_problem(g, alice->pk, 2, now),
                        "the author was not a member of this members-only group at the time");
    assert_null(rsn_group_post_problem(g, bob->pk, 3, now));
    now->charter.data = none;
    assert_string_equal(rsn_group_post_problem(g, bob->pk, 3, now),
                        "it names a charter version that is not on the group's chain");
    fx_author_free(alice);
    fx_author_free(bob);
    fx_author_free(carol);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_same_members_in_any_order, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_versions_named, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
