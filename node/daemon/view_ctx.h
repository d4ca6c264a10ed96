/* view_ctx.h — the memory of one read call (or one audit pass): the store,
 * the arena, and the group states and author profiles already loaded, so a
 * call that touches many entries of the same groups and authors loads each
 * once. Kept in the arena it was made from; nothing needs freeing but the
 * arena, and it must not outlive it. */
#ifndef RSN_D_VIEW_CTX_H
#define RSN_D_VIEW_CTX_H

#include <stdint.h>

#include "common/arena.h"
#include "common/err.h"
#include "crypto/crypto.h"
#include "daemon/derive.h"
#include "daemon/entry.h"
#include "daemon/group.h"
#include "store/store.h"

typedef struct rsn_view_ctx rsn_view_ctx_t;

/* A new context over STORE, allocated from ARENA (which it lives in), or
 * NULL when out of memory: allocation is its only way to fail. */
rsn_view_ctx_t *rsn_view_ctx_new(rsn_store_t *store, rsn_arena_t *arena);

/* The store and arena the context was made with. */
rsn_store_t *rsn_view_ctx_store(const rsn_view_ctx_t *x);

/* Inside a derive step (daemon/derive.h): groups are read through DX, so
 * what an earlier deriver put in this step (a charter's group state) is
 * seen. */
void rsn_view_ctx_set_dx(rsn_view_ctx_t *x, rsn_dx_t *dx);
rsn_arena_t *rsn_view_ctx_arena(const rsn_view_ctx_t *x);

/* The state of group ID, loaded once per context (the last 16 kept): as
 * rsn_group_load, the same code each time. */
RSN_NODISCARD int rsn_view_ctx_group(rsn_view_ctx_t *x, const uint8_t id[RSN_ID_BYTES],
                                     rsn_group_t **g);

/* What views show of an author: the name and site of its latest shown
 * profile, "" when it has none. */
typedef struct {
    uint8_t key[RSN_KEY_BYTES];
    const char *name;
    const char *site;
} rsn_profile_t;

/* The profile of AUTHOR, loaded once per context; never NULL (out of memory,
 * it is the empty one). */
const rsn_profile_t *rsn_view_ctx_profile(rsn_view_ctx_t *x, const uint8_t author[RSN_KEY_BYTES]);

/* The latest profile entry of AUTHOR that views show ('U' author, a shown
 * profile of that author with its body held): 0 and *OUT; RSN_ERR_NOT_FOUND;
 * RSN_ERR_IO. */
RSN_NODISCARD int rsn_profile_load(rsn_store_t *store, rsn_arena_t *arena,
                                   const uint8_t author[RSN_KEY_BYTES], rsn_loaded_t **out);

#endif
