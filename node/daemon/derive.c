/* derive.c — the derive pass (derive.h): after each commit, the new log
 * entries and the queued events, shown to every registered deriver, one
 * step (one unsynced batch with the watermark) per entry or event; and the
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

#define EVENT_BODY 'b'    /* id(32) [body bytes] */
#define EVENT_FORK 'f'    /* author(32) seq(8) */
#define RESET_CHUNK 10000 /* deletes per batch when a reindex clears the state */

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
    put_t *puts; /* this step's, for its own reads */
    size_t n_puts, cap_puts;
    int failed; /* an allocation failed: the step must not be written */
};

struct rsn_derive {
    rsn_store_t *store;
    rsn_dx_t dx;
    uint64_t watermark;
    uint64_t next_event;
    bool stop_armed; /* tests only: a crash after STOP_AFTER more steps */
    unsigned stop_after;
};

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
    dx->failed = dx->arena ? 0 : RSN_ERR_NOMEM;
}

static put_t *find_put(rsn_dx_t *dx, const uint8_t *key, size_t key_len)
{
    for (size_t i = dx->n_puts; i-- > 0;) {
        if (dx->puts[i].key_len == key_len && memcmp(dx->puts[i].key, key, key_len) == 0) {
            return &dx->puts[i];
        }
    }
    return NULL;
}

static void remember(rsn_dx_t *dx, const uint8_t *key, size_t key_len, const void *value,
                     size_t len)
{
    if (dx->failed) {
        return;
    }
    put_t *p = find_put(dx, key, key_len);
    if (!p) {
        if (dx->n_puts == dx->cap_puts) {
            size_t cap = dx->cap_puts ? dx->cap_puts * 2 : 16;
            put_t *grown = realloc(dx->puts, cap * sizeof *grown);
            if (!grown) {
                dx->failed = RSN_ERR_NOMEM;
                return;
            }
            dx->puts = grown;
            dx->cap_puts = cap;
        }
        p = &dx->puts[dx->n_puts++];
        p->key = rsn_arena_memdup(dx->arena, key, key_len);
        p->key_len = key_len;
    }
    p->value = value ? rsn_arena_memdup(dx->arena, value, len ? len : 1) : NULL;
    p->len = len;
    if (!p->key || (value && !p->value)) {
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
    rsn_batch_put(dx->batch, key, key_len, value, len);
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
    rsn_batch_delete(dx->batch, key, key_len);
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

int rsn_dx_flush(rsn_dx_t *dx)
{
    int rc = dx->failed;
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

int rsn_derive_run(rsn_derive_t *self, uint64_t log_size, size_t max)
{
    rsn_dx_t *dx = &self->dx;
    uint8_t k[RSN_KEY_MAX];
    size_t done = 0;
    while (self->watermark < log_size && (max == 0 || done < max)) {
        if (!step_allowed(self)) {
            return RSN_ERR_IO;
        }
        rsn_derive_entry_t de = {.kind = RSN_DERIVE_ENTRY};
        int rc = load_at(dx, self->watermark, &de);
        if (rc == 0) {
            rc = show_entry(dx, &de);
        }
        if (rc == 0) {
            rsn_dx_put_u64(dx, k, rsn_key_derived(k), self->watermark + 1);
            rc = rsn_dx_flush(dx);
        } else {
            step_reset(dx);
        }
        if (rc < 0) {
            rsn_error("derive: entry %llu could not be derived: %s",
                      (unsigned long long)self->watermark, rsn_strerror(rc));
            return rc;
        }
        self->watermark++;
        done++;
    }
    return self->watermark < log_size ? 0 : run_events(self);
}

int rsn_derive_background(rsn_derive_t *self, size_t budget, bool *more)
{
    *more = false;
    for (size_t i = 0; derivers[i] && budget > 0; i++) {
        if (!derivers[i]->background) {
            continue;
        }
        size_t used = 0;
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
    return 0;
}

/* Deletes every key under the one-byte PREFIX, RESET_CHUNK per batch. */
static int delete_tag(rsn_store_t *store, char tag)
{
    uint8_t p[RSN_KEY_MAX];
    size_t pl = rsn_key_prefix(p, tag, NULL);
    rsn_batch_t *batch = rsn_batch_new();
    rsn_iter_t *it = rsn_iter_new(store, p, pl);
    int rc = batch && it ? 0 : RSN_ERR_NOMEM;
    for (rsn_iter_first(it); rc == 0 && rsn_iter_valid(it); rsn_iter_next(it)) {
        size_t kl = 0;
        const uint8_t *key = rsn_iter_key(it, &kl);
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
        rc = delete_tag(store, RSN_TAG_DERIVED); /* the watermark last */
    }
    if (rc == 0) {
        rsn_batch_t *b = rsn_batch_new();
        rc = b ? rsn_store_write(store, b, true) : RSN_ERR_NOMEM; /* one sync for all */
        rsn_batch_destroy(&b);
    }
    return rc;
}
