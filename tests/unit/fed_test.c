/* fed_test.c — federation links between nodes, several nodes in one process.
 *
 * Every node is a real rsn_fed_t on 127.0.0.1 with a wildcard port; one
 * thread pumps all of them (wait, recv, events) and records what each one
 * received, so a test reads like: set up links, pump until a condition holds
 * or a deadline passes, check the records. Covered: frames both ways and
 * their attribution, CONNECTED events on both sides, both nodes dialling each
 * other (each frame delivered once), an untrusted node refused (REFUSED event,
 * nothing through either way), a peer dropped by set_peers, bans and their
 * end, send errors, oversize and multi-frame messages from a trusted key, a
 * node restarted on the same port, the API socket polled by rsn_fed_wait,
 * the connection of a dropped key closed, and ZAP requests of another domain
 * refused. This test includes zmq.h itself only to play a hostile client that
 * holds a trusted key, an API client, and a ZAP client; and net/fed_private.h
 * only to reach the transport's ZAP handler in its own context. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zmq.h>

#include "crypto/crypto.h"
#include "crypto/keypair.h"
#include "net/api_server.h"
#include "net/fed.h"
#include "net/fed_private.h"
#include "support/clock.h"
#include "support/files.h"
#include "support/keys.h"

#define LOCAL_ANY "tcp://127.0.0.1:*"
#define DEADLINE_MS 5000
#define MAX_LOG 256

typedef struct {
    uint8_t peer[32];
    char text[64];
    size_t len;
} frame_log_t;

typedef struct {
    rsn_keypair_t *keypair;
    uint8_t key[32];
    uint8_t curve[32];
    uint8_t *secret;
    rsn_fed_t *fed;
    char endpoint[RSN_FED_ENDPOINT_MAX + 1];
    frame_log_t frames[MAX_LOG];
    size_t frame_count;
    rsn_fed_event_t events[MAX_LOG];
    size_t event_count;
} node_t;

static int group_setup(void **state)
{
    return rsn_crypto_init();
}

/* A node with keys from SEED, listening on LISTEN (NULL: dial only). */
static void node_init(node_t *node, uint8_t seed, const char *listen)
{
    memset(node, 0, sizeof *node);
    assert_int_equal(rsn_test_keypair_seeded(&node->keypair, seed), 0);
    memcpy(node->key, rsn_keypair_public(node->keypair), 32);
    assert_int_equal(rsn_curve_public(node->curve, node->key), 0);
    node->secret = rsn_secure_alloc(32);
    assert_non_null(node->secret);
    assert_int_equal(rsn_keypair_curve_secret(node->keypair, node->secret), 0);
    assert_int_equal(rsn_fed_new(&node->fed, node->key, node->secret, listen), 0);
    snprintf(node->endpoint, sizeof node->endpoint, "%s", rsn_fed_endpoint(node->fed));
    if (listen != NULL) {
        assert_non_null(strstr(node->endpoint, "tcp://127.0.0.1:"));
        assert_null(strchr(node->endpoint, '*'));
    } else {
        assert_string_equal(node->endpoint, "");
    }
}

static void node_fini(node_t *node)
{
    rsn_fed_destroy(&node->fed);
    assert_null(node->fed);
    rsn_fed_destroy(&node->fed); /* idempotent */
    rsn_secure_free(node->secret);
    rsn_keypair_destroy(&node->keypair);
}

static rsn_fed_peer_conf_t conf_of(const node_t *peer, bool dial)
{
    rsn_fed_peer_conf_t conf;
    memset(&conf, 0, sizeof conf);
    memcpy(conf.key, peer->key, 32);
    if (dial) {
        snprintf(conf.endpoint, sizeof conf.endpoint, "%s", peer->endpoint);
    }
    return conf;
}

/* SELF trusts PEER, and dials it when DIAL. */
static void trust_one(node_t *self, const node_t *peer, bool dial)
{
    rsn_fed_peer_conf_t conf = conf_of(peer, dial);
    assert_int_equal(rsn_fed_set_peers(self->fed, &conf, 1), 0);
}

/* One round over every node: a short wait, then every frame and event. */
static void pump_once(node_t **nodes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        node_t *node = nodes[i];
        if (node->fed == NULL) {
            continue;
        }
        bool api_ready = true;
        bool fed_ready = false;
        int rc = rsn_fed_wait(node->fed, NULL, 5, &api_ready, &fed_ready);
        assert_true(rc == 0 || rc == RSN_ERR_TIMEOUT);
        assert_false(api_ready);
        uint8_t peer[32];
        uint8_t *frame = NULL;
        size_t len = 0;
        while ((rc = rsn_fed_recv(node->fed, peer, &frame, &len)) == 0) {
            assert_non_null(frame);
            assert_true(node->frame_count < MAX_LOG);
            frame_log_t *log = &node->frames[node->frame_count++];
            memcpy(log->peer, peer, 32);
            log->len = len;
            memcpy(log->text, frame, len < sizeof log->text - 1 ? len : sizeof log->text - 1);
            free(frame);
        }
        assert_int_equal(rc, RSN_ERR_AGAIN);
        rsn_fed_event_t ev;
        while (rsn_fed_next_event(node->fed, &ev) == 0) {
            assert_true(node->event_count < MAX_LOG);
            node->events[node->event_count++] = ev;
        }
    }
}

static void pump_for(node_t **nodes, size_t n, int ms)
{
    int64_t end = rsn_test_mono_ms() + ms;
    while (rsn_test_mono_ms() < end) {
        pump_once(nodes, n);
    }
}

/* Pumps NODES until COND holds or MS pass; OK tells which. */
#define PUMP_UNTIL(ok, nodes, n, ms, cond)                      \
    do {                                                        \
        int64_t end_ = rsn_test_mono_ms() + (ms);               \
        while (!((ok) = (cond)) && rsn_test_mono_ms() < end_) { \
            pump_once(nodes, n);                                \
        }                                                       \
    } while (0)

static size_t count_events(const node_t *node, rsn_fed_event_kind kind, const uint8_t *key)
{
    size_t count = 0;
    for (size_t i = 0; i < node->event_count; i++) {
        if (node->events[i].kind == kind && memcmp(node->events[i].key, key, 32) == 0) {
            count++;
        }
    }
    return count;
}

static size_t count_frames(const node_t *node, const uint8_t *from, const char *text)
{
    size_t count = 0;
    for (size_t i = 0; i < node->frame_count; i++) {
        const frame_log_t *log = &node->frames[i];
        if (memcmp(log->peer, from, 32) == 0 &&
            (text == NULL || (log->len == strlen(text) && strcmp(log->text, text) == 0))) {
            count++;
        }
    }
    return count;
}

static int send_text(node_t *from, const node_t *to, const char *text)
{
    return rsn_fed_send(from->fed, to->key, (const uint8_t *)text, strlen(text));
}

static const rsn_fed_peer_info_t *info_of(const node_t *node, const node_t *peer,
                                          rsn_fed_peer_info_t *buf)
{
    size_t n = rsn_fed_peers(node->fed, buf, RSN_FED_MAX_PEERS);
    for (size_t i = 0; i < n; i++) {
        if (memcmp(buf[i].key, peer->key, 32) == 0) {
            return &buf[i];
        }
    }
    return NULL;
}

/* A dials B, B only trusts A; both see the link up. */
static void link_a_to_b(node_t *a, node_t *b)
{
    node_t *nodes[] = {a, b};
    bool ok = false;
    trust_one(b, a, false);
    trust_one(a, b, true);
    PUMP_UNTIL(ok, nodes, 2, DEADLINE_MS,
               count_events(a, RSN_FED_EVENT_CONNECTED, b->key) == 1 &&
                   count_events(b, RSN_FED_EVENT_CONNECTED, a->key) == 1);
    assert_true(ok);
}

static void test_frames_both_ways(void **state)
{
    node_t a, b;
    node_t *nodes[] = {&a, &b};
    rsn_fed_peer_info_t infos[RSN_FED_MAX_PEERS];
    bool ok = false;

    node_init(&a, 1, LOCAL_ANY);
    node_init(&b, 2, LOCAL_ANY);
    link_a_to_b(&a, &b);

    assert_int_equal(send_text(&a, &b, "to-b"), 0);
    assert_int_equal(send_text(&b, &a, "to-a"), 0); /* over B's ROUTER */
    PUMP_UNTIL(ok, nodes, 2, DEADLINE_MS,
               count_frames(&b, a.key, "to-b") == 1 && count_frames(&a, b.key, "to-a") == 1);
    assert_true(ok);
    pump_for(nodes, 2, 200);
    assert_int_equal(a.frame_count, 1);
    assert_int_equal(b.frame_count, 1);

    const rsn_fed_peer_info_t *info = info_of(&a, &b, infos);
    assert_non_null(info);
    assert_true(info->connected);
    assert_true(info->since_ms > 1600000000000);
    assert_string_equal(info->endpoint, b.endpoint);
    assert_int_equal(info->frames_out, 1);
    assert_int_equal(info->frames_in, 1);
    assert_int_equal(info->bytes_out, 4);
    assert_int_equal(info->bytes_in, 4);
    assert_int_equal(info->dropped_out, 0);
    info = info_of(&b, &a, infos);
    assert_non_null(info);
    assert_true(info->connected);
    assert_string_equal(info->endpoint, "");
    assert_int_equal(info->frames_in, 1);
    assert_int_equal(info->frames_out, 1);

    /* a frame up to the limit goes through whole */
    uint8_t *big = malloc(RSN_FED_MAX_FRAME);
    assert_non_null(big);
    memset(big, 'x', RSN_FED_MAX_FRAME);
    assert_int_equal(rsn_fed_send(a.fed, b.key, big, RSN_FED_MAX_FRAME), 0);
    free(big);
    PUMP_UNTIL(ok, nodes, 2, DEADLINE_MS, b.frame_count == 2);
    assert_true(ok);
    assert_int_equal(b.frames[1].len, RSN_FED_MAX_FRAME);
    assert_int_equal(b.frames[1].text[0], 'x');

    node_fini(&a);
    node_fini(&b);
}

static void test_both_dial(void **state)
{
    node_t a, b;
    node_t *nodes[] = {&a, &b};
    char text[32];
    bool ok = false;

    node_init(&a, 3, LOCAL_ANY);
    node_init(&b, 4, LOCAL_ANY);
    trust_one(&a, &b, true);
    trust_one(&b, &a, true);
    PUMP_UNTIL(ok, nodes, 2, DEADLINE_MS,
               count_events(&a, RSN_FED_EVENT_CONNECTED, b.key) == 1 &&
                   count_events(&b, RSN_FED_EVENT_CONNECTED, a.key) == 1);
    assert_true(ok);
    pump_for(nodes, 2, 300); /* both connections up */
    for (int i = 0; i < 10; i++) {
        snprintf(text, sizeof text, "a%d", i);
        assert_int_equal(send_text(&a, &b, text), 0);
        snprintf(text, sizeof text, "b%d", i);
        assert_int_equal(send_text(&b, &a, text), 0);
    }
    PUMP_UNTIL(ok, nodes, 2, DEADLINE_MS, a.frame_count == 10 && b.frame_count == 10);
    assert_true(ok);
    pump_for(nodes, 2, 300);
    assert_int_equal(a.frame_count, 10);
    assert_int_equal(b.frame_count, 10);
    for (int i = 0; i < 10; i++) {
        snprintf(text, sizeof text, "a%d", i);
        assert_int_equal(count_frames(&b, a.key, text), 1);
        snprintf(text, sizeof text, "b%d", i);
        assert_int_equal(count_frames(&a, b.key, text), 1);
    }
    /* one logical link: one CONNECTED each, no flapping */
    assert_int_equal(a.event_count, 1);
    assert_int_equal(b.event_count, 1);

    node_fini(&a);
    node_fini(&b);
}

static void test_untrusted_refused(void **state)
{
    node_t a, b, c;
    node_t *nodes[] = {&a, &b, &c};
    rsn_fed_peer_info_t infos[RSN_FED_MAX_PEERS];
    bool ok = false;

    node_init(&a, 5, LOCAL_ANY);
    node_init(&b, 6, LOCAL_ANY);
    node_init(&c, 7, NULL);
    link_a_to_b(&a, &b);
    trust_one(&c, &b, true); /* C trusts and dials B; B does not know C */
    PUMP_UNTIL(ok, nodes, 3, DEADLINE_MS, count_events(&b, RSN_FED_EVENT_REFUSED, c.curve) == 1);
    assert_true(ok);
    assert_int_equal(send_text(&c, &b, "let me in"), RSN_ERR_UNAVAILABLE);
    assert_int_equal(send_text(&b, &c, "hello c"), RSN_ERR_UNAVAILABLE);
    assert_int_equal(send_text(&a, &b, "from a"), 0);
    pump_for(nodes, 3, 1500); /* C retries meanwhile */
    assert_int_equal(count_frames(&b, a.key, "from a"), 1);
    assert_int_equal(count_frames(&b, c.key, NULL), 0);
    assert_int_equal(c.frame_count, 0);
    assert_int_equal(count_events(&c, RSN_FED_EVENT_CONNECTED, b.key), 0);
    /* logged and reported once a minute per key, however often it retries */
    assert_int_equal(count_events(&b, RSN_FED_EVENT_REFUSED, c.curve), 1);
    const rsn_fed_peer_info_t *info = info_of(&c, &b, infos);
    assert_non_null(info);
    assert_false(info->connected);
    assert_non_null(strstr(info->last_error, "refused"));
    assert_null(info_of(&b, &c, infos));

    node_fini(&a);
    node_fini(&b);
    node_fini(&c);
}

static void test_set_peers_drops_and_readmits(void **state)
{
    node_t a, b;
    node_t *nodes[] = {&a, &b};
    bool ok = false;

    node_init(&a, 8, LOCAL_ANY);
    node_init(&b, 9, LOCAL_ANY);
    link_a_to_b(&a, &b);
    assert_int_equal(rsn_fed_set_peers(b.fed, NULL, 0), 0);
    pump_once(nodes, 2);
    assert_int_equal(count_events(&b, RSN_FED_EVENT_DISCONNECTED, a.key), 1);
    assert_int_equal(send_text(&b, &a, "gone"), RSN_ERR_UNAVAILABLE);
    /* A's connection is still open, but its frames are no longer delivered */
    (void)send_text(&a, &b, "dropped");
    pump_for(nodes, 2, 500);
    assert_int_equal(b.frame_count, 0);
    assert_int_equal(a.frame_count, 0);

    /* trusted again: the same connection is attributed again */
    trust_one(&b, &a, false);
    PUMP_UNTIL(ok, nodes, 2, DEADLINE_MS, count_events(&b, RSN_FED_EVENT_CONNECTED, a.key) == 2);
    assert_true(ok);
    assert_int_equal(send_text(&a, &b, "back"), 0);
    PUMP_UNTIL(ok, nodes, 2, DEADLINE_MS, count_frames(&b, a.key, "back") == 1);
    assert_true(ok);
    assert_int_equal(b.frame_count, 1);

    /* unchanged peers keep their links; a new endpoint means a redial */
    rsn_fed_peer_conf_t conf = conf_of(&b, true);
    size_t downs = count_events(&a, RSN_FED_EVENT_DISCONNECTED, b.key);
    assert_int_equal(rsn_fed_set_peers(a.fed, &conf, 1), 0);
    pump_for(nodes, 2, 100);
    assert_int_equal(count_events(&a, RSN_FED_EVENT_DISCONNECTED, b.key), downs);
    snprintf(conf.endpoint, sizeof conf.endpoint, "tcp://127.0.0.1:1");
    assert_int_equal(rsn_fed_set_peers(a.fed, &conf, 1), 0);
    pump_once(nodes, 2);
    assert_int_equal(count_events(&a, RSN_FED_EVENT_DISCONNECTED, b.key), downs + 1);
    assert_int_equal(send_text(&a, &b, "nowhere"), RSN_ERR_UNAVAILABLE);

    node_fini(&a);
    node_fini(&b);
}

static void test_ban_and_recovery(void **state)
{
    node_t a, b;
    node_t *nodes[] = {&a, &b};
    rsn_fed_peer_info_t infos[RSN_FED_MAX_PEERS];
    bool ok = false;

    node_init(&a, 10, LOCAL_ANY);
    node_init(&b, 11, LOCAL_ANY);
    link_a_to_b(&a, &b);

    /* B bans A, which dialled it: A's frames are discarded meanwhile, and a
     * new connection with A's key is refused */
    rsn_fed_ban(b.fed, a.key, 1000, "too many bad frames");
    assert_int_equal(count_events(&b, RSN_FED_EVENT_DISCONNECTED, a.key), 0);
    pump_once(nodes, 2);
    assert_int_equal(count_events(&b, RSN_FED_EVENT_DISCONNECTED, a.key), 1);
    const rsn_fed_peer_info_t *info = info_of(&b, &a, infos);
    assert_non_null(info);
    assert_false(info->connected);
    assert_string_equal(info->last_error, "banned: too many bad frames");
    assert_int_equal(send_text(&b, &a, "no"), RSN_ERR_UNAVAILABLE);
    assert_int_equal(send_text(&a, &b, "during"), 0);
    node_t twin; /* A's keys in a second process */
    node_t *three[] = {&a, &b, &twin};
    node_init(&twin, 10, NULL);
    trust_one(&twin, &b, true);
    PUMP_UNTIL(ok, three, 3, 900, strstr(info_of(&twin, &b, infos)->last_error, "refused") != NULL);
    assert_true(ok);
    assert_int_equal(count_events(&twin, RSN_FED_EVENT_CONNECTED, b.key), 0);
    node_fini(&twin);
    assert_int_equal(count_frames(&b, a.key, "during"), 0);
    assert_int_equal(count_events(&b, RSN_FED_EVENT_REFUSED, a.curve), 0);
    PUMP_UNTIL(ok, nodes, 2, DEADLINE_MS, count_events(&b, RSN_FED_EVENT_CONNECTED, a.key) == 2);
    assert_true(ok);
    assert_int_equal(send_text(&a, &b, "after"), 0);
    PUMP_UNTIL(ok, nodes, 2, DEADLINE_MS, count_frames(&b, a.key, "after") == 1);
    assert_true(ok);
    assert_int_equal(count_frames(&b, a.key, "during"), 0);

    /* A bans B, which it dials: the DEALER is closed, then redialled */
    rsn_fed_ban(a.fed, b.key, 300, "testing");
    pump_once(nodes, 2);
    assert_int_equal(count_events(&a, RSN_FED_EVENT_DISCONNECTED, b.key), 1);
    assert_int_equal(send_text(&a, &b, "no"), RSN_ERR_UNAVAILABLE);
    PUMP_UNTIL(ok, nodes, 2, DEADLINE_MS, count_events(&a, RSN_FED_EVENT_CONNECTED, b.key) == 2);
    assert_true(ok);
    assert_int_equal(send_text(&a, &b, "again"), 0);
    PUMP_UNTIL(ok, nodes, 2, DEADLINE_MS, count_frames(&b, a.key, "again") == 1);
    assert_true(ok);

    /* banning a stranger does nothing */
    uint8_t stranger[32] = {0};
    rsn_fed_ban(a.fed, stranger, 100, NULL);

    node_fini(&a);
    node_fini(&b);
}

static void test_errors(void **state)
{
    node_t a, b;
    node_t *nodes[] = {&a, &b};
    rsn_fed_t *fed = NULL;
    rsn_fed_event_t ev;
    uint8_t unknown[32];
    uint8_t *frame = NULL;
    size_t len = 0;
    uint8_t peer[32];

    node_init(&a, 12, LOCAL_ANY);
    node_init(&b, 13, LOCAL_ANY);
    memset(unknown, 0x55, sizeof unknown);
    assert_int_equal(rsn_fed_send(a.fed, unknown, (const uint8_t *)"x", 1), RSN_ERR_UNAVAILABLE);
    assert_int_equal(rsn_fed_recv(a.fed, peer, &frame, &len), RSN_ERR_AGAIN);
    assert_null(frame);
    assert_int_equal(rsn_fed_next_event(a.fed, &ev), RSN_ERR_AGAIN);
    bool api_ready = true;
    bool fed_ready = true;
    int64_t start = rsn_test_mono_ms();
    assert_int_equal(rsn_fed_wait(a.fed, NULL, 150, &api_ready, &fed_ready), RSN_ERR_TIMEOUT);
    assert_true(rsn_test_mono_ms() - start >= 140);
    assert_false(api_ready);
    assert_false(fed_ready);

    /* trusted but not reachable: unavailable, never blocking */
    rsn_fed_peer_conf_t conf = conf_of(&b, false);
    snprintf(conf.endpoint, sizeof conf.endpoint, "tcp://127.0.0.1:1");
    assert_int_equal(rsn_fed_set_peers(a.fed, &conf, 1), 0);
    pump_for(nodes, 2, 100);
    assert_int_equal(send_text(&a, &b, "x"), RSN_ERR_UNAVAILABLE);
    assert_int_equal(rsn_fed_send(a.fed, b.key, (const uint8_t *)"", 0), RSN_ERR_INVALID_ARG);
    uint8_t *big = calloc(1, RSN_FED_MAX_FRAME + 1);
    assert_non_null(big);
    assert_int_equal(rsn_fed_send(a.fed, b.key, big, RSN_FED_MAX_FRAME + 1), RSN_ERR_TOO_LARGE);
    free(big);

    /* set_peers checks everything first and changes nothing on error */
    rsn_fed_peer_conf_t two[2] = {conf_of(&b, true), conf_of(&b, false)};
    assert_int_equal(rsn_fed_set_peers(a.fed, two, 2), RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_fed_set_peers(a.fed, two, RSN_FED_MAX_PEERS + 1), RSN_ERR_INVALID_ARG);
    rsn_fed_peer_conf_t bad = conf_of(&b, false);
    memset(bad.endpoint, 'x', sizeof bad.endpoint); /* no NUL */
    assert_int_equal(rsn_fed_set_peers(a.fed, &bad, 1), RSN_ERR_INVALID_ARG);
    snprintf(bad.endpoint, sizeof bad.endpoint, "nonsense");
    assert_int_equal(rsn_fed_set_peers(a.fed, &bad, 1), RSN_ERR_INVALID_ARG);
    rsn_fed_peer_info_t infos[RSN_FED_MAX_PEERS];
    assert_int_equal(rsn_fed_peers(a.fed, infos, RSN_FED_MAX_PEERS), 1);
    assert_int_equal(rsn_fed_peers(a.fed, infos, 0), 0);
    /* its own key is skipped */
    rsn_fed_peer_conf_t self_conf = conf_of(&a, true);
    assert_int_equal(rsn_fed_set_peers(a.fed, &self_conf, 1), 0);
    assert_int_equal(rsn_fed_peers(a.fed, infos, RSN_FED_MAX_PEERS), 0);

    /* listen endpoints */
    assert_int_equal(rsn_fed_new(&fed, a.key, a.secret, "nonsense"), RSN_ERR_INVALID_ARG);
    assert_null(fed);
    assert_int_equal(rsn_fed_new(&fed, a.key, a.secret, ""), RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_fed_new(&fed, a.key, a.secret, b.endpoint), RSN_ERR_IO); /* in use */
    assert_null(fed);
    rsn_fed_destroy(NULL);

    node_fini(&a);
    node_fini(&b);
}

/* A raw DEALER holding A's trusted keys, dialling B. */
static void *raw_dealer(void *context, const node_t *a, const node_t *b)
{
    void *dealer = zmq_socket(context, ZMQ_DEALER);
    assert_non_null(dealer);
    int zero = 0;
    assert_int_equal(zmq_setsockopt(dealer, ZMQ_LINGER, &zero, sizeof zero), 0);
    assert_int_equal(zmq_setsockopt(dealer, ZMQ_CURVE_SERVERKEY, b->curve, 32), 0);
    assert_int_equal(zmq_setsockopt(dealer, ZMQ_CURVE_PUBLICKEY, a->curve, 32), 0);
    assert_int_equal(zmq_setsockopt(dealer, ZMQ_CURVE_SECRETKEY, a->secret, 32), 0);
    assert_int_equal(zmq_connect(dealer, b->endpoint), 0);
    return dealer;
}

static void test_oversize_and_malformed(void **state)
{
    node_t a, b;
    node_t *nodes[] = {&b};
    rsn_fed_peer_info_t infos[RSN_FED_MAX_PEERS];
    bool ok = false;

    node_init(&a, 14, NULL); /* only for its keys */
    node_init(&b, 15, LOCAL_ANY);
    trust_one(&b, &a, false);
    void *context = zmq_ctx_new();
    assert_non_null(context);

    void *dealer = raw_dealer(context, &a, &b);
    assert_int_equal(zmq_send(dealer, "one", 3, ZMQ_SNDMORE), 3);
    assert_int_equal(zmq_send(dealer, "two", 3, 0), 3);
    assert_int_equal(zmq_send(dealer, "fine", 4, 0), 4);
    PUMP_UNTIL(ok, nodes, 1, DEADLINE_MS, b.frame_count == 1);
    assert_true(ok);
    assert_int_equal(count_frames(&b, a.key, "fine"), 1);
    const rsn_fed_peer_info_t *info = info_of(&b, &a, infos);
    assert_non_null(info);
    assert_string_equal(info->last_error, "malformed message");
    assert_int_equal(info->frames_in, 1);

    /* over the limit: libzmq closes the connection, the frame never arrives */
    uint8_t *big = malloc(RSN_FED_MAX_FRAME + 1);
    assert_non_null(big);
    memset(big, 'y', RSN_FED_MAX_FRAME + 1);
    assert_int_equal(zmq_send(dealer, big, RSN_FED_MAX_FRAME + 1, 0), RSN_FED_MAX_FRAME + 1);
    free(big);
    pump_for(nodes, 1, 500);
    assert_int_equal(b.frame_count, 1);
    zmq_close(dealer);

    /* a new connection with the same key is served */
    dealer = raw_dealer(context, &a, &b);
    assert_int_equal(zmq_send(dealer, "later", 5, 0), 5);
    PUMP_UNTIL(ok, nodes, 1, DEADLINE_MS, b.frame_count == 2);
    assert_true(ok);
    assert_int_equal(count_frames(&b, a.key, "later"), 1);
    zmq_close(dealer);
    zmq_ctx_term(context);

    node_fini(&a);
    node_fini(&b);
}

static void test_restart_reconnects(void **state)
{
    node_t a, b;
    node_t *nodes[] = {&a, &b};
    char endpoint[RSN_FED_ENDPOINT_MAX + 1];
    bool ok = false;

    node_init(&a, 16, LOCAL_ANY);
    node_init(&b, 17, LOCAL_ANY);
    link_a_to_b(&a, &b);
    snprintf(endpoint, sizeof endpoint, "%s", b.endpoint);

    rsn_fed_destroy(&b.fed);
    PUMP_UNTIL(ok, nodes, 2, DEADLINE_MS, count_events(&a, RSN_FED_EVENT_DISCONNECTED, b.key) == 1);
    assert_true(ok);
    assert_int_equal(send_text(&a, &b, "lost"), RSN_ERR_UNAVAILABLE);

    assert_int_equal(rsn_fed_new(&b.fed, b.key, b.secret, endpoint), 0);
    assert_string_equal(rsn_fed_endpoint(b.fed), endpoint);
    trust_one(&b, &a, false);
    PUMP_UNTIL(ok, nodes, 2, 2 * DEADLINE_MS,
               count_events(&a, RSN_FED_EVENT_CONNECTED, b.key) == 2);
    assert_true(ok);
    assert_int_equal(send_text(&a, &b, "back"), 0);
    PUMP_UNTIL(ok, nodes, 2, DEADLINE_MS, count_frames(&b, a.key, "back") == 1);
    assert_true(ok);

    node_fini(&a);
    node_fini(&b);
}

static void test_wait_reports_api(void **state)
{
    node_t a;
    char dir[RSN_TEST_DIR_MAX];
    char path[RSN_TEST_DIR_MAX + 16];
    rsn_api_server_t *api = NULL;
    bool api_ready = false;
    bool fed_ready = false;

    node_init(&a, 18, NULL);
    assert_int_equal(rsn_test_tmpdir_make(dir, sizeof dir, "rsnfed"), 0);
    snprintf(path, sizeof path, "%s/api.sock", dir);
    assert_int_equal(rsn_api_server_bind(&api, path), 0);
    assert_int_equal(rsn_fed_wait(a.fed, api, 50, &api_ready, &fed_ready), RSN_ERR_TIMEOUT);
    assert_false(api_ready);

    void *context = zmq_ctx_new();
    void *client = zmq_socket(context, ZMQ_DEALER);
    char endpoint[RSN_TEST_DIR_MAX + 32];
    snprintf(endpoint, sizeof endpoint, "ipc://%s", path);
    assert_int_equal(zmq_connect(client, endpoint), 0);
    assert_int_equal(zmq_send(client, "", 0, ZMQ_SNDMORE), 0);
    assert_int_equal(zmq_send(client, "req", 3, 0), 3);
    assert_int_equal(rsn_fed_wait(a.fed, api, 2000, &api_ready, &fed_ready), 0);
    assert_true(api_ready);
    assert_false(fed_ready);
    rsn_api_msg_t *msg = NULL;
    assert_int_equal(rsn_api_server_recv(api, &msg), 0);
    size_t len = 0;
    const uint8_t *payload = rsn_api_msg_payload(msg, &len);
    assert_int_equal(len, 3);
    assert_memory_equal(payload, "req", 3);
    rsn_api_msg_destroy(&msg);
    zmq_close(client);
    zmq_ctx_term(context);

    rsn_api_server_destroy(&api);
    (void)rsn_test_tmpdir_remove(dir);
    node_fini(&a);
}

/* A key dropped from the trusted set loses the connection ZAP once admitted:
 * A, who dials B, sees its link go down, and its redial is refused. */
static void test_dropped_key_connection_closed(void **state)
{
    node_t a, b;
    node_t *nodes[] = {&a, &b};
    rsn_fed_peer_info_t infos[RSN_FED_MAX_PEERS];
    bool ok = false;

    node_init(&a, 40, LOCAL_ANY);
    node_init(&b, 41, LOCAL_ANY);
    link_a_to_b(&a, &b);
    assert_int_equal(rsn_fed_set_peers(b.fed, NULL, 0), 0);
    PUMP_UNTIL(ok, nodes, 2, DEADLINE_MS, count_events(&a, RSN_FED_EVENT_DISCONNECTED, b.key) >= 1);
    assert_true(ok);
    pump_for(nodes, 2, 500);
    const rsn_fed_peer_info_t *info = info_of(&a, &b, infos);
    assert_non_null(info);
    assert_false(info->connected);
    assert_non_null(strstr(info->last_error, "refused"));
    assert_int_equal(count_events(&a, RSN_FED_EVENT_CONNECTED, b.key), 1);

    node_fini(&a);
    node_fini(&b);
}

/* Sends one ZAP request for DOMAIN with CURVE's key to NODE's handler and
 * returns the reply's status code (200, 400), pumping NODE meanwhile. */
static int zap_ask(node_t *node, void *req, const char *domain, const uint8_t *curve)
{
    const char *frames[] = {"1.0", "7", domain, "127.0.0.1", "", "CURVE"};
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(zmq_send(req, frames[i], strlen(frames[i]), ZMQ_SNDMORE),
                         (int)strlen(frames[i]));
    }
    assert_int_equal(zmq_send(req, curve, 32, 0), 32);
    node_t *nodes[] = {node};
    char reply[6][64];
    for (size_t i = 0; i < 6; i++) {
        int len = -1;
        int64_t end = rsn_test_mono_ms() + DEADLINE_MS;
        while ((len = zmq_recv(req, reply[i], sizeof reply[i] - 1, ZMQ_DONTWAIT)) < 0 &&
               rsn_test_mono_ms() < end) {
            pump_once(nodes, 1);
        }
        assert_true(len >= 0);
        reply[i][len < (int)sizeof reply[i] ? len : (int)sizeof reply[i] - 1] = '\0';
    }
    assert_string_equal(reply[1], "7");
    return atoi(reply[2]);
}

/* The handler answers for our ROUTER's domain only: a trusted key asked for
 * under another domain (a socket that is not the transport's) is refused. */
static void test_zap_other_domain_refused(void **state)
{
    node_t a, b;
    node_init(&a, 42, LOCAL_ANY);
    node_init(&b, 43, LOCAL_ANY);
    trust_one(&b, &a, false);
    void *req = zmq_socket(b.fed->context, ZMQ_REQ);
    assert_non_null(req);
    int zero = 0;
    assert_int_equal(zmq_setsockopt(req, ZMQ_LINGER, &zero, sizeof zero), 0);
    assert_int_equal(zmq_connect(req, FED_ZAP_ENDPOINT), 0);
    assert_int_equal(zap_ask(&b, req, FED_ZAP_DOMAIN, a.curve), 200);
    assert_int_equal(zap_ask(&b, req, "other", a.curve), 400);
    assert_int_equal(zap_ask(&b, req, "", a.curve), 400);
    assert_int_equal(zap_ask(&b, req, FED_ZAP_DOMAIN, b.curve), 400); /* not trusted */
    zmq_close(req);

    node_fini(&a);
    node_fini(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frames_both_ways),
        cmocka_unit_test(test_both_dial),
        cmocka_unit_test(test_untrusted_refused),
        cmocka_unit_test(test_set_peers_drops_and_readmits),
        cmocka_unit_test(test_ban_and_recovery),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_oversize_and_malformed),
        cmocka_unit_test(test_restart_reconnects),
        cmocka_unit_test(test_wait_reports_api),
        cmocka_unit_test(test_dropped_key_connection_closed),
        cmocka_unit_test(test_zap_other_domain_refused),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
