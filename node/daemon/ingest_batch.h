/* ingest_batch.h — private to the write path (ingest.c, ingest_batch.c).
 *
 * The write path is two files: ingest.c runs the checks an entry goes
 * through, in order; ingest_batch.c holds what is staged (the batch, the
 * staged entries and heads, the counters, the digests and the log as
 * staged), writes an accepted entry's puts into it, and commits it. This
 * header is the state and the few calls they share; nothing else includes
 * it. */
#ifndef RSN_D_INGEST_BATCH_H
#define RSN_D_INGEST_BATCH_H

#include "crypto/merkle.h"
#include "daemon/derive.h"
#include "daemon/ingest.h"
#include "proto/codec.h"

typedef struct {
    uint8_t id[RSN_ID_BYTES];
    uint8_t author[RSN_KEY_BYTES];
    uint64_t seq;
    uint64_t index;       /* its log index: what the store's keys name it by */
    const uint8_t *entry; /* copies in the batch arena, for fork evidence */
    size_t entry_len;
    const uint8_t *signature;
    int kind;              /* Raison__Kind */
    rsn_body_state_t body; /* as staged: held, erased, or missing */
    /* the body's bytes when held (a copy in the batch arena): an erasure
     * later in the same batch queues them for the derive pass, which would
     * otherwise never see them (daemon/derive.h) */
    const uint8_t *body_bytes;
    size_t body_len;
    bool queued; /* its body, arrived later in the batch, is queued with its bytes */
} staged_t;

/* A stored entry whose body state the staged batch changes (a missing body
 * restored, a body erased), so that later entries of the batch see it. */
typedef struct {
    uint8_t id[RSN_ID_BYTES];
    rsn_body_state_t body;
    /* a missing body restored in this batch: queued for the derive pass
     * with its bytes (QUEUED), or, when a reindex has not reached the entry
     * (its first sight reads 'B'), its bytes kept here (batch arena) for an
     * erasure later in the batch to queue */
    bool queued;
    const uint8_t *bytes;
    size_t len;
} touched_t;

#define VERIFIED_SLOTS 4096           /* power of two, twice RSN_INGEST_BATCH_MAX */
#define STAGED_SLOTS 4096             /* power of two, twice RSN_INGEST_BATCH_MAX */
#define HEAD_BYTES (8 + RSN_ID_BYTES) /* an 'H' or 'U' value: seq, id */
#define FAILED_KEPT 8                 /* failed batch numbers remembered */

typedef struct {
    bool used;
    uint8_t id[RSN_ID_BYTES];
    uint8_t signature[RSN_SIG_BYTES];
} verified_t;

/* Signatures verified ahead of their staging, a set for each side
 * (rsn_ahead_for_t), so that neither drops the other's. */
enum { VERIFIED_PEERS = RSN_AHEAD_PEERS, VERIFIED_AHEAD = RSN_AHEAD_CLIENTS, VERIFIED_SETS };
typedef struct {
    verified_t *slots; /* open addressing by the id's first bytes */
    uint16_t used[VERIFIED_SLOTS];
    size_t n;
} verified_set_t;

struct rsn_ingest {
    rsn_store_t *store;
    verified_set_t verified[VERIFIED_SETS];
    rsn_batch_t *batch;
    rsn_batch_t *scratch;     /* one entry's fallible puts, merged into batch on success */
    rsn_arena_t *batch_arena; /* lives as long as the staged batch */
    staged_t staged[RSN_INGEST_BATCH_MAX];
    int16_t staged_slots[STAGED_SLOTS]; /* staged ids by hash: index in staged, -1 free */
    size_t n_staged;
    size_t n_evidence;            /* fork evidences and restored bodies staged */
    bool commit_failed;           /* the last commit failed (rsn_ingest_take_failure) */
    uint64_t batch_number;        /* of the batch being staged; one more per commit */
    uint64_t failed[FAILED_KEPT]; /* numbers of the last batches whose commit failed */
    uint64_t n_failed;            /* how many batches failed, ever */
    unsigned fail_after;          /* tests only: the step of the next stage that fails */
    bool fail_commit;             /* tests only: the next commit fails */
    bool unsynced;                /* a commit since the last sync was written without one */
    uint64_t unsynced_from;       /* the number of the first such batch */
    uint64_t clock_ms;            /* tests only: now (0: the wall clock) */
    rsn_counts_t counts;          /* as committed */
    rsn_counts_t pending;         /* as staged */
    uint64_t erased_delta;        /* bodies erased by the staged batch ('N' "erased" is added to) */
    touched_t touched[RSN_INGEST_BATCH_MAX]; /* stored entries whose body the batch changes */
    size_t n_touched;
    uint8_t (*committed)[RSN_ID_BYTES];
    size_t n_committed;
    size_t cap_committed;
    rsn_merkle_frontier_t frontier;         /* the log as committed */
    rsn_merkle_frontier_t pending_frontier; /* as staged */
    rsn_digest_t *digest;
    rsn_forks_t *forks;
    rsn_derive_t *derive;     /* the derived state, kept after each commit */
    rsn_ingest_stats_t stats; /* since the start (daemon/metrics.h reads them) */
};

/* One entry on its way through the checks: what each check learned. */
typedef struct {
    rsn_arena_t *arena; /* this entry's decodes */
    const uint8_t *entry;
    size_t entry_len;
    const uint8_t *signature;
    const uint8_t *body;
    size_t body_len;
    bool has_body;
    bool publish;
    rsn_body_state_t absence; /* without a body: what the sender said (rsn_ingest_input_t) */
    const uint8_t *erased_by;
    const uint8_t *from;
    Raison__Entry *e;
    uint8_t id[RSN_ID_BYTES];
    void *decoded; /* the body, decoded once; NULL when absent or not a protobuf */
    uint64_t head_seq;
    uint8_t head_id[RSN_ID_BYTES];
    uint64_t frozen; /* seq from which the feed is frozen, or 0 */
    /* when this node received it, read once for all that is staged of it
     * ('I', the 'P' index's effective time), so the two never differ */
    uint64_t received;
    /* its log index: the leaf it is staged as, or (a late body) the one it
     * is held at; the store names it by this (store/keys.h) */
    uint64_t index;
} candidate_t;

/* The head of AUTHOR as staged or stored: seq 0 when none. */
RSN_NODISCARD int rsn_ingest_head_of(rsn_ingest_t *self, const uint8_t author[RSN_KEY_BYTES],
                                     uint64_t *seq, uint8_t id[RSN_ID_BYTES]);

/* The entry held for (AUTHOR, SEQ), staged or stored: its header and
 * signature into HELD (from ARENA). 0, RSN_ERR_NOT_FOUND, RSN_ERR_IO. */
RSN_NODISCARD int rsn_ingest_held_at(rsn_ingest_t *self, rsn_arena_t *arena,
                                     const uint8_t author[RSN_KEY_BYTES], uint64_t seq,
                                     Raison__SignedEntry *held);

/* True when entry ID is staged. */
bool rsn_ingest_is_staged(const rsn_ingest_t *self, const uint8_t id[RSN_ID_BYTES]);

/* The staged entry ID, or NULL. */
staged_t *rsn_ingest_staged(rsn_ingest_t *self, const uint8_t id[RSN_ID_BYTES]);

/* The log index of entry ID, staged or stored ('I'). 0, RSN_ERR_NOT_FOUND,
 * RSN_ERR_IO. */
RSN_NODISCARD int rsn_ingest_index_of(rsn_ingest_t *self, const uint8_t id[RSN_ID_BYTES],
                                      uint64_t *index);

/* Now, as this write path receives entries: the wall clock, or the time a
 * test set (rsn_ingest_set_clock). */
uint64_t rsn_ingest_now(const rsn_ingest_t *self);

/* The state of the body of held entry ID, staged or stored (see
 * daemon/bodies.h; an erased one's reason is not read). */
rsn_body_state_t rsn_ingest_body_state(rsn_ingest_t *self, const uint8_t id[RSN_ID_BYTES]);

/* The body of C, held now, is staged: it came with the entry, or (MISSING)
 * later, for an entry held as body missing. The one path for both: the body
 * is kept unless its group's retention or (for a late one) an erasure its
 * author asked for drops it (then it is marked erased), and the indexes of
 * its kind, the counters they change and any erasure it carries are staged
 * exactly as for an entry that arrived whole. */
void rsn_ingest_stage_body(rsn_ingest_t *self, candidate_t *c, bool missing);

/* Entry C, being staged without its body for no reason known, is held as
 * body missing ('D', naming the peer it came from). */
void rsn_ingest_stage_missing(rsn_ingest_t *self, const candidate_t *c);

/* Entry C (held as missing when MISSING, else being staged bare) has its
 * body erased for reason BY: marked erased, and counted. */
void rsn_ingest_stage_erased(rsn_ingest_t *self, const candidate_t *c, const uint8_t *by,
                             bool missing);

/* True when entry ID is staged or stored: a duplicate. */
bool rsn_ingest_is_held(rsn_ingest_t *self, const uint8_t id[RSN_ID_BYTES]);

/* Stages the fork evidence that HELD and INCOMING are two entries of AUTHOR
 * at SEQ, and freezes the feed there (nothing when it is held already). 0,
 * RSN_ERR_BUSY, RSN_ERR_NOMEM, RSN_ERR_IO. */
RSN_NODISCARD int rsn_ingest_stage_fork(rsn_ingest_t *self, rsn_arena_t *arena,
                                        const uint8_t author[RSN_KEY_BYTES], uint64_t seq,
                                        const Raison__SignedEntry *held,
                                        const Raison__SignedEntry *incoming);

/* Stages an entry that passed every check: its puts, its leaf, the counters
 * and the digest. 0, RSN_ERR_NOMEM, RSN_ERR_INTERNAL, RSN_ERR_IO. */
RSN_NODISCARD int rsn_ingest_stage_checked(rsn_ingest_t *self, candidate_t *c);

/* Commits the staged batch WITHOUT a sync: for a check that must read what
 * is staged (ingest.c), in the middle of a group commit. Nothing staged so
 * is acknowledged before the next rsn_ingest_commit, which syncs it (LevelDB's
 * log is written in order: a synced write makes every write before it
 * durable) or, when that sync fails, fails its batch too. */
RSN_NODISCARD int rsn_ingest_commit_unsynced(rsn_ingest_t *self);

#endif
