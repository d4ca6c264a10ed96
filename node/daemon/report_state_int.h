/* report_state_int.h — what the two halves of the report's derived state
 * share: report_state.c (facts, judgments, counters) and report_jobs.c (the
 * re-judge jobs of what looks back, run in the background). Not for other
 * modules: report_state.h is the public face. */
#ifndef RSN_D_REPORT_STATE_INT_H
#define RSN_D_REPORT_STATE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "common/limits.h"
#include "daemon/derive.h"
#include "daemon/view_ctx.h"

#define J_COUNTED 1 /* 'p' flags: the post counts, */
#define J_CROSS 2   /* replies across sites, */
#define J_SITE 4    /* and its author's site follows */
#define C_FIELDS 5  /* 'c': posts authors sites replies cross */
#define D_FIELDS 6  /* 'd': the same and the day's last activity */

/* What an entry's facts are about. */
enum { RS_POST = 1, RS_MEMBERSHIP = 2, RS_CHARTER = 3 };

/* An entry's facts at first sight ('f' index): what erasure would destroy. */
typedef struct {
    uint8_t kind;
    uint8_t group[RSN_ID_BYTES];
    uint8_t author[RSN_KEY_BYTES];
    uint64_t seq;
    uint64_t ts; /* effective time (daemon/clock.h) */
    bool has_parent, has_charter;
    uint8_t parent[RSN_ID_BYTES];  /* a post's reply_to */
    uint8_t charter[RSN_ID_BYTES]; /* a post's charter version */
    uint8_t member[RSN_KEY_BYTES]; /* a membership's member */
    char mission[RSN_MISSION_KEY_MAX + 1];
} rs_facts_t;

/* Decodes an 'f' value (V, LEN bytes) into *F: 0 or RSN_ERR_IO. */
RSN_NODISCARD int rs_facts_decode(const uint8_t *v, size_t len, rs_facts_t *f);

/* The facts of the entry at log INDEX: 0 (*FOUND says whether it has any)
 * or RSN_ERR_IO. */
RSN_NODISCARD int rs_facts_get(rsn_dx_t *dx, uint64_t index, rs_facts_t *f, bool *found);

/* The log index of entry ID: 0, RSN_ERR_NOT_FOUND, RSN_ERR_IO. */
RSN_NODISCARD int rs_index_of(rsn_dx_t *dx, const uint8_t id[RSN_ID_BYTES], uint64_t *index);

/* Judges the post at log INDEX afresh (X: this step's view context) and,
 * when that differs from its 'p' judgment, moves the counters. A post
 * without facts is left alone. */
RSN_NODISCARD int rs_rejudge(rsn_dx_t *dx, rsn_view_ctx_t *x, uint64_t index);

/* report_window.c: the edge EDGE (+1: WHO's first post of DAY counted, -1:
 * its last one un-counted) of WHO's posts in MISSION of GROUP, WHAT 'a' (an
 * author, WHO 32 bytes) or 's' (a site hash): moves WHO's days ('w') and,
 * when its latest day changes, the days' latest counts ('x'). */
RSN_NODISCARD int rs_window_edge(rsn_dx_t *dx, const uint8_t group[RSN_ID_BYTES],
                                 const char *mission, char what, const uint8_t *who, uint32_t day,
                                 int64_t edge);

/* report_window.c: whether WHO (WHAT 'a' an author, 's' a site hash) has a
 * post counted in MISSION of GROUP on DAY, from its days ('w', through DX):
 * 0 and *HAS, or RSN_ERR_IO. */
RSN_NODISCARD int rs_window_has_day(rsn_dx_t *dx, const uint8_t group[RSN_ID_BYTES],
                                    const char *mission, char what, const uint8_t *who,
                                    uint32_t day, bool *has);

/* report_window.c: the distinct authors and sites of MISSION of GROUP over
 * the days FIRST..LAST from 'x' (O(days)), *EXACT true; *EXACT false when
 * posts count after LAST, where the sum is not the window's (the caller
 * unions the days' authors and sites instead). 0 or RSN_ERR_NOMEM. */
RSN_NODISCARD int rs_window_distinct(rsn_store_t *store, const uint8_t group[RSN_ID_BYTES],
                                     const char *mission, uint32_t first, uint32_t last,
                                     uint64_t *authors, uint64_t *sites, bool *exact);

/* Re-judge jobs. */
enum {
    RS_JOB_GROUP = 1, /* every post of GROUP ('P' group) */
    RS_JOB_MEMBER,    /* the posts in GROUP of WHO's feed */
    RS_JOB_POST,      /* post WHO (an id) */
    RS_JOB_REPLIES,   /* the replies to post WHO ('Q' who) */
    RS_JOB_FORK,      /* what WHO's feed from FROM on made count ('S' who) */
    RS_JOB_PROFILE,   /* WHO's posts, and the replies to them (a site changed) */
};

typedef struct {
    uint8_t kind;
    uint8_t group[RSN_ID_BYTES]; /* zeros for a feed's jobs */
    uint8_t who[RSN_ID_BYTES];
    uint64_t from;
} rs_job_t;

/* Queues JOB in this step, after running a small bounded share of it at
 * once (RS_JOB_INLINE units); what remains is a 'j' key run in the
 * background, counted in 'u' group. */
RSN_NODISCARD int rs_job_queue(rsn_dx_t *dx, const rs_job_t *job);

/* Queues what the appearance or disappearance of the entry at log INDEX
 * (L, its loaded header) looks back on: a post is re-judged, a membership
 * re-judges its member's posts in its group, a charter its group, a
 * profile its author's posts, a retraction what its target looks back on. */
RSN_NODISCARD int rs_lookback(rsn_dx_t *dx, uint64_t index, const rsn_loaded_t *l, int depth);

/* The deriver's background callback (derive.h). */
RSN_NODISCARD int rs_background(rsn_dx_t *dx, size_t budget, size_t *done);

#endif
