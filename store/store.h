/* store.h — the node's LevelDB database: reads, atomic batches, prefix scans.
 *
 * The only module that calls LevelDB. A raison node keeps one database in its
 * data folder; what one accepted entry changes goes into one rsn_batch and is
 * committed with rsn_store_write, with sync for anything acknowledged to a
 * client. Opening takes LevelDB's lock, so a second process on the same
 * folder fails at once with RSN_ERR_LOCKED. LevelDB error strings are turned
 * into an rsn_err and one log line here, and freed. Keys and values are
 * arbitrary bytes; the key layout lives in store/keys.h. */
#ifndef RSN_STORE_H
#define RSN_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

typedef struct rsn_store rsn_store_t;
typedef struct rsn_batch rsn_batch_t;
typedef struct rsn_iter rsn_iter_t;

/* LevelDB's tunables, as the config file's [store] section sets them
 * (docs/store.md "LevelDB options"). rsn_store_options_default fills the
 * defaults; the bounds are the RSN_STORE_* names below. */
typedef struct {
    size_t block_cache_bytes;  /* LRU cache of uncompressed blocks */
    size_t write_buffer_bytes; /* memtable size before it is written out */
    int max_open_files;        /* table files kept open: each is mapped (mmap) */
    bool compression;          /* snappy on table blocks */
} rsn_store_options_t;

#define RSN_STORE_CACHE_DEFAULT (8u * 1024 * 1024)
#define RSN_STORE_CACHE_MIN (64u * 1024)
#define RSN_STORE_CACHE_MAX (4096ull * 1024 * 1024)
#define RSN_STORE_WRITE_BUFFER_DEFAULT (4u * 1024 * 1024)
#define RSN_STORE_WRITE_BUFFER_MIN (64u * 1024)
#define RSN_STORE_WRITE_BUFFER_MAX (1024u * 1024 * 1024)
#define RSN_STORE_OPEN_FILES_DEFAULT 1000 /* LevelDB's own: a table not open costs a reopen */
#define RSN_STORE_OPEN_FILES_MIN 16
#define RSN_STORE_OPEN_FILES_MAX 65536
#define RSN_STORE_COMPRESSION_DEFAULT true
#define RSN_STORE_FILE_BYTES \
    (16u * 1024 * 1024) /* a table file (LevelDB: 2 MiB): fewer files to keep open */
#define RSN_STORE_BLOCK_BYTES \
    (16u * 1024) /* a table block (LevelDB: 4 KiB): less disk (docs/store.md) */

/* The defaults above into *OUT. */
void rsn_store_options_default(rsn_store_options_t *out);

/* Opens (creating if missing) the database in folder DIR with the default
 * options. Returns 0 and *OUT, RSN_ERR_LOCKED when another process holds it,
 * RSN_ERR_IO otherwise. */
RSN_NODISCARD int rsn_store_open(rsn_store_t **out, const char *dir);

/* The same with OPTS (NULL: the defaults); values outside the RSN_STORE_*
 * bounds are RSN_ERR_INVALID_ARG. */
RSN_NODISCARD int rsn_store_open_with(rsn_store_t **out, const char *dir,
                                      const rsn_store_options_t *opts);

/* Compacts the whole database (every table rewritten with the options it was
 * opened with). For tools and measurements: it takes as long as the store is
 * large. */
void rsn_store_compact(rsn_store_t *self);

/* Closes the database and releases its lock; accepts NULL; sets *SELF_P to
 * NULL. */
void rsn_store_destroy(rsn_store_t **self_p);

/* The format of the keys and values raison writes (store/keys.h). 3: entries
 * named by their log index inside the store ('E', 'B', 'S' values, 'C M P Q
 * R' keys), the received time in 'I' ('A' gone), 'T' from level 2. 2 added
 * the received times, 'P' by effective time, 'Y' markers per charter
 * version. A folder of format 1 or 2 is refused: there has been no release,
 * so none needs a migration. */
#define RSN_STORE_FORMAT 3

/* Checks the format version ('V') of a raison node's database, as the node
 * does at open: a database without one (a new one, or one from before this
 * key: there has been no release) is given RSN_STORE_FORMAT. 0,
 * RSN_ERR_STORE_FORMAT (with a log line naming DIR) when it holds another
 * format, so a later format change migrates a data folder instead of
 * misreading it; RSN_ERR_IO. */
RSN_NODISCARD int rsn_store_check_format(rsn_store_t *self, const char *dir);

/* The approximate bytes the database takes on disk (LevelDB's estimate over
 * every key: the table files, not the log of recent writes). Cheap: no scan. */
uint64_t rsn_store_approximate_bytes(rsn_store_t *self);

/* The approximate bytes on disk of the keys in [FROM, TO). */
uint64_t rsn_store_approximate_range(rsn_store_t *self, const void *from, size_t from_len,
                                     const void *to, size_t to_len);

/* Reads KEY. Returns 0 with *VALUE (malloc'd, free with rsn_store_free) and
 * *VALUE_LEN, RSN_ERR_NOT_FOUND, or RSN_ERR_IO. */
RSN_NODISCARD int rsn_store_get(rsn_store_t *self, const void *key, size_t key_len, void **value,
                                size_t *value_len);

/* Frees a value returned by rsn_store_get; accepts NULL. */
void rsn_store_free(void *value);

/* Reads KEY, whose value must be exactly SIZE bytes, into OUT. 0,
 * RSN_ERR_NOT_FOUND, RSN_ERR_IO, or RSN_ERR_IO with a log line when the value
 * has another length (a damaged store). */
RSN_NODISCARD int rsn_store_get_fixed(rsn_store_t *self, const void *key, size_t key_len, void *out,
                                      size_t size);

/* Reads KEY as a big-endian u64 (a counter, a seq): as rsn_store_get_fixed. */
RSN_NODISCARD int rsn_store_get_u64(rsn_store_t *self, const void *key, size_t key_len,
                                    uint64_t *out);

/* 0 when KEY is present, RSN_ERR_NOT_FOUND when not, RSN_ERR_IO. */
RSN_NODISCARD int rsn_store_has(rsn_store_t *self, const void *key, size_t key_len);

/* Applies BATCH atomically; with SYNC the write is durable (fsync) before this
 * returns. The batch is left as it was (clear it to reuse). 0 or RSN_ERR_IO. */
RSN_NODISCARD int rsn_store_write(rsn_store_t *self, rsn_batch_t *batch, bool sync);

/* A new empty batch, or NULL when out of memory. */
rsn_batch_t *rsn_batch_new(void);
void rsn_batch_put(rsn_batch_t *self, const void *key, size_t key_len, const void *value,
                   size_t value_len);
void rsn_batch_delete(rsn_batch_t *self, const void *key, size_t key_len);
void rsn_batch_clear(rsn_batch_t *self);
/* Appends the puts and deletes of SOURCE to SELF (SOURCE is unchanged). */
void rsn_batch_append(rsn_batch_t *self, const rsn_batch_t *source);
/* Number of puts and deletes since the batch was made or cleared. */
size_t rsn_batch_count(const rsn_batch_t *self);
void rsn_batch_destroy(rsn_batch_t **self_p);

/* An iterator over the keys that start with PREFIX (PREFIX_LEN may be 0 for
 * all), in byte order; positioned nowhere until a seek. NULL when out of
 * memory. It sees the database as it was when it was made. */
rsn_iter_t *rsn_iter_new(rsn_store_t *store, const void *prefix, size_t prefix_len);

/* Moves to the first key of the prefix. */
void rsn_iter_first(rsn_iter_t *self);
/* Moves to the last key of the prefix. */
void rsn_iter_last(rsn_iter_t *self);
/* Moves to the first key >= KEY (that still has the prefix). */
void rsn_iter_seek(rsn_iter_t *self, const void *key, size_t key_len);
/* Moves to the last key <= KEY (that still has the prefix). */
void rsn_iter_seek_before(rsn_iter_t *self, const void *key, size_t key_len);
void rsn_iter_next(rsn_iter_t *self);
void rsn_iter_prev(rsn_iter_t *self);
/* True while positioned on a key that has the prefix. */
bool rsn_iter_valid(const rsn_iter_t *self);
/* The current key and value, owned by the iterator and valid until it moves. */
const uint8_t *rsn_iter_key(const rsn_iter_t *self, size_t *len);
const uint8_t *rsn_iter_value(const rsn_iter_t *self, size_t *len);
void rsn_iter_destroy(rsn_iter_t **self_p);

/* An index scan: the keys of PREFIX that are exactly KEY_LEN bytes long (an
 * index such as 'P' group ts id, or 'S' author seq), with the 32-byte id that
 * ends the key where there is one, and the value.
 * Keys of another length under the prefix (none in a sound store) are
 * skipped. Use:
 *
 *     rsn_index_t ix;
 *     rsn_index_open(&ix, store, prefix, prefix_len, RSN_KEYLEN_ID_N_ID);
 *     for (rsn_index_first(&ix); rsn_index_valid(&ix); rsn_index_next(&ix)) {
 *         const uint8_t *id = rsn_index_id(&ix);
 *     }
 *     rsn_index_close(&ix);
 *
 * rsn_index_open returns RSN_ERR_NOMEM when the iterator cannot be made. */
typedef struct {
    rsn_iter_t *it;
    size_t key_len;
} rsn_index_t;

RSN_NODISCARD int rsn_index_open(rsn_index_t *self, rsn_store_t *store, const void *prefix,
                                 size_t prefix_len, size_t key_len);
/* Moves to the first, last, first >= KEY or last <= KEY index key. */
void rsn_index_first(rsn_index_t *self);
void rsn_index_last(rsn_index_t *self);
void rsn_index_seek(rsn_index_t *self, const void *key, size_t key_len);
void rsn_index_seek_before(rsn_index_t *self, const void *key, size_t key_len);
void rsn_index_next(rsn_index_t *self);
void rsn_index_prev(rsn_index_t *self);
bool rsn_index_valid(const rsn_index_t *self);
/* The whole current key (KEY_LEN bytes), valid until the scan moves. */
const uint8_t *rsn_index_key(const rsn_index_t *self);
/* The current value and its length, valid until the scan moves. */
const uint8_t *rsn_index_value(const rsn_index_t *self, size_t *len);
/* The 32-byte id that ends the current key (for indexes whose keys end with
 * one: KEY_LEN at least the prefix and 32 bytes). */
const uint8_t *rsn_index_id(const rsn_index_t *self);

/* The 8-byte big-endian number that ends the current key: the log index of
 * the entry an index key such as 'P' group ts index points at. */
uint64_t rsn_index_n(const rsn_index_t *self);
void rsn_index_close(rsn_index_t *self);

/* --- snapshots ---------------------------------------------------------------
 *
 * A snapshot is the store as it was at one instant, as a read-only
 * rsn_store_t: every read above (gets, iterators, index scans) works on it
 * and sees nothing written after it was taken; a write returns
 * RSN_ERR_INVALID_ARG. It is how a worker thread (net/worker.h) reads while
 * the event loop keeps writing: LevelDB serves reads from many threads at
 * once, and the loop stays the only writer. A snapshot is used by one
 * thread at a time; its reads do not fill the block cache (a whole-store
 * scan would evict the loop's working set). */

/* A snapshot of STORE taken now into *OUT; rsn_store_destroy releases it
 * (before STORE is destroyed). 0, RSN_ERR_NOMEM, RSN_ERR_INVALID_ARG when
 * STORE is itself a snapshot. */
RSN_NODISCARD int rsn_store_snapshot_new(rsn_store_t *store, rsn_store_t **out);

/* A snapshot of STORE taken now, as rsn_store_snapshot_new, whose reads fill
 * the block cache: what the API's front thread answers clients' reads from
 * (net/api_server.h), where the same keys are read again and again. */
RSN_NODISCARD int rsn_store_view_new(rsn_store_t *store, rsn_store_t **out);

/* How many batches were written to STORE since it was opened (rsn_store_write
 * calls that succeeded): a view is taken again only when this moved. */
uint64_t rsn_store_writes(const rsn_store_t *self);

/* True when SELF is a snapshot (rsn_store_snapshot_new). */
bool rsn_store_is_snapshot(const rsn_store_t *self);

#endif
