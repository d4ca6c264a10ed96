/* codec.c — size-checked unpacking into arenas. */
#include "proto/codec.h"

#include <stdio.h>
#include <string.h>

#include "common/why.h"

static void *arena_alloc_cb(void *data, size_t size)
{
    return rsn_arena_alloc(data, size);
}

static void arena_free_cb(void *data, void *ptr)
{
    (void)data;
    (void)ptr;
}

ProtobufCAllocator rsn_arena_allocator(rsn_arena_t *arena)
{
    ProtobufCAllocator a = {arena_alloc_cb, arena_free_cb, arena};
    return a;
}

int rsn_entry_decode(rsn_arena_t *arena, const uint8_t *bytes, size_t len, Raison__Entry **out,
                     char *why, size_t why_size)
{
    *out = NULL;
    if (len > RSN_ENTRY_MAX) {
        return rsn_why(why, why_size, RSN_ERR_TOO_LARGE, "entry is over 1024 bytes");
    }
    ProtobufCAllocator a = rsn_arena_allocator(arena);
    Raison__Entry *e = raison__entry__unpack(&a, len, bytes);
    if (!e) {
        return rsn_why(why, why_size, RSN_ERR_BAD_ENTRY, "entry is not a protobuf Entry");
    }
    if (e->author.len != 32) {
        return rsn_why(why, why_size, RSN_ERR_BAD_ENTRY, "entry author is not 32 bytes");
    }
    if (e->seq < 1) {
        return rsn_why(why, why_size, RSN_ERR_BAD_ENTRY, "entry seq must be 1 or more");
    }
    if (e->seq == 1 && e->prev.len != 0) {
        return rsn_why(why, why_size, RSN_ERR_BAD_ENTRY, "entry seq 1 must have an empty prev");
    }
    if (e->seq > 1 && e->prev.len != 32) {
        return rsn_why(why, why_size, RSN_ERR_BAD_ENTRY, "entry prev is not a 32-byte id");
    }
    if (e->kind < RAISON__KIND__KIND_CHARTER || e->kind > RAISON__KIND__KIND_RETRACTION) {
        return rsn_why(why, why_size, RSN_ERR_BAD_ENTRY, "entry kind is unspecified or unknown");
    }
    if (e->body_hash.len != 32) {
        return rsn_why(why, why_size, RSN_ERR_BAD_ENTRY, "entry body_hash is not 32 bytes");
    }
    if (e->body_size > RSN_BODY_MAX) {
        return rsn_why(why, why_size, RSN_ERR_TOO_LARGE, "entry body_size is over 65536 bytes");
    }
    *out = e;
    return 0;
}

int rsn_body_decode(rsn_arena_t *arena, Raison__Kind kind, const uint8_t *bytes, size_t len,
                    void **out)
{
    *out = NULL;
    if (len > RSN_BODY_MAX) {
        return RSN_ERR_TOO_LARGE;
    }
    ProtobufCAllocator a = rsn_arena_allocator(arena);
    void *m = NULL;
    switch (kind) {
    case RAISON__KIND__KIND_CHARTER: m = raison__charter__unpack(&a, len, bytes); break;
    case RAISON__KIND__KIND_MEMBERSHIP: m = raison__membership__unpack(&a, len, bytes); break;
    case RAISON__KIND__KIND_POST: m = raison__post__unpack(&a, len, bytes); break;
    case RAISON__KIND__KIND_PROFILE: m = raison__profile__unpack(&a, len, bytes); break;
    case RAISON__KIND__KIND_RETRACTION: m = raison__retraction__unpack(&a, len, bytes); break;
    default: return RSN_ERR_INVALID_BODY;
    }
    if (!m) {
        return RSN_ERR_INVALID_BODY;
    }
    *out = m;
    return 0;
}

/* Unpacks LEN bytes as a DESC message into ARENA (malloc when NULL), after
 * the size check every decoder of outside bytes makes. */
static int unpack_bounded(rsn_arena_t *arena, const ProtobufCMessageDescriptor *desc,
                          const uint8_t *bytes, size_t len, size_t max, int bad, void **out)
{
    *out = NULL;
    if (len > max) {
        return RSN_ERR_TOO_LARGE;
    }
    ProtobufCAllocator a = rsn_arena_allocator(arena);
    ProtobufCMessage *m = protobuf_c_message_unpack(desc, arena ? &a : NULL, len, bytes);
    if (!m) {
        return bad;
    }
    *out = m;
    return 0;
}

int rsn_request_decode(rsn_arena_t *arena, const uint8_t *bytes, size_t len,
                       Raison__ApiRequest **out)
{
    return unpack_bounded(arena, &raison__api_request__descriptor, bytes, len, RSN_REQUEST_MAX,
                          RSN_ERR_BAD_REQUEST, (void **)out);
}

int rsn_signed_entry_decode(rsn_arena_t *arena, const uint8_t *bytes, size_t len,
                            Raison__SignedEntry **out)
{
    return unpack_bounded(arena, &raison__signed_entry__descriptor, bytes, len,
                          RSN_SIGNED_ENTRY_MAX, RSN_ERR_BAD_ENTRY, (void **)out);
}

int rsn_fork_evidence_decode(rsn_arena_t *arena, const uint8_t *bytes, size_t len,
                             Raison__ForkEvidence **out)
{
    return unpack_bounded(arena, &raison__fork_evidence__descriptor, bytes, len,
                          RSN_FORK_EVIDENCE_MAX, RSN_ERR_BAD_ENTRY, (void **)out);
}

int rsn_witness_decode(rsn_arena_t *arena, const uint8_t *bytes, size_t len,
                       Raison__WitnessEvidence **out)
{
    return unpack_bounded(arena, &raison__witness_evidence__descriptor, bytes, len,
                          RSN_WITNESS_EVIDENCE_MAX, RSN_ERR_BAD_REQUEST, (void **)out);
}

int rsn_fed_frame_decode(rsn_arena_t *arena, const uint8_t *bytes, size_t len,
                         Raison__FedFrame **out)
{
    return unpack_bounded(arena, &raison__fed_frame__descriptor, bytes, len, RSN_FED_FRAME_MAX,
                          RSN_ERR_BAD_REQUEST, (void **)out);
}

int rsn_reply_decode(rsn_arena_t *arena, const uint8_t *bytes, size_t len, Raison__ApiReply **out)
{
    return unpack_bounded(arena, &raison__api_reply__descriptor, bytes, len, RSN_REPLY_MAX,
                          RSN_ERR_BAD_REQUEST, (void **)out);
}

void rsn_reply_free(Raison__ApiReply *reply)
{
    if (reply) {
        raison__api_reply__free_unpacked(reply, NULL);
    }
}

int rsn_pack(rsn_arena_t *arena, const ProtobufCMessage *msg, uint8_t **out, size_t *len)
{
    size_t n = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = rsn_arena_alloc(arena, n ? n : 1);
    if (!buf) {
        return RSN_ERR_NOMEM;
    }
    *len = protobuf_c_message_pack(msg, buf);
    *out = buf;
    return 0;
}

bool rsn_mission_key_valid(const char *key)
{
    size_t n = strlen(key);
    if (n == 0 || n > RSN_MISSION_KEY_MAX) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = key[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
            return false;
        }
    }
    return true;
}

const char *rsn_kind_name(Raison__Kind kind)
{
    switch (kind) {
    case RAISON__KIND__KIND_CHARTER: return "charter";
    case RAISON__KIND__KIND_MEMBERSHIP: return "membership";
    case RAISON__KIND__KIND_POST: return "post";
    case RAISON__KIND__KIND_PROFILE: return "profile";
    case RAISON__KIND__KIND_RETRACTION: return "retraction";
    default: return "unspecified";
    }
}

Raison__Kind rsn_kind_from_name(const char *name)
{
    static const Raison__Kind kinds[] = {RAISON__KIND__KIND_CHARTER, RAISON__KIND__KIND_MEMBERSHIP,
                                         RAISON__KIND__KIND_POST, RAISON__KIND__KIND_PROFILE,
                                         RAISON__KIND__KIND_RETRACTION};
    for (size_t i = 0; name && i < sizeof kinds / sizeof kinds[0]; i++) {
        if (strcmp(rsn_kind_name(kinds[i]), name) == 0) {
            return kinds[i];
        }
    }
    return RAISON__KIND__KIND_UNSPECIFIED;
}
