/* fed_zap.c — the federation transport's gatekeeper: a ZAP handler (RFC 27).
 *
 * A REP socket bound to inproc://zeromq.zap.01 in the transport's context,
 * bound before the ROUTER so no CURVE handshake can ever happen without it,
 * answers libzmq's authentication requests: a connection is admitted only
 * when the request is for our ROUTER's domain (FED_ZAP_DOMAIN: a request for
 * another one is no socket of ours) and its Curve25519 key is a trusted
 * peer's that is not banned, and the reply's User-Id (the peer's node key in
 * hex) is what every frame of that connection is later attributed by. A refused key is logged and
 * reported as a REFUSED link event, at most once per key per minute, so an untrusted node that
 * keeps dialling cannot flood the log; and, since anyone can make a fresh key for every connection,
 * at most FED_REFUSED_LINES refusals are logged in a window of FED_REFUSED_WINDOW_MS whatever the
 * keys: the others are counted and told in one summary line when the window ends. The handler runs
 * in the caller's thread, whenever the transport is serviced. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <zmq.h>

#include "common/log.h"
#include "net/fed_private.h"

/* Ends the refusals' log window when it is over, with a summary line. */
void fed_zap_tick(rsn_fed_t *self, int64_t now)
{
    if (self->refused_window_ms == 0 || now - self->refused_window_ms < FED_REFUSED_WINDOW_MS) {
        return;
    }
    if (self->refused_quiet + self->refused_quiet_bare > 0) {
        rsn_warn("federation: %" PRIu64 " more connections of untrusted keys and %" PRIu64
                 " others (no CURVE key, another ZAP domain) refused in the last %d s"
                 " (not logged one by one)",
                 self->refused_quiet, self->refused_quiet_bare, FED_REFUSED_WINDOW_MS / 1000);
    }
    self->refused_window_ms = 0;
    self->refused_lines = 0;
    self->refused_quiet = 0;
    self->refused_quiet_bare = 0;
}

/* True when one more refusal may be logged in this window (and counts it);
 * false when it is only counted for the window's summary. */
static bool may_log_refusal(rsn_fed_t *self, int64_t now, bool bare)
{
    fed_zap_tick(self, now);
    if (self->refused_window_ms == 0) {
        self->refused_window_ms = now;
    }
    if (self->refused_lines < FED_REFUSED_LINES) {
        self->refused_lines++;
        return true;
    }
    if (bare) {
        self->refused_quiet_bare++;
    } else {
        self->refused_quiet++;
    }
    return false;
}

/* Logs and reports a refused curve key, at most once per key per minute and
 * within the window's budget. */
static void note_refused(rsn_fed_t *self, const uint8_t *curve, int64_t now)
{
    fed_refused_t *slot = NULL;
    fed_refused_t *oldest = &self->refused[0];
    for (size_t i = 0; i < FED_REFUSED_SLOTS; i++) {
        fed_refused_t *r = &self->refused[i];
        if (r->logged_ms != 0 && memcmp(r->curve, curve, RSN_KEY_BYTES) == 0) {
            slot = r;
            break;
        }
        if (r->logged_ms < oldest->logged_ms) {
            oldest = r;
        }
    }
    if (slot != NULL && now - slot->logged_ms < FED_REFUSED_LOG_MS) {
        return;
    }
    if (!may_log_refusal(self, now, false)) {
        return;
    }
    if (slot == NULL) {
        slot = oldest;
        memcpy(slot->curve, curve, RSN_KEY_BYTES);
    }
    slot->logged_ms = now;
    char hex[RSN_KEY_HEX + 1];
    rsn_hex_encode(hex, sizeof hex, curve, RSN_KEY_BYTES);
    rsn_warn("federation: refused an untrusted node (curve key %s)", hex);
    fed_push_event(self, RSN_FED_EVENT_REFUSED, curve);
}

/* Decides one ZAP request (RFC 27) of REQ frames; fills the reply. */
static bool zap_decide(rsn_fed_t *self, zmq_msg_t *req, size_t count, const char **user_id)
{
    *user_id = "";
    /* version, request id, domain, address, identity, mechanism, credentials */
    if (count != 7 || zmq_msg_size(&req[0]) != 3 || memcmp(zmq_msg_data(&req[0]), "1.0", 3) != 0 ||
        zmq_msg_size(&req[5]) != 5 || memcmp(zmq_msg_data(&req[5]), "CURVE", 5) != 0 ||
        zmq_msg_size(&req[6]) != RSN_KEY_BYTES) {
        if (may_log_refusal(self, fed_mono_ms(), true)) {
            rsn_warn("federation: refused a connection without a CURVE key");
        }
        return false;
    }
    if (zmq_msg_size(&req[2]) != strlen(FED_ZAP_DOMAIN) ||
        memcmp(zmq_msg_data(&req[2]), FED_ZAP_DOMAIN, strlen(FED_ZAP_DOMAIN)) != 0) {
        /* only our ROUTER sets this domain; any other socket is not ours to admit */
        if (may_log_refusal(self, fed_mono_ms(), true)) {
            rsn_warn("federation: refused a ZAP request for another domain");
        }
        return false;
    }
    const uint8_t *curve = zmq_msg_data(&req[6]);
    fed_peer_t *peer = fed_find_curve(self, curve);
    if (peer == NULL) {
        note_refused(self, curve, fed_mono_ms());
        return false;
    }
    if (peer->banned_until_ms != 0) {
        rsn_debug("federation: refused banned node %s", peer->user_id);
        return false;
    }
    *user_id = peer->user_id;
    return true;
}

/* Answers every ZAP request waiting, without blocking. */
void fed_zap_drain(rsn_fed_t *self)
{
    for (;;) {
        zmq_msg_t req[FED_ZAP_FRAMES];
        size_t count = 0;
        bool more = true;
        bool overflow = false;
        zmq_msg_t frame;
        zmq_msg_init(&frame);
        if (zmq_msg_recv(&frame, self->zap, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&frame);
            return;
        }
        while (more) {
            more = zmq_msg_more(&frame);
            if (count < FED_ZAP_FRAMES) {
                zmq_msg_init(&req[count]);
                zmq_msg_move(&req[count++], &frame);
            } else {
                overflow = true;
            }
            if (more && zmq_msg_recv(&frame, self->zap, 0) < 0) {
                break;
            }
        }
        zmq_msg_close(&frame);

        const char *user_id = "";
        bool admit = !overflow && zap_decide(self, req, count, &user_id);
        const void *request_id = count > 1 ? zmq_msg_data(&req[1]) : "";
        size_t request_id_len = count > 1 ? zmq_msg_size(&req[1]) : 0;
        const char *status = admit ? "200" : "400";
        const char *text = admit ? "OK" : "not a trusted node";
        if (zmq_send(self->zap, "1.0", 3, ZMQ_SNDMORE) < 0 ||
            zmq_send(self->zap, request_id, request_id_len, ZMQ_SNDMORE) < 0 ||
            zmq_send(self->zap, status, 3, ZMQ_SNDMORE) < 0 ||
            zmq_send(self->zap, text, strlen(text), ZMQ_SNDMORE) < 0 ||
            zmq_send(self->zap, user_id, strlen(user_id), ZMQ_SNDMORE) < 0 ||
            zmq_send(self->zap, "", 0, 0) < 0) {
            rsn_error("federation: cannot answer a ZAP request: %s", zmq_strerror(errno));
        }
        for (size_t i = 0; i < count; i++) {
            zmq_msg_close(&req[i]);
        }
    }
}
