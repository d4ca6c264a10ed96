/* derive.h — the derived state: what views would otherwise recompute from
 * every entry (a group's charter chain and members, a mission's counters,
 * reply counts), kept in the store beside the entries and updated as
 * entries arrive, so a read costs O(page + log n) however much is held.
 *
 * Derived state is a function of what the store holds. It is written by one
 * pass that runs after each commit of the ingest (rsn_ingest_commit), over
 * what that commit added, in order: the entries it appended to the log (by
 * log index), then the events it queued (`q` keys): a body that arrived for
 * an entry held without one (or arrived already erased: the queued event
 * carries the bytes, so facts that erasure destroys are still seen once),
 * and fork evidence that froze a feed. Each deriver (the registered modules
 * in derive.c's table) sees every entry once at first sight, every late
 * body once, every fork once, and may queue bounded background work of its
 * own (a re-judge of what an event looks back on) that rsn_derive_background
 * runs a budget at a time, each turn of the event loop.
 *
 * Why a pass after the commit and not the same WriteBatch: a deriver reads
 * the state its earlier entries made (a post is judged against the group
 * state its charter and memberships derived), which LevelDB cannot read back
 * out of an unwritten batch. A step's derived writes (up to 64 entries, or
 * one entry a deriver answers by a scan of its own keys, or one event) go
 * in one batch with the watermark `v` (the log size the derived state
 * covers) and the deletion of the events consumed, so a crash leaves the
 * derived state at a whole step; the next start redoes what lies past the watermark (at most
 * one commit's entries) before the node serves anything. Nothing reads
 * between a commit and its pass (one thread), so no reader sees them apart.
 * docs/design-notes.md "Derived state" says more. */
#ifndef RSN_D_DERIVE_H
#define RSN_D_DERIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/err.h"
#include "crypto/crypto.h"
#include "daemon/entry.h"
#include "store/store.h"

typedef struct rsn_derive rsn_derive_t;

/* One derive step's view of the store: reads see the store as committed plus
 * what this step has put so far (puts and deletes of this step, by exact
 * key); scans (rsn_dx_store with rsn_index_t) see only what was written
 * before this step. Everything put is written in one batch when the step
 * ends. */
typedef struct rsn_dx rsn_dx_t;

/* What a deriver is shown. */
typedef enum {
    RSN_DERIVE_ENTRY = 1, /* an entry at first sight (body when held and decodable) */
    RSN_DERIVE_LATE_BODY, /* the body of an entry seen before without it */
} rsn_derive_kind_t;

typedef struct {
    rsn_derive_kind_t kind;
    uint64_t index;        /* the entry's log index */
    const rsn_loaded_t *l; /* id, header, decoded body (NULL: none, undecodable) */
    uint64_t received;     /* when this node first received it (in 'I') */
} rsn_derive_entry_t;

/* A module that keeps derived state. Every callback returns 0 or an rsn_err
 * (which stops the pass: it is retried at the next commit or turn). */
typedef struct {
    const char *name;
    /* The key tags (one byte each) whose keys are this module's derived
     * state, deleted by a reindex. */
    const char *tags;
    int (*entry)(rsn_dx_t *dx, const rsn_derive_entry_t *de);
    /* A fork at SEQ froze AUTHOR's feed (entries from SEQ on are hidden). */
    int (*fork)(rsn_dx_t *dx, const uint8_t author[RSN_KEY_BYTES], uint64_t seq);
    /* Background work: at most BUDGET units (an entry re-judged, a member
     * recomputed), *DONE set to the units used; leave *DONE 0 when idle.
     * NULL when the module has none. */
    int (*background)(rsn_dx_t *dx, size_t budget, size_t *done);
} rsn_deriver_t;

RSN_NODISCARD int rsn_derive_new(rsn_derive_t **out, rsn_store_t *store);
void rsn_derive_destroy(rsn_derive_t **self_p);

/* Queues, into BATCH (the ingest's, committed with the entries), the late
 * body of entry ID: BODY/LEN when it will not be in the store (it arrived
 * erased), NULL to read it from `B`. */
void rsn_derive_queue_body(rsn_derive_t *self, rsn_batch_t *batch, const uint8_t id[RSN_ID_BYTES],
                           const uint8_t *body, size_t len);

/* True when held entry ID is not derived yet (past the watermark: a
 * reindex has not reached it): a body erased now must be queued with its
 * bytes, as for an entry staged in the same batch, or its first sight would
 * find it gone and its facts would never be seen. */
bool rsn_derive_unseen(rsn_derive_t *self, const uint8_t id[RSN_ID_BYTES]);

/* Queues, into BATCH, a fork of AUTHOR's feed at SEQ. */
void rsn_derive_queue_fork(rsn_derive_t *self, rsn_batch_t *batch,
                           const uint8_t author[RSN_KEY_BYTES], uint64_t seq);

/* Derives what is past the watermark: the log entries up to LOG_SIZE, at
 * most MAX of them (0: no limit), then every queued event. 0 or an rsn_err
 * (the watermark stays at the last entry fully derived). */
RSN_NODISCARD int rsn_derive_run(rsn_derive_t *self, uint64_t log_size, size_t max);

/* Runs at most BUDGET units of the derivers' background work; *MORE is set
 * true when some remains. */
RSN_NODISCARD int rsn_derive_background(rsn_derive_t *self, size_t budget, bool *more);

/* Tests only: after STEPS more derive steps the pass stops for good, as if
 * the process died there (between two steps, where a crash leaves it). */
void rsn_derive_stop_after(rsn_derive_t *self, unsigned steps);

/* The log size the derived state covers. */
uint64_t rsn_derive_watermark(const rsn_derive_t *self);

/* The key tags of every registered deriver's derived state (a string,
 * static), for tests that compare a store's derived state with a rebuild. */
const char *rsn_derive_tags(void);

/* Deletes every derived key and the watermark, so the next run derives the
 * whole log again (raisond reindex). */
RSN_NODISCARD int rsn_derive_reset(rsn_store_t *store);

/* An online reindex: RUNNING while one is under way, CLEARING while it
 * deletes the old state, DERIVED the log entries derived again so far
 * (when none runs: the watermark). */
typedef struct {
    bool running;
    bool clearing;
    uint64_t derived;
} rsn_reindex_progress_t;

/* Starts rebuilding the derived state while the node serves (`reindex` of
 * the API), unless one is under way (*ALREADY): the marker 'i' is written
 * (synced), then each rsn_derive_run deletes a bounded share of the old
 * state (nothing is derived meanwhile, and the watermark reads 0 so views
 * say they are being updated), then derives the log again from its first
 * entry, at most 4 entries per call (about 1 ms), entries that arrive meanwhile
 * included; the marker goes when the log is derived and no background work
 * is left. A restart goes on with it (the clear from the start). 0 or
 * RSN_ERR_IO, RSN_ERR_NOMEM. */
RSN_NODISCARD int rsn_derive_reindex_start(rsn_derive_t *self, bool *already);

/* How far the online reindex is. */
void rsn_derive_reindex_progress(const rsn_derive_t *self, rsn_reindex_progress_t *out);

/* --- for derivers -------------------------------------------------------------- */

/* Reads KEY (this step's puts first, then the store): 0 and *VALUE (from the
 * step's arena) and *LEN; RSN_ERR_NOT_FOUND; RSN_ERR_IO. */
RSN_NODISCARD int rsn_dx_get(rsn_dx_t *dx, const uint8_t *key, size_t key_len, uint8_t **value,
                             size_t *len);
/* Reads KEY as a big-endian u64; 0 when absent. */
RSN_NODISCARD int rsn_dx_get_u64(rsn_dx_t *dx, const uint8_t *key, size_t key_len, uint64_t *out);
void rsn_dx_put(rsn_dx_t *dx, const uint8_t *key, size_t key_len, const void *value, size_t len);
void rsn_dx_put_u64(rsn_dx_t *dx, const uint8_t *key, size_t key_len, uint64_t v);
void rsn_dx_delete(rsn_dx_t *dx, const uint8_t *key, size_t key_len);
/* Adds DELTA to the big-endian u64 at KEY (absent: 0; a result of 0
 * deletes the key). */
RSN_NODISCARD int rsn_dx_add(rsn_dx_t *dx, const uint8_t *key, size_t key_len, int64_t delta);
rsn_store_t *rsn_dx_store(rsn_dx_t *dx);
/* The step's arena: reset when the step ends. */
rsn_arena_t *rsn_dx_arena(rsn_dx_t *dx);
/* A pointer one deriver (report_state.c) may keep for the rest of the step:
 * NULL when the step starts; what it points to must live in the step's
 * arena. A step's entries change no group state (derive.c gives a step of
 * its own to an entry that does), so what it caches stays true. */
void **rsn_dx_slot(rsn_dx_t *dx);
/* The log index from which entries have not been shown to the derivers yet
 * (during an entry's step: the entry after it; otherwise the watermark).
 * What looks back may pass over entries at or past it: each gets its first
 * sight later, judged then against everything shown before it, so a
 * re-judge of it now would be redone then (and, in a reindex, would read
 * facts kept from before the reindex, ahead of their turn). */
uint64_t rsn_dx_horizon(const rsn_dx_t *dx);
/* Writes what the step has put so far and starts a new step (background
 * work calls it between units). 0 or RSN_ERR_IO. */
RSN_NODISCARD int rsn_dx_flush(rsn_dx_t *dx);

#endif
