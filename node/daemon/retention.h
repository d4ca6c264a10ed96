/* retention.h — enforcing the retention of groups' data policies.
 *
 * A charter's data policy may say how many days post bodies are kept. Past
 * that, every node erases them: the body goes, the signed header stays, so
 * chains, signatures and log proofs still verify and views say "erased". A
 * post keeps the retention of the charter version it was written under
 * (Post.charter; without one, the version current when this node received
 * it), so amending the retention changes nothing for older posts; its age
 * is its effective time (daemon/clock.h), so a post dated in the future
 * does not escape. The sweep is bounded per call; the node finds its work
 * on a worker thread and erases in the loop (retention.c); markers ('Y' in store/keys.h) remember
 * where it stopped, and ingest asks rsn_retention_of_arriving to keep no body of a post that
 * arrives already past its retention. */
#ifndef RSN_D_RETENTION_H
#define RSN_D_RETENTION_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "proto/codec.h"
#include "store/store.h"

/* One step of a sweep: what rsn_retention_find found, for
 * rsn_retention_apply to write. Plain bytes, so that steps can be copied
 * from a worker thread to the loop. */
typedef enum {
    RSN_RETENTION_ERASE = 1,  /* erase the body of post ID of GROUP */
    RSN_RETENTION_MARKER = 2, /* GROUP's walk of version ID stopped at LAST */
    RSN_RETENTION_DAYS = 3,   /* GROUP's current charter keeps DAYS */
} rsn_retention_kind_t;

typedef struct {
    uint8_t kind; /* an rsn_retention_kind_t */
    uint8_t group[32];
    uint8_t id[32];   /* ERASE: the post; MARKER: the charter version */
    uint64_t index;   /* ERASE: the post's log index */
    uint8_t last[16]; /* MARKER: ts(8) index(8) of the last post passed */
    uint32_t days;    /* DAYS */
} rsn_retention_step_t;

/* Where rsn_retention_find puts its steps: EMIT(CTX, step) in order (a
 * non-zero return stops the walk with that code); STOPPING(CTX) (may be
 * NULL), asked between groups, stops it with RSN_ERR_INTERRUPTED. */
typedef struct {
    int (*emit)(void *ctx, const rsn_retention_step_t *step);
    bool (*stopping)(void *ctx);
    void *ctx;
} rsn_retention_sink_t;

/* Finds, reading STORE only (a snapshot may be given), what a sweep at
 * NOW_MS does: at most BUDGET bodies to erase (*FOUND), with the markers
 * and retentions to record, each handed to SINK. 0, the sink's code,
 * RSN_ERR_INTERRUPTED, RSN_ERR_NOMEM. */
RSN_NODISCARD int rsn_retention_find(rsn_store_t *store, uint64_t now_ms, size_t budget,
                                     const rsn_retention_sink_t *sink, size_t *found);

/* Writes the N STEPS in one synced batch into STORE (the live store, from
 * the loop): a body is erased, marked erased by its group and counted
 * ('N' "erased") only when still held; *ERASED says how many. 0,
 * RSN_ERR_NOMEM, RSN_ERR_IO. */
RSN_NODISCARD int rsn_retention_apply(rsn_store_t *store, const rsn_retention_step_t *steps,
                                      size_t n, size_t *erased);

/* Logs the line a sweep that erased ERASED bodies leaves (none for 0). */
void rsn_retention_log(size_t erased);

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
