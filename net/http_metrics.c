/* http_metrics.c — one page over HTTP with libmicrohttpd, in the node's
 * event loop (net/http_metrics.h).
 *
 * libmicrohttpd runs in "external" epoll mode: it owns an epoll descriptor
 * over its listening socket and connections, which the poller watches; when
 * it is readable, or when the timer set from MHD_get_timeout is due (idle
 * connections to close, data already read to process), MHD_run does the
 * work and the timer is set again. The request handler answers on its
 * first call, before any body is read, so a POST with a body costs nothing
 * but its refusal. */
#include "net/http_metrics.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "common/log.h"
#include "common/why.h"

#define ADDRESS_MAX 128   /* characters of HOST:PORT */
#define TIMER_MAX_MS 1000 /* the longest the timer waits without MHD asking */
#define PATH "/metrics"

struct rsn_http_metrics {
    struct MHD_Daemon *daemon;
    rsn_poller_t *poller;
    int fd_id;
    int timer_id; /* 0: none */
    uint16_t port;
    const char *content_type;
    rsn_http_page_fn page;
    void *ctx;
};

/* Parses ADDRESS into *SA (*LEN bytes). 0 or RSN_ERR_INVALID_ARG. */
static int parse_address(const char *address, struct sockaddr_storage *sa, socklen_t *len)
{
    char host[ADDRESS_MAX];
    if (!address || strlen(address) >= sizeof host) {
        return RSN_ERR_INVALID_ARG;
    }
    snprintf(host, sizeof host, "%s", address);
    char *colon = strrchr(host, ':');
    if (!colon || colon == host || colon[1] == '\0') {
        return RSN_ERR_INVALID_ARG;
    }
    *colon = '\0';
    const char *port = colon + 1;
    char *name = host;
    if (name[0] == '[') {
        size_t n = strlen(name);
        if (n < 3 || name[n - 1] != ']') {
            return RSN_ERR_INVALID_ARG;
        }
        name[n - 1] = '\0';
        name++;
    } else if (strchr(name, ':')) {
        return RSN_ERR_INVALID_ARG; /* IPv6 needs its brackets */
    }
    if (strcmp(name, "localhost") == 0) {
        name = (char *)"127.0.0.1";
    }
    for (const char *p = port; *p; p++) {
        if (*p < '0' || *p > '9') {
            return RSN_ERR_INVALID_ARG;
        }
    }
    if (strlen(port) > 5 || atoi(port) > 65535) {
        return RSN_ERR_INVALID_ARG;
    }
    struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
                             .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    if (getaddrinfo(name, port, &hints, &res) != 0 || !res) {
        return RSN_ERR_INVALID_ARG;
    }
    memcpy(sa, res->ai_addr, res->ai_addrlen);
    *len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

/* True when SA is 127.0.0.0/8, ::1 or ::ffff:127.0.0.0/104. */
static bool loopback(const struct sockaddr_storage *sa)
{
    if (sa->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
    if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr)) {
        return true;
    }
    return IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && in6->sin6_addr.s6_addr[12] == 127;
}

/* Parses ADDRESS into *SA (*LEN) and checks it is loopback or allowed. */
static int check_address(const char *address, bool allow_public, struct sockaddr_storage *sa,
                         socklen_t *len, char *why, size_t why_size)
{
    if (parse_address(address, sa, len) < 0) {
        return rsn_why(why, why_size, RSN_ERR_INVALID_ARG,
                       "metrics address '%s' is not HOST:PORT with a numeric HOST (IPv4, "
                       "[IPv6]) or localhost",
                       address ? address : "");
    }
    if (!loopback(sa) && !allow_public) {
        return rsn_why(why, why_size, RSN_ERR_PERMISSION,
                       "metrics address %s is not a loopback address: the metrics would be "
                       "served beyond this machine; set metrics_public = true in [node] of "
                       "the config file to allow it",
                       address);
    }
    return 0;
}

int rsn_http_metrics_check(const char *address, bool allow_public, char *why, size_t why_size)
{
    struct sockaddr_storage sa;
    socklen_t len = 0;
    return check_address(address, allow_public, &sa, &len, why, why_size);
}

/* Queues a short text answer STATUS to C, with an Allow header for 405. */
static enum MHD_Result answer(struct MHD_Connection *c, unsigned status, const char *text)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);
    if (!r) {
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    }
    enum MHD_Result rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

/* libmicrohttpd's request handler: answers on the first call. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    rsn_http_metrics_t *self = cls;
    (void)version;
    (void)upload_data;
    (void)upload_data_size;
    (void)con_cls;
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
        return answer(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET is served here\n");
    }
    if (strcmp(url, PATH) != 0) {
        return answer(c, MHD_HTTP_NOT_FOUND, "not found: the metrics are at " PATH "\n");
    }
    char *text = NULL;
    size_t len = 0;
    int rc = self->page(self->ctx, &text, &len);
    if (rc < 0) {
        rsn_error("metrics: the page could not be written: %s", rsn_strerror(rc));
        return answer(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "the metrics could not be written\n");
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, self->content_type);
    enum MHD_Result qrc = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return qrc;
}

/* libmicrohttpd's messages go to the node's log. */
static void on_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char line[256];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n > 0 && line[n - 1] == '\n') {
        line[--n] = '\0';
    }
    rsn_debug("metrics: %s", line);
}

/* Lets libmicrohttpd do what is ready, then sets the timer to when it
 * next needs to run (idle connections to close, data already read). */
static void run(rsn_http_metrics_t *self);

static void on_timer(rsn_poller_t *poller, int id, void *ctx)
{
    rsn_http_metrics_t *self = ctx;
    (void)poller;
    (void)id;
    self->timer_id = 0; /* one-shot: gone once it fired */
    run(self);
}

static void on_ready(rsn_poller_t *poller, int id, int events, void *ctx)
{
    (void)poller;
    (void)id;
    (void)events;
    run(ctx);
}

static void run(rsn_http_metrics_t *self)
{
    if (MHD_run(self->daemon) != MHD_YES) {
        rsn_debug("metrics: the HTTP server's run failed");
    }
    if (self->timer_id) {
        (void)rsn_poller_remove(self->poller, self->timer_id);
        self->timer_id = 0;
    }
    MHD_UNSIGNED_LONG_LONG ms = 0;
    if (MHD_get_timeout(self->daemon, &ms) != MHD_YES) {
        return; /* nothing to wait for but the descriptor */
    }
    int64_t delay = ms > TIMER_MAX_MS ? TIMER_MAX_MS : (int64_t)ms;
    if (rsn_poller_add_timer(self->poller, delay, 0, on_timer, self, &self->timer_id) < 0) {
        self->timer_id = 0;
        rsn_error("metrics: cannot set the HTTP server's timer");
    }
}

int rsn_http_metrics_new(rsn_http_metrics_t **out, rsn_poller_t *poller, const char *address,
                         bool allow_public, const char *content_type, rsn_http_page_fn page,
                         void *ctx, char *why, size_t why_size)
{
    *out = NULL;
    struct sockaddr_storage sa;
    socklen_t sa_len = 0;
    int rc = check_address(address, allow_public, &sa, &sa_len, why, why_size);
    if (rc < 0) {
        return rc;
    }
    rsn_http_metrics_t *self = calloc(1, sizeof *self);
    if (!self) {
        return RSN_ERR_NOMEM;
    }
    self->poller = poller;
    self->content_type = content_type;
    self->page = page;
    self->ctx = ctx;
    unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    if (sa.ss_family == AF_INET6) {
        flags |= MHD_USE_IPv6;
    }
    self->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, self, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)RSN_HTTP_METRICS_CONNECTIONS,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)RSN_HTTP_METRICS_PER_IP,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)RSN_HTTP_METRICS_MEMORY,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)RSN_HTTP_METRICS_TIMEOUT_S,
        MHD_OPTION_EXTERNAL_LOGGER, on_log, NULL, MHD_OPTION_END);
    if (!self->daemon) {
        free(self);
        return rsn_why(why, why_size, RSN_ERR_IO,
                       "cannot serve metrics on %s (the address is in use, or not this "
                       "machine's)",
                       address);
    }
    const union MHD_DaemonInfo *fd = MHD_get_daemon_info(self->daemon, MHD_DAEMON_INFO_EPOLL_FD);
    const union MHD_DaemonInfo *port = MHD_get_daemon_info(self->daemon, MHD_DAEMON_INFO_BIND_PORT);
    self->port = port ? port->port : 0;
    rc = fd ? rsn_poller_add_fd(poller, fd->epoll_fd, RSN_POLLER_READABLE, on_ready, self,
                                &self->fd_id)
            : RSN_ERR_INTERNAL;
    if (rc < 0) {
        rsn_http_metrics_destroy(&self);
        return rsn_why(why, why_size, rc, "cannot watch the metrics server's descriptor");
    }
    *out = self;
    return 0;
}

uint16_t rsn_http_metrics_port(const rsn_http_metrics_t *self)
{
    return self->port;
}

void rsn_http_metrics_destroy(rsn_http_metrics_t **self_p)
{
    if (!self_p || !*self_p) {
        return;
    }
    rsn_http_metrics_t *self = *self_p;
    if (self->fd_id) {
        (void)rsn_poller_remove(self->poller, self->fd_id);
    }
    if (self->timer_id) {
        (void)rsn_poller_remove(self->poller, self->timer_id);
    }
    if (self->daemon) {
        MHD_stop_daemon(self->daemon);
    }
    free(self);
    *self_p = NULL;
}
