/* views.c — the read calls of the API that show entries, feeds, profiles and
 * groups (views.h), built on entry.h, group.h and judge.h.
 *
 * Nothing is cached between calls: each call reads the indexes of
 * store/keys.h and applies the semantic rules of DESIGN.md at read time, so
 * an entry that arrived before what it depends on shows as soon as that
 * arrives, and an entry that breaks a rule simply does not show. Entries
 * hidden by a fork of their feed, or retracted by their author, count
 * nowhere. Within one call the group states and the authors' profiles are
 * computed once (view_ctx.h). Everything is taken from the caller's arena.
 *
 * Costs: a group's state is read from the derived group state
 * (group_state.h: O(chain + log n)); a group summary's post counts are the
 * report's counters (daemon/report_state.h): one read for the whole
 * history, O(RECENT_DAYS) for the last RECENT_DAYS days. The group call itself is group_views.c. */
#include "daemon/views.h"

#include <string.h>

#include "common/limits.h"
#include "daemon/clock.h"
#include "daemon/entry.h"
#include "daemon/group.h"
#include "daemon/judge.h"
#include "daemon/read_helpers.h"
#include "daemon/report_state.h"
#include "daemon/view_ctx.h"
#include "store/keys.h"

#define GROUPS_DEFAULT 100
#define GROUPS_SCAN_MAX 2000 /* groups one groups call examines at most (filters) */
#define RSN_GROUPS_NAME_CURSOR (RSN_GS_NAME_KEY + RSN_ID_BYTES) /* a cursor in name order */
#define RECENT_DAYS 30 /* the window of a group summary's recent figures */
#define FEED_DEFAULT 100

/* -------------------------------------------------------------- entries -- */

static int entry_info(rsn_view_ctx_t *x, const rsn_loaded_t *l, Raison__EntryInfo **out)
{
    rsn_arena_t *arena = rsn_view_ctx_arena(x);
    Raison__EntryInfo *info = rsn_arena_alloc(arena, sizeof *info);
    if (!info) {
        return RSN_ERR_NOMEM;
    }
    raison__entry_info__init(info);
    info->id = rsn_views_bytes(arena, l->id, RSN_ID_BYTES);
    if (!info->id.data) {
        return RSN_ERR_NOMEM;
    }
    info->signed_entry = l->signed_entry;
    info->author = l->entry->author;
    info->seq = l->entry->seq;
    info->timestamp = l->entry->timestamp;
    info->kind = l->entry->kind;
    info->erased = l->erased;
    info->retracted =
        rsn_entry_retracted(rsn_view_ctx_store(x), arena, l->id, l->entry->author.data);
    const char *problem = NULL;
    int rc = rsn_view_entry_problem(x, l, &problem);
    if (rc) {
        return rc;
    }
    info->invalid = (char *)(problem ? problem : "");
    *out = info;
    return 0;
}

int rsn_view_entry(rsn_store_t *store, rsn_arena_t *arena, const uint8_t id[RSN_ID_BYTES],
                   Raison__EntryInfo **out)
{
    rsn_loaded_t *l = NULL;
    *out = NULL;
    int rc = rsn_entry_load(store, arena, id, &l);
    if (rc) {
        return rc;
    }
    rsn_view_ctx_t *x = rsn_view_ctx_new(store, arena);
    return x ? entry_info(x, l, out) : RSN_ERR_NOMEM;
}

/* --------------------------------------------------------------- groups -- */

static int group_summary(rsn_view_ctx_t *x, const rsn_group_t *g, Raison__GroupSummary **out)
{
    rsn_arena_t *arena = rsn_view_ctx_arena(x);
    Raison__GroupSummary *s = rsn_arena_alloc(arena, sizeof *s);
    if (!s) {
        return RSN_ERR_NOMEM;
    }
    raison__group_summary__init(s);
    const Raison__Charter *c = rsn_group_charter(g, NULL);
    s->group = rsn_views_bytes(arena, rsn_group_id(g), RSN_ID_BYTES);
    s->name = c->name;
    s->purpose = c->purpose;
    s->n_benefits = c->n_benefits;
    s->benefits = c->benefits;
    s->n_missions = c->n_missions;
    s->missions = c->missions;
    s->version = c->version;
    s->access = c->access;
    s->disputed = rsn_group_disputes(g) > 0;
    s->members = (uint32_t)rsn_group_member_count(g);
    s->being_updated = rsn_group_updating(g);
    /* the group's counted posts, whole and recent: the report's counters */
    rsn_store_t *store = rsn_view_ctx_store(x);
    rsn_rcount_t recent;
    uint32_t today = (uint32_t)(rsn_clock_wall_ms() / RSN_REPORT_DAY_MS);
    int rc;
    if ((rc = rsn_report_posts(store, rsn_group_id(g), "", &s->posts)) != 0 ||
        (rc = rsn_report_window(store, arena, rsn_group_id(g), "",
                                today >= RECENT_DAYS ? today + 1 - RECENT_DAYS : 0, today, NULL,
                                &recent, NULL, NULL)) != 0) {
        return rc;
    }
    s->recent_posts = recent.posts;
    s->recent_people = recent.authors;
    s->recent_sites = recent.sites;
    s->recent_replies = recent.replies;
    s->recent_cross_site_replies = recent.cross;
    s->recent_days = RECENT_DAYS;
    s->counters_updating = rsn_report_being_updated(store, rsn_group_id(g));
    if (!s->group.data) {
        return RSN_ERR_NOMEM;
    }
    *out = s;
    return 0;
}

/* Positions IX (over every 'G' key) on the first group after CURSOR, or on
 * the first group when there is no cursor. */
static void seek_groups(rsn_index_t *ix, const ProtobufCBinaryData *cursor)
{
    if (cursor->len != RSN_ID_BYTES) {
        rsn_index_first(ix);
        return;
    }
    uint8_t k[RSN_KEY_MAX];
    size_t klen = rsn_key_group(k, cursor->data);
    rsn_index_seek(ix, k, klen);
    if (rsn_index_valid(ix) && memcmp(rsn_index_key(ix), k, klen) == 0) {
        rsn_index_next(ix);
    }
}

/* Positions IX (over the 'n' keys under a name prefix) after CURSOR (the
 * 72 bytes after the tag of the last 'n' key given). */
static void seek_names(rsn_index_t *ix, const ProtobufCBinaryData *cursor)
{
    if (cursor->len != RSN_GROUPS_NAME_CURSOR) {
        rsn_index_first(ix);
        return;
    }
    uint8_t k[RSN_KEY_MAX];
    k[0] = RSN_TAG_GS_NAME;
    memcpy(k + 1, cursor->data, cursor->len);
    rsn_index_seek(ix, k, 1 + cursor->len);
    if (rsn_index_valid(ix) && memcmp(rsn_index_key(ix), k, 1 + cursor->len) == 0) {
        rsn_index_next(ix);
    }
}

static char fold(char c)
{
    return (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
}

/* True when HAY contains NEEDLE, ASCII letters compared case-folded. */
static bool contains_folded(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (const char *h = hay; h && *h; h++) {
        size_t i = 0;
        while (i < n && h[i] && fold(h[i]) == fold(needle[i])) {
            i++;
        }
        if (i == n) {
            return true;
        }
    }
    return n == 0;
}

/* True when G passes REQ's filters. */
static bool group_wanted(const rsn_group_t *g, const Raison__GroupsRequest *req)
{
    const Raison__Charter *c = rsn_group_charter(g, NULL);
    const char *prefix = req ? req->name_prefix : NULL, *text = req ? req->text : NULL;
    if (prefix && *prefix && strncmp(c->name, prefix, strlen(prefix)) != 0) {
        return false;
    }
    return !text || !*text || contains_folded(c->name, text) || contains_folded(c->purpose, text);
}

/* Opens IX over the groups in REQ's order: the 'G' index (by id), or the
 * name index under REQ->name_prefix (by name; *BY_NAME set). */
static int open_groups(rsn_store_t *store, const Raison__GroupsRequest *req, rsn_index_t *ix,
                       bool *by_name)
{
    static const ProtobufCBinaryData no_cursor = {0, NULL};
    const char *prefix = req && req->name_prefix ? req->name_prefix : "";
    uint8_t k[RSN_KEY_MAX];
    *by_name = req && (req->order == RAISON__GROUPS_ORDER__GROUPS_BY_NAME || *prefix);
    if (!*by_name) {
        int rc =
            rsn_index_open(ix, store, k, rsn_key_prefix(k, RSN_TAG_GROUP, NULL), RSN_KEYLEN_ID);
        if (rc == 0) {
            seek_groups(ix, req ? &req->cursor : &no_cursor);
        }
        return rc;
    }
    static const uint8_t zero[RSN_ID_BYTES];
    size_t n = strlen(prefix) < RSN_GS_NAME_KEY ? strlen(prefix) : RSN_GS_NAME_KEY;
    size_t full = rsn_key_gs_name(k, prefix, zero);
    int rc = rsn_index_open(ix, store, k, 1 + n, full);
    if (rc == 0) {
        seek_names(ix, &req->cursor);
    }
    return rc;
}

int rsn_view_groups(rsn_store_t *store, rsn_arena_t *arena, const Raison__GroupsRequest *req,
                    Raison__GroupsReply **out)
{
    rsn_view_ctx_t *x = rsn_view_ctx_new(store, arena);
    size_t limit = rsn_views_page(req ? req->limit : 0, GROUPS_DEFAULT);
    *out = NULL;
    if (req && req->cursor.len != 0 && req->cursor.len != RSN_ID_BYTES &&
        req->cursor.len != RSN_GROUPS_NAME_CURSOR) {
        return RSN_ERR_BAD_REQUEST;
    }
    Raison__GroupsReply *r = x ? rsn_arena_alloc(arena, sizeof *r) : NULL;
    Raison__GroupSummary **groups = r ? rsn_arena_alloc(arena, limit * sizeof *groups) : NULL;
    if (!groups) {
        return RSN_ERR_NOMEM;
    }
    raison__groups_reply__init(r);
    r->groups = groups;
    rsn_index_t ix;
    bool by_name = false, more = false;
    int rc = open_groups(store, req, &ix, &by_name);
    if (rc) {
        return rc;
    }
    const uint8_t *last = NULL;
    for (; rsn_index_valid(&ix); rsn_index_next(&ix)) {
        const uint8_t *key = rsn_index_key(&ix), *id = rsn_index_id(&ix);
        if (r->n_groups == limit || r->scanned == GROUPS_SCAN_MAX) {
            more = true; /* a full page, or as far as one call scans */
            break;
        }
        rsn_group_t *g = NULL;
        if ((rc = rsn_group_try_load(store, arena, id, &g)) != 0) {
            goto out;
        }
        r->scanned++;
        last = rsn_arena_memdup(arena, by_name ? key + 1 : id,
                                by_name ? RSN_GROUPS_NAME_CURSOR : RSN_ID_BYTES);
        if (!last) {
            rc = RSN_ERR_NOMEM;
            goto out;
        }
        if (!g || !group_wanted(g, req)) {
            continue;
        }
        rc = group_summary(x, g, &r->groups[r->n_groups]);
        if (rc) {
            goto out;
        }
        r->n_groups++;
    }
    if (more && last) {
        r->next_cursor.data = (uint8_t *)last;
        r->next_cursor.len = by_name ? RSN_GROUPS_NAME_CURSOR : RSN_ID_BYTES;
    }
    *out = r;
out:
    rsn_index_close(&ix);
    return rc;
}

/* ------------------------------------------------------- feed, profile -- */

/* The head seq of AUTHOR's feed ('H': seq(8) id(32)), 0 when it has none or
 * the value is not one. */
static int feed_head(rsn_store_t *store, const uint8_t author[RSN_KEY_BYTES], uint64_t *head)
{
    uint8_t k[RSN_KEY_MAX];
    uint8_t value[8 + RSN_ID_BYTES];
    *head = 0;
    int rc = rsn_views_get_exact(store, k, rsn_key_feed_head(k, author), value, sizeof value);
    if (rc == 0) {
        *head = rsn_be64_get(value);
    }
    return rc == RSN_ERR_NOT_FOUND ? 0 : rc;
}

/* The entry at SEQ of AUTHOR's feed: 0 and *OUT, or 0 and *OUT NULL when
 * that seq or its entry is not held. */
static int feed_entry(rsn_store_t *store, rsn_arena_t *arena, const uint8_t author[RSN_KEY_BYTES],
                      uint64_t seq, rsn_loaded_t **out)
{
    uint8_t k[RSN_KEY_MAX];
    uint8_t v[8];
    *out = NULL;
    int rc = rsn_views_get_exact(store, k, rsn_key_feed_seq(k, author, seq), v, sizeof v);
    if (rc) {
        return rc == RSN_ERR_NOT_FOUND ? 0 : rc;
    }
    return rsn_entry_try_load_at(store, arena, rsn_be64_get(v), out);
}

int rsn_view_feed(rsn_store_t *store, rsn_arena_t *arena, const Raison__FeedRequest *req,
                  Raison__FeedReply **out)
{
    rsn_view_ctx_t *x = rsn_view_ctx_new(store, arena);
    *out = NULL;
    if (!req || req->author.len != RSN_KEY_BYTES) {
        return RSN_ERR_BAD_REQUEST;
    }
    if (!x) {
        return RSN_ERR_NOMEM;
    }
    const uint8_t *author = req->author.data;
    uint64_t head = 0;
    int rc = feed_head(store, author, &head);
    if (rc) {
        return rc;
    }
    /* Past a fork nothing shows: the visible feed ends before it. */
    uint64_t frozen = rsn_feed_frozen_from(store, author);
    if (frozen && head >= frozen) {
        head = frozen - 1;
    }
    size_t limit = rsn_views_page(req->limit, FEED_DEFAULT);
    Raison__FeedReply *r = rsn_arena_alloc(arena, sizeof *r);
    Raison__EntryInfo **entries = r ? rsn_arena_alloc(arena, limit * sizeof *entries) : NULL;
    if (!entries) {
        return RSN_ERR_NOMEM;
    }
    raison__feed_reply__init(r);
    r->author = rsn_views_bytes(arena, author, RSN_KEY_BYTES);
    r->head = head;
    r->frozen = frozen != 0;
    r->entries = entries;
    uint64_t seq = req->from_seq ? req->from_seq : 1;
    size_t used = rsn_arena_used(arena); /* a page ends once it has built RSN_PAGE_BYTES_MAX */
    for (size_t i = 0;
         i < limit && seq <= head && rsn_arena_used(arena) - used <= RSN_PAGE_BYTES_MAX;
         i++, seq++) {
        rsn_loaded_t *l = NULL;
        if ((rc = feed_entry(store, arena, author, seq, &l)) != 0) {
            return rc;
        }
        if (!l) {
            continue;
        }
        if ((rc = entry_info(x, l, &r->entries[r->n_entries])) != 0) {
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

int rsn_view_profile(rsn_store_t *store, rsn_arena_t *arena, const uint8_t author[RSN_KEY_BYTES],
                     Raison__ProfileReply **out)
{
    *out = NULL;
    Raison__ProfileReply *r = rsn_arena_alloc(arena, sizeof *r);
    if (!r) {
        return RSN_ERR_NOMEM;
    }
    raison__profile_reply__init(r);
    r->author = rsn_views_bytes(arena, author, RSN_KEY_BYTES);
    if (!r->author.data) {
        return RSN_ERR_NOMEM;
    }
    rsn_loaded_t *l = NULL;
    int rc = rsn_profile_load(store, arena, author, &l);
    if (rc == 0) {
        r->profile = l->body;
        r->id = rsn_views_bytes(arena, l->id, RSN_ID_BYTES);
    } else if (rc != RSN_ERR_NOT_FOUND) {
        return rc;
    }
    *out = r;
    return 0;
}
