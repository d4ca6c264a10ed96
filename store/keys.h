/* keys.h — the layout of keys in a node's LevelDB database.
 *
 * Every key starts with one tag byte; numbers are big-endian so that byte
 * order is numeric order. docs/store.md describes each. The values:
 *
 *   (format 3: an entry is named inside the store by its 8-byte log index
 *   wherever a key or value only points at it; 'I' turns an id into it)
 *   'E' index(8)                  -> SignedEntry{entry, signature} (no body),
 *                                    the exact bytes received
 *   'B' index(8)                  -> body bytes (deleted when erased)
 *   'D' id(32)                    -> peer(32): body missing: the entry is held
 *                                    without its body for no reason known (PEER
 *                                    sent it bare); fetched again
 *   'O' id(32)                    -> by(32): body erased, and the reason held:
 *                                    the erase-retraction, or the group whose
 *                                    retention dropped it
 *   'S' author(32) seq(8)         -> index(8)
 *   'H' author(32)                -> seq(8) id(32): the feed head
 *   'L' index(8)                  -> id(32): transparency log leaves, in order
 *   'I' id(32)                    -> index(8) ms(8): leaf index of an entry,
 *                                    and when this node first received it
 *                                    (written with 'E', never rewritten)
 *   'F' author(32) seq(8)         -> ForkEvidence
 *   'Z' author(32)                -> seq(8): feed frozen from this seq on
 *   'G' group(32)                 -> "" : group founded (charter v1 held)
 *   'C' group(32) index(8)        -> "" : a charter entry naming the group
 *   'M' group(32) ts(8) index(8)  -> "" : a membership entry of the group
 *   'P' group(32) ts(8) index(8)  -> "" : a post of the group (ts = its effective
 *                                    time: the earlier of its timestamp and
 *                                    its received time, in 'I')
 *   'Q' parent(32) index(8)       -> "" : a reply to PARENT (an id: the parent
 *                                    may not be held)
 *   'R' target(32) index(8)       -> "" : a retraction naming TARGET (an id)
 *   'U' author(32)                -> seq(8) id(32): the author's latest profile
 *   'N' name                      -> u64(8): counters ("entries", "authors",
 *                                    "groups", "forks", "leaves")
 *   'T' level(1) index(8)         -> hash(32): the transparency log's complete
 *                                    subtree covering leaves
 *                                    [index * 2^level, (index+1) * 2^level),
 *                                    for level >= RSN_TREE_LEVEL_STORED, and
 *                                    below it only the (at most one per
 *                                    level) on the log's right edge; the
 *                                    others are hashed from 'L' when asked
 *   'K' size(8)                   -> a checkpoint this node signed at SIZE
 *                                    (the signed note, byte for byte)
 *   'W' peer(32)                  -> the latest checkpoint of a peer that was
 *                                    verified consistent (signed note)
 *   'X' peer(32) size(8)          -> evidence: two checkpoints of PEER that no
 *                                    consistency proof joins (WitnessEvidence)
 *   'Y' group(32)                 -> retention_days(4): the retention of the
 *                                    group's current charter as last seen
 *   'Y' group(32) version(32)     -> ts(8) id(32): the last post the retention
 *                                    sweep of the posts kept under charter
 *                                    VERSION passed
 *   'V'                           -> u32(4): the store's format version
 *   'f' index(8)                  -> an entry's facts at first sight (a fact:
 *                                    kept by a reindex)
 *   'p' index(8)                  -> a post's judgment (counted, site)
 *   'c' group mlen mission        -> a mission's counters ("" = the group)
 *   'd' group mlen mission day(4) -> one day's counters
 *   'a' / 's' group mlen mission author / site(16) -> posts counted
 *   't' group mlen mission day(4) 's' site(16) -> posts that day by that site
 *                                    (no author keys: report_state.c author_day_edge)
 *   'r' id                        -> u64(8): replies counted to ID
 *   'j' n                         -> a queued re-judge job
 *   'u' group                     -> u64(8): jobs pending ('u' alone: the next
 *                                    job number); docs/store.md says more
 *   'b'                           -> hash(32): the fork digest, as committed
 *   'b' bucket(1)                 -> hash(32): the digest of one bucket of feed
 *                                    heads, as committed (daemon/digest.h);
 *                                    both written in the batch of the heads
 *                                    and evidence they sum
 *
 * Code builds keys with the rsn_key_<what> functions at the end of this file,
 * named for what the key holds, and compares lengths with the RSN_KEYLEN_*
 * names; the generic shapes (rsn_key_1, rsn_key_1n, ...) are what they are
 * built from.
 */
#ifndef RSN_KEYS_H
#define RSN_KEYS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define RSN_TAG_ENTRY 'E'
#define RSN_TAG_BODY 'B'
#define RSN_TAG_BODY_MISSING 'D'
#define RSN_TAG_BODY_ERASED 'O'
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
#define RSN_TAG_FORMAT 'V'
#define RSN_TAG_DERIVED 'v'      /* the derive watermark (daemon/derive.h) */
#define RSN_TAG_DERIVE_QUEUE 'q' /* events for the derive pass */
#define RSN_TAG_REINDEX 'i'      /* an online reindex under way (daemon/derive.h) */
/* derived group state (daemon/group_state.h) */
#define RSN_TAG_GS_GROUP 'g'  /* group -> the group's derived state */
#define RSN_TAG_GS_MEMBER 'm' /* group member -> one member's record */
#define RSN_TAG_GS_NAME 'n'   /* name(40, zero-padded) group -> "" : the name index */
#define RSN_TAG_GS_EVENT 'e'  /* group member index -> one membership event's facts */
#define RSN_TAG_GS_AUTHOR 'h' /* author index -> group [member]: what the author wrote */
#define RSN_TAG_GS_JOB 'k'    /* kind(1) key(32) -> cursor: queued background work */
#define RSN_TAG_GS_FACTS 'l'  /* index -> group member facts: a membership at first sight (kept) */
#define RSN_GS_NAME_KEY 40    /* bytes of a group's name kept in an 'n' key */
/* the report's derived state (daemon/report_state.h) */
#define RSN_TAG_FACTS 'f'        /* index: an entry's facts at first sight (kept by reindex) */
#define RSN_TAG_JUDGED 'p'       /* index: a post's judgment (counted, under which site) */
#define RSN_TAG_RCOUNT 'c'       /* group mission: a mission's counters */
#define RSN_TAG_RDAY 'd'         /* group mission day: one day's counters */
#define RSN_TAG_RAUTHOR 'a'      /* group mission author: posts counted */
#define RSN_TAG_RSITE 's'        /* group mission site: posts counted */
#define RSN_TAG_RDAYKEY 't'      /* group mission day s site: posts that day by that site */
#define RSN_TAG_REPLIES 'r'      /* id: replies counted */
#define RSN_TAG_JOB 'j'          /* n: a queued re-judge job */
#define RSN_TAG_JOBS_PENDING 'u' /* group: jobs pending; alone: the next job number */
#define RSN_TAG_SITE_OF 'o'      /* author: the site (hash) its posts were last judged under */
#define RSN_TAG_RDAYS 'w'        /* group mission a|s author|site: the days it has posts */
#define RSN_TAG_RLATEST 'x'      /* group mission day: authors and sites whose latest day it is */
#define RSN_TAG_DIGEST 'b'

#define RSN_KEY_MAX 112 /* bytes of the longest key above ('t': 103) */

/* The lengths of the key shapes: a tag, then 32-byte ids and 8-byte numbers. */
#define RSN_KEYLEN_TAG 1                     /* TAG: a prefix of one kind of key */
#define RSN_KEYLEN_N (1 + 8)                 /* TAG n */
#define RSN_KEYLEN_ID (1 + 32)               /* TAG id */
#define RSN_KEYLEN_ID_N (1 + 32 + 8)         /* TAG id n */
#define RSN_KEYLEN_ID_ID (1 + 32 + 32)       /* TAG id id */
#define RSN_KEYLEN_ID_N_ID (1 + 32 + 8 + 32) /* TAG id n id */
#define RSN_KEYLEN_ID_N_N (1 + 32 + 8 + 8)   /* TAG id n index: 'M', 'P' */
#define RSN_KEYLEN_TREE (1 + 1 + 8)          /* 'T' level index */
/* where the trailing id of a TAG id id and a TAG id n id key starts */
#define RSN_KEYOFF_ID_ID 33
#define RSN_KEYOFF_ID_N_ID 41
/* where the trailing log index of a TAG id index and a TAG id n index key starts */
#define RSN_KEYOFF_ID_N 33
#define RSN_KEYOFF_ID_N_N 41
/* 'I': index(8) then the received time (ms, 8) */
#define RSN_LEAF_INDEX_VALUE 16
/* 'T' keys are stored from this level up; a subtree below it is kept only
 * while it is on the log's right edge (what a start reads), else hashed
 * from its 'L' leaves (at most 2^(level) - 1 of them) when asked for */
#define RSN_TREE_LEVEL_STORED 2

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

/* --- the keys, by what they hold ------------------------------------------ */

/* 'E' index: the stored SignedEntry of the entry at log INDEX (header and
 * signature). */
static inline size_t rsn_key_entry(uint8_t *k, uint64_t index)
{
    return rsn_key_n(k, RSN_TAG_ENTRY, index);
}

/* 'B' index: the body of the entry at log INDEX, while it is held. */
static inline size_t rsn_key_body(uint8_t *k, uint64_t index)
{
    return rsn_key_n(k, RSN_TAG_BODY, index);
}

/* 'D' id: the entry is held without its body for no reason known. */
static inline size_t rsn_key_body_missing(uint8_t *k, const uint8_t id[32])
{
    return rsn_key_1(k, RSN_TAG_BODY_MISSING, id);
}

/* 'O' id: the entry's body was erased, and why (the value). */
static inline size_t rsn_key_body_erased(uint8_t *k, const uint8_t id[32])
{
    return rsn_key_1(k, RSN_TAG_BODY_ERASED, id);
}

/* 'S' author seq: the log index of the entry at SEQ of AUTHOR's feed. */
static inline size_t rsn_key_feed_seq(uint8_t *k, const uint8_t author[32], uint64_t seq)
{
    return rsn_key_1n(k, RSN_TAG_SEQ, author, seq);
}

/* 'H' author: the head (seq, id) of AUTHOR's feed. */
static inline size_t rsn_key_feed_head(uint8_t *k, const uint8_t author[32])
{
    return rsn_key_1(k, RSN_TAG_HEAD, author);
}

/* 'L' index: the id of the transparency log's leaf INDEX. */
static inline size_t rsn_key_leaf(uint8_t *k, uint64_t index)
{
    return rsn_key_n(k, RSN_TAG_LEAF, index);
}

/* 'I' id: the leaf index of an entry and when it was received. */
static inline size_t rsn_key_leaf_index(uint8_t *k, const uint8_t id[32])
{
    return rsn_key_1(k, RSN_TAG_LEAF_INDEX, id);
}

/* 'F' author seq: fork evidence against AUTHOR at SEQ. */
static inline size_t rsn_key_fork(uint8_t *k, const uint8_t author[32], uint64_t seq)
{
    return rsn_key_1n(k, RSN_TAG_FORK, author, seq);
}

/* 'Z' author: the seq from which AUTHOR's feed is frozen. */
static inline size_t rsn_key_frozen(uint8_t *k, const uint8_t author[32])
{
    return rsn_key_1(k, RSN_TAG_FROZEN, author);
}

/* 'G' group: the group is founded. */
static inline size_t rsn_key_group(uint8_t *k, const uint8_t group[32])
{
    return rsn_key_1(k, RSN_TAG_GROUP, group);
}

/* 'C' group index: the charter entry at log INDEX names GROUP. */
static inline size_t rsn_key_group_charter(uint8_t *k, const uint8_t group[32], uint64_t index)
{
    return rsn_key_1n(k, RSN_TAG_CHARTER, group, index);
}

/* TAG a(32) n(8) index(8): 49. */
static inline size_t rsn_key_1nn(uint8_t *k, char tag, const uint8_t a[32], uint64_t n,
                                 uint64_t index)
{
    rsn_key_1n(k, tag, a, n);
    rsn_be64_put(k + 41, index);
    return 49;
}

/* 'M' group ts index: the membership entry at log INDEX, of GROUP. */
static inline size_t rsn_key_group_membership(uint8_t *k, const uint8_t group[32], uint64_t ts,
                                              uint64_t index)
{
    return rsn_key_1nn(k, RSN_TAG_MEMBERSHIP, group, ts, index);
}

/* 'P' group ts index: the post at log INDEX, of GROUP, at its effective time
 * TS (the earlier of its timestamp and when this node received it:
 * daemon/clock.h). */
static inline size_t rsn_key_group_post(uint8_t *k, const uint8_t group[32], uint64_t ts,
                                        uint64_t index)
{
    return rsn_key_1nn(k, RSN_TAG_POST, group, ts, index);
}

/* 'Q' parent index: the entry at log INDEX is a reply to PARENT (an id). */
static inline size_t rsn_key_reply(uint8_t *k, const uint8_t parent[32], uint64_t index)
{
    return rsn_key_1n(k, RSN_TAG_REPLY, parent, index);
}

/* 'R' target index: the entry at log INDEX is a retraction naming TARGET. */
static inline size_t rsn_key_retraction(uint8_t *k, const uint8_t target[32], uint64_t index)
{
    return rsn_key_1n(k, RSN_TAG_RETRACTION, target, index);
}

/* 'U' author: the author's latest profile. */
static inline size_t rsn_key_profile(uint8_t *k, const uint8_t author[32])
{
    return rsn_key_1(k, RSN_TAG_PROFILE, author);
}

/* 'N' name: a counter; K must hold RSN_KEY_MAX bytes, NAME is truncated to fit. */
static inline size_t rsn_key_counter(uint8_t *k, const char *name)
{
    size_t n = strlen(name);
    if (n > RSN_KEY_MAX - 1) {
        n = RSN_KEY_MAX - 1;
    }
    k[0] = RSN_TAG_COUNTER;
    memcpy(k + 1, name, n);
    return 1 + n;
}

/* 'K' size: the checkpoint this node signed at SIZE. */
static inline size_t rsn_key_checkpoint(uint8_t *k, uint64_t size)
{
    return rsn_key_n(k, RSN_TAG_CHECKPOINT, size);
}

/* 'W' peer: the latest consistent checkpoint of PEER. */
static inline size_t rsn_key_witnessed(uint8_t *k, const uint8_t peer[32])
{
    return rsn_key_1(k, RSN_TAG_WITNESSED, peer);
}

/* 'X' peer size: evidence that PEER's log is inconsistent at SIZE. */
static inline size_t rsn_key_inconsistent(uint8_t *k, const uint8_t peer[32], uint64_t size)
{
    return rsn_key_1n(k, RSN_TAG_INCONSISTENT, peer, size);
}

/* 'Y' group: the retention of GROUP's current charter, as last seen. */
static inline size_t rsn_key_retention(uint8_t *k, const uint8_t group[32])
{
    return rsn_key_1(k, RSN_TAG_RETENTION, group);
}

/* 'Y' group version: where the retention sweep of the posts of GROUP kept
 * under charter VERSION (an entry id) stopped. */
static inline size_t rsn_key_retention_version(uint8_t *k, const uint8_t group[32],
                                               const uint8_t version[32])
{
    return rsn_key_2(k, RSN_TAG_RETENTION, group, version);
}

/* 'V': the store's format version. */
static inline size_t rsn_key_format(uint8_t *k)
{
    k[0] = RSN_TAG_FORMAT;
    return 1;
}

/* 'v': the log size the derived state covers (daemon/derive.h). */
static inline size_t rsn_key_derived(uint8_t *k)
{
    k[0] = RSN_TAG_DERIVED;
    return 1;
}

/* 'i': an online reindex under way: phase(1) events(8) (daemon/derive.h). */
static inline size_t rsn_key_reindex(uint8_t *k)
{
    k[0] = RSN_TAG_REINDEX;
    return 1;
}

/* 'q' n: the derive pass's queued event number N. */
static inline size_t rsn_key_derive_queue(uint8_t *k, uint64_t n)
{
    return rsn_key_n(k, RSN_TAG_DERIVE_QUEUE, n);
}

/* 'g' group: GROUP's derived state (daemon/group_state.h). */
static inline size_t rsn_key_gs_group(uint8_t *k, const uint8_t group[32])
{
    return rsn_key_1(k, RSN_TAG_GS_GROUP, group);
}

/* 'm' group member: MEMBER's record in GROUP. */
static inline size_t rsn_key_gs_member(uint8_t *k, const uint8_t group[32],
                                       const uint8_t member[32])
{
    return rsn_key_2(k, RSN_TAG_GS_MEMBER, group, member);
}

/* 'e' group member index: the facts of the membership event at log INDEX
 * that concerns MEMBER in GROUP. */
static inline size_t rsn_key_gs_event(uint8_t *k, const uint8_t group[32], const uint8_t member[32],
                                      uint64_t index)
{
    rsn_key_2(k, RSN_TAG_GS_EVENT, group, member);
    rsn_be64_put(k + 65, index);
    return 73;
}

/* 'l' index: the facts of the membership at log INDEX as first seen
 * (group, member, then the 'e' value): a fact, kept by a reindex, from
 * which 'e' and 'h' are derived again when its body is gone. */
static inline size_t rsn_key_gs_facts(uint8_t *k, uint64_t index)
{
    return rsn_key_n(k, RSN_TAG_GS_FACTS, index);
}

/* 'h' author index: the charter or membership at log INDEX that AUTHOR
 * wrote (the value names its group, and member). */
static inline size_t rsn_key_gs_author(uint8_t *k, const uint8_t author[32], uint64_t index)
{
    return rsn_key_1n(k, RSN_TAG_GS_AUTHOR, author, index);
}

/* 'n' name(40) group: GROUP's current name, its first RSN_GS_NAME_KEY bytes
 * zero-padded (byte order is name order). */
static inline size_t rsn_key_gs_name(uint8_t *k, const char *name, const uint8_t group[32])
{
    size_t n = strlen(name);
    n = n < RSN_GS_NAME_KEY ? n : RSN_GS_NAME_KEY;
    k[0] = RSN_TAG_GS_NAME;
    memset(k + 1, 0, RSN_GS_NAME_KEY);
    memcpy(k + 1, name, n);
    memcpy(k + 1 + RSN_GS_NAME_KEY, group, 32);
    return 1 + RSN_GS_NAME_KEY + 32;
}

/* 'k' kind key: a queued background job of the group state (KIND 'g': a
 * group's members, KEY the group; 'f': a forked author's records). */
static inline size_t rsn_key_gs_job(uint8_t *k, char kind, const uint8_t key[32])
{
    k[0] = RSN_TAG_GS_JOB;
    k[1] = (uint8_t)kind;
    memcpy(k + 2, key, 32);
    return 34;
}

/* --- the report's derived state (daemon/report_state.h) ---------------------- */

#define RSN_SITE_HASH_BYTES 16 /* a site in a key: the first bytes of SHA-256(site) */

/* 'f' index: the facts of the entry at log INDEX, as first seen. */
static inline size_t rsn_key_facts(uint8_t *k, uint64_t index)
{
    return rsn_key_n(k, RSN_TAG_FACTS, index);
}

/* 'p' index: the judgment of the post at log INDEX. */
static inline size_t rsn_key_judged(uint8_t *k, uint64_t index)
{
    return rsn_key_n(k, RSN_TAG_JUDGED, index);
}

/* TAG group mlen(1) mission: the head of every per-mission report key
 * (MISSION "" is the whole group); at most 66 bytes. */
static inline size_t rsn_key_mission(uint8_t *k, char tag, const uint8_t group[32],
                                     const char *mission)
{
    size_t n = strlen(mission);
    n = n > 32 ? 32 : n;
    rsn_key_1(k, tag, group);
    k[33] = (uint8_t)n;
    memcpy(k + 34, mission, n);
    return 34 + n;
}

/* 'c' group mission: the counters of MISSION of GROUP. */
static inline size_t rsn_key_report_count(uint8_t *k, const uint8_t group[32], const char *mission)
{
    return rsn_key_mission(k, RSN_TAG_RCOUNT, group, mission);
}

/* 'd' group mission day(4): the counters of one day (days since the epoch, UTC). */
static inline size_t rsn_key_report_day(uint8_t *k, const uint8_t group[32], const char *mission,
                                        uint32_t day)
{
    size_t n = rsn_key_mission(k, RSN_TAG_RDAY, group, mission);
    for (int i = 3; i >= 0; i--, day >>= 8) {
        k[n + (size_t)i] = (uint8_t)(day & 0xff);
    }
    return n + 4;
}

/* 'a' group mission author: the posts of AUTHOR counted in MISSION. */
static inline size_t rsn_key_report_author(uint8_t *k, const uint8_t group[32], const char *mission,
                                           const uint8_t author[32])
{
    size_t n = rsn_key_mission(k, RSN_TAG_RAUTHOR, group, mission);
    memcpy(k + n, author, 32);
    return n + 32;
}

/* 's' group mission site: the posts counted in MISSION by authors of SITE. */
static inline size_t rsn_key_report_site(uint8_t *k, const uint8_t group[32], const char *mission,
                                         const uint8_t site[RSN_SITE_HASH_BYTES])
{
    size_t n = rsn_key_mission(k, RSN_TAG_RSITE, group, mission);
    memcpy(k + n, site, RSN_SITE_HASH_BYTES);
    return n + RSN_SITE_HASH_BYTES;
}

/* 't' group mission day(4) WHAT who: the posts counted that day by one site
 * (WHAT 's', WHO RSN_SITE_HASH_BYTES). WHAT 'a' (an author, WHO 32 bytes)
 * builds the key of format 3's stores before 2026-12-02, which kept one per
 * author and day too; nothing writes or reads those now (a reindex deletes
 * them with the rest of 't'). */
static inline size_t rsn_key_report_day_who(uint8_t *k, const uint8_t group[32],
                                            const char *mission, uint32_t day, char what,
                                            const uint8_t *who)
{
    size_t n = rsn_key_report_day(k, group, mission, day);
    size_t wl = what == 'a' ? 32 : RSN_SITE_HASH_BYTES;
    k[0] = RSN_TAG_RDAYKEY;
    k[n] = (uint8_t)what;
    memcpy(k + n + 1, who, wl);
    return n + 1 + wl;
}

/* 'r' id: the replies counted to post ID. */
static inline size_t rsn_key_reply_count(uint8_t *k, const uint8_t id[32])
{
    return rsn_key_1(k, RSN_TAG_REPLIES, id);
}

/* 'j' n: re-judge job number N. */
static inline size_t rsn_key_job(uint8_t *k, uint64_t n)
{
    return rsn_key_n(k, RSN_TAG_JOB, n);
}

/* 'u' group: the jobs pending that concern GROUP (zeros: a feed's jobs);
 * GROUP NULL: 'u' alone, the next job number. */
static inline size_t rsn_key_jobs_pending(uint8_t *k, const uint8_t *group)
{
    k[0] = RSN_TAG_JOBS_PENDING;
    return group ? rsn_key_1(k, RSN_TAG_JOBS_PENDING, group) : 1;
}

/* 'o' author: the hash of the site AUTHOR's posts were last judged under
 * (absent: no site), so that only a profile that moves it re-judges them. */
static inline size_t rsn_key_site_of(uint8_t *k, const uint8_t author[32])
{
    return rsn_key_1(k, RSN_TAG_SITE_OF, author);
}

/* 'w' group mission WHAT('a' or 's') who: the days on which one author
 * (WHO 32 bytes) or one site (RSN_SITE_HASH_BYTES) has posts counted in
 * MISSION (the 't' keys of WHO, in one value), so its latest such day is one
 * read away. */
static inline size_t rsn_key_report_days_of(uint8_t *k, const uint8_t group[32],
                                            const char *mission, char what, const uint8_t *who)
{
    size_t n = rsn_key_mission(k, RSN_TAG_RDAYS, group, mission);
    size_t wl = what == 'a' ? 32 : RSN_SITE_HASH_BYTES;
    k[n] = (uint8_t)what;
    memcpy(k + n + 1, who, wl);
    return n + 1 + wl;
}

/* 'x' group mission day(4): how many authors and sites have DAY as their
 * latest day with posts counted in MISSION (a window's distinct counts). */
static inline size_t rsn_key_report_latest(uint8_t *k, const uint8_t group[32], const char *mission,
                                           uint32_t day)
{
    size_t n = rsn_key_report_day(k, group, mission, day);
    k[0] = RSN_TAG_RLATEST;
    return n;
}

/* 'b': the persisted fork digest. */
static inline size_t rsn_key_digest_forks(uint8_t *k)
{
    k[0] = RSN_TAG_DIGEST;
    return 1;
}

/* 'b' bucket: the persisted digest of feed-head bucket BUCKET (0..255). */
static inline size_t rsn_key_digest_bucket(uint8_t *k, unsigned bucket)
{
    k[0] = RSN_TAG_DIGEST;
    k[1] = (uint8_t)bucket;
    return 2;
}

/* TAG alone, or TAG a: the prefix of every key of one kind, or of one group's,
 * one feed's or one parent's keys of that kind (rsn_key_prefix(k, RSN_TAG_POST,
 * group) covers the group's posts). A NULL A gives the one-byte prefix. */
static inline size_t rsn_key_prefix(uint8_t *k, char tag, const uint8_t *a)
{
    if (!a) {
        k[0] = (uint8_t)tag;
        return RSN_KEYLEN_TAG;
    }
    return rsn_key_1(k, tag, a);
}

#endif
