/* gossip_internal.h — what the files of the gossip engine share; private.
 *
 * The engine (daemon/gossip.h) is cut by concern: gossip.c (the entry points
 * the event loop calls and the frame dispatch), gossip_peers.c (the peer
 * table: accounting, strikes and bans, flood control, sending), gossip_push.c
 * (eager push of what was committed), gossip_wants.c (the queue of ranges to
 * pull and its flow control), gossip_pull.c (anti-entropy: digests, buckets,
 * heads, answering Wants, staging batches, the out-of-order buffer),
 * gossip_bodies.c (why a body is absent on the wire, fetching missing ones),
 * gossip_forks.c (fork evidence, pushed and paged) and gossip_witness.c
 * (peers' checkpoints). This header holds the one struct they all read and
 * the functions one file calls in another; nothing outside node/daemon/gossip*
 * includes it but the gossip unit test. */
#ifndef RSN_GOSSIP_INTERNAL_H
#define RSN_GOSSIP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"
#include "daemon/gossip.h"

#define FRAME_BYTES_SOFT (512 * 1024)          /* an EntryBatch stops growing past this */
#define WANTS_IN_FLIGHT 2                      /* the peer reads the next while we store one */
#define WANT_RANGES_PER_FRAME 256              /* ranges in one Want */
#define HEX8_SIZE 17                           /* a key's first 8 bytes in hex, for logs */
#define HEADS_CURSOR_BYTES (1 + RSN_KEY_BYTES) /* a Heads cursor: bucket || author */
#define HEADS_PAGE_MAX 8000                    /* heads a Heads page may hold (any version) */

/* A range of AUTHOR's feed this node wants from one peer. */
typedef struct {
    uint8_t author[RSN_KEY_BYTES];
    uint64_t from;
    uint64_t to;
    bool probe;        /* asks for an entry at a height we hold: the other branch of a fork */
    uint32_t inflight; /* the Want it was asked in, awaiting its answer; 0 when none */
} range_t;

/* One checkpoint of a peer: the signed note (malloc'd) and what it says. */
typedef struct {
    char *note; /* NULL: none */
    uint64_t size;
    uint8_t root[RSN_HASH_BYTES];
} peer_checkpoint_t;

/* What this node keeps of one peer's checkpoints (gossip_witness.c). */
typedef struct {
    bool loaded;                       /* the stored 'W' and 'X' were read */
    peer_checkpoint_t held;            /* its latest checkpoint verified consistent */
    peer_checkpoint_t pending;         /* newer, awaiting its consistency proof */
    peer_checkpoint_t next;            /* newer still, arrived while one was pending */
    int64_t asked_ms;                  /* when the pending proof was last asked */
    int64_t deadline_ms;               /* past it, the request is recorded unanswered */
    int64_t retry_ms;                  /* the wait before asking again (doubles) */
    uint64_t settled_old, settled_new; /* the last question answered (late copies ignored) */
    char inconsistency[160];           /* evidence held (kept in the store) */
    char unanswered[160];              /* a proof it owes; cleared by a valid one */
} witness_t;

/* One slot of the peer table. */
typedef struct {
    bool used;
    uint8_t key[RSN_KEY_BYTES];
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
    int64_t want_sent_ms; /* when the oldest was sent */
    range_t *queue;
    size_t n_queue;
    int strikes;
    int64_t window_start_ms;
    int requests_in_window;
    int wants_in_window;
    int64_t last_busy_ms;
    int heads_asked;       /* HeadsRequests sent and not yet answered */
    int64_t heads_sent_ms; /* when the last was sent */
    uint32_t protocol;     /* the version its Hello said (0: older than the field) */
    bool told_old;         /* its older protocol was logged (once) */
    /* The walk over the heads of the differing buckets (gossip_pull.c): the
     * buckets asked (a bitmap), the cursor the walk goes on after (set while
     * a walk is under way or cut by the round's bound or a full queue; the
     * next round resumes there), the pages asked this round and the entries
     * it lacks over the pages so far. */
    uint8_t heads_buckets[RSN_BUCKETS / 8];
    uint8_t heads_after[HEADS_CURSOR_BYTES];
    bool heads_has_after; /* false: the next walk starts at the first head */
    int heads_pages;
    uint64_t heads_missing;
    /* Sync lag: what it holds that this node lacks, as of the last walk
     * over its heads (the walk's sum so far in heads_lacking), less what it
     * sent since (entries_received was lacking_base then). */
    uint64_t lacking;
    uint64_t heads_lacking;
    uint64_t lacking_base;
    uint64_t bare_received;   /* entries it sent without their body */
    uint64_t bodies_fetched;  /* missing bodies it brought */
    uint64_t bare_others_had; /* entries it sent bare whose body came from another peer */
    int bodies_asked;         /* a BodiesRequest awaits its answer */
    int64_t bodies_asked_ms;
    witness_t witness;
} peer_t;

/* The peer an entry staged since the last commit came from. */
typedef struct {
    uint8_t id[RSN_ID_BYTES];
    int peer; /* index in peers, -1 local */
} origin_t;

/* An entry that arrived ahead of its predecessor. */
typedef struct {
    uint8_t author[RSN_KEY_BYTES];
    uint64_t seq;
    int peer;
    uint8_t *entry;
    size_t entry_len;
    uint8_t signature[RSN_SIG_BYTES];
    uint8_t *body;
    size_t body_len;
    bool has_body;
    int64_t since_ms;
} waiting_t;

struct rsn_gossip {
    rsn_store_t *store;
    rsn_ingest_t *ingest;
    rsn_fed_t *fed;
    uint8_t node_key[RSN_KEY_BYTES];
    char site[64];
    peer_t peers[RSN_FED_MAX_PEERS];
    origin_t origins[RSN_INGEST_BATCH_MAX * 2];
    size_t n_origins;
    waiting_t *waiting;
    size_t n_waiting;
    size_t waiting_bytes;
    bool retry_waiting;
    int64_t last_round_ms;
    size_t heads_page; /* heads per page served (RSN_GOSSIP_HEADS_PAGE, or the test knob) */
    int64_t witness_deadline_ms; /* gossip_witness_deadline() */
    struct rsn_audit *audit;
    int64_t last_bodies_ms;                 /* the last round of asking for missing bodies */
    int bodies_peer;                        /* the peer slot asked last */
    uint8_t bodies_cursor[RSN_ID_BYTES];    /* the chunk being asked starts after this id */
    uint8_t bodies_chunk_end[RSN_ID_BYTES]; /* the last id of the chunk asked last */
    rsn_witness_counts_t witnessed;         /* gossip_witness.c's results, for the metrics */
    /* a frame taken ahead (rsn_gossip_receive): its sender, its bytes, and
     * the check of its entries' signatures begun (NULL: none begun) */
    struct {
        uint8_t key[RSN_KEY_BYTES];
        uint8_t *frame;
        size_t len;
        rsn_preverify_t *job;
    } ahead;
    bool verified_ahead; /* the entries being handled were checked ahead */
};

/* --- gossip_peers.c ------------------------------------------------------- */

/* Milliseconds of the monotonic clock. */
int64_t gossip_now_ms(void);

/* KEY's first 8 bytes in hex into OUT, for log lines; returns OUT. */
const char *gossip_hex8(char out[HEX8_SIZE], const uint8_t key[RSN_KEY_BYTES]);

/* The slot of peer KEY; with CREATE a free slot is taken for a new one.
 * NULL when absent (or the table is full). */
peer_t *gossip_peer(rsn_gossip_t *self, const uint8_t key[RSN_KEY_BYTES], bool create);

/* Sets what P holds that this node lacks to LACKING, as of now. */
void gossip_set_lacking(peer_t *p, uint64_t lacking);

/* What P holds that this node lacks, as far as known: the last comparison's
 * figure less the entries P sent since. */
uint64_t gossip_lacking(const peer_t *p);

/* P's index in the peer table (the origin recorded for what it sent). */
int gossip_peer_slot(const rsn_gossip_t *self, const peer_t *p);

/* Frees what slot P holds and empties it. */
void gossip_peer_clear(peer_t *p);

/* Counts one invalid frame or entry from P (WHAT says which); bans it for
 * RSN_GOSSIP_BAN_MS after RSN_GOSSIP_BAN_AFTER of them. */
void gossip_strike(rsn_gossip_t *self, peer_t *p, const char *what);

/* True when P may make one more request of us now (flood control): WANT
 * says which budget it counts against. Over budget: struck, and false. */
bool gossip_allow_request(rsn_gossip_t *self, peer_t *p, bool want);

/* Sends frame F to P (packed in ARENA); a full queue counts a strike at most
 * once a second, other failures are noted as P's last error. */
void gossip_send(rsn_gossip_t *self, peer_t *p, rsn_arena_t *arena, Raison__FedFrame *f);

/* Sends frame F to P as gossip_send does, packed in an arena of its own. */
void gossip_send_frame(rsn_gossip_t *self, peer_t *p, Raison__FedFrame *f);

/* Sends this node's Hello (key, site, version, protocol) to P. */
void gossip_send_hello(rsn_gossip_t *self, peer_t *p);

/* Keeps what peer P's Hello H says: its site and its protocol (an older one
 * is logged once). */
void gossip_on_hello(peer_t *p, const Raison__Hello *h);

/* True when this node and P both speak a protocol whose Heads are paged. */
bool gossip_pages_heads(const peer_t *p);

/* Loads entry ID with its body (when held) into *SE from ARENA, and the
 * bytes it adds to a frame into *SIZE. 0 or the store's error. */
int gossip_load_signed(rsn_gossip_t *self, rsn_arena_t *arena, const uint8_t id[RSN_ID_BYTES],
                       Raison__SignedEntry **se, size_t *size);

/* --- gossip_push.c -------------------------------------------------------- */

/* Records that entry ID, staged now, came from peer slot PEER. */
void gossip_remember_origin(rsn_gossip_t *self, const uint8_t id[RSN_ID_BYTES], int peer);

/* Pushes committed entries IDS to every linked peer but their origin. */
void gossip_push_entries(rsn_gossip_t *self, const uint8_t (*ids)[RSN_ID_BYTES], size_t n);

/* --- gossip_wants.c ------------------------------------------------------- */

/* Queues AUTHOR's FROM..TO to be asked of P (merged with a queued range of
 * the same kind; dropped when the queue is full: the next round asks). */
void gossip_queue_range(peer_t *p, const uint8_t author[RSN_KEY_BYTES], uint64_t from, uint64_t to,
                        bool probe);

/* True when P's queue of ranges has no room for another. */
bool gossip_queue_full(const peer_t *p);

/* Keeps up to WANTS_IN_FLIGHT Wants outstanding to P. */
void gossip_send_wants(rsn_gossip_t *self, peer_t *p);

/* An EntryBatch answered P's oldest Want (EMPTY: the peer had none of its
 * ranges: they are dropped). */
void gossip_want_answered(peer_t *p, bool empty);

/* Forgets the Wants in flight to P (timed out, link down, banned): their
 * ranges will be asked again. */
void gossip_forget_wants(peer_t *p);

/* --- gossip_pull.c -------------------------------------------------------- */

/* Sends this node's Digest to P. */
void gossip_send_digest(rsn_gossip_t *self, peer_t *p);

void gossip_on_digest(rsn_gossip_t *self, peer_t *p, const Raison__Digest *d);
void gossip_on_buckets_request(rsn_gossip_t *self, peer_t *p);
void gossip_on_buckets(rsn_gossip_t *self, peer_t *p, const Raison__Buckets *b);
void gossip_on_heads_request(rsn_gossip_t *self, peer_t *p, const Raison__HeadsRequest *hr);

/* Builds into *OUT (in ARENA) one page of at most CAP heads: the effective
 * head of each feed held in the buckets set in BUCKETS (a bitmap), in
 * (bucket, author) order, from the one after AFTER (a HEADS_CURSOR_BYTES
 * cursor; NULL: from the first); with more and next set when the page is
 * cut. 0 or RSN_ERR_NOMEM. */
int gossip_heads_page(rsn_gossip_t *self, rsn_arena_t *arena, const uint8_t *buckets,
                      const uint8_t *after, size_t cap, Raison__Heads *out);

void gossip_on_heads(rsn_gossip_t *self, peer_t *p, const Raison__Heads *h);
void gossip_on_want(rsn_gossip_t *self, peer_t *p, const Raison__Want *w);
void gossip_on_entries(rsn_gossip_t *self, peer_t *p, const Raison__EntryBatch *b);

/* Stages buffered entries whose predecessor is now held (and expires the
 * ones that waited too long). */
void gossip_retry_waiting(rsn_gossip_t *self);

/* Drops the waiting entries that peer slot PI sent. */
void gossip_drop_waiting_of(rsn_gossip_t *self, int pi);

/* Frees the out-of-order buffer's copies. */
void gossip_waiting_free_all(rsn_gossip_t *self);

/* Stages one entry IN from peer slot PI (its result into RES), counting
 * what it brought (gossip_count_staged); a bad one is struck when
 * MAY_STRIKE. Returns the ingest result. */
int gossip_stage_from_peer(rsn_gossip_t *self, int pi, const rsn_ingest_input_t *in,
                           rsn_ingest_result_t *res, bool may_strike);

/* --- gossip_bodies.c ------------------------------------------------------ */

/* Fills B's `absent` (from ARENA) for its entries loaded without a body:
 * erased (and by what) or missing here too. */
void gossip_fill_absent(rsn_gossip_t *self, rsn_arena_t *arena, Raison__EntryBatch *b);

/* Reads B's `absent` into IN (one input per entry of B, absence
 * RSN_BODY_HELD on entry). A malformed one is struck: RSN_ERR_BAD_REQUEST. */
int gossip_read_absent(rsn_gossip_t *self, peer_t *p, const Raison__EntryBatch *b,
                       rsn_ingest_input_t *in);

/* Counts what staging an entry from P brought (RES): a bare entry, a
 * missing body; strikes a claim of "erased" without a reason. */
void gossip_count_staged(rsn_gossip_t *self, peer_t *p, const rsn_ingest_result_t *res);

/* One turn of asking a peer for missing bodies (every BODIES_ROUND_MS). */
void gossip_fetch_bodies(rsn_gossip_t *self);

void gossip_on_bodies_request(rsn_gossip_t *self, peer_t *p, const Raison__BodiesRequest *br);
void gossip_on_bodies(rsn_gossip_t *self, peer_t *p, const Raison__Bodies *b);

/* --- gossip_forks.c ------------------------------------------------------- */

/* Sends the fork evidence committed since the last commit to every linked
 * peer. */
void gossip_push_forks(rsn_gossip_t *self);

void gossip_on_evidence_request(rsn_gossip_t *self, peer_t *p, const Raison__EvidenceRequest *er);
void gossip_on_evidence(rsn_gossip_t *self, peer_t *p, const Raison__Evidence *ev);

/* --- gossip_witness.c ----------------------------------------------------- */

/* Sends this node's latest signed checkpoint to P (with an audit set). */
void gossip_send_checkpoint(rsn_gossip_t *self, peer_t *p);

/* Reads P's stored checkpoint and evidence once (after a restart). */
void gossip_load_witness(rsn_gossip_t *self, peer_t *p);

/* Frees P's witness notes. */
void gossip_witness_clear(witness_t *w);

/* The deadline for a consistency proof: WITNESS_DEADLINE_MS, or
 * RAISON_WITNESS_DEADLINE_MS from the environment (a test knob). */
int64_t gossip_witness_deadline(void);

/* Asks P again for the proof it owes when its backoff has passed, and records
 * the request unanswered once the deadline has (NOW: gossip_now_ms). */
void gossip_witness_tick(rsn_gossip_t *self, peer_t *p, int64_t now);

/* P's link came up: a proof it owes is asked again at once. */
void gossip_witness_linked(rsn_gossip_t *self, peer_t *p, int64_t now);

/* Fills PI's witnessing fields (checkpoint held, evidence, unanswered
 * request) from P, in ARENA. 0 or RSN_ERR_NOMEM. */
int gossip_witness_describe(rsn_gossip_t *self, peer_t *p, rsn_arena_t *arena,
                            Raison__PeerInfo *pi);

void gossip_on_checkpoint(rsn_gossip_t *self, peer_t *p, const Raison__CheckpointNote *c);
void gossip_on_consistency_request(rsn_gossip_t *self, peer_t *p,
                                   const Raison__ConsistencyRequest *cr);
void gossip_on_consistency_proof(rsn_gossip_t *self, peer_t *p, const Raison__ConsistencyProof *cp);

/* --- gossip.c ------------------------------------------------------------- */

/* Decodes and handles one frame from peer P (for the receive loop and the
 * unit test). */
void gossip_handle_frame(rsn_gossip_t *self, peer_t *p, const uint8_t *bytes, size_t len);

#endif
