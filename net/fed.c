/* fed.c — federation links between nodes, over libzmq with CURVE and ZAP.
 *
 * One ZeroMQ context per federation object holds: a REP socket bound to
 * inproc://zeromq.zap.01 (the ZAP handler, fed_zap.c, bound before anything
 * else so no CURVE handshake can ever happen without it), the ROUTER bound on
 * the listen endpoint as CURVE server, and per dialled peer a DEALER as CURVE
 * client with a PAIR socket reading that DEALER's monitor events (fed_link.c).
 * Everything runs in the caller's thread: attached to the node's poller
 * (rsn_fed_attach), the transport answers ZAP requests, reads monitors and
 * runs its timers inside rsn_poller_wait, and tells its owner when frames or
 * link events wait; rsn_fed_recv and rsn_fed_next_event service it too. This
 * file holds the public calls: lifecycle, the set of trusted peers, frames in
 * and out, bans, the peers' states and the poller's registrations.
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
#include <zmq.h>

#include "common/log.h"
#include "crypto/crypto.h"
#include "crypto/keypair.h"
#include "net/fed_private.h"

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
        fed_set_error(peer, "frame over the size limit");
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
        fed_peer_t *peer = user_id != NULL ? fed_find_user_id(self, user_id) : NULL;
        if (peer == NULL || peer->banned_until_ms != 0) {
            /* dropped from the trusted set, or banned: discarded unread */
            drain_message(self->router, &payload);
            continue;
        }
        if (zmq_msg_more(&payload)) {
            drain_message(self->router, &payload);
            peer->malformed_in++;
            fed_set_error(peer, "malformed message");
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
                    fed_router_down(self, other);
                }
            }
            memcpy(peer->routing_id, zmq_msg_data(&rid), rid_len);
            peer->routing_id_len = rid_len;
        }
        peer->router_seen_ms = fed_mono_ms();
        if (!peer->router_up) {
            peer->router_up = true;
            fed_link_update(self, peer);
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
            fed_set_error(peer, "malformed message");
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

static fed_peer_t *peer_new(rsn_fed_t *self, const rsn_fed_peer_conf_t *conf,
                            const uint8_t curve[32])
{
    fed_peer_t *peer = calloc(1, sizeof *peer);
    if (peer == NULL) {
        return NULL;
    }
    peer->fed = self;
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
    if (self->zap == NULL || rsn_zsock_set_int(self->zap, ZMQ_LINGER, 0) != 0 ||
        zmq_bind(self->zap, FED_ZAP_ENDPOINT) != 0) {
        rsn_error("federation: cannot start the ZAP handler: %s", zmq_strerror(errno));
        goto out;
    }
    if (listen != NULL) {
        int one = 1;
        self->router = zmq_socket(self->context, ZMQ_ROUTER);
        if (self->router == NULL || fed_configure_common(self->router) != 0 ||
            zmq_setsockopt(self->router, ZMQ_CURVE_SERVER, &one, sizeof one) != 0 ||
            zmq_setsockopt(self->router, ZMQ_CURVE_PUBLICKEY, self->curve_public, RSN_KEY_BYTES) !=
                0 ||
            zmq_setsockopt(self->router, ZMQ_CURVE_SECRETKEY, self->curve_secret, RSN_KEY_BYTES) !=
                0 ||
            zmq_setsockopt(self->router, ZMQ_ZAP_DOMAIN, FED_ZAP_DOMAIN, strlen(FED_ZAP_DOMAIN)) !=
                0 ||
            rsn_zsock_set_int(self->router, ZMQ_ROUTER_MANDATORY, 1) != 0) {
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
    rsn_fed_detach(self);
    for (size_t i = 0; i < self->peer_count; i++) {
        fed_dealer_close(self, self->peers[i]);
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

/* Closes every connection accepted on the ROUTER by unbinding and binding its
 * endpoint again (libzmq has no call that closes one accepted connection):
 * the dialling peers still trusted reconnect, through ZAP again, at once. */
void fed_router_rebind(rsn_fed_t *self)
{
    if (!self->rebind_pending || self->router == NULL) {
        return;
    }
    if (zmq_unbind(self->router, self->endpoint) != 0 && errno != ENOENT) {
        rsn_error("federation: cannot close the connections on %s: %s", self->endpoint,
                  zmq_strerror(errno));
        return;
    }
    for (size_t i = 0; i < self->peer_count; i++) {
        if (self->peers[i]->router_up) {
            fed_router_down(self, self->peers[i]);
        }
        self->peers[i]->routing_id_len = 0;
    }
    if (zmq_bind(self->router, self->endpoint) != 0) {
        rsn_error("federation: cannot listen on %s again (retrying): %s", self->endpoint,
                  zmq_strerror(errno));
        return;
    }
    self->rebind_pending = false;
    rsn_info("federation: closed the connections on %s of nodes no longer trusted", self->endpoint);
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
    bool dropped = false;
    for (size_t i = 0; i < self->peer_count; i++) {
        fed_peer_t *peer = self->peers[i];
        if (keep[i]) {
            self->peers[kept++] = peer;
            continue;
        }
        dropped = true;
        rsn_info("federation: node %s is no longer a peer", peer->user_id);
        fed_dealer_close(self, peer);
        peer->router_up = false;
        peer->banned_until_ms = 0;
        fed_link_update(self, peer);
        free(peer);
    }
    self->peer_count = kept;
    self->next_source = 0;
    if (dropped && self->router != NULL) {
        /* ZAP admitted their connections once; only closing them ends them */
        self->rebind_pending = true;
        fed_router_rebind(self);
    }
    /* add the new ones, redial the moved ones */
    for (size_t j = 0; j < n; j++) {
        if (memcmp(peers[j].key, self->node_key, RSN_KEY_BYTES) == 0) {
            rsn_info("federation: this node's own key is not a peer, skipped");
            continue;
        }
        fed_peer_t *peer = fed_find_peer(self, peers[j].key);
        if (peer != NULL) {
            if (strcmp(peer->endpoint, peers[j].endpoint) == 0) {
                continue;
            }
            fed_dealer_close(self, peer);
            fed_link_update(self, peer);
            memcpy(peer->endpoint, peers[j].endpoint, sizeof peer->endpoint);
        } else {
            peer = peer_new(self, &peers[j], curves[j]);
            if (peer == NULL) {
                rc = RSN_ERR_NOMEM;
                continue;
            }
            self->peers[self->peer_count++] = peer;
            rsn_info("federation: node %s is a peer%s%s", peer->user_id,
                     peer->endpoint[0] != '\0' ? " at " : "", peer->endpoint);
        }
        if (peer->endpoint[0] != '\0' && peer->banned_until_ms == 0 &&
            fed_dealer_open(self, peer) != 0 && rc == 0) {
            rc = RSN_ERR_INVALID_ARG;
        }
    }
    return rc;
}

/* The poller's callbacks: ZAP requests, monitor events, frames, timers. */
static void on_zap(rsn_poller_t *poller, int id, int events, void *ctx)
{
    (void)poller;
    (void)id;
    (void)events;
    fed_zap_drain(ctx);
}

static void on_monitor(rsn_poller_t *poller, int id, int events, void *ctx)
{
    fed_peer_t *peer = ctx;
    (void)poller;
    (void)id;
    (void)events;
    fed_monitor_drain(peer->fed, peer);
}

static void on_frames(rsn_poller_t *poller, int id, int events, void *ctx)
{
    rsn_fed_t *self = ctx;
    (void)poller;
    (void)id;
    (void)events;
    self->ready(self->ready_ctx);
}

static void on_tick(rsn_poller_t *poller, int id, void *ctx)
{
    (void)poller;
    (void)id;
    fed_service(ctx);
}

void fed_on_notify(rsn_poller_t *poller, int id, void *ctx)
{
    rsn_fed_t *self = ctx;
    (void)poller;
    (void)id;
    self->notify_timer = 0;
    if (self->event_count > 0) {
        self->ready(self->ready_ctx);
    }
}

int fed_watch_peer(rsn_fed_t *self, fed_peer_t *peer)
{
    int rc = 0;
    if (self->poller == NULL || peer->dealer == NULL) {
        return 0;
    }
    if (peer->dealer_watch == 0) {
        rc = rsn_poller_add_socket(self->poller, peer->dealer, RSN_POLLER_READABLE, on_frames, self,
                                   &peer->dealer_watch);
    }
    if (rc == 0 && peer->monitor_watch == 0) {
        rc = rsn_poller_add_socket(self->poller, peer->monitor, RSN_POLLER_READABLE, on_monitor,
                                   peer, &peer->monitor_watch);
    }
    return rc;
}

/* Ends the poller registration *ID, if any. */
static void unwatch(rsn_fed_t *self, int *id)
{
    if (self->poller != NULL && *id != 0) {
        (void)rsn_poller_remove(self->poller, *id);
    }
    *id = 0;
}

void fed_unwatch_peer(rsn_fed_t *self, fed_peer_t *peer)
{
    unwatch(self, &peer->dealer_watch);
    unwatch(self, &peer->monitor_watch);
}

int rsn_fed_attach(rsn_fed_t *self, rsn_poller_t *poller, rsn_ready_fn ready, void *ctx)
{
    if (poller == NULL || ready == NULL || self->poller != NULL) {
        return RSN_ERR_INVALID_ARG;
    }
    self->poller = poller;
    self->ready = ready;
    self->ready_ctx = ctx;
    int rc = rsn_poller_add_socket(poller, self->zap, RSN_POLLER_READABLE, on_zap, self,
                                   &self->zap_watch);
    if (rc == 0 && self->router != NULL) {
        rc = rsn_poller_add_socket(poller, self->router, RSN_POLLER_READABLE, on_frames, self,
                                   &self->router_watch);
    }
    if (rc == 0) {
        rc = rsn_poller_add_timer(poller, FED_TICK_MS, FED_TICK_MS, on_tick, self,
                                  &self->tick_timer);
    }
    for (size_t i = 0; rc == 0 && i < self->peer_count; i++) {
        rc = fed_watch_peer(self, self->peers[i]);
    }
    if (rc == 0) {
        fed_service(self);
        /* events queued before: told at once */
        if (self->event_count > 0 && self->notify_timer == 0) {
            rc = rsn_poller_add_timer(poller, 0, 0, fed_on_notify, self, &self->notify_timer);
        }
    }
    if (rc != 0) {
        rsn_fed_detach(self);
    }
    return rc;
}

void rsn_fed_detach(rsn_fed_t *self)
{
    if (self == NULL || self->poller == NULL) {
        return;
    }
    for (size_t i = 0; i < self->peer_count; i++) {
        fed_unwatch_peer(self, self->peers[i]);
    }
    unwatch(self, &self->zap_watch);
    unwatch(self, &self->router_watch);
    unwatch(self, &self->tick_timer);
    unwatch(self, &self->notify_timer);
    self->poller = NULL;
    self->ready = NULL;
    self->ready_ctx = NULL;
}

static void set_flag(void *ctx)
{
    *(bool *)ctx = true;
}

int rsn_fed_wait(rsn_fed_t *self, rsn_api_server_t *api, int timeout_ms, bool *api_ready,
                 bool *fed_ready)
{
    rsn_poller_t *poller = NULL;
    bool fed_attached = false;
    bool api_attached = false;
    int64_t deadline = timeout_ms < 0 ? -1 : fed_mono_ms() + timeout_ms;

    *api_ready = false;
    *fed_ready = false;
    int rc = rsn_poller_new(&poller);
    if (rc == 0) {
        rc = rsn_fed_attach(self, poller, set_flag, fed_ready);
        fed_attached = rc == 0;
    }
    if (rc == 0 && api != NULL) {
        rc = rsn_api_server_attach(api, poller, set_flag, api_ready);
        api_attached = rc == 0;
    }
    while (rc == 0 && !*api_ready && !*fed_ready) {
        int64_t left = deadline < 0 ? -1 : deadline - fed_mono_ms();
        rc = rsn_poller_wait(poller, deadline < 0 ? -1 : left < 0 ? 0 : (int)left);
        if (rc == 0 || rc == RSN_ERR_TIMEOUT) {
            bool late = deadline >= 0 && fed_mono_ms() >= deadline;
            rc = late && !*api_ready && !*fed_ready ? RSN_ERR_TIMEOUT : 0;
        }
    }
    if (api_attached) {
        rsn_api_server_detach(api);
    }
    if (fed_attached) {
        rsn_fed_detach(self);
    }
    rsn_poller_destroy(&poller);
    return rc;
}

int rsn_fed_recv(rsn_fed_t *self, uint8_t peer[32], uint8_t **frame, size_t *len)
{
    *frame = NULL;
    *len = 0;
    fed_service_often(self);
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
    fed_peer_t *peer = fed_find_peer(self, peer_key);
    if (peer == NULL || peer->banned_until_ms != 0) {
        return RSN_ERR_UNAVAILABLE;
    }
    int rc = RSN_ERR_UNAVAILABLE;
    if (peer->dealer_up) {
        rc = fed_dealer_send(peer, frame, len);
    } else if (peer->router_up && peer->routing_id_len > 0) {
        rc = fed_router_send(self, peer, frame, len);
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
        fed_service_often(self);
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
    fed_peer_t *peer = fed_find_peer(self, peer_key);
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
    fed_dealer_close(self, peer);
    peer->router_up = false;
    peer->routing_id_len = 0;
    peer->banned_until_ms = fed_mono_ms() + penalty_ms;
    fed_link_update(self, peer);
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
            out->banned_until_ms = fed_wall_ms() + (peer->banned_until_ms - fed_mono_ms());
        }
    }
    return n;
}
