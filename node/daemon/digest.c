/* digest.c — the bucket digests of feeds' effective heads and the fork
 * digest, as committed and as staged (daemon/digest.h). */
#include "daemon/digest.h"

#include <stdlib.h>
#include <string.h>

#include "store/keys.h"

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

int rsn_digest_load(rsn_digest_t *self, rsn_store_t *store, rsn_digest_head_fn head, void *ctx)
{
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
