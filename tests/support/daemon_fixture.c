/* support/daemon_fixture.c — cmocka's face of the store fixture: setup and
 * teardown over rsn_test_store_new / _destroy, authors from
 * rsn_test_author_new, entries signed by rsn_test_author_sign and staged by
 * rsn_test_store_stage (or written raw, as tampering would), and the bodies
 * of each kind built in the arena (support/bodies.h, asserted). */
#include "support/daemon_fixture.h"

#include "support/bodies.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store/keys.h"
#include "store/tlog.h"

int fx_setup(void **state)
{
    if (rsn_crypto_init() != 0) {
        return -1;
    }
    fx_t *f = NULL;
    if (rsn_test_store_new(&f, "rsn-daemon") != 0) {
        return -1;
    }
    *state = f;
    return 0;
}

int fx_teardown(void **state)
{
    fx_t *f = *state;
    rsn_test_store_destroy(&f);
    *state = NULL;
    return 0;
}

fx_author_t *fx_author_new(uint8_t seed_byte)
{
    fx_author_t *a = NULL;
    assert_int_equal(rsn_test_author_new(&a, seed_byte), 0);
    return a;
}

void fx_author_free(fx_author_t *a)
{
    rsn_test_author_destroy(&a);
}

/* Signs A's entry SEQ into S, stages it as from a peer and commits (both
 * asserted but the stage); the stage's code, RES on 0. */
static int sign_stage_commit(fx_t *f, fx_author_t *a, uint64_t seq, Raison__Kind kind,
                             const void *body, uint64_t ts, rsn_test_signed_t *s,
                             rsn_ingest_result_t *res)
{
    char why[256] = "";
    assert_int_equal(rsn_test_author_sign(f->arena, a, seq, kind, body, ts, s), 0);
    int rc = rsn_test_store_stage(f, s, res, why, sizeof why);
    assert_int_equal(rsn_ingest_commit(f->ingest), 0);
    return rc;
}

int fx_put_at(fx_t *f, fx_author_t *a, uint64_t seq, Raison__Kind kind, const void *body,
              uint64_t ts, uint8_t id[RSN_ID_BYTES])
{
    rsn_test_signed_t s;
    rsn_ingest_result_t res;
    int rc = sign_stage_commit(f, a, seq, kind, body, ts, &s, &res);
    if (rc == 0 && id != NULL) {
        memcpy(id, res.id, RSN_ID_BYTES);
    }
    return rc;
}

void fx_put(fx_t *f, fx_author_t *a, Raison__Kind kind, const void *body, uint64_t ts,
            uint8_t id[RSN_ID_BYTES])
{
    rsn_test_signed_t s;
    rsn_ingest_result_t res;
    assert_int_equal(sign_stage_commit(f, a, a->seq + 1, kind, body, ts, &s, &res), 0);
    assert_false(res.duplicate);
    assert_int_equal(rsn_test_author_advance(a, res.id), 0);
    if (id != NULL) {
        memcpy(id, res.id, RSN_ID_BYTES);
    }
}

void fx_fork(fx_t *f, fx_author_t *a, uint64_t seq, Raison__Kind kind, const void *body,
             uint64_t ts, uint8_t id[RSN_ID_BYTES])
{
    rsn_test_signed_t s;
    rsn_ingest_result_t res;
    assert_int_equal(sign_stage_commit(f, a, seq, kind, body, ts, &s, &res), RSN_ERR_FORK);
    if (id != NULL) {
        memcpy(id, s.id, RSN_ID_BYTES);
    }
}

void fx_raw_put(fx_t *f, const uint8_t *key, size_t key_len, const void *value, size_t value_len)
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

uint64_t fx_index_of(fx_t *f, const uint8_t id[RSN_ID_BYTES])
{
    uint64_t index = 0;
    return rsn_tlog_leaf_index(f->store, id, &index) == 0 ? index : UINT64_MAX;
}

size_t fx_key_entry(fx_t *f, uint8_t *k, const uint8_t id[RSN_ID_BYTES])
{
    return rsn_key_entry(k, fx_index_of(f, id));
}

size_t fx_key_body(fx_t *f, uint8_t *k, const uint8_t id[RSN_ID_BYTES])
{
    return rsn_key_body(k, fx_index_of(f, id));
}

Raison__Charter *fx_charter_keys(fx_t *f, const char *name, Raison__Access access,
                                 const char *missions, const uint8_t *const *owner_keys,
                                 size_t n_owners, uint32_t retention_days)
{
    Raison__Charter *c = rsn_test_body_charter(f->arena, name, access, missions, owner_keys,
                                               n_owners, retention_days);
    assert_non_null(c);
    return c;
}

Raison__Charter *fx_charter(fx_t *f, const char *name, Raison__Access access, const char *missions,
                            fx_author_t **owners, size_t n_owners)
{
    const uint8_t **keys = rsn_arena_alloc(f->arena, (n_owners + 1) * sizeof *keys);
    assert_non_null(keys);
    for (size_t i = 0; i < n_owners; i++) {
        keys[i] = owners[i]->pk;
    }
    return fx_charter_keys(f, name, access, missions, keys, n_owners, 0);
}

Raison__Charter *fx_amend(fx_t *f, Raison__Charter *c, const uint8_t group[RSN_ID_BYTES],
                          const uint8_t prev_id[RSN_ID_BYTES], uint32_t version)
{
    assert_non_null(rsn_test_body_amend(f->arena, c, group, prev_id, version));
    return c;
}

Raison__Post *fx_post(fx_t *f, const uint8_t group[RSN_ID_BYTES], const char *mission,
                      const char *text, const uint8_t *reply_to)
{
    Raison__Post *p = rsn_test_body_post(f->arena, group, mission, text, reply_to);
    assert_non_null(p);
    return p;
}

Raison__Membership *fx_membership(fx_t *f, const uint8_t group[RSN_ID_BYTES], Raison__Action action,
                                  const uint8_t *member, const uint8_t *charter_id)
{
    Raison__Membership *m = rsn_test_body_membership(f->arena, group, action, member, charter_id);
    assert_non_null(m);
    return m;
}

Raison__Profile *fx_profile(fx_t *f, const char *name, const char *site)
{
    Raison__Profile *p = rsn_test_body_profile(f->arena, name, site);
    assert_non_null(p);
    return p;
}

Raison__Retraction *fx_retraction(fx_t *f, const uint8_t target[RSN_ID_BYTES], bool erase)
{
    Raison__Retraction *r = rsn_test_body_retraction(f->arena, target, erase);
    assert_non_null(r);
    return r;
}

int fx_cast_new(fx_t **f, const char *prefix, fx_author_t **alice, fx_author_t **bob)
{
    if (rsn_crypto_init() != 0 || rsn_test_store_new(f, prefix) != 0 ||
        rsn_test_author_new(alice, 1) != 0 || rsn_test_author_new(bob, 2) != 0) {
        return -1;
    }
    return 0;
}

void fx_cast_destroy(fx_t **f, fx_author_t **alice, fx_author_t **bob)
{
    rsn_test_author_destroy(alice);
    rsn_test_author_destroy(bob);
    rsn_test_store_destroy(f);
}

void fx_ops_and_sec(fx_t *f, fx_author_t *alice, const char *post_text, uint8_t ops[RSN_ID_BYTES],
                    uint8_t sec[RSN_ID_BYTES], uint8_t post[RSN_ID_BYTES])
{
    const uint8_t *owner[1] = {alice->pk};
    fx_put(f, alice, RAISON__KIND__KIND_CHARTER,
           fx_charter_keys(f, "ops", RAISON__ACCESS__ACCESS_OPEN, "triage,docs", owner, 1, 0), 1000,
           ops);
    fx_put(f, alice, RAISON__KIND__KIND_CHARTER,
           fx_charter_keys(f, "sec", RAISON__ACCESS__ACCESS_MEMBERS_ONLY, "audit", owner, 1, 0),
           1100, sec);
    fx_put(f, alice, RAISON__KIND__KIND_POST, fx_post(f, ops, "triage", post_text, NULL), 1200,
           post);
}
