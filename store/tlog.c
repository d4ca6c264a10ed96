/* tlog.c — the transparency log's storage: leaves ('L', 'I') and subtree
 * hashes ('T') in the store, the hashing left to crypto/merkle.c. */
#include "store/tlog.h"

#include "common/log.h"
#include "store/keys.h"

int rsn_tree_get(void *store, unsigned level, uint64_t index, uint8_t out[RSN_HASH_BYTES])
{
    uint8_t k[RSN_KEY_MAX];
    size_t kl = rsn_key_tree(k, level, index);
    return rsn_store_get_fixed(store, k, kl, out, RSN_HASH_BYTES);
}

int rsn_tlog_append(rsn_batch_t *batch, rsn_merkle_frontier_t *frontier,
                    const uint8_t id[RSN_ID_BYTES])
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
    uint8_t v[8];
    rsn_be64_put(v, index);
    kl = rsn_key_leaf_index(k, id);
    rsn_batch_put(batch, k, kl, v, sizeof v);
    for (size_t i = 0; i < n_nodes; i++) {
        kl = rsn_key_tree(k, nodes[i].level, nodes[i].index);
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

int rsn_tlog_leaf_index(rsn_store_t *store, const uint8_t id[RSN_ID_BYTES], uint64_t *index)
{
    uint8_t k[RSN_KEY_MAX];
    size_t kl = rsn_key_leaf_index(k, id);
    return rsn_store_get_u64(store, k, kl, index);
}
