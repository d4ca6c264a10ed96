/* retention.c — the retention sweep: walks the groups, then the posts of
 * those with a retention, oldest first, up to the cut-off. Each body it
 * drops is marked erased by its group ('O', daemon/bodies.h) and counted. */
#include "daemon/retention.h"

#include <string.h>

#include "common/arena.h"
#include "common/log.h"
#include "store/keys.h"
#include "daemon/bodies.h"
#include "daemon/group.h"
#include "crypto/crypto.h"
#include "daemon/views.h"

#define DAY_MS 86400000ULL
#define MARKER_LAST 40                 /* the key suffix of the last post swept: ts(8) id(32) */
#define MARKER_BYTES (4 + MARKER_LAST) /* days(4), then the last post */

/* Reads GROUP's retention marker: days, and the key suffix (ts, id) of the
 * last post swept. 0, or RSN_ERR_NOT_FOUND when the group has none. */
static int marker_get(rsn_store_t *store, const uint8_t group[RSN_ID_BYTES], uint32_t *days,
                      uint8_t last[MARKER_LAST])
{
    uint8_t k[RSN_KEY_MAX];
    size_t kl = rsn_key_retention(k, group);
    void *v = NULL;
    size_t vl = 0;
    int rc = rsn_store_get(store, k, kl, &v, &vl);
    if (rc < 0) {
        return rc;
    }
    if (vl != MARKER_BYTES) {
        rsn_store_free(v);
        return RSN_ERR_NOT_FOUND;
    }
    const uint8_t *b = v;
    *days = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    memcpy(last, b + 4, MARKER_LAST);
    rsn_store_free(v);
    return 0;
}

static void marker_put(rsn_batch_t *batch, const uint8_t group[RSN_ID_BYTES], uint32_t days,
                       const uint8_t last[MARKER_LAST])
{
    uint8_t k[RSN_KEY_MAX], v[MARKER_BYTES];
    size_t kl = rsn_key_retention(k, group);
    v[0] = (uint8_t)(days >> 24);
    v[1] = (uint8_t)(days >> 16);
    v[2] = (uint8_t)(days >> 8);
    v[3] = (uint8_t)days;
    memcpy(v + 4, last, MARKER_LAST);
    rsn_batch_put(batch, k, kl, v, sizeof v);
}

/* Erases the held bodies of GROUP's posts older than CUTOFF, from the
 * marker LAST on, into BATCH; moves LAST to the last post passed. */
static void sweep_group(rsn_store_t *store, rsn_batch_t *batch, const uint8_t group[RSN_ID_BYTES],
                        uint64_t cutoff, size_t budget, size_t *erased, uint8_t last[MARKER_LAST])
{
    uint8_t prefix[RSN_KEY_MAX];
    size_t pl = rsn_key_prefix(prefix, RSN_TAG_POST, group);
    rsn_iter_t *it = rsn_iter_new(store, prefix, pl);
    if (!it) {
        return;
    }
    uint8_t from[RSN_KEY_MAX];
    size_t fl = rsn_key_group_post(from, group, rsn_be64_get(last), last + 8);
    rsn_iter_seek(it, from, fl);
    for (; rsn_iter_valid(it) && *erased < budget; rsn_iter_next(it)) {
        size_t kl = 0;
        const uint8_t *key = rsn_iter_key(it, &kl);
        if (kl != RSN_KEYLEN_ID_N_ID || rsn_be64_get(key + RSN_KEYLEN_ID) >= cutoff) {
            break;
        }
        uint8_t bk[RSN_KEY_MAX];
        size_t bkl = rsn_key_body(bk, key + RSN_KEYOFF_ID_N_ID);
        if (rsn_store_has(store, bk, bkl) == 0) {
            rsn_batch_delete(batch, bk, bkl);
            rsn_bodies_mark_erased(batch, key + RSN_KEYOFF_ID_N_ID, group);
            (*erased)++;
        }
        memcpy(last, key + RSN_KEYLEN_ID, MARKER_LAST);
    }
    rsn_iter_destroy(&it);
}

int rsn_retention_sweep(rsn_store_t *store, uint64_t now_ms, size_t budget, size_t *erased)
{
    *erased = 0;
    uint8_t prefix[RSN_KEY_MAX];
    size_t pl = rsn_key_prefix(prefix, RSN_TAG_GROUP, NULL);
    rsn_index_t groups;
    rsn_batch_t *batch = rsn_batch_new();
    int rc = rsn_index_open(&groups, store, prefix, pl, RSN_KEYLEN_ID);
    if (rc < 0 || !batch) {
        if (rc == 0) {
            rsn_index_close(&groups);
        }
        rsn_batch_destroy(&batch);
        return RSN_ERR_NOMEM;
    }
    for (rsn_index_first(&groups); rsn_index_valid(&groups) && *erased < budget;
         rsn_index_next(&groups)) {
        const uint8_t *group = rsn_index_id(&groups);
        rsn_arena_t *arena = rsn_arena_new();
        rsn_group_t *g = NULL;
        if (arena && rsn_group_load(store, arena, group, &g) == 0) {
            const Raison__Charter *c = rsn_group_charter(g, NULL);
            uint32_t days = c && c->data_policy ? c->data_policy->retention_days : 0;
            uint32_t old_days = 0;
            uint8_t last[MARKER_LAST] = {0};
            bool had = marker_get(store, group, &old_days, last) == 0;
            if (had && days != old_days) {
                memset(last, 0, sizeof last); /* a new policy: sweep from the start */
            }
            if (days > 0 && now_ms > days * DAY_MS) {
                sweep_group(store, batch, group, now_ms - days * DAY_MS, budget, erased, last);
            }
            if (days > 0 || had) {
                marker_put(batch, group, days, last);
            }
        }
        rsn_arena_destroy(&arena);
    }
    rsn_bodies_count_erased(store, batch, *erased);
    rc = rsn_store_write(store, batch, true);
    if (rc == 0 && *erased > 0) {
        rsn_info("retention: erased the bodies of %zu post(s) past their group's retention",
                 *erased);
    }
    rsn_index_close(&groups);
    rsn_batch_destroy(&batch);
    return rc;
}

uint32_t rsn_retention_days(rsn_store_t *store, const uint8_t group[RSN_ID_BYTES])
{
    uint32_t days = 0;
    uint8_t last[MARKER_LAST];
    if (marker_get(store, group, &days, last) < 0) {
        return 0;
    }
    return days;
}
