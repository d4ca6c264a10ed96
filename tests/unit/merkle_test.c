/* merkle_test.c — the RFC 9162 Merkle module against known answers and a
 * naive reference.
 *
 * Every vector of shared/testdata/rfc9162 (transparency-dev/merkle's test
 * data) is verified, rejections included, and the happy paths are rebuilt
 * from the reference tree with the appender. Trees of 1..70 leaves are built
 * with the appender over an in-memory node table and every root, inclusion
 * proof and consistency proof is compared with a naive recursive transcription
 * of the RFC, with the table refusing reads of nodes that did not exist yet at
 * the size asked. Last, a timing (printed, never asserted) at 1,000,000
 * leaves. */
#include <dirent.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <jansson.h>

#include "crypto/crypto.h"
#include "crypto/merkle.h"
#include "support/clock.h"

#define H RSN_HASH_BYTES

/* ------------------------------------------------------------------------ */
/* An in-memory store of complete subtrees: level k holds nodes 0..count-1. */

typedef struct {
    uint8_t (*level[RSN_MERKLE_MAX_DEPTH])[H];
    uint64_t cap[RSN_MERKLE_MAX_DEPTH];
    uint64_t count[RSN_MERKLE_MAX_DEPTH];
    uint64_t limit; /* reads of nodes past this tree size are refused */
    uint64_t reads;
    int fail; /* when set, every read fails with RSN_ERR_IO */
} table_t;

static table_t *table_new(uint64_t max_leaves)
{
    table_t *t = calloc(1, sizeof *t);
    assert_non_null(t);
    for (unsigned k = 0; k < RSN_MERKLE_MAX_DEPTH && (max_leaves >> k) > 0; k++) {
        t->cap[k] = max_leaves >> k;
        t->level[k] = malloc(t->cap[k] * H);
        assert_non_null(t->level[k]);
    }
    t->limit = UINT64_MAX;
    return t;
}

static void table_destroy(table_t **t_p)
{
    if (*t_p == NULL) {
        return;
    }
    for (unsigned k = 0; k < RSN_MERKLE_MAX_DEPTH; k++) {
        free((*t_p)->level[k]);
    }
    free(*t_p);
    *t_p = NULL;
}

static int table_get(void *ctx, unsigned level, uint64_t index, uint8_t out[H])
{
    table_t *t = ctx;

    if (t->fail) {
        return RSN_ERR_IO;
    }
    if (level >= RSN_MERKLE_MAX_DEPTH || index >= t->count[level] ||
        ((index + 1) << level) > t->limit) {
        return RSN_ERR_NOT_FOUND;
    }
    t->reads++;
    memcpy(out, t->level[level][index], H);
    return 0;
}

/* Stores what an append created: nodes of a level always arrive in order. */
static void table_put(table_t *t, const rsn_merkle_node_t *nodes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned k = nodes[i].level;
        assert_true(k < RSN_MERKLE_MAX_DEPTH);
        assert_int_equal(nodes[i].index, t->count[k]);
        assert_true(t->count[k] < t->cap[k]);
        memcpy(t->level[k][t->count[k]++], nodes[i].hash, H);
    }
}

/* ------------------------------------------------------------------------ */
/* RFC 9162 section 2.1, transcribed literally (recursive, O(n)). */

static uint64_t largest_pow2_below(uint64_t n)
{
    uint64_t k = 1;
    while ((k << 1) < n) {
        k <<= 1;
    }
    return k;
}

static void naive_mth(const uint8_t (*lh)[H], uint64_t n, uint8_t out[H])
{
    if (n == 0) {
        rsn_sha256(out, "", 0);
    } else if (n == 1) {
        memcpy(out, lh[0], H);
    } else {
        uint64_t k = largest_pow2_below(n);
        uint8_t a[H];
        uint8_t b[H];
        naive_mth(lh, k, a);
        naive_mth(lh + k, n - k, b);
        rsn_merkle_node_hash(out, a, b);
    }
}

static void naive_path(uint64_t m, const uint8_t (*lh)[H], uint64_t n, rsn_merkle_proof_t proof,
                       size_t *cnt)
{
    if (n <= 1) {
        return;
    }
    uint64_t k = largest_pow2_below(n);
    if (m < k) {
        naive_path(m, lh, k, proof, cnt);
        naive_mth(lh + k, n - k, proof[(*cnt)++]);
    } else {
        naive_path(m - k, lh + k, n - k, proof, cnt);
        naive_mth(lh, k, proof[(*cnt)++]);
    }
}

static void naive_subproof(uint64_t m, const uint8_t (*lh)[H], uint64_t n, int b,
                           rsn_merkle_proof_t proof, size_t *cnt)
{
    if (m == n) {
        if (!b) {
            naive_mth(lh, n, proof[(*cnt)++]);
        }
        return;
    }
    uint64_t k = largest_pow2_below(n);
    if (m <= k) {
        naive_subproof(m, lh, k, b, proof, cnt);
        naive_mth(lh + k, n - k, proof[(*cnt)++]);
    } else {
        naive_subproof(m - k, lh + k, n - k, 0, proof, cnt);
        naive_mth(lh, k, proof[(*cnt)++]);
    }
}

/* ------------------------------------------------------------------------ */

static int setup(void **state)
{
    (void)state;
    return rsn_crypto_init();
}

/* Appends N leaf hashes to a fresh frontier over T, checking each append's
 * new nodes against the naive hash of the leaves they cover. */
static void build(table_t *t, rsn_merkle_frontier_t *f, const uint8_t (*lh)[H], uint64_t n)
{
    rsn_merkle_node_t nodes[RSN_MERKLE_MAX_DEPTH];
    size_t nn = 0;
    uint8_t want[H];
    uint8_t got[H];

    rsn_merkle_frontier_init(f);
    for (uint64_t i = 0; i < n; i++) {
        assert_int_equal(rsn_merkle_frontier_append(f, lh[i], nodes, &nn), 0);
        assert_int_equal(nn, 1 + (unsigned)__builtin_ctzll(i + 1));
        assert_int_equal(nodes[0].level, 0);
        assert_int_equal(nodes[0].index, i);
        for (size_t j = 0; j < nn; j++) {
            uint64_t first = nodes[j].index << nodes[j].level;
            assert_true(first + ((uint64_t)1 << nodes[j].level) == i + 1);
            naive_mth(lh + first, (uint64_t)1 << nodes[j].level, want);
            assert_memory_equal(nodes[j].hash, want, H);
        }
        table_put(t, nodes, nn);
        assert_int_equal(rsn_merkle_frontier_size(f), i + 1);
        rsn_merkle_frontier_root(f, got);
        naive_mth(lh, i + 1, want);
        assert_memory_equal(got, want, H);
    }
}

static void test_hashes(void **state)
{
    uint8_t h[H];
    uint8_t want[H];
    uint8_t buf[1 + 2 * H];
    char b64[64];

    /* the RFC's hash of the empty leaf, as in the vectors */
    rsn_merkle_leaf_hash(h, "", 0);
    rsn_base64_encode(b64, sizeof b64, h, H);
    assert_string_equal(b64, "bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=");

    buf[0] = 0x00;
    memset(buf + 1, 0xab, H);
    rsn_sha256(want, buf, 1 + H);
    rsn_merkle_leaf_hash(h, buf + 1, H);
    assert_memory_equal(h, want, H);

    uint8_t l[H];
    uint8_t r[H];
    memset(l, 1, H);
    memset(r, 2, H);
    buf[0] = 0x01;
    memcpy(buf + 1, l, H);
    memcpy(buf + 1 + H, r, H);
    rsn_sha256(want, buf, sizeof buf);
    rsn_merkle_node_hash(h, l, r);
    assert_memory_equal(h, want, H);
    /* the output may alias an input */
    rsn_merkle_node_hash(l, l, r);
    assert_memory_equal(l, want, H);

    /* the empty tree */
    rsn_merkle_frontier_t f;
    rsn_merkle_frontier_init(&f);
    assert_int_equal(rsn_merkle_frontier_size(&f), 0);
    rsn_merkle_frontier_root(&f, h);
    rsn_base64_encode(b64, sizeof b64, h, H);
    assert_string_equal(b64, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
}

/* Trees of 1..70 leaves: roots, frontiers, every inclusion and consistency
 * proof against the naive RFC, and that each verifies (and fails altered). */
static void test_against_naive(void **state)
{
    enum { N = 70 };
    uint8_t lh[N][H];
    table_t *t = table_new(N);
    rsn_merkle_frontier_t f;
    rsn_merkle_frontier_t g;
    rsn_merkle_proof_t proof;
    rsn_merkle_proof_t want;
    size_t n;
    size_t wn;
    uint8_t root[N + 1][H];
    uint8_t got[H];

    for (uint32_t i = 0; i < N; i++) {
        uint8_t data[4] = {(uint8_t)(i >> 24), (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i};
        rsn_merkle_leaf_hash(lh[i], data, sizeof data);
    }
    build(t, &f, (const uint8_t(*)[H])lh, N);

    for (uint64_t size = 0; size <= N; size++) {
        naive_mth((const uint8_t(*)[H])lh, size, root[size]);
        t->limit = size;
        t->reads = 0;
        assert_int_equal(rsn_merkle_root_at(table_get, t, size, got), 0);
        assert_memory_equal(got, root[size], H);
        assert_int_equal(t->reads, (uint64_t)__builtin_popcountll(size));

        /* a frontier loaded at this size continues like the appended one */
        assert_int_equal(rsn_merkle_frontier_load(&g, table_get, t, size), 0);
        assert_int_equal(rsn_merkle_frontier_size(&g), size);
        rsn_merkle_frontier_root(&g, got);
        assert_memory_equal(got, root[size], H);
        if (size < N) {
            rsn_merkle_node_t nodes[RSN_MERKLE_MAX_DEPTH];
            size_t nn;
            assert_int_equal(rsn_merkle_frontier_append(&g, lh[size], nodes, &nn), 0);
            assert_int_equal(nn, 1 + (unsigned)__builtin_ctzll(size + 1));
            assert_memory_equal(nodes[nn - 1].hash,
                                t->level[nodes[nn - 1].level][nodes[nn - 1].index], H);
            rsn_merkle_frontier_root(&g, got);
            uint8_t next[H];
            naive_mth((const uint8_t(*)[H])lh, size + 1, next);
            assert_memory_equal(got, next, H);
        }
    }
    t->limit = UINT64_MAX;

    /* inclusion: every leaf of every size */
    for (uint64_t size = 1; size <= N; size++) {
        t->limit = size;
        for (uint64_t i = 0; i < size; i++) {
            assert_int_equal(rsn_merkle_inclusion_proof(table_get, t, i, size, proof, &n), 0);
            wn = 0;
            naive_path(i, (const uint8_t(*)[H])lh, size, want, &wn);
            assert_int_equal(n, wn);
            if (n > 0) {
                assert_memory_equal(proof, want, n * H);
            }
            assert_int_equal(rsn_merkle_verify_inclusion(
                                 lh[i], H, i, size, (const uint8_t(*)[H])proof, n, root[size], H),
                             0);
            /* another leaf, index, size or proof does not verify */
            assert_int_not_equal(rsn_merkle_verify_inclusion(lh[(i + 1) % N], H, i, size,
                                                             (const uint8_t(*)[H])proof, n,
                                                             root[size], H),
                                 0);
            if (size > 1) {
                assert_int_not_equal(rsn_merkle_verify_inclusion(lh[i], H, (i + 1) % size, size,
                                                                 (const uint8_t(*)[H])proof, n,
                                                                 root[size], H),
                                     0);
                proof[n - 1][5] ^= 0x10;
                assert_int_equal(rsn_merkle_verify_inclusion(lh[i], H, i, size,
                                                             (const uint8_t(*)[H])proof, n,
                                                             root[size], H),
                                 RSN_ERR_CRYPTO);
                proof[n - 1][5] ^= 0x10;
            }
        }
    }

    /* consistency: every pair 1 <= m <= n */
    for (uint64_t size = 1; size <= N; size++) {
        t->limit = size;
        for (uint64_t m = 1; m <= size; m++) {
            assert_int_equal(rsn_merkle_consistency_proof(table_get, t, m, size, proof, &n), 0);
            wn = 0;
            if (m < size) {
                naive_subproof(m, (const uint8_t(*)[H])lh, size, 1, want, &wn);
            }
            assert_int_equal(n, wn);
            if (n > 0) {
                assert_memory_equal(proof, want, n * H);
            }
            assert_int_equal(rsn_merkle_verify_consistency(m, size, root[m], H, root[size], H,
                                                           (const uint8_t(*)[H])proof, n),
                             0);
            if (m < size) {
                /* swapped roots, an altered hash, a shorter proof: rejected */
                assert_int_not_equal(rsn_merkle_verify_consistency(m, size, root[size], H, root[m],
                                                                   H, (const uint8_t(*)[H])proof,
                                                                   n),
                                     0);
                proof[0][0] ^= 1;
                assert_int_not_equal(rsn_merkle_verify_consistency(m, size, root[m], H, root[size],
                                                                   H, (const uint8_t(*)[H])proof,
                                                                   n),
                                     0);
                proof[0][0] ^= 1;
                assert_int_not_equal(rsn_merkle_verify_consistency(m, size, root[m], H, root[size],
                                                                   H, (const uint8_t(*)[H])proof,
                                                                   n - 1),
                                     0);
            }
        }
    }
    table_destroy(&t);
}

/* Bad arguments, a failing store, a full tree. */
static void test_errors(void **state)
{
    table_t *t = table_new(8);
    rsn_merkle_frontier_t f;
    rsn_merkle_node_t nodes[RSN_MERKLE_MAX_DEPTH];
    rsn_merkle_proof_t proof;
    uint8_t lh[8][H];
    uint8_t root[H];
    uint8_t h[H];
    size_t n = 99;

    for (int i = 0; i < 8; i++) {
        uint8_t d = (uint8_t)i;
        rsn_merkle_leaf_hash(lh[i], &d, 1);
    }
    build(t, &f, (const uint8_t(*)[H])lh, 8);
    naive_mth((const uint8_t(*)[H])lh, 8, root);

    const uint64_t too_big = RSN_MERKLE_MAX_SIZE + 1;
    assert_int_equal(rsn_merkle_root_at(table_get, t, too_big, h), RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_merkle_frontier_load(&f, table_get, t, too_big), RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_merkle_inclusion_proof(table_get, t, 8, 8, proof, &n),
                     RSN_ERR_INVALID_ARG);
    assert_int_equal(n, 0);
    assert_int_equal(rsn_merkle_inclusion_proof(table_get, t, 0, 0, proof, &n),
                     RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_merkle_inclusion_proof(table_get, t, 0, too_big, proof, &n),
                     RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_merkle_consistency_proof(table_get, t, 0, 8, proof, &n),
                     RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_merkle_consistency_proof(table_get, t, 5, 4, proof, &n),
                     RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_merkle_consistency_proof(table_get, t, 1, too_big, proof, &n),
                     RSN_ERR_INVALID_ARG);

    /* sizes the store has not reached: the callback's error comes back */
    assert_int_equal(rsn_merkle_root_at(table_get, t, 9, h), RSN_ERR_NOT_FOUND);
    assert_int_equal(rsn_merkle_inclusion_proof(table_get, t, 0, 12, proof, &n), RSN_ERR_NOT_FOUND);
    assert_int_equal(rsn_merkle_consistency_proof(table_get, t, 3, 10, proof, &n),
                     RSN_ERR_NOT_FOUND);

    /* a failing store */
    t->fail = 1;
    assert_int_equal(rsn_merkle_root_at(table_get, t, 7, h), RSN_ERR_IO);
    assert_int_equal(rsn_merkle_frontier_load(&f, table_get, t, 7), RSN_ERR_IO);
    assert_int_equal(rsn_merkle_frontier_size(&f), 0);
    assert_int_equal(rsn_merkle_inclusion_proof(table_get, t, 3, 7, proof, &n), RSN_ERR_IO);
    assert_int_equal(rsn_merkle_consistency_proof(table_get, t, 3, 7, proof, &n), RSN_ERR_IO);
    t->fail = 0;
    /* the empty tree and a single leaf need no read */
    t->fail = 1;
    assert_int_equal(rsn_merkle_root_at(table_get, t, 0, h), 0);
    assert_int_equal(rsn_merkle_inclusion_proof(table_get, t, 0, 1, proof, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(rsn_merkle_consistency_proof(table_get, t, 5, 5, proof, &n), 0);
    assert_int_equal(n, 0);
    t->fail = 0;

    /* a full tree refuses the next leaf and stays as it was */
    rsn_merkle_frontier_init(&f);
    f.size = RSN_MERKLE_MAX_SIZE;
    assert_int_equal(rsn_merkle_frontier_append(&f, lh[0], nodes, &n), RSN_ERR_INVALID_ARG);
    assert_int_equal(n, 0);
    assert_int_equal(rsn_merkle_frontier_size(&f), RSN_MERKLE_MAX_SIZE);
    /* one below full: the append completes 63 nodes, the most there can be */
    f.size = RSN_MERKLE_MAX_SIZE - 1;
    assert_int_equal(rsn_merkle_frontier_append(&f, lh[0], nodes, &n), 0);
    assert_int_equal(n, 1);
    rsn_merkle_frontier_init(&f);
    f.size = ((uint64_t)1 << 62) - 1;
    assert_int_equal(rsn_merkle_frontier_append(&f, lh[0], nodes, &n), 0);
    assert_int_equal(n, 63);
    assert_int_equal(nodes[62].level, 62);
    assert_int_equal(nodes[62].index, 0);

    /* verification: malformed inputs */
    assert_int_equal(rsn_merkle_inclusion_proof(table_get, t, 5, 8, proof, &n), 0);
    const uint8_t(*p)[H] = (const uint8_t(*)[H])proof;
    assert_int_equal(rsn_merkle_verify_inclusion(lh[5], H, 5, 8, p, n, root, H), 0);
    assert_int_equal(rsn_merkle_verify_inclusion(lh[5], H - 1, 5, 8, p, n, root, H),
                     RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_merkle_verify_inclusion(lh[5], H, 5, 8, p, n, root, H + 1),
                     RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_merkle_verify_inclusion(lh[5], H, 8, 8, p, n, root, H),
                     RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_merkle_verify_inclusion(lh[5], H, 5, too_big, p, n, root, H),
                     RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_merkle_verify_inclusion(lh[5], H, 5, 8, p, 65, root, H),
                     RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_merkle_verify_inclusion(lh[5], H, 5, 8, NULL, 3, root, H),
                     RSN_ERR_INVALID_ARG);
    /* a proof too short, or of another shape than the size's, does not verify
     * (a size whose path has the same shape, 7 here, cannot be told apart) */
    assert_int_equal(rsn_merkle_verify_inclusion(lh[5], H, 5, 8, p, n - 1, root, H),
                     RSN_ERR_CRYPTO);
    assert_int_equal(rsn_merkle_verify_inclusion(lh[5], H, 5, 6, p, n, root, H), RSN_ERR_CRYPTO);
    assert_int_equal(rsn_merkle_verify_inclusion(lh[5], H, 5, 8, p, n, lh[5], H), RSN_ERR_CRYPTO);

    uint8_t r3[H];
    naive_mth((const uint8_t(*)[H])lh, 3, r3);
    assert_int_equal(rsn_merkle_consistency_proof(table_get, t, 3, 8, proof, &n), 0);
    assert_int_equal(rsn_merkle_verify_consistency(3, 8, r3, H, root, H, p, n), 0);
    assert_int_equal(rsn_merkle_verify_consistency(0, 8, r3, H, root, H, p, n),
                     RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_merkle_verify_consistency(9, 8, r3, H, root, H, p, n),
                     RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_merkle_verify_consistency(3, too_big, r3, H, root, H, p, n),
                     RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_merkle_verify_consistency(3, 8, r3, H - 1, root, H, p, n),
                     RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_merkle_verify_consistency(3, 8, r3, H, root, 0, p, n),
                     RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_merkle_verify_consistency(3, 8, r3, H, root, H, p, 65),
                     RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_merkle_verify_consistency(3, 8, r3, H, root, H, p, 0), RSN_ERR_CRYPTO);
    assert_int_equal(rsn_merkle_verify_consistency(3, 4, r3, H, root, H, p, n), RSN_ERR_CRYPTO);
    assert_int_equal(rsn_merkle_verify_consistency(8, 8, root, H, root, H, p, n), RSN_ERR_CRYPTO);
    assert_int_equal(rsn_merkle_verify_consistency(8, 8, root, H, root, H, NULL, 0), 0);
    assert_int_equal(rsn_merkle_verify_consistency(8, 8, root, H, r3, H, NULL, 0), RSN_ERR_CRYPTO);
    assert_int_equal(rsn_merkle_verify_consistency(8, 8, root, H, root, H - 1, NULL, 0),
                     RSN_ERR_CRYPTO);
    table_destroy(&t);
}

/* ------------------------------------------------------------------------ */
/* The vectors of shared/testdata/rfc9162. */

typedef struct {
    table_t *ref; /* the reference tree of the vectors' README */
    int files;
    int happy; /* happy paths also rebuilt from the reference tree */
    int rejected;
    int accepted;
} vectors_t;

/* A JSON number as a size: what does not fit a uint64_t becomes UINT64_MAX,
 * which the module must refuse as it is above INT64_MAX. */
static uint64_t json_size(const json_t *v)
{
    assert_true(json_is_number(v));
    double d = json_number_value(v);
    if (d < 0 || d >= 18446744073709551616.0) {
        return UINT64_MAX;
    }
    return (uint64_t)d;
}

/* Decodes base64 member KEY of O (length into *len): 0 or an rsn_err. */
static int json_bytes(const json_t *o, const char *key, uint8_t *out, size_t max, size_t *len)
{
    const json_t *v = json_object_get(o, key);
    assert_true(json_is_string(v));
    return rsn_base64_decode(out, max, len, json_string_value(v), json_string_length(v));
}

/* Decodes the proof: null is empty; an element that is not a 32-byte hash is
 * malformed (RSN_ERR_INVALID_ARG), as merkle.h asks of a caller. */
static int json_proof(const json_t *o, rsn_merkle_proof_t proof, size_t *n)
{
    const json_t *arr = json_object_get(o, "proof");
    uint8_t buf[2 * H];
    size_t len;
    size_t i;
    const json_t *el;

    *n = 0;
    if (arr == NULL || json_is_null(arr)) {
        return 0;
    }
    assert_true(json_is_array(arr));
    if (json_array_size(arr) > RSN_MERKLE_MAX_DEPTH) {
        return RSN_ERR_INVALID_ARG;
    }
    json_array_foreach(arr, i, el)
    {
        assert_true(json_is_string(el));
        int rc =
            rsn_base64_decode(buf, sizeof buf, &len, json_string_value(el), json_string_length(el));
        if (rc != 0 || len != H) {
            return RSN_ERR_INVALID_ARG;
        }
        memcpy(proof[i], buf, H);
    }
    *n = json_array_size(arr);
    return 0;
}

static void check_root(table_t *ref, uint64_t size, const uint8_t *root, size_t len)
{
    uint8_t got[H];
    assert_int_equal(len, H);
    assert_int_equal(rsn_merkle_root_at(table_get, ref, size, got), 0);
    assert_memory_equal(got, root, H);
}

static void run_vector(vectors_t *v, const char *path, int inclusion, int happy_file)
{
    json_error_t jerr;
    json_t *o = json_load_file(path, JSON_DECODE_INT_AS_REAL, &jerr);
    rsn_merkle_proof_t proof;
    rsn_merkle_proof_t mine;
    size_t n = 0;
    size_t mn = 0;
    uint8_t a[2 * H];
    uint8_t b[2 * H];
    size_t alen = 0;
    size_t blen = 0;
    int rc;

    if (o == NULL) {
        fail_msg("%s: %s", path, jerr.text);
    }
    const json_t *want_err = json_object_get(o, "wantErr");
    assert_true(json_is_boolean(want_err));
    rc = json_proof(o, proof, &n);
    if (inclusion) {
        uint64_t idx = json_size(json_object_get(o, "leafIdx"));
        uint64_t size = json_size(json_object_get(o, "treeSize"));
        if (rc == 0) {
            rc = json_bytes(o, "leafHash", a, sizeof a, &alen);
        }
        if (rc == 0) {
            rc = json_bytes(o, "root", b, sizeof b, &blen);
        }
        if (rc == 0) {
            rc = rsn_merkle_verify_inclusion(a, alen, idx, size, (const uint8_t(*)[H])proof, n, b,
                                             blen);
        }
        if (happy_file) {
            /* the reference tree built by the appender gives the same */
            assert_int_equal(rc, 0);
            check_root(v->ref, size, b, blen);
            uint8_t leaf[H];
            assert_int_equal(table_get(v->ref, 0, idx, leaf), 0);
            assert_memory_equal(leaf, a, H);
            assert_int_equal(rsn_merkle_inclusion_proof(table_get, v->ref, idx, size, mine, &mn),
                             0);
            assert_int_equal(mn, n);
            if (n > 0) {
                assert_memory_equal(mine, proof, n * H);
            }
            v->happy++;
        }
    } else {
        uint64_t size1 = json_size(json_object_get(o, "size1"));
        uint64_t size2 = json_size(json_object_get(o, "size2"));
        if (rc == 0) {
            rc = json_bytes(o, "root1", a, sizeof a, &alen);
        }
        if (rc == 0) {
            rc = json_bytes(o, "root2", b, sizeof b, &blen);
        }
        if (rc == 0) {
            rc = rsn_merkle_verify_consistency(size1, size2, a, alen, b, blen,
                                               (const uint8_t(*)[H])proof, n);
        }
        if (happy_file) {
            assert_int_equal(rc, 0);
            check_root(v->ref, size1, a, alen);
            check_root(v->ref, size2, b, blen);
            assert_int_equal(
                rsn_merkle_consistency_proof(table_get, v->ref, size1, size2, mine, &mn), 0);
            assert_int_equal(mn, n);
            if (n > 0) {
                assert_memory_equal(mine, proof, n * H);
            }
            v->happy++;
        }
    }
    if (json_is_true(want_err)) {
        if (rc == 0) {
            fail_msg("%s: accepted, but it must be rejected", path);
        }
        v->rejected++;
    } else {
        if (rc != 0) {
            fail_msg("%s: rejected (%s), but it must be accepted", path, rsn_strerror(rc));
        }
        v->accepted++;
    }
    v->files++;
    json_decref(o);
}

static void walk(vectors_t *v, const char *dir, int inclusion)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[1024];
    struct stat st;

    if (d == NULL) {
        fail_msg("cannot open %s", dir);
    }
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') {
            continue;
        }
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        assert_int_equal(stat(path, &st), 0);
        if (S_ISDIR(st.st_mode)) {
            walk(v, path, inclusion);
        } else {
            size_t len = strlen(e->d_name);
            if (len > 5 && strcmp(e->d_name + len - 5, ".json") == 0) {
                run_vector(v, path, inclusion, strcmp(e->d_name, "happy-path.json") == 0);
            }
        }
    }
    closedir(d);
}

static void test_vectors(void **state)
{
    static const char *leaves[] = {"",
                                   "00",
                                   "10",
                                   "2021",
                                   "3031",
                                   "40414243",
                                   "5051525354555657",
                                   "606162636465666768696a6b6c6d6e6f"};
    vectors_t v = {0};
    rsn_merkle_frontier_t f;
    uint8_t lh[8][H];
    uint8_t data[16];
    size_t len;

    for (int i = 0; i < 8; i++) {
        assert_int_equal(rsn_hex_decode(data, sizeof data, &len, leaves[i]), 0);
        rsn_merkle_leaf_hash(lh[i], data, len);
    }
    v.ref = table_new(8);
    build(v.ref, &f, (const uint8_t(*)[H])lh, 8);

    walk(&v, RSN_TESTDATA "/rfc9162/inclusion", 1);
    int inclusion_files = v.files;
    walk(&v, RSN_TESTDATA "/rfc9162/consistency", 0);
    print_message("rfc9162 vectors: %d files (%d inclusion, %d consistency), %d accepted, "
                  "%d rejected, %d happy paths rebuilt from the reference tree\n",
                  v.files, inclusion_files, v.files - inclusion_files, v.accepted, v.rejected,
                  v.happy);
    /* the snapshot holds 196 cases; at least that many, and one happy path
     * per numbered folder (inclusion 0-4, consistency 0-4) */
    assert_true(v.files >= 196);
    assert_true(inclusion_files >= 90);
    assert_int_equal(v.happy, 10);
    assert_true(v.rejected > 150);
    table_destroy(&v.ref);
}

/* ------------------------------------------------------------------------ */

/* Microseconds on the monotonic clock. */
static double now_us(void)
{
    return rsn_test_now() * 1e6;
}

/* A million leaves: append, then proofs at that size (timed, not asserted). */
static void test_million(void **state)
{
    enum { N = 1000000, REPS = 2000 };
    table_t *t = table_new(N);
    rsn_merkle_frontier_t f;
    rsn_merkle_node_t nodes[RSN_MERKLE_MAX_DEPTH];
    rsn_merkle_proof_t proof;
    size_t nn;
    size_t n = 0;
    uint8_t lh[H];
    uint8_t root[H];
    uint8_t old_root[H];
    uint8_t got[H];
    const uint64_t old_size = 765433;
    const uint64_t leaf = 123457;
    uint8_t leaf_hash[H];

    rsn_merkle_frontier_init(&f);
    double t0 = now_us();
    for (uint32_t i = 0; i < N; i++) {
        rsn_merkle_leaf_hash(lh, &i, sizeof i);
        if (i == leaf) {
            memcpy(leaf_hash, lh, H);
        }
        assert_int_equal(rsn_merkle_frontier_append(&f, lh, nodes, &nn), 0);
        table_put(t, nodes, nn);
        if (i + 1 == old_size) {
            rsn_merkle_frontier_root(&f, old_root);
        }
    }
    double t_append = (now_us() - t0) / N;
    rsn_merkle_frontier_root(&f, root);
    assert_int_equal(rsn_merkle_root_at(table_get, t, N, got), 0);
    assert_memory_equal(got, root, H);
    assert_int_equal(rsn_merkle_root_at(table_get, t, old_size, got), 0);
    assert_memory_equal(got, old_root, H);

    t->reads = 0;
    t0 = now_us();
    for (int r = 0; r < REPS; r++) {
        assert_int_equal(rsn_merkle_consistency_proof(table_get, t, old_size, N, proof, &n), 0);
    }
    double t_cons = (now_us() - t0) / REPS;
    uint64_t cons_reads = t->reads / REPS;
    assert_int_equal(rsn_merkle_verify_consistency(old_size, N, old_root, H, root, H,
                                                   (const uint8_t(*)[H])proof, n),
                     0);
    size_t cons_len = n;

    t->reads = 0;
    t0 = now_us();
    for (int r = 0; r < REPS; r++) {
        assert_int_equal(rsn_merkle_inclusion_proof(table_get, t, leaf, N, proof, &n), 0);
    }
    double t_incl = (now_us() - t0) / REPS;
    uint64_t incl_reads = t->reads / REPS;
    assert_int_equal(
        rsn_merkle_verify_inclusion(leaf_hash, H, leaf, N, (const uint8_t(*)[H])proof, n, root, H),
        0);

    t0 = now_us();
    for (int r = 0; r < REPS; r++) {
        assert_int_equal(rsn_merkle_root_at(table_get, t, N - 1, got), 0);
    }
    double t_root = (now_us() - t0) / REPS;

    print_message("merkle at %d leaves: append %.2f us/leaf; consistency proof %" PRIu64
                  " -> %d: %.2f us (%zu hashes, %" PRIu64
                  " reads); inclusion proof of leaf %" PRIu64 ": %.2f us (%zu hashes, %" PRIu64
                  " reads); root_at(%d): %.2f us\n",
                  N, t_append, old_size, N, t_cons, cons_len, cons_reads, leaf, t_incl, n,
                  incl_reads, N - 1, t_root);
    table_destroy(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hashes),  cmocka_unit_test(test_against_naive),
        cmocka_unit_test(test_errors),  cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_million),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
