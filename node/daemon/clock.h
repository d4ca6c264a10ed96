/* clock.h — the time a node decides by: an entry's effective time, and the
 * node's clocks.
 *
 * An entry's timestamp is what its author claims. Wherever time decides
 * something — retention, the order of a timeline, "last activity" — a node
 * uses the entry's effective time: the earlier of the claimed time and the
 * time this node first received it, which the write path stores with the
 * entry (in 'I' id, store/keys.h) and nothing rewrites (a duplicate, a relay, a
 * body fetched later leave it alone). So a post dated in the future neither
 * escapes retention nor pins itself to the top of a timeline (DESIGN.md
 * "Time"). The 'P' index of a group's posts is keyed by this time.
 *
 * The clocks: the wall clock, and the retention clock, which is the wall
 * clock moved forward by RAISON_RETENTION_NOW_OFFSET_DAYS days when the
 * environment sets it — a knob for tests only (docs/design-notes.md), so an
 * integration test can see retention act without waiting days. */
#ifndef RSN_D_CLOCK_H
#define RSN_D_CLOCK_H

#include <stdint.h>

#include "common/err.h"
#include "crypto/crypto.h"
#include "daemon/entry.h"
#include "store/store.h"

/* Milliseconds since the epoch on the wall clock. */
uint64_t rsn_clock_wall_ms(void);

/* The retention clock at wall time NOW_MS: NOW_MS plus the days of
 * RAISON_RETENTION_NOW_OFFSET_DAYS (tests only; 0 to 36500, anything else is
 * ignored). */
uint64_t rsn_clock_retention_ms(uint64_t now_ms);

/* The effective time of an entry claimed at CLAIMED_MS and received at
 * RECEIVED_MS: the earlier of the two. */
uint64_t rsn_clock_effective(uint64_t claimed_ms, uint64_t received_ms);

/* When this node first received entry ID, into *RECEIVED_MS. 0,
 * RSN_ERR_NOT_FOUND (an entry not held), RSN_ERR_IO. */
RSN_NODISCARD int rsn_clock_received(rsn_store_t *store, const uint8_t id[RSN_ID_BYTES],
                                     uint64_t *received_ms);

/* The effective time of stored entry L; its claimed time when no received
 * time is held for it (none in a sound store). */
uint64_t rsn_clock_entry_time(rsn_store_t *store, const rsn_loaded_t *l);

#endif
