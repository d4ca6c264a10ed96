/* timeline.h — the posts of a group as people read them: a timeline page
 * (newest first, optionally one mission, with a cursor for the next page)
 * and one post on its own, each with its author's name and site and the
 * number of shown replies to it.
 *
 * Only posts the views show count (judge.h). Replies are built in the
 * caller's arena; nothing needs freeing but the arena. */
#ifndef RSN_D_TIMELINE_H
#define RSN_D_TIMELINE_H

#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/err.h"
#include "crypto/crypto.h"
#include "proto/codec.h"
#include "store/store.h"

/* A page of GROUP's timeline: REQ's mission (any version of the charter,
 * "" for all), limit (default 50, at most 500) and cursor (from the previous
 * page's next_cursor). 0 and *OUT; RSN_ERR_UNKNOWN_GROUP,
 * RSN_ERR_UNKNOWN_MISSION, RSN_ERR_BAD_REQUEST (a foreign cursor) or another
 * error, with a sentence in WHY. */
RSN_NODISCARD int rsn_view_timeline(rsn_store_t *store, rsn_arena_t *arena,
                                    const uint8_t group[RSN_ID_BYTES],
                                    const Raison__TimelineRequest *req, Raison__TimelineReply **out,
                                    char *why, size_t why_size);

/* Post ID as a timeline shows it. 0 and *OUT; RSN_ERR_NOT_FOUND when it is
 * not a post the views show; RSN_ERR_IO. */
RSN_NODISCARD int rsn_view_post(rsn_store_t *store, rsn_arena_t *arena,
                                const uint8_t id[RSN_ID_BYTES], Raison__PostView **out);

#endif
