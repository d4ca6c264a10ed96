/* fake_log.c — a small transparency log in memory (support/fake_log.h).
 *
 * The complete subtrees are kept in a table by level and index, as the
 * store keeps them ('T' keys), and crypto/merkle reads them through its
 * get callback. */
#include "support/fake_log.h"

#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "proto/codec.h"

#define LEVELS 9 /* 2^8 = RSN_TEST_LOG_MAX leaves */

struct rsn_test_log {
    uint64_t size;
    uint8_t nodes[LEVELS][RSN_TEST_LOG_MAX][RSN_HASH_BYTES];
};

static int get_node(void *ctx, unsigned level, uint64_t index, uint8_t out[RSN_HASH_BYTES])
{
    rsn_test_log_t *log = ctx;
    if (level >= LEVELS || index >= RSN_TEST_LOG_MAX) {
        return RSN_ERR_NOT_FOUND;
    }
    memcpy(out, log->nodes[level][index], RSN_HASH_BYTES);
    return 0;
}

rsn_test_log_t *rsn_test_log_new(uint64_t size, uint8_t salt)
{
    if (size > RSN_TEST_LOG_MAX) {
        return NULL;
    }
    rsn_test_log_t *log = calloc(1, sizeof *log);
    if (!log) {
        return NULL;
    }
    rsn_merkle_frontier_t f;
    rsn_merkle_frontier_init(&f);
    for (uint64_t i = 0; i < size; i++) {
        uint8_t data[9] = {salt};
        for (int b = 0; b < 8; b++) {
            data[1 + b] = (uint8_t)(i >> (56 - 8 * b));
        }
        uint8_t leaf[RSN_HASH_BYTES];
        rsn_merkle_leaf_hash(leaf, data, sizeof data);
        rsn_merkle_node_t made[RSN_MERKLE_MAX_DEPTH];
        size_t n = 0;
        if (rsn_merkle_frontier_append(&f, leaf, made, &n) != 0) {
            free(log);
            return NULL;
        }
        for (size_t k = 0; k < n; k++) {
            memcpy(log->nodes[made[k].level][made[k].index], made[k].hash, RSN_HASH_BYTES);
        }
    }
    log->size = size;
    return log;
}

void rsn_test_log_destroy(rsn_test_log_t **log_p)
{
    if (log_p) {
        free(*log_p);
        *log_p = NULL;
    }
}

int rsn_test_log_root(rsn_test_log_t *log, uint64_t size, uint8_t root[RSN_HASH_BYTES])
{
    if (size > log->size) {
        return RSN_ERR_INVALID_ARG;
    }
    return rsn_merkle_root_at(get_node, log, size, root);
}

int rsn_test_log_prove(rsn_test_log_t *log, uint64_t old_size, uint64_t new_size,
                       rsn_merkle_proof_t proof, size_t *n)
{
    if (new_size > log->size) {
        return RSN_ERR_INVALID_ARG;
    }
    return rsn_merkle_consistency_proof(get_node, log, old_size, new_size, proof, n);
}

int rsn_test_log_proof_frame(rsn_test_log_t *log, rsn_arena_t *arena, uint64_t old_size,
                             uint64_t new_size, uint8_t **frame, size_t *len)
{
    rsn_merkle_proof_t proof;
    size_t n = 0;
    int rc = rsn_test_log_prove(log, old_size, new_size, proof, &n);
    if (rc != 0) {
        return rc;
    }
    ProtobufCBinaryData hashes[RSN_MERKLE_MAX_DEPTH];
    for (size_t i = 0; i < n; i++) {
        hashes[i].data = proof[i];
        hashes[i].len = RSN_HASH_BYTES;
    }
    Raison__ConsistencyProof cp = RAISON__CONSISTENCY_PROOF__INIT;
    cp.old_size = old_size;
    cp.new_size = new_size;
    cp.proof = hashes;
    cp.n_proof = n;
    Raison__FedFrame f = RAISON__FED_FRAME__INIT;
    f.msg_case = RAISON__FED_FRAME__MSG_CONSISTENCY_PROOF;
    f.consistency_proof = &cp;
    return rsn_pack(arena, &f.base, frame, len);
}
