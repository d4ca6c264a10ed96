/* hostile_tool.c — a trusted federation peer that misbehaves, for the tests.
 *
 * Issue 3 asks that a peer cannot crash a node, stall it, or make it store
 * anything invalid. This tool is such a peer: it has a node key of its own
 * (made from a seed, so the victim can be started with `--peer =KEY`), dials
 * the victim through the real transport (net/fed.h: CURVE, ZAP) and sends
 * one kind of bad input per run. It only reports what it sent and what came
 * back; test_fed_hostile.sh checks the victim from the outside (alive,
 * answering, nothing invalid stored, the peer counted and banned).
 *
 *   hostile_tool key SEED                       print the node key of SEED
 *   hostile_tool peers SOCKET KEY               the victim's view of peer KEY:
 *                                               connected= dropped= banned_until=
 *                                               received= last_error=
 *   hostile_tool seeds DIR                      write FedFrame fuzz seeds
 *   hostile_tool witness SOCKET KEY             the victim's witnessing of peer
 *                                               KEY, one JSON object:
 *                                               checkpoint_size, checkpoint_note,
 *                                               inconsistency, dropped
 *   hostile_tool SEED VKEY VEP CASE [ARG...]    run one case against the node
 *                                               VKEY listening on VEP
 * Cases:
 *   garbage N             N frames of random bytes
 *   oversize              a frame over RSN_FED_MAX_FRAME on a raw CURVE link
 *   bad-signature N       an EntryBatch of N entries whose signatures fail
 *   body-mismatch N       an EntryBatch of N entries whose bodies fail
 *   wrong-chain           seq 1 (valid), then a gap (seq 3), a wrong prev
 *                         (seq 2) and seq 1 of a forged author; prints author=
 *   gap-fill N BODY       N valid seq-2 entries of N fresh authors, bodies of
 *                         BODY bytes: they wait in the victim's buffer
 *   chain N BODY          a valid feed of N entries with BODY-byte bodies
 *                         (stored: valid=N); prints author=
 *   dup-flood N [BODY]    one valid entry (a body of BODY random bytes, else a
 *                         profile), then N frames of copies of it (256, or
 *                         as many as fit in a frame)
 *   request-flood N       N requests (buckets, heads, want, evidence) at once
 *   huge-range AUTHOR     Wants for 1..2^63 and 256 x 1..2^64-1 of AUTHOR,
 *                         under the rate limit; prints the answers' sizes
 *   never-read AUTHOR S   S seconds of Wants (under the rate limit) on a raw
 *                         link that reads nothing
 *   probe MS              sends a Digest, exit 0 when anything comes back
 *                         within MS ms, 1 otherwise (a banned peer gets nothing)
 *   rule-post GROUP       seq 1 of a fresh author: a post in GROUP (id hex) for
 *                         a mission its charter lacks; valid under the feed
 *                         rule, refused by the views; prints id= author=
 *   relay SOCKET MODE KINDS  every entry of the node at SOCKET (its log, read
 *                         through the API, in order) relayed in push
 *                         EntryBatch frames, the bodies of those of KINDS
 *                         ("all", or a comma list of charter, membership,
 *                         post, profile, retraction) stripped as MODE says:
 *                         bare (no reason given), missing (BODY_MISSING),
 *                         erased (BODY_ERASED naming no reason),
 *                         erased-wrong (BODY_ERASED naming the log's first
 *                         entry, which is no reason), or whole (none
 *                         stripped); prints sent= bare=
 *   checkpoint MODE       one or two CheckpointNote frames: garbage (a text
 *                         that is no note), forged (our checkpoint's text
 *                         changed under its signature), other-key (signed by
 *                         another key under our name), two-roots (two
 *                         checkpoints of size 3 with different roots, both
 *                         signed by our node key)
 *   silence MODE [MS]     witnessing evaded by silence (a peer with a real
 *                         RFC 9162 log, support/fake_log.h): rollback
 *                         (checkpoints of size 8, then 5), silent (4, then
 *                         8; never answers the consistency request), wrong-
 *                         sizes (4, then 8; answers each request with a valid
 *                         proof from 2 to 8), answer (sends nothing, answers
 *                         each request correctly); reads for MS ms (3000)
 *                         and prints asked=N (consistency requests received)
 *
 * Exit codes: 0 the case ran (or the probe was answered), 1 the probe got no
 * answer, 2 the tool failed (cannot link, bad arguments). */
#include <inttypes.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "common/arena.h"
#include "common/log.h"
#include "crypto/crypto.h"
#include "crypto/keypair.h"
#include "crypto/note.h"
#include "daemon/gossip.h"
#include "net/client.h"
#include "net/fed.h"
#include "proto/codec.h"
#include "raison.pb-c.h"
#include "support/api.h"
#include "support/clock.h"
#include "support/entries.h"
#include "support/fake_log.h"
#include "support/files.h"
#include "support/keys.h"

#define LINK_TIMEOUT_MS 10000
#define HOLD_MS 1500       /* keep the link (and read) after sending */
#define RATE_PER_SECOND 40 /* under the victim's 50 requests a second */
#define FRAME_CAP (RSN_FED_MAX_FRAME - 4096)

/* Seeds use fixed timestamps, so fuzz_fed_frame.c can build the same entries. */
static bool fixed_time = false;

typedef rsn_test_signed_t signed_t;

typedef struct {
    rsn_arena_t *arena;
    rsn_keypair_t *node; /* our node key */
    uint8_t victim[32];
    char endpoint[RSN_FED_ENDPOINT_MAX + 1];
    rsn_fed_t *fed;
    uint64_t frames_back;
    uint64_t bytes_back;
    uint64_t max_frame_back;
    uint64_t entries_back;
} tool_t;

static void die(const char *what)
{
    fprintf(stderr, "hostile_tool: %s\n", what);
    exit(2);
}

static void *grab(rsn_arena_t *arena, size_t len)
{
    void *p = rsn_arena_alloc(arena, len ? len : 1);
    if (p == NULL) {
        die("out of memory");
    }
    return p;
}

static uint8_t *pack(rsn_arena_t *arena, const ProtobufCMessage *msg, size_t *len)
{
    *len = protobuf_c_message_get_packed_size(msg);
    uint8_t *out = grab(arena, *len + 1);
    if (protobuf_c_message_pack(msg, out) != *len) {
        die("packing a message failed");
    }
    return out;
}

static rsn_keypair_t *key_of_seed(const char *seed_text)
{
    rsn_keypair_t *kp = NULL;
    int rc = rsn_test_keypair_from_hex(&kp, seed_text);
    if (rc == RSN_ERR_INVALID_ARG) {
        die("SEED is not 64 hex characters");
    }
    if (rc != 0) {
        die("cannot make a key from SEED");
    }
    return kp;
}

static rsn_keypair_t *fresh_key(void)
{
    rsn_keypair_t *kp = rsn_keypair_generate();
    if (kp == NULL) {
        die("cannot generate a key");
    }
    return kp;
}

/* --- entries ---------------------------------------------------------------- */

/* Entry SEQ of KP over BODY (BODY_LEN bytes, a Profile when BODY is NULL),
 * with PREV (NULL for none), signed. */
static signed_t make_entry(rsn_arena_t *arena, const rsn_keypair_t *kp, uint64_t seq,
                           const uint8_t *prev, const uint8_t *body, size_t body_len)
{
    signed_t s;
    rsn_test_header_t h = {.seq = seq,
                           .prev = prev,
                           .timestamp_ms = fixed_time ? 1700000000000ULL + seq : rsn_test_wall_ms(),
                           .kind = RAISON__KIND__KIND_POST};
    int rc;
    if (body == NULL) {
        Raison__Profile p = RAISON__PROFILE__INIT;
        char name[48];
        snprintf(name, sizeof name, "hostile %" PRIu64, seq);
        p.name = name;
        p.site = "hostile";
        h.kind = RAISON__KIND__KIND_PROFILE;
        rc = rsn_test_sign_message(arena, kp, &h, &p.base, &s);
    } else {
        rc = rsn_test_sign_body(arena, kp, &h, body, body_len, &s);
    }
    if (rc != 0) {
        die("signing failed");
    }
    return s;
}

static Raison__SignedEntry *wire_entry(rsn_arena_t *arena, const signed_t *s)
{
    Raison__SignedEntry *se = rsn_test_signed_wire(arena, s, true); /* S may be a local */
    if (se == NULL) {
        die("out of memory");
    }
    return se;
}

static uint8_t *batch_frame(rsn_arena_t *arena, Raison__SignedEntry **list, size_t n, bool push,
                            size_t *len)
{
    Raison__EntryBatch b = RAISON__ENTRY_BATCH__INIT;
    b.entries = list;
    b.n_entries = n;
    b.push = push;
    Raison__FedFrame f = RAISON__FED_FRAME__INIT;
    f.msg_case = RAISON__FED_FRAME__MSG_ENTRIES;
    f.entries = &b;
    return pack(arena, &f.base, len);
}

static uint8_t *want_frame(rsn_arena_t *arena, const uint8_t author[32], uint64_t from, uint64_t to,
                           size_t n_ranges, size_t *len)
{
    Raison__WantRange **ranges = grab(arena, n_ranges * sizeof *ranges);
    for (size_t i = 0; i < n_ranges; i++) {
        ranges[i] = grab(arena, sizeof **ranges);
        raison__want_range__init(ranges[i]);
        ranges[i]->author.data = (uint8_t *)author;
        ranges[i]->author.len = 32;
        ranges[i]->from_seq = from;
        ranges[i]->to_seq = to;
    }
    Raison__Want w = RAISON__WANT__INIT;
    w.ranges = ranges;
    w.n_ranges = n_ranges;
    Raison__FedFrame f = RAISON__FED_FRAME__INIT;
    f.msg_case = RAISON__FED_FRAME__MSG_WANT;
    f.want = &w;
    return pack(arena, &f.base, len);
}

static uint8_t *digest_frame(rsn_arena_t *arena, size_t *len)
{
    static uint8_t root[32];
    Raison__Digest d = RAISON__DIGEST__INIT;
    d.authors = 1;
    d.root.data = root;
    d.root.len = 32;
    Raison__FedFrame f = RAISON__FED_FRAME__INIT;
    f.msg_case = RAISON__FED_FRAME__MSG_DIGEST;
    f.digest = &d;
    return pack(arena, &f.base, len);
}

/* --- the link ------------------------------------------------------------------ */

static void link_up(tool_t *t)
{
    uint8_t *secret = rsn_secure_alloc(RSN_KEY_BYTES);
    if (secret == NULL || rsn_keypair_curve_secret(t->node, secret) != 0) {
        die("cannot derive our CURVE secret");
    }
    int rc = rsn_fed_new(&t->fed, rsn_keypair_public(t->node), secret, NULL);
    rsn_secure_free(secret);
    if (rc != 0) {
        die("cannot start the federation layer");
    }
    rsn_fed_peer_conf_t conf;
    memset(&conf, 0, sizeof conf);
    memcpy(conf.key, t->victim, 32);
    snprintf(conf.endpoint, sizeof conf.endpoint, "%s", t->endpoint);
    if (rsn_fed_set_peers(t->fed, &conf, 1) != 0) {
        die("the victim's endpoint is not valid");
    }
    int64_t deadline = rsn_test_mono_ms() + LINK_TIMEOUT_MS;
    while (rsn_test_mono_ms() < deadline) {
        bool api = false, fed = false;
        if (rsn_fed_wait(t->fed, NULL, 50, &api, &fed) == RSN_ERR_INTERRUPTED) {
            break;
        }
        rsn_fed_event_t ev;
        while (rsn_fed_next_event(t->fed, &ev) == 0) {
            if (ev.kind == RSN_FED_EVENT_CONNECTED) {
                return;
            }
        }
    }
    fprintf(stderr, "hostile_tool: no link to the victim within %d ms\n", LINK_TIMEOUT_MS);
    exit(2);
}

/* Reads (and measures) everything the victim sends for MS milliseconds. */
static void pump(tool_t *t, int ms)
{
    int64_t deadline = rsn_test_mono_ms() + ms;
    while (rsn_test_mono_ms() < deadline) {
        bool api = false, fed = false;
        if (rsn_fed_wait(t->fed, NULL, 20, &api, &fed) == RSN_ERR_INTERRUPTED) {
            break;
        }
        uint8_t peer[32];
        uint8_t *frame = NULL;
        size_t len = 0;
        while (rsn_fed_recv(t->fed, peer, &frame, &len) == 0) {
            t->frames_back++;
            t->bytes_back += len;
            if (len > t->max_frame_back) {
                t->max_frame_back = len;
            }
            ProtobufCAllocator a = rsn_arena_allocator(t->arena);
            Raison__FedFrame *f = raison__fed_frame__unpack(&a, len, frame);
            if (f != NULL && f->msg_case == RAISON__FED_FRAME__MSG_ENTRIES) {
                t->entries_back += f->entries->n_entries;
            }
            free(frame);
        }
        rsn_fed_event_t ev;
        while (rsn_fed_next_event(t->fed, &ev) == 0) {
        }
    }
}

/* Sends one frame, servicing the link until the queue takes it. */
static void send_frame(tool_t *t, const uint8_t *frame, size_t len)
{
    for (int attempt = 0; attempt < 200; attempt++) {
        int rc = rsn_fed_send(t->fed, t->victim, frame, len);
        if (rc == 0) {
            return;
        }
        if (rc != RSN_ERR_BUSY && rc != RSN_ERR_UNAVAILABLE) {
            fprintf(stderr, "hostile_tool: send: %s\n", rsn_strerror(rc));
            exit(2);
        }
        pump(t, 10);
    }
    fprintf(stderr, "hostile_tool: the victim takes no more frames\n");
}

/* --- a raw CURVE link (for what net/fed.h rightly refuses to send) ----------- */

typedef struct {
    void *context;
    void *dealer;
    void *monitor;
} raw_t;

static void raw_open(tool_t *t, raw_t *r, int rcvhwm)
{
    uint8_t our_public[32], server[32];
    uint8_t *secret = rsn_secure_alloc(RSN_KEY_BYTES);
    if (secret == NULL || rsn_keypair_curve_secret(t->node, secret) != 0 ||
        rsn_curve_public(our_public, rsn_keypair_public(t->node)) != 0 ||
        rsn_curve_public(server, t->victim) != 0) {
        die("cannot derive CURVE keys");
    }
    r->context = zmq_ctx_new();
    r->dealer = zmq_socket(r->context, ZMQ_DEALER);
    int zero = 0, small = 4096;
    int64_t unlimited = -1;
    if (r->dealer == NULL || zmq_setsockopt(r->dealer, ZMQ_CURVE_SERVERKEY, server, 32) != 0 ||
        zmq_setsockopt(r->dealer, ZMQ_CURVE_PUBLICKEY, our_public, 32) != 0 ||
        zmq_setsockopt(r->dealer, ZMQ_CURVE_SECRETKEY, secret, 32) != 0 ||
        zmq_setsockopt(r->dealer, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
        zmq_setsockopt(r->dealer, ZMQ_MAXMSGSIZE, &unlimited, sizeof unlimited) != 0) {
        die("cannot configure a raw CURVE socket");
    }
    if (rcvhwm > 0 && (zmq_setsockopt(r->dealer, ZMQ_RCVHWM, &rcvhwm, sizeof rcvhwm) != 0 ||
                       zmq_setsockopt(r->dealer, ZMQ_RCVBUF, &small, sizeof small) != 0)) {
        die("cannot bound the raw socket's receive side");
    }
    rsn_secure_free(secret);
    if (zmq_socket_monitor(r->dealer, "inproc://hostile-monitor",
                           ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED |
                               ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                               ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) != 0) {
        die("cannot monitor the raw socket");
    }
    r->monitor = zmq_socket(r->context, ZMQ_PAIR);
    if (r->monitor == NULL || zmq_connect(r->monitor, "inproc://hostile-monitor") != 0 ||
        zmq_connect(r->dealer, t->endpoint) != 0) {
        die("cannot connect the raw socket");
    }
}

/* The next monitor event within MS milliseconds, or 0. */
static int raw_event(raw_t *r, int ms)
{
    zmq_pollitem_t item = {.socket = r->monitor, .events = ZMQ_POLLIN};
    if (zmq_poll(&item, 1, ms) <= 0) {
        return 0;
    }
    zmq_msg_t m;
    zmq_msg_init(&m);
    int event = 0;
    if (zmq_msg_recv(&m, r->monitor, 0) >= 6) {
        uint16_t e16;
        memcpy(&e16, zmq_msg_data(&m), 2);
        event = e16;
    }
    while (zmq_msg_more(&m)) {
        (void)zmq_msg_recv(&m, r->monitor, 0);
    }
    zmq_msg_close(&m);
    return event;
}

static void raw_wait_handshake(raw_t *r)
{
    int64_t deadline = rsn_test_mono_ms() + LINK_TIMEOUT_MS;
    while (rsn_test_mono_ms() < deadline) {
        int ev = raw_event(r, 100);
        if (ev == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
            return;
        }
    }
    die("the raw CURVE handshake did not succeed");
}

static void raw_close(raw_t *r)
{
    zmq_close(r->monitor);
    zmq_close(r->dealer);
    zmq_ctx_term(r->context);
}

/* --- the cases ------------------------------------------------------------------ */

static int case_garbage(tool_t *t, long n)
{
    uint8_t buf[2048];
    for (long i = 0; i < n; i++) {
        uint32_t r = 0;
        rsn_random(&r, sizeof r);
        size_t len = 1 + (size_t)(r % sizeof buf);
        rsn_random(buf, len);
        send_frame(t, buf, len);
    }
    pump(t, HOLD_MS);
    printf("sent=%ld valid=0\n", n);
    return 0;
}

static int case_oversize(tool_t *t)
{
    raw_t r;
    raw_open(t, &r, 0);
    raw_wait_handshake(&r);
    size_t len = RSN_FED_MAX_FRAME + 1;
    uint8_t *big = malloc(len);
    if (big == NULL) {
        die("out of memory");
    }
    memset(big, 0x55, len);
    if (zmq_send(r.dealer, big, len, 0) < 0) {
        die("cannot send the oversize frame");
    }
    free(big);
    /* the victim's ZMQ_MAXMSGSIZE must close this connection */
    int disconnected = 0;
    int64_t deadline = rsn_test_mono_ms() + 5000;
    while (rsn_test_mono_ms() < deadline && !disconnected) {
        if (raw_event(&r, 100) == ZMQ_EVENT_DISCONNECTED) {
            disconnected = 1;
        }
    }
    raw_close(&r);
    printf("sent=1 valid=0 disconnected=%d\n", disconnected);
    return 0;
}

static void send_batch(tool_t *t, Raison__SignedEntry **list, size_t n)
{
    size_t len = 0;
    uint8_t *frame = batch_frame(t->arena, list, n, true, &len);
    send_frame(t, frame, len);
}

static int case_bad_signature(tool_t *t, long n)
{
    Raison__SignedEntry **list = grab(t->arena, (size_t)n * sizeof *list);
    for (long i = 0; i < n; i++) {
        rsn_keypair_t *kp = fresh_key();
        signed_t s = make_entry(t->arena, kp, 1, NULL, NULL, 0);
        s.sig[7] ^= 0x20;
        list[i] = wire_entry(t->arena, &s);
        rsn_keypair_destroy(&kp);
    }
    send_batch(t, list, (size_t)n);
    pump(t, HOLD_MS);
    printf("sent=%ld valid=0\n", n);
    return 0;
}

static int case_body_mismatch(tool_t *t, long n)
{
    Raison__SignedEntry **list = grab(t->arena, (size_t)n * sizeof *list);
    for (long i = 0; i < n; i++) {
        rsn_keypair_t *kp = fresh_key();
        signed_t s = make_entry(t->arena, kp, 1, NULL, NULL, 0);
        s.body[0] ^= 0x01; /* same size, other bytes */
        list[i] = wire_entry(t->arena, &s);
        rsn_keypair_destroy(&kp);
    }
    send_batch(t, list, (size_t)n);
    pump(t, HOLD_MS);
    printf("sent=%ld valid=0\n", n);
    return 0;
}

static int case_wrong_chain(tool_t *t)
{
    char hex[RSN_KEY_HEX + 1];
    uint8_t other[32];
    rsn_keypair_t *kp = fresh_key();
    rsn_keypair_t *forger = fresh_key();
    signed_t s1 = make_entry(t->arena, kp, 1, NULL, NULL, 0);
    signed_t s2 = make_entry(t->arena, kp, 2, s1.id, NULL, 0);
    signed_t s3 = make_entry(t->arena, kp, 3, s2.id, NULL, 0); /* a gap: 2 is withheld */
    rsn_random(other, sizeof other);
    signed_t s2_bad = make_entry(t->arena, kp, 2, other, NULL, 0); /* wrong prev */
    signed_t s9 = make_entry(t->arena, kp, 9, other, NULL, 0);     /* far ahead */
    /* seq 1 of an author, signed by another key: the author's chain forged */
    signed_t forged = make_entry(t->arena, forger, 1, NULL, (const uint8_t *)"forged", 6);
    ProtobufCAllocator a = rsn_arena_allocator(t->arena);
    Raison__Entry *fe = raison__entry__unpack(&a, forged.entry_len, forged.entry);
    if (fe == NULL) {
        die("cannot re-read an entry");
    }
    fe->author.data = (uint8_t *)rsn_keypair_public(kp);
    uint8_t *rewritten = pack(t->arena, &fe->base, &forged.entry_len);
    forged.entry = rewritten; /* keeps the forger's signature */

    Raison__SignedEntry *first[1] = {wire_entry(t->arena, &s1)};
    send_batch(t, first, 1);
    pump(t, 300);
    Raison__SignedEntry *rest[4] = {wire_entry(t->arena, &s3), wire_entry(t->arena, &s2_bad),
                                    wire_entry(t->arena, &s9), wire_entry(t->arena, &forged)};
    send_batch(t, rest, 4);
    pump(t, HOLD_MS);
    printf("sent=5 valid=1 author=%s\n",
           rsn_hex_encode(hex, sizeof hex, rsn_keypair_public(kp), RSN_KEY_BYTES));
    rsn_keypair_destroy(&kp);
    rsn_keypair_destroy(&forger);
    return 0;
}

static int case_gap_fill(tool_t *t, long n, long body_size)
{
    if (body_size < 1 || body_size > RSN_BODY_MAX) {
        die("BODY must be 1..65536");
    }
    uint8_t *body = malloc((size_t)body_size);
    uint8_t prev[32];
    if (body == NULL) {
        die("out of memory");
    }
    size_t per_frame = (size_t)(FRAME_CAP / (body_size + 300));
    per_frame = per_frame < 1 ? 1 : per_frame > RSN_GOSSIP_BATCH ? RSN_GOSSIP_BATCH : per_frame;
    Raison__SignedEntry **list = malloc(per_frame * sizeof *list);
    if (list == NULL) {
        die("out of memory");
    }
    long sent = 0;
    while (sent < n) {
        rsn_arena_t *arena = rsn_arena_new();
        if (arena == NULL) {
            die("out of memory");
        }
        size_t count = 0;
        for (; count < per_frame && sent < n; count++, sent++) {
            rsn_keypair_t *kp = fresh_key();
            rsn_random(body, (size_t)body_size);
            rsn_random(prev, sizeof prev);
            signed_t s = make_entry(arena, kp, 2, prev, body, (size_t)body_size);
            list[count] = wire_entry(arena, &s);
            rsn_keypair_destroy(&kp);
        }
        size_t len = 0;
        uint8_t *frame = batch_frame(arena, list, count, true, &len);
        send_frame(t, frame, len);
        pump(t, 5);
        rsn_arena_destroy(&arena);
    }
    free(list);
    free(body);
    pump(t, HOLD_MS);
    printf("sent=%ld valid=0\n", n);
    return 0;
}

/* A valid feed of N entries with bodies of BODY_SIZE random bytes: stored,
 * as they should be; what never-read then asks for. */
static int case_chain(tool_t *t, long n, long body_size)
{
    char hex[RSN_KEY_HEX + 1];
    if (n < 1 || body_size < 1 || body_size > RSN_BODY_MAX) {
        die("chain needs N >= 1 and BODY 1..65536");
    }
    rsn_keypair_t *kp = fresh_key();
    uint8_t *body = malloc((size_t)body_size);
    size_t per_frame = (size_t)(FRAME_CAP / (body_size + 300));
    per_frame = per_frame < 1 ? 1 : per_frame > RSN_GOSSIP_BATCH ? RSN_GOSSIP_BATCH : per_frame;
    Raison__SignedEntry **list = malloc(per_frame * sizeof *list);
    uint8_t prev[32];
    if (body == NULL || list == NULL) {
        die("out of memory");
    }
    long seq = 1;
    while (seq <= n) {
        rsn_arena_t *arena = rsn_arena_new();
        if (arena == NULL) {
            die("out of memory");
        }
        size_t count = 0;
        for (; count < per_frame && seq <= n; count++, seq++) {
            rsn_random(body, (size_t)body_size);
            signed_t s = make_entry(arena, kp, (uint64_t)seq, seq > 1 ? prev : NULL, body,
                                    (size_t)body_size);
            memcpy(prev, s.id, 32);
            list[count] = wire_entry(arena, &s);
        }
        size_t len = 0;
        uint8_t *frame = batch_frame(arena, list, count, true, &len);
        send_frame(t, frame, len);
        pump(t, 20);
        rsn_arena_destroy(&arena);
    }
    free(list);
    free(body);
    pump(t, HOLD_MS);
    printf("sent=%ld valid=%ld author=%s\n", n, n,
           rsn_hex_encode(hex, sizeof hex, rsn_keypair_public(kp), RSN_KEY_BYTES));
    rsn_keypair_destroy(&kp);
    return 0;
}

static int case_dup_flood(tool_t *t, long n, long body_size)
{
    rsn_keypair_t *kp = fresh_key();
    signed_t s;
    if (body_size > 0) {
        uint8_t *body = grab(t->arena, (size_t)body_size);
        rsn_random(body, (size_t)body_size);
        s = make_entry(t->arena, kp, 1, NULL, body, (size_t)body_size);
    } else {
        s = make_entry(t->arena, kp, 1, NULL, NULL, 0);
    }
    Raison__SignedEntry *one = wire_entry(t->arena, &s);
    Raison__SignedEntry *many[RSN_GOSSIP_BATCH];
    size_t copies = (size_t)FRAME_CAP / (s.entry_len + s.body_len + 80);
    copies = copies < 1 ? 1 : copies > RSN_GOSSIP_BATCH ? RSN_GOSSIP_BATCH : copies;
    for (size_t i = 0; i < copies; i++) {
        many[i] = one;
    }
    size_t len = 0;
    uint8_t *frame = batch_frame(t->arena, many, copies, true, &len);
    send_batch(t, &one, 1);
    pump(t, 300);
    int64_t start = rsn_test_mono_ms();
    for (long i = 0; i < n; i++) {
        send_frame(t, frame, len);
        if (i % 64 == 0) {
            pump(t, 0);
        }
    }
    int64_t took = rsn_test_mono_ms() - start;
    pump(t, HOLD_MS);
    printf("sent=%ld duplicates=%ld frame_bytes=%zu valid=1 send_ms=%" PRId64 "\n", n,
           n * (long)copies, len, took);
    rsn_keypair_destroy(&kp);
    return 0;
}

static int case_request_flood(tool_t *t, long n)
{
    uint8_t author[32];
    rsn_random(author, sizeof author);
    uint32_t buckets[256];
    for (uint32_t i = 0; i < 256; i++) {
        buckets[i] = i;
    }
    size_t lens[4];
    uint8_t *frames[4];
    Raison__FedFrame f = RAISON__FED_FRAME__INIT;
    Raison__BucketsRequest br = RAISON__BUCKETS_REQUEST__INIT;
    f.msg_case = RAISON__FED_FRAME__MSG_BUCKETS_REQUEST;
    f.buckets_request = &br;
    frames[0] = pack(t->arena, &f.base, &lens[0]);
    Raison__HeadsRequest hr = RAISON__HEADS_REQUEST__INIT;
    hr.buckets = buckets;
    hr.n_buckets = 256;
    f.msg_case = RAISON__FED_FRAME__MSG_HEADS_REQUEST;
    f.heads_request = &hr;
    frames[1] = pack(t->arena, &f.base, &lens[1]);
    frames[2] = want_frame(t->arena, author, 1, UINT64_MAX, 1, &lens[2]);
    Raison__EvidenceRequest er = RAISON__EVIDENCE_REQUEST__INIT;
    f.msg_case = RAISON__FED_FRAME__MSG_EVIDENCE_REQUEST;
    f.evidence_request = &er;
    frames[3] = pack(t->arena, &f.base, &lens[3]);
    for (long i = 0; i < n; i++) {
        send_frame(t, frames[i % 4], lens[i % 4]);
        if (i % 64 == 0) {
            pump(t, 0);
        }
    }
    pump(t, HOLD_MS);
    printf("sent=%ld valid=0 frames_back=%" PRIu64 " bytes_back=%" PRIu64 "\n", n, t->frames_back,
           t->bytes_back);
    return 0;
}

static int case_huge_range(tool_t *t, const char *author_hex)
{
    uint8_t author[32];
    if (rsn_key_from_hex(author, author_hex) != 0) {
        die("AUTHOR is not 64 hex characters");
    }
    pump(t, 300);
    uint64_t before_frames = t->frames_back, before_bytes = t->bytes_back;
    uint64_t before_entries = t->entries_back;
    t->max_frame_back = 0;
    size_t len = 0;
    uint8_t *one = want_frame(t->arena, author, 1, (uint64_t)1 << 63, 1, &len);
    send_frame(t, one, len);
    pump(t, 800);
    uint8_t *all = want_frame(t->arena, author, 1, UINT64_MAX, 256, &len);
    send_frame(t, all, len);
    pump(t, 800);
    /* the far end of the key space, and ranges that must be refused */
    uint8_t *far = want_frame(t->arena, author, UINT64_MAX, UINT64_MAX, 256, &len);
    send_frame(t, far, len);
    pump(t, HOLD_MS);
    printf("sent=3 valid=0 answers=%" PRIu64 " entries=%" PRIu64 " bytes=%" PRIu64
           " max_frame=%" PRIu64 "\n",
           t->frames_back - before_frames, t->entries_back - before_entries,
           t->bytes_back - before_bytes, t->max_frame_back);
    return 0;
}

static int case_never_read(tool_t *t, const char *author_hex, long seconds)
{
    uint8_t author[32];
    if (rsn_key_from_hex(author, author_hex) != 0) {
        die("AUTHOR is not 64 hex characters");
    }
    raw_t r;
    raw_open(t, &r, 1);
    raw_wait_handshake(&r);
    size_t len = 0;
    uint8_t *want = want_frame(t->arena, author, 1, UINT64_MAX, 1, &len);
    long sent = 0, refused = 0;
    int64_t end = rsn_test_mono_ms() + seconds * 1000;
    while (rsn_test_mono_ms() < end) {
        for (int i = 0; i < RATE_PER_SECOND / 10; i++) {
            if (zmq_send(r.dealer, want, len, ZMQ_DONTWAIT) < 0) {
                refused++;
            } else {
                sent++;
            }
        }
        rsn_test_sleep_ms(100);
    }
    raw_close(&r);
    printf("sent=%ld refused=%ld valid=0\n", sent, refused);
    return 0;
}

static int case_probe(tool_t *t, long ms)
{
    size_t len = 0;
    uint8_t *frame = digest_frame(t->arena, &len);
    int64_t deadline = rsn_test_mono_ms() + ms;
    while (rsn_test_mono_ms() < deadline && t->frames_back == 0) {
        int rc = rsn_fed_send(t->fed, t->victim, frame, len);
        if (rc != 0 && rc != RSN_ERR_UNAVAILABLE && rc != RSN_ERR_BUSY) {
            die("cannot send the probe");
        }
        pump(t, 200);
    }
    printf("answered=%d\n", t->frames_back > 0);
    return t->frames_back > 0 ? 0 : 1;
}

/* A post for a mission GROUP's charter does not have, by a fresh author. */
static int case_rule_post(tool_t *t, const char *group_hex)
{
    char hex[RSN_KEY_HEX + 1];
    uint8_t group[32];
    if (rsn_key_from_hex(group, group_hex) != 0) {
        die("GROUP is not 64 hex characters");
    }
    Raison__Post p = RAISON__POST__INIT;
    p.group.data = group;
    p.group.len = 32;
    p.mission = "no-such-mission";
    p.text = "a post for a mission the charter does not have";
    size_t body_len = 0;
    uint8_t *body = pack(t->arena, &p.base, &body_len);
    rsn_keypair_t *kp = fresh_key();
    signed_t s = make_entry(t->arena, kp, 1, NULL, body, body_len);
    Raison__SignedEntry *one = wire_entry(t->arena, &s);
    send_batch(t, &one, 1);
    pump(t, HOLD_MS);
    printf("sent=1 id=%s", rsn_hex_encode(hex, sizeof hex, s.id, RSN_ID_BYTES));
    printf(" author=%s\n", rsn_hex_encode(hex, sizeof hex, rsn_keypair_public(kp), 32));
    rsn_keypair_destroy(&kp);
    return 0;
}

/* Leaves FROM.. of the node behind CLIENT (at most 1024): the reply. */
static Raison__ApiReply *ask_leaves(rsn_client_t *client, uint64_t from)
{
    Raison__LeavesRequest lr = RAISON__LEAVES_REQUEST__INIT;
    lr.from_index = from;
    lr.limit = 1024;
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    req.call_case = RAISON__API_REQUEST__CALL_LEAVES;
    req.leaves = &lr;
    Raison__ApiReply *reply = NULL;
    if (rsn_test_api_call(client, &req, RAISON__API_REPLY__RESULT_LEAVES, &reply) != 0) {
        die("the node did not answer the leaves call");
    }
    return reply;
}

/* True when the entry SE is of a kind named in KINDS ("all" or a list). */
static bool kind_listed(rsn_arena_t *arena, const Raison__SignedEntry *se, const char *kinds)
{
    if (strcmp(kinds, "all") == 0) {
        return true;
    }
    ProtobufCAllocator a = rsn_arena_allocator(arena);
    Raison__Entry *e = raison__entry__unpack(&a, se->entry.len, se->entry.data);
    return e != NULL && strstr(kinds, rsn_kind_name(e->kind)) != NULL;
}

static int case_relay(tool_t *t, const char *socket, const char *mode, const char *kinds)
{
    bool whole = strcmp(mode, "whole") == 0;
    int state = strcmp(mode, "missing") == 0      ? RAISON__BODY_STATE__BODY_MISSING
                : strncmp(mode, "erased", 6) == 0 ? RAISON__BODY_STATE__BODY_ERASED
                                                  : -1;
    if (!whole && state < 0 && strcmp(mode, "bare") != 0) {
        die("relay MODE is bare, missing, erased, erased-wrong or whole");
    }
    rsn_client_t *client = NULL;
    if (rsn_client_connect(&client, socket, 5000) != 0) {
        die("cannot connect to the source node");
    }
    Raison__ApiReply *reply = ask_leaves(client, 0);
    const Raison__LeavesReply *lv = reply->leaves;
    size_t n = lv->n_leaves, bare = 0;
    Raison__SignedEntry **list = grab(t->arena, (n + 1) * sizeof *list);
    Raison__BodyAbsence **absent = grab(t->arena, (n + 1) * sizeof *absent);
    size_t n_absent = 0;
    uint8_t *first = n ? lv->leaves[0]->id.data : NULL;
    for (size_t i = 0; i < n; i++) {
        Raison__SignedEntry *se = grab(t->arena, sizeof *se);
        *se = *lv->leaves[i]->signed_entry;
        list[i] = se;
        if (whole || se->body.len == 0 || !kind_listed(t->arena, se, kinds)) {
            continue;
        }
        se->body.data = NULL;
        se->body.len = 0;
        bare++;
        if (state >= 0) {
            Raison__BodyAbsence *a = grab(t->arena, sizeof *a);
            raison__body_absence__init(a);
            a->index = (uint32_t)i;
            a->state = (Raison__BodyState)state;
            if (strcmp(mode, "erased-wrong") == 0) {
                a->by.data = first;
                a->by.len = 32;
            }
            absent[n_absent++] = a;
        }
    }
    Raison__EntryBatch b = RAISON__ENTRY_BATCH__INIT;
    b.entries = list;
    b.n_entries = n;
    b.push = true;
    b.absent = absent;
    b.n_absent = n_absent;
    Raison__FedFrame f = RAISON__FED_FRAME__INIT;
    f.msg_case = RAISON__FED_FRAME__MSG_ENTRIES;
    f.entries = &b;
    size_t len = 0;
    uint8_t *frame = pack(t->arena, &f.base, &len);
    send_frame(t, frame, len);
    pump(t, HOLD_MS);
    printf("sent=%zu bare=%zu\n", n, bare);
    rsn_test_reply_free(reply);
    rsn_client_destroy(&client);
    return 0;
}

static void send_note(tool_t *t, const char *note)
{
    Raison__CheckpointNote c = RAISON__CHECKPOINT_NOTE__INIT;
    c.note = (char *)note;
    Raison__FedFrame f = RAISON__FED_FRAME__INIT;
    f.msg_case = RAISON__FED_FRAME__MSG_CHECKPOINT;
    f.checkpoint = &c;
    size_t len = 0;
    uint8_t *frame = pack(t->arena, &f.base, &len);
    send_frame(t, frame, len);
}

/* Signs the checkpoint (SIZE, a root of bytes FILL) under our key name with
 * SIGNER into OUT (RSN_NOTE_MAX bytes); TEXT gets the checkpoint text. */
static void signed_checkpoint(const tool_t *t, const rsn_keypair_t *signer, uint64_t size,
                              uint8_t fill, char *text, size_t text_size, char *out)
{
    char name[RSN_NOTE_RAISON_NAME_SIZE];
    uint8_t root[RSN_HASH_BYTES];
    memset(root, fill, sizeof root);
    if (rsn_note_raison_name(rsn_keypair_public(t->node), name, sizeof name) != 0 ||
        rsn_checkpoint_text(name, size, root, text, text_size) != 0 ||
        rsn_note_sign(signer, name, text, out, RSN_NOTE_MAX) != 0) {
        die("cannot sign a checkpoint");
    }
}

static int case_checkpoint(tool_t *t, const char *mode)
{
    char text[RSN_NOTE_RAISON_NAME_SIZE + 96];
    char *note = grab(t->arena, RSN_NOTE_MAX);
    int sent = 1;
    if (strcmp(mode, "garbage") == 0) {
        snprintf(note, RSN_NOTE_MAX, "this is no checkpoint\n\n\xe2\x80\x94 nobody AAAA\n");
        send_note(t, note);
    } else if (strcmp(mode, "forged") == 0) {
        signed_checkpoint(t, t->node, 3, 0x11, text, sizeof text, note);
        /* the root's base64 starts on the third line: change one character */
        char *third = strchr(strchr(note, '\n') + 1, '\n') + 1;
        third[0] = third[0] == 'A' ? 'B' : 'A';
        send_note(t, note);
    } else if (strcmp(mode, "other-key") == 0) {
        rsn_keypair_t *other = fresh_key();
        signed_checkpoint(t, other, 3, 0x11, text, sizeof text, note);
        rsn_keypair_destroy(&other);
        send_note(t, note);
    } else if (strcmp(mode, "two-roots") == 0) {
        signed_checkpoint(t, t->node, 3, 0x11, text, sizeof text, note);
        send_note(t, note);
        pump(t, 300);
        char *second = grab(t->arena, RSN_NOTE_MAX);
        signed_checkpoint(t, t->node, 3, 0x22, text, sizeof text, second);
        send_note(t, second);
        sent = 2;
    } else {
        die("checkpoint MODE is garbage, forged, other-key or two-roots");
    }
    pump(t, HOLD_MS);
    printf("sent=%d checkpoints\n", sent);
    return 0;
}

/* --- silence: a witness's questions left unanswered ------------------------- */

#define SILENCE_LOG 16 /* leaves of the tool's log */

/* Sends our checkpoint of the first SIZE leaves of LOG. */
static void send_log_checkpoint(tool_t *t, rsn_test_log_t *log, uint64_t size)
{
    char name[RSN_NOTE_RAISON_NAME_SIZE];
    char text[RSN_NOTE_RAISON_NAME_SIZE + 96];
    char *note = grab(t->arena, RSN_NOTE_MAX);
    uint8_t root[RSN_HASH_BYTES];
    if (rsn_test_log_root(log, size, root) != 0 ||
        rsn_note_raison_name(rsn_keypair_public(t->node), name, sizeof name) != 0 ||
        rsn_checkpoint_text(name, size, root, text, sizeof text) != 0 ||
        rsn_note_sign(t->node, name, text, note, RSN_NOTE_MAX) != 0) {
        die("cannot sign a checkpoint");
    }
    send_note(t, note);
}

/* Sends LOG's consistency proof from OLD to NEW. */
static void send_log_proof(tool_t *t, rsn_test_log_t *log, uint64_t old_size, uint64_t new_size)
{
    uint8_t *frame = NULL;
    size_t len = 0;
    if (rsn_test_log_proof_frame(log, t->arena, old_size, new_size, &frame, &len) != 0) {
        die("cannot prove our log");
    }
    send_frame(t, frame, len);
}

/* Reads for MS ms; each ConsistencyRequest is counted and, unless SILENT,
 * answered (WRONG: with a proof from 2 to its new size). The count. */
static int serve_requests(tool_t *t, rsn_test_log_t *log, int ms, bool silent, bool wrong)
{
    int asked = 0;
    int64_t deadline = rsn_test_mono_ms() + ms;
    while (rsn_test_mono_ms() < deadline) {
        bool api = false, fed = false;
        if (rsn_fed_wait(t->fed, NULL, 20, &api, &fed) == RSN_ERR_INTERRUPTED) {
            break;
        }
        uint8_t peer[RSN_KEY_BYTES];
        uint8_t *bytes = NULL;
        size_t len = 0;
        while (rsn_fed_recv(t->fed, peer, &bytes, &len) == 0) {
            Raison__FedFrame *f = NULL;
            if (rsn_fed_frame_decode(t->arena, bytes, len, &f) == 0 &&
                f->msg_case == RAISON__FED_FRAME__MSG_CONSISTENCY_REQUEST) {
                const Raison__ConsistencyRequest *cr = f->consistency_request;
                asked++;
                if (!silent && cr->new_size <= SILENCE_LOG && cr->old_size >= 1) {
                    send_log_proof(t, log, wrong ? 2 : cr->old_size, cr->new_size);
                }
            }
            free(bytes);
        }
        rsn_fed_event_t ev;
        while (rsn_fed_next_event(t->fed, &ev) == 0) {
        }
    }
    return asked;
}

static int case_silence(tool_t *t, const char *mode, long ms)
{
    rsn_test_log_t *log = rsn_test_log_new(SILENCE_LOG, 1);
    if (!log) {
        die("out of memory");
    }
    bool silent = strcmp(mode, "silent") == 0, wrong = strcmp(mode, "wrong-sizes") == 0;
    if (strcmp(mode, "rollback") == 0) {
        send_log_checkpoint(t, log, 8);
        pump(t, 300);
        send_log_checkpoint(t, log, 5);
    } else if (silent || wrong) {
        send_log_checkpoint(t, log, 4);
        pump(t, 300);
        send_log_checkpoint(t, log, 8);
    } else if (strcmp(mode, "answer") != 0) {
        die("silence MODE is rollback, silent, wrong-sizes or answer");
    }
    int asked = serve_requests(t, log, (int)ms, silent || strcmp(mode, "rollback") == 0, wrong);
    printf("asked=%d\n", asked);
    rsn_test_log_destroy(&log);
    return 0;
}

/* --- the victim's view, and fuzz seeds -------------------------------------------- */

/* Asks SOCKET's node for its peers: the reply (free it), or exits 2. */
static Raison__ApiReply *ask_peers(const char *socket)
{
    rsn_client_t *client = NULL;
    Raison__ApiReply *reply = NULL;
    if (rsn_client_connect(&client, socket, 5000) != 0) {
        die("cannot connect to the node");
    }
    if (rsn_test_api_peers(client, &reply) != 0) {
        die("the node did not answer the peers call");
    }
    rsn_client_destroy(&client);
    return reply;
}

static int run_witness(const char *socket, const char *key_hex)
{
    uint8_t key[32];
    if (rsn_key_from_hex(key, key_hex) != 0) {
        die("KEY is not 64 hex characters");
    }
    Raison__ApiReply *reply = ask_peers(socket);
    int rc = 1;
    const Raison__PeerInfo *p = rsn_test_api_peer_of(reply, key);
    if (p != NULL) {
        json_t *o = json_pack(
            "{s:I,s:s,s:s,s:I}", "checkpoint_size", (json_int_t)p->checkpoint_size,
            "checkpoint_note", p->checkpoint_note ? p->checkpoint_note : "", "inconsistency",
            p->inconsistency ? p->inconsistency : "", "dropped", (json_int_t)p->dropped);
        if (o == NULL || json_dumpf(o, stdout, JSON_COMPACT) != 0) {
            die("cannot print JSON");
        }
        printf("\n");
        json_decref(o);
        rc = 0;
    }
    if (rc != 0) {
        fprintf(stderr, "hostile_tool: the node has no peer %s\n", key_hex);
    }
    rsn_test_reply_free(reply);
    return rc;
}

static int run_peers(const char *socket, const char *key_hex)
{
    uint8_t key[32];
    if (rsn_key_from_hex(key, key_hex) != 0) {
        die("KEY is not 64 hex characters");
    }
    Raison__ApiReply *reply = ask_peers(socket);
    int rc = 1;
    const Raison__PeerInfo *p = rsn_test_api_peer_of(reply, key);
    if (p != NULL) {
        printf("connected=%d dropped=%" PRIu64 " banned_until=%" PRIu64 " received=%" PRIu64
               " bytes_received=%" PRIu64 " bytes_sent=%" PRIu64 " last_error=%s\n",
               p->connected ? 1 : 0, p->dropped, p->banned_until, p->entries_received,
               p->bytes_received, p->bytes_sent, p->last_error ? p->last_error : "");
        rc = 0;
    }
    if (rc != 0) {
        fprintf(stderr, "hostile_tool: the node has no peer %s\n", key_hex);
    }
    rsn_test_reply_free(reply);
    return rc;
}

static void write_seed(const char *dir, const char *name, const uint8_t *bytes, size_t len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (rsn_test_file_write(path, bytes, len) != 0) {
        die("cannot write a seed");
    }
}

/* Seeds of the bodies exchange: a BodiesRequest, a Bodies answer (seq 3's
 * body, which the fuzz target's store holds as missing; an erasure naming no
 * reason; one missing), and EntryBatches whose `absent` says why a body is
 * not there (missing; erased naming no reason). */
static void bodies_seeds(const char *dir, rsn_arena_t *arena, signed_t chain[6])
{
    static uint8_t unknown[32] = {0xee};
    ProtobufCBinaryData ids[3] = {{32, chain[2].id}, {32, chain[0].id}, {32, unknown}};
    Raison__BodiesRequest br = RAISON__BODIES_REQUEST__INIT;
    br.ids = ids;
    br.n_ids = 3;
    Raison__FedFrame f = RAISON__FED_FRAME__INIT;
    f.msg_case = RAISON__FED_FRAME__MSG_BODIES_REQUEST;
    f.bodies_request = &br;
    size_t len = 0;
    uint8_t *frame = pack(arena, &f.base, &len);
    write_seed(dir, "bodies-request", frame, len);
    Raison__BodyItem items[3], *list[3];
    for (int i = 0; i < 3; i++) {
        raison__body_item__init(&items[i]);
        items[i].id = ids[i];
        list[i] = &items[i];
    }
    items[0].state = RAISON__BODY_STATE__BODY_PRESENT;
    items[0].body.data = chain[2].body;
    items[0].body.len = chain[2].body_len;
    items[1].state = RAISON__BODY_STATE__BODY_ERASED;
    items[2].state = RAISON__BODY_STATE__BODY_MISSING;
    Raison__Bodies bodies = RAISON__BODIES__INIT;
    bodies.items = list;
    bodies.n_items = 3;
    f.msg_case = RAISON__FED_FRAME__MSG_BODIES;
    f.bodies = &bodies;
    frame = pack(arena, &f.base, &len);
    write_seed(dir, "bodies", frame, len);
    Raison__SignedEntry *entries[3];
    for (int i = 0; i < 3; i++) {
        entries[i] = wire_entry(arena, &chain[i + 3]);
        entries[i]->body.data = NULL;
        entries[i]->body.len = 0;
    }
    Raison__BodyAbsence missing = RAISON__BODY_ABSENCE__INIT, erased = RAISON__BODY_ABSENCE__INIT;
    Raison__BodyAbsence *absent[2] = {&missing, &erased};
    missing.index = 0;
    missing.state = RAISON__BODY_STATE__BODY_MISSING;
    erased.index = 1;
    erased.state = RAISON__BODY_STATE__BODY_ERASED;
    Raison__EntryBatch b = RAISON__ENTRY_BATCH__INIT;
    b.entries = entries;
    b.n_entries = 3;
    b.push = true;
    b.absent = absent;
    b.n_absent = 2;
    f.msg_case = RAISON__FED_FRAME__MSG_ENTRIES;
    f.entries = &b;
    frame = pack(arena, &f.base, &len);
    write_seed(dir, "entries-absent", frame, len);
}

/* Seeds with valid signatures, which protoc --encode cannot make. The
 * author is the seed 0x01 x 32 that fuzz_fed_frame.c also stores. */
static int run_seeds(const char *dir)
{
    rsn_arena_t *arena = rsn_arena_new();
    rsn_keypair_t *kp = NULL;
    if (arena == NULL || rsn_test_keypair_seeded(&kp, 0x01) != 0) {
        die("out of memory");
    }
    mkdir(dir, 0755);
    fixed_time = true;
    /* the fuzz target's store holds seq 1..3 of this author with these
     * timestamps, so the seeds chain onto it deterministically */
    signed_t chain[6];
    for (int i = 0; i < 6; i++) {
        chain[i] = make_entry(arena, kp, (uint64_t)i + 1, i ? chain[i - 1].id : NULL, NULL, 0);
    }
    Raison__SignedEntry *list[3];
    size_t len = 0;
    uint8_t *frame;
    for (int i = 0; i < 3; i++) {
        list[i] = wire_entry(arena, &chain[i + 3]);
    }
    frame = batch_frame(arena, list, 3, true, &len);
    write_seed(dir, "entries-chain", frame, len);
    frame = batch_frame(arena, &list[1], 1, false, &len);
    write_seed(dir, "entries-gap", frame, len);
    list[0]->signature.data[0] ^= 1;
    frame = batch_frame(arena, list, 1, true, &len);
    write_seed(dir, "entries-badsig", frame, len);
    frame = want_frame(arena, rsn_keypair_public(kp), 1, UINT64_MAX, 2, &len);
    write_seed(dir, "want-all", frame, len);
    /* fork evidence: two seq-1 entries of one author */
    signed_t other = make_entry(arena, kp, 1, NULL, (const uint8_t *)"fork", 4);
    Raison__SignedEntry a = RAISON__SIGNED_ENTRY__INIT, b = RAISON__SIGNED_ENTRY__INIT;
    a.entry.data = chain[0].entry;
    a.entry.len = chain[0].entry_len;
    a.signature.data = chain[0].sig;
    a.signature.len = 64;
    b.entry.data = other.entry;
    b.entry.len = other.entry_len;
    b.signature.data = other.sig;
    b.signature.len = 64;
    Raison__ForkEvidence fe = RAISON__FORK_EVIDENCE__INIT;
    Raison__ForkEvidence *fel[1] = {&fe};
    fe.author.data = (uint8_t *)rsn_keypair_public(kp);
    fe.author.len = 32;
    fe.seq = 1;
    fe.a = &a;
    fe.b = &b;
    Raison__Evidence ev = RAISON__EVIDENCE__INIT;
    ev.forks = fel;
    ev.n_forks = 1;
    Raison__FedFrame f = RAISON__FED_FRAME__INIT;
    f.msg_case = RAISON__FED_FRAME__MSG_EVIDENCE;
    f.evidence = &ev;
    frame = pack(arena, &f.base, &len);
    write_seed(dir, "evidence-fork", frame, len);
    Raison__Head h = RAISON__HEAD__INIT;
    Raison__Head *hl[1] = {&h};
    h.author.data = (uint8_t *)rsn_keypair_public(kp);
    h.author.len = 32;
    h.seq = 6;
    h.id.data = chain[5].id;
    h.id.len = 32;
    Raison__Heads heads = RAISON__HEADS__INIT;
    heads.heads = hl;
    heads.n_heads = 1;
    f.msg_case = RAISON__FED_FRAME__MSG_HEADS;
    f.heads = &heads;
    frame = pack(arena, &f.base, &len);
    write_seed(dir, "heads", frame, len);
    bodies_seeds(dir, arena, chain);
    printf("seeds written to %s\n", dir);
    rsn_keypair_destroy(&kp);
    rsn_arena_destroy(&arena);
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: hostile_tool key SEED | peers SOCKET KEY | witness SOCKET KEY |\n"
                    "       hostile_tool seeds DIR |\n"
                    "       hostile_tool SEED VKEY VEP CASE [ARG...] (see the source)\n");
    exit(2);
}

static long arg_long(int argc, char **argv, int i, long dflt)
{
    return argc > i ? strtol(argv[i], NULL, 10) : dflt;
}

int main(int argc, char **argv)
{
    rsn_log_setup("hostile_tool", RSN_LOG_WARN);
    if (rsn_crypto_init() != 0) {
        die("libsodium failed to start");
    }
    if (argc == 3 && strcmp(argv[1], "key") == 0) {
        char hex[RSN_KEY_HEX + 1];
        rsn_keypair_t *kp = key_of_seed(argv[2]);
        printf("%s\n", rsn_hex_encode(hex, sizeof hex, rsn_keypair_public(kp), RSN_KEY_BYTES));
        rsn_keypair_destroy(&kp);
        return 0;
    }
    if (argc == 4 && strcmp(argv[1], "peers") == 0) {
        return run_peers(argv[2], argv[3]);
    }
    if (argc == 4 && strcmp(argv[1], "witness") == 0) {
        return run_witness(argv[2], argv[3]);
    }
    if (argc == 3 && strcmp(argv[1], "seeds") == 0) {
        return run_seeds(argv[2]);
    }
    if (argc < 5) {
        usage();
    }
    tool_t t;
    memset(&t, 0, sizeof t);
    t.arena = rsn_arena_new();
    t.node = key_of_seed(argv[1]);
    if (t.arena == NULL || rsn_key_from_hex(t.victim, argv[2]) != 0 ||
        strlen(argv[3]) > RSN_FED_ENDPOINT_MAX) {
        usage();
    }
    snprintf(t.endpoint, sizeof t.endpoint, "%s", argv[3]);
    const char *c = argv[4];
    int rc = 2;
    /* the raw cases open their own link: a second one would only confuse */
    if (strcmp(c, "oversize") == 0) {
        rc = case_oversize(&t);
    } else if (strcmp(c, "never-read") == 0 && argc >= 6) {
        rc = case_never_read(&t, argv[5], arg_long(argc, argv, 6, 10));
    } else {
        link_up(&t);
        if (strcmp(c, "garbage") == 0) {
            rc = case_garbage(&t, arg_long(argc, argv, 5, 50));
        } else if (strcmp(c, "bad-signature") == 0) {
            rc = case_bad_signature(&t, arg_long(argc, argv, 5, 5));
        } else if (strcmp(c, "body-mismatch") == 0) {
            rc = case_body_mismatch(&t, arg_long(argc, argv, 5, 5));
        } else if (strcmp(c, "wrong-chain") == 0) {
            rc = case_wrong_chain(&t);
        } else if (strcmp(c, "gap-fill") == 0) {
            rc = case_gap_fill(&t, arg_long(argc, argv, 5, 4200), arg_long(argc, argv, 6, 60000));
        } else if (strcmp(c, "chain") == 0) {
            rc = case_chain(&t, arg_long(argc, argv, 5, 100), arg_long(argc, argv, 6, 1000));
        } else if (strcmp(c, "dup-flood") == 0) {
            rc = case_dup_flood(&t, arg_long(argc, argv, 5, 1000), arg_long(argc, argv, 6, 0));
        } else if (strcmp(c, "request-flood") == 0) {
            rc = case_request_flood(&t, arg_long(argc, argv, 5, 2000));
        } else if (strcmp(c, "huge-range") == 0 && argc >= 6) {
            rc = case_huge_range(&t, argv[5]);
        } else if (strcmp(c, "rule-post") == 0 && argc >= 6) {
            rc = case_rule_post(&t, argv[5]);
        } else if (strcmp(c, "relay") == 0 && argc >= 8) {
            rc = case_relay(&t, argv[5], argv[6], argv[7]);
        } else if (strcmp(c, "checkpoint") == 0 && argc >= 6) {
            rc = case_checkpoint(&t, argv[5]);
        } else if (strcmp(c, "silence") == 0 && argc >= 6) {
            rc = case_silence(&t, argv[5], arg_long(argc, argv, 6, 3000));
        } else if (strcmp(c, "probe") == 0) {
            rc = case_probe(&t, arg_long(argc, argv, 5, 3000));
        } else {
            usage();
        }
    }
    rsn_fed_destroy(&t.fed);
    rsn_keypair_destroy(&t.node);
    rsn_arena_destroy(&t.arena);
    return rc;
}
