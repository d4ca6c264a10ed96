/* d_ingest.c — the write path: checks every entry and stages it in a batch.
 *
 * The order of the checks is the cost model of DESIGN.md: cheap structural
 * checks first, then the duplicate lookup by id (a duplicate never costs a
 * signature verification), then the signature, the body hash, the feed rule,
 * and for a client's own publish the semantic rules. An accepted entry
 * becomes one set of puts in the shared batch: the entry, its body, its feed
 * index and head, its transparency-log leaf, the counters, and the indexes of
 * its kind (store/keys.h). */
#include "daemon/ingest.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "crypto/crypto.h"
#include "crypto/merkle.h"
#include "proto/codec.h"
#include "store/keys.h"
#include "daemon/retention.h"
#include "daemon/entry.h"
#include "daemon/rules.h"

typedef struct {
    uint8_t id[32];
    uint8_t author[32];
    uint64_t seq;
    const uint8_t *entry; /* copies in the batch arena, for fork evidence */
    size_t entry_len;
    const uint8_t *signature;
} staged_t;

typedef struct {
    uint8_t author[32];
    uint64_t seq;
} frozen_t;

#define VERIFIED_SLOTS 4096 /* power of two, twice RSN_INGEST_BATCH_MAX */
#define STAGED_SLOTS 4096  /* power of two, twice RSN_INGEST_BATCH_MAX */

typedef struct {
    bool used;
    uint8_t id[32];
    uint8_t signature[64];
} verified_t;

struct rsn_ingest {
    rsn_store_t *store;
    verified_t *verified; /* open addressing by the id's first bytes */
    uint16_t verified_used[VERIFIED_SLOTS];
    size_t n_verified;
    rsn_batch_t *batch;
    rsn_arena_t *batch_arena; /* lives as long as the staged batch */
    staged_t staged[RSN_INGEST_BATCH_MAX];
    int16_t staged_slots[STAGED_SLOTS]; /* staged ids by hash: index in staged, -1 free */
    size_t n_staged;
    frozen_t frozen[RSN_INGEST_BATCH_MAX];
    size_t n_frozen;
    size_t n_evidence;
    bool any_frozen;      /* a feed is frozen (staged or stored): look it up */
    bool commit_failed;   /* sticky until rsn_ingest_take_failure */
    uint8_t fork_root[32];         /* as committed */
    uint8_t pending_fork_root[32]; /* as staged */
    rsn_counts_t counts;  /* as committed */
    rsn_counts_t pending; /* as staged */
    uint8_t (*committed)[32];
    size_t n_committed;
    size_t cap_committed;
    rsn_fork_ref_t forks_committed[RSN_INGEST_BATCH_MAX];
    size_t n_forks_committed;
    rsn_merkle_frontier_t frontier;         /* the log as committed */
    rsn_merkle_frontier_t pending_frontier; /* as staged */
    uint8_t buckets[RSN_BUCKETS][32];         /* as committed */
    uint8_t pending_buckets[RSN_BUCKETS][32]; /* as staged */
};

static const char *const counter_names[] = {"entries", "authors", "groups", "forks", "leaves"};

static int load_buckets(rsn_ingest_t *self);

static uint64_t *counter_slot(rsn_counts_t *c, int i)
{
    uint64_t *slots[] = {&c->entries, &c->authors, &c->groups, &c->forks, &c->leaves};
    return slots[i];
}

static size_t counter_key(uint8_t *k, int i)
{
    size_t n = strlen(counter_names[i]);
    k[0] = RSN_TAG_COUNTER;
    memcpy(k + 1, counter_names[i], n);
    return n + 1;
}

static int load_counts(rsn_ingest_t *self)
{
    for (int i = 0; i < 5; i++) {
        uint8_t k[16];
        size_t kl = counter_key(k, i);
        void *v = NULL;
        size_t vl = 0;
        int rc = rsn_store_get(self->store, k, kl, &v, &vl);
        if (rc == RSN_ERR_NOT_FOUND) {
            *counter_slot(&self->counts, i) = 0;
            continue;
        }
        if (rc < 0) {
            return rc;
        }
        if (vl != 8) {
            rsn_store_free(v);
            rsn_error("store: counter %s is %zu bytes, not 8", counter_names[i], vl);
            return RSN_ERR_IO;
        }
        *counter_slot(&self->counts, i) = rsn_be64_get(v);
        rsn_store_free(v);
    }
    self->pending = self->counts;
    return 0;
}

int rsn_ingest_new(rsn_ingest_t **out, rsn_store_t *store)
{
    *out = NULL;
    rsn_ingest_t *self = calloc(1, sizeof *self);
    if (!self) {
        return RSN_ERR_NOMEM;
    }
    self->store = store;
    self->batch = rsn_batch_new();
    self->batch_arena = rsn_arena_new();
    self->verified = calloc(VERIFIED_SLOTS, sizeof(verified_t));
    memset(self->staged_slots, 0xff, sizeof self->staged_slots);
    if (!self->batch || !self->batch_arena || !self->verified) {
        rsn_ingest_destroy(&self);
        return RSN_ERR_NOMEM;
    }
    int rc = load_counts(self);
    if (rc == 0) {
        rc = load_buckets(self);
    }
    if (rc == 0) {
        rc = rsn_merkle_frontier_load(&self->frontier, rsn_tree_get, store, self->counts.leaves);
        if (rc < 0) {
            rsn_error("store: the transparency log's right edge at size %llu is unreadable",
                      (unsigned long long)self->counts.leaves);
            rc = RSN_ERR_IO;
        }
        self->pending_frontier = self->frontier;
    }
    if (rc < 0) {
        rsn_ingest_destroy(&self);
        return rc;
    }
    *out = self;
    return 0;
}

void rsn_ingest_destroy(rsn_ingest_t **self_p)
{
    if (!self_p || !*self_p) {
        return;
    }
    rsn_ingest_t *self = *self_p;
    rsn_batch_destroy(&self->batch);
    rsn_arena_destroy(&self->batch_arena);
    free(self->committed);
    free(self->verified);
    free(self);
    *self_p = NULL;
}

static int fail(char *why, size_t why_size, int code, const char *fmt, ...)
    RSN_PRINTF(4, 5);

static int fail(char *why, size_t why_size, int code, const char *fmt, ...)
{
    if (why && why_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, why_size, fmt, ap);
        va_end(ap);
    }
    return code;
}

static size_t verified_slot(const uint8_t id[32])
{
    return ((size_t)id[0] | (size_t)id[1] << 8) & (VERIFIED_SLOTS - 1);
}

/* True when (ID, SIGNATURE) was verified by the last rsn_ingest_preverify. */
static bool verified_has(const rsn_ingest_t *self, const uint8_t id[32],
                         const uint8_t signature[64])
{
    for (size_t i = verified_slot(id), probes = 0; probes < VERIFIED_SLOTS;
         i = (i + 1) & (VERIFIED_SLOTS - 1), probes++) {
        const verified_t *v = &self->verified[i];
        if (!v->used) {
            return false;
        }
        if (memcmp(v->id, id, 32) == 0 && memcmp(v->signature, signature, 64) == 0) {
            return true;
        }
    }
    return false;
}

static void verified_add(rsn_ingest_t *self, const uint8_t id[32], const uint8_t signature[64])
{
    if (self->n_verified >= VERIFIED_SLOTS / 2) {
        return;
    }
    size_t i = verified_slot(id);
    while (self->verified[i].used) {
        i = (i + 1) & (VERIFIED_SLOTS - 1);
    }
    verified_t *v = &self->verified[i];
    v->used = true;
    memcpy(v->id, id, 32);
    memcpy(v->signature, signature, 64);
    self->verified_used[self->n_verified++] = (uint16_t)i;
}

/* The head of AUTHOR as staged or stored: seq 0 when none. */
static int head_of(rsn_ingest_t *self, const uint8_t author[32], uint64_t *seq, uint8_t id[32])
{
    for (size_t i = self->n_staged; i-- > 0;) {
        if (memcmp(self->staged[i].author, author, 32) == 0) {
            *seq = self->staged[i].seq;
            memcpy(id, self->staged[i].id, 32);
            return 0;
        }
    }
    uint8_t k[RSN_KEY_MAX];
    size_t kl = rsn_key_1(k, RSN_TAG_HEAD, author);
    void *v = NULL;
    size_t vl = 0;
    int rc = rsn_store_get(self->store, k, kl, &v, &vl);
    if (rc == RSN_ERR_NOT_FOUND) {
        *seq = 0;
        memset(id, 0, 32);
        return 0;
    }
    if (rc < 0) {
        return rc;
    }
    if (vl != 40) {
        rsn_store_free(v);
        return RSN_ERR_IO;
    }
    *seq = rsn_be64_get(v);
    memcpy(id, (uint8_t *)v + 8, 32);
    rsn_store_free(v);
    return 0;
}

/* The seq from which AUTHOR's feed is frozen (staged or stored), or 0. */
static uint64_t frozen_from(rsn_ingest_t *self, const uint8_t author[32])
{
    if (!self->any_frozen) {
        return 0; /* the common case: no fork was ever seen */
    }
    uint64_t seq = 0;
    for (size_t i = 0; i < self->n_frozen; i++) {
        if (memcmp(self->frozen[i].author, author, 32) == 0 &&
            (seq == 0 || self->frozen[i].seq < seq)) {
            seq = self->frozen[i].seq;
        }
    }
    uint8_t k[RSN_KEY_MAX];
    size_t kl = rsn_key_1(k, RSN_TAG_FROZEN, author);
    void *v = NULL;
    size_t vl = 0;
    if (rsn_store_get(self->store, k, kl, &v, &vl) != 0) {
        return seq;
    }
    uint64_t stored = vl == 8 ? rsn_be64_get(v) : 0;
    rsn_store_free(v);
    if (stored && (seq == 0 || stored < seq)) {
        seq = stored;
    }
    return seq;
}

static size_t staged_slot(const uint8_t id[32])
{
    return ((size_t)id[2] | (size_t)id[3] << 8) & (STAGED_SLOTS - 1);
}

static bool is_staged(const rsn_ingest_t *self, const uint8_t id[32])
{
    for (size_t i = staged_slot(id);; i = (i + 1) & (STAGED_SLOTS - 1)) {
        int16_t at = self->staged_slots[i];
        if (at < 0) {
            return false;
        }
        if (memcmp(self->staged[at].id, id, 32) == 0) {
            return true;
        }
    }
}

static void staged_index(rsn_ingest_t *self, size_t at)
{
    size_t i = staged_slot(self->staged[at].id);
    while (self->staged_slots[i] >= 0) {
        i = (i + 1) & (STAGED_SLOTS - 1);
    }
    self->staged_slots[i] = (int16_t)at;
}

static int id_at(rsn_ingest_t *self, const uint8_t author[32], uint64_t seq, uint8_t id[32]);

/* Finds the entry held for (AUTHOR, SEQ): staged or stored. Fills the
 * header and signature into HELD (from ARENA). 0 or RSN_ERR_NOT_FOUND. */
static int held_at(rsn_ingest_t *self, rsn_arena_t *arena, const uint8_t author[32], uint64_t seq,
                   uint8_t id[32], Raison__SignedEntry *held)
{
    for (size_t i = 0; i < self->n_staged; i++) {
        if (self->staged[i].seq == seq && memcmp(self->staged[i].author, author, 32) == 0) {
            memcpy(id, self->staged[i].id, 32);
            held->entry.data = (uint8_t *)self->staged[i].entry;
            held->entry.len = self->staged[i].entry_len;
            held->signature.data = (uint8_t *)self->staged[i].signature;
            held->signature.len = RSN_SIG_BYTES;
            return 0;
        }
    }
    int rc = id_at(self, author, seq, id);
    if (rc < 0) {
        return rc;
    }
    Raison__SignedEntry *se = NULL;
    rc = rsn_signed_load(self->store, arena, id, &se);
    if (rc < 0) {
        return rc == RSN_ERR_NOT_FOUND ? RSN_ERR_IO : rc;
    }
    held->entry = se->entry;
    held->signature = se->signature;
    return 0;
}

void rsn_ingest_head_hash(const uint8_t author[32], uint64_t seq, const uint8_t *id,
                          uint8_t out[32])
{
    uint8_t buf[72];
    memcpy(buf, author, 32);
    rsn_be64_put(buf + 32, seq);
    if (id && seq > 0) {
        memcpy(buf + 40, id, 32);
    } else {
        memset(buf + 40, 0, 32);
    }
    rsn_sha256(out, buf, sizeof buf);
}

/* The id held at (AUTHOR, SEQ), staged or stored. */
static int id_at(rsn_ingest_t *self, const uint8_t author[32], uint64_t seq, uint8_t id[32])
{
    for (size_t i = 0; i < self->n_staged; i++) {
        if (self->staged[i].seq == seq && memcmp(self->staged[i].author, author, 32) == 0) {
            memcpy(id, self->staged[i].id, 32);
            return 0;
        }
    }
    uint8_t k[RSN_KEY_MAX];
    size_t kl = rsn_key_1n(k, RSN_TAG_SEQ, author, seq);
    void *v = NULL;
    size_t vl = 0;
    int rc = rsn_store_get(self->store, k, kl, &v, &vl);
    if (rc < 0) {
        return rc;
    }
    if (vl != 32) {
        rsn_store_free(v);
        return RSN_ERR_IO;
    }
    memcpy(id, v, 32);
    rsn_store_free(v);
    return 0;
}

/* The effective head of AUTHOR (see d_ingest.h), staged state included.
 * *EXISTS is false for an author of whom nothing is held. */
static int effective_head(rsn_ingest_t *self, const uint8_t author[32], bool *exists,
                          uint64_t *seq, uint8_t id[32], bool *frozen)
{
    uint64_t hs = 0;
    uint8_t hid[32];
    int rc = head_of(self, author, &hs, hid);
    if (rc < 0) {
        return rc;
    }
    uint64_t f = frozen_from(self, author);
    *exists = hs > 0 || f > 0;
    *frozen = f > 0;
    uint64_t eff = f && f - 1 < hs ? f - 1 : hs;
    *seq = eff;
    memset(id, 0, 32);
    if (eff == 0) {
        return 0;
    }
    if (eff == hs) {
        memcpy(id, hid, 32);
        return 0;
    }
    return id_at(self, author, eff, id);
}

/* XORs the contribution of AUTHOR's effective head into the staged bucket:
 * called once before and once after a change, it swaps old for new. */
static int toggle_contribution(rsn_ingest_t *self, const uint8_t author[32])
{
    bool exists = false, frozen = false;
    uint64_t seq = 0;
    uint8_t id[32], h[32];
    int rc = effective_head(self, author, &exists, &seq, id, &frozen);
    if (rc < 0 || !exists) {
        return rc;
    }
    rsn_ingest_head_hash(author, seq, id, h);
    for (int i = 0; i < 32; i++) {
        self->pending_buckets[author[0]][i] ^= h[i];
    }
    return 0;
}

static int load_buckets(rsn_ingest_t *self)
{
    memset(self->pending_buckets, 0, sizeof self->pending_buckets);
    uint8_t ztag = RSN_TAG_FROZEN;
    rsn_iter_t *z = rsn_iter_new(self->store, &ztag, 1);
    if (!z) {
        return RSN_ERR_NOMEM;
    }
    rsn_iter_first(z);
    self->any_frozen = rsn_iter_valid(z);
    rsn_iter_destroy(&z);
    /* the fork digest: forks are rare, reading their keys is cheap */
    memset(self->fork_root, 0, 32);
    uint8_t ftag = RSN_TAG_FORK;
    rsn_iter_t *fi = rsn_iter_new(self->store, &ftag, 1);
    if (!fi) {
        return RSN_ERR_NOMEM;
    }
    for (rsn_iter_first(fi); rsn_iter_valid(fi); rsn_iter_next(fi)) {
        size_t fkl = 0;
        const uint8_t *fk = rsn_iter_key(fi, &fkl);
        if (fkl == 41) {
            uint8_t fh[32];
            rsn_ingest_fork_hash(fk + 1, rsn_be64_get(fk + 33), fh);
            for (int i = 0; i < 32; i++) {
                self->fork_root[i] ^= fh[i];
            }
        }
    }
    rsn_iter_destroy(&fi);
    memcpy(self->pending_fork_root, self->fork_root, 32);
    const uint8_t tags[2] = {RSN_TAG_HEAD, RSN_TAG_FROZEN};
    for (int t = 0; t < 2; t++) {
        rsn_iter_t *it = rsn_iter_new(self->store, &tags[t], 1);
        if (!it) {
            return RSN_ERR_NOMEM;
        }
        for (rsn_iter_first(it); rsn_iter_valid(it); rsn_iter_next(it)) {
            size_t kl = 0;
            const uint8_t *key = rsn_iter_key(it, &kl);
            if (kl != 33) {
                continue;
            }
            uint8_t hk[33];
            rsn_key_1(hk, RSN_TAG_HEAD, key + 1);
            if (t == 1 && rsn_store_has(self->store, hk, sizeof hk) == 0) {
                continue; /* counted with the heads */
            }
            int rc = toggle_contribution(self, key + 1);
            if (rc < 0) {
                rsn_iter_destroy(&it);
                return rc;
            }
        }
        rsn_iter_destroy(&it);
    }
    memcpy(self->buckets, self->pending_buckets, sizeof self->buckets);
    return 0;
}

const uint8_t (*rsn_ingest_buckets(const rsn_ingest_t *self))[32]
{
    return (const uint8_t(*)[32])self->buckets;
}

void rsn_ingest_root(const rsn_ingest_t *self, uint8_t root[32])
{
    memset(root, 0, 32);
    for (int b = 0; b < RSN_BUCKETS; b++) {
        for (int i = 0; i < 32; i++) {
            root[i] ^= self->buckets[b][i];
        }
    }
}

int rsn_ingest_effective_head(rsn_ingest_t *self, const uint8_t author[32], uint64_t *seq,
                              uint8_t id[32], bool *frozen)
{
    bool exists = false;
    return effective_head(self, author, &exists, seq, id, frozen);
}

/* Stages fork evidence for (AUTHOR, SEQ) and freezes the feed there. */
static int stage_fork(rsn_ingest_t *self, rsn_arena_t *arena, const uint8_t author[32],
                      uint64_t seq, const Raison__SignedEntry *held,
                      const Raison__SignedEntry *incoming)
{
    uint8_t k[RSN_KEY_MAX];
    size_t kl = rsn_key_1n(k, RSN_TAG_FORK, author, seq);
    if (rsn_store_has(self->store, k, kl) == 0) {
        return 0; /* evidence for this seq already held */
    }
    for (size_t i = 0; i < self->n_frozen; i++) {
        if (self->frozen[i].seq == seq && memcmp(self->frozen[i].author, author, 32) == 0) {
            return 0; /* already staged */
        }
    }
    if (self->n_frozen >= RSN_INGEST_BATCH_MAX) {
        return RSN_ERR_BUSY;
    }
    Raison__ForkEvidence ev = RAISON__FORK_EVIDENCE__INIT;
    Raison__SignedEntry a = RAISON__SIGNED_ENTRY__INIT;
    Raison__SignedEntry b = RAISON__SIGNED_ENTRY__INIT;
    a.entry = held->entry;
    a.signature = held->signature;
    b.entry = incoming->entry;
    b.signature = incoming->signature;
    ev.author.data = (uint8_t *)author;
    ev.author.len = 32;
    ev.seq = seq;
    ev.a = &a;
    ev.b = &b;
    uint8_t *bytes = NULL;
    size_t len = 0;
    int rc = rsn_pack(arena, &ev.base, &bytes, &len);
    if (rc < 0) {
        return rc;
    }
    rc = toggle_contribution(self, author);
    if (rc < 0) {
        return rc;
    }
    rsn_batch_put(self->batch, k, kl, bytes, len);
    uint8_t fh[32];
    rsn_ingest_fork_hash(author, seq, fh);
    for (int i = 0; i < 32; i++) {
        self->pending_fork_root[i] ^= fh[i];
    }
    uint64_t from = frozen_from(self, author);
    if (from == 0 || seq < from) {
        uint8_t v[8];
        rsn_be64_put(v, seq);
        kl = rsn_key_1(k, RSN_TAG_FROZEN, author);
        rsn_batch_put(self->batch, k, kl, v, 8);
    }
    self->any_frozen = true;
    memcpy(self->frozen[self->n_frozen].author, author, 32);
    self->frozen[self->n_frozen].seq = seq; /* the evidence key; frozen_from takes the min */
    self->n_frozen++;
    self->pending.forks++;
    self->n_evidence++;
    rc = toggle_contribution(self, author);
    if (rc < 0) {
        return rc;
    }
    char hex[65];
    rsn_warn("fork: author %s signed two entries for seq %llu; feed frozen",
             rsn_hex_encode(hex, sizeof hex, author, 32), (unsigned long long)seq);
    return 0;
}

/* True when a held retraction by AUTHOR asks that TARGET's body be erased. */
static bool erase_requested(rsn_ingest_t *self, rsn_arena_t *arena, const uint8_t target[32],
                            const uint8_t author[32])
{
    uint8_t prefix[33];
    rsn_key_1(prefix, RSN_TAG_RETRACTION, target);
    rsn_iter_t *it = rsn_iter_new(self->store, prefix, sizeof prefix);
    bool erase = false;
    if (!it) {
        return true; /* when in doubt, do not bring a body back */
    }
    for (rsn_iter_first(it); rsn_iter_valid(it) && !erase; rsn_iter_next(it)) {
        size_t kl = 0;
        const uint8_t *key = rsn_iter_key(it, &kl);
        rsn_loaded_t *r = NULL;
        if (kl != 65 || rsn_entry_load(self->store, arena, key + 33, &r) != 0 || !r->body ||
            r->entry->kind != RAISON__KIND__KIND_RETRACTION) {
            continue;
        }
        const Raison__Retraction *ret = r->body;
        erase = ret->erase && memcmp(r->entry->author.data, author, 32) == 0;
    }
    rsn_iter_destroy(&it);
    return erase;
}

/* True when a post (E with BODY) is already past its group's retention. */
static bool past_retention(rsn_ingest_t *self, rsn_arena_t *arena, const Raison__Entry *e,
                           const uint8_t *body, size_t body_len)
{
    if (e->kind != RAISON__KIND__KIND_POST) {
        return false;
    }
    void *decoded = NULL;
    if (rsn_body_decode(arena, e->kind, body, body_len, &decoded) < 0) {
        return false;
    }
    const Raison__Post *p = decoded;
    if (p->group.len != 32) {
        return false;
    }
    uint32_t days = rsn_retention_days(self->store, p->group.data);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    uint64_t now_ms = (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
    return days > 0 && e->timestamp + (uint64_t)days * 86400000ULL < now_ms;
}

/* A duplicate that carries the body of an entry held without one (a peer
 * relayed the header alone): the body is put back when it matches the header
 * and its author never asked for its erasure. Stages a put; no other change. */
static void restore_body(rsn_ingest_t *self, rsn_arena_t *arena, const Raison__Entry *e,
                         const uint8_t id[32], const uint8_t *body, size_t body_len)
{
    uint8_t k[RSN_KEY_MAX];
    size_t kl = rsn_key_1(k, RSN_TAG_BODY, id);
    if (rsn_store_has(self->store, k, kl) == 0) {
        return; /* the usual duplicate: nothing to do, at the cost of one lookup */
    }
    uint8_t h[32];
    rsn_sha256(h, body, body_len);
    if (body_len != e->body_size || !rsn_equal(h, e->body_hash.data, 32) ||
        erase_requested(self, arena, id, e->author.data) ||
        past_retention(self, arena, e, body, body_len)) {
        return;
    }
    rsn_batch_put(self->batch, k, kl, body, body_len);
    self->n_evidence++; /* counts as pending work, so the batch is committed */
}

/* The author of entry TARGET (staged or stored), into AUTHOR. */
static int author_of(rsn_ingest_t *self, rsn_arena_t *arena, const uint8_t target[32],
                     uint8_t author[32])
{
    for (size_t i = 0; i < self->n_staged; i++) {
        if (memcmp(self->staged[i].id, target, 32) == 0) {
            memcpy(author, self->staged[i].author, 32);
            return 0;
        }
    }
    rsn_loaded_t *t = NULL;
    int rc = rsn_entry_load(self->store, arena, target, &t);
    if (rc == 0) {
        memcpy(author, t->entry->author.data, 32);
    }
    return rc;
}

/* The puts of the indexes of one entry's kind. */
static void stage_indexes(rsn_ingest_t *self, rsn_arena_t *arena, const Raison__Entry *e,
                          const void *body, const uint8_t id[32])
{
    uint8_t k[RSN_KEY_MAX];
    size_t kl;
    switch (e->kind) {
    case RAISON__KIND__KIND_CHARTER: {
        const Raison__Charter *c = body;
        if (c->version == 1 && c->group.len == 0) {
            kl = rsn_key_1(k, RSN_TAG_GROUP, id);
            rsn_batch_put(self->batch, k, kl, "", 0);
            kl = rsn_key_2(k, RSN_TAG_CHARTER, id, id);
            rsn_batch_put(self->batch, k, kl, "", 0);
            self->pending.groups++;
        } else if (c->group.len == 32) {
            kl = rsn_key_2(k, RSN_TAG_CHARTER, c->group.data, id);
            rsn_batch_put(self->batch, k, kl, "", 0);
        }
        break;
    }
    case RAISON__KIND__KIND_MEMBERSHIP: {
        const Raison__Membership *m = body;
        if (m->group.len == 32) {
            kl = rsn_key_1n2(k, RSN_TAG_MEMBERSHIP, m->group.data, e->timestamp, id);
            rsn_batch_put(self->batch, k, kl, "", 0);
        }
        break;
    }
    case RAISON__KIND__KIND_POST: {
        const Raison__Post *p = body;
        if (p->group.len == 32) {
            kl = rsn_key_1n2(k, RSN_TAG_POST, p->group.data, e->timestamp, id);
            rsn_batch_put(self->batch, k, kl, "", 0);
        }
        if (p->reply_to.len == 32) {
            kl = rsn_key_2(k, RSN_TAG_REPLY, p->reply_to.data, id);
            rsn_batch_put(self->batch, k, kl, "", 0);
        }
        break;
    }
    case RAISON__KIND__KIND_PROFILE: {
        uint8_t v[40];
        rsn_be64_put(v, e->seq);
        memcpy(v + 8, id, 32);
        kl = rsn_key_1(k, RSN_TAG_PROFILE, e->author.data);
        rsn_batch_put(self->batch, k, kl, v, sizeof v);
        break;
    }
    case RAISON__KIND__KIND_RETRACTION: {
        const Raison__Retraction *r = body;
        if (r->target.len == 32) {
            kl = rsn_key_2(k, RSN_TAG_RETRACTION, r->target.data, id);
            rsn_batch_put(self->batch, k, kl, "", 0);
            uint8_t target_author[32];
            if (r->erase && author_of(self, arena, r->target.data, target_author) == 0 &&
                memcmp(target_author, e->author.data, 32) == 0) {
                kl = rsn_key_1(k, RSN_TAG_BODY, r->target.data);
                rsn_batch_delete(self->batch, k, kl);
            }
        }
        break;
    }
    default:
        break;
    }
}

/* Swaps the digest contribution of a feed that is not frozen from its old
 * head (HEAD_SEQ, HEAD_ID; none when 0) to its new one (SEQ, ID). */
static void advance_contribution(rsn_ingest_t *self, const uint8_t author[32], uint64_t head_seq,
                                 const uint8_t *head_id, uint64_t seq, const uint8_t id[32])
{
    uint8_t h[32];
    uint8_t *bucket = self->pending_buckets[author[0]];
    if (head_seq > 0) {
        rsn_ingest_head_hash(author, head_seq, head_id, h);
        for (int i = 0; i < 32; i++) {
            bucket[i] ^= h[i];
        }
    }
    rsn_ingest_head_hash(author, seq, id, h);
    for (int i = 0; i < 32; i++) {
        bucket[i] ^= h[i];
    }
}

static int stage_checked(rsn_ingest_t *self, rsn_arena_t *arena, const Raison__Entry *e,
                         const void *body, const uint8_t id[32], const uint8_t *entry,
                         size_t entry_len, const uint8_t *signature, const uint8_t *body_bytes,
                         size_t body_len, bool has_body, uint64_t head_seq,
                         const uint8_t *head_id, bool frozen)
{
    uint8_t k[RSN_KEY_MAX];
    size_t kl;
    int rc = frozen ? toggle_contribution(self, e->author.data) : 0;
    if (rc < 0) {
        return rc;
    }
    /* the entry as received: header and signature, body apart */
    Raison__SignedEntry se = RAISON__SIGNED_ENTRY__INIT;
    se.entry.data = (uint8_t *)entry;
    se.entry.len = entry_len;
    se.signature.data = (uint8_t *)signature;
    se.signature.len = RSN_SIG_BYTES;
    uint8_t *packed = NULL;
    size_t packed_len = 0;
    rc = rsn_pack(arena, &se.base, &packed, &packed_len);
    if (rc < 0) {
        return rc;
    }
    kl = rsn_key_1(k, RSN_TAG_ENTRY, id);
    rsn_batch_put(self->batch, k, kl, packed, packed_len);
    /* no retraction can be held before its target: it is a later entry of
     * the same feed, and feeds are accepted in order; but a post may arrive
     * (late, or backdated) already past its group's retention */
    if (has_body && past_retention(self, arena, e, body_bytes, body_len)) {
        has_body = false;
    }
    if (has_body) {
        kl = rsn_key_1(k, RSN_TAG_BODY, id);
        rsn_batch_put(self->batch, k, kl, body_bytes, body_len);
    }
    kl = rsn_key_1n(k, RSN_TAG_SEQ, e->author.data, e->seq);
    rsn_batch_put(self->batch, k, kl, id, 32);
    uint8_t head[40];
    rsn_be64_put(head, e->seq);
    memcpy(head + 8, id, 32);
    kl = rsn_key_1(k, RSN_TAG_HEAD, e->author.data);
    rsn_batch_put(self->batch, k, kl, head, sizeof head);
    /* transparency log leaf, in acceptance order */
    uint64_t index = self->pending.leaves;
    kl = rsn_key_n(k, RSN_TAG_LEAF, index);
    rsn_batch_put(self->batch, k, kl, id, 32);
    uint8_t iv[8];
    rsn_be64_put(iv, index);
    kl = rsn_key_1(k, RSN_TAG_LEAF_INDEX, id);
    rsn_batch_put(self->batch, k, kl, iv, 8);
    uint8_t leaf_hash[32];
    rsn_merkle_leaf_hash(leaf_hash, id, 32);
    rsn_merkle_node_t nodes[RSN_MERKLE_MAX_DEPTH];
    size_t n_nodes = 0;
    rc = rsn_merkle_frontier_append(&self->pending_frontier, leaf_hash, nodes, &n_nodes);
    if (rc < 0) {
        return RSN_ERR_INTERNAL;
    }
    for (size_t i = 0; i < n_nodes; i++) {
        kl = rsn_key_tree(k, nodes[i].level, nodes[i].index);
        rsn_batch_put(self->batch, k, kl, nodes[i].hash, 32);
    }
    self->pending.leaves++;
    self->pending.entries++;
    if (e->seq == 1) {
        self->pending.authors++;
    }
    if (body) {
        stage_indexes(self, arena, e, body, id);
    }
    staged_t *s = &self->staged[self->n_staged];
    memcpy(s->id, id, 32);
    staged_index(self, self->n_staged++);
    memcpy(s->author, e->author.data, 32);
    s->seq = e->seq;
    s->entry = rsn_arena_memdup(self->batch_arena, entry, entry_len);
    s->entry_len = entry_len;
    s->signature = rsn_arena_memdup(self->batch_arena, signature, RSN_SIG_BYTES);
    if (!s->entry || !s->signature) {
        return RSN_ERR_NOMEM;
    }
    if (frozen) {
        return toggle_contribution(self, e->author.data);
    }
    advance_contribution(self, e->author.data, head_seq, head_id, e->seq, id);
    return 0;
}

/* True for the rule failures that a staged entry could cure. */
static bool may_depend_on_staged(int rc)
{
    return rc == RSN_ERR_UNKNOWN_GROUP || rc == RSN_ERR_UNKNOWN_MISSION ||
           rc == RSN_ERR_NOT_OWNER || rc == RSN_ERR_NOT_MEMBER || rc == RSN_ERR_UNKNOWN_ENTRY ||
           rc == RSN_ERR_INVALID_CHARTER || rc == RSN_ERR_INVALID_BODY;
}

int rsn_ingest_stage(rsn_ingest_t *self, const uint8_t *entry, size_t entry_len,
                     const uint8_t *signature, size_t signature_len, const uint8_t *body,
                     size_t body_len, bool has_body, bool local, rsn_ingest_result_t *res,
                     char *why, size_t why_size)
{
    memset(res, 0, sizeof *res);
    if (why && why_size) {
        why[0] = '\0';
    }
    if (self->n_staged >= RSN_INGEST_BATCH_MAX) {
        return fail(why, why_size, RSN_ERR_BUSY, "too many entries staged; retry");
    }
    if (entry_len > RSN_ENTRY_MAX) {
        return fail(why, why_size, RSN_ERR_TOO_LARGE, "entry is %zu bytes; the limit is %d",
                    entry_len, RSN_ENTRY_MAX);
    }
    if (has_body && body_len > RSN_BODY_MAX) {
        return fail(why, why_size, RSN_ERR_TOO_LARGE, "body is %zu bytes; the limit is %d",
                    body_len, RSN_BODY_MAX);
    }
    rsn_arena_t *arena = rsn_arena_new();
    if (!arena) {
        return RSN_ERR_NOMEM;
    }
    int rc = 0;
    Raison__Entry *e = NULL;
    rc = rsn_entry_decode(arena, entry, entry_len, &e, why, why_size);
    if (rc < 0) {
        goto out;
    }
    if (!has_body && e->body_size == 0) {
        /* an empty body cannot be told from an absent one on the wire */
        has_body = true;
        body = (const uint8_t *)"";
        body_len = 0;
    }
    uint8_t id[32];
    rsn_entry_id(id, entry, entry_len);
    memcpy(res->id, id, 32);
    res->seq = e->seq;
    /* a duplicate costs a lookup, never a signature check */
    uint8_t k[RSN_KEY_MAX];
    size_t kl = rsn_key_1(k, RSN_TAG_ENTRY, id);
    if (is_staged(self, id) || rsn_store_has(self->store, k, kl) == 0) {
        res->duplicate = true;
        if (has_body && !is_staged(self, id)) {
            restore_body(self, arena, e, id, body, body_len);
        }
        goto out;
    }
    if (signature_len != RSN_SIG_BYTES) {
        rc = fail(why, why_size, RSN_ERR_BAD_ENTRY, "signature is %zu bytes, not 64",
                  signature_len);
        goto out;
    }
    if (!verified_has(self, id, signature) &&
        rsn_entry_verify(e->author.data, entry, entry_len, signature) != 0) {
        rc = fail(why, why_size, RSN_ERR_BAD_SIGNATURE,
                  "signature does not verify under the entry's author");
        goto out;
    }
    if (local && !has_body) {
        rc = fail(why, why_size, RSN_ERR_BAD_ENTRY, "a publish must carry the entry's body");
        goto out;
    }
    if (has_body) {
        uint8_t h[32];
        rsn_sha256(h, body, body_len);
        if (body_len != e->body_size || !rsn_equal(h, e->body_hash.data, 32)) {
            rc = fail(why, why_size, RSN_ERR_BODY_MISMATCH,
                      "body (%zu bytes) does not match the entry's body_hash and body_size (%u)",
                      body_len, e->body_size);
            goto out;
        }
    }
    /* the feed rule */
    uint64_t frozen = frozen_from(self, e->author.data);
    uint64_t head_seq = 0;
    uint8_t head_id[32];
    rc = head_of(self, e->author.data, &head_seq, head_id);
    if (rc < 0) {
        goto out;
    }
    if (e->seq <= head_seq) {
        Raison__SignedEntry held = RAISON__SIGNED_ENTRY__INIT;
        uint8_t held_id[32];
        rc = held_at(self, arena, e->author.data, e->seq, held_id, &held);
        if (rc < 0) {
            goto out;
        }
        Raison__SignedEntry incoming = RAISON__SIGNED_ENTRY__INIT;
        incoming.entry.data = (uint8_t *)entry;
        incoming.entry.len = entry_len;
        incoming.signature.data = (uint8_t *)signature;
        incoming.signature.len = RSN_SIG_BYTES;
        rc = stage_fork(self, arena, e->author.data, e->seq, &held, &incoming);
        if (rc == 0) {
            rc = fail(why, why_size, RSN_ERR_FORK,
                      "a different entry is held for this author at seq %llu: both are kept as "
                      "fork evidence and the feed is frozen",
                      (unsigned long long)e->seq);
        }
        goto out;
    }
    if (frozen && e->seq >= frozen) {
        rc = fail(why, why_size, RSN_ERR_FEED_FROZEN,
                  "this author's feed forked at seq %llu: no new entry is accepted",
                  (unsigned long long)frozen);
        goto out;
    }
    if (e->seq != head_seq + 1) {
        rc = fail(why, why_size, RSN_ERR_BAD_SEQ, "seq %llu is not the feed head + 1 (%llu)",
                  (unsigned long long)e->seq, (unsigned long long)head_seq + 1);
        goto out;
    }
    if (e->seq > 1 && memcmp(e->prev.data, head_id, 32) != 0) {
        rc = fail(why, why_size, RSN_ERR_BAD_PREV, "prev is not the id of the feed head (seq %llu)",
                  (unsigned long long)head_seq);
        goto out;
    }
    void *decoded = NULL;
    if (has_body) {
        if (rsn_body_decode(arena, e->kind, body, body_len, &decoded) < 0) {
            decoded = NULL;
            if (local) {
                rc = fail(why, why_size, RSN_ERR_INVALID_BODY, "body is not a protobuf %s",
                          rsn_kind_name(e->kind));
                goto out;
            }
        }
    }
    if (local) {
        rc = rsn_rules_check(self->store, arena, e, decoded, id, why, why_size);
        if (rc < 0 && may_depend_on_staged(rc) && self->n_staged > 0) {
            /* it may name an entry staged but not yet stored */
            int crc = rsn_ingest_commit(self);
            if (crc < 0) {
                rc = crc;
                goto out;
            }
            rc = rsn_rules_check(self->store, arena, e, decoded, id, why, why_size);
        }
        if (rc < 0) {
            goto out;
        }
    }
    rc = stage_checked(self, arena, e, decoded, id, entry, entry_len, signature, body, body_len,
                       has_body, head_seq, head_id, frozen != 0);
out:
    rsn_arena_destroy(&arena);
    return rc;
}

size_t rsn_ingest_pending(const rsn_ingest_t *self)
{
    return self->n_staged + self->n_evidence;
}

static void reset_batch(rsn_ingest_t *self)
{
    rsn_batch_clear(self->batch);
    rsn_arena_destroy(&self->batch_arena);
    self->batch_arena = rsn_arena_new();
    self->n_staged = 0;
    memset(self->staged_slots, 0xff, sizeof self->staged_slots);
    self->n_frozen = 0;
    self->n_evidence = 0;
}

int rsn_ingest_commit(rsn_ingest_t *self)
{
    if (rsn_ingest_pending(self) == 0) {
        return 0;
    }
    if (!self->batch_arena) {
        return RSN_ERR_NOMEM;
    }
    for (int i = 0; i < 5; i++) {
        uint64_t now = *counter_slot(&self->pending, i);
        if (now != *counter_slot(&self->counts, i)) {
            uint8_t k[16], v[8];
            size_t kl = counter_key(k, i);
            rsn_be64_put(v, now);
            rsn_batch_put(self->batch, k, kl, v, 8);
        }
    }
    int rc = rsn_store_write(self->store, self->batch, true);
    if (rc < 0) {
        rsn_error("ingest: a batch of %zu entries could not be written; none is acknowledged",
                  self->n_staged);
        self->pending = self->counts;
        self->commit_failed = true;
        memcpy(self->pending_buckets, self->buckets, sizeof self->buckets);
        memcpy(self->pending_fork_root, self->fork_root, 32);
        self->pending_frontier = self->frontier;
        reset_batch(self);
        return rc;
    }
    memcpy(self->buckets, self->pending_buckets, sizeof self->buckets);
    memcpy(self->fork_root, self->pending_fork_root, 32);
    self->frontier = self->pending_frontier;
    if (self->n_committed + self->n_staged > self->cap_committed) {
        size_t cap = self->cap_committed ? self->cap_committed * 2 : 1024;
        while (cap < self->n_committed + self->n_staged) {
            cap *= 2;
        }
        uint8_t(*grown)[32] = realloc(self->committed, cap * 32);
        if (grown) {
            self->committed = grown;
            self->cap_committed = cap;
        }
    }
    for (size_t i = 0; i < self->n_staged && self->n_committed < self->cap_committed; i++) {
        memcpy(self->committed[self->n_committed++], self->staged[i].id, 32);
    }
    for (size_t i = 0; i < self->n_frozen; i++) {
        if (self->n_forks_committed < RSN_INGEST_BATCH_MAX) {
            rsn_fork_ref_t *f = &self->forks_committed[self->n_forks_committed++];
            memcpy(f->author, self->frozen[i].author, 32);
            f->seq = self->frozen[i].seq;
        }
    }
    self->counts = self->pending;
    reset_batch(self);
    return 0;
}

const rsn_fork_ref_t *rsn_ingest_committed_forks(const rsn_ingest_t *self, size_t *count)
{
    *count = self->n_forks_committed;
    return self->forks_committed;
}

const uint8_t (*rsn_ingest_committed(const rsn_ingest_t *self, size_t *count))[32]
{
    *count = self->n_committed;
    return (const uint8_t(*)[32])self->committed;
}

void rsn_ingest_committed_clear(rsn_ingest_t *self)
{
    self->n_committed = 0;
    self->n_forks_committed = 0;
}

void rsn_ingest_counts(const rsn_ingest_t *self, rsn_counts_t *out)
{
    *out = self->counts;
}

/* Checks one signed header of fork evidence: decodes, verifies. */
static int evidence_half(rsn_arena_t *arena, const Raison__SignedEntry *se, Raison__Entry **e,
                         char *why, size_t why_size)
{
    if (!se || se->signature.len != RSN_SIG_BYTES) {
        return fail(why, why_size, RSN_ERR_BAD_ENTRY, "fork evidence lacks a signed entry");
    }
    int rc = rsn_entry_decode(arena, se->entry.data, se->entry.len, e, why, why_size);
    if (rc < 0) {
        return rc;
    }
    if (rsn_entry_verify((*e)->author.data, se->entry.data, se->entry.len,
                         se->signature.data) != 0) {
        return fail(why, why_size, RSN_ERR_BAD_SIGNATURE,
                    "fork evidence: a signature does not verify");
    }
    return 0;
}

int rsn_ingest_evidence(rsn_ingest_t *self, const uint8_t *bytes, size_t len, char *why,
                        size_t why_size)
{
    if (len > 4 * RSN_ENTRY_MAX) {
        return fail(why, why_size, RSN_ERR_TOO_LARGE, "fork evidence is over %d bytes",
                    4 * RSN_ENTRY_MAX);
    }
    rsn_arena_t *arena = rsn_arena_new();
    if (!arena) {
        return RSN_ERR_NOMEM;
    }
    int rc = 0;
    ProtobufCAllocator a = rsn_arena_allocator(arena);
    Raison__ForkEvidence *ev = raison__fork_evidence__unpack(&a, len, bytes);
    Raison__Entry *ea = NULL, *eb = NULL;
    if (!ev) {
        rc = fail(why, why_size, RSN_ERR_BAD_ENTRY, "fork evidence does not decode");
        goto out;
    }
    /* evidence already held costs a lookup, never a verification */
    if (ev->a && rsn_entry_decode(arena, ev->a->entry.data, ev->a->entry.len, &ea, NULL, 0) == 0) {
        uint8_t k[RSN_KEY_MAX];
        size_t kl = rsn_key_1n(k, RSN_TAG_FORK, ea->author.data, ea->seq);
        bool staged = false;
        for (size_t i = 0; i < self->n_frozen && !staged; i++) {
            staged = self->frozen[i].seq == ea->seq &&
                     memcmp(self->frozen[i].author, ea->author.data, 32) == 0;
        }
        if (staged || rsn_store_has(self->store, k, kl) == 0) {
            goto out;
        }
    }
    rc = evidence_half(arena, ev->a, &ea, why, why_size);
    if (rc == 0) {
        rc = evidence_half(arena, ev->b, &eb, why, why_size);
    }
    if (rc < 0) {
        goto out;
    }
    if (memcmp(ea->author.data, eb->author.data, 32) != 0 || ea->seq != eb->seq ||
        (ev->a->entry.len == ev->b->entry.len &&
         memcmp(ev->a->entry.data, ev->b->entry.data, ev->a->entry.len) == 0)) {
        rc = fail(why, why_size, RSN_ERR_BAD_ENTRY,
                  "fork evidence must be two different entries of one (author, seq)");
        goto out;
    }
    if (self->n_evidence + self->n_staged >= RSN_INGEST_BATCH_MAX) {
        rc = RSN_ERR_BUSY;
        goto out;
    }
    rc = stage_fork(self, arena, ea->author.data, ea->seq, ev->a, ev->b);
out:
    rsn_arena_destroy(&arena);
    return rc;
}

void rsn_ingest_preverify(rsn_ingest_t *self, const rsn_ingest_input_t *in, size_t n)
{
    for (size_t i = 0; i < self->n_verified; i++) {
        self->verified[self->verified_used[i]].used = false;
    }
    self->n_verified = 0;
    if (n > RSN_INGEST_BATCH_MAX) {
        n = RSN_INGEST_BATCH_MAX;
    }
    rsn_arena_t *arena = rsn_arena_new();
    rsn_verify_item_t *items = calloc(n ? n : 1, sizeof *items);
    int *results = calloc(n ? n : 1, sizeof *results);
    uint8_t(*ids)[32] = calloc(n ? n : 1, 32);
    size_t count = 0;
    if (!arena || !items || !results || !ids) {
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        Raison__Entry *e = NULL;
        if (in[i].signature_len != RSN_SIG_BYTES ||
            rsn_entry_decode(arena, in[i].entry, in[i].entry_len, &e, NULL, 0) < 0) {
            continue;
        }
        uint8_t k[RSN_KEY_MAX];
        rsn_entry_id(ids[count], in[i].entry, in[i].entry_len);
        size_t kl = rsn_key_1(k, RSN_TAG_ENTRY, ids[count]);
        if (is_staged(self, ids[count]) || rsn_store_has(self->store, k, kl) == 0) {
            continue; /* a duplicate is never verified */
        }
        items[count].author = e->author.data;
        items[count].entry = in[i].entry;
        items[count].len = in[i].entry_len;
        items[count].signature = in[i].signature;
        count++;
    }
    rsn_entry_verify_many(items, count, results, 0);
    for (size_t i = 0; i < count; i++) {
        if (results[i] == 0) {
            verified_add(self, ids[i], items[i].signature);
        }
    }
out:
    free(items);
    free(results);
    free(ids);
    rsn_arena_destroy(&arena);
}

int rsn_tree_get(void *store, unsigned level, uint64_t index, uint8_t out[32])
{
    uint8_t k[RSN_KEY_MAX];
    size_t kl = rsn_key_tree(k, level, index);
    void *v = NULL;
    size_t vl = 0;
    int rc = rsn_store_get(store, k, kl, &v, &vl);
    if (rc < 0) {
        return rc;
    }
    if (vl != 32) {
        rsn_store_free(v);
        return RSN_ERR_IO;
    }
    memcpy(out, v, 32);
    rsn_store_free(v);
    return 0;
}

void rsn_ingest_log_root(const rsn_ingest_t *self, uint64_t *size, uint8_t root[32])
{
    *size = rsn_merkle_frontier_size(&self->frontier);
    rsn_merkle_frontier_root(&self->frontier, root);
}

uint64_t rsn_ingest_frozen_at(rsn_ingest_t *self, const uint8_t author[32])
{
    return frozen_from(self, author);
}

void rsn_ingest_fork_hash(const uint8_t author[32], uint64_t seq, uint8_t out[32])
{
    uint8_t buf[40];
    memcpy(buf, author, 32);
    rsn_be64_put(buf + 32, seq);
    rsn_sha256(out, buf, sizeof buf);
}

void rsn_ingest_fork_root(const rsn_ingest_t *self, uint8_t root[32])
{
    memcpy(root, self->fork_root, 32);
}

bool rsn_ingest_take_failure(rsn_ingest_t *self)
{
    bool failed = self->commit_failed;
    self->commit_failed = false;
    return failed;
}
