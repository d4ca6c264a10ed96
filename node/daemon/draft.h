/* draft.h — the first step of the publish sequence: judging an unsigned
 * draft.
 *
 * A signature, once made, can be shown by whoever received it, and two
 * signed entries for one seq freeze a feed everywhere (DESIGN.md "The
 * publish sequence"). So a client first sends its draft (author, kind, body)
 * unsigned; the node judges it by the semantic rules (daemon/rules.h) as it
 * would judge the signed entry, and answers what to sign: the seq and prev
 * that follow the author's head as the node holds it, and the charter
 * version a post, an add or a remove must name. A rule the draft breaks is
 * answered here, with the same code and sentence as ever, before anything
 * is signed. */
#ifndef RSN_D_DRAFT_H
#define RSN_D_DRAFT_H

#include <stddef.h>

#include "common/arena.h"
#include "common/err.h"
#include "daemon/ingest.h"
#include "proto/codec.h"
#include "store/store.h"

/* Judges the draft REQ against what STORE and INGEST (staged heads
 * included) hold. 0 and *OUT (from ARENA): seq, prev, charter (a post, an
 * add or a remove), member_seq (an add or a remove: the member's head),
 * answers (a join: the standing add of the author, if any), the node's
 * clock; or RSN_ERR_BAD_REQUEST (no 32-byte
 * author, no kind), RSN_ERR_TOO_LARGE, RSN_ERR_FEED_FROZEN, RSN_ERR_NOMEM,
 * RSN_ERR_IO, or the code of the semantic rule it breaks
 * (RSN_ERR_INVALID_BODY, RSN_ERR_UNKNOWN_GROUP, RSN_ERR_UNKNOWN_MISSION,
 * RSN_ERR_INVALID_CHARTER, RSN_ERR_NOT_OWNER, RSN_ERR_NOT_MEMBER,
 * RSN_ERR_UNKNOWN_ENTRY), with a sentence for people in WHY. */
RSN_NODISCARD int rsn_draft_judge(rsn_ingest_t *ingest, rsn_store_t *store, rsn_arena_t *arena,
                                  const Raison__DraftRequest *req, Raison__DraftReply **out,
                                  char *why, size_t why_size);

#endif
