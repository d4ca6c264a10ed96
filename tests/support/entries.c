/* support/entries.c — signed entries made the way an author makes them:
 * body hash, Entry header, Ed25519 signature over the packed header, id =
 * SHA-256 of the packed header (crypto/ does the hashing and signing, proto/
 * the packing). */
#include "support/entries.h"

#include <stdlib.h>
#include <string.h>

#include "proto/codec.h"
#include "support/keys.h"

int rsn_test_sign_packed(const rsn_keypair_t *kp, uint8_t *entry, size_t entry_len,
                         rsn_test_signed_t *out)
{
    out->entry = entry;
    out->entry_len = entry_len;
    out->author = rsn_keypair_public(kp);
    int rc = rsn_keypair_sign_entry(kp, entry, entry_len, out->sig);
    if (rc != 0) {
        return rc;
    }
    rsn_entry_id(out->id, entry, entry_len);
    return 0;
}

/* Makes AUTHOR's entry H over BODY, which already lives in ARENA (kept by
 * reference), and its id; no signature. */
static int make_in_arena(rsn_arena_t *arena, const uint8_t *author, const rsn_test_header_t *h,
                         uint8_t *body, size_t body_len, rsn_test_signed_t *out)
{
    uint8_t hash[RSN_HASH_BYTES];
    Raison__Entry e = RAISON__ENTRY__INIT;

    memset(out, 0, sizeof *out);
    out->body = body;
    out->body_len = body_len;
    out->author = author;
    rsn_sha256(hash, body, body_len);
    e.author.data = (uint8_t *)author;
    e.author.len = RSN_KEY_BYTES;
    e.seq = h->seq;
    if (h->prev != NULL) {
        e.prev.data = (uint8_t *)h->prev;
        e.prev.len = RSN_ID_BYTES;
    }
    e.timestamp = h->timestamp_ms;
    e.kind = h->kind;
    e.body_hash.data = hash;
    e.body_hash.len = RSN_HASH_BYTES;
    e.body_size = (uint32_t)body_len;
    int rc = rsn_pack(arena, &e.base, &out->entry, &out->entry_len);
    if (rc != 0) {
        return rc;
    }
    rsn_entry_id(out->id, out->entry, out->entry_len);
    return 0;
}

/* Signs H over BODY, which already lives in ARENA (kept by reference). */
static int sign_in_arena(rsn_arena_t *arena, const rsn_keypair_t *kp, const rsn_test_header_t *h,
                         uint8_t *body, size_t body_len, rsn_test_signed_t *out)
{
    int rc = make_in_arena(arena, rsn_keypair_public(kp), h, body, body_len, out);
    if (rc != 0) {
        return rc;
    }
    return rsn_test_sign_packed(kp, out->entry, out->entry_len, out);
}

int rsn_test_entry_make(rsn_arena_t *arena, const uint8_t *author, const rsn_test_header_t *h,
                        const ProtobufCMessage *body, rsn_test_signed_t *out)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    int rc = rsn_pack(arena, body, &bytes, &len);
    if (rc != 0) {
        return rc;
    }
    return make_in_arena(arena, author, h, bytes, len, out);
}

int rsn_test_entry_sign(const rsn_keypair_t *kp, rsn_test_signed_t *s)
{
    return rsn_keypair_sign_entry(kp, s->entry, s->entry_len, s->sig);
}

int rsn_test_sign_body(rsn_arena_t *arena, const rsn_keypair_t *kp, const rsn_test_header_t *h,
                       const uint8_t *body, size_t body_len, rsn_test_signed_t *out)
{
    /* one byte more, so an empty body still has an address */
    uint8_t *copy = rsn_arena_alloc(arena, body_len + 1);
    if (copy == NULL) {
        return RSN_ERR_NOMEM;
    }
    if (body_len > 0) {
        memcpy(copy, body, body_len);
    }
    return sign_in_arena(arena, kp, h, copy, body_len, out);
}

int rsn_test_sign_message(rsn_arena_t *arena, const rsn_keypair_t *kp, const rsn_test_header_t *h,
                          const ProtobufCMessage *body, rsn_test_signed_t *out)
{
    int rc = rsn_test_entry_make(arena, rsn_keypair_public(kp), h, body, out);
    if (rc != 0) {
        return rc;
    }
    return rsn_test_sign_packed(kp, out->entry, out->entry_len, out);
}

Raison__SignedEntry *rsn_test_signed_wire(rsn_arena_t *arena, const rsn_test_signed_t *s,
                                          bool with_body)
{
    Raison__SignedEntry *se = rsn_arena_alloc(arena, sizeof *se);
    uint8_t *sig = rsn_arena_memdup(arena, s->sig, RSN_SIG_BYTES);
    if (se == NULL || sig == NULL) {
        return NULL;
    }
    raison__signed_entry__init(se);
    se->entry.data = s->entry;
    se->entry.len = s->entry_len;
    se->signature.data = sig;
    se->signature.len = RSN_SIG_BYTES;
    if (with_body) {
        se->body.data = s->body;
        se->body.len = s->body_len;
    }
    return se;
}

int rsn_test_signed_pack(rsn_arena_t *arena, const rsn_test_signed_t *s, uint8_t **out, size_t *len)
{
    Raison__SignedEntry *se = rsn_test_signed_wire(arena, s, true);
    if (se == NULL) {
        return RSN_ERR_NOMEM;
    }
    return rsn_pack(arena, &se->base, out, len);
}

int rsn_test_author_new(rsn_test_author_t **out, uint8_t seed_byte)
{
    rsn_test_author_t *a = calloc(1, sizeof *a);
    if (a == NULL) {
        return RSN_ERR_NOMEM;
    }
    int rc = rsn_test_keypair_seeded(&a->kp, seed_byte);
    if (rc != 0) {
        free(a);
        return rc;
    }
    memcpy(a->pk, rsn_keypair_public(a->kp), RSN_KEY_BYTES);
    *out = a;
    return 0;
}

void rsn_test_author_destroy(rsn_test_author_t **self_p)
{
    if (self_p == NULL || *self_p == NULL) {
        return;
    }
    rsn_keypair_destroy(&(*self_p)->kp);
    free(*self_p);
    *self_p = NULL;
}

int rsn_test_author_sign(rsn_arena_t *arena, const rsn_test_author_t *a, uint64_t seq,
                         Raison__Kind kind, const ProtobufCMessage *body, uint64_t timestamp_ms,
                         rsn_test_signed_t *out)
{
    if (seq == 0 || seq >= RSN_TEST_AUTHOR_SEQ_MAX) {
        return RSN_ERR_INVALID_ARG;
    }
    rsn_test_header_t h = {
        .seq = seq,
        .prev = seq > 1 ? a->ids[seq - 1] : NULL,
        .timestamp_ms = timestamp_ms,
        .kind = kind,
    };
    return rsn_test_sign_message(arena, a->kp, &h, body, out);
}

int rsn_test_author_advance(rsn_test_author_t *a, const uint8_t id[RSN_ID_BYTES])
{
    if (a->seq + 1 >= RSN_TEST_AUTHOR_SEQ_MAX) {
        return RSN_ERR_TOO_LARGE;
    }
    a->seq++;
    memcpy(a->ids[a->seq], id, RSN_ID_BYTES);
    return 0;
}
