/* sign.c — signing what a fuzz target is fed (see sign.h). */
#include "sign.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "crypto/keypair.h"

struct fuzz_signer {
    rsn_keypair_t *keys[FUZZ_SIGN_KEYS];
    uint64_t seq[FUZZ_SIGN_KEYS]; /* the head of each key: 0 none */
    uint8_t id[FUZZ_SIGN_KEYS][RSN_ID_BYTES];
};

fuzz_signer_t *fuzz_signer_new(const uint8_t fills[FUZZ_SIGN_KEYS])
{
    fuzz_signer_t *self = calloc(1, sizeof *self);
    if (!self) {
        return NULL;
    }
    for (int k = 0; k < FUZZ_SIGN_KEYS; k++) {
        uint8_t seed[32];
        memset(seed, fills[k], sizeof seed);
        self->keys[k] = rsn_keypair_from_seed(seed);
        if (!self->keys[k]) {
            fuzz_signer_destroy(&self);
            return NULL;
        }
    }
    return self;
}

void fuzz_signer_destroy(fuzz_signer_t **self_p)
{
    if (!self_p || !*self_p) {
        return;
    }
    for (int k = 0; k < FUZZ_SIGN_KEYS; k++) {
        rsn_keypair_destroy(&(*self_p)->keys[k]);
    }
    free(*self_p);
    *self_p = NULL;
}

void fuzz_sign_begin(fuzz_signer_t *self, rsn_ingest_t *ingest)
{
    for (int k = 0; k < FUZZ_SIGN_KEYS; k++) {
        if (rsn_ingest_head(ingest, rsn_keypair_public(self->keys[k]), &self->seq[k],
                            self->id[k]) != 0) {
            self->seq[k] = 0;
        }
    }
}

int fuzz_sign_entry(fuzz_signer_t *self, rsn_arena_t *arena, Raison__SignedEntry *se)
{
    uint8_t mode = se->signature.len ? se->signature.data[0] : 0;
    int k = mode & 1;
    bool keep_feed = mode & 2, keep_hash = mode & 4;
    Raison__Entry fresh = RAISON__ENTRY__INIT;
    Raison__Entry *e = NULL;
    if (rsn_entry_decode(arena, se->entry.data, se->entry.len, &e, NULL, 0) != 0) {
        e = &fresh;
        e->kind = 1 + (int)(se->entry.len % 5);
        e->timestamp = 1700000000000ULL + se->entry.len;
        keep_feed = keep_hash = false;
    }
    e->author.data = (uint8_t *)rsn_keypair_public(self->keys[k]);
    e->author.len = RSN_KEY_BYTES;
    if (!keep_feed) {
        e->seq = self->seq[k] + 1;
        e->prev.data = self->seq[k] ? self->id[k] : NULL;
        e->prev.len = self->seq[k] ? RSN_ID_BYTES : 0;
    }
    uint8_t *hash = rsn_arena_alloc(arena, RSN_HASH_BYTES);
    uint8_t *sig = rsn_arena_alloc(arena, RSN_SIG_BYTES);
    if (!hash || !sig) {
        return -1;
    }
    if (!keep_hash) {
        rsn_sha256(hash, se->body.data ? se->body.data : (const uint8_t *)"", se->body.len);
        e->body_hash.data = hash;
        e->body_hash.len = RSN_HASH_BYTES;
        e->body_size = (uint32_t)se->body.len;
    }
    uint8_t *packed = NULL;
    size_t packed_len = 0;
    if (rsn_pack(arena, &e->base, &packed, &packed_len) != 0 ||
        rsn_keypair_sign_entry(self->keys[k], packed, packed_len, sig) != 0) {
        return -1;
    }
    se->entry.data = packed;
    se->entry.len = packed_len;
    se->signature.data = sig;
    se->signature.len = RSN_SIG_BYTES;
    if (!keep_feed) {
        self->seq[k] = e->seq;
        rsn_entry_id(self->id[k], packed, packed_len);
    }
    return 0;
}
