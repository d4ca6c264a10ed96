/* support/api.c — the API calls tests, tools and benchmarks make, through
 * the real client library. Complaints go to stderr after the program's name
 * (program_invocation_short_name), so the same helper speaks for api_tool or
 * for bench_catchup. */
#define _GNU_SOURCE /* program_invocation_short_name */
#include "support/api.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define ME program_invocation_short_name

void rsn_test_reply_free(Raison__ApiReply *reply)
{
    if (reply != NULL) {
        raison__api_reply__free_unpacked(reply, NULL);
    }
}

int rsn_test_api_call(rsn_client_t *client, Raison__ApiRequest *req,
                      Raison__ApiReply__ResultCase wanted, Raison__ApiReply **reply)
{
    *reply = NULL;
    int rc = rsn_client_call(client, req, reply);
    if (rc != 0) {
        fprintf(stderr, "%s: API call failed: %s\n", ME, rsn_strerror(rc));
        return rc;
    }
    if ((*reply)->result_case == wanted) {
        return 0;
    }
    if ((*reply)->result_case == RAISON__API_REPLY__RESULT_ERROR && (*reply)->error != NULL) {
        fprintf(stderr, "%s: API error %d: %s\n", ME, (int)(*reply)->error->code,
                (*reply)->error->message ? (*reply)->error->message : "");
        rc = RSN_ERR_BAD_REQUEST;
    } else {
        fprintf(stderr, "%s: unexpected API reply %d\n", ME, (int)(*reply)->result_case);
        rc = RSN_ERR_INTERNAL;
    }
    rsn_test_reply_free(*reply);
    *reply = NULL;
    return rc;
}

int rsn_test_api_status(rsn_client_t *client, uint64_t *entries, uint32_t *connected)
{
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__StatusRequest st = RAISON__STATUS_REQUEST__INIT;
    Raison__ApiReply *reply = NULL;
    req.call_case = RAISON__API_REQUEST__CALL_STATUS;
    req.status = &st;
    int rc = rsn_test_api_call(client, &req, RAISON__API_REPLY__RESULT_STATUS, &reply);
    if (rc != 0) {
        return rc;
    }
    if (entries != NULL) {
        *entries = reply->status->entries;
    }
    if (connected != NULL) {
        *connected = reply->status->peers_connected;
    }
    rsn_test_reply_free(reply);
    return 0;
}

int rsn_test_api_peers(rsn_client_t *client, Raison__ApiReply **reply)
{
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__PeersRequest pr = RAISON__PEERS_REQUEST__INIT;
    req.call_case = RAISON__API_REQUEST__CALL_PEERS;
    req.peers = &pr;
    return rsn_test_api_call(client, &req, RAISON__API_REPLY__RESULT_PEERS, reply);
}

const Raison__PeerInfo *rsn_test_api_peer_of(const Raison__ApiReply *reply,
                                             const uint8_t key[RSN_KEY_BYTES])
{
    for (size_t i = 0; i < reply->peers->n_peers; i++) {
        const Raison__PeerInfo *p = reply->peers->peers[i];
        if (p->key.len == RSN_KEY_BYTES && memcmp(p->key.data, key, RSN_KEY_BYTES) == 0) {
            return p;
        }
    }
    return NULL;
}

int rsn_test_api_head(rsn_client_t *client, const uint8_t author[RSN_KEY_BYTES], uint64_t *seq,
                      uint8_t id[RSN_ID_BYTES], bool *frozen)
{
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__HeadRequest head = RAISON__HEAD_REQUEST__INIT;
    Raison__ApiReply *reply = NULL;

    head.author.data = (uint8_t *)author;
    head.author.len = RSN_KEY_BYTES;
    req.call_case = RAISON__API_REQUEST__CALL_HEAD;
    req.head = &head;
    int rc = rsn_test_api_call(client, &req, RAISON__API_REPLY__RESULT_HEAD, &reply);
    if (rc != 0) {
        return rc;
    }
    *seq = reply->head->seq;
    *frozen = reply->head->frozen;
    memset(id, 0, RSN_ID_BYTES);
    if (reply->head->seq > 0) {
        if (reply->head->id.len != RSN_ID_BYTES) {
            fprintf(stderr, "%s: the head's id is %zu bytes\n", ME, reply->head->id.len);
            rsn_test_reply_free(reply);
            return RSN_ERR_INTERNAL;
        }
        memcpy(id, reply->head->id.data, RSN_ID_BYTES);
    }
    rsn_test_reply_free(reply);
    return 0;
}

/* Fills REQ, PUB and SE as the publish of S. */
static void publish_request(Raison__ApiRequest *req, Raison__PublishRequest *pub,
                            Raison__SignedEntry *se, const rsn_test_signed_t *s, bool with_body)
{
    se->entry.data = s->entry;
    se->entry.len = s->entry_len;
    se->signature.data = (uint8_t *)s->sig;
    se->signature.len = RSN_SIG_BYTES;
    if (with_body) {
        se->body.data = s->body;
        se->body.len = s->body_len;
    }
    pub->entry = se;
    req->call_case = RAISON__API_REQUEST__CALL_PUBLISH;
    req->publish = pub;
}

int rsn_test_api_send_publish(rsn_client_t *client, const rsn_test_signed_t *s, bool with_body)
{
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__PublishRequest pub = RAISON__PUBLISH_REQUEST__INIT;
    Raison__SignedEntry se = RAISON__SIGNED_ENTRY__INIT;
    publish_request(&req, &pub, &se, s, with_body);
    return rsn_client_send(client, &req, NULL);
}

int rsn_test_api_publish(rsn_client_t *client, const rsn_test_signed_t *s, bool with_body,
                         Raison__ApiReply **reply)
{
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__PublishRequest pub = RAISON__PUBLISH_REQUEST__INIT;
    Raison__SignedEntry se = RAISON__SIGNED_ENTRY__INIT;
    publish_request(&req, &pub, &se, s, with_body);
    *reply = NULL;
    int rc = rsn_client_call(client, &req, reply);
    if (rc != 0) {
        fprintf(stderr, "%s: publish call failed: %s\n", ME, rsn_strerror(rc));
    }
    return rc;
}

bool rsn_test_api_acknowledges(const Raison__ApiReply *reply, const rsn_test_signed_t *s,
                               size_t index, bool allow_duplicate)
{
    if (reply->result_case == RAISON__API_REPLY__RESULT_ERROR && reply->error != NULL) {
        fprintf(stderr, "%s: publish %zu refused (%d): %s\n", ME, index, (int)reply->error->code,
                reply->error->message ? reply->error->message : "");
        return false;
    }
    if (reply->result_case != RAISON__API_REPLY__RESULT_PUBLISH ||
        reply->publish->id.len != RSN_ID_BYTES ||
        memcmp(reply->publish->id.data, s->id, RSN_ID_BYTES) != 0) {
        fprintf(stderr, "%s: reply %zu is not the ack of what was sent\n", ME, index);
        return false;
    }
    if (reply->publish->duplicate && !allow_duplicate) {
        fprintf(stderr, "%s: publish %zu was taken as a duplicate\n", ME, index);
        return false;
    }
    return true;
}

int rsn_test_api_publish_all(rsn_client_t *client, rsn_test_signed_t *const *order, size_t n,
                             const rsn_test_publish_opts_t *o)
{
    size_t sent = 0;
    size_t acked = 0;
    size_t inflight = o->inflight > 0 ? o->inflight : 1;
    while (acked < n) {
        while (sent < n && sent - acked < inflight) {
            int rc = rsn_test_api_send_publish(client, order[sent], true);
            if (rc != 0) {
                fprintf(stderr, "%s: send %zu failed: %s\n", ME, sent, rsn_strerror(rc));
                return rc;
            }
            sent++;
        }
        Raison__ApiReply *reply = NULL;
        int rc = rsn_client_recv(client, &reply);
        if (rc != 0) {
            fprintf(stderr, "%s: no reply after %zu acks: %s\n", ME, acked, rsn_strerror(rc));
            return rc;
        }
        bool ok = rsn_test_api_acknowledges(reply, order[acked], acked, o->allow_duplicate);
        int stop = ok && o->on_reply != NULL ? o->on_reply(o->ctx, acked, order[acked], reply) : 0;
        rsn_test_reply_free(reply);
        if (!ok) {
            return RSN_ERR_BAD_REQUEST;
        }
        if (stop != 0) {
            return stop;
        }
        if (o->on_ack != NULL) {
            o->on_ack(o->ctx, order[acked]);
        }
        acked++;
    }
    return 0;
}
