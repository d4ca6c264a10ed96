/* arena.h — allocations that live as long as one request.
 *
 * Views decode bodies and build reply trees of many small pieces; taking them
 * all from one arena and freeing the arena once after the reply is packed
 * removes every question of who frees which string. */
#ifndef RSN_ARENA_H
#define RSN_ARENA_H

#include <stddef.h>

#include "common/err.h"

typedef struct rsn_arena rsn_arena_t;

/* A new, empty arena, or NULL when out of memory. */
rsn_arena_t *rsn_arena_new(void);

/* LEN bytes, zeroed, aligned for any type; valid until the arena is
 * destroyed. NULL when out of memory. */
void *rsn_arena_alloc(rsn_arena_t *self, size_t len);

/* Copies of LEN bytes / of a NUL-terminated string; NULL when out of memory. */
void *rsn_arena_memdup(rsn_arena_t *self, const void *data, size_t len);
char *rsn_arena_strdup(rsn_arena_t *self, const char *text);

/* A printf into the arena. */
char *rsn_arena_printf(rsn_arena_t *self, const char *fmt, ...) RSN_PRINTF(2, 3);

/* Bytes handed out so far (to bound what one request may build). */
size_t rsn_arena_used(const rsn_arena_t *self);

/* Frees everything; accepts NULL; sets *SELF_P to NULL. */
void rsn_arena_destroy(rsn_arena_t **self_p);

#endif
