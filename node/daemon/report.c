/* report.c — the value report of a group (report.h), read from the counters
 * the report's derived state keeps (daemon/report_state.h): per mission of
 * any version of the chain and for the whole group, the posts, distinct
 * authors and sites, replies, cross-site replies and last activity; with a
 * window, the same over its days (and per day). O(missions × days of the
 * window) for a window to today; a window that ends before later posts adds
 * its author-days and site-days; no post is read. */
#include "daemon/report.h"

#include <string.h>

#include "daemon/clock.h"
#include "daemon/entry.h"
#include "daemon/group.h"
#include "daemon/read_helpers.h"
#include "daemon/report_state.h"
#include "daemon/view_ctx.h"
#include "store/keys.h"

#define REPORT_DAYS_MAX 3660 /* days of a window at most (ten years) */

typedef struct {
    Raison__MissionReport *r;
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

/* What a request asks beyond the whole history. */
typedef struct {
    bool window;
    uint32_t first, last; /* UTC days */
    bool site;
    uint8_t site_hash[RSN_SITE_HASH_BYTES];
    bool series;
} ask_t;

static Raison__ReportFigures *figures(rsn_arena_t *arena, const rsn_rcount_t *c)
{
    Raison__ReportFigures *f = rsn_arena_alloc(arena, sizeof *f);
    if (f) {
        raison__report_figures__init(f);
        f->posts = c->posts;
        f->authors = c->authors;
        f->sites = c->sites;
        f->replies = c->replies;
        f->cross_site_replies = c->cross;
        f->last_activity = c->last;
        f->site_posts = c->site_posts;
    }
    return f;
}

/* The window of ASK for MISSION of GROUP: *WINDOW and, when the series is
 * asked, *DAYS (*N_DAYS). */
static int window_of(rsn_store_t *store, rsn_arena_t *arena, const uint8_t *group,
                     const char *mission, const ask_t *ask, Raison__ReportFigures **window,
                     Raison__ReportDay ***days, size_t *n_days)
{
    rsn_rcount_t w;
    rsn_rday_t *d = NULL;
    size_t n = 0;
    int rc = rsn_report_window(store, arena, group, mission, ask->first, ask->last,
                               ask->site ? ask->site_hash : NULL, &w, ask->series ? &d : NULL, &n);
    if (rc) {
        return rc;
    }
    *window = figures(arena, &w);
    *days = rsn_arena_alloc(arena, (n + 1) * sizeof **days);
    if (!*window || !*days) {
        return RSN_ERR_NOMEM;
    }
    for (*n_days = 0; *n_days < n; (*n_days)++) {
        Raison__ReportDay *day = rsn_arena_alloc(arena, sizeof *day);
        if (!day) {
            return RSN_ERR_NOMEM;
        }
        raison__report_day__init(day);
        day->day = d[*n_days].day;
        day->figures = figures(arena, &d[*n_days].c);
        if (!day->figures) {
            return RSN_ERR_NOMEM;
        }
        (*days)[*n_days] = day;
    }
    return 0;
}

/* Fills mission report M (its key set) from the counters. */
static int mission_figures(rsn_store_t *store, rsn_arena_t *arena, const uint8_t *group,
                           const ask_t *ask, Raison__MissionReport *m)
{
    rsn_rcount_t c;
    int rc = rsn_report_count(store, group, m->key, &c);
    if (rc) {
        return rc;
    }
    m->posts = c.posts;
    m->authors = c.authors;
    m->sites = c.sites;
    m->replies = c.replies;
    m->cross_site_replies = c.cross;
    m->last_activity = c.last;
    if (ask->site &&
        (rc = rsn_report_site_posts(store, group, m->key, ask->site_hash, &m->site_posts)) != 0) {
        return rc;
    }
    return ask->window
               ? window_of(store, arena, group, m->key, ask, &m->window, &m->days, &m->n_days)
               : 0;
}

/* The window and site REQ asks (NULL: none) into ASK; *R gets its bounds. */
static int read_ask(const Raison__ReportRequest *req, ask_t *ask, Raison__ReportReply *r)
{
    memset(ask, 0, sizeof *ask);
    if (!req) {
        return 0;
    }
    if (req->days > REPORT_DAYS_MAX) {
        return RSN_ERR_BAD_REQUEST;
    }
    if (req->site && *req->site) {
        ask->site = true;
        rsn_report_site_hash(req->site, ask->site_hash);
    }
    if (req->days == 0) {
        return 0;
    }
    uint64_t until = req->until ? req->until : rsn_clock_wall_ms();
    ask->window = true;
    ask->series = req->series;
    ask->last = (uint32_t)(until / RSN_REPORT_DAY_MS);
    ask->first = ask->last + 1 >= req->days ? ask->last + 1 - req->days : 0;
    r->since = (uint64_t)ask->first * RSN_REPORT_DAY_MS;
    r->until = ((uint64_t)ask->last + 1) * RSN_REPORT_DAY_MS - 1;
    return 0;
}

int rsn_view_report_window(rsn_store_t *store, rsn_arena_t *arena,
                           const uint8_t group[RSN_ID_BYTES], const Raison__ReportRequest *req,
                           Raison__ReportReply **out)
{
    rsn_view_ctx_t *x = rsn_view_ctx_new(store, arena);
    rsn_group_t *g = NULL;
    mstat_t *ms = NULL;
    size_t n_ms = 0;
    ask_t ask;
    *out = NULL;
    int rc = x ? rsn_view_ctx_group(x, group, &g) : RSN_ERR_NOMEM;
    if (rc) {
        return rc;
    }
    const Raison__Charter *c = rsn_group_charter(g, NULL);
    Raison__ReportReply *r = rsn_arena_alloc(arena, sizeof *r);
    if (!r) {
        return RSN_ERR_NOMEM;
    }
    raison__report_reply__init(r);
    if ((rc = read_ask(req, &ask, r)) != 0) {
        return rc;
    }
    r->group = rsn_views_bytes(arena, group, RSN_ID_BYTES);
    r->name = c->name;
    r->version = c->version;
    /* the derived count (O(1)), not a list of 50,000 members */
    if ((rc = report_missions(arena, g, &ms, &n_ms)) != 0) {
        return rc;
    }
    r->members = (uint32_t)rsn_group_member_count(g);
    r->being_updated = rsn_report_being_updated(store, group);
    rsn_rcount_t total;
    if ((rc = rsn_report_count(store, group, "", &total)) != 0) {
        return rc;
    }
    r->posts = total.posts;
    r->authors = total.authors;
    r->sites = total.sites;
    r->replies = total.replies;
    r->cross_site_replies = total.cross;
    if (ask.site &&
        (rc = rsn_report_site_posts(store, group, "", ask.site_hash, &r->site_posts)) != 0) {
        return rc;
    }
    if (ask.window &&
        (rc = window_of(store, arena, group, "", &ask, &r->window, &r->days, &r->n_days)) != 0) {
        return rc;
    }
    r->missions = rsn_arena_alloc(arena, (n_ms + 1) * sizeof *r->missions);
    if (!r->missions || !r->group.data) {
        return RSN_ERR_NOMEM;
    }
    for (size_t i = 0; i < n_ms; i++) {
        if ((rc = mission_figures(store, arena, group, &ask, ms[i].r)) != 0) {
            return rc;
        }
        r->missions[r->n_missions++] = ms[i].r;
    }
    *out = r;
    return 0;
}

int rsn_view_report(rsn_store_t *store, rsn_arena_t *arena, const uint8_t group[RSN_ID_BYTES],
                    Raison__ReportReply **out)
{
    return rsn_view_report_window(store, arena, group, NULL, out);
}
