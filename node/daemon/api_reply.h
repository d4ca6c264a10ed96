/* api_reply.h — building an API reply's error, for every module that answers
 * a client.
 *
 * The dispatch table (daemon/api.c), the event loop (daemon/node.c) and the
 * jobs on worker threads (daemon/background.c) all answer clients, and an
 * error reply is built the same way everywhere: one function, here, so that
 * the modules that send replies later (a verification's end, an export's)
 * need not include the dispatch table that calls them. */
#ifndef RSN_DAEMON_API_REPLY_H
#define RSN_DAEMON_API_REPLY_H

#include <stdint.h>

#include "common/arena.h"
#include "net/api_server.h"
#include "proto/codec.h"

/* Sets REPLY to an error result: CODE (an rsn_err; local codes become
 * ERROR_INTERNAL) and MESSAGE (copied into ARENA; rsn_strerror when empty). */
void rsn_api_error(rsn_arena_t *arena, Raison__ApiReply *reply, int code, const char *message);

/* Sends the client of TO an error reply to REQUEST_ID: CODE and TEXT as
 * rsn_api_error says (a client gone, or out of memory: nothing is sent). */
void rsn_api_send_error(rsn_api_server_t *api, const rsn_api_msg_t *to, uint64_t request_id,
                        int code, const char *text);

#endif
