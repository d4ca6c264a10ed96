/* net_test.c — the local API socket and its C client, in one process.
 *
 * Most tests drive both ends from one thread (client send, server wait and
 * recv, server send, client recv); rsn_client_call, which blocks, is served by
 * a thread that owns the server. Round trips, envelope echo for REQ and
 * DEALER clients, request ids, pipelining, the path limit, missing and stale
 * sockets, timeouts, oversize and malformed messages. This test includes
 * zmq.h itself only to play clients the library does not offer (REQ, raw
 * DEALER with extra envelope frames). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "net/api_server.h"
#include "net/client.h"
#include "support/clock.h"
#include "support/files.h"

#define WAIT_MS 2000

typedef struct {
    char dir[RSN_TEST_DIR_MAX];
    char path[128];
    rsn_api_server_t *server;
    rsn_client_t *client;
    bool front; /* the server has a front (setup_front) */
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(rsn_test_tmpdir_make(f->dir, sizeof f->dir, "rsnnet"), 0);
    snprintf(f->path, sizeof f->path, "%s/api.sock", f->dir);
    assert_int_equal(rsn_api_server_bind(&f->server, f->path), 0);
    assert_int_equal(rsn_client_connect(&f->client, f->path, WAIT_MS), 0);
    *state = f;
    return 0;
}

/* --- the front (net/api_server.h) ------------------------------------------- */

/* What the test's front and loop callbacks saw. */
typedef struct {
    int notes;
    int undelivered;
    int freed;
} front_seen_t;

static front_seen_t seen;

/* The test's front: a status is answered from STATE (a uint64_t, the
 * entries), site "front"; anything else goes to the loop. */
static int front_answer(void *ctx, void *state, const uint8_t *payload, size_t len,
                        uint8_t **reply_out, size_t *reply_len, uint8_t *note, size_t *note_len)
{
    (void)ctx;
    Raison__ApiRequest *req = raison__api_request__unpack(NULL, len, payload);
    if (!req || req->call_case != RAISON__API_REQUEST__CALL_STATUS) {
        raison__api_request__free_unpacked(req, NULL);
        return 0;
    }
    Raison__StatusReply status = RAISON__STATUS_REPLY__INIT;
    Raison__ApiReply reply = RAISON__API_REPLY__INIT;
    status.site = "front";
    status.entries = *(uint64_t *)state;
    reply.request_id = req->request_id;
    reply.result_case = RAISON__API_REPLY__RESULT_STATUS;
    reply.status = &status;
    *reply_len = raison__api_reply__get_packed_size(&reply);
    *reply_out = malloc(*reply_len);
    raison__api_reply__pack(&reply, *reply_out);
    raison__api_request__free_unpacked(req, NULL);
    memcpy(note, "seen", 4);
    *note_len = 4;
    return 1;
}

static void state_free(void *state)
{
    seen.freed++;
    free(state);
}

static void on_note(void *ctx, const uint8_t *note, size_t len)
{
    (void)ctx;
    assert_int_equal(len, 4);
    assert_memory_equal(note, "seen", 4);
    seen.notes++;
}

static void on_undelivered(void *ctx, const rsn_api_msg_t *to)
{
    (void)ctx;
    (void)to;
    seen.undelivered++;
}

static void *state_of(uint64_t entries)
{
    uint64_t *s = malloc(sizeof *s);
    assert_non_null(s);
    *s = entries;
    return s;
}

static int setup_front(void **state)
{
    memset(&seen, 0, sizeof seen);
    fixture_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(rsn_test_tmpdir_make(f->dir, sizeof f->dir, "rsnnet"), 0);
    snprintf(f->path, sizeof f->path, "%s/api.sock", f->dir);
    assert_int_equal(rsn_api_server_bind(&f->server, f->path), 0);
    rsn_api_front_t front = {.answer = front_answer,
                             .state_free = state_free,
                             .note = on_note,
                             .undelivered = on_undelivered};
    assert_int_equal(rsn_api_server_start_front(f->server, &front), 0);
    assert_int_equal(rsn_api_server_start_front(f->server, &front), RSN_ERR_INVALID_ARG);
    f->front = true;
    assert_int_equal(rsn_client_connect(&f->client, f->path, WAIT_MS), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    rsn_client_destroy(&f->client);
    rsn_api_server_destroy(&f->server);
    (void)rsn_test_tmpdir_remove(f->dir);
    free(f);
    return 0;
}

/* Waits for and takes the next request on SERVER. */
static rsn_api_msg_t *next_request(rsn_api_server_t *server)
{
    rsn_api_msg_t *msg = NULL;
    assert_int_equal(rsn_api_server_wait(server, WAIT_MS), 0);
    assert_int_equal(rsn_api_server_recv(server, &msg), 0);
    assert_non_null(msg);
    return msg;
}

/* Decodes MSG's payload as an ApiRequest (free with free_unpacked). */
static Raison__ApiRequest *request_of(const rsn_api_msg_t *msg)
{
    size_t len = 0;
    const uint8_t *payload = rsn_api_msg_payload(msg, &len);
    Raison__ApiRequest *req = raison__api_request__unpack(NULL, len, payload);
    assert_non_null(req);
    return req;
}

/* Answers TO with a StatusReply for REQUEST_ID whose entries count is
 * ENTRIES and whose site is "paris". Returns what rsn_api_server_send said. */
static int send_status(rsn_api_server_t *server, const rsn_api_msg_t *to, uint64_t request_id,
                       uint64_t entries, bool push)
{
    Raison__StatusReply status = RAISON__STATUS_REPLY__INIT;
    Raison__ApiReply reply = RAISON__API_REPLY__INIT;
    uint8_t buf[256];

    status.site = "paris";
    status.entries = entries;
    reply.request_id = request_id;
    reply.result_case = RAISON__API_REPLY__RESULT_STATUS;
    reply.status = &status;
    size_t len = raison__api_reply__pack(&reply, buf);
    assert_true(len < sizeof buf);
    return push ? rsn_api_server_push(server, to, buf, len)
                : rsn_api_server_send(server, to, buf, len);
}

static int reply_status(rsn_api_server_t *server, const rsn_api_msg_t *to, uint64_t request_id,
                        uint64_t entries)
{
    return send_status(server, to, request_id, entries, false);
}

static void status_request(Raison__ApiRequest *req, Raison__StatusRequest *status)
{
    Raison__ApiRequest init = RAISON__API_REQUEST__INIT;
    Raison__StatusRequest status_init = RAISON__STATUS_REQUEST__INIT;
    *req = init;
    *status = status_init;
    req->call_case = RAISON__API_REQUEST__CALL_STATUS;
    req->status = status;
}

/* Sends a request of CALL (status or head) and returns its id. */
static uint64_t send_call(rsn_client_t *client, Raison__ApiRequest__CallCase call)
{
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__StatusRequest status = RAISON__STATUS_REQUEST__INIT;
    Raison__HeadRequest head = RAISON__HEAD_REQUEST__INIT;
    req.call_case = call;
    if (call == RAISON__API_REQUEST__CALL_STATUS) {
        req.status = &status;
    } else {
        req.head = &head;
    }
    uint64_t id = 0;
    assert_int_equal(rsn_client_send(client, &req, &id), 0);
    return id;
}

/* Receives the next reply: it must be to ID, a status from SITE with ENTRIES. */
static void expect_status(rsn_client_t *client, uint64_t id, const char *site, uint64_t entries)
{
    Raison__ApiReply *reply = NULL;
    assert_int_equal(rsn_client_recv(client, &reply), 0);
    assert_int_equal(reply->request_id, id);
    assert_int_equal(reply->result_case, RAISON__API_REPLY__RESULT_STATUS);
    assert_string_equal(reply->status->site, site);
    assert_int_equal(reply->status->entries, entries);
    raison__api_reply__free_unpacked(reply, NULL);
}

/* The loop's next request must be to ID. */
static rsn_api_msg_t *expect_request(rsn_api_server_t *server, uint64_t id)
{
    rsn_api_msg_t *msg = NULL;
    for (int i = 0; i < 50 && !msg; i++) {
        /* a wait also wakes for a note, which recv hands on, then AGAIN */
        assert_int_equal(rsn_api_server_wait(server, WAIT_MS), 0);
        int rc = rsn_api_server_recv(server, &msg);
        assert_true(rc == 0 || rc == RSN_ERR_AGAIN);
    }
    assert_non_null(msg);
    Raison__ApiRequest *got = request_of(msg);
    assert_int_equal(got->request_id, id);
    raison__api_request__free_unpacked(got, NULL);
    return msg;
}

/* The front answers reads from the published state, passes the rest to the
 * loop, keeps each client's order, and hands states over in order with the
 * loop's replies. */
static void test_front(void **state)
{
    fixture_t *f = *state;
    /* nothing published yet: the loop answers */
    uint64_t a = send_call(f->client, RAISON__API_REQUEST__CALL_STATUS);
    rsn_api_msg_t *msg = expect_request(f->server, a);
    assert_int_equal(reply_status(f->server, msg, a, 1), 0);
    rsn_api_msg_destroy(&msg);
    expect_status(f->client, a, "paris", 1);

    /* a state: the front answers, and the loop is told (a note) */
    assert_int_equal(rsn_api_server_publish(f->server, state_of(7)), 0);
    uint64_t b = send_call(f->client, RAISON__API_REQUEST__CALL_STATUS);
    expect_status(f->client, b, "front", 7);
    for (int i = 0; i < 50 && seen.notes == 0; i++) {
        if (rsn_api_server_wait(f->server, 100) != 0) {
            continue;
        }
        assert_int_equal(rsn_api_server_recv(f->server, &msg), RSN_ERR_AGAIN);
    }
    assert_int_equal(seen.notes, 1);

    /* a read behind a request at the loop goes to the loop too, in order */
    uint64_t c = send_call(f->client, RAISON__API_REQUEST__CALL_HEAD);
    uint64_t d = send_call(f->client, RAISON__API_REQUEST__CALL_STATUS);
    rsn_api_msg_t *mc = expect_request(f->server, c);
    rsn_api_msg_t *md = expect_request(f->server, d);
    assert_int_equal(reply_status(f->server, mc, c, 2), 0);
    assert_int_equal(reply_status(f->server, md, d, 3), 0);
    rsn_api_msg_destroy(&mc);
    rsn_api_msg_destroy(&md);
    expect_status(f->client, c, "paris", 2);
    expect_status(f->client, d, "paris", 3);
    /* both answered: the front answers again */
    uint64_t e = send_call(f->client, RAISON__API_REQUEST__CALL_STATUS);
    expect_status(f->client, e, "front", 7);

    /* a state published before a reply serves the reads sent after it */
    uint64_t g = send_call(f->client, RAISON__API_REQUEST__CALL_HEAD);
    rsn_api_msg_t *mg = expect_request(f->server, g);
    assert_int_equal(rsn_api_server_publish(f->server, state_of(9)), 0);
    assert_int_equal(reply_status(f->server, mg, g, 4), 0);
    expect_status(f->client, g, "paris", 4);
    uint64_t h = send_call(f->client, RAISON__API_REQUEST__CALL_STATUS);
    expect_status(f->client, h, "front", 9);
    assert_true(seen.freed >= 1); /* the state before was freed */

    rsn_api_msg_destroy(&mg);

    /* a push answers no request: a read after it still waits behind G2 */
    uint64_t g2 = send_call(f->client, RAISON__API_REQUEST__CALL_HEAD);
    rsn_api_msg_t *mg2 = expect_request(f->server, g2);
    assert_int_equal(send_status(f->server, mg2, g2, 50, true), 0);
    expect_status(f->client, g2, "paris", 50);
    uint64_t i = send_call(f->client, RAISON__API_REQUEST__CALL_STATUS);
    rsn_api_msg_t *mi = expect_request(f->server, i);
    assert_int_equal(reply_status(f->server, mg2, g2, 5), 0);
    assert_int_equal(reply_status(f->server, mi, i, 6), 0);
    expect_status(f->client, g2, "paris", 5);
    expect_status(f->client, i, "paris", 6);
    rsn_api_msg_destroy(&mg2);
    rsn_api_msg_destroy(&mi);

    /* a push its client does not take is told to the loop */
    rsn_client_t *other = NULL;
    assert_int_equal(rsn_client_connect(&other, f->path, WAIT_MS), 0);
    uint64_t j = send_call(other, RAISON__API_REQUEST__CALL_HEAD);
    rsn_api_msg_t *mj = expect_request(f->server, j);
    rsn_client_destroy(&other);
    for (int k = 0; k < 200 && seen.undelivered == 0; k++) {
        assert_int_equal(send_status(f->server, mj, j, 1, true), 0);
        int ready = rsn_api_server_wait(f->server, 10);
        assert_true(ready == 0 || ready == RSN_ERR_TIMEOUT);
        rsn_api_msg_t *none = NULL;
        assert_int_equal(rsn_api_server_recv(f->server, &none), RSN_ERR_AGAIN);
    }
    assert_int_equal(seen.undelivered, 1);
    rsn_api_msg_destroy(&mj);
}

/* A front whose loop does not read holds its clients back (ZeroMQ's queues)
 * rather than dropping what it cannot pass on: every request arrives. */
static void test_front_backpressure(void **state)
{
    fixture_t *f = *state;
    char endpoint[160];
    snprintf(endpoint, sizeof endpoint, "ipc://%s", f->path);
    void *ctx = zmq_ctx_new();
    void *sock = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0;
    assert_int_equal(zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof zero), 0);
    assert_int_equal(zmq_setsockopt(sock, ZMQ_SNDHWM, &zero, sizeof zero), 0);
    assert_int_equal(zmq_connect(sock, endpoint), 0);
    enum { SENT = 50000 }; /* past the channel's and the ROUTER's queues */
    for (int i = 0; i < SENT; i++) {
        assert_int_equal(zmq_send(sock, "", 0, ZMQ_SNDMORE), 0);
        assert_int_equal(zmq_send(sock, "x", 1, 0), 1); /* no ApiRequest: the loop's */
    }
    usleep(300 * 1000); /* the front meets a full channel */
    int got = 0;
    for (int idle = 0; idle < 20 && got < SENT;) {
        rsn_api_msg_t *msg = NULL;
        if (rsn_api_server_recv(f->server, &msg) == 0) {
            got++;
            rsn_api_msg_destroy(&msg);
            idle = 0;
        } else if (rsn_api_server_wait(f->server, 100) != 0) {
            idle++;
        }
    }
    assert_int_equal(got, SENT);
    zmq_close(sock);
    zmq_ctx_term(ctx);
}

static void test_round_trip(void **state)
{
    fixture_t *f = *state;
    Raison__ApiRequest req;
    Raison__StatusRequest status;
    uint64_t id = 0;
    Raison__ApiReply *reply = NULL;

    status_request(&req, &status);
    assert_int_equal(rsn_client_send(f->client, &req, &id), 0);
    assert_int_not_equal(id, 0);
    assert_int_equal(req.request_id, id);

    rsn_api_msg_t *msg = next_request(f->server);
    Raison__ApiRequest *got = request_of(msg);
    assert_int_equal(got->request_id, id);
    assert_int_equal(got->call_case, RAISON__API_REQUEST__CALL_STATUS);
    raison__api_request__free_unpacked(got, NULL);
    assert_int_equal(reply_status(f->server, msg, id, 42), 0);
    rsn_api_msg_destroy(&msg);
    assert_null(msg);
    rsn_api_msg_destroy(&msg); /* idempotent */

    assert_int_equal(rsn_client_recv(f->client, &reply), 0);
    assert_non_null(reply);
    assert_int_equal(reply->request_id, id);
    assert_int_equal(reply->result_case, RAISON__API_REPLY__RESULT_STATUS);
    assert_string_equal(reply->status->site, "paris");
    assert_int_equal(reply->status->entries, 42);
    raison__api_reply__free_unpacked(reply, NULL);

    /* Nothing more is waiting on either side. */
    assert_int_equal(rsn_api_server_wait(f->server, 20), RSN_ERR_TIMEOUT);
    assert_int_equal(rsn_api_server_recv(f->server, &msg), RSN_ERR_AGAIN);
    assert_null(msg);
    assert_int_equal(rsn_client_recv_timeout(f->client, &reply, 20), RSN_ERR_TIMEOUT);
    assert_null(reply);
}

static void test_request_ids(void **state)
{
    fixture_t *f = *state;
    Raison__ApiRequest req;
    Raison__StatusRequest status;
    uint64_t ids[3];

    status_request(&req, &status);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(rsn_client_send(f->client, &req, &ids[i]), 0);
    }
    assert_true(ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2]);
    for (int i = 0; i < 3; i++) {
        rsn_api_msg_t *msg = next_request(f->server);
        Raison__ApiRequest *got = request_of(msg);
        assert_int_equal(got->request_id, ids[i]);
        raison__api_request__free_unpacked(got, NULL);
        /* A reply echoes whatever id the server puts in. */
        assert_int_equal(reply_status(f->server, msg, ids[i] + 1000, (uint64_t)i), 0);
        rsn_api_msg_destroy(&msg);
    }
    for (int i = 0; i < 3; i++) {
        Raison__ApiReply *reply = NULL;
        assert_int_equal(rsn_client_recv(f->client, &reply), 0);
        assert_int_equal(reply->request_id, ids[i] + 1000);
        assert_int_equal(reply->status->entries, (uint64_t)i);
        raison__api_reply__free_unpacked(reply, NULL);
    }
    /* ID may be NULL. */
    assert_int_equal(rsn_client_send(f->client, &req, NULL), 0);
    assert_true(req.request_id > ids[2]);
}

static void test_pipelining(void **state)
{
    fixture_t *f = *state;
    Raison__ApiRequest req;
    Raison__StatusRequest status;
    uint64_t ids[100];

    status_request(&req, &status);
    for (int i = 0; i < 100; i++) {
        assert_int_equal(rsn_client_send(f->client, &req, &ids[i]), 0);
    }
    for (int i = 0; i < 100; i++) {
        rsn_api_msg_t *msg = next_request(f->server);
        Raison__ApiRequest *got = request_of(msg);
        assert_int_equal(got->request_id, ids[i]);
        assert_int_equal(reply_status(f->server, msg, got->request_id, (uint64_t)i), 0);
        raison__api_request__free_unpacked(got, NULL);
        rsn_api_msg_destroy(&msg);
    }
    for (int i = 0; i < 100; i++) {
        Raison__ApiReply *reply = NULL;
        assert_int_equal(rsn_client_recv(f->client, &reply), 0);
        assert_int_equal(reply->request_id, ids[i]);
        assert_int_equal(reply->status->entries, (uint64_t)i);
        raison__api_reply__free_unpacked(reply, NULL);
    }
}

/* The server side of test_call: answers COUNT requests, in order. */
typedef struct {
    rsn_api_server_t *server;
    int count;
    int answered;
} serve_args_t;

static void *serve(void *arg)
{
    serve_args_t *args = arg;
    for (int i = 0; i < args->count; i++) {
        rsn_api_msg_t *msg = NULL;
        if (rsn_api_server_wait(args->server, WAIT_MS) != 0 ||
            rsn_api_server_recv(args->server, &msg) != 0) {
            break;
        }
        size_t len = 0;
        const uint8_t *payload = rsn_api_msg_payload(msg, &len);
        Raison__ApiRequest *req = raison__api_request__unpack(NULL, len, payload);
        if (req != NULL) {
            if (reply_status(args->server, msg, req->request_id, req->request_id * 10) == 0) {
                args->answered++;
            }
            raison__api_request__free_unpacked(req, NULL);
        }
        rsn_api_msg_destroy(&msg);
    }
    return NULL;
}

static void test_call(void **state)
{
    fixture_t *f = *state;
    Raison__ApiRequest req;
    Raison__StatusRequest status;
    Raison__ApiReply *reply = NULL;
    uint64_t early = 0;
    serve_args_t args = {.server = f->server, .count = 3};
    pthread_t thread;

    assert_int_equal(pthread_create(&thread, NULL, serve, &args), 0);
    status_request(&req, &status);
    /* A request whose reply nobody waits for: call skips it. */
    assert_int_equal(rsn_client_send(f->client, &req, &early), 0);
    assert_int_equal(rsn_client_call(f->client, &req, &reply), 0);
    assert_int_not_equal(req.request_id, early);
    assert_int_equal(reply->request_id, req.request_id);
    assert_int_equal(reply->status->entries, req.request_id * 10);
    raison__api_reply__free_unpacked(reply, NULL);

    assert_int_equal(rsn_client_call(f->client, &req, &reply), 0);
    assert_int_equal(reply->request_id, req.request_id);
    assert_int_equal(reply->status->entries, req.request_id * 10);
    raison__api_reply__free_unpacked(reply, NULL);

    assert_int_equal(pthread_join(thread, NULL), 0);
    assert_int_equal(args.answered, 3);
}

static void test_call_timeout(void **state)
{
    fixture_t *f = *state;
    rsn_client_t *client = NULL;
    Raison__ApiRequest req;
    Raison__StatusRequest status;
    Raison__ApiReply *reply = NULL;

    assert_int_equal(rsn_client_connect(&client, f->path, 200), 0);
    status_request(&req, &status);
    int64_t start = rsn_test_mono_ms();
    assert_int_equal(rsn_client_call(client, &req, &reply), RSN_ERR_TIMEOUT);
    int64_t elapsed = rsn_test_mono_ms() - start;
    assert_null(reply);
    assert_true(elapsed >= 190);
    assert_true(elapsed < 1500);
    /* The request did arrive; the server simply never answered. */
    rsn_api_msg_t *msg = next_request(f->server);
    rsn_api_msg_destroy(&msg);
    rsn_client_destroy(&client);
    assert_null(client);
    rsn_client_destroy(&client);
    rsn_client_destroy(NULL);
}

static void test_send_raw(void **state)
{
    fixture_t *f = *state;
    const uint8_t garbage[] = {0xff, 0x00, 0x13, 0x37, 0x00, 0xfe, 'x'};
    size_t len = 0;

    assert_int_equal(rsn_client_send_raw(f->client, garbage, sizeof garbage), 0);
    assert_int_equal(rsn_client_send_raw(f->client, NULL, 0), 0);

    rsn_api_msg_t *msg = next_request(f->server);
    const uint8_t *payload = rsn_api_msg_payload(msg, &len);
    assert_int_equal(len, sizeof garbage);
    assert_memory_equal(payload, garbage, sizeof garbage);
    rsn_api_msg_destroy(&msg);

    msg = next_request(f->server);
    payload = rsn_api_msg_payload(msg, &len);
    assert_int_equal(len, 0);
    rsn_api_msg_destroy(&msg);
}

static void test_bad_reply(void **state)
{
    fixture_t *f = *state;
    const uint8_t truncated[] = {0x08, 0x80}; /* a varint cut short */
    Raison__ApiReply *reply = NULL;

    assert_int_equal(rsn_client_send_raw(f->client, (const uint8_t *)"?", 1), 0);
    rsn_api_msg_t *msg = next_request(f->server);
    assert_int_equal(rsn_api_server_send(f->server, msg, truncated, sizeof truncated), 0);
    assert_int_equal(rsn_client_recv(f->client, &reply), RSN_ERR_BAD_REQUEST);
    assert_null(reply);
    /* An empty reply decodes as an empty ApiReply. */
    assert_int_equal(rsn_api_server_send(f->server, msg, NULL, 0), 0);
    assert_int_equal(rsn_client_recv(f->client, &reply), 0);
    assert_int_equal(reply->request_id, 0);
    assert_int_equal(reply->result_case, RAISON__API_REPLY__RESULT__NOT_SET);
    raison__api_reply__free_unpacked(reply, NULL);
    rsn_api_msg_destroy(&msg);
}

static void test_req_client(void **state)
{
    fixture_t *f = *state;
    char endpoint[160];
    uint8_t buf[256];
    uint8_t in[256];
    Raison__ApiRequest req;
    Raison__StatusRequest status;

    snprintf(endpoint, sizeof endpoint, "ipc://%s", f->path);
    void *ctx = zmq_ctx_new();
    void *sock = zmq_socket(ctx, ZMQ_REQ);
    int linger = 0;
    int timeout = WAIT_MS;
    assert_int_equal(zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger), 0);
    assert_int_equal(zmq_setsockopt(sock, ZMQ_RCVTIMEO, &timeout, sizeof timeout), 0);
    assert_int_equal(zmq_connect(sock, endpoint), 0);

    status_request(&req, &status);
    req.request_id = 77;
    size_t len = raison__api_request__pack(&req, buf);
    assert_int_equal(zmq_send(sock, buf, len, 0), (int)len);

    rsn_api_msg_t *msg = next_request(f->server);
    size_t got_len = 0;
    const uint8_t *payload = rsn_api_msg_payload(msg, &got_len);
    assert_int_equal(got_len, len);
    assert_memory_equal(payload, buf, len);
    Raison__ApiRequest *got = request_of(msg);
    assert_int_equal(got->request_id, 77);
    raison__api_request__free_unpacked(got, NULL);
    assert_int_equal(reply_status(f->server, msg, 77, 5), 0);
    rsn_api_msg_destroy(&msg);

    /* REQ only accepts a reply whose envelope (the empty delimiter) came
     * back intact. */
    int n = zmq_recv(sock, in, sizeof in, 0);
    assert_true(n > 0);
    Raison__ApiReply *reply = raison__api_reply__unpack(NULL, (size_t)n, in);
    assert_non_null(reply);
    assert_int_equal(reply->request_id, 77);
    assert_int_equal(reply->status->entries, 5);
    raison__api_reply__free_unpacked(reply, NULL);

    zmq_close(sock);
    zmq_ctx_term(ctx);
}

/* A raw DEALER that sends EXTRA empty frames, then PAYLOAD. */
static void send_with_frames(void *sock, int extra, const char *payload)
{
    for (int i = 0; i < extra; i++) {
        assert_int_equal(zmq_send(sock, "", 0, ZMQ_SNDMORE), 0);
    }
    assert_int_equal(zmq_send(sock, payload, strlen(payload), 0), (int)strlen(payload));
}

static void test_envelope(void **state)
{
    fixture_t *f = *state;
    char endpoint[160];
    char in[64];
    size_t len = 0;

    snprintf(endpoint, sizeof endpoint, "ipc://%s", f->path);
    void *ctx = zmq_ctx_new();
    void *sock = zmq_socket(ctx, ZMQ_DEALER);
    int linger = 0;
    int timeout = WAIT_MS;
    assert_int_equal(zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof linger), 0);
    assert_int_equal(zmq_setsockopt(sock, ZMQ_RCVTIMEO, &timeout, sizeof timeout), 0);
    assert_int_equal(zmq_connect(sock, endpoint), 0);

    /* Routing id + 7 frames = the most kept; routing id + 8 is one too many,
     * and is dropped whole without disturbing the next request. */
    send_with_frames(sock, RSN_API_MAX_ENVELOPE - 1, "fits");
    send_with_frames(sock, RSN_API_MAX_ENVELOPE, "too many");
    send_with_frames(sock, 0, "bare");

    rsn_api_msg_t *fits = next_request(f->server);
    const uint8_t *payload = rsn_api_msg_payload(fits, &len);
    assert_int_equal(len, 4);
    assert_memory_equal(payload, "fits", 4);

    if (!f->front) { /* a front drops it itself: the loop never sees it */
        rsn_api_msg_t *msg = NULL;
        assert_int_equal(rsn_api_server_wait(f->server, WAIT_MS), 0);
        assert_int_equal(rsn_api_server_recv(f->server, &msg), RSN_ERR_BAD_REQUEST);
        assert_null(msg);
    }

    rsn_api_msg_t *bare = next_request(f->server);
    payload = rsn_api_msg_payload(bare, &len);
    assert_int_equal(len, 4);
    assert_memory_equal(payload, "bare", 4);

    /* The envelope goes back unchanged: 7 empty frames, then the reply. */
    assert_int_equal(rsn_api_server_send(f->server, fits, (const uint8_t *)"ok", 2), 0);
    for (int i = 0; i < RSN_API_MAX_ENVELOPE - 1; i++) {
        assert_int_equal(zmq_recv(sock, in, sizeof in, 0), 0);
        int more = 0;
        size_t size = sizeof more;
        assert_int_equal(zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &size), 0);
        assert_int_equal(more, 1);
    }
    assert_int_equal(zmq_recv(sock, in, sizeof in, 0), 2);
    assert_memory_equal(in, "ok", 2);

    /* No frame before the payload: none before the reply either. */
    assert_int_equal(rsn_api_server_send(f->server, bare, (const uint8_t *)"hi", 2), 0);
    assert_int_equal(zmq_recv(sock, in, sizeof in, 0), 2);
    assert_memory_equal(in, "hi", 2);

    /* Same client, envelope copies, and another client. */
    rsn_api_msg_t *copy = rsn_api_msg_envelope_copy(fits);
    assert_non_null(copy);
    assert_true(rsn_api_msg_same_client(fits, bare));
    assert_true(rsn_api_msg_same_client(copy, fits));
    payload = rsn_api_msg_payload(copy, &len);
    assert_int_equal(len, 0);
    rsn_api_msg_destroy(&fits);
    assert_int_equal(rsn_api_server_send(f->server, copy, (const uint8_t *)"later", 5), 0);
    for (int i = 0; i < RSN_API_MAX_ENVELOPE - 1; i++) {
        assert_int_equal(zmq_recv(sock, in, sizeof in, 0), 0);
    }
    assert_int_equal(zmq_recv(sock, in, sizeof in, 0), 5);
    assert_memory_equal(in, "later", 5);

    assert_int_equal(rsn_client_send_raw(f->client, (const uint8_t *)"x", 1), 0);
    rsn_api_msg_t *other = next_request(f->server);
    assert_false(rsn_api_msg_same_client(other, bare));
    assert_false(rsn_api_msg_same_client(other, copy));

    rsn_api_msg_destroy(&copy);
    rsn_api_msg_destroy(&bare);
    rsn_api_msg_destroy(&other);
    zmq_close(sock);
    zmq_ctx_term(ctx);
}

static void test_oversize(void **state)
{
    fixture_t *f = *state;
    size_t big = RSN_API_MAX_MESSAGE + 1;
    uint8_t *bytes = calloc(1, big);
    assert_non_null(bytes);
    rsn_api_msg_t *msg = NULL;

    /* The client library refuses an oversize request up front. */
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__PublishRequest publish = RAISON__PUBLISH_REQUEST__INIT;
    Raison__SignedEntry entry = RAISON__SIGNED_ENTRY__INIT;
    entry.body.data = bytes;
    entry.body.len = big;
    publish.entry = &entry;
    req.call_case = RAISON__API_REQUEST__CALL_PUBLISH;
    req.publish = &publish;
    assert_int_equal(rsn_client_send(f->client, &req, NULL), RSN_ERR_TOO_LARGE);

    /* Raw bytes go out, and libzmq drops them at the server. */
    assert_int_equal(rsn_client_send_raw(f->client, bytes, big), 0);
    assert_int_equal(rsn_api_server_wait(f->server, 300), RSN_ERR_TIMEOUT);
    assert_int_equal(rsn_api_server_recv(f->server, &msg), RSN_ERR_AGAIN);
    free(bytes);

    /* The client reconnects and is served again; the largest frame passes. */
    uint8_t *most = calloc(1, RSN_API_MAX_MESSAGE);
    assert_non_null(most);
    most[0] = 0x5a;
    assert_int_equal(rsn_client_send_raw(f->client, most, RSN_API_MAX_MESSAGE), 0);
    msg = next_request(f->server);
    size_t len = 0;
    const uint8_t *payload = rsn_api_msg_payload(msg, &len);
    assert_int_equal(len, RSN_API_MAX_MESSAGE);
    assert_int_equal(payload[0], 0x5a);
    rsn_api_msg_destroy(&msg);
    free(most);
}

static void test_client_gone(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(rsn_client_send_raw(f->client, (const uint8_t *)"x", 1), 0);
    rsn_api_msg_t *msg = next_request(f->server);
    rsn_client_destroy(&f->client);

    /* The server learns of the disconnect asynchronously. */
    int rc = 0;
    for (int i = 0; i < 200 && rc == 0; i++) {
        rc = rsn_api_server_send(f->server, msg, (const uint8_t *)"late", 4);
        if (rc == 0) {
            usleep(10 * 1000);
        }
    }
    assert_int_equal(rc, RSN_ERR_UNAVAILABLE);
    rsn_api_msg_destroy(&msg);
}

static void test_socket_file(void **state)
{
    fixture_t *f = *state;
    struct stat st;

    assert_int_equal(stat(f->path, &st), 0);
    assert_true(S_ISSOCK(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0600);
    rsn_client_destroy(&f->client);
    rsn_api_server_destroy(&f->server);
    assert_null(f->server);
    rsn_api_server_destroy(&f->server);
    rsn_api_server_destroy(NULL);
    assert_int_equal(stat(f->path, &st), -1);

    /* Now nothing is there. */
    assert_int_equal(rsn_client_connect(&f->client, f->path, 100), RSN_ERR_UNAVAILABLE);
    assert_null(f->client);
}

static void test_connect_errors(void **state)
{
    char dir[RSN_TEST_DIR_MAX];
    char path[256];
    rsn_client_t *client = NULL;
    assert_int_equal(rsn_test_tmpdir_make(dir, sizeof dir, "rsnnet"), 0);

    snprintf(path, sizeof path, "%s/missing.sock", dir);
    assert_int_equal(rsn_client_connect(&client, path, 100), RSN_ERR_UNAVAILABLE);
    assert_null(client);

    /* A plain file is not a node. */
    snprintf(path, sizeof path, "%s/plain", dir);
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    fclose(file);
    assert_int_equal(rsn_client_connect(&client, path, 100), RSN_ERR_UNAVAILABLE);
    unlink(path);

    /* A socket file left by a node that died refuses connections. */
    snprintf(path, sizeof path, "%s/stale.sock", dir);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    strcpy(addr.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    close(fd);
    assert_int_equal(rsn_client_connect(&client, path, 100), RSN_ERR_UNAVAILABLE);
    assert_null(client);

    /* A stale socket file is replaced by bind. */
    rsn_api_server_t *server = NULL;
    assert_int_equal(rsn_api_server_bind(&server, path), 0);
    assert_int_equal(rsn_client_connect(&client, path, 100), 0);
    rsn_client_destroy(&client);
    rsn_api_server_destroy(&server);

    /* Too long for a Unix socket. */
    memset(path, 'a', 200);
    path[0] = '/';
    path[200] = '\0';
    assert_int_equal(rsn_client_connect(&client, path, 100), RSN_ERR_INVALID_ARG);
    assert_null(client);
    (void)rsn_test_tmpdir_remove(dir);
}

static void test_path_limit(void **state)
{
    char dir[RSN_TEST_DIR_MAX];
    char path[RSN_IPC_PATH_MAX + 8];
    rsn_api_server_t *server = NULL;
    rsn_client_t *client = NULL;
    assert_int_equal(rsn_test_tmpdir_make(dir, sizeof dir, "rsnnet"), 0);

    /* Exactly RSN_IPC_PATH_MAX bytes: accepted. */
    size_t dir_len = strlen(dir);
    memcpy(path, dir, dir_len);
    path[dir_len] = '/';
    memset(path + dir_len + 1, 'p', RSN_IPC_PATH_MAX - dir_len - 1);
    path[RSN_IPC_PATH_MAX] = '\0';
    assert_int_equal(strlen(path), 107);
    assert_int_equal(rsn_api_server_bind(&server, path), 0);
    assert_int_equal(rsn_client_connect(&client, path, WAIT_MS), 0);
    assert_int_equal(rsn_client_send_raw(client, (const uint8_t *)"x", 1), 0);
    rsn_api_msg_t *msg = next_request(server);
    rsn_api_msg_destroy(&msg);
    rsn_client_destroy(&client);
    rsn_api_server_destroy(&server);

    /* One byte more: refused. */
    path[RSN_IPC_PATH_MAX] = 'p';
    path[RSN_IPC_PATH_MAX + 1] = '\0';
    assert_int_equal(strlen(path), 108);
    assert_int_equal(rsn_api_server_bind(&server, path), RSN_ERR_INVALID_ARG);
    assert_null(server);
    struct stat st;
    assert_int_equal(stat(path, &st), -1);

    /* A folder that does not exist. */
    snprintf(path, sizeof path, "%s/no/such/api.sock", dir);
    assert_int_equal(rsn_api_server_bind(&server, path), RSN_ERR_IO);
    assert_null(server);
    (void)rsn_test_tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pipelining, setup, teardown),
        cmocka_unit_test_setup_teardown(test_call, setup, teardown),
        cmocka_unit_test_setup_teardown(test_call_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_send_raw, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_reply, setup, teardown),
        cmocka_unit_test_setup_teardown(test_req_client, setup, teardown),
        cmocka_unit_test_setup_teardown(test_envelope, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oversize, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_gone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_front, setup_front, teardown),
        cmocka_unit_test_setup_teardown(test_front_backpressure, setup_front, teardown),
        /* through a front: what the loop is sent and sends is the same */
        cmocka_unit_test_setup_teardown(test_round_trip, setup_front, teardown),
        cmocka_unit_test_setup_teardown(test_request_ids, setup_front, teardown),
        cmocka_unit_test_setup_teardown(test_pipelining, setup_front, teardown),
        cmocka_unit_test_setup_teardown(test_call, setup_front, teardown),
        cmocka_unit_test_setup_teardown(test_envelope, setup_front, teardown),
        cmocka_unit_test_setup_teardown(test_socket_file, setup, teardown),
        cmocka_unit_test(test_connect_errors),
        cmocka_unit_test(test_path_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
