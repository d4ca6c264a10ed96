/* bench_scale.c — "a year of a large company on one node": issue 10's
 * figures on a store of 10,000 entries (SMALL) and one of 1,000,000 (LARGE),
 * in one run, each beside its target.
 *
 *   bench_scale RAISOND WORK [SIZE=1000000] [--small N] [--rebuild] [--json]
 *               [--via auto|api|direct] [--api-limit SECONDS]
 *
 * The stores (scale_shape.h says what they hold, scale_store.h where they
 * are kept and how they are built) are cached between runs; --rebuild makes
 * them again. SIZE is LARGE's size (`100000` for a quick look); SMALL stays
 * 10,000 (--small), and a SIZE at or below it runs one store. Then, on each
 * store, with a real raisond on it (support/node.h):
 *   - the build: its length, and the ingest rate through the API beside one
 *     core's raw verify rate of the same entries (target >= 1.2x);
 *   - start-up until the socket answers (target < 1 s, LARGE within 2x of
 *     SMALL); VmRSS/VmHWM after a restart, after the read calls, and of a
 *     node after its ingest (target < 150 MB);
 *   - every read call's p50/p99, cold (after a restart, keys not read yet)
 *     and warm (scale_read.h) — target: p99 at LARGE within 1.5x of SMALL,
 *     under 20 ms;
 *   - status p99 while `audit verify` runs (sent on a second connection)
 *     and while an empty peer catches up, beside an idle node's (<= 3x);
 *   - the catch-up of the whole store by that empty node: entries/s beside
 *     the raw verify rate (>= 1.0x);
 *   - disk (du of db/) over the signed bytes (<= 1.6x).
 * Progress goes to stderr; the table (or, with --json, one JSON object) to
 * stdout. Not a test: it never fails on a figure, and exits 1 only when it
 * could not run (a store it could not build, a node that would not start). */
#include <jansson.h>
#include <math.h>

#include "bench_util.h"
#include "scale_read.h"
#include "scale_store.h"
#include "support/files.h"

#define SMALL_DEFAULT 10000
#define LARGE_DEFAULT 1000000
#define SIZE_MAX_ENTRIES 5000000
#define VERIFY_SECONDS 2.0
#define START_TIMEOUT_S 600.0
#define CALL_TIMEOUT_MS 120000 /* a single slow call may take this long */
#define COLD_CAP_S 8.0         /* seconds a cold figure may take (and one call more) */
#define WARM_CAP_S 8.0
#define WARM_SKIP_MS 20000.0 /* a call this slow cold is not timed again warm */
#define KEYS_BUDGET_S 60.0
#define SAMPLE_MS 10 /* status sampled this often while something runs */
#define IDLE_SAMPLES 200
#define AUDIT_LIMIT_S 120.0 /* today's audit judges every post against every membership event */
#define AUDIT_RSS_MB 2048   /* and holds what it loads: stopped past this much memory */
/* a status call during the audit waits at most this long (memory is
 * watched between calls); one that times out counts as this long, marked */
#define AUDIT_STATUS_TIMEOUT_MS 10000
#define CATCHUP_LIMIT_S 1800.0
#define STALL_S 60.0
#define POLL_S 0.25 /* the catching-up node's status polled this often */
#define MB 1024.0

typedef struct {
    bool ran;
    size_t total;
    uint64_t entries;
    double raw;
    scale_build_t build;
    uint64_t signed_bytes;
    scale_lat_t cold[P_COUNT], warm[P_COUNT];
    double start_first_s, start_s;
    long rss_start, hwm_start, rss_reads, hwm_reads, rss_catchup, hwm_catchup;
    long anon_reads, anon_catchup; /* RssAnon: without the mapped tables */
    scale_lat_t idle, audit, catchup_status;
    bool audit_done, audit_ok;
    char audit_note[96]; /* why it was stopped */
    long audit_rss_kb;   /* the node's largest VmRSS seen during the audit */
    double audit_s;
    uint64_t audit_entries, audit_rules;
    bool catchup_done;
    double catchup_s, catchup_rate, catchup_rate_start;
    uint64_t catchup_entries;
    uint64_t disk;      /* db/ after an open has deleted what no version holds */
    uint64_t disk_left; /* db/ as the stopped node left it */
    size_t deep_depth, groups_cursors;
} result_t;

typedef struct {
    const char *raisond;
    const char *work;
    bool json;
    scale_build_opts_t build;
} opts_t;

/* ----------------------------------------------------------------- nodes -- */

/* Starts N, waits until its API answers: the seconds into *SECS, a client
 * with the long call timeout into *C. */
static int start_timed(rsn_test_node_t *n, const char *raisond, rsn_client_t **c, double *secs)
{
    rsn_client_t *probe = NULL;
    double t = rsn_test_now();
    /* probed every millisecond: a start of a few ms is not rounded to 20 */
    if (rsn_test_node_start(n, raisond) != 0 ||
        rsn_test_node_connect_every(n, &probe, START_TIMEOUT_S, 1) != 0) {
        return -1;
    }
    *secs = rsn_test_now() - t;
    rsn_client_destroy(&probe);
    int rc = rsn_client_connect(c, n->sock, CALL_TIMEOUT_MS);
    if (rc != 0) {
        fprintf(stderr, "bench_scale: cannot connect to %s: %s\n", n->sock, rsn_strerror(rc));
    }
    return rc;
}

/* Stops SERVE and starts it again, trusting EMPTY as a peer. */
static int restart(rsn_test_node_t *serve, const rsn_test_node_t *empty, const char *raisond,
                   rsn_client_t **c, double *secs)
{
    rsn_client_destroy(c);
    rsn_test_node_stop(serve);
    if (rsn_test_node_peer(serve, empty, false) != 0) {
        return -1;
    }
    return start_timed(serve, raisond, c, secs);
}

/* --------------------------------------------------------------- audit -- */

typedef struct {
    rsn_client_t *c;
    Raison__ApiReply *reply;
    int pid;
    long rss_kb;
    bool too_big;
} audit_ctx_t;

static bool audit_done(void *ctx)
{
    audit_ctx_t *a = ctx;
    long hwm;
    long rss;
    scale_proc_memory(a->pid, &rss, &hwm);
    a->rss_kb = rss > a->rss_kb ? rss : a->rss_kb;
    a->too_big = rss > AUDIT_RSS_MB * 1024L;
    return a->too_big || rsn_client_recv_timeout(a->c, &a->reply, 0) == 0;
}

/* Status while `audit verify` runs, sent on a second connection; false
 * when it did not finish (too long, too much memory): the node is still
 * in it. */
static bool measure_audit(rsn_test_node_t *serve, result_t *r)
{
    audit_ctx_t a = {.pid = serve->pid};
    rsn_client_t *c = NULL;
    if (rsn_client_connect(&a.c, serve->sock, CALL_TIMEOUT_MS) != 0 ||
        rsn_client_connect(&c, serve->sock, AUDIT_STATUS_TIMEOUT_MS) != 0) {
        rsn_client_destroy(&a.c);
        return false;
    }
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__AuditVerifyRequest av = RAISON__AUDIT_VERIFY_REQUEST__INIT;
    req.call_case = RAISON__API_REQUEST__CALL_AUDIT_VERIFY;
    req.audit_verify = &av;
    double t = rsn_test_now();
    if (rsn_client_send(a.c, &req, NULL) == 0) {
        r->audit_done = scale_status_sample(c, audit_done, &a, SAMPLE_MS, AUDIT_LIMIT_S, &r->audit);
    }
    r->audit_s = rsn_test_now() - t;
    r->audit_rss_kb = a.rss_kb;
    rsn_client_destroy(&c);
    if (a.too_big || !r->audit_done) {
        r->audit_done = false;
        snprintf(r->audit_note, sizeof r->audit_note,
                 a.too_big ? "stopped after %.0f s: the node's RSS passed %d MB"
                           : "did not finish in %.0f s",
                 r->audit_s, AUDIT_RSS_MB);
        fprintf(stderr, "bench_scale: audit verify %s (status p99 %.0f ms over %zu samples)\n",
                r->audit_note, r->audit.p99, r->audit.n);
    } else if (a.reply->result_case == RAISON__API_REPLY__RESULT_AUDIT_VERIFY) {
        const Raison__AuditVerifyReply *v = a.reply->audit_verify;
        r->audit_ok = v->integrity_ok;
        r->audit_entries = v->entries;
        r->audit_rules = v->rule_violations;
    } else {
        fprintf(stderr, "bench_scale: audit verify answered %d\n", (int)a.reply->result_case);
        r->audit_done = false;
    }
    rsn_test_reply_free(a.reply);
    rsn_client_destroy(&a.c);
    return r->audit_done;
}

/* ------------------------------------------------------------- catch-up -- */

typedef struct {
    rsn_test_node_t *node;
    rsn_client_t *c;
    uint64_t want, last;
    double t_start, t_link, t_progress, t_poll, t_done;
    bool done, stalled;
} catch_ctx_t;

static bool catch_done(void *ctx)
{
    catch_ctx_t *x = ctx;
    double now = rsn_test_now();
    if (now - x->t_poll < POLL_S) {
        return false;
    }
    x->t_poll = now;
    uint64_t entries = 0;
    uint32_t connected = 0;
    if (rsn_test_api_status(x->c, &entries, &connected) != 0) {
        x->stalled = true;
        return true;
    }
    if (x->t_link == 0 && connected > 0) {
        x->t_link = now;
    }
    if (entries != x->last) {
        x->last = entries;
        x->t_progress = now;
    }
    if (entries >= x->want) {
        x->done = true;
        x->t_done = now;
        return true;
    }
    if (now - x->t_progress > STALL_S) {
        fprintf(stderr,
                "bench_scale: catch-up STALLED: %" PRIu64 " of %" PRIu64
                " entries, none new for %.0f s; going on\n",
                entries, x->want, now - x->t_progress);
        x->stalled = true;
        return true;
    }
    return false;
}

/* An empty node catches up with SERVE (status sampled on C meanwhile). */
static void measure_catchup(const opts_t *o, rsn_test_node_t *serve, rsn_test_node_t *empty,
                            rsn_client_t *c, result_t *r)
{
    catch_ctx_t x = {.node = empty, .want = r->entries};
    if (rsn_test_node_peer(empty, serve, true) != 0) {
        return;
    }
    x.t_start = rsn_test_now();
    if (rsn_test_node_start(empty, o->raisond) != 0 ||
        rsn_test_node_connect(empty, &x.c, START_TIMEOUT_S) != 0) {
        return;
    }
    x.t_progress = x.t_poll = rsn_test_now();
    fprintf(stderr, "bench_scale: an empty node catches up with %" PRIu64 " entries\n", x.want);
    (void)scale_status_sample(c, catch_done, &x, SAMPLE_MS, CATCHUP_LIMIT_S, &r->catchup_status);
    r->catchup_done = x.done;
    r->catchup_entries = x.last;
    scale_proc_memory(empty->pid, &r->rss_catchup, &r->hwm_catchup);
    r->anon_catchup = scale_proc_anon(empty->pid);
    if (x.done) {
        double from = x.t_link > 0 && x.t_link < x.t_done ? x.t_link : x.t_start;
        r->catchup_s = x.t_done - x.t_start;
        r->catchup_rate = (double)x.want / (x.t_done - from);
        r->catchup_rate_start = (double)x.want / (x.t_done - x.t_start);
    } else {
        bench_print_peers(c, "serving");
        bench_print_peers(x.c, "empty");
        rsn_test_node_tail(empty);
    }
    rsn_client_destroy(&x.c);
    rsn_test_node_stop(empty);
    (void)rsn_test_tmpdir_remove(empty->dir);
}

/* --------------------------------------------------------------- a store -- */

static bool always_count(void *ctx)
{
    size_t *n = ctx;
    return (*n)++ >= IDLE_SAMPLES;
}

/* The node the probes run on, to restart it after a call that timed out
 * (the node is still busy with it, and every later call would wait). */
typedef struct {
    const opts_t *o;
    rsn_test_node_t *serve;
    const rsn_test_node_t *empty;
    rsn_client_t **c;
} env_t;

/* Runs every probe cold (COLD_RUN NULL) or warm after COLD_RUN into OUT; a
 * warm probe whose cold calls took over WARM_SKIP_MS is not run again (it is
 * marked skipped: n 0, its cold p99 kept). -1 when a restart failed. */
static int run_probes(const env_t *env, const scale_keys_t *k, const scale_lat_t *cold_run,
                      scale_lat_t *out)
{
    bool cold = cold_run == NULL;
    for (int p = 0; p < P_COUNT; p++) {
        if (!cold && cold_run[p].p50 > WARM_SKIP_MS) {
            memset(&out[p], 0, sizeof out[p]);
            out[p].p99 = cold_run[p].p99;
            fprintf(stderr, "  warm %-20s skipped: its cold calls took %.0f s\n",
                    scale_probe_name((scale_probe_t)p), cold_run[p].p50 / 1000);
            continue;
        }
        scale_probe_run(*env->c, k, (scale_probe_t)p, cold, cold ? COLD_CAP_S : WARM_CAP_S,
                        &out[p]);
        fprintf(stderr, "  %s %-20s p50 %9.2f ms  p99 %9.2f ms  (%zu calls%s)\n",
                cold ? "cold" : "warm", scale_probe_name((scale_probe_t)p), out[p].p50, out[p].p99,
                out[p].n, out[p].errors ? ", some failed" : "");
        double again;
        if (out[p].errors > 0 && out[p].max >= CALL_TIMEOUT_MS * 0.99) {
            fprintf(stderr,
                    "bench_scale: a call timed out after %.0f s and the node is still in it:"
                    " restarting it\n",
                    CALL_TIMEOUT_MS / 1000.0);
            if (restart(env->serve, env->empty, env->o->raisond, env->c, &again) != 0) {
                return -1;
            }
        }
    }
    return 0;
}

/* Everything but the build, on ST: 0, 1 when the node refused the folder,
 * -1 on another failure. */
static int measure(const opts_t *o, scale_store_t *st, const char *tag, result_t *r)
{
    int rc = -1;
    rsn_test_node_t serve = {0}, empty = {0};
    rsn_client_t *c = NULL;
    char name[32];
    snprintf(name, sizeof name, "empty-%s", tag);
    if (rsn_test_node_init(&serve, o->raisond, st->dir, "node") != 0 ||
        rsn_test_node_init(&empty, o->raisond, o->work, name) != 0 ||
        rsn_test_node_peer(&serve, &empty, false) != 0) {
        goto out;
    }
    if (start_timed(&serve, o->raisond, &c, &r->start_first_s) != 0) {
        rc = serve.pid == 0 ? 1 : -1; /* it exited: it refused the folder */
        goto out;
    }
    uint32_t connected;
    if (rsn_test_api_status(c, &r->entries, &connected) != 0) {
        goto out;
    }
    fprintf(stderr, "bench_scale: %s: the node holds %" PRIu64 " entries, started in %.2f s\n", tag,
            r->entries, r->start_first_s);
    scale_keys_t keys = {.facts = &st->facts};
    scale_keys_collect(c, &keys, st->shape.busy_posts, KEYS_BUDGET_S);
    r->deep_depth = keys.deep_depth;
    r->groups_cursors = keys.n_groups_cursors;
    if (restart(&serve, &empty, o->raisond, &c, &r->start_s) != 0) {
        goto out;
    }
    scale_proc_memory(serve.pid, &r->rss_start, &r->hwm_start);
    fprintf(stderr, "bench_scale: %s: restarted in %.2f s; cold calls\n", tag, r->start_s);
    env_t env = {.o = o, .serve = &serve, .empty = &empty, .c = &c};
    if (run_probes(&env, &keys, NULL, r->cold) != 0) {
        goto out;
    }
    fprintf(stderr, "bench_scale: %s: warm calls\n", tag);
    if (run_probes(&env, &keys, r->cold, r->warm) != 0) {
        goto out;
    }
    scale_proc_memory(serve.pid, &r->rss_reads, &r->hwm_reads);
    r->anon_reads = scale_proc_anon(serve.pid);
    size_t count = 0;
    (void)scale_status_sample(c, always_count, &count, SAMPLE_MS, 60, &r->idle);
    fprintf(stderr, "bench_scale: %s: audit verify\n", tag);
    double again;
    if (!measure_audit(&serve, r) && restart(&serve, &empty, o->raisond, &c, &again) != 0) {
        goto out;
    }
    measure_catchup(o, &serve, &empty, c, r);
    rc = 0;
out:
    rsn_client_destroy(&c);
    rsn_test_node_stop(&serve);
    rsn_test_node_stop(&empty);
    r->disk_left = scale_store_disk(st, false);
    r->disk = scale_store_disk(st, true);
    return rc;
}

/* Builds or finds the store of TOTAL entries and measures it into R. */
static int run_store(const opts_t *o, size_t total, const char *tag, result_t *r)
{
    scale_store_t st = {0};
    scale_build_opts_t b = o->build;
    int rc = -1;
    memset(r, 0, sizeof *r);
    r->total = total;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (scale_store_ensure(&st, o->raisond, total, &b) != 0) {
            goto out;
        }
        r->raw = bench_raw_verify_rate(st.sample, st.n_sample, VERIFY_SECONDS);
        r->build = st.build;
        r->signed_bytes = st.facts.signed_bytes;
        fprintf(stderr,
                "bench_scale: %s: %s in %.0f s (%" PRIu64 " through the API at %.0f/s, %" PRIu64
                " staged direct); raw verify now %.0f/s\n",
                tag, st.build.cached ? "cached, built" : "built", st.build.seconds,
                st.build.via_api, st.build.ingest_rate, st.build.via_direct, r->raw);
        rc = measure(o, &st, tag, r);
        if (rc != 1) {
            break;
        }
        fprintf(stderr, "bench_scale: the node refused the cached folder: rebuilding it\n");
        b.rebuild = true;
    }
    r->ran = rc == 0;
out:
    scale_store_free(&st);
    return r->ran ? 0 : -1;
}

/* ---------------------------------------------------------------- table -- */

typedef struct {
    char name[48];
    bool have[2];
    double v[2]; /* SMALL, LARGE */
    char text[2][32];
    char target[40];
    int met; /* -1 no target, 0 not met, 1 met */
} row_t;

typedef struct {
    row_t rows[128];
    size_t n;
} table_t;

static row_t *add_row(table_t *t, const char *name, const char *target)
{
    row_t *row = &t->rows[t->n++];
    memset(row, 0, sizeof *row);
    snprintf(row->name, sizeof row->name, "%s", name);
    snprintf(row->target, sizeof row->target, "%s", target);
    row->met = -1;
    return row;
}

static void set(row_t *row, int i, double v, const char *fmt)
{
    row->have[i] = true;
    row->v[i] = v;
    snprintf(row->text[i], sizeof row->text[i], fmt, v);
}

static double ratio_of(const row_t *row)
{
    return row->have[0] && row->have[1] && row->v[0] > 0 ? row->v[1] / row->v[0] : NAN;
}

/* The store a target is judged on: LARGE, or the only one that ran. */
static int judged(const row_t *row)
{
    return row->have[1] ? 1 : 0;
}

static void latency_rows(table_t *t, const result_t *r, bool cold)
{
    for (int p = 0; p < P_COUNT; p++) {
        char name[48];
        snprintf(name, sizeof name, "%s %s p50/p99 ms", cold ? "cold" : "warm",
                 scale_probe_name((scale_probe_t)p));
        row_t *row = add_row(t, name, "p99 <=1.5x, <20 ms");
        for (int i = 0; i < 2; i++) {
            const scale_lat_t *l = cold ? &r[i].cold[p] : &r[i].warm[p];
            if (r[i].ran && l->n > 0) {
                set(row, i, l->p99, "%.1f");
                snprintf(row->text[i], sizeof row->text[i], "%.1f / %.1f%s", l->p50, l->p99,
                         l->errors ? "!" : "");
            } else if (r[i].ran && l->p99 > 0) {
                set(row, i, l->p99, "skipped (cold)");
            }
        }
        int j = judged(row);
        if (row->have[j]) {
            double ratio = ratio_of(row);
            row->met = row->v[j] < 20 && (isnan(ratio) || ratio <= 1.5);
        }
    }
}

static void max_row(table_t *t, const char *name, const char *target, const double v[2],
                    const bool have[2], const char *fmt, double limit)
{
    row_t *row = add_row(t, name, target);
    for (int i = 0; i < 2; i++) {
        if (have[i]) {
            set(row, i, v[i], fmt);
        }
    }
    int j = judged(row);
    if (row->have[j] && limit > 0) {
        row->met = row->v[j] <= limit;
    }
}

static void min_row(table_t *t, const char *name, const char *target, const double v[2],
                    const bool have[2], double limit)
{
    row_t *row = add_row(t, name, target);
    for (int i = 0; i < 2; i++) {
        if (have[i]) {
            set(row, i, v[i], "%.2f");
        }
    }
    int j = judged(row);
    if (row->have[j]) {
        row->met = row->v[j] >= limit;
    }
}

static void build_table(table_t *t, const result_t *r)
{
    double v[2];
    bool have[2];
#define EACH(cond, expr)              \
    for (int i = 0; i < 2; i++) {     \
        have[i] = r[i].ran && (cond); \
        v[i] = have[i] ? (expr) : 0;  \
    }
    EACH(r[i].build.via_api > 0 && r[i].build.raw_at_build > 0,
         r[i].build.ingest_rate / r[i].build.raw_at_build);
    min_row(t, "ingest via API / raw verify", ">= 1.2x", v, have, 1.2);
    EACH(true, r[i].build.ingest_rate);
    max_row(t, "ingest via API, entries/s", "", v, have, "%.0f", 0);
    EACH(true, (double)r[i].build.via_direct);
    max_row(t, "entries staged direct (not API)", "", v, have, "%.0f", 0);
    EACH(true, r[i].build.seconds);
    max_row(t, "build, s", "", v, have, "%.0f", 0);
    EACH(r[i].build.via_direct == 0, (double)r[i].build.broken_other);
    max_row(t, "acks with a broken rule: known/other", "4 / 0", v, have, "%.0f", 0.5);
    for (int i = 0; i < 2; i++) {
        row_t *row = &t->rows[t->n - 1];
        if (row->have[i]) {
            snprintf(row->text[i], sizeof row->text[i], "%" PRIu64 " / %" PRIu64,
                     r[i].build.broken_known, r[i].build.broken_other);
        }
    }
    EACH(true, r[i].start_s);
    max_row(t, "start-up until the API answers, s", "< 1 s, <=2x", v, have, "%.2f", 0);
    row_t *start = &t->rows[t->n - 1];
    if (start->have[judged(start)]) {
        double ratio = ratio_of(start);
        start->met = start->v[judged(start)] < 1 && (isnan(ratio) || ratio <= 2);
    }
    latency_rows(t, r, true);
    latency_rows(t, r, false);
    EACH(r[i].idle.n > 0, r[i].idle.p99);
    max_row(t, "status p99 idle, ms", "", v, have, "%.2f", 0);
    EACH(r[i].audit.n > 0 && r[i].idle.p99 > 0, r[i].audit.p99 / r[i].idle.p99);
    max_row(t, "status p99 in audit / idle", "<= 3x", v, have, "%.1f", 3);
    EACH(r[i].catchup_status.n > 0 && r[i].idle.p99 > 0, r[i].catchup_status.p99 / r[i].idle.p99);
    max_row(t, "status p99 in catch-up / idle", "<= 3x", v, have, "%.1f", 3);
    EACH(r[i].audit.n > 0, r[i].audit_s);
    max_row(t, "audit verify, s", "", v, have, "%.1f", 0);
    for (int i = 0; i < 2; i++) {
        row_t *row = &t->rows[t->n - 1];
        if (row->have[i] && !r[i].audit_done) {
            snprintf(row->text[i], sizeof row->text[i], "%.0f unfinished", row->v[i]);
        }
    }
    EACH(r[i].audit_rss_kb > 0, r[i].audit_rss_kb / MB);
    max_row(t, "VmRSS during audit verify, MB", "< 150 MB", v, have, "%.1f", 150);
    EACH(r[i].catchup_done && r[i].raw > 0, r[i].catchup_rate / r[i].raw);
    min_row(t, "catch-up / raw verify", ">= 1.0x", v, have, 1.0);
    EACH(r[i].catchup_done, r[i].catchup_rate);
    max_row(t, "catch-up, entries/s", "", v, have, "%.0f", 0);
    EACH(r[i].rss_start > 0, r[i].rss_start / MB);
    max_row(t, "VmRSS after a restart, MB", "< 150 MB", v, have, "%.1f", 150);
    EACH(r[i].rss_reads > 0, r[i].hwm_reads / MB);
    max_row(t, "VmHWM after the reads, MB", "< 150 MB", v, have, "%.1f", 150);
    EACH(r[i].anon_reads > 0, r[i].anon_reads / MB);
    max_row(t, "RssAnon after the reads (no mapped tables), MB", "< 150 MB", v, have, "%.1f", 150);
    EACH(r[i].hwm_catchup > 0, r[i].hwm_catchup / MB);
    max_row(t, "VmHWM of a node after its ingest, MB", "< 150 MB", v, have, "%.1f", 150);
    EACH(r[i].anon_catchup > 0, r[i].anon_catchup / MB);
    max_row(t, "RssAnon of a node after its ingest, MB", "< 150 MB", v, have, "%.1f", 150);
    EACH(r[i].build.builder_hwm_kb > 0, r[i].build.builder_hwm_kb / MB);
    max_row(t, "VmHWM of the API builder, MB", "< 150 MB", v, have, "%.1f", 150);
    EACH(r[i].disk > 0 && r[i].signed_bytes > 0, (double)r[i].disk / (double)r[i].signed_bytes);
    max_row(t, "disk / signed bytes", "<= 1.6x", v, have, "%.2f", 1.6);
    EACH(r[i].disk_left > 0 && r[i].signed_bytes > 0,
         (double)r[i].disk_left / (double)r[i].signed_bytes);
    max_row(t, "disk as the node left it / signed", "", v, have, "%.2f", 0);
#undef EACH
}

static const char *met_text(int met)
{
    return met < 0 ? "" : met ? "met" : "NOT MET";
}

static void print_table(const table_t *t, const result_t *r)
{
    printf("\n%-40s %16s %16s %9s  %-20s %s\n", "figure", "SMALL", "LARGE", "ratio", "target", "");
    printf("%-40s %16zu %16zu\n", "entries", r[0].total, r[1].total);
    for (size_t i = 0; i < t->n; i++) {
        const row_t *row = &t->rows[i];
        double ratio = ratio_of(row);
        char rt[16] = "";
        if (!isnan(ratio)) {
            snprintf(rt, sizeof rt, "%.2fx", ratio);
        }
        printf("%-40s %16s %16s %9s  %-20s %s\n", row->name, row->have[0] ? row->text[0] : "-",
               row->have[1] ? row->text[1] : "-", rt, row->target, met_text(row->met));
    }
}

static void print_notes(const result_t *r)
{
    static const char *const tags[2] = {"SMALL", "LARGE"};
    for (int i = 0; i < 2; i++) {
        if (!r[i].ran) {
            continue;
        }
        printf("%s: %" PRIu64 " entries held; built %s%s; deep timeline pages down to %zu posts;"
               " %zu groups cursors; audit verify %s (%" PRIu64 " rule violations); catch-up %s"
               " (%" PRIu64 " entries, %.0f s)\n",
               tags[i], r[i].entries, r[i].build.built_at, r[i].build.cached ? " (cached)" : "",
               r[i].deep_depth, r[i].groups_cursors, r[i].audit_done ? "finished" : r[i].audit_note,
               r[i].audit_rules, r[i].catchup_done ? "finished" : "did not finish",
               r[i].catchup_entries, r[i].catchup_s);
    }
}

static json_t *lat_json(const scale_lat_t *l)
{
    return json_pack("{s:f,s:f,s:f,s:I,s:I}", "p50", l->p50, "p99", l->p99, "max", l->max, "n",
                     (json_int_t)l->n, "errors", (json_int_t)l->errors);
}

static json_t *result_json(const result_t *r)
{
    json_t *cold = json_object(), *warm = json_object();
    for (int p = 0; p < P_COUNT; p++) {
        json_object_set_new(cold, scale_probe_name((scale_probe_t)p), lat_json(&r->cold[p]));
        json_object_set_new(warm, scale_probe_name((scale_probe_t)p), lat_json(&r->warm[p]));
    }
    return json_pack(
        "{s:b,s:I,s:I,s:f,s:{s:b,s:s,s:f,s:I,s:I,s:f,s:f,s:I,s:I,s:I},s:I,s:f,s:f,s:o,s:o,s:{s:I,"
        "s:I,s:I,s:I,s:I,s:I,s:I,s:I},s:o,s:o,s:o,s:{s:b,s:b,s:f,s:I,s:I,s:s,s:I},s:{s:b,s:f,s:f,s:"
        "f,s:I},"
        "s:I,s:I,"
        "s:I}",
        "ran", r->ran, "total", (json_int_t)r->total, "entries", (json_int_t)r->entries,
        "raw_verify", r->raw, "build", "cached", r->build.cached, "built_at", r->build.built_at,
        "seconds", r->build.seconds, "via_api", (json_int_t)r->build.via_api, "via_direct",
        (json_int_t)r->build.via_direct, "ingest_rate", r->build.ingest_rate, "raw_at_build",
        r->build.raw_at_build, "broken_known", (json_int_t)r->build.broken_known, "broken_other",
        (json_int_t)r->build.broken_other, "builder_hwm_kb", (json_int_t)r->build.builder_hwm_kb,
        "signed_bytes", (json_int_t)r->signed_bytes, "start_first_s", r->start_first_s, "start_s",
        r->start_s, "cold", cold, "warm", warm, "memory_kb", "rss_restart",
        (json_int_t)r->rss_start, "hwm_restart", (json_int_t)r->hwm_start, "rss_reads",
        (json_int_t)r->rss_reads, "hwm_reads", (json_int_t)r->hwm_reads, "anon_reads",
        (json_int_t)r->anon_reads, "anon_catchup", (json_int_t)r->anon_catchup, "rss_catchup",
        (json_int_t)r->rss_catchup, "hwm_catchup", (json_int_t)r->hwm_catchup, "status_idle",
        lat_json(&r->idle), "status_audit", lat_json(&r->audit), "status_catchup",
        lat_json(&r->catchup_status), "audit", "done", r->audit_done, "integrity_ok", r->audit_ok,
        "seconds", r->audit_s, "entries", (json_int_t)r->audit_entries, "rule_violations",
        (json_int_t)r->audit_rules, "note", r->audit_note, "rss_kb", (json_int_t)r->audit_rss_kb,
        "catchup", "done", r->catchup_done, "seconds", r->catchup_s, "rate", r->catchup_rate,
        "rate_from_start", r->catchup_rate_start, "entries", (json_int_t)r->catchup_entries,
        "disk_bytes", (json_int_t)r->disk, "disk_left_bytes", (json_int_t)r->disk_left,
        "deep_depth", (json_int_t)r->deep_depth, "groups_cursors", (json_int_t)r->groups_cursors);
}

static void print_json(const table_t *t, const result_t *r)
{
    json_t *rows = json_array();
    for (size_t i = 0; i < t->n; i++) {
        const row_t *row = &t->rows[i];
        double ratio = ratio_of(row);
        json_array_append_new(
            rows, json_pack("{s:s,s:o,s:o,s:o,s:s,s:o}", "figure", row->name, "small",
                            row->have[0] ? json_real(row->v[0]) : json_null(), "large",
                            row->have[1] ? json_real(row->v[1]) : json_null(), "ratio",
                            isnan(ratio) ? json_null() : json_real(ratio), "target", row->target,
                            "met", row->met < 0 ? json_null() : json_boolean(row->met)));
    }
    json_t *all = json_pack("{s:o,s:o,s:o}", "small", result_json(&r[0]), "large",
                            result_json(&r[1]), "rows", rows);
    char *text = json_dumps(all, JSON_INDENT(1));
    if (text != NULL) {
        printf("%s\n", text);
    }
    free(text);
    json_decref(all);
}

/* ----------------------------------------------------------------- main -- */

static void usage(void)
{
    fprintf(stderr, "usage: bench_scale RAISOND WORK [SIZE] [--small N] [--rebuild] [--json]"
                    " [--via auto|api|direct] [--api-limit SECONDS]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        usage();
    }
    opts_t o = {.raisond = argv[1],
                .work = argv[2],
                .build = {.via = SCALE_VIA_AUTO, .api_limit_s = 1200, .inflight = 512}};
    size_t sizes[2] = {SMALL_DEFAULT, LARGE_DEFAULT};
    for (int i = 3; i < argc; i++) {
        const char *a = argv[i];
        bool more = i + 1 < argc;
        if (strcmp(a, "--rebuild") == 0) {
            o.build.rebuild = true;
        } else if (strcmp(a, "--json") == 0) {
            o.json = true;
        } else if (strcmp(a, "--small") == 0 && more) {
            sizes[0] = (size_t)bench_arg(argc, argv, ++i, SMALL_DEFAULT, SIZE_MAX_ENTRIES);
        } else if (strcmp(a, "--api-limit") == 0 && more) {
            o.build.api_limit_s = (double)bench_arg(argc, argv, ++i, 1200, 1000000);
        } else if (strcmp(a, "--via") == 0 && more) {
            const char *v = argv[++i];
            o.build.via = strcmp(v, "api") == 0      ? SCALE_VIA_API
                          : strcmp(v, "direct") == 0 ? SCALE_VIA_DIRECT
                                                     : SCALE_VIA_AUTO;
            if (o.build.via == SCALE_VIA_AUTO && strcmp(v, "auto") != 0) {
                usage();
            }
        } else if (a[0] != '-') {
            sizes[1] = (size_t)bench_arg(argc, argv, i, LARGE_DEFAULT, SIZE_MAX_ENTRIES);
        } else {
            usage();
        }
    }
    if (bench_start("bench_scale") != 0) {
        return 1;
    }
    o.build.threads = rsn_cpu_count();
    if (!o.json) {
        bench_print_machine(); /* stdout holds only the JSON object with --json */
    }
    result_t r[2];
    memset(r, 0, sizeof r);
    bool failed = false;
    double t0 = rsn_test_now();
    if (sizes[1] > sizes[0]) {
        failed |= run_store(&o, sizes[0], "SMALL", &r[0]) != 0;
    }
    failed |= run_store(&o, sizes[1], "LARGE", &r[1]) != 0;
    table_t *t = calloc(1, sizeof *t);
    if (t == NULL) {
        return 1;
    }
    build_table(t, r);
    if (o.json) {
        print_json(t, r);
    } else {
        print_table(t, r);
        printf("(latencies p50 / p99 in ms, '!' when some calls failed; ratio = LARGE / SMALL;"
               " targets judged on LARGE; %.0f s in all)\n",
               rsn_test_now() - t0);
        print_notes(r);
    }
    free(t);
    return failed ? 1 : 0;
}
