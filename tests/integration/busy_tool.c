/* busy_tool.c — a node kept busy by `audit verify`, for test_audit_verify_busy.
 *
 * Issue 10: "nothing long in the event loop". The tool fills a running node
 * fast (pre-signed profile entries of many authors, published pipelined
 * through the API, as the benchmarks do: tests/bench/bench_util.h), and then
 * measures what a client sees while the node verifies its whole store:
 *
 *   busy_tool SOCKET fill AUTHORS PER_AUTHOR
 *       publishes AUTHORS x PER_AUTHOR entries; prints "published=N"
 *   busy_tool SOCKET probe SAMPLES
 *       times SAMPLES status calls on an idle node; then sends audit_verify
 *       on one connection and, until its reply comes, times status calls on
 *       another (one every 20 ms) and publishes one new entry there; prints
 *       one line of key=value: idle_p50_ms idle_p99_ms busy_p50_ms
 *       busy_p99_ms busy_max_ms busy_samples running_seen (status said a
 *       verification ran) publish_ms publish_ok verify_entries
 *       verify_integrity_ok verify_elapsed_ms verify_wait_ms
 *
 *   busy_tool SOCKET export SAMPLES ROUNDS
 *       times SAMPLES status calls on an idle node; then, ROUNDS times, on
 *       one connection pipelines every page of 1,024 leaves of the log, each
 *       followed by a status request, as an export that does not wait would;
 *       meanwhile times status calls on another connection (one every 20
 *       ms); checks that the exporter's replies came in the order sent (a
 *       page, its status, the next page) and that the pages cover the log;
 *       prints: idle_p50_ms idle_p99_ms busy_p50_ms busy_p99_ms busy_max_ms
 *       busy_samples pages leaves in_order export_ms
 *
 *   busy_tool SOCKET reindex SAMPLES
 *       times SAMPLES status calls on an idle node; then starts an online
 *       reindex and, until status says it ended, times status calls (one
 *       every 20 ms) and publishes a new entry every fifth sample; prints:
 *       idle_p50_ms idle_p99_ms busy_p50_ms busy_p99_ms busy_max_ms
 *       busy_samples started published publish_ok reindex_ms
 *
 * Exit codes: 0 done (the figures are the test's to judge), 1 a call
 * failed, 2 bad arguments. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench_util.h"

#define SAMPLES_MAX 10000
#define BUSY_EVERY_US 20000 /* between two status calls during the verify */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The Q-quantile (0..1) of the N samples at V (sorted in place). */
static double quantile(double *v, size_t n, double q)
{
    if (n == 0) {
        return 0;
    }
    qsort(v, n, sizeof *v, by_value);
    size_t i = (size_t)(q * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

/* Prints the latency fields every probe starts its line with: idle_p50_ms
 * idle_p99_ms busy_p50_ms busy_p99_ms busy_max_ms busy_samples (no
 * newline; the samples are sorted in place). */
static void print_latency(double *idle, size_t n_idle, double *busy, size_t n_busy)
{
    double busy_max = 0;
    for (size_t i = 0; i < n_busy; i++) {
        busy_max = busy[i] > busy_max ? busy[i] : busy_max;
    }
    double idle_p50 = quantile(idle, n_idle, 0.5);
    double idle_p99 = quantile(idle, n_idle, 0.99);
    double busy_p50 = quantile(busy, n_busy, 0.5);
    double busy_p99 = quantile(busy, n_busy, 0.99);
    printf("idle_p50_ms=%.2f idle_p99_ms=%.2f busy_p50_ms=%.2f busy_p99_ms=%.2f "
           "busy_max_ms=%.2f busy_samples=%zu",
           idle_p50, idle_p99, busy_p50, busy_p99, busy_max, n_busy);
}

/* One status call on CLIENT: its time in ms into *MS, RUNNING from the reply. */
static int timed_status(rsn_client_t *client, double *ms, bool *running)
{
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__StatusRequest s = RAISON__STATUS_REQUEST__INIT;
    req.call_case = RAISON__API_REQUEST__CALL_STATUS;
    req.status = &s;
    Raison__ApiReply *reply = NULL;
    double t0 = now_ms();
    int rc = rsn_test_api_call(client, &req, RAISON__API_REPLY__RESULT_STATUS, &reply);
    *ms = now_ms() - t0;
    if (rc == 0 && running) {
        *running = reply->status->audit_verify_running;
    }
    rsn_test_reply_free(reply);
    return rc;
}

/* Connects CLIENT to SOCKET and times SAMPLES status calls on it into
 * IDLE: 0, or 1 (said). */
static int idle_samples(rsn_client_t **client, const char *socket, double *idle, long samples)
{
    if (rsn_client_connect(client, socket, 60 * 1000) != 0) {
        fprintf(stderr, "busy_tool: cannot connect to %s\n", socket);
        return 1;
    }
    for (long i = 0; i < samples; i++) {
        if (timed_status(*client, &idle[i], NULL) != 0) {
            return 1;
        }
    }
    return 0;
}

static int fill(const char *socket, long authors, long per_author)
{
    bench_set_t set = {0};
    rsn_client_t *client = NULL;
    if (rsn_client_connect(&client, socket, 60 * 1000) != 0) {
        fprintf(stderr, "busy_tool: cannot connect to %s\n", socket);
        return 1;
    }
    if (bench_set_make(&set, (size_t)authors, (size_t)per_author) != 0) {
        rsn_client_destroy(&client);
        return 1;
    }
    double rate = bench_publish_all(client, set.order, set.n, 64);
    if (rate >= 0) {
        printf("published=%zu\n", set.n);
    }
    bench_set_free(&set);
    rsn_client_destroy(&client);
    return rate < 0 ? 1 : 0;
}

/* Publishes one entry of a new author on CLIENT: its time into *MS. */
static int publish_one(rsn_client_t *client, double *ms, bool *ok)
{
    bench_set_t one = {0};
    if (bench_set_make(&one, 1, 1) != 0) {
        return 1;
    }
    Raison__ApiReply *reply = NULL;
    double t0 = now_ms();
    int rc = rsn_test_api_publish(client, one.order[0], true, &reply);
    *ms = now_ms() - t0;
    *ok = rc == 0 && rsn_test_api_acknowledges(reply, one.order[0], 0, false);
    rsn_test_reply_free(reply);
    bench_set_free(&one);
    return rc == 0 ? 0 : 1;
}

static int probe(const char *socket, long samples)
{
    rsn_client_t *verifier = NULL, *client = NULL;
    static double idle[SAMPLES_MAX], busy[SAMPLES_MAX];
    size_t n_busy = 0;
    int code = 1;
    if (rsn_client_connect(&verifier, socket, 10 * 60 * 1000) != 0 ||
        idle_samples(&client, socket, idle, samples) != 0) {
        goto out;
    }
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__AuditVerifyRequest vr = RAISON__AUDIT_VERIFY_REQUEST__INIT;
    req.call_case = RAISON__API_REQUEST__CALL_AUDIT_VERIFY;
    req.audit_verify = &vr;
    double started = now_ms();
    if (rsn_client_send(verifier, &req, NULL) != 0) {
        goto out;
    }
    bool running_seen = false, published = false, publish_ok = false;
    double publish_ms = -1;
    Raison__ApiReply *result = NULL;
    while (!result) {
        int rc = rsn_client_recv_timeout(verifier, &result, BUSY_EVERY_US / 1000);
        if (rc == 0) {
            break;
        }
        if (rc != RSN_ERR_TIMEOUT) {
            goto out;
        }
        bool running = false;
        if (n_busy < SAMPLES_MAX && timed_status(client, &busy[n_busy], &running) != 0) {
            goto out;
        }
        n_busy += n_busy < SAMPLES_MAX;
        running_seen |= running;
        if (!published && n_busy == 3) {
            published = true;
            if (publish_one(client, &publish_ms, &publish_ok) != 0) {
                goto out;
            }
        }
    }
    double wait_ms = now_ms() - started;
    if (result->result_case != RAISON__API_REPLY__RESULT_AUDIT_VERIFY) {
        fprintf(stderr, "busy_tool: the verification answered result %d\n",
                (int)result->result_case);
        rsn_test_reply_free(result);
        goto out;
    }
    const Raison__AuditVerifyReply *v = result->audit_verify;
    double busy_max = 0;
    for (size_t i = 0; i < n_busy; i++) {
        busy_max = busy[i] > busy_max ? busy[i] : busy_max;
    }
    double idle_p50 = quantile(idle, (size_t)samples, 0.5);
    double idle_p99 = quantile(idle, (size_t)samples, 0.99);
    double busy_p50 = quantile(busy, n_busy, 0.5);
    double busy_p99 = quantile(busy, n_busy, 0.99);
    printf("idle_p50_ms=%.2f idle_p99_ms=%.2f busy_p50_ms=%.2f busy_p99_ms=%.2f "
           "busy_max_ms=%.2f busy_samples=%zu running_seen=%d publish_ms=%.2f publish_ok=%d "
           "verify_entries=%llu verify_integrity_ok=%d verify_elapsed_ms=%llu "
           "verify_wait_ms=%.0f\n",
           idle_p50, idle_p99, busy_p50, busy_p99, busy_max, n_busy, running_seen, publish_ms,
           publish_ok, (unsigned long long)v->entries, v->integrity_ok,
           (unsigned long long)v->elapsed_ms, wait_ms);
    rsn_test_reply_free(result);
    code = 0;
out:
    rsn_client_destroy(&client);
    rsn_client_destroy(&verifier);
    return code;
}

#define PAGE_LEAVES 1024
#define PAGES_MAX 512

/* One round of an export on EXPORTER: LOG_SIZE leaves in pages, each page
 * followed by a status request, all sent at once; status timed on CLIENT
 * into BUSY (*N_BUSY) until every reply came. *IN_ORDER false when a reply
 * came out of order or a page did not start where asked. */
static int export_round(rsn_client_t *exporter, rsn_client_t *client, uint64_t log_size,
                        double *busy, size_t *n_busy, size_t *pages, uint64_t *leaves,
                        bool *in_order)
{
    size_t n_pages = (size_t)((log_size + PAGE_LEAVES - 1) / PAGE_LEAVES);
    static uint64_t ids[2 * PAGES_MAX];
    if (n_pages > PAGES_MAX) {
        fprintf(stderr, "busy_tool: %zu pages are more than %d\n", n_pages, PAGES_MAX);
        return 1;
    }
    for (size_t p = 0; p < n_pages; p++) {
        Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
        Raison__LeavesRequest lr = RAISON__LEAVES_REQUEST__INIT;
        lr.from_index = p * PAGE_LEAVES;
        lr.limit = PAGE_LEAVES;
        lr.tree_size = log_size;
        req.call_case = RAISON__API_REQUEST__CALL_LEAVES;
        req.leaves = &lr;
        Raison__ApiRequest sreq = RAISON__API_REQUEST__INIT;
        Raison__StatusRequest sr = RAISON__STATUS_REQUEST__INIT;
        sreq.call_case = RAISON__API_REQUEST__CALL_STATUS;
        sreq.status = &sr;
        if (rsn_client_send(exporter, &req, &ids[2 * p]) != 0 ||
            rsn_client_send(exporter, &sreq, &ids[2 * p + 1]) != 0) {
            return 1;
        }
    }
    double next_sample = now_ms();
    for (size_t got = 0; got < 2 * n_pages;) {
        int wait = (int)(next_sample - now_ms());
        Raison__ApiReply *reply = NULL;
        int rc = rsn_client_recv_timeout(exporter, &reply, wait > 0 ? wait : 0);
        if (rc == 0) {
            size_t p = got / 2;
            bool page = got % 2 == 0;
            if (reply->request_id != ids[got] ||
                reply->result_case !=
                    (page ? RAISON__API_REPLY__RESULT_LEAVES : RAISON__API_REPLY__RESULT_STATUS) ||
                (page && (reply->leaves->n_leaves == 0 ||
                          reply->leaves->leaves[0]->index != p * PAGE_LEAVES))) {
                *in_order = false;
            }
            if (page && reply->result_case == RAISON__API_REPLY__RESULT_LEAVES) {
                *leaves += reply->leaves->n_leaves;
                (*pages)++;
            }
            rsn_test_reply_free(reply);
            got++;
            continue;
        }
        if (rc != RSN_ERR_TIMEOUT) {
            return 1;
        }
        if (*n_busy < SAMPLES_MAX && timed_status(client, &busy[*n_busy], NULL) != 0) {
            return 1;
        }
        *n_busy += *n_busy < SAMPLES_MAX;
        next_sample = now_ms() + BUSY_EVERY_US / 1000.0;
    }
    return 0;
}

static int export_probe(const char *socket, long samples, long rounds)
{
    rsn_client_t *exporter = NULL, *client = NULL;
    static double idle[SAMPLES_MAX], busy[SAMPLES_MAX];
    size_t n_busy = 0, pages = 0;
    uint64_t leaves = 0;
    bool in_order = true;
    int code = 1;
    if (rsn_client_connect(&exporter, socket, 10 * 60 * 1000) != 0 ||
        idle_samples(&client, socket, idle, samples) != 0) {
        goto out;
    }
    Raison__ApiReply *st = NULL;
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__StatusRequest sr = RAISON__STATUS_REQUEST__INIT;
    req.call_case = RAISON__API_REQUEST__CALL_STATUS;
    req.status = &sr;
    if (rsn_test_api_call(client, &req, RAISON__API_REPLY__RESULT_STATUS, &st) != 0) {
        goto out;
    }
    uint64_t log_size = st->status->log_size;
    rsn_test_reply_free(st);
    double started = now_ms();
    for (long r = 0; r < rounds; r++) {
        if (export_round(exporter, client, log_size, busy, &n_busy, &pages, &leaves, &in_order) !=
            0) {
            goto out;
        }
    }
    double export_ms = now_ms() - started;
    print_latency(idle, (size_t)samples, busy, n_busy);
    printf(" pages=%zu leaves=%llu in_order=%d export_ms=%.0f\n", pages, (unsigned long long)leaves,
           in_order, export_ms);
    code = 0;
out:
    rsn_client_destroy(&client);
    rsn_client_destroy(&exporter);
    return code;
}

#define REINDEX_PUBLISHES 64 /* entries published during a reindex at most */

static int reindex_probe(const char *socket, long samples)
{
    rsn_client_t *client = NULL;
    static double idle[SAMPLES_MAX], busy[SAMPLES_MAX];
    size_t n_busy = 0, published = 0, acked = 0;
    bench_set_t set = {0};
    int code = 1;
    Raison__ApiReply *reply = NULL;
    if (bench_set_make(&set, REINDEX_PUBLISHES, 1) != 0 ||
        idle_samples(&client, socket, idle, samples) != 0) {
        goto out;
    }
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__ReindexRequest rr = RAISON__REINDEX_REQUEST__INIT;
    req.call_case = RAISON__API_REQUEST__CALL_REINDEX;
    req.reindex = &rr;
    double started = now_ms();
    if (rsn_test_api_call(client, &req, RAISON__API_REPLY__RESULT_REINDEX, &reply) != 0) {
        goto out;
    }
    bool was_started = reply->reindex->started;
    rsn_test_reply_free(reply);
    reply = NULL;
    for (bool running = true; running && n_busy < SAMPLES_MAX;) {
        Raison__ApiRequest sreq = RAISON__API_REQUEST__INIT;
        Raison__StatusRequest sr = RAISON__STATUS_REQUEST__INIT;
        sreq.call_case = RAISON__API_REQUEST__CALL_STATUS;
        sreq.status = &sr;
        double t0 = now_ms();
        if (rsn_test_api_call(client, &sreq, RAISON__API_REPLY__RESULT_STATUS, &reply) != 0) {
            goto out;
        }
        busy[n_busy++] = now_ms() - t0;
        running = reply->status->reindex_running;
        rsn_test_reply_free(reply);
        reply = NULL;
        if (running && n_busy % 5 == 0 && published < set.n) {
            if (rsn_test_api_publish(client, set.order[published], true, &reply) != 0) {
                goto out;
            }
            acked += rsn_test_api_acknowledges(reply, set.order[published], 0, false);
            published++;
            rsn_test_reply_free(reply);
            reply = NULL;
        }
        usleep(BUSY_EVERY_US);
    }
    double reindex_ms = now_ms() - started;
    print_latency(idle, (size_t)samples, busy, n_busy);
    printf(" started=%d published=%zu publish_ok=%d reindex_ms=%.0f\n", was_started, published,
           acked == published, reindex_ms);
    code = 0;
out:
    rsn_test_reply_free(reply);
    bench_set_free(&set);
    rsn_client_destroy(&client);
    return code;
}

int main(int argc, char **argv)
{
    if (bench_start("busy_tool") != 0) {
        return 1;
    }
    if (argc == 5 && strcmp(argv[2], "fill") == 0) {
        return fill(argv[1], bench_arg(argc, argv, 3, 1, 100000),
                    bench_arg(argc, argv, 4, 1, 100000));
    }
    if (argc == 4 && strcmp(argv[2], "probe") == 0) {
        return probe(argv[1], bench_arg(argc, argv, 3, 20, SAMPLES_MAX));
    }
    if (argc == 5 && strcmp(argv[2], "export") == 0) {
        return export_probe(argv[1], bench_arg(argc, argv, 3, 20, SAMPLES_MAX),
                            bench_arg(argc, argv, 4, 1, 100));
    }
    if (argc == 4 && strcmp(argv[2], "reindex") == 0) {
        return reindex_probe(argv[1], bench_arg(argc, argv, 3, 20, SAMPLES_MAX));
    }
    fprintf(stderr, "usage: busy_tool SOCKET fill AUTHORS PER_AUTHOR | probe SAMPLES | "
                    "export SAMPLES ROUNDS | reindex SAMPLES\n");
    return 2;
}
