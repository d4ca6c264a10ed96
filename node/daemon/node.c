/* node.c — the node's lifecycle and event loop.
 *
 * One thread, the loop, writes the store and answers every call that writes
 * or needs the node's moving parts (publish, draft, subscribe, audit,
 * reindex). The reads (status, head, entry, timeline, groups, group, feed,
 * report, profile, peers) are answered beside it, on the API server's front
 * thread (net/api_server.h), from the state the loop publishes after each
 * commit: a view of the store, the figures of status and the peers reply
 * (daemon/api.h). So a read
 * does not wait while the loop stages and commits a peer's frame.
 *
 * Each turn of the loop drains up to DRAIN_MAX requests from the API
 * server. Publishes are staged into one batch (rsn_ingest) and their replies
 * queued; the batch is committed with sync when the drain ends, or before
 * any other call is answered, then a new state is published, and only then
 * are the queued replies sent. So a publish is acknowledged only once
 * durable, many publishes share one fsync (group commit), a read after a
 * publish sees it, and every client gets its replies in the order of its
 * requests (the front sends a client's reads to the loop while one of its
 * requests is there). The signatures of a drained batch's publishes are
 * checked on other threads while the batch drained the turn before is
 * staged and committed (so verifying and writing overlap on two cores), and
 * the new batch is handled the next turn, which then comes without waiting.
 * Subscribers are sent an event per committed entry. The loop itself is
 * net/poller: the API server and the federation transport register their
 * sockets with it, and the retention sweep is one of its timers; a turn runs
 * when a socket has work, or every TURN_MS. Each API call is answered by
 * daemon/api.c's dispatch table. What takes long (audit verify, finding the
 * bodies past retention) runs on worker threads over store snapshots
 * (daemon/background.h), whose messages wake the loop through the poller;
 * the loop alone writes the store. */
#include "daemon/node.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/arena.h"
#include "common/log.h"
#include "crypto/crypto.h"
#include "crypto/keypair.h"
#include "daemon/api.h"
#include "daemon/audit.h"
#include "daemon/background.h"
#include "daemon/clock.h"
#include "daemon/entry.h"
#include "daemon/gossip.h"
#include "daemon/group.h"
#include "daemon/ingest.h"
#include "daemon/metrics.h"
#include "daemon/metrics_text.h"
#include "daemon/node_key.h"
#include "daemon/subscriptions.h"
#include "daemon/timeline.h"
#include "daemon/views.h"
#include "net/api_server.h"
#include "net/fed.h"
#include "net/http_metrics.h"
#include "net/poller.h"
#include "proto/codec.h"
#include "store/store.h"

#define DRAIN_MAX 256            /* requests read per turn of the loop */
#define TURN_MS 200              /* longest wait for work before a turn anyway */
#define RETENTION_EVERY_MS 60000 /* how often bodies past retention are erased */
#define RETENTION_BUDGET 10000   /* bodies erased per sweep at most */
#define PEER_TURN_MS 10          /* peer frames begun in one turn of the loop until */
#define DERIVE_BUDGET 64         /* derived-state units per turn (a unit, a re-judge, is ~100 us) */
#define REINDEX_PAUSE_MS 1       /* between two turns of an online reindex */
#define HELD_WHOLE_MAX 1024      /* held requests kept whole; past it, answered ERROR_BUSY */

typedef struct {
    rsn_api_msg_t *to; /* envelope */
    uint8_t *reply;    /* malloc'd */
    size_t len;
    bool is_publish_ack; /* to be turned into an error if the commit fails */
    uint64_t batch;      /* the ingest batch the acknowledged entry is in */
    uint64_t request_id;
} queued_t;

/* A request of a client whose export page is being built (held, so that
 * its replies keep the order of its requests). */
typedef struct {
    rsn_api_msg_t *msg;  /* the request; an envelope copy when BUSY */
    uint64_t request_id; /* when BUSY */
    bool busy;           /* past HELD_WHOLE_MAX: answered ERROR_BUSY in its turn */
} held_t;

struct rsn_node {
    char *data_dir;
    char *socket_path;
    char *site;
    rsn_keypair_t *key;
    rsn_store_t *store;
    rsn_ingest_t *ingest;
    rsn_api_server_t *api;
    rsn_fed_t *fed;
    rsn_poller_t *poller;
    bool work;           /* set by the poller's callbacks: requests or frames wait */
    bool key_unused;     /* the node key has signed no checkpoint yet (daemon/node_key.h) */
    uint64_t key_signed; /* the largest checkpoint recorded in node.key.signed */
    bool derive_more;    /* the derived state has background work left */
    bool peers_more;     /* the last turn stopped reading peer frames on time */
    rsn_gossip_t *gossip;
    rsn_audit_t *audit;
    char *listen;
    queued_t queue[DRAIN_MAX];
    size_t n_queue;
    rsn_api_msg_t *ahead[DRAIN_MAX]; /* drained and verified, handled next turn */
    size_t n_ahead;
    rsn_subscriptions_t *subscriptions;
    rsn_background_t *background; /* audit verify and the sweep, on worker threads */
    rsn_api_ctx_t calls;          /* what the API's handlers borrow */
    rsn_api_ctx_t front_calls;    /* what never changes, for the front thread's handlers */
    rsn_api_state_t published;    /* the figures of the last state published (no view) */
    bool any_published;
    held_t *held; /* requests held behind an export page, in arrival order */
    size_t n_held, cap_held, n_held_whole;
    int64_t started_ms;
    uint64_t requests;
    uint64_t refused;
    uint64_t undecodable;     /* requests that were no ApiRequest */
    rsn_metrics_t *metrics;   /* what is counted for the metrics */
    rsn_http_metrics_t *http; /* the metrics endpoint; NULL: not served */
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Once the node key has signed a checkpoint (here or on request), it is no
 * longer a key that signed nothing (daemon/node_key.h). */
static void note_key_used(rsn_node_t *self)
{
    const char *note = NULL;
    uint64_t size = 0;
    uint8_t root[RSN_HASH_BYTES];
    if (self->key_unused && rsn_audit_latest(self->audit, &note, &size, root) == 0) {
        rsn_node_key_used(self->data_dir);
        self->key_unused = false;
    }
}

/* Records the size of the latest checkpoint beside the node key, before it
 * is sent to peers, so that a database older than it is refused at the next
 * start (daemon/node_key.h). Tried once per checkpoint (an error is logged). */
static void note_key_signed(rsn_node_t *self)
{
    const char *note = NULL;
    uint64_t size = 0;
    uint8_t root[RSN_HASH_BYTES];
    if (rsn_audit_latest(self->audit, &note, &size, root) == 0 && size > self->key_signed) {
        self->key_signed = size;
        if (rsn_node_key_signed(self->data_dir, self->key, size) < 0) {
            rsn_warn("node key: checkpoint %llu not recorded beside the key",
                     (unsigned long long)size);
        }
    }
}

/* The poller's callback for the API server and the federation transport. */
static void on_work(void *ctx)
{
    rsn_node_t *self = ctx;
    self->work = true;
}

/* Seconds of the monotonic clock, for the metrics' durations. */
static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The metrics endpoint's page (daemon/metrics.h), written in the loop. */
static int on_metrics_page(void *ctx, char **text, size_t *len)
{
    rsn_node_t *self = ctx;
    rsn_metrics_sources_t src = {
        .store = self->store,
        .ingest = self->ingest,
        .gossip = self->gossip,
        .audit = self->audit,
        .site = self->site,
        .version = RSN_VERSION,
        .uptime_seconds = (double)(now_ms() - self->started_ms) / 1000.0,
        .loop_waited_seconds = (double)rsn_poller_waited_ns(self->poller) / 1e9,
        .requests_undecodable = self->undecodable,
    };
    return rsn_metrics_render(self->metrics, &src, text, len);
}

/* Serves the metrics on CFG's address, once everything they read is open. */
static int serve_metrics(rsn_node_t *self, const rsn_node_config_t *cfg)
{
    if (!cfg->metrics) {
        return 0;
    }
    char why[RSN_HTTP_METRICS_WHY_MAX] = "";
    int rc = rsn_http_metrics_new(&self->http, self->poller, cfg->metrics, cfg->metrics_public,
                                  RSN_METRICS_CONTENT_TYPE, on_metrics_page, self, why, sizeof why);
    if (rc < 0) {
        rsn_error("%s", why[0] ? why : rsn_strerror(rc));
        return rc;
    }
    rsn_info("metrics: serving http://%s/metrics (port %u)", cfg->metrics,
             (unsigned)rsn_http_metrics_port(self->http));
    return 0;
}

uint16_t rsn_node_metrics_port(const rsn_node_t *self)
{
    return self->http ? rsn_http_metrics_port(self->http) : 0;
}

/* Hands the front thread a state of now (daemon/api.h), unless it says
 * nothing the last one did not. */
static void publish_state(rsn_node_t *self)
{
    if (self->any_published && rsn_api_state_same(&self->calls, &self->published)) {
        return;
    }
    rsn_api_state_t *st = NULL;
    if (rsn_api_state_new(&self->calls, self->any_published ? &self->published : NULL, &st) < 0) {
        /* the front must not answer from an older state than the acks that
         * follow: it passes every read to the loop until a state is taken */
        rsn_warn("api: out of memory taking a view for the reads; the loop answers them");
        if (rsn_api_server_publish(self->api, NULL) < 0) {
            rsn_error("api: the front thread could not be told to pass the reads on");
        }
        self->any_published = false;
        return;
    }
    rsn_api_state_t figures = *st;
    figures.view = NULL;
    figures.peers_reply = NULL; /* the state's: its digest is kept */
    if (rsn_api_server_publish(self->api, st) == 0) {
        self->published = figures;
        self->any_published = true;
    }
}

/* A read the front thread answered: counted as the loop's are. */
static void on_front_note(void *ctx, const uint8_t *note, size_t len)
{
    rsn_node_t *self = ctx;
    int call = 0, rc = 0;
    double seconds = 0;
    if (rsn_api_note_read(note, len, &call, &rc, &seconds) == 0) {
        self->requests++;
        self->refused += rc < 0;
        rsn_metrics_api_call(self->metrics, call, rc, seconds);
    }
}

/* An event its client did not take: that client's subscriptions end. */
static void on_undelivered(void *ctx, const rsn_api_msg_t *to)
{
    rsn_node_t *self = ctx;
    rsn_subscriptions_end_client(self->subscriptions, to);
}

/* The retention timer: starts a sweep of a bounded number of bodies past
 * retention on a worker thread; the loop erases what it finds as it comes
 * (daemon/background.h). */
static void on_sweep(rsn_poller_t *poller, int id, void *ctx)
{
    rsn_node_t *self = ctx;
    (void)poller;
    (void)id;
    uint64_t now_ms = rsn_clock_retention_ms(rsn_clock_wall_ms());
    if (rsn_background_sweep(self->background, now_ms, RETENTION_BUDGET) < 0) {
        rsn_error("retention: the sweep could not start");
    }
}

int rsn_node_open(rsn_node_t **out, const rsn_node_config_t *cfg)
{
    *out = NULL;
    rsn_node_t *self = calloc(1, sizeof *self);
    if (!self) {
        return RSN_ERR_NOMEM;
    }
    int rc = 0;
    self->started_ms = now_ms();
    self->data_dir = strdup(cfg->data_dir);
    self->site = strdup(cfg->site ? cfg->site : "");
    if (cfg->socket_path) {
        self->socket_path = strdup(cfg->socket_path);
    } else {
        size_t n = strlen(cfg->data_dir) + sizeof "/raison.sock";
        self->socket_path = malloc(n);
        if (self->socket_path) {
            snprintf(self->socket_path, n, "%s/raison.sock", cfg->data_dir);
        }
    }
    self->metrics = rsn_metrics_new();
    if (!self->data_dir || !self->site || !self->socket_path || !self->metrics) {
        rc = RSN_ERR_NOMEM;
        goto out;
    }
    if (cfg->metrics) {
        /* a public address is refused before anything is opened */
        char why[RSN_HTTP_METRICS_WHY_MAX] = "";
        rc = rsn_http_metrics_check(cfg->metrics, cfg->metrics_public, why, sizeof why);
        if (rc < 0) {
            rsn_error("%s", why);
            goto out;
        }
    }
    if (strlen(self->socket_path) > RSN_IPC_PATH_MAX) {
        rsn_error("the API socket path %s is %zu bytes; a Unix socket path holds at most %d: "
                  "use a shorter --data folder or --socket PATH",
                  self->socket_path, strlen(self->socket_path), RSN_IPC_PATH_MAX);
        rc = RSN_ERR_INVALID_ARG;
        goto out;
    }
    rc = rsn_node_make_dir(self->data_dir);
    if (rc < 0) {
        goto out;
    }
    /* the database lock comes first: a second node stops here */
    char dbdir[4096];
    snprintf(dbdir, sizeof dbdir, "%s/db", self->data_dir);
    rc = rsn_store_open_with(&self->store, dbdir, cfg->store);
    if (rc == RSN_ERR_LOCKED) {
        rsn_error("data folder %s is in use by another raisond (its database is locked)",
                  self->data_dir);
        goto out;
    }
    if (rc < 0) {
        rsn_error("cannot open the database in %s: %s", dbdir, rsn_strerror(rc));
        goto out;
    }
    if ((rc = rsn_store_check_format(self->store, dbdir)) < 0) {
        goto out;
    }
    /* one key, one history: a lost store is not restarted under its old key */
    rc =
        rsn_node_key_open(self->data_dir, self->store, cfg->new_key, &self->key, &self->key_unused);
    if (rc < 0) {
        goto out;
    }
    rc = rsn_ingest_new(&self->ingest, self->store);
    if (rc < 0) {
        rsn_error("cannot read the store's counters: %s", rsn_strerror(rc));
        goto out;
    }
    uint64_t log_size = 0;
    uint8_t log_root[RSN_HASH_BYTES];
    rsn_ingest_log_root(self->ingest, &log_size, log_root);
    /* nor a database older than what the key signed (a backup's copy) */
    if ((rc = rsn_node_key_check_log(self->data_dir, self->key, log_size)) < 0) {
        goto out;
    }
    rc = rsn_api_server_bind(&self->api, self->socket_path);
    if (rc == 0 && cfg->share_socket) {
        rc = rsn_api_server_share(self->api, cfg->socket_gid);
    }
    if (rc < 0) {
        goto out;
    }
    rc = rsn_poller_new(&self->poller);
    if (rc < 0) {
        goto out;
    }
    /* federation: the node key's Curve25519 form is its CURVE key */
    uint8_t *curve_secret = rsn_secure_alloc(32);
    if (!curve_secret) {
        rc = RSN_ERR_NOMEM;
        goto out;
    }
    rc = rsn_keypair_curve_secret(self->key, curve_secret);
    if (rc == 0) {
        rc = rsn_fed_new(&self->fed, rsn_keypair_public(self->key), curve_secret, cfg->listen);
    }
    rsn_secure_free(curve_secret);
    if (rc < 0) {
        rsn_error("cannot start federation%s%s: %s", cfg->listen ? " on " : "",
                  cfg->listen ? cfg->listen : "", rsn_strerror(rc));
        goto out;
    }
    self->listen = strdup(cfg->listen ? cfg->listen : "");
    if (!self->listen) {
        rc = RSN_ERR_NOMEM;
        goto out;
    }
    /* reads are answered on the API server's own thread (daemon/api.h) */
    self->front_calls = (rsn_api_ctx_t){.node_key = rsn_keypair_public(self->key),
                                        .site = self->site,
                                        .listen = self->listen,
                                        .started_ms = self->started_ms};
    rc = rsn_api_server_start_front(self->api, &(rsn_api_front_t){.answer = rsn_api_front_answer,
                                                                  .answer_ctx = &self->front_calls,
                                                                  .state_free = rsn_api_state_free,
                                                                  .note = on_front_note,
                                                                  .undelivered = on_undelivered,
                                                                  .loop_ctx = self});
    if (rc == 0) {
        rc = rsn_api_server_attach(self->api, self->poller, on_work, self);
    }
    if (rc < 0) {
        goto out;
    }
    rc = rsn_fed_set_peers(self->fed, cfg->peers, cfg->n_peers);
    if (rc < 0) {
        rsn_error("invalid peer list");
        goto out;
    }
    rc = rsn_fed_attach(self->fed, self->poller, on_work, self);
    if (rc < 0) {
        goto out;
    }
    rc = rsn_background_new(&self->background, self->poller, self->store, self->api,
                            rsn_keypair_public(self->key));
    if (rc < 0) {
        goto out;
    }
    rsn_background_set_wake(self->background, on_work, self); /* held requests may go on */
    /* bodies past retention: a sweep starts at once (the start does not wait
     * for it), then every minute */
    rc = rsn_poller_add_timer(self->poller, 0, RETENTION_EVERY_MS, on_sweep, self, NULL);
    if (rc < 0) {
        goto out;
    }
    rc = rsn_gossip_new(&self->gossip, self->store, self->ingest, self->fed,
                        rsn_keypair_public(self->key), self->site);
    if (rc < 0) {
        goto out;
    }
    rc = rsn_audit_new(&self->audit, self->store, self->ingest, self->key);
    if (rc < 0) {
        goto out;
    }
    rsn_gossip_set_audit(self->gossip, self->audit);
    rc = rsn_subscriptions_new(&self->subscriptions);
    if (rc < 0) {
        goto out;
    }
    self->calls = (rsn_api_ctx_t){.store = self->store,
                                  .ingest = self->ingest,
                                  .audit = self->audit,
                                  .gossip = self->gossip,
                                  .subscriptions = self->subscriptions,
                                  .node_key = rsn_keypair_public(self->key),
                                  .site = self->site,
                                  .listen = self->listen,
                                  .started_ms = self->started_ms,
                                  .background = self->background,
                                  .metrics = self->metrics};
    rc = serve_metrics(self, cfg);
    if (rc < 0) {
        goto out;
    }
    if (cfg->listen) {
        rsn_info("federation: listening on %s, %zu peer(s) trusted", cfg->listen, cfg->n_peers);
    } else if (cfg->n_peers) {
        rsn_info("federation: %zu peer(s) trusted (not listening)", cfg->n_peers);
    }
    rsn_counts_t c;
    rsn_ingest_counts(self->ingest, &c);
    self->calls.startup_ms = now_ms() - self->started_ms;
    publish_state(self);
    rsn_info("serving ipc://%s (site '%s'; %llu entries, %llu authors, %llu groups); "
             "started in %lld ms",
             self->socket_path, self->site, (unsigned long long)c.entries,
             (unsigned long long)c.authors, (unsigned long long)c.groups,
             (long long)self->calls.startup_ms);
out:
    if (rc < 0) {
        rsn_node_destroy(&self);
        return rc;
    }
    *out = self;
    return 0;
}

void rsn_node_destroy(rsn_node_t **self_p)
{
    if (!self_p || !*self_p) {
        return;
    }
    rsn_node_t *self = *self_p;
    for (size_t i = 0; i < self->n_queue; i++) {
        rsn_api_msg_destroy(&self->queue[i].to);
        free(self->queue[i].reply);
    }
    rsn_http_metrics_destroy(&self->http); /* before the poller and what it reads */
    for (size_t i = 0; i < self->n_held; i++) {
        rsn_api_msg_destroy(&self->held[i].msg);
    }
    free(self->held);
    for (size_t i = 0; i < self->n_ahead; i++) {
        rsn_api_msg_destroy(&self->ahead[i]); /* never acknowledged: nothing lost */
    }
    rsn_background_destroy(&self->background); /* joins its threads first */
    rsn_subscriptions_destroy(&self->subscriptions);
    rsn_gossip_destroy(&self->gossip);
    rsn_audit_destroy(&self->audit);
    rsn_fed_destroy(&self->fed);
    rsn_api_server_destroy(&self->api); /* joins the front: it read the site and key too */
    free(self->listen);
    rsn_poller_destroy(&self->poller); /* after what registered with it */
    rsn_ingest_destroy(&self->ingest);
    rsn_store_destroy(&self->store);
    rsn_keypair_destroy(&self->key);
    free(self->data_dir);
    free(self->socket_path);
    free(self->site);
    rsn_metrics_destroy(&self->metrics);
    free(self);
    *self_p = NULL;
}

/* Packs REPLY and sends it to TO now. */
static void send_now(rsn_node_t *self, rsn_arena_t *arena, const rsn_api_msg_t *to,
                     Raison__ApiReply *reply)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (rsn_pack(arena, &reply->base, &bytes, &len) < 0) {
        return;
    }
    if (rsn_api_server_send(self->api, to, bytes, len) < 0) {
        rsn_debug("api: a client left before its reply");
    }
}

/* Keeps REPLY to send after the commit. Takes MSG. */
static void enqueue(rsn_node_t *self, rsn_arena_t *arena, rsn_api_msg_t **msg,
                    Raison__ApiReply *reply, bool ack)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (rsn_pack(arena, &reply->base, &bytes, &len) < 0) {
        rsn_api_msg_destroy(msg);
        return;
    }
    queued_t *q = &self->queue[self->n_queue];
    q->reply = malloc(len ? len : 1);
    if (!q->reply) {
        rsn_api_msg_destroy(msg);
        return;
    }
    memcpy(q->reply, bytes, len);
    q->len = len;
    q->to = *msg;
    *msg = NULL;
    q->is_publish_ack = ack;
    q->batch = rsn_ingest_batch_number(self->ingest);
    q->request_id = reply->request_id;
    self->n_queue++;
}

/* Commits what is staged, then sends the queued replies in order. */
static void flush(rsn_node_t *self)
{
    /* a failed commit (this one, or one inside a stage) fails the acks of
     * its own batch only: those of the batches after it were written */
    double started = now_seconds();
    bool writes = rsn_ingest_pending(self->ingest) > 0;
    if (rsn_ingest_commit(self->ingest) < 0) {
        rsn_debug("ingest: this flush's commit failed");
    }
    if (writes) {
        rsn_metrics_commit(self->metrics, now_seconds() - started);
    }
    publish_state(self); /* before the acks: a read after one sees its entry */
    for (size_t i = 0; i < self->n_queue; i++) {
        queued_t *q = &self->queue[i];
        if (q->is_publish_ack && rsn_ingest_batch_failed(self->ingest, q->batch)) {
            rsn_arena_t *arena = rsn_arena_new();
            if (arena) {
                Raison__ApiReply reply = RAISON__API_REPLY__INIT;
                reply.request_id = q->request_id;
                rsn_api_error(arena, &reply, RSN_ERR_INTERNAL,
                              "the node could not write the entry durably; retry");
                send_now(self, arena, q->to, &reply);
                rsn_arena_destroy(&arena);
            }
        } else if (rsn_api_server_send(self->api, q->to, q->reply, q->len) < 0) {
            rsn_debug("api: a client left before its reply");
        }
        rsn_api_msg_destroy(&q->to);
        free(q->reply);
        q->reply = NULL;
    }
    self->n_queue = 0;
    size_t count = 0;
    const uint8_t(*ids)[32] = rsn_ingest_committed(self->ingest, &count);
    rsn_subscriptions_notify(self->subscriptions, self->store, self->api, ids, count);
    rsn_gossip_after_commit(self->gossip, ids, count);
    rsn_ingest_committed_clear(self->ingest);
}

/* Holds *MSG (taken) behind its client's export page. */
static void hold(rsn_node_t *self, rsn_api_msg_t **msg)
{
    if (self->n_held == self->cap_held) {
        size_t cap = self->cap_held ? self->cap_held * 2 : 64;
        held_t *grown = realloc(self->held, cap * sizeof *grown);
        if (!grown) {
            rsn_error("api: out of memory holding a request; it is dropped");
            rsn_api_msg_destroy(msg);
            return;
        }
        self->held = grown;
        self->cap_held = cap;
    }
    held_t h = {.msg = *msg};
    if (self->n_held_whole == HELD_WHOLE_MAX) {
        /* bounded: only its envelope and request_id are kept */
        rsn_arena_t *arena = rsn_arena_new();
        size_t len = 0;
        const uint8_t *payload = rsn_api_msg_payload(*msg, &len);
        Raison__ApiRequest *req = NULL;
        if (arena && rsn_request_decode(arena, payload, len, &req) == 0) {
            h.request_id = req->request_id;
        }
        rsn_arena_destroy(&arena);
        h.busy = true;
        h.msg = rsn_api_msg_envelope_copy(*msg);
        rsn_api_msg_destroy(msg);
        if (!h.msg) {
            return;
        }
    } else {
        self->n_held_whole++;
    }
    *msg = NULL;
    self->held[self->n_held++] = h;
}

static void handle(rsn_node_t *self, rsn_api_msg_t **msg);

/* Answers, in their order, the held requests of clients no longer held
 * (their page was sent); a request that holds its client again (another
 * page) keeps that client's later ones held. */
static void answer_held(rsn_node_t *self)
{
    size_t kept = 0, n = self->n_held;
    for (size_t i = 0; i < n; i++) {
        held_t h = self->held[i];
        if (rsn_background_holds(self->background, h.msg)) {
            self->held[kept++] = h;
            continue;
        }
        if (h.busy) {
            rsn_api_send_error(self->api, h.msg, h.request_id, RSN_ERR_BUSY,
                               "too many requests wait behind this client's page of leaves");
            rsn_api_msg_destroy(&h.msg);
        } else {
            self->n_held_whole--;
            handle(self, &h.msg);
        }
    }
    self->n_held = kept;
}

/* Handles one request; takes *MSG. A staged call (publish) is answered
 * after the commit; any other after what was staged before it. A request
 * of a client whose export page is being built waits for it (hold). */
static void handle(rsn_node_t *self, rsn_api_msg_t **msg)
{
    if (rsn_background_holds(self->background, *msg)) {
        hold(self, msg);
        return;
    }
    rsn_arena_t *arena = rsn_arena_new();
    if (!arena) {
        rsn_api_msg_destroy(msg);
        return;
    }
    self->requests++;
    Raison__ApiReply reply = RAISON__API_REPLY__INIT;
    size_t len = 0;
    const uint8_t *payload = rsn_api_msg_payload(*msg, &len);
    Raison__ApiRequest *req = NULL;
    bool durable = false;
    int rc = rsn_request_decode(arena, payload, len, &req);
    if (rc < 0) {
        rsn_api_error(arena, &reply, RSN_ERR_BAD_REQUEST,
                      rc == RSN_ERR_TOO_LARGE ? "request is over the size limit"
                                              : "request is not a protobuf ApiRequest");
        self->refused++;
        self->undecodable++;
    } else {
        reply.request_id = req->request_id;
    }
    if (req && rsn_api_is_staged(req->call_case)) {
        if (rsn_api_call(&self->calls, arena, *msg, req, &reply, &durable) < 0) {
            self->refused++;
        }
        if (self->n_queue >= DRAIN_MAX) {
            flush(self);
        }
        enqueue(self, arena, msg, &reply, durable);
        rsn_arena_destroy(&arena);
        return;
    }
    if (self->n_queue > 0 || rsn_ingest_pending(self->ingest) > 0) {
        flush(self);
    }
    rc = req ? rsn_api_call(&self->calls, arena, *msg, req, &reply, &durable) : rc;
    /* what the call changed (a reindex or a verification started, a
     * checkpoint signed) is in the reads its client sends after the reply */
    publish_state(self);
    if (!(req && rc == 0 && reply.result_case == RAISON__API_REPLY__RESULT__NOT_SET)) {
        send_now(self, arena, *msg, &reply); /* unset: answered later (audit verify) */
    }
    rsn_api_msg_destroy(msg);
    rsn_arena_destroy(&arena);
}

/* Begins checking the signatures of the publishes among BATCH on other
 * threads, so that handling them one by one costs no verification; NULL when
 * fewer than two publishes are there to check. */
static rsn_preverify_t *preverify_start(rsn_node_t *self, rsn_api_msg_t **batch, size_t n)
{
    if (n < 2) {
        return NULL;
    }
    rsn_arena_t *arena = rsn_arena_new();
    rsn_ingest_input_t *in = arena ? rsn_arena_alloc(arena, n * sizeof *in) : NULL;
    size_t count = 0;
    for (size_t i = 0; in && i < n; i++) {
        size_t len = 0;
        const uint8_t *payload = rsn_api_msg_payload(batch[i], &len);
        Raison__ApiRequest *req = NULL;
        if (rsn_request_decode(arena, payload, len, &req) == 0 &&
            req->call_case == RAISON__API_REQUEST__CALL_PUBLISH && req->publish->entry) {
            const Raison__SignedEntry *se = req->publish->entry;
            in[count].entry = se->entry.data; /* the job copies what it checks */
            in[count].entry_len = se->entry.len;
            in[count].signature = se->signature.data;
            in[count].signature_len = se->signature.len;
            count++;
        }
    }
    rsn_preverify_t *job = count > 1 ? rsn_ingest_preverify_start(self->ingest, in, count) : NULL;
    rsn_arena_destroy(&arena);
    return job;
}

/* Handles the batch kept from the turn before, in its order, and commits. */
static void handle_ahead(rsn_node_t *self)
{
    if (self->n_ahead == 0) {
        return;
    }
    size_t n = self->n_ahead;
    self->n_ahead = 0;
    for (size_t i = 0; i < n; i++) {
        handle(self, &self->ahead[i]);
    }
    flush(self);
}

int rsn_node_set_peers(rsn_node_t *self, const rsn_fed_peer_conf_t *peers, size_t n)
{
    int rc = rsn_fed_set_peers(self->fed, peers, n);
    rsn_gossip_forget_absent(self->gossip);
    if (rc == 0) {
        rsn_info("federation: %zu peer(s) trusted", n);
    }
    return rc;
}

/* Runs the poller until a callback says work waits, up to TIMEOUT_MS or a
 * stop. 0, RSN_ERR_TIMEOUT, RSN_ERR_INTERRUPTED, or the poller's error. */
static int wait_for_work(rsn_node_t *self, volatile sig_atomic_t *stop, int timeout_ms)
{
    int64_t deadline = now_ms() + timeout_ms;
    self->work = false;
    for (;;) {
        int64_t left = deadline - now_ms();
        int rc = rsn_poller_wait(self->poller, left < 0 ? 0 : (int)left);
        if (rc < 0 && rc != RSN_ERR_TIMEOUT) {
            return rc;
        }
        if (self->work) {
            return 0;
        }
        if (*stop || now_ms() >= deadline) {
            return RSN_ERR_TIMEOUT;
        }
    }
}

int rsn_node_run(rsn_node_t *self, volatile sig_atomic_t *stop, volatile sig_atomic_t *reload,
                 rsn_node_reload_fn reload_fn, void *ctx)
{
    while (!*stop) {
        if (reload && *reload) {
            *reload = 0;
            if (reload_fn) {
                reload_fn(self, ctx);
            }
        }
        rsn_reindex_progress_t rp;
        rsn_ingest_reindex_progress(self->ingest, &rp);
        /* a reindex's turns leave the core a moment between them (a loop that
         * never sleeps is scheduled after those that do: clients would wait) */
        int rc = wait_for_work(self, stop,
                               rp.running ? REINDEX_PAUSE_MS
                               : self->derive_more || self->peers_more || self->n_ahead > 0 ||
                                       rsn_gossip_ahead(self->gossip)
                                   ? 0
                                   : TURN_MS);
        if (rc < 0 && rc != RSN_ERR_INTERRUPTED && rc != RSN_ERR_TIMEOUT) {
            rsn_error("wait failed: %s", rsn_strerror(rc));
            return rc;
        }
        double turn_started = now_seconds();
        if (self->n_held > 0) {
            answer_held(self); /* before the new requests: their clients' order */
        }
        rsn_api_msg_t *batch[DRAIN_MAX];
        size_t n = 0;
        while (n < DRAIN_MAX) {
            rc = rsn_api_server_recv(self->api, &batch[n]);
            if (rc == RSN_ERR_AGAIN) {
                break;
            }
            if (rc < 0) {
                self->refused++;
                continue;
            }
            n++;
        }
        /* this batch's signatures are checked while the last one is written */
        rsn_preverify_t *job = preverify_start(self, batch, n);
        handle_ahead(self);
        if (job) {
            rsn_ingest_preverify_finish(self->ingest, &job, RSN_AHEAD_CLIENTS);
            memcpy(self->ahead, batch, n * sizeof *batch);
            self->n_ahead = n;
        } else {
            for (size_t i = 0; i < n; i++) {
                handle(self, &batch[i]);
            }
        }
        /* a bounded share of the turn for peers, so clients are not starved:
         * at most 8 rounds of frames, and none begun after PEER_TURN_MS */
        int64_t peers_from = now_ms();
        self->peers_more = false;
        for (int i = 0; i < 8 && rsn_gossip_receive(self->gossip) == RSN_ERR_AGAIN; i++) {
            flush(self);
            if (now_ms() - peers_from >= PEER_TURN_MS) {
                self->peers_more = true; /* frames may wait: no sleep next turn */
                break;
            }
        }
        flush(self);
        rsn_gossip_tick(self->gossip);
        bool signed_now = false;
        if (rsn_audit_tick(self->audit, false, &signed_now) < 0) {
            rsn_error("audit: could not sign or store a checkpoint");
        } else if (signed_now) {
            note_key_signed(self);
            rsn_gossip_checkpoint_signed(self->gossip);
        }
        note_key_signed(self); /* also one signed on request (`audit checkpoint --fresh`) */
        note_key_used(self);
        /* what looks back (daemon/derive.h): a bounded share of each turn */
        if (rsn_ingest_derive(self->ingest, DERIVE_BUDGET, &self->derive_more) < 0) {
            self->derive_more = false; /* logged; tried again next turn */
        }
        publish_state(self); /* what the turn changed besides commits */
        rsn_metrics_loop_turn(self->metrics, now_seconds() - turn_started);
    }
    handle_ahead(self);
    flush(self);
    rsn_info("stopping: %llu requests served, %llu refused", (unsigned long long)self->requests,
             (unsigned long long)self->refused);
    return 0;
}
