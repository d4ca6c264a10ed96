/* api_server.c — the node's local client API socket, over libzmq.
 *
 * One ROUTER socket bound on ipc://PATH, in a ZeroMQ context of its own (each
 * server object owns its context, so the module holds no global state and a
 * test can run several servers). The socket is bounded: frames over
 * RSN_API_MAX_MESSAGE are refused by libzmq (ZMQ_MAXMSGSIZE, the sender is
 * disconnected), at most RSN_API_MAX_ENVELOPE envelope frames are kept per
 * request, and sends never block: ZMQ_ROUTER_MANDATORY makes a reply to a
 * client that is gone, or whose queue is full, fail at once instead of being
 * dropped silently, so the node can count it. */
#include "net/api_server.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "net/zsock.h"
#include "common/log.h"

/* Messages queued per client, each way, before a client counts as slow. */
#define API_HWM 10000

struct rsn_api_server {
    void *context;
    void *socket;
    char *path;
    rsn_poller_t *poller; /* attached to, or NULL */
    int watch;            /* its poller id */
    rsn_ready_fn ready;
    void *ready_ctx;
};

/* A request: its envelope frames, then its payload (empty in an envelope
 * copy, or when the message had no frame after the routing id). */
struct rsn_api_msg {
    zmq_msg_t envelope[RSN_API_MAX_ENVELOPE];
    size_t envelope_count;
    zmq_msg_t payload;
};

int rsn_api_server_bind(rsn_api_server_t **out, const char *path)
{
    int rc = RSN_ERR_IO;
    rsn_api_server_t *self = NULL;
    char endpoint[RSN_IPC_ENDPOINT_SIZE];

    *out = NULL;
    if ((rc = rsn_zsock_ipc_endpoint(path, endpoint)) != 0) {
        return rc;
    }
    rc = RSN_ERR_IO;
    self = calloc(1, sizeof *self);
    if (self == NULL || (self->path = strdup(path)) == NULL) {
        rc = RSN_ERR_NOMEM;
        goto out;
    }

    self->context = zmq_ctx_new();
    if (self->context == NULL) {
        rsn_error("cannot create a ZeroMQ context: %s", zmq_strerror(errno));
        goto out;
    }
    if (rsn_zsock_new(self->context, ZMQ_ROUTER, RSN_API_MAX_MESSAGE, 0, API_HWM,
                      "the API socket", &self->socket) != 0) {
        goto out;
    }
    if (rsn_zsock_set_int(self->socket, ZMQ_ROUTER_MANDATORY, 1) != 0) {
        rsn_error("cannot configure the API socket: %s", zmq_strerror(errno));
        goto out;
    }
    /* libzmq removes a stale socket file left by an earlier run before it
     * binds; the node holds its database lock first, so no live node's
     * socket is taken over. */
    if (zmq_bind(self->socket, endpoint) != 0) {
        rsn_error("cannot bind the API socket %s: %s", endpoint, zmq_strerror(errno));
        goto out;
    }
    if (chmod(path, 0600) != 0) {
        rsn_error("cannot restrict the API socket %s to its owner: %s", path, strerror(errno));
        (void)unlink(path);
        goto out;
    }
    *out = self;
    self = NULL;
    rc = 0;
out:
    if (self != NULL) {
        if (self->socket != NULL) {
            zmq_close(self->socket);
        }
        if (self->context != NULL) {
            zmq_ctx_term(self->context);
        }
        free(self->path);
        free(self);
    }
    return rc;
}

void rsn_api_server_destroy(rsn_api_server_t **self_p)
{
    if (self_p == NULL || *self_p == NULL) {
        return;
    }
    rsn_api_server_t *self = *self_p;
    rsn_api_server_detach(self);
    zmq_close(self->socket);
    zmq_ctx_term(self->context);
    (void)unlink(self->path);
    free(self->path);
    free(self);
    *self_p = NULL;
}

static void on_readable(rsn_poller_t *poller, int id, int events, void *ctx)
{
    rsn_api_server_t *self = ctx;
    (void)poller;
    (void)id;
    (void)events;
    self->ready(self->ready_ctx);
}

int rsn_api_server_attach(rsn_api_server_t *self, rsn_poller_t *poller, rsn_ready_fn ready,
                          void *ctx)
{
    if (poller == NULL || ready == NULL || self->poller != NULL) {
        return RSN_ERR_INVALID_ARG;
    }
    int rc = rsn_poller_add_socket(poller, self->socket, RSN_POLLER_READABLE, on_readable, self,
                                   &self->watch);
    if (rc == 0) {
        self->poller = poller;
        self->ready = ready;
        self->ready_ctx = ctx;
    }
    return rc;
}

void rsn_api_server_detach(rsn_api_server_t *self)
{
    if (self == NULL || self->poller == NULL) {
        return;
    }
    (void)rsn_poller_remove(self->poller, self->watch);
    self->poller = NULL;
    self->watch = 0;
    self->ready = NULL;
    self->ready_ctx = NULL;
}

int rsn_api_server_wait(rsn_api_server_t *self, int timeout_ms)
{
    zmq_pollitem_t item = {.socket = self->socket, .events = ZMQ_POLLIN};
    int ready = zmq_poll(&item, 1, timeout_ms < 0 ? -1 : timeout_ms);
    if (ready < 0) {
        if (errno == EINTR) {
            return RSN_ERR_INTERRUPTED;
        }
        rsn_error("waiting on the API socket failed: %s", zmq_strerror(errno));
        return RSN_ERR_INTERNAL;
    }
    return ready > 0 && (item.revents & ZMQ_POLLIN) ? 0 : RSN_ERR_TIMEOUT;
}

static rsn_api_msg_t *msg_new(void)
{
    rsn_api_msg_t *msg = calloc(1, sizeof *msg);
    if (msg != NULL) {
        zmq_msg_init(&msg->payload);
    }
    return msg;
}

int rsn_api_server_recv(rsn_api_server_t *self, rsn_api_msg_t **msg_p)
{
    int rc = 0;
    rsn_api_msg_t *msg = NULL;
    zmq_msg_t frame;
    bool more = false;
    /* Frames received so far; at most RSN_API_MAX_ENVELOPE of them before
     * the payload are kept, the rest of a longer message is read and dropped
     * so the next request starts clean. */
    size_t frames = 0;

    *msg_p = NULL;
    zmq_msg_init(&frame);
    if (zmq_msg_recv(&frame, self->socket, ZMQ_DONTWAIT) < 0) {
        rc = errno == EAGAIN  ? RSN_ERR_AGAIN
             : errno == EINTR ? RSN_ERR_INTERRUPTED
                              : RSN_ERR_INTERNAL;
        if (rc == RSN_ERR_INTERNAL) {
            rsn_error("reading the API socket failed: %s", zmq_strerror(errno));
        }
        zmq_msg_close(&frame);
        return rc;
    }
    msg = msg_new();
    if (msg == NULL) {
        rc = RSN_ERR_NOMEM;
    }
    for (;;) {
        frames++;
        /* A multipart message arrives whole, so its later frames are there. */
        more = zmq_msg_more(&frame);
        if (rc == 0 && !more) {
            /* The last frame is the payload; with one frame alone, that frame
             * is the routing id and the payload is empty. */
            if (frames == 1) {
                zmq_msg_init(&msg->envelope[0]);
                zmq_msg_move(&msg->envelope[0], &frame);
                msg->envelope_count = 1;
            } else {
                zmq_msg_move(&msg->payload, &frame);
            }
        } else if (rc == 0 && msg->envelope_count < RSN_API_MAX_ENVELOPE) {
            zmq_msg_init(&msg->envelope[msg->envelope_count]);
            zmq_msg_move(&msg->envelope[msg->envelope_count], &frame);
            msg->envelope_count++;
        } else if (rc == 0) {
            rsn_warn("dropped an API request with more than %d envelope frames",
                     RSN_API_MAX_ENVELOPE);
            rc = RSN_ERR_BAD_REQUEST;
        }
        if (!more) {
            break;
        }
        zmq_msg_close(&frame);
        zmq_msg_init(&frame);
        if (zmq_msg_recv(&frame, self->socket, ZMQ_DONTWAIT) < 0) {
            /* Cannot happen for an atomic multipart message: our bug or
             * libzmq's. Drop what was read. */
            rsn_error("an API request ended early: %s", zmq_strerror(errno));
            rc = RSN_ERR_INTERNAL;
            break;
        }
    }
    zmq_msg_close(&frame);
    if (rc == 0) {
        *msg_p = msg;
        msg = NULL;
    }
    rsn_api_msg_destroy(&msg);
    return rc;
}

const uint8_t *rsn_api_msg_payload(const rsn_api_msg_t *msg, size_t *len)
{
    /* zmq_msg_data and zmq_msg_size take a non-const message but do not
     * change it. */
    zmq_msg_t *payload = (zmq_msg_t *)&msg->payload;
    *len = zmq_msg_size(payload);
    return zmq_msg_data(payload);
}

rsn_api_msg_t *rsn_api_msg_envelope_copy(const rsn_api_msg_t *msg)
{
    rsn_api_msg_t *copy = msg_new();
    if (copy == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < msg->envelope_count; i++) {
        zmq_msg_t *frame = (zmq_msg_t *)&msg->envelope[i];
        size_t size = zmq_msg_size(frame);
        if (zmq_msg_init_size(&copy->envelope[i], size) != 0) {
            rsn_api_msg_destroy(&copy);
            return NULL;
        }
        copy->envelope_count++;
        if (size > 0) {
            memcpy(zmq_msg_data(&copy->envelope[i]), zmq_msg_data(frame), size);
        }
    }
    return copy;
}

bool rsn_api_msg_same_client(const rsn_api_msg_t *a, const rsn_api_msg_t *b)
{
    if (a->envelope_count == 0 || b->envelope_count == 0) {
        return false;
    }
    zmq_msg_t *id_a = (zmq_msg_t *)&a->envelope[0];
    zmq_msg_t *id_b = (zmq_msg_t *)&b->envelope[0];
    size_t size = zmq_msg_size(id_a);
    return size == zmq_msg_size(id_b) &&
           (size == 0 || memcmp(zmq_msg_data(id_a), zmq_msg_data(id_b), size) == 0);
}

void rsn_api_msg_destroy(rsn_api_msg_t **msg_p)
{
    if (msg_p == NULL || *msg_p == NULL) {
        return;
    }
    rsn_api_msg_t *msg = *msg_p;
    for (size_t i = 0; i < msg->envelope_count; i++) {
        zmq_msg_close(&msg->envelope[i]);
    }
    zmq_msg_close(&msg->payload);
    free(msg);
    *msg_p = NULL;
}

/* Sends one frame without blocking; RSN_ERR_UNAVAILABLE when the client is
 * gone (EHOSTUNREACH) or its queue is full (EAGAIN). */
static int send_frame(void *socket, const void *data, size_t len, int flags)
{
    if (zmq_send(socket, data, len, flags | ZMQ_DONTWAIT) >= 0) {
        return 0;
    }
    if (errno != EHOSTUNREACH && errno != EAGAIN) {
        rsn_warn("sending on the API socket failed: %s", zmq_strerror(errno));
    }
    return RSN_ERR_UNAVAILABLE;
}

int rsn_api_server_send(rsn_api_server_t *self, const rsn_api_msg_t *to, const uint8_t *reply,
                        size_t len)
{
    if (to->envelope_count == 0) {
        return RSN_ERR_INVALID_ARG;
    }
    for (size_t i = 0; i < to->envelope_count; i++) {
        zmq_msg_t *frame = (zmq_msg_t *)&to->envelope[i];
        int rc = send_frame(self->socket, zmq_msg_data(frame), zmq_msg_size(frame), ZMQ_SNDMORE);
        if (rc != 0) {
            /* Only the routing id can fail: ROUTER takes the rest of a
             * message once its first frame is accepted. */
            return rc;
        }
    }
    return send_frame(self->socket, len > 0 ? (const void *)reply : "", len, 0);
}
