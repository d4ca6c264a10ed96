/* store_sizes.c — what each kind of key costs in a STOPPED node's store.
 *
 * For every tag byte (store/keys.h) it prints the number of keys, their key
 * and value bytes as stored (raw), and LevelDB's approximate size on disk of
 * the tag's key range (after compression, with the per-key overhead of the
 * table format), then the totals. With `compact`, it first rewrites every
 * table with the compression named (snappy or none), so that the same store
 * can be measured both ways. Goes through store/store.h; takes the lock.
 *
 *   store_sizes DB [compact snappy|none] [SIGNED_BYTES]
 *
 * SIGNED_BYTES (bench_store prints it) adds the ratio of disk to signed
 * bytes. Not a test: it judges nothing. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "store/store.h"

typedef struct {
    uint64_t keys, key_bytes, value_bytes;
} tag_t;

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: store_sizes DB [compact snappy|none] [SIGNED_BYTES]\n");
        return 2;
    }
    rsn_log_setup("store_sizes", RSN_LOG_WARN);
    rsn_store_options_t o;
    rsn_store_options_default(&o);
    int argi = 2;
    bool compact = false;
    if (argc > 3 && strcmp(argv[2], "compact") == 0) {
        compact = true;
        o.compression = strcmp(argv[3], "snappy") == 0;
        argi = 4;
    }
    uint64_t signed_bytes = argc > argi ? strtoull(argv[argi], NULL, 10) : 0;
    rsn_store_t *store = NULL;
    if (rsn_store_open_with(&store, argv[1], &o) < 0) {
        fprintf(stderr, "store_sizes: cannot open %s\n", argv[1]);
        return 2;
    }
    if (compact) {
        rsn_store_compact(store);
    }
    static tag_t tags[256];
    rsn_iter_t *it = rsn_iter_new(store, NULL, 0);
    if (!it) {
        rsn_store_destroy(&store);
        return 2;
    }
    for (rsn_iter_first(it); rsn_iter_valid(it); rsn_iter_next(it)) {
        size_t kl = 0, vl = 0;
        const uint8_t *k = rsn_iter_key(it, &kl);
        rsn_iter_value(it, &vl);
        tag_t *t = &tags[k[0]];
        t->keys++;
        t->key_bytes += kl;
        t->value_bytes += vl;
    }
    rsn_iter_destroy(&it);
    printf("%-4s %10s %12s %12s %12s %8s\n", "tag", "keys", "key bytes", "value bytes", "on disk",
           "disk/key");
    tag_t all = {0};
    uint64_t disk_all = 0;
    for (unsigned t = 0; t < 256; t++) {
        if (tags[t].keys == 0) {
            continue;
        }
        uint8_t from[1] = {(uint8_t)t}, to[2] = {(uint8_t)t, 0xff};
        /* [t, t+1): every key of the tag */
        uint8_t next[1] = {(uint8_t)(t + 1)};
        uint64_t disk = t < 255 ? rsn_store_approximate_range(store, from, 1, next, 1)
                                : rsn_store_approximate_range(store, from, 1, to, 2);
        printf("%-4c %10" PRIu64 " %12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %8.1f\n", (char)t,
               tags[t].keys, tags[t].key_bytes, tags[t].value_bytes, disk,
               (double)disk / (double)tags[t].keys);
        all.keys += tags[t].keys;
        all.key_bytes += tags[t].key_bytes;
        all.value_bytes += tags[t].value_bytes;
        disk_all += disk;
    }
    printf("%-4s %10" PRIu64 " %12" PRIu64 " %12" PRIu64 " %12" PRIu64 "\n", "all", all.keys,
           all.key_bytes, all.value_bytes, disk_all);
    printf("approximate bytes of the whole store: %" PRIu64 "\n",
           rsn_store_approximate_bytes(store));
    if (signed_bytes > 0) {
        printf("disk / signed bytes: %.2f (signed %" PRIu64 ")\n",
               (double)rsn_store_approximate_bytes(store) / (double)signed_bytes, signed_bytes);
    }
    rsn_store_destroy(&store);
    return 0;
}
