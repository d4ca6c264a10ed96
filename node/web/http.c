/* http.c — the HTTP side of `raison web`: libmicrohttpd set up in external
 * polling mode on the project's poller, the checks every request passes
 * (Host, method, Content-Type, Origin, sizes), the route table, the static
 * files of the page, the security headers of every response, and the
 * helpers the handlers share (query parameters, JSON body fields, node
 * calls, error documents).
 *
 * A request's life: MHD calls on_request first with nothing (its Host and,
 * for a POST, its declared length are checked there), then with each piece
 * of the body (kept up to RSN_WEB_BODY_MAX, then dropped and answered 413),
 * then once more with nothing left: the route runs, its answer (a JSON
 * document, or a ready MHD response for files and streams) is given the
 * common headers and queued. The thread model is web_private.h's. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "web/assets.h"
#include "web/web_private.h"

#define CSP                                                                           \
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; " \
    "connect-src 'self'; frame-ancestors 'none'"

/* What a route needs of the caller. */
typedef enum { NEED_NONE, NEED_SESSION, NEED_OPERATOR } web_need_t;

typedef struct {
    const char *method;
    const char *path;
    web_need_t need;
    int (*run)(web_call_t *c);
    const char *args; /* query parameters (GET) or body fields (POST) it takes, ',' separated */
} web_route_t;

static const web_route_t routes[] = {
    {"POST", "/api/challenge", NEED_NONE, web_api_challenge, ""},
    {"POST", "/api/login", NEED_NONE, web_api_login, "author,challenge,signature,invite"},
    {"POST", "/api/logout", NEED_NONE, web_api_logout, ""},
    {"GET", "/api/me", NEED_SESSION, web_api_me, ""},
    {"GET", "/api/status", NEED_OPERATOR, web_api_status, ""},
    {"GET", "/api/peers", NEED_OPERATOR, web_api_peers, ""},
    {"GET", "/api/groups", NEED_SESSION, web_api_groups, "limit,cursor,prefix,text,order"},
    {"GET", "/api/group", NEED_SESSION, web_api_group,
     "g,members_limit,members_cursor,history_limit,history_from"},
    {"GET", "/api/timeline", NEED_SESSION, web_api_timeline, "g,mission,limit,cursor"},
    {"GET", "/api/report", NEED_SESSION, web_api_report, "g,days,site,series"},
    {"GET", "/api/profile", NEED_SESSION, web_api_profile, "author"},
    {"GET", "/api/head", NEED_SESSION, web_api_head, "author"},
    {"GET", "/api/entry", NEED_SESSION, web_api_entry, "id"},
    {"GET", "/api/events", NEED_SESSION, web_api_events, "g"},
    {"POST", "/api/draft", NEED_SESSION, web_api_draft, "kind,body"},
    {"POST", "/api/publish", NEED_SESSION, web_api_publish, "entry,signature,body"},
};

/* The body of one request as it arrives. */
typedef struct {
    char *buf;
    size_t len;
    size_t dropped; /* bytes past RSN_WEB_BODY_MAX, read and dropped */
    bool too_large;
} web_conn_t;

/* --- answers ---------------------------------------------------------------- */

int web_fail(web_call_t *c, unsigned status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_decref(c->reply);
    c->status = status;
    c->reply = json_pack("{s:o}", "error", cli_json_error(0, "web", msg));
    return -1;
}

/* The HTTP status of a node's error CODE (a negated ErrorCode). */
static unsigned status_of_node_error(int code)
{
    switch (code) {
    case RSN_ERR_NOT_FOUND:
    case RSN_ERR_UNKNOWN_GROUP:
    case RSN_ERR_UNKNOWN_ENTRY: return MHD_HTTP_NOT_FOUND;
    case RSN_ERR_BAD_SEQ:
    case RSN_ERR_BAD_PREV:
    case RSN_ERR_FORK:
    case RSN_ERR_FEED_FROZEN:
    case RSN_ERR_AMBIGUOUS: return MHD_HTTP_CONFLICT;
    case RSN_ERR_NOT_OWNER:
    case RSN_ERR_NOT_MEMBER: return MHD_HTTP_FORBIDDEN;
    case RSN_ERR_TOO_LARGE: return MHD_HTTP_CONTENT_TOO_LARGE;
    case RSN_ERR_BUSY: return MHD_HTTP_SERVICE_UNAVAILABLE;
    case RSN_ERR_INTERNAL: return MHD_HTTP_BAD_GATEWAY;
    default: return MHD_HTTP_BAD_REQUEST;
    }
}

int web_node_call(web_call_t *c, Raison__ApiRequest *req, Raison__ApiReply__ResultCase expect,
                  Raison__ApiReply **reply)
{
    rsn_web_t *w = c->web;
    struct stat st;
    *reply = NULL;
    if (w->client && stat(w->cfg.socket_path, &st) != 0) {
        rsn_client_destroy(&w->client); /* the node stopped: no wait for a reply */
    }
    if (!w->client) {
        int rc = rsn_client_connect(&w->client, w->cfg.socket_path, w->cfg.timeout_ms);
        if (rc != 0) {
            return web_fail(c, MHD_HTTP_SERVICE_UNAVAILABLE,
                            "the node is not running (no API socket at %s)", w->cfg.socket_path);
        }
    }
    int rc = rsn_client_call(w->client, req, reply);
    if (rc != 0) {
        /* a late reply must not answer the next call: start afresh */
        rsn_client_destroy(&w->client);
        return web_fail(c, MHD_HTTP_SERVICE_UNAVAILABLE, "the node did not answer (%s)",
                        rsn_strerror(rc));
    }
    Raison__ApiReply *r = *reply;
    if (r->result_case == RAISON__API_REPLY__RESULT_ERROR && r->error) {
        int code = (int)r->error->code;
        const ProtobufCEnumValue *v =
            protobuf_c_enum_descriptor_get_value(&raison__error_code__descriptor, code);
        json_decref(c->reply);
        c->status = status_of_node_error(-code);
        c->reply =
            json_pack("{s:o}", "error",
                      cli_json_error(code, v ? v->name : "ERROR_UNKNOWN", r->error->message));
        rsn_reply_free(r);
        *reply = NULL;
        return -1;
    }
    if (r->result_case != expect) {
        rsn_reply_free(r);
        *reply = NULL;
        return web_fail(c, MHD_HTTP_BAD_GATEWAY, "the node sent an unexpected answer");
    }
    return 0;
}

/* --- query parameters and body fields ---------------------------------------- */

const char *web_query(web_call_t *c, const char *name)
{
    return MHD_lookup_connection_value(c->conn, MHD_GET_ARGUMENT_KIND, name);
}

int web_query_uint(web_call_t *c, const char *name, uint64_t max, uint64_t def, uint64_t *out)
{
    const char *v = web_query(c, name);
    if (!v || !v[0]) {
        *out = def;
        return 0;
    }
    if (!cli_parse_uint(v, max, out)) {
        return web_fail(c, MHD_HTTP_BAD_REQUEST, "parameter '%s': a number of at most %llu", name,
                        (unsigned long long)max);
    }
    return 0;
}

int web_field_str(web_call_t *c, const char *name, size_t max, bool optional, const char **out)
{
    json_t *v = c->body ? json_object_get(c->body, name) : NULL;
    *out = NULL;
    if ((!v || json_is_null(v)) && optional) {
        return 0;
    }
    if (!v || !json_is_string(v)) {
        return web_fail(c, MHD_HTTP_BAD_REQUEST, "field '%s': a string is needed", name);
    }
    if (json_string_length(v) > max || strlen(json_string_value(v)) != json_string_length(v)) {
        return web_fail(c, MHD_HTTP_BAD_REQUEST, "field '%s': at most %zu characters, no NUL", name,
                        max);
    }
    *out = json_string_value(v);
    return 0;
}

int web_field_b64(web_call_t *c, const char *name, size_t max, uint8_t **out, size_t *len)
{
    const char *s = NULL;
    size_t text_max = rsn_base64_encoded_size(max);
    if (web_field_str(c, name, text_max, false, &s) != 0) {
        return -1;
    }
    size_t n = strlen(s);
    uint8_t *buf = rsn_arena_alloc(c->arena, n / 4 * 3 + 1);
    if (!buf || rsn_base64_decode(buf, n / 4 * 3 + 1, len, s, n) != 0 || *len > max) {
        return web_fail(c, MHD_HTTP_BAD_REQUEST,
                        "field '%s': standard base64 with padding of at most %zu bytes", name, max);
    }
    *out = buf;
    return 0;
}

/* True when NAME is one of the ','-separated names of LIST. */
static bool listed(const char *list, const char *name, size_t len)
{
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == len && memcmp(p, name, n) == 0) {
            return true;
        }
        p += n + (e ? 1 : 0);
    }
    return false;
}

typedef struct {
    web_call_t *c;
    const char *allowed;
    int count;
    int bad; /* 0, or 1: answered */
} args_check_t;

static enum MHD_Result check_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
    args_check_t *a = cls;
    (void)kind;
    if (a->bad) {
        return MHD_NO;
    }
    if (++a->count > WEB_QUERY_ARGS_MAX) {
        web_fail(a->c, MHD_HTTP_BAD_REQUEST, "at most %d query parameters", WEB_QUERY_ARGS_MAX);
    } else if (!listed(a->allowed, key, strlen(key))) {
        web_fail(a->c, MHD_HTTP_BAD_REQUEST, "unknown parameter '%.64s'", key);
    } else if (value && strlen(value) > WEB_QUERY_VALUE_MAX) {
        web_fail(a->c, MHD_HTTP_BAD_REQUEST, "parameter '%s': at most %d bytes", key,
                 WEB_QUERY_VALUE_MAX);
    } else {
        return MHD_YES;
    }
    a->bad = 1;
    return MHD_NO;
}

/* Parses and checks a POST's body: a JSON object of at most WEB_FIELDS_MAX
 * fields, each named in ALLOWED. 0, or -1 answered 400. */
static int parse_body(web_call_t *c, const web_conn_t *wc, const char *allowed)
{
    json_error_t err;
    if (wc->len == 0) {
        c->body = json_object();
        return c->body ? 0 : web_fail(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    }
    c->body = json_loadb(wc->buf, wc->len, JSON_REJECT_DUPLICATES, &err);
    if (!c->body) {
        return web_fail(c, MHD_HTTP_BAD_REQUEST, "the body is not JSON: %s", err.text);
    }
    if (!json_is_object(c->body)) {
        return web_fail(c, MHD_HTTP_BAD_REQUEST, "the body must be a JSON object");
    }
    if (json_object_size(c->body) > WEB_FIELDS_MAX) {
        return web_fail(c, MHD_HTTP_BAD_REQUEST, "at most %d fields", WEB_FIELDS_MAX);
    }
    const char *key;
    json_t *v;
    json_object_foreach(c->body, key, v)
    {
        if (!listed(allowed, key, strlen(key))) {
            return web_fail(c, MHD_HTTP_BAD_REQUEST, "unknown field '%.64s'", key);
        }
        if (json_is_object(v) || json_is_array(v)) {
            return web_fail(c, MHD_HTTP_BAD_REQUEST, "field '%s': a string, number or null", key);
        }
    }
    return 0;
}

/* --- the checks of every request ------------------------------------------------- */

/* "application/json", optionally with parameters ("; charset=utf-8"). */
static bool is_json_type(const char *type)
{
    static const char want[] = "application/json";
    size_t n = sizeof want - 1;
    return type && strncasecmp(type, want, n) == 0 &&
           (type[n] == '\0' || type[n] == ';' || type[n] == ' ');
}

static void client_addr(struct MHD_Connection *conn, char *out, size_t size)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(out, size, "?");
    if (!ci || !ci->client_addr) {
        return;
    }
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)size);
    } else if (sa->sa_family == AF_INET6) {
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)size);
    }
}

/* --- static files ----------------------------------------------------------- */

static const struct {
    const char *ext;
    const char *type;
} content_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".json", "application/json"},
};

/* The content type of NAME, or NULL when it is not served. */
static const char *type_of(const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof content_types / sizeof content_types[0]; i++) {
        size_t e = strlen(content_types[i].ext);
        if (n > e && strcmp(name + n - e, content_types[i].ext) == 0) {
            return content_types[i].type;
        }
    }
    return NULL;
}

/* A static file NAME is served when each of its segments is a plain name:
 * [A-Za-z0-9_.-], not starting with a dot (no "..", no dotfiles). */
static bool safe_name(const char *name)
{
    bool start = true;
    if (!name[0] || strlen(name) > 128) {
        return false;
    }
    for (const char *p = name; *p; p++) {
        char ch = *p;
        if (ch == '/') {
            if (start) {
                return false;
            }
            start = true;
            continue;
        }
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || (ch == '.' && !start);
        if (!ok) {
            return false;
        }
        start = false;
    }
    return !start;
}

static int serve_file(web_call_t *c, const char *name)
{
    const char *type = type_of(name);
    if (!safe_name(name) || !type) {
        return web_fail(c, MHD_HTTP_NOT_FOUND, "no such file");
    }
    if (!c->web->cfg.static_dir) { /* the page embedded at build time */
        const rsn_web_asset_t *a = rsn_web_asset(name);
        if (!a) {
            return web_fail(c, MHD_HTTP_NOT_FOUND, "no such file");
        }
        c->response =
            MHD_create_response_from_buffer(a->len, (void *)a->data, MHD_RESPMEM_PERSISTENT);
        if (!c->response) {
            return web_fail(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
        }
        MHD_add_response_header(c->response, MHD_HTTP_HEADER_CONTENT_TYPE, type);
        c->status = MHD_HTTP_OK;
        return 0;
    }
    char path[1024];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", c->web->cfg.static_dir, name) >= sizeof path) {
        return web_fail(c, MHD_HTTP_NOT_FOUND, "no such file");
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > WEB_STATIC_MAX) {
        if (fd >= 0) {
            close(fd);
        }
        return web_fail(c, MHD_HTTP_NOT_FOUND, "no such file");
    }
    c->response = MHD_create_response_from_fd((uint64_t)st.st_size, fd); /* owns FD */
    if (!c->response) {
        close(fd);
        return web_fail(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    }
    MHD_add_response_header(c->response, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    c->status = MHD_HTTP_OK;
    return 0;
}

/* --- routing ----------------------------------------------------------------- */

/* A token in a URL: base64url characters only, bounded. */
static bool token_chars(const char *t)
{
    size_t n = strlen(t);
    if (n == 0 || n > 64) {
        return false;
    }
    for (; *t; t++) {
        char ch = *t;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '-')) {
            return false;
        }
    }
    return true;
}

static int dispatch_api(web_call_t *c, const web_conn_t *wc)
{
    const web_route_t *route = NULL;
    bool path_known = false;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        if (strcmp(routes[i].path, c->path) == 0) {
            path_known = true;
            if (strcmp(routes[i].method, c->method) == 0) {
                route = &routes[i];
            }
        }
    }
    if (!route) {
        return path_known ? web_fail(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method %s not allowed here",
                                     c->method)
                          : web_fail(c, MHD_HTTP_NOT_FOUND, "no such call");
    }
    bool post = strcmp(c->method, "POST") == 0;
    if (post) {
        const char *origin = MHD_lookup_connection_value(c->conn, MHD_HEADER_KIND, "Origin");
        if (!is_json_type(MHD_lookup_connection_value(c->conn, MHD_HEADER_KIND, "Content-Type"))) {
            return web_fail(c, MHD_HTTP_FORBIDDEN, "a POST must be of type application/json");
        }
        if (origin && strcmp(origin, c->origin) != 0) {
            return web_fail(c, MHD_HTTP_FORBIDDEN, "cross-origin request refused");
        }
        if (wc->too_large) {
            return web_fail(c, MHD_HTTP_CONTENT_TOO_LARGE, "the body is over %d bytes",
                            RSN_WEB_BODY_MAX);
        }
    }
    args_check_t a = {c, post ? "" : route->args, 0, 0};
    MHD_get_connection_values(c->conn, MHD_GET_ARGUMENT_KIND, check_arg, &a);
    if (a.bad || (post && parse_body(c, wc, route->args) != 0)) {
        return -1;
    }
    c->person = web_session_of(c);
    if (route->need != NEED_NONE && !c->person) {
        return web_fail(c, MHD_HTTP_UNAUTHORIZED, "log in first");
    }
    if (route->need == NEED_OPERATOR && !c->person->operator_) {
        return web_fail(c, MHD_HTTP_FORBIDDEN, "only the site's operator may see this");
    }
    c->status = MHD_HTTP_OK;
    return route->run(c);
}

static int dispatch(web_call_t *c, const web_conn_t *wc)
{
    if (strncmp(c->path, "/api/", 5) == 0) {
        return dispatch_api(c, wc);
    }
    if (strcmp(c->method, "GET") != 0 && strcmp(c->method, "HEAD") != 0) {
        return web_fail(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method %s not allowed here", c->method);
    }
    if (strcmp(c->path, "/") == 0 ||
        (strncmp(c->path, "/invite/", 8) == 0 && token_chars(c->path + 8))) {
        return serve_file(c, "index.html");
    }
    if (strncmp(c->path, "/static/", 8) == 0) {
        return serve_file(c, c->path + 8);
    }
    return web_fail(c, MHD_HTTP_NOT_FOUND, "no such page");
}

/* Adds the headers of every response; /api/ answers are never cached. */
static void add_headers(struct MHD_Response *r, bool api)
{
    MHD_add_response_header(r, "Content-Security-Policy", CSP);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Cache-Control", api ? "no-store" : "no-cache");
}

/* Queues C's answer on its connection. */
static enum MHD_Result answer(web_call_t *c)
{
    struct MHD_Response *r = c->response;
    if (!r) {
        char *text = c->reply ? json_dumps(c->reply, JSON_COMPACT) : NULL;
        if (!text) {
            static const char oom[] = "{\"error\":{\"code\":0,\"name\":\"web\",\"message\":\"out "
                                      "of memory\"}}";
            c->status = MHD_HTTP_INTERNAL_SERVER_ERROR;
            r = MHD_create_response_from_buffer(sizeof oom - 1, (void *)oom,
                                                MHD_RESPMEM_PERSISTENT);
        } else {
            r = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
        }
        if (!r) {
            free(text);
            return MHD_NO;
        }
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    }
    add_headers(r, strncmp(c->path, "/api/", 5) == 0);
    if (c->cookie[0]) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, c->cookie);
    }
    enum MHD_Result ok = MHD_queue_response(c->conn, c->status, r);
    MHD_destroy_response(r);
    rsn_debug("web: %s %s %u", c->method ? c->method : "-", c->path, c->status);
    return ok;
}

/* A quick answer before the body has arrived (421, 413), JSON as ever. */
static enum MHD_Result answer_early(rsn_web_t *w, struct MHD_Connection *conn, const char *url,
                                    unsigned status, const char *message)
{
    web_call_t c = {.web = w, .conn = conn, .path = url};
    web_fail(&c, status, "%s", message);
    enum MHD_Result ok = answer(&c);
    json_decref(c.reply);
    return ok;
}

/* The cli context a call's JSON builders use: its arena, and messages to
 * the log. */
static void sink_log(void *ctx, cli_msg_kind_t kind, const char *text)
{
    (void)ctx;
    if (kind == CLI_MSG_ERROR) {
        rsn_warn("web: %s", text);
    }
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    rsn_web_t *w = cls;
    web_conn_t *wc = *con_cls;
    (void)version;
    if (!wc) {
        const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");
        if (!web_host_ok(w, host)) {
            return answer_early(w, conn, url, 421, "this server does not answer for that Host");
        }
        const char *len = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
        if (len && strtoull(len, NULL, 10) > RSN_WEB_BODY_MAX) {
            return answer_early(w, conn, url, MHD_HTTP_CONTENT_TOO_LARGE, "the body is too large");
        }
        if (!(wc = calloc(1, sizeof *wc))) {
            return MHD_NO;
        }
        *con_cls = wc;
        return MHD_YES;
    }
    if (*upload_size > 0) {
        if (!wc->too_large && wc->len + *upload_size <= RSN_WEB_BODY_MAX) {
            char *grown = realloc(wc->buf, wc->len + *upload_size);
            if (!grown) {
                return MHD_NO;
            }
            wc->buf = grown;
            memcpy(wc->buf + wc->len, upload, *upload_size);
            wc->len += *upload_size;
        } else {
            /* dropped, and answered 413 at its end; a body that goes on and
             * on is cut (MHD cannot answer before the body is read) */
            wc->too_large = true;
            wc->dropped += *upload_size;
            if (wc->dropped > WEB_BODY_DROP_MAX) {
                return MHD_NO;
            }
        }
        *upload_size = 0;
        return MHD_YES;
    }
    web_call_t c = {.web = w, .conn = conn, .method = method, .path = url, .status = 200};
    const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");
    snprintf(c.origin, sizeof c.origin, "%s://%s", w->tls ? "https" : "http", host ? host : "");
    client_addr(conn, c.addr, sizeof c.addr);
    c.arena = rsn_arena_new();
    c.cli.arena = c.arena;
    c.cli.sink = sink_log;
    c.cli.socket_path = w->cfg.socket_path;
    c.cli.timeout_ms = w->cfg.timeout_ms;
    if (!c.arena) {
        web_fail(&c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    } else {
        (void)dispatch(&c, wc);
    }
    enum MHD_Result ok = answer(&c);
    json_decref(c.reply);
    json_decref(c.body);
    rsn_arena_destroy(&c.arena);
    return ok;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode why)
{
    web_conn_t *wc = *con_cls;
    (void)cls;
    (void)conn;
    (void)why;
    if (wc) {
        free(wc->buf);
        free(wc);
        *con_cls = NULL;
    }
}

void web_resume(rsn_web_t *w, struct MHD_Connection *conn)
{
    MHD_resume_connection(conn);
    w->resumed = true;
}

/* --- the server's life ----------------------------------------------------------- */

static int read_pem(const char *path, char **out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    *out = NULL;
    if (fd < 0 || fstat(fd, &st) != 0 || st.st_size <= 0 || st.st_size > 1024 * 1024) {
        if (fd >= 0) {
            close(fd);
        }
        return RSN_ERR_INVALID_ARG;
    }
    char *buf = malloc((size_t)st.st_size + 1);
    ssize_t n = buf ? read(fd, buf, (size_t)st.st_size) : -1;
    close(fd);
    if (n != st.st_size) {
        free(buf);
        return RSN_ERR_INVALID_ARG;
    }
    buf[n] = '\0';
    *out = buf;
    return 0;
}

static void on_epoll(rsn_poller_t *poller, int id, int events, void *ctx)
{
    (void)poller;
    (void)id;
    (void)events;
    (void)ctx; /* MHD_run, after the wait, does the work */
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    (void)cls;
    vsnprintf(line, sizeof line, fmt, ap);
    line[strcspn(line, "\n")] = '\0';
    rsn_warn("web: %s", line);
}

int rsn_web_new(rsn_web_t **out, const rsn_web_config_t *cfg)
{
    int rc = RSN_ERR_NOMEM;
    rsn_web_t *w = calloc(1, sizeof *w);
    struct sockaddr_storage ss;
    bool v6 = false;
    *out = NULL;
    if (!w) {
        goto out;
    }
    w->cfg = *cfg;
    w->tls = cfg->tls_cert != NULL;
    if (!rsn_web_is_loopback(cfg->host) && !w->tls) {
        fprintf(stderr,
                "raison: web: refusing to listen on %s without TLS: give --tls-cert and "
                "--tls-key (or listen on 127.0.0.1)\n",
                cfg->host);
        rc = RSN_ERR_INVALID_ARG;
        goto out;
    }
    if (w->tls &&
        (read_pem(cfg->tls_cert, &w->cert_pem) != 0 || read_pem(cfg->tls_key, &w->key_pem) != 0)) {
        fprintf(stderr, "raison: web: cannot read the TLS certificate %s or key %s\n",
                cfg->tls_cert, cfg->tls_key);
        rc = RSN_ERR_INVALID_ARG;
        goto out;
    }
    if (web_resolve(cfg->host, cfg->port, &ss, &v6) != 0) {
        fprintf(stderr, "raison: web: cannot resolve the address %s\n", cfg->host);
        rc = RSN_ERR_INVALID_ARG;
        goto out;
    }
    if ((rc = web_sessions_new(&w->sessions, cfg)) != 0) {
        fprintf(stderr, "raison: web: cannot use the state folder %s: %s\n", cfg->state_dir,
                rsn_strerror(rc));
        goto out;
    }
    if ((rc = rsn_poller_new(&w->poller)) != 0 || (rc = web_events_new(&w->events, w)) != 0) {
        goto out;
    }
    unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
                     (w->tls ? MHD_USE_TLS : 0) | (v6 ? MHD_USE_IPv6 : 0);
    struct MHD_OptionItem tls_opts[] = {
        {w->tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, w->cert_pem},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, w->key_pem},
        {MHD_OPTION_END, 0, NULL},
    };
    w->mhd = MHD_start_daemon(
        flags, cfg->port, NULL, NULL, on_request, w, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, w,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)WEB_CONNECTIONS_MAX, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned)WEB_CONNECTIONS_PER_IP, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)WEB_CONNECTION_TIMEOUT_S, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)WEB_HEADER_MEMORY, MHD_OPTION_NOTIFY_COMPLETED, on_completed, w, MHD_OPTION_ARRAY,
        tls_opts, MHD_OPTION_END);
    if (!w->mhd) {
        fprintf(stderr, "raison: web: cannot listen on %s:%u (in use, or not an address here)\n",
                cfg->host, cfg->port);
        rc = RSN_ERR_IO;
        goto out;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(w->mhd, MHD_DAEMON_INFO_EPOLL_FD);
    int id = 0;
    if (!info || (rc = rsn_poller_add_fd(w->poller, info->epoll_fd, RSN_POLLER_READABLE, on_epoll,
                                         w, &id)) != 0) {
        rc = rc ? rc : RSN_ERR_INTERNAL;
        goto out;
    }
    *out = w;
    w = NULL;
    rc = 0;
out:
    rsn_web_destroy(&w);
    return rc;
}

int rsn_web_run(rsn_web_t *self, volatile sig_atomic_t *stop)
{
    while (!*stop) {
        MHD_UNSIGNED_LONG_LONG mhd_ms = 0;
        int timeout = 1000;
        if (MHD_get_timeout(self->mhd, &mhd_ms) == MHD_YES && mhd_ms < (uint64_t)timeout) {
            timeout = (int)mhd_ms;
        }
        if (self->resumed) {
            timeout = 0;
            self->resumed = false;
        }
        if (rsn_poller_wait(self->poller, timeout) == RSN_ERR_INTERNAL) {
            return RSN_ERR_INTERNAL;
        }
        MHD_run(self->mhd);
        web_events_tick(self->events);
    }
    return 0;
}

void rsn_web_destroy(rsn_web_t **self_p)
{
    rsn_web_t *w = *self_p;
    if (!w) {
        return;
    }
    if (w->mhd) {
        /* suspended streams must be resumed and ended before MHD stops */
        web_events_close_all(w->events);
        for (int i = 0; i < 4; i++) {
            MHD_run(w->mhd);
        }
        MHD_stop_daemon(w->mhd);
    }
    web_events_destroy(&w->events);
    web_sessions_destroy(&w->sessions);
    rsn_client_destroy(&w->client);
    rsn_poller_destroy(&w->poller);
    free(w->cert_pem);
    if (w->key_pem) {
        explicit_bzero(w->key_pem, strlen(w->key_pem));
    }
    free(w->key_pem);
    free(w);
    *self_p = NULL;
}
