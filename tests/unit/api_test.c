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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_no_call, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_call_has_a_handler, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
