/* judge.c — the semantic rules of DESIGN.md read back over stored entries.
 *
 * A charter is judged against its group's chain (on it, lost a dispute, or
 * amending nothing valid), a membership by the rules of its action (group.h),
 * a post against its group and the charter version it names (Post.charter;
 * the current one when it names none): in it, with a mission of that
 * version, by someone who could post at that seq of their feed (an open
 * span in a members-only version: membership.h), replying to a post of the
 * same group. An erased post is judged on what its header
 * says. Entries of a forked feed are kept as evidence only. */
#include "daemon/judge.h"

#include <string.h>

#include "daemon/clock.h"
#include "daemon/read_helpers.h"
#include "store/keys.h"

/* True when post L belongs to group G: its body says so, or, once erased,
 * the group's post index holds it. */
static bool post_in_group(rsn_view_ctx_t *x, const rsn_group_t *g, const rsn_loaded_t *l)
{
    if (l->body) {
        return rsn_views_same_id(&((const Raison__Post *)l->body)->group, rsn_group_id(g));
    }
    uint8_t k[RSN_KEY_MAX];
    rsn_store_t *store = rsn_view_ctx_store(x);
    uint64_t index = 0;
    if (rsn_entry_index(store, l, &index) != 0) {
        return false;
    }
    size_t klen = rsn_key_group_post(k, rsn_group_id(g), rsn_clock_entry_time(store, l), index);
    return rsn_store_has(store, k, klen) == 0;
}

/* NULL when post L of group G keeps the rules; the rule it breaks. */
static const char *post_problem(rsn_view_ctx_t *x, const rsn_group_t *g, const rsn_loaded_t *l)
{
    const Raison__Post *p = l->body;
    if (!post_in_group(x, g, l)) {
        return "the post is not in this group";
    }
    const char *rule = rsn_group_post_problem(g, l->entry->author.data, l->entry->seq, p);
    if (rule) {
        return rule;
    }
    if (!p || p->reply_to.len == 0) {
        return NULL;
    }
    if (p->reply_to.len != RSN_ID_BYTES) {
        return "reply_to is not an entry id";
    }
    rsn_loaded_t *parent = NULL;
    if (rsn_entry_load(rsn_view_ctx_store(x), rsn_view_ctx_arena(x), p->reply_to.data, &parent) !=
        0) {
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

/* Whether views show loaded entry L (NULL: not held) in group G: into *OUT. */
static int judge_loaded(rsn_view_ctx_t *x, const rsn_group_t *g, rsn_loaded_t *l,
                        rsn_loaded_t **out)
{
    rsn_store_t *store = rsn_view_ctx_store(x);
    rsn_arena_t *arena = rsn_view_ctx_arena(x);
    if (!l || l->entry->kind != RAISON__KIND__KIND_POST || !rsn_entry_shown(store, arena, l) ||
        post_problem(x, g, l)) {
        return 0;
    }
    *out = l;
    return 0;
}

int rsn_judge_post(rsn_view_ctx_t *x, const rsn_group_t *g, const uint8_t id[RSN_ID_BYTES],
                   rsn_loaded_t **out)
{
    rsn_loaded_t *l = NULL;
    *out = NULL;
    int rc = rsn_entry_try_load(rsn_view_ctx_store(x), rsn_view_ctx_arena(x), id, &l);
    return rc ? rc : judge_loaded(x, g, l, out);
}

int rsn_judge_post_at(rsn_view_ctx_t *x, const rsn_group_t *g, uint64_t index, rsn_loaded_t **out)
{
    rsn_loaded_t *l = NULL;
    *out = NULL;
    int rc = rsn_entry_try_load_at(rsn_view_ctx_store(x), rsn_view_ctx_arena(x), index, &l);
    return rc ? rc : judge_loaded(x, g, l, out);
}

int rsn_judge_count_posts(rsn_view_ctx_t *x, const rsn_group_t *g, const uint8_t *prefix,
                          size_t prefix_len, size_t key_len, uint64_t *count)
{
    rsn_index_t ix;
    *count = 0;
    int rc = rsn_index_open(&ix, rsn_view_ctx_store(x), prefix, prefix_len, key_len);
    if (rc) {
        return rc;
    }
    for (rsn_index_first(&ix); rsn_index_valid(&ix); rsn_index_next(&ix)) {
        rsn_loaded_t *l = NULL;
        if ((rc = rsn_judge_post_at(x, g, rsn_index_n(&ix), &l)) != 0) {
            break;
        }
        *count += l != NULL;
    }
    rsn_index_close(&ix);
    return rc;
}

/* The problem of charter L (version 2 and up, or one that founds nothing
 * valid) against the chain of its group G. */
static const char *charter_problem(const rsn_group_t *g, const rsn_loaded_t *l)
{
    if (rsn_group_has_version(g, l->id)) {
        return NULL;
    }
    for (size_t i = 0; i < rsn_group_disputes(g); i++) {
        if (memcmp(rsn_group_dispute(g, i), l->id, RSN_ID_BYTES) == 0) {
            return "it lost a dispute: another amendment of the same version has a smaller id";
        }
    }
    return "it does not amend a version of the group's charter, by an owner of that version, "
           "with the next version number";
}

int rsn_view_entry_problem(rsn_view_ctx_t *x, const rsn_loaded_t *l, const char **problem)
{
    const uint8_t *author = l->entry->author.data;
    rsn_group_t *g = NULL;
    uint8_t gid[RSN_ID_BYTES];
    *problem = NULL;
    if (rsn_feed_hidden(rsn_view_ctx_store(x), author, l->entry->seq)) {
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
            const char *copy = rsn_arena_strdup(rsn_view_ctx_arena(x), why);
            *problem = copy ? copy : "";
            return 0;
        }
        if (c->group.len == 0) {
            if (c->supersedes.len || c->version != 1) {
                *problem = "a charter that founds a group has version 1 and supersedes nothing";
            }
            return 0;
        }
    }
    int rc = rsn_view_ctx_group(x, gid, &g);
    if (rc == RSN_ERR_UNKNOWN_GROUP) {
        *problem = "its group is unknown (no valid charter version 1 is held)";
        return 0;
    }
    if (rc) {
        return rc;
    }
    switch (l->entry->kind) {
    case RAISON__KIND__KIND_CHARTER: *problem = charter_problem(g, l); return 0;
    case RAISON__KIND__KIND_MEMBERSHIP:
        *problem = rsn_group_membership_problem(g, author, l->body);
        return 0;
    case RAISON__KIND__KIND_POST: *problem = post_problem(x, g, l); return 0;
    default: return 0;
    }
}
