/* forks_test.c — fork evidence (daemon/forks.h): the check of two signed
 * headers, staging it into a batch, frozen feeds staged and stored, and the
 * evidence remembered by commits. */
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
#include "daemon/forks.h"
#include "proto/codec.h"
#include "store/keys.h"
#include "store/store.h"
#include "support/entries.h"
#include "support/files.h"
#include "support/keys.h"

typedef struct {
    char dir[RSN_TEST_DIR_MAX];
    rsn_store_t *store;
    rsn_arena_t *arena;
    rsn_keypair_t *kp;
    uint8_t pk[RSN_KEY_BYTES];
} fx_t;

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof *f);
    if (!f || rsn_crypto_init() != 0) {
        return -1;
    }
    f->arena = rsn_arena_new();
    if (rsn_test_keypair_seeded(&f->kp, 0x42) != 0 ||
        rsn_test_tmpdir_make(f->dir, sizeof f->dir, "rsn-forks") != 0 ||
        rsn_store_open(&f->store, f->dir) != 0 || !f->arena) {
        return -1;
    }
    memcpy(f->pk, rsn_keypair_public(f->kp), RSN_KEY_BYTES);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;
    rsn_store_destroy(&f->store);
    rsn_arena_destroy(&f->arena);
    rsn_keypair_destroy(&f->kp);
    (void)rsn_test_tmpdir_remove(f->dir);
    free(f);
    return 0;
}

/* A signed header of F's author at SEQ whose body is one byte, MARK. */
static Raison__SignedEntry *signed_at(fx_t *f, uint64_t seq, uint8_t mark)
{
    uint8_t prev[RSN_ID_BYTES];
    memset(prev, 0x77, sizeof prev);
    rsn_test_header_t h = {.seq = seq,
                           .prev = seq > 1 ? prev : NULL,
                           .timestamp_ms = 1700000000000ULL + mark,
                           .kind = RAISON__KIND__KIND_POST};
    rsn_test_signed_t s;
    assert_int_equal(rsn_test_sign_body(f->arena, f->kp, &h, &mark, 1, &s), 0);
    /* the header alone: evidence carries no body */
    Raison__SignedEntry *se = rsn_test_signed_wire(f->arena, &s, false);
    assert_non_null(se);
    return se;
}

/* Packs A and B as evidence at SEQ and decodes it back, as a peer's would be. */
static Raison__ForkEvidence *evidence(fx_t *f, uint64_t seq, const Raison__SignedEntry *a,
                                      const Raison__SignedEntry *b)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    assert_int_equal(rsn_forks_pack(f->arena, f->pk, seq, a, b, &bytes, &len), 0);
    assert_true(len <= RSN_FORK_EVIDENCE_MAX);
    Raison__ForkEvidence *ev = NULL;
    assert_int_equal(rsn_fork_evidence_decode(f->arena, bytes, len, &ev), 0);
    assert_int_equal(ev->seq, seq);
    assert_memory_equal(ev->author.data, f->pk, RSN_KEY_BYTES);
    return ev;
}

static void test_check(void **state)
{
    fx_t *f = *state;
    Raison__SignedEntry *a = signed_at(f, 4, 'a'), *b = signed_at(f, 4, 'b');
    rsn_fork_ref_t ref;
    char why[128] = "";
    assert_int_equal(rsn_forks_check(f->arena, evidence(f, 4, a, b), &ref, why, sizeof why), 0);
    assert_memory_equal(ref.author, f->pk, RSN_KEY_BYTES);
    assert_int_equal(ref.seq, 4);
    /* the same entry twice is no fork */
    assert_int_equal(rsn_forks_check(f->arena, evidence(f, 4, a, a), &ref, why, sizeof why),
                     RSN_ERR_BAD_ENTRY);
    assert_string_equal(why, "fork evidence must be two different entries of one (author, seq)");
    /* two seqs are no fork */
    Raison__SignedEntry *c = signed_at(f, 5, 'c');
    assert_int_equal(rsn_forks_check(f->arena, evidence(f, 4, a, c), &ref, NULL, 0),
                     RSN_ERR_BAD_ENTRY);
    /* a signature that does not verify */
    Raison__SignedEntry forged = *b;
    forged.signature.data = rsn_arena_memdup(f->arena, b->signature.data, RSN_SIG_BYTES);
    forged.signature.data[0] ^= 1;
    assert_int_equal(rsn_forks_check(f->arena, evidence(f, 4, a, &forged), &ref, why, sizeof why),
                     RSN_ERR_BAD_SIGNATURE);
    assert_string_equal(why, "fork evidence: a signature does not verify");
    /* a half missing */
    Raison__ForkEvidence *ev = evidence(f, 4, a, b);
    ev->b = NULL;
    assert_int_equal(rsn_forks_check(f->arena, ev, &ref, why, sizeof why), RSN_ERR_BAD_ENTRY);
    assert_string_equal(why, "fork evidence lacks a signed entry");
}

static void test_stage_freezes(void **state)
{
    fx_t *f = *state;
    rsn_forks_t *forks = NULL;
    assert_int_equal(rsn_forks_new(&forks, f->store), 0);
    Raison__SignedEntry *a = signed_at(f, 6, 'a'), *b = signed_at(f, 6, 'b');
    Raison__ForkEvidence *ev = evidence(f, 6, a, b);
    assert_int_equal(rsn_forks_frozen_from(forks, f->pk), 0);
    assert_false(rsn_forks_held(forks, f->pk, 6));
    assert_false(rsn_forks_evidence_held(forks, f->arena, ev));
    assert_false(rsn_forks_full(forks));

    uint8_t *bytes = NULL;
    size_t len = 0;
    assert_int_equal(rsn_forks_pack(f->arena, f->pk, 6, a, b, &bytes, &len), 0);
    rsn_batch_t *batch = rsn_batch_new();
    rsn_forks_stage(forks, batch, f->pk, 6, bytes, len);
    assert_int_equal(rsn_batch_count(batch), 2); /* 'F' and 'Z' */
    assert_int_equal(rsn_forks_frozen_from(forks, f->pk), 6);
    assert_true(rsn_forks_held(forks, f->pk, 6));
    assert_true(rsn_forks_evidence_held(forks, f->arena, ev));
    size_t n = 99;
    rsn_forks_committed(forks, &n);
    assert_int_equal(n, 0);

    /* an earlier fork of the same feed lowers the frozen seq */
    Raison__SignedEntry *c = signed_at(f, 3, 'c'), *d = signed_at(f, 3, 'd');
    assert_int_equal(rsn_forks_pack(f->arena, f->pk, 3, c, d, &bytes, &len), 0);
    rsn_forks_stage(forks, batch, f->pk, 3, bytes, len);
    assert_int_equal(rsn_batch_count(batch), 4);
    assert_int_equal(rsn_forks_frozen_from(forks, f->pk), 3);

    assert_int_equal(rsn_store_write(f->store, batch, true), 0);
    rsn_batch_destroy(&batch);
    rsn_forks_end_batch(forks, true);
    const rsn_fork_ref_t *refs = rsn_forks_committed(forks, &n);
    assert_int_equal(n, 2);
    assert_int_equal(refs[0].seq, 6);
    assert_int_equal(refs[1].seq, 3);
    assert_memory_equal(refs[1].author, f->pk, RSN_KEY_BYTES);
    rsn_forks_committed_clear(forks);
    rsn_forks_committed(forks, &n);
    assert_int_equal(n, 0);
    rsn_forks_destroy(&forks);
    assert_null(forks);

    /* stored: a new fork state over the store sees the frozen feed */
    assert_int_equal(rsn_forks_new(&forks, f->store), 0);
    assert_int_equal(rsn_forks_frozen_from(forks, f->pk), 3);
    assert_true(rsn_forks_held(forks, f->pk, 6));
    assert_false(rsn_forks_held(forks, f->pk, 4));
    uint8_t other[RSN_KEY_BYTES] = {0};
    assert_int_equal(rsn_forks_frozen_from(forks, other), 0);
    uint8_t k[RSN_KEY_MAX];
    uint64_t z = 0;
    assert_int_equal(rsn_store_get_u64(f->store, k, rsn_key_frozen(k, f->pk), &z), 0);
    assert_int_equal(z, 3);
    rsn_forks_destroy(&forks);
}

static void test_dropped_batch_unfreezes(void **state)
{
    fx_t *f = *state;
    rsn_forks_t *forks = NULL;
    assert_int_equal(rsn_forks_new(&forks, f->store), 0);
    Raison__SignedEntry *a = signed_at(f, 2, 'a'), *b = signed_at(f, 2, 'b');
    uint8_t *bytes = NULL;
    size_t len = 0;
    assert_int_equal(rsn_forks_pack(f->arena, f->pk, 2, a, b, &bytes, &len), 0);
    rsn_batch_t *batch = rsn_batch_new();
    rsn_forks_stage(forks, batch, f->pk, 2, bytes, len);
    assert_int_equal(rsn_forks_frozen_from(forks, f->pk), 2);
    rsn_forks_end_batch(forks, false); /* the write failed */
    assert_int_equal(rsn_forks_frozen_from(forks, f->pk), 0);
    assert_false(rsn_forks_held(forks, f->pk, 2));
    size_t n = 99;
    rsn_forks_committed(forks, &n);
    assert_int_equal(n, 0);
    rsn_batch_destroy(&batch);
    rsn_forks_destroy(&forks);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_check, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stage_freezes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dropped_batch_unfreezes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
