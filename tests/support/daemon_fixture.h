/* daemon_fixture.h — a real store for the daemon's read-side unit tests
 * (group_test, report_test): a fresh folder under /tmp, a store and the real
 * write path (rsn_ingest_stage, not local, then rsn_ingest_commit), authors
 * with deterministic keys, and builders for the bodies of each kind.
 *
 * The fixture asserts (cmocka) on anything that goes wrong while writing, so
 * a test reads as the entries it stores and the values it expects. */
#ifndef RSN_TEST_DAEMON_FIXTURE_H
#define RSN_TEST_DAEMON_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "crypto/crypto.h"
#include "crypto/keypair.h"
#include "daemon/ingest.h"
#include "proto/codec.h"
#include "store/store.h"

typedef struct {
    char dir[64];
    rsn_store_t *store;
    rsn_ingest_t *ingest;
    rsn_arena_t *arena;
} fx_t;

typedef struct {
    rsn_keypair_t *kp;
    uint8_t pk[RSN_KEY_BYTES];
    uint64_t seq;
    uint8_t ids[64][RSN_ID_BYTES]; /* ids[seq] */
} fx_author_t;

/* cmocka setup and teardown: *STATE is an fx_t. */
int fx_setup(void **state);
int fx_teardown(void **state);

/* An author whose key is made from SEED_BYTE; free with fx_author_free. */
fx_author_t *fx_author_new(uint8_t seed_byte);
void fx_author_free(fx_author_t *a);

/* Appends an entry of KIND with BODY at time TS to A's feed through the
 * write path; asserts it was accepted. ID (may be NULL) gets its id. */
void fx_put(fx_t *f, fx_author_t *a, Raison__Kind kind, const void *body, uint64_t ts,
            uint8_t id[RSN_ID_BYTES]);

/* A complete charter v1: MISSIONS is a comma-separated list of keys. */
Raison__Charter *fx_charter(fx_t *f, const char *name, Raison__Access access, const char *missions,
                            fx_author_t **owners, size_t n_owners);

/* Turns C into an amendment of PREV_ID (giving it VERSION) in GROUP. */
Raison__Charter *fx_amend(fx_t *f, Raison__Charter *c, const uint8_t group[RSN_ID_BYTES],
                          const uint8_t prev_id[RSN_ID_BYTES], uint32_t version);

/* A post to GROUP's MISSION; REPLY_TO may be NULL. */
Raison__Post *fx_post(fx_t *f, const uint8_t group[RSN_ID_BYTES], const char *mission,
                      const char *text, const uint8_t *reply_to);

/* A membership event; MEMBER and CHARTER_ID may be NULL. */
Raison__Membership *fx_membership(fx_t *f, const uint8_t group[RSN_ID_BYTES], Raison__Action action,
                                  const uint8_t *member, const uint8_t *charter_id);

Raison__Profile *fx_profile(fx_t *f, const char *name, const char *site);
Raison__Retraction *fx_retraction(fx_t *f, const uint8_t target[RSN_ID_BYTES]);

#endif
