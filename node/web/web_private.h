/* web_private.h — what the files of node/web/ share: the server's state,
 * one HTTP call as the handlers see it, and the bounds of everything that
 * comes from a browser.
 *
 * Thread model (docs/design-notes.md "raison web"): one thread. The server
 * runs libmicrohttpd in external polling mode (MHD_USE_EPOLL) and waits on
 * the project's poller (net/poller.h) for MHD's epoll descriptor, the
 * subscription client's ZeroMQ socket and its timers; every MHD callback,
 * every node call and every event runs on that thread, so each ZeroMQ
 * socket is only ever used by the thread that made it and nothing needs a
 * lock. Node calls block the loop for one round trip (the node answers
 * O(page) reads in milliseconds; each call waits at most the timeout).
 * Server-sent event streams are suspended MHD connections, resumed when an
 * event or a ping is queued for them. */
#ifndef RSN_WEB_PRIVATE_H
#define RSN_WEB_PRIVATE_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "cli/cli.h"
#include "net/client.h"
#include "net/poller.h"
#include "web/web.h"

/* --- bounds on what comes from the network (docs/web.md "Limits") ---------- */
#define WEB_CONNECTIONS_MAX 256       /* open HTTP connections */
#define WEB_CONNECTIONS_PER_IP 128    /* from one address: its streams and more */
#define WEB_CONNECTION_TIMEOUT_S 30   /* an idle connection is closed */
#define WEB_HEADER_MEMORY (32 * 1024) /* request line and headers, per connection */
#define WEB_BODY_DROP_MAX                                                                \
    (1024 * 1024)               /* bytes of a chunked body past the bound before the cut \
                                 */
#define WEB_QUERY_ARGS_MAX 12   /* query parameters of one GET */
#define WEB_QUERY_VALUE_MAX 256 /* bytes of one query value */
#define WEB_FIELDS_MAX 8        /* fields of one JSON body */
#define WEB_SESSIONS_MAX 1024   /* live sessions */
#define WEB_SESSION_IDLE_MS (12ULL * 3600 * 1000)
#define WEB_CHALLENGES_MAX 1024 /* outstanding login challenges */
#define WEB_CHALLENGE_MS (2 * 60 * 1000)
#define WEB_INVITE_MS (7ULL * 24 * 3600 * 1000)
#define WEB_PEOPLE_MAX 100000             /* enrolled people in the state file */
#define WEB_FAIL_ADDRS 256                /* client addresses whose failures are counted */
#define WEB_FAILS_PER_MINUTE 10           /* failed logins from one address, then 429 */
#define WEB_STREAMS_MAX 64                /* server-sent event streams */
#define WEB_STREAM_QUEUE_MAX (256 * 1024) /* bytes queued for one slow stream */
#define WEB_PING_MS 15000                 /* ": ping" on every stream */
#define WEB_STATIC_MAX (4 * 1024 * 1024)  /* bytes of one static file */
#define WEB_TOKEN_BYTES 32                /* sessions, challenges, invites */
#define WEB_PAGE_LIMIT_MAX 500            /* limit= of a listing (the node's bound) */

typedef struct web_sessions web_sessions_t; /* session.c */
typedef struct web_events web_events_t;     /* events.c */

/* An enrolled person with a live session. */
typedef struct {
    uint8_t author[RSN_KEY_BYTES];
    bool operator_;
} web_person_t;

struct rsn_web {
    rsn_web_config_t cfg;
    bool tls;
    char *cert_pem, *key_pem;
    struct MHD_Daemon *mhd;
    rsn_poller_t *poller;
    rsn_client_t *client; /* node calls, opened on first use */
    web_sessions_t *sessions;
    web_events_t *events;
    bool resumed; /* a connection was resumed: run MHD again at once */
};

/* One HTTP call as a handler sees it, and what it answers. */
typedef struct {
    rsn_web_t *web;
    struct MHD_Connection *conn;
    const char *method;
    const char *path;
    char origin[RSN_WEB_URL_MAX];     /* scheme://Host, the server as the page sees it */
    char addr[64];                    /* the client's address, as text */
    json_t *body;                     /* a POST's JSON object */
    const web_person_t *person;       /* the session's, or NULL */
    uint8_t session[WEB_TOKEN_BYTES]; /* that session's token (with PERSON) */
    rsn_arena_t *arena;               /* freed with the call */
    rsn_cli_t cli;                    /* for the JSON builders (arena, messages) */
    const void *ask;                  /* what a handler keeps for its document builder */
    /* the answer */
    unsigned status;
    json_t *reply;                 /* JSON answer */
    struct MHD_Response *response; /* or a ready response (static, events) */
    char cookie[256];              /* a Set-Cookie value, or "" */
} web_call_t;

/* --- addr.c ------------------------------------------------------------- */

/* The socket address of HOST:PORT into SS (*V6 for an IPv6 one). 0 or
 * RSN_ERR_INVALID_ARG. */
RSN_NODISCARD int web_resolve(const char *host, uint16_t port, struct sockaddr_storage *ss,
                              bool *v6);

/* True when HOSTPORT, a request's Host header, names this server: its
 * listen address, a loopback name when it listens on loopback, this
 * machine's name when it listens on every address (a missing port is the
 * scheme's). */
bool web_host_ok(const rsn_web_t *w, const char *hostport);

/* --- http.c -------------------------------------------------------------- */

/* Sets C's answer to STATUS with the error {"code": 0, "name": "web",
 * "message": FMT...}. Returns -1 so handlers can `return web_fail(...)`. */
int web_fail(web_call_t *c, unsigned status, const char *fmt, ...) RSN_PRINTF(3, 4);

/* The value of query parameter NAME (NULL when absent). */
const char *web_query(web_call_t *c, const char *name);

/* Query parameter NAME as a number in [0, MAX] into *OUT (DEF when absent);
 * -1 (answered 400 naming it) when it is not one. */
int web_query_uint(web_call_t *c, const char *name, uint64_t max, uint64_t def, uint64_t *out);

/* Body field NAME as a string of at most MAX bytes; NULL allowed when
 * OPTIONAL. -1 (answered 400 naming it) when missing or of another type. */
int web_field_str(web_call_t *c, const char *name, size_t max, bool optional, const char **out);

/* Body field NAME, standard base64 of at most MAX bytes once decoded, into
 * the call's arena. -1 (answered 400 naming it) otherwise. */
int web_field_b64(web_call_t *c, const char *name, size_t max, uint8_t **out, size_t *len);

/* Calls the node with REQ and checks the reply is EXPECT: 0 and *REPLY; a
 * node error is answered with its code and name (404, 409, 400, ...), no
 * node with 503, and -1 returned. */
int web_node_call(web_call_t *c, Raison__ApiRequest *req, Raison__ApiReply__ResultCase expect,
                  Raison__ApiReply **reply);

/* Resumes CONN (suspended by a stream) and has the loop run MHD again. */
void web_resume(rsn_web_t *w, struct MHD_Connection *conn);

/* --- session.c: who gets in ------------------------------------------------ */

RSN_NODISCARD int web_sessions_new(web_sessions_t **out, const rsn_web_config_t *cfg);
void web_sessions_destroy(web_sessions_t **self_p);

/* The person of the call's session cookie, or NULL. */
const web_person_t *web_session_of(web_call_t *c);

/* The handlers of /api/challenge, /api/login, /api/logout, /api/me. */
int web_api_challenge(web_call_t *c);
int web_api_login(web_call_t *c);
int web_api_logout(web_call_t *c);
int web_api_me(web_call_t *c);

/* --- relay.c: reads and writes relayed to the node -------------------------- */

int web_api_status(web_call_t *c);
int web_api_peers(web_call_t *c);
int web_api_groups(web_call_t *c);
int web_api_group(web_call_t *c);
int web_api_timeline(web_call_t *c);
int web_api_report(web_call_t *c);
int web_api_profile(web_call_t *c);
int web_api_head(web_call_t *c);
int web_api_entry(web_call_t *c);
int web_api_draft(web_call_t *c);
int web_api_publish(web_call_t *c);

/* --- events.c: server-sent events ------------------------------------------ */

RSN_NODISCARD int web_events_new(web_events_t **out, rsn_web_t *w);
/* Ends every stream (resuming them) so MHD can stop. */
void web_events_close_all(web_events_t *self);
void web_events_destroy(web_events_t **self_p);
/* Work of the loop: drains the subscription socket, renews, pings. */
void web_events_tick(web_events_t *self);
/* Ends the streams opened under the session TOKEN (it logged out). */
void web_events_end_session(web_events_t *self, const uint8_t token[WEB_TOKEN_BYTES]);
/* The handler of /api/events: a stream. */
int web_api_events(web_call_t *c);

#endif
