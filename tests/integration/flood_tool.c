/* flood_tool.c — a stranger that dials a node with a fresh CURVE key each time.
 *
 * Issue 9 found that the ZAP handler's per-key log limit does nothing
 * against keys made for each connection: 300 handshakes wrote 300 warning
 * lines. This tool makes N connections to the node whose Curve25519 key is
 * CURVE (hex) on ENDPOINT, each with a fresh random key and no reconnect,
 * waits until every handshake has been refused (or a deadline), and prints
 * `refused=K`; test_fed_flood.sh then counts the lines the node's log has
 * about them.
 *
 *   flood_tool CURVE ENDPOINT N
 *
 * Exit codes: 0 done (K may be below N when the deadline passed), 2 the
 * tool failed (bad arguments, libzmq refused a socket). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "crypto/crypto.h"
#include "support/clock.h"

#define FLOOD_MAX 1000
#define FLOOD_DEADLINE_MS 20000

static void die(const char *what)
{
    fprintf(stderr, "flood_tool: %s: %s\n", what, zmq_strerror(zmq_errno()));
    exit(2);
}

/* The event number of one monitor message on MONITOR, or 0 when none waits. */
static int monitor_event(void *monitor)
{
    zmq_msg_t m;
    zmq_msg_init(&m);
    int event = 0;
    if (zmq_msg_recv(&m, monitor, ZMQ_DONTWAIT) >= 6) {
        uint16_t e16;
        memcpy(&e16, zmq_msg_data(&m), 2);
        event = e16;
    }
    while (zmq_msg_more(&m)) {
        (void)zmq_msg_recv(&m, monitor, 0);
    }
    zmq_msg_close(&m);
    return event;
}

int main(int argc, char **argv)
{
    uint8_t server[32];
    int n = argc == 4 ? atoi(argv[3]) : 0;
    if (n <= 0 || n > FLOOD_MAX || rsn_key_from_hex(server, argv[1]) != 0) {
        fprintf(stderr, "usage: flood_tool CURVE ENDPOINT N (N at most %d)\n", FLOOD_MAX);
        return 2;
    }
    void *context = zmq_ctx_new();
    static void *dealers[FLOOD_MAX];
    static void *monitors[FLOOD_MAX];
    static int done[FLOOD_MAX];
    int zero = 0, never = -1;
    for (int i = 0; i < n; i++) {
        char public_z85[41], secret_z85[41], monitor_ep[64];
        if (zmq_curve_keypair(public_z85, secret_z85) != 0) {
            die("cannot make a CURVE key");
        }
        uint8_t public_key[32], secret_key[32];
        (void)zmq_z85_decode(public_key, public_z85);
        (void)zmq_z85_decode(secret_key, secret_z85);
        void *d = zmq_socket(context, ZMQ_DEALER);
        if (d == NULL || zmq_setsockopt(d, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
            zmq_setsockopt(d, ZMQ_RECONNECT_IVL, &never, sizeof never) != 0 ||
            zmq_setsockopt(d, ZMQ_CURVE_SERVERKEY, server, 32) != 0 ||
            zmq_setsockopt(d, ZMQ_CURVE_PUBLICKEY, public_key, 32) != 0 ||
            zmq_setsockopt(d, ZMQ_CURVE_SECRETKEY, secret_key, 32) != 0) {
            die("cannot configure a CURVE socket");
        }
        snprintf(monitor_ep, sizeof monitor_ep, "inproc://flood-%d", i);
        if (zmq_socket_monitor(d, monitor_ep,
                               ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_SUCCEEDED |
                                   ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) != 0) {
            die("cannot monitor a socket");
        }
        monitors[i] = zmq_socket(context, ZMQ_PAIR);
        if (monitors[i] == NULL || zmq_connect(monitors[i], monitor_ep) != 0 ||
            zmq_connect(d, argv[2]) != 0) {
            die("cannot connect");
        }
        dealers[i] = d;
    }
    int refused = 0, finished = 0;
    int64_t end = rsn_test_mono_ms() + FLOOD_DEADLINE_MS;
    while (finished < n && rsn_test_mono_ms() < end) {
        for (int i = 0; i < n; i++) {
            int event;
            while (!done[i] && (event = monitor_event(monitors[i])) != 0) {
                done[i] = 1;
                finished++;
                refused += event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;
            }
        }
        rsn_test_sleep_ms(10);
    }
    for (int i = 0; i < n; i++) {
        zmq_close(monitors[i]);
        zmq_close(dealers[i]);
    }
    zmq_ctx_term(context);
    printf("refused=%d\n", refused);
    return 0;
}
