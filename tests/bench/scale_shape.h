/* scale_shape.h — the entries of bench_scale's stores: "a year of a large
 * company", made the same way every time.
 *
 * A shape is the size of a store in entries; everything else follows from
 * it (issue 10, "Benchmarks"; at 1,000,000 entries): 100,000 authors, each
 * with a profile naming one of 20 sites (1% change site later); 1,000 groups
 * with 2 to 4 missions (every 7th members-only), one in ten amended to v2 and
 * one in thirty to v3 by an owner; one busy members-only group with 300,000
 * posts and 50,000 members (each an owner's add answered by the member's
 * join naming the charter version), 40 members in each other group; the rest
 * posts in the other groups, a third of all posts replying to an earlier
 * post of their group (authors of different sites, so some replies cross
 * sites); 1% of the posts retracted by their author, a third of those with
 * erasure; and a known few posts that break a rule (an unknown mission) so
 * that the count of broken rules is checked, not assumed. Sizes scale with
 * the shape (10,000 entries: 1,000 authors, 10 groups, 3,000 busy posts, 500
 * members), never under a floor that keeps every part present.
 *
 * Claimed timestamps spread over the year before BASE_MS + 366 days, in
 * the order the entries are made; that order is also a publishing order
 * that keeps every feed in seq order and every entry after what it names
 * (a join after its add, a reply after its parent). Keys come from seeds
 * (SHA-256 of the author's number), bodies from a seeded generator, so a
 * shape and BASE_MS give the same entries on every run.
 *
 * The generator hands out chunks of unsigned entries with their ids
 * (support/entries.h, rsn_test_entry_make): ids chain the feeds and name
 * parents, so they are made in order on one thread; the signatures do not,
 * and scale_gen_sign makes them on several threads. */
#ifndef RSN_BENCH_SCALE_SHAPE_H
#define RSN_BENCH_SCALE_SHAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "support/entries.h"

/* Entries of one chunk, at most. */
#define SCALE_CHUNK 16384
/* Authors, groups and entries a shape names for the read calls. */
#define SCALE_SAMPLE_KEYS 64
/* Posts that break a rule on purpose (an unknown mission). */
#define SCALE_KNOWN_BROKEN 4
/* Sites the profiles name. */
#define SCALE_SITES 20

/* What a shape of TOTAL entries holds (scale_shape_for). */
typedef struct {
    size_t total;
    size_t authors;
    size_t groups; /* the busy group included */
    size_t busy_members;
    size_t busy_posts;
    size_t other_members; /* per other group */
    size_t posts;         /* every group's */
    size_t retractions;
    size_t profile_changes;
    size_t amendments;
    uint64_t base_ms; /* claimed time of the first entry */
} scale_shape_t;

/* The shape of TOTAL entries starting at BASE_MS. */
void scale_shape_for(scale_shape_t *s, size_t total, uint64_t base_ms);

/* What the generator remembers for the read benchmark and the manifest. */
typedef struct {
    uint8_t busy[RSN_ID_BYTES];
    char busy_name[32];
    size_t n_groups; /* other groups named below */
    uint8_t group[SCALE_SAMPLE_KEYS][RSN_ID_BYTES];
    char group_name[SCALE_SAMPLE_KEYS][32];
    size_t n_authors;
    uint8_t author[SCALE_SAMPLE_KEYS][RSN_KEY_BYTES];
    size_t n_entries;
    uint8_t entry[SCALE_SAMPLE_KEYS][RSN_ID_BYTES];
    uint64_t made;         /* entries made so far */
    uint64_t signed_bytes; /* entry + signature + body, summed */
    uint64_t by_kind[6];   /* entries made, by Raison__Kind */
    uint64_t replies;      /* posts that reply to another */
    uint64_t cross_site;   /* of those, to a post of another site */
    uint64_t erasures;     /* retractions that erase */
    uint64_t known_broken; /* posts made to break a rule */
} scale_facts_t;

typedef struct scale_gen scale_gen_t;

/* One chunk: N entries in publishing order (ORDER points into ALL), their
 * authors' numbers, and which are the known rule breakers. */
typedef struct {
    rsn_test_signed_t all[SCALE_CHUNK];
    rsn_test_signed_t *order[SCALE_CHUNK];
    uint32_t author[SCALE_CHUNK];
    bool broken[SCALE_CHUNK];
    size_t n;
} scale_chunk_t;

/* A generator of SHAPE's entries into *OUT. RSN_ERR_NOMEM. */
int scale_gen_new(scale_gen_t **out, const scale_shape_t *shape);

/* Frees *SELF_P; accepts NULL. */
void scale_gen_destroy(scale_gen_t **self_p);

/* The next chunk of unsigned entries (ids made) into C, valid until the
 * next call: C->n is 0 when every entry was made. 0 or a negative rsn_err. */
int scale_gen_next(scale_gen_t *self, scale_chunk_t *c);

/* What the generator has seen so far. */
const scale_facts_t *scale_gen_facts(const scale_gen_t *self);

/* Signs the N entries of C (made by SELF) on THREADS threads (1 or more).
 * 0 or the first failure. */
int scale_gen_sign(scale_gen_t *self, scale_chunk_t *c, int threads);

#endif
