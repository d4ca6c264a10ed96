/* support/node.h — real raisond processes, started and stopped by a test.
 *
 * A test or benchmark that needs nodes to talk to each other over loopback
 * names each one under its work folder (data in WORK/NAME, the API socket in
 * WORK/NAME/raison.sock, stderr in WORK/NAME.log), gives it a free port and a
 * node key (`raisond keygen`), lists its peers, starts it, and waits until
 * its API answers. The child gets PR_SET_PDEATHSIG, so no node outlives a
 * test that dies. Functions return 0 or a negative rsn_err after saying on
 * stderr what went wrong. */
#ifndef RSN_TEST_NODE_H
#define RSN_TEST_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/err.h"
#include "crypto/crypto.h"
#include "net/client.h"

#define RSN_TEST_PATH_MAX 200
#define RSN_TEST_MAX_PEERS 16
/* how long a call of a test's own may wait for its reply */
#define RSN_TEST_API_TIMEOUT_MS 30000

/* One node: what it is called and where its files are, its key and port,
 * its process (PID 0 when not running) and its --peer values. */
typedef struct {
    char name[32];
    char dir[RSN_TEST_PATH_MAX];  /* data folder */
    char sock[RSN_TEST_PATH_MAX]; /* API socket */
    char log[RSN_TEST_PATH_MAX];  /* stderr of raisond */
    char key[RSN_KEY_HEX + 1];    /* node key in hex */
    int port;                     /* federation listen port on 127.0.0.1 */
    pid_t pid;
    char *peers[RSN_TEST_MAX_PEERS]; /* malloc'd */
    size_t n_peers;
} rsn_test_node_t;

/* Names N under WORK (folder WORK/NAME), picks its port and creates its node
 * key with `RAISOND keygen`. RSN_ERR_INVALID_ARG (paths too long), RSN_ERR_IO. */
RSN_NODISCARD int rsn_test_node_init(rsn_test_node_t *n, const char *raisond, const char *work,
                                     const char *name);

/* Adds a --peer to N: OTHER's listen endpoint and key when DIAL, else only
 * OTHER's key (trusted when it dials N). RSN_ERR_TOO_LARGE, RSN_ERR_NOMEM. */
RSN_NODISCARD int rsn_test_node_peer(rsn_test_node_t *n, const rsn_test_node_t *other, bool dial);

/* Starts RAISOND for N (site = its name, listening on its port, with its
 * peers), stderr to its log. RSN_ERR_IO when it cannot fork. */
RSN_NODISCARD int rsn_test_node_start(rsn_test_node_t *n, const char *raisond);

/* Connects to N's API, polling up to TIMEOUT_S for the node to answer a
 * status; *OUT then waits RSN_TEST_API_TIMEOUT_MS for each reply.
 * RSN_ERR_UNAVAILABLE when the node exited, RSN_ERR_TIMEOUT (its log's last
 * lines are printed in both cases). */
RSN_NODISCARD int rsn_test_node_connect(rsn_test_node_t *n, rsn_client_t **out, double timeout_s);

/* The same, trying every POLL_MS (rsn_test_node_connect: 20): a benchmark
 * that times a start polls finer than the start takes. */
RSN_NODISCARD int rsn_test_node_connect_every(rsn_test_node_t *n, rsn_client_t **out,
                                              double timeout_s, int poll_ms);

/* Stops N's raisond (SIGTERM, then SIGKILL after 10 s) and frees its peer
 * list; accepts a node never started. */
void rsn_test_node_stop(rsn_test_node_t *n);

/* Prints the last lines of N's log to stderr. */
void rsn_test_node_tail(const rsn_test_node_t *n);

#endif
