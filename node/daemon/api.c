/* d_api.c — request validation and dispatch of the API's read calls. */
#include "daemon/api.h"

#include <stdio.h>
#include <string.h>

#include "store/keys.h"
#include "daemon/group.h"
#include "daemon/report.h"
#include "daemon/timeline.h"
#include "daemon/views.h"

static int bad(char *why, size_t why_size, const char *text)
{
    snprintf(why, why_size, "%s", text);
    return RSN_ERR_BAD_REQUEST;
}

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

static int read_head(rsn_store_t *store, rsn_arena_t *arena, const Raison__HeadRequest *req,
                     Raison__ApiReply *reply, char *why, size_t why_size)
{
    if (req->author.len != 32) {
        return bad(why, why_size, "head needs a 32-byte author");
    }
    Raison__HeadReply *h = rsn_arena_alloc(arena, sizeof *h);
    if (!h) {
        return RSN_ERR_NOMEM;
    }
    raison__head_reply__init(h);
    h->author.data = rsn_arena_memdup(arena, req->author.data, 32);
    h->author.len = 32;
    uint8_t k[RSN_KEY_MAX];
    size_t kl = rsn_key_1(k, RSN_TAG_HEAD, req->author.data);
    void *v = NULL;
    size_t vl = 0;
    int rc = rsn_store_get(store, k, kl, &v, &vl);
    if (rc == 0 && vl == 40) {
        h->seq = rsn_be64_get(v);
        h->id.data = rsn_arena_memdup(arena, (uint8_t *)v + 8, 32);
        h->id.len = 32;
    }
    rsn_store_free(v);
    if (rc < 0 && rc != RSN_ERR_NOT_FOUND) {
        return rc;
    }
    kl = rsn_key_1(k, RSN_TAG_FROZEN, req->author.data);
    v = NULL;
    if (rsn_store_get(store, k, kl, &v, &vl) == 0 && vl == 8) {
        h->frozen = true;
        h->fork_seq = rsn_be64_get(v);
    }
    rsn_store_free(v);
    reply->result_case = RAISON__API_REPLY__RESULT_HEAD;
    reply->head = h;
    return 0;
}

static int resolve(rsn_store_t *store, rsn_arena_t *arena, const char *ref, uint8_t group[32],
                   char *why, size_t why_size)
{
    if (!ref || !ref[0]) {
        return bad(why, why_size, "a group is needed (its id, a unique prefix, or its name)");
    }
    if (strlen(ref) > 256) {
        return bad(why, why_size, "group reference is over 256 characters");
    }
    return rsn_group_resolve(store, arena, ref, group, why, why_size);
}

int rsn_api_read(rsn_store_t *store, rsn_arena_t *arena, const Raison__ApiRequest *req,
                 Raison__ApiReply *reply, char *why, size_t why_size)
{
    uint8_t group[32];
    int rc;
    switch (req->call_case) {
    case RAISON__API_REQUEST__CALL_HEAD:
        return read_head(store, arena, req->head, reply, why, why_size);
    case RAISON__API_REQUEST__CALL_ENTRY: {
        if (req->entry->id.len != 32) {
            return bad(why, why_size, "entry needs a 32-byte id");
        }
        Raison__EntryReply *r = rsn_arena_alloc(arena, sizeof *r);
        if (!r) {
            return RSN_ERR_NOMEM;
        }
        raison__entry_reply__init(r);
        rc = rsn_view_entry(store, arena, req->entry->id.data, &r->entry);
        if (rc == RSN_ERR_NOT_FOUND) {
            snprintf(why, why_size, "no entry with that id is held");
        }
        if (rc < 0) {
            return rc;
        }
        reply->result_case = RAISON__API_REPLY__RESULT_ENTRY;
        reply->entry = r;
        return 0;
    }
    case RAISON__API_REQUEST__CALL_TIMELINE: {
        const Raison__TimelineRequest *t = req->timeline;
        if (t->limit > 500) {
            return bad(why, why_size, "timeline limit is at most 500");
        }
        if (t->cursor.len != 0 && t->cursor.len != 40) {
            return bad(why, why_size, "timeline cursor is not one this node gave");
        }
        rc = resolve(store, arena, t->group, group, why, why_size);
        if (rc < 0) {
            return rc;
        }
        rc = rsn_view_timeline(store, arena, group, t, &reply->timeline, why, why_size);
        if (rc == 0) {
            reply->result_case = RAISON__API_REPLY__RESULT_TIMELINE;
        }
        return rc;
    }
    case RAISON__API_REQUEST__CALL_GROUPS:
        if (req->groups->limit > 500) {
            return bad(why, why_size, "groups limit is at most 500");
        }
        if (req->groups->cursor.len != 0 && req->groups->cursor.len != 32) {
            return bad(why, why_size, "groups cursor is not one this node gave");
        }
        rc = rsn_view_groups(store, arena, req->groups, &reply->groups);
        if (rc == 0) {
            reply->result_case = RAISON__API_REPLY__RESULT_GROUPS;
        }
        return rc;
    case RAISON__API_REQUEST__CALL_GROUP:
        rc = resolve(store, arena, req->group->group, group, why, why_size);
        if (rc < 0) {
            return rc;
        }
        rc = rsn_view_group(store, arena, group, &reply->group);
        if (rc == 0) {
            reply->result_case = RAISON__API_REPLY__RESULT_GROUP;
        }
        return rc;
    case RAISON__API_REQUEST__CALL_FEED:
        if (req->feed->author.len != 32) {
            return bad(why, why_size, "feed needs a 32-byte author");
        }
        if (req->feed->limit > 500) {
            return bad(why, why_size, "feed limit is at most 500");
        }
        rc = rsn_view_feed(store, arena, req->feed, &reply->feed);
        if (rc == 0) {
            reply->result_case = RAISON__API_REPLY__RESULT_FEED;
        }
        return rc;
    case RAISON__API_REQUEST__CALL_REPORT:
        rc = resolve(store, arena, req->report->group, group, why, why_size);
        if (rc < 0) {
            return rc;
        }
        rc = rsn_view_report(store, arena, group, &reply->report);
        if (rc == 0) {
            reply->result_case = RAISON__API_REPLY__RESULT_REPORT;
        }
        return rc;
    case RAISON__API_REQUEST__CALL_PROFILE:
        if (req->profile->author.len != 32) {
            return bad(why, why_size, "profile needs a 32-byte author");
        }
        rc = rsn_view_profile(store, arena, req->profile->author.data, &reply->profile);
        if (rc == 0) {
            reply->result_case = RAISON__API_REPLY__RESULT_PROFILE;
        }
        return rc;
    default:
        return bad(why, why_size, "request has no call");
    }
}
