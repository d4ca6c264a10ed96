/* worker.h — work that runs beside the event loop, on a thread of its own.
 *
 * Something long (verifying a whole store, finding the bodies past their
 * retention) must not run inside the node's single event loop: every client
 * and peer would wait. A worker is one thread started with a function; it
 * talks to the loop only through a ZeroMQ PAIR pair over inproc (STYLE.md:
 * threads talk over inproc, not shared state behind locks). The loop's end
 * is registered with the node's poller, so a message from the thread wakes
 * the loop and is handed to a callback there; messages are small (at most
 * RSN_WORKER_MESSAGE_MAX bytes) and copied. The thread's sends block while
 * the loop has RSN_WORKER_HWM messages unread (the worker cannot run ahead
 * of what the loop applies) and fail once the loop asked it to stop, so a
 * worker stops within one message of being asked.
 *
 * Every worker of a node shares one ZeroMQ context, that of the node's
 * worker set (an inproc pair must live in one context; the set needs no I/O
 * thread). What the thread reads and writes besides its channel is its own:
 * it must not touch the loop's objects. When the thread's function returns
 * the loop is told (the end callback), after the thread was joined, so what
 * the function left in memory for the loop is safely visible there. */
#ifndef RSN_NET_WORKER_H
#define RSN_NET_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "net/poller.h"

#define RSN_WORKER_MESSAGE_MAX (64 * 1024) /* bytes of one message from a worker */
#define RSN_WORKER_HWM 16                  /* messages a worker may have unread by the loop */

typedef struct rsn_workers rsn_workers_t;
typedef struct rsn_worker rsn_worker_t;
typedef struct rsn_worker_chan rsn_worker_chan_t;

/* What runs on the worker's thread, with ARG; it talks to the loop through
 * CHAN (rsn_worker_send, rsn_worker_stopping) and returns when done. */
typedef void (*rsn_worker_fn)(rsn_worker_chan_t *chan, void *arg);

/* Called in the loop for each message (LEN bytes at MSG, valid during the
 * call) the thread of W sent, in order. */
typedef void (*rsn_worker_msg_fn)(rsn_worker_t *w, const uint8_t *msg, size_t len, void *ctx);

/* Called in the loop once the thread of W returned and was joined, after
 * its last message. It may destroy W. */
typedef void (*rsn_worker_end_fn)(rsn_worker_t *w, void *ctx);

/* The node's worker set, whose workers register with POLLER: 0 and *OUT,
 * RSN_ERR_NOMEM, RSN_ERR_IO (no ZeroMQ context; logged). */
RSN_NODISCARD int rsn_workers_new(rsn_workers_t **out, rsn_poller_t *poller);

/* Frees the set; every worker started from it must be destroyed first.
 * Accepts NULL; sets *SELF_P to NULL. */
void rsn_workers_destroy(rsn_workers_t **self_p);

/* Starts FN(chan, ARG) on a new thread; ON_MSG and ON_END (either may be
 * NULL) are called with CTX in the loop. 0 and *OUT, RSN_ERR_NOMEM,
 * RSN_ERR_IO (socket or thread; logged). */
RSN_NODISCARD int rsn_worker_start(rsn_worker_t **out, rsn_workers_t *set, rsn_worker_fn fn,
                                   void *arg, rsn_worker_msg_fn on_msg, rsn_worker_end_fn on_end,
                                   void *ctx);

/* True while the worker's thread has not returned (its end not yet seen by
 * the loop). */
bool rsn_worker_running(const rsn_worker_t *self);

/* Asks the thread to stop if it still runs, joins it, and frees the worker
 * (messages not yet handed to ON_MSG are dropped, ON_END is not called).
 * Accepts NULL; sets *SELF_P to NULL. Loop side only. */
void rsn_worker_destroy(rsn_worker_t **self_p);

/* Thread side: sends LEN bytes at MSG to the loop, waiting while the loop
 * has RSN_WORKER_HWM unread. 0, RSN_ERR_TOO_LARGE (over
 * RSN_WORKER_MESSAGE_MAX), RSN_ERR_INTERRUPTED once the loop asked the
 * worker to stop (the thread should return), RSN_ERR_IO. */
RSN_NODISCARD int rsn_worker_send(rsn_worker_chan_t *chan, const void *msg, size_t len);

/* Thread side: true once the loop asked the worker to stop. */
bool rsn_worker_stopping(rsn_worker_chan_t *chan);

#endif
