/* heads_tool.c — many feeds at once, for the anti-entropy paging test
 * (test_fed_heads_paging.sh).
 *
 * Convergence past a page of heads needs thousands of authors: this tool
 * publishes one profile entry (seq 1) for each of many keys through the API,
 * pipelined, and checks that a node holds every one of them afterwards. The
 * keys come from fresh random seeds, or from a seeds file (32 bytes each)
 * such as tests/integration/data/bucket0-seeds.bin, whose keys all start
 * with 0x00 (one anti-entropy bucket); `bucket0-seeds` makes that file,
 * deterministically (the seeds are SHA-256 of a counter), for
 * tests/integration/make_bucket0_seeds.sh.
 *
 *   heads_tool SOCKET publish-random N IDS    N fresh authors, one profile
 *                                             each; their ids appended to IDS
 *   heads_tool SOCKET publish-seeds FILE IDS [N]
 *                                             one profile for each seed of
 *                                             FILE (its first N); ids
 *                                             appended to IDS
 *   heads_tool SOCKET has-all IDS             exit 0 when the node holds
 *                                             every id (hex, one a line) of IDS
 *   heads_tool - bucket0-seeds N FILE         write N seeds whose public key
 *                                             starts with 0x00 to FILE
 *
 * Exit codes: 0 as expected, 1 the node answered otherwise, 2 the tool or
 * its setup failed. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "crypto/crypto.h"
#include "crypto/keypair.h"
#include "net/client.h"
#include "proto/codec.h"
#include "raison.pb-c.h"

#define TIMEOUT_MS 30000
#define WINDOW 64     /* publishes in flight */
#define ENTRY_CAP 256 /* a profile entry header is about 150 bytes */
#define BODY_CAP 64   /* and its body about 30 */
#define SEED_BYTES 32
#define MAX_AUTHORS 65536 /* authors one run publishes, at most */

/* One signed profile entry, ready to publish. */
typedef struct {
    uint8_t entry[ENTRY_CAP];
    size_t entry_len;
    uint8_t sig[RSN_SIG_BYTES];
    uint8_t body[BODY_CAP];
    size_t body_len;
    uint8_t id[RSN_ID_BYTES];
} signed_t;

static void die(const char *what)
{
    fprintf(stderr, "heads_tool: %s\n", what);
    exit(2);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Signs entry 1 of KP's feed, a profile named for its index I, into S. */
static void sign_profile(const rsn_keypair_t *kp, size_t i, signed_t *s)
{
    Raison__Profile profile = RAISON__PROFILE__INIT;
    Raison__Entry e = RAISON__ENTRY__INIT;
    uint8_t hash[RSN_HASH_BYTES];
    char name[32];

    snprintf(name, sizeof name, "feed %zu", i);
    profile.name = name;
    profile.site = "heads";
    profile.role = "page filler";
    s->body_len = raison__profile__get_packed_size(&profile);
    if (s->body_len > BODY_CAP) {
        die("a profile body does not fit");
    }
    raison__profile__pack(&profile, s->body);
    rsn_sha256(hash, s->body, s->body_len);
    e.author.data = (uint8_t *)rsn_keypair_public(kp);
    e.author.len = RSN_KEY_BYTES;
    e.seq = 1;
    e.timestamp = now_ms();
    e.kind = RAISON__KIND__KIND_PROFILE;
    e.body_hash.data = hash;
    e.body_hash.len = RSN_HASH_BYTES;
    e.body_size = (uint32_t)s->body_len;
    s->entry_len = raison__entry__get_packed_size(&e);
    if (s->entry_len > ENTRY_CAP) {
        die("a profile entry does not fit");
    }
    raison__entry__pack(&e, s->entry);
    rsn_entry_id(s->id, s->entry, s->entry_len);
    if (rsn_keypair_sign_entry(kp, s->entry, s->entry_len, s->sig) != 0) {
        die("signing failed");
    }
}

/* Sends S as a PublishRequest without waiting for the answer. */
static int send_publish(rsn_client_t *client, const signed_t *s)
{
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__PublishRequest pub = RAISON__PUBLISH_REQUEST__INIT;
    Raison__SignedEntry se = RAISON__SIGNED_ENTRY__INIT;
    se.entry.data = (uint8_t *)s->entry;
    se.entry.len = s->entry_len;
    se.signature.data = (uint8_t *)s->sig;
    se.signature.len = RSN_SIG_BYTES;
    se.body.data = (uint8_t *)s->body;
    se.body.len = s->body_len;
    pub.entry = &se;
    req.call_case = RAISON__API_REQUEST__CALL_PUBLISH;
    req.publish = &pub;
    return rsn_client_send(client, &req, NULL);
}

/* Waits for the answer to S: 0 when it was stored, 1 otherwise. */
static int await_publish(rsn_client_t *client, const signed_t *s, size_t i)
{
    Raison__ApiReply *reply = NULL;
    int rc = rsn_client_recv(client, &reply);
    if (rc != 0) {
        fprintf(stderr, "heads_tool: no answer to publish %zu: %s\n", i, rsn_strerror(rc));
        return 1;
    }
    bool ok = reply->result_case == RAISON__API_REPLY__RESULT_PUBLISH && reply->publish &&
              reply->publish->id.len == RSN_ID_BYTES &&
              memcmp(reply->publish->id.data, s->id, RSN_ID_BYTES) == 0;
    if (!ok) {
        fprintf(stderr, "heads_tool: publish %zu was not stored (%s)\n", i,
                reply->result_case == RAISON__API_REPLY__RESULT_ERROR && reply->error &&
                        reply->error->message
                    ? reply->error->message
                    : "unexpected reply");
    }
    raison__api_reply__free_unpacked(reply, NULL);
    return ok ? 0 : 1;
}

/* Publishes the N entries of ALL, WINDOW in flight, and appends each stored
 * entry's id to IDS_PATH. */
static int publish_all(rsn_client_t *client, const signed_t *all, size_t n, const char *ids_path)
{
    int rc = 0;
    FILE *out = fopen(ids_path, "a");
    if (!out) {
        die("cannot open the ids file");
    }
    size_t sent = 0, acked = 0;
    while (acked < n && rc == 0) {
        while (sent < n && sent - acked < WINDOW) {
            if (send_publish(client, &all[sent]) != 0) {
                die("a publish could not be sent");
            }
            sent++;
        }
        rc = await_publish(client, &all[acked], acked);
        if (rc == 0) {
            char hex[RSN_KEY_HEX + 1];
            fprintf(out, "%s\n", rsn_hex_encode(hex, sizeof hex, all[acked].id, RSN_ID_BYTES));
        }
        acked++;
    }
    if (fclose(out) != 0) {
        die("cannot write the ids file");
    }
    return rc;
}

/* Signs entry I of ALL with the key of SEED (NULL: a fresh random key). */
static void sign_one(signed_t *all, size_t i, const uint8_t *seed)
{
    rsn_keypair_t *kp = seed ? rsn_keypair_from_seed(seed) : rsn_keypair_generate();
    if (!kp) {
        die("cannot make a key");
    }
    sign_profile(kp, i, &all[i]);
    rsn_keypair_destroy(&kp);
}

/* Signs one profile for each seed of PATH (its first MAX, at most
 * MAX_AUTHORS) into ALL; their count. */
static size_t sign_seeds(const char *path, size_t max, signed_t *all)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        die("cannot open the seeds file");
    }
    uint8_t seed[SEED_BYTES];
    size_t n = 0;
    while (n < max && n < MAX_AUTHORS && fread(seed, 1, sizeof seed, f) == sizeof seed) {
        sign_one(all, n++, seed);
    }
    fclose(f);
    return n;
}

/* Exit 0 when the node holds every id listed in IDS_PATH. */
static int has_all(rsn_client_t *client, const char *ids_path)
{
    FILE *f = fopen(ids_path, "r");
    if (!f) {
        die("cannot open the ids file");
    }
    char line[128];
    size_t held = 0, lacking = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        uint8_t id[RSN_ID_BYTES];
        if (rsn_key_from_hex(id, line) != 0) {
            die("an id in the ids file is not 64 hex characters");
        }
        Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
        Raison__EntryRequest er = RAISON__ENTRY_REQUEST__INIT;
        Raison__ApiReply *reply = NULL;
        er.id.data = id;
        er.id.len = RSN_ID_BYTES;
        req.call_case = RAISON__API_REQUEST__CALL_ENTRY;
        req.entry = &er;
        if (rsn_client_call(client, &req, &reply) != 0) {
            die("an entry call failed");
        }
        bool ok = reply->result_case == RAISON__API_REPLY__RESULT_ENTRY && reply->entry->entry &&
                  reply->entry->entry->id.len == RSN_ID_BYTES &&
                  memcmp(reply->entry->entry->id.data, id, RSN_ID_BYTES) == 0;
        raison__api_reply__free_unpacked(reply, NULL);
        if (ok) {
            held++;
        } else if (lacking++ < 3) {
            fprintf(stderr, "heads_tool: %s is not held\n", line);
        }
    }
    fclose(f);
    printf("held=%zu lacking=%zu\n", held, lacking);
    return lacking == 0 && held > 0 ? 0 : 1;
}

/* Writes N seeds whose public key starts with 0x00 to PATH: SHA-256 of
 * "bucket0 " and a counter, from 0 on, keeping those that fall in bucket 0
 * (one in 256). */
static int make_bucket0_seeds(long n, const char *path)
{
    FILE *out = fopen(path, "wb");
    if (!out || n <= 0 || n > MAX_AUTHORS) {
        die("cannot open the seeds file, or N is not in [1, 65536]");
    }
    long found = 0;
    for (uint64_t counter = 0; found < n; counter++) {
        char text[40];
        int len = snprintf(text, sizeof text, "bucket0 %" PRIu64, counter);
        uint8_t seed[SEED_BYTES];
        rsn_sha256(seed, text, (size_t)len);
        rsn_keypair_t *kp = rsn_keypair_from_seed(seed);
        if (!kp) {
            die("cannot make a key");
        }
        if (rsn_keypair_public(kp)[0] == 0x00) {
            if (fwrite(seed, 1, sizeof seed, out) != sizeof seed) {
                die("cannot write the seeds file");
            }
            found++;
        }
        rsn_keypair_destroy(&kp);
    }
    return fclose(out) == 0 ? 0 : 2;
}

static void usage(void)
{
    fprintf(stderr, "usage: heads_tool SOCKET publish-random N IDS | publish-seeds FILE IDS [N] | "
                    "has-all IDS | heads_tool - bucket0-seeds N FILE\n");
    exit(2);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        usage();
    }
    rsn_log_setup("heads_tool", RSN_LOG_WARN);
    if (rsn_crypto_init() != 0) {
        die("libsodium does not start");
    }
    const char *cmd = argv[2];
    if (strcmp(cmd, "bucket0-seeds") == 0 && argc == 5) {
        return make_bucket0_seeds(strtol(argv[3], NULL, 10), argv[4]);
    }
    rsn_client_t *client = NULL;
    if (rsn_client_connect(&client, argv[1], TIMEOUT_MS) != 0) {
        die("cannot connect to the node");
    }
    int rc = 2;
    signed_t *all = calloc(MAX_AUTHORS, sizeof *all);
    if (!all) {
        die("out of memory");
    }
    if (strcmp(cmd, "publish-random") == 0 && argc == 5) {
        long n = strtol(argv[3], NULL, 10);
        if (n <= 0 || n > MAX_AUTHORS) {
            die("N is not in [1, 65536]");
        }
        for (long i = 0; i < n; i++) {
            sign_one(all, (size_t)i, NULL);
        }
        rc = publish_all(client, all, (size_t)n, argv[4]);
    } else if (strcmp(cmd, "publish-seeds") == 0 && (argc == 5 || argc == 6)) {
        long max = argc == 6 ? strtol(argv[5], NULL, 10) : MAX_AUTHORS;
        size_t n = sign_seeds(argv[3], max > 0 ? (size_t)max : 0, all);
        rc = n > 0 ? publish_all(client, all, n, argv[4]) : 2;
    } else if (strcmp(cmd, "has-all") == 0 && argc == 4) {
        rc = has_all(client, argv[3]);
    } else {
        usage();
    }
    free(all);
    rsn_client_destroy(&client);
    return rc;
}
