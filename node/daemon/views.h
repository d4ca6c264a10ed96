/* views.h — the read calls of the API that show entries, feeds, profiles
 * and groups: one entry with the rule it breaks, an author's feed, an
 * author's profile, the list of groups and one group's charter history and
 * members. Timelines and single posts are in timeline.h, the value report
 * in report.h.
 *
 * Views never refuse replication: they read what the store holds (see
 * store/keys.h) and apply the semantic rules of DESIGN.md at read time, so an
 * entry that arrived before what it depends on shows as soon as that arrives.
 * Everything a function here builds is taken from the caller's arena; nothing
 * needs freeing but the arena. Each returns 0 and a reply, or an rsn_err. */
#ifndef RSN_D_VIEWS_H
#define RSN_D_VIEWS_H

#include <stdint.h>

#include "common/arena.h"
#include "common/err.h"
#include "crypto/crypto.h"
#include "proto/codec.h"
#include "store/store.h"

/* Entry ID, its signed bytes, whether it is erased or retracted, and the
 * rule it breaks ("" when none). RSN_ERR_NOT_FOUND; RSN_ERR_IO. */
RSN_NODISCARD int rsn_view_entry(rsn_store_t *store, rsn_arena_t *arena,
                                 const uint8_t id[RSN_ID_BYTES], Raison__EntryInfo **out);

/* The groups the node knows, by id, REQ->limit at a time (default 100, at
 * most 500) after REQ->cursor, each with its current charter, members now
 * and shown posts. RSN_ERR_BAD_REQUEST for a cursor that is not an id. */
RSN_NODISCARD int rsn_view_groups(rsn_store_t *store, rsn_arena_t *arena,
                                  const Raison__GroupsRequest *req, Raison__GroupsReply **out);

/* GROUP's current charter, its chain of versions, its members now (with
 * their names) and its disputes: the first page of each (group_views.c).
 * RSN_ERR_UNKNOWN_GROUP. */
RSN_NODISCARD int rsn_view_group(rsn_store_t *store, rsn_arena_t *arena,
                                 const uint8_t group[RSN_ID_BYTES], Raison__GroupReply **out);

/* The same, the pages REQ asks for (members after REQ->members_cursor,
 * versions from REQ->history_from, REQ->*_limit of each: default 100, at
 * most 500, and at most GROUP_PAGE_BYTES of members): O(page + log n).
 * RSN_ERR_UNKNOWN_GROUP; RSN_ERR_BAD_REQUEST (a cursor this node did not
 * give). */
RSN_NODISCARD int rsn_view_group_page(rsn_store_t *store, rsn_arena_t *arena,
                                      const uint8_t group[RSN_ID_BYTES],
                                      const Raison__GroupRequest *req, Raison__GroupReply **out);

/* REQ->author's feed from REQ->from_seq (default 1), REQ->limit entries at a
 * time (default 100, at most 500), ending before a fork when the feed is
 * frozen. RSN_ERR_BAD_REQUEST without a 32-byte author. */
RSN_NODISCARD int rsn_view_feed(rsn_store_t *store, rsn_arena_t *arena,
                                const Raison__FeedRequest *req, Raison__FeedReply **out);

/* AUTHOR's latest shown profile (none in the reply when it has none). */
RSN_NODISCARD int rsn_view_profile(rsn_store_t *store, rsn_arena_t *arena,
                                   const uint8_t author[RSN_KEY_BYTES], Raison__ProfileReply **out);

#endif
