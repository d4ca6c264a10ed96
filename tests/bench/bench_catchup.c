/* bench_catchup.c — how fast a node with an empty store catches up with a
 * peer, against the raw cost of verifying what it pulls.
 *
 * Issue 3's catch-up benchmark: "a node with an empty store pulls 100,000
 * entries of 1,000 authors from a peer: entries per second, beside the raw
 * verification rate measured in the same run. Target: ratio >= 0.8."
 *
 * Pre-signs AUTHORS x PER_AUTHOR chained profile entries, starts a source
 * node (raisond RAISOND, data under WORK) that trusts the empty node's key,
 * publishes them all to it through the API with INFLIGHT requests in flight,
 * and waits until its status counts them. It then measures the raw
 * single-thread rate of rsn_entry_verify over those very entries (2 s), starts
 * the empty node dialling the source, and polls its status every 20 ms until
 * it counts every entry. Two rates are printed: from the start of the empty
 * node's process, and from the first poll that shows its link up (start-up
 * and handshake excluded); the ratio is taken against the raw rate measured
 * just before the catch-up, and the raw rate measured again just after it is
 * printed too, as a sign of how noisy the machine was. As a diagnosis, the
 * pauses during which the polls saw no new entry for GAP_S or more are
 * counted and summed (a catch-up paced by timers rather than by work shows
 * up there).
 *
 *   bench_catchup RAISOND WORK [AUTHORS=1000] [PER_AUTHOR=100] [INFLIGHT=512]
 *
 * Not a test: it asserts nothing about time. It exits 1 when the setup fails
 * or the catch-up stalls (no progress for STALL_S seconds), printing both
 * nodes' peer counters and the empty node's log. */
#include "bench_util.h"

#define VERIFY_SECONDS 2.0
#define POLL_MS 20
#define STALL_S 30.0  /* no new entry for this long: the catch-up stalled */
#define LIMIT_S 300.0 /* the whole catch-up may take at most this */
#define GAP_S 0.2     /* a pause without progress this long is counted */

int main(int argc, char **argv)
{
    int status = 1;
    bench_set_t set = {0};
    rsn_client_t *ca = NULL;
    rsn_client_t *cb = NULL;
    rsn_test_node_t a = {0};
    rsn_test_node_t b = {0};

    if (argc < 3) {
        fprintf(stderr, "usage: bench_catchup RAISOND WORK [AUTHORS] [PER_AUTHOR] [INFLIGHT]\n");
        return 2;
    }
    const char *raisond = argv[1];
    const char *work = argv[2];
    size_t authors = (size_t)bench_arg(argc, argv, 3, 1000, 100000);
    size_t per_author = (size_t)bench_arg(argc, argv, 4, 100, 100000);
    size_t inflight = (size_t)bench_arg(argc, argv, 5, 512, 100000);
    size_t n = authors * per_author;
    if (n > 2000000) {
        fprintf(stderr, "bench_catchup: %zu entries is too many\n", n);
        return 2;
    }

    if (bench_start("bench_catchup") != 0) {
        return 1;
    }
    bench_print_machine();
    if (bench_set_make(&set, authors, per_author) != 0) {
        goto out;
    }
    printf("presigned %zu entries of %zu authors\n", n, authors);
    fflush(stdout);

    if (rsn_test_node_init(&a, raisond, work, "source") != 0 ||
        rsn_test_node_init(&b, raisond, work, "empty") != 0 ||
        rsn_test_node_peer(&a, &b, false) != 0 || rsn_test_node_peer(&b, &a, true) != 0 ||
        rsn_test_node_start(&a, raisond) != 0 || rsn_test_node_connect(&a, &ca, 30) != 0) {
        goto out;
    }
    double fill = bench_publish_all(ca, set.order, n, inflight);
    if (fill < 0) {
        goto out;
    }
    uint64_t entries = 0;
    uint32_t connected = 0;
    if (rsn_test_api_status(ca, &entries, &connected) != 0) {
        goto out;
    }
    if (entries != n) {
        fprintf(stderr, "bench_catchup: the source counts %" PRIu64 " entries, not %zu\n", entries,
                n);
        goto out;
    }
    printf("source filled: %zu entries at %.0f entries/s through the API\n", n, fill);
    fflush(stdout);

    double raw = bench_raw_verify_rate(set.all, n, VERIFY_SECONDS);
    printf("raw verify: %.0f/s (rsn_entry_verify, one thread, %.0f s, just before)\n", raw,
           VERIFY_SECONDS);
    fflush(stdout);

    double t_start = rsn_test_now();
    if (rsn_test_node_start(&b, raisond) != 0 || rsn_test_node_connect(&b, &cb, 30) != 0) {
        goto out;
    }
    double t_api = rsn_test_now();
    double t_link = 0;
    double t_progress = t_api;
    double t_done = 0;
    double t_report = t_api;
    uint64_t last = 0;
    double gaps = 0; /* seconds spent in pauses of GAP_S or more without progress */
    int n_gaps = 0;
    double longest = 0;
    entries = 0;
    for (;;) {
        if (rsn_test_api_status(cb, &entries, &connected) != 0) {
            goto out;
        }
        double now = rsn_test_now();
        if (t_link == 0 && connected > 0) {
            t_link = now;
        }
        if (entries != last) {
            if (last > 0 && now - t_progress >= GAP_S) {
                gaps += now - t_progress;
                n_gaps++;
                longest = now - t_progress > longest ? now - t_progress : longest;
            }
            last = entries;
            t_progress = now;
        }
        if (entries >= n) {
            t_done = now;
            break;
        }
        if (now - t_report >= 10) {
            t_report = now;
            fprintf(stderr, "  ... %.0f s: %" PRIu64 " entries\n", now - t_start, entries);
        }
        if (now - t_progress > STALL_S || now - t_start > LIMIT_S) {
            fprintf(stderr,
                    "bench_catchup: STALLED: the empty node holds %" PRIu64 " of %zu entries,"
                    " none new for %.0f s (%.0f s since start)\n",
                    entries, n, now - t_progress, now - t_start);
            bench_print_peers(ca, "source");
            bench_print_peers(cb, "empty");
            rsn_test_node_tail(&b);
            rsn_test_node_tail(&a);
            goto out;
        }
        rsn_test_sleep_ms(POLL_MS);
    }
    double raw_after = bench_raw_verify_rate(set.all, n, VERIFY_SECONDS);
    double from_start = (double)n / (t_done - t_start);
    /* the link seen up only by the poll that saw everything: no figure */
    bool link_known = t_link > 0 && t_link < t_done;
    double from_link = link_known ? (double)n / (t_done - t_link) : from_start;
    if (!link_known) {
        printf("(the link came up between two polls with everything: rate from link up ="
               " rate from start)\n");
    }

    printf("raw verify after: %.0f/s (the same measure, just after)\n", raw_after);
    printf("empty node: API up %.2f s after start, link up %.2f s after start, all %zu entries"
           " %.2f s after start\n",
           t_api - t_start, t_link > 0 ? t_link - t_start : -1.0, n, t_done - t_start);
    printf("catch-up: %.0f entries/s from link up (%.0f/s from process start)"
           "  raw verify: %.0f/s  ratio: %.2f (%.2f from start)  (target >= 0.8)"
           "  [%zu entries, %zu authors]\n",
           from_link, from_start, raw, from_link / raw, from_start / raw, n, authors);
    printf("pauses: %d pauses of %.1f s or more without a new entry, %.2f s in all (%.0f%% of"
           " the catch-up), longest %.2f s\n",
           n_gaps, GAP_S, gaps, 100 * gaps / (t_done - t_start), longest);
    fprintf(stderr, "peer counters at the end:\n");
    bench_print_peers(ca, "source");
    bench_print_peers(cb, "empty");
    status = 0;
out:
    rsn_client_destroy(&ca);
    rsn_client_destroy(&cb);
    rsn_test_node_stop(&b);
    rsn_test_node_stop(&a);
    bench_set_free(&set);
    return status;
}
