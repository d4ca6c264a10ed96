/* group_state_internal.h — what group_state.c and group_state_codec.c share:
 * the encoders and decoders of the derived group state's values. Private
 * to those two files. */
#ifndef RSN_D_GROUP_STATE_INTERNAL_H
#define RSN_D_GROUP_STATE_INTERNAL_H

#include "daemon/group_state.h"

/* One membership event's facts ('e'), and the body they stand for: the
 * fields the rules read, with lengths the rules judge kept (a field of an
 * invalid length comes back one byte long). */
typedef struct {
    const uint8_t *id;
    const uint8_t *author;
    uint64_t seq;
    Raison__Membership body;
} rsn_gs_event_t;

/* Reads KEY through SRC into *VALUE (from ARENA, or the step's arena). */
RSN_NODISCARD int rsn_gs_get(const rsn_gs_src_t *src, rsn_arena_t *arena, const uint8_t *key,
                             size_t kl, uint8_t **value, size_t *len);

RSN_NODISCARD int rsn_gs_group_decode(rsn_arena_t *arena, const uint8_t *v, size_t len,
                                      rsn_gs_group_t *out);
uint8_t *rsn_gs_group_encode(rsn_arena_t *arena, const rsn_gs_group_t *g, size_t *len);
uint8_t *rsn_gs_member_encode(rsn_arena_t *arena, const rsn_gs_member_t *m, size_t *len);

/* The facts of membership L (its body decoded). */
uint8_t *rsn_gs_event_encode(rsn_arena_t *arena, const rsn_loaded_t *l, size_t *len);
/* Decodes facts V/LEN of an event of MEMBER in GROUP (OUT points into V). */
RSN_NODISCARD int rsn_gs_event_decode(const uint8_t *v, size_t len,
                                      const uint8_t group[RSN_ID_BYTES],
                                      const uint8_t member[RSN_KEY_BYTES], rsn_gs_event_t *out);

#endif
