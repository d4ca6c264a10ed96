/* crypto_test.c — hashing, entry signatures and encodings against known
 * answers: SHA-256 of "abc", RFC 4648 base64 vectors, the byte-exact entry
 * signing prefix, and the C2SP signed-note vector of shared/testdata. This
 * test includes sodium.h itself only to check byte-exactness from outside. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "crypto/crypto.h"
#include "crypto/keypair.h"
#include "support/files.h"

static int setup(void **state)
{
    (void)state;
    return rsn_crypto_init();
}

static void hex_of(char *out, size_t size, const uint8_t *bin, size_t len)
{
    rsn_hex_encode(out, size, bin, len);
}

static void test_sha256_known(void **state)
{
    uint8_t h[RSN_HASH_BYTES];
    uint8_t h2[RSN_HASH_BYTES];
    char hex[2 * RSN_HASH_BYTES + 1];

    rsn_sha256(h, "abc", 3);
    hex_of(hex, sizeof hex, h, sizeof h);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

    rsn_sha256(h, "", 0);
    hex_of(hex, sizeof hex, h, sizeof h);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

    /* the pair hash is the hash of the concatenation */
    rsn_sha256(h, "abc", 3);
    rsn_sha256_pair(h2, "a", 1, "bc", 2);
    assert_memory_equal(h, h2, sizeof h);
    rsn_sha256_pair(h2, "abc", 3, "", 0);
    assert_memory_equal(h, h2, sizeof h);
    rsn_sha256_pair(h2, "ab", 2, "d", 1);
    assert_memory_not_equal(h, h2, sizeof h);

    /* an entry id is SHA-256 of the exact bytes */
    rsn_entry_id(h2, (const uint8_t *)"abc", 3);
    assert_memory_equal(h, h2, sizeof h);
}

static void test_hex(void **state)
{
    const uint8_t bin[] = {0x00, 0x01, 0xab, 0xff, 0x7f};
    uint8_t out[8];
    char hex[11];
    size_t n = 99;

    assert_ptr_equal(rsn_hex_encode(hex, sizeof hex, bin, sizeof bin), hex);
    assert_string_equal(hex, "0001abff7f");
    assert_int_equal(rsn_hex_decode(out, sizeof out, &n, "0001ABff7f"), 0);
    assert_int_equal(n, 5);
    assert_memory_equal(out, bin, 5);
    assert_int_equal(rsn_hex_decode(out, sizeof out, &n, ""), 0);
    assert_int_equal(n, 0);

    /* exactly enough room is enough; one byte less is not */
    assert_int_equal(rsn_hex_decode(out, 5, &n, "0001abff7f"), 0);
    assert_int_equal(rsn_hex_decode(out, 4, &n, "0001abff7f"), RSN_ERR_INVALID_ARG);

    assert_int_equal(rsn_hex_decode(out, sizeof out, &n, "abc"), RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_hex_decode(out, sizeof out, &n, "zz"), RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_hex_decode(out, sizeof out, &n, "00 11"), RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_hex_decode(out, sizeof out, &n, "0011g0"), RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_hex_decode(out, sizeof out, &n, "0x0011"), RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_hex_decode(out, sizeof out, &n, "001:"), RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_hex_decode(out, sizeof out, &n, NULL), RSN_ERR_INVALID_ARG);
}

static void test_key_from_hex(void **state)
{
    const char *good = "000102030405060708090a0b0c0d0e0f101112131415161718191A1B1C1D1E1F";
    uint8_t key[RSN_KEY_BYTES];
    char back[RSN_KEY_HEX + 1];

    assert_int_equal(rsn_key_from_hex(key, good), 0);
    for (int i = 0; i < RSN_KEY_BYTES; i++) {
        assert_int_equal(key[i], i);
    }
    rsn_hex_encode(back, sizeof back, key, sizeof key);
    assert_string_equal(back, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");

    /* 62, 63 and 66 characters, and a bad character */
    assert_int_equal(rsn_key_from_hex(key, "000102030405060708090a0b0c0d0e0f10111213141516"
                                           "1718191a1b1c1d1e"),
                     RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_key_from_hex(key, "000102030405060708090a0b0c0d0e0f10111213141516"
                                           "1718191a1b1c1d1e1"),
                     RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_key_from_hex(key, "000102030405060708090a0b0c0d0e0f10111213141516"
                                           "1718191a1b1c1d1e1f20"),
                     RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_key_from_hex(key, "000102030405060708090a0b0c0d0e0f10111213141516"
                                           "1718191a1b1c1d1e1g"),
                     RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_key_from_hex(key, NULL), RSN_ERR_INVALID_ARG);
}

static void test_base64_rfc4648(void **state)
{
    static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const coded[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
                                        "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    char text[16];
    uint8_t out[16];
    size_t n;

    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
        size_t len = strlen(plain[i]);

        assert_int_equal(rsn_base64_encoded_size(len), strlen(coded[i]) + 1);
        assert_ptr_equal(rsn_base64_encode(text, sizeof text, (const uint8_t *)plain[i], len),
                         text);
        assert_string_equal(text, coded[i]);
        n = 99;
        assert_int_equal(rsn_base64_decode(out, sizeof out, &n, coded[i], strlen(coded[i])), 0);
        assert_int_equal(n, len);
        assert_memory_equal(out, plain[i], len);
    }
}

static void test_base64_rejects(void **state)
{
    static const char *const bad[] = {
        "Zg=",          /* short */
        "Zg",           /* padding missing */
        "Zm9v!A==",     /* bad character */
        "Zm9vYg==x",    /* trailing garbage */
        "Zm9vYg==Zg==", /* padding in the middle */
        "Zh==",         /* bits left over in the last character */
        "Zm9v\n",       /* whitespace */
        "Z===",         /* too much padding */
        "Zm9v Zm9v",    /* space */
        "Zm9v-_==",     /* the URL alphabet */
    };
    uint8_t out[16];
    size_t n;

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(rsn_base64_decode(out, sizeof out, &n, bad[i], strlen(bad[i])),
                         RSN_ERR_INVALID_ARG);
    }
    /* too long for OUT_MAX; exactly enough is fine */
    assert_int_equal(rsn_base64_decode(out, 5, &n, "Zm9vYmFy", 8), RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_base64_decode(out, 6, &n, "Zm9vYmFy", 8), 0);
    assert_int_equal(n, 6);
    /* TEXT_LEN is honoured: a prefix of a longer string */
    assert_int_equal(rsn_base64_decode(out, sizeof out, &n, "Zm9vYmFy", 4), 0);
    assert_int_equal(n, 3);
    assert_memory_equal(out, "foo", 3);
}

static void test_equal_random(void **state)
{
    uint8_t a[32];
    uint8_t b[32];
    const uint8_t zero[32] = {0};

    rsn_random(a, sizeof a);
    rsn_random(b, sizeof b);
    assert_memory_not_equal(a, b, sizeof a);
    assert_memory_not_equal(a, zero, sizeof a);
    assert_true(rsn_equal(a, a, sizeof a));
    assert_false(rsn_equal(a, b, sizeof a));
    memcpy(b, a, sizeof a);
    b[31] ^= 0x01;
    assert_false(rsn_equal(a, b, sizeof a));
    assert_true(rsn_equal(a, b, 31));
}

/* rsn_entry_verify_start and _join: every result set as rsn_entry_verify
 * gives it, bad signatures where they were put, for batch sizes from none
 * to many threads' worth; the caller works between start and join. */
static void test_entry_verify_start_join(void **state)
{
    (void)state;
    enum { N = 100 };
    rsn_keypair_t *kp = rsn_keypair_generate();
    assert_non_null(kp);
    static uint8_t entries[N][64];
    static uint8_t sigs[N][RSN_SIG_BYTES];
    rsn_verify_item_t items[N];
    for (size_t i = 0; i < N; i++) {
        rsn_random(entries[i], sizeof entries[i]);
        assert_int_equal(rsn_keypair_sign_entry(kp, entries[i], sizeof entries[i], sigs[i]), 0);
        if (i % 7 == 3) {
            sigs[i][i % RSN_SIG_BYTES] ^= 0x04;
        }
        items[i] =
            (rsn_verify_item_t){rsn_keypair_public(kp), entries[i], sizeof entries[i], sigs[i]};
    }
    const size_t sizes[] = {0, 1, 7, 8, 17, N};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int results[N];
        memset(results, 0x55, sizeof results);
        rsn_verify_job_t *job = NULL;
        rsn_entry_verify_start(items, sizes[s], results, 0, &job);
        assert_true(sizes[s] > 0 || job == NULL);
        uint8_t busy[32];
        rsn_sha256(busy, entries[0], sizeof entries[0]); /* the caller goes on */
        rsn_entry_verify_join(&job, items, sizes[s], results);
        assert_null(job);
        for (size_t i = 0; i < sizes[s]; i++) {
            assert_int_equal(results[i], i % 7 == 3 ? RSN_ERR_BAD_SIGNATURE : 0);
        }
        assert_int_equal(results[sizes[s] < N ? sizes[s] : N - 1], sizes[s] < N ? 0x55555555 : 0);
    }
    /* a NULL job (none begun) is checked at the join, on this thread */
    int results[3] = {7, 7, 7};
    rsn_verify_job_t *none = NULL;
    rsn_entry_verify_join(&none, items + 2, 3, results);
    assert_int_equal(results[0], 0);
    assert_int_equal(results[1], RSN_ERR_BAD_SIGNATURE);
    assert_int_equal(results[2], 0);
    rsn_keypair_destroy(&kp);
}

static void test_entry_sign_verify(void **state)
{
    rsn_keypair_t *kp = rsn_keypair_generate();
    uint8_t entry[200];
    uint8_t sig[RSN_SIG_BYTES];
    uint8_t bad[RSN_SIG_BYTES];
    uint8_t author[RSN_KEY_BYTES];

    assert_non_null(kp);
    rsn_random(entry, sizeof entry);
    memcpy(author, rsn_keypair_public(kp), RSN_KEY_BYTES);
    assert_int_equal(rsn_keypair_sign_entry(kp, entry, sizeof entry, sig), 0);
    assert_int_equal(rsn_entry_verify(author, entry, sizeof entry, sig), 0);

    /* any flipped bit of entry, signature or author is refused */
    for (size_t i = 0; i < sizeof entry; i += 37) {
        entry[i] ^= 0x10;
        assert_int_equal(rsn_entry_verify(author, entry, sizeof entry, sig), RSN_ERR_BAD_SIGNATURE);
        entry[i] ^= 0x10;
    }
    for (size_t i = 0; i < RSN_SIG_BYTES; i++) {
        memcpy(bad, sig, sizeof bad);
        bad[i] ^= 0x01;
        assert_int_equal(rsn_entry_verify(author, entry, sizeof entry, bad), RSN_ERR_BAD_SIGNATURE);
    }
    author[5] ^= 0x80;
    assert_int_equal(rsn_entry_verify(author, entry, sizeof entry, sig), RSN_ERR_BAD_SIGNATURE);
    author[5] ^= 0x80;
    assert_int_equal(rsn_entry_verify(author, entry, sizeof entry - 1, sig), RSN_ERR_BAD_SIGNATURE);

    /* domain separation: an entry signature is no plain signature, and back */
    assert_int_equal(rsn_signature_verify(author, entry, sizeof entry, sig), RSN_ERR_BAD_SIGNATURE);
    assert_int_equal(rsn_keypair_sign(kp, entry, sizeof entry, bad), 0);
    assert_int_equal(rsn_signature_verify(author, entry, sizeof entry, bad), 0);
    assert_int_equal(rsn_entry_verify(author, entry, sizeof entry, bad), RSN_ERR_BAD_SIGNATURE);

    /* another key's signature */
    rsn_keypair_t *other = rsn_keypair_generate();
    assert_non_null(other);
    assert_int_equal(rsn_keypair_sign_entry(other, entry, sizeof entry, bad), 0);
    assert_int_equal(rsn_entry_verify(author, entry, sizeof entry, bad), RSN_ERR_BAD_SIGNATURE);
    rsn_keypair_destroy(&other);
    rsn_keypair_destroy(&kp);
}

static void test_entry_prefix_bytes(void **state)
{
    uint8_t seed[32];
    uint8_t entry[] = {0x0a, 0x20, 0x01, 0x02, 0x03, 0xff, 0x00, 0x10};
    uint8_t msg[16 + sizeof entry];
    uint8_t sig[RSN_SIG_BYTES];
    uint8_t want[RSN_SIG_BYTES];
    uint8_t pk[crypto_sign_PUBLICKEYBYTES];
    uint8_t sk[crypto_sign_SECRETKEYBYTES];

    assert_int_equal(RSN_ENTRY_SIGN_PREFIX_LEN, 16);
    assert_memory_equal(RSN_ENTRY_SIGN_PREFIX, "raison-entry-v1\0", 16);
    for (int i = 0; i < 32; i++) {
        seed[i] = (uint8_t)(i * 7 + 1);
    }
    rsn_keypair_t *kp = rsn_keypair_from_seed(seed);
    assert_non_null(kp);
    assert_int_equal(crypto_sign_seed_keypair(pk, sk, seed), 0);
    assert_memory_equal(rsn_keypair_public(kp), pk, sizeof pk);

    /* built by hand: 15 ASCII bytes, 0x00, then the entry */
    memcpy(msg, "raison-entry-v1", 15);
    msg[15] = 0x00;
    memcpy(msg + 16, entry, sizeof entry);
    assert_int_equal(rsn_keypair_sign_entry(kp, entry, sizeof entry, sig), 0);
    assert_int_equal(crypto_sign_verify_detached(sig, msg, sizeof msg, pk), 0);
    assert_int_equal(crypto_sign_detached(want, NULL, msg, sizeof msg, sk), 0);
    assert_memory_equal(sig, want, sizeof sig);
    assert_int_equal(rsn_entry_verify(pk, entry, sizeof entry, want), 0);

    /* the empty entry signs the prefix alone */
    assert_int_equal(rsn_keypair_sign_entry(kp, NULL, 0, sig), 0);
    assert_int_equal(crypto_sign_verify_detached(sig, msg, 16, pk), 0);
    assert_int_equal(rsn_entry_verify(pk, NULL, 0, sig), 0);

    sodium_memzero(sk, sizeof sk);
    rsn_keypair_destroy(&kp);
}

static void test_entry_size_limit(void **state)
{
    static uint8_t entry[1025];
    uint8_t sig[RSN_SIG_BYTES];
    uint8_t msg[16 + 1025];
    rsn_keypair_t *kp = rsn_keypair_generate();
    uint8_t sk_sig[RSN_SIG_BYTES];

    assert_non_null(kp);
    rsn_random(entry, sizeof entry);
    assert_int_equal(rsn_keypair_sign_entry(kp, entry, 1024, sig), 0);
    assert_int_equal(rsn_entry_verify(rsn_keypair_public(kp), entry, 1024, sig), 0);
    assert_int_equal(rsn_keypair_sign_entry(kp, entry, 1025, sig), RSN_ERR_TOO_LARGE);

    /* a valid signature over a 1025-byte entry is still refused: too large */
    memcpy(msg, RSN_ENTRY_SIGN_PREFIX, 16);
    memcpy(msg + 16, entry, 1025);
    assert_int_equal(rsn_keypair_sign(kp, msg, sizeof msg, sk_sig), 0);
    assert_int_equal(rsn_signature_verify(rsn_keypair_public(kp), msg, sizeof msg, sk_sig), 0);
    assert_int_equal(rsn_entry_verify(rsn_keypair_public(kp), entry, 1025, sk_sig),
                     RSN_ERR_BAD_SIGNATURE);
    rsn_keypair_destroy(&kp);
}

/* Reads a whole test-data file into a NUL-terminated buffer the caller frees. */
static char *slurp(const char *name, size_t *len)
{
    char path[512];

    snprintf(path, sizeof path, "%s/c2sp-note/%s", RSN_TESTDATA, name);
    char *buf = rsn_test_file_read(path, len);
    assert_non_null(buf);
    assert_true(*len > 0 && *len < 4096);
    return buf;
}

/* The text after the Nth '+' of S up to the end of its first line. */
static const char *after_plus(const char *s, int nth, size_t *len)
{
    for (int i = 0; i < nth; i++) {
        s = strchr(s, '+');
        assert_non_null(s);
        s++;
    }
    *len = strcspn(s, "\n");
    return s;
}

static void test_c2sp_note_vector(void **state)
{
    size_t note_len, skey_len, vkey_len, n, b64_len;
    char *note = slurp("peterneumann.note", &note_len);
    char *skey = slurp("peterneumann.skey", &skey_len);
    char *vkey = slurp("peterneumann.vkey", &vkey_len);
    uint8_t raw[80];
    uint8_t seed[32];
    uint8_t pk[RSN_KEY_BYTES];
    uint8_t keyid[4];
    uint8_t want[RSN_SIG_BYTES];
    uint8_t sig[RSN_SIG_BYTES];
    uint8_t h[RSN_HASH_BYTES];
    uint8_t idmsg[64];
    const char *b64;
    const char *text_end;
    const char *line;
    size_t text_len;
    const char *name = "PeterNeumann";

    /* PRIVATE+KEY+name+keyid+base64(0x01 || seed): the base64 may hold '+' */
    b64 = after_plus(skey, 4, &b64_len);
    assert_int_equal(rsn_base64_decode(raw, sizeof raw, &n, b64, b64_len), 0);
    assert_int_equal(n, 33);
    assert_int_equal(raw[0], 0x01);
    memcpy(seed, raw + 1, 32);

    /* name+keyid+base64(0x01 || public key) */
    b64 = after_plus(vkey, 2, &b64_len);
    assert_int_equal(rsn_base64_decode(raw, sizeof raw, &n, b64, b64_len), 0);
    assert_int_equal(n, 33);
    assert_int_equal(raw[0], 0x01);
    memcpy(pk, raw + 1, 32);

    rsn_keypair_t *kp = rsn_keypair_from_seed(seed);
    assert_non_null(kp);
    assert_memory_equal(rsn_keypair_public(kp), pk, sizeof pk);

    /* keyid = SHA-256(name || 0x0A || 0x01 || pk)[0:4] = c74f20a3 */
    n = strlen(name);
    memcpy(idmsg, name, n);
    idmsg[n] = 0x0a;
    idmsg[n + 1] = 0x01;
    memcpy(idmsg + n + 2, pk, 32);
    rsn_sha256(h, idmsg, n + 34);
    assert_memory_equal(h, "\xc7\x4f\x20\xa3", 4);

    /* the text is everything before the empty line, final newline included */
    text_end = strstr(note, "\n\n");
    assert_non_null(text_end);
    text_len = (size_t)(text_end - note) + 1;
    line = text_end + 2;
    assert_memory_equal(line, "\xe2\x80\x94 PeterNeumann ", 17);
    b64 = line + 17;
    b64_len = strcspn(b64, "\n");
    assert_int_equal(rsn_base64_decode(raw, sizeof raw, &n, b64, b64_len), 0);
    assert_int_equal(n, 4 + RSN_SIG_BYTES);
    memcpy(keyid, raw, 4);
    assert_memory_equal(keyid, h, 4);
    memcpy(want, raw + 4, RSN_SIG_BYTES);

    assert_int_equal(rsn_keypair_sign(kp, (const uint8_t *)note, text_len, sig), 0);
    assert_memory_equal(sig, want, sizeof sig);
    assert_int_equal(rsn_signature_verify(pk, (const uint8_t *)note, text_len, want), 0);

    want[10] ^= 0x04;
    assert_int_equal(rsn_signature_verify(pk, (const uint8_t *)note, text_len, want),
                     RSN_ERR_BAD_SIGNATURE);
    want[10] ^= 0x04;
    note[3] ^= 0x20;
    assert_int_equal(rsn_signature_verify(pk, (const uint8_t *)note, text_len, want),
                     RSN_ERR_BAD_SIGNATURE);
    note[3] ^= 0x20;
    assert_int_equal(rsn_signature_verify(pk, (const uint8_t *)note, text_len - 1, want),
                     RSN_ERR_BAD_SIGNATURE);

    rsn_keypair_destroy(&kp);
    free(note);
    free(skey);
    free(vkey);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_known),       cmocka_unit_test(test_hex),
        cmocka_unit_test(test_key_from_hex),       cmocka_unit_test(test_base64_rfc4648),
        cmocka_unit_test(test_base64_rejects),     cmocka_unit_test(test_equal_random),
        cmocka_unit_test(test_entry_sign_verify),  cmocka_unit_test(test_entry_verify_start_join),
        cmocka_unit_test(test_entry_prefix_bytes), cmocka_unit_test(test_entry_size_limit),
        cmocka_unit_test(test_c2sp_note_vector),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
