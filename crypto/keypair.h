/* keypair.h — Ed25519 identities (users and nodes) and their key files.
 *
 * A keypair's secret half lives only in sodium_malloc'd memory, is wiped on
 * destroy and never leaves this module: callers ask it to sign. Key files are
 * written with mode 0600 and refused when group or others can read them. A
 * file can be sealed with a passphrase (crypto_pwhash Argon2id +
 * crypto_secretbox).
 *
 * File format (binary, docs/identity.md):
 *   plain:  "RSNKEY1" 0x00  seed(32) public(32)                      72 bytes
 *   sealed: "RSNKEY1" 0x01  salt(16) opslimit(u64 LE) memlimit(u64 LE)
 *           nonce(24) secretbox(seed || public)(64 + 16)            144 bytes */
#ifndef RSN_KEYPAIR_H
#define RSN_KEYPAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"

typedef struct rsn_keypair rsn_keypair_t;

/* Creates a fresh random keypair, or NULL when secure memory is exhausted. */
rsn_keypair_t *rsn_keypair_generate(void);

/* Creates the keypair of a 32-byte seed (deterministic; for tests and the
 * C2SP vectors). NULL on failure. */
rsn_keypair_t *rsn_keypair_from_seed(const uint8_t seed[32]);

/* Reads a key file. PASSPHRASE may be NULL for a plain file. Returns 0 and
 * *OUT, or: RSN_ERR_NOT_FOUND (no file), RSN_ERR_PERMISSION (group or others
 * may read it), RSN_ERR_BAD_KEYFILE (not this format, or the public half does
 * not match the seed), RSN_ERR_PASSPHRASE (sealed and PASSPHRASE is NULL or
 * wrong), RSN_ERR_IO. */
RSN_NODISCARD int rsn_keypair_load(rsn_keypair_t **out, const char *path, const char *passphrase);

/* Tells whether the key file at PATH is sealed with a passphrase.
 * 0 and *SEALED, or the errors of rsn_keypair_load. */
RSN_NODISCARD int rsn_keyfile_is_sealed(const char *path, bool *sealed);

/* How a key file is sealed: the Argon2id limits in its header, and whether
 * they are below those new files get (SEAL_*: libsodium's MODERATE). */
typedef struct {
    bool sealed;
    bool weak; /* sealed at lower limits than new files (e.g. INTERACTIVE) */
    uint64_t opslimit;
    uint64_t memlimit; /* bytes */
    uint64_t seal_opslimit;
    uint64_t seal_memlimit;
} rsn_keyfile_sealing_t;

/* Reads the sealing of the key file at PATH into *OUT (all zero for a plain
 * file). 0, or the errors of rsn_keypair_load. */
RSN_NODISCARD int rsn_keyfile_sealing(const char *path, rsn_keyfile_sealing_t *out);

/* Writes SELF to a new file at PATH with mode 0600 (O_EXCL: RSN_ERR_EXISTS if
 * anything is there), sealed when PASSPHRASE is not NULL, and fsyncs it.
 * 0, RSN_ERR_EXISTS or RSN_ERR_IO. */
RSN_NODISCARD int rsn_keypair_save(const rsn_keypair_t *self, const char *path,
                                   const char *passphrase);

/* The 32-byte Ed25519 public key (owned by SELF). */
const uint8_t *rsn_keypair_public(const rsn_keypair_t *self);

/* Signs ENTRY as an entry (with the "raison-entry-v1" 0x00 prefix). */
RSN_NODISCARD int rsn_keypair_sign_entry(const rsn_keypair_t *self, const uint8_t *entry,
                                         size_t len, uint8_t sig[RSN_SIG_BYTES]);

/* Signs MSG as is (Ed25519, no prefix): for signed notes. */
RSN_NODISCARD int rsn_keypair_sign(const rsn_keypair_t *self, const uint8_t *msg, size_t len,
                                   uint8_t sig[RSN_SIG_BYTES]);

/* The Curve25519 public key of an Ed25519 public key (for CURVE).
 * 0 or RSN_ERR_CRYPTO. */
RSN_NODISCARD int rsn_curve_public(uint8_t out[RSN_KEY_BYTES],
                                   const uint8_t ed25519_pk[RSN_KEY_BYTES]);

/* Writes the Curve25519 secret key of SELF into OUT, which the caller must
 * have allocated with rsn_secure_alloc(RSN_KEY_BYTES). 0 or RSN_ERR_CRYPTO. */
RSN_NODISCARD int rsn_keypair_curve_secret(const rsn_keypair_t *self, uint8_t *out);

/* Secure memory for secrets outside a keypair (passphrases, CURVE secrets):
 * sodium_malloc / sodium_free, wiped on free. */
void *rsn_secure_alloc(size_t len);
void rsn_secure_free(void *ptr);

/* Wipes and frees SELF; accepts NULL; sets *SELF_P to NULL. */
void rsn_keypair_destroy(rsn_keypair_t **self_p);

#endif
