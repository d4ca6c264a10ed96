/* group_state.c — the deriver of the group state (group_state.h): which
 * records an entry, a late body or a fork changes, and their recomputation.
 *
 * A charter recomputes its group's chain with rsn_group_compute (from the
 * group's few charters). When the chain changes (a version more or less, a
 * dispute resolved otherwise, a v1 late), every member record of the group
 * depends on it (which joins name a version of the chain, who may add): a
 * group of at most GS_INLINE_MAX members is recomputed in the same step,
 * a larger one by background work (a 'k' job, a budget per call) behind the
 * group's "being updated" flag. A membership recomputes its member's record
 * from that member's events ('e'), the valid ones picked by
 * rsn_group_membership_problem and read by membership.c's functions. A
 * retraction of a charter or a membership, and a fork of an author's feed,
 * recompute what that author wrote ('h'). Every recomputation reads only
 * what the store holds, never the order it came in, so any order of
 * arrival leaves the same records (tests/unit/group_state_test.c). */
#include "daemon/group_state.h"

#include <string.h>

#include "common/log.h"
#include "daemon/group.h"
#include "daemon/group_state_internal.h"
#include "daemon/read_helpers.h"
#include "store/keys.h"
#include "store/tlog.h"

#define GS_INLINE_MAX 256 /* members recomputed in the step of a charter that changes the chain */
#define GS_BACKGROUND_MAX 256 /* records recomputed by one background call at most */
#define JOB_GROUP 'g'         /* 'k' 'g' group -> member(32) last done, or "" */
#define JOB_FORK 'f'          /* 'k' 'f' author -> index(8) of the next 'h' key */

static size_t inline_max = GS_INLINE_MAX;

void rsn_gs_set_inline_max(size_t n)
{
    inline_max = n;
}

/* One group's derived state while a step changes it. */
typedef struct {
    uint8_t id[RSN_ID_BYTES];
    rsn_gs_group_t gs;
    bool dirty;
    bool loaded; /* G below is loaded (NULL: not founded) */
    rsn_group_t *g;
} ctx_t;

static int ctx_open(rsn_dx_t *dx, const uint8_t group[RSN_ID_BYTES], ctx_t *c)
{
    memset(c, 0, sizeof *c);
    memcpy(c->id, group, RSN_ID_BYTES);
    rsn_gs_src_t src = {.store = rsn_dx_store(dx), .dx = dx};
    int rc = rsn_gs_group_read(&src, rsn_dx_arena(dx), group, &c->gs);
    if (rc == RSN_ERR_NOT_FOUND) {
        memset(&c->gs, 0, sizeof c->gs);
        c->gs.name = "";
        rc = 0;
    }
    return rc;
}

static int ctx_write(rsn_dx_t *dx, ctx_t *c)
{
    if (!c->dirty) {
        return 0;
    }
    size_t len = 0;
    uint8_t k[RSN_KEY_MAX];
    size_t kl = rsn_key_gs_group(k, c->id);
    c->dirty = false;
    const rsn_gs_group_t *g = &c->gs;
    if (!g->founded && !g->updating && g->n_joined == 0 && g->n_spanned == 0 &&
        g->n_subjects == 0 && g->n_chain == 0 && g->n_dispute == 0) {
        /* nothing left (a charter that went, its members gone with it):
         * no key, as a rebuild, which never writes one, leaves it */
        rsn_dx_delete(dx, k, kl);
        return 0;
    }
    uint8_t *v = rsn_gs_group_encode(rsn_dx_arena(dx), g, &len);
    if (!v) {
        c->dirty = true;
        return RSN_ERR_NOMEM;
    }
    rsn_dx_put(dx, k, kl, v, len);
    return 0;
}

/* The group as derived so far in this step (its chain judges the events);
 * *G NULL when it is not founded. */
static int ctx_group(rsn_dx_t *dx, ctx_t *c, rsn_group_t **g)
{
    int rc = 0;
    if (!c->loaded) {
        if ((rc = ctx_write(dx, c)) != 0) {
            return rc;
        }
        rc = rsn_group_load_dx(dx, rsn_dx_arena(dx), c->id, &c->g);
        if (rc == RSN_ERR_UNKNOWN_GROUP) {
            c->g = NULL;
            rc = 0;
        }
        c->loaded = rc == 0;
    }
    *g = c->g;
    return rc;
}

/* --- one member's record --------------------------------------------------------- */

typedef struct {
    rsn_membership_t *ev;
    size_t n, cap;
} events_t;

/* Adds the event of facts V/LEN to EV when it counts (shown, valid in G). */
static int consider(rsn_dx_t *dx, const rsn_group_t *g, const uint8_t *member, const uint8_t *v,
                    size_t len, events_t *ev)
{
    rsn_arena_t *arena = rsn_dx_arena(dx);
    rsn_store_t *store = rsn_dx_store(dx);
    uint8_t *copy = rsn_arena_memdup(arena, v, len);
    rsn_gs_event_t *fe = rsn_arena_alloc(arena, sizeof *fe);
    if (!copy || !fe) {
        return RSN_ERR_NOMEM;
    }
    int rc = rsn_gs_event_decode(copy, len, rsn_group_id(g), member, fe);
    if (rc) {
        return rc;
    }
    if (rsn_feed_hidden(store, fe->author, fe->seq) ||
        rsn_entry_retracted(store, arena, fe->id, fe->author) ||
        rsn_group_membership_problem(g, fe->author, &fe->body)) {
        return 0;
    }
    if ((rc = rsn_views_grow(arena, (void **)&ev->ev, ev->n, &ev->cap, sizeof *ev->ev)) != 0) {
        return rc;
    }
    const Raison__Membership *m = &fe->body;
    rsn_membership_t *e = &ev->ev[ev->n++];
    bool other =
        m->action == RAISON__ACTION__ACTION_ADD || m->action == RAISON__ACTION__ACTION_REMOVE;
    bool join = m->action == RAISON__ACTION__ACTION_JOIN;
    e->id = fe->id;
    e->author = fe->author;
    e->member = other ? m->member.data : fe->author;
    e->seq = fe->seq;
    e->action = m->action;
    e->member_seq = other ? m->member_seq : 0;
    e->answers = join && m->answers.len == RSN_ID_BYTES ? m->answers.data : NULL;
    e->charter = join ? m->charter.data : NULL;
    return 0;
}

/* The valid events of MEMBER in C's group: those derived ('e'), and EXTRA
 * (facts of log index EXTRA_AT, put by this step; may be NULL). */
static int member_events(rsn_dx_t *dx, const rsn_group_t *g, const uint8_t *member,
                         const uint8_t *extra, size_t extra_len, uint64_t extra_at, events_t *ev)
{
    uint8_t p[RSN_KEY_MAX];
    size_t pl = rsn_key_gs_event(p, rsn_group_id(g), member, 0) - 8;
    rsn_index_t ix;
    int rc = rsn_index_open(&ix, rsn_dx_store(dx), p, pl, pl + 8);
    if (rc) {
        return rc;
    }
    for (rsn_index_first(&ix); rc == 0 && rsn_index_valid(&ix); rsn_index_next(&ix)) {
        if (extra && rsn_be64_get(rsn_index_key(&ix) + pl) == extra_at) {
            continue;
        }
        size_t len = 0;
        const uint8_t *v = rsn_index_value(&ix, &len);
        rc = consider(dx, g, member, v, len, ev);
    }
    rsn_index_close(&ix);
    return rc == 0 && extra ? consider(dx, g, member, extra, extra_len, ev) : rc;
}

/* MEMBER's record from its valid events EV (membership.c decides). */
static int record_of(rsn_arena_t *arena, const rsn_group_t *g, const uint8_t *member,
                     const events_t *ev, rsn_gs_member_t *r)
{
    memset(r, 0, sizeof *r);
    if (g && rsn_group_is_owner(g, member)) {
        r->flags |= RSN_GS_OWNER;
    }
    if (ev->n == 0) {
        return 0;
    }
    r->spans = rsn_arena_alloc(arena, ev->n * sizeof *r->spans);
    r->adds = rsn_arena_alloc(arena, ev->n * sizeof *r->adds);
    if (!r->spans || !r->adds) {
        return RSN_ERR_NOMEM;
    }
    r->n_spans = rsn_membership_spans(ev->ev, ev->n, member, r->spans);
    r->n_adds = rsn_membership_standing_adds(ev->ev, ev->n, member, r->adds);
    const rsn_membership_t *j = NULL;
    if (rsn_membership_joined(ev->ev, ev->n, member, UINT64_MAX, &j)) {
        r->flags |= RSN_GS_JOINED;
        r->joined_charter = j->charter;
    }
    if (rsn_membership_in_span(ev->ev, ev->n, member, UINT64_MAX, &j)) {
        r->flags |= RSN_GS_SPANNED;
        r->spanned_charter = j->charter;
    }
    const rsn_membership_t *rm = rsn_membership_last_remove(ev->ev, ev->n, member);
    if (rm) {
        r->flags |= RSN_GS_REMOVED;
        r->removed_by = rm->author;
    }
    return 0;
}

/* 1 when FLAGS count towards the in-set BIT (owners are counted apart). */
static uint64_t counted(uint8_t flags, uint8_t bit)
{
    return (flags & bit) && !(flags & RSN_GS_OWNER) ? 1 : 0;
}

/* Recomputes MEMBER's record in C's group (EXTRA as member_events). */
static int member_update(rsn_dx_t *dx, ctx_t *c, const uint8_t member[RSN_KEY_BYTES],
                         const uint8_t *extra, size_t extra_len, uint64_t extra_at)
{
    rsn_arena_t *arena = rsn_dx_arena(dx);
    rsn_group_t *g = NULL;
    events_t ev = {0};
    rsn_gs_member_t rec, old;
    int rc = ctx_group(dx, c, &g);
    if (rc == 0 && g) {
        rc = member_events(dx, g, member, extra, extra_len, extra_at, &ev);
    }
    if (rc == 0) {
        rc = record_of(arena, g, member, &ev, &rec);
    }
    uint8_t k[RSN_KEY_MAX], *ov = NULL;
    size_t kl = rsn_key_gs_member(k, c->id, member), ol = 0;
    int orc = rc ? rc : rsn_dx_get(dx, k, kl, &ov, &ol);
    memset(&old, 0, sizeof old);
    if (orc == 0) {
        rc = rsn_gs_member_decode(arena, ov, ol, member, &old);
    } else if (orc != RSN_ERR_NOT_FOUND) {
        rc = orc;
    }
    if (rc) {
        return rc;
    }
    uint64_t joined = c->gs.n_joined + counted(rec.flags, RSN_GS_JOINED);
    uint64_t spanned = c->gs.n_spanned + counted(rec.flags, RSN_GS_SPANNED);
    joined -= counted(old.flags, RSN_GS_JOINED);
    spanned -= counted(old.flags, RSN_GS_SPANNED);
    if (joined != c->gs.n_joined || spanned != c->gs.n_spanned) {
        c->gs.n_joined = joined;
        c->gs.n_spanned = spanned;
        c->dirty = true;
    }
    if ((rec.flags & ~RSN_GS_OWNER) == 0 && rec.n_spans == 0 && rec.n_adds == 0) {
        if (orc == 0) {
            rsn_dx_delete(dx, k, kl);
        }
        return 0;
    }
    size_t len = 0;
    uint8_t *v = rsn_gs_member_encode(arena, &rec, &len);
    if (!v) {
        return RSN_ERR_NOMEM;
    }
    if (orc != 0 || ol != len || memcmp(ov, v, len) != 0) {
        rsn_dx_put(dx, k, kl, v, len);
    }
    return 0;
}

/* Recomputes the members of C's group after AFTER (NULL: from the first),
 * BUDGET at most: *DONE of them, LAST the last, *END when none is left. */
static int members_from(rsn_dx_t *dx, ctx_t *c, const uint8_t *after, size_t budget,
                        uint8_t last[RSN_KEY_BYTES], size_t *done, bool *end)
{
    uint8_t p[RSN_KEY_MAX], k[RSN_KEY_MAX];
    rsn_iter_t *it = rsn_iter_new(rsn_dx_store(dx), p, rsn_key_prefix(p, RSN_TAG_GS_EVENT, c->id));
    if (!it) {
        return RSN_ERR_NOMEM;
    }
    int rc = 0;
    *done = 0;
    *end = true;
    if (after) {
        rsn_iter_seek(it, k, rsn_key_gs_event(k, c->id, after, UINT64_MAX));
    } else {
        rsn_iter_first(it);
    }
    while (rc == 0 && rsn_iter_valid(it)) {
        size_t kl = 0;
        const uint8_t *key = rsn_iter_key(it, &kl);
        if (kl != RSN_KEYLEN_ID_ID + 8) {
            rsn_iter_next(it);
            continue;
        }
        if (*done == budget) {
            *end = false;
            break;
        }
        memcpy(last, key + RSN_KEYOFF_ID_ID, RSN_KEY_BYTES);
        rc = member_update(dx, c, last, NULL, 0, 0);
        (*done)++;
        rsn_iter_seek(it, k, rsn_key_gs_event(k, c->id, last, UINT64_MAX));
    }
    rsn_iter_destroy(&it);
    return rc;
}

/* --- a group's chain ------------------------------------------------------------- */

static bool same_ids(const void *a, size_t na, const void *b, size_t nb)
{
    return na == nb && (na == 0 || memcmp(a, b, na * RSN_ID_BYTES) == 0);
}

/* Puts the group job of C: its members from the first. */
static void queue_group(rsn_dx_t *dx, ctx_t *c)
{
    uint8_t k[RSN_KEY_MAX];
    rsn_dx_put(dx, k, rsn_key_gs_job(k, JOB_GROUP, c->id), "", 0);
    c->gs.updating = true;
    c->dirty = true;
}

/* Recomputes C's chain from its charters; when it changed, its members. */
static int chain_update(rsn_dx_t *dx, ctx_t *c)
{
    rsn_arena_t *arena = rsn_dx_arena(dx);
    rsn_group_t *fresh = NULL;
    int rc = rsn_group_compute(rsn_dx_store(dx), arena, c->id, false, &fresh);
    if (rc && rc != RSN_ERR_UNKNOWN_GROUP) {
        return rc;
    }
    rc = 0;
    size_t n_chain = fresh ? rsn_group_versions(fresh) : 0;
    size_t n_dispute = fresh ? rsn_group_disputes(fresh) : 0;
    uint8_t(*chain)[RSN_ID_BYTES] = rsn_arena_alloc(arena, (n_chain + 1) * RSN_ID_BYTES);
    uint8_t(*dispute)[RSN_ID_BYTES] = rsn_arena_alloc(arena, (n_dispute + 1) * RSN_ID_BYTES);
    if (!chain || !dispute) {
        return RSN_ERR_NOMEM;
    }
    for (size_t i = 0; i < n_chain; i++) {
        memcpy(chain[i], rsn_group_version(fresh, i)->id, RSN_ID_BYTES);
    }
    for (size_t i = 0; i < n_dispute; i++) {
        memcpy(dispute[i], rsn_group_dispute(fresh, i), RSN_ID_BYTES);
    }
    const char *name = fresh ? rsn_group_charter(fresh, NULL)->name : "";
    bool chain_changed =
        (fresh != NULL) != c->gs.founded || !same_ids(chain, n_chain, c->gs.chain, c->gs.n_chain);
    bool renamed = strcmp(name, c->gs.name) != 0;
    if (!chain_changed && !renamed &&
        same_ids(dispute, n_dispute, c->gs.dispute, c->gs.n_dispute)) {
        return 0;
    }
    uint8_t k[RSN_KEY_MAX];
    if (c->gs.founded) {
        rsn_dx_delete(dx, k, rsn_key_gs_name(k, c->gs.name, c->id));
    }
    if (fresh) {
        rsn_dx_put(dx, k, rsn_key_gs_name(k, name, c->id), "", 0);
    }
    c->gs.founded = fresh != NULL;
    c->gs.name = name;
    c->gs.chain = (const void *)chain;
    c->gs.n_chain = n_chain;
    c->gs.dispute = (const void *)dispute;
    c->gs.n_dispute = n_dispute;
    c->dirty = true;
    c->loaded = false;
    if (chain_changed && c->gs.n_subjects > 0) {
        if (c->gs.n_subjects <= inline_max && !c->gs.updating) {
            uint8_t last[RSN_KEY_BYTES];
            size_t done = 0;
            bool end = false;
            rc = members_from(dx, c, NULL, SIZE_MAX, last, &done, &end);
        } else {
            queue_group(dx, c);
        }
    }
    return rc;
}

/* --- what the derive pass shows ----------------------------------------------------- */

/* What AUTHOR wrote at log INDEX concerns GROUP (and MEMBER, or NULL for a
 * charter): recomputes it. */
static int recompute(rsn_dx_t *dx, const uint8_t *group, const uint8_t *member)
{
    ctx_t c;
    int rc = ctx_open(dx, group, &c);
    if (rc == 0) {
        rc = member ? member_update(dx, &c, member, NULL, 0, 0) : chain_update(dx, &c);
    }
    return rc == 0 ? ctx_write(dx, &c) : rc;
}

/* Puts the facts of entry INDEX at its first sight ('l': V/LEN), unless
 * kept already (never rewritten). */
static int keep_facts(rsn_dx_t *dx, uint64_t index, const uint8_t *v, size_t len)
{
    uint8_t k[RSN_KEY_MAX], *old = NULL;
    size_t kl = rsn_key_gs_facts(k, index), ol = 0;
    int rc = rsn_dx_get(dx, k, kl, &old, &ol);
    if (rc == RSN_ERR_NOT_FOUND) {
        rsn_dx_put(dx, k, kl, v, len);
        rc = 0;
    }
    return rc;
}

/* Charter INDEX by AUTHOR of GROUP: what AUTHOR wrote ('h'), the chain. */
static int show_charter(rsn_dx_t *dx, uint64_t index, const uint8_t *author, const uint8_t *group)
{
    uint8_t k[RSN_KEY_MAX];
    rsn_dx_put(dx, k, rsn_key_gs_author(k, author, index), group, RSN_ID_BYTES);
    return recompute(dx, group, NULL);
}

static int on_charter(rsn_dx_t *dx, const rsn_derive_entry_t *de)
{
    uint8_t group[RSN_ID_BYTES];
    if (rsn_entry_group(de->l, group) != 0) {
        return 0;
    }
    int rc = keep_facts(dx, de->index, group, RSN_ID_BYTES);
    return rc ? rc : show_charter(dx, de->index, de->l->entry->author.data, group);
}

/* True when some event of MEMBER in GROUP was derived before this step. */
static bool has_events(rsn_store_t *store, const uint8_t *group, const uint8_t *member)
{
    uint8_t p[RSN_KEY_MAX];
    rsn_iter_t *it = rsn_iter_new(store, p, rsn_key_gs_event(p, group, member, 0) - 8);
    if (it) {
        rsn_iter_first(it);
    }
    bool has = it && rsn_iter_valid(it);
    rsn_iter_destroy(&it);
    return has;
}

/* Shows the membership at log INDEX, by AUTHOR, concerning MEMBER in
 * GROUP, of facts FACTS/LEN (an 'e' value): its 'e' and 'h' keys, the
 * group's count of members with events, the member's record. Once: a
 * second sight of it (first from 'l', then from the bytes an erasure
 * queued, during an online reindex) changes nothing. */
static int show_membership(rsn_dx_t *dx, uint64_t index, const uint8_t *group,
                           const uint8_t *member, const uint8_t *author, const uint8_t *facts,
                           size_t len)
{
    uint8_t k[RSN_KEY_MAX], *seen = NULL, hv[2 * RSN_ID_BYTES];
    size_t kl = rsn_key_gs_event(k, group, member, index), sl = 0;
    int rc = rsn_dx_get(dx, k, kl, &seen, &sl);
    if (rc != RSN_ERR_NOT_FOUND) {
        return rc; /* 0: shown already */
    }
    ctx_t c;
    if ((rc = ctx_open(dx, group, &c)) != 0) {
        return rc;
    }
    if (!has_events(rsn_dx_store(dx), group, member)) {
        c.gs.n_subjects++;
        c.dirty = true;
    }
    rsn_dx_put(dx, k, kl, facts, len);
    memcpy(hv, group, RSN_ID_BYTES);
    memcpy(hv + RSN_ID_BYTES, member, RSN_KEY_BYTES);
    rsn_dx_put(dx, k, rsn_key_gs_author(k, author, index), hv, sizeof hv);
    rc = member_update(dx, &c, member, facts, len, index);
    return rc == 0 ? ctx_write(dx, &c) : rc;
}

static int on_membership(rsn_dx_t *dx, const rsn_derive_entry_t *de)
{
    const rsn_loaded_t *l = de->l;
    const Raison__Membership *m = l->body;
    const uint8_t *author = l->entry->author.data;
    bool other =
        m->action == RAISON__ACTION__ACTION_ADD || m->action == RAISON__ACTION__ACTION_REMOVE;
    if (m->group.len != RSN_ID_BYTES || (other && m->member.len != RSN_KEY_BYTES)) {
        return 0; /* names no group, or no one: never valid */
    }
    const uint8_t *group = m->group.data, *member = other ? m->member.data : author;
    size_t len = 0;
    uint8_t *facts = rsn_gs_event_encode(rsn_dx_arena(dx), l, &len);
    uint8_t *kept = facts ? rsn_arena_alloc(rsn_dx_arena(dx), 2 * RSN_ID_BYTES + len) : NULL;
    if (!kept) {
        return RSN_ERR_NOMEM;
    }
    /* its facts kept for good ('l'), so a reindex shows it again once its
     * body is erased */
    memcpy(kept, group, RSN_ID_BYTES);
    memcpy(kept + RSN_ID_BYTES, member, RSN_KEY_BYTES);
    memcpy(kept + 2 * RSN_ID_BYTES, facts, len);
    int rc = keep_facts(dx, de->index, kept, 2 * RSN_ID_BYTES + len);
    return rc ? rc : show_membership(dx, de->index, group, member, author, facts, len);
}

/* A charter or a membership seen without its body: shown from the facts
 * kept at its first sight ('l') when there was one (its body erased since,
 * and a reindex under way); else its body, when it comes, is a late body. */
static int on_bare(rsn_dx_t *dx, const rsn_derive_entry_t *de)
{
    uint8_t k[RSN_KEY_MAX], *v = NULL;
    size_t len = 0;
    const uint8_t *author = de->l->entry->author.data;
    int rc = rsn_dx_get(dx, k, rsn_key_gs_facts(k, de->index), &v, &len);
    if (rc == RSN_ERR_NOT_FOUND) {
        return 0;
    }
    bool charter = de->l->entry->kind == RAISON__KIND__KIND_CHARTER;
    rsn_gs_event_t fe;
    if (rc == 0 && (charter ? len != RSN_ID_BYTES
                            : len < 2 * RSN_ID_BYTES ||
                                  rsn_gs_event_decode(v + 2 * RSN_ID_BYTES, len - 2 * RSN_ID_BYTES,
                                                      v, v + RSN_ID_BYTES, &fe) != 0 ||
                                  memcmp(fe.author, author, RSN_KEY_BYTES) != 0)) {
        rsn_error("group state: the kept facts ('l') of entry %llu do not decode: a damaged "
                  "store, which a reindex does not repair (they are kept by it)",
                  (unsigned long long)de->index);
        rc = RSN_ERR_IO;
    }
    if (rc) {
        return rc;
    }
    return charter ? show_charter(dx, de->index, author, v)
                   : show_membership(dx, de->index, v, v + RSN_ID_BYTES, author,
                                     v + 2 * RSN_ID_BYTES, len - 2 * RSN_ID_BYTES);
}

/* What the 'h' key of AUTHOR at INDEX names, recomputed (none: nothing). */
static int recompute_written(rsn_dx_t *dx, const uint8_t *author, uint64_t index)
{
    uint8_t k[RSN_KEY_MAX], *v = NULL;
    size_t len = 0;
    int rc = rsn_dx_get(dx, k, rsn_key_gs_author(k, author, index), &v, &len);
    if (rc == RSN_ERR_NOT_FOUND) {
        return 0;
    }
    if (rc == 0 && len != RSN_ID_BYTES && len != 2 * RSN_ID_BYTES) {
        rsn_error("group state: an 'h' value of %zu bytes (a damaged store: raisond reindex)", len);
        rc = RSN_ERR_IO;
    }
    return rc ? rc : recompute(dx, v, len > RSN_ID_BYTES ? v + RSN_ID_BYTES : NULL);
}

static int on_retraction(rsn_dx_t *dx, const rsn_derive_entry_t *de)
{
    const Raison__Retraction *r = de->l->body;
    uint64_t index = 0;
    if (r->target.len != RSN_ID_BYTES ||
        rsn_tlog_leaf_index(rsn_dx_store(dx), r->target.data, &index) != 0) {
        return 0; /* not held: when it comes, it comes retracted */
    }
    return recompute_written(dx, de->l->entry->author.data, index);
}

static int on_entry(rsn_dx_t *dx, const rsn_derive_entry_t *de)
{
    if (!de->l->body) {
        bool kept = de->l->entry->kind == RAISON__KIND__KIND_CHARTER ||
                    de->l->entry->kind == RAISON__KIND__KIND_MEMBERSHIP;
        return kept ? on_bare(dx, de) : 0;
    }
    switch (de->l->entry->kind) {
    case RAISON__KIND__KIND_CHARTER: return on_charter(dx, de);
    case RAISON__KIND__KIND_MEMBERSHIP: return on_membership(dx, de);
    case RAISON__KIND__KIND_RETRACTION: return on_retraction(dx, de);
    default: return 0;
    }
}

/* Recomputes what AUTHOR wrote from log index FROM on, BUDGET at most: *DONE
 * of them, *NEXT the index to go on from, *END when none is left. */
static int written_from(rsn_dx_t *dx, const uint8_t *author, uint64_t from, size_t budget,
                        size_t *done, uint64_t *next, bool *end)
{
    uint8_t p[RSN_KEY_MAX], k[RSN_KEY_MAX];
    rsn_index_t ix;
    int rc = rsn_index_open(&ix, rsn_dx_store(dx), p, rsn_key_prefix(p, RSN_TAG_GS_AUTHOR, author),
                            RSN_KEYLEN_ID_N);
    if (rc) {
        return rc;
    }
    *done = 0;
    *end = true;
    *next = from;
    for (rsn_index_seek(&ix, k, rsn_key_gs_author(k, author, from));
         rc == 0 && rsn_index_valid(&ix); rsn_index_next(&ix)) {
        if (*done == budget) {
            *end = false;
            break;
        }
        uint64_t index = rsn_be64_get(rsn_index_key(&ix) + RSN_KEYLEN_ID);
        rc = recompute_written(dx, author, index);
        *next = index + 1;
        (*done)++;
    }
    rsn_index_close(&ix);
    return rc;
}

static int on_fork(rsn_dx_t *dx, const uint8_t author[RSN_KEY_BYTES], uint64_t seq)
{
    (void)seq; /* what it hides is read from the frozen marker */
    size_t done = 0;
    uint64_t next = 0;
    bool end = false;
    int rc = written_from(dx, author, 0, inline_max, &done, &next, &end);
    if (rc == 0 && !end) {
        uint8_t k[RSN_KEY_MAX], v[8];
        rsn_be64_put(v, next);
        rsn_dx_put(dx, k, rsn_key_gs_job(k, JOB_FORK, author), v, sizeof v);
    }
    return rc;
}

/* --- background work ------------------------------------------------------------- */

/* The group job of GROUP (CURSOR/LEN: the last member done), BUDGET. */
static int run_group_job(rsn_dx_t *dx, const uint8_t *key, const uint8_t *group,
                         const uint8_t *cursor, size_t len, size_t budget, size_t *done)
{
    ctx_t c;
    uint8_t last[RSN_KEY_BYTES];
    bool end = false;
    int rc = ctx_open(dx, group, &c);
    if (rc == 0) {
        rc = members_from(dx, &c, len == RSN_KEY_BYTES ? cursor : NULL, budget, last, done, &end);
    }
    if (rc) {
        return rc;
    }
    if (end) {
        rsn_dx_delete(dx, key, RSN_KEYLEN_ID + 1);
        c.gs.updating = false;
        c.dirty = true;
    } else {
        rsn_dx_put(dx, key, RSN_KEYLEN_ID + 1, last, sizeof last);
    }
    return ctx_write(dx, &c);
}

static int run_fork_job(rsn_dx_t *dx, const uint8_t *key, const uint8_t *author,
                        const uint8_t *cursor, size_t len, size_t budget, size_t *done)
{
    uint64_t next = 0;
    bool end = false;
    int rc =
        written_from(dx, author, len == 8 ? rsn_be64_get(cursor) : 0, budget, done, &next, &end);
    if (rc == 0 && end) {
        rsn_dx_delete(dx, key, RSN_KEYLEN_ID + 1);
    } else if (rc == 0) {
        uint8_t v[8];
        rsn_be64_put(v, next);
        rsn_dx_put(dx, key, RSN_KEYLEN_ID + 1, v, sizeof v);
    }
    return rc;
}

static int background(rsn_dx_t *dx, size_t budget, size_t *done)
{
    uint8_t p[RSN_KEY_MAX];
    rsn_arena_t *arena = rsn_dx_arena(dx);
    rsn_iter_t *it = rsn_iter_new(rsn_dx_store(dx), p, rsn_key_prefix(p, RSN_TAG_GS_JOB, NULL));
    if (!it) {
        return RSN_ERR_NOMEM;
    }
    int rc = 0;
    budget = budget < GS_BACKGROUND_MAX ? budget : GS_BACKGROUND_MAX;
    *done = 0;
    for (rsn_iter_first(it); rc == 0 && *done < budget && rsn_iter_valid(it); rsn_iter_next(it)) {
        size_t kl = 0, len = 0, used = 0;
        const uint8_t *key = rsn_iter_key(it, &kl);
        const uint8_t *v = rsn_iter_value(it, &len);
        uint8_t *kc = rsn_arena_memdup(arena, key, kl), *vc = rsn_arena_memdup(arena, v, len + 1);
        if (!kc || !vc) {
            rc = RSN_ERR_NOMEM;
            break;
        }
        if (kl != RSN_KEYLEN_ID + 1) {
            continue;
        }
        if (kc[1] == JOB_GROUP) {
            rc = run_group_job(dx, kc, kc + 2, vc, len, budget - *done, &used);
        } else if (kc[1] == JOB_FORK) {
            rc = run_fork_job(dx, kc, kc + 2, vc, len, budget - *done, &used);
        }
        /* a job that had nothing left still counts one, so the pass asks again */
        *done += used ? used : 1;
    }
    rsn_iter_destroy(&it);
    return rc;
}

const rsn_deriver_t rsn_groupstate_deriver = {
    .name = "groupstate",
    .tags = "gmnehk",
    .entry = on_entry,
    .fork = on_fork,
    .background = background,
};
