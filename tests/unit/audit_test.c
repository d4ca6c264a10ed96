/* audit_test.c — the node's audit (daemon/audit.h): checkpoints, proofs,
 * pages of the log, and the verification of a whole store.
 *
 * A store holds the five entries test_audit_verify.sh starts from (two
 * profiles, a charter, a post and a reply) and a checkpoint the node signed
 * at size 5. Each checkpoint must be a C2SP note that crypto/note.h verifies
 * under the node key, stored once and never rewritten; each inclusion and
 * consistency proof must verify with crypto/merkle.h against the root the
 * checkpoint signs, and the roots must be those of the leaves the test
 * itself hashes. Then the store is altered behind the node's back (a body,
 * an entry, a signature, a leaf, a subtree hash, a checkpoint, a dropped
 * leaf), straight through rsn_store batches and the store/keys.h builders,
 * and rsn_audit_verify_store must name each with its problem kind and exact
 * counts, while a rule violation is counted without breaking integrity. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/crypto.h"
#include "crypto/keypair.h"
#include "crypto/merkle.h"
#include "crypto/note.h"
#include "daemon/audit.h"
#include "store/keys.h"
#include "support/daemon_fixture.h"
#include "support/keys.h"

#define N 5
#define IDS_MAX 16

typedef struct {
    fx_t *f;
    fx_author_t *alice;
    fx_author_t *bob;
    rsn_keypair_t *node;
    rsn_audit_t *audit;
    uint8_t ids[IDS_MAX][RSN_ID_BYTES]; /* the log's leaves, in order */
    size_t n;
    uint64_t ts;
} world_t;

/* Stores A's next entry and records it as the next leaf. */
static void put(world_t *w, fx_author_t *a, Raison__Kind kind, const void *body)
{
    assert_true(w->n < IDS_MAX);
    fx_put(w->f, a, kind, body, w->ts += 100, w->ids[w->n]);
    w->n++;
}

static const uint8_t *node_key(const world_t *w)
{
    return rsn_keypair_public(w->node);
}

static int setup_empty(void **state)
{
    world_t *w = calloc(1, sizeof *w);
    if (w == NULL || fx_setup((void **)&w->f) != 0) {
        free(w);
        return -1;
    }
    w->ts = 1000;
    w->alice = fx_author_new(0xa1);
    w->bob = fx_author_new(0xb2);
    assert_int_equal(rsn_test_keypair_seeded(&w->node, 0x4e), 0);
    assert_int_equal(rsn_audit_new(&w->audit, w->f->store, w->f->ingest, w->node), 0);
    *state = w;
    return 0;
}

/* The five entries, and the checkpoint signed at size 5. */
static int setup(void **state)
{
    if (setup_empty(state) != 0) {
        return -1;
    }
    world_t *w = *state;
    fx_t *f = w->f;
    fx_author_t *owners[1] = {w->alice};
    put(w, w->alice, RAISON__KIND__KIND_PROFILE, fx_profile(f, "Alice", "paris"));
    put(w, w->bob, RAISON__KIND__KIND_PROFILE, fx_profile(f, "Bob", "lyon"));
    put(w, w->alice, RAISON__KIND__KIND_CHARTER,
        fx_charter(f, "audited", RAISON__ACCESS__ACCESS_OPEN, "ship", owners, 1));
    put(w, w->alice, RAISON__KIND__KIND_POST,
        fx_post(f, w->ids[2], "ship", "The release is signed", NULL));
    put(w, w->bob, RAISON__KIND__KIND_POST,
        fx_post(f, w->ids[2], "ship", "Checked on our side", w->ids[3]));
    bool signed_now = false;
    assert_int_equal(rsn_audit_tick(w->audit, true, &signed_now), 0);
    assert_true(signed_now);
    return 0;
}

static int teardown(void **state)
{
    world_t *w = *state;
    rsn_audit_destroy(&w->audit);
    rsn_keypair_destroy(&w->node);
    fx_author_free(w->alice);
    fx_author_free(w->bob);
    fx_teardown((void **)&w->f);
    free(w);
    return 0;
}

/* The root of the first SIZE leaves, hashed here from the ids alone. */
static void leaves_root(const world_t *w, uint64_t size, uint8_t root[RSN_HASH_BYTES])
{
    rsn_merkle_frontier_t fr;
    rsn_merkle_frontier_init(&fr);
    for (uint64_t i = 0; i < size; i++) {
        uint8_t leaf[RSN_HASH_BYTES];
        rsn_merkle_node_t nodes[RSN_MERKLE_MAX_DEPTH];
        size_t n_nodes = 0;
        rsn_merkle_leaf_hash(leaf, w->ids[i], RSN_ID_BYTES);
        assert_int_equal(rsn_merkle_frontier_append(&fr, leaf, nodes, &n_nodes), 0);
    }
    rsn_merkle_frontier_root(&fr, root);
}

/* The value stored at KEY, copied into the fixture's arena. */
static uint8_t *stored(world_t *w, const uint8_t *key, size_t key_len, size_t *len)
{
    void *v = NULL;
    assert_int_equal(rsn_store_get(w->f->store, key, key_len, &v, len), 0);
    assert_true(*len > 0);
    uint8_t *copy = rsn_arena_memdup(w->f->arena, v, *len);
    rsn_store_free(v);
    assert_non_null(copy);
    return copy;
}

/* The checkpoint stored for SIZE ('K'), NUL-terminated, in the arena. */
static char *stored_checkpoint(world_t *w, uint64_t size, size_t *len)
{
    uint8_t k[RSN_KEY_MAX];
    size_t kl = rsn_key_checkpoint(k, size);
    uint8_t *v = stored(w, k, kl, len);
    char *note = rsn_arena_alloc(w->f->arena, *len + 1);
    assert_non_null(note);
    memcpy(note, v, *len);
    note[*len] = '\0';
    return note;
}

/* Verifies NOTE as crypto/note.h does: a note by the node key named ORIGIN,
 * holding a checkpoint of that origin, into *SIZE and ROOT. */
static void parse_note(const world_t *w, const char *note, size_t len, uint64_t *size,
                       uint8_t root[RSN_HASH_BYTES])
{
    const char *origin = rsn_audit_origin(w->audit);
    size_t text_len = 0;
    assert_int_equal(rsn_note_verify(note, len, origin, node_key(w), &text_len), 0);
    char got[RSN_NOTE_RAISON_NAME_SIZE + 8];
    assert_int_equal(rsn_checkpoint_parse(note, text_len, got, sizeof got, size, root), 0);
    assert_string_equal(got, origin);
}

/* The size and (into ROOT) the root that the latest checkpoint signs, read
 * from its note; asserts rsn_audit_latest says the same. */
static uint64_t latest_signed(const world_t *w, uint8_t root[RSN_HASH_BYTES])
{
    const char *note = NULL;
    uint64_t size = 0, signed_size = 0;
    uint8_t latest_root[RSN_HASH_BYTES];
    assert_int_equal(rsn_audit_latest(w->audit, &note, &size, latest_root), 0);
    parse_note(w, note, strlen(note), &signed_size, root);
    assert_int_equal(signed_size, size);
    assert_memory_equal(root, latest_root, RSN_HASH_BYTES);
    return signed_size;
}

/* Calls the audit with REQ; the call's code, and *REPLY, whose result must
 * be WANT when the call succeeds. */
static int call(world_t *w, Raison__ApiRequest *req, Raison__ApiReply *reply,
                Raison__ApiReply__ResultCase want)
{
    char why[256] = "";
    raison__api_reply__init(reply);
    int rc = rsn_audit_call(w->audit, w->f->arena, req, reply, why, sizeof why);
    if (rc == 0) {
        assert_int_equal(reply->result_case, want);
    }
    return rc;
}

static int include(world_t *w, const uint8_t *id, size_t id_len, uint64_t tree_size,
                   Raison__IncludeReply **out)
{
    Raison__IncludeRequest q = RAISON__INCLUDE_REQUEST__INIT;
    q.id.data = (uint8_t *)id;
    q.id.len = id_len;
    q.tree_size = tree_size;
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    req.call_case = RAISON__API_REQUEST__CALL_INCLUDE;
    req.include = &q;
    Raison__ApiReply reply;
    int rc = call(w, &req, &reply, RAISON__API_REPLY__RESULT_INCLUDE);
    *out = reply.include;
    return rc;
}

static int prove(world_t *w, uint64_t old_size, uint64_t new_size, Raison__ProveReply **out)
{
    Raison__ProveRequest q = RAISON__PROVE_REQUEST__INIT;
    q.old_size = old_size;
    q.new_size = new_size;
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    req.call_case = RAISON__API_REQUEST__CALL_PROVE;
    req.prove = &q;
    Raison__ApiReply reply;
    int rc = call(w, &req, &reply, RAISON__API_REPLY__RESULT_PROVE);
    *out = reply.prove;
    return rc;
}

static int leaves(world_t *w, uint64_t from, uint32_t limit, uint64_t tree_size,
                  Raison__LeavesReply **out)
{
    Raison__LeavesRequest q = RAISON__LEAVES_REQUEST__INIT;
    q.from_index = from;
    q.limit = limit;
    q.tree_size = tree_size;
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    req.call_case = RAISON__API_REQUEST__CALL_LEAVES;
    req.leaves = &q;
    Raison__ApiReply reply;
    int rc = call(w, &req, &reply, RAISON__API_REPLY__RESULT_LEAVES);
    *out = reply.leaves;
    return rc;
}

/* A proof from the wire as crypto/merkle.h takes it; asserts each element
 * is a hash. */
static void proof_of(ProtobufCBinaryData *in, size_t n, rsn_merkle_proof_t out)
{
    assert_true(n <= RSN_MERKLE_MAX_DEPTH);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(in[i].len, RSN_HASH_BYTES);
        memcpy(out[i], in[i].data, RSN_HASH_BYTES);
    }
}

static Raison__AuditVerifyReply *verify(world_t *w)
{
    Raison__AuditVerifyReply *r = NULL;
    assert_int_equal(rsn_audit_verify_store(w->f->store, node_key(w), w->f->arena, &r), 0);
    assert_non_null(r);
    return r;
}

/* The number of problems of KIND in R. */
static size_t problems_of(const Raison__AuditVerifyReply *r, const char *kind)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n_problems; i++) {
        n += strcmp(r->problems[i]->kind, kind) == 0;
    }
    return n;
}

/* True when R lists a problem of KIND at INDEX about ID (NULL: about none). */
static bool has_problem(const Raison__AuditVerifyReply *r, const char *kind, const uint8_t *id,
                        uint64_t index)
{
    for (size_t i = 0; i < r->n_problems; i++) {
        const Raison__AuditProblem *p = r->problems[i];
        bool same_id = id ? p->id.len == RSN_ID_BYTES && memcmp(p->id.data, id, RSN_ID_BYTES) == 0
                          : p->id.len == 0;
        if (strcmp(p->kind, kind) == 0 && p->index == index && same_id) {
            return true;
        }
    }
    return false;
}

/* The counters of R in the order test_audit_verify.sh prints them. */
static void assert_counts(const Raison__AuditVerifyReply *r, const uint64_t want[13])
{
    const uint64_t got[13] = {
        r->entries, r->signatures_ok,   r->bad_signatures, r->chain_errors,    r->body_mismatches,
        r->erased,  r->forks,           r->bad_forks,      r->rule_violations, r->log_size,
        r->log_ok,  r->bad_checkpoints, r->integrity_ok};
    for (int i = 0; i < 13; i++) {
        if (got[i] != want[i]) {
            fail_msg("counter %d is %llu, not %llu", i, (unsigned long long)got[i],
                     (unsigned long long)want[i]);
        }
    }
}

/* Rewrites the stored value at KEY with its byte AT (from the end when
 * negative) flipped. */
static void flip_stored(world_t *w, const uint8_t *key, size_t key_len, long at)
{
    size_t len = 0;
    uint8_t *v = stored(w, key, key_len, &len);
    size_t i = at < 0 ? len - (size_t)(-at) : (size_t)at;
    assert_true(i < len);
    v[i] ^= 0x01;
    fx_raw_put(w->f, key, key_len, v, len);
}

/* --- checkpoints ------------------------------------------------------------ */

static void test_no_checkpoint_before_entries(void **state)
{
    world_t *w = *state;
    bool signed_now = true;
    const char *note = NULL;
    uint64_t size = 99;
    uint8_t root[RSN_HASH_BYTES];
    assert_int_equal(rsn_audit_tick(w->audit, false, &signed_now), 0);
    assert_false(signed_now);
    assert_int_equal(rsn_audit_latest(w->audit, &note, &size, root), RSN_ERR_NOT_FOUND);

    Raison__CheckpointRequest q = RAISON__CHECKPOINT_REQUEST__INIT;
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    req.call_case = RAISON__API_REQUEST__CALL_CHECKPOINT;
    req.checkpoint = &q;
    Raison__ApiReply reply;
    assert_int_equal(call(w, &req, &reply, RAISON__API_REPLY__RESULT_CHECKPOINT),
                     RSN_ERR_NOT_FOUND);

    /* asked for, the empty log gets one: size 0, the hash of nothing */
    assert_int_equal(rsn_audit_tick(w->audit, true, &signed_now), 0);
    assert_true(signed_now);
    assert_int_equal(rsn_audit_latest(w->audit, &note, &size, root), 0);
    assert_int_equal(size, 0);
    uint8_t empty[RSN_HASH_BYTES];
    rsn_sha256(empty, "", 0);
    assert_memory_equal(root, empty, RSN_HASH_BYTES);
    size_t len = 0;
    assert_string_equal(stored_checkpoint(w, 0, &len), note);
}

static void test_checkpoint_is_a_signed_note(void **state)
{
    world_t *w = *state;
    char origin[RSN_NOTE_RAISON_NAME_SIZE], hex[2 * RSN_KEY_BYTES + 1];
    rsn_hex_encode(hex, sizeof hex, node_key(w), RSN_KEY_BYTES);
    snprintf(origin, sizeof origin, "raison/%s", hex);
    assert_string_equal(rsn_audit_origin(w->audit), origin);

    const char *note = NULL;
    uint64_t size = 0;
    uint8_t root[RSN_HASH_BYTES], want[RSN_HASH_BYTES];
    assert_int_equal(rsn_audit_latest(w->audit, &note, &size, root), 0);
    assert_int_equal(size, N);
    leaves_root(w, N, want);
    assert_memory_equal(root, want, RSN_HASH_BYTES);

    /* the C2SP note: the checkpoint text, a blank line, the node's signature */
    char text[RSN_NOTE_RAISON_NAME_SIZE + 96];
    assert_int_equal(rsn_checkpoint_text(origin, N, want, text, sizeof text), 0);
    assert_int_equal(strncmp(note, text, strlen(text)), 0);
    assert_int_equal(strncmp(note + strlen(text), "\n\u2014 ", strlen("\n\u2014 ")), 0);
    uint64_t got_size = 0;
    uint8_t got_root[RSN_HASH_BYTES];
    parse_note(w, note, strlen(note), &got_size, got_root);
    assert_int_equal(got_size, N);
    assert_memory_equal(got_root, want, RSN_HASH_BYTES);

    /* stored as signed, under its size */
    size_t len = 0;
    assert_string_equal(stored_checkpoint(w, N, &len), note);
    assert_int_equal(len, strlen(note));

    /* another key does not verify it */
    rsn_keypair_t *other = NULL;
    assert_int_equal(rsn_test_keypair_seeded(&other, 0x4f), 0);
    assert_int_equal(rsn_note_verify(note, len, origin, rsn_keypair_public(other), NULL),
                     RSN_ERR_NOT_FOUND);
    assert_int_not_equal(rsn_audit_checkpoint_parse(origin, rsn_keypair_public(other), note, len,
                                                    &got_size, got_root),
                         0);
    rsn_keypair_destroy(&other);
    assert_int_equal(
        rsn_audit_checkpoint_parse(origin, node_key(w), note, len, &got_size, got_root), 0);
    assert_int_equal(got_size, N);

    /* the audit key call gives the verifier key of the same name and key */
    Raison__AuditKeyRequest q = RAISON__AUDIT_KEY_REQUEST__INIT;
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    req.call_case = RAISON__API_REQUEST__CALL_AUDIT_KEY;
    req.audit_key = &q;
    Raison__ApiReply reply;
    assert_int_equal(call(w, &req, &reply, RAISON__API_REPLY__RESULT_AUDIT_KEY), 0);
    assert_string_equal(reply.audit_key->origin, origin);
    char name[RSN_NOTE_RAISON_NAME_SIZE + 8];
    uint8_t pk[RSN_KEY_BYTES];
    assert_int_equal(
        rsn_note_parse_verifier_key(reply.audit_key->verifier_key, name, sizeof name, pk), 0);
    assert_string_equal(name, origin);
    assert_memory_equal(pk, node_key(w), RSN_KEY_BYTES);
}

static void test_checkpoint_interval_and_force(void **state)
{
    world_t *w = *state;
    size_t len5 = 0;
    char *five = stored_checkpoint(w, N, &len5);
    bool signed_now = true;

    /* the log did not grow: nothing to sign, even when asked */
    assert_int_equal(rsn_audit_tick(w->audit, true, &signed_now), 0);
    assert_false(signed_now);

    /* it grew, but the last one is younger than RSN_CHECKPOINT_EVERY_MS */
    put(w, w->alice, RAISON__KIND__KIND_PROFILE, fx_profile(w->f, "Alice", "lyon"));
    assert_int_equal(rsn_audit_tick(w->audit, false, &signed_now), 0);
    assert_false(signed_now);
    const char *note = NULL;
    uint64_t size = 0;
    uint8_t root[RSN_HASH_BYTES], want[RSN_HASH_BYTES];
    assert_int_equal(rsn_audit_latest(w->audit, &note, &size, root), 0);
    assert_int_equal(size, N);

    /* the checkpoint call with fresh signs at once */
    Raison__CheckpointRequest q = RAISON__CHECKPOINT_REQUEST__INIT;
    q.fresh = true;
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    req.call_case = RAISON__API_REQUEST__CALL_CHECKPOINT;
    req.checkpoint = &q;
    Raison__ApiReply reply;
    assert_int_equal(call(w, &req, &reply, RAISON__API_REPLY__RESULT_CHECKPOINT), 0);
    assert_int_equal(reply.checkpoint->size, N + 1);
    leaves_root(w, N + 1, want);
    assert_int_equal(reply.checkpoint->root.len, RSN_HASH_BYTES);
    assert_memory_equal(reply.checkpoint->root.data, want, RSN_HASH_BYTES);
    uint64_t got_size = 0;
    uint8_t got_root[RSN_HASH_BYTES];
    parse_note(w, reply.checkpoint->note, strlen(reply.checkpoint->note), &got_size, got_root);
    assert_int_equal(got_size, N + 1);
    assert_memory_equal(got_root, want, RSN_HASH_BYTES);
    size_t len6 = 0;
    assert_string_equal(stored_checkpoint(w, N + 1, &len6), reply.checkpoint->note);

    /* the older one is kept as it was */
    size_t len = 0;
    assert_string_equal(stored_checkpoint(w, N, &len), five);
    assert_int_equal(len, len5);

    /* a node restarted on the store reads the latest one back */
    rsn_audit_t *again = NULL;
    assert_int_equal(rsn_audit_new(&again, w->f->store, w->f->ingest, w->node), 0);
    assert_int_equal(rsn_audit_latest(again, &note, &size, root), 0);
    assert_int_equal(size, N + 1);
    assert_memory_equal(root, want, RSN_HASH_BYTES);
    assert_string_equal(note, reply.checkpoint->note);
    rsn_audit_destroy(&again);
    assert_null(again);
}

static void test_checkpoint_never_rewritten(void **state)
{
    world_t *w = *state;
    /* a checkpoint for size 6 is already stored (the one of size 5, copied
     * there behind the node's back) when the log reaches 6 */
    size_t len5 = 0;
    char *five = stored_checkpoint(w, N, &len5);
    uint8_t k[RSN_KEY_MAX];
    size_t kl = rsn_key_checkpoint(k, N + 1);
    fx_raw_put(w->f, k, kl, five, len5);
    put(w, w->alice, RAISON__KIND__KIND_PROFILE, fx_profile(w->f, "Alice", "lyon"));

    bool signed_now = true;
    assert_int_equal(rsn_audit_tick(w->audit, true, &signed_now), 0);
    assert_false(signed_now);
    assert_int_equal(rsn_audit_tick(w->audit, true, &signed_now), 0);
    assert_false(signed_now);
    size_t len = 0;
    assert_string_equal(stored_checkpoint(w, N + 1, &len), five);
    assert_int_equal(len, len5);
    const char *note = NULL;
    uint64_t size = 0;
    uint8_t root[RSN_HASH_BYTES];
    assert_int_equal(rsn_audit_latest(w->audit, &note, &size, root), 0);
    assert_int_equal(size, N);

    /* the audit sees it */
    Raison__AuditVerifyReply *r = verify(w);
    assert_int_equal(r->checkpoints, 2);
    const uint64_t want[13] = {N + 1, N + 1, 0, 0, 0, 0, 0, 0, 0, N + 1, true, 1, false};
    assert_counts(r, want);
    assert_int_equal(r->n_problems, 1);
    assert_true(has_problem(r, "checkpoint", NULL, N + 1));
}

/* --- proofs ------------------------------------------------------------------ */

static void test_inclusion_proofs(void **state)
{
    world_t *w = *state;
    uint8_t signed_root[RSN_HASH_BYTES];
    uint64_t signed_size = latest_signed(w, signed_root);
    assert_int_equal(signed_size, N);

    for (uint64_t i = 0; i < N; i++) {
        Raison__IncludeReply *r = NULL;
        assert_int_equal(include(w, w->ids[i], RSN_ID_BYTES, 0, &r), 0);
        assert_int_equal(r->leaf_index, i);
        assert_int_equal(r->tree_size, N);
        assert_int_equal(r->root.len, RSN_HASH_BYTES);
        assert_memory_equal(r->root.data, signed_root, RSN_HASH_BYTES);
        uint8_t leaf[RSN_HASH_BYTES];
        rsn_merkle_leaf_hash(leaf, w->ids[i], RSN_ID_BYTES);
        assert_int_equal(r->leaf_hash.len, RSN_HASH_BYTES);
        assert_memory_equal(r->leaf_hash.data, leaf, RSN_HASH_BYTES);
        rsn_merkle_proof_t proof;
        proof_of(r->proof, r->n_proof, proof);
        assert_int_equal(r->n_proof, i == 4 ? 1 : 3); /* a tree of 5: 4 + 1 */
        assert_int_equal(rsn_merkle_verify_inclusion(leaf, RSN_HASH_BYTES, i, N,
                                                     (const uint8_t(*)[RSN_HASH_BYTES])proof,
                                                     r->n_proof, signed_root, RSN_HASH_BYTES),
                         0);
        /* it proves this leaf at this place, nothing else */
        assert_int_equal(rsn_merkle_verify_inclusion(leaf, RSN_HASH_BYTES, (i + 1) % N, N,
                                                     (const uint8_t(*)[RSN_HASH_BYTES])proof,
                                                     r->n_proof, signed_root, RSN_HASH_BYTES),
                         RSN_ERR_CRYPTO);
        proof[0][0] ^= 0x80;
        assert_int_equal(rsn_merkle_verify_inclusion(leaf, RSN_HASH_BYTES, i, N,
                                                     (const uint8_t(*)[RSN_HASH_BYTES])proof,
                                                     r->n_proof, signed_root, RSN_HASH_BYTES),
                         RSN_ERR_CRYPTO);
    }

    /* in an older tree, against the root of its leaves */
    Raison__IncludeReply *r = NULL;
    uint8_t want[RSN_HASH_BYTES], leaf[RSN_HASH_BYTES];
    leaves_root(w, 3, want);
    assert_int_equal(include(w, w->ids[1], RSN_ID_BYTES, 3, &r), 0);
    assert_int_equal(r->leaf_index, 1);
    assert_int_equal(r->tree_size, 3);
    assert_memory_equal(r->root.data, want, RSN_HASH_BYTES);
    rsn_merkle_proof_t proof;
    proof_of(r->proof, r->n_proof, proof);
    rsn_merkle_leaf_hash(leaf, w->ids[1], RSN_ID_BYTES);
    assert_int_equal(rsn_merkle_verify_inclusion(leaf, RSN_HASH_BYTES, 1, 3,
                                                 (const uint8_t(*)[RSN_HASH_BYTES])proof,
                                                 r->n_proof, want, RSN_HASH_BYTES),
                     0);

    /* refusals */
    uint8_t none[RSN_ID_BYTES];
    memset(none, 0x77, sizeof none);
    assert_int_equal(include(w, none, RSN_ID_BYTES, 0, &r), RSN_ERR_NOT_FOUND);
    assert_int_equal(include(w, w->ids[0], RSN_ID_BYTES - 1, 0, &r), RSN_ERR_BAD_REQUEST);
    assert_int_equal(include(w, w->ids[0], RSN_ID_BYTES, N + 1, &r), RSN_ERR_BAD_REQUEST);
    assert_int_equal(include(w, w->ids[3], RSN_ID_BYTES, 3, &r), RSN_ERR_NOT_FOUND);
    /* logged after the latest checkpoint: a fresh one is signed for it
     * (issue 9, proofs on demand), and the proof is against it */
    put(w, w->alice, RAISON__KIND__KIND_PROFILE, fx_profile(w->f, "Alice", "lyon"));
    assert_int_equal(include(w, w->ids[N], RSN_ID_BYTES, N, &r), RSN_ERR_NOT_FOUND);
    assert_int_equal(include(w, w->ids[N], RSN_ID_BYTES, 0, &r), 0);
    assert_int_equal(r->leaf_index, N);
    assert_int_equal(r->tree_size, N + 1);
    assert_int_equal(latest_signed(w, signed_root), N + 1);
    assert_memory_equal(r->root.data, signed_root, RSN_HASH_BYTES);
    assert_int_equal(include(w, w->ids[N], RSN_ID_BYTES, N + 1, &r), 0);
    assert_int_equal(r->leaf_index, N);
}

static void test_consistency_proofs(void **state)
{
    world_t *w = *state;
    uint8_t signed_root[RSN_HASH_BYTES];
    assert_int_equal(latest_signed(w, signed_root), N);

    for (uint64_t old = 1; old <= N; old++) {
        Raison__ProveReply *r = NULL;
        assert_int_equal(prove(w, old, 0, &r), 0); /* 0: the latest checkpoint */
        assert_int_equal(r->old_size, old);
        assert_int_equal(r->new_size, N);
        uint8_t old_root[RSN_HASH_BYTES];
        leaves_root(w, old, old_root);
        assert_int_equal(r->old_root.len, RSN_HASH_BYTES);
        assert_memory_equal(r->old_root.data, old_root, RSN_HASH_BYTES);
        assert_memory_equal(r->new_root.data, signed_root, RSN_HASH_BYTES);
        rsn_merkle_proof_t proof;
        proof_of(r->proof, r->n_proof, proof);
        assert_int_equal(rsn_merkle_verify_consistency(
                             old, N, old_root, RSN_HASH_BYTES, signed_root, RSN_HASH_BYTES,
                             (const uint8_t(*)[RSN_HASH_BYTES])proof, r->n_proof),
                         0);
        if (old == N) {
            assert_int_equal(r->n_proof, 0);
            continue;
        }
        assert_true(r->n_proof > 0);
        proof[r->n_proof - 1][RSN_HASH_BYTES - 1] ^= 0x01;
        assert_int_equal(rsn_merkle_verify_consistency(
                             old, N, old_root, RSN_HASH_BYTES, signed_root, RSN_HASH_BYTES,
                             (const uint8_t(*)[RSN_HASH_BYTES])proof, r->n_proof),
                         RSN_ERR_CRYPTO);
    }

    /* between two checkpoints the node signed, from their notes alone */
    put(w, w->bob, RAISON__KIND__KIND_PROFILE, fx_profile(w->f, "Bob", "paris"));
    put(w, w->bob, RAISON__KIND__KIND_PROFILE, fx_profile(w->f, "Bob", "rome"));
    bool signed_now = false;
    assert_int_equal(rsn_audit_tick(w->audit, true, &signed_now), 0);
    assert_true(signed_now);
    size_t len5 = 0, len7 = 0;
    char *five = stored_checkpoint(w, N, &len5);
    char *seven = stored_checkpoint(w, N + 2, &len7);
    uint64_t s5 = 0, s7 = 0;
    uint8_t r5[RSN_HASH_BYTES], r7[RSN_HASH_BYTES];
    const char *origin = rsn_audit_origin(w->audit);
    assert_int_equal(rsn_audit_checkpoint_parse(origin, node_key(w), five, len5, &s5, r5), 0);
    assert_int_equal(rsn_audit_checkpoint_parse(origin, node_key(w), seven, len7, &s7, r7), 0);
    assert_int_equal(s5, N);
    assert_int_equal(s7, N + 2);
    Raison__ProveReply *r = NULL;
    char why[256] = "";
    assert_int_equal(rsn_audit_prove(w->f->store, w->f->arena, N + 2, s5, s7, &r, why, sizeof why),
                     0);
    assert_memory_equal(r->old_root.data, r5, RSN_HASH_BYTES);
    assert_memory_equal(r->new_root.data, r7, RSN_HASH_BYTES);
    rsn_merkle_proof_t proof;
    proof_of(r->proof, r->n_proof, proof);
    assert_int_equal(rsn_merkle_verify_consistency(s5, s7, r5, RSN_HASH_BYTES, r7, RSN_HASH_BYTES,
                                                   (const uint8_t(*)[RSN_HASH_BYTES])proof,
                                                   r->n_proof),
                     0);

    /* refusals */
    assert_int_equal(prove(w, 0, N, &r), RSN_ERR_BAD_REQUEST);
    assert_int_equal(prove(w, 4, 3, &r), RSN_ERR_BAD_REQUEST);
    assert_int_equal(prove(w, 1, N + 3, &r), RSN_ERR_NOT_FOUND);
}

/* --- pages of the log ---------------------------------------------------------- */

static void test_leaves_pages(void **state)
{
    world_t *w = *state;
    Raison__LeavesReply *r = NULL;
    assert_int_equal(leaves(w, 0, 2, 0, &r), 0);
    assert_int_equal(r->n_leaves, 2);
    assert_int_equal(r->next_index, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(r->leaves[i]->index, i);
        assert_int_equal(r->leaves[i]->id.len, RSN_ID_BYTES);
        assert_memory_equal(r->leaves[i]->id.data, w->ids[i], RSN_ID_BYTES);
    }
    /* each leaf carries its signed entry: its bytes hash to the id */
    const Raison__SignedEntry *se = r->leaves[1]->signed_entry;
    assert_non_null(se);
    uint8_t id[RSN_ID_BYTES];
    rsn_entry_id(id, se->entry.data, se->entry.len);
    assert_memory_equal(id, w->ids[1], RSN_ID_BYTES);
    assert_int_equal(se->signature.len, RSN_SIG_BYTES);
    assert_int_equal(
        rsn_entry_verify(w->bob->pk, se->entry.data, se->entry.len, se->signature.data), 0);
    assert_non_null(se->body.data);

    /* the rest, then the end of the log: next_index 0 */
    assert_int_equal(leaves(w, 2, 0, 0, &r), 0);
    assert_int_equal(r->n_leaves, 3);
    assert_int_equal(r->next_index, 0);
    assert_int_equal(r->leaves[2]->index, 4);
    assert_memory_equal(r->leaves[2]->id.data, w->ids[4], RSN_ID_BYTES);

    /* bounded by a tree size */
    assert_int_equal(leaves(w, 1, 0, 3, &r), 0);
    assert_int_equal(r->n_leaves, 2);
    assert_int_equal(r->next_index, 0);
    assert_memory_equal(r->leaves[1]->id.data, w->ids[2], RSN_ID_BYTES);
    assert_int_equal(leaves(w, N, 0, 0, &r), 0);
    assert_int_equal(r->n_leaves, 0);

    /* refusals */
    assert_int_equal(leaves(w, 0, 0, N + 1, &r), RSN_ERR_BAD_REQUEST);
    assert_int_equal(leaves(w, 0, 1025, 0, &r), RSN_ERR_BAD_REQUEST);
}

static void test_forks_page(void **state)
{
    world_t *w = *state;
    uint8_t second[RSN_ID_BYTES];
    fx_fork(w->f, w->bob, 1, RAISON__KIND__KIND_PROFILE, fx_profile(w->f, "Robert", "lyon"), 5000,
            second);

    Raison__ForksRequest q = RAISON__FORKS_REQUEST__INIT;
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    req.call_case = RAISON__API_REQUEST__CALL_FORKS;
    req.forks = &q;
    Raison__ApiReply reply;
    assert_int_equal(call(w, &req, &reply, RAISON__API_REPLY__RESULT_FORKS), 0);
    assert_int_equal(reply.forks->n_forks, 1);
    assert_int_equal(reply.forks->next_cursor.len, 0);
    const Raison__ForkEvidence *ev = reply.forks->forks[0];
    uint8_t a[RSN_ID_BYTES], b[RSN_ID_BYTES];
    rsn_entry_id(a, ev->a->entry.data, ev->a->entry.len);
    rsn_entry_id(b, ev->b->entry.data, ev->b->entry.len);
    /* bob's seq 1 (leaf 1) and the second entry, in either order */
    bool held_first = memcmp(a, w->ids[1], RSN_ID_BYTES) == 0;
    assert_memory_equal(held_first ? a : b, w->ids[1], RSN_ID_BYTES);
    assert_memory_equal(held_first ? b : a, second, RSN_ID_BYTES);

    /* the evidence is sound, no break of this node's integrity; bob's
     * entries from the forked seq on are kept as evidence only: each is
     * counted as a rule violation */
    Raison__AuditVerifyReply *r = verify(w);
    const uint64_t want[13] = {N, N, 0, 0, 0, 0, 1, 0, 2, N, true, 0, true};
    assert_counts(r, want);
    assert_int_equal(r->n_problems, 2);
    assert_true(has_problem(r, "rule", w->ids[1], 1));
    assert_true(has_problem(r, "rule", w->ids[4], 4));

    /* evidence altered behind the node's back is caught */
    uint8_t k[RSN_KEY_MAX];
    size_t kl = rsn_key_fork(k, w->bob->pk, 1);
    flip_stored(w, k, kl, -1);
    r = verify(w);
    const uint64_t bad[13] = {N, N, 0, 0, 0, 0, 1, 1, 2, N, true, 0, false};
    assert_counts(r, bad);
    assert_int_equal(problems_of(r, "fork"), 1);
}

/* --- verifying a store ----------------------------------------------------------- */

/* The memory of a verify of the whole store: ARENA used after verifying
 * what W holds now. */
static size_t verify_used(world_t *w)
{
    rsn_arena_t *arena = rsn_arena_new();
    assert_non_null(arena);
    Raison__AuditVerifyReply *r = NULL;
    assert_int_equal(rsn_audit_verify_store(w->f->store, node_key(w), arena, &r), 0);
    assert_int_equal(r->n_problems, 0);
    size_t used = rsn_arena_used(arena);
    rsn_arena_destroy(&arena);
    return used;
}

/* A verify holds O(chunk) memory, not O(log): 1,500 more posts by 30 more
 * authors (each with a profile the rules read) leave what its result arena
 * takes as it was (it held a decoded entry and a profile per entry). */
static void test_verify_memory_bounded(void **state)
{
    world_t *w = *state;
    fx_t *f = w->f;
    fx_author_t *owners[1] = {w->alice};
    uint8_t gid[RSN_ID_BYTES];
    fx_put(f, w->alice, RAISON__KIND__KIND_CHARTER,
           fx_charter(f, "busy", RAISON__ACCESS__ACCESS_OPEN, "ship", owners, 1), w->ts += 100,
           gid);
    size_t small = verify_used(w);
    for (int i = 0; i < 30; i++) {
        fx_author_t *a = fx_author_new((uint8_t)(0x10 + i));
        fx_put(f, a, RAISON__KIND__KIND_PROFILE, fx_profile(f, "someone", "lyon"), w->ts += 1,
               NULL);
        for (int p = 0; p < 50; p++) {
            fx_put(f, a, RAISON__KIND__KIND_POST, fx_post(f, gid, "ship", "a post", NULL),
                   w->ts += 1, NULL);
        }
        fx_author_free(a);
    }
    size_t large = verify_used(w);
    print_message("verify arena: %zu bytes at 1 entry, %zu at 1,531\n", small, large);
    assert_true(large <= small + 4096);
}

static void test_verify_sound_store(void **state)
{
    world_t *w = *state;
    Raison__AuditVerifyReply *r = verify(w);
    const uint64_t want[13] = {N, N, 0, 0, 0, 0, 0, 0, 0, N, true, 0, true};
    assert_counts(r, want);
    assert_int_equal(r->checkpoints, 1);
    assert_int_equal(r->n_problems, 0);

    /* the API's audit_verify call says the same */
    Raison__AuditVerifyRequest q = RAISON__AUDIT_VERIFY_REQUEST__INIT;
    Raison__ApiRequest req = RAISON__API_REQUEST__INIT;
    req.call_case = RAISON__API_REQUEST__CALL_AUDIT_VERIFY;
    req.audit_verify = &q;
    Raison__ApiReply reply;
    assert_int_equal(call(w, &req, &reply, RAISON__API_REPLY__RESULT_AUDIT_VERIFY), 0);
    assert_counts(reply.audit_verify, want);
}

static void test_verify_body_rewritten(void **state)
{
    world_t *w = *state;
    uint8_t k[RSN_KEY_MAX];
    flip_stored(w, k, fx_key_body(w->f, k, w->ids[3]), -1);
    Raison__AuditVerifyReply *r = verify(w);
    const uint64_t want[13] = {N, N, 0, 0, 1, 0, 0, 0, 0, N, true, 0, false};
    assert_counts(r, want);
    assert_int_equal(problems_of(r, "body"), 1);
    assert_true(has_problem(r, "body", w->ids[3], 3));
}

static void test_verify_entry_replaced(void **state)
{
    world_t *w = *state;
    /* the post's stored entry replaced by alice's profile entry */
    uint8_t k[RSN_KEY_MAX];
    size_t len = 0;
    uint8_t *profile = stored(w, k, fx_key_entry(w->f, k, w->ids[0]), &len);
    fx_raw_put(w->f, k, fx_key_entry(w->f, k, w->ids[3]), profile, len);
    Raison__AuditVerifyReply *r = verify(w);
    assert_int_equal(r->bad_signatures, 1);
    assert_int_equal(r->signatures_ok, N - 1);
    assert_int_equal(r->entries, N);
    assert_true(r->log_ok);
    assert_false(r->integrity_ok);
    assert_int_equal(problems_of(r, "id"), 1);
    assert_true(has_problem(r, "id", w->ids[3], 3));
}

static void test_verify_signature_flipped(void **state)
{
    world_t *w = *state;
    /* the last byte of the reply's stored entry is its signature's */
    uint8_t k[RSN_KEY_MAX];
    flip_stored(w, k, fx_key_entry(w->f, k, w->ids[4]), -1);
    Raison__AuditVerifyReply *r = verify(w);
    const uint64_t want[13] = {N, N - 1, 1, 0, 0, 0, 0, 0, 0, N, true, 0, false};
    assert_counts(r, want);
    assert_int_equal(r->n_problems, 1);
    assert_true(has_problem(r, "signature", w->ids[4], 4));
}

static void test_verify_leaf_changed(void **state)
{
    world_t *w = *state;
    /* leaf 2 rewritten to leaf 0's id: every entry still checks, the log
     * does not */
    uint8_t k[RSN_KEY_MAX];
    fx_raw_put(w->f, k, rsn_key_leaf(k, 2), w->ids[0], RSN_ID_BYTES);
    Raison__AuditVerifyReply *r = verify(w);
    const uint64_t want[13] = {N, N, 0, 0, 0, 0, 0, 0, 0, N, false, 1, false};
    assert_counts(r, want);
    assert_true(has_problem(r, "checkpoint", NULL, N));
    assert_true(has_problem(r, "log", NULL, N));
    assert_int_equal(r->n_problems, 2);
}

static void test_verify_subtree_hash_changed(void **state)
{
    world_t *w = *state;
    /* T(2,0), the subtree of leaves 0-3: the leaves and the checkpoint
     * agree, the stored tree does not */
    uint8_t k[RSN_KEY_MAX];
    flip_stored(w, k, rsn_key_tree(k, 2, 0), 0);
    Raison__AuditVerifyReply *r = verify(w);
    const uint64_t want[13] = {N, N, 0, 0, 0, 0, 0, 0, 0, N, false, 0, false};
    assert_counts(r, want);
    assert_int_equal(r->n_problems, 1);
    assert_true(has_problem(r, "log", NULL, N));
}

static void test_verify_checkpoint_altered(void **state)
{
    world_t *w = *state;
    uint8_t k[RSN_KEY_MAX];
    flip_stored(w, k, rsn_key_checkpoint(k, N), -20); /* inside the signature's base64 */
    Raison__AuditVerifyReply *r = verify(w);
    const uint64_t want[13] = {N, N, 0, 0, 0, 0, 0, 0, 0, N, true, 1, false};
    assert_counts(r, want);
    assert_int_equal(r->checkpoints, 1);
    assert_int_equal(r->n_problems, 1);
    assert_true(has_problem(r, "checkpoint", NULL, N));
}

static void test_verify_leaf_dropped(void **state)
{
    world_t *w = *state;
    /* the last leaf deleted, the counter kept: history dropped */
    uint8_t k[RSN_KEY_MAX];
    fx_raw_put(w->f, k, rsn_key_leaf(k, N - 1), NULL, 0);
    Raison__AuditVerifyReply *r = verify(w);
    const uint64_t want[13] = {N - 1, N - 1, 0, 0, 0, 0, 0, 0, 0, N - 1, false, 1, false};
    assert_counts(r, want);
    assert_true(has_problem(r, "log", NULL, N - 1)); /* leaf 4 missing */
    assert_true(has_problem(r, "checkpoint", NULL, N));
    assert_int_equal(problems_of(r, "log"), 2); /* the leaf, and the count */
}

static void test_verify_rule_violation(void **state)
{
    world_t *w = *state;
    /* relayed, the write path takes a post for a mission the charter
     * lacks; the audit counts it and integrity holds */
    put(w, w->bob, RAISON__KIND__KIND_POST, fx_post(w->f, w->ids[2], "deploy", "rogue", NULL));
    Raison__AuditVerifyReply *r = verify(w);
    const uint64_t want[13] = {N + 1, N + 1, 0, 0, 0, 0, 0, 0, 1, N + 1, true, 0, true};
    assert_counts(r, want);
    assert_int_equal(r->n_problems, 1);
    assert_true(has_problem(r, "rule", w->ids[N], N));
}

int main(void)
{
    if (rsn_crypto_init() != 0) {
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_no_checkpoint_before_entries, setup_empty, teardown),
        cmocka_unit_test_setup_teardown(test_checkpoint_is_a_signed_note, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checkpoint_interval_and_force, setup, teardown),
        cmocka_unit_test_setup_teardown(test_checkpoint_never_rewritten, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inclusion_proofs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_consistency_proofs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leaves_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forks_page, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_sound_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_memory_bounded, setup_empty, teardown),
        cmocka_unit_test_setup_teardown(test_verify_body_rewritten, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_entry_replaced, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_signature_flipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_leaf_changed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_subtree_hash_changed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_checkpoint_altered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_leaf_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_rule_violation, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
