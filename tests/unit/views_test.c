/* views_test.c — the node's views and semantic rules, on a real store
 * populated through the real write path (rsn_ingest_stage with local=false,
 * then rsn_ingest_commit), with entries signed by deterministic keys.
 *
 * Covers: groups found by id, prefix and name, and ambiguity; the charter
 * chain (owner amendment, ignored non-owner amendment, disputes); members-only
 * posting over time; retired missions; timeline pages and mission filter; the
 * value report's numbers across sites; retraction; fork-frozen feeds; and each
 * refusal of rsn_rules_check. Each test works in a fresh folder under /tmp. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/crypto.h"
#include "daemon/entry.h"
#include "daemon/group.h"
#include "daemon/ingest.h"
#include "daemon/report.h"
#include "daemon/rules.h"
#include "daemon/timeline.h"
#include "daemon/views.h"
#include "proto/codec.h"
#include "store/store.h"
#include "support/daemon_fixture.h"

#define OPEN RAISON__ACCESS__ACCESS_OPEN
#define CLOSED RAISON__ACCESS__ACCESS_MEMBERS_ONLY

/* ------------------------------------------------------------- bodies -- */

/* fx_charter whose every mission's goal is "a goal", as this test's charters
 * have always been (their bytes, hence their ids, stay the same). */
static Raison__Charter *charter(fx_t *f, const char *name, Raison__Access access,
                                const char *missions, fx_author_t **owners, size_t n_owners)
{
    Raison__Charter *c = fx_charter(f, name, access, missions, owners, n_owners);
    for (size_t i = 0; i < c->n_missions; i++) {
        c->missions[i]->goal = "a goal";
    }
    return c;
}

/* ------------------------------------------------------------ reading -- */

static Raison__TimelineReply *timeline(fx_t *f, const uint8_t group[32], const char *mission,
                                       uint32_t limit, ProtobufCBinaryData cursor)
{
    Raison__TimelineRequest req = RAISON__TIMELINE_REQUEST__INIT;
    req.mission = (char *)(mission ? mission : "");
    req.limit = limit;
    req.cursor = cursor;
    Raison__TimelineReply *r = NULL;
    char why[256] = "";
    assert_int_equal(rsn_view_timeline(f->store, f->arena, group, &req, &r, why, sizeof why), 0);
    assert_non_null(r);
    return r;
}

static size_t timeline_count(fx_t *f, const uint8_t group[32])
{
    ProtobufCBinaryData none = {0, NULL};
    return timeline(f, group, NULL, 500, none)->n_posts;
}

static int resolve(fx_t *f, const char *ref, uint8_t out[32], char *why, size_t why_size)
{
    return rsn_group_resolve(f->store, f->arena, ref, out, why, why_size);
}

static const Raison__Charter *current(fx_t *f, const uint8_t group[32], uint8_t id[32])
{
    rsn_group_t *g = NULL;
    assert_int_equal(rsn_group_load(f->store, f->arena, group, &g), 0);
    return rsn_group_charter(g, id);
}

/* Packs a reply as the API would: catches NULL strings or broken trees. */
static void packs(fx_t *f, const void *msg)
{
    uint8_t *out = NULL;
    size_t len = 0;
    assert_int_equal(rsn_pack(f->arena, msg, &out, &len), 0);
    assert_true(len > 0);
}

/* ---------------------------------------------------------------- tests -- */

static void test_group_found_and_resolved(void **state)
{
    fx_t *f = *state;
    fx_author_t *alice = fx_author_new(1);
    uint8_t gid[32], got[32];
    char why[256] = "", hex[65];
    fx_put(f, alice, RAISON__KIND__KIND_CHARTER, charter(f, "ops", OPEN, "triage,docs", &alice, 1),
           1000, gid);

    const Raison__Charter *c = current(f, gid, got);
    assert_string_equal(c->name, "ops");
    assert_memory_equal(got, gid, 32);

    rsn_hex_encode(hex, sizeof hex, gid, 32);
    memset(got, 0, 32);
    assert_int_equal(resolve(f, hex, got, why, sizeof why), 0);
    assert_memory_equal(got, gid, 32);
    char prefix[9];
    memcpy(prefix, hex, 8);
    prefix[8] = '\0';
    memset(got, 0, 32);
    assert_int_equal(resolve(f, prefix, got, why, sizeof why), 0);
    assert_memory_equal(got, gid, 32);
    memset(got, 0, 32);
    assert_int_equal(resolve(f, "ops", got, why, sizeof why), 0);
    assert_memory_equal(got, gid, 32);

    assert_int_equal(resolve(f, "nope", got, why, sizeof why), RSN_ERR_UNKNOWN_GROUP);
    assert_string_equal(why, "no group 'nope'");
    char unknown[65];
    memset(unknown, '0', 64);
    unknown[64] = '\0';
    assert_int_equal(resolve(f, unknown, got, why, sizeof why), RSN_ERR_UNKNOWN_GROUP);
    assert_int_equal(resolve(f, "", got, why, sizeof why), RSN_ERR_UNKNOWN_GROUP);

    /* a second group with the same name: the name is ambiguous, ids are not */
    uint8_t gid2[32];
    fx_put(f, alice, RAISON__KIND__KIND_CHARTER, charter(f, "ops", OPEN, "triage", &alice, 1), 2000,
           gid2);
    assert_int_equal(resolve(f, "ops", got, why, sizeof why), RSN_ERR_AMBIGUOUS);
    assert_non_null(strstr(why, "matches 2 groups"));
    assert_non_null(strstr(why, "(ops)"));
    assert_int_equal(resolve(f, prefix, got, why, sizeof why), 0);
    assert_memory_equal(got, gid, 32);

    /* groups until two share their first hex digit: that prefix is ambiguous */
    char first[17] = "";
    char firsts[2] = {0, 0};
    rsn_hex_encode(hex, sizeof hex, gid, 32);
    first[0] = hex[0];
    rsn_hex_encode(hex, sizeof hex, gid2, 32);
    size_t n_first = 1;
    if (strchr(first, hex[0])) {
        firsts[0] = hex[0];
    } else {
        first[n_first++] = hex[0];
    }
    for (int i = 0; !firsts[0] && i < 20; i++) {
        uint8_t id[32];
        char name[16];
        snprintf(name, sizeof name, "g%d", i);
        fx_put(f, alice, RAISON__KIND__KIND_CHARTER, charter(f, name, OPEN, "m", &alice, 1),
               3000 + (uint64_t)i, id);
        rsn_hex_encode(hex, sizeof hex, id, 32);
        if (strchr(first, hex[0])) {
            firsts[0] = hex[0];
        } else {
            first[n_first++] = hex[0];
        }
    }
    assert_true(firsts[0] != 0);
    assert_int_equal(resolve(f, firsts, got, why, sizeof why), RSN_ERR_AMBIGUOUS);

    /* the groups list pages by id */
    size_t total = n_first + 1;
    Raison__GroupsRequest greq = RAISON__GROUPS_REQUEST__INIT;
    Raison__GroupsReply *gr = NULL;
    assert_int_equal(rsn_view_groups(f->store, f->arena, &greq, &gr), 0);
    assert_int_equal(gr->n_groups, total);
    assert_int_equal(gr->next_cursor.len, 0);
    greq.limit = 2;
    size_t seen = 0;
    do {
        assert_int_equal(rsn_view_groups(f->store, f->arena, &greq, &gr), 0);
        for (size_t i = 0; i + 1 < gr->n_groups; i++) {
            assert_true(memcmp(gr->groups[i]->group.data, gr->groups[i + 1]->group.data, 32) < 0);
        }
        seen += gr->n_groups;
        greq.cursor = gr->next_cursor;
    } while (gr->next_cursor.len);
    assert_int_equal(seen, total);
    fx_author_free(alice);
}

static void test_charter_chain(void **state)
{
    fx_t *f = *state;
    fx_author_t *alice = fx_author_new(1), *bob = fx_author_new(2), *carol = fx_author_new(3);
    uint8_t gid[32], bad[32], v2[32], a3[32], b3[32], cur[32];
    fx_put(f, alice, RAISON__KIND__KIND_CHARTER, charter(f, "ops", OPEN, "triage", &alice, 1), 1000,
           gid);

    /* an amendment by a non-owner is ignored */
    fx_put(f, bob, RAISON__KIND__KIND_CHARTER,
           fx_amend(f, charter(f, "bob's ops", OPEN, "triage", &bob, 1), gid, gid, 2), 1100, bad);
    assert_int_equal(current(f, gid, cur)->version, 1);
    assert_memory_equal(cur, gid, 32);
    Raison__EntryInfo *info = NULL;
    assert_int_equal(rsn_view_entry(f->store, f->arena, bad, &info), 0);
    assert_string_not_equal(info->invalid, "");

    /* one by the owner becomes current; it makes bob an owner too */
    fx_author_t *both[2] = {alice, bob};
    fx_put(f, alice, RAISON__KIND__KIND_CHARTER,
           fx_amend(f, charter(f, "ops", OPEN, "triage,docs", both, 2), gid, gid, 2), 1200, v2);
    const Raison__Charter *c = current(f, gid, cur);
    assert_int_equal(c->version, 2);
    assert_int_equal(c->n_missions, 2);
    assert_memory_equal(cur, v2, 32);

    /* two amendments of v2 by its two owners: a dispute, the smallest id wins */
    fx_put(f, alice, RAISON__KIND__KIND_CHARTER,
           fx_amend(f, charter(f, "ops-a", OPEN, "triage", both, 2), gid, v2, 3), 1300, a3);
    fx_put(f, bob, RAISON__KIND__KIND_CHARTER,
           fx_amend(f, charter(f, "ops-b", OPEN, "triage", both, 2), gid, v2, 3), 1400, b3);
    /* carol (no owner of v2) also tries: no part of the dispute */
    fx_put(f, carol, RAISON__KIND__KIND_CHARTER,
           fx_amend(f, charter(f, "ops-c", OPEN, "triage", &carol, 1), gid, v2, 3), 1450, cur);
    const uint8_t *win = memcmp(a3, b3, 32) < 0 ? a3 : b3;
    const uint8_t *lose = win == a3 ? b3 : a3;
    c = current(f, gid, cur);
    assert_int_equal(c->version, 3);
    assert_memory_equal(cur, win, 32);
    assert_string_equal(c->name, win == a3 ? "ops-a" : "ops-b");

    Raison__GroupReply *gr = NULL;
    assert_int_equal(rsn_view_group(f->store, f->arena, gid, &gr), 0);
    assert_true(gr->disputed);
    assert_int_equal(gr->n_dispute, 2);
    assert_memory_equal(gr->charter_id.data, win, 32);
    assert_int_equal(gr->n_history, 3);
    assert_memory_equal(gr->history[0]->id.data, gid, 32);
    assert_memory_equal(gr->history[1]->id.data, v2, 32);
    assert_int_equal(gr->history[2]->version, 3);
    assert_int_equal(gr->n_members, 2); /* the two owners */
    assert_true(gr->members[0]->owner && gr->members[1]->owner);
    assert_int_equal(rsn_view_entry(f->store, f->arena, lose, &info), 0);
    assert_non_null(strstr(info->invalid, "dispute"));
    assert_int_equal(rsn_view_entry(f->store, f->arena, win, &info), 0);
    assert_string_equal(info->invalid, "");

    Raison__GroupsReply *list = NULL;
    Raison__GroupsRequest greq = RAISON__GROUPS_REQUEST__INIT;
    assert_int_equal(rsn_view_groups(f->store, f->arena, &greq, &list), 0);
    assert_int_equal(list->n_groups, 1);
    assert_true(list->groups[0]->disputed);
    assert_int_equal(list->groups[0]->version, 3);
    packs(f, gr);
    packs(f, list);
    packs(f, info);
    fx_author_free(alice);
    fx_author_free(bob);
    fx_author_free(carol);
}

static void test_members_only(void **state)
{
    fx_t *f = *state;
    fx_author_t *alice = fx_author_new(1), *bob = fx_author_new(2), *carol = fx_author_new(3);
    uint8_t gid[32], id[32], add_bob[32], add_carol[32];
    fx_put(f, alice, RAISON__KIND__KIND_CHARTER, charter(f, "secret", CLOSED, "m", &alice, 1), 10,
           gid);
    fx_put(f, alice, RAISON__KIND__KIND_POST, fx_post(f, gid, "m", "owner speaks", NULL), 50, NULL);
    fx_put(f, bob, RAISON__KIND__KIND_POST, fx_post(f, gid, "m", "too early", NULL), 100, id);
    assert_int_equal(timeline_count(f, gid), 1);
    Raison__EntryInfo *info = NULL;
    assert_int_equal(rsn_view_entry(f->store, f->arena, id, &info), 0);
    assert_non_null(strstr(info->invalid, "member"));

    /* issue 9: bob's own join grants nothing; alice's add, answered by his
     * join, lets him in from there on in his feed */
    fx_put(f, bob, RAISON__KIND__KIND_MEMBERSHIP,
           fx_membership(f, gid, RAISON__ACTION__ACTION_JOIN, NULL, gid), 200, NULL);
    fx_put(f, bob, RAISON__KIND__KIND_POST, fx_post(f, gid, "m", "self-joined", NULL), 300, NULL);
    assert_int_equal(timeline_count(f, gid), 1);
    fx_put(f, alice, RAISON__KIND__KIND_MEMBERSHIP,
           fx_membership(f, gid, RAISON__ACTION__ACTION_ADD, bob->pk, gid), 310, add_bob);
    Raison__Membership *join = fx_membership(f, gid, RAISON__ACTION__ACTION_JOIN, NULL, gid);
    join->answers.data = add_bob;
    join->answers.len = 32;
    fx_put(f, bob, RAISON__KIND__KIND_MEMBERSHIP, join, 320, NULL);
    fx_put(f, bob, RAISON__KIND__KIND_POST, fx_post(f, gid, "m", "member now", NULL), 330, NULL);
    assert_int_equal(timeline_count(f, gid), 2);
    Raison__GroupReply *gr = NULL;
    assert_int_equal(rsn_view_group(f->store, f->arena, gid, &gr), 0);
    assert_int_equal(gr->n_members, 2);
    assert_memory_equal(gr->members[1]->key.data, bob->pk, 32);
    assert_false(gr->members[1]->owner);
    assert_memory_equal(gr->members[1]->charter.data, gid, 32);

    fx_put(f, bob, RAISON__KIND__KIND_MEMBERSHIP,
           fx_membership(f, gid, RAISON__ACTION__ACTION_LEAVE, NULL, NULL), 400, NULL);
    fx_put(f, bob, RAISON__KIND__KIND_POST, fx_post(f, gid, "m", "gone", NULL), 500, NULL);
    assert_int_equal(timeline_count(f, gid), 2);

    /* an add by an owner; an add by a non-owner is ignored */
    fx_put(f, bob, RAISON__KIND__KIND_MEMBERSHIP,
           fx_membership(f, gid, RAISON__ACTION__ACTION_ADD, bob->pk, gid), 550, NULL);
    fx_put(f, alice, RAISON__KIND__KIND_MEMBERSHIP,
           fx_membership(f, gid, RAISON__ACTION__ACTION_ADD, carol->pk, gid), 600, add_carol);
    join = fx_membership(f, gid, RAISON__ACTION__ACTION_JOIN, NULL, gid);
    join->answers.data = add_carol;
    join->answers.len = 32;
    fx_put(f, carol, RAISON__KIND__KIND_MEMBERSHIP, join, 650, NULL);
    fx_put(f, carol, RAISON__KIND__KIND_POST, fx_post(f, gid, "m", "added", NULL), 700, NULL);
    assert_int_equal(timeline_count(f, gid), 3);

    /* by seq of the author's feed: bob's 1 and 3 are out, 5 in, 7 out */
    rsn_group_t *g = NULL;
    assert_int_equal(rsn_group_load(f->store, f->arena, gid, &g), 0);
    assert_false(rsn_group_may_post(g, bob->pk, 1));
    assert_false(rsn_group_may_post(g, bob->pk, 3));
    assert_true(rsn_group_may_post(g, bob->pk, 5));
    assert_false(rsn_group_may_post(g, bob->pk, 7));
    assert_false(rsn_group_may_post(g, bob->pk, UINT64_MAX));
    assert_true(rsn_group_may_post(g, carol->pk, UINT64_MAX));
    assert_false(rsn_group_may_post(g, carol->pk, 1));
    assert_true(rsn_group_may_post(g, alice->pk, 0));

    Raison__GroupsReply *list = NULL;
    Raison__GroupsRequest greq = RAISON__GROUPS_REQUEST__INIT;
    assert_int_equal(rsn_view_groups(f->store, f->arena, &greq, &list), 0);
    assert_int_equal(list->n_groups, 1);
    assert_int_equal(list->groups[0]->members, 2); /* alice, carol */
    assert_int_equal(list->groups[0]->posts, 3);
    fx_author_free(alice);
    fx_author_free(bob);
    fx_author_free(carol);
}

static void test_retired_mission(void **state)
{
    fx_t *f = *state;
    fx_author_t *alice = fx_author_new(1);
    uint8_t gid[32], v2[32];
    fx_put(f, alice, RAISON__KIND__KIND_CHARTER, charter(f, "g", OPEN, "alpha,beta", &alice, 1), 10,
           gid);
    fx_put(f, alice, RAISON__KIND__KIND_POST, fx_post(f, gid, "alpha", "a1", NULL), 20, NULL);
    fx_put(f, alice, RAISON__KIND__KIND_POST, fx_post(f, gid, "beta", "b1", NULL), 30, NULL);
    fx_put(f, alice, RAISON__KIND__KIND_POST, fx_post(f, gid, "beta", "b2", NULL), 40, NULL);
    fx_put(f, alice, RAISON__KIND__KIND_CHARTER,
           fx_amend(f, charter(f, "g", OPEN, "alpha,gamma", &alice, 1), gid, gid, 2), 50, v2);
    fx_put(f, alice, RAISON__KIND__KIND_POST, fx_post(f, gid, "gamma", "c1", NULL), 60, NULL);
    fx_put(f, alice, RAISON__KIND__KIND_POST, fx_post(f, gid, "delta", "never a mission", NULL), 70,
           NULL);
    assert_int_equal(timeline_count(f, gid), 4);

    Raison__ReportReply *r = NULL;
    assert_int_equal(rsn_view_report(f->store, f->arena, gid, &r), 0);
    assert_int_equal(r->version, 2);
    assert_int_equal(r->n_missions, 3);
    assert_string_equal(r->missions[0]->key, "alpha");
    assert_false(r->missions[0]->retired);
    assert_int_equal(r->missions[0]->posts, 1);
    assert_string_equal(r->missions[1]->key, "gamma");
    assert_false(r->missions[1]->retired);
    assert_int_equal(r->missions[1]->posts, 1);
    assert_string_equal(r->missions[2]->key, "beta");
    assert_true(r->missions[2]->retired);
    assert_int_equal(r->missions[2]->posts, 2);
    assert_int_equal(r->missions[2]->last_activity, 40);
    assert_int_equal(r->posts, 4);
    assert_int_equal(r->authors, 1);
    assert_int_equal(r->sites, 0);
    fx_author_free(alice);
}

static void test_timeline_pages(void **state)
{
    fx_t *f = *state;
    fx_author_t *alice = fx_author_new(1);
    uint8_t gid[32];
    fx_put(f, alice, RAISON__KIND__KIND_CHARTER, charter(f, "g", OPEN, "a,b", &alice, 1), 1, gid);
    for (uint64_t ts = 1; ts <= 7; ts++) {
        char text[16];
        snprintf(text, sizeof text, "post %llu", (unsigned long long)ts);
        fx_put(f, alice, RAISON__KIND__KIND_POST, fx_post(f, gid, ts % 2 ? "a" : "b", text, NULL),
               100 + ts, NULL);
    }
    ProtobufCBinaryData cursor = {0, NULL};
    uint64_t expect = 107;
    const size_t sizes[3] = {3, 3, 1};
    for (int page = 0; page < 3; page++) {
        Raison__TimelineReply *r = timeline(f, gid, NULL, 3, cursor);
        assert_int_equal(r->n_posts, sizes[page]);
        for (size_t i = 0; i < r->n_posts; i++) {
            assert_int_equal(r->posts[i]->timestamp, expect--);
            assert_string_equal(r->posts[i]->author_name, "");
        }
        assert_int_equal(r->next_cursor.len, page < 2 ? 40 : 0);
        packs(f, r);
        cursor = r->next_cursor;
    }
    /* the filter: a has 107, 105, 103, 101; b (3 posts) fills one page exactly */
    cursor.len = 0;
    Raison__TimelineReply *r = timeline(f, gid, "a", 0, cursor);
    assert_int_equal(r->n_posts, 4);
    assert_int_equal(r->posts[3]->timestamp, 101);
    assert_string_equal(r->posts[0]->mission, "a");
    r = timeline(f, gid, "b", 3, cursor);
    assert_int_equal(r->n_posts, 3);
    assert_int_equal(r->next_cursor.len, 0);

    Raison__TimelineRequest req = RAISON__TIMELINE_REQUEST__INIT;
    req.mission = "zzz";
    char why[256] = "";
    assert_int_equal(rsn_view_timeline(f->store, f->arena, gid, &req, &r, why, sizeof why),
                     RSN_ERR_UNKNOWN_MISSION);
    req.mission = "";
    req.cursor.len = 5;
    req.cursor.data = gid;
    assert_int_equal(rsn_view_timeline(f->store, f->arena, gid, &req, &r, why, sizeof why),
                     RSN_ERR_BAD_REQUEST);
    uint8_t nothing[32] = {0};
    assert_int_equal(rsn_view_timeline(f->store, f->arena, nothing, &req, &r, why, sizeof why),
                     RSN_ERR_UNKNOWN_GROUP);
    fx_author_free(alice);
}

/* A page costs O(page): a rare mission's one post under 600 of another
 * mission is reached through pages that end early with a cursor (the first
 * one empty), never by one scan of the whole group; every page is bounded. */
static void test_timeline_scan_bound(void **state)
{
    fx_t *f = *state;
    fx_author_t *alice = fx_author_new(1);
    uint8_t gid[32];
    fx_put(f, alice, RAISON__KIND__KIND_CHARTER, charter(f, "g", OPEN, "a,b", &alice, 1), 1, gid);
    fx_put(f, alice, RAISON__KIND__KIND_POST, fx_post(f, gid, "b", "the rare one", NULL), 100,
           NULL);
    fx_author_t *many[12];
    for (int i = 0; i < 12; i++) {
        many[i] = fx_author_new((uint8_t)(2 + i));
    }
    for (uint64_t ts = 1; ts <= 600; ts++) { /* 50 each: a test author signs 63 at most */
        fx_put(f, many[ts % 12], RAISON__KIND__KIND_POST, fx_post(f, gid, "a", "common", NULL),
               100 + ts, NULL);
    }
    ProtobufCBinaryData cursor = {0, NULL};
    int pages = 0;
    size_t found = 0;
    do {
        Raison__TimelineReply *r = timeline(f, gid, "b", 1, cursor);
        assert_true(r->n_posts <= 1);
        if (pages == 0) {
            assert_int_equal(r->n_posts, 0); /* 264 keys looked at, none of "b" */
            assert_int_equal(r->next_cursor.len, 40);
        }
        for (size_t i = 0; i < r->n_posts; i++) {
            assert_string_equal(r->posts[i]->text, "the rare one");
            found++;
        }
        cursor = r->next_cursor;
        pages++;
    } while (cursor.len && pages < 10);
    assert_int_equal(found, 1);
    assert_int_equal(pages, 3); /* 264 + 264 + the last 73 */
    /* without a filter, pages are full and cover all 601 posts once */
    cursor.len = 0;
    size_t total = 0;
    pages = 0;
    do {
        Raison__TimelineReply *r = timeline(f, gid, NULL, 500, cursor);
        total += r->n_posts;
        cursor = r->next_cursor;
        pages++;
    } while (cursor.len && pages < 10);
    assert_int_equal(total, 601);
    for (int i = 0; i < 12; i++) {
        fx_author_free(many[i]);
    }
    fx_author_free(alice);
}

static void test_report_across_sites(void **state)
{
    fx_t *f = *state;
    fx_author_t *alice = fx_author_new(1), *bob = fx_author_new(2), *carol = fx_author_new(3);
    uint8_t gid[32], p1[32], p2[32], id[32];
    fx_put(f, alice, RAISON__KIND__KIND_PROFILE, fx_profile(f, "Alice", "paris"), 1, NULL);
    fx_put(f, bob, RAISON__KIND__KIND_PROFILE, fx_profile(f, "Bob", "old-site"), 2, NULL);
    fx_put(f, bob, RAISON__KIND__KIND_PROFILE, fx_profile(f, "Bob", "lyon"), 3, NULL);
    fx_put(f, alice, RAISON__KIND__KIND_CHARTER, charter(f, "g", OPEN, "m1,m2", &alice, 1), 10,
           gid);
    fx_put(f, bob, RAISON__KIND__KIND_MEMBERSHIP,
           fx_membership(f, gid, RAISON__ACTION__ACTION_JOIN, NULL, gid), 15, NULL);
    fx_put(f, alice, RAISON__KIND__KIND_POST, fx_post(f, gid, "m1", "question", NULL), 20, p1);
    fx_put(f, bob, RAISON__KIND__KIND_POST, fx_post(f, gid, "m1", "answer from lyon", p1), 30,
           NULL);
    fx_put(f, alice, RAISON__KIND__KIND_POST, fx_post(f, gid, "m1", "thanks", p1), 40, NULL);
    fx_put(f, carol, RAISON__KIND__KIND_POST, fx_post(f, gid, "m2", "no site", NULL), 50, p2);
    fx_put(f, bob, RAISON__KIND__KIND_POST, fx_post(f, gid, "m2", "reply to carol", p2), 60, NULL);

    Raison__ReportReply *r = NULL;
    assert_int_equal(rsn_view_report(f->store, f->arena, gid, &r), 0);
    assert_string_equal(r->name, "g");
    assert_int_equal(r->members, 2);
    assert_int_equal(r->n_missions, 2);
    const Raison__MissionReport *m1 = r->missions[0], *m2 = r->missions[1];
    assert_string_equal(m1->key, "m1");
    assert_int_equal(m1->posts, 3);
    assert_int_equal(m1->authors, 2);
    assert_int_equal(m1->sites, 2);
    assert_int_equal(m1->replies, 2);
    assert_int_equal(m1->cross_site_replies, 1);
    assert_int_equal(m1->last_activity, 40);
    assert_string_equal(m2->key, "m2");
    assert_int_equal(m2->posts, 2);
    assert_int_equal(m2->authors, 2);
    assert_int_equal(m2->sites, 1);
    assert_int_equal(m2->replies, 1);
    assert_int_equal(m2->cross_site_replies, 0);
    assert_int_equal(m2->last_activity, 60);
    assert_int_equal(r->posts, 5);
    assert_int_equal(r->authors, 3);
    assert_int_equal(r->sites, 2);
    assert_int_equal(r->cross_site_replies, 1);
    packs(f, r);

    Raison__PostView *pv = NULL;
    assert_int_equal(rsn_view_post(f->store, f->arena, p1, &pv), 0);
    assert_string_equal(pv->author_name, "Alice");
    assert_string_equal(pv->author_site, "paris");
    assert_int_equal(pv->replies, 2);
    assert_string_equal(pv->text, "question");
    assert_false(pv->erased);

    Raison__ProfileReply *pr = NULL;
    assert_int_equal(rsn_view_profile(f->store, f->arena, bob->pk, &pr), 0);
    assert_non_null(pr->profile);
    assert_string_equal(pr->profile->site, "lyon");
    assert_memory_equal(pr->id.data, bob->ids[2], 32);
    packs(f, pr);
    packs(f, pv);
    assert_int_equal(rsn_view_profile(f->store, f->arena, carol->pk, &pr), 0);
    assert_null(pr->profile);

    /* a reply to a post of another group does not count */
    uint8_t other[32];
    fx_put(f, carol, RAISON__KIND__KIND_CHARTER, charter(f, "other", OPEN, "x", &carol, 1), 70,
           other);
    fx_put(f, carol, RAISON__KIND__KIND_POST, fx_post(f, other, "x", "cross-group", p1), 80, id);
    assert_int_equal(timeline_count(f, other), 0);
    assert_int_equal(rsn_view_post(f->store, f->arena, p1, &pv), 0);
    assert_int_equal(pv->replies, 2);
    fx_author_free(alice);
    fx_author_free(bob);
    fx_author_free(carol);
}

static void test_retraction(void **state)
{
    fx_t *f = *state;
    fx_author_t *alice = fx_author_new(1), *bob = fx_author_new(2);
    uint8_t gid[32], p[32], q[32];
    fx_put(f, alice, RAISON__KIND__KIND_CHARTER, charter(f, "g", OPEN, "m", &alice, 1), 10, gid);
    fx_put(f, alice, RAISON__KIND__KIND_POST, fx_post(f, gid, "m", "oops", NULL), 20, p);
    fx_put(f, alice, RAISON__KIND__KIND_POST, fx_post(f, gid, "m", "fine", NULL), 30, q);
    assert_int_equal(timeline_count(f, gid), 2);

    fx_put(f, alice, RAISON__KIND__KIND_RETRACTION, fx_retraction(f, p, false), 40, NULL);
    assert_int_equal(timeline_count(f, gid), 1);
    assert_true(rsn_entry_retracted(f->store, f->arena, p, alice->pk));
    Raison__PostView *pv = NULL;
    assert_int_equal(rsn_view_post(f->store, f->arena, p, &pv), RSN_ERR_NOT_FOUND);
    Raison__EntryInfo *info = NULL;
    assert_int_equal(rsn_view_entry(f->store, f->arena, p, &info), 0);
    assert_true(info->retracted);

    /* someone else's retraction changes nothing */
    fx_put(f, bob, RAISON__KIND__KIND_RETRACTION, fx_retraction(f, q, false), 50, NULL);
    assert_false(rsn_entry_retracted(f->store, f->arena, q, alice->pk));
    assert_int_equal(timeline_count(f, gid), 1);

    /* a retraction that erases: the header stays, flagged erased */
    fx_put(f, alice, RAISON__KIND__KIND_RETRACTION, fx_retraction(f, q, true), 60, NULL);
    assert_int_equal(timeline_count(f, gid), 0);
    assert_int_equal(rsn_view_entry(f->store, f->arena, q, &info), 0);
    assert_true(info->retracted);
    assert_true(info->erased);

    /* a retracted charter v1: the group is gone from views */
    fx_put(f, alice, RAISON__KIND__KIND_RETRACTION, fx_retraction(f, gid, false), 70, NULL);
    rsn_group_t *g = NULL;
    assert_int_equal(rsn_group_load(f->store, f->arena, gid, &g), RSN_ERR_UNKNOWN_GROUP);
    fx_author_free(alice);
    fx_author_free(bob);
}

static void test_fork_frozen_feed(void **state)
{
    fx_t *f = *state;
    fx_author_t *alice = fx_author_new(1), *bob = fx_author_new(2);
    uint8_t gid[32], id[32];
    fx_put(f, bob, RAISON__KIND__KIND_CHARTER, charter(f, "g", OPEN, "m", &bob, 1), 10, gid);
    fx_put(f, alice, RAISON__KIND__KIND_PROFILE, fx_profile(f, "Alice", "paris"), 11, NULL);
    fx_put(f, alice, RAISON__KIND__KIND_POST, fx_post(f, gid, "m", "one", NULL), 20, NULL);
    fx_put(f, alice, RAISON__KIND__KIND_POST, fx_post(f, gid, "m", "two", NULL), 30, NULL);
    assert_int_equal(timeline_count(f, gid), 2);

    Raison__FeedRequest req = RAISON__FEED_REQUEST__INIT;
    req.author.data = alice->pk;
    req.author.len = 32;
    req.limit = 2;
    Raison__FeedReply *r = NULL;
    assert_int_equal(rsn_view_feed(f->store, f->arena, &req, &r), 0);
    assert_int_equal(r->head, 3);
    assert_int_equal(r->n_entries, 2);
    assert_int_equal(r->next_seq, 3);
    assert_false(r->frozen);
    assert_int_equal(r->entries[0]->kind, RAISON__KIND__KIND_PROFILE);
    assert_string_equal(r->entries[1]->invalid, "");
    req.from_seq = 3;
    assert_int_equal(rsn_view_feed(f->store, f->arena, &req, &r), 0);
    assert_int_equal(r->n_entries, 1);
    assert_int_equal(r->next_seq, 0);

    /* a second, different entry for seq 2: a fork, the feed freezes at 2 */
    assert_int_equal(fx_put_at(f, alice, 2, RAISON__KIND__KIND_POST,
                               &fx_post(f, gid, "m", "other branch", NULL)->base, 25, id),
                     RSN_ERR_FORK);
    assert_true(rsn_feed_hidden(f->store, alice->pk, 2));
    assert_false(rsn_feed_hidden(f->store, alice->pk, 1));
    req.from_seq = 0;
    req.limit = 0;
    assert_int_equal(rsn_view_feed(f->store, f->arena, &req, &r), 0);
    assert_true(r->frozen);
    assert_int_equal(r->head, 1);
    assert_int_equal(r->n_entries, 1);
    assert_int_equal(r->next_seq, 0);
    packs(f, r);
    assert_int_equal(timeline_count(f, gid), 0);
    Raison__EntryInfo *info = NULL;
    assert_int_equal(rsn_view_entry(f->store, f->arena, alice->ids[3], &info), 0);
    assert_non_null(strstr(info->invalid, "forked"));

    req.author.len = 3;
    assert_int_equal(rsn_view_feed(f->store, f->arena, &req, &r), RSN_ERR_BAD_REQUEST);
    fx_author_free(alice);
    fx_author_free(bob);
}

/* --------------------------------------------------------- rules check -- */

static char g_why[256];

static int rule(fx_t *f, fx_author_t *a, Raison__Kind kind, const void *body, uint64_t ts)
{
    Raison__Entry e = RAISON__ENTRY__INIT;
    e.author.data = a->pk;
    e.author.len = 32;
    e.seq = a->seq + 1;
    e.timestamp = ts;
    e.kind = kind;
    uint8_t id[32];
    memset(id, 0xee, sizeof id);
    g_why[0] = '\0';
    return rsn_rules_check(f->store, f->arena, &e, body, id, g_why, sizeof g_why);
}

static void test_rules_charter(void **state)
{
    fx_t *f = *state;
    fx_author_t *alice = fx_author_new(1), *bob = fx_author_new(2);
    const Raison__Kind K = RAISON__KIND__KIND_CHARTER;
    Raison__Charter *c = charter(f, "ops", OPEN, "triage", &alice, 1);
    assert_int_equal(rule(f, alice, K, c, 1), 0);
    c->purpose = "";
    assert_int_equal(rule(f, alice, K, c, 1), RSN_ERR_INVALID_CHARTER);
    assert_string_equal(g_why, "charter has no purpose");
    c = charter(f, "ops", OPEN, "", &alice, 1);
    assert_int_equal(rule(f, alice, K, c, 1), RSN_ERR_INVALID_CHARTER);
    assert_string_equal(g_why, "charter has no mission");
    c = charter(f, "ops", OPEN, "Bad Key", &alice, 1);
    assert_int_equal(rule(f, alice, K, c, 1), RSN_ERR_INVALID_CHARTER);
    assert_non_null(strstr(g_why, "mission key 'Bad Key' is not [a-z0-9-]"));
    c = charter(f, "ops", OPEN, "a,a", &alice, 1);
    assert_int_equal(rule(f, alice, K, c, 1), RSN_ERR_INVALID_CHARTER);
    c = charter(f, "ops", OPEN, "a", &alice, 1);
    c->n_benefits = 0;
    assert_int_equal(rule(f, alice, K, c, 1), RSN_ERR_INVALID_CHARTER);
    assert_string_equal(g_why, "charter has no benefit");
    c = charter(f, "ops", OPEN, "a", &alice, 1);
    c->data_policy = NULL;
    assert_int_equal(rule(f, alice, K, c, 1), RSN_ERR_INVALID_CHARTER);
    c = charter(f, "ops", RAISON__ACCESS__ACCESS_UNSPECIFIED, "a", &alice, 1);
    assert_int_equal(rule(f, alice, K, c, 1), RSN_ERR_INVALID_CHARTER);
    c = charter(f, "ops", OPEN, "a", &alice, 1);
    assert_int_equal(rule(f, bob, K, c, 1), RSN_ERR_INVALID_CHARTER);
    assert_string_equal(g_why, "the author must be among the owners");
    c = charter(f, "ops", OPEN, "a", &alice, 1);
    c->version = 2;
    assert_int_equal(rule(f, alice, K, c, 1), RSN_ERR_INVALID_CHARTER);

    /* amendments */
    uint8_t gid[32], nothing[32];
    memset(nothing, 7, sizeof nothing);
    fx_put(f, alice, K, charter(f, "ops", OPEN, "a", &alice, 1), 10, gid);
    c = fx_amend(f, charter(f, "ops", OPEN, "a,b", &alice, 1), gid, gid, 2);
    assert_int_equal(rule(f, alice, K, c, 20), 0);
    c = fx_amend(f, charter(f, "ops", OPEN, "a,b", &alice, 1), nothing, gid, 2);
    assert_int_equal(rule(f, alice, K, c, 20), RSN_ERR_UNKNOWN_GROUP);
    c = fx_amend(f, charter(f, "ops", OPEN, "a,b", &alice, 1), gid, nothing, 2);
    assert_int_equal(rule(f, alice, K, c, 20), RSN_ERR_INVALID_CHARTER);
    c = fx_amend(f, charter(f, "ops", OPEN, "a,b", &alice, 1), gid, gid, 3);
    assert_int_equal(rule(f, alice, K, c, 20), RSN_ERR_INVALID_CHARTER);
    c = fx_amend(f, charter(f, "ops", OPEN, "a,b", &bob, 1), gid, gid, 2);
    assert_int_equal(rule(f, bob, K, c, 20), RSN_ERR_NOT_OWNER);
    /* once v2 is current, amending v1 again is refused */
    uint8_t v2[32];
    fx_put(f, alice, K, fx_amend(f, charter(f, "ops", OPEN, "a,b", &alice, 1), gid, gid, 2), 30,
           v2);
    c = fx_amend(f, charter(f, "ops", OPEN, "a", &alice, 1), gid, gid, 2);
    assert_int_equal(rule(f, alice, K, c, 40), RSN_ERR_INVALID_CHARTER);
    c = fx_amend(f, charter(f, "ops", OPEN, "a", &alice, 1), gid, v2, 3);
    assert_int_equal(rule(f, alice, K, c, 40), 0);
    assert_int_equal(rule(f, alice, K, NULL, 40), RSN_ERR_INVALID_BODY);
    fx_author_free(alice);
    fx_author_free(bob);
}

static void test_rules_membership_post(void **state)
{
    fx_t *f = *state;
    fx_author_t *alice = fx_author_new(1), *bob = fx_author_new(2), *carol = fx_author_new(3);
    const Raison__Kind M = RAISON__KIND__KIND_MEMBERSHIP, P = RAISON__KIND__KIND_POST;
    uint8_t open_g[32], closed[32], nothing[32], parent[32], other_parent[32], v2[32];
    memset(nothing, 7, sizeof nothing);
    fx_put(f, alice, RAISON__KIND__KIND_CHARTER,
           charter(f, "ops", OPEN, "triage,docs,old", &alice, 1), 10, open_g);
    fx_put(f, alice, RAISON__KIND__KIND_CHARTER,
           fx_amend(f, charter(f, "ops", OPEN, "triage,docs", &alice, 1), open_g, open_g, 2), 11,
           v2);
    fx_put(f, alice, RAISON__KIND__KIND_CHARTER, charter(f, "club", CLOSED, "m", &alice, 1), 12,
           closed);

    /* memberships */
    assert_int_equal(
        rule(f, bob, M, fx_membership(f, nothing, RAISON__ACTION__ACTION_JOIN, NULL, nothing), 20),
        RSN_ERR_UNKNOWN_GROUP);
    assert_int_equal(
        rule(f, bob, M, fx_membership(f, closed, RAISON__ACTION__ACTION_JOIN, NULL, open_g), 20),
        RSN_ERR_INVALID_BODY);
    /* issue 9: a self-join in a members-only group, answering no add, is refused */
    assert_int_equal(
        rule(f, bob, M, fx_membership(f, closed, RAISON__ACTION__ACTION_JOIN, NULL, closed), 20),
        RSN_ERR_NOT_MEMBER);
    assert_int_equal(rule(f, bob, M,
                          fx_membership(f, closed, RAISON__ACTION__ACTION_JOIN, carol->pk, closed),
                          20),
                     RSN_ERR_INVALID_BODY);
    assert_int_equal(rule(f, bob, M,
                          fx_membership(f, closed, RAISON__ACTION__ACTION_LEAVE, carol->pk, NULL),
                          20),
                     RSN_ERR_INVALID_BODY);
    assert_int_equal(
        rule(f, bob, M, fx_membership(f, closed, RAISON__ACTION__ACTION_ADD, carol->pk, NULL), 20),
        RSN_ERR_NOT_OWNER);
    assert_int_equal(rule(f, bob, M,
                          fx_membership(f, closed, RAISON__ACTION__ACTION_REMOVE, carol->pk, NULL),
                          20),
                     RSN_ERR_NOT_OWNER);
    assert_int_equal(rule(f, alice, M,
                          fx_membership(f, open_g, RAISON__ACTION__ACTION_ADD, carol->pk, NULL),
                          20),
                     RSN_ERR_INVALID_BODY);
    assert_int_equal(rule(f, alice, M,
                          fx_membership(f, closed, RAISON__ACTION__ACTION_ADD, carol->pk, NULL),
                          20),
                     0);
    assert_int_equal(
        rule(f, bob, M, fx_membership(f, open_g, RAISON__ACTION__ACTION_JOIN, NULL, v2), 20), 0);

    /* posts */
    fx_put(f, alice, P, fx_post(f, open_g, "triage", "parent", NULL), 30, parent);
    fx_put(f, alice, P, fx_post(f, closed, "m", "closed parent", NULL), 31, other_parent);
    assert_int_equal(rule(f, bob, P, fx_post(f, open_g, "triage", "hello", NULL), 40), 0);
    assert_int_equal(rule(f, bob, P, fx_post(f, nothing, "triage", "hello", NULL), 40),
                     RSN_ERR_UNKNOWN_GROUP);
    assert_int_equal(rule(f, bob, P, fx_post(f, open_g, "x", "hello", NULL), 40),
                     RSN_ERR_UNKNOWN_MISSION);
    assert_string_equal(g_why, "group 'ops' has no mission 'x' (missions: triage, docs)");
    assert_int_equal(rule(f, bob, P, fx_post(f, open_g, "old", "hello", NULL), 40),
                     RSN_ERR_UNKNOWN_MISSION);
    assert_int_equal(rule(f, bob, P, fx_post(f, closed, "m", "hello", NULL), 40),
                     RSN_ERR_NOT_MEMBER);
    assert_int_equal(rule(f, alice, P, fx_post(f, closed, "m", "owner", NULL), 40), 0);
    assert_int_equal(rule(f, bob, P, fx_post(f, open_g, "triage", "", NULL), 40),
                     RSN_ERR_INVALID_BODY);
    assert_int_equal(rule(f, bob, P, fx_post(f, open_g, "triage", "re", nothing), 40),
                     RSN_ERR_UNKNOWN_ENTRY);
    assert_int_equal(rule(f, bob, P, fx_post(f, open_g, "triage", "re", v2), 40),
                     RSN_ERR_UNKNOWN_ENTRY);
    assert_int_equal(rule(f, bob, P, fx_post(f, open_g, "triage", "re", other_parent), 40),
                     RSN_ERR_INVALID_BODY);
    assert_int_equal(rule(f, bob, P, fx_post(f, open_g, "triage", "re", parent), 40), 0);

    /* members-only by feed order: an owner's add, the join answering it,
     * then a leave (issue 9: the time a post claims plays no part) */
    uint8_t add[32];
    fx_put(f, alice, M, fx_membership(f, closed, RAISON__ACTION__ACTION_ADD, bob->pk, NULL), 48,
           add);
    Raison__Membership *join = fx_membership(f, closed, RAISON__ACTION__ACTION_JOIN, NULL, closed);
    join->answers.data = add;
    join->answers.len = 32;
    fx_put(f, bob, M, join, 50, NULL);
    assert_int_equal(rule(f, bob, P, fx_post(f, closed, "m", "in", NULL), 60), 0);
    assert_int_equal(rule(f, bob, P, fx_post(f, closed, "m", "backdated", NULL), 45), 0);
    fx_put(f, bob, M, fx_membership(f, closed, RAISON__ACTION__ACTION_LEAVE, NULL, NULL), 70, NULL);
    assert_int_equal(rule(f, bob, P, fx_post(f, closed, "m", "out", NULL), 80), RSN_ERR_NOT_MEMBER);

    /* profiles and retractions */
    assert_int_equal(rule(f, bob, RAISON__KIND__KIND_PROFILE, fx_profile(f, "", "lyon"), 90),
                     RSN_ERR_INVALID_BODY);
    assert_int_equal(rule(f, bob, RAISON__KIND__KIND_PROFILE, fx_profile(f, "Bob", "lyon"), 90), 0);
    assert_int_equal(
        rule(f, bob, RAISON__KIND__KIND_RETRACTION, fx_retraction(f, nothing, false), 90),
        RSN_ERR_UNKNOWN_ENTRY);
    assert_int_equal(
        rule(f, bob, RAISON__KIND__KIND_RETRACTION, fx_retraction(f, parent, false), 90),
        RSN_ERR_INVALID_BODY);
    assert_string_equal(g_why, "you can only retract your own entries");
    assert_int_equal(
        rule(f, alice, RAISON__KIND__KIND_RETRACTION, fx_retraction(f, parent, true), 90), 0);
    fx_author_free(alice);
    fx_author_free(bob);
    fx_author_free(carol);
}

/* The write path judges a local publish by the rules, and stores it all the
 * same (issue 8: a signed entry that keeps the feed rule is always stored),
 * naming the rule it breaks. */
static void test_rules_through_ingest(void **state)
{
    fx_t *f = *state;
    fx_author_t *alice = fx_author_new(1);
    uint8_t gid[32];
    fx_put(f, alice, RAISON__KIND__KIND_CHARTER, charter(f, "ops", OPEN, "triage", &alice, 1), 10,
           gid);
    Raison__Post *p = fx_post(f, gid, "nope", "hello", NULL);
    rsn_test_signed_t s;
    assert_int_equal(
        rsn_test_author_sign(f->arena, alice, 2, RAISON__KIND__KIND_POST, &p->base, 20, &s), 0);
    rsn_ingest_result_t res;
    char why[256] = "";
    assert_int_equal(rsn_test_store_stage_from(f, &s, RSN_INGEST_PUBLISH, &res, why, sizeof why),
                     0);
    assert_int_equal(res.broken_rule, RSN_ERR_UNKNOWN_MISSION);
    assert_false(res.duplicate);
    assert_string_equal(why, "group 'ops' has no mission 'nope' (missions: triage)");
    assert_int_equal(rsn_ingest_pending(f->ingest), 1);
    fx_author_free(alice);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_group_found_and_resolved, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_charter_chain, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_members_only, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_retired_mission, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_timeline_pages, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_timeline_scan_bound, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_report_across_sites, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_retraction, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_fork_frozen_feed, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_rules_charter, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_rules_membership_post, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_rules_through_ingest, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
