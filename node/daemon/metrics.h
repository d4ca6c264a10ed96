/* metrics.h — what the node counts for its operators, and the page of
 * Prometheus metrics it serves (docs/operations.md "Metrics" lists every metric and
 * what to alert on).
 *
 * Two kinds of figures. Some are counted as they happen, by the code that
 * sees them, into this module: API calls and their latency per call
 * (daemon/api.c), the event loop's turns and the group commit's duration
 * (daemon/node.c). The rest are read at scrape time from the modules that
 * already keep them: the store's counts and size (daemon/ingest.h,
 * store/store.h), the write path's counters, the peers' links, traffic, sync
 * lag and witness state (daemon/gossip.h), the latest checkpoint
 * (daemon/audit.h). Everything runs in the event loop's thread (the HTTP
 * server is registered with the loop, net/http_metrics.h), so nothing is
 * locked and a scrape reads the same state an API call would. A scrape reads
 * the peer table, a few counters and the groups being updated (as `raison
 * status` does): O(peers + calls), never a scan of the store's entries. */
#ifndef RSN_DAEMON_METRICS_H
#define RSN_DAEMON_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* The page's size at most: 32 peers and every API call fit in a tenth. */
#define RSN_METRICS_PAGE_MAX (1024 * 1024)

/* API call cases tracked (the ApiRequest oneof's field numbers are below). */
#define RSN_METRICS_CALLS_MAX 64

typedef struct rsn_metrics rsn_metrics_t;

struct rsn_ingest;
struct rsn_store;
struct rsn_gossip;
struct rsn_audit;

/* What a scrape reads besides what was counted here; borrowed, any may be
 * NULL (its metrics are then left out). */
typedef struct {
    struct rsn_store *store;
    struct rsn_ingest *ingest;
    struct rsn_gossip *gossip;
    struct rsn_audit *audit;
    const char *site;
    const char *version;
    double uptime_seconds;
    double loop_waited_seconds;    /* time the loop slept in poll since the start */
    uint64_t requests_undecodable; /* API requests refused before any call */
} rsn_metrics_sources_t;

/* Empty counters; NULL when out of memory. */
rsn_metrics_t *rsn_metrics_new(void);

/* Frees SELF; accepts NULL; sets *SELF_P to NULL. */
void rsn_metrics_destroy(rsn_metrics_t **self_p);

/* Counts one API call of case CALL (a Raison__ApiRequest__CallCase) that
 * took SECONDS in its handler and ended with RC (0 or an rsn_err). SELF may
 * be NULL (nothing counted). */
void rsn_metrics_api_call(rsn_metrics_t *self, int call, int rc, double seconds);

/* Counts one turn of the event loop that worked SECONDS (its wait left out). */
void rsn_metrics_loop_turn(rsn_metrics_t *self, double seconds);

/* Counts one group commit that took SECONDS (the fsync included). */
void rsn_metrics_commit(rsn_metrics_t *self, double seconds);

/* Writes the page: what was counted and what SRC holds, in the Prometheus
 * text format (daemon/metrics_text.h), at most RSN_METRICS_PAGE_MAX bytes.
 * *TEXT is malloc'd (the caller frees it), *LEN its length. 0,
 * RSN_ERR_NOMEM, RSN_ERR_TOO_LARGE or RSN_ERR_INVALID_ARG (a bad name: a
 * bug). */
RSN_NODISCARD int rsn_metrics_render(const rsn_metrics_t *self, const rsn_metrics_sources_t *src,
                                     char **text, size_t *len);

#endif
