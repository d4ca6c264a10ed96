/* api_server.c — the node's local client API socket, over libzmq.
 *
 * One ROUTER socket bound on ipc://PATH, in a ZeroMQ context of its own (each
 * server object owns its context, so the module holds no global state and a
 * test can run several servers). The socket is bounded: frames over
 * RSN_API_MAX_MESSAGE are refused by libzmq (ZMQ_MAXMSGSIZE, the sender is
 * disconnected), at most RSN_API_MAX_ENVELOPE envelope frames are kept per
 * request, and sends never block: ZMQ_ROUTER_MANDATORY makes a reply to a
 * client that is gone, or whose queue is full, fail at once instead of being
 * dropped silently, so the node can count it.
 *
 * The path is claimed before the bind, because libzmq's ipc bind unlinks
 * whatever file is there: PATH.lock is locked (flock) for the server's life,
 * so two nodes never take each other's socket, and PATH itself may only be
 * missing or a stale socket (nothing answers on it); a regular file, a
 * folder, a link or a live socket is refused and left alone. The socket is
 * created under umask 077, so it is never, even briefly, open to others.
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
#include "net/api_server.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <zmq.h>

#include "common/log.h"
#include "net/zsock.h"

/* Messages queued per client, each way, before a client counts as slow. */
#define API_HWM 10000

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
};

/* Clients whose requests at the loop the front thread follows; past it the
 * front answers nothing itself until the loop answered them all. */
#define FRONT_PENDING_MAX 4096
#define FRONT_NICE 5 /* the front thread's nice below the process's, where allowed */
/* The first frame of a message on the front's channel. */
#define TAG_REQUEST 'F' /* thread -> loop: a request (envelope, payload) */
#define TAG_NOTE 'N'    /* thread -> loop: what the front answered */
#define TAG_LOST 'X'    /* thread -> loop: a push not delivered (envelope) */
#define TAG_REPLY 'R'   /* loop -> thread: the reply to a request */
#define TAG_PUSH 'P'    /* loop -> thread: a message that answers no request */
#define TAG_STATE 'S'   /* loop -> thread: a state (a pointer) */
#define TAG_QUIT 'Q'    /* loop -> thread: stop */

/* A request: its envelope frames, then its payload (empty in an envelope
 * copy, or when the message had no frame after the routing id). */
struct rsn_api_msg {
    zmq_msg_t envelope[RSN_API_MAX_ENVELOPE];
    size_t envelope_count;
    zmq_msg_t payload;
};

/* Takes PATH.lock (flock, kept open in *LOCK_FD): RSN_ERR_LOCKED when another
 * process holds it, RSN_ERR_IO when it cannot be made. */
static int lock_path(const char *path, int *lock_fd)
{
    char lock[RSN_IPC_PATH_MAX + sizeof ".lock" + 1];
    snprintf(lock, sizeof lock, "%s.lock", path);
    int fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        rsn_error("cannot open the API socket's lock %s: %s", lock, strerror(errno));
        return RSN_ERR_IO;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        close(fd);
        if (err == EWOULDBLOCK) {
            rsn_error("the API socket %s is held by another raisond (%s is locked)", path, lock);
            return RSN_ERR_LOCKED;
        }
        rsn_error("cannot lock %s: %s", lock, strerror(err));
        return RSN_ERR_IO;
    }
    *lock_fd = fd;
    return 0;
}

/* 0 when PATH is missing or a stale socket (nothing accepts a connection on
 * it), which the bind may replace; RSN_ERR_EXISTS for anything else. */
static int path_replaceable(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        return errno == ENOENT ? 0 : RSN_ERR_EXISTS;
    }
    if (!S_ISSOCK(st.st_mode)) {
        rsn_error("%s is not a socket: refusing to replace it with the API socket", path);
        return RSN_ERR_EXISTS;
    }
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return RSN_ERR_EXISTS;
    }
    int rc = connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0 ? RSN_ERR_EXISTS
             : errno == ECONNREFUSED                                 ? 0
                                                                     : RSN_ERR_EXISTS;
    close(fd);
    if (rc != 0) {
        rsn_error("the socket %s is in use (another program answers on it): refusing to take "
                  "it over",
                  path);
    }
    return rc;
}

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
    self->lock_fd = -1;
    if ((rc = lock_path(path, &self->lock_fd)) != 0 || (rc = path_replaceable(path)) != 0) {
        goto out;
    }
    rc = RSN_ERR_IO;

    self->context = zmq_ctx_new();
    if (self->context == NULL) {
        rsn_error("cannot create a ZeroMQ context: %s", zmq_strerror(errno));
        goto out;
    }
    if (rsn_zsock_new(self->context, ZMQ_ROUTER, RSN_API_MAX_MESSAGE, 0, API_HWM, "the API socket",
                      &self->socket) != 0) {
        goto out;
    }
    if (rsn_zsock_set_int(self->socket, ZMQ_ROUTER_MANDATORY, 1) != 0) {
        rsn_error("cannot configure the API socket: %s", zmq_strerror(errno));
        goto out;
    }
    /* libzmq unlinks what is at PATH before it binds: path_replaceable said
     * it is a stale socket at most, and our lock keeps it so */
    mode_t umask_was = umask(077);
    int bound = zmq_bind(self->socket, endpoint);
    int bind_errno = errno;
    umask(umask_was);
    if (bound != 0) {
        rsn_error("cannot bind the API socket %s: %s", endpoint, zmq_strerror(bind_errno));
        goto out;
    }
    if (chmod(path, 0600) != 0) {
        rsn_error("cannot restrict the API socket %s to its owner: %s", path, strerror(errno));
        (void)unlink(path);
        goto out;
    }
    self->loop = self->socket;
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
        if (self->lock_fd >= 0) {
            close(self->lock_fd);
        }
        free(self->path);
        free(self);
    }
    return rc;
}

int rsn_api_server_share(rsn_api_server_t *self, unsigned gid)
{
    if (chown(self->path, (uid_t)-1, (gid_t)gid) != 0) {
        int err = errno;
        rsn_error("cannot give the API socket %s to group %u: %s", self->path, gid, strerror(err));
        return err == EPERM ? RSN_ERR_PERMISSION : RSN_ERR_IO;
    }
    if (chmod(self->path, 0660) != 0) {
        rsn_error("cannot open the API socket %s to its group: %s", self->path, strerror(errno));
        return RSN_ERR_IO;
    }
    return 0;
}

static void stop_front(rsn_api_server_t *self);

void rsn_api_server_destroy(rsn_api_server_t **self_p)
{
    if (self_p == NULL || *self_p == NULL) {
        return;
    }
    rsn_api_server_t *self = *self_p;
    rsn_api_server_detach(self);
    if (self->threaded) {
        stop_front(self);
    }
    zmq_close(self->socket);
    zmq_ctx_term(self->context);
    (void)unlink(self->path);
    close(self->lock_fd); /* the lock file stays: unlinking it would race a new owner */
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
    int rc = rsn_poller_add_socket(poller, self->loop, RSN_POLLER_READABLE, on_readable, self,
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
    zmq_pollitem_t item = {.socket = self->loop, .events = ZMQ_POLLIN};
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

/* Reads one message from SOCKET (the ROUTER, or the rest of a channel
 * message after its tag) as rsn_api_server_recv says. */
static int recv_msg(void *socket, rsn_api_msg_t **msg_p)
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

/* Sends TO's envelope then DATA on SOCKET, after a one-byte TAG frame
 * unless TAG is 0. */
static int send_to(void *socket, char tag, const rsn_api_msg_t *to, const uint8_t *data, size_t len)
{
    if (to->envelope_count == 0) {
        return RSN_ERR_INVALID_ARG;
    }
    if (tag && send_frame(socket, &tag, 1, ZMQ_SNDMORE) != 0) {
        return RSN_ERR_UNAVAILABLE;
    }
    for (size_t i = 0; i < to->envelope_count; i++) {
        zmq_msg_t *frame = (zmq_msg_t *)&to->envelope[i];
        int rc = send_frame(socket, zmq_msg_data(frame), zmq_msg_size(frame), ZMQ_SNDMORE);
        if (rc != 0) {
            /* Only the first frame can fail: ROUTER (and PAIR) take the
             * rest of a message once its first frame is accepted. */
            return rc;
        }
    }
    return send_frame(socket, len > 0 ? (const void *)data : "", len, 0);
}

int rsn_api_server_send(rsn_api_server_t *self, const rsn_api_msg_t *to, const uint8_t *reply,
                        size_t len)
{
    return send_to(self->loop, self->threaded ? TAG_REPLY : 0, to, reply, len);
}

int rsn_api_server_push(rsn_api_server_t *self, const rsn_api_msg_t *to, const uint8_t *event,
                        size_t len)
{
    return send_to(self->loop, self->threaded ? TAG_PUSH : 0, to, event, len);
}

/* --- the front -------------------------------------------------------------- */

int rsn_api_server_recv(rsn_api_server_t *self, rsn_api_msg_t **msg_p)
{
    *msg_p = NULL;
    if (!self->threaded) {
        return recv_msg(self->socket, msg_p);
    }
    for (;;) {
        /* the channel's messages: a request, or a note to hand on first */
        char tag = 0;
        if (zmq_recv(self->loop, &tag, 1, ZMQ_DONTWAIT) < 0) {
            return errno == EAGAIN  ? RSN_ERR_AGAIN
                   : errno == EINTR ? RSN_ERR_INTERRUPTED
                                    : RSN_ERR_INTERNAL;
        }
        if (tag == TAG_REQUEST) {
            return recv_msg(self->loop, msg_p);
        }
        rsn_api_msg_t *m = NULL;
        if (recv_msg(self->loop, &m) != 0) {
            continue;
        }
        if (tag == TAG_NOTE && self->front.note) {
            /* a note is one frame: recv_msg took it as the envelope */
            zmq_msg_t *f = &m->envelope[0];
            self->front.note(self->front.loop_ctx, zmq_msg_data(f), zmq_msg_size(f));
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
            if (send_to(self->socket, 0, msg, reply, reply_len) != 0) {
                rsn_debug("api: a client left before its reply");
            }
            free(reply);
            if (note_len > 0 && note_len <= RSN_API_NOTE_MAX) {
                char tag = TAG_NOTE;
                if (send_frame(self->front_end, &tag, 1, ZMQ_SNDMORE) == 0) {
                    (void)send_frame(self->front_end, note, note_len, 0);
                }
            }
            return;
        }
    }
    zmq_msg_t *payload = &msg->payload;
    if (send_to(self->front_end, TAG_REQUEST, msg, zmq_msg_data(payload), zmq_msg_size(payload)) !=
        0) {
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
    if (recv_msg(self->front_end, &m) != 0) {
        return true;
    }
    zmq_msg_t *payload = &m->payload;
    if (send_to(self->socket, 0, m, zmq_msg_data(payload), zmq_msg_size(payload)) != 0) {
        if (tag == TAG_PUSH) {
            /* not taken: the loop ends what pushes to that client */
            (void)send_to(self->front_end, TAG_LOST, m, NULL, 0);
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
            if (errno == EINTR) {
                continue;
            }
            rsn_error("api front: waiting failed: %s", zmq_strerror(errno));
            break;
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
            int rc = recv_msg(self->socket, &msg);
            if (rc == RSN_ERR_AGAIN) {
                break;
            }
            if (rc == 0) {
                front_request(self, msg);
                rsn_api_msg_destroy(&msg);
            }
        }
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
    sigset_t all, was;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &was);
    int err = pthread_create(&self->thread, NULL, front_main, self);
    pthread_sigmask(SIG_SETMASK, &was, NULL);
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
    if (send_frame(self->loop, &tag, 1, ZMQ_SNDMORE) != 0) {
        self->front.state_free(state);
        return RSN_ERR_UNAVAILABLE;
    }
    if (zmq_send(self->loop, &state, sizeof state, 0) != (int)sizeof state) {
        self->front.state_free(state); /* cannot happen once the first frame went */
        return RSN_ERR_UNAVAILABLE;
    }
    return 0;
}

/* Stops and joins the front thread; frees the states it did not take. */
static void stop_front(rsn_api_server_t *self)
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
