/* d_ingest.h — the write path: the feed rule, and staged group commits.
 *
 * Every entry, whatever its origin, goes through rsn_ingest_stage: size
 * limits, header structure, duplicate lookup by id (a duplicate costs no
 * signature check), the signature, the body against its hash, then the feed
 * rule (seq = head + 1, prev = head id; a second entry for a held (author,
 * seq) is a fork: the evidence is staged and the feed frozen). A client's own
 * publish (LOCAL) must also carry its body and pass the semantic rules
 * (d_views.h) before anything is staged. Staged entries of several calls
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
#include "store/store.h"

typedef struct rsn_ingest rsn_ingest_t;

/* Most entries one batch may stage before it must be committed. */
#define RSN_INGEST_BATCH_MAX 2048

typedef struct {
    uint8_t id[32];
    uint64_t seq;
    bool duplicate; /* already held (or staged): nothing new staged */
} rsn_ingest_result_t;

/* A write path over STORE (not owned); reads the counters. 0 and *OUT,
 * RSN_ERR_NOMEM or RSN_ERR_IO. */
RSN_NODISCARD int rsn_ingest_new(rsn_ingest_t **out, rsn_store_t *store);
void rsn_ingest_destroy(rsn_ingest_t **self_p);

/* Checks one signed entry and stages it. BODY may be NULL (HAS_BODY false)
 * for an entry whose body was erased; a LOCAL publish needs its body. Returns
 * 0 and RES; or RSN_ERR_TOO_LARGE, RSN_ERR_BAD_ENTRY, RSN_ERR_BAD_SIGNATURE,
 * RSN_ERR_BODY_MISMATCH, RSN_ERR_FEED_FROZEN, RSN_ERR_BAD_SEQ,
 * RSN_ERR_BAD_PREV, RSN_ERR_FORK (evidence staged: commit it), or a semantic
 * rule's code for LOCAL (when a rule fails and entries are staged, the batch
 * is committed and the rule checked again, since the entry may depend on
 * one of them); WHY gets a sentence for people. Nothing is staged
 * on error, except fork evidence. RSN_ERR_BUSY when the batch is full. */
RSN_NODISCARD int rsn_ingest_stage(rsn_ingest_t *self, const uint8_t *entry, size_t entry_len,
                                   const uint8_t *signature, size_t signature_len,
                                   const uint8_t *body, size_t body_len, bool has_body,
                                   bool local, rsn_ingest_result_t *res, char *why,
                                   size_t why_size);

/* One entry handed to rsn_ingest_preverify. */
typedef struct {
    const uint8_t *entry;
    size_t entry_len;
    const uint8_t *signature;
    size_t signature_len;
} rsn_ingest_input_t;

/* Checks the signatures of N entries (at most RSN_INGEST_BATCH_MAX) ahead of
 * rsn_ingest_stage, on every core, so that staging them one by one costs no
 * verification. Entries that do not decode or are held already are skipped;
 * those that fail are left for rsn_ingest_stage to refuse. What was verified
 * (entry id and signature together) is remembered until the next call. */
void rsn_ingest_preverify(rsn_ingest_t *self, const rsn_ingest_input_t *in, size_t n);

/* Entries (and evidence) staged and not yet committed. */
size_t rsn_ingest_pending(const rsn_ingest_t *self);

/* Writes the staged batch durably (sync) and clears it. 0 or RSN_ERR_IO (the
 * staged entries are then dropped: none was acknowledged). */
RSN_NODISCARD int rsn_ingest_commit(rsn_ingest_t *self);

/* True when a commit failed since the last call (one inside
 * rsn_ingest_stage included): replies promised for staged entries must then
 * become errors. Clears the flag. */
bool rsn_ingest_take_failure(rsn_ingest_t *self);

/* Ids of the entries stored by the commits since the last
 * rsn_ingest_committed_clear, in order (for subscriptions and, later,
 * gossip). The array is owned by SELF. */
const uint8_t (*rsn_ingest_committed(const rsn_ingest_t *self, size_t *count))[32];
void rsn_ingest_committed_clear(rsn_ingest_t *self);

/* Fork evidences stored by the commits since rsn_ingest_committed_clear
 * (to gossip them); owned by SELF. */
typedef struct {
    uint8_t author[32];
    uint64_t seq;
} rsn_fork_ref_t;
const rsn_fork_ref_t *rsn_ingest_committed_forks(const rsn_ingest_t *self, size_t *count);

/* What the store holds, kept current by every commit. */
typedef struct {
    uint64_t entries; /* entries accepted under the feed rule */
    uint64_t authors; /* feeds */
    uint64_t groups;  /* charter v1 entries */
    uint64_t forks;   /* fork evidences */
    uint64_t leaves;  /* transparency log size */
} rsn_counts_t;

void rsn_ingest_counts(const rsn_ingest_t *self, rsn_counts_t *out);

/* --- the transparency log ---------------------------------------------------
 *
 * Every accepted entry is a leaf (leaf hash SHA-256(0x00 || id), RFC 9162),
 * appended in the same batch as the entry; the hashes of the complete
 * subtrees it completes are stored under 'T' (store/keys.h), so roots and
 * proofs of any size cost O(log n) reads (crypto/merkle.h). */

/* A rsn_merkle_get_fn over a rsn_store_t* (CTX): reads a 'T' subtree hash. */
int rsn_tree_get(void *store, unsigned level, uint64_t index, uint8_t out[32]);

/* The committed log's size and root. */
void rsn_ingest_log_root(const rsn_ingest_t *self, uint64_t *size, uint8_t root[32]);

/* --- for federation -------------------------------------------------------
 *
 * Anti-entropy compares feeds' effective heads: the head, or for a feed
 * frozen by a fork the entry just before the fork (seq 0 and no id when the
 * fork is at seq 1), so that two nodes that saw different branches still
 * agree once both hold the evidence. Each feed contributes
 * SHA-256(author || seq (8, big-endian) || id (32, zeros when seq is 0)) by
 * XOR to the digest of its bucket (the author's first byte); the root is the
 * XOR of the 256 buckets. Kept in memory, computed at start from the heads
 * (not the log), updated by every commit. */

#define RSN_BUCKETS 256

/* The contribution of one feed's effective head (ID may be NULL when SEQ
 * is 0). */
void rsn_ingest_head_hash(const uint8_t author[32], uint64_t seq, const uint8_t *id,
                          uint8_t out[32]);

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

/* The fork digest: the XOR over held fork evidence of SHA-256(author ||
 * seq (8, big-endian)), so two nodes see at once whether they hold the same
 * evidence. */
void rsn_ingest_fork_hash(const uint8_t author[32], uint64_t seq, uint8_t out[32]);
void rsn_ingest_fork_root(const rsn_ingest_t *self, uint8_t root[32]);

/* Checks fork evidence received from a peer (a serialized ForkEvidence: two
 * different headers for one (author, seq), both signed by the author) and
 * stages it, freezing the feed. 0 (staged, or already held);
 * RSN_ERR_BAD_ENTRY, RSN_ERR_BAD_SIGNATURE, RSN_ERR_TOO_LARGE with WHY. */
RSN_NODISCARD int rsn_ingest_evidence(rsn_ingest_t *self, const uint8_t *bytes, size_t len,
                                      char *why, size_t why_size);

#endif
