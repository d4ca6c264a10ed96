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
struct rsn_api_state;

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
    /* on the front thread: what the loop published, which the handlers read
     * instead of the loop's modules (then ingest, gossip, background are
     * NULL and store is the state's view); NULL in the loop */
    const struct rsn_api_state *state;
} rsn_api_ctx_t;

/* --- the front: reads answered beside the loop (net/api_server.h) -----------
 *
 * The calls that only read (status, head, entry, timeline, groups, group,
 * feed, report, profile, peers) are answered on the API server's front thread from
 * the latest state the loop published: a view of the store (a snapshot,
 * rsn_store_view_new) taken after a commit and its derive pass, with the
 * figures status reports, and the peers call's reply. So a read is answered
 * while the loop stages and commits a peer's frame; what it sees is the
 * store as of the last commit, as a read answered in the loop between two
 * commits sees it. */
typedef struct rsn_api_state {
    rsn_store_t *view; /* owned */
    uint64_t writes;   /* rsn_store_writes of the store when the view was taken */
    rsn_counts_t counts;
    rsn_reindex_progress_t reindex;
    bool derive_behind;
    uint32_t peers, peers_connected;
    bool verify_running;
    uint64_t verify_checked;
    int64_t startup_ms;
    uint64_t groups_updating;
    uint64_t store_bytes; /* as LevelDB guessed it at BYTES_MS (monotonic) */
    int64_t bytes_ms;
    /* the peers call's reply (a packed ApiReply, malloc'd, owned; NULL in the
     * loop's copy) and its digest, which says whether it changed */
    uint8_t *peers_reply;
    size_t peers_len;
    uint8_t peers_digest[32];
} rsn_api_state_t;

/* A state of CTX's modules now, with a view of the store taken now, into
 * *OUT; the store's size is LAST's (may be NULL) when LAST asked LevelDB for
 * it less than a second ago. So the front reads nothing of LevelDB for a
 * status. 0, RSN_ERR_NOMEM. Loop side. */
RSN_NODISCARD int rsn_api_state_new(const rsn_api_ctx_t *ctx, const rsn_api_state_t *last,
                                    rsn_api_state_t **out);

/* True when a state taken now would say nothing LAST does not (the store
 * not written, the figures the same): no need to publish one. LAST's view is
 * not read (NULL in the loop's copy). */
bool rsn_api_state_same(const rsn_api_ctx_t *ctx, const rsn_api_state_t *last);

/* Frees a state (its view too); accepts NULL. Either thread. */
void rsn_api_state_free(void *state);

/* The front function (rsn_api_answer_fn): CTX is a const rsn_api_ctx_t of
 * what never changes (node key, site, listen, started_ms), STATE an
 * rsn_api_state_t. Answers the calls above, in full, as rsn_api_call does;
 * passes every other (and anything it cannot decode) to the loop. NOTE gets
 * the call, its result and its latency, for rsn_api_note_read. */
int rsn_api_front_answer(void *ctx, void *state, const uint8_t *payload, size_t len,
                         uint8_t **reply, size_t *reply_len, uint8_t *note, size_t *note_len);

/* Reads a note of rsn_api_front_answer: 0, or RSN_ERR_BAD_REQUEST (not one). */
RSN_NODISCARD int rsn_api_note_read(const uint8_t *note, size_t len, int *call, int *rc,
                                    double *seconds);

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
