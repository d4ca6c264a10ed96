/* d_rules.c — the semantic rules of DESIGN.md applied to a client's own
 * publish, before anything is stored.
 *
 * Views apply the same rules at read time (d_views.c) and simply hide what
 * breaks them; here the node refuses up front, with a code from common/err.h
 * and a sentence a person can act on ("group 'ops' has no mission 'x'
 * (missions: a, b)"). The content rules of a charter need no state and are
 * shared with the views through rsn_charter_problem. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "crypto/crypto.h"
#include "store/keys.h"
#include "daemon/views.h"

/* Shared with d_views.c (node-internal, no header of its own): 0 when charter
 * C, written by AUTHOR, meets the content rules; RSN_ERR_INVALID_CHARTER with
 * the reason in WHY (may be NULL) otherwise. */
int rsn_charter_problem(const Raison__Charter *c, const uint8_t author[32], char *why,
                        size_t why_size);

static int refuse(char *why, size_t why_size, int code, const char *fmt, ...) RSN_PRINTF(4, 5);

static int refuse(char *why, size_t why_size, int code, const char *fmt, ...)
{
    if (why && why_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, why_size, fmt, ap);
        va_end(ap);
    }
    return code;
}

static bool empty(const char *s)
{
    return !s || !*s;
}

static bool key_in(const ProtobufCBinaryData *keys, size_t n, const uint8_t key[32])
{
    for (size_t i = 0; i < n; i++) {
        if (keys[i].len == 32 && memcmp(keys[i].data, key, 32) == 0) {
            return true;
        }
    }
    return false;
}

int rsn_charter_problem(const Raison__Charter *c, const uint8_t author[32], char *why,
                        size_t why_size)
{
    const int bad = RSN_ERR_INVALID_CHARTER;
    if (empty(c->name)) {
        return refuse(why, why_size, bad, "charter has no name");
    }
    if (empty(c->purpose)) {
        return refuse(why, why_size, bad, "charter has no purpose");
    }
    if (c->n_missions == 0) {
        return refuse(why, why_size, bad, "charter has no mission");
    }
    for (size_t i = 0; i < c->n_missions; i++) {
        const Raison__Mission *m = c->missions[i];
        if (!m || !m->key || !rsn_mission_key_valid(m->key)) {
            return refuse(why, why_size, bad,
                          "mission key '%.40s' is not [a-z0-9-] (1 to %d characters)",
                          m && m->key ? m->key : "", RSN_MISSION_KEY_MAX);
        }
        if (empty(m->goal)) {
            return refuse(why, why_size, bad, "mission '%s' has no goal", m->key);
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(c->missions[j]->key, m->key) == 0) {
                return refuse(why, why_size, bad, "mission key '%s' appears twice", m->key);
            }
        }
    }
    if (c->n_benefits == 0) {
        return refuse(why, why_size, bad, "charter has no benefit");
    }
    for (size_t i = 0; i < c->n_benefits; i++) {
        if (empty(c->benefits[i])) {
            return refuse(why, why_size, bad, "charter has an empty benefit");
        }
    }
    if (!c->data_policy) {
        return refuse(why, why_size, bad, "charter has no data policy");
    }
    if (empty(c->data_policy->use)) {
        return refuse(why, why_size, bad, "the data policy does not say what data is used for");
    }
    if (empty(c->data_policy->readers)) {
        return refuse(why, why_size, bad, "the data policy does not say who may read");
    }
    if (c->access != RAISON__ACCESS__ACCESS_OPEN &&
        c->access != RAISON__ACCESS__ACCESS_MEMBERS_ONLY) {
        return refuse(why, why_size, bad, "charter access must be open or members-only");
    }
    if (c->n_owners == 0) {
        return refuse(why, why_size, bad, "charter has no owner");
    }
    for (size_t i = 0; i < c->n_owners; i++) {
        if (c->owners[i].len != 32) {
            return refuse(why, why_size, bad, "charter owner %zu is not a 32-byte key", i + 1);
        }
    }
    if (!key_in(c->owners, c->n_owners, author)) {
        return refuse(why, why_size, bad, "the author must be among the owners");
    }
    return 0;
}

static const char *short_hex(char out[13], const uint8_t *id)
{
    return rsn_hex_encode(out, 13, id, 6);
}

/* The group named by a body's GROUP field, loaded; RSN_ERR_UNKNOWN_GROUP. */
static int named_group(rsn_store_t *store, rsn_arena_t *arena, const ProtobufCBinaryData *group,
                       rsn_group_t **g, char *why, size_t why_size)
{
    if (group->len != 32) {
        return refuse(why, why_size, RSN_ERR_UNKNOWN_GROUP, "the entry names no group id");
    }
    int rc = rsn_group_load(store, arena, group->data, g);
    if (rc == RSN_ERR_UNKNOWN_GROUP) {
        char hex[13];
        return refuse(why, why_size, rc, "no group %s... is known to this node",
                      short_hex(hex, group->data));
    }
    if (rc) {
        return refuse(why, why_size, rc, "could not read the group: %s", rsn_strerror(rc));
    }
    return 0;
}

static int check_charter(rsn_store_t *store, rsn_arena_t *arena, const uint8_t author[32],
                         const Raison__Charter *c, char *why, size_t why_size)
{
    if (c->group.len == 0) {
        if (c->supersedes.len != 0 || c->version != 1) {
            return refuse(why, why_size, RSN_ERR_INVALID_CHARTER,
                          "a charter that founds a group has version 1 and supersedes nothing");
        }
        return rsn_charter_problem(c, author, why, why_size);
    }
    rsn_group_t *g = NULL;
    int rc = named_group(store, arena, &c->group, &g, why, why_size);
    if (rc) {
        return rc;
    }
    uint8_t cur_id[32];
    const Raison__Charter *cur = rsn_group_charter(g, cur_id);
    if (c->supersedes.len != 32 || memcmp(c->supersedes.data, cur_id, 32) != 0) {
        char hex[13];
        return refuse(why, why_size, RSN_ERR_INVALID_CHARTER,
                      "an amendment must supersede the current charter (version %u, %s...)",
                      cur->version, short_hex(hex, cur_id));
    }
    if ((uint64_t)c->version != (uint64_t)cur->version + 1) {
        return refuse(why, why_size, RSN_ERR_INVALID_CHARTER,
                      "an amendment of version %u must have version %llu", cur->version,
                      (unsigned long long)cur->version + 1);
    }
    if (!rsn_group_is_owner(g, author)) {
        return refuse(why, why_size, RSN_ERR_NOT_OWNER,
                      "only an owner of group '%s' may amend its charter", cur->name);
    }
    return rsn_charter_problem(c, author, why, why_size);
}

static int check_membership(rsn_store_t *store, rsn_arena_t *arena, const uint8_t author[32],
                            const Raison__Membership *m, char *why, size_t why_size)
{
    rsn_group_t *g = NULL;
    int rc = named_group(store, arena, &m->group, &g, why, why_size);
    if (rc) {
        return rc;
    }
    const Raison__Charter *cur = rsn_group_charter(g, NULL);
    bool self =
        m->member.len == 0 || (m->member.len == 32 && memcmp(m->member.data, author, 32) == 0);
    switch (m->action) {
    case RAISON__ACTION__ACTION_JOIN:
        if (!self) {
            return refuse(why, why_size, RSN_ERR_INVALID_BODY,
                          "a join is for yourself: use add to add someone else");
        }
        if (m->charter.len != 32 || !rsn_group_has_version(g, m->charter.data)) {
            return refuse(why, why_size, RSN_ERR_INVALID_BODY,
                          "a join must name a charter version of group '%s'", cur->name);
        }
        return 0;
    case RAISON__ACTION__ACTION_LEAVE:
        if (!self) {
            return refuse(why, why_size, RSN_ERR_INVALID_BODY,
                          "a leave is for yourself: use remove to remove someone else");
        }
        return 0;
    case RAISON__ACTION__ACTION_ADD:
    case RAISON__ACTION__ACTION_REMOVE:
        if (m->member.len != 32) {
            return refuse(why, why_size, RSN_ERR_INVALID_BODY,
                          "add and remove name a 32-byte member key");
        }
        if (!rsn_group_is_owner(g, author)) {
            return refuse(why, why_size, RSN_ERR_NOT_OWNER,
                          "only an owner of group '%s' may add or remove members", cur->name);
        }
        if (cur->access != RAISON__ACCESS__ACCESS_MEMBERS_ONLY) {
            return refuse(why, why_size, RSN_ERR_INVALID_BODY,
                          "group '%s' is open: anyone may post, there is no one to add or remove",
                          cur->name);
        }
        return 0;
    default: return refuse(why, why_size, RSN_ERR_INVALID_BODY, "membership action is unspecified");
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
        return refuse(why, why_size, RSN_ERR_UNKNOWN_MISSION,
                      "group '%s' has no mission '%.40s' (missions: %s)", cur->name,
                      p->mission ? p->mission : "", list);
    }
    /* Now, and at the time the post claims: views check the latter. */
    if (!rsn_group_may_post(g, author, UINT64_MAX) ||
        !rsn_group_may_post(g, author, e->timestamp)) {
        return refuse(why, why_size, RSN_ERR_NOT_MEMBER,
                      "group '%s' is members-only: join it before posting", cur->name);
    }
    if (empty(p->text)) {
        return refuse(why, why_size, RSN_ERR_INVALID_BODY, "a post needs text");
    }
    if (p->reply_to.len == 0) {
        return 0;
    }
    if (p->reply_to.len != 32) {
        return refuse(why, why_size, RSN_ERR_UNKNOWN_ENTRY, "reply_to is not a 32-byte entry id");
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
        return refuse(why, why_size, RSN_ERR_UNKNOWN_ENTRY,
                      "reply_to %s... is not a post this node shows",
                      short_hex(hex, p->reply_to.data));
    }
    if (rc) {
        return refuse(why, why_size, rc, "could not read the parent post: %s", rsn_strerror(rc));
    }
    bool same;
    if (parent->body) {
        const Raison__Post *pp = parent->body;
        same = pp->group.len == 32 && memcmp(pp->group.data, p->group.data, 32) == 0;
    } else {
        uint8_t k[RSN_KEY_MAX];
        size_t klen =
            rsn_key_1n2(k, RSN_TAG_POST, p->group.data, parent->entry->timestamp, parent->id);
        same = rsn_store_has(store, k, klen) == 0;
    }
    if (!same) {
        return refuse(why, why_size, RSN_ERR_INVALID_BODY,
                      "a reply must be in the same group as the post it answers");
    }
    return 0;
}

static int check_retraction(rsn_store_t *store, rsn_arena_t *arena, const uint8_t author[32],
                            const Raison__Retraction *r, char *why, size_t why_size)
{
    if (r->target.len != 32) {
        return refuse(why, why_size, RSN_ERR_UNKNOWN_ENTRY, "the target is not a 32-byte id");
    }
    rsn_loaded_t *t = NULL;
    int rc = rsn_entry_load(store, arena, r->target.data, &t);
    if (rc == RSN_ERR_NOT_FOUND) {
        char hex[13];
        return refuse(why, why_size, RSN_ERR_UNKNOWN_ENTRY, "entry %s... is not held here",
                      short_hex(hex, r->target.data));
    }
    if (rc) {
        return refuse(why, why_size, rc, "could not read the target: %s", rsn_strerror(rc));
    }
    if (memcmp(t->entry->author.data, author, 32) != 0) {
        return refuse(why, why_size, RSN_ERR_INVALID_BODY, "you can only retract your own entries");
    }
    return 0;
}

int rsn_rules_check(rsn_store_t *store, rsn_arena_t *arena, const Raison__Entry *e,
                    const void *body, const uint8_t id[32], char *why, size_t why_size)
{
    (void)id;
    if (why && why_size) {
        why[0] = '\0';
    }
    if (!e || e->author.len != 32) {
        return refuse(why, why_size, RSN_ERR_INVALID_BODY, "the entry has no author");
    }
    if (!body) {
        return refuse(why, why_size, RSN_ERR_INVALID_BODY, "the entry's body does not decode");
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
            return refuse(why, why_size, RSN_ERR_INVALID_BODY, "a profile needs a name");
        }
        return 0;
    }
    case RAISON__KIND__KIND_RETRACTION:
        return check_retraction(store, arena, author, body, why, why_size);
    default: return refuse(why, why_size, RSN_ERR_INVALID_BODY, "unknown entry kind");
    }
}
