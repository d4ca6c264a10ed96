/* rules_test.c — the semantic rules of a client's own publish
 * (daemon/rules.h), judged on draft bodies against a store filled through
 * the real write path: each rule's refusal with its code and its sentence,
 * and the draft that keeps them all. Nothing here is signed or stored by
 * rsn_rules_check itself: it only judges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/rules.h"
#include "support/daemon_fixture.h"

#define OPEN RAISON__ACCESS__ACCESS_OPEN
#define CLOSED RAISON__ACCESS__ACCESS_MEMBERS_ONLY

typedef struct {
    rsn_test_store_t *f;
    rsn_test_author_t *alice; /* owner of "ops" (open) and "sec" (members-only) */
    rsn_test_author_t *bob;   /* no one's owner, member of nothing */
    uint8_t ops[RSN_ID_BYTES];
    uint8_t sec[RSN_ID_BYTES];
    uint8_t post[RSN_ID_BYTES]; /* alice's post in ops */
    char why[256];
} fixture_t;

static int setup(void **state)
{
    fixture_t *x = calloc(1, sizeof *x);
    if (x == NULL || fx_cast_new(&x->f, "rsn-rules", &x->alice, &x->bob) != 0) {
        return -1;
    }
    fx_ops_and_sec(x->f, x->alice, "disk full on db1", x->ops, x->sec, x->post);
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

/* Judges BODY of KIND as AUTHOR's draft at TS; the code, the sentence in
 * x->why. */
static int check(fixture_t *x, const rsn_test_author_t *author, Raison__Kind kind, const void *body,
                 uint64_t ts)
{
    Raison__Entry e = RAISON__ENTRY__INIT;
    e.author.data = (uint8_t *)author->pk;
    e.author.len = RSN_KEY_BYTES;
    e.seq = author->seq + 1;
    e.timestamp = ts;
    e.kind = kind;
    uint8_t id[RSN_ID_BYTES] = {0};
    strcpy(x->why, "not cleared");
    return rsn_rules_check(x->f->store, x->f->arena, &e, body, id, x->why, sizeof x->why);
}

static void hex12(char out[13], const uint8_t *id)
{
    assert_non_null(rsn_hex_encode(out, 13, id, 6));
}

static void test_entry_itself(void **state)
{
    fixture_t *x = *state;
    Raison__Entry e = RAISON__ENTRY__INIT; /* no author */
    e.kind = RAISON__KIND__KIND_PROFILE;
    uint8_t id[RSN_ID_BYTES] = {0};
    assert_int_equal(rsn_rules_check(x->f->store, x->f->arena, &e, fx_profile(x->f, "bob", NULL),
                                     id, x->why, 256),
                     RSN_ERR_INVALID_BODY);
    assert_string_equal(x->why, "the entry has no author");

    assert_int_equal(check(x, x->bob, RAISON__KIND__KIND_POST, NULL, 2000), RSN_ERR_INVALID_BODY);
    assert_string_equal(x->why, "the entry's body does not decode");

    assert_int_equal(check(x, x->bob, (Raison__Kind)99, fx_profile(x->f, "bob", NULL), 2000),
                     RSN_ERR_INVALID_BODY);
    assert_string_equal(x->why, "unknown entry kind");
}

static void test_charters(void **state)
{
    fixture_t *x = *state;
    const uint8_t *bob_only[1] = {x->bob->pk};
    const uint8_t *alice_only[1] = {x->alice->pk};

    /* a new group by bob: fine, and the sentence is cleared */
    Raison__Charter *c = fx_charter_keys(x->f, "bob's", OPEN, "x", bob_only, 1, 0);
    assert_int_equal(check(x, x->bob, RAISON__KIND__KIND_CHARTER, c, 2000), 0);
    assert_string_equal(x->why, "");

    /* founding at version 2 */
    c->version = 2;
    assert_int_equal(check(x, x->bob, RAISON__KIND__KIND_CHARTER, c, 2000),
                     RSN_ERR_INVALID_CHARTER);
    assert_string_equal(x->why,
                        "a charter that founds a group has version 1 and supersedes nothing");

    /* content: the author is not among the owners, then no purpose */
    c = fx_charter_keys(x->f, "bob's", OPEN, "x", alice_only, 1, 0);
    assert_int_equal(check(x, x->bob, RAISON__KIND__KIND_CHARTER, c, 2000),
                     RSN_ERR_INVALID_CHARTER);
    assert_string_equal(x->why, "the author must be among the owners");
    c = fx_charter_keys(x->f, "bob's", OPEN, "x", bob_only, 1, 0);
    c->purpose = "";
    assert_int_equal(check(x, x->bob, RAISON__KIND__KIND_CHARTER, c, 2000),
                     RSN_ERR_INVALID_CHARTER);
    assert_string_equal(x->why, "charter has no purpose");

    /* an amendment of a group nobody knows */
    uint8_t none[RSN_ID_BYTES];
    memset(none, 0x5a, sizeof none);
    c = fx_amend(x->f, fx_charter_keys(x->f, "ops", OPEN, "triage", alice_only, 1, 0), none, none,
                 2);
    assert_int_equal(check(x, x->alice, RAISON__KIND__KIND_CHARTER, c, 2000),
                     RSN_ERR_UNKNOWN_GROUP);
    assert_string_equal(x->why, "no group 5a5a5a5a5a5a... is known to this node");

    /* an amendment of ops that supersedes something else, then skips a version */
    char hex[13];
    hex12(hex, x->ops);
    char expect[128];
    snprintf(expect, sizeof expect,
             "an amendment must supersede the current charter (version 1, %s...)", hex);
    c = fx_amend(x->f, fx_charter_keys(x->f, "ops", OPEN, "triage", alice_only, 1, 0), x->ops,
                 x->sec, 2);
    assert_int_equal(check(x, x->alice, RAISON__KIND__KIND_CHARTER, c, 2000),
                     RSN_ERR_INVALID_CHARTER);
    assert_string_equal(x->why, expect);
    c = fx_amend(x->f, fx_charter_keys(x->f, "ops", OPEN, "triage", alice_only, 1, 0), x->ops,
                 x->ops, 3);
    assert_int_equal(check(x, x->alice, RAISON__KIND__KIND_CHARTER, c, 2000),
                     RSN_ERR_INVALID_CHARTER);
    assert_string_equal(x->why, "an amendment of version 1 must have version 2");

    /* bob is no owner of ops */
    c = fx_amend(x->f, fx_charter_keys(x->f, "ops", OPEN, "triage", bob_only, 1, 0), x->ops, x->ops,
                 2);
    assert_int_equal(check(x, x->bob, RAISON__KIND__KIND_CHARTER, c, 2000), RSN_ERR_NOT_OWNER);
    assert_string_equal(x->why, "only an owner of group 'ops' may amend its charter");

    /* alice's amendment keeps every rule */
    c = fx_amend(x->f, fx_charter_keys(x->f, "ops2", OPEN, "triage", alice_only, 1, 0), x->ops,
                 x->ops, 2);
    assert_int_equal(check(x, x->alice, RAISON__KIND__KIND_CHARTER, c, 2000), 0);
}

static void test_posts(void **state)
{
    fixture_t *x = *state;
    const Raison__Kind post = RAISON__KIND__KIND_POST;
    assert_int_equal(check(x, x->bob, post, fx_post(x->f, x->ops, "triage", "me too", NULL), 2000),
                     0);

    /* a group id that is no id, then an unknown group */
    Raison__Post *p = fx_post(x->f, x->ops, "triage", "hi", NULL);
    p->group.len = 5;
    assert_int_equal(check(x, x->bob, post, p, 2000), RSN_ERR_UNKNOWN_GROUP);
    assert_string_equal(x->why, "the entry names no group id");
    uint8_t none[RSN_ID_BYTES];
    memset(none, 0xab, sizeof none);
    assert_int_equal(check(x, x->bob, post, fx_post(x->f, none, "triage", "hi", NULL), 2000),
                     RSN_ERR_UNKNOWN_GROUP);
    assert_string_equal(x->why, "no group abababababab... is known to this node");

    /* a mission the charter does not have: the sentence lists the missions */
    assert_int_equal(check(x, x->bob, post, fx_post(x->f, x->ops, "deploy", "hi", NULL), 2000),
                     RSN_ERR_UNKNOWN_MISSION);
    assert_string_equal(x->why, "group 'ops' has no mission 'deploy' (missions: triage, docs)");

    /* members-only: bob is not a member of sec; alice, its owner, may post */
    assert_int_equal(check(x, x->bob, post, fx_post(x->f, x->sec, "audit", "hi", NULL), 2000),
                     RSN_ERR_NOT_MEMBER);
    assert_string_equal(x->why, "group 'sec' is members-only: an owner must add you (raison "
                                "add), then you join it, before you post");
    assert_int_equal(check(x, x->alice, post, fx_post(x->f, x->sec, "audit", "hi", NULL), 2000), 0);

    /* no text */
    assert_int_equal(check(x, x->bob, post, fx_post(x->f, x->ops, "triage", "", NULL), 2000),
                     RSN_ERR_INVALID_BODY);
    assert_string_equal(x->why, "a post needs text");
}

static void test_replies(void **state)
{
    fixture_t *x = *state;
    const Raison__Kind post = RAISON__KIND__KIND_POST;
    assert_int_equal(check(x, x->bob, post, fx_post(x->f, x->ops, "docs", "ack", x->post), 2000),
                     0);

    /* a reply to a post this node does not hold */
    uint8_t none[RSN_ID_BYTES];
    memset(none, 0x11, sizeof none);
    assert_int_equal(check(x, x->bob, post, fx_post(x->f, x->ops, "docs", "ack", none), 2000),
                     RSN_ERR_UNKNOWN_ENTRY);
    assert_string_equal(x->why, "reply_to 111111111111... is not a post this node shows");

    /* a reply to a charter (an entry, but no post) */
    assert_int_equal(check(x, x->bob, post, fx_post(x->f, x->ops, "docs", "ack", x->sec), 2000),
                     RSN_ERR_UNKNOWN_ENTRY);

    /* reply_to that is no id */
    Raison__Post *p = fx_post(x->f, x->ops, "docs", "ack", x->post);
    p->reply_to.len = 7;
    assert_int_equal(check(x, x->bob, post, p, 2000), RSN_ERR_UNKNOWN_ENTRY);
    assert_string_equal(x->why, "reply_to is not a 32-byte entry id");

    /* a reply in sec to a post of ops */
    assert_int_equal(check(x, x->alice, post, fx_post(x->f, x->sec, "audit", "ack", x->post), 2000),
                     RSN_ERR_INVALID_BODY);
    assert_string_equal(x->why, "a reply must be in the same group as the post it answers");

    /* once alice retracts her post, replies to it are refused */
    fx_put(x->f, x->alice, RAISON__KIND__KIND_RETRACTION, fx_retraction(x->f, x->post, false), 1300,
           NULL);
    assert_int_equal(check(x, x->bob, post, fx_post(x->f, x->ops, "docs", "ack", x->post), 2000),
                     RSN_ERR_UNKNOWN_ENTRY);
}

static void test_memberships(void **state)
{
    fixture_t *x = *state;
    const Raison__Kind kind = RAISON__KIND__KIND_MEMBERSHIP;
    const Raison__Action join = RAISON__ACTION__ACTION_JOIN, add = RAISON__ACTION__ACTION_ADD;
    /* issue 9: a self-join in members-only sec answers no add: refused */
    assert_int_equal(check(x, x->bob, kind, fx_membership(x->f, x->sec, join, NULL, x->sec), 2000),
                     RSN_ERR_NOT_MEMBER);
    assert_string_equal(x->why,
                        "group 'sec' is members-only: an owner must add you (raison add) before "
                        "you join");
    assert_int_equal(check(x, x->bob, kind, fx_membership(x->f, x->ops, join, NULL, x->ops), 2000),
                     0);
    assert_int_equal(
        check(x, x->bob, kind, fx_membership(x->f, x->sec, join, x->alice->pk, x->sec), 2000),
        RSN_ERR_INVALID_BODY);
    assert_string_equal(x->why, "a join is for yourself: use add to add someone else");
    assert_int_equal(check(x, x->bob, kind, fx_membership(x->f, x->sec, join, NULL, x->ops), 2000),
                     RSN_ERR_INVALID_BODY);
    assert_string_equal(x->why, "a join must name a charter version of group 'sec'");
    assert_int_equal(
        check(x, x->bob, kind,
              fx_membership(x->f, x->sec, RAISON__ACTION__ACTION_LEAVE, x->alice->pk, NULL), 2000),
        RSN_ERR_INVALID_BODY);
    assert_string_equal(x->why, "a leave is for yourself: use remove to remove someone else");

    assert_int_equal(
        check(x, x->bob, kind, fx_membership(x->f, x->sec, add, x->bob->pk, NULL), 2000),
        RSN_ERR_NOT_OWNER);
    assert_string_equal(x->why, "only an owner of group 'sec' may add or remove members");
    assert_int_equal(check(x, x->alice, kind, fx_membership(x->f, x->sec, add, NULL, NULL), 2000),
                     RSN_ERR_INVALID_BODY);
    assert_string_equal(x->why, "add and remove name a 32-byte member key");
    assert_int_equal(
        check(x, x->alice, kind, fx_membership(x->f, x->ops, add, x->bob->pk, NULL), 2000),
        RSN_ERR_INVALID_BODY);
    assert_string_equal(x->why,
                        "group 'ops' is open: anyone may post, there is no one to add or remove");
    assert_int_equal(
        check(x, x->alice, kind, fx_membership(x->f, x->sec, add, x->bob->pk, NULL), 2000), 0);
    assert_int_equal(
        check(x, x->bob, kind,
              fx_membership(x->f, x->sec, RAISON__ACTION__ACTION_UNSPECIFIED, NULL, NULL), 2000),
        RSN_ERR_INVALID_BODY);
    assert_string_equal(x->why, "membership action is unspecified");

    /* and an unknown group */
    uint8_t none[RSN_ID_BYTES];
    memset(none, 0x22, sizeof none);
    assert_int_equal(check(x, x->bob, kind, fx_membership(x->f, none, join, NULL, none), 2000),
                     RSN_ERR_UNKNOWN_GROUP);
}

static void test_profiles_and_retractions(void **state)
{
    fixture_t *x = *state;
    assert_int_equal(
        check(x, x->bob, RAISON__KIND__KIND_PROFILE, fx_profile(x->f, "Bob", NULL), 2000), 0);
    assert_int_equal(check(x, x->bob, RAISON__KIND__KIND_PROFILE, fx_profile(x->f, "", NULL), 2000),
                     RSN_ERR_INVALID_BODY);
    assert_string_equal(x->why, "a profile needs a name");

    const Raison__Kind kind = RAISON__KIND__KIND_RETRACTION;
    assert_int_equal(check(x, x->alice, kind, fx_retraction(x->f, x->post, false), 2000), 0);
    assert_int_equal(check(x, x->bob, kind, fx_retraction(x->f, x->post, false), 2000),
                     RSN_ERR_INVALID_BODY);
    assert_string_equal(x->why, "you can only retract your own entries");
    uint8_t none[RSN_ID_BYTES];
    memset(none, 0x33, sizeof none);
    assert_int_equal(check(x, x->alice, kind, fx_retraction(x->f, none, false), 2000),
                     RSN_ERR_UNKNOWN_ENTRY);
    assert_string_equal(x->why, "entry 333333333333... is not held here");
    Raison__Retraction *r = fx_retraction(x->f, x->post, false);
    r->target.len = 31;
    assert_int_equal(check(x, x->alice, kind, r, 2000), RSN_ERR_UNKNOWN_ENTRY);
    assert_string_equal(x->why, "the target is not a 32-byte id");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_entry_itself, setup, teardown),
        cmocka_unit_test_setup_teardown(test_charters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_posts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memberships, setup, teardown),
        cmocka_unit_test_setup_teardown(test_profiles_and_retractions, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
