/* fed.h — federation links between nodes: CURVE-secured ZeroMQ transport.
 *
 * Each node binds one ROUTER socket as a CURVE server on its listen endpoint
 * and keeps one DEALER socket as CURVE client to each peer it is configured
 * with. A ZAP handler (bound to inproc://zeromq.zap.01 BEFORE the server
 * binds, or libzmq admits everyone) admits only the node keys it trusts: a
 * peer listed is a peer trusted. Every other connection is refused before a
 * frame is read, and the refusal is logged with the caller's Curve25519 key.
 * A peer is named by its Ed25519 node key everywhere; its Curve25519 form is
 * derived with crypto/. Frames received on the ROUTER are attributed by the
 * User-Id the ZAP handler gave the connection (the peer's key), never by a
 * routing id the peer chose.
 *
 * One logical link per pair of nodes, whichever side dialled: to send to a
 * peer, the DEALER to it is used when this node dials it, else the ROUTER
 * connection the peer opened (its latest routing id). Frames from either
 * socket are delivered as coming from that peer. Sends never block
 * (ZMQ_DONTWAIT, high-water marks): a peer that does not read loses frames
 * (RSN_ERR_BUSY), the node never stalls. ZMTP heartbeats notice dead links;
 * ZeroMQ reconnects by itself. This module moves frames and knows nothing of
 * what they mean. */
#ifndef RSN_FED_H
#define RSN_FED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/limits.h"
#include "net/api_server.h"
#include "net/poller.h"

#define RSN_FED_MAX_FRAME RSN_FED_FRAME_MAX /* bytes of one federation frame (common/limits.h) */
#define RSN_FED_MAX_PEERS 64
#define RSN_FED_ENDPOINT_MAX 255

typedef struct rsn_fed rsn_fed_t;

typedef struct {
    uint8_t key[32];                         /* the peer's Ed25519 node key */
    char endpoint[RSN_FED_ENDPOINT_MAX + 1]; /* "tcp://host:port"; "" = trust, never dial */
} rsn_fed_peer_conf_t;

typedef enum {
    RSN_FED_EVENT_CONNECTED = 1,    /* a link to PEER is up (either socket) */
    RSN_FED_EVENT_DISCONNECTED = 2, /* the link to PEER went down */
    RSN_FED_EVENT_REFUSED = 3,      /* a key not trusted was refused (KEY is its Curve25519 key) */
} rsn_fed_event_kind;

typedef struct {
    rsn_fed_event_kind kind;
    uint8_t key[32];
} rsn_fed_event_t;

typedef struct {
    uint8_t key[32];
    char endpoint[RSN_FED_ENDPOINT_MAX + 1];
    bool connected;
    int64_t since_ms; /* wall clock ms of the last connect or disconnect; 0 never */
    uint64_t frames_in;
    uint64_t frames_out;
    uint64_t bytes_in;
    uint64_t bytes_out;
    uint64_t dropped_out;    /* frames not sent because the peer did not read */
    int64_t banned_until_ms; /* wall clock ms; 0 when not banned */
    char last_error[128];
} rsn_fed_peer_info_t;

/* Starts the federation layer of a node whose Ed25519 public key is NODE_KEY
 * and whose Curve25519 secret key is CURVE_SECRET (32 bytes; copied, the
 * caller keeps and wipes its own). LISTEN is a ZeroMQ endpoint to bind
 * ("tcp://127.0.0.1:7701"), or NULL to only dial. 0 and *OUT; RSN_ERR_IO when
 * the bind fails (logged), RSN_ERR_INVALID_ARG for a malformed endpoint. */
RSN_NODISCARD int rsn_fed_new(rsn_fed_t **out, const uint8_t node_key[32],
                              const uint8_t *curve_secret, const char *listen);

/* Closes every socket; accepts NULL; sets *SELF_P to NULL. */
void rsn_fed_destroy(rsn_fed_t **self_p);

/* Replaces the set of trusted peers with PEERS (N at most RSN_FED_MAX_PEERS):
 * new peers are dialled (when they have an endpoint), dropped peers are
 * disconnected and no longer admitted, unchanged ones keep their links. For
 * start-up and SIGHUP. 0 or RSN_ERR_INVALID_ARG. */
RSN_NODISCARD int rsn_fed_set_peers(rsn_fed_t *self, const rsn_fed_peer_conf_t *peers, size_t n);

/* Registers the transport with POLLER (one poller at a time): its ZAP
 * handler, monitors and timers then run inside rsn_poller_wait, and
 * READY(CTX) is called when frames (rsn_fed_recv) or link events
 * (rsn_fed_next_event) wait. Sockets opened later (a redial, a ban's end)
 * register themselves. 0, RSN_ERR_INVALID_ARG (already attached),
 * RSN_ERR_NOMEM. */
RSN_NODISCARD int rsn_fed_attach(rsn_fed_t *self, rsn_poller_t *poller, rsn_ready_fn ready,
                                 void *ctx);

/* Ends every registration rsn_fed_attach made; accepts a detached SELF. */
void rsn_fed_detach(rsn_fed_t *self);

/* Waits up to TIMEOUT_MS for the API socket (API may be NULL) or any
 * federation socket to be readable, answering ZAP requests meanwhile, on a
 * poller of its own (for tools and tests that have no loop; SELF must not be
 * attached). *API_READY and *FED_READY tell which (*FED_READY also when link
 * events wait for rsn_fed_next_event). 0, RSN_ERR_TIMEOUT, or
 * RSN_ERR_INTERRUPTED. */
RSN_NODISCARD int rsn_fed_wait(rsn_fed_t *self, rsn_api_server_t *api, int timeout_ms,
                               bool *api_ready, bool *fed_ready);

/* Takes the next frame from any trusted peer without blocking. 0 with PEER
 * (its node key) and *FRAME (malloc'd, caller frees) and *LEN; RSN_ERR_AGAIN
 * when none is waiting. Frames over RSN_FED_MAX_FRAME never arrive
 * (ZMQ_MAXMSGSIZE closes such a connection). */
RSN_NODISCARD int rsn_fed_recv(rsn_fed_t *self, uint8_t peer[32], uint8_t **frame, size_t *len);

/* Sends FRAME to PEER without blocking. 0; RSN_ERR_UNAVAILABLE when no link
 * to PEER is up; RSN_ERR_BUSY when its queue is full (dropped and counted);
 * RSN_ERR_INVALID_ARG for an empty frame (empty frames are the transport's
 * keepalives); RSN_ERR_TOO_LARGE over RSN_FED_MAX_FRAME. */
RSN_NODISCARD int rsn_fed_send(rsn_fed_t *self, const uint8_t peer[32], const uint8_t *frame,
                               size_t len);

/* Takes the next link event without blocking: 0 and *EV, or RSN_ERR_AGAIN. */
RSN_NODISCARD int rsn_fed_next_event(rsn_fed_t *self, rsn_fed_event_t *ev);

/* Disconnects PEER for PENALTY_MS: its frames are dropped and it is refused by
 * ZAP meanwhile (a peer that keeps misbehaving). */
void rsn_fed_ban(rsn_fed_t *self, const uint8_t peer[32], int penalty_ms, const char *reason);

/* Fills INFO with up to MAX peers' states; returns how many. */
size_t rsn_fed_peers(const rsn_fed_t *self, rsn_fed_peer_info_t *info, size_t max);

/* The endpoint the federation ROUTER is bound to, as libzmq resolved it
 * (ZMQ_LAST_ENDPOINT: a wildcard port is replaced by the real one); "" when
 * the node only dials. Owned by SELF. */
const char *rsn_fed_endpoint(const rsn_fed_t *self);

#endif
