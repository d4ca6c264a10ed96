/* scale_read.h — bench_scale's timed API calls.
 *
 * Each read call of issue 10 is a probe: status, groups (first page, and a
 * page further on), group of the busy group and of a small one, the same
 * resolved by name and by hex prefix, the busy group's timeline (first page
 * and a deep page), an author's feed, the busy and a small group's report,
 * profile, entry, peers and head. A probe is timed one call at a time
 * (monotonic clock around rsn_client_call), either cold (over keys not read
 * since the node started, one call per key) or warm (the same few keys over
 * and over, once the cold run has read them), each bounded in calls and in seconds so that today's
 * slow calls do not hold the run. Status is also sampled at a steady pace while something else runs
 * (an audit, a catch-up). */
#ifndef RSN_BENCH_SCALE_READ_H
#define RSN_BENCH_SCALE_READ_H

#include <stdbool.h>
#include <stddef.h>

#include "net/client.h"
#include "scale_shape.h"

#define SCALE_COLD_KEYS 50   /* distinct keys of a cold probe, at most */
#define SCALE_WARM_CALLS 200 /* calls of a warm probe, at most */
#define SCALE_CURSORS 50
#define SCALE_CURSOR_MAX 128 /* bytes of a cursor the node gives, at most */

typedef enum {
    P_STATUS,
    P_GROUPS_FIRST,
    P_GROUPS_LATER,
    P_GROUP_BUSY,
    P_GROUP_SMALL,
    P_RESOLVE_NAME,
    P_RESOLVE_PREFIX,
    P_TIMELINE_FIRST,
    P_TIMELINE_DEEP,
    P_FEED,
    P_REPORT_BUSY,
    P_REPORT_SMALL,
    P_PROFILE,
    P_ENTRY,
    P_PEERS,
    P_HEAD,
    P_COUNT
} scale_probe_t;

/* Latencies of one figure, in milliseconds. */
typedef struct {
    double p50, p99, max;
    size_t n;      /* calls timed */
    size_t errors; /* calls that failed or answered an error */
} scale_lat_t;

/* What the probes name: the shape's keys (FACTS) and cursors the node gave. */
typedef struct {
    const scale_facts_t *facts;
    uint8_t groups_cursor[SCALE_CURSORS][SCALE_CURSOR_MAX];
    size_t groups_cursor_len[SCALE_CURSORS];
    size_t n_groups_cursors;
    uint8_t deep_cursor[SCALE_CURSORS][SCALE_CURSOR_MAX];
    size_t deep_cursor_len[SCALE_CURSORS];
    size_t n_deep;
    size_t deep_depth; /* posts above the deepest cursor (the others are shallower) */
} scale_keys_t;

/* A short name of probe P ("group busy"). */
const char *scale_probe_name(scale_probe_t p);

/* Asks the node behind C for the cursors the probes need into K (groups
 * pages one group long; the busy timeline paged down towards a third of
 * TARGET_DEPTH posts), for at most BUDGET_S seconds. */
void scale_keys_collect(rsn_client_t *c, scale_keys_t *k, size_t target_depth, double budget_s);

/* Times probe P on C: COLD, one call per distinct key (at most
 * SCALE_COLD_KEYS), else SCALE_WARM_CALLS calls over the first few keys
 * (warm when the cold run of the same probe read them first); at most
 * CAP_S seconds (at least one call). */
void scale_probe_run(rsn_client_t *c, const scale_keys_t *k, scale_probe_t p, bool cold,
                     double cap_s, scale_lat_t *out);

/* Samples status on C every INTERVAL_MS until DONE(CTX) says so (it is
 * asked between samples) or LIMIT_S passes, into OUT; false on the limit. */
bool scale_status_sample(rsn_client_t *c, bool (*done)(void *ctx), void *ctx, int interval_ms,
                         double limit_s, scale_lat_t *out);

#endif
