/* rules.c — the semantic rules of DESIGN.md applied to a client's own
 * publish, before anything is stored (rules.h).
 *
 * Each kind has its check: a charter founds a group or amends its current
 * version (by an owner, with the next number), a membership keeps the rules
 * of its action (an add or a remove by an owner of the version it names; a
 * join in a members-only group answers an add that still stands), a post
 * names a group, a mission of the charter version it names (the current one
 * when it names none) and, when it replies, a shown post of the same group;
 * in a members-only group its seq lies in an open span of its author
 * (membership.h); a retraction names an entry of its own author. The group state comes from
 * group.h, which the read views share, so the two never disagree on what a group is. */
#include "daemon/rules.h"

#include <stdio.h>
#include <string.h>

#include "common/why.h"
#include "daemon/clock.h"
#include "daemon/entry.h"
#include "daemon/group.h"
#include "daemon/view_ctx.h"
#include "store/keys.h"

static bool empty(const char *s)
{
    return !s || !*s;
}

static const char *short_hex(char out[13], const uint8_t *id)
{
    return rsn_hex_encode(out, 13, id, 6);
}

/* The group named by a body's GROUP field, loaded; RSN_ERR_UNKNOWN_GROUP. */
static int named_group(rsn_store_t *store, rsn_arena_t *arena, const ProtobufCBinaryData *group,
                       rsn_group_t **g, char *why, size_t why_size)
{
    if (group->len != RSN_ID_BYTES) {
        return rsn_why(why, why_size, RSN_ERR_UNKNOWN_GROUP, "the entry names no group id");
    }
    int rc = rsn_group_load(store, arena, group->data, g);
    if (rc == RSN_ERR_UNKNOWN_GROUP) {
        char hex[13];
        return rsn_why(why, why_size, rc, "no group %s... is known to this node",
                       short_hex(hex, group->data));
    }
    if (rc) {
        return rsn_why(why, why_size, rc, "could not read the group: %s", rsn_strerror(rc));
    }
    return 0;
}

static int check_charter(rsn_store_t *store, rsn_arena_t *arena,
                         const uint8_t author[RSN_KEY_BYTES], const Raison__Charter *c, char *why,
                         size_t why_size)
{
    if (c->group.len == 0) {
        if (c->supersedes.len != 0 || c->version != 1) {
            return rsn_why(why, why_size, RSN_ERR_INVALID_CHARTER,
                           "a charter that founds a group has version 1 and supersedes nothing");
        }
        return rsn_charter_problem(c, author, why, why_size);
    }
    rsn_group_t *g = NULL;
    int rc = named_group(store, arena, &c->group, &g, why, why_size);
    if (rc) {
        return rc;
    }
    uint8_t cur_id[RSN_ID_BYTES];
    const Raison__Charter *cur = rsn_group_charter(g, cur_id);
    if (c->supersedes.len != RSN_ID_BYTES ||
        memcmp(c->supersedes.data, cur_id, RSN_ID_BYTES) != 0) {
        char hex[13];
        return rsn_why(why, why_size, RSN_ERR_INVALID_CHARTER,
                       "an amendment must supersede the current charter (version %u, %s...)",
                       cur->version, short_hex(hex, cur_id));
    }
    if ((uint64_t)c->version != (uint64_t)cur->version + 1) {
        return rsn_why(why, why_size, RSN_ERR_INVALID_CHARTER,
                       "an amendment of version %u must have version %llu", cur->version,
                       (unsigned long long)cur->version + 1);
    }
    if (!rsn_group_is_owner(g, author)) {
        return rsn_why(why, why_size, RSN_ERR_NOT_OWNER,
                       "only an owner of group '%s' may amend its charter", cur->name);
    }
    return rsn_charter_problem(c, author, why, why_size);
}

/* "Alice (0a1b2c3d4e5f...)", or the short key alone when KEY has no
 * profile, from ARENA ("someone" when out of memory). */
static const char *who(rsn_store_t *store, rsn_arena_t *arena, const uint8_t key[RSN_KEY_BYTES])
{
    char hex[13];
    rsn_loaded_t *l = NULL;
    const Raison__Profile *p = NULL;
    if (rsn_profile_load(store, arena, key, &l) == 0 && l->body) {
        p = l->body;
    }
    const char *s = p && !empty(p->name)
                        ? rsn_arena_printf(arena, "%.60s (%s...)", p->name, short_hex(hex, key))
                        : rsn_arena_printf(arena, "%s...", short_hex(hex, key));
    return s ? s : "someone";
}

/* Why AUTHOR may not WHAT ("post", "join") at seq SEQ of its feed in the
 * members-only group G named NAME: RSN_ERR_NOT_MEMBER and a sentence that
 * says what would let it (an owner's add, its own join). */
static int not_member(rsn_store_t *store, rsn_arena_t *arena, const rsn_group_t *g,
                      const char *name, const uint8_t author[RSN_KEY_BYTES], uint64_t seq,
                      const char *what, char *why, size_t why_size)
{
    const int code = RSN_ERR_NOT_MEMBER;
    if (rsn_group_standing_add(g, author, seq)) {
        return rsn_why(why, why_size, code,
                       strcmp(what, "join") == 0
                           ? "group '%s' is members-only: the join must answer the add that "
                             "stands for you (%s it again)"
                           : "group '%s' is members-only: you were added, join it (raison "
                             "join) before you %s",
                       name, what);
    }
    const uint8_t *by = rsn_group_removed_by(g, author);
    if (by) {
        return rsn_why(why, why_size, code,
                       "you were removed from group '%s' by %s: only a new add by an owner lets "
                       "you %s again",
                       name, who(store, arena, by), what);
    }
    if (strcmp(what, "join") == 0) {
        return rsn_why(why, why_size, code,
                       "group '%s' is members-only: an owner must add you (raison add) before "
                       "you join",
                       name);
    }
    return rsn_why(why, why_size, code,
                   "group '%s' is members-only: an owner must add you (raison add), then you "
                   "join it, before you %s",
                   name, what);
}

/* The charter version an add, a remove or a post naming CHARTER acts
 * under in G (the current one when it names none); RSN_ERR_INVALID_BODY
 * when it names a version that is not on the chain. */
static int acting_version(const rsn_group_t *g, const ProtobufCBinaryData *charter,
                          const Raison__Charter **out, char *why, size_t why_size)
{
    const Raison__Charter *cur = rsn_group_charter(g, NULL);
    *out = cur;
    if (charter->len == 0) {
        return 0;
    }
    for (size_t i = 0; charter->len == RSN_ID_BYTES && i < rsn_group_versions(g); i++) {
        const rsn_loaded_t *v = rsn_group_version(g, i);
        if (memcmp(v->id, charter->data, RSN_ID_BYTES) == 0) {
            *out = v->body;
            return 0;
        }
    }
    return rsn_why(why, why_size, RSN_ERR_INVALID_BODY,
                   "the charter version it names is not one of group '%s'", cur->name);
}

static bool owns(const Raison__Charter *c, const uint8_t key[RSN_KEY_BYTES])
{
    for (size_t i = 0; i < c->n_owners; i++) {
        if (c->owners[i].len == RSN_KEY_BYTES &&
            memcmp(c->owners[i].data, key, RSN_KEY_BYTES) == 0) {
            return true;
        }
    }
    return false;
}

/* A join in a members-only group answers an add that still stands (owners
 * of the current charter need none). */
static int check_join_answers(rsn_store_t *store, rsn_arena_t *arena, const rsn_group_t *g,
                              const Raison__Entry *e, const Raison__Membership *m, char *why,
                              size_t why_size)
{
    const Raison__Charter *cur = rsn_group_charter(g, NULL);
    const uint8_t *author = e->author.data;
    if (cur->access != RAISON__ACCESS__ACCESS_MEMBERS_ONLY || owns(cur, author)) {
        return 0;
    }
    if (m->answers.len != 0 && m->answers.len != RSN_ID_BYTES) {
        return rsn_why(why, why_size, RSN_ERR_INVALID_BODY,
                       "a join answers an add by its 32-byte entry id");
    }
    if (m->answers.len == RSN_ID_BYTES &&
        rsn_group_add_stands(g, author, e->seq, m->answers.data)) {
        return 0;
    }
    return not_member(store, arena, g, cur->name, author, e->seq, "join", why, why_size);
}

static int check_membership(rsn_store_t *store, rsn_arena_t *arena, const Raison__Entry *e,
                            const Raison__Membership *m, char *why, size_t why_size)
{
    const uint8_t *author = e->author.data;
    rsn_group_t *g = NULL;
    int rc = named_group(store, arena, &m->group, &g, why, why_size);
    if (rc) {
        return rc;
    }
    const Raison__Charter *cur = rsn_group_charter(g, NULL), *v = NULL;
    bool self = m->member.len == 0 || (m->member.len == RSN_KEY_BYTES &&
                                       memcmp(m->member.data, author, RSN_KEY_BYTES) == 0);
    switch (m->action) {
    case RAISON__ACTION__ACTION_JOIN:
        if (!self) {
            return rsn_why(why, why_size, RSN_ERR_INVALID_BODY,
                           "a join is for yourself: use add to add someone else");
        }
        if (m->charter.len != RSN_ID_BYTES || !rsn_group_has_version(g, m->charter.data)) {
            return rsn_why(why, why_size, RSN_ERR_INVALID_BODY,
                           "a join must name a charter version of group '%s'", cur->name);
        }
        return check_join_answers(store, arena, g, e, m, why, why_size);
    case RAISON__ACTION__ACTION_LEAVE:
        if (!self) {
            return rsn_why(why, why_size, RSN_ERR_INVALID_BODY,
                           "a leave is for yourself: use remove to remove someone else");
        }
        return 0;
    case RAISON__ACTION__ACTION_ADD:
    case RAISON__ACTION__ACTION_REMOVE:
        if (m->member.len != RSN_KEY_BYTES) {
            return rsn_why(why, why_size, RSN_ERR_INVALID_BODY,
                           "add and remove name a 32-byte member key");
        }
        if ((rc = acting_version(g, &m->charter, &v, why, why_size)) != 0) {
            return rc;
        }
        if (!owns(v, author)) {
            return rsn_why(why, why_size, RSN_ERR_NOT_OWNER,
                           "only an owner of group '%s' may add or remove members", cur->name);
        }
        if (v->access != RAISON__ACCESS__ACCESS_MEMBERS_ONLY) {
            return rsn_why(why, why_size, RSN_ERR_INVALID_BODY,
                           "group '%s' is open: anyone may post, there is no one to add or remove",
                           cur->name);
        }
        return 0;
    default:
        return rsn_why(why, why_size, RSN_ERR_INVALID_BODY, "membership action is unspecified");
    }
}

static int check_post(rsn_store_t *store, rsn_arena_t *arena, const Raison__Entry *e,
                      const Raison__Post *p, char *why, size_t why_size)
{
    const uint8_t *author = e->author.data;
    rsn_group_t *g = NULL;
    int rc = named_group(store, arena, &p->group, &g, why, why_size);
    if (rc) {
        return rc;
    }
    const Raison__Charter *cur = rsn_group_charter(g, NULL), *v = NULL;
    if ((rc = acting_version(g, &p->charter, &v, why, why_size)) != 0) {
        return rc;
    }
    const char *mission = p->mission ? p->mission : "";
    bool has = false;
    for (size_t i = 0; i < v->n_missions && !has; i++) {
        has = strcmp(v->missions[i]->key, mission) == 0;
    }
    if (!has) {
        char list[256] = "";
        size_t used = 0;
        for (size_t i = 0; i < v->n_missions && used < sizeof list; i++) {
            int n = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "",
                             v->missions[i]->key);
            used += n > 0 ? (size_t)n : 0;
        }
        return rsn_why(why, why_size, RSN_ERR_UNKNOWN_MISSION,
                       "group '%s' has no mission '%.40s' (missions: %s)", cur->name, mission,
                       list);
    }
    /* access, by the version named and the author's feed order (no clock) */
    if (rsn_group_post_problem(g, author, e->seq, p)) {
        return not_member(store, arena, g, cur->name, author, e->seq, "post", why, why_size);
    }
    if (empty(p->text)) {
        return rsn_why(why, why_size, RSN_ERR_INVALID_BODY, "a post needs text");
    }
    if (p->reply_to.len == 0) {
        return 0;
    }
    if (p->reply_to.len != RSN_ID_BYTES) {
        return rsn_why(why, why_size, RSN_ERR_UNKNOWN_ENTRY, "reply_to is not a 32-byte entry id");
    }
    rsn_loaded_t *parent = NULL;
    rc = rsn_entry_load(store, arena, p->reply_to.data, &parent);
    if (rc == 0 && (parent->entry->kind != RAISON__KIND__KIND_POST ||
                    rsn_feed_hidden(store, parent->entry->author.data, parent->entry->seq) ||
                    rsn_entry_retracted(store, arena, parent->id, parent->entry->author.data))) {
        rc = RSN_ERR_NOT_FOUND;
    }
    if (rc == RSN_ERR_NOT_FOUND) {
        char hex[13];
        return rsn_why(why, why_size, RSN_ERR_UNKNOWN_ENTRY,
                       "reply_to %s... is not a post this node shows",
                       short_hex(hex, p->reply_to.data));
    }
    if (rc) {
        return rsn_why(why, why_size, rc, "could not read the parent post: %s", rsn_strerror(rc));
    }
    bool same;
    if (parent->body) {
        const Raison__Post *pp = parent->body;
        same = pp->group.len == RSN_ID_BYTES &&
               memcmp(pp->group.data, p->group.data, RSN_ID_BYTES) == 0;
    } else {
        uint8_t k[RSN_KEY_MAX];
        uint64_t ts = rsn_clock_entry_time(store, parent), index = 0;
        same = rsn_entry_index(store, parent, &index) == 0 &&
               rsn_store_has(store, k, rsn_key_group_post(k, p->group.data, ts, index)) == 0;
    }
    if (!same) {
        return rsn_why(why, why_size, RSN_ERR_INVALID_BODY,
                       "a reply must be in the same group as the post it answers");
    }
    return 0;
}

static int check_retraction(rsn_store_t *store, rsn_arena_t *arena,
                            const uint8_t author[RSN_KEY_BYTES], const Raison__Retraction *r,
                            char *why, size_t why_size)
{
    if (r->target.len != RSN_ID_BYTES) {
        return rsn_why(why, why_size, RSN_ERR_UNKNOWN_ENTRY, "the target is not a 32-byte id");
    }
    rsn_loaded_t *t = NULL;
    int rc = rsn_entry_load(store, arena, r->target.data, &t);
    if (rc == RSN_ERR_NOT_FOUND) {
        char hex[13];
        return rsn_why(why, why_size, RSN_ERR_UNKNOWN_ENTRY, "entry %s... is not held here",
                       short_hex(hex, r->target.data));
    }
    if (rc) {
        return rsn_why(why, why_size, rc, "could not read the target: %s", rsn_strerror(rc));
    }
    if (memcmp(t->entry->author.data, author, RSN_KEY_BYTES) != 0) {
        return rsn_why(why, why_size, RSN_ERR_INVALID_BODY,
                       "you can only retract your own entries");
    }
    return 0;
}

int rsn_rules_check(rsn_store_t *store, rsn_arena_t *arena, const Raison__Entry *e,
                    const void *body, const uint8_t id[RSN_ID_BYTES], char *why, size_t why_size)
{
    (void)id;
    if (why && why_size) {
        why[0] = '\0';
    }
    if (!e || e->author.len != RSN_KEY_BYTES) {
        return rsn_why(why, why_size, RSN_ERR_INVALID_BODY, "the entry has no author");
    }
    if (!body) {
        return rsn_why(why, why_size, RSN_ERR_INVALID_BODY, "the entry's body does not decode");
    }
    const uint8_t *author = e->author.data;
    switch (e->kind) {
    case RAISON__KIND__KIND_CHARTER:
        return check_charter(store, arena, author, body, why, why_size);
    case RAISON__KIND__KIND_MEMBERSHIP:
        return check_membership(store, arena, e, body, why, why_size);
    case RAISON__KIND__KIND_POST: return check_post(store, arena, e, body, why, why_size);
    case RAISON__KIND__KIND_PROFILE: {
        const Raison__Profile *p = body;
        if (empty(p->name)) {
            return rsn_why(why, why_size, RSN_ERR_INVALID_BODY, "a profile needs a name");
        }
        return 0;
    }
    case RAISON__KIND__KIND_RETRACTION:
        return check_retraction(store, arena, author, body, why, why_size);
    default: return rsn_why(why, why_size, RSN_ERR_INVALID_BODY, "unknown entry kind");
    }
}
