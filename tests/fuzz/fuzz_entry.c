/* fuzz_entry.c — libFuzzer target for the entry and body decoders.
 *
 * The input is tried as an Entry header (rsn_entry_decode) and as the body of
 * every kind (rsn_body_decode): neither may crash, leak or read out of
 * bounds, whatever the bytes. Build with -DRSN_FUZZ=ON (clang). */
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "proto/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rsn_arena_t *arena = rsn_arena_new();
    if (!arena) {
        return 0;
    }
    Raison__Entry *e = NULL;
    char why[128];
    if (rsn_entry_decode(arena, data, size, &e, why, sizeof why) == 0) {
        /* a decoded header always has the sizes the checks promise */
        if (e->author.len != 32 || e->body_hash.len != 32) {
            __builtin_trap();
        }
    }
    for (int kind = 0; kind <= 6; kind++) {
        void *body = NULL;
        (void)rsn_body_decode(arena, (Raison__Kind)kind, data, size, &body);
    }
    rsn_arena_destroy(&arena);
    return 0;
}
