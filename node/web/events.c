/* events.c — server-sent events of `raison web`: /api/events?g=REF.
 *
 * The server holds the node subscriptions, the browser never talks to the
 * node: one subscription per group being watched (by its id, so two names
 * of one group share it), on a client of its own (replies to calls and
 * events never mix on one socket), renewed at half its lifetime by
 * resending the very same request (docs/api.md "Subscriptions") and
 * cancelled when its last stream ends. Each event is rendered once, as
 * `raison watch --json` prints it (cli_json_event), and queued on every
 * stream of that subscription as "event: entry\ndata: JSON\n\n"; every
 * WEB_PING_MS each stream gets ": ping". A stream is an MHD response whose
 * reader suspends the connection when its queue is empty; a push resumes
 * it. At most WEB_STREAMS_MAX streams (503 beyond); a stream whose queue
 * passes WEB_STREAM_QUEUE_MAX (a reader that does not keep up) is ended,
 * and the page reconnects; a logout ends the streams of its session. All of it runs on the server's
 * one thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "web/web_private.h"

#define RENEW_RETRY_MS 10000 /* a renewal not answered is sent again after this */

typedef struct {
    bool used;
    char group[2 * RSN_ID_BYTES + 1]; /* the group's id in hex; "" for every entry */
    uint64_t request_id;
    uint8_t *again; /* the subscribe as sent: renewals resend these bytes */
    size_t again_len;
    uint64_t renew_at;
    int streams;
} web_sub_t;

typedef struct {
    bool used;
    web_events_t *ev;
    struct MHD_Connection *conn;
    uint8_t session[WEB_TOKEN_BYTES]; /* the session it was opened under */
    int sub;
    char *buf;
    size_t len, off;
    bool suspended;
    bool closing;
} web_stream_t;

struct web_events {
    rsn_web_t *w;
    rsn_client_t *client;
    web_sub_t subs[WEB_STREAMS_MAX];
    web_stream_t streams[WEB_STREAMS_MAX];
    uint64_t next_ping;
};

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int web_events_new(web_events_t **out, rsn_web_t *w)
{
    web_events_t *ev = calloc(1, sizeof *ev);
    if (!ev) {
        return RSN_ERR_NOMEM;
    }
    ev->w = w;
    ev->next_ping = mono_ms() + WEB_PING_MS;
    *out = ev;
    return 0;
}

/* Packs a subscribe of SUB (cancelled when CANCEL) with its request_id. */
static int pack_subscribe(const web_sub_t *sub, bool cancel, rsn_arena_t *arena, uint8_t **out,
                          size_t *len)
{
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__SubscribeRequest s = RAISON__SUBSCRIBE_REQUEST__INIT;
    s.group = (char *)sub->group;
    s.cancel = cancel;
    req.request_id = sub->request_id;
    req.call_case = RAISON__API_REQUEST__CALL_SUBSCRIBE;
    req.subscribe = &s;
    return rsn_pack(arena, &req.base, out, len);
}

static void sub_release(web_events_t *ev, int i)
{
    web_sub_t *sub = &ev->subs[i];
    if (--sub->streams > 0) {
        return;
    }
    rsn_arena_t *arena = rsn_arena_new();
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (arena && ev->client && pack_subscribe(sub, true, arena, &bytes, &len) == 0 &&
        rsn_client_send_raw(ev->client, bytes, len) != 0) {
        /* the node is gone: nothing to cancel */
    }
    rsn_arena_destroy(&arena);
    free(sub->again);
    memset(sub, 0, sizeof *sub);
}

/* Resumes S when it waits for data. */
static void wake(web_stream_t *s)
{
    if (s->suspended) {
        s->suspended = false;
        web_resume(s->ev->w, s->conn);
    }
}

/* Queues LEN bytes of TEXT on S and wakes it. */
static void push(web_stream_t *s, const char *text, size_t len)
{
    if (s->closing || len == 0) {
        return;
    }
    if (s->off > 0) {
        memmove(s->buf, s->buf + s->off, s->len - s->off);
        s->len -= s->off;
        s->off = 0;
    }
    char *grown = s->len + len <= WEB_STREAM_QUEUE_MAX ? realloc(s->buf, s->len + len) : NULL;
    if (!grown) {
        rsn_warn("web: a stream that does not keep up is ended");
        s->closing = true;
    } else {
        s->buf = grown;
        memcpy(s->buf + s->len, text, len);
        s->len += len;
    }
    wake(s);
}

static void push_sub(web_events_t *ev, int sub, const char *text, size_t len, bool end)
{
    for (int i = 0; i < WEB_STREAMS_MAX; i++) {
        web_stream_t *s = &ev->streams[i];
        if (s->used && (sub < 0 || s->sub == sub)) {
            if (len > 0) {
                push(s, text, len);
            }
            if (end) {
                s->closing = true;
                wake(s);
            }
        }
    }
}

static ssize_t read_stream(void *cls, uint64_t pos, char *buf, size_t max)
{
    web_stream_t *s = cls;
    (void)pos;
    if (s->len > s->off) {
        size_t n = s->len - s->off < max ? s->len - s->off : max;
        memcpy(buf, s->buf + s->off, n);
        s->off += n;
        return (ssize_t)n;
    }
    if (s->closing) {
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    s->suspended = true;
    MHD_suspend_connection(s->conn);
    return 0;
}

static void free_stream(void *cls)
{
    web_stream_t *s = cls;
    web_events_t *ev = s->ev;
    int sub = s->sub;
    free(s->buf);
    memset(s, 0, sizeof *s);
    sub_release(ev, sub);
}

static void on_socket(rsn_poller_t *poller, int id, int events, void *ctx)
{
    (void)poller;
    (void)id;
    (void)events;
    (void)ctx; /* web_events_tick, after the wait, reads it */
}

/* The subscription of GROUP (a hex id or ""), made when there is none.
 * Its index, or -1 answered 503. */
static int sub_for(web_call_t *c, web_events_t *ev, const char *group)
{
    int free_slot = -1;
    for (int i = 0; i < WEB_STREAMS_MAX; i++) {
        if (ev->subs[i].used && strcmp(ev->subs[i].group, group) == 0) {
            return i;
        }
        free_slot = !ev->subs[i].used && free_slot < 0 ? i : free_slot;
    }
    if (!ev->client) {
        int id = 0;
        int rc = rsn_client_connect(&ev->client, ev->w->cfg.socket_path, ev->w->cfg.timeout_ms);
        if (rc == 0) {
            rc = rsn_client_watch(ev->client, ev->w->poller, on_socket, ev, &id);
        }
        if (rc != 0) {
            rsn_client_destroy(&ev->client);
            return web_fail(c, MHD_HTTP_SERVICE_UNAVAILABLE, "cannot subscribe at the node: %s",
                            rsn_strerror(rc));
        }
    }
    web_sub_t *sub = &ev->subs[free_slot];
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__SubscribeRequest s = RAISON__SUBSCRIBE_REQUEST__INIT;
    uint8_t *bytes = NULL;
    snprintf(sub->group, sizeof sub->group, "%s", group);
    s.group = sub->group;
    req.call_case = RAISON__API_REQUEST__CALL_SUBSCRIBE;
    req.subscribe = &s;
    if (rsn_client_send(ev->client, &req, &sub->request_id) != 0 ||
        pack_subscribe(sub, false, c->arena, &bytes, &sub->again_len) != 0 ||
        !(sub->again = malloc(sub->again_len))) {
        memset(sub, 0, sizeof *sub);
        return web_fail(c, MHD_HTTP_SERVICE_UNAVAILABLE, "cannot subscribe at the node");
    }
    memcpy(sub->again, bytes, sub->again_len);
    sub->used = true;
    sub->renew_at = mono_ms() + RENEW_RETRY_MS;
    return free_slot;
}

int web_api_events(web_call_t *c)
{
    web_events_t *ev = c->web->events;
    char group[2 * RSN_ID_BYTES + 1] = "";
    int slot = -1;
    for (int i = 0; i < WEB_STREAMS_MAX && slot < 0; i++) {
        slot = ev->streams[i].used ? -1 : i;
    }
    if (slot < 0) {
        return web_fail(c, MHD_HTTP_SERVICE_UNAVAILABLE, "too many event streams (at most %d)",
                        WEB_STREAMS_MAX);
    }
    const char *ref = web_query(c, "g");
    if (ref && ref[0]) {
        /* the group is resolved first: an unknown one is a 404, not a stream */
        Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
        Raison__GroupRequest g = RAISON__GROUP_REQUEST__INIT;
        Raison__ApiReply *reply = NULL;
        g.group = (char *)ref;
        g.members_limit = 1;
        g.history_limit = 1;
        req.call_case = RAISON__API_REQUEST__CALL_GROUP;
        req.group = &g;
        if (web_node_call(c, &req, RAISON__API_REPLY__RESULT_GROUP, &reply) != 0) {
            return -1;
        }
        if (reply->group && reply->group->group.len == RSN_ID_BYTES) {
            rsn_hex_encode(group, sizeof group, reply->group->group.data, RSN_ID_BYTES);
        }
        rsn_reply_free(reply);
        if (!group[0]) {
            return web_fail(c, MHD_HTTP_BAD_GATEWAY, "the node's answer is incomplete");
        }
    }
    int sub = sub_for(c, ev, group);
    if (sub < 0) {
        return -1;
    }
    web_stream_t *s = &ev->streams[slot];
    *s = (web_stream_t){.used = true, .ev = ev, .conn = c->conn, .sub = sub};
    memcpy(s->session, c->session, sizeof s->session);
    ev->subs[sub].streams++;
    c->response =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, read_stream, s, free_stream);
    if (!c->response) {
        free_stream(s);
        return web_fail(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    }
    MHD_add_response_header(c->response, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
    static const char hello[] = "retry: 3000\n: connected\n\n";
    push(s, hello, sizeof hello - 1);
    return 0;
}

/* One reply or event from the subscription client. */
static void on_reply(web_events_t *ev, const Raison__ApiReply *r)
{
    int sub = -1;
    for (int i = 0; i < WEB_STREAMS_MAX && sub < 0; i++) {
        sub = ev->subs[i].used && ev->subs[i].request_id == r->request_id ? i : -1;
    }
    if (sub < 0) {
        return; /* a cancelled subscription's last words */
    }
    if (r->result_case == RAISON__API_REPLY__RESULT_SUBSCRIBE && r->subscribe) {
        uint32_t ms = r->subscribe->expires_in_ms;
        /* renew at half the time left: a slow answer never lets it lapse */
        ev->subs[sub].renew_at = mono_ms() + (ms ? ms / 2 : RENEW_RETRY_MS);
    } else if (r->result_case == RAISON__API_REPLY__RESULT_EVENT && r->event) {
        rsn_cli_t cli = {0};
        cli.arena = rsn_arena_new();
        json_t *doc = cli.arena ? cli_json_event(&cli, r->event) : NULL;
        char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
        char *frame = text ? rsn_arena_printf(cli.arena, "event: entry\ndata: %s\n\n", text) : NULL;
        if (frame) {
            push_sub(ev, sub, frame, strlen(frame), false);
        }
        free(text);
        json_decref(doc);
        rsn_arena_destroy(&cli.arena);
    } else if (r->result_case == RAISON__API_REPLY__RESULT_ERROR) {
        static const char gone[] = "event: error\ndata: {\"message\":\"the node ended the "
                                   "subscription\"}\n\n";
        push_sub(ev, sub, gone, sizeof gone - 1, true);
    }
}

void web_events_tick(web_events_t *ev)
{
    uint64_t now = mono_ms();
    if (ev->client) {
        Raison__ApiReply *r = NULL;
        for (int n = 0; n < 1000; n++) {
            int rc = rsn_client_recv_timeout(ev->client, &r, 0);
            if (rc == RSN_ERR_BAD_REQUEST) {
                continue;
            }
            if (rc != 0) {
                break;
            }
            on_reply(ev, r);
            rsn_reply_free(r);
        }
        for (int i = 0; i < WEB_STREAMS_MAX; i++) {
            web_sub_t *sub = &ev->subs[i];
            if (sub->used && now >= sub->renew_at) {
                if (rsn_client_send_raw(ev->client, sub->again, sub->again_len) != 0) {
                    rsn_warn("web: cannot renew a subscription at the node");
                }
                sub->renew_at = now + RENEW_RETRY_MS;
            }
        }
    }
    if (now >= ev->next_ping) {
        static const char ping[] = ": ping\n\n";
        push_sub(ev, -1, ping, sizeof ping - 1, false);
        ev->next_ping = now + WEB_PING_MS;
    }
}

void web_events_end_session(web_events_t *ev, const uint8_t token[WEB_TOKEN_BYTES])
{
    for (int i = 0; i < WEB_STREAMS_MAX; i++) {
        web_stream_t *s = &ev->streams[i];
        if (s->used && rsn_equal(s->session, token, WEB_TOKEN_BYTES)) {
            s->closing = true;
            wake(s);
        }
    }
}

void web_events_close_all(web_events_t *ev)
{
    if (ev) {
        push_sub(ev, -1, "", 0, true);
    }
}

void web_events_destroy(web_events_t **self_p)
{
    web_events_t *ev = *self_p;
    if (!ev) {
        return;
    }
    for (int i = 0; i < WEB_STREAMS_MAX; i++) {
        free(ev->streams[i].buf);
        free(ev->subs[i].again);
    }
    rsn_client_destroy(&ev->client);
    free(ev);
    *self_p = NULL;
}
