/* d_views.c — what raisond shows: stored entries, group state computed from
 * charters and memberships, and the replies of the read calls of the API.
 *
 * Nothing is cached between calls: each call reads the indexes of
 * store/keys.h and applies the semantic rules of DESIGN.md at read time, so
 * an entry that arrived before what it depends on shows as soon as that
 * arrives, and an entry that breaks a rule simply does not show. Entries
 * hidden by a fork of their feed, or retracted by their author, count
 * nowhere. Within one call the group state and the authors' profiles are
 * computed once (ctx_t). Everything is taken from the caller's arena.
 *
 * Costs: a group's state is linear in its charters and memberships; a
 * timeline page reads posts until the page is full; counting a group's posts
 * (group summaries, reports) is linear in the group's posts — acceptable for
 * now, a counter index can come later. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "crypto/crypto.h"
#include "store/keys.h"
#include "daemon/views.h"

/* Defined in d_rules.c (node-internal): the content rules of a charter. */
int rsn_charter_problem(const Raison__Charter *c, const uint8_t author[32], char *why,
                        size_t why_size);

#define TIMELINE_DEFAULT 50
#define GROUPS_DEFAULT 100
#define FEED_DEFAULT 100
#define PAGE_MAX 500

/* ------------------------------------------------------------- helpers -- */

static void say(char *why, size_t why_size, const char *fmt, ...) RSN_PRINTF(3, 4);

static void say(char *why, size_t why_size, const char *fmt, ...)
{
    if (why && why_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, why_size, fmt, ap);
        va_end(ap);
    }
}

/* Makes room for one more item of SIZE bytes in *ITEMS (arena memory). */
static int grow(rsn_arena_t *arena, void **items, size_t n, size_t *cap, size_t size)
{
    if (n < *cap) {
        return 0;
    }
    size_t ncap = *cap ? *cap * 2 : 8;
    void *p = rsn_arena_alloc(arena, ncap * size);
    if (!p) {
        return RSN_ERR_NOMEM;
    }
    if (n) {
        memcpy(p, *items, n * size);
    }
    *items = p;
    *cap = ncap;
    return 0;
}

static ProtobufCBinaryData bytes_of(rsn_arena_t *arena, const void *data, size_t len)
{
    ProtobufCBinaryData b = {0, NULL};
    if (len) {
        b.data = rsn_arena_memdup(arena, data, len);
        b.len = b.data ? len : 0;
    }
    return b;
}

static bool same_id(const ProtobufCBinaryData *b, const uint8_t id[32])
{
    return b->len == 32 && memcmp(b->data, id, 32) == 0;
}

static bool key_in(const ProtobufCBinaryData *keys, size_t n, const uint8_t key[32])
{
    for (size_t i = 0; i < n; i++) {
        if (same_id(&keys[i], key)) {
            return true;
        }
    }
    return false;
}

static const char *text_or_empty(rsn_arena_t *arena, const char *s)
{
    char *p = rsn_arena_strdup(arena, s ? s : "");
    return p ? p : "";
}

/* ------------------------------------------------------------- entries -- */

int rsn_signed_load(rsn_store_t *store, rsn_arena_t *arena, const uint8_t id[32],
                    Raison__SignedEntry **out)
{
    uint8_t k[RSN_KEY_MAX];
    void *v = NULL;
    size_t vlen = 0;
    *out = NULL;
    int rc = rsn_store_get(store, k, rsn_key_1(k, RSN_TAG_ENTRY, id), &v, &vlen);
    if (rc) {
        return rc;
    }
    ProtobufCAllocator a = rsn_arena_allocator(arena);
    Raison__SignedEntry *se = raison__signed_entry__unpack(&a, vlen, v);
    rsn_store_free(v);
    if (!se) {
        rsn_error("store: a stored entry does not decode as a SignedEntry");
        return RSN_ERR_IO;
    }
    v = NULL;
    rc = rsn_store_get(store, k, rsn_key_1(k, RSN_TAG_BODY, id), &v, &vlen);
    se->body.data = NULL;
    se->body.len = 0;
    if (rc == 0) {
        /* an empty body is held too: data is never NULL for a held body */
        se->body.data = rsn_arena_memdup(arena, v, vlen);
        se->body.len = vlen;
        rsn_store_free(v);
        if (!se->body.data) {
            return RSN_ERR_NOMEM;
        }
    } else if (rc != RSN_ERR_NOT_FOUND) {
        return rc;
    }
    *out = se;
    return 0;
}

int rsn_entry_load(rsn_store_t *store, rsn_arena_t *arena, const uint8_t id[32], rsn_loaded_t **out)
{
    *out = NULL;
    rsn_loaded_t *l = rsn_arena_alloc(arena, sizeof *l);
    if (!l) {
        return RSN_ERR_NOMEM;
    }
    memcpy(l->id, id, 32);
    int rc = rsn_signed_load(store, arena, id, &l->signed_entry);
    if (rc) {
        return rc;
    }
    rc = rsn_entry_decode(arena, l->signed_entry->entry.data, l->signed_entry->entry.len, &l->entry,
                          NULL, 0);
    if (rc) {
        rsn_error("views: stored entry header does not decode: %s", rsn_strerror(rc));
        return RSN_ERR_IO;
    }
    const ProtobufCBinaryData *body = &l->signed_entry->body;
    l->erased = body->data == NULL;
    if (body->data &&
        rsn_body_decode(arena, l->entry->kind, body->data, body->len, &l->body) != 0) {
        l->body = NULL;
    }
    *out = l;
    return 0;
}

int rsn_entry_group(const rsn_loaded_t *e, uint8_t group[32])
{
    if (!e->body) {
        return RSN_ERR_NOT_FOUND;
    }
    const ProtobufCBinaryData *g = NULL;
    switch (e->entry->kind) {
    case RAISON__KIND__KIND_CHARTER: {
        const Raison__Charter *c = e->body;
        if (c->group.len == 0) {
            memcpy(group, e->id, 32);
            return 0;
        }
        g = &c->group;
        break;
    }
    case RAISON__KIND__KIND_MEMBERSHIP: g = &((const Raison__Membership *)e->body)->group; break;
    case RAISON__KIND__KIND_POST: g = &((const Raison__Post *)e->body)->group; break;
    default: return RSN_ERR_NOT_FOUND;
    }
    if (g->len != 32) {
        return RSN_ERR_NOT_FOUND;
    }
    memcpy(group, g->data, 32);
    return 0;
}

bool rsn_feed_hidden(rsn_store_t *store, const uint8_t author[32], uint64_t seq)
{
    uint8_t k[RSN_KEY_MAX];
    void *v = NULL;
    size_t vlen = 0;
    if (rsn_store_get(store, k, rsn_key_1(k, RSN_TAG_FROZEN, author), &v, &vlen) != 0) {
        return false;
    }
    bool hidden = vlen == 8 && seq >= rsn_be64_get(v);
    rsn_store_free(v);
    return hidden;
}

/* The seq a feed is frozen from, 0 when it is not. */
static uint64_t frozen_from(rsn_store_t *store, const uint8_t author[32])
{
    uint8_t k[RSN_KEY_MAX];
    void *v = NULL;
    size_t vlen = 0;
    if (rsn_store_get(store, k, rsn_key_1(k, RSN_TAG_FROZEN, author), &v, &vlen) != 0) {
        return 0;
    }
    uint64_t seq = vlen == 8 ? rsn_be64_get(v) : 0;
    rsn_store_free(v);
    return seq;
}

bool rsn_entry_retracted(rsn_store_t *store, rsn_arena_t *arena, const uint8_t id[32],
                         const uint8_t author[32])
{
    uint8_t prefix[RSN_KEY_MAX];
    size_t plen = rsn_key_1(prefix, RSN_TAG_RETRACTION, id);
    rsn_iter_t *it = rsn_iter_new(store, prefix, plen);
    bool retracted = false;
    if (!it) {
        return false;
    }
    for (rsn_iter_first(it); rsn_iter_valid(it) && !retracted; rsn_iter_next(it)) {
        size_t klen = 0;
        const uint8_t *key = rsn_iter_key(it, &klen);
        if (klen != 65) {
            continue;
        }
        uint8_t rid[32];
        memcpy(rid, key + 33, 32);
        rsn_loaded_t *r = NULL;
        if (rsn_entry_load(store, arena, rid, &r) != 0) {
            continue;
        }
        if (r->entry->kind != RAISON__KIND__KIND_RETRACTION ||
            memcmp(r->entry->author.data, author, 32) != 0 ||
            rsn_feed_hidden(store, author, r->entry->seq)) {
            continue;
        }
        if (r->body && !same_id(&((const Raison__Retraction *)r->body)->target, id)) {
            continue;
        }
        retracted = true;
    }
    rsn_iter_destroy(&it);
    return retracted;
}

/* True when the views may count entry L at all (not hidden, not retracted). */
static bool entry_shown(rsn_store_t *store, rsn_arena_t *arena, const rsn_loaded_t *l)
{
    const uint8_t *author = l->entry->author.data;
    return !rsn_feed_hidden(store, author, l->entry->seq) &&
           !rsn_entry_retracted(store, arena, l->id, author);
}

/* --------------------------------------------------------- group state -- */

typedef struct {
    uint8_t id[32];
    rsn_loaded_t *e;
    Raison__Charter *c;
} version_t;

typedef struct {
    uint8_t key[32];
    uint64_t ts;
    Raison__Action action;
    const uint8_t *charter; /* join: the version acknowledged */
} event_t;

struct rsn_group {
    uint8_t id[32];
    version_t *chain; /* version 1 first, the current one last */
    size_t n_chain;
    uint8_t (*dispute)[32];
    size_t n_dispute;
    event_t *events; /* valid membership events, in key order */
    size_t n_events;
};

static bool charter_owner(const Raison__Charter *c, const uint8_t key[32])
{
    return key_in(c->owners, c->n_owners, key);
}

/* A charter entry the views may use: held body, shown, content rules met. */
static bool charter_usable(rsn_store_t *store, rsn_arena_t *arena, const rsn_loaded_t *l)
{
    return l->entry->kind == RAISON__KIND__KIND_CHARTER && l->body &&
           entry_shown(store, arena, l) &&
           rsn_charter_problem(l->body, l->entry->author.data, NULL, 0) == 0;
}

/* NULL when membership M by AUTHOR is valid in G; the rule it breaks. */
static const char *membership_problem(const rsn_group_t *g, const uint8_t author[32],
                                      const Raison__Membership *m)
{
    const Raison__Charter *cur = g->chain[g->n_chain - 1].c;
    bool self = m->member.len == 0 || same_id(&m->member, author);
    switch (m->action) {
    case RAISON__ACTION__ACTION_JOIN:
        if (!self) {
            return "a join is by the member itself";
        }
        if (m->charter.len != 32 || !rsn_group_has_version(g, m->charter.data)) {
            return "a join must name a charter version of the group";
        }
        return NULL;
    case RAISON__ACTION__ACTION_LEAVE: return self ? NULL : "a leave is by the member itself";
    case RAISON__ACTION__ACTION_ADD:
    case RAISON__ACTION__ACTION_REMOVE:
        if (m->member.len != 32) {
            return "add and remove name a 32-byte member key";
        }
        if (!charter_owner(cur, author)) {
            return "only an owner of the current charter may add or remove members";
        }
        if (cur->access != RAISON__ACCESS__ACCESS_MEMBERS_ONLY) {
            return "add and remove apply to members-only groups only";
        }
        return NULL;
    default: return "the membership action is unspecified";
    }
}

static int load_amendments(rsn_store_t *store, rsn_arena_t *arena, const uint8_t group[32],
                           version_t **out, size_t *n)
{
    uint8_t prefix[RSN_KEY_MAX];
    size_t cap = 0;
    int rc = 0;
    *out = NULL;
    *n = 0;
    rsn_iter_t *it = rsn_iter_new(store, prefix, rsn_key_1(prefix, RSN_TAG_CHARTER, group));
    if (!it) {
        return RSN_ERR_NOMEM;
    }
    for (rsn_iter_first(it); rsn_iter_valid(it); rsn_iter_next(it)) {
        size_t klen = 0;
        const uint8_t *key = rsn_iter_key(it, &klen);
        if (klen != 65 || memcmp(key + 33, group, 32) == 0) {
            continue;
        }
        uint8_t id[32];
        memcpy(id, key + 33, 32);
        rsn_loaded_t *l = NULL;
        rc = rsn_entry_load(store, arena, id, &l);
        if (rc == RSN_ERR_NOT_FOUND) {
            rc = 0;
            continue;
        }
        if (rc) {
            goto out;
        }
        if (!charter_usable(store, arena, l)) {
            continue;
        }
        Raison__Charter *c = l->body;
        if (!same_id(&c->group, group) || c->supersedes.len != 32 || c->version < 2) {
            continue;
        }
        rc = grow(arena, (void **)out, *n, &cap, sizeof **out);
        if (rc) {
            goto out;
        }
        version_t *v = &(*out)[(*n)++];
        memcpy(v->id, id, 32);
        v->e = l;
        v->c = c;
    }
out:
    rsn_iter_destroy(&it);
    return rc;
}

static int load_memberships(rsn_store_t *store, rsn_arena_t *arena, rsn_group_t *g)
{
    uint8_t prefix[RSN_KEY_MAX];
    size_t cap = 0;
    int rc = 0;
    rsn_iter_t *it = rsn_iter_new(store, prefix, rsn_key_1(prefix, RSN_TAG_MEMBERSHIP, g->id));
    if (!it) {
        return RSN_ERR_NOMEM;
    }
    for (rsn_iter_first(it); rsn_iter_valid(it); rsn_iter_next(it)) {
        size_t klen = 0;
        const uint8_t *key = rsn_iter_key(it, &klen);
        if (klen != 73) {
            continue;
        }
        uint64_t ts = rsn_be64_get(key + 33);
        uint8_t id[32];
        memcpy(id, key + 41, 32);
        rsn_loaded_t *l = NULL;
        rc = rsn_entry_load(store, arena, id, &l);
        if (rc == RSN_ERR_NOT_FOUND) {
            rc = 0;
            continue;
        }
        if (rc) {
            goto out;
        }
        const Raison__Membership *m = l->body;
        const uint8_t *author = l->entry->author.data;
        if (l->entry->kind != RAISON__KIND__KIND_MEMBERSHIP || !m || !same_id(&m->group, g->id) ||
            !entry_shown(store, arena, l) || membership_problem(g, author, m)) {
            continue;
        }
        rc = grow(arena, (void **)&g->events, g->n_events, &cap, sizeof *g->events);
        if (rc) {
            goto out;
        }
        event_t *ev = &g->events[g->n_events++];
        bool other =
            m->action == RAISON__ACTION__ACTION_ADD || m->action == RAISON__ACTION__ACTION_REMOVE;
        memcpy(ev->key, other ? m->member.data : author, 32);
        ev->ts = ts;
        ev->action = m->action;
        ev->charter = m->action == RAISON__ACTION__ACTION_JOIN ? m->charter.data : NULL;
    }
out:
    rsn_iter_destroy(&it);
    return rc;
}

int rsn_group_load(rsn_store_t *store, rsn_arena_t *arena, const uint8_t group[32],
                   rsn_group_t **out)
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
    uint8_t(*dispute)[32] = chain ? rsn_arena_alloc(arena, (n_cands + 1) * 32) : NULL;
    if (!dispute) {
        return RSN_ERR_NOMEM;
    }
    memcpy(g->id, group, 32);
    g->chain = chain;
    g->dispute = dispute;
    memcpy(chain[0].id, group, 32);
    chain[0].e = v1;
    chain[0].c = c1;
    g->n_chain = 1;
    /* Walk from version 1: the valid amendments of the current version
     * compete and the smallest id wins; several of them are a dispute. */
    for (;;) {
        const version_t *cur = &chain[g->n_chain - 1];
        size_t winner = SIZE_MAX, count = 0;
        for (size_t i = 0; i < n_cands; i++) {
            const version_t *a = &cands[i];
            if (same_id(&a->c->supersedes, cur->id) &&
                (uint64_t)a->c->version == (uint64_t)cur->c->version + 1 &&
                charter_owner(cur->c, a->e->entry->author.data)) {
                count++;
                if (winner == SIZE_MAX || memcmp(a->id, cands[winner].id, 32) < 0) {
                    winner = i;
                }
            }
        }
        if (count == 0 || g->n_chain > n_cands) {
            break;
        }
        if (count > 1) {
            for (size_t i = 0; i < n_cands; i++) {
                const version_t *a = &cands[i];
                if (same_id(&a->c->supersedes, cur->id) &&
                    (uint64_t)a->c->version == (uint64_t)cur->c->version + 1 &&
                    charter_owner(cur->c, a->e->entry->author.data) && g->n_dispute <= n_cands) {
                    memcpy(g->dispute[g->n_dispute++], a->id, 32);
                }
            }
        }
        chain[g->n_chain++] = cands[winner];
    }
    rc = load_memberships(store, arena, g);
    if (rc) {
        return rc;
    }
    *out = g;
    return 0;
}

const Raison__Charter *rsn_group_charter(const rsn_group_t *g, uint8_t id[32])
{
    const version_t *cur = &g->chain[g->n_chain - 1];
    if (id) {
        memcpy(id, cur->id, 32);
    }
    return cur->c;
}

bool rsn_group_has_version(const rsn_group_t *g, const uint8_t id[32])
{
    for (size_t i = 0; i < g->n_chain; i++) {
        if (memcmp(g->chain[i].id, id, 32) == 0) {
            return true;
        }
    }
    return false;
}

bool rsn_group_has_mission(const rsn_group_t *g, const char *key)
{
    const Raison__Charter *c = rsn_group_charter(g, NULL);
    for (size_t i = 0; i < c->n_missions; i++) {
        if (strcmp(c->missions[i]->key, key) == 0) {
            return true;
        }
    }
    return false;
}

/* True when any version of the chain had mission KEY (retired ones too). */
static bool chain_has_mission(const rsn_group_t *g, const char *key)
{
    for (size_t v = 0; v < g->n_chain; v++) {
        const Raison__Charter *c = g->chain[v].c;
        for (size_t i = 0; i < c->n_missions; i++) {
            if (strcmp(c->missions[i]->key, key) == 0) {
                return true;
            }
        }
    }
    return false;
}

bool rsn_group_is_owner(const rsn_group_t *g, const uint8_t key[32])
{
    return charter_owner(rsn_group_charter(g, NULL), key);
}

bool rsn_group_may_post(const rsn_group_t *g, const uint8_t key[32], uint64_t at_ms)
{
    const Raison__Charter *c = rsn_group_charter(g, NULL);
    if (charter_owner(c, key) || c->access == RAISON__ACCESS__ACCESS_OPEN) {
        return true;
    }
    Raison__Action last = RAISON__ACTION__ACTION_UNSPECIFIED;
    for (size_t i = 0; i < g->n_events; i++) {
        const event_t *ev = &g->events[i];
        if (ev->ts <= at_ms && memcmp(ev->key, key, 32) == 0) {
            last = ev->action;
        }
    }
    return last == RAISON__ACTION__ACTION_JOIN || last == RAISON__ACTION__ACTION_ADD;
}

typedef struct {
    uint8_t key[32];
    bool owner;
    bool in;
    const uint8_t *charter;
} member_t;

/* The members now: the owners of the current charter, then everyone whose
 * last membership event is a join or an add, each once. */
static int group_members(const rsn_group_t *g, rsn_arena_t *arena, member_t **out, size_t *n)
{
    const Raison__Charter *c = rsn_group_charter(g, NULL);
    member_t *m = rsn_arena_alloc(arena, (c->n_owners + g->n_events + 1) * sizeof *m);
    size_t count = 0;
    if (!m) {
        return RSN_ERR_NOMEM;
    }
    for (size_t i = 0; i < c->n_owners; i++) {
        bool seen = false;
        for (size_t j = 0; j < count && !seen; j++) {
            seen = memcmp(m[j].key, c->owners[i].data, 32) == 0;
        }
        if (!seen) {
            memcpy(m[count].key, c->owners[i].data, 32);
            m[count].owner = true;
            m[count].in = true;
            count++;
        }
    }
    for (size_t i = 0; i < g->n_events; i++) {
        const event_t *ev = &g->events[i];
        size_t j = 0;
        while (j < count && memcmp(m[j].key, ev->key, 32) != 0) {
            j++;
        }
        if (j == count) {
            memcpy(m[count].key, ev->key, 32);
            count++;
        }
        if (m[j].owner) {
            if (ev->action == RAISON__ACTION__ACTION_JOIN) {
                m[j].charter = ev->charter;
            }
            continue;
        }
        m[j].in =
            ev->action == RAISON__ACTION__ACTION_JOIN || ev->action == RAISON__ACTION__ACTION_ADD;
        m[j].charter = ev->action == RAISON__ACTION__ACTION_JOIN ? ev->charter : NULL;
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

static bool is_hex(const char *s)
{
    for (; *s; s++) {
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') || (*s >= 'A' && *s <= 'F'))) {
            return false;
        }
    }
    return true;
}

int rsn_group_resolve(rsn_store_t *store, rsn_arena_t *arena, const char *ref, uint8_t group[32],
                      char *why, size_t why_size)
{
    enum { SHOWN = 8 };
    size_t len = ref ? strlen(ref) : 0;
    rsn_group_t *g = NULL;
    int rc = 0;
    if (len == 0) {
        say(why, why_size, "no group given");
        return RSN_ERR_UNKNOWN_GROUP;
    }
    if (len == 64 && is_hex(ref)) {
        uint8_t id[32];
        if (rsn_key_from_hex(id, ref) == 0) {
            rc = rsn_group_load(store, arena, id, &g);
            if (rc == 0) {
                memcpy(group, id, 32);
                return 0;
            }
            if (rc != RSN_ERR_UNKNOWN_GROUP) {
                say(why, why_size, "could not read group '%s': %s", ref, rsn_strerror(rc));
                return rc;
            }
        }
    }
    char lower[65] = "";
    bool hex_ref = len < 64 && is_hex(ref);
    for (size_t i = 0; hex_ref && i < len; i++) {
        lower[i] = (char)(ref[i] >= 'A' && ref[i] <= 'F' ? ref[i] - 'A' + 'a' : ref[i]);
    }
    uint8_t found[SHOWN][32];
    const char *names[SHOWN];
    size_t n_found = 0;
    uint8_t prefix[1] = {RSN_TAG_GROUP};
    rsn_iter_t *it = rsn_iter_new(store, prefix, 1);
    if (!it) {
        return RSN_ERR_NOMEM;
    }
    for (rsn_iter_first(it); rsn_iter_valid(it); rsn_iter_next(it)) {
        size_t klen = 0;
        const uint8_t *key = rsn_iter_key(it, &klen);
        if (klen != 33) {
            continue;
        }
        uint8_t id[32];
        memcpy(id, key + 1, 32);
        rc = rsn_group_load(store, arena, id, &g);
        if (rc == RSN_ERR_UNKNOWN_GROUP) {
            rc = 0;
            continue;
        }
        if (rc) {
            say(why, why_size, "could not read the groups: %s", rsn_strerror(rc));
            goto out;
        }
        char hex[RSN_KEY_HEX + 1];
        rsn_hex_encode(hex, sizeof hex, id, 32);
        const Raison__Charter *c = rsn_group_charter(g, NULL);
        if ((hex_ref && strncmp(hex, lower, len) == 0) || strcmp(c->name, ref) == 0) {
            if (n_found < SHOWN) {
                memcpy(found[n_found], id, 32);
                names[n_found] = c->name;
            }
            n_found++;
        }
    }
    if (n_found == 0) {
        say(why, why_size, "no group '%s'", ref);
        rc = RSN_ERR_UNKNOWN_GROUP;
    } else if (n_found == 1) {
        memcpy(group, found[0], 32);
    } else {
        char list[512] = "";
        size_t used = 0;
        for (size_t i = 0; i < n_found && i < SHOWN && used < sizeof list; i++) {
            char hex[13];
            rsn_hex_encode(hex, sizeof hex, found[i], 6);
            int w = snprintf(list + used, sizeof list - used, "%s%s (%s)", i ? ", " : "", hex,
                             names[i]);
            used += w > 0 ? (size_t)w : 0;
        }
        say(why, why_size, "'%s' matches %zu groups: %s%s", ref, n_found, list,
            n_found > SHOWN ? ", ..." : "");
        rc = RSN_ERR_AMBIGUOUS;
    }
out:
    rsn_iter_destroy(&it);
    return rc;
}

/* --------------------------------------------------------- call context -- */

typedef struct {
    uint8_t key[32];
    const char *name;
    const char *site;
} profile_t;

#define CTX_GROUPS 16 /* group states kept by one context */

typedef struct {
    rsn_group_t *group;
    uint8_t id[32];
    int rc;
} cached_group_t;

struct rsn_view_ctx {
    rsn_store_t *store;
    rsn_arena_t *arena;
    profile_t *profiles;
    size_t n_profiles, cap_profiles;
    cached_group_t groups[CTX_GROUPS]; /* the groups loaded by ctx_group */
    size_t n_groups;
    size_t next_slot;
};
typedef struct rsn_view_ctx ctx_t;

/* The latest profile of AUTHOR that views show: 0, RSN_ERR_NOT_FOUND. */
static int profile_load(rsn_store_t *store, rsn_arena_t *arena, const uint8_t author[32],
                        rsn_loaded_t **out)
{
    uint8_t k[RSN_KEY_MAX];
    void *v = NULL;
    size_t vlen = 0;
    *out = NULL;
    int rc = rsn_store_get(store, k, rsn_key_1(k, RSN_TAG_PROFILE, author), &v, &vlen);
    if (rc) {
        return rc;
    }
    uint8_t id[32];
    if (vlen != 40) {
        rsn_store_free(v);
        return RSN_ERR_NOT_FOUND;
    }
    memcpy(id, (const uint8_t *)v + 8, 32);
    rsn_store_free(v);
    rsn_loaded_t *l = NULL;
    rc = rsn_entry_load(store, arena, id, &l);
    if (rc) {
        return rc;
    }
    if (l->entry->kind != RAISON__KIND__KIND_PROFILE || !l->body ||
        !same_id(&l->entry->author, author) || !entry_shown(store, arena, l)) {
        return RSN_ERR_NOT_FOUND;
    }
    *out = l;
    return 0;
}

/* Name and site of AUTHOR ("" when unknown), computed once per call. */
static const profile_t *ctx_profile(ctx_t *x, const uint8_t author[32])
{
    static const profile_t none = {{0}, "", ""};
    for (size_t i = 0; i < x->n_profiles; i++) {
        if (memcmp(x->profiles[i].key, author, 32) == 0) {
            return &x->profiles[i];
        }
    }
    if (grow(x->arena, (void **)&x->profiles, x->n_profiles, &x->cap_profiles,
             sizeof *x->profiles)) {
        return &none;
    }
    profile_t *p = &x->profiles[x->n_profiles++];
    memcpy(p->key, author, 32);
    p->name = "";
    p->site = "";
    rsn_loaded_t *l = NULL;
    if (profile_load(x->store, x->arena, author, &l) == 0) {
        const Raison__Profile *body = l->body;
        p->name = body->name ? body->name : "";
        p->site = body->site ? body->site : "";
    }
    return p;
}

static int ctx_group(ctx_t *x, const uint8_t id[32], rsn_group_t **g)
{
    for (size_t i = 0; i < x->n_groups; i++) {
        if (memcmp(x->groups[i].id, id, 32) == 0) {
            *g = x->groups[i].group;
            return x->groups[i].rc;
        }
    }
    size_t slot = x->n_groups < CTX_GROUPS ? x->n_groups++ : x->next_slot++ % CTX_GROUPS;
    cached_group_t *c = &x->groups[slot];
    c->group = NULL;
    c->rc = rsn_group_load(x->store, x->arena, id, &c->group);
    memcpy(c->id, id, 32);
    *g = c->group;
    return c->rc;
}

rsn_view_ctx_t *rsn_view_ctx_new(rsn_store_t *store, rsn_arena_t *arena)
{
    ctx_t *x = rsn_arena_alloc(arena, sizeof *x);
    if (x) {
        x->store = store;
        x->arena = arena;
    }
    return x;
}

/* ----------------------------------------------------------------- posts -- */

/* True when post L belongs to group G: its body says so, or, once erased,
 * the group's post index holds it. */
static bool post_in_group(ctx_t *x, const rsn_group_t *g, const rsn_loaded_t *l)
{
    if (l->body) {
        return same_id(&((const Raison__Post *)l->body)->group, g->id);
    }
    uint8_t k[RSN_KEY_MAX];
    size_t klen = rsn_key_1n2(k, RSN_TAG_POST, g->id, l->entry->timestamp, l->id);
    return rsn_store_has(x->store, k, klen) == 0;
}

/* NULL when post L of group G keeps the rules; the rule it breaks. An erased
 * post is judged on what its header says (author and time). */
static const char *post_problem(ctx_t *x, const rsn_group_t *g, const rsn_loaded_t *l)
{
    const Raison__Post *p = l->body;
    if (!post_in_group(x, g, l)) {
        return "the post is not in this group";
    }
    if (p && !chain_has_mission(g, p->mission)) {
        return "no version of the group's charter has this mission";
    }
    if (!rsn_group_may_post(g, l->entry->author.data, l->entry->timestamp)) {
        return "the author was not a member of this members-only group at the time";
    }
    if (!p || p->reply_to.len == 0) {
        return NULL;
    }
    if (p->reply_to.len != 32) {
        return "reply_to is not an entry id";
    }
    rsn_loaded_t *parent = NULL;
    if (rsn_entry_load(x->store, x->arena, p->reply_to.data, &parent) != 0) {
        return "it replies to an entry this node does not hold";
    }
    if (parent->entry->kind != RAISON__KIND__KIND_POST) {
        return "it replies to an entry that is not a post";
    }
    /* a parent withdrawn or erased later leaves its replies standing: they
     * kept the rules when they were written */
    if (!post_in_group(x, g, parent)) {
        return "it replies to a post of another group";
    }
    return NULL;
}

/* Loads post ID and tells whether views show it in group G: 0 and *OUT;
 * RSN_ERR_NOT_FOUND when they do not; other errors. */
static int post_visible(ctx_t *x, const rsn_group_t *g, const uint8_t id[32], rsn_loaded_t **out)
{
    rsn_loaded_t *l = NULL;
    *out = NULL;
    int rc = rsn_entry_load(x->store, x->arena, id, &l);
    if (rc) {
        return rc;
    }
    if (l->entry->kind != RAISON__KIND__KIND_POST || !entry_shown(x->store, x->arena, l) ||
        post_problem(x, g, l)) {
        return RSN_ERR_NOT_FOUND;
    }
    *out = l;
    return 0;
}

/* Counts the posts of G that views show among the keys TAG A(32) ... whose
 * last 32 bytes (at ID_AT in a key of KEY_LEN bytes) are post ids. */
static int count_visible(ctx_t *x, const rsn_group_t *g, char tag, const uint8_t a[32],
                         size_t key_len, size_t id_at, uint64_t *count)
{
    uint8_t prefix[RSN_KEY_MAX];
    int rc = 0;
    *count = 0;
    rsn_iter_t *it = rsn_iter_new(x->store, prefix, rsn_key_1(prefix, tag, a));
    if (!it) {
        return RSN_ERR_NOMEM;
    }
    for (rsn_iter_first(it); rsn_iter_valid(it); rsn_iter_next(it)) {
        size_t klen = 0;
        const uint8_t *key = rsn_iter_key(it, &klen);
        if (klen != key_len) {
            continue;
        }
        uint8_t id[32];
        memcpy(id, key + id_at, 32);
        rsn_loaded_t *l = NULL;
        rc = post_visible(x, g, id, &l);
        if (rc == RSN_ERR_NOT_FOUND) {
            rc = 0;
            continue;
        }
        if (rc) {
            break;
        }
        (*count)++;
    }
    rsn_iter_destroy(&it);
    return rc;
}

static int count_replies(ctx_t *x, const rsn_group_t *g, const uint8_t id[32], uint32_t *count)
{
    uint64_t n = 0;
    int rc = count_visible(x, g, RSN_TAG_REPLY, id, 65, 33, &n);
    *count = (uint32_t)n;
    return rc;
}

static int post_view(ctx_t *x, const rsn_group_t *g, const rsn_loaded_t *l, Raison__PostView **out)
{
    Raison__PostView *pv = rsn_arena_alloc(x->arena, sizeof *pv);
    if (!pv) {
        return RSN_ERR_NOMEM;
    }
    raison__post_view__init(pv);
    const Raison__Post *p = l->body;
    const profile_t *prof = ctx_profile(x, l->entry->author.data);
    pv->id = bytes_of(x->arena, l->id, 32);
    pv->author = l->entry->author;
    pv->seq = l->entry->seq;
    pv->timestamp = l->entry->timestamp;
    pv->group = bytes_of(x->arena, g->id, 32);
    pv->mission = p ? p->mission : "";
    pv->text = p ? p->text : "";
    if (p) {
        pv->reply_to = p->reply_to;
    }
    pv->author_name = (char *)prof->name;
    pv->author_site = (char *)prof->site;
    pv->erased = l->erased;
    int rc = count_replies(x, g, l->id, &pv->replies);
    if (rc) {
        return rc;
    }
    if (!pv->id.data || !pv->group.data) {
        return RSN_ERR_NOMEM;
    }
    *out = pv;
    return 0;
}

/* ------------------------------------------------------- entry problems -- */

/* The semantic rule entry L breaks, or NULL (best effort for kinds other
 * than charters, memberships and posts). */
static int entry_problem(ctx_t *x, const rsn_loaded_t *l, const char **problem)
{
    const uint8_t *author = l->entry->author.data;
    rsn_group_t *g = NULL;
    uint8_t gid[32];
    *problem = NULL;
    if (rsn_feed_hidden(x->store, author, l->entry->seq)) {
        *problem = "its feed forked at or before this entry: it is kept as evidence only";
        return 0;
    }
    if (!l->body || rsn_entry_group(l, gid) != 0) {
        return 0;
    }
    if (l->entry->kind == RAISON__KIND__KIND_CHARTER) {
        const Raison__Charter *c = l->body;
        char why[160];
        if (rsn_charter_problem(c, author, why, sizeof why) != 0) {
            *problem = text_or_empty(x->arena, why);
            return 0;
        }
        if (c->group.len == 0) {
            if (c->supersedes.len || c->version != 1) {
                *problem = "a charter that founds a group has version 1 and supersedes nothing";
            }
            return 0;
        }
    }
    int rc = ctx_group(x, gid, &g);
    if (rc == RSN_ERR_UNKNOWN_GROUP) {
        *problem = "its group is unknown (no valid charter version 1 is held)";
        return 0;
    }
    if (rc) {
        return rc;
    }
    switch (l->entry->kind) {
    case RAISON__KIND__KIND_CHARTER:
        if (rsn_group_has_version(g, l->id)) {
            return 0;
        }
        for (size_t i = 0; i < g->n_dispute; i++) {
            if (memcmp(g->dispute[i], l->id, 32) == 0) {
                *problem = "it lost a dispute: another amendment of the same version has a "
                           "smaller id";
                return 0;
            }
        }
        *problem = "it does not amend a version of the group's charter, by an owner of that "
                   "version, with the next version number";
        return 0;
    case RAISON__KIND__KIND_MEMBERSHIP: *problem = membership_problem(g, author, l->body); return 0;
    case RAISON__KIND__KIND_POST: *problem = post_problem(x, g, l); return 0;
    default: return 0;
    }
}

int rsn_view_entry_problem(rsn_view_ctx_t *x, const rsn_loaded_t *l, const char **problem)
{
    return entry_problem(x, l, problem);
}

static int entry_info(ctx_t *x, const rsn_loaded_t *l, Raison__EntryInfo **out)
{
    Raison__EntryInfo *info = rsn_arena_alloc(x->arena, sizeof *info);
    if (!info) {
        return RSN_ERR_NOMEM;
    }
    raison__entry_info__init(info);
    info->id = bytes_of(x->arena, l->id, 32);
    if (!info->id.data) {
        return RSN_ERR_NOMEM;
    }
    info->signed_entry = l->signed_entry;
    info->author = l->entry->author;
    info->seq = l->entry->seq;
    info->timestamp = l->entry->timestamp;
    info->kind = l->entry->kind;
    info->erased = l->erased;
    info->retracted = rsn_entry_retracted(x->store, x->arena, l->id, l->entry->author.data);
    const char *problem = NULL;
    int rc = entry_problem(x, l, &problem);
    if (rc) {
        return rc;
    }
    info->invalid = (char *)(problem ? problem : "");
    *out = info;
    return 0;
}

/* ------------------------------------------------------------ the calls -- */

int rsn_view_entry(rsn_store_t *store, rsn_arena_t *arena, const uint8_t id[32],
                   Raison__EntryInfo **out)
{
    ctx_t x = {.store = store, .arena = arena};
    rsn_loaded_t *l = NULL;
    *out = NULL;
    int rc = rsn_entry_load(store, arena, id, &l);
    if (rc) {
        return rc;
    }
    return entry_info(&x, l, out);
}

int rsn_view_post(rsn_store_t *store, rsn_arena_t *arena, const uint8_t id[32],
                  Raison__PostView **out)
{
    ctx_t x = {.store = store, .arena = arena};
    rsn_loaded_t *l = NULL;
    rsn_group_t *g = NULL;
    uint8_t gid[32];
    *out = NULL;
    int rc = rsn_entry_load(store, arena, id, &l);
    if (rc) {
        return rc;
    }
    if (l->entry->kind != RAISON__KIND__KIND_POST || rsn_entry_group(l, gid) != 0) {
        return RSN_ERR_NOT_FOUND;
    }
    rc = rsn_group_load(store, arena, gid, &g);
    if (rc == RSN_ERR_UNKNOWN_GROUP) {
        return RSN_ERR_NOT_FOUND;
    }
    if (rc) {
        return rc;
    }
    rc = post_visible(&x, g, id, &l);
    if (rc) {
        return rc;
    }
    return post_view(&x, g, l, out);
}

/* Valid posts of group G: O(posts of the group). */
static int count_posts(ctx_t *x, const rsn_group_t *g, uint64_t *count)
{
    return count_visible(x, g, RSN_TAG_POST, g->id, 73, 41, count);
}

static int group_summary(ctx_t *x, const rsn_group_t *g, Raison__GroupSummary **out)
{
    Raison__GroupSummary *s = rsn_arena_alloc(x->arena, sizeof *s);
    if (!s) {
        return RSN_ERR_NOMEM;
    }
    raison__group_summary__init(s);
    const Raison__Charter *c = rsn_group_charter(g, NULL);
    s->group = bytes_of(x->arena, g->id, 32);
    s->name = c->name;
    s->purpose = c->purpose;
    s->n_benefits = c->n_benefits;
    s->benefits = c->benefits;
    s->n_missions = c->n_missions;
    s->missions = c->missions;
    s->version = c->version;
    s->access = c->access;
    s->disputed = g->n_dispute > 0;
    member_t *m = NULL;
    size_t n = 0;
    int rc = group_members(g, x->arena, &m, &n);
    if (rc) {
        return rc;
    }
    s->members = (uint32_t)n;
    rc = count_posts(x, g, &s->posts);
    if (rc) {
        return rc;
    }
    if (!s->group.data) {
        return RSN_ERR_NOMEM;
    }
    *out = s;
    return 0;
}

int rsn_view_groups(rsn_store_t *store, rsn_arena_t *arena, const Raison__GroupsRequest *req,
                    Raison__GroupsReply **out)
{
    ctx_t x = {.store = store, .arena = arena};
    size_t limit = req && req->limit ? req->limit : GROUPS_DEFAULT;
    limit = limit > PAGE_MAX ? PAGE_MAX : limit;
    *out = NULL;
    if (req && req->cursor.len != 0 && req->cursor.len != 32) {
        return RSN_ERR_BAD_REQUEST;
    }
    Raison__GroupsReply *r = rsn_arena_alloc(arena, sizeof *r);
    Raison__GroupSummary **groups = r ? rsn_arena_alloc(arena, limit * sizeof *groups) : NULL;
    if (!groups) {
        return RSN_ERR_NOMEM;
    }
    raison__groups_reply__init(r);
    r->groups = groups;
    uint8_t prefix[1] = {RSN_TAG_GROUP};
    rsn_iter_t *it = rsn_iter_new(store, prefix, 1);
    if (!it) {
        return RSN_ERR_NOMEM;
    }
    int rc = 0;
    bool more = false;
    if (req && req->cursor.len == 32) {
        uint8_t k[RSN_KEY_MAX];
        size_t klen = rsn_key_1(k, RSN_TAG_GROUP, req->cursor.data);
        rsn_iter_seek(it, k, klen);
        size_t got = 0;
        const uint8_t *key = rsn_iter_valid(it) ? rsn_iter_key(it, &got) : NULL;
        if (key && got == klen && memcmp(key, k, klen) == 0) {
            rsn_iter_next(it);
        }
    } else {
        rsn_iter_first(it);
    }
    for (; rsn_iter_valid(it); rsn_iter_next(it)) {
        size_t klen = 0;
        const uint8_t *key = rsn_iter_key(it, &klen);
        if (klen != 33) {
            continue;
        }
        uint8_t id[32];
        memcpy(id, key + 1, 32);
        rsn_group_t *g = NULL;
        rc = rsn_group_load(store, arena, id, &g);
        if (rc == RSN_ERR_UNKNOWN_GROUP) {
            rc = 0;
            continue;
        }
        if (rc) {
            goto out;
        }
        if (r->n_groups == limit) {
            more = true;
            break;
        }
        rc = group_summary(&x, g, &r->groups[r->n_groups]);
        if (rc) {
            goto out;
        }
        r->n_groups++;
    }
    if (more) {
        r->next_cursor = r->groups[r->n_groups - 1]->group;
    }
    *out = r;
out:
    rsn_iter_destroy(&it);
    return rc;
}

int rsn_view_group(rsn_store_t *store, rsn_arena_t *arena, const uint8_t group[32],
                   Raison__GroupReply **out)
{
    ctx_t x = {.store = store, .arena = arena};
    rsn_group_t *g = NULL;
    *out = NULL;
    int rc = rsn_group_load(store, arena, group, &g);
    if (rc) {
        return rc;
    }
    Raison__GroupReply *r = rsn_arena_alloc(arena, sizeof *r);
    if (!r) {
        return RSN_ERR_NOMEM;
    }
    raison__group_reply__init(r);
    uint8_t cur_id[32];
    r->group = bytes_of(arena, g->id, 32);
    r->charter = (Raison__Charter *)rsn_group_charter(g, cur_id);
    r->charter_id = bytes_of(arena, cur_id, 32);
    r->history = rsn_arena_alloc(arena, g->n_chain * sizeof *r->history);
    if (!r->history || !r->group.data || !r->charter_id.data) {
        return RSN_ERR_NOMEM;
    }
    for (size_t i = 0; i < g->n_chain; i++) {
        Raison__CharterVersion *v = rsn_arena_alloc(arena, sizeof *v);
        if (!v) {
            return RSN_ERR_NOMEM;
        }
        raison__charter_version__init(v);
        v->id = bytes_of(arena, g->chain[i].id, 32);
        v->version = g->chain[i].c->version;
        v->author = g->chain[i].e->entry->author;
        v->timestamp = g->chain[i].e->entry->timestamp;
        r->history[r->n_history++] = v;
    }
    member_t *m = NULL;
    size_t n = 0;
    rc = group_members(g, arena, &m, &n);
    if (rc) {
        return rc;
    }
    r->members = rsn_arena_alloc(arena, (n + 1) * sizeof *r->members);
    if (!r->members) {
        return RSN_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        Raison__Member *mm = rsn_arena_alloc(arena, sizeof *mm);
        if (!mm) {
            return RSN_ERR_NOMEM;
        }
        raison__member__init(mm);
        const profile_t *p = ctx_profile(&x, m[i].key);
        mm->key = bytes_of(arena, m[i].key, 32);
        mm->name = (char *)p->name;
        mm->site = (char *)p->site;
        mm->owner = m[i].owner;
        if (m[i].charter) {
            mm->charter = bytes_of(arena, m[i].charter, 32);
        }
        r->members[r->n_members++] = mm;
    }
    r->disputed = g->n_dispute > 0;
    r->dispute = rsn_arena_alloc(arena, (g->n_dispute + 1) * sizeof *r->dispute);
    if (!r->dispute) {
        return RSN_ERR_NOMEM;
    }
    for (size_t i = 0; i < g->n_dispute; i++) {
        r->dispute[r->n_dispute++] = bytes_of(arena, g->dispute[i], 32);
    }
    *out = r;
    return 0;
}

int rsn_view_timeline(rsn_store_t *store, rsn_arena_t *arena, const uint8_t group[32],
                      const Raison__TimelineRequest *req, Raison__TimelineReply **out, char *why,
                      size_t why_size)
{
    ctx_t x = {.store = store, .arena = arena};
    rsn_group_t *g = NULL;
    *out = NULL;
    int rc = rsn_group_load(store, arena, group, &g);
    if (rc) {
        say(why, why_size, "%s", rc == RSN_ERR_UNKNOWN_GROUP ? "no such group" : rsn_strerror(rc));
        return rc;
    }
    const char *mission = req && req->mission && *req->mission ? req->mission : NULL;
    if (mission && !chain_has_mission(g, mission)) {
        say(why, why_size, "group '%s' has no mission '%.40s'", rsn_group_charter(g, NULL)->name,
            mission);
        return RSN_ERR_UNKNOWN_MISSION;
    }
    if (req && req->cursor.len != 0 && req->cursor.len != 40) {
        say(why, why_size, "the cursor is not one this timeline gave");
        return RSN_ERR_BAD_REQUEST;
    }
    size_t limit = req && req->limit ? req->limit : TIMELINE_DEFAULT;
    limit = limit > PAGE_MAX ? PAGE_MAX : limit;
    Raison__TimelineReply *r = rsn_arena_alloc(arena, sizeof *r);
    Raison__PostView **posts = r ? rsn_arena_alloc(arena, limit * sizeof *posts) : NULL;
    if (!posts) {
        return RSN_ERR_NOMEM;
    }
    raison__timeline_reply__init(r);
    r->group = bytes_of(arena, group, 32);
    r->posts = posts;
    uint8_t prefix[RSN_KEY_MAX];
    size_t plen = rsn_key_1(prefix, RSN_TAG_POST, group);
    rsn_iter_t *it = rsn_iter_new(store, prefix, plen);
    if (!it || !r->group.data) {
        rsn_iter_destroy(&it);
        return RSN_ERR_NOMEM;
    }
    if (req && req->cursor.len == 40) {
        uint8_t k[RSN_KEY_MAX];
        memcpy(k, prefix, plen);
        memcpy(k + plen, req->cursor.data, 40);
        rsn_iter_seek_before(it, k, plen + 40);
        size_t got = 0;
        const uint8_t *key = rsn_iter_valid(it) ? rsn_iter_key(it, &got) : NULL;
        if (key && got == plen + 40 && memcmp(key, k, got) == 0) {
            rsn_iter_prev(it);
        }
    } else {
        rsn_iter_last(it);
    }
    bool more = false;
    uint8_t last[40];
    for (; rsn_iter_valid(it); rsn_iter_prev(it)) {
        size_t klen = 0;
        const uint8_t *key = rsn_iter_key(it, &klen);
        if (klen != 73) {
            continue;
        }
        uint8_t tsid[40];
        memcpy(tsid, key + 33, 40);
        rsn_loaded_t *l = NULL;
        rc = post_visible(&x, g, tsid + 8, &l);
        if (rc == RSN_ERR_NOT_FOUND) {
            rc = 0;
            continue;
        }
        if (rc) {
            goto out;
        }
        if (mission && (!l->body || strcmp(((const Raison__Post *)l->body)->mission, mission))) {
            continue;
        }
        if (r->n_posts == limit) {
            more = true;
            break;
        }
        rc = post_view(&x, g, l, &r->posts[r->n_posts]);
        if (rc) {
            goto out;
        }
        r->n_posts++;
        memcpy(last, tsid, 40);
    }
    if (more) {
        r->next_cursor = bytes_of(arena, last, 40);
        if (!r->next_cursor.data) {
            rc = RSN_ERR_NOMEM;
            goto out;
        }
    }
    *out = r;
out:
    if (rc) {
        say(why, why_size, "could not read the timeline: %s", rsn_strerror(rc));
    }
    rsn_iter_destroy(&it);
    return rc;
}

/* --------------------------------------------------------------- report -- */

typedef struct {
    uint8_t (*keys)[32];
    size_t n, cap;
} keyset_t;

typedef struct {
    const char **items;
    size_t n, cap;
} strset_t;

static int keyset_add(rsn_arena_t *arena, keyset_t *s, const uint8_t key[32])
{
    for (size_t i = 0; i < s->n; i++) {
        if (memcmp(s->keys[i], key, 32) == 0) {
            return 0;
        }
    }
    int rc = grow(arena, (void **)&s->keys, s->n, &s->cap, 32);
    if (rc == 0) {
        memcpy(s->keys[s->n++], key, 32);
    }
    return rc;
}

/* Adds SITE unless it is "" (no site is not a site). */
static int strset_add(rsn_arena_t *arena, strset_t *s, const char *site)
{
    if (!site || !*site) {
        return 0;
    }
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->items[i], site) == 0) {
            return 0;
        }
    }
    int rc = grow(arena, (void **)&s->items, s->n, &s->cap, sizeof *s->items);
    if (rc == 0) {
        s->items[s->n++] = site;
    }
    return rc;
}

typedef struct {
    Raison__MissionReport *r;
    keyset_t authors;
    strset_t sites;
} mstat_t;

/* Missions of the whole chain: the current ones first, then retired ones
 * (newest version first), each once. */
static int report_missions(rsn_arena_t *arena, const rsn_group_t *g, mstat_t **out, size_t *n)
{
    size_t total = 0;
    for (size_t v = 0; v < g->n_chain; v++) {
        total += g->chain[v].c->n_missions;
    }
    mstat_t *m = rsn_arena_alloc(arena, (total + 1) * sizeof *m);
    if (!m) {
        return RSN_ERR_NOMEM;
    }
    size_t count = 0;
    for (size_t v = g->n_chain; v-- > 0;) {
        const Raison__Charter *c = g->chain[v].c;
        for (size_t i = 0; i < c->n_missions; i++) {
            bool seen = false;
            for (size_t j = 0; j < count && !seen; j++) {
                seen = strcmp(m[j].r->key, c->missions[i]->key) == 0;
            }
            if (seen) {
                continue;
            }
            Raison__MissionReport *r = rsn_arena_alloc(arena, sizeof *r);
            if (!r) {
                return RSN_ERR_NOMEM;
            }
            raison__mission_report__init(r);
            r->key = c->missions[i]->key;
            r->goal = c->missions[i]->goal;
            r->retired = v != g->n_chain - 1;
            m[count++].r = r;
        }
    }
    *out = m;
    *n = count;
    return 0;
}

int rsn_view_report(rsn_store_t *store, rsn_arena_t *arena, const uint8_t group[32],
                    Raison__ReportReply **out)
{
    ctx_t x = {.store = store, .arena = arena};
    rsn_group_t *g = NULL;
    rsn_iter_t *it = NULL;
    *out = NULL;
    int rc = rsn_group_load(store, arena, group, &g);
    if (rc) {
        return rc;
    }
    const Raison__Charter *c = rsn_group_charter(g, NULL);
    Raison__ReportReply *r = rsn_arena_alloc(arena, sizeof *r);
    if (!r) {
        return RSN_ERR_NOMEM;
    }
    raison__report_reply__init(r);
    r->group = bytes_of(arena, group, 32);
    r->name = c->name;
    r->version = c->version;
    member_t *members = NULL;
    size_t n_members = 0;
    mstat_t *ms = NULL;
    size_t n_ms = 0;
    keyset_t authors = {0};
    strset_t sites = {0};
    rc = group_members(g, arena, &members, &n_members);
    if (rc == 0) {
        rc = report_missions(arena, g, &ms, &n_ms);
    }
    if (rc) {
        return rc;
    }
    r->members = (uint32_t)n_members;
    uint8_t prefix[RSN_KEY_MAX];
    it = rsn_iter_new(store, prefix, rsn_key_1(prefix, RSN_TAG_POST, group));
    if (!it) {
        return RSN_ERR_NOMEM;
    }
    for (rsn_iter_first(it); rsn_iter_valid(it); rsn_iter_next(it)) {
        size_t klen = 0;
        const uint8_t *key = rsn_iter_key(it, &klen);
        if (klen != 73) {
            continue;
        }
        uint8_t id[32];
        memcpy(id, key + 41, 32);
        rsn_loaded_t *l = NULL;
        rc = post_visible(&x, g, id, &l);
        if (rc == RSN_ERR_NOT_FOUND) {
            rc = 0;
            continue;
        }
        if (rc) {
            goto out;
        }
        const uint8_t *author = l->entry->author.data;
        const char *site = ctx_profile(&x, author)->site;
        r->posts++;
        if ((rc = keyset_add(arena, &authors, author)) || (rc = strset_add(arena, &sites, site))) {
            goto out;
        }
        /* An erased post still counts in the totals, but its mission and
         * parent went with its body. */
        const Raison__Post *p = l->body;
        if (!p) {
            continue;
        }
        mstat_t *m = NULL;
        for (size_t i = 0; i < n_ms && !m; i++) {
            m = strcmp(ms[i].r->key, p->mission) == 0 ? &ms[i] : NULL;
        }
        if (!m) {
            continue;
        }
        m->r->posts++;
        if ((rc = keyset_add(arena, &m->authors, author)) ||
            (rc = strset_add(arena, &m->sites, site))) {
            goto out;
        }
        if (l->entry->timestamp > m->r->last_activity) {
            m->r->last_activity = l->entry->timestamp;
        }
        if (p->reply_to.len != 32) {
            continue;
        }
        m->r->replies++;
        rsn_loaded_t *parent = NULL;
        if (rsn_entry_load(store, arena, p->reply_to.data, &parent) != 0) {
            continue;
        }
        const char *psite = ctx_profile(&x, parent->entry->author.data)->site;
        if (*site && *psite && strcmp(site, psite) != 0) {
            m->r->cross_site_replies++;
            r->cross_site_replies++;
        }
    }
    r->authors = authors.n;
    r->sites = sites.n;
    r->missions = rsn_arena_alloc(arena, (n_ms + 1) * sizeof *r->missions);
    if (!r->missions || !r->group.data) {
        rc = RSN_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < n_ms; i++) {
        ms[i].r->authors = ms[i].authors.n;
        ms[i].r->sites = ms[i].sites.n;
        r->missions[r->n_missions++] = ms[i].r;
    }
    *out = r;
out:
    rsn_iter_destroy(&it);
    return rc;
}

/* ---------------------------------------------------------- feed, profile -- */

int rsn_view_feed(rsn_store_t *store, rsn_arena_t *arena, const Raison__FeedRequest *req,
                  Raison__FeedReply **out)
{
    ctx_t x = {.store = store, .arena = arena};
    uint8_t k[RSN_KEY_MAX];
    void *v = NULL;
    size_t vlen = 0;
    *out = NULL;
    if (!req || req->author.len != 32) {
        return RSN_ERR_BAD_REQUEST;
    }
    const uint8_t *author = req->author.data;
    uint64_t head = 0;
    int rc = rsn_store_get(store, k, rsn_key_1(k, RSN_TAG_HEAD, author), &v, &vlen);
    if (rc == 0) {
        head = vlen == 40 ? rsn_be64_get(v) : 0;
        rsn_store_free(v);
        v = NULL;
    } else if (rc != RSN_ERR_NOT_FOUND) {
        return rc;
    }
    /* Past a fork nothing shows: the visible feed ends before it. */
    uint64_t frozen = frozen_from(store, author);
    if (frozen && head >= frozen) {
        head = frozen - 1;
    }
    size_t limit = req->limit ? req->limit : FEED_DEFAULT;
    limit = limit > PAGE_MAX ? PAGE_MAX : limit;
    Raison__FeedReply *r = rsn_arena_alloc(arena, sizeof *r);
    Raison__EntryInfo **entries = r ? rsn_arena_alloc(arena, limit * sizeof *entries) : NULL;
    if (!entries) {
        return RSN_ERR_NOMEM;
    }
    raison__feed_reply__init(r);
    r->author = bytes_of(arena, author, 32);
    r->head = head;
    r->frozen = frozen != 0;
    r->entries = entries;
    uint64_t seq = req->from_seq ? req->from_seq : 1;
    for (size_t i = 0; i < limit && seq <= head; i++, seq++) {
        rc = rsn_store_get(store, k, rsn_key_1n(k, RSN_TAG_SEQ, author, seq), &v, &vlen);
        if (rc == RSN_ERR_NOT_FOUND) {
            continue;
        }
        if (rc) {
            return rc;
        }
        uint8_t id[32];
        bool ok = vlen == 32;
        if (ok) {
            memcpy(id, v, 32);
        }
        rsn_store_free(v);
        v = NULL;
        if (!ok) {
            continue;
        }
        rsn_loaded_t *l = NULL;
        rc = rsn_entry_load(store, arena, id, &l);
        if (rc == RSN_ERR_NOT_FOUND) {
            continue;
        }
        if (rc == 0) {
            rc = entry_info(&x, l, &r->entries[r->n_entries]);
        }
        if (rc) {
            return rc;
        }
        r->n_entries++;
    }
    r->next_seq = seq <= head ? seq : 0;
    if (!r->author.data) {
        return RSN_ERR_NOMEM;
    }
    *out = r;
    return 0;
}

int rsn_view_profile(rsn_store_t *store, rsn_arena_t *arena, const uint8_t author[32],
                     Raison__ProfileReply **out)
{
    *out = NULL;
    Raison__ProfileReply *r = rsn_arena_alloc(arena, sizeof *r);
    if (!r) {
        return RSN_ERR_NOMEM;
    }
    raison__profile_reply__init(r);
    r->author = bytes_of(arena, author, 32);
    if (!r->author.data) {
        return RSN_ERR_NOMEM;
    }
    rsn_loaded_t *l = NULL;
    int rc = profile_load(store, arena, author, &l);
    if (rc == 0) {
        r->profile = l->body;
        r->id = bytes_of(arena, l->id, 32);
    } else if (rc != RSN_ERR_NOT_FOUND) {
        return rc;
    }
    *out = r;
    return 0;
}
