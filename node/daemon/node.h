/* node.h — one raison node: its data folder, key, store, API socket and
 * federation links, and the event loop (a net/poller) that serves them.
 *
 * Opening a node creates the data folder (0700) and the node key (0600) on
 * first start, takes the database lock before binding any socket (a second
 * node on the same folder fails at once with RSN_ERR_LOCKED), then binds the
 * local API. rsn_node_run serves until *STOP becomes non-zero (a signal
 * handler sets it). */
#ifndef RSN_DAEMON_NODE_H
#define RSN_DAEMON_NODE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"
#include "net/fed.h"
#include "store/store.h"

typedef struct {
    const char *data_dir;             /* required */
    const char *socket_path;          /* NULL: DATA/raison.sock */
    const char *site;                 /* may be NULL */
    const char *listen;               /* federation endpoint to bind; NULL: none */
    const rsn_fed_peer_conf_t *peers; /* trusted peers (dialled when they have an endpoint) */
    size_t n_peers;
    bool new_key;                     /* a lost store: make a new node key (daemon/node_key.h) */
    const rsn_store_options_t *store; /* LevelDB's options; NULL: the defaults */
    bool share_socket;                /* open the API socket to group socket_gid (0660) */
    unsigned socket_gid;
    const char *metrics; /* HOST:PORT to serve metrics on; NULL: none */
    bool metrics_public; /* a non-loopback metrics address is allowed */
} rsn_node_config_t;

typedef struct rsn_node rsn_node_t;

/* Opens the node described by CFG. 0 and *OUT; RSN_ERR_LOCKED (another node
 * owns the folder), RSN_ERR_INVALID_ARG (socket path too long, a malformed
 * metrics address), RSN_ERR_IO (the metrics address cannot be bound too),
 * RSN_ERR_PERMISSION (node key readable by others, a metrics address not
 * loopback without metrics_public), RSN_ERR_BAD_KEYFILE,
 * RSN_ERR_KEY_HISTORY (a node key beside a lost store: see new_key). Each
 * failure is logged with its cause. */
RSN_NODISCARD int rsn_node_open(rsn_node_t **out, const rsn_node_config_t *cfg);

/* Called by rsn_node_run when *RELOAD became non-zero (SIGHUP); it may call
 * rsn_node_set_peers. */
typedef void (*rsn_node_reload_fn)(rsn_node_t *node, void *ctx);

/* Serves requests and federation links until *STOP is non-zero; calls
 * RELOAD_FN (may be NULL) each time *RELOAD is set, after clearing it.
 * 0 on a clean stop. */
RSN_NODISCARD int rsn_node_run(rsn_node_t *self, volatile sig_atomic_t *stop,
                               volatile sig_atomic_t *reload, rsn_node_reload_fn reload_fn,
                               void *ctx);

/* Replaces the trusted peers (new ones dialled, dropped ones cut). */
RSN_NODISCARD int rsn_node_set_peers(rsn_node_t *self, const rsn_fed_peer_conf_t *peers, size_t n);

/* The port the metrics are served on; 0 when they are not. */
uint16_t rsn_node_metrics_port(const rsn_node_t *self);

/* Closes everything; accepts NULL; sets *SELF_P to NULL. */
void rsn_node_destroy(rsn_node_t **self_p);

#endif
