/* support/keys.c — deterministic keypairs for tests: a seed of one repeated
 * byte, or one given in hex, handed to rsn_keypair_from_seed. */
#include "support/keys.h"

#include <string.h>

#include "crypto/crypto.h"

int rsn_test_keypair_seeded(rsn_keypair_t **out, uint8_t byte)
{
    uint8_t seed[32];
    memset(seed, byte, sizeof seed);
    *out = rsn_keypair_from_seed(seed);
    return *out == NULL ? RSN_ERR_NOMEM : 0;
}

int rsn_test_keypair_from_hex(rsn_keypair_t **out, const char *seed_hex)
{
    uint8_t seed[32];
    *out = NULL;
    if (rsn_key_from_hex(seed, seed_hex) != 0) {
        return RSN_ERR_INVALID_ARG;
    }
    *out = rsn_keypair_from_seed(seed);
    return *out == NULL ? RSN_ERR_NOMEM : 0;
}
