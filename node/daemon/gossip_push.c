/* gossip_push.c — eager push: what a commit stored goes to every linked peer.
 *
 * Entries staged from a peer are remembered with their origin until the
 * commit; after it, each committed entry is loaded once and sent, in
 * EntryBatch frames marked push, to every linked peer but the one it came
 * from (a relay never echoes). Batches are bounded by RSN_GOSSIP_BATCH
 * entries and about FRAME_BYTES_SOFT bytes. A peer that misses a push (link
 * down, queue full) gets the entries later by anti-entropy (gossip_pull.c). */
#include <string.h>

#include "daemon/gossip_internal.h"

void gossip_remember_origin(rsn_gossip_t *self, const uint8_t id[RSN_ID_BYTES], int peer)
{
    if (self->n_origins < sizeof self->origins / sizeof self->origins[0]) {
        memcpy(self->origins[self->n_origins].id, id, RSN_ID_BYTES);
        self->origins[self->n_origins].peer = peer;
        self->n_origins++;
    }
}

/* The peer slot entry ID was staged from; -1 when local or unknown. */
static int origin_of(const rsn_gossip_t *self, const uint8_t id[RSN_ID_BYTES])
{
    for (size_t i = 0; i < self->n_origins; i++) {
        if (memcmp(self->origins[i].id, id, RSN_ID_BYTES) == 0) {
            return self->origins[i].peer;
        }
    }
    return -1;
}

static bool any_linked(const rsn_gossip_t *self)
{
    for (int p = 0; p < RSN_FED_MAX_PEERS; p++) {
        if (self->peers[p].used && self->peers[p].linked) {
            return true;
        }
    }
    return false;
}

/* True when a linked peer other than ORIGIN would be sent the entry. */
static bool wanted_by_another(const rsn_gossip_t *self, int origin)
{
    for (int p = 0; p < RSN_FED_MAX_PEERS; p++) {
        if (self->peers[p].used && self->peers[p].linked && origin != p) {
            return true;
        }
    }
    return false;
}

/* The N entries being pushed: loaded (NULL when not needed or not loaded),
 * their frame sizes and the peer slot each came from. */
typedef struct {
    Raison__SignedEntry **all;
    size_t *sizes;
    int *origins;
    Raison__SignedEntry **sel; /* one batch's selection */
    size_t n;
} push_t;

/* Sends peer slot PI every entry of PUSH it did not send, in batches. */
static void push_to(rsn_gossip_t *self, int pi, rsn_arena_t *arena, const push_t *push)
{
    peer_t *peer = &self->peers[pi];
    size_t i = 0;
    while (i < push->n) {
        size_t count = 0, bytes = 0;
        for (; i < push->n && count < RSN_GOSSIP_BATCH && bytes < FRAME_BYTES_SOFT; i++) {
            if (push->all[i] && push->origins[i] != pi) {
                push->sel[count++] = push->all[i];
                bytes += push->sizes[i];
            }
        }
        if (count == 0) {
            continue;
        }
        Raison__EntryBatch b = RAISON__ENTRY_BATCH__INIT;
        b.entries = push->sel;
        b.n_entries = count;
        b.push = true;
        gossip_fill_absent(self, arena, &b);
        Raison__FedFrame f = RAISON__FED_FRAME__INIT;
        f.msg_case = RAISON__FED_FRAME__MSG_ENTRIES;
        f.entries = &b;
        gossip_send(self, peer, arena, &f);
        peer->entries_sent += count;
    }
}

void gossip_push_entries(rsn_gossip_t *self, const uint8_t (*ids)[RSN_ID_BYTES], size_t n)
{
    if (n == 0 || !any_linked(self)) {
        return;
    }
    rsn_arena_t *arena = rsn_arena_new();
    if (!arena) {
        return;
    }
    push_t push = {
        .all = rsn_arena_alloc(arena, n * sizeof *push.all),
        .sizes = rsn_arena_alloc(arena, n * sizeof *push.sizes),
        .origins = rsn_arena_alloc(arena, n * sizeof *push.origins),
        .sel = rsn_arena_alloc(arena, n * sizeof *push.sel),
        .n = n,
    };
    if (!push.all || !push.sizes || !push.origins || !push.sel) {
        goto out;
    }
    /* the origins were recorded in staging order, which is commit order */
    size_t cursor = 0;
    for (size_t i = 0; i < n; i++) {
        push.origins[i] = -1;
        if (cursor < self->n_origins &&
            memcmp(self->origins[cursor].id, ids[i], RSN_ID_BYTES) == 0) {
            push.origins[i] = self->origins[cursor++].peer;
        } else if (cursor < self->n_origins) {
            push.origins[i] = origin_of(self, ids[i]);
        }
        push.all[i] = NULL;
        if (wanted_by_another(self, push.origins[i]) &&
            gossip_load_signed(self, arena, ids[i], &push.all[i], &push.sizes[i]) < 0) {
            push.all[i] = NULL;
        }
    }
    for (int p = 0; p < RSN_FED_MAX_PEERS; p++) {
        if (self->peers[p].used && self->peers[p].linked) {
            push_to(self, p, arena, &push);
        }
    }
out:
    rsn_arena_destroy(&arena);
}
