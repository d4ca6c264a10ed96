/* api_front.c — the API server's front thread (net/api_server.h).
 *
 * With a front (rsn_api_server_start_front), the ROUTER belongs to a thread
 * of its own, "raisond-api", linked to the loop by a PAIR pair over inproc
 * in the server's context. Every message on that channel starts with a
 * one-byte tag frame: the thread sends the loop requests (F) and notes (N,
 * what it answered itself) and the pushes its clients did not take (X); the
 * loop sends replies (R), pushes (P), states (S, a pointer whose ownership
 * moves with the message) and stop (Q). The thread keeps, per client, how
 * many of its requests are at the loop (by routing id), and answers a
 * client's request itself only when none is: so replies keep each client's
 * order. States and replies share the channel, so their order is kept too.
 * The thread touches nothing but its sockets, its table and the states. */
#define _GNU_SOURCE /* pthread_setname_np */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <zmq.h>

#include "common/log.h"
#include "common/thread.h"
#include "net/api_server_int.h"
#include "net/zsock.h"

/* Clients whose requests at the loop the front thread follows; past it the
 * front answers nothing itself until the loop answered them all. */
#define FRONT_PENDING_MAX 4096
#define FRONT_NICE 5 /* the front thread's nice below the process's, where allowed */

int rsn_api_front_recv(rsn_api_server_t *self, rsn_api_msg_t **msg_p)
{
    *msg_p = NULL;
    for (;;) {
        /* the channel's messages: a request, or a note to hand on first */
        char tag = 0;
        if (zmq_recv(self->loop, &tag, 1, ZMQ_DONTWAIT) < 0) {
            return errno == EAGAIN  ? RSN_ERR_AGAIN
                   : errno == EINTR ? RSN_ERR_INTERRUPTED
                                    : RSN_ERR_INTERNAL;
        }
        if (tag == TAG_REQUEST) {
            return rsn_api_recv_msg(self->loop, msg_p);
        }
        rsn_api_msg_t *m = NULL;
        if (rsn_api_recv_msg(self->loop, &m) != 0) {
            continue;
        }
        if (tag == TAG_NOTE && self->front.note) {
            /* one frame (recv_msg took it as the envelope) of records: a
             * length byte, then that many bytes of a note */
            zmq_msg_t *f = &m->envelope[0];
            const uint8_t *p = zmq_msg_data(f);
            size_t left = zmq_msg_size(f);
            while (left > 0 && (size_t)p[0] + 1 <= left) {
                self->front.note(self->front.loop_ctx, p + 1, p[0]);
                left -= (size_t)p[0] + 1;
                p += (size_t)p[0] + 1;
            }
        } else if (tag == TAG_LOST && self->front.undelivered) {
            self->front.undelivered(self->front.loop_ctx, m);
        }
        rsn_api_msg_destroy(&m);
    }
}

/* The pending entry of the client of MSG, or NULL. */
static pending_t *pending_find(rsn_api_server_t *self, const rsn_api_msg_t *msg)
{
    if (msg->envelope_count == 0) {
        return NULL;
    }
    zmq_msg_t *id = (zmq_msg_t *)&msg->envelope[0];
    size_t len = zmq_msg_size(id);
    for (size_t i = 0; i < self->n_pending; i++) {
        pending_t *p = &self->pending[i];
        if (p->id_len == len && memcmp(p->id, zmq_msg_data(id), len) == 0) {
            return p;
        }
    }
    return NULL;
}

/* Counts a request of MSG's client passed to the loop. */
static void pending_add(rsn_api_server_t *self, const rsn_api_msg_t *msg)
{
    pending_t *p = pending_find(self, msg);
    if (p) {
        p->n++;
        return;
    }
    size_t len = msg->envelope_count ? zmq_msg_size((zmq_msg_t *)&msg->envelope[0]) : 0;
    if (len == 0 || len > sizeof p->id || self->n_pending == FRONT_PENDING_MAX) {
        self->untracked++;
        return;
    }
    if (self->n_pending == self->cap_pending) {
        size_t cap = self->cap_pending ? self->cap_pending * 2 : 16;
        pending_t *grown = realloc(self->pending, cap * sizeof *grown);
        if (!grown) {
            self->untracked++;
            return;
        }
        self->pending = grown;
        self->cap_pending = cap;
    }
    p = &self->pending[self->n_pending++];
    p->id_len = (uint8_t)len;
    memcpy(p->id, zmq_msg_data((zmq_msg_t *)&msg->envelope[0]), len);
    p->n = 1;
}

/* Counts the loop's reply to a request of MSG's client. */
static void pending_done(rsn_api_server_t *self, const rsn_api_msg_t *msg)
{
    pending_t *p = pending_find(self, msg);
    if (!p) {
        if (self->untracked > 0) {
            self->untracked--;
        }
        return;
    }
    if (--p->n == 0) {
        *p = self->pending[--self->n_pending];
    }
}

/* True when a message to the loop can be queued now (the thread is the
 * channel's only writer at its end: then the next send succeeds). */
static bool channel_has_room(rsn_api_server_t *self)
{
    int events = 0;
    size_t size = sizeof events;
    return zmq_getsockopt(self->front_end, ZMQ_EVENTS, &events, &size) == 0 &&
           (events & ZMQ_POLLOUT);
}

/* Sends the notes kept so far as one message (dropped when the channel has
 * no room: the metrics then undercount, nothing else depends on them). */
static void notes_flush(rsn_api_server_t *self)
{
    if (self->notes_len == 0) {
        return;
    }
    char tag = TAG_NOTE;
    if (rsn_api_send_frame(self->front_end, &tag, 1, ZMQ_SNDMORE) == 0) {
        (void)rsn_api_send_frame(self->front_end, self->notes, self->notes_len, 0);
    }
    self->notes_len = 0;
}

/* A request from the ROUTER: answered here, or passed to the loop. */
static void front_request(rsn_api_server_t *self, rsn_api_msg_t *msg)
{
    if (self->state && self->untracked == 0 && !pending_find(self, msg)) {
        size_t len = 0;
        const uint8_t *payload = rsn_api_msg_payload(msg, &len);
        uint8_t *reply = NULL, note[RSN_API_NOTE_MAX];
        size_t reply_len = 0, note_len = 0;
        if (self->front.answer(self->front.answer_ctx, self->state, payload, len, &reply,
                               &reply_len, note, &note_len) == 1) {
            if (rsn_api_send_to(self->socket, 0, msg, reply, reply_len) != 0) {
                rsn_debug("api: a client left before its reply");
            }
            free(reply);
            if (note_len > 0 && note_len <= RSN_API_NOTE_MAX) {
                if (self->notes_len + 1 + note_len > sizeof self->notes) {
                    notes_flush(self);
                }
                self->notes[self->notes_len++] = (uint8_t)note_len;
                memcpy(self->notes + self->notes_len, note, note_len);
                self->notes_len += note_len;
            }
            return;
        }
    }
    zmq_msg_t *payload = &msg->payload;
    if (rsn_api_send_to(self->front_end, TAG_REQUEST, msg, zmq_msg_data(payload),
                        zmq_msg_size(payload)) != 0) {
        rsn_warn("api: the loop has %d requests unread; one is dropped", API_HWM);
        return;
    }
    pending_add(self, msg);
}

/* A message from the loop; false when it says stop. */
static bool front_from_loop(rsn_api_server_t *self)
{
    char tag = 0;
    if (zmq_recv(self->front_end, &tag, 1, ZMQ_DONTWAIT) < 0) {
        return true;
    }
    if (tag == TAG_QUIT) {
        return false;
    }
    if (tag == TAG_STATE) {
        /* NULL: no state to answer from, everything goes to the loop */
        void *state = NULL;
        if (zmq_recv(self->front_end, &state, sizeof state, 0) == (int)sizeof state) {
            if (self->state) {
                self->front.state_free(self->state);
            }
            self->state = state;
        }
        return true;
    }
    rsn_api_msg_t *m = NULL;
    if (rsn_api_recv_msg(self->front_end, &m) != 0) {
        return true;
    }
    zmq_msg_t *payload = &m->payload;
    if (rsn_api_send_to(self->socket, 0, m, zmq_msg_data(payload), zmq_msg_size(payload)) != 0) {
        if (tag == TAG_PUSH) {
            /* not taken: the loop ends what pushes to that client */
            (void)rsn_api_send_to(self->front_end, TAG_LOST, m, NULL, 0);
        } else {
            rsn_debug("api: a client left before its reply");
        }
    }
    if (tag == TAG_REPLY) {
        pending_done(self, m);
    }
    rsn_api_msg_destroy(&m);
    return true;
}

/* A read should not wait for bulk work (the loop's writes, a peer's
 * signatures on every core): the front thread asks to be FRONT_NICE nicer
 * levels ahead of the rest of the process. Linux grants it to a process
 * with CAP_SYS_NICE or an RLIMIT_NICE that allows it (systemd's LimitNICE=,
 * packaging/raisond.service); otherwise the thread keeps the process's. */
static void front_priority(void)
{
    errno = 0;
    int nice = getpriority(PRIO_PROCESS, 0); /* this thread's, on Linux */
    if (errno != 0 || nice - FRONT_NICE < -20) {
        return;
    }
    if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), nice - FRONT_NICE) == 0) {
        rsn_debug("api: the front thread runs at nice %d", nice - FRONT_NICE);
    } else {
        rsn_debug("api: the front thread stays at nice %d (%s)", nice, strerror(errno));
    }
}

/* The front thread: the ROUTER and the loop's messages, until told to stop. */
static void *front_main(void *arg)
{
    rsn_api_server_t *self = arg;
    pthread_setname_np(pthread_self(), "raisond-api"); /* as top -H and gdb show it */
    front_priority();
    zmq_pollitem_t items[2] = {{.socket = self->front_end, .events = ZMQ_POLLIN},
                               {.socket = self->socket, .events = ZMQ_POLLIN}};
    for (;;) {
        /* while the loop has API_HWM requests unread, the ROUTER is not read:
         * its clients' queues fill and ZeroMQ holds them back, as without a
         * front, rather than the thread dropping what it cannot pass on */
        bool room = channel_has_room(self);
        items[0].events = room ? ZMQ_POLLIN : ZMQ_POLLIN | ZMQ_POLLOUT;
        items[1].events = room ? ZMQ_POLLIN : 0;
        if (zmq_poll(items, 2, -1) < 0) {
            if (errno == ETERM) {
                break;
            }
            if (errno != EINTR) {
                /* the API must not go silent: logged, and polled again */
                rsn_error("api front: waiting failed: %s", zmq_strerror(errno));
            }
            continue;
        }
        /* the loop's messages first: a state, and the replies sent after it */
        for (int i = 0; i < 256 && (items[0].revents & ZMQ_POLLIN); i++) {
            int events = 0;
            size_t size = sizeof events;
            if (!front_from_loop(self)) {
                goto out;
            }
            if (zmq_getsockopt(self->front_end, ZMQ_EVENTS, &events, &size) != 0 ||
                !(events & ZMQ_POLLIN)) {
                break;
            }
        }
        for (int i = 0; i < 256 && (items[1].revents & ZMQ_POLLIN) && channel_has_room(self); i++) {
            rsn_api_msg_t *msg = NULL;
            int rc = rsn_api_recv_msg(self->socket, &msg);
            if (rc == RSN_ERR_AGAIN) {
                break;
            }
            if (rc == 0) {
                front_request(self, msg);
                rsn_api_msg_destroy(&msg);
            }
        }
        notes_flush(self); /* one message per turn at most */
    }
out:
    if (self->state) {
        self->front.state_free(self->state);
        self->state = NULL;
    }
    return NULL;
}

int rsn_api_server_start_front(rsn_api_server_t *self, const rsn_api_front_t *front)
{
    if (self->poller || self->threaded || !front->answer || !front->state_free) {
        return RSN_ERR_INVALID_ARG;
    }
    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "inproc://rsn-api-front-%p", (void *)self);
    void *loop = NULL, *end = NULL;
    if (rsn_zsock_new(self->context, ZMQ_PAIR, -1, 0, API_HWM, "the API loop's channel", &loop) !=
            0 ||
        rsn_zsock_new(self->context, ZMQ_PAIR, -1, 0, API_HWM, "the API front's channel", &end) !=
            0 ||
        zmq_bind(loop, endpoint) != 0 || zmq_connect(end, endpoint) != 0) {
        rsn_error("api: cannot link the front thread: %s", zmq_strerror(errno));
        goto fail;
    }
    self->front = *front;
    self->front_end = end;
    self->loop = loop;
    /* the thread blocks every signal: they are the main thread's */
    int err = rsn_thread_start(&self->thread, front_main, self);
    if (err != 0) {
        rsn_error("api: cannot start the front thread: %s", strerror(err));
        self->loop = self->socket;
        self->front_end = NULL;
        goto fail;
    }
    self->threaded = true;
    return 0;
fail:
    if (loop) {
        zmq_close(loop);
    }
    if (end) {
        zmq_close(end);
    }
    return RSN_ERR_IO;
}

int rsn_api_server_publish(rsn_api_server_t *self, void *state)
{
    if (!self->threaded) {
        return RSN_ERR_INVALID_ARG;
    }
    char tag = TAG_STATE;
    /* waits for room, as replies do: the acks after it must find it there */
    while (zmq_send(self->loop, &tag, 1, ZMQ_SNDMORE) < 0) {
        if (errno != EINTR) {
            rsn_warn("api: the front's channel failed: %s", zmq_strerror(errno));
            if (state) {
                self->front.state_free(state);
            }
            return RSN_ERR_UNAVAILABLE;
        }
    }
    if (zmq_send(self->loop, &state, sizeof state, 0) != (int)sizeof state) {
        if (state) {
            self->front.state_free(state); /* cannot happen once the first frame went */
        }
        return RSN_ERR_UNAVAILABLE;
    }
    return 0;
}

void rsn_api_front_stop(rsn_api_server_t *self)
{
    char tag = TAG_QUIT;
    if (zmq_send(self->loop, &tag, 1, 0) != 1) {
        rsn_error("api: cannot stop the front thread: %s", zmq_strerror(errno));
    }
    pthread_join(self->thread, NULL);
    /* what the thread did not read: states to free */
    for (;;) {
        char t = 0;
        if (zmq_recv(self->front_end, &t, 1, ZMQ_DONTWAIT) < 0) {
            break;
        }
        int more = 0;
        size_t size = sizeof more;
        void *state = NULL;
        if (t == TAG_STATE &&
            zmq_recv(self->front_end, &state, sizeof state, 0) == (int)sizeof state) {
            self->front.state_free(state);
            continue;
        }
        while (zmq_getsockopt(self->front_end, ZMQ_RCVMORE, &more, &size) == 0 && more) {
            zmq_msg_t f;
            zmq_msg_init(&f);
            (void)zmq_msg_recv(&f, self->front_end, 0);
            zmq_msg_close(&f);
        }
    }
    zmq_close(self->front_end);
    zmq_close(self->loop);
    self->front_end = NULL;
    self->loop = self->socket;
    free(self->pending);
    self->pending = NULL;
    self->threaded = false;
}
