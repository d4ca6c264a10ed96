/* fuzz_note.c — libFuzzer target for the signed-note and checkpoint parsers.
 *
 * The input is tried as a signed note (rsn_note_verify, for the key of the
 * C2SP vector so that well-formed inputs reach signature verification), as a
 * checkpoint text (rsn_checkpoint_parse) and as a verifier key
 * (rsn_note_parse_verifier_key). None may crash or read out of bounds; a
 * checkpoint that parses must render and parse back to the same values, and
 * a note that verifies must have a text that is a prefix of it. Seeds in
 * corpus/note: the vector's note and a checkpoint signed with its key. Build
 * with -DRSN_FUZZ=ON (clang). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "crypto/note.h"

/* PeterNeumann's public key (shared/testdata/c2sp-note/peterneumann.vkey) */
static const uint8_t vector_pk[RSN_KEY_BYTES] = {
    0x1a, 0x5c, 0xd9, 0x07, 0x14, 0x3c, 0x38, 0x4c, 0x41, 0xe8, 0x30, 0xc5, 0xbc, 0xe1, 0x2a, 0xa8,
    0x81, 0x7e, 0xc5, 0x64, 0x9a, 0xaa, 0xbf, 0x2c, 0x31, 0x38, 0x8b, 0x35, 0xb2, 0xd7, 0x44, 0xd6,
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (rsn_crypto_init() != 0) {
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    char origin[RSN_NOTE_NAME_MAX + 1];
    char again[RSN_NOTE_NAME_MAX + 1];
    char rendered[RSN_NOTE_NAME_MAX + 128];
    char name[RSN_NOTE_NAME_MAX + 1];
    uint8_t root[RSN_HASH_BYTES];
    uint8_t root2[RSN_HASH_BYTES];
    uint8_t pk[RSN_KEY_BYTES];
    uint64_t tree_size, tree_size2;
    size_t text_len = 0;
    char *copy;

    if (rsn_note_verify(text, size, "PeterNeumann", vector_pk, &text_len) == 0) {
        if (text_len == 0 || text_len >= size || text[text_len - 1] != '\n') {
            __builtin_trap();
        }
        (void)rsn_checkpoint_parse(text, text_len, origin, sizeof origin, &tree_size, root);
    }

    if (rsn_checkpoint_parse(text, size, origin, sizeof origin, &tree_size, root) == 0) {
        if (rsn_checkpoint_text(origin, tree_size, root, rendered, sizeof rendered) != 0 ||
            rsn_checkpoint_parse(rendered, strlen(rendered), again, sizeof again, &tree_size2,
                                 root2) != 0 ||
            strcmp(origin, again) != 0 || tree_size != tree_size2 ||
            memcmp(root, root2, sizeof root) != 0) {
            __builtin_trap();
        }
    }

    /* the verifier key parser reads a C string */
    copy = malloc(size + 1);
    if (copy == NULL) {
        return 0;
    }
    memcpy(copy, data, size);
    copy[size] = '\0';
    if (rsn_note_parse_verifier_key(copy, name, sizeof name, pk) == 0) {
        char vkey[RSN_NOTE_VKEY_MAX];
        if (rsn_note_verifier_key(name, pk, vkey, sizeof vkey) != 0 || strcmp(vkey, copy) != 0) {
            __builtin_trap();
        }
    }
    free(copy);
    return 0;
}
