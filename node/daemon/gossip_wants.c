/* gossip_wants.c — what this node still wants from each peer, and how fast
 * it asks.
 *
 * Anti-entropy (gossip_pull.c) and entries that arrive out of order queue
 * ranges of feeds per peer (at most WANT_QUEUE_MAX: a walk over the heads
 * stops when the queue is full and resumes next round; other ranges past it
 * are asked again next round). They are asked in Want frames of about RSN_GOSSIP_BATCH entries,
 * WANTS_IN_FLIGHT at a time (flow control: the peer answers each with one
 * bounded EntryBatch). Before a range is asked it is trimmed to what is
 * still missing, and to what precedes a fork once its feed is frozen; a probe
 * (an entry at a height we hold, to learn a fork) is asked once. A range stays
 * queued until it is satisfied or the peer answers that it has none of it. */
#include <stdlib.h>
#include <string.h>

#include "daemon/gossip_internal.h"

#define WANT_QUEUE_MAX 4096 /* ranges a peer may still owe us */

void gossip_forget_wants(peer_t *p)
{
    p->n_outstanding = 0;
    for (size_t i = 0; i < p->n_queue; i++) {
        p->queue[i].inflight = 0;
    }
}

void gossip_queue_range(peer_t *p, const uint8_t author[RSN_KEY_BYTES], uint64_t from, uint64_t to,
                        bool probe)
{
    for (size_t i = 0; i < p->n_queue; i++) {
        if (memcmp(p->queue[i].author, author, RSN_KEY_BYTES) == 0 && p->queue[i].probe == probe) {
            if (from < p->queue[i].from) {
                p->queue[i].from = from;
            }
            if (to > p->queue[i].to) {
                p->queue[i].to = to;
            }
            return;
        }
    }
    if (!p->queue) {
        p->queue = calloc(WANT_QUEUE_MAX, sizeof(range_t));
        if (!p->queue) {
            return;
        }
    }
    if (p->n_queue >= WANT_QUEUE_MAX) {
        return; /* the next round asks again */
    }
    range_t *r = &p->queue[p->n_queue++];
    memcpy(r->author, author, RSN_KEY_BYTES);
    r->from = from;
    r->to = to;
    r->probe = probe;
    r->inflight = 0;
}

bool gossip_queue_full(const peer_t *p)
{
    return p->n_queue >= WANT_QUEUE_MAX;
}

/* Trims R to what is still to be asked, given what this node holds of its
 * feed. False when nothing is (satisfied, or made moot by a fork). */
static bool still_wanted(rsn_gossip_t *self, range_t *r)
{
    uint64_t seq = 0;
    uint8_t head_id[RSN_ID_BYTES];
    bool frozen = false;
    if (rsn_ingest_effective_head(self->ingest, r->author, &seq, head_id, &frozen) < 0) {
        seq = 0;
    }
    bool fork_probe = r->probe && !frozen;
    if (r->probe && frozen) {
        return false; /* the fork is known now */
    }
    uint64_t fork_at = frozen ? rsn_ingest_frozen_at(self->ingest, r->author) : 0;
    if (fork_at && r->to >= fork_at) {
        /* nothing from the fork on is accepted: want only what precedes it */
        if (fork_at <= 1 || r->from > fork_at - 1) {
            return false;
        }
        r->to = fork_at - 1;
    }
    if (!fork_probe && seq >= r->to) {
        return false; /* satisfied */
    }
    if (!fork_probe && r->from <= seq) {
        r->from = seq + 1;
    }
    return true;
}

/* Sends Want ID with the COUNT RANGES to P and records it in flight. */
static void send_want_frame(rsn_gossip_t *self, peer_t *p, rsn_arena_t *arena, uint32_t id,
                            Raison__WantRange **ranges, size_t count)
{
    Raison__Want want = RAISON__WANT__INIT;
    want.ranges = ranges;
    want.n_ranges = count;
    Raison__FedFrame f = RAISON__FED_FRAME__INIT;
    f.msg_case = RAISON__FED_FRAME__MSG_WANT;
    f.want = &want;
    gossip_send(self, p, arena, &f);
    if (p->n_outstanding == 0) {
        p->want_sent_ms = gossip_now_ms();
    }
    p->outstanding[p->n_outstanding++] = id;
}

/* Builds and sends one Want of the queued ranges not in flight, from the
 * front of the queue, about RSN_GOSSIP_BATCH entries' worth. Ranges already
 * satisfied (by pushes, or other peers) are dropped on the way; the rest of
 * the queue waits unexamined. Returns the ranges asked. */
static size_t send_one_want(rsn_gossip_t *self, peer_t *p)
{
    rsn_arena_t *arena = rsn_arena_new();
    if (!arena) {
        return 0;
    }
    Raison__WantRange **ranges = rsn_arena_alloc(arena, WANT_RANGES_PER_FRAME * sizeof *ranges);
    size_t count = 0;
    uint64_t budget = 0;
    uint32_t id = ++p->next_want ? p->next_want : ++p->next_want;
    size_t i = 0, j = 0;
    for (; ranges && i < p->n_queue && count < WANT_RANGES_PER_FRAME && budget < RSN_GOSSIP_BATCH;
         i++) {
        range_t *r = &p->queue[i];
        if (r->inflight) {
            p->queue[j++] = *r;
            continue;
        }
        if (!still_wanted(self, r)) {
            continue;
        }
        Raison__WantRange *w = rsn_arena_alloc(arena, sizeof *w);
        if (!w) {
            p->queue[j++] = *r;
            break;
        }
        raison__want_range__init(w);
        w->author.data = rsn_arena_memdup(arena, r->author, RSN_KEY_BYTES);
        w->author.len = RSN_KEY_BYTES;
        w->from_seq = r->from;
        w->to_seq = r->to;
        ranges[count++] = w;
        budget += r->to - r->from + 1;
        if (!r->probe) {
            r->inflight = id;
            p->queue[j++] = *r; /* kept until satisfied; a probe is asked once */
        }
    }
    memmove(&p->queue[j], &p->queue[i], (p->n_queue - i) * sizeof *p->queue);
    p->n_queue = j + (p->n_queue - i);
    if (count > 0) {
        send_want_frame(self, p, arena, id, ranges, count);
    }
    rsn_arena_destroy(&arena);
    return count;
}

void gossip_send_wants(rsn_gossip_t *self, peer_t *p)
{
    while (p->linked && p->n_queue > 0 && p->n_outstanding < WANTS_IN_FLIGHT) {
        if (send_one_want(self, p) == 0) {
            break;
        }
    }
}

void gossip_want_answered(peer_t *p, bool empty)
{
    if (p->n_outstanding == 0) {
        return; /* not asked, or forgotten after a time-out */
    }
    uint32_t id = p->outstanding[0];
    memmove(&p->outstanding[0], &p->outstanding[1],
            (size_t)(p->n_outstanding - 1) * sizeof p->outstanding[0]);
    p->n_outstanding--;
    p->want_sent_ms = gossip_now_ms();
    size_t j = 0;
    for (size_t i = 0; i < p->n_queue; i++) {
        if (p->queue[i].inflight == id) {
            if (empty) {
                continue;
            }
            p->queue[i].inflight = 0;
        }
        p->queue[j++] = p->queue[i];
    }
    p->n_queue = j;
}
