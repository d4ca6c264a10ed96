/* show.c — the commands that read: groups, group, timeline, feed and
 * status (report is report.c).
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

/* "34 posts by 9 people from 3 sites in the last 30 days, 11 replies across
 * sites": G's recent figures (GroupSummary 14..20). */
static void print_recent(const Raison__GroupSummary *g)
{
    printf("  %llu post%s by %llu %s from %llu site%s in the last %u day%s, %llu repl%s across "
           "sites (of %llu repl%s)%s\n",
           (unsigned long long)g->recent_posts, cli_s(g->recent_posts),
           (unsigned long long)g->recent_people, g->recent_people == 1 ? "person" : "people",
           (unsigned long long)g->recent_sites, cli_s(g->recent_sites), g->recent_days,
           cli_s(g->recent_days), (unsigned long long)g->recent_cross_site_replies,
           g->recent_cross_site_replies == 1 ? "y" : "ies", (unsigned long long)g->recent_replies,
           g->recent_replies == 1 ? "y" : "ies",
           g->counters_updating ? "; counters being updated" : "");
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
    printf("  charter version %u, %s, %u member%s%s, %llu post%s%s\n", g->version,
           access_text(g->access), g->members, g->members == 1 ? "" : "s",
           g->being_updated ? " (members being updated)" : "", (unsigned long long)g->posts,
           g->posts == 1 ? "" : "s", g->disputed ? ", charter DISPUTED" : "");
    print_recent(g);
    printf("\n");
}

/* The options of `raison groups`: --prefix P, --text T, --by-name. */
typedef struct {
    const char *prefix, *text;
    bool by_name;
} groups_opts_t;

static int groups_option(rsn_cli_t *cli, int opt, const char *value, void *ctx)
{
    groups_opts_t *o = ctx;
    if (opt == 'p') {
        o->prefix = value;
    } else if (opt == 't') {
        o->text = value;
    } else if (opt == 'n') {
        o->by_name = true;
    } else {
        return cli_usage_error(cli, "unexpected option");
    }
    return 0;
}

int cli_cmd_groups(rsn_cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"prefix", required_argument, NULL, 'p'},
                                         {"text", required_argument, NULL, 't'},
                                         {"by-name", no_argument, NULL, 'n'},
                                         {NULL, 0, NULL, 0}};
    groups_opts_t go = {"", "", false};
    cli_args_t spec = {.options = opts, .on_option = groups_option, .ctx = &go};
    int first = 0;
    int rc = cli_args(cli, argc, argv, &spec, &first);
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
        g.name_prefix = (char *)go.prefix;
        g.text = (char *)go.text;
        g.order =
            go.by_name ? RAISON__GROUPS_ORDER__GROUPS_BY_NAME : RAISON__GROUPS_ORDER__GROUPS_BY_ID;
        req.call_case = RAISON__API_REQUEST__CALL_GROUPS;
        req.groups = &g;
        if ((rc = cli_call(cli, &req, RAISON__API_REPLY__RESULT_GROUPS, &reply)) != 0) {
            json_decref(all);
            return rc;
        }
        const Raison__GroupsReply *gr = reply->groups;
        for (size_t i = 0; gr && i < gr->n_groups; i++) {
            if (all) {
                json_array_append_new(all, cli_json_group_summary(gr->groups[i]));
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

/* The options of `raison group`: --limit N members a page, --cursor C (a
 * page after the one that printed C), --all (every page). */
typedef struct {
    uint64_t limit;
    const char *cursor;
    bool all;
} group_opts_t;

static int group_option(rsn_cli_t *cli, int opt, const char *value, void *ctx)
{
    group_opts_t *o = ctx;
    if (opt == 'a') {
        o->all = true;
        return 0;
    }
    if (opt == 'c') {
        o->cursor = value;
        return 0;
    }
    if (opt != 'l' || !cli_parse_uint(value, 500, &o->limit) || o->limit == 0) {
        return cli_usage_error(cli, "--limit needs a positive number (at most 500)");
    }
    return 0;
}

/* One page of group REF's members after CURSOR into *REPLY. */
static int group_page(rsn_cli_t *cli, const char *ref, uint32_t limit, ProtobufCBinaryData cursor,
                      Raison__ApiReply **reply)
{
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__GroupRequest g = RAISON__GROUP_REQUEST__INIT;
    g.group = (char *)ref;
    g.members_limit = limit;
    g.members_cursor = cursor;
    req.call_case = RAISON__API_REQUEST__CALL_GROUP;
    req.group = &g;
    int rc = cli_call(cli, &req, RAISON__API_REPLY__RESULT_GROUP, reply);
    if (rc == 0 && (!(*reply)->group || !(*reply)->group->charter ||
                    (*reply)->group->group.len != RSN_ID_BYTES)) {
        rsn_reply_free(*reply);
        *reply = NULL;
        rc = cli_fail(cli, RSN_ERR_BAD_REQUEST, "the node's answer about group '%s' is incomplete",
                      ref);
    }
    return rc;
}

/* Appends the members of the pages after G's (with --all) to G's list: G is
 * the caller's shallow copy of the first reply (whose own arrays are never
 * touched); the list and what it adds are from CLI's arena. */
static int group_rest(rsn_cli_t *cli, const char *ref, uint32_t limit, Raison__GroupReply *g)
{
    size_t cap = g->n_members;
    ProtobufCBinaryData cursor = g->members_next_cursor;
    for (int page = 0; cursor.len > 0 && page < MAX_PAGES; page++) {
        Raison__ApiReply *more = NULL;
        int rc = group_page(cli, ref, limit, cursor, &more);
        if (rc) {
            return rc;
        }
        const Raison__GroupReply *m = more->group;
        if (g->n_members + m->n_members > cap) {
            cap = (g->n_members + m->n_members) * 2;
            Raison__Member **grown = rsn_arena_alloc(cli->arena, cap * sizeof *grown);
            if (!grown) {
                rsn_reply_free(more);
                return RSN_ERR_NOMEM;
            }
            memcpy(grown, g->members, g->n_members * sizeof *grown);
            g->members = grown;
        }
        for (size_t i = 0; i < m->n_members; i++) {
            Raison__Member *c = rsn_arena_alloc(cli->arena, sizeof *c);
            if (!c) {
                rsn_reply_free(more);
                return RSN_ERR_NOMEM;
            }
            *c = *m->members[i];
            c->key = (ProtobufCBinaryData){c->key.len,
                                           rsn_arena_memdup(cli->arena, c->key.data, c->key.len)};
            if (c->charter.len) {
                c->charter.data = rsn_arena_memdup(cli->arena, c->charter.data, c->charter.len);
            }
            c->name = rsn_arena_strdup(cli->arena, c->name);
            c->site = rsn_arena_strdup(cli->arena, c->site);
            g->members[g->n_members++] = c;
        }
        g->being_updated |= m->being_updated;
        bool same = m->members_next_cursor.len == cursor.len &&
                    memcmp(m->members_next_cursor.data, cursor.data, cursor.len) == 0;
        cursor.len = same ? 0 : m->members_next_cursor.len;
        cursor.data = cursor.len
                          ? rsn_arena_memdup(cli->arena, m->members_next_cursor.data, cursor.len)
                          : NULL;
        rsn_reply_free(more);
    }
    g->members_next_cursor = (ProtobufCBinaryData){0, NULL};
    return 0;
}

int cli_cmd_group(rsn_cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"limit", required_argument, NULL, 'l'},
                                         {"cursor", required_argument, NULL, 'c'},
                                         {"all", no_argument, NULL, 'a'},
                                         {NULL, 0, NULL, 0}};
    group_opts_t o = {0, NULL, false};
    Raison__ApiReply *reply = NULL;
    cli_args_t spec = {.options = opts,
                       .on_option = group_option,
                       .ctx = &o,
                       .min_operands = 1,
                       .max_operands = 1,
                       .missing = "missing GROUP"};
    int first = 0;
    int rc = cli_args(cli, argc, argv, &spec, &first);
    uint8_t cur[64];
    ProtobufCBinaryData cursor = {0, cur};
    if (rc == 0 && o.cursor && rsn_hex_decode(cur, sizeof cur, &cursor.len, o.cursor) != 0) {
        rc = cli_usage_error(cli, "--cursor takes the hex a page of members printed");
    }
    if (rc != 0 || (rc = group_page(cli, argv[first], (uint32_t)o.limit, cursor, &reply)) != 0) {
        return rc;
    }
    Raison__GroupReply view = *reply->group, *g = &view;
    if (o.all && (rc = group_rest(cli, argv[first], (uint32_t)o.limit, g)) != 0) {
        rsn_reply_free(reply);
        return rc;
    }
    if (cli->json) {
        rc = cli_json_print(cli, cli_json_group(g), false);
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
    if (g->being_updated) {
        printf("being updated: the member list is being recomputed (a charter changed)\n");
    }
    size_t total = g->members_total > g->n_members ? g->members_total : g->n_members;
    printf("members (%zu):\n", total);
    for (size_t i = 0; i < g->n_members; i++) {
        const Raison__Member *m = g->members[i];
        uint32_t v = cli_group_version_of(g, m->charter);
        printf("  %s  %s%s", cli_hex(cli, m->key.data, m->key.len),
               m->name[0] ? cli_who(cli, m->name, m->site, m->key) : "",
               m->owner ? " [owner]" : "");
        if (v) {
            printf(" (joined under v%u)", v);
        }
        printf("\n");
    }
    if (g->members_next_cursor.len) {
        printf("  ... %zu shown; more: raison group %s --cursor %s (or --all)\n", g->n_members,
               cli_safe(cli, argv[first]),
               cli_hex(cli, g->members_next_cursor.data, g->members_next_cursor.len));
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
        rc = cli_json_print(cli, cli_json_status(st, cli->socket_path), false);
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
        if (st->audit_verify_running) {
            printf("audit     verifying, %llu of %llu leaves checked\n",
                   (unsigned long long)st->audit_verify_checked, (unsigned long long)st->log_size);
        }
        if (st->reindex_running) {
            printf("reindex   %s, %llu of %llu entries derived again\n",
                   st->reindex_clearing ? "deleting the old state" : "deriving",
                   (unsigned long long)st->reindex_derived, (unsigned long long)st->log_size);
        }
    }
    rsn_reply_free(reply);
    return rc;
}
