/* tlog_test.c — the transparency log's storage (store/tlog.h) against its
 * hashing (crypto/merkle.h): a log stored, the store closed and reopened,
 * then its leaves, roots and proofs read back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/crypto.h"
#include "crypto/merkle.h"
#include "store/keys.h"
#include "store/store.h"
#include "store/tlog.h"
#include "support/files.h"

#define LEAVES 13 /* not a power of two: the right edge has several subtrees */

typedef struct {
    char dir[RSN_TEST_DIR_MAX];
    rsn_store_t *store;
    uint8_t ids[LEAVES][RSN_ID_BYTES];
    uint8_t roots[LEAVES + 1][RSN_HASH_BYTES]; /* roots[k]: root of the first k leaves */
} fx_t;

/* Stores LEAVES leaves (ids SHA-256 of their index) in one batch, with the
 * roots computed in memory beside, then reopens the store. */
static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    if (!f || rsn_crypto_init() != 0) {
        return -1;
    }
    if (rsn_test_tmpdir_make(f->dir, sizeof f->dir, "rsn-tlog") != 0 ||
        rsn_store_open(&f->store, f->dir) != 0) {
        return -1;
    }
    rsn_batch_t *batch = rsn_batch_new();
    rsn_merkle_frontier_t stored, memory;
    rsn_merkle_frontier_init(&stored);
    rsn_merkle_frontier_init(&memory);
    rsn_merkle_frontier_root(&memory, f->roots[0]);
    for (uint64_t i = 0; i < LEAVES; i++) {
        uint8_t n[8];
        rsn_be64_put(n, i);
        rsn_sha256(f->ids[i], n, sizeof n);
        if (rsn_tlog_append(batch, &stored, f->ids[i], 0) != 0) {
            return -1;
        }
        uint8_t leaf[RSN_HASH_BYTES];
        rsn_merkle_node_t nodes[RSN_MERKLE_MAX_DEPTH];
        size_t n_nodes = 0;
        rsn_merkle_leaf_hash(leaf, f->ids[i], RSN_ID_BYTES);
        if (rsn_merkle_frontier_append(&memory, leaf, nodes, &n_nodes) != 0) {
            return -1;
        }
        rsn_merkle_frontier_root(&memory, f->roots[i + 1]);
    }
    if (rsn_merkle_frontier_size(&stored) != LEAVES ||
        rsn_store_write(f->store, batch, true) != 0) {
        return -1;
    }
    rsn_batch_destroy(&batch);
    rsn_store_destroy(&f->store);
    if (rsn_store_open(&f->store, f->dir) != 0) {
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    rsn_store_destroy(&f->store);
    (void)rsn_test_tmpdir_remove(f->dir);
    free(f);
    return 0;
}

static void test_leaves_read_back(void **state)
{
    fx_t *f = *state;
    for (uint64_t i = 0; i < LEAVES; i++) {
        uint8_t id[RSN_ID_BYTES];
        uint64_t index = UINT64_MAX;
        assert_int_equal(rsn_tlog_leaf(f->store, i, id), 0);
        assert_memory_equal(id, f->ids[i], RSN_ID_BYTES);
        assert_int_equal(rsn_tlog_leaf_index(f->store, f->ids[i], &index), 0);
        assert_int_equal(index, i);
    }
    uint8_t id[RSN_ID_BYTES], other[RSN_ID_BYTES] = {0};
    uint64_t index = 0;
    assert_int_equal(rsn_tlog_leaf(f->store, LEAVES, id), RSN_ERR_NOT_FOUND);
    assert_int_equal(rsn_tlog_leaf_index(f->store, other, &index), RSN_ERR_NOT_FOUND);
}

static void test_roots_match_memory(void **state)
{
    fx_t *f = *state;
    /* the root of one leaf is its leaf hash, SHA-256(0x00 || id) */
    uint8_t buf[1 + RSN_ID_BYTES] = {0x00}, one[RSN_HASH_BYTES];
    memcpy(buf + 1, f->ids[0], RSN_ID_BYTES);
    rsn_sha256(one, buf, sizeof buf);
    assert_memory_equal(f->roots[1], one, RSN_HASH_BYTES);
    for (uint64_t size = 1; size <= LEAVES; size++) {
        uint8_t root[RSN_HASH_BYTES];
        assert_int_equal(rsn_tlog_root(f->store, size, root), 0);
        assert_memory_equal(root, f->roots[size], RSN_HASH_BYTES);
    }
    /* no subtree beyond the log is stored */
    uint8_t h[RSN_HASH_BYTES];
    assert_int_equal(rsn_tree_get(f->store, 0, LEAVES, h), RSN_ERR_NOT_FOUND);
    assert_int_equal(rsn_tree_get(f->store, 0, LEAVES - 1, h), 0);
    rsn_merkle_leaf_hash(buf, f->ids[LEAVES - 1], RSN_ID_BYTES);
    assert_memory_equal(h, buf, RSN_HASH_BYTES);
}

static void test_frontier_reloads(void **state)
{
    fx_t *f = *state;
    rsn_merkle_frontier_t log;
    assert_int_equal(rsn_tlog_frontier_load(f->store, LEAVES, &log), 0);
    assert_int_equal(rsn_merkle_frontier_size(&log), LEAVES);
    uint8_t root[RSN_HASH_BYTES];
    rsn_merkle_frontier_root(&log, root);
    assert_memory_equal(root, f->roots[LEAVES], RSN_HASH_BYTES);
    /* appending after a reopen continues the same log */
    rsn_batch_t *batch = rsn_batch_new();
    uint8_t id[RSN_ID_BYTES];
    memset(id, 0xab, sizeof id);
    assert_int_equal(rsn_tlog_append(batch, &log, id, 0), 0);
    assert_int_equal(rsn_batch_count(batch), 2 + 2); /* L, I, and 'T' at (0, 13), (1, 6) */
    assert_int_equal(rsn_store_write(f->store, batch, true), 0);
    rsn_batch_destroy(&batch);
    uint64_t index = 0;
    assert_int_equal(rsn_tlog_leaf_index(f->store, id, &index), 0);
    assert_int_equal(index, LEAVES);
    uint8_t stored[RSN_HASH_BYTES];
    rsn_merkle_frontier_root(&log, root);
    assert_int_equal(rsn_tlog_root(f->store, LEAVES + 1, stored), 0);
    assert_memory_equal(stored, root, RSN_HASH_BYTES);
    /* a size whose right edge was never stored is an error, not a root */
    assert_int_equal(rsn_tlog_frontier_load(f->store, LEAVES + 5, &log), RSN_ERR_IO);
}

static void test_proofs_verify(void **state)
{
    fx_t *f = *state;
    rsn_merkle_proof_t proof;
    size_t n = 0;
    for (uint64_t i = 0; i < LEAVES; i++) {
        uint8_t leaf[RSN_HASH_BYTES];
        rsn_merkle_leaf_hash(leaf, f->ids[i], RSN_ID_BYTES);
        assert_int_equal(rsn_merkle_inclusion_proof(rsn_tree_get, f->store, i, LEAVES, proof, &n),
                         0);
        assert_int_equal(rsn_merkle_verify_inclusion(leaf, RSN_HASH_BYTES, i, LEAVES,
                                                     (const uint8_t(*)[RSN_HASH_BYTES])proof, n,
                                                     f->roots[LEAVES], RSN_HASH_BYTES),
                         0);
    }
    for (uint64_t old = 1; old <= LEAVES; old++) {
        assert_int_equal(
            rsn_merkle_consistency_proof(rsn_tree_get, f->store, old, LEAVES, proof, &n), 0);
        assert_int_equal(rsn_merkle_verify_consistency(old, LEAVES, f->roots[old], RSN_HASH_BYTES,
                                                       f->roots[LEAVES], RSN_HASH_BYTES,
                                                       (const uint8_t(*)[RSN_HASH_BYTES])proof, n),
                         0);
    }
    /* a proof against another root fails */
    assert_int_equal(rsn_merkle_consistency_proof(rsn_tree_get, f->store, 5, LEAVES, proof, &n), 0);
    assert_int_equal(rsn_merkle_verify_consistency(5, LEAVES, f->roots[4], RSN_HASH_BYTES,
                                                   f->roots[LEAVES], RSN_HASH_BYTES,
                                                   (const uint8_t(*)[RSN_HASH_BYTES])proof, n),
                     RSN_ERR_CRYPTO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_leaves_read_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_roots_match_memory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_frontier_reloads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_proofs_verify, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
