/* zsock.c — bounded ZeroMQ sockets for net/'s modules. */
#include "net/zsock.h"

#include <errno.h>
#include <string.h>
#include <zmq.h>

#include "common/log.h"
#include "net/api_server.h"

int rsn_zsock_ipc_endpoint(const char *path, char out[RSN_IPC_ENDPOINT_SIZE])
{
    size_t path_len = strlen(path);
    if (path_len == 0) {
        rsn_error("the API socket path is empty");
        return RSN_ERR_INVALID_ARG;
    }
    if (path_len > RSN_IPC_PATH_MAX) {
        rsn_error("the API socket path is too long (%zu bytes, the limit is %d): %s", path_len,
                  RSN_IPC_PATH_MAX, path);
        return RSN_ERR_INVALID_ARG;
    }
    memcpy(out, "ipc://", 6);
    memcpy(out + 6, path, path_len + 1);
    return 0;
}

int rsn_zsock_set_int(void *socket, int option, int value)
{
    return zmq_setsockopt(socket, option, &value, sizeof value) == 0 ? 0 : RSN_ERR_IO;
}

int rsn_zsock_new(void *context, int type, int64_t max_message, int linger_ms, int hwm,
                  const char *what, void **out)
{
    *out = NULL;
    void *socket = zmq_socket(context, type);
    if (socket == NULL) {
        rsn_error("cannot create %s: %s", what, zmq_strerror(errno));
        return RSN_ERR_IO;
    }
    if (zmq_setsockopt(socket, ZMQ_MAXMSGSIZE, &max_message, sizeof max_message) != 0 ||
        rsn_zsock_set_int(socket, ZMQ_LINGER, linger_ms) != 0 ||
        rsn_zsock_set_int(socket, ZMQ_SNDHWM, hwm) != 0 ||
        rsn_zsock_set_int(socket, ZMQ_RCVHWM, hwm) != 0) {
        rsn_error("cannot configure %s: %s", what, zmq_strerror(errno));
        zmq_close(socket);
        return RSN_ERR_IO;
    }
    *out = socket;
    return 0;
}
