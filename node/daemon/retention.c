/* retention.c — the retention sweep, and the retention each post keeps.
 *
 * A post keeps the retention of the charter version it names (Post.charter):
 * an amendment changes what happens to the posts written under it, never to
 * what people wrote under another promise (DESIGN.md "Retention"). A post
 * that names no version, or one that is not on its group's chain (not held
 * yet, or an amendment that lost a dispute), keeps the retention of the
 * version that was current when this node received it: the newest version
 * of the chain that this node held, with every version before it, at the
 * post's received time (in 'I', store/keys.h); version 1 when the post came
 * first. A post's age is its effective time (daemon/clock.h), the ts of its
 * 'P' key.
 *
 * The sweep walks the groups, then, for each version of a group's chain
 * that has a retention, the group's posts oldest first up to that version's
 * cut-off, erasing the bodies of those kept under that version. A marker
 * per (group, version) ('Y' group version) remembers where that walk
 * stopped, so each sweep reads only the posts that aged since; a version new
 * to the chain starts from the oldest post. A post is read at most once per
 * version with a retention. Each body it drops is marked erased by its group
 * ('O', daemon/bodies.h) and counted.
 *
 * Finding and erasing are apart: rsn_retention_find only reads (the node
 * runs it on a worker thread over a snapshot, daemon/background.h) and
 * hands each step (erase this body, move this marker, record this
 * retention) to a sink; rsn_retention_apply writes a bounded run of steps in
 * one synced batch, in the loop, re-checking that each body is still held.
 * rsn_retention_sweep does both at once, in the caller's thread. */
#include "daemon/retention.h"

#include <string.h>

#include "common/arena.h"
#include "common/log.h"
#include "crypto/crypto.h"
#include "daemon/bodies.h"
#include "daemon/clock.h"
#include "daemon/entry.h"
#include "daemon/group.h"
#include "store/keys.h"
#include "store/tlog.h"

#define DAY_MS 86400000ULL
#define MARKER_BYTES 16 /* the key suffix of the last post swept: ts(8) index(8) */
#define DAYS_BYTES 4    /* 'Y' group: the current charter's retention_days */

/* One version of a group's chain, as retention sees it. */
typedef struct {
    const uint8_t *id;
    uint32_t days;       /* its retention_days (0: kept) */
    uint64_t known_from; /* when this node held it and every version before it */
} version_t;

/* What one sweep of one group works with. */
typedef struct {
    rsn_store_t *store; /* read only: the live store, or a snapshot */
    const rsn_retention_sink_t *sink;
    const uint8_t *group;
    const version_t *v;
    size_t n;
    size_t budget;
    size_t *found;
    int rc; /* the sink's refusal: the walk stops */
} sweep_t;

/* Hands STEP to the sweep's sink; false once the sink refused one. */
static bool emit(sweep_t *s, const rsn_retention_step_t *step)
{
    if (s->rc == 0) {
        s->rc = s->sink->emit(s->sink->ctx, step);
    }
    return s->rc == 0;
}

static uint32_t charter_days(const Raison__Charter *c)
{
    return c && c->data_policy ? c->data_policy->retention_days : 0;
}

/* --- the markers ------------------------------------------------------------ */

static int days_get(rsn_store_t *store, const uint8_t group[RSN_ID_BYTES], uint32_t *days)
{
    uint8_t k[RSN_KEY_MAX], v[DAYS_BYTES];
    int rc = rsn_store_get_fixed(store, k, rsn_key_retention(k, group), v, sizeof v);
    if (rc == 0) {
        *days = (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3];
    }
    return rc;
}

static void days_put(rsn_batch_t *batch, const uint8_t group[RSN_ID_BYTES], uint32_t days)
{
    uint8_t k[RSN_KEY_MAX];
    uint8_t v[DAYS_BYTES] = {(uint8_t)(days >> 24), (uint8_t)(days >> 16), (uint8_t)(days >> 8),
                             (uint8_t)days};
    rsn_batch_put(batch, k, rsn_key_retention(k, group), v, sizeof v);
}

/* Where the sweep of GROUP's posts kept under VERSION stopped, into LAST
 * (zeros: from the start). False when there is no marker yet. */
static bool marker_get(rsn_store_t *store, const uint8_t group[RSN_ID_BYTES],
                       const uint8_t version[RSN_ID_BYTES], uint8_t last[MARKER_BYTES])
{
    uint8_t k[RSN_KEY_MAX];
    size_t kl = rsn_key_retention_version(k, group, version);
    if (rsn_store_get_fixed(store, k, kl, last, MARKER_BYTES) != 0) {
        memset(last, 0, MARKER_BYTES);
        return false;
    }
    return true;
}

static void marker_put(rsn_batch_t *batch, const uint8_t group[RSN_ID_BYTES],
                       const uint8_t version[RSN_ID_BYTES], const uint8_t last[MARKER_BYTES])
{
    uint8_t k[RSN_KEY_MAX];
    size_t kl = rsn_key_retention_version(k, group, version);
    rsn_batch_put(batch, k, kl, last, MARKER_BYTES);
}

/* --- which version a post keeps --------------------------------------------- */

/* The versions of G's chain with their retention and since when this node
 * has held each (with those before it), into *OUT (from ARENA), *N. */
static int chain_versions(rsn_store_t *store, rsn_arena_t *arena, const rsn_group_t *g,
                          version_t **out, size_t *n)
{
    *n = rsn_group_versions(g);
    version_t *v = rsn_arena_alloc(arena, *n * sizeof *v);
    if (!v) {
        return RSN_ERR_NOMEM;
    }
    uint64_t known = 0;
    for (size_t i = 0; i < *n; i++) {
        const rsn_loaded_t *l = rsn_group_version(g, i);
        uint64_t received = 0;
        if (rsn_clock_received(store, l->id, &received) == 0 && received > known) {
            known = received;
        }
        v[i] = (version_t){.id = l->id, .days = charter_days(l->body), .known_from = known};
    }
    *out = v;
    return 0;
}

/* The index in V (N versions) of the version whose retention post P (NULL
 * when its body does not decode), received at RECEIVED, keeps. */
static size_t version_of(const version_t *v, size_t n, const Raison__Post *p, uint64_t received)
{
    if (p && p->charter.len == RSN_ID_BYTES) {
        for (size_t i = 0; i < n; i++) {
            if (memcmp(v[i].id, p->charter.data, RSN_ID_BYTES) == 0) {
                return i;
            }
        }
    }
    size_t at = 0;
    for (size_t i = 1; i < n && v[i].known_from <= received; i++) {
        at = i;
    }
    return at;
}

/* The version whose retention the post at log INDEX (at effective time TS)
 * keeps, and its id into ID; S->N when its body is not held (nothing to
 * erase) or cannot be read now. */
static size_t version_of_held(const sweep_t *s, uint64_t index, uint64_t ts,
                              uint8_t id[RSN_ID_BYTES])
{
    uint8_t k[RSN_KEY_MAX];
    void *body = NULL;
    size_t len = 0;
    if (rsn_store_get(s->store, k, rsn_key_body(k, index), &body, &len) != 0) {
        return s->n;
    }
    if (rsn_tlog_leaf(s->store, index, id) != 0) {
        rsn_store_free(body);
        return s->n;
    }
    size_t at = s->n;
    rsn_arena_t *arena = rsn_arena_new();
    if (arena) {
        void *decoded = NULL;
        if (rsn_body_decode(arena, RAISON__KIND__KIND_POST, body, len, &decoded) != 0) {
            decoded = NULL;
        }
        uint64_t received = ts;
        if (rsn_clock_received(s->store, id, &received) != 0) {
            received = ts;
        }
        at = version_of(s->v, s->n, decoded, received);
    }
    rsn_arena_destroy(&arena);
    rsn_store_free(body);
    return at;
}

/* --- the sweep --------------------------------------------------------------- */

/* Erases the held bodies of the group's posts kept under version AT that
 * are older than CUTOFF, from the marker LAST on, into the batch; moves LAST
 * to the last post passed. */
static void sweep_version(sweep_t *s, size_t at, uint64_t cutoff, uint8_t last[MARKER_BYTES])
{
    uint8_t prefix[RSN_KEY_MAX], from[RSN_KEY_MAX];
    size_t pl = rsn_key_prefix(prefix, RSN_TAG_POST, s->group);
    rsn_index_t ix;
    if (rsn_index_open(&ix, s->store, prefix, pl, RSN_KEYLEN_ID_N_N) != 0) {
        return;
    }
    size_t fl = rsn_key_group_post(from, s->group, rsn_be64_get(last), rsn_be64_get(last + 8));
    for (rsn_index_seek(&ix, from, fl); rsn_index_valid(&ix) && *s->found < s->budget;
         rsn_index_next(&ix)) {
        const uint8_t *key = rsn_index_key(&ix);
        uint64_t ts = rsn_be64_get(key + RSN_KEYLEN_ID);
        if (ts >= cutoff) {
            break;
        }
        uint8_t id[RSN_ID_BYTES];
        if (version_of_held(s, rsn_index_n(&ix), ts, id) == at) {
            rsn_retention_step_t step = {.kind = RSN_RETENTION_ERASE};
            memcpy(step.group, s->group, RSN_ID_BYTES);
            memcpy(step.id, id, RSN_ID_BYTES);
            step.index = rsn_index_n(&ix);
            if (!emit(s, &step)) {
                break;
            }
            (*s->found)++;
        }
        memcpy(last, key + RSN_KEYLEN_ID, MARKER_BYTES);
    }
    rsn_index_close(&ix);
}

/* Sweeps GROUP at NOW_MS: each version of its chain with a retention, from
 * its marker on; records the current charter's retention. */
static void sweep_group(sweep_t *s, uint64_t now_ms)
{
    rsn_arena_t *arena = rsn_arena_new();
    rsn_group_t *g = NULL;
    version_t *v = NULL;
    size_t n = 0;
    if (!arena || rsn_group_load(s->store, arena, s->group, &g) != 0 ||
        chain_versions(s->store, arena, g, &v, &n) != 0) {
        goto out;
    }
    s->v = v;
    s->n = n;
    uint32_t current = v[n - 1].days, seen = 0;
    bool had = days_get(s->store, s->group, &seen) == 0;
    if ((current > 0 && !had) || (had && seen != current)) {
        rsn_retention_step_t step = {.kind = RSN_RETENTION_DAYS, .days = current};
        memcpy(step.group, s->group, RSN_ID_BYTES);
        (void)emit(s, &step);
    }
    for (size_t i = 0; i < n && *s->found < s->budget && s->rc == 0; i++) {
        uint64_t span = (uint64_t)v[i].days * DAY_MS;
        if (v[i].days == 0 || now_ms <= span) {
            continue;
        }
        uint8_t last[MARKER_BYTES], before[MARKER_BYTES];
        bool marked = marker_get(s->store, s->group, v[i].id, last);
        memcpy(before, last, MARKER_BYTES);
        sweep_version(s, i, now_ms - span, last);
        /* after the erasures it covers, so a marker never passes a post
         * whose body is still to be erased */
        if (s->rc == 0 && (!marked || memcmp(before, last, MARKER_BYTES) != 0)) {
            rsn_retention_step_t step = {.kind = RSN_RETENTION_MARKER};
            memcpy(step.group, s->group, RSN_ID_BYTES);
            memcpy(step.id, v[i].id, RSN_ID_BYTES);
            memcpy(step.last, last, MARKER_BYTES);
            (void)emit(s, &step);
        }
    }
out:
    rsn_arena_destroy(&arena);
}

int rsn_retention_find(rsn_store_t *store, uint64_t now_ms, size_t budget,
                       const rsn_retention_sink_t *sink, size_t *found)
{
    *found = 0;
    uint8_t prefix[RSN_KEY_MAX];
    size_t pl = rsn_key_prefix(prefix, RSN_TAG_GROUP, NULL);
    rsn_index_t groups;
    int rc = rsn_index_open(&groups, store, prefix, pl, RSN_KEYLEN_ID);
    if (rc < 0) {
        return rc;
    }
    for (rsn_index_first(&groups); rc == 0 && rsn_index_valid(&groups) && *found < budget;
         rsn_index_next(&groups)) {
        if (sink->stopping && sink->stopping(sink->ctx)) {
            rc = RSN_ERR_INTERRUPTED;
            break;
        }
        sweep_t s = {.store = store,
                     .sink = sink,
                     .group = rsn_index_id(&groups),
                     .budget = budget,
                     .found = found};
        sweep_group(&s, now_ms);
        rc = s.rc;
    }
    rsn_index_close(&groups);
    return rc;
}

/* Stages STEP into BATCH; an erasure only when STORE still holds the body
 * (a retraction may have erased it since it was found), counted in
 * *ERASED. */
static void stage_step(rsn_store_t *store, rsn_batch_t *batch, const rsn_retention_step_t *step,
                       size_t *erased)
{
    uint8_t k[RSN_KEY_MAX];
    switch (step->kind) {
    case RSN_RETENTION_ERASE: {
        size_t kl = rsn_key_body(k, step->index);
        if (rsn_store_has(store, k, kl) != 0) {
            return;
        }
        rsn_batch_delete(batch, k, kl);
        rsn_bodies_mark_erased(batch, step->id, step->group);
        (*erased)++;
        return;
    }
    case RSN_RETENTION_MARKER: marker_put(batch, step->group, step->id, step->last); return;
    case RSN_RETENTION_DAYS: days_put(batch, step->group, step->days); return;
    default: return;
    }
}

int rsn_retention_apply(rsn_store_t *store, const rsn_retention_step_t *steps, size_t n,
                        size_t *erased)
{
    *erased = 0;
    rsn_batch_t *batch = rsn_batch_new();
    if (!batch) {
        return RSN_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        stage_step(store, batch, &steps[i], erased);
    }
    rsn_bodies_count_erased(store, batch, *erased);
    int rc = rsn_batch_count(batch) > 0 ? rsn_store_write(store, batch, true) : 0;
    rsn_batch_destroy(&batch);
    if (rc < 0) {
        *erased = 0;
    }
    return rc;
}

/* The synchronous sweep's sink: every step staged into one batch. */
typedef struct {
    rsn_store_t *store;
    rsn_batch_t *batch;
    size_t erased;
} inline_sink_t;

static int stage_inline(void *ctx, const rsn_retention_step_t *step)
{
    inline_sink_t *x = ctx;
    stage_step(x->store, x->batch, step, &x->erased);
    return 0;
}

int rsn_retention_sweep(rsn_store_t *store, uint64_t now_ms, size_t budget, size_t *erased)
{
    *erased = 0;
    inline_sink_t x = {.store = store, .batch = rsn_batch_new()};
    if (!x.batch) {
        return RSN_ERR_NOMEM;
    }
    rsn_retention_sink_t sink = {.emit = stage_inline, .ctx = &x};
    size_t found = 0;
    int rc = rsn_retention_find(store, now_ms, budget, &sink, &found);
    if (rc == 0) {
        rsn_bodies_count_erased(store, x.batch, x.erased);
        rc = rsn_batch_count(x.batch) > 0 ? rsn_store_write(store, x.batch, true) : 0;
    }
    if (rc == 0) {
        *erased = x.erased;
        rsn_retention_log(x.erased);
    }
    rsn_batch_destroy(&x.batch);
    return rc;
}

void rsn_retention_log(size_t erased)
{
    if (erased > 0) {
        rsn_info("retention: erased the bodies of %zu post(s) past the retention they were "
                 "written under",
                 erased);
    }
}

uint32_t rsn_retention_days(rsn_store_t *store, const uint8_t group[RSN_ID_BYTES])
{
    uint32_t days = 0;
    return days_get(store, group, &days) == 0 ? days : 0;
}

uint32_t rsn_retention_of_arriving(rsn_store_t *store, const Raison__Post *p)
{
    if (p->group.len != RSN_ID_BYTES) {
        return 0;
    }
    if (p->charter.len == RSN_ID_BYTES) {
        rsn_arena_t *arena = rsn_arena_new();
        rsn_loaded_t *l = NULL;
        const Raison__Charter *c = NULL;
        if (arena && rsn_entry_load(store, arena, p->charter.data, &l) == 0 &&
            l->entry->kind == RAISON__KIND__KIND_CHARTER && l->body) {
            c = l->body;
            const uint8_t *of = c->group.len == RSN_ID_BYTES ? c->group.data : l->id;
            c = memcmp(of, p->group.data, RSN_ID_BYTES) == 0 ? c : NULL;
        }
        uint32_t days = charter_days(c);
        rsn_arena_destroy(&arena);
        if (c) {
            return days;
        }
    }
    return rsn_retention_days(store, p->group.data);
}
