/* tlog.c — the transparency log's storage: leaves ('L', 'I') and subtree
 * hashes ('T') in the store, the hashing left to crypto/merkle.c. Subtrees
 * below RSN_TREE_LEVEL_STORED are kept only while they are on the log's
 * right edge (its frontier, what a start reads back: at most one per level),
 * and deleted when a later leaf takes them off it: they were three quarters
 * of the 'T' keys, about 70 bytes an entry on disk. The others are hashed
 * again from their leaves' ids when a root or a proof asks for one. */
#include "store/tlog.h"

#include "common/log.h"
#include "store/keys.h"

int rsn_tree_get(void *store, unsigned level, uint64_t index, uint8_t out[RSN_HASH_BYTES])
{
    uint8_t k[RSN_KEY_MAX];
    size_t kl = rsn_key_tree(k, level, index);
    int rc = rsn_store_get_fixed(store, k, kl, out, RSN_HASH_BYTES);
    if (level >= RSN_TREE_LEVEL_STORED || rc != RSN_ERR_NOT_FOUND) {
        return rc; /* stored, or a subtree of the right edge */
    }
    if (level == 0) {
        uint8_t id[RSN_ID_BYTES];
        rc = rsn_tlog_leaf(store, index, id);
        if (rc == 0) {
            rsn_merkle_leaf_hash(out, id, RSN_ID_BYTES);
        }
        return rc;
    }
    uint8_t left[RSN_HASH_BYTES], right[RSN_HASH_BYTES];
    rc = rsn_tree_get(store, level - 1, index * 2, left);
    if (rc == 0) {
        rc = rsn_tree_get(store, level - 1, index * 2 + 1, right);
    }
    if (rc == 0) {
        rsn_merkle_node_hash(out, left, right);
    }
    return rc;
}

int rsn_tlog_append(rsn_batch_t *batch, rsn_merkle_frontier_t *frontier,
                    const uint8_t id[RSN_ID_BYTES], uint64_t received_ms)
{
    uint64_t index = rsn_merkle_frontier_size(frontier);
    uint8_t leaf_hash[RSN_HASH_BYTES];
    rsn_merkle_leaf_hash(leaf_hash, id, RSN_ID_BYTES);
    rsn_merkle_node_t nodes[RSN_MERKLE_MAX_DEPTH];
    size_t n_nodes = 0;
    if (rsn_merkle_frontier_append(frontier, leaf_hash, nodes, &n_nodes) < 0) {
        return RSN_ERR_INTERNAL;
    }
    uint8_t k[RSN_KEY_MAX];
    size_t kl = rsn_key_leaf(k, index);
    rsn_batch_put(batch, k, kl, id, RSN_ID_BYTES);
    uint8_t v[RSN_LEAF_INDEX_VALUE];
    rsn_be64_put(v, index);
    rsn_be64_put(v + 8, received_ms);
    kl = rsn_key_leaf_index(k, id);
    rsn_batch_put(batch, k, kl, v, sizeof v);
    const uint64_t size = index + 1;
    for (unsigned level = 0; level < RSN_TREE_LEVEL_STORED; level++) {
        /* the low subtree of the old right edge, unless it stays on it */
        bool stays = (size >> level) & 1 && (size >> level) == (index >> level);
        if ((index >> level) & 1 && !stays) {
            kl = rsn_key_tree(k, level, (index >> level) - 1);
            rsn_batch_delete(batch, k, kl);
        }
    }
    for (size_t i = 0; i < n_nodes; i++) {
        unsigned level = nodes[i].level;
        if (level < RSN_TREE_LEVEL_STORED &&
            !((size >> level) & 1 && nodes[i].index == (size >> level) - 1)) {
            continue; /* below the stored levels and off the right edge */
        }
        kl = rsn_key_tree(k, level, nodes[i].index);
        rsn_batch_put(batch, k, kl, nodes[i].hash, RSN_HASH_BYTES);
    }
    return 0;
}

int rsn_tlog_frontier_load(rsn_store_t *store, uint64_t size, rsn_merkle_frontier_t *frontier)
{
    if (rsn_merkle_frontier_load(frontier, rsn_tree_get, store, size) < 0) {
        rsn_error("store: the transparency log's right edge at size %llu is unreadable",
                  (unsigned long long)size);
        return RSN_ERR_IO;
    }
    return 0;
}

int rsn_tlog_root(rsn_store_t *store, uint64_t size, uint8_t root[RSN_HASH_BYTES])
{
    return rsn_merkle_root_at(rsn_tree_get, store, size, root);
}

int rsn_tlog_leaf(rsn_store_t *store, uint64_t index, uint8_t id[RSN_ID_BYTES])
{
    uint8_t k[RSN_KEY_MAX];
    size_t kl = rsn_key_leaf(k, index);
    return rsn_store_get_fixed(store, k, kl, id, RSN_ID_BYTES);
}

int rsn_tlog_lookup(rsn_store_t *store, const uint8_t id[RSN_ID_BYTES], uint64_t *index,
                    uint64_t *received_ms)
{
    uint8_t k[RSN_KEY_MAX], v[RSN_LEAF_INDEX_VALUE];
    size_t kl = rsn_key_leaf_index(k, id);
    int rc = rsn_store_get_fixed(store, k, kl, v, sizeof v);
    if (rc == 0) {
        if (index) {
            *index = rsn_be64_get(v);
        }
        if (received_ms) {
            *received_ms = rsn_be64_get(v + 8);
        }
    }
    return rc;
}

int rsn_tlog_leaf_index(rsn_store_t *store, const uint8_t id[RSN_ID_BYTES], uint64_t *index)
{
    return rsn_tlog_lookup(store, id, index, NULL);
}
