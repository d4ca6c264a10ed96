/* verify_export.c — the parser of untrusted audit export files.
 *
 * Reads an export (docs/audit.md) line by line, each at most
 * RSN_EXPORT_LINE_MAX bytes and parsed by jansson with duplicate keys
 * refused, and checks it the way an outside auditor would: the header's
 * verifier key is the node's; every entry line holds exactly its fields, an
 * id that is the SHA-256 of the entry bytes, a signature that verifies, a
 * body that matches (or null, erased) and the next link of its author's
 * chain; fork lines hold two different signed entries of one author and
 * seq; the last line is a checkpoint signed by the node whose root is the
 * RFC 9162 root of the entries read. Memory is bounded: one line, one body,
 * an arena per line and a table of feed heads. Nothing is printed: the
 * first problem comes back as a code, a reason (rsn_why) and a line. */
#include "cli/verify_export.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/why.h"
#include "crypto/merkle.h"
#include "crypto/note.h"
#include "proto/codec.h"

/* The head of one author's feed in the file: its last seq and that entry's id. */
typedef struct {
    uint8_t author[RSN_KEY_BYTES];
    uint64_t seq; /* 0: free slot */
    uint8_t id[RSN_ID_BYTES];
} feed_head_t;

/* An open-addressing table of heads, by author. */
typedef struct {
    feed_head_t *slots;
    size_t cap; /* a power of two */
    size_t n;
} heads_t;

static size_t slot_of(const heads_t *h, const uint8_t author[RSN_KEY_BYTES])
{
    uint64_t k;
    memcpy(&k, author, sizeof k); /* keys are uniformly random */
    size_t i = (size_t)k & (h->cap - 1);
    while (h->slots[i].seq != 0 && memcmp(h->slots[i].author, author, RSN_KEY_BYTES) != 0) {
        i = (i + 1) & (h->cap - 1);
    }
    return i;
}

/* The head of AUTHOR, created empty (seq 0) when new. NULL when out of memory. */
static feed_head_t *head_get(heads_t *h, const uint8_t author[RSN_KEY_BYTES])
{
    if (2 * (h->n + 1) > h->cap) {
        heads_t bigger = {calloc(h->cap ? 2 * h->cap : 256, sizeof(feed_head_t)),
                          h->cap ? 2 * h->cap : 256, h->n};
        if (!bigger.slots) {
            return NULL;
        }
        for (size_t i = 0; i < h->cap; i++) {
            if (h->slots[i].seq != 0) {
                bigger.slots[slot_of(&bigger, h->slots[i].author)] = h->slots[i];
            }
        }
        free(h->slots);
        *h = bigger;
    }
    size_t i = slot_of(h, author);
    if (h->slots[i].seq == 0) {
        memcpy(h->slots[i].author, author, RSN_KEY_BYTES);
    }
    return &h->slots[i];
}

/* What the parser keeps while reading the file. */
typedef struct {
    char *why; /* the caller's, for the first problem */
    size_t why_size;
    unsigned long line;
    char name[RSN_NOTE_NAME_MAX + 1]; /* the vkey's name: "raison/" + node hex */
    uint8_t node[RSN_KEY_BYTES];
    uint64_t tree_size; /* the header's */
    uint64_t entries, erased, forks;
    bool seen_fork, seen_checkpoint;
    heads_t heads;
    rsn_merkle_frontier_t frontier;
    uint8_t root[RSN_HASH_BYTES];
    uint8_t *body; /* RSN_BODY_MAX bytes */
} vx_t;

/* Says why the line X is at does not verify; returns RSN_ERR_INVALID_ARG. */
#define BAD(x, ...) rsn_why((x)->why, (x)->why_size, RSN_ERR_INVALID_ARG, __VA_ARGS__)

/* Requires OBJ to hold exactly N members (with the required ones checked by
 * the getters, no unknown member can hide). */
static int members(const vx_t *x, const json_t *obj, size_t n, const char *what)
{
    if (!json_is_object(obj)) {
        return BAD(x, "%s is not a JSON object", what);
    }
    if (json_object_size(obj) != n) {
        return BAD(x, "%s has %zu fields, expected %zu", what, json_object_size(obj), n);
    }
    return 0;
}

static int get_str(const vx_t *x, const json_t *obj, const char *key, const char **out, size_t *len)
{
    const json_t *v = json_object_get(obj, key);
    if (!json_is_string(v)) {
        return BAD(x, "\"%s\" is missing or not a string", key);
    }
    *out = json_string_value(v);
    if (len) {
        *len = json_string_length(v);
    }
    return 0;
}

static int get_uint(const vx_t *x, const json_t *obj, const char *key, uint64_t *out)
{
    const json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        return BAD(x, "\"%s\" is missing or not a non-negative integer", key);
    }
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

/* A 64-character lowercase hex field: a key or an id. */
static int get_hex32(const vx_t *x, const json_t *obj, const char *key, uint8_t out[RSN_KEY_BYTES])
{
    const char *s = NULL;
    size_t len = 0;
    int rc = get_str(x, obj, key, &s, &len);
    if (rc != 0) {
        return rc;
    }
    for (size_t i = 0; i < len; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            len = 0;
        }
    }
    if (len != RSN_KEY_HEX || rsn_key_from_hex(out, s) != 0) {
        return BAD(x, "\"%s\" is not 64 lowercase hex characters", key);
    }
    return 0;
}

/* A base64 field of at most MAX bytes into OUT. */
static int get_b64(const vx_t *x, const json_t *obj, const char *key, uint8_t *out, size_t max,
                   size_t *out_len)
{
    const char *s = NULL;
    size_t len = 0;
    int rc = get_str(x, obj, key, &s, &len);
    if (rc != 0) {
        return rc;
    }
    if (len > 4 * ((max + 2) / 3) || rsn_base64_decode(out, max, out_len, s, len) != 0) {
        return BAD(x, "\"%s\" is not standard base64 of at most %zu bytes", key, max);
    }
    return 0;
}

static int vx_header(vx_t *x, const json_t *o)
{
    const char *type = NULL, *format = NULL, *node_hex = NULL, *vkey = NULL;
    uint64_t version = 0;
    uint8_t vkey_pub[RSN_KEY_BYTES];
    int rc = 0;
    if ((rc = get_str(x, o, "type", &type, NULL)) != 0) {
        return rc;
    }
    if (strcmp(type, "header") != 0) {
        return BAD(x, "the first line is not the header (type \"%s\")", type);
    }
    if ((rc = members(x, o, 6, "the header")) != 0 ||
        (rc = get_str(x, o, "format", &format, NULL)) ||
        (rc = get_uint(x, o, "version", &version)) || (rc = get_hex32(x, o, "node", x->node)) ||
        (rc = get_str(x, o, "vkey", &vkey, NULL)) ||
        (rc = get_uint(x, o, "tree_size", &x->tree_size))) {
        return rc;
    }
    node_hex = json_string_value(json_object_get(o, "node"));
    if (strcmp(format, RSN_EXPORT_FORMAT) != 0) {
        return BAD(x, "format \"%s\" is not \"%s\"", format, RSN_EXPORT_FORMAT);
    }
    if (version != RSN_EXPORT_VERSION) {
        return BAD(x, "version %llu is not %d (this raison reads version %d)",
                   (unsigned long long)version, RSN_EXPORT_VERSION, RSN_EXPORT_VERSION);
    }
    if (x->tree_size > RSN_MERKLE_MAX_SIZE) {
        return BAD(x, "tree_size is too large");
    }
    if (rsn_note_parse_verifier_key(vkey, x->name, sizeof x->name, vkey_pub) != 0) {
        return BAD(x, "vkey is not a valid note verifier key");
    }
    if (strncmp(x->name, RSN_NOTE_ORIGIN_PREFIX, strlen(RSN_NOTE_ORIGIN_PREFIX)) != 0 ||
        strcmp(x->name + strlen(RSN_NOTE_ORIGIN_PREFIX), node_hex) != 0) {
        return BAD(x, "the vkey's name \"%s\" is not \"raison/\" + node", x->name);
    }
    if (memcmp(vkey_pub, x->node, RSN_KEY_BYTES) != 0) {
        return BAD(x, "the vkey's public key is not the node key");
    }
    return 0;
}

/* Decodes, checks and verifies one signed entry: the bytes ENTRY of LEN
 * under AUTHOR with signature SIG. *E when it decodes. */
static int vx_signed(const vx_t *x, rsn_arena_t *arena, const uint8_t *entry, size_t len,
                     const uint8_t sig[RSN_SIG_BYTES], Raison__Entry **e, const char *what)
{
    char why[160] = "";
    if (rsn_entry_decode(arena, entry, len, e, why, sizeof why) != 0) {
        return BAD(x, "%sentry does not decode: %s", what, why);
    }
    if (rsn_entry_verify((*e)->author.data, entry, len, sig) != 0) {
        return BAD(x, "%ssignature does not verify", what);
    }
    return 0;
}

static int vx_entry(vx_t *x, rsn_arena_t *arena, const json_t *o)
{
    uint8_t entry[RSN_ENTRY_MAX], sig[RSN_SIG_BYTES], id[RSN_ID_BYTES], author[RSN_KEY_BYTES];
    uint8_t h[RSN_HASH_BYTES];
    size_t entry_len = 0, sig_len = 0, body_len = 0;
    uint64_t index = 0, seq = 0;
    Raison__Entry *e = NULL;
    int rc = 0;
    if ((rc = members(x, o, 8, "the entry line")) || (rc = get_uint(x, o, "index", &index))) {
        return rc;
    }
    if (index != x->entries) {
        return BAD(x, "index %llu where %llu was expected (a line is missing or out of order)",
                   (unsigned long long)index, (unsigned long long)x->entries);
    }
    if ((rc = get_hex32(x, o, "id", id)) || (rc = get_hex32(x, o, "author", author)) ||
        (rc = get_uint(x, o, "seq", &seq)) ||
        (rc = get_b64(x, o, "entry", entry, sizeof entry, &entry_len)) ||
        (rc = get_b64(x, o, "signature", sig, sizeof sig, &sig_len))) {
        return rc;
    }
    if (sig_len != RSN_SIG_BYTES) {
        return BAD(x, "signature is %zu bytes, not 64", sig_len);
    }
    rsn_entry_id(h, entry, entry_len);
    if (memcmp(h, id, sizeof id) != 0) {
        return BAD(x, "id is not the SHA-256 of the entry bytes");
    }
    if ((rc = vx_signed(x, arena, entry, entry_len, sig, &e, ""))) {
        return rc;
    }
    if (memcmp(e->author.data, author, sizeof author) != 0) {
        return BAD(x, "author is not the entry's author");
    }
    if (e->seq != seq) {
        return BAD(x, "seq %llu is not the entry's seq %llu", (unsigned long long)seq,
                   (unsigned long long)e->seq);
    }
    const json_t *body = json_object_get(o, "body");
    if (json_is_null(body)) {
        x->erased++;
    } else if ((rc = get_b64(x, o, "body", x->body, RSN_BODY_MAX, &body_len))) {
        return rc;
    } else {
        rsn_sha256(h, x->body, body_len);
        if (body_len != e->body_size || memcmp(h, e->body_hash.data, sizeof h) != 0) {
            return BAD(x, "body does not match the entry's body_hash and body_size");
        }
    }
    feed_head_t *head = head_get(&x->heads, author);
    if (!head) {
        return BAD(x, "out of memory");
    }
    if (head->seq >= seq) {
        return BAD(x, "a second entry for author %.12s... seq %llu (the feed is at %llu)",
                   json_string_value(json_object_get(o, "author")), (unsigned long long)seq,
                   (unsigned long long)head->seq);
    }
    if (head->seq + 1 != seq) {
        return BAD(x, "author %.12s... jumps from seq %llu to %llu (the chain is broken)",
                   json_string_value(json_object_get(o, "author")), (unsigned long long)head->seq,
                   (unsigned long long)seq);
    }
    if (seq > 1 &&
        (e->prev.len != RSN_ID_BYTES || memcmp(e->prev.data, head->id, RSN_ID_BYTES) != 0)) {
        return BAD(x, "prev is not the id of the author's entry seq %llu",
                   (unsigned long long)(seq - 1));
    }
    if (seq == 1 && e->prev.len != 0) {
        return BAD(x, "seq 1 with a prev");
    }
    if (head->seq == 0) {
        x->heads.n++;
    }
    head->seq = seq;
    memcpy(head->id, id, sizeof id);
    rsn_merkle_node_t nodes[RSN_MERKLE_MAX_DEPTH];
    size_t n_nodes = 0;
    rsn_merkle_leaf_hash(h, id, sizeof id);
    if (rsn_merkle_frontier_append(&x->frontier, h, nodes, &n_nodes) != 0) {
        return BAD(x, "the log is full");
    }
    x->entries++;
    return 0;
}

static int vx_half(const vx_t *x, rsn_arena_t *arena, const json_t *o, const char *which,
                   const uint8_t author[RSN_KEY_BYTES], uint64_t seq, uint8_t *entry,
                   size_t *entry_len)
{
    const json_t *half = json_object_get(o, which);
    uint8_t sig[RSN_SIG_BYTES];
    size_t sig_len = 0;
    Raison__Entry *e = NULL;
    char what[32];
    int rc = 0;
    snprintf(what, sizeof what, "fork half \"%s\": ", which);
    if ((rc = members(x, half, 2, what)) ||
        (rc = get_b64(x, half, "entry", entry, RSN_ENTRY_MAX, entry_len)) ||
        (rc = get_b64(x, half, "signature", sig, sizeof sig, &sig_len))) {
        return rc;
    }
    if (sig_len != RSN_SIG_BYTES) {
        return BAD(x, "%ssignature is %zu bytes, not 64", what, sig_len);
    }
    if ((rc = vx_signed(x, arena, entry, *entry_len, sig, &e, what))) {
        return rc;
    }
    if (memcmp(e->author.data, author, RSN_KEY_BYTES) != 0 || e->seq != seq) {
        return BAD(x, "%snot an entry of this author and seq", what);
    }
    return 0;
}

static int vx_fork(vx_t *x, rsn_arena_t *arena, const json_t *o)
{
    uint8_t author[RSN_KEY_BYTES], a[RSN_ENTRY_MAX], b[RSN_ENTRY_MAX];
    size_t a_len = 0, b_len = 0;
    uint64_t seq = 0;
    int rc = 0;
    if ((rc = members(x, o, 5, "the fork line")) || (rc = get_hex32(x, o, "author", author)) ||
        (rc = get_uint(x, o, "seq", &seq)) ||
        (rc = vx_half(x, arena, o, "a", author, seq, a, &a_len)) ||
        (rc = vx_half(x, arena, o, "b", author, seq, b, &b_len))) {
        return rc;
    }
    if (a_len == b_len && memcmp(a, b, a_len) == 0) {
        return BAD(x, "the two halves of the fork are the same entry");
    }
    x->forks++;
    return 0;
}

static int vx_checkpoint(vx_t *x, const json_t *o)
{
    const char *note = NULL;
    size_t len = 0, text_len = 0;
    char origin[RSN_NOTE_NAME_MAX + 1];
    uint64_t size = 0;
    uint8_t root[RSN_HASH_BYTES];
    int rc = 0;
    if ((rc = members(x, o, 2, "the checkpoint line")) ||
        (rc = get_str(x, o, "note", &note, &len))) {
        return rc;
    }
    rc = rsn_note_verify(note, len, x->name, x->node, &text_len);
    if (rc == RSN_ERR_NOT_FOUND) {
        return BAD(x, "the checkpoint is not signed by the node's key %s", x->name);
    }
    if (rc == RSN_ERR_BAD_SIGNATURE) {
        return BAD(x, "the checkpoint's signature does not verify");
    }
    if (rc != 0) {
        return BAD(x, "the checkpoint is not a valid signed note");
    }
    if (rsn_checkpoint_parse(note, text_len, origin, sizeof origin, &size, root) != 0) {
        return BAD(x, "the checkpoint text is not a valid tlog-checkpoint");
    }
    if (strcmp(origin, x->name) != 0) {
        return BAD(x, "the checkpoint's origin \"%s\" is not \"%s\"", origin, x->name);
    }
    if (size != x->tree_size) {
        return BAD(x, "the checkpoint's size %llu is not the header's tree_size %llu",
                   (unsigned long long)size, (unsigned long long)x->tree_size);
    }
    if (size != x->entries) {
        return BAD(x, "the checkpoint covers %llu leaves but the file has %llu entry lines",
                   (unsigned long long)size, (unsigned long long)x->entries);
    }
    rsn_merkle_frontier_root(&x->frontier, x->root);
    if (memcmp(root, x->root, sizeof root) != 0) {
        return BAD(x, "the checkpoint's root is not the Merkle root of the entries");
    }
    x->seen_checkpoint = true;
    return 0;
}

/* One line of the file (LEN bytes, no newline). */
static int vx_line(vx_t *x, const char *text, size_t len)
{
    json_error_t jerr;
    rsn_arena_t *arena = NULL;
    const char *type = NULL;
    int rc = 0;
    json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!o) {
        return BAD(x, "not JSON (%s)", jerr.text);
    }
    if (x->seen_checkpoint) {
        rc = BAD(x, "a line after the checkpoint line, which must be the last");
    } else if (!json_is_object(o)) {
        rc = BAD(x, "not a JSON object");
    } else if (x->line == 1) {
        rc = vx_header(x, o);
    } else if ((rc = get_str(x, o, "type", &type, NULL)) != 0) {
        /* printed */
    } else if (!(arena = rsn_arena_new())) {
        rc = BAD(x, "out of memory");
    } else if (strcmp(type, "entry") == 0) {
        rc = x->seen_fork ? BAD(x, "an entry line after the fork lines") : vx_entry(x, arena, o);
    } else if (strcmp(type, "fork") == 0) {
        x->seen_fork = true;
        rc = vx_fork(x, arena, o);
    } else if (strcmp(type, "checkpoint") == 0) {
        rc = vx_checkpoint(x, o);
    } else if (strcmp(type, "header") == 0) {
        rc = BAD(x, "a second header line");
    } else {
        rc = BAD(x, "unknown line type \"%s\"", type);
    }
    rsn_arena_destroy(&arena);
    json_decref(o);
    return rc;
}

/* Reads the next line of F into BUF (RSN_EXPORT_LINE_MAX bytes) without its
 * newline: 0 and *LEN, or 0 and *END at the end of the file; or an error. */
static int vx_read(vx_t *x, FILE *f, char *buf, size_t *len, bool *end)
{
    size_t n = 0;
    int ch;
    *end = false;
    while ((ch = getc_unlocked(f)) != EOF && ch != '\n') {
        if (n == RSN_EXPORT_LINE_MAX) {
            return BAD(x, "longer than %d bytes", RSN_EXPORT_LINE_MAX);
        }
        buf[n++] = (char)ch;
    }
    if (ferror(f)) {
        return rsn_why(x->why, x->why_size, RSN_ERR_IO, "read error: %s", strerror(errno));
    }
    if (ch == EOF && n == 0) {
        *end = true;
        return 0;
    }
    if (ch == EOF) {
        return BAD(x, "the last line does not end with a newline (truncated file?)");
    }
    *len = n;
    return 0;
}

/* Reads every line of F into X, then checks that the file was whole. */
static int vx_file(vx_t *x, FILE *f, char *buf)
{
    size_t len = 0;
    bool end = false;
    int rc = 0;
    for (;;) {
        x->line++;
        if ((rc = vx_read(x, f, buf, &len, &end)) != 0 || end || (rc = vx_line(x, buf, len)) != 0) {
            break;
        }
    }
    if (rc == 0 && x->line == 1) {
        rc = BAD(x, "the file is empty: no header line");
    } else if (rc == 0 && !x->seen_checkpoint) {
        rc = BAD(x, "the file ends without a checkpoint line (truncated?)");
    }
    return rc;
}

int rsn_export_verify(FILE *f, rsn_export_report_t *report, char *why, size_t why_size)
{
    vx_t x = {.why = why, .why_size = why_size};
    char *buf = malloc(RSN_EXPORT_LINE_MAX);
    int rc = 0;
    memset(report, 0, sizeof *report);
    x.body = malloc(RSN_BODY_MAX);
    rsn_merkle_frontier_init(&x.frontier);
    if (!buf || !x.body) {
        rc = rsn_why(why, why_size, RSN_ERR_NOMEM, "out of memory");
    } else {
        rc = vx_file(&x, f, buf);
        report->line = x.line;
    }
    if (rc == 0) {
        memcpy(report->node, x.node, sizeof x.node);
        report->entries = x.entries;
        report->authors = x.heads.n;
        report->erased = x.erased;
        report->forks = x.forks;
        report->tree_size = x.tree_size;
        memcpy(report->root, x.root, sizeof x.root);
    }
    free(x.heads.slots);
    free(x.body);
    free(buf);
    return rc;
}
