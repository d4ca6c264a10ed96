/* keypair_test.c — keypairs and their key files: plain and sealed round
 * trips, the file layout of keypair.h, the refusals (wrong or missing
 * passphrase, loose mode, truncated or tampered files, overwriting), and the
 * Curve25519 forms. Each test works in its own mkdtemp folder. */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "crypto/crypto.h"
#include "crypto/keypair.h"
#include "support/files.h"

typedef struct {
    char dir[RSN_TEST_DIR_MAX];
    char path[128];
} fixture;

static int group_setup(void **state)
{
    (void)state;
    return rsn_crypto_init();
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);

    if (f == NULL) {
        return -1;
    }
    if (rsn_test_tmpdir_make(f->dir, sizeof f->dir, "rsnkp") != 0) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof f->path, "%s/key", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;

    if (rsn_test_tmpdir_remove(f->dir) != 0) {
        return -1;
    }
    free(f);
    return 0;
}

static size_t read_all(const char *path, uint8_t *buf, size_t max)
{
    FILE *fp = fopen(path, "rb");
    size_t n;

    assert_non_null(fp);
    n = fread(buf, 1, max, fp);
    fclose(fp);
    return n;
}

static void write_all(const char *path, const uint8_t *buf, size_t len, mode_t mode)
{
    int fd;

    unlink(path);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
    assert_true(fd >= 0);
    assert_int_equal(fchmod(fd, mode), 0);
    assert_int_equal(write(fd, buf, len), (ssize_t)len);
    assert_int_equal(close(fd), 0);
}

static mode_t mode_of(const char *path)
{
    struct stat st;

    assert_int_equal(stat(path, &st), 0);
    return st.st_mode & 07777;
}

/* Both keypairs sign alike: same public key and same (deterministic) signature. */
static void assert_same_key(const rsn_keypair_t *a, const rsn_keypair_t *b)
{
    uint8_t sa[RSN_SIG_BYTES];
    uint8_t sb[RSN_SIG_BYTES];
    const uint8_t msg[] = "same key?";

    assert_memory_equal(rsn_keypair_public(a), rsn_keypair_public(b), RSN_KEY_BYTES);
    assert_int_equal(rsn_keypair_sign(a, msg, sizeof msg, sa), 0);
    assert_int_equal(rsn_keypair_sign(b, msg, sizeof msg, sb), 0);
    assert_memory_equal(sa, sb, sizeof sa);
    assert_int_equal(rsn_signature_verify(rsn_keypair_public(b), msg, sizeof msg, sa), 0);
}

static void test_generate_and_seed(void **state)
{
    uint8_t seed[32];
    uint8_t pk[32];
    uint8_t sk[64];

    rsn_keypair_t *a = rsn_keypair_generate();
    rsn_keypair_t *b = rsn_keypair_generate();
    assert_non_null(a);
    assert_non_null(b);
    assert_memory_not_equal(rsn_keypair_public(a), rsn_keypair_public(b), RSN_KEY_BYTES);

    memset(seed, 0x42, sizeof seed);
    rsn_keypair_t *c = rsn_keypair_from_seed(seed);
    rsn_keypair_t *d = rsn_keypair_from_seed(seed);
    assert_non_null(c);
    assert_non_null(d);
    assert_same_key(c, d);
    assert_int_equal(crypto_sign_seed_keypair(pk, sk, seed), 0);
    assert_memory_equal(rsn_keypair_public(c), pk, sizeof pk);
    sodium_memzero(sk, sizeof sk);

    rsn_keypair_destroy(&a);
    assert_null(a);
    rsn_keypair_destroy(&a); /* idempotent */
    rsn_keypair_destroy(NULL);
    rsn_keypair_destroy(&b);
    rsn_keypair_destroy(&c);
    rsn_keypair_destroy(&d);
}

static void test_plain_round_trip(void **state)
{
    fixture *f = *state;
    rsn_keypair_t *kp = rsn_keypair_generate();
    rsn_keypair_t *back = NULL;
    uint8_t buf[200];
    bool sealed = true;
    mode_t old;

    assert_non_null(kp);
    /* a umask that would even take the owner's write bit: the file is 0600 */
    old = umask(0277);
    assert_int_equal(rsn_keypair_save(kp, f->path, NULL), 0);
    umask(old);
    assert_int_equal(mode_of(f->path), 0600);

    assert_int_equal(read_all(f->path, buf, sizeof buf), 72);
    assert_memory_equal(buf, "RSNKEY1\0", 8);
    assert_memory_equal(buf + 40, rsn_keypair_public(kp), 32);

    assert_int_equal(rsn_keyfile_is_sealed(f->path, &sealed), 0);
    assert_false(sealed);
    assert_int_equal(rsn_keypair_load(&back, f->path, NULL), 0);
    assert_non_null(back);
    assert_same_key(kp, back);
    rsn_keypair_destroy(&back);

    /* a passphrase given for a plain file is not needed, and not an error */
    assert_int_equal(rsn_keypair_load(&back, f->path, "unused"), 0);
    assert_same_key(kp, back);
    rsn_keypair_destroy(&back);

    /* the seed is the first half of the key: from_seed gives the same key */
    rsn_keypair_t *again = rsn_keypair_from_seed(buf + 8);
    assert_non_null(again);
    assert_same_key(kp, again);
    rsn_keypair_destroy(&again);
    sodium_memzero(buf, sizeof buf);
    rsn_keypair_destroy(&kp);
}

static void test_sealed_round_trip(void **state)
{
    fixture *f = *state;
    rsn_keypair_t *kp = rsn_keypair_generate();
    rsn_keypair_t *back = NULL;
    uint8_t buf[200];
    bool sealed = false;
    uint64_t ops = 0;
    uint64_t mem = 0;

    assert_non_null(kp);
    assert_int_equal(rsn_keypair_save(kp, f->path, "correct horse"), 0);
    assert_int_equal(mode_of(f->path), 0600);
    assert_int_equal(read_all(f->path, buf, sizeof buf), 144);
    assert_memory_equal(buf, "RSNKEY1\1", 8);
    for (int i = 7; i >= 0; i--) {
        ops = (ops << 8) | buf[24 + i];
        mem = (mem << 8) | buf[32 + i];
    }
    /* issue 9: new files at MODERATE (they were INTERACTIVE) */
    assert_int_equal(ops, crypto_pwhash_OPSLIMIT_MODERATE);
    assert_int_equal(mem, crypto_pwhash_MEMLIMIT_MODERATE);
    /* neither half of the key is in the clear */
    assert_null(memmem(buf, 144, rsn_keypair_public(kp), 32));

    assert_int_equal(rsn_keyfile_is_sealed(f->path, &sealed), 0);
    assert_true(sealed);
    assert_int_equal(rsn_keypair_load(&back, f->path, "correct horse"), 0);
    assert_non_null(back);
    assert_same_key(kp, back);
    rsn_keypair_destroy(&back);

    assert_int_equal(rsn_keypair_load(&back, f->path, "correct horsf"), RSN_ERR_PASSPHRASE);
    assert_null(back);
    assert_int_equal(rsn_keypair_load(&back, f->path, ""), RSN_ERR_PASSPHRASE);
    assert_int_equal(rsn_keypair_load(&back, f->path, NULL), RSN_ERR_PASSPHRASE);
    assert_null(back);

    /* a flipped byte of the box reads as a wrong passphrase */
    buf[100] ^= 0x01;
    write_all(f->path, buf, 144, 0600);
    assert_int_equal(rsn_keypair_load(&back, f->path, "correct horse"), RSN_ERR_PASSPHRASE);
    buf[100] ^= 0x01;

    /* a cost beyond the sensitive limits is not a key file of ours */
    buf[32 + 7] = 0x01;
    write_all(f->path, buf, 144, 0600);
    assert_int_equal(rsn_keypair_load(&back, f->path, "correct horse"), RSN_ERR_BAD_KEYFILE);
    buf[32 + 7] = 0x00;
    memset(buf + 24, 0, 8); /* opslimit 0 */
    write_all(f->path, buf, 144, 0600);
    assert_int_equal(rsn_keypair_load(&back, f->path, "correct horse"), RSN_ERR_BAD_KEYFILE);

    /* a sealed body under the plain marker */
    buf[7] = 0x00;
    write_all(f->path, buf, 144, 0600);
    assert_int_equal(rsn_keypair_load(&back, f->path, "correct horse"), RSN_ERR_BAD_KEYFILE);
    assert_null(back);
    rsn_keypair_destroy(&kp);
}

static void test_refusals(void **state)
{
    fixture *f = *state;
    rsn_keypair_t *kp = rsn_keypair_generate();
    rsn_keypair_t *back = NULL;
    uint8_t good[72];
    uint8_t buf[80];
    bool sealed;
    char missing[160];

    assert_non_null(kp);
    snprintf(missing, sizeof missing, "%s/none", f->dir);
    assert_int_equal(rsn_keypair_load(&back, missing, NULL), RSN_ERR_NOT_FOUND);
    assert_int_equal(rsn_keyfile_is_sealed(missing, &sealed), RSN_ERR_NOT_FOUND);

    assert_int_equal(rsn_keypair_save(kp, f->path, NULL), 0);
    assert_int_equal(read_all(f->path, good, sizeof good), 72);

    /* overwriting is refused and leaves the file as it was */
    rsn_keypair_t *other = rsn_keypair_generate();
    assert_non_null(other);
    assert_int_equal(rsn_keypair_save(other, f->path, NULL), RSN_ERR_EXISTS);
    assert_int_equal(rsn_keypair_save(other, f->path, "pass"), RSN_ERR_EXISTS);
    assert_int_equal(read_all(f->path, buf, sizeof buf), 72);
    assert_memory_equal(buf, good, 72);
    rsn_keypair_destroy(&other);

    /* readable or writable by group or others */
    assert_int_equal(chmod(f->path, 0644), 0);
    assert_int_equal(rsn_keypair_load(&back, f->path, NULL), RSN_ERR_PERMISSION);
    assert_int_equal(rsn_keyfile_is_sealed(f->path, &sealed), RSN_ERR_PERMISSION);
    assert_int_equal(chmod(f->path, 0640), 0);
    assert_int_equal(rsn_keypair_load(&back, f->path, NULL), RSN_ERR_PERMISSION);
    assert_int_equal(chmod(f->path, 0602), 0);
    assert_int_equal(rsn_keypair_load(&back, f->path, NULL), RSN_ERR_PERMISSION);
    assert_null(back);
    assert_int_equal(chmod(f->path, 0400), 0);
    assert_int_equal(rsn_keypair_load(&back, f->path, NULL), 0);
    assert_same_key(kp, back);
    rsn_keypair_destroy(&back);

    /* truncated, grown, empty */
    write_all(f->path, good, 71, 0600);
    assert_int_equal(rsn_keypair_load(&back, f->path, NULL), RSN_ERR_BAD_KEYFILE);
    assert_int_equal(rsn_keyfile_is_sealed(f->path, &sealed), RSN_ERR_BAD_KEYFILE);
    memcpy(buf, good, 72);
    buf[72] = 0;
    write_all(f->path, buf, 73, 0600);
    assert_int_equal(rsn_keypair_load(&back, f->path, NULL), RSN_ERR_BAD_KEYFILE);
    write_all(f->path, buf, 0, 0600);
    assert_int_equal(rsn_keypair_load(&back, f->path, NULL), RSN_ERR_BAD_KEYFILE);

    /* wrong magic, unknown kind */
    memcpy(buf, good, 72);
    buf[0] = 'X';
    write_all(f->path, buf, 72, 0600);
    assert_int_equal(rsn_keypair_load(&back, f->path, NULL), RSN_ERR_BAD_KEYFILE);
    memcpy(buf, good, 72);
    buf[7] = 0x02;
    write_all(f->path, buf, 72, 0600);
    assert_int_equal(rsn_keypair_load(&back, f->path, NULL), RSN_ERR_BAD_KEYFILE);

    /* the public half does not match the seed */
    memcpy(buf, good, 72);
    buf[50] ^= 0x01;
    write_all(f->path, buf, 72, 0600);
    assert_int_equal(rsn_keypair_load(&back, f->path, NULL), RSN_ERR_BAD_KEYFILE);
    memcpy(buf, good, 72);
    buf[9] ^= 0x01;
    write_all(f->path, buf, 72, 0600);
    assert_int_equal(rsn_keypair_load(&back, f->path, NULL), RSN_ERR_BAD_KEYFILE);
    assert_null(back);

    /* a folder is no key file */
    assert_int_equal(rsn_keypair_load(&back, f->dir, NULL), RSN_ERR_BAD_KEYFILE);

    /* a folder that is not there: an I/O error, and nothing left behind */
    snprintf(missing, sizeof missing, "%s/no/key", f->dir);
    assert_int_equal(rsn_keypair_save(kp, missing, NULL), RSN_ERR_IO);

    sodium_memzero(good, sizeof good);
    sodium_memzero(buf, sizeof buf);
    rsn_keypair_destroy(&kp);
}

/* A file sealed as earlier versions did (Argon2id at INTERACTIVE limits) still
 * opens, and rsn_keyfile_sealing says it is weaker than new files; a new one
 * is not. */
static void test_interactive_seal_opens_and_is_weak(void **state)
{
    fixture *f = *state;
    uint8_t seed[32];
    uint8_t sk[64];
    uint8_t pk[32];
    uint8_t buf[144];
    uint8_t key[crypto_secretbox_KEYBYTES];
    memset(seed, 9, sizeof seed);
    assert_int_equal(crypto_sign_seed_keypair(pk, sk, seed), 0);
    memcpy(buf, "RSNKEY1\1", 8);
    randombytes_buf(buf + 8, crypto_pwhash_SALTBYTES);
    uint64_t ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
    uint64_t mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
    for (int i = 0; i < 8; i++) {
        buf[24 + i] = (uint8_t)(ops >> (8 * i));
        buf[32 + i] = (uint8_t)(mem >> (8 * i));
    }
    randombytes_buf(buf + 40, crypto_secretbox_NONCEBYTES);
    assert_int_equal(crypto_pwhash(key, sizeof key, "old", 3, buf + 8, ops, (size_t)mem,
                                   crypto_pwhash_ALG_ARGON2ID13),
                     0);
    assert_int_equal(crypto_secretbox_easy(buf + 64, sk, 64, buf + 40, key), 0);
    int fd = open(f->path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, buf, sizeof buf), (ssize_t)sizeof buf);
    close(fd);

    rsn_keypair_t *back = NULL;
    assert_int_equal(rsn_keypair_load(&back, f->path, "old"), 0);
    assert_memory_equal(rsn_keypair_public(back), pk, 32);
    rsn_keyfile_sealing_t seal;
    assert_int_equal(rsn_keyfile_sealing(f->path, &seal), 0);
    assert_true(seal.sealed);
    assert_true(seal.weak);
    assert_int_equal(seal.opslimit, crypto_pwhash_OPSLIMIT_INTERACTIVE);
    assert_int_equal(seal.memlimit, crypto_pwhash_MEMLIMIT_INTERACTIVE);
    assert_int_equal(seal.seal_opslimit, crypto_pwhash_OPSLIMIT_MODERATE);
    assert_int_equal(seal.seal_memlimit, crypto_pwhash_MEMLIMIT_MODERATE);

    /* sealed again by this version: not weak */
    assert_int_equal(unlink(f->path), 0);
    assert_int_equal(rsn_keypair_save(back, f->path, "new"), 0);
    assert_int_equal(rsn_keyfile_sealing(f->path, &seal), 0);
    assert_true(seal.sealed);
    assert_false(seal.weak);
    assert_int_equal(seal.opslimit, crypto_pwhash_OPSLIMIT_MODERATE);
    /* a plain file: not sealed, not weak */
    assert_int_equal(unlink(f->path), 0);
    assert_int_equal(rsn_keypair_save(back, f->path, NULL), 0);
    assert_int_equal(rsn_keyfile_sealing(f->path, &seal), 0);
    assert_false(seal.sealed);
    assert_false(seal.weak);
    rsn_keypair_destroy(&back);
    sodium_memzero(sk, sizeof sk);
}

static void test_relative_path(void **state)
{
    fixture *f = *state;
    char cwd[512];
    rsn_keypair_t *kp = rsn_keypair_generate();
    rsn_keypair_t *back = NULL;

    assert_non_null(kp);
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(f->dir), 0);
    assert_int_equal(rsn_keypair_save(kp, "rel.key", NULL), 0);
    assert_int_equal(rsn_keypair_load(&back, "rel.key", NULL), 0);
    assert_same_key(kp, back);
    assert_int_equal(chdir(cwd), 0);
    rsn_keypair_destroy(&back);
    rsn_keypair_destroy(&kp);
}

static void test_curve(void **state)
{
    uint8_t seed[32];
    uint8_t curve_pk[RSN_KEY_BYTES];
    uint8_t derived[RSN_KEY_BYTES];
    uint8_t identity[RSN_KEY_BYTES] = {0x01};
    uint8_t *curve_sk = rsn_secure_alloc(RSN_KEY_BYTES);

    assert_non_null(curve_sk);
    memset(seed, 7, sizeof seed);
    rsn_keypair_t *kp = rsn_keypair_from_seed(seed);
    assert_non_null(kp);
    assert_int_equal(rsn_curve_public(curve_pk, rsn_keypair_public(kp)), 0);
    assert_int_equal(rsn_keypair_curve_secret(kp, curve_sk), 0);
    /* the Curve25519 secret's public half is the converted public key */
    assert_int_equal(crypto_scalarmult_base(derived, curve_sk), 0);
    assert_memory_equal(derived, curve_pk, sizeof derived);

    /* the identity point has no Curve25519 form */
    assert_int_equal(rsn_curve_public(curve_pk, identity), RSN_ERR_CRYPTO);
    rsn_secure_free(curve_sk);
    rsn_secure_free(NULL);
    rsn_keypair_destroy(&kp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generate_and_seed),
        cmocka_unit_test_setup_teardown(test_plain_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sealed_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_interactive_seal_opens_and_is_weak, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_relative_path, setup, teardown),
        cmocka_unit_test(test_curve),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
