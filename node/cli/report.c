/* report.c — `raison report GROUP [--days N] [--site S]`: the value report
 * of a group, per mission and in total, over the whole history and, with
 * --days, over the last N days (UTC days, today included), with the posts
 * by authors of site S beside each figure when --site is given. The node
 * reads its counters (docs/api.md "report"); a report that is being updated
 * says so. */
#include <string.h>

#include "cli/cli.h"

#define REPORT_DAYS_MAX 3660 /* the node's bound (daemon/report.c) */

typedef struct {
    uint64_t days;
    const char *site;
} report_opts_t;

static int report_option(rsn_cli_t *cli, int opt, const char *value, void *ctx)
{
    report_opts_t *o = ctx;
    if (opt == 's') {
        o->site = value;
        return 0;
    }
    if (opt != 'd') {
        return cli_usage_error(cli, "unexpected option");
    }
    if (!cli_parse_uint(value, REPORT_DAYS_MAX, &o->days) || o->days == 0) {
        return cli_usage_error(cli, "--days needs a positive number (at most %d)", REPORT_DAYS_MAX);
    }
    return 0;
}

/* The window's line: "34 posts by 9 people from 3 sites, 11 replies across sites". */
static void print_window(rsn_cli_t *cli, const char *label, const Raison__ReportFigures *f,
                         const report_opts_t *o)
{
    if (!f) {
        return;
    }
    printf("%s%llu post%s by %llu %s from %llu site%s, %llu %s (%llu across sites)", label,
           (unsigned long long)f->posts, cli_s(f->posts), (unsigned long long)f->authors,
           f->authors == 1 ? "person" : "people", (unsigned long long)f->sites, cli_s(f->sites),
           (unsigned long long)f->replies, cli_replies(f->replies),
           (unsigned long long)f->cross_site_replies);
    if (o->site) {
        printf(", %llu from %s", (unsigned long long)f->site_posts, cli_safe(cli, o->site));
    }
    printf("\n");
}

static void print_text(rsn_cli_t *cli, const Raison__ReportReply *rr, const report_opts_t *o)
{
    printf("value report of %s (charter version %u, %u member%s)%s\n\n", cli_safe(cli, rr->name),
           rr->version, rr->members, rr->members == 1 ? "" : "s",
           rr->being_updated ? " — being updated" : "");
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
        if (o->days) {
            char label[64];
            snprintf(label, sizeof label, "  last %llu days: ", (unsigned long long)o->days);
            print_window(cli, label, m->window, o);
        }
        if (o->site) {
            printf("  by %s: %llu post%s\n", cli_safe(cli, o->site),
                   (unsigned long long)m->site_posts, cli_s(m->site_posts));
        }
    }
    printf("\ntotal: %llu post%s by %llu author%s from %llu site%s, %llu cross-site %s\n",
           (unsigned long long)rr->posts, cli_s(rr->posts), (unsigned long long)rr->authors,
           cli_s(rr->authors), (unsigned long long)rr->sites, cli_s(rr->sites),
           (unsigned long long)rr->cross_site_replies, cli_replies(rr->cross_site_replies));
    if (o->days) {
        char label[64];
        snprintf(label, sizeof label, "last %llu days: ", (unsigned long long)o->days);
        print_window(cli, label, rr->window, o);
    }
    if (o->site) {
        printf("by %s: %llu posts\n", cli_safe(cli, o->site), (unsigned long long)rr->site_posts);
    }
}

int cli_cmd_report(rsn_cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"days", required_argument, NULL, 'd'},
                                         {"site", required_argument, NULL, 's'},
                                         {NULL, 0, NULL, 0}};
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__ReportRequest r = RAISON__REPORT_REQUEST__INIT;
    Raison__ApiReply *reply = NULL;
    report_opts_t o = {0};
    cli_args_t spec = {.options = opts,
                       .on_option = report_option,
                       .ctx = &o,
                       .min_operands = 1,
                       .max_operands = 1,
                       .missing = "missing GROUP"};
    int first = 0;
    int rc = cli_args(cli, argc, argv, &spec, &first);
    if (rc != 0) {
        return rc;
    }
    r.group = argv[first];
    r.days = (uint32_t)o.days;
    r.site = (char *)(o.site ? o.site : "");
    r.series = o.days != 0;
    req.call_case = RAISON__API_REQUEST__CALL_REPORT;
    req.report = &r;
    if ((rc = cli_call(cli, &req, RAISON__API_REPLY__RESULT_REPORT, &reply)) != 0) {
        return rc;
    }
    if (!reply->report) {
        rsn_reply_free(reply);
        return cli_fail(cli, RSN_ERR_BAD_REQUEST, "the node sent an empty report");
    }
    if (cli->json) {
        rc = cli_json_print(cli, cli_json_report(reply->report, (uint32_t)o.days, o.site), false);
    } else {
        print_text(cli, reply->report, &o);
    }
    rsn_reply_free(reply);
    return rc;
}
