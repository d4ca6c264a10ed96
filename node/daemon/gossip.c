/* d_gossip.c — eager push, anti-entropy and per-peer accounting.
 *
 * The exchange when two nodes differ (each side runs it for itself, pulling
 * what it lacks):
 *
 *   A: Digest ------------------------------------------------>  B
 *   B sees a different root:   BucketsRequest  ---------------->  A
 *   A: Buckets (256 x 32 bytes) <-------------------------------
 *   B: HeadsRequest{differing buckets} ------------------------>  A
 *   A: Heads (effective heads of those feeds) <-----------------
 *   B: Want{ranges it lacks} (two in flight) ------------------>  A
 *   A: EntryBatch (at most RSN_GOSSIP_BATCH entries) <----------
 *   B stages them, then asks the next Want until it has all.
 *
 * When they agree, a round is one Digest each way. */
#include "daemon/gossip.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "common/log.h"
#include "crypto/crypto.h"
#include "crypto/merkle.h"
#include "crypto/note.h"
#include "store/keys.h"
#include "daemon/audit.h"
#include "daemon/views.h"

#define WANT_QUEUE_MAX 4096        /* ranges a peer may still owe us */
#define WANT_RANGES_PER_FRAME 256
#define WANT_TIMEOUT_MS 5000       /* an unanswered Want is dropped after */
#define WANTS_IN_FLIGHT 2          /* the peer reads the next while we store one */
#define FRAME_BYTES_SOFT (512 * 1024)
#define WAITING_PER_PEER (RSN_GOSSIP_BUFFER / 8) /* one peer's share of the buffer */
#define WAITING_BYTES_MAX (16 * 1024 * 1024)     /* bytes the buffer may hold */
#define WAITING_MS 60000                         /* a waiting entry expires after */
#define HEADS_PER_FRAME 8000
#define REQUESTS_PER_SECOND 50     /* digests' follow-ups a peer may ask of us */
#define WANTS_PER_SECOND 1000      /* Wants (honest peers keep two in flight) */
#define RECEIVE_BUDGET 64          /* frames handled per call */

typedef struct {
    uint8_t author[32];
    uint64_t from;
    uint64_t to;
    bool probe; /* asks for an entry at a height we hold: the other branch of a fork */
    uint32_t inflight; /* the Want it was asked in, awaiting its answer; 0 when none */
} range_t;

typedef struct {
    bool used;
    uint8_t key[32];
    char site[64];
    bool linked;
    uint64_t entries_sent;
    uint64_t entries_received;
    uint64_t dropped;
    uint64_t missing;
    char last_error[128];
    int64_t last_digest_ms;
    int64_t last_sync_ms;
    int n_outstanding;                     /* Wants sent and not yet answered */
    uint32_t outstanding[WANTS_IN_FLIGHT]; /* their ids, oldest first */
    uint32_t next_want;
    int64_t want_sent_ms;                  /* when the oldest was sent */
    range_t *queue;
    size_t n_queue;
    int strikes;
    int64_t window_start_ms;
    int requests_in_window;
    int wants_in_window;
    int64_t last_busy_ms;
    int heads_asked; /* HeadsRequests sent and not yet answered */
    /* witnessing */
    bool witness_loaded;
    char *held_note;     /* its latest checkpoint verified consistent */
    uint64_t held_size;
    uint8_t held_root[32];
    char *pending_note;  /* a checkpoint awaiting its consistency proof */
    uint64_t pending_size;
    uint8_t pending_root[32];
    char inconsistency[160];
} peer_t;

typedef struct {
    uint8_t id[32];
    int peer; /* index in peers, -1 local */
} origin_t;

typedef struct {
    uint8_t author[32];
    uint64_t seq;
    int peer;
    uint8_t *entry;
    size_t entry_len;
    uint8_t signature[64];
    uint8_t *body;
    size_t body_len;
    bool has_body;
    int64_t since_ms;
} waiting_t;

struct rsn_gossip {
    rsn_store_t *store;
    rsn_ingest_t *ingest;
    rsn_fed_t *fed;
    uint8_t node_key[32];
    char site[64];
    peer_t peers[RSN_FED_MAX_PEERS];
    origin_t origins[RSN_INGEST_BATCH_MAX * 2];
    size_t n_origins;
    waiting_t *waiting;
    size_t n_waiting;
    size_t waiting_bytes;
    bool retry_waiting;
    int64_t last_round_ms;
    rsn_audit_t *audit;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *hex8(char out[17], const uint8_t key[32])
{
    rsn_hex_encode(out, 17, key, 8);
    return out;
}

int rsn_gossip_new(rsn_gossip_t **out, rsn_store_t *store, rsn_ingest_t *ingest, rsn_fed_t *fed,
                   const uint8_t node_key[32], const char *site)
{
    *out = NULL;
    rsn_gossip_t *self = calloc(1, sizeof *self);
    if (!self) {
        return RSN_ERR_NOMEM;
    }
    self->waiting = calloc(RSN_GOSSIP_BUFFER, sizeof(waiting_t));
    if (!self->waiting) {
        free(self);
        return RSN_ERR_NOMEM;
    }
    self->store = store;
    self->ingest = ingest;
    self->fed = fed;
    memcpy(self->node_key, node_key, 32);
    snprintf(self->site, sizeof self->site, "%s", site ? site : "");
    *out = self;
    return 0;
}

/* Frees W's copies; the callers keep the byte count. */
static void waiting_free(waiting_t *w)
{
    free(w->entry);
    free(w->body);
    memset(w, 0, sizeof *w);
}

void rsn_gossip_destroy(rsn_gossip_t **self_p)
{
    if (!self_p || !*self_p) {
        return;
    }
    rsn_gossip_t *self = *self_p;
    for (size_t i = 0; i < self->n_waiting; i++) {
        waiting_free(&self->waiting[i]);
    }
    free(self->waiting);
    for (int i = 0; i < RSN_FED_MAX_PEERS; i++) {
        free(self->peers[i].queue);
        free(self->peers[i].held_note);
        free(self->peers[i].pending_note);
    }
    free(self);
    *self_p = NULL;
}

static int peer_index(rsn_gossip_t *self, const uint8_t key[32], bool create)
{
    int free_slot = -1;
    for (int i = 0; i < RSN_FED_MAX_PEERS; i++) {
        if (self->peers[i].used && memcmp(self->peers[i].key, key, 32) == 0) {
            return i;
        }
        if (!self->peers[i].used && free_slot < 0) {
            free_slot = i;
        }
    }
    if (!create || free_slot < 0) {
        return -1;
    }
    peer_t *p = &self->peers[free_slot];
    memset(p, 0, sizeof *p);
    p->used = true;
    memcpy(p->key, key, 32);
    return free_slot;
}

/* Forgets the Wants in flight to P (timed out, link down, banned): their
 * ranges will be asked again. */
static void forget_wants(peer_t *p)
{
    p->n_outstanding = 0;
    for (size_t i = 0; i < p->n_queue; i++) {
        p->queue[i].inflight = 0;
    }
}

/* Drops the waiting entries that peer PI sent (it was banned). */
static void drop_waiting_of(rsn_gossip_t *self, int pi)
{
    size_t j = 0;
    for (size_t i = 0; i < self->n_waiting; i++) {
        waiting_t *w = &self->waiting[i];
        if (w->peer == pi) {
            self->waiting_bytes -= w->entry_len + w->body_len;
            waiting_free(w);
        } else {
            self->waiting[j++] = *w;
        }
    }
    for (size_t i = j; i < self->n_waiting; i++) {
        memset(&self->waiting[i], 0, sizeof self->waiting[i]);
    }
    self->n_waiting = j;
}

/* Counts one invalid frame or entry from P; bans it past the threshold. */
static void strike(rsn_gossip_t *self, peer_t *p, const char *what)
{
    p->dropped++;
    snprintf(p->last_error, sizeof p->last_error, "%s", what);
    if (++p->strikes >= RSN_GOSSIP_BAN_AFTER) {
        char h[17];
        rsn_warn("gossip: peer %s keeps sending invalid data (%s): banned for %d s", hex8(h, p->key),
                 what, RSN_GOSSIP_BAN_MS / 1000);
        rsn_fed_ban(self->fed, p->key, RSN_GOSSIP_BAN_MS, what);
        drop_waiting_of(self, (int)(p - self->peers));
        p->strikes = 0;
        p->linked = false;
        forget_wants(p);
        p->n_queue = 0;
    }
}

/* True when P may make one more request of us now (flood control): WANT
 * says which budget it counts against. A request over budget is dropped
 * unanswered and counted. */
static bool allow_request_of(rsn_gossip_t *self, peer_t *p, bool want)
{
    int64_t now = mono_ms();
    if (now - p->window_start_ms >= 1000) {
        p->window_start_ms = now;
        p->requests_in_window = 0;
        p->wants_in_window = 0;
    }
    if (want ? ++p->wants_in_window > WANTS_PER_SECOND
             : ++p->requests_in_window > REQUESTS_PER_SECOND) {
        strike(self, p, "too many requests");
        return false;
    }
    return true;
}

static bool allow_request(rsn_gossip_t *self, peer_t *p)
{
    return allow_request_of(self, p, false);
}

static void send_frame(rsn_gossip_t *self, peer_t *p, rsn_arena_t *arena, Raison__FedFrame *f)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (rsn_pack(arena, &f->base, &bytes, &len) < 0) {
        return;
    }
    int rc = rsn_fed_send(self->fed, p->key, bytes, len);
    if (rc == RSN_ERR_BUSY) {
        /* its queue is full: it does not read what it asked for (one strike a
         * second at most, so a briefly slow peer is not banned) */
        int64_t now = mono_ms();
        if (now - p->last_busy_ms >= 1000) {
            p->last_busy_ms = now;
            strike(self, p, "does not read: its queue is full");
        }
    } else if (rc < 0 && rc != RSN_ERR_UNAVAILABLE) {
        snprintf(p->last_error, sizeof p->last_error, "send: %s", rsn_strerror(rc));
    }
}

static void send_digest(rsn_gossip_t *self, peer_t *p)
{
    rsn_arena_t *arena = rsn_arena_new();
    if (!arena) {
        return;
    }
    rsn_counts_t c;
    rsn_ingest_counts(self->ingest, &c);
    Raison__Digest *d = rsn_arena_alloc(arena, sizeof *d);
    uint8_t *root = rsn_arena_alloc(arena, 32);
    if (d && root) {
        raison__digest__init(d);
        rsn_ingest_root(self->ingest, root);
        d->authors = c.authors;
        d->forks = c.forks;
        d->root.data = root;
        d->root.len = 32;
        uint8_t *fork_root = rsn_arena_alloc(arena, 32);
        static const uint8_t none[32];
        if (fork_root) {
            rsn_ingest_fork_root(self->ingest, fork_root);
            if (memcmp(fork_root, none, 32) != 0) { /* absent: no evidence held */
                d->fork_root.data = fork_root;
                d->fork_root.len = 32;
            }
        }
        Raison__FedFrame f = RAISON__FED_FRAME__INIT;
        f.msg_case = RAISON__FED_FRAME__MSG_DIGEST;
        f.digest = d;
        send_frame(self, p, arena, &f);
    }
    p->last_digest_ms = mono_ms();
    rsn_arena_destroy(&arena);
}

static void send_hello(rsn_gossip_t *self, peer_t *p)
{
    rsn_arena_t *arena = rsn_arena_new();
    if (!arena) {
        return;
    }
    Raison__Hello h = RAISON__HELLO__INIT;
    h.node_key.data = self->node_key;
    h.node_key.len = 32;
    h.site = self->site;
    h.version = (char *)RSN_VERSION;
    Raison__FedFrame f = RAISON__FED_FRAME__INIT;
    f.msg_case = RAISON__FED_FRAME__MSG_HELLO;
    f.hello = &h;
    send_frame(self, p, arena, &f);
    rsn_arena_destroy(&arena);
}

/* Loads entry ID with its body (when held) into SE, from ARENA. */
static int load_signed(rsn_gossip_t *self, rsn_arena_t *arena, const uint8_t id[32],
                       Raison__SignedEntry **se_out, size_t *size)
{
    int rc = rsn_signed_load(self->store, arena, id, se_out);
    if (rc == 0) {
        const Raison__SignedEntry *se = *se_out;
        *size = se->entry.len + se->signature.len + se->body.len + 16;
    }
    return rc;
}

/* --- eager push -------------------------------------------------------- */

static int origin_of(const rsn_gossip_t *self, const uint8_t id[32])
{
    for (size_t i = 0; i < self->n_origins; i++) {
        if (memcmp(self->origins[i].id, id, 32) == 0) {
            return self->origins[i].peer;
        }
    }
    return -1;
}

static void push_entries(rsn_gossip_t *self, const uint8_t (*ids)[32], size_t n)
{
    bool any = false;
    for (int p = 0; p < RSN_FED_MAX_PEERS && !any; p++) {
        any = self->peers[p].used && self->peers[p].linked;
    }
    if (n == 0 || !any) {
        return;
    }
    rsn_arena_t *arena = rsn_arena_new();
    if (!arena) {
        return;
    }
    Raison__SignedEntry **all = rsn_arena_alloc(arena, n * sizeof *all);
    size_t *sizes = rsn_arena_alloc(arena, n * sizeof *sizes);
    int *origins = rsn_arena_alloc(arena, n * sizeof *origins);
    Raison__SignedEntry **sel = rsn_arena_alloc(arena, n * sizeof *sel);
    if (!all || !sizes || !origins || !sel) {
        rsn_arena_destroy(&arena);
        return;
    }
    /* the origins were recorded in staging order, which is commit order */
    size_t cursor = 0;
    for (size_t i = 0; i < n; i++) {
        origins[i] = -1;
        if (cursor < self->n_origins && memcmp(self->origins[cursor].id, ids[i], 32) == 0) {
            origins[i] = self->origins[cursor++].peer;
        } else if (cursor < self->n_origins) {
            origins[i] = origin_of(self, ids[i]);
        }
        all[i] = NULL;
        bool wanted = false;
        for (int p = 0; p < RSN_FED_MAX_PEERS && !wanted; p++) {
            wanted = self->peers[p].used && self->peers[p].linked && origins[i] != p;
        }
        if (wanted && load_signed(self, arena, ids[i], &all[i], &sizes[i]) < 0) {
            all[i] = NULL;
        }
    }
    for (int p = 0; p < RSN_FED_MAX_PEERS; p++) {
        peer_t *peer = &self->peers[p];
        if (!peer->used || !peer->linked) {
            continue;
        }
        size_t i = 0;
        while (i < n) {
            size_t count = 0, bytes = 0;
            for (; i < n && count < RSN_GOSSIP_BATCH && bytes < FRAME_BYTES_SOFT; i++) {
                if (all[i] && origins[i] != p) {
                    sel[count++] = all[i];
                    bytes += sizes[i];
                }
            }
            if (count == 0) {
                continue;
            }
            Raison__EntryBatch b = RAISON__ENTRY_BATCH__INIT;
            b.entries = sel;
            b.n_entries = count;
            b.push = true;
            Raison__FedFrame f = RAISON__FED_FRAME__INIT;
            f.msg_case = RAISON__FED_FRAME__MSG_ENTRIES;
            f.entries = &b;
            send_frame(self, peer, arena, &f);
            peer->entries_sent += count;
        }
    }
    rsn_arena_destroy(&arena);
}

static void push_forks(rsn_gossip_t *self)
{
    size_t n = 0;
    const rsn_fork_ref_t *forks = rsn_ingest_committed_forks(self->ingest, &n);
    if (n == 0) {
        return;
    }
    rsn_arena_t *arena = rsn_arena_new();
    if (!arena) {
        return;
    }
    Raison__ForkEvidence **list = rsn_arena_alloc(arena, n * sizeof *list);
    size_t count = 0;
    for (size_t i = 0; list && i < n; i++) {
        uint8_t k[RSN_KEY_MAX];
        size_t kl = rsn_key_1n(k, RSN_TAG_FORK, forks[i].author, forks[i].seq);
        void *v = NULL;
        size_t vl = 0;
        if (rsn_store_get(self->store, k, kl, &v, &vl) == 0) {
            ProtobufCAllocator a = rsn_arena_allocator(arena);
            list[count] = raison__fork_evidence__unpack(&a, vl, v);
            rsn_store_free(v);
            if (list[count]) {
                count++;
            }
        }
    }
    if (count > 0) {
        Raison__Evidence ev = RAISON__EVIDENCE__INIT;
        ev.forks = list;
        ev.n_forks = count;
        Raison__FedFrame f = RAISON__FED_FRAME__INIT;
        f.msg_case = RAISON__FED_FRAME__MSG_EVIDENCE;
        f.evidence = &ev;
        for (int p = 0; p < RSN_FED_MAX_PEERS; p++) {
            if (self->peers[p].used && self->peers[p].linked) {
                send_frame(self, &self->peers[p], arena, &f);
            }
        }
    }
    rsn_arena_destroy(&arena);
}

/* --- pulling what we lack ------------------------------------------------ */

/* Builds and sends one Want of the queued ranges not in flight, from the
 * front of the queue, about RSN_GOSSIP_BATCH entries' worth. Ranges already
 * satisfied (by pushes, or other peers) are dropped on the way; the rest of
 * the queue waits unexamined. Returns the ranges asked. */
static size_t send_one_want(rsn_gossip_t *self, peer_t *p)
{
    rsn_arena_t *arena = rsn_arena_new();
    if (!arena) {
        return 0;
    }
    Raison__WantRange **ranges = rsn_arena_alloc(arena, WANT_RANGES_PER_FRAME * sizeof *ranges);
    size_t count = 0;
    uint64_t budget = 0;
    uint32_t id = ++p->next_want ? p->next_want : ++p->next_want;
    size_t i = 0, j = 0;
    for (; ranges && i < p->n_queue && count < WANT_RANGES_PER_FRAME && budget < RSN_GOSSIP_BATCH;
         i++) {
        range_t *r = &p->queue[i];
        if (r->inflight) {
            p->queue[j++] = *r;
            continue;
        }
        uint64_t seq = 0;
        uint8_t head_id[32];
        bool frozen = false;
        if (rsn_ingest_effective_head(self->ingest, r->author, &seq, head_id, &frozen) < 0) {
            seq = 0;
        }
        bool fork_probe = r->probe && !frozen;
        if (r->probe && frozen) {
            continue; /* the fork is known now */
        }
        uint64_t fork_at = frozen ? rsn_ingest_frozen_at(self->ingest, r->author) : 0;
        if (fork_at && r->to >= fork_at) {
            /* nothing from the fork on is accepted: want only what precedes it */
            if (fork_at <= 1 || r->from > fork_at - 1) {
                continue;
            }
            r->to = fork_at - 1;
        }
        if (!fork_probe && seq >= r->to) {
            continue; /* satisfied */
        }
        if (!fork_probe && r->from <= seq) {
            r->from = seq + 1;
        }
        Raison__WantRange *w = rsn_arena_alloc(arena, sizeof *w);
        if (!w) {
            p->queue[j++] = *r;
            break;
        }
        raison__want_range__init(w);
        w->author.data = rsn_arena_memdup(arena, r->author, 32);
        w->author.len = 32;
        w->from_seq = r->from;
        w->to_seq = r->to;
        ranges[count++] = w;
        budget += r->to - r->from + 1;
        if (!r->probe) {
            r->inflight = id;
            p->queue[j++] = *r; /* kept until satisfied; a probe is asked once */
        }
    }
    memmove(&p->queue[j], &p->queue[i], (p->n_queue - i) * sizeof *p->queue);
    p->n_queue = j + (p->n_queue - i);
    if (count > 0) {
        Raison__Want want = RAISON__WANT__INIT;
        want.ranges = ranges;
        want.n_ranges = count;
        Raison__FedFrame f = RAISON__FED_FRAME__INIT;
        f.msg_case = RAISON__FED_FRAME__MSG_WANT;
        f.want = &want;
        send_frame(self, p, arena, &f);
        if (p->n_outstanding == 0) {
            p->want_sent_ms = mono_ms();
        }
        p->outstanding[p->n_outstanding++] = id;
    }
    rsn_arena_destroy(&arena);
    return count;
}

/* Keeps up to WANTS_IN_FLIGHT Wants outstanding to P (flow control: the
 * peer answers each with one bounded batch). */
static void send_want(rsn_gossip_t *self, peer_t *p)
{
    while (p->linked && p->n_queue > 0 && p->n_outstanding < WANTS_IN_FLIGHT) {
        if (send_one_want(self, p) == 0) {
            break;
        }
    }
}

/* An answer to the oldest Want arrived: its ranges are no longer in flight
 * (EMPTY: the peer had none of them: drop them). */
static void want_answered(peer_t *p, bool empty)
{
    if (p->n_outstanding == 0) {
        return; /* not asked, or forgotten after a time-out */
    }
    uint32_t id = p->outstanding[0];
    memmove(&p->outstanding[0], &p->outstanding[1],
            (size_t)(p->n_outstanding - 1) * sizeof p->outstanding[0]);
    p->n_outstanding--;
    p->want_sent_ms = mono_ms();
    size_t j = 0;
    for (size_t i = 0; i < p->n_queue; i++) {
        if (p->queue[i].inflight == id) {
            if (empty) {
                continue;
            }
            p->queue[i].inflight = 0;
        }
        p->queue[j++] = p->queue[i];
    }
    p->n_queue = j;
}

static void queue_range(peer_t *p, const uint8_t author[32], uint64_t from, uint64_t to,
                        bool probe)
{
    for (size_t i = 0; i < p->n_queue; i++) {
        if (memcmp(p->queue[i].author, author, 32) == 0 && p->queue[i].probe == probe) {
            if (from < p->queue[i].from) {
                p->queue[i].from = from;
            }
            if (to > p->queue[i].to) {
                p->queue[i].to = to;
            }
            return;
        }
    }
    if (!p->queue) {
        p->queue = calloc(WANT_QUEUE_MAX, sizeof(range_t));
        if (!p->queue) {
            return;
        }
    }
    if (p->n_queue >= WANT_QUEUE_MAX) {
        return; /* the next round asks again */
    }
    range_t *r = &p->queue[p->n_queue++];
    memcpy(r->author, author, 32);
    r->from = from;
    r->to = to;
    r->probe = probe;
    r->inflight = 0;
}

/* --- handlers ------------------------------------------------------------- */

static void on_digest(rsn_gossip_t *self, peer_t *p, const Raison__Digest *d)
{
    if (d->root.len != 32) {
        strike(self, p, "malformed digest");
        return;
    }
    rsn_counts_t c;
    rsn_ingest_counts(self->ingest, &c);
    uint8_t root[32];
    rsn_ingest_root(self->ingest, root);
    rsn_arena_t *arena = rsn_arena_new();
    if (!arena) {
        return;
    }
    uint8_t fork_root[32];
    rsn_ingest_fork_root(self->ingest, fork_root);
    if (d->fork_root.len == 32 && memcmp(fork_root, d->fork_root.data, 32) != 0) {
        /* it holds evidence we may lack (when we hold some it lacks, it asks us:
         * a node with none sends no fork_root) */
        Raison__EvidenceRequest er = RAISON__EVIDENCE_REQUEST__INIT;
        Raison__FedFrame f = RAISON__FED_FRAME__INIT;
        f.msg_case = RAISON__FED_FRAME__MSG_EVIDENCE_REQUEST;
        f.evidence_request = &er;
        send_frame(self, p, arena, &f);
    }
    if (memcmp(root, d->root.data, 32) == 0) {
        p->missing = 0;
    } else if (p->n_outstanding == 0 && p->n_queue == 0 &&
               mono_ms() - p->last_sync_ms >= RSN_GOSSIP_ROUND_MS / 2) {
        p->last_sync_ms = mono_ms();
        Raison__BucketsRequest br = RAISON__BUCKETS_REQUEST__INIT;
        Raison__FedFrame f = RAISON__FED_FRAME__INIT;
        f.msg_case = RAISON__FED_FRAME__MSG_BUCKETS_REQUEST;
        f.buckets_request = &br;
        send_frame(self, p, arena, &f);
    }
    rsn_arena_destroy(&arena);
}

static void on_buckets_request(rsn_gossip_t *self, peer_t *p)
{
    if (!allow_request(self, p)) {
        return;
    }
    rsn_arena_t *arena = rsn_arena_new();
    if (!arena) {
        return;
    }
    const uint8_t(*buckets)[32] = rsn_ingest_buckets(self->ingest);
    ProtobufCBinaryData *list = rsn_arena_alloc(arena, RSN_BUCKETS * sizeof *list);
    if (list) {
        for (int i = 0; i < RSN_BUCKETS; i++) {
            list[i].data = (uint8_t *)buckets[i];
            list[i].len = 32;
        }
        Raison__Buckets b = RAISON__BUCKETS__INIT;
        b.digests = list;
        b.n_digests = RSN_BUCKETS;
        Raison__FedFrame f = RAISON__FED_FRAME__INIT;
        f.msg_case = RAISON__FED_FRAME__MSG_BUCKETS;
        f.buckets = &b;
        send_frame(self, p, arena, &f);
    }
    rsn_arena_destroy(&arena);
}

static void on_buckets(rsn_gossip_t *self, peer_t *p, const Raison__Buckets *b)
{
    if (b->n_digests != RSN_BUCKETS) {
        strike(self, p, "malformed buckets");
        return;
    }
    const uint8_t(*ours)[32] = rsn_ingest_buckets(self->ingest);
    rsn_arena_t *arena = rsn_arena_new();
    if (!arena) {
        return;
    }
    uint32_t *diff = rsn_arena_alloc(arena, RSN_BUCKETS * sizeof *diff);
    size_t n = 0;
    for (uint32_t i = 0; diff && i < RSN_BUCKETS; i++) {
        if (b->digests[i].len != 32 || memcmp(b->digests[i].data, ours[i], 32) != 0) {
            diff[n++] = i;
        }
    }
    if (n > 0) {
        Raison__HeadsRequest hr = RAISON__HEADS_REQUEST__INIT;
        hr.buckets = diff;
        hr.n_buckets = n;
        Raison__FedFrame f = RAISON__FED_FRAME__INIT;
        f.msg_case = RAISON__FED_FRAME__MSG_HEADS_REQUEST;
        f.heads_request = &hr;
        send_frame(self, p, arena, &f);
        if (p->heads_asked < 4) {
            p->heads_asked++;
        }
    }
    rsn_arena_destroy(&arena);
}

/* Calls FN for each feed of BUCKET that this node holds, in author order. */
typedef void (*head_fn)(void *ctx, const uint8_t author[32], uint64_t seq, const uint8_t id[32]);

static void each_head(rsn_gossip_t *self, uint32_t bucket, head_fn fn, void *ctx)
{
    uint8_t prefix[2] = {RSN_TAG_HEAD, (uint8_t)bucket};
    rsn_iter_t *it = rsn_iter_new(self->store, prefix, 2);
    if (!it) {
        return;
    }
    for (rsn_iter_first(it); rsn_iter_valid(it); rsn_iter_next(it)) {
        size_t kl = 0;
        const uint8_t *key = rsn_iter_key(it, &kl);
        if (kl != 33) {
            continue;
        }
        uint64_t seq = 0;
        uint8_t id[32];
        bool frozen = false;
        if (rsn_ingest_effective_head(self->ingest, key + 1, &seq, id, &frozen) == 0) {
            fn(ctx, key + 1, seq, id);
        }
    }
    rsn_iter_destroy(&it);
}

typedef struct {
    rsn_arena_t *arena;
    Raison__Head **heads;
    size_t n;
    size_t cap;
    bool more;
} heads_ctx_t;

static void add_head(void *vctx, const uint8_t author[32], uint64_t seq, const uint8_t id[32])
{
    heads_ctx_t *ctx = vctx;
    if (ctx->n >= ctx->cap) {
        ctx->more = true;
        return;
    }
    Raison__Head *h = rsn_arena_alloc(ctx->arena, sizeof *h);
    uint8_t *copy = rsn_arena_alloc(ctx->arena, 64);
    if (!h || !copy) {
        ctx->more = true;
        return;
    }
    raison__head__init(h);
    memcpy(copy, author, 32);
    memcpy(copy + 32, id, 32);
    h->author.data = copy;
    h->author.len = 32;
    h->seq = seq;
    h->id.data = copy + 32;
    h->id.len = seq ? 32 : 0;
    ctx->heads[ctx->n++] = h;
}

static void on_heads_request(rsn_gossip_t *self, peer_t *p, const Raison__HeadsRequest *hr)
{
    if (hr->n_buckets > RSN_BUCKETS) {
        strike(self, p, "too many buckets requested");
        return;
    }
    if (!allow_request(self, p)) {
        return;
    }
    rsn_arena_t *arena = rsn_arena_new();
    if (!arena) {
        return;
    }
    heads_ctx_t ctx = {arena, NULL, 0, HEADS_PER_FRAME, false};
    ctx.heads = rsn_arena_alloc(arena, HEADS_PER_FRAME * sizeof *ctx.heads);
    for (size_t i = 0; ctx.heads && i < hr->n_buckets && !ctx.more; i++) {
        if (hr->buckets[i] >= RSN_BUCKETS) {
            continue;
        }
        each_head(self, hr->buckets[i], add_head, &ctx);
    }
    Raison__Heads h = RAISON__HEADS__INIT;
    h.heads = ctx.heads;
    h.n_heads = ctx.n;
    h.more = ctx.more;
    Raison__FedFrame f = RAISON__FED_FRAME__INIT;
    f.msg_case = RAISON__FED_FRAME__MSG_HEADS;
    f.heads = &h;
    send_frame(self, p, arena, &f);
    rsn_arena_destroy(&arena);
}

static void on_heads(rsn_gossip_t *self, peer_t *p, const Raison__Heads *h)
{
    if (p->heads_asked == 0) {
        strike(self, p, "heads it was not asked for");
        return;
    }
    p->heads_asked--;
    if (h->n_heads > HEADS_PER_FRAME) {
        strike(self, p, "too many heads");
        return;
    }
    uint64_t missing = 0;
    for (size_t i = 0; i < h->n_heads; i++) {
        const Raison__Head *their = h->heads[i];
        if (their->author.len != 32 || (their->seq > 0 && their->id.len != 32)) {
            strike(self, p, "malformed head");
            return;
        }
        uint64_t seq = 0;
        uint8_t id[32];
        bool frozen = false;
        if (rsn_ingest_effective_head(self->ingest, their->author.data, &seq, id, &frozen) < 0) {
            continue;
        }
        uint64_t fork_at = frozen ? rsn_ingest_frozen_at(self->ingest, their->author.data) : 0;
        uint64_t want_to = fork_at && their->seq >= fork_at ? fork_at - 1 : their->seq;
        if (want_to > seq) {
            queue_range(p, their->author.data, seq + 1, want_to, false);
        } else if (!frozen && their->seq == seq && seq > 0 &&
                   memcmp(their->id.data, id, 32) != 0) {
            /* same height, another entry: fetch it to get the fork evidence */
            queue_range(p, their->author.data, seq, seq, true);
        } else if (their->seq < seq) {
            missing += seq - their->seq;
        }
    }
    p->missing = missing;
    send_want(self, p);
}

static void on_want(rsn_gossip_t *self, peer_t *p, const Raison__Want *w)
{
    if (w->n_ranges > WANT_RANGES_PER_FRAME) {
        strike(self, p, "too many ranges wanted");
        return;
    }
    if (!allow_request_of(self, p, true)) {
        return;
    }
    rsn_arena_t *arena = rsn_arena_new();
    if (!arena) {
        return;
    }
    Raison__SignedEntry **list = rsn_arena_alloc(arena, RSN_GOSSIP_BATCH * sizeof *list);
    size_t count = 0, bytes = 0;
    for (size_t i = 0; list && i < w->n_ranges && count < RSN_GOSSIP_BATCH &&
                       bytes < FRAME_BYTES_SOFT;
         i++) {
        const Raison__WantRange *r = w->ranges[i];
        if (r->author.len != 32 || r->from_seq == 0 || r->to_seq < r->from_seq) {
            strike(self, p, "malformed want");
            break;
        }
        uint8_t from[41], prefix[33];
        rsn_key_1n(from, RSN_TAG_SEQ, r->author.data, r->from_seq);
        rsn_key_1(prefix, RSN_TAG_SEQ, r->author.data);
        rsn_iter_t *it = rsn_iter_new(self->store, prefix, sizeof prefix);
        if (!it) {
            break;
        }
        for (rsn_iter_seek(it, from, sizeof from);
             rsn_iter_valid(it) && count < RSN_GOSSIP_BATCH && bytes < FRAME_BYTES_SOFT;
             rsn_iter_next(it)) {
            size_t kl = 0, vl = 0;
            const uint8_t *key = rsn_iter_key(it, &kl);
            const uint8_t *val = rsn_iter_value(it, &vl);
            if (kl != 41 || vl != 32 || rsn_be64_get(key + 33) > r->to_seq) {
                break;
            }
            size_t size = 0;
            if (load_signed(self, arena, val, &list[count], &size) == 0) {
                bytes += size;
                count++;
            }
        }
        rsn_iter_destroy(&it);
    }
    Raison__EntryBatch b = RAISON__ENTRY_BATCH__INIT;
    b.entries = list;
    b.n_entries = count;
    b.push = false;
    Raison__FedFrame f = RAISON__FED_FRAME__INIT;
    f.msg_case = RAISON__FED_FRAME__MSG_ENTRIES;
    f.entries = &b;
    send_frame(self, p, arena, &f);
    p->entries_sent += count;
    rsn_arena_destroy(&arena);
}

static void remember_origin(rsn_gossip_t *self, const uint8_t id[32], int peer)
{
    if (self->n_origins < sizeof self->origins / sizeof self->origins[0]) {
        memcpy(self->origins[self->n_origins].id, id, 32);
        self->origins[self->n_origins].peer = peer;
        self->n_origins++;
    }
}

static void buffer_entry(rsn_gossip_t *self, int peer, const Raison__SignedEntry *se,
                         const uint8_t author[32], uint64_t seq)
{
    for (size_t i = 0; i < self->n_waiting; i++) {
        if (self->waiting[i].seq == seq && memcmp(self->waiting[i].author, author, 32) == 0) {
            return;
        }
    }
    size_t mine = 0;
    for (size_t i = 0; i < self->n_waiting; i++) {
        mine += self->waiting[i].peer == peer;
    }
    size_t bytes = se->entry.len + se->body.len;
    if (self->n_waiting >= RSN_GOSSIP_BUFFER || mine >= WAITING_PER_PEER ||
        self->waiting_bytes + bytes > WAITING_BYTES_MAX) {
        return; /* anti-entropy will fetch it again in order */
    }
    waiting_t *w = &self->waiting[self->n_waiting];
    w->entry = malloc(se->entry.len);
    w->body = malloc(se->body.len ? se->body.len : 1);
    if (!w->entry || !w->body || se->signature.len != 64) {
        waiting_free(w);
        return;
    }
    memcpy(w->author, author, 32);
    w->seq = seq;
    w->peer = peer;
    memcpy(w->entry, se->entry.data, se->entry.len);
    w->entry_len = se->entry.len;
    memcpy(w->signature, se->signature.data, 64);
    if (se->body.len) {
        memcpy(w->body, se->body.data, se->body.len);
    }
    w->body_len = se->body.len;
    w->has_body = se->body.len > 0;
    w->since_ms = mono_ms();
    self->waiting_bytes += bytes;
    self->n_waiting++;
}

/* Stages one entry from peer P. Returns the ingest result. */
static int stage_from_peer(rsn_gossip_t *self, int pi, const uint8_t *entry, size_t entry_len,
                           const uint8_t *sig, size_t sig_len, const uint8_t *body,
                           size_t body_len, bool has_body, bool may_strike)
{
    peer_t *p = &self->peers[pi];
    rsn_ingest_result_t res;
    char why[256] = "";
    int rc = rsn_ingest_stage(self->ingest,
                              &(rsn_ingest_input_t){.entry = entry,
                                                    .entry_len = entry_len,
                                                    .signature = sig,
                                                    .signature_len = sig_len,
                                                    .body = body,
                                                    .body_len = body_len,
                                                    .has_body = has_body,
                                                    .origin = RSN_INGEST_RELAYED},
                              &res, why, sizeof why);
    if (rc == 0) {
        if (!res.duplicate) {
            p->entries_received++;
            remember_origin(self, res.id, pi);
            self->retry_waiting = true;
        }
    } else if (rc == RSN_ERR_FORK || rc == RSN_ERR_FEED_FROZEN || rc == RSN_ERR_BUSY) {
        /* evidence staged, or a frozen feed: nothing wrong with the peer */
    } else if (rc != RSN_ERR_BAD_SEQ && rc != RSN_ERR_BAD_PREV && may_strike) {
        /* (not from the waiting buffer: a ban there would free what it walks) */
        strike(self, p, why[0] ? why : rsn_strerror(rc));
    }
    return rc;
}

static void on_entries(rsn_gossip_t *self, int pi, const Raison__EntryBatch *b)
{
    peer_t *p = &self->peers[pi];
    if (b->n_entries > RSN_GOSSIP_BATCH) {
        strike(self, p, "entry batch over the limit");
        return;
    }
    rsn_arena_t *arena = rsn_arena_new();
    if (!arena) {
        return;
    }
    rsn_ingest_input_t *in = rsn_arena_alloc(arena, (b->n_entries + 1) * sizeof *in);
    if (in && b->n_entries > 1) {
        for (size_t i = 0; i < b->n_entries; i++) {
            in[i].entry = b->entries[i]->entry.data;
            in[i].entry_len = b->entries[i]->entry.len;
            in[i].signature = b->entries[i]->signature.data;
            in[i].signature_len = b->entries[i]->signature.len;
        }
        rsn_ingest_preverify(self->ingest, in, b->n_entries);
    }
    for (size_t i = 0; i < b->n_entries; i++) {
        const Raison__SignedEntry *se = b->entries[i];
        int rc = stage_from_peer(self, pi, se->entry.data, se->entry.len, se->signature.data,
                                 se->signature.len, se->body.data, se->body.len,
                                 se->body.len > 0, true);
        if (rc == RSN_ERR_BAD_SEQ || rc == RSN_ERR_BAD_PREV) {
            Raison__Entry *e = NULL;
            if (rsn_entry_decode(arena, se->entry.data, se->entry.len, &e, NULL, 0) == 0) {
                uint64_t seq = 0;
                uint8_t id[32];
                bool frozen = false;
                if (rsn_ingest_effective_head(self->ingest, e->author.data, &seq, id, &frozen) ==
                    0) {
                    if (rc == RSN_ERR_BAD_SEQ) {
                        /* ahead of its predecessor: wait for it, and ask */
                        buffer_entry(self, pi, se, e->author.data, e->seq);
                        queue_range(p, e->author.data, seq + 1, e->seq - 1, false);
                    } else {
                        /* another branch below: fetch it to learn the fork */
                        queue_range(p, e->author.data, seq ? seq : 1, e->seq - 1, seq > 0);
                    }
                }
            }
        }
    }
    if (!b->push) {
        want_answered(p, b->n_entries == 0);
    }
    rsn_arena_destroy(&arena);
}

static void on_evidence_request(rsn_gossip_t *self, peer_t *p, const Raison__EvidenceRequest *er)
{
    if (!allow_request(self, p)) {
        return;
    }
    if (er->after.len != 0 && er->after.len != 40) {
        strike(self, p, "malformed evidence request");
        return;
    }
    rsn_arena_t *arena = rsn_arena_new();
    if (!arena) {
        return;
    }
    uint8_t tag = RSN_TAG_FORK;
    rsn_iter_t *it = rsn_iter_new(self->store, &tag, 1);
    Raison__ForkEvidence **list = rsn_arena_alloc(arena, RSN_GOSSIP_BATCH * sizeof *list);
    size_t count = 0;
    Raison__Evidence ev = RAISON__EVIDENCE__INIT;
    if (it && list) {
        if (er->after.len == 40) {
            uint8_t k[41];
            k[0] = RSN_TAG_FORK;
            memcpy(k + 1, er->after.data, 40);
            rsn_iter_seek(it, k, sizeof k);
            size_t kl = 0;
            if (rsn_iter_valid(it) && memcmp(rsn_iter_key(it, &kl), k, 41) == 0) {
                rsn_iter_next(it);
            }
        } else {
            rsn_iter_first(it);
        }
        const uint8_t *last = NULL;
        for (; rsn_iter_valid(it) && count < RSN_GOSSIP_BATCH; rsn_iter_next(it)) {
            size_t vl = 0, kl = 0;
            const uint8_t *v = rsn_iter_value(it, &vl);
            const uint8_t *key = rsn_iter_key(it, &kl);
            ProtobufCAllocator a = rsn_arena_allocator(arena);
            list[count] = raison__fork_evidence__unpack(&a, vl, v);
            if (list[count] && kl == 41) {
                last = rsn_arena_memdup(arena, key + 1, 40);
                count++;
            }
        }
        if (rsn_iter_valid(it) && last) {
            ev.next.data = (uint8_t *)last;
            ev.next.len = 40;
        }
    }
    rsn_iter_destroy(&it);
    ev.forks = list;
    ev.n_forks = count;
    Raison__FedFrame f = RAISON__FED_FRAME__INIT;
    f.msg_case = RAISON__FED_FRAME__MSG_EVIDENCE;
    f.evidence = &ev;
    send_frame(self, p, arena, &f);
    rsn_arena_destroy(&arena);
}

static void on_evidence(rsn_gossip_t *self, peer_t *p, const Raison__Evidence *ev)
{
    if (ev->n_forks > RSN_GOSSIP_BATCH) {
        strike(self, p, "evidence batch over the limit");
        return;
    }
    rsn_arena_t *arena = rsn_arena_new();
    if (!arena) {
        return;
    }
    for (size_t i = 0; i < ev->n_forks; i++) {
        uint8_t *bytes = NULL;
        size_t len = 0;
        if (rsn_pack(arena, &ev->forks[i]->base, &bytes, &len) < 0) {
            break;
        }
        char why[256] = "";
        int rc = rsn_ingest_evidence(self->ingest, bytes, len, why, sizeof why);
        if (rc < 0 && rc != RSN_ERR_BUSY) {
            strike(self, p, why[0] ? why : rsn_strerror(rc));
        }
    }
    if (ev->next.len == 40) {
        Raison__EvidenceRequest er = RAISON__EVIDENCE_REQUEST__INIT;
        er.after = ev->next;
        Raison__FedFrame f = RAISON__FED_FRAME__INIT;
        f.msg_case = RAISON__FED_FRAME__MSG_EVIDENCE_REQUEST;
        f.evidence_request = &er;
        send_frame(self, p, arena, &f);
    }
    rsn_arena_destroy(&arena);
}

/* --- witnessing -------------------------------------------------------------- */

void rsn_gossip_set_audit(rsn_gossip_t *self, rsn_audit_t *audit)
{
    self->audit = audit;
}

static void send_checkpoint(rsn_gossip_t *self, peer_t *p)
{
    const char *note = NULL;
    uint64_t size = 0;
    uint8_t root[32];
    if (!self->audit || rsn_audit_latest(self->audit, &note, &size, root) < 0) {
        return;
    }
    rsn_arena_t *arena = rsn_arena_new();
    if (!arena) {
        return;
    }
    Raison__CheckpointNote c = RAISON__CHECKPOINT_NOTE__INIT;
    c.note = (char *)note;
    Raison__FedFrame f = RAISON__FED_FRAME__INIT;
    f.msg_case = RAISON__FED_FRAME__MSG_CHECKPOINT;
    f.checkpoint = &c;
    send_frame(self, p, arena, &f);
    rsn_arena_destroy(&arena);
}

void rsn_gossip_checkpoint_signed(rsn_gossip_t *self)
{
    for (int i = 0; i < RSN_FED_MAX_PEERS; i++) {
        if (self->peers[i].used && self->peers[i].linked) {
            send_checkpoint(self, &self->peers[i]);
        }
    }
}

/* Verifies a checkpoint note of peer P: 0 with SIZE and ROOT. */
static int peer_checkpoint(const peer_t *p, const char *note, uint64_t *size, uint8_t root[32])
{
    char name[RSN_NOTE_RAISON_NAME_SIZE], origin[RSN_NOTE_RAISON_NAME_SIZE];
    size_t text_len = 0;
    if (rsn_note_raison_name(p->key, name, sizeof name) < 0) {
        return RSN_ERR_INTERNAL;
    }
    int rc = rsn_note_verify(note, strlen(note), name, p->key, &text_len);
    if (rc == 0) {
        rc = rsn_checkpoint_parse(note, text_len, origin, sizeof origin, size, root);
    }
    if (rc == 0 && strcmp(origin, name) != 0) {
        rc = RSN_ERR_BAD_SIGNATURE;
    }
    return rc;
}

static void load_witness(rsn_gossip_t *self, peer_t *p)
{
    if (p->witness_loaded) {
        return;
    }
    p->witness_loaded = true;
    /* evidence kept from before a restart still shows */
    uint8_t prefix[33];
    rsn_key_1(prefix, RSN_TAG_INCONSISTENT, p->key);
    rsn_iter_t *it = rsn_iter_new(self->store, prefix, sizeof prefix);
    if (it) {
        rsn_iter_first(it);
        if (rsn_iter_valid(it) && !p->inconsistency[0]) {
            size_t vl = 0;
            const uint8_t *val = rsn_iter_value(it, &vl);
            Raison__WitnessEvidence *ev = raison__witness_evidence__unpack(NULL, vl, val);
            snprintf(p->inconsistency, sizeof p->inconsistency, "%s",
                     ev && ev->reason ? ev->reason : "evidence of an inconsistency is held");
            raison__witness_evidence__free_unpacked(ev, NULL);
        }
        rsn_iter_destroy(&it);
    }
    uint8_t k[RSN_KEY_MAX];
    size_t kl = rsn_key_1(k, RSN_TAG_WITNESSED, p->key);
    void *v = NULL;
    size_t vl = 0;
    if (rsn_store_get(self->store, k, kl, &v, &vl) != 0) {
        return;
    }
    char *note = malloc(vl + 1);
    if (note) {
        memcpy(note, v, vl);
        note[vl] = '\0';
        if (peer_checkpoint(p, note, &p->held_size, p->held_root) == 0) {
            p->held_note = note;
        } else {
            free(note);
        }
    }
    rsn_store_free(v);
}

static void store_witness(rsn_gossip_t *self, peer_t *p, char *note, uint64_t size,
                          const uint8_t root[32])
{
    free(p->held_note);
    p->held_note = note;
    p->held_size = size;
    memcpy(p->held_root, root, 32);
    rsn_batch_t *b = rsn_batch_new();
    if (!b) {
        return;
    }
    uint8_t k[RSN_KEY_MAX];
    size_t kl = rsn_key_1(k, RSN_TAG_WITNESSED, p->key);
    rsn_batch_put(b, k, kl, note, strlen(note));
    if (rsn_store_write(self->store, b, false) < 0) {
        rsn_error("witness: cannot store a peer's checkpoint");
    }
    rsn_batch_destroy(&b);
}

/* Stores evidence that P showed checkpoints A and B that do not fit. */
static void store_inconsistency(rsn_gossip_t *self, peer_t *p, const char *a, const char *b,
                                uint64_t size, const char *reason)
{
    char h[17];
    snprintf(p->inconsistency, sizeof p->inconsistency, "%s", reason);
    rsn_warn("witness: peer %s: %s (evidence kept)", hex8(h, p->key), reason);
    rsn_arena_t *arena = rsn_arena_new();
    rsn_batch_t *batch = rsn_batch_new();
    if (arena && batch) {
        Raison__WitnessEvidence ev = RAISON__WITNESS_EVIDENCE__INIT;
        ev.peer.data = p->key;
        ev.peer.len = 32;
        ev.a = (char *)(a ? a : "");
        ev.b = (char *)(b ? b : "");
        ev.reason = (char *)reason;
        uint8_t *bytes = NULL;
        size_t len = 0;
        uint8_t k[RSN_KEY_MAX];
        size_t kl = rsn_key_1n(k, RSN_TAG_INCONSISTENT, p->key, size);
        if (rsn_store_has(self->store, k, kl) != 0 &&
            rsn_pack(arena, &ev.base, &bytes, &len) == 0) {
            rsn_batch_put(batch, k, kl, bytes, len);
            if (rsn_store_write(self->store, batch, true) < 0) {
                rsn_error("witness: cannot store evidence");
            }
        }
    }
    rsn_batch_destroy(&batch);
    rsn_arena_destroy(&arena);
}

static void request_consistency(rsn_gossip_t *self, peer_t *p, uint64_t old_size,
                                uint64_t new_size)
{
    rsn_arena_t *arena = rsn_arena_new();
    if (!arena) {
        return;
    }
    Raison__ConsistencyRequest cr = RAISON__CONSISTENCY_REQUEST__INIT;
    cr.old_size = old_size;
    cr.new_size = new_size;
    Raison__FedFrame f = RAISON__FED_FRAME__INIT;
    f.msg_case = RAISON__FED_FRAME__MSG_CONSISTENCY_REQUEST;
    f.consistency_request = &cr;
    send_frame(self, p, arena, &f);
    rsn_arena_destroy(&arena);
}

static void on_checkpoint(rsn_gossip_t *self, peer_t *p, const Raison__CheckpointNote *c)
{
    if (!c->note || strlen(c->note) > RSN_NOTE_MAX) {
        strike(self, p, "malformed checkpoint");
        return;
    }
    load_witness(self, p);
    uint64_t size = 0;
    uint8_t root[32];
    if (peer_checkpoint(p, c->note, &size, root) < 0) {
        strike(self, p, "badly signed checkpoint");
        store_inconsistency(self, p, p->held_note, c->note, 0,
                            "sent a checkpoint that does not verify under its node key");
        return;
    }
    char *note = strdup(c->note);
    if (!note) {
        return;
    }
    if (!p->held_note || p->held_size == 0) {
        store_witness(self, p, note, size, root);
        return;
    }
    if (size == p->held_size) {
        if (memcmp(root, p->held_root, 32) != 0) {
            store_inconsistency(self, p, p->held_note, note, size,
                                "signed two different roots for one tree size");
        }
        free(note);
        return;
    }
    if (size == 0) {
        store_inconsistency(self, p, p->held_note, note, size,
                            "signed an empty log after a non-empty one");
        free(note);
        return;
    }
    free(p->pending_note);
    p->pending_note = note;
    p->pending_size = size;
    memcpy(p->pending_root, root, 32);
    uint64_t lo = size < p->held_size ? size : p->held_size;
    uint64_t hi = size < p->held_size ? p->held_size : size;
    request_consistency(self, p, lo, hi);
}

static void on_consistency_request(rsn_gossip_t *self, peer_t *p,
                                   const Raison__ConsistencyRequest *cr)
{
    if (!allow_request(self, p) || !self->audit) {
        return;
    }
    const char *note = NULL;
    uint64_t latest = 0;
    uint8_t root[32];
    if (rsn_audit_latest(self->audit, &note, &latest, root) < 0 || cr->new_size > latest) {
        return;
    }
    rsn_arena_t *arena = rsn_arena_new();
    if (!arena) {
        return;
    }
    Raison__ProveReply *pr = NULL;
    char why[128];
    if (rsn_audit_prove(self->store, arena, latest, cr->old_size, cr->new_size, &pr, why,
                        sizeof why) == 0) {
        Raison__ConsistencyProof cp = RAISON__CONSISTENCY_PROOF__INIT;
        cp.old_size = pr->old_size;
        cp.new_size = pr->new_size;
        cp.proof = pr->proof;
        cp.n_proof = pr->n_proof;
        Raison__FedFrame f = RAISON__FED_FRAME__INIT;
        f.msg_case = RAISON__FED_FRAME__MSG_CONSISTENCY_PROOF;
        f.consistency_proof = &cp;
        send_frame(self, p, arena, &f);
    }
    rsn_arena_destroy(&arena);
}

static void on_consistency_proof(rsn_gossip_t *self, peer_t *p, const Raison__ConsistencyProof *cp)
{
    if (!p->pending_note || !p->held_note) {
        return; /* not asked for, or already settled */
    }
    bool newer = p->pending_size > p->held_size;
    uint64_t lo = newer ? p->held_size : p->pending_size;
    uint64_t hi = newer ? p->pending_size : p->held_size;
    const uint8_t *lo_root = newer ? p->held_root : p->pending_root;
    const uint8_t *hi_root = newer ? p->pending_root : p->held_root;
    if (cp->old_size != lo || cp->new_size != hi) {
        return; /* an answer to another question */
    }
    if (cp->n_proof > RSN_MERKLE_MAX_DEPTH) {
        strike(self, p, "consistency proof too long");
        return;
    }
    uint8_t proof[RSN_MERKLE_MAX_DEPTH][32];
    bool shaped = true;
    for (size_t i = 0; i < cp->n_proof; i++) {
        shaped = shaped && cp->proof[i].len == 32;
        if (shaped) {
            memcpy(proof[i], cp->proof[i].data, 32);
        }
    }
    int rc = shaped ? rsn_merkle_verify_consistency(lo, hi, lo_root, 32, hi_root, 32,
                                                    (const uint8_t(*)[32])proof, cp->n_proof)
                    : RSN_ERR_INVALID_ARG;
    char *pending = p->pending_note;
    p->pending_note = NULL;
    if (rc < 0) {
        store_inconsistency(self, p, p->held_note, pending, p->pending_size,
                            "showed two checkpoints that no consistency proof joins");
        free(pending);
        return;
    }
    if (newer) {
        store_witness(self, p, pending, p->pending_size, p->pending_root);
    } else {
        free(pending);
    }
}

static void handle_frame(rsn_gossip_t *self, int pi, const uint8_t *bytes, size_t len)
{
    peer_t *p = &self->peers[pi];
    rsn_arena_t *arena = rsn_arena_new();
    if (!arena) {
        return;
    }
    ProtobufCAllocator a = rsn_arena_allocator(arena);
    Raison__FedFrame *f = raison__fed_frame__unpack(&a, len, bytes);
    if (!f) {
        strike(self, p, "frame is not a protobuf FedFrame");
        rsn_arena_destroy(&arena);
        return;
    }
    if (!p->linked) {
        p->linked = true;
    }
    switch (f->msg_case) {
    case RAISON__FED_FRAME__MSG_HELLO:
        if (f->hello->site) {
            snprintf(p->site, sizeof p->site, "%s", f->hello->site);
        }
        break;
    case RAISON__FED_FRAME__MSG_DIGEST: on_digest(self, p, f->digest); break;
    case RAISON__FED_FRAME__MSG_BUCKETS_REQUEST: on_buckets_request(self, p); break;
    case RAISON__FED_FRAME__MSG_BUCKETS: on_buckets(self, p, f->buckets); break;
    case RAISON__FED_FRAME__MSG_HEADS_REQUEST: on_heads_request(self, p, f->heads_request); break;
    case RAISON__FED_FRAME__MSG_HEADS: on_heads(self, p, f->heads); break;
    case RAISON__FED_FRAME__MSG_WANT: on_want(self, p, f->want); break;
    case RAISON__FED_FRAME__MSG_ENTRIES: on_entries(self, pi, f->entries); break;
    case RAISON__FED_FRAME__MSG_EVIDENCE_REQUEST:
        on_evidence_request(self, p, f->evidence_request);
        break;
    case RAISON__FED_FRAME__MSG_EVIDENCE: on_evidence(self, p, f->evidence); break;
    case RAISON__FED_FRAME__MSG_CHECKPOINT: on_checkpoint(self, p, f->checkpoint); break;
    case RAISON__FED_FRAME__MSG_CONSISTENCY_REQUEST:
        on_consistency_request(self, p, f->consistency_request);
        break;
    case RAISON__FED_FRAME__MSG_CONSISTENCY_PROOF:
        on_consistency_proof(self, p, f->consistency_proof);
        break;
    default: strike(self, p, "frame carries no message"); break;
    }
    rsn_arena_destroy(&arena);
}

/* Stages buffered entries whose predecessor is now held. */
static void retry_waiting(rsn_gossip_t *self)
{
    if (!self->retry_waiting || self->n_waiting == 0) {
        self->retry_waiting = false;
        return;
    }
    self->retry_waiting = false;
    bool progress = true;
    while (progress && rsn_ingest_pending(self->ingest) < RSN_INGEST_BATCH_MAX - 8) {
        progress = false;
        size_t j = 0;
        for (size_t i = 0; i < self->n_waiting; i++) {
            waiting_t *w = &self->waiting[i];
            uint64_t seq = 0;
            uint8_t id[32];
            bool frozen = false;
            bool keep = true;
            if (mono_ms() - w->since_ms > WAITING_MS) {
                keep = false; /* its predecessor never came */
            } else if (rsn_ingest_effective_head(self->ingest, w->author, &seq, id, &frozen) ==
                       0) {
                if (w->seq <= seq || frozen) {
                    keep = false; /* held already, or the feed froze */
                } else if (w->seq == seq + 1 && w->peer >= 0 &&
                           rsn_ingest_pending(self->ingest) < RSN_INGEST_BATCH_MAX - 8) {
                    (void)stage_from_peer(self, w->peer, w->entry, w->entry_len, w->signature,
                                          64, w->body, w->body_len, w->has_body, false);
                    keep = false;
                    progress = true;
                }
            }
            if (keep) {
                self->waiting[j++] = *w;
            } else {
                self->waiting_bytes -= w->entry_len + w->body_len;
                waiting_free(w);
            }
        }
        for (size_t i = j; i < self->n_waiting; i++) {
            memset(&self->waiting[i], 0, sizeof self->waiting[i]);
        }
        self->n_waiting = j;
    }
}

int rsn_gossip_receive(rsn_gossip_t *self)
{
    for (int i = 0; i < RECEIVE_BUDGET; i++) {
        if (rsn_ingest_pending(self->ingest) > RSN_INGEST_BATCH_MAX - RSN_GOSSIP_BATCH - 8) {
            return RSN_ERR_AGAIN;
        }
        uint8_t key[32];
        uint8_t *frame = NULL;
        size_t len = 0;
        int rc = rsn_fed_recv(self->fed, key, &frame, &len);
        if (rc == RSN_ERR_AGAIN) {
            return 0;
        }
        if (rc < 0) {
            return 0;
        }
        int pi = peer_index(self, key, true);
        if (pi >= 0) {
            handle_frame(self, pi, frame, len);
        }
        free(frame);
    }
    return RSN_ERR_AGAIN;
}

void rsn_gossip_after_commit(rsn_gossip_t *self, const uint8_t (*ids)[32], size_t n)
{
    push_entries(self, ids, n);
    push_forks(self);
    self->n_origins = 0;
    retry_waiting(self);
    for (int p = 0; p < RSN_FED_MAX_PEERS; p++) {
        if (self->peers[p].used) {
            send_want(self, &self->peers[p]);
        }
    }
}

void rsn_gossip_tick(rsn_gossip_t *self)
{
    rsn_fed_event_t ev;
    while (rsn_fed_next_event(self->fed, &ev) == 0) {
        if (ev.kind == RSN_FED_EVENT_REFUSED) {
            continue; /* logged by the transport */
        }
        int pi = peer_index(self, ev.key, true);
        if (pi < 0) {
            continue;
        }
        peer_t *p = &self->peers[pi];
        char h[17];
        if (ev.kind == RSN_FED_EVENT_CONNECTED) {
            rsn_info("gossip: linked to %s", hex8(h, p->key));
            p->linked = true;
            p->heads_asked = 0;
            forget_wants(p);
            send_hello(self, p);
            send_digest(self, p);
            send_checkpoint(self, p);
        } else if (ev.kind == RSN_FED_EVENT_DISCONNECTED) {
            rsn_info("gossip: link to %s down", hex8(h, p->key));
            p->linked = false;
            forget_wants(p);
        }
    }
    int64_t now = mono_ms();
    if (now - self->last_round_ms >= RSN_GOSSIP_ROUND_MS) {
        self->last_round_ms = now;
        self->retry_waiting = true; /* also expires what waited too long */
    }
    for (int i = 0; i < RSN_FED_MAX_PEERS; i++) {
        peer_t *p = &self->peers[i];
        if (!p->used || !p->linked) {
            continue;
        }
        if (p->n_outstanding > 0 && now - p->want_sent_ms > WANT_TIMEOUT_MS) {
            forget_wants(p);
            snprintf(p->last_error, sizeof p->last_error, "a Want went unanswered");
            send_want(self, p);
        }
        if (now - p->last_digest_ms >= RSN_GOSSIP_ROUND_MS) {
            send_digest(self, p);
        }
    }
}

int rsn_gossip_peers(rsn_gossip_t *self, rsn_arena_t *arena, Raison__PeersReply **out)
{
    rsn_fed_peer_info_t *info = rsn_arena_alloc(arena, RSN_FED_MAX_PEERS * sizeof *info);
    Raison__PeersReply *r = rsn_arena_alloc(arena, sizeof *r);
    if (!info || !r) {
        return RSN_ERR_NOMEM;
    }
    raison__peers_reply__init(r);
    size_t n = rsn_fed_peers(self->fed, info, RSN_FED_MAX_PEERS);
    r->peers = rsn_arena_alloc(arena, (n ? n : 1) * sizeof *r->peers);
    if (!r->peers) {
        return RSN_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        Raison__PeerInfo *pi = rsn_arena_alloc(arena, sizeof *pi);
        if (!pi) {
            return RSN_ERR_NOMEM;
        }
        raison__peer_info__init(pi);
        pi->key.data = rsn_arena_memdup(arena, info[i].key, 32);
        pi->key.len = 32;
        pi->endpoint = rsn_arena_strdup(arena, info[i].endpoint);
        pi->connected = info[i].connected;
        pi->since = (uint64_t)info[i].since_ms;
        pi->bytes_sent = info[i].bytes_out;
        pi->bytes_received = info[i].bytes_in;
        pi->banned_until = info[i].banned_until_ms > 0 ? (uint64_t)info[i].banned_until_ms : 0;
        pi->last_error = rsn_arena_strdup(arena, info[i].last_error);
        pi->site = (char *)"";
        pi->checkpoint_note = (char *)"";
        pi->inconsistency = (char *)"";
        int gi = peer_index(self, info[i].key, false);
        if (gi >= 0) {
            peer_t *p = &self->peers[gi];
            pi->site = rsn_arena_strdup(arena, p->site);
            pi->entries_sent = p->entries_sent;
            pi->entries_received = p->entries_received;
            pi->missing = p->missing;
            pi->dropped = p->dropped;
            load_witness(self, p);
            pi->checkpoint_size = p->held_note ? p->held_size : 0;
            pi->checkpoint_note = rsn_arena_strdup(arena, p->held_note ? p->held_note : "");
            pi->inconsistency = rsn_arena_strdup(arena, p->inconsistency);
            if (!pi->checkpoint_note || !pi->inconsistency) {
                return RSN_ERR_NOMEM;
            }
            if (p->last_error[0]) {
                pi->last_error = rsn_arena_strdup(arena, p->last_error);
            }
        }
        if (!pi->endpoint || !pi->last_error || !pi->site) {
            return RSN_ERR_NOMEM;
        }
        r->peers[r->n_peers++] = pi;
    }
    r->listen = (char *)"";
    *out = r;
    return 0;
}

void rsn_gossip_counts(const rsn_gossip_t *self, uint32_t *peers, uint32_t *connected)
{
    rsn_fed_peer_info_t info[RSN_FED_MAX_PEERS];
    size_t n = rsn_fed_peers(self->fed, info, RSN_FED_MAX_PEERS);
    *peers = (uint32_t)n;
    *connected = 0;
    for (size_t i = 0; i < n; i++) {
        if (info[i].connected) {
            (*connected)++;
        }
    }
}

void rsn_gossip_forget_absent(rsn_gossip_t *self)
{
    rsn_fed_peer_info_t info[RSN_FED_MAX_PEERS];
    size_t n = rsn_fed_peers(self->fed, info, RSN_FED_MAX_PEERS);
    for (int i = 0; i < RSN_FED_MAX_PEERS; i++) {
        peer_t *p = &self->peers[i];
        bool present = false;
        for (size_t j = 0; j < n && p->used && !present; j++) {
            present = memcmp(info[j].key, p->key, 32) == 0;
        }
        if (p->used && !present) {
            drop_waiting_of(self, i);
            free(p->queue);
            free(p->held_note);
            free(p->pending_note);
            memset(p, 0, sizeof *p);
        }
    }
}
