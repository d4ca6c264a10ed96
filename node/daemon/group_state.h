/* group_state.h — a group's derived state (derive.h), kept as entries
 * arrive so that a group read and a membership check cost O(page + log n)
 * instead of O(charters + memberships):
 *
 *   'g' group          the group: its canonical chain (version ids), the
 *                      competitors of a dispute, its current name, how many
 *                      members it has, and whether its member records are
 *                      being recomputed (a charter changed the rules);
 *   'm' group member   one member's record: the spans of their own feed in
 *                      which they may post, the adds of them that stand, who
 *                      removed them last, whether they are in now;
 *   'e' group member i the facts of one membership event (log index i) that
 *                      concerns the member, so a record is recomputed from
 *                      that member's events alone;
 *   'n' name group     the name index (names compared exactly, as the
 *                      resolver always did);
 *   'h' author i       what an author wrote that the state depends on (a
 *                      charter, a membership), for forks and retractions;
 *   'k' kind key       queued background work (a group's members, a forked
 *                      author's records).
 *
 * group.c and membership.c stay the only place where the rules are decided:
 * the chain is computed by rsn_group_compute from the group's charters, and
 * a record by membership.c's functions over the member's valid events. This
 * module only decides WHEN to recompute and keeps the results. */
#ifndef RSN_D_GROUP_STATE_H
#define RSN_D_GROUP_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/err.h"
#include "crypto/crypto.h"
#include "daemon/derive.h"
#include "daemon/membership.h"
#include "store/store.h"

/* Where derived state is read from: the store (a view), or a derive step
 * (which sees its own puts first). */
typedef struct {
    rsn_store_t *store;
    rsn_dx_t *dx; /* NULL: read the store */
} rsn_gs_src_t;

/* A group's derived state ('g'). */
typedef struct {
    bool founded;        /* a valid charter v1 is held */
    bool updating;       /* member records are being recomputed in the background */
    uint64_t n_joined;   /* records in as an open group counts them (owners apart) */
    uint64_t n_spanned;  /* records in as a members-only group counts them (owners apart) */
    uint64_t n_subjects; /* members with at least one event ('e') */
    const char *name;    /* the current name ("" when not founded) */
    size_t n_chain;      /* version 1 first */
    const uint8_t (*chain)[RSN_ID_BYTES];
    size_t n_dispute;
    const uint8_t (*dispute)[RSN_ID_BYTES];
} rsn_gs_group_t;

/* One member's record ('m'). */
#define RSN_GS_OWNER 0x01   /* an owner of the current charter */
#define RSN_GS_JOINED 0x02  /* the latest own join or leave is a join */
#define RSN_GS_SPANNED 0x04 /* inside an open span after everything held */
#define RSN_GS_REMOVED 0x08 /* a remove of them is held */
typedef struct {
    uint8_t flags;
    const uint8_t *joined_charter;  /* RSN_GS_JOINED: the version that join acknowledged */
    const uint8_t *spanned_charter; /* RSN_GS_SPANNED: that of the join opening the span */
    const uint8_t *removed_by;      /* RSN_GS_REMOVED: the author of the latest remove */
    size_t n_spans;
    rsn_span_t *spans;
    size_t n_adds;
    rsn_membership_t *adds; /* the adds that stand (no remove undoes them) */
} rsn_gs_member_t;

/* Reads GROUP's state into *OUT (strings and arrays from ARENA). 0;
 * RSN_ERR_NOT_FOUND when nothing is derived of it; RSN_ERR_IO. */
RSN_NODISCARD int rsn_gs_group_read(const rsn_gs_src_t *src, rsn_arena_t *arena,
                                    const uint8_t group[RSN_ID_BYTES], rsn_gs_group_t *out);

/* Reads MEMBER's record in GROUP into *OUT (from ARENA; its adds name
 * MEMBER). 0; RSN_ERR_NOT_FOUND (no record: no valid event concerns them);
 * RSN_ERR_IO. */
RSN_NODISCARD int rsn_gs_member_read(const rsn_gs_src_t *src, rsn_arena_t *arena,
                                     const uint8_t group[RSN_ID_BYTES],
                                     const uint8_t member[RSN_KEY_BYTES], rsn_gs_member_t *out);

/* Decodes the record VALUE/LEN of MEMBER (as rsn_gs_member_read). */
RSN_NODISCARD int rsn_gs_member_decode(rsn_arena_t *arena, const uint8_t *value, size_t len,
                                       const uint8_t member[RSN_KEY_BYTES], rsn_gs_member_t *out);

/* The deriver (derive.c's table). */
extern const rsn_deriver_t rsn_groupstate_deriver;

/* Tests: how many members a group may have for a charter change to
 * recompute them inline, in the step of the charter (beyond: background
 * work behind the group's flag). */
void rsn_gs_set_inline_max(size_t n);

#endif
