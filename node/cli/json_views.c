/* json_views.c — the JSON documents of the reading commands (groups, group,
 * status, report), shared by `raison CMD --json` and `raison web`.
 *
 * One builder per document, so the CLI and the web server can never print
 * two shapes for one call: show.c and report.c print what these return,
 * node/web/relay.c answers it over HTTP. Conventions as in json.c (hex ids,
 * integer milliseconds, null for an absent optional id); a builder returns a
 * new reference, or NULL when out of memory. */
#include <string.h>

#include "cli/cli.h"

static const char *access_text(Raison__Access a)
{
    return a == RAISON__ACCESS__ACCESS_MEMBERS_ONLY ? "members-only" : "open";
}

json_t *cli_json_group_summary(const Raison__GroupSummary *g)
{
    json_t *benefits = json_array();
    for (size_t i = 0; benefits && i < g->n_benefits; i++) {
        json_array_append_new(benefits, cli_json_str(g->benefits[i]));
    }
    return json_pack("{s:o,s:o,s:o,s:o,s:o,s:I,s:s,s:I,s:I,s:b}", "group",
                     cli_json_hex(g->group.data, g->group.len), "name", cli_json_str(g->name),
                     "purpose", cli_json_str(g->purpose), "benefits", benefits, "missions",
                     cli_json_missions(g->missions, g->n_missions), "version",
                     (json_int_t)g->version, "access", access_text(g->access), "members",
                     (json_int_t)g->members, "posts", (json_int_t)g->posts, "disputed",
                     (int)g->disputed);
}

uint32_t cli_group_version_of(const Raison__GroupReply *g, ProtobufCBinaryData id)
{
    for (size_t i = 0; i < g->n_history; i++) {
        ProtobufCBinaryData h = g->history[i]->id;
        if (id.len && h.len == id.len && memcmp(h.data, id.data, id.len) == 0) {
            return g->history[i]->version;
        }
    }
    return 0;
}

/* The charter's fields, its history, members and dispute: the page's part. */
static json_t *group_body(const Raison__GroupReply *g)
{
    json_t *doc = cli_json_charter(g->charter);
    json_t *history = json_array(), *members = json_array(), *dispute = json_array();
    if (!doc || !history || !members || !dispute) {
        json_decref(doc);
        json_decref(history);
        json_decref(members);
        json_decref(dispute);
        return NULL;
    }
    for (size_t i = 0; i < g->n_history; i++) {
        const Raison__CharterVersion *v = g->history[i];
        json_array_append_new(history, json_pack("{s:o,s:I,s:o,s:I}", "id",
                                                 cli_json_hex(v->id.data, v->id.len), "version",
                                                 (json_int_t)v->version, "author",
                                                 cli_json_hex(v->author.data, v->author.len),
                                                 "timestamp", (json_int_t)v->timestamp));
    }
    for (size_t i = 0; i < g->n_members; i++) {
        const Raison__Member *m = g->members[i];
        json_array_append_new(
            members,
            json_pack("{s:o,s:o,s:o,s:b,s:o,s:I}", "key", cli_json_hex(m->key.data, m->key.len),
                      "name", m->name[0] ? cli_json_str(m->name) : json_null(), "site",
                      m->site[0] ? cli_json_str(m->site) : json_null(), "owner", (int)m->owner,
                      "charter", cli_json_hex(m->charter.data, m->charter.len), "charter_version",
                      (json_int_t)cli_group_version_of(g, m->charter)));
    }
    for (size_t i = 0; i < g->n_dispute; i++) {
        json_array_append_new(dispute, cli_json_hex(g->dispute[i].data, g->dispute[i].len));
    }
    json_object_set_new(doc, "group", cli_json_hex(g->group.data, g->group.len));
    json_object_set_new(doc, "charter_id", cli_json_hex(g->charter_id.data, g->charter_id.len));
    json_object_set_new(doc, "charter", cli_json_charter(g->charter));
    json_object_set_new(doc, "history", history);
    json_object_set_new(doc, "disputed", json_boolean(g->disputed));
    json_object_set_new(doc, "dispute", dispute);
    json_object_set_new(doc, "members", members);
    return doc;
}

json_t *cli_json_group(const Raison__GroupReply *g)
{
    json_t *doc = group_body(g);
    if (doc) {
        json_object_set_new(doc, "members_total", json_integer(g->members_total));
        json_object_set_new(doc, "members_next_cursor",
                            g->members_next_cursor.len ? cli_json_hex(g->members_next_cursor.data,
                                                                      g->members_next_cursor.len)
                                                       : json_null());
        json_object_set_new(doc, "being_updated", json_boolean(g->being_updated));
    }
    return doc;
}

json_t *cli_json_status(const Raison__StatusReply *st, const char *socket_path)
{
    json_t *doc = json_pack(
        "{s:o,s:o,s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o}", "node_key",
        cli_json_hex(st->node_key.data, st->node_key.len), "site", cli_json_str(st->site),
        "version", cli_json_str(st->version), "entries", (json_int_t)st->entries, "authors",
        (json_int_t)st->authors, "groups", (json_int_t)st->groups, "forks", (json_int_t)st->forks,
        "log_size", (json_int_t)st->log_size, "uptime_ms", (json_int_t)st->uptime_ms, "peers",
        (json_int_t)st->peers, "peers_connected", (json_int_t)st->peers_connected, "bodies_missing",
        (json_int_t)st->bodies_missing, "bodies_erased", (json_int_t)st->bodies_erased,
        "startup_ms", (json_int_t)st->startup_ms, "store_bytes", (json_int_t)st->store_bytes,
        "socket", cli_json_str(socket_path));
    if (doc) {
        json_object_set_new(doc, "audit_verify_running", json_boolean(st->audit_verify_running));
        json_object_set_new(doc, "audit_verify_checked",
                            json_integer((json_int_t)st->audit_verify_checked));
        json_object_set_new(doc, "groups_updating", json_integer((json_int_t)st->groups_updating));
    }
    return doc;
}

static json_t *json_figures(const Raison__ReportFigures *f)
{
    if (!f) {
        return json_null();
    }
    return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "posts", (json_int_t)f->posts, "authors",
                     (json_int_t)f->authors, "sites", (json_int_t)f->sites, "replies",
                     (json_int_t)f->replies, "cross_site_replies",
                     (json_int_t)f->cross_site_replies, "last_activity",
                     (json_int_t)f->last_activity, "site_posts", (json_int_t)f->site_posts);
}

json_t *cli_json_report(const Raison__ReportReply *rr, uint32_t days, const char *site)
{
    json_t *missions = json_array();
    for (size_t i = 0; missions && i < rr->n_missions; i++) {
        const Raison__MissionReport *m = rr->missions[i];
        json_t *jm = json_pack("{s:o,s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:b}", "key", cli_json_str(m->key),
                               "goal", cli_json_str(m->goal), "posts", (json_int_t)m->posts,
                               "authors", (json_int_t)m->authors, "sites", (json_int_t)m->sites,
                               "replies", (json_int_t)m->replies, "cross_site_replies",
                               (json_int_t)m->cross_site_replies, "last_activity",
                               (json_int_t)m->last_activity, "retired", (int)m->retired);
        if (jm && days) {
            json_object_set_new(jm, "window", json_figures(m->window));
        }
        if (jm && site) {
            json_object_set_new(jm, "site_posts", json_integer((json_int_t)m->site_posts));
        }
        json_array_append_new(missions, jm);
    }
    json_t *doc = json_pack(
        "{s:o,s:o,s:I,s:I,s:o,s:I,s:I,s:I,s:I,s:I,s:b}", "group",
        cli_json_hex(rr->group.data, rr->group.len), "name", cli_json_str(rr->name), "version",
        (json_int_t)rr->version, "members", (json_int_t)rr->members, "missions", missions, "posts",
        (json_int_t)rr->posts, "authors", (json_int_t)rr->authors, "sites", (json_int_t)rr->sites,
        "cross_site_replies", (json_int_t)rr->cross_site_replies, "replies",
        (json_int_t)rr->replies, "being_updated", (int)rr->being_updated);
    if (doc && days) {
        json_t *series = json_array();
        for (size_t i = 0; series && i < rr->n_days; i++) {
            json_t *d = json_figures(rr->days[i]->figures);
            json_object_set_new(d, "day", json_integer((json_int_t)rr->days[i]->day));
            json_array_append_new(series, d);
        }
        json_object_set_new(doc, "window", json_figures(rr->window));
        json_object_set_new(doc, "since", json_integer((json_int_t)rr->since));
        json_object_set_new(doc, "until", json_integer((json_int_t)rr->until));
        json_object_set_new(doc, "days", series);
    }
    if (doc && site) {
        json_object_set_new(doc, "site", cli_json_str(site));
        json_object_set_new(doc, "site_posts", json_integer((json_int_t)rr->site_posts));
    }
    return doc;
}
