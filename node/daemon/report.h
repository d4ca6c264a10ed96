/* report.h — the value report of a group: what its charter promises
 * (missions and their goals) set against what happened (posts, authors,
 * sites, replies and replies across sites, per mission and in total), so
 * that owners and members can see whether the group is worth its time.
 *
 * Read from the counters of the report's derived state (report_state.h):
 * O(missions + days of a window), no post read; built in the caller's
 * arena. */
#ifndef RSN_D_REPORT_H
#define RSN_D_REPORT_H

#include <stdint.h>

#include "common/arena.h"
#include "common/err.h"
#include "crypto/crypto.h"
#include "proto/codec.h"
#include "store/store.h"

/* The report of GROUP: its current name and version, members now, and per
 * mission of any version (current ones first, retired ones flagged) the
 * posts, distinct authors and sites, last activity, replies and cross-site
 * replies, and the same for the whole group. An erased post counts as its
 * body said when it was seen (its facts are kept). being_updated says that
 * re-judging is under way. 0 and *OUT; RSN_ERR_UNKNOWN_GROUP; RSN_ERR_IO;
 * RSN_ERR_NOMEM. */
RSN_NODISCARD int rsn_view_report(rsn_store_t *store, rsn_arena_t *arena,
                                  const uint8_t group[RSN_ID_BYTES], Raison__ReportReply **out);

/* The same with what REQ asks (NULL: nothing more): a window of REQ->days
 * UTC days ending with the day of REQ->until (0: now), whole and, with
 * REQ->series, per day; the posts by authors of REQ->site. RSN_ERR_BAD_REQUEST
 * for a window over 3660 days. */
RSN_NODISCARD int rsn_view_report_window(rsn_store_t *store, rsn_arena_t *arena,
                                         const uint8_t group[RSN_ID_BYTES],
                                         const Raison__ReportRequest *req,
                                         Raison__ReportReply **out);

#endif
