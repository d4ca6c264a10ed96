/* read_helpers.h — small helpers the read side of the daemon shares
 * (entry.c, group.c, view_ctx.c, judge.c, timeline.c, report.c, views.c):
 * an arena array that grows, bytes copied into a reply, "this bytes field is
 * that id", a page size, and a lenient fixed-size read. Private to those
 * files; nothing else includes it. */
#ifndef RSN_D_READ_HELPERS_H
#define RSN_D_READ_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/arena.h"
#include "common/err.h"
#include "crypto/crypto.h"
#include "proto/codec.h"
#include "store/store.h"

#define RSN_VIEWS_PAGE_MAX 500 /* items in one page of any read call */

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

/* The page size of a call that asked for ASKED items (0: DEFAULT), at most
 * RSN_VIEWS_PAGE_MAX. */
static inline size_t rsn_views_page(uint32_t asked, size_t dflt)
{
    size_t limit = asked ? asked : dflt;
    return limit > RSN_VIEWS_PAGE_MAX ? RSN_VIEWS_PAGE_MAX : limit;
}

/* Reads KEY's value into OUT when it is exactly SIZE bytes. 0;
 * RSN_ERR_NOT_FOUND when it is absent or of another size (views pass over a
 * value they cannot read, where rsn_store_get_fixed would fail the call);
 * RSN_ERR_IO. */
static inline int rsn_views_get_exact(rsn_store_t *store, const uint8_t *key, size_t key_len,
                                      void *out, size_t size)
{
    void *v = NULL;
    size_t vlen = 0;
    int rc = rsn_store_get(store, key, key_len, &v, &vlen);
    if (rc) {
        return rc;
    }
    if (vlen == size) {
        memcpy(out, v, size);
    }
    rsn_store_free(v);
    return vlen == size ? 0 : RSN_ERR_NOT_FOUND;
}

#endif
