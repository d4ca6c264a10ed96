/* group_views.c — the group call (views.h rsn_view_group_page): a group's
 * current charter, a page of its chain of versions, a page of its members
 * with their names and sites, its disputes, and whether its member records
 * are being recomputed. Every part is read from the derived group state
 * (group.h over group_state.h), so a call costs O(page + log n) whatever the
 * group's size; a page of members is bounded in entries (the limit) and in
 * bytes (GROUP_PAGE_BYTES of the arena). */
#include "daemon/views.h"

#include <string.h>

#include "daemon/group.h"
#include "daemon/read_helpers.h"
#include "daemon/view_ctx.h"

#define GROUP_PAGE_DEFAULT 100         /* members or versions in a page by default */
#define GROUP_PAGE_BYTES (1024 * 1024) /* arena bytes a page of members may take */

/* A page of G's chain, oldest first, into R->history. */
static int group_history(rsn_arena_t *arena, const rsn_group_t *g, const Raison__GroupRequest *req,
                         Raison__GroupReply *r)
{
    size_t versions = rsn_group_versions(g), from = req ? req->history_from : 0;
    size_t limit = rsn_views_page(req ? req->history_limit : 0, GROUP_PAGE_DEFAULT);
    from = from < versions ? from : versions;
    size_t end = versions - from > limit ? from + limit : versions;
    r->history_total = (uint32_t)versions;
    r->history_next = end < versions ? (uint32_t)end : 0;
    r->history = rsn_arena_alloc(arena, (end - from + 1) * sizeof *r->history);
    if (!r->history) {
        return RSN_ERR_NOMEM;
    }
    for (size_t i = from; i < end; i++) {
        const rsn_loaded_t *e = rsn_group_version(g, i);
        Raison__CharterVersion *v = rsn_arena_alloc(arena, sizeof *v);
        if (!v) {
            return RSN_ERR_NOMEM;
        }
        raison__charter_version__init(v);
        v->id = rsn_views_bytes(arena, e->id, RSN_ID_BYTES);
        v->version = ((const Raison__Charter *)e->body)->version;
        v->author = e->entry->author;
        v->timestamp = e->entry->timestamp;
        r->history[r->n_history++] = v;
    }
    return 0;
}

/* A page of G's members, with their names and sites, into R->members. */
static int group_member_list(rsn_view_ctx_t *x, const rsn_group_t *g,
                             const Raison__GroupRequest *req, Raison__GroupReply *r)
{
    rsn_arena_t *arena = rsn_view_ctx_arena(x);
    size_t limit = rsn_views_page(req ? req->members_limit : 0, GROUP_PAGE_DEFAULT);
    rsn_member_t *m = NULL;
    size_t n = 0, next_len = 0, start = rsn_arena_used(arena);
    uint8_t next[RSN_GROUP_CURSOR_MAX];
    int rc =
        rsn_group_members_page(g, arena, req ? req->members_cursor.data : NULL,
                               req ? req->members_cursor.len : 0, limit, &m, &n, next, &next_len);
    if (rc) {
        return rc;
    }
    r->members_total = (uint32_t)rsn_group_member_count(g);
    r->members = rsn_arena_alloc(arena, (n + 1) * sizeof *r->members);
    if (!r->members) {
        return RSN_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && rsn_arena_used(arena) - start > GROUP_PAGE_BYTES) {
            /* the page is full in bytes: the next one goes on after i-1 */
            if (m[i - 1].owner) {
                break; /* owners are few: they always fit (see below) */
            }
            next[0] = 1;
            memcpy(next + 1, m[i - 1].key, RSN_KEY_BYTES);
            next_len = RSN_GROUP_CURSOR_MAX;
            break;
        }
        Raison__Member *mm = rsn_arena_alloc(arena, sizeof *mm);
        if (!mm) {
            return RSN_ERR_NOMEM;
        }
        raison__member__init(mm);
        const rsn_profile_t *p = rsn_view_ctx_profile(x, m[i].key);
        mm->key = rsn_views_bytes(arena, m[i].key, RSN_KEY_BYTES);
        mm->name = (char *)p->name;
        mm->site = (char *)p->site;
        mm->owner = m[i].owner;
        if (m[i].charter) {
            mm->charter = rsn_views_bytes(arena, m[i].charter, RSN_ID_BYTES);
        }
        r->members[r->n_members++] = mm;
    }
    if (next_len) {
        r->members_next_cursor = rsn_views_bytes(arena, next, next_len);
    }
    return 0;
}

int rsn_view_group_page(rsn_store_t *store, rsn_arena_t *arena, const uint8_t group[RSN_ID_BYTES],
                        const Raison__GroupRequest *req, Raison__GroupReply **out)
{
    rsn_view_ctx_t *x = rsn_view_ctx_new(store, arena);
    rsn_group_t *g = NULL;
    *out = NULL;
    int rc = x ? rsn_view_ctx_group(x, group, &g) : RSN_ERR_NOMEM;
    if (rc) {
        return rc;
    }
    Raison__GroupReply *r = rsn_arena_alloc(arena, sizeof *r);
    if (!r) {
        return RSN_ERR_NOMEM;
    }
    raison__group_reply__init(r);
    uint8_t cur_id[RSN_ID_BYTES];
    r->group = rsn_views_bytes(arena, rsn_group_id(g), RSN_ID_BYTES);
    r->charter = (Raison__Charter *)rsn_group_charter(g, cur_id);
    r->charter_id = rsn_views_bytes(arena, cur_id, RSN_ID_BYTES);
    r->being_updated = rsn_group_updating(g);
    if (!r->group.data || !r->charter_id.data) {
        return RSN_ERR_NOMEM;
    }
    if ((rc = group_history(arena, g, req, r)) != 0 ||
        (rc = group_member_list(x, g, req, r)) != 0) {
        return rc;
    }
    size_t disputes = rsn_group_disputes(g);
    r->disputed = disputes > 0;
    r->dispute = rsn_arena_alloc(arena, (disputes + 1) * sizeof *r->dispute);
    if (!r->dispute) {
        return RSN_ERR_NOMEM;
    }
    for (size_t i = 0; i < disputes; i++) {
        r->dispute[r->n_dispute++] = rsn_views_bytes(arena, rsn_group_dispute(g, i), RSN_ID_BYTES);
    }
    *out = r;
    return 0;
}

int rsn_view_group(rsn_store_t *store, rsn_arena_t *arena, const uint8_t group[RSN_ID_BYTES],
                   Raison__GroupReply **out)
{
    return rsn_view_group_page(store, arena, group, NULL, out);
}
