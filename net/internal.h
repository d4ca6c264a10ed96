/* internal.h — net/'s private seams between its own files, and test hooks.
 *
 * Not part of any module's contract: only files of net/ and the unit tests
 * of net/ include this. It lets the federation layer poll the API socket in
 * the same zmq_poll as its own sockets, and lets tests learn the port a
 * wildcard listen endpoint ("tcp://127.0.0.1:*") was given. */
#ifndef RSN_NET_INTERNAL_H
#define RSN_NET_INTERNAL_H

#include "net/api_server.h"
#include "net/fed.h"

/* The API server's ZeroMQ socket (owned by SELF), for zmq_poll. */
void *rsn_api_server_socket_(rsn_api_server_t *self);

/* The endpoint the federation ROUTER is bound to, as libzmq resolved it
 * (ZMQ_LAST_ENDPOINT: a wildcard port is replaced by the real one); "" when
 * the node only dials. Owned by SELF. */
const char *rsn_fed_endpoint(const rsn_fed_t *self);

#endif
