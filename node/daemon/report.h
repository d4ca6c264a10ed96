/* report.h — the value report of a group: what its charter promises
 * (missions and their goals) set against what happened (posts, authors,
 * sites, replies and replies across sites, per mission and in total), so
 * that owners and members can see whether the group is worth its time.
 *
 * Read at call time from the group's posts the views show; built in the
 * caller's arena. */
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
 * replies. An erased post counts in the totals only. 0 and *OUT;
 * RSN_ERR_UNKNOWN_GROUP; RSN_ERR_IO; RSN_ERR_NOMEM. */
RSN_NODISCARD int rsn_view_report(rsn_store_t *store, rsn_arena_t *arena,
                                  const uint8_t group[RSN_ID_BYTES], Raison__ReportReply **out);

#endif
