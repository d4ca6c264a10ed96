/* tlog.h — the transparency log's storage: its leaves and subtree hashes.
 *
 * Every accepted entry is a leaf of the node's log (leaf hash SHA-256(0x00 ||
 * id), RFC 9162). This module owns where the log lives in the store: the id
 * of each leaf in order ('L'), the leaf index of each entry with the time
 * this node received it ('I'), and the hash of every complete subtree of
 * RSN_TREE_LEVEL_STORED levels and more ('T', store/keys.h), with the lower
 * ones of the log's right edge, written in the same batch as the entry, so
 * that a start reads the edge back from 'T' alone and roots and proofs of
 * any size cost O(log n) reads (a lower subtree off the edge is hashed from
 * at most 2^level - 1 'L' leaves). The hashing itself is crypto/merkle.h's; this module only stores
 * and reads what it computes. */
#ifndef RSN_TLOG_H
#define RSN_TLOG_H

#include <stdint.h>

#include "common/err.h"
#include "crypto/crypto.h"
#include "crypto/merkle.h"
#include "store/store.h"

/* A rsn_merkle_get_fn over a rsn_store_t* (STORE): the hash of the complete
 * subtree at LEVEL, INDEX: its 'T' key, or (below RSN_TREE_LEVEL_STORED,
 * off the right edge) hashed from its leaves. 0, RSN_ERR_NOT_FOUND,
 * RSN_ERR_IO. */
int rsn_tree_get(void *store, unsigned level, uint64_t index, uint8_t out[RSN_HASH_BYTES]);

/* Appends entry ID, received at RECEIVED_MS, as the next leaf of the log
 * whose right edge is FRONTIER (its size is the new leaf's index): stages
 * into BATCH the leaf ('L'), the entry's leaf index and received time ('I')
 * and the stored subtree hashes the leaf completes ('T'; the deletes of the
 * low ones it takes off the right edge), and advances
 * FRONTIER. 0, or RSN_ERR_INTERNAL when the log is full (nothing staged,
 * FRONTIER unchanged). */
RSN_NODISCARD int rsn_tlog_append(rsn_batch_t *batch, rsn_merkle_frontier_t *frontier,
                                  const uint8_t id[RSN_ID_BYTES], uint64_t received_ms);

/* Sets *FRONTIER to the stored log of SIZE leaves, from its right-edge
 * subtree hashes. 0, or RSN_ERR_IO (with a log line) when they are
 * unreadable. */
RSN_NODISCARD int rsn_tlog_frontier_load(rsn_store_t *store, uint64_t size,
                                         rsn_merkle_frontier_t *frontier);

/* The root of the stored log's first SIZE leaves, from the stored subtree
 * hashes. 0, or the store's error (RSN_ERR_NOT_FOUND when a hash is
 * missing), RSN_ERR_INVALID_ARG for an impossible size. */
RSN_NODISCARD int rsn_tlog_root(rsn_store_t *store, uint64_t size, uint8_t root[RSN_HASH_BYTES]);

/* The id of leaf INDEX. 0, RSN_ERR_NOT_FOUND, RSN_ERR_IO. */
RSN_NODISCARD int rsn_tlog_leaf(rsn_store_t *store, uint64_t index, uint8_t id[RSN_ID_BYTES]);

/* The leaf index of entry ID. 0, RSN_ERR_NOT_FOUND (not in the log),
 * RSN_ERR_IO. */
RSN_NODISCARD int rsn_tlog_leaf_index(rsn_store_t *store, const uint8_t id[RSN_ID_BYTES],
                                      uint64_t *index);

/* The leaf index of entry ID and when this node received it (ms; either
 * pointer may be NULL): one read of 'I'. As rsn_tlog_leaf_index. */
RSN_NODISCARD int rsn_tlog_lookup(rsn_store_t *store, const uint8_t id[RSN_ID_BYTES],
                                  uint64_t *index, uint64_t *received_ms);

#endif
