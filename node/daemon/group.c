/* group.c — a group's state from its charters and memberships ('C' group id
 * and 'M' group ts id in store/keys.h), and the content rules of a charter.
 *
 * The chain starts at the charter v1 whose id is the group's id; from each
 * version, the valid amendments of it (by an owner of that version, with the
 * next version number) compete and the smallest id wins; several of them are
 * a dispute, shown as such. Memberships are valid events when they keep the
 * rules of their action (an add or a remove against the charter version it
 * names); who may post at a seq of their feed is read from those events by
 * membership.c, in feed order. A post is judged against the charter version
 * it names. Entries hidden by a fork or retracted count nowhere. */
#include "daemon/group.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/why.h"
#include "daemon/group_state.h"
#include "daemon/membership.h"
#include "daemon/read_helpers.h"
#include "store/keys.h"

typedef struct {
    uint8_t id[RSN_ID_BYTES];
    rsn_loaded_t *e;
    Raison__Charter *c;
} version_t;

#define RECORD_CACHE 8 /* member records one group state keeps */

typedef struct {
    uint8_t key[RSN_KEY_BYTES];
    const rsn_gs_member_t *rec; /* NULL: none */
} cached_record_t;

typedef struct {
    cached_record_t slot[RECORD_CACHE];
    size_t n, next;
} record_cache_t;

struct rsn_group {
    uint8_t id[RSN_ID_BYTES];
    version_t *chain; /* version 1 first, the current one last */
    size_t n_chain;
    uint8_t (*dispute)[RSN_ID_BYTES];
    size_t n_dispute;
    /* computed (rsn_group_compute with events): every valid membership event */
    bool scanned;
    rsn_membership_t *events; /* a set: order plays no part */
    size_t n_events;
    /* derived (rsn_group_load): member records read by key, when asked */
    rsn_gs_src_t src;
    rsn_arena_t *arena;
    rsn_gs_group_t gs;
    record_cache_t *cache;
};

/* ------------------------------------------------------ charter content -- */

static bool empty(const char *s)
{
    return !s || !*s;
}

static bool key_in(const ProtobufCBinaryData *keys, size_t n, const uint8_t key[RSN_KEY_BYTES])
{
    for (size_t i = 0; i < n; i++) {
        if (rsn_views_same_id(&keys[i], key)) {
            return true;
        }
    }
    return false;
}

int rsn_charter_problem(const Raison__Charter *c, const uint8_t author[RSN_KEY_BYTES], char *why,
                        size_t why_size)
{
    const int bad = RSN_ERR_INVALID_CHARTER;
    if (empty(c->name)) {
        return rsn_why(why, why_size, bad, "charter has no name");
    }
    if (empty(c->purpose)) {
        return rsn_why(why, why_size, bad, "charter has no purpose");
    }
    if (c->n_missions == 0) {
        return rsn_why(why, why_size, bad, "charter has no mission");
    }
    for (size_t i = 0; i < c->n_missions; i++) {
        const Raison__Mission *m = c->missions[i];
        if (!m || !m->key || !rsn_mission_key_valid(m->key)) {
            return rsn_why(why, why_size, bad,
                           "mission key '%.40s' is not [a-z0-9-] (1 to %d characters)",
                           m && m->key ? m->key : "", RSN_MISSION_KEY_MAX);
        }
        if (empty(m->goal)) {
            return rsn_why(why, why_size, bad, "mission '%s' has no goal", m->key);
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(c->missions[j]->key, m->key) == 0) {
                return rsn_why(why, why_size, bad, "mission key '%s' appears twice", m->key);
            }
        }
    }
    if (c->n_benefits == 0) {
        return rsn_why(why, why_size, bad, "charter has no benefit");
    }
    for (size_t i = 0; i < c->n_benefits; i++) {
        if (empty(c->benefits[i])) {
            return rsn_why(why, why_size, bad, "charter has an empty benefit");
        }
    }
    if (!c->data_policy) {
        return rsn_why(why, why_size, bad, "charter has no data policy");
    }
    if (empty(c->data_policy->use)) {
        return rsn_why(why, why_size, bad, "the data policy does not say what data is used for");
    }
    if (empty(c->data_policy->readers)) {
        return rsn_why(why, why_size, bad, "the data policy does not say who may read");
    }
    if (c->access != RAISON__ACCESS__ACCESS_OPEN &&
        c->access != RAISON__ACCESS__ACCESS_MEMBERS_ONLY) {
        return rsn_why(why, why_size, bad, "charter access must be open or members-only");
    }
    if (c->n_owners == 0) {
        return rsn_why(why, why_size, bad, "charter has no owner");
    }
    for (size_t i = 0; i < c->n_owners; i++) {
        if (c->owners[i].len != RSN_KEY_BYTES) {
            return rsn_why(why, why_size, bad, "charter owner %zu is not a 32-byte key", i + 1);
        }
    }
    if (!key_in(c->owners, c->n_owners, author)) {
        return rsn_why(why, why_size, bad, "the author must be among the owners");
    }
    return 0;
}

/* ---------------------------------------------------------------- state -- */

static bool charter_owner(const Raison__Charter *c, const uint8_t key[RSN_KEY_BYTES])
{
    return key_in(c->owners, c->n_owners, key);
}

/* A charter entry the views may use: held body, shown, content rules met. */
static bool charter_usable(rsn_store_t *store, rsn_arena_t *arena, const rsn_loaded_t *l)
{
    return l->entry->kind == RAISON__KIND__KIND_CHARTER && l->body &&
           rsn_entry_shown(store, arena, l) &&
           rsn_charter_problem(l->body, l->entry->author.data, NULL, 0) == 0;
}

/* The version of G's chain whose id CHARTER names; NULL when it names none
 * on the chain. */
static const version_t *find_version(const rsn_group_t *g, const ProtobufCBinaryData *charter)
{
    for (size_t i = 0; charter->len == RSN_ID_BYTES && i < g->n_chain; i++) {
        if (memcmp(g->chain[i].id, charter->data, RSN_ID_BYTES) == 0) {
            return &g->chain[i];
        }
    }
    return NULL;
}

/* The version an entry naming CHARTER is judged against: that version, or
 * the current one when it names none (written before the field existed);
 * NULL when it names a version that is not on the chain. */
static const version_t *judged_version(const rsn_group_t *g, const ProtobufCBinaryData *charter)
{
    return charter->len == 0 ? &g->chain[g->n_chain - 1] : find_version(g, charter);
}

const char *rsn_group_membership_problem(const rsn_group_t *g, const uint8_t author[RSN_KEY_BYTES],
                                         const Raison__Membership *m)
{
    bool self = m->member.len == 0 || rsn_views_same_id(&m->member, author);
    const version_t *v = NULL;
    switch (m->action) {
    case RAISON__ACTION__ACTION_JOIN:
        if (!self) {
            return "a join is by the member itself";
        }
        if (m->charter.len != RSN_ID_BYTES || !rsn_group_has_version(g, m->charter.data)) {
            return "a join must name a charter version of the group";
        }
        if (m->answers.len != 0 && m->answers.len != RSN_ID_BYTES) {
            return "a join answers an add by its 32-byte entry id";
        }
        return NULL;
    case RAISON__ACTION__ACTION_LEAVE: return self ? NULL : "a leave is by the member itself";
    case RAISON__ACTION__ACTION_ADD:
    case RAISON__ACTION__ACTION_REMOVE:
        if (m->member.len != RSN_KEY_BYTES) {
            return "add and remove name a 32-byte member key";
        }
        if (!(v = judged_version(g, &m->charter))) {
            return "an add or a remove names a charter version that is not on the group's chain";
        }
        if (!charter_owner(v->c, author)) {
            return m->charter.len ? "only an owner of the charter version it names may add or "
                                    "remove members"
                                  : "only an owner of the current charter may add or remove "
                                    "members";
        }
        if (v->c->access != RAISON__ACCESS__ACCESS_MEMBERS_ONLY) {
            return "add and remove apply to members-only groups only";
        }
        return NULL;
    default: return "the membership action is unspecified";
    }
}

/* qsort: versions by id. */
static int version_cmp(const void *a, const void *b)
{
    return memcmp(((const version_t *)a)->id, ((const version_t *)b)->id, RSN_ID_BYTES);
}

/* The usable amendments (version 2 and up) naming GROUP: the candidates of
 * the chain, in id order. */
static int load_amendments(rsn_store_t *store, rsn_arena_t *arena,
                           const uint8_t group[RSN_ID_BYTES], version_t **out, size_t *n)
{
    uint8_t prefix[RSN_KEY_MAX];
    size_t cap = 0;
    rsn_index_t ix;
    *out = NULL;
    *n = 0;
    int rc = rsn_index_open(&ix, store, prefix, rsn_key_prefix(prefix, RSN_TAG_CHARTER, group),
                            RSN_KEYLEN_ID_N);
    if (rc) {
        return rc;
    }
    for (rsn_index_first(&ix); rsn_index_valid(&ix); rsn_index_next(&ix)) {
        rsn_loaded_t *l = NULL;
        if ((rc = rsn_entry_try_load_at(store, arena, rsn_index_n(&ix), &l)) != 0) {
            goto out;
        }
        if (!l || memcmp(l->id, group, RSN_ID_BYTES) == 0 || !charter_usable(store, arena, l)) {
            continue;
        }
        const uint8_t *id = l->id;
        Raison__Charter *c = l->body;
        if (!rsn_views_same_id(&c->group, group) || c->supersedes.len != RSN_ID_BYTES ||
            c->version < 2) {
            continue;
        }
        rc = rsn_views_grow(arena, (void **)out, *n, &cap, sizeof **out);
        if (rc) {
            goto out;
        }
        version_t *v = &(*out)[(*n)++];
        memcpy(v->id, id, RSN_ID_BYTES);
        v->e = l;
        v->c = c;
    }
out:
    rsn_index_close(&ix);
    if (rc == 0 && *n > 1) {
        qsort(*out, *n, sizeof **out, version_cmp); /* 'C' is in log order */
    }
    return rc;
}

/* The valid membership events of G (its chain known), as a set. */
static int load_memberships(rsn_store_t *store, rsn_arena_t *arena, rsn_group_t *g)
{
    uint8_t prefix[RSN_KEY_MAX];
    size_t cap = 0;
    rsn_index_t ix;
    int rc = rsn_index_open(&ix, store, prefix, rsn_key_prefix(prefix, RSN_TAG_MEMBERSHIP, g->id),
                            RSN_KEYLEN_ID_N_N);
    if (rc) {
        return rc;
    }
    for (rsn_index_first(&ix); rsn_index_valid(&ix); rsn_index_next(&ix)) {
        rsn_loaded_t *l = NULL;
        if ((rc = rsn_entry_try_load_at(store, arena, rsn_index_n(&ix), &l)) != 0) {
            goto out;
        }
        if (!l) {
            continue;
        }
        const Raison__Membership *m = l->body;
        const uint8_t *author = l->entry->author.data;
        if (l->entry->kind != RAISON__KIND__KIND_MEMBERSHIP || !m ||
            !rsn_views_same_id(&m->group, g->id) || !rsn_entry_shown(store, arena, l) ||
            rsn_group_membership_problem(g, author, m)) {
            continue;
        }
        rc = rsn_views_grow(arena, (void **)&g->events, g->n_events, &cap, sizeof *g->events);
        if (rc) {
            goto out;
        }
        rsn_membership_t *ev = &g->events[g->n_events++];
        bool other =
            m->action == RAISON__ACTION__ACTION_ADD || m->action == RAISON__ACTION__ACTION_REMOVE;
        bool join = m->action == RAISON__ACTION__ACTION_JOIN;
        ev->id = l->id;
        ev->author = author;
        ev->member = other ? m->member.data : author;
        ev->seq = l->entry->seq;
        ev->action = m->action;
        ev->member_seq = other ? m->member_seq : 0;
        ev->answers = join && m->answers.len == RSN_ID_BYTES ? m->answers.data : NULL;
        ev->charter = join ? m->charter.data : NULL;
    }
out:
    rsn_index_close(&ix);
    return rc;
}

/* True when candidate A amends version CUR validly (by an owner of CUR, with
 * the next version number). */
static bool amends(const version_t *a, const version_t *cur)
{
    return rsn_views_same_id(&a->c->supersedes, cur->id) &&
           (uint64_t)a->c->version == (uint64_t)cur->c->version + 1 &&
           charter_owner(cur->c, a->e->entry->author.data);
}

/* Walks from version 1: the valid amendments of the current version compete
 * and the smallest id wins; several of them are a dispute. */
static void walk_chain(rsn_group_t *g, const version_t *cands, size_t n_cands)
{
    for (;;) {
        const version_t *cur = &g->chain[g->n_chain - 1];
        size_t winner = SIZE_MAX, count = 0;
        for (size_t i = 0; i < n_cands; i++) {
            if (amends(&cands[i], cur)) {
                count++;
                if (winner == SIZE_MAX || memcmp(cands[i].id, cands[winner].id, RSN_ID_BYTES) < 0) {
                    winner = i;
                }
            }
        }
        if (count == 0 || g->n_chain > n_cands) {
            break;
        }
        if (count > 1) {
            for (size_t i = 0; i < n_cands; i++) {
                if (amends(&cands[i], cur) && g->n_dispute <= n_cands) {
                    memcpy(g->dispute[g->n_dispute++], cands[i].id, RSN_ID_BYTES);
                }
            }
        }
        g->chain[g->n_chain++] = cands[winner];
    }
}

int rsn_group_compute(rsn_store_t *store, rsn_arena_t *arena, const uint8_t group[RSN_ID_BYTES],
                      bool events, rsn_group_t **out)
{
    *out = NULL;
    rsn_loaded_t *v1 = NULL;
    int rc = rsn_entry_load(store, arena, group, &v1);
    if (rc == RSN_ERR_NOT_FOUND) {
        return RSN_ERR_UNKNOWN_GROUP;
    }
    if (rc) {
        return rc;
    }
    if (!charter_usable(store, arena, v1)) {
        return RSN_ERR_UNKNOWN_GROUP;
    }
    Raison__Charter *c1 = v1->body;
    if (c1->group.len || c1->supersedes.len || c1->version != 1) {
        return RSN_ERR_UNKNOWN_GROUP;
    }
    version_t *cands = NULL;
    size_t n_cands = 0;
    rc = load_amendments(store, arena, group, &cands, &n_cands);
    if (rc) {
        return rc;
    }
    rsn_group_t *g = rsn_arena_alloc(arena, sizeof *g);
    version_t *chain = g ? rsn_arena_alloc(arena, (n_cands + 1) * sizeof *chain) : NULL;
    uint8_t(*dispute)[RSN_ID_BYTES] =
        chain ? rsn_arena_alloc(arena, (n_cands + 1) * RSN_ID_BYTES) : NULL;
    if (!dispute) {
        return RSN_ERR_NOMEM;
    }
    memcpy(g->id, group, RSN_ID_BYTES);
    g->chain = chain;
    g->dispute = dispute;
    memcpy(chain[0].id, group, RSN_ID_BYTES);
    chain[0].e = v1;
    chain[0].c = c1;
    g->n_chain = 1;
    walk_chain(g, cands, n_cands);
    g->scanned = events;
    g->src.store = store;
    g->arena = arena;
    if (events && (rc = load_memberships(store, arena, g)) != 0) {
        return rc;
    }
    *out = g;
    return 0;
}

/* Loads the chain the derived state GS names into G: version 1 must be the
 * group's own usable charter, each version a held charter with its body.
 * RSN_ERR_NOT_FOUND when one is not (the state lags an erasure). */
static int load_derived_chain(rsn_group_t *g, const rsn_gs_group_t *gs)
{
    g->chain = rsn_arena_alloc(g->arena, gs->n_chain * sizeof *g->chain);
    g->dispute = rsn_arena_alloc(g->arena, (gs->n_dispute + 1) * RSN_ID_BYTES);
    if (!g->chain || !g->dispute) {
        return RSN_ERR_NOMEM;
    }
    for (size_t i = 0; i < gs->n_chain; i++) {
        rsn_loaded_t *l = NULL;
        int rc = rsn_entry_try_load(g->src.store, g->arena, gs->chain[i], &l);
        if (rc) {
            return rc;
        }
        if (!l || !l->body || l->entry->kind != RAISON__KIND__KIND_CHARTER) {
            return RSN_ERR_NOT_FOUND;
        }
        memcpy(g->chain[i].id, gs->chain[i], RSN_ID_BYTES);
        g->chain[i].e = l;
        g->chain[i].c = l->body;
    }
    g->n_chain = gs->n_chain;
    memcpy(g->dispute, gs->dispute, gs->n_dispute * RSN_ID_BYTES);
    g->n_dispute = gs->n_dispute;
    return 0;
}

/* The group as derived, read through SRC. */
static int open_derived(const rsn_gs_src_t *src, rsn_arena_t *arena,
                        const uint8_t group[RSN_ID_BYTES], rsn_group_t **out)
{
    *out = NULL;
    rsn_group_t *g = rsn_arena_alloc(arena, sizeof *g);
    record_cache_t *cache = rsn_arena_alloc(arena, sizeof *cache);
    if (!g || !cache) {
        return RSN_ERR_NOMEM;
    }
    memcpy(g->id, group, RSN_ID_BYTES);
    g->src = *src;
    g->arena = arena;
    g->cache = cache;
    int rc = rsn_gs_group_read(src, arena, group, &g->gs);
    if (rc == RSN_ERR_NOT_FOUND || (rc == 0 && (!g->gs.founded || g->gs.n_chain == 0))) {
        return RSN_ERR_UNKNOWN_GROUP;
    }
    if (rc == 0) {
        rc = load_derived_chain(g, &g->gs);
    }
    if (rc == RSN_ERR_NOT_FOUND) {
        /* a charter of the derived chain went since (its erasure not yet
         * derived): the chain from the charters, the records as derived */
        rsn_group_t *c = NULL;
        rc = rsn_group_compute(src->store, arena, group, false, &c);
        if (rc == 0) {
            g->chain = c->chain;
            g->n_chain = c->n_chain;
            g->dispute = c->dispute;
            g->n_dispute = c->n_dispute;
            g->gs.updating = true;
        }
    }
    if (rc == 0) {
        *out = g;
    }
    return rc;
}

int rsn_group_load(rsn_store_t *store, rsn_arena_t *arena, const uint8_t group[RSN_ID_BYTES],
                   rsn_group_t **out)
{
    rsn_gs_src_t src = {.store = store, .dx = NULL};
    return open_derived(&src, arena, group, out);
}

int rsn_group_load_dx(rsn_dx_t *dx, rsn_arena_t *arena, const uint8_t group[RSN_ID_BYTES],
                      rsn_group_t **out)
{
    rsn_gs_src_t src = {.store = rsn_dx_store(dx), .dx = dx};
    return open_derived(&src, arena, group, out);
}

int rsn_group_try_load(rsn_store_t *store, rsn_arena_t *arena, const uint8_t group[RSN_ID_BYTES],
                       rsn_group_t **out)
{
    int rc = rsn_group_load(store, arena, group, out);
    return rc == RSN_ERR_UNKNOWN_GROUP ? 0 : rc;
}

bool rsn_group_updating(const rsn_group_t *g)
{
    return !g->scanned && g->gs.updating;
}

/* ------------------------------------------------------------- queries -- */

const uint8_t *rsn_group_id(const rsn_group_t *g)
{
    return g->id;
}

const Raison__Charter *rsn_group_charter(const rsn_group_t *g, uint8_t id[RSN_ID_BYTES])
{
    const version_t *cur = &g->chain[g->n_chain - 1];
    if (id) {
        memcpy(id, cur->id, RSN_ID_BYTES);
    }
    return cur->c;
}

size_t rsn_group_versions(const rsn_group_t *g)
{
    return g->n_chain;
}

const rsn_loaded_t *rsn_group_version(const rsn_group_t *g, size_t i)
{
    return g->chain[i].e;
}

size_t rsn_group_disputes(const rsn_group_t *g)
{
    return g->n_dispute;
}

const uint8_t *rsn_group_dispute(const rsn_group_t *g, size_t i)
{
    return g->dispute[i];
}

bool rsn_group_has_version(const rsn_group_t *g, const uint8_t id[RSN_ID_BYTES])
{
    for (size_t i = 0; i < g->n_chain; i++) {
        if (memcmp(g->chain[i].id, id, RSN_ID_BYTES) == 0) {
            return true;
        }
    }
    return false;
}

static bool charter_has_mission(const Raison__Charter *c, const char *key)
{
    for (size_t i = 0; i < c->n_missions; i++) {
        if (strcmp(c->missions[i]->key, key) == 0) {
            return true;
        }
    }
    return false;
}

bool rsn_group_has_mission(const rsn_group_t *g, const char *key)
{
    return charter_has_mission(rsn_group_charter(g, NULL), key);
}

bool rsn_group_had_mission(const rsn_group_t *g, const char *key)
{
    for (size_t v = 0; v < g->n_chain; v++) {
        if (charter_has_mission(g->chain[v].c, key)) {
            return true;
        }
    }
    return false;
}

bool rsn_group_is_owner(const rsn_group_t *g, const uint8_t key[RSN_KEY_BYTES])
{
    return charter_owner(rsn_group_charter(g, NULL), key);
}

/* MEMBER's derived record in G (cached in G), NULL when there is none. */
static const rsn_gs_member_t *record(const rsn_group_t *g, const uint8_t member[RSN_KEY_BYTES])
{
    record_cache_t *c = g->cache;
    for (size_t i = 0; i < c->n; i++) {
        if (memcmp(c->slot[i].key, member, RSN_KEY_BYTES) == 0) {
            return c->slot[i].rec;
        }
    }
    rsn_gs_member_t *rec = rsn_arena_alloc(g->arena, sizeof *rec);
    int rc = rec ? rsn_gs_member_read(&g->src, g->arena, g->id, member, rec) : RSN_ERR_NOMEM;
    if (rc < 0 && rc != RSN_ERR_NOT_FOUND) {
        rsn_error("group: a member record could not be read: %s", rsn_strerror(rc));
    }
    cached_record_t *slot = &c->slot[c->n < RECORD_CACHE ? c->n++ : c->next++ % RECORD_CACHE];
    memcpy(slot->key, member, RSN_KEY_BYTES);
    slot->rec = rc == 0 ? rec : NULL;
    return slot->rec;
}

/* True when KEY may post at seq SEQ of its feed under version V: an owner
 * of V, anyone when V is open, else inside an open span. */
static bool may_post_under(const rsn_group_t *g, const version_t *v,
                           const uint8_t key[RSN_KEY_BYTES], uint64_t seq)
{
    if (charter_owner(v->c, key) || v->c->access == RAISON__ACCESS__ACCESS_OPEN) {
        return true;
    }
    if (g->scanned) {
        return rsn_membership_in_span(g->events, g->n_events, key, seq, NULL);
    }
    const rsn_gs_member_t *r = record(g, key);
    return r && rsn_membership_spans_hold(r->spans, r->n_spans, seq);
}

bool rsn_group_may_post(const rsn_group_t *g, const uint8_t key[RSN_KEY_BYTES], uint64_t seq)
{
    return may_post_under(g, &g->chain[g->n_chain - 1], key, seq);
}

const char *rsn_group_post_problem(const rsn_group_t *g, const uint8_t author[RSN_KEY_BYTES],
                                   uint64_t seq, const Raison__Post *p)
{
    static const ProtobufCBinaryData none = {0, NULL};
    const version_t *v = judged_version(g, p ? &p->charter : &none);
    if (!v) {
        return "it names a charter version that is not on the group's chain";
    }
    if (p && p->charter.len == 0 && !rsn_group_had_mission(g, p->mission)) {
        return "no version of the group's charter has this mission";
    }
    if (p && p->charter.len != 0 && !charter_has_mission(v->c, p->mission)) {
        return "the charter version it names has no such mission";
    }
    if (!may_post_under(g, v, author, seq)) {
        return "the author was not a member of this members-only group at the time";
    }
    return NULL;
}

/* The events the membership functions read for MEMBER: every valid event
 * (computed), or the adds that stand (derived: *N 0 when no record). */
static const rsn_membership_t *adds_of(const rsn_group_t *g, const uint8_t member[RSN_KEY_BYTES],
                                       size_t *n)
{
    if (g->scanned) {
        *n = g->n_events;
        return g->events;
    }
    const rsn_gs_member_t *r = record(g, member);
    *n = r ? r->n_adds : 0;
    return r ? r->adds : NULL;
}

const uint8_t *rsn_group_standing_add(const rsn_group_t *g, const uint8_t member[RSN_KEY_BYTES],
                                      uint64_t seq)
{
    size_t n = 0;
    const rsn_membership_t *ev = adds_of(g, member, &n);
    const rsn_membership_t *a = rsn_membership_standing_add(ev, n, member, seq);
    return a ? a->id : NULL;
}

bool rsn_group_add_stands(const rsn_group_t *g, const uint8_t member[RSN_KEY_BYTES], uint64_t seq,
                          const uint8_t add[RSN_ID_BYTES])
{
    size_t n = 0;
    const rsn_membership_t *ev = adds_of(g, member, &n);
    return rsn_membership_add_stands(ev, n, member, seq, add);
}

const uint8_t *rsn_group_removed_by(const rsn_group_t *g, const uint8_t member[RSN_KEY_BYTES])
{
    if (g->scanned) {
        const rsn_membership_t *r = rsn_membership_last_remove(g->events, g->n_events, member);
        return r ? r->author : NULL;
    }
    const rsn_gs_member_t *r = record(g, member);
    return r && (r->flags & RSN_GS_REMOVED) ? r->removed_by : NULL;
}

size_t rsn_group_member_count(const rsn_group_t *g)
{
    const Raison__Charter *c = rsn_group_charter(g, NULL);
    bool open = c->access == RAISON__ACCESS__ACCESS_OPEN;
    return c->n_owners + (size_t)(open ? g->gs.n_joined : g->gs.n_spanned);
}

/* Appends KEY to the N members of M unless it is there: its index. */
static size_t member_slot(rsn_member_t *m, size_t *n, const uint8_t key[RSN_KEY_BYTES])
{
    for (size_t j = 0; j < *n; j++) {
        if (memcmp(m[j].key, key, RSN_KEY_BYTES) == 0) {
            return j;
        }
    }
    memset(&m[*n], 0, sizeof m[*n]);
    memcpy(m[*n].key, key, RSN_KEY_BYTES);
    return (*n)++;
}

/* The members from every valid event (rsn_group_compute with events). */
static int members_scanned(const rsn_group_t *g, rsn_arena_t *arena, rsn_member_t **out, size_t *n)
{
    const Raison__Charter *c = rsn_group_charter(g, NULL);
    bool open = c->access == RAISON__ACCESS__ACCESS_OPEN;
    rsn_member_t *m = rsn_arena_alloc(arena, (c->n_owners + g->n_events + 1) * sizeof *m);
    size_t count = 0;
    if (!m) {
        return RSN_ERR_NOMEM;
    }
    for (size_t i = 0; i < c->n_owners; i++) {
        size_t j = member_slot(m, &count, c->owners[i].data);
        m[j].owner = true;
        m[j].in = true;
    }
    for (size_t i = 0; i < g->n_events; i++) {
        (void)member_slot(m, &count, g->events[i].member);
    }
    for (size_t j = 0; j < count; j++) {
        const rsn_membership_t *join = NULL;
        bool in = open
                      ? rsn_membership_joined(g->events, g->n_events, m[j].key, UINT64_MAX, &join)
                      : rsn_membership_in_span(g->events, g->n_events, m[j].key, UINT64_MAX, &join);
        if (m[j].owner && !join) {
            /* an owner is in without joining: its latest join, if any */
            (void)rsn_membership_joined(g->events, g->n_events, m[j].key, UINT64_MAX, &join);
        }
        m[j].in = m[j].owner || in;
        m[j].charter = join ? join->charter : NULL;
    }
    size_t kept = 0;
    for (size_t i = 0; i < count; i++) {
        if (m[i].in) {
            m[kept++] = m[i];
        }
    }
    *out = m;
    *n = kept;
    return 0;
}

/* What record R says of a member now, as the scan would (open: the latest
 * join or leave; members-only: the span; an owner is in, with its join). */
static void member_from(rsn_member_t *m, const rsn_gs_member_t *r, bool open, bool owner)
{
    bool in = r && (r->flags & (open ? RSN_GS_JOINED : RSN_GS_SPANNED));
    m->owner = owner;
    m->in = owner || in;
    m->charter = NULL;
    if (r && !open && (r->flags & RSN_GS_SPANNED)) {
        m->charter = r->spanned_charter;
    } else if (r && (r->flags & RSN_GS_JOINED) && (open || owner)) {
        m->charter = r->joined_charter;
    }
}

/* Parses a members cursor: *OWNER the owner index to go on from, or AFTER
 * (the last member key returned) with *OWNER SIZE_MAX. */
static int parse_cursor(const uint8_t *cursor, size_t len, size_t *owner, const uint8_t **after)
{
    *owner = 0;
    *after = NULL;
    if (len == 0) {
        return 0;
    }
    if (len == RSN_GROUP_CURSOR_OWNER && cursor[0] == 0) {
        *owner =
            (size_t)cursor[1] << 24 | (size_t)cursor[2] << 16 | (size_t)cursor[3] << 8 | cursor[4];
        return 0;
    }
    if (len == RSN_GROUP_CURSOR_MAX && cursor[0] == 1) {
        *owner = SIZE_MAX;
        *after = cursor + 1;
        return 0;
    }
    return RSN_ERR_BAD_REQUEST;
}

int rsn_group_members_page(const rsn_group_t *g, rsn_arena_t *arena, const uint8_t *cursor,
                           size_t cursor_len, size_t limit, rsn_member_t **out, size_t *n,
                           uint8_t next[RSN_GROUP_CURSOR_MAX], size_t *next_len)
{
    const Raison__Charter *c = rsn_group_charter(g, NULL);
    bool open = c->access == RAISON__ACCESS__ACCESS_OPEN;
    size_t from = 0;
    const uint8_t *after = NULL;
    *out = NULL;
    *n = 0;
    *next_len = 0;
    int rc = parse_cursor(cursor, cursor_len, &from, &after);
    limit = limit ? limit : 1;
    if (rc || g->scanned) {
        return rc ? rc : members_scanned(g, arena, out, n);
    }
    rsn_member_t *m = rsn_arena_alloc(arena, (limit + 1) * sizeof *m);
    if (!m) {
        return RSN_ERR_NOMEM;
    }
    size_t count = 0;
    for (size_t i = from; from != SIZE_MAX && i < c->n_owners; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++) {
            seen = memcmp(c->owners[j].data, c->owners[i].data, RSN_KEY_BYTES) == 0;
        }
        if (seen) {
            continue;
        }
        if (count == limit) {
            next[0] = 0;
            for (int b = 0; b < 4; b++) {
                next[1 + b] = (uint8_t)(i >> (24 - 8 * b));
            }
            *next_len = RSN_GROUP_CURSOR_OWNER;
            *out = m;
            *n = count;
            return 0;
        }
        memcpy(m[count].key, c->owners[i].data, RSN_KEY_BYTES);
        member_from(&m[count++], record(g, c->owners[i].data), open, true);
    }
    uint8_t prefix[RSN_KEY_MAX], k[RSN_KEY_MAX];
    rsn_index_t ix;
    rc = rsn_index_open(&ix, g->src.store, prefix, rsn_key_prefix(prefix, RSN_TAG_GS_MEMBER, g->id),
                        RSN_KEYLEN_ID_ID);
    if (rc) {
        return rc;
    }
    if (after) {
        rsn_index_seek(&ix, k, rsn_key_gs_member(k, g->id, after));
    } else {
        rsn_index_first(&ix);
    }
    for (; rc == 0 && rsn_index_valid(&ix); rsn_index_next(&ix)) {
        const uint8_t *key = rsn_index_id(&ix);
        if ((after && memcmp(key, after, RSN_KEY_BYTES) == 0) || charter_owner(c, key)) {
            continue;
        }
        size_t len = 0;
        const uint8_t *v = rsn_index_value(&ix, &len);
        rsn_gs_member_t r;
        if ((rc = rsn_gs_member_decode(arena, v, len, key, &r)) != 0) {
            break;
        }
        rsn_member_t one;
        memcpy(one.key, key, RSN_KEY_BYTES);
        member_from(&one, &r, open, false);
        if (!one.in) {
            continue;
        }
        if (count == limit) {
            next[0] = 1;
            memcpy(next + 1, m[count - 1].key, RSN_KEY_BYTES);
            *next_len = count ? RSN_GROUP_CURSOR_MAX : 0;
            break;
        }
        m[count++] = one;
    }
    rsn_index_close(&ix);
    *out = m;
    *n = count;
    return rc;
}

int rsn_group_members(const rsn_group_t *g, rsn_arena_t *arena, rsn_member_t **out, size_t *n)
{
    uint8_t next[RSN_GROUP_CURSOR_MAX];
    size_t next_len = 0;
    size_t all = g->scanned ? 0 : rsn_group_member_count(g) + 1;
    for (;;) {
        int rc = rsn_group_members_page(g, arena, NULL, 0, all, out, n, next, &next_len);
        if (rc || next_len == 0) {
            return rc;
        }
        all *= 2; /* the count lagged the records (being updated) */
    }
}
