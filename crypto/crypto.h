/* crypto.h — hashing, entry signatures and text encodings.
 *
 * The only module that calls libsodium. It knows the normative byte rules of
 * DESIGN.md: an entry's id is SHA-256 of its exact bytes, and its signature is
 * Ed25519 over "raison-entry-v1" 0x00 followed by those bytes. Everything
 * else in raison sees plain byte arrays of the sizes below. */
#ifndef RSN_CRYPTO_H
#define RSN_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/limits.h"

#define RSN_KEY_BYTES 32  /* Ed25519 public key, Curve25519 key */
#define RSN_SIG_BYTES 64  /* Ed25519 signature */
#define RSN_HASH_BYTES 32 /* SHA-256 */
#define RSN_ID_BYTES 32   /* entry id */
#define RSN_KEY_HEX 64    /* characters of a key or id in hex, without NUL */

/* The domain-separation prefix signed before an entry's bytes (16 bytes with
 * its trailing NUL, which is part of what is signed). */
#define RSN_ENTRY_SIGN_PREFIX "raison-entry-v1"
#define RSN_ENTRY_SIGN_PREFIX_LEN 16
/* bytes of the message an entry signature covers: prefix and entry */
#define RSN_ENTRY_SIGNED_MAX (RSN_ENTRY_SIGN_PREFIX_LEN + RSN_ENTRY_MAX)

/* Initialises libsodium; call once before anything else here. Returns 0, or
 * RSN_ERR_CRYPTO when libsodium cannot start. */
RSN_NODISCARD int rsn_crypto_init(void);

/* OUT = SHA-256(DATA). */
void rsn_sha256(uint8_t out[RSN_HASH_BYTES], const void *data, size_t len);

/* OUT = SHA-256(A || B): for the Merkle log's prefixed hashes. */
void rsn_sha256_pair(uint8_t out[RSN_HASH_BYTES], const void *a, size_t alen, const void *b,
                     size_t blen);

/* An entry's id: SHA-256 of its exact serialized bytes. */
void rsn_entry_id(uint8_t id[RSN_ID_BYTES], const uint8_t *entry, size_t len);

/* Checks SIG over "raison-entry-v1" 0x00 ENTRY under AUTHOR. Returns 0 when
 * it verifies, RSN_ERR_BAD_SIGNATURE otherwise. Allocates nothing. */
RSN_NODISCARD int rsn_entry_verify(const uint8_t author[RSN_KEY_BYTES], const uint8_t *entry,
                                   size_t len, const uint8_t sig[RSN_SIG_BYTES]);

/* One entry signature to check with rsn_entry_verify_many. */
typedef struct {
    const uint8_t *author; /* 32 bytes */
    const uint8_t *entry;
    size_t len;
    const uint8_t *signature; /* 64 bytes */
} rsn_verify_item_t;

/* Checks N entry signatures as rsn_entry_verify does, on up to THREADS
 * threads (0: one per core); RESULTS[i] gets 0 or RSN_ERR_BAD_SIGNATURE.
 * Small batches run on the calling thread. */
void rsn_entry_verify_many(const rsn_verify_item_t *items, size_t n, int *results, int threads);

/* The same check begun on THREADS threads (0: one per core) while the caller
 * goes on: ITEMS, what they point to and RESULTS stay the caller's, untouched
 * by it, until rsn_entry_verify_join. *JOB is NULL when nothing was begun
 * (no memory, or no thread could start): the join then checks on the
 * calling thread. */
typedef struct rsn_verify_job rsn_verify_job_t;
void rsn_entry_verify_start(const rsn_verify_item_t *items, size_t n, int *results, int threads,
                            rsn_verify_job_t **job);

/* Waits for *JOB (begun with ITEMS, N and RESULTS) and frees it; with a NULL
 * *JOB it checks the items here. Every RESULTS[i] is set on return. */
void rsn_entry_verify_join(rsn_verify_job_t **job, const rsn_verify_item_t *items, size_t n,
                           int *results);

/* Cores available to this process (1 to 8). */
int rsn_cpu_count(void);

/* Checks a plain Ed25519 detached signature over MSG (no prefix): for signed
 * notes and checkpoints. 0 or RSN_ERR_BAD_SIGNATURE. */
RSN_NODISCARD int rsn_signature_verify(const uint8_t pk[RSN_KEY_BYTES], const uint8_t *msg,
                                       size_t len, const uint8_t sig[RSN_SIG_BYTES]);

/* Constant-time comparison of N bytes: true when equal. */
bool rsn_equal(const void *a, const void *b, size_t n);

/* Fills BUF with LEN random bytes. */
void rsn_random(void *buf, size_t len);

/* Lowercase hex of BIN into OUT (needs 2*LEN+1 bytes), NUL-terminated.
 * Returns OUT. */
char *rsn_hex_encode(char *out, size_t out_size, const uint8_t *bin, size_t len);

/* Decodes the whole of HEX (upper or lower case, no separators) into OUT.
 * Returns 0 and sets *OUT_LEN, or RSN_ERR_INVALID_ARG for a character that is
 * not hex, an odd length, or more than OUT_MAX bytes. */
RSN_NODISCARD int rsn_hex_decode(uint8_t *out, size_t out_max, size_t *out_len, const char *hex);

/* Decodes exactly RSN_KEY_BYTES from 64 hex characters: a key or an id.
 * 0 or RSN_ERR_INVALID_ARG. */
RSN_NODISCARD int rsn_key_from_hex(uint8_t out[RSN_KEY_BYTES], const char *hex);

/* Bytes needed by rsn_base64_encode for LEN input bytes, NUL included. */
size_t rsn_base64_encoded_size(size_t len);

/* Standard base64 (RFC 4648, with padding) of BIN into OUT. Returns OUT. */
char *rsn_base64_encode(char *out, size_t out_size, const uint8_t *bin, size_t len);

/* Characters of the base64url (RFC 4648 section 5, no padding) of 32 bytes:
 * a web token (an invite). */
#define RSN_BASE64URL_32_LEN 43

/* Base64url without padding of BIN into OUT (needs 4*ceil(LEN/3)+1 bytes,
 * NUL included; 44 for 32 bytes). Returns OUT. */
char *rsn_base64url_encode(char *out, size_t out_size, const uint8_t *bin, size_t len);

/* Decodes standard padded base64 TEXT of TEXT_LEN characters into OUT.
 * 0 and *OUT_LEN, or RSN_ERR_INVALID_ARG (bad character, bad padding, too
 * long for OUT_MAX). */
RSN_NODISCARD int rsn_base64_decode(uint8_t *out, size_t out_max, size_t *out_len, const char *text,
                                    size_t text_len);

#endif
