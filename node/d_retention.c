/* d_retention.c — the retention sweep: walks the groups, then the posts of
 * those with a retention, oldest first, up to the cut-off. */
#include "d_retention.h"

#include "../common/arena.h"
#include "../common/log.h"
#include "../store/keys.h"
#include "d_views.h"

#define DAY_MS 86400000ULL

/* Erases the held bodies of GROUP's posts older than CUTOFF into BATCH. */
static void sweep_group(rsn_store_t *store, rsn_batch_t *batch, const uint8_t group[32],
                        uint64_t cutoff, size_t budget, size_t *erased)
{
    uint8_t prefix[33];
    rsn_key_1(prefix, RSN_TAG_POST, group);
    rsn_iter_t *it = rsn_iter_new(store, prefix, sizeof prefix);
    if (!it) {
        return;
    }
    for (rsn_iter_first(it); rsn_iter_valid(it) && *erased < budget; rsn_iter_next(it)) {
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
            if (days > 0 && now_ms > days * DAY_MS) {
                sweep_group(store, batch, key + 1, now_ms - days * DAY_MS, budget, erased);
            }
        }
        rsn_arena_destroy(&arena);
    }
    if (*erased > 0) {
        rc = rsn_store_write(store, batch, true);
        if (rc == 0) {
            rsn_info("retention: erased the bodies of %zu post(s) past their group's retention",
                     *erased);
        }
    }
out:
    rsn_iter_destroy(&groups);
    rsn_batch_destroy(&batch);
    return rc;
}
