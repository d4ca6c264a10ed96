/* gossip_forks.c — fork evidence between nodes: pushed when found, paged on
 * request.
 *
 * A fork (two entries of one author at one seq) is proven by a ForkEvidence
 * stored under 'F' author seq. What a commit stored is pushed to every linked
 * peer at once; a peer whose Digest shows another fork root asks with an
 * EvidenceRequest and is answered in pages of at most RSN_GOSSIP_BATCH
 * evidences, in key order, each page naming where the next starts (the
 * author and seq of its last evidence) until none is left. Evidence received
 * goes through rsn_ingest_evidence, which checks it and freezes the feed. */
#include <string.h>

#include "daemon/gossip_internal.h"
#include "store/keys.h"

/* The bytes after the tag of an 'F' key: where a page of evidence ends. */
#define FORK_CURSOR_BYTES (RSN_KEYLEN_ID_N - RSN_KEYLEN_TAG)

/* A list of evidences for one Evidence frame, decoded into an arena. */
typedef struct {
    Raison__ForkEvidence **list;
    size_t count;
} forks_t;

/* Decodes the stored evidence BYTES into the next slot of FORKS; what does
 * not decode (none in a sound store) is skipped. */
static int forks_add(forks_t *forks, rsn_arena_t *arena, const uint8_t *bytes, size_t len)
{
    int rc = rsn_fork_evidence_decode(arena, bytes, len, &forks->list[forks->count]);
    if (rc == 0) {
        forks->count++;
    }
    return rc;
}

/* The Evidence frame EV carrying FORKS, in F. */
static void evidence_frame(Raison__FedFrame *f, Raison__Evidence *ev, const forks_t *forks)
{
    ev->forks = forks->list;
    ev->n_forks = forks->count;
    f->msg_case = RAISON__FED_FRAME__MSG_EVIDENCE;
    f->evidence = ev;
}

void gossip_push_forks(rsn_gossip_t *self)
{
    size_t n = 0;
    const rsn_fork_ref_t *refs = rsn_ingest_committed_forks(self->ingest, &n);
    if (n == 0) {
        return;
    }
    rsn_arena_t *arena = rsn_arena_new();
    if (!arena) {
        return;
    }
    forks_t forks = {rsn_arena_alloc(arena, n * sizeof *forks.list), 0};
    for (size_t i = 0; forks.list && i < n; i++) {
        uint8_t k[RSN_KEY_MAX];
        size_t kl = rsn_key_fork(k, refs[i].author, refs[i].seq);
        void *v = NULL;
        size_t vl = 0;
        if (rsn_store_get(self->store, k, kl, &v, &vl) == 0) {
            (void)forks_add(&forks, arena, v, vl);
            rsn_store_free(v);
        }
    }
    if (forks.count > 0) {
        Raison__Evidence ev = RAISON__EVIDENCE__INIT;
        Raison__FedFrame f = RAISON__FED_FRAME__INIT;
        evidence_frame(&f, &ev, &forks);
        for (int p = 0; p < RSN_FED_MAX_PEERS; p++) {
            if (self->peers[p].used && self->peers[p].linked) {
                gossip_send(self, &self->peers[p], arena, &f);
            }
        }
    }
    rsn_arena_destroy(&arena);
}

/* Positions IT on the first 'F' key after the cursor AFTER (empty: the
 * first key). */
static void seek_after(rsn_iter_t *it, const ProtobufCBinaryData *after)
{
    if (after->len == 0) {
        rsn_iter_first(it);
        return;
    }
    uint8_t k[RSN_KEY_MAX];
    size_t kl = rsn_key_fork(k, after->data, rsn_be64_get(after->data + RSN_KEY_BYTES));
    rsn_iter_seek(it, k, kl);
    size_t len = 0;
    if (rsn_iter_valid(it) && memcmp(rsn_iter_key(it, &len), k, kl) == 0) {
        rsn_iter_next(it);
    }
}

/* Fills FORKS with the page of evidence after AFTER; *NEXT is the cursor of
 * the page after it (length 0 when this one is the last). */
static int read_page(rsn_gossip_t *self, rsn_arena_t *arena, const ProtobufCBinaryData *after,
                     forks_t *forks, ProtobufCBinaryData *next)
{
    uint8_t prefix[RSN_KEY_MAX];
    size_t prefix_len = rsn_key_prefix(prefix, RSN_TAG_FORK, NULL);
    rsn_iter_t *it = rsn_iter_new(self->store, prefix, prefix_len);
    if (!it) {
        return RSN_ERR_NOMEM;
    }
    seek_after(it, after);
    const uint8_t *last = NULL;
    for (; rsn_iter_valid(it) && forks->count < RSN_GOSSIP_BATCH; rsn_iter_next(it)) {
        size_t vl = 0, kl = 0;
        const uint8_t *v = rsn_iter_value(it, &vl);
        const uint8_t *key = rsn_iter_key(it, &kl);
        if (kl == RSN_KEYLEN_ID_N && forks_add(forks, arena, v, vl) == 0) {
            last = rsn_arena_memdup(arena, key + RSN_KEYLEN_TAG, FORK_CURSOR_BYTES);
        }
    }
    if (rsn_iter_valid(it) && last) {
        next->data = (uint8_t *)last;
        next->len = FORK_CURSOR_BYTES;
    }
    rsn_iter_destroy(&it);
    return 0;
}

void gossip_on_evidence_request(rsn_gossip_t *self, peer_t *p, const Raison__EvidenceRequest *er)
{
    if (!gossip_allow_request(self, p, false)) {
        return;
    }
    if (er->after.len != 0 && er->after.len != FORK_CURSOR_BYTES) {
        gossip_strike(self, p, "malformed evidence request");
        return;
    }
    rsn_arena_t *arena = rsn_arena_new();
    if (!arena) {
        return;
    }
    forks_t forks = {rsn_arena_alloc(arena, RSN_GOSSIP_BATCH * sizeof *forks.list), 0};
    Raison__Evidence ev = RAISON__EVIDENCE__INIT;
    if (forks.list) {
        (void)read_page(self, arena, &er->after, &forks, &ev.next);
    }
    Raison__FedFrame f = RAISON__FED_FRAME__INIT;
    evidence_frame(&f, &ev, &forks);
    gossip_send(self, p, arena, &f);
    rsn_arena_destroy(&arena);
}

void gossip_on_evidence(rsn_gossip_t *self, peer_t *p, const Raison__Evidence *ev)
{
    if (ev->n_forks > RSN_GOSSIP_BATCH) {
        gossip_strike(self, p, "evidence batch over the limit");
        return;
    }
    rsn_arena_t *arena = rsn_arena_new();
    if (!arena) {
        return;
    }
    for (size_t i = 0; i < ev->n_forks; i++) {
        uint8_t *bytes = NULL;
        size_t len = 0;
        if (rsn_pack(arena, &ev->forks[i]->base, &bytes, &len) < 0) {
            break;
        }
        char why[256] = "";
        int rc = rsn_ingest_evidence(self->ingest, bytes, len, why, sizeof why);
        if (rc < 0 && rc != RSN_ERR_BUSY) {
            gossip_strike(self, p, why[0] ? why : rsn_strerror(rc));
        }
    }
    if (ev->next.len == FORK_CURSOR_BYTES) {
        Raison__EvidenceRequest er = RAISON__EVIDENCE_REQUEST__INIT;
        er.after = ev->next;
        Raison__FedFrame f = RAISON__FED_FRAME__INIT;
        f.msg_case = RAISON__FED_FRAME__MSG_EVIDENCE_REQUEST;
        f.evidence_request = &er;
        gossip_send(self, p, arena, &f);
    }
    rsn_arena_destroy(&arena);
}
