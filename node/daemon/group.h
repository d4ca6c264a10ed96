/* group.h — a group's state, computed from what the store holds: its charter
 * chain (version 1, then the winning amendment of each version, and the
 * disputes between amendments), its membership events, who may post when,
 * and the content rules a charter must meet.
 *
 * Both the semantic rules of a client's publish (rules.h) and the read views
 * are built on this module; it depends only on entry.h. Nothing is cached: a
 * state is computed per call, linear in the group's charters and memberships,
 * and taken from the caller's arena. */
#ifndef RSN_D_GROUP_H
#define RSN_D_GROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/err.h"
#include "crypto/crypto.h"
#include "daemon/entry.h"
#include "proto/codec.h"
#include "store/store.h"

typedef struct rsn_group rsn_group_t;

/* 0 when charter C, written by AUTHOR, meets the content rules (name,
 * purpose, missions with valid unique keys and goals, benefits, a data
 * policy, an access mode, 32-byte owners among whom the author);
 * RSN_ERR_INVALID_CHARTER with the reason in WHY (may be NULL) otherwise. */
RSN_NODISCARD int rsn_charter_problem(const Raison__Charter *c, const uint8_t author[RSN_KEY_BYTES],
                                      char *why, size_t why_size);

/* Computes the state of GROUP from its charters and memberships. 0 and *OUT
 * (from ARENA); RSN_ERR_UNKNOWN_GROUP when no valid charter v1 is held. */
RSN_NODISCARD int rsn_group_load(rsn_store_t *store, rsn_arena_t *arena,
                                 const uint8_t group[RSN_ID_BYTES], rsn_group_t **out);

/* As rsn_group_load, for scans of the groups: an unknown group is no error
 * but 0 with *OUT NULL. */
RSN_NODISCARD int rsn_group_try_load(rsn_store_t *store, rsn_arena_t *arena,
                                     const uint8_t group[RSN_ID_BYTES], rsn_group_t **out);

/* The group's id (its charter v1's id), owned by G. */
const uint8_t *rsn_group_id(const rsn_group_t *g);

/* The current charter and its entry id (ID may be NULL). */
const Raison__Charter *rsn_group_charter(const rsn_group_t *g, uint8_t id[RSN_ID_BYTES]);

/* The versions on the canonical chain (at least 1), and version I of them
 * (0 = version 1, the last = the current one): the charter entry, its body a
 * Raison__Charter. */
size_t rsn_group_versions(const rsn_group_t *g);
const rsn_loaded_t *rsn_group_version(const rsn_group_t *g, size_t i);

/* The amendments that competed for one version of the chain (the winners
 * included), and the id of the I-th of them: none when the group is not
 * disputed. */
size_t rsn_group_disputes(const rsn_group_t *g);
const uint8_t *rsn_group_dispute(const rsn_group_t *g, size_t i);

/* True when ID is one of the group's charter versions on the canonical chain. */
bool rsn_group_has_version(const rsn_group_t *g, const uint8_t id[RSN_ID_BYTES]);

/* True when the current charter has mission KEY. */
bool rsn_group_has_mission(const rsn_group_t *g, const char *key);

/* True when any version of the chain had mission KEY (retired ones too). */
bool rsn_group_had_mission(const rsn_group_t *g, const char *key);

/* True when KEY is an owner of the current charter. */
bool rsn_group_is_owner(const rsn_group_t *g, const uint8_t key[RSN_KEY_BYTES]);

/* True when KEY may post at time AT_MS (owners always; in open groups
 * everyone; in members-only groups members by join/add not yet undone by
 * leave/remove at that time). UINT64_MAX: now. */
bool rsn_group_may_post(const rsn_group_t *g, const uint8_t key[RSN_KEY_BYTES], uint64_t at_ms);

/* NULL when membership M by AUTHOR is valid in G; otherwise the rule it
 * breaks (a sentence, static). */
const char *rsn_group_membership_problem(const rsn_group_t *g, const uint8_t author[RSN_KEY_BYTES],
                                         const Raison__Membership *m);

/* One member of a group now. */
typedef struct {
    uint8_t key[RSN_KEY_BYTES];
    bool owner;             /* an owner of the current charter */
    bool in;                /* (always true in rsn_group_members' list) */
    const uint8_t *charter; /* the charter version its last join acknowledged, or NULL */
} rsn_member_t;

/* The members now: the owners of the current charter, then everyone whose
 * last membership event is a join or an add, each once. 0 and *OUT (from
 * ARENA), *N of them; RSN_ERR_NOMEM. */
RSN_NODISCARD int rsn_group_members(const rsn_group_t *g, rsn_arena_t *arena, rsn_member_t **out,
                                    size_t *n);

/* Resolves REF (a group id in hex, a unique hex prefix of one, or a group's
 * exact current name) to a group id. 0; RSN_ERR_UNKNOWN_GROUP;
 * RSN_ERR_AMBIGUOUS (WHY lists the candidates). */
RSN_NODISCARD int rsn_group_resolve(rsn_store_t *store, rsn_arena_t *arena, const char *ref,
                                    uint8_t group[RSN_ID_BYTES], char *why, size_t why_size);

#endif
