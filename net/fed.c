/* fed.c — federation links between nodes, over libzmq with CURVE and ZAP.
 *
 * One ZeroMQ context per federation object holds: a REP socket bound to
 * inproc://zeromq.zap.01 (the ZAP handler, bound before anything else so no
 * CURVE handshake can ever happen without it), the ROUTER bound on the listen
 * endpoint as CURVE server, and per dialled peer a DEALER as CURVE client with
 * a PAIR socket reading that DEALER's monitor events. Everything runs in the
 * caller's thread: ZAP requests and monitor events are handled whenever the
 * caller waits, receives or asks for events, so the node must call
 * rsn_fed_wait regularly (its event loop does).
 *
 * Link state. A peer's link is up when its DEALER completed a handshake (the
 * monitor says so, and says when it drops) or when the peer's own connection
 * to our ROUTER is alive. libzmq does not tell a ROUTER which peer an
 * accepted connection belongs to (its monitor events name our endpoint, and
 * ZMQ_ROUTER_NOTIFY is a draft API not in stable 4.3.4), so the transport
 * keeps links alive itself: every path that sent nothing for FED_KEEPALIVE_MS
 * carries an empty keepalive frame (empty frames are never delivered;
 * rsn_fed_send refuses them). The ROUTER side of a link is up from the first
 * frame that arrives with the peer's User-Id, and down when nothing arrived
 * for FED_HEARTBEAT_TIMEOUT_MS or a send finds its routing id gone
 * (ZMQ_ROUTER_MANDATORY: EHOSTUNREACH). ZMTP heartbeats still close dead TCP
 * connections underneath.
 *
 * Bans. A banned peer's DEALER is closed and ZAP refuses its new connections.
 * libzmq offers no way to close one accepted connection of a ROUTER, so a
 * connection the peer already had stays open; its frames are read and
 * discarded, and nothing is sent to it, until the ban ends. */
#include "net/fed.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "common/log.h"
#include "crypto/crypto.h"
#include "crypto/keypair.h"
#include "net/internal.h"

#define FED_DISCARD_MAX 1024 /* frames skipped in one receive call at most */
#define FED_HEARTBEAT_IVL_MS 2000     /* ZMTP PING, sent by the dialling side only */
#define FED_HEARTBEAT_TIMEOUT_MS 6000 /* silence after which a link is dead */
#define FED_HEARTBEAT_TTL_MS 6000     /* asked of the other side */
#define FED_KEEPALIVE_MS 2000         /* an empty frame on a path that sent nothing for this
                                       * long; the Digest of each anti-entropy round (every
                                       * 2 s) usually makes it unneeded, keeping an idle
                                       * link's cost to the Digests and the ZMTP PINGs */
#define FED_HANDSHAKE_MS 5000         /* a connection that never authenticates */
#define FED_RECONNECT_IVL_MS 100
#define FED_RECONNECT_IVL_MAX_MS 2000
#define FED_HWM 64 /* frames queued per link, each way: frames are batches of up to
                    * 1024 entries, so this bounds what a peer that never reads can
                    * make us hold (64 x a 512 KiB answer) */
#define FED_TICK_MS 100          /* longest sleep between timer checks */
#define FED_EVENT_QUEUE 1024     /* link events not yet taken */
#define FED_REFUSED_SLOTS 64     /* refused keys remembered for the rate limit */
#define FED_REFUSED_LOG_MS 60000 /* one log line (and event) per key per minute */
#define FED_ROUTING_ID_MAX 255   /* libzmq's limit on a routing id */
#define FED_ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define FED_ZAP_DOMAIN "raison"
#define FED_ZAP_FRAMES 16 /* more frames than this is not a ZAP request */
/* libzmq applies ZMQ_MAXMSGSIZE to the frame on the wire; CURVE wraps each
 * payload in a MESSAGE command: "\x07MESSAGE", an 8-byte nonce, a 16-byte
 * MAC and a flags byte. */
#define FED_CURVE_OVERHEAD 33

typedef struct {
    uint8_t key[RSN_KEY_BYTES];   /* Ed25519 node key */
    uint8_t curve[RSN_KEY_BYTES]; /* its Curve25519 form */
    char user_id[RSN_KEY_HEX + 1];
    char endpoint[RSN_FED_ENDPOINT_MAX + 1];
    void *dealer;  /* NULL when we do not dial it (no endpoint, banned) */
    void *monitor; /* PAIR reading the DEALER's monitor */
    bool dealer_up;
    bool router_up;
    uint8_t routing_id[FED_ROUTING_ID_MAX];
    size_t routing_id_len;   /* 0: no ROUTER connection known */
    int64_t router_seen_ms;  /* monotonic: last frame on the ROUTER */
    int64_t keepalive_ms;    /* monotonic: last keepalive sent */
    int64_t dealer_sent_ms;  /* monotonic: last frame sent on the DEALER */
    int64_t router_sent_ms;  /* monotonic: last frame sent through the ROUTER */
    int64_t banned_until_ms; /* monotonic; 0 when not banned */
    bool connected;          /* last state reported by an event */
    int64_t since_ms;
    uint64_t frames_in;
    uint64_t frames_out;
    uint64_t bytes_in;
    uint64_t bytes_out;
    uint64_t dropped_out;
    uint64_t malformed_in;
    char last_error[128];
    bool handshake_error; /* LAST_ERROR is the DEALER's handshake failing */
} fed_peer_t;

typedef struct {
    uint8_t curve[RSN_KEY_BYTES];
    int64_t logged_ms; /* monotonic; 0: free slot */
} fed_refused_t;

struct rsn_fed {
    void *context;
    void *zap;
    void *router; /* NULL when the node only dials */
    uint8_t node_key[RSN_KEY_BYTES];
    uint8_t curve_public[RSN_KEY_BYTES];
    uint8_t *curve_secret; /* secure memory */
    char endpoint[RSN_FED_ENDPOINT_MAX + 1];
    fed_peer_t *peers[RSN_FED_MAX_PEERS];
    size_t peer_count;
    size_t next_source; /* round robin over the ROUTER and the DEALERs */
    unsigned monitor_seq;
    int64_t serviced_ms; /* monotonic: last time ZAP, monitors, timers ran */
    rsn_fed_event_t events[FED_EVENT_QUEUE];
    size_t event_head;
    size_t event_count;
    fed_refused_t refused[FED_REFUSED_SLOTS];
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int set_int(void *socket, int option, int value)
{
    return zmq_setsockopt(socket, option, &value, sizeof value);
}

/* Options every federation socket shares: bounded, never lingering. */
static int configure_common(void *socket)
{
    int64_t max_frame = RSN_FED_MAX_FRAME + FED_CURVE_OVERHEAD;
    if (zmq_setsockopt(socket, ZMQ_MAXMSGSIZE, &max_frame, sizeof max_frame) != 0 ||
        set_int(socket, ZMQ_LINGER, 0) != 0 || set_int(socket, ZMQ_SNDHWM, FED_HWM) != 0 ||
        set_int(socket, ZMQ_RCVHWM, FED_HWM) != 0 ||
        set_int(socket, ZMQ_HANDSHAKE_IVL, FED_HANDSHAKE_MS) != 0) {
        return -1;
    }
    return 0;
}

static void set_error(fed_peer_t *peer, const char *text)
{
    snprintf(peer->last_error, sizeof peer->last_error, "%s", text);
}

static fed_peer_t *find_peer(const rsn_fed_t *self, const uint8_t key[RSN_KEY_BYTES])
{
    for (size_t i = 0; i < self->peer_count; i++) {
        if (memcmp(self->peers[i]->key, key, RSN_KEY_BYTES) == 0) {
            return self->peers[i];
        }
    }
    return NULL;
}

static fed_peer_t *find_curve(const rsn_fed_t *self, const uint8_t *curve)
{
    for (size_t i = 0; i < self->peer_count; i++) {
        if (memcmp(self->peers[i]->curve, curve, RSN_KEY_BYTES) == 0) {
            return self->peers[i];
        }
    }
    return NULL;
}

static fed_peer_t *find_user_id(const rsn_fed_t *self, const char *user_id)
{
    for (size_t i = 0; i < self->peer_count; i++) {
        if (strcmp(self->peers[i]->user_id, user_id) == 0) {
            return self->peers[i];
        }
    }
    return NULL;
}

static void push_event(rsn_fed_t *self, rsn_fed_event_kind kind, const uint8_t *key)
{
    if (self->event_count == FED_EVENT_QUEUE) {
        rsn_warn("federation: the link event queue is full, an event is dropped");
        return;
    }
    rsn_fed_event_t *ev = &self->events[(self->event_head + self->event_count) % FED_EVENT_QUEUE];
    ev->kind = kind;
    memcpy(ev->key, key, RSN_KEY_BYTES);
    self->event_count++;
}

/* Reports a change of PEER's logical link (either socket up, not banned). */
static void link_update(rsn_fed_t *self, fed_peer_t *peer)
{
    bool up = peer->banned_until_ms == 0 && (peer->dealer_up || peer->router_up);
    if (up == peer->connected) {
        return;
    }
    peer->connected = up;
    peer->since_ms = wall_ms();
    rsn_info("federation: link to node %s %s", peer->user_id, up ? "up" : "down");
    push_event(self, up ? RSN_FED_EVENT_CONNECTED : RSN_FED_EVENT_DISCONNECTED, peer->key);
}

static void router_down(rsn_fed_t *self, fed_peer_t *peer)
{
    peer->router_up = false;
    peer->routing_id_len = 0;
    link_update(self, peer);
}

static void dealer_close(fed_peer_t *peer)
{
    if (peer->dealer != NULL) {
        (void)zmq_socket_monitor(peer->dealer, NULL, 0);
        zmq_close(peer->dealer);
        peer->dealer = NULL;
    }
    if (peer->monitor != NULL) {
        zmq_close(peer->monitor);
        peer->monitor = NULL;
    }
    peer->dealer_up = false;
}

/* Opens PEER's DEALER as CURVE client and starts dialling its endpoint.
 * 0, or RSN_ERR_INVALID_ARG when libzmq refuses the endpoint, RSN_ERR_IO. */
static int dealer_open(rsn_fed_t *self, fed_peer_t *peer)
{
    char monitor_endpoint[64];
    int rc = RSN_ERR_IO;

    peer->dealer = zmq_socket(self->context, ZMQ_DEALER);
    peer->monitor = zmq_socket(self->context, ZMQ_PAIR);
    if (peer->dealer == NULL || peer->monitor == NULL) {
        rsn_error("federation: cannot create a socket: %s", zmq_strerror(errno));
        goto out;
    }
    if (configure_common(peer->dealer) != 0 || set_int(peer->dealer, ZMQ_IMMEDIATE, 1) != 0 ||
        /* the dialling side PINGs (the other answers), so each TCP connection
         * carries one PING and one PONG an interval */
        set_int(peer->dealer, ZMQ_HEARTBEAT_IVL, FED_HEARTBEAT_IVL_MS) != 0 ||
        set_int(peer->dealer, ZMQ_HEARTBEAT_TIMEOUT, FED_HEARTBEAT_TIMEOUT_MS) != 0 ||
        set_int(peer->dealer, ZMQ_HEARTBEAT_TTL, FED_HEARTBEAT_TTL_MS) != 0 ||
        set_int(peer->dealer, ZMQ_RECONNECT_IVL, FED_RECONNECT_IVL_MS) != 0 ||
        set_int(peer->dealer, ZMQ_RECONNECT_IVL_MAX, FED_RECONNECT_IVL_MAX_MS) != 0 ||
        zmq_setsockopt(peer->dealer, ZMQ_CURVE_SERVERKEY, peer->curve, RSN_KEY_BYTES) != 0 ||
        zmq_setsockopt(peer->dealer, ZMQ_CURVE_PUBLICKEY, self->curve_public, RSN_KEY_BYTES) != 0 ||
        zmq_setsockopt(peer->dealer, ZMQ_CURVE_SECRETKEY, self->curve_secret, RSN_KEY_BYTES) != 0 ||
        set_int(peer->monitor, ZMQ_LINGER, 0) != 0) {
        rsn_error("federation: cannot configure the socket to %s: %s", peer->endpoint,
                  zmq_strerror(errno));
        goto out;
    }
    snprintf(monitor_endpoint, sizeof monitor_endpoint, "inproc://rsn-fed-monitor-%u",
             self->monitor_seq++);
    if (zmq_socket_monitor(peer->dealer, monitor_endpoint,
                           ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED |
                               ZMQ_EVENT_CLOSED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                               ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                               ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) != 0 ||
        zmq_connect(peer->monitor, monitor_endpoint) != 0) {
        rsn_error("federation: cannot monitor the socket to %s: %s", peer->endpoint,
                  zmq_strerror(errno));
        goto out;
    }
    if (zmq_connect(peer->dealer, peer->endpoint) != 0) {
        rsn_error("federation: cannot dial node %s at %s: %s", peer->user_id, peer->endpoint,
                  zmq_strerror(errno));
        set_error(peer, "cannot dial this endpoint");
        rc = RSN_ERR_INVALID_ARG;
        goto out;
    }
    peer->dealer_up = false;
    rc = 0;
out:
    if (rc != 0) {
        dealer_close(peer);
    }
    return rc;
}

/* Sends one frame on PEER's DEALER without blocking. With ZMQ_IMMEDIATE a
 * DEALER queues only on completed connections, and libzmq attaches a new
 * connection when the socket next processes its commands, which a send may
 * skip (throttling): reading ZMQ_EVENTS processes them, then one retry. */
static int dealer_send(fed_peer_t *peer, const void *data, size_t len)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        if (zmq_send(peer->dealer, data, len, ZMQ_DONTWAIT) >= 0) {
            peer->dealer_sent_ms = mono_ms();
            return 0;
        }
        if (errno != EAGAIN) {
            rsn_warn("federation: sending to node %s failed: %s", peer->user_id,
                     zmq_strerror(errno));
            return RSN_ERR_UNAVAILABLE;
        }
        int events = 0;
        size_t size = sizeof events;
        if (zmq_getsockopt(peer->dealer, ZMQ_EVENTS, &events, &size) != 0 ||
            (events & ZMQ_POLLOUT) == 0) {
            break;
        }
    }
    return RSN_ERR_BUSY;
}

/* Sends one frame to PEER's connection on our ROUTER without blocking. */
static int router_send(rsn_fed_t *self, fed_peer_t *peer, const void *data, size_t len)
{
    if (zmq_send(self->router, peer->routing_id, peer->routing_id_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) <
        0) {
        if (errno == EHOSTUNREACH) {
            router_down(self, peer);
            return RSN_ERR_UNAVAILABLE;
        }
        if (errno == EAGAIN) {
            return RSN_ERR_BUSY;
        }
        rsn_warn("federation: sending to node %s failed: %s", peer->user_id, zmq_strerror(errno));
        return RSN_ERR_UNAVAILABLE;
    }
    /* once the routing id is taken, the ROUTER takes the rest */
    if (zmq_send(self->router, data, len, ZMQ_DONTWAIT) < 0) {
        rsn_warn("federation: sending to node %s failed: %s", peer->user_id, zmq_strerror(errno));
        return RSN_ERR_UNAVAILABLE;
    }
    peer->router_sent_ms = mono_ms();
    return 0;
}

/* Logs and reports a refused curve key, at most once per key per minute. */
static void note_refused(rsn_fed_t *self, const uint8_t *curve, int64_t now)
{
    fed_refused_t *slot = NULL;
    fed_refused_t *oldest = &self->refused[0];
    for (size_t i = 0; i < FED_REFUSED_SLOTS; i++) {
        fed_refused_t *r = &self->refused[i];
        if (r->logged_ms != 0 && memcmp(r->curve, curve, RSN_KEY_BYTES) == 0) {
            slot = r;
            break;
        }
        if (r->logged_ms < oldest->logged_ms) {
            oldest = r;
        }
    }
    if (slot != NULL && now - slot->logged_ms < FED_REFUSED_LOG_MS) {
        return;
    }
    if (slot == NULL) {
        slot = oldest;
        memcpy(slot->curve, curve, RSN_KEY_BYTES);
    }
    slot->logged_ms = now;
    char hex[RSN_KEY_HEX + 1];
    rsn_hex_encode(hex, sizeof hex, curve, RSN_KEY_BYTES);
    rsn_warn("federation: refused an untrusted node (curve key %s)", hex);
    push_event(self, RSN_FED_EVENT_REFUSED, curve);
}

/* Decides one ZAP request (RFC 27) of REQ frames; fills the reply. */
static bool zap_decide(rsn_fed_t *self, zmq_msg_t *req, size_t count, const char **user_id)
{
    *user_id = "";
    /* version, request id, domain, address, identity, mechanism, credentials */
    if (count != 7 || zmq_msg_size(&req[0]) != 3 || memcmp(zmq_msg_data(&req[0]), "1.0", 3) != 0 ||
        zmq_msg_size(&req[5]) != 5 || memcmp(zmq_msg_data(&req[5]), "CURVE", 5) != 0 ||
        zmq_msg_size(&req[6]) != RSN_KEY_BYTES) {
        rsn_warn("federation: refused a connection without a CURVE key");
        return false;
    }
    const uint8_t *curve = zmq_msg_data(&req[6]);
    fed_peer_t *peer = find_curve(self, curve);
    if (peer == NULL) {
        note_refused(self, curve, mono_ms());
        return false;
    }
    if (peer->banned_until_ms != 0) {
        rsn_debug("federation: refused banned node %s", peer->user_id);
        return false;
    }
    *user_id = peer->user_id;
    return true;
}

/* Answers every ZAP request waiting, without blocking. */
static void zap_drain(rsn_fed_t *self)
{
    for (;;) {
        zmq_msg_t req[FED_ZAP_FRAMES];
        size_t count = 0;
        bool more = true;
        bool overflow = false;
        zmq_msg_t frame;
        zmq_msg_init(&frame);
        if (zmq_msg_recv(&frame, self->zap, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&frame);
            return;
        }
        while (more) {
            more = zmq_msg_more(&frame);
            if (count < FED_ZAP_FRAMES) {
                zmq_msg_init(&req[count]);
                zmq_msg_move(&req[count++], &frame);
            } else {
                overflow = true;
            }
            if (more && zmq_msg_recv(&frame, self->zap, 0) < 0) {
                break;
            }
        }
        zmq_msg_close(&frame);

        const char *user_id = "";
        bool admit = !overflow && zap_decide(self, req, count, &user_id);
        const void *request_id = count > 1 ? zmq_msg_data(&req[1]) : "";
        size_t request_id_len = count > 1 ? zmq_msg_size(&req[1]) : 0;
        const char *status = admit ? "200" : "400";
        const char *text = admit ? "OK" : "not a trusted node";
        if (zmq_send(self->zap, "1.0", 3, ZMQ_SNDMORE) < 0 ||
            zmq_send(self->zap, request_id, request_id_len, ZMQ_SNDMORE) < 0 ||
            zmq_send(self->zap, status, 3, ZMQ_SNDMORE) < 0 ||
            zmq_send(self->zap, text, strlen(text), ZMQ_SNDMORE) < 0 ||
            zmq_send(self->zap, user_id, strlen(user_id), ZMQ_SNDMORE) < 0 ||
            zmq_send(self->zap, "", 0, 0) < 0) {
            rsn_error("federation: cannot answer a ZAP request: %s", zmq_strerror(errno));
        }
        for (size_t i = 0; i < count; i++) {
            zmq_msg_close(&req[i]);
        }
    }
}

static void keepalive(rsn_fed_t *self, fed_peer_t *peer, int64_t now)
{
    peer->keepalive_ms = now;
    if (peer->dealer_up && now - peer->dealer_sent_ms >= FED_KEEPALIVE_MS) {
        (void)dealer_send(peer, "", 0);
    }
    if (peer->router_up && peer->routing_id_len > 0 &&
        now - peer->router_sent_ms >= FED_KEEPALIVE_MS) {
        (void)router_send(self, peer, "", 0);
    }
}

/* Reads every monitor event of PEER's DEALER waiting. */
static void monitor_drain(rsn_fed_t *self, fed_peer_t *peer)
{
    while (peer->monitor != NULL) {
        zmq_msg_t head;
        zmq_msg_t address;
        zmq_msg_init(&head);
        zmq_msg_init(&address);
        if (zmq_msg_recv(&head, peer->monitor, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&head);
            zmq_msg_close(&address);
            return;
        }
        /* frame 1: event (uint16) and value (uint32); frame 2: endpoint */
        uint16_t event = 0;
        uint32_t value = 0;
        if (zmq_msg_size(&head) >= 6) {
            memcpy(&event, zmq_msg_data(&head), sizeof event);
            memcpy(&value, (uint8_t *)zmq_msg_data(&head) + 2, sizeof value);
        }
        if (zmq_msg_more(&head)) {
            (void)zmq_msg_recv(&address, peer->monitor, 0);
        }
        zmq_msg_close(&head);
        zmq_msg_close(&address);

        switch (event) {
        case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
            peer->dealer_up = true;
            if (peer->handshake_error) {
                peer->last_error[0] = '\0'; /* that error is over */
                peer->handshake_error = false;
            }
            /* tell the other side at once which connection is ours */
            keepalive(self, peer, mono_ms());
            break;
        case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
            peer->dealer_up = false;
            set_error(peer, "refused by the peer (this node is not trusted there)");
            peer->handshake_error = true;
            break;
        case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
        case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
            peer->dealer_up = false;
            set_error(peer, "handshake failed (protocol error, or another node's key there)");
            peer->handshake_error = true;
            break;
        case ZMQ_EVENT_DISCONNECTED:
        case ZMQ_EVENT_CLOSED: peer->dealer_up = false; break;
        default: break;
        }
        link_update(self, peer);
    }
}

/* Timers: ban expiry, ROUTER-side silence, keepalives. */
static void tick(rsn_fed_t *self)
{
    int64_t now = mono_ms();
    for (size_t i = 0; i < self->peer_count; i++) {
        fed_peer_t *peer = self->peers[i];
        if (peer->banned_until_ms != 0) {
            if (now < peer->banned_until_ms) {
                continue;
            }
            peer->banned_until_ms = 0;
            rsn_info("federation: the ban of node %s ended", peer->user_id);
            if (peer->endpoint[0] != '\0' && peer->dealer == NULL) {
                (void)dealer_open(self, peer);
            }
        }
        if (peer->router_up && now - peer->router_seen_ms > FED_HEARTBEAT_TIMEOUT_MS) {
            router_down(self, peer);
        }
        if (now - peer->keepalive_ms >= FED_KEEPALIVE_MS / 4) {
            keepalive(self, peer, now);
        }
    }
}

/* Handles everything the caller does not see: ZAP, monitors, timers. */
static void service(rsn_fed_t *self)
{
    self->serviced_ms = mono_ms();
    zap_drain(self);
    for (size_t i = 0; i < self->peer_count; i++) {
        monitor_drain(self, self->peers[i]);
    }
    tick(self);
}

/* service, at most once a millisecond: recv and next_event run once per
 * frame or event, and a node with many peers must not pay for all their
 * monitors each time. */
static void service_often(rsn_fed_t *self)
{
    if (mono_ms() != self->serviced_ms) {
        service(self);
    }
}

/* Reads the rest of a message after FRAME, to drop it. */
static void drain_message(void *socket, zmq_msg_t *frame)
{
    while (zmq_msg_more(frame)) {
        if (zmq_msg_recv(frame, socket, 0) < 0) {
            return;
        }
    }
}

/* Hands FRAME from PEER to the caller. */
static int deliver(fed_peer_t *peer, zmq_msg_t *frame, uint8_t out_peer[32], uint8_t **out,
                   size_t *len)
{
    size_t size = zmq_msg_size(frame);
    if (size > RSN_FED_MAX_FRAME) {
        /* cannot pass ZMQ_MAXMSGSIZE with CURVE; checked all the same */
        peer->malformed_in++;
        set_error(peer, "frame over the size limit");
        return RSN_ERR_AGAIN;
    }
    uint8_t *copy = malloc(size);
    if (copy == NULL) {
        return RSN_ERR_NOMEM;
    }
    memcpy(copy, zmq_msg_data(frame), size);
    peer->frames_in++;
    peer->bytes_in += size;
    memcpy(out_peer, peer->key, RSN_KEY_BYTES);
    *out = copy;
    *len = size;
    return 0;
}

/* The next frame on the ROUTER: [routing id][payload], attributed by the
 * User-Id ZAP gave the connection. 0, RSN_ERR_AGAIN, RSN_ERR_NOMEM. */
static int recv_router(rsn_fed_t *self, uint8_t out_peer[32], uint8_t **out, size_t *len)
{
    int rc = RSN_ERR_AGAIN;
    zmq_msg_t rid;
    zmq_msg_t payload;
    zmq_msg_init(&rid);
    zmq_msg_init(&payload);
    /* a bounded number of frames skipped per call (keepalives, banned or
     * dropped peers), so no peer can keep this loop spinning */
    for (int skipped = 0; skipped < FED_DISCARD_MAX; skipped++) {
        if (zmq_msg_recv(&rid, self->router, ZMQ_DONTWAIT) < 0) {
            rc = RSN_ERR_AGAIN;
            goto out;
        }
        if (!zmq_msg_more(&rid) || zmq_msg_recv(&payload, self->router, 0) < 0) {
            continue; /* a ROUTER always gives both; nothing to attribute */
        }
        const char *user_id = zmq_msg_gets(&payload, "User-Id");
        fed_peer_t *peer = user_id != NULL ? find_user_id(self, user_id) : NULL;
        if (peer == NULL || peer->banned_until_ms != 0) {
            /* dropped from the trusted set, or banned: discarded unread */
            drain_message(self->router, &payload);
            continue;
        }
        if (zmq_msg_more(&payload)) {
            drain_message(self->router, &payload);
            peer->malformed_in++;
            set_error(peer, "malformed message");
            continue;
        }
        size_t rid_len = zmq_msg_size(&rid);
        if (rid_len == 0 || rid_len > FED_ROUTING_ID_MAX) {
            continue;
        }
        if (peer->routing_id_len != rid_len ||
            memcmp(peer->routing_id, zmq_msg_data(&rid), rid_len) != 0) {
            /* a routing id belongs to one connection: no other peer keeps it */
            for (size_t i = 0; i < self->peer_count; i++) {
                fed_peer_t *other = self->peers[i];
                if (other != peer && other->routing_id_len == rid_len &&
                    memcmp(other->routing_id, zmq_msg_data(&rid), rid_len) == 0) {
                    router_down(self, other);
                }
            }
            memcpy(peer->routing_id, zmq_msg_data(&rid), rid_len);
            peer->routing_id_len = rid_len;
        }
        peer->router_seen_ms = mono_ms();
        if (!peer->router_up) {
            peer->router_up = true;
            link_update(self, peer);
        }
        if (zmq_msg_size(&payload) == 0) {
            continue; /* keepalive */
        }
        rc = deliver(peer, &payload, out_peer, out, len);
        if (rc == RSN_ERR_AGAIN) {
            continue;
        }
        goto out;
    }
out:
    zmq_msg_close(&rid);
    zmq_msg_close(&payload);
    return rc;
}

/* The next frame on PEER's DEALER: [payload]. */
static int recv_dealer(fed_peer_t *peer, uint8_t out_peer[32], uint8_t **out, size_t *len)
{
    int rc = RSN_ERR_AGAIN;
    zmq_msg_t payload;
    zmq_msg_init(&payload);
    /* a bounded number of frames skipped per call (keepalives, banned or
     * dropped peers), so no peer can keep this loop spinning */
    for (int skipped = 0; skipped < FED_DISCARD_MAX; skipped++) {
        if (zmq_msg_recv(&payload, peer->dealer, ZMQ_DONTWAIT) < 0) {
            rc = RSN_ERR_AGAIN;
            goto out;
        }
        if (zmq_msg_more(&payload)) {
            drain_message(peer->dealer, &payload);
            peer->malformed_in++;
            set_error(peer, "malformed message");
            continue;
        }
        if (zmq_msg_size(&payload) == 0) {
            continue; /* keepalive */
        }
        rc = deliver(peer, &payload, out_peer, out, len);
        if (rc == RSN_ERR_AGAIN) {
            continue;
        }
        goto out;
    }
out:
    zmq_msg_close(&payload);
    return rc;
}

static fed_peer_t *peer_new(const rsn_fed_peer_conf_t *conf, const uint8_t curve[32])
{
    fed_peer_t *peer = calloc(1, sizeof *peer);
    if (peer == NULL) {
        return NULL;
    }
    memcpy(peer->key, conf->key, RSN_KEY_BYTES);
    memcpy(peer->curve, curve, RSN_KEY_BYTES);
    rsn_hex_encode(peer->user_id, sizeof peer->user_id, conf->key, RSN_KEY_BYTES);
    memcpy(peer->endpoint, conf->endpoint, sizeof peer->endpoint);
    return peer;
}

int rsn_fed_new(rsn_fed_t **out, const uint8_t node_key[32], const uint8_t *curve_secret,
                const char *listen)
{
    int rc = RSN_ERR_IO;
    rsn_fed_t *self = NULL;

    *out = NULL;
    if (node_key == NULL || curve_secret == NULL ||
        (listen != NULL && (listen[0] == '\0' || strlen(listen) > RSN_FED_ENDPOINT_MAX))) {
        return RSN_ERR_INVALID_ARG;
    }
    self = calloc(1, sizeof *self);
    if (self == NULL) {
        return RSN_ERR_NOMEM;
    }
    self->curve_secret = rsn_secure_alloc(RSN_KEY_BYTES);
    if (self->curve_secret == NULL) {
        rc = RSN_ERR_NOMEM;
        goto out;
    }
    memcpy(self->curve_secret, curve_secret, RSN_KEY_BYTES);
    memcpy(self->node_key, node_key, RSN_KEY_BYTES);
    if (rsn_curve_public(self->curve_public, node_key) != 0) {
        rsn_error("federation: the node key has no Curve25519 form");
        rc = RSN_ERR_INVALID_ARG;
        goto out;
    }
    self->context = zmq_ctx_new();
    if (self->context == NULL) {
        rsn_error("federation: cannot create a ZeroMQ context: %s", zmq_strerror(errno));
        goto out;
    }
    /* the ZAP handler first: a CURVE server bound without one admits all */
    self->zap = zmq_socket(self->context, ZMQ_REP);
    if (self->zap == NULL || set_int(self->zap, ZMQ_LINGER, 0) != 0 ||
        zmq_bind(self->zap, FED_ZAP_ENDPOINT) != 0) {
        rsn_error("federation: cannot start the ZAP handler: %s", zmq_strerror(errno));
        goto out;
    }
    if (listen != NULL) {
        int one = 1;
        self->router = zmq_socket(self->context, ZMQ_ROUTER);
        if (self->router == NULL || configure_common(self->router) != 0 ||
            zmq_setsockopt(self->router, ZMQ_CURVE_SERVER, &one, sizeof one) != 0 ||
            zmq_setsockopt(self->router, ZMQ_CURVE_PUBLICKEY, self->curve_public, RSN_KEY_BYTES) !=
                0 ||
            zmq_setsockopt(self->router, ZMQ_CURVE_SECRETKEY, self->curve_secret, RSN_KEY_BYTES) !=
                0 ||
            zmq_setsockopt(self->router, ZMQ_ZAP_DOMAIN, FED_ZAP_DOMAIN, strlen(FED_ZAP_DOMAIN)) !=
                0 ||
            set_int(self->router, ZMQ_ROUTER_MANDATORY, 1) != 0) {
            rsn_error("federation: cannot configure the listening socket: %s", zmq_strerror(errno));
            goto out;
        }
        if (zmq_bind(self->router, listen) != 0) {
            int err = errno;
            rsn_error("federation: cannot listen on %s: %s", listen, zmq_strerror(err));
            rc = err == EINVAL || err == EPROTONOSUPPORT || err == ENOCOMPATPROTO
                     ? RSN_ERR_INVALID_ARG
                     : RSN_ERR_IO;
            goto out;
        }
        size_t size = sizeof self->endpoint;
        if (zmq_getsockopt(self->router, ZMQ_LAST_ENDPOINT, self->endpoint, &size) != 0) {
            snprintf(self->endpoint, sizeof self->endpoint, "%s", listen);
        }
        rsn_info("federation: listening on %s", self->endpoint);
    }
    *out = self;
    self = NULL;
    rc = 0;
out:
    rsn_fed_destroy(&self);
    return rc;
}

void rsn_fed_destroy(rsn_fed_t **self_p)
{
    if (self_p == NULL || *self_p == NULL) {
        return;
    }
    rsn_fed_t *self = *self_p;
    for (size_t i = 0; i < self->peer_count; i++) {
        dealer_close(self->peers[i]);
        free(self->peers[i]);
    }
    if (self->router != NULL) {
        zmq_close(self->router);
    }
    if (self->zap != NULL) {
        zmq_close(self->zap);
    }
    if (self->context != NULL) {
        zmq_ctx_term(self->context);
    }
    rsn_secure_free(self->curve_secret);
    free(self);
    *self_p = NULL;
}

const char *rsn_fed_endpoint(const rsn_fed_t *self)
{
    return self->endpoint;
}

/* An endpoint a peer may be dialled at: none, or tcp:// or ipc://. */
static bool endpoint_ok(const char *endpoint)
{
    return endpoint[0] == '\0' || strncmp(endpoint, "tcp://", 6) == 0 ||
           strncmp(endpoint, "ipc://", 6) == 0;
}

int rsn_fed_set_peers(rsn_fed_t *self, const rsn_fed_peer_conf_t *peers, size_t n)
{
    uint8_t curves[RSN_FED_MAX_PEERS][RSN_KEY_BYTES];
    bool keep[RSN_FED_MAX_PEERS] = {false};
    int rc = 0;

    if (n > RSN_FED_MAX_PEERS || (n > 0 && peers == NULL)) {
        return RSN_ERR_INVALID_ARG;
    }
    /* check everything before changing anything */
    for (size_t i = 0; i < n; i++) {
        if (memchr(peers[i].endpoint, '\0', sizeof peers[i].endpoint) == NULL ||
            !endpoint_ok(peers[i].endpoint) || rsn_curve_public(curves[i], peers[i].key) != 0) {
            return RSN_ERR_INVALID_ARG;
        }
        for (size_t j = 0; j < i; j++) {
            if (memcmp(peers[i].key, peers[j].key, RSN_KEY_BYTES) == 0) {
                return RSN_ERR_INVALID_ARG;
            }
        }
    }
    for (size_t i = 0; i < self->peer_count; i++) {
        for (size_t j = 0; j < n; j++) {
            if (memcmp(self->peers[i]->key, peers[j].key, RSN_KEY_BYTES) == 0) {
                keep[i] = true;
            }
        }
    }
    /* drop the peers no longer listed */
    size_t kept = 0;
    for (size_t i = 0; i < self->peer_count; i++) {
        fed_peer_t *peer = self->peers[i];
        if (keep[i]) {
            self->peers[kept++] = peer;
            continue;
        }
        rsn_info("federation: node %s is no longer a peer", peer->user_id);
        dealer_close(peer);
        peer->router_up = false;
        peer->banned_until_ms = 0;
        link_update(self, peer);
        free(peer);
    }
    self->peer_count = kept;
    self->next_source = 0;
    /* add the new ones, redial the moved ones */
    for (size_t j = 0; j < n; j++) {
        if (memcmp(peers[j].key, self->node_key, RSN_KEY_BYTES) == 0) {
            rsn_info("federation: this node's own key is not a peer, skipped");
            continue;
        }
        fed_peer_t *peer = find_peer(self, peers[j].key);
        if (peer != NULL) {
            if (strcmp(peer->endpoint, peers[j].endpoint) == 0) {
                continue;
            }
            dealer_close(peer);
            link_update(self, peer);
            memcpy(peer->endpoint, peers[j].endpoint, sizeof peer->endpoint);
        } else {
            peer = peer_new(&peers[j], curves[j]);
            if (peer == NULL) {
                rc = RSN_ERR_NOMEM;
                continue;
            }
            self->peers[self->peer_count++] = peer;
            rsn_info("federation: node %s is a peer%s%s", peer->user_id,
                     peer->endpoint[0] != '\0' ? " at " : "", peer->endpoint);
        }
        if (peer->endpoint[0] != '\0' && peer->banned_until_ms == 0 &&
            dealer_open(self, peer) != 0 && rc == 0) {
            rc = RSN_ERR_INVALID_ARG;
        }
    }
    return rc;
}

int rsn_fed_wait(rsn_fed_t *self, rsn_api_server_t *api, int timeout_ms, bool *api_ready,
                 bool *fed_ready)
{
    zmq_pollitem_t items[3 + 2 * RSN_FED_MAX_PEERS];
    int64_t deadline = timeout_ms < 0 ? -1 : mono_ms() + timeout_ms;

    *api_ready = false;
    *fed_ready = false;
    for (;;) {
        service(self);
        size_t n = 0;
        size_t api_at = SIZE_MAX;
        if (api != NULL) {
            api_at = n;
            items[n++] =
                (zmq_pollitem_t){.socket = rsn_api_server_socket_(api), .events = ZMQ_POLLIN};
        }
        size_t fed_from = n;
        if (self->router != NULL) {
            items[n++] = (zmq_pollitem_t){.socket = self->router, .events = ZMQ_POLLIN};
        }
        for (size_t i = 0; i < self->peer_count; i++) {
            if (self->peers[i]->dealer != NULL) {
                items[n++] =
                    (zmq_pollitem_t){.socket = self->peers[i]->dealer, .events = ZMQ_POLLIN};
            }
        }
        size_t fed_to = n;
        items[n++] = (zmq_pollitem_t){.socket = self->zap, .events = ZMQ_POLLIN};
        for (size_t i = 0; i < self->peer_count; i++) {
            if (self->peers[i]->monitor != NULL) {
                items[n++] =
                    (zmq_pollitem_t){.socket = self->peers[i]->monitor, .events = ZMQ_POLLIN};
            }
        }

        bool pending = self->event_count > 0;
        int64_t remaining = deadline < 0 ? FED_TICK_MS : deadline - mono_ms();
        if (remaining < 0) {
            remaining = 0;
        }
        int poll_ms = pending ? 0 : (int)(remaining < FED_TICK_MS ? remaining : FED_TICK_MS);
        if (zmq_poll(items, (int)n, poll_ms) < 0) {
            if (errno == EINTR) {
                return RSN_ERR_INTERRUPTED;
            }
            rsn_error("federation: waiting failed: %s", zmq_strerror(errno));
            return RSN_ERR_INTERNAL;
        }
        if (api_at != SIZE_MAX && (items[api_at].revents & ZMQ_POLLIN)) {
            *api_ready = true;
        }
        for (size_t i = fed_from; i < fed_to; i++) {
            if (items[i].revents & ZMQ_POLLIN) {
                *fed_ready = true;
            }
        }
        if (pending) {
            *fed_ready = true;
        }
        if (*api_ready || *fed_ready) {
            return 0;
        }
        if (deadline >= 0 && mono_ms() >= deadline) {
            return RSN_ERR_TIMEOUT;
        }
    }
}

int rsn_fed_recv(rsn_fed_t *self, uint8_t peer[32], uint8_t **frame, size_t *len)
{
    *frame = NULL;
    *len = 0;
    service_often(self);
    /* source 0 is the ROUTER, source 1 + i the DEALER of peer i */
    size_t sources = 1 + self->peer_count;
    for (size_t k = 0; k < sources; k++) {
        size_t s = (self->next_source + k) % sources;
        int rc = RSN_ERR_AGAIN;
        if (s == 0) {
            if (self->router != NULL) {
                rc = recv_router(self, peer, frame, len);
            }
        } else if (self->peers[s - 1]->dealer != NULL) {
            rc = recv_dealer(self->peers[s - 1], peer, frame, len);
        }
        if (rc != RSN_ERR_AGAIN) {
            self->next_source = (s + 1) % sources;
            return rc;
        }
    }
    return RSN_ERR_AGAIN;
}

int rsn_fed_send(rsn_fed_t *self, const uint8_t peer_key[32], const uint8_t *frame, size_t len)
{
    if (frame == NULL || len == 0) {
        return RSN_ERR_INVALID_ARG; /* empty frames are the transport's keepalives */
    }
    if (len > RSN_FED_MAX_FRAME) {
        return RSN_ERR_TOO_LARGE;
    }
    fed_peer_t *peer = find_peer(self, peer_key);
    if (peer == NULL || peer->banned_until_ms != 0) {
        return RSN_ERR_UNAVAILABLE;
    }
    int rc = RSN_ERR_UNAVAILABLE;
    if (peer->dealer_up) {
        rc = dealer_send(peer, frame, len);
    } else if (peer->router_up && peer->routing_id_len > 0) {
        rc = router_send(self, peer, frame, len);
    }
    if (rc == 0) {
        peer->frames_out++;
        peer->bytes_out += len;
    } else if (rc == RSN_ERR_BUSY) {
        peer->dropped_out++;
    }
    return rc;
}

int rsn_fed_next_event(rsn_fed_t *self, rsn_fed_event_t *ev)
{
    if (self->event_count == 0) {
        service_often(self);
    }
    if (self->event_count == 0) {
        return RSN_ERR_AGAIN;
    }
    *ev = self->events[self->event_head];
    self->event_head = (self->event_head + 1) % FED_EVENT_QUEUE;
    self->event_count--;
    return 0;
}

void rsn_fed_ban(rsn_fed_t *self, const uint8_t peer_key[32], int penalty_ms, const char *reason)
{
    fed_peer_t *peer = find_peer(self, peer_key);
    if (peer == NULL) {
        return;
    }
    if (penalty_ms < 1) {
        penalty_ms = 1;
    }
    rsn_warn("federation: node %s is disconnected for %d ms: %s", peer->user_id, penalty_ms,
             reason != NULL ? reason : "no reason given");
    snprintf(peer->last_error, sizeof peer->last_error, "banned: %s",
             reason != NULL ? reason : "no reason given");
    dealer_close(peer);
    peer->router_up = false;
    peer->routing_id_len = 0;
    peer->banned_until_ms = mono_ms() + penalty_ms;
    link_update(self, peer);
}

size_t rsn_fed_peers(const rsn_fed_t *self, rsn_fed_peer_info_t *info, size_t max)
{
    size_t n = self->peer_count < max ? self->peer_count : max;
    for (size_t i = 0; i < n; i++) {
        const fed_peer_t *peer = self->peers[i];
        rsn_fed_peer_info_t *out = &info[i];
        memset(out, 0, sizeof *out);
        memcpy(out->key, peer->key, RSN_KEY_BYTES);
        memcpy(out->endpoint, peer->endpoint, sizeof out->endpoint);
        out->connected = peer->connected;
        out->since_ms = peer->since_ms;
        out->frames_in = peer->frames_in;
        out->frames_out = peer->frames_out;
        out->bytes_in = peer->bytes_in;
        out->bytes_out = peer->bytes_out;
        out->dropped_out = peer->dropped_out;
        memcpy(out->last_error, peer->last_error, sizeof out->last_error);
        if (peer->banned_until_ms != 0) {
            /* monotonic deadline, told as wall-clock time */
            out->banned_until_ms = wall_ms() + (peer->banned_until_ms - mono_ms());
        }
    }
    return n;
}
