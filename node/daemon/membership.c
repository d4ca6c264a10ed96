/* membership.c — spans of membership from a set of membership events
 * (membership.h).
 *
 * Each question is a scan over the events of one group, with no state kept
 * between calls and no dependence on the order of the array: a span is
 * found from a join (its answers, its seq), the add it names, and every
 * leave and remove of the same member, each compared by seq only. The rules
 * are written out in docs/design-notes.md "Members-only groups". */
#include "daemon/membership.h"

#include <string.h>

static bool same_key(const uint8_t *a, const uint8_t *b)
{
    return a && b && memcmp(a, b, RSN_KEY_BYTES) == 0;
}

static bool is(const rsn_membership_t *e, Raison__Action action, const uint8_t *member)
{
    return e->action == action && same_key(e->member, member);
}

bool rsn_membership_undoes(const rsn_membership_t *r, const rsn_membership_t *a)
{
    if (same_key(r->author, a->author)) {
        return r->seq > a->seq;
    }
    return r->member_seq >= a->member_seq;
}

/* True when some remove of A's member undoes add A. */
static bool undone(const rsn_membership_t *ev, size_t n, const rsn_membership_t *a)
{
    for (size_t i = 0; i < n; i++) {
        if (is(&ev[i], RAISON__ACTION__ACTION_REMOVE, a->member) &&
            rsn_membership_undoes(&ev[i], a)) {
            return true;
        }
    }
    return false;
}

/* The add of MEMBER whose id is ID, NULL when none is held. */
static const rsn_membership_t *find_add(const rsn_membership_t *ev, size_t n, const uint8_t *id,
                                        const uint8_t *member)
{
    for (size_t i = 0; id && i < n; i++) {
        if (is(&ev[i], RAISON__ACTION__ACTION_ADD, member) &&
            memcmp(ev[i].id, id, RSN_ID_BYTES) == 0) {
            return &ev[i];
        }
    }
    return NULL;
}

/* The last seq of the member's feed kept by the span JOIN opens, answering
 * ADD: before the first leave after it, and at most the member_seq of a
 * remove undoing ADD (the join itself when that member_seq is below it). */
static uint64_t span_close(const rsn_membership_t *ev, size_t n, const rsn_membership_t *join,
                           const rsn_membership_t *add)
{
    uint64_t close = UINT64_MAX;
    for (size_t i = 0; i < n; i++) {
        const rsn_membership_t *e = &ev[i];
        uint64_t at = UINT64_MAX;
        if (is(e, RAISON__ACTION__ACTION_LEAVE, join->member) &&
            same_key(e->author, join->member) && e->seq > join->seq) {
            at = e->seq - 1;
        } else if (is(e, RAISON__ACTION__ACTION_REMOVE, join->member) &&
                   rsn_membership_undoes(e, add)) {
            at = e->member_seq > join->seq ? e->member_seq : join->seq;
        }
        close = at < close ? at : close;
    }
    return close;
}

/* True when JOIN (a join by KEY) opens a span: it answers an add of KEY
 * held, whose member_seq is below the join; *CLOSE gets the span's last seq. */
static bool join_span(const rsn_membership_t *ev, size_t n, const rsn_membership_t *j,
                      const uint8_t key[RSN_KEY_BYTES], uint64_t *close)
{
    if (!is(j, RAISON__ACTION__ACTION_JOIN, key) || !same_key(j->author, key)) {
        return false;
    }
    const rsn_membership_t *add = find_add(ev, n, j->answers, key);
    if (!add || add->member_seq >= j->seq) {
        return false;
    }
    *close = span_close(ev, n, j, add);
    return true;
}

bool rsn_membership_in_span(const rsn_membership_t *ev, size_t n, const uint8_t key[RSN_KEY_BYTES],
                            uint64_t seq, const rsn_membership_t **join)
{
    const rsn_membership_t *best = NULL;
    for (size_t i = 0; i < n; i++) {
        const rsn_membership_t *j = &ev[i];
        uint64_t close = 0;
        if (j->seq >= seq || !join_span(ev, n, j, key, &close) || seq > close) {
            continue;
        }
        if (!best || j->seq > best->seq) {
            best = j;
        }
    }
    if (join) {
        *join = best;
    }
    return best != NULL;
}

size_t rsn_membership_spans(const rsn_membership_t *ev, size_t n, const uint8_t key[RSN_KEY_BYTES],
                            rsn_span_t *out)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t close = 0;
        if (join_span(ev, n, &ev[i], key, &close) && close > ev[i].seq) {
            out[count].open = ev[i].seq;
            out[count].close = close;
            count++;
        }
    }
    return count;
}

bool rsn_membership_spans_hold(const rsn_span_t *spans, size_t n, uint64_t seq)
{
    for (size_t i = 0; i < n; i++) {
        if (spans[i].open < seq && seq <= spans[i].close) {
            return true;
        }
    }
    return false;
}

size_t rsn_membership_standing_adds(const rsn_membership_t *ev, size_t n,
                                    const uint8_t member[RSN_KEY_BYTES], rsn_membership_t *out)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        if (is(&ev[i], RAISON__ACTION__ACTION_ADD, member) && !undone(ev, n, &ev[i])) {
            out[count++] = ev[i];
        }
    }
    return count;
}

bool rsn_membership_joined(const rsn_membership_t *ev, size_t n, const uint8_t key[RSN_KEY_BYTES],
                           uint64_t seq, const rsn_membership_t **join)
{
    const rsn_membership_t *last = NULL;
    for (size_t i = 0; i < n; i++) {
        const rsn_membership_t *e = &ev[i];
        bool own =
            e->action == RAISON__ACTION__ACTION_JOIN || e->action == RAISON__ACTION__ACTION_LEAVE;
        if (own && same_key(e->author, key) && e->seq < seq && (!last || e->seq > last->seq)) {
            last = e;
        }
    }
    bool in = last && last->action == RAISON__ACTION__ACTION_JOIN;
    if (join) {
        *join = in ? last : NULL;
    }
    return in;
}

/* True when A is to be preferred to B (B may be NULL): larger member_seq,
 * then larger seq, then smaller id. */
static bool prefer(const rsn_membership_t *a, const rsn_membership_t *b)
{
    if (!b) {
        return true;
    }
    if (a->member_seq != b->member_seq) {
        return a->member_seq > b->member_seq;
    }
    if (a->seq != b->seq) {
        return a->seq > b->seq;
    }
    return memcmp(a->id, b->id, RSN_ID_BYTES) < 0;
}

const rsn_membership_t *rsn_membership_standing_add(const rsn_membership_t *ev, size_t n,
                                                    const uint8_t member[RSN_KEY_BYTES],
                                                    uint64_t seq)
{
    const rsn_membership_t *best = NULL;
    for (size_t i = 0; i < n; i++) {
        const rsn_membership_t *a = &ev[i];
        if (is(a, RAISON__ACTION__ACTION_ADD, member) && a->member_seq < seq && !undone(ev, n, a) &&
            prefer(a, best)) {
            best = a;
        }
    }
    return best;
}

bool rsn_membership_add_stands(const rsn_membership_t *ev, size_t n,
                               const uint8_t member[RSN_KEY_BYTES], uint64_t seq,
                               const uint8_t id[RSN_ID_BYTES])
{
    const rsn_membership_t *a = find_add(ev, n, id, member);
    return a && a->member_seq < seq && !undone(ev, n, a);
}

const rsn_membership_t *rsn_membership_last_remove(const rsn_membership_t *ev, size_t n,
                                                   const uint8_t member[RSN_KEY_BYTES])
{
    const rsn_membership_t *best = NULL;
    for (size_t i = 0; i < n; i++) {
        if (is(&ev[i], RAISON__ACTION__ACTION_REMOVE, member) && prefer(&ev[i], best)) {
            best = &ev[i];
        }
    }
    return best;
}
