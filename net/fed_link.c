/* fed_link.c — the federation transport's link to each peer.
 *
 * A peer's link is up when its DEALER completed a handshake (the monitor says
 * so, and says when it drops) or when the peer's own connection to our ROUTER
 * is alive. libzmq does not tell a ROUTER which peer an accepted connection
 * belongs to (its monitor events name our endpoint, and ZMQ_ROUTER_NOTIFY is
 * a draft API not in stable 4.3.4), so the transport keeps links alive
 * itself: every path that sent nothing for FED_KEEPALIVE_MS carries an empty
 * keepalive frame (empty frames are never delivered; rsn_fed_send refuses
 * them). The ROUTER side of a link is up from the first frame that arrives
 * with the peer's User-Id, and down when nothing arrived for
 * FED_HEARTBEAT_TIMEOUT_MS or a send finds its routing id gone
 * (ZMQ_ROUTER_MANDATORY: EHOSTUNREACH). ZMTP heartbeats still close dead TCP
 * connections underneath. This file opens and closes the DEALERs, sends on
 * either path, reads the monitors, and runs the timers (ban expiry, ROUTER
 * silence, keepalives); every change of a link becomes a link event. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "common/log.h"
#include "net/fed_private.h"

int64_t fed_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t fed_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Options every federation socket shares: bounded, never lingering. */
int fed_configure_common(void *socket)
{
    int64_t max_frame = RSN_FED_MAX_FRAME + FED_CURVE_OVERHEAD;
    if (zmq_setsockopt(socket, ZMQ_MAXMSGSIZE, &max_frame, sizeof max_frame) != 0 ||
        rsn_zsock_set_int(socket, ZMQ_LINGER, 0) != 0 ||
        rsn_zsock_set_int(socket, ZMQ_SNDHWM, FED_HWM) != 0 ||
        rsn_zsock_set_int(socket, ZMQ_RCVHWM, FED_HWM) != 0 ||
        rsn_zsock_set_int(socket, ZMQ_HANDSHAKE_IVL, FED_HANDSHAKE_MS) != 0) {
        return RSN_ERR_IO;
    }
    return 0;
}

void fed_set_error(fed_peer_t *peer, const char *text)
{
    snprintf(peer->last_error, sizeof peer->last_error, "%s", text);
}

fed_peer_t *fed_find_peer(const rsn_fed_t *self, const uint8_t key[RSN_KEY_BYTES])
{
    for (size_t i = 0; i < self->peer_count; i++) {
        if (memcmp(self->peers[i]->key, key, RSN_KEY_BYTES) == 0) {
            return self->peers[i];
        }
    }
    return NULL;
}

fed_peer_t *fed_find_curve(const rsn_fed_t *self, const uint8_t *curve)
{
    for (size_t i = 0; i < self->peer_count; i++) {
        if (memcmp(self->peers[i]->curve, curve, RSN_KEY_BYTES) == 0) {
            return self->peers[i];
        }
    }
    return NULL;
}

fed_peer_t *fed_find_user_id(const rsn_fed_t *self, const char *user_id)
{
    for (size_t i = 0; i < self->peer_count; i++) {
        if (strcmp(self->peers[i]->user_id, user_id) == 0) {
            return self->peers[i];
        }
    }
    return NULL;
}

void fed_push_event(rsn_fed_t *self, rsn_fed_event_kind kind, const uint8_t *key)
{
    if (self->event_count == FED_EVENT_QUEUE) {
        rsn_warn("federation: the link event queue is full, an event is dropped");
        return;
    }
    rsn_fed_event_t *ev = &self->events[(self->event_head + self->event_count) % FED_EVENT_QUEUE];
    ev->kind = kind;
    memcpy(ev->key, key, RSN_KEY_BYTES);
    self->event_count++;
    if (self->poller != NULL && self->notify_timer == 0 &&
        rsn_poller_add_timer(self->poller, 0, 0, fed_on_notify, self, &self->notify_timer) != 0) {
        self->notify_timer = 0; /* the next tick tells instead */
    }
}

/* Reports a change of PEER's logical link (either socket up, not banned). */
void fed_link_update(rsn_fed_t *self, fed_peer_t *peer)
{
    bool up = peer->banned_until_ms == 0 && (peer->dealer_up || peer->router_up);
    if (up == peer->connected) {
        return;
    }
    peer->connected = up;
    peer->since_ms = fed_wall_ms();
    rsn_info("federation: link to node %s %s", peer->user_id, up ? "up" : "down");
    fed_push_event(self, up ? RSN_FED_EVENT_CONNECTED : RSN_FED_EVENT_DISCONNECTED, peer->key);
}

void fed_router_down(rsn_fed_t *self, fed_peer_t *peer)
{
    peer->router_up = false;
    peer->routing_id_len = 0;
    fed_link_update(self, peer);
}

void fed_dealer_close(rsn_fed_t *self, fed_peer_t *peer)
{
    fed_unwatch_peer(self, peer);
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
int fed_dealer_open(rsn_fed_t *self, fed_peer_t *peer)
{
    char monitor_endpoint[64];
    int rc = RSN_ERR_IO;

    peer->dealer = zmq_socket(self->context, ZMQ_DEALER);
    peer->monitor = zmq_socket(self->context, ZMQ_PAIR);
    if (peer->dealer == NULL || peer->monitor == NULL) {
        rsn_error("federation: cannot create a socket: %s", zmq_strerror(errno));
        goto out;
    }
    if (fed_configure_common(peer->dealer) != 0 ||
        rsn_zsock_set_int(peer->dealer, ZMQ_IMMEDIATE, 1) != 0 ||
        /* the dialling side PINGs (the other answers), so each TCP connection
         * carries one PING and one PONG an interval */
        rsn_zsock_set_int(peer->dealer, ZMQ_HEARTBEAT_IVL, FED_HEARTBEAT_IVL_MS) != 0 ||
        rsn_zsock_set_int(peer->dealer, ZMQ_HEARTBEAT_TIMEOUT, FED_HEARTBEAT_TIMEOUT_MS) != 0 ||
        rsn_zsock_set_int(peer->dealer, ZMQ_HEARTBEAT_TTL, FED_HEARTBEAT_TTL_MS) != 0 ||
        rsn_zsock_set_int(peer->dealer, ZMQ_RECONNECT_IVL, FED_RECONNECT_IVL_MS) != 0 ||
        rsn_zsock_set_int(peer->dealer, ZMQ_RECONNECT_IVL_MAX, FED_RECONNECT_IVL_MAX_MS) != 0 ||
        zmq_setsockopt(peer->dealer, ZMQ_CURVE_SERVERKEY, peer->curve, RSN_KEY_BYTES) != 0 ||
        zmq_setsockopt(peer->dealer, ZMQ_CURVE_PUBLICKEY, self->curve_public, RSN_KEY_BYTES) != 0 ||
        zmq_setsockopt(peer->dealer, ZMQ_CURVE_SECRETKEY, self->curve_secret, RSN_KEY_BYTES) != 0 ||
        rsn_zsock_set_int(peer->monitor, ZMQ_LINGER, 0) != 0) {
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
        fed_set_error(peer, "cannot dial this endpoint");
        rc = RSN_ERR_INVALID_ARG;
        goto out;
    }
    peer->dealer_up = false;
    rc = fed_watch_peer(self, peer);
out:
    if (rc != 0) {
        fed_dealer_close(self, peer);
    }
    return rc;
}

/* Sends one frame on PEER's DEALER without blocking. With ZMQ_IMMEDIATE a
 * DEALER queues only on completed connections, and libzmq attaches a new
 * connection when the socket next processes its commands, which a send may
 * skip (throttling): reading ZMQ_EVENTS processes them, then one retry. */
int fed_dealer_send(fed_peer_t *peer, const void *data, size_t len)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        if (zmq_send(peer->dealer, data, len, ZMQ_DONTWAIT) >= 0) {
            peer->dealer_sent_ms = fed_mono_ms();
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
int fed_router_send(rsn_fed_t *self, fed_peer_t *peer, const void *data, size_t len)
{
    if (zmq_send(self->router, peer->routing_id, peer->routing_id_len, ZMQ_SNDMORE | ZMQ_DONTWAIT) <
        0) {
        if (errno == EHOSTUNREACH) {
            fed_router_down(self, peer);
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
    peer->router_sent_ms = fed_mono_ms();
    return 0;
}

static void keepalive(rsn_fed_t *self, fed_peer_t *peer, int64_t now)
{
    peer->keepalive_ms = now;
    if (peer->dealer_up && now - peer->dealer_sent_ms >= FED_KEEPALIVE_MS) {
        (void)fed_dealer_send(peer, "", 0);
    }
    if (peer->router_up && peer->routing_id_len > 0 &&
        now - peer->router_sent_ms >= FED_KEEPALIVE_MS) {
        (void)fed_router_send(self, peer, "", 0);
    }
}

/* Reads every monitor event of PEER's DEALER waiting. */
void fed_monitor_drain(rsn_fed_t *self, fed_peer_t *peer)
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
            keepalive(self, peer, fed_mono_ms());
            break;
        case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
            peer->dealer_up = false;
            fed_set_error(peer, "refused by the peer (this node is not trusted there)");
            peer->handshake_error = true;
            /* libzmq gives up on a refused connection: dial again later, for
             * the peer may trust us again (a SIGHUP that lists us back) */
            peer->redial_ms = fed_mono_ms() + FED_REDIAL_REFUSED_MS;
            break;
        case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
        case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
            peer->dealer_up = false;
            fed_set_error(peer, "handshake failed (protocol error, or another node's key there)");
            peer->handshake_error = true;
            break;
        case ZMQ_EVENT_DISCONNECTED:
        case ZMQ_EVENT_CLOSED: peer->dealer_up = false; break;
        default: break;
        }
        fed_link_update(self, peer);
    }
}

/* Timers: the ROUTER's rebind, ban expiry, redials after a refusal,
 * ROUTER-side silence, keepalives. */
static void tick(rsn_fed_t *self)
{
    int64_t now = fed_mono_ms();
    fed_router_rebind(self);
    for (size_t i = 0; i < self->peer_count; i++) {
        fed_peer_t *peer = self->peers[i];
        if (peer->banned_until_ms != 0) {
            if (now < peer->banned_until_ms) {
                continue;
            }
            peer->banned_until_ms = 0;
            rsn_info("federation: the ban of node %s ended", peer->user_id);
            if (peer->endpoint[0] != '\0' && peer->dealer == NULL) {
                (void)fed_dealer_open(self, peer);
            }
        }
        if (peer->redial_ms != 0 && now >= peer->redial_ms) {
            peer->redial_ms = 0;
            if (peer->dealer != NULL && !peer->dealer_up) {
                fed_dealer_close(self, peer);
                (void)fed_dealer_open(self, peer);
            }
        }
        if (peer->router_up && now - peer->router_seen_ms > FED_HEARTBEAT_TIMEOUT_MS) {
            fed_router_down(self, peer);
        }
        if (now - peer->keepalive_ms >= FED_KEEPALIVE_MS / 4) {
            keepalive(self, peer, now);
        }
    }
}

/* Handles everything the caller does not see: ZAP, monitors, timers. */
void fed_service(rsn_fed_t *self)
{
    self->serviced_ms = fed_mono_ms();
    fed_zap_drain(self);
    fed_zap_tick(self, self->serviced_ms);
    for (size_t i = 0; i < self->peer_count; i++) {
        fed_monitor_drain(self, self->peers[i]);
    }
    tick(self);
}

/* service, at most once a millisecond: recv and next_event run once per
 * frame or event, and a node with many peers must not pay for all their
 * monitors each time. */
void fed_service_often(rsn_fed_t *self)
{
    if (fed_mono_ms() != self->serviced_ms) {
        fed_service(self);
    }
}
