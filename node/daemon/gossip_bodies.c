/* gossip_bodies.c — bodies on the wire: saying why one is absent, and
 * fetching the missing ones again.
 *
 * DESIGN.md "Bodies: erased is not missing" (daemon/bodies.h holds the
 * states). An EntryBatch that carries an entry without its body says why in
 * `absent`: BODY_ERASED and the reason (`by`: the erase-retraction, or the
 * group whose retention dropped it), or BODY_MISSING (this node lacks it
 * too and is fetching it), so an honest relay of a bare header is never
 * struck. Anti-entropy compares heads only, so a body missing here is
 * fetched by id: every BODIES_ROUND_MS this node asks one linked peer, in
 * turn, for up to BODIES_IDS_PER_FRAME missing bodies (one BodiesRequest in
 * flight per peer); once every linked peer was asked for a chunk the next
 * chunk's turn comes. Answers (Bodies, one item per id asked, cut short past
 * FRAME_BYTES_SOFT bytes) go through the write path like any entry
 * (daemon/ingest.h), so a body fetched is indexed as if it had arrived
 * whole. Conduct: a claim of "erased" that names no reason, or an entry that
 * is no reason, is struck; so is a peer whose bare entries keep turning out
 * to have bodies others hold (every BARE_STRIKE_EVERY of them). */
#include <string.h>

#include "daemon/bodies.h"
#include "daemon/entry.h"
#include "daemon/gossip_internal.h"
#include "store/keys.h"

#define BODIES_ROUND_MS 500      /* how often a missing body is asked for */
#define BODIES_IDS_PER_FRAME 256 /* ids in one BodiesRequest (raison.proto) */
#define BODIES_ANSWER_MS 5000    /* an unanswered BodiesRequest is given up after */
#define BARE_STRIKE_EVERY 16     /* bare entries another peer had the body of, per strike */

/* --- saying why a body is absent ------------------------------------------------ */

void gossip_fill_absent(rsn_gossip_t *self, rsn_arena_t *arena, Raison__EntryBatch *b)
{
    b->absent = NULL;
    b->n_absent = 0;
    for (size_t i = 0; i < b->n_entries; i++) {
        const Raison__SignedEntry *se = b->entries[i];
        if (se->body.data) {
            continue;
        }
        if (!b->absent) {
            b->absent = rsn_arena_alloc(arena, b->n_entries * sizeof *b->absent);
            if (!b->absent) {
                return;
            }
        }
        Raison__BodyAbsence *a = rsn_arena_alloc(arena, sizeof *a);
        uint8_t *by = rsn_arena_alloc(arena, RSN_ID_BYTES);
        uint8_t id[RSN_ID_BYTES];
        rsn_body_state_t state = RSN_BODY_MISSING;
        bool has_by = false;
        if (!a || !by) {
            return;
        }
        raison__body_absence__init(a);
        rsn_entry_id(id, se->entry.data, se->entry.len);
        if (rsn_bodies_state(self->store, arena, id, &state, by, &has_by) < 0 ||
            (state == RSN_BODY_ERASED && !has_by)) {
            state = RSN_BODY_MISSING; /* a reason it cannot name is none */
        }
        a->index = (uint32_t)i;
        a->state = state == RSN_BODY_ERASED ? RAISON__BODY_STATE__BODY_ERASED
                                            : RAISON__BODY_STATE__BODY_MISSING;
        if (state == RSN_BODY_ERASED) {
            a->by.data = by;
            a->by.len = RSN_ID_BYTES;
        }
        b->absent[b->n_absent++] = a;
    }
}

int gossip_read_absent(rsn_gossip_t *self, peer_t *p, const Raison__EntryBatch *b,
                       rsn_ingest_input_t *in)
{
    for (size_t i = 0; i < b->n_absent; i++) {
        const Raison__BodyAbsence *a = b->absent[i];
        if (a->index >= b->n_entries || b->entries[a->index]->body.len > 0 ||
            in[a->index].absence != RSN_BODY_HELD ||
            (a->state != RAISON__BODY_STATE__BODY_ERASED &&
             a->state != RAISON__BODY_STATE__BODY_MISSING) ||
            (a->by.len != 0 && a->by.len != RSN_ID_BYTES)) {
            gossip_strike(self, p, "malformed body absence");
            return RSN_ERR_BAD_REQUEST;
        }
        in[a->index].absence = (rsn_body_state_t)a->state;
        in[a->index].erased_by = a->by.len ? a->by.data : NULL;
    }
    return 0;
}

void gossip_count_staged(rsn_gossip_t *self, peer_t *p, const rsn_ingest_result_t *res)
{
    if (res->bare) {
        p->bare_received++;
    } else if (res->restored) {
        p->bodies_fetched++;
    }
    if (res->bad_claim) {
        gossip_strike(self, p, "said a body was erased, naming no reason it has");
    }
}

/* --- answering a BodiesRequest ---------------------------------------------------- */

/* Item for entry ID: its body when held, else why not. BYTES grows by what
 * it adds. */
static int body_item(rsn_gossip_t *self, rsn_arena_t *arena, const uint8_t id[RSN_ID_BYTES],
                     Raison__BodyItem **out, size_t *bytes)
{
    Raison__BodyItem *item = rsn_arena_alloc(arena, sizeof *item);
    uint8_t *by = rsn_arena_alloc(arena, RSN_ID_BYTES);
    if (!item || !by) {
        return RSN_ERR_NOMEM;
    }
    raison__body_item__init(item);
    item->id.data = (uint8_t *)id;
    item->id.len = RSN_ID_BYTES;
    item->state = RAISON__BODY_STATE__BODY_MISSING; /* not held at all, too */
    Raison__SignedEntry *se = NULL;
    size_t size = 0;
    if (gossip_load_signed(self, arena, id, &se, &size) == 0) {
        rsn_body_state_t state = RSN_BODY_MISSING;
        bool has_by = false;
        if (se->body.data) {
            item->state = RAISON__BODY_STATE__BODY_PRESENT;
            item->body = se->body;
        } else if (rsn_bodies_state(self->store, arena, id, &state, by, &has_by) == 0 &&
                   state == RSN_BODY_ERASED && has_by) {
            item->state = RAISON__BODY_STATE__BODY_ERASED;
            item->by.data = by;
            item->by.len = RSN_ID_BYTES;
        }
    }
    *bytes += RSN_ID_BYTES * 2 + item->body.len + 16;
    *out = item;
    return 0;
}

void gossip_on_bodies_request(rsn_gossip_t *self, peer_t *p, const Raison__BodiesRequest *br)
{
    if (br->n_ids > BODIES_IDS_PER_FRAME) {
        gossip_strike(self, p, "too many bodies requested");
        return;
    }
    rsn_arena_t *arena = gossip_allow_request(self, p, false) ? rsn_arena_new() : NULL;
    if (!arena) {
        return;
    }
    Raison__Bodies b = RAISON__BODIES__INIT;
    b.items = rsn_arena_alloc(arena, (br->n_ids + 1) * sizeof *b.items);
    size_t bytes = 0;
    for (size_t i = 0; b.items && i < br->n_ids && bytes < FRAME_BYTES_SOFT; i++) {
        if (br->ids[i].len != RSN_ID_BYTES) {
            gossip_strike(self, p, "malformed bodies request");
            goto out;
        }
        if (body_item(self, arena, br->ids[i].data, &b.items[b.n_items], &bytes) < 0) {
            break;
        }
        b.n_items++;
    }
    Raison__FedFrame f = RAISON__FED_FRAME__INIT;
    f.msg_case = RAISON__FED_FRAME__MSG_BODIES;
    f.bodies = &b;
    gossip_send(self, p, arena, &f);
out:
    rsn_arena_destroy(&arena);
}

/* --- receiving Bodies ------------------------------------------------------------------ */

/* The body of ID came from P, which another peer (the one 'D' names) had
 * sent bare: that one is counted, and struck every BARE_STRIKE_EVERY. */
static void count_bare_sender(rsn_gossip_t *self, const peer_t *p,
                              const uint8_t sender[RSN_KEY_BYTES])
{
    peer_t *s = gossip_peer(self, sender, false);
    if (!s || s == p) {
        return;
    }
    if (++s->bare_others_had % BARE_STRIKE_EVERY == 0) {
        gossip_strike(self, s, "keeps sending entries bare whose bodies other peers have");
    }
}

/* One item of a Bodies answer from peer slot PI. */
static void on_item(rsn_gossip_t *self, int pi, rsn_arena_t *arena, const Raison__BodyItem *item)
{
    peer_t *p = &self->peers[pi];
    Raison__SignedEntry *se = NULL;
    uint8_t sender[RSN_KEY_BYTES], k[RSN_KEY_MAX];
    if (item->state == RAISON__BODY_STATE__BODY_MISSING ||
        rsn_signed_load(self->store, arena, item->id.data, &se) < 0 || se->body.data ||
        rsn_store_get_fixed(self->store, k, rsn_key_body_missing(k, item->id.data), sender,
                            sizeof sender) < 0) {
        return; /* not held, or not missing (any more) */
    }
    bool present = item->state == RAISON__BODY_STATE__BODY_PRESENT;
    rsn_ingest_input_t in = {
        .entry = se->entry.data,
        .entry_len = se->entry.len,
        .signature = se->signature.data,
        .signature_len = se->signature.len,
        .body = item->body.data,
        .body_len = item->body.len,
        .has_body = present,
        .absence = present ? RSN_BODY_HELD : (rsn_body_state_t)item->state,
        .erased_by = item->by.len == RSN_ID_BYTES ? item->by.data : NULL,
        .from = p->key,
    };
    rsn_ingest_result_t res;
    if (gossip_stage_from_peer(self, pi, &in, &res, true) == 0 && res.restored && present) {
        count_bare_sender(self, p, sender);
    }
}

void gossip_on_bodies(rsn_gossip_t *self, peer_t *p, const Raison__Bodies *b)
{
    if (p->bodies_asked == 0) {
        gossip_strike(self, p, "bodies it was not asked for");
        return;
    }
    p->bodies_asked = 0;
    if (b->n_items > BODIES_IDS_PER_FRAME) {
        gossip_strike(self, p, "too many bodies");
        return;
    }
    rsn_arena_t *arena = rsn_arena_new();
    if (!arena) {
        return;
    }
    int pi = gossip_peer_slot(self, p);
    for (size_t i = 0; i < b->n_items && self->peers[pi].used; i++) {
        const Raison__BodyItem *item = b->items[i];
        if (item->id.len != RSN_ID_BYTES || (item->by.len != 0 && item->by.len != RSN_ID_BYTES) ||
            item->state > RAISON__BODY_STATE__BODY_MISSING) {
            gossip_strike(self, p, "malformed bodies");
            break;
        }
        on_item(self, pi, arena, item);
    }
    rsn_arena_destroy(&arena);
}

/* --- asking for missing bodies ----------------------------------------------------------- */

/* The next linked peer in turn after slot FROM with no BodiesRequest in
 * flight (one unanswered for BODIES_ANSWER_MS is given up); -1 when none.
 * *WRAPPED when the turn went past the end of the table. */
static int next_peer(rsn_gossip_t *self, int from, int64_t now, bool *wrapped)
{
    *wrapped = false;
    for (int step = 1; step <= RSN_FED_MAX_PEERS; step++) {
        int i = (from + step) % RSN_FED_MAX_PEERS;
        if (from + step >= RSN_FED_MAX_PEERS) {
            *wrapped = true;
        }
        peer_t *p = &self->peers[i];
        if (p->used && p->linked && p->bodies_asked &&
            now - p->bodies_asked_ms > BODIES_ANSWER_MS) {
            p->bodies_asked = 0;
        }
        if (p->used && p->linked && !p->bodies_asked) {
            return i;
        }
    }
    return -1;
}

/* Reads up to BODIES_IDS_PER_FRAME missing ids after the cursor into IDS
 * (from ARENA); from the start when none is after it. */
static size_t missing_chunk(rsn_gossip_t *self, rsn_arena_t *arena, ProtobufCBinaryData *ids)
{
    uint8_t prefix = RSN_TAG_BODY_MISSING;
    size_t n = 0;
    for (int pass = 0; pass < 2 && n == 0; pass++) {
        rsn_index_t ix;
        if (rsn_index_open(&ix, self->store, &prefix, 1, RSN_KEYLEN_ID) < 0) {
            return 0;
        }
        uint8_t from[RSN_KEY_MAX];
        size_t fl = rsn_key_body_missing(from, self->bodies_cursor);
        if (pass == 0) {
            rsn_index_seek(&ix, from, fl);
        } else {
            rsn_index_first(&ix);
        }
        for (; rsn_index_valid(&ix) && n < BODIES_IDS_PER_FRAME; rsn_index_next(&ix)) {
            const uint8_t *id = rsn_index_id(&ix);
            if (pass == 0 && memcmp(id, self->bodies_cursor, RSN_ID_BYTES) == 0) {
                continue; /* strictly after the cursor */
            }
            ids[n].data = rsn_arena_memdup(arena, id, RSN_ID_BYTES);
            ids[n].len = RSN_ID_BYTES;
            n += ids[n].data != NULL;
        }
        rsn_index_close(&ix);
    }
    return n;
}

void gossip_fetch_bodies(rsn_gossip_t *self)
{
    rsn_counts_t c;
    int64_t now = gossip_now_ms();
    rsn_ingest_counts(self->ingest, &c);
    if (c.missing == 0 || now - self->last_bodies_ms < BODIES_ROUND_MS) {
        return;
    }
    self->last_bodies_ms = now;
    bool wrapped = false;
    int pi = next_peer(self, self->bodies_peer, now, &wrapped);
    if (pi < 0) {
        return;
    }
    if (wrapped) {
        /* every linked peer had its turn at the last chunk: the next chunk's turn */
        memcpy(self->bodies_cursor, self->bodies_chunk_end, RSN_ID_BYTES);
    }
    rsn_arena_t *arena = rsn_arena_new();
    ProtobufCBinaryData *ids =
        arena ? rsn_arena_alloc(arena, BODIES_IDS_PER_FRAME * sizeof *ids) : NULL;
    size_t n = ids ? missing_chunk(self, arena, ids) : 0;
    if (n > 0) {
        memcpy(self->bodies_chunk_end, ids[n - 1].data, RSN_ID_BYTES);
        Raison__BodiesRequest br = RAISON__BODIES_REQUEST__INIT;
        br.ids = ids;
        br.n_ids = n;
        Raison__FedFrame f = RAISON__FED_FRAME__INIT;
        f.msg_case = RAISON__FED_FRAME__MSG_BODIES_REQUEST;
        f.bodies_request = &br;
        peer_t *p = &self->peers[pi];
        gossip_send(self, p, arena, &f);
        p->bodies_asked = 1;
        p->bodies_asked_ms = now;
        self->bodies_peer = pi;
    }
    rsn_arena_destroy(&arena);
}
