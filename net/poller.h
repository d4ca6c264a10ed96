/* poller.h — the node's event loop: one thread waits on many sources at once.
 *
 * Modelled on Redis' ae.c (aeCreateFileEvent(loop, fd, mask, proc, data)):
 * ZeroMQ sockets, plain file descriptors and timers register with a poller,
 * each with a callback and a context, and rsn_poller_wait runs the loop once:
 * it sleeps until a source is ready or a timer is due, then calls the
 * callbacks. Modules register their own sockets (the federation transport,
 * the API server, later an HTTP server's descriptors), so no module has to
 * know the others' sockets and the loop lives in none of them. A callback may
 * add or remove any registration, its own included, while it runs. Only net/
 * holds ZeroMQ sockets: the rest of the code registers plain descriptors and
 * timers, or asks a net/ module to register itself. */
#ifndef RSN_NET_POLLER_H
#define RSN_NET_POLLER_H

#include <stdint.h>

#include "common/err.h"

#define RSN_POLLER_READABLE 1 /* mask bit: data (a message) waits to be read */
#define RSN_POLLER_WRITABLE 2 /* mask bit: a write would not block */

typedef struct rsn_poller rsn_poller_t;

/* Called when a socket or descriptor registered as ID is ready; EVENTS holds
 * the RSN_POLLER_* bits that are. */
typedef void (*rsn_poller_io_fn)(rsn_poller_t *poller, int id, int events, void *ctx);

/* What a module that registers its own sources with a poller (the
 * federation transport, the API server) calls, with its owner's CTX, when it
 * has something for its owner: frames, events or requests to take. */
typedef void (*rsn_ready_fn)(void *ctx);

/* Called when the timer registered as ID is due. */
typedef void (*rsn_poller_timer_fn)(rsn_poller_t *poller, int id, void *ctx);

/* A poller with nothing registered: 0 and *OUT, or RSN_ERR_NOMEM. */
RSN_NODISCARD int rsn_poller_new(rsn_poller_t **out);

/* Frees the poller (what was registered is not closed); accepts NULL; sets
 * *SELF_P to NULL. */
void rsn_poller_destroy(rsn_poller_t **self_p);

/* Watches the ZeroMQ SOCKET (net/ only) for the events in MASK, calling FN
 * with CTX. 0 and *ID (> 0, for rsn_poller_remove; ID may be NULL),
 * RSN_ERR_INVALID_ARG (no socket, empty mask, no FN) or RSN_ERR_NOMEM. */
RSN_NODISCARD int rsn_poller_add_socket(rsn_poller_t *self, void *socket, int mask,
                                        rsn_poller_io_fn fn, void *ctx, int *id);

/* The same for a plain file descriptor FD (>= 0). */
RSN_NODISCARD int rsn_poller_add_fd(rsn_poller_t *self, int fd, int mask, rsn_poller_io_fn fn,
                                    void *ctx, int *id);

/* Calls FN with CTX in DELAY_MS (>= 0), then every INTERVAL_MS after the
 * call when INTERVAL_MS > 0 (0: once, then the timer is gone). Due timers
 * fire in the order of their deadlines, ties in the order they were added.
 * 0 and *ID (may be NULL), RSN_ERR_INVALID_ARG, RSN_ERR_NOMEM. */
RSN_NODISCARD int rsn_poller_add_timer(rsn_poller_t *self, int64_t delay_ms, int64_t interval_ms,
                                       rsn_poller_timer_fn fn, void *ctx, int *id);

/* Ends registration ID (socket, descriptor or timer): its callback is not
 * called again, even later in the same rsn_poller_wait. 0, or
 * RSN_ERR_NOT_FOUND when ID is not registered (or already removed). */
int rsn_poller_remove(rsn_poller_t *self, int id);

/* Runs the loop once: waits up to TIMEOUT_MS (-1: until something happens)
 * for a registered source to be ready or a timer to be due, then calls their
 * callbacks. 0 when at least one callback ran, RSN_ERR_TIMEOUT when none,
 * RSN_ERR_INTERRUPTED when a signal arrived, RSN_ERR_INTERNAL when polling
 * failed (logged). */
RSN_NODISCARD int rsn_poller_wait(rsn_poller_t *self, int timeout_ms);

/* Nanoseconds the loop spent waiting inside poll since the poller was
 * made: the rest of the time it was working (the metrics' busy time). */
uint64_t rsn_poller_waited_ns(const rsn_poller_t *self);

#endif
