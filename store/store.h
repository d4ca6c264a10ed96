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

/* Opens (creating if missing) the database in folder DIR. Returns 0 and *OUT,
 * RSN_ERR_LOCKED when another process holds it, RSN_ERR_IO otherwise. */
RSN_NODISCARD int rsn_store_open(rsn_store_t **out, const char *dir);

/* Closes the database and releases its lock; accepts NULL; sets *SELF_P to
 * NULL. */
void rsn_store_destroy(rsn_store_t **self_p);

/* Reads KEY. Returns 0 with *VALUE (malloc'd, free with rsn_store_free) and
 * *VALUE_LEN, RSN_ERR_NOT_FOUND, or RSN_ERR_IO. */
RSN_NODISCARD int rsn_store_get(rsn_store_t *self, const void *key, size_t key_len,
                                void **value, size_t *value_len);

/* Frees a value returned by rsn_store_get; accepts NULL. */
void rsn_store_free(void *value);

/* 0 when KEY is present, RSN_ERR_NOT_FOUND when not, RSN_ERR_IO. */
RSN_NODISCARD int rsn_store_has(rsn_store_t *self, const void *key, size_t key_len);

/* Applies BATCH atomically; with SYNC the write is durable (fsync) before this
 * returns. The batch is left as it was (clear it to reuse). 0 or RSN_ERR_IO. */
RSN_NODISCARD int rsn_store_write(rsn_store_t *self, rsn_batch_t *batch, bool sync);

/* A new empty batch, or NULL when out of memory. */
rsn_batch_t *rsn_batch_new(void);
void rsn_batch_put(rsn_batch_t *self, const void *key, size_t key_len,
                   const void *value, size_t value_len);
void rsn_batch_delete(rsn_batch_t *self, const void *key, size_t key_len);
void rsn_batch_clear(rsn_batch_t *self);
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

#endif
