/* bench_util.h — what the benchmarks share beyond tests/support/.
 *
 * Starting nodes, the API calls and signing entries are tests/support/'s
 * (support/node.h, support/api.h, support/entries.h), shared with the
 * integration tools. What is only the benchmarks' is here: a set of
 * pre-signed profile entries of many authors in a round-robin publishing
 * order, the raw single-thread rate of rsn_entry_verify over them (the
 * baseline every figure is printed beside), a pipelined publish that gives
 * its rate, the peers' counters on stderr, the machine line, and argument
 * parsing. Benchmarks are not tests: these helpers print what went wrong
 * and return an error, they never judge a figure. */
#ifndef RSN_BENCH_UTIL_H
#define RSN_BENCH_UTIL_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/log.h"
#include "crypto/crypto.h"
#include "crypto/keypair.h"
#include "net/client.h"
#include "support/api.h"
#include "support/clock.h"
#include "support/entries.h"
#include "support/node.h"

/* AUTHORS x PER_AUTHOR pre-signed, chained profile entries: all[a *
 * per_author + s] is seq s+1 of author a (key keys[a]); order[] lists them
 * round robin over the authors, each author's feed in seq order. */
typedef struct {
    size_t authors;
    size_t per_author;
    size_t n;
    rsn_keypair_t **keys;
    rsn_test_signed_t *all;
    rsn_test_signed_t **order;
    rsn_arena_t *arena;
} bench_set_t;

/* Says "NAME: ..." on failures, sets the log level and starts libsodium: 0,
 * or -1 after printing why. */
int bench_start(const char *name);

/* Parses argv[I] as a count in [1, MAX], or FALLBACK when absent; exits 2 on
 * a bad value. */
long bench_arg(int argc, char **argv, int i, long fallback, long max);

/* Generates the keys and signs the entries of SET (bench_set_t above). 0,
 * or -1 after printing why; bench_set_free in both cases. */
int bench_set_make(bench_set_t *set, size_t authors, size_t per_author);

/* Frees what bench_set_make made; accepts a zeroed set. */
void bench_set_free(bench_set_t *set);

/* Verifies the N entries of ALL round and round, one thread, for SECONDS;
 * the rate per second. Exits 1 if one does not verify (our bug). */
double bench_raw_verify_rate(const rsn_test_signed_t *all, size_t n, double seconds);

/* Publishes ORDER's N entries keeping INFLIGHT requests in flight, each
 * reply a fresh ack of what was sent; the rate per second, or a negative
 * number after printing why. */
double bench_publish_all(rsn_client_t *client, rsn_test_signed_t *const *order, size_t n,
                         size_t inflight);

/* Prints one line per peer of the node behind CLIENT to stderr. */
void bench_print_peers(rsn_client_t *client, const char *who);

/* Prints the machine line every benchmark starts with, and makes stdout line
 * buffered so that it interleaves with stderr in order. */
void bench_print_machine(void);

#endif
