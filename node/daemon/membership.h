/* membership.h — who is in a group, as a pure function of the membership
 * entries held: spans in a member's own feed, opened by a join that answers
 * an owner's add and closed by a leave or by a remove (DESIGN.md
 * "Membership"; docs/design-notes.md "Members-only groups" gives the rules
 * this module decides).
 *
 * Everything here is judged by feed order (seq), never by claimed clocks,
 * and reads the events as a set: any order of the same events gives the same
 * answers, so every node holding the same entries shows the same members
 * whatever order they arrived in. group.c loads the valid events of a group
 * (the rules of each action kept) and asks this module. */
#ifndef RSN_D_MEMBERSHIP_H
#define RSN_D_MEMBERSHIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"
#include "proto/codec.h"

/* One valid membership event; the pointers are owned by the caller. */
typedef struct {
    const uint8_t *id;      /* the entry's id */
    const uint8_t *author;  /* who wrote it: the member (join, leave), an owner (add, remove) */
    const uint8_t *member;  /* whom it concerns (the author for a join or a leave) */
    uint64_t seq;           /* its seq in its author's feed */
    Raison__Action action;  /* join, leave, add or remove */
    uint64_t member_seq;    /* add, remove: the member's head as the owner's node held it */
    const uint8_t *answers; /* join: the id of the add it answers, or NULL */
    const uint8_t *charter; /* join: the charter version acknowledged, or NULL */
} rsn_membership_t;

/* True when the valid remove R undoes the valid add A of the same member:
 * by the same owner, R comes later in its feed; by two owners, R's
 * member_seq is at or past A's (a tie is the remove's). */
bool rsn_membership_undoes(const rsn_membership_t *r, const rsn_membership_t *a);

/* True when seq SEQ of KEY's feed falls inside an open span among the N
 * events EV: a join of KEY below SEQ answers an add of KEY that no remove
 * undoes and whose member_seq is below the join, and no leave of KEY lies
 * between them, nor the member_seq of a remove that undoes that add (a
 * span is (join, close]: a remove's member_seq is the last seq it keeps).
 * *JOIN (may be NULL) gets the latest join opening such a span. */
bool rsn_membership_in_span(const rsn_membership_t *ev, size_t n, const uint8_t key[RSN_KEY_BYTES],
                            uint64_t seq, const rsn_membership_t **join);

/* One span of a member's feed: seqs in (open, close] (open is the join). */
typedef struct {
    uint64_t open, close;
} rsn_span_t;

/* The non-empty spans of KEY among the N events EV, into OUT (room for N):
 * their number. A seq is inside an open span (rsn_membership_in_span) exactly
 * when rsn_membership_spans_hold says so of these. */
size_t rsn_membership_spans(const rsn_membership_t *ev, size_t n, const uint8_t key[RSN_KEY_BYTES],
                            rsn_span_t *out);

/* True when SEQ falls inside one of the N SPANS. */
bool rsn_membership_spans_hold(const rsn_span_t *spans, size_t n, uint64_t seq);

/* The adds of MEMBER among EV that no remove undoes, copied into OUT (room
 * for N): their number. rsn_membership_standing_add and _add_stands answer
 * the same over these alone as over every event. */
size_t rsn_membership_standing_adds(const rsn_membership_t *ev, size_t n,
                                    const uint8_t member[RSN_KEY_BYTES], rsn_membership_t *out);

/* Open groups: true when the latest join or leave of KEY below SEQ (feed
 * order) is a join, which *JOIN (may be NULL) gets. */
bool rsn_membership_joined(const rsn_membership_t *ev, size_t n, const uint8_t key[RSN_KEY_BYTES],
                           uint64_t seq, const rsn_membership_t **join);

/* The add a join of MEMBER at seq SEQ would answer: an add of MEMBER no
 * remove undoes, with member_seq below SEQ; of several, the one with the
 * largest member_seq, then the smallest id. NULL when none. */
const rsn_membership_t *rsn_membership_standing_add(const rsn_membership_t *ev, size_t n,
                                                    const uint8_t member[RSN_KEY_BYTES],
                                                    uint64_t seq);

/* True when ID is an add of MEMBER that a join at seq SEQ may answer: no
 * remove undoes it and its member_seq is below SEQ. */
bool rsn_membership_add_stands(const rsn_membership_t *ev, size_t n,
                               const uint8_t member[RSN_KEY_BYTES], uint64_t seq,
                               const uint8_t id[RSN_ID_BYTES]);

/* The remove of MEMBER with the largest member_seq (then the largest seq,
 * then the smallest id), NULL when none: what a refusal names. */
const rsn_membership_t *rsn_membership_last_remove(const rsn_membership_t *ev, size_t n,
                                                   const uint8_t member[RSN_KEY_BYTES]);

#endif
