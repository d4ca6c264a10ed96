/* scale_store.c — bench_scale's stores (scale_store.h): the cache folder
 * and its manifest (jansson), the sample of signed entries, and the build:
 * chunks made and signed by the generator, published through the API with
 * support/api.h's pipelined publish (each reply's broken_rule counted), or
 * staged through the write path as from a peer (rsn_ingest_preverify on
 * both cores, rsn_ingest_stage, a commit every DIRECT_BATCH entries). */
#define _GNU_SOURCE /* nftw's FTW_PHYS */
#include "scale_store.h"

#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "bench_util.h"
#include "daemon/ingest.h"
#include "store/store.h"
#include "support/files.h"
#include "support/store_fixture.h"

#ifndef RSN_SCALE_FORMAT
#define RSN_SCALE_FORMAT "unknown"
#endif

#define CACHE_DEFAULT "/var/tmp/raison-bench-scale"
#define DIRECT_BATCH 1024
#define PROGRESS_S 5.0   /* seconds between progress lines */
#define WINDOW_ACKS 2000 /* the API rate is judged over this many acks */
#define START_TIMEOUT_S 600.0

/* ------------------------------------------------------------ manifest -- */

static json_t *hex_of(const uint8_t *bin, size_t len)
{
    char hex[2 * RSN_ID_BYTES + 1];
    rsn_hex_encode(hex, sizeof hex, bin, len);
    return json_string(hex);
}

static bool hex_into(json_t *j, uint8_t out[RSN_ID_BYTES])
{
    return json_is_string(j) && rsn_key_from_hex(out, json_string_value(j)) == 0;
}

static json_t *shape_json(const scale_shape_t *s)
{
    return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "total", (json_int_t)s->total,
                     "authors", (json_int_t)s->authors, "groups", (json_int_t)s->groups,
                     "busy_members", (json_int_t)s->busy_members, "busy_posts",
                     (json_int_t)s->busy_posts, "other_members", (json_int_t)s->other_members,
                     "posts", (json_int_t)s->posts, "retractions", (json_int_t)s->retractions,
                     "profile_changes", (json_int_t)s->profile_changes, "amendments",
                     (json_int_t)s->amendments, "base_ms", (json_int_t)s->base_ms);
}

static json_t *facts_json(const scale_facts_t *f)
{
    json_t *groups = json_array(), *authors = json_array(), *entries = json_array();
    json_t *kinds = json_array();
    for (size_t i = 0; i < f->n_groups; i++) {
        json_array_append_new(groups, json_pack("{s:o,s:s}", "id", hex_of(f->group[i], 32), "name",
                                                f->group_name[i]));
    }
    for (size_t i = 0; i < f->n_authors; i++) {
        json_array_append_new(authors, hex_of(f->author[i], 32));
    }
    for (size_t i = 0; i < f->n_entries; i++) {
        json_array_append_new(entries, hex_of(f->entry[i], 32));
    }
    for (size_t i = 0; i < 6; i++) {
        json_array_append_new(kinds, json_integer((json_int_t)f->by_kind[i]));
    }
    return json_pack("{s:o,s:s,s:o,s:o,s:o,s:I,s:I,s:o,s:I,s:I,s:I,s:I}", "busy",
                     hex_of(f->busy, 32), "busy_name", f->busy_name, "groups", groups, "authors",
                     authors, "entries", entries, "made", (json_int_t)f->made, "signed_bytes",
                     (json_int_t)f->signed_bytes, "by_kind", kinds, "replies",
                     (json_int_t)f->replies, "cross_site", (json_int_t)f->cross_site, "erasures",
                     (json_int_t)f->erasures, "known_broken", (json_int_t)f->known_broken);
}

static json_t *build_json(const scale_build_t *b)
{
    return json_pack("{s:s,s:f,s:f,s:f,s:I,s:I,s:f,s:f,s:I,s:I,s:I,s:I}", "built_at", b->built_at,
                     "seconds", b->seconds, "sign_seconds", b->sign_seconds, "api_seconds",
                     b->api_seconds, "via_api", (json_int_t)b->via_api, "via_direct",
                     (json_int_t)b->via_direct, "ingest_rate", b->ingest_rate, "raw_at_build",
                     b->raw_at_build, "broken_known", (json_int_t)b->broken_known, "broken_other",
                     (json_int_t)b->broken_other, "builder_rss_kb", (json_int_t)b->builder_rss_kb,
                     "builder_hwm_kb", (json_int_t)b->builder_hwm_kb);
}

static int manifest_write(const scale_store_t *st)
{
    json_t *m = json_pack("{s:i,s:s,s:o,s:o,s:o,s:b}", "version", SCALE_SHAPE_VERSION, "format",
                          RSN_SCALE_FORMAT, "shape", shape_json(&st->shape), "facts",
                          facts_json(&st->facts), "build", build_json(&st->build), "complete", 1);
    int rc = m != NULL && json_dump_file(m, st->manifest, JSON_INDENT(1)) == 0 ? 0 : -1;
    json_decref(m);
    if (rc != 0) {
        fprintf(stderr, "bench_scale: cannot write %s\n", st->manifest);
    }
    return rc;
}

static uint64_t u64_of(json_t *o, const char *key)
{
    return (uint64_t)json_integer_value(json_object_get(o, key));
}

static double real_of(json_t *o, const char *key)
{
    return json_number_value(json_object_get(o, key));
}

/* The hex ids of the array J into OUT: how many were read in a row. */
static size_t ids_read(json_t *j, uint8_t out[SCALE_SAMPLE_KEYS][RSN_ID_BYTES])
{
    size_t i, n = 0;
    json_t *v;
    json_array_foreach(j, i, v)
    {
        if (i == n && i < SCALE_SAMPLE_KEYS && hex_into(v, out[i])) {
            n++;
        }
    }
    return n;
}

static bool facts_read(json_t *j, scale_facts_t *f)
{
    bool ok = hex_into(json_object_get(j, "busy"), f->busy);
    snprintf(f->busy_name, sizeof f->busy_name, "%s",
             json_string_value(json_object_get(j, "busy_name")) ?: "");
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(j, "groups"), i, v)
    {
        if (i < SCALE_SAMPLE_KEYS && hex_into(json_object_get(v, "id"), f->group[i])) {
            snprintf(f->group_name[i], sizeof f->group_name[i], "%s",
                     json_string_value(json_object_get(v, "name")) ?: "");
            f->n_groups = i + 1;
        }
    }
    f->n_authors = ids_read(json_object_get(j, "authors"), f->author);
    f->n_entries = ids_read(json_object_get(j, "entries"), f->entry);
    json_array_foreach(json_object_get(j, "by_kind"), i, v)
    {
        if (i < 6) {
            f->by_kind[i] = (uint64_t)json_integer_value(v);
        }
    }
    f->made = u64_of(j, "made");
    f->signed_bytes = u64_of(j, "signed_bytes");
    f->replies = u64_of(j, "replies");
    f->cross_site = u64_of(j, "cross_site");
    f->erasures = u64_of(j, "erasures");
    f->known_broken = u64_of(j, "known_broken");
    return ok && f->n_groups > 0 && f->n_authors > 0 && f->n_entries > 0;
}

int scale_store_read_facts(const char *manifest, scale_facts_t *f)
{
    json_t *m = json_load_file(manifest, 0, NULL);
    memset(f, 0, sizeof *f);
    bool ok = m != NULL && facts_read(json_object_get(m, "facts"), f);
    json_decref(m);
    return ok ? 0 : RSN_ERR_IO;
}

static void build_read(json_t *j, scale_build_t *b)
{
    snprintf(b->built_at, sizeof b->built_at, "%s",
             json_string_value(json_object_get(j, "built_at")) ?: "?");
    b->seconds = real_of(j, "seconds");
    b->sign_seconds = real_of(j, "sign_seconds");
    b->api_seconds = real_of(j, "api_seconds");
    b->via_api = u64_of(j, "via_api");
    b->via_direct = u64_of(j, "via_direct");
    b->ingest_rate = real_of(j, "ingest_rate");
    b->raw_at_build = real_of(j, "raw_at_build");
    b->broken_known = u64_of(j, "broken_known");
    b->broken_other = u64_of(j, "broken_other");
    b->builder_rss_kb = (long)u64_of(j, "builder_rss_kb");
    b->builder_hwm_kb = (long)u64_of(j, "builder_hwm_kb");
    b->cached = true;
}

/* True when the folder holds a complete store of ST's shape and format. */
static bool manifest_matches(scale_store_t *st)
{
    json_error_t err;
    json_t *m = json_load_file(st->manifest, 0, &err);
    bool ok = m != NULL && json_is_true(json_object_get(m, "complete")) &&
              json_integer_value(json_object_get(m, "version")) == SCALE_SHAPE_VERSION &&
              json_is_string(json_object_get(m, "format")) &&
              strcmp(json_string_value(json_object_get(m, "format")), RSN_SCALE_FORMAT) == 0 &&
              u64_of(json_object_get(m, "shape"), "total") == st->shape.total;
    if (ok) {
        scale_shape_for(&st->shape, st->shape.total,
                        u64_of(json_object_get(m, "shape"), "base_ms"));
        ok = facts_read(json_object_get(m, "facts"), &st->facts);
        build_read(json_object_get(m, "build"), &st->build);
    }
    json_decref(m);
    return ok;
}

/* -------------------------------------------------------------- sample -- */

/* Appends the signed entries of C that fall on the sample's stride. */
static void sample_take(scale_store_t *st, const scale_chunk_t *c, uint64_t first, FILE *f)
{
    uint64_t stride = st->shape.total / SCALE_SAMPLE_MAX + 1;
    for (size_t i = 0; i < c->n; i++) {
        if ((first + i) % stride != 0) {
            continue;
        }
        const rsn_test_signed_t *s = &c->all[i];
        uint16_t len = (uint16_t)s->entry_len;
        fwrite(&len, sizeof len, 1, f);
        fwrite(s->author, RSN_KEY_BYTES, 1, f);
        fwrite(s->sig, RSN_SIG_BYTES, 1, f);
        fwrite(s->entry, s->entry_len, 1, f);
    }
}

/* Reads sample.bin back into ST->sample. */
static int sample_load(scale_store_t *st)
{
    size_t len = 0;
    st->sample_bytes = (uint8_t *)rsn_test_file_read(st->sample_path, &len);
    st->sample = calloc(SCALE_SAMPLE_MAX + 1, sizeof *st->sample);
    if (st->sample_bytes == NULL || st->sample == NULL) {
        fprintf(stderr, "bench_scale: cannot read %s\n", st->sample_path);
        return -1;
    }
    size_t at = 0;
    while (at + 2 + RSN_KEY_BYTES + RSN_SIG_BYTES <= len && st->n_sample <= SCALE_SAMPLE_MAX) {
        uint16_t elen;
        memcpy(&elen, st->sample_bytes + at, sizeof elen);
        rsn_test_signed_t *s = &st->sample[st->n_sample];
        s->author = st->sample_bytes + at + 2;
        memcpy(s->sig, st->sample_bytes + at + 2 + RSN_KEY_BYTES, RSN_SIG_BYTES);
        s->entry = st->sample_bytes + at + 2 + RSN_KEY_BYTES + RSN_SIG_BYTES;
        s->entry_len = elen;
        at += 2 + RSN_KEY_BYTES + RSN_SIG_BYTES + elen;
        if (at > len) {
            break;
        }
        st->n_sample++;
    }
    if (st->n_sample == 0) {
        fprintf(stderr, "bench_scale: %s holds no entry\n", st->sample_path);
        return -1;
    }
    return 0;
}

/* --------------------------------------------------------------- build -- */

typedef struct {
    scale_store_t *st;
    const scale_build_opts_t *o;
    const scale_chunk_t *chunk;
    double t0, t_progress;
    double t_window;       /* publishing seconds when the window began */
    double chunk_t0;       /* when this chunk's publishing began */
    uint64_t acked_before; /* entries acknowledged in earlier chunks */
    uint64_t window_from;
    size_t acked;       /* in this chunk */
    double api_seconds; /* before this chunk */
    bool stop;          /* the rest goes direct */
} api_ctx_t;

static int on_reply(void *ctx, size_t index, const rsn_test_signed_t *s,
                    const Raison__ApiReply *reply)
{
    (void)s;
    api_ctx_t *x = ctx;
    scale_build_t *b = &x->st->build;
    x->acked = index + 1;
    const Raison__Error *br = reply->publish->broken_rule;
    if (br != NULL && br->code != RAISON__ERROR_CODE__ERROR_NONE) {
        if (x->chunk->broken[index] && br->code == RAISON__ERROR_CODE__ERROR_UNKNOWN_MISSION) {
            b->broken_known++;
        } else if (b->broken_other++ < 5) {
            fprintf(stderr, "bench_scale: entry %" PRIu64 " breaks a rule (%d): %s\n",
                    x->acked_before + index, (int)br->code, br->message ? br->message : "");
        }
    }
    uint64_t done = x->acked_before + x->acked;
    double now = rsn_test_now();
    double api_now = x->api_seconds + (now - x->chunk_t0); /* time spent publishing */
    if (now - x->t_progress >= PROGRESS_S) {
        x->t_progress = now;
        fprintf(stderr, "  ... %.0f s: %" PRIu64 " of %zu published through the API\n", now - x->t0,
                done, x->st->shape.total);
    }
    if (done - x->window_from >= WINDOW_ACKS) {
        double rate = (double)(done - x->window_from) / (api_now - x->t_window);
        double projected = (double)(x->st->shape.total - done) / rate;
        x->window_from = done;
        x->t_window = api_now;
        if (x->o->via == SCALE_VIA_AUTO && projected > x->o->api_limit_s) {
            fprintf(stderr,
                    "bench_scale: the API takes %.0f entries/s now: the %" PRIu64
                    " entries left would take %.0f s (over %.0f s); the rest is staged through"
                    " the write path as from a peer (not judged)\n",
                    rate, x->st->shape.total - done, projected, x->o->api_limit_s);
            x->stop = true;
            return RSN_ERR_TIMEOUT;
        }
    }
    return 0;
}

typedef struct {
    rsn_test_node_t node;
    rsn_client_t *client;
    rsn_store_t *store;
    rsn_ingest_t *ingest;
    size_t staged;
} sink_t;

static int direct_open(scale_store_t *st, sink_t *k)
{
    char db[RSN_TEST_PATH_MAX + 8];
    snprintf(db, sizeof db, "%s/node/db", st->dir);
    int rc = rsn_store_open(&k->store, db);
    if (rc == 0) {
        rc = rsn_ingest_new(&k->ingest, k->store);
    }
    if (rc != 0) {
        fprintf(stderr, "bench_scale: cannot open %s: %s\n", db, rsn_strerror(rc));
    }
    return rc;
}

static int direct_commit(sink_t *k)
{
    int rc = rsn_ingest_commit(k->ingest);
    rsn_ingest_committed_clear(k->ingest);
    if (rc != 0) {
        fprintf(stderr, "bench_scale: commit failed: %s\n", rsn_strerror(rc));
    }
    return rc;
}

/* Stages C's entries from FROM on through the write path, as from a peer. */
static int direct_stage(sink_t *k, const scale_chunk_t *c, size_t from)
{
    rsn_ingest_input_t in[DIRECT_BATCH];
    for (size_t at = from; at < c->n; at += DIRECT_BATCH) {
        size_t n = c->n - at < DIRECT_BATCH ? c->n - at : DIRECT_BATCH;
        for (size_t i = 0; i < n; i++) {
            in[i] = rsn_test_store_input(&c->all[at + i], RSN_INGEST_RELAYED);
        }
        rsn_ingest_preverify(k->ingest, in, n);
        for (size_t i = 0; i < n; i++) {
            rsn_ingest_result_t res;
            char why[256] = "";
            int rc = rsn_ingest_stage(k->ingest, &in[i], &res, why, sizeof why);
            if (rc != 0) {
                fprintf(stderr, "bench_scale: staging entry %zu refused (%s): %s\n", at + i,
                        rsn_strerror(rc), why);
                return rc;
            }
        }
        k->staged += n;
        if (direct_commit(k) != 0) {
            return -1;
        }
    }
    return 0;
}

/* Publishes C through the API; on the API's switch to direct (auto), stops
 * the node and stages the rest. */
static int publish_chunk(scale_store_t *st, const scale_build_opts_t *o, sink_t *k, api_ctx_t *x,
                         const scale_chunk_t *c)
{
    x->chunk = c;
    x->acked = 0;
    rsn_test_publish_opts_t po = {.inflight = o->inflight, .on_reply = on_reply, .ctx = x};
    double t = rsn_test_now();
    x->chunk_t0 = t;
    int rc = rsn_test_api_publish_all(k->client, (rsn_test_signed_t *const *)c->order, c->n, &po);
    x->api_seconds += rsn_test_now() - t;
    x->acked_before += x->acked;
    st->build.via_api += x->acked;
    if (rc == 0) {
        return 0;
    }
    if (!x->stop) {
        return rc;
    }
    scale_proc_memory(k->node.pid, &st->build.builder_rss_kb, &st->build.builder_hwm_kb);
    rsn_client_destroy(&k->client);
    rsn_test_node_stop(&k->node);
    if (direct_open(st, k) != 0) {
        return -1;
    }
    /* the requests still in flight may have been stored: duplicates then */
    return direct_stage(k, c, x->acked);
}

static void now_text(char *out, size_t size)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Builds ST's store into its (fresh) folder. */
static int build(scale_store_t *st, const char *raisond, const scale_build_opts_t *o)
{
    int rc = -1;
    sink_t k = {0};
    scale_gen_t *gen = NULL;
    scale_chunk_t *c = malloc(sizeof *c);
    FILE *sample = fopen(st->sample_path, "wb");
    double t0 = rsn_test_now();
    api_ctx_t x = {.st = st, .o = o, .t0 = t0, .t_progress = t0};
    memset(&st->build, 0, sizeof st->build);
    now_text(st->build.built_at, sizeof st->build.built_at);
    if (c == NULL || sample == NULL || scale_gen_new(&gen, &st->shape) != 0) {
        fprintf(stderr, "bench_scale: cannot start the build in %s\n", st->dir);
        goto out;
    }
    if (rsn_test_node_init(&k.node, raisond, st->dir, "node") != 0) {
        goto out;
    }
    bool api = o->via != SCALE_VIA_DIRECT;
    if (api && (rsn_test_node_start(&k.node, raisond) != 0 ||
                rsn_test_node_connect(&k.node, &k.client, START_TIMEOUT_S) != 0)) {
        goto out;
    }
    if (!api && direct_open(st, &k) != 0) {
        goto out;
    }
    double t_line = t0;
    for (;;) {
        double t = rsn_test_now();
        if (scale_gen_next(gen, c) != 0 || scale_gen_sign(gen, c, o->threads) != 0) {
            fprintf(stderr, "bench_scale: making or signing entries failed\n");
            goto out;
        }
        st->build.sign_seconds += rsn_test_now() - t;
        if (c->n == 0) {
            break;
        }
        sample_take(st, c, scale_gen_facts(gen)->made - c->n, sample);
        if (k.client != NULL) {
            rc = publish_chunk(st, o, &k, &x, c);
        } else {
            rc = direct_stage(&k, c, 0);
        }
        if (rc != 0) {
            rc = -1;
            goto out;
        }
        rc = -1;
        if (rsn_test_now() - t_line >= PROGRESS_S) {
            t_line = rsn_test_now();
            fprintf(stderr,
                    "  ... %.0f s: %" PRIu64 " of %zu entries signed (%.0f s signing), %" PRIu64
                    " through the API, %zu staged direct\n",
                    t_line - t0, scale_gen_facts(gen)->made, st->shape.total,
                    st->build.sign_seconds, st->build.via_api, k.staged);
        }
    }
    if (k.client != NULL) {
        scale_proc_memory(k.node.pid, &st->build.builder_rss_kb, &st->build.builder_hwm_kb);
    }
    st->facts = *scale_gen_facts(gen);
    st->build.seconds = rsn_test_now() - t0;
    st->build.api_seconds = x.api_seconds;
    st->build.via_direct = k.staged;
    st->build.ingest_rate = x.api_seconds > 0 ? (double)st->build.via_api / x.api_seconds : 0;
    rc = 0;
out:
    if (sample != NULL && fclose(sample) != 0) {
        rc = -1;
    }
    rsn_client_destroy(&k.client);
    rsn_test_node_stop(&k.node);
    rsn_ingest_destroy(&k.ingest);
    rsn_store_destroy(&k.store);
    scale_gen_destroy(&gen);
    free(c);
    return rc;
}

/* The cache folder of TOTAL entries into ST's paths. */
static int paths(scale_store_t *st, size_t total)
{
    const char *root = getenv("RAISON_BENCH_CACHE");
    if (root == NULL || *root == '\0') {
        root = CACHE_DEFAULT;
    }
    /* the API socket, DIR/node/raison.sock, must fit a Unix socket path */
    int n = snprintf(st->dir, sizeof st->dir, "%s/%zu-v%d-%.8s", root, total, SCALE_SHAPE_VERSION,
                     RSN_SCALE_FORMAT);
    if (n < 0 || (size_t)n + sizeof "/node/raison.sock" > 100) {
        fprintf(stderr, "bench_scale: the cache folder %s is too long a path\n", root);
        return -1;
    }
    snprintf(st->manifest, sizeof st->manifest, "%s/manifest.json", st->dir);
    snprintf(st->sample_path, sizeof st->sample_path, "%s/sample.bin", st->dir);
    if (mkdir(root, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "bench_scale: cannot make %s: %s\n", root, strerror(errno));
        return -1;
    }
    return 0;
}

int scale_store_ensure(scale_store_t *st, const char *raisond, size_t total,
                       const scale_build_opts_t *o)
{
    scale_store_free(st);
    memset(st, 0, sizeof *st);
    if (paths(st, total) != 0) {
        return -1;
    }
    st->shape.total = total;
    if (!o->rebuild && manifest_matches(st)) {
        fprintf(stderr, "bench_scale: the store of %zu entries is cached in %s (built %s)\n", total,
                st->dir, st->build.built_at);
        return sample_load(st);
    }
    (void)rsn_test_tmpdir_remove(st->dir);
    if (mkdir(st->dir, 0700) != 0) {
        fprintf(stderr, "bench_scale: cannot make %s: %s\n", st->dir, strerror(errno));
        return -1;
    }
    /* a year back from now, so that nothing claims a time to come */
    scale_shape_for(&st->shape, total, (uint64_t)rsn_test_wall_ms() - 366ULL * 24 * 3600 * 1000);
    fprintf(stderr,
            "bench_scale: building the store of %zu entries in %s (%zu authors, %zu groups,"
            " busy group %zu posts and %zu members)\n",
            total, st->dir, st->shape.authors, st->shape.groups, st->shape.busy_posts,
            st->shape.busy_members);
    if (build(st, raisond, o) != 0 || sample_load(st) != 0) {
        return -1;
    }
    st->build.raw_at_build = bench_raw_verify_rate(st->sample, st->n_sample, 2.0);
    return manifest_write(st);
}

void scale_store_free(scale_store_t *st)
{
    free(st->sample);
    free(st->sample_bytes);
    st->sample = NULL;
    st->sample_bytes = NULL;
    st->n_sample = 0;
}

static uint64_t disk_sum;

static int add_blocks(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)path;
    (void)flag;
    (void)ftw;
    disk_sum += (uint64_t)sb->st_blocks * 512;
    return 0;
}

uint64_t scale_store_disk(const scale_store_t *st, bool clean)
{
    char db[RSN_TEST_PATH_MAX + 8];
    snprintf(db, sizeof db, "%s/node/db", st->dir);
    rsn_store_t *store = NULL;
    if (clean && rsn_store_open(&store, db) != 0) {
        return 0;
    }
    rsn_store_destroy(&store);
    disk_sum = 0;
    if (nftw(db, add_blocks, 16, FTW_PHYS) != 0) {
        return 0;
    }
    return disk_sum;
}

long scale_proc_anon(int pid)
{
    char path[64], line[256];
    long kb = -1;
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return -1;
    }
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "RssAnon:", 8) == 0) {
            kb = strtol(line + 8, NULL, 10);
        }
    }
    fclose(f);
    return kb;
}

void scale_proc_memory(int pid, long *rss_kb, long *hwm_kb)
{
    char path[64], line[256];
    *rss_kb = *hwm_kb = -1;
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return;
    }
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "VmRSS:", 6) == 0) {
            *rss_kb = strtol(line + 6, NULL, 10);
        } else if (strncmp(line, "VmHWM:", 6) == 0) {
            *hwm_kb = strtol(line + 6, NULL, 10);
        }
    }
    fclose(f);
}
