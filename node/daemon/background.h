/* background.h — the node's long work, run on worker threads beside the loop.
 *
 * Two jobs would hold the single event loop for seconds on a large store:
 * `audit verify` (every leaf, signature and checkpoint) and the retention
 * sweep (every group, and the posts that aged). Each runs on a worker
 * thread (net/worker.h) over a store snapshot taken when it starts
 * (store/store.h), so the loop serves clients and peers meanwhile; the
 * worker only reads. The loop stays the only writer: the sweep's worker
 * sends what it found (bodies to erase, markers), a bounded run at a time,
 * and the loop writes each run in one synced batch, re-checking each body
 * (daemon/retention.h). A verification's callers wait for its end; one run
 * at a time of each job; a request for progress is answered at once.
 * Large pages of an export (`leaves`) are built on a worker too, one at a
 * time, over a snapshot taken when the request was read; while a client's
 * page is being built or waits, the loop holds that client's later requests
 * (rsn_background_holds), so its replies still come in the order it sent
 * them. */
#ifndef RSN_D_BACKGROUND_H
#define RSN_D_BACKGROUND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/err.h"
#include "crypto/crypto.h"
#include "net/api_server.h"
#include "net/poller.h"
#include "proto/codec.h"
#include "store/store.h"

#define RSN_VERIFY_WAITERS_MAX 64           /* clients waiting for one verification */
#define RSN_RETENTION_STEPS_PER_MESSAGE 128 /* steps per message, and per batch the loop writes */
#define RSN_EXPORTS_QUEUED 16       /* export pages built (one at a time) or waiting, at most */
#define RSN_EXPORT_INLINE_LEAVES 16 /* pages of at most this many leaves are built in the loop */

typedef struct rsn_background rsn_background_t;

/* How far a verification is: RUNNING, CHECKED leaves of TOTAL, ELAPSED_MS
 * since it started (when none runs: the last run's, or zeros). */
typedef struct {
    bool running;
    uint64_t checked;
    uint64_t total;
    uint64_t elapsed_ms;
} rsn_verify_progress_t;

/* The jobs of the node whose store is STORE, key NODE_KEY (copied), whose
 * clients are answered through API; workers register with POLLER. 0 and
 * *OUT, RSN_ERR_NOMEM, RSN_ERR_IO. */
RSN_NODISCARD int rsn_background_new(rsn_background_t **out, rsn_poller_t *poller,
                                     rsn_store_t *store, rsn_api_server_t *api,
                                     const uint8_t node_key[RSN_KEY_BYTES]);

/* Stops and joins the jobs under way (clients waiting for a verification are
 * told the node is stopping), releases their snapshots; before the store,
 * the API server and the poller are destroyed. Accepts NULL; sets *SELF_P
 * to NULL. */
void rsn_background_destroy(rsn_background_t **self_p);

/* Answers an audit_verify request REQ from the client of MSG. With
 * progress: fills REPLY at once. Otherwise the client joins the run under
 * way, or one is started on a snapshot taken now, and REPLY is left unset:
 * the verification's reply (or error) is sent to MSG's client with REQ's
 * request_id when the run ends. 0, or an rsn_err with WHY (RSN_ERR_BUSY when
 * RSN_VERIFY_WAITERS_MAX clients wait already). */
RSN_NODISCARD int rsn_background_verify(rsn_background_t *self, rsn_arena_t *arena,
                                        const rsn_api_msg_t *msg, const Raison__ApiRequest *req,
                                        Raison__ApiReply *reply, char *why, size_t why_size);

/* How far the verification under way (or the last) is. */
void rsn_background_verify_progress(const rsn_background_t *self, rsn_verify_progress_t *out);

/* Starts a retention sweep at NOW_MS (the retention clock) of at most BUDGET
 * bodies, unless one still runs (then nothing: the next timer tries again).
 * 0, RSN_ERR_NOMEM, RSN_ERR_IO. */
RSN_NODISCARD int rsn_background_sweep(rsn_background_t *self, uint64_t now_ms, size_t budget);

/* True while a retention sweep runs. */
bool rsn_background_sweeping(const rsn_background_t *self);

/* Builds, on a worker over a snapshot taken now, the page of leaves FROM..
 * (before END, at most LIMIT) that the client of MSG asked for with
 * REQUEST_ID, and sends it to that client when built (pages are built one
 * at a time, in the order asked). 0: the reply is sent later, and the
 * client is held until then; RSN_ERR_BUSY with WHY when
 * RSN_EXPORTS_QUEUED pages are under way; RSN_ERR_NOMEM, RSN_ERR_IO. */
RSN_NODISCARD int rsn_background_export_leaves(rsn_background_t *self, const rsn_api_msg_t *msg,
                                               uint64_t request_id, uint64_t from, uint64_t end,
                                               uint32_t limit, char *why, size_t why_size);

/* True while a page for the client of MSG is being built or waits: the
 * loop answers none of that client's later requests before it is sent. */
bool rsn_background_holds(const rsn_background_t *self, const rsn_api_msg_t *msg);

/* WAKE(CTX) is called in the loop each time a page was sent (a held
 * client's waiting requests may be answered now). */
void rsn_background_set_wake(rsn_background_t *self, void (*wake)(void *ctx), void *ctx);

/* Export pages being built or waiting. */
size_t rsn_background_exports(const rsn_background_t *self);

#endif
