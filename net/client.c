/* client.c — the C client library of the local API, over libzmq.
 *
 * A DEALER socket connected to ipc://PATH, in a ZeroMQ context of its own.
 * Each request goes out as two frames, an empty delimiter then the packed
 * ApiRequest, so the node's ROUTER sees the same envelope as from a REQ
 * socket. Request ids count up from 1 per connection: replies are matched by
 * id only within one connection. Before connecting, the socket file is
 * checked (and probed with a plain connect(2)) so that "no node is running"
 * is told at once rather than by a timeout: libzmq itself would wait and
 * reconnect forever. ZMQ_IMMEDIATE is left off on purpose, so a request sent
 * before the connection completes is queued, not refused. */
#include "net/client.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "common/log.h"
#include "net/api_server.h"
#include "net/zsock.h"
#include "proto/codec.h"

/* Largest reply frame accepted: pages of hundreds of entries fit. */
#define CLIENT_MAX_MESSAGE (16 * 1024 * 1024)
/* Requests queued before a send waits (or times out). */
#define CLIENT_HWM 10000
/* How long closing may wait to hand over a request sent just before it (a
 * cancel, say); calls wait for their reply anyway. */
#define CLIENT_LINGER_MS 200

struct rsn_client {
    void *context;
    void *socket;
    int timeout_ms;
    uint64_t next_id;
};

/* 0 when something accepts connections on the Unix socket PATH; a socket
 * file left by a node that died refuses them. */
static int probe(const char *path)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    int rc = RSN_ERR_UNAVAILABLE;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        rsn_error("cannot create a Unix socket: %s", strerror(errno));
        return RSN_ERR_IO;
    }
    memcpy(addr.sun_path, path, strlen(path) + 1);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0) {
        rc = 0;
    } else {
        rsn_debug("nothing accepts connections on %s: %s", path, strerror(errno));
    }
    close(fd);
    return rc;
}

int rsn_client_connect(rsn_client_t **out, const char *path, int timeout_ms)
{
    int rc = RSN_ERR_IO;
    rsn_client_t *self = NULL;
    char endpoint[RSN_IPC_ENDPOINT_SIZE];
    struct stat st;

    *out = NULL;
    if ((rc = rsn_zsock_ipc_endpoint(path, endpoint)) != 0) {
        return rc;
    }
    if (stat(path, &st) != 0 || !S_ISSOCK(st.st_mode)) {
        rsn_debug("no socket file at %s", path);
        return RSN_ERR_UNAVAILABLE;
    }
    rc = probe(path);
    if (rc != 0) {
        return rc;
    }
    rc = RSN_ERR_IO;

    self = calloc(1, sizeof *self);
    if (self == NULL) {
        rc = RSN_ERR_NOMEM;
        goto out;
    }
    self->timeout_ms = timeout_ms < 0 ? -1 : timeout_ms;
    self->next_id = 1;
    self->context = zmq_ctx_new();
    if (self->context == NULL) {
        rsn_error("cannot create a ZeroMQ context: %s", zmq_strerror(errno));
        goto out;
    }
    if (rsn_zsock_new(self->context, ZMQ_DEALER, CLIENT_MAX_MESSAGE, CLIENT_LINGER_MS, CLIENT_HWM,
                      "the client socket", &self->socket) != 0) {
        goto out;
    }
    if (rsn_zsock_set_int(self->socket, ZMQ_SNDTIMEO, self->timeout_ms) != 0) {
        rsn_error("cannot configure the client socket: %s", zmq_strerror(errno));
        goto out;
    }
    if (zmq_connect(self->socket, endpoint) != 0) {
        rsn_error("cannot connect to %s: %s", endpoint, zmq_strerror(errno));
        goto out;
    }
    *out = self;
    self = NULL;
    rc = 0;
out:
    rsn_client_destroy(&self);
    return rc;
}

void rsn_client_destroy(rsn_client_t **self_p)
{
    if (self_p == NULL || *self_p == NULL) {
        return;
    }
    rsn_client_t *self = *self_p;
    if (self->socket != NULL) {
        zmq_close(self->socket);
    }
    if (self->context != NULL) {
        zmq_ctx_term(self->context);
    }
    free(self);
    *self_p = NULL;
}

/* Sends the empty delimiter, then PAYLOAD (consumed, even on failure). */
static int send_request(rsn_client_t *self, zmq_msg_t *payload)
{
    int rc = 0;
    if (zmq_send(self->socket, "", 0, ZMQ_SNDMORE) < 0 ||
        zmq_msg_send(payload, self->socket, 0) < 0) {
        /* A multipart message is queued whole or not at all: a failure can
         * only come at the first frame (queue full past the timeout). */
        rc = errno == EINTR ? RSN_ERR_INTERRUPTED : RSN_ERR_UNAVAILABLE;
        if (errno != EAGAIN && errno != EINTR) {
            rsn_warn("sending a request failed: %s", zmq_strerror(errno));
        }
    }
    zmq_msg_close(payload);
    return rc;
}

int rsn_client_send(rsn_client_t *self, Raison__ApiRequest *req, uint64_t *id)
{
    zmq_msg_t payload;

    req->request_id = self->next_id++;
    if (id != NULL) {
        *id = req->request_id;
    }
    size_t len = raison__api_request__get_packed_size(req);
    if (len > RSN_API_MAX_MESSAGE) {
        /* The node would drop it and disconnect us: say so now. */
        rsn_warn("a request of %zu bytes is over the limit of %d", len, RSN_API_MAX_MESSAGE);
        return RSN_ERR_TOO_LARGE;
    }
    if (zmq_msg_init_size(&payload, len) != 0) {
        return RSN_ERR_NOMEM;
    }
    size_t packed = raison__api_request__pack(req, zmq_msg_data(&payload));
    if (packed != len) {
        zmq_msg_close(&payload);
        rsn_error("a request packed to %zu bytes, not %zu", packed, len);
        return RSN_ERR_INTERNAL;
    }
    return send_request(self, &payload);
}

int rsn_client_send_raw(rsn_client_t *self, const uint8_t *payload, size_t len)
{
    zmq_msg_t frame;
    if (zmq_msg_init_size(&frame, len) != 0) {
        return RSN_ERR_NOMEM;
    }
    if (len > 0) {
        memcpy(zmq_msg_data(&frame), payload, len);
    }
    return send_request(self, &frame);
}

int rsn_client_recv(rsn_client_t *self, Raison__ApiReply **reply)
{
    return rsn_client_recv_timeout(self, reply, self->timeout_ms);
}

int rsn_client_recv_timeout(rsn_client_t *self, Raison__ApiReply **reply, int timeout_ms)
{
    int rc = 0;
    zmq_msg_t frame;

    *reply = NULL;
    zmq_pollitem_t item = {.socket = self->socket, .events = ZMQ_POLLIN};
    int ready = zmq_poll(&item, 1, timeout_ms < 0 ? -1 : timeout_ms);
    if (ready < 0) {
        if (errno == EINTR) {
            return RSN_ERR_INTERRUPTED;
        }
        rsn_error("waiting for a reply failed: %s", zmq_strerror(errno));
        return RSN_ERR_INTERNAL;
    }
    if (ready == 0 || !(item.revents & ZMQ_POLLIN)) {
        return RSN_ERR_TIMEOUT;
    }
    /* The payload is the last frame: an empty delimiter before it, or none,
     * and any other frame before it, are skipped. */
    zmq_msg_init(&frame);
    for (;;) {
        if (zmq_msg_recv(&frame, self->socket, ZMQ_DONTWAIT) < 0) {
            rc = errno == EAGAIN ? RSN_ERR_TIMEOUT : RSN_ERR_INTERNAL;
            if (rc == RSN_ERR_INTERNAL) {
                rsn_error("reading a reply failed: %s", zmq_strerror(errno));
            }
            goto out;
        }
        if (!zmq_msg_more(&frame)) {
            break;
        }
    }
    rc = rsn_reply_decode(NULL, zmq_msg_data(&frame), zmq_msg_size(&frame), reply);
    if (rc != 0) {
        rsn_warn("a reply of %zu bytes does not decode", zmq_msg_size(&frame));
        rc = RSN_ERR_BAD_REQUEST;
    }
out:
    zmq_msg_close(&frame);
    return rc;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int rsn_client_call(rsn_client_t *self, Raison__ApiRequest *req, Raison__ApiReply **reply)
{
    uint64_t id = 0;

    *reply = NULL;
    int64_t deadline = self->timeout_ms < 0 ? -1 : now_ms() + self->timeout_ms;
    int rc = rsn_client_send(self, req, &id);
    if (rc != 0) {
        return rc;
    }
    for (;;) {
        int wait_ms = -1;
        if (deadline >= 0) {
            int64_t left = deadline - now_ms();
            wait_ms = left > 0 ? (int)left : 0;
        }
        Raison__ApiReply *got = NULL;
        rc = rsn_client_recv_timeout(self, &got, wait_ms);
        if (rc != 0) {
            return rc;
        }
        if (got->request_id == id) {
            *reply = got;
            return 0;
        }
        /* A late reply to an earlier request that was given up on. */
        rsn_reply_free(got);
    }
}

int rsn_client_watch(rsn_client_t *self, rsn_poller_t *poller, rsn_poller_io_fn fn, void *ctx,
                     int *id)
{
    return rsn_poller_add_socket(poller, self->socket, RSN_POLLER_READABLE, fn, ctx, id);
}
