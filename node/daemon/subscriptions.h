/* subscriptions.h — the API's live subscriptions: who wants which entries.
 *
 * A client subscribes (to every entry, or to one group's) with a request id;
 * each entry committed afterwards is sent to it as an Event reply carrying
 * that id. A subscription lasts RSN_SUBSCRIPTION_MS unless renewed (the same
 * request again), ends when cancelled, and ends at once when its client is
 * gone or does not read. At most RSN_SUBSCRIBERS_MAX are live. */
#ifndef RSN_DAEMON_SUBSCRIPTIONS_H
#define RSN_DAEMON_SUBSCRIPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/err.h"
#include "net/api_server.h"
#include "proto/codec.h"
#include "store/store.h"

#define RSN_SUBSCRIBERS_MAX 64    /* live subscriptions */
#define RSN_SUBSCRIPTION_MS 60000 /* a subscription not renewed ends after this */

typedef struct rsn_subscriptions rsn_subscriptions_t;

/* An empty set: 0 and *OUT, or RSN_ERR_NOMEM. */
RSN_NODISCARD int rsn_subscriptions_new(rsn_subscriptions_t **out);

/* Frees the set and its envelopes; accepts NULL; sets *SELF_P to NULL. */
void rsn_subscriptions_destroy(rsn_subscriptions_t **self_p);

/* Answers a subscribe request REQ from the client of MSG (subscribe, renew
 * or cancel) into REPLY. 0, or an rsn_err with WHY (an unknown group,
 * RSN_ERR_BUSY when RSN_SUBSCRIBERS_MAX are live). */
RSN_NODISCARD int rsn_subscriptions_handle(rsn_subscriptions_t *self, rsn_store_t *store,
                                           rsn_arena_t *arena, const rsn_api_msg_t *msg,
                                           const Raison__ApiRequest *req, Raison__ApiReply *reply,
                                           char *why, size_t why_size);

/* Sends one event per committed entry of IDS (COUNT) to each matching live
 * subscription through API, then drops the expired and the ended ones. */
void rsn_subscriptions_notify(rsn_subscriptions_t *self, rsn_store_t *store, rsn_api_server_t *api,
                              const uint8_t (*ids)[32], size_t count);

/* Ends every subscription of the client of TO (an event to it could not be
 * queued: gone, or not reading); they are dropped at the next notify. */
void rsn_subscriptions_end_client(rsn_subscriptions_t *self, const rsn_api_msg_t *to);

#endif
