/* digest_test.c — the anti-entropy digests (daemon/digest.h): the head and
 * fork hashes, the buckets and the root, staging, commit and rollback, and
 * the load from a store's heads and forks; the persisted digest ('b') equals
 * a full recomputation after random ingest with forks, and a restart reads
 * it without visiting a feed. */
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
#include "daemon/digest.h"
#include "daemon/ingest.h"
#include "store/keys.h"
#include "store/store.h"
#include "support/daemon_fixture.h"
#include "support/files.h"

static bool is_zero(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (b[i]) {
            return false;
        }
    }
    return true;
}

static void test_head_hash_is_sha256_of_the_head(void **state)
{
    (void)state;
    uint8_t author[RSN_KEY_BYTES], id[RSN_ID_BYTES], buf[72], want[RSN_HASH_BYTES];
    uint8_t got[RSN_HASH_BYTES];
    memset(author, 0x11, sizeof author);
    memset(id, 0x22, sizeof id);
    memcpy(buf, author, 32);
    memset(buf + 32, 0, 8);
    buf[39] = 7; /* seq 7, big-endian */
    memcpy(buf + 40, id, 32);
    rsn_sha256(want, buf, sizeof buf);
    rsn_digest_head_hash(author, 7, id, got);
    assert_memory_equal(got, want, RSN_HASH_BYTES);
    /* seq 0 hashes zeros for the id, whatever is passed */
    memset(buf + 32, 0, 40);
    rsn_sha256(want, buf, sizeof buf);
    rsn_digest_head_hash(author, 0, id, got);
    assert_memory_equal(got, want, RSN_HASH_BYTES);
    rsn_digest_head_hash(author, 0, NULL, got);
    assert_memory_equal(got, want, RSN_HASH_BYTES);
    /* the fork hash: author || seq */
    buf[39] = 3;
    rsn_sha256(want, buf, 40);
    rsn_digest_fork_hash(author, 3, got);
    assert_memory_equal(got, want, RSN_HASH_BYTES);
}

static void test_toggle_commit_rollback(void **state)
{
    (void)state;
    rsn_digest_t *d = rsn_digest_new();
    assert_non_null(d);
    uint8_t a[RSN_KEY_BYTES], id1[RSN_ID_BYTES], id2[RSN_ID_BYTES], h[RSN_HASH_BYTES];
    uint8_t root[RSN_HASH_BYTES];
    memset(a, 0x05, sizeof a);
    memset(id1, 0x01, sizeof id1);
    memset(id2, 0x02, sizeof id2);
    rsn_digest_root(d, root);
    assert_true(is_zero(root, sizeof root));
    rsn_digest_toggle(d, a, 1, id1);
    rsn_digest_root(d, root);
    assert_true(is_zero(root, sizeof root)); /* staged, not committed */
    rsn_digest_commit(d);
    rsn_digest_head_hash(a, 1, id1, h);
    assert_memory_equal(rsn_digest_buckets(d)[0x05], h, RSN_HASH_BYTES);
    assert_true(is_zero(rsn_digest_buckets(d)[0x06], RSN_HASH_BYTES));
    rsn_digest_root(d, root);
    assert_memory_equal(root, h, RSN_HASH_BYTES);
    /* advance to seq 2, then drop it: the committed head stays */
    rsn_digest_toggle(d, a, 1, id1);
    rsn_digest_toggle(d, a, 2, id2);
    rsn_digest_rollback(d);
    rsn_digest_commit(d);
    assert_memory_equal(rsn_digest_buckets(d)[0x05], h, RSN_HASH_BYTES);
    /* a second author in another bucket: the root is the XOR of both */
    uint8_t b[RSN_KEY_BYTES], hb[RSN_HASH_BYTES], want[RSN_HASH_BYTES];
    memset(b, 0xf0, sizeof b);
    rsn_digest_toggle(d, b, 4, id2);
    rsn_digest_commit(d);
    rsn_digest_head_hash(b, 4, id2, hb);
    for (int i = 0; i < RSN_HASH_BYTES; i++) {
        want[i] = h[i] ^ hb[i];
    }
    rsn_digest_root(d, root);
    assert_memory_equal(root, want, RSN_HASH_BYTES);
    /* the fork digest */
    rsn_digest_fork_root(d, root);
    assert_true(is_zero(root, sizeof root));
    rsn_digest_toggle_fork(d, a, 9);
    rsn_digest_commit(d);
    rsn_digest_fork_hash(a, 9, want);
    rsn_digest_fork_root(d, root);
    assert_memory_equal(root, want, RSN_HASH_BYTES);
    rsn_digest_destroy(&d);
    assert_null(d);
    rsn_digest_destroy(&d);
}

/* A head function: every author's effective head is seq 3, id 0x33.. */
static int fixed_head(void *ctx, const uint8_t author[RSN_KEY_BYTES], bool *exists, uint64_t *seq,
                      uint8_t id[RSN_ID_BYTES])
{
    int *calls = ctx;
    (*calls)++;
    (void)author;
    *exists = true;
    *seq = 3;
    memset(id, 0x33, RSN_ID_BYTES);
    return 0;
}

static void test_load_from_store(void **state)
{
    (void)state;
    assert_int_equal(rsn_crypto_init(), 0);
    char dir[RSN_TEST_DIR_MAX];
    assert_int_equal(rsn_test_tmpdir_make(dir, sizeof dir, "rsn-digest"), 0);
    rsn_store_t *store = NULL;
    assert_int_equal(rsn_store_open(&store, dir), 0);
    uint8_t a[RSN_KEY_BYTES], b[RSN_KEY_BYTES], k[RSN_KEY_MAX], v[40] = {0};
    memset(a, 0x0a, sizeof a);
    memset(b, 0x0b, sizeof b);
    rsn_batch_t *batch = rsn_batch_new();
    rsn_batch_put(batch, k, rsn_key_feed_head(k, a), v, sizeof v);
    rsn_batch_put(batch, k, rsn_key_feed_head(k, b), v, sizeof v);
    rsn_batch_put(batch, k, rsn_key_frozen(k, a), v, 8); /* has a head: counted once */
    rsn_batch_put(batch, k, rsn_key_fork(k, a, 2), "x", 1);
    assert_int_equal(rsn_store_write(store, batch, true), 0);
    rsn_batch_destroy(&batch);

    rsn_digest_t *d = rsn_digest_new();
    int calls = 0;
    assert_int_equal(rsn_digest_load(d, store, fixed_head, &calls), 0);
    assert_int_equal(calls, 2);
    uint8_t id[RSN_ID_BYTES], h[RSN_HASH_BYTES], root[RSN_HASH_BYTES];
    memset(id, 0x33, sizeof id);
    rsn_digest_head_hash(a, 3, id, h);
    assert_memory_equal(rsn_digest_buckets(d)[0x0a], h, RSN_HASH_BYTES);
    rsn_digest_head_hash(b, 3, id, h);
    assert_memory_equal(rsn_digest_buckets(d)[0x0b], h, RSN_HASH_BYTES);
    rsn_digest_fork_hash(a, 2, h);
    rsn_digest_fork_root(d, root);
    assert_memory_equal(root, h, RSN_HASH_BYTES);
    rsn_digest_destroy(&d);
    rsn_store_destroy(&store);
    (void)rsn_test_tmpdir_remove(dir);
}

/* A head function that must not be called: start-up reads the 'b' keys. */
static int no_head(void *ctx, const uint8_t author[RSN_KEY_BYTES], bool *exists, uint64_t *seq,
                   uint8_t id[RSN_ID_BYTES])
{
    (void)author;
    (void)exists;
    (void)seq;
    (void)id;
    (*(int *)ctx)++;
    return RSN_ERR_INTERNAL;
}

static void test_persisted_equals_recomputation(void **state)
{
    fx_t *f = *state;
    enum { AUTHORS = 12, ROUNDS = 150 };
    fx_author_t *authors[AUTHORS];
    for (int i = 0; i < AUTHORS; i++) {
        authors[i] = fx_author_new((uint8_t)(0x40 + i));
    }
    bool forked[AUTHORS] = {false};
    srand(1234);
    bool equal = false;
    for (int r = 0; r < ROUNDS; r++) {
        int i = rand() % AUTHORS;
        fx_author_t *a = authors[i];
        if (forked[i] || a->seq + 2 >= RSN_TEST_AUTHOR_SEQ_MAX) {
            continue; /* a frozen feed takes nothing more */
        }
        if (a->seq >= 2 && rand() % 25 == 0) {
            forked[i] = true;
            /* a fork: evidence, a frozen feed, a head cut back */
            fx_fork(f, a, a->seq, RAISON__KIND__KIND_PROFILE, fx_profile(f, "forked", "lyon"),
                    (uint64_t)r + 1, NULL);
        } else {
            fx_put(f, a, RAISON__KIND__KIND_PROFILE, fx_profile(f, "someone", "lyon"),
                   (uint64_t)r + 1, NULL);
        }
        if (r % 37 == 0) {
            assert_int_equal(rsn_digest_check_store(f->store, &equal), 0);
            assert_true(equal);
        }
    }
    assert_int_equal(rsn_digest_check_store(f->store, &equal), 0);
    assert_true(equal);
    uint8_t before[RSN_HASH_BYTES], after[RSN_HASH_BYTES], forks[RSN_HASH_BYTES];
    uint8_t forks_after[RSN_HASH_BYTES];
    rsn_ingest_root(f->ingest, before);
    rsn_ingest_fork_root(f->ingest, forks);
    assert_false(is_zero(forks, RSN_HASH_BYTES));

    /* a restart: the digest comes back from 'b' alone, no head is read */
    rsn_digest_t *d = rsn_digest_new();
    int calls = 0;
    assert_int_equal(rsn_digest_load(d, f->store, no_head, &calls), 0);
    assert_int_equal(calls, 0);
    rsn_digest_root(d, after);
    assert_memory_equal(before, after, RSN_HASH_BYTES);
    rsn_digest_fork_root(d, forks_after);
    assert_memory_equal(forks, forks_after, RSN_HASH_BYTES);
    rsn_digest_destroy(&d);
    rsn_ingest_destroy(&f->ingest);
    assert_int_equal(rsn_ingest_new(&f->ingest, f->store), 0);
    rsn_ingest_root(f->ingest, after);
    assert_memory_equal(before, after, RSN_HASH_BYTES);

    /* a bucket changed behind the node's back is caught */
    uint8_t k[RSN_KEY_MAX], bad[RSN_HASH_BYTES];
    memset(bad, 0x5a, sizeof bad);
    fx_raw_put(f, k, rsn_key_digest_bucket(k, authors[0]->pk[0]), bad, sizeof bad);
    assert_int_equal(rsn_digest_check_store(f->store, &equal), 0);
    assert_false(equal);
    for (int i = 0; i < AUTHORS; i++) {
        fx_author_free(authors[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_head_hash_is_sha256_of_the_head),
        cmocka_unit_test(test_toggle_commit_rollback),
        cmocka_unit_test(test_load_from_store),
        cmocka_unit_test_setup_teardown(test_persisted_equals_recomputation, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
