/* support/api.h — the API calls tests, tools and benchmarks make.
 *
 * The integration tools (api_tool, hostile_tool) and the benchmarks talk to
 * a running raisond through the real client library (net/client.h), and they
 * all need the same few calls: status, peers, an author's head, and publish
 * (one at a time, or pipelined with many requests in flight). Each helper
 * fills the request, sends it, checks the reply's kind and says on stderr,
 * after the program's name, what went wrong. Functions return 0 or a
 * negative rsn_err: the transport's code, RSN_ERR_BAD_REQUEST when the node
 * answered with an error, RSN_ERR_INTERNAL for a reply of the wrong kind.
 * Replies a caller receives are freed with rsn_test_reply_free. */
#ifndef RSN_TEST_API_H
#define RSN_TEST_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "crypto/crypto.h"
#include "net/client.h"
#include "raison.pb-c.h"
#include "support/entries.h"

/* Frees a reply the client library gave; accepts NULL. */
void rsn_test_reply_free(Raison__ApiReply *reply);

/* Sends REQ on CLIENT and waits for its reply: 0 and *REPLY when the reply's
 * result is WANTED (the caller frees it), else an error (*REPLY NULL). */
RSN_NODISCARD int rsn_test_api_call(rsn_client_t *client, Raison__ApiRequest *req,
                                    Raison__ApiReply__ResultCase wanted, Raison__ApiReply **reply);

/* The status of the node behind CLIENT: its *ENTRIES and the number of its
 * peers linked right now, *CONNECTED (either may be NULL). */
RSN_NODISCARD int rsn_test_api_status(rsn_client_t *client, uint64_t *entries, uint32_t *connected);

/* The peers reply of the node behind CLIENT into *REPLY (the caller frees
 * it). */
RSN_NODISCARD int rsn_test_api_peers(rsn_client_t *client, Raison__ApiReply **reply);

/* The entry of a peers REPLY for the peer whose node key is KEY, or NULL. */
const Raison__PeerInfo *rsn_test_api_peer_of(const Raison__ApiReply *reply,
                                             const uint8_t key[RSN_KEY_BYTES]);

/* The head of AUTHOR at the node behind CLIENT: *SEQ (0 for an empty feed),
 * its ID (zeroed when *SEQ is 0) and whether the feed is *FROZEN. */
RSN_NODISCARD int rsn_test_api_head(rsn_client_t *client, const uint8_t author[RSN_KEY_BYTES],
                                    uint64_t *seq, uint8_t id[RSN_ID_BYTES], bool *frozen);

/* Sends a publish of S (with its body when WITH_BODY) without waiting for
 * the reply: the transport's code. */
RSN_NODISCARD int rsn_test_api_send_publish(rsn_client_t *client, const rsn_test_signed_t *s,
                                            bool with_body);

/* Publishes S (with its body when WITH_BODY) and waits for the reply, of
 * whatever kind, into *REPLY (the caller frees it; an error result is the
 * node's answer, not a failure): the transport's code. */
RSN_NODISCARD int rsn_test_api_publish(rsn_client_t *client, const rsn_test_signed_t *s,
                                       bool with_body, Raison__ApiReply **reply);

/* True when REPLY acknowledges the publish of S (the same id; and a fresh
 * store, not a duplicate, unless ALLOW_DUPLICATE); else says why, naming the
 * publish by its INDEX. */
bool rsn_test_api_acknowledges(const Raison__ApiReply *reply, const rsn_test_signed_t *s,
                               size_t index, bool allow_duplicate);

/* How rsn_test_api_publish_all publishes: requests kept in flight, whether
 * a duplicate counts as acknowledged, a function told of each ack in order
 * (NULL: none), and one shown each acknowledging reply (NULL: none), which
 * may stop the publishing by returning non-zero: publish_all then returns
 * that code at once, requests still in flight left unanswered. */
typedef struct {
    size_t inflight;
    bool allow_duplicate;
    void (*on_ack)(void *ctx, const rsn_test_signed_t *s);
    void *ctx;
    int (*on_reply)(void *ctx, size_t index, const rsn_test_signed_t *s,
                    const Raison__ApiReply *reply);
} rsn_test_publish_opts_t;

/* Publishes the N entries ORDER points at, in that order, keeping up to
 * O->inflight requests in flight on the one connection; 0 when every reply
 * acknowledged what was sent (rsn_test_api_acknowledges), else the first
 * failure. */
RSN_NODISCARD int rsn_test_api_publish_all(rsn_client_t *client, rsn_test_signed_t *const *order,
                                           size_t n, const rsn_test_publish_opts_t *o);

#endif
