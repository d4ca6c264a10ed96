/* d_views.h — what raisond shows: reading entries, group state, the semantic
 * rules, and the reply messages of the read calls of the API.
 *
 * Views never refuse replication: they read what the store holds (see
 * store/keys.h) and apply the semantic rules of DESIGN.md at read time, so an
 * entry that arrived before what it depends on shows as soon as that arrives.
 * The same rules check a client's own publish up front (rsn_rules_check).
 *
 * Everything a function here builds (decoded entries, reply trees) is taken
 * from the caller's arena; nothing needs freeing but the arena. */
#ifndef RSN_D_VIEWS_H
#define RSN_D_VIEWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/err.h"
#include "proto/codec.h"
#include "store/store.h"

/* One stored entry, decoded. */
typedef struct {
    uint8_t id[32];
    Raison__SignedEntry *signed_entry; /* entry + signature (+ body unless erased) */
    Raison__Entry *entry;              /* the decoded header */
    void *body;      /* decoded body (Raison__Post*, ...); NULL when erased or undecodable */
    bool erased;     /* body no longer held */
} rsn_loaded_t;

/* Loads entry ID as stored: the exact header and signature, and the body
 * when held (else body.data is NULL), into *OUT from ARENA; nothing decoded.
 * 0, RSN_ERR_NOT_FOUND, RSN_ERR_IO or RSN_ERR_NOMEM. */
RSN_NODISCARD int rsn_signed_load(rsn_store_t *store, rsn_arena_t *arena, const uint8_t id[32],
                                  Raison__SignedEntry **out);

/* Loads entry ID (header, and body when held). 0 and *OUT (from ARENA);
 * RSN_ERR_NOT_FOUND; RSN_ERR_IO. */
RSN_NODISCARD int rsn_entry_load(rsn_store_t *store, rsn_arena_t *arena,
                                 const uint8_t id[32], rsn_loaded_t **out);

/* The group an entry belongs to: a charter v1's own id, or the `group` field
 * of a charter vN, membership or post. 0 and GROUP, or RSN_ERR_NOT_FOUND for
 * kinds that name no group (profiles, retractions) or no body. */
RSN_NODISCARD int rsn_entry_group(const rsn_loaded_t *e, uint8_t group[32]);

/* True when the feed of AUTHOR is frozen at or below SEQ (a fork). */
bool rsn_feed_hidden(rsn_store_t *store, const uint8_t author[32], uint64_t seq);

/* True when ID was withdrawn by a retraction of its own author. */
bool rsn_entry_retracted(rsn_store_t *store, rsn_arena_t *arena, const uint8_t id[32],
                         const uint8_t author[32]);

/* --- group state ------------------------------------------------------- */

typedef struct rsn_group rsn_group_t;

/* Computes the state of GROUP from its charters and memberships. 0 and *OUT
 * (from ARENA); RSN_ERR_UNKNOWN_GROUP when no valid charter v1 is held. */
RSN_NODISCARD int rsn_group_load(rsn_store_t *store, rsn_arena_t *arena,
                                 const uint8_t group[32], rsn_group_t **out);

/* The current charter and its entry id (ID may be NULL). */
const Raison__Charter *rsn_group_charter(const rsn_group_t *g, uint8_t id[32]);

/* True when ID is one of the group's charter versions on the canonical chain. */
bool rsn_group_has_version(const rsn_group_t *g, const uint8_t id[32]);

/* True when the current charter has mission KEY. */
bool rsn_group_has_mission(const rsn_group_t *g, const char *key);

/* True when KEY is an owner of the current charter. */
bool rsn_group_is_owner(const rsn_group_t *g, const uint8_t key[32]);

/* True when KEY may post at time AT_MS (owners always; in open groups
 * everyone; in members-only groups members by join/add not yet undone by
 * leave/remove at that time). UINT64_MAX: now. */
bool rsn_group_may_post(const rsn_group_t *g, const uint8_t key[32], uint64_t at_ms);

/* Resolves REF (a group id in hex, a unique hex prefix of one, or a group's
 * exact current name) to a group id. 0; RSN_ERR_UNKNOWN_GROUP;
 * RSN_ERR_AMBIGUOUS (WHY lists the candidates). */
RSN_NODISCARD int rsn_group_resolve(rsn_store_t *store, rsn_arena_t *arena, const char *ref,
                                    uint8_t group[32], char *why, size_t why_size);

/* --- the semantic rules, for a client's own publish ---------------------- */

/* Checks the entry E (header decoded, BODY its decoded body, ID its id)
 * against the semantic rules given what STORE holds: charter content,
 * amendments by owners only, posts to a known group and mission of its
 * current charter, members-only posting, replies and retractions naming held
 * entries. 0 when it may be stored; otherwise RSN_ERR_INVALID_CHARTER,
 * RSN_ERR_UNKNOWN_GROUP, RSN_ERR_UNKNOWN_MISSION, RSN_ERR_NOT_OWNER,
 * RSN_ERR_NOT_MEMBER, RSN_ERR_UNKNOWN_ENTRY or RSN_ERR_INVALID_BODY, with a
 * sentence for people in WHY. */
RSN_NODISCARD int rsn_rules_check(rsn_store_t *store, rsn_arena_t *arena,
                                  const Raison__Entry *e, const void *body,
                                  const uint8_t id[32], char *why, size_t why_size);

/* --- judging many entries (audit) ----------------------------------------- */

typedef struct rsn_view_ctx rsn_view_ctx_t;

/* A context that keeps the states of the last groups and profiles it loaded
 * (from ARENA, which it lives in), to judge many entries cheaply. */
rsn_view_ctx_t *rsn_view_ctx_new(rsn_store_t *store, rsn_arena_t *arena);

/* The semantic rule the stored entry L breaks (a sentence), or NULL when it
 * keeps them; hidden by a fork counts as a problem. 0 or RSN_ERR_IO. */
RSN_NODISCARD int rsn_view_entry_problem(rsn_view_ctx_t *x, const rsn_loaded_t *l,
                                         const char **problem);

/* --- read calls of the API ---------------------------------------------- */
/* Each returns 0 and a reply built in ARENA, or an rsn_err with WHY. */

RSN_NODISCARD int rsn_view_entry(rsn_store_t *store, rsn_arena_t *arena, const uint8_t id[32],
                                 Raison__EntryInfo **out);
RSN_NODISCARD int rsn_view_post(rsn_store_t *store, rsn_arena_t *arena, const uint8_t id[32],
                                Raison__PostView **out);
RSN_NODISCARD int rsn_view_groups(rsn_store_t *store, rsn_arena_t *arena,
                                  const Raison__GroupsRequest *req, Raison__GroupsReply **out);
RSN_NODISCARD int rsn_view_group(rsn_store_t *store, rsn_arena_t *arena, const uint8_t group[32],
                                 Raison__GroupReply **out);
RSN_NODISCARD int rsn_view_timeline(rsn_store_t *store, rsn_arena_t *arena,
                                    const uint8_t group[32], const Raison__TimelineRequest *req,
                                    Raison__TimelineReply **out, char *why, size_t why_size);
RSN_NODISCARD int rsn_view_report(rsn_store_t *store, rsn_arena_t *arena, const uint8_t group[32],
                                  Raison__ReportReply **out);
RSN_NODISCARD int rsn_view_feed(rsn_store_t *store, rsn_arena_t *arena,
                                const Raison__FeedRequest *req, Raison__FeedReply **out);
RSN_NODISCARD int rsn_view_profile(rsn_store_t *store, rsn_arena_t *arena,
                                   const uint8_t author[32], Raison__ProfileReply **out);

#endif
