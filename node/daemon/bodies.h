/* bodies.h — why an entry is held without its body: erased, or missing.
 *
 * DESIGN.md "Bodies: erased is not missing". A node drops a body only for a
 * reason it holds: an erase-retraction by the entry's author, or the
 * retention of the post's group; such a body is *erased* ('O' id -> by in
 * store/keys.h). An entry that arrived without its body for no reason the
 * node knows is held as *missing* ('D' id -> the peer that sent it bare) and
 * fetched again (daemon/gossip_bodies.c); when the body arrives the write
 * path indexes it exactly as if it had arrived whole (daemon/ingest.h).
 * This module answers the questions both sides ask: which state a stored
 * entry's body is in and why, whether a reason a peer names is a reason, and
 * the count of bodies erased. Retraction bodies are never erased. */
#ifndef RSN_D_BODIES_H
#define RSN_D_BODIES_H

#include <stdbool.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/err.h"
#include "crypto/crypto.h"
#include "proto/codec.h"
#include "store/store.h"

/* The state of a body; the values are those of the wire's BodyState. */
typedef enum {
    RSN_BODY_HELD = 0,    /* BODY_PRESENT */
    RSN_BODY_ERASED = 1,  /* dropped for a reason held */
    RSN_BODY_MISSING = 2, /* not held, for no reason known */
} rsn_body_state_t;

/* The state of the body of held entry ID: *STATE, and for an erased one the
 * reason into BY with *HAS_BY (false for a body erased before reasons were
 * kept, when no erase-retraction names it). 0, RSN_ERR_IO or RSN_ERR_NOMEM. */
RSN_NODISCARD int rsn_bodies_state(rsn_store_t *store, rsn_arena_t *arena,
                                   const uint8_t id[RSN_ID_BYTES], rsn_body_state_t *state,
                                   uint8_t by[RSN_ID_BYTES], bool *has_by);

/* True when a held retraction by AUTHOR asks that TARGET's body be erased;
 * its id into BY (when BY is not NULL). Errors count as true: when in doubt,
 * no body is brought back. */
bool rsn_bodies_erase_requested(rsn_store_t *store, rsn_arena_t *arena,
                                const uint8_t target[RSN_ID_BYTES],
                                const uint8_t author[RSN_KEY_BYTES], uint8_t *by);

/* True when BY, held in STORE, is a reason to drop the body of entry E (id
 * ID) at NOW_MS: an erase-retraction of ID by E's author, or (BY a charter
 * of the group) a group whose every charter version's retention E, a post,
 * is past: a post keeps the retention of the version it names, which a bare
 * post does not show. Never for a retraction's body. */
bool rsn_bodies_reason_valid(rsn_store_t *store, rsn_arena_t *arena, const Raison__Entry *e,
                             const uint8_t id[RSN_ID_BYTES], const uint8_t by[RSN_ID_BYTES],
                             uint64_t now_ms);

/* The wall clock in ms since the epoch (an entry's timestamp's clock). */
uint64_t rsn_bodies_now_ms(void);

/* Stages in BATCH the marker that ID's body is erased for reason BY. */
void rsn_bodies_mark_erased(rsn_batch_t *batch, const uint8_t id[RSN_ID_BYTES],
                            const uint8_t by[RSN_ID_BYTES]);

/* The stored count of bodies erased ('N' "erased"); 0 when none. */
uint64_t rsn_bodies_erased(rsn_store_t *store);

/* Stages in BATCH the count of bodies erased plus N (read from STORE now:
 * the one writer at a time is the node's loop). */
void rsn_bodies_count_erased(rsn_store_t *store, rsn_batch_t *batch, uint64_t n);

#endif
