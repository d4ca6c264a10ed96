/* entry.h — stored entries as the views read them: loading one (the exact
 * signed bytes, or decoded), the group it names, and whether it counts at
 * all (not hidden by a fork of its feed, not retracted by its author).
 *
 * The lowest layer of the read side: group state (group.h), the semantic
 * rules (rules.h) and every view are built on these. Everything returned is
 * taken from the caller's arena; nothing needs freeing but the arena. */
#ifndef RSN_D_ENTRY_H
#define RSN_D_ENTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/err.h"
#include "crypto/crypto.h"
#include "proto/codec.h"
#include "store/store.h"

/* One stored entry, decoded. */
typedef struct {
    uint8_t id[RSN_ID_BYTES];
    Raison__SignedEntry *signed_entry; /* entry + signature (+ body unless erased) */
    Raison__Entry *entry;              /* the decoded header */
    void *body;  /* decoded body (Raison__Post*, ...); NULL when erased or undecodable */
    bool erased; /* body no longer held */
    /* its log index, when loaded from the store (INDEXED): what the store's
     * keys name it by (store/keys.h); rsn_entry_index reads it */
    uint64_t index;
    bool indexed;
} rsn_loaded_t;

/* Loads entry ID as stored: the exact header and signature, and the body
 * when held (else body.data is NULL), into *OUT from ARENA; nothing decoded.
 * 0, RSN_ERR_NOT_FOUND, RSN_ERR_IO or RSN_ERR_NOMEM. */
RSN_NODISCARD int rsn_signed_load(rsn_store_t *store, rsn_arena_t *arena,
                                  const uint8_t id[RSN_ID_BYTES], Raison__SignedEntry **out);

/* As rsn_signed_load, for the entry at log INDEX ('E' and 'B' index). */
RSN_NODISCARD int rsn_signed_load_at(rsn_store_t *store, rsn_arena_t *arena, uint64_t index,
                                     Raison__SignedEntry **out);

/* As rsn_entry_load, for the entry at log INDEX (its id from 'L'): what an
 * index key ('P', 'Q', 'M', ...) names. */
RSN_NODISCARD int rsn_entry_load_at(rsn_store_t *store, rsn_arena_t *arena, uint64_t index,
                                    rsn_loaded_t **out);

/* As rsn_entry_try_load, at log INDEX. */
RSN_NODISCARD int rsn_entry_try_load_at(rsn_store_t *store, rsn_arena_t *arena, uint64_t index,
                                        rsn_loaded_t **out);

/* The log index of loaded entry L: the one it was loaded at, else read from
 * 'I'. 0, RSN_ERR_NOT_FOUND (not in the log), RSN_ERR_IO. */
RSN_NODISCARD int rsn_entry_index(rsn_store_t *store, const rsn_loaded_t *l, uint64_t *index);

/* Loads entry ID (header, and body when held). 0 and *OUT (from ARENA);
 * RSN_ERR_NOT_FOUND; RSN_ERR_IO. */
RSN_NODISCARD int rsn_entry_load(rsn_store_t *store, rsn_arena_t *arena,
                                 const uint8_t id[RSN_ID_BYTES], rsn_loaded_t **out);

/* As rsn_entry_load, for scans of an index: an entry the store does not hold
 * is no error but 0 with *OUT NULL, so a loop reads `if (rc) fail; if (!l)
 * skip;`. RSN_ERR_IO, RSN_ERR_NOMEM. */
RSN_NODISCARD int rsn_entry_try_load(rsn_store_t *store, rsn_arena_t *arena,
                                     const uint8_t id[RSN_ID_BYTES], rsn_loaded_t **out);

/* The group an entry belongs to: a charter v1's own id, or the `group` field
 * of a charter vN, membership or post. 0 and GROUP, or RSN_ERR_NOT_FOUND for
 * kinds that name no group (profiles, retractions) or no body. */
RSN_NODISCARD int rsn_entry_group(const rsn_loaded_t *e, uint8_t group[RSN_ID_BYTES]);

/* The seq from which the feed of AUTHOR is frozen (a fork), 0 when it is not. */
uint64_t rsn_feed_frozen_from(rsn_store_t *store, const uint8_t author[RSN_KEY_BYTES]);

/* True when the feed of AUTHOR is frozen at or below SEQ (a fork). */
bool rsn_feed_hidden(rsn_store_t *store, const uint8_t author[RSN_KEY_BYTES], uint64_t seq);

/* True when ID was withdrawn by a retraction of its own author. */
bool rsn_entry_retracted(rsn_store_t *store, rsn_arena_t *arena, const uint8_t id[RSN_ID_BYTES],
                         const uint8_t author[RSN_KEY_BYTES]);

/* True when the views may count entry L at all (not hidden, not retracted). */
bool rsn_entry_shown(rsn_store_t *store, rsn_arena_t *arena, const rsn_loaded_t *l);

#endif
