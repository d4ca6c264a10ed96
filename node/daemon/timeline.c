/* timeline.c — a group's timeline and single posts, read from the group's
 * post index ('P' group ts id, newest last) and the reply index ('Q' parent
 * id) of store/keys.h.
 *
 * The order is that of effective time (daemon/clock.h: the earlier of the
 * time a post claims and the time this node received it, the ts of its 'P'
 * key), so a post dated in the future does not stay on top; each post
 * still shows the timestamp its author claims.
 *
 * A page reads posts backwards from the cursor (the ts and id of the last
 * post of the previous page) until it is full; posts the views do not show,
 * or of another mission, are passed over. So that a page costs O(page)
 * whatever the group holds, a page also ends, with its cursor, once it has
 * looked at SCAN_PER_POST index keys per post asked for (a rare mission, a
 * run of hidden posts: the client asks for the next page), or once its posts
 * carry RSN_PAGE_BYTES_MAX bytes of text. A post's reply count is the
 * report's counter of its replies counted (daemon/report_state.h). */
#include "daemon/timeline.h"

#include <string.h>

#include "common/limits.h"
#include "common/why.h"
#include "daemon/entry.h"
#include "daemon/group.h"
#include "daemon/judge.h"
#include "daemon/read_helpers.h"
#include "daemon/report_state.h"
#include "daemon/view_ctx.h"
#include "store/keys.h"
#include "store/tlog.h"

#define TIMELINE_DEFAULT 50
#define SCAN_PER_POST 8 /* index keys a page may look at per post asked for (+ SCAN_MIN) */
#define SCAN_MIN 256
#define POS_LEN                                                                      \
    (RSN_KEYLEN_ID_N_N - RSN_KEYLEN_ID) /* ts(8) index(8): a 'P' key after its group \
                                         */
/* the API's cursor: ts(8) id(32) of the last post passed, whatever the
 * store's layout (the 'P' key names the post by its log index) */
#define CURSOR_LEN (8 + RSN_ID_BYTES)

/* The replies counted to post ID: the report's counter 'r' (O(log n)). */
static int count_replies(rsn_view_ctx_t *x, const uint8_t id[RSN_ID_BYTES], uint32_t *count)
{
    uint64_t n = 0;
    int rc = rsn_report_replies(rsn_view_ctx_store(x), id, &n);
    *count = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
    return rc;
}

static int post_view(rsn_view_ctx_t *x, const rsn_group_t *g, const rsn_loaded_t *l,
                     Raison__PostView **out)
{
    rsn_arena_t *arena = rsn_view_ctx_arena(x);
    Raison__PostView *pv = rsn_arena_alloc(arena, sizeof *pv);
    if (!pv) {
        return RSN_ERR_NOMEM;
    }
    raison__post_view__init(pv);
    const Raison__Post *p = l->body;
    const rsn_profile_t *prof = rsn_view_ctx_profile(x, l->entry->author.data);
    pv->id = rsn_views_bytes(arena, l->id, RSN_ID_BYTES);
    pv->author = l->entry->author;
    pv->seq = l->entry->seq;
    pv->timestamp = l->entry->timestamp;
    pv->group = rsn_views_bytes(arena, rsn_group_id(g), RSN_ID_BYTES);
    pv->mission = p ? p->mission : "";
    pv->text = p ? p->text : "";
    if (p) {
        pv->reply_to = p->reply_to;
    }
    pv->author_name = (char *)prof->name;
    pv->author_site = (char *)prof->site;
    pv->erased = l->erased;
    int rc = count_replies(x, l->id, &pv->replies);
    if (rc) {
        return rc;
    }
    if (!pv->id.data || !pv->group.data) {
        return RSN_ERR_NOMEM;
    }
    *out = pv;
    return 0;
}

int rsn_view_post(rsn_store_t *store, rsn_arena_t *arena, const uint8_t id[RSN_ID_BYTES],
                  Raison__PostView **out)
{
    rsn_loaded_t *l = NULL;
    rsn_group_t *g = NULL;
    uint8_t gid[RSN_ID_BYTES];
    *out = NULL;
    int rc = rsn_entry_load(store, arena, id, &l);
    if (rc) {
        return rc;
    }
    if (l->entry->kind != RAISON__KIND__KIND_POST || rsn_entry_group(l, gid) != 0) {
        return RSN_ERR_NOT_FOUND;
    }
    rsn_view_ctx_t *x = rsn_view_ctx_new(store, arena);
    rc = x ? rsn_view_ctx_group(x, gid, &g) : RSN_ERR_NOMEM;
    if (rc == RSN_ERR_UNKNOWN_GROUP) {
        return RSN_ERR_NOT_FOUND;
    }
    if (rc) {
        return rc;
    }
    rc = rsn_judge_post(x, g, id, &l);
    if (rc) {
        return rc;
    }
    if (!l) {
        return RSN_ERR_NOT_FOUND;
    }
    return post_view(x, g, l, out);
}

/* Positions IX (over the group's posts, PREFIX) on the newest post older
 * than CURSOR, or on the newest post when there is no cursor. */
static void seek_page(rsn_store_t *store, rsn_index_t *ix, const uint8_t *prefix, size_t plen,
                      const ProtobufCBinaryData *cursor)
{
    if (cursor->len != CURSOR_LEN) {
        rsn_index_last(ix);
        return;
    }
    uint64_t index = 0; /* a post not held: before every post of that time */
    if (rsn_tlog_leaf_index(store, cursor->data + 8, &index) != 0) {
        index = 0;
    }
    uint8_t k[RSN_KEY_MAX];
    memcpy(k, prefix, plen);
    memcpy(k + plen, cursor->data, 8);
    rsn_be64_put(k + plen + 8, index);
    rsn_index_seek_before(ix, k, plen + POS_LEN);
    if (rsn_index_valid(ix) && memcmp(rsn_index_key(ix), k, plen + POS_LEN) == 0) {
        rsn_index_prev(ix);
    }
}

/* The API cursor of position POS (ts, index) into ARENA. */
static ProtobufCBinaryData cursor_of(rsn_store_t *store, rsn_arena_t *arena,
                                     const uint8_t pos[POS_LEN])
{
    uint8_t c[CURSOR_LEN];
    memcpy(c, pos, 8);
    if (rsn_tlog_leaf(store, rsn_be64_get(pos + 8), c + 8) != 0) {
        memset(c + 8, 0, RSN_ID_BYTES);
    }
    return rsn_views_bytes(arena, c, CURSOR_LEN);
}

int rsn_view_timeline(rsn_store_t *store, rsn_arena_t *arena, const uint8_t group[RSN_ID_BYTES],
                      const Raison__TimelineRequest *req, Raison__TimelineReply **out, char *why,
                      size_t why_size)
{
    rsn_view_ctx_t *x = rsn_view_ctx_new(store, arena);
    rsn_group_t *g = NULL;
    *out = NULL;
    int rc = x ? rsn_view_ctx_group(x, group, &g) : RSN_ERR_NOMEM;
    if (rc) {
        return rsn_why(why, why_size, rc, "%s",
                       rc == RSN_ERR_UNKNOWN_GROUP ? "no such group" : rsn_strerror(rc));
    }
    const char *mission = req && req->mission && *req->mission ? req->mission : NULL;
    if (mission && !rsn_group_had_mission(g, mission)) {
        return rsn_why(why, why_size, RSN_ERR_UNKNOWN_MISSION, "group '%s' has no mission '%.40s'",
                       rsn_group_charter(g, NULL)->name, mission);
    }
    if (req && req->cursor.len != 0 && req->cursor.len != CURSOR_LEN) {
        return rsn_why(why, why_size, RSN_ERR_BAD_REQUEST,
                       "the cursor is not one this timeline gave");
    }
    size_t limit = rsn_views_page(req ? req->limit : 0, TIMELINE_DEFAULT);
    Raison__TimelineReply *r = rsn_arena_alloc(arena, sizeof *r);
    Raison__PostView **posts = r ? rsn_arena_alloc(arena, limit * sizeof *posts) : NULL;
    if (!posts) {
        return RSN_ERR_NOMEM;
    }
    raison__timeline_reply__init(r);
    r->group = rsn_views_bytes(arena, group, RSN_ID_BYTES);
    r->posts = posts;
    uint8_t prefix[RSN_KEY_MAX];
    size_t plen = rsn_key_prefix(prefix, RSN_TAG_POST, group);
    rsn_index_t ix;
    rc = rsn_index_open(&ix, store, prefix, plen, RSN_KEYLEN_ID_N_N);
    if (rc || !r->group.data) {
        rsn_index_close(&ix);
        return RSN_ERR_NOMEM;
    }
    static const ProtobufCBinaryData no_cursor = {0, NULL};
    seek_page(store, &ix, prefix, plen, req ? &req->cursor : &no_cursor);
    bool more = false;
    uint8_t last[POS_LEN] = {0}, seen[POS_LEN] = {0};
    size_t scanned = 0, scan_max = SCAN_MIN + SCAN_PER_POST * limit, bytes = 0;
    for (; rsn_index_valid(&ix); rsn_index_prev(&ix)) {
        uint8_t pos[POS_LEN];
        memcpy(pos, rsn_index_key(&ix) + RSN_KEYLEN_ID, POS_LEN);
        if (scanned++ == scan_max) {
            more = true; /* a page of what was found; the cursor goes on from the last seen */
            memcpy(last, seen, POS_LEN);
            break;
        }
        memcpy(seen, pos, POS_LEN);
        rsn_loaded_t *l = NULL;
        if ((rc = rsn_judge_post_at(x, g, rsn_index_n(&ix), &l)) != 0) {
            goto out;
        }
        if (!l) {
            continue;
        }
        if (mission && (!l->body || strcmp(((const Raison__Post *)l->body)->mission, mission))) {
            continue;
        }
        if (r->n_posts == limit || bytes > RSN_PAGE_BYTES_MAX) {
            more = true;
            break;
        }
        rc = post_view(x, g, l, &r->posts[r->n_posts]);
        if (rc) {
            goto out;
        }
        bytes += strlen(r->posts[r->n_posts]->text);
        r->n_posts++;
        memcpy(last, pos, POS_LEN);
    }
    if (more) {
        r->next_cursor = cursor_of(store, arena, last);
        if (!r->next_cursor.data) {
            rc = RSN_ERR_NOMEM;
            goto out;
        }
    }
    *out = r;
out:
    if (rc) {
        rsn_why(why, why_size, rc, "could not read the timeline: %s", rsn_strerror(rc));
    }
    rsn_index_close(&ix);
    return rc;
}
