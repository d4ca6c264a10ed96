/* note.h — C2SP signed notes and tlog-checkpoints (c2sp.org/signed-note,
 * c2sp.org/tlog-checkpoint), the formats in which a node publishes its signed
 * Merkle log heads so that standard transparency tooling can check them.
 *
 * A signed note is a text (UTF-8, no control characters but newline, ending
 * in a newline), a blank line, then signature lines
 * "— NAME base64(keyid(4) || Ed25519 signature(64))\n" (— is U+2014). The
 * signature covers the text, final newline included. The key id is the first
 * 4 bytes of SHA-256(NAME || 0x0A || 0x01 || public key); a verifier key reads
 * "NAME+keyid-hex+base64(0x01 || public key)". A checkpoint's text is
 * "origin\n" "tree size in decimal\n" "base64(root hash)\n"; in raison the
 * origin, which is also the key name, is "raison/" + the node key in hex.
 *
 * Everything here works on caller buffers and allocates nothing. Every input
 * is bounded: a note or checkpoint text is at most RSN_NOTE_MAX bytes, a key
 * name at most RSN_NOTE_NAME_MAX bytes. Only Ed25519 (type 0x01) is known. */
#ifndef RSN_NOTE_H
#define RSN_NOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"
#include "crypto/keypair.h"

#define RSN_NOTE_MAX 16384          /* bytes of a whole signed note, NUL excluded */
#define RSN_NOTE_NAME_MAX 255       /* bytes of a key name or checkpoint origin */
#define RSN_NOTE_MAX_SIGNATURES 100 /* signature lines a note may carry */
#define RSN_NOTE_KEY_ID_BYTES 4
#define RSN_NOTE_KEY_TYPE_ED25519 0x01
/* Room for a verifier key: NAME "+" 8 hex "+" base64(33 bytes), and a NUL. */
#define RSN_NOTE_VKEY_MAX (RSN_NOTE_NAME_MAX + 1 + 8 + 1 + 44 + 1)
/* Room for raison's origin / key name: "raison/" + 64 hex, and a NUL. */
#define RSN_NOTE_ORIGIN_PREFIX "raison/"
#define RSN_NOTE_RAISON_NAME_SIZE (7 + RSN_KEY_HEX + 1)

/* Tells whether NAME is a valid C2SP key name: 1 to RSN_NOTE_NAME_MAX bytes
 * of well-formed UTF-8 with no control character, no Unicode space and no
 * '+'. */
bool rsn_note_name_valid(const char *name);

/* OUT = the C2SP key id of an Ed25519 key: the first 4 bytes of
 * SHA-256(NAME || 0x0A || 0x01 || PUBKEY) (big-endian when read as a uint32).
 * Computes it for any NAME; validity is the caller's or the other calls'
 * concern. */
void rsn_note_key_id(const char *name, const uint8_t pubkey[RSN_KEY_BYTES],
                     uint8_t out[RSN_NOTE_KEY_ID_BYTES]) RSN_NONNULL(1, 2, 3);

/* Writes the verifier key "NAME+KEYIDHEX8+base64(0x01 || PUBKEY)" into OUT
 * (NUL-terminated; RSN_NOTE_VKEY_MAX bytes are always enough). 0, or
 * RSN_ERR_INVALID_ARG for an invalid NAME, RSN_ERR_TOO_LARGE when OUT is too
 * small. */
RSN_NODISCARD int rsn_note_verifier_key(const char *name, const uint8_t pubkey[RSN_KEY_BYTES],
                                        char *out, size_t size);

/* Parses a verifier key strictly: exactly NAME "+" 8 lowercase hex digits "+"
 * base64 of 0x01 followed by 32 bytes, nothing before or after (no newline),
 * a valid NAME, and a key id that is the one computed from NAME and the key.
 * Writes NAME (NUL-terminated) into NAME_OUT of SIZE bytes and the public key
 * into PUBKEY_OUT. 0, RSN_ERR_INVALID_ARG for anything else, or
 * RSN_ERR_TOO_LARGE when NAME_OUT is too small. */
RSN_NODISCARD int rsn_note_parse_verifier_key(const char *text, char *name_out, size_t size,
                                              uint8_t pubkey_out[RSN_KEY_BYTES]);

/* Writes raison's key name / checkpoint origin of a node key into OUT:
 * "raison/" + the key in lowercase hex. 0, or RSN_ERR_TOO_LARGE when OUT has
 * fewer than RSN_NOTE_RAISON_NAME_SIZE bytes. */
RSN_NODISCARD int rsn_note_raison_name(const uint8_t node_key[RSN_KEY_BYTES], char *out,
                                       size_t size);

/* Writes a C2SP tlog-checkpoint text "ORIGIN\n" "TREE_SIZE\n" "base64(ROOT)\n"
 * (no extension lines) into OUT, NUL-terminated. 0, RSN_ERR_INVALID_ARG when
 * ORIGIN is empty, longer than RSN_NOTE_NAME_MAX, not UTF-8 or holds a
 * control character, RSN_ERR_TOO_LARGE when OUT is too small. */
RSN_NODISCARD int rsn_checkpoint_text(const char *origin, uint64_t tree_size,
                                      const uint8_t root[RSN_HASH_BYTES], char *out, size_t size);

/* Parses a checkpoint text of TEXT_LEN bytes (as returned by rsn_note_verify;
 * no NUL needed) strictly: a non-empty origin of at most RSN_NOTE_NAME_MAX
 * bytes, a decimal tree size with no leading zero (except "0") that fits in
 * 64 bits, the base64 of exactly 32 bytes, each ending in a newline; any
 * extension lines after must be non-empty and are ignored. The whole text
 * must be valid note text. Writes the origin (NUL-terminated) into
 * ORIGIN_OUT of SIZE bytes, *TREE_SIZE and ROOT_OUT. 0, RSN_ERR_INVALID_ARG
 * when malformed, RSN_ERR_TOO_LARGE when ORIGIN_OUT is too small. */
RSN_NODISCARD int rsn_checkpoint_parse(const char *text, size_t text_len, char *origin_out,
                                       size_t size, uint64_t *tree_size,
                                       uint8_t root_out[RSN_HASH_BYTES]);

/* Signs TEXT (NUL-terminated) as a C2SP signed note with KEYPAIR under key
 * name NAME, and writes the whole note into OUT, NUL-terminated: TEXT, "\n",
 * then "— NAME base64(keyid || signature)\n". TEXT must be non-empty valid
 * note text ending in "\n" (UTF-8, no control character but newline).
 * 0, RSN_ERR_INVALID_ARG for a bad TEXT or NAME, RSN_ERR_TOO_LARGE when the
 * note would exceed RSN_NOTE_MAX or OUT, RSN_ERR_CRYPTO if signing fails. */
RSN_NODISCARD int rsn_note_sign(const rsn_keypair_t *keypair, const char *name, const char *text,
                                char *out, size_t size);

/* Verifies the signed note NOTE of LEN bytes (no NUL needed) for the Ed25519
 * key PUBKEY named NAME. The text is everything before the last blank line;
 * every signature line must be well formed; lines by other keys (another
 * name or key id) are ignored, as C2SP requires. On success, *TEXT_LEN (when
 * not NULL) is the length of the signed text, which starts at NOTE.
 * Returns 0 when at least one signature by that key verifies and none fails;
 * RSN_ERR_BAD_SIGNATURE when a signature by that key does not verify;
 * RSN_ERR_NOT_FOUND when no signature by that key is present;
 * RSN_ERR_INVALID_ARG when the note is malformed or NAME invalid;
 * RSN_ERR_TOO_LARGE when LEN exceeds RSN_NOTE_MAX. */
RSN_NODISCARD int rsn_note_verify(const char *note, size_t len, const char *name,
                                  const uint8_t pubkey[RSN_KEY_BYTES], size_t *text_len);

#endif
