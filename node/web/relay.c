/* relay.c — the calls of `raison web` that go to the node: reads (status,
 * peers, groups, group, timeline, report, profile, head, entry) and the two
 * steps of the publish sequence the page cannot do itself (draft, publish).
 *
 * Each handler turns checked query parameters or body fields into one
 * ApiRequest, makes the call through net/client.h (web_node_call) and
 * answers the document `raison CMD --json` prints for that call, built by
 * the same functions (node/cli/json_views.c, json_node.c). The listings
 * answer one page, {"groups"|"posts": [...], "next_cursor": HEX|null}, whose
 * elements are the CLI's. The server never signs: a publish relays the
 * page's exact bytes, after checking the entry is well formed, bounded and
 * signed by the session's own key. */
#include <string.h>

#include "common/limits.h"
#include "web/web_private.h"

/* A query parameter of hex bytes (a cursor) into the arena; absent: none. */
static int query_hex(web_call_t *c, const char *name, size_t max, ProtobufCBinaryData *out)
{
    const char *v = web_query(c, name);
    *out = (ProtobufCBinaryData){0, NULL};
    if (!v || !v[0]) {
        return 0;
    }
    uint8_t *buf = rsn_arena_alloc(c->arena, max);
    if (!buf || rsn_hex_decode(buf, max, &out->len, v) != 0) {
        return web_fail(c, MHD_HTTP_BAD_REQUEST, "parameter '%s': hex of at most %zu bytes", name,
                        max);
    }
    out->data = buf;
    return 0;
}

/* A query parameter of 64 hex characters (a key or an id). */
static int query_id(web_call_t *c, const char *name, uint8_t out[RSN_ID_BYTES])
{
    const char *v = web_query(c, name);
    if (!v || strlen(v) != RSN_KEY_HEX || rsn_key_from_hex(out, v) != 0) {
        return web_fail(c, MHD_HTTP_BAD_REQUEST, "parameter '%s': 64 hex characters", name);
    }
    return 0;
}

/* The group reference g= (an id, a prefix or a name). */
static int query_group(web_call_t *c, const char **out)
{
    *out = web_query(c, "g");
    if (!*out || !(*out)[0]) {
        return web_fail(c, MHD_HTTP_BAD_REQUEST, "parameter 'g': a group is needed");
    }
    return 0;
}

/* Sets the answer to DOC (NULL: out of memory). */
static int reply_doc(web_call_t *c, json_t *doc)
{
    if (!doc) {
        return web_fail(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    }
    c->reply = doc;
    return 0;
}

/* The document of a reply, NULL when the reply lacks its part. */
typedef json_t *(*doc_fn)(web_call_t *c, const Raison__ApiReply *r);

/* Makes the call REQ (its answer must be EXPECT) and answers DOC of it. */
static int relay(web_call_t *c, Raison__ApiRequest *req, Raison__ApiReply__ResultCase expect,
                 doc_fn doc)
{
    Raison__ApiReply *reply = NULL;
    if (web_node_call(c, req, expect, &reply) != 0) {
        return -1;
    }
    json_t *d = doc(c, reply);
    rsn_reply_free(reply);
    return d ? reply_doc(c, d)
             : web_fail(c, MHD_HTTP_BAD_GATEWAY, "the node's answer is incomplete");
}

static json_t *status_doc(web_call_t *c, const Raison__ApiReply *r)
{
    return r->status ? cli_json_status(r->status, c->web->cfg.socket_path) : NULL;
}

static json_t *peers_doc(web_call_t *c, const Raison__ApiReply *r)
{
    (void)c;
    return r->peers ? cli_json_peers(r->peers) : NULL;
}

int web_api_status(web_call_t *c)
{
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__StatusRequest s = RAISON__STATUS_REQUEST__INIT;
    req.call_case = RAISON__API_REQUEST__CALL_STATUS;
    req.status = &s;
    return relay(c, &req, RAISON__API_REPLY__RESULT_STATUS, status_doc);
}

int web_api_peers(web_call_t *c)
{
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__PeersRequest p = RAISON__PEERS_REQUEST__INIT;
    req.call_case = RAISON__API_REQUEST__CALL_PEERS;
    req.peers = &p;
    return relay(c, &req, RAISON__API_REPLY__RESULT_PEERS, peers_doc);
}

/* {KEY: ITEMS, "next_cursor": hex or null}: one page of a listing. */
static json_t *page_doc(const char *key, json_t *items, ProtobufCBinaryData next)
{
    return json_pack("{s:o,s:o}", key, items, "next_cursor",
                     next.len ? cli_json_hex(next.data, next.len) : json_null());
}

static json_t *groups_doc(web_call_t *c, const Raison__ApiReply *r)
{
    const Raison__GroupsReply *gr = r->groups;
    json_t *items = json_array();
    (void)c;
    for (size_t i = 0; items && gr && i < gr->n_groups; i++) {
        json_array_append_new(items, cli_json_group_summary(gr->groups[i]));
    }
    ProtobufCBinaryData none = {0, NULL};
    return items ? page_doc("groups", items, gr ? gr->next_cursor : none) : NULL;
}

int web_api_groups(web_call_t *c)
{
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__GroupsRequest g = RAISON__GROUPS_REQUEST__INIT;
    uint64_t limit = 0;
    const char *order = web_query(c, "order");
    if (web_query_uint(c, "limit", WEB_PAGE_LIMIT_MAX, 0, &limit) != 0 ||
        query_hex(c, "cursor", RSN_CURSOR_MAX, &g.cursor) != 0) {
        return -1;
    }
    if (order && strcmp(order, "name") != 0 && strcmp(order, "id") != 0) {
        return web_fail(c, MHD_HTTP_BAD_REQUEST, "parameter 'order': name or id");
    }
    g.limit = (uint32_t)limit;
    g.name_prefix = (char *)(web_query(c, "prefix") ? web_query(c, "prefix") : "");
    g.text = (char *)(web_query(c, "text") ? web_query(c, "text") : "");
    g.order = order && strcmp(order, "name") == 0 ? RAISON__GROUPS_ORDER__GROUPS_BY_NAME
                                                  : RAISON__GROUPS_ORDER__GROUPS_BY_ID;
    req.call_case = RAISON__API_REQUEST__CALL_GROUPS;
    req.groups = &g;
    return relay(c, &req, RAISON__API_REPLY__RESULT_GROUPS, groups_doc);
}

static json_t *group_doc(web_call_t *c, const Raison__ApiReply *r)
{
    (void)c;
    return r->group && r->group->charter ? cli_json_group(r->group) : NULL;
}

int web_api_group(web_call_t *c)
{
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__GroupRequest g = RAISON__GROUP_REQUEST__INIT;
    uint64_t members = 0, history = 0, from = 0;
    const char *ref = NULL;
    if (query_group(c, &ref) != 0 ||
        web_query_uint(c, "members_limit", WEB_PAGE_LIMIT_MAX, 0, &members) != 0 ||
        web_query_uint(c, "history_limit", WEB_PAGE_LIMIT_MAX, 0, &history) != 0 ||
        web_query_uint(c, "history_from", UINT32_MAX, 0, &from) != 0 ||
        query_hex(c, "members_cursor", RSN_CURSOR_MAX, &g.members_cursor) != 0) {
        return -1;
    }
    g.group = (char *)ref;
    g.members_limit = (uint32_t)members;
    g.history_limit = (uint32_t)history;
    g.history_from = (uint32_t)from;
    req.call_case = RAISON__API_REQUEST__CALL_GROUP;
    req.group = &g;
    return relay(c, &req, RAISON__API_REPLY__RESULT_GROUP, group_doc);
}

static json_t *timeline_doc(web_call_t *c, const Raison__ApiReply *r)
{
    const Raison__TimelineReply *tr = r->timeline;
    json_t *items = json_array();
    (void)c;
    for (size_t i = 0; items && tr && i < tr->n_posts; i++) {
        json_array_append_new(items, cli_json_post(tr->posts[i]));
    }
    ProtobufCBinaryData none = {0, NULL};
    return items ? page_doc("posts", items, tr ? tr->next_cursor : none) : NULL;
}

int web_api_timeline(web_call_t *c)
{
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__TimelineRequest t = RAISON__TIMELINE_REQUEST__INIT;
    uint64_t limit = 0;
    const char *ref = NULL, *mission = web_query(c, "mission");
    if (query_group(c, &ref) != 0 ||
        web_query_uint(c, "limit", WEB_PAGE_LIMIT_MAX, 0, &limit) != 0 ||
        query_hex(c, "cursor", RSN_CURSOR_MAX, &t.cursor) != 0) {
        return -1;
    }
    t.group = (char *)ref;
    t.mission = (char *)(mission ? mission : "");
    t.limit = (uint32_t)limit;
    req.call_case = RAISON__API_REQUEST__CALL_TIMELINE;
    req.timeline = &t;
    return relay(c, &req, RAISON__API_REPLY__RESULT_TIMELINE, timeline_doc);
}

/* The report's document needs the window and the site asked for (the
 * call's `ask`). */
typedef struct {
    uint32_t days;
    const char *site;
} report_ask_t;

static json_t *report_doc(web_call_t *c, const Raison__ApiReply *r)
{
    const report_ask_t *ask = c->ask;
    return r->report ? cli_json_report(r->report, ask->days, ask->site) : NULL;
}

int web_api_report(web_call_t *c)
{
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__ReportRequest r = RAISON__REPORT_REQUEST__INIT;
    uint64_t days = 0, series = 0;
    const char *ref = NULL, *site = web_query(c, "site");
    if (query_group(c, &ref) != 0 || web_query_uint(c, "days", 3660, 0, &days) != 0 ||
        web_query_uint(c, "series", 1, days ? 1 : 0, &series) != 0) {
        return -1;
    }
    site = site && site[0] ? site : NULL;
    r.group = (char *)ref;
    r.days = (uint32_t)days;
    r.site = (char *)(site ? site : "");
    r.series = series && days;
    req.call_case = RAISON__API_REQUEST__CALL_REPORT;
    req.report = &r;
    report_ask_t ask = {r.days, site};
    c->ask = &ask;
    return relay(c, &req, RAISON__API_REPLY__RESULT_REPORT, report_doc);
}

static json_t *profile_doc(web_call_t *c, const Raison__ApiReply *r)
{
    (void)c;
    return r->profile ? cli_json_profile(r->profile) : NULL;
}

static json_t *head_doc(web_call_t *c, const Raison__ApiReply *r)
{
    (void)c;
    return r->head ? cli_json_head(r->head) : NULL;
}

static json_t *entry_doc(web_call_t *c, const Raison__ApiReply *r)
{
    return r->entry && r->entry->entry ? cli_json_entry(&c->cli, r->entry->entry) : NULL;
}

/* Makes REQ with FIELD set to the 32 bytes of query parameter PARAM. */
static int by_id(web_call_t *c, const char *param, Raison__ApiRequest *req,
                 ProtobufCBinaryData *field, Raison__ApiReply__ResultCase expect, doc_fn doc)
{
    uint8_t *id = rsn_arena_alloc(c->arena, RSN_ID_BYTES);
    if (!id) {
        return web_fail(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    }
    if (query_id(c, param, id) != 0) {
        return -1;
    }
    *field = (ProtobufCBinaryData){RSN_ID_BYTES, id};
    return relay(c, req, expect, doc);
}

int web_api_profile(web_call_t *c)
{
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__ProfileRequest p = RAISON__PROFILE_REQUEST__INIT;
    req.call_case = RAISON__API_REQUEST__CALL_PROFILE;
    req.profile = &p;
    return by_id(c, "author", &req, &p.author, RAISON__API_REPLY__RESULT_PROFILE, profile_doc);
}

int web_api_head(web_call_t *c)
{
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__HeadRequest h = RAISON__HEAD_REQUEST__INIT;
    req.call_case = RAISON__API_REQUEST__CALL_HEAD;
    req.head = &h;
    return by_id(c, "author", &req, &h.author, RAISON__API_REPLY__RESULT_HEAD, head_doc);
}

int web_api_entry(web_call_t *c)
{
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__EntryRequest e = RAISON__ENTRY_REQUEST__INIT;
    req.call_case = RAISON__API_REQUEST__CALL_ENTRY;
    req.entry = &e;
    return by_id(c, "id", &req, &e.id, RAISON__API_REPLY__RESULT_ENTRY, entry_doc);
}

/* --- writes ------------------------------------------------------------------ */

static json_t *draft_doc(web_call_t *c, const Raison__ApiReply *r)
{
    (void)c;
    return r->draft ? cli_json_draft(r->draft) : NULL;
}

static json_t *publish_doc(web_call_t *c, const Raison__ApiReply *r)
{
    (void)c;
    return r->publish ? cli_json_publish(r->publish) : NULL;
}

int web_api_draft(web_call_t *c)
{
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__DraftRequest d = RAISON__DRAFT_REQUEST__INIT;
    const char *kind = NULL;
    uint8_t *body = NULL;
    size_t body_len = 0;
    if (web_field_str(c, "kind", 16, false, &kind) != 0 ||
        web_field_b64(c, "body", RSN_BODY_MAX, &body, &body_len) != 0) {
        return -1;
    }
    d.kind = rsn_kind_from_name(kind);
    if (d.kind == RAISON__KIND__KIND_UNSPECIFIED) {
        return web_fail(c, MHD_HTTP_BAD_REQUEST,
                        "field 'kind': charter, membership, post, profile or retraction");
    }
    d.author = (ProtobufCBinaryData){RSN_KEY_BYTES, (uint8_t *)c->person->author};
    d.body = (ProtobufCBinaryData){body_len, body};
    req.call_case = RAISON__API_REQUEST__CALL_DRAFT;
    req.draft = &d;
    return relay(c, &req, RAISON__API_REPLY__RESULT_DRAFT, draft_doc);
}

int web_api_publish(web_call_t *c)
{
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__PublishRequest p = RAISON__PUBLISH_REQUEST__INIT;
    Raison__SignedEntry se = RAISON__SIGNED_ENTRY__INIT;
    Raison__Entry *header = NULL;
    uint8_t *entry = NULL, *sig = NULL, *body = NULL;
    size_t entry_len = 0, sig_len = 0, body_len = 0;
    char why[128] = "";
    if (web_field_b64(c, "entry", RSN_ENTRY_MAX, &entry, &entry_len) != 0 ||
        web_field_b64(c, "signature", RSN_SIG_BYTES, &sig, &sig_len) != 0 ||
        web_field_b64(c, "body", RSN_BODY_MAX, &body, &body_len) != 0) {
        return -1;
    }
    if (sig_len != RSN_SIG_BYTES) {
        return web_fail(c, MHD_HTTP_BAD_REQUEST, "field 'signature': %d bytes are needed",
                        RSN_SIG_BYTES);
    }
    /* only the header is decoded, to see whose it is; the bytes go as they came */
    if (rsn_entry_decode(c->arena, entry, entry_len, &header, why, sizeof why) != 0) {
        return web_fail(c, MHD_HTTP_BAD_REQUEST, "field 'entry': not an entry header (%s)", why);
    }
    if (header->author.len != RSN_KEY_BYTES ||
        memcmp(header->author.data, c->person->author, RSN_KEY_BYTES) != 0) {
        return web_fail(c, MHD_HTTP_FORBIDDEN, "this entry is not signed by your key");
    }
    se.entry = (ProtobufCBinaryData){entry_len, entry};
    se.signature = (ProtobufCBinaryData){sig_len, sig};
    se.body = (ProtobufCBinaryData){body_len, body};
    p.entry = &se;
    req.call_case = RAISON__API_REQUEST__CALL_PUBLISH;
    req.publish = &p;
    return relay(c, &req, RAISON__API_REPLY__RESULT_PUBLISH, publish_doc);
}
