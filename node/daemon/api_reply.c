/* api_reply.c — an API reply's error result (daemon/api_reply.h). */
#include "daemon/api_reply.h"

#include "common/err.h"

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
