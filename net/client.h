/* client.h — the C client library of the local API.
 *
 * What the `raison` CLI uses, and what any C program can use, to talk to a
 * node: a DEALER socket on ipc://PATH that sends ApiRequests (after an empty
 * delimiter frame) and reads ApiReplies. Many requests may be in flight;
 * replies come back in the order they were sent. */
#ifndef RSN_CLIENT_H
#define RSN_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "net/poller.h"
#include "raison.pb-c.h"

typedef struct rsn_client rsn_client_t;

/* Connects to the node whose API socket file is PATH. Returns 0 and *OUT;
 * RSN_ERR_UNAVAILABLE when no socket file is there (no node running);
 * RSN_ERR_INVALID_ARG when PATH is too long for a Unix socket. Replies are
 * awaited at most TIMEOUT_MS (-1: forever). */
RSN_NODISCARD int rsn_client_connect(rsn_client_t **out, const char *path, int timeout_ms);

/* Closes; accepts NULL; sets *SELF_P to NULL. */
void rsn_client_destroy(rsn_client_t **self_p);

/* Sends REQ (its request_id is set to a fresh number, returned in *ID when ID
 * is not NULL) without waiting for the reply. 0 or RSN_ERR_UNAVAILABLE. */
RSN_NODISCARD int rsn_client_send(rsn_client_t *self, Raison__ApiRequest *req, uint64_t *id);

/* Sends raw bytes as a request payload (for tests of bad input). */
RSN_NODISCARD int rsn_client_send_raw(rsn_client_t *self, const uint8_t *payload, size_t len);

/* Waits up to the connection's timeout for the next reply. 0 and *REPLY,
 * decoded by rsn_reply_decode (proto/codec.h) and owned by the caller: free
 * it with rsn_reply_free(*REPLY); RSN_ERR_TIMEOUT; RSN_ERR_BAD_REQUEST when
 * the reply does not decode. */
RSN_NODISCARD int rsn_client_recv(rsn_client_t *self, Raison__ApiReply **reply);

/* Same, with an explicit timeout for this wait (-1: forever). */
RSN_NODISCARD int rsn_client_recv_timeout(rsn_client_t *self, Raison__ApiReply **reply,
                                          int timeout_ms);

/* Sends REQ and waits for its reply (replies to other requests still in
 * flight are discarded). 0 and *REPLY (free with rsn_reply_free), which may
 * carry an `error` result: that is the node's answer, not a failure of the
 * call; or RSN_ERR_TIMEOUT, RSN_ERR_UNAVAILABLE. */
RSN_NODISCARD int rsn_client_call(rsn_client_t *self, Raison__ApiRequest *req,
                                  Raison__ApiReply **reply);

/* Registers the client's socket with POLLER: FN runs (with CTX) when a reply
 * or an event waits; read it with rsn_client_recv_timeout(.., 0) until
 * RSN_ERR_TIMEOUT. Only from the thread that runs POLLER, which must be the
 * one that uses the client. 0 and *ID, or the poller's error. */
RSN_NODISCARD int rsn_client_watch(rsn_client_t *self, rsn_poller_t *poller, rsn_poller_io_fn fn,
                                   void *ctx, int *id);

#endif
