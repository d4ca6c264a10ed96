/* digest.h — the anti-entropy digests of what a node holds.
 *
 * Federation compares feeds' effective heads: the head, or for a feed frozen
 * by a fork the entry just before the fork (seq 0 and no id when the fork is
 * at seq 1), so that two nodes that saw different branches still agree once
 * both hold the evidence. Each feed contributes SHA-256(author || seq (8,
 * big-endian) || id (32, zeros when seq is 0)) by XOR to the digest of its
 * bucket (the author's first byte); the root is the XOR of the 256 buckets.
 * Beside it, the fork digest is the XOR over held fork evidence of
 * SHA-256(author || seq (8, big-endian)), so two nodes see at once whether
 * they hold the same evidence. Both are kept in memory, as committed and as
 * staged: the write path (daemon/ingest.h) XORs contributions in and out as
 * it stages, and commits or rolls back with its batch. The committed digests
 * are persisted too ('b' keys, store/keys.h): the write path puts the
 * buckets that changed into the very batch that changes the heads they sum
 * (rsn_digest_stage), so start-up reads 257 keys instead of every feed's
 * head, and a crash never leaves them out of step with the heads. */
#ifndef RSN_D_DIGEST_H
#define RSN_D_DIGEST_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "crypto/crypto.h"
#include "store/store.h"

#define RSN_BUCKETS 256

typedef struct rsn_digest rsn_digest_t;

/* The effective head of AUTHOR (see above) as the write path sees it: *EXISTS
 * is false for an author of whom nothing is held. 0 or a negative rsn_err. */
typedef int (*rsn_digest_head_fn)(void *ctx, const uint8_t author[RSN_KEY_BYTES], bool *exists,
                                  uint64_t *seq, uint8_t id[RSN_ID_BYTES]);

/* Empty digests (all buckets zero), or NULL when out of memory. */
rsn_digest_t *rsn_digest_new(void);
void rsn_digest_destroy(rsn_digest_t **self_p);

/* Reads the persisted digests ('b' keys) of STORE into both the committed
 * and the staged digests: O(1), whatever the store holds. A store that holds
 * feeds but no 'b' key (damaged: a format-3 store always writes them with
 * the heads) is recomputed with rsn_digest_recompute, said in the log, and
 * the result persisted. 0, RSN_ERR_IO, RSN_ERR_NOMEM, or HEAD's error. */
RSN_NODISCARD int rsn_digest_load(rsn_digest_t *self, rsn_store_t *store, rsn_digest_head_fn head,
                                  void *ctx);

/* Computes the digests of what STORE holds by scanning it: the fork digest
 * from the 'F' keys, the buckets from every feed with a head ('H') or frozen
 * ('Z'), asking HEAD (with CTX; NULL: rsn_digest_store_head over STORE) for
 * each feed's effective head. Sets both the committed and the staged
 * digests. 0, RSN_ERR_NOMEM, or HEAD's error. O(feeds): for checks. */
RSN_NODISCARD int rsn_digest_recompute(rsn_digest_t *self, rsn_store_t *store,
                                       rsn_digest_head_fn head, void *ctx);

/* A rsn_digest_head_fn over what a store (CTX) holds, nothing staged: the
 * head 'H', cut back before the fork by 'Z' (through 'S'). */
RSN_NODISCARD int rsn_digest_store_head(void *ctx, const uint8_t author[RSN_KEY_BYTES],
                                        bool *exists, uint64_t *seq, uint8_t id[RSN_ID_BYTES]);

/* Compares STORE's persisted digests with a full recomputation from its
 * heads and evidence: *EQUAL. 0, RSN_ERR_NOMEM, RSN_ERR_IO. */
RSN_NODISCARD int rsn_digest_check_store(rsn_store_t *store, bool *equal);

/* Puts into BATCH the 'b' keys of the staged digests that differ from the
 * committed ones: called by the write path just before it writes the batch
 * that holds the staged heads. */
void rsn_digest_stage(const rsn_digest_t *self, rsn_batch_t *batch);

/* The contribution of one feed's effective head (ID may be NULL when SEQ is
 * 0). */
void rsn_digest_head_hash(const uint8_t author[RSN_KEY_BYTES], uint64_t seq, const uint8_t *id,
                          uint8_t out[RSN_HASH_BYTES]);

/* The contribution of one fork evidence to the fork digest. */
void rsn_digest_fork_hash(const uint8_t author[RSN_KEY_BYTES], uint64_t seq,
                          uint8_t out[RSN_HASH_BYTES]);

/* XORs the contribution of (AUTHOR, SEQ, ID) into the staged bucket of
 * AUTHOR: called once for the old head and once for the new, it swaps them. */
void rsn_digest_toggle(rsn_digest_t *self, const uint8_t author[RSN_KEY_BYTES], uint64_t seq,
                       const uint8_t *id);

/* XORs the contribution of fork evidence (AUTHOR, SEQ) into the staged fork
 * digest. */
void rsn_digest_toggle_fork(rsn_digest_t *self, const uint8_t author[RSN_KEY_BYTES], uint64_t seq);

/* The staged digests become the committed ones (the batch was written). */
void rsn_digest_commit(rsn_digest_t *self);

/* The staged digests go back to the committed ones (the batch was dropped). */
void rsn_digest_rollback(rsn_digest_t *self);

/* The committed bucket digests (RSN_BUCKETS x 32 bytes, owned by SELF). */
const uint8_t (*rsn_digest_buckets(const rsn_digest_t *self))[RSN_HASH_BYTES];

/* The committed root digest: the XOR of the buckets. */
void rsn_digest_root(const rsn_digest_t *self, uint8_t root[RSN_HASH_BYTES]);

/* The committed fork digest. */
void rsn_digest_fork_root(const rsn_digest_t *self, uint8_t root[RSN_HASH_BYTES]);

#endif
