/* reindex.c — `raison reindex`: the node rebuilds its derived state while
 * it serves.
 *
 * The node's derived state (group state, report counters: daemon/derive.h)
 * is a function of its log; `raisond reindex --data DIR` rebuilds it on a
 * stopped node, this command on a running one (docs/api.md "reindex"). The
 * call answers at once; the command then asks every second how far the node
 * is (ReindexRequest with progress) until the reindex ends, saying it on
 * stderr when stderr is a terminal or with --progress. --no-wait returns
 * after the start. */
#include <getopt.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"

#define REINDEX_POLL_MS 1000 /* between two questions of how far the node is */

typedef struct {
    bool no_wait;
    bool progress;
} reindex_opts_t;

static int reindex_option(rsn_cli_t *cli, int opt, const char *value, void *ctx)
{
    reindex_opts_t *o = ctx;
    (void)value;
    if (opt == 'n') {
        o->no_wait = true;
    } else if (opt == 'p') {
        o->progress = true;
    } else {
        return cli_usage_error(cli, "unexpected option");
    }
    return 0;
}

/* One reindex call (PROGRESS: only how far): 0 and *OUT (the caller frees
 * its reply *REPLY), or the rsn_err said. */
static int ask(rsn_cli_t *cli, bool progress, Raison__ApiReply **reply,
               const Raison__ReindexReply **out)
{
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__ReindexRequest r = RAISON__REINDEX_REQUEST__INIT;
    r.progress = progress;
    req.call_case = RAISON__API_REQUEST__CALL_REINDEX;
    req.reindex = &r;
    int rc = cli_call(cli, &req, RAISON__API_REPLY__RESULT_REINDEX, reply);
    if (rc == 0 && !(*reply)->reindex) {
        rc = cli_fail(cli, RSN_ERR_BAD_REQUEST, "the node sent an empty reindex reply");
    }
    *out = rc == 0 ? (*reply)->reindex : NULL;
    return rc;
}

static void say_progress(const Raison__ReindexReply *r, bool tty)
{
    if (r->clearing) {
        fprintf(stderr, "%sreindex: deleting the old derived state%s", tty ? "\r" : "",
                tty ? "\033[K" : "\n");
        return;
    }
    unsigned pct = r->total ? (unsigned)(r->derived * 100 / r->total) : 0;
    fprintf(stderr, "%sreindex: %llu of %llu entries derived (%u%%)%s", tty ? "\r" : "",
            (unsigned long long)r->derived, (unsigned long long)r->total, pct,
            tty ? "\033[K" : "\n");
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int cli_cmd_reindex(rsn_cli_t *cli, int argc, char **argv)
{
    static const struct option opts[] = {{"no-wait", no_argument, NULL, 'n'},
                                         {"progress", no_argument, NULL, 'p'},
                                         {NULL, 0, NULL, 0}};
    reindex_opts_t o = {0};
    cli_args_t spec = {.options = opts, .on_option = reindex_option, .ctx = &o};
    int first = 0;
    int rc = cli_args(cli, argc, argv, &spec, &first);
    if (rc != 0) {
        return rc;
    }
    bool tty = isatty(STDERR_FILENO);
    Raison__ApiReply *reply = NULL;
    const Raison__ReindexReply *r = NULL;
    int64_t t0 = mono_ms();
    rc = ask(cli, false, &reply, &r);
    bool started = rc == 0 && r->started;
    while (rc == 0 && !o.no_wait && r->running) {
        if (o.progress || tty) {
            say_progress(r, tty);
        }
        usleep(REINDEX_POLL_MS * 1000);
        rsn_reply_free(reply);
        rc = ask(cli, true, &reply, &r);
    }
    if (tty && (o.progress || tty)) {
        fprintf(stderr, "\r\033[K");
    }
    if (rc == 0) {
        long ms = (long)(mono_ms() - t0);
        if (cli->json) {
            json_t *doc =
                json_pack("{s:b,s:b,s:b,s:I,s:I,s:I}", "started", started, "running", r->running,
                          "clearing", r->clearing, "derived", (json_int_t)r->derived, "total",
                          (json_int_t)r->total, "elapsed_ms", (json_int_t)ms);
            rc = cli_json_print(cli, doc, false);
        } else if (r->running) {
            printf("reindex %s: %llu of %llu entries derived so far\n",
                   started ? "started" : "under way", (unsigned long long)r->derived,
                   (unsigned long long)r->total);
        } else {
            printf("reindexed %llu entries in %ld ms\n", (unsigned long long)r->derived, ms);
        }
    }
    rsn_reply_free(reply);
    return rc;
}
