/* fuzz_fed_frame.c — libFuzzer target for federation frames, through the
 * real gossip handler.
 *
 * Each input is one frame a trusted peer sends. It is decoded as a FedFrame
 * (bounded, arena-allocated, as node/daemon/gossip.c does), then actually sent
 * over a CURVE link between two federation objects in this process (ipc://
 * in a temporary folder, no network) to a gossip engine over a temporary
 * store, and the engine's turn is run as raisond's loop runs it (receive,
 * commit, after-commit, tick) until the frame has been handled. The store
 * starts with seq 1..3 of the author of seed 0x01 x 32, built exactly as
 * hostile_tool's `seeds` builds them, so seeds chain onto it; seq 3 is held
 * without its body (body missing), so a Bodies seed has a body to bring.
 * The engine is told before each input that it asked the peer for bodies
 * (gossip_internal.h), so Bodies frames reach their handler every time. A peer the
 * engine bans is trusted again at once, so fuzzing goes on. The entries of
 * an EntryBatch are signed before the frame is sent, by keys the harness
 * owns (sign.h; one of them is the author of the stored chain), their seq
 * and prev following those feeds' heads as the fuzzed signature's first
 * byte says, so that they pass the signature check and reach the feed
 * rule, forks, bodies and the indexes. Nothing may crash, leak or read out
 * of bounds. Build with -DRSN_FUZZ=ON (clang). */
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/arena.h"
#include "common/log.h"
#include "crypto/crypto.h"
#include "crypto/keypair.h"
#include "daemon/gossip.h"
#include "daemon/gossip_internal.h" /* to mark a BodiesRequest as in flight */
#include "daemon/ingest.h"
#include "net/fed.h"
#include "proto/codec.h"
#include "store/store.h"

#include "sign.h"

#define HANDLE_TIMEOUT_MS 2000

typedef struct {
    char dir[64];
    rsn_store_t *store;
    rsn_ingest_t *ingest;
    rsn_fed_t *victim;
    rsn_fed_t *peer;
    rsn_gossip_t *gossip;
    uint8_t victim_key[32];
    uint8_t peer_key[32];
    char endpoint[128];
    fuzz_signer_t *signer;
} harness_t;

static harness_t H;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void fatal(const char *what)
{
    fprintf(stderr, "fuzz_fed_frame: %s\n", what);
    abort();
}

static rsn_fed_t *fed_of_seed(uint8_t fill, uint8_t key[32], const char *listen)
{
    uint8_t seed[32];
    memset(seed, fill, sizeof seed);
    rsn_keypair_t *kp = rsn_keypair_from_seed(seed);
    uint8_t *secret = rsn_secure_alloc(32);
    rsn_fed_t *fed = NULL;
    if (kp == NULL || secret == NULL || rsn_keypair_curve_secret(kp, secret) != 0) {
        fatal("cannot make a node key");
    }
    memcpy(key, rsn_keypair_public(kp), 32);
    if (rsn_fed_new(&fed, key, secret, listen) != 0) {
        fatal("cannot start a federation object");
    }
    rsn_secure_free(secret);
    rsn_keypair_destroy(&kp);
    return fed;
}

static void trust(rsn_fed_t *fed, const uint8_t key[32], const char *endpoint)
{
    rsn_fed_peer_conf_t conf;
    memset(&conf, 0, sizeof conf);
    memcpy(conf.key, key, 32);
    snprintf(conf.endpoint, sizeof conf.endpoint, "%s", endpoint);
    if (rsn_fed_set_peers(fed, &conf, 1) != 0) {
        fatal("cannot set a peer");
    }
}

/* Seq 1..3 of seed 0x01's author, as hostile_tool's `seeds` makes them. */
static void store_chain(void)
{
    uint8_t seed[32], prev[32], hash[32];
    memset(seed, 0x01, sizeof seed);
    rsn_keypair_t *kp = rsn_keypair_from_seed(seed);
    rsn_arena_t *arena = rsn_arena_new();
    if (kp == NULL || arena == NULL) {
        fatal("out of memory");
    }
    for (uint64_t seq = 1; seq <= 3; seq++) {
        Raison__Profile p = RAISON__PROFILE__INIT;
        char name[48];
        snprintf(name, sizeof name, "hostile %" PRIu64, seq);
        p.name = name;
        p.site = "hostile";
        uint8_t *body = NULL, *entry = NULL;
        size_t body_len = 0, entry_len = 0;
        if (rsn_pack(arena, &p.base, &body, &body_len) != 0) {
            fatal("cannot pack a body");
        }
        rsn_sha256(hash, body, body_len);
        Raison__Entry e = RAISON__ENTRY__INIT;
        e.author.data = (uint8_t *)rsn_keypair_public(kp);
        e.author.len = 32;
        e.seq = seq;
        if (seq > 1) {
            e.prev.data = prev;
            e.prev.len = 32;
        }
        e.timestamp = 1700000000000ULL + seq;
        e.kind = RAISON__KIND__KIND_PROFILE;
        e.body_hash.data = hash;
        e.body_hash.len = 32;
        e.body_size = (uint32_t)body_len;
        uint8_t sig[RSN_SIG_BYTES];
        rsn_ingest_result_t res;
        if (rsn_pack(arena, &e.base, &entry, &entry_len) != 0 ||
            rsn_keypair_sign_entry(kp, entry, entry_len, sig) != 0 ||
            rsn_ingest_stage(H.ingest,
                             &(rsn_ingest_input_t){.entry = entry,
                                                   .entry_len = entry_len,
                                                   .signature = sig,
                                                   .signature_len = sizeof sig,
                                                   .body = body,
                                                   .body_len = body_len,
                                                   .has_body = seq < 3,
                                                   .origin = RSN_INGEST_RELAYED},
                             &res, NULL, 0) != 0) {
            fatal("cannot store the starting chain");
        }
        memcpy(prev, res.id, 32);
    }
    if (rsn_ingest_commit(H.ingest) != 0) {
        fatal("cannot commit the starting chain");
    }
    rsn_ingest_committed_clear(H.ingest);
    rsn_arena_destroy(&arena);
    rsn_keypair_destroy(&kp);
}

static void remove_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", H.dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "fuzz_fed_frame: could not remove %s\n", H.dir);
    }
}

/* One turn of the node's loop, as node/daemon/node.c runs it. */
static void victim_turn(int wait_ms)
{
    bool api = false, fed = false;
    if (rsn_fed_wait(H.victim, NULL, wait_ms, &api, &fed) == RSN_ERR_INTERNAL) {
        fatal("waiting failed");
    }
    for (int i = 0; i < 8; i++) {
        int rc = rsn_gossip_receive(H.gossip);
        if (rsn_ingest_commit(H.ingest) != 0) {
            fatal("commit failed");
        }
        size_t count = 0;
        const uint8_t(*ids)[32] = rsn_ingest_committed(H.ingest, &count);
        rsn_gossip_after_commit(H.gossip, ids, count);
        rsn_ingest_committed_clear(H.ingest);
        if (rc != RSN_ERR_AGAIN) {
            break;
        }
    }
    rsn_gossip_tick(H.gossip);
}

/* Reads and drops whatever the victim sent to the fuzzing peer. */
static void peer_turn(void)
{
    bool api = false, fed = false;
    if (rsn_fed_wait(H.peer, NULL, 0, &api, &fed) == RSN_ERR_INTERNAL) {
        fatal("waiting failed");
    }
    uint8_t from[32];
    uint8_t *frame = NULL;
    size_t len = 0;
    while (rsn_fed_recv(H.peer, from, &frame, &len) == 0) {
        free(frame);
    }
    rsn_fed_event_t ev;
    while (rsn_fed_next_event(H.peer, &ev) == 0) {
    }
}

static const rsn_fed_peer_info_t *victim_view(rsn_fed_peer_info_t *info)
{
    size_t n = rsn_fed_peers(H.victim, info, 1);
    return n == 1 ? info : NULL;
}

static bool peer_linked(void)
{
    rsn_fed_peer_info_t out[1];
    size_t n = rsn_fed_peers(H.peer, out, 1);
    return n == 1 && out[0].connected;
}

static void setup(void)
{
    rsn_log_setup("fuzz_fed_frame", RSN_LOG_ERROR);
    if (rsn_crypto_init() != 0) {
        fatal("libsodium failed to start");
    }
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(H.dir, sizeof H.dir, "%s/fzfedXXXXXX", base);
    if (mkdtemp(H.dir) == NULL) {
        fatal("mkdtemp failed");
    }
    atexit(remove_dir);
    char store_dir[96];
    snprintf(store_dir, sizeof store_dir, "%s/store", H.dir);
    snprintf(H.endpoint, sizeof H.endpoint, "ipc://%s/fed.sock", H.dir);
    if (rsn_store_open(&H.store, store_dir) != 0 || rsn_ingest_new(&H.ingest, H.store) != 0) {
        fatal("cannot open the store");
    }
    H.victim = fed_of_seed(0x02, H.victim_key, H.endpoint);
    H.peer = fed_of_seed(0x03, H.peer_key, NULL);
    trust(H.victim, H.peer_key, "");
    trust(H.peer, H.victim_key, H.endpoint);
    if (rsn_gossip_new(&H.gossip, H.store, H.ingest, H.victim, H.victim_key, "fuzz") != 0) {
        fatal("cannot start the gossip engine");
    }
    store_chain();
    static const uint8_t fills[FUZZ_SIGN_KEYS] = {0x01, 0x04}; /* 0x01: the stored chain's */
    if (!(H.signer = fuzz_signer_new(fills))) {
        fatal("cannot make the signing keys");
    }
    int64_t deadline = mono_ms() + 10000;
    while (!peer_linked()) {
        if (mono_ms() > deadline) {
            fatal("the two federation objects did not link");
        }
        victim_turn(1);
        peer_turn();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready = false;
    if (!ready) {
        setup();
        ready = true;
    }
    /* the decoder alone, as the handler calls it */
    rsn_arena_t *arena = rsn_arena_new();
    if (arena == NULL) {
        return 0;
    }
    ProtobufCAllocator a = rsn_arena_allocator(arena);
    Raison__FedFrame *f = raison__fed_frame__unpack(&a, size, data);
    if (f != NULL && f->msg_case == RAISON__FED_FRAME__MSG_ENTRIES && f->entries == NULL) {
        __builtin_trap(); /* a set oneof always carries its message */
    }
    if (f != NULL && f->msg_case == RAISON__FED_FRAME__MSG_ENTRIES) {
        /* signed by the harness's keys, so the entries get past the signature */
        fuzz_sign_begin(H.signer, H.ingest);
        for (size_t i = 0; i < f->entries->n_entries; i++) {
            if (fuzz_sign_entry(H.signer, arena, f->entries->entries[i]) != 0) {
                goto out;
            }
        }
        uint8_t *packed = NULL;
        if (rsn_pack(arena, &f->base, &packed, &size) != 0) {
            goto out;
        }
        data = packed;
    }
    if (size == 0 || size > RSN_FED_MAX_FRAME) {
        goto out; /* the transport never delivers these */
    }

    /* a banned peer is trusted again, so that the next input is handled */
    rsn_fed_peer_info_t info[1];
    const rsn_fed_peer_info_t *v = victim_view(info);
    if (v == NULL) {
        fatal("the victim forgot its peer");
    }
    if (strncmp(v->last_error, "banned", 6) == 0 && !v->connected) {
        if (rsn_fed_set_peers(H.victim, NULL, 0) != 0) {
            fatal("cannot drop the peer");
        }
        trust(H.victim, H.peer_key, "");
    }
    peer_t *asked = gossip_peer(H.gossip, H.peer_key, false);
    if (asked) {
        asked->bodies_asked = 1; /* a Bodies answer is expected */
    }
    uint64_t before = victim_view(info)->frames_in;
    int64_t deadline = mono_ms() + HANDLE_TIMEOUT_MS;
    while (rsn_fed_send(H.peer, H.victim_key, data, size) != 0) {
        if (mono_ms() > deadline) {
            goto out; /* the link is down for now; the next input retries */
        }
        peer_turn();
        victim_turn(1);
    }
    while (victim_view(info)->frames_in == before && mono_ms() < deadline) {
        victim_turn(5);
        peer_turn();
    }
    victim_turn(0);
    peer_turn();
    if (getenv("FUZZ_FED_VERBOSE") != NULL) {
        rsn_counts_t c;
        rsn_ingest_counts(H.ingest, &c);
        v = victim_view(info);
        fprintf(stderr,
                "fuzz_fed_frame: %zu bytes handled=%d entries=%" PRIu64 " forks=%" PRIu64
                " missing=%" PRIu64 " last_error=%s\n",
                size, v->frames_in != before, c.entries, c.forks, c.missing, v->last_error);
    }
out:
    rsn_arena_destroy(&arena);
    return 0;
}
