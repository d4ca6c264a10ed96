/* api.c — the local API's calls: one dispatch table, one handler per call.
 *
 * rsn_api_call looks the request's call up in the table below and runs its
 * handler; a handler validates the request's fields (a missing or malformed
 * field is RSN_ERR_BAD_REQUEST with a sentence saying which), asks the module
 * that knows the answer (views, ingest, audit, gossip, subscriptions) and
 * fills the matching result of the reply, or returns an rsn_err with a
 * sentence that rsn_api_call turns into the reply's error. The table also
 * says which calls are staged writes (publish), which the event loop answers
 * only after the commit (daemon/node.c). A new API call is one handler and one
 * line of the table. */
#include "daemon/api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/why.h"
#include "crypto/crypto.h"
#include "daemon/audit.h"
#include "daemon/background.h"
#include "daemon/draft.h"
#include "daemon/gossip.h"
#include "daemon/group.h"
#include "daemon/ingest.h"
#include "daemon/metrics.h"
#include "daemon/report.h"
#include "daemon/report_state.h"
#include "daemon/timeline.h"
#include "daemon/views.h"
#include "store/keys.h"

#define WHY_MAX 512
#define STORE_BYTES_EVERY_MS 1000 /* a state's store_bytes is this fresh */

/* One call being answered: what every handler receives. */
typedef struct {
    rsn_api_ctx_t *ctx;
    rsn_arena_t *arena;
    const rsn_api_msg_t *msg;
    const Raison__ApiRequest *req;
    Raison__ApiReply *reply;
    char why[WHY_MAX];
    bool durable;
} call_t;

typedef int (*handler_fn)(call_t *c);

static int bad(char *why, size_t why_size, const char *text)
{
    return rsn_why(why, why_size, RSN_ERR_BAD_REQUEST, "%s", text);
}

static int read_head(rsn_store_t *store, rsn_arena_t *arena, const Raison__HeadRequest *req,
                     Raison__ApiReply *reply, char *why, size_t why_size)
{
    if (req->author.len != 32) {
        return bad(why, why_size, "head needs a 32-byte author");
    }
    Raison__HeadReply *h = rsn_arena_alloc(arena, sizeof *h);
    if (!h) {
        return RSN_ERR_NOMEM;
    }
    raison__head_reply__init(h);
    h->author.data = rsn_arena_memdup(arena, req->author.data, 32);
    h->author.len = 32;
    uint8_t k[RSN_KEY_MAX];
    size_t kl = rsn_key_1(k, RSN_TAG_HEAD, req->author.data);
    void *v = NULL;
    size_t vl = 0;
    int rc = rsn_store_get(store, k, kl, &v, &vl);
    if (rc == 0 && vl == 40) {
        h->seq = rsn_be64_get(v);
        h->id.data = rsn_arena_memdup(arena, (uint8_t *)v + 8, 32);
        h->id.len = 32;
    }
    rsn_store_free(v);
    if (rc < 0 && rc != RSN_ERR_NOT_FOUND) {
        return rc;
    }
    kl = rsn_key_1(k, RSN_TAG_FROZEN, req->author.data);
    v = NULL;
    if (rsn_store_get(store, k, kl, &v, &vl) == 0 && vl == 8) {
        h->frozen = true;
        h->fork_seq = rsn_be64_get(v);
    }
    rsn_store_free(v);
    reply->result_case = RAISON__API_REPLY__RESULT_HEAD;
    reply->head = h;
    return 0;
}

static int resolve_ref(rsn_store_t *store, rsn_arena_t *arena, const char *ref, uint8_t group[32],
                       char *why, size_t why_size)
{
    if (!ref || !ref[0]) {
        return bad(why, why_size, "a group is needed (its id, a unique prefix, or its name)");
    }
    if (strlen(ref) > 256) {
        return bad(why, why_size, "group reference is over 256 characters");
    }
    return rsn_group_resolve(store, arena, ref, group, why, why_size);
}

/* What the loop's modules say, or on the front thread what it published. */
static void reindex_progress(const call_t *c, rsn_reindex_progress_t *out)
{
    if (c->ctx->state) {
        *out = c->ctx->state->reindex;
    } else {
        rsn_ingest_reindex_progress(c->ctx->ingest, out);
    }
}

static bool derive_behind(const call_t *c)
{
    return c->ctx->state ? c->ctx->state->derive_behind : rsn_ingest_derive_behind(c->ctx->ingest);
}

/* A group reference of call C: as resolve_ref; during an online reindex a
 * group not derived again yet is ERROR_BUSY, not unknown. */
static int resolve(call_t *c, const char *ref, uint8_t group[32])
{
    int rc = resolve_ref(c->ctx->store, c->arena, ref, group, c->why, sizeof c->why);
    rsn_reindex_progress_t rp;
    reindex_progress(c, &rp);
    if (rc == RSN_ERR_UNKNOWN_GROUP && rp.running) {
        return rsn_why(c->why, sizeof c->why, RSN_ERR_BUSY,
                       "the node is rebuilding its derived state (reindex: %llu entries of the log "
                       "derived again) and has not reached that group yet; try later",
                       (unsigned long long)rp.derived);
    }
    return rc;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int call_status(call_t *c)
{
    rsn_api_ctx_t *x = c->ctx;
    Raison__StatusReply *s = rsn_arena_alloc(c->arena, sizeof *s);
    if (!s) {
        return RSN_ERR_NOMEM;
    }
    raison__status_reply__init(s);
    const rsn_api_state_t *st = x->state;
    rsn_counts_t counts;
    if (st) {
        counts = st->counts;
    } else {
        rsn_ingest_counts(x->ingest, &counts);
    }
    s->node_key.data = rsn_arena_memdup(c->arena, x->node_key, RSN_KEY_BYTES);
    s->node_key.len = RSN_KEY_BYTES;
    s->site = (char *)x->site;
    s->entries = counts.entries;
    s->authors = counts.authors;
    s->groups = counts.groups;
    s->forks = counts.forks;
    s->log_size = counts.leaves;
    s->bodies_missing = counts.missing;
    s->bodies_erased = counts.erased;
    s->groups_updating = st ? st->groups_updating : rsn_report_groups_updating(x->store);
    s->version = (char *)RSN_VERSION;
    s->uptime_ms = (uint64_t)(now_ms() - x->started_ms);
    s->startup_ms = (uint64_t)(st ? st->startup_ms : x->startup_ms);
    s->store_bytes = st ? st->store_bytes : rsn_store_approximate_bytes(x->store);
    if (st) {
        s->peers = st->peers;
        s->peers_connected = st->peers_connected;
        s->audit_verify_running = st->verify_running;
        s->audit_verify_checked = st->verify_checked;
    } else {
        rsn_gossip_counts(x->gossip, &s->peers, &s->peers_connected);
    }
    if (!st && x->background) {
        rsn_verify_progress_t p;
        rsn_background_verify_progress(x->background, &p);
        s->audit_verify_running = p.running;
        s->audit_verify_checked = p.running ? p.checked : 0;
    }
    rsn_reindex_progress_t rp;
    reindex_progress(c, &rp);
    s->reindex_running = rp.running;
    s->reindex_derived = rp.running ? rp.derived : 0;
    s->reindex_clearing = rp.clearing;
    c->reply->result_case = RAISON__API_REPLY__RESULT_STATUS;
    c->reply->status = s;
    return 0;
}

/* An Error naming the semantic rule CODE that a stored entry breaks, WHY
 * its sentence; NULL when out of memory. */
static Raison__Error *rule_error(rsn_arena_t *arena, int code, const char *why)
{
    Raison__ApiReply holder = RAISON__API_REPLY__INIT;
    rsn_api_error(arena, &holder, code, why);
    return holder.result_case == RAISON__API_REPLY__RESULT_ERROR ? holder.error : NULL;
}

/* The first step of the publish sequence: judges an unsigned draft and
 * answers what to sign (daemon/draft.h). */
static int call_draft(call_t *c)
{
    rsn_reindex_progress_t rp;
    rsn_ingest_reindex_progress(c->ctx->ingest, &rp);
    if (rp.running) {
        /* the rules read the derived state, which is being rebuilt */
        return rsn_why(c->why, sizeof c->why, RSN_ERR_BUSY,
                       "the node is rebuilding its derived state (reindex: %llu entries of the "
                       "log derived again); try later",
                       (unsigned long long)rp.derived);
    }
    Raison__DraftReply *r = NULL;
    int rc = rsn_draft_judge(c->ctx->ingest, c->ctx->store, c->arena, c->req->draft, &r, c->why,
                             sizeof c->why);
    if (rc < 0) {
        return rc;
    }
    c->reply->result_case = RAISON__API_REPLY__RESULT_DRAFT;
    c->reply->draft = r;
    return 0;
}

/* Stages a client's publish; its reply is sent once the batch is durable. A
 * publish that keeps the feed rule is stored even when it breaks a semantic
 * rule: the reply's broken_rule then says which. */
static int call_publish(call_t *c)
{
    rsn_arena_t *arena = c->arena;
    const Raison__PublishRequest *p = c->req->publish;
    if (!p->entry || p->entry->entry.len == 0) {
        return bad(c->why, sizeof c->why, "publish needs a signed entry");
    }
    const Raison__SignedEntry *se = p->entry;
    rsn_ingest_result_t res;
    char *why = c->why;
    int rc = rsn_ingest_stage(c->ctx->ingest,
                              &(rsn_ingest_input_t){.entry = se->entry.data,
                                                    .entry_len = se->entry.len,
                                                    .signature = se->signature.data,
                                                    .signature_len = se->signature.len,
                                                    .body = se->body.data,
                                                    .body_len = se->body.len,
                                                    .has_body = true,
                                                    .origin = RSN_INGEST_PUBLISH},
                              &res, why, sizeof c->why);
    if (rc < 0) {
        char hex[RSN_KEY_HEX + 1] = "";
        if (res.seq) {
            rsn_hex_encode(hex, sizeof hex, res.id, RSN_ID_BYTES);
        }
        rsn_info("refused a publish%s%s: %s", hex[0] ? " of " : "", hex,
                 why[0] ? why : rsn_strerror(rc));
        return rc;
    }
    Raison__PublishReply *r = rsn_arena_alloc(arena, sizeof *r);
    if (!r) {
        return RSN_ERR_NOMEM;
    }
    raison__publish_reply__init(r);
    r->id.data = rsn_arena_memdup(arena, res.id, RSN_ID_BYTES);
    r->id.len = RSN_ID_BYTES;
    r->seq = res.seq;
    r->duplicate = res.duplicate;
    if (res.broken_rule < 0) {
        /* stored all the same (it keeps the feed rule): say which rule */
        char hex[RSN_KEY_HEX + 1];
        rsn_info("stored a publish of %s that breaks a rule: %s",
                 rsn_hex_encode(hex, sizeof hex, res.id, RSN_ID_BYTES), why);
        r->broken_rule = rule_error(arena, res.broken_rule, why);
        if (!r->broken_rule) {
            return RSN_ERR_NOMEM;
        }
    }
    c->reply->result_case = RAISON__API_REPLY__RESULT_PUBLISH;
    c->reply->publish = r;
    c->durable = true; /* a duplicate of a staged entry is only as durable as the commit */
    return 0;
}

static int call_subscribe(call_t *c)
{
    return rsn_subscriptions_handle(c->ctx->subscriptions, c->ctx->store, c->arena, c->msg, c->req,
                                    c->reply, c->why, sizeof c->why);
}

static int call_peers(call_t *c)
{
    const rsn_api_state_t *st = c->ctx->state;
    if (st) {
        /* the reply the loop built when it published the state */
        Raison__ApiReply *r = NULL;
        if (!st->peers_reply ||
            rsn_reply_decode(c->arena, st->peers_reply, st->peers_len, &r) < 0 ||
            r->result_case != RAISON__API_REPLY__RESULT_PEERS) {
            return RSN_ERR_INTERNAL;
        }
        c->reply->result_case = RAISON__API_REPLY__RESULT_PEERS;
        c->reply->peers = r->peers;
        return 0;
    }
    Raison__PeersReply *pr = NULL;
    int rc = rsn_gossip_peers(c->ctx->gossip, c->arena, &pr);
    if (rc < 0) {
        return rc;
    }
    pr->listen = (char *)c->ctx->listen;
    c->reply->result_case = RAISON__API_REPLY__RESULT_PEERS;
    c->reply->peers = pr;
    return 0;
}

/* audit_key, prove, include, audit_verify, leaves, forks (daemon/audit.c). */
static int call_audit(call_t *c)
{
    return rsn_audit_call(c->ctx->audit, c->arena, c->req, c->reply, c->why, sizeof c->why);
}

/* A verification of the whole store runs on a worker thread; its reply is
 * sent when it ends (daemon/background.h). Without one, in the call. */
static int call_audit_verify(call_t *c)
{
    if (!c->ctx->background) {
        return call_audit(c);
    }
    return rsn_background_verify(c->ctx->background, c->arena, c->msg, c->req, c->reply, c->why,
                                 sizeof c->why);
}

/* A page of leaves of more than RSN_EXPORT_INLINE_LEAVES is built on a
 * worker over a snapshot and sent when built; the loop holds the client's
 * later requests meanwhile (daemon/background.h). */
static int call_leaves(call_t *c)
{
    const Raison__LeavesRequest *q = c->req->leaves;
    uint64_t end = 0;
    uint32_t limit = 0;
    int rc = rsn_audit_leaves_check(c->ctx->audit, q, &end, &limit, c->why, sizeof c->why);
    if (rc < 0) {
        return rc;
    }
    if (!c->ctx->background || limit <= RSN_EXPORT_INLINE_LEAVES || q->from_index >= end) {
        return rsn_audit_leaves_page(c->ctx->store, c->arena, q->from_index, end, limit, c->reply,
                                     c->why, sizeof c->why);
    }
    return rsn_background_export_leaves(c->ctx->background, c->msg, c->req->request_id,
                                        q->from_index, end, limit, c->why, sizeof c->why);
}

/* A checkpoint the audit signs now is sent to the peers at once. */
static int call_checkpoint(call_t *c)
{
    int rc = call_audit(c);
    if (rc == 0) {
        rsn_gossip_checkpoint_signed(c->ctx->gossip);
    }
    return rc;
}

static int call_head(call_t *c)
{
    return read_head(c->ctx->store, c->arena, c->req->head, c->reply, c->why, sizeof c->why);
}

static int call_entry(call_t *c)
{
    if (c->req->entry->id.len != RSN_ID_BYTES) {
        return bad(c->why, sizeof c->why, "entry needs a 32-byte id");
    }
    Raison__EntryReply *r = rsn_arena_alloc(c->arena, sizeof *r);
    if (!r) {
        return RSN_ERR_NOMEM;
    }
    raison__entry_reply__init(r);
    int rc = rsn_view_entry(c->ctx->store, c->arena, c->req->entry->id.data, &r->entry);
    if (rc == RSN_ERR_NOT_FOUND) {
        return rsn_why(c->why, sizeof c->why, rc, "no entry with that id is held");
    }
    if (rc < 0) {
        return rc;
    }
    c->reply->result_case = RAISON__API_REPLY__RESULT_ENTRY;
    c->reply->entry = r;
    return 0;
}

static int call_timeline(call_t *c)
{
    const Raison__TimelineRequest *t = c->req->timeline;
    uint8_t group[RSN_ID_BYTES];
    if (t->limit > 500) {
        return bad(c->why, sizeof c->why, "timeline limit is at most 500");
    }
    if (t->cursor.len != 0 && t->cursor.len != 40) {
        return bad(c->why, sizeof c->why, "timeline cursor is not one this node gave");
    }
    int rc = resolve(c, t->group, group);
    if (rc < 0) {
        return rc;
    }
    rc = rsn_view_timeline(c->ctx->store, c->arena, group, t, &c->reply->timeline, c->why,
                           sizeof c->why);
    if (rc == 0) {
        c->reply->result_case = RAISON__API_REPLY__RESULT_TIMELINE;
    }
    return rc;
}

static int call_groups(call_t *c)
{
    const Raison__GroupsRequest *g = c->req->groups;
    if (g->limit > 500) {
        return bad(c->why, sizeof c->why, "groups limit is at most 500");
    }
    if (g->cursor.len != 0 && g->cursor.len != RSN_ID_BYTES &&
        g->cursor.len != RSN_GS_NAME_KEY + RSN_ID_BYTES) {
        return bad(c->why, sizeof c->why, "groups cursor is not one this node gave");
    }
    int rc = rsn_view_groups(c->ctx->store, c->arena, c->req->groups, &c->reply->groups);
    if (rc == 0 && derive_behind(c)) {
        /* the derived state lags the log (a reindex): said of each group */
        for (size_t i = 0; i < c->reply->groups->n_groups; i++) {
            c->reply->groups->groups[i]->being_updated = true;
            c->reply->groups->groups[i]->counters_updating = true;
        }
    }
    if (rc == 0) {
        c->reply->result_case = RAISON__API_REPLY__RESULT_GROUPS;
    }
    return rc;
}

static int call_group(call_t *c)
{
    uint8_t group[RSN_ID_BYTES];
    int rc = resolve(c, c->req->group->group, group);
    if (rc < 0) {
        return rc;
    }
    const Raison__GroupRequest *q = c->req->group;
    if (q->members_limit > 500 || q->history_limit > 500) {
        return bad(c->why, sizeof c->why, "group page limits are at most 500");
    }
    rc = rsn_view_group_page(c->ctx->store, c->arena, group, q, &c->reply->group);
    if (rc == RSN_ERR_BAD_REQUEST) {
        return bad(c->why, sizeof c->why, "members cursor is not one this node gave");
    }
    if (rc == 0) {
        /* the derived state lags the log: what is derived, said so */
        c->reply->group->being_updated |= derive_behind(c);
        c->reply->result_case = RAISON__API_REPLY__RESULT_GROUP;
    }
    return rc;
}

static int call_feed(call_t *c)
{
    if (c->req->feed->author.len != RSN_KEY_BYTES) {
        return bad(c->why, sizeof c->why, "feed needs a 32-byte author");
    }
    if (c->req->feed->limit > 500) {
        return bad(c->why, sizeof c->why, "feed limit is at most 500");
    }
    int rc = rsn_view_feed(c->ctx->store, c->arena, c->req->feed, &c->reply->feed);
    if (rc == 0) {
        c->reply->result_case = RAISON__API_REPLY__RESULT_FEED;
    }
    return rc;
}

static int call_report(call_t *c)
{
    uint8_t group[RSN_ID_BYTES];
    int rc = resolve(c, c->req->report->group, group);
    if (rc < 0) {
        return rc;
    }
    rc = rsn_view_report_window(c->ctx->store, c->arena, group, c->req->report, &c->reply->report);
    if (rc == 0) {
        c->reply->report->being_updated |= derive_behind(c);
        c->reply->result_case = RAISON__API_REPLY__RESULT_REPORT;
    }
    return rc;
}

static int call_profile(call_t *c)
{
    if (c->req->profile->author.len != RSN_KEY_BYTES) {
        return bad(c->why, sizeof c->why, "profile needs a 32-byte author");
    }
    int rc =
        rsn_view_profile(c->ctx->store, c->arena, c->req->profile->author.data, &c->reply->profile);
    if (rc == 0) {
        c->reply->result_case = RAISON__API_REPLY__RESULT_PROFILE;
    }
    return rc;
}

/* Starts an online reindex (daemon/derive.h), or says how far it is. */
static int call_reindex(call_t *c)
{
    bool already = false, progress = c->req->reindex->progress;
    int rc = progress ? 0 : rsn_ingest_reindex_start(c->ctx->ingest, &already);
    if (rc < 0) {
        return rsn_why(c->why, sizeof c->why, rc, "cannot start the reindex: %s", rsn_strerror(rc));
    }
    Raison__ReindexReply *r = rsn_arena_alloc(c->arena, sizeof *r);
    if (!r) {
        return RSN_ERR_NOMEM;
    }
    raison__reindex_reply__init(r);
    rsn_reindex_progress_t rp;
    rsn_ingest_reindex_progress(c->ctx->ingest, &rp);
    rsn_counts_t counts;
    rsn_ingest_counts(c->ctx->ingest, &counts);
    r->started = !progress && !already;
    r->running = rp.running;
    r->clearing = rp.clearing;
    r->derived = rp.derived;
    r->total = counts.leaves;
    c->reply->result_case = RAISON__API_REPLY__RESULT_REINDEX;
    c->reply->reindex = r;
    return 0;
}

/* Every API call: its request case, its handler, whether it is a write
 * staged into the batch (answered after the commit) rather than answered at
 * once, after what was published before it, and whether it only reads the
 * store and what status reports (answered on the front thread, api.h). */
typedef struct {
    Raison__ApiRequest__CallCase call;
    handler_fn handler;
    bool staged;
    bool front;
} call_row_t;

static const call_row_t CALLS[] = {
    {RAISON__API_REQUEST__CALL_STATUS, call_status, false, true},
    {RAISON__API_REQUEST__CALL_HEAD, call_head, false, true},
    {RAISON__API_REQUEST__CALL_DRAFT, call_draft, false, false},
    {RAISON__API_REQUEST__CALL_PUBLISH, call_publish, true, false},
    {RAISON__API_REQUEST__CALL_ENTRY, call_entry, false, true},
    {RAISON__API_REQUEST__CALL_TIMELINE, call_timeline, false, true},
    {RAISON__API_REQUEST__CALL_GROUPS, call_groups, false, true},
    {RAISON__API_REQUEST__CALL_GROUP, call_group, false, true},
    {RAISON__API_REQUEST__CALL_FEED, call_feed, false, true},
    {RAISON__API_REQUEST__CALL_REPORT, call_report, false, true},
    {RAISON__API_REQUEST__CALL_SUBSCRIBE, call_subscribe, false, false},
    {RAISON__API_REQUEST__CALL_PROFILE, call_profile, false, true},
    {RAISON__API_REQUEST__CALL_PEERS, call_peers, false, true},
    {RAISON__API_REQUEST__CALL_AUDIT_KEY, call_audit, false, false},
    {RAISON__API_REQUEST__CALL_CHECKPOINT, call_checkpoint, false, false},
    {RAISON__API_REQUEST__CALL_PROVE, call_audit, false, false},
    {RAISON__API_REQUEST__CALL_INCLUDE, call_audit, false, false},
    {RAISON__API_REQUEST__CALL_AUDIT_VERIFY, call_audit_verify, false, false},
    {RAISON__API_REQUEST__CALL_LEAVES, call_leaves, false, false},
    {RAISON__API_REQUEST__CALL_FORKS, call_audit, false, false},
    {RAISON__API_REQUEST__CALL_REINDEX, call_reindex, false, false},
};

/* The table's row for CALL, or NULL. */
static const call_row_t *find_call(int call)
{
    for (size_t i = 0; i < sizeof CALLS / sizeof CALLS[0]; i++) {
        if ((int)CALLS[i].call == call) {
            return &CALLS[i];
        }
    }
    return NULL;
}

bool rsn_api_is_staged(int call)
{
    const call_row_t *row = find_call(call);
    return row != NULL && row->staged;
}

/* Seconds of the monotonic clock, for the calls' latency. */
static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int rsn_api_call(rsn_api_ctx_t *ctx, rsn_arena_t *arena, const rsn_api_msg_t *msg,
                 const Raison__ApiRequest *req, Raison__ApiReply *reply, bool *durable)
{
    call_t c = {.ctx = ctx, .arena = arena, .msg = msg, .req = req, .reply = reply};
    const call_row_t *row = find_call(req->call_case);
    double started = now_seconds();
    int rc = row == NULL ? bad(c.why, sizeof c.why, "request has no call") : row->handler(&c);
    rsn_metrics_api_call(ctx->metrics, row ? (int)req->call_case : 0, rc, now_seconds() - started);
    if (rc < 0) {
        rsn_api_error(arena, reply, rc, c.why);
    }
    *durable = rc == 0 && c.durable;
    return rc;
}

/* --- the front --------------------------------------------------------------- */

/* The peers call's reply now, packed into *BYTES (malloc'd) and *LEN, and
 * its digest: 0, RSN_ERR_NOMEM. */
static int peers_now(const rsn_api_ctx_t *ctx, uint8_t **bytes, size_t *len, uint8_t digest[32])
{
    *bytes = NULL;
    *len = 0;
    memset(digest, 0, 32);
    if (!ctx->gossip) {
        return 0;
    }
    rsn_arena_t *arena = rsn_arena_new();
    Raison__PeersReply *pr = NULL;
    Raison__ApiReply reply = RAISON__API_REPLY__INIT;
    uint8_t *packed = NULL;
    int rc = arena ? rsn_gossip_peers(ctx->gossip, arena, &pr) : RSN_ERR_NOMEM;
    if (rc == 0) {
        pr->listen = (char *)ctx->listen;
        reply.result_case = RAISON__API_REPLY__RESULT_PEERS;
        reply.peers = pr;
        rc = rsn_pack(arena, &reply.base, &packed, len);
    }
    if (rc == 0 && (*bytes = malloc(*len ? *len : 1)) == NULL) {
        rc = RSN_ERR_NOMEM;
    }
    if (rc == 0) {
        memcpy(*bytes, packed, *len);
        rsn_sha256(digest, *bytes, *len);
    }
    rsn_arena_destroy(&arena);
    return rc;
}

/* The figures of a state (all but the view and the store's size); the
 * groups being updated are LAST's (may be NULL) when the store was not
 * written since (a scan of the pending jobs saved). */
static void fill_state(const rsn_api_ctx_t *ctx, const rsn_api_state_t *last, rsn_api_state_t *st)
{
    st->writes = rsn_store_writes(ctx->store);
    st->groups_updating = last && last->writes == st->writes
                              ? last->groups_updating
                              : rsn_report_groups_updating(ctx->store);
    rsn_ingest_counts(ctx->ingest, &st->counts);
    rsn_ingest_reindex_progress(ctx->ingest, &st->reindex);
    st->derive_behind = rsn_ingest_derive_behind(ctx->ingest);
    st->peers = st->peers_connected = 0;
    if (ctx->gossip) {
        rsn_gossip_counts(ctx->gossip, &st->peers, &st->peers_connected);
    }
    st->verify_running = false;
    st->verify_checked = 0;
    if (ctx->background) {
        rsn_verify_progress_t p;
        rsn_background_verify_progress(ctx->background, &p);
        st->verify_running = p.running;
        st->verify_checked = p.running ? p.checked : 0;
    }
    st->startup_ms = ctx->startup_ms;
}

bool rsn_api_state_same(const rsn_api_ctx_t *ctx, const rsn_api_state_t *last)
{
    if (!last || rsn_store_writes(ctx->store) != last->writes) {
        return false;
    }
    rsn_api_state_t now = {0};
    fill_state(ctx, last, &now);
    if (peers_now(ctx, &now.peers_reply, &now.peers_len, now.peers_digest) < 0) {
        return false;
    }
    free(now.peers_reply);
    return memcmp(now.peers_digest, last->peers_digest, sizeof now.peers_digest) == 0 &&
           memcmp(&now.counts, &last->counts, sizeof now.counts) == 0 &&
           now.reindex.running == last->reindex.running &&
           now.reindex.clearing == last->reindex.clearing &&
           now.reindex.derived == last->reindex.derived &&
           now.derive_behind == last->derive_behind && now.peers == last->peers &&
           now.peers_connected == last->peers_connected &&
           now.verify_running == last->verify_running &&
           now.verify_checked == last->verify_checked && now.startup_ms == last->startup_ms &&
           now.groups_updating == last->groups_updating;
}

int rsn_api_state_new(const rsn_api_ctx_t *ctx, const rsn_api_state_t *last, rsn_api_state_t **out)
{
    *out = NULL;
    rsn_api_state_t *st = calloc(1, sizeof *st);
    if (!st) {
        return RSN_ERR_NOMEM;
    }
    int rc = rsn_store_view_new(ctx->store, &st->view);
    if (rc < 0) {
        free(st);
        return rc;
    }
    fill_state(ctx, last, st);
    if ((rc = peers_now(ctx, &st->peers_reply, &st->peers_len, st->peers_digest)) < 0) {
        rsn_api_state_free(st);
        return rc;
    }
    /* the store's size is asked of LevelDB at most once a second */
    int64_t now = now_ms();
    if (last && now - last->bytes_ms < STORE_BYTES_EVERY_MS) {
        st->store_bytes = last->store_bytes;
        st->bytes_ms = last->bytes_ms;
    } else {
        st->store_bytes = rsn_store_approximate_bytes(ctx->store);
        st->bytes_ms = now;
    }
    *out = st;
    return 0;
}

void rsn_api_state_free(void *state)
{
    rsn_api_state_t *st = state;
    if (st) {
        rsn_store_destroy(&st->view);
        free(st->peers_reply);
        free(st);
    }
}

/* What a note holds: the call, its result, its latency. */
typedef struct {
    int32_t call;
    int32_t rc;
    double seconds;
} note_t;

int rsn_api_note_read(const uint8_t *note, size_t len, int *call, int *rc, double *seconds)
{
    note_t n;
    if (len != sizeof n) {
        return RSN_ERR_BAD_REQUEST;
    }
    memcpy(&n, note, sizeof n);
    *call = n.call;
    *rc = n.rc;
    *seconds = n.seconds;
    return 0;
}

int rsn_api_front_answer(void *ctx, void *state, const uint8_t *payload, size_t len,
                         uint8_t **reply_out, size_t *reply_len, uint8_t *note, size_t *note_len)
{
    const rsn_api_ctx_t *fixed = ctx;
    rsn_api_state_t *st = state;
    *note_len = 0;
    rsn_arena_t *arena = rsn_arena_new();
    if (!arena) {
        return 0;
    }
    Raison__ApiRequest *req = NULL;
    const call_row_t *row = NULL;
    if (rsn_request_decode(arena, payload, len, &req) < 0 ||
        (row = find_call(req->call_case)) == NULL || !row->front) {
        rsn_arena_destroy(&arena); /* the loop answers it (and counts a refusal) */
        return 0;
    }
    rsn_api_ctx_t x = *fixed;
    x.store = st->view;
    x.state = st;
    x.ingest = NULL;
    x.gossip = NULL;
    x.background = NULL;
    x.subscriptions = NULL;
    x.audit = NULL;
    x.metrics = NULL;
    Raison__ApiReply reply = RAISON__API_REPLY__INIT;
    reply.request_id = req->request_id;
    call_t c = {.ctx = &x, .arena = arena, .req = req, .reply = &reply};
    double started = now_seconds();
    int rc = row->handler(&c);
    if (rc < 0) {
        rsn_api_error(arena, &reply, rc, c.why);
    }
    uint8_t *bytes = NULL;
    size_t n = 0;
    int answered = 0;
    if (rsn_pack(arena, &reply.base, &bytes, &n) == 0 && (*reply_out = malloc(n ? n : 1))) {
        memcpy(*reply_out, bytes, n);
        *reply_len = n;
        answered = 1;
        note_t nt = {.call = (int32_t)req->call_case, .rc = rc, .seconds = now_seconds() - started};
        memcpy(note, &nt, sizeof nt);
        *note_len = sizeof nt;
    }
    rsn_arena_destroy(&arena);
    return answered;
}
