/* retention.h — enforcing the retention of groups' data policies.
 *
 * A charter's data policy may say how many days post bodies are kept. Past
 * that, every node erases them: the body goes, the signed header stays, so
 * chains, signatures and log proofs still verify and views say "erased". A
 * post keeps the retention of the charter version it was written under
 * (Post.charter; without one, the version current when this node received
 * it), so amending the retention changes nothing for older posts; its age
 * is its effective time (daemon/clock.h), so a post dated in the future
 * does not escape. The sweep is bounded per call and runs from the event
 * loop; markers ('Y' in store/keys.h) remember where it stopped, and ingest
 * asks rsn_retention_of_arriving to keep no body of a post that arrives
 * already past its retention. */
#ifndef RSN_D_RETENTION_H
#define RSN_D_RETENTION_H

#include <stdint.h>

#include "common/err.h"
#include "proto/codec.h"
#include "store/store.h"

/* Erases the bodies of posts older, at NOW_MS (the retention clock,
 * daemon/clock.h), than the retention of the charter version each keeps, at
 * most BUDGET of them, in one synced batch. 0 and *ERASED, RSN_ERR_NOMEM or
 * RSN_ERR_IO. */
RSN_NODISCARD int rsn_retention_sweep(rsn_store_t *store, uint64_t now_ms, size_t budget,
                                      size_t *erased);

/* The retention, in days, of GROUP's current charter as the sweep last saw
 * it (0: kept, or unknown). */
uint32_t rsn_retention_days(rsn_store_t *store, const uint8_t group[32]);

/* The retention, in days, of post P as it arrives: that of the charter entry
 * it names when this node holds it and it is a charter of P's group;
 * otherwise that of the group's current charter as the sweep last saw it.
 * (The sweep then judges against the group's chain.) */
uint32_t rsn_retention_of_arriving(rsn_store_t *store, const Raison__Post *p);

#endif
