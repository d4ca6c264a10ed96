/* forks.h — fork evidence: checking it, storing it, and the feeds it freezes.
 *
 * An author who signs two different entries for one seq has forked their
 * feed. The two signed headers are the evidence (a ForkEvidence, 'F' in
 * store/keys.h): anyone can check it, so nodes keep and relay it, and from
 * the lowest forked seq on the feed is frozen ('Z'): no new entry of it is
 * accepted. The write path (daemon/ingest.h) detects a fork when the feed
 * rule meets a second entry for a held seq, or receives evidence from a
 * peer; this module checks evidence, stages it into the write path's batch,
 * answers "is this feed frozen, from which seq" for staged and stored
 * evidence alike, and remembers what the commits stored, for gossip. The
 * audit (daemon/audit_verify.c) checks stored evidence with the same test. */
#ifndef RSN_D_FORKS_H
#define RSN_D_FORKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/err.h"
#include "crypto/crypto.h"
#include "proto/codec.h"
#include "store/store.h"

typedef struct rsn_forks rsn_forks_t;

/* One fork evidence: the feed and the seq it is about. */
typedef struct {
    uint8_t author[RSN_KEY_BYTES];
    uint64_t seq;
} rsn_fork_ref_t;

/* The fork state over STORE (not owned): reads whether any feed is frozen.
 * 0 and *OUT, or RSN_ERR_NOMEM. */
RSN_NODISCARD int rsn_forks_new(rsn_forks_t **out, rsn_store_t *store);
void rsn_forks_destroy(rsn_forks_t **self_p);

/* The seq from which AUTHOR's feed is frozen (by evidence staged or stored),
 * or 0 when it is not. */
uint64_t rsn_forks_frozen_from(rsn_forks_t *self, const uint8_t author[RSN_KEY_BYTES]);

/* True when evidence for (AUTHOR, SEQ) is staged or stored. */
bool rsn_forks_held(rsn_forks_t *self, const uint8_t author[RSN_KEY_BYTES], uint64_t seq);

/* True when evidence EV (decoded, not yet checked) is about an (author, seq)
 * for which evidence is held: such evidence costs a lookup, never a
 * signature check. */
bool rsn_forks_evidence_held(rsn_forks_t *self, rsn_arena_t *arena, const Raison__ForkEvidence *ev);

/* Checks fork evidence EV: two signed entries that decode, are signed by
 * their author, and are different entries of one (author, seq). 0 and *REF;
 * RSN_ERR_BAD_ENTRY or RSN_ERR_BAD_SIGNATURE with WHY (may be NULL). */
RSN_NODISCARD int rsn_forks_check(rsn_arena_t *arena, const Raison__ForkEvidence *ev,
                                  rsn_fork_ref_t *ref, char *why, size_t why_size);

/* Serializes the evidence that HELD and INCOMING (two signed headers) are a
 * fork of AUTHOR at SEQ, into ARENA. 0, RSN_ERR_NOMEM. */
RSN_NODISCARD int rsn_forks_pack(rsn_arena_t *arena, const uint8_t author[RSN_KEY_BYTES],
                                 uint64_t seq, const Raison__SignedEntry *held,
                                 const Raison__SignedEntry *incoming, uint8_t **bytes, size_t *len);

/* True when no more evidence can be staged before the batch is committed. */
bool rsn_forks_full(const rsn_forks_t *self);

/* Stages the evidence BYTES for (AUTHOR, SEQ) into BATCH and freezes the
 * feed from SEQ (unless it is frozen from an earlier seq already). The
 * caller checked rsn_forks_held and rsn_forks_full. */
void rsn_forks_stage(rsn_forks_t *self, rsn_batch_t *batch, const uint8_t author[RSN_KEY_BYTES],
                     uint64_t seq, const uint8_t *bytes, size_t len);

/* Forgets the evidence rsn_forks_stage staged last (its puts went to a
 * batch the caller drops): the feed is frozen again only as before. */
void rsn_forks_unstage_last(rsn_forks_t *self);

/* The staged evidence was written (COMMITTED true: it is remembered for
 * rsn_forks_committed) or dropped; either way nothing is staged after. */
void rsn_forks_end_batch(rsn_forks_t *self, bool committed);

/* Fork evidences stored by the commits since rsn_forks_committed_clear;
 * owned by SELF. */
const rsn_fork_ref_t *rsn_forks_committed(const rsn_forks_t *self, size_t *count);
void rsn_forks_committed_clear(rsn_forks_t *self);

#endif
