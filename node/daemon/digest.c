/* digest.c — the bucket digests of feeds' effective heads and the fork
 * digest, as committed and as staged, persisted under 'b' beside the heads
 * (daemon/digest.h). */
#include "daemon/digest.h"

#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "store/keys.h"
#include "store/tlog.h"

struct rsn_digest {
    uint8_t buckets[RSN_BUCKETS][RSN_HASH_BYTES];         /* as committed */
    uint8_t pending_buckets[RSN_BUCKETS][RSN_HASH_BYTES]; /* as staged */
    uint8_t fork_root[RSN_HASH_BYTES];                    /* as committed */
    uint8_t pending_fork_root[RSN_HASH_BYTES];            /* as staged */
};

static void xor_into(uint8_t acc[RSN_HASH_BYTES], const uint8_t h[RSN_HASH_BYTES])
{
    for (int i = 0; i < RSN_HASH_BYTES; i++) {
        acc[i] ^= h[i];
    }
}

rsn_digest_t *rsn_digest_new(void)
{
    return calloc(1, sizeof(rsn_digest_t));
}

void rsn_digest_destroy(rsn_digest_t **self_p)
{
    if (!self_p || !*self_p) {
        return;
    }
    free(*self_p);
    *self_p = NULL;
}

void rsn_digest_head_hash(const uint8_t author[RSN_KEY_BYTES], uint64_t seq, const uint8_t *id,
                          uint8_t out[RSN_HASH_BYTES])
{
    uint8_t buf[RSN_KEY_BYTES + 8 + RSN_ID_BYTES];
    memcpy(buf, author, RSN_KEY_BYTES);
    rsn_be64_put(buf + RSN_KEY_BYTES, seq);
    if (id && seq > 0) {
        memcpy(buf + RSN_KEY_BYTES + 8, id, RSN_ID_BYTES);
    } else {
        memset(buf + RSN_KEY_BYTES + 8, 0, RSN_ID_BYTES);
    }
    rsn_sha256(out, buf, sizeof buf);
}

void rsn_digest_fork_hash(const uint8_t author[RSN_KEY_BYTES], uint64_t seq,
                          uint8_t out[RSN_HASH_BYTES])
{
    uint8_t buf[RSN_KEY_BYTES + 8];
    memcpy(buf, author, RSN_KEY_BYTES);
    rsn_be64_put(buf + RSN_KEY_BYTES, seq);
    rsn_sha256(out, buf, sizeof buf);
}

void rsn_digest_toggle(rsn_digest_t *self, const uint8_t author[RSN_KEY_BYTES], uint64_t seq,
                       const uint8_t *id)
{
    uint8_t h[RSN_HASH_BYTES];
    rsn_digest_head_hash(author, seq, id, h);
    xor_into(self->pending_buckets[author[0]], h);
}

void rsn_digest_toggle_fork(rsn_digest_t *self, const uint8_t author[RSN_KEY_BYTES], uint64_t seq)
{
    uint8_t h[RSN_HASH_BYTES];
    rsn_digest_fork_hash(author, seq, h);
    xor_into(self->pending_fork_root, h);
}

/* The fork digest of the stored evidence: forks are rare, reading their keys
 * is cheap. */
static int load_forks(rsn_digest_t *self, rsn_store_t *store)
{
    uint8_t prefix[RSN_KEY_MAX];
    size_t pl = rsn_key_prefix(prefix, RSN_TAG_FORK, NULL);
    rsn_iter_t *it = rsn_iter_new(store, prefix, pl);
    if (!it) {
        return RSN_ERR_NOMEM;
    }
    memset(self->pending_fork_root, 0, RSN_HASH_BYTES);
    for (rsn_iter_first(it); rsn_iter_valid(it); rsn_iter_next(it)) {
        size_t kl = 0;
        const uint8_t *k = rsn_iter_key(it, &kl);
        if (kl == RSN_KEYLEN_ID_N) {
            rsn_digest_toggle_fork(self, k + 1, rsn_be64_get(k + 1 + RSN_KEY_BYTES));
        }
    }
    rsn_iter_destroy(&it);
    return 0;
}

/* Adds the contribution of every feed whose key (TAG author) is in STORE;
 * for the 'Z' keys, only the feeds that have no head (the others are counted
 * with the heads). */
static int load_feeds(rsn_digest_t *self, rsn_store_t *store, char tag, rsn_digest_head_fn head,
                      void *ctx)
{
    uint8_t prefix[RSN_KEY_MAX];
    size_t pl = rsn_key_prefix(prefix, tag, NULL);
    rsn_index_t ix;
    int rc = rsn_index_open(&ix, store, prefix, pl, RSN_KEYLEN_ID);
    if (rc < 0) {
        return rc;
    }
    for (rsn_index_first(&ix); rsn_index_valid(&ix); rsn_index_next(&ix)) {
        const uint8_t *author = rsn_index_id(&ix);
        uint8_t hk[RSN_KEY_MAX];
        size_t hkl = rsn_key_feed_head(hk, author);
        if (tag == RSN_TAG_FROZEN && rsn_store_has(store, hk, hkl) == 0) {
            continue;
        }
        bool exists = false;
        uint64_t seq = 0;
        uint8_t id[RSN_ID_BYTES];
        rc = head(ctx, author, &exists, &seq, id);
        if (rc < 0) {
            break;
        }
        if (exists) {
            rsn_digest_toggle(self, author, seq, id);
        }
    }
    rsn_index_close(&ix);
    return rc;
}

int rsn_digest_recompute(rsn_digest_t *self, rsn_store_t *store, rsn_digest_head_fn head, void *ctx)
{
    if (!head) {
        head = rsn_digest_store_head;
        ctx = store;
    }
    memset(self->pending_buckets, 0, sizeof self->pending_buckets);
    int rc = load_forks(self, store);
    if (rc == 0) {
        rc = load_feeds(self, store, RSN_TAG_HEAD, head, ctx);
    }
    if (rc == 0) {
        rc = load_feeds(self, store, RSN_TAG_FROZEN, head, ctx);
    }
    if (rc < 0) {
        return rc;
    }
    rsn_digest_commit(self);
    return 0;
}

int rsn_digest_store_head(void *ctx, const uint8_t author[RSN_KEY_BYTES], bool *exists,
                          uint64_t *seq, uint8_t id[RSN_ID_BYTES])
{
    rsn_store_t *store = ctx;
    uint8_t k[RSN_KEY_MAX], v[8 + RSN_ID_BYTES];
    uint64_t hs = 0, frozen = 0;
    memset(id, 0, RSN_ID_BYTES);
    int rc = rsn_store_get_fixed(store, k, rsn_key_feed_head(k, author), v, sizeof v);
    if (rc == 0) {
        hs = rsn_be64_get(v);
        memcpy(id, v + 8, RSN_ID_BYTES);
    } else if (rc != RSN_ERR_NOT_FOUND) {
        return rc;
    }
    rc = rsn_store_get_u64(store, k, rsn_key_frozen(k, author), &frozen);
    if (rc < 0 && rc != RSN_ERR_NOT_FOUND) {
        return rc;
    }
    *exists = hs > 0 || frozen > 0;
    *seq = frozen && frozen - 1 < hs ? frozen - 1 : hs;
    if (*seq == 0) {
        memset(id, 0, RSN_ID_BYTES);
    } else if (*seq != hs) {
        uint64_t index = 0;
        rc = rsn_store_get_u64(store, k, rsn_key_feed_seq(k, author, *seq), &index);
        if (rc == 0) {
            rc = rsn_tlog_leaf(store, index, id);
        }
        return rc == RSN_ERR_NOT_FOUND ? RSN_ERR_IO : rc;
    }
    return 0;
}

/* Reads the 'b' keys into the staged digests; *ANY: one was there. */
static int read_persisted(rsn_digest_t *self, rsn_store_t *store, bool *any)
{
    uint8_t k[RSN_KEY_MAX];
    *any = false;
    memset(self->pending_buckets, 0, sizeof self->pending_buckets);
    memset(self->pending_fork_root, 0, RSN_HASH_BYTES);
    int rc = rsn_store_get_fixed(store, k, rsn_key_digest_forks(k), self->pending_fork_root,
                                 RSN_HASH_BYTES);
    *any = rc == 0;
    if (rc < 0 && rc != RSN_ERR_NOT_FOUND) {
        return rc;
    }
    for (unsigned b = 0; b < RSN_BUCKETS; b++) {
        rc = rsn_store_get_fixed(store, k, rsn_key_digest_bucket(k, b), self->pending_buckets[b],
                                 RSN_HASH_BYTES);
        if (rc < 0 && rc != RSN_ERR_NOT_FOUND) {
            return rc;
        }
        *any = *any || rc == 0;
    }
    return 0;
}

/* True when STORE holds a key of TAG. */
static bool has_any(rsn_store_t *store, char tag)
{
    uint8_t prefix[RSN_KEY_MAX];
    size_t pl = rsn_key_prefix(prefix, tag, NULL);
    rsn_iter_t *it = rsn_iter_new(store, prefix, pl);
    if (!it) {
        return true; /* unsure: recompute */
    }
    rsn_iter_first(it);
    bool any = rsn_iter_valid(it);
    rsn_iter_destroy(&it);
    return any;
}

/* Writes every bucket and the fork digest (as committed) to STORE. */
static int persist_all(const rsn_digest_t *self, rsn_store_t *store)
{
    rsn_batch_t *batch = rsn_batch_new();
    if (!batch) {
        return RSN_ERR_NOMEM;
    }
    uint8_t k[RSN_KEY_MAX];
    rsn_batch_put(batch, k, rsn_key_digest_forks(k), self->fork_root, RSN_HASH_BYTES);
    for (unsigned b = 0; b < RSN_BUCKETS; b++) {
        rsn_batch_put(batch, k, rsn_key_digest_bucket(k, b), self->buckets[b], RSN_HASH_BYTES);
    }
    int rc = rsn_store_write(store, batch, true);
    rsn_batch_destroy(&batch);
    return rc;
}

int rsn_digest_load(rsn_digest_t *self, rsn_store_t *store, rsn_digest_head_fn head, void *ctx)
{
    bool any = false;
    int rc = read_persisted(self, store, &any);
    if (rc < 0) {
        return rc;
    }
    if (!any && (has_any(store, RSN_TAG_HEAD) || has_any(store, RSN_TAG_FROZEN) ||
                 has_any(store, RSN_TAG_FORK))) {
        rsn_warn("digest: the store holds feeds but no persisted digest ('b'): recomputed "
                 "from every feed head");
        rc = rsn_digest_recompute(self, store, head, ctx);
        return rc < 0 ? rc : persist_all(self, store);
    }
    rsn_digest_commit(self);
    return 0;
}

int rsn_digest_check_store(rsn_store_t *store, bool *equal)
{
    *equal = false;
    rsn_digest_t *persisted = rsn_digest_new(), *computed = rsn_digest_new();
    bool any = false;
    int rc = persisted && computed ? 0 : RSN_ERR_NOMEM;
    if (rc == 0) {
        rc = read_persisted(persisted, store, &any);
    }
    if (rc == 0) {
        rc = rsn_digest_recompute(computed, store, NULL, NULL);
    }
    if (rc == 0) {
        *equal =
            memcmp(persisted->pending_buckets, computed->buckets, sizeof computed->buckets) == 0 &&
            memcmp(persisted->pending_fork_root, computed->fork_root, RSN_HASH_BYTES) == 0;
    }
    rsn_digest_destroy(&persisted);
    rsn_digest_destroy(&computed);
    return rc;
}

void rsn_digest_stage(const rsn_digest_t *self, rsn_batch_t *batch)
{
    uint8_t k[RSN_KEY_MAX];
    for (unsigned b = 0; b < RSN_BUCKETS; b++) {
        if (memcmp(self->pending_buckets[b], self->buckets[b], RSN_HASH_BYTES) != 0) {
            rsn_batch_put(batch, k, rsn_key_digest_bucket(k, b), self->pending_buckets[b],
                          RSN_HASH_BYTES);
        }
    }
    if (memcmp(self->pending_fork_root, self->fork_root, RSN_HASH_BYTES) != 0) {
        rsn_batch_put(batch, k, rsn_key_digest_forks(k), self->pending_fork_root, RSN_HASH_BYTES);
    }
}

void rsn_digest_commit(rsn_digest_t *self)
{
    memcpy(self->buckets, self->pending_buckets, sizeof self->buckets);
    memcpy(self->fork_root, self->pending_fork_root, RSN_HASH_BYTES);
}

void rsn_digest_rollback(rsn_digest_t *self)
{
    memcpy(self->pending_buckets, self->buckets, sizeof self->buckets);
    memcpy(self->pending_fork_root, self->fork_root, RSN_HASH_BYTES);
}

const uint8_t (*rsn_digest_buckets(const rsn_digest_t *self))[RSN_HASH_BYTES]
{
    return (const uint8_t(*)[RSN_HASH_BYTES])self->buckets;
}

void rsn_digest_root(const rsn_digest_t *self, uint8_t root[RSN_HASH_BYTES])
{
    memset(root, 0, RSN_HASH_BYTES);
    for (int b = 0; b < RSN_BUCKETS; b++) {
        xor_into(root, self->buckets[b]);
    }
}

void rsn_digest_fork_root(const rsn_digest_t *self, uint8_t root[RSN_HASH_BYTES])
{
    memcpy(root, self->fork_root, RSN_HASH_BYTES);
}
