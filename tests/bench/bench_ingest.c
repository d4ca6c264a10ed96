/* bench_ingest.c — how fast a node ingests published entries, against the
 * raw cost of verifying them.
 *
 * Pre-signs AUTHORS x PER_AUTHOR profile entries (chained seq and prev per
 * author), measures the raw single-thread rate of rsn_entry_verify over those
 * very entries, then publishes them all to a running node through the API
 * client library, keeping INFLIGHT requests in flight on the one DEALER
 * socket (round robin over authors, each author's entries in seq order). The
 * ingest rate runs from the first send to the last acknowledgement; every
 * reply must be a fresh, acknowledged publish of the id that was sent. The
 * figure is printed beside the raw rate and their ratio (DESIGN.md, "Cost
 * model": a new entry should cost one verification plus small change).
 *
 *   bench_ingest SOCKET [AUTHORS=100] [PER_AUTHOR=200] [INFLIGHT=512]
 *
 * Not a test: it asserts nothing about time. It exits 1 when a publish is
 * refused or lost. Presigning, the raw rate and the pipelined publish are
 * the shared helpers of bench_util.h (over tests/support/). */
#include <stdio.h>
#include <stdlib.h>

#include "bench_util.h"

#define VERIFY_SECONDS 2.0
#define MAX_COUNT 1000000

int main(int argc, char **argv)
{
    int status = 1;
    bench_set_t set = {0};
    rsn_client_t *client = NULL;

    if (argc < 2) {
        fprintf(stderr, "usage: bench_ingest SOCKET [AUTHORS] [PER_AUTHOR] [INFLIGHT]\n");
        return 2;
    }
    size_t authors = (size_t)bench_arg(argc, argv, 2, 100, MAX_COUNT);
    size_t per_author = (size_t)bench_arg(argc, argv, 3, 200, MAX_COUNT);
    size_t inflight = (size_t)bench_arg(argc, argv, 4, 512, MAX_COUNT);
    size_t n = authors * per_author;

    if (bench_start("bench_ingest") != 0) {
        return 1;
    }
    if (bench_set_make(&set, authors, per_author) != 0) {
        goto out;
    }
    printf("presigned %zu entries of %zu authors\n", n, authors);

    double raw = bench_raw_verify_rate(set.all, n, VERIFY_SECONDS);
    printf("raw verify: %.0f/s (rsn_entry_verify, one thread, %.0f s)\n", raw, VERIFY_SECONDS);
    fflush(stdout);

    int rc = rsn_client_connect(&client, argv[1], RSN_TEST_API_TIMEOUT_MS);
    if (rc != 0) {
        fprintf(stderr, "bench_ingest: cannot connect to %s: %s\n", argv[1], rsn_strerror(rc));
        goto out;
    }
    double ingest = bench_publish_all(client, set.order, n, inflight);
    if (ingest < 0) {
        goto out;
    }
    printf("ingest: %.0f entries/s  raw verify: %.0f/s  ratio: %.2f  (target >= 0.8)"
           "  [%zu entries, %zu authors, %zu in flight]\n",
           ingest, raw, ingest / raw, n, authors, inflight);
    status = 0;
out:
    rsn_client_destroy(&client);
    bench_set_free(&set);
    return status;
}
