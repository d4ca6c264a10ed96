/* bench_propagation.c — how long a new entry takes to reach every node of a
 * federation.
 *
 * Issue 3's propagation benchmark: "10 nodes on loopback in a random
 * connected graph of degree 3; the time from publish at one node until every
 * node holds the entry, median and 99th percentile over 200 posts. Target:
 * 99th percentile under 100 ms."
 *
 * Starts NODES raisond processes (RAISOND, data under WORK) on loopback in a
 * random connected DEGREE-regular graph drawn from SEED (printed with its
 * edges; both ends of an edge list each other, as a real configuration
 * would), waits until every link is up, and subscribes to every new entry on
 * every node: one thread per node blocks on its subscription, so an event is
 * timestamped (CLOCK_MONOTONIC) as soon as the node sends it, that is once
 * the node has committed the entry. Then, POSTS times: it picks a random
 * node, takes t0, publishes one pre-signed profile entry of a fresh author
 * there, and waits until all NODES subscriptions reported that entry; the
 * sample is the last arrival minus t0 (the publish's own commit and ack are
 * inside it). A pause of 20-50 ms separates posts. A post that has not
 * reached every node within LOST_S counts as lost, as an infinite sample.
 * Prints min, median, 90th and 99th percentile (nearest rank), max, the ack
 * time of the publishes alone, and the raw single-thread verify rate for
 * reference.
 *
 *   bench_propagation RAISOND WORK [NODES=10] [POSTS=200] [DEGREE=3] [SEED=time]
 *
 * Not a test: it asserts nothing about time. It exits 1 when the setup fails
 * (a node does not start, links do not come up). */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>

#include "bench_util.h"

#define MAX_NODES 32
#define LINK_WAIT_S 60.0
#define LOST_S 10.0
#define RESUBSCRIBE_S 25.0 /* subscriptions last 60 s; take a fresh one before */
#define MAX_SUBS 8

typedef struct {
    int index;
    rsn_test_node_t *node;
    rsn_client_t *client;
    pthread_t thread;
    bool started;
    uint64_t sub_ids[MAX_SUBS];
    size_t n_subs;
} sub_t;

/* What the subscriber threads and the main thread share, under mu. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static uint8_t current_id[RSN_ID_BYTES];
static bool armed;
static double arrival[MAX_NODES];
static int arrived;
static int subscribed;
static int nodes;
static atomic_bool stopping;

static int send_subscribe(sub_t *s)
{
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__SubscribeRequest sr = RAISON__SUBSCRIBE_REQUEST__INIT;
    uint64_t id = 0;
    sr.group = "";
    req.call_case = RAISON__API_REQUEST__CALL_SUBSCRIBE;
    req.subscribe = &sr;
    if (rsn_client_send(s->client, &req, &id) != 0) {
        return -1;
    }
    if (s->n_subs == MAX_SUBS) {
        memmove(s->sub_ids, s->sub_ids + 1, (MAX_SUBS - 1) * sizeof s->sub_ids[0]);
        s->n_subs--;
    }
    s->sub_ids[s->n_subs++] = id;
    return 0;
}

static bool is_ours(const sub_t *s, uint64_t request_id)
{
    for (size_t i = 0; i < s->n_subs; i++) {
        if (s->sub_ids[i] == request_id) {
            return true;
        }
    }
    return false;
}

/* One per node: subscribes, then timestamps every event that names the
 * entry the main thread is waiting for. */
static void *subscriber(void *arg)
{
    sub_t *s = arg;
    double last_sub = rsn_test_now();
    bool confirmed = false;
    if (send_subscribe(s) != 0) {
        fprintf(stderr, "bench_propagation: cannot subscribe at %s\n", s->node->name);
        return NULL;
    }
    while (!atomic_load(&stopping)) {
        Raison__ApiReply *reply = NULL;
        int rc = rsn_client_recv_timeout(s->client, &reply, 100);
        double t = rsn_test_now();
        if (rc == 0 && is_ours(s, reply->request_id)) {
            if (reply->result_case == RAISON__API_REPLY__RESULT_EVENT && reply->event->entry &&
                reply->event->entry->id.len == RSN_ID_BYTES) {
                pthread_mutex_lock(&mu);
                if (armed && arrival[s->index] == 0 &&
                    memcmp(reply->event->entry->id.data, current_id, RSN_ID_BYTES) == 0) {
                    arrival[s->index] = t;
                    if (++arrived == nodes) {
                        pthread_cond_broadcast(&cv);
                    }
                }
                pthread_mutex_unlock(&mu);
            } else if (reply->result_case == RAISON__API_REPLY__RESULT_SUBSCRIBE && !confirmed) {
                confirmed = true;
                pthread_mutex_lock(&mu);
                subscribed++;
                pthread_cond_broadcast(&cv);
                pthread_mutex_unlock(&mu);
            } else if (reply->result_case == RAISON__API_REPLY__RESULT_ERROR) {
                fprintf(stderr, "bench_propagation: subscription at %s: error %d: %s\n",
                        s->node->name, (int)reply->error->code, reply->error->message);
            }
        }
        if (rc == 0) {
            rsn_test_reply_free(reply);
        }
        if (t - last_sub > RESUBSCRIBE_S) {
            last_sub = t;
            if (send_subscribe(s) != 0) {
                fprintf(stderr, "bench_propagation: cannot resubscribe at %s\n", s->node->name);
            }
        }
    }
    return NULL;
}

/* xorshift64*: the graph and the choices of nodes follow from the seed */
static uint64_t rng_state;
static uint64_t rng_next(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}
static size_t rng_below(size_t n)
{
    return (size_t)(rng_next() % n);
}

/* Hop distances from FROM in ADJ (N nodes); -1 for unreachable. */
static void bfs(bool adj[MAX_NODES][MAX_NODES], int n, int from, int dist[MAX_NODES])
{
    int queue[MAX_NODES];
    int head = 0, tail = 0;
    for (int i = 0; i < n; i++) {
        dist[i] = -1;
    }
    dist[from] = 0;
    queue[tail++] = from;
    while (head < tail) {
        int u = queue[head++];
        for (int v = 0; v < n; v++) {
            if (adj[u][v] && dist[v] < 0) {
                dist[v] = dist[u] + 1;
                queue[tail++] = v;
            }
        }
    }
}

/* A random connected simple DEGREE-regular graph on N nodes (pairing model,
 * drawing again until simple and connected). 0, or -1 when none was found. */
static int random_graph(bool adj[MAX_NODES][MAX_NODES], int n, int degree)
{
    int stubs[MAX_NODES * MAX_NODES];
    for (int attempt = 0; attempt < 100000; attempt++) {
        int m = 0;
        memset(adj, 0, sizeof(bool) * MAX_NODES * MAX_NODES);
        for (int i = 0; i < n; i++) {
            for (int d = 0; d < degree; d++) {
                stubs[m++] = i;
            }
        }
        for (int i = m - 1; i > 0; i--) {
            int j = (int)rng_below((size_t)i + 1);
            int t = stubs[i];
            stubs[i] = stubs[j];
            stubs[j] = t;
        }
        bool simple = true;
        for (int i = 0; i < m && simple; i += 2) {
            int u = stubs[i], v = stubs[i + 1];
            if (u == v || adj[u][v]) {
                simple = false;
            } else {
                adj[u][v] = adj[v][u] = true;
            }
        }
        if (!simple) {
            continue;
        }
        int dist[MAX_NODES];
        bfs(adj, n, 0, dist);
        bool connected = true;
        for (int i = 0; i < n; i++) {
            connected = connected && dist[i] >= 0;
        }
        if (connected) {
            return 0;
        }
    }
    return -1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y ? 1 : 0;
}

/* Nearest-rank percentile P (1-100) of the N sorted values V. */
static double percentile(const double *v, size_t n, size_t p)
{
    size_t rank = (p * n + 99) / 100;
    return v[rank == 0 ? 0 : rank - 1];
}

static void print_ms(const char *label, double s)
{
    if (isinf(s)) {
        printf("  %s: lost (>%.0f ms)", label, LOST_S * 1000);
    } else {
        printf("  %s: %.1f ms", label, s * 1000);
    }
}

int main(int argc, char **argv)
{
    int status = 1;
    rsn_test_node_t node[MAX_NODES];
    rsn_client_t *pub[MAX_NODES] = {0};
    sub_t subs[MAX_NODES];
    bench_set_t set = {0};
    double *lat = NULL;
    double *ack = NULL;
    bool adj[MAX_NODES][MAX_NODES];

    memset(node, 0, sizeof node);
    memset(subs, 0, sizeof subs);
    if (argc < 3) {
        fprintf(stderr, "usage: bench_propagation RAISOND WORK [NODES] [POSTS] [DEGREE] [SEED]\n");
        return 2;
    }
    const char *raisond = argv[1];
    const char *work = argv[2];
    nodes = (int)bench_arg(argc, argv, 3, 10, MAX_NODES);
    size_t posts = (size_t)bench_arg(argc, argv, 4, 200, 100000);
    int degree = (int)bench_arg(argc, argv, 5, 3, RSN_TEST_MAX_PEERS);
    uint64_t seed = argc > 6 ? strtoull(argv[6], NULL, 10) : (uint64_t)time(NULL);
    if (degree >= nodes || (nodes * degree) % 2 != 0) {
        fprintf(stderr, "bench_propagation: no %d-regular graph on %d nodes\n", degree, nodes);
        return 2;
    }
    rng_state = seed ? seed : 1;

    if (bench_start("bench_propagation") != 0) {
        return 1;
    }
    bench_print_machine();
    lat = calloc(posts, sizeof *lat);
    ack = calloc(posts, sizeof *ack);
    if (lat == NULL || ack == NULL) {
        fprintf(stderr, "bench_propagation: out of memory\n");
        goto out;
    }
    if (bench_set_make(&set, posts, 1) != 0) {
        goto out;
    }
    if (random_graph(adj, nodes, degree) != 0) {
        fprintf(stderr, "bench_propagation: no connected graph found\n");
        goto out;
    }
    int diameter = 0;
    for (int i = 0; i < nodes; i++) {
        int dist[MAX_NODES];
        bfs(adj, nodes, i, dist);
        for (int j = 0; j < nodes; j++) {
            diameter = dist[j] > diameter ? dist[j] : diameter;
        }
    }
    printf("graph: %d nodes, degree %d, seed %" PRIu64 ", diameter %d hops, edges:", nodes, degree,
           seed, diameter);
    for (int i = 0; i < nodes; i++) {
        for (int j = i + 1; j < nodes; j++) {
            if (adj[i][j]) {
                printf(" %d-%d", i, j);
            }
        }
    }
    printf("\n");

    for (int i = 0; i < nodes; i++) {
        char name[16];
        snprintf(name, sizeof name, "n%d", i);
        if (rsn_test_node_init(&node[i], raisond, work, name) != 0) {
            goto out;
        }
    }
    for (int i = 0; i < nodes; i++) {
        for (int j = 0; j < nodes; j++) {
            if (adj[i][j] && rsn_test_node_peer(&node[i], &node[j], true) != 0) {
                goto out;
            }
        }
    }
    for (int i = 0; i < nodes; i++) {
        if (rsn_test_node_start(&node[i], raisond) != 0) {
            goto out;
        }
    }
    for (int i = 0; i < nodes; i++) {
        if (rsn_test_node_connect(&node[i], &pub[i], 30) != 0) {
            goto out;
        }
    }
    double t_links = rsn_test_now();
    for (int i = 0; i < nodes; i++) {
        uint64_t entries = 0;
        uint32_t connected = 0;
        for (;;) {
            if (rsn_test_api_status(pub[i], &entries, &connected) != 0) {
                goto out;
            }
            if ((int)connected >= degree) {
                break;
            }
            if (rsn_test_now() - t_links > LINK_WAIT_S) {
                fprintf(stderr, "bench_propagation: %s has %u of %d links up after %.0f s\n",
                        node[i].name, connected, degree, LINK_WAIT_S);
                bench_print_peers(pub[i], node[i].name);
                rsn_test_node_tail(&node[i]);
                goto out;
            }
            rsn_test_sleep_ms(50);
        }
    }
    printf("all %d links up %.2f s after the nodes answered\n", nodes * degree / 2,
           rsn_test_now() - t_links);

    for (int i = 0; i < nodes; i++) {
        subs[i].index = i;
        subs[i].node = &node[i];
        if (rsn_client_connect(&subs[i].client, node[i].sock, RSN_TEST_API_TIMEOUT_MS) != 0) {
            fprintf(stderr, "bench_propagation: cannot connect to %s\n", node[i].name);
            goto out;
        }
        if (pthread_create(&subs[i].thread, NULL, subscriber, &subs[i]) != 0) {
            fprintf(stderr, "bench_propagation: cannot start a thread\n");
            goto out;
        }
        subs[i].started = true;
    }
    pthread_mutex_lock(&mu);
    while (subscribed < nodes) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 10;
        if (pthread_cond_timedwait(&cv, &mu, &ts) != 0) {
            break;
        }
    }
    int ok = subscribed;
    pthread_mutex_unlock(&mu);
    if (ok < nodes) {
        fprintf(stderr, "bench_propagation: only %d of %d subscriptions confirmed\n", ok, nodes);
        goto out;
    }

    size_t lost = 0;
    int hops_sum = 0;
    for (size_t k = 0; k < posts; k++) {
        rsn_test_sleep_ms(20 + (double)rng_below(31));
        int at = (int)rng_below((size_t)nodes);
        int dist[MAX_NODES];
        bfs(adj, nodes, at, dist);
        int ecc = 0;
        for (int j = 0; j < nodes; j++) {
            ecc = dist[j] > ecc ? dist[j] : ecc;
        }
        hops_sum += ecc;
        pthread_mutex_lock(&mu);
        memcpy(current_id, set.all[k].id, RSN_ID_BYTES);
        memset(arrival, 0, sizeof arrival);
        arrived = 0;
        armed = true;
        pthread_mutex_unlock(&mu);

        double t0 = rsn_test_now();
        rsn_test_publish_opts_t one = {.inflight = 1};
        if (rsn_test_api_publish_all(pub[at], &set.order[k], 1, &one) != 0) {
            goto out;
        }
        ack[k] = rsn_test_now() - t0;

        pthread_mutex_lock(&mu);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += (time_t)LOST_S;
        while (arrived < nodes) {
            if (pthread_cond_timedwait(&cv, &mu, &ts) != 0) {
                break;
            }
        }
        armed = false;
        if (arrived < nodes) {
            lat[k] = INFINITY;
            lost++;
            fprintf(stderr,
                    "bench_propagation: post %zu from %s reached %d of %d nodes in %.0f"
                    " s; missing at:",
                    k, node[at].name, arrived, nodes, LOST_S);
            for (int j = 0; j < nodes; j++) {
                if (arrival[j] == 0) {
                    fprintf(stderr, " %s", node[j].name);
                }
            }
            fprintf(stderr, "\n");
        } else {
            double last = 0;
            for (int j = 0; j < nodes; j++) {
                last = arrival[j] > last ? arrival[j] : last;
            }
            lat[k] = last - t0;
        }
        pthread_mutex_unlock(&mu);
    }

    double raw = bench_raw_verify_rate(set.all, posts, 2.0);
    qsort(lat, posts, sizeof *lat, cmp_double);
    qsort(ack, posts, sizeof *ack, cmp_double);
    printf("propagation to all %d nodes over %zu posts (%zu lost), mean farthest node %.2f hops:\n",
           nodes, posts, lost, (double)hops_sum / (double)posts);
    print_ms("min", lat[0]);
    print_ms("median", percentile(lat, posts, 50));
    print_ms("p90", percentile(lat, posts, 90));
    print_ms("p99", percentile(lat, posts, 99));
    print_ms("max", lat[posts - 1]);
    printf("  (target: p99 < 100 ms)\n");
    printf("publish ack at the origin alone: median %.1f ms, p99 %.1f ms\n",
           percentile(ack, posts, 50) * 1000, percentile(ack, posts, 99) * 1000);
    printf("raw verify: %.0f/s (rsn_entry_verify, one thread, 2 s; %.3f ms an entry)\n", raw,
           1000.0 / raw);
    status = 0;
out:
    atomic_store(&stopping, true);
    for (int i = 0; i < nodes; i++) {
        if (subs[i].started) {
            pthread_join(subs[i].thread, NULL);
        }
        rsn_client_destroy(&subs[i].client);
        rsn_client_destroy(&pub[i]);
    }
    for (int i = 0; i < nodes; i++) {
        rsn_test_node_stop(&node[i]);
    }
    bench_set_free(&set);
    free(lat);
    free(ack);
    return status;
}
