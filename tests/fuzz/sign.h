/* sign.h — signing what a fuzz target is fed, with keys the harness owns.
 *
 * Random bytes never carry a valid Ed25519 signature, so a target that fed
 * them to the write path as they are stopped at the signature check: the
 * feed rule, the semantic rules, the views and the derived state behind it
 * were never reached. A target hands each fuzzed SignedEntry to
 * fuzz_sign_entry instead, which keeps what was fuzzed (the kind, the
 * timestamp, the body, and when the mode says so the seq, prev and body
 * hash) and makes the rest right: the author is one of two harness keys,
 * seq and prev follow that author's head as staged (so chains grow across
 * inputs and within a batch), the body hash and size match the body, and
 * the entry is signed. An entry that does not decode becomes a new one of
 * a kind taken from its bytes. Not a library: a helper of tests/fuzz/. */
#ifndef RSN_FUZZ_SIGN_H
#define RSN_FUZZ_SIGN_H

#include <stdint.h>

#include "common/arena.h"
#include "daemon/ingest.h"
#include "proto/codec.h"

#define FUZZ_SIGN_KEYS 2

typedef struct fuzz_signer fuzz_signer_t;

/* A signer whose key K is made from the seed filled with FILLS[K] (a target
 * may pick a fill of which the store already holds a chain). NULL on
 * failure. */
fuzz_signer_t *fuzz_signer_new(const uint8_t fills[FUZZ_SIGN_KEYS]);
void fuzz_signer_destroy(fuzz_signer_t **self_p);

/* Starts an input: the heads of the keys are read from INGEST (staged or
 * stored). */
void fuzz_sign_begin(fuzz_signer_t *self, rsn_ingest_t *ingest);

/* Rewrites SE (its entry and signature, from ARENA) as described above; the
 * mode is taken from the fuzzed signature's first byte: bit 0 the key, bit
 * 1 keep the fuzzed seq and prev, bit 2 keep the fuzzed body hash and size.
 * The head of the key moves on when seq and prev were made to follow it.
 * 0, or -1 when out of memory (SE is then as it was). */
int fuzz_sign_entry(fuzz_signer_t *self, rsn_arena_t *arena, Raison__SignedEntry *se);

#endif
