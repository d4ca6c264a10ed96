/* d_retention.c — the retention sweep: walks the groups, then the posts of
 * those with a retention, oldest first, up to the cut-off. */
#include "daemon/retention.h"

#include <string.h>

#include "common/arena.h"
#include "common/log.h"
#include "store/keys.h"
#include "daemon/group.h"

#define DAY_MS 86400000ULL

/* Reads GROUP's retention marker: days, and the key suffix (ts, id) of the
 * last post swept. 0, or RSN_ERR_NOT_FOUND when the group has none. */
static int marker_get(rsn_store_t *store, const uint8_t group[32], uint32_t *days,
                      uint8_t last[40])
{
    uint8_t k[RSN_KEY_MAX];
    size_t kl = rsn_key_1(k, RSN_TAG_RETENTION, group);
    void *v = NULL;
    size_t vl = 0;
    int rc = rsn_store_get(store, k, kl, &v, &vl);
    if (rc < 0) {
        return rc;
    }
    if (vl != 44) {
        rsn_store_free(v);
        return RSN_ERR_NOT_FOUND;
    }
    const uint8_t *b = v;
    *days = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    memcpy(last, b + 4, 40);
    rsn_store_free(v);
    return 0;
}

static void marker_put(rsn_batch_t *batch, const uint8_t group[32], uint32_t days,
                       const uint8_t last[40])
{
    uint8_t k[RSN_KEY_MAX], v[44];
    size_t kl = rsn_key_1(k, RSN_TAG_RETENTION, group);
    v[0] = (uint8_t)(days >> 24);
    v[1] = (uint8_t)(days >> 16);
    v[2] = (uint8_t)(days >> 8);
    v[3] = (uint8_t)days;
    memcpy(v + 4, last, 40);
    rsn_batch_put(batch, k, kl, v, sizeof v);
}

/* Erases the held bodies of GROUP's posts older than CUTOFF, from the
 * marker LAST on, into BATCH; moves LAST to the last post passed. */
static void sweep_group(rsn_store_t *store, rsn_batch_t *batch, const uint8_t group[32],
                        uint64_t cutoff, size_t budget, size_t *erased, uint8_t last[40])
{
    uint8_t prefix[33];
    rsn_key_1(prefix, RSN_TAG_POST, group);
    rsn_iter_t *it = rsn_iter_new(store, prefix, sizeof prefix);
    if (!it) {
        return;
    }
    uint8_t from[73];
    memcpy(from, prefix, 33);
    memcpy(from + 33, last, 40);
    rsn_iter_seek(it, from, sizeof from);
    for (; rsn_iter_valid(it) && *erased < budget; rsn_iter_next(it)) {
        size_t kl = 0;
        const uint8_t *key = rsn_iter_key(it, &kl);
        if (kl != 73 || rsn_be64_get(key + 33) >= cutoff) {
            break;
        }
        uint8_t bk[RSN_KEY_MAX];
        size_t bkl = rsn_key_1(bk, RSN_TAG_BODY, key + 41);
        if (rsn_store_has(store, bk, bkl) == 0) {
            rsn_batch_delete(batch, bk, bkl);
            (*erased)++;
        }
        memcpy(last, key + 33, 40);
    }
    rsn_iter_destroy(&it);
}

int rsn_retention_sweep(rsn_store_t *store, uint64_t now_ms, size_t budget, size_t *erased)
{
    *erased = 0;
    uint8_t tag = RSN_TAG_GROUP;
    rsn_iter_t *groups = rsn_iter_new(store, &tag, 1);
    rsn_batch_t *batch = rsn_batch_new();
    int rc = 0;
    if (!groups || !batch) {
        rc = RSN_ERR_NOMEM;
        goto out;
    }
    for (rsn_iter_first(groups); rsn_iter_valid(groups) && *erased < budget;
         rsn_iter_next(groups)) {
        size_t kl = 0;
        const uint8_t *key = rsn_iter_key(groups, &kl);
        if (kl != 33) {
            continue;
        }
        rsn_arena_t *arena = rsn_arena_new();
        rsn_group_t *g = NULL;
        if (arena && rsn_group_load(store, arena, key + 1, &g) == 0) {
            const Raison__Charter *c = rsn_group_charter(g, NULL);
            uint32_t days = c && c->data_policy ? c->data_policy->retention_days : 0;
            uint32_t old_days = 0;
            uint8_t last[40] = {0};
            bool had = marker_get(store, key + 1, &old_days, last) == 0;
            if (had && days != old_days) {
                memset(last, 0, sizeof last); /* a new policy: sweep from the start */
            }
            if (days > 0 && now_ms > days * DAY_MS) {
                sweep_group(store, batch, key + 1, now_ms - days * DAY_MS, budget, erased, last);
            }
            if (days > 0 || had) {
                marker_put(batch, key + 1, days, last);
            }
        }
        rsn_arena_destroy(&arena);
    }
    rc = rsn_store_write(store, batch, true);
    if (rc == 0 && *erased > 0) {
        rsn_info("retention: erased the bodies of %zu post(s) past their group's retention",
                 *erased);
    }
out:
    rsn_iter_destroy(&groups);
    rsn_batch_destroy(&batch);
    return rc;
}

uint32_t rsn_retention_days(rsn_store_t *store, const uint8_t group[32])
{
    uint32_t days = 0;
    uint8_t last[40];
    if (marker_get(store, group, &days, last) < 0) {
        return 0;
    }
    return days;
}
