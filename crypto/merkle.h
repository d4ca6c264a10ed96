/* merkle.h — RFC 9162 Merkle tree hashing, proofs and their verification.
 *
 * The node's transparency log is an RFC 9162 tree (leaf hash SHA-256(0x00 ||
 * data), node hash SHA-256(0x01 || left || right); in raison a leaf's data is
 * the 32-byte entry id). This module is pure computation: it never sees the
 * storage. The caller persists the hash of every COMPLETE aligned subtree of
 * the log under (level, index) — level 0 holds the leaf hashes (index = leaf
 * index), and the node at level k, index i covers leaves [i*2^k, (i+1)*2^k) —
 * and lends them back through a rsn_merkle_get_fn callback. With those, an
 * append, a root of any past size, an inclusion proof and a consistency proof
 * all cost O(log n) reads (O(log^2 n) hashes at worst): no step reads the
 * whole log.
 *
 * Sizes and indexes are uint64_t but must fit a signed 64-bit integer (as in
 * RFC 9162 tooling): larger values are RSN_ERR_INVALID_ARG.
 *
 * Errors: RSN_ERR_INVALID_ARG for impossible sizes, indexes or lengths (a
 * malformed request or proof); RSN_ERR_CRYPTO for a well-formed proof that
 * does not verify; any error a callback returns is passed through unchanged. */
#ifndef RSN_MERKLE_H
#define RSN_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "crypto/crypto.h"

/* The most hashes in a proof, and the most nodes one append creates. */
#define RSN_MERKLE_MAX_DEPTH 64

/* The largest tree size (and leaf index + 1) this module accepts. */
#define RSN_MERKLE_MAX_SIZE ((uint64_t)INT64_MAX)

/* Reads the stored hash of the complete subtree at LEVEL, INDEX into OUT.
 * Returns 0, or a negative rsn_err (typically RSN_ERR_NOT_FOUND or
 * RSN_ERR_IO) that the calling function returns as is. The module only asks
 * for nodes that are complete in the tree sizes it was given. */
typedef int (*rsn_merkle_get_fn)(void *ctx, unsigned level, uint64_t index,
                                 uint8_t out[RSN_HASH_BYTES]);

/* A complete subtree that an append created, for the caller to store. */
typedef struct {
    unsigned level;
    uint64_t index;
    uint8_t hash[RSN_HASH_BYTES];
} rsn_merkle_node_t;

/* The right edge of a tree: the hashes of its complete subtrees, one per set
 * bit of its size (hash[k] is the subtree at level k when bit k of size is
 * set). A plain value, no allocation: copy it, keep it on the stack. The
 * fields are the module's; use the functions below. */
typedef struct {
    uint64_t size;
    uint8_t hash[RSN_MERKLE_MAX_DEPTH][RSN_HASH_BYTES];
} rsn_merkle_frontier_t;

/* A proof: up to RSN_MERKLE_MAX_DEPTH hashes, leaf side first. */
typedef uint8_t rsn_merkle_proof_t[RSN_MERKLE_MAX_DEPTH][RSN_HASH_BYTES];

/* OUT = SHA-256(0x00 || DATA): the hash of a leaf. */
void rsn_merkle_leaf_hash(uint8_t out[RSN_HASH_BYTES], const void *data, size_t len) RSN_NONNULL(1);

/* OUT = SHA-256(0x01 || LEFT || RIGHT): the hash of an inner node. OUT may
 * alias LEFT or RIGHT. */
void rsn_merkle_node_hash(uint8_t out[RSN_HASH_BYTES], const uint8_t left[RSN_HASH_BYTES],
                          const uint8_t right[RSN_HASH_BYTES]) RSN_NONNULL(1, 2, 3);

/* Sets F to the empty tree (size 0). */
void rsn_merkle_frontier_init(rsn_merkle_frontier_t *f) RSN_NONNULL(1);

/* Sets F to the tree of SIZE leaves, reading its right-edge subtrees through
 * GET (at most 64 reads). 0, RSN_ERR_INVALID_ARG for a size above
 * RSN_MERKLE_MAX_SIZE, or GET's error (F is then left empty). */
RSN_NODISCARD int rsn_merkle_frontier_load(rsn_merkle_frontier_t *f, rsn_merkle_get_fn get,
                                           void *ctx, uint64_t size) RSN_NONNULL(1, 2);

/* Appends the leaf whose hash is LEAF_HASH (see rsn_merkle_leaf_hash). Writes
 * into NODES the complete subtrees this creates — first the leaf itself at
 * (0, old size), then each parent it completes — and their count into
 * *N_NODES (1 to RSN_MERKLE_MAX_DEPTH), for the caller to store in the same
 * write batch as the entry. 0, or RSN_ERR_INVALID_ARG when the tree is full
 * (size RSN_MERKLE_MAX_SIZE); F is unchanged on error. */
RSN_NODISCARD int rsn_merkle_frontier_append(rsn_merkle_frontier_t *f,
                                             const uint8_t leaf_hash[RSN_HASH_BYTES],
                                             rsn_merkle_node_t nodes[RSN_MERKLE_MAX_DEPTH],
                                             size_t *n_nodes) RSN_NONNULL(1, 2, 3, 4);

/* The number of leaves in F. */
uint64_t rsn_merkle_frontier_size(const rsn_merkle_frontier_t *f) RSN_NONNULL(1);

/* OUT = the root hash of F's tree (SHA-256 of the empty string for the empty
 * tree), in O(log n) hashes and no reads. */
void rsn_merkle_frontier_root(const rsn_merkle_frontier_t *f, uint8_t out[RSN_HASH_BYTES])
    RSN_NONNULL(1, 2);

/* OUT = the root hash of the tree of the first SIZE leaves (any size the
 * stored log has reached), from the stored complete subtrees: at most 64
 * reads. 0, RSN_ERR_INVALID_ARG for a size above RSN_MERKLE_MAX_SIZE, or
 * GET's error. */
RSN_NODISCARD int rsn_merkle_root_at(rsn_merkle_get_fn get, void *ctx, uint64_t size,
                                     uint8_t out[RSN_HASH_BYTES]) RSN_NONNULL(1, 4);

/* The RFC 9162 inclusion proof (2.1.3.1, PATH) of leaf LEAF_INDEX in the tree
 * of TREE_SIZE leaves, into PROOF with its length in *N (0 for a tree of one
 * leaf). 0, RSN_ERR_INVALID_ARG unless LEAF_INDEX < TREE_SIZE <=
 * RSN_MERKLE_MAX_SIZE, or GET's error. */
RSN_NODISCARD int rsn_merkle_inclusion_proof(rsn_merkle_get_fn get, void *ctx, uint64_t leaf_index,
                                             uint64_t tree_size, rsn_merkle_proof_t proof,
                                             size_t *n) RSN_NONNULL(1, 5, 6);

/* The RFC 9162 consistency proof (2.1.4.1, PROOF = SUBPROOF(m, D[n], true))
 * that the tree of NEW_SIZE leaves extends the tree of OLD_SIZE leaves, into
 * PROOF with its length in *N (0 when the sizes are equal). 0,
 * RSN_ERR_INVALID_ARG unless 0 < OLD_SIZE <= NEW_SIZE <= RSN_MERKLE_MAX_SIZE
 * (there is nothing to prove from the empty tree), or GET's error. */
RSN_NODISCARD int rsn_merkle_consistency_proof(rsn_merkle_get_fn get, void *ctx, uint64_t old_size,
                                               uint64_t new_size, rsn_merkle_proof_t proof,
                                               size_t *n) RSN_NONNULL(1, 5, 6);

/* Verifies an inclusion proof exactly as RFC 9162 2.1.3.2: that the leaf of
 * hash LEAF_HASH sits at LEAF_INDEX in the tree of TREE_SIZE leaves whose root
 * is ROOT (ROOT_LEN bytes, compared byte for byte). PROOF holds N hashes;
 * callers decoding a proof from outside must reject an element that is not
 * RSN_HASH_BYTES long as malformed. 0 when it verifies; RSN_ERR_INVALID_ARG
 * unless LEAF_INDEX < TREE_SIZE <= RSN_MERKLE_MAX_SIZE, LEAF_HASH_LEN and
 * ROOT_LEN are RSN_HASH_BYTES and N <= RSN_MERKLE_MAX_DEPTH; RSN_ERR_CRYPTO
 * when the proof does not lead to ROOT. */
RSN_NODISCARD int rsn_merkle_verify_inclusion(const uint8_t *leaf_hash, size_t leaf_hash_len,
                                              uint64_t leaf_index, uint64_t tree_size,
                                              const uint8_t (*proof)[RSN_HASH_BYTES], size_t n,
                                              const uint8_t *root, size_t root_len);

/* Verifies a consistency proof exactly as RFC 9162 2.1.4.2: that the tree of
 * NEW_SIZE leaves with root NEW_ROOT extends the tree of OLD_SIZE leaves with
 * root OLD_ROOT. Roots are compared byte for byte with their lengths: when
 * the sizes are equal the proof must be empty and the roots the same bytes
 * (of any length); otherwise each root must be RSN_HASH_BYTES long. PROOF
 * holds N hashes (elements of another length are malformed: see
 * rsn_merkle_verify_inclusion). 0 when it verifies; RSN_ERR_INVALID_ARG
 * unless 0 < OLD_SIZE <= NEW_SIZE <= RSN_MERKLE_MAX_SIZE, for a root of the
 * wrong length or N > RSN_MERKLE_MAX_DEPTH; RSN_ERR_CRYPTO when the proof does
 * not verify (an empty proof between different sizes included). */
RSN_NODISCARD int rsn_merkle_verify_consistency(uint64_t old_size, uint64_t new_size,
                                                const uint8_t *old_root, size_t old_root_len,
                                                const uint8_t *new_root, size_t new_root_len,
                                                const uint8_t (*proof)[RSN_HASH_BYTES], size_t n);

#endif
