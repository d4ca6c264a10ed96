/* views_internal.h — three small helpers the read side of the daemon shares
 * (entry.c, group.c, view_ctx.c, judge.c, timeline.c, report.c, views.c):
 * an arena array that grows, bytes copied into a reply, and "this bytes field
 * is that id". Private to those files; nothing else includes it. */
#ifndef RSN_D_VIEWS_INTERNAL_H
#define RSN_D_VIEWS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/arena.h"
#include "common/err.h"
#include "crypto/crypto.h"
#include "proto/codec.h"

/* Makes room for one more item of SIZE bytes in *ITEMS (N used of *CAP, arena
 * memory; the old array is left to the arena). 0 or RSN_ERR_NOMEM. */
static inline int rsn_views_grow(rsn_arena_t *arena, void **items, size_t n, size_t *cap,
                                 size_t size)
{
    if (n < *cap) {
        return 0;
    }
    size_t ncap = *cap ? *cap * 2 : 8;
    void *p = rsn_arena_alloc(arena, ncap * size);
    if (!p) {
        return RSN_ERR_NOMEM;
    }
    if (n) {
        memcpy(p, *items, n * size);
    }
    *items = p;
    *cap = ncap;
    return 0;
}

/* LEN bytes of DATA copied into ARENA; data NULL (len 0) when out of memory. */
static inline ProtobufCBinaryData rsn_views_bytes(rsn_arena_t *arena, const void *data, size_t len)
{
    ProtobufCBinaryData b = {0, NULL};
    if (len) {
        b.data = rsn_arena_memdup(arena, data, len);
        b.len = b.data ? len : 0;
    }
    return b;
}

/* True when the bytes field B holds exactly the id (or key) ID. */
static inline bool rsn_views_same_id(const ProtobufCBinaryData *b, const uint8_t id[RSN_ID_BYTES])
{
    return b->len == RSN_ID_BYTES && memcmp(b->data, id, RSN_ID_BYTES) == 0;
}

#endif
