/* support/daemon_fixture.h — the store fixture in cmocka's words, for the
 * unit tests of the daemon's modules (views, group, report, rules, judge,
 * entry, ingest, retention, audit).
 *
 * A test of what the daemon derives from the log reads best as the entries
 * it stores and the values it expects. This file gives it that on top of
 * support/store_fixture.h (a fresh store with the real write path) and
 * support/entries.h (seeded authors that sign): fx_setup / fx_teardown as
 * cmocka's setup and teardown, fx_put to sign, stage and commit an author's
 * next entry, fx_fork to make it fork, fx_raw_put to write behind the write
 * path's back, and builders for the body of each kind, allocated in the
 * fixture's arena. Unlike the rest of tests/support it asserts (cmocka) on
 * anything that goes wrong while writing, so it is for cmocka tests only. */
#ifndef RSN_TEST_DAEMON_FIXTURE_H
#define RSN_TEST_DAEMON_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"
#include "daemon/ingest.h"
#include "raison.pb-c.h"
#include "support/entries.h"
#include "support/store_fixture.h"

/* The store fixture (dir, store, ingest, arena) and a seeded author (kp, pk,
 * seq, ids[seq]) under the short names the tests use. */
typedef rsn_test_store_t fx_t;
typedef rsn_test_author_t fx_author_t;

/* cmocka setup and teardown: *STATE is a fresh fx_t in /tmp/rsn-daemon-*. */
int fx_setup(void **state);
int fx_teardown(void **state);

/* An author whose seed is 32 bytes of SEED_BYTE (asserts it was made); free
 * it with fx_author_free. */
fx_author_t *fx_author_new(uint8_t seed_byte);
void fx_author_free(fx_author_t *a);

/* Signs A's entry SEQ of KIND over BODY (a protobuf message) at time TS,
 * its prev being A's entry SEQ-1, stages it as from a peer (no semantic rule
 * is checked, so a test can store entries that break them) and commits
 * (asserted). Returns the stage's code; on 0, ID (may be NULL) gets the
 * entry's id. A's feed is not advanced. */
int fx_put_at(fx_t *f, fx_author_t *a, uint64_t seq, Raison__Kind kind, const void *body,
              uint64_t ts, uint8_t id[RSN_ID_BYTES]);

/* Appends an entry of KIND with BODY at time TS to A's feed through the
 * write path; asserts it was accepted as a new entry (not a duplicate) and
 * advances A. ID (may be NULL) gets its id. */
void fx_put(fx_t *f, fx_author_t *a, Raison__Kind kind, const void *body, uint64_t ts,
            uint8_t id[RSN_ID_BYTES]);

/* Signs a second entry of A at SEQ (already held) over BODY at TS: asserts
 * that the write path sees the fork (RSN_ERR_FORK: evidence staged, feed
 * frozen) and commits. ID (may be NULL) gets the second entry's id. */
void fx_fork(fx_t *f, fx_author_t *a, uint64_t seq, Raison__Kind kind, const void *body,
             uint64_t ts, uint8_t id[RSN_ID_BYTES]);

/* Writes KEY = VALUE (VALUE NULL: deletes KEY) straight into the store,
 * synced, behind the write path's back, as a damaged or tampered disk
 * would (asserted). */
void fx_raw_put(fx_t *f, const uint8_t *key, size_t key_len, const void *value, size_t value_len);

/* The log index of entry ID in F's store ('I'); UINT64_MAX when it is not
 * held, so a key built from it names nothing. */
uint64_t fx_index_of(fx_t *f, const uint8_t id[RSN_ID_BYTES]);

/* The 'E' and 'B' keys of entry ID (store/keys.h names entries by their log
 * index: these look it up): the key's length. */
size_t fx_key_entry(fx_t *f, uint8_t *k, const uint8_t id[RSN_ID_BYTES]);
size_t fx_key_body(fx_t *f, uint8_t *k, const uint8_t id[RSN_ID_BYTES]);

/* A complete charter v1: MISSIONS is a comma-separated list of keys, each
 * with the goal "the goal of KEY"; the owners are OWNERS' keys. */
Raison__Charter *fx_charter(fx_t *f, const char *name, Raison__Access access, const char *missions,
                            fx_author_t **owners, size_t n_owners);

/* The same with the N_OWNERS keys OWNER_KEYS as owners and RETENTION_DAYS in
 * its data policy (0: kept for ever). */
Raison__Charter *fx_charter_keys(fx_t *f, const char *name, Raison__Access access,
                                 const char *missions, const uint8_t *const *owner_keys,
                                 size_t n_owners, uint32_t retention_days);

/* Turns C into an amendment of PREV_ID (giving it VERSION) in GROUP. */
Raison__Charter *fx_amend(fx_t *f, Raison__Charter *c, const uint8_t group[RSN_ID_BYTES],
                          const uint8_t prev_id[RSN_ID_BYTES], uint32_t version);

/* A post to GROUP's MISSION; REPLY_TO may be NULL. */
Raison__Post *fx_post(fx_t *f, const uint8_t group[RSN_ID_BYTES], const char *mission,
                      const char *text, const uint8_t *reply_to);

/* A membership event; MEMBER and CHARTER_ID may be NULL. */
Raison__Membership *fx_membership(fx_t *f, const uint8_t group[RSN_ID_BYTES], Raison__Action action,
                                  const uint8_t *member, const uint8_t *charter_id);

/* A profile: display NAME at SITE (NULL: none). */
Raison__Profile *fx_profile(fx_t *f, const char *name, const char *site);

/* A retraction of TARGET, asking to ERASE its body too when set. */
Raison__Retraction *fx_retraction(fx_t *f, const uint8_t target[RSN_ID_BYTES], bool erase);

/* The cast of the read-side tests: a fresh store in /tmp/PREFIX-* and two
 * authors, alice (seed 1) and bob (seed 2). 0, or -1 (for a cmocka setup)
 * when anything fails. */
int fx_cast_new(fx_t **f, const char *prefix, fx_author_t **alice, fx_author_t **bob);
void fx_cast_destroy(fx_t **f, fx_author_t **alice, fx_author_t **bob);

/* Alice's two groups: "ops" (open, missions triage and docs) at time 1000,
 * "sec" (members-only, mission audit) at 1100, and her post POST_TEXT to
 * ops' triage at 1200; their ids into OPS, SEC and POST. */
void fx_ops_and_sec(fx_t *f, fx_author_t *alice, const char *post_text, uint8_t ops[RSN_ID_BYTES],
                    uint8_t sec[RSN_ID_BYTES], uint8_t post[RSN_ID_BYTES]);

#endif
