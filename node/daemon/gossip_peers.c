/* gossip_peers.c — the gossip engine's peer table and what it counts per peer.
 *
 * One slot per peer the transport delivered a frame or a link event for, found
 * by node key. Here live the rules every exchange shares: a peer's invalid
 * frames and entries are struck, and RSN_GOSSIP_BAN_AFTER strikes ban it for
 * RSN_GOSSIP_BAN_MS (rsn_fed_ban) and drop what it still owed or left
 * waiting; requests are budgeted per second (flood control); a frame is sent
 * without blocking, and a peer whose queue stays full is struck. The Hello
 * exchange (site, protocol version: two nodes speak the lower) is here. The API's
 * view of the peers (rsn_gossip_peers, rsn_gossip_counts) and forgetting
 * peers no longer configured are here too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "daemon/entry.h"
#include "daemon/gossip_internal.h"

#define REQUESTS_PER_SECOND 50 /* digests' follow-ups a peer may ask of us */
#define WANTS_PER_SECOND 1000  /* Wants (honest peers keep two in flight) */

int64_t gossip_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *gossip_hex8(char out[HEX8_SIZE], const uint8_t key[RSN_KEY_BYTES])
{
    rsn_hex_encode(out, HEX8_SIZE, key, 8);
    return out;
}

peer_t *gossip_peer(rsn_gossip_t *self, const uint8_t key[RSN_KEY_BYTES], bool create)
{
    peer_t *free_slot = NULL;
    for (int i = 0; i < RSN_FED_MAX_PEERS; i++) {
        peer_t *p = &self->peers[i];
        if (p->used && memcmp(p->key, key, RSN_KEY_BYTES) == 0) {
            return p;
        }
        if (!p->used && !free_slot) {
            free_slot = p;
        }
    }
    if (!create || !free_slot) {
        return NULL;
    }
    memset(free_slot, 0, sizeof *free_slot);
    free_slot->used = true;
    memcpy(free_slot->key, key, RSN_KEY_BYTES);
    return free_slot;
}

int gossip_peer_slot(const rsn_gossip_t *self, const peer_t *p)
{
    return (int)(p - self->peers);
}

void gossip_peer_clear(peer_t *p)
{
    free(p->queue);
    gossip_witness_clear(&p->witness);
    memset(p, 0, sizeof *p);
}

void gossip_strike(rsn_gossip_t *self, peer_t *p, const char *what)
{
    p->dropped++;
    snprintf(p->last_error, sizeof p->last_error, "%s", what);
    if (++p->strikes >= RSN_GOSSIP_BAN_AFTER) {
        char h[HEX8_SIZE];
        rsn_warn("gossip: peer %s keeps sending invalid data (%s): banned for %d s",
                 gossip_hex8(h, p->key), what, RSN_GOSSIP_BAN_MS / 1000);
        rsn_fed_ban(self->fed, p->key, RSN_GOSSIP_BAN_MS, what);
        gossip_drop_waiting_of(self, gossip_peer_slot(self, p));
        p->strikes = 0;
        p->linked = false;
        gossip_forget_wants(p);
        p->n_queue = 0;
    }
}

bool gossip_allow_request(rsn_gossip_t *self, peer_t *p, bool want)
{
    int64_t now = gossip_now_ms();
    if (now - p->window_start_ms >= 1000) {
        p->window_start_ms = now;
        p->requests_in_window = 0;
        p->wants_in_window = 0;
    }
    if (want ? ++p->wants_in_window > WANTS_PER_SECOND
             : ++p->requests_in_window > REQUESTS_PER_SECOND) {
        gossip_strike(self, p, "too many requests");
        return false;
    }
    return true;
}

void gossip_send(rsn_gossip_t *self, peer_t *p, rsn_arena_t *arena, Raison__FedFrame *f)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (rsn_pack(arena, &f->base, &bytes, &len) < 0) {
        return;
    }
    int rc = rsn_fed_send(self->fed, p->key, bytes, len);
    if (rc == RSN_ERR_BUSY) {
        /* its queue is full: it does not read what it asked for (one strike a
         * second at most, so a briefly slow peer is not banned) */
        int64_t now = gossip_now_ms();
        if (now - p->last_busy_ms >= 1000) {
            p->last_busy_ms = now;
            gossip_strike(self, p, "does not read: its queue is full");
        }
    } else if (rc < 0 && rc != RSN_ERR_UNAVAILABLE) {
        snprintf(p->last_error, sizeof p->last_error, "send: %s", rsn_strerror(rc));
    }
}

void gossip_send_frame(rsn_gossip_t *self, peer_t *p, Raison__FedFrame *f)
{
    rsn_arena_t *arena = rsn_arena_new();
    if (arena) {
        gossip_send(self, p, arena, f);
    }
    rsn_arena_destroy(&arena);
}

void gossip_send_hello(rsn_gossip_t *self, peer_t *p)
{
    Raison__Hello h = RAISON__HELLO__INIT;
    h.node_key.data = self->node_key;
    h.node_key.len = RSN_KEY_BYTES;
    h.site = self->site;
    h.version = (char *)RSN_VERSION;
    h.protocol = RSN_FED_PROTOCOL;
    Raison__FedFrame f = RAISON__FED_FRAME__INIT;
    f.msg_case = RAISON__FED_FRAME__MSG_HELLO;
    f.hello = &h;
    gossip_send_frame(self, p, &f);
}

void gossip_on_hello(peer_t *p, const Raison__Hello *h)
{
    if (h->site) {
        snprintf(p->site, sizeof p->site, "%s", h->site);
    }
    p->protocol = h->protocol;
    if (h->protocol < RSN_FED_PROTOCOL_PAGED_HEADS && !p->told_old) {
        /* still served what it asks: the first page of heads, as it knows */
        char hex[HEX8_SIZE];
        rsn_info("gossip: peer %s speaks federation protocol %u (this node %u): heads are "
                 "not paged with it",
                 gossip_hex8(hex, p->key), h->protocol, RSN_FED_PROTOCOL);
        p->told_old = true;
    }
}

bool gossip_pages_heads(const peer_t *p)
{
    uint32_t spoken = p->protocol < RSN_FED_PROTOCOL ? p->protocol : RSN_FED_PROTOCOL;
    return spoken >= RSN_FED_PROTOCOL_PAGED_HEADS;
}

int gossip_load_signed(rsn_gossip_t *self, rsn_arena_t *arena, const uint8_t id[RSN_ID_BYTES],
                       Raison__SignedEntry **se_out, size_t *size)
{
    int rc = rsn_signed_load(self->store, arena, id, se_out);
    if (rc == 0) {
        const Raison__SignedEntry *se = *se_out;
        *size = se->entry.len + se->signature.len + se->body.len + 16;
    }
    return rc;
}

void gossip_set_lacking(peer_t *p, uint64_t lacking)
{
    p->lacking = lacking;
    p->lacking_base = p->entries_received;
}

uint64_t gossip_lacking(const peer_t *p)
{
    uint64_t since = p->entries_received - p->lacking_base;
    return p->lacking > since ? p->lacking - since : 0;
}

/* Fills PI with what this engine knows of peer P (the transport's part is
 * already there). 0 or RSN_ERR_NOMEM. */
static int describe_peer(rsn_gossip_t *self, peer_t *p, rsn_arena_t *arena, Raison__PeerInfo *pi)
{
    pi->site = rsn_arena_strdup(arena, p->site);
    pi->entries_sent = p->entries_sent;
    pi->entries_received = p->entries_received;
    pi->missing = p->missing;
    pi->lacking = gossip_lacking(p);
    pi->dropped = p->dropped;
    pi->protocol = p->protocol;
    pi->bare_received = p->bare_received;
    pi->bodies_fetched = p->bodies_fetched;
    if (gossip_witness_describe(self, p, arena, pi) < 0) {
        return RSN_ERR_NOMEM;
    }
    if (p->last_error[0]) {
        pi->last_error = rsn_arena_strdup(arena, p->last_error);
    }
    return 0;
}

int rsn_gossip_peers(rsn_gossip_t *self, rsn_arena_t *arena, Raison__PeersReply **out)
{
    rsn_fed_peer_info_t *info = rsn_arena_alloc(arena, RSN_FED_MAX_PEERS * sizeof *info);
    Raison__PeersReply *r = rsn_arena_alloc(arena, sizeof *r);
    if (!info || !r) {
        return RSN_ERR_NOMEM;
    }
    raison__peers_reply__init(r);
    size_t n = rsn_fed_peers(self->fed, info, RSN_FED_MAX_PEERS);
    r->peers = rsn_arena_alloc(arena, (n ? n : 1) * sizeof *r->peers);
    if (!r->peers) {
        return RSN_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        Raison__PeerInfo *pi = rsn_arena_alloc(arena, sizeof *pi);
        if (!pi) {
            return RSN_ERR_NOMEM;
        }
        raison__peer_info__init(pi);
        pi->key.data = rsn_arena_memdup(arena, info[i].key, RSN_KEY_BYTES);
        pi->key.len = RSN_KEY_BYTES;
        pi->endpoint = rsn_arena_strdup(arena, info[i].endpoint);
        pi->connected = info[i].connected;
        pi->since = (uint64_t)info[i].since_ms;
        pi->bytes_sent = info[i].bytes_out;
        pi->bytes_received = info[i].bytes_in;
        pi->banned_until = info[i].banned_until_ms > 0 ? (uint64_t)info[i].banned_until_ms : 0;
        pi->last_error = rsn_arena_strdup(arena, info[i].last_error);
        pi->site = (char *)"";
        pi->checkpoint_note = (char *)"";
        pi->inconsistency = (char *)"";
        /* a slot for every configured peer: evidence kept shows before it links */
        peer_t *p = gossip_peer(self, info[i].key, true);
        if (p && describe_peer(self, p, arena, pi) < 0) {
            return RSN_ERR_NOMEM;
        }
        if (!pi->endpoint || !pi->last_error || !pi->site) {
            return RSN_ERR_NOMEM;
        }
        r->peers[r->n_peers++] = pi;
    }
    r->listen = (char *)"";
    *out = r;
    return 0;
}

void rsn_gossip_counts(const rsn_gossip_t *self, uint32_t *peers, uint32_t *connected)
{
    rsn_fed_peer_info_t info[RSN_FED_MAX_PEERS];
    size_t n = rsn_fed_peers(self->fed, info, RSN_FED_MAX_PEERS);
    *peers = (uint32_t)n;
    *connected = 0;
    for (size_t i = 0; i < n; i++) {
        if (info[i].connected) {
            (*connected)++;
        }
    }
}

void rsn_gossip_forget_absent(rsn_gossip_t *self)
{
    rsn_fed_peer_info_t info[RSN_FED_MAX_PEERS];
    size_t n = rsn_fed_peers(self->fed, info, RSN_FED_MAX_PEERS);
    for (int i = 0; i < RSN_FED_MAX_PEERS; i++) {
        peer_t *p = &self->peers[i];
        bool present = false;
        for (size_t j = 0; j < n && p->used && !present; j++) {
            present = memcmp(info[j].key, p->key, RSN_KEY_BYTES) == 0;
        }
        if (p->used && !present) {
            gossip_drop_waiting_of(self, i);
            gossip_peer_clear(p);
        }
    }
}

void rsn_gossip_witness_counts(const rsn_gossip_t *self, rsn_witness_counts_t *out)
{
    *out = self->witnessed;
}
