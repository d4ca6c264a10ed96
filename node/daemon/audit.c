/* d_audit.c — checkpoints, proofs, pages of the log, and the store check. */
#include "daemon/audit.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "crypto/crypto.h"
#include "crypto/merkle.h"
#include "crypto/note.h"
#include "store/keys.h"
#include "daemon/entry.h"
#include "daemon/judge.h"
#include "daemon/view_ctx.h"

#define LEAVES_DEFAULT 256
#define LEAVES_MAX 1024
#define FORKS_MAX 256
#define VERIFY_CHUNK 512
#define LEAVES_BYTES_MAX (4 * 1024 * 1024) /* a page of leaves stays under this */

struct rsn_audit {
    rsn_store_t *store;
    rsn_ingest_t *ingest;
    const rsn_keypair_t *key;
    char origin[RSN_NOTE_RAISON_NAME_SIZE];
    char *note; /* latest signed checkpoint */
    uint64_t size;
    uint8_t root[32];
    bool have;
    int64_t signed_ms;
    bool stuck;          /* the checkpoint stored at STUCK_SIZE does not verify */
    uint64_t stuck_size;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int bad(char *why, size_t why_size, int code, const char *text)
{
    snprintf(why, why_size, "%s", text);
    return code;
}

/* Parses a stored checkpoint note of this node into SIZE and ROOT. */
static int parse_own(const char *origin, const uint8_t key[32], const char *note, size_t len,
                     uint64_t *size, uint8_t root[32])
{
    size_t text_len = 0;
    int rc = rsn_note_verify(note, len, origin, key, &text_len);
    if (rc < 0) {
        return rc;
    }
    char got[RSN_NOTE_RAISON_NAME_SIZE + 8];
    rc = rsn_checkpoint_parse(note, text_len, got, sizeof got, size, root);
    if (rc < 0) {
        return rc;
    }
    return strcmp(got, origin) == 0 ? 0 : RSN_ERR_BAD_SIGNATURE;
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
    if (rsn_note_raison_name(rsn_keypair_public(key), self->origin, sizeof self->origin) < 0) {
        free(self);
        return RSN_ERR_INTERNAL;
    }
    uint8_t tag = RSN_TAG_CHECKPOINT;
    rsn_iter_t *it = rsn_iter_new(store, &tag, 1);
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
            if (parse_own(self->origin, rsn_keypair_public(key), self->note, vl, &self->size,
                          self->root) == 0) {
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

const char *rsn_audit_origin(const rsn_audit_t *self)
{
    return self->origin;
}

int rsn_audit_latest(const rsn_audit_t *self, const char **note, uint64_t *size, uint8_t root[32])
{
    if (!self->have) {
        return RSN_ERR_NOT_FOUND;
    }
    *note = self->note;
    *size = self->size;
    memcpy(root, self->root, 32);
    return 0;
}

int rsn_audit_tick(rsn_audit_t *self, bool force, bool *signed_now)
{
    if (signed_now) {
        *signed_now = false;
    }
    uint64_t size = 0;
    uint8_t root[32];
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
    uint8_t k[9];
    size_t kl = rsn_key_n(k, RSN_TAG_CHECKPOINT, size);
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
    memcpy(self->root, root, 32);
    self->have = true;
    self->signed_ms = mono_ms();
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
        (*out)[i] = arena_bytes(arena, proof[i], 32);
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
        return bad(why, why_size, RSN_ERR_BAD_REQUEST,
                   "a consistency proof needs 0 < old size <= new size");
    }
    if (new_size > log_size) {
        snprintf(why, why_size, "the log holds %llu leaves; cannot prove size %llu",
                 (unsigned long long)log_size, (unsigned long long)new_size);
        return RSN_ERR_NOT_FOUND;
    }
    Raison__ProveReply *r = rsn_arena_alloc(arena, sizeof *r);
    rsn_merkle_proof_t *proof = rsn_arena_alloc(arena, sizeof *proof);
    if (!r || !proof) {
        return RSN_ERR_NOMEM;
    }
    raison__prove_reply__init(r);
    uint8_t old_root[32], new_root[32];
    size_t n = 0;
    int rc = rsn_merkle_root_at(rsn_tree_get, store, old_size, old_root);
    if (rc == 0) {
        rc = rsn_merkle_root_at(rsn_tree_get, store, new_size, new_root);
    }
    if (rc == 0) {
        rc = rsn_merkle_consistency_proof(rsn_tree_get, store, old_size, new_size, *proof, &n);
    }
    if (rc < 0) {
        return bad(why, why_size, RSN_ERR_INTERNAL, "the log's subtree hashes are unreadable");
    }
    r->old_size = old_size;
    r->new_size = new_size;
    r->old_root = arena_bytes(arena, old_root, 32);
    r->new_root = arena_bytes(arena, new_root, 32);
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
    if (q->id.len != 32) {
        return bad(why, why_size, RSN_ERR_BAD_REQUEST, "include needs a 32-byte entry id");
    }
    uint8_t k[RSN_KEY_MAX];
    size_t kl = rsn_key_1(k, RSN_TAG_LEAF_INDEX, q->id.data);
    void *v = NULL;
    size_t vl = 0;
    int rc = rsn_store_get(self->store, k, kl, &v, &vl);
    if (rc == RSN_ERR_NOT_FOUND) {
        return bad(why, why_size, RSN_ERR_NOT_FOUND, "no entry with that id is in the log");
    }
    if (rc < 0 || vl != 8) {
        rsn_store_free(v);
        return RSN_ERR_IO;
    }
    uint64_t index = rsn_be64_get(v);
    rsn_store_free(v);
    uint64_t tree_size = q->tree_size;
    if (tree_size == 0) {
        if (!self->have) {
            return bad(why, why_size, RSN_ERR_NOT_FOUND,
                       "no checkpoint signed yet: ask for one with `raison audit checkpoint "
                       "--fresh`");
        }
        tree_size = self->size;
    }
    uint64_t log_size = 0;
    uint8_t log_root[32];
    rsn_ingest_log_root(self->ingest, &log_size, log_root);
    if (tree_size > log_size) {
        return bad(why, why_size, RSN_ERR_BAD_REQUEST, "tree size is beyond the log");
    }
    if (index >= tree_size) {
        snprintf(why, why_size,
                 "entry is leaf %llu, not yet in the tree of size %llu: ask for a fresh "
                 "checkpoint (`raison audit checkpoint --fresh`)",
                 (unsigned long long)index, (unsigned long long)tree_size);
        return RSN_ERR_NOT_FOUND;
    }
    Raison__IncludeReply *r = rsn_arena_alloc(arena, sizeof *r);
    rsn_merkle_proof_t *proof = rsn_arena_alloc(arena, sizeof *proof);
    if (!r || !proof) {
        return RSN_ERR_NOMEM;
    }
    raison__include_reply__init(r);
    uint8_t root[32], leaf[32];
    size_t n = 0;
    rsn_merkle_leaf_hash(leaf, q->id.data, 32);
    rc = rsn_merkle_root_at(rsn_tree_get, self->store, tree_size, root);
    if (rc == 0) {
        rc = rsn_merkle_inclusion_proof(rsn_tree_get, self->store, index, tree_size, *proof, &n);
    }
    if (rc < 0) {
        return bad(why, why_size, RSN_ERR_INTERNAL, "the log's subtree hashes are unreadable");
    }
    r->leaf_index = index;
    r->tree_size = tree_size;
    r->root = arena_bytes(arena, root, 32);
    r->leaf_hash = arena_bytes(arena, leaf, 32);
    if (proof_list(arena, *proof, n, &r->proof) < 0 || !r->root.data || !r->leaf_hash.data) {
        return RSN_ERR_NOMEM;
    }
    r->n_proof = n;
    reply->result_case = RAISON__API_REPLY__RESULT_INCLUDE;
    reply->include = r;
    return 0;
}

/* --- pages of the log ------------------------------------------------------ */


static int call_leaves(rsn_audit_t *self, rsn_arena_t *arena, const Raison__LeavesRequest *q,
                       Raison__ApiReply *reply, char *why, size_t why_size)
{
    uint64_t log_size = 0;
    uint8_t root[32];
    rsn_ingest_log_root(self->ingest, &log_size, root);
    uint64_t end = q->tree_size ? q->tree_size : log_size;
    if (end > log_size) {
        return bad(why, why_size, RSN_ERR_BAD_REQUEST, "tree size is beyond the log");
    }
    if (q->limit > LEAVES_MAX) {
        return bad(why, why_size, RSN_ERR_BAD_REQUEST, "leaves limit is at most 1024");
    }
    uint32_t limit = q->limit ? q->limit : LEAVES_DEFAULT;
    Raison__LeavesReply *r = rsn_arena_alloc(arena, sizeof *r);
    if (!r) {
        return RSN_ERR_NOMEM;
    }
    raison__leaves_reply__init(r);
    r->leaves = rsn_arena_alloc(arena, limit * sizeof *r->leaves);
    if (!r->leaves) {
        return RSN_ERR_NOMEM;
    }
    uint64_t i = q->from_index;
    size_t bytes = 0;
    for (; i < end && r->n_leaves < limit && bytes < LEAVES_BYTES_MAX; i++) {
        uint8_t k[9];
        size_t kl = rsn_key_n(k, RSN_TAG_LEAF, i);
        void *v = NULL;
        size_t vl = 0;
        int rc = rsn_store_get(self->store, k, kl, &v, &vl);
        if (rc < 0 || vl != 32) {
            rsn_store_free(v);
            return bad(why, why_size, RSN_ERR_INTERNAL, "a log leaf is unreadable");
        }
        Raison__Leaf *leaf = rsn_arena_alloc(arena, sizeof *leaf);
        if (!leaf) {
            rsn_store_free(v);
            return RSN_ERR_NOMEM;
        }
        raison__leaf__init(leaf);
        leaf->index = i;
        leaf->id = arena_bytes(arena, v, 32);
        rsn_store_free(v);
        if (!leaf->id.data || rsn_signed_load(self->store, arena, leaf->id.data,
                                          &leaf->signed_entry) < 0) {
            return bad(why, why_size, RSN_ERR_INTERNAL, "a logged entry is unreadable");
        }
        r->leaves[r->n_leaves++] = leaf;
        bytes += leaf->signed_entry->entry.len + leaf->signed_entry->body.len + 128;
    }
    r->next_index = i < end ? i : 0;
    reply->result_case = RAISON__API_REPLY__RESULT_LEAVES;
    reply->leaves = r;
    return 0;
}

static int call_forks(rsn_audit_t *self, rsn_arena_t *arena, const Raison__ForksRequest *q,
                      Raison__ApiReply *reply, char *why, size_t why_size)
{
    uint32_t limit = q->limit ? q->limit : FORKS_MAX;
    if (limit > FORKS_MAX) {
        return bad(why, why_size, RSN_ERR_BAD_REQUEST, "forks limit is at most 256");
    }
    if (q->cursor.len != 0 && q->cursor.len != 40) {
        return bad(why, why_size, RSN_ERR_BAD_REQUEST, "forks cursor is not one this node gave");
    }
    Raison__ForksReply *r = rsn_arena_alloc(arena, sizeof *r);
    if (!r) {
        return RSN_ERR_NOMEM;
    }
    raison__forks_reply__init(r);
    r->forks = rsn_arena_alloc(arena, limit * sizeof *r->forks);
    uint8_t tag = RSN_TAG_FORK;
    rsn_iter_t *it = rsn_iter_new(self->store, &tag, 1);
    if (!r->forks || !it) {
        rsn_iter_destroy(&it);
        return RSN_ERR_NOMEM;
    }
    if (q->cursor.len) {
        uint8_t k[41];
        k[0] = RSN_TAG_FORK;
        memcpy(k + 1, q->cursor.data, 40);
        rsn_iter_seek(it, k, sizeof k);
        if (rsn_iter_valid(it)) {
            size_t kl = 0;
            const uint8_t *key = rsn_iter_key(it, &kl);
            if (kl == 41 && memcmp(key, k, 41) == 0) {
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
        ProtobufCAllocator a = rsn_arena_allocator(arena);
        Raison__ForkEvidence *ev = raison__fork_evidence__unpack(&a, vl, v);
        if (ev && kl == 41) {
            r->forks[r->n_forks++] = ev;
            last = rsn_arena_memdup(arena, key + 1, 40);
        }
    }
    if (rsn_iter_valid(it) && last) {
        r->next_cursor.data = (uint8_t *)last;
        r->next_cursor.len = 40;
    }
    rsn_iter_destroy(&it);
    reply->result_case = RAISON__API_REPLY__RESULT_FORKS;
    reply->forks = r;
    return 0;
}

/* --- verifying a store ------------------------------------------------------ */

typedef struct {
    rsn_arena_t *arena;
    Raison__AuditVerifyReply *r;
    size_t cap;
    uint64_t integrity_problems; /* every problem but rule violations, listed or not */
} report_t;

static void problem(report_t *rep, const char *kind, const uint8_t *id, uint64_t index,
                    const char *fmt, ...) RSN_PRINTF(5, 6);

static void problem(report_t *rep, const char *kind, const uint8_t *id, uint64_t index,
                    const char *fmt, ...)
{
    Raison__AuditVerifyReply *r = rep->r;
    if (strcmp(kind, "rule") != 0) {
        rep->integrity_problems++;
    }
    if (r->n_problems >= RSN_AUDIT_PROBLEMS_MAX) {
        return;
    }
    if (r->n_problems == rep->cap) {
        size_t cap = rep->cap ? rep->cap * 2 : 64;
        Raison__AuditProblem **grown = rsn_arena_alloc(rep->arena, cap * sizeof *grown);
        if (!grown) {
            return;
        }
        if (r->n_problems) {
            memcpy(grown, r->problems, r->n_problems * sizeof *grown);
        }
        r->problems = grown;
        rep->cap = cap;
    }
    Raison__AuditProblem *p = rsn_arena_alloc(rep->arena, sizeof *p);
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (!p) {
        return;
    }
    raison__audit_problem__init(p);
    p->kind = rsn_arena_strdup(rep->arena, kind);
    p->reason = rsn_arena_strdup(rep->arena, text);
    if (id) {
        p->id = arena_bytes(rep->arena, id, 32);
    }
    p->index = index;
    if (p->kind && p->reason) {
        r->problems[r->n_problems++] = p;
    }
}

typedef struct {
    uint64_t size;
    uint8_t root[32];
    bool ok;
} checkpoint_t;

/* Reads and checks every checkpoint this node signed, in size order. */
static int load_checkpoints(rsn_store_t *store, const char *origin, const uint8_t key[32],
                            report_t *rep, checkpoint_t **out, size_t *n)
{
    uint8_t tag = RSN_TAG_CHECKPOINT;
    rsn_iter_t *it = rsn_iter_new(store, &tag, 1);
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    if (!it) {
        return RSN_ERR_NOMEM;
    }
    for (rsn_iter_first(it); rsn_iter_valid(it); rsn_iter_next(it)) {
        size_t kl = 0, vl = 0;
        const uint8_t *k = rsn_iter_key(it, &kl);
        const uint8_t *v = rsn_iter_value(it, &vl);
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            checkpoint_t *grown = rsn_arena_alloc(rep->arena, cap * sizeof *grown);
            if (!grown) {
                rsn_iter_destroy(&it);
                return RSN_ERR_NOMEM;
            }
            if (*n) {
                memcpy(grown, *out, *n * sizeof *grown);
            }
            *out = grown;
        }
        checkpoint_t *c = &(*out)[*n];
        rep->r->checkpoints++;
        uint64_t key_size = kl == 9 ? rsn_be64_get(k + 1) : UINT64_MAX;
        int rc = parse_own(origin, key, (const char *)v, vl, &c->size, c->root);
        if (rc < 0 || c->size != key_size) {
            rep->r->bad_checkpoints++;
            problem(rep, "checkpoint", NULL, key_size,
                    "the checkpoint stored for size %llu does not verify under the node key "
                    "or names another size",
                    (unsigned long long)key_size);
            continue;
        }
        c->ok = true;
        (*n)++;
    }
    rsn_iter_destroy(&it);
    return 0;
}

static bool rsn_memzero_check(const uint8_t id[32])
{
    for (int i = 0; i < 32; i++) {
        if (id[i]) {
            return false;
        }
    }
    return true;
}

typedef struct {
    uint8_t id[32];
    uint64_t index;
    Raison__SignedEntry *se;
    Raison__Entry *e;
    bool has_body;
    const uint8_t *body;
    size_t body_len;
} leaf_t;

/* Checks one loaded leaf's id, body and chain; returns true when its
 * signature should be checked. */
static bool check_leaf(rsn_store_t *store, report_t *rep, uint64_t index, leaf_t *l)
{
    Raison__AuditVerifyReply *r = rep->r;
    uint8_t id[32];
    rsn_entry_id(id, l->se->entry.data, l->se->entry.len);
    if (memcmp(id, l->id, 32) != 0) {
        problem(rep, "id", l->id, index, "the stored entry's bytes do not hash to its id");
        r->bad_signatures++;
        return false;
    }
    char why[128];
    if (rsn_entry_decode(rep->arena, l->se->entry.data, l->se->entry.len, &l->e, why,
                         sizeof why) < 0) {
        problem(rep, "entry", l->id, index, "%s", why);
        return false;
    }
    if (l->has_body) {
        uint8_t h[32];
        rsn_sha256(h, l->body, l->body_len);
        if (l->body_len != l->e->body_size || memcmp(h, l->e->body_hash.data, 32) != 0) {
            r->body_mismatches++;
            problem(rep, "body", l->id, index, "the stored body does not match body_hash");
        }
    } else {
        r->erased++;
    }
    /* the feed index, and the chain */
    uint8_t k[RSN_KEY_MAX];
    void *v = NULL;
    size_t vl = 0;
    size_t kl = rsn_key_1n(k, RSN_TAG_SEQ, l->e->author.data, l->e->seq);
    if (rsn_store_get(store, k, kl, &v, &vl) != 0 || vl != 32 || memcmp(v, l->id, 32) != 0) {
        r->chain_errors++;
        problem(rep, "chain", l->id, index, "the feed index does not name this entry at seq %llu",
                (unsigned long long)l->e->seq);
    }
    rsn_store_free(v);
    v = NULL;
    if (l->e->seq > 1) {
        kl = rsn_key_1n(k, RSN_TAG_SEQ, l->e->author.data, l->e->seq - 1);
        if (rsn_store_get(store, k, kl, &v, &vl) != 0 || vl != 32 ||
            memcmp(v, l->e->prev.data, 32) != 0) {
            r->chain_errors++;
            problem(rep, "chain", l->id, index, "prev is not the id of seq %llu of its feed",
                    (unsigned long long)l->e->seq - 1);
        }
        rsn_store_free(v);
    }
    return true;
}

/* Loads leaf INDEX (id, stored entry, body) into L from ARENA. */
static int load_leaf(rsn_store_t *store, rsn_arena_t *arena, uint64_t index, leaf_t *l)
{
    uint8_t k[9];
    size_t kl = rsn_key_n(k, RSN_TAG_LEAF, index);
    void *v = NULL;
    size_t vl = 0;
    int rc = rsn_store_get(store, k, kl, &v, &vl);
    if (rc < 0) {
        return rc;
    }
    if (vl != 32) {
        rsn_store_free(v);
        return RSN_ERR_IO;
    }
    memcpy(l->id, v, 32);
    rsn_store_free(v);
    rc = rsn_signed_load(store, arena, l->id, &l->se);
    if (rc < 0) {
        return rc;
    }
    l->has_body = l->se->body.data != NULL;
    l->body = l->se->body.data;
    l->body_len = l->se->body.len;
    return 0;
}

static void check_forks(rsn_store_t *store, report_t *rep)
{
    uint8_t tag = RSN_TAG_FORK;
    rsn_iter_t *it = rsn_iter_new(store, &tag, 1);
    if (!it) {
        problem(rep, "fork", NULL, 0, "out of memory: fork evidence not checked");
        return;
    }
    for (rsn_iter_first(it); rsn_iter_valid(it); rsn_iter_next(it)) {
        size_t vl = 0;
        const uint8_t *v = rsn_iter_value(it, &vl);
        rep->r->forks++;
        ProtobufCAllocator a = rsn_arena_allocator(rep->arena);
        Raison__ForkEvidence *ev = raison__fork_evidence__unpack(&a, vl, v);
        Raison__Entry *ea = NULL, *eb = NULL;
        bool ok = ev && ev->a && ev->b && ev->a->signature.len == 64 &&
                  ev->b->signature.len == 64 &&
                  rsn_entry_decode(rep->arena, ev->a->entry.data, ev->a->entry.len, &ea, NULL,
                                   0) == 0 &&
                  rsn_entry_decode(rep->arena, ev->b->entry.data, ev->b->entry.len, &eb, NULL,
                                   0) == 0;
        ok = ok && memcmp(ea->author.data, eb->author.data, 32) == 0 && ea->seq == eb->seq &&
             !(ev->a->entry.len == ev->b->entry.len &&
               memcmp(ev->a->entry.data, ev->b->entry.data, ev->a->entry.len) == 0) &&
             rsn_entry_verify(ea->author.data, ev->a->entry.data, ev->a->entry.len,
                              ev->a->signature.data) == 0 &&
             rsn_entry_verify(eb->author.data, ev->b->entry.data, ev->b->entry.len,
                              ev->b->signature.data) == 0;
        if (!ok) {
            rep->r->bad_forks++;
            problem(rep, "fork", NULL, 0,
                    "a fork evidence does not hold two entries of one (author, seq) both "
                    "signed by the author");
        }
    }
    rsn_iter_destroy(&it);
}

int rsn_audit_verify_store(rsn_store_t *store, const uint8_t node_key[32], rsn_arena_t *arena,
                           Raison__AuditVerifyReply **out)
{
    int64_t started = mono_ms();
    Raison__AuditVerifyReply *r = rsn_arena_alloc(arena, sizeof *r);
    if (!r) {
        return RSN_ERR_NOMEM;
    }
    raison__audit_verify_reply__init(r);
    report_t rep = {arena, r, 0, 0};
    char origin[RSN_NOTE_RAISON_NAME_SIZE];
    if (rsn_note_raison_name(node_key, origin, sizeof origin) < 0) {
        return RSN_ERR_INTERNAL;
    }
    checkpoint_t *cps = NULL;
    size_t n_cps = 0, next_cp = 0;
    int rc = load_checkpoints(store, origin, node_key, &rep, &cps, &n_cps);
    if (rc < 0) {
        return rc;
    }
    /* the counters say how many leaves there must be */
    uint64_t expected = 0;
    uint8_t ck[8] = {RSN_TAG_COUNTER, 'l', 'e', 'a', 'v', 'e', 's'};
    void *v = NULL;
    size_t vl = 0;
    if (rsn_store_get(store, ck, 7, &v, &vl) == 0 && vl == 8) {
        expected = rsn_be64_get(v);
    }
    rsn_store_free(v);
    rsn_view_ctx_t *views = rsn_view_ctx_new(store, arena);
    rsn_merkle_frontier_t f;
    rsn_merkle_frontier_init(&f);
    leaf_t *chunk = calloc(VERIFY_CHUNK, sizeof *chunk);
    rsn_verify_item_t *items = calloc(VERIFY_CHUNK, sizeof *items);
    int *results = calloc(VERIFY_CHUNK, sizeof *results);
    uint64_t *indexes = calloc(VERIFY_CHUNK, sizeof *indexes);
    if (!views || !chunk || !items || !results || !indexes) {
        rc = RSN_ERR_NOMEM;
        goto out;
    }
    uint64_t index = 0;
    bool done = false;
    while (!done) {
        rsn_arena_t *scratch = rsn_arena_new();
        if (!scratch) {
            rc = RSN_ERR_NOMEM;
            goto out;
        }
        size_t n = 0, n_items = 0;
        for (; n < VERIFY_CHUNK; index++) {
            leaf_t *l = &chunk[n];
            memset(l, 0, sizeof *l);
            l->index = index;
            rc = load_leaf(store, scratch, index, l);
            if (rc == RSN_ERR_NOT_FOUND && rsn_memzero_check(l->id) && index >= expected) {
                done = true;
                break;
            }
            bool have_id = !rsn_memzero_check(l->id);
            if (rc < 0) {
                problem(&rep, "log", have_id ? l->id : NULL, index,
                        "leaf %llu or its entry is missing or unreadable",
                        (unsigned long long)index);
                if (!have_id) {
                    continue;
                }
            }
            r->entries++;
            uint8_t leaf_hash[32];
            rsn_merkle_leaf_hash(leaf_hash, l->id, 32);
            rsn_merkle_node_t nodes[RSN_MERKLE_MAX_DEPTH];
            size_t n_nodes = 0;
            if (rsn_merkle_frontier_append(&f, leaf_hash, nodes, &n_nodes) < 0) {
                rc = RSN_ERR_INTERNAL;
                rsn_arena_destroy(&scratch);
                goto out;
            }
            while (next_cp < n_cps && cps[next_cp].size < index + 1) {
                next_cp++; /* sizes beyond the log are reported below */
            }
            if (next_cp < n_cps && cps[next_cp].size == index + 1) {
                uint8_t root[32];
                rsn_merkle_frontier_root(&f, root);
                if (memcmp(root, cps[next_cp].root, 32) != 0) {
                    r->bad_checkpoints++;
                    problem(&rep, "checkpoint", NULL, index + 1,
                            "the log's leaves do not give the root this node signed at size "
                            "%llu: history was rewritten",
                            (unsigned long long)(index + 1));
                }
                next_cp++;
            }
            if (rc == 0 && check_leaf(store, &rep, index, l)) {
                items[n_items].author = l->e->author.data;
                items[n_items].entry = l->se->entry.data;
                items[n_items].len = l->se->entry.len;
                items[n_items].signature =
                    l->se->signature.len == 64 ? l->se->signature.data : NULL;
                indexes[n_items] = (uint64_t)n;
                if (items[n_items].signature) {
                    n_items++;
                } else {
                    r->bad_signatures++;
                    problem(&rep, "signature", l->id, index, "the signature is not 64 bytes");
                }
            }
            n++;
        }
        rsn_entry_verify_many(items, n_items, results, 0);
        for (size_t i = 0; i < n_items; i++) {
            leaf_t *l = &chunk[indexes[i]];
            if (results[i] == 0) {
                r->signatures_ok++;
            } else {
                r->bad_signatures++;
                problem(&rep, "signature", l->id, l->index, "the signature does not verify");
            }
            /* semantic rules: kept in the log, shown by no view */
            rsn_loaded_t loaded = {0};
            memcpy(loaded.id, l->id, 32);
            loaded.signed_entry = l->se;
            loaded.entry = l->e;
            loaded.erased = !l->has_body;
            void *body = NULL;
            if (l->has_body &&
                rsn_body_decode(scratch, l->e->kind, l->body, l->body_len, &body) == 0) {
                loaded.body = body;
            }
            const char *why = NULL;
            if (rsn_view_entry_problem(views, &loaded, &why) == 0 && why) {
                r->rule_violations++;
                problem(&rep, "rule", l->id, l->index, "%s", why);
            }
        }
        rsn_arena_destroy(&scratch);
        rc = 0;
    }
    r->log_size = r->entries;
    /* the stored subtree hashes against the leaves */
    uint8_t root[32], stored_root[32];
    rsn_merkle_frontier_root(&f, root);
    r->log_ok = true;
    if (r->entries != expected) {
        r->log_ok = false;
        problem(&rep, "log", NULL, r->entries, "the log has %llu leaves; the node counted %llu",
                (unsigned long long)r->entries, (unsigned long long)expected);
    }
    if (rsn_merkle_root_at(rsn_tree_get, store, r->entries, stored_root) < 0 ||
        memcmp(root, stored_root, 32) != 0) {
        r->log_ok = false;
        problem(&rep, "log", NULL, r->entries,
                "the stored tree hashes do not match the leaves (root at size %llu)",
                (unsigned long long)r->entries);
    }
    for (size_t i = 0; i < n_cps; i++) {
        if (cps[i].size > r->entries) {
            r->bad_checkpoints++;
            problem(&rep, "checkpoint", NULL, cps[i].size,
                    "the node signed a checkpoint of size %llu but the log has %llu leaves: "
                    "history was dropped",
                    (unsigned long long)cps[i].size, (unsigned long long)r->entries);
        }
    }
    check_forks(store, &rep);
    r->integrity_ok = r->bad_signatures == 0 && r->chain_errors == 0 &&
                      r->body_mismatches == 0 && r->bad_forks == 0 && r->log_ok &&
                      r->bad_checkpoints == 0;
    if (rep.integrity_problems > 0) {
        r->integrity_ok = false; /* counted even past the listing's cap */
    }
    r->elapsed_ms = (uint64_t)(mono_ms() - started);
    *out = r;
out:
    free(chunk);
    free(items);
    free(results);
    free(indexes);
    return rc;
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
            return bad(why, why_size, RSN_ERR_NOT_FOUND,
                       "no checkpoint signed yet (the log is empty): ask with --fresh");
        }
        Raison__CheckpointReply *r = rsn_arena_alloc(arena, sizeof *r);
        if (!r) {
            return RSN_ERR_NOMEM;
        }
        raison__checkpoint_reply__init(r);
        r->note = self->note;
        r->size = self->size;
        r->root = arena_bytes(arena, self->root, 32);
        reply->result_case = RAISON__API_REPLY__RESULT_CHECKPOINT;
        reply->checkpoint = r;
        return 0;
    }
    case RAISON__API_REQUEST__CALL_PROVE: {
        uint64_t new_size = req->prove->new_size;
        if (new_size == 0) {
            if (!self->have) {
                return bad(why, why_size, RSN_ERR_NOT_FOUND,
                           "no checkpoint signed yet: give --new, or ask for a fresh one");
            }
            new_size = self->size;
        }
        uint64_t log_size = 0;
        uint8_t root[32];
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
    default:
        return bad(why, why_size, RSN_ERR_BAD_REQUEST, "not an audit call");
    }
}
