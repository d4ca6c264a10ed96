/* subscriptions.c — live subscriptions and the events sent to them.
 *
 * A fixed table of RSN_SUBSCRIBERS_MAX slots, each the envelope of the
 * client's request (a copy, to reply to later), its request id, the group it
 * follows (or all), and when it expires. A retraction is sent to those of
 * its target's group. Events are built once per entry in
 * an arena and sent to every matching slot; a send that fails ends that
 * subscription (expiry 0), and expired slots are freed after each round. */
#include "daemon/subscriptions.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/why.h"
#include "crypto/crypto.h"
#include "daemon/entry.h"
#include "daemon/group.h"
#include "daemon/report_state.h"
#include "daemon/timeline.h"
#include "daemon/views.h"

typedef struct {
    rsn_api_msg_t *to;
    uint64_t request_id;
    bool all;
    uint8_t group[RSN_ID_BYTES];
    int64_t expires_ms;
} subscriber_t;

struct rsn_subscriptions {
    subscriber_t subs[RSN_SUBSCRIBERS_MAX];
    size_t n_subs;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int rsn_subscriptions_new(rsn_subscriptions_t **out)
{
    *out = calloc(1, sizeof **out);
    return *out == NULL ? RSN_ERR_NOMEM : 0;
}

void rsn_subscriptions_destroy(rsn_subscriptions_t **self_p)
{
    if (self_p == NULL || *self_p == NULL) {
        return;
    }
    rsn_subscriptions_t *self = *self_p;
    for (size_t i = 0; i < self->n_subs; i++) {
        rsn_api_msg_destroy(&self->subs[i].to);
    }
    free(self);
    *self_p = NULL;
}

int rsn_subscriptions_handle(rsn_subscriptions_t *self, rsn_store_t *store, rsn_arena_t *arena,
                             const rsn_api_msg_t *msg, const Raison__ApiRequest *req,
                             Raison__ApiReply *reply, char *why, size_t why_size)
{
    const Raison__SubscribeRequest *sr = req->subscribe;
    subscriber_t *found = NULL;
    for (size_t i = 0; i < self->n_subs; i++) {
        if (self->subs[i].request_id == req->request_id &&
            rsn_api_msg_same_client(self->subs[i].to, msg)) {
            found = &self->subs[i];
        }
    }
    Raison__SubscribeReply *r = rsn_arena_alloc(arena, sizeof *r);
    if (!r) {
        return RSN_ERR_NOMEM;
    }
    raison__subscribe_reply__init(r);
    if (sr->cancel) {
        if (found) {
            found->expires_ms = 0;
        }
        reply->result_case = RAISON__API_REPLY__RESULT_SUBSCRIBE;
        reply->subscribe = r;
        return 0;
    }
    subscriber_t s = {0};
    s.all = true;
    if (sr->group && sr->group[0]) {
        int rc = rsn_group_resolve(store, arena, sr->group, s.group, why, why_size);
        if (rc < 0) {
            return rc;
        }
        s.all = false;
    }
    if (!found) {
        if (self->n_subs >= RSN_SUBSCRIBERS_MAX) {
            return rsn_why(why, why_size, RSN_ERR_BUSY, "too many subscriptions on this node");
        }
        s.to = rsn_api_msg_envelope_copy(msg);
        if (!s.to) {
            return RSN_ERR_NOMEM;
        }
        s.request_id = req->request_id;
        found = &self->subs[self->n_subs++];
        *found = s;
    } else {
        found->all = s.all;
        memcpy(found->group, s.group, RSN_ID_BYTES);
    }
    found->expires_ms = now_ms() + RSN_SUBSCRIPTION_MS;
    r->expires_in_ms = RSN_SUBSCRIPTION_MS;
    reply->result_case = RAISON__API_REPLY__RESULT_SUBSCRIBE;
    reply->subscribe = r;
    return 0;
}

/* The group entry E is about: its own, or for a retraction its target's
 * (from the target's facts when its body is erased). False when none. */
static bool event_group(rsn_store_t *store, rsn_arena_t *arena, const rsn_loaded_t *e,
                        uint8_t group[RSN_ID_BYTES])
{
    if (e->entry->kind != RAISON__KIND__KIND_RETRACTION) {
        return rsn_entry_group(e, group) == 0;
    }
    const Raison__Retraction *r = e->body;
    rsn_loaded_t *t = NULL;
    uint64_t index = 0;
    if (!r || r->target.len != RSN_ID_BYTES ||
        rsn_entry_load(store, arena, r->target.data, &t) != 0) {
        return false;
    }
    return rsn_entry_group(t, group) == 0 || (rsn_entry_index(store, t, &index) == 0 &&
                                              rsn_report_group_of(store, index, group) == 0);
}

static bool sub_matches(const subscriber_t *s, bool has_group, const uint8_t group[RSN_ID_BYTES])
{
    return s->all || (has_group && memcmp(group, s->group, RSN_ID_BYTES) == 0);
}

/* Sends the event EV (about entry E) to every live subscription it matches:
 * those to all entries, and those to the group E is about. */
static void send_event(rsn_subscriptions_t *self, rsn_store_t *store, rsn_api_server_t *api,
                       rsn_arena_t *arena, const rsn_loaded_t *e, Raison__Event *ev)
{
    int64_t now = now_ms();
    uint8_t group[RSN_ID_BYTES];
    bool has_group = event_group(store, arena, e, group);
    for (size_t s = 0; s < self->n_subs; s++) {
        if (self->subs[s].expires_ms <= now || !sub_matches(&self->subs[s], has_group, group)) {
            continue; /* cancelled, expired, or another group */
        }
        Raison__ApiReply reply = RAISON__API_REPLY__INIT;
        reply.request_id = self->subs[s].request_id;
        reply.result_case = RAISON__API_REPLY__RESULT_EVENT;
        reply.event = ev;
        uint8_t *bytes = NULL;
        size_t len = 0;
        if (rsn_pack(arena, &reply.base, &bytes, &len) == 0 &&
            rsn_api_server_push(api, self->subs[s].to, bytes, len) < 0) {
            /* gone or not reading: the subscription ends */
            self->subs[s].expires_ms = 0;
        }
    }
}

void rsn_subscriptions_end_client(rsn_subscriptions_t *self, const rsn_api_msg_t *to)
{
    for (size_t s = 0; s < self->n_subs; s++) {
        if (rsn_api_msg_same_client(self->subs[s].to, to)) {
            self->subs[s].expires_ms = 0;
        }
    }
}

static void expire(rsn_subscriptions_t *self)
{
    int64_t now = now_ms();
    size_t j = 0;
    for (size_t i = 0; i < self->n_subs; i++) {
        if (self->subs[i].expires_ms > now) {
            self->subs[j++] = self->subs[i];
        } else {
            rsn_api_msg_destroy(&self->subs[i].to);
        }
    }
    self->n_subs = j;
}

void rsn_subscriptions_notify(rsn_subscriptions_t *self, rsn_store_t *store, rsn_api_server_t *api,
                              const uint8_t (*ids)[32], size_t count)
{
    for (size_t i = 0; self->n_subs > 0 && i < count; i++) {
        rsn_arena_t *arena = rsn_arena_new();
        if (!arena) {
            break;
        }
        rsn_loaded_t *e = NULL;
        Raison__Event *ev = rsn_arena_alloc(arena, sizeof *ev);
        if (ev && rsn_entry_load(store, arena, ids[i], &e) == 0) {
            raison__event__init(ev);
            if (rsn_view_entry(store, arena, ids[i], &ev->entry) < 0) {
                ev->entry = NULL;
            }
            if (e->entry->kind == RAISON__KIND__KIND_POST &&
                rsn_view_post(store, arena, ids[i], &ev->post) < 0) {
                ev->post = NULL;
            }
            send_event(self, store, api, arena, e, ev);
        }
        rsn_arena_destroy(&arena);
    }
    expire(self);
}
