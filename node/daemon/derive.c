/* derive.c — the derive pass (derive.h): after each commit, the new log
 * entries and the queued events, shown to every registered deriver, in
 * steps (one unsynced batch with the watermark): up to STEP_ENTRIES entries
 * a step, except that an entry a deriver answers by scanning its own keys
 * (a charter, a membership, a retraction: group_state.c scans 'e' and 'h')
 * is a step of its own, since a scan sees only what earlier steps wrote; a
 * queued event is a step of its own too. The step's puts are kept by key
 * (a hash table), read back by later entries of the step, and written
 * once each when the step ends, the last value of a key only. Then the
 * derivers' background work, a budget at a time. */
#include "daemon/derive.h"

#include <stdlib.h>
#include <string.h>

#include "common/limits.h"
#include "common/log.h"
#include "daemon/clock.h"
#include "daemon/group_state.h"
#include "daemon/report_state.h"
#include "proto/codec.h"
#include "store/keys.h"
#include "store/tlog.h"

/* The registered derivers, in the order they see each entry: a later one
 * may read what an earlier one derived from the same entry. */
static const rsn_deriver_t *const derivers[] = {
    &rsn_groupstate_deriver, /* charters, memberships: the group state */
    &rsn_report_deriver,     /* after it: posts judged against their group */
    NULL,                    /* end */
};

#define EVENT_BODY 'b'         /* id(32) [body bytes] */
#define EVENT_FORK 'f'         /* author(32) seq(8) */
#define RESET_CHUNK 10000      /* deletes per batch when a reindex clears the state */
#define REINDEX_CLEAR_STEP 512 /* derived keys an online reindex deletes per call (~1 ms) */
#define REINDEX_STEP 4         /* entries derived per call while an online reindex runs (~1 ms) */
#define REINDEX_CLEARING 1     /* the marker's phases ('i') */
#define REINDEX_DERIVING 2
#define STEP_ENTRIES 64 /* log entries derived in one step at most */
#define SLOTS_MIN 64    /* the step's hash table of puts: its first size (a power of two) */

typedef struct {
    uint8_t *key;
    size_t key_len;
    uint8_t *value; /* NULL: deleted */
    size_t len;
} put_t;

struct rsn_dx {
    rsn_store_t *store;
    rsn_batch_t *batch;
    rsn_arena_t *arena;
    put_t *puts; /* this step's, in the order first put, for its own reads */
    size_t n_puts, cap_puts;
    uint32_t *slots; /* index + 1 into puts by the key's hash (0: free), cap_slots of them */
    size_t cap_slots;
    void *deriver_slot; /* rsn_dx_slot: one deriver's memory for the rest of the step */
    uint64_t horizon;   /* rsn_dx_horizon */
    int failed;         /* an allocation failed: the step must not be written */
};

struct rsn_derive {
    rsn_store_t *store;
    rsn_dx_t dx;
    uint64_t watermark;
    uint64_t next_event;
    bool stop_armed; /* tests only: a crash after STOP_AFTER more steps */
    unsigned stop_after;
    uint64_t log_size; /* the last asked of rsn_derive_run */
    /* an online reindex (rsn_derive_reindex_start): its phase, the queued
     * events it clears (numbers below REINDEX_EVENTS), where it clears */
    int reindex;
    uint64_t reindex_events;
    size_t clear_tag; /* into rsn_derive_tags(), then 'q' */
    uint8_t clear_key[RSN_KEY_MAX];
    size_t clear_key_len; /* 0: from the tag's first key */
};

static int reindex_clear(rsn_derive_t *self);
static void reindex_finish(rsn_derive_t *self);

/* Tests only: false once the armed number of steps ran (the process
 * "died": nothing more is derived until a new rsn_derive_t). */
static bool step_allowed(rsn_derive_t *self)
{
    if (!self->stop_armed) {
        return true;
    }
    if (self->stop_after == 0) {
        return false;
    }
    self->stop_after--;
    return true;
}

void rsn_derive_stop_after(rsn_derive_t *self, unsigned steps)
{
    self->stop_armed = true;
    self->stop_after = steps;
}

/* --- one step ----------------------------------------------------------------------- */

static void step_reset(rsn_dx_t *dx)
{
    rsn_batch_clear(dx->batch);
    rsn_arena_destroy(&dx->arena);
    dx->arena = rsn_arena_new();
    dx->n_puts = 0;
    dx->deriver_slot = NULL;
    if (dx->slots) {
        memset(dx->slots, 0, dx->cap_slots * sizeof *dx->slots);
    }
    dx->failed = dx->arena ? 0 : RSN_ERR_NOMEM;
}

static uint64_t key_hash(const uint8_t *key, size_t key_len)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < key_len; i++) {
        h = (h ^ key[i]) * 1099511628211ull;
    }
    return h;
}

/* The slot of KEY in the table: its put's, or the free one it would take. */
static uint32_t *slot_of(rsn_dx_t *dx, const uint8_t *key, size_t key_len)
{
    size_t mask = dx->cap_slots - 1;
    for (size_t i = (size_t)key_hash(key, key_len) & mask;; i = (i + 1) & mask) {
        uint32_t s = dx->slots[i];
        if (s == 0) {
            return &dx->slots[i];
        }
        const put_t *p = &dx->puts[s - 1];
        if (p->key_len == key_len && memcmp(p->key, key, key_len) == 0) {
            return &dx->slots[i];
        }
    }
}

static put_t *find_put(rsn_dx_t *dx, const uint8_t *key, size_t key_len)
{
    if (dx->n_puts == 0) {
        return NULL;
    }
    uint32_t s = *slot_of(dx, key, key_len);
    return s ? &dx->puts[s - 1] : NULL;
}

/* Room for one more put: the list and the table (kept at most half full). */
static int grow(rsn_dx_t *dx)
{
    if (dx->n_puts == dx->cap_puts) {
        size_t cap = dx->cap_puts ? dx->cap_puts * 2 : SLOTS_MIN / 2;
        put_t *grown = realloc(dx->puts, cap * sizeof *grown);
        if (!grown) {
            return RSN_ERR_NOMEM;
        }
        dx->puts = grown;
        dx->cap_puts = cap;
    }
    if (2 * (dx->n_puts + 1) > dx->cap_slots) {
        size_t cap = dx->cap_slots ? dx->cap_slots * 2 : SLOTS_MIN;
        uint32_t *slots = calloc(cap, sizeof *slots);
        if (!slots) {
            return RSN_ERR_NOMEM;
        }
        free(dx->slots);
        dx->slots = slots;
        dx->cap_slots = cap;
        for (size_t i = 0; i < dx->n_puts; i++) {
            *slot_of(dx, dx->puts[i].key, dx->puts[i].key_len) = (uint32_t)(i + 1);
        }
    }
    return 0;
}

static void remember(rsn_dx_t *dx, const uint8_t *key, size_t key_len, const void *value,
                     size_t len)
{
    if (dx->failed) {
        return;
    }
    put_t *p = find_put(dx, key, key_len);
    if (!p) {
        if ((dx->failed = grow(dx)) != 0) {
            return;
        }
        p = &dx->puts[dx->n_puts++];
        p->key = rsn_arena_memdup(dx->arena, key, key_len);
        p->key_len = key_len;
        if (!p->key) {
            dx->failed = RSN_ERR_NOMEM;
            return;
        }
        *slot_of(dx, key, key_len) = (uint32_t)dx->n_puts;
    }
    p->value = value ? rsn_arena_memdup(dx->arena, value, len ? len : 1) : NULL;
    p->len = len;
    if (value && !p->value) {
        dx->failed = RSN_ERR_NOMEM;
    }
}

int rsn_dx_get(rsn_dx_t *dx, const uint8_t *key, size_t key_len, uint8_t **value, size_t *len)
{
    const put_t *p = find_put(dx, key, key_len);
    if (p) {
        if (!p->value) {
            return RSN_ERR_NOT_FOUND;
        }
        *value = p->value;
        *len = p->len;
        return 0;
    }
    void *v = NULL;
    size_t vl = 0;
    int rc = rsn_store_get(dx->store, key, key_len, &v, &vl);
    if (rc < 0) {
        return rc;
    }
    *value = rsn_arena_memdup(dx->arena, v, vl ? vl : 1);
    *len = vl;
    rsn_store_free(v);
    return *value ? 0 : RSN_ERR_NOMEM;
}

int rsn_dx_get_u64(rsn_dx_t *dx, const uint8_t *key, size_t key_len, uint64_t *out)
{
    uint8_t *v = NULL;
    size_t len = 0;
    int rc = rsn_dx_get(dx, key, key_len, &v, &len);
    *out = 0;
    if (rc == RSN_ERR_NOT_FOUND) {
        return 0;
    }
    if (rc < 0) {
        return rc;
    }
    if (len != 8) {
        rsn_error("derived state: the value of a counter key is %zu bytes, not 8", len);
        return RSN_ERR_IO;
    }
    *out = rsn_be64_get(v);
    return 0;
}

void rsn_dx_put(rsn_dx_t *dx, const uint8_t *key, size_t key_len, const void *value, size_t len)
{
    remember(dx, key, key_len, value ? value : "", len);
}

void rsn_dx_put_u64(rsn_dx_t *dx, const uint8_t *key, size_t key_len, uint64_t v)
{
    uint8_t b[8];
    rsn_be64_put(b, v);
    rsn_dx_put(dx, key, key_len, b, sizeof b);
}

void rsn_dx_delete(rsn_dx_t *dx, const uint8_t *key, size_t key_len)
{
    remember(dx, key, key_len, NULL, 0);
}

int rsn_dx_add(rsn_dx_t *dx, const uint8_t *key, size_t key_len, int64_t delta)
{
    uint64_t v = 0;
    int rc = rsn_dx_get_u64(dx, key, key_len, &v);
    if (rc < 0) {
        return rc;
    }
    if (delta < 0 && (uint64_t)-delta > v) {
        rsn_error("derived state: a counter would go below zero (%llu %lld)", (unsigned long long)v,
                  (long long)delta);
        return RSN_ERR_IO;
    }
    v += (uint64_t)delta;
    if (v == 0) {
        rsn_dx_delete(dx, key, key_len);
    } else {
        rsn_dx_put_u64(dx, key, key_len, v);
    }
    return 0;
}

rsn_store_t *rsn_dx_store(rsn_dx_t *dx)
{
    return dx->store;
}

rsn_arena_t *rsn_dx_arena(rsn_dx_t *dx)
{
    return dx->arena;
}

void **rsn_dx_slot(rsn_dx_t *dx)
{
    return &dx->deriver_slot;
}

uint64_t rsn_dx_horizon(const rsn_dx_t *dx)
{
    return dx->horizon;
}

int rsn_dx_flush(rsn_dx_t *dx)
{
    int rc = dx->failed;
    for (size_t i = 0; rc == 0 && i < dx->n_puts; i++) {
        const put_t *p = &dx->puts[i]; /* each key once, its last value */
        if (p->value) {
            rsn_batch_put(dx->batch, p->key, p->key_len, p->value, p->len);
        } else {
            rsn_batch_delete(dx->batch, p->key, p->key_len);
        }
    }
    if (rc == 0 && rsn_batch_count(dx->batch) > 0) {
        /* unsynced: what a crash loses past the watermark is derived again */
        rc = rsn_store_write(dx->store, dx->batch, false);
    }
    step_reset(dx);
    return rc < 0 ? rc : dx->failed;
}

/* --- the pass ------------------------------------------------------------------------ */

int rsn_derive_new(rsn_derive_t **out, rsn_store_t *store)
{
    *out = NULL;
    rsn_derive_t *self = calloc(1, sizeof *self);
    if (!self) {
        return RSN_ERR_NOMEM;
    }
    self->store = store;
    self->dx.store = store;
    self->dx.batch = rsn_batch_new();
    step_reset(&self->dx);
    uint8_t k[RSN_KEY_MAX];
    int rc = self->dx.batch ? self->dx.failed : RSN_ERR_NOMEM;
    if (rc == 0) {
        rc = rsn_store_get_u64(store, k, rsn_key_derived(k), &self->watermark);
        rc = rc == RSN_ERR_NOT_FOUND ? 0 : rc;
    }
    if (rc == 0) {
        /* the next event number: one past the last queued (O(log n)) */
        rsn_iter_t *it = rsn_iter_new(store, k, rsn_key_prefix(k, RSN_TAG_DERIVE_QUEUE, NULL));
        if (!it) {
            rc = RSN_ERR_NOMEM;
        } else {
            rsn_iter_last(it);
            size_t kl = 0;
            const uint8_t *key = rsn_iter_valid(it) ? rsn_iter_key(it, &kl) : NULL;
            if (key && kl == RSN_KEYLEN_N) {
                self->next_event = rsn_be64_get(key + 1) + 1;
            }
            rsn_iter_destroy(&it);
        }
    }
    uint8_t mark[9];
    if (rc == 0 && rsn_store_get_fixed(store, k, rsn_key_reindex(k), mark, sizeof mark) == 0) {
        /* an online reindex was under way: it goes on (a clear from the start) */
        self->reindex = mark[0] == REINDEX_CLEARING ? REINDEX_CLEARING : REINDEX_DERIVING;
        self->reindex_events = rsn_be64_get(mark + 1);
        self->watermark = self->reindex == REINDEX_CLEARING ? 0 : self->watermark;
    }
    if (rc < 0) {
        rsn_derive_destroy(&self);
        return rc;
    }
    *out = self;
    return 0;
}

void rsn_derive_destroy(rsn_derive_t **self_p)
{
    if (!self_p || !*self_p) {
        return;
    }
    rsn_derive_t *self = *self_p;
    rsn_batch_destroy(&self->dx.batch);
    rsn_arena_destroy(&self->dx.arena);
    free(self->dx.puts);
    free(self->dx.slots);
    free(self);
    *self_p = NULL;
}

uint64_t rsn_derive_watermark(const rsn_derive_t *self)
{
    return self->watermark;
}

static void queue(rsn_derive_t *self, rsn_batch_t *batch, const uint8_t *v, size_t len)
{
    uint8_t k[RSN_KEY_MAX];
    rsn_batch_put(batch, k, rsn_key_derive_queue(k, self->next_event++), v, len);
}

void rsn_derive_queue_body(rsn_derive_t *self, rsn_batch_t *batch, const uint8_t id[RSN_ID_BYTES],
                           const uint8_t *body, size_t len)
{
    if (!body && rsn_derive_unseen(self, id)) {
        return; /* not derived yet (a reindex): its first sight reads the body from 'B' */
    }
    uint8_t v[1 + RSN_ID_BYTES + RSN_BODY_MAX];
    v[0] = EVENT_BODY;
    memcpy(v + 1, id, RSN_ID_BYTES);
    if (!body || len > RSN_BODY_MAX) {
        len = 0;
    } else {
        memcpy(v + 1 + RSN_ID_BYTES, body, len);
    }
    queue(self, batch, v, 1 + RSN_ID_BYTES + len);
}

void rsn_derive_queue_fork(rsn_derive_t *self, rsn_batch_t *batch,
                           const uint8_t author[RSN_KEY_BYTES], uint64_t seq)
{
    uint8_t v[1 + RSN_KEY_BYTES + 8];
    v[0] = EVENT_FORK;
    memcpy(v + 1, author, RSN_KEY_BYTES);
    rsn_be64_put(v + 1 + RSN_KEY_BYTES, seq);
    queue(self, batch, v, sizeof v);
}

bool rsn_derive_unseen(rsn_derive_t *self, const uint8_t id[RSN_ID_BYTES])
{
    uint64_t index = 0;
    return self->watermark < self->log_size && rsn_tlog_leaf_index(self->store, id, &index) == 0 &&
           index >= self->watermark;
}

/* Loads entry ID (at log INDEX) into DE, its body decoded from BODY/LEN
 * when given. */
static int load_entry(rsn_dx_t *dx, const uint8_t id[RSN_ID_BYTES], uint64_t index,
                      const uint8_t *body, size_t len, rsn_derive_entry_t *de)
{
    rsn_loaded_t *l = NULL;
    int rc = rsn_entry_load_at(dx->store, dx->arena, index, &l); /* L names ID */
    if (rc == RSN_ERR_NOT_FOUND) {
        rsn_error("derive: log leaf %llu names no held entry (a damaged store)",
                  (unsigned long long)index);
        return RSN_ERR_IO;
    }
    if (rc < 0) {
        return rc;
    }
    if (body && len > 0) {
        void *decoded = NULL;
        if (rsn_body_decode(dx->arena, l->entry->kind, body, len, &decoded) == 0) {
            l->body = decoded;
        }
    }
    de->index = index;
    de->l = l;
    if (rsn_clock_received(dx->store, id, &de->received) < 0) {
        de->received = l->entry->timestamp;
    }
    return 0;
}

/* The entry at log INDEX. */
static int load_at(rsn_dx_t *dx, uint64_t index, rsn_derive_entry_t *de)
{
    uint8_t k[RSN_KEY_MAX], id[RSN_ID_BYTES];
    int rc = rsn_store_get_fixed(dx->store, k, rsn_key_leaf(k, index), id, sizeof id);
    if (rc == RSN_ERR_NOT_FOUND) {
        rsn_error("derive: log leaf %llu is not held (a damaged store)", (unsigned long long)index);
        return RSN_ERR_IO;
    }
    return rc < 0 ? rc : load_entry(dx, id, index, NULL, 0, de);
}

/* Entry ID, by its id (a late body), with BODY/LEN when given. */
static int load_id(rsn_dx_t *dx, const uint8_t id[RSN_ID_BYTES], const uint8_t *body, size_t len,
                   rsn_derive_entry_t *de)
{
    uint64_t index = 0;
    int rc = rsn_tlog_leaf_index(dx->store, id, &index);
    return rc < 0 ? rc : load_entry(dx, id, index, body, len, de);
}

static int show_entry(rsn_dx_t *dx, const rsn_derive_entry_t *de)
{
    for (size_t i = 0; derivers[i]; i++) {
        if (derivers[i]->entry) {
            int rc = derivers[i]->entry(dx, de);
            if (rc < 0) {
                return rc;
            }
        }
    }
    return 0;
}

static int show_fork(rsn_dx_t *dx, const uint8_t *author, uint64_t seq)
{
    for (size_t i = 0; derivers[i]; i++) {
        if (derivers[i]->fork) {
            int rc = derivers[i]->fork(dx, author, seq);
            if (rc < 0) {
                return rc;
            }
        }
    }
    return 0;
}

/* One queued event (key K, value V), shown and deleted in one step. */
static int run_event(rsn_derive_t *self, const uint8_t *k, size_t kl, const uint8_t *v, size_t len)
{
    rsn_dx_t *dx = &self->dx;
    int rc = 0;
    dx->horizon = self->watermark;
    if (len >= 1 + RSN_ID_BYTES && v[0] == EVENT_BODY) {
        rsn_derive_entry_t de = {.kind = RSN_DERIVE_LATE_BODY};
        rc = load_id(dx, v + 1, v + 1 + RSN_ID_BYTES, len - 1 - RSN_ID_BYTES, &de);
        if (rc == 0) {
            rc = show_entry(dx, &de);
        }
    } else if (len == 1 + RSN_KEY_BYTES + 8 && v[0] == EVENT_FORK) {
        rc = show_fork(dx, v + 1, rsn_be64_get(v + 1 + RSN_KEY_BYTES));
    } else {
        rsn_warn("derive: queued event of %zu bytes not understood; dropped", len);
    }
    if (rc < 0) {
        step_reset(dx);
        return rc;
    }
    rsn_dx_delete(dx, k, kl);
    return rsn_dx_flush(dx);
}

static int run_events(rsn_derive_t *self)
{
    uint8_t p[RSN_KEY_MAX];
    rsn_iter_t *it = rsn_iter_new(self->store, p, rsn_key_prefix(p, RSN_TAG_DERIVE_QUEUE, NULL));
    if (!it) {
        return RSN_ERR_NOMEM;
    }
    int rc = 0;
    for (rsn_iter_first(it); rc == 0 && rsn_iter_valid(it); rsn_iter_next(it)) {
        size_t kl = 0, len = 0;
        const uint8_t *key = rsn_iter_key(it, &kl);
        const uint8_t *v = rsn_iter_value(it, &len);
        rc = step_allowed(self) ? run_event(self, key, kl, v, len) : RSN_ERR_IO;
    }
    rsn_iter_destroy(&it);
    return rc;
}

/* True when a deriver answers entry DE by scanning its own keys, which
 * show only what earlier steps wrote: DE is a step of its own. A charter
 * or a membership without its body too: the group state shows it from the
 * facts kept at its first sight when a reindex finds its body erased. */
static bool needs_own_step(const rsn_derive_entry_t *de)
{
    switch (de->l->entry->kind) {
    case RAISON__KIND__KIND_CHARTER:
    case RAISON__KIND__KIND_MEMBERSHIP: return true;
    case RAISON__KIND__KIND_RETRACTION: return de->l->body != NULL;
    default: return false;
    }
}

/* Ends the step of the entries up to (not including) log index UPTO: the
 * watermark in its batch. */
static int end_step(rsn_derive_t *self, uint64_t upto)
{
    uint8_t k[RSN_KEY_MAX];
    rsn_dx_put_u64(&self->dx, k, rsn_key_derived(k), upto);
    int rc = rsn_dx_flush(&self->dx);
    if (rc == 0) {
        self->watermark = upto;
    }
    return rc;
}

int rsn_derive_run(rsn_derive_t *self, uint64_t log_size, size_t max)
{
    rsn_dx_t *dx = &self->dx;
    size_t done = 0, in_step = 0;
    uint64_t next = self->watermark; /* the next entry to show */
    int rc = 0;
    self->log_size = log_size;
    if (self->reindex == REINDEX_CLEARING) {
        return reindex_clear(self); /* nothing is derived before the old state is gone */
    }
    if (self->reindex && (max == 0 || max > REINDEX_STEP)) {
        max = REINDEX_STEP; /* a bounded share of each commit and turn */
    }
    while (rc == 0 && next < log_size && (max == 0 || done < max)) {
        if (in_step == 0 && !step_allowed(self)) {
            return RSN_ERR_IO;
        }
        rsn_derive_entry_t de = {.kind = RSN_DERIVE_ENTRY};
        rc = load_at(dx, next, &de);
        bool alone = rc == 0 && needs_own_step(&de);
        if (rc == 0 && alone && in_step > 0) {
            rc = end_step(self, next); /* what came before it, first */
            in_step = 0;
            if (rc == 0 && !step_allowed(self)) {
                return RSN_ERR_IO;
            }
            if (rc == 0) {
                rc = load_at(dx, next, &de); /* the step's arena went */
            }
        }
        if (rc == 0) {
            dx->horizon = next + 1; /* the entries before it were shown, it is being shown */
            rc = show_entry(dx, &de);
        }
        if (rc == 0) {
            next++;
            done++;
            in_step++;
            if (alone || in_step == STEP_ENTRIES || next == log_size || (max != 0 && done == max)) {
                rc = end_step(self, next);
                in_step = 0;
            }
        }
    }
    if (rc < 0) {
        step_reset(dx);
        rsn_error("derive: entries from %llu could not be derived: %s",
                  (unsigned long long)self->watermark, rsn_strerror(rc));
        return rc;
    }
    return self->watermark < log_size ? 0 : run_events(self);
}

int rsn_derive_background(rsn_derive_t *self, size_t budget, bool *more)
{
    *more = false;
    if (self->reindex == REINDEX_CLEARING) {
        *more = true;
        return 0;
    }
    for (size_t i = 0; derivers[i] && budget > 0; i++) {
        if (!derivers[i]->background) {
            continue;
        }
        size_t used = 0;
        self->dx.horizon = self->watermark;
        int rc = derivers[i]->background(&self->dx, budget, &used);
        if (rc == 0) {
            rc = rsn_dx_flush(&self->dx);
        } else {
            step_reset(&self->dx);
        }
        if (rc < 0) {
            return rc;
        }
        if (used > 0) {
            *more = true; /* it may have more: asked again next turn */
        }
        budget = used < budget ? budget - used : 0;
    }
    if (self->reindex == REINDEX_DERIVING && !*more && self->watermark >= self->log_size) {
        reindex_finish(self);
    }
    return 0;
}

/* True when queued event V (LEN bytes) outlives a reindex: a body that
 * arrived erased, or was erased before the pass read it, whose bytes the
 * event is the only copy of ('B' holds none), so that the entry's facts
 * are still seen once; every other event is what deriving the log again
 * sees anyway. */
static bool event_kept(rsn_store_t *store, const uint8_t *v, size_t len)
{
    uint8_t k[RSN_KEY_MAX];
    uint64_t index = 0;
    return len > 1 + RSN_ID_BYTES && v[0] == EVENT_BODY &&
           rsn_tlog_leaf_index(store, v + 1, &index) == 0 &&
           rsn_store_has(store, k, rsn_key_body(k, index)) == RSN_ERR_NOT_FOUND;
}

/* Deletes every key under the one-byte PREFIX, RESET_CHUNK per batch (of
 * the queued events, those event_kept leaves). */
static int delete_tag(rsn_store_t *store, char tag)
{
    uint8_t p[RSN_KEY_MAX];
    size_t pl = rsn_key_prefix(p, tag, NULL);
    rsn_batch_t *batch = rsn_batch_new();
    rsn_iter_t *it = rsn_iter_new(store, p, pl);
    int rc = batch && it ? 0 : RSN_ERR_NOMEM;
    for (rsn_iter_first(it); rc == 0 && rsn_iter_valid(it); rsn_iter_next(it)) {
        size_t kl = 0, vl = 0;
        const uint8_t *key = rsn_iter_key(it, &kl);
        const uint8_t *v = rsn_iter_value(it, &vl);
        if (tag == RSN_TAG_DERIVE_QUEUE && event_kept(store, v, vl)) {
            continue;
        }
        rsn_batch_delete(batch, key, kl);
        if (rsn_batch_count(batch) >= RESET_CHUNK) {
            rc = rsn_store_write(store, batch, false);
            rsn_batch_clear(batch);
        }
    }
    if (rc == 0 && rsn_batch_count(batch) > 0) {
        rc = rsn_store_write(store, batch, false);
    }
    rsn_iter_destroy(&it);
    rsn_batch_destroy(&batch);
    return rc;
}

const char *rsn_derive_tags(void)
{
    static char tags[64];
    size_t n = 0;
    for (size_t i = 0; derivers[i]; i++) {
        for (const char *t = derivers[i]->tags; t && *t && n + 1 < sizeof tags; t++) {
            tags[n++] = *t;
        }
    }
    tags[n] = '\0';
    return tags;
}

int rsn_derive_reset(rsn_store_t *store)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && derivers[i]; i++) {
        for (const char *t = derivers[i]->tags; rc == 0 && t && *t; t++) {
            rc = delete_tag(store, *t);
        }
    }
    if (rc == 0) {
        rc = delete_tag(store, RSN_TAG_DERIVE_QUEUE);
    }
    if (rc == 0) {
        rc = delete_tag(store, RSN_TAG_REINDEX); /* an online one is done with too */
    }
    if (rc == 0) {
        rc = delete_tag(store, RSN_TAG_DERIVED); /* the watermark last */
    }
    if (rc == 0) {
        rsn_batch_t *b = rsn_batch_new();
        rc = b ? rsn_store_write(store, b, true) : RSN_ERR_NOMEM; /* one sync for all */
        rsn_batch_destroy(&b);
    }
    return rc;
}

/* --- an online reindex --------------------------------------------------------------- */

/* Writes the marker 'i' (PHASE) into BATCH. */
static void reindex_mark(rsn_derive_t *self, rsn_batch_t *batch, int phase)
{
    uint8_t k[RSN_KEY_MAX], v[9];
    v[0] = (uint8_t)phase;
    rsn_be64_put(v + 1, self->reindex_events);
    rsn_batch_put(batch, k, rsn_key_reindex(k), v, sizeof v);
}

int rsn_derive_reindex_start(rsn_derive_t *self, bool *already)
{
    *already = self->reindex != 0;
    if (*already) {
        return 0;
    }
    rsn_batch_t *b = rsn_batch_new();
    if (!b) {
        return RSN_ERR_NOMEM;
    }
    self->reindex_events = self->next_event;
    reindex_mark(self, b, REINDEX_CLEARING);
    int rc = rsn_store_write(self->store, b, true);
    rsn_batch_destroy(&b);
    if (rc == 0) {
        self->reindex = REINDEX_CLEARING;
        self->clear_tag = 0;
        self->clear_key_len = 0;
        self->watermark = 0; /* views say the state is being updated from now */
        rsn_info("reindex: the derived state is rebuilt from the log while the node serves");
    }
    return rc;
}

/* Deletes up to REINDEX_CLEAR_STEP keys of TAG into BATCH from the clear
 * cursor on; *END when the tag has none left (the queue: none below the
 * reindex's event bound). */
static int clear_some(rsn_derive_t *self, rsn_batch_t *batch, char tag, size_t *done, bool *end)
{
    uint8_t p[RSN_KEY_MAX];
    rsn_iter_t *it = rsn_iter_new(self->store, p, rsn_key_prefix(p, tag, NULL));
    if (!it) {
        return RSN_ERR_NOMEM;
    }
    if (self->clear_key_len == 0) {
        rsn_iter_first(it);
    } else {
        rsn_iter_seek(it, self->clear_key, self->clear_key_len); /* past the tombstones */
        size_t kl = 0;
        const uint8_t *key = rsn_iter_valid(it) ? rsn_iter_key(it, &kl) : NULL;
        if (key && kl == self->clear_key_len && memcmp(key, self->clear_key, kl) == 0) {
            rsn_iter_next(it);
        }
    }
    *end = false;
    for (; *done < REINDEX_CLEAR_STEP; rsn_iter_next(it)) {
        size_t kl = 0;
        const uint8_t *key = rsn_iter_valid(it) ? rsn_iter_key(it, &kl) : NULL;
        if (!key || kl > RSN_KEY_MAX ||
            (tag == RSN_TAG_DERIVE_QUEUE &&
             (kl != RSN_KEYLEN_N || rsn_be64_get(key + 1) >= self->reindex_events))) {
            *end = true; /* events queued since the start are kept */
            break;
        }
        size_t vl = 0;
        const uint8_t *v = rsn_iter_value(it, &vl);
        if (tag != RSN_TAG_DERIVE_QUEUE || !event_kept(self->store, v, vl)) {
            rsn_batch_delete(batch, key, kl);
        }
        memcpy(self->clear_key, key, kl);
        self->clear_key_len = kl;
        (*done)++;
    }
    rsn_iter_destroy(&it);
    return 0;
}

/* One bounded step of the clear: the derivers' keys, tag by tag, then the
 * events queued before the start; then, in one synced batch, the watermark
 * goes and the marker says the log is being derived again. */
static int reindex_clear(rsn_derive_t *self)
{
    const char *tags = rsn_derive_tags();
    size_t n_tags = strlen(tags), done = 0;
    rsn_batch_t *b = rsn_batch_new();
    int rc = b ? 0 : RSN_ERR_NOMEM;
    while (rc == 0 && self->clear_tag <= n_tags && done < REINDEX_CLEAR_STEP) {
        char tag = self->clear_tag < n_tags ? tags[self->clear_tag] : RSN_TAG_DERIVE_QUEUE;
        bool end = false;
        rc = clear_some(self, b, tag, &done, &end);
        if (rc == 0 && end) {
            self->clear_tag++;
            self->clear_key_len = 0;
        }
    }
    bool cleared = rc == 0 && self->clear_tag > n_tags;
    if (cleared) {
        uint8_t k[RSN_KEY_MAX];
        rsn_batch_delete(b, k, rsn_key_derived(k));
        reindex_mark(self, b, REINDEX_DERIVING);
    }
    if (rc == 0) {
        rc = rsn_store_write(self->store, b, cleared);
    }
    rsn_batch_destroy(&b);
    if (rc == 0 && cleared) {
        self->reindex = REINDEX_DERIVING;
        self->watermark = 0;
    }
    if (rc < 0) {
        rsn_error("reindex: could not clear the derived state: %s (retried)", rsn_strerror(rc));
    }
    return rc;
}

/* The log is derived again and no background work is left: the marker goes. */
static void reindex_finish(rsn_derive_t *self)
{
    uint8_t k[RSN_KEY_MAX];
    rsn_batch_t *b = rsn_batch_new();
    if (b) {
        rsn_batch_delete(b, k, rsn_key_reindex(k));
    }
    if (b && rsn_store_write(self->store, b, true) == 0) {
        self->reindex = 0;
        rsn_info("reindex: done, %llu entries derived again", (unsigned long long)self->watermark);
    }
    rsn_batch_destroy(&b);
}

void rsn_derive_reindex_progress(const rsn_derive_t *self, rsn_reindex_progress_t *out)
{
    out->running = self->reindex != 0;
    out->clearing = self->reindex == REINDEX_CLEARING;
    out->derived = self->watermark;
}
