/* support/bodies.h — the body of each kind of entry, built in an arena.
 *
 * Tests, tools and benchmarks that write entries need complete bodies the
 * node takes: a charter with every field the rules ask for, an amendment of
 * one, a post, a membership event, a profile, a retraction. They are built
 * here once, in the caller's arena, and nothing asserts: a builder returns
 * NULL when the arena is out of memory. daemon_fixture.h's fx_* builders are
 * these with cmocka's asserts; bench_scale builds its million entries with
 * them. Every byte string is copied into the arena. */
#ifndef RSN_TEST_BODIES_H
#define RSN_TEST_BODIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "crypto/crypto.h"
#include "raison.pb-c.h"

/* Most missions rsn_test_body_charter puts in one charter. */
#define RSN_TEST_BODY_MISSIONS_MAX 16

/* A complete charter v1 named NAME: MISSIONS is a comma-separated list of
 * keys (at most RSN_TEST_BODY_MISSIONS_MAX), each with the goal "the goal of
 * KEY"; the owners are the N_OWNERS keys OWNER_KEYS; RETENTION_DAYS in its
 * data policy (0: kept for ever). */
Raison__Charter *rsn_test_body_charter(rsn_arena_t *arena, const char *name, Raison__Access access,
                                       const char *missions, const uint8_t *const *owner_keys,
                                       size_t n_owners, uint32_t retention_days);

/* Turns C into an amendment of PREV_ID (giving it VERSION) in GROUP; C, or
 * NULL when out of memory. */
Raison__Charter *rsn_test_body_amend(rsn_arena_t *arena, Raison__Charter *c,
                                     const uint8_t group[RSN_ID_BYTES],
                                     const uint8_t prev_id[RSN_ID_BYTES], uint32_t version);

/* A post to GROUP's MISSION; REPLY_TO may be NULL. */
Raison__Post *rsn_test_body_post(rsn_arena_t *arena, const uint8_t group[RSN_ID_BYTES],
                                 const char *mission, const char *text, const uint8_t *reply_to);

/* A membership event; MEMBER and CHARTER_ID may be NULL. */
Raison__Membership *rsn_test_body_membership(rsn_arena_t *arena, const uint8_t group[RSN_ID_BYTES],
                                             Raison__Action action, const uint8_t *member,
                                             const uint8_t *charter_id);

/* A profile: display NAME at SITE (NULL: none). */
Raison__Profile *rsn_test_body_profile(rsn_arena_t *arena, const char *name, const char *site);

/* A retraction of TARGET, asking to ERASE its body too when set. */
Raison__Retraction *rsn_test_body_retraction(rsn_arena_t *arena, const uint8_t target[RSN_ID_BYTES],
                                             bool erase);

#endif
