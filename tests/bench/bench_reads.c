/* bench_reads.c — bench_scale's read probes (scale_read.h) alone, against a
 * node already running on a copy of one of its stores: for comparing two
 * builds of raisond on the same store (before and after a change) without
 * building the store again, whose cache is keyed by store/keys.h.
 *
 *   bench_reads SOCKET MANIFEST [ROUNDS=1] [PROBE]
 *
 * MANIFEST is the store's manifest.json (the keys the probes name). Each
 * round runs every probe (or those whose name starts with PROBE) cold then warm and prints one line
 * per probe: p50, p99 and max in milliseconds. Not a test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scale_read.h"
#include "scale_store.h"
#include "support/clock.h"

#define CALL_TIMEOUT_MS 60000
#define COLLECT_SECONDS 20.0
#define PROBE_CAP_SECONDS 20.0
#define DEEP_TARGET 3000

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_reads SOCKET MANIFEST [ROUNDS] [PROBE]\n");
        return 2;
    }
    int rounds = argc > 3 ? atoi(argv[3]) : 1;
    const char *only = argc > 4 ? argv[4] : "";
    static scale_facts_t facts;
    static scale_keys_t keys;
    rsn_client_t *c = NULL;
    if (scale_store_read_facts(argv[2], &facts) != 0) {
        fprintf(stderr, "bench_reads: cannot read the facts of %s\n", argv[2]);
        return 1;
    }
    if (rsn_client_connect(&c, argv[1], CALL_TIMEOUT_MS) != 0) {
        fprintf(stderr, "bench_reads: cannot connect to %s\n", argv[1]);
        return 1;
    }
    keys.facts = &facts;
    scale_keys_collect(c, &keys, DEEP_TARGET, COLLECT_SECONDS);
    for (int r = 0; r < rounds; r++) {
        for (int p = 0; p < P_COUNT; p++) {
            scale_lat_t cold, warm;
            if (strncmp(scale_probe_name((scale_probe_t)p), only, strlen(only)) != 0) {
                continue;
            }
            scale_probe_run(c, &keys, (scale_probe_t)p, true, PROBE_CAP_SECONDS, &cold);
            scale_probe_run(c, &keys, (scale_probe_t)p, false, PROBE_CAP_SECONDS, &warm);
            printf("%-20s cold p50 %7.2f p99 %7.2f | warm p50 %7.2f p99 %7.2f max %7.2f (%zu "
                   "calls, %zu errors)\n",
                   scale_probe_name((scale_probe_t)p), cold.p50, cold.p99, warm.p50, warm.p99,
                   warm.max, warm.n, cold.errors + warm.errors);
        }
    }
    rsn_client_destroy(&c);
    return 0;
}
