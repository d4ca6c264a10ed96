/* fed_private.h — what the files of the federation transport share.
 *
 * The transport is one object (struct rsn_fed) cut by idea into three files:
 * fed.c (the public calls: lifecycle, the peer set, frames in and out, the
 * event loop's registration), fed_link.c (the link to each peer: its sockets,
 * their state, keepalives and timers) and fed_zap.c (the ZAP handler that
 * admits trusted keys only). This header is their seam and no one else's:
 * only net/fed*.c include it. */
#ifndef RSN_NET_FED_PRIVATE_H
#define RSN_NET_FED_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/crypto.h"
#include "net/fed.h"
#include "net/poller.h"
#include "net/zsock.h"

#define FED_DISCARD_MAX 1024          /* frames skipped in one receive call at most */
#define FED_HEARTBEAT_IVL_MS 2000     /* ZMTP PING, sent by the dialling side only */
#define FED_HEARTBEAT_TIMEOUT_MS 6000 /* silence after which a link is dead */
#define FED_HEARTBEAT_TTL_MS 6000     /* asked of the other side */
#define FED_KEEPALIVE_MS                                                             \
    2000                      /* an empty frame on a path that sent nothing for this \
                               * long; the Digest of each anti-entropy round (every  \
                               * 2 s) usually makes it unneeded, keeping an idle     \
                               * link's cost to the Digests and the ZMTP PINGs */
#define FED_HANDSHAKE_MS 5000 /* a connection that never authenticates */
#define FED_RECONNECT_IVL_MS 100
#define FED_RECONNECT_IVL_MAX_MS 2000
#define FED_REDIAL_REFUSED_MS 2000 /* a DEALER refused by ZAP dials again after this */
#define FED_HWM                                                                                   \
    64                           /* frames queued per link, each way: frames are batches of up to \
                                  * 1024 entries, so this bounds what a peer that never reads can \
                                  * make us hold (64 x a 512 KiB answer) */
#define FED_TICK_MS 100          /* longest sleep between timer checks */
#define FED_EVENT_QUEUE 1024     /* link events not yet taken */
#define FED_REFUSED_SLOTS 64     /* refused keys remembered for the rate limit */
#define FED_REFUSED_LOG_MS 60000 /* one log line (and event) per key per minute */
#define FED_REFUSED_WINDOW_MS                                    \
    10000 /* and, whatever the keys, at most FED_REFUSED_LINES a \
           * window; the rest are counted and told in one        \
           * summary line when the window ends */
#define FED_REFUSED_LINES 5
#define FED_ROUTING_ID_MAX 255 /* libzmq's limit on a routing id */
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
    int64_t redial_ms;    /* monotonic: reopen the refused DEALER then; 0: no */
    struct rsn_fed *fed;  /* the owner, for the poller's callbacks */
    int dealer_watch;     /* poller ids of the DEALER and its monitor; 0: none */
    int monitor_watch;
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
    int64_t refused_window_ms;   /* monotonic: start of the log window; 0: none */
    unsigned refused_lines;      /* refusals logged in this window */
    uint64_t refused_quiet;      /* refusals of untrusted keys not logged in it */
    uint64_t refused_quiet_bare; /* refused connections without a CURVE key, same */
    /* the poller the transport is attached to (rsn_fed_attach), or NULL */
    rsn_poller_t *poller;
    rsn_ready_fn ready;
    void *ready_ctx;
    bool rebind_pending; /* the ROUTER's connections must be closed (fed_router_rebind) */
    int zap_watch;       /* poller ids; 0: none */
    int router_watch;
    int tick_timer;
    int notify_timer; /* armed while link events wait to be told */
};

/* Clocks, in milliseconds: monotonic for timers, wall for what is reported. */
int64_t fed_mono_ms(void);
int64_t fed_wall_ms(void);

/* zmq_setsockopt of an int; the options every federation socket shares
 * (bounded, never lingering). 0, or RSN_ERR_IO with errno as libzmq set it. */
int fed_configure_common(void *socket);

/* Records TEXT as PEER's last error (shown by rsn_fed_peers). */
void fed_set_error(fed_peer_t *peer, const char *text);

/* The peer with node key KEY, Curve25519 key CURVE, or ZAP User-Id USER_ID;
 * NULL when none is trusted. */
fed_peer_t *fed_find_peer(const rsn_fed_t *self, const uint8_t key[RSN_KEY_BYTES]);
fed_peer_t *fed_find_curve(const rsn_fed_t *self, const uint8_t *curve);
fed_peer_t *fed_find_user_id(const rsn_fed_t *self, const char *user_id);

/* Queues a link event for rsn_fed_next_event (and wakes an attached loop). */
void fed_push_event(rsn_fed_t *self, rsn_fed_event_kind kind, const uint8_t *key);

/* Reports a change of PEER's logical link (either socket up, not banned). */
void fed_link_update(rsn_fed_t *self, fed_peer_t *peer);

/* Closes every connection accepted on the ROUTER (unbind, bind again) when
 * REBIND_PENDING says a trusted key was dropped; kept pending, and retried by
 * the timers, while libzmq refuses (fed.c). */
void fed_router_rebind(rsn_fed_t *self);

/* PEER's connection on our ROUTER is gone. */
void fed_router_down(rsn_fed_t *self, fed_peer_t *peer);

/* Opens PEER's DEALER as CURVE client and dials its endpoint (0,
 * RSN_ERR_INVALID_ARG when libzmq refuses the endpoint, RSN_ERR_IO); closes
 * it (and its monitor). */
int fed_dealer_open(rsn_fed_t *self, fed_peer_t *peer);
void fed_dealer_close(rsn_fed_t *self, fed_peer_t *peer);

/* Sends one frame to PEER without blocking, on its DEALER or through our
 * ROUTER: 0, RSN_ERR_BUSY (its queue is full), RSN_ERR_UNAVAILABLE. */
int fed_dealer_send(fed_peer_t *peer, const void *data, size_t len);
int fed_router_send(rsn_fed_t *self, fed_peer_t *peer, const void *data, size_t len);

/* Handles everything the caller does not see: ZAP requests, monitor events,
 * timers; fed_service_often does so at most once a millisecond. */
void fed_service(rsn_fed_t *self);
void fed_service_often(rsn_fed_t *self);

/* Reads every monitor event of PEER's DEALER waiting. */
void fed_monitor_drain(rsn_fed_t *self, fed_peer_t *peer);

/* Answers every ZAP request waiting, without blocking (fed_zap.c). */
void fed_zap_drain(rsn_fed_t *self);

/* Ends the refusals' log window when it is over: one summary line of what it
 * did not log one by one (fed_zap.c; called by fed_service). */
void fed_zap_tick(rsn_fed_t *self, int64_t now);

/* Registers PEER's DEALER and monitor with the attached poller (none: 0);
 * ends those registrations. 0 or RSN_ERR_NOMEM. */
int fed_watch_peer(rsn_fed_t *self, fed_peer_t *peer);
void fed_unwatch_peer(rsn_fed_t *self, fed_peer_t *peer);

/* The poller's timer that tells the owner link events wait (fed.c). */
void fed_on_notify(rsn_poller_t *poller, int id, void *ctx);

#endif
