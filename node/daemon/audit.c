/* audit.c — the node's audit calls: checkpoints, proofs, pages of the log.
 *
 * Signs checkpoints of the committed log (at most every
 * RSN_CHECKPOINT_EVERY_MS, or on request) and keeps each one ('K'), proves
 * inclusion and consistency from the stored subtree hashes (store/tlog.h),
 * and pages through the log and the fork evidence for auditors. Verifying a
 * whole store is audit_verify.c's. */
#include "daemon/audit.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/why.h"
#include "crypto/crypto.h"
#include "crypto/merkle.h"
#include "crypto/note.h"
#include "daemon/entry.h"
#include "daemon/judge.h"
#include "daemon/view_ctx.h"
#include "daemon/views.h"
#include "store/keys.h"
#include "store/tlog.h"

#define LEAVES_DEFAULT 256
#define LEAVES_MAX 1024
#define FORKS_MAX 256
#define LEAVES_BYTES_MAX (4 * 1024 * 1024) /* a page of leaves stays under this */

struct rsn_audit {
    rsn_store_t *store;
    rsn_ingest_t *ingest;
    const rsn_keypair_t *key;
    char origin[RSN_NOTE_RAISON_NAME_SIZE];
    char *note; /* latest signed checkpoint */
    uint64_t size;
    uint8_t root[RSN_HASH_BYTES];
    bool have;
    int64_t signed_ms;
    /* since when the latest checkpoint's age counts: its signing, or this start */
    int64_t age_from_ms;
    bool stuck; /* the checkpoint stored at STUCK_SIZE does not verify */
    uint64_t stuck_size;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int rsn_audit_new(rsn_audit_t **out, rsn_store_t *store, rsn_ingest_t *ingest,
                  const rsn_keypair_t *key)
{
    *out = NULL;
    rsn_audit_t *self = calloc(1, sizeof *self);
    if (!self) {
        return RSN_ERR_NOMEM;
    }
    self->store = store;
    self->ingest = ingest;
    self->key = key;
    self->age_from_ms = mono_ms();
    if (rsn_note_raison_name(rsn_keypair_public(key), self->origin, sizeof self->origin) < 0) {
        free(self);
        return RSN_ERR_INTERNAL;
    }
    uint8_t prefix[RSN_KEY_MAX];
    size_t pl = rsn_key_prefix(prefix, RSN_TAG_CHECKPOINT, NULL);
    rsn_iter_t *it = rsn_iter_new(store, prefix, pl);
    if (!it) {
        free(self);
        return RSN_ERR_NOMEM;
    }
    rsn_iter_last(it);
    if (rsn_iter_valid(it)) {
        size_t vl = 0;
        const uint8_t *v = rsn_iter_value(it, &vl);
        self->note = malloc(vl + 1);
        if (self->note) {
            memcpy(self->note, v, vl);
            self->note[vl] = '\0';
            if (rsn_audit_checkpoint_parse(self->origin, rsn_keypair_public(key), self->note, vl,
                                           &self->size, self->root) == 0) {
                self->have = true;
            } else {
                rsn_error("audit: the latest stored checkpoint does not verify under this "
                          "node's key; `raison audit verify` will report it");
            }
        }
    }
    rsn_iter_destroy(&it);
    *out = self;
    return 0;
}

void rsn_audit_destroy(rsn_audit_t **self_p)
{
    if (!self_p || !*self_p) {
        return;
    }
    free((*self_p)->note);
    free(*self_p);
    *self_p = NULL;
}

int64_t rsn_audit_age_ms(const rsn_audit_t *self)
{
    return mono_ms() - self->age_from_ms;
}

const char *rsn_audit_origin(const rsn_audit_t *self)
{
    return self->origin;
}

int rsn_audit_latest(const rsn_audit_t *self, const char **note, uint64_t *size,
                     uint8_t root[RSN_HASH_BYTES])
{
    if (!self->have) {
        return RSN_ERR_NOT_FOUND;
    }
    *note = self->note;
    *size = self->size;
    memcpy(root, self->root, RSN_HASH_BYTES);
    return 0;
}

int rsn_audit_tick(rsn_audit_t *self, bool force, bool *signed_now)
{
    if (signed_now) {
        *signed_now = false;
    }
    uint64_t size = 0;
    uint8_t root[RSN_HASH_BYTES];
    rsn_ingest_log_root(self->ingest, &size, root);
    if ((self->have && size == self->size) || (self->stuck && size == self->stuck_size)) {
        return 0;
    }
    if (!force && self->have && mono_ms() - self->signed_ms < RSN_CHECKPOINT_EVERY_MS) {
        return 0;
    }
    if (!force && !self->have && size == 0) {
        return 0;
    }
    char text[RSN_NOTE_RAISON_NAME_SIZE + 96];
    char *note = malloc(RSN_NOTE_MAX);
    if (!note) {
        return RSN_ERR_NOMEM;
    }
    int rc = rsn_checkpoint_text(self->origin, size, root, text, sizeof text);
    if (rc == 0) {
        rc = rsn_note_sign(self->key, self->origin, text, note, RSN_NOTE_MAX);
    }
    if (rc < 0) {
        free(note);
        rsn_error("audit: cannot sign a checkpoint: %s", rsn_strerror(rc));
        return RSN_ERR_INTERNAL;
    }
    rsn_batch_t *batch = rsn_batch_new();
    if (!batch) {
        free(note);
        return RSN_ERR_NOMEM;
    }
    uint8_t k[RSN_KEY_MAX];
    size_t kl = rsn_key_checkpoint(k, size);
    if (rsn_store_has(self->store, k, kl) == 0) {
        /* a checkpoint is never rewritten: if the stored one does not verify
         * (altered behind our back), it stays as it is for the audit to see */
        rsn_batch_destroy(&batch);
        free(note);
        rsn_error("audit: a checkpoint for size %llu is already stored but does not verify; "
                  "left as is for `raison audit verify`",
                  (unsigned long long)size);
        self->stuck = true;
        self->stuck_size = size;
        return 0;
    }
    rsn_batch_put(batch, k, kl, note, strlen(note));
    rc = rsn_store_write(self->store, batch, true);
    rsn_batch_destroy(&batch);
    if (rc < 0) {
        free(note);
        return rc;
    }
    free(self->note);
    self->note = note;
    self->size = size;
    memcpy(self->root, root, RSN_HASH_BYTES);
    self->have = true;
    self->signed_ms = mono_ms();
    self->age_from_ms = self->signed_ms;
    if (signed_now) {
        *signed_now = true;
    }
    rsn_debug("audit: signed a checkpoint at size %llu", (unsigned long long)size);
    return 0;
}

/* --- proofs ---------------------------------------------------------------- */

static ProtobufCBinaryData arena_bytes(rsn_arena_t *arena, const void *data, size_t len)
{
    ProtobufCBinaryData b = {0, NULL};
    b.data = rsn_arena_memdup(arena, data, len);
    b.len = b.data ? len : 0;
    return b;
}

static int proof_list(rsn_arena_t *arena, const rsn_merkle_proof_t proof, size_t n,
                      ProtobufCBinaryData **out)
{
    *out = rsn_arena_alloc(arena, (n ? n : 1) * sizeof **out);
    if (!*out) {
        return RSN_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        (*out)[i] = arena_bytes(arena, proof[i], RSN_HASH_BYTES);
        if (!(*out)[i].data) {
            return RSN_ERR_NOMEM;
        }
    }
    return 0;
}

int rsn_audit_prove(rsn_store_t *store, rsn_arena_t *arena, uint64_t log_size, uint64_t old_size,
                    uint64_t new_size, Raison__ProveReply **out, char *why, size_t why_size)
{
    if (old_size == 0 || old_size > new_size) {
        return rsn_why(why, why_size, RSN_ERR_BAD_REQUEST,
                       "a consistency proof needs 0 < old size <= new size");
    }
    if (new_size > log_size) {
        return rsn_why(why, why_size, RSN_ERR_NOT_FOUND,
                       "the log holds %llu leaves; cannot prove size %llu",
                       (unsigned long long)log_size, (unsigned long long)new_size);
    }
    Raison__ProveReply *r = rsn_arena_alloc(arena, sizeof *r);
    rsn_merkle_proof_t *proof = rsn_arena_alloc(arena, sizeof *proof);
    if (!r || !proof) {
        return RSN_ERR_NOMEM;
    }
    raison__prove_reply__init(r);
    uint8_t old_root[RSN_HASH_BYTES], new_root[RSN_HASH_BYTES];
    size_t n = 0;
    int rc = rsn_tlog_root(store, old_size, old_root);
    if (rc == 0) {
        rc = rsn_tlog_root(store, new_size, new_root);
    }
    if (rc == 0) {
        rc = rsn_merkle_consistency_proof(rsn_tree_get, store, old_size, new_size, *proof, &n);
    }
    if (rc < 0) {
        return rsn_why(why, why_size, RSN_ERR_INTERNAL, "the log's subtree hashes are unreadable");
    }
    r->old_size = old_size;
    r->new_size = new_size;
    r->old_root = arena_bytes(arena, old_root, RSN_HASH_BYTES);
    r->new_root = arena_bytes(arena, new_root, RSN_HASH_BYTES);
    rc = proof_list(arena, *proof, n, &r->proof);
    if (rc < 0 || !r->old_root.data || !r->new_root.data) {
        return RSN_ERR_NOMEM;
    }
    r->n_proof = n;
    *out = r;
    return 0;
}

static int call_include(rsn_audit_t *self, rsn_arena_t *arena, const Raison__IncludeRequest *q,
                        Raison__ApiReply *reply, char *why, size_t why_size)
{
    if (q->id.len != RSN_ID_BYTES) {
        return rsn_why(why, why_size, RSN_ERR_BAD_REQUEST, "include needs a 32-byte entry id");
    }
    uint64_t index = 0;
    int rc = rsn_tlog_leaf_index(self->store, q->id.data, &index);
    if (rc == RSN_ERR_NOT_FOUND) {
        return rsn_why(why, why_size, RSN_ERR_NOT_FOUND, "no entry with that id is in the log");
    }
    if (rc < 0) {
        return RSN_ERR_IO;
    }
    uint64_t tree_size = q->tree_size;
    if (tree_size == 0 && (!self->have || index >= self->size)) {
        /* the latest signed checkpoint does not cover the entry: sign one
         * that does (the log holds it), so a proof is had at once */
        rc = rsn_audit_tick(self, true, NULL);
        if (rc < 0) {
            return rc;
        }
    }
    if (tree_size == 0) {
        if (!self->have) {
            return rsn_why(why, why_size, RSN_ERR_NOT_FOUND, "no checkpoint could be signed");
        }
        tree_size = self->size;
    }
    uint64_t log_size = 0;
    uint8_t log_root[RSN_HASH_BYTES];
    rsn_ingest_log_root(self->ingest, &log_size, log_root);
    if (tree_size > log_size) {
        return rsn_why(why, why_size, RSN_ERR_BAD_REQUEST, "tree size is beyond the log");
    }
    if (index >= tree_size) {
        return rsn_why(why, why_size, RSN_ERR_NOT_FOUND,
                       "entry is leaf %llu, not yet in the tree of size %llu: ask for a fresh "
                       "checkpoint (`raison audit checkpoint --fresh`)",
                       (unsigned long long)index, (unsigned long long)tree_size);
    }
    Raison__IncludeReply *r = rsn_arena_alloc(arena, sizeof *r);
    rsn_merkle_proof_t *proof = rsn_arena_alloc(arena, sizeof *proof);
    if (!r || !proof) {
        return RSN_ERR_NOMEM;
    }
    raison__include_reply__init(r);
    uint8_t root[RSN_HASH_BYTES], leaf[RSN_HASH_BYTES];
    size_t n = 0;
    rsn_merkle_leaf_hash(leaf, q->id.data, RSN_ID_BYTES);
    rc = rsn_tlog_root(self->store, tree_size, root);
    if (rc == 0) {
        rc = rsn_merkle_inclusion_proof(rsn_tree_get, self->store, index, tree_size, *proof, &n);
    }
    if (rc < 0) {
        return rsn_why(why, why_size, RSN_ERR_INTERNAL, "the log's subtree hashes are unreadable");
    }
    r->leaf_index = index;
    r->tree_size = tree_size;
    r->root = arena_bytes(arena, root, RSN_HASH_BYTES);
    r->leaf_hash = arena_bytes(arena, leaf, RSN_HASH_BYTES);
    if (proof_list(arena, *proof, n, &r->proof) < 0 || !r->root.data || !r->leaf_hash.data) {
        return RSN_ERR_NOMEM;
    }
    r->n_proof = n;
    reply->result_case = RAISON__API_REPLY__RESULT_INCLUDE;
    reply->include = r;
    return 0;
}

/* --- pages of the log ------------------------------------------------------ */

int rsn_audit_leaves_check(rsn_audit_t *self, const Raison__LeavesRequest *q, uint64_t *end,
                           uint32_t *limit, char *why, size_t why_size)
{
    uint64_t log_size = 0;
    uint8_t root[RSN_HASH_BYTES];
    rsn_ingest_log_root(self->ingest, &log_size, root);
    *end = q->tree_size ? q->tree_size : log_size;
    if (*end > log_size) {
        return rsn_why(why, why_size, RSN_ERR_BAD_REQUEST, "tree size is beyond the log");
    }
    if (q->limit > LEAVES_MAX) {
        return rsn_why(why, why_size, RSN_ERR_BAD_REQUEST, "leaves limit is at most 1024");
    }
    *limit = q->limit ? q->limit : LEAVES_DEFAULT;
    return 0;
}

int rsn_audit_leaves_page(rsn_store_t *store, rsn_arena_t *arena, uint64_t from, uint64_t end,
                          uint32_t limit, Raison__ApiReply *reply, char *why, size_t why_size)
{
    Raison__LeavesReply *r = rsn_arena_alloc(arena, sizeof *r);
    if (!r) {
        return RSN_ERR_NOMEM;
    }
    raison__leaves_reply__init(r);
    r->leaves = rsn_arena_alloc(arena, limit * sizeof *r->leaves);
    if (!r->leaves) {
        return RSN_ERR_NOMEM;
    }
    uint64_t i = from;
    size_t bytes = 0;
    for (; i < end && r->n_leaves < limit && bytes < LEAVES_BYTES_MAX; i++) {
        uint8_t id[RSN_ID_BYTES];
        if (rsn_tlog_leaf(store, i, id) < 0) {
            return rsn_why(why, why_size, RSN_ERR_INTERNAL, "a log leaf is unreadable");
        }
        Raison__Leaf *leaf = rsn_arena_alloc(arena, sizeof *leaf);
        if (!leaf) {
            return RSN_ERR_NOMEM;
        }
        raison__leaf__init(leaf);
        leaf->index = i;
        leaf->id = arena_bytes(arena, id, RSN_ID_BYTES);
        if (!leaf->id.data || rsn_signed_load_at(store, arena, i, &leaf->signed_entry) < 0) {
            return rsn_why(why, why_size, RSN_ERR_INTERNAL, "a logged entry is unreadable");
        }
        r->leaves[r->n_leaves++] = leaf;
        bytes += leaf->signed_entry->entry.len + leaf->signed_entry->body.len + 128;
    }
    r->next_index = i < end ? i : 0;
    reply->result_case = RAISON__API_REPLY__RESULT_LEAVES;
    reply->leaves = r;
    return 0;
}

static int call_leaves(rsn_audit_t *self, rsn_arena_t *arena, const Raison__LeavesRequest *q,
                       Raison__ApiReply *reply, char *why, size_t why_size)
{
    uint64_t end = 0;
    uint32_t limit = 0;
    int rc = rsn_audit_leaves_check(self, q, &end, &limit, why, why_size);
    return rc < 0 ? rc
                  : rsn_audit_leaves_page(self->store, arena, q->from_index, end, limit, reply, why,
                                          why_size);
}

static int call_forks(rsn_audit_t *self, rsn_arena_t *arena, const Raison__ForksRequest *q,
                      Raison__ApiReply *reply, char *why, size_t why_size)
{
    uint32_t limit = q->limit ? q->limit : FORKS_MAX;
    if (limit > FORKS_MAX) {
        return rsn_why(why, why_size, RSN_ERR_BAD_REQUEST, "forks limit is at most 256");
    }
    if (q->cursor.len != 0 && q->cursor.len != RSN_KEYLEN_ID_N - 1) {
        return rsn_why(why, why_size, RSN_ERR_BAD_REQUEST,
                       "forks cursor is not one this node gave");
    }
    Raison__ForksReply *r = rsn_arena_alloc(arena, sizeof *r);
    if (!r) {
        return RSN_ERR_NOMEM;
    }
    raison__forks_reply__init(r);
    r->forks = rsn_arena_alloc(arena, limit * sizeof *r->forks);
    uint8_t prefix[RSN_KEY_MAX];
    size_t pl = rsn_key_prefix(prefix, RSN_TAG_FORK, NULL);
    rsn_iter_t *it = rsn_iter_new(self->store, prefix, pl);
    if (!r->forks || !it) {
        rsn_iter_destroy(&it);
        return RSN_ERR_NOMEM;
    }
    if (q->cursor.len) {
        /* the cursor is the last key given, without its tag: author seq */
        uint8_t k[RSN_KEY_MAX];
        size_t cl = rsn_key_fork(k, q->cursor.data, rsn_be64_get(q->cursor.data + RSN_KEY_BYTES));
        rsn_iter_seek(it, k, cl);
        if (rsn_iter_valid(it)) {
            size_t kl = 0;
            const uint8_t *key = rsn_iter_key(it, &kl);
            if (kl == cl && memcmp(key, k, cl) == 0) {
                rsn_iter_next(it);
            }
        }
    } else {
        rsn_iter_first(it);
    }
    const uint8_t *last = NULL;
    for (; rsn_iter_valid(it) && r->n_forks < limit; rsn_iter_next(it)) {
        size_t kl = 0, vl = 0;
        const uint8_t *key = rsn_iter_key(it, &kl);
        const uint8_t *v = rsn_iter_value(it, &vl);
        Raison__ForkEvidence *ev = NULL;
        if (kl == RSN_KEYLEN_ID_N && rsn_fork_evidence_decode(arena, v, vl, &ev) == 0) {
            r->forks[r->n_forks++] = ev;
            last = rsn_arena_memdup(arena, key + 1, RSN_KEYLEN_ID_N - 1);
        }
    }
    if (rsn_iter_valid(it) && last) {
        r->next_cursor.data = (uint8_t *)last;
        r->next_cursor.len = RSN_KEYLEN_ID_N - 1;
    }
    rsn_iter_destroy(&it);
    reply->result_case = RAISON__API_REPLY__RESULT_FORKS;
    reply->forks = r;
    return 0;
}

/* --- the API calls ---------------------------------------------------------- */

int rsn_audit_call(rsn_audit_t *self, rsn_arena_t *arena, const Raison__ApiRequest *req,
                   Raison__ApiReply *reply, char *why, size_t why_size)
{
    switch (req->call_case) {
    case RAISON__API_REQUEST__CALL_AUDIT_KEY: {
        Raison__AuditKeyReply *r = rsn_arena_alloc(arena, sizeof *r);
        char *vkey = rsn_arena_alloc(arena, RSN_NOTE_VKEY_MAX);
        if (!r || !vkey ||
            rsn_note_verifier_key(self->origin, rsn_keypair_public(self->key), vkey,
                                  RSN_NOTE_VKEY_MAX) < 0) {
            return RSN_ERR_NOMEM;
        }
        raison__audit_key_reply__init(r);
        r->origin = self->origin;
        r->verifier_key = vkey;
        reply->result_case = RAISON__API_REPLY__RESULT_AUDIT_KEY;
        reply->audit_key = r;
        return 0;
    }
    case RAISON__API_REQUEST__CALL_CHECKPOINT: {
        int rc = rsn_audit_tick(self, req->checkpoint->fresh, NULL);
        if (rc < 0) {
            return rc;
        }
        if (!self->have) {
            return rsn_why(why, why_size, RSN_ERR_NOT_FOUND,
                           "no checkpoint signed yet (the log is empty): ask with --fresh");
        }
        Raison__CheckpointReply *r = rsn_arena_alloc(arena, sizeof *r);
        if (!r) {
            return RSN_ERR_NOMEM;
        }
        raison__checkpoint_reply__init(r);
        r->note = self->note;
        r->size = self->size;
        r->root = arena_bytes(arena, self->root, RSN_HASH_BYTES);
        reply->result_case = RAISON__API_REPLY__RESULT_CHECKPOINT;
        reply->checkpoint = r;
        return 0;
    }
    case RAISON__API_REQUEST__CALL_PROVE: {
        uint64_t new_size = req->prove->new_size;
        if (new_size == 0) {
            if (!self->have) {
                return rsn_why(why, why_size, RSN_ERR_NOT_FOUND,
                               "no checkpoint signed yet: give --new, or ask for a fresh one");
            }
            new_size = self->size;
        }
        uint64_t log_size = 0;
        uint8_t root[RSN_HASH_BYTES];
        rsn_ingest_log_root(self->ingest, &log_size, root);
        int rc = rsn_audit_prove(self->store, arena, log_size, req->prove->old_size, new_size,
                                 &reply->prove, why, why_size);
        if (rc == 0) {
            reply->result_case = RAISON__API_REPLY__RESULT_PROVE;
        }
        return rc;
    }
    case RAISON__API_REQUEST__CALL_INCLUDE:
        return call_include(self, arena, req->include, reply, why, why_size);
    case RAISON__API_REQUEST__CALL_AUDIT_VERIFY: {
        int rc = rsn_audit_verify_store(self->store, rsn_keypair_public(self->key), arena,
                                        &reply->audit_verify);
        if (rc == 0) {
            reply->result_case = RAISON__API_REPLY__RESULT_AUDIT_VERIFY;
            rsn_info("audit: verified %llu entries in %llu ms: %s",
                     (unsigned long long)reply->audit_verify->entries,
                     (unsigned long long)reply->audit_verify->elapsed_ms,
                     reply->audit_verify->integrity_ok ? "integrity holds" : "INTEGRITY BROKEN");
        }
        return rc;
    }
    case RAISON__API_REQUEST__CALL_LEAVES:
        return call_leaves(self, arena, req->leaves, reply, why, why_size);
    case RAISON__API_REQUEST__CALL_FORKS:
        return call_forks(self, arena, req->forks, reply, why, why_size);
    default: return rsn_why(why, why_size, RSN_ERR_BAD_REQUEST, "not an audit call");
    }
}
