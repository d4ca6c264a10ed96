/* bench_audit.c — what the audit costs: verifying a whole store against the
 * raw verification rate, and checkpoints and proofs on a large log.
 *
 * Issue 4's benchmarks: "`audit verify` over 100,000 entries: entries per
 * second beside the raw verification rate of the same run (target ratio >=
 * 0.8 against one core's raw rate; both cores may be used). Checkpoint
 * signing and a consistency proof at 1,000,000 leaves: microseconds each
 * (O(log n))."
 *
 * Part 1 pre-signs AUTHORS x PER_AUTHOR chained profile entries, publishes
 * them to a node (raisond RAISOND, data under WORK) through the API with
 * INFLIGHT requests in flight, and measures the raw single-thread rate of
 * rsn_entry_verify over those very entries. It then times `audit verify` two
 * ways, RUNS times each: ONLINE, the audit_verify API call to the running
 * node (the rate uses the node's own elapsed_ms; the client's round trip is
 * printed beside it), and OFFLINE, `raisond verify --data DIR --json` on the
 * stopped node (the rate uses the process's wall time, start-up and the
 * opening of the database included, and its elapsed_ms is printed beside
 * it). The ratio is taken against the raw rate measured just before; the raw
 * rate measured again after is printed as a sign of how noisy the machine
 * was.
 *
 * Part 2 builds a real store (store/store.h, WORK/tree) of LEAVES leaves
 * appended through the Merkle frontier, writing every complete subtree under
 * 'T' as ingest does (node/d_ingest.c), and reads them back through
 * rsn_tree_get. It then times, each as the median (and p99) over SAMPLES
 * runs: signing a checkpoint (text and signed note, root from the frontier,
 * as the node signs), the same with the root read from the store
 * (rsn_merkle_root_at), a consistency proof from a random older size to
 * LEAVES, its verification, and an inclusion proof of a random leaf; and the
 * same proofs at LEAVES / 1000 leaves, to show the O(log n) growth.
 *
 *   bench_audit RAISOND WORK [AUTHORS=1000] [PER_AUTHOR=100] [INFLIGHT=512]
 *                            [LEAVES=1000000] [RUNS=3]
 *
 * Not a test: it asserts nothing about time. It exits 1 when the setup fails,
 * a node refuses or loses a publish, the audit does not hold, or a proof
 * does not verify (our bug). */
#include "bench_util.h"

#include "crypto/merkle.h"
#include "crypto/note.h"
#include "daemon/ingest.h"
#include "store/keys.h"
#include "store/store.h"
#include "store/tlog.h"

#define VERIFY_SECONDS 2.0
#define SAMPLES 2001
#define FILL_BATCH 8192 /* leaves per write batch while building the tree */
#define MAX_RUNS 20

/* --- small helpers ------------------------------------------------------------ */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Sorts the N samples and prints "WHAT: median M us (p99 P us, min L us)". */
static void print_us(const char *what, double *samples, size_t n)
{
    qsort(samples, n, sizeof *samples, cmp_double);
    printf("  %-50s median %8.2f us  (p99 %8.2f us, min %8.2f us)\n", what, samples[n / 2] * 1e6,
           samples[n * 99 / 100] * 1e6, samples[0] * 1e6);
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return v[n / 2];
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

/* A pseudo-random number in [0, BOUND) (xorshift64*; BOUND > 0). */
static uint64_t rng(uint64_t bound)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (rng_state * 2685821657736338717ULL) % bound;
}

/* --- part 1: audit verify of a node's store -------------------------------------- */

/* One audit_verify call: 0 with the node's ELAPSED_MS and the client's round
 * trip in *ROUND_S; -1 when it failed or the integrity does not hold. */
static int online_verify(rsn_client_t *client, size_t n, uint64_t *elapsed_ms, double *round_s)
{
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__AuditVerifyRequest av = RAISON__AUDIT_VERIFY_REQUEST__INIT;
    Raison__ApiReply *reply = NULL;
    req.call_case = RAISON__API_REQUEST__CALL_AUDIT_VERIFY;
    req.audit_verify = &av;
    double start = rsn_test_now();
    if (rsn_test_api_call(client, &req, RAISON__API_REPLY__RESULT_AUDIT_VERIFY, &reply) != 0) {
        return -1;
    }
    *round_s = rsn_test_now() - start;
    const Raison__AuditVerifyReply *r = reply->audit_verify;
    int rc = 0;
    if (!r->integrity_ok || r->entries != n || r->signatures_ok != n) {
        fprintf(stderr,
                "bench_audit: audit verify says integrity_ok=%d entries=%" PRIu64
                " signatures_ok=%" PRIu64 " (expected %zu)\n",
                (int)r->integrity_ok, r->entries, r->signatures_ok, n);
        rc = -1;
    }
    *elapsed_ms = r->elapsed_ms;
    rsn_test_reply_free(reply);
    return rc;
}

/* `RAISOND verify --data DIR --json`: 0 with its wall time in *WALL_S and the
 * elapsed_ms it reports; -1 when it could not run or failed. */
static int offline_verify(const char *raisond, const char *dir, double *wall_s,
                          uint64_t *elapsed_ms)
{
    char cmd[RSN_TEST_PATH_MAX * 2 + 64];
    snprintf(cmd, sizeof cmd, "'%s' verify --data '%s' --json", raisond, dir);
    double start = rsn_test_now();
    FILE *f = popen(cmd, "r");
    if (f == NULL) {
        fprintf(stderr, "bench_audit: cannot run %s\n", cmd);
        return -1;
    }
    char line[256];
    bool ok = false;
    *elapsed_ms = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        unsigned long long v = 0;
        if (sscanf(line, " \"elapsed_ms\": %llu", &v) == 1) {
            *elapsed_ms = v;
        }
        if (strstr(line, "\"integrity_ok\": true") != NULL) {
            ok = true;
        }
    }
    int status = pclose(f);
    *wall_s = rsn_test_now() - start;
    if (status != 0 || !ok) {
        fprintf(stderr, "bench_audit: %s failed (status %d, integrity_ok %d)\n", cmd, status,
                (int)ok);
        return -1;
    }
    return 0;
}

static int part_verify(const char *raisond, const char *work, size_t authors, size_t per_author,
                       size_t inflight, int runs)
{
    int status = -1;
    size_t n = authors * per_author;
    bench_set_t set = {0};
    rsn_client_t *client = NULL;
    rsn_test_node_t node = {0};
    double online[MAX_RUNS], offline[MAX_RUNS];

    if (bench_set_make(&set, authors, per_author) != 0) {
        goto out;
    }
    printf("presigned %zu entries of %zu authors\n", n, authors);
    if (rsn_test_node_init(&node, raisond, work, "audited") != 0 ||
        rsn_test_node_start(&node, raisond) != 0 ||
        rsn_test_node_connect(&node, &client, 30) != 0) {
        goto out;
    }
    double fill = bench_publish_all(client, set.order, n, inflight);
    if (fill < 0) {
        goto out;
    }
    printf("node filled: %zu entries at %.0f entries/s through the API\n", n, fill);

    double raw = bench_raw_verify_rate(set.all, n, VERIFY_SECONDS);
    printf("raw verify: %.0f/s (rsn_entry_verify, one thread, %.0f s, just before)\n", raw,
           VERIFY_SECONDS);
    for (int i = 0; i < runs; i++) {
        uint64_t ms = 0;
        double round = 0;
        if (online_verify(client, n, &ms, &round) != 0) {
            rsn_test_node_tail(&node);
            goto out;
        }
        double secs = ms > 0 ? (double)ms / 1000 : round;
        online[i] = (double)n / secs;
        printf("  online run %d: node's elapsed %" PRIu64 " ms, round trip %.0f ms: %.0f"
               " entries/s\n",
               i + 1, ms, round * 1000, online[i]);
    }
    rsn_client_destroy(&client);
    rsn_test_node_stop(&node);
    for (int i = 0; i < runs; i++) {
        double wall = 0;
        uint64_t ms = 0;
        if (offline_verify(raisond, node.dir, &wall, &ms) != 0) {
            goto out;
        }
        offline[i] = (double)n / wall;
        printf("  offline run %d: raisond verify wall %.0f ms (its elapsed_ms %" PRIu64
               "): %.0f entries/s\n",
               i + 1, wall * 1000, ms, offline[i]);
    }
    double raw_after = bench_raw_verify_rate(set.all, n, VERIFY_SECONDS);
    double on = median(online, (size_t)runs);
    double off = median(offline, (size_t)runs);
    printf("raw verify after: %.0f/s (the same measure, just after)\n", raw_after);
    printf("audit verify (online, the audit_verify API call, node's elapsed_ms): %.0f entries/s"
           "  raw verify: %.0f/s  ratio: %.2f  (target >= 0.8)  [%zu entries, median of %d]\n",
           on, raw, on / raw, n, runs);
    printf("audit verify (offline, raisond verify on the stopped node, process wall time):"
           " %.0f entries/s  ratio: %.2f  [median of %d]\n",
           off, off / raw, runs);
    status = 0;
out:
    rsn_client_destroy(&client);
    rsn_test_node_stop(&node);
    bench_set_free(&set);
    return status;
}

/* --- part 2: checkpoints and proofs on a large log ----------------------------------- */

/* Appends LEAVES leaves (ids from a counter) to an empty store as the node
 * does (store/tlog.h: 'L', 'I' and the stored subtrees under 'T'), in
 * batches; F ends as the frontier. */
static int build_tree(rsn_store_t *store, uint64_t leaves, rsn_merkle_frontier_t *f)
{
    rsn_batch_t *batch = rsn_batch_new();
    if (batch == NULL) {
        return RSN_ERR_NOMEM;
    }
    rsn_merkle_frontier_init(f);
    int rc = 0;
    for (uint64_t i = 0; i < leaves && rc == 0; i++) {
        uint8_t counter[8], id[32];
        rsn_be64_put(counter, i);
        rsn_sha256(id, counter, sizeof counter);
        rc = rsn_tlog_append(batch, f, id, 0);
        if (rc == 0 && ((i + 1) % FILL_BATCH == 0 || i + 1 == leaves)) {
            rc = rsn_store_write(store, batch, i + 1 == leaves);
            rsn_batch_clear(batch);
        }
    }
    rsn_batch_destroy(&batch);
    return rc;
}

/* Times proofs on the tree of SIZE leaves (SIZE >= 2) held by STORE. */
static int time_proofs(rsn_store_t *store, uint64_t size, double *samples)
{
    char what[96];
    uint8_t new_root[32];
    int rc = rsn_merkle_root_at(rsn_tree_get, store, size, new_root);
    if (rc != 0) {
        return rc;
    }
    size_t longest = 0;
    for (size_t i = 0; i < SAMPLES; i++) {
        uint64_t old = 1 + rng(size - 1);
        rsn_merkle_proof_t proof;
        size_t n = 0;
        double t0 = rsn_test_now();
        rc = rsn_merkle_consistency_proof(rsn_tree_get, store, old, size, proof, &n);
        samples[i] = rsn_test_now() - t0;
        if (rc != 0) {
            return rc;
        }
        longest = n > longest ? n : longest;
    }
    snprintf(what, sizeof what, "consistency proof (random old size -> %" PRIu64 "):", size);
    print_us(what, samples, SAMPLES);
    for (size_t i = 0; i < SAMPLES; i++) {
        uint64_t old = 1 + rng(size - 1);
        uint8_t old_root[32];
        rsn_merkle_proof_t proof;
        size_t n = 0;
        rc = rsn_merkle_root_at(rsn_tree_get, store, old, old_root);
        if (rc == 0) {
            rc = rsn_merkle_consistency_proof(rsn_tree_get, store, old, size, proof, &n);
        }
        if (rc != 0) {
            return rc;
        }
        double t0 = rsn_test_now();
        rc = rsn_merkle_verify_consistency(old, size, old_root, 32, new_root, 32,
                                           (const uint8_t(*)[32])proof, n);
        samples[i] = rsn_test_now() - t0;
        if (rc != 0) {
            fprintf(stderr,
                    "bench_audit: a consistency proof %" PRIu64 " -> %" PRIu64 " does not verify\n",
                    old, size);
            return rc;
        }
    }
    snprintf(what, sizeof what, "its verification (%" PRIu64 "):", size);
    print_us(what, samples, SAMPLES);
    for (size_t i = 0; i < SAMPLES; i++) {
        uint64_t index = rng(size);
        rsn_merkle_proof_t proof;
        size_t n = 0;
        double t0 = rsn_test_now();
        rc = rsn_merkle_inclusion_proof(rsn_tree_get, store, index, size, proof, &n);
        samples[i] = rsn_test_now() - t0;
        if (rc != 0) {
            return rc;
        }
    }
    snprintf(what, sizeof what, "inclusion proof (random leaf of %" PRIu64 "):", size);
    print_us(what, samples, SAMPLES);
    printf("  (proofs of up to %zu hashes)\n", longest);
    return 0;
}

static int part_proofs(const char *work, uint64_t leaves)
{
    char dir[RSN_TEST_PATH_MAX];
    snprintf(dir, sizeof dir, "%s/tree", work);
    rsn_store_t *store = NULL;
    rsn_keypair_t *kp = rsn_keypair_generate();
    double *samples = calloc(SAMPLES, sizeof *samples);
    char *note = malloc(RSN_NOTE_MAX);
    int status = -1;
    int rc = 0;
    if (kp == NULL || samples == NULL || note == NULL) {
        fprintf(stderr, "bench_audit: out of memory\n");
        goto out;
    }
    rc = rsn_store_open(&store, dir);
    if (rc != 0) {
        fprintf(stderr, "bench_audit: cannot open a store in %s: %s\n", dir, rsn_strerror(rc));
        goto out;
    }
    rsn_merkle_frontier_t f;
    double t0 = rsn_test_now();
    rc = build_tree(store, leaves, &f);
    if (rc != 0) {
        fprintf(stderr, "bench_audit: building the tree failed: %s\n", rsn_strerror(rc));
        goto out;
    }
    printf("tree of %" PRIu64 " leaves built in %.1f s (%.0f leaves/s, 'T' nodes in a real"
           " store, %d leaves a batch)\n",
           leaves, rsn_test_now() - t0, (double)leaves / (rsn_test_now() - t0), FILL_BATCH);

    char name[RSN_NOTE_RAISON_NAME_SIZE];
    char text[RSN_NOTE_RAISON_NAME_SIZE + 96];
    uint8_t root[32], stored_root[32];
    if (rsn_note_raison_name(rsn_keypair_public(kp), name, sizeof name) != 0) {
        goto out;
    }
    rsn_merkle_frontier_root(&f, root);
    rc = rsn_merkle_root_at(rsn_tree_get, store, leaves, stored_root);
    if (rc != 0 || memcmp(root, stored_root, 32) != 0) {
        fprintf(stderr, "bench_audit: the stored tree does not give the frontier's root\n");
        goto out;
    }
    printf("at %" PRIu64 " leaves:\n", leaves);
    for (size_t i = 0; i < SAMPLES; i++) {
        double s = rsn_test_now();
        rsn_merkle_frontier_root(&f, root);
        rc = rsn_checkpoint_text(name, leaves, root, text, sizeof text);
        if (rc == 0) {
            rc = rsn_note_sign(kp, name, text, note, RSN_NOTE_MAX);
        }
        samples[i] = rsn_test_now() - s;
        if (rc != 0) {
            goto out;
        }
    }
    print_us("checkpoint signing (frontier root, as the node):", samples, SAMPLES);
    for (size_t i = 0; i < SAMPLES; i++) {
        double s = rsn_test_now();
        rc = rsn_merkle_root_at(rsn_tree_get, store, leaves, root);
        if (rc == 0) {
            rc = rsn_checkpoint_text(name, leaves, root, text, sizeof text);
        }
        if (rc == 0) {
            rc = rsn_note_sign(kp, name, text, note, RSN_NOTE_MAX);
        }
        samples[i] = rsn_test_now() - s;
        if (rc != 0) {
            goto out;
        }
    }
    print_us("checkpoint signing (root read from the store):", samples, SAMPLES);
    size_t note_len = strlen(note);
    for (size_t i = 0; i < SAMPLES; i++) {
        double s = rsn_test_now();
        rc = rsn_note_verify(note, note_len, name, rsn_keypair_public(kp), NULL);
        samples[i] = rsn_test_now() - s;
        if (rc != 0) {
            fprintf(stderr, "bench_audit: our checkpoint does not verify\n");
            goto out;
        }
    }
    print_us("checkpoint verification (signed note):", samples, SAMPLES);
    rc = time_proofs(store, leaves, samples);
    if (rc == 0 && leaves >= 2000) {
        printf("at %" PRIu64 " leaves (the same store), for the O(log n) growth:\n", leaves / 1000);
        rc = time_proofs(store, leaves / 1000, samples);
    }
    if (rc != 0) {
        fprintf(stderr, "bench_audit: a proof failed: %s\n", rsn_strerror(rc));
        goto out;
    }
    status = 0;
out:
    rsn_store_destroy(&store);
    rsn_keypair_destroy(&kp);
    free(samples);
    free(note);
    return status;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_audit RAISOND WORK [AUTHORS] [PER_AUTHOR] [INFLIGHT]"
                        " [LEAVES] [RUNS]\n");
        return 2;
    }
    const char *raisond = argv[1];
    const char *work = argv[2];
    size_t authors = (size_t)bench_arg(argc, argv, 3, 1000, 100000);
    size_t per_author = (size_t)bench_arg(argc, argv, 4, 100, 100000);
    size_t inflight = (size_t)bench_arg(argc, argv, 5, 512, 100000);
    uint64_t leaves = (uint64_t)bench_arg(argc, argv, 6, 1000000, 100000000);
    int runs = (int)bench_arg(argc, argv, 7, 3, MAX_RUNS);
    if (authors * per_author > 2000000 || leaves < 2) {
        fprintf(stderr, "bench_audit: at most 2,000,000 entries, at least 2 leaves\n");
        return 2;
    }
    if (bench_start("bench_audit") != 0) {
        return 1;
    }
    bench_print_machine();
    printf("-- audit verify over %zu entries\n", authors * per_author);
    if (part_verify(raisond, work, authors, per_author, inflight, runs) != 0) {
        return 1;
    }
    printf("-- checkpoints and proofs at %" PRIu64 " leaves\n", leaves);
    if (part_proofs(work, leaves) != 0) {
        return 1;
    }
    return 0;
}
