/* codec.h — bounded decoding and encoding of raison's protobuf messages.
 *
 * The thin wrapper over the protobuf-c code generated from raison.proto (see
 * the build folder's raison.pb-c.h for the message structs). Every decode
 * checks sizes before unpacking and allocates from an arena, so callers free
 * one arena rather than message trees. The header checks here are the
 * structural ones of DESIGN.md that need no state: lengths of keys, ids and
 * hashes, a known kind, the size limits. */
#ifndef RSN_CODEC_H
#define RSN_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/err.h"
#include "common/limits.h"
#include "raison.pb-c.h"

/* A protobuf-c allocator that takes memory from ARENA (free is a no-op). */
ProtobufCAllocator rsn_arena_allocator(rsn_arena_t *arena);

/* Decodes an Entry header and checks its structure: at most RSN_ENTRY_MAX
 * bytes (RSN_ERR_TOO_LARGE), author of 32 bytes, seq >= 1, prev empty for seq
 * 1 and 32 bytes after, a kind from 1 to 5, body_hash of 32 bytes, body_size
 * at most RSN_BODY_MAX (RSN_ERR_TOO_LARGE); anything else is
 * RSN_ERR_BAD_ENTRY. WHY (may be NULL) receives a sentence for people. */
RSN_NODISCARD int rsn_entry_decode(rsn_arena_t *arena, const uint8_t *bytes, size_t len,
                                   Raison__Entry **out, char *why, size_t why_size);

/* Decodes BYTES as the body of an entry of KIND into *OUT (a
 * Raison__Charter*, Raison__Membership*, Raison__Post*, Raison__Profile* or
 * Raison__Retraction*). RSN_ERR_TOO_LARGE over RSN_BODY_MAX,
 * RSN_ERR_INVALID_BODY when it does not decode. */
RSN_NODISCARD int rsn_body_decode(rsn_arena_t *arena, Raison__Kind kind, const uint8_t *bytes,
                                  size_t len, void **out);

/* Decodes an ApiRequest of at most RSN_REQUEST_MAX bytes: RSN_ERR_TOO_LARGE,
 * RSN_ERR_BAD_REQUEST when it is not one. */
RSN_NODISCARD int rsn_request_decode(rsn_arena_t *arena, const uint8_t *bytes, size_t len,
                                     Raison__ApiRequest **out);

/* Decodes a SignedEntry (a stored 'E' value, a pending file, a relayed
 * entry) of at most RSN_SIGNED_ENTRY_MAX bytes: RSN_ERR_TOO_LARGE, or
 * RSN_ERR_BAD_ENTRY when it is not one. Only the framing is checked: decode
 * its entry with rsn_entry_decode. */
RSN_NODISCARD int rsn_signed_entry_decode(rsn_arena_t *arena, const uint8_t *bytes, size_t len,
                                          Raison__SignedEntry **out);

/* Decodes a ForkEvidence of at most RSN_FORK_EVIDENCE_MAX bytes:
 * RSN_ERR_TOO_LARGE, or RSN_ERR_BAD_ENTRY when it is not one. */
RSN_NODISCARD int rsn_fork_evidence_decode(rsn_arena_t *arena, const uint8_t *bytes, size_t len,
                                           Raison__ForkEvidence **out);

/* Decodes a WitnessEvidence of at most RSN_WITNESS_EVIDENCE_MAX bytes:
 * RSN_ERR_TOO_LARGE, or RSN_ERR_BAD_REQUEST when it is not one. */
RSN_NODISCARD int rsn_witness_decode(rsn_arena_t *arena, const uint8_t *bytes, size_t len,
                                     Raison__WitnessEvidence **out);

/* Decodes a federation frame of at most RSN_FED_FRAME_MAX bytes:
 * RSN_ERR_TOO_LARGE, or RSN_ERR_BAD_REQUEST when it is not one. */
RSN_NODISCARD int rsn_fed_frame_decode(rsn_arena_t *arena, const uint8_t *bytes, size_t len,
                                       Raison__FedFrame **out);

/* Decodes an ApiReply of at most RSN_REPLY_MAX bytes into *OUT: RSN_ERR_TOO_LARGE,
 * or RSN_ERR_BAD_REQUEST when it is not one. With ARENA NULL the reply is
 * malloc'd: free it with rsn_reply_free. */
RSN_NODISCARD int rsn_reply_decode(rsn_arena_t *arena, const uint8_t *bytes, size_t len,
                                   Raison__ApiReply **out);

/* Frees a reply rsn_reply_decode made without an arena; accepts NULL. */
void rsn_reply_free(Raison__ApiReply *reply);

/* Serializes MSG into arena memory; *OUT and *LEN. RSN_ERR_NOMEM. */
RSN_NODISCARD int rsn_pack(rsn_arena_t *arena, const ProtobufCMessage *msg, uint8_t **out,
                           size_t *len);

/* True when KEY is a valid mission key: 1..RSN_MISSION_KEY_MAX of [a-z0-9-]. */
bool rsn_mission_key_valid(const char *key);

/* A short lowercase name for a kind ("charter", "post", ...). */
const char *rsn_kind_name(Raison__Kind kind);

/* The kind named NAME ("post", as rsn_kind_name says it); KIND_UNSPECIFIED
 * for any other. */
Raison__Kind rsn_kind_from_name(const char *name);

#endif
