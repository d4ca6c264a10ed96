/* report_state.h — the report's derived state: a post's facts at first
 * sight, its judgment (counted or not, under which site), and the counters
 * the value report, the groups listing and the timeline read instead of
 * walking a group's posts (docs/design-notes.md "Derived counters").
 *
 * Kept by a deriver (daemon/derive.h): every post is judged once when its
 * body is first seen, and its judgment moves the counters of its group and
 * mission (+1 in, -1 out). What a later entry changes about earlier posts
 * (a late charter, an amendment or dispute, a membership, a retraction, a
 * fork, a profile changing someone's site) queues a re-judge job that the
 * deriver's background work runs a bounded number of posts at a time,
 * behind a per-group "being updated" flag. The keys are store/keys.h's
 * 'f p c d a s t w x r j u' (docs/store.md); 'f' is a fact, never rewritten,
 * kept by a reindex; the rest is derived and rebuilt by one.
 *
 * Reads here cost O(log n) each (a window to today: O(days), its distinct
 * counts from 'x'; a window that ends before today's posts: O(days) plus
 * its distinct author-days and site-days). */
#ifndef RSN_D_REPORT_STATE_H
#define RSN_D_REPORT_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/err.h"
#include "crypto/crypto.h"
#include "daemon/derive.h"
#include "store/keys.h"
#include "store/store.h"

#define RSN_REPORT_DAY_MS 86400000ULL /* a day of the counters: UTC days since the epoch */

/* The deriver of derive.c's table. */
extern const rsn_deriver_t rsn_report_deriver;

/* The figures of a set of counted posts. */
typedef struct {
    uint64_t posts, authors, sites, replies, cross, last;
    uint64_t site_posts; /* by authors of the site asked (windows only) */
} rsn_rcount_t;

/* The whole-history figures of MISSION of GROUP ("": the whole group); all
 * zero when nothing is counted. O(log n). 0 or RSN_ERR_IO. */
RSN_NODISCARD int rsn_report_count(rsn_store_t *store, const uint8_t group[RSN_ID_BYTES],
                                   const char *mission, rsn_rcount_t *out);

/* The posts counted in MISSION of GROUP, the first figure of
 * rsn_report_count without its last activity (one read, no scan). 0 or
 * RSN_ERR_IO. */
RSN_NODISCARD int rsn_report_posts(rsn_store_t *store, const uint8_t group[RSN_ID_BYTES],
                                   const char *mission, uint64_t *out);

/* One day of a window, for the series. */
typedef struct {
    uint32_t day;
    rsn_rcount_t c;
} rsn_rday_t;

/* The figures of MISSION of GROUP over the days FIRST..LAST (UTC days),
 * distinct authors and sites exact over the window, with SITE (a site hash,
 * NULL: none) counted into site_posts. When DAYS is not NULL, *DAYS (from
 * ARENA) gets the days with posts, *N_DAYS of them. O(days) when no post
 * counts after LAST (report_window.c), else O(days with posts + their
 * author-days and site-days); scratch from ARENA. 0, RSN_ERR_IO,
 * RSN_ERR_NOMEM. */
RSN_NODISCARD int rsn_report_window(rsn_store_t *store, rsn_arena_t *arena,
                                    const uint8_t group[RSN_ID_BYTES], const char *mission,
                                    uint32_t first, uint32_t last,
                                    const uint8_t site[RSN_SITE_HASH_BYTES], rsn_rcount_t *out,
                                    rsn_rday_t **days, size_t *n_days);

/* The posts counted in MISSION of GROUP by authors of SITE (a site hash). */
RSN_NODISCARD int rsn_report_site_posts(rsn_store_t *store, const uint8_t group[RSN_ID_BYTES],
                                        const char *mission,
                                        const uint8_t site[RSN_SITE_HASH_BYTES], uint64_t *out);

/* The replies counted to post ID. 0 or RSN_ERR_IO. */
RSN_NODISCARD int rsn_report_replies(rsn_store_t *store, const uint8_t id[RSN_ID_BYTES],
                                     uint64_t *out);

/* The group of the entry at log INDEX as its facts at first sight say
 * (kept when its body is erased): 0, RSN_ERR_NOT_FOUND (no facts: not a
 * post, membership or charter, or seen without its body), RSN_ERR_IO. */
RSN_NODISCARD int rsn_report_group_of(rsn_store_t *store, uint64_t index,
                                      uint8_t group[RSN_ID_BYTES]);

/* True when re-judge jobs that concern GROUP (or a feed) are pending. */
bool rsn_report_being_updated(rsn_store_t *store, const uint8_t group[RSN_ID_BYTES]);

/* The groups with re-judge jobs pending (feeds' jobs count as one). */
uint64_t rsn_report_groups_updating(rsn_store_t *store);

/* SITE as the counters key it: the first RSN_SITE_HASH_BYTES of its SHA-256. */
void rsn_report_site_hash(const char *site, uint8_t out[RSN_SITE_HASH_BYTES]);

#endif
