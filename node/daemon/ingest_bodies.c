/* ingest_bodies.c — what an accepted entry's body adds to the staged batch.
 *
 * A body is staged when it is held: with its entry, or later, for an entry
 * held as body missing (daemon/bodies.h). Both go through
 * rsn_ingest_stage_body, so a body that arrives late is indexed, counted
 * and applied (an erasure it carries) exactly as one that arrived whole: the
 * body itself ('B', unless the group's retention or its author's erasure
 * drops it: then 'O' says why), the indexes of its kind (store/keys.h
 * G C M P Q R U) and the counters they change, and the erasure of a
 * retraction (the target's 'B' or 'D' goes, 'O' names the retraction). An
 * entry without a body is staged erased ('O') when the sender named a
 * reason held, else missing ('D'). Bodies changed for stored entries are
 * remembered per batch, so the entries after them in the batch see them. */
#include "daemon/ingest_batch.h"

#include <string.h>

#include "daemon/clock.h"
#include "daemon/entry.h"
#include "daemon/retention.h"
#include "store/keys.h"

#define DAY_MS 86400000ULL

/* When this node first received C: the time its 'I' was staged with, for
 * an entry staged now; the stored time (in 'I') for one held as body
 * missing. */
static uint64_t received_of(rsn_ingest_t *self, const candidate_t *c, bool missing)
{
    uint64_t held = 0;
    if (missing && rsn_clock_received(self->store, c->id, &held) == 0) {
        return held;
    }
    return c->received ? c->received : rsn_ingest_now(self);
}

/* The group of post E, decoded as POST (NULL when it did not), received at
 * RECEIVED, into GROUP when it is already past the retention it keeps
 * (daemon/retention.h), by its effective time and the retention clock. */
static bool past_retention(rsn_ingest_t *self, const Raison__Entry *e, const void *post,
                           uint64_t received, uint8_t group[RSN_ID_BYTES])
{
    if (e->kind != RAISON__KIND__KIND_POST || !post) {
        return false;
    }
    const Raison__Post *p = post;
    if (p->group.len != RSN_ID_BYTES) {
        return false;
    }
    uint32_t days = rsn_retention_of_arriving(self->store, p);
    uint64_t now = rsn_clock_retention_ms(rsn_ingest_now(self));
    if (days == 0 || rsn_clock_effective(e->timestamp, received) + days * DAY_MS >= now) {
        return false;
    }
    memcpy(group, p->group.data, RSN_ID_BYTES);
    return true;
}

/* --- body states within the batch ----------------------------------------------- */

static touched_t *touched_find(rsn_ingest_t *self, const uint8_t id[RSN_ID_BYTES])
{
    for (size_t i = 0; i < self->n_touched; i++) {
        if (memcmp(self->touched[i].id, id, RSN_ID_BYTES) == 0) {
            return &self->touched[i];
        }
    }
    return NULL;
}

/* Records that held entry ID's body is now in STATE as staged. */
static void touch(rsn_ingest_t *self, const uint8_t id[RSN_ID_BYTES], rsn_body_state_t state)
{
    staged_t *s = rsn_ingest_staged(self, id);
    if (s) {
        s->body = state;
        return;
    }
    touched_t *t = touched_find(self, id);
    if (!t && self->n_touched < RSN_INGEST_BATCH_MAX) {
        t = &self->touched[self->n_touched++];
        memset(t, 0, sizeof *t);
        memcpy(t->id, id, RSN_ID_BYTES);
    }
    if (t) {
        t->body = state;
    }
}

rsn_body_state_t rsn_ingest_body_state(rsn_ingest_t *self, const uint8_t id[RSN_ID_BYTES])
{
    const staged_t *s = rsn_ingest_staged(self, id);
    if (s) {
        return s->body;
    }
    const touched_t *t = touched_find(self, id);
    if (t) {
        return t->body;
    }
    uint8_t k[RSN_KEY_MAX];
    uint64_t index = 0;
    if (rsn_ingest_index_of(self, id, &index) == 0 &&
        rsn_store_has(self->store, k, rsn_key_body(k, index)) == 0) {
        return RSN_BODY_HELD;
    }
    if (rsn_store_has(self->store, k, rsn_key_body_missing(k, id)) == 0) {
        return RSN_BODY_MISSING;
    }
    return RSN_BODY_ERASED;
}

/* A missing body C restored (kept in 'B'): a post's is queued for the
 * derive pass with its bytes, since an erase-retraction later in this
 * batch would take 'B' before the pass reads it; unless a reindex has not
 * reached the entry (its first sight reads 'B': the bytes wait in the
 * batch's record for such an erasure). Other kinds' are read from 'B'. */
static void late_body(rsn_ingest_t *self, const candidate_t *c)
{
    staged_t *s = rsn_ingest_staged(self, c->id);
    touched_t *t = s ? NULL : touched_find(self, c->id);
    if (c->e->kind != RAISON__KIND__KIND_POST) {
        /* a membership's or a charter's facts ('l') are kept from the
         * first sight of its body in 'B': the pass must see the same 'B' a
         * rebuild would (an erasure in this batch takes it from both, and
         * neither keeps facts it never saw) */
        rsn_derive_queue_body(self->derive, self->batch, c->id, NULL, 0);
        return;
    }
    if (!rsn_derive_unseen(self->derive, c->id)) {
        rsn_derive_queue_body(self->derive, self->batch, c->id, c->body, c->body_len);
        if (s) {
            s->queued = true;
        } else if (t) {
            t->queued = true;
        }
        return;
    }
    if (t) {
        t->bytes = rsn_arena_memdup(self->batch_arena, c->body, c->body_len ? c->body_len : 1);
        t->len = t->bytes ? c->body_len : 0;
    }
}

/* --- erasing ------------------------------------------------------------------------ */

/* Drops the body of held entry ID (in state WAS) for reason BY. */
static void erase_body(rsn_ingest_t *self, const uint8_t id[RSN_ID_BYTES], rsn_body_state_t was,
                       const uint8_t by[RSN_ID_BYTES])
{
    uint8_t k[RSN_KEY_MAX];
    if (was == RSN_BODY_ERASED) {
        return; /* erased already: the first reason stays */
    }
    if (was == RSN_BODY_MISSING) {
        rsn_batch_delete(self->batch, k, rsn_key_body_missing(k, id));
        self->pending.missing--;
    } else {
        uint64_t index = 0;
        bool indexed = rsn_ingest_index_of(self, id, &index) == 0;
        if (indexed) {
            rsn_batch_delete(self->batch, k, rsn_key_body(k, index));
        }
        /* the derive pass has not seen this body yet when it was staged in
         * this very batch, or a reindex has not reached the entry: it would
         * find it gone, so it is queued for it once, with its bytes (a body
         * restored in this batch was queued with them already) */
        const staged_t *s = rsn_ingest_staged(self, id);
        const touched_t *t = s ? NULL : touched_find(self, id);
        void *held = NULL;
        size_t held_len = 0;
        if ((s && s->queued) || (t && t->queued)) {
            /* queued with its bytes when it arrived */
        } else if (s && s->body_bytes) {
            rsn_derive_queue_body(self->derive, self->batch, id, s->body_bytes, s->body_len);
        } else if (t && t->bytes) {
            rsn_derive_queue_body(self->derive, self->batch, id, t->bytes, t->len);
        } else if (indexed && rsn_derive_unseen(self->derive, id) &&
                   rsn_store_get(self->store, k, rsn_key_body(k, index), &held, &held_len) == 0) {
            /* a reindex has not reached it yet: the same, from the store */
            rsn_derive_queue_body(self->derive, self->batch, id, held, held_len);
        }
        rsn_store_free(held);
    }
    rsn_bodies_mark_erased(self->batch, id, by);
    self->erased_delta++;
    touch(self, id, RSN_BODY_ERASED);
}

void rsn_ingest_stage_erased(rsn_ingest_t *self, const candidate_t *c, const uint8_t *by,
                             bool missing)
{
    if (missing) {
        erase_body(self, c->id, RSN_BODY_MISSING, by);
        return;
    }
    rsn_bodies_mark_erased(self->batch, c->id, by);
    self->erased_delta++;
}

void rsn_ingest_stage_missing(rsn_ingest_t *self, const candidate_t *c)
{
    static const uint8_t local[RSN_KEY_BYTES];
    uint8_t k[RSN_KEY_MAX];
    size_t kl = rsn_key_body_missing(k, c->id);
    rsn_batch_put(self->batch, k, kl, c->from ? c->from : local, RSN_KEY_BYTES);
    self->pending.missing++;
}

/* The author and kind of held entry TARGET (staged or stored). */
static int target_of(rsn_ingest_t *self, rsn_arena_t *arena, const uint8_t target[RSN_ID_BYTES],
                     uint8_t author[RSN_KEY_BYTES], int *kind)
{
    const staged_t *s = rsn_ingest_staged(self, target);
    if (s) {
        memcpy(author, s->author, RSN_KEY_BYTES);
        *kind = s->kind;
        return 0;
    }
    rsn_loaded_t *t = NULL;
    int rc = rsn_entry_load(self->store, arena, target, &t);
    if (rc == 0) {
        memcpy(author, t->entry->author.data, RSN_KEY_BYTES);
        *kind = t->entry->kind;
    }
    return rc;
}

/* Retraction C with `erase`: the target's body goes, if its author asks
 * (retraction bodies are never erased). A target not held yet is erased
 * when it arrives (rsn_bodies_erase_requested). */
static void apply_erasure(rsn_ingest_t *self, const candidate_t *c, const Raison__Retraction *r)
{
    uint8_t author[RSN_KEY_BYTES];
    int kind = 0;
    if (target_of(self, c->arena, r->target.data, author, &kind) == 0 &&
        memcmp(author, c->e->author.data, RSN_KEY_BYTES) == 0 &&
        kind != RAISON__KIND__KIND_RETRACTION) {
        erase_body(self, r->target.data, rsn_ingest_body_state(self, r->target.data), c->id);
    }
}

/* --- indexing ------------------------------------------------------------------------- */

static void put_marker(rsn_ingest_t *self, const uint8_t *k, size_t kl)
{
    rsn_batch_put(self->batch, k, kl, "", 0);
}

/* The puts of the indexes of one entry's kind (a post's 'P' at its
 * effective time, from RECEIVED), and the erasure it carries. */
static void stage_indexes(rsn_ingest_t *self, const candidate_t *c, uint64_t received)
{
    const Raison__Entry *e = c->e;
    const uint8_t *id = c->id;
    uint8_t k[RSN_KEY_MAX];
    switch (e->kind) {
    case RAISON__KIND__KIND_CHARTER: {
        const Raison__Charter *ch = c->decoded;
        if (ch->version == 1 && ch->group.len == 0) {
            put_marker(self, k, rsn_key_group(k, id));
            put_marker(self, k, rsn_key_group_charter(k, id, c->index));
            self->pending.groups++;
        } else if (ch->group.len == RSN_ID_BYTES) {
            put_marker(self, k, rsn_key_group_charter(k, ch->group.data, c->index));
        }
        break;
    }
    case RAISON__KIND__KIND_MEMBERSHIP: {
        const Raison__Membership *m = c->decoded;
        if (m->group.len == RSN_ID_BYTES) {
            put_marker(self, k, rsn_key_group_membership(k, m->group.data, e->timestamp, c->index));
        }
        break;
    }
    case RAISON__KIND__KIND_POST: {
        const Raison__Post *p = c->decoded;
        if (p->group.len == RSN_ID_BYTES) {
            uint64_t ts = rsn_clock_effective(e->timestamp, received);
            put_marker(self, k, rsn_key_group_post(k, p->group.data, ts, c->index));
        }
        if (p->reply_to.len == RSN_ID_BYTES) {
            put_marker(self, k, rsn_key_reply(k, p->reply_to.data, c->index));
        }
        break;
    }
    case RAISON__KIND__KIND_PROFILE: {
        uint8_t v[HEAD_BYTES];
        rsn_be64_put(v, e->seq);
        memcpy(v + 8, id, RSN_ID_BYTES);
        size_t kl = rsn_key_profile(k, e->author.data);
        rsn_batch_put(self->batch, k, kl, v, sizeof v);
        break;
    }
    case RAISON__KIND__KIND_RETRACTION: {
        const Raison__Retraction *r = c->decoded;
        if (r->target.len == RSN_ID_BYTES) {
            put_marker(self, k, rsn_key_retraction(k, r->target.data, c->index));
            if (r->erase) {
                apply_erasure(self, c, r);
            }
        }
        break;
    }
    default: break;
    }
}

void rsn_ingest_stage_body(rsn_ingest_t *self, candidate_t *c, bool missing)
{
    uint8_t k[RSN_KEY_MAX], by[RSN_ID_BYTES] = {0};
    uint64_t received = received_of(self, c, missing);
    if (missing && !c->decoded &&
        rsn_body_decode(c->arena, c->e->kind, c->body, c->body_len, &c->decoded) < 0) {
        c->decoded = NULL; /* kept, and indexed nowhere, as when it arrives whole */
    }
    /* no retraction can be held before its target arrives whole (it is a
     * later entry of the same feed); one may be held before a missing body */
    bool erased =
        (missing && c->e->kind != RAISON__KIND__KIND_RETRACTION &&
         rsn_bodies_erase_requested(self->store, c->arena, c->id, c->e->author.data, by)) ||
        past_retention(self, c->e, c->decoded, received, by);
    if (missing) {
        rsn_batch_delete(self->batch, k, rsn_key_body_missing(k, c->id));
        self->pending.missing--;
    }
    if (erased) {
        rsn_bodies_mark_erased(self->batch, c->id, by);
        self->erased_delta++;
    } else {
        rsn_batch_put(self->batch, k, rsn_key_body(k, c->index), c->body, c->body_len);
    }
    if (missing || erased) {
        /* an entry staged whole and erased by retention at once is erased
         * for the rest of the batch too: an erase-retraction after it
         * finds it so (the first reason stays, counted once) */
        touch(self, c->id, erased ? RSN_BODY_ERASED : RSN_BODY_HELD);
    }
    if (erased) {
        /* the derive pass sees this body once: from the event, since it is
         * not kept (daemon/derive.h) */
        rsn_derive_queue_body(self->derive, self->batch, c->id, c->body, c->body_len);
    } else if (missing) {
        late_body(self, c);
    }
    if (c->decoded) {
        stage_indexes(self, c, received);
    }
}
