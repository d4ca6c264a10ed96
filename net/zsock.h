/* zsock.h — the ZeroMQ socket set-up net/'s modules share (private to net/).
 *
 * The API server, the client library and the federation transport each open
 * sockets that must be bounded (ZMQ_MAXMSGSIZE, high-water marks) and must not
 * linger; this is the one place that writes those options, so a bound is
 * never forgotten on one of them. Nothing outside net/ includes this file. */
#ifndef RSN_ZSOCK_H
#define RSN_ZSOCK_H

#include <stdint.h>

#include "common/err.h"
#include "net/api_server.h"

/* Bytes of an "ipc://PATH" endpoint of the longest PATH, NUL included. */
#define RSN_IPC_ENDPOINT_SIZE (sizeof "ipc://" + RSN_IPC_PATH_MAX)

/* Writes "ipc://PATH" into OUT (RSN_IPC_ENDPOINT_SIZE bytes) after checking
 * PATH: RSN_ERR_INVALID_ARG with one log line when it is empty or longer
 * than a Unix socket path can be (RSN_IPC_PATH_MAX, net/api_server.h). */
RSN_NODISCARD int rsn_zsock_ipc_endpoint(const char *path, char out[RSN_IPC_ENDPOINT_SIZE]);

/* Sets the int option OPTION of SOCKET. 0 or RSN_ERR_IO (errno set). */
RSN_NODISCARD int rsn_zsock_set_int(void *socket, int option, int value);

/* Makes a socket of TYPE in CONTEXT with the options every raison socket
 * has: ZMQ_MAXMSGSIZE MAX_MESSAGE, ZMQ_LINGER LINGER_MS, both high-water
 * marks HWM. 0 and *OUT, or RSN_ERR_IO with one log line naming WHAT ("the
 * API socket") and nothing left open. */
RSN_NODISCARD int rsn_zsock_new(void *context, int type, int64_t max_message, int linger_ms,
                                int hwm, const char *what, void **out);

#endif
