/* unit_bodies.h — bodies of each kind, and "store this entry", for the unit
 * tests of the daemon's modules (rules, judge, entry, retention, audit).
 *
 * Those tests work on a support/store_fixture.h store with
 * support/entries.h authors; what they add is a body to sign (a complete
 * charter, a post, a membership, a retraction, a profile) and one call that
 * signs, stages, commits and advances the author, asserting each step, so a
 * test reads as the entries it stores and the values it expects. Everything
 * is taken from the fixture's arena. Static, so each test takes only what it
 * uses. */
#ifndef RSN_UNIT_BODIES_H
#define RSN_UNIT_BODIES_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "support/entries.h"
#include "support/store_fixture.h"

/* An id or key copied into the fixture's arena, or empty for NULL. */
static inline ProtobufCBinaryData ub_bin(rsn_test_store_t *f, const uint8_t *data, size_t len)
{
    ProtobufCBinaryData b = {0, NULL};
    if (data != NULL && len > 0) {
        b.data = rsn_arena_memdup(f->arena, data, len);
        b.len = len;
    }
    return b;
}

/* A complete charter v1 named NAME with one mission per key of MISSIONS
 * (comma-separated), ACCESS, the N_OWNERS keys of OWNERS and RETENTION_DAYS
 * (0: kept). */
static inline Raison__Charter *ub_charter(rsn_test_store_t *f, const char *name,
                                          Raison__Access access, const char *missions,
                                          const uint8_t *const *owners, size_t n_owners,
                                          uint32_t retention_days)
{
    Raison__Charter *c = rsn_arena_alloc(f->arena, sizeof *c);
    assert_non_null(c);
    raison__charter__init(c);
    c->version = 1;
    c->name = rsn_arena_strdup(f->arena, name);
    c->purpose = "keep the lights on";
    char *list = rsn_arena_strdup(f->arena, missions);
    c->missions = rsn_arena_alloc(f->arena, 16 * sizeof *c->missions);
    for (char *save = NULL, *k = strtok_r(list, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
        Raison__Mission *m = rsn_arena_alloc(f->arena, sizeof *m);
        raison__mission__init(m);
        m->key = k;
        m->goal = rsn_arena_printf(f->arena, "the goal of %s", k);
        c->missions[c->n_missions++] = m;
    }
    c->benefits = rsn_arena_alloc(f->arena, sizeof *c->benefits);
    c->benefits[0] = "fewer outages";
    c->n_benefits = 1;
    c->data_policy = rsn_arena_alloc(f->arena, sizeof *c->data_policy);
    raison__data_policy__init(c->data_policy);
    c->data_policy->readers = "everyone in the company";
    c->data_policy->use = "coordination only, never evaluation";
    c->data_policy->retention_days = retention_days;
    c->access = access;
    c->owners = rsn_arena_alloc(f->arena, (n_owners + 1) * sizeof *c->owners);
    for (size_t i = 0; i < n_owners; i++) {
        c->owners[c->n_owners++] = ub_bin(f, owners[i], RSN_KEY_BYTES);
    }
    return c;
}

/* Turns C into the amendment VERSION of GROUP superseding PREV. */
static inline Raison__Charter *ub_amend(rsn_test_store_t *f, Raison__Charter *c,
                                        const uint8_t group[RSN_ID_BYTES],
                                        const uint8_t prev[RSN_ID_BYTES], uint32_t version)
{
    c->group = ub_bin(f, group, RSN_ID_BYTES);
    c->supersedes = ub_bin(f, prev, RSN_ID_BYTES);
    c->version = version;
    return c;
}

/* A post to GROUP's MISSION saying TEXT; REPLY_TO may be NULL. */
static inline Raison__Post *ub_post(rsn_test_store_t *f, const uint8_t group[RSN_ID_BYTES],
                                    const char *mission, const char *text, const uint8_t *reply_to)
{
    Raison__Post *p = rsn_arena_alloc(f->arena, sizeof *p);
    assert_non_null(p);
    raison__post__init(p);
    p->group = ub_bin(f, group, RSN_ID_BYTES);
    p->mission = rsn_arena_strdup(f->arena, mission);
    p->text = rsn_arena_strdup(f->arena, text);
    p->reply_to = ub_bin(f, reply_to, RSN_ID_BYTES);
    return p;
}

/* A membership event ACTION in GROUP; MEMBER and CHARTER may be NULL. */
static inline Raison__Membership *ub_membership(rsn_test_store_t *f,
                                                const uint8_t group[RSN_ID_BYTES],
                                                Raison__Action action, const uint8_t *member,
                                                const uint8_t *charter)
{
    Raison__Membership *m = rsn_arena_alloc(f->arena, sizeof *m);
    assert_non_null(m);
    raison__membership__init(m);
    m->group = ub_bin(f, group, RSN_ID_BYTES);
    m->action = action;
    m->member = ub_bin(f, member, RSN_KEY_BYTES);
    m->charter = ub_bin(f, charter, RSN_ID_BYTES);
    return m;
}

/* A retraction of TARGET. */
static inline Raison__Retraction *ub_retraction(rsn_test_store_t *f,
                                                const uint8_t target[RSN_ID_BYTES])
{
    Raison__Retraction *r = rsn_arena_alloc(f->arena, sizeof *r);
    assert_non_null(r);
    raison__retraction__init(r);
    r->target = ub_bin(f, target, RSN_ID_BYTES);
    return r;
}

/* A profile named NAME. */
static inline Raison__Profile *ub_profile(rsn_test_store_t *f, const char *name)
{
    Raison__Profile *p = rsn_arena_alloc(f->arena, sizeof *p);
    assert_non_null(p);
    raison__profile__init(p);
    p->name = rsn_arena_strdup(f->arena, name);
    return p;
}

/* Signs A's next entry of KIND over BODY at TS, stages it through the real
 * write path (as relayed: no semantic rule), commits, advances A; asserts
 * each step. ID (may be NULL) gets the entry's id. */
static inline void ub_put(rsn_test_store_t *f, rsn_test_author_t *a, Raison__Kind kind,
                          const void *body, uint64_t ts, uint8_t id[RSN_ID_BYTES])
{
    rsn_test_signed_t s;
    rsn_ingest_result_t res;
    char why[256] = "";
    assert_int_equal(
        rsn_test_author_sign(f->arena, a, a->seq + 1, kind, (const ProtobufCMessage *)body, ts, &s),
        0);
    assert_int_equal(rsn_test_store_stage(f, &s, &res, why, sizeof why), 0);
    assert_int_equal(rsn_ingest_commit(f->ingest), 0);
    assert_false(res.duplicate);
    assert_int_equal(rsn_test_author_advance(a, res.id), 0);
    if (id != NULL) {
        memcpy(id, res.id, RSN_ID_BYTES);
    }
}

/* Signs a second entry of A at SEQ (already held) over BODY at TS: the write
 * path must see the fork (RSN_ERR_FORK), stage its evidence and freeze the
 * feed; commits. ID (may be NULL) gets the second entry's id. */
static inline void ub_fork(rsn_test_store_t *f, rsn_test_author_t *a, uint64_t seq,
                           Raison__Kind kind, const void *body, uint64_t ts,
                           uint8_t id[RSN_ID_BYTES])
{
    rsn_test_signed_t s;
    rsn_ingest_result_t res;
    char why[256] = "";
    assert_int_equal(
        rsn_test_author_sign(f->arena, a, seq, kind, (const ProtobufCMessage *)body, ts, &s), 0);
    assert_int_equal(rsn_test_store_stage(f, &s, &res, why, sizeof why), RSN_ERR_FORK);
    assert_int_equal(rsn_ingest_commit(f->ingest), 0);
    if (id != NULL) {
        memcpy(id, s.id, RSN_ID_BYTES);
    }
}

/* Writes KEY = VALUE (VALUE NULL: deletes KEY) straight into the store,
 * behind the write path's back, as a damaged or tampered disk would. */
static inline void ub_raw_put(rsn_test_store_t *f, const uint8_t *key, size_t key_len,
                              const void *value, size_t value_len)
{
    rsn_batch_t *b = rsn_batch_new();
    assert_non_null(b);
    if (value == NULL) {
        rsn_batch_delete(b, key, key_len);
    } else {
        rsn_batch_put(b, key, key_len, value, value_len);
    }
    assert_int_equal(rsn_store_write(f->store, b, true), 0);
    rsn_batch_destroy(&b);
}

#endif
