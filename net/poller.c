/* poller.c — the event loop over zmq_poll: sockets, descriptors, timers.
 *
 * zmq_poll waits on ZeroMQ sockets and plain descriptors alike, so one call
 * serves both; its timeout is the nearest timer's deadline. Registrations
 * live in two growable arrays (sources, timers) addressed by index, never by
 * pointer, so a callback that adds one (the arrays may move) or removes one
 * is safe: a removal only marks the entry dead, and dead entries are swept
 * out when no callback is running. Each turn polls a snapshot of the live
 * sources and, before calling one, checks it is still the same live
 * registration; each due timer fires at most once per turn, so a timer of
 * interval 0 ms cannot keep a turn from ending. Time is CLOCK_MONOTONIC. */
#include "net/poller.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "common/log.h"

typedef struct {
    int id; /* 0: removed */
    void *socket;
    int fd;
    int mask;
    rsn_poller_io_fn fn;
    void *ctx;
} source_t;

typedef struct {
    int id; /* 0: removed */
    int64_t when_ms;
    int64_t interval_ms;
    uint64_t fired_turn;
    rsn_poller_timer_fn fn;
    void *ctx;
} timer_t_;

struct rsn_poller {
    source_t *sources;
    size_t n_sources;
    size_t cap_sources;
    timer_t_ *timers;
    size_t n_timers;
    size_t cap_timers;
    zmq_pollitem_t *items; /* the snapshot polled, beside the ids it came from */
    int *item_ids;
    size_t cap_items;
    int next_id;
    uint64_t turn;
    int depth; /* > 0 while callbacks run */
    /* time spent inside zmq_poll (rsn_poller_waited_ns) */
    uint64_t waited_ns;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Makes room for one more element of SIZE bytes in *ARRAY. */
static int grow(void **array, size_t *cap, size_t count, size_t size)
{
    if (count < *cap) {
        return 0;
    }
    size_t want = *cap == 0 ? 8 : *cap * 2;
    void *bigger = realloc(*array, want * size);
    if (bigger == NULL) {
        return RSN_ERR_NOMEM;
    }
    *array = bigger;
    *cap = want;
    return 0;
}

/* Drops removed entries; only when no callback runs, so indexes hold. */
static void sweep(rsn_poller_t *self)
{
    size_t kept = 0;
    for (size_t i = 0; i < self->n_sources; i++) {
        if (self->sources[i].id != 0) {
            self->sources[kept++] = self->sources[i];
        }
    }
    self->n_sources = kept;
    kept = 0;
    for (size_t i = 0; i < self->n_timers; i++) {
        if (self->timers[i].id != 0) {
            self->timers[kept++] = self->timers[i];
        }
    }
    self->n_timers = kept;
}

static int take_id(rsn_poller_t *self)
{
    if (self->next_id == INT32_MAX) {
        self->next_id = 0; /* ids of long-gone registrations come back */
    }
    return ++self->next_id;
}

int rsn_poller_new(rsn_poller_t **out)
{
    *out = calloc(1, sizeof **out);
    return *out == NULL ? RSN_ERR_NOMEM : 0;
}

void rsn_poller_destroy(rsn_poller_t **self_p)
{
    if (self_p == NULL || *self_p == NULL) {
        return;
    }
    rsn_poller_t *self = *self_p;
    free(self->sources);
    free(self->timers);
    free(self->items);
    free(self->item_ids);
    free(self);
    *self_p = NULL;
}

static int add_source(rsn_poller_t *self, void *socket, int fd, int mask, rsn_poller_io_fn fn,
                      void *ctx, int *id)
{
    if (fn == NULL || (mask & (RSN_POLLER_READABLE | RSN_POLLER_WRITABLE)) == 0 ||
        (socket == NULL && fd < 0)) {
        return RSN_ERR_INVALID_ARG;
    }
    if (grow((void **)&self->sources, &self->cap_sources, self->n_sources, sizeof *self->sources) !=
        0) {
        return RSN_ERR_NOMEM;
    }
    source_t *s = &self->sources[self->n_sources++];
    *s = (source_t){
        .id = take_id(self), .socket = socket, .fd = fd, .mask = mask, .fn = fn, .ctx = ctx};
    if (id != NULL) {
        *id = s->id;
    }
    return 0;
}

int rsn_poller_add_socket(rsn_poller_t *self, void *socket, int mask, rsn_poller_io_fn fn,
                          void *ctx, int *id)
{
    if (socket == NULL) {
        return RSN_ERR_INVALID_ARG;
    }
    return add_source(self, socket, -1, mask, fn, ctx, id);
}

int rsn_poller_add_fd(rsn_poller_t *self, int fd, int mask, rsn_poller_io_fn fn, void *ctx, int *id)
{
    if (fd < 0) {
        return RSN_ERR_INVALID_ARG;
    }
    return add_source(self, NULL, fd, mask, fn, ctx, id);
}

int rsn_poller_add_timer(rsn_poller_t *self, int64_t delay_ms, int64_t interval_ms,
                         rsn_poller_timer_fn fn, void *ctx, int *id)
{
    if (fn == NULL || delay_ms < 0 || interval_ms < 0) {
        return RSN_ERR_INVALID_ARG;
    }
    if (grow((void **)&self->timers, &self->cap_timers, self->n_timers, sizeof *self->timers) !=
        0) {
        return RSN_ERR_NOMEM;
    }
    timer_t_ *t = &self->timers[self->n_timers++];
    /* a timer added by a callback waits for the next turn, even at 0 ms */
    *t = (timer_t_){.id = take_id(self),
                    .when_ms = mono_ms() + delay_ms,
                    .interval_ms = interval_ms,
                    .fired_turn = self->depth > 0 ? self->turn : 0,
                    .fn = fn,
                    .ctx = ctx};
    if (id != NULL) {
        *id = t->id;
    }
    return 0;
}

int rsn_poller_remove(rsn_poller_t *self, int id)
{
    int rc = RSN_ERR_NOT_FOUND;
    for (size_t i = 0; id > 0 && i < self->n_sources && rc != 0; i++) {
        if (self->sources[i].id == id) {
            self->sources[i].id = 0;
            rc = 0;
        }
    }
    for (size_t i = 0; id > 0 && i < self->n_timers && rc != 0; i++) {
        if (self->timers[i].id == id) {
            self->timers[i].id = 0;
            rc = 0;
        }
    }
    if (rc == 0 && self->depth == 0) {
        sweep(self);
    }
    return rc;
}

/* The poll timeout: TIMEOUT_MS, shortened to the nearest timer's deadline. */
static long poll_timeout(const rsn_poller_t *self, int timeout_ms, int64_t now)
{
    long wait = timeout_ms < 0 ? -1 : timeout_ms;
    for (size_t i = 0; i < self->n_timers; i++) {
        int64_t left = self->timers[i].when_ms - now;
        left = left < 0 ? 0 : left;
        if (wait < 0 || left < wait) {
            wait = (long)left;
        }
    }
    return wait;
}

/* The index of the due timer with the earliest deadline (then the oldest)
 * not yet fired this turn; -1 when none is due. */
static long next_due(const rsn_poller_t *self, int64_t now)
{
    long best = -1;
    for (size_t i = 0; i < self->n_timers; i++) {
        const timer_t_ *t = &self->timers[i];
        if (t->id == 0 || t->when_ms > now || t->fired_turn == self->turn) {
            continue;
        }
        if (best < 0 || t->when_ms < self->timers[best].when_ms ||
            (t->when_ms == self->timers[best].when_ms && t->id < self->timers[best].id)) {
            best = (long)i;
        }
    }
    return best;
}

/* Calls the ready sources among the N polled items; returns how many. */
static int dispatch_sources(rsn_poller_t *self, size_t n)
{
    int ran = 0;
    for (size_t k = 0; k < n; k++) {
        short revents = self->items[k].revents;
        if (revents == 0) {
            continue;
        }
        for (size_t i = 0; i < self->n_sources; i++) {
            source_t *s = &self->sources[i];
            if (s->id != self->item_ids[k]) {
                continue; /* a removed registration's id is 0: never matches */
            }
            int events = ((revents & ZMQ_POLLIN) ? RSN_POLLER_READABLE : 0) |
                         ((revents & ZMQ_POLLOUT) ? RSN_POLLER_WRITABLE : 0);
            if (revents & ZMQ_POLLERR) {
                events |= s->mask; /* an error is read (or written) to be seen */
            }
            events &= s->mask;
            if (events != 0) {
                rsn_poller_io_fn fn = s->fn;
                void *ctx = s->ctx;
                fn(self, self->item_ids[k], events, ctx); /* S may move meanwhile */
                ran++;
            }
            break;
        }
    }
    return ran;
}

/* Fires the due timers in order; returns how many. */
static int dispatch_timers(rsn_poller_t *self)
{
    int ran = 0;
    int64_t now = mono_ms();
    long i;
    while ((i = next_due(self, now)) >= 0) {
        timer_t_ *t = &self->timers[i];
        int id = t->id;
        rsn_poller_timer_fn fn = t->fn;
        void *ctx = t->ctx;
        t->fired_turn = self->turn;
        if (t->interval_ms == 0) {
            t->id = 0; /* once: gone before its callback, which may not remove it */
        }
        fn(self, id, ctx);
        ran++;
        t = &self->timers[i]; /* the array may have moved */
        if (t->id == id) {
            t->when_ms = mono_ms() + t->interval_ms;
        }
    }
    return ran;
}

uint64_t rsn_poller_waited_ns(const rsn_poller_t *self)
{
    return self->waited_ns;
}

int rsn_poller_wait(rsn_poller_t *self, int timeout_ms)
{
    if (self->depth > 0) {
        return RSN_ERR_INVALID_ARG; /* not from inside a callback */
    }
    sweep(self);
    size_t n = 0;
    if (self->n_sources > self->cap_items) {
        zmq_pollitem_t *items = realloc(self->items, self->n_sources * sizeof *items);
        if (items != NULL) {
            self->items = items;
        }
        int *ids = items != NULL ? realloc(self->item_ids, self->n_sources * sizeof *ids) : NULL;
        if (ids == NULL) {
            return RSN_ERR_NOMEM;
        }
        self->item_ids = ids;
        self->cap_items = self->n_sources;
    }
    for (size_t i = 0; i < self->n_sources; i++) {
        const source_t *s = &self->sources[i];
        self->items[n] = (zmq_pollitem_t){
            .socket = s->socket,
            .fd = s->fd,
            .events = (short)(((s->mask & RSN_POLLER_READABLE) ? ZMQ_POLLIN : 0) |
                              ((s->mask & RSN_POLLER_WRITABLE) ? ZMQ_POLLOUT : 0))};
        self->item_ids[n++] = s->id;
    }
    long wait = poll_timeout(self, timeout_ms, mono_ms());
    if (n == 0 && wait < 0) {
        return RSN_ERR_INVALID_ARG; /* nothing registered would ever wake it */
    }
    struct timespec before, after;
    clock_gettime(CLOCK_MONOTONIC, &before);
    int polled = zmq_poll(n > 0 ? self->items : NULL, (int)n, wait);
    clock_gettime(CLOCK_MONOTONIC, &after);
    self->waited_ns += (uint64_t)((after.tv_sec - before.tv_sec) * 1000000000LL +
                                  (after.tv_nsec - before.tv_nsec));
    if (polled < 0) {
        if (errno == EINTR) {
            return RSN_ERR_INTERRUPTED;
        }
        rsn_error("event loop: waiting failed: %s", zmq_strerror(errno));
        return RSN_ERR_INTERNAL;
    }
    self->turn++;
    self->depth++;
    int ran = dispatch_sources(self, n);
    ran += dispatch_timers(self);
    self->depth--;
    sweep(self);
    return ran > 0 ? 0 : RSN_ERR_TIMEOUT;
}
