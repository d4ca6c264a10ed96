/* audit_verify.c — verifying a whole store, as `raison audit verify` asks.
 *
 * Walks the transparency log leaf by leaf, in chunks: each leaf's entry must
 * hash to its id, decode, match its body (unless erased), sit in its feed's
 * chain, and carry a signature that verifies (checked a chunk at a time on
 * every core); the semantic rules are judged too (a violation is reported,
 * not an integrity failure: such entries are kept and shown by no view), and
 * bodies missing are counted and listed apart from bodies erased (neither is
 * an integrity failure: what was signed is intact, see docs/audit.md). The
 * leaves are hashed again and compared with every checkpoint this node signed
 * and with the stored subtree hashes; then every fork evidence is checked.
 * The verdict and the problems found (the first RSN_AUDIT_PROBLEMS_MAX) go
 * into one AuditVerifyReply. docs/audit.md. It reads nothing but STORE (a
 * snapshot when the node runs it on a worker thread, daemon/background.h)
 * and its own arenas, so it may run beside the event loop. */
#include "daemon/audit_verify.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/crypto.h"
#include "crypto/merkle.h"
#include "crypto/note.h"
#include "daemon/entry.h"
#include "daemon/forks.h"
#include "daemon/judge.h"
#include "daemon/view_ctx.h"
#include "store/keys.h"
#include "store/tlog.h"

#define VERIFY_CHUNK 512

typedef struct {
    rsn_arena_t *arena;
    Raison__AuditVerifyReply *r;
    size_t cap;
    uint64_t integrity_problems; /* every problem but rule violations, listed or not */
} report_t;

typedef struct {
    uint64_t size;
    uint8_t root[RSN_HASH_BYTES];
    bool ok;
} checkpoint_t;

typedef struct {
    uint8_t id[RSN_ID_BYTES];
    uint64_t index;
    uint64_t at; /* the log index 'I' gives its id: where its entry was read */
    Raison__SignedEntry *se;
    Raison__Entry *e;
    bool has_body;
    const uint8_t *body;
    size_t body_len;
} leaf_t;

/* One verification under way. */
typedef struct {
    rsn_store_t *store;
    report_t rep;
    checkpoint_t *cps; /* the checkpoints this node signed, by size */
    size_t n_cps;
    size_t next_cp;
    uint64_t expected;         /* leaves the counters say there are */
    rsn_merkle_frontier_t log; /* the leaves read so far */
    rsn_view_ctx_t *views;
    leaf_t *chunk;
    rsn_verify_item_t *items;
    int *results;
    uint64_t *indexes; /* the chunk index of each item */
    uint64_t index;    /* the next leaf to read */
} verify_t;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void problem(report_t *rep, const char *kind, const uint8_t *id, uint64_t index,
                    const char *fmt, ...) RSN_PRINTF(5, 6);

static void problem(report_t *rep, const char *kind, const uint8_t *id, uint64_t index,
                    const char *fmt, ...)
{
    Raison__AuditVerifyReply *r = rep->r;
    if (strcmp(kind, "rule") != 0 && strcmp(kind, "body-missing") != 0) {
        rep->integrity_problems++; /* a body missing is being fetched, not altered */
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
        p->id.data = rsn_arena_memdup(rep->arena, id, RSN_ID_BYTES);
        p->id.len = p->id.data ? RSN_ID_BYTES : 0;
    }
    p->index = index;
    if (p->kind && p->reason) {
        r->problems[r->n_problems++] = p;
    }
}

/* Reads and checks every checkpoint this node signed, in size order. */
static int load_checkpoints(verify_t *v, const char *origin, const uint8_t key[RSN_KEY_BYTES])
{
    report_t *rep = &v->rep;
    uint8_t prefix[RSN_KEY_MAX];
    size_t pl = rsn_key_prefix(prefix, RSN_TAG_CHECKPOINT, NULL);
    rsn_iter_t *it = rsn_iter_new(v->store, prefix, pl);
    size_t cap = 0;
    if (!it) {
        return RSN_ERR_NOMEM;
    }
    for (rsn_iter_first(it); rsn_iter_valid(it); rsn_iter_next(it)) {
        size_t kl = 0, vl = 0;
        const uint8_t *k = rsn_iter_key(it, &kl);
        const uint8_t *val = rsn_iter_value(it, &vl);
        if (v->n_cps == cap) {
            cap = cap ? cap * 2 : 64;
            checkpoint_t *grown = rsn_arena_alloc(rep->arena, cap * sizeof *grown);
            if (!grown) {
                rsn_iter_destroy(&it);
                return RSN_ERR_NOMEM;
            }
            if (v->n_cps) {
                memcpy(grown, v->cps, v->n_cps * sizeof *grown);
            }
            v->cps = grown;
        }
        checkpoint_t *c = &v->cps[v->n_cps];
        rep->r->checkpoints++;
        uint64_t key_size = kl == RSN_KEYLEN_N ? rsn_be64_get(k + 1) : UINT64_MAX;
        int rc = rsn_audit_checkpoint_parse(origin, key, (const char *)val, vl, &c->size, c->root);
        if (rc < 0 || c->size != key_size) {
            rep->r->bad_checkpoints++;
            problem(rep, "checkpoint", NULL, key_size,
                    "the checkpoint stored for size %llu does not verify under the node key "
                    "or names another size",
                    (unsigned long long)key_size);
            continue;
        }
        c->ok = true;
        v->n_cps++;
    }
    rsn_iter_destroy(&it);
    return 0;
}

static bool is_zero(const uint8_t id[RSN_ID_BYTES])
{
    for (int i = 0; i < RSN_ID_BYTES; i++) {
        if (id[i]) {
            return false;
        }
    }
    return true;
}

/* True when the feed index 'S' (AUTHOR, SEQ) names the log index AT. */
static bool feed_names_at(rsn_store_t *store, const uint8_t *author, uint64_t seq, uint64_t at)
{
    uint8_t k[RSN_KEY_MAX];
    size_t kl = rsn_key_feed_seq(k, author, seq);
    uint64_t held = 0;
    return rsn_store_get_u64(store, k, kl, &held) == 0 && held == at;
}

/* True when the feed index 'S' (AUTHOR, SEQ) names ID: the log index 'I'
 * gives ID (not the leaf 'L' holds there: a rewritten leaf is the log's
 * fault, found by the log's check). */
static bool feed_names(rsn_store_t *store, const uint8_t *author, uint64_t seq, const uint8_t *id)
{
    uint64_t at = 0;
    return rsn_tlog_leaf_index(store, id, &at) == 0 && feed_names_at(store, author, seq, at);
}

/* True when entry ID is held as body missing ('D'), not erased. */
static bool body_missing(rsn_store_t *store, const uint8_t *id)
{
    uint8_t k[RSN_KEY_MAX];
    return rsn_store_has(store, k, rsn_key_body_missing(k, id)) == 0;
}

/* Checks one loaded leaf's id, body and chain; returns true when its
 * signature should be checked. */
static bool check_leaf(rsn_store_t *store, report_t *rep, rsn_arena_t *scratch, uint64_t index,
                       leaf_t *l)
{
    Raison__AuditVerifyReply *r = rep->r;
    uint8_t id[RSN_ID_BYTES];
    rsn_entry_id(id, l->se->entry.data, l->se->entry.len);
    if (memcmp(id, l->id, RSN_ID_BYTES) != 0) {
        problem(rep, "id", l->id, index, "the stored entry's bytes do not hash to its id");
        r->bad_signatures++;
        return false;
    }
    char why[128];
    if (rsn_entry_decode(scratch, l->se->entry.data, l->se->entry.len, &l->e, why, sizeof why) <
        0) {
        problem(rep, "entry", l->id, index, "%s", why);
        return false;
    }
    if (l->has_body) {
        uint8_t h[RSN_HASH_BYTES];
        rsn_sha256(h, l->body, l->body_len);
        if (l->body_len != l->e->body_size || memcmp(h, l->e->body_hash.data, RSN_HASH_BYTES)) {
            r->body_mismatches++;
            problem(rep, "body", l->id, index, "the stored body does not match body_hash");
        }
    } else if (body_missing(store, l->id)) {
        r->bodies_missing++;
        problem(rep, "body-missing", l->id, index,
                "the body was never received (a peer relayed the entry without it, for no "
                "reason this node holds): it is being fetched from peers");
    } else {
        r->erased++;
    }
    /* the feed index, and the chain */
    if (!feed_names_at(store, l->e->author.data, l->e->seq, l->at)) {
        r->chain_errors++;
        problem(rep, "chain", l->id, index, "the feed index does not name this entry at seq %llu",
                (unsigned long long)l->e->seq);
    }
    if (l->e->seq > 1 && !feed_names(store, l->e->author.data, l->e->seq - 1, l->e->prev.data)) {
        r->chain_errors++;
        problem(rep, "chain", l->id, index, "prev is not the id of seq %llu of its feed",
                (unsigned long long)l->e->seq - 1);
    }
    return true;
}

/* Loads leaf INDEX (id, stored entry, body) into L from ARENA. */
static int load_leaf(rsn_store_t *store, rsn_arena_t *arena, uint64_t index, leaf_t *l)
{
    int rc = rsn_tlog_leaf(store, index, l->id);
    if (rc < 0) {
        memset(l->id, 0, sizeof l->id);
        return rc;
    }
    rc = rsn_tlog_leaf_index(store, l->id, &l->at);
    if (rc == 0) {
        rc = rsn_signed_load_at(store, arena, l->at, &l->se);
    }
    if (rc < 0) {
        return rc;
    }
    l->has_body = l->se->body.data != NULL;
    l->body = l->se->body.data;
    l->body_len = l->se->body.len;
    return 0;
}

/* The log's root after leaf INDEX against the checkpoint of size INDEX + 1,
 * if this node signed one. */
static void check_checkpoint_at(verify_t *v, uint64_t index)
{
    while (v->next_cp < v->n_cps && v->cps[v->next_cp].size < index + 1) {
        v->next_cp++; /* sizes beyond the log are reported by check_log */
    }
    if (v->next_cp < v->n_cps && v->cps[v->next_cp].size == index + 1) {
        uint8_t root[RSN_HASH_BYTES];
        rsn_merkle_frontier_root(&v->log, root);
        if (memcmp(root, v->cps[v->next_cp].root, RSN_HASH_BYTES) != 0) {
            v->rep.r->bad_checkpoints++;
            problem(&v->rep, "checkpoint", NULL, index + 1,
                    "the log's leaves do not give the root this node signed at size "
                    "%llu: history was rewritten",
                    (unsigned long long)(index + 1));
        }
        v->next_cp++;
    }
}

/* Queues the signature of the checked leaf L (chunk slot N) for checking. */
static void queue_signature(verify_t *v, const leaf_t *l, size_t n, size_t *n_items)
{
    if (l->se->signature.len != RSN_SIG_BYTES) {
        v->rep.r->bad_signatures++;
        problem(&v->rep, "signature", l->id, l->index, "the signature is not 64 bytes");
        return;
    }
    rsn_verify_item_t *item = &v->items[*n_items];
    item->author = l->e->author.data;
    item->entry = l->se->entry.data;
    item->len = l->se->entry.len;
    item->signature = l->se->signature.data;
    v->indexes[*n_items] = (uint64_t)n;
    (*n_items)++;
}

/* Reads the next chunk of leaves into SCRATCH: hashes each into the log,
 * checks it, and queues its signature. *DONE at the end of the log. */
static int read_chunk(verify_t *v, rsn_arena_t *scratch, size_t *n_items, bool *done)
{
    Raison__AuditVerifyReply *r = v->rep.r;
    *n_items = 0;
    for (size_t n = 0; n < VERIFY_CHUNK; v->index++) {
        uint64_t index = v->index;
        leaf_t *l = &v->chunk[n];
        memset(l, 0, sizeof *l);
        l->index = index;
        int rc = load_leaf(v->store, scratch, index, l);
        bool have_id = !is_zero(l->id);
        if (rc == RSN_ERR_NOT_FOUND && !have_id && index >= v->expected) {
            *done = true;
            break;
        }
        if (rc < 0) {
            problem(&v->rep, "log", have_id ? l->id : NULL, index,
                    "leaf %llu or its entry is missing or unreadable", (unsigned long long)index);
            if (!have_id) {
                continue;
            }
        }
        r->entries++;
        uint8_t leaf_hash[RSN_HASH_BYTES];
        rsn_merkle_leaf_hash(leaf_hash, l->id, RSN_ID_BYTES);
        rsn_merkle_node_t nodes[RSN_MERKLE_MAX_DEPTH];
        size_t n_nodes = 0;
        if (rsn_merkle_frontier_append(&v->log, leaf_hash, nodes, &n_nodes) < 0) {
            return RSN_ERR_INTERNAL;
        }
        check_checkpoint_at(v, index);
        if (rc == 0 && check_leaf(v->store, &v->rep, scratch, index, l)) {
            queue_signature(v, l, n, n_items);
        }
        n++;
    }
    return 0;
}

/* Verifies the queued signatures of a chunk, and judges its entries by the
 * semantic rules. */
static void check_chunk(verify_t *v, rsn_arena_t *scratch, size_t n_items)
{
    Raison__AuditVerifyReply *r = v->rep.r;
    /* the rules' caches (groups, profiles) live as long as the chunk, so a
     * verify holds O(chunk) memory however large the log */
    v->views = rsn_view_ctx_new(v->store, scratch);
    if (!v->views) {
        problem(&v->rep, "rule", NULL, 0, "out of memory judging a chunk of the log");
        return;
    }
    rsn_entry_verify_many(v->items, n_items, v->results, 0);
    for (size_t i = 0; i < n_items; i++) {
        leaf_t *l = &v->chunk[v->indexes[i]];
        if (v->results[i] == 0) {
            r->signatures_ok++;
        } else {
            r->bad_signatures++;
            problem(&v->rep, "signature", l->id, l->index, "the signature does not verify");
        }
        /* semantic rules: kept in the log, shown by no view */
        rsn_loaded_t loaded = {0};
        memcpy(loaded.id, l->id, RSN_ID_BYTES);
        loaded.signed_entry = l->se;
        loaded.entry = l->e;
        loaded.erased = !l->has_body;
        void *body = NULL;
        if (l->has_body && rsn_body_decode(scratch, l->e->kind, l->body, l->body_len, &body) == 0) {
            loaded.body = body;
        }
        const char *why = NULL;
        if (rsn_view_entry_problem(v->views, &loaded, &why) == 0 && why) {
            r->rule_violations++;
            problem(&v->rep, "rule", l->id, l->index, "%s", why);
        }
    }
}

/* The log as a whole: as many leaves as counted, the stored subtree hashes
 * agreeing with the leaves, no checkpoint beyond the log. */
static void check_log(verify_t *v)
{
    Raison__AuditVerifyReply *r = v->rep.r;
    r->log_size = r->entries;
    uint8_t root[RSN_HASH_BYTES], stored_root[RSN_HASH_BYTES];
    rsn_merkle_frontier_root(&v->log, root);
    r->log_ok = true;
    if (r->entries != v->expected) {
        r->log_ok = false;
        problem(&v->rep, "log", NULL, r->entries, "the log has %llu leaves; the node counted %llu",
                (unsigned long long)r->entries, (unsigned long long)v->expected);
    }
    if (rsn_tlog_root(v->store, r->entries, stored_root) < 0 ||
        memcmp(root, stored_root, RSN_HASH_BYTES) != 0) {
        r->log_ok = false;
        problem(&v->rep, "log", NULL, r->entries,
                "the stored tree hashes do not match the leaves (root at size %llu)",
                (unsigned long long)r->entries);
    }
    for (size_t i = 0; i < v->n_cps; i++) {
        if (v->cps[i].size > r->entries) {
            r->bad_checkpoints++;
            problem(&v->rep, "checkpoint", NULL, v->cps[i].size,
                    "the node signed a checkpoint of size %llu but the log has %llu leaves: "
                    "history was dropped",
                    (unsigned long long)v->cps[i].size, (unsigned long long)r->entries);
        }
    }
}

/* Every stored fork evidence holds two entries of one (author, seq), both
 * signed by the author (daemon/forks.h). */
static void check_forks(rsn_store_t *store, report_t *rep)
{
    uint8_t prefix[RSN_KEY_MAX];
    size_t pl = rsn_key_prefix(prefix, RSN_TAG_FORK, NULL);
    rsn_iter_t *it = rsn_iter_new(store, prefix, pl);
    if (!it) {
        problem(rep, "fork", NULL, 0, "out of memory: fork evidence not checked");
        return;
    }
    for (rsn_iter_first(it); rsn_iter_valid(it); rsn_iter_next(it)) {
        size_t vl = 0;
        const uint8_t *v = rsn_iter_value(it, &vl);
        rep->r->forks++;
        Raison__ForkEvidence *ev = NULL;
        rsn_fork_ref_t ref;
        if (rsn_fork_evidence_decode(rep->arena, v, vl, &ev) < 0 ||
            rsn_forks_check(rep->arena, ev, &ref, NULL, 0) < 0) {
            rep->r->bad_forks++;
            problem(rep, "fork", NULL, 0,
                    "a fork evidence does not hold two entries of one (author, seq) both "
                    "signed by the author");
        }
    }
    rsn_iter_destroy(&it);
}

/* The leaves the node counted ('N' "leaves"), 0 when unreadable. */
static uint64_t counted_leaves(rsn_store_t *store)
{
    uint8_t k[RSN_KEY_MAX];
    size_t kl = rsn_key_counter(k, "leaves");
    uint64_t n = 0;
    if (rsn_store_get_u64(store, k, kl, &n) < 0) {
        n = 0;
    }
    return n;
}

static void verdict(verify_t *v)
{
    Raison__AuditVerifyReply *r = v->rep.r;
    r->integrity_ok = r->bad_signatures == 0 && r->chain_errors == 0 && r->body_mismatches == 0 &&
                      r->bad_forks == 0 && r->log_ok && r->bad_checkpoints == 0;
    if (v->rep.integrity_problems > 0) {
        r->integrity_ok = false; /* counted even past the listing's cap */
    }
}

int rsn_audit_checkpoint_parse(const char *origin, const uint8_t key[RSN_KEY_BYTES],
                               const char *note, size_t len, uint64_t *size,
                               uint8_t root[RSN_HASH_BYTES])
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

int rsn_audit_verify_store(rsn_store_t *store, const uint8_t node_key[RSN_KEY_BYTES],
                           rsn_arena_t *arena, Raison__AuditVerifyReply **out)
{
    return rsn_audit_verify_store_with(store, node_key, arena, NULL, NULL, out);
}

int rsn_audit_verify_store_with(rsn_store_t *store, const uint8_t node_key[RSN_KEY_BYTES],
                                rsn_arena_t *arena, rsn_audit_progress_fn progress, void *ctx,
                                Raison__AuditVerifyReply **out)
{
    int64_t started = mono_ms();
    Raison__AuditVerifyReply *r = rsn_arena_alloc(arena, sizeof *r);
    if (!r) {
        return RSN_ERR_NOMEM;
    }
    raison__audit_verify_reply__init(r);
    verify_t v = {.store = store, .rep = {arena, r, 0, 0}};
    char origin[RSN_NOTE_RAISON_NAME_SIZE];
    if (rsn_note_raison_name(node_key, origin, sizeof origin) < 0) {
        return RSN_ERR_INTERNAL;
    }
    int rc = load_checkpoints(&v, origin, node_key);
    if (rc < 0) {
        return rc;
    }
    v.expected = counted_leaves(store);
    rsn_merkle_frontier_init(&v.log);
    v.chunk = calloc(VERIFY_CHUNK, sizeof *v.chunk);
    v.items = calloc(VERIFY_CHUNK, sizeof *v.items);
    v.results = calloc(VERIFY_CHUNK, sizeof *v.results);
    v.indexes = calloc(VERIFY_CHUNK, sizeof *v.indexes);
    if (!v.chunk || !v.items || !v.results || !v.indexes) {
        rc = RSN_ERR_NOMEM;
        goto out;
    }
    for (bool done = false; !done;) {
        rsn_arena_t *scratch = rsn_arena_new();
        if (!scratch) {
            rc = RSN_ERR_NOMEM;
            goto out;
        }
        size_t n_items = 0;
        rc = read_chunk(&v, scratch, &n_items, &done);
        if (rc == 0) {
            check_chunk(&v, scratch, n_items);
        }
        rsn_arena_destroy(&scratch);
        if (rc < 0) {
            goto out;
        }
        if (progress && progress(ctx, r->entries, v.expected) != 0) {
            rc = RSN_ERR_INTERRUPTED;
            goto out;
        }
    }
    check_log(&v);
    check_forks(store, &v.rep);
    verdict(&v);
    r->elapsed_ms = (uint64_t)(mono_ms() - started);
    *out = r;
out:
    free(v.chunk);
    free(v.items);
    free(v.results);
    free(v.indexes);
    return rc;
}
