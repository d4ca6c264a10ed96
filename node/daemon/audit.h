/* audit.h — the node's audit: checkpoints, proofs, exports, verification.
 *
 * The transparency log itself is written by ingest (daemon/ingest.h) and
 * stored by store/tlog.h. This module
 * signs C2SP tlog-checkpoints of it with the node key (at most every
 * RSN_CHECKPOINT_EVERY_MS while entries arrive, and on request), keeps every
 * checkpoint it ever signed ('K' in store/keys.h), answers the audit calls of
 * the API, and verifies a whole store: every signature, chain, body, fork
 * evidence, semantic rule, and the log against the entries and against every
 * checkpoint. docs/audit.md. */
#ifndef RSN_D_AUDIT_H
#define RSN_D_AUDIT_H

#include <stdbool.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/err.h"
#include "crypto/keypair.h"
#include "daemon/audit_verify.h"
#include "daemon/ingest.h"
#include "proto/codec.h"
#include "store/store.h"

#define RSN_CHECKPOINT_EVERY_MS 3000

typedef struct rsn_audit rsn_audit_t;

/* The audit of the node whose key is KEY over STORE and INGEST (none owned).
 * Reads the latest signed checkpoint. 0 and *OUT, RSN_ERR_NOMEM, RSN_ERR_IO. */
RSN_NODISCARD int rsn_audit_new(rsn_audit_t **out, rsn_store_t *store, rsn_ingest_t *ingest,
                                const rsn_keypair_t *key);
void rsn_audit_destroy(rsn_audit_t **self_p);

/* Signs and stores (synced) a checkpoint of the committed log when it grew
 * since the last one and that one is older than RSN_CHECKPOINT_EVERY_MS, or
 * at once when FORCE (even if it did not grow, when none exists yet).
 * *SIGNED (may be NULL) tells whether one was signed. 0 or RSN_ERR_IO. */
RSN_NODISCARD int rsn_audit_tick(rsn_audit_t *self, bool force, bool *signed_now);

/* The latest signed checkpoint: its note (owned by SELF, NUL-terminated),
 * size and root. RSN_ERR_NOT_FOUND when none was signed yet. */
RSN_NODISCARD int rsn_audit_latest(const rsn_audit_t *self, const char **note, uint64_t *size,
                                   uint8_t root[32]);

/* Milliseconds since the latest checkpoint was signed; since this start when
 * it was signed by an earlier run, or none is (the metrics' checkpoint age). */
int64_t rsn_audit_age_ms(const rsn_audit_t *self);

/* The checkpoint origin, which is also the note key name: "raison/" + hex. */
const char *rsn_audit_origin(const rsn_audit_t *self);

/* Answers the audit calls of the API (audit_key, checkpoint, prove, include,
 * audit_verify, leaves, forks) into REPLY. 0 or an rsn_err with WHY. */
RSN_NODISCARD int rsn_audit_call(rsn_audit_t *self, rsn_arena_t *arena,
                                 const Raison__ApiRequest *req, Raison__ApiReply *reply, char *why,
                                 size_t why_size);

/* Checks a leaves request Q against the committed log: *END the leaf the
 * page may not reach (its tree size), *LIMIT the leaves at most. 0, or
 * RSN_ERR_BAD_REQUEST with WHY (a tree size beyond the log, a limit over
 * 1,024). */
RSN_NODISCARD int rsn_audit_leaves_check(rsn_audit_t *self, const Raison__LeavesRequest *q,
                                         uint64_t *end, uint32_t *limit, char *why,
                                         size_t why_size);

/* Fills REPLY (from ARENA) with the page of leaves FROM.. (before END, at
 * most LIMIT and about 4 MiB) read from STORE, which may be a snapshot: a
 * worker thread builds an export's pages (daemon/background.h). 0 or an
 * rsn_err with WHY. */
RSN_NODISCARD int rsn_audit_leaves_page(rsn_store_t *store, rsn_arena_t *arena, uint64_t from,
                                        uint64_t end, uint32_t limit, Raison__ApiReply *reply,
                                        char *why, size_t why_size);

/* Proves that the tree of OLD_SIZE leaves is a prefix of the tree of
 * NEW_SIZE (both at most the committed size): roots and the RFC 9162
 * consistency proof, built in ARENA. For witnessing too. */
RSN_NODISCARD int rsn_audit_prove(rsn_store_t *store, rsn_arena_t *arena, uint64_t log_size,
                                  uint64_t old_size, uint64_t new_size, Raison__ProveReply **out,
                                  char *why, size_t why_size);

#endif
