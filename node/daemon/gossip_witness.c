/* gossip_witness.c — witnessing peers' transparency logs (docs/audit.md).
 *
 * With an audit set (rsn_gossip_set_audit) the node sends its latest signed
 * checkpoint to each peer on link-up and whenever it signs one. Of each peer
 * it keeps the latest checkpoint verified consistent ('W' peer); when a newer
 * one arrives it asks the peer for a consistency proof between the two and
 * keeps the newer only once the proof verifies. Evidence ('X' peer size,
 * WitnessEvidence, shown with the peer and kept across restarts): two
 * checkpoints that no proof joins, two roots for one size, a checkpoint
 * smaller than one the peer already sent (a rollback: nothing to ask), an
 * empty log after a non-empty one, a badly signed checkpoint. Silence is not
 * a way out: a proof not given within the deadline (WITNESS_DEADLINE_MS), or
 * answered for other sizes, is recorded as unanswered and shown with the
 * peer, and the witness asks again with a backoff until the proof comes; a
 * newer checkpoint does not reset the question. The node answers peers'
 * consistency requests from its own log (rsn_audit_prove). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "crypto/merkle.h"
#include "crypto/note.h"
#include "daemon/audit.h"
#include "daemon/gossip_internal.h"
#include "store/keys.h"

#define WITNESS_DEADLINE_MS 30000 /* a consistency proof not given by then is recorded */
#define WITNESS_DEADLINE_MAX_MS (24LL * 3600 * 1000) /* the knob's upper bound */
#define WITNESS_RETRY_SHARE 6                        /* the first retry comes after deadline / 6 */
#define WITNESS_RETRY_CAP 10 /* and the backoff stops doubling at 10 deadlines */
#define WITNESS_RETRY_MIN_MS 100

static void checkpoint_clear(peer_checkpoint_t *c)
{
    free(c->note);
    memset(c, 0, sizeof *c);
}

/* Moves SRC into DST (DST's note freed first); SRC is left empty. */
static void checkpoint_move(peer_checkpoint_t *dst, peer_checkpoint_t *src)
{
    free(dst->note);
    *dst = *src;
    memset(src, 0, sizeof *src);
}

void gossip_witness_clear(witness_t *w)
{
    checkpoint_clear(&w->held);
    checkpoint_clear(&w->pending);
    checkpoint_clear(&w->next);
    memset(w, 0, sizeof *w);
}

int64_t gossip_witness_deadline(void)
{
    const char *knob = getenv("RAISON_WITNESS_DEADLINE_MS");
    if (!knob || !*knob) {
        return WITNESS_DEADLINE_MS;
    }
    char *end = NULL;
    long long v = strtoll(knob, &end, 10);
    if (*end != '\0' || v < 1 || v > WITNESS_DEADLINE_MAX_MS) {
        rsn_warn("witness: RAISON_WITNESS_DEADLINE_MS=%s is not a time in ms in [1, %lld]: %d ms",
                 knob, (long long)WITNESS_DEADLINE_MAX_MS, WITNESS_DEADLINE_MS);
        return WITNESS_DEADLINE_MS;
    }
    rsn_info("witness: consistency proofs are due within %lld ms (RAISON_WITNESS_DEADLINE_MS)", v);
    return (int64_t)v;
}

/* The first wait before a request is asked again. */
static int64_t first_retry(const rsn_gossip_t *self)
{
    int64_t r = self->witness_deadline_ms / WITNESS_RETRY_SHARE;
    return r < WITNESS_RETRY_MIN_MS ? WITNESS_RETRY_MIN_MS : r;
}

void gossip_send_checkpoint(rsn_gossip_t *self, peer_t *p)
{
    const char *note = NULL;
    uint64_t size = 0;
    uint8_t root[RSN_HASH_BYTES];
    if (!self->audit || rsn_audit_latest(self->audit, &note, &size, root) < 0) {
        return;
    }
    Raison__CheckpointNote c = RAISON__CHECKPOINT_NOTE__INIT;
    c.note = (char *)note;
    Raison__FedFrame f = RAISON__FED_FRAME__INIT;
    f.msg_case = RAISON__FED_FRAME__MSG_CHECKPOINT;
    f.checkpoint = &c;
    gossip_send_frame(self, p, &f);
}

void rsn_gossip_checkpoint_signed(rsn_gossip_t *self)
{
    for (int i = 0; i < RSN_FED_MAX_PEERS; i++) {
        if (self->peers[i].used && self->peers[i].linked) {
            gossip_send_checkpoint(self, &self->peers[i]);
        }
    }
}

/* Verifies a checkpoint note of peer P: 0 with SIZE and ROOT. */
static int peer_checkpoint(const peer_t *p, const char *note, uint64_t *size,
                           uint8_t root[RSN_HASH_BYTES])
{
    char name[RSN_NOTE_RAISON_NAME_SIZE], origin[RSN_NOTE_RAISON_NAME_SIZE];
    size_t text_len = 0;
    if (rsn_note_raison_name(p->key, name, sizeof name) < 0) {
        return RSN_ERR_INTERNAL;
    }
    int rc = rsn_note_verify(note, strlen(note), name, p->key, &text_len);
    if (rc == 0) {
        rc = rsn_checkpoint_parse(note, text_len, origin, sizeof origin, size, root);
    }
    if (rc == 0 && strcmp(origin, name) != 0) {
        rc = RSN_ERR_BAD_SIGNATURE;
    }
    return rc;
}

/* The reason of the first evidence held against P, into its witness state. */
static void load_inconsistency(rsn_gossip_t *self, peer_t *p)
{
    witness_t *w = &p->witness;
    uint8_t prefix[RSN_KEY_MAX];
    size_t prefix_len = rsn_key_prefix(prefix, RSN_TAG_INCONSISTENT, p->key);
    rsn_iter_t *it = rsn_iter_new(self->store, prefix, prefix_len);
    rsn_arena_t *arena = rsn_arena_new();
    if (!it || !arena) {
        goto out;
    }
    rsn_iter_first(it);
    if (rsn_iter_valid(it) && !w->inconsistency[0]) {
        size_t vl = 0;
        const uint8_t *val = rsn_iter_value(it, &vl);
        Raison__WitnessEvidence *ev = NULL;
        bool decoded = rsn_witness_decode(arena, val, vl, &ev) == 0;
        snprintf(w->inconsistency, sizeof w->inconsistency, "%s",
                 decoded && ev->reason ? ev->reason : "evidence of an inconsistency is held");
    }
out:
    rsn_arena_destroy(&arena);
    rsn_iter_destroy(&it);
}

void gossip_load_witness(rsn_gossip_t *self, peer_t *p)
{
    witness_t *w = &p->witness;
    if (w->loaded) {
        return;
    }
    w->loaded = true;
    /* evidence kept from before a restart still shows */
    load_inconsistency(self, p);
    uint8_t k[RSN_KEY_MAX];
    size_t kl = rsn_key_witnessed(k, p->key);
    void *v = NULL;
    size_t vl = 0;
    if (rsn_store_get(self->store, k, kl, &v, &vl) != 0) {
        return;
    }
    char *note = malloc(vl + 1);
    if (note) {
        memcpy(note, v, vl);
        note[vl] = '\0';
        if (peer_checkpoint(p, note, &w->held.size, w->held.root) == 0) {
            w->held.note = note;
        } else {
            free(note);
        }
    }
    rsn_store_free(v);
}

int gossip_witness_describe(rsn_gossip_t *self, peer_t *p, rsn_arena_t *arena, Raison__PeerInfo *pi)
{
    gossip_load_witness(self, p);
    const witness_t *w = &p->witness;
    pi->checkpoint_size = w->held.note ? w->held.size : 0;
    pi->checkpoint_note = rsn_arena_strdup(arena, w->held.note ? w->held.note : "");
    pi->inconsistency = rsn_arena_strdup(arena, w->inconsistency);
    pi->unanswered_consistency = rsn_arena_strdup(arena, w->unanswered);
    pi->pending_checkpoint_size = w->pending.note ? w->pending.size : 0;
    if (!pi->checkpoint_note || !pi->inconsistency || !pi->unanswered_consistency) {
        return RSN_ERR_NOMEM;
    }
    return 0;
}

/* The checkpoint C of P is the one held now (stored as its 'W'). */
static void store_witness(rsn_gossip_t *self, peer_t *p, peer_checkpoint_t *c)
{
    witness_t *w = &p->witness;
    checkpoint_move(&w->held, c);
    rsn_batch_t *b = rsn_batch_new();
    if (!b) {
        return;
    }
    uint8_t k[RSN_KEY_MAX];
    size_t kl = rsn_key_witnessed(k, p->key);
    rsn_batch_put(b, k, kl, w->held.note, strlen(w->held.note));
    if (rsn_store_write(self->store, b, false) < 0) {
        rsn_error("witness: cannot store a peer's checkpoint");
    }
    rsn_batch_destroy(&b);
}

/* Stores evidence that P showed checkpoints A and B that do not fit (the
 * first evidence at SIZE is kept). */
static void store_inconsistency(rsn_gossip_t *self, peer_t *p, const char *a, const char *b,
                                uint64_t size, const char *reason)
{
    char h[HEX8_SIZE];
    snprintf(p->witness.inconsistency, sizeof p->witness.inconsistency, "%s", reason);
    self->witnessed.inconsistent++;
    rsn_warn("witness: peer %s: %s (evidence kept)", gossip_hex8(h, p->key), reason);
    rsn_arena_t *arena = rsn_arena_new();
    rsn_batch_t *batch = rsn_batch_new();
    if (arena && batch) {
        Raison__WitnessEvidence ev = RAISON__WITNESS_EVIDENCE__INIT;
        ev.peer.data = p->key;
        ev.peer.len = RSN_KEY_BYTES;
        ev.a = (char *)(a ? a : "");
        ev.b = (char *)(b ? b : "");
        ev.reason = (char *)reason;
        uint8_t *bytes = NULL;
        size_t len = 0;
        uint8_t k[RSN_KEY_MAX];
        size_t kl = rsn_key_inconsistent(k, p->key, size);
        if (rsn_store_has(self->store, k, kl) != 0 &&
            rsn_pack(arena, &ev.base, &bytes, &len) == 0) {
            rsn_batch_put(batch, k, kl, bytes, len);
            if (rsn_store_write(self->store, batch, true) < 0) {
                rsn_error("witness: cannot store evidence");
            }
        }
    }
    rsn_batch_destroy(&batch);
    rsn_arena_destroy(&arena);
}

/* Records that P owes the proof asked (REASON), once; logged. */
static void record_unanswered(rsn_gossip_t *self, peer_t *p, const char *reason)
{
    witness_t *w = &p->witness;
    if (strcmp(w->unanswered, reason) == 0) {
        return;
    }
    self->witnessed.unanswered++;
    char h[HEX8_SIZE];
    snprintf(w->unanswered, sizeof w->unanswered, "%s", reason);
    rsn_warn("witness: peer %s: %s (asking again)", gossip_hex8(h, p->key), reason);
}

/* Asks P for the proof from its held checkpoint to the pending one. */
static void ask_proof(rsn_gossip_t *self, peer_t *p, int64_t now)
{
    witness_t *w = &p->witness;
    Raison__ConsistencyRequest cr = RAISON__CONSISTENCY_REQUEST__INIT;
    cr.old_size = w->held.size;
    cr.new_size = w->pending.size;
    Raison__FedFrame f = RAISON__FED_FRAME__INIT;
    f.msg_case = RAISON__FED_FRAME__MSG_CONSISTENCY_REQUEST;
    f.consistency_request = &cr;
    gossip_send_frame(self, p, &f);
    w->asked_ms = now;
}

/* C (taken) is the checkpoint awaiting a proof now: asked at once, due by the
 * deadline. */
static void start_question(rsn_gossip_t *self, peer_t *p, peer_checkpoint_t *c, int64_t now)
{
    witness_t *w = &p->witness;
    checkpoint_move(&w->pending, c);
    w->deadline_ms = now + self->witness_deadline_ms;
    w->retry_ms = first_retry(self);
    ask_proof(self, p, now);
}

void gossip_witness_tick(rsn_gossip_t *self, peer_t *p, int64_t now)
{
    witness_t *w = &p->witness;
    if (!w->pending.note) {
        return;
    }
    if (now >= w->deadline_ms && !w->unanswered[0]) {
        char reason[160];
        snprintf(reason, sizeof reason,
                 "did not answer a consistency request from size %llu to %llu within %lld s",
                 (unsigned long long)w->held.size, (unsigned long long)w->pending.size,
                 (long long)((self->witness_deadline_ms + 999) / 1000));
        record_unanswered(self, p, reason);
    }
    if (now - w->asked_ms >= w->retry_ms) {
        ask_proof(self, p, now);
        int64_t cap = self->witness_deadline_ms * WITNESS_RETRY_CAP;
        w->retry_ms = w->retry_ms * 2 > cap ? cap : w->retry_ms * 2;
    }
}

void gossip_witness_linked(rsn_gossip_t *self, peer_t *p, int64_t now)
{
    witness_t *w = &p->witness;
    if (!w->pending.note) {
        return;
    }
    /* a peer that was away gets a fair chance, not a fresh deadline */
    int64_t fair = now + self->witness_deadline_ms / 4;
    w->deadline_ms = w->deadline_ms > fair ? w->deadline_ms : fair;
    w->retry_ms = first_retry(self);
    ask_proof(self, p, now);
}

/* The largest checkpoint P has sent (held, pending or next), or NULL. */
static const peer_checkpoint_t *largest_sent(const witness_t *w)
{
    const peer_checkpoint_t *top = w->held.note ? &w->held : NULL;
    const peer_checkpoint_t *later[2] = {&w->pending, &w->next};
    for (int i = 0; i < 2; i++) {
        if (later[i]->note && (!top || later[i]->size > top->size)) {
            top = later[i];
        }
    }
    return top;
}

/* The checkpoint of SIZE P has sent (held, pending or next), or NULL. */
static const peer_checkpoint_t *sent_at(const witness_t *w, uint64_t size)
{
    const peer_checkpoint_t *all[3] = {&w->held, &w->pending, &w->next};
    for (int i = 0; i < 3; i++) {
        if (all[i]->note && all[i]->size == size) {
            return all[i];
        }
    }
    return NULL;
}

/* Judges P's verified checkpoint C (taken) against what P sent before. */
static void judge_checkpoint(rsn_gossip_t *self, peer_t *p, peer_checkpoint_t *c)
{
    witness_t *w = &p->witness;
    if (!w->held.note || w->held.size == 0) {
        store_witness(self, p, c);
        return;
    }
    const peer_checkpoint_t *same = sent_at(w, c->size);
    const peer_checkpoint_t *top = largest_sent(w);
    char reason[160];
    if (same) {
        if (memcmp(same->root, c->root, RSN_HASH_BYTES) != 0) {
            store_inconsistency(self, p, same->note, c->note, c->size,
                                "signed two different roots for one tree size");
        }
    } else if (c->size == 0) {
        store_inconsistency(self, p, top->note, c->note, c->size,
                            "signed an empty log after a non-empty one");
    } else if (c->size < top->size) {
        /* the log only grows: a smaller checkpoint is a rollback, no proof needed */
        snprintf(reason, sizeof reason,
                 "rolled back: sent a checkpoint of size %llu after one of size %llu",
                 (unsigned long long)c->size, (unsigned long long)top->size);
        store_inconsistency(self, p, top->note, c->note, c->size, reason);
    } else if (w->pending.note) {
        checkpoint_move(&w->next, c); /* asked once the pending proof is settled */
    } else {
        start_question(self, p, c, gossip_now_ms());
    }
    checkpoint_clear(c);
}

void gossip_on_checkpoint(rsn_gossip_t *self, peer_t *p, const Raison__CheckpointNote *c)
{
    witness_t *w = &p->witness;
    if (!c->note || strlen(c->note) > RSN_NOTE_MAX) {
        gossip_strike(self, p, "malformed checkpoint");
        return;
    }
    gossip_load_witness(self, p);
    peer_checkpoint_t cp = {0};
    if (peer_checkpoint(p, c->note, &cp.size, cp.root) < 0) {
        gossip_strike(self, p, "badly signed checkpoint");
        store_inconsistency(self, p, w->held.note, c->note, 0,
                            "sent a checkpoint that does not verify under its node key");
        return;
    }
    cp.note = strdup(c->note);
    if (cp.note) {
        judge_checkpoint(self, p, &cp);
    }
}

void gossip_on_consistency_request(rsn_gossip_t *self, peer_t *p,
                                   const Raison__ConsistencyRequest *cr)
{
    if (!gossip_allow_request(self, p, false) || !self->audit) {
        return;
    }
    const char *note = NULL;
    uint64_t latest = 0;
    uint8_t root[RSN_HASH_BYTES];
    if (rsn_audit_latest(self->audit, &note, &latest, root) < 0 || cr->new_size > latest) {
        return;
    }
    rsn_arena_t *arena = rsn_arena_new();
    if (!arena) {
        return;
    }
    Raison__ProveReply *pr = NULL;
    char why[128];
    if (rsn_audit_prove(self->store, arena, latest, cr->old_size, cr->new_size, &pr, why,
                        sizeof why) == 0) {
        Raison__ConsistencyProof cp = RAISON__CONSISTENCY_PROOF__INIT;
        cp.old_size = pr->old_size;
        cp.new_size = pr->new_size;
        cp.proof = pr->proof;
        cp.n_proof = pr->n_proof;
        Raison__FedFrame f = RAISON__FED_FRAME__INIT;
        f.msg_case = RAISON__FED_FRAME__MSG_CONSISTENCY_PROOF;
        f.consistency_proof = &cp;
        gossip_send(self, p, arena, &f);
    }
    rsn_arena_destroy(&arena);
}

/* Verifies proof CP between the checkpoints of sizes LO and HI (roots
 * LO_ROOT and HI_ROOT): 0, or the error of a proof that does not join them. */
static int verify_proof(const Raison__ConsistencyProof *cp, uint64_t lo, const uint8_t *lo_root,
                        uint64_t hi, const uint8_t *hi_root)
{
    uint8_t proof[RSN_MERKLE_MAX_DEPTH][RSN_HASH_BYTES];
    for (size_t i = 0; i < cp->n_proof; i++) {
        if (cp->proof[i].len != RSN_HASH_BYTES) {
            return RSN_ERR_INVALID_ARG;
        }
        memcpy(proof[i], cp->proof[i].data, RSN_HASH_BYTES);
    }
    return rsn_merkle_verify_consistency(lo, hi, lo_root, RSN_HASH_BYTES, hi_root, RSN_HASH_BYTES,
                                         (const uint8_t(*)[RSN_HASH_BYTES])proof, cp->n_proof);
}

/* The pending question is settled (proved or refuted): the next checkpoint,
 * if one came meanwhile, is asked about now. */
static void settle(rsn_gossip_t *self, peer_t *p, uint64_t old_size, uint64_t new_size)
{
    witness_t *w = &p->witness;
    w->settled_old = old_size;
    w->settled_new = new_size;
    checkpoint_clear(&w->pending);
    w->unanswered[0] = '\0';
    w->deadline_ms = 0;
    if (w->next.note && w->next.size > w->held.size) {
        start_question(self, p, &w->next, gossip_now_ms());
    }
    checkpoint_clear(&w->next);
}

void gossip_on_consistency_proof(rsn_gossip_t *self, peer_t *p, const Raison__ConsistencyProof *cp)
{
    witness_t *w = &p->witness;
    if (!w->pending.note || !w->held.note) {
        return; /* not asked for, or already settled */
    }
    if (cp->old_size != w->held.size || cp->new_size != w->pending.size) {
        if (cp->old_size == w->settled_old && cp->new_size == w->settled_new) {
            return; /* a late copy of an answer already taken */
        }
        char reason[160];
        snprintf(reason, sizeof reason,
                 "answered a consistency request from size %llu to %llu with a proof from "
                 "%llu to %llu",
                 (unsigned long long)w->held.size, (unsigned long long)w->pending.size,
                 (unsigned long long)cp->old_size, (unsigned long long)cp->new_size);
        record_unanswered(self, p, reason);
        return;
    }
    if (cp->n_proof > RSN_MERKLE_MAX_DEPTH) {
        gossip_strike(self, p, "consistency proof too long");
        return;
    }
    uint64_t old_size = w->held.size, new_size = w->pending.size;
    if (verify_proof(cp, w->held.size, w->held.root, w->pending.size, w->pending.root) < 0) {
        store_inconsistency(self, p, w->held.note, w->pending.note, w->pending.size,
                            "showed two checkpoints that no consistency proof joins");
    } else {
        peer_checkpoint_t proved = w->pending;
        proved.note = strdup(w->pending.note);
        if (!proved.note) {
            return; /* asked again later */
        }
        store_witness(self, p, &proved);
        self->witnessed.consistent++;
    }
    settle(self, p, old_size, new_size);
}
