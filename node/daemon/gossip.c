/* gossip.c — the gossip engine's entry points: what raisond's loop calls.
 *
 * The engine is made here and fed from here: rsn_gossip_receive takes frames
 * from the transport, decodes each (proto/'s rsn_fed_frame_decode) and hands
 * it to the file of its concern; rsn_gossip_after_commit pushes what a commit
 * stored and retries what waited for it; rsn_gossip_tick turns link events
 * into Hello, Digest and checkpoint, and runs the periodic anti-entropy round.
 * The exchange when two nodes differ (each side runs it for itself, pulling
 * what it lacks):
 *
 *   A: Digest ------------------------------------------------>  B
 *   B sees a different root:   BucketsRequest  ---------------->  A
 *   A: Buckets (256 x 32 bytes) <-------------------------------
 *   B: HeadsRequest{differing buckets, after} ----------------->  A
 *   A: Heads (a page of those feeds' effective heads, next) <---
 *   B: HeadsRequest{same buckets, after = next} ... to the last page
 *      (RSN_GOSSIP_HEADS_PAGES a round; the next round resumes there)
 *   B: Want{ranges it lacks} (two in flight) ------------------>  A
 *   A: EntryBatch (at most RSN_GOSSIP_BATCH entries) <----------
 *   B stages them, then asks the next Want until it has all.
 *
 * When they agree, a round is one Digest each way. Bodies held missing are
 * asked for by id apart (BodiesRequest / Bodies, gossip_bodies.c). The rest:
 * gossip_internal.h says which file holds what. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "daemon/audit.h"
#include "daemon/gossip_internal.h"

#define WANT_TIMEOUT_MS 5000 /* an unanswered Want is dropped after */
#define RECEIVE_BUDGET 64    /* frames handled per call */

/* Heads per page this node serves: RSN_GOSSIP_HEADS_PAGE, or RAISON_HEADS_PAGE
 * from the environment (a test knob, 1 to RSN_GOSSIP_HEADS_PAGE). */
static size_t heads_page_size(void)
{
    const char *knob = getenv("RAISON_HEADS_PAGE");
    if (!knob || !*knob) {
        return RSN_GOSSIP_HEADS_PAGE;
    }
    char *end = NULL;
    long v = strtol(knob, &end, 10);
    if (*end != '\0' || v < 1 || v > RSN_GOSSIP_HEADS_PAGE) {
        rsn_warn("gossip: RAISON_HEADS_PAGE=%s is not a count in [1, %d]: pages of %d", knob,
                 RSN_GOSSIP_HEADS_PAGE, RSN_GOSSIP_HEADS_PAGE);
        return RSN_GOSSIP_HEADS_PAGE;
    }
    rsn_info("gossip: heads pages of %ld (RAISON_HEADS_PAGE)", v);
    return (size_t)v;
}

int rsn_gossip_new(rsn_gossip_t **out, rsn_store_t *store, rsn_ingest_t *ingest, rsn_fed_t *fed,
                   const uint8_t node_key[RSN_KEY_BYTES], const char *site)
{
    *out = NULL;
    rsn_gossip_t *self = calloc(1, sizeof *self);
    if (!self) {
        return RSN_ERR_NOMEM;
    }
    self->waiting = calloc(RSN_GOSSIP_BUFFER, sizeof(waiting_t));
    if (!self->waiting) {
        free(self);
        return RSN_ERR_NOMEM;
    }
    self->store = store;
    self->ingest = ingest;
    self->fed = fed;
    memcpy(self->node_key, node_key, RSN_KEY_BYTES);
    snprintf(self->site, sizeof self->site, "%s", site ? site : "");
    self->heads_page = heads_page_size();
    self->witness_deadline_ms = gossip_witness_deadline();
    *out = self;
    return 0;
}

void rsn_gossip_destroy(rsn_gossip_t **self_p)
{
    if (!self_p || !*self_p) {
        return;
    }
    rsn_gossip_t *self = *self_p;
    if (self->ahead.job) {
        rsn_ingest_preverify_finish(self->ingest, &self->ahead.job, RSN_AHEAD_PEERS);
    }
    free(self->ahead.frame); /* never staged: asked again by the next round */
    gossip_waiting_free_all(self);
    free(self->waiting);
    for (int i = 0; i < RSN_FED_MAX_PEERS; i++) {
        gossip_peer_clear(&self->peers[i]);
    }
    free(self);
    *self_p = NULL;
}

void rsn_gossip_set_audit(rsn_gossip_t *self, rsn_audit_t *audit)
{
    self->audit = audit;
}

void gossip_handle_frame(rsn_gossip_t *self, peer_t *p, const uint8_t *bytes, size_t len)
{
    rsn_arena_t *arena = rsn_arena_new();
    if (!arena) {
        return;
    }
    Raison__FedFrame *f = NULL;
    if (rsn_fed_frame_decode(arena, bytes, len, &f) < 0) {
        gossip_strike(self, p, "frame is not a protobuf FedFrame");
        goto out;
    }
    p->linked = true;
    switch (f->msg_case) {
    case RAISON__FED_FRAME__MSG_HELLO: gossip_on_hello(p, f->hello); break;
    case RAISON__FED_FRAME__MSG_DIGEST: gossip_on_digest(self, p, f->digest); break;
    case RAISON__FED_FRAME__MSG_BUCKETS_REQUEST: gossip_on_buckets_request(self, p); break;
    case RAISON__FED_FRAME__MSG_BUCKETS: gossip_on_buckets(self, p, f->buckets); break;
    case RAISON__FED_FRAME__MSG_HEADS_REQUEST:
        gossip_on_heads_request(self, p, f->heads_request);
        break;
    case RAISON__FED_FRAME__MSG_HEADS: gossip_on_heads(self, p, f->heads); break;
    case RAISON__FED_FRAME__MSG_WANT: gossip_on_want(self, p, f->want); break;
    case RAISON__FED_FRAME__MSG_ENTRIES: gossip_on_entries(self, p, f->entries); break;
    case RAISON__FED_FRAME__MSG_EVIDENCE_REQUEST:
        gossip_on_evidence_request(self, p, f->evidence_request);
        break;
    case RAISON__FED_FRAME__MSG_EVIDENCE: gossip_on_evidence(self, p, f->evidence); break;
    case RAISON__FED_FRAME__MSG_CHECKPOINT: gossip_on_checkpoint(self, p, f->checkpoint); break;
    case RAISON__FED_FRAME__MSG_CONSISTENCY_REQUEST:
        gossip_on_consistency_request(self, p, f->consistency_request);
        break;
    case RAISON__FED_FRAME__MSG_CONSISTENCY_PROOF:
        gossip_on_consistency_proof(self, p, f->consistency_proof);
        break;
    case RAISON__FED_FRAME__MSG_BODIES_REQUEST:
        gossip_on_bodies_request(self, p, f->bodies_request);
        break;
    case RAISON__FED_FRAME__MSG_BODIES: gossip_on_bodies(self, p, f->bodies); break;
    default: gossip_strike(self, p, "frame carries no message"); break;
    }
out:
    rsn_arena_destroy(&arena);
}

/* Begins checking the signatures of FRAME's entries when it is an
 * EntryBatch of two or more; NULL otherwise. */
static rsn_preverify_t *start_ahead(rsn_gossip_t *self, const uint8_t *frame, size_t len)
{
    rsn_arena_t *arena = rsn_arena_new();
    Raison__FedFrame *f = NULL;
    rsn_preverify_t *job = NULL;
    if (!arena || rsn_fed_frame_decode(arena, frame, len, &f) < 0 ||
        f->msg_case != RAISON__FED_FRAME__MSG_ENTRIES || f->entries->n_entries < 2 ||
        f->entries->n_entries > RSN_GOSSIP_BATCH) {
        goto out; /* handled as it comes (and refused there, if it must be) */
    }
    const Raison__EntryBatch *b = f->entries;
    rsn_ingest_input_t *in = rsn_arena_alloc(arena, b->n_entries * sizeof *in);
    if (!in) {
        goto out;
    }
    for (size_t i = 0; i < b->n_entries; i++) {
        const Raison__SignedEntry *se = b->entries[i];
        in[i] = (rsn_ingest_input_t){.entry = se->entry.data,
                                     .entry_len = se->entry.len,
                                     .signature = se->signature.data,
                                     .signature_len = se->signature.len};
    }
    job = rsn_ingest_preverify_start(self->ingest, in, b->n_entries);
out:
    rsn_arena_destroy(&arena);
    return job;
}

/* Handles the frame taken ahead: its check ends, then it is handled as if
 * it had just come. */
static void handle_ahead(rsn_gossip_t *self)
{
    uint8_t *frame = self->ahead.frame;
    self->ahead.frame = NULL;
    bool checked = self->ahead.job != NULL;
    if (checked) {
        rsn_ingest_preverify_finish(self->ingest, &self->ahead.job, RSN_AHEAD_PEERS);
    }
    peer_t *p = gossip_peer(self, self->ahead.key, true);
    if (p) {
        self->verified_ahead = checked;
        gossip_handle_frame(self, p, frame, self->ahead.len);
        self->verified_ahead = false;
    }
    free(frame);
}

bool rsn_gossip_ahead(const rsn_gossip_t *self)
{
    return self->ahead.frame != NULL;
}

int rsn_gossip_receive(rsn_gossip_t *self)
{
    for (int i = 0; i < RECEIVE_BUDGET; i++) {
        bool full = rsn_ingest_pending(self->ingest) > RSN_INGEST_BATCH_MAX - RSN_GOSSIP_BATCH - 8;
        if (self->ahead.frame) {
            if (full) {
                return RSN_ERR_AGAIN; /* committed first; its check goes on meanwhile */
            }
            handle_ahead(self);
            continue;
        }
        uint8_t key[RSN_KEY_BYTES];
        uint8_t *frame = NULL;
        size_t len = 0;
        int rc = rsn_fed_recv(self->fed, key, &frame, &len);
        if (rc < 0) {
            return 0; /* none waiting (RSN_ERR_AGAIN), or the transport failed */
        }
        /* a frame of entries waits for the next call, checked meanwhile, so
         * that the caller's commit of what is staged and the check overlap */
        rsn_preverify_t *job = start_ahead(self, frame, len);
        if (job || full) {
            memcpy(self->ahead.key, key, RSN_KEY_BYTES);
            self->ahead.frame = frame;
            self->ahead.len = len;
            self->ahead.job = job;
            return RSN_ERR_AGAIN;
        }
        peer_t *p = gossip_peer(self, key, true);
        if (p) {
            gossip_handle_frame(self, p, frame, len);
        }
        free(frame);
    }
    return RSN_ERR_AGAIN;
}

void rsn_gossip_after_commit(rsn_gossip_t *self, const uint8_t (*ids)[RSN_ID_BYTES], size_t n)
{
    gossip_push_entries(self, ids, n);
    gossip_push_forks(self);
    self->n_origins = 0;
    gossip_retry_waiting(self);
    for (int p = 0; p < RSN_FED_MAX_PEERS; p++) {
        if (self->peers[p].used) {
            gossip_send_wants(self, &self->peers[p]);
        }
    }
}

/* A link event from the transport. */
static void on_link_event(rsn_gossip_t *self, const rsn_fed_event_t *ev)
{
    if (ev->kind == RSN_FED_EVENT_REFUSED) {
        return; /* logged by the transport */
    }
    peer_t *p = gossip_peer(self, ev->key, true);
    if (!p) {
        return;
    }
    char h[HEX8_SIZE];
    if (ev->kind == RSN_FED_EVENT_CONNECTED) {
        rsn_info("gossip: linked to %s", gossip_hex8(h, p->key));
        p->linked = true;
        p->heads_asked = 0;
        p->bodies_asked = 0;
        gossip_forget_wants(p);
        gossip_send_hello(self, p);
        gossip_send_digest(self, p);
        gossip_send_checkpoint(self, p);
        gossip_witness_linked(self, p, gossip_now_ms());
    } else if (ev->kind == RSN_FED_EVENT_DISCONNECTED) {
        rsn_info("gossip: link to %s down", gossip_hex8(h, p->key));
        p->linked = false;
        gossip_forget_wants(p);
    }
}

void rsn_gossip_tick(rsn_gossip_t *self)
{
    rsn_fed_event_t ev;
    while (rsn_fed_next_event(self->fed, &ev) == 0) {
        on_link_event(self, &ev);
    }
    int64_t now = gossip_now_ms();
    if (now - self->last_round_ms >= RSN_GOSSIP_ROUND_MS) {
        self->last_round_ms = now;
        self->retry_waiting = true; /* also expires what waited too long */
    }
    for (int i = 0; i < RSN_FED_MAX_PEERS; i++) {
        peer_t *p = &self->peers[i];
        if (!p->used || !p->linked) {
            continue;
        }
        if (p->n_outstanding > 0 && now - p->want_sent_ms > WANT_TIMEOUT_MS) {
            gossip_forget_wants(p);
            snprintf(p->last_error, sizeof p->last_error, "a Want went unanswered");
            gossip_send_wants(self, p);
        }
        if (now - p->last_digest_ms >= RSN_GOSSIP_ROUND_MS) {
            gossip_send_digest(self, p);
        }
        gossip_witness_tick(self, p, now);
    }
    gossip_fetch_bodies(self);
}
