/* support/keys.h — deterministic keypairs for tests.
 *
 * A test that must find the same author again (in a second run, in another
 * process, in a fuzz target's seed corpus) makes its key from a seed: either
 * 32 copies of one byte, or 64 hex characters given on a command line. */
#ifndef RSN_TEST_KEYS_H
#define RSN_TEST_KEYS_H

#include <stdint.h>

#include "common/err.h"
#include "crypto/keypair.h"

/* The keypair whose seed is 32 bytes of BYTE into *OUT (destroy it with
 * rsn_keypair_destroy). RSN_ERR_NOMEM. */
RSN_NODISCARD int rsn_test_keypair_seeded(rsn_keypair_t **out, uint8_t byte);

/* The keypair whose seed is SEED_HEX (64 hex characters) into *OUT.
 * RSN_ERR_INVALID_ARG when SEED_HEX is not hex, RSN_ERR_NOMEM. */
RSN_NODISCARD int rsn_test_keypair_from_hex(rsn_keypair_t **out, const char *seed_hex);

#endif
