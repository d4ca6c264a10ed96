/* group_state_test.c — the derived group state (daemon/group_state.h) on
 * real ingest: random membership histories (adds, removes, joins answering
 * an add or none, leaves, posts that move the feeds, an amendment that
 * changes the owners or the access, a retraction) are written once in feed
 * order, then delivered to fresh stores in random orders; in every store,
 * once the background work is done, the derived records answer what the
 * full computation (rsn_group_compute over every membership, today's
 * algorithm) answers, and the store's derived state is byte for byte what a
 * rebuild (rsn_derive_reset, then deriving the log again) makes. Then: a
 * charter amendment that changes the owners of a large group recomputes its
 * members in the background behind the group's flag; a fork and a
 * retraction of memberships. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/derive.h"
#include "daemon/group.h"
#include "daemon/group_state.h"
#include "store/keys.h"
#include "support/daemon_fixture.h"

#define CLOSED RAISON__ACCESS__ACCESS_MEMBERS_ONLY
#define OPEN RAISON__ACCESS__ACCESS_OPEN
#define MK RAISON__KIND__KIND_MEMBERSHIP
#define MAX_ENTRIES 64
#define AUTHORS 6
#define HISTORIES 12
#define ORDERS 6

typedef struct {
    rsn_test_signed_t se[MAX_ENTRIES];
    size_t n;
    uint8_t gid[RSN_ID_BYTES];
    uint8_t adds[MAX_ENTRIES][RSN_ID_BYTES];
    size_t n_adds;
    uint8_t ids[MAX_ENTRIES][RSN_ID_BYTES];
} history_t;

/* Signs A's next entry into H and stores it in F (feed order). */
static void put(fx_t *f, history_t *h, fx_author_t *a, Raison__Kind kind, const void *body,
                uint8_t id[RSN_ID_BYTES])
{
    rsn_test_signed_t *se = &h->se[h->n];
    rsn_ingest_result_t res;
    char why[256] = "";
    assert_true(h->n < MAX_ENTRIES);
    assert_int_equal(rsn_test_author_sign(f->arena, a, a->seq + 1, kind, body, 1000 + h->n, se), 0);
    assert_int_equal(rsn_test_store_stage(f, se, &res, why, sizeof why), 0);
    assert_int_equal(rsn_ingest_commit(f->ingest), 0);
    assert_int_equal(rsn_test_author_advance(a, se->id), 0);
    memcpy(h->ids[h->n++], se->id, RSN_ID_BYTES);
    if (id) {
        memcpy(id, se->id, RSN_ID_BYTES);
    }
}

/* A random history over WHO (0 and 1 own the group) from SEED. */
static void write_history(fx_t *f, history_t *h, fx_author_t **who, unsigned seed)
{
    srand(seed);
    Raison__Access access = rand() % 4 == 0 ? OPEN : CLOSED;
    put(f, h, who[0], RAISON__KIND__KIND_CHARTER, fx_charter(f, "g", access, "m", who, 2), h->gid);
    bool amended = false;
    size_t steps = 24 + (size_t)rand() % 16;
    for (size_t i = 0; i < steps; i++) {
        fx_author_t *owner = who[rand() % 2], *m = who[1 + rand() % (AUTHORS - 1)];
        Raison__Membership *mb = NULL;
        int op = rand() % 10;
        if (op <= 2) {
            bool add = op <= 1;
            mb = fx_membership(f, h->gid,
                               add ? RAISON__ACTION__ACTION_ADD : RAISON__ACTION__ACTION_REMOVE,
                               m->pk, rand() % 3 ? h->gid : NULL);
            mb->member_seq = m->seq + (uint64_t)(rand() % 3) - (m->seq > 0 ? 1 : 0);
            put(f, h, owner, MK, mb, add ? h->adds[h->n_adds++] : NULL);
        } else if (op <= 4) {
            mb = fx_membership(f, h->gid, RAISON__ACTION__ACTION_JOIN, NULL, h->gid);
            if (h->n_adds && rand() % 4) {
                mb->answers.data = h->adds[(size_t)rand() % h->n_adds];
                mb->answers.len = RSN_ID_BYTES;
            }
            put(f, h, m, MK, mb, NULL);
        } else if (op == 5) {
            put(f, h, m, MK, fx_membership(f, h->gid, RAISON__ACTION__ACTION_LEAVE, NULL, NULL),
                NULL);
        } else if (op == 6 && !amended && i > steps / 2) {
            /* v2: carol no more an owner, maybe the other access */
            Raison__Access a2 = rand() % 2 ? access : (access == OPEN ? CLOSED : OPEN);
            put(f, h, who[0], RAISON__KIND__KIND_CHARTER,
                fx_amend(f, fx_charter(f, "g2", a2, "m", who, 1), h->gid, h->gid, 2), NULL);
            amended = true;
        } else if (op == 7 && h->n > 2) {
            /* a retraction of one of the author's own entries, maybe a membership */
            size_t t = 1 + (size_t)rand() % (h->n - 1);
            for (size_t a = 0; a < AUTHORS; a++) {
                if (memcmp(h->se[t].author, who[a]->pk, RSN_KEY_BYTES) == 0) {
                    put(f, h, who[a], RAISON__KIND__KIND_RETRACTION,
                        fx_retraction(f, h->ids[t], false), NULL);
                    break;
                }
            }
        } else {
            put(f, h, m, RAISON__KIND__KIND_POST, fx_post(f, h->gid, "m", "x", NULL), NULL);
        }
    }
}

/* Runs the derived state's background work until none is left. */
static void settle(rsn_ingest_t *ingest)
{
    bool more = true;
    for (size_t turns = 0; more; turns++) {
        assert_true(turns < 100000);
        assert_int_equal(rsn_ingest_derive(ingest, 1024, &more), 0);
    }
    assert_false(rsn_ingest_derive_behind(ingest));
}

static bool same_ptr_bytes(const uint8_t *a, const uint8_t *b, size_t n)
{
    return (!a && !b) || (a && b && memcmp(a, b, n) == 0);
}

static int by_key(const void *a, const void *b)
{
    return memcmp(((const rsn_member_t *)a)->key, ((const rsn_member_t *)b)->key, RSN_KEY_BYTES);
}

/* The derived answers of STORE about the group of H equal the full
 * computation's, for WHO at every seq of their feeds. */
static void assert_as_computed(rsn_store_t *store, rsn_arena_t *arena, const history_t *h,
                               fx_author_t **who)
{
    rsn_group_t *d = NULL, *c = NULL;
    int rc = rsn_group_compute(store, arena, h->gid, true, &c);
    assert_int_equal(rsn_group_load(store, arena, h->gid, &d), rc);
    if (rc) {
        return;
    }
    assert_false(rsn_group_updating(d));
    assert_int_equal(rsn_group_versions(d), rsn_group_versions(c));
    for (size_t a = 0; a < AUTHORS; a++) {
        const uint8_t *k = who[a]->pk;
        for (uint64_t seq = 0; seq <= who[a]->seq + 2; seq++) {
            uint64_t s = seq == who[a]->seq + 2 ? UINT64_MAX : seq;
            assert_int_equal(rsn_group_may_post(d, k, s), rsn_group_may_post(c, k, s));
            assert_true(same_ptr_bytes(rsn_group_standing_add(d, k, s),
                                       rsn_group_standing_add(c, k, s), RSN_ID_BYTES));
            for (size_t i = 0; i < h->n_adds; i++) {
                assert_int_equal(rsn_group_add_stands(d, k, s, h->adds[i]),
                                 rsn_group_add_stands(c, k, s, h->adds[i]));
            }
        }
        assert_true(
            same_ptr_bytes(rsn_group_removed_by(d, k), rsn_group_removed_by(c, k), RSN_KEY_BYTES));
    }
    rsn_member_t *md = NULL, *mc = NULL;
    size_t nd = 0, nc = 0;
    assert_int_equal(rsn_group_members(d, arena, &md, &nd), 0);
    assert_int_equal(rsn_group_members(c, arena, &mc, &nc), 0);
    assert_int_equal(nd, nc);
    assert_int_equal(rsn_group_member_count(d), nc);
    qsort(md, nd, sizeof *md, by_key);
    qsort(mc, nc, sizeof *mc, by_key);
    for (size_t i = 0; i < nd; i++) {
        assert_memory_equal(md[i].key, mc[i].key, RSN_KEY_BYTES);
        assert_int_equal(md[i].owner, mc[i].owner);
        assert_true(same_ptr_bytes(md[i].charter, mc[i].charter, RSN_ID_BYTES));
    }
}

/* Every key and value of the group state's tags, concatenated. */
static size_t snapshot(rsn_store_t *store, uint8_t **out)
{
    size_t n = 0, cap = 1 << 16;
    uint8_t *buf = malloc(cap);
    assert_non_null(buf);
    for (const char *t = rsn_groupstate_deriver.tags; *t; t++) {
        uint8_t p[1] = {(uint8_t)*t};
        rsn_iter_t *it = rsn_iter_new(store, p, 1);
        assert_non_null(it);
        for (rsn_iter_first(it); rsn_iter_valid(it); rsn_iter_next(it)) {
            size_t kl = 0, vl = 0;
            const uint8_t *k = rsn_iter_key(it, &kl), *v = rsn_iter_value(it, &vl);
            while (n + kl + vl + 16 > cap) {
                cap *= 2;
                buf = realloc(buf, cap);
                assert_non_null(buf);
            }
            memcpy(buf + n, k, kl);
            n += kl;
            memcpy(buf + n, &vl, sizeof vl);
            n += sizeof vl;
            memcpy(buf + n, v, vl);
            n += vl;
        }
        rsn_iter_destroy(&it);
    }
    *out = buf;
    return n;
}

/* The derived state of T equals what a rebuild of T's log makes. */
static void assert_rebuild_equal(rsn_test_store_t *t)
{
    uint8_t *before = NULL, *after = NULL;
    size_t nb = snapshot(t->store, &before);
    rsn_ingest_destroy(&t->ingest);
    assert_int_equal(rsn_derive_reset(t->store), 0);
    assert_int_equal(rsn_ingest_new(&t->ingest, t->store), 0);
    settle(t->ingest);
    size_t na = snapshot(t->store, &after);
    assert_int_equal(na, nb);
    assert_memory_equal(after, before, na);
    free(before);
    free(after);
}

/* H's entries into a fresh store in a random order from SEED (each feed in
 * its order, the rest retried in later passes, as gossip does). */
static rsn_test_store_t *deliver(const history_t *h, unsigned seed)
{
    rsn_test_store_t *t = NULL;
    size_t order[MAX_ENTRIES];
    bool taken[MAX_ENTRIES] = {false};
    size_t left = h->n;
    assert_int_equal(rsn_test_store_new(&t, "rsn-gs"), 0);
    srand(seed);
    for (size_t i = 0; i < h->n; i++) {
        order[i] = i;
    }
    for (size_t passes = 0; left > 0; passes++) {
        assert_true(passes <= h->n);
        for (size_t i = h->n; i > 1; i--) {
            size_t j = (size_t)rand() % i, tmp = order[i - 1];
            order[i - 1] = order[j];
            order[j] = tmp;
        }
        for (size_t k = 0; k < h->n; k++) {
            size_t i = order[k];
            rsn_ingest_result_t res;
            char why[256] = "";
            if (!taken[i] && rsn_test_store_stage(t, &h->se[i], &res, why, sizeof why) == 0) {
                taken[i] = true;
                left--;
            }
            if (rand() % 2) {
                assert_int_equal(rsn_ingest_commit(t->ingest), 0);
            }
        }
        assert_int_equal(rsn_ingest_commit(t->ingest), 0);
    }
    return t;
}

static void test_random_histories_any_order(void **state)
{
    (void)state;
    for (unsigned hs = 1; hs <= HISTORIES; hs++) {
        fx_t *f = NULL;
        assert_int_equal(rsn_test_store_new(&f, "rsn-gs"), 0);
        fx_author_t *who[AUTHORS];
        for (uint8_t i = 0; i < AUTHORS; i++) {
            who[i] = fx_author_new((uint8_t)(i + 1));
        }
        history_t *h = calloc(1, sizeof *h);
        assert_non_null(h);
        /* a small inline bound half the time: the background path too */
        rsn_gs_set_inline_max(hs % 2 ? 256 : 1);
        write_history(f, h, who, hs * 7919);
        settle(f->ingest);
        assert_as_computed(f->store, f->arena, h, who);
        assert_rebuild_equal(f);
        assert_as_computed(f->store, f->arena, h, who);
        for (unsigned o = 1; o <= ORDERS; o++) {
            rsn_test_store_t *t = deliver(h, hs * 100 + o);
            settle(t->ingest);
            assert_as_computed(t->store, t->arena, h, who);
            assert_rebuild_equal(t);
            rsn_test_store_destroy(&t);
        }
        for (size_t i = 0; i < AUTHORS; i++) {
            fx_author_free(who[i]);
        }
        free(h);
        rsn_test_store_destroy(&f);
    }
    rsn_gs_set_inline_max(256);
}

/* An amendment dropping an owner of a group larger than the inline bound:
 * the members are recomputed in the background, the flag set meanwhile. */
static void test_amendment_in_background(void **state)
{
    fx_t *f = *state;
    enum { MEMBERS = 40 };
    rsn_gs_set_inline_max(8);
    fx_author_t *alice = fx_author_new(1), *carol = fx_author_new(2);
    fx_author_t *owners[2] = {alice, carol};
    uint8_t gid[RSN_ID_BYTES];
    fx_put(f, alice, RAISON__KIND__KIND_CHARTER, fx_charter(f, "big", OPEN, "m", owners, 2), 10,
           gid);
    fx_put(f, carol, MK, fx_membership(f, gid, RAISON__ACTION__ACTION_JOIN, NULL, gid), 11, NULL);
    for (uint8_t i = 0; i < MEMBERS; i++) {
        fx_author_t *m = fx_author_new((uint8_t)(10 + i));
        fx_put(f, m, MK, fx_membership(f, gid, RAISON__ACTION__ACTION_JOIN, NULL, gid), 20 + i,
               NULL);
        fx_author_free(m);
    }
    rsn_group_t *g = NULL;
    assert_int_equal(rsn_group_load(f->store, f->arena, gid, &g), 0);
    assert_int_equal(rsn_group_member_count(g), MEMBERS + 2);
    assert_false(rsn_group_updating(g));

    /* v2: alice alone owns the group; carol, who joined, stays a member */
    fx_put(f, alice, RAISON__KIND__KIND_CHARTER,
           fx_amend(f, fx_charter(f, "big", OPEN, "m", &alice, 1), gid, gid, 2), 100, NULL);
    assert_int_equal(rsn_group_load(f->store, f->arena, gid, &g), 0);
    assert_true(rsn_group_updating(g));
    assert_int_equal(rsn_group_versions(g), 2);
    bool more = true;
    size_t turns = 0;
    while (more) {
        assert_int_equal(rsn_ingest_derive(f->ingest, 4, &more), 0);
        turns++;
    }
    assert_true(turns > 2); /* a budget at a time */
    assert_int_equal(rsn_group_load(f->store, f->arena, gid, &g), 0);
    assert_false(rsn_group_updating(g));
    assert_int_equal(rsn_group_member_count(g), MEMBERS + 2);
    rsn_group_t *c = NULL;
    assert_int_equal(rsn_group_compute(f->store, f->arena, gid, true, &c), 0);
    rsn_member_t *m = NULL;
    size_t n = 0;
    assert_int_equal(rsn_group_members(c, f->arena, &m, &n), 0);
    assert_int_equal(n, MEMBERS + 2);
    rsn_gs_set_inline_max(256);
    fx_author_free(alice);
    fx_author_free(carol);
}

/* A retraction of a join and a fork of a member's feed recompute the record. */
static void test_retraction_and_fork(void **state)
{
    fx_t *f = *state;
    fx_author_t *alice = fx_author_new(1), *bob = fx_author_new(2), *dave = fx_author_new(3);
    uint8_t gid[RSN_ID_BYTES], add[RSN_ID_BYTES], join_id[RSN_ID_BYTES];
    fx_put(f, alice, RAISON__KIND__KIND_CHARTER, fx_charter(f, "sec", CLOSED, "m", &alice, 1), 10,
           gid);
    Raison__Membership *a = fx_membership(f, gid, RAISON__ACTION__ACTION_ADD, bob->pk, gid);
    fx_put(f, alice, MK, a, 11, add);
    Raison__Membership *j = fx_membership(f, gid, RAISON__ACTION__ACTION_JOIN, NULL, gid);
    j->answers.data = add;
    j->answers.len = RSN_ID_BYTES;
    fx_put(f, bob, MK, j, 12, join_id);
    rsn_group_t *g = NULL;
    assert_int_equal(rsn_group_load(f->store, f->arena, gid, &g), 0);
    assert_true(rsn_group_may_post(g, bob->pk, 2));
    assert_int_equal(rsn_group_member_count(g), 2);

    fx_put(f, bob, RAISON__KIND__KIND_RETRACTION, fx_retraction(f, join_id, false), 13, NULL);
    assert_int_equal(rsn_group_load(f->store, f->arena, gid, &g), 0);
    assert_false(rsn_group_may_post(g, bob->pk, 3));
    assert_int_equal(rsn_group_member_count(g), 1);

    /* dave added and joined; his feed forks at his join: hidden, out */
    a = fx_membership(f, gid, RAISON__ACTION__ACTION_ADD, dave->pk, gid);
    fx_put(f, alice, MK, a, 20, add);
    j = fx_membership(f, gid, RAISON__ACTION__ACTION_JOIN, NULL, gid);
    j->answers.data = add;
    j->answers.len = RSN_ID_BYTES;
    fx_put(f, dave, MK, j, 21, NULL);
    assert_int_equal(rsn_group_load(f->store, f->arena, gid, &g), 0);
    assert_true(rsn_group_may_post(g, dave->pk, 2));
    fx_fork(f, dave, 1, RAISON__KIND__KIND_POST, fx_post(f, gid, "m", "other", NULL), 22, NULL);
    assert_int_equal(rsn_group_load(f->store, f->arena, gid, &g), 0);
    assert_false(rsn_group_may_post(g, dave->pk, 2));
    assert_int_equal(rsn_group_member_count(g), 1);
    fx_author_free(alice);
    fx_author_free(bob);
    fx_author_free(dave);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_random_histories_any_order, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_amendment_in_background, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_retraction_and_fork, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
