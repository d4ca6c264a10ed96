/* api.h — the local API's calls, answered through one dispatch table.
 *
 * Every request the node's API socket receives is answered by rsn_api_call:
 * a table maps each call (status, publish, head, entry, timeline, groups,
 * group, feed, report, subscribe, profile, peers, and the audit calls) to its
 * handler. Handlers validate the request's fields (a missing or malformed
 * field is RSN_ERR_BAD_REQUEST with a sentence saying which), resolve group
 * references, and fill the matching result of the reply. When to answer is
 * the event loop's business (daemon/node.c): a staged call (publish) is
 * answered after its batch is committed, any other after what was staged
 * before it, except audit verify: its reply is sent when the verification,
 * on a worker thread, ends (daemon/background.h). */
#ifndef RSN_DAEMON_API_H
#define RSN_DAEMON_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/err.h"
#include "daemon/api_reply.h" /* rsn_api_error */
#include "daemon/audit.h"
#include "daemon/gossip.h"
#include "daemon/ingest.h"
#include "daemon/subscriptions.h"
#include "net/api_server.h"
#include "proto/codec.h"
#include "store/store.h"

struct rsn_background;
struct rsn_metrics;

/* What the handlers read and change: the node's modules, borrowed. */
typedef struct {
    rsn_store_t *store;
    rsn_ingest_t *ingest;
    rsn_audit_t *audit;
    rsn_gossip_t *gossip;
    rsn_subscriptions_t *subscriptions;
    const uint8_t *node_key; /* RSN_KEY_BYTES */
    const char *site;
    const char *listen; /* the federation endpoint; "" when not listening */
    int64_t started_ms; /* monotonic, for the uptime */
    /* the jobs on worker threads (daemon/background.h); NULL: audit verify
     * runs inside the call, as a test without a loop needs */
    struct rsn_background *background;
    int64_t startup_ms; /* how long the start took (open to serving) */
    /* counts each call and its latency (daemon/metrics.h); NULL: none */
    struct rsn_metrics *metrics;
} rsn_api_ctx_t;

/* True when CALL (a Raison__ApiRequest__CallCase) is a write staged into the
 * batch, whose reply must wait for the commit. */
bool rsn_api_is_staged(int call);

/* Answers REQ, from the client of MSG, into REPLY (allocated from ARENA):
 * runs the call's handler, and turns its refusal into the reply's error. A
 * call answered later (audit verify, which runs on a worker thread) returns
 * 0 with REPLY's result unset: nothing is to be sent now.
 * *DURABLE tells that the reply acknowledges a staged write (to be turned
 * into an error if the commit fails). 0, or the handler's rsn_err (already
 * in REPLY). */
int rsn_api_call(rsn_api_ctx_t *ctx, rsn_arena_t *arena, const rsn_api_msg_t *msg,
                 const Raison__ApiRequest *req, Raison__ApiReply *reply, bool *durable);

#endif
