/* d_api.h — the read calls of the local API, answered from the views.
 *
 * Validates each request's fields (a missing or malformed field is
 * RSN_ERR_BAD_REQUEST with a sentence saying which), resolves group
 * references, and fills the matching result of the reply. Publish, status
 * and subscribe are the event loop's (d_node.c): they touch its state. */
#ifndef RSN_D_API_H
#define RSN_D_API_H

#include <stddef.h>

#include "common/arena.h"
#include "common/err.h"
#include "proto/codec.h"
#include "store/store.h"

/* Answers REQ (head, entry, timeline, groups, group, feed, report, profile)
 * into REPLY, allocating from ARENA. 0, or an rsn_err with WHY for people. */
RSN_NODISCARD int rsn_api_read(rsn_store_t *store, rsn_arena_t *arena,
                               const Raison__ApiRequest *req, Raison__ApiReply *reply,
                               char *why, size_t why_size);

/* Sets REPLY to an error result: CODE (an rsn_err; local codes become
 * ERROR_INTERNAL) and MESSAGE (copied into ARENA; rsn_strerror when empty). */
void rsn_api_error(rsn_arena_t *arena, Raison__ApiReply *reply, int code, const char *message);

#endif
