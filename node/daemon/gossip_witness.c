/* gossip_witness.c — witnessing peers' transparency logs (docs/audit.md).
 *
 * With an audit set (rsn_gossip_set_audit) the node sends its latest signed
 * checkpoint to each peer on link-up and whenever it signs one. Of each peer
 * it keeps the latest checkpoint verified consistent ('W' peer); when one of
 * another size arrives it asks the peer for a consistency proof between the
 * two and keeps the newer only once the proof verifies. Two checkpoints that
 * no proof joins, two roots for one size, an empty log after a non-empty one
 * or a badly signed checkpoint are stored as evidence ('X' peer size,
 * WitnessEvidence) and shown with the peer. The node answers peers'
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

void gossip_witness_clear(witness_t *w)
{
    free(w->held_note);
    free(w->pending_note);
    memset(w, 0, sizeof *w);
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
        if (peer_checkpoint(p, note, &w->held_size, w->held_root) == 0) {
            w->held_note = note;
        } else {
            free(note);
        }
    }
    rsn_store_free(v);
}

/* P's checkpoint NOTE (taken) of SIZE and ROOT is the one held now. */
static void store_witness(rsn_gossip_t *self, peer_t *p, char *note, uint64_t size,
                          const uint8_t root[RSN_HASH_BYTES])
{
    witness_t *w = &p->witness;
    free(w->held_note);
    w->held_note = note;
    w->held_size = size;
    memcpy(w->held_root, root, RSN_HASH_BYTES);
    rsn_batch_t *b = rsn_batch_new();
    if (!b) {
        return;
    }
    uint8_t k[RSN_KEY_MAX];
    size_t kl = rsn_key_witnessed(k, p->key);
    rsn_batch_put(b, k, kl, note, strlen(note));
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

static void request_consistency(rsn_gossip_t *self, peer_t *p, uint64_t old_size, uint64_t new_size)
{
    Raison__ConsistencyRequest cr = RAISON__CONSISTENCY_REQUEST__INIT;
    cr.old_size = old_size;
    cr.new_size = new_size;
    Raison__FedFrame f = RAISON__FED_FRAME__INIT;
    f.msg_case = RAISON__FED_FRAME__MSG_CONSISTENCY_REQUEST;
    f.consistency_request = &cr;
    gossip_send_frame(self, p, &f);
}

void gossip_on_checkpoint(rsn_gossip_t *self, peer_t *p, const Raison__CheckpointNote *c)
{
    witness_t *w = &p->witness;
    if (!c->note || strlen(c->note) > RSN_NOTE_MAX) {
        gossip_strike(self, p, "malformed checkpoint");
        return;
    }
    gossip_load_witness(self, p);
    uint64_t size = 0;
    uint8_t root[RSN_HASH_BYTES];
    if (peer_checkpoint(p, c->note, &size, root) < 0) {
        gossip_strike(self, p, "badly signed checkpoint");
        store_inconsistency(self, p, w->held_note, c->note, 0,
                            "sent a checkpoint that does not verify under its node key");
        return;
    }
    char *note = strdup(c->note);
    if (!note) {
        return;
    }
    if (!w->held_note || w->held_size == 0) {
        store_witness(self, p, note, size, root);
        return;
    }
    if (size == w->held_size) {
        if (memcmp(root, w->held_root, RSN_HASH_BYTES) != 0) {
            store_inconsistency(self, p, w->held_note, note, size,
                                "signed two different roots for one tree size");
        }
        free(note);
        return;
    }
    if (size == 0) {
        store_inconsistency(self, p, w->held_note, note, size,
                            "signed an empty log after a non-empty one");
        free(note);
        return;
    }
    free(w->pending_note);
    w->pending_note = note;
    w->pending_size = size;
    memcpy(w->pending_root, root, RSN_HASH_BYTES);
    uint64_t lo = size < w->held_size ? size : w->held_size;
    uint64_t hi = size < w->held_size ? w->held_size : size;
    request_consistency(self, p, lo, hi);
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

void gossip_on_consistency_proof(rsn_gossip_t *self, peer_t *p, const Raison__ConsistencyProof *cp)
{
    witness_t *w = &p->witness;
    if (!w->pending_note || !w->held_note) {
        return; /* not asked for, or already settled */
    }
    bool newer = w->pending_size > w->held_size;
    uint64_t lo = newer ? w->held_size : w->pending_size;
    uint64_t hi = newer ? w->pending_size : w->held_size;
    const uint8_t *lo_root = newer ? w->held_root : w->pending_root;
    const uint8_t *hi_root = newer ? w->pending_root : w->held_root;
    if (cp->old_size != lo || cp->new_size != hi) {
        return; /* an answer to another question */
    }
    if (cp->n_proof > RSN_MERKLE_MAX_DEPTH) {
        gossip_strike(self, p, "consistency proof too long");
        return;
    }
    int rc = verify_proof(cp, lo, lo_root, hi, hi_root);
    char *pending = w->pending_note;
    w->pending_note = NULL;
    if (rc < 0) {
        store_inconsistency(self, p, w->held_note, pending, w->pending_size,
                            "showed two checkpoints that no consistency proof joins");
        free(pending);
        return;
    }
    if (newer) {
        store_witness(self, p, pending, w->pending_size, w->pending_root);
    } else {
        free(pending);
    }
}
