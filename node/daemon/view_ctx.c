/* view_ctx.c — the memory of one read call: the group states it loaded (a
 * small ring of the last CTX_GROUPS, enough for an audit walking the log in
 * order) and the profiles of the authors it showed (all of them: a call
 * shows a page, an audit a bounded arena's worth). */
#include "daemon/view_ctx.h"

#include <string.h>

#include "daemon/read_helpers.h"
#include "store/keys.h"

#define CTX_GROUPS 16 /* group states kept by one context */

typedef struct {
    rsn_group_t *group;
    uint8_t id[RSN_ID_BYTES];
    int rc;
} cached_group_t;

struct rsn_view_ctx {
    rsn_store_t *store;
    rsn_arena_t *arena;
    rsn_profile_t *profiles;
    size_t n_profiles, cap_profiles;
    rsn_dx_t *dx;                      /* inside a derive step: groups read through it */
    cached_group_t groups[CTX_GROUPS]; /* the groups loaded by rsn_view_ctx_group */
    size_t n_groups;
    size_t next_slot;
};

rsn_view_ctx_t *rsn_view_ctx_new(rsn_store_t *store, rsn_arena_t *arena)
{
    rsn_view_ctx_t *x = rsn_arena_alloc(arena, sizeof *x);
    if (x) {
        x->store = store;
        x->arena = arena;
    }
    return x;
}

void rsn_view_ctx_set_dx(rsn_view_ctx_t *x, rsn_dx_t *dx)
{
    x->dx = dx;
}

rsn_store_t *rsn_view_ctx_store(const rsn_view_ctx_t *x)
{
    return x->store;
}

rsn_arena_t *rsn_view_ctx_arena(const rsn_view_ctx_t *x)
{
    return x->arena;
}

int rsn_view_ctx_group(rsn_view_ctx_t *x, const uint8_t id[RSN_ID_BYTES], rsn_group_t **g)
{
    for (size_t i = 0; i < x->n_groups; i++) {
        if (memcmp(x->groups[i].id, id, RSN_ID_BYTES) == 0) {
            *g = x->groups[i].group;
            return x->groups[i].rc;
        }
    }
    size_t slot = x->n_groups < CTX_GROUPS ? x->n_groups++ : x->next_slot++ % CTX_GROUPS;
    cached_group_t *c = &x->groups[slot];
    c->group = NULL;
    c->rc = x->dx ? rsn_group_load_dx(x->dx, x->arena, id, &c->group)
                  : rsn_group_load(x->store, x->arena, id, &c->group);
    memcpy(c->id, id, RSN_ID_BYTES);
    *g = c->group;
    return c->rc;
}

int rsn_profile_load(rsn_store_t *store, rsn_arena_t *arena, const uint8_t author[RSN_KEY_BYTES],
                     rsn_loaded_t **out)
{
    uint8_t k[RSN_KEY_MAX];
    uint8_t value[8 + RSN_ID_BYTES]; /* seq(8) id(32) */
    *out = NULL;
    int rc = rsn_views_get_exact(store, k, rsn_key_profile(k, author), value, sizeof value);
    if (rc) {
        return rc;
    }
    rsn_loaded_t *l = NULL;
    rc = rsn_entry_load(store, arena, value + 8, &l);
    if (rc) {
        return rc;
    }
    if (l->entry->kind != RAISON__KIND__KIND_PROFILE || !l->body ||
        !rsn_views_same_id(&l->entry->author, author) || !rsn_entry_shown(store, arena, l)) {
        return RSN_ERR_NOT_FOUND;
    }
    *out = l;
    return 0;
}

const rsn_profile_t *rsn_view_ctx_profile(rsn_view_ctx_t *x, const uint8_t author[RSN_KEY_BYTES])
{
    static const rsn_profile_t none = {{0}, "", ""};
    for (size_t i = 0; i < x->n_profiles; i++) {
        if (memcmp(x->profiles[i].key, author, RSN_KEY_BYTES) == 0) {
            return &x->profiles[i];
        }
    }
    if (rsn_views_grow(x->arena, (void **)&x->profiles, x->n_profiles, &x->cap_profiles,
                       sizeof *x->profiles)) {
        return &none;
    }
    rsn_profile_t *p = &x->profiles[x->n_profiles++];
    memcpy(p->key, author, RSN_KEY_BYTES);
    p->name = "";
    p->site = "";
    rsn_loaded_t *l = NULL;
    if (rsn_profile_load(x->store, x->arena, author, &l) == 0) {
        const Raison__Profile *body = l->body;
        p->name = body->name ? body->name : "";
        p->site = body->site ? body->site : "";
    }
    return p;
}
