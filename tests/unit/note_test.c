/* note_test.c — C2SP signed notes and tlog-checkpoints (crypto/note.h).
 *
 * Against the known-answer vector of shared/testdata/c2sp-note: our signer
 * reproduces the note byte for byte from the seed of its signer key, the key
 * id and verifier key match the .vkey, and our verifier accepts the note and
 * rejects every single-bit change of it, truncations and malformed variants.
 * Then checkpoint texts (exact bytes, strict parsing) and a raison checkpoint
 * signed, verified and parsed back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto/crypto.h"
#include "crypto/keypair.h"
#include "crypto/note.h"
#include "support/files.h"

#define VECTOR_NAME "PeterNeumann"
#define VECTOR_TEXT                                              \
    "If you think cryptography is the answer to your problem,\n" \
    "then you don't know what your problem is.\n"

/* The vector, loaded once by setup. */
typedef struct {
    char *note;
    size_t note_len;
    char vkey[RSN_NOTE_VKEY_MAX];
    char name[RSN_NOTE_NAME_MAX + 1];
    char keyid_hex[9];
    uint8_t pk[RSN_KEY_BYTES];
    rsn_keypair_t *kp;
} vector_t;

static char *slurp(const char *name, size_t *len)
{
    char path[1024];

    snprintf(path, sizeof path, "%s/c2sp-note/%s", RSN_TESTDATA, name);
    char *buf = rsn_test_file_read(path, len);
    assert_non_null(buf);
    assert_true(*len > 0 && *len < 65536);
    return buf;
}

static void chomp(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r')) {
        s[--n] = '\0';
    }
}

static int setup(void **state)
{
    vector_t *v = calloc(1, sizeof *v);
    size_t len, n;
    char *skey, *vkey, *fields[4], *p;
    uint8_t typed[33];

    if (v == NULL || rsn_crypto_init() != 0) {
        return -1;
    }
    v->note = slurp("peterneumann.note", &v->note_len);

    /* PRIVATE+KEY+name+keyid+base64: split on the first four '+' only, the
     * base64 itself may hold '+' */
    skey = slurp("peterneumann.skey", &len);
    chomp(skey);
    p = skey;
    for (int i = 0; i < 4; i++) {
        char *plus = strchr(p, '+');
        assert_non_null(plus);
        *plus = '\0';
        fields[i] = p;
        p = plus + 1;
    }
    assert_string_equal(fields[0], "PRIVATE");
    assert_string_equal(fields[1], "KEY");
    assert_string_equal(fields[2], VECTOR_NAME);
    snprintf(v->name, sizeof v->name, "%s", fields[2]);
    snprintf(v->keyid_hex, sizeof v->keyid_hex, "%s", fields[3]);
    assert_int_equal(rsn_base64_decode(typed, sizeof typed, &n, p, strlen(p)), 0);
    assert_int_equal(n, 33);
    assert_int_equal(typed[0], 0x01);
    v->kp = rsn_keypair_from_seed(typed + 1);
    assert_non_null(v->kp);
    memset(typed, 0, sizeof typed);
    free(skey);

    /* name+keyid+base64(0x01 || public key) */
    vkey = slurp("peterneumann.vkey", &len);
    chomp(vkey);
    snprintf(v->vkey, sizeof v->vkey, "%s", vkey);
    p = strrchr(vkey, '+');
    assert_non_null(p);
    assert_int_equal(rsn_base64_decode(typed, sizeof typed, &n, p + 1, strlen(p + 1)), 0);
    assert_int_equal(n, 33);
    assert_int_equal(typed[0], 0x01);
    memcpy(v->pk, typed + 1, RSN_KEY_BYTES);
    free(vkey);

    *state = v;
    return 0;
}

static int teardown(void **state)
{
    vector_t *v = *state;
    if (v != NULL) {
        rsn_keypair_destroy(&v->kp);
        free(v->note);
        free(v);
    }
    return 0;
}

/* The vector's text, as the bytes before the blank line. */
static size_t vector_text_len(const vector_t *v)
{
    const char *blank = strstr(v->note, "\n\n");
    assert_non_null(blank);
    return (size_t)(blank - v->note) + 1;
}

static void test_vector_sign(void **state)
{
    vector_t *v = *state;
    char out[RSN_NOTE_MAX + 1];
    char text[512];
    size_t text_len = vector_text_len(v);

    /* the seed gives the vector's public key */
    assert_memory_equal(rsn_keypair_public(v->kp), v->pk, RSN_KEY_BYTES);
    assert_true(text_len < sizeof text);
    memcpy(text, v->note, text_len);
    text[text_len] = '\0';
    assert_string_equal(text, VECTOR_TEXT);

    /* byte for byte, Ed25519 being deterministic */
    assert_int_equal(rsn_note_sign(v->kp, v->name, text, out, sizeof out), 0);
    assert_int_equal(strlen(out), v->note_len);
    assert_memory_equal(out, v->note, v->note_len);

    /* exactly enough room (note + NUL) is enough; one byte less is not */
    assert_int_equal(rsn_note_sign(v->kp, v->name, text, out, v->note_len + 1), 0);
    assert_memory_equal(out, v->note, v->note_len);
    assert_int_equal(rsn_note_sign(v->kp, v->name, text, out, v->note_len), RSN_ERR_TOO_LARGE);
}

static void test_vector_keys(void **state)
{
    vector_t *v = *state;
    uint8_t id[RSN_NOTE_KEY_ID_BYTES];
    uint8_t pk[RSN_KEY_BYTES];
    char hex[9];
    char vkey[RSN_NOTE_VKEY_MAX];
    char name[RSN_NOTE_NAME_MAX + 1];
    char bad[RSN_NOTE_VKEY_MAX + 8];

    rsn_note_key_id(v->name, v->pk, id);
    rsn_hex_encode(hex, sizeof hex, id, sizeof id);
    assert_string_equal(hex, "c74f20a3");
    assert_string_equal(hex, v->keyid_hex);

    assert_int_equal(rsn_note_verifier_key(v->name, v->pk, vkey, sizeof vkey), 0);
    assert_string_equal(vkey, v->vkey);
    assert_string_equal(vkey, "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");
    assert_int_equal(rsn_note_verifier_key(v->name, v->pk, vkey, strlen(v->vkey) + 1), 0);
    assert_int_equal(rsn_note_verifier_key(v->name, v->pk, vkey, strlen(v->vkey)),
                     RSN_ERR_TOO_LARGE);
    assert_int_equal(rsn_note_verifier_key("a b", v->pk, vkey, sizeof vkey), RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_note_verifier_key("a+b", v->pk, vkey, sizeof vkey), RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_note_verifier_key("", v->pk, vkey, sizeof vkey), RSN_ERR_INVALID_ARG);

    /* parse back */
    memset(pk, 0, sizeof pk);
    assert_int_equal(rsn_note_parse_verifier_key(v->vkey, name, sizeof name, pk), 0);
    assert_string_equal(name, VECTOR_NAME);
    assert_memory_equal(pk, v->pk, sizeof pk);
    assert_int_equal(rsn_note_parse_verifier_key(v->vkey, name, 12, pk), RSN_ERR_TOO_LARGE);
    assert_int_equal(rsn_note_parse_verifier_key(v->vkey, name, 13, pk), 0);

    /* strict: a trailing newline, uppercase hex, a wrong id, a wrong type,
     * a wrong name (the id no longer matches), missing or extra parts */
    snprintf(bad, sizeof bad, "%s\n", v->vkey);
    assert_int_equal(rsn_note_parse_verifier_key(bad, name, sizeof name, pk), RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_note_parse_verifier_key(
                         "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", name,
                         sizeof name, pk),
                     RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_note_parse_verifier_key(
                         "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", name,
                         sizeof name, pk),
                     RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_note_parse_verifier_key(
                         "PeterNeumann+c74f20a3+Ahpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", name,
                         sizeof name, pk),
                     RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_note_parse_verifier_key(
                         "PeterNeumanm+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", name,
                         sizeof name, pk),
                     RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_note_parse_verifier_key(
                         "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T", name,
                         sizeof name, pk),
                     RSN_ERR_INVALID_ARG);
    assert_int_equal(
        rsn_note_parse_verifier_key("+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", name,
                                    sizeof name, pk),
        RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_note_parse_verifier_key("PeterNeumann+c74f20a3", name, sizeof name, pk),
                     RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_note_parse_verifier_key("", name, sizeof name, pk), RSN_ERR_INVALID_ARG);
    /* flip each byte of the key: every change is refused */
    for (size_t i = 0; i < strlen(v->vkey); i++) {
        snprintf(bad, sizeof bad, "%s", v->vkey);
        bad[i] ^= 0x01;
        assert_int_not_equal(rsn_note_parse_verifier_key(bad, name, sizeof name, pk), 0);
    }
}

static void test_vector_verify(void **state)
{
    vector_t *v = *state;
    char buf[RSN_NOTE_MAX + 256];
    size_t text_len = 0;
    size_t len = v->note_len;
    size_t tl = vector_text_len(v);
    uint8_t other_pk[RSN_KEY_BYTES];
    int rc;

    assert_int_equal(rsn_note_verify(v->note, len, v->name, v->pk, &text_len), 0);
    assert_int_equal(text_len, tl);
    assert_int_equal(rsn_note_verify(v->note, len, v->name, v->pk, NULL), 0);

    /* every single-bit change anywhere is refused (a change in the signer's
     * name or key id only makes the signature "not found": still refused) */
    memcpy(buf, v->note, len);
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            buf[i] ^= (char)(1u << bit);
            rc = rsn_note_verify(buf, len, v->name, v->pk, NULL);
            if (rc == 0) {
                fail_msg("accepted with byte %zu bit %d flipped", i, bit);
            }
            assert_true(rc == RSN_ERR_BAD_SIGNATURE || rc == RSN_ERR_INVALID_ARG ||
                        rc == RSN_ERR_NOT_FOUND);
            buf[i] ^= (char)(1u << bit);
        }
    }
    /* a flip in the text is a bad signature; in the blank line, malformed */
    buf[0] ^= 0x01;
    assert_int_equal(rsn_note_verify(buf, len, v->name, v->pk, NULL), RSN_ERR_BAD_SIGNATURE);
    buf[0] ^= 0x01;
    buf[tl] ^= 0x01;
    assert_int_equal(rsn_note_verify(buf, len, v->name, v->pk, NULL), RSN_ERR_INVALID_ARG);
    buf[tl] ^= 0x01;

    /* every truncation is refused */
    for (size_t n = 0; n < len; n++) {
        assert_int_not_equal(rsn_note_verify(v->note, n, v->name, v->pk, NULL), 0);
    }

    /* the blank line missing */
    memcpy(buf, v->note, tl);
    memcpy(buf + tl, v->note + tl + 1, len - tl - 1);
    assert_int_equal(rsn_note_verify(buf, len - 1, v->name, v->pk, NULL), RSN_ERR_INVALID_ARG);

    /* another key, or another name: not found */
    memcpy(other_pk, v->pk, sizeof other_pk);
    other_pk[0] ^= 0x01;
    assert_int_equal(rsn_note_verify(v->note, len, v->name, other_pk, NULL), RSN_ERR_NOT_FOUND);
    assert_int_equal(rsn_note_verify(v->note, len, "PeterNeumann2", v->pk, NULL),
                     RSN_ERR_NOT_FOUND);
    assert_int_equal(rsn_note_verify(v->note, len, "bad name", v->pk, NULL), RSN_ERR_INVALID_ARG);

    /* an unknown signer's line after ours is ignored; a malformed one is not */
    memcpy(buf, v->note, len);
    snprintf(buf + len, sizeof buf - len, "— example.com/other AAAAAAE=\n");
    assert_int_equal(rsn_note_verify(buf, strlen(buf), v->name, v->pk, NULL), 0);
    snprintf(buf + len, sizeof buf - len, "— example.com/other AAAAAAE\n");
    assert_int_equal(rsn_note_verify(buf, strlen(buf), v->name, v->pk, NULL), RSN_ERR_INVALID_ARG);
    snprintf(buf + len, sizeof buf - len, "— example.com/other AAAA\n"); /* < 5 bytes */
    assert_int_equal(rsn_note_verify(buf, strlen(buf), v->name, v->pk, NULL), RSN_ERR_INVALID_ARG);
    snprintf(buf + len, sizeof buf - len, "- example.com/other AAAAAAE=\n");
    assert_int_equal(rsn_note_verify(buf, strlen(buf), v->name, v->pk, NULL), RSN_ERR_INVALID_ARG);
    /* our name and key id with a signature that fails: the whole note fails */
    {
        uint8_t forged[RSN_NOTE_KEY_ID_BYTES + RSN_SIG_BYTES] = {0};
        char b64[100];
        rsn_note_key_id(v->name, v->pk, forged);
        rsn_base64_encode(b64, sizeof b64, forged, sizeof forged);
        snprintf(buf + len, sizeof buf - len, "— PeterNeumann %s\n", b64);
    }
    assert_int_equal(rsn_note_verify(buf, strlen(buf), v->name, v->pk, NULL),
                     RSN_ERR_BAD_SIGNATURE);
    /* only a line by someone else: not found */
    memcpy(buf, v->note, tl + 1);
    snprintf(buf + tl + 1, sizeof buf - tl - 1, "— example.com/other AAAAAAE=\n");
    assert_int_equal(rsn_note_verify(buf, strlen(buf), v->name, v->pk, NULL), RSN_ERR_NOT_FOUND);
    /* no signature line at all */
    assert_int_equal(rsn_note_verify(v->note, tl + 1, v->name, v->pk, NULL), RSN_ERR_INVALID_ARG);

    /* too large, whatever it holds */
    memset(buf, 'a', RSN_NOTE_MAX + 1);
    assert_int_equal(rsn_note_verify(buf, RSN_NOTE_MAX + 1, v->name, v->pk, NULL),
                     RSN_ERR_TOO_LARGE);
}

static void test_sign_rejects(void **state)
{
    vector_t *v = *state;
    char out[RSN_NOTE_MAX + 1];
    char *big = malloc(RSN_NOTE_MAX + 2);
    size_t text_len = 0;

    assert_non_null(big);
    assert_int_equal(rsn_note_sign(v->kp, v->name, "no newline", out, sizeof out),
                     RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_note_sign(v->kp, v->name, "", out, sizeof out), RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_note_sign(v->kp, v->name, "tab\there\n", out, sizeof out),
                     RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_note_sign(v->kp, v->name, "cr\r\n", out, sizeof out), RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_note_sign(v->kp, v->name, "bad \xff utf8\n", out, sizeof out),
                     RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_note_sign(v->kp, v->name, "overlong \xc0\xaf\n", out, sizeof out),
                     RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_note_sign(v->kp, "two words", "a\n", out, sizeof out),
                     RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_note_sign(v->kp, "a+b", "a\n", out, sizeof out), RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_note_sign(v->kp, "nbsp\xc2\xa0", "a\n", out, sizeof out),
                     RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_note_sign(v->kp, "", "a\n", out, sizeof out), RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_note_sign(NULL, v->name, "a\n", out, sizeof out), RSN_ERR_INVALID_ARG);

    /* C2SP lets the text hold empty lines: the last blank line separates */
    assert_int_equal(rsn_note_sign(v->kp, v->name, "a\n\nb\n\n", out, sizeof out), 0);
    assert_int_equal(rsn_note_verify(out, strlen(out), v->name, v->pk, &text_len), 0);
    assert_int_equal(text_len, 6);
    assert_memory_equal(out, "a\n\nb\n\n\n\xe2\x80\x94 PeterNeumann ", 22);
    /* non-ASCII UTF-8 text and names are fine */
    assert_int_equal(
        rsn_note_sign(v->kp, "caf\xc3\xa9/log", "\xc3\xa9t\xc3\xa9\n", out, sizeof out), 0);
    assert_int_equal(rsn_note_verify(out, strlen(out), "caf\xc3\xa9/log", v->pk, NULL), 0);

    /* the note would pass RSN_NOTE_MAX */
    memset(big, 'a', RSN_NOTE_MAX - 200);
    big[RSN_NOTE_MAX - 200] = '\n';
    big[RSN_NOTE_MAX - 199] = '\0';
    assert_int_equal(rsn_note_sign(v->kp, v->name, big, out, sizeof out), 0);
    assert_int_equal(rsn_note_verify(out, strlen(out), v->name, v->pk, NULL), 0);
    memset(big, 'a', RSN_NOTE_MAX - 50);
    big[RSN_NOTE_MAX - 50] = '\n';
    big[RSN_NOTE_MAX - 49] = '\0';
    assert_int_equal(rsn_note_sign(v->kp, v->name, big, out, sizeof out), RSN_ERR_TOO_LARGE);
    memset(big, 'a', RSN_NOTE_MAX + 1);
    big[RSN_NOTE_MAX + 1] = '\0';
    assert_int_equal(rsn_note_sign(v->kp, v->name, big, out, sizeof out), RSN_ERR_TOO_LARGE);
    free(big);
}

static void test_checkpoint_text(void **state)
{
    uint8_t root[RSN_HASH_BYTES];
    uint8_t got_root[RSN_HASH_BYTES];
    char text[512];
    char origin[RSN_NOTE_NAME_MAX + 1];
    uint64_t size = 99;
    const uint64_t sizes[] = {0, 1, 10, 12345, UINT64_MAX};

    for (size_t i = 0; i < sizeof root; i++) {
        root[i] = (uint8_t)i;
    }
    assert_int_equal(rsn_checkpoint_text("example.com/log", 20852163, root, text, sizeof text), 0);
    assert_string_equal(text, "example.com/log\n20852163\n"
                              "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n");
    assert_int_equal(
        rsn_checkpoint_parse(text, strlen(text), origin, sizeof origin, &size, got_root), 0);
    assert_string_equal(origin, "example.com/log");
    assert_int_equal(size, 20852163);
    assert_memory_equal(got_root, root, sizeof root);

    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        assert_int_equal(rsn_checkpoint_text("o", sizes[i], root, text, sizeof text), 0);
        assert_int_equal(
            rsn_checkpoint_parse(text, strlen(text), origin, sizeof origin, &size, got_root), 0);
        assert_true(size == sizes[i]);
    }
    assert_int_equal(rsn_checkpoint_text("o", UINT64_MAX, root, text, sizeof text), 0);
    assert_string_equal(text, "o\n18446744073709551615\n"
                              "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n");

    /* bad origins, short output */
    assert_int_equal(rsn_checkpoint_text("", 1, root, text, sizeof text), RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_checkpoint_text("a\nb", 1, root, text, sizeof text), RSN_ERR_INVALID_ARG);
    assert_int_equal(rsn_checkpoint_text("a\xff", 1, root, text, sizeof text), RSN_ERR_INVALID_ARG);
    /* "o\n1\n" + 44 + "\n" = 49 bytes and a NUL */
    assert_int_equal(rsn_checkpoint_text("o", 1, root, text, 50), 0);
    assert_int_equal(rsn_checkpoint_text("o", 1, root, text, 49), RSN_ERR_TOO_LARGE);

    /* extension lines: allowed, ignored, but non-empty */
    snprintf(text, sizeof text, "o\n5\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\next 1\nx\n");
    assert_int_equal(
        rsn_checkpoint_parse(text, strlen(text), origin, sizeof origin, &size, got_root), 0);
    assert_int_equal(size, 5);
    /* the origin must fit */
    assert_int_equal(rsn_checkpoint_parse(text, strlen(text), origin, 1, &size, got_root),
                     RSN_ERR_TOO_LARGE);
    assert_int_equal(rsn_checkpoint_parse(text, strlen(text), origin, 2, &size, got_root), 0);
}

static void test_checkpoint_rejects(void **state)
{
    static const char *const bad[] = {
        /* leading zeros, signs, spaces, empty, overflow, not decimal */
        "o\n00\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
        "o\n01\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
        "o\n+1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
        "o\n-1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
        "o\n 1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
        "o\n1 \nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
        "o\n\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
        "o\n18446744073709551616\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
        "o\n99999999999999999999\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
        "o\n0x10\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
        /* bad base64: a bad character, no padding, URL alphabet, nonzero pad bits */
        "o\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8!\n",
        "o\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n",
        "o\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh_=\n",
        "o\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=\n",
        /* a 31-byte and a 33-byte root */
        "o\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==\n",
        "o\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g\n",
        /* the trailing newline missing, lines missing, empty origin */
        "o\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        "o\n1\n",
        "o\n",
        "",
        "\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
        /* an empty extension line, a control character, bad UTF-8 */
        "o\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n\n",
        "o\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\na\n\nb\n",
        "o\t\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
        "o\xed\xa0\x80\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
        "o\n1\r\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
    };
    char origin[RSN_NOTE_NAME_MAX + 1];
    uint8_t root[RSN_HASH_BYTES];
    uint64_t size = 7;

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = rsn_checkpoint_parse(bad[i], strlen(bad[i]), origin, sizeof origin, &size, root);
        if (rc != RSN_ERR_INVALID_ARG) {
            fail_msg("case %zu accepted (%d): %s", i, rc, bad[i]);
        }
    }
    assert_int_equal(size, 7); /* nothing written on failure */
    /* a NUL inside is a control character too */
    assert_int_equal(rsn_checkpoint_parse("o\0\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
                                          50, origin, sizeof origin, &size, root),
                     RSN_ERR_INVALID_ARG);
}

static void test_raison_checkpoint(void **state)
{
    rsn_keypair_t *node = rsn_keypair_generate();
    rsn_keypair_t *other = rsn_keypair_generate();
    char name[RSN_NOTE_RAISON_NAME_SIZE];
    char other_name[RSN_NOTE_RAISON_NAME_SIZE];
    char hex[RSN_KEY_HEX + 1];
    char text[512];
    char note[RSN_NOTE_MAX + 1];
    char vkey[RSN_NOTE_VKEY_MAX];
    char parsed_name[RSN_NOTE_NAME_MAX + 1];
    char origin[RSN_NOTE_NAME_MAX + 1];
    uint8_t pk[RSN_KEY_BYTES];
    uint8_t root[RSN_HASH_BYTES];
    uint8_t got_root[RSN_HASH_BYTES];
    uint64_t size = 0;
    size_t text_len = 0;

    assert_non_null(node);
    assert_non_null(other);
    assert_int_equal(rsn_note_raison_name(rsn_keypair_public(node), name, sizeof name), 0);
    rsn_hex_encode(hex, sizeof hex, rsn_keypair_public(node), RSN_KEY_BYTES);
    assert_int_equal(strlen(name), 71);
    assert_memory_equal(name, "raison/", 7);
    assert_string_equal(name + 7, hex);
    assert_true(rsn_note_name_valid(name));
    assert_int_equal(rsn_note_raison_name(rsn_keypair_public(node), name, 71), RSN_ERR_TOO_LARGE);
    assert_int_equal(rsn_note_raison_name(rsn_keypair_public(other), other_name, sizeof other_name),
                     0);

    rsn_sha256(root, "leaves", 6);
    assert_int_equal(rsn_checkpoint_text(name, 1000000, root, text, sizeof text), 0);
    assert_int_equal(rsn_note_sign(node, name, text, note, sizeof note), 0);
    assert_int_equal(rsn_note_verify(note, strlen(note), name, rsn_keypair_public(node), &text_len),
                     0);
    assert_int_equal(text_len, strlen(text));
    assert_memory_equal(note, text, text_len);
    assert_int_equal(rsn_checkpoint_parse(note, text_len, origin, sizeof origin, &size, got_root),
                     0);
    assert_string_equal(origin, name);
    assert_int_equal(size, 1000000);
    assert_memory_equal(got_root, root, sizeof root);

    /* the verifier key a third party would be given */
    assert_int_equal(rsn_note_verifier_key(name, rsn_keypair_public(node), vkey, sizeof vkey), 0);
    assert_int_equal(rsn_note_parse_verifier_key(vkey, parsed_name, sizeof parsed_name, pk), 0);
    assert_string_equal(parsed_name, name);
    assert_int_equal(rsn_note_verify(note, strlen(note), parsed_name, pk, NULL), 0);

    /* another node's key or name does not vouch for it */
    assert_int_equal(
        rsn_note_verify(note, strlen(note), other_name, rsn_keypair_public(other), NULL),
        RSN_ERR_NOT_FOUND);
    assert_int_equal(rsn_note_verify(note, strlen(note), name, rsn_keypair_public(other), NULL),
                     RSN_ERR_NOT_FOUND);
    /* signed by another node under our name: not found (its key id differs) */
    assert_int_equal(rsn_note_sign(other, name, text, note, sizeof note), 0);
    assert_int_equal(rsn_note_verify(note, strlen(note), name, rsn_keypair_public(node), NULL),
                     RSN_ERR_NOT_FOUND);

    rsn_keypair_destroy(&node);
    rsn_keypair_destroy(&other);
    assert_null(node);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vector_sign),       cmocka_unit_test(test_vector_keys),
        cmocka_unit_test(test_vector_verify),     cmocka_unit_test(test_sign_rejects),
        cmocka_unit_test(test_checkpoint_text),   cmocka_unit_test(test_checkpoint_rejects),
        cmocka_unit_test(test_raison_checkpoint),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
