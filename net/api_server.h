/* api_server.h — the node's local client API socket.
 *
 * A ZeroMQ ROUTER bound on ipc://PATH. A request is a message whose last
 * frame is the payload (one serialized ApiRequest); every frame before it is
 * the envelope (routing id, an empty delimiter for REQ/DEALER clients) and is
 * echoed, unchanged, before each reply. This module moves frames and knows
 * nothing of their meaning; messages over RSN_API_MAX_MESSAGE are dropped by
 * ZeroMQ (ZMQ_MAXMSGSIZE) and a client that sends them is disconnected. */
#ifndef RSN_API_SERVER_H
#define RSN_API_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/limits.h"
#include "net/poller.h"

/* Largest request a client may send: an entry, a 64 KiB body, framing. */
#define RSN_API_MAX_MESSAGE RSN_REQUEST_MAX
/* A Unix socket path holds at most this many bytes (sun_path less NUL). */
#define RSN_IPC_PATH_MAX 107
/* Envelope frames kept per request; more and the request is dropped. */
#define RSN_API_MAX_ENVELOPE 8

typedef struct rsn_api_server rsn_api_server_t;
typedef struct rsn_api_msg rsn_api_msg_t;

/* Binds a ROUTER on ipc://PATH, mode 0600 from the start, and holds the lock
 * PATH.lock for the server's life (a stale socket file is replaced; nothing
 * else is). Returns 0 and *OUT; RSN_ERR_INVALID_ARG when PATH is longer than
 * RSN_IPC_PATH_MAX bytes; RSN_ERR_LOCKED when another server holds the lock;
 * RSN_ERR_EXISTS when PATH is not a stale socket (a file, a live socket);
 * RSN_ERR_IO when the bind fails (one log line says why). */
RSN_NODISCARD int rsn_api_server_bind(rsn_api_server_t **out, const char *path);

/* Opens the bound socket to the members of group GID: the file is given to
 * GID and made 0660 (it was 0600 from its bind on, so it is never open to
 * more than its owner and that group). For a node run as a service whose
 * operator and web server reach it by group membership (docs/operations.md
 * "Files and modes"). 0, or RSN_ERR_PERMISSION / RSN_ERR_IO (logged: the
 * process is not in that group, ...). */
RSN_NODISCARD int rsn_api_server_share(rsn_api_server_t *self, unsigned gid);

/* Closes the socket and removes its file; accepts NULL; sets *SELF_P NULL. */
void rsn_api_server_destroy(rsn_api_server_t **self_p);

/* Registers the socket with POLLER (one at a time): READY(CTX) is called
 * when requests wait (take them with rsn_api_server_recv). 0,
 * RSN_ERR_INVALID_ARG (already attached), RSN_ERR_NOMEM. */
RSN_NODISCARD int rsn_api_server_attach(rsn_api_server_t *self, rsn_poller_t *poller,
                                        rsn_ready_fn ready, void *ctx);

/* Ends the registration rsn_api_server_attach made; accepts a detached SELF. */
void rsn_api_server_detach(rsn_api_server_t *self);

/* Waits up to TIMEOUT_MS (-1: forever) for a request, alone (no poller). 0 when one is ready,
 * RSN_ERR_TIMEOUT, or RSN_ERR_INTERRUPTED when a signal arrived. */
RSN_NODISCARD int rsn_api_server_wait(rsn_api_server_t *self, int timeout_ms);

/* Takes the next request without blocking. 0 and *MSG (the caller destroys
 * it), RSN_ERR_AGAIN when none is waiting, RSN_ERR_BAD_REQUEST when a
 * message had too many envelope frames (it was dropped). */
RSN_NODISCARD int rsn_api_server_recv(rsn_api_server_t *self, rsn_api_msg_t **msg);

/* The payload (last frame) of MSG, owned by MSG. */
const uint8_t *rsn_api_msg_payload(const rsn_api_msg_t *msg, size_t *len);

/* A copy of MSG's envelope alone, to reply to later (subscriptions).
 * NULL when out of memory. */
rsn_api_msg_t *rsn_api_msg_envelope_copy(const rsn_api_msg_t *msg);

/* True when A and B came from the same client (same routing id). */
bool rsn_api_msg_same_client(const rsn_api_msg_t *a, const rsn_api_msg_t *b);

void rsn_api_msg_destroy(rsn_api_msg_t **msg_p);

/* Sends REPLY (LEN bytes) to the client of TO: TO's envelope, then REPLY.
 * Never blocks: 0, or RSN_ERR_UNAVAILABLE when the client is gone or its
 * queue is full (the reply is dropped). */
RSN_NODISCARD int rsn_api_server_send(rsn_api_server_t *self, const rsn_api_msg_t *to,
                                      const uint8_t *reply, size_t len);

/* Sends EVENT (LEN bytes) to the client of TO, as rsn_api_server_send, but
 * as a message that answers no request (a subscription's event): with a
 * front, it does not count as the reply its client waits for. */
RSN_NODISCARD int rsn_api_server_push(rsn_api_server_t *self, const rsn_api_msg_t *to,
                                      const uint8_t *event, size_t len);

/* --- the front ---------------------------------------------------------------
 *
 * With a front, the ROUTER is served by a thread of the server's own, so
 * that a client's read is answered while the loop is busy writing (a peer's
 * catch-up, a large batch of publishes). For each request the thread asks
 * ANSWER(ANSWER_CTX, STATE, payload): the front function answers what it can
 * from STATE, the latest state the loop published (rsn_api_server_publish),
 * and passes the rest on to the loop, which receives them as before
 * (rsn_api_server_recv) and replies as before (its replies go through the
 * thread). The order of a client's replies is kept: while a request of a
 * client is with the loop, that client's next requests go to the loop too,
 * behind it. A state is handed over in order with the replies sent before
 * and after it, so a reply the loop sent after publishing a state is
 * delivered after that state serves reads. The front function must not
 * touch the loop's objects, only STATE and what is its own; NOTE (loop side,
 * inside rsn_api_server_recv) is told what the front answered (bytes the
 * front function wrote, at most RSN_API_NOTE_MAX), and UNDELIVERED (loop
 * side) of a push that could not be queued to its client (gone or not
 * reading), with the client's envelope. */

#define RSN_API_NOTE_MAX 64

/* Front thread: 1 when it answered (*REPLY malloc'd, *REPLY_LEN bytes; the
 * server frees it; *NOTE_LEN bytes of NOTE for the loop), 0 to pass the
 * request to the loop. STATE may be NULL (nothing published yet). */
typedef int (*rsn_api_answer_fn)(void *ctx, void *state, const uint8_t *payload, size_t len,
                                 uint8_t **reply, size_t *reply_len, uint8_t *note,
                                 size_t *note_len);

typedef struct {
    rsn_api_answer_fn answer;        /* front thread */
    void *answer_ctx;                /* what it reads besides STATE: immutable */
    void (*state_free)(void *state); /* front thread, or the destroy */
    void (*note)(void *ctx, const uint8_t *note, size_t len); /* loop side; NULL: none */
    void (*undelivered)(void *ctx, const rsn_api_msg_t *to);  /* loop side; NULL: none */
    void *loop_ctx;                                           /* for NOTE and UNDELIVERED */
} rsn_api_front_t;

/* Starts the front thread of SELF, which must not be attached yet. Then
 * rsn_api_server_wait, _recv, _send, _push and _attach work on the thread's
 * channel; _send and _push wait while that channel is full (the thread
 * drains it), and a push the client does not take is told to UNDELIVERED. 0,
 * RSN_ERR_INVALID_ARG (attached, or a front runs), RSN_ERR_IO (logged). */
RSN_NODISCARD int rsn_api_server_start_front(rsn_api_server_t *self, const rsn_api_front_t *front);

/* Hands STATE to the front thread, which answers from it from now on and
 * frees the one before (FRONT's state_free); STATE NULL: the thread answers
 * nothing itself until the next state (what the loop sends when it could
 * not take one). Waits for room on the channel, as replies do, so the
 * replies sent after it find it there. Takes STATE, also on failure
 * (freed). 0, RSN_ERR_INVALID_ARG (no front: STATE is not taken),
 * RSN_ERR_UNAVAILABLE (the channel failed; logged). */
RSN_NODISCARD int rsn_api_server_publish(rsn_api_server_t *self, void *state);

#endif
