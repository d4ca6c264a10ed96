/* merkle.c — RFC 9162 Merkle trees over stored complete subtrees.
 *
 * Every hash this module needs is either a stored complete aligned subtree
 * (one callback read) or the hash of a "range" of leaves that the RFC's
 * recursive definitions split off: such a range [start, start + len) always
 * starts on a multiple of the power of two at or above len, so it is exactly
 * the complete subtrees given by the set bits of len, folded right to left.
 * The proof builders walk the RFC's recursion top-down with a loop and keep
 * the siblings on a fixed stack (a tree below 2^63 leaves is at most 63 deep),
 * then emit them leaf side first. */
#include "crypto/merkle.h"

#include <assert.h>
#include <string.h>

static const uint8_t leaf_prefix[1] = {0x00};

void rsn_merkle_leaf_hash(uint8_t out[RSN_HASH_BYTES], const void *data, size_t len)
{
    rsn_sha256_pair(out, leaf_prefix, sizeof leaf_prefix, data, len);
}

void rsn_merkle_node_hash(uint8_t out[RSN_HASH_BYTES], const uint8_t left[RSN_HASH_BYTES],
                          const uint8_t right[RSN_HASH_BYTES])
{
    uint8_t buf[1 + 2 * RSN_HASH_BYTES];

    buf[0] = 0x01;
    memcpy(buf + 1, left, RSN_HASH_BYTES);
    memcpy(buf + 1 + RSN_HASH_BYTES, right, RSN_HASH_BYTES);
    rsn_sha256(out, buf, sizeof buf);
}

/* A callback's result as an rsn_err: a non-negative failure would be a bug
 * of the caller's, but must not read as success. */
static int get_node(rsn_merkle_get_fn get, void *ctx, unsigned level, uint64_t index,
                    uint8_t out[RSN_HASH_BYTES])
{
    int rc = get(ctx, level, index, out);
    return rc == 0 ? 0 : (rc < 0 ? rc : RSN_ERR_INTERNAL);
}

/* The level of the largest power of two strictly below N (N >= 2). */
static unsigned split_level(uint64_t n)
{
    assert(n >= 2);
    return 63u - (unsigned)__builtin_clzll(n - 1);
}

/* OUT = MTH of leaves [START, START + LEN), LEN >= 1, START a multiple of the
 * power of two at or above LEN (true of every range the RFC splits off). */
static int range_hash(rsn_merkle_get_fn get, void *ctx, uint64_t start, uint64_t len,
                      uint8_t out[RSN_HASH_BYTES])
{
    uint8_t sub[RSN_HASH_BYTES];
    int have = 0;
    int rc = 0;

    assert(len >= 1 && len <= RSN_MERKLE_MAX_SIZE);
    for (unsigned b = 0; b < 63; b++) {
        if (!(len >> b & 1)) {
            continue;
        }
        uint64_t above = len >> (b + 1) << (b + 1); /* leaves before this subtree */
        uint64_t first = start + above;
        assert((first & (((uint64_t)1 << b) - 1)) == 0);
        if (!have) {
            rc = get_node(get, ctx, b, first >> b, out);
            have = 1;
        } else {
            rc = get_node(get, ctx, b, first >> b, sub);
            if (rc == 0) {
                rsn_merkle_node_hash(out, sub, out);
            }
        }
        if (rc != 0) {
            goto out;
        }
    }
out:
    return rc;
}

void rsn_merkle_frontier_init(rsn_merkle_frontier_t *f)
{
    memset(f, 0, sizeof *f);
}

int rsn_merkle_frontier_load(rsn_merkle_frontier_t *f, rsn_merkle_get_fn get, void *ctx,
                             uint64_t size)
{
    int rc = 0;

    rsn_merkle_frontier_init(f);
    if (size > RSN_MERKLE_MAX_SIZE) {
        rc = RSN_ERR_INVALID_ARG;
        goto out;
    }
    for (unsigned k = 0; k < 63; k++) {
        if (size >> k & 1) {
            rc = get_node(get, ctx, k, (size >> k) - 1, f->hash[k]);
            if (rc != 0) {
                rsn_merkle_frontier_init(f);
                goto out;
            }
        }
    }
    f->size = size;
out:
    return rc;
}

int rsn_merkle_frontier_append(rsn_merkle_frontier_t *f, const uint8_t leaf_hash[RSN_HASH_BYTES],
                               rsn_merkle_node_t nodes[RSN_MERKLE_MAX_DEPTH], size_t *n_nodes)
{
    uint64_t size = f->size;
    uint64_t next = size + 1;
    uint8_t h[RSN_HASH_BYTES];
    unsigned level = 0;
    size_t n = 0;

    *n_nodes = 0;
    if (size >= RSN_MERKLE_MAX_SIZE) {
        return RSN_ERR_INVALID_ARG;
    }
    memcpy(h, leaf_hash, sizeof h);
    nodes[n].level = 0;
    nodes[n].index = size;
    memcpy(nodes[n].hash, h, sizeof h);
    n++;
    /* each set low bit of the old size is a left sibling the new leaf
     * completes: carry upwards like a binary increment */
    while (size >> level & 1) {
        rsn_merkle_node_hash(h, f->hash[level], h);
        level++;
        assert(n < RSN_MERKLE_MAX_DEPTH);
        nodes[n].level = level;
        nodes[n].index = (next >> level) - 1;
        memcpy(nodes[n].hash, h, sizeof h);
        n++;
    }
    memcpy(f->hash[level], h, sizeof h);
    f->size = next;
    *n_nodes = n;
    return 0;
}

uint64_t rsn_merkle_frontier_size(const rsn_merkle_frontier_t *f)
{
    return f->size;
}

void rsn_merkle_frontier_root(const rsn_merkle_frontier_t *f, uint8_t out[RSN_HASH_BYTES])
{
    int have = 0;

    if (f->size == 0) {
        rsn_sha256(out, "", 0);
        return;
    }
    for (unsigned k = 0; k < 63; k++) {
        if (!(f->size >> k & 1)) {
            continue;
        }
        if (!have) {
            memcpy(out, f->hash[k], RSN_HASH_BYTES);
            have = 1;
        } else {
            rsn_merkle_node_hash(out, f->hash[k], out);
        }
    }
}

int rsn_merkle_root_at(rsn_merkle_get_fn get, void *ctx, uint64_t size, uint8_t out[RSN_HASH_BYTES])
{
    if (size > RSN_MERKLE_MAX_SIZE) {
        return RSN_ERR_INVALID_ARG;
    }
    if (size == 0) {
        rsn_sha256(out, "", 0);
        return 0;
    }
    return range_hash(get, ctx, 0, size, out);
}

/* Copies the first N siblings of STACK (collected root side first) into
 * PROOF after its first AT hashes, leaf side first. */
static void emit_reversed(rsn_merkle_proof_t proof, size_t at, uint8_t (*stack)[RSN_HASH_BYTES],
                          size_t n)
{
    for (size_t i = 0; i < n; i++) {
        memcpy(proof[at + i], stack[n - 1 - i], RSN_HASH_BYTES);
    }
}

int rsn_merkle_inclusion_proof(rsn_merkle_get_fn get, void *ctx, uint64_t leaf_index,
                               uint64_t tree_size, rsn_merkle_proof_t proof, size_t *n)
{
    uint8_t stack[RSN_MERKLE_MAX_DEPTH][RSN_HASH_BYTES];
    uint64_t start = 0;
    uint64_t len = tree_size;
    uint64_t m = leaf_index;
    size_t depth = 0;
    int rc = 0;

    *n = 0;
    if (tree_size > RSN_MERKLE_MAX_SIZE || leaf_index >= tree_size) {
        rc = RSN_ERR_INVALID_ARG;
        goto out;
    }
    /* PATH(m, D[n]): the sibling of the side holding m, at every split */
    while (len > 1) {
        unsigned kl = split_level(len);
        uint64_t k = (uint64_t)1 << kl;
        assert(depth < RSN_MERKLE_MAX_DEPTH);
        if (m < k) {
            rc = range_hash(get, ctx, start + k, len - k, stack[depth]);
            len = k;
        } else {
            rc = get_node(get, ctx, kl, start >> kl, stack[depth]);
            start += k;
            m -= k;
            len -= k;
        }
        if (rc != 0) {
            goto out;
        }
        depth++;
    }
    emit_reversed(proof, 0, stack, depth);
    *n = depth;
out:
    return rc;
}

int rsn_merkle_consistency_proof(rsn_merkle_get_fn get, void *ctx, uint64_t old_size,
                                 uint64_t new_size, rsn_merkle_proof_t proof, size_t *n)
{
    uint8_t stack[RSN_MERKLE_MAX_DEPTH][RSN_HASH_BYTES];
    uint64_t start = 0;
    uint64_t len = new_size;
    uint64_t m = old_size;
    int whole = 1; /* SUBPROOF's b: still on the old tree's own root path */
    size_t depth = 0;
    size_t at = 0;
    int rc = 0;

    *n = 0;
    if (new_size > RSN_MERKLE_MAX_SIZE || old_size == 0 || old_size > new_size) {
        rc = RSN_ERR_INVALID_ARG;
        goto out;
    }
    /* SUBPROOF(m, D[n], b) */
    while (m != len) {
        unsigned kl = split_level(len);
        uint64_t k = (uint64_t)1 << kl;
        assert(depth < RSN_MERKLE_MAX_DEPTH - 1);
        if (m <= k) {
            rc = range_hash(get, ctx, start + k, len - k, stack[depth]);
            len = k;
        } else {
            rc = get_node(get, ctx, kl, start >> kl, stack[depth]);
            start += k;
            m -= k;
            len -= k;
            whole = 0;
        }
        if (rc != 0) {
            goto out;
        }
        depth++;
    }
    /* m == n: the subtree itself, unless it is the old tree's root, which
     * the verifier already holds */
    if (!whole) {
        rc = range_hash(get, ctx, start, m, proof[0]);
        if (rc != 0) {
            goto out;
        }
        at = 1;
    }
    emit_reversed(proof, at, stack, depth);
    *n = at + depth;
out:
    return rc;
}

int rsn_merkle_verify_inclusion(const uint8_t *leaf_hash, size_t leaf_hash_len, uint64_t leaf_index,
                                uint64_t tree_size, const uint8_t (*proof)[RSN_HASH_BYTES],
                                size_t n, const uint8_t *root, size_t root_len)
{
    uint8_t r[RSN_HASH_BYTES];
    uint64_t fn = leaf_index;
    uint64_t sn;

    if (tree_size > RSN_MERKLE_MAX_SIZE || leaf_index >= tree_size || leaf_hash == NULL ||
        leaf_hash_len != RSN_HASH_BYTES || root == NULL || root_len != RSN_HASH_BYTES ||
        n > RSN_MERKLE_MAX_DEPTH || (n > 0 && proof == NULL)) {
        return RSN_ERR_INVALID_ARG;
    }
    sn = tree_size - 1;
    memcpy(r, leaf_hash, sizeof r);
    for (size_t i = 0; i < n; i++) {
        if (sn == 0) {
            return RSN_ERR_CRYPTO;
        }
        if ((fn & 1) || fn == sn) {
            rsn_merkle_node_hash(r, proof[i], r);
            while (!(fn & 1) && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            rsn_merkle_node_hash(r, r, proof[i]);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0 || memcmp(r, root, sizeof r) != 0) {
        return RSN_ERR_CRYPTO;
    }
    return 0;
}

int rsn_merkle_verify_consistency(uint64_t old_size, uint64_t new_size, const uint8_t *old_root,
                                  size_t old_root_len, const uint8_t *new_root, size_t new_root_len,
                                  const uint8_t (*proof)[RSN_HASH_BYTES], size_t n)
{
    uint8_t fr[RSN_HASH_BYTES];
    uint8_t sr[RSN_HASH_BYTES];
    const uint8_t *first;
    size_t i = 0;
    uint64_t fn;
    uint64_t sn;

    if (new_size > RSN_MERKLE_MAX_SIZE || old_size == 0 || old_size > new_size ||
        old_root == NULL || new_root == NULL || n > RSN_MERKLE_MAX_DEPTH ||
        (n > 0 && proof == NULL)) {
        return RSN_ERR_INVALID_ARG;
    }
    if (old_size == new_size) {
        if (n != 0 || old_root_len != new_root_len ||
            memcmp(old_root, new_root, old_root_len) != 0) {
            return RSN_ERR_CRYPTO;
        }
        return 0;
    }
    if (old_root_len != RSN_HASH_BYTES || new_root_len != RSN_HASH_BYTES) {
        return RSN_ERR_INVALID_ARG;
    }
    if (n == 0) {
        return RSN_ERR_CRYPTO;
    }
    /* an old size that is a power of two: its root is the proof's implicit
     * first element */
    if ((old_size & (old_size - 1)) == 0) {
        first = old_root;
    } else {
        first = proof[0];
        i = 1;
    }
    fn = old_size - 1;
    sn = new_size - 1;
    while (fn & 1) {
        fn >>= 1;
        sn >>= 1;
    }
    memcpy(fr, first, sizeof fr);
    memcpy(sr, first, sizeof sr);
    for (; i < n; i++) {
        if (sn == 0) {
            return RSN_ERR_CRYPTO;
        }
        if ((fn & 1) || fn == sn) {
            rsn_merkle_node_hash(fr, proof[i], fr);
            rsn_merkle_node_hash(sr, proof[i], sr);
            while (!(fn & 1) && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            rsn_merkle_node_hash(sr, sr, proof[i]);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0 || memcmp(fr, old_root, sizeof fr) != 0 || memcmp(sr, new_root, sizeof sr) != 0) {
        return RSN_ERR_CRYPTO;
    }
    return 0;
}
