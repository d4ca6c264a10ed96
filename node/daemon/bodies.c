/* bodies.c — the states of bodies, and the reasons to drop one
 * (daemon/bodies.h): read from the 'B', 'D' and 'O' keys of store/keys.h, and
 * from the entries a reason names (an erase-retraction, a group's charter). */
#include "daemon/bodies.h"

#include <string.h>
#include <time.h>

#include "daemon/entry.h"
#include "daemon/group.h"
#include "daemon/read_helpers.h"
#include "store/keys.h"
#include "store/tlog.h"

#define DAY_MS 86400000ULL

uint64_t rsn_bodies_now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
}

bool rsn_bodies_erase_requested(rsn_store_t *store, rsn_arena_t *arena,
                                const uint8_t target[RSN_ID_BYTES],
                                const uint8_t author[RSN_KEY_BYTES], uint8_t *by)
{
    uint8_t prefix[RSN_KEY_MAX];
    size_t pl = rsn_key_prefix(prefix, RSN_TAG_RETRACTION, target);
    rsn_index_t ix;
    if (rsn_index_open(&ix, store, prefix, pl, RSN_KEYLEN_ID_N) < 0) {
        return true;
    }
    bool erase = false;
    for (rsn_index_first(&ix); rsn_index_valid(&ix) && !erase; rsn_index_next(&ix)) {
        rsn_loaded_t *r = NULL;
        if (rsn_entry_load_at(store, arena, rsn_index_n(&ix), &r) != 0 || !r->body ||
            r->entry->kind != RAISON__KIND__KIND_RETRACTION) {
            continue;
        }
        const Raison__Retraction *ret = r->body;
        erase = ret->erase && memcmp(r->entry->author.data, author, RSN_KEY_BYTES) == 0;
        if (erase && by) {
            memcpy(by, r->id, RSN_ID_BYTES);
        }
    }
    rsn_index_close(&ix);
    return erase;
}

int rsn_bodies_state(rsn_store_t *store, rsn_arena_t *arena, const uint8_t id[RSN_ID_BYTES],
                     rsn_body_state_t *state, uint8_t by[RSN_ID_BYTES], bool *has_by)
{
    uint8_t k[RSN_KEY_MAX];
    *has_by = false;
    *state = RSN_BODY_HELD;
    uint64_t index = 0;
    int rc = rsn_tlog_leaf_index(store, id, &index);
    if (rc < 0 && rc != RSN_ERR_NOT_FOUND) {
        return rc;
    }
    if (rc == 0 && rsn_store_has(store, k, rsn_key_body(k, index)) == 0) {
        return 0;
    }
    if (rsn_store_has(store, k, rsn_key_body_missing(k, id)) == 0) {
        *state = RSN_BODY_MISSING;
        return 0;
    }
    *state = RSN_BODY_ERASED;
    rc = rsn_store_get_fixed(store, k, rsn_key_body_erased(k, id), by, RSN_ID_BYTES);
    if (rc == 0) {
        *has_by = true;
        return 0;
    }
    if (rc != RSN_ERR_NOT_FOUND) {
        return rc;
    }
    /* erased before reasons were kept: an erase-retraction may still say why */
    rsn_loaded_t *l = NULL;
    rc = rsn_entry_load(store, arena, id, &l);
    if (rc == 0) {
        static const uint8_t none[RSN_ID_BYTES];
        memset(by, 0, RSN_ID_BYTES);
        *has_by = rsn_bodies_erase_requested(store, arena, id, l->entry->author.data, by) &&
                  memcmp(by, none, RSN_ID_BYTES) != 0;
    }
    return rc;
}

/* True when retraction R (held, decoded) by E's author erases entry ID. */
static bool erases(const rsn_loaded_t *r, const Raison__Entry *e, const uint8_t id[RSN_ID_BYTES])
{
    const Raison__Retraction *ret = r->body;
    return r->entry->kind == RAISON__KIND__KIND_RETRACTION && ret && ret->erase &&
           rsn_views_same_id(&ret->target, id) &&
           memcmp(r->entry->author.data, e->author.data, RSN_KEY_BYTES) == 0;
}

/* True when post E is past the retention of every charter version on
 * GROUP's chain. A post keeps the retention of the version it was written
 * under (DESIGN.md "Retention"), which a receiver of a bare post cannot read
 * (it is in the body): so a peer's "erased by retention" is believed only
 * when no version could still keep it, and a version that keeps posts
 * (retention 0) means it never is. Anything else is held as body missing and
 * fetched. */
static bool past_group_retention(rsn_store_t *store, rsn_arena_t *arena, const Raison__Entry *e,
                                 const uint8_t group[RSN_ID_BYTES], uint64_t now_ms)
{
    rsn_group_t *g = NULL;
    if (e->kind != RAISON__KIND__KIND_POST || rsn_group_try_load(store, arena, group, &g) != 0 ||
        !g || rsn_group_versions(g) == 0) {
        return false;
    }
    uint32_t longest = 0;
    for (size_t i = 0; i < rsn_group_versions(g); i++) {
        const rsn_loaded_t *v = rsn_group_version(g, i);
        const Raison__Charter *c = v ? v->body : NULL;
        uint32_t days = c && c->data_policy ? c->data_policy->retention_days : 0;
        if (days == 0) {
            return false;
        }
        longest = days > longest ? days : longest;
    }
    return e->timestamp + (uint64_t)longest * DAY_MS < now_ms;
}

bool rsn_bodies_reason_valid(rsn_store_t *store, rsn_arena_t *arena, const Raison__Entry *e,
                             const uint8_t id[RSN_ID_BYTES], const uint8_t by[RSN_ID_BYTES],
                             uint64_t now_ms)
{
    if (e->kind == RAISON__KIND__KIND_RETRACTION) {
        return false; /* retraction bodies are never erased */
    }
    rsn_loaded_t *r = NULL;
    if (rsn_entry_load(store, arena, by, &r) != 0) {
        return false;
    }
    if (r->entry->kind == RAISON__KIND__KIND_RETRACTION) {
        return erases(r, e, id);
    }
    uint8_t group[RSN_ID_BYTES]; /* a charter version names its group; v1 is it */
    return r->entry->kind == RAISON__KIND__KIND_CHARTER && rsn_entry_group(r, group) == 0 &&
           past_group_retention(store, arena, e, group, now_ms);
}

void rsn_bodies_mark_erased(rsn_batch_t *batch, const uint8_t id[RSN_ID_BYTES],
                            const uint8_t by[RSN_ID_BYTES])
{
    uint8_t k[RSN_KEY_MAX];
    size_t kl = rsn_key_body_erased(k, id);
    rsn_batch_put(batch, k, kl, by, RSN_ID_BYTES);
}

uint64_t rsn_bodies_erased(rsn_store_t *store)
{
    uint8_t k[RSN_KEY_MAX];
    uint64_t n = 0;
    if (rsn_store_get_u64(store, k, rsn_key_counter(k, "erased"), &n) < 0) {
        n = 0;
    }
    return n;
}

void rsn_bodies_count_erased(rsn_store_t *store, rsn_batch_t *batch, uint64_t n)
{
    if (n == 0) {
        return;
    }
    uint8_t k[RSN_KEY_MAX], v[8];
    size_t kl = rsn_key_counter(k, "erased");
    rsn_be64_put(v, rsn_bodies_erased(store) + n);
    rsn_batch_put(batch, k, kl, v, sizeof v);
}
