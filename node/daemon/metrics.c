/* metrics.c — the node's counters and the page of Prometheus metrics.
 *
 * What is counted as it happens (API calls, loop turns, commits) lives in
 * struct rsn_metrics as counters and fixed-bucket histograms; the rest is
 * read at scrape time from the modules that keep it (daemon/metrics.h).
 * The page is written family by family through daemon/metrics_text.h; the
 * names, types and help texts here are the ones docs/operations.md "Metrics"
 * documents, with what to alert on. */
#include "daemon/metrics.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "daemon/audit.h"
#include "daemon/clock.h"
#include "daemon/gossip.h"
#include "daemon/ingest.h"
#include "daemon/metrics_text.h"
#include "daemon/report_state.h"
#include "net/fed.h"
#include "proto/codec.h"
#include "store/store.h"

/* Latency of an API call or a loop turn, in seconds: 100 us to 2.5 s. */
static const double LATENCY_BOUNDS[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                        0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5};
#define N_LATENCY (sizeof LATENCY_BOUNDS / sizeof LATENCY_BOUNDS[0])

/* A group commit (its fsync included), in seconds: 500 us to 5 s. */
static const double COMMIT_BOUNDS[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                       0.1,    0.25,  0.5,    1,     2.5,  5};
#define N_COMMIT (sizeof COMMIT_BOUNDS / sizeof COMMIT_BOUNDS[0])

/* One API call's figures. */
typedef struct {
    uint64_t ok;
    uint64_t errors;
    rsn_histogram_t latency;
} call_stats_t;

struct rsn_metrics {
    call_stats_t calls[RSN_METRICS_CALLS_MAX]; /* by call case; 0: a request with no call */
    rsn_histogram_t turns;
    rsn_histogram_t commits;
};

rsn_metrics_t *rsn_metrics_new(void)
{
    return calloc(1, sizeof(rsn_metrics_t));
}

void rsn_metrics_destroy(rsn_metrics_t **self_p)
{
    if (!self_p || !*self_p) {
        return;
    }
    free(*self_p);
    *self_p = NULL;
}

void rsn_metrics_api_call(rsn_metrics_t *self, int call, int rc, double seconds)
{
    if (!self) {
        return;
    }
    call_stats_t *c = &self->calls[call > 0 && call < RSN_METRICS_CALLS_MAX ? call : 0];
    if (rc < 0) {
        c->errors++;
    } else {
        c->ok++;
    }
    rsn_histogram_observe(&c->latency, LATENCY_BOUNDS, N_LATENCY, seconds);
}

void rsn_metrics_loop_turn(rsn_metrics_t *self, double seconds)
{
    if (self) {
        rsn_histogram_observe(&self->turns, LATENCY_BOUNDS, N_LATENCY, seconds);
    }
}

void rsn_metrics_commit(rsn_metrics_t *self, double seconds)
{
    if (self) {
        rsn_histogram_observe(&self->commits, COMMIT_BOUNDS, N_COMMIT, seconds);
    }
}

/* A family of one unlabelled sample. */
static void single(rsn_mtext_t *t, const char *name, const char *type, const char *help,
                   uint64_t value)
{
    rsn_mtext_family(t, name, type, help);
    rsn_mtext_sample_u64(t, name, NULL, 0, value);
}

/* The node itself: build, uptime, the loop's busy time. */
static void render_node(rsn_mtext_t *t, const rsn_metrics_t *self, const rsn_metrics_sources_t *src)
{
    rsn_mtext_family(t, "raison_build_info", "gauge",
                     "Always 1; the labels say this node's version and site.");
    rsn_mlabel_t info[] = {{"version", src->version ? src->version : ""},
                           {"site", src->site ? src->site : ""}};
    rsn_mtext_sample(t, "raison_build_info", info, 2, 1);
    rsn_mtext_family(t, "raison_uptime_seconds", "gauge", "Seconds since the node started.");
    rsn_mtext_sample(t, "raison_uptime_seconds", NULL, 0, src->uptime_seconds);
    double busy = src->uptime_seconds - src->loop_waited_seconds;
    rsn_mtext_family(t, "raison_loop_busy_seconds_total", "counter",
                     "Seconds the event loop worked (not waiting in poll) since the start.");
    rsn_mtext_sample(t, "raison_loop_busy_seconds_total", NULL, 0, busy > 0 ? busy : 0);
    rsn_mtext_family(t, "raison_loop_turn_duration_seconds", "histogram",
                     "Work of one turn of the event loop (requests, frames, commits, "
                     "derived state), its wait left out.");
    rsn_mtext_histogram(t, "raison_loop_turn_duration_seconds", NULL, 0, &self->turns,
                        LATENCY_BOUNDS, N_LATENCY);
}

/* What the store holds (the figures of `raison status`). */
static void render_store(rsn_mtext_t *t, const rsn_metrics_sources_t *src)
{
    if (!src->ingest) {
        return;
    }
    rsn_counts_t c;
    rsn_ingest_counts(src->ingest, &c);
    single(t, "raison_entries", "gauge", "Entries held (accepted under the feed rule).", c.entries);
    single(t, "raison_authors", "gauge", "Feeds (authors) held.", c.authors);
    single(t, "raison_groups", "gauge", "Groups held (charter v1 entries).", c.groups);
    single(t, "raison_forks", "gauge", "Fork evidences held (frozen feeds).", c.forks);
    single(t, "raison_log_size", "gauge", "Leaves of the transparency log.", c.leaves);
    single(t, "raison_bodies_missing", "gauge",
           "Entries held whose body is missing (asked of the peers).", c.missing);
    single(t, "raison_bodies_erased", "gauge",
           "Entries whose body was erased for a reason held (retention, retraction).", c.erased);
    single(t, "raison_derive_behind", "gauge",
           "1 while the derived state (groups, reports) lags the log, else 0.",
           rsn_ingest_derive_behind(src->ingest) ? 1 : 0);
    if (src->store) {
        single(t, "raison_groups_updating", "gauge",
               "Groups whose report counters are being recomputed in the background.",
               rsn_report_groups_updating(src->store));
        single(t, "raison_store_bytes", "gauge",
               "Bytes of the store on disk (LevelDB's approximation).",
               rsn_store_approximate_bytes(src->store));
    }
}

/* The write path's counters. */
static void render_ingest(rsn_mtext_t *t, const rsn_metrics_t *self,
                          const rsn_metrics_sources_t *src)
{
    if (!src->ingest) {
        return;
    }
    rsn_ingest_stats_t s;
    rsn_ingest_stats(src->ingest, &s);
    const char *name = "raison_ingest_entries_total";
    rsn_mtext_family(t, name, "counter",
                     "Entries handed to the write path, by origin (publish: a client's, "
                     "relayed: a peer's) and result (accepted, duplicate, refused).");
    const char *origins[2] = {"relayed", "publish"};
    for (int o = 0; o < 2; o++) {
        const char *results[3] = {"accepted", "duplicate", "refused"};
        uint64_t values[3] = {s.accepted[o], s.duplicates[o], s.refused[o]};
        for (int r = 0; r < 3; r++) {
            rsn_mlabel_t l[] = {{"origin", origins[o]}, {"result", results[r]}};
            rsn_mtext_sample_u64(t, name, l, 2, values[r]);
        }
    }
    single(t, "raison_ingest_busy_total", "counter",
           "Entries put off because the batch was full (taken again after the commit).", s.busy);
    single(t, "raison_ingest_commits_total", "counter", "Group commits written (synced).",
           s.commits);
    single(t, "raison_ingest_commit_failures_total", "counter",
           "Group commits that failed to write; their entries were not acknowledged.",
           s.commit_failures);
    single(t, "raison_ingest_committed_entries_total", "counter",
           "Entries written by the group commits.", s.committed);
    single(t, "raison_ingest_verified_ahead_total", "counter",
           "Entries staged whose signature was checked ahead, on other threads.", s.verified_ahead);
    rsn_mtext_family(t, "raison_ingest_commit_duration_seconds", "histogram",
                     "Duration of one group commit, its fsync included.");
    rsn_mtext_histogram(t, "raison_ingest_commit_duration_seconds", NULL, 0, &self->commits,
                        COMMIT_BOUNDS, N_COMMIT);
}

/* The call label of slot I when it is listed: every call of the API, and
 * "none" (requests naming no call) once one came; NULL otherwise. */
static const char *listed_call(const rsn_metrics_t *self, int i)
{
    if (i == 0) {
        return self->calls[0].latency.count > 0 ? "none" : NULL;
    }
    return rsn_api_call_name(i);
}

/* API calls: counts by result, latency per call. Every call of the API is
 * listed, those never made at 0, so that a rate is defined from the start. */
static void render_api(rsn_mtext_t *t, const rsn_metrics_t *self, const rsn_metrics_sources_t *src)
{
    const char *calls = "raison_api_calls_total";
    rsn_mtext_family(t, calls, "counter",
                     "API calls answered, by call and result (ok, or error: refused with a "
                     "reason).");
    for (int i = 0; i < RSN_METRICS_CALLS_MAX; i++) {
        const char *call = listed_call(self, i);
        const call_stats_t *c = &self->calls[i];
        if (!call) {
            continue;
        }
        rsn_mlabel_t ok[] = {{"call", call}, {"result", "ok"}};
        rsn_mlabel_t err[] = {{"call", call}, {"result", "error"}};
        rsn_mtext_sample_u64(t, calls, ok, 2, c->ok);
        rsn_mtext_sample_u64(t, calls, err, 2, c->errors);
    }
    const char *latency = "raison_api_call_duration_seconds";
    rsn_mtext_family(t, latency, "histogram",
                     "Time the node's handler took to answer one API call, by call (a publish: "
                     "until staged; its commit is raison_ingest_commit_duration_seconds).");
    for (int i = 0; i < RSN_METRICS_CALLS_MAX; i++) {
        const char *call = listed_call(self, i);
        if (!call) {
            continue;
        }
        rsn_mlabel_t l[] = {{"call", call}};
        rsn_mtext_histogram(t, latency, l, 1, &self->calls[i].latency, LATENCY_BOUNDS, N_LATENCY);
    }
    single(t, "raison_api_undecodable_requests_total", "counter",
           "API requests refused before any call: not an ApiRequest, or over the size limit.",
           src->requests_undecodable);
}

/* The latest signed checkpoint of this node's log. */
static void render_checkpoint(rsn_mtext_t *t, const rsn_metrics_sources_t *src)
{
    if (!src->audit) {
        return;
    }
    const char *note = NULL;
    uint64_t size = 0;
    uint8_t root[RSN_HASH_BYTES];
    if (rsn_audit_latest(src->audit, &note, &size, root) < 0) {
        size = 0;
    }
    single(t, "raison_checkpoint_size", "gauge",
           "Tree size of the latest checkpoint this node signed (0: none yet).", size);
    rsn_mtext_family(t, "raison_checkpoint_age_seconds", "gauge",
                     "Seconds since this node signed its latest checkpoint (since the start "
                     "when it was signed by an earlier run, or none is).");
    rsn_mtext_sample(t, "raison_checkpoint_age_seconds", NULL, 0,
                     (double)rsn_audit_age_ms(src->audit) / 1000.0);
}

/* One per-peer gauge or counter: its family, then one sample per peer. */
typedef struct {
    const char *name;
    const char *type;
    const char *help;
} peer_family_t;

static const peer_family_t PEER_FAMILIES[] = {
    {"raison_peer_up", "gauge", "1 while the link to the peer is up, else 0."},
    {"raison_peer_banned", "gauge", "1 while the peer is banned for invalid frames, else 0."},
    {"raison_peer_sent_bytes_total", "counter", "Bytes sent to the peer."},
    {"raison_peer_received_bytes_total", "counter", "Bytes received from the peer."},
    {"raison_peer_sent_entries_total", "counter", "Entries sent to the peer."},
    {"raison_peer_received_entries_total", "counter", "Entries received from the peer."},
    {"raison_peer_dropped_total", "counter", "Frames or entries from the peer dropped as invalid."},
    {"raison_peer_missing_entries", "gauge",
     "Entries this node holds that the peer lacks, as of the last comparison."},
    {"raison_peer_lacking_entries", "gauge",
     "Sync lag: entries the peer holds that this node lacks, as far as known (the last "
     "comparison of heads, less what it sent since)."},
    {"raison_peer_checkpoint_size", "gauge",
     "Tree size of the peer's latest checkpoint verified consistent (0: none)."},
};
#define N_PEER_FAMILIES (sizeof PEER_FAMILIES / sizeof PEER_FAMILIES[0])

/* The value of PEER_FAMILIES[I] for peer P at NOW_MS (ms since the epoch). */
static uint64_t peer_value(size_t i, const Raison__PeerInfo *p, uint64_t now_ms)
{
    switch (i) {
    case 0: return p->connected ? 1 : 0;
    case 1: return p->banned_until > now_ms ? 1 : 0;
    case 2: return p->bytes_sent;
    case 3: return p->bytes_received;
    case 4: return p->entries_sent;
    case 5: return p->entries_received;
    case 6: return p->dropped;
    case 7: return p->missing;
    case 8: return p->lacking;
    default: return p->checkpoint_size;
    }
}

/* The witness state of P, one of WITNESS_STATES. */
static const char *const WITNESS_STATES[] = {"none", "consistent", "unanswered", "inconsistent"};

static int witness_state(const Raison__PeerInfo *p)
{
    if (p->inconsistency && p->inconsistency[0]) {
        return 3;
    }
    if (p->unanswered_consistency && p->unanswered_consistency[0]) {
        return 2;
    }
    return p->checkpoint_size > 0 ? 1 : 0;
}

/* The peers: counts, then each per-peer family, then witnessing. */
static int render_peers(rsn_mtext_t *t, const rsn_metrics_sources_t *src, uint64_t now_ms)
{
    if (!src->gossip) {
        return 0;
    }
    rsn_arena_t *arena = rsn_arena_new();
    Raison__PeersReply *pr = NULL;
    int rc = arena ? rsn_gossip_peers(src->gossip, arena, &pr) : RSN_ERR_NOMEM;
    if (rc < 0) {
        goto out;
    }
    uint64_t connected = 0;
    char(*keys)[RSN_KEY_HEX + 1] = rsn_arena_alloc(arena, (pr->n_peers + 1) * sizeof *keys);
    if (!keys) {
        rc = RSN_ERR_NOMEM;
        goto out;
    }
    for (size_t j = 0; j < pr->n_peers; j++) {
        connected += pr->peers[j]->connected ? 1 : 0;
        rsn_hex_encode(keys[j], sizeof keys[j], pr->peers[j]->key.data, pr->peers[j]->key.len);
    }
    single(t, "raison_peers", "gauge", "Peers trusted (configured).", pr->n_peers);
    single(t, "raison_peers_connected", "gauge", "Peers whose link is up.", connected);
    for (size_t i = 0; i < N_PEER_FAMILIES; i++) {
        rsn_mtext_family(t, PEER_FAMILIES[i].name, PEER_FAMILIES[i].type, PEER_FAMILIES[i].help);
        for (size_t j = 0; j < pr->n_peers; j++) {
            rsn_mlabel_t l[] = {{"peer", keys[j]}, {"site", pr->peers[j]->site}};
            rsn_mtext_sample_u64(t, PEER_FAMILIES[i].name, l, 2,
                                 peer_value(i, pr->peers[j], now_ms));
        }
    }
    rsn_mtext_family(t, "raison_peer_witness", "gauge",
                     "The witness state of the peer's checkpoints, one state at 1: none (no "
                     "checkpoint yet), consistent, unanswered (owes a consistency proof), "
                     "inconsistent (evidence of two histories kept).");
    for (size_t j = 0; j < pr->n_peers; j++) {
        int state = witness_state(pr->peers[j]);
        for (int s = 0; s < 4; s++) {
            rsn_mlabel_t l[] = {
                {"peer", keys[j]}, {"site", pr->peers[j]->site}, {"state", WITNESS_STATES[s]}};
            rsn_mtext_sample_u64(t, "raison_peer_witness", l, 3, s == state ? 1 : 0);
        }
    }
    rsn_witness_counts_t w;
    rsn_gossip_witness_counts(src->gossip, &w);
    const char *results = "raison_witness_results_total";
    rsn_mtext_family(t, results, "counter",
                     "What witnessing the peers' checkpoints found: consistency proofs "
                     "verified (consistent), evidence of two histories (inconsistent), proofs "
                     "owed past the deadline (unanswered).");
    const char *names[3] = {"consistent", "inconsistent", "unanswered"};
    uint64_t values[3] = {w.consistent, w.inconsistent, w.unanswered};
    for (int r = 0; r < 3; r++) {
        rsn_mlabel_t l[] = {{"result", names[r]}};
        rsn_mtext_sample_u64(t, results, l, 1, values[r]);
    }
out:
    rsn_arena_destroy(&arena);
    return rc;
}

int rsn_metrics_render(const rsn_metrics_t *self, const rsn_metrics_sources_t *src, char **text,
                       size_t *len)
{
    *text = NULL;
    *len = 0;
    rsn_mtext_t *t = rsn_mtext_new(RSN_METRICS_PAGE_MAX);
    if (!t) {
        return RSN_ERR_NOMEM;
    }
    render_node(t, self, src);
    render_store(t, src);
    render_ingest(t, self, src);
    render_api(t, self, src);
    render_checkpoint(t, src);
    int rc = render_peers(t, src, rsn_clock_wall_ms());
    const char *page = NULL;
    if (rc == 0) {
        rc = rsn_mtext_result(t, &page, len);
    }
    if (rc == 0) {
        *text = malloc(*len + 1);
        if (*text) {
            memcpy(*text, page, *len + 1);
        } else {
            rc = RSN_ERR_NOMEM;
        }
    }
    rsn_mtext_destroy(&t);
    return rc;
}
