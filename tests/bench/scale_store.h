/* scale_store.h — bench_scale's stores: built once, kept between runs.
 *
 * A store of a shape (scale_shape.h) lives in
 * ${RAISON_BENCH_CACHE:-/var/tmp/raison-bench-scale}/TOTAL-vVERSION-FORMAT/:
 * `node/` is a raisond data folder (node key and `db/`), `manifest.json`
 * what the benchmark needs to read it back (the shape, the keys the read
 * calls name, the signed bytes, how the build went) and `sample.bin` a
 * sample of its signed entries for the raw verify rate. VERSION is the
 * generator's (SCALE_SHAPE_VERSION, raised when the entries change), FORMAT
 * the first hex digits of SHA-256(store/keys.h) at configure time, so a
 * change of the store's keys builds anew; a folder the node refuses is
 * rebuilt by the caller (scale_store_ensure with REBUILD).
 *
 * Building signs the entries in chunks on both cores and publishes them
 * through the API to a raisond on the folder, many in flight, in the
 * generator's order; every acknowledgement is checked, and its broken_rule
 * counted (the known rule breakers apart). When the API would take too long
 * — today's node judges a post of the busy group by loading every one of
 * its 100,000 membership events — the rest is staged straight through the
 * node's write path (daemon/ingest.h) as entries from a peer, which the
 * node does not judge: the manifest says how many went which way. */
#ifndef RSN_BENCH_SCALE_STORE_H
#define RSN_BENCH_SCALE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scale_shape.h"
#include "support/node.h"

/* Raised whenever the generator makes other entries for the same shape. */
#define SCALE_SHAPE_VERSION 1
/* Entries kept in sample.bin, at most. */
#define SCALE_SAMPLE_MAX 20000

typedef enum { SCALE_VIA_AUTO, SCALE_VIA_API, SCALE_VIA_DIRECT } scale_via_t;

/* How to build. */
typedef struct {
    scale_via_t via;
    double
        api_limit_s; /* auto: the API build's projected length beyond which the rest goes direct */
    size_t inflight;
    int threads;
    bool rebuild;
} scale_build_opts_t;

/* How the build went (from this run, or from the manifest). */
typedef struct {
    bool cached;
    char built_at[32];
    double seconds;        /* the whole build */
    double sign_seconds;   /* of which: making and signing the entries */
    double api_seconds;    /* publishing through the API */
    uint64_t via_api;      /* entries published through the API */
    uint64_t via_direct;   /* entries staged straight through the write path */
    double ingest_rate;    /* via_api / api_seconds */
    double raw_at_build;   /* raw verify rate measured when it was built */
    uint64_t broken_known; /* acknowledgements with the expected broken rule */
    uint64_t broken_other; /* any other broken rule (a bug in the shape or the node) */
    long builder_rss_kb, builder_hwm_kb; /* the API builder's, after the ingest */
} scale_build_t;

/* One store: where it is, its shape, what the generator saw, the build, and
 * a sample of its signed entries. */
typedef struct {
    char dir[RSN_TEST_PATH_MAX];
    char manifest[RSN_TEST_PATH_MAX + 16];
    char sample_path[RSN_TEST_PATH_MAX + 16];
    scale_shape_t shape;
    scale_facts_t facts;
    scale_build_t build;
    rsn_test_signed_t *sample;
    size_t n_sample;
    uint8_t *sample_bytes;
} scale_store_t;

/* The facts of the manifest file MANIFEST (a store's manifest.json) into
 * *F, for tools that read a copy of a store: 0 or RSN_ERR_IO. */
int scale_store_read_facts(const char *manifest, scale_facts_t *f);

/* Finds the store of TOTAL entries in the cache, or builds it (rebuilt when
 * O->rebuild, or when what is there does not match), into ST. RAISOND is the
 * daemon to build with. 0, or -1 after printing why. */
int scale_store_ensure(scale_store_t *st, const char *raisond, size_t total,
                       const scale_build_opts_t *o);

/* Frees what ST holds (not the folder). */
void scale_store_free(scale_store_t *st);

/* Bytes the data folder's db/ takes on disk (du), or 0. With CLEAN, first
 * opens and closes the stopped node's store: LevelDB's open deletes the
 * table files a compaction replaced while a reader still held them (no
 * longer part of the database: a running node deletes them at its next
 * compaction or start, docs/store.md "Measured"). */
uint64_t scale_store_disk(const scale_store_t *st, bool clean);

/* VmRSS and VmHWM of process PID in kB (-1 when unknown). */
void scale_proc_memory(int pid, long *rss_kb, long *hwm_kb);

/* RssAnon of process PID in kB (-1 when unknown): its own memory, without
 * the pages of the files it maps (LevelDB maps its tables: those pages are
 * the page cache's, and count in VmRSS while mapped). */
long scale_proc_anon(int pid);

#endif
