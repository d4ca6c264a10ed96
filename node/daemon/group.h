/* group.h — a group's state, computed from what the store holds: its charter
 * chain (version 1, then the winning amendment of each version, and the
 * disputes between amendments), its membership events, who may post when,
 * and the content rules a charter must meet.
 *
 * Both the semantic rules of a client's publish (rules.h) and the read views
 * are built on this module; it depends on entry.h and membership.h. A state
 * is read from the derived group state (group_state.h, kept as entries
 * arrive): the chain's few charters at load, a member's record by key when a
 * question names the member, so a load and a check cost O(chain + log n),
 * not O(memberships). rsn_group_compute is the same state computed from
 * every charter and membership, as the derived state is built from and
 * compared with. Everything is taken from the caller's arena. */
#ifndef RSN_D_GROUP_H
#define RSN_D_GROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/err.h"
#include "crypto/crypto.h"
#include "daemon/derive.h"
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

/* The state of GROUP as derived (group_state.h): its chain, and its members'
 * records read when asked (G keeps STORE and ARENA). 0 and *OUT (from ARENA);
 * RSN_ERR_UNKNOWN_GROUP when no valid charter v1 is held. */
RSN_NODISCARD int rsn_group_load(rsn_store_t *store, rsn_arena_t *arena,
                                 const uint8_t group[RSN_ID_BYTES], rsn_group_t **out);

/* As rsn_group_load, inside a derive step (its own puts read first). */
RSN_NODISCARD int rsn_group_load_dx(rsn_dx_t *dx, rsn_arena_t *arena,
                                    const uint8_t group[RSN_ID_BYTES], rsn_group_t **out);

/* Computes the state of GROUP from its charters (the canonical chain: what
 * the derived 'g' keeps) and, with EVENTS, from every membership of the
 * group (linear in them: the reference the derived records must equal).
 * Without EVENTS, only the chain's questions may be asked of *OUT. 0;
 * RSN_ERR_UNKNOWN_GROUP. */
RSN_NODISCARD int rsn_group_compute(rsn_store_t *store, rsn_arena_t *arena,
                                    const uint8_t group[RSN_ID_BYTES], bool events,
                                    rsn_group_t **out);

/* True while the group's member records are being recomputed in the
 * background (a charter changed its owners or its chain): the answers are
 * those of the records derived so far. */
bool rsn_group_updating(const rsn_group_t *g);

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

/* True when KEY may post at seq SEQ of its own feed under the current
 * charter (owners always; in an open group everyone; in a members-only group
 * when SEQ falls inside an open span: membership.h). Feed order only, never
 * a claimed time; UINT64_MAX: after everything held. */
bool rsn_group_may_post(const rsn_group_t *g, const uint8_t key[RSN_KEY_BYTES], uint64_t seq);

/* NULL when post P, seq SEQ of AUTHOR's feed, keeps the rules of G judged
 * against the charter version it names (Post.charter): that version is on
 * the chain, has its mission, and lets AUTHOR post at SEQ (an owner of it,
 * open, or inside an open span). A post that names no version (written
 * before Post.charter) is judged against the current version, with a
 * mission of any version; P NULL (an erased body): access only, against the
 * current version. Otherwise the rule it breaks (a sentence, static). */
const char *rsn_group_post_problem(const rsn_group_t *g, const uint8_t author[RSN_KEY_BYTES],
                                   uint64_t seq, const Raison__Post *p);

/* The id of the add a join by MEMBER at seq SEQ of its feed would answer
 * (an add no remove undoes, made when the owner's node held MEMBER's feed
 * below SEQ), owned by G; NULL when there is none. */
const uint8_t *rsn_group_standing_add(const rsn_group_t *g, const uint8_t member[RSN_KEY_BYTES],
                                      uint64_t seq);

/* True when ADD is the id of an add of MEMBER that a join at seq SEQ may
 * answer (no remove undoes it, made below SEQ). */
bool rsn_group_add_stands(const rsn_group_t *g, const uint8_t member[RSN_KEY_BYTES], uint64_t seq,
                          const uint8_t add[RSN_ID_BYTES]);

/* The owner who wrote the latest remove of MEMBER (owned by G), NULL when
 * MEMBER was never removed. */
const uint8_t *rsn_group_removed_by(const rsn_group_t *g, const uint8_t member[RSN_KEY_BYTES]);

/* NULL when membership M by AUTHOR is valid in G (a join or a leave by the
 * member, a join naming a version of the chain; an add or a remove by an
 * owner of the members-only version it names, or of the current one when it
 * names none); otherwise the rule it breaks (a sentence, static). A valid
 * join grants nothing by itself in a members-only group (membership.h). */
const char *rsn_group_membership_problem(const rsn_group_t *g, const uint8_t author[RSN_KEY_BYTES],
                                         const Raison__Membership *m);

/* One member of a group now. */
typedef struct {
    uint8_t key[RSN_KEY_BYTES];
    bool owner;             /* an owner of the current charter */
    bool in;                /* (always true in rsn_group_members' list) */
    const uint8_t *charter; /* the version acknowledged by the join that let it in, or NULL */
} rsn_member_t;

/* The members now: the owners of the current charter, then, in a
 * members-only group, everyone whose span is open after everything held
 * (membership.h), in an open group everyone whose latest join or leave is a
 * join, each once (O(members): views page with rsn_group_members_page). 0
 * and *OUT (from ARENA), *N of them; RSN_ERR_NOMEM. */
RSN_NODISCARD int rsn_group_members(const rsn_group_t *g, rsn_arena_t *arena, rsn_member_t **out,
                                    size_t *n);

/* How many members rsn_group_members lists, from the derived counters
 * (O(1)). */
size_t rsn_group_member_count(const rsn_group_t *g);

/* A page of the members, at most LIMIT of them: the owners of the current
 * charter first, then the others in key order (O(LIMIT + log n)). CURSOR/LEN
 * (empty: the first page) is a NEXT an earlier page gave; *NEXT_LEN is 0 on
 * the last page. A computed state (rsn_group_compute) lists everyone at
 * once. 0; RSN_ERR_BAD_REQUEST (a cursor not given by this function);
 * RSN_ERR_NOMEM; RSN_ERR_IO. */
#define RSN_GROUP_CURSOR_OWNER 5 /* 0, owner index(4) */
#define RSN_GROUP_CURSOR_MAX 33  /* 1, the last member key(32) */
RSN_NODISCARD int rsn_group_members_page(const rsn_group_t *g, rsn_arena_t *arena,
                                         const uint8_t *cursor, size_t cursor_len, size_t limit,
                                         rsn_member_t **out, size_t *n,
                                         uint8_t next[RSN_GROUP_CURSOR_MAX], size_t *next_len);

/* Resolves REF (a group id in hex, a unique hex prefix of one, or a group's
 * exact current name) to a group id. 0; RSN_ERR_UNKNOWN_GROUP;
 * RSN_ERR_AMBIGUOUS (WHY lists the candidates). */
RSN_NODISCARD int rsn_group_resolve(rsn_store_t *store, rsn_arena_t *arena, const char *ref,
                                    uint8_t group[RSN_ID_BYTES], char *why, size_t why_size);

#endif
