/* api_test.c — the local API's dispatch table (daemon/api.h): every call
 * of the ApiRequest `call` oneof reaches a handler (its answer, whatever it
 * is, is not "request has no call"), a request with no call is
 * ERROR_BAD_REQUEST, and only publish is staged. The node's modules are real
 * (store, ingest, audit, subscriptions, gossip over a transport that
 * only dials, and dials no one); nothing listens. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/api.h"
#include "net/fed.h"
#include "support/keys.h"
#include "support/store_fixture.h"

typedef struct {
    rsn_test_store_t *f;
    rsn_keypair_t *key;
    rsn_audit_t *audit;
    rsn_fed_t *fed;
    rsn_gossip_t *gossip;
    rsn_subscriptions_t *subscriptions;
    rsn_api_ctx_t ctx;
} fixture_t;

static int setup(void **state)
{
    fixture_t *x = calloc(1, sizeof *x);
    uint8_t curve_secret[32];
    memset(curve_secret, 7, sizeof curve_secret);
    if (x == NULL || rsn_crypto_init() != 0 || rsn_test_store_new(&x->f, "rsn-api") != 0 ||
        rsn_test_keypair_seeded(&x->key, 9) != 0 ||
        rsn_audit_new(&x->audit, x->f->store, x->f->ingest, x->key) != 0 ||
        rsn_fed_new(&x->fed, rsn_keypair_public(x->key), curve_secret, NULL) != 0 ||
        rsn_gossip_new(&x->gossip, x->f->store, x->f->ingest, x->fed, rsn_keypair_public(x->key),
                       "test") != 0 ||
        rsn_subscriptions_new(&x->subscriptions) != 0) {
        return -1;
    }
    x->ctx = (rsn_api_ctx_t){.store = x->f->store,
                             .ingest = x->f->ingest,
                             .audit = x->audit,
                             .gossip = x->gossip,
                             .subscriptions = x->subscriptions,
                             .node_key = rsn_keypair_public(x->key),
                             .site = "test",
                             .listen = ""};
    *state = x;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *x = *state;
    rsn_subscriptions_destroy(&x->subscriptions);
    rsn_gossip_destroy(&x->gossip);
    rsn_fed_destroy(&x->fed);
    rsn_audit_destroy(&x->audit);
    rsn_keypair_destroy(&x->key);
    rsn_test_store_destroy(&x->f);
    free(x);
    return 0;
}

static void test_no_call(void **state)
{
    fixture_t *x = *state;
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__ApiReply reply = RAISON__API_REPLY__INIT;
    bool durable = true;
    assert_int_equal(rsn_api_call(&x->ctx, x->f->arena, NULL, &req, &reply, &durable),
                     RSN_ERR_BAD_REQUEST);
    assert_false(durable);
    assert_int_equal(reply.result_case, RAISON__API_REPLY__RESULT_ERROR);
    assert_int_equal(reply.error->code, RAISON__ERROR_CODE__ERROR_BAD_REQUEST);
    assert_string_equal(reply.error->message, "request has no call");
    assert_false(rsn_api_is_staged(RAISON__API_REQUEST__CALL__NOT_SET));
}

static void test_every_call_has_a_handler(void **state)
{
    fixture_t *x = *state;
    const ProtobufCMessageDescriptor *d = &raison__api_request__descriptor;
    size_t calls = 0;
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *fd = &d->fields[i];
        if (fd->type != PROTOBUF_C_TYPE_MESSAGE || !(fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)) {
            continue;
        }
        /* the request with this call set to an empty message */
        Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
        const ProtobufCMessageDescriptor *sub = fd->descriptor;
        ProtobufCMessage *m = rsn_arena_alloc(x->f->arena, sub->sizeof_message);
        assert_non_null(m);
        sub->message_init(m);
        if (fd->id == RAISON__API_REQUEST__CALL_SUBSCRIBE) {
            /* a real subscription needs the client's envelope, from a socket:
             * an unknown group is refused before it is read */
            ((Raison__SubscribeRequest *)m)->group = "no-such-group";
        }
        memcpy((uint8_t *)&req + fd->offset, &m, sizeof m);
        memcpy((uint8_t *)&req + fd->quantifier_offset, &fd->id, sizeof fd->id);
        assert_int_equal(req.call_case, fd->id);

        Raison__ApiReply reply = RAISON__API_REPLY__INIT;
        bool durable = true;
        int rc = rsn_api_call(&x->ctx, x->f->arena, NULL, &req, &reply, &durable);
        if (rc != 0) {
            assert_int_equal(reply.result_case, RAISON__API_REPLY__RESULT_ERROR);
            if (strcmp(reply.error->message, "request has no call") == 0) {
                fail_msg("call %s (%u) has no handler", fd->name, fd->id);
            }
        } else {
            assert_int_not_equal(reply.result_case, RAISON__API_REPLY__RESULT__NOT_SET);
        }
        assert_int_equal(rsn_api_is_staged((int)fd->id),
                         fd->id == RAISON__API_REQUEST__CALL_PUBLISH);
        calls++;
    }
    assert_int_equal(calls, 21); /* status .. forks, draft, reindex: the table's rows */
}

/* REQ packed into a malloc'd buffer (*LEN bytes). */
static uint8_t *packed(const Raison__ApiRequest *req, size_t *len)
{
    *len = raison__api_request__get_packed_size(req);
    uint8_t *buf = malloc(*len ? *len : 1);
    assert_non_null(buf);
    raison__api_request__pack(req, buf);
    return buf;
}

/* The front's answer to REQ on ST: the reply (free with free_unpacked), or
 * NULL when the front passed it to the loop. */
static Raison__ApiReply *front_call(const rsn_api_ctx_t *fixed, rsn_api_state_t *st,
                                    const Raison__ApiRequest *req, int *call, int *rc)
{
    size_t len = 0;
    uint8_t *payload = packed(req, &len);
    uint8_t *out = NULL, note[RSN_API_NOTE_MAX];
    size_t out_len = 0, note_len = 0;
    int answered =
        rsn_api_front_answer((void *)fixed, st, payload, len, &out, &out_len, note, &note_len);
    free(payload);
    if (!answered) {
        assert_int_equal(note_len, 0);
        return NULL;
    }
    double seconds = -1;
    assert_int_equal(rsn_api_note_read(note, note_len, call, rc, &seconds), 0);
    assert_true(seconds >= 0);
    Raison__ApiReply *reply = raison__api_reply__unpack(NULL, out_len, out);
    free(out);
    assert_non_null(reply);
    return reply;
}

/* The front answers the reads from a state: the store as it was when the
 * state was taken, with the figures of then; it passes anything else (a
 * publish, a draft, what does not decode) to the loop. */
static void test_front_answer(void **state)
{
    fixture_t *x = *state;
    rsn_api_ctx_t fixed = {.node_key = x->ctx.node_key, .site = "front", .listen = ""};
    rsn_api_state_t *before = NULL, *after = NULL;
    assert_int_equal(rsn_api_state_new(&x->ctx, NULL, &before), 0);
    assert_true(rsn_api_state_same(&x->ctx, before));

    /* an entry committed after the first state was taken */
    rsn_test_author_t *ada = NULL;
    assert_int_equal(rsn_test_author_new(&ada, 3), 0);
    Raison__Profile profile = RAISON__PROFILE__INIT;
    profile.name = "Ada";
    profile.site = "paris";
    rsn_test_signed_t s;
    assert_int_equal(rsn_test_author_sign(x->f->arena, ada, 1, RAISON__KIND__KIND_PROFILE,
                                          &profile.base, 1000, &s),
                     0);
    rsn_ingest_result_t res;
    assert_int_equal(rsn_test_store_stage(x->f, &s, &res, NULL, 0), 0);
    assert_int_equal(rsn_ingest_commit(x->f->ingest), 0);
    assert_false(rsn_api_state_same(&x->ctx, before));
    assert_int_equal(rsn_api_state_new(&x->ctx, before, &after), 0);

    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    Raison__StatusRequest status = RAISON__STATUS_REQUEST__INIT;
    req.call_case = RAISON__API_REQUEST__CALL_STATUS;
    req.status = &status;
    req.request_id = 41;
    int call = 0, rc = 1;
    Raison__ApiReply *r = front_call(&fixed, before, &req, &call, &rc);
    assert_non_null(r);
    assert_int_equal(r->request_id, 41);
    assert_int_equal(r->result_case, RAISON__API_REPLY__RESULT_STATUS);
    assert_int_equal(r->status->entries, 0);
    assert_string_equal(r->status->site, "front");
    assert_int_equal(call, RAISON__API_REQUEST__CALL_STATUS);
    assert_int_equal(rc, 0);
    raison__api_reply__free_unpacked(r, NULL);
    r = front_call(&fixed, after, &req, &call, &rc);
    assert_int_equal(r->status->entries, 1);
    assert_int_equal(r->status->authors, 1);
    raison__api_reply__free_unpacked(r, NULL);

    /* the entry: not in the first view, in the second */
    Raison__EntryRequest entry = RAISON__ENTRY_REQUEST__INIT;
    entry.id.data = s.id;
    entry.id.len = RSN_ID_BYTES;
    req = (Raison__ApiRequest)RAISON__API_REQUEST__INIT;
    req.call_case = RAISON__API_REQUEST__CALL_ENTRY;
    req.entry = &entry;
    r = front_call(&fixed, before, &req, &call, &rc);
    assert_int_equal(r->result_case, RAISON__API_REPLY__RESULT_ERROR);
    assert_int_equal(r->error->code, RAISON__ERROR_CODE__ERROR_NOT_FOUND);
    assert_int_equal(rc, RSN_ERR_NOT_FOUND);
    raison__api_reply__free_unpacked(r, NULL);
    r = front_call(&fixed, after, &req, &call, &rc);
    assert_int_equal(r->result_case, RAISON__API_REPLY__RESULT_ENTRY);
    assert_memory_equal(r->entry->entry->id.data, s.id, RSN_ID_BYTES);
    raison__api_reply__free_unpacked(r, NULL);

    /* peers: the reply the loop built for the state */
    Raison__PeersRequest peers = RAISON__PEERS_REQUEST__INIT;
    req = (Raison__ApiRequest)RAISON__API_REQUEST__INIT;
    req.call_case = RAISON__API_REQUEST__CALL_PEERS;
    req.peers = &peers;
    req.request_id = 43;
    r = front_call(&fixed, after, &req, &call, &rc);
    assert_int_equal(r->request_id, 43);
    assert_int_equal(r->result_case, RAISON__API_REPLY__RESULT_PEERS);
    assert_int_equal(r->peers->n_peers, 0);
    assert_string_equal(r->peers->listen, "");
    assert_int_equal(call, RAISON__API_REQUEST__CALL_PEERS);
    raison__api_reply__free_unpacked(r, NULL);

    /* a publish, a draft, a subscribe and garbage go to the loop */
    Raison__PublishRequest publish = RAISON__PUBLISH_REQUEST__INIT;
    req = (Raison__ApiRequest)RAISON__API_REQUEST__INIT;
    req.call_case = RAISON__API_REQUEST__CALL_PUBLISH;
    req.publish = &publish;
    assert_null(front_call(&fixed, after, &req, &call, &rc));
    Raison__DraftRequest draft = RAISON__DRAFT_REQUEST__INIT;
    req.call_case = RAISON__API_REQUEST__CALL_DRAFT;
    req.draft = &draft;
    assert_null(front_call(&fixed, after, &req, &call, &rc));
    Raison__SubscribeRequest sub = RAISON__SUBSCRIBE_REQUEST__INIT;
    req.call_case = RAISON__API_REQUEST__CALL_SUBSCRIBE;
    req.subscribe = &sub;
    assert_null(front_call(&fixed, after, &req, &call, &rc));
    uint8_t *out = NULL, note[RSN_API_NOTE_MAX];
    size_t out_len = 0, note_len = 0;
    assert_int_equal(rsn_api_front_answer(&fixed, after, (const uint8_t *)"\xff\xff", 2, &out,
                                          &out_len, note, &note_len),
                     0);
    assert_int_equal(rsn_api_note_read(note, 3, &call, &rc, &(double){0}), RSN_ERR_BAD_REQUEST);

    rsn_api_state_free(before);
    rsn_api_state_free(after);
    rsn_api_state_free(NULL);
    rsn_test_author_destroy(&ada);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_no_call, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_call_has_a_handler, setup, teardown),
        cmocka_unit_test_setup_teardown(test_front_answer, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
