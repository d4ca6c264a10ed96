/* raison/client.h — libraison-client: a C program's way to a raison node.
 *
 * A raison node (raisond) serves its site through a local API: a ZeroMQ
 * socket on a Unix path, protobuf messages (raison.proto, installed under
 * share/raison/, and the C code protoc-c made of it: <raison/raison.pb-c.h>).
 * This library connects, sends an ApiRequest and waits for its ApiReply; the
 * messages are protoc-c's, so everything the API offers is reachable
 * (docs/api.md, installed as the man page raison(1)'s companion, says what
 * each call does). Build with `pkg-config --cflags --libs raison`.
 *
 *     raison_client *c = NULL;
 *     if (raison_client_connect(&c, NULL, 5000) == 0) {
 *         Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
 *         Raison__StatusRequest status = RAISON__STATUS_REQUEST__INIT;
 *         req.call_case = RAISON__API_REQUEST__CALL_STATUS;
 *         req.status = &status;
 *         Raison__ApiReply *reply = NULL;
 *         if (raison_client_call(c, &req, &reply) == 0) { ...; raison_reply_free(reply); }
 *         raison_client_close(&c);
 *     }
 *
 * Functions return 0 or a negative code that raison_strerror names. A
 * client is used by one thread at a time. */
#ifndef RAISON_CLIENT_H
#define RAISON_CLIENT_H

#include <stddef.h>

#include <raison/raison.pb-c.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct raison_client raison_client;

/* Connects to the node whose API socket is SOCKET_PATH; NULL: the default
 * (raison_default_socket). Replies are awaited at most TIMEOUT_MS (-1:
 * forever). 0 and *OUT; a negative code when no node answers there. */
int raison_client_connect(raison_client **out, const char *socket_path, int timeout_ms);

/* Closes the connection; accepts NULL; sets *CLIENT to NULL. */
void raison_client_close(raison_client **client);

/* Sends REQ (its request_id is set by the library) and waits for its reply.
 * 0 and *REPLY, which the caller frees with raison_reply_free; the reply
 * may carry an `error` result, which is the node's answer, not a failure of
 * the call. A negative code on a timeout or a lost node. */
int raison_client_call(raison_client *client, Raison__ApiRequest *req, Raison__ApiReply **reply);

/* Frees a reply of raison_client_call; accepts NULL. */
void raison_reply_free(Raison__ApiReply *reply);

/* The default socket path into BUF (SIZE bytes): $RAISON_SOCKET when set;
 * else $XDG_DATA_HOME/raison/raison.sock (~/.local/share/raison/...) when a
 * socket is there; else /run/raison/raison.sock (the system service's) when
 * one is there; else the per-user path. 0, or a negative code when BUF is too
 * small or no HOME is set. */
int raison_default_socket(char *buf, size_t size);

/* A sentence for a negative code of this library. */
const char *raison_strerror(int code);

#ifdef __cplusplus
}
#endif

#endif
