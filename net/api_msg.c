/* api_msg.c — the API socket's messages, as the server and its front read
 * and write them: a request's envelope frames and payload (rsn_api_msg_t),
 * and sends that never block. Private helpers are declared in
 * net/api_server_int.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "common/log.h"
#include "net/api_server_int.h"

static rsn_api_msg_t *msg_new(void)
{
    rsn_api_msg_t *msg = calloc(1, sizeof *msg);
    if (msg != NULL) {
        zmq_msg_init(&msg->payload);
    }
    return msg;
}

int rsn_api_recv_msg(void *socket, rsn_api_msg_t **msg_p)
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
    if (zmq_msg_recv(&frame, socket, ZMQ_DONTWAIT) < 0) {
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
        if (zmq_msg_recv(&frame, socket, ZMQ_DONTWAIT) < 0) {
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

int rsn_api_send_frame(void *socket, const void *data, size_t len, int flags)
{
    if (zmq_send(socket, data, len, flags | ZMQ_DONTWAIT) >= 0) {
        return 0;
    }
    if (errno != EHOSTUNREACH && errno != EAGAIN) {
        rsn_warn("sending on the API socket failed: %s", zmq_strerror(errno));
    }
    return RSN_ERR_UNAVAILABLE;
}

int rsn_api_send_to(void *socket, char tag, const rsn_api_msg_t *to, const uint8_t *data,
                    size_t len)
{
    if (to->envelope_count == 0) {
        return RSN_ERR_INVALID_ARG;
    }
    if (tag && rsn_api_send_frame(socket, &tag, 1, ZMQ_SNDMORE) != 0) {
        return RSN_ERR_UNAVAILABLE;
    }
    for (size_t i = 0; i < to->envelope_count; i++) {
        zmq_msg_t *frame = (zmq_msg_t *)&to->envelope[i];
        int rc = rsn_api_send_frame(socket, zmq_msg_data(frame), zmq_msg_size(frame), ZMQ_SNDMORE);
        if (rc != 0) {
            /* Only the first frame can fail: ROUTER (and PAIR) take the
             * rest of a message once its first frame is accepted. */
            return rc;
        }
    }
    return rsn_api_send_frame(socket, len > 0 ? (const void *)data : "", len, 0);
}

int rsn_api_send_channel(void *socket, char tag, const rsn_api_msg_t *to, const uint8_t *data,
                         size_t len)
{
    if (to->envelope_count == 0) {
        return RSN_ERR_INVALID_ARG;
    }
    /* the first frame waits for room; a multipart message's later frames
     * are taken at once */
    while (zmq_send(socket, &tag, 1, ZMQ_SNDMORE) < 0) {
        if (errno != EINTR) {
            rsn_warn("api: the front's channel failed: %s", zmq_strerror(errno));
            return RSN_ERR_UNAVAILABLE;
        }
    }
    for (size_t i = 0; i < to->envelope_count; i++) {
        zmq_msg_t *frame = (zmq_msg_t *)&to->envelope[i];
        (void)rsn_api_send_frame(socket, zmq_msg_data(frame), zmq_msg_size(frame), ZMQ_SNDMORE);
    }
    return rsn_api_send_frame(socket, len > 0 ? (const void *)data : "", len, 0);
}
