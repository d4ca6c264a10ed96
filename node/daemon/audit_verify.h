/* audit_verify.h — verifying a whole store, as `raison audit verify` and
 * `raisond verify` ask (audit_verify.c), and reading the node's own signed
 * checkpoints back, which both the verification and the audit's checkpoints
 * (audit.c) need. */
#ifndef RSN_D_AUDIT_VERIFY_H
#define RSN_D_AUDIT_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/err.h"
#include "crypto/crypto.h"
#include "proto/codec.h"
#include "store/store.h"

#define RSN_AUDIT_PROBLEMS_MAX 1000 /* problems listed in one verification */

/* Parses NOTE (LEN bytes), a checkpoint stored by the node whose key is KEY
 * and checkpoint origin ORIGIN, into *SIZE and ROOT. 0, or
 * RSN_ERR_BAD_SIGNATURE (or the note's parse error) when it does not verify
 * under KEY or names another origin. */
RSN_NODISCARD int rsn_audit_checkpoint_parse(const char *origin, const uint8_t key[RSN_KEY_BYTES],
                                             const char *note, size_t len, uint64_t *size,
                                             uint8_t root[RSN_HASH_BYTES]);

/* Verifies everything STORE holds for the node whose key is NODE_KEY (see
 * the top of this file). 0 and *OUT (from ARENA; integrity_ok says the
 * verdict), or RSN_ERR_IO / RSN_ERR_NOMEM when it could not be read. */
RSN_NODISCARD int rsn_audit_verify_store(rsn_store_t *store, const uint8_t node_key[RSN_KEY_BYTES],
                                         rsn_arena_t *arena, Raison__AuditVerifyReply **out);

/* Told, after each chunk of leaves, the leaves CHECKED so far of the TOTAL
 * the node counted (CTX is the caller's); a non-zero return stops the
 * verification. */
typedef int (*rsn_audit_progress_fn)(void *ctx, uint64_t checked, uint64_t total);

/* rsn_audit_verify_store, calling PROGRESS (may be NULL) with CTX as it
 * goes; RSN_ERR_INTERRUPTED when PROGRESS stopped it (*OUT unset). */
RSN_NODISCARD int rsn_audit_verify_store_with(rsn_store_t *store,
                                              const uint8_t node_key[RSN_KEY_BYTES],
                                              rsn_arena_t *arena, rsn_audit_progress_fn progress,
                                              void *ctx, Raison__AuditVerifyReply **out);

#endif
