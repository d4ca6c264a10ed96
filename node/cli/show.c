/* show.c — the commands that read: groups, group, timeline, feed, report
 * and status.
 *
 * Each makes the API calls it needs (paging through lists with the node's
 * cursors), then prints either a text for people or one JSON document.
 * (`watch`, which stays subscribed, is watch.c.) */
#include <string.h>

#include "cli/cli.h"

/* Most pages fetched by one listing: a node that keeps sending cursors is
 * not followed forever. */
#define MAX_PAGES 10000

static const char *access_text(Raison__Access a)
{
    return a == RAISON__ACCESS__ACCESS_MEMBERS_ONLY ? "members-only" : "open";
}

/* --- groups ------------------------------------------------------------------ */

static json_t *json_group_summary(const Raison__GroupSummary *g)
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

static void print_group_summary(rsn_cli_t *cli, const Raison__GroupSummary *g)
{
    printf("%s  %s\n", cli_safe(cli, g->name), cli_hex(cli, g->group.data, g->group.len));
    printf("  purpose:  %s\n", cli_safe(cli, g->purpose));
    printf("  members gain:\n");
    for (size_t i = 0; i < g->n_benefits; i++) {
        printf("    - %s\n", cli_safe(cli, g->benefits[i]));
    }
    printf("  missions:\n");
    for (size_t i = 0; i < g->n_missions; i++) {
        printf("    %-12s %s\n", cli_safe(cli, g->missions[i]->key),
               cli_safe(cli, g->missions[i]->goal));
    }
    printf("  charter version %u, %s, %u member%s, %llu post%s%s\n\n", g->version,
           access_text(g->access), g->members, g->members == 1 ? "" : "s",
           (unsigned long long)g->posts, g->posts == 1 ? "" : "s",
           g->disputed ? ", charter DISPUTED" : "");
}

int cli_cmd_groups(rsn_cli_t *cli, int argc, char **argv)
{
    int rc = cli_no_args(cli, argc, argv);
    if (rc != 0) {
        return rc;
    }
    json_t *all = cli->json ? json_array() : NULL;
    ProtobufCBinaryData cursor = {0, NULL};
    size_t shown = 0;
    for (int page = 0; page < MAX_PAGES; page++) {
        Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
        Raison__GroupsRequest g = RAISON__GROUPS_REQUEST__INIT;
        Raison__ApiReply *reply = NULL;
        g.cursor = cursor;
        req.call_case = RAISON__API_REQUEST__CALL_GROUPS;
        req.groups = &g;
        if ((rc = cli_call(cli, &req, RAISON__API_REPLY__RESULT_GROUPS, &reply)) != 0) {
            json_decref(all);
            return rc;
        }
        const Raison__GroupsReply *gr = reply->groups;
        for (size_t i = 0; gr && i < gr->n_groups; i++) {
            if (all) {
                json_array_append_new(all, json_group_summary(gr->groups[i]));
            } else {
                print_group_summary(cli, gr->groups[i]);
            }
            shown++;
        }
        bool more = gr && gr->next_cursor.len > 0 &&
                    !(gr->next_cursor.len == cursor.len &&
                      memcmp(gr->next_cursor.data, cursor.data, cursor.len) == 0);
        if (more) {
            cursor.data = rsn_arena_memdup(cli->arena, gr->next_cursor.data, gr->next_cursor.len);
            cursor.len = gr->next_cursor.len;
            more = cursor.data != NULL;
        }
        rsn_reply_free(reply);
        if (!more) {
            break;
        }
    }
    if (all) {
        return cli_json_print(cli, all, false);
    }
    if (shown == 0) {
        printf("no groups yet: found one with 'raison charter new'\n");
    }
    return 0;
}

/* --- group ---------------------------------------------------------------------- */

/* The version of charter ID in HISTORY, 0 when not there. */
static uint32_t version_of(const Raison__GroupReply *g, ProtobufCBinaryData id)
{
    for (size_t i = 0; i < g->n_history; i++) {
        ProtobufCBinaryData h = g->history[i]->id;
        if (id.len && h.len == id.len && memcmp(h.data, id.data, id.len) == 0) {
            return g->history[i]->version;
        }
    }
    return 0;
}

static json_t *json_group(const Raison__GroupReply *g)
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
                      (json_int_t)version_of(g, m->charter)));
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

int cli_cmd_group(rsn_cli_t *cli, int argc, char **argv)
{
    Raison__ApiReply *reply = NULL;
    cli_args_t spec = {.min_operands = 1, .max_operands = 1};
    int first = 0;
    int rc = cli_args(cli, argc, argv, &spec, &first);
    if (rc != 0 || (rc = cli_group(cli, argv[first], &reply)) != 0) {
        return rc;
    }
    const Raison__GroupReply *g = reply->group;
    if (cli->json) {
        rc = cli_json_print(cli, json_group(g), false);
        rsn_reply_free(reply);
        return rc;
    }
    printf("group %s\n", cli_hex(cli, g->group.data, g->group.len));
    cli_print_charter(cli, stdout, g->charter);
    printf("  charter entry: %s\n", cli_hex(cli, g->charter_id.data, g->charter_id.len));
    printf("history:\n");
    for (size_t i = 0; i < g->n_history; i++) {
        const Raison__CharterVersion *v = g->history[i];
        printf("  v%-3u %s  %s  by %s\n", v->version, cli_time(cli, v->timestamp),
               cli_hex(cli, v->id.data, v->id.len), cli_hex(cli, v->author.data, 6));
    }
    if (g->disputed) {
        printf("DISPUTE: competing amendments of one version:\n");
        for (size_t i = 0; i < g->n_dispute; i++) {
            printf("  %s\n", cli_hex(cli, g->dispute[i].data, g->dispute[i].len));
        }
    }
    printf("members (%zu):\n", g->n_members);
    for (size_t i = 0; i < g->n_members; i++) {
        const Raison__Member *m = g->members[i];
        uint32_t v = version_of(g, m->charter);
        printf("  %s  %s%s", cli_hex(cli, m->key.data, m->key.len),
               m->name[0] ? cli_who(cli, m->name, m->site, m->key) : "",
               m->owner ? " [owner]" : "");
        if (v) {
            printf(" (joined under v%u)", v);
        }
        printf("\n");
    }
    rsn_reply_free(reply);
    return 0;
}

/* --- timeline ------------------------------------------------------------------- */

static bool same_id(ProtobufCBinaryData a, ProtobufCBinaryData b)
{
    return a.len && a.len == b.len && memcmp(a.data, b.data, a.len) == 0;
}

/* Prints the text of a post, indented by INDENT, each line. */
static void print_text(const char *text, int indent)
{
    printf("%*s", indent, "");
    for (const char *p = text; *p; p++) {
        putchar(*p);
        if (*p == '\n' && p[1]) {
            printf("%*s", indent, "");
        }
    }
    putchar('\n');
}

/* Prints post I of POSTS, then its replies among them (oldest first),
 * indented one level deeper. DEPTH bounds the recursion. */
static void print_thread(rsn_cli_t *cli, Raison__PostView **posts, size_t n, size_t i, int depth,
                         bool orphan)
{
    const Raison__PostView *p = posts[i];
    int indent = 2 + 4 * (depth < 8 ? depth : 8);
    printf("%*s%s%s  [%s]  %s\n", indent - 2, "", depth ? "↳ " : "",
           cli_who(cli, p->author_name, p->author_site, p->author), cli_safe(cli, p->mission),
           cli_time(cli, p->timestamp));
    if (orphan) {
        printf("%*s(reply to %s)\n", indent, "", cli_hex(cli, p->reply_to.data, p->reply_to.len));
    }
    print_text(p->erased ? "(erased)" : cli_safe(cli, p->text), indent);
    printf("%*sid %s%s\n", indent, "", cli_hex(cli, p->id.data, p->id.len),
           p->replies ? rsn_arena_printf(cli->arena, "  (%u repl%s)", p->replies,
                                         p->replies == 1 ? "y" : "ies")
                      : "");
    if (depth >= 64) {
        return;
    }
    /* the node lists newest first: walk backwards for oldest first */
    for (size_t j = n; j-- > 0;) {
        if (same_id(posts[j]->reply_to, p->id)) {
            print_thread(cli, posts, n, j, depth + 1, false);
        }
    }
}

/* The options of the listings: --mission KEY, --limit N. */
typedef struct {
    const char *mission;
    uint64_t limit;
    uint64_t limit_max;
    const char *limit_error;
} list_opts_t;

static int list_option(rsn_cli_t *cli, int opt, const char *value, void *ctx)
{
    list_opts_t *o = ctx;
    if (opt == 'm') {
        o->mission = value;
        return 0;
    }
    if (opt != 'l') {
        return cli_usage_error(cli, "unexpected option");
    }
    if (!cli_parse_uint(value, o->limit_max, &o->limit) || o->limit == 0) {
        return cli_usage_error(cli, "%s", o->limit_error);
    }
    return 0;
}

int cli_cmd_timeline(rsn_cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"mission", required_argument, NULL, 'm'},
                                         {"limit", required_argument, NULL, 'l'},
                                         {NULL, 0, NULL, 0}};
    list_opts_t o = {"", 50, 100000, "--limit needs a positive number (at most 100000)"};
    cli_args_t spec = {.options = opts,
                       .on_option = list_option,
                       .ctx = &o,
                       .min_operands = 1,
                       .max_operands = 1,
                       .missing = "missing GROUP",
                       .extra = "unexpected argument"};
    int first = 0;
    int rc = cli_args(cli, argc, argv, &spec, &first);
    if (rc != 0) {
        return rc;
    }
    const char *ref = argv[first], *mission = o.mission;
    uint64_t limit = o.limit;
    Raison__ApiReply **pages = rsn_arena_alloc(cli->arena, MAX_PAGES * sizeof *pages);
    Raison__PostView **posts = rsn_arena_alloc(cli->arena, limit * sizeof *posts);
    size_t n_pages = 0, n = 0;
    if (!pages || !posts) {
        return cli_fail(cli, RSN_ERR_NOMEM, "out of memory");
    }
    ProtobufCBinaryData cursor = {0, NULL};
    while (n < limit && n_pages < MAX_PAGES) {
        Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
        Raison__TimelineRequest t = RAISON__TIMELINE_REQUEST__INIT;
        Raison__ApiReply *reply = NULL;
        t.group = (char *)ref;
        t.mission = (char *)mission;
        t.limit = (uint32_t)(limit - n < 500 ? limit - n : 500);
        t.cursor = cursor;
        req.call_case = RAISON__API_REQUEST__CALL_TIMELINE;
        req.timeline = &t;
        if ((rc = cli_call(cli, &req, RAISON__API_REPLY__RESULT_TIMELINE, &reply)) != 0) {
            goto out;
        }
        pages[n_pages++] = reply;
        const Raison__TimelineReply *tr = reply->timeline;
        for (size_t i = 0; tr && i < tr->n_posts && n < limit; i++) {
            posts[n++] = tr->posts[i];
        }
        if (!tr || !tr->next_cursor.len || tr->n_posts == 0 ||
            (cursor.len == tr->next_cursor.len &&
             memcmp(cursor.data, tr->next_cursor.data, cursor.len) == 0)) {
            break;
        }
        cursor = tr->next_cursor; /* lives as long as its page */
    }
    if (cli->json) {
        json_t *a = json_array();
        for (size_t i = 0; a && i < n; i++) {
            json_array_append_new(a, cli_json_post(posts[i]));
        }
        rc = cli_json_print(cli, a, false);
        goto out;
    }
    if (n == 0) {
        printf("no posts yet%s%s\n", mission[0] ? " for mission " : "", mission);
    }
    for (size_t i = 0; i < n; i++) {
        /* threads start at posts whose parent is not on this page */
        bool parent_here = false;
        for (size_t j = 0; posts[i]->reply_to.len && j < n; j++) {
            parent_here = parent_here || same_id(posts[j]->id, posts[i]->reply_to);
        }
        if (!parent_here) {
            print_thread(cli, posts, n, i, 0, posts[i]->reply_to.len > 0);
            putchar('\n');
        }
    }
out:
    for (size_t i = 0; i < n_pages; i++) {
        rsn_reply_free(pages[i]);
    }
    return rc;
}

/* --- feed ------------------------------------------------------------------------ */

int cli_cmd_feed(rsn_cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"limit", required_argument, NULL, 'l'},
                                         {NULL, 0, NULL, 0}};
    list_opts_t o = {NULL, UINT64_MAX, UINT32_MAX, "--limit needs a positive number"};
    cli_args_t spec = {.options = opts, .on_option = list_option, .ctx = &o, .max_operands = 1};
    uint8_t author[RSN_KEY_BYTES];
    int first = 0;
    int rc = cli_args(cli, argc, argv, &spec, &first);
    if (rc != 0) {
        return rc;
    }
    uint64_t limit = o.limit;
    if (first < argc) {
        const char *hex = argv[first];
        if (strlen(hex) != RSN_KEY_HEX || rsn_key_from_hex(author, hex) != 0) {
            return cli_usage_error(cli, "AUTHOR must be a key of 64 hex characters");
        }
    } else {
        const rsn_keypair_t *kp = NULL;
        if ((rc = cli_keypair(cli, &kp)) != 0) {
            return rc;
        }
        memcpy(author, rsn_keypair_public(kp), RSN_KEY_BYTES);
    }
    json_t *entries = cli->json ? json_array() : NULL;
    uint64_t from = 1, head = 0, shown = 0;
    bool frozen = false;
    for (int page = 0; page < MAX_PAGES && shown < limit; page++) {
        Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
        Raison__FeedRequest f = RAISON__FEED_REQUEST__INIT;
        Raison__ApiReply *reply = NULL;
        f.author.data = author;
        f.author.len = RSN_KEY_BYTES;
        f.from_seq = from;
        f.limit = (uint32_t)(limit - shown < 500 ? limit - shown : 500);
        req.call_case = RAISON__API_REQUEST__CALL_FEED;
        req.feed = &f;
        if ((rc = cli_call(cli, &req, RAISON__API_REPLY__RESULT_FEED, &reply)) != 0) {
            json_decref(entries);
            return rc;
        }
        const Raison__FeedReply *fr = reply->feed;
        head = fr ? fr->head : 0;
        frozen = fr && fr->frozen;
        if (page == 0 && !cli->json) {
            printf("feed of %s: %llu entr%s%s\n", cli_hex(cli, author, RSN_KEY_BYTES),
                   (unsigned long long)head, head == 1 ? "y" : "ies",
                   frozen ? " (FROZEN after a fork)" : "");
        }
        for (size_t i = 0; fr && i < fr->n_entries && shown < limit; i++, shown++) {
            const Raison__EntryInfo *e = fr->entries[i];
            if (entries) {
                json_array_append_new(entries, cli_json_entry(cli, e));
            } else {
                printf("%5llu  %-10s  %s  %s  %s\n", (unsigned long long)e->seq,
                       rsn_kind_name(e->kind), cli_time(cli, e->timestamp),
                       cli_hex(cli, e->id.data, e->id.len), cli_entry_summary(cli, e));
            }
        }
        bool more = fr && fr->next_seq > from && fr->n_entries > 0;
        from = fr ? fr->next_seq : 0;
        rsn_reply_free(reply);
        if (!more) {
            break;
        }
    }
    if (entries) {
        return cli_json_print(
            cli,
            json_pack("{s:o,s:I,s:b,s:o}", "author", cli_json_hex(author, RSN_KEY_BYTES), "head",
                      (json_int_t)head, "frozen", (int)frozen, "entries", entries),
            false);
    }
    return 0;
}

/* --- report ---------------------------------------------------------------------- */

int cli_cmd_report(rsn_cli_t *cli, int argc, char **argv)
{
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__ReportRequest r = RAISON__REPORT_REQUEST__INIT;
    Raison__ApiReply *reply = NULL;
    cli_args_t spec = {.min_operands = 1, .max_operands = 1};
    int first = 0;
    int rc = cli_args(cli, argc, argv, &spec, &first);
    if (rc != 0) {
        return rc;
    }
    r.group = argv[first];
    req.call_case = RAISON__API_REQUEST__CALL_REPORT;
    req.report = &r;
    if ((rc = cli_call(cli, &req, RAISON__API_REPLY__RESULT_REPORT, &reply)) != 0) {
        return rc;
    }
    if (!reply->report) {
        rsn_reply_free(reply);
        return cli_fail(cli, RSN_ERR_BAD_REQUEST, "the node sent an empty report");
    }
    const Raison__ReportReply *rr = reply->report;
    if (cli->json) {
        json_t *missions = json_array();
        for (size_t i = 0; missions && i < rr->n_missions; i++) {
            const Raison__MissionReport *m = rr->missions[i];
            json_array_append_new(
                missions,
                json_pack("{s:o,s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:b}", "key", cli_json_str(m->key),
                          "goal", cli_json_str(m->goal), "posts", (json_int_t)m->posts, "authors",
                          (json_int_t)m->authors, "sites", (json_int_t)m->sites, "replies",
                          (json_int_t)m->replies, "cross_site_replies",
                          (json_int_t)m->cross_site_replies, "last_activity",
                          (json_int_t)m->last_activity, "retired", (int)m->retired));
        }
        rc = cli_json_print(cli,
                            json_pack("{s:o,s:o,s:I,s:I,s:o,s:I,s:I,s:I,s:I}", "group",
                                      cli_json_hex(rr->group.data, rr->group.len), "name",
                                      cli_json_str(rr->name), "version", (json_int_t)rr->version,
                                      "members", (json_int_t)rr->members, "missions", missions,
                                      "posts", (json_int_t)rr->posts, "authors",
                                      (json_int_t)rr->authors, "sites", (json_int_t)rr->sites,
                                      "cross_site_replies", (json_int_t)rr->cross_site_replies),
                            false);
        rsn_reply_free(reply);
        return rc;
    }
    printf("value report of %s (charter version %u, %u member%s)\n\n", cli_safe(cli, rr->name),
           rr->version, rr->members, rr->members == 1 ? "" : "s");
    printf("%-16s %6s %7s %5s %7s %10s  %s\n", "mission", "posts", "authors", "sites", "replies",
           "cross-site", "last activity");
    for (size_t i = 0; i < rr->n_missions; i++) {
        const Raison__MissionReport *m = rr->missions[i];
        printf("%-16s %6llu %7llu %5llu %7llu %10llu  %s%s\n", cli_safe(cli, m->key),
               (unsigned long long)m->posts, (unsigned long long)m->authors,
               (unsigned long long)m->sites, (unsigned long long)m->replies,
               (unsigned long long)m->cross_site_replies, cli_time(cli, m->last_activity),
               m->retired ? "  (retired)" : "");
        printf("  goal: %s\n", cli_safe(cli, m->goal));
    }
    printf("\ntotal: %llu posts by %llu authors from %llu sites, %llu cross-site replies\n",
           (unsigned long long)rr->posts, (unsigned long long)rr->authors,
           (unsigned long long)rr->sites, (unsigned long long)rr->cross_site_replies);
    rsn_reply_free(reply);
    return 0;
}

/* --- status ---------------------------------------------------------------------- */

static const char *duration(rsn_cli_t *cli, uint64_t ms)
{
    uint64_t s = ms / 1000;
    const char *d =
        rsn_arena_printf(cli->arena, "%llud %02lluh %02llum %02llus",
                         (unsigned long long)(s / 86400), (unsigned long long)(s / 3600 % 24),
                         (unsigned long long)(s / 60 % 60), (unsigned long long)(s % 60));
    return d ? d : "?";
}

int cli_cmd_status(rsn_cli_t *cli, int argc, char **argv)
{
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__StatusRequest s = RAISON__STATUS_REQUEST__INIT;
    Raison__ApiReply *reply = NULL;
    int rc = cli_no_args(cli, argc, argv);
    if (rc != 0) {
        return rc;
    }
    req.call_case = RAISON__API_REQUEST__CALL_STATUS;
    req.status = &s;
    if ((rc = cli_call(cli, &req, RAISON__API_REPLY__RESULT_STATUS, &reply)) != 0) {
        return rc;
    }
    const Raison__StatusReply *st = reply->status;
    if (!st) {
        rsn_reply_free(reply);
        return cli_fail(cli, RSN_ERR_BAD_REQUEST, "the node sent an empty status");
    }
    if (cli->json) {
        rc = cli_json_print(
            cli,
            json_pack("{s:o,s:o,s:o,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o}",
                      "node_key", cli_json_hex(st->node_key.data, st->node_key.len), "site",
                      cli_json_str(st->site), "version", cli_json_str(st->version), "entries",
                      (json_int_t)st->entries, "authors", (json_int_t)st->authors, "groups",
                      (json_int_t)st->groups, "forks", (json_int_t)st->forks, "log_size",
                      (json_int_t)st->log_size, "uptime_ms", (json_int_t)st->uptime_ms, "peers",
                      (json_int_t)st->peers, "peers_connected", (json_int_t)st->peers_connected,
                      "bodies_missing", (json_int_t)st->bodies_missing, "bodies_erased",
                      (json_int_t)st->bodies_erased, "startup_ms", (json_int_t)st->startup_ms,
                      "store_bytes", (json_int_t)st->store_bytes, "socket",
                      cli_json_str(cli->socket_path)),
            false);
    } else {
        printf("node      %s\n", cli_hex(cli, st->node_key.data, st->node_key.len));
        printf("site      %s\n", cli_safe(cli, st->site));
        printf("version   %s\n", st->version);
        printf("entries   %llu\n", (unsigned long long)st->entries);
        printf("authors   %llu\n", (unsigned long long)st->authors);
        printf("groups    %llu\n", (unsigned long long)st->groups);
        printf("forks     %llu\n", (unsigned long long)st->forks);
        printf("log size  %llu\n", (unsigned long long)st->log_size);
        printf("bodies    %llu missing (being fetched), %llu erased\n",
               (unsigned long long)st->bodies_missing, (unsigned long long)st->bodies_erased);
        printf("peers     %u connected of %u\n", st->peers_connected, st->peers);
        printf("uptime    %s\n", duration(cli, st->uptime_ms));
        printf("store     %.1f MB on disk, started in %llu ms\n", (double)st->store_bytes / 1e6,
               (unsigned long long)st->startup_ms);
    }
    rsn_reply_free(reply);
    return rc;
}
