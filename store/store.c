/* store.c — raison's LevelDB wrapper: one database, atomic batches, prefix scans.
 *
 * The only file that includes leveldb/c.h. LevelDB reports failures as
 * malloc'd strings through char **errptr; each is turned here into an rsn_err
 * and one log line, then freed with leveldb_free. Iterators are bounded to a
 * key prefix so that callers walking one index never see the next one. */
#include "store/store.h"

#include <assert.h>

#include <leveldb/c.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "store/keys.h"

struct rsn_store {
    leveldb_t *db;
    leveldb_options_t *options;
    leveldb_cache_t *cache;
    leveldb_filterpolicy_t *filter;
    leveldb_readoptions_t *read;
    leveldb_writeoptions_t *write_async;
    leveldb_writeoptions_t *write_sync;
    const leveldb_snapshot_t *snapshot; /* a read-only view (rsn_store_snapshot_new) */
    bool fill_cache;                    /* a snapshot's reads fill the block cache */
    uint64_t writes;                    /* batches written (rsn_store_writes) */
};

struct rsn_batch {
    leveldb_writebatch_t *wb;
    size_t count;
};

struct rsn_iter {
    leveldb_iterator_t *it;
    uint8_t *prefix;
    size_t prefix_len;
    uint8_t *succ;   /* the smallest key above every key with the prefix */
    size_t succ_len; /* 0 when there is none (prefix empty or all 0xff) */
};

/* LevelDB's posix env says "IO error: lock DIR/LOCK: Resource temporarily
 * unavailable" when another process holds the lock, and "... already held by
 * process" when this one does. */
static bool is_lock_error(const char *err)
{
    return strstr(err, ": lock ") != NULL || strstr(err, "already held by process") != NULL;
}

/* Logs and frees a LevelDB error string; returns RSN_ERR_IO. */
static int io_error(const char *what, char *err)
{
    rsn_error("store: %s: %s", what, err ? err : "unknown error");
    leveldb_free(err);
    return RSN_ERR_IO;
}

void rsn_store_options_default(rsn_store_options_t *out)
{
    out->block_cache_bytes = RSN_STORE_CACHE_DEFAULT;
    out->write_buffer_bytes = RSN_STORE_WRITE_BUFFER_DEFAULT;
    out->max_open_files = RSN_STORE_OPEN_FILES_DEFAULT;
    out->compression = RSN_STORE_COMPRESSION_DEFAULT;
}

static bool options_valid(const rsn_store_options_t *o)
{
    return o->block_cache_bytes >= RSN_STORE_CACHE_MIN &&
           o->block_cache_bytes <= RSN_STORE_CACHE_MAX &&
           o->write_buffer_bytes >= RSN_STORE_WRITE_BUFFER_MIN &&
           o->write_buffer_bytes <= RSN_STORE_WRITE_BUFFER_MAX &&
           o->max_open_files >= RSN_STORE_OPEN_FILES_MIN &&
           o->max_open_files <= RSN_STORE_OPEN_FILES_MAX;
}

int rsn_store_open(rsn_store_t **out, const char *dir)
{
    return rsn_store_open_with(out, dir, NULL);
}

int rsn_store_open_with(rsn_store_t **out, const char *dir, const rsn_store_options_t *opts)
{
    *out = NULL;
    rsn_store_options_t o;
    if (opts) {
        o = *opts;
    } else {
        rsn_store_options_default(&o);
    }
    if (!options_valid(&o)) {
        rsn_error("store: options out of bounds (block cache %zu, write buffer %zu, "
                  "%d open files)",
                  o.block_cache_bytes, o.write_buffer_bytes, o.max_open_files);
        return RSN_ERR_INVALID_ARG;
    }
    int rc = RSN_ERR_NOMEM;
    char *err = NULL;
    rsn_store_t *self = calloc(1, sizeof(*self));
    if (!self) {
        goto out;
    }
    self->options = leveldb_options_create();
    self->cache = leveldb_cache_create_lru(o.block_cache_bytes);
    /* most lookups on the write path miss (is this id held? is this feed
     * frozen?): a Bloom filter answers those without reading a block */
    self->filter = leveldb_filterpolicy_create_bloom(10);
    self->read = leveldb_readoptions_create();
    self->write_async = leveldb_writeoptions_create();
    self->write_sync = leveldb_writeoptions_create();
    if (!self->options || !self->cache || !self->filter || !self->read || !self->write_async ||
        !self->write_sync) {
        goto out;
    }
    leveldb_options_set_create_if_missing(self->options, 1);
    leveldb_options_set_paranoid_checks(self->options, 0);
    leveldb_options_set_cache(self->options, self->cache);
    leveldb_options_set_filter_policy(self->options, self->filter);
    leveldb_options_set_write_buffer_size(self->options, o.write_buffer_bytes);
    leveldb_options_set_max_open_files(self->options, o.max_open_files);
    leveldb_options_set_max_file_size(self->options, RSN_STORE_FILE_BYTES);
    /* larger blocks compress better and hold fewer restart keys; a point
     * read then decompresses 16 KiB instead of 4 (measured: docs/store.md) */
    leveldb_options_set_block_size(self->options, RSN_STORE_BLOCK_BYTES);
    /* bodies (text) compress; hashes, keys and signatures do not, and LevelDB
     * keeps a block uncompressed unless snappy shrinks it by 12.5% */
    leveldb_options_set_compression(self->options, o.compression ? leveldb_snappy_compression
                                                                 : leveldb_no_compression);
    leveldb_readoptions_set_fill_cache(self->read, 1);
    leveldb_writeoptions_set_sync(self->write_async, 0);
    leveldb_writeoptions_set_sync(self->write_sync, 1);

    self->db = leveldb_open(self->options, dir, &err);
    if (!self->db || err) {
        if (err && is_lock_error(err)) {
            rsn_error("store: %s is locked, another node uses it: %s", dir, err);
            leveldb_free(err);
            err = NULL;
            rc = RSN_ERR_LOCKED;
        } else {
            rsn_error("store: cannot open %s: %s", dir, err ? err : "unknown error");
            leveldb_free(err);
            err = NULL;
            rc = RSN_ERR_IO;
        }
        goto out;
    }
    *out = self;
    self = NULL;
    rc = 0;
out:
    rsn_store_destroy(&self);
    return rc;
}

static void snapshot_release(rsn_store_t *self);
void rsn_store_compact(rsn_store_t *self)
{
    leveldb_compact_range(self->db, NULL, 0, NULL, 0);
}

void rsn_store_destroy(rsn_store_t **self_p)
{
    if (!self_p || !*self_p) {
        return;
    }
    rsn_store_t *self = *self_p;
    if (self->snapshot) {
        snapshot_release(self);
        *self_p = NULL;
        return;
    }
    /* the database first: it uses the options' cache until closed */
    if (self->db) {
        leveldb_close(self->db);
    }
    if (self->options) {
        leveldb_options_destroy(self->options);
    }
    if (self->cache) {
        leveldb_cache_destroy(self->cache);
    }
    if (self->filter) {
        leveldb_filterpolicy_destroy(self->filter);
    }
    if (self->read) {
        leveldb_readoptions_destroy(self->read);
    }
    if (self->write_async) {
        leveldb_writeoptions_destroy(self->write_async);
    }
    if (self->write_sync) {
        leveldb_writeoptions_destroy(self->write_sync);
    }
    free(self);
    *self_p = NULL;
}

uint64_t rsn_store_approximate_range(rsn_store_t *self, const void *from, size_t from_len,
                                     const void *to, size_t to_len)
{
    const char *start[1] = {from};
    const char *limit[1] = {to};
    size_t start_len[1] = {from_len}, limit_len[1] = {to_len};
    uint64_t size[1] = {0};
    leveldb_approximate_sizes(self->db, 1, start, start_len, limit, limit_len, size);
    return size[0];
}

uint64_t rsn_store_approximate_bytes(rsn_store_t *self)
{
    static const uint8_t all_from[1] = {0x00};
    static const uint8_t all_to[2] = {0xff, 0xff}; /* every tag is below 0xff */
    return rsn_store_approximate_range(self, all_from, 0, all_to, sizeof all_to);
}

int rsn_store_get(rsn_store_t *self, const void *key, size_t key_len, void **value,
                  size_t *value_len)
{
    *value = NULL;
    *value_len = 0;
    char *err = NULL;
    size_t len = 0;
    char *data = leveldb_get(self->db, self->read, key, key_len, &len, &err);
    if (err) {
        leveldb_free(data);
        return io_error("get", err);
    }
    if (!data) {
        return RSN_ERR_NOT_FOUND;
    }
    *value = data;
    *value_len = len;
    return 0;
}

void rsn_store_free(void *value)
{
    if (value) {
        leveldb_free(value);
    }
}

int rsn_store_has(rsn_store_t *self, const void *key, size_t key_len)
{
    void *value = NULL;
    size_t len = 0;
    int rc = rsn_store_get(self, key, key_len, &value, &len);
    rsn_store_free(value);
    return rc;
}

int rsn_store_write(rsn_store_t *self, rsn_batch_t *batch, bool sync)
{
    char *err = NULL;
    if (self->snapshot) {
        rsn_error("store: a write to a snapshot (a bug: snapshots are read-only)");
        return RSN_ERR_INVALID_ARG;
    }
    leveldb_write(self->db, sync ? self->write_sync : self->write_async, batch->wb, &err);
    if (err) {
        return io_error("write", err);
    }
    self->writes++;
    return 0;
}

rsn_batch_t *rsn_batch_new(void)
{
    rsn_batch_t *self = calloc(1, sizeof(*self));
    if (!self) {
        return NULL;
    }
    self->wb = leveldb_writebatch_create();
    if (!self->wb) {
        free(self);
        return NULL;
    }
    return self;
}

void rsn_batch_put(rsn_batch_t *self, const void *key, size_t key_len, const void *value,
                   size_t value_len)
{
    leveldb_writebatch_put(self->wb, key, key_len, value_len ? value : "", value_len);
    self->count++;
}

void rsn_batch_delete(rsn_batch_t *self, const void *key, size_t key_len)
{
    leveldb_writebatch_delete(self->wb, key, key_len);
    self->count++;
}

void rsn_batch_clear(rsn_batch_t *self)
{
    leveldb_writebatch_clear(self->wb);
    self->count = 0;
}

void rsn_batch_append(rsn_batch_t *self, const rsn_batch_t *source)
{
    leveldb_writebatch_append(self->wb, source->wb);
    self->count += source->count;
}

size_t rsn_batch_count(const rsn_batch_t *self)
{
    return self->count;
}

void rsn_batch_destroy(rsn_batch_t **self_p)
{
    if (!self_p || !*self_p) {
        return;
    }
    leveldb_writebatch_destroy((*self_p)->wb);
    free(*self_p);
    *self_p = NULL;
}

/* Byte order, as LevelDB's default comparator: memcmp, then the shorter first. */
static int key_compare(const void *a, size_t a_len, const void *b, size_t b_len)
{
    size_t n = a_len < b_len ? a_len : b_len;
    int c = n ? memcmp(a, b, n) : 0;
    if (c != 0) {
        return c;
    }
    return a_len < b_len ? -1 : (a_len > b_len ? 1 : 0);
}

static bool has_prefix(const rsn_iter_t *self, const void *key, size_t key_len)
{
    return key_len >= self->prefix_len &&
           (self->prefix_len == 0 || memcmp(key, self->prefix, self->prefix_len) == 0);
}

rsn_iter_t *rsn_iter_new(rsn_store_t *store, const void *prefix, size_t prefix_len)
{
    rsn_iter_t *self = calloc(1, sizeof(*self));
    if (!self) {
        return NULL;
    }
    /* +1 so that an empty prefix still gets a real allocation */
    self->prefix = malloc(prefix_len + 1);
    self->succ = malloc(prefix_len + 1);
    if (!self->prefix || !self->succ) {
        goto fail;
    }
    if (prefix_len) {
        memcpy(self->prefix, prefix, prefix_len);
        memcpy(self->succ, prefix, prefix_len);
    }
    self->prefix_len = prefix_len;
    /* the successor: increment the last byte below 0xff and cut after it */
    size_t n = prefix_len;
    while (n > 0 && self->succ[n - 1] == 0xff) {
        n--;
    }
    if (n > 0) {
        self->succ[n - 1]++;
    }
    self->succ_len = n;
    /* an iterator reads from an implicit snapshot taken now, or the store's */
    leveldb_readoptions_t *read = leveldb_readoptions_create();
    if (!read) {
        goto fail;
    }
    if (store->snapshot) {
        leveldb_readoptions_set_snapshot(read, store->snapshot);
        leveldb_readoptions_set_fill_cache(read, store->fill_cache);
    }
    self->it = leveldb_create_iterator(store->db, read);
    leveldb_readoptions_destroy(read);
    if (!self->it) {
        goto fail;
    }
    return self;
fail:
    free(self->prefix);
    free(self->succ);
    free(self);
    return NULL;
}

void rsn_iter_first(rsn_iter_t *self)
{
    if (self->prefix_len) {
        leveldb_iter_seek(self->it, (const char *)self->prefix, self->prefix_len);
    } else {
        leveldb_iter_seek_to_first(self->it);
    }
}

void rsn_iter_last(rsn_iter_t *self)
{
    if (self->succ_len == 0) {
        leveldb_iter_seek_to_last(self->it);
        return;
    }
    leveldb_iter_seek(self->it, (const char *)self->succ, self->succ_len);
    if (leveldb_iter_valid(self->it)) {
        leveldb_iter_prev(self->it);
    } else {
        leveldb_iter_seek_to_last(self->it);
    }
}

void rsn_iter_seek(rsn_iter_t *self, const void *key, size_t key_len)
{
    if (key_compare(key, key_len, self->prefix, self->prefix_len) < 0) {
        rsn_iter_first(self);
        return;
    }
    leveldb_iter_seek(self->it, key, key_len);
}

void rsn_iter_seek_before(rsn_iter_t *self, const void *key, size_t key_len)
{
    /* a key past every key of the prefix: the answer is the prefix's last */
    if (!has_prefix(self, key, key_len) &&
        key_compare(key, key_len, self->prefix, self->prefix_len) > 0) {
        rsn_iter_last(self);
        return;
    }
    leveldb_iter_seek(self->it, key, key_len);
    if (!leveldb_iter_valid(self->it)) {
        leveldb_iter_seek_to_last(self->it);
        return;
    }
    size_t cur_len = 0;
    const char *cur = leveldb_iter_key(self->it, &cur_len);
    if (key_compare(cur, cur_len, key, key_len) > 0) {
        leveldb_iter_prev(self->it);
    }
}

void rsn_iter_next(rsn_iter_t *self)
{
    if (leveldb_iter_valid(self->it)) {
        leveldb_iter_next(self->it);
    }
}

void rsn_iter_prev(rsn_iter_t *self)
{
    if (leveldb_iter_valid(self->it)) {
        leveldb_iter_prev(self->it);
    }
}

bool rsn_iter_valid(const rsn_iter_t *self)
{
    if (!leveldb_iter_valid(self->it)) {
        return false;
    }
    size_t len = 0;
    const char *key = leveldb_iter_key(self->it, &len);
    return has_prefix(self, key, len);
}

const uint8_t *rsn_iter_key(const rsn_iter_t *self, size_t *len)
{
    *len = 0;
    if (!leveldb_iter_valid(self->it)) {
        return NULL;
    }
    return (const uint8_t *)leveldb_iter_key(self->it, len);
}

const uint8_t *rsn_iter_value(const rsn_iter_t *self, size_t *len)
{
    *len = 0;
    if (!leveldb_iter_valid(self->it)) {
        return NULL;
    }
    return (const uint8_t *)leveldb_iter_value(self->it, len);
}

void rsn_iter_destroy(rsn_iter_t **self_p)
{
    if (!self_p || !*self_p) {
        return;
    }
    rsn_iter_t *self = *self_p;
    char *err = NULL;
    leveldb_iter_get_error(self->it, &err);
    if (err) {
        (void)io_error("iterator", err);
    }
    leveldb_iter_destroy(self->it);
    free(self->prefix);
    free(self->succ);
    free(self);
    *self_p = NULL;
}

/* The format version: written to a database that has none, compared with
 * RSN_STORE_FORMAT otherwise. */
int rsn_store_check_format(rsn_store_t *self, const char *dir)
{
    uint8_t key[1];
    size_t klen = rsn_key_format(key);
    uint8_t value[4];
    int rc = rsn_store_get_fixed(self, key, klen, value, sizeof(value));
    if (rc == RSN_ERR_NOT_FOUND) {
        uint8_t v[4] = {0, 0, 0, RSN_STORE_FORMAT};
        rsn_batch_t *b = rsn_batch_new();
        if (!b) {
            return RSN_ERR_NOMEM;
        }
        rsn_batch_put(b, key, klen, v, sizeof(v));
        rc = rsn_store_write(self, b, true);
        rsn_batch_destroy(&b);
        return rc;
    }
    if (rc != 0) {
        return rc;
    }
    uint32_t format =
        (uint32_t)value[0] << 24 | (uint32_t)value[1] << 16 | (uint32_t)value[2] << 8 | value[3];
    if (format != RSN_STORE_FORMAT) {
        rsn_error("store: %s holds store format %u; this raisond reads format %u only "
                  "(there has been no release, so there is no migration: move the folder "
                  "aside and start on a new one)",
                  dir, format, RSN_STORE_FORMAT);
        return RSN_ERR_STORE_FORMAT;
    }
    return 0;
}

int rsn_store_get_fixed(rsn_store_t *self, const void *key, size_t key_len, void *out, size_t size)
{
    void *v = NULL;
    size_t vl = 0;
    int rc = rsn_store_get(self, key, key_len, &v, &vl);
    if (rc != 0) {
        return rc;
    }
    if (vl != size) {
        rsn_error("store: a value of %zu bytes where %zu were expected (tag '%c')", vl, size,
                  key_len ? *(const char *)key : '?');
        rsn_store_free(v);
        return RSN_ERR_IO;
    }
    memcpy(out, v, size);
    rsn_store_free(v);
    return 0;
}

int rsn_store_get_u64(rsn_store_t *self, const void *key, size_t key_len, uint64_t *out)
{
    uint8_t b[8];
    int rc = rsn_store_get_fixed(self, key, key_len, b, sizeof(b));
    if (rc == 0) {
        *out = rsn_be64_get(b);
    }
    return rc;
}

/* --- index scans ---------------------------------------------------------- */

/* Moves forward (or back) past keys of another length. */
static void index_skip(rsn_index_t *self, bool forward)
{
    size_t len = 0;
    while (rsn_iter_valid(self->it)) {
        rsn_iter_key(self->it, &len);
        if (len == self->key_len) {
            return;
        }
        if (forward) {
            rsn_iter_next(self->it);
        } else {
            rsn_iter_prev(self->it);
        }
    }
}

int rsn_index_open(rsn_index_t *self, rsn_store_t *store, const void *prefix, size_t prefix_len,
                   size_t key_len)
{
    assert(key_len > prefix_len);
    self->key_len = key_len;
    self->it = rsn_iter_new(store, prefix, prefix_len);
    return self->it ? 0 : RSN_ERR_NOMEM;
}

void rsn_index_first(rsn_index_t *self)
{
    rsn_iter_first(self->it);
    index_skip(self, true);
}

void rsn_index_last(rsn_index_t *self)
{
    rsn_iter_last(self->it);
    index_skip(self, false);
}

void rsn_index_seek(rsn_index_t *self, const void *key, size_t key_len)
{
    rsn_iter_seek(self->it, key, key_len);
    index_skip(self, true);
}

void rsn_index_seek_before(rsn_index_t *self, const void *key, size_t key_len)
{
    rsn_iter_seek_before(self->it, key, key_len);
    index_skip(self, false);
}

void rsn_index_next(rsn_index_t *self)
{
    rsn_iter_next(self->it);
    index_skip(self, true);
}

void rsn_index_prev(rsn_index_t *self)
{
    rsn_iter_prev(self->it);
    index_skip(self, false);
}

bool rsn_index_valid(const rsn_index_t *self)
{
    return self->it && rsn_iter_valid(self->it);
}

const uint8_t *rsn_index_key(const rsn_index_t *self)
{
    size_t len = 0;
    return rsn_iter_key(self->it, &len);
}

const uint8_t *rsn_index_value(const rsn_index_t *self, size_t *len)
{
    return rsn_iter_value(self->it, len);
}

const uint8_t *rsn_index_id(const rsn_index_t *self)
{
    return rsn_index_key(self) + self->key_len - 32;
}

uint64_t rsn_index_n(const rsn_index_t *self)
{
    return rsn_be64_get(rsn_index_key(self) + self->key_len - 8);
}

void rsn_index_close(rsn_index_t *self)
{
    rsn_iter_destroy(&self->it);
}

/* --- snapshots ----------------------------------------------------------------- */

static int snapshot_new(rsn_store_t *store, bool fill_cache, rsn_store_t **out)
{
    *out = NULL;
    if (store->snapshot) {
        return RSN_ERR_INVALID_ARG; /* a view of a view: take one of the store */
    }
    rsn_store_t *self = calloc(1, sizeof *self);
    if (!self) {
        return RSN_ERR_NOMEM;
    }
    self->read = leveldb_readoptions_create();
    if (!self->read) {
        free(self);
        return RSN_ERR_NOMEM;
    }
    self->db = store->db;
    self->snapshot = leveldb_create_snapshot(store->db);
    leveldb_readoptions_set_snapshot(self->read, self->snapshot);
    leveldb_readoptions_set_fill_cache(self->read, fill_cache);
    self->fill_cache = fill_cache;
    *out = self;
    return 0;
}

int rsn_store_snapshot_new(rsn_store_t *store, rsn_store_t **out)
{
    /* a scan of the whole store should not push the loop's working set out */
    return snapshot_new(store, false, out);
}

int rsn_store_view_new(rsn_store_t *store, rsn_store_t **out)
{
    return snapshot_new(store, true, out);
}

uint64_t rsn_store_writes(const rsn_store_t *self)
{
    return self->writes;
}

bool rsn_store_is_snapshot(const rsn_store_t *self)
{
    return self->snapshot != NULL;
}

/* Releases the snapshot of the view SELF and frees it; the database stays. */
static void snapshot_release(rsn_store_t *self)
{
    leveldb_release_snapshot(self->db, self->snapshot);
    leveldb_readoptions_destroy(self->read);
    free(self);
}
