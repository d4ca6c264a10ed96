/* http_metrics.h — the metrics endpoint's HTTP server, in the event loop.
 *
 * Serves one page, GET /metrics, over HTTP/1.1 with libmicrohttpd, run
 * without a thread of its own: the daemon's epoll descriptor is registered
 * with the node's poller (net/poller.h) and a one-shot timer follows
 * MHD_get_timeout, so every request is answered in the loop's thread and
 * the page's callback reads the node's state with no locking. The server is
 * small on purpose: GET (and HEAD) of /metrics only (405 for any other
 * method, 404 for any other path), a few connections (RSN_HTTP_METRICS_*
 * below), a small memory budget per connection (headers past it are
 * refused), an idle timeout. The address is HOST:PORT with a numeric HOST
 * (IPv4, or IPv6 in brackets) or "localhost"; one that is not loopback is
 * refused unless the caller allows it (the config's metrics_public). */
#ifndef RSN_NET_HTTP_METRICS_H
#define RSN_NET_HTTP_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "net/poller.h"

#define RSN_HTTP_METRICS_CONNECTIONS 8      /* connections at once, at most */
#define RSN_HTTP_METRICS_PER_IP 4           /* of them from one address */
#define RSN_HTTP_METRICS_MEMORY (16 * 1024) /* bytes per connection: request line and headers */
#define RSN_HTTP_METRICS_TIMEOUT_S 10       /* an idle connection is closed after this */
#define RSN_HTTP_METRICS_WHY_MAX 256        /* the sentence of a refused start */

typedef struct rsn_http_metrics rsn_http_metrics_t;

/* Writes the page: 0 and *TEXT (malloc'd, the server frees it) of *LEN
 * bytes, or an rsn_err (answered 500). */
typedef int (*rsn_http_page_fn)(void *ctx, char **text, size_t *len);

/* Starts serving ADDRESS ("127.0.0.1:9464", "[::1]:9464", "localhost:0";
 * port 0 picks a free one) on POLLER: each GET /metrics is answered with
 * what PAGE (called with CTX) writes, as CONTENT_TYPE. A non-loopback
 * address needs ALLOW_PUBLIC. 0 and *OUT; RSN_ERR_INVALID_ARG (a malformed
 * address), RSN_ERR_PERMISSION (not loopback, not allowed), RSN_ERR_IO
 * (cannot bind), RSN_ERR_NOMEM; WHY (RSN_HTTP_METRICS_WHY_MAX) says which. */
RSN_NODISCARD int rsn_http_metrics_new(rsn_http_metrics_t **out, rsn_poller_t *poller,
                                       const char *address, bool allow_public,
                                       const char *content_type, rsn_http_page_fn page, void *ctx,
                                       char *why, size_t why_size);

/* The port the server listens on (the one picked, for port 0). */
uint16_t rsn_http_metrics_port(const rsn_http_metrics_t *self);

/* Checks ADDRESS as rsn_http_metrics_new would, without binding: 0,
 * RSN_ERR_INVALID_ARG or RSN_ERR_PERMISSION with WHY. */
RSN_NODISCARD int rsn_http_metrics_check(const char *address, bool allow_public, char *why,
                                         size_t why_size);

/* Stops serving (open connections are closed) and frees the server;
 * accepts NULL; sets *SELF_P to NULL. */
void rsn_http_metrics_destroy(rsn_http_metrics_t **self_p);

#endif
