/* api_server_int.h — what net/api_server.c and net/api_front.c share
 * (private to net/): the server's fields, the request's frames, the tags of
 * the front's channel, and the frame helpers both ends use. */
#ifndef RSN_API_SERVER_INT_H
#define RSN_API_SERVER_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zmq.h>

#include "net/api_server.h"

/* Messages queued per client, each way, before a client counts as slow; the
 * front's channel is made with the same high-water mark on both ends (over
 * inproc libzmq adds the two: about 20,000 messages each way). */
#define API_HWM 10000

/* Notes the front keeps before it sends them as one message: at most once
 * per turn of its poll, so notes never fill the channel the requests need. */
#define RSN_API_NOTES_BUF (64 * (1 + RSN_API_NOTE_MAX))

/* A client with requests at the loop, as the front thread counts them. */
typedef struct {
    uint8_t id[255]; /* its routing id */
    uint8_t id_len;
    uint32_t n;
} pending_t;

struct rsn_api_server {
    void *context;
    void *socket; /* the ROUTER; with a front, its thread's alone */
    void *loop;   /* what the loop reads and writes: the ROUTER, or its end of the channel */
    char *path;
    int lock_fd;          /* PATH.lock, flock-ed for the server's life */
    rsn_poller_t *poller; /* attached to, or NULL */
    int watch;            /* its poller id */
    rsn_ready_fn ready;
    void *ready_ctx;
    /* the front (rsn_api_server_start_front) */
    bool threaded;
    rsn_api_front_t front;
    void *front_end; /* the thread's end of the channel */
    pthread_t thread;
    /* the front thread's own */
    void *state;        /* the latest published */
    pending_t *pending; /* clients with requests at the loop */
    size_t n_pending, cap_pending;
    uint64_t untracked; /* requests at the loop of clients the table had no room for */
    uint8_t notes[RSN_API_NOTES_BUF]; /* notes not yet sent: (length byte, note)... */
    size_t notes_len;
};

/* A request: its envelope frames, then its payload (empty in an envelope
 * copy, or when the message had no frame after the routing id). */
struct rsn_api_msg {
    zmq_msg_t envelope[RSN_API_MAX_ENVELOPE];
    size_t envelope_count;
    zmq_msg_t payload;
};

/* The first frame of a message on the front's channel. */
#define TAG_REQUEST 'F' /* thread -> loop: a request (envelope, payload) */
#define TAG_NOTE 'N'    /* thread -> loop: what the front answered */
#define TAG_LOST 'X'    /* thread -> loop: a push not delivered (envelope) */
#define TAG_REPLY 'R'   /* loop -> thread: the reply to a request */
#define TAG_PUSH 'P'    /* loop -> thread: a message that answers no request */
#define TAG_STATE 'S'   /* loop -> thread: a state (a pointer) */
#define TAG_QUIT 'Q'    /* loop -> thread: stop */

/* Reads one message from SOCKET (the ROUTER, or the rest of a channel
 * message after its tag) as rsn_api_server_recv says. */
int rsn_api_recv_msg(void *socket, rsn_api_msg_t **msg_p);

/* Sends one frame without blocking; RSN_ERR_UNAVAILABLE when the client is
 * gone (EHOSTUNREACH) or its queue is full (EAGAIN). */
int rsn_api_send_frame(void *socket, const void *data, size_t len, int flags);

/* Sends TO's envelope then DATA on SOCKET, after a one-byte TAG frame
 * unless TAG is 0. */
int rsn_api_send_to(void *socket, char tag, const rsn_api_msg_t *to, const uint8_t *data,
                    size_t len);

/* The loop's send on the front's channel: as rsn_api_send_to with TAG, but
 * waiting for room (the front thread always reads its end), so a reply is
 * never lost to another client's burst. 0, or RSN_ERR_UNAVAILABLE when the
 * channel failed (logged). */
int rsn_api_send_channel(void *socket, char tag, const rsn_api_msg_t *to, const uint8_t *data,
                         size_t len);

/* The front's side of rsn_api_server_recv (api_front.c). */
int rsn_api_front_recv(rsn_api_server_t *self, rsn_api_msg_t **msg_p);

/* Stops and joins the front thread; frees the states it did not take. */
void rsn_api_front_stop(rsn_api_server_t *self);

#endif
