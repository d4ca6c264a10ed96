/* report.c — the value report of a group (report.h), computed in one pass
 * over the group's post index ('P' group ts id, ts the post's effective
 * time: daemon/clock.h, which "last activity" is): each shown post counts in
 * the totals and, when its body is held, in its mission; a reply counts as
 * cross-site when its author's site and its parent's author's site are both
 * known and differ. Linear in the group's posts; a counter index can come
 * later. */
#include "daemon/report.h"

#include <string.h>

#include "daemon/entry.h"
#include "daemon/group.h"
#include "daemon/judge.h"
#include "daemon/read_helpers.h"
#include "daemon/view_ctx.h"
#include "store/keys.h"

typedef struct {
    uint8_t (*keys)[RSN_KEY_BYTES];
    size_t n, cap;
} keyset_t;

typedef struct {
    const char **items;
    size_t n, cap;
} strset_t;

static int keyset_add(rsn_arena_t *arena, keyset_t *s, const uint8_t key[RSN_KEY_BYTES])
{
    for (size_t i = 0; i < s->n; i++) {
        if (memcmp(s->keys[i], key, RSN_KEY_BYTES) == 0) {
            return 0;
        }
    }
    int rc = rsn_views_grow(arena, (void **)&s->keys, s->n, &s->cap, RSN_KEY_BYTES);
    if (rc == 0) {
        memcpy(s->keys[s->n++], key, RSN_KEY_BYTES);
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
    int rc = rsn_views_grow(arena, (void **)&s->items, s->n, &s->cap, sizeof *s->items);
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
    size_t versions = rsn_group_versions(g), total = 0;
    for (size_t v = 0; v < versions; v++) {
        total += ((const Raison__Charter *)rsn_group_version(g, v)->body)->n_missions;
    }
    mstat_t *m = rsn_arena_alloc(arena, (total + 1) * sizeof *m);
    if (!m) {
        return RSN_ERR_NOMEM;
    }
    size_t count = 0;
    for (size_t v = versions; v-- > 0;) {
        const Raison__Charter *c = rsn_group_version(g, v)->body;
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
            r->retired = v != versions - 1;
            m[count++].r = r;
        }
    }
    *out = m;
    *n = count;
    return 0;
}

/* One pass's running figures. */
typedef struct {
    rsn_view_ctx_t *x;
    Raison__ReportReply *r;
    mstat_t *ms;
    size_t n_ms;
    keyset_t authors;
    strset_t sites;
} tally_t;

/* Counts shown post L, at effective time TS (its 'P' key's), in the totals
 * and in its mission. */
static int tally_post(tally_t *t, const rsn_loaded_t *l, uint64_t ts)
{
    rsn_store_t *store = rsn_view_ctx_store(t->x);
    rsn_arena_t *arena = rsn_view_ctx_arena(t->x);
    const uint8_t *author = l->entry->author.data;
    const char *site = rsn_view_ctx_profile(t->x, author)->site;
    int rc = 0;
    t->r->posts++;
    if ((rc = keyset_add(arena, &t->authors, author)) ||
        (rc = strset_add(arena, &t->sites, site))) {
        return rc;
    }
    /* An erased post still counts in the totals, but its mission and
     * parent went with its body. */
    const Raison__Post *p = l->body;
    if (!p) {
        return 0;
    }
    mstat_t *m = NULL;
    for (size_t i = 0; i < t->n_ms && !m; i++) {
        m = strcmp(t->ms[i].r->key, p->mission) == 0 ? &t->ms[i] : NULL;
    }
    if (!m) {
        return 0;
    }
    m->r->posts++;
    if ((rc = keyset_add(arena, &m->authors, author)) ||
        (rc = strset_add(arena, &m->sites, site))) {
        return rc;
    }
    if (ts > m->r->last_activity) {
        m->r->last_activity = ts;
    }
    if (p->reply_to.len != RSN_ID_BYTES) {
        return 0;
    }
    m->r->replies++;
    rsn_loaded_t *parent = NULL;
    if (rsn_entry_load(store, arena, p->reply_to.data, &parent) != 0) {
        return 0;
    }
    const char *psite = rsn_view_ctx_profile(t->x, parent->entry->author.data)->site;
    if (*site && *psite && strcmp(site, psite) != 0) {
        m->r->cross_site_replies++;
        t->r->cross_site_replies++;
    }
    return 0;
}

int rsn_view_report(rsn_store_t *store, rsn_arena_t *arena, const uint8_t group[RSN_ID_BYTES],
                    Raison__ReportReply **out)
{
    tally_t t = {.x = rsn_view_ctx_new(store, arena)};
    rsn_group_t *g = NULL;
    rsn_index_t ix = {0};
    *out = NULL;
    int rc = t.x ? rsn_view_ctx_group(t.x, group, &g) : RSN_ERR_NOMEM;
    if (rc) {
        return rc;
    }
    const Raison__Charter *c = rsn_group_charter(g, NULL);
    Raison__ReportReply *r = rsn_arena_alloc(arena, sizeof *r);
    if (!r) {
        return RSN_ERR_NOMEM;
    }
    raison__report_reply__init(r);
    t.r = r;
    r->group = rsn_views_bytes(arena, group, RSN_ID_BYTES);
    r->name = c->name;
    r->version = c->version;
    rsn_member_t *members = NULL;
    size_t n_members = 0;
    rc = rsn_group_members(g, arena, &members, &n_members);
    if (rc == 0) {
        rc = report_missions(arena, g, &t.ms, &t.n_ms);
    }
    if (rc) {
        return rc;
    }
    r->members = (uint32_t)n_members;
    uint8_t prefix[RSN_KEY_MAX];
    rc = rsn_index_open(&ix, store, prefix, rsn_key_prefix(prefix, RSN_TAG_POST, group),
                        RSN_KEYLEN_ID_N_ID);
    if (rc) {
        return rc;
    }
    for (rsn_index_first(&ix); rsn_index_valid(&ix); rsn_index_next(&ix)) {
        rsn_loaded_t *l = NULL;
        uint64_t ts = rsn_be64_get(rsn_index_key(&ix) + RSN_KEYLEN_ID);
        if ((rc = rsn_judge_post(t.x, g, rsn_index_id(&ix), &l)) != 0 ||
            (l && (rc = tally_post(&t, l, ts)) != 0)) {
            goto out;
        }
    }
    r->authors = t.authors.n;
    r->sites = t.sites.n;
    r->missions = rsn_arena_alloc(arena, (t.n_ms + 1) * sizeof *r->missions);
    if (!r->missions || !r->group.data) {
        rc = RSN_ERR_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < t.n_ms; i++) {
        t.ms[i].r->authors = t.ms[i].authors.n;
        t.ms[i].r->sites = t.ms[i].sites.n;
        r->missions[r->n_missions++] = t.ms[i].r;
    }
    *out = r;
out:
    rsn_index_close(&ix);
    return rc;
}
