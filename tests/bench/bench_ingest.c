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
 * refused or lost. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../common/log.h"
#include "../../crypto/crypto.h"
#include "../../crypto/keypair.h"
#include "../../net/client.h"
#include "../../proto/codec.h"
#include "raison.pb-c.h"

#define VERIFY_SECONDS 2.0
#define TIMEOUT_MS 30000
#define ENTRY_CAP 256 /* a profile entry header is about 150 bytes */
#define BODY_CAP 64

typedef struct {
    uint8_t entry[ENTRY_CAP];
    size_t entry_len;
    uint8_t sig[RSN_SIG_BYTES];
    uint8_t body[BODY_CAP];
    size_t body_len;
    uint8_t id[RSN_ID_BYTES];
    const uint8_t *author; /* owned by the author's keypair */
} presigned_t;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Signs the profile entry SEQ of KP after PREV (NULL for seq 1) into P. */
static int presign(presigned_t *p, const rsn_keypair_t *kp, uint64_t seq, const uint8_t *prev)
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
    if (p->body_len > BODY_CAP) {
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
    e.timestamp = wall_ms();
    e.kind = RAISON__KIND__KIND_PROFILE;
    e.body_hash.data = hash;
    e.body_hash.len = RSN_HASH_BYTES;
    e.body_size = (uint32_t)p->body_len;
    p->entry_len = raison__entry__get_packed_size(&e);
    if (p->entry_len > ENTRY_CAP) {
        return RSN_ERR_TOO_LARGE;
    }
    raison__entry__pack(&e, p->entry);
    rsn_entry_id(p->id, p->entry, p->entry_len);
    return rsn_keypair_sign_entry(kp, p->entry, p->entry_len, p->sig);
}

/* Verifies the N entries round and round for VERIFY_SECONDS; the rate. */
static double raw_verify_rate(const presigned_t *all, size_t n)
{
    size_t done = 0;
    double start = now_s();
    double elapsed = 0;
    while (elapsed < VERIFY_SECONDS) {
        for (size_t i = 0; i < n && i < 1000; i++) {
            const presigned_t *p = &all[(done + i) % n];
            if (rsn_entry_verify(p->author, p->entry, p->entry_len, p->sig) != 0) {
                fprintf(stderr, "bench_ingest: a presigned entry does not verify\n");
                exit(1);
            }
        }
        done += n < 1000 ? n : 1000;
        elapsed = now_s() - start;
    }
    return (double)done / elapsed;
}

static int send_publish(rsn_client_t *client, const presigned_t *p)
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
static bool acknowledged(const Raison__ApiReply *reply, const presigned_t *p, size_t index)
{
    if (reply->result_case == RAISON__API_REPLY__RESULT_ERROR) {
        fprintf(stderr, "bench_ingest: publish %zu refused (%d): %s\n", index,
                (int)reply->error->code, reply->error->message);
        return false;
    }
    if (reply->result_case != RAISON__API_REPLY__RESULT_PUBLISH ||
        reply->publish->id.len != RSN_ID_BYTES ||
        memcmp(reply->publish->id.data, p->id, RSN_ID_BYTES) != 0) {
        fprintf(stderr, "bench_ingest: reply %zu is not the ack of what was sent\n", index);
        return false;
    }
    if (reply->publish->duplicate) {
        fprintf(stderr, "bench_ingest: publish %zu was taken as a duplicate\n", index);
        return false;
    }
    return true;
}

/* Publishes ORDER's N entries keeping INFLIGHT in flight; the rate, or a
 * negative number on failure. */
static double publish_all(rsn_client_t *client, presigned_t **order, size_t n, size_t inflight)
{
    size_t sent = 0;
    size_t acked = 0;
    double start = now_s();
    while (acked < n) {
        while (sent < n && sent - acked < inflight) {
            int rc = send_publish(client, order[sent]);
            if (rc != 0) {
                fprintf(stderr, "bench_ingest: send %zu failed: %s\n", sent, rsn_strerror(rc));
                return -1;
            }
            sent++;
        }
        Raison__ApiReply *reply = NULL;
        int rc = rsn_client_recv(client, &reply);
        if (rc != 0) {
            fprintf(stderr, "bench_ingest: no reply after %zu acks: %s\n", acked, rsn_strerror(rc));
            return -1;
        }
        bool ok = acknowledged(reply, order[acked], acked);
        raison__api_reply__free_unpacked(reply, NULL);
        if (!ok) {
            return -1;
        }
        acked++;
    }
    return (double)n / (now_s() - start);
}

static long arg_or(int argc, char **argv, int i, long fallback)
{
    if (argc <= i) {
        return fallback;
    }
    long v = strtol(argv[i], NULL, 10);
    if (v <= 0 || v > 1000000) {
        fprintf(stderr, "bench_ingest: %s is not a count\n", argv[i]);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    int status = 1;
    rsn_keypair_t **keys = NULL;
    presigned_t *all = NULL;
    presigned_t **order = NULL;
    rsn_client_t *client = NULL;

    if (argc < 2) {
        fprintf(stderr, "usage: bench_ingest SOCKET [AUTHORS] [PER_AUTHOR] [INFLIGHT]\n");
        return 2;
    }
    size_t authors = (size_t)arg_or(argc, argv, 2, 100);
    size_t per_author = (size_t)arg_or(argc, argv, 3, 200);
    size_t inflight = (size_t)arg_or(argc, argv, 4, 512);
    size_t n = authors * per_author;

    rsn_log_setup("bench_ingest", RSN_LOG_WARN);
    if (rsn_crypto_init() != 0) {
        fprintf(stderr, "bench_ingest: libsodium does not start\n");
        return 1;
    }
    keys = calloc(authors, sizeof *keys);
    all = calloc(n, sizeof *all);
    order = calloc(n, sizeof *order);
    if (keys == NULL || all == NULL || order == NULL) {
        fprintf(stderr, "bench_ingest: out of memory\n");
        goto out;
    }
    /* all[a * per_author + s] is seq s+1 of author a */
    for (size_t a = 0; a < authors; a++) {
        keys[a] = rsn_keypair_generate();
        if (keys[a] == NULL) {
            fprintf(stderr, "bench_ingest: cannot generate a key\n");
            goto out;
        }
        for (size_t s = 0; s < per_author; s++) {
            presigned_t *p = &all[a * per_author + s];
            const uint8_t *prev = s == 0 ? NULL : all[a * per_author + s - 1].id;
            if (presign(p, keys[a], s + 1, prev) != 0) {
                fprintf(stderr, "bench_ingest: presigning failed\n");
                goto out;
            }
        }
    }
    /* round robin over the authors, each author's feed in order */
    for (size_t s = 0; s < per_author; s++) {
        for (size_t a = 0; a < authors; a++) {
            order[s * authors + a] = &all[a * per_author + s];
        }
    }
    printf("presigned %zu entries of %zu authors\n", n, authors);

    double raw = raw_verify_rate(all, n);
    printf("raw verify: %.0f/s (rsn_entry_verify, one thread, %.0f s)\n", raw, VERIFY_SECONDS);
    fflush(stdout);

    int rc = rsn_client_connect(&client, argv[1], TIMEOUT_MS);
    if (rc != 0) {
        fprintf(stderr, "bench_ingest: cannot connect to %s: %s\n", argv[1], rsn_strerror(rc));
        goto out;
    }
    double ingest = publish_all(client, order, n, inflight);
    if (ingest < 0) {
        goto out;
    }
    printf("ingest: %.0f entries/s  raw verify: %.0f/s  ratio: %.2f  (target >= 0.8)"
           "  [%zu entries, %zu authors, %zu in flight]\n",
           ingest, raw, ingest / raw, n, authors, inflight);
    status = 0;
out:
    rsn_client_destroy(&client);
    for (size_t a = 0; keys != NULL && a < authors; a++) {
        rsn_keypair_destroy(&keys[a]);
    }
    free(keys);
    free(all);
    free(order);
    return status;
}
