/* keys_test.c — the store's format 3 (store/keys.h, docs/store.md "Format
 * 3"): entries named by their 8-byte log index wherever a key or value only
 * points at one. The key builders give the documented lengths and put the
 * index where the RSN_KEYOFF_* names say, in byte order = numeric order; an
 * index scan reads the index back (rsn_index_n); 'I' holds the leaf index
 * and the received time ('A' is gone); the subtrees below
 * RSN_TREE_LEVEL_STORED are not stored but rsn_tree_get still gives them;
 * and a folder of format 2 (or 1) is refused with a message that names both
 * formats and says there is no migration. Each test works in its own fresh
 * folder under /tmp. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <unistd.h>

#include "common/log.h"
#include "crypto/merkle.h"
#include "store/keys.h"
#include "store/store.h"
#include "store/tlog.h"
#include "support/files.h"

/* each test's fresh folder and its store (setup, teardown) */
static char dir[RSN_TEST_DIR_MAX];
static rsn_store_t *store;

static int setup(void **state)
{
    (void)state;
    bool made = rsn_test_tmpdir_make(dir, sizeof dir, "rsn-keys") == 0;
    return made && rsn_store_open(&store, dir) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    rsn_store_destroy(&store);
    return rsn_test_tmpdir_remove(dir) == 0 ? 0 : -1;
}

static void put(const uint8_t *k, size_t kl, const void *v, size_t vl)
{
    rsn_batch_t *b = rsn_batch_new();
    assert_non_null(b);
    rsn_batch_put(b, k, kl, v, vl);
    assert_int_equal(rsn_store_write(store, b, true), 0);
    rsn_batch_destroy(&b);
}

static void test_key_shapes(void **state)
{
    (void)state;
    uint8_t k[RSN_KEY_MAX], a[32], group[32];
    memset(a, 0x11, sizeof a);
    memset(group, 0x22, sizeof group);
    const uint64_t index = 0x0102030405060708ULL, ts = 0x1112131415161718ULL;

    assert_int_equal(rsn_key_entry(k, index), RSN_KEYLEN_N);
    assert_int_equal(k[0], 'E');
    assert_int_equal(rsn_be64_get(k + 1), index);
    assert_int_equal(rsn_key_body(k, index), RSN_KEYLEN_N);
    assert_int_equal(k[0], 'B');
    assert_int_equal(rsn_be64_get(k + 1), index);

    assert_int_equal(rsn_key_group_post(k, group, ts, index), RSN_KEYLEN_ID_N_N);
    assert_int_equal(RSN_KEYLEN_ID_N_N, 49);
    assert_int_equal(k[0], 'P');
    assert_memory_equal(k + 1, group, 32);
    assert_int_equal(rsn_be64_get(k + RSN_KEYLEN_ID), ts);
    assert_int_equal(rsn_be64_get(k + RSN_KEYOFF_ID_N_N), index);
    assert_int_equal(rsn_key_group_membership(k, group, ts, index), RSN_KEYLEN_ID_N_N);
    assert_int_equal(k[0], 'M');
    assert_int_equal(rsn_be64_get(k + RSN_KEYOFF_ID_N_N), index);

    const struct {
        size_t (*build)(uint8_t *, const uint8_t *, uint64_t);
        char tag;
    } one_n[] = {{rsn_key_reply, 'Q'}, {rsn_key_retraction, 'R'}, {rsn_key_group_charter, 'C'}};
    for (size_t i = 0; i < sizeof one_n / sizeof one_n[0]; i++) {
        assert_int_equal(one_n[i].build(k, a, index), RSN_KEYLEN_ID_N);
        assert_int_equal(k[0], one_n[i].tag);
        assert_memory_equal(k + 1, a, 32);
        assert_int_equal(rsn_be64_get(k + RSN_KEYOFF_ID_N), index);
    }

    /* byte order is numeric order: a later index sorts after, at one time */
    uint8_t lo[RSN_KEY_MAX], hi[RSN_KEY_MAX];
    size_t n = rsn_key_group_post(lo, group, ts, 255);
    rsn_key_group_post(hi, group, ts, 256);
    assert_true(memcmp(lo, hi, n) < 0);
    rsn_key_group_post(hi, group, ts + 1, 0);
    assert_true(memcmp(lo, hi, n) < 0);
}

static void test_index_scan_reads_indexes(void **state)
{
    (void)state;
    uint8_t group[32], other[32], k[RSN_KEY_MAX];
    memset(group, 0x33, sizeof group);
    memset(other, 0x34, sizeof other);
    const uint64_t want[] = {7, 300, 2, 65536};
    const uint64_t ts[] = {10, 10, 20, 30};
    for (size_t i = 0; i < 4; i++) {
        put(k, rsn_key_group_post(k, group, ts[i], want[i]), "", 0);
    }
    put(k, rsn_key_group_post(k, other, 1, 1), "", 0);
    uint8_t prefix[RSN_KEY_MAX];
    rsn_index_t ix;
    assert_int_equal(rsn_index_open(&ix, store, prefix, rsn_key_prefix(prefix, RSN_TAG_POST, group),
                                    RSN_KEYLEN_ID_N_N),
                     0);
    size_t n = 0;
    for (rsn_index_first(&ix); rsn_index_valid(&ix); rsn_index_next(&ix), n++) {
        assert_true(n < 4);
        assert_int_equal(rsn_index_n(&ix), want[n]); /* by time, then by index */
    }
    rsn_index_close(&ix);
    assert_int_equal(n, 4);
}

static void test_leaf_index_holds_received(void **state)
{
    (void)state;
    enum { LEAVES = 11 };
    uint8_t ids[LEAVES][RSN_ID_BYTES], k[RSN_KEY_MAX];
    rsn_merkle_frontier_t log;
    rsn_merkle_frontier_init(&log);
    rsn_batch_t *b = rsn_batch_new();
    assert_non_null(b);
    for (size_t i = 0; i < LEAVES; i++) {
        memset(ids[i], (int)(0x40 + i), RSN_ID_BYTES);
        assert_int_equal(rsn_tlog_append(b, &log, ids[i], 1000 + i), 0);
    }
    assert_int_equal(rsn_store_write(store, b, true), 0);
    rsn_batch_destroy(&b);
    for (size_t i = 0; i < LEAVES; i++) {
        uint64_t index = 99, received = 99;
        assert_int_equal(rsn_tlog_lookup(store, ids[i], &index, &received), 0);
        assert_int_equal(index, i);
        assert_int_equal(received, 1000 + i);
        void *v = NULL;
        size_t vl = 0;
        assert_int_equal(rsn_store_get(store, k, rsn_key_leaf_index(k, ids[i]), &v, &vl), 0);
        assert_int_equal(vl, RSN_LEAF_INDEX_VALUE);
        rsn_store_free(v);
    }
    /* no 'A' key, and below the stored level only the right edge's 'T'
     * keys, yet every subtree of the log reads back as the hash of its
     * leaves */
    rsn_iter_t *it = rsn_iter_new(store, NULL, 0);
    assert_non_null(it);
    size_t trees = 0;
    for (rsn_iter_first(it); rsn_iter_valid(it); rsn_iter_next(it)) {
        size_t kl = 0;
        const uint8_t *key = rsn_iter_key(it, &kl);
        assert_int_not_equal(key[0], 'A');
        if (key[0] == RSN_TAG_TREE) {
            uint64_t at = rsn_be64_get(key + 2);
            /* 11 leaves: the right edge is (3,0) (1,4) (0,10) */
            assert_true(key[1] >= RSN_TREE_LEVEL_STORED || (key[1] == 1 && at == 4) ||
                        (key[1] == 0 && at == 10));
            trees++;
        }
    }
    rsn_iter_destroy(&it);
    assert_int_equal(trees, 3 + 2); /* (2,0) (2,1) (3,0), and (1,4) (0,10) */
    uint8_t leaf[RSN_HASH_BYTES], got[RSN_HASH_BYTES], l1[RSN_HASH_BYTES], r1[RSN_HASH_BYTES];
    assert_int_equal(rsn_tree_get(store, 0, 9, got), 0); /* hashed from 'L' 9 */
    rsn_merkle_leaf_hash(leaf, ids[9], RSN_ID_BYTES);
    assert_memory_equal(got, leaf, RSN_HASH_BYTES);
    rsn_merkle_leaf_hash(l1, ids[6], RSN_ID_BYTES);
    rsn_merkle_leaf_hash(r1, ids[7], RSN_ID_BYTES);
    rsn_merkle_node_hash(leaf, l1, r1);
    assert_int_equal(rsn_tree_get(store, 1, 3, got), 0); /* from 'L' 6 and 7 */
    assert_memory_equal(got, leaf, RSN_HASH_BYTES);
    assert_int_equal(rsn_tree_get(store, 1, 5, got), RSN_ERR_NOT_FOUND); /* leaf 11 */
    assert_int_equal(rsn_tree_get(store, 0, 11, got), RSN_ERR_NOT_FOUND);
    /* the right edge reads back from 'T' alone: a start does not need 'L' */
    for (uint64_t i = 8; i < LEAVES; i++) {
        b = rsn_batch_new();
        assert_non_null(b);
        rsn_batch_delete(b, k, rsn_key_leaf(k, i));
        assert_int_equal(rsn_store_write(store, b, true), 0);
        rsn_batch_destroy(&b);
    }
    rsn_merkle_frontier_t edge;
    assert_int_equal(rsn_tlog_frontier_load(store, LEAVES, &edge), 0);
    rsn_merkle_frontier_root(&edge, got);
    rsn_merkle_frontier_root(&log, leaf);
    assert_memory_equal(got, leaf, RSN_HASH_BYTES);
    uint8_t root[RSN_HASH_BYTES], stored[RSN_HASH_BYTES];
    rsn_merkle_frontier_root(&log, root);
    assert_int_equal(rsn_tlog_root(store, LEAVES, stored), 0);
    assert_memory_equal(stored, root, RSN_HASH_BYTES);
}

/* rsn_store_check_format on the store with the 'V' value FORMAT written
 * first (0: none), its code and what it logged into LOGGED. */
static int check_format(uint32_t format, char *logged, size_t size)
{
    uint8_t k[RSN_KEY_MAX];
    if (format) {
        uint8_t v[4] = {(uint8_t)(format >> 24), (uint8_t)(format >> 16), (uint8_t)(format >> 8),
                        (uint8_t)format};
        put(k, rsn_key_format(k), v, sizeof v);
    }
    char path[RSN_TEST_DIR_MAX + 16];
    snprintf(path, sizeof path, "%s.log", dir);
    fflush(stderr);
    int saved = dup(2), fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0600);
    assert_true(saved >= 0 && fd >= 0);
    dup2(fd, 2);
    int rc = rsn_store_check_format(store, dir);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    ssize_t n = pread(fd, logged, size - 1, 0);
    close(fd);
    unlink(path);
    logged[n > 0 ? n : 0] = '\0';
    return rc;
}

static void test_format_2_refused(void **state)
{
    (void)state;
    char logged[1024];
    assert_int_equal(RSN_STORE_FORMAT, 3);
    assert_int_equal(check_format(2, logged, sizeof logged), RSN_ERR_STORE_FORMAT);
    assert_non_null(strstr(logged, "holds store format 2"));
    assert_non_null(strstr(logged, "reads format 3 only"));
    assert_non_null(strstr(logged, "no migration"));
    assert_non_null(strstr(logged, dir));
    assert_int_equal(check_format(1, logged, sizeof logged), RSN_ERR_STORE_FORMAT);
    assert_non_null(strstr(logged, "holds store format 1"));
}

static void test_new_folder_gets_format_3(void **state)
{
    (void)state;
    char logged[1024];
    assert_int_equal(check_format(0, logged, sizeof logged), 0);
    assert_string_equal(logged, "");
    uint8_t k[RSN_KEY_MAX], v[4];
    assert_int_equal(rsn_store_get_fixed(store, k, rsn_key_format(k), v, sizeof v), 0);
    assert_int_equal(v[3], 3);
    assert_int_equal(v[0] | v[1] | v[2], 0);
    assert_int_equal(check_format(0, logged, sizeof logged), 0); /* and it reopens */
    assert_int_equal(check_format(3, logged, sizeof logged), 0);
}

int main(void)
{
    rsn_log_setup("keys_test", RSN_LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_shapes),
        cmocka_unit_test_setup_teardown(test_index_scan_reads_indexes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leaf_index_holds_received, setup, teardown),
        cmocka_unit_test_setup_teardown(test_format_2_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_new_folder_gets_format_3, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
