/* store_tool.c — opens a STOPPED node's LevelDB folder directly, for the tests.
 *
 * Issue 4 asks that a database altered behind the node's back (while it was
 * stopped) be caught by `audit verify` and by its peers. This tool is how the
 * tests alter it: it goes through store/store.h (never LevelDB itself), so it
 * takes the database's lock and fails at once (exit 3) when a node still
 * holds the folder, and never creates one (DB must hold a database). DB is
 * the database folder itself (DATA/db). Keys and
 * values are hex on the command line and on stdout; the key layout is
 * store/keys.h.
 *
 *   store_tool DB list TAGHEX            one line "KEYHEX VALUEHEX" per key that
 *                                        starts with the tag byte (e.g. 4c
 *                                        for 'L'), in key order
 *   store_tool DB keys TAGHEX            the same, keys only
 *   store_tool DB count TAGHEX           how many keys start with the tag byte
 *   store_tool DB get KEYHEX             the value in hex (exit 1 when absent)
 *   store_tool DB put KEYHEX VALUEHEX    writes the value (synced)
 *   store_tool DB del KEYHEX             deletes the key (synced; exit 1 when
 *                                        it was absent)
 *   store_tool DB flip KEYHEX OFFSET     xors the value's byte at OFFSET with
 *                                        0x01 (a negative OFFSET counts from
 *                                        the end); prints the new value
 *
 * Exit codes: 0 done, 1 the key is absent, 2 bad arguments or an I/O error,
 * 3 the database is locked by a running node. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "store/keys.h"
#include "store/store.h"

#define HEX_MAX (2 * 1024 * 1024) /* bytes of hex one argument may carry */

static void usage(void)
{
    fprintf(stderr, "usage: store_tool DB list TAGHEX | keys TAGHEX | count TAGHEX |\n"
                    "       store_tool DB get KEYHEX | put KEYHEX VALUEHEX | del KEYHEX |\n"
                    "       store_tool DB flip KEYHEX OFFSET\n");
    exit(2);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Decodes TEXT (an even number of hex digits, possibly none) into a malloc'd
 * buffer; exits 2 when it is not hex. */
static uint8_t *unhex(const char *text, size_t *len)
{
    size_t n = strlen(text);
    if (n % 2 != 0 || n > HEX_MAX) {
        fprintf(stderr, "store_tool: [%.40s...] is not an even number of hex digits\n", text);
        exit(2);
    }
    uint8_t *out = malloc(n / 2 + 1);
    if (out == NULL) {
        fprintf(stderr, "store_tool: out of memory\n");
        exit(2);
    }
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hexval(text[2 * i]);
        int lo = hexval(text[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            fprintf(stderr, "store_tool: [%.40s...] is not hex\n", text);
            free(out);
            exit(2);
        }
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    *len = n / 2;
    return out;
}

static void print_hex(const uint8_t *bytes, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        printf("%02x", bytes[i]);
    }
}

/* list, keys, count: every key that starts with PREFIX. */
static int run_scan(rsn_store_t *store, const uint8_t *prefix, size_t prefix_len, bool values,
                    bool count_only)
{
    rsn_iter_t *it = rsn_iter_new(store, prefix, prefix_len);
    if (it == NULL) {
        fprintf(stderr, "store_tool: out of memory\n");
        return 2;
    }
    unsigned long long n = 0;
    for (rsn_iter_first(it); rsn_iter_valid(it); rsn_iter_next(it)) {
        n++;
        if (count_only) {
            continue;
        }
        size_t kl = 0, vl = 0;
        const uint8_t *k = rsn_iter_key(it, &kl);
        print_hex(k, kl);
        if (values) {
            const uint8_t *v = rsn_iter_value(it, &vl);
            printf(" ");
            print_hex(v, vl);
        }
        printf("\n");
    }
    rsn_iter_destroy(&it);
    if (count_only) {
        printf("%llu\n", n);
    }
    return 0;
}

/* Reads KEY's value into *V (free with rsn_store_free) and *VL: the tool's
 * exit code, 0, 1 when the key is absent, 2 on an error (said on stderr). */
static int load(rsn_store_t *store, const uint8_t *key, size_t kl, void **v, size_t *vl)
{
    int rc = rsn_store_get(store, key, kl, v, vl);
    if (rc == RSN_ERR_NOT_FOUND) {
        fprintf(stderr, "store_tool: no such key\n");
        return 1;
    }
    if (rc < 0) {
        fprintf(stderr, "store_tool: get: %s\n", rsn_strerror(rc));
        return 2;
    }
    return 0;
}

static int run_get(rsn_store_t *store, const uint8_t *key, size_t kl)
{
    void *v = NULL;
    size_t vl = 0;
    int rc = load(store, key, kl, &v, &vl);
    if (rc != 0) {
        return rc;
    }
    print_hex(v, vl);
    printf("\n");
    rsn_store_free(v);
    return 0;
}

/* Puts (VALUE not NULL) or deletes KEY, synced. */
static int write_one(rsn_store_t *store, const uint8_t *key, size_t kl, const uint8_t *value,
                     size_t vl)
{
    rsn_batch_t *b = rsn_batch_new();
    if (b == NULL) {
        fprintf(stderr, "store_tool: out of memory\n");
        return 2;
    }
    if (value != NULL) {
        rsn_batch_put(b, key, kl, value, vl);
    } else {
        rsn_batch_delete(b, key, kl);
    }
    int rc = rsn_store_write(store, b, true);
    rsn_batch_destroy(&b);
    if (rc < 0) {
        fprintf(stderr, "store_tool: write: %s\n", rsn_strerror(rc));
        return 2;
    }
    return 0;
}

static int run_del(rsn_store_t *store, const uint8_t *key, size_t kl)
{
    int rc = rsn_store_has(store, key, kl);
    if (rc == RSN_ERR_NOT_FOUND) {
        fprintf(stderr, "store_tool: no such key\n");
        return 1;
    }
    if (rc < 0) {
        fprintf(stderr, "store_tool: has: %s\n", rsn_strerror(rc));
        return 2;
    }
    return write_one(store, key, kl, NULL, 0);
}

static int run_flip(rsn_store_t *store, const uint8_t *key, size_t kl, const char *offset_text)
{
    char *end = NULL;
    long long off = strtoll(offset_text, &end, 10);
    if (end == offset_text || *end != '\0') {
        fprintf(stderr, "store_tool: OFFSET is not a number\n");
        return 2;
    }
    void *v = NULL;
    size_t vl = 0;
    int rc = load(store, key, kl, &v, &vl);
    if (rc != 0) {
        return rc;
    }
    long long at = off < 0 ? (long long)vl + off : off;
    if (at < 0 || at >= (long long)vl) {
        fprintf(stderr, "store_tool: OFFSET %lld is outside the %zu-byte value\n", off, vl);
        rsn_store_free(v);
        return 2;
    }
    ((uint8_t *)v)[at] ^= 0x01;
    rc = write_one(store, key, kl, v, vl);
    if (rc == 0) {
        print_hex(v, vl);
        printf("\n");
    }
    rsn_store_free(v);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        usage();
    }
    rsn_log_setup("store_tool", RSN_LOG_ERROR);
    const char *cmd = argv[2];
    bool scan = strcmp(cmd, "list") == 0 || strcmp(cmd, "keys") == 0 || strcmp(cmd, "count") == 0;
    bool ok = (scan && argc == 4) || (strcmp(cmd, "get") == 0 && argc == 4) ||
              (strcmp(cmd, "put") == 0 && argc == 5) || (strcmp(cmd, "del") == 0 && argc == 4) ||
              (strcmp(cmd, "flip") == 0 && argc == 5);
    if (!ok) {
        usage();
    }
    size_t kl = 0;
    uint8_t *key = unhex(argv[3], &kl);
    if (scan ? kl != 1 : kl == 0 || kl > RSN_KEY_MAX) {
        fprintf(stderr, "store_tool: %s\n",
                scan ? "TAGHEX must be one byte (two hex digits)" : "KEYHEX must be 1 to 80 bytes");
        free(key);
        return 2;
    }
    char current[4096];
    snprintf(current, sizeof current, "%s/CURRENT", argv[1]);
    if (access(current, F_OK) != 0) {
        fprintf(stderr, "store_tool: %s holds no LevelDB database\n", argv[1]);
        free(key);
        return 2;
    }
    rsn_store_t *store = NULL;
    int rc = rsn_store_open(&store, argv[1]);
    if (rc == RSN_ERR_LOCKED) {
        fprintf(stderr, "store_tool: %s is locked: stop the node first\n", argv[1]);
        free(key);
        return 3;
    }
    if (rc < 0) {
        fprintf(stderr, "store_tool: cannot open %s: %s\n", argv[1], rsn_strerror(rc));
        free(key);
        return 2;
    }
    int status = 2;
    if (scan) {
        status = run_scan(store, key, kl, strcmp(cmd, "list") == 0, strcmp(cmd, "count") == 0);
    } else if (strcmp(cmd, "get") == 0) {
        status = run_get(store, key, kl);
    } else if (strcmp(cmd, "put") == 0) {
        size_t vl = 0;
        uint8_t *value = unhex(argv[4], &vl);
        status = write_one(store, key, kl, value, vl);
        free(value);
    } else if (strcmp(cmd, "del") == 0) {
        status = run_del(store, key, kl);
    } else {
        status = run_flip(store, key, kl, argv[4]);
    }
    rsn_store_destroy(&store);
    free(key);
    return status;
}
