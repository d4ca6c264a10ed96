/* rules.c — the semantic rules of DESIGN.md applied to a client's own
 * publish, before anything is stored (rules.h).
 *
 * Each kind has its check: a charter founds a group or amends its current
 * version (by an owner, with the next number), a membership keeps the rules
 * of its action, a post names a group, a mission of its current charter and,
 * when it replies, a shown post of the same group, a retraction names an
 * entry of its own author. The group state comes from group.h, which the read
 * views share, so the two never disagree on what a group is. */
#include "daemon/rules.h"

#include <stdio.h>
#include <string.h>

#include "common/why.h"
#include "daemon/clock.h"
#include "daemon/entry.h"
#include "daemon/group.h"
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

static int check_membership(rsn_store_t *store, rsn_arena_t *arena,
                            const uint8_t author[RSN_KEY_BYTES], const Raison__Membership *m,
                            char *why, size_t why_size)
{
    rsn_group_t *g = NULL;
    int rc = named_group(store, arena, &m->group, &g, why, why_size);
    if (rc) {
        return rc;
    }
    const Raison__Charter *cur = rsn_group_charter(g, NULL);
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
        return 0;
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
        if (!rsn_group_is_owner(g, author)) {
            return rsn_why(why, why_size, RSN_ERR_NOT_OWNER,
                           "only an owner of group '%s' may add or remove members", cur->name);
        }
        if (cur->access != RAISON__ACCESS__ACCESS_MEMBERS_ONLY) {
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
    const Raison__Charter *cur = rsn_group_charter(g, NULL);
    if (!rsn_group_has_mission(g, p->mission ? p->mission : "")) {
        char list[256] = "";
        size_t used = 0;
        for (size_t i = 0; i < cur->n_missions && used < sizeof list; i++) {
            int n = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "",
                             cur->missions[i]->key);
            used += n > 0 ? (size_t)n : 0;
        }
        return rsn_why(why, why_size, RSN_ERR_UNKNOWN_MISSION,
                       "group '%s' has no mission '%.40s' (missions: %s)", cur->name,
                       p->mission ? p->mission : "", list);
    }
    /* Now, and at the time the post claims: views check the latter. */
    if (!rsn_group_may_post(g, author, UINT64_MAX) ||
        !rsn_group_may_post(g, author, e->timestamp)) {
        return rsn_why(why, why_size, RSN_ERR_NOT_MEMBER,
                       "group '%s' is members-only: join it before posting", cur->name);
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
        uint64_t ts = rsn_clock_entry_time(store, parent);
        size_t klen = rsn_key_group_post(k, p->group.data, ts, parent->id);
        same = rsn_store_has(store, k, klen) == 0;
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
        return check_membership(store, arena, author, body, why, why_size);
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
