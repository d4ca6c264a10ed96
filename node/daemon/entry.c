/* entry.c — stored entries as the views read them: the 'E' and 'B' values of
 * store/keys.h turned into an rsn_loaded_t, the group an entry names, and the
 * two reasons an entry counts nowhere: its feed forked at or before it ('Z'),
 * or its author retracted it ('R' target id).
 *
 * Loading is exact: the SignedEntry bytes are the ones received, decoded by
 * proto/codec.h only; a body that does not decode leaves body NULL, as an
 * erased one does, so callers judge an entry on its header alone. */
#include "daemon/entry.h"

#include <string.h>

#include "common/log.h"
#include "daemon/read_helpers.h"
#include "store/keys.h"
#include "store/tlog.h"

int rsn_signed_load_at(rsn_store_t *store, rsn_arena_t *arena, uint64_t index,
                       Raison__SignedEntry **out)
{
    uint8_t k[RSN_KEY_MAX];
    void *v = NULL;
    size_t vlen = 0;
    *out = NULL;
    int rc = rsn_store_get(store, k, rsn_key_entry(k, index), &v, &vlen);
    if (rc) {
        return rc;
    }
    Raison__SignedEntry *se = NULL;
    rc = rsn_signed_entry_decode(arena, v, vlen, &se);
    rsn_store_free(v);
    if (rc) {
        rsn_error("store: a stored entry does not decode as a SignedEntry: %s", rsn_strerror(rc));
        return RSN_ERR_IO;
    }
    v = NULL;
    rc = rsn_store_get(store, k, rsn_key_body(k, index), &v, &vlen);
    se->body.data = NULL;
    se->body.len = 0;
    if (rc == 0) {
        /* an empty body is held too: data is never NULL for a held body */
        se->body.data = rsn_arena_memdup(arena, v, vlen);
        se->body.len = vlen;
        rsn_store_free(v);
        if (!se->body.data) {
            return RSN_ERR_NOMEM;
        }
    } else if (rc != RSN_ERR_NOT_FOUND) {
        return rc;
    }
    *out = se;
    return 0;
}

int rsn_signed_load(rsn_store_t *store, rsn_arena_t *arena, const uint8_t id[RSN_ID_BYTES],
                    Raison__SignedEntry **out)
{
    uint64_t index = 0;
    *out = NULL;
    int rc = rsn_tlog_leaf_index(store, id, &index);
    return rc ? rc : rsn_signed_load_at(store, arena, index, out);
}

/* Decodes the header and body of the stored entry SE (ID, at INDEX) into *OUT. */
static int loaded_make(rsn_arena_t *arena, const uint8_t id[RSN_ID_BYTES], uint64_t index,
                       Raison__SignedEntry *se, rsn_loaded_t **out)
{
    rsn_loaded_t *l = rsn_arena_alloc(arena, sizeof *l);
    if (!l) {
        return RSN_ERR_NOMEM;
    }
    memset(l, 0, sizeof *l);
    memcpy(l->id, id, RSN_ID_BYTES);
    l->index = index;
    l->indexed = true;
    l->signed_entry = se;
    int rc = rsn_entry_decode(arena, se->entry.data, se->entry.len, &l->entry, NULL, 0);
    if (rc) {
        rsn_error("views: stored entry header does not decode: %s", rsn_strerror(rc));
        return RSN_ERR_IO;
    }
    const ProtobufCBinaryData *body = &se->body;
    l->erased = body->data == NULL;
    if (body->data &&
        rsn_body_decode(arena, l->entry->kind, body->data, body->len, &l->body) != 0) {
        l->body = NULL;
    }
    *out = l;
    return 0;
}

int rsn_entry_load(rsn_store_t *store, rsn_arena_t *arena, const uint8_t id[RSN_ID_BYTES],
                   rsn_loaded_t **out)
{
    *out = NULL;
    uint64_t index = 0;
    Raison__SignedEntry *se = NULL;
    int rc = rsn_tlog_leaf_index(store, id, &index);
    if (rc == 0) {
        rc = rsn_signed_load_at(store, arena, index, &se);
    }
    return rc ? rc : loaded_make(arena, id, index, se, out);
}

int rsn_entry_load_at(rsn_store_t *store, rsn_arena_t *arena, uint64_t index, rsn_loaded_t **out)
{
    *out = NULL;
    uint8_t id[RSN_ID_BYTES];
    Raison__SignedEntry *se = NULL;
    int rc = rsn_tlog_leaf(store, index, id);
    if (rc == 0) {
        rc = rsn_signed_load_at(store, arena, index, &se);
    }
    return rc ? rc : loaded_make(arena, id, index, se, out);
}

int rsn_entry_try_load_at(rsn_store_t *store, rsn_arena_t *arena, uint64_t index,
                          rsn_loaded_t **out)
{
    int rc = rsn_entry_load_at(store, arena, index, out);
    return rc == RSN_ERR_NOT_FOUND ? 0 : rc;
}

int rsn_entry_index(rsn_store_t *store, const rsn_loaded_t *l, uint64_t *index)
{
    if (l->indexed) {
        *index = l->index;
        return 0;
    }
    return rsn_tlog_leaf_index(store, l->id, index);
}

int rsn_entry_try_load(rsn_store_t *store, rsn_arena_t *arena, const uint8_t id[RSN_ID_BYTES],
                       rsn_loaded_t **out)
{
    int rc = rsn_entry_load(store, arena, id, out);
    return rc == RSN_ERR_NOT_FOUND ? 0 : rc;
}

int rsn_entry_group(const rsn_loaded_t *e, uint8_t group[RSN_ID_BYTES])
{
    if (!e->body) {
        return RSN_ERR_NOT_FOUND;
    }
    const ProtobufCBinaryData *g = NULL;
    switch (e->entry->kind) {
    case RAISON__KIND__KIND_CHARTER: {
        const Raison__Charter *c = e->body;
        if (c->group.len == 0) {
            memcpy(group, e->id, RSN_ID_BYTES);
            return 0;
        }
        g = &c->group;
        break;
    }
    case RAISON__KIND__KIND_MEMBERSHIP: g = &((const Raison__Membership *)e->body)->group; break;
    case RAISON__KIND__KIND_POST: g = &((const Raison__Post *)e->body)->group; break;
    default: return RSN_ERR_NOT_FOUND;
    }
    if (g->len != RSN_ID_BYTES) {
        return RSN_ERR_NOT_FOUND;
    }
    memcpy(group, g->data, RSN_ID_BYTES);
    return 0;
}

/* True with *SEQ when the feed of AUTHOR has a frozen marker. A marker that
 * cannot be read counts as none. */
static bool frozen_marker(rsn_store_t *store, const uint8_t author[RSN_KEY_BYTES], uint64_t *seq)
{
    uint8_t k[RSN_KEY_MAX];
    return rsn_store_get_u64(store, k, rsn_key_frozen(k, author), seq) == 0;
}

uint64_t rsn_feed_frozen_from(rsn_store_t *store, const uint8_t author[RSN_KEY_BYTES])
{
    uint64_t seq = 0;
    return frozen_marker(store, author, &seq) ? seq : 0;
}

bool rsn_feed_hidden(rsn_store_t *store, const uint8_t author[RSN_KEY_BYTES], uint64_t seq)
{
    uint64_t from = 0;
    return frozen_marker(store, author, &from) && seq >= from;
}

bool rsn_entry_retracted(rsn_store_t *store, rsn_arena_t *arena, const uint8_t id[RSN_ID_BYTES],
                         const uint8_t author[RSN_KEY_BYTES])
{
    uint8_t prefix[RSN_KEY_MAX];
    size_t plen = rsn_key_prefix(prefix, RSN_TAG_RETRACTION, id);
    rsn_index_t ix;
    bool retracted = false;
    if (rsn_index_open(&ix, store, prefix, plen, RSN_KEYLEN_ID_N) != 0) {
        return false;
    }
    for (rsn_index_first(&ix); rsn_index_valid(&ix) && !retracted; rsn_index_next(&ix)) {
        rsn_loaded_t *r = NULL;
        if (rsn_entry_load_at(store, arena, rsn_index_n(&ix), &r) != 0) {
            continue;
        }
        if (r->entry->kind != RAISON__KIND__KIND_RETRACTION ||
            memcmp(r->entry->author.data, author, RSN_KEY_BYTES) != 0 ||
            rsn_feed_hidden(store, author, r->entry->seq)) {
            continue;
        }
        if (r->body && !rsn_views_same_id(&((const Raison__Retraction *)r->body)->target, id)) {
            continue;
        }
        retracted = true;
    }
    rsn_index_close(&ix);
    return retracted;
}

bool rsn_entry_shown(rsn_store_t *store, rsn_arena_t *arena, const rsn_loaded_t *l)
{
    const uint8_t *author = l->entry->author.data;
    return !rsn_feed_hidden(store, author, l->entry->seq) &&
           !rsn_entry_retracted(store, arena, l->id, author);
}
