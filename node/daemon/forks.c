/* forks.c — fork evidence: the check of two signed headers, its storage
 * ('F', 'Z'), and the frozen feeds, staged and stored (daemon/forks.h). */
#include "daemon/forks.h"

#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/why.h"
#include "daemon/ingest.h"
#include "store/keys.h"

struct rsn_forks {
    rsn_store_t *store;
    bool any_frozen; /* a feed is frozen (staged or stored): look it up */
    rsn_fork_ref_t staged[RSN_INGEST_BATCH_MAX];
    size_t n_staged;
    rsn_fork_ref_t committed[RSN_INGEST_BATCH_MAX];
    size_t n_committed;
};

int rsn_forks_new(rsn_forks_t **out, rsn_store_t *store)
{
    *out = NULL;
    rsn_forks_t *self = calloc(1, sizeof *self);
    uint8_t prefix[RSN_KEY_MAX];
    size_t pl = rsn_key_prefix(prefix, RSN_TAG_FROZEN, NULL);
    rsn_iter_t *it = self ? rsn_iter_new(store, prefix, pl) : NULL;
    if (!it) {
        free(self);
        return RSN_ERR_NOMEM;
    }
    rsn_iter_first(it);
    self->any_frozen = rsn_iter_valid(it);
    rsn_iter_destroy(&it);
    self->store = store;
    *out = self;
    return 0;
}

void rsn_forks_destroy(rsn_forks_t **self_p)
{
    if (!self_p || !*self_p) {
        return;
    }
    free(*self_p);
    *self_p = NULL;
}

uint64_t rsn_forks_frozen_from(rsn_forks_t *self, const uint8_t author[RSN_KEY_BYTES])
{
    if (!self->any_frozen) {
        return 0; /* the common case: no fork was ever seen */
    }
    uint64_t seq = 0;
    for (size_t i = 0; i < self->n_staged; i++) {
        if (memcmp(self->staged[i].author, author, RSN_KEY_BYTES) == 0 &&
            (seq == 0 || self->staged[i].seq < seq)) {
            seq = self->staged[i].seq;
        }
    }
    uint8_t k[RSN_KEY_MAX];
    size_t kl = rsn_key_frozen(k, author);
    uint64_t stored = 0;
    if (rsn_store_get_u64(self->store, k, kl, &stored) != 0) {
        return seq;
    }
    if (stored && (seq == 0 || stored < seq)) {
        seq = stored;
    }
    return seq;
}

static bool is_staged(const rsn_forks_t *self, const uint8_t author[RSN_KEY_BYTES], uint64_t seq)
{
    for (size_t i = 0; i < self->n_staged; i++) {
        if (self->staged[i].seq == seq &&
            memcmp(self->staged[i].author, author, RSN_KEY_BYTES) == 0) {
            return true;
        }
    }
    return false;
}

bool rsn_forks_held(rsn_forks_t *self, const uint8_t author[RSN_KEY_BYTES], uint64_t seq)
{
    uint8_t k[RSN_KEY_MAX];
    size_t kl = rsn_key_fork(k, author, seq);
    return rsn_store_has(self->store, k, kl) == 0 || is_staged(self, author, seq);
}

bool rsn_forks_evidence_held(rsn_forks_t *self, rsn_arena_t *arena, const Raison__ForkEvidence *ev)
{
    Raison__Entry *e = NULL;
    return ev->a &&
           rsn_entry_decode(arena, ev->a->entry.data, ev->a->entry.len, &e, NULL, 0) == 0 &&
           rsn_forks_held(self, e->author.data, e->seq);
}

/* Checks one signed header of fork evidence: decodes, verifies. */
static int check_half(rsn_arena_t *arena, const Raison__SignedEntry *se, Raison__Entry **e,
                      char *why, size_t why_size)
{
    if (!se || se->signature.len != RSN_SIG_BYTES) {
        return rsn_why(why, why_size, RSN_ERR_BAD_ENTRY, "fork evidence lacks a signed entry");
    }
    int rc = rsn_entry_decode(arena, se->entry.data, se->entry.len, e, why, why_size);
    if (rc < 0) {
        return rc;
    }
    if (rsn_entry_verify((*e)->author.data, se->entry.data, se->entry.len, se->signature.data) !=
        0) {
        return rsn_why(why, why_size, RSN_ERR_BAD_SIGNATURE,
                       "fork evidence: a signature does not verify");
    }
    return 0;
}

int rsn_forks_check(rsn_arena_t *arena, const Raison__ForkEvidence *ev, rsn_fork_ref_t *ref,
                    char *why, size_t why_size)
{
    Raison__Entry *ea = NULL, *eb = NULL;
    int rc = check_half(arena, ev->a, &ea, why, why_size);
    if (rc == 0) {
        rc = check_half(arena, ev->b, &eb, why, why_size);
    }
    if (rc < 0) {
        return rc;
    }
    if (memcmp(ea->author.data, eb->author.data, RSN_KEY_BYTES) != 0 || ea->seq != eb->seq ||
        (ev->a->entry.len == ev->b->entry.len &&
         memcmp(ev->a->entry.data, ev->b->entry.data, ev->a->entry.len) == 0)) {
        return rsn_why(why, why_size, RSN_ERR_BAD_ENTRY,
                       "fork evidence must be two different entries of one (author, seq)");
    }
    memcpy(ref->author, ea->author.data, RSN_KEY_BYTES);
    ref->seq = ea->seq;
    return 0;
}

int rsn_forks_pack(rsn_arena_t *arena, const uint8_t author[RSN_KEY_BYTES], uint64_t seq,
                   const Raison__SignedEntry *held, const Raison__SignedEntry *incoming,
                   uint8_t **bytes, size_t *len)
{
    Raison__ForkEvidence ev = RAISON__FORK_EVIDENCE__INIT;
    Raison__SignedEntry a = RAISON__SIGNED_ENTRY__INIT;
    Raison__SignedEntry b = RAISON__SIGNED_ENTRY__INIT;
    a.entry = held->entry;
    a.signature = held->signature;
    b.entry = incoming->entry;
    b.signature = incoming->signature;
    ev.author.data = (uint8_t *)author;
    ev.author.len = RSN_KEY_BYTES;
    ev.seq = seq;
    ev.a = &a;
    ev.b = &b;
    return rsn_pack(arena, &ev.base, bytes, len);
}

bool rsn_forks_full(const rsn_forks_t *self)
{
    return self->n_staged >= RSN_INGEST_BATCH_MAX;
}

void rsn_forks_stage(rsn_forks_t *self, rsn_batch_t *batch, const uint8_t author[RSN_KEY_BYTES],
                     uint64_t seq, const uint8_t *bytes, size_t len)
{
    uint8_t k[RSN_KEY_MAX];
    size_t kl = rsn_key_fork(k, author, seq);
    rsn_batch_put(batch, k, kl, bytes, len);
    uint64_t from = rsn_forks_frozen_from(self, author);
    if (from == 0 || seq < from) {
        uint8_t v[8];
        rsn_be64_put(v, seq);
        kl = rsn_key_frozen(k, author);
        rsn_batch_put(batch, k, kl, v, sizeof v);
    }
    self->any_frozen = true;
    rsn_fork_ref_t *f = &self->staged[self->n_staged++];
    memcpy(f->author, author, RSN_KEY_BYTES);
    f->seq = seq; /* the evidence key; rsn_forks_frozen_from takes the min */
    char hex[RSN_KEY_HEX + 1];
    rsn_warn("fork: author %s signed two entries for seq %llu; feed frozen",
             rsn_hex_encode(hex, sizeof hex, author, RSN_KEY_BYTES), (unsigned long long)seq);
}

void rsn_forks_unstage_last(rsn_forks_t *self)
{
    if (self->n_staged > 0) {
        self->n_staged--;
    }
}

void rsn_forks_end_batch(rsn_forks_t *self, bool committed)
{
    for (size_t i = 0; committed && i < self->n_staged; i++) {
        if (self->n_committed < RSN_INGEST_BATCH_MAX) {
            self->committed[self->n_committed++] = self->staged[i];
        }
    }
    self->n_staged = 0;
}

const rsn_fork_ref_t *rsn_forks_committed(const rsn_forks_t *self, size_t *count)
{
    *count = self->n_committed;
    return self->committed;
}

void rsn_forks_committed_clear(rsn_forks_t *self)
{
    self->n_committed = 0;
}
