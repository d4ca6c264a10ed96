/* d_retention.h — enforcing the retention of groups' data policies.
 *
 * A charter's data policy may say how many days post bodies are kept. Past
 * that, every node erases them: the body goes, the signed header stays, so
 * chains, signatures and log proofs still verify and views say "erased". The
 * sweep is bounded per call and runs from the event loop; a marker per group
 * ('Y' in store/keys.h) remembers where it stopped, so each sweep reads only
 * the posts that aged since, and ingest reads the group's retention there to
 * keep no body of a post that arrives already past it. */
#ifndef RSN_D_RETENTION_H
#define RSN_D_RETENTION_H

#include <stdint.h>

#include "common/err.h"
#include "store/store.h"

/* Erases the bodies of posts older than their group's retention at NOW_MS,
 * at most BUDGET of them, in one synced batch. 0 and *ERASED, or RSN_ERR_IO. */
RSN_NODISCARD int rsn_retention_sweep(rsn_store_t *store, uint64_t now_ms, size_t budget,
                                      size_t *erased);

/* The retention, in days, last seen for GROUP (0: kept, or unknown). */
uint32_t rsn_retention_days(rsn_store_t *store, const uint8_t group[32]);

#endif
