/* support/fake_log.h — a small transparency log in memory, for witnesses.
 *
 * Tests that play a peer's log (the gossip unit test, hostile_tool) need
 * checkpoints whose roots are real RFC 9162 roots and consistency proofs
 * between them, without a store. Leaf i of the log of SALT is the leaf hash
 * of (SALT, i): two salts make two histories no proof joins. The proof can
 * be had as a federation frame, as a peer sends it. */
#ifndef RSN_TEST_FAKE_LOG_H
#define RSN_TEST_FAKE_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "crypto/merkle.h"

#define RSN_TEST_LOG_MAX 256 /* leaves a fake log may hold */

typedef struct rsn_test_log rsn_test_log_t;

/* A log of SIZE (<= RSN_TEST_LOG_MAX) leaves of SALT; NULL when out of
 * memory or SIZE is too large. Free with rsn_test_log_destroy. */
rsn_test_log_t *rsn_test_log_new(uint64_t size, uint8_t salt);

/* Frees LOG (NULL is fine) and sets *LOG_P to NULL. */
void rsn_test_log_destroy(rsn_test_log_t **log_p);

/* ROOT = the root of the tree of the first SIZE leaves. 0 or
 * RSN_ERR_INVALID_ARG (SIZE beyond the log). */
int rsn_test_log_root(rsn_test_log_t *log, uint64_t size, uint8_t root[RSN_HASH_BYTES]);

/* The consistency proof from OLD_SIZE to NEW_SIZE into PROOF, its length
 * into *N. 0 or RSN_ERR_INVALID_ARG. */
int rsn_test_log_prove(rsn_test_log_t *log, uint64_t old_size, uint64_t new_size,
                       rsn_merkle_proof_t proof, size_t *n);

/* A FedFrame holding LOG's ConsistencyProof from OLD_SIZE to NEW_SIZE,
 * packed in ARENA into *FRAME, *LEN. 0 or an rsn_err. */
int rsn_test_log_proof_frame(rsn_test_log_t *log, rsn_arena_t *arena, uint64_t old_size,
                             uint64_t new_size, uint8_t **frame, size_t *len);

#endif
