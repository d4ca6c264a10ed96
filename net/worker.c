/* worker.c — worker threads and their inproc channel to the event loop.
 *
 * Each worker is a ZeroMQ PAIR pair over inproc://rsn-worker-N in the set's
 * context: the loop's end is bound and registered with the poller, the
 * thread's end connected. Both sockets are made and closed by the loop; the
 * thread only uses its own between its start and the join (pthread_create
 * and pthread_join order those accesses). Every message starts with one byte
 * saying what it is: MSG_DATA from the thread (the payload follows),
 * MSG_END from the thread once its function returned, MSG_STOP from the
 * loop. The thread blocks all signals, so the daemon's handlers run on the
 * loop's thread as before, and runs at a lower priority than the loop. */
#include "net/worker.h"

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
#include "net/zsock.h"

#define MSG_DATA 'm'
#define MSG_END 'e'
#define MSG_STOP 's'
#define ENDPOINT_SIZE 64
#define WORKER_NICE 10 /* a worker's nice value, above the loop's */

struct rsn_workers {
    void *context;
    rsn_poller_t *poller;
    unsigned next; /* the number of the next worker's endpoint */
    size_t live;   /* workers not yet destroyed */
};

struct rsn_worker_chan {
    void *socket; /* the thread's end */
    bool stopping;
};

struct rsn_worker {
    rsn_workers_t *set;
    void *socket; /* the loop's end */
    rsn_worker_chan_t chan;
    pthread_t thread;
    bool started; /* the thread was created and not yet joined */
    int watch;    /* the poller registration, 0 when none */
    rsn_worker_fn fn;
    void *arg;
    rsn_worker_msg_fn on_msg;
    rsn_worker_end_fn on_end;
    void *ctx;
};

int rsn_workers_new(rsn_workers_t **out, rsn_poller_t *poller)
{
    *out = NULL;
    rsn_workers_t *self = calloc(1, sizeof *self);
    if (!self) {
        return RSN_ERR_NOMEM;
    }
    self->context = zmq_ctx_new();
    if (!self->context) {
        rsn_error("workers: cannot create a ZeroMQ context: %s", zmq_strerror(errno));
        free(self);
        return RSN_ERR_IO;
    }
    /* inproc needs no I/O thread */
    (void)zmq_ctx_set(self->context, ZMQ_IO_THREADS, 0);
    self->poller = poller;
    *out = self;
    return 0;
}

void rsn_workers_destroy(rsn_workers_t **self_p)
{
    if (!self_p || !*self_p) {
        return;
    }
    rsn_workers_t *self = *self_p;
    if (self->live > 0) {
        rsn_error("workers: %zu worker(s) still alive at the end (a bug)", self->live);
    }
    zmq_ctx_term(self->context);
    free(self);
    *self_p = NULL;
}

/* Sends the one-byte KIND then LEN bytes of DATA on SOCKET with FLAGS. 0, or
 * -1 with errno. */
static int send_framed(void *socket, char kind, const void *data, size_t len, int flags)
{
    zmq_msg_t m;
    if (zmq_msg_init_size(&m, len + 1) != 0) {
        return -1;
    }
    uint8_t *p = zmq_msg_data(&m);
    p[0] = (uint8_t)kind;
    if (len) {
        memcpy(p + 1, data, len);
    }
    if (zmq_msg_send(&m, socket, flags) < 0) {
        int saved = errno;
        zmq_msg_close(&m);
        errno = saved;
        return -1;
    }
    return 0;
}

/* Takes a stop request waiting on the thread's end, if there is one. */
static void take_stop(rsn_worker_chan_t *chan)
{
    zmq_msg_t m;
    zmq_msg_init(&m);
    while (zmq_msg_recv(&m, chan->socket, ZMQ_DONTWAIT) >= 0) {
        if (zmq_msg_size(&m) >= 1 && *(const char *)zmq_msg_data(&m) == MSG_STOP) {
            chan->stopping = true;
        }
    }
    zmq_msg_close(&m);
}

bool rsn_worker_stopping(rsn_worker_chan_t *chan)
{
    if (!chan->stopping) {
        take_stop(chan);
    }
    return chan->stopping;
}

/* Sends KIND and DATA, waiting while the loop's queue is full, until sent or
 * asked to stop. */
static int chan_send(rsn_worker_chan_t *chan, char kind, const void *data, size_t len)
{
    for (;;) {
        if (rsn_worker_stopping(chan)) {
            return RSN_ERR_INTERRUPTED;
        }
        if (send_framed(chan->socket, kind, data, len, ZMQ_DONTWAIT) == 0) {
            return 0;
        }
        if (errno != EAGAIN && errno != EINTR) {
            rsn_error("worker: cannot send to the loop: %s", zmq_strerror(errno));
            return RSN_ERR_IO;
        }
        /* full: wait until the loop reads, or says stop */
        zmq_pollitem_t item = {.socket = chan->socket, .events = ZMQ_POLLIN | ZMQ_POLLOUT};
        if (zmq_poll(&item, 1, -1) < 0 && errno != EINTR) {
            rsn_error("worker: waiting on the loop failed: %s", zmq_strerror(errno));
            return RSN_ERR_IO;
        }
    }
}

int rsn_worker_send(rsn_worker_chan_t *chan, const void *msg, size_t len)
{
    if (len > RSN_WORKER_MESSAGE_MAX) {
        return RSN_ERR_TOO_LARGE;
    }
    return chan_send(chan, MSG_DATA, msg, len);
}

static void *thread_main(void *arg)
{
    rsn_worker_t *self = arg;
#ifdef __linux__
    /* below the loop: on a busy machine the loop's turns come first (on
     * Linux the nice value is the thread's, and the threads it starts
     * inherit it) */
    if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), WORKER_NICE) != 0) {
        rsn_debug("worker: cannot lower the thread's priority: %s", strerror(errno));
    }
#endif
    self->fn(&self->chan, self->arg);
    /* the loop joins on this; when it asked to stop, it joins anyway */
    (void)chan_send(&self->chan, MSG_END, NULL, 0);
    return NULL;
}

/* Joins the thread (it has returned, or been asked to stop). */
static void join(rsn_worker_t *self)
{
    if (self->started) {
        pthread_join(self->thread, NULL);
        self->started = false;
    }
}

static void unwatch(rsn_worker_t *self)
{
    if (self->watch) {
        (void)rsn_poller_remove(self->set->poller, self->watch);
        self->watch = 0;
    }
}

/* The loop's end is readable: hands each message over, in order. */
static void on_readable(rsn_poller_t *poller, int id, int events, void *ctx)
{
    rsn_worker_t *self = ctx;
    (void)poller;
    (void)id;
    (void)events;
    zmq_msg_t m;
    zmq_msg_init(&m);
    while (self->watch && zmq_msg_recv(&m, self->socket, ZMQ_DONTWAIT) >= 0) {
        const uint8_t *p = zmq_msg_data(&m);
        size_t len = zmq_msg_size(&m);
        if (len >= 1 && p[0] == MSG_DATA && self->on_msg) {
            self->on_msg(self, p + 1, len - 1, self->ctx);
        } else if (len >= 1 && p[0] == MSG_END) {
            zmq_msg_close(&m);
            join(self);
            unwatch(self);
            if (self->on_end) {
                self->on_end(self, self->ctx); /* may destroy SELF */
            }
            return;
        }
    }
    zmq_msg_close(&m);
}

int rsn_worker_start(rsn_worker_t **out, rsn_workers_t *set, rsn_worker_fn fn, void *arg,
                     rsn_worker_msg_fn on_msg, rsn_worker_end_fn on_end, void *ctx)
{
    *out = NULL;
    rsn_worker_t *self = calloc(1, sizeof *self);
    if (!self) {
        return RSN_ERR_NOMEM;
    }
    *self = (rsn_worker_t){
        .set = set, .fn = fn, .arg = arg, .on_msg = on_msg, .on_end = on_end, .ctx = ctx};
    set->live++;
    char endpoint[ENDPOINT_SIZE];
    snprintf(endpoint, sizeof endpoint, "inproc://rsn-worker-%u", set->next++);
    int64_t max = RSN_WORKER_MESSAGE_MAX + 1;
    int rc = RSN_ERR_IO;
    if (rsn_zsock_new(set->context, ZMQ_PAIR, max, 0, RSN_WORKER_HWM, "a worker's loop end",
                      &self->socket) != 0 ||
        rsn_zsock_new(set->context, ZMQ_PAIR, max, 0, RSN_WORKER_HWM, "a worker's thread end",
                      &self->chan.socket) != 0) {
        goto out;
    }
    if (zmq_bind(self->socket, endpoint) != 0 || zmq_connect(self->chan.socket, endpoint) != 0) {
        rsn_error("worker: cannot link %s: %s", endpoint, zmq_strerror(errno));
        goto out;
    }
    rc = rsn_poller_add_socket(set->poller, self->socket, RSN_POLLER_READABLE, on_readable, self,
                               &self->watch);
    if (rc < 0) {
        goto out;
    }
    /* the new thread blocks every signal */
    int err = rsn_thread_start(&self->thread, thread_main, self);
    if (err != 0) {
        rsn_error("worker: cannot start a thread: %s", strerror(err));
        rc = RSN_ERR_IO;
        goto out;
    }
    self->started = true;
    *out = self;
    self = NULL;
    rc = 0;
out:
    rsn_worker_destroy(&self);
    return rc;
}

bool rsn_worker_running(const rsn_worker_t *self)
{
    return self && self->started;
}

void rsn_worker_destroy(rsn_worker_t **self_p)
{
    if (!self_p || !*self_p) {
        return;
    }
    rsn_worker_t *self = *self_p;
    if (self->started && send_framed(self->socket, MSG_STOP, NULL, 0, ZMQ_DONTWAIT) != 0) {
        rsn_error("worker: cannot ask a worker to stop: %s", zmq_strerror(errno));
    }
    join(self);
    unwatch(self);
    if (self->socket) {
        zmq_close(self->socket);
    }
    if (self->chan.socket) {
        zmq_close(self->chan.socket);
    }
    self->set->live--;
    free(self);
    *self_p = NULL;
}
