/* support/entries.h — signed entries made the way an author makes them.
 *
 * Tests, tools and benchmarks need entries the node will take (and, to test
 * its refusals, entries it must not): pack the body, hash it, fill an Entry
 * header (author, seq, prev, timestamp, kind, body hash and size), pack it,
 * sign it, and take its id. That sequence lives here once; the CLI's own
 * signing path (node/cli) is the production one and is not used, so that a
 * test does not trust the code it tests. Everything is allocated in the
 * caller's arena. Functions return 0 or a negative rsn_err. */
#ifndef RSN_TEST_ENTRIES_H
#define RSN_TEST_ENTRIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/err.h"
#include "crypto/crypto.h"
#include "crypto/keypair.h"
#include "raison.pb-c.h"

/* One signed entry: the packed header, its signature, the body, the id. The
 * bytes live in the arena it was made in; AUTHOR in the signer's keypair. */
typedef struct {
    uint8_t *entry;
    size_t entry_len;
    uint8_t sig[RSN_SIG_BYTES];
    uint8_t *body;
    size_t body_len;
    uint8_t id[RSN_ID_BYTES];
    const uint8_t *author;
} rsn_test_signed_t;

/* What an entry's header says besides its body: its place in the feed (SEQ,
 * and PREV, the id of entry SEQ-1, NULL for none), its TIMESTAMP_MS
 * (milliseconds since the epoch; rsn_test_wall_ms() for now) and its KIND. */
typedef struct {
    uint64_t seq;
    const uint8_t *prev;
    uint64_t timestamp_ms;
    Raison__Kind kind;
} rsn_test_header_t;

/* Signs ENTRY (ENTRY_LEN packed bytes of an Entry, kept by reference) with
 * KP into OUT: entry, signature, id and author; the body is left alone.
 * RSN_ERR_TOO_LARGE when the entry is over the signing limit. */
RSN_NODISCARD int rsn_test_sign_packed(const rsn_keypair_t *kp, uint8_t *entry, size_t entry_len,
                                       rsn_test_signed_t *out);

/* Makes and signs KP's entry H over the BODY_LEN bytes at BODY (copied into
 * ARENA) into OUT. RSN_ERR_NOMEM, RSN_ERR_TOO_LARGE. */
RSN_NODISCARD int rsn_test_sign_body(rsn_arena_t *arena, const rsn_keypair_t *kp,
                                     const rsn_test_header_t *h, const uint8_t *body,
                                     size_t body_len, rsn_test_signed_t *out);

/* The same over BODY, a protobuf message packed into ARENA first. */
RSN_NODISCARD int rsn_test_sign_message(rsn_arena_t *arena, const rsn_keypair_t *kp,
                                        const rsn_test_header_t *h, const ProtobufCMessage *body,
                                        rsn_test_signed_t *out);

/* Makes the entry H of the author whose public key is AUTHOR (kept by
 * reference) over BODY (packed into ARENA), and its id, without signing it:
 * a program that signs many entries on several threads makes them in order
 * on one (the ids chain the feeds) and signs them later with
 * rsn_test_entry_sign. RSN_ERR_NOMEM. */
RSN_NODISCARD int rsn_test_entry_make(rsn_arena_t *arena, const uint8_t *author,
                                      const rsn_test_header_t *h, const ProtobufCMessage *body,
                                      rsn_test_signed_t *out);

/* Signs S, made by rsn_test_entry_make, with KP (the key of S's author):
 * S's signature. RSN_ERR_TOO_LARGE when the entry is over the signing limit;
 * safe to call from several threads at once on different entries. */
RSN_NODISCARD int rsn_test_entry_sign(const rsn_keypair_t *kp, rsn_test_signed_t *s);

/* A SignedEntry message (in ARENA, pointing into S; the signature copied, so
 * S may be a local) carrying S's body when WITH_BODY. NULL when out of
 * memory. */
Raison__SignedEntry *rsn_test_signed_wire(rsn_arena_t *arena, const rsn_test_signed_t *s,
                                          bool with_body);

/* S as the bytes of a SignedEntry (with its body) into *OUT and *LEN, in
 * ARENA. RSN_ERR_NOMEM. */
RSN_NODISCARD int rsn_test_signed_pack(rsn_arena_t *arena, const rsn_test_signed_t *s,
                                       uint8_t **out, size_t *len);

/* Longest feed an rsn_test_author_t remembers the ids of. */
#define RSN_TEST_AUTHOR_SEQ_MAX 64

/* An author whose feed a test writes: its keypair (from a seed, so runs
 * repeat), its public key, the seq of its last entry and the ids of its
 * entries by seq (ids[seq], so the next entry's prev is ids[seq]). */
typedef struct {
    rsn_keypair_t *kp;
    uint8_t pk[RSN_KEY_BYTES];
    uint64_t seq;
    uint8_t ids[RSN_TEST_AUTHOR_SEQ_MAX][RSN_ID_BYTES];
} rsn_test_author_t;

/* A new author whose seed is 32 bytes of SEED_BYTE, with an empty feed, into
 * *OUT (destroy with rsn_test_author_destroy). RSN_ERR_NOMEM. */
RSN_NODISCARD int rsn_test_author_new(rsn_test_author_t **out, uint8_t seed_byte);

/* Frees *SELF_P and its keypair; accepts NULL; sets *SELF_P to NULL. */
void rsn_test_author_destroy(rsn_test_author_t **self_p);

/* Signs A's entry SEQ of KIND over BODY stamped TIMESTAMP_MS into OUT, its
 * prev being A's entry SEQ-1 as remembered (none for seq 1). A's feed is not
 * advanced: rsn_test_author_advance does that once the entry is taken.
 * RSN_ERR_INVALID_ARG when SEQ is 0 or past RSN_TEST_AUTHOR_SEQ_MAX - 1. */
RSN_NODISCARD int rsn_test_author_sign(rsn_arena_t *arena, const rsn_test_author_t *a, uint64_t seq,
                                       Raison__Kind kind, const ProtobufCMessage *body,
                                       uint64_t timestamp_ms, rsn_test_signed_t *out);

/* Records ID as A's entry seq + 1 and advances A's feed. RSN_ERR_TOO_LARGE
 * when the feed is full. */
RSN_NODISCARD int rsn_test_author_advance(rsn_test_author_t *a, const uint8_t id[RSN_ID_BYTES]);

#endif
