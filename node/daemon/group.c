/* group.c — a group's state from its charters and memberships ('C' group id
 * and 'M' group ts id in store/keys.h), and the content rules of a charter.
 *
 * The chain starts at the charter v1 whose id is the group's id; from each
 * version, the valid amendments of it (by an owner of that version, with the
 * next version number) compete and the smallest id wins; several of them are
 * a dispute, shown as such. Memberships are valid events when they keep the
 * rules against the current charter; who may post at a time is read from the
 * events up to then. Entries hidden by a fork or retracted count nowhere. */
#include "daemon/group.h"

#include <stdio.h>
#include <string.h>

#include "common/why.h"
#include "daemon/read_helpers.h"
#include "store/keys.h"

typedef struct {
    uint8_t id[RSN_ID_BYTES];
    rsn_loaded_t *e;
    Raison__Charter *c;
} version_t;

typedef struct {
    uint8_t key[RSN_KEY_BYTES];
    uint64_t ts;
    Raison__Action action;
    const uint8_t *charter; /* join: the version acknowledged */
} event_t;

struct rsn_group {
    uint8_t id[RSN_ID_BYTES];
    version_t *chain; /* version 1 first, the current one last */
    size_t n_chain;
    uint8_t (*dispute)[RSN_ID_BYTES];
    size_t n_dispute;
    event_t *events; /* valid membership events, in key order */
    size_t n_events;
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

const char *rsn_group_membership_problem(const rsn_group_t *g, const uint8_t author[RSN_KEY_BYTES],
                                         const Raison__Membership *m)
{
    const Raison__Charter *cur = g->chain[g->n_chain - 1].c;
    bool self = m->member.len == 0 || rsn_views_same_id(&m->member, author);
    switch (m->action) {
    case RAISON__ACTION__ACTION_JOIN:
        if (!self) {
            return "a join is by the member itself";
        }
        if (m->charter.len != RSN_ID_BYTES || !rsn_group_has_version(g, m->charter.data)) {
            return "a join must name a charter version of the group";
        }
        return NULL;
    case RAISON__ACTION__ACTION_LEAVE: return self ? NULL : "a leave is by the member itself";
    case RAISON__ACTION__ACTION_ADD:
    case RAISON__ACTION__ACTION_REMOVE:
        if (m->member.len != RSN_KEY_BYTES) {
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
                            RSN_KEYLEN_ID_ID);
    if (rc) {
        return rc;
    }
    for (rsn_index_first(&ix); rsn_index_valid(&ix); rsn_index_next(&ix)) {
        const uint8_t *id = rsn_index_id(&ix);
        if (memcmp(id, group, RSN_ID_BYTES) == 0) {
            continue;
        }
        rsn_loaded_t *l = NULL;
        if ((rc = rsn_entry_try_load(store, arena, id, &l)) != 0) {
            goto out;
        }
        if (!l || !charter_usable(store, arena, l)) {
            continue;
        }
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
    return rc;
}

/* The valid membership events of G (its chain known), in key order. */
static int load_memberships(rsn_store_t *store, rsn_arena_t *arena, rsn_group_t *g)
{
    uint8_t prefix[RSN_KEY_MAX];
    size_t cap = 0;
    rsn_index_t ix;
    int rc = rsn_index_open(&ix, store, prefix, rsn_key_prefix(prefix, RSN_TAG_MEMBERSHIP, g->id),
                            RSN_KEYLEN_ID_N_ID);
    if (rc) {
        return rc;
    }
    for (rsn_index_first(&ix); rsn_index_valid(&ix); rsn_index_next(&ix)) {
        uint64_t ts = rsn_be64_get(rsn_index_key(&ix) + RSN_KEYLEN_ID);
        rsn_loaded_t *l = NULL;
        if ((rc = rsn_entry_try_load(store, arena, rsn_index_id(&ix), &l)) != 0) {
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
        event_t *ev = &g->events[g->n_events++];
        bool other =
            m->action == RAISON__ACTION__ACTION_ADD || m->action == RAISON__ACTION__ACTION_REMOVE;
        memcpy(ev->key, other ? m->member.data : author, RSN_KEY_BYTES);
        ev->ts = ts;
        ev->action = m->action;
        ev->charter = m->action == RAISON__ACTION__ACTION_JOIN ? m->charter.data : NULL;
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

int rsn_group_load(rsn_store_t *store, rsn_arena_t *arena, const uint8_t group[RSN_ID_BYTES],
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
    rc = load_memberships(store, arena, g);
    if (rc) {
        return rc;
    }
    *out = g;
    return 0;
}

int rsn_group_try_load(rsn_store_t *store, rsn_arena_t *arena, const uint8_t group[RSN_ID_BYTES],
                       rsn_group_t **out)
{
    int rc = rsn_group_load(store, arena, group, out);
    return rc == RSN_ERR_UNKNOWN_GROUP ? 0 : rc;
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

bool rsn_group_may_post(const rsn_group_t *g, const uint8_t key[RSN_KEY_BYTES], uint64_t at_ms)
{
    const Raison__Charter *c = rsn_group_charter(g, NULL);
    if (charter_owner(c, key) || c->access == RAISON__ACCESS__ACCESS_OPEN) {
        return true;
    }
    Raison__Action last = RAISON__ACTION__ACTION_UNSPECIFIED;
    for (size_t i = 0; i < g->n_events; i++) {
        const event_t *ev = &g->events[i];
        if (ev->ts <= at_ms && memcmp(ev->key, key, RSN_KEY_BYTES) == 0) {
            last = ev->action;
        }
    }
    return last == RAISON__ACTION__ACTION_JOIN || last == RAISON__ACTION__ACTION_ADD;
}

int rsn_group_members(const rsn_group_t *g, rsn_arena_t *arena, rsn_member_t **out, size_t *n)
{
    const Raison__Charter *c = rsn_group_charter(g, NULL);
    rsn_member_t *m = rsn_arena_alloc(arena, (c->n_owners + g->n_events + 1) * sizeof *m);
    size_t count = 0;
    if (!m) {
        return RSN_ERR_NOMEM;
    }
    for (size_t i = 0; i < c->n_owners; i++) {
        bool seen = false;
        for (size_t j = 0; j < count && !seen; j++) {
            seen = memcmp(m[j].key, c->owners[i].data, RSN_KEY_BYTES) == 0;
        }
        if (!seen) {
            memcpy(m[count].key, c->owners[i].data, RSN_KEY_BYTES);
            m[count].owner = true;
            m[count].in = true;
            count++;
        }
    }
    for (size_t i = 0; i < g->n_events; i++) {
        const event_t *ev = &g->events[i];
        size_t j = 0;
        while (j < count && memcmp(m[j].key, ev->key, RSN_KEY_BYTES) != 0) {
            j++;
        }
        if (j == count) {
            memcpy(m[count].key, ev->key, RSN_KEY_BYTES);
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

/* ------------------------------------------------------------ resolving -- */

static bool is_hex(const char *s)
{
    for (; *s; s++) {
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') || (*s >= 'A' && *s <= 'F'))) {
            return false;
        }
    }
    return true;
}

int rsn_group_resolve(rsn_store_t *store, rsn_arena_t *arena, const char *ref,
                      uint8_t group[RSN_ID_BYTES], char *why, size_t why_size)
{
    enum { SHOWN = 8 };
    size_t len = ref ? strlen(ref) : 0;
    rsn_group_t *g = NULL;
    int rc = 0;
    if (len == 0) {
        return rsn_why(why, why_size, RSN_ERR_UNKNOWN_GROUP, "no group given");
    }
    if (len == RSN_KEY_HEX && is_hex(ref)) {
        uint8_t id[RSN_ID_BYTES];
        if (rsn_key_from_hex(id, ref) == 0) {
            rc = rsn_group_load(store, arena, id, &g);
            if (rc == 0) {
                memcpy(group, id, RSN_ID_BYTES);
                return 0;
            }
            if (rc != RSN_ERR_UNKNOWN_GROUP) {
                return rsn_why(why, why_size, rc, "could not read group '%s': %s", ref,
                               rsn_strerror(rc));
            }
        }
    }
    char lower[RSN_KEY_HEX + 1] = "";
    bool hex_ref = len < RSN_KEY_HEX && is_hex(ref);
    for (size_t i = 0; hex_ref && i < len; i++) {
        lower[i] = (char)(ref[i] >= 'A' && ref[i] <= 'F' ? ref[i] - 'A' + 'a' : ref[i]);
    }
    uint8_t found[SHOWN][RSN_ID_BYTES];
    const char *names[SHOWN];
    size_t n_found = 0;
    uint8_t prefix[RSN_KEY_MAX];
    rsn_index_t ix;
    rc = rsn_index_open(&ix, store, prefix, rsn_key_prefix(prefix, RSN_TAG_GROUP, NULL),
                        RSN_KEYLEN_ID);
    if (rc) {
        return rc;
    }
    for (rsn_index_first(&ix); rsn_index_valid(&ix); rsn_index_next(&ix)) {
        const uint8_t *id = rsn_index_id(&ix);
        if ((rc = rsn_group_try_load(store, arena, id, &g)) != 0) {
            rsn_why(why, why_size, rc, "could not read the groups: %s", rsn_strerror(rc));
            goto out;
        }
        if (!g) {
            continue;
        }
        char hex[RSN_KEY_HEX + 1];
        rsn_hex_encode(hex, sizeof hex, id, RSN_ID_BYTES);
        const Raison__Charter *c = rsn_group_charter(g, NULL);
        if ((hex_ref && strncmp(hex, lower, len) == 0) || strcmp(c->name, ref) == 0) {
            if (n_found < SHOWN) {
                memcpy(found[n_found], id, RSN_ID_BYTES);
                names[n_found] = c->name;
            }
            n_found++;
        }
    }
    if (n_found == 0) {
        rc = rsn_why(why, why_size, RSN_ERR_UNKNOWN_GROUP, "no group '%s'", ref);
    } else if (n_found == 1) {
        memcpy(group, found[0], RSN_ID_BYTES);
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
        rc = rsn_why(why, why_size, RSN_ERR_AMBIGUOUS, "'%s' matches %zu groups: %s%s", ref,
                     n_found, list, n_found > SHOWN ? ", ..." : "");
    }
out:
    rsn_index_close(&ix);
    return rc;
}
