/* ingest.h — the write path: the feed rule, and staged group commits.
 *
 * Every entry, whatever its origin, goes through rsn_ingest_stage, whose
 * checks run in the order of the cost model (DESIGN.md), cheapest first:
 * room in the batch and the size limits; the header's structure (it
 * decodes, and its id); then, right after the structure and before the
 * signature, the duplicate lookup by id (a duplicate costs a lookup, never a
 * signature check; one carrying the body of an entry held without it puts
 * the body back); the signature (unless rsn_ingest_preverify checked it);
 * a publish (RSN_INGEST_PUBLISH) carries its body; the body against its
 * hash; the feed rule (a second entry for a held (author, seq) is a fork:
 * the evidence is staged and the feed frozen, see daemon/forks.h; then the
 * feed must not be frozen, seq = head + 1, prev = head id); last, for a
 * publish only, the semantic rules (daemon/rules.h) are judged — but a
 * publish is never refused for them: a signed entry that keeps the feed rule
 * is always stored (DESIGN.md "The publish sequence"); the result names the
 * rule it breaks, and the views hide it as they hide a peer's. Staged entries of several calls
 * share one LevelDB WriteBatch; validation sees the heads of staged entries,
 * so seq 5 and 6 of one author can share a batch. rsn_ingest_commit writes
 * the batch with sync: only then may a publish be acknowledged. */
#ifndef RSN_D_INGEST_H
#define RSN_D_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/err.h"
#include "crypto/crypto.h"
#include "daemon/bodies.h"
#include "daemon/derive.h" /* rsn_reindex_progress_t */
#include "daemon/digest.h"
#include "daemon/forks.h"
#include "store/store.h"

typedef struct rsn_ingest rsn_ingest_t;

/* Most entries one batch may stage before it must be committed. */
#define RSN_INGEST_BATCH_MAX 2048

typedef struct {
    uint8_t id[RSN_ID_BYTES];
    uint64_t seq;
    bool duplicate; /* already held (or staged): nothing new staged */
    /* a publish stored although it breaks a semantic rule: that rule's
     * rsn_err (WHY says it); 0 when it keeps them, or was not judged (a
     * relayed entry, a duplicate) */
    int broken_rule;
    bool bare;      /* it came without its body */
    bool missing;   /* a new entry staged as body missing (no reason known to drop it) */
    bool restored;  /* the body of an entry held as missing arrived: indexed now */
    bool bad_claim; /* the sender said "erased" naming no reason, or one that is none */
} rsn_ingest_result_t;

/* Where an entry comes from: a peer relays entries as they are held (the
 * body may be missing: erased, or not relayed); a client's own publish must
 * carry its body, and is judged by the semantic rules (daemon/rules.h). */
typedef enum {
    RSN_INGEST_RELAYED = 0,
    RSN_INGEST_PUBLISH = 1,
} rsn_ingest_origin_t;

/* One signed entry handed to the write path (rsn_ingest_stage, and
 * rsn_ingest_preverify, which reads only the entry and the signature). */
typedef struct {
    const uint8_t *entry;
    size_t entry_len;
    const uint8_t *signature;
    size_t signature_len;
    const uint8_t *body; /* may be NULL when HAS_BODY is false */
    size_t body_len;
    bool has_body; /* false for an entry whose body was erased or not relayed */
    rsn_ingest_origin_t origin;
    /* without a body: what the sender said of it (RSN_BODY_HELD: nothing),
     * the reason it named for RSN_BODY_ERASED (NULL: none), and who sent it
     * (its node key, NULL when local) */
    rsn_body_state_t absence;
    const uint8_t *erased_by;
    const uint8_t *from;
} rsn_ingest_input_t;

/* A write path over STORE (not owned); reads the counters. 0 and *OUT,
 * RSN_ERR_NOMEM or RSN_ERR_IO. */
RSN_NODISCARD int rsn_ingest_new(rsn_ingest_t **out, rsn_store_t *store);
void rsn_ingest_destroy(rsn_ingest_t **self_p);

/* Checks one signed entry IN and stages it, in the order above. Returns 0
 * and RES (RES->duplicate for an entry already held or staged; for a
 * publish that breaks a semantic rule, RES->broken_rule and WHY say which);
 * or, in the order checked, RSN_ERR_BUSY, RSN_ERR_TOO_LARGE,
 * RSN_ERR_BAD_ENTRY, RSN_ERR_BAD_SIGNATURE, RSN_ERR_BODY_MISMATCH,
 * RSN_ERR_FORK (evidence staged: commit it), RSN_ERR_FEED_FROZEN,
 * RSN_ERR_BAD_SEQ, RSN_ERR_BAD_PREV; WHY gets a sentence for people. Nothing
 * is staged on error, except fork evidence. RSN_ERR_BUSY when the batch is
 * full.
 * Bodies (daemon/bodies.h): an entry without its body is staged erased when
 * IN names a reason held, else as body missing (RES->missing); a duplicate
 * that brings the body of an entry held as missing stages what the entry
 * would have staged had it arrived whole (RES->restored); one without a body
 * that names a valid reason marks it erased. RES->bad_claim when IN said
 * "erased" without a reason, or naming a held entry that is no reason. */
RSN_NODISCARD int rsn_ingest_stage(rsn_ingest_t *self, const rsn_ingest_input_t *in,
                                   rsn_ingest_result_t *res, char *why, size_t why_size);

/* Checks the signatures of N entries (at most RSN_INGEST_BATCH_MAX) ahead of
 * rsn_ingest_stage, on every core, so that staging them one by one costs no
 * verification. Entries that do not decode or are held already are skipped;
 * those that fail are left for rsn_ingest_stage to refuse. What was verified
 * (entry id and signature together) is remembered until the next call. */
void rsn_ingest_preverify(rsn_ingest_t *self, const rsn_ingest_input_t *in, size_t n);

/* The same check begun on other threads while the caller goes on (the loop
 * commits the batch before meanwhile: node.c, gossip.c): the job keeps its
 * own copy of what it checks. rsn_ingest_preverify_finish waits for the
 * check and remembers what verified until its next call FOR the same side:
 * a client's batch (RSN_AHEAD_CLIENTS) and a peer's (RSN_AHEAD_PEERS, which
 * rsn_ingest_preverify also refills) do not drop each other's. NULL when out
 * of memory: the finish then only forgets, and staging verifies each entry. */
typedef struct rsn_preverify rsn_preverify_t;
typedef enum { RSN_AHEAD_PEERS, RSN_AHEAD_CLIENTS } rsn_ahead_for_t;
rsn_preverify_t *rsn_ingest_preverify_start(rsn_ingest_t *self, const rsn_ingest_input_t *in,
                                            size_t n);
void rsn_ingest_preverify_finish(rsn_ingest_t *self, rsn_preverify_t **job, rsn_ahead_for_t side);

/* The head of AUTHOR's feed as staged or stored (*SEQ 0 and ID zeroed when
 * it has none): what the next entry must follow (a draft's seq and
 * prev, daemon/draft.h). 0 or RSN_ERR_IO. */
RSN_NODISCARD int rsn_ingest_head(rsn_ingest_t *self, const uint8_t author[RSN_KEY_BYTES],
                                  uint64_t *seq, uint8_t id[RSN_ID_BYTES]);

/* Entries (and evidence) staged and not yet committed. */
size_t rsn_ingest_pending(const rsn_ingest_t *self);

/* Writes the staged batch durably (sync) and clears it. 0 or RSN_ERR_IO (the
 * staged entries are then dropped: none was acknowledged). */
RSN_NODISCARD int rsn_ingest_commit(rsn_ingest_t *self);

/* The derived state's upkeep (daemon/derive.h), a budget at a time: the log
 * entries past its watermark (a commit derives its own; this catches up
 * after a start or a reindex), then the derivers' background work. *MORE
 * is set when some remains. 0 or an rsn_err (logged; retried next time). */
RSN_NODISCARD int rsn_ingest_derive(rsn_ingest_t *self, size_t budget, bool *more);

/* Starts an online reindex (daemon/derive.h rsn_derive_reindex_start);
 * *ALREADY when one is under way. 0 or RSN_ERR_IO, RSN_ERR_NOMEM. */
RSN_NODISCARD int rsn_ingest_reindex_start(rsn_ingest_t *self, bool *already);

/* How far the online reindex is. */
void rsn_ingest_reindex_progress(const rsn_ingest_t *self, rsn_reindex_progress_t *out);

/* Tests only: the derive pass stops for good after STEPS more steps (a
 * crash between two steps: daemon/derive.h). */
void rsn_ingest_derive_stop_after(rsn_ingest_t *self, unsigned steps);

/* True while the derived state lags the log (a start after a reindex). */
bool rsn_ingest_derive_behind(const rsn_ingest_t *self);

/* True when the last commit (one inside rsn_ingest_stage included) failed;
 * each commit that writes sets or clears it. Clears the flag. Which replies
 * must become errors is rsn_ingest_batch_failed's to say. */
bool rsn_ingest_take_failure(rsn_ingest_t *self);

/* The number of the batch being staged now: a reply promised for an entry
 * staged now is kept when this batch's commit succeeds. One more after
 * every commit that had something to write, failed or not. */
uint64_t rsn_ingest_batch_number(const rsn_ingest_t *self);

/* True when the commit of batch NUMBER failed (its entries were dropped and
 * none may be acknowledged). A batch not committed yet has not failed. */
bool rsn_ingest_batch_failed(const rsn_ingest_t *self, uint64_t number);

/* Tests only: the Nth fallible step of the next rsn_ingest_stage that gets
 * as far as staging an accepted entry fails as RSN_ERR_NOMEM (1 the entry's
 * puts, 2 its log leaf, 3 its staged copy, 4 a frozen feed's digest
 * contribution; for a fork, 1 the staged evidence); 0 turns it off. The
 * refused entry (or evidence) must leave the batch, the counters, the log
 * and the digests as they were. */
void rsn_ingest_fail_after(rsn_ingest_t *self, unsigned n);

/* Tests only: the next rsn_ingest_commit with something to write fails as
 * RSN_ERR_IO without writing, as a full disk would. */
void rsn_ingest_fail_commit(rsn_ingest_t *self);

/* Ids of the entries stored by the commits since the last
 * rsn_ingest_committed_clear, in order (for subscriptions and, later,
 * gossip). The array is owned by SELF. */
const uint8_t (*rsn_ingest_committed(const rsn_ingest_t *self, size_t *count))[RSN_ID_BYTES];
void rsn_ingest_committed_clear(rsn_ingest_t *self);

/* Fork evidences stored by the commits since rsn_ingest_committed_clear
 * (to gossip them); owned by SELF. */
const rsn_fork_ref_t *rsn_ingest_committed_forks(const rsn_ingest_t *self, size_t *count);

/* What the store holds, kept current by every commit. */
typedef struct {
    uint64_t entries; /* entries accepted under the feed rule */
    uint64_t authors; /* feeds */
    uint64_t groups;  /* charter v1 entries */
    uint64_t forks;   /* fork evidences */
    uint64_t leaves;  /* transparency log size */
    uint64_t missing; /* entries held with their body missing ('D') */
    uint64_t erased;  /* entries whose body was erased for a reason held ('O') */
} rsn_counts_t;

void rsn_ingest_counts(const rsn_ingest_t *self, rsn_counts_t *out);

/* What the write path did since the start (the metrics, daemon/metrics.h):
 * entries staged new, duplicates and refusals by origin (index 0 relayed, 1
 * publish), stages put off because the batch was full, commits, failed
 * commits, the entries the commits wrote, and the entries staged whose
 * signature had been checked ahead (rsn_ingest_preverify and _start). */
typedef struct {
    uint64_t accepted[2];
    uint64_t duplicates[2];
    uint64_t refused[2];
    uint64_t busy;
    uint64_t commits;
    uint64_t commit_failures;
    uint64_t committed;
    uint64_t verified_ahead;
} rsn_ingest_stats_t;

void rsn_ingest_stats(const rsn_ingest_t *self, rsn_ingest_stats_t *out);

/* --- the transparency log ---------------------------------------------------
 *
 * Every accepted entry is a leaf, appended in the same batch as the entry
 * (store/tlog.h stores it; crypto/merkle.h hashes it). */

/* The committed log's size and root. */
void rsn_ingest_log_root(const rsn_ingest_t *self, uint64_t *size, uint8_t root[RSN_HASH_BYTES]);

/* --- for federation -------------------------------------------------------
 *
 * The digests of the committed state (daemon/digest.h says what they are),
 * and the forks (daemon/forks.h). */

/* The committed bucket digests (RSN_BUCKETS x 32 bytes, owned by SELF). */
const uint8_t (*rsn_ingest_buckets(const rsn_ingest_t *self))[32];

/* The committed root digest. */
void rsn_ingest_root(const rsn_ingest_t *self, uint8_t root[32]);

/* The effective head of AUTHOR as committed: *SEQ (0 when none), ID, and
 * *FROZEN. 0 or RSN_ERR_IO. */
RSN_NODISCARD int rsn_ingest_effective_head(rsn_ingest_t *self, const uint8_t author[32],
                                            uint64_t *seq, uint8_t id[32], bool *frozen);

/* The seq from which AUTHOR's feed is frozen by a fork (committed or
 * staged), or 0 when it is not. */
uint64_t rsn_ingest_frozen_at(rsn_ingest_t *self, const uint8_t author[32]);

/* Tests only: takes NOW_MS (ms since the epoch) as the time at which the
 * entries staged from now on are received (in 'I', daemon/clock.h), and as
 * now for their retention; 0 goes back to the wall clock. */
void rsn_ingest_set_clock(rsn_ingest_t *self, uint64_t now_ms);

/* The committed fork digest. */
void rsn_ingest_fork_root(const rsn_ingest_t *self, uint8_t root[32]);

/* Checks fork evidence received from a peer (a serialized ForkEvidence: two
 * different headers for one (author, seq), both signed by the author) and
 * stages it, freezing the feed. 0 (staged, or already held);
 * RSN_ERR_BAD_ENTRY, RSN_ERR_BAD_SIGNATURE, RSN_ERR_TOO_LARGE with WHY. */
RSN_NODISCARD int rsn_ingest_evidence(rsn_ingest_t *self, const uint8_t *bytes, size_t len,
                                      char *why, size_t why_size);

#endif
