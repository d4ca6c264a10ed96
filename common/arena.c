/* arena.c — a chain of blocks; big requests get a block of their own. */
#include "common/arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK (16 * 1024)

typedef struct block {
    struct block *next;
    size_t size;
    size_t used;
    max_align_t data[];
} block_t;

struct rsn_arena {
    block_t *head;
    size_t total;
};

rsn_arena_t *rsn_arena_new(void)
{
    return calloc(1, sizeof(rsn_arena_t));
}

void *rsn_arena_alloc(rsn_arena_t *self, size_t len)
{
    const size_t align = sizeof(max_align_t);
    size_t need = (len + align - 1) / align * align;
    if (need == 0) {
        need = align;
    }
    block_t *b = self->head;
    if (!b || b->size - b->used < need) {
        size_t size = need > ARENA_BLOCK / 2 ? need : ARENA_BLOCK;
        b = malloc(sizeof(block_t) + size);
        if (!b) {
            return NULL;
        }
        b->size = size;
        b->used = 0;
        if (need > ARENA_BLOCK / 2 && self->head) {
            /* keep the current block as the one to fill */
            b->next = self->head->next;
            self->head->next = b;
        } else {
            b->next = self->head;
            self->head = b;
        }
    }
    void *p = (char *)b->data + b->used;
    b->used += need;
    self->total += need;
    memset(p, 0, len);
    return p;
}

void *rsn_arena_memdup(rsn_arena_t *self, const void *data, size_t len)
{
    void *p = rsn_arena_alloc(self, len);
    if (p && len) {
        memcpy(p, data, len);
    }
    return p;
}

char *rsn_arena_strdup(rsn_arena_t *self, const char *text)
{
    return rsn_arena_memdup(self, text, strlen(text) + 1);
}

char *rsn_arena_printf(rsn_arena_t *self, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        return NULL;
    }
    char *p = rsn_arena_alloc(self, (size_t)n + 1);
    if (p) {
        va_start(ap, fmt);
        vsnprintf(p, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    return p;
}

size_t rsn_arena_used(const rsn_arena_t *self)
{
    return self->total;
}

void rsn_arena_destroy(rsn_arena_t **self_p)
{
    if (!self_p || !*self_p) {
        return;
    }
    block_t *b = (*self_p)->head;
    while (b) {
        block_t *next = b->next;
        free(b);
        b = next;
    }
    free(*self_p);
    *self_p = NULL;
}
