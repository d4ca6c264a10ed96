/* api_server.c — the node's local client API socket, over libzmq.
 *
 * One ROUTER socket bound on ipc://PATH, in a ZeroMQ context of its own (each
 * server object owns its context, so the module holds no global state and a
 * test can run several servers). The socket is bounded: frames over
 * RSN_API_MAX_MESSAGE are refused by libzmq (ZMQ_MAXMSGSIZE, the sender is
 * disconnected), at most RSN_API_MAX_ENVELOPE envelope frames are kept per
 * request, and sends never block: ZMQ_ROUTER_MANDATORY makes a reply to a
 * client that is gone, or whose queue is full, fail at once instead of being
 * dropped silently, so the node can count it.
 *
 * The path is claimed before the bind, because libzmq's ipc bind unlinks
 * whatever file is there: PATH.lock is locked (flock) for the server's life,
 * so two nodes never take each other's socket, and PATH itself may only be
 * missing or a stale socket (nothing answers on it); a regular file, a
 * folder, a link or a live socket is refused and left alone. The socket is
 * created under umask 077, so it is never, even briefly, open to others.
 *
 * A front (a thread that owns the ROUTER and answers reads beside the loop)
 * is in net/api_front.c. */
#include "net/api_server.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <zmq.h>

#include "common/log.h"
#include "net/api_server_int.h"
#include "net/zsock.h"

/* Takes PATH.lock (flock, kept open in *LOCK_FD): RSN_ERR_LOCKED when another
 * process holds it, RSN_ERR_IO when it cannot be made. */
static int lock_path(const char *path, int *lock_fd)
{
    char lock[RSN_IPC_PATH_MAX + sizeof ".lock" + 1];
    snprintf(lock, sizeof lock, "%s.lock", path);
    int fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        rsn_error("cannot open the API socket's lock %s: %s", lock, strerror(errno));
        return RSN_ERR_IO;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        close(fd);
        if (err == EWOULDBLOCK) {
            rsn_error("the API socket %s is held by another raisond (%s is locked)", path, lock);
            return RSN_ERR_LOCKED;
        }
        rsn_error("cannot lock %s: %s", lock, strerror(err));
        return RSN_ERR_IO;
    }
    *lock_fd = fd;
    return 0;
}

/* 0 when PATH is missing or a stale socket (nothing accepts a connection on
 * it), which the bind may replace; RSN_ERR_EXISTS for anything else. */
static int path_replaceable(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        return errno == ENOENT ? 0 : RSN_ERR_EXISTS;
    }
    if (!S_ISSOCK(st.st_mode)) {
        rsn_error("%s is not a socket: refusing to replace it with the API socket", path);
        return RSN_ERR_EXISTS;
    }
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return RSN_ERR_EXISTS;
    }
    int rc = connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0 ? RSN_ERR_EXISTS
             : errno == ECONNREFUSED                                 ? 0
                                                                     : RSN_ERR_EXISTS;
    close(fd);
    if (rc != 0) {
        rsn_error("the socket %s is in use (another program answers on it): refusing to take "
                  "it over",
                  path);
    }
    return rc;
}

int rsn_api_server_bind(rsn_api_server_t **out, const char *path)
{
    int rc = RSN_ERR_IO;
    rsn_api_server_t *self = NULL;
    char endpoint[RSN_IPC_ENDPOINT_SIZE];

    *out = NULL;
    if ((rc = rsn_zsock_ipc_endpoint(path, endpoint)) != 0) {
        return rc;
    }
    rc = RSN_ERR_IO;
    self = calloc(1, sizeof *self);
    if (self == NULL || (self->path = strdup(path)) == NULL) {
        rc = RSN_ERR_NOMEM;
        goto out;
    }
    self->lock_fd = -1;
    if ((rc = lock_path(path, &self->lock_fd)) != 0 || (rc = path_replaceable(path)) != 0) {
        goto out;
    }
    rc = RSN_ERR_IO;

    self->context = zmq_ctx_new();
    if (self->context == NULL) {
        rsn_error("cannot create a ZeroMQ context: %s", zmq_strerror(errno));
        goto out;
    }
    if (rsn_zsock_new(self->context, ZMQ_ROUTER, RSN_API_MAX_MESSAGE, 0, API_HWM, "the API socket",
                      &self->socket) != 0) {
        goto out;
    }
    if (rsn_zsock_set_int(self->socket, ZMQ_ROUTER_MANDATORY, 1) != 0) {
        rsn_error("cannot configure the API socket: %s", zmq_strerror(errno));
        goto out;
    }
    /* libzmq unlinks what is at PATH before it binds: path_replaceable said
     * it is a stale socket at most, and our lock keeps it so */
    mode_t umask_was = umask(077);
    int bound = zmq_bind(self->socket, endpoint);
    int bind_errno = errno;
    umask(umask_was);
    if (bound != 0) {
        rsn_error("cannot bind the API socket %s: %s", endpoint, zmq_strerror(bind_errno));
        goto out;
    }
    if (chmod(path, 0600) != 0) {
        rsn_error("cannot restrict the API socket %s to its owner: %s", path, strerror(errno));
        (void)unlink(path);
        goto out;
    }
    self->loop = self->socket;
    *out = self;
    self = NULL;
    rc = 0;
out:
    if (self != NULL) {
        if (self->socket != NULL) {
            zmq_close(self->socket);
        }
        if (self->context != NULL) {
            zmq_ctx_term(self->context);
        }
        if (self->lock_fd >= 0) {
            close(self->lock_fd);
        }
        free(self->path);
        free(self);
    }
    return rc;
}

int rsn_api_server_share(rsn_api_server_t *self, unsigned gid)
{
    if (chown(self->path, (uid_t)-1, (gid_t)gid) != 0) {
        int err = errno;
        rsn_error("cannot give the API socket %s to group %u: %s", self->path, gid, strerror(err));
        return err == EPERM ? RSN_ERR_PERMISSION : RSN_ERR_IO;
    }
    if (chmod(self->path, 0660) != 0) {
        rsn_error("cannot open the API socket %s to its group: %s", self->path, strerror(errno));
        return RSN_ERR_IO;
    }
    return 0;
}

void rsn_api_server_destroy(rsn_api_server_t **self_p)
{
    if (self_p == NULL || *self_p == NULL) {
        return;
    }
    rsn_api_server_t *self = *self_p;
    rsn_api_server_detach(self);
    if (self->threaded) {
        rsn_api_front_stop(self);
    }
    zmq_close(self->socket);
    zmq_ctx_term(self->context);
    (void)unlink(self->path);
    close(self->lock_fd); /* the lock file stays: unlinking it would race a new owner */
    free(self->path);
    free(self);
    *self_p = NULL;
}

static void on_readable(rsn_poller_t *poller, int id, int events, void *ctx)
{
    rsn_api_server_t *self = ctx;
    (void)poller;
    (void)id;
    (void)events;
    self->ready(self->ready_ctx);
}

int rsn_api_server_attach(rsn_api_server_t *self, rsn_poller_t *poller, rsn_ready_fn ready,
                          void *ctx)
{
    if (poller == NULL || ready == NULL || self->poller != NULL) {
        return RSN_ERR_INVALID_ARG;
    }
    int rc = rsn_poller_add_socket(poller, self->loop, RSN_POLLER_READABLE, on_readable, self,
                                   &self->watch);
    if (rc == 0) {
        self->poller = poller;
        self->ready = ready;
        self->ready_ctx = ctx;
    }
    return rc;
}

void rsn_api_server_detach(rsn_api_server_t *self)
{
    if (self == NULL || self->poller == NULL) {
        return;
    }
    (void)rsn_poller_remove(self->poller, self->watch);
    self->poller = NULL;
    self->watch = 0;
    self->ready = NULL;
    self->ready_ctx = NULL;
}

int rsn_api_server_wait(rsn_api_server_t *self, int timeout_ms)
{
    zmq_pollitem_t item = {.socket = self->loop, .events = ZMQ_POLLIN};
    int ready = zmq_poll(&item, 1, timeout_ms < 0 ? -1 : timeout_ms);
    if (ready < 0) {
        if (errno == EINTR) {
            return RSN_ERR_INTERRUPTED;
        }
        rsn_error("waiting on the API socket failed: %s", zmq_strerror(errno));
        return RSN_ERR_INTERNAL;
    }
    return ready > 0 && (item.revents & ZMQ_POLLIN) ? 0 : RSN_ERR_TIMEOUT;
}

int rsn_api_server_send(rsn_api_server_t *self, const rsn_api_msg_t *to, const uint8_t *reply,
                        size_t len)
{
    if (self->threaded) {
        /* the channel is shared by every client: a reply waits for room
         * (the front always reads it) rather than being lost */
        return rsn_api_send_channel(self->loop, TAG_REPLY, to, reply, len);
    }
    return rsn_api_send_to(self->socket, 0, to, reply, len);
}

int rsn_api_server_push(rsn_api_server_t *self, const rsn_api_msg_t *to, const uint8_t *event,
                        size_t len)
{
    if (self->threaded) {
        return rsn_api_send_channel(self->loop, TAG_PUSH, to, event, len);
    }
    return rsn_api_send_to(self->socket, 0, to, event, len);
}

int rsn_api_server_recv(rsn_api_server_t *self, rsn_api_msg_t **msg_p)
{
    *msg_p = NULL;
    return self->threaded ? rsn_api_front_recv(self, msg_p) : rsn_api_recv_msg(self->socket, msg_p);
}
