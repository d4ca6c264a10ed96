/* note.c — C2SP signed notes and tlog-checkpoints.
 *
 * Implements note.h over crypto.h and keypair.h (no libsodium here). Parsing
 * follows the C2SP texts and the Go reference (golang.org/x/mod/sumdb/note):
 * the whole note is checked as UTF-8 without control characters first, the
 * text ends at the last blank line, every signature line must be well formed
 * even when it is not ours, and only a line whose name and key id are both
 * ours is verified. Nothing is allocated: the largest buffer is the decoded
 * signature of one line, bounded by RSN_NOTE_MAX. */
#include "crypto/note.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define EM_DASH "\xe2\x80\x94"
#define SIG_PREFIX EM_DASH " "
#define SIG_PREFIX_LEN 4
#define NOTE_SIG_BYTES (RSN_NOTE_KEY_ID_BYTES + RSN_SIG_BYTES) /* 68 */
#define NOTE_SIG_B64 92                                        /* base64 of 68 bytes */
#define VKEY_KEY_BYTES (1 + RSN_KEY_BYTES)                     /* 33 */
#define VKEY_KEY_B64 44                                        /* base64 of 33 bytes */
#define ROOT_B64 44                                            /* base64 of 32 bytes */
#define SIG_DECODED_MAX (RSN_NOTE_MAX / 4 * 3 + 3)

/* Decodes one UTF-8 code point at S (LEN bytes left) into *CP. Returns the
 * bytes it takes, or 0 when they are not well-formed UTF-8 (overlong forms,
 * surrogates and values past U+10FFFF included). */
static size_t utf8_next(const uint8_t *s, size_t len, uint32_t *cp)
{
    uint32_t c = s[0];
    size_t n;
    uint32_t min;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        min = 0x80;
        c &= 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        min = 0x800;
        c &= 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        min = 0x10000;
        c &= 0x07;
    } else {
        return 0;
    }
    if (len < n) {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }
        c = (c << 6) | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
        return 0;
    }
    *cp = c;
    return n;
}

/* Unicode White_Space (Go's unicode.IsSpace), which key names must avoid. */
static bool is_space(uint32_t cp)
{
    return (cp >= 0x09 && cp <= 0x0d) || cp == 0x20 || cp == 0x85 || cp == 0xa0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 || cp == 0x202f ||
           cp == 0x205f || cp == 0x3000;
}

/* Well-formed UTF-8 with no control character below U+0020, except newline
 * when NEWLINES is true. */
static bool text_valid(const char *s, size_t len, bool newlines)
{
    const uint8_t *p = (const uint8_t *)s;
    size_t i = 0;

    while (i < len) {
        uint32_t cp;
        size_t n = utf8_next(p + i, len - i, &cp);
        if (n == 0) {
            return false;
        }
        if (cp < 0x20 && !(newlines && cp == '\n')) {
            return false;
        }
        i += n;
    }
    return true;
}

/* A C2SP key name of LEN bytes: non-empty, bounded, UTF-8, no control
 * character, no Unicode space, no '+'. */
static bool name_valid(const char *s, size_t len)
{
    const uint8_t *p = (const uint8_t *)s;
    size_t i = 0;

    if (len == 0 || len > RSN_NOTE_NAME_MAX) {
        return false;
    }
    while (i < len) {
        uint32_t cp;
        size_t n = utf8_next(p + i, len - i, &cp);
        if (n == 0 || cp < 0x20 || cp == '+' || is_space(cp)) {
            return false;
        }
        i += n;
    }
    return true;
}

/* Key id of a name given by pointer and length. */
static void key_id(const char *name, size_t name_len, const uint8_t pubkey[RSN_KEY_BYTES],
                   uint8_t out[RSN_NOTE_KEY_ID_BYTES])
{
    uint8_t suffix[2 + RSN_KEY_BYTES];
    uint8_t hash[RSN_HASH_BYTES];

    suffix[0] = 0x0a;
    suffix[1] = RSN_NOTE_KEY_TYPE_ED25519;
    memcpy(suffix + 2, pubkey, RSN_KEY_BYTES);
    rsn_sha256_pair(hash, name, name_len, suffix, sizeof suffix);
    memcpy(out, hash, RSN_NOTE_KEY_ID_BYTES);
}

bool rsn_note_name_valid(const char *name)
{
    if (name == NULL) {
        return false;
    }
    return name_valid(name, strnlen(name, RSN_NOTE_NAME_MAX + 1));
}

void rsn_note_key_id(const char *name, const uint8_t pubkey[RSN_KEY_BYTES],
                     uint8_t out[RSN_NOTE_KEY_ID_BYTES])
{
    key_id(name, strlen(name), pubkey, out);
}

int rsn_note_verifier_key(const char *name, const uint8_t pubkey[RSN_KEY_BYTES], char *out,
                          size_t size)
{
    uint8_t id[RSN_NOTE_KEY_ID_BYTES];
    uint8_t typed[VKEY_KEY_BYTES];
    char id_hex[2 * RSN_NOTE_KEY_ID_BYTES + 1];
    char key_b64[VKEY_KEY_B64 + 1];
    size_t name_len;
    int n;

    if (!rsn_note_name_valid(name) || pubkey == NULL || out == NULL) {
        return RSN_ERR_INVALID_ARG;
    }
    name_len = strlen(name);
    if (size < name_len + 1 + sizeof id_hex - 1 + 1 + VKEY_KEY_B64 + 1) {
        return RSN_ERR_TOO_LARGE;
    }
    key_id(name, name_len, pubkey, id);
    rsn_hex_encode(id_hex, sizeof id_hex, id, sizeof id);
    typed[0] = RSN_NOTE_KEY_TYPE_ED25519;
    memcpy(typed + 1, pubkey, RSN_KEY_BYTES);
    rsn_base64_encode(key_b64, sizeof key_b64, typed, sizeof typed);
    n = snprintf(out, size, "%s+%s+%s", name, id_hex, key_b64);
    if (n < 0 || (size_t)n >= size) {
        return RSN_ERR_TOO_LARGE;
    }
    return 0;
}

int rsn_note_parse_verifier_key(const char *text, char *name_out, size_t size,
                                uint8_t pubkey_out[RSN_KEY_BYTES])
{
    uint8_t typed[VKEY_KEY_BYTES];
    uint8_t id[RSN_NOTE_KEY_ID_BYTES];
    uint8_t want[RSN_NOTE_KEY_ID_BYTES];
    const char *plus;
    const char *hex;
    const char *b64;
    size_t len, name_len, n;

    if (text == NULL || name_out == NULL || pubkey_out == NULL) {
        return RSN_ERR_INVALID_ARG;
    }
    len = strnlen(text, RSN_NOTE_VKEY_MAX);
    if (len >= RSN_NOTE_VKEY_MAX) {
        return RSN_ERR_INVALID_ARG;
    }
    plus = memchr(text, '+', len);
    if (plus == NULL) {
        return RSN_ERR_INVALID_ARG;
    }
    name_len = (size_t)(plus - text);
    hex = plus + 1;
    /* NAME "+" 8 hex "+" 44 base64, exactly */
    if (len != name_len + 1 + 8 + 1 + VKEY_KEY_B64 || hex[8] != '+') {
        return RSN_ERR_INVALID_ARG;
    }
    b64 = hex + 9;
    if (!name_valid(text, name_len)) {
        return RSN_ERR_INVALID_ARG;
    }
    for (size_t i = 0; i < 8; i++) {
        char c = hex[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return RSN_ERR_INVALID_ARG;
        }
    }
    {
        char hex_copy[9];
        memcpy(hex_copy, hex, 8);
        hex_copy[8] = '\0';
        if (rsn_hex_decode(id, sizeof id, &n, hex_copy) != 0 || n != sizeof id) {
            return RSN_ERR_INVALID_ARG;
        }
    }
    if (rsn_base64_decode(typed, sizeof typed, &n, b64, VKEY_KEY_B64) != 0 || n != sizeof typed ||
        typed[0] != RSN_NOTE_KEY_TYPE_ED25519) {
        return RSN_ERR_INVALID_ARG;
    }
    key_id(text, name_len, typed + 1, want);
    if (memcmp(id, want, sizeof id) != 0) {
        return RSN_ERR_INVALID_ARG;
    }
    if (size < name_len + 1) {
        return RSN_ERR_TOO_LARGE;
    }
    memcpy(name_out, text, name_len);
    name_out[name_len] = '\0';
    memcpy(pubkey_out, typed + 1, RSN_KEY_BYTES);
    return 0;
}

int rsn_note_raison_name(const uint8_t node_key[RSN_KEY_BYTES], char *out, size_t size)
{
    const size_t prefix_len = sizeof RSN_NOTE_ORIGIN_PREFIX - 1;

    if (node_key == NULL || out == NULL) {
        return RSN_ERR_INVALID_ARG;
    }
    if (size < RSN_NOTE_RAISON_NAME_SIZE) {
        return RSN_ERR_TOO_LARGE;
    }
    memcpy(out, RSN_NOTE_ORIGIN_PREFIX, prefix_len);
    rsn_hex_encode(out + prefix_len, size - prefix_len, node_key, RSN_KEY_BYTES);
    return 0;
}

int rsn_checkpoint_text(const char *origin, uint64_t tree_size, const uint8_t root[RSN_HASH_BYTES],
                        char *out, size_t size)
{
    char root_b64[ROOT_B64 + 1];
    size_t origin_len;
    int n;

    if (origin == NULL || root == NULL || out == NULL) {
        return RSN_ERR_INVALID_ARG;
    }
    origin_len = strnlen(origin, RSN_NOTE_NAME_MAX + 1);
    if (origin_len == 0 || origin_len > RSN_NOTE_NAME_MAX ||
        !text_valid(origin, origin_len, false)) {
        return RSN_ERR_INVALID_ARG;
    }
    rsn_base64_encode(root_b64, sizeof root_b64, root, RSN_HASH_BYTES);
    n = snprintf(out, size, "%s\n%" PRIu64 "\n%s\n", origin, tree_size, root_b64);
    if (n < 0 || (size_t)n >= size) {
        if (size > 0) {
            out[0] = '\0';
        }
        return RSN_ERR_TOO_LARGE;
    }
    return 0;
}

/* The line at TEXT[*POS..]: sets *START and *LEN (newline excluded) and moves
 * *POS past the newline. False when no newline ends it. */
static bool next_line(const char *text, size_t text_len, size_t *pos, const char **start,
                      size_t *len)
{
    const char *nl;

    if (*pos >= text_len) {
        return false;
    }
    nl = memchr(text + *pos, '\n', text_len - *pos);
    if (nl == NULL) {
        return false;
    }
    *start = text + *pos;
    *len = (size_t)(nl - *start);
    *pos = (size_t)(nl - text) + 1;
    return true;
}

/* Decimal with no leading zero except "0", fitting in 64 bits. */
static bool parse_size(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;

    if (len == 0 || len > 20 || (len > 1 && s[0] == '0')) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned d;
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10) {
            return false;
        }
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

int rsn_checkpoint_parse(const char *text, size_t text_len, char *origin_out, size_t size,
                         uint64_t *tree_size, uint8_t root_out[RSN_HASH_BYTES])
{
    uint8_t root[RSN_HASH_BYTES + 1];
    const char *origin, *num, *b64, *ext;
    size_t origin_len, num_len, b64_len, ext_len, n;
    size_t pos = 0;
    uint64_t value;

    if (text == NULL || origin_out == NULL || tree_size == NULL || root_out == NULL) {
        return RSN_ERR_INVALID_ARG;
    }
    if (text_len > RSN_NOTE_MAX || text_len == 0 || text[text_len - 1] != '\n' ||
        !text_valid(text, text_len, true)) {
        return RSN_ERR_INVALID_ARG;
    }
    if (!next_line(text, text_len, &pos, &origin, &origin_len) ||
        !next_line(text, text_len, &pos, &num, &num_len) ||
        !next_line(text, text_len, &pos, &b64, &b64_len)) {
        return RSN_ERR_INVALID_ARG;
    }
    if (origin_len == 0 || origin_len > RSN_NOTE_NAME_MAX || !parse_size(num, num_len, &value)) {
        return RSN_ERR_INVALID_ARG;
    }
    if (b64_len != ROOT_B64 || rsn_base64_decode(root, sizeof root, &n, b64, b64_len) != 0 ||
        n != RSN_HASH_BYTES) {
        return RSN_ERR_INVALID_ARG;
    }
    /* extension lines: opaque, but each non-empty */
    while (pos < text_len) {
        if (!next_line(text, text_len, &pos, &ext, &ext_len) || ext_len == 0) {
            return RSN_ERR_INVALID_ARG;
        }
    }
    if (size < origin_len + 1) {
        return RSN_ERR_TOO_LARGE;
    }
    memcpy(origin_out, origin, origin_len);
    origin_out[origin_len] = '\0';
    *tree_size = value;
    memcpy(root_out, root, RSN_HASH_BYTES);
    return 0;
}

int rsn_note_sign(const rsn_keypair_t *keypair, const char *name, const char *text, char *out,
                  size_t size)
{
    uint8_t sig[NOTE_SIG_BYTES];
    char sig_b64[NOTE_SIG_B64 + 1];
    size_t text_len, name_len, total;
    char *p;
    int rc;

    if (keypair == NULL || text == NULL || out == NULL || !rsn_note_name_valid(name)) {
        return RSN_ERR_INVALID_ARG;
    }
    text_len = strnlen(text, RSN_NOTE_MAX + 1);
    if (text_len > RSN_NOTE_MAX) {
        return RSN_ERR_TOO_LARGE;
    }
    if (text_len == 0 || text[text_len - 1] != '\n' || !text_valid(text, text_len, true)) {
        return RSN_ERR_INVALID_ARG;
    }
    name_len = strlen(name);
    /* text, blank line, "— NAME B64\n" */
    total = text_len + 1 + SIG_PREFIX_LEN + name_len + 1 + NOTE_SIG_B64 + 1;
    if (total > RSN_NOTE_MAX || total + 1 > size) {
        return RSN_ERR_TOO_LARGE;
    }
    key_id(name, name_len, rsn_keypair_public(keypair), sig);
    rc = rsn_keypair_sign(keypair, (const uint8_t *)text, text_len, sig + RSN_NOTE_KEY_ID_BYTES);
    if (rc != 0) {
        return rc;
    }
    rsn_base64_encode(sig_b64, sizeof sig_b64, sig, sizeof sig);
    p = out;
    memcpy(p, text, text_len);
    p += text_len;
    *p++ = '\n';
    memcpy(p, SIG_PREFIX, SIG_PREFIX_LEN);
    p += SIG_PREFIX_LEN;
    memcpy(p, name, name_len);
    p += name_len;
    *p++ = ' ';
    memcpy(p, sig_b64, NOTE_SIG_B64);
    p += NOTE_SIG_B64;
    *p++ = '\n';
    *p = '\0';
    return 0;
}

/* Where the text ends: the index of the last "\n\n" in NOTE, or LEN. */
static size_t last_blank_line(const char *note, size_t len)
{
    for (size_t i = len - 1; i > 0; i--) {
        if (note[i] == '\n' && note[i - 1] == '\n') {
            return i - 1;
        }
    }
    return len;
}

int rsn_note_verify(const char *note, size_t len, const char *name,
                    const uint8_t pubkey[RSN_KEY_BYTES], size_t *text_len)
{
    uint8_t sig[SIG_DECODED_MAX];
    uint8_t our_id[RSN_NOTE_KEY_ID_BYTES];
    size_t name_len, split, pos, lines = 0;
    int verified = 0;
    bool failed = false;

    if (note == NULL || pubkey == NULL || !rsn_note_name_valid(name)) {
        return RSN_ERR_INVALID_ARG;
    }
    if (len > RSN_NOTE_MAX) {
        return RSN_ERR_TOO_LARGE;
    }
    if (len < 2 || note[len - 1] != '\n' || !text_valid(note, len, true)) {
        return RSN_ERR_INVALID_ARG;
    }
    split = last_blank_line(note, len);
    /* a text of at least its newline, then at least one signature line */
    if (split == len || split + 2 >= len) {
        return RSN_ERR_INVALID_ARG;
    }
    name_len = strlen(name);
    key_id(name, name_len, pubkey, our_id);

    pos = split + 2;
    while (pos < len) {
        const char *line, *sp, *b64;
        size_t line_len, line_name_len, b64_len, n;

        if (!next_line(note, len, &pos, &line, &line_len)) {
            return RSN_ERR_INVALID_ARG;
        }
        if (++lines > RSN_NOTE_MAX_SIGNATURES) {
            return RSN_ERR_INVALID_ARG;
        }
        if (line_len <= SIG_PREFIX_LEN || memcmp(line, SIG_PREFIX, SIG_PREFIX_LEN) != 0) {
            return RSN_ERR_INVALID_ARG;
        }
        line += SIG_PREFIX_LEN;
        line_len -= SIG_PREFIX_LEN;
        sp = memchr(line, ' ', line_len);
        if (sp == NULL) {
            return RSN_ERR_INVALID_ARG;
        }
        line_name_len = (size_t)(sp - line);
        b64 = sp + 1;
        b64_len = line_len - line_name_len - 1;
        if (!name_valid(line, line_name_len) || b64_len == 0 ||
            rsn_base64_decode(sig, sizeof sig, &n, b64, b64_len) != 0 ||
            n < RSN_NOTE_KEY_ID_BYTES + 1) {
            return RSN_ERR_INVALID_ARG;
        }
        if (line_name_len != name_len || memcmp(line, name, name_len) != 0 ||
            memcmp(sig, our_id, RSN_NOTE_KEY_ID_BYTES) != 0) {
            continue; /* another key's signature: ignored, as C2SP requires */
        }
        if (n != NOTE_SIG_BYTES || rsn_signature_verify(pubkey, (const uint8_t *)note, split + 1,
                                                        sig + RSN_NOTE_KEY_ID_BYTES) != 0) {
            failed = true;
        } else {
            verified++;
        }
    }
    if (failed) {
        return RSN_ERR_BAD_SIGNATURE;
    }
    if (verified == 0) {
        return RSN_ERR_NOT_FOUND;
    }
    if (text_len != NULL) {
        *text_len = split + 1;
    }
    return 0;
}
