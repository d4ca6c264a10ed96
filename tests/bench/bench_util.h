/* bench_util.h — what the federation benchmarks share.
 *
 * Included by tests/bench/bench_catchup.c, bench_propagation.c and
 * bench_idle.c (only *.c files there become programs, so this header is
 * never built alone). It pre-signs profile entries, measures the raw
 * single-thread rate of rsn_entry_verify, finds free loopback ports, starts
 * and stops real raisond processes (each with its own data folder under the
 * bench's work folder, its log in DIR.log, and PR_SET_PDEATHSIG so that no
 * node outlives a bench that dies), and wraps the API calls the benchmarks
 * make: status, peers, and a pipelined publish of many entries.
 *
 * Everything is `static inline` so that a program using only part of it
 * builds without unused-function warnings. Benchmarks are not tests: these
 * helpers print what went wrong and return an error, they never judge a
 * figure. */
#ifndef RSN_BENCH_UTIL_H
#define RSN_BENCH_UTIL_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "crypto/crypto.h"
#include "crypto/keypair.h"
#include "net/client.h"
#include "proto/codec.h"
#include "raison.pb-c.h"

#define BENCH_ENTRY_CAP 256 /* a profile entry header is about 150 bytes */
#define BENCH_BODY_CAP 64
#define BENCH_PATH_MAX 200
#define BENCH_API_TIMEOUT_MS 30000
#define BENCH_MAX_PEERS 16

typedef struct {
    uint8_t entry[BENCH_ENTRY_CAP];
    size_t entry_len;
    uint8_t sig[RSN_SIG_BYTES];
    uint8_t body[BENCH_BODY_CAP];
    size_t body_len;
    uint8_t id[RSN_ID_BYTES];
    const uint8_t *author; /* owned by the author's keypair */
} bench_entry_t;

typedef struct {
    char name[32];
    char dir[BENCH_PATH_MAX];     /* data folder */
    char sock[BENCH_PATH_MAX];    /* API socket */
    char log[BENCH_PATH_MAX];     /* stderr of raisond */
    char key[RSN_KEY_HEX + 1];    /* node key in hex */
    int port;                     /* federation listen port on 127.0.0.1 */
    pid_t pid;                    /* 0 when not running */
    char *peers[BENCH_MAX_PEERS]; /* --peer values, malloc'd */
    size_t n_peers;
} bench_node_t;

/* Seconds on the monotonic clock. */
static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Milliseconds since the epoch. */
static inline uint64_t bench_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Sleeps MS milliseconds. */
static inline void bench_sleep_ms(double ms)
{
    struct timespec ts = {.tv_sec = (time_t)(ms / 1000),
                          .tv_nsec = (long)((ms - (double)(time_t)(ms / 1000) * 1000) * 1e6)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Parses argv[I] as a count in [1, MAX], or FALLBACK when absent; exits 2 on
 * a bad value. */
static inline long bench_arg(int argc, char **argv, int i, long fallback, long max)
{
    if (argc <= i) {
        return fallback;
    }
    char *end = NULL;
    long v = strtol(argv[i], &end, 10);
    if (end == argv[i] || *end != '\0' || v <= 0 || v > max) {
        fprintf(stderr, "bench: %s is not a count in [1, %ld]\n", argv[i], max);
        exit(2);
    }
    return v;
}

/* Signs the profile entry SEQ of KP after PREV (NULL for seq 1) into P. */
static inline int bench_presign(bench_entry_t *p, const rsn_keypair_t *kp, uint64_t seq,
                                const uint8_t *prev)
{
    Raison__Profile profile = RAISON__PROFILE__INIT;
    Raison__Entry e = RAISON__ENTRY__INIT;
    uint8_t hash[RSN_HASH_BYTES];
    char name[32];

    snprintf(name, sizeof name, "bench %" PRIu64, seq);
    profile.name = name;
    profile.site = "bench";
    profile.role = "load";
    p->body_len = raison__profile__get_packed_size(&profile);
    if (p->body_len > BENCH_BODY_CAP) {
        return RSN_ERR_TOO_LARGE;
    }
    raison__profile__pack(&profile, p->body);
    rsn_sha256(hash, p->body, p->body_len);

    p->author = rsn_keypair_public(kp);
    e.author.data = (uint8_t *)p->author;
    e.author.len = RSN_KEY_BYTES;
    e.seq = seq;
    if (prev != NULL) {
        e.prev.data = (uint8_t *)prev;
        e.prev.len = RSN_ID_BYTES;
    }
    e.timestamp = bench_wall_ms();
    e.kind = RAISON__KIND__KIND_PROFILE;
    e.body_hash.data = hash;
    e.body_hash.len = RSN_HASH_BYTES;
    e.body_size = (uint32_t)p->body_len;
    p->entry_len = raison__entry__get_packed_size(&e);
    if (p->entry_len > BENCH_ENTRY_CAP) {
        return RSN_ERR_TOO_LARGE;
    }
    raison__entry__pack(&e, p->entry);
    rsn_entry_id(p->id, p->entry, p->entry_len);
    return rsn_keypair_sign_entry(kp, p->entry, p->entry_len, p->sig);
}

/* Generates AUTHORS keys (into KEYS) and signs PER_AUTHOR chained profile
 * entries of each into ALL: all[a * per_author + s] is seq s+1 of author a.
 * 0, or -1 after printing why. */
static inline int bench_presign_all(rsn_keypair_t **keys, bench_entry_t *all, size_t authors,
                                    size_t per_author)
{
    for (size_t a = 0; a < authors; a++) {
        keys[a] = rsn_keypair_generate();
        if (keys[a] == NULL) {
            fprintf(stderr, "bench: cannot generate a key\n");
            return -1;
        }
        for (size_t s = 0; s < per_author; s++) {
            bench_entry_t *p = &all[a * per_author + s];
            const uint8_t *prev = s == 0 ? NULL : all[a * per_author + s - 1].id;
            if (bench_presign(p, keys[a], s + 1, prev) != 0) {
                fprintf(stderr, "bench: presigning failed\n");
                return -1;
            }
        }
    }
    return 0;
}

/* Verifies the N entries of ALL round and round, one thread, for SECONDS;
 * the rate per second. Exits 1 if one does not verify (our bug). */
static inline double bench_raw_verify_rate(const bench_entry_t *all, size_t n, double seconds)
{
    size_t done = 0;
    double start = bench_now();
    double elapsed = 0;
    while (elapsed < seconds) {
        for (size_t i = 0; i < 1000; i++) {
            const bench_entry_t *p = &all[(done + i) % n];
            if (rsn_entry_verify(p->author, p->entry, p->entry_len, p->sig) != 0) {
                fprintf(stderr, "bench: a presigned entry does not verify\n");
                exit(1);
            }
        }
        done += 1000;
        elapsed = bench_now() - start;
    }
    return (double)done / elapsed;
}

/* A TCP port on 127.0.0.1 that nothing listens on right now (the kernel's
 * pick for a bind to port 0), or -1. */
static inline int bench_free_port(void)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    socklen_t len = sizeof addr;
    int port = -1;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0 &&
        getsockname(fd, (struct sockaddr *)&addr, &len) == 0) {
        port = ntohs(addr.sin_port);
    }
    close(fd);
    return port;
}

/* Names node N under WORK (folder WORK/NAME), picks its port and creates its
 * node key with `RAISOND keygen`. 0, or -1 after printing why. */
static inline int bench_node_init(bench_node_t *n, const char *raisond, const char *work,
                                  const char *name)
{
    memset(n, 0, sizeof *n);
    snprintf(n->name, sizeof n->name, "%s", name);
    if (snprintf(n->dir, sizeof n->dir, "%s/%s", work, name) >= (int)sizeof n->dir ||
        snprintf(n->sock, sizeof n->sock, "%s/%s/raison.sock", work, name) >= (int)sizeof n->sock ||
        snprintf(n->log, sizeof n->log, "%s/%s.log", work, name) >= (int)sizeof n->log) {
        fprintf(stderr, "bench: the work folder path is too long\n");
        return -1;
    }
    n->port = bench_free_port();
    if (n->port < 0) {
        fprintf(stderr, "bench: no free port\n");
        return -1;
    }
    char cmd[BENCH_PATH_MAX * 2 + 64];
    snprintf(cmd, sizeof cmd, "'%s' keygen --data '%s'", raisond, n->dir);
    FILE *f = popen(cmd, "r");
    if (f == NULL) {
        fprintf(stderr, "bench: cannot run %s\n", cmd);
        return -1;
    }
    char line[128] = "";
    bool got = fgets(line, sizeof line, f) != NULL;
    int status = pclose(f);
    line[strcspn(line, "\n")] = '\0';
    if (!got || status != 0 || strlen(line) != RSN_KEY_HEX) {
        fprintf(stderr, "bench: %s failed (%s)\n", cmd, line);
        return -1;
    }
    memcpy(n->key, line, RSN_KEY_HEX + 1);
    return 0;
}

/* Adds a --peer to N: OTHER's listen endpoint and key when DIAL, else only
 * OTHER's key (trusted when it dials N). 0 or -1. */
static inline int bench_node_peer(bench_node_t *n, const bench_node_t *other, bool dial)
{
    if (n->n_peers >= BENCH_MAX_PEERS) {
        fprintf(stderr, "bench: too many peers for %s\n", n->name);
        return -1;
    }
    char buf[128];
    if (dial) {
        snprintf(buf, sizeof buf, "tcp://127.0.0.1:%d=%s", other->port, other->key);
    } else {
        snprintf(buf, sizeof buf, "=%s", other->key);
    }
    n->peers[n->n_peers] = strdup(buf);
    if (n->peers[n->n_peers] == NULL) {
        return -1;
    }
    n->n_peers++;
    return 0;
}

/* Starts raisond on N (site = its name, listening on its port, with its
 * peers), stderr to its log. 0, or -1 after printing why. */
static inline int bench_node_start(bench_node_t *n, const char *raisond)
{
    char listen[64];
    snprintf(listen, sizeof listen, "tcp://127.0.0.1:%d", n->port);
    char *argv[8 + 2 * BENCH_MAX_PEERS + 1];
    size_t a = 0;
    argv[a++] = (char *)raisond;
    argv[a++] = "--data";
    argv[a++] = n->dir;
    argv[a++] = "--site";
    argv[a++] = n->name;
    argv[a++] = "--listen";
    argv[a++] = listen;
    for (size_t i = 0; i < n->n_peers; i++) {
        argv[a++] = "--peer";
        argv[a++] = n->peers[i];
    }
    argv[a] = NULL;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "bench: fork: %s\n", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent) {
            _exit(1);
        }
        int fd = open(n->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (fd >= 0) {
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0) {
            dup2(devnull, STDIN_FILENO);
            dup2(devnull, STDOUT_FILENO);
            close(devnull);
        }
        execv(raisond, argv);
        _exit(127);
    }
    n->pid = pid;
    return 0;
}

/* Stops N's raisond (SIGTERM, then SIGKILL after 10 s) and frees its peer
 * list; accepts a node never started. */
static inline void bench_node_stop(bench_node_t *n)
{
    if (n->pid > 0) {
        kill(n->pid, SIGTERM);
        double deadline = bench_now() + 10;
        int status;
        while (waitpid(n->pid, &status, WNOHANG) == 0) {
            if (bench_now() > deadline) {
                kill(n->pid, SIGKILL);
                waitpid(n->pid, &status, 0);
                break;
            }
            bench_sleep_ms(20);
        }
        n->pid = 0;
    }
    for (size_t i = 0; i < n->n_peers; i++) {
        free(n->peers[i]);
        n->peers[i] = NULL;
    }
    n->n_peers = 0;
}

/* Prints the last lines of N's log to stderr. */
static inline void bench_node_tail(const bench_node_t *n)
{
    char cmd[BENCH_PATH_MAX + 32];
    snprintf(cmd, sizeof cmd, "tail -n 15 '%s' >&2", n->log);
    fprintf(stderr, "---- last lines of %s ----\n", n->log);
    fflush(stderr);
    if (system(cmd) != 0) {
        fprintf(stderr, "(no log)\n");
    }
}

/* Sends REQ on CLIENT and waits for its reply; 0 and *REPLY when the reply
 * has result CASE_WANTED, else -1 after printing why. */
static inline int bench_call(rsn_client_t *client, Raison__ApiRequest *req, int case_wanted,
                             Raison__ApiReply **reply)
{
    *reply = NULL;
    int rc = rsn_client_call(client, req, reply);
    if (rc != 0) {
        fprintf(stderr, "bench: API call failed: %s\n", rsn_strerror(rc));
        return -1;
    }
    if ((int)(*reply)->result_case != case_wanted) {
        if ((*reply)->result_case == RAISON__API_REPLY__RESULT_ERROR) {
            fprintf(stderr, "bench: API error %d: %s\n", (int)(*reply)->error->code,
                    (*reply)->error->message);
        } else {
            fprintf(stderr, "bench: unexpected API reply %d\n", (int)(*reply)->result_case);
        }
        raison__api_reply__free_unpacked(*reply, NULL);
        *reply = NULL;
        return -1;
    }
    return 0;
}

/* Status of the node behind CLIENT: 0 with *ENTRIES and *CONNECTED (peers
 * linked), or -1. */
static inline int bench_status(rsn_client_t *client, uint64_t *entries, uint32_t *connected)
{
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__StatusRequest st = RAISON__STATUS_REQUEST__INIT;
    Raison__ApiReply *reply = NULL;
    req.call_case = RAISON__API_REQUEST__CALL_STATUS;
    req.status = &st;
    if (bench_call(client, &req, RAISON__API_REPLY__RESULT_STATUS, &reply) != 0) {
        return -1;
    }
    *entries = reply->status->entries;
    *connected = reply->status->peers_connected;
    raison__api_reply__free_unpacked(reply, NULL);
    return 0;
}

/* The peers reply of the node behind CLIENT (free the reply with
 * raison__api_reply__free_unpacked), or NULL. */
static inline Raison__ApiReply *bench_peers(rsn_client_t *client)
{
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__PeersRequest pr = RAISON__PEERS_REQUEST__INIT;
    Raison__ApiReply *reply = NULL;
    req.call_case = RAISON__API_REQUEST__CALL_PEERS;
    req.peers = &pr;
    if (bench_call(client, &req, RAISON__API_REPLY__RESULT_PEERS, &reply) != 0) {
        return NULL;
    }
    return reply;
}

/* Prints one line per peer of the node behind CLIENT to stderr. */
static inline void bench_print_peers(rsn_client_t *client, const char *who)
{
    Raison__ApiReply *reply = bench_peers(client);
    if (reply == NULL) {
        return;
    }
    for (size_t i = 0; i < reply->peers->n_peers; i++) {
        const Raison__PeerInfo *p = reply->peers->peers[i];
        char key[17];
        rsn_hex_encode(key, sizeof key, p->key.data, p->key.len < 8 ? p->key.len : 8);
        fprintf(stderr,
                "  %s peer %s site=%s connected=%d sent=%" PRIu64 " received=%" PRIu64
                " missing=%" PRIu64 " dropped=%" PRIu64 " banned_until=%" PRIu64
                " last_error=\"%s\"\n",
                who, key, p->site, (int)p->connected, p->entries_sent, p->entries_received,
                p->missing, p->dropped, p->banned_until, p->last_error);
    }
    raison__api_reply__free_unpacked(reply, NULL);
}

/* Connects to N's API, waiting (polling) up to TIMEOUT_S for the node to
 * answer a status. 0 and *OUT, or -1 after printing why. */
static inline int bench_node_connect(bench_node_t *n, rsn_client_t **out, double timeout_s)
{
    double deadline = bench_now() + timeout_s;
    *out = NULL;
    for (;;) {
        rsn_client_t *c = NULL;
        if (rsn_client_connect(&c, n->sock, 2000) == 0) {
            uint64_t entries;
            uint32_t connected;
            Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
            Raison__StatusRequest st = RAISON__STATUS_REQUEST__INIT;
            Raison__ApiReply *reply = NULL;
            req.call_case = RAISON__API_REQUEST__CALL_STATUS;
            req.status = &st;
            if (rsn_client_call(c, &req, &reply) == 0) {
                raison__api_reply__free_unpacked(reply, NULL);
                rsn_client_destroy(&c);
                /* reconnect with the long timeout for the bench's calls */
                if (rsn_client_connect(&c, n->sock, BENCH_API_TIMEOUT_MS) != 0 ||
                    bench_status(c, &entries, &connected) != 0) {
                    rsn_client_destroy(&c);
                    return -1;
                }
                *out = c;
                return 0;
            }
            rsn_client_destroy(&c);
        }
        int status;
        if (n->pid > 0 && waitpid(n->pid, &status, WNOHANG) == n->pid) {
            n->pid = 0;
            fprintf(stderr, "bench: raisond %s exited at start\n", n->name);
            bench_node_tail(n);
            return -1;
        }
        if (bench_now() > deadline) {
            fprintf(stderr, "bench: raisond %s did not answer in %.0f s\n", n->name, timeout_s);
            bench_node_tail(n);
            return -1;
        }
        bench_sleep_ms(20);
    }
}

static inline int bench_send_publish(rsn_client_t *client, const bench_entry_t *p)
{
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__PublishRequest pub = RAISON__PUBLISH_REQUEST__INIT;
    Raison__SignedEntry se = RAISON__SIGNED_ENTRY__INIT;

    se.entry.data = (uint8_t *)p->entry;
    se.entry.len = p->entry_len;
    se.signature.data = (uint8_t *)p->sig;
    se.signature.len = RSN_SIG_BYTES;
    se.body.data = (uint8_t *)p->body;
    se.body.len = p->body_len;
    pub.entry = &se;
    req.call_case = RAISON__API_REQUEST__CALL_PUBLISH;
    req.publish = &pub;
    return rsn_client_send(client, &req, NULL);
}

/* True when REPLY acknowledges a fresh store of P; prints why not. */
static inline bool bench_acknowledged(const Raison__ApiReply *reply, const bench_entry_t *p,
                                      size_t index)
{
    if (reply->result_case == RAISON__API_REPLY__RESULT_ERROR) {
        fprintf(stderr, "bench: publish %zu refused (%d): %s\n", index, (int)reply->error->code,
                reply->error->message);
        return false;
    }
    if (reply->result_case != RAISON__API_REPLY__RESULT_PUBLISH ||
        reply->publish->id.len != RSN_ID_BYTES ||
        memcmp(reply->publish->id.data, p->id, RSN_ID_BYTES) != 0) {
        fprintf(stderr, "bench: reply %zu is not the ack of what was sent\n", index);
        return false;
    }
    if (reply->publish->duplicate) {
        fprintf(stderr, "bench: publish %zu was taken as a duplicate\n", index);
        return false;
    }
    return true;
}

/* Publishes ORDER's N entries keeping INFLIGHT requests in flight; the rate
 * per second, or a negative number after printing why. */
static inline double bench_publish_all(rsn_client_t *client, bench_entry_t **order, size_t n,
                                       size_t inflight)
{
    size_t sent = 0;
    size_t acked = 0;
    double start = bench_now();
    while (acked < n) {
        while (sent < n && sent - acked < inflight) {
            int rc = bench_send_publish(client, order[sent]);
            if (rc != 0) {
                fprintf(stderr, "bench: send %zu failed: %s\n", sent, rsn_strerror(rc));
                return -1;
            }
            sent++;
        }
        Raison__ApiReply *reply = NULL;
        int rc = rsn_client_recv(client, &reply);
        if (rc != 0) {
            fprintf(stderr, "bench: no reply after %zu acks: %s\n", acked, rsn_strerror(rc));
            return -1;
        }
        bool ok = bench_acknowledged(reply, order[acked], acked);
        raison__api_reply__free_unpacked(reply, NULL);
        if (!ok) {
            return -1;
        }
        acked++;
    }
    return (double)n / (bench_now() - start);
}

/* Publishes one entry and waits for its ack: 0 or -1. */
static inline int bench_publish_one(rsn_client_t *client, const bench_entry_t *p, size_t index)
{
    if (bench_send_publish(client, p) != 0) {
        fprintf(stderr, "bench: publish %zu could not be sent\n", index);
        return -1;
    }
    Raison__ApiReply *reply = NULL;
    int rc = rsn_client_recv(client, &reply);
    if (rc != 0) {
        fprintf(stderr, "bench: no reply to publish %zu: %s\n", index, rsn_strerror(rc));
        return -1;
    }
    bool ok = bench_acknowledged(reply, p, index);
    raison__api_reply__free_unpacked(reply, NULL);
    return ok ? 0 : -1;
}

/* Prints the machine line every benchmark starts with, and makes stdout line
 * buffered so that it interleaves with stderr in order. */
static inline void bench_print_machine(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    double load[3] = {0, 0, 0};
    FILE *f = fopen("/proc/loadavg", "r");
    if (f != NULL) {
        if (fscanf(f, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3) {
            load[0] = load[1] = load[2] = 0;
        }
        fclose(f);
    }
    printf("machine: %ld processors online, load average %.2f %.2f %.2f (shared machine:"
           " figures are noisy)\n",
           sysconf(_SC_NPROCESSORS_ONLN), load[0], load[1], load[2]);
}

#endif
