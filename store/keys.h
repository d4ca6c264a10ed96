/* keys.h — the layout of keys in a node's LevelDB database.
 *
 * Every key starts with one tag byte; numbers are big-endian so that byte
 * order is numeric order. docs/store.md describes each. The values:
 *
 *   'E' id(32)                    -> SignedEntry{entry, signature} (no body),
 *                                    the exact bytes received
 *   'B' id(32)                    -> body bytes (deleted when erased)
 *   'S' author(32) seq(8)         -> id(32)
 *   'H' author(32)                -> seq(8) id(32): the feed head
 *   'L' index(8)                  -> id(32): transparency log leaves, in order
 *   'I' id(32)                    -> index(8): leaf index of an entry
 *   'F' author(32) seq(8)         -> ForkEvidence
 *   'Z' author(32)                -> seq(8): feed frozen from this seq on
 *   'G' group(32)                 -> "" : group founded (charter v1 held)
 *   'C' group(32) id(32)          -> "" : a charter entry naming the group
 *   'M' group(32) ts(8) id(32)    -> "" : a membership entry of the group
 *   'P' group(32) ts(8) id(32)    -> "" : a post of the group (ts = its timestamp)
 *   'Q' parent(32) id(32)         -> "" : a reply to PARENT
 *   'R' target(32) id(32)         -> "" : a retraction naming TARGET
 *   'U' author(32)                -> seq(8) id(32): the author's latest profile
 *   'N' name                      -> u64(8): counters ("entries", "authors",
 *                                    "groups", "forks", "leaves")
 *   'T' level(1) index(8)         -> hash(32): the transparency log's complete
 *                                    subtree covering leaves
 *                                    [index * 2^level, (index+1) * 2^level)
 *   'K' size(8)                   -> a checkpoint this node signed at SIZE
 *                                    (the signed note, byte for byte)
 *   'W' peer(32)                  -> the latest checkpoint of a peer that was
 *                                    verified consistent (signed note)
 *   'X' peer(32) size(8)          -> evidence: two checkpoints of PEER that no
 *                                    consistency proof joins (WitnessEvidence)
 *   'Y' group(32)                 -> retention_days(4) ts(8) id(32): the group's
 *                                    retention as last seen, and the last post
 *                                    the retention sweep passed
 */
#ifndef RSN_KEYS_H
#define RSN_KEYS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define RSN_TAG_ENTRY 'E'
#define RSN_TAG_BODY 'B'
#define RSN_TAG_SEQ 'S'
#define RSN_TAG_HEAD 'H'
#define RSN_TAG_LEAF 'L'
#define RSN_TAG_LEAF_INDEX 'I'
#define RSN_TAG_FORK 'F'
#define RSN_TAG_FROZEN 'Z'
#define RSN_TAG_GROUP 'G'
#define RSN_TAG_CHARTER 'C'
#define RSN_TAG_MEMBERSHIP 'M'
#define RSN_TAG_POST 'P'
#define RSN_TAG_REPLY 'Q'
#define RSN_TAG_RETRACTION 'R'
#define RSN_TAG_PROFILE 'U'
#define RSN_TAG_COUNTER 'N'
#define RSN_TAG_TREE 'T'
#define RSN_TAG_CHECKPOINT 'K'
#define RSN_TAG_WITNESSED 'W'
#define RSN_TAG_INCONSISTENT 'X'
#define RSN_TAG_RETENTION 'Y'

#define RSN_KEY_MAX 80 /* bytes of the longest key above */

static inline void rsn_be64_put(uint8_t out[8], uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        out[i] = (uint8_t)(v & 0xff);
        v >>= 8;
    }
}

static inline uint64_t rsn_be64_get(const uint8_t in[8])
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) {
        v = (v << 8) | in[i];
    }
    return v;
}

/* TAG a(32): returns the key length (33). */
static inline size_t rsn_key_1(uint8_t *k, char tag, const uint8_t a[32])
{
    k[0] = (uint8_t)tag;
    memcpy(k + 1, a, 32);
    return 33;
}

/* TAG a(32) n(8): 41. */
static inline size_t rsn_key_1n(uint8_t *k, char tag, const uint8_t a[32], uint64_t n)
{
    rsn_key_1(k, tag, a);
    rsn_be64_put(k + 33, n);
    return 41;
}

/* TAG a(32) b(32): 65. */
static inline size_t rsn_key_2(uint8_t *k, char tag, const uint8_t a[32], const uint8_t b[32])
{
    rsn_key_1(k, tag, a);
    memcpy(k + 33, b, 32);
    return 65;
}

/* TAG a(32) n(8) b(32): 73. */
static inline size_t rsn_key_1n2(uint8_t *k, char tag, const uint8_t a[32], uint64_t n,
                                 const uint8_t b[32])
{
    rsn_key_1n(k, tag, a, n);
    memcpy(k + 41, b, 32);
    return 73;
}

/* TAG n(8): 9. */
static inline size_t rsn_key_n(uint8_t *k, char tag, uint64_t n)
{
    k[0] = (uint8_t)tag;
    rsn_be64_put(k + 1, n);
    return 9;
}

/* 'T' level(1) index(8): 10. */
static inline size_t rsn_key_tree(uint8_t *k, unsigned level, uint64_t index)
{
    k[0] = RSN_TAG_TREE;
    k[1] = (uint8_t)level;
    rsn_be64_put(k + 2, index);
    return 10;
}

#endif
