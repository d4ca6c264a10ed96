/* ingest_batch.c — the write path's staged batch and its group commit.
 *
 * What rsn_ingest_stage accepts becomes one set of puts in one shared
 * LevelDB batch: the entry as received, its body (unless already past its
 * group's retention), its feed index and head, its transparency-log leaf
 * (store/tlog.h), the indexes of its kind (store/keys.h); the counters, the
 * digests (daemon/digest.h), the fork state (daemon/forks.h) and the log's
 * right edge are kept as committed and as staged, so that checks see the
 * staged heads (seq 5 and 6 of one author can share a batch) and a failed
 * write drops exactly what it staged. rsn_ingest_commit writes the batch
 * with sync. The time an entry is first received is put beside it (in 'I',
 * daemon/clock.h). */
#include "daemon/ingest_batch.h"

#define DERIVE_PER_TURN 4096 /* log entries derived per commit or turn at most */

#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "daemon/clock.h"
#include "daemon/entry.h"
#include "daemon/retention.h"
#include "store/keys.h"
#include "store/tlog.h"

/* --- counters ---------------------------------------------------------------- */

#define N_COUNTERS 6
static const char *const counter_names[N_COUNTERS] = {"entries", "authors", "groups",
                                                      "forks",   "leaves",  "missing"};

static uint64_t *counter_slot(rsn_counts_t *c, int i)
{
    uint64_t *slots[N_COUNTERS] = {&c->entries, &c->authors, &c->groups,
                                   &c->forks,   &c->leaves,  &c->missing};
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
    rsn_bodies_count_erased(self->store, self->batch, self->erased_delta);
}

/* --- heads, staged and stored ------------------------------------------------ */

/* The head of AUTHOR as staged or stored: seq 0 when none. */
int rsn_ingest_head_of(rsn_ingest_t *self, const uint8_t author[RSN_KEY_BYTES], uint64_t *seq,
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

/* The log index held at (AUTHOR, SEQ), staged or stored. */
static int index_at(rsn_ingest_t *self, const uint8_t author[RSN_KEY_BYTES], uint64_t seq,
                    uint64_t *index)
{
    const staged_t *s = staged_at(self, author, seq);
    if (s) {
        *index = s->index;
        return 0;
    }
    uint8_t k[RSN_KEY_MAX];
    size_t kl = rsn_key_feed_seq(k, author, seq);
    return rsn_store_get_u64(self->store, k, kl, index);
}

/* Finds the entry held for (AUTHOR, SEQ): staged or stored. Fills the
 * header and signature into HELD (from ARENA). 0 or RSN_ERR_NOT_FOUND. */
int rsn_ingest_held_at(rsn_ingest_t *self, rsn_arena_t *arena, const uint8_t author[RSN_KEY_BYTES],
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
    uint64_t index = 0;
    int rc = index_at(self, author, seq, &index);
    if (rc < 0) {
        return rc;
    }
    Raison__SignedEntry *se = NULL;
    rc = rsn_signed_load_at(self->store, arena, index, &se);
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
    int rc = rsn_ingest_head_of(self, author, &hs, hid);
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
    const staged_t *s = staged_at(self, author, eff);
    if (s) {
        memcpy(id, s->id, RSN_ID_BYTES);
        return 0;
    }
    uint64_t index = 0;
    rc = index_at(self, author, eff, &index);
    return rc ? rc : rsn_tlog_leaf(self->store, index, id);
}

/* A rsn_digest_head_fn over an ingest (CTX). */
static int digest_head(void *ctx, const uint8_t author[RSN_KEY_BYTES], bool *exists, uint64_t *seq,
                       uint8_t id[RSN_ID_BYTES])
{
    bool frozen = false;
    return effective_head(ctx, author, exists, seq, id, &frozen);
}

/* A feed's digest contribution, taken before a change and swapped for the
 * one after it by toggle_contributions. */
typedef struct {
    bool exists;
    uint64_t seq;
    uint8_t id[RSN_ID_BYTES];
} contribution_t;

static int contribution(rsn_ingest_t *self, const uint8_t author[RSN_KEY_BYTES], contribution_t *c)
{
    return digest_head(self, author, &c->exists, &c->seq, c->id);
}

/* Swaps a feed's digest contribution BEFORE a change for the one AFTER it. */
static void toggle_contributions(rsn_ingest_t *self, const uint8_t author[RSN_KEY_BYTES],
                                 const contribution_t *before, const contribution_t *after)
{
    if (before->exists) {
        rsn_digest_toggle(self->digest, author, before->seq, before->id);
    }
    if (after->exists) {
        rsn_digest_toggle(self->digest, author, after->seq, after->id);
    }
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
    self->scratch = rsn_batch_new();
    self->batch_arena = rsn_arena_new();
    for (int v = 0; v < VERIFIED_SETS; v++) {
        self->verified[v].slots = calloc(VERIFIED_SLOTS, sizeof(verified_t));
    }
    self->digest = rsn_digest_new();
    memset(self->staged_slots, 0xff, sizeof self->staged_slots);
    int rc = RSN_ERR_NOMEM;
    if (self->batch && self->scratch && self->batch_arena && self->verified[VERIFIED_PEERS].slots &&
        self->verified[VERIFIED_AHEAD].slots && self->digest) {
        rc = rsn_forks_new(&self->forks, store);
    }
    if (rc == 0) {
        rc = load_counts(self);
    }
    if (rc == 0) {
        rc = rsn_derive_new(&self->derive, store);
    }
    if (rc == 0) {
        rc = rsn_digest_load(self->digest, store, digest_head, self);
    }
    if (rc == 0) {
        rc = rsn_tlog_frontier_load(store, self->counts.leaves, &self->frontier);
        self->pending_frontier = self->frontier;
    }
    if (rc == 0) {
        /* what a crash left past the watermark: at most one commit's */
        rc = rsn_derive_run(self->derive, self->counts.leaves, DERIVE_PER_TURN);
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
    rsn_batch_destroy(&self->scratch);
    rsn_arena_destroy(&self->batch_arena);
    rsn_digest_destroy(&self->digest);
    rsn_forks_destroy(&self->forks);
    rsn_derive_destroy(&self->derive);
    free(self->committed);
    for (int v = 0; v < VERIFIED_SETS; v++) {
        free(self->verified[v].slots);
    }
    free(self);
    *self_p = NULL;
}

/* --- staged ids ---------------------------------------------------------------- */

static size_t staged_slot(const uint8_t id[RSN_ID_BYTES])
{
    return ((size_t)id[2] | (size_t)id[3] << 8) & (STAGED_SLOTS - 1);
}

static const staged_t *staged_find(const rsn_ingest_t *self, const uint8_t id[RSN_ID_BYTES])
{
    for (size_t i = staged_slot(id);; i = (i + 1) & (STAGED_SLOTS - 1)) {
        int16_t at = self->staged_slots[i];
        if (at < 0) {
            return NULL;
        }
        if (memcmp(self->staged[at].id, id, RSN_ID_BYTES) == 0) {
            return &self->staged[at];
        }
    }
}

bool rsn_ingest_is_staged(const rsn_ingest_t *self, const uint8_t id[RSN_ID_BYTES])
{
    return staged_find(self, id) != NULL;
}

staged_t *rsn_ingest_staged(rsn_ingest_t *self, const uint8_t id[RSN_ID_BYTES])
{
    return (staged_t *)staged_find(self, id);
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
bool rsn_ingest_is_held(rsn_ingest_t *self, const uint8_t id[RSN_ID_BYTES])
{
    uint8_t k[RSN_KEY_MAX];
    size_t kl = rsn_key_leaf_index(k, id);
    return rsn_ingest_is_staged(self, id) || rsn_store_has(self->store, k, kl) == 0;
}

int rsn_ingest_index_of(rsn_ingest_t *self, const uint8_t id[RSN_ID_BYTES], uint64_t *index)
{
    const staged_t *s = staged_find(self, id);
    if (s) {
        *index = s->index;
        return 0;
    }
    return rsn_tlog_leaf_index(self->store, id, index);
}

/* --- fork evidence ------------------------------------------------------------- */

/* Tests only (rsn_ingest_fail_after): RSN_ERR_NOMEM when this step is the
 * one set to fail, else 0. */
static int injected(rsn_ingest_t *self)
{
    if (self->fail_after == 0) {
        return 0;
    }
    return --self->fail_after == 0 ? RSN_ERR_NOMEM : 0;
}

/* Stages fork evidence for (AUTHOR, SEQ) and freezes the feed there. */
int rsn_ingest_stage_fork(rsn_ingest_t *self, rsn_arena_t *arena,
                          const uint8_t author[RSN_KEY_BYTES], uint64_t seq,
                          const Raison__SignedEntry *held, const Raison__SignedEntry *incoming)
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
    /* as for an entry (rsn_ingest_stage_checked): what can fail runs first,
     * with the evidence in the scratch batch; on failure it is unstaged and
     * nothing of it reaches the shared batch or the digest */
    rsn_batch_clear(self->scratch);
    rsn_forks_stage(self->forks, self->scratch, author, seq, bytes, len);
    contribution_t after;
    rc = injected(self);
    if (rc == 0) {
        rc = contribution(self, author, &after); /* the feed frozen from SEQ now */
    }
    if (rc < 0) {
        self->fail_after = 0;
        rsn_forks_unstage_last(self->forks);
        rsn_batch_clear(self->scratch);
        return rc;
    }
    rsn_batch_append(self->batch, self->scratch);
    rsn_batch_clear(self->scratch);
    toggle_contributions(self, author, &before, &after);
    rsn_digest_toggle_fork(self->digest, author, seq);
    rsn_derive_queue_fork(self->derive, self->batch, author, seq);
    self->pending.forks++;
    self->n_evidence++;
    return 0;
}

/* --- the write path's clock ---------------------------------------------------- */

uint64_t rsn_ingest_now(const rsn_ingest_t *self)
{
    return self->clock_ms ? self->clock_ms : rsn_clock_wall_ms();
}

void rsn_ingest_set_clock(rsn_ingest_t *self, uint64_t now_ms)
{
    self->clock_ms = now_ms;
}

/* The entry as received (header and signature, body apart) at its log
 * index, its feed index and head, into BATCH. */
static int stage_entry(rsn_ingest_t *self, rsn_batch_t *batch, const candidate_t *c)
{
    (void)self;
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
    size_t kl = rsn_key_entry(k, c->index);
    rsn_batch_put(batch, k, kl, packed, packed_len);
    uint8_t at[8];
    rsn_be64_put(at, c->index);
    kl = rsn_key_feed_seq(k, c->e->author.data, c->e->seq);
    rsn_batch_put(batch, k, kl, at, sizeof at);
    uint8_t head[HEAD_BYTES];
    rsn_be64_put(head, c->e->seq);
    memcpy(head + 8, c->id, RSN_ID_BYTES);
    kl = rsn_key_feed_head(k, c->e->author.data);
    rsn_batch_put(batch, k, kl, head, sizeof head);
    return 0;
}

/* Remembers a staged entry, for the feed rule and fork evidence of the
 * entries that follow it in the batch. Nothing is remembered on error. */
static int remember_staged(rsn_ingest_t *self, const candidate_t *c)
{
    const uint8_t *entry = rsn_arena_memdup(self->batch_arena, c->entry, c->entry_len);
    const uint8_t *signature = rsn_arena_memdup(self->batch_arena, c->signature, RSN_SIG_BYTES);
    if (!entry || !signature) {
        return RSN_ERR_NOMEM;
    }
    staged_t *s = &self->staged[self->n_staged];
    memcpy(s->id, c->id, RSN_ID_BYTES);
    memcpy(s->author, c->e->author.data, RSN_KEY_BYTES);
    s->seq = c->e->seq;
    s->index = c->index;
    s->entry = entry;
    s->entry_len = c->entry_len;
    s->signature = signature;
    s->kind = c->e->kind;
    s->body = !c->has_body ? (c->erased_by ? RSN_BODY_ERASED : RSN_BODY_MISSING) : RSN_BODY_HELD;
    s->body_bytes = NULL;
    s->body_len = 0;
    s->queued = false;
    if (c->has_body && c->body_len > 0) {
        s->body_bytes = rsn_arena_memdup(self->batch_arena, c->body, c->body_len);
        if (!s->body_bytes) {
            return RSN_ERR_NOMEM;
        }
        s->body_len = c->body_len;
    }
    staged_index(self, self->n_staged++);
    return 0;
}

/* Forgets the entry remember_staged staged last (the last one indexed, so
 * its slot is the end of its probe chain and can simply be freed). */
static void forget_last_staged(rsn_ingest_t *self)
{
    const uint8_t *id = self->staged[--self->n_staged].id;
    for (size_t i = staged_slot(id);; i = (i + 1) & (STAGED_SLOTS - 1)) {
        if (self->staged_slots[i] == (int16_t)self->n_staged) {
            self->staged_slots[i] = -1;
            return;
        }
    }
}

void rsn_ingest_fail_after(rsn_ingest_t *self, unsigned n)
{
    self->fail_after = n;
}

void rsn_ingest_fail_commit(rsn_ingest_t *self)
{
    self->fail_commit = true;
}

/* Stages an entry that passed every check. Every step that can fail runs
 * first, into the scratch batch and a copy of the log's edge, so that a
 * refused entry leaves the shared batch, the counters, the log and the
 * digest as they were; only on success is the scratch merged into the
 * shared batch, and what follows (the body's indexes, the counters, the
 * digest) cannot fail. */
int rsn_ingest_stage_checked(rsn_ingest_t *self, candidate_t *c)
{
    const uint8_t *author = c->e->author.data;
    contribution_t before = {0}, after = {0};
    rsn_merkle_frontier_t frontier = self->pending_frontier;
    c->received = rsn_ingest_now(self);
    c->index = rsn_merkle_frontier_size(&frontier);
    rsn_batch_clear(self->scratch);
    int rc = c->frozen ? contribution(self, author, &before) : 0;
    if (rc == 0) {
        rc = stage_entry(self, self->scratch, c);
    }
    if (rc == 0) {
        rc = injected(self);
    }
    if (rc == 0) {
        /* transparency log leaf, in acceptance order */
        rc = rsn_tlog_append(self->scratch, &frontier, c->id, c->received);
    }
    if (rc == 0) {
        rc = injected(self);
    }
    if (rc == 0) {
        rc = remember_staged(self, c);
        if (rc == 0) {
            rc = injected(self);
            if (rc == 0 && c->frozen) {
                rc = contribution(self, author, &after); /* reads the head just staged */
            }
            if (rc == 0 && c->frozen) {
                rc = injected(self);
            }
            if (rc < 0) {
                forget_last_staged(self);
            }
        }
    }
    if (rc < 0) {
        self->fail_after = 0;
        rsn_batch_clear(self->scratch);
        return rc;
    }
    rsn_batch_append(self->batch, self->scratch);
    rsn_batch_clear(self->scratch);
    self->pending_frontier = frontier;
    self->pending.leaves++;
    self->pending.entries++;
    if (c->e->seq == 1) {
        self->pending.authors++;
    }
    if (c->has_body) {
        rsn_ingest_stage_body(self, c, false);
    } else if (c->erased_by) {
        rsn_ingest_stage_erased(self, c, c->erased_by, false);
    } else {
        rsn_ingest_stage_missing(self, c);
    }
    if (c->frozen) {
        toggle_contributions(self, author, &before, &after);
        return 0;
    }
    if (c->head_seq > 0) {
        rsn_digest_toggle(self->digest, author, c->head_seq, c->head_id);
    }
    rsn_digest_toggle(self->digest, author, c->e->seq, c->id);
    return 0;
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
    self->n_touched = 0;
    self->erased_delta = 0;
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

/* Remembers batch NUMBER as failed. */
static void note_failed(rsn_ingest_t *self, uint64_t number)
{
    self->failed[self->n_failed++ % FAILED_KEPT] = number;
}

/* The sync of the batches committed without one, when nothing is staged
 * (an empty synced write); when it fails, they fail. */
static int sync_unsynced(rsn_ingest_t *self)
{
    rsn_batch_t *empty = rsn_batch_new();
    int rc = empty ? rsn_store_write(self->store, empty, true) : RSN_ERR_NOMEM;
    rsn_batch_destroy(&empty);
    if (rc < 0) {
        rsn_error("ingest: a sync failed; the batches it covered are not acknowledged");
        for (uint64_t n = self->unsynced_from; n < self->batch_number; n++) {
            note_failed(self, n);
        }
    }
    self->unsynced = false;
    self->commit_failed = rc < 0;
    return rc;
}

static int commit(rsn_ingest_t *self, bool sync)
{
    if (rsn_ingest_pending(self) == 0) {
        return sync && self->unsynced ? sync_unsynced(self) : 0;
    }
    if (!self->batch_arena) {
        return RSN_ERR_NOMEM;
    }
    stage_counts(self);
    rsn_digest_stage(self->digest, self->batch);
    int rc = self->fail_commit ? RSN_ERR_IO : rsn_store_write(self->store, self->batch, sync);
    self->fail_commit = false;
    self->commit_failed = rc < 0; /* this commit's, not the last failure's */
    if (rc < 0 && sync && self->unsynced) {
        /* the sync the unsynced batches waited for did not happen */
        for (uint64_t n = self->unsynced_from; n < self->batch_number; n++) {
            note_failed(self, n);
        }
        self->unsynced = false;
    }
    if (rc < 0) {
        rsn_error("ingest: a batch of %zu entries could not be written; none is acknowledged",
                  self->n_staged);
        note_failed(self, self->batch_number);
        self->stats.commit_failures++;
        self->pending = self->counts;
        rsn_digest_rollback(self->digest);
        self->pending_frontier = self->frontier;
        self->batch_number++;
        reset_batch(self, false);
        return rc;
    }
    if (!sync && !self->unsynced) {
        self->unsynced = true;
        self->unsynced_from = self->batch_number;
    } else if (sync) {
        self->unsynced = false;
    }
    rsn_digest_commit(self->digest);
    self->frontier = self->pending_frontier;
    remember_committed(self);
    self->stats.commits++;
    self->stats.committed += self->n_staged;
    self->counts = self->pending;
    self->batch_number++;
    reset_batch(self, true);
    /* the derived state of what was committed, before anything reads it; a
     * failure here loses nothing (the entries are durable, the watermark
     * stays) and is retried by the next commit or turn */
    int drc = rsn_derive_run(self->derive, self->counts.leaves, DERIVE_PER_TURN);
    if (drc < 0) {
        rsn_error("ingest: derived state not updated: %s (retried)", rsn_strerror(drc));
    }
    return 0;
}

int rsn_ingest_commit(rsn_ingest_t *self)
{
    return commit(self, true);
}

int rsn_ingest_commit_unsynced(rsn_ingest_t *self)
{
    return commit(self, false);
}

int rsn_ingest_derive(rsn_ingest_t *self, size_t budget, bool *more)
{
    *more = false;
    if (rsn_batch_count(self->batch) > 0) {
        /* the commit first: what was queued for the derive pass when it was
         * staged, a late body too (daemon/derive.h rsn_derive_unseen), holds
         * until then */
        *more = true;
        return 0;
    }
    int rc = rsn_derive_run(self->derive, self->counts.leaves, budget);
    if (rc == 0 && rsn_derive_watermark(self->derive) < self->counts.leaves) {
        *more = true;
        return 0;
    }
    return rc < 0 ? rc : rsn_derive_background(self->derive, budget, more);
}

int rsn_ingest_reindex_start(rsn_ingest_t *self, bool *already)
{
    return rsn_derive_reindex_start(self->derive, already);
}

void rsn_ingest_reindex_progress(const rsn_ingest_t *self, rsn_reindex_progress_t *out)
{
    rsn_derive_reindex_progress(self->derive, out);
}

void rsn_ingest_derive_stop_after(rsn_ingest_t *self, unsigned steps)
{
    rsn_derive_stop_after(self->derive, steps);
}

bool rsn_ingest_derive_behind(const rsn_ingest_t *self)
{
    return rsn_derive_watermark(self->derive) < self->counts.leaves;
}

uint64_t rsn_ingest_batch_number(const rsn_ingest_t *self)
{
    return self->batch_number;
}

bool rsn_ingest_batch_failed(const rsn_ingest_t *self, uint64_t number)
{
    if (number >= self->batch_number || self->n_failed == 0) {
        return false; /* not committed yet */
    }
    size_t kept = self->n_failed < FAILED_KEPT ? (size_t)self->n_failed : FAILED_KEPT;
    uint64_t oldest = UINT64_MAX;
    for (size_t i = 0; i < kept; i++) {
        if (self->failed[i] == number) {
            return true;
        }
        oldest = self->failed[i] < oldest ? self->failed[i] : oldest;
    }
    /* older than the failures remembered: say failed when unsure */
    return self->n_failed > FAILED_KEPT && number < oldest;
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
    out->erased = rsn_bodies_erased(self->store);
}

void rsn_ingest_stats(const rsn_ingest_t *self, rsn_ingest_stats_t *out)
{
    *out = self->stats;
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
