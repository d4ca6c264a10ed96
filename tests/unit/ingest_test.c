/* ingest_test.c — the write path (daemon/ingest.h) through rsn_ingest_stage
 * and rsn_ingest_commit: each check in its order (sizes, structure, a
 * duplicate before any signature, the signature, the body against its hash
 * and size, the feed rule's seq and prev), a fork turned into evidence and a
 * frozen feed, the counters and the log, a batch that later stages see
 * before it is committed, and a refused input that changes nothing stored;
 * a stage that fails late (an injected out-of-memory, rsn_ingest_fail_after)
 * leaves nothing behind, and a failed commit fails its own batch only (and
 * the batches committed without a sync before it, which it was to sync).
 * Entries are relayed ones (support/store_fixture.h): no semantic rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/limits.h"
#include "daemon/ingest.h"
#include "store/keys.h"
#include "support/daemon_fixture.h"

typedef struct {
    rsn_test_store_t *f;
    rsn_test_author_t *alice;
    rsn_test_author_t *bob;
    rsn_ingest_result_t res;
    char why[256];
} fixture_t;

static int setup(void **state)
{
    fixture_t *x = calloc(1, sizeof *x);
    if (x == NULL || rsn_crypto_init() != 0 || rsn_test_store_new(&x->f, "rsn-ingest") != 0 ||
        rsn_test_author_new(&x->alice, 1) != 0 || rsn_test_author_new(&x->bob, 2) != 0) {
        return -1;
    }
    *state = x;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *x = *state;
    rsn_test_author_destroy(&x->alice);
    rsn_test_author_destroy(&x->bob);
    rsn_test_store_destroy(&x->f);
    free(x);
    return 0;
}

/* A's profile entry SEQ named NAME, signed, not staged. */
static rsn_test_signed_t profile(fixture_t *x, const rsn_test_author_t *a, uint64_t seq,
                                 const char *name)
{
    rsn_test_signed_t s;
    assert_int_equal(rsn_test_author_sign(x->f->arena, a, seq, RAISON__KIND__KIND_PROFILE,
                                          &fx_profile(x->f, name, NULL)->base, 1000 + seq, &s),
                     0);
    return s;
}

static int stage(fixture_t *x, const rsn_test_signed_t *s)
{
    strcpy(x->why, "not cleared");
    return rsn_test_store_stage(x->f, s, &x->res, x->why, sizeof x->why);
}

/* Stages IN as given (sizes, signature length, body may be anything). */
static int stage_input(fixture_t *x, const rsn_ingest_input_t *in)
{
    strcpy(x->why, "not cleared");
    return rsn_ingest_stage(x->f->ingest, in, &x->res, x->why, sizeof x->why);
}

static rsn_ingest_input_t input_of(const rsn_test_signed_t *s)
{
    return (rsn_ingest_input_t){.entry = s->entry,
                                .entry_len = s->entry_len,
                                .signature = s->sig,
                                .signature_len = RSN_SIG_BYTES,
                                .body = s->body,
                                .body_len = s->body_len,
                                .has_body = true,
                                .origin = RSN_INGEST_RELAYED};
}

static bool held(fixture_t *x, const uint8_t id[RSN_ID_BYTES])
{
    uint8_t k[RSN_KEY_MAX];
    return rsn_store_has(x->f->store, k, fx_key_entry(x->f, k, id)) == 0;
}

static void accept(fixture_t *x, rsn_test_author_t *a, const rsn_test_signed_t *s)
{
    assert_int_equal(stage(x, s), 0);
    assert_string_equal(x->why, "");
    assert_int_equal(rsn_ingest_commit(x->f->ingest), 0);
    assert_int_equal(rsn_test_author_advance(a, s->id), 0);
}

static void test_sizes_and_structure(void **state)
{
    fixture_t *x = *state;
    rsn_test_signed_t s = profile(x, x->alice, 1, "Alice");
    rsn_ingest_input_t in = input_of(&s);
    in.entry_len = RSN_ENTRY_MAX + 1;
    assert_int_equal(stage_input(x, &in), RSN_ERR_TOO_LARGE);
    assert_string_equal(x->why, "entry is 1025 bytes; the limit is 1024");
    in = input_of(&s);
    in.body_len = RSN_BODY_MAX + 1;
    assert_int_equal(stage_input(x, &in), RSN_ERR_TOO_LARGE);
    assert_string_equal(x->why, "body is 65537 bytes; the limit is 65536");

    uint8_t junk[16];
    memset(junk, 0xff, sizeof junk);
    in = input_of(&s);
    in.entry = junk;
    in.entry_len = sizeof junk;
    assert_int_equal(stage_input(x, &in), RSN_ERR_BAD_ENTRY);
    assert_string_equal(x->why, "entry is not a protobuf Entry");
    assert_int_equal(rsn_ingest_pending(x->f->ingest), 0);
}

static void test_signature_and_body(void **state)
{
    fixture_t *x = *state;
    rsn_test_signed_t s = profile(x, x->alice, 1, "Alice");
    rsn_ingest_input_t in = input_of(&s);
    in.signature_len = 63;
    assert_int_equal(stage_input(x, &in), RSN_ERR_BAD_ENTRY);
    assert_string_equal(x->why, "signature is 63 bytes, not 64");

    uint8_t sig[RSN_SIG_BYTES];
    memcpy(sig, s.sig, sizeof sig);
    sig[10] ^= 1;
    in = input_of(&s);
    in.signature = sig;
    assert_int_equal(stage_input(x, &in), RSN_ERR_BAD_SIGNATURE);
    assert_string_equal(x->why, "signature does not verify under the entry's author");

    /* bob's signature over alice's entry */
    rsn_test_signed_t other = profile(x, x->bob, 1, "Alice");
    in = input_of(&s);
    in.signature = other.sig;
    assert_int_equal(stage_input(x, &in), RSN_ERR_BAD_SIGNATURE);

    /* a body of the same size but other bytes, then another size */
    uint8_t *body = rsn_arena_memdup(x->f->arena, s.body, s.body_len);
    body[s.body_len - 1] ^= 0x20;
    in = input_of(&s);
    in.body = body;
    assert_int_equal(stage_input(x, &in), RSN_ERR_BODY_MISMATCH);
    char expect[128];
    snprintf(expect, sizeof expect,
             "body (%zu bytes) does not match the entry's body_hash and body_size (%zu)",
             s.body_len, s.body_len);
    assert_string_equal(x->why, expect);
    in = input_of(&s);
    in.body_len = s.body_len - 1;
    assert_int_equal(stage_input(x, &in), RSN_ERR_BODY_MISMATCH);
    assert_int_equal(rsn_ingest_pending(x->f->ingest), 0);
    assert_false(held(x, s.id));

    /* the sound one */
    accept(x, x->alice, &s);
    assert_true(held(x, s.id));
    assert_memory_equal(x->res.id, s.id, RSN_ID_BYTES);
    assert_int_equal(x->res.seq, 1);
    assert_false(x->res.duplicate);
}

static void test_feed_rule(void **state)
{
    fixture_t *x = *state;
    /* seq 2 with no seq 1 */
    rsn_test_signed_t s1 = profile(x, x->alice, 1, "A1");
    rsn_test_signed_t early;
    rsn_test_header_t h = {
        .seq = 2, .prev = s1.id, .timestamp_ms = 2000, .kind = RAISON__KIND__KIND_PROFILE};
    assert_int_equal(rsn_test_sign_message(x->f->arena, x->alice->kp, &h,
                                           &fx_profile(x->f, "A2", NULL)->base, &early),
                     0);
    assert_int_equal(stage(x, &early), RSN_ERR_BAD_SEQ);
    assert_string_equal(x->why, "seq 2 is not the feed head + 1 (1)");
    accept(x, x->alice, &s1);

    /* seq 2 whose prev is not the head */
    uint8_t wrong[RSN_ID_BYTES];
    memset(wrong, 0x66, sizeof wrong);
    rsn_test_signed_t bad_prev;
    h.prev = wrong;
    assert_int_equal(rsn_test_sign_message(x->f->arena, x->alice->kp, &h,
                                           &fx_profile(x->f, "A2", NULL)->base, &bad_prev),
                     0);
    assert_int_equal(stage(x, &bad_prev), RSN_ERR_BAD_PREV);
    assert_string_equal(x->why, "prev is not the id of the feed head (seq 1)");
    /* seq 3 skips one */
    rsn_test_signed_t skip;
    h.seq = 3;
    assert_int_equal(rsn_test_sign_message(x->f->arena, x->alice->kp, &h,
                                           &fx_profile(x->f, "A3", NULL)->base, &skip),
                     0);
    assert_int_equal(stage(x, &skip), RSN_ERR_BAD_SEQ);
    assert_string_equal(x->why, "seq 3 is not the feed head + 1 (2)");

    /* now seq 2 made after seq 1, with the right prev, is fine */
    assert_int_equal(stage(x, &early), 0);
    assert_int_equal(rsn_ingest_commit(x->f->ingest), 0);
    uint64_t seq = 0;
    uint8_t id[RSN_ID_BYTES];
    bool frozen = true;
    assert_int_equal(rsn_ingest_effective_head(x->f->ingest, x->alice->pk, &seq, id, &frozen), 0);
    assert_int_equal(seq, 2);
    assert_memory_equal(id, early.id, RSN_ID_BYTES);
    assert_false(frozen);
}

static void test_duplicate(void **state)
{
    fixture_t *x = *state;
    rsn_test_signed_t s = profile(x, x->alice, 1, "Alice");
    accept(x, x->alice, &s);
    rsn_counts_t before, after;
    rsn_ingest_counts(x->f->ingest, &before);

    assert_int_equal(stage(x, &s), 0);
    assert_true(x->res.duplicate);
    assert_memory_equal(x->res.id, s.id, RSN_ID_BYTES);
    assert_int_equal(rsn_ingest_pending(x->f->ingest), 0);
    /* a duplicate is found before the signature is checked */
    rsn_ingest_input_t in = input_of(&s);
    uint8_t sig[RSN_SIG_BYTES] = {0};
    in.signature = sig;
    assert_int_equal(stage_input(x, &in), 0);
    assert_true(x->res.duplicate);
    assert_int_equal(rsn_ingest_commit(x->f->ingest), 0);
    rsn_ingest_counts(x->f->ingest, &after);
    assert_int_equal(after.entries, before.entries);
    assert_int_equal(after.leaves, before.leaves);
}

static void test_fork(void **state)
{
    fixture_t *x = *state;
    rsn_test_signed_t s1 = profile(x, x->alice, 1, "A1");
    accept(x, x->alice, &s1);
    rsn_test_signed_t s2 = profile(x, x->alice, 2, "A2");
    accept(x, x->alice, &s2);
    uint8_t fork_root0[32], fork_root1[32];
    rsn_ingest_fork_root(x->f->ingest, fork_root0);
    assert_int_equal(rsn_ingest_frozen_at(x->f->ingest, x->alice->pk), 0);

    rsn_test_signed_t other = profile(x, x->alice, 2, "A2, again");
    assert_int_equal(stage(x, &other), RSN_ERR_FORK);
    assert_string_equal(x->why, "a different entry is held for this author at seq 2: both are "
                                "kept as fork evidence and the feed is frozen");
    assert_true(rsn_ingest_pending(x->f->ingest) > 0); /* the evidence, to commit */
    assert_int_equal(rsn_ingest_frozen_at(x->f->ingest, x->alice->pk), 2); /* staged */
    assert_int_equal(rsn_ingest_commit(x->f->ingest), 0);

    rsn_counts_t c;
    rsn_ingest_counts(x->f->ingest, &c);
    assert_int_equal(c.forks, 1);
    assert_int_equal(c.entries, 2);
    size_t n = 0;
    const rsn_fork_ref_t *refs = rsn_ingest_committed_forks(x->f->ingest, &n);
    assert_int_equal(n, 1);
    assert_memory_equal(refs[0].author, x->alice->pk, RSN_KEY_BYTES);
    assert_int_equal(refs[0].seq, 2);
    rsn_ingest_fork_root(x->f->ingest, fork_root1);
    assert_memory_not_equal(fork_root0, fork_root1, 32);
    uint64_t seq = 0;
    uint8_t id[RSN_ID_BYTES];
    bool frozen = false;
    assert_int_equal(rsn_ingest_effective_head(x->f->ingest, x->alice->pk, &seq, id, &frozen), 0);
    assert_true(frozen);
    uint8_t k[RSN_KEY_MAX];
    uint64_t from = 0;
    assert_int_equal(rsn_store_get_u64(x->f->store, k, rsn_key_frozen(k, x->alice->pk), &from), 0);
    assert_int_equal(from, 2);

    /* the frozen feed takes nothing new; bob's feed is not touched */
    assert_int_equal(rsn_test_author_advance(x->alice, s2.id), 0);
    rsn_test_signed_t s3 = profile(x, x->alice, 3, "A3");
    assert_int_equal(stage(x, &s3), RSN_ERR_FEED_FROZEN);
    assert_string_equal(x->why, "this author's feed forked at seq 2: no new entry is accepted");
    assert_int_equal(rsn_ingest_frozen_at(x->f->ingest, x->bob->pk), 0);
    rsn_test_signed_t b1 = profile(x, x->bob, 1, "Bob");
    accept(x, x->bob, &b1);
}

static void test_counters_and_log(void **state)
{
    fixture_t *x = *state;
    rsn_counts_t c;
    rsn_ingest_counts(x->f->ingest, &c);
    assert_int_equal(c.entries, 0);
    assert_int_equal(c.authors, 0);
    assert_int_equal(c.leaves, 0);
    uint64_t size = 99;
    uint8_t root0[RSN_HASH_BYTES], root1[RSN_HASH_BYTES];
    rsn_ingest_log_root(x->f->ingest, &size, root0);
    assert_int_equal(size, 0);

    const uint8_t *owner[1] = {x->alice->pk};
    uint8_t gid[RSN_ID_BYTES];
    fx_put(x->f, x->alice, RAISON__KIND__KIND_CHARTER,
           fx_charter_keys(x->f, "ops", RAISON__ACCESS__ACCESS_OPEN, "m", owner, 1, 0), 1000, gid);
    fx_put(x->f, x->alice, RAISON__KIND__KIND_POST, fx_post(x->f, gid, "m", "hi", NULL), 1100,
           NULL);
    fx_put(x->f, x->bob, RAISON__KIND__KIND_PROFILE, fx_profile(x->f, "Bob", NULL), 1200, NULL);
    rsn_ingest_counts(x->f->ingest, &c);
    assert_int_equal(c.entries, 3);
    assert_int_equal(c.authors, 2);
    assert_int_equal(c.groups, 1);
    assert_int_equal(c.forks, 0);
    assert_int_equal(c.leaves, 3);
    rsn_ingest_log_root(x->f->ingest, &size, root1);
    assert_int_equal(size, 3);
    assert_memory_not_equal(root0, root1, RSN_HASH_BYTES);

    /* the counters are read back from the store by a new write path */
    rsn_ingest_t *again = NULL;
    assert_int_equal(rsn_ingest_new(&again, x->f->store), 0);
    rsn_counts_t c2;
    rsn_ingest_counts(again, &c2);
    assert_int_equal(c2.entries, 3);
    assert_int_equal(c2.authors, 2);
    assert_int_equal(c2.groups, 1);
    assert_int_equal(c2.leaves, 3);
    uint8_t root2[RSN_HASH_BYTES];
    rsn_ingest_log_root(again, &size, root2);
    assert_int_equal(size, 3);
    assert_memory_equal(root1, root2, RSN_HASH_BYTES);
    rsn_ingest_destroy(&again);
    assert_null(again);
}

static void test_batch_seen_before_commit(void **state)
{
    fixture_t *x = *state;
    rsn_test_signed_t s1 = profile(x, x->alice, 1, "A1");
    assert_int_equal(stage(x, &s1), 0);
    assert_int_equal(rsn_test_author_advance(x->alice, s1.id), 0);
    rsn_test_signed_t s2 = profile(x, x->alice, 2, "A2");
    assert_int_equal(stage(x, &s2), 0); /* its prev is staged, not stored */
    assert_int_equal(rsn_ingest_pending(x->f->ingest), 2);
    assert_false(held(x, s1.id));
    assert_false(held(x, s2.id));
    /* staged twice is a duplicate too */
    assert_int_equal(stage(x, &s1), 0);
    assert_true(x->res.duplicate);
    assert_int_equal(rsn_ingest_pending(x->f->ingest), 2);
    rsn_counts_t c;
    rsn_ingest_counts(x->f->ingest, &c);
    assert_int_equal(c.entries, 0); /* committed counts */

    assert_int_equal(rsn_ingest_commit(x->f->ingest), 0);
    assert_false(rsn_ingest_take_failure(x->f->ingest));
    assert_int_equal(rsn_ingest_pending(x->f->ingest), 0);
    assert_true(held(x, s1.id));
    assert_true(held(x, s2.id));
    size_t n = 0;
    const uint8_t(*ids)[RSN_ID_BYTES] = rsn_ingest_committed(x->f->ingest, &n);
    assert_int_equal(n, 2);
    assert_memory_equal(ids[0], s1.id, RSN_ID_BYTES);
    assert_memory_equal(ids[1], s2.id, RSN_ID_BYTES);
    rsn_ingest_committed_clear(x->f->ingest);
    rsn_ingest_committed(x->f->ingest, &n);
    assert_int_equal(n, 0);
    rsn_ingest_counts(x->f->ingest, &c);
    assert_int_equal(c.entries, 2);
    assert_int_equal(c.authors, 1);
}

static void test_refusal_changes_nothing(void **state)
{
    fixture_t *x = *state;
    rsn_test_signed_t s1 = profile(x, x->alice, 1, "A1");
    accept(x, x->alice, &s1);
    rsn_counts_t before, after;
    rsn_ingest_counts(x->f->ingest, &before);
    uint8_t root_before[32], root_after[32], digest_before[32], digest_after[32];
    uint64_t size_before = 0, size_after = 0;
    rsn_ingest_log_root(x->f->ingest, &size_before, root_before);
    rsn_ingest_root(x->f->ingest, digest_before);

    rsn_test_signed_t s2 = profile(x, x->alice, 2, "A2");
    uint8_t *body = rsn_arena_memdup(x->f->arena, s2.body, s2.body_len);
    body[0] ^= 1;
    rsn_ingest_input_t in = input_of(&s2);
    in.body = body;
    assert_int_equal(stage_input(x, &in), RSN_ERR_BODY_MISMATCH);
    rsn_test_signed_t skip = profile(x, x->alice, 3, "A3");
    assert_int_equal(stage(x, &skip), RSN_ERR_BAD_SEQ);
    assert_int_equal(rsn_ingest_pending(x->f->ingest), 0);
    assert_int_equal(rsn_ingest_commit(x->f->ingest), 0);

    assert_false(held(x, s2.id));
    assert_false(held(x, skip.id));
    rsn_ingest_counts(x->f->ingest, &after);
    assert_int_equal(after.entries, before.entries);
    assert_int_equal(after.authors, before.authors);
    assert_int_equal(after.leaves, before.leaves);
    rsn_ingest_log_root(x->f->ingest, &size_after, root_after);
    assert_int_equal(size_after, size_before);
    assert_memory_equal(root_after, root_before, 32);
    rsn_ingest_root(x->f->ingest, digest_after);
    assert_memory_equal(digest_after, digest_before, 32);
    uint64_t seq = 0;
    uint8_t id[RSN_ID_BYTES];
    bool frozen = true;
    assert_int_equal(rsn_ingest_effective_head(x->f->ingest, x->alice->pk, &seq, id, &frozen), 0);
    assert_int_equal(seq, 1);
    assert_memory_equal(id, s1.id, RSN_ID_BYTES);
}

/* A stage that fails at its Nth step (out of memory, injected) leaves the
 * batch, the counters, the log and the digest as they were: nothing of it
 * is written by the next commit, and the entry is accepted when sent again. */
static void test_failed_stage_leaves_nothing(void **state)
{
    fixture_t *x = *state;
    rsn_test_signed_t s1 = profile(x, x->alice, 1, "A1");
    accept(x, x->alice, &s1);
    rsn_test_signed_t s2 = profile(x, x->alice, 2, "A2");
    for (unsigned n = 1; n <= 3; n++) {
        rsn_counts_t before, after;
        rsn_ingest_counts(x->f->ingest, &before);
        uint8_t digest_before[32], digest_after[32];
        rsn_ingest_root(x->f->ingest, digest_before);
        rsn_ingest_fail_after(x->f->ingest, n);
        assert_int_equal(stage(x, &s2), RSN_ERR_NOMEM);
        assert_int_equal(rsn_ingest_pending(x->f->ingest), 0);
        rsn_ingest_root(x->f->ingest, digest_after);
        assert_memory_equal(digest_after, digest_before, 32);
        /* another author's entry commits: nothing of the refused one with it */
        rsn_test_signed_t b = profile(x, x->bob, n, "B");
        accept(x, x->bob, &b);
        assert_false(held(x, s2.id));
        uint8_t k[RSN_KEY_MAX];
        assert_int_equal(rsn_store_has(x->f->store, k, rsn_key_feed_seq(k, x->alice->pk, 2)),
                         RSN_ERR_NOT_FOUND);
        rsn_ingest_counts(x->f->ingest, &after);
        assert_int_equal(after.entries, before.entries + 1);
        assert_int_equal(after.authors, before.authors + (n == 1));
        assert_int_equal(after.leaves, before.leaves + 1);
        uint64_t size = 0;
        uint8_t root[32];
        rsn_ingest_log_root(x->f->ingest, &size, root);
        assert_int_equal(size, after.leaves);
        uint64_t seq = 0;
        uint8_t id[RSN_ID_BYTES];
        assert_int_equal(rsn_ingest_head(x->f->ingest, x->alice->pk, &seq, id), 0);
        assert_int_equal(seq, 1);
    }
    accept(x, x->alice, &s2);
    assert_true(held(x, s2.id));
    rsn_counts_t c;
    rsn_ingest_counts(x->f->ingest, &c);
    assert_int_equal(c.entries, 5);
    assert_int_equal(c.leaves, 5);
    assert_int_equal(c.authors, 2);
}

/* Fork evidence staged when a late step fails leaves nothing either: no
 * evidence, no frozen feed, no change of the digests; the same evidence is
 * staged whole when it comes again. */
static void test_failed_fork_leaves_nothing(void **state)
{
    fixture_t *x = *state;
    rsn_test_signed_t s1 = profile(x, x->alice, 1, "A1");
    accept(x, x->alice, &s1);
    rsn_test_signed_t s2 = profile(x, x->alice, 2, "A2");
    accept(x, x->alice, &s2);
    uint8_t fork_root0[32], root0[32], fork_root1[32], root1[32];
    rsn_ingest_fork_root(x->f->ingest, fork_root0);
    rsn_ingest_root(x->f->ingest, root0);

    rsn_test_signed_t other = profile(x, x->alice, 2, "A2, again");
    rsn_ingest_fail_after(x->f->ingest, 1);
    assert_int_equal(stage(x, &other), RSN_ERR_NOMEM);
    assert_int_equal(rsn_ingest_pending(x->f->ingest), 0);
    assert_int_equal(rsn_ingest_frozen_at(x->f->ingest, x->alice->pk), 0);
    rsn_ingest_fork_root(x->f->ingest, fork_root1);
    rsn_ingest_root(x->f->ingest, root1);
    assert_memory_equal(fork_root1, fork_root0, 32);
    assert_memory_equal(root1, root0, 32);
    /* another author's entry commits: no evidence goes with it */
    rsn_test_signed_t b1 = profile(x, x->bob, 1, "Bob");
    accept(x, x->bob, &b1);
    uint8_t k[RSN_KEY_MAX];
    assert_int_equal(rsn_store_has(x->f->store, k, rsn_key_fork(k, x->alice->pk, 2)),
                     RSN_ERR_NOT_FOUND);
    assert_int_equal(rsn_store_has(x->f->store, k, rsn_key_frozen(k, x->alice->pk)),
                     RSN_ERR_NOT_FOUND);
    rsn_counts_t c;
    rsn_ingest_counts(x->f->ingest, &c);
    assert_int_equal(c.forks, 0);

    /* the same evidence again, with nothing failing: staged whole */
    assert_int_equal(stage(x, &other), RSN_ERR_FORK);
    assert_int_equal(rsn_ingest_commit(x->f->ingest), 0);
    assert_int_equal(rsn_ingest_frozen_at(x->f->ingest, x->alice->pk), 2);
    rsn_ingest_counts(x->f->ingest, &c);
    assert_int_equal(c.forks, 1);
    assert_int_equal(rsn_store_has(x->f->store, k, rsn_key_fork(k, x->alice->pk, 2)), 0);
}

/* A failed commit fails its own batch: the next batch commits, and its
 * replies are not turned into errors. */
static void test_failed_commit_fails_its_batch_only(void **state)
{
    fixture_t *x = *state;
    rsn_test_signed_t s1 = profile(x, x->alice, 1, "A1");
    assert_int_equal(stage(x, &s1), 0);
    uint64_t first = rsn_ingest_batch_number(x->f->ingest);
    rsn_ingest_fail_commit(x->f->ingest);
    assert_int_equal(rsn_ingest_commit(x->f->ingest), RSN_ERR_IO);
    assert_true(rsn_ingest_batch_failed(x->f->ingest, first));
    assert_false(held(x, s1.id));
    assert_int_equal(rsn_ingest_pending(x->f->ingest), 0);

    assert_int_equal(stage(x, &s1), 0); /* dropped, so new again */
    assert_false(x->res.duplicate);
    uint64_t second = rsn_ingest_batch_number(x->f->ingest);
    assert_true(second != first);
    assert_int_equal(rsn_ingest_commit(x->f->ingest), 0);
    assert_false(rsn_ingest_take_failure(x->f->ingest));
    assert_false(rsn_ingest_batch_failed(x->f->ingest, second));
    assert_true(rsn_ingest_batch_failed(x->f->ingest, first));
    assert_true(held(x, s1.id));
    rsn_counts_t c;
    rsn_ingest_counts(x->f->ingest, &c);
    assert_int_equal(c.entries, 1);
    assert_int_equal(c.leaves, 1);
}

/* Publishes A's profile (seq 1) and its retraction (seq 2), which must read
 * the staged profile: *FIRST and *SECOND the batches they were staged in. */
static void publish_and_retract(fixture_t *x, rsn_test_author_t *a, uint64_t *first,
                                uint64_t *second)
{
    rsn_test_signed_t s1 = profile(x, a, 1, "P1"), s2;
    rsn_ingest_input_t in = input_of(&s1);
    in.origin = RSN_INGEST_PUBLISH;
    assert_int_equal(stage_input(x, &in), 0);
    assert_int_equal(rsn_test_author_advance(a, s1.id), 0);
    *first = rsn_ingest_batch_number(x->f->ingest);
    assert_int_equal(rsn_test_author_sign(x->f->arena, a, 2, RAISON__KIND__KIND_RETRACTION,
                                          &fx_retraction(x->f, s1.id, false)->base, 1002, &s2),
                     0);
    in = input_of(&s2);
    in.origin = RSN_INGEST_PUBLISH;
    assert_int_equal(stage_input(x, &in), 0);
    assert_int_equal(x->res.broken_rule, 0); /* it saw s1, committed for it */
    *second = rsn_ingest_batch_number(x->f->ingest);
    assert_true(*second > *first);
    assert_true(held(x, s1.id));
}

/* A publish that must read an entry staged before it (a retraction of it)
 * commits the batch before it without a sync; the group commit's sync
 * covers both batches, and when that sync fails, both fail. */
static void test_unsynced_commit_fails_with_the_sync(void **state)
{
    fixture_t *x = *state;
    uint64_t first = 0, second = 0;
    publish_and_retract(x, x->alice, &first, &second);
    rsn_ingest_fail_commit(x->f->ingest);
    assert_int_equal(rsn_ingest_commit(x->f->ingest), RSN_ERR_IO);
    assert_true(rsn_ingest_batch_failed(x->f->ingest, second));
    assert_true(rsn_ingest_batch_failed(x->f->ingest, first)); /* never synced */

    /* the same again, with the sync: neither fails */
    publish_and_retract(x, x->bob, &first, &second);
    assert_int_equal(rsn_ingest_commit(x->f->ingest), 0);
    assert_false(rsn_ingest_batch_failed(x->f->ingest, first));
    assert_false(rsn_ingest_batch_failed(x->f->ingest, second));
}

/* Signatures checked ahead (rsn_ingest_preverify_start and _finish, as the
 * loop does while it commits): the job keeps its own copy (the input is
 * scribbled over and freed before the finish); a bad signature among them is
 * still refused when staged; a peer batch checked meanwhile
 * (rsn_ingest_preverify) drops nothing of the clients' set. */
static void test_verified_ahead(void **state)
{
    fixture_t *x = *state;
    enum { N = 4 };
    rsn_test_signed_t s[N];
    for (uint64_t i = 0; i < N; i++) {
        char name[16];
        snprintf(name, sizeof name, "Alice %u", (unsigned)i);
        s[i] = profile(x, x->alice, i + 1, name);
        assert_int_equal(rsn_test_author_advance(x->alice, s[i].id), 0);
    }
    uint8_t bad[RSN_SIG_BYTES];
    memcpy(bad, s[2].sig, sizeof bad);
    bad[0] ^= 0x80;
    /* the input in memory of its own, gone before the finish */
    uint8_t *copy[N];
    rsn_ingest_input_t in[N];
    for (size_t i = 0; i < N; i++) {
        copy[i] = malloc(s[i].entry_len + RSN_SIG_BYTES);
        assert_non_null(copy[i]);
        memcpy(copy[i], s[i].entry, s[i].entry_len);
        memcpy(copy[i] + s[i].entry_len, i == 2 ? bad : s[i].sig, RSN_SIG_BYTES);
        in[i] = input_of(&s[i]);
        in[i].entry = copy[i];
        in[i].signature = copy[i] + s[i].entry_len;
    }
    rsn_preverify_t *job = rsn_ingest_preverify_start(x->f->ingest, in, N);
    assert_non_null(job);
    for (size_t i = 0; i < N; i++) {
        memset(copy[i], 0xa5, s[i].entry_len + RSN_SIG_BYTES);
        free(copy[i]);
    }
    rsn_ingest_preverify_finish(x->f->ingest, &job, RSN_AHEAD_CLIENTS);
    assert_null(job);

    /* a peer's batch checked in between */
    rsn_test_signed_t b1 = profile(x, x->bob, 1, "Bob");
    assert_int_equal(rsn_test_author_advance(x->bob, b1.id), 0);
    rsn_test_signed_t b2 = profile(x, x->bob, 2, "Bob B.");
    rsn_ingest_input_t peers[2] = {input_of(&b1), input_of(&b2)};
    rsn_ingest_preverify(x->f->ingest, peers, 2);

    rsn_ingest_stats_t st;
    rsn_ingest_stats(x->f->ingest, &st);
    uint64_t ahead = st.verified_ahead;
    for (size_t i = 0; i < 2; i++) {
        rsn_ingest_input_t one = input_of(&s[i]);
        assert_int_equal(stage_input(x, &one), 0);
    }
    rsn_ingest_input_t third = input_of(&s[2]);
    third.signature = bad;
    assert_int_equal(stage_input(x, &third), RSN_ERR_BAD_SIGNATURE);
    assert_string_equal(x->why, "signature does not verify under the entry's author");
    third = input_of(&s[2]);
    assert_int_equal(stage_input(x, &third), 0);
    rsn_ingest_input_t fourth = input_of(&s[3]);
    assert_int_equal(stage_input(x, &fourth), 0);
    assert_int_equal(stage_input(x, &peers[0]), 0);
    assert_int_equal(stage_input(x, &peers[1]), 0);
    assert_int_equal(rsn_ingest_commit(x->f->ingest), 0);
    for (size_t i = 0; i < N; i++) {
        assert_true(held(x, s[i].id));
    }
    /* three of alice's (the third's sound signature was not among those
     * checked) and bob's two were staged without a check of their own */
    rsn_ingest_stats(x->f->ingest, &st);
    assert_int_equal(st.verified_ahead - ahead, 5);
    assert_true(held(x, b2.id));

    /* a finish without a job forgets the clients' set: all is checked again */
    rsn_preverify_t *none = NULL;
    rsn_ingest_preverify_finish(x->f->ingest, &none, RSN_AHEAD_CLIENTS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sizes_and_structure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_signature_and_body, setup, teardown),
        cmocka_unit_test_setup_teardown(test_feed_rule, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fork, setup, teardown),
        cmocka_unit_test_setup_teardown(test_counters_and_log, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_seen_before_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusal_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_stage_leaves_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_commit_fails_its_batch_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_fork_leaves_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsynced_commit_fails_with_the_sync, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verified_ahead, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
