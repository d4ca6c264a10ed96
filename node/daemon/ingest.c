/* ingest.c — the write path: checks every entry and stages it in a batch.
 *
 * The order of the checks is the cost model of DESIGN.md: cheap structural
 * checks first, then the duplicate lookup by id (a duplicate never costs a
 * signature verification), then the signature, the body hash, the feed rule,
 * and for a client's own publish the semantic rules; each is one function
 * below, called in that order by rsn_ingest_stage, and each entry's body is
 * hashed once and decoded once. An accepted entry becomes one set of puts in
 * the shared batch: the entry, its body, its feed index and head, its
 * transparency-log leaf (store/tlog.h), the counters, and the indexes of its
 * kind (store/keys.h). The digests (daemon/digest.h) and the fork state
 * (daemon/forks.h) are staged beside the batch and committed with it. */
#include "daemon/ingest.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/why.h"
#include "crypto/crypto.h"
#include "crypto/merkle.h"
#include "daemon/retention.h"
#include "daemon/views.h"
#include "proto/codec.h"
#include "store/keys.h"
#include "store/tlog.h"

typedef struct {
    uint8_t id[RSN_ID_BYTES];
    uint8_t author[RSN_KEY_BYTES];
    uint64_t seq;
    const uint8_t *entry; /* copies in the batch arena, for fork evidence */
    size_t entry_len;
    const uint8_t *signature;
} staged_t;

#define VERIFIED_SLOTS 4096           /* power of two, twice RSN_INGEST_BATCH_MAX */
#define STAGED_SLOTS 4096             /* power of two, twice RSN_INGEST_BATCH_MAX */
#define HEAD_BYTES (8 + RSN_ID_BYTES) /* an 'H' or 'U' value: seq, id */

typedef struct {
    bool used;
    uint8_t id[RSN_ID_BYTES];
    uint8_t signature[RSN_SIG_BYTES];
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
    size_t n_evidence;    /* fork evidences and restored bodies staged */
    bool commit_failed;   /* sticky until rsn_ingest_take_failure */
    rsn_counts_t counts;  /* as committed */
    rsn_counts_t pending; /* as staged */
    uint8_t (*committed)[RSN_ID_BYTES];
    size_t n_committed;
    size_t cap_committed;
    rsn_merkle_frontier_t frontier;         /* the log as committed */
    rsn_merkle_frontier_t pending_frontier; /* as staged */
    rsn_digest_t *digest;
    rsn_forks_t *forks;
};

/* One entry on its way through the checks: what each check learned. */
typedef struct {
    rsn_arena_t *arena; /* this entry's decodes */
    const uint8_t *entry;
    size_t entry_len;
    const uint8_t *signature;
    const uint8_t *body;
    size_t body_len;
    bool has_body;
    bool publish;
    Raison__Entry *e;
    uint8_t id[RSN_ID_BYTES];
    void *decoded; /* the body, decoded once; NULL when absent or not a protobuf */
    uint64_t head_seq;
    uint8_t head_id[RSN_ID_BYTES];
    uint64_t frozen; /* seq from which the feed is frozen, or 0 */
} candidate_t;

/* --- counters ---------------------------------------------------------------- */

#define N_COUNTERS 5
static const char *const counter_names[N_COUNTERS] = {"entries", "authors", "groups", "forks",
                                                      "leaves"};

static uint64_t *counter_slot(rsn_counts_t *c, int i)
{
    uint64_t *slots[N_COUNTERS] = {&c->entries, &c->authors, &c->groups, &c->forks, &c->leaves};
    return slots[i];
}

static int load_counts(rsn_ingest_t *self)
{
    for (int i = 0; i < N_COUNTERS; i++) {
        uint8_t k[RSN_KEY_MAX];
        size_t kl = rsn_key_counter(k, counter_names[i]);
        uint64_t *slot = counter_slot(&self->counts, i);
        int rc = rsn_store_get_u64(self->store, k, kl, slot);
        if (rc == RSN_ERR_NOT_FOUND) {
            *slot = 0;
        } else if (rc < 0) {
            return rc;
        }
    }
    self->pending = self->counts;
    return 0;
}

/* Puts the counters that changed since the last commit into the batch. */
static void stage_counts(rsn_ingest_t *self)
{
    for (int i = 0; i < N_COUNTERS; i++) {
        uint64_t now = *counter_slot(&self->pending, i);
        if (now != *counter_slot(&self->counts, i)) {
            uint8_t k[RSN_KEY_MAX], v[8];
            size_t kl = rsn_key_counter(k, counter_names[i]);
            rsn_be64_put(v, now);
            rsn_batch_put(self->batch, k, kl, v, sizeof v);
        }
    }
}

/* --- heads, staged and stored ------------------------------------------------ */

/* The head of AUTHOR as staged or stored: seq 0 when none. */
static int head_of(rsn_ingest_t *self, const uint8_t author[RSN_KEY_BYTES], uint64_t *seq,
                   uint8_t id[RSN_ID_BYTES])
{
    for (size_t i = self->n_staged; i-- > 0;) {
        if (memcmp(self->staged[i].author, author, RSN_KEY_BYTES) == 0) {
            *seq = self->staged[i].seq;
            memcpy(id, self->staged[i].id, RSN_ID_BYTES);
            return 0;
        }
    }
    uint8_t k[RSN_KEY_MAX], v[HEAD_BYTES];
    size_t kl = rsn_key_feed_head(k, author);
    int rc = rsn_store_get_fixed(self->store, k, kl, v, sizeof v);
    if (rc == RSN_ERR_NOT_FOUND) {
        *seq = 0;
        memset(id, 0, RSN_ID_BYTES);
        return 0;
    }
    if (rc < 0) {
        return rc;
    }
    *seq = rsn_be64_get(v);
    memcpy(id, v + 8, RSN_ID_BYTES);
    return 0;
}

/* The staged entry at (AUTHOR, SEQ), or NULL. */
static const staged_t *staged_at(const rsn_ingest_t *self, const uint8_t author[RSN_KEY_BYTES],
                                 uint64_t seq)
{
    for (size_t i = 0; i < self->n_staged; i++) {
        if (self->staged[i].seq == seq &&
            memcmp(self->staged[i].author, author, RSN_KEY_BYTES) == 0) {
            return &self->staged[i];
        }
    }
    return NULL;
}

/* The id held at (AUTHOR, SEQ), staged or stored. */
static int id_at(rsn_ingest_t *self, const uint8_t author[RSN_KEY_BYTES], uint64_t seq,
                 uint8_t id[RSN_ID_BYTES])
{
    const staged_t *s = staged_at(self, author, seq);
    if (s) {
        memcpy(id, s->id, RSN_ID_BYTES);
        return 0;
    }
    uint8_t k[RSN_KEY_MAX];
    size_t kl = rsn_key_feed_seq(k, author, seq);
    return rsn_store_get_fixed(self->store, k, kl, id, RSN_ID_BYTES);
}

/* Finds the entry held for (AUTHOR, SEQ): staged or stored. Fills the
 * header and signature into HELD (from ARENA). 0 or RSN_ERR_NOT_FOUND. */
static int held_at(rsn_ingest_t *self, rsn_arena_t *arena, const uint8_t author[RSN_KEY_BYTES],
                   uint64_t seq, Raison__SignedEntry *held)
{
    const staged_t *s = staged_at(self, author, seq);
    if (s) {
        held->entry.data = (uint8_t *)s->entry;
        held->entry.len = s->entry_len;
        held->signature.data = (uint8_t *)s->signature;
        held->signature.len = RSN_SIG_BYTES;
        return 0;
    }
    uint8_t id[RSN_ID_BYTES];
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

/* The effective head of AUTHOR (daemon/digest.h), staged state included.
 * *EXISTS is false for an author of whom nothing is held. */
static int effective_head(rsn_ingest_t *self, const uint8_t author[RSN_KEY_BYTES], bool *exists,
                          uint64_t *seq, uint8_t id[RSN_ID_BYTES], bool *frozen)
{
    uint64_t hs = 0;
    uint8_t hid[RSN_ID_BYTES];
    int rc = head_of(self, author, &hs, hid);
    if (rc < 0) {
        return rc;
    }
    uint64_t f = rsn_forks_frozen_from(self->forks, author);
    *exists = hs > 0 || f > 0;
    *frozen = f > 0;
    uint64_t eff = f && f - 1 < hs ? f - 1 : hs;
    *seq = eff;
    memset(id, 0, RSN_ID_BYTES);
    if (eff == 0) {
        return 0;
    }
    if (eff == hs) {
        memcpy(id, hid, RSN_ID_BYTES);
        return 0;
    }
    return id_at(self, author, eff, id);
}

/* A rsn_digest_head_fn over an ingest (CTX). */
static int digest_head(void *ctx, const uint8_t author[RSN_KEY_BYTES], bool *exists, uint64_t *seq,
                       uint8_t id[RSN_ID_BYTES])
{
    bool frozen = false;
    return effective_head(ctx, author, exists, seq, id, &frozen);
}

/* A feed's digest contribution, taken before a change and swapped for the
 * one after it by swap_contribution. */
typedef struct {
    bool exists;
    uint64_t seq;
    uint8_t id[RSN_ID_BYTES];
} contribution_t;

static int contribution(rsn_ingest_t *self, const uint8_t author[RSN_KEY_BYTES], contribution_t *c)
{
    return digest_head(self, author, &c->exists, &c->seq, c->id);
}

static int swap_contribution(rsn_ingest_t *self, const uint8_t author[RSN_KEY_BYTES],
                             const contribution_t *before)
{
    contribution_t after;
    int rc = contribution(self, author, &after);
    if (rc < 0) {
        return rc;
    }
    if (before->exists) {
        rsn_digest_toggle(self->digest, author, before->seq, before->id);
    }
    if (after.exists) {
        rsn_digest_toggle(self->digest, author, after.seq, after.id);
    }
    return 0;
}

/* --- making and ending the write path ---------------------------------------- */

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
    self->digest = rsn_digest_new();
    memset(self->staged_slots, 0xff, sizeof self->staged_slots);
    int rc = RSN_ERR_NOMEM;
    if (self->batch && self->batch_arena && self->verified && self->digest) {
        rc = rsn_forks_new(&self->forks, store);
    }
    if (rc == 0) {
        rc = load_counts(self);
    }
    if (rc == 0) {
        rc = rsn_digest_load(self->digest, store, digest_head, self);
    }
    if (rc == 0) {
        rc = rsn_tlog_frontier_load(store, self->counts.leaves, &self->frontier);
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
    rsn_digest_destroy(&self->digest);
    rsn_forks_destroy(&self->forks);
    free(self->committed);
    free(self->verified);
    free(self);
    *self_p = NULL;
}

/* --- signatures verified ahead ---------------------------------------------- */

static size_t verified_slot(const uint8_t id[RSN_ID_BYTES])
{
    return ((size_t)id[0] | (size_t)id[1] << 8) & (VERIFIED_SLOTS - 1);
}

/* True when (ID, SIGNATURE) was verified by the last rsn_ingest_preverify. */
static bool verified_has(const rsn_ingest_t *self, const uint8_t id[RSN_ID_BYTES],
                         const uint8_t signature[RSN_SIG_BYTES])
{
    for (size_t i = verified_slot(id), probes = 0; probes < VERIFIED_SLOTS;
         i = (i + 1) & (VERIFIED_SLOTS - 1), probes++) {
        const verified_t *v = &self->verified[i];
        if (!v->used) {
            return false;
        }
        if (memcmp(v->id, id, RSN_ID_BYTES) == 0 &&
            memcmp(v->signature, signature, RSN_SIG_BYTES) == 0) {
            return true;
        }
    }
    return false;
}

static void verified_add(rsn_ingest_t *self, const uint8_t id[RSN_ID_BYTES],
                         const uint8_t signature[RSN_SIG_BYTES])
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
    memcpy(v->id, id, RSN_ID_BYTES);
    memcpy(v->signature, signature, RSN_SIG_BYTES);
    self->verified_used[self->n_verified++] = (uint16_t)i;
}

/* --- staged ids ---------------------------------------------------------------- */

static size_t staged_slot(const uint8_t id[RSN_ID_BYTES])
{
    return ((size_t)id[2] | (size_t)id[3] << 8) & (STAGED_SLOTS - 1);
}

static bool is_staged(const rsn_ingest_t *self, const uint8_t id[RSN_ID_BYTES])
{
    for (size_t i = staged_slot(id);; i = (i + 1) & (STAGED_SLOTS - 1)) {
        int16_t at = self->staged_slots[i];
        if (at < 0) {
            return false;
        }
        if (memcmp(self->staged[at].id, id, RSN_ID_BYTES) == 0) {
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

/* True when entry ID is staged or stored: a duplicate. */
static bool is_held(rsn_ingest_t *self, const uint8_t id[RSN_ID_BYTES])
{
    uint8_t k[RSN_KEY_MAX];
    size_t kl = rsn_key_entry(k, id);
    return is_staged(self, id) || rsn_store_has(self->store, k, kl) == 0;
}

/* --- fork evidence ------------------------------------------------------------- */

/* Stages fork evidence for (AUTHOR, SEQ) and freezes the feed there. */
static int stage_fork(rsn_ingest_t *self, rsn_arena_t *arena, const uint8_t author[RSN_KEY_BYTES],
                      uint64_t seq, const Raison__SignedEntry *held,
                      const Raison__SignedEntry *incoming)
{
    if (rsn_forks_held(self->forks, author, seq)) {
        return 0; /* evidence for this seq already held or staged */
    }
    if (rsn_forks_full(self->forks)) {
        return RSN_ERR_BUSY;
    }
    uint8_t *bytes = NULL;
    size_t len = 0;
    int rc = rsn_forks_pack(arena, author, seq, held, incoming, &bytes, &len);
    contribution_t before;
    if (rc == 0) {
        rc = contribution(self, author, &before);
    }
    if (rc < 0) {
        return rc;
    }
    rsn_forks_stage(self->forks, self->batch, author, seq, bytes, len);
    rsn_digest_toggle_fork(self->digest, author, seq);
    self->pending.forks++;
    self->n_evidence++;
    return swap_contribution(self, author, &before);
}

int rsn_ingest_evidence(rsn_ingest_t *self, const uint8_t *bytes, size_t len, char *why,
                        size_t why_size)
{
    if (len > RSN_FORK_EVIDENCE_MAX) {
        return rsn_why(why, why_size, RSN_ERR_TOO_LARGE, "fork evidence is over %d bytes",
                       RSN_FORK_EVIDENCE_MAX);
    }
    rsn_arena_t *arena = rsn_arena_new();
    if (!arena) {
        return RSN_ERR_NOMEM;
    }
    Raison__ForkEvidence *ev = NULL;
    rsn_fork_ref_t ref;
    int rc = rsn_fork_evidence_decode(arena, bytes, len, &ev);
    if (rc < 0) {
        rc = rsn_why(why, why_size, RSN_ERR_BAD_ENTRY, "fork evidence does not decode");
        goto out;
    }
    if (rsn_forks_evidence_held(self->forks, arena, ev)) {
        goto out; /* costs a lookup, never a verification */
    }
    rc = rsn_forks_check(arena, ev, &ref, why, why_size);
    if (rc < 0) {
        goto out;
    }
    if (self->n_evidence + self->n_staged >= RSN_INGEST_BATCH_MAX) {
        rc = RSN_ERR_BUSY;
        goto out;
    }
    rc = stage_fork(self, arena, ref.author, ref.seq, ev->a, ev->b);
out:
    rsn_arena_destroy(&arena);
    return rc;
}

/* --- bodies ---------------------------------------------------------------------- */

/* True when a held retraction by AUTHOR asks that TARGET's body be erased. */
static bool erase_requested(rsn_ingest_t *self, rsn_arena_t *arena,
                            const uint8_t target[RSN_ID_BYTES], const uint8_t author[RSN_KEY_BYTES])
{
    uint8_t prefix[RSN_KEY_MAX];
    size_t pl = rsn_key_prefix(prefix, RSN_TAG_RETRACTION, target);
    rsn_index_t ix;
    if (rsn_index_open(&ix, self->store, prefix, pl, RSN_KEYLEN_ID_ID) < 0) {
        return true; /* when in doubt, do not bring a body back */
    }
    bool erase = false;
    for (rsn_index_first(&ix); rsn_index_valid(&ix) && !erase; rsn_index_next(&ix)) {
        rsn_loaded_t *r = NULL;
        if (rsn_entry_load(self->store, arena, rsn_index_id(&ix), &r) != 0 || !r->body ||
            r->entry->kind != RAISON__KIND__KIND_RETRACTION) {
            continue;
        }
        const Raison__Retraction *ret = r->body;
        erase = ret->erase && memcmp(r->entry->author.data, author, RSN_KEY_BYTES) == 0;
    }
    rsn_index_close(&ix);
    return erase;
}

/* True when a post E, whose body decoded as POST (NULL when it did not), is
 * already past its group's retention. */
static bool past_retention(rsn_ingest_t *self, const Raison__Entry *e, const void *post)
{
    if (e->kind != RAISON__KIND__KIND_POST || !post) {
        return false;
    }
    const Raison__Post *p = post;
    if (p->group.len != RSN_ID_BYTES) {
        return false;
    }
    uint32_t days = rsn_retention_days(self->store, p->group.data);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    uint64_t now_ms = (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
    return days > 0 && e->timestamp + (uint64_t)days * 86400000ULL < now_ms;
}

/* True when BODY matches the header E (size and hash). */
static bool body_matches(const Raison__Entry *e, const uint8_t *body, size_t body_len)
{
    uint8_t h[RSN_HASH_BYTES];
    rsn_sha256(h, body, body_len);
    return body_len == e->body_size && rsn_equal(h, e->body_hash.data, RSN_HASH_BYTES);
}

/* A duplicate that carries the body of an entry held without one (a peer
 * relayed the header alone): the body is put back when it matches the header
 * and its author never asked for its erasure. Stages a put; no other change. */
static void restore_body(rsn_ingest_t *self, candidate_t *c)
{
    uint8_t k[RSN_KEY_MAX];
    size_t kl = rsn_key_body(k, c->id);
    if (rsn_store_has(self->store, k, kl) == 0) {
        return; /* the usual duplicate: nothing to do, at the cost of one lookup */
    }
    if (!body_matches(c->e, c->body, c->body_len) ||
        erase_requested(self, c->arena, c->id, c->e->author.data)) {
        return;
    }
    if (c->e->kind == RAISON__KIND__KIND_POST &&
        rsn_body_decode(c->arena, c->e->kind, c->body, c->body_len, &c->decoded) < 0) {
        c->decoded = NULL;
    }
    if (past_retention(self, c->e, c->decoded)) {
        return;
    }
    rsn_batch_put(self->batch, k, kl, c->body, c->body_len);
    self->n_evidence++; /* counts as pending work, so the batch is committed */
}

/* --- staging an accepted entry ------------------------------------------------ */

/* The author of entry TARGET (staged or stored), into AUTHOR. */
static int author_of(rsn_ingest_t *self, rsn_arena_t *arena, const uint8_t target[RSN_ID_BYTES],
                     uint8_t author[RSN_KEY_BYTES])
{
    for (size_t i = 0; i < self->n_staged; i++) {
        if (memcmp(self->staged[i].id, target, RSN_ID_BYTES) == 0) {
            memcpy(author, self->staged[i].author, RSN_KEY_BYTES);
            return 0;
        }
    }
    rsn_loaded_t *t = NULL;
    int rc = rsn_entry_load(self->store, arena, target, &t);
    if (rc == 0) {
        memcpy(author, t->entry->author.data, RSN_KEY_BYTES);
    }
    return rc;
}

static void put_marker(rsn_ingest_t *self, const uint8_t *k, size_t kl)
{
    rsn_batch_put(self->batch, k, kl, "", 0);
}

/* The puts of the indexes of one entry's kind. */
static void stage_indexes(rsn_ingest_t *self, const candidate_t *c)
{
    const Raison__Entry *e = c->e;
    const uint8_t *id = c->id;
    uint8_t k[RSN_KEY_MAX];
    switch (e->kind) {
    case RAISON__KIND__KIND_CHARTER: {
        const Raison__Charter *ch = c->decoded;
        if (ch->version == 1 && ch->group.len == 0) {
            put_marker(self, k, rsn_key_group(k, id));
            put_marker(self, k, rsn_key_group_charter(k, id, id));
            self->pending.groups++;
        } else if (ch->group.len == RSN_ID_BYTES) {
            put_marker(self, k, rsn_key_group_charter(k, ch->group.data, id));
        }
        break;
    }
    case RAISON__KIND__KIND_MEMBERSHIP: {
        const Raison__Membership *m = c->decoded;
        if (m->group.len == RSN_ID_BYTES) {
            put_marker(self, k, rsn_key_group_membership(k, m->group.data, e->timestamp, id));
        }
        break;
    }
    case RAISON__KIND__KIND_POST: {
        const Raison__Post *p = c->decoded;
        if (p->group.len == RSN_ID_BYTES) {
            put_marker(self, k, rsn_key_group_post(k, p->group.data, e->timestamp, id));
        }
        if (p->reply_to.len == RSN_ID_BYTES) {
            put_marker(self, k, rsn_key_reply(k, p->reply_to.data, id));
        }
        break;
    }
    case RAISON__KIND__KIND_PROFILE: {
        uint8_t v[HEAD_BYTES];
        rsn_be64_put(v, e->seq);
        memcpy(v + 8, id, RSN_ID_BYTES);
        size_t kl = rsn_key_profile(k, e->author.data);
        rsn_batch_put(self->batch, k, kl, v, sizeof v);
        break;
    }
    case RAISON__KIND__KIND_RETRACTION: {
        const Raison__Retraction *r = c->decoded;
        if (r->target.len == RSN_ID_BYTES) {
            put_marker(self, k, rsn_key_retraction(k, r->target.data, id));
            uint8_t target_author[RSN_KEY_BYTES];
            if (r->erase && author_of(self, c->arena, r->target.data, target_author) == 0 &&
                memcmp(target_author, e->author.data, RSN_KEY_BYTES) == 0) {
                size_t kl = rsn_key_body(k, r->target.data);
                rsn_batch_delete(self->batch, k, kl);
            }
        }
        break;
    }
    default: break;
    }
}

/* The entry as received (header and signature, body apart), its body, its
 * feed index and head. */
static int stage_entry(rsn_ingest_t *self, const candidate_t *c)
{
    Raison__SignedEntry se = RAISON__SIGNED_ENTRY__INIT;
    se.entry.data = (uint8_t *)c->entry;
    se.entry.len = c->entry_len;
    se.signature.data = (uint8_t *)c->signature;
    se.signature.len = RSN_SIG_BYTES;
    uint8_t *packed = NULL;
    size_t packed_len = 0;
    int rc = rsn_pack(c->arena, &se.base, &packed, &packed_len);
    if (rc < 0) {
        return rc;
    }
    uint8_t k[RSN_KEY_MAX];
    size_t kl = rsn_key_entry(k, c->id);
    rsn_batch_put(self->batch, k, kl, packed, packed_len);
    /* no retraction can be held before its target: it is a later entry of
     * the same feed, and feeds are accepted in order; but a post may arrive
     * (late, or backdated) already past its group's retention */
    if (c->has_body && !past_retention(self, c->e, c->decoded)) {
        kl = rsn_key_body(k, c->id);
        rsn_batch_put(self->batch, k, kl, c->body, c->body_len);
    }
    kl = rsn_key_feed_seq(k, c->e->author.data, c->e->seq);
    rsn_batch_put(self->batch, k, kl, c->id, RSN_ID_BYTES);
    uint8_t head[HEAD_BYTES];
    rsn_be64_put(head, c->e->seq);
    memcpy(head + 8, c->id, RSN_ID_BYTES);
    kl = rsn_key_feed_head(k, c->e->author.data);
    rsn_batch_put(self->batch, k, kl, head, sizeof head);
    return 0;
}

/* Remembers a staged entry, for the feed rule and fork evidence of the
 * entries that follow it in the batch. */
static int remember_staged(rsn_ingest_t *self, const candidate_t *c)
{
    staged_t *s = &self->staged[self->n_staged];
    memcpy(s->id, c->id, RSN_ID_BYTES);
    staged_index(self, self->n_staged++);
    memcpy(s->author, c->e->author.data, RSN_KEY_BYTES);
    s->seq = c->e->seq;
    s->entry = rsn_arena_memdup(self->batch_arena, c->entry, c->entry_len);
    s->entry_len = c->entry_len;
    s->signature = rsn_arena_memdup(self->batch_arena, c->signature, RSN_SIG_BYTES);
    return s->entry && s->signature ? 0 : RSN_ERR_NOMEM;
}

/* Stages an entry that passed every check. */
static int stage_checked(rsn_ingest_t *self, const candidate_t *c)
{
    const uint8_t *author = c->e->author.data;
    contribution_t before = {0};
    int rc = c->frozen ? contribution(self, author, &before) : 0;
    if (rc == 0) {
        rc = stage_entry(self, c);
    }
    if (rc == 0) {
        /* transparency log leaf, in acceptance order */
        rc = rsn_tlog_append(self->batch, &self->pending_frontier, c->id);
    }
    if (rc < 0) {
        return rc;
    }
    self->pending.leaves++;
    self->pending.entries++;
    if (c->e->seq == 1) {
        self->pending.authors++;
    }
    if (c->decoded) {
        stage_indexes(self, c);
    }
    rc = remember_staged(self, c);
    if (rc < 0) {
        return rc;
    }
    if (c->frozen) {
        return swap_contribution(self, author, &before);
    }
    if (c->head_seq > 0) {
        rsn_digest_toggle(self->digest, author, c->head_seq, c->head_id);
    }
    rsn_digest_toggle(self->digest, author, c->e->seq, c->id);
    return 0;
}

/* --- the checks, in order ------------------------------------------------------ */

/* The batch has room, and the entry and body are within their limits. */
static int check_limits(const rsn_ingest_t *self, const rsn_ingest_input_t *in, char *why,
                        size_t why_size)
{
    if (self->n_staged >= RSN_INGEST_BATCH_MAX) {
        return rsn_why(why, why_size, RSN_ERR_BUSY, "too many entries staged; retry");
    }
    if (in->entry_len > RSN_ENTRY_MAX) {
        return rsn_why(why, why_size, RSN_ERR_TOO_LARGE, "entry is %zu bytes; the limit is %d",
                       in->entry_len, RSN_ENTRY_MAX);
    }
    if (in->has_body && in->body_len > RSN_BODY_MAX) {
        return rsn_why(why, why_size, RSN_ERR_TOO_LARGE, "body is %zu bytes; the limit is %d",
                       in->body_len, RSN_BODY_MAX);
    }
    return 0;
}

/* The header decodes and is well formed (proto/codec.h); its id. */
static int check_structure(candidate_t *c, char *why, size_t why_size)
{
    int rc = rsn_entry_decode(c->arena, c->entry, c->entry_len, &c->e, why, why_size);
    if (rc < 0) {
        return rc;
    }
    if (!c->has_body && c->e->body_size == 0) {
        /* an empty body cannot be told from an absent one on the wire */
        c->has_body = true;
        c->body = (const uint8_t *)"";
        c->body_len = 0;
    }
    rsn_entry_id(c->id, c->entry, c->entry_len);
    return 0;
}

/* The signature verifies under the author (unless verified ahead), and the
 * body, when there is one, matches the header; a publish carries its body. */
static int check_signature_and_body(rsn_ingest_t *self, const candidate_t *c, size_t signature_len,
                                    char *why, size_t why_size)
{
    if (signature_len != RSN_SIG_BYTES) {
        return rsn_why(why, why_size, RSN_ERR_BAD_ENTRY, "signature is %zu bytes, not 64",
                       signature_len);
    }
    if (!verified_has(self, c->id, c->signature) &&
        rsn_entry_verify(c->e->author.data, c->entry, c->entry_len, c->signature) != 0) {
        return rsn_why(why, why_size, RSN_ERR_BAD_SIGNATURE,
                       "signature does not verify under the entry's author");
    }
    if (c->publish && !c->has_body) {
        return rsn_why(why, why_size, RSN_ERR_BAD_ENTRY, "a publish must carry the entry's body");
    }
    if (c->has_body && !body_matches(c->e, c->body, c->body_len)) {
        return rsn_why(why, why_size, RSN_ERR_BODY_MISMATCH,
                       "body (%zu bytes) does not match the entry's body_hash and body_size (%u)",
                       c->body_len, c->e->body_size);
    }
    return 0;
}

/* The feed rule: seq = head + 1 and prev = the head's id, in a feed that is
 * not frozen. A second entry for a held seq is a fork: its evidence is
 * staged and RSN_ERR_FORK returned. */
static int check_feed_rule(rsn_ingest_t *self, candidate_t *c, char *why, size_t why_size)
{
    const Raison__Entry *e = c->e;
    c->frozen = rsn_forks_frozen_from(self->forks, e->author.data);
    int rc = head_of(self, e->author.data, &c->head_seq, c->head_id);
    if (rc < 0) {
        return rc;
    }
    if (e->seq <= c->head_seq) {
        Raison__SignedEntry held = RAISON__SIGNED_ENTRY__INIT;
        rc = held_at(self, c->arena, e->author.data, e->seq, &held);
        if (rc < 0) {
            return rc;
        }
        Raison__SignedEntry incoming = RAISON__SIGNED_ENTRY__INIT;
        incoming.entry.data = (uint8_t *)c->entry;
        incoming.entry.len = c->entry_len;
        incoming.signature.data = (uint8_t *)c->signature;
        incoming.signature.len = RSN_SIG_BYTES;
        rc = stage_fork(self, c->arena, e->author.data, e->seq, &held, &incoming);
        if (rc < 0) {
            return rc;
        }
        return rsn_why(why, why_size, RSN_ERR_FORK,
                       "a different entry is held for this author at seq %llu: both are kept as "
                       "fork evidence and the feed is frozen",
                       (unsigned long long)e->seq);
    }
    if (c->frozen && e->seq >= c->frozen) {
        return rsn_why(why, why_size, RSN_ERR_FEED_FROZEN,
                       "this author's feed forked at seq %llu: no new entry is accepted",
                       (unsigned long long)c->frozen);
    }
    if (e->seq != c->head_seq + 1) {
        return rsn_why(why, why_size, RSN_ERR_BAD_SEQ, "seq %llu is not the feed head + 1 (%llu)",
                       (unsigned long long)e->seq, (unsigned long long)c->head_seq + 1);
    }
    if (e->seq > 1 && memcmp(e->prev.data, c->head_id, RSN_ID_BYTES) != 0) {
        return rsn_why(why, why_size, RSN_ERR_BAD_PREV,
                       "prev is not the id of the feed head (seq %llu)",
                       (unsigned long long)c->head_seq);
    }
    return 0;
}

/* True for the rule failures that a staged entry could cure. */
static bool may_depend_on_staged(int rc)
{
    return rc == RSN_ERR_UNKNOWN_GROUP || rc == RSN_ERR_UNKNOWN_MISSION ||
           rc == RSN_ERR_NOT_OWNER || rc == RSN_ERR_NOT_MEMBER || rc == RSN_ERR_UNKNOWN_ENTRY ||
           rc == RSN_ERR_INVALID_CHARTER || rc == RSN_ERR_INVALID_BODY;
}

/* Decodes the body (once, for the rules and the indexes). A publish's body
 * must decode and pass the semantic rules (daemon/views.h); a relayed
 * entry's body that does not decode is kept, and indexed nowhere. */
static int check_semantics(rsn_ingest_t *self, candidate_t *c, char *why, size_t why_size)
{
    if (c->has_body &&
        rsn_body_decode(c->arena, c->e->kind, c->body, c->body_len, &c->decoded) < 0) {
        c->decoded = NULL;
        if (c->publish) {
            return rsn_why(why, why_size, RSN_ERR_INVALID_BODY, "body is not a protobuf %s",
                           rsn_kind_name(c->e->kind));
        }
    }
    if (!c->publish) {
        return 0;
    }
    int rc = rsn_rules_check(self->store, c->arena, c->e, c->decoded, c->id, why, why_size);
    if (rc < 0 && may_depend_on_staged(rc) && self->n_staged > 0) {
        /* it may name an entry staged but not yet stored */
        int crc = rsn_ingest_commit(self);
        if (crc < 0) {
            return crc;
        }
        rc = rsn_rules_check(self->store, c->arena, c->e, c->decoded, c->id, why, why_size);
    }
    return rc;
}

int rsn_ingest_stage(rsn_ingest_t *self, const rsn_ingest_input_t *in, rsn_ingest_result_t *res,
                     char *why, size_t why_size)
{
    memset(res, 0, sizeof *res);
    if (why && why_size) {
        why[0] = '\0';
    }
    int rc = check_limits(self, in, why, why_size);
    if (rc < 0) {
        return rc;
    }
    candidate_t c = {
        .arena = rsn_arena_new(),
        .entry = in->entry,
        .entry_len = in->entry_len,
        .signature = in->signature,
        .body = in->body,
        .body_len = in->body_len,
        .has_body = in->has_body,
        .publish = in->origin == RSN_INGEST_PUBLISH,
    };
    if (!c.arena) {
        return RSN_ERR_NOMEM;
    }
    rc = check_structure(&c, why, why_size);
    if (rc < 0) {
        goto out;
    }
    memcpy(res->id, c.id, RSN_ID_BYTES);
    res->seq = c.e->seq;
    /* a duplicate costs a lookup, never a signature check */
    if (is_held(self, c.id)) {
        res->duplicate = true;
        if (c.has_body && !is_staged(self, c.id)) {
            restore_body(self, &c);
        }
        goto out;
    }
    rc = check_signature_and_body(self, &c, in->signature_len, why, why_size);
    if (rc == 0) {
        rc = check_feed_rule(self, &c, why, why_size);
    }
    if (rc == 0) {
        rc = check_semantics(self, &c, why, why_size);
    }
    if (rc == 0) {
        rc = stage_checked(self, &c);
    }
out:
    rsn_arena_destroy(&c.arena);
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
    uint8_t(*ids)[RSN_ID_BYTES] = calloc(n ? n : 1, RSN_ID_BYTES);
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
        rsn_entry_id(ids[count], in[i].entry, in[i].entry_len);
        if (is_held(self, ids[count])) {
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

/* --- group commit ------------------------------------------------------------- */

size_t rsn_ingest_pending(const rsn_ingest_t *self)
{
    return self->n_staged + self->n_evidence;
}

static void reset_batch(rsn_ingest_t *self, bool committed)
{
    rsn_batch_clear(self->batch);
    rsn_arena_destroy(&self->batch_arena);
    self->batch_arena = rsn_arena_new();
    self->n_staged = 0;
    memset(self->staged_slots, 0xff, sizeof self->staged_slots);
    rsn_forks_end_batch(self->forks, committed);
    self->n_evidence = 0;
}

/* Adds the staged ids to the committed list (as far as memory allows). */
static void remember_committed(rsn_ingest_t *self)
{
    if (self->n_committed + self->n_staged > self->cap_committed) {
        size_t cap = self->cap_committed ? self->cap_committed * 2 : 1024;
        while (cap < self->n_committed + self->n_staged) {
            cap *= 2;
        }
        uint8_t(*grown)[RSN_ID_BYTES] = realloc(self->committed, cap * RSN_ID_BYTES);
        if (grown) {
            self->committed = grown;
            self->cap_committed = cap;
        }
    }
    for (size_t i = 0; i < self->n_staged && self->n_committed < self->cap_committed; i++) {
        memcpy(self->committed[self->n_committed++], self->staged[i].id, RSN_ID_BYTES);
    }
}

int rsn_ingest_commit(rsn_ingest_t *self)
{
    if (rsn_ingest_pending(self) == 0) {
        return 0;
    }
    if (!self->batch_arena) {
        return RSN_ERR_NOMEM;
    }
    stage_counts(self);
    int rc = rsn_store_write(self->store, self->batch, true);
    if (rc < 0) {
        rsn_error("ingest: a batch of %zu entries could not be written; none is acknowledged",
                  self->n_staged);
        self->pending = self->counts;
        self->commit_failed = true;
        rsn_digest_rollback(self->digest);
        self->pending_frontier = self->frontier;
        reset_batch(self, false);
        return rc;
    }
    rsn_digest_commit(self->digest);
    self->frontier = self->pending_frontier;
    remember_committed(self);
    self->counts = self->pending;
    reset_batch(self, true);
    return 0;
}

bool rsn_ingest_take_failure(rsn_ingest_t *self)
{
    bool failed = self->commit_failed;
    self->commit_failed = false;
    return failed;
}

const uint8_t (*rsn_ingest_committed(const rsn_ingest_t *self, size_t *count))[RSN_ID_BYTES]
{
    *count = self->n_committed;
    return (const uint8_t(*)[RSN_ID_BYTES])self->committed;
}

void rsn_ingest_committed_clear(rsn_ingest_t *self)
{
    self->n_committed = 0;
    rsn_forks_committed_clear(self->forks);
}

const rsn_fork_ref_t *rsn_ingest_committed_forks(const rsn_ingest_t *self, size_t *count)
{
    return rsn_forks_committed(self->forks, count);
}

void rsn_ingest_counts(const rsn_ingest_t *self, rsn_counts_t *out)
{
    *out = self->counts;
}

/* --- what the committed state looks like -------------------------------------- */

void rsn_ingest_log_root(const rsn_ingest_t *self, uint64_t *size, uint8_t root[RSN_HASH_BYTES])
{
    *size = rsn_merkle_frontier_size(&self->frontier);
    rsn_merkle_frontier_root(&self->frontier, root);
}

const uint8_t (*rsn_ingest_buckets(const rsn_ingest_t *self))[32]
{
    return rsn_digest_buckets(self->digest);
}

void rsn_ingest_root(const rsn_ingest_t *self, uint8_t root[32])
{
    rsn_digest_root(self->digest, root);
}

void rsn_ingest_fork_root(const rsn_ingest_t *self, uint8_t root[32])
{
    rsn_digest_fork_root(self->digest, root);
}

int rsn_ingest_effective_head(rsn_ingest_t *self, const uint8_t author[32], uint64_t *seq,
                              uint8_t id[32], bool *frozen)
{
    bool exists = false;
    return effective_head(self, author, &exists, seq, id, frozen);
}

uint64_t rsn_ingest_frozen_at(rsn_ingest_t *self, const uint8_t author[32])
{
    return rsn_forks_frozen_from(self->forks, author);
}
