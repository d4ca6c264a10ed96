/* crypto.c — hashing, entry signatures and text encodings over libsodium.
 *
 * Implements crypto.h. Entry signatures cover "raison-entry-v1" 0x00 followed
 * by the entry's bytes; plain Ed25519 cannot be fed in pieces, so the verifier
 * lays prefix and entry side by side in a stack buffer sized for the largest
 * entry the wire format allows (RSN_ENTRY_MAX of common/limits.h, 1024 bytes,
 * repeated here because crypto depends on nothing of ours). Longer entries
 * are invalid anyway: verification refuses them with RSN_ERR_BAD_SIGNATURE
 * and never allocates. The encoders are libsodium's constant-time ones, used
 * strictly: the whole input must decode, with nothing left over. */
#include "crypto/crypto.h"

#include <assert.h>
#include <string.h>

#include <sodium.h>

int rsn_crypto_init(void)
{
    if (sodium_init() < 0) {
        return RSN_ERR_CRYPTO;
    }
    return 0;
}

void rsn_sha256(uint8_t out[RSN_HASH_BYTES], const void *data, size_t len)
{
    crypto_hash_sha256(out, data, len);
}

void rsn_sha256_pair(uint8_t out[RSN_HASH_BYTES], const void *a, size_t alen, const void *b,
                     size_t blen)
{
    crypto_hash_sha256_state st;

    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, a, alen);
    crypto_hash_sha256_update(&st, b, blen);
    crypto_hash_sha256_final(&st, out);
}

void rsn_entry_id(uint8_t id[RSN_ID_BYTES], const uint8_t *entry, size_t len)
{
    crypto_hash_sha256(id, entry, len);
}

/* Lays "raison-entry-v1" 0x00 ENTRY into BUF; returns its length. */
static size_t signed_message(uint8_t buf[RSN_ENTRY_SIGNED_MAX], const uint8_t *entry, size_t len)
{
    assert(len <= RSN_ENTRY_MAX);
    memcpy(buf, RSN_ENTRY_SIGN_PREFIX, RSN_ENTRY_SIGN_PREFIX_LEN); /* NUL included */
    if (len > 0) {
        memcpy(buf + RSN_ENTRY_SIGN_PREFIX_LEN, entry, len);
    }
    return RSN_ENTRY_SIGN_PREFIX_LEN + len;
}

int rsn_entry_verify(const uint8_t author[RSN_KEY_BYTES], const uint8_t *entry, size_t len,
                     const uint8_t sig[RSN_SIG_BYTES])
{
    uint8_t buf[RSN_ENTRY_SIGNED_MAX];
    size_t n;

    if (len > RSN_ENTRY_MAX || (entry == NULL && len > 0)) {
        return RSN_ERR_BAD_SIGNATURE;
    }
    n = signed_message(buf, entry, len);
    if (crypto_sign_verify_detached(sig, buf, n, author) != 0) {
        return RSN_ERR_BAD_SIGNATURE;
    }
    return 0;
}

int rsn_signature_verify(const uint8_t pk[RSN_KEY_BYTES], const uint8_t *msg, size_t len,
                         const uint8_t sig[RSN_SIG_BYTES])
{
    if (crypto_sign_verify_detached(sig, msg, len, pk) != 0) {
        return RSN_ERR_BAD_SIGNATURE;
    }
    return 0;
}

bool rsn_equal(const void *a, const void *b, size_t n)
{
    return sodium_memcmp(a, b, n) == 0;
}

void rsn_random(void *buf, size_t len)
{
    randombytes_buf(buf, len);
}

char *rsn_hex_encode(char *out, size_t out_size, const uint8_t *bin, size_t len)
{
    /* a short OUT is the caller's bug; libsodium would abort on it */
    assert(len <= (SIZE_MAX - 1) / 2 && out_size >= 2 * len + 1);
    if (out_size < 2 * len + 1) {
        if (out_size > 0) {
            out[0] = '\0';
        }
        return out;
    }
    return sodium_bin2hex(out, out_size, bin, len);
}

int rsn_hex_decode(uint8_t *out, size_t out_max, size_t *out_len, const char *hex)
{
    size_t hex_len;
    size_t bin_len = 0;

    if (hex == NULL || out == NULL) {
        return RSN_ERR_INVALID_ARG;
    }
    hex_len = strlen(hex);
    if (hex_len % 2 != 0 || hex_len / 2 > out_max) {
        return RSN_ERR_INVALID_ARG;
    }
    /* hex_end NULL: libsodium fails unless the whole string is consumed */
    if (sodium_hex2bin(out, out_max, hex, hex_len, NULL, &bin_len, NULL) != 0 ||
        bin_len != hex_len / 2) {
        return RSN_ERR_INVALID_ARG;
    }
    if (out_len != NULL) {
        *out_len = bin_len;
    }
    return 0;
}

int rsn_key_from_hex(uint8_t out[RSN_KEY_BYTES], const char *hex)
{
    uint8_t tmp[RSN_KEY_BYTES];
    size_t n = 0;

    if (hex == NULL || strlen(hex) != RSN_KEY_HEX) {
        return RSN_ERR_INVALID_ARG;
    }
    if (rsn_hex_decode(tmp, sizeof tmp, &n, hex) != 0 || n != RSN_KEY_BYTES) {
        return RSN_ERR_INVALID_ARG;
    }
    memcpy(out, tmp, RSN_KEY_BYTES);
    return 0;
}

size_t rsn_base64_encoded_size(size_t len)
{
    return sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
}

char *rsn_base64_encode(char *out, size_t out_size, const uint8_t *bin, size_t len)
{
    size_t need = rsn_base64_encoded_size(len);

    /* a short OUT is the caller's bug; libsodium would abort on it */
    assert(out_size >= need);
    if (out_size < need) {
        if (out_size > 0) {
            out[0] = '\0';
        }
        return out;
    }
    return sodium_bin2base64(out, out_size, bin, len, sodium_base64_VARIANT_ORIGINAL);
}

char *rsn_base64url_encode(char *out, size_t out_size, const uint8_t *bin, size_t len)
{
    size_t need = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);

    assert(out_size >= need);
    if (out_size < need) {
        if (out_size > 0) {
            out[0] = '\0';
        }
        return out;
    }
    return sodium_bin2base64(out, out_size, bin, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int rsn_base64_decode(uint8_t *out, size_t out_max, size_t *out_len, const char *text,
                      size_t text_len)
{
    size_t bin_len = 0;

    if (out == NULL || (text == NULL && text_len > 0)) {
        return RSN_ERR_INVALID_ARG;
    }
    if (text_len == 0) {
        if (out_len != NULL) {
            *out_len = 0;
        }
        return 0;
    }
    /* padded input comes in groups of four; b64_end NULL: whole text consumed */
    if (text_len % 4 != 0 || sodium_base642bin(out, out_max, text, text_len, NULL, &bin_len, NULL,
                                               sodium_base64_VARIANT_ORIGINAL) != 0) {
        return RSN_ERR_INVALID_ARG;
    }
    if (out_len != NULL) {
        *out_len = bin_len;
    }
    return 0;
}
