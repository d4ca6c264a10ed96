/* api_reply.c — an API reply's error result (daemon/api_reply.h). */
#include "daemon/api_reply.h"

#include "common/err.h"
#include "common/log.h"

void rsn_api_error(rsn_arena_t *arena, Raison__ApiReply *reply, int code, const char *message)
{
    Raison__Error *err = rsn_arena_alloc(arena, sizeof *err);
    if (!err) {
        return;
    }
    raison__error__init(err);
    int wire = code <= -100 || code >= 0 ? -RSN_ERR_INTERNAL : -code;
    err->code = (Raison__ErrorCode)wire;
    const char *text = message && message[0] ? message : rsn_strerror(code);
    err->message = rsn_arena_strdup(arena, text);
    if (!err->message) {
        err->message = (char *)"";
    }
    reply->result_case = RAISON__API_REPLY__RESULT_ERROR;
    reply->error = err;
}

void rsn_api_send_error(rsn_api_server_t *api, const rsn_api_msg_t *to, uint64_t request_id,
                        int code, const char *text)
{
    rsn_arena_t *arena = rsn_arena_new();
    uint8_t *bytes = NULL;
    size_t len = 0;
    Raison__ApiReply reply = RAISON__API_REPLY__INIT;
    reply.request_id = request_id;
    if (arena) {
        rsn_api_error(arena, &reply, code, text);
    }
    if (arena && rsn_pack(arena, &reply.base, &bytes, &len) == 0 &&
        rsn_api_server_send(api, to, bytes, len) < 0) {
        rsn_debug("api: a client left before its reply");
    }
    rsn_arena_destroy(&arena);
}
